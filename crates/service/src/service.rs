//! [`BackupService`]: the backup API as a tower service.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use backup_actuator_core::{
    ApiError, BackupId, BackupPlan, BackupRequest, BackupRequestError, Backups, Compatibility,
    OutputZone, SnapshotRecord, Trigger, TriggerAccepted,
};
use backup_actuator_store::{SnapshotStore, StoreError};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tracing::{field, Instrument};

use crate::body::BackupBody;
use crate::error::{api_error, error_response, json_response};
use crate::layer::BackupLayer;
use crate::metrics::Observer;
use crate::route::{match_route, normalize_base, Action, Extras, Route};

/// The largest POST body read, in bytes (64 KiB). A longer body is 413
/// `Request body is larger than 65536 bytes`; the body is never read
/// further than that.
///
/// ```
/// assert_eq!(backup_actuator_service::BODY_LIMIT, 65536);
/// ```
pub const BODY_LIMIT: usize = 64 * 1024;

/// The default base path.
///
/// ```
/// # use std::sync::Arc;
/// # use backup_actuator_core::BackupPlan;
/// # use backup_actuator_store::MemoryStore;
/// use backup_actuator_service::{BackupService, DEFAULT_BASE_PATH};
///
/// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("1.0.0").unwrap()).build();
/// assert_eq!(service.base_path(), DEFAULT_BASE_PATH);
/// ```
pub const DEFAULT_BASE_PATH: &str = "/actuator";

/// How many times DELETE looks up and tries again when the cluster reports
/// a name missing (deleted meanwhile): SPEC §6 "at most 3 times", after the
/// first try.
const DELETE_RETRIES: usize = 3;

/// How long a claim may stand before the next POST of its id removes it as
/// left behind by a crashed process, unless the builder says otherwise. It
/// must be longer than any POST can take (see [`BackupServiceBuilder::claim_expiry`]).
pub const DEFAULT_CLAIM_EXPIRY: Duration = Duration::from_secs(600);

/// How long, after a create whose outcome is unknown, the service keeps
/// looking for the part to remove it, unless the builder says otherwise.
pub const DEFAULT_UNKNOWN_OUTCOME_WATCH: Duration = Duration::from_secs(30);

/// The pause between two looks of that watch.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// The backup API of SPEC §1 as a [`tower_service::Service`].
///
/// It answers the backup routes under its base path (default `/actuator`)
/// and every other path with 404 `notFoundError`. To serve other routes
/// beside it, wrap them with [`BackupLayer`] instead. Clones share the store,
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

/// The configuration and the trigger lock, shared by clones; the builder
/// fills one in place.
struct Shared {
    store: Arc<dyn SnapshotStore>,
    plan: BackupPlan,
    repository: Option<String>,
    base_path: String,
    compat: Compatibility,
    zone: OutputZone,
    body_read_timeout: Option<Duration>,
    claim_expiry: Duration,
    unknown_outcome_watch: Duration,
    /// Serialises triggers inside this process (SPEC §6).
    trigger_lock: tokio::sync::Mutex<()>,
    /// Claims of other POSTs this process has seen standing: name and the
    /// cluster's start time, and when this process first saw it. Age is
    /// measured on this process's own clock, so clock skew between the
    /// cluster and this host cannot make a fresh claim look stale.
    claims_seen: std::sync::Mutex<std::collections::HashMap<String, (Option<i64>, Instant)>>,
    /// `{base}/health` and `{base}/prometheus`, when turned on.
    extras: Extras,
    /// How long the store has to answer a health check.
    health_timeout: Duration,
    /// The metrics hooks (no-ops unless metrics are on).
    observer: Observer,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackupService")
            .field("store", &self.store.describe())
            .field("plan", &self.plan)
            .field("repository", &self.repository)
            .field("base_path", &self.base_path)
            .field("compat", &self.compat)
            .field("zone", &self.zone.name())
            .field("body_read_timeout", &self.body_read_timeout)
            .field("claim_expiry", &self.claim_expiry)
            .field("unknown_outcome_watch", &self.unknown_outcome_watch)
            .field("health", &self.extras.health)
            .field("metrics", &self.extras.prometheus)
            .finish()
    }
}

