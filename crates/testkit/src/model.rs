//! Public configuration and observation types: seeded snapshots, rules, faults, recorded requests.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};

/// The state the emulator gives a snapshot and prints in its `state` field (§4.4.2): what a
/// [`SeededSnapshot`] is seeded with and what a [`SnapshotRule`] makes of a created one.
///
/// Named apart from `backup_actuator_core::SnapshotState`, the state the stores read back,
/// since both are reachable through the facade crate (`backup_actuator::testkit`) and a
/// test of a store names both.
///
/// ```
/// use backup_actuator_testkit::EmulatedSnapshotState;
///
/// assert_eq!(EmulatedSnapshotState::InProgress.as_str(), "IN_PROGRESS");
/// assert_eq!(EmulatedSnapshotState::Partial.to_string(), "PARTIAL");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmulatedSnapshotState {
    /// Running (`IN_PROGRESS`).
    InProgress,
    /// All shards done (`SUCCESS`).
    Success,
    /// Nothing usable; `reason` is set (`FAILED`).
    Failed,
    /// At least one shard failed; `failures` is non-empty (`PARTIAL`).
    Partial,
    /// Legacy unreadable snapshot (`INCOMPATIBLE`).
    Incompatible,
}

impl EmulatedSnapshotState {
    /// The wire name, e.g. `"IN_PROGRESS"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EmulatedSnapshotState::InProgress => "IN_PROGRESS",
            EmulatedSnapshotState::Success => "SUCCESS",
            EmulatedSnapshotState::Failed => "FAILED",
            EmulatedSnapshotState::Partial => "PARTIAL",
            EmulatedSnapshotState::Incompatible => "INCOMPATIBLE",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<EmulatedSnapshotState> {
        Some(match s {
            "IN_PROGRESS" => EmulatedSnapshotState::InProgress,
            "SUCCESS" => EmulatedSnapshotState::Success,
            "FAILED" => EmulatedSnapshotState::Failed,
            "PARTIAL" => EmulatedSnapshotState::Partial,
            "INCOMPATIBLE" => EmulatedSnapshotState::Incompatible,
            _ => return None,
        })
    }
}

impl fmt::Display for EmulatedSnapshotState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One shard failure the emulator prints in a snapshot's `failures` (§4.4.1), seeded with
/// [`SeededSnapshot::with_failures`] or made by [`SnapshotRule::partial`].
///
/// Named apart from `backup_actuator_core::ShardFailure`, the failure the stores read back.
///
/// The emulator prints `index_uuid` itself: the index name on ES ≤ 7.13 and OpenSearch,
/// a stable fake UUID derived from the name on newer ES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatedShardFailure {
    /// Index name.
    pub index: String,
    /// Shard number.
    pub shard_id: u32,
    /// Free-text reason, e.g. `primary shard is not allocated`.
    pub reason: String,
    /// Node id; left out of the JSON when `None`.
    pub node_id: Option<String>,
    /// REST status name, normally `INTERNAL_SERVER_ERROR`.
    pub status: String,
}

impl EmulatedShardFailure {
    /// A failure of `index` shard `shard_id` with `reason`, no node, status `INTERNAL_SERVER_ERROR`.
    ///
    /// ```
    /// use backup_actuator_testkit::EmulatedShardFailure;
    /// let f = EmulatedShardFailure::new("optimize-import-index_v3", 0, "primary shard is not allocated");
    /// assert_eq!(f.status, "INTERNAL_SERVER_ERROR");
    /// assert!(f.node_id.is_none());
    /// ```
    pub fn new(index: impl Into<String>, shard_id: u32, reason: impl Into<String>) -> Self {
        EmulatedShardFailure {
            index: index.into(),
            shard_id,
            reason: reason.into(),
            node_id: None,
            status: "INTERNAL_SERVER_ERROR".to_string(),
        }
    }

    /// Sets `node_id`.
    pub fn with_node_id(mut self, node_id: impl Into<String>) -> Self {
        self.node_id = Some(node_id.into());
        self
    }
}

