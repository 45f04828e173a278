//! Delete: every snapshot of the backup, its claim included, and nothing
//! that merely matches the wildcard.

use backup_actuator_core::BackupId;
use backup_actuator_store::StoreError;

use crate::engine::BackupEngine;
use crate::error::DeleteError;
use crate::observe::Event;

/// How many times delete looks up and tries again when the cluster reports
/// a name missing (deleted meanwhile): SPEC §6 "at most 3 times", after the
/// first try.
const DELETE_RETRIES: usize = 3;

/// A backup deleted.
///
/// ```
/// use backup_actuator_core::BackupId;
/// use backup_actuator_engine::Deleted;
///
/// let d = Deleted { backup_id: BackupId::new(1).unwrap(), snapshots: vec![] };
/// assert!(d.snapshots.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deleted {
    /// The backup.
    pub backup_id: BackupId,
    /// The snapshots deleted — its parts and its claim; empty when nothing
    /// of it was found.
    pub snapshots: Vec<String>,
}

impl BackupEngine {
    /// Deletes backup `id` (SPEC §6): one look-up, then one delete of
    /// exactly the names that parse as its parts, and its claim, even when
    /// no part is left; retried when a name vanished meanwhile. A trigger
    /// of the id running in this process is waited for first, so nothing it
    /// creates is left behind. Afterwards a trigger of the same id works.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::{BackupId, BackupPlan};
    /// use backup_actuator_engine::BackupEngine;
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build()
    ///     .unwrap();
    /// let id = BackupId::new(3).unwrap();
    /// engine.trigger(id, None).await.unwrap();
    /// assert_eq!(engine.delete(id).await.unwrap().snapshots.len(), 2);
    /// assert!(engine.delete(id).await.unwrap().snapshots.is_empty());
    /// assert!(engine.trigger(id, None).await.is_ok());
    /// # }
    /// ```
    pub async fn delete(&self, id: BackupId) -> Result<Deleted, DeleteError> {
        let state = &self.inner;
        let repository = state.repository_or(DeleteError::NoRepository)?;
        let id_lock = state.id_lock(id);
        let _trigger_done = id_lock.lock().await;
        // Deleted: the follow-up stops, and what was known of it is history.
        state.ledger().forget(id);
        let claim = state.plan.claim_name(id);
        let mut attempt = 1;
        loop {
            let found = state
                .find(repository, &state.plan.lookup_pattern(id))
                .await
                .map_err(DeleteError::Store)?;
            // Only names that are parts of this backup, and its claim: a
            // hand-made `{prefix}_{id}_before_upgrade` matches the pattern
            // but is kept.
            let mut names = state.parts_of(id, &found);
            if found.iter().any(|s| s.name == claim) {
                names.push(claim.clone());
            }
            if names.is_empty() {
                return Ok(Deleted {
                    backup_id: id,
                    snapshots: names,
                });
            }
            match state.remove(repository, &names).await {
                Ok(()) => {
                    tracing::info!(snapshots = ?names, "backup deleted");
                    state.emit(&Event::Deleted {
                        backup_id: id,
                        snapshots: &names,
                    });
                    return Ok(Deleted {
                        backup_id: id,
                        snapshots: names,
                    });
                }
                Err(StoreError::SnapshotMissing { name, .. }) if attempt <= DELETE_RETRIES => {
                    tracing::info!(snapshot = %name, attempt, "snapshot vanished meanwhile; looking up again");
                    attempt += 1;
                }
                Err(err) => return Err(DeleteError::Store(err)),
            }
        }
    }
}
