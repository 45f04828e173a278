//! [`BackupSchedule`]: triggers a backup at every slot, then applies
//! retention.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use backup_actuator_core::{BackupId, BackupState, Trigger};
use backup_actuator_engine::{BackupEngine, GetError, TriggerError};
use jiff::{SignedDuration, Timestamp};
use tokio::sync::broadcast;

use crate::cron::{CronSchedule, Slot};
use crate::error::ScheduleError;
use crate::retention::{BackupFacts, Deletion, Retention};
use crate::timer::{SystemTimer, Timer};

/// How often a triggered backup is looked at until it ends (default).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// Scheduled backups with retention (SPEC §10), driving a
/// [`BackupEngine`] (the same engine an HTTP service may host).
///
/// At every slot of its [`CronSchedule`] it triggers the backup whose id is
/// the slot's UTC start (`YYYYMMDDHHMMSS`), with `"trigger": "schedule"` in
/// every part's metadata. Every replica computes the same id, so the
/// cluster's name uniqueness lets exactly one of them create it; the others
/// get a 409, log "taken by a peer" and go on. The winner waits for its
/// backup to end (looking every poll interval, until the next slot at
/// most), then applies the [`Retention`], if one is set, whether or not
/// the backup has ended: backups that outlast the interval must not stop
/// retention for good.
///
/// A slot missed while the process was down, or while a slot's work ran
/// long, is not replayed: after a wait, only the latest due slot runs. A
/// cluster error is logged and counted (a failed trigger, a failed look at
/// the running backup, a failed retention step, in
/// [`BackupSchedule::counts`] and each [`SlotReport`]), and the next slot
/// runs as usual.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use backup_actuator_core::{BackupPlan, OutputZone};
/// use backup_actuator_schedule::{BackupSchedule, CronSchedule, ManualTimer, Retention, TriggerOutcome};
/// use backup_actuator_engine::BackupEngine;
/// use backup_actuator_store::MemoryStore;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let timer = ManualTimer::new("2026-01-01T00:00:30Z".parse().unwrap());
/// let store = MemoryStore::builder().clock(timer.clone()).build();
/// let engine = BackupEngine::builder(Arc::new(store), BackupPlan::optimize("8.6.0").unwrap())
///     .repository("backups")
///     .build()
///     .unwrap();
/// let schedule = BackupSchedule::builder(engine, CronSchedule::parse("* * * * *", &OutputZone::utc()).unwrap())
///     .retention(Retention::builder().keep_last(2).build().unwrap())
///     .timer(timer.clone())
///     .build()
///     .unwrap();
/// assert_eq!(schedule.next_slot().unwrap().id().get(), 20260101000100);
///
/// let mut reports = schedule.subscribe();
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let running = tokio::spawn(schedule.run(async { let _ = stopped.await; }));
/// timer.until_sleepers(1).await;
/// timer.advance(Duration::from_secs(30)); // the slot at 00:01:00
/// timer.until_sleepers(1).await;
/// timer.advance(Duration::from_secs(10)); // the backup completes
/// let report = reports.recv().await.unwrap();
/// assert_eq!(report.slot.id().get(), 20260101000100);
/// assert!(matches!(report.trigger, TriggerOutcome::Created { .. }));
/// stop.send(()).unwrap();
/// running.await.unwrap();
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct BackupSchedule {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    engine: BackupEngine,
    cron: CronSchedule,
    retention: Option<Retention>,
    timer: Arc<dyn Timer>,
    poll_interval: Duration,
    reports: broadcast::Sender<SlotReport>,
    counts: Counts,
    /// The backup of an earlier slot that was still running when its slot
    /// ended: retention runs again as soon as it ends, so a backup that
    /// outlasts the interval does not leave one COMPLETE backup too many
    /// until the next slot's pass.
    carried: std::sync::Mutex<Option<BackupId>>,
}

