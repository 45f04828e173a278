//! The HTTP side of the client: one method per route of SPEC §1, reading
//! this API's answers in both dialects and the shipped Optimize server's.

use std::path::{Path, PathBuf};

use backup_actuator_core::{BackupId, BackupInfo, ListQuery};
use backup_actuator_search::{Credential, RedactedText, Redactor};
use serde::Deserialize;

use crate::cli::Secret;
use crate::files::{read_secret, FileError};

/// How much of an unreadable body goes into a message.
const EXCERPT_CHARS: usize = 200;

/// Why a client command failed (exit code 1, 2 for a bad `--url`).
/// Every message names what failed; none contains the token or the
/// URL's password: every text from the URL or the server is a
/// [`RedactedText`], which only the redactor makes.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    /// The token file.
    #[error(transparent)]
    TokenFile(#[from] FileError),
    /// `--url` is not a URL the client can use (exit code 2).
    #[error("invalid --url [{url}]: {reason}")]
    BadUrl {
        /// The URL as given, without its userinfo.
        url: RedactedText,
        /// Why.
        reason: String,
    },
    /// No answer: refused, DNS, TLS, timeout, connection closed.
    #[error("cannot reach the backup API: {method} {url} failed: {cause}")]
    Unreachable {
        /// The method.
        method: &'static str,
        /// The URL (without credentials).
        url: RedactedText,
        /// The innermost cause, e.g. `Connection refused (os error 111)`.
        cause: RedactedText,
    },
    /// The server refused the token, or wants one.
    #[error("{method} {url} answered HTTP 401 Unauthorized: {hint}")]
    Unauthorized {
        /// The method.
        method: &'static str,
        /// The URL.
        url: RedactedText,
        /// Which token was sent, by its file.
        hint: String,
    },
    /// Any other error status.
    #[error("{method} {url} answered HTTP {status}: {detail}")]
    Status {
        /// The method.
        method: &'static str,
        /// The URL.
        url: RedactedText,
        /// The status.
        status: u16,
        /// The `detailedMessage` (and `errorCode`), or the start of the body.
        detail: RedactedText,
    },
    /// A success status whose body is not what the route answers.
    #[error("{method} {url} answered HTTP {status} with a body that is not {expected}: {excerpt}")]
    Unreadable {
        /// The method.
        method: &'static str,
        /// The URL.
        url: RedactedText,
        /// The status.
        status: u16,
        /// What was expected.
        expected: &'static str,
        /// The start of the body.
        excerpt: RedactedText,
    },
}

/// The error body of this API and of Optimize (which adds `reportDefinition`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    error_code: Option<String>,
    detailed_message: Option<String>,
    error_message: Option<String>,
}

/// The 202 body: `{"message":"…"}` or Optimize's `{"message" : "…"}`.
#[derive(Deserialize)]
struct Accepted {
    message: String,
}

impl ClientError {
    /// The exit code: 2 for a `--url` that is no usable URL (a usage
    /// error, SPEC §9), 1 for the rest.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            ClientError::BadUrl { .. } => 2,
            _ => 1,
        }
    }
}

/// A client of one backup API.
#[derive(Clone, Debug)]
pub(crate) struct Api {
    http: reqwest::Client,
    /// `{url}{base}/backups`, without userinfo or a trailing slash.
    backups: String,
    /// The URL's user and password, sent as basic authentication.
    basic: Option<(String, Secret)>,
    token: Option<(Secret, PathBuf)>,
    /// Knows the URL's password and the token: every text from the
    /// server or the transport passes it.
    redactor: Redactor,
}

