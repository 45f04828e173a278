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

/// Why a client command failed (exit code 1; 2 for a bad `--url`, 14 for
/// a backup that does not exist).
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
    #[error("cannot reach the backup API: {method} {url} failed: {cause}{hint}")]
    Unreachable {
        /// The method.
        method: &'static str,
        /// The URL (without credentials).
        url: RedactedText,
        /// The innermost cause, e.g. `Connection refused (os error 111)`.
        cause: RedactedText,
        /// `; …` when the cause has a likely reason, else empty.
        hint: &'static str,
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
    /// `GET {base}/backups/{id}` answered that the backup does not exist
    /// (exit code 14).
    #[error("{method} {url} answered HTTP 404: {detail}")]
    NoSuchBackup {
        /// The method.
        method: &'static str,
        /// The URL.
        url: RedactedText,
        /// The server's `detailedMessage (errorCode)`.
        detail: RedactedText,
    },
    /// The URL leads to Elasticsearch or OpenSearch, not to the backup API.
    #[error("{url} is {product}, not the backup API: point --url (or BACKUP_ACTUATOR_SERVER_URL) at the backup-actuator server's (or Optimize's) management listener, port 8092 by default; BACKUP_ACTUATOR_URL is the cluster's URL, for serve, restore and verify")]
    SearchEngine {
        /// The URL given, without credentials.
        url: RedactedText,
        /// `an Elasticsearch node (version 7.10.2)`, or how it was recognised.
        product: String,
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
        /// The `detailedMessage` (and `errorCode`), or what kind of body
        /// came and a hint.
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
        /// The start of the body, or its kind and size.
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
    /// error, SPEC §9), 14 for a backup that does not exist, 1 for the rest.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            ClientError::BadUrl { .. } => super::EXIT_USAGE,
            ClientError::NoSuchBackup { .. } => super::EXIT_NO_SUCH_BACKUP,
            _ => super::EXIT_FAILURE,
        }
    }

    /// Whether a wait should try again at the next poll (SPEC §9): the
    /// server or a proxy in front of it is briefly away.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            // A server that does not speak TLS will not learn it by the next poll.
            ClientError::Unreachable { hint, .. } => hint.is_empty(),
            ClientError::Status { status, .. } => matches!(status, 502 | 503),
            _ => false,
        }
    }
}

/// A server's answer: what the client read from it, and the body as the
/// server wrote it (redacted), which `--output json` prints.
#[derive(Clone, Debug)]
pub(crate) struct Answer<T> {
    /// The answer as the client reads it (`COMPLETED` read as COMPLETE).
    pub value: T,
    /// The body as written.
    pub raw: String,
}

/// A client of one backup API.
#[derive(Clone, Debug)]
pub(crate) struct Api {
    http: reqwest::Client,
    /// The URL as given, without userinfo or a trailing slash.
    root: String,
    /// The base path as given, trimmed of slashes (`actuator`).
    base: String,
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
        let trimmed = url.trim();
        // `localhost:8092` parses as a URL of scheme `localhost`, and
        // `127.0.0.1:8092` not at all: both only lack `http://`.
        if !trimmed.contains("://") {
            return Err(bad_url(
                "no scheme: start it with http:// or https://".to_owned(),
            ));
        }
        let mut parsed = reqwest::Url::parse(trimmed).map_err(|e| bad_url(e.to_string()))?;
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
        let base = base_path.trim_matches('/').to_owned();
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
            root,
            base,
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

    /// `POST {base}/backups`: the server's message. A POST changes
    /// something wherever it lands (Elasticsearch 7 indexes it as a
    /// document in a new index `actuator`), so the URL is looked at first
    /// (DELETE is preceded by a GET, which finds out the same).
    pub(crate) async fn create(&self, id: BackupId) -> Result<String, ClientError> {
        if let Some(product) = self.search_engine().await {
            return Err(self.is_search_engine(product));
        }
        let body = format!("{{\"backupId\":{id}}}");
        let reply = self
            .send(reqwest::Method::POST, &self.backups, Some(body))
            .await?;
        match serde_json::from_str::<Accepted>(reply.text.as_str()) {
            Ok(accepted) => Ok(accepted.message),
            Err(_) => Err(self
                .unreadable("POST", &self.backups, &reply, "a 202 message")
                .await),
        }
    }

