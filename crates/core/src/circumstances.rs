//! What a reader knows beside the snapshots themselves (SPEC §4, §6): the
//! time of the read, how long a claim may stand for a trigger still under
//! way, and what this process saw of the triggers it ran itself.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::id::BackupId;

/// The circumstances a backup is judged in, beside its snapshots.
///
/// A claim (`{prefix}_{id}_claim`) is evidence that a trigger began the
/// backup. While that trigger may still be under way, a backup whose parts
/// are missing reads `IN_PROGRESS`; after that it reads `INCOMPLETE`, and
/// `failureReason` says which parts are missing and, where this process
/// knows, why. A trigger may be under way while this process runs it, or —
/// when this process knows nothing of it — while the claim is younger than
/// the claim expiry.
///
/// Without a time ([`Circumstances::default`]) every claim whose trigger
/// this process did not see end counts as one under way.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_core::{
///     BackupId, BackupPlan, BackupState, Backups, Circumstances, OutputZone, SnapshotRecord,
///     SnapshotState,
/// };
///
/// let plan = BackupPlan::optimize("8.6.0").unwrap();
/// let id = BackupId::new(1).unwrap();
/// let mut claim = SnapshotRecord::new(plan.claim_name(id), SnapshotState::Success);
/// claim.start_time_millis = Some(1_000);
///
/// // A minute after the claim, with a 10-minute expiry: a trigger may still be under way.
/// let soon = Circumstances::at(61_000, Duration::from_secs(600));
/// let backup = Backups::judge(&plan, vec![claim.clone()], &OutputZone::utc(), &soon)
///     .into_backup(id)
///     .unwrap();
/// assert_eq!(backup.state, BackupState::InProgress);
///
/// // This process saw its trigger end, and lost part 2 after the cluster accepted it.
/// let known = soon
///     .trigger_ended(id)
///     .part_lost(id, 2, "Part 2 of 2 was accepted by the cluster but is not in the repository");
/// let backup = Backups::judge(&plan, vec![claim], &OutputZone::utc(), &known)
///     .into_backup(id)
///     .unwrap();
/// assert_eq!(backup.state, BackupState::Incomplete);
/// assert_eq!(
///     backup.failure_reason.as_deref(),
///     Some("Missing parts: [1, 2]. Part 2 of 2 was accepted by the cluster but is not in the repository")
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Circumstances {
    now_millis: Option<i64>,
    claim_expiry: Duration,
    under_way: BTreeSet<BackupId>,
    ended: BTreeSet<BackupId>,
    lost: BTreeMap<BackupId, BTreeMap<u32, String>>,
}

impl Circumstances {
    /// A read at `now_millis` (milliseconds since the epoch, on the same
    /// scale as the cluster's `start_time_in_millis`), where a claim older
    /// than `claim_expiry` no longer stands for a trigger under way.
    pub fn at(now_millis: i64, claim_expiry: Duration) -> Circumstances {
        Circumstances {
            now_millis: Some(now_millis),
            claim_expiry,
            ..Circumstances::default()
        }
    }

    /// This process is running a trigger of `id` now.
    #[must_use]
    pub fn trigger_under_way(mut self, id: BackupId) -> Circumstances {
        self.under_way.insert(id);
        self
    }

    /// This process ran a trigger of `id` to its end: a claim of `id` left
    /// standing is a leftover, whatever its age.
    #[must_use]
    pub fn trigger_ended(mut self, id: BackupId) -> Circumstances {
        self.ended.insert(id);
        self
    }

    /// This process knows why part `part_no` of `id` is missing: one
    /// sentence, shown in the backup's `failureReason`.
    #[must_use]
    pub fn part_lost(
        mut self,
        id: BackupId,
        part_no: u32,
        why: impl Into<String>,
    ) -> Circumstances {
        self.lost.entry(id).or_default().insert(part_no, why.into());
        self
    }

    /// Whether a trigger of `id`, whose claim started at `claim_start`,
    /// may still be under way.
    pub(crate) fn trigger_may_run(&self, id: BackupId, claim_start: Option<i64>) -> bool {
        if self.under_way.contains(&id) {
            return true;
        }
        if self.ended.contains(&id) {
            return false;
        }
        match (self.now_millis, claim_start) {
            (Some(now), Some(start)) => {
                let expiry = i64::try_from(self.claim_expiry.as_millis()).unwrap_or(i64::MAX);
                now.saturating_sub(start) < expiry
            }
            _ => true,
        }
    }

    /// Why part `part_no` of `id` is missing, if this process knows.
    pub(crate) fn why_lost(&self, id: BackupId, part_no: u32) -> Option<&str> {
        self.lost.get(&id)?.get(&part_no).map(String::as_str)
    }
}
