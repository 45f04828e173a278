//! Bearer-token access control in front of the backup service
//! (`--auth-token-file`).
//!
//! Every request, on every path, must carry `Authorization: Bearer
//! <token>`; anything else is answered 401 `notAuthorizedError` with
//! `WWW-Authenticate: Bearer realm="backup-actuator"` and never reaches the
//! service. The token is kept only as its SHA-256 digest, and the digest of
//! what a client sends is compared with it in constant time: comparing
//! fixed-length digests means neither the position of the first wrong byte
//! nor the length of the token shows in the response time.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use backup_actuator_core::{Compatibility, ErrorBody};
use backup_actuator_service::{AnswerCounter, BackupBody};
use http::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower_layer::Layer;
use tower_service::Service;

use crate::files::{read_secret, FileError};

/// The challenge sent with every 401.
const CHALLENGE: &str = r#"Bearer realm="backup-actuator""#;

/// The token gate's refusal: SPEC §5's 401 row. Only the stand-alone
/// server has a token gate, so its error lives here rather than among the
/// library's API errors; its body has the same shape as theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("A valid bearer token is required to access this resource.")]
pub(crate) struct Unauthorized;

impl Unauthorized {
    /// The `errorCode`.
    pub(crate) const ERROR_CODE: &'static str = "notAuthorizedError";
    /// The fixed `errorMessage` that goes with the code.
    pub(crate) const ERROR_MESSAGE: &'static str = "The request is not authorized.";

    /// The error body in the `compat` dialect (`reportDefinition` when the
    /// service writes it too).
    pub(crate) fn to_json(self, compat: Compatibility) -> String {
        let body = ErrorBody {
            error_code: Unauthorized::ERROR_CODE.to_owned(),
            error_message: Some(Unauthorized::ERROR_MESSAGE.to_owned()),
            detailed_message: Some(self.to_string()),
            report_definition: compat == Compatibility::OptimizeServer,
        };
        serde_json::to_string(&body).unwrap_or_default()
    }

    /// The whole answer, the one place that decides it: 401, the
    /// challenge, and the JSON body.
    pub(crate) fn response(self, compat: Compatibility) -> Response<BackupBody> {
        let mut response = Response::new(BackupBody::from(self.to_json(compat)));
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE));
        response
    }
}

/// Why the access token cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// The token file is missing, unreadable or empty.
    #[error(transparent)]
    File(#[from] FileError),
    /// A token no client could send in a header.
    #[error("the auth token file {} holds whitespace or characters that cannot be sent in an HTTP header; the token must be printable ASCII without spaces", path.display())]
    NotSendable {
        /// The token file.
        path: PathBuf,
    },
}

/// The token clients must present, kept as its SHA-256 digest. `Debug`
/// shows nothing of it.
#[derive(Clone)]
pub(crate) struct AccessToken {
    digest: [u8; 32],
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl AccessToken {
    /// Reads the token from `path` (a trailing newline is dropped). An
    /// empty file is an error: an empty token would be a lock anyone opens.
    pub(crate) fn from_file(path: &Path) -> Result<AccessToken, TokenError> {
        let token = read_secret(path, "auth token")?;
        AccessToken::new(token.expose()).ok_or_else(|| TokenError::NotSendable {
            path: path.to_owned(),
        })
    }

    /// The token itself; `None` when it is empty or holds bytes other than
    /// printable ASCII without spaces (RFC 6750 `b64token` and more).
    pub(crate) fn new(token: &str) -> Option<AccessToken> {
        let sendable = !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic());
        sendable.then(|| AccessToken {
            digest: sha256(token.as_bytes()),
        })
    }

    /// Whether `headers` carry exactly one `Authorization: Bearer` with
    /// this token. The scheme name is case-insensitive (RFC 7235).
    fn admits(&self, headers: &HeaderMap) -> bool {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            // None, or several: which one would count is ambiguous.
            return false;
        };
        let Some(presented) = bearer_credentials(value) else {
            return false;
        };
        sha256(presented).ct_eq(&self.digest).into()
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut digest = [0u8; 32];
    digest.copy_from_slice(&Sha256::digest(bytes));
    digest
}

/// The credentials of a `Bearer` authorization header value.
fn bearer_credentials(value: &HeaderValue) -> Option<&[u8]> {
    let bytes = value.as_bytes();
    let space = bytes.iter().position(|&b| b == b' ')?;
    let (scheme, rest) = bytes.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"Bearer") {
        return None;
    }
    Some(rest.trim_ascii())
}