/// A snapshot put directly into a repository with
/// [`EmulatedCluster::insert_snapshot`](crate::EmulatedCluster::insert_snapshot).
///
/// A seeded `InProgress` snapshot stays running until it is deleted. For the other states
/// `end_time` is `start_millis + duration_millis`. Shard counts default to one shard per
/// index, `failed` = number of `failures`; set [`SeededSnapshot::shards`] to override.
///
/// ```
/// use backup_actuator_testkit::{EmulatedSnapshotState, SeededSnapshot};
/// let s = SeededSnapshot::new("camunda_optimize_1_8.6.0_part_1_of_2", EmulatedSnapshotState::Success, 1_731_585_600_123)
///     .with_indices(["optimize-import-index_v3"])
///     .with_duration_millis(388);
/// assert_eq!(s.indices.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SeededSnapshot {
    /// Snapshot name.
    pub name: String,
    /// Final (or running) state.
    pub state: EmulatedSnapshotState,
    /// Start time, epoch milliseconds.
    pub start_millis: i64,
    /// `end - start` for finished snapshots.
    pub duration_millis: i64,
    /// Index names.
    pub indices: Vec<String>,
    /// Data stream names.
    pub data_streams: Vec<String>,
    /// `include_global_state`.
    pub include_global_state: bool,
    /// Shard failures.
    pub failures: Vec<EmulatedShardFailure>,
    /// `reason`; when `None` a FAILED snapshot gets a generic reason.
    pub reason: Option<String>,
    /// User metadata (`metadata`), printed when `Some`.
    pub metadata: Option<serde_json::Value>,
    /// The UUID; generated when `None`.
    pub uuid: Option<String>,
    /// `(total, successful)` shard counts; derived from indices and failures when `None`.
    pub shards: Option<(u32, u32)>,
    /// Its blob cannot be read: a verbose GET that selects it fails with 500
    /// `snapshot_exception` `[repo:name/uuid] Snapshot could not be read` unless
    /// `ignore_unavailable=true`, which skips it (§4.5). `verbose=false` still lists it.
    pub unreadable: bool,
}

impl SeededSnapshot {
    /// A snapshot with no indices, duration 0, `include_global_state: false`.
    pub fn new(name: impl Into<String>, state: EmulatedSnapshotState, start_millis: i64) -> Self {
        SeededSnapshot {
            name: name.into(),
            state,
            start_millis,
            duration_millis: 0,
            indices: Vec::new(),
            data_streams: Vec::new(),
            include_global_state: false,
            failures: Vec::new(),
            reason: None,
            metadata: None,
            uuid: None,
            shards: None,
            unreadable: false,
        }
    }

    /// Sets the index names.
    pub fn with_indices<I, S>(mut self, indices: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.indices = indices.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the duration (end time = start + duration).
    pub fn with_duration_millis(mut self, millis: i64) -> Self {
        self.duration_millis = millis;
        self
    }

    /// Sets the shard failures.
    pub fn with_failures(mut self, failures: Vec<EmulatedShardFailure>) -> Self {
        self.failures = failures;
        self
    }

    /// Sets the `reason`.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets the user metadata.
    pub fn with_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets `include_global_state`.
    pub fn with_include_global_state(mut self, include: bool) -> Self {
        self.include_global_state = include;
        self
    }

    /// Marks the snapshot blob unreadable (see [`SeededSnapshot::unreadable`]).
    pub fn unreadable(mut self) -> Self {
        self.unreadable = true;
        self
    }

    /// Sets `(total, successful)` shard counts.
    pub fn with_shards(mut self, total: u32, successful: u32) -> Self {
        self.shards = Some((total, successful));
        self
    }

    /// Sets the UUID.
    pub fn with_uuid(mut self, uuid: impl Into<String>) -> Self {
        self.uuid = Some(uuid.into());
        self
    }
}

/// What a [`SnapshotRule`] does to a snapshot created through the API.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleOutcome {
    /// The snapshot ends `FAILED` with this `reason` (one shard failure per index with the same reason).
    Fail {
        /// The `reason` field.
        reason: String,
    },
    /// The snapshot ends `PARTIAL` with these shard failures.
    Partial {
        /// The shard failures (one is invented when empty).
        failures: Vec<EmulatedShardFailure>,
    },
    /// The snapshot ends `INCOMPATIBLE`.
    Incompatible,
    /// The create is accepted and the snapshot runs, then it is gone without
    /// a trace when it would have finished: what a real engine does when it
    /// cannot write the snapshot's metadata (the repository's disk is full)
    /// or loses its running state (killed and restarted). Recorded on
    /// Elasticsearch 7.10.2 and OpenSearch 2.19 / 3.x by the server's
    /// `live_faults` suite (`tests/fixtures/faults/*/disk_full.json`). A
    /// create with `wait_for_completion=true` still answers as if it had
    /// finished (no engine's answer to that case was recorded).
    Vanish,
    /// The create request is refused with this error envelope (§1.1); nothing is created.
    /// `{repository}` and `{snapshot}` in `reason` are replaced by the request's names.
    Refuse {
        /// HTTP status and `status` field.
        status: u16,
        /// `type`, e.g. `concurrent_snapshot_execution_exception`.
        error_type: String,
        /// `reason`.
        reason: String,
    },
}

