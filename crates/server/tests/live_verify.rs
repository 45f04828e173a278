//! The restore drill on a real engine (SPEC §13): a COMPLETE backup
//! verifies with the source indices' document counts; after one data blob
//! of it is deleted from the repository directory the backup still reads
//! COMPLETE, but `verify` exits 20 naming the broken index and shard; a
//! drill interrupted by SIGTERM deletes its scratch indices; `serve
//! --verify-schedule` drills at its slots; `restore latest --indices
//! --rename-pattern` restores beside the live indices; and every run leaves
//! no scratch index behind.
//!
//! Needs `BACKUP_ACTUATOR_TEST_OS_URL` / `BACKUP_ACTUATOR_TEST_ES_URL` (see
//! `backup_actuator_testkit::live`); skips with a printed reason otherwise,
//! fails under CI when the stage needs the engine.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backup_actuator_core::{BackupId, BackupPlan, BackupState, Backups, OutputZone, Product};
use backup_actuator_search::ClusterStore;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::live::{self, LiveCluster, LiveProduct};
use common::{run_with_env, Server, BIN};
use serde_json::Value;

/// Names no other test on the same engine uses.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}-{nanos}", std::process::id())
}

/// One backup on the engine: two indices with documents, one part each.
struct Fixture {
    engine: LiveCluster,
    product: LiveProduct,
    repo: String,
    location: String,
    prefix: String,
    indices: [String; 2],
    docs: [u64; 2],
    id: BackupId,
    plan: BackupPlan,
}

impl Fixture {
    fn new(product: LiveProduct, engine: LiveCluster) -> Fixture {
        let tag = unique();
        let repo = format!("live_verify_{}", tag.replace('-', "_"));
        let prefix = repo.clone();
        let indices = [
            format!("live-verify-{tag}-a"),
            format!("live-verify-{tag}-b"),
        ];
        let id = BackupId::new(20261206020000).unwrap();
        let plan = BackupPlan::builder()
            .prefix(&prefix)
            .version("8.6.0")
            .part([indices[0].as_str()])
            .part([indices[1].as_str()])
            .build()
            .unwrap();
        let location = engine.register_fs_repository(&repo, &[]);
        let fixture = Fixture {
            engine,
            product,
            repo,
            location,
            prefix,
            indices,
            docs: [7, 40],
            id,
            plan,
        };
        for (index, n) in fixture.indices.iter().zip(fixture.docs) {
            let settings = r#"{"settings": {"number_of_shards": 1, "number_of_replicas": 0}}"#;
            fixture.engine.must("PUT", index, Some(settings), &[200]);
            let mut bulk = String::new();
            for i in 0..n {
                bulk.push_str(&format!(
                    "{{\"index\":{{\"_id\":\"{i}\"}}}}\n{{\"n\":{i},\"text\":\"document number {i}\"}}\n"
                ));
            }
            let answer = fixture.engine.must(
                "POST",
                &format!("{index}/_bulk?refresh=true"),
                Some(&bulk),
                &[200],
            );
            assert_eq!(answer.json()["errors"], false, "{}", answer.body);
            assert_eq!(fixture.count(index), n);
        }
        for (part, index) in fixture.indices.iter().enumerate() {
            let name = fixture.plan.snapshot_name(id, part as u32 + 1);
            let body = serde_json::json!({
                "indices": index,
                "include_global_state": false,
                "metadata": {"backupId": id, "version": "8.6.0", "partNo": part + 1, "partCount": 2},
            });
            fixture.engine.must(
                "PUT",
                &format!("_snapshot/{}/{name}?wait_for_completion=true", fixture.repo),
                Some(&body.to_string()),
                &[200],
            );
        }
        assert_eq!(fixture.state(), BackupState::Complete);
        fixture
    }

    fn count(&self, index: &str) -> u64 {
        let answer = self
            .engine
            .must("GET", &format!("{index}/_count"), None, &[200]);
        answer.json()["count"].as_u64().unwrap()
    }

