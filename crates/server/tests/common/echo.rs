//! A fake cluster (or proxy) that echoes back the request it got, in one
//! of sixteen ways, on the requests it is told to; every other request is
//! answered as an Elasticsearch 7.17 node with backup 5 in repository
//! `backups` would answer it. Also serves as a fake backup API for the
//! command-line client, which it echoes the same way.
//!
//! The echo is of what actually arrived: the request line, every header
//! (the `Authorization` the client built from its credentials), and, for
//! basic authentication, the decoded `user:password`, as a debugging proxy
//! would show it.

#![allow(dead_code)] // Each suite uses its own part of the helpers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::prelude::{Engine as _, BASE64_STANDARD, BASE64_URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// How the request comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 401 error envelope whose reason is the request.
    EnvelopeReason,
    /// 401 `text/plain`: the request.
    PlainText,
    /// 500 `text/html`: the request in a `<pre>`.
    HtmlPage,
    /// 200 `text/html`, `authorization: <value>`: an unreadable success.
    UnreadableSuccess,
    /// 200 JSON that is no answer of the route, the request JSON-escaped.
    JsonEscaped,
    /// 403 AWS-style `{"Message": request}`.
    AwsMessage,
    /// 400: the request, base64.
    Base64Request,
    /// 400: the request, percent-encoded.
    PercentRequest,
    /// 307 to `/followed?echo=<the header value, percent-encoded>`.
    RedirectQuery,
    /// 302 to `http://user:password@…/followed?auth=<base64 of the value>`.
    RedirectUserinfo,
    /// 301 to `/followed/<base64url of the value>`, the request in the body.
    RedirectPath,
    /// 200: backup 5's parts, and a snapshot named after the credential.
    SnapshotName,
    /// 200: backup 5's parts, part 1 FAILED with the request as the reason.
    FailureReason,
    /// 500: 12 characters from the middle of the header's base64.
    Base64Fragment,
    /// 404 `repository_missing_exception` quoting the request.
    RepositoryMissing,
    /// 500 envelope, the request JSON-escaped with `/` written `\/`.
    SlashEscaped,
}

impl Kind {
    /// Every kind.
    pub(crate) const ALL: [Kind; 16] = [
        Kind::EnvelopeReason,
        Kind::PlainText,
        Kind::HtmlPage,
        Kind::UnreadableSuccess,
        Kind::JsonEscaped,
        Kind::AwsMessage,
        Kind::Base64Request,
        Kind::PercentRequest,
        Kind::RedirectQuery,
        Kind::RedirectUserinfo,
        Kind::RedirectPath,
        Kind::SnapshotName,
        Kind::FailureReason,
        Kind::Base64Fragment,
        Kind::RepositoryMissing,
        Kind::SlashEscaped,
    ];
}

/// Which requests are echoed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// None: a well-behaved cluster.
    Nothing,
    /// `GET /`.
    Root,
    /// `GET /_snapshot/backups/{names}` (lookups and a restore's reads).
    Lookup,
    /// `GET /_snapshot/backups` (the health check).
    Repository,
    /// `PUT /_snapshot/…` (a create).
    Create,
    /// `DELETE /_snapshot/…`.
    Delete,
    /// Every request.
    Everything,
}

/// The server's version, as its snapshot names carry it.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A running fake on its own runtime.
pub(crate) struct Echo {
    pub addr: SocketAddr,
    mode: Arc<Mutex<(Kind, Target)>>,
    followed: Arc<AtomicUsize>,
    runtime: tokio::runtime::Runtime,
}

