//! Proving that a backup restores (SPEC §13): a restore drill under scratch
//! names that never touches the live indices. `COMPLETE` comes from snapshot
//! metadata; a data blob lost from the repository shows only when a shard is
//! restored, so the drill restores every shard and reads it back.
//!
//! This module holds what a caller sees (options, report, progress events,
//! errors); `requests.rs` the cluster calls, listed in the crate docs.

mod requests;

use std::fmt;
use std::time::Duration;

use backup_actuator_core::BackupId;
use backup_actuator_store::StoreError;

use crate::restore::RestorePart;

/// The longest index name the engines take, in bytes.
const MAX_INDEX_NAME_BYTES: usize = 255;

/// The name `index` of backup `backup_id` is restored under by a drill:
/// `verify-<id>-<index>`. Nothing else in a cluster should be named so; a
/// drill refuses to start while such an index exists
/// ([`VerifyError::ScratchExists`]), so it never deletes what it did not make.
///
/// ```
/// use backup_actuator_core::BackupId;
/// use backup_actuator_search::scratch_index_name;
///
/// let id = BackupId::new(20261206020000).unwrap();
/// assert_eq!(
///     scratch_index_name(id, "optimize-report"),
///     "verify-20261206020000-optimize-report"
/// );
/// ```
pub fn scratch_index_name(backup_id: BackupId, index: &str) -> String {
    format!("{}{index}", scratch_prefix(backup_id))
}

/// What every scratch index of a drill of `backup_id` starts with.
pub(crate) fn scratch_prefix(backup_id: BackupId) -> String {
    format!("verify-{backup_id}-")
}

/// How [`ClusterStore::verify_backup`](crate::ClusterStore::verify_backup)
/// goes about a drill.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_search::VerifyOptions;
///
/// let options = VerifyOptions::new()
///     .repository("backups-readonly")
///     .part_timeout(Duration::from_secs(1800))
///     .poll_interval(Duration::from_millis(500));
/// assert_eq!(options.repository_name(), Some("backups-readonly"));
/// assert!(options.checks_room());
/// ```
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    repository: Option<String>,
    poll_interval: Duration,
    part_timeout: Duration,
    room_check: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions::new()
    }
}

impl VerifyOptions {
    /// The plan's repository; poll every second; an hour per part; the room
    /// check on.
    pub fn new() -> VerifyOptions {
        VerifyOptions {
            repository: None,
            poll_interval: Duration::from_secs(1),
            part_timeout: Duration::from_secs(3600),
            room_check: true,
        }
    }

    /// The name the repository is registered under on the cluster that runs
    /// the drill, when it differs from the plan's (a drill cluster that has
    /// the production repository registered read-only under another name).
    pub fn repository(mut self, name: impl Into<String>) -> Self {
        self.repository = Some(name.into());
        self
    }

    /// The repository name set by [`Self::repository`], if any.
    pub fn repository_name(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    /// How often the restored shards are read while they recover.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long one part may take to recover before the drill gives up.
    pub fn part_timeout(mut self, timeout: Duration) -> Self {
        self.part_timeout = timeout;
        self
    }

    /// Whether to compare the backup's size with the free disk first (on
    /// by default). Off only for clusters that do not report disk space.
    pub fn room_check(mut self, check: bool) -> Self {
        self.room_check = check;
        self
    }

    /// Whether the room check runs.
    pub fn checks_room(&self) -> bool {
        self.room_check
    }
}

/// One index that a drill restored and read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedIndex {
    /// The index in the backup.
    pub source_index: String,
    /// The scratch name it was restored under (deleted again).
    pub scratch_index: String,
    /// The part's snapshot.
    pub snapshot: String,
    /// The part number.
    pub part_no: u32,
    /// Its primary shards, every one recovered.
    pub shards: u32,
    /// What `_count` answered.
    pub documents: u64,
    /// The bytes restored into its primaries.
    pub size_in_bytes: u64,
    /// From the restore request until its last primary had recovered.
    pub restore_time: Duration,
}