/// A [`Layer`] that puts [`RequireBearer`] in front of a service, e.g.
/// `RequireBearerLayer::new(token, compat).layer(backup_service)` (see
/// `main.rs`; the unit tests below drive it with `tower::ServiceExt`).
#[derive(Clone, Debug)]
pub(crate) struct RequireBearerLayer {
    token: Arc<AccessToken>,
    compat: Compatibility,
    counted_in: Option<AnswerCounter>,
}

impl RequireBearerLayer {
    /// Requires `token`; refusals are written in the `compat` dialect
    /// (so `reportDefinition` appears when the service writes it too).
    pub(crate) fn new(token: AccessToken, compat: Compatibility) -> RequireBearerLayer {
        RequireBearerLayer {
            token: Arc::new(token),
            compat,
            counted_in: None,
        }
    }

    /// Counts every refusal with `counter` (SPEC §11: a refused request is
    /// counted, though it never reaches the service or the store). Nothing
    /// is counted when the service has no metrics.
    pub(crate) fn counting_in(mut self, counter: AnswerCounter) -> RequireBearerLayer {
        self.counted_in = Some(counter);
        self
    }
}

impl<S> Layer<S> for RequireBearerLayer {
    type Service = RequireBearer<S>;

    fn layer(&self, inner: S) -> RequireBearer<S> {
        RequireBearer {
            inner,
            token: Arc::clone(&self.token),
            compat: self.compat,
            counted_in: self.counted_in.clone(),
        }
    }
}

/// Answers 401 unless the request carries the bearer token; passes the
/// rest to the inner service.
#[derive(Clone, Debug)]
pub(crate) struct RequireBearer<S> {
    inner: S,
    token: Arc<AccessToken>,
    compat: Compatibility,
    counted_in: Option<AnswerCounter>,
}

impl<S, B> Service<Request<B>> for RequireBearer<S>
where
    S: Service<Request<B>, Response = Response<BackupBody>>,
    S::Future: Unpin,
{
    type Response = Response<BackupBody>;
    type Error = S::Error;
    type Future = AuthFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> AuthFuture<S::Future> {
        if self.token.admits(request.headers()) {
            return AuthFuture {
                kind: Kind::Admitted(self.inner.call(request)),
            };
        }
        // The path only: a query string is the client's and may hold anything.
        tracing::info!(
            method = %request.method(),
            path = request.uri().path(),
            status = 401,
            "refused: missing or wrong bearer token",
        );
        let response = Unauthorized.response(self.compat);
        if let Some(counter) = &self.counted_in {
            counter.count(
                request.method(),
                request.uri().path(),
                response.status(),
                std::time::Duration::ZERO,
            );
        }
        AuthFuture {
            kind: Kind::Refused(Some(response)),
        }
    }
}

/// The future of [`RequireBearer`]: the inner service's answer, or the 401.
pub(crate) struct AuthFuture<F> {
    kind: Kind<F>,
}

enum Kind<F> {
    Admitted(F),
    Refused(Option<Response<BackupBody>>),
}

impl<F> fmt::Debug for AuthFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthFuture")
    }
}

