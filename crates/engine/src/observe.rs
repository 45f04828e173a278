//! The engine's one observer hook: what happened, as events. Metrics,
//! audit logs and tests subscribe here instead of wrapping the store.

use std::fmt::Debug;
use std::time::Duration;

use backup_actuator_core::{BackupId, BackupInfo, BackupList, SnapshotState};
use backup_actuator_store::StoreError;

/// Which store call an [`Event::StoreCall`] timed.
///
/// ```
/// use backup_actuator_engine::StoreCall;
///
/// assert_eq!(StoreCall::FindSnapshots.as_str(), "find_snapshots");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreCall {
    /// `find_snapshots`: a GET of snapshots.
    FindSnapshots,
    /// `create_snapshot`: a part or a claim.
    CreateSnapshot,
    /// `delete_snapshots`.
    DeleteSnapshots,
    /// `check_health`.
    CheckHealth,
}

impl StoreCall {
    /// The call's name, as metrics label it.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreCall::FindSnapshots => "find_snapshots",
            StoreCall::CreateSnapshot => "create_snapshot",
            StoreCall::DeleteSnapshots => "delete_snapshots",
            StoreCall::CheckHealth => "check_health",
        }
    }
}

/// How an accepted part was lost (SPEC §11's `backups_failed_total`
/// reasons).
///
/// ```
/// use backup_actuator_engine::PartLoss;
///
/// assert_eq!(PartLoss::Vanished.as_str(), "vanished");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartLoss {
    /// The part ended FAILED (or in a state this version does not know).
    Failed,
    /// The part ended PARTIAL: some shards are missing from it.
    Partial,
    /// The cluster accepted the part, and later it was not in the
    /// repository.
    Vanished,
}

impl PartLoss {
    /// The loss's name, as metrics label it.
    pub fn as_str(self) -> &'static str {
        match self {
            PartLoss::Failed => "failed",
            PartLoss::Partial => "partial",
            PartLoss::Vanished => "vanished",
        }
    }
}

/// Something the engine did or saw.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// One store call and how it ended.
    StoreCall {
        /// Which call.
        call: StoreCall,
        /// Its result; the error as the store gave it.
        result: Result<(), &'a StoreError>,
        /// How long it took.
        elapsed: Duration,
    },
    /// The cluster accepted every part of a backup.
    Triggered {
        /// The backup.
        backup_id: BackupId,
        /// Its parts.
        snapshots: &'a [String],
    },
    /// An accepted part reached a final state.
    PartEnded {
        /// The backup.
        backup_id: BackupId,
        /// The part.
        snapshot: &'a str,
        /// Its final state.
        state: &'a SnapshotState,
    },
    /// An accepted part ended FAILED or PARTIAL, or vanished.
    PartLost {
        /// The backup.
        backup_id: BackupId,
        /// The part.
        snapshot: &'a str,
        /// How.
        loss: PartLoss,
        /// The engine's reason, or what the engine saw.
        reason: &'a str,
    },
    /// A backup was deleted.
    Deleted {
        /// The backup.
        backup_id: BackupId,
        /// The snapshots deleted.
        snapshots: &'a [String],
    },
    /// The whole list was read.
    ListRead {
        /// The list.
        list: &'a BackupList,
    },
    /// One backup was read.
    BackupRead {
        /// The backup.
        backup: &'a BackupInfo,
    },
}

/// Receives every [`Event`] of an engine. Called inline: keep it quick
/// and never block.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use backup_actuator_engine::{Event, Observer};
///
/// #[derive(Debug, Default)]
/// struct CountTriggers(AtomicUsize);
///
/// impl Observer for CountTriggers {
///     fn observe(&self, event: &Event<'_>) {
///         if let Event::Triggered { .. } = event {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
/// ```
pub trait Observer: Debug + Send + Sync + 'static {
    /// One event.
    fn observe(&self, event: &Event<'_>);
}
