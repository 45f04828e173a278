//! backup-actuator: the Camunda-Optimize-style backup API (trigger, read,
//! list, delete) for any service backed by Elasticsearch or OpenSearch.
//!
//! This facade re-exports the workspace crates:
//!
//! - [`core`]: ids, snapshot names, state rules, wire bodies (pure).
//! - [`store`]: the [`SnapshotStore`] trait and the in-memory store.
//!
//! ```
//! use backup_actuator::{BackupId, BackupPlan, MemoryStore};
//!
//! let plan = BackupPlan::optimize("8.6.0").unwrap();
//! let _store = MemoryStore::new();
//! assert_eq!(plan.lookup_pattern(BackupId::new(3).unwrap()), "camunda_optimize_3_*");
//! ```
#![deny(missing_docs)]

pub use backup_actuator_core as core;
pub use backup_actuator_store as store;

pub use backup_actuator_core::{
    BackupId, BackupInfo, BackupPlan, BackupState, Compatibility, OutputZone, SnapshotState,
};
pub use backup_actuator_store::{MemoryStore, SnapshotStore, StoreError};
