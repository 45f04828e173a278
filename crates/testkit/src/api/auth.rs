//! The optional 401 of §9: which credentials pass, and each product's challenge.

use base64::Engine as _;

use super::error::EsErr;
use super::render::{Body, Reply};
use super::request::Req;
use crate::json::{obj, J};
use crate::state::{Credential, State};
use crate::Flavor;

/// `None` when auth is off or the request carries an accepted credential; otherwise the
/// product's 401.
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
        let (accepted, basic_user) = accepts(flavor, state, h);
        if accepted {
            return None;
        }
        user = basic_user;
    }
    Some(if flavor.is_opensearch() {
        opensearch_401()
    } else {
        elasticsearch_401(req, header.is_some(), user)
    })
}

/// Whether the `Authorization` header carries a configured credential (API keys on
/// Elasticsearch only), and the user a Basic header names.
fn accepts(flavor: Flavor, state: &State, header: &str) -> (bool, Option<String>) {
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    let value = value.trim();
    let mut user = None;
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
    (ok, user)
}

/// The security plugin answers plain text (§9).
fn opensearch_401() -> Reply {
    Reply {
        status: 401,
        body: Body::Text("text/plain; charset=UTF-8", "Unauthorized".to_string()),
        headers: vec![(
            "WWW-Authenticate".to_string(),
            "Basic realm=\"OpenSearch Security\"".to_string(),
        )],
        default_pretty: false,
    }
}

/// `security_exception` naming what failed, with every scheme's challenge (§9).
fn elasticsearch_401(req: &Req<'_>, had_header: bool, user: Option<String>) -> Reply {
    let uri = req.uri();
    let reason = match (had_header, user) {
        (false, _) => format!("missing authentication credentials for REST request [{uri}]"),
        (true, Some(u)) => format!("unable to authenticate user [{u}] for REST request [{uri}]"),
        (true, None) => {
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
    Reply {
        status: 401,
        body: Body::Json(err.envelope()),
        headers: challenges
            .iter()
            .map(|c| ("WWW-Authenticate".to_string(), c.to_string()))
            .collect(),
        default_pretty: false,
    }
}