    /// `GET {base}/backups/{id}`; a 404 that says the backup does not
    /// exist is [`ClientError::NoSuchBackup`].
    pub(crate) async fn get(&self, id: BackupId) -> Result<Answer<BackupInfo>, ClientError> {
        let url = format!("{}/{id}", self.backups);
        let reply = match self.send(reqwest::Method::GET, &url, None).await {
            Ok(reply) => reply,
            Err(ClientError::Status {
                method,
                url,
                status: 404,
                detail,
            }) if names_the_backup(detail.as_str(), id) => {
                return Err(ClientError::NoSuchBackup {
                    method,
                    url,
                    detail,
                })
            }
            Err(err) => return Err(err),
        };
        match serde_json::from_str(reply.text.as_str()) {
            Ok(value) => Ok(Answer {
                value,
                raw: reply.text.into_string(),
            }),
            Err(_) => Err(self.unreadable("GET", &url, &reply, "a BackupInfo").await),
        }
    }

    /// `GET {base}/backups`, with `pattern` and `verbose=false` when the
    /// query asks; each backup beside its JSON as the server wrote it, in
    /// the server's order. A pattern is digits and `*` only, which a
    /// query string carries as they are.
    pub(crate) async fn list(
        &self,
        query: &ListQuery,
    ) -> Result<Answer<Vec<Answer<BackupInfo>>>, ClientError> {
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
        let reply = self.send(reqwest::Method::GET, &url, None).await?;
        let read = || -> Option<Vec<Answer<BackupInfo>>> {
            let items: Vec<&serde_json::value::RawValue> =
                serde_json::from_str(reply.text.as_str()).ok()?;
            items
                .into_iter()
                .map(|raw| {
                    Some(Answer {
                        value: serde_json::from_str(raw.get()).ok()?,
                        raw: raw.get().to_owned(),
                    })
                })
                .collect()
        };
        match read() {
            Some(list) => Ok(Answer {
                value: list,
                raw: reply.text.into_string(),
            }),
            None => Err(self
                .unreadable("GET", &url, &reply, "a list of BackupInfo")
                .await),
        }
    }

    /// `DELETE {base}/backups/{id}`; whether anything of the backup was
    /// stored. The DELETE answers 204 either way (SPEC §6), so a GET
    /// asks first; the DELETE is sent in any case, so a backup created
    /// between the two is deleted all the same.
    pub(crate) async fn delete(&self, id: BackupId) -> Result<bool, ClientError> {
        let existed = match self.get(id).await {
            Ok(_) => true,
            Err(ClientError::NoSuchBackup { .. }) => false,
            // Whatever the GET cannot read, the DELETE shows or does.
            Err(ClientError::Unreadable { .. } | ClientError::Status { .. }) => true,
            Err(err) => return Err(err),
        };
        let url = format!("{}/{id}", self.backups);
        self.send(reqwest::Method::DELETE, &url, None).await?;
        Ok(existed)
    }

