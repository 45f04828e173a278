//! Which scheduled backups retention deletes (SPEC §10): a pure decision
//! over what the store reported, so every rule is tested without a store.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use backup_actuator_core::{
    BackupId, BackupPlan, BackupState, Backups, OutputZone, SnapshotRecord, Trigger,
};
use jiff::{SignedDuration, Timestamp};

use crate::cron::Slot;
use crate::error::ScheduleError;

/// What retention needs to know of one backup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupFacts {
    /// The backup id.
    pub id: BackupId,
    /// Its state by SPEC §4.
    pub state: BackupState,
    /// Whether a schedule made it: every part carries
    /// `"trigger": "schedule"` and the id is a slot (`YYYYMMDDHHMMSS`).
    /// Retention touches nothing else.
    pub scheduled: bool,
    /// The earliest start time of its parts, epoch milliseconds.
    pub started_millis: Option<i64>,
}

impl BackupFacts {
    /// The facts of every backup among `snapshots` (names the plan cannot
    /// read are left out, as the list route leaves them out).
    ///
    /// ```
    /// use backup_actuator_core::{BackupId, BackupPlan, BackupState, SnapshotRecord, SnapshotState};
    /// use backup_actuator_schedule::BackupFacts;
    ///
    /// let plan = BackupPlan::optimize("8.6.0").unwrap();
    /// let part = |id: u64, n: u32, trigger: Option<&str>| {
    ///     let mut record = SnapshotRecord::new(
    ///         plan.snapshot_name(BackupId::new(id).unwrap(), n),
    ///         SnapshotState::Success,
    ///     );
    ///     record.trigger = trigger.map(str::to_owned);
    ///     record
    /// };
    /// let facts = BackupFacts::from_snapshots(&plan, vec![
    ///     part(20260101000000, 1, Some("schedule")),
    ///     part(20260101000000, 2, Some("schedule")),
    ///     part(20260102000000, 1, Some("schedule")),
    ///     part(20260102000000, 2, None), // a part made by hand: not scheduled
    ///     part(7, 1, None),
    ///     part(7, 2, None),
    /// ]);
    /// let scheduled: Vec<bool> = facts.iter().map(|f| f.scheduled).collect();
    /// assert_eq!(scheduled, [false, true, false]);
    /// assert!(facts.iter().all(|f| f.state == BackupState::Complete));
    /// ```
    pub fn from_snapshots(plan: &BackupPlan, snapshots: Vec<SnapshotRecord>) -> Vec<BackupFacts> {
        let mut parts: HashMap<String, (Option<String>, Option<i64>)> = snapshots
            .iter()
            .map(|s| (s.name.clone(), (s.trigger.clone(), s.start_time_millis)))
            .collect();
        let (backups, _ignored) =
            Backups::from_snapshots(plan, snapshots, &OutputZone::utc()).into_parts();
        backups
            .into_iter()
            .map(|backup| {
                let mut scheduled =
                    !backup.details.is_empty() && Slot::from_id(backup.backup_id).is_some();
                let mut started_millis: Option<i64> = None;
                for detail in &backup.details {
                    let (trigger, start) = parts.remove(&detail.snapshot_name).unwrap_or_default();
                    scheduled &= trigger.as_deref().and_then(Trigger::from_metadata)
                        == Some(Trigger::Schedule);
                    started_millis = match (started_millis, start) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                BackupFacts {
                    id: backup.backup_id,
                    state: backup.state,
                    scheduled,
                    started_millis,
                }
            })
            .collect()
    }

    fn slot(&self) -> Option<Slot> {
        self.scheduled.then(|| Slot::from_id(self.id)).flatten()
    }
}

/// The retention rules of SPEC §10.
///
/// - `keep_last(N)` keeps the N newest COMPLETE scheduled backups;
/// - `keep_within(D)` keeps every COMPLETE scheduled backup whose slot
///   started less than D ago; with both, a backup is kept if either keeps it;
///   with neither, every COMPLETE backup is kept;
/// - a scheduled backup that ended FAILED, INCOMPLETE or INCOMPATIBLE is
///   deleted once a newer scheduled backup is COMPLETE;
/// - never deleted: a backup not made by the schedule, anything
///   IN_PROGRESS, the newest COMPLETE scheduled backup, and the newest
///   COMPLETE backup of all.
///
/// Age and order are those of the slot in the id, not the cluster's clock,
/// so every replica decides alike.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_core::{BackupId, BackupState};
/// use backup_actuator_schedule::{BackupFacts, Retention};
///
/// let retention = Retention::builder().keep_last(1).build().unwrap();
/// let scheduled = |id: u64, state| BackupFacts { id: BackupId::new(id).unwrap(), state, scheduled: true, started_millis: None };
/// let backups = [
///     scheduled(20260101000000, BackupState::Complete),
///     scheduled(20260102000000, BackupState::Complete),
/// ];
/// let deletions = retention.select(&backups, "2026-01-03T00:00:00Z".parse().unwrap());
/// assert_eq!(deletions.len(), 1);
/// assert_eq!(deletions[0].id.get(), 20260101000000);
/// assert_eq!(deletions[0].rule.to_string(), "keep-last 1: not among the 1 newest COMPLETE scheduled backups");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    keep_last: Option<usize>,
    keep_within: Option<Duration>,
    dry_run: bool,
}