/// What a drill that passed found: every index of the backup restored and
/// answered. `Display` is the report as the command line prints it.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_core::BackupId;
/// use backup_actuator_search::{VerifiedIndex, VerifyReport};
///
/// let report = VerifyReport {
///     backup_id: BackupId::new(7).unwrap(),
///     repository: "backups".into(),
///     needed_bytes: Some(4096),
///     free_bytes: Some(1 << 30),
///     indices: vec![VerifiedIndex {
///         source_index: "optimize-report".into(),
///         scratch_index: "verify-7-optimize-report".into(),
///         snapshot: "camunda_optimize_7_8.6.0_part_2_of_2".into(),
///         part_no: 2,
///         shards: 1,
///         documents: 12,
///         size_in_bytes: 4096,
///         restore_time: Duration::from_millis(850),
///     }],
///     took: Duration::from_secs(2),
/// };
/// assert_eq!(report.documents(), 12);
/// assert!(report.to_string().contains("optimize-report"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// The backup drilled.
    pub backup_id: BackupId,
    /// The repository it was restored from, on the drill cluster.
    pub repository: String,
    /// What the room check found the drill needs (the largest part, as
    /// parts are restored and deleted one after another); `None` when the
    /// check was off.
    pub needed_bytes: Option<u64>,
    /// The free disk of the data nodes at the room check.
    pub free_bytes: Option<u64>,
    /// Every index restored, in part order.
    pub indices: Vec<VerifiedIndex>,
    /// The whole drill.
    pub took: Duration,
}

impl VerifyReport {
    /// Documents over every index.
    pub fn documents(&self) -> u64 {
        self.indices.iter().map(|i| i.documents).sum()
    }

    /// Restored bytes over every index.
    pub fn size_in_bytes(&self) -> u64 {
        self.indices.iter().map(|i| i.size_in_bytes).sum()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Backup {} restores: {} index(es), {} document(s), {} byte(s), drill took {:.1} s",
            self.backup_id,
            self.indices.len(),
            self.documents(),
            self.size_in_bytes(),
            self.took.as_secs_f64()
        )?;
        let width = self
            .indices
            .iter()
            .map(|i| i.source_index.len())
            .max()
            .unwrap_or(0)
            .max("INDEX".len());
        writeln!(
            f,
            "  {:<width$}  {:>4}  {:>6}  {:>12}  {:>14}  {:>9}",
            "INDEX", "PART", "SHARDS", "DOCUMENTS", "BYTES", "RESTORE"
        )?;
        for index in &self.indices {
            writeln!(
                f,
                "  {:<width$}  {:>4}  {:>6}  {:>12}  {:>14}  {:>8.1}s",
                index.source_index,
                index.part_no,
                index.shards,
                index.documents,
                index.size_in_bytes,
                index.restore_time.as_secs_f64()
            )?;
        }
        Ok(())
    }
}

/// A shard (or a whole index, when the engine refused the restore itself)
/// that did not restore, with the engine's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnrestorableShard {
    /// The index in the backup.
    pub source_index: String,
    /// The scratch name it was restored under.
    pub scratch_index: String,
    /// The part's snapshot.
    pub snapshot: String,
    /// The shard number; `None` when the index as a whole failed (the
    /// restore was refused, or `_count` / search failed on it).
    pub shard: Option<u32>,
    /// The engine's reason, as it wrote it.
    pub reason: String,
}

impl fmt::Display for UnrestorableShard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shard {
            Some(shard) => write!(
                f,
                "index [{}] shard [{shard}] (snapshot {}): {}",
                self.source_index, self.snapshot, self.reason
            ),
            None => write!(
                f,
                "index [{}] (snapshot {}): {}",
                self.source_index, self.snapshot, self.reason
            ),
        }
    }
}

/// What a drill reports while it works, for a progress display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyEvent<'a> {
    /// The room check passed.
    RoomChecked {
        /// Bytes the drill needs at most at once (the largest part).
        needed: u64,
        /// Free bytes on the data nodes.
        free: u64,
    },
    /// A part's restore under scratch names was accepted.
    PartStarted {
        /// The part.
        part: &'a RestorePart,
    },
    /// An index was restored and read back.
    IndexVerified {
        /// The index.
        index: &'a VerifiedIndex,
    },
    /// Scratch indices were deleted.
    ScratchDeleted {
        /// Their names.
        indices: &'a [String],
    },
}

