//! A real engine that a live suite breaks on purpose: its own repository
//! and prefix, the Optimize indices with enough data to keep a throttled
//! backup running, a small tmpfs for a disk that fills up, a kill and
//! restart through `scripts/real-cluster`, and the readings a fault test
//! compares with the API's answers (the repository as the engine lists it,
//! the CLI's exit code, the failure counter on `/prometheus`).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backup_actuator_testkit::live::{LiveCluster, LiveProduct};
use serde_json::{json, Value};

use super::Server;

/// The application version every fault suite serves (it is in the names).
pub(crate) const VERSION: &str = "8.6.0";

/// The index the second part of Optimize's plan snapshots, and that the
/// faults act on: `FILLER_BYTES` of hex noise, about twice that on disk
/// (the engine keeps the source and indexes the text).
pub(crate) const FILLER: &str = "optimize-faults-filler_v1";
const FILLER_BYTES: usize = 1 << 20;

/// One test's repository and prefix on a real engine. Dropping it
/// unregisters the repository (the snapshots stay in its directory).
pub(crate) struct LiveRepo {
    pub engine: LiveCluster,
    pub product: LiveProduct,
    pub name: String,
    /// The repository's directory on this machine (inside `path.repo`).
    pub location: String,
    pub prefix: String,
    /// The settings it was registered with, kept for a re-registration.
    settings: Vec<(String, String)>,
}

impl LiveRepo {
    /// A name under `{repo_location}` for `test`, unique in this run, and
    /// its directory. Nothing is registered yet (a test may mount a tmpfs
    /// there first).
    pub(crate) fn plan(engine: LiveCluster, product: LiveProduct, test: &str) -> LiveRepo {
        let tag = unique();
        let name = format!("repo_{test}_{tag}");
        let location = format!("{}/{name}", engine.repo_location.trim_end_matches('/'));
        LiveRepo {
            engine,
            product,
            name,
            location,
            prefix: format!("faults_{test}_{tag}"),
            settings: Vec::new(),
        }
    }

    /// Registers the `fs` repository at its location with `settings`
    /// (again, when it was registered before: the engine then reads the
    /// directory afresh).
    pub(crate) fn register(&mut self, settings: &[(&str, &str)]) {
        self.settings = settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut all = serde_json::Map::new();
        all.insert("location".into(), self.location.clone().into());
        for (key, value) in &self.settings {
            all.insert(key.clone(), value.clone().into());
        }
        let body = json!({"type": "fs", "settings": all}).to_string();
        self.engine.must(
            "PUT",
            &format!("_snapshot/{}", self.name),
            Some(&body),
            &[200],
        );
    }

    /// Unregisters the repository; the engine's answer as it came.
    pub(crate) fn unregister(&self) -> (u16, Value) {
        let answer = self
            .engine
            .call("DELETE", &format!("_snapshot/{}", self.name), None)
            .expect("the engine answers");
        (answer.status, answer.json())
    }

    /// `backup-actuator serve` on this repository and prefix, with
    /// `--metrics` so a test can read the failure counter.
    pub(crate) fn serve(&self) -> Server {
        Server::start(&[
            "--backend",
            self.product.name(),
            "--url",
            &self.engine.url,
            "--repository",
            &self.name,
            "--prefix",
            &self.prefix,
            "--app-version",
            VERSION,
            "--request-timeout",
            "30s",
            "--metrics",
        ])
    }

    pub(crate) fn part(&self, id: u64, n: u32) -> String {
        format!("{}_{id}_{VERSION}_part_{n}_of_2", self.prefix)
    }

    pub(crate) fn claim(&self, id: u64) -> String {
        format!("{}_{id}_claim", self.prefix)
    }

    /// Every snapshot of `id` in the repository (claims included), as the
    /// engine's `_snapshot/{repo}/_all` lists it, sorted by name; `Err`
    /// with the engine's answer when the repository cannot be read.
    pub(crate) fn snapshots_of(&self, id: u64) -> Result<Vec<Value>, (u16, Value)> {
        let answer = self
            .engine
            .call(
                "GET",
                &format!("_snapshot/{}/_all?ignore_unavailable=true", self.name),
                None,
            )
            .expect("the engine answers");
        if answer.status != 200 {
            return Err((answer.status, answer.json()));
        }
        let own = format!("{}_{id}_", self.prefix);
        let mut found: Vec<Value> = answer.json()["snapshots"]
            .as_array()
            .expect("a snapshot list")
            .iter()
            .filter(|s| s["snapshot"].as_str().is_some_and(|n| n.starts_with(&own)))
            .cloned()
            .collect();
        found.sort_by(|a, b| a["snapshot"].as_str().cmp(&b["snapshot"].as_str()));
        Ok(found)
    }

