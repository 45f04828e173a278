//! Snapshots as a store reports them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The state of one snapshot, as the cluster reports it.
///
/// A state this crate does not know (from a newer cluster) is kept verbatim
/// in [`SnapshotState::Unknown`], shown as is in `details` and counted as a
/// failure.
///
/// ```
/// use backup_actuator_core::SnapshotState;
///
/// assert_eq!(SnapshotState::from_wire("PARTIAL"), SnapshotState::Partial);
/// let odd = SnapshotState::from_wire("ABORTING");
/// assert_eq!(odd.as_str(), "ABORTING");
/// assert!(odd.is_failure());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SnapshotState {
    /// All shards were stored.
    Success,
    /// Still running.
    InProgress,
    /// Nothing usable was stored.
    Failed,
    /// Some shards failed.
    Partial,
    /// Legacy: written by an incompatible cluster version.
    Incompatible,
    /// A state this crate does not know.
    Unknown(String),
}

impl SnapshotState {
    /// Reads the cluster's spelling.
    pub fn from_wire(state: &str) -> SnapshotState {
        match state {
            "SUCCESS" => SnapshotState::Success,
            "IN_PROGRESS" => SnapshotState::InProgress,
            "FAILED" => SnapshotState::Failed,
            "PARTIAL" => SnapshotState::Partial,
            "INCOMPATIBLE" => SnapshotState::Incompatible,
            other => SnapshotState::Unknown(other.to_owned()),
        }
    }

    /// The cluster's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            SnapshotState::Success => "SUCCESS",
            SnapshotState::InProgress => "IN_PROGRESS",
            SnapshotState::Failed => "FAILED",
            SnapshotState::Partial => "PARTIAL",
            SnapshotState::Incompatible => "INCOMPATIBLE",
            SnapshotState::Unknown(other) => other,
        }
    }

    /// Whether this state makes a backup FAILED (rule 2 of SPEC §4):
    /// FAILED, PARTIAL or unknown.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            SnapshotState::Failed | SnapshotState::Partial | SnapshotState::Unknown(_)
        )
    }
}

impl fmt::Display for SnapshotState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SnapshotState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SnapshotState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let state = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(SnapshotState::from_wire(&state))
    }
}

/// One shard failure of a snapshot. Every field is optional because old
/// snapshots and some clusters leave them out.
///
/// `Display` is the readable line of SPEC §4:
///
/// ```
/// use backup_actuator_core::ShardFailure;
///
/// let failure = ShardFailure {
///     index: Some("optimize-report".into()),
///     shard_id: Some(0),
///     reason: Some("primary shard is not allocated".into()),
///     node_id: None,
///     status: Some("INTERNAL_SERVER_ERROR".into()),
/// };
/// assert_eq!(
///     failure.to_string(),
///     "[optimize-report][0] primary shard is not allocated (status: INTERNAL_SERVER_ERROR)"
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardFailure {
    /// The index name.
    pub index: Option<String>,
    /// The shard number.
    pub shard_id: Option<i64>,
    /// Free text from the cluster.
    pub reason: Option<String>,
    /// The node the shard was on.
    pub node_id: Option<String>,
    /// A REST status name such as `INTERNAL_SERVER_ERROR`.
    pub status: Option<String>,
}

impl fmt::Display for ShardFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        if let Some(index) = &self.index {
            f.write_str(index)?;
        }
        f.write_str("][")?;
        if let Some(shard) = self.shard_id {
            write!(f, "{shard}")?;
        }
        write!(f, "] {}", given(&self.reason).unwrap_or("no reason given"))?;
        match (given(&self.node_id), given(&self.status)) {
            (Some(node), Some(status)) => write!(f, " (node: {node}, status: {status})"),
            (Some(node), None) => write!(f, " (node: {node})"),
            (None, Some(status)) => write!(f, " (status: {status})"),
            (None, None) => Ok(()),
        }
    }
}

/// A value that says something: an empty or blank string says as little as
/// a missing one.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// One snapshot as a store reports it: all the aggregation needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRecord {
    /// The snapshot name.
    pub name: String,
    /// Its state.
    pub state: SnapshotState,
    /// `start_time_in_millis`, if the cluster reported it.
    pub start_time_millis: Option<i64>,
    /// Shard failures, empty when none.
    pub failures: Vec<ShardFailure>,
    /// The `"trigger"` of the snapshot's metadata when it is a string
    /// (`"schedule"` for a scheduled backup, SPEC §10); `None` for a manual
    /// or foreign snapshot, or a store that does not report metadata.
    pub trigger: Option<String>,
}

impl SnapshotRecord {
    /// A record with no start time and no failures.
    pub fn new(name: impl Into<String>, state: SnapshotState) -> SnapshotRecord {
        SnapshotRecord {
            name: name.into(),
            state,
            start_time_millis: None,
            failures: Vec::new(),
            trigger: None,
        }
    }
}