impl Retention {
    /// A builder; every rule is off until set.
    pub fn builder() -> RetentionBuilder {
        RetentionBuilder {
            keep_last: None,
            keep_within: None,
            dry_run: false,
        }
    }

    /// Whether deletions are only logged.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// The backups to delete among `backups` at `now`, oldest first, each
    /// with the rule that selected it.
    pub fn select(&self, backups: &[BackupFacts], now: Timestamp) -> Vec<Deletion> {
        let mut scheduled: Vec<(Slot, &BackupFacts)> = backups
            .iter()
            .filter_map(|b| Some((b.slot()?, b)))
            .collect();
        scheduled.sort_by_key(|(slot, _)| std::cmp::Reverse(*slot));
        let complete: Vec<(Slot, &BackupFacts)> = scheduled
            .iter()
            .copied()
            .filter(|(_, b)| b.state == BackupState::Complete)
            .collect();
        // The newest COMPLETE backup of all, by start time: if a schedule
        // made it, it stays whatever the rules say.
        let newest_overall = backups
            .iter()
            .filter(|b| b.state == BackupState::Complete)
            .max_by_key(|b| (b.started_millis, b.id))
            .map(|b| b.id);
        let mut deletions = Vec::new();
        for (rank, (slot, backup)) in complete.iter().enumerate() {
            if rank == 0 || Some(backup.id) == newest_overall {
                continue;
            }
            let kept_by_last = self.keep_last.map(|n| rank < n);
            let kept_by_within = self.keep_within.map(|within| {
                let age = now.duration_since(slot.start());
                age < SignedDuration::try_from(within).unwrap_or(SignedDuration::MAX)
            });
            let rule = match (kept_by_last, kept_by_within) {
                (Some(false), None) => RetentionRule::KeepLast {
                    keep: self.keep_last.unwrap_or_default(),
                },
                (None, Some(false)) => RetentionRule::KeepWithin {
                    within: self.keep_within.unwrap_or_default(),
                },
                (Some(false), Some(false)) => RetentionRule::KeepLastAndWithin {
                    keep: self.keep_last.unwrap_or_default(),
                    within: self.keep_within.unwrap_or_default(),
                },
                _ => continue,
            };
            deletions.push(Deletion {
                id: backup.id,
                state: backup.state,
                rule,
            });
        }
        for (slot, backup) in &scheduled {
            let ended_badly = matches!(
                backup.state,
                BackupState::Failed | BackupState::Incomplete | BackupState::Incompatible
            );
            // `complete` is newest first: its last entry newer than this
            // slot is the one that superseded it.
            let newer = complete.iter().rev().find(|(newer, _)| newer > slot);
            if let (true, Some((_, newer))) = (ended_badly, newer) {
                deletions.push(Deletion {
                    id: backup.id,
                    state: backup.state,
                    rule: RetentionRule::Superseded { newer: newer.id },
                });
            }
        }
        deletions.sort_by_key(|d| d.id);
        deletions
    }
}