impl Api {
    /// A client for the API at `url` + `base_path`, sending the token in
    /// `token_file` if given.
    pub(crate) fn new(
        url: &str,
        base_path: &str,
        token_file: Option<&Path>,
    ) -> Result<Api, ClientError> {
        // Before the URL parses there is no password to look for; the
        // userinfo is cut out of the text all the same.
        let bad_url = |reason: String| ClientError::BadUrl {
            url: Redactor::new(&[]).text(url),
            reason,
        };
        let mut parsed = reqwest::Url::parse(url.trim()).map_err(|e| bad_url(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad_url("use http:// or https://".to_owned()));
        }
        if parsed.host().is_none() {
            return Err(bad_url("no host".to_owned()));
        }
        let mut credentials = Vec::new();
        let basic = if parsed.username().is_empty() && parsed.password().is_none() {
            None
        } else {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let user = decode(parsed.username());
            let password = decode(parsed.password().unwrap_or(""));
            if let Some(raw) = parsed.password() {
                credentials.push(Credential::secret(raw));
            }
            credentials.push(Credential::basic(user.clone(), password.clone()));
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            Some((user, Secret::from(password)))
        };
        let token = token_file
            .map(|path| read_secret(path, "token").map(|token| (token, path.to_owned())))
            .transpose()?;
        if let Some((token, _)) = &token {
            credentials.push(Credential::secret(token.expose()));
        }
        let redactor = Redactor::new(&credentials);
        let root = parsed.as_str().trim_end_matches('/').to_owned();
        let base = base_path.trim_matches('/');
        let backups = if base.is_empty() {
            format!("{root}/backups")
        } else {
            format!("{root}/{base}/backups")
        };
        let http = reqwest::Client::builder()
            .user_agent(concat!("backup-actuator/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(60))
            // A redirect would resend the token (and a POST or DELETE)
            // wherever it points; it is shown as the error status it is.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| bad_url(redactor.error(&e).into_string()))?;
        Ok(Api {
            http,
            backups,
            basic,
            token,
            redactor,
        })
    }

    /// A URL for a message.
    fn shown(&self, url: &str) -> RedactedText {
        self.redactor.text(url)
    }

    /// `POST {base}/backups`: the server's message.
    pub(crate) async fn create(&self, id: BackupId) -> Result<String, ClientError> {
        let body = format!("{{\"backupId\":{id}}}");
        let (status, text) = self
            .send(reqwest::Method::POST, &self.backups, Some(body))
            .await?;
        match serde_json::from_str::<Accepted>(text.as_str()) {
            Ok(accepted) => Ok(accepted.message),
            Err(_) => Err(self.unreadable("POST", &self.backups, status, "a 202 message", &text)),
        }
    }

    /// `GET {base}/backups/{id}`.
    pub(crate) async fn get(&self, id: BackupId) -> Result<BackupInfo, ClientError> {
        let url = format!("{}/{id}", self.backups);
        let (status, text) = self.send(reqwest::Method::GET, &url, None).await?;
        serde_json::from_str(text.as_str())
            .map_err(|_| self.unreadable("GET", &url, status, "a BackupInfo", &text))
    }

    /// `GET {base}/backups`, with `pattern` and `verbose=false` when the
    /// query asks, sorted by id (Optimize does not sort). A pattern is
    /// digits and `*` only, which a query string carries as they are.
    pub(crate) async fn list(&self, query: &ListQuery) -> Result<Vec<BackupInfo>, ClientError> {
        let mut params = Vec::new();
        if let Some(pattern) = &query.pattern {
            params.push(format!("pattern={pattern}"));
        }
        if !query.verbose {
            params.push("verbose=false".to_owned());
        }
        let url = if params.is_empty() {
            self.backups.clone()
        } else {
            format!("{}?{}", self.backups, params.join("&"))
        };
        let (status, text) = self.send(reqwest::Method::GET, &url, None).await?;
        let mut list: Vec<BackupInfo> = serde_json::from_str(text.as_str())
            .map_err(|_| self.unreadable("GET", &url, status, "a list of BackupInfo", &text))?;
        list.sort_by_key(|info| info.backup_id);
        Ok(list)
    }

    /// `DELETE {base}/backups/{id}`.
    pub(crate) async fn delete(&self, id: BackupId) -> Result<(), ClientError> {
        let url = format!("{}/{id}", self.backups);
        self.send(reqwest::Method::DELETE, &url, None).await?;
        Ok(())
    }

    /// One request; a success status and its body (redacted, like
    /// every text from the server), or the error it names.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<String>,
    ) -> Result<(u16, RedactedText), ClientError> {
        let name = method_name(&method);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        if let Some((user, password)) = &self.basic {
            request = request.basic_auth(user, Some(password.expose()));
        }
        if let Some((token, _)) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            method: name,
            url: self.shown(url),
            cause: self.redactor.text(&innermost(&e)),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(unreachable)?;
        let text = self.redactor.text(&text);
        if (200..300).contains(&status) {
            return Ok((status, text));
        }
        if status == 401 {
            let hint = match &self.token {
                Some((_, path)) => format!(
                    "the server refused the token from --token-file {}",
                    path.display()
                ),
                None => {
                    "the server requires a token: pass --token-file (or BACKUP_ACTUATOR_TOKEN_FILE)"
                        .to_owned()
                }
            };
            return Err(ClientError::Unauthorized {
                method: name,
                url: self.shown(url),
                hint,
            });
        }
        Err(ClientError::Status {
            method: name,
            url: self.shown(url),
            status,
            detail: self.redactor.text(&error_detail(status, text.as_str())),
        })
    }

    fn unreadable(
        &self,
        method: &'static str,
        url: &str,
        status: u16,
        expected: &'static str,
        text: &RedactedText,
    ) -> ClientError {
        ClientError::Unreadable {
            method,
            url: self.shown(url),
            status,
            expected,
            excerpt: self.redactor.text(&excerpt(text.as_str())),
        }
    }
}

fn method_name(method: &reqwest::Method) -> &'static str {
    match *method {
        reqwest::Method::POST => "POST",
        reqwest::Method::DELETE => "DELETE",
        _ => "GET",
    }
}

