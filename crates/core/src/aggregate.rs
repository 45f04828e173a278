//! From snapshots to backups: grouping by id and the state rules of SPEC §4.

use std::fmt::Write as _;

use serde::{Deserialize, Deserializer};

use crate::id::BackupId;
use crate::plan::{BackupPlan, ParsedSnapshotName};
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
    /// Why the backup failed; `None` unless the state is FAILED.
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
    /// Groups snapshots by the backup id in their names, sorted by id.
    ///
    /// Names the plan cannot parse are set aside in [`Backups::ignored`]
    /// (the caller logs them); they never fail the whole answer. Records are
    /// moved, not copied.
    pub fn from_snapshots(
        plan: &BackupPlan,
        snapshots: Vec<SnapshotRecord>,
        zone: &OutputZone,
    ) -> Backups {
        let mut ignored = Vec::new();
        let mut keyed: Vec<(Key, SnapshotRecord)> = Vec::with_capacity(snapshots.len());
        for record in snapshots {
            match plan.parse_snapshot_name(&record.name).map(Key::from) {
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
            backups.push(aggregate(first.backup_id, group, zone));
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

#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    pub(crate) backup_id: BackupId,
    pub(crate) part_no: u32,
    pub(crate) part_count: u32,
}

impl From<ParsedSnapshotName<'_>> for Key {
    fn from(parsed: ParsedSnapshotName<'_>) -> Key {
        Key {
            backup_id: parsed.backup_id,
            part_no: parsed.part_no,
            part_count: parsed.part_count,
        }
    }
}

/// Applies the six rules of SPEC §4, first match wins, to the snapshots of
/// one backup, already sorted by part number then name.
pub(crate) fn aggregate(
    backup_id: BackupId,
    group: Vec<(Key, SnapshotRecord)>,
    zone: &OutputZone,
) -> BackupInfo {
    // Judged against its own names' part count, so old plans stay readable.
    let expected = group.iter().map(|(k, _)| k.part_count).max().unwrap_or(0) as usize;
    let states = || group.iter().map(|(_, r)| &r.state);
    let successes = states().filter(|s| **s == SnapshotState::Success).count();
    // Counting alone is not enough: two SUCCESS copies of part 1 and no
    // part 2 cannot be restored, so every part number must be covered.
    let every_part_succeeded = (1..=expected as u32).all(|part_no| {
        group
            .iter()
            .any(|(k, r)| k.part_no == part_no && r.state == SnapshotState::Success)
    });

    let (state, failure_reason) = if every_part_succeeded && successes == expected {
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
    } else if !every_part_succeeded {
        (BackupState::Incomplete, None)
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