/// Builds a [`Retention`]; see [`Retention::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct RetentionBuilder {
    keep_last: Option<usize>,
    keep_within: Option<Duration>,
    dry_run: bool,
}

impl RetentionBuilder {
    /// Keep the `n` newest COMPLETE scheduled backups (`n >= 1`).
    pub fn keep_last(mut self, n: usize) -> Self {
        self.keep_last = Some(n);
        self
    }

    /// Keep every COMPLETE scheduled backup younger than `within`.
    pub fn keep_within(mut self, within: Duration) -> Self {
        self.keep_within = Some(within);
        self
    }

    /// Only log what would be deleted.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Checks the rules: `keep_last(0)` and a zero `keep_within` are refused.
    ///
    /// ```
    /// use backup_actuator_schedule::{Retention, ScheduleError};
    ///
    /// assert_eq!(Retention::builder().keep_last(0).build(), Err(ScheduleError::KeepLastZero));
    /// ```
    pub fn build(self) -> Result<Retention, ScheduleError> {
        if self.keep_last == Some(0) {
            return Err(ScheduleError::KeepLastZero);
        }
        if self.keep_within == Some(Duration::ZERO) {
            return Err(ScheduleError::KeepWithinNotPositive);
        }
        Ok(Retention {
            keep_last: self.keep_last,
            keep_within: self.keep_within,
            dry_run: self.dry_run,
        })
    }
}

/// One backup retention selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deletion {
    /// The backup.
    pub id: BackupId,
    /// Its state when it was selected.
    pub state: BackupState,
    /// Why.
    pub rule: RetentionRule,
}

/// The rule that selected a [`Deletion`]; `Display` is the log text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetentionRule {
    /// Not among the `keep` newest COMPLETE scheduled backups.
    KeepLast {
        /// The configured count.
        keep: usize,
    },
    /// Its slot started longer ago than `within`.
    KeepWithin {
        /// The configured age.
        within: Duration,
    },
    /// Neither keep-last nor keep-within keeps it.
    KeepLastAndWithin {
        /// The configured count.
        keep: usize,
        /// The configured age.
        within: Duration,
    },
    /// Ended FAILED, INCOMPLETE or INCOMPATIBLE, and a newer scheduled
    /// backup is COMPLETE.
    Superseded {
        /// The oldest newer COMPLETE scheduled backup.
        newer: BackupId,
    },
}

impl RetentionRule {
    /// A short name for logs and metrics: `keep-last`, `keep-within`,
    /// `keep-last+keep-within` or `superseded`.
    pub fn name(&self) -> &'static str {
        match self {
            RetentionRule::KeepLast { .. } => "keep-last",
            RetentionRule::KeepWithin { .. } => "keep-within",
            RetentionRule::KeepLastAndWithin { .. } => "keep-last+keep-within",
            RetentionRule::Superseded { .. } => "superseded",
        }
    }
}

impl fmt::Display for RetentionRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let age = |d: &Duration| format_duration(*d);
        match self {
            RetentionRule::KeepLast { keep } => write!(
                f,
                "keep-last {keep}: not among the {keep} newest COMPLETE scheduled backups"
            ),
            RetentionRule::KeepWithin { within } => {
                write!(
                    f,
                    "keep-within {}: its slot is older than that",
                    age(within)
                )
            }
            RetentionRule::KeepLastAndWithin { keep, within } => write!(
                f,
                "keep-last {keep} and keep-within {}: neither keeps it",
                age(within)
            ),
            RetentionRule::Superseded { newer } => write!(
                f,
                "superseded: it did not complete and the newer scheduled backup {newer} is COMPLETE"
            ),
        }
    }
}

/// `7d`, `36h`, `90s`: the largest whole unit.
fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 => format!("{}ms", d.as_millis()),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