impl Echo {
    pub(crate) fn start() -> Echo {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(Mutex::new((Kind::PlainText, Target::Nothing)));
        let followed = Arc::new(AtomicUsize::new(0));
        let (shared_mode, shared_followed) = (Arc::clone(&mode), Arc::clone(&followed));
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let mode = Arc::clone(&shared_mode);
                let followed = Arc::clone(&shared_followed);
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let (kind, target) = *mode.lock().unwrap();
                        let response = answer(&request, kind, target, addr, &followed);
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Echo {
            addr,
            mode,
            followed,
            runtime,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Echo `kind` on the `target` requests from now on.
    pub(crate) fn set(&self, kind: Kind, target: Target) {
        *self.mode.lock().unwrap() = (kind, target);
    }

    /// How many requests reached a redirect's target: a client that
    /// follows redirects would raise it.
    pub(crate) fn followed(&self) -> usize {
        self.followed.load(Ordering::SeqCst)
    }
}

fn targeted(method: &Method, path: &str, target: Target) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let snapshot = segments.first() == Some(&"_snapshot");
    match target {
        Target::Nothing => false,
        Target::Everything => true,
        Target::Root => method == Method::GET && path == "/",
        Target::Lookup => method == Method::GET && snapshot && segments.len() == 3,
        Target::Repository => method == Method::GET && snapshot && segments.len() == 2,
        Target::Create => method == Method::PUT && snapshot,
        Target::Delete => method == Method::DELETE && snapshot,
    }
}

/// What a proxy's debug page shows of the request.
fn echoed(request: &Request<Incoming>) -> (String, String) {
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method(), request.uri());
    for (name, value) in request.headers() {
        head.push_str(&format!(
            "{name}: {}\r\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    let authorization = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    if let Some(encoded) = authorization.strip_prefix("Basic ") {
        if let Ok(decoded) = BASE64_STANDARD.decode(encoded) {
            head.push_str(&format!(
                "x-decoded-basic: {}\r\n",
                String::from_utf8_lossy(&decoded)
            ));
        }
    }
    (head, authorization)
}

fn response(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_str(content_type).unwrap());
    response
}

fn json(status: u16, value: serde_json::Value) -> Response<Full<Bytes>> {
    response(status, "application/json", value.to_string())
}

fn redirect(status: u16, location: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = response(status, "text/plain", body);
    // A location with bytes no header may carry is sent percent-encoded.
    let value = HeaderValue::from_str(location).unwrap_or_else(|_| {
        HeaderValue::from_str(&percent(location)).expect("percent-encoded is ASCII")
    });
    response.headers_mut().insert("location", value);
    response
}

fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn part(n: u32, state: &str, failure: Option<&str>) -> serde_json::Value {
    let failures = match failure {
        Some(reason) => serde_json::json!([{
            "index": "optimize-a", "shard_id": 0, "reason": reason, "node_id": "n", "status": "INTERNAL_SERVER_ERROR"
        }]),
        None => serde_json::json!([]),
    };
    serde_json::json!({
        "snapshot": format!("camunda_optimize_5_{VERSION}_part_{n}_of_2"),
        "uuid": format!("u{n}"),
        "state": state,
        "start_time_in_millis": 1_731_585_600_000_i64,
        "indices": [format!("optimize-{n}")],
        "failures": failures,
        "metadata": {"backupId": 5, "version": VERSION, "partNo": n, "partCount": 2},
    })
}

fn snapshots(list: Vec<serde_json::Value>) -> Response<Full<Bytes>> {
    let total = list.len();
    json(
        200,
        serde_json::json!({"snapshots": list, "total": total, "remaining": 0}),
    )
}

/// What a well-behaved Elasticsearch 7.17 node with backup 5 answers; for
/// the client, a backup API with backup 5 COMPLETE.
fn benign(method: &Method, path: &str) -> Response<Full<Bytes>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if path.contains("/backups") && segments.first() != Some(&"_snapshot") {
        return benign_api(method, path);
    }
    match (method, segments.as_slice()) {
        (&Method::GET, [""]) => json(
            200,
            serde_json::json!({
                "name": "echo", "cluster_name": "echo",
                "version": {"number": "7.17.0", "build_flavor": "default"},
                "tagline": "You Know, for Search",
            }),
        ),
        (&Method::GET, ["_snapshot", "backups"]) => {
            json(200, serde_json::json!({"backups": {"type": "fs"}}))
        }
        (&Method::GET, ["_snapshot", "backups", _]) => {
            snapshots(vec![part(1, "SUCCESS", None), part(2, "SUCCESS", None)])
        }
        (&Method::PUT, ["_snapshot", ..]) => json(200, serde_json::json!({"accepted": true})),
        (&Method::DELETE, ["_snapshot", ..]) => {
            json(200, serde_json::json!({"acknowledged": true}))
        }
        (&Method::HEAD, [_]) => response(404, "application/json", ""),
        _ => json(
            404,
            serde_json::json!({"error": "no such route in the echo fake"}),
        ),
    }
}

/// The backup API's answers, for the client.
fn benign_api(method: &Method, path: &str) -> Response<Full<Bytes>> {
    let info = serde_json::json!({
        "backupId": 5, "failureReason": null, "state": "COMPLETE",
        "details": [{"snapshotName": format!("camunda_optimize_5_{VERSION}_part_1_of_1"),
                     "state": "SUCCESS", "startTime": "2024-11-14T12:00:00.000+0000", "failures": []}],
    });
    match *method {
        Method::POST => json(
            202,
            serde_json::json!({"message": "Backup creation for ID 5 has been scheduled."}),
        ),
        Method::DELETE => response(204, "application/json", ""),
        _ if path.trim_end_matches('/').ends_with("/backups") => {
            json(200, serde_json::json!([info]))
        }
        _ => json(200, info),
    }
}

