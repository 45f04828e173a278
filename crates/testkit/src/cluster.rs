//! [`EmulatedCluster`]: the handle users hold.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::EmulatorClock;
use crate::model::{Fault, RecordedRequest, SeededSnapshot, SnapshotRule};
use crate::state::{Core, Credential, State};
use crate::Flavor;

/// Stops the server when the last handle goes away.
#[derive(Debug)]
struct Guard {
    core: Arc<Core>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// An in-process Elasticsearch/OpenSearch snapshot API on `127.0.0.1:<ephemeral port>`.
///
/// It answers like the real server of its [`Flavor`] (wire reference
/// `es-os-snapshot-wire.md`): `GET /`, repository GET/PUT/DELETE, snapshot
/// create/get/delete/status, errors, headers, unknown-parameter checks, optional auth.
/// Handles are cheap to clone; the server stops when the last one is dropped or on
/// [`EmulatedCluster::shutdown`].
///
/// ```
/// use backup_actuator_testkit::{EmulatedCluster, EmulatedSnapshotState, Flavor, SeededSnapshot};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let cluster = EmulatedCluster::start(Flavor::Elasticsearch8_15).await?;
/// cluster.add_repository("camunda_backup");
/// cluster.insert_snapshot(
///     "camunda_backup",
///     SeededSnapshot::new("camunda_optimize_1_8.6.0_part_1_of_2", EmulatedSnapshotState::Success, cluster.clock().now_millis()),
/// );
/// assert!(cluster.url().starts_with("http://127.0.0.1:"));
/// assert_eq!(cluster.snapshot_names("camunda_backup"), ["camunda_optimize_1_8.6.0_part_1_of_2"]);
/// cluster.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EmulatedCluster {
    guard: Arc<Guard>,
}