impl fmt::Debug for BackupService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

impl BackupService {
    /// Starts the configuration of a service over `store` that makes
    /// backups by `plan`.
    ///
    /// The service runs on tokio with its time driver on (as `#[tokio::main]`
    /// gives): a POST waits a bounded time for its claim's release.
    pub fn builder(store: Arc<dyn SnapshotStore>, plan: BackupPlan) -> BackupServiceBuilder {
        BackupServiceBuilder {
            shared: Shared {
                store,
                plan,
                repository: None,
                base_path: DEFAULT_BASE_PATH.to_owned(),
                compat: Compatibility::default(),
                zone: OutputZone::utc(),
                body_read_timeout: None,
                claim_expiry: DEFAULT_CLAIM_EXPIRY,
                unknown_outcome_watch: DEFAULT_UNKNOWN_OUTCOME_WATCH,
                trigger_lock: tokio::sync::Mutex::new(()),
                claims_seen: std::sync::Mutex::default(),
                extras: Extras::default(),
                health_timeout: crate::health::DEFAULT_HEALTH_TIMEOUT,
                observer: Observer::default(),
            },
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

    /// Whether a request path is one of the backup routes (whatever the
    /// method or id); [`BackupLayer`] passes every other path on.
    pub fn handles_path(&self, path: &str) -> bool {
        match_route(&self.shared.base_path, path, self.shared.extras).is_some()
    }

    /// The metrics this service feeds and serves, if built with
    /// [`BackupServiceBuilder::metrics`].
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
        let route = match_route(&self.shared.base_path, path, self.shared.extras);
        self.shared.observer.request(
            route.map_or("unknown", Route::template),
            method,
            status,
            elapsed,
        );
    }
}

/// Configures a [`BackupService`]; see [`BackupService::builder`].
///
/// ```
/// use std::sync::Arc;
/// use backup_actuator_core::{BackupPlan, Compatibility, OutputZone};
/// use backup_actuator_service::BackupService;
/// use backup_actuator_store::MemoryStore;
///
/// let service = BackupService::builder(
///     Arc::new(MemoryStore::new()),
///     BackupPlan::optimize("8.6.0-SNAPSHOT").unwrap(),
/// )
/// .repository("backups")
/// .base_path("/management/")
/// .compatibility(Compatibility::OptimizeServer)
/// .time_zone(OutputZone::parse("Europe/Berlin").unwrap())
/// .build();
/// assert_eq!(service.base_path(), "/management");
/// assert_eq!(service.repository(), Some("backups"));
/// assert!(service.handles_path("/management/backups/1"));
/// assert!(!service.handles_path("/management/backups/1/extra"));
/// ```
#[must_use]
pub struct BackupServiceBuilder {
    shared: Shared,
}

impl fmt::Debug for BackupServiceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

impl BackupServiceBuilder {
    /// The snapshot repository. Without one, the service still starts and
    /// every backup route answers 400 (SPEC §7). An empty name counts as none.
    pub fn repository(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.shared.repository = (!name.is_empty()).then_some(name);
        self
    }

    /// The path the routes sit under (default `/actuator`).
    ///
    /// `""` or `"/"` puts them at the root: use that when the host strips
    /// a prefix before the service sees the request, as axum's
    /// `Router::nest_service("/actuator", service)` does. A missing leading
    /// `/` is added and trailing `/` are dropped.
    pub fn base_path(mut self, base_path: impl AsRef<str>) -> Self {
        self.shared.base_path = normalize_base(base_path.as_ref());
        self
    }

    /// The API dialect (default [`Compatibility::Documented`]).
    pub fn compatibility(mut self, compat: Compatibility) -> Self {
        self.shared.compat = compat;
        self
    }

    /// The zone `startTime` is written in (default UTC).
    pub fn time_zone(mut self, zone: OutputZone) -> Self {
        self.shared.zone = zone;
        self
    }

