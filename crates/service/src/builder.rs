//! [`BackupServiceBuilder`]: the configuration of a [`BackupService`],
//! with its defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backup_actuator_core::{BackupPlan, Compatibility, InvalidRepositoryName, OutputZone};
use backup_actuator_engine::{BackupEngine, EngineBuilder};
use backup_actuator_store::SnapshotStore;

use crate::health::DEFAULT_HEALTH_TIMEOUT;
use crate::metrics::MetricsHook;
use crate::route::{normalize_base, OptionalRoutes};
use crate::service::BackupService;
use crate::shared::ServiceState;

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

impl BackupService {
    /// Starts the configuration of a service over `store` that makes
    /// backups by `plan`, hosting an engine of its own.
    ///
    /// The service runs on tokio with its time driver on (as `#[tokio::main]`
    /// gives): a POST waits a bounded time for its claim's release.
    pub fn builder(store: Arc<dyn SnapshotStore>, plan: BackupPlan) -> BackupServiceBuilder {
        BackupServiceBuilder {
            engine: EngineSource::Build(Box::new(BackupEngine::builder(store, plan))),
            http: http_defaults(),
        }
    }

    /// Starts the configuration of a service that hosts `engine`, which
    /// other hosts (a schedule, your own code) drive too. The engine's
    /// settings (repository, dialect, time zone, claim expiry) are its own;
    /// the builder's setters of those are ignored.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::BackupPlan;
    /// use backup_actuator_engine::BackupEngine;
    /// use backup_actuator_service::BackupService;
    /// use backup_actuator_store::MemoryStore;
    ///
    /// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build()
    ///     .unwrap();
    /// let service = BackupService::hosting(engine.clone()).build();
    /// assert_eq!(service.repository(), Some("backups"));
    /// ```
    pub fn hosting(engine: BackupEngine) -> BackupServiceBuilder {
        BackupServiceBuilder {
            engine: EngineSource::Given(engine),
            http: http_defaults(),
        }
    }
}

/// The HTTP settings before the builder changes them.
fn http_defaults() -> HttpSettings {
    HttpSettings {
        base_path: DEFAULT_BASE_PATH.to_owned(),
        body_read_timeout: None,
        routes: OptionalRoutes::default(),
        health_timeout: DEFAULT_HEALTH_TIMEOUT,
        metrics: None,
    }
}

/// The engine a built service hosts: one built from the builder's
/// settings, or one given.
enum EngineSource {
    Build(Box<EngineBuilder>),
    Given(BackupEngine),
}

/// The settings of the HTTP adapter itself.
struct HttpSettings {
    base_path: String,
    body_read_timeout: Option<Duration>,
    routes: OptionalRoutes,
    health_timeout: Duration,
    #[cfg(feature = "metrics")]
    metrics: Option<crate::BackupMetrics>,
    #[cfg(not(feature = "metrics"))]
    metrics: Option<std::convert::Infallible>,
}

/// The configuration of a [`BackupService`] (or a
/// [`BackupLayer`](crate::BackupLayer)): where its routes sit, which
/// optional routes it serves, and the engine it hosts.
pub struct BackupServiceBuilder {
    engine: EngineSource,
    http: HttpSettings,
}

impl fmt::Debug for BackupServiceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("BackupServiceBuilder");
        match &self.engine {
            EngineSource::Build(builder) => out.field("engine", builder),
            EngineSource::Given(engine) => out.field("engine", engine),
        };
        out.field("base_path", &self.http.base_path)
            .field("body_read_timeout", &self.http.body_read_timeout)
            .field("health", &self.http.routes.health)
            .field("metrics", &self.http.routes.prometheus)
            .finish()
    }
}

impl BackupServiceBuilder {
    /// Changes the engine this builder will build; a given engine stays.
    fn engine(mut self, change: impl FnOnce(EngineBuilder) -> EngineBuilder) -> Self {
        if let EngineSource::Build(builder) = self.engine {
            self.engine = EngineSource::Build(Box::new(change(*builder)));
        }
        self
    }

    /// The snapshot repository. Without one every backup route answers
    /// 400 (SPEC §7); an empty name is none.
    pub fn repository(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.engine(|engine| engine.repository(name))
    }

    /// The path the routes sit under (default `/actuator`).
    ///
    /// `""` or `"/"` puts them at the root: use that when the host strips
    /// a prefix before the service sees the request, as axum's
    /// `Router::nest_service("/actuator", service)` does. A missing leading
    /// `/` is added and trailing `/` are dropped.
    pub fn base_path(mut self, base_path: impl AsRef<str>) -> Self {
        self.http.base_path = normalize_base(base_path.as_ref());
        self
    }

    /// The API dialect (default [`Compatibility::Documented`]).
    pub fn compatibility(self, compat: Compatibility) -> Self {
        self.engine(|engine| engine.compatibility(compat))
    }

    /// The zone `startTime` is written in (default UTC).
    pub fn time_zone(self, zone: OutputZone) -> Self {
        self.engine(|engine| engine.time_zone(zone))
    }

