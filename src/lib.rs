//! backup-actuator: the Camunda-Optimize-style backup API (trigger, read,
//! list, delete) for any service backed by Elasticsearch or OpenSearch.
//!
//! This facade re-exports the workspace crates:
//!
//! - [`core`]: ids, snapshot names, state rules, wire bodies (pure).
//! - [`store`]: the [`SnapshotStore`] trait and the in-memory store.
//! - [`service`]: the tower [`BackupService`] and [`BackupLayer`] that answer
//!   the HTTP routes.
//! - `search` (feature `search`, on by default): `ClusterStore`, the store
//!   on an Elasticsearch or OpenSearch cluster, built with the [`Product`]
//!   as a value; feature `aws-auth` adds SigV4 for Amazon OpenSearch
//!   Service.
//! - `testkit` (feature `testkit`): an in-process emulator of the ES/OS
//!   snapshot API to test an integration without a cluster.
//! - `schedule` (feature `schedule`, on by default): `BackupSchedule`, cron
//!   slots whose backup ids every replica agrees on, and retention that never
//!   touches a manual backup.
//!
//! ```
//! use std::sync::Arc;
//! use backup_actuator::{BackupId, BackupPlan, BackupService, MemoryStore};
//!
//! let plan = BackupPlan::optimize("8.6.0").unwrap();
//! assert_eq!(plan.lookup_pattern(BackupId::new(3).unwrap()), "camunda_optimize_3_*");
//!
//! let service = BackupService::builder(Arc::new(MemoryStore::new()), plan)
//!     .repository("backups")
//!     .build();
//! assert_eq!(service.base_path(), "/actuator");
//! ```
//!
//! `examples/axum_mount.rs` and `examples/hyper_listener.rs` show the
//! service in an axum application and behind a plain hyper listener.
#![deny(missing_docs)]

pub use backup_actuator_core as core;
pub use backup_actuator_engine as engine;
pub use backup_actuator_service as service;
pub use backup_actuator_store as store;

/// Scheduled backups with retention (SPEC §10).
#[cfg(feature = "schedule")]
pub use backup_actuator_schedule as schedule;
#[cfg(feature = "schedule")]
pub use backup_actuator_schedule::{BackupSchedule, CronSchedule, Retention};
#[cfg(feature = "search")]
pub use backup_actuator_search as search;
#[cfg(feature = "search")]
pub use backup_actuator_search::ClusterStore;
#[cfg(feature = "metrics")]
pub use backup_actuator_service::BackupMetrics;
#[cfg(feature = "testkit")]
pub use backup_actuator_testkit as testkit;

pub use backup_actuator_core::{
    BackupId, BackupInfo, BackupPlan, BackupState, Compatibility, OutputZone, Product,
    SnapshotState,
};
pub use backup_actuator_engine::{BackupEngine, EngineBuilder};
pub use backup_actuator_service::{
    BackupBody, BackupLayer, BackupService, BackupServiceBuilder, LayerBody, WithBackupRoutes,
};
pub use backup_actuator_store::{MemoryStore, SnapshotStore, StoreError};
