//! What feeds [`BackupMetrics`]: answers, store calls, backups read,
//! scheduled runs, retention and restore drills.

use std::time::Duration;

use backup_actuator_core::{BackupInfo, BackupState};
use backup_actuator_engine::PartLoss;
use backup_actuator_store::StoreError;
use http::{Method, StatusCode};

use super::method_label;
use super::prometheus::{
    BackupMetrics, CallLabels, OutcomeLabels, ReasonLabels, RequestLabels, RouteLabels,
    ScheduledRun, StateLabels, VerifyOutcome, STATES,
};

impl BackupMetrics {
    /// Counts one answer: `route` is a template such as
    /// `/backups/{id}`. The service calls this for every request it
    /// answers; a layer in front of it (a token gate) calls
    /// [`AnswerCounter`](crate::AnswerCounter)
    /// for the requests it answers itself.
    pub fn observe_request(
        &self,
        route: &'static str,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) {
        self.inner
            .requests
            .get_or_create(&RequestLabels {
                route,
                method: method_label(method),
                status: status.as_u16(),
            })
            .inc();
        self.inner
            .request_duration
            .get_or_create(&RouteLabels { route })
            .observe(elapsed.as_secs_f64());
    }

    /// A whole list of backups (the list route, or a scheduler's look at
    /// the repository): sets the count of backups in each state and the
    /// start time of the newest COMPLETE one (0 when there is none).
    pub fn observe_backups<B: std::borrow::Borrow<BackupInfo>>(
        &self,
        list: impl IntoIterator<Item = B>,
    ) {
        let mut counts = [0i64; STATES.len()];
        let mut newest: Option<f64> = None;
        for backup in list {
            let backup = backup.borrow();
            if let Some(i) = STATES.iter().position(|s| *s == backup.state) {
                counts[i] += 1;
            }
            if backup.state == BackupState::Complete {
                if let Some(start) = start_seconds(backup) {
                    newest = Some(newest.map_or(start, |n: f64| n.max(start)));
                }
            }
        }
        for (state, count) in STATES.iter().zip(counts) {
            self.inner
                .backups
                .get_or_create(&StateLabels {
                    state: state.as_str(),
                })
                .set(count);
        }
        self.inner.newest_complete.set(newest.unwrap_or(0.0));
    }

    /// A whole list, from its summaries (no second aggregation): sets the
    /// count of backups in each state and the start time of the newest
    /// COMPLETE one (0 when there is none).
    pub fn observe_list(&self, list: &backup_actuator_core::BackupList) {
        let mut counts = [0i64; STATES.len()];
        let mut newest: Option<i64> = None;
        for summary in list.summaries() {
            if let Some(i) = STATES.iter().position(|s| *s == summary.state) {
                counts[i] += 1;
            }
            if summary.state == BackupState::Complete {
                newest = newest.max(summary.started_millis);
            }
        }
        for (state, count) in STATES.iter().zip(counts) {
            self.inner
                .backups
                .get_or_create(&StateLabels {
                    state: state.as_str(),
                })
                .set(count);
        }
        self.inner
            .newest_complete
            .set(newest.map_or(0.0, |ms| ms as f64 / 1000.0));
    }

    /// One backup (GET one, or a scheduled backup that reached its
    /// final state): raises the newest-COMPLETE start time if this one
    /// is COMPLETE and newer. It never lowers it; only a whole list can.
    pub fn observe_backup(&self, backup: &BackupInfo) {
        if backup.state != BackupState::Complete {
            return;
        }
        if let Some(start) = start_seconds(backup) {
            if start > self.inner.newest_complete.get() {
                self.inner.newest_complete.set(start);
            }
        }
    }