fn answer(
    request: &Request<Incoming>,
    kind: Kind,
    target: Target,
    addr: SocketAddr,
    followed: &AtomicUsize,
) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if path.starts_with("/followed") {
        followed.fetch_add(1, Ordering::SeqCst);
        return response(200, "text/plain", "you followed a redirect");
    }
    if !targeted(&method, &path, target) {
        return benign(&method, &path);
    }
    let (head, authorization) = echoed(request);
    let credential = authorization
        .split_once(' ')
        .map_or(authorization.as_str(), |(_, c)| c);
    let api = !path.starts_with("/_snapshot") && path != "/";
    match kind {
        Kind::EnvelopeReason => json(
            401,
            serde_json::json!({
                "error": {"root_cause": [{"type": "security_exception", "reason": head}],
                          "type": "security_exception", "reason": head},
                "status": 401,
            }),
        ),
        Kind::PlainText => response(401, "text/plain", head),
        Kind::HtmlPage => response(500, "text/html", format!("<html><pre>{head}</pre></html>")),
        Kind::UnreadableSuccess => response(
            200,
            "text/html",
            format!("authorization: {authorization}\n{head}"),
        ),
        Kind::JsonEscaped => json(200, serde_json::json!({"echo": {"request": head}})),
        Kind::AwsMessage => json(403, serde_json::json!({"Message": head})),
        Kind::Base64Request => response(400, "text/plain", BASE64_STANDARD.encode(&head)),
        Kind::PercentRequest => response(400, "text/plain", percent(&head)),
        Kind::RedirectQuery => redirect(
            307,
            &format!("/followed?echo={}", percent(&authorization)),
            head,
        ),
        Kind::RedirectUserinfo => {
            let userinfo = match authorization.strip_prefix("Basic ") {
                Some(encoded) => BASE64_STANDARD
                    .decode(encoded)
                    .map(|d| String::from_utf8_lossy(&d).into_owned())
                    .unwrap_or_default(),
                None => format!("token:{credential}"),
            };
            let (user, password) = userinfo.split_once(':').unwrap_or((&userinfo, ""));
            redirect(
                302,
                &format!(
                    "http://{}:{}@{addr}/followed?auth={}",
                    percent(user),
                    percent(password),
                    BASE64_STANDARD.encode(&authorization)
                ),
                String::new(),
            )
        }
        Kind::RedirectPath => redirect(
            301,
            &format!(
                "/followed/{}",
                BASE64_URL_SAFE_NO_PAD.encode(&authorization)
            ),
            head,
        ),
        Kind::SnapshotName if !api => snapshots(vec![
            part(1, "SUCCESS", None),
            part(2, "SUCCESS", None),
            serde_json::json!({
                "snapshot": format!("camunda_optimize_5_{}", percent(credential)),
                "uuid": "x", "state": "SUCCESS", "indices": [], "failures": [],
            }),
        ]),
        Kind::FailureReason if !api => snapshots(vec![
            part(1, "FAILED", Some(&head)),
            part(2, "SUCCESS", None),
        ]),
        // The backup API's versions: a BackupInfo that carries the echo.
        Kind::SnapshotName | Kind::FailureReason => json(
            200,
            serde_json::json!({
                "backupId": 5, "failureReason": head, "state": "FAILED",
                "details": [{"snapshotName": format!("camunda_optimize_5_{}", percent(credential)),
                             "state": "FAILED", "startTime": null, "failures": [head]}],
            }),
        ),
        Kind::Base64Fragment => {
            let encoded = if authorization.starts_with("Basic ") {
                credential.to_owned()
            } else {
                BASE64_STANDARD.encode(credential)
            };
            let middle = encoded.len() / 2;
            let fragment = encoded
                .get(middle.saturating_sub(6)..(middle + 6).min(encoded.len()))
                .unwrap_or("");
            response(500, "text/plain", format!("token fragment: {fragment}"))
        }
        Kind::RepositoryMissing => json(
            404,
            serde_json::json!({
                "error": {"type": "repository_missing_exception", "reason": format!("[{head}] missing")},
                "status": 404,
            }),
        ),
        Kind::SlashEscaped => {
            let escaped = serde_json::to_string(&head).unwrap().replace('/', "\\/");
            response(
                500,
                "application/json",
                format!(
                    r#"{{"error":{{"type":"echo_exception","reason":{escaped}}},"status":500}}"#
                ),
            )
        }
    }
}
