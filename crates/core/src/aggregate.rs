//! From snapshots to backups: grouping by id and the state rules of SPEC §4.

use std::fmt::Write as _;

use serde::{Deserialize, Deserializer};

use crate::circumstances::Circumstances;
use crate::id::BackupId;
use crate::plan::BackupPlan;
use crate::snapshot::{SnapshotRecord, SnapshotState};
use crate::time::OutputZone;

/// The state of a whole backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackupState {
    /// Every part number 1..N has a SUCCESS snapshot, and exactly N
    /// snapshots are in SUCCESS. Written `COMPLETE`, or `COMPLETED`
    /// under [`Compatibility::OptimizeServer`](crate::Compatibility).
    Complete,
    /// A snapshot failed, is PARTIAL or in an unknown state; or more than N
    /// succeeded.
    Failed,
    /// A snapshot is INCOMPATIBLE.
    Incompatible,
    /// A snapshot is still running.
    InProgress,
    /// Some part number 1..N has no SUCCESS snapshot, and none is running
    /// or failed.
    Incomplete,
}

impl BackupState {
    /// The documented wire name (`COMPLETE`, `FAILED`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            BackupState::Complete => "COMPLETE",
            BackupState::Failed => "FAILED",
            BackupState::Incompatible => "INCOMPATIBLE",
            BackupState::InProgress => "IN_PROGRESS",
            BackupState::Incomplete => "INCOMPLETE",
        }
    }
}

/// Accepts both `COMPLETE` (documented) and `COMPLETED` (the shipped
/// Optimize server), so clients work against either.
impl<'de> Deserialize<'de> for BackupState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(match &*name {
            "COMPLETE" | "COMPLETED" => BackupState::Complete,
            "FAILED" => BackupState::Failed,
            "INCOMPATIBLE" => BackupState::Incompatible,
            "IN_PROGRESS" => BackupState::InProgress,
            "INCOMPLETE" => BackupState::Incomplete,
            other => {
                return Err(serde::de::Error::unknown_variant(
                    other,
                    &[
                        "COMPLETE",
                        "COMPLETED",
                        "FAILED",
                        "INCOMPATIBLE",
                        "IN_PROGRESS",
                        "INCOMPLETE",
                    ],
                ))
            }
        })
    }
}

/// One backup as the API shows it. Serialize it with
/// [`Compatibility::backup`](crate::Compatibility::backup).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupInfo {
    /// The backup id.
    pub backup_id: BackupId,
    /// Why the backup failed or which parts it misses; `None` unless the
    /// state is FAILED or INCOMPLETE.
    pub failure_reason: Option<String>,
    /// The aggregated state.
    pub state: BackupState,
    /// One entry per snapshot, by part number, then name.
    pub details: Vec<SnapshotDetail>,
}

/// One snapshot of a backup as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotDetail {
    /// The snapshot name.
    pub snapshot_name: String,
    /// The snapshot state, verbatim for unknown states.
    pub state: SnapshotState,
    /// `yyyy-MM-dd'T'HH:mm:ss.SSS±HHMM`, or `None` if the cluster did not say.
    pub start_time: Option<String>,
    /// One readable line per shard failure.
    pub failures: Vec<String>,
}

/// Snapshots grouped into backups.
///
/// ```
/// use backup_actuator_core::{
///     BackupPlan, BackupState, Backups, OutputZone, SnapshotRecord, SnapshotState,
/// };
///
/// let plan = BackupPlan::optimize("8.6.0").unwrap();
/// let snapshots = vec![
///     SnapshotRecord::new("camunda_optimize_7_8.6.0_part_2_of_2", SnapshotState::Success),
///     SnapshotRecord::new("camunda_optimize_7_8.6.0_part_1_of_2", SnapshotState::Success),
///     SnapshotRecord::new("camunda_optimize_7_before_upgrade", SnapshotState::Success),
/// ];
/// let backups = Backups::from_snapshots(&plan, snapshots, &OutputZone::utc());
/// assert_eq!(backups.ignored(), ["camunda_optimize_7_before_upgrade"]);
/// let backup = &backups.list()[0];
/// assert_eq!(backup.state, BackupState::Complete);
/// assert_eq!(backup.details[0].snapshot_name, "camunda_optimize_7_8.6.0_part_1_of_2");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backups {
    backups: Vec<BackupInfo>,
    ignored: Vec<String>,
}