    /// One request; a success status and its body (redacted, like
    /// every text from the server), or the error it names.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<String>,
    ) -> Result<Reply, ClientError> {
        let name = method_name(&method);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        request = self.authenticate(request);
        let unreachable = |e: reqwest::Error| {
            let cause = innermost(&e);
            ClientError::Unreachable {
                method: name,
                url: self.shown(url),
                hint: unreachable_hint(url, &cause),
                cause: self.redactor.text(&cause),
            }
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.text().await.map_err(unreachable)?;
        let reply = Reply {
            status,
            content_type,
            text: self.redactor.text(&text),
        };
        if (200..300).contains(&status) {
            return Ok(reply);
        }
        if let Some(product) = engine_error_body(reply.text.as_str()) {
            let product = match self.search_engine().await {
                Some(found) => found,
                None => product,
            };
            return Err(self.is_search_engine(product));
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
        // A wrong target answers "not here" (4xx, 501); a 502 or 503 is a
        // proxy or the server briefly away, and the wait tries again.
        let not_here = (400..500).contains(&status) || status == 501;
        if not_here && error_body(reply.text.as_str()).is_none() {
            if let Some(product) = self.search_engine().await {
                return Err(self.is_search_engine(product));
            }
        }
        let detail = self.error_detail(&reply);
        Err(ClientError::Status {
            method: name,
            url: self.shown(url),
            status,
            detail: self.redactor.text(&detail),
        })
    }

    fn authenticate(&self, mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some((user, password)) = &self.basic {
            request = request.basic_auth(user, Some(password.expose()));
        }
        if let Some((token, _)) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        request
    }

    /// `GET {url}/`: `Some("an Elasticsearch node (version 7.10.2)")` when
    /// it answers the way a search engine's root does (`version.number`
    /// and `tagline`). Any failure is `None`: the request that follows
    /// shows it.
    async fn search_engine(&self) -> Option<String> {
        let url = format!("{}/", self.root);
        let request = self
            .authenticate(self.http.get(&url))
            .timeout(std::time::Duration::from_secs(10));
        let response = request.send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let root: serde_json::Value = response.json().await.ok()?;
        let version = root.pointer("/version/number")?.as_str()?;
        let tagline = root.get("tagline")?.as_str()?;
        let opensearch = root
            .pointer("/version/distribution")
            .and_then(|d| d.as_str())
            == Some("opensearch")
            || tagline.contains("OpenSearch");
        let product = if opensearch {
            "an OpenSearch node"
        } else {
            "an Elasticsearch node"
        };
        Some(format!(
            "{product} (version {})",
            self.redactor.text(version)
        ))
    }

    fn is_search_engine(&self, product: String) -> ClientError {
        ClientError::SearchEngine {
            url: self.shown(&self.root),
            product,
        }
    }

    /// What an error status's body says: `detailedMessage (errorCode)`
    /// of this API's (and Optimize's) error body, else the kind of body
    /// and a hint, never a page of HTML.
    fn error_detail(&self, reply: &Reply) -> String {
        let mut detail = match error_body(reply.text.as_str()) {
            Some(message) => message,
            None => {
                let hint = if matches!(reply.status, 404 | 405 | 501) {
                    ": is --url or --base-path wrong?"
                } else {
                    ""
                };
                format!("{} (not this API's error body{hint})", body_kind(reply))
            }
        };
        if reply.status == 404 {
            if let Some(hint) = self.base_path_hint() {
                detail.push_str(&hint);
            }
        }
        detail
    }

    /// `--url http://host:8092/actuator` with the default `--base-path
    /// /actuator` asks for `/actuator/actuator/backups`.
    fn base_path_hint(&self) -> Option<String> {
        let path = reqwest::Url::parse(&self.root)
            .ok()?
            .path()
            .trim_end_matches('/')
            .to_owned();
        if self.base.is_empty() || !path.ends_with(&format!("/{}", self.base)) {
            return None;
        }
        let without = &self.root[..self.root.len() - self.base.len() - 1];
        Some(format!(
            "; --url should not include the base path: --url ends in /{base} and --base-path adds /{base} again (use --url {without})",
            base = self.base,
            without = self.shown(without),
        ))
    }

    async fn unreadable(
        &self,
        method: &'static str,
        url: &str,
        reply: &Reply,
        expected: &'static str,
    ) -> ClientError {
        if let Some(product) = self.search_engine().await {
            return self.is_search_engine(product);
        }
        ClientError::Unreadable {
            method,
            url: self.shown(url),
            status: reply.status,
            expected,
            excerpt: self.redactor.text(&body_kind(reply)),
        }
    }
}

/// An answer with a status, read to its end.
struct Reply {
    status: u16,
    content_type: String,
    text: RedactedText,
}

fn method_name(method: &reqwest::Method) -> &'static str {
    match *method {
        reqwest::Method::POST => "POST",
        reqwest::Method::DELETE => "DELETE",
        _ => "GET",
    }
}

/// Whether a 404's `detailedMessage (errorCode)` is about this backup
/// (`No backup with ID [7] could be found.`, Optimize's `No Optimize
/// backup with ID [7] …`), not about the path (`No resource exists at
/// this path.`, a wrong --base-path).
fn names_the_backup(detail: &str, id: BackupId) -> bool {
    detail.contains(&format!("ID [{id}]")) && detail.contains("notFoundError")
}

/// `detailedMessage (errorCode)` of this API's and Optimize's error body.
fn error_body(text: &str) -> Option<String> {
    let body = serde_json::from_str::<ErrorBody>(text).ok()?;
    let message = body.detailed_message.or(body.error_message);
    match (message, body.error_code) {
        (Some(message), Some(code)) => Some(format!("{message} ({code})")),
        (Some(message), None) => Some(message),
        (None, Some(code)) => Some(code),
        (None, None) => None,
    }
}

