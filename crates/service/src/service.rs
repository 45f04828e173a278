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
    OutputZone, SnapshotRecord, TriggerAccepted,
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
    /// Serialises triggers inside this process (SPEC §6).
    trigger_lock: tokio::sync::Mutex<()>,
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
                trigger_lock: tokio::sync::Mutex::new(()),
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
    async fn respond<B>(&self, request: Request<B>) -> Response<BackupBody>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        match self.dispatch(request).await {
            Ok(response) => response,
            Err(err) => {
                if err.status(self.compat) >= 500 {
                    tracing::warn!(error = %err, "backup request failed");
                }
                error_response(&err, self.compat)
            }
        }
    }

    async fn dispatch<B>(&self, request: Request<B>) -> Result<Response<BackupBody>, ApiError>
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
        for name in backups.ignored() {
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

    async fn trigger(&self, id: BackupId) -> Result<Response<BackupBody>, ApiError> {
        let repository = self.repository()?;
        let _serialised = self.trigger_lock.lock().await;
        let found = self
            .store
            .find_snapshots(repository, &self.plan.lookup_pattern(id))
            .await
            .map_err(|e| api_error(e, Some(id)))?;
        // Any part of this id, of any version or state, is a conflict; a
        // hand-made name that merely matches the wildcard is not (SPEC §3,
        // §5), and could never collide with the names about to be created.
        let existing = self.parts_of(id, found);
        if !existing.is_empty() {
            return Err(ApiError::BackupExists {
                backup_id: id,
                snapshots: existing,
            });
        }
        let mut created: Vec<String> = Vec::new();
        for part in self.plan.snapshot_parts(id) {
            if let Err(err) = self.store.create_snapshot(repository, &part).await {
                tracing::warn!(snapshot = %part.name, error = %err, "snapshot not created; rolling back");
                // After a timeout or a broken answer the cluster may have
                // created the part all the same.
                let maybe_created = matches!(
                    err,
                    StoreError::Unreachable { .. } | StoreError::Unreadable { .. }
                )
                .then_some(part.name.as_str());
                self.roll_back(repository, id, created, maybe_created).await;
                return Err(api_error(err, Some(id)));
            }
            created.push(part.name);
        }
        tracing::info!(snapshots = ?created, "backup triggered");
        let body = TriggerAccepted { backup_id: id }.to_json();
        Ok(json_response(StatusCode::ACCEPTED, body.into_bytes()))
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

    /// Deletes the parts a failed trigger created; best effort. A part whose
    /// creation had an unknown outcome is deleted only if a fresh look-up
    /// finds it, since deleting a name that does not exist deletes nothing.
    async fn roll_back(
        &self,
        repository: &str,
        id: BackupId,
        mut created: Vec<String>,
        maybe_created: Option<&str>,
    ) {
        if let Some(name) = maybe_created {
            match self
                .store
                .find_snapshots(repository, &self.plan.lookup_pattern(id))
                .await
            {
                Ok(found) if found.iter().any(|s| s.name == name) => created.push(name.to_owned()),
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(snapshot = %name, error = %err, "cannot tell whether the part was created");
                }
            }
        }
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

    async fn delete(&self, id: BackupId) -> Result<Response<BackupBody>, ApiError> {
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
            let names = self.parts_of(id, found);
            if names.is_empty() {
                return Ok(no_content());
            }
            match self.store.delete_snapshots(repository, &names).await {
                Ok(()) => {
                    tracing::info!(snapshots = ?names, "backup deleted");
                    return Ok(no_content());
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