/// `detailedMessage (errorCode)` of an error body, or the start of any
/// other body (a 404 from a proxy or a wrong `--base-path` is not JSON).
fn error_detail(status: u16, text: &str) -> String {
    if let Ok(body) = serde_json::from_str::<ErrorBody>(text) {
        let message = body.detailed_message.or(body.error_message);
        match (message, body.error_code) {
            (Some(message), Some(code)) => return format!("{message} ({code})"),
            (Some(message), None) => return message,
            (None, Some(code)) => return code,
            (None, None) => {}
        }
    }
    let start = excerpt(text);
    let start = if start.is_empty() {
        "(empty body)".to_owned()
    } else {
        start
    };
    if status == 404 {
        format!("{start} (not this API's error body: is --url or --base-path wrong?)")
    } else {
        start
    }
}

fn excerpt(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    flat.trim().to_owned()
}

/// The innermost cause of an error: `Connection refused (os error 111)`
/// rather than reqwest's "error sending request".
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_detail_reads_this_apis_and_optimizes_error_bodies() {
        let ours = r#"{"errorCode":"notFoundError","errorMessage":"The server could not find the requested resource.","detailedMessage":"No backup with ID [7] could be found."}"#;
        assert_eq!(
            error_detail(404, ours),
            "No backup with ID [7] could be found. (notFoundError)"
        );
        let optimize = r#"{"errorCode" : "serverError", "errorMessage" : "An internal server error occurred.", "detailedMessage" : "No repository with name [x] could be found.", "reportDefinition" : null}"#;
        assert_eq!(
            error_detail(500, optimize),
            "No repository with name [x] could be found. (serverError)"
        );
    }

    #[test]
    fn error_detail_of_a_404_that_is_not_json_says_so() {
        assert_eq!(
            error_detail(404, "<html><body>Not Found</body></html>\n"),
            "<html><body>Not Found</body></html> (not this API's error body: is --url or --base-path wrong?)"
        );
        assert_eq!(error_detail(502, ""), "(empty body)");
    }
}
