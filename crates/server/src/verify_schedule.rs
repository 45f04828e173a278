//! `serve --verify-schedule CRON` (SPEC §13): at every slot, a restore
//! drill of the newest COMPLETE backup, through the search crate's
//! `verify_backup`, beside the listener.
//!
//! One winner per slot across replicas: every replica computes the same
//! slot and the same newest COMPLETE backup, and a drill refuses scratch
//! names that exist ([`VerifyError::ScratchExists`]), so of replicas that
//! start together the first to restore wins and the others log the slot as
//! taken by a peer. Nothing of a drill outlives it, so a replica whose clock
//! is behind by more than a whole drill runs a drill of its own (of the same
//! backup, never at the same time as another).

use std::future::Future;
use std::time::{Duration, Instant};

use backup_actuator_core::{BackupId, BackupPlan};
use backup_actuator_schedule::{CronSchedule, ScheduleError};
use backup_actuator_search::{ClusterStore, VerifyError, VerifyOptions};
use backup_actuator_service::{BackupMetrics, VerifyOutcome};
use jiff::Timestamp;

use crate::backend::{build_cluster, password_from_env, BackendError};
use crate::cli::{Backend, ServeArgs};

/// Why `--verify-schedule` cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VerifyScheduleError {
    /// A drill restores into a cluster.
    #[error("--verify-schedule needs --backend elasticsearch or opensearch: a drill restores into the cluster")]
    NeedsCluster,
    /// A drill needs the repository.
    #[error(
        "--verify-schedule needs --repository: the drill restores from the snapshot repository"
    )]
    NoRepository,
    /// The cluster options.
    #[error("{0}")]
    Backend(#[from] BackendError),
    /// A bad expression.
    #[error("--verify-schedule: {0}")]
    Cron(#[from] ScheduleError),
}

/// Scheduled drills, checked at start and run by [`VerifySchedule::run`].
pub(crate) struct VerifySchedule {
    cron: CronSchedule,
    store: ClusterStore,
    repository: String,
    plan: BackupPlan,
    options: VerifyOptions,
    metrics: Option<BackupMetrics>,
}

/// How one slot's drill ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DrillOutcome {
    /// The backup restores.
    Passed,
    /// The backup does not restore.
    NotRestorable,
    /// Another replica's drill runs.
    TakenByPeer,
    /// No COMPLETE backup to drill.
    NothingToVerify,
    /// The drill could not run or finish (logged).
    Failed,
    /// Stopped by shutdown (scratch indices deleted).
    Interrupted,
}

impl VerifySchedule {
    /// The schedule the flags ask for, or `None` without `--verify-schedule`.
    pub(crate) fn from_args(
        args: &ServeArgs,
        plan: &BackupPlan,
    ) -> Result<Option<VerifySchedule>, VerifyScheduleError> {
        let Some(expression) = &args.verify_schedule else {
            return Ok(None);
        };
        let cron = if args.schedule_seconds {
            CronSchedule::parse_with_seconds(expression, &args.time_zone)?
        } else {
            CronSchedule::parse(expression, &args.time_zone)?
        };
        if args.cluster.backend == Backend::Memory {
            return Err(VerifyScheduleError::NeedsCluster);
        }
        let repository = args
            .cluster
            .repository
            .clone()
            .ok_or(VerifyScheduleError::NoRepository)?;
        let store = build_cluster(&args.cluster, password_from_env()?)?;
        Ok(Some(VerifySchedule {
            cron,
            store,
            repository,
            plan: plan.clone(),
            options: VerifyOptions::new(),
            metrics: None,
        }))
    }

    /// Records each drill that runs in `metrics` (SPEC §11): its duration
    /// by outcome, failures by reason, and the last verified backup.
    pub(crate) fn with_metrics(mut self, metrics: Option<BackupMetrics>) -> VerifySchedule {
        self.metrics = metrics;
        self
    }

    /// The startup line.
    pub(crate) fn announce(&self) {
        match self.cron.next_after(Timestamp::now()) {
            Ok(next) => tracing::info!(
                "scheduled restore drills {}: next at {}, of the newest COMPLETE backup",
                self.cron,
                next.start()
            ),
            Err(err) => tracing::warn!("scheduled restore drills {}: {err}", self.cron),
        }
    }