    /// Counts one scheduled slot by how it ended.
    pub fn record_scheduled_run(&self, outcome: ScheduledRun) {
        self.inner
            .scheduled_runs
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// Counts one backup deleted by retention.
    pub fn record_retention_delete(&self) {
        self.inner.retention_deleted.inc();
    }

    /// Counts one retention step that failed (SPEC §10: logged, counted,
    /// and retention goes on with the others).
    pub fn record_retention_error(&self) {
        self.inner.retention_errors.inc();
    }

    /// Counts `failures` looks at a running scheduled backup that failed.
    pub fn record_schedule_poll_failures(&self, failures: u64) {
        self.inner.poll_failures.inc_by(failures);
    }

    /// Counts `missed` slots skipped (not replayed) after a stall.
    pub fn record_missed_slots(&self, missed: u64) {
        self.inner.missed_slots.inc_by(missed);
    }

    /// Counts one of the server's own reads of the repository that
    /// failed. The backup gauges keep the values of the last read that
    /// worked: a cluster that cannot be read says nothing about the
    /// backups, and zeros would fire (or silence) every alert on them.
    ///
    /// ```
    /// let metrics = backup_actuator_service::BackupMetrics::new();
    /// metrics.record_repository_read_failure();
    /// assert!(metrics.encode().contains("backup_actuator_repository_read_failures_total 1"));
    /// ```
    pub fn record_repository_read_failure(&self) {
        self.inner.read_failures.inc();
    }

    /// One scheduled restore drill that ran: its duration by outcome; a
    /// failure counted by reason; a pass sets the last verified backup
    /// (`backup_id`, exact as a gauge up to 2^53) and the time it ended.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use backup_actuator_service::{BackupMetrics, VerifyOutcome};
    ///
    /// let metrics = BackupMetrics::new();
    /// let ended = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    /// metrics.record_verify_drill(VerifyOutcome::Passed, 20260101000100, ended, Duration::from_secs(42));
    /// metrics.record_verify_drill(VerifyOutcome::NotRestorable, 20260102000100, ended, Duration::from_secs(3));
    /// let text = metrics.encode();
    /// assert!(text.contains("backup_actuator_last_verified_backup_id 20260101000100"));
    /// assert!(text.contains("backup_actuator_last_verified_timestamp_seconds 1800000000"));
    /// assert!(text.contains(r#"backup_actuator_verify_failures_total{reason="not_restorable"} 1"#));
    /// assert_eq!(metrics.last_verified(), Some((20260101000100, ended)));
    /// ```
    pub fn record_verify_drill(
        &self,
        outcome: VerifyOutcome,
        backup_id: u64,
        ended: std::time::SystemTime,
        took: Duration,
    ) {
        self.inner
            .drill_duration
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .observe(took.as_secs_f64());
        if outcome == VerifyOutcome::Passed {
            let at = ended
                .duration_since(std::time::SystemTime::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            self.inner.last_verified_id.set(backup_id as f64);
            self.inner.last_verified_at.set(at);
        } else {
            self.inner
                .verify_failures
                .get_or_create(&ReasonLabels {
                    reason: outcome.as_str(),
                })
                .inc();
        }
    }

    /// The newest passed drill: the backup id and when it ended; `None`
    /// before one passes.
    pub fn last_verified(&self) -> Option<(u64, std::time::SystemTime)> {
        let at = self.inner.last_verified_at.get();
        (at > 0.0).then(|| {
            (
                self.inner.last_verified_id.get() as u64,
                // To the millisecond, as it was recorded: seconds as an
                // f64 are a fraction of a microsecond off.
                std::time::SystemTime::UNIX_EPOCH
                    + Duration::from_millis((at * 1000.0).round() as u64),
            )
        })
    }

    /// The start time of the newest COMPLETE backup seen, in Unix
    /// seconds; 0 before any.
    pub fn newest_complete_start_seconds(&self) -> f64 {
        self.inner.newest_complete.get()
    }

    /// One store call, by operation and outcome.
    pub(crate) fn observe_call(
        &self,
        operation: &'static str,
        result: Result<(), &StoreError>,
        elapsed: Duration,
    ) {
        let outcome = match result {
            Ok(()) => "ok",
            Err(StoreError::RepositoryMissing { .. }) => "repository_missing",
            Err(StoreError::NameInUse { .. }) => "name_in_use",
            Err(StoreError::SnapshotMissing { .. }) => "snapshot_missing",
            Err(StoreError::Unreachable { .. }) => "unreachable",
            Err(StoreError::Cluster { .. }) => "cluster_error",
            Err(StoreError::Unreadable { .. }) => "unreadable",
        };
        self.inner
            .cluster_calls
            .get_or_create(&CallLabels { operation, outcome })
            .observe(elapsed.as_secs_f64());
    }

    /// One accepted part lost (SPEC §11 `backups_failed_total`).
    pub(crate) fn record_part_lost(&self, loss: PartLoss) {
        self.inner
            .backups_failed
            .get_or_create(&ReasonLabels {
                reason: loss.as_str(),
            })
            .inc();
    }
}

/// When a backup started: its earliest part's `startTime`, in Unix
/// seconds (`None` if no part says).
fn start_seconds(backup: &BackupInfo) -> Option<f64> {
    backup
        .details
        .iter()
        .filter_map(|d| d.start_time.as_deref())
        .filter_map(|text| {
            jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", text)
                .and_then(|tm| tm.to_timestamp())
                .ok()
        })
        .min()
        .map(|ts| ts.as_millisecond() as f64 / 1000.0)
}