    /// How long a POST body may take to arrive, in full (default: no limit).
    ///
    /// A client that sends headers and then stalls holds its request open
    /// until this passes; it then gets 408 and the connection is closed.
    /// Needs a tokio runtime with its timer enabled, which is why it is off
    /// unless asked for; the stand-alone server sets it.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.shared.body_read_timeout = Some(timeout);
        self
    }

    /// How old a claim (see [`BackupPlan::claim_name`]) must be before a
    /// POST of its id removes it as left behind by a process that crashed
    /// while triggering (default [`DEFAULT_CLAIM_EXPIRY`]).
    ///
    /// It must be longer than any POST can take, including
    /// [`BackupServiceBuilder::unknown_outcome_watch`]: a POST takes at most
    /// `parts + 4` cluster calls, each bounded by the store's request
    /// timeout. A shorter expiry lets a slow POST and a later one both
    /// answer 202.
    ///
    /// ```
    /// # use std::{sync::Arc, time::Duration};
    /// # use backup_actuator_core::BackupPlan;
    /// # use backup_actuator_store::MemoryStore;
    /// use backup_actuator_service::BackupService;
    ///
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .claim_expiry(Duration::from_secs(900))
    ///     .build();
    /// # let _ = service;
    /// ```
    pub fn claim_expiry(mut self, expiry: Duration) -> Self {
        self.shared.claim_expiry = expiry;
        self
    }

    /// After a create whose outcome is unknown (a timeout or a broken
    /// answer), how long the service keeps looking for that part in the
    /// background, to delete it if it appears (default
    /// [`DEFAULT_UNKNOWN_OUTCOME_WATCH`]). The claim of the id is held until
    /// then, so the part found can only be this POST's. Give it at least
    /// twice the store's request timeout.
    ///
    /// ```
    /// # use std::{sync::Arc, time::Duration};
    /// # use backup_actuator_core::BackupPlan;
    /// # use backup_actuator_store::MemoryStore;
    /// use backup_actuator_service::BackupService;
    ///
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .unknown_outcome_watch(Duration::from_secs(60))
    ///     .build();
    /// # let _ = service;
    /// ```
    pub fn unknown_outcome_watch(mut self, watch: Duration) -> Self {
        self.shared.unknown_outcome_watch = watch;
        self
    }

    /// Serves `GET {base}/health` (SPEC §11): 200 `{"status":"UP"}` when
    /// the store answers one cheap call
    /// ([`SnapshotStore::check_health`]) for the repository within
    /// `timeout`, else 503 `{"status":"DOWN","detail":"…"}`. Off by
    /// default, since the host may have a health route of its own. Needs a
    /// tokio runtime with its timer enabled.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::BackupPlan;
    /// use backup_actuator_service::{BackupService, DEFAULT_HEALTH_TIMEOUT};
    /// use backup_actuator_store::MemoryStore;
    ///
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .health(DEFAULT_HEALTH_TIMEOUT)
    ///     .build();
    /// assert!(service.handles_path("/actuator/health"));
    /// ```
    pub fn health(mut self, timeout: Duration) -> Self {
        self.shared.extras.health = true;
        self.shared.health_timeout = timeout;
        self
    }

    /// Feeds `metrics` and serves them at `GET {base}/prometheus` in the
    /// OpenMetrics text format (SPEC §11). Keep a clone to record what
    /// only the host sees (scheduled runs, retention).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::BackupPlan;
    /// use backup_actuator_service::{BackupMetrics, BackupService};
    /// use backup_actuator_store::MemoryStore;
    ///
    /// let metrics = BackupMetrics::new();
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .metrics(metrics.clone())
    ///     .build();
    /// assert!(service.handles_path("/actuator/prometheus"));
    /// ```
    #[cfg(feature = "metrics")]
    pub fn metrics(mut self, metrics: crate::BackupMetrics) -> Self {
        self.shared.extras.prometheus = true;
        self.shared.observer = Observer::new(Some(metrics));
        self
    }

    /// Builds the stand-alone service.
    pub fn build(mut self) -> BackupService {
        self.shared.store = self.shared.observer.wrap_store(self.shared.store);
        BackupService {
            shared: Arc::new(self.shared),
        }
    }