impl Backups {
    /// Groups snapshots by the backup id in their names, sorted by id, in
    /// the default [`Circumstances`] (no clock: a claim beside missing
    /// parts reads as a trigger under way).
    ///
    /// Names the plan cannot parse are set aside in [`Backups::ignored`]
    /// (the caller logs them); they never fail the whole answer. Records are
    /// moved, not copied.
    pub fn from_snapshots(
        plan: &BackupPlan,
        snapshots: Vec<SnapshotRecord>,
        zone: &OutputZone,
    ) -> Backups {
        Backups::judge(plan, snapshots, zone, &Circumstances::default())
    }

    /// Groups snapshots by the backup id in their names, sorted by id, and
    /// judges each backup by SPEC §4 in `circumstances`.
    ///
    /// A claim is evidence of its backup: an id with only a claim is a
    /// backup with no details, `IN_PROGRESS` while its trigger may run and
    /// `INCOMPLETE` after. Names the plan cannot parse are set aside in
    /// [`Backups::ignored`].
    pub fn judge(
        plan: &BackupPlan,
        snapshots: Vec<SnapshotRecord>,
        zone: &OutputZone,
        circumstances: &Circumstances,
    ) -> Backups {
        let mut ignored = Vec::new();
        let mut keyed: Vec<(Key, SnapshotRecord)> = Vec::with_capacity(snapshots.len());
        for record in snapshots {
            match Key::of(plan, &record.name) {
                Some(key) => keyed.push((key, record)),
                None => ignored.push(record.name),
            }
        }
        keyed.sort_unstable_by(|(a, ra), (b, rb)| {
            (a.backup_id, a.part_no)
                .cmp(&(b.backup_id, b.part_no))
                .then_with(|| ra.name.cmp(&rb.name))
        });

        let mut backups = Vec::new();
        let mut rest = keyed.into_iter().peekable();
        while let Some((first, record)) = rest.next() {
            let mut group = vec![(first, record)];
            while let Some((key, _)) = rest.peek() {
                if key.backup_id != first.backup_id {
                    break;
                }
                group.extend(rest.next());
            }
            backups.push(aggregate(first.backup_id, group, zone, circumstances));
        }
        Backups { backups, ignored }
    }

    /// The backups, by id ascending.
    pub fn list(&self) -> &[BackupInfo] {
        &self.backups
    }

    /// Names that matched a lookup pattern but are not parts of a backup.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// The backup with this id, if any of its snapshots was given.
    pub fn into_backup(self, id: BackupId) -> Option<BackupInfo> {
        self.backups.into_iter().find(|b| b.backup_id == id)
    }

    /// The backups and the ignored names.
    pub fn into_parts(self) -> (Vec<BackupInfo>, Vec<String>) {
        (self.backups, self.ignored)
    }
}

/// Where a snapshot belongs: its backup and part. A claim is part 0 of its
/// backup, so it sorts first and is never a detail.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    pub(crate) backup_id: BackupId,
    pub(crate) part_no: u32,
    pub(crate) part_count: u32,
}

impl Key {
    /// The key of a part or claim name of `plan`; `None` for any other name.
    pub(crate) fn of(plan: &BackupPlan, name: &str) -> Option<Key> {
        if let Some(parsed) = plan.parse_snapshot_name(name) {
            return Some(Key {
                backup_id: parsed.backup_id,
                part_no: parsed.part_no,
                part_count: parsed.part_count,
            });
        }
        plan.claim_id(name).map(|backup_id| Key {
            backup_id,
            part_no: CLAIM_PART_NO,
            part_count: plan.part_count(),
        })
    }
}

impl Key {
    /// Whether this is a claim's key, not a part's.
    pub(crate) fn is_claim(self) -> bool {
        self.part_no == CLAIM_PART_NO
    }
}

/// The part number a claim sorts under (its metadata says 0 as well).
const CLAIM_PART_NO: u32 = 0;