    /// Runs a drill at every slot until `stop` completes; a drill under way
    /// is interrupted then and its scratch indices deleted first.
    pub(crate) async fn run(self, stop: impl Future<Output = ()> + Send) {
        let mut stop = std::pin::pin!(stop);
        loop {
            let next = match self.cron.next_after(Timestamp::now()) {
                Ok(next) => next,
                Err(err) => {
                    tracing::warn!("scheduled restore drills stop: {err}");
                    return;
                }
            };
            let wait = Duration::try_from(next.start().duration_since(Timestamp::now()))
                .unwrap_or_default();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut stop => return,
            }
            if self.drill(stop.as_mut()).await == DrillOutcome::Interrupted {
                return;
            }
        }
    }

    /// One slot's drill of the newest COMPLETE backup, logged, and
    /// recorded in the metrics when it ran (passed, not restorable, or
    /// could not run or finish); a slot taken by a peer, with nothing to
    /// verify, or interrupted by shutdown records nothing.
    pub(crate) async fn drill(&self, interrupt: impl Future<Output = ()> + Send) -> DrillOutcome {
        let started = Instant::now();
        let (outcome, id) = self.run_drill(started, interrupt).await;
        let recorded = match outcome {
            DrillOutcome::Passed => Some(VerifyOutcome::Passed),
            DrillOutcome::NotRestorable => Some(VerifyOutcome::NotRestorable),
            DrillOutcome::Failed => Some(VerifyOutcome::Error),
            DrillOutcome::TakenByPeer
            | DrillOutcome::NothingToVerify
            | DrillOutcome::Interrupted => None,
        };
        if let (Some(metrics), Some(recorded)) = (&self.metrics, recorded) {
            metrics.record_verify_drill(
                recorded,
                id.map_or(0, |id| id.get()),
                std::time::SystemTime::now(),
                started.elapsed(),
            );
        }
        outcome
    }

    /// The drill itself, and the backup it drilled (if it got that far).
    async fn run_drill(
        &self,
        started: Instant,
        interrupt: impl Future<Output = ()> + Send,
    ) -> (DrillOutcome, Option<BackupId>) {
        let id = match self
            .store
            .newest_complete_backup(&self.repository, &self.plan)
            .await
        {
            Ok(Some(id)) => id,
            Ok(None) => {
                tracing::warn!(
                    repository = %self.repository,
                    "restore drill: no COMPLETE backup to verify"
                );
                return (DrillOutcome::NothingToVerify, None);
            }
            Err(err) => {
                tracing::error!(error = %err, "restore drill could not run");
                return (DrillOutcome::Failed, None);
            }
        };
        let backup = match self
            .store
            .restore_plan(&self.repository, &self.plan, id)
            .await
        {
            Ok(backup) => backup,
            Err(err) => {
                tracing::error!(backup_id = id.get(), error = %err, "restore drill could not run");
                return (DrillOutcome::Failed, Some(id));
            }
        };
        let outcome = match self
            .store
            .verify_backup(&backup, &self.options, &mut |_| {}, interrupt)
            .await
        {
            Ok(report) => {
                tracing::info!(
                    backup_id = id.get(),
                    indices = report.indices.len(),
                    documents = report.documents(),
                    bytes = report.size_in_bytes(),
                    took_ms = started.elapsed().as_millis() as u64,
                    "restore drill passed: backup {id} restores"
                );
                DrillOutcome::Passed
            }
            Err(VerifyError::ScratchExists { .. }) => {
                tracing::info!(
                    backup_id = id.get(),
                    "restore drill taken by a peer: another drill of backup {id} runs"
                );
                DrillOutcome::TakenByPeer
            }
            Err(VerifyError::Interrupted) => {
                tracing::info!(
                    backup_id = id.get(),
                    "restore drill interrupted; scratch indices deleted"
                );
                DrillOutcome::Interrupted
            }
            Err(err) if err.is_not_restorable() => {
                tracing::error!(backup_id = id.get(), "restore drill failed: {err}");
                DrillOutcome::NotRestorable
            }
            Err(err) => {
                tracing::error!(backup_id = id.get(), error = %err, "restore drill could not finish");
                DrillOutcome::Failed
            }
        };
        (outcome, Some(id))
    }
}

/// Starts `drills` (if any) with their own `stop()`, and returns the future
/// the listener waits for: `stop()`, then the end of the drills, so a drill
/// under way is interrupted and has deleted its scratch indices before the
/// server shuts down.
pub(crate) fn run_beside<F>(
    drills: Option<VerifySchedule>,
    stop: impl Fn() -> F,
) -> impl Future<Output = ()> + Send
where
    F: Future<Output = ()> + Send + 'static,
{
    let running = drills.map(|drills| {
        drills.announce();
        tokio::spawn(drills.run(stop()))
    });
    let listener_stop = stop();
    async move {
        listener_stop.await;
        if let Some(running) = running {
            if running.await.is_err() {
                tracing::error!("the restore drills stopped with a panic");
            }
        }
    }
}