#[derive(Debug, Default)]
struct Counts {
    created: AtomicU64,
    taken_by_peer: AtomicU64,
    failed: AtomicU64,
    deleted: AtomicU64,
    retention_errors: AtomicU64,
    poll_failures: AtomicU64,
    missed_slots: AtomicU64,
}

/// What a slot's trigger came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriggerOutcome {
    /// This process created the backup.
    Created {
        /// The parts created.
        snapshots: Vec<String>,
    },
    /// A backup of the slot's id existed already: a peer took the slot.
    TakenByPeer {
        /// The parts found.
        snapshots: Vec<String>,
    },
    /// The cluster refused or could not be reached; logged, and the next
    /// slot runs as usual.
    Failed {
        /// The error, as logged.
        error: String,
    },
}

/// What happened at one slot; see [`BackupSchedule::subscribe`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotReport {
    /// The slot.
    pub slot: Slot,
    /// Its trigger.
    pub trigger: TriggerOutcome,
    /// The state the backup ended in, if this process created it and saw
    /// it end before the next slot.
    pub final_state: Option<BackupState>,
    /// What retention deleted (or, in a dry run, would have deleted).
    pub deletions: Vec<Deletion>,
    /// The retention steps that failed (each logged); retention went on
    /// with the other backups.
    pub retention_failures: Vec<RetentionFailure>,
    /// How many looks at the slot's backup failed (each logged and
    /// retried).
    pub poll_failures: u64,
    /// How many slots before this one were missed (the process was down
    /// or busy) and are not replayed.
    pub missed_slots: u64,
}

/// What one retention pass did; see [`BackupSchedule::apply_retention`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionRun {
    /// What it deleted (or, in a dry run, would have deleted), oldest
    /// first.
    pub deletions: Vec<Deletion>,
    /// What failed; each is logged, and the pass went on with the other
    /// backups.
    pub failures: Vec<RetentionFailure>,
}

/// One retention step that failed (SPEC §10: logged, counted, and
/// retention goes on with the others).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionFailure {
    /// The backup whose deletion failed; `None` when the backups could not
    /// be read, so nothing was selected.
    pub backup: Option<BackupId>,
    /// Why.
    pub error: ScheduleError,
}

/// Counters since the schedule was built, for logs and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScheduleCounts {
    /// Slots this process created a backup for.
    pub created: u64,
    /// Slots a peer had taken.
    pub taken_by_peer: u64,
    /// Slots whose trigger failed.
    pub failed: u64,
    /// Backups retention deleted (not counting dry runs).
    pub deleted: u64,
    /// Retention steps that failed: a backup that could not be deleted, or
    /// a read of the backups that failed.
    pub retention_errors: u64,
    /// Looks at a running scheduled backup that failed.
    pub poll_failures: u64,
    /// Slots missed (while the process was down or busy) and not replayed.
    pub missed_slots: u64,
}