    /// The documents of a freshly restored index: a read right after the
    /// restore may meet a node that has not applied the started shard yet
    /// (503), which is asked again for a few seconds.
    fn count_when_searchable(&self, index: &str) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let answer = self
                .engine
                .call("GET", &format!("{index}/_count"), None)
                .unwrap();
            if answer.status == 503 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            assert_eq!(answer.status, 200, "{}", answer.body);
            return answer.json()["count"].as_u64().unwrap();
        }
    }

    /// The backup's state as GET reads it.
    fn state(&self) -> BackupState {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let product = match self.product {
            LiveProduct::Elasticsearch => Product::Elasticsearch,
            LiveProduct::OpenSearch => Product::OpenSearch,
        };
        let store = ClusterStore::builder(product, &self.engine.url)
            .build()
            .unwrap();
        let records = runtime
            .block_on(store.find_snapshots(&self.repo, &self.plan.lookup_pattern(self.id)))
            .unwrap();
        Backups::from_snapshots(&self.plan, records, &OutputZone::utc())
            .into_backup(self.id)
            .unwrap()
            .state
    }

    fn backend(&self) -> &'static str {
        match self.product {
            LiveProduct::Elasticsearch => "elasticsearch",
            LiveProduct::OpenSearch => "opensearch",
        }
    }

    fn args<'a>(&'a self, backup: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut argv = vec![
            "verify",
            backup,
            "--backend",
            self.backend(),
            "--url",
            self.engine.url.as_str(),
            "--repository",
            self.repo.as_str(),
            "--prefix",
            self.prefix.as_str(),
            "--poll-interval",
            "100ms",
        ];
        argv.extend_from_slice(extra);
        argv
    }

    /// `verify BACKUP EXTRA…`: exit code, stdout, stderr.
    fn verify(&self, backup: &str, extra: &[&str]) -> (i32, String, String) {
        let ((code, stderr), stdout) = run_with_env(&self.args(backup, extra), &[]);
        (code, stdout, stderr)
    }

    /// Indices whose name starts with the drill's scratch prefix.
    fn scratch_left(&self) -> Vec<String> {
        let answer = self.engine.must(
            "GET",
            &format!("_cat/indices/verify-{}-*?format=json&h=index", self.id),
            None,
            &[200],
        );
        answer
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["index"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The repository directory of `index`'s data, from the repository's
    /// newest `index-N` (the root blob mapping index names to ids).
    fn index_directory(&self, index: &str) -> PathBuf {
        let root = Path::new(&self.location);
        let newest = std::fs::read_dir(root)
            .unwrap()
            .filter_map(|entry| {
                let name = entry.unwrap().file_name().into_string().ok()?;
                name.strip_prefix("index-")?.parse::<u64>().ok()
            })
            .max()
            .expect("a root index-N blob in the repository");
        let data: Value =
            serde_json::from_slice(&std::fs::read(root.join(format!("index-{newest}"))).unwrap())
                .expect("index-N is JSON");
        let id = data["indices"][index]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{index} in index-{newest}: {data}"));
        root.join("indices").join(id)
    }

    fn cleanup(&self) {
        for index in &self.indices {
            let _ = self.engine.call("DELETE", index, None);
        }
        for part in 1..=2 {
            let name = self.plan.snapshot_name(self.id, part);
            let _ = self
                .engine
                .call("DELETE", &format!("_snapshot/{}/{name}", self.repo), None);
        }
        let _ = self
            .engine
            .call("DELETE", &format!("_snapshot/{}_ro", self.repo), None);
        let _ = self
            .engine
            .call("DELETE", &format!("_snapshot/{}", self.repo), None);
    }
}

/// Shard allocation switched off for the whole engine, until dropped (also
/// when an assertion fails, so the next test finds a working engine).
struct AllocationOff<'a>(&'a LiveCluster);

