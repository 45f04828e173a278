//! [`BackupService`]: the backup API as a tower service. Its configuration
//! is in `builder.rs`, the operations in `handlers.rs`.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
#[cfg(feature = "metrics")]
use std::time::Duration;

use backup_actuator_core::{
    ApiError, BackupId, BackupPlan, Compatibility, SnapshotRecord, Trigger,
};
use backup_actuator_store::SnapshotStore;
#[cfg(feature = "metrics")]
use http::StatusCode;
use http::{Request, Response};
use http_body::Body;
use tracing::Instrument;

use crate::response::BackupBody;
use crate::route::{match_route, Route};
use crate::shared::Shared;
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
    shared: Arc<Shared>,
}

impl fmt::Debug for BackupService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.debug_as("BackupService", f)
    }
}

impl BackupService {
    /// The service of a finished configuration (see `BackupServiceBuilder::build`).
    pub(crate) fn from_shared(shared: Shared) -> BackupService {
        BackupService {
            shared: Arc::new(shared),
        }
    }

    /// The base path the routes sit under (normalised: `""` for the root,
    /// otherwise starting with `/` and without a trailing `/`).
    pub fn base_path(&self) -> &str {
        &self.shared.base_path
    }

    /// The configured repository, if any.
    pub fn repository(&self) -> Option<&str> {
        self.shared.repository.as_deref()
    }

    /// The API dialect.
    pub fn compatibility(&self) -> Compatibility {
        self.shared.compat
    }

    /// The store, e.g. for [`SnapshotStore::describe`] in a startup log.
    pub fn store(&self) -> &Arc<dyn SnapshotStore> {
        &self.shared.store
    }

    /// The plan backups are made by.
    pub fn plan(&self) -> &BackupPlan {
        &self.shared.plan
    }

    /// Starts backup `id` as POST does (SPEC §6: look-up, 409 if any part
    /// of the id exists, create every part, roll back on a refusal), with
    /// `trigger` in every part's metadata; serialised with the POSTs of
    /// this service. Returns the names of the parts created.
    ///
    /// This is how a [`BackupSchedule`](https://docs.rs/backup-actuator-schedule)
    /// triggers its slots without going through HTTP.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::{ApiError, BackupId, BackupPlan, Trigger};
    /// use backup_actuator_service::BackupService;
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build();
    /// let id = BackupId::new(20260101000000).unwrap();
    /// let created = service.create_backup(id, Trigger::Schedule).await.unwrap();
    /// assert_eq!(created.len(), 2);
    /// assert!(matches!(
    ///     service.create_backup(id, Trigger::Schedule).await,
    ///     Err(ApiError::BackupExists { .. })
    /// ));
    /// # }
    /// ```
    pub async fn create_backup(
        &self,
        id: BackupId,
        trigger: Trigger,
    ) -> Result<Vec<String>, ApiError> {
        self.shared.create(id, Some(trigger)).await
    }

    /// Deletes backup `id` as DELETE does (SPEC §6: only names that parse
    /// as its parts, retried when one vanished meanwhile). Returns the names
    /// deleted; empty when nothing of it was found.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::{BackupId, BackupPlan, Trigger};
    /// use backup_actuator_service::BackupService;
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build();
    /// let id = BackupId::new(3).unwrap();
    /// service.create_backup(id, Trigger::Schedule).await.unwrap();
    /// assert_eq!(service.delete_backup(id).await.unwrap().len(), 2);
    /// assert!(service.delete_backup(id).await.unwrap().is_empty());
    /// # }
    /// ```
    pub async fn delete_backup(&self, id: BackupId) -> Result<Vec<String>, ApiError> {
        self.shared.remove(id).await
    }

    /// The snapshots of backup `id`, or of every backup with `None`, in
    /// the configured repository, looked up as GET does; a store error
    /// comes back as the API error GET would answer with. This is how a
    /// scheduler reads the backups it watches and retains.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::{BackupId, BackupPlan, Trigger};
    /// use backup_actuator_service::BackupService;
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build();
    /// let id = BackupId::new(3).unwrap();
    /// service.create_backup(id, Trigger::Schedule).await.unwrap();
    /// assert_eq!(service.find_snapshots(Some(id)).await.unwrap().len(), 2);
    /// assert_eq!(service.find_snapshots(None).await.unwrap().len(), 2);
    /// # }
    /// ```
    pub async fn find_snapshots(
        &self,
        id: Option<BackupId>,
    ) -> Result<Vec<SnapshotRecord>, ApiError> {
        self.shared.find(id).await
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
        match_route(&self.shared.base_path, path, self.shared.extras)
    }

    /// Answers a request whose path was matched to `route` already, by
    /// [`BackupService::call`] or by the layer in front.
    pub(crate) fn call_route<B>(&self, route: Option<Route>, request: Request<B>) -> ResponseFuture
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let shared = Arc::clone(&self.shared);
        let trace = RequestTrace::start(route, request.method());
        let span = trace.span();
        let future = async move {
            let response = shared.respond(route, request).await;
            trace.finish(response.status(), &shared.observer);
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
        self.shared.observer.metrics()
    }

    /// Counts an answer that a layer in front of this service gave on its
    /// behalf — a token gate's 401 — under the route `path` would have
    /// taken, so refused requests show in the metrics although they never
    /// reach the service (or the store). Does nothing without metrics.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use backup_actuator_core::BackupPlan;
    /// use backup_actuator_service::{BackupMetrics, BackupService};
    /// use backup_actuator_store::MemoryStore;
    /// use http::{Method, StatusCode};
    ///
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .metrics(BackupMetrics::new())
    ///     .build();
    /// service.count_answer(&Method::DELETE, "/actuator/backups/7", StatusCode::UNAUTHORIZED, Duration::ZERO);
    /// let text = service.metrics().unwrap().encode();
    /// assert!(text.contains(r#"backup_actuator_http_requests_total{route="/backups/{id}",method="DELETE",status="401"} 1"#));
    /// ```
    #[cfg(feature = "metrics")]
    pub fn count_answer(
        &self,
        method: &http::Method,
        path: &str,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let route = self.route_of(path);
        crate::trace::count_answer(&self.shared.observer, route, method, status, elapsed);
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
