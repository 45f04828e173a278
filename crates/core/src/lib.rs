//! The pure core of backup-actuator: backup ids, the backup plan and its
//! snapshot names, snapshot records, the state rules that turn snapshots
//! into backups, and the bodies the API sends.
//!
//! Nothing here does I/O, awaits, or reads a clock, so the same logic the
//! service runs can be used in any test.
//!
//! ```
//! use backup_actuator_core::*;
//!
//! let plan = BackupPlan::optimize("3.10.0").unwrap();
//! let id = BackupId::from_path_segment("123456").unwrap();
//! let mut part1 = SnapshotRecord::new(plan.snapshot_name(id, 1), SnapshotState::Success);
//! part1.start_time_millis = Some(1667985096978);
//! let part2 = SnapshotRecord::new(plan.snapshot_name(id, 2), SnapshotState::InProgress);
//!
//! let backup = Backups::from_snapshots(&plan, vec![part2, part1], &OutputZone::utc())
//!     .into_backup(id)
//!     .unwrap();
//! assert_eq!(backup.state, BackupState::InProgress);
//! assert_eq!(backup.details[0].start_time.as_deref(), Some("2022-11-09T09:11:36.978+0000"));
//! ```
#![deny(missing_docs)]

mod aggregate;
mod circumstances;
mod id;
mod list;
mod list_query;
mod names;
mod plan;
mod request;
mod snapshot;
mod time;
mod wire;

pub use aggregate::{BackupInfo, BackupState, Backups, SnapshotDetail};
pub use circumstances::Circumstances;
pub use id::{BackupId, InvalidBackupId};
pub use list::{BackupList, BackupSummary, ListPosition};
pub use list_query::{IdPattern, InvalidListQuery, ListQuery, MAX_ID_PATTERN_LEN};
pub use names::{InvalidRepositoryName, RepositoryName};
pub use plan::{
    BackupPlan, BackupPlanBuilder, ParsedSnapshotName, PartMetadata, PlanError, SnapshotPart,
    Trigger, DEFAULT_PREFIX, OPTIMIZE_IMPORT_INDICES,
};
pub use request::{BackupRequest, BackupRequestError};
pub use snapshot::{ShardFailure, SnapshotRecord, SnapshotState};
pub use time::{OutputZone, UnknownZone};
pub use wire::{
    ApiError, Compatibility, ErrorBody, ErrorCode, Product, TriggerAccepted, WireBackup,
    WireBackups,
};