impl BackupSchedule {
    /// Starts the configuration of a schedule that triggers through
    /// `engine` at the slots of `cron`.
    pub fn builder(engine: BackupEngine, cron: CronSchedule) -> BackupScheduleBuilder {
        BackupScheduleBuilder {
            engine,
            cron,
            retention: None,
            timer: Arc::new(SystemTimer),
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// The cron schedule.
    pub fn cron(&self) -> &CronSchedule {
        &self.inner.cron
    }

    /// The next slot after now.
    pub fn next_slot(&self) -> Result<Slot, ScheduleError> {
        self.inner.cron.next_after(self.inner.timer.now())
    }

    /// A receiver of one [`SlotReport`] per slot run from now on. A
    /// receiver that falls more than 64 reports behind loses the oldest.
    pub fn subscribe(&self) -> broadcast::Receiver<SlotReport> {
        self.inner.reports.subscribe()
    }

    /// The counters so far.
    pub fn counts(&self) -> ScheduleCounts {
        let counts = &self.inner.counts;
        ScheduleCounts {
            created: counts.created.load(Ordering::Relaxed),
            taken_by_peer: counts.taken_by_peer.load(Ordering::Relaxed),
            failed: counts.failed.load(Ordering::Relaxed),
            deleted: counts.deleted.load(Ordering::Relaxed),
            retention_errors: counts.retention_errors.load(Ordering::Relaxed),
            poll_failures: counts.poll_failures.load(Ordering::Relaxed),
            missed_slots: counts.missed_slots.load(Ordering::Relaxed),
        }
    }

    /// Triggers the backup of `slot` (what [`BackupSchedule::run`] does at
    /// each slot), logs the outcome and counts it.
    pub async fn trigger(&self, slot: Slot) -> TriggerOutcome {
        let id = slot.id();
        let counts = &self.inner.counts;
        match self.inner.engine.trigger(id, Some(Trigger::Schedule)).await {
            Ok(triggered) => {
                let snapshots = triggered.snapshots;
                counts.created.fetch_add(1, Ordering::Relaxed);
                tracing::info!(backup_id = id.get(), slot = %slot.start(), "scheduled backup {id} triggered");
                TriggerOutcome::Created { snapshots }
            }
            Err(TriggerError::Exists { snapshots, .. }) => {
                counts.taken_by_peer.fetch_add(1, Ordering::Relaxed);
                tracing::info!(backup_id = id.get(), slot = %slot.start(), "slot {id} taken by a peer: {snapshots:?} exist");
                TriggerOutcome::TakenByPeer { snapshots }
            }
            Err(err) => {
                counts.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(backup_id = id.get(), slot = %slot.start(), error = %err, "scheduled backup {id} could not be triggered; the next slot runs as usual");
                TriggerOutcome::Failed {
                    error: err.to_string(),
                }
            }
        }
    }

    /// Looks at backup `id` every poll interval until it is no longer
    /// IN_PROGRESS, and returns its state; `None` if `until` comes first
    /// or the backup is gone. Cluster errors are logged, counted
    /// ([`ScheduleCounts::poll_failures`]) and looked past.
    pub async fn wait_until_final(&self, id: BackupId, until: Timestamp) -> Option<BackupState> {
        self.wait_final(id, until, &mut 0, &mut RetentionRun::default())
            .await
    }

    /// [`BackupSchedule::wait_until_final`], adding the failed looks to
    /// `failures`.
    async fn wait_final(
        &self,
        id: BackupId,
        until: Timestamp,
        failures: &mut u64,
        early: &mut RetentionRun,
    ) -> Option<BackupState> {
        let step =
            SignedDuration::try_from(self.inner.poll_interval).unwrap_or(SignedDuration::MAX);
        loop {
            self.retain_when_carried_ends(early).await;
            match self.state_of(id).await {
                Ok(Some(BackupState::InProgress)) => {}
                Ok(state) => return state,
                Err(err) => {
                    *failures += 1;
                    self.inner
                        .counts
                        .poll_failures
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(backup_id = id.get(), error = %err, "cannot read the state of scheduled backup {id}; trying again");
                }
            }
            let next = self.inner.timer.now().saturating_add(step).ok()?;
            if next >= until {
                tracing::info!(backup_id = id.get(), "scheduled backup {id} still running at the next slot; retention runs over the backups as they are");
                return None;
            }
            self.inner.timer.sleep_until(next).await;
        }
    }

    /// Applies the retention now: reads every backup, selects by the rules
    /// of [`Retention`], and deletes (or, in a dry run, only logs) each
    /// selected backup, logging its id and rule. A backup that cannot be
    /// deleted is logged and counted, and the others are still deleted.
    /// Without a retention set, nothing is read or deleted.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::{BackupPlan, OutputZone};
    /// use backup_actuator_engine::BackupEngine;
    /// use backup_actuator_schedule::{BackupSchedule, CronSchedule, Retention};
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build()
    ///     .unwrap();
    /// let schedule = BackupSchedule::builder(engine, CronSchedule::parse("@daily", &OutputZone::utc()).unwrap())
    ///     .retention(Retention::builder().keep_last(2).build().unwrap())
    ///     .build()
    ///     .unwrap();
    /// let run = schedule.apply_retention().await;
    /// assert!(run.deletions.is_empty() && run.failures.is_empty());
    /// # }
    /// ```
    pub async fn apply_retention(&self) -> RetentionRun {
        self.retain(&mut || false).await
    }

    /// [`BackupSchedule::apply_retention`], stopping between two deletions
    /// once `stop` says so.
    async fn retain(&self, stop: &mut (dyn FnMut() -> bool + Send)) -> RetentionRun {
        let mut run = RetentionRun::default();
        let Some(retention) = &self.inner.retention else {
            return run;
        };
        let counts = &self.inner.counts;
        let engine = &self.inner.engine;
        let found = match engine.find_snapshots(None).await {
            Ok(found) => found,
            Err(err) => {
                counts.retention_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %err, "retention cannot read the backups; a later slot tries again");
                run.failures.push(RetentionFailure {
                    backup: None,
                    error: err.into(),
                });
                return run;
            }
        };
        let facts = BackupFacts::from_snapshots(engine.plan(), found);
        let selected = retention.select(&facts, self.inner.timer.now());
        run.deletions.reserve(selected.len());
        for deletion in selected {
            let id = deletion.id;
            let rule = deletion.rule.name();
            if retention.is_dry_run() {
                tracing::info!(
                    backup_id = id.get(),
                    rule,
                    state = deletion.state.as_str(),
                    "retention would delete backup {id} (dry run): {}",
                    deletion.rule
                );
                run.deletions.push(deletion);
                continue;
            }
            if stop() {
                tracing::info!("stopping: retention leaves the remaining backups for a later slot");
                break;
            }
            if let Err(err) = engine.delete(id).await {
                counts.retention_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    backup_id = id.get(),
                    rule,
                    error = %err,
                    "retention could not delete backup {id}; it goes on with the others and a later slot tries again"
                );
                run.failures.push(RetentionFailure {
                    backup: Some(id),
                    error: err.into(),
                });
                continue;
            }
            counts.deleted.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                backup_id = id.get(),
                rule,
                state = deletion.state.as_str(),
                "retention deleted backup {id}: {}",
                deletion.rule
            );
            run.deletions.push(deletion);
        }
        run
    }

    /// Runs the schedule until `shutdown` completes.
    ///
    /// A shutdown while waiting for a slot, or for a backup to end, stops
    /// at once; a running trigger or deletion is finished first (SPEC §10:
    /// SIGTERM waits for them).
    pub async fn run<F>(self, shutdown: F)
    where
        F: Future<Output = ()> + Send,
    {
        let mut shutdown = std::pin::pin!(shutdown);
        let timer = Arc::clone(&self.inner.timer);
        let cron = &self.inner.cron;
        let mut after = timer.now();
        loop {
            let next = match cron.next_after(after) {
                Ok(next) => next,
                Err(err) => {
                    tracing::error!(error = %err, "the schedule has no further slot; it stops");
                    return;
                }
            };
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                () = timer.sleep_until(next.start()) => {}
            }
            // Only the latest due slot runs: the ones before it were missed.
            let slot = cron
                .latest_at_or_before(timer.now())
                .filter(|latest| *latest > next)
                .unwrap_or(next);
            let missed = if slot == next {
                0
            } else {
                let missed = cron.count_between(next, slot);
                self.inner
                    .counts
                    .missed_slots
                    .fetch_add(missed, Ordering::Relaxed);
                tracing::info!(
                    missed,
                    "slots from {} up to {} were missed and are not replayed",
                    next.id(),
                    slot.id()
                );
                missed
            };
            after = slot.start();
            let (mut report, stopped) = self.run_slot(slot, shutdown.as_mut()).await;
            report.missed_slots = missed;
            let _ = self.inner.reports.send(report);
            if stopped {
                return;
            }
        }
    }

    /// One slot: trigger, wait for the end (until the next slot at most),
    /// retention. `true` when `shutdown` completed meanwhile (it must not
    /// be polled again).
    async fn run_slot<F>(&self, slot: Slot, mut shutdown: Pin<&mut F>) -> (SlotReport, bool)
    where
        F: Future<Output = ()> + Send,
    {
        let mut report = SlotReport {
            slot,
            trigger: self.trigger(slot).await,
            final_state: None,
            deletions: Vec::new(),
            retention_failures: Vec::new(),
            poll_failures: 0,
            missed_slots: 0,
        };
        if !matches!(report.trigger, TriggerOutcome::Created { .. }) {
            return (report, false);
        }
        let until = self
            .inner
            .cron
            .next_after(slot.start())
            .map_or(Timestamp::MAX, |next| next.start());
        let mut poll_failures = 0;
        let mut early = RetentionRun::default();
        let final_state = tokio::select! {
            biased;
            () = shutdown.as_mut() => return (report, true),
            state = self.wait_final(slot.id(), until, &mut poll_failures, &mut early) => state,
        };
        report.final_state = final_state;
        report.poll_failures = poll_failures;
        if final_state.is_none() {
            *self
                .inner
                .carried
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(slot.id());
        }
        // Retention runs even when the backup is still running: it never
        // deletes an IN_PROGRESS backup, and skipping it would let the
        // repository grow without bound when backups outlast the interval.
        let mut stopped = false;
        let run = {
            let mut stop = || {
                if !stopped {
                    // Polls the shutdown once, without waiting.
                    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
                    stopped = shutdown.as_mut().poll(&mut cx).is_ready();
                }
                stopped
            };
            self.retain(&mut stop).await
        };
        report.deletions = early.deletions;
        report.deletions.extend(run.deletions);
        report.retention_failures = early.failures;
        report.retention_failures.extend(run.failures);
        (report, stopped)
    }

    /// If an earlier slot's backup was still running when its slot ended
    /// and has ended now, runs retention at once (adding to `run`) instead
    /// of at this slot's end.
    async fn retain_when_carried_ends(&self, run: &mut RetentionRun) {
        let carried = *self
            .inner
            .carried
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(carried) = carried else {
            return;
        };
        if matches!(
            self.state_of(carried).await,
            Ok(Some(BackupState::InProgress)) | Err(_)
        ) {
            return;
        }
        *self
            .inner
            .carried
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        let more = self.retain(&mut || false).await;
        run.deletions.extend(more.deletions);
        run.failures.extend(more.failures);
    }

    async fn state_of(&self, id: BackupId) -> Result<Option<BackupState>, ScheduleError> {
        match self.inner.engine.get(id).await {
            Ok(backup) => Ok(Some(backup.state)),
            Err(GetError::NotFound(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}

/// Configures a [`BackupSchedule`]; see [`BackupSchedule::builder`].
#[derive(Debug)]
#[must_use]
pub struct BackupScheduleBuilder {
    engine: BackupEngine,
    cron: CronSchedule,
    retention: Option<Retention>,
    timer: Arc<dyn Timer>,
    poll_interval: Duration,
}

impl BackupScheduleBuilder {
    /// Prune scheduled backups by these rules after each of them ends.
    /// Without it, nothing is ever deleted.
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = Some(retention);
        self
    }

    /// The clock (default [`SystemTimer`]).
    pub fn timer(mut self, timer: impl Timer) -> Self {
        self.timer = Arc::new(timer);
        self
    }

    /// How often a triggered backup is looked at until it ends
    /// (default 10 s).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Builds the schedule; the engine must have a repository.
    pub fn build(self) -> Result<BackupSchedule, ScheduleError> {
        if self.engine.repository().is_none() {
            return Err(ScheduleError::NoRepository);
        }
        Ok(BackupSchedule {
            inner: Arc::new(Inner {
                engine: self.engine,
                cron: self.cron,
                retention: self.retention,
                timer: self.timer,
                poll_interval: self.poll_interval,
                reports: broadcast::channel(64).0,
                counts: Counts::default(),
                carried: std::sync::Mutex::new(None),
            }),
        })
    }
}
