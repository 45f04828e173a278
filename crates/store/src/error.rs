//! The one error type of the store boundary.

use std::fmt;

use backup_actuator_core::Product;

/// What a store was doing when it failed; completes error messages such as
/// `… while reading snapshots [camunda_optimize_1_*]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Reading the cluster's product and version.
    ReadClusterInfo,
    /// Looking up snapshots by a pattern.
    ReadSnapshots {
        /// The pattern asked for.
        pattern: String,
    },
    /// Creating one snapshot.
    CreateSnapshot {
        /// The snapshot name.
        name: String,
    },
    /// Deleting snapshots by name.
    DeleteSnapshots {
        /// The snapshot names.
        names: Vec<String>,
    },
    /// Reading which indices a snapshot holds, or which of them exist (restore).
    ReadIndices {
        /// The snapshot or index names asked about.
        names: Vec<String>,
    },
    /// Deleting one index before restoring it (restore).
    DeleteIndex {
        /// The index.
        name: String,
    },
    /// Restoring one snapshot (restore).
    RestoreSnapshot {
        /// The snapshot name.
        name: String,
    },
    /// Reading a repository's registration (a health check).
    ReadRepository {
        /// The repository name.
        repository: String,
    },
    /// Reading the size of snapshots from the repository (verify's room check).
    ReadSnapshotStatus {
        /// The snapshot names.
        names: Vec<String>,
    },
    /// Reading the free disk space of the cluster's data nodes (verify's room check).
    ReadDiskSpace,
    /// Reading the shards of restored indices (verify).
    ReadShards {
        /// The index expression asked about.
        indices: String,
    },
    /// Counting, searching or measuring one restored index (verify).
    CheckIndex {
        /// The index.
        name: String,
    },
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::ReadClusterInfo => f.write_str("reading the cluster version"),
            Operation::ReadSnapshots { pattern } => write!(f, "reading snapshots [{pattern}]"),
            Operation::CreateSnapshot { name } => write!(f, "creating snapshot [{name}]"),
            Operation::DeleteSnapshots { names } => {
                write!(f, "deleting snapshots [{}]", names.join(", "))
            }
            Operation::ReadIndices { names } => {
                write!(f, "reading indices [{}]", names.join(", "))
            }
            Operation::DeleteIndex { name } => write!(f, "deleting index [{name}]"),
            Operation::RestoreSnapshot { name } => write!(f, "restoring snapshot [{name}]"),
            Operation::ReadRepository { repository } => {
                write!(f, "reading repository [{repository}]")
            }
            Operation::ReadSnapshotStatus { names } => {
                write!(f, "reading the status of snapshots [{}]", names.join(", "))
            }
            Operation::ReadDiskSpace => {
                f.write_str("reading the free disk space of the data nodes")
            }
            Operation::ReadShards { indices } => write!(f, "reading the shards of [{indices}]"),
            Operation::CheckIndex { name } => write!(f, "checking index [{name}]"),
        }
    }
}

/// Why a store operation failed, in the kinds the service must tell apart
/// (SPEC §5) — so it never has to match on message text.
///
/// `Display` is the `detailedMessage` the service sends for the kinds that
/// reach the client as 500 or 502, and never contains credentials.
///
/// ```
/// use backup_actuator_core::Product;
/// use backup_actuator_store::{Operation, StoreError};
///
/// let err = StoreError::Unreachable {
///     product: Product::OpenSearch,
///     operation: Operation::ReadSnapshots { pattern: "camunda_optimize_1_*".into() },
///     cause: "connection refused".into(),
/// };
/// assert_eq!(
///     err.to_string(),
///     "Encountered an error connecting to OpenSearch while reading snapshots [camunda_optimize_1_*]: connection refused"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The repository does not exist in the cluster.
    #[error("No repository with name [{repository}] could be found.")]
    RepositoryMissing {
        /// The repository name.
        repository: String,
    },
    /// A snapshot of this name exists or is being created.
    #[error("snapshot [{name}] already exists")]
    NameInUse {
        /// The refused name.
        name: String,
    },
    /// An exact snapshot name does not exist (e.g. deleted meanwhile).
    #[error("{detail}")]
    SnapshotMissing {
        /// The missing name.
        name: String,
        /// How the store reported it, as for [`StoreError::Cluster`]
        /// (`Elasticsearch answered HTTP 404 while deleting snapshots […]:
        /// snapshot_missing_exception: …`): the message a client gets if
        /// the service gives up.
        detail: String,
    },
    /// The cluster could not be reached or the connection broke: refused,
    /// reset, closed mid-answer, DNS, TLS, timeout.
    #[error("Encountered an error connecting to {product} while {operation}: {cause}")]
    Unreachable {
        /// The product.
        product: Product,
        /// What the store was doing.
        operation: Operation,
        /// The transport's description of the failure.
        cause: String,
    },
    /// The cluster answered with an error status.
    #[error("{product} answered HTTP {status} while {operation}: {detail}")]
    Cluster {
        /// The product.
        product: Product,
        /// What the store was doing.
        operation: Operation,
        /// The HTTP status.
        status: u16,
        /// `type: reason` of an error envelope, or the start of any other body.
        detail: String,
    },
    /// The cluster answered, completely, with something that cannot be read.
    /// The message has the same form as [`StoreError::Cluster`]'s for a body
    /// that is not an error envelope (SPEC §5): the start of the body.
    #[error("{product} answered HTTP {status} while {operation}: {detail}")]
    Unreadable {
        /// The product.
        product: Product,
        /// What the store was doing.
        operation: Operation,
        /// The HTTP status.
        status: u16,
        /// The first 200 characters of the body.
        detail: String,
    },
}

impl StoreError {
    /// [`StoreError::SnapshotMissing`] for a store without HTTP answers.
    ///
    /// ```
    /// let err = backup_actuator_store::StoreError::snapshot_missing("s1");
    /// assert_eq!(err.to_string(), "snapshot [s1] is missing");
    /// ```
    pub fn snapshot_missing(name: impl Into<String>) -> StoreError {
        let name = name.into();
        StoreError::SnapshotMissing {
            detail: format!("snapshot [{name}] is missing"),
            name,
        }
    }
}

/// The first `max` characters of a body, for messages: never the whole of a
/// possibly huge or binary answer.
///
/// ```
/// assert_eq!(backup_actuator_store::excerpt(b"<html>bad gateway</html>", 6), "<html>");
/// ```
pub fn excerpt(body: &[u8], max: usize) -> String {
    String::from_utf8_lossy(body).chars().take(max).collect()
}
