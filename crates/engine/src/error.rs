//! One error enum per operation, each naming the outcomes it can have.
//! A store error inside one is typed ([`StoreError`]); its text is the
//! store's, which redacts what the cluster echoes.

use backup_actuator_core::BackupId;
use backup_actuator_store::StoreError;

/// The message of every operation when the engine has no repository.
const NO_REPOSITORY: &str =
    "Cannot execute backup request because no snapshot repository name found in the configuration.";

/// Why [`BackupEngine::get`](crate::BackupEngine::get) has no backup.
///
/// ```
/// use backup_actuator_core::BackupId;
/// use backup_actuator_engine::GetError;
///
/// let err = GetError::NotFound(BackupId::new(7).unwrap());
/// assert_eq!(err.to_string(), "No backup with ID [7] could be found.");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GetError {
    /// The engine was built without a repository.
    #[error("{NO_REPOSITORY}")]
    NoRepository,
    /// The repository holds nothing of that id: no part, no claim.
    #[error("No backup with ID [{0}] could be found.")]
    NotFound(BackupId),
    /// The store failed: the repository is missing, or the cluster could
    /// not be reached or answered with an error.
    #[error(transparent)]
    Store(StoreError),
}

/// Why [`BackupEngine::list`](crate::BackupEngine::list) has no list.
///
/// ```
/// use backup_actuator_engine::ListError;
///
/// assert!(ListError::NoRepository.to_string().starts_with("Cannot execute backup request"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The engine was built without a repository.
    #[error("{NO_REPOSITORY}")]
    NoRepository,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// A backup of the list could not be serialized (the list is measured
    /// before anything is sent, so this comes before any byte).
    #[error("could not write the answer: {0}")]
    Unwritable(#[source] serde_json::Error),
}

/// Which create of a trigger had an unknown outcome.
///
/// ```
/// use backup_actuator_engine::Pending;
///
/// assert_ne!(Pending::Claim, Pending::Part);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// The claim's own create: the claim may still appear.
    Claim,
    /// A part's create: the part may still appear.
    Part,
}

/// Why [`BackupEngine::trigger`](crate::BackupEngine::trigger) did not
/// start the backup. Nothing of it is left behind: what was created is
/// deleted again, and what may still appear is watched for and deleted.
///
/// ```
/// use backup_actuator_core::BackupId;
/// use backup_actuator_engine::TriggerError;
///
/// let err = TriggerError::Exists {
///     backup_id: BackupId::new(7).unwrap(),
///     snapshots: vec!["camunda_optimize_7_claim".into()],
/// };
/// assert_eq!(
///     err.to_string(),
///     "A backup with ID [7] already exists. Found snapshots: [camunda_optimize_7_claim]"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TriggerError {
    /// The engine was built without a repository.
    #[error("{NO_REPOSITORY}")]
    NoRepository,
    /// Something of that id stands: a part (any version, part or state),
    /// another trigger's claim, or a name the cluster says is in use.
    #[error("A backup with ID [{backup_id}] already exists. Found snapshots: [{}]", snapshots.join(", "))]
    Exists {
        /// The id.
        backup_id: BackupId,
        /// The parts found in `details` order, else the claim, else the
        /// name the cluster refused.
        snapshots: Vec<String>,
    },
    /// The store refused or failed; the parts created were deleted again.
    #[error(transparent)]
    Store(StoreError),
    /// A create timed out or its answer broke: the cluster may still do
    /// it. The engine watches for that snapshot and deletes it.
    #[error("{source}")]
    UnknownOutcome {
        /// The store's error.
        source: StoreError,
        /// What may still appear.
        pending: Pending,
    },
}

/// Why [`BackupEngine::delete`](crate::BackupEngine::delete) did not delete.
///
/// ```
/// use backup_actuator_engine::DeleteError;
///
/// assert!(DeleteError::NoRepository.to_string().contains("no snapshot repository"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeleteError {
    /// The engine was built without a repository.
    #[error("{NO_REPOSITORY}")]
    NoRepository,
    /// The store failed (after the retries of a name that vanished).
    #[error(transparent)]
    Store(StoreError),
}

/// Why [`BackupEngine::check_health`](crate::BackupEngine::check_health)
/// says the store is not usable.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_engine::HealthError;
///
/// let err = HealthError::TimedOut { store: "memory store".into(), within: Duration::from_millis(2000) };
/// assert_eq!(err.to_string(), "memory store did not answer the health check within 2000 ms");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HealthError {
    /// The engine was built without a repository.
    #[error("{NO_REPOSITORY}")]
    NoRepository,
    /// The store answered with an error.
    #[error(transparent)]
    Store(StoreError),
    /// The store did not answer in time.
    #[error("{store} did not answer the health check within {} ms", within.as_millis())]
    TimedOut {
        /// What the store is ([`SnapshotStore::describe`](backup_actuator_store::SnapshotStore::describe)).
        store: String,
        /// The time it had.
        within: std::time::Duration,
    },
}