/// Applies the six rules of SPEC §4, first match wins, to the snapshots of
/// one backup, already sorted by part number then name; a claim (part 0)
/// comes first and only decides between IN_PROGRESS and INCOMPLETE.
pub(crate) fn aggregate(
    backup_id: BackupId,
    mut group: Vec<(Key, SnapshotRecord)>,
    zone: &OutputZone,
    circumstances: &Circumstances,
) -> BackupInfo {
    let claim = match group.first() {
        Some((key, _)) if key.is_claim() => Some(group.remove(0)),
        _ => None,
    };
    // Judged against its own names' part count, so old plans stay readable;
    // a claim alone says what the plan of its trigger was.
    let expected = group
        .iter()
        .map(|(k, _)| k.part_count)
        .max()
        .or(claim.as_ref().map(|(k, _)| k.part_count))
        .unwrap_or(0);
    let states = || group.iter().map(|(_, r)| &r.state);
    let successes = states().filter(|s| **s == SnapshotState::Success).count();
    // Counting alone is not enough: two SUCCESS copies of part 1 and no
    // part 2 cannot be restored, so every part number must be covered.
    let missing: Vec<u32> = (1..=expected)
        .filter(|&part_no| {
            !group
                .iter()
                .any(|(k, r)| k.part_no == part_no && r.state == SnapshotState::Success)
        })
        .collect();

    let (state, failure_reason) = if missing.is_empty() && successes == expected as usize {
        (BackupState::Complete, None)
    } else if states().any(SnapshotState::is_failure) {
        let failed = names(&group, |s| s.is_failure());
        (
            BackupState::Failed,
            Some(format!("The following snapshots failed: [{failed}]")),
        )
    } else if states().any(|s| *s == SnapshotState::Incompatible) {
        (BackupState::Incompatible, None)
    } else if states().any(|s| *s == SnapshotState::InProgress) {
        (BackupState::InProgress, None)
    } else if !missing.is_empty() {
        match &claim {
            // The claim stands for a trigger that may still create them.
            Some((_, claim))
                if circumstances.trigger_may_run(backup_id, claim.start_time_millis) =>
            {
                (BackupState::InProgress, None)
            }
            _ => (
                BackupState::Incomplete,
                Some(missing_reason(
                    backup_id,
                    &missing,
                    claim.as_ref().map(|(_, c)| c.name.as_str()),
                    circumstances,
                )),
            ),
        }
    } else {
        let succeeded = names(&group, |s| *s == SnapshotState::Success);
        (
            BackupState::Failed,
            Some(format!(
                "Expected {expected} snapshots but found {successes} successful snapshots: [{succeeded}]"
            )),
        )
    };

    let details = group
        .into_iter()
        .map(|(_, record)| SnapshotDetail {
            start_time: record
                .start_time_millis
                .and_then(|ms| zone.format_millis(ms)),
            failures: record.failures.iter().map(ToString::to_string).collect(),
            snapshot_name: record.name,
            state: record.state,
        })
        .collect();

    BackupInfo {
        backup_id,
        failure_reason,
        state,
        details,
    }
}

/// The `failureReason` of an INCOMPLETE backup: the missing part numbers,
/// then each reason this process knows, or what the claim beside them says.
fn missing_reason(
    backup_id: BackupId,
    missing: &[u32],
    claim: Option<&str>,
    circumstances: &Circumstances,
) -> String {
    let numbers: Vec<String> = missing.iter().map(u32::to_string).collect();
    let mut reason = format!("Missing parts: [{}]", numbers.join(", "));
    let mut known = false;
    for &part_no in missing {
        if let Some(why) = circumstances.why_lost(backup_id, part_no) {
            let _ = write!(reason, ". {why}");
            known = true;
        }
    }
    if let (false, Some(claim)) = (known, claim) {
        let _ = write!(
            reason,
            ". The trigger that claimed this backup ({claim}) is over, and they are not in the repository"
        );
    }
    reason
}

/// The names of the snapshots whose state passes `keep`, in details order,
/// joined by `, `.
fn names(group: &[(Key, SnapshotRecord)], keep: impl Fn(&SnapshotState) -> bool) -> String {
    let mut joined = String::new();
    for (_, record) in group.iter().filter(|(_, r)| keep(&r.state)) {
        if !joined.is_empty() {
            joined.push_str(", ");
        }
        let _ = write!(joined, "{}", record.name);
    }
    joined
}
