//! The hyper server: accept loop, request recording, fault injection, response bodies.

use std::error::Error as StdError;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::{self, Rendered, Req};
use crate::model::{FaultKind, RecordedRequest};
use crate::state::Core;
use crate::url::parse_query;

type BoxError = Box<dyn StdError + Send + Sync>;

/// The response body: whole, or deliberately broken after a prefix.
pub(crate) enum EmuBody {
    Full(Option<Bytes>),
    Broken {
        first: Option<Bytes>,
        /// `Some(len)`: announce this Content-Length; `None`: chunked.
        announced: Option<u64>,
        pause: Pin<Box<tokio::time::Sleep>>,
    },
}

#[derive(Debug)]
struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection deliberately broken by an injected fault")
    }
}

impl StdError for Aborted {}

impl Body for EmuBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            EmuBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            EmuBody::Broken { first, pause, .. } => {
                if let Some(b) = first.take() {
                    return Poll::Ready(Some(Ok(Frame::data(b))));
                }
                // Let hyper flush the prefix before the connection is torn down.
                match pause.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(Aborted)))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, EmuBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            EmuBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            EmuBody::Full(None) => SizeHint::with_exact(0),
            EmuBody::Broken {
                announced: Some(n), ..
            } => SizeHint::with_exact(*n),
            EmuBody::Broken {
                announced: None, ..
            } => SizeHint::default(),
        }
    }
}

use std::future::Future as _;

fn build_response(r: Rendered, body: EmuBody) -> Response<EmuBody> {
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in r.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().append(name, value);
        }
    }
    resp
}

fn half(b: &Bytes) -> Bytes {
    b.slice(..b.len() / 2)
}

/// A request read whole, owned so that a late handling can move it into a task.
struct Received {
    method: Method,
    headers: HeaderMap,
    raw_path: String,
    raw_query: Option<String>,
    query: Vec<(String, String)>,
    body: Bytes,
}

impl Received {
    async fn read(req: Request<Incoming>) -> Received {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let raw_query = parts.uri.query().map(str::to_string);
        Received {
            query: parse_query(raw_query.as_deref()),
            raw_path: parts.uri.path().to_string(),
            raw_query,
            method: parts.method,
            headers: parts.headers,
            body,
        }
    }

    fn as_req(&self) -> Req<'_> {
        Req {
            method: &self.method,
            raw_path: &self.raw_path,
            raw_query: self.raw_query.as_deref(),
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// One request: record, apply faults, handle.
async fn serve_one(core: Arc<Core>, req: Request<Incoming>) -> Result<Response<EmuBody>, BoxError> {
    let received = Received::read(req).await;
    let fault = record_and_pick_fault(&core, &received);
    match &fault {
        Some(FaultKind::Delay(d)) => tokio::time::sleep(*d).await,
        Some(FaultKind::CloseConnection) => return Err(Box::new(Aborted)),
        Some(FaultKind::Respond {
            status,
            content_type,
            body,
        }) => {
            let mut resp = Response::new(EmuBody::Full(Some(body.clone())));
            *resp.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
            if let Ok(v) = HeaderValue::from_str(content_type) {
                resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
            }
            return Ok(resp);
        }
        _ => {}
    }
    let rendered = if let Some(FaultKind::HandleLate(delay)) = &fault {
        // In a task of its own, so that a client that hangs up does not
        // cancel the change.
        let (delay, core) = (*delay, core.clone());
        let late = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            api::handle(&core, &received.as_req())
        });
        late.await.map_err(|_| Box::new(Aborted) as BoxError)?
    } else {
        api::handle(&core, &received.as_req())
    };
    deliver(fault, rendered)
}

/// Records the request (before any fault or auth applies) and takes the first matching
/// fault with uses left, spending one use.
fn record_and_pick_fault(core: &Core, received: &Received) -> Option<FaultKind> {
    let mut state = core.state.lock().unwrap_or_else(|p| p.into_inner());
    state.requests.push(RecordedRequest {
        method: received.method.clone(),
        path: received.raw_path.clone(),
        query: received.query.clone(),
        headers: received.headers.clone(),
        body: received.body.clone(),
    });
    let fault = state
        .faults
        .iter_mut()
        .find(|f| f.times != Some(0) && f.matches(&received.method, &received.raw_path))?;
    if let Some(t) = fault.times.as_mut() {
        *t -= 1;
    }
    Some(fault.kind.clone())
}

/// The handled answer as the fault (if any) wants it delivered: dropped, cut short,
/// made malformed, or whole.
fn deliver(fault: Option<FaultKind>, rendered: Rendered) -> Result<Response<EmuBody>, BoxError> {
    let pause = || Box::pin(tokio::time::sleep(Duration::from_millis(20)));
    Ok(match fault {
        Some(FaultKind::CloseAfterHandling) => return Err(Box::new(Aborted)),
        Some(FaultKind::ResetMidBody) => {
            let first = half(&rendered.body);
            build_response(
                rendered,
                EmuBody::Broken {
                    first: Some(first),
                    announced: None,
                    pause: pause(),
                },
            )
        }
        Some(FaultKind::Truncated) => {
            let first = half(&rendered.body);
            let n = rendered.body.len() as u64;
            build_response(
                rendered,
                EmuBody::Broken {
                    first: Some(first),
                    announced: Some(n),
                    pause: pause(),
                },
            )
        }
        Some(FaultKind::Malformed) => {
            let mut r = rendered;
            r.status = 200;
            let mut b = half(&r.body).to_vec();
            if b.is_empty() {
                b = b"{".to_vec();
            }
            build_response(r, EmuBody::Full(Some(Bytes::from(b))))
        }
        _ => {
            let body = rendered.body.clone();
            let empty = body.is_empty();
            build_response(
                rendered,
                EmuBody::Full(if empty { None } else { Some(body) }),
            )
        }
    })
}

/// Accepts connections until `shutdown` flips to `true` (or its sender is dropped).
pub(crate) async fn run(
    listener: TcpListener,
    core: Arc<Core>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let conn_rx = shutdown.clone();
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let core = core.clone();
                let mut conn_shutdown = conn_rx;
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| serve_one(core.clone(), req));
                    let mut builder = hyper::server::conn::http1::Builder::new();
                    // Real servers send no Date header.
                    builder.auto_date_header(false).keep_alive(true);
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = conn_shutdown.wait_for(|v| *v) => {}
                    }
                });
            }
            _ = shutdown.wait_for(|v| *v) => break,
        }
    }
}
