//! The reads: one backup, the whole list, the snapshots behind them, and
//! the store's health.

use std::time::Duration;

use backup_actuator_core::{BackupId, BackupInfo, BackupList, Backups, SnapshotRecord};
use backup_actuator_store::StoreError;

use crate::engine::{BackupEngine, EngineState};
use crate::error::{GetError, HealthError, ListError};
use crate::observe::Event;

impl BackupEngine {
    /// Backup `id` as GET answers it (SPEC §4, §6): one store call; a
    /// claim counts as evidence, so an id with anything in the repository
    /// is never [`GetError::NotFound`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::{BackupId, BackupPlan};
    /// use backup_actuator_engine::{BackupEngine, GetError};
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build()
    ///     .unwrap();
    /// let id = BackupId::new(9).unwrap();
    /// assert_eq!(engine.get(id).await, Err(GetError::NotFound(id)));
    /// # }
    /// ```
    pub async fn get(&self, id: BackupId) -> Result<BackupInfo, GetError> {
        let state = &self.inner;
        let repository = state.repository_or(GetError::NoRepository)?;
        let found = state
            .find(repository, &state.plan.lookup_pattern(id))
            .await
            .map_err(GetError::Store)?;
        let backups = Backups::judge(
            &state.plan,
            found,
            &state.zone,
            &state.circumstances(Some(id)),
        );
        state.warn_ignored(backups.ignored());
        let backup = backups.into_backup(id).ok_or(GetError::NotFound(id))?;
        state.emit(&Event::BackupRead { backup: &backup });
        Ok(backup)
    }

    /// Every backup, by id ascending, as the list route answers (SPEC §4,
    /// §6): one store read; each backup is the one [`BackupEngine::get`]
    /// returns for it. The list is aggregated as it is written.
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
    /// engine.trigger(BackupId::new(2).unwrap(), None).await.unwrap();
    /// let list = engine.list().await.unwrap();
    /// assert_eq!(list.backups().map(|b| b.backup_id.get()).collect::<Vec<_>>(), [2]);
    /// # }
    /// ```
    pub async fn list(&self) -> Result<BackupList, ListError> {
        let state = &self.inner;
        let repository = state.repository_or(ListError::NoRepository)?;
        let found = state
            .find(repository, &state.plan.list_pattern())
            .await
            .map_err(ListError::Store)?;
        let (list, ignored) = BackupList::judge(
            &state.plan,
            found,
            state.zone.clone(),
            state.compat,
            state.circumstances(None),
        )
        .map_err(ListError::Unwritable)?;
        state.warn_ignored(&ignored);
        state.emit(&Event::ListRead { list: &list });
        Ok(list)
    }

    /// The snapshots of backup `id`, or of every backup with `None`, as the
    /// reads see them (claims included): what a scheduler reads to watch
    /// and retain backups, judged with [`BackupEngine::judge`].
    pub async fn find_snapshots(
        &self,
        id: Option<BackupId>,
    ) -> Result<Vec<SnapshotRecord>, GetError> {
        let state = &self.inner;
        let repository = state.repository_or(GetError::NoRepository)?;
        let pattern = match id {
            Some(id) => state.plan.lookup_pattern(id),
            None => state.plan.list_pattern(),
        };
        state
            .find(repository, &pattern)
            .await
            .map_err(GetError::Store)
    }

    /// Judges snapshots read by [`BackupEngine::find_snapshots`] as GET
    /// and the list do, with what this process knows of its triggers.
    pub fn judge(&self, snapshots: Vec<SnapshotRecord>) -> Backups {
        let state = &self.inner;
        let backups = Backups::judge(
            &state.plan,
            snapshots,
            &state.zone,
            &state.circumstances(None),
        );
        state.warn_ignored(backups.ignored());
        backups
    }

    /// One cheap store call for the repository (SPEC §11), within `within`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use backup_actuator_core::BackupPlan;
    /// use backup_actuator_engine::BackupEngine;
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(engine.check_health(Duration::from_secs(2)).await, Ok(()));
    /// # }
    /// ```
    pub async fn check_health(&self, within: Duration) -> Result<(), HealthError> {
        let state = &self.inner;
        let repository = state.repository_or(HealthError::NoRepository)?;
        match tokio::time::timeout(within, state.health(repository)).await {
            Ok(result) => result.map_err(HealthError::Store),
            Err(_) => Err(HealthError::TimedOut {
                store: state.store.describe(),
                within,
            }),
        }
    }
}

impl EngineState {
    /// Logs the names a lookup matched that are neither parts nor claims.
    pub(crate) fn warn_ignored(&self, ignored: &[String]) {
        for name in ignored {
            tracing::warn!(snapshot = %name, "ignoring a snapshot whose name is not part of a backup");
        }
    }

    /// The names among `found` that are parts of backup `id` under any
    /// plan: what a trigger conflicts with and what delete removes.
    pub(crate) fn parts_of(&self, id: BackupId, found: &[SnapshotRecord]) -> Vec<String> {
        found
            .iter()
            .filter(|s| self.plan.parse_snapshot_name(&s.name).map(|p| p.backup_id) == Some(id))
            .map(|s| s.name.clone())
            .collect()
    }
}

/// Whether a store error leaves the outcome of a create unknown: a timeout
/// or a broken answer, after which the cluster may have done it all the same.
pub(crate) fn is_unknown_outcome(err: &StoreError) -> bool {
    matches!(
        err,
        StoreError::Unreachable { .. } | StoreError::Unreadable { .. }
    )
}