impl<'a> AllocationOff<'a> {
    fn new(engine: &'a LiveCluster) -> AllocationOff<'a> {
        engine.must(
            "PUT",
            "_cluster/settings",
            Some(r#"{"transient": {"cluster.routing.allocation.enable": "none"}}"#),
            &[200],
        );
        AllocationOff(engine)
    }
}

impl Drop for AllocationOff<'_> {
    fn drop(&mut self) {
        let _ = self.0.call(
            "PUT",
            "_cluster/settings",
            Some(r#"{"transient": {"cluster.routing.allocation.enable": null}}"#),
        );
    }
}

/// The largest data blob (`__*`) under `dir`.
fn largest_data_blob(dir: &Path) -> PathBuf {
    let mut found: Vec<(u64, PathBuf)> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry.file_name().to_string_lossy().starts_with("__") {
                found.push((entry.metadata().unwrap().len(), path));
            }
        }
    }
    found.sort();
    found
        .pop()
        .unwrap_or_else(|| panic!("no data blob under {}", dir.display()))
        .1
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn drill(product: LiveProduct, engine: LiveCluster) {
    let fixture = Fixture::new(product, engine);
    let id = fixture.id.to_string();

    // A complete backup restores, with every document of its indices.
    let (code, stdout, stderr) = fixture.verify("latest", &["--output", "json"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report = json(&stdout);
    assert_eq!(report["backupId"], fixture.id.get());
    assert_eq!(report["restorable"], true);
    let indices = report["indices"].as_array().unwrap();
    assert_eq!(indices.len(), 2, "{report}");
    for ((row, index), docs) in indices.iter().zip(&fixture.indices).zip(fixture.docs) {
        assert_eq!(row["index"], index.as_str(), "{report}");
        assert_eq!(row["scratchIndex"], format!("verify-{id}-{index}"));
        assert_eq!(row["documents"], docs, "{report}");
        assert_eq!(row["shards"], 1);
        assert!(row["sizeInBytes"].as_u64().unwrap() > 0, "{report}");
    }
    assert!(report["neededBytes"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(fixture.scratch_left(), Vec::<String>::new());

    // On a "second cluster": the same repository registered read-only
    // under another name, as a DR cluster would have it.
    let readonly = format!("{}_ro", fixture.repo);
    let body = serde_json::json!({"type": "fs", "settings": {"location": fixture.location, "readonly": true}});
    fixture.engine.must(
        "PUT",
        &format!("_snapshot/{readonly}"),
        Some(&body.to_string()),
        &[200],
    );
    let (code, stdout, stderr) = fixture.verify(
        &id,
        &[
            "--into",
            fixture.engine.url.as_str(),
            "--into-repository",
            readonly.as_str(),
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("from repository [{readonly}]")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "Backup {id} restores: 2 index(es), {} document(s)",
            fixture.docs.iter().sum::<u64>()
        )),
        "{stdout}"
    );
    assert_eq!(fixture.scratch_left(), Vec::<String>::new());

    // serve --verify-schedule: a drill of the newest COMPLETE backup at
    // every slot; SIGTERM ends it (deleting a drill's scratch indices).
    let server = Server::start(&[
        "--backend",
        fixture.backend(),
        "--url",
        fixture.engine.url.as_str(),
        "--repository",
        fixture.repo.as_str(),
        "--prefix",
        fixture.prefix.as_str(),
        "--verify-schedule",
        "*/2 * * * * *",
        "--schedule-seconds",
        "--metrics",
    ]);
    let passed = format!("restore drill passed: backup {id} restores");
    assert!(
        (0..4).any(|_| server.logged(&passed)),
        "no scheduled drill passed"
    );
    // The drill moved the metrics (SPEC §11): the last verified backup and
    // when, and the drill's duration.
    let (status, text) = server.request("GET", "/actuator/prometheus", "");
    assert_eq!(status, 200, "{text}");
    let sample = |series: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in {text}"))
    };
    assert_eq!(
        sample("backup_actuator_last_verified_backup_id"),
        id.parse::<f64>().unwrap()
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let verified = sample("backup_actuator_last_verified_timestamp_seconds");
    assert!(
        verified > now - 600.0 && verified <= now,
        "{verified} vs {now}"
    );
    assert!(
        sample(r#"backup_actuator_verify_drill_duration_seconds_count{outcome="passed"}"#) >= 1.0,
        "{text}"
    );
    assert_eq!(
        sample(r#"backup_actuator_verify_failures_total{reason="not_restorable"}"#),
        0.0
    );
    // …and the health answer names it.
    let health = server.json("/actuator/health");
    assert_eq!(
        health["details"]["lastVerifiedBackup"]["backupId"].to_string(),
        id,
        "{health}"
    );
    assert_eq!(server.terminate(), 0);
    assert_eq!(fixture.scratch_left(), Vec::<String>::new());

    // Interrupted while it waits for shards that cannot be allocated: the
    // scratch index goes, exit 1.
    let allocation_off = AllocationOff::new(&fixture.engine);
    let child = Command::new(BIN)
        .args(fixture.args(&id, &[]))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while fixture.scratch_left().is_empty() {
        assert!(Instant::now() < deadline, "the drill never restored");
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    drop(allocation_off);
    assert!(killed.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the drill was interrupted"), "{stderr}");
    assert_eq!(fixture.scratch_left(), Vec::<String>::new());

    restore_next_to_the_live_indices(&fixture);

    // One data blob of index b lost: GET still reads COMPLETE, the drill
    // finds it.
    let blob = largest_data_blob(&fixture.index_directory(&fixture.indices[1]));
    std::fs::remove_file(&blob).unwrap();
    assert_eq!(fixture.state(), BackupState::Complete);
    let (code, stdout, stderr) = fixture.verify(&id, &["--output", "json"]);
    assert_eq!(code, 20, "{stdout}\n{stderr}");
    let verdict = json(&stdout);
    assert_eq!(verdict["restorable"], false, "{verdict}");
    let failure = &verdict["failures"][0];
    assert_eq!(failure["index"], fixture.indices[1].as_str(), "{verdict}");
    assert_eq!(failure["shard"], 0, "{verdict}");
    assert!(!failure["reason"].as_str().unwrap().is_empty(), "{verdict}");
    assert!(
        stderr.contains(&format!(
            "backup {id} is not restorable: index [{}] shard [0]",
            fixture.indices[1]
        )),
        "{stderr}"
    );
    assert_eq!(fixture.scratch_left(), Vec::<String>::new());

    fixture.cleanup();
}

/// SPEC §12: `restore latest --indices b --rename-pattern …` restores b
/// beside the live b, with b's documents, and leaves a alone.
fn restore_next_to_the_live_indices(fixture: &Fixture) {
    let [a, b] = &fixture.indices;
    let restored = format!("restored-{b}");
    let mut argv = fixture.args("latest", &[]);
    argv[0] = "restore";
    argv.extend_from_slice(&[
        "--indices",
        b.as_str(),
        "--rename-pattern",
        "^(.+)$",
        "--rename-replacement",
        "restored-$1",
    ]);
    let ((code, stderr), stdout) = run_with_env(&argv, &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("    {b} -> {restored}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains("renamed: rename_pattern [^(.+)$], rename_replacement [restored-$1]"),
        "{stdout}"
    );
    argv.push("--yes");
    let ((code, stderr), stdout) = run_with_env(&argv, &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.ends_with(&format!(
            "Restored backup {}: 1 index(es), every one at least yellow.\n",
            fixture.id
        )),
        "{stdout}"
    );
    assert_eq!(fixture.count_when_searchable(&restored), fixture.docs[1]);
    // The live indices are untouched, and only b was restored.
    assert_eq!(fixture.count(b), fixture.docs[1]);
    assert_eq!(fixture.count(a), fixture.docs[0]);
    let other = fixture
        .engine
        .must("HEAD", &format!("restored-{a}"), None, &[200, 404]);
    assert_eq!(other.status, 404);
    fixture.engine.must("DELETE", &restored, None, &[200]);
}

#[test]
fn live_verify_on_opensearch() {
    if let Some(engine) = live::cluster(LiveProduct::OpenSearch) {
        drill(LiveProduct::OpenSearch, engine);
    }
}

#[test]
fn live_verify_on_elasticsearch() {
    if let Some(engine) = live::cluster(LiveProduct::Elasticsearch) {
        drill(LiveProduct::Elasticsearch, engine);
    }
}