impl<F, E> Future for AuthFuture<F>
where
    F: Future<Output = Result<Response<BackupBody>, E>> + Unpin,
{
    type Output = Result<Response<BackupBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().kind {
            Kind::Admitted(future) => Pin::new(future).poll(cx),
            Kind::Refused(response) => Poll::Ready(Ok(response
                .take()
                .expect("AuthFuture polled after completion"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backup_actuator_core::BackupPlan;
    use backup_actuator_service::BackupService;
    use backup_actuator_store::MemoryStore;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty};
    use tower::ServiceExt;

    const TOKEN: &str = "s3cr3t-TOKEN-abc";

    fn service(compat: Compatibility) -> RequireBearer<BackupService> {
        let backups = BackupService::builder(
            Arc::new(MemoryStore::new()),
            BackupPlan::optimize("8.6.0").unwrap(),
        )
        .repository("backups")
        .compatibility(compat)
        .build();
        RequireBearerLayer::new(AccessToken::new(TOKEN).unwrap(), compat).layer(backups)
    }

    async fn send(
        compat: Compatibility,
        path: &str,
        authorization: &[&str],
    ) -> (u16, HeaderMap, String) {
        let mut request = Request::get(path);
        for value in authorization {
            request = request.header(AUTHORIZATION, *value);
        }
        let request = request.body(Empty::<Bytes>::new()).unwrap();
        let response = service(compat).oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_right_token_reaches_the_service() {
        let bearer = format!("Bearer {TOKEN}");
        let (status, _, body) =
            send(Compatibility::Documented, "/actuator/backups", &[&bearer]).await;
        assert_eq!((status, body.as_str()), (200, "[]"));
        // The scheme is case-insensitive; surrounding spaces are not part of the token.
        let lower = format!("bearer  {TOKEN} ");
        assert_eq!(
            send(Compatibility::Documented, "/actuator/backups", &[&lower])
                .await
                .0,
            200
        );
        // Unknown paths too get past the check, to the service's 404.
        assert_eq!(
            send(Compatibility::Documented, "/elsewhere", &[&bearer])
                .await
                .0,
            404
        );
    }

    #[tokio::test]
    async fn anything_else_is_401_not_authorized_with_a_challenge() {
        let wrong = [
            vec![],
            vec!["Bearer wrong"],
            vec!["Bearer s3cr3t-TOKEN-ab"],
            vec!["Bearer s3cr3t-TOKEN-abcd"],
            vec!["Bearer"],
            vec!["Bearer "],
            vec![TOKEN],
            vec!["Basic czNjcjN0LVRPS0VOLWFiYw=="],
            vec!["Token s3cr3t-TOKEN-abc"],
        ];
        for authorization in wrong {
            for path in [
                "/actuator/backups",
                "/actuator/backups/1",
                "/elsewhere",
                "/",
            ] {
                let (status, headers, body) =
                    send(Compatibility::Documented, path, &authorization).await;
                assert_eq!(status, 401, "{authorization:?} {path}");
                assert_eq!(headers[WWW_AUTHENTICATE], CHALLENGE);
                assert_eq!(headers["content-type"], "application/json");
                assert_eq!(
                    body,
                    r#"{"errorCode":"notAuthorizedError","errorMessage":"The request is not authorized.","detailedMessage":"A valid bearer token is required to access this resource."}"#
                );
                assert!(
                    body.contains(r#""errorCode":"notAuthorizedError""#),
                    "{body}"
                );
                assert!(!body.contains(TOKEN));
            }
        }
    }

    #[tokio::test]
    async fn two_authorization_headers_are_refused() {
        let bearer = format!("Bearer {TOKEN}");
        let (status, _, _) = send(
            Compatibility::Documented,
            "/actuator/backups",
            &[&bearer, "Bearer other"],
        )
        .await;
        assert_eq!(status, 401);
    }

    #[tokio::test]
    async fn the_refusal_follows_the_compat_dialect() {
        let (_, _, body) = send(Compatibility::OptimizeServer, "/actuator/backups", &[]).await;
        assert_eq!(
            body,
            r#"{"errorCode":"notAuthorizedError","errorMessage":"The request is not authorized.","detailedMessage":"A valid bearer token is required to access this resource.","reportDefinition":null}"#
        );
    }

    #[tokio::test]
    async fn a_refused_request_is_counted_but_never_reaches_the_store() {
        use backup_actuator_service::BackupMetrics;
        let metrics = BackupMetrics::new();
        let backups = BackupService::builder(
            Arc::new(MemoryStore::new()),
            BackupPlan::optimize("8.6.0").unwrap(),
        )
        .repository("backups")
        .metrics(metrics.clone())
        .build();
        let gate =
            RequireBearerLayer::new(AccessToken::new(TOKEN).unwrap(), Compatibility::Documented)
                .counting_in(backups.answer_counter())
                .layer(backups);
        let request = Request::get("/actuator/backups")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = gate.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 401);
        let request = Request::get("/actuator/prometheus")
            .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = gate.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let text = String::from_utf8(
            response
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap();
        assert!(
            text.contains(r#"backup_actuator_http_requests_total{route="/backups",method="GET",status="401"} 1"#),
            "{text}"
        );
        assert!(!text.contains("find_snapshots"), "{text}");
    }

    #[test]
    fn unsendable_or_empty_tokens_are_refused() {
        assert!(AccessToken::new("").is_none());
        assert!(AccessToken::new("with space").is_none());
        assert!(AccessToken::new("tab\there").is_none());
        assert!(AccessToken::new("ünïcode").is_none());
        assert!(AccessToken::new("abc.DEF-123_~+/=").is_some());
    }

    #[test]
    fn debug_shows_no_token_material() {
        let printed = format!("{:?}", AccessToken::new(TOKEN).unwrap());
        assert_eq!(printed, "AccessToken([redacted])");
    }
}