impl EmulatedCluster {
    /// Binds `127.0.0.1:0` and starts serving as `flavor`. Needs a Tokio runtime with IO
    /// and time enabled (e.g. `#[tokio::test]`).
    pub async fn start(flavor: Flavor) -> std::io::Result<EmulatedCluster> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let core = Arc::new(Core::new(flavor));
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(crate::http::run(listener, core.clone(), rx));
        Ok(EmulatedCluster {
            guard: Arc::new(Guard {
                core,
                addr,
                shutdown: tx,
                task: Mutex::new(Some(task)),
            }),
        })
    }

    fn core(&self) -> &Core {
        &self.guard.core
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.core().state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.guard.addr)
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.guard.addr
    }

    /// The emulated product and version.
    pub fn flavor(&self) -> Flavor {
        self.core().flavor
    }

    /// Registers an `fs` repository (location `/var/backups/{name}`), like a verified
    /// `PUT _snapshot/{name}`. Replaces the settings of an existing one.
    pub fn add_repository(&self, name: &str) {
        self.state().put_repo(
            name,
            "fs",
            vec![("location".to_string(), format!("/var/backups/{name}"))],
            true,
        );
    }

    /// Declares indices that exist. Until this is called, exact index names in a create
    /// body are accepted as existing (and remembered for wildcards). Once called, a create
    /// naming an undeclared index fails with 404 `index_not_found_exception` (§3.3) unless
    /// the body has `"ignore_unavailable": true`.
    pub fn add_indices<I, S>(&self, names: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut st = self.state();
        st.known_indices.extend(names.into_iter().map(Into::into));
        st.indices_declared = true;
    }

    /// The indices the cluster knows now (declared, snapshotted by name, or restored), sorted.
    /// `DELETE /{index}` removes one, a restore adds its indices back.
    ///
    /// ```
    /// use backup_actuator_testkit::{EmulatedCluster, Flavor};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await?;
    /// cluster.add_indices(["optimize-b", "optimize-a"]);
    /// assert_eq!(cluster.indices(), ["optimize-a", "optimize-b"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn indices(&self) -> Vec<String> {
        self.state().known_indices.iter().cloned().collect()
    }

    /// Sets `path.repo`: `fs` repositories outside these roots are refused with the 500 of §2.2
    /// (an empty list gives the "because this setting is empty" variant). By default any
    /// location is accepted.
    pub fn set_path_repo<I, S>(&self, roots: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.state().path_repo = Some(roots.into_iter().map(Into::into).collect());
    }

    /// The controllable clock.
    pub fn clock(&self) -> &EmulatorClock {
        &self.core().clock
    }

    /// How long (emulated clock time) a snapshot created through the API stays
    /// `IN_PROGRESS`. The default is zero: it is finished as soon as the clock is read,
    /// with `end_time == start_time`. Applies to snapshots created afterwards.
    pub fn set_completion_delay(&self, d: Duration) {
        self.state().completion_delay = d;
    }

    /// Adds a rule for snapshots created through the API (see [`SnapshotRule`]).
    pub fn add_rule(&self, rule: SnapshotRule) {
        self.state().rules.push(rule);
    }

    /// Removes every rule.
    pub fn clear_rules(&self) {
        self.state().rules.clear();
    }

    /// Puts a snapshot straight into `repo` (created as a verified `fs` repository if
    /// missing), replacing one with the same name. Cheap: 20,000 snapshots take milliseconds.
    pub fn insert_snapshot(&self, repo: &str, snapshot: SeededSnapshot) {
        self.state().seed(repo, snapshot);
    }

    /// [`Self::insert_snapshot`] for many snapshots under one lock.
    pub fn insert_snapshots<I>(&self, repo: &str, snapshots: I)
    where
        I: IntoIterator<Item = SeededSnapshot>,
    {
        let mut st = self.state();
        for s in snapshots {
            st.seed(repo, s);
        }
    }

    /// Injects a fault (see [`Fault`]); faults are tried in insertion order.
    pub fn inject_fault(&self, fault: Fault) {
        self.state().faults.push(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// Every request received so far, in arrival order (including faulted ones).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    /// Removes the snapshot's blob (`snap-{uuid}.dat`) from `repo`, as if
    /// deleted from the repository on disk: a verbose GET that selects it
    /// is then 404 `snapshot_missing_exception` `[repo:name/uuid] is
    /// missing` (caused by `no_such_file_exception`), unless
    /// `ignore_unavailable=true`, which skips it; `verbose=false` still
    /// lists it. Returns whether the snapshot exists.
    ///
    /// ```
    /// use backup_actuator_testkit::{EmulatedCluster, EmulatedSnapshotState, Flavor, SeededSnapshot};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await?;
    /// cluster.add_repository("backups");
    /// cluster.insert_snapshot(
    ///     "backups",
    ///     SeededSnapshot::new("snap_1", EmulatedSnapshotState::Success, 1_731_585_600_000),
    /// );
    /// assert!(cluster.remove_snapshot_blob("backups", "snap_1"));
    /// assert!(!cluster.remove_snapshot_blob("backups", "snap_2"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn remove_snapshot_blob(&self, repo: &str, name: &str) -> bool {
        let mut st = self.state();
        let Some(snap) = st.repo_mut(repo).and_then(|r| r.snapshots.get_mut(name)) else {
            return false;
        };
        snap.blob_missing = true;
        true
    }

    /// Loses the contents of `repo` under the engine, as when its directory
    /// is removed while the engine runs: every snapshot, running or not, is
    /// gone, and every snapshot request under the repository answers 500
    /// `repository_exception` ("… The repository has been disabled …")
    /// until it is removed (`DELETE _snapshot/{repo}`) and registered
    /// again, empty. Returns `false` if there is no such repository.
    ///
    /// ```
    /// # use backup_actuator_testkit::{EmulatedCluster, Flavor};
    /// # async fn demo() -> std::io::Result<()> {
    /// let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await?;
    /// cluster.add_repository("backups");
    /// assert!(cluster.lose_repository_contents("backups"));
    /// assert!(cluster.snapshot_names("backups").is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn lose_repository_contents(&self, repo: &str) -> bool {
        let mut st = self.state();
        let Some(r) = st.repo_mut(repo) else {
            return false;
        };
        r.snapshots.clear();
        r.corrupted = true;
        true
    }

    /// The snapshot names in `repo` (running ones included), in the default GET order:
    /// start time, then name. Empty if the repository does not exist.
    pub fn snapshot_names(&self, repo: &str) -> Vec<String> {
        let mut st = self.state();
        st.purge_vanished(self.clock().now_millis());
        let Some(r) = st.repo(repo) else {
            return Vec::new();
        };
        let mut v: Vec<(i64, &String)> = r.snapshots.values().map(|s| (s.start, &s.name)).collect();
        v.sort();
        v.into_iter().map(|(_, n)| n.clone()).collect()
    }

    /// Requires `Authorization: Basic` with these credentials (in addition to any other
    /// configured credential). Failures get the product's 401 (§9).
    pub fn require_basic_auth(&self, user: &str, password: &str) {
        self.state().credentials.push(Credential::Basic {
            user: user.to_string(),
            password: password.to_string(),
        });
    }

    /// Accepts `Authorization: ApiKey <encoded>` (Elasticsearch only) and switches auth on.
    pub fn require_api_key(&self, encoded: &str) {
        self.state()
            .credentials
            .push(Credential::ApiKey(encoded.to_string()));
    }

    /// Accepts `Authorization: Bearer <token>` and switches auth on.
    pub fn require_bearer_token(&self, token: &str) {
        self.state()
            .credentials
            .push(Credential::Bearer(token.to_string()));
    }

    /// Switches auth off again.
    pub fn clear_auth(&self) {
        self.state().credentials.clear();
    }

    /// Stops the server (for every handle) and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.guard.shutdown.send(true);
        let task = self
            .guard
            .task
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}