    /// The names of [`snapshots_of`](LiveRepo::snapshots_of); panics when
    /// the repository cannot be read.
    pub(crate) fn names_of(&self, id: u64) -> Vec<String> {
        self.snapshots_of(id)
            .unwrap_or_else(|e| panic!("the repository cannot be read: {e:?}"))
            .iter()
            .filter_map(|s| s["snapshot"].as_str().map(str::to_owned))
            .collect()
    }

    /// Snapshots of this repository the engine still runs (or deletes).
    pub(crate) fn running(&self) -> Vec<String> {
        let answer = self
            .engine
            .call("GET", &format!("_snapshot/{}/_current", self.name), None)
            .expect("the engine answers");
        if answer.status != 200 {
            return Vec::new();
        }
        answer.json()["snapshots"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|s| s["snapshot"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until the engine runs nothing in this repository any more
    /// (a snapshot, or a delete queued behind one).
    pub(crate) fn wait_idle(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let running = self.running();
            if running.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the engine still runs {running:?} after {within:?}"
            );
            thread::sleep(Duration::from_millis(250));
        }
    }

    /// Waits until nothing of `id` is left in the repository; a real
    /// engine may queue a delete behind running snapshots.
    pub(crate) fn wait_nothing_of(&self, id: u64, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let names = self.names_of(id);
            if names.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{names:?} still in the repository {within:?} after the DELETE"
            );
            thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for LiveRepo {
    /// Aborts and deletes what a test left running (a failed test
    /// included: a throttled snapshot would hold the indices of the next
    /// one), then unregisters the repository.
    fn drop(&mut self) {
        let _ = self
            .engine
            .call("DELETE", &format!("_snapshot/{}/*", self.name), None);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.running().is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(250));
        }
        let _ = self
            .engine
            .call("DELETE", &format!("_snapshot/{}", self.name), None);
    }
}

/// Blanks (`"*"`) what changes from run to run: uuids, times, node ids.
pub(crate) fn blank_volatile(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                let volatile = matches!(
                    key.as_str(),
                    "uuid"
                        | "start_time"
                        | "start_time_in_millis"
                        | "end_time"
                        | "end_time_in_millis"
                        | "duration_in_millis"
                        | "node_id"
                        | "startTime"
                );
                if volatile && !field.is_null() {
                    *field = Value::String("*".into());
                } else {
                    blank_volatile(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(blank_volatile),
        _ => {}
    }
}

/// A number unique in this run, for names.
pub(crate) fn unique() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000
}

/// The engine's version number and distribution (`opensearch`, or empty
/// for Elasticsearch), from `GET /`.
pub(crate) fn engine_version(engine: &LiveCluster) -> (String, String) {
    let root = engine.must("GET", "/", None, &[200]).json();
    (
        root["version"]["number"].as_str().unwrap_or("?").to_owned(),
        root["version"]["distribution"]
            .as_str()
            .unwrap_or("elasticsearch")
            .to_owned(),
    )
}

/// Optimize's two import indices (part 1 of its plan) made if missing,
/// and [`FILLER`] (part 2) made afresh with its data; dropping the guard
/// deletes the filler again, so the suites after this one snapshot only
/// their own data.
pub(crate) struct Indices {
    engine: LiveCluster,
    shards: u32,
}

impl Indices {
    pub(crate) fn make(engine: &LiveCluster) -> Indices {
        Indices::make_with_shards(engine, 1)
    }