/// Elasticsearch's and OpenSearch's error body: `{"error": {"type": …},
/// "status": 404}`, or their router's `{"error": "no handler found for
/// uri …", "status": 400}` (Spring's `{"error": "Not Found", "status":
/// 404, "path": …}` is neither): the product, as far as the body tells.
fn engine_error_body(text: &str) -> Option<String> {
    let body: serde_json::Value = serde_json::from_str(text).ok()?;
    let object = body.as_object()?;
    object.get("status")?.as_u64()?;
    let engine = match object.get("error")? {
        serde_json::Value::Object(error) => error.contains_key("type"),
        serde_json::Value::String(error) => {
            error.starts_with("no handler found for uri")
                || error.starts_with("Incorrect HTTP method for uri")
        }
        _ => false,
    };
    engine.then(|| {
        "an Elasticsearch or OpenSearch node (it answers with their error body, {\"error\": …, \"status\": …})"
            .to_owned()
    })
}

/// A body that is not what was expected: its start when it is short
/// text or JSON, else only its kind and size (a page of HTML says
/// nothing that fits a line).
fn body_kind(reply: &Reply) -> String {
    let text = reply.text.as_str();
    if text.trim().is_empty() {
        return "an empty body".to_owned();
    }
    let kind = reply
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let markup =
        kind.contains("html") || kind.contains("xml") || text.trim_start().starts_with('<');
    let kind = if kind.is_empty() {
        "no content type".to_owned()
    } else {
        kind
    };
    if markup {
        format!("a {kind} body of {} bytes", text.len())
    } else {
        format!("a {kind} body: {}", excerpt(text))
    }
}

/// A likely reason for a failed connection, or nothing.
fn unreachable_hint(url: &str, cause: &str) -> &'static str {
    let tls_against_plain = url.starts_with("https://")
        && (cause.contains("InvalidContentType")
            || cause.contains("corrupt message")
            || cause.contains("wrong version number"));
    if tls_against_plain {
        "; the server does not speak TLS on this port (use http://, or the server's TLS port)"
    } else {
        ""
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

    fn reply(status: u16, content_type: &str, text: &str) -> Reply {
        Reply {
            status,
            content_type: content_type.to_owned(),
            text: Redactor::new(&[]).text(text),
        }
    }

    #[test]
    fn error_body_reads_this_apis_and_optimizes_error_bodies() {
        let ours = r#"{"errorCode":"notFoundError","errorMessage":"The server could not find the requested resource.","detailedMessage":"No backup with ID [7] could be found."}"#;
        assert_eq!(
            error_body(ours).unwrap(),
            "No backup with ID [7] could be found. (notFoundError)"
        );
        let optimize = r#"{"errorCode" : "serverError", "errorMessage" : "An internal server error occurred.", "detailedMessage" : "No repository with name [x] could be found.", "reportDefinition" : null}"#;
        assert_eq!(
            error_body(optimize).unwrap(),
            "No repository with name [x] could be found. (serverError)"
        );
    }

    #[test]
    fn a_body_that_is_markup_is_shown_by_its_kind_and_size_only() {
        let html = "<html><body>Not Found</body></html>\n";
        assert_eq!(
            body_kind(&reply(404, "text/html;charset=utf-8", html)),
            "a text/html body of 36 bytes"
        );
        assert_eq!(
            body_kind(&reply(502, "text/plain", "Bad Gateway\n")),
            "a text/plain body: Bad Gateway"
        );
        assert_eq!(body_kind(&reply(502, "", "")), "an empty body");
    }

    #[test]
    fn only_a_404_about_the_id_means_no_such_backup() {
        let id = BackupId::new(7).unwrap();
        assert!(names_the_backup(
            "No Optimize backup with ID [7] could be found. (notFoundError)",
            id
        ));
        assert!(!names_the_backup(
            "No resource exists at this path. (notFoundError)",
            id
        ));
        assert!(!names_the_backup(
            "No backup with ID [77] could be found. (notFoundError)",
            id
        ));
    }

    #[test]
    fn an_engine_error_body_is_recognised() {
        assert!(engine_error_body(
            r#"{"error":{"type":"index_not_found_exception"},"status":404}"#
        )
        .is_some());
        assert!(engine_error_body(r#"{"error":"Incorrect HTTP method for uri [/actuator/backups] and method [POST], allowed: [GET]","status":405}"#).is_some());
        assert!(
            engine_error_body(r#"{"errorCode":"notFoundError","detailedMessage":"x"}"#).is_none()
        );
        let spring = r#"{"timestamp":"2026-11-30T10:00:00.000+00:00","status":404,"error":"Not Found","path":"/actuator/backups"}"#;
        assert!(engine_error_body(spring).is_none());
    }
}
