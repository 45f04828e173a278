//! [`BackupServiceBuilder`]: the configuration of a [`BackupService`],
//! with its defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backup_actuator_core::{
    BackupPlan, Compatibility, InvalidRepositoryName, OutputZone, RepositoryName,
};
use backup_actuator_store::SnapshotStore;

use crate::health::DEFAULT_HEALTH_TIMEOUT;
use crate::metrics::Observer;
use crate::route::{normalize_base, Extras};
use crate::service::BackupService;
use crate::shared::Shared;

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

/// How long a claim may stand before the next POST of its id removes it as
/// left behind by a crashed process, unless the builder says otherwise. It
/// must be longer than any POST can take (see [`BackupServiceBuilder::claim_expiry`]).
pub const DEFAULT_CLAIM_EXPIRY: Duration = Duration::from_secs(600);

/// How long, after a create whose outcome is unknown, the service keeps
/// looking for the part to remove it, unless the builder says otherwise.
pub const DEFAULT_UNKNOWN_OUTCOME_WATCH: Duration = Duration::from_secs(30);

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
                health_timeout: DEFAULT_HEALTH_TIMEOUT,
                observer: Observer::default(),
            },
        }
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
        self.shared.debug_as("BackupServiceBuilder", f)
    }
}

impl BackupServiceBuilder {
    /// The snapshot repository. Without one, the service still starts and
    /// every backup route answers 400 (SPEC §7). An empty name counts as none.
    ///
    /// A name that breaks the [`RepositoryName`] rule — `*`, `a,b`, `_all`,
    /// anything with `\ / * ? " < > | , #` or whitespace — would widen
    /// every cluster request to other repositories: the service refuses to
    /// be built with it ([`BackupServiceBuilder::try_build`] is an error,
    /// [`BackupServiceBuilder::build`] panics). Check a name read from
    /// configuration with [`RepositoryName::new`] first, or build with
    /// `try_build`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use backup_actuator_core::BackupPlan;
    /// # use backup_actuator_store::MemoryStore;
    /// use backup_actuator_service::{BackupService, ServiceConfigError};
    ///
    /// let builder = || BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap());
    /// assert_eq!(builder().repository("backups").build().repository(), Some("backups"));
    /// assert_eq!(builder().repository("").build().repository(), None);
    /// let refused = builder().repository("*").try_build().unwrap_err();
    /// assert!(matches!(refused, ServiceConfigError::Repository(_)));
    /// assert_eq!(refused.to_string(), r#"invalid repository name [*]: must not contain any of \ / * ? " < > | , #"#);
    /// ```
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
    /// a repository name that breaks the [`RepositoryName`] rule.
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
    pub fn try_build(mut self) -> Result<BackupService, ServiceConfigError> {
        if let Some(name) = &self.shared.repository {
            RepositoryName::new(name.as_str())?;
        }
        self.shared.store = self.shared.observer.wrap_store(self.shared.store);
        Ok(BackupService::from_shared(self.shared))
    }
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
            assert_eq!(
                refused,
                ServiceConfigError::Repository(RepositoryName::new(name).unwrap_err()),
                "{name}"
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
        let shared = format!("{:?}", builder().shared);
        assert!(shared.starts_with("Shared {"), "{shared}");
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