    /// [`make`](Indices::make) with the filler in `shards` shards (spread
    /// over the nodes of a cluster).
    pub(crate) fn make_with_shards(engine: &LiveCluster, shards: u32) -> Indices {
        let settings = json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}});
        for (index, alias) in [
            (
                "optimize-timestamp-based-import-index_v4",
                "optimize-timestamp-based-import-index",
            ),
            (
                "optimize-position-based-import-index_v3",
                "optimize-position-based-import-index",
            ),
        ] {
            let mut body = settings.clone();
            body["aliases"] = json!({alias: {}});
            engine.must("PUT", index, Some(&body.to_string()), &[200, 400]);
            engine.must(
                "PUT",
                &format!("{index}/_doc/1?refresh=true"),
                Some(r#"{"position":1}"#),
                &[200, 201],
            );
        }
        let indices = Indices {
            engine: engine.clone(),
            shards,
        };
        indices.make_filler();
        indices
    }

    /// (Re)makes [`FILLER`] with its data.
    pub(crate) fn make_filler(&self) {
        let settings =
            json!({"settings": {"number_of_shards": self.shards, "number_of_replicas": 0}});
        // A snapshot may still hold it (a repository of an earlier run
        // that could not be cleaned): the engines refuse until it ends.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let answer = self.engine.must("DELETE", FILLER, None, &[200, 400, 404]);
            if answer.status != 400 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{FILLER} stays held: {}",
                answer.body
            );
            thread::sleep(Duration::from_millis(500));
        }
        self.engine
            .must("PUT", FILLER, Some(&settings.to_string()), &[200]);
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let docs = FILLER_BYTES / 4096;
        for chunk in (0..docs).collect::<Vec<_>>().chunks(128) {
            let mut bulk = String::new();
            for i in chunk {
                // xorshift: hex noise that LZ4 cannot shrink below half.
                let noise: String = (0..256)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        format!("{seed:016x}")
                    })
                    .collect();
                bulk.push_str(&format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n"));
                bulk.push_str(&format!("{{\"noise\":\"{noise}\"}}\n"));
            }
            self.engine
                .must("POST", &format!("{FILLER}/_bulk"), Some(&bulk), &[200]);
        }
        self.engine
            .must("POST", &format!("{FILLER}/_refresh"), None, &[200]);
        // One segment: the snapshot's size no longer depends on merges.
        self.engine.must(
            "POST",
            &format!("{FILLER}/_forcemerge?max_num_segments=1"),
            None,
            &[200],
        );
    }
}

impl Drop for Indices {
    fn drop(&mut self) {
        let _ = self.engine.call("DELETE", FILLER, None);
    }
}

/// Whether this process runs as root (mounting a tmpfs needs it).
pub(crate) fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Whether this run is CI's (where a missing capability fails the test).
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A tmpfs mounted at a directory; unmounted (and the directory removed)
/// when dropped, a failed test included.
pub(crate) struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`512k`) at `path`, made if missing.
    pub(crate) fn mount(path: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(path).unwrap();
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0777"),
                "tmpfs",
            ])
            .arg(path)
            .status()
            .expect("run mount");
        assert!(status.success(), "mount tmpfs at {}", path.display());
        Tmpfs {
            path: path.to_owned(),
        }
    }

    /// Gives the mounted tmpfs a new size, keeping its files.
    pub(crate) fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.path)
            .status()
            .expect("run mount");
        assert!(status.success(), "remount {}", self.path.display());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: the engine may still hold a file open; the mount goes as
        // soon as it lets go.
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `backup-actuator backup wait ID --url …` against `server`: the exit code
/// and what it printed on stdout.
pub(crate) fn cli_wait(server: &Server, id: u64) -> (i32, String) {
    let url = format!("http://{}", server.addr);
    let ((code, stderr), stdout) = super::run_with_env(
        &[
            "backup",
            "wait",
            &id.to_string(),
            "--url",
            &url,
            "--timeout",
            "3m",
            "--output",
            "json",
        ],
        &[("BACKUP_ACTUATOR_POLL_INTERVAL", "200ms")],
    );
    (code, format!("{stdout}{stderr}"))
}

/// `backup_actuator_backups_failed_total` by `reason`, from the server's
/// `/actuator/prometheus` (empty when the counter has no series yet).
pub(crate) fn failed_total(server: &Server) -> BTreeMap<String, f64> {
    let (status, text) = server.request("GET", "/actuator/prometheus", "");
    assert_eq!(status, 200, "{text}");
    text.lines()
        .filter(|l| l.starts_with("backup_actuator_backups_failed_total{"))
        .filter_map(|line| {
            let reason = line.split("reason=\"").nth(1)?.split('"').next()?;
            let value = line.rsplit(' ').next()?.parse().ok()?;
            Some((reason.to_owned(), value))
        })
        .collect()
}