/// A rule applied when a snapshot whose name matches `pattern` (`*` wildcards) is created.
///
/// The first matching rule with uses left wins.
///
/// ```
/// use backup_actuator_testkit::SnapshotRule;
/// let fail = SnapshotRule::fail("camunda_optimize_*_part_2_of_2", "boom");
/// let busy = SnapshotRule::concurrent_snapshot_execution("camunda_*").times(1);
/// # let _ = (fail, busy);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRule {
    /// Snapshot-name glob.
    pub pattern: String,
    /// What happens.
    pub outcome: RuleOutcome,
    /// How many creates it applies to; `None` = unlimited.
    pub times: Option<usize>,
}

impl SnapshotRule {
    /// A rule with any outcome.
    pub fn new(pattern: impl Into<String>, outcome: RuleOutcome) -> Self {
        SnapshotRule {
            pattern: pattern.into(),
            outcome,
            times: None,
        }
    }

    /// Matching snapshots end `FAILED` with `reason`.
    pub fn fail(pattern: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(
            pattern,
            RuleOutcome::Fail {
                reason: reason.into(),
            },
        )
    }

    /// Matching snapshots end `PARTIAL` with `failures`.
    pub fn partial(pattern: impl Into<String>, failures: Vec<EmulatedShardFailure>) -> Self {
        Self::new(pattern, RuleOutcome::Partial { failures })
    }

    /// Matching snapshots end `INCOMPATIBLE`.
    pub fn incompatible(pattern: impl Into<String>) -> Self {
        Self::new(pattern, RuleOutcome::Incompatible)
    }

    /// Matching snapshots run, then vanish from the repository
    /// ([`RuleOutcome::Vanish`]): a full repository disk, an engine restart.
    ///
    /// ```
    /// use backup_actuator_testkit::{RuleOutcome, SnapshotRule};
    ///
    /// let rule = SnapshotRule::vanish("*_part_*");
    /// assert_eq!(rule.outcome, RuleOutcome::Vanish);
    /// ```
    pub fn vanish(pattern: impl Into<String>) -> Self {
        Self::new(pattern, RuleOutcome::Vanish)
    }

    /// Matching creates are refused with `status`, `error_type` and `reason`.
    pub fn refuse(
        pattern: impl Into<String>,
        status: u16,
        error_type: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::new(
            pattern,
            RuleOutcome::Refuse {
                status,
                error_type: error_type.into(),
                reason: reason.into(),
            },
        )
    }

    /// Matching creates get the 503 `concurrent_snapshot_execution_exception` of §3.3
    /// (`... already running [1000] operations ...`).
    pub fn concurrent_snapshot_execution(pattern: impl Into<String>) -> Self {
        Self::refuse(
            pattern,
            503,
            "concurrent_snapshot_execution_exception",
            "[{repository}:{snapshot}] Cannot start another operation, already running [1000] operations and the current limit for concurrent snapshot operations is set to [1000]",
        )
    }

    /// Limits the rule to the next `n` matching creates.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }
}

