//! [`BackupEngine`]: what its clones share, the store calls (timed for the
//! observers), and the background work that shutdown waits for.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use backup_actuator_core::{
    BackupPlan, Circumstances, Compatibility, OutputZone, SnapshotPart, SnapshotRecord,
};
use backup_actuator_store::{Clock, SnapshotStore, StoreError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::ledger::Ledger;
use crate::observe::{Event, Observer, StoreCall};

/// The backup operations of SPEC §6 — [`list`](BackupEngine::list),
/// [`get`](BackupEngine::get), [`trigger`](BackupEngine::trigger) and
/// [`delete`](BackupEngine::delete) — over one store, plan and repository.
///
/// Clones share everything: the trigger lock, what this process knows of
/// its triggers, and the background work (claim releases, rollbacks,
/// watches, follow-ups) that [`BackupEngine::shutdown`] waits for. Every
/// host — the HTTP service, a schedule, a command line, your own code —
/// drives the same engine.
///
/// ```
/// use std::sync::Arc;
/// use backup_actuator_core::{BackupId, BackupPlan, BackupState};
/// use backup_actuator_engine::BackupEngine;
/// use backup_actuator_store::MemoryStore;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
///     .repository("backups")
///     .build()
///     .unwrap();
/// let id = BackupId::new(1).unwrap();
/// let triggered = engine.trigger(id, None).await.unwrap();
/// assert_eq!(triggered.snapshots.len(), 2);
/// assert_eq!(engine.get(id).await.unwrap().state, BackupState::InProgress);
/// assert_eq!(engine.delete(id).await.unwrap().snapshots.len(), 2);
/// # }
/// ```
#[derive(Clone)]
pub struct BackupEngine {
    pub(crate) inner: Arc<EngineState>,
}

/// What the clones of one engine share.
pub(crate) struct EngineState {
    pub(crate) store: Arc<dyn SnapshotStore>,
    pub(crate) plan: BackupPlan,
    pub(crate) repository: Option<String>,
    pub(crate) zone: OutputZone,
    pub(crate) compat: Compatibility,
    pub(crate) claim_expiry: Duration,
    pub(crate) unknown_outcome_watch: Duration,
    pub(crate) follow_limit: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    /// Serialises triggers inside this process (SPEC §6).
    pub(crate) trigger_lock: tokio::sync::Mutex<()>,
    /// One lock per id a trigger is running for: a delete of that id
    /// waits for the trigger's protocol, so it cannot leave a part behind.
    pub(crate) id_locks:
        Mutex<HashMap<backup_actuator_core::BackupId, Arc<tokio::sync::Mutex<()>>>>,
    /// Claims of other triggers this process has seen standing: the
    /// cluster's start time, and when this process first saw it. Age is
    /// measured on this process's own clock, so clock skew between the
    /// cluster and this host cannot make a fresh claim look stale.
    pub(crate) claims_seen: Mutex<HashMap<String, (Option<i64>, Instant)>>,
    pub(crate) ledger: Mutex<Ledger>,
    pub(crate) observers: RwLock<Vec<Arc<dyn Observer>>>,
    /// Background work: shutdown closes it and waits.
    pub(crate) tasks: TaskTracker,
    /// What each piece of background work is, by name, for the shutdown log.
    pub(crate) work: Mutex<BTreeMap<u64, String>>,
    pub(crate) next_work: AtomicU64,
    /// Cancelled at shutdown: follow-ups only observe, so they stop at once.
    pub(crate) stop_following: CancellationToken,
    /// Cancelled when shutdown's time is up: a watch after an unknown
    /// outcome then leaves its claim standing, for DELETE.
    pub(crate) stopping: CancellationToken,
}

impl fmt::Debug for BackupEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = &self.inner;
        f.debug_struct("BackupEngine")
            .field("store", &state.store.describe())
            .field("plan", &state.plan)
            .field("repository", &state.repository)
            .field("zone", &state.zone.name())
            .field("compat", &state.compat)
            .field("claim_expiry", &state.claim_expiry)
            .field("unknown_outcome_watch", &state.unknown_outcome_watch)
            .field("follow_limit", &state.follow_limit)
            .finish()
    }
}

impl BackupEngine {
    /// The configured repository, if any.
    pub fn repository(&self) -> Option<&str> {
        self.inner.repository.as_deref()
    }

    /// The plan backups are made by.
    pub fn plan(&self) -> &BackupPlan {
        &self.inner.plan
    }

    /// The store, e.g. for [`SnapshotStore::describe`] in a startup log.
    pub fn store(&self) -> &Arc<dyn SnapshotStore> {
        &self.inner.store
    }

    /// The dialect the lists it writes use.
    pub fn compatibility(&self) -> Compatibility {
        self.inner.compat
    }

    /// The zone start times are written in.
    pub fn time_zone(&self) -> &OutputZone {
        &self.inner.zone
    }

    /// How long a claim may stand for a trigger still under way.
    pub fn claim_expiry(&self) -> Duration {
        self.inner.claim_expiry
    }

    /// How long the engine watches for a snapshot whose create had an
    /// unknown outcome.
    pub fn unknown_outcome_watch(&self) -> Duration {
        self.inner.unknown_outcome_watch
    }

