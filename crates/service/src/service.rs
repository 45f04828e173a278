//! [`BackupService`]: the backup API as a tower service over a
//! [`BackupEngine`]. Its configuration is in `builder.rs`, the step from
//! route to engine operation in `handlers.rs`.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use backup_actuator_core::{BackupPlan, Compatibility};
use backup_actuator_engine::BackupEngine;
use backup_actuator_store::SnapshotStore;
use http::{Request, Response};
use http_body::Body;
use tracing::Instrument;

use crate::response::BackupBody;
use crate::route::{match_route, Route};
use crate::shared::ServiceState;
use crate::trace::RequestTrace;

/// The backup API of SPEC §1 as a [`tower_service::Service`].
///
/// It answers the backup routes under its base path (default `/actuator`)
/// and every other path with 404 `notFoundError`. To serve other routes
/// beside it, wrap them with [`BackupLayer`](crate::BackupLayer) instead. Clones share the store,
/// the configuration, and the lock that serialises triggers.
///
/// A request is checked in this order, and the first failure answers:
/// path (404), method (405 with `Allow`), id in the path (400), POST body
/// (413, 400), repository configured (400), then the store.
///
/// ```
/// use std::sync::Arc;
/// use backup_actuator_core::BackupPlan;
/// use backup_actuator_service::BackupService;
/// use backup_actuator_store::MemoryStore;
/// use http::Request;
/// use http_body_util::{BodyExt, Empty};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let service = BackupService::builder(
///     Arc::new(MemoryStore::new()),
///     BackupPlan::optimize("8.6.0").unwrap(),
/// )
/// .repository("backups")
/// .build();
///
/// let request = Request::get("/actuator/backups").body(Empty::<bytes::Bytes>::new()).unwrap();
/// let response = service.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// let body = response.into_body().collect().await.unwrap().to_bytes();
/// assert_eq!(&body[..], b"[]");
/// # }
/// ```
#[derive(Clone)]
pub struct BackupService {
    state: Arc<ServiceState>,
}

impl fmt::Debug for BackupService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.state.debug_as("BackupService", f)
    }
}

impl BackupService {
    /// The service of a finished configuration (see `BackupServiceBuilder::build`).
    pub(crate) fn from_state(state: ServiceState) -> BackupService {
        BackupService {
            state: Arc::new(state),
        }
    }

    /// The engine this service hosts: trigger, read, list and delete
    /// backups from your own code, as the routes do.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::{BackupId, BackupPlan};
    /// use backup_actuator_service::BackupService;
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build();
    /// let id = BackupId::new(3).unwrap();
    /// service.engine().trigger(id, None).await.unwrap();
    /// assert_eq!(service.engine().get(id).await.unwrap().details.len(), 2);
    /// # }
    /// ```
    pub fn engine(&self) -> &BackupEngine {
        &self.state.engine
    }

    /// The base path the routes sit under (normalised: `""` for the root,
    /// otherwise starting with `/` and without a trailing `/`).
    pub fn base_path(&self) -> &str {
        &self.state.base_path
    }

    /// The configured repository, if any.
    pub fn repository(&self) -> Option<&str> {
        self.state.engine.repository()
    }

    /// The API dialect.
    pub fn compatibility(&self) -> Compatibility {
        self.state.engine.compatibility()
    }

    /// The store, e.g. for [`SnapshotStore::describe`] in a startup log.
    pub fn store(&self) -> &Arc<dyn SnapshotStore> {
        self.state.engine.store()
    }

    /// The plan backups are made by.
    pub fn plan(&self) -> &BackupPlan {
        self.state.engine.plan()
    }

    /// Whether a request path is one of the backup routes (whatever the
    /// method or id); [`BackupLayer`](crate::BackupLayer) passes every
    /// other path on.
    pub fn handles_path(&self, path: &str) -> bool {
        self.route_of(path).is_some()
    }

    /// The route a request path takes, `None` for a path the API does not
    /// take: the one match of a request.
    pub(crate) fn route_of(&self, path: &str) -> Option<Route> {
        match_route(&self.state.base_path, path, self.state.routes)
    }

    /// Answers a request whose path was matched to `route` already, by
    /// [`BackupService::call`] or by the layer in front.
    pub(crate) fn call_route<B>(&self, route: Option<Route>, request: Request<B>) -> ResponseFuture
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let state = Arc::clone(&self.state);
        let trace = RequestTrace::start(route, request.method());
        let span = trace.span();
        let future = async move {
            let response = state.respond(route, request).await;
            trace.finish(response.status(), &state.metrics);
            Ok(response)
        };
        ResponseFuture {
            inner: Box::pin(future.instrument(span)),
        }
    }

    /// The metrics this service feeds and serves, if built with
    /// [`BackupServiceBuilder::metrics`](crate::BackupServiceBuilder::metrics).
    #[cfg(feature = "metrics")]
    pub fn metrics(&self) -> Option<&crate::BackupMetrics> {
        self.state.metrics.metrics()
    }

    /// A handle that counts answers a layer in front of this service gave
    /// on its behalf (a token gate's 401), under the route the path would
    /// have taken; the layer keeps it instead of the service.
    #[cfg(feature = "metrics")]
    pub fn answer_counter(&self) -> crate::AnswerCounter {
        crate::AnswerCounter {
            base_path: self.state.base_path.clone(),
            routes: self.state.routes,
            metrics: self.state.metrics.clone(),
        }
    }
}

/// The future of [`BackupService`]'s answer; it never fails.
pub struct ResponseFuture {
    inner: Pin<Box<dyn Future<Output = Result<Response<BackupBody>, Infallible>> + Send>>,
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseFuture")
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<BackupBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<B> tower_service::Service<Request<B>> for BackupService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    type Response = Response<BackupBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ResponseFuture {
        let route = self.route_of(request.uri().path());
        self.call_route(route, request)
    }
}