/// What an injected [`Fault`] does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Waits (real time), then handles the request normally.
    Delay(Duration),
    /// Answers with exactly this status, `Content-Type` and body (no product header);
    /// the request is not handled.
    Respond {
        /// HTTP status.
        status: u16,
        /// `Content-Type` header value.
        content_type: String,
        /// Body bytes.
        body: Bytes,
    },
    /// Closes the connection without any response; the request is not handled.
    CloseConnection,
    /// Handles the request, then closes the connection without any response
    /// (the change happened but the client never hears about it).
    CloseAfterHandling,
    /// Handles the request, sends the headers (chunked encoding) and about half of the
    /// real body, then closes the connection.
    ResetMidBody,
    /// Handles the request, sends `Content-Length` of the real body but only half of it,
    /// then closes the connection.
    Truncated,
    /// Handles the request and answers 200 with a body that is not valid JSON
    /// (the first half of the real body).
    Malformed,
    /// Handles the request after this delay (real time) in a task of its
    /// own, then answers: the change happens even if the client gave up
    /// waiting meanwhile (a create that times out client-side and still
    /// creates the snapshot later).
    HandleLate(Duration),
}

/// A fault injected with [`EmulatedCluster::inject_fault`](crate::EmulatedCluster::inject_fault).
///
/// It applies to requests whose method (if set) and path prefix (if set, compared with the
/// raw path) match; the first matching fault with uses left is applied.
///
/// ```
/// use std::time::Duration;
/// use http::Method;
/// use backup_actuator_testkit::Fault;
///
/// let f = Fault::respond(502, "text/html", "<html>Bad Gateway</html>")
///     .method(Method::GET)
///     .path_prefix("/_snapshot/")
///     .times(2);
/// let slow = Fault::delay(Duration::from_millis(200));
/// # let _ = (f, slow);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// Only requests with this method (any when `None`).
    pub method: Option<Method>,
    /// Only requests whose raw path starts with this (any when `None`).
    pub path_prefix: Option<String>,
    /// What happens.
    pub kind: FaultKind,
    /// How many requests it applies to; `None` = until [`EmulatedCluster::clear_faults`](crate::EmulatedCluster::clear_faults).
    pub times: Option<usize>,
}

impl Fault {
    /// A fault of `kind` matching every request, unlimited.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            method: None,
            path_prefix: None,
            kind,
            times: None,
        }
    }
    /// [`FaultKind::Delay`].
    pub fn delay(d: Duration) -> Self {
        Self::new(FaultKind::Delay(d))
    }
    /// [`FaultKind::HandleLate`]: e.g. a create that a client with a shorter
    /// request timeout gives up on, and that happens all the same.
    ///
    /// ```
    /// use std::time::Duration;
    /// use http::Method;
    /// use backup_actuator_testkit::Fault;
    ///
    /// let late_create = Fault::handle_late(Duration::from_secs(3)).method(Method::PUT).times(1);
    /// # let _ = late_create;
    /// ```
    pub fn handle_late(d: Duration) -> Self {
        Self::new(FaultKind::HandleLate(d))
    }
    /// [`FaultKind::Respond`].
    pub fn respond(status: u16, content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self::new(FaultKind::Respond {
            status,
            content_type: content_type.into(),
            body: body.into(),
        })
    }
    /// [`FaultKind::CloseConnection`].
    pub fn close_connection() -> Self {
        Self::new(FaultKind::CloseConnection)
    }
    /// [`FaultKind::CloseAfterHandling`].
    pub fn close_after_handling() -> Self {
        Self::new(FaultKind::CloseAfterHandling)
    }
    /// [`FaultKind::ResetMidBody`].
    pub fn reset_mid_body() -> Self {
        Self::new(FaultKind::ResetMidBody)
    }
    /// [`FaultKind::Truncated`].
    pub fn truncated() -> Self {
        Self::new(FaultKind::Truncated)
    }
    /// [`FaultKind::Malformed`].
    pub fn malformed() -> Self {
        Self::new(FaultKind::Malformed)
    }
    /// Only for requests with `method`.
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }
    /// Only for requests whose raw path starts with `prefix` (e.g. `"/_snapshot/repo/"`).
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }
    /// Only for the next `n` matching requests.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    pub(crate) fn matches(&self, method: &Method, raw_path: &str) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| raw_path.starts_with(p))
    }
}

/// A request as the emulator received it (recorded before faults and auth are applied).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: Method,
    /// The path **as sent** (still percent-encoded), without the query string.
    pub path: String,
    /// Query parameters, percent-decoded (`+` as space), in order.
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The path with each segment percent-decoded.
    pub fn decoded_path(&self) -> String {
        crate::url::percent_decode(&self.path, false)
    }

    /// The last value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        crate::url::last_value(&self.query, name)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}
