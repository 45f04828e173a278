//! The seam between the backup service and a cluster: the [`SnapshotStore`]
//! trait, its [`StoreError`], and [`MemoryStore`], the embedded default that
//! keeps snapshots in process. With the `testing` cargo feature, the
//! [`testing`] module adds test doubles for code that drives a store.
//!
//! ```
//! use std::sync::Arc;
//! use backup_actuator_core::{BackupId, BackupPlan};
//! use backup_actuator_store::{MemoryStore, SnapshotStore};
//!
//! # tokio_test();
//! # fn tokio_test() {
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! let store: Arc<dyn SnapshotStore> = Arc::new(MemoryStore::new());
//! let plan = BackupPlan::optimize("8.6.0").unwrap();
//! let id = BackupId::new(1).unwrap();
//! for part in plan.snapshot_parts(id) {
//!     store.create_snapshot("backups", &part).await.unwrap();
//! }
//! let found = store.find_snapshots("backups", &plan.lookup_pattern(id)).await.unwrap();
//! assert_eq!(found.len(), 2);
//! # });
//! # }
//! ```
#![deny(missing_docs)]

mod clock;
mod error;
mod glob;
mod memory;
#[cfg(feature = "testing")]
pub mod testing;

use std::fmt::Debug;

use async_trait::async_trait;
use backup_actuator_core::{SnapshotPart, SnapshotRecord};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{excerpt, Operation, StoreError};
pub use memory::{MemoryStore, MemoryStoreBuilder, PartOutcome};

/// The snapshot name the default [`SnapshotStore::check_health`] looks up:
/// an exact name (no wildcard) that no backup plan produces, since plan
/// names always carry `_part_`.
///
/// ```
/// assert!(!backup_actuator_store::HEALTH_PROBE_NAME.contains('*'));
/// ```
pub const HEALTH_PROBE_NAME: &str = "backup-actuator-health-probe";

/// Where snapshots live: everything the backup service needs from a
/// cluster, and nothing more.
///
/// Used as `Arc<dyn SnapshotStore>`. Patterns and names handed to a store
/// are built by [`BackupPlan`](backup_actuator_core::BackupPlan) from
/// validated ids; a store passes them on as they are.
#[async_trait]
pub trait SnapshotStore: Debug + Send + Sync + 'static {
    /// The snapshots in `repository` whose names match `pattern` (`*`
    /// wildcards). Nothing matching is `Ok(vec![])`, whatever the cluster
    /// version says for it.
    async fn find_snapshots(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError>;

    /// The names and states of the snapshots in `repository` whose names
    /// match `pattern`: what a list with `verbose=false` reads (SPEC §1).
    ///
    /// A cluster answers this from its repository index, without reading
    /// each snapshot's metadata, so the records carry no start time, no
    /// failures and no trigger. A store may return more; the caller uses
    /// only names and states. The default is
    /// [`find_snapshots`](SnapshotStore::find_snapshots), which is right
    /// for any store where the full read costs no more.
    ///
    /// ```
    /// use backup_actuator_core::{BackupId, BackupPlan, SnapshotState};
    /// use backup_actuator_store::{MemoryStore, SnapshotStore};
    ///
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let store = MemoryStore::new();
    /// let plan = BackupPlan::optimize("8.6.0").unwrap();
    /// let part = plan.snapshot_parts(BackupId::new(3).unwrap()).remove(0);
    /// store.create_snapshot("backups", &part).await.unwrap();
    /// let found = store.find_snapshot_states("backups", "camunda_optimize_3*").await.unwrap();
    /// assert_eq!(found[0].name, part.name);
    /// assert_eq!(found[0].state, SnapshotState::InProgress);
    /// # });
    /// ```
    async fn find_snapshot_states(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.find_snapshots(repository, pattern).await
    }

    /// Starts one snapshot and returns once the cluster has accepted it
    /// (not when it has finished).
    async fn create_snapshot(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError>;

    /// Deletes exactly these snapshots, aborting running ones, and returns
    /// once the cluster acknowledged. If one name does not exist, nothing is
    /// deleted and the error is [`StoreError::SnapshotMissing`].
    async fn delete_snapshots(&self, repository: &str, names: &[String]) -> Result<(), StoreError>;

    /// One cheap call that proves the store answers and `repository`
    /// exists: what a health check (`GET {base}/health`, SPEC §11) asks.
    ///
    /// The default looks up [`HEALTH_PROBE_NAME`], an exact name no plan
    /// makes, so it costs one snapshot lookup that finds nothing. Stores
    /// with a cheaper call override it (the Elasticsearch and OpenSearch
    /// stores ask for the repository's registration, `GET _snapshot/{repo}`).
    ///
    /// ```
    /// use backup_actuator_store::{MemoryStore, SnapshotStore, StoreError};
    ///
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let store = MemoryStore::builder().repositories(["backups"]).build();
    /// assert_eq!(store.check_health("backups").await, Ok(()));
    /// assert!(matches!(
    ///     store.check_health("elsewhere").await,
    ///     Err(StoreError::RepositoryMissing { .. })
    /// ));
    /// # });
    /// ```
    async fn check_health(&self, repository: &str) -> Result<(), StoreError> {
        self.find_snapshots(repository, HEALTH_PROBE_NAME)
            .await
            .map(drop)
    }

    /// A short description for logs, e.g. `memory` or
    /// `Elasticsearch at https://es:9200`; never credentials.
    fn describe(&self) -> String;
}
