//! Restoring a backup into the cluster it lives in (SPEC §12): the step runbooks do by hand
//! with `_restore`. This module holds what a caller sees (the plan, the options, the
//! progress events, the errors); `requests.rs` the cluster calls.
//!
//! The requests are listed in the crate docs.

mod requests;

use std::fmt;
use std::time::Duration;

use backup_actuator_core::{BackupId, BackupState};
use backup_actuator_store::StoreError;

/// What restoring one backup would do: its parts in order, each with the indices it holds
/// and which of them exist in the cluster now. Made by `restore_plan`, carried out by
/// `restore_backup`; `Display` is the plan as the command line prints it.
///
/// ```
/// use backup_actuator_core::BackupId;
/// use backup_actuator_search::{RestorePart, RestorePlan};
///
/// let plan = RestorePlan::new(BackupId::new(7).unwrap(), "backups", vec![RestorePart {
///     snapshot: "camunda_optimize_7_8.6.0_part_1_of_1".into(),
///     part_no: 1,
///     indices: vec!["optimize-a".into(), "optimize-b".into()],
///     existing: vec!["optimize-b".into()],
/// }]);
/// assert_eq!(plan.existing_indices(), ["optimize-b"]);
/// assert!(plan.to_string().contains("optimize-b (exists)"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestorePlan {
    backup_id: BackupId,
    repository: String,
    parts: Vec<RestorePart>,
}

/// One part of a [`RestorePlan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestorePart {
    /// The snapshot name.
    pub snapshot: String,
    /// Its part number (parts are restored in this order).
    pub part_no: u32,
    /// The indices it holds, as the snapshot lists them.
    pub indices: Vec<String>,
    /// Those of them that exist in the cluster now.
    pub existing: Vec<String>,
}

impl RestorePlan {
    /// A plan from its parts (sorted here by part number).
    pub fn new(
        backup_id: BackupId,
        repository: impl Into<String>,
        mut parts: Vec<RestorePart>,
    ) -> RestorePlan {
        parts.sort_by_key(|part| part.part_no);
        RestorePlan {
            backup_id,
            repository: repository.into(),
            parts,
        }
    }

    /// The backup restored.
    pub fn backup_id(&self) -> BackupId {
        self.backup_id
    }

    /// The repository it is read from.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The parts, in the order they are restored.
    pub fn parts(&self) -> &[RestorePart] {
        &self.parts
    }

    /// Every index the restore creates, in part order.
    pub fn indices(&self) -> Vec<&str> {
        self.parts
            .iter()
            .flat_map(|part| part.indices.iter().map(String::as_str))
            .collect()
    }

    /// The indices that exist now: a restore refuses them unless told to delete them.
    pub fn existing_indices(&self) -> Vec<&str> {
        self.parts
            .iter()
            .flat_map(|part| part.existing.iter().map(String::as_str))
            .collect()
    }
}

impl fmt::Display for RestorePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Restore of backup {} from repository [{}]: {} part(s), {} index(es), {} of them exist now",
            self.backup_id,
            self.repository,
            self.parts.len(),
            self.indices().len(),
            self.existing_indices().len()
        )?;
        for part in &self.parts {
            writeln!(
                f,
                "  part {} of {}: {} ({} index(es))",
                part.part_no,
                self.parts.len(),
                part.snapshot,
                part.indices.len()
            )?;
            for index in &part.indices {
                if part.existing.contains(index) {
                    writeln!(f, "    {index} (exists)")?;
                } else {
                    writeln!(f, "    {index}")?;
                }
            }
        }
        Ok(())
    }
}

/// How `restore_backup` goes about it.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_search::RestoreOptions;
///
/// let options = RestoreOptions::new()
///     .delete_existing(true)
///     .poll_interval(Duration::from_millis(500))
///     .part_timeout(Duration::from_secs(3600));
/// assert!(options.deletes_existing());
/// ```
#[derive(Clone, Debug)]
pub struct RestoreOptions {
    delete_existing: bool,
    poll_interval: Duration,
    part_timeout: Duration,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions::new()
    }
}

impl RestoreOptions {
    /// Refuse existing indices; poll every second; give each part an hour.
    pub fn new() -> RestoreOptions {
        RestoreOptions {
            delete_existing: false,
            poll_interval: Duration::from_secs(1),
            part_timeout: Duration::from_secs(3600),
        }
    }

    /// Delete the indices to be restored that exist (exactly those) before restoring,
    /// instead of refusing.
    pub fn delete_existing(mut self, delete: bool) -> Self {
        self.delete_existing = delete;
        self
    }

    /// Whether existing indices are deleted first.
    pub fn deletes_existing(&self) -> bool {
        self.delete_existing
    }

    /// How often the health of a part's indices is read while it restores.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long one part may take before the restore gives up on it.
    pub fn part_timeout(mut self, timeout: Duration) -> Self {
        self.part_timeout = timeout;
        self
    }
}

/// What `restore_backup` reports while it works, for a progress display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreEvent<'a> {
    /// About to delete these existing indices.
    Deleting {
        /// The indices.
        indices: &'a [String],
    },
    /// A part's restore was accepted by the cluster.
    PartStarted {
        /// The part.
        part: &'a RestorePart,
    },
    /// How many of the part's indices have their primaries active.
    PartProgress {
        /// The part.
        part: &'a RestorePart,
        /// Indices no longer red.
        ready: usize,
    },
    /// Every index of the part has its primaries active.
    PartDone {
        /// The part.
        part: &'a RestorePart,
    },
}

/// One restored index as the final check found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredIndex {
    /// The index.
    pub name: String,
    /// Its health: `green` or `yellow`.
    pub health: String,
}

/// Why a restore did not happen or did not finish. Never contains a credential.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// No snapshot of this backup id.
    #[error("No backup with ID [{backup_id}] could be found.")]
    NotFound {
        /// The id.
        backup_id: BackupId,
    },
    /// The backup is not COMPLETE, so it cannot be restored whole.
    #[error("backup {backup_id} is {}, not COMPLETE: only a complete backup can be restored{}", state.as_str(), reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    NotComplete {
        /// The id.
        backup_id: BackupId,
        /// Its state.
        state: BackupState,
        /// Its failure reason, if FAILED.
        reason: Option<String>,
    },
    /// Indices to be restored exist and `delete_existing` was not asked for.
    #[error("refusing to restore: these indices exist: [{}]; delete them first or pass --delete-existing", names.join(", "))]
    IndicesExist {
        /// The existing indices.
        names: Vec<String>,
    },
    /// A part's indices did not become active in time.
    #[error(
        "restoring {snapshot} did not finish within {timeout:?}: {ready} of {total} indices active"
    )]
    Timeout {
        /// The part's snapshot.
        snapshot: String,
        /// The limit.
        timeout: Duration,
        /// Indices active by then.
        ready: usize,
        /// The part's indices.
        total: usize,
    },
    /// The final check found indices missing or red.
    #[error("the restore finished but these indices are missing or red: [{}]", names.join(", "))]
    Unhealthy {
        /// `name (status)` of each.
        names: Vec<String>,
    },
    /// The cluster failed or could not be reached.
    #[error(transparent)]
    Store(#[from] StoreError),
}