    /// Builds a [`BackupLayer`] that serves the backup routes in front of
    /// another service.
    pub fn build_layer(self) -> BackupLayer {
        BackupLayer::new(self.build())
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
        let shared = Arc::clone(&self.shared);
        let route = match_route(&shared.base_path, request.uri().path(), shared.extras);
        let template = route.map_or("unknown", Route::template);
        let method = request.method().clone();
        let operation = route
            .and_then(|r| r.action(request.method()))
            .map_or("none", Action::name);
        let span = tracing::info_span!(
            "backup_request",
            method = %request.method(),
            route = template,
            operation,
            backup_id = field::Empty,
            status = field::Empty,
            latency_ms = field::Empty,
        );
        let future = async move {
            let started = Instant::now();
            let response = shared.respond(request).await;
            let elapsed = started.elapsed();
            let span = tracing::Span::current();
            span.record("status", response.status().as_u16());
            span.record("latency_ms", elapsed.as_millis() as u64);
            tracing::info!("answered");
            shared
                .observer
                .request(template, &method, response.status(), elapsed);
            Ok(response)
        };
        ResponseFuture {
            inner: Box::pin(future.instrument(span)),
        }
    }
}

impl Shared {
    async fn respond<B>(self: &Arc<Self>, request: Request<B>) -> Response<BackupBody>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        match self.dispatch(request).await {
            Ok(response) => response,
            Err(err) => {
                let response = error_response(&err, self.compat);
                if response.status().is_server_error() {
                    tracing::warn!(error = %err, "backup request failed");
                }
                response
            }
        }
    }

    async fn dispatch<B>(
        self: &Arc<Self>,
        request: Request<B>,
    ) -> Result<Response<BackupBody>, ApiError>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let route = match_route(&self.base_path, parts.uri.path(), self.extras)
            .ok_or(ApiError::UnknownPath)?;
        let action = route
            .action(&parts.method)
            .ok_or_else(|| ApiError::MethodNotAllowed {
                method: parts.method.to_string(),
                allowed: route.allowed(),
            })?;
        match action {
            Action::List => self.list().await,
            Action::Get(segment) => {
                let id = path_id(segment)?;
                self.get(id).await
            }
            Action::Delete(segment) => {
                let id = path_id(segment)?;
                self.delete(id).await
            }
            Action::Trigger => {
                let body = read_body(body, self.body_read_timeout).await?;
                let id = BackupRequest::from_json(&body)?.backup_id;
                tracing::Span::current().record("backup_id", id.get());
                self.trigger(id).await
            }
            Action::Health => Ok(crate::health::respond(
                self.store.as_ref(),
                self.repository.as_deref(),
                self.health_timeout,
            )
            .await),
            Action::Prometheus => self
                .observer
                .prometheus(&parts.headers)
                .ok_or(ApiError::UnknownPath),
        }
    }

    fn repository(&self) -> Result<&str, ApiError> {
        self.repository
            .as_deref()
            .ok_or(ApiError::NoRepositoryConfigured)
    }

    /// Aggregates snapshots, logging the names the plan cannot read.
    fn aggregate(&self, found: Vec<SnapshotRecord>) -> Backups {
        let backups = Backups::from_snapshots(&self.plan, found, &self.zone);
        // A claim is not a part, and no stranger either: not worth a warning.
        for name in backups
            .ignored()
            .iter()
            .filter(|name| self.plan.claim_id(name).is_none())
        {
            tracing::warn!(snapshot = %name, "ignoring a snapshot whose name is not part of a backup");
        }
        backups
    }

    async fn get(&self, id: BackupId) -> Result<Response<BackupBody>, ApiError> {
        let repository = self.repository()?;
        let found = self
            .store
            .find_snapshots(repository, &self.plan.lookup_pattern(id))
            .await
            .map_err(|e| api_error(e, Some(id)))?;
        let backup = self
            .aggregate(found)
            .into_backup(id)
            .ok_or(ApiError::BackupNotFound(id))?;
        self.observer.backup(&backup);
        ok_json(StatusCode::OK, &self.compat.backup(&backup))
    }

    async fn list(&self) -> Result<Response<BackupBody>, ApiError> {
        let repository = self.repository()?;
        let found = self
            .store
            .find_snapshots(repository, &self.plan.list_pattern())
            .await
            .map_err(|e| api_error(e, None))?;
        let (list, _ignored) = self.aggregate(found).into_parts();
        self.observer.backups(&list);
        ok_json(StatusCode::OK, &self.compat.backups(&list))
    }

    async fn trigger(self: &Arc<Self>, id: BackupId) -> Result<Response<BackupBody>, ApiError> {
        self.create(id, None).await?;
        let body = TriggerAccepted { backup_id: id }.to_json();
        Ok(json_response(StatusCode::ACCEPTED, body.into_bytes()))
    }

    /// POST: claim the id, look again, create the parts, release the claim.
    ///
    /// Why of many concurrent POSTs of one id at most one answers 202, in
    /// this process or across processes on any versions (part names differ
    /// by version, so their uniqueness alone cannot decide):
    ///
    /// 1. Every POST first creates the claim `{prefix}_{id}_claim`, whose
    ///    name does not depend on the version. The cluster refuses a second
    ///    snapshot of a name that exists or is being created, so at any
    ///    moment at most one POST holds the claim. A refused claim is 409.
    /// 2. The holder looks for parts of the id again *after* its claim was
    ///    accepted, and answers 409 if it finds any.
    /// 3. The holder releases (deletes) the claim only after every part it
    ///    created was accepted by the cluster (and so is visible to a look-up),
    ///    or after it deleted them again.
    ///
    /// Take two POSTs A and B that both got 202. Both held the claim, so one
    /// of them, A, released it before B's claim was accepted. A released it
    /// after its parts existed, so B's look in step 2, which came after its
    /// claim, found A's parts and B answered 409: a contradiction (unless
    /// someone DELETEd A's backup in between, which makes B a new backup).
    /// The release may land late (see [`Shared::release_claim_soon`]); a
    /// late release only keeps others out longer.
    ///
    /// A claim left by a crashed process, with no part beside it, is removed
    /// by a POST of the id once that process has seen the same claim
    /// standing for longer than the claim expiry, which is longer than any
    /// POST takes. A claim is kept while a part whose create outcome is
    /// unknown may still appear, so that the part found then is this POST's.
    ///
    /// `trigger` goes into the parts' metadata; the names created are returned.
    async fn create(
        self: &Arc<Self>,
        id: BackupId,
        trigger: Option<Trigger>,
    ) -> Result<Vec<String>, ApiError> {
        let repository = self.repository()?;
        let _serialised = self.trigger_lock.lock().await;
        let claim = self.plan.claim_part(id);
        let found = self
            .store
            .find_snapshots(repository, &self.plan.lookup_pattern(id))
            .await
            .map_err(|e| api_error(e, Some(id)))?;
        // Any part of this id, of any version or state, is a conflict; a
        // hand-made name that merely matches the wildcard is not (SPEC §3,
        // §5), and could never collide with the names about to be created.
        let stale_claim = self.standing_claim(id, &found);
        let existing = self.parts_of(id, found);
        if !existing.is_empty() {
            return Err(ApiError::BackupExists {
                backup_id: id,
                snapshots: existing,
            });
        }
        if stale_claim? {
            tracing::warn!(snapshot = %claim.name, "removing a claim older than the claim expiry, left by a process that stopped while triggering");
            match self
                .store
                .delete_snapshots(repository, std::slice::from_ref(&claim.name))
                .await
            {
                Ok(()) | Err(StoreError::SnapshotMissing { .. }) => {}
                Err(err) => return Err(api_error(err, Some(id))),
            }
        }

        // Step 1: the claim. A refused name is another POST's claim.
        if let Err(err) = self.store.create_snapshot(repository, &claim).await {
            if is_unknown_outcome(&err) {
                // The claim may exist all the same; it is ours, so it goes.
                self.watch_unknown(repository, id, vec![claim.name]).await;
                return Err(unknown_outcome(api_error(err, Some(id)), false));
            }
            return Err(api_error(err, Some(id)));
        }

        // Step 2: look again, now that no other POST can hold the claim.
        let found = match self
            .store
            .find_snapshots(repository, &self.plan.lookup_pattern(id))
            .await
        {
            Ok(found) => found,
            Err(err) => {
                self.release_claim_soon(repository, id).await;
                return Err(api_error(err, Some(id)));
            }
        };
        let existing = self.parts_of(id, found);
        if !existing.is_empty() {
            self.release_claim_soon(repository, id).await;
            return Err(ApiError::BackupExists {
                backup_id: id,
                snapshots: existing,
            });
        }

        let parts = match trigger {
            Some(trigger) => self.plan.snapshot_parts_triggered_by(id, trigger),
            None => self.plan.snapshot_parts(id),
        };
        let mut created: Vec<String> = Vec::new();
        for part in parts {
            if let Err(err) = self.store.create_snapshot(repository, &part).await {
                tracing::warn!(snapshot = %part.name, error = %err, "snapshot not created; rolling back");
                self.roll_back(repository, created).await;
                if is_unknown_outcome(&err) {
                    // After a timeout or a broken answer the cluster may
                    // create the part all the same, even later: keep
                    // looking for it, holding the claim meanwhile.
                    self.watch_unknown(repository, id, vec![part.name]).await;
                    return Err(unknown_outcome(api_error(err, Some(id)), true));
                }
                self.release_claim_soon(repository, id).await;
                return Err(api_error(err, Some(id)));
            }
            created.push(part.name);
        }
        // Step 3: every part was accepted, so a look-up finds them now.
        self.release_claim_soon(repository, id).await;
        tracing::info!(snapshots = ?created, "backup triggered");
        Ok(created)
    }

    /// Whether `found` holds a claim of `id`: a fresh one is another POST
    /// under way (409); `Ok(true)` is one that this process has seen
    /// standing, unchanged (same start time), for longer than the claim
    /// expiry: left by a process that stopped while triggering.
    fn standing_claim(&self, id: BackupId, found: &[SnapshotRecord]) -> Result<bool, ApiError> {
        let name = self.plan.claim_name(id);
        let mut seen = self
            .claims_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(claim) = found.iter().find(|s| s.name == name) else {
            seen.remove(&name);
            return Ok(false);
        };
        let now = Instant::now();
        let first_seen = match seen.get(&name) {
            Some((started, first)) if *started == claim.start_time_millis => *first,
            _ => {
                seen.insert(name.clone(), (claim.start_time_millis, now));
                now
            }
        };
        if now.duration_since(first_seen) > self.claim_expiry {
            seen.remove(&name);
            return Ok(true);
        }
        Err(ApiError::BackupExists {
            backup_id: id,
            snapshots: vec![name],
        })
    }

    /// Deletes this POST's claim; a failure leaves it to expire.
    /// Releases the claim, waiting at most [`CLAIM_RELEASE_WAIT`] for it.
    ///
    /// A real engine queues a snapshot delete behind the running snapshots
    /// of the repository, so a POST that waited for the release would wait
    /// for the whole backup (seen on OpenSearch 2.19: 202 only once
    /// COMPLETE). Past the wait the release goes on in the background; if
    /// it never lands, DELETE removes the claim with the parts, and a claim
    /// with no part beside it expires. Without a tokio runtime it runs
    /// inline.
    async fn release_claim_soon(self: &Arc<Self>, repository: &str, id: BackupId) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let shared = Arc::clone(self);
                let repository = repository.to_owned();
                let release = async move { shared.release_claim(&repository, id).await };
                let task = runtime.spawn(release.instrument(tracing::Span::current()));
                if tokio::time::timeout(CLAIM_RELEASE_WAIT, task)
                    .await
                    .is_err()
                {
                    tracing::info!(
                        snapshot = %self.plan.claim_name(id),
                        "the cluster queued the claim's release behind running snapshots; it goes on in the background"
                    );
                }
            }
            Err(_) => self.release_claim(repository, id).await,
        }
    }

    async fn release_claim(&self, repository: &str, id: BackupId) {
        let name = self.plan.claim_name(id);
        match self
            .store
            .delete_snapshots(repository, std::slice::from_ref(&name))
            .await
        {
            Ok(()) => {}
            Err(StoreError::SnapshotMissing { .. }) => {
                tracing::warn!(snapshot = %name, "the claim was already gone when released");
            }
            Err(err) => tracing::warn!(
                snapshot = %name,
                error = %err,
                "could not release the claim; the next POST of this id removes it once it expired"
            ),
        }
    }

    /// The names among `found` that are parts of backup `id` under any
    /// plan: what POST conflicts with and what DELETE removes.
    fn parts_of(&self, id: BackupId, found: Vec<SnapshotRecord>) -> Vec<String> {
        found
            .into_iter()
            .map(|s| s.name)
            .filter(|name| self.plan.parse_snapshot_name(name).map(|p| p.backup_id) == Some(id))
            .collect()
    }

    /// Deletes the parts a failed trigger created; best effort.
    async fn roll_back(&self, repository: &str, created: Vec<String>) {
        if created.is_empty() {
            return;
        }
        if let Err(err) = self.store.delete_snapshots(repository, &created).await {
            tracing::error!(
                snapshots = ?created,
                error = %err,
                "could not delete the parts of a refused backup; delete them by hand"
            );
        }
    }

    /// After a create with an unknown outcome: looks for `names` (and the
    /// claim) for the watch time, deletes whatever of them appears, then
    /// releases the claim. Runs in the background on the tokio runtime;
    /// without one, looks once before the answer.
    async fn watch_unknown(self: &Arc<Self>, repository: &str, id: BackupId, names: Vec<String>) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let shared = Arc::clone(self);
                let repository = repository.to_owned();
                let watch = async move {
                    let deadline = Instant::now() + shared.unknown_outcome_watch;
                    shared.watch(&repository, id, names, deadline).await;
                };
                runtime.spawn(watch.instrument(tracing::Span::current()));
            }
            Err(_) => self.watch(repository, id, names, Instant::now()).await,
        }
    }

    async fn watch(
        &self,
        repository: &str,
        id: BackupId,
        mut names: Vec<String>,
        deadline: Instant,
    ) {
        let claim = self.plan.claim_name(id);
        let watched_claim = names.contains(&claim);
        tracing::info!(snapshots = ?names, watch_ms = self.unknown_outcome_watch.as_millis() as u64, "a create had an unknown outcome; watching for the part to remove it");
        while !names.is_empty() {
            match self
                .store
                .find_snapshots(repository, &self.plan.lookup_pattern(id))
                .await
            {
                Ok(found) => {
                    let appeared: Vec<String> = names
                        .iter()
                        .filter(|name| found.iter().any(|s| &s.name == *name))
                        .cloned()
                        .collect();
                    if !appeared.is_empty() {
                        match self.store.delete_snapshots(repository, &appeared).await {
                            Ok(()) | Err(StoreError::SnapshotMissing { .. }) => {
                                tracing::warn!(snapshots = ?appeared, "a part whose create had an unknown outcome appeared and was deleted");
                                names.retain(|name| !appeared.contains(name));
                            }
                            Err(err) => {
                                tracing::warn!(snapshots = ?appeared, error = %err, "could not delete a part that appeared after an unknown outcome; trying again");
                            }
                        }
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot look for a part whose create had an unknown outcome; trying again");
                }
            }
            if names.is_empty() || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(WATCH_INTERVAL).await;
        }
        if !names.is_empty() {
            tracing::info!(snapshots = ?names, "nothing appeared while watching after an unknown outcome");
        }
        // Watching for the claim itself (its own create had the unknown
        // outcome) means there is nothing else to release.
        if !watched_claim {
            self.release_claim(repository, id).await;
        }
    }

    async fn delete(&self, id: BackupId) -> Result<Response<BackupBody>, ApiError> {
        self.remove(id).await?;
        Ok(no_content())
    }

    /// DELETE's work (SPEC §6); the names deleted, empty if none were found.
    async fn remove(&self, id: BackupId) -> Result<Vec<String>, ApiError> {
        let repository = self.repository()?;
        let pattern = self.plan.lookup_pattern(id);
        let mut attempt = 1;
        loop {
            let found = self
                .store
                .find_snapshots(repository, &pattern)
                .await
                .map_err(|e| api_error(e, Some(id)))?;
            // Only names that are parts of this backup: a hand-made
            // `{prefix}_{id}_before_upgrade` matches the pattern but is kept.
            // The backup's claim goes with its parts, in the same request.
            let claim = self.plan.claim_name(id);
            let has_claim = found.iter().any(|s| s.name == claim);
            let mut names = self.parts_of(id, found);
            if names.is_empty() {
                return Ok(names);
            }
            if has_claim {
                names.push(claim);
            }
            match self.store.delete_snapshots(repository, &names).await {
                Ok(()) => {
                    tracing::info!(snapshots = ?names, "backup deleted");
                    return Ok(names);
                }
                Err(StoreError::SnapshotMissing { name, .. }) if attempt <= DELETE_RETRIES => {
                    tracing::info!(snapshot = %name, attempt, "snapshot vanished meanwhile; looking up again");
                    attempt += 1;
                }
                Err(err) => return Err(api_error(err, Some(id))),
            }
        }
    }
}

