//! The backup engine of backup-actuator: the operations of SPEC §6 —
//! [`list`](BackupEngine::list), [`get`](BackupEngine::get),
//! [`trigger`](BackupEngine::trigger) and [`delete`](BackupEngine::delete) —
//! as a typed API over a [`SnapshotStore`](backup_actuator_store::SnapshotStore).
//!
//! It holds the store, the plan, the repository, the trigger lock, the
//! claim protocol, the rollback of a refused backup, the watch after a
//! create whose outcome is unknown, and the follow-up of accepted parts.
//! It knows nothing of HTTP: the tower service of `backup-actuator-service`
//! is one host of it; a schedule, a command line or your own code are
//! others, and all drive the same engine.
//!
//! Each operation has its own error enum naming the outcomes it can have.
//! What happens is reported to [`Observer`]s as [`Event`]s (metrics hook
//! in there). Background work — claim releases, rollbacks, watches, a
//! trigger whose caller went away — runs to its end; [`BackupEngine::shutdown`]
//! waits for it.
//!
//! ```
//! use std::sync::Arc;
//! use backup_actuator_core::{BackupId, BackupPlan, BackupState};
//! use backup_actuator_engine::BackupEngine;
//! use backup_actuator_store::MemoryStore;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
//!     .repository("backups")
//!     .build()
//!     .unwrap();
//! let id = BackupId::new(42).unwrap();
//! engine.trigger(id, None).await.unwrap();
//! assert_ne!(engine.get(id).await.unwrap().state, BackupState::Failed);
//! # }
//! ```
#![deny(missing_docs)]

mod builder;
mod delete;
mod engine;
mod error;
mod follow;
mod ledger;
mod observe;
mod read;
mod trigger;

pub use builder::{
    EngineBuilder, DEFAULT_CLAIM_EXPIRY, DEFAULT_FOLLOW_LIMIT, DEFAULT_UNKNOWN_OUTCOME_WATCH,
};
pub use delete::Deleted;
pub use engine::BackupEngine;
pub use error::{DeleteError, GetError, HealthError, ListError, Pending, TriggerError};
pub use observe::{Event, Observer, PartLoss, StoreCall};
pub use trigger::Triggered;