/// Why a drill did not pass. Never contains a credential.
/// [`VerifyError::is_not_restorable`] tells a verdict on the backup from a
/// drill that could not run.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The backup did not restore.
    #[error("backup {backup_id} is not restorable: {}", shards.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    NotRestorable {
        /// The backup.
        backup_id: BackupId,
        /// What failed, at least one.
        shards: Vec<UnrestorableShard>,
    },
    /// The drill would not fit on the cluster's disks.
    #[error("not enough room for the drill: it needs {needed} bytes (the largest part of the backup) but the data nodes have {free} bytes free; run it on another cluster with --into, or free disk space")]
    NoRoom {
        /// Bytes needed.
        needed: u64,
        /// Bytes free.
        free: u64,
    },
    /// Scratch indices exist already: another drill of this backup is
    /// running, an earlier one was killed before it could delete them, or
    /// someone else uses the names. Never deleted by this drill.
    #[error("indices with the drill's scratch names exist: [{}]; another drill of this backup is running, or one was killed before it could delete them (then DELETE /<index> and run again)", names.join(", "))]
    ScratchExists {
        /// Their names.
        names: Vec<String>,
    },
    /// An index name of the backup is too long to take the scratch prefix.
    #[error("index [{index}] cannot be restored under a scratch name: [{scratch}] is longer than {MAX_INDEX_NAME_BYTES} bytes")]
    ScratchNameTooLong {
        /// The index.
        index: String,
        /// Its scratch name.
        scratch: String,
    },
    /// A part's shards did not recover in time.
    #[error("restoring {snapshot} did not finish within {timeout:?}: waiting for [{}]", pending.join(", "))]
    Timeout {
        /// The part's snapshot.
        snapshot: String,
        /// The limit.
        timeout: Duration,
        /// `index[shard] STATE (reason)` of each shard not yet started.
        pending: Vec<String>,
    },
    /// The drill was interrupted (its scratch indices were deleted).
    #[error("the drill was interrupted; its scratch indices were deleted")]
    Interrupted,
    /// The scratch indices could not all be deleted.
    #[error("{}; but these scratch indices could not be deleted: [{}] ({cause}); delete them by hand", outcome.as_ref().map_or_else(|| "the drill passed".to_owned(), ToString::to_string), names.join(", "))]
    ScratchLeft {
        /// What the drill itself found: `None` if it passed.
        outcome: Option<Box<VerifyError>>,
        /// The indices left.
        names: Vec<String>,
        /// Why the deletion failed.
        cause: StoreError,
    },
    /// The cluster failed or could not be reached.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl VerifyError {
    /// True when the drill ran and the backup failed it (exit 20), as
    /// opposed to a drill that could not run (exit 1).
    ///
    /// ```
    /// use backup_actuator_core::BackupId;
    /// use backup_actuator_search::VerifyError;
    ///
    /// let err = VerifyError::NotRestorable { backup_id: BackupId::new(1).unwrap(), shards: vec![] };
    /// assert!(err.is_not_restorable());
    /// assert!(!VerifyError::Interrupted.is_not_restorable());
    /// ```
    pub fn is_not_restorable(&self) -> bool {
        match self {
            VerifyError::NotRestorable { .. } => true,
            VerifyError::ScratchLeft {
                outcome: Some(outcome),
                ..
            } => outcome.is_not_restorable(),
            _ => false,
        }
    }
}

/// Whether any scratch name is too long for the engines.
pub(crate) fn check_scratch_names(
    backup_id: BackupId,
    indices: &[&str],
) -> Result<(), VerifyError> {
    for index in indices {
        let scratch = scratch_index_name(backup_id, index);
        if scratch.len() > MAX_INDEX_NAME_BYTES {
            return Err(VerifyError::ScratchNameTooLong {
                index: (*index).to_owned(),
                scratch,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
