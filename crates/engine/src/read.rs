//! The reads: one backup, the whole list, the snapshots behind them, and
//! the store's health.

use std::time::Duration;

use backup_actuator_core::{BackupId, BackupInfo, BackupList, Backups, ListQuery, SnapshotRecord};
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
        self.list_with(&ListQuery::default()).await
    }

    /// The list as `query` asks for it (SPEC §1, §6): the backups whose ids
    /// match its pattern (`{prefix}_{pattern}`, the id rule still applied
    /// to every name), each judged by §4 as [`BackupEngine::get`] judges it.
    ///
    /// Without `verbose`, the store is asked only for names and states
    /// ([`SnapshotStore::find_snapshot_states`]) and every backup is judged
    /// from those alone, whatever the store returned: `startTime` is null,
    /// `failures` empty, `failureReason` what the states and names say.
    /// Only the whole list in full ([`ListQuery::is_full`]) is reported to
    /// the observers as [`Event::ListRead`]: a part of the list, or one
    /// without start times, does not describe the repository.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::{BackupId, BackupPlan, ListQuery};
    /// use backup_actuator_engine::BackupEngine;
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build()
    ///     .unwrap();
    /// for id in [7, 70, 8] {
    ///     engine.trigger(BackupId::new(id).unwrap(), None).await.unwrap();
    /// }
    /// let query = ListQuery::from_params([("pattern", "7*"), ("verbose", "false")]).unwrap();
    /// let list = engine.list_with(&query).await.unwrap();
    /// let backups: Vec<_> = list.backups().collect();
    /// assert_eq!(backups.iter().map(|b| b.backup_id.get()).collect::<Vec<_>>(), [7, 70]);
    /// assert!(backups[0].details.iter().all(|part| part.start_time.is_none()));
    /// # }
    /// ```
    ///
    /// [`SnapshotStore::find_snapshot_states`]: backup_actuator_store::SnapshotStore::find_snapshot_states
    pub async fn list_with(&self, query: &ListQuery) -> Result<BackupList, ListError> {
        let state = &self.inner;
        let repository = state.repository_or(ListError::NoRepository)?;
        let pattern = query.lookup_pattern(&state.plan);
        let found = if query.verbose {
            state.find(repository, &pattern).await
        } else {
            state
                .find_states(repository, &pattern)
                .await
                .map(names_and_states)
        }
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
        if query.is_full() {
            state.emit(&Event::ListRead { list: &list });
        }
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

/// The records as a names-and-states read gives them, whichever store
/// answered: what a store returns beyond the name and state is dropped, so
/// a `verbose=false` list reads the same from every store.
fn names_and_states(mut records: Vec<SnapshotRecord>) -> Vec<SnapshotRecord> {
    for record in &mut records {
        record.start_time_millis = None;
        record.failures = Vec::new();
        record.trigger = None;
    }
    records
}

/// Whether a store error leaves the outcome of a create unknown: a timeout
/// or a broken answer, after which the cluster may have done it all the same.
pub(crate) fn is_unknown_outcome(err: &StoreError) -> bool {
    matches!(
        err,
        StoreError::Unreachable { .. } | StoreError::Unreadable { .. }
    )
}