/// The engine `scripts/real-cluster` started for this run, to kill and
/// restart it: its name and state directory come from
/// `scripts/real-cluster env` (`BACKUP_ACTUATOR_TEST_ENGINE`,
/// `REAL_CLUSTER_HOME`).
pub(crate) struct RealCluster {
    pub engine: String,
    home: Option<String>,
}

impl RealCluster {
    /// The engine of this run, or `None` when the environment does not
    /// name one (an engine started some other way).
    pub(crate) fn from_env() -> Option<RealCluster> {
        let engine = std::env::var("BACKUP_ACTUATOR_TEST_ENGINE")
            .ok()
            .filter(|v| !v.is_empty())?;
        Some(RealCluster {
            engine,
            home: std::env::var("REAL_CLUSTER_HOME").ok(),
        })
    }

    /// `scripts/real-cluster restart ENGINE --kill`: SIGKILL, then a start
    /// on the same data, repository directory and port.
    pub(crate) fn kill_and_restart(&self) -> Duration {
        let started = Instant::now();
        self.script(&["restart", &self.engine, "--kill"]);
        started.elapsed()
    }

    /// Runs `scripts/real-cluster ARGS` on this engine's state; its stdout.
    fn script(&self, args: &[&str]) -> String {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/real-cluster");
        let mut command = Command::new(script);
        command.args(args);
        if let Some(home) = &self.home {
            command.env("REAL_CLUSTER_HOME", home);
        }
        let output = command.output().expect("run scripts/real-cluster");
        assert!(
            output.status.success(),
            "scripts/real-cluster {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// A cluster of `nodes` nodes of this engine beside it (its own state
    /// under `REAL_CLUSTER_HOME/cluster-of-N`, HTTP from `port`, transport
    /// from `port + 10`, 512 MiB heap each), stopped when dropped.
    pub(crate) fn start_cluster(&self, nodes: u32, port: u16) -> NodeCluster {
        let home = format!(
            "{}/cluster-of-{nodes}",
            self.home.as_deref().unwrap_or("target/real-cluster")
        );
        let cluster = RealCluster {
            engine: self.engine.clone(),
            home: Some(home.clone()),
        };
        let started = Instant::now();
        let url = {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/real-cluster");
            let output = Command::new(script)
                .args([
                    "start",
                    &self.engine,
                    "--port",
                    &port.to_string(),
                    "--nodes",
                    &nodes.to_string(),
                    "--transport-port",
                    &(port + 10).to_string(),
                ])
                .env("REAL_CLUSTER_HOME", &home)
                .env("REAL_CLUSTER_HEAP", "512m")
                .output()
                .expect("run scripts/real-cluster");
            assert!(
                output.status.success(),
                "scripts/real-cluster start {} --nodes {nodes} failed: {}",
                self.engine,
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        };
        println!(
            "{} nodes of {} started in {:?}",
            nodes,
            self.engine,
            started.elapsed()
        );
        NodeCluster {
            engine: LiveCluster {
                url,
                repo_location: format!("{home}/{}/repo", self.engine),
            },
            script: cluster,
        }
    }
}

/// A cluster of several nodes started by [`RealCluster::start_cluster`];
/// stopped (every node) when dropped, a failed test included.
pub(crate) struct NodeCluster {
    pub engine: LiveCluster,
    script: RealCluster,
}

impl NodeCluster {
    /// SIGKILLs node `n` (1-based; node 1 answers at the cluster's URL).
    pub(crate) fn kill_node(&self, n: u32) {
        self.script
            .script(&["kill-node", &self.script.engine, &n.to_string()]);
    }

    /// Starts node `n` again on its data and waits for the whole cluster.
    pub(crate) fn start_node(&self, n: u32) {
        self.script
            .script(&["start-node", &self.script.engine, &n.to_string()]);
    }
}

impl Drop for NodeCluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/real-cluster");
        let mut command = Command::new(script);
        command.args(["stop", &self.script.engine]);
        if let Some(home) = &self.script.home {
            command.env("REAL_CLUSTER_HOME", home);
        }
        let _ = command.output();
    }
}