    /// How long a POST body may take to arrive, in full (default: no limit).
    ///
    /// A client that sends headers and then stalls holds its request open
    /// until this passes; it then gets 408 and the connection is closed.
    /// Needs a tokio runtime with its timer enabled, which is why it is off
    /// unless asked for; the stand-alone server sets it.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.http.body_read_timeout = Some(timeout);
        self
    }

    /// How old a claim (see [`BackupPlan::claim_name`]) must be before a
    /// POST of its id removes it as left behind by a process that crashed
    /// while triggering (default [`DEFAULT_CLAIM_EXPIRY`](crate::DEFAULT_CLAIM_EXPIRY)).
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
    pub fn claim_expiry(self, expiry: Duration) -> Self {
        self.engine(|engine| engine.claim_expiry(expiry))
    }

    /// After a create whose outcome is unknown (a timeout or a broken
    /// answer), how long the service keeps looking for that part in the
    /// background, to delete it if it appears (default
    /// [`DEFAULT_UNKNOWN_OUTCOME_WATCH`](crate::DEFAULT_UNKNOWN_OUTCOME_WATCH)). The claim of the id is held until
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
    pub fn unknown_outcome_watch(self, watch: Duration) -> Self {
        self.engine(|engine| engine.unknown_outcome_watch(watch))
    }

    /// How long, after a 202, the engine follows the backup's parts to
    /// their end, logging at `error` and counting each part that fails or
    /// vanishes (default 24 h; zero turns it off). See
    /// [`EngineBuilder::follow_limit`].
    ///
    /// ```
    /// # use std::{sync::Arc, time::Duration};
    /// # use backup_actuator_core::BackupPlan;
    /// # use backup_actuator_store::MemoryStore;
    /// use backup_actuator_service::BackupService;
    ///
    /// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .follow_limit(Duration::from_secs(6 * 3600))
    ///     .build();
    /// # let _ = service;
    /// ```
    pub fn follow_limit(self, limit: Duration) -> Self {
        self.engine(|engine| engine.follow_limit(limit))
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
        self.http.routes.health = true;
        self.http.health_timeout = timeout;
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
        self.http.routes.prometheus = true;
        self.http.metrics = Some(metrics);
        self
    }

    /// Builds the stand-alone service.
    ///
    /// # Panics
    ///
    /// If the configuration is refused (see
    /// [`BackupServiceBuilder::try_build`]): a repository name that would
    /// widen every cluster request.
    pub fn build(self) -> BackupService {
        self.try_build()
            .unwrap_or_else(|err| panic!("cannot build the backup service: {err}"))
    }

    /// Builds the stand-alone service, or says which setting is refused:
    /// a repository name that breaks the [`RepositoryName`](backup_actuator_core::RepositoryName) rule.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use backup_actuator_core::BackupPlan;
    /// # use backup_actuator_store::MemoryStore;
    /// use backup_actuator_service::BackupService;
    ///
    /// let builder = || BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap());
    /// assert!(builder().repository("backups").try_build().is_ok());
    /// assert!(builder().repository("a,b").try_build().is_err());
    /// ```
    pub fn try_build(self) -> Result<BackupService, ServiceConfigError> {
        let engine = match self.engine {
            EngineSource::Build(builder) => builder.build()?,
            EngineSource::Given(engine) => engine,
        };
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.http.metrics {
            engine.add_observer(Arc::new(metrics.clone()));
        }
        Ok(BackupService::from_state(ServiceState {
            engine,
            base_path: self.http.base_path,
            body_read_timeout: self.http.body_read_timeout,
            routes: self.http.routes,
            health_timeout: self.http.health_timeout,
            metrics: metrics_hook(self.http.metrics),
        }))
    }
}

#[cfg(feature = "metrics")]
fn metrics_hook(metrics: Option<crate::BackupMetrics>) -> MetricsHook {
    MetricsHook::new(metrics)
}

#[cfg(not(feature = "metrics"))]
fn metrics_hook(_: Option<std::convert::Infallible>) -> MetricsHook {
    MetricsHook::default()
}

/// A configuration [`BackupServiceBuilder::try_build`] refuses.
///
/// ```
/// use backup_actuator_core::RepositoryName;
/// use backup_actuator_service::ServiceConfigError;
///
/// let err = ServiceConfigError::from(RepositoryName::new("_all").unwrap_err());
/// assert_eq!(err.to_string(), "invalid repository name [_all]: must not start with '_'");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceConfigError {
    /// The repository name would widen every cluster request.
    #[error(transparent)]
    Repository(#[from] InvalidRepositoryName),
}

#[cfg(test)]
mod tests {
    use super::*;
    use backup_actuator_store::MemoryStore;

    fn builder() -> BackupServiceBuilder {
        BackupService::builder(
            Arc::new(MemoryStore::new()),
            BackupPlan::optimize("8.6.0").unwrap(),
        )
    }

    #[test]
    fn builder_refuses_a_repository_name_that_widens_cluster_requests() {
        for name in ["*", "a,b", "_all", "b*", "a/b", "with space", "a#b"] {
            let refused = builder().repository(name).try_build().unwrap_err();
            // The message names the name as given and a rule (SPEC §3, §7).
            let message = refused.to_string();
            assert!(
                message.starts_with(&format!("invalid repository name [{name}]: ")),
                "{message}"
            );
            let panicked = std::panic::catch_unwind(|| builder().repository(name).build());
            assert!(panicked.is_err(), "{name}");
        }
    }

    #[test]
    fn debug_output_names_its_own_type() {
        let configured = builder().repository("backups");
        let printed = format!("{configured:?}");
        assert!(printed.starts_with("BackupServiceBuilder {"), "{printed}");
        assert!(
            printed.contains(r#"repository: Some("backups")"#),
            "{printed}"
        );
        let service = configured.build();
        let printed = format!("{service:?}");
        assert!(printed.starts_with("BackupService {"), "{printed}");
        assert!(
            printed.contains(r#"repository: Some("backups")"#),
            "{printed}"
        );
    }

    #[test]
    fn builder_takes_a_repository_name_the_cluster_reads_literally() {
        for name in ["backups", "Backups", "my-repo.v2"] {
            let service = builder().repository(name).try_build().unwrap();
            assert_eq!(service.repository(), Some(name));
        }
        // An empty name is no repository (SPEC §7), not a refused one.
        assert_eq!(builder().repository("").build().repository(), None);
    }
}
