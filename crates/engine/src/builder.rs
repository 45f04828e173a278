//! [`EngineBuilder`]: the configuration of a [`BackupEngine`], with its
//! defaults.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use backup_actuator_core::{
    BackupPlan, Compatibility, InvalidRepositoryName, OutputZone, RepositoryName,
};
use backup_actuator_store::{Clock, SnapshotStore, SystemClock};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::engine::{BackupEngine, EngineState};
use crate::observe::Observer;

/// How long a claim may stand for a trigger still under way, unless the
/// builder says otherwise: after it, a claim with no part beside it is a
/// leftover (GET reads its backup INCOMPLETE, and the next trigger of its
/// id, once this process saw it that long, removes it). It must be longer
/// than any trigger can take (see [`EngineBuilder::claim_expiry`]).
///
/// ```
/// assert_eq!(backup_actuator_engine::DEFAULT_CLAIM_EXPIRY.as_secs(), 600);
/// ```
pub const DEFAULT_CLAIM_EXPIRY: Duration = Duration::from_secs(600);

/// How long, after a create whose outcome is unknown, the engine keeps
/// looking for the snapshot to remove it, unless the builder says otherwise.
///
/// ```
/// assert_eq!(backup_actuator_engine::DEFAULT_UNKNOWN_OUTCOME_WATCH.as_secs(), 30);
/// ```
pub const DEFAULT_UNKNOWN_OUTCOME_WATCH: Duration = Duration::from_secs(30);

/// How long the engine follows an accepted backup's parts to their end,
/// unless the builder says otherwise.
///
/// ```
/// assert_eq!(backup_actuator_engine::DEFAULT_FOLLOW_LIMIT.as_secs(), 24 * 3600);
/// ```
pub const DEFAULT_FOLLOW_LIMIT: Duration = Duration::from_secs(24 * 3600);

impl BackupEngine {
    /// Starts the configuration of an engine over `store` that makes
    /// backups by `plan`.
    pub fn builder(store: Arc<dyn SnapshotStore>, plan: BackupPlan) -> EngineBuilder {
        EngineBuilder {
            store,
            plan,
            repository: None,
            zone: OutputZone::utc(),
            compat: Compatibility::default(),
            claim_expiry: DEFAULT_CLAIM_EXPIRY,
            unknown_outcome_watch: DEFAULT_UNKNOWN_OUTCOME_WATCH,
            follow_limit: DEFAULT_FOLLOW_LIMIT,
            clock: Arc::new(SystemClock),
            observers: Vec::new(),
        }
    }
}

/// The configuration of a [`BackupEngine`], with its defaults.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use backup_actuator_core::BackupPlan;
/// use backup_actuator_engine::BackupEngine;
/// use backup_actuator_store::MemoryStore;
///
/// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
///     .repository("backups")
///     .claim_expiry(Duration::from_secs(900))
///     .build()
///     .unwrap();
/// assert_eq!(engine.repository(), Some("backups"));
/// ```
pub struct EngineBuilder {
    store: Arc<dyn SnapshotStore>,
    plan: BackupPlan,
    repository: Option<String>,
    zone: OutputZone,
    compat: Compatibility,
    claim_expiry: Duration,
    unknown_outcome_watch: Duration,
    follow_limit: Duration,
    clock: Arc<dyn Clock>,
    observers: Vec<Arc<dyn Observer>>,
}

impl fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("store", &self.store.describe())
            .field("plan", &self.plan)
            .field("repository", &self.repository)
            .field("zone", &self.zone.name())
            .field("compat", &self.compat)
            .field("claim_expiry", &self.claim_expiry)
            .field("unknown_outcome_watch", &self.unknown_outcome_watch)
            .field("follow_limit", &self.follow_limit)
            .finish()
    }
}

impl EngineBuilder {
    /// The snapshot repository. Without one every operation fails with
    /// its `NoRepository` error (SPEC §7); an empty name is none.
    pub fn repository(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.repository = (!name.is_empty()).then_some(name);
        self
    }

    /// The zone start times are written in (default UTC).
    pub fn time_zone(mut self, zone: OutputZone) -> Self {
        self.zone = zone;
        self
    }

    /// The dialect of the lists it writes (default [`Compatibility::Documented`]).
    pub fn compatibility(mut self, compat: Compatibility) -> Self {
        self.compat = compat;
        self
    }

    /// How long a claim may stand for a trigger under way (default
    /// [`DEFAULT_CLAIM_EXPIRY`]). It must be longer than any trigger can
    /// take, including [`EngineBuilder::unknown_outcome_watch`]: a trigger
    /// takes at most `parts + 4` store calls, each bounded by the store's
    /// request timeout. A shorter expiry lets a slow trigger and a later
    /// one both succeed.
    pub fn claim_expiry(mut self, expiry: Duration) -> Self {
        self.claim_expiry = expiry;
        self
    }

    /// After a create whose outcome is unknown (a timeout or a broken
    /// answer), how long the engine keeps looking for that snapshot in
    /// the background, to delete it if it appears (default
    /// [`DEFAULT_UNKNOWN_OUTCOME_WATCH`]). The claim is held until then.
    /// Give it at least twice the store's request timeout.
    pub fn unknown_outcome_watch(mut self, watch: Duration) -> Self {
        self.unknown_outcome_watch = watch;
        self
    }

    /// How long the engine follows an accepted backup's parts to their
    /// end, logging and reporting each part lost (default
    /// [`DEFAULT_FOLLOW_LIMIT`]). Zero turns the follow-up off: no store
    /// call after a trigger returns (tests that count store calls), and no
    /// report of a part lost later.
    pub fn follow_limit(mut self, limit: Duration) -> Self {
        self.follow_limit = limit;
        self
    }

    /// The clock claim ages are read on (default the system clock); the
    /// store's start times must be on the same scale.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// An observer of every [`Event`](crate::Event).
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observers.push(observer);
        self
    }

    /// The engine, or the [`RepositoryName`] rule the repository breaks
    /// (a name that would widen every cluster request: `*`, `a,b`, `_all`).
    pub fn build(self) -> Result<BackupEngine, InvalidRepositoryName> {
        if let Some(name) = &self.repository {
            RepositoryName::new(name.as_str())?;
        }
        Ok(BackupEngine {
            inner: Arc::new(EngineState {
                store: self.store,
                plan: self.plan,
                repository: self.repository,
                zone: self.zone,
                compat: self.compat,
                claim_expiry: self.claim_expiry,
                unknown_outcome_watch: self.unknown_outcome_watch,
                follow_limit: self.follow_limit,
                clock: self.clock,
                trigger_lock: tokio::sync::Mutex::new(()),
                id_locks: Mutex::default(),
                claims_seen: Mutex::default(),
                ledger: Mutex::default(),
                observers: RwLock::new(self.observers),
                tasks: TaskTracker::new(),
                work: Mutex::default(),
                next_work: AtomicU64::new(0),
                stop_following: CancellationToken::new(),
                stopping: CancellationToken::new(),
            }),
        })
    }
}
