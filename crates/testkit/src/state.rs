//! The emulated cluster state (repositories, snapshots, rules, faults, recorded requests).
//! How a snapshot is printed is `api/snapshot_info.rs`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;

use crate::clock::EmulatorClock;
use crate::model::{
    EmulatedShardFailure, EmulatedSnapshotState, Fault, RecordedRequest, SeededSnapshot,
    SnapshotRule,
};
use crate::Flavor;

/// What the server task shares with the [`EmulatedCluster`](crate::EmulatedCluster) handles:
/// the emulated node's identity, its clock and the locked state. It lives here, not beside
/// the handle, because the server needs it too and the handle starts the server: the type
/// both use belongs below both.
#[derive(Debug)]
pub(crate) struct Core {
    pub flavor: Flavor,
    pub clock: EmulatorClock,
    pub state: Mutex<State>,
    pub node_id: String,
    pub node_name: String,
    pub cluster_uuid: String,
}

impl Core {
    /// A fresh node of `flavor`: no repositories, the clock at the current time.
    pub(crate) fn new(flavor: Flavor) -> Core {
        Core {
            flavor,
            clock: EmulatorClock::new(),
            state: Mutex::new(State {
                seq: 1000,
                ..State::default()
            }),
            node_id: fake_uuid(7),
            node_name: "testkit-node-0".to_string(),
            cluster_uuid: fake_uuid(11),
        }
    }
}

/// Credentials the emulator accepts once auth is switched on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    Basic { user: String, password: String },
    ApiKey(String),
    Bearer(String),
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub repos: Vec<Repo>,
    pub rules: Vec<SnapshotRule>,
    pub faults: Vec<Fault>,
    pub requests: Vec<RecordedRequest>,
    pub completion_delay: Duration,
    pub credentials: Vec<Credential>,
    pub known_indices: BTreeSet<String>,
    /// Set by `add_indices`: exact index names must then exist (§3.3 `index_not_found_exception`).
    pub indices_declared: bool,
    /// Indices being restored: emulated time at which their primaries are active (`indices.rs`).
    pub index_ready_at: HashMap<String, i64>,
    /// `path.repo`; `None` = any fs location is accepted.
    pub path_repo: Option<Vec<String>>,
    pub seq: u64,
}

#[derive(Debug)]
pub(crate) struct Repo {
    pub name: String,
    pub repo_type: String,
    pub settings: Vec<(String, String)>,
    pub uuid: String,
    /// ES 7.12+ prints `uuid` only once the repository has been read or written (§2.1).
    pub uuid_known: bool,
    pub snapshots: HashMap<String, Snap>,
    /// Its contents were lost under the engine (`lose_repository_contents`):
    /// snapshot requests fail until it is removed and registered again.
    pub corrupted: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Snap {
    pub name: String,
    pub uuid: String,
    pub indices: Vec<String>,
    pub data_streams: Vec<String>,
    pub feature_states: Vec<(String, Vec<String>)>,
    pub include_global_state: bool,
    pub metadata: Option<serde_json::Value>,
    pub start: i64,
    /// End time once finished.
    pub end: i64,
    /// Still running while `pending` and (no completion time or the clock is before it).
    pub pending: bool,
    pub completes_at: Option<i64>,
    pub final_state: EmulatedSnapshotState,
    pub reason: Option<String>,
    pub failures: Vec<EmulatedShardFailure>,
    pub total_shards: u32,
    pub successful_shards: u32,
    pub unreadable: bool,
    /// Its `snap-{uuid}.dat` is gone from the repository (removed on disk):
    /// a verbose GET that selects it is 404 `snapshot_missing_exception`.
    pub blob_missing: bool,
    /// Gone from the repository once it stops running (`RuleOutcome::Vanish`).
    pub vanishes: bool,
}

impl Snap {
    pub(crate) fn is_running(&self, now: i64) -> bool {
        self.pending && self.completes_at.is_none_or(|t| now < t)
    }