/// How long a POST waits for its claim's release before answering; the
/// rest happens in the background (see `Shared::release_claim_soon`).
const CLAIM_RELEASE_WAIT: Duration = Duration::from_secs(1);

/// A timeout or a broken answer: the cluster may have done it all the same.
fn is_unknown_outcome(err: &StoreError) -> bool {
    matches!(
        err,
        StoreError::Unreachable { .. } | StoreError::Unreadable { .. }
    )
}

/// The error of a POST whose last create had an unknown outcome, telling
/// the client that what may still appear will be removed.
fn unknown_outcome(err: ApiError, part: bool) -> ApiError {
    let note = if part {
        "The part may still appear in the cluster; it will be removed"
    } else {
        "The claim may still appear in the cluster; it will be removed"
    };
    match err {
        ApiError::ClusterUnreachable { product, detail } => ApiError::ClusterUnreachable {
            product,
            detail: format!("{detail}. {note}"),
        },
        ApiError::Cluster { detail } => ApiError::Cluster {
            detail: format!("{detail}. {note}"),
        },
        other => other,
    }
}

fn path_id(segment: &str) -> Result<BackupId, ApiError> {
    let id = BackupId::from_path_segment(segment)?;
    tracing::Span::current().record("backup_id", id.get());
    Ok(id)
}

/// Reads the whole body, at most [`BODY_LIMIT`] bytes.
async fn read_body<B>(body: B, timeout: Option<Duration>) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let too_large = ApiError::BodyTooLarge { limit: BODY_LIMIT };
    if body.size_hint().lower() > BODY_LIMIT as u64 {
        return Err(too_large);
    }
    let collect = Limited::new(body, BODY_LIMIT).collect();
    let collected = match timeout {
        None => collect.await,
        Some(limit) => {
            tokio::time::timeout(limit, collect)
                .await
                .map_err(|_| ApiError::BodyTimeout {
                    limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                })?
        }
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(too_large),
        Err(err) => {
            tracing::debug!(error = %err, "could not read the request body");
            Err(BackupRequestError::NotAnObject.into())
        }
    }
}

fn ok_json(
    status: StatusCode,
    value: &impl serde::Serialize,
) -> Result<Response<BackupBody>, ApiError> {
    let body = serde_json::to_vec(value).map_err(|err| ApiError::Cluster {
        detail: format!("could not write the answer: {err}"),
    })?;
    Ok(json_response(status, body))
}

fn no_content() -> Response<BackupBody> {
    let mut response = Response::new(BackupBody::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}
