//! The optional 401 of §9: which credentials pass, and each product's challenge.

use base64::Engine as _;

use super::error::EsErr;
use super::render::{Body, Reply};
use super::request::Req;
use crate::json::{obj, J};
use crate::state::{Credential, State};
use crate::Flavor;

pub(super) fn check_auth(flavor: Flavor, state: &State, req: &Req<'_>) -> Option<Reply> {
    if state.credentials.is_empty() {
        return None;
    }
    let header = req
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let mut user: Option<String> = None;
    if let Some(h) = header {
        let (scheme, value) = h.split_once(' ').unwrap_or((h, ""));
        let value = value.trim();
        let ok = match scheme.to_ascii_lowercase().as_str() {
            "basic" => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(value)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                let (u, pw) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
                user = Some(u.to_string());
                state
                    .credentials
                    .iter()
                    .any(|c| matches!(c, Credential::Basic { user, password } if user == u && password == pw))
            }
            "apikey" if !flavor.is_opensearch() => state
                .credentials
                .iter()
                .any(|c| matches!(c, Credential::ApiKey(k) if k == value)),
            "bearer" => state
                .credentials
                .iter()
                .any(|c| matches!(c, Credential::Bearer(t) if t == value)),
            _ => false,
        };
        if ok {
            return None;
        }
    }
    if flavor.is_opensearch() {
        // The security plugin answers plain text (§9).
        return Some(Reply {
            status: 401,
            body: Body::Text("text/plain; charset=UTF-8", "Unauthorized".to_string()),
            headers: vec![(
                "WWW-Authenticate".to_string(),
                "Basic realm=\"OpenSearch Security\"".to_string(),
            )],
            default_pretty: false,
        });
    }
    let uri = req.uri();
    let reason = match (header, user) {
        (None, _) => format!("missing authentication credentials for REST request [{uri}]"),
        (Some(_), Some(u)) => format!("unable to authenticate user [{u}] for REST request [{uri}]"),
        (Some(_), None) => {
            "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
                .to_string()
        }
    };
    let challenges = [
        "Basic realm=\"security\" charset=\"UTF-8\"",
        "Bearer realm=\"security\"",
        "ApiKey",
    ];
    let mut err = EsErr::new(401, "security_exception", reason);
    err.extra.push((
        "header".to_string(),
        obj().f("WWW-Authenticate", J::strs(challenges)),
    ));
    Some(Reply {
        status: 401,
        body: Body::Json(err.envelope()),
        headers: challenges
            .iter()
            .map(|c| ("WWW-Authenticate".to_string(), c.to_string()))
            .collect(),
        default_pretty: false,
    })
}