    /// Adds an observer of every later [`Event`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::BackupPlan;
    /// use backup_actuator_engine::{BackupEngine, Event, Observer};
    /// use backup_actuator_store::MemoryStore;
    ///
    /// #[derive(Debug)]
    /// struct Log;
    /// impl Observer for Log {
    ///     fn observe(&self, event: &Event<'_>) {
    ///         println!("{event:?}");
    ///     }
    /// }
    ///
    /// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .build()
    ///     .unwrap();
    /// engine.add_observer(Arc::new(Log));
    /// ```
    pub fn add_observer(&self, observer: Arc<dyn Observer>) {
        self.inner
            .observers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(observer);
    }

    /// Waits for the background work — claim releases, rollbacks, watches
    /// after an unknown outcome, triggers whose client went away — for at
    /// most `within`, and stops following accepted backups at once. A watch
    /// still running then stops and leaves its claim standing (its id reads
    /// as taken until a DELETE). Returns what is
    /// still unfinished then, by name (also logged at `error`), so the next
    /// process, or a DELETE, can clean it up. Later triggers still run.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use backup_actuator_core::{BackupId, BackupPlan};
    /// use backup_actuator_engine::BackupEngine;
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build()
    ///     .unwrap();
    /// engine.trigger(BackupId::new(1).unwrap(), None).await.unwrap();
    /// assert!(engine.shutdown(Duration::from_secs(5)).await.is_empty());
    /// # }
    /// ```
    pub async fn shutdown(&self, within: Duration) -> Vec<String> {
        let state = &self.inner;
        state.stopping.cancel();
        state.tasks.close();
        let finished = tokio::time::timeout(within, state.tasks.wait())
            .await
            .is_ok();
        state.tasks.reopen();
        if finished {
            return Vec::new();
        }
        let unfinished: Vec<String> = state.work().values().cloned().collect();
        for work in &unfinished {
            tracing::error!(work = %work, "shutting down with background work unfinished; a DELETE of its backup, or the next process, cleans it up");
        }
        unfinished
    }
}

impl EngineState {
    /// The configured repository.
    pub(crate) fn repository_or<E>(&self, missing: E) -> Result<&str, E> {
        self.repository.as_deref().ok_or(missing)
    }

    pub(crate) fn emit(&self, event: &Event<'_>) {
        for observer in self
            .observers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            observer.observe(event);
        }
    }

    /// What this process knows, for a read of `only` (or of all).
    pub(crate) fn circumstances(
        &self,
        only: Option<backup_actuator_core::BackupId>,
    ) -> Circumstances {
        let now = Circumstances::at(self.clock.now_millis(), self.claim_expiry);
        self.ledger().circumstances(now, only)
    }

    pub(crate) fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn work(&self) -> MutexGuard<'_, BTreeMap<u64, String>> {
        self.work.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `future` as background work named `name`: tracked for
    /// shutdown, on the current tokio runtime. Without a runtime it runs
    /// inline, before this returns.
    pub(crate) async fn background<F>(self: &Arc<Self>, name: String, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let key = self.next_work.fetch_add(1, Ordering::Relaxed);
                self.work().insert(key, name);
                let state = Arc::clone(self);
                let work = async move {
                    future.await;
                    state.work().remove(&key);
                };
                self.tasks
                    .spawn_on(work.instrument(tracing::Span::current()), &runtime);
            }
            Err(_) => future.await,
        }
    }

    /// Runs `future` to its end even if the caller stops waiting for it
    /// (a client that went away): tracked like background work, and
    /// awaited. Without a runtime it runs inline.
    pub(crate) async fn to_the_end<F, T>(self: &Arc<Self>, name: String, future: F) -> T
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let runtime = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime,
            Err(_) => return future.await,
        };
        let key = self.next_work.fetch_add(1, Ordering::Relaxed);
        self.work().insert(key, name);
        let state = Arc::clone(self);
        let work = async move {
            let out = future.await;
            state.work().remove(&key);
            out
        };
        let handle = self
            .tasks
            .spawn_on(work.instrument(tracing::Span::current()), &runtime);
        match handle.await {
            Ok(out) => out,
            Err(err) => std::panic::resume_unwind(err.into_panic()),
        }
    }

    /// The lock a trigger of `id` holds for its protocol.
    pub(crate) fn id_lock(
        &self,
        id: backup_actuator_core::BackupId,
    ) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.id_locks.lock().unwrap_or_else(PoisonError::into_inner);
        // Locks nobody holds or waits for are dropped, so the map stays small.
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        Arc::clone(locks.entry(id).or_default())
    }

    async fn timed<T>(
        &self,
        call: StoreCall,
        future: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = future.await;
        self.emit(&Event::StoreCall {
            call,
            result: result.as_ref().map(drop),
            elapsed: started.elapsed(),
        });
        result
    }

    pub(crate) async fn find(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.timed(
            StoreCall::FindSnapshots,
            self.store.find_snapshots(repository, pattern),
        )
        .await
    }

    /// [`EngineState::find`] for names and states only, timed the same.
    pub(crate) async fn find_states(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.timed(
            StoreCall::FindSnapshots,
            self.store.find_snapshot_states(repository, pattern),
        )
        .await
    }

    pub(crate) async fn create(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError> {
        self.timed(
            StoreCall::CreateSnapshot,
            self.store.create_snapshot(repository, part),
        )
        .await
    }

    pub(crate) async fn remove(
        &self,
        repository: &str,
        names: &[String],
    ) -> Result<(), StoreError> {
        self.timed(
            StoreCall::DeleteSnapshots,
            self.store.delete_snapshots(repository, names),
        )
        .await
    }

    pub(crate) async fn health(&self, repository: &str) -> Result<(), StoreError> {
        self.timed(StoreCall::CheckHealth, self.store.check_health(repository))
            .await
    }
}