    pub(crate) fn state(&self, now: i64) -> EmulatedSnapshotState {
        if self.is_running(now) {
            EmulatedSnapshotState::InProgress
        } else {
            self.final_state
        }
    }

    pub(crate) fn end_time(&self, now: i64) -> i64 {
        if self.is_running(now) {
            0
        } else {
            self.end
        }
    }

    /// The SLM policy recorded in the metadata (`slm_policy_filter`).
    pub(crate) fn policy_name(&self) -> Option<&str> {
        self.metadata.as_ref()?.get("policy")?.as_str()
    }
}

impl State {
    /// Drops the snapshots that vanish (`RuleOutcome::Vanish`) and have
    /// stopped running by `now`: from then on no request sees them.
    pub(crate) fn purge_vanished(&mut self, now: i64) {
        for repo in &mut self.repos {
            repo.snapshots
                .retain(|_, s| !s.vanishes || s.is_running(now));
        }
    }

    /// A deterministic 22-character URL-safe base64 id (like Elasticsearch's UUIDs).
    pub(crate) fn next_uuid(&mut self) -> String {
        self.seq += 1;
        fake_uuid(self.seq)
    }

    pub(crate) fn repo(&self, name: &str) -> Option<&Repo> {
        self.repos.iter().find(|r| r.name == name)
    }

    pub(crate) fn repo_mut(&mut self, name: &str) -> Option<&mut Repo> {
        self.repos.iter_mut().find(|r| r.name == name)
    }

    /// Registers (or replaces the settings of) a repository.
    pub(crate) fn put_repo(
        &mut self,
        name: &str,
        repo_type: &str,
        settings: Vec<(String, String)>,
        verified: bool,
    ) {
        if let Some(r) = self.repo_mut(name) {
            r.repo_type = repo_type.to_string();
            r.settings = settings;
            r.uuid_known |= verified;
            return;
        }
        let uuid = self.next_uuid();
        self.repos.push(Repo {
            name: name.to_string(),
            repo_type: repo_type.to_string(),
            settings,
            uuid,
            uuid_known: verified,
            snapshots: HashMap::new(),
            corrupted: false,
        });
    }

    pub(crate) fn seed(&mut self, repo: &str, s: SeededSnapshot) {
        if self.repo(repo).is_none() {
            self.put_repo(
                repo,
                "fs",
                vec![("location".into(), format!("/var/backups/{repo}"))],
                true,
            );
        }
        let uuid = match s.uuid {
            Some(u) => u,
            None => self.next_uuid(),
        };
        let (total, successful) = s.shards.unwrap_or_else(|| {
            let total = s.indices.len().max(s.failures.len()) as u32;
            if s.state == EmulatedSnapshotState::InProgress {
                (total, 0)
            } else {
                (total, total.saturating_sub(s.failures.len() as u32))
            }
        });
        let reason = match (s.reason, s.state) {
            (Some(r), _) => Some(r),
            (None, EmulatedSnapshotState::Failed) => Some("Snapshot failed".to_string()),
            (None, EmulatedSnapshotState::Incompatible) => Some(String::new()),
            (None, _) => None,
        };
        let running = s.state == EmulatedSnapshotState::InProgress;
        let snap = Snap {
            name: s.name.clone(),
            uuid,
            indices: s.indices,
            data_streams: s.data_streams,
            feature_states: Vec::new(),
            include_global_state: s.include_global_state,
            metadata: s.metadata,
            start: s.start_millis,
            end: s.start_millis + s.duration_millis.max(0),
            pending: running,
            completes_at: None,
            final_state: if running {
                EmulatedSnapshotState::Success
            } else {
                s.state
            },
            reason,
            failures: s.failures,
            total_shards: total,
            successful_shards: successful,
            unreadable: s.unreadable,
            blob_missing: false,
            vanishes: false,
        };
        let r = self.repo_mut(repo).expect("repository just ensured");
        r.uuid_known = true;
        r.snapshots.insert(s.name, snap);
    }
}

pub(crate) fn fake_uuid(seed: u64) -> String {
    // splitmix64, twice, for 16 bytes.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(8) {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
