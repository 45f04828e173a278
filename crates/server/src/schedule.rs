//! `--schedule` and its retention flags: checked before the port is bound,
//! then run beside the listener (SPEC §10).

use backup_actuator_engine::BackupEngine;
use backup_actuator_schedule::{BackupSchedule, CronSchedule, Retention, ScheduleError};
use backup_actuator_service::BackupMetrics;

use crate::cli::ServeArgs;

/// Why the schedule flags cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScheduleFlagError {
    /// A retention flag without `--schedule`: there would be nothing to prune.
    #[error("{flag} applies to scheduled backups only; add --schedule CRON (retention never deletes manual backups)")]
    RetentionWithoutSchedule {
        /// The first such flag.
        flag: &'static str,
    },
    /// `--retention-dry-run` with no rule to try.
    #[error("--retention-dry-run needs --keep-last or --keep-within")]
    DryRunWithoutRule,
    /// A schedule with nowhere to back up to.
    #[error("--schedule needs --repository: scheduled backups go to a snapshot repository")]
    NoRepository,
    /// A bad expression or rule.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

/// The schedule the flags ask for, or `None` without `--schedule`.
pub(crate) fn build_schedule(
    args: &ServeArgs,
    engine: &BackupEngine,
) -> Result<Option<BackupSchedule>, ScheduleFlagError> {
    let has_rule = args.keep_last.is_some() || args.keep_within.is_some();
    let Some(expression) = &args.schedule else {
        let flag = if args.keep_last.is_some() {
            Some("--keep-last")
        } else if args.keep_within.is_some() {
            Some("--keep-within")
        } else if args.retention_dry_run {
            Some("--retention-dry-run")
        } else {
            None
        };
        return match flag {
            Some(flag) => Err(ScheduleFlagError::RetentionWithoutSchedule { flag }),
            None => Ok(None),
        };
    };
    let cron = if args.schedule_seconds {
        CronSchedule::parse_with_seconds(expression, &args.time_zone)?
    } else {
        CronSchedule::parse(expression, &args.time_zone)?
    };
    if args.retention_dry_run && !has_rule {
        return Err(ScheduleFlagError::DryRunWithoutRule);
    }
    if engine.repository().is_none() {
        return Err(ScheduleFlagError::NoRepository);
    }
    let mut builder = BackupSchedule::builder(engine.clone(), cron);
    if has_rule {
        let mut retention = Retention::builder().dry_run(args.retention_dry_run);
        if let Some(n) = args.keep_last {
            retention = retention.keep_last(n);
        }
        if let Some(within) = args.keep_within {
            retention = retention.keep_within(within);
        }
        builder = builder.retention(retention.build()?);
    }
    Ok(Some(builder.build()?))
}

/// The startup line of a schedule: its expression, zone, next slot and
/// retention.
pub(crate) fn announce(schedule: &BackupSchedule, args: &ServeArgs) {
    let retention = match (args.keep_last, args.keep_within) {
        (None, None) => "none (nothing is deleted)".to_owned(),
        (last, within) => {
            let mut rules = Vec::new();
            if let Some(n) = last {
                rules.push(format!("keep-last {n}"));
            }
            if let Some(d) = within {
                rules.push(format!("keep-within {}", humantime::format_duration(d)));
            }
            if args.retention_dry_run {
                rules.push("dry run".to_owned());
            }
            rules.join(", ")
        }
    };
    match schedule.next_slot() {
        Ok(next) => tracing::info!(
            "scheduled backups {}: next slot {} at {}; retention: {retention}",
            schedule.cron(),
            next.id(),
            next.start(),
        ),
        Err(err) => tracing::warn!("scheduled backups {}: {err}", schedule.cron()),
    }
}

/// Feeds the schedule's slot reports into the SPEC §11 metrics: scheduled
/// runs by outcome, backups deleted by retention (not in a dry run),
/// retention's failed steps, failed looks at a running backup and missed
/// slots; then reads the repository (see [`read_repository`]), so the
/// backup gauges follow the schedule even when nobody lists the backups.
/// Ends when the schedule does.
pub(crate) async fn record_metrics(
    mut reports: tokio::sync::broadcast::Receiver<backup_actuator_schedule::SlotReport>,
    metrics: BackupMetrics,
    engine: BackupEngine,
    dry_run: bool,
) {
    use backup_actuator_schedule::TriggerOutcome;
    use backup_actuator_service::ScheduledRun;
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let report = match reports.recv().await {
            Ok(report) => report,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        metrics.record_scheduled_run(match report.trigger {
            TriggerOutcome::Created { .. } => ScheduledRun::Triggered,
            TriggerOutcome::TakenByPeer { .. } => ScheduledRun::TakenByPeer,
            TriggerOutcome::Failed { .. } => ScheduledRun::Failed,
        });
        if !dry_run {
            for _ in &report.deletions {
                metrics.record_retention_delete();
            }
        }
        for _ in &report.retention_failures {
            metrics.record_retention_error();
        }
        metrics.record_schedule_poll_failures(report.poll_failures);
        metrics.record_missed_slots(report.missed_slots);
        read_repository(&engine, &metrics).await;
    }
}

/// The server's own read of the repository (SPEC §11), at start and after
/// every schedule slot: the list read reaches the metrics as the list
/// route's does (through the engine's observer), setting the backups by
/// state and the newest COMPLETE start time, so alerts on them do not wait
/// for a client to list. A read that fails leaves the gauges as they were,
/// is logged and counted in `repository_read_failures_total`. Without a
/// repository there is nothing to read.
pub(crate) async fn read_repository(engine: &BackupEngine, metrics: &BackupMetrics) {
    if engine.repository().is_none() {
        return;
    }
    if let Err(err) = engine.list().await {
        metrics.record_repository_read_failure();
        tracing::warn!(error = %err, "cannot read the backups for the metrics; the backup gauges keep their last values");
    }
}
