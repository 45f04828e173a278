//! What the API, the CLI, the log and the metrics say when a real engine
//! (OpenSearch 2.19 / 3.x, Elasticsearch 7.10.2 in CI) fails a backup that
//! was accepted: the repository's disk fills up, its directory goes away,
//! an index is deleted under a running part, the backup is deleted while
//! it runs, the engine is killed and restarted. Each test breaks the engine
//! itself, then holds the API to one story per id (SPEC §4, §6):
//!
//! - GET one never answers 404 while the repository holds anything of the
//!   id, a claim included, and the list shows the same backup as GET one;
//! - the process that answered 202 settles the backup within a minute:
//!   FAILED or INCOMPLETE with a `failureReason`, an `error` line naming
//!   the id, and `backup_actuator_backups_failed_total` moved;
//! - POST is 409 while GET shows the id, and `backup wait` exits by the
//!   state (10 FAILED, 11 INCOMPLETE, 0 COMPLETE, SPEC §9);
//! - once the fault is gone, DELETE (204) leaves nothing of the id, GET is
//!   404, and a POST of the same id runs to COMPLETE.
//!
//! Tests take turns on the engine (one snapshot thread on two cores). The
//! disk-full test mounts a tmpfs inside `path.repo`, so it needs root (CI
//! runs as root; elsewhere it skips, printing why); the restart test needs
//! the engine's name from `scripts/real-cluster env`.
//!
//! With `BACKUP_ACTUATOR_RECORD_FAULTS=1` each test writes what the engine
//! kept (its `_snapshot` answer, names and volatile fields normalised) to
//! `crates/testkit/tests/fixtures/faults/<engine>-<version>/`.

mod common;

use std::path::Path;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use backup_actuator_testkit::live::{self, LiveCluster, LiveProduct};
use common::live_engine::{
    blank_volatile, cli_wait, engine_version, failed_total, in_ci, is_root, Indices, LiveRepo,
    RealCluster, Tmpfs, FILLER,
};
use common::Server;
use serde_json::{json, Value};

/// The snapshot rate of a repository whose backup must still run when
/// the fault arrives: the ~2 MB filler then takes ~10 s.
const THROTTLE: &str = "200kb";

/// How long the process that accepted a backup may take to settle it
/// (the engine first has to fail or finish every part).
const SETTLE: Duration = Duration::from_secs(120);

/// Runs `test` on every engine that is there (and fails under CI when a
/// required one is missing), one test at a time.
fn on_every_engine(test: impl Fn(LiveCluster, LiveProduct)) {
    static TURN: Mutex<()> = Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for product in [LiveProduct::OpenSearch, LiveProduct::Elasticsearch] {
        if let Some(engine) = live::cluster(product) {
            let started = Instant::now();
            test(engine, product);
            println!("{}: {:?}", product.name(), started.elapsed());
        }
    }
}

/// One request on its own connection, given a minute to answer: on two
/// busy cores a POST's claim protocol against a real engine can take
/// longer than the 10 s of [`Server::request`].
fn call(server: &Server, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::Write as _;
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        server.addr,
        body.len()
    )
    .unwrap();
    let answer = common::parse_answer(&common::read_until_closed(&mut stream));
    (answer.status, answer.body)
}

fn post(server: &Server, id: u64) -> (u16, String) {
    call(
        server,
        "POST",
        "/actuator/backups",
        &format!(r#"{{"backupId":{id}}}"#),
    )
}

/// GET one: the backup, or `None` on 404; any other answer fails.
fn read(server: &Server, id: u64) -> Option<Value> {
    let (status, body) = call(server, "GET", &format!("/actuator/backups/{id}"), "");
    match status {
        200 => Some(serde_json::from_str(&body).unwrap()),
        404 => None,
        _ => panic!("GET /backups/{id}: HTTP {status} {body}"),
    }
}

/// The list's entry for `id`, if any.
fn listed(server: &Server, id: u64) -> Option<Value> {
    let (status, body) = call(server, "GET", "/actuator/backups", "");
    assert_eq!(status, 200, "the list: {body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    list.as_array()
        .expect("a list")
        .iter()
        .find(|b| b["backupId"] == id)
        .cloned()
}

/// GET one, then the repository: after a 202 snapshots of the id only
/// go away, so a 404 beside a snapshot that the engine still lists is a
/// contradiction, not a race.
fn read_checked(repo: &LiveRepo, server: &Server, id: u64) -> Option<Value> {
    let backup = read(server, id);
    if backup.is_none() {
        let names = repo.names_of(id);
        assert!(
            names.is_empty(),
            "GET /backups/{id} answered 404 while the repository holds {names:?}"
        );
    }
    backup
}

/// Polls GET one until the backup is no longer IN_PROGRESS, checking at
/// every read that a 404 never hides a snapshot of the id. `None` when
/// nothing of the id is left at all. The first time the engine runs
/// nothing more in the repository, what it kept is recorded as the
/// fixture `scenario` (before any assertion can stop the test).
fn settle(repo: &LiveRepo, server: &Server, id: u64, scenario: &str) -> Option<Value> {
    let deadline = Instant::now() + SETTLE;
    let mut recorded = false;
    loop {
        if !recorded && repo.running().is_empty() {
            record(repo, scenario, kept(repo, id));
            recorded = true;
        }
        match read_checked(repo, server, id) {
            None => return None,
            Some(backup) if backup["state"] != "IN_PROGRESS" => return Some(backup),
            Some(backup) => assert!(
                Instant::now() < deadline,
                "backup {id} still IN_PROGRESS {SETTLE:?} after the fault: {backup}"
            ),
        }
        thread::sleep(Duration::from_millis(250));
    }
}

/// The exit code SPEC §9 gives `backup wait` for a final state.
fn exit_code_of(state: &str) -> i32 {
    match state {
        "COMPLETE" | "COMPLETED" => 0,
        "FAILED" => 10,
        "INCOMPLETE" => 11,
        "INCOMPATIBLE" => 12,
        other => panic!("not a final state: {other}"),
    }
}

/// Polls `check` for up to a minute: the accepting process follows its
/// parts in the background, looking less often the longer they run (up to
/// every 15 s), so after a long fault it may take a while to notice.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "{what}, within 60 s");
        thread::sleep(Duration::from_millis(250));
    }
}

/// Every route and the CLI agree with the settled backup (`None`: the
/// engine kept nothing of it): the error log line and the failure counter
/// of the accepting process first (its follower may still sharpen the
/// `failureReason` until then), then GET one, the list, POST's 409,
/// `backup wait`'s exit code and the failure reason, and what a fresh
/// process reads.
fn assert_one_story(repo: &LiveRepo, server: &Server, id: u64, settled: &Option<Value>) {
    let failed = settled.as_ref().is_none_or(|b| b["state"] != "COMPLETE");
    if failed {
        eventually(&format!("backups_failed_total counts backup {id}"), || {
            failed_total(server).values().sum::<f64>() >= 1.0
        });
        // At `error`, with the backup id and the part (SPEC §11, issue 18).
        let id_field = format!("backup_id={id}");
        let part = format!(
            "{}_{id}_{}_part_",
            repo.prefix,
            common::live_engine::VERSION
        );
        eventually(
            &format!("an error line names backup {id} and its part"),
            || {
                server.stderr.lock().unwrap().iter().any(|line| {
                    line.contains(" ERROR ") && line.contains(&id_field) && line.contains(&part)
                })
            },
        );
    }
    let backup = read_checked(repo, server, id);
    assert_eq!(
        backup.as_ref().map(|b| &b["state"]),
        settled.as_ref().map(|b| &b["state"]),
        "GET one changed its state after it settled: {backup:?}"
    );
    assert_eq!(
        listed(server, id),
        backup,
        "the list disagrees with GET one"
    );
    if let Some(backup) = &backup {
        let state = backup["state"].as_str().expect("a state");
        let (status, body) = post(server, id);
        assert_eq!(status, 409, "GET shows {id} but POST answered {body}");
        let (code, out) = cli_wait(server, id);
        assert_eq!(code, exit_code_of(state), "backup wait {id}: {out}");
        let reason = backup["failureReason"].as_str();
        match state {
            "INCOMPLETE" => assert!(
                reason.is_some_and(|r| r.starts_with("Missing parts: [")),
                "{backup}"
            ),
            "FAILED" => assert!(reason.is_some_and(|r| !r.is_empty()), "{backup}"),
            _ => assert_eq!(reason, None, "{backup}"),
        }
    }
    let backup = &backup;

    // A process that did not accept the backup tells the same story; a
    // claim still standing may read IN_PROGRESS there until it expires.
    let fresh = repo.serve();
    let seen = read_checked(repo, &fresh, id);
    assert_eq!(listed(&fresh, id), seen, "a fresh process's list and GET");
    match (&seen, backup) {
        (None, None) => {}
        (Some(seen), Some(backup)) => {
            let claim_stands = repo.names_of(id).contains(&repo.claim(id));
            assert!(
                seen["state"] == backup["state"]
                    || (claim_stands && seen["state"] == "IN_PROGRESS"),
                "a fresh process reads {seen}, the accepting one {backup}"
            );
            assert_eq!(post(&fresh, id).0, 409, "a fresh process's POST of {id}");
            // Its own refused POST tells it nothing about the other's trigger.
            assert_eq!(
                read(&fresh, id).as_ref(),
                Some(seen),
                "a fresh process's GET after its POST of {id} was refused"
            );
        }
        (seen, backup) => panic!("a fresh process reads {seen:?}, the accepting one {backup:?}"),
    }
}

/// Once the fault is gone: DELETE is 204 and leaves nothing of the id
/// (the engine may queue it behind running snapshots), GET is 404, the
/// list drops it, and a POST of the same id runs to COMPLETE.
fn assert_delete_and_retry(repo: &mut LiveRepo, server: &Server, id: u64) {
    let (status, body) = call(server, "DELETE", &format!("/actuator/backups/{id}"), "");
    assert_eq!((status, body.as_str()), (204, ""));
    repo.wait_nothing_of(id, Duration::from_secs(60));
    assert_eq!(read(server, id), None, "GET after the DELETE settled");
    assert_eq!(listed(server, id), None);

    // The retry runs at full speed: no need to wait for a throttle now.
    repo.wait_idle(Duration::from_secs(60));
    repo.register(&[]);
    let (status, body) = post(server, id);
    assert_eq!(status, 202, "GET is 404, so POST must not refuse: {body}");
    let (code, out) = cli_wait(server, id);
    assert_eq!(code, 0, "backup wait {id} after the retry: {out}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while repo.names_of(id).contains(&repo.claim(id)) {
        assert!(Instant::now() < deadline, "the retry's claim stays");
        thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(repo.names_of(id), [repo.part(id, 1), repo.part(id, 2)]);
    assert_eq!(
        call(server, "DELETE", &format!("/actuator/backups/{id}"), "").0,
        204
    );
    repo.wait_nothing_of(id, Duration::from_secs(60));
}

/// Waits until the engine runs part 2 (the filler) of `id`, so the fault
/// lands on a running snapshot, and checks that the API shows it running.
fn wait_running(repo: &LiveRepo, server: &Server, id: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !repo.running().contains(&repo.part(id, 2)) {
        assert!(
            Instant::now() < deadline,
            "part 2 of {id} never ran; the repository holds {:?}",
            repo.names_of(id)
        );
        thread::sleep(Duration::from_millis(100));
    }
    let backup = read_checked(repo, server, id).expect("a running backup is found");
    assert_eq!(backup["state"], "IN_PROGRESS", "{backup}");
    assert_eq!(listed(server, id).as_ref(), Some(&backup));
    assert_eq!(post(server, id).0, 409, "POST of a running backup");
}

/// The state the engine lists for snapshot `name` of `id`, if it lists it.
fn state_in_repository(repo: &LiveRepo, id: u64, name: &str) -> Option<String> {
    repo.snapshots_of(id)
        .unwrap_or_else(|e| panic!("the repository cannot be read: {e:?}"))
        .iter()
        .find(|s| s["snapshot"] == name)
        .and_then(|s| s["state"].as_str().map(str::to_owned))
}

/// With `BACKUP_ACTUATOR_RECORD_FAULTS=1`: writes `answer` (with this
/// run's names normalised) as the fixture `scenario` of this engine.
fn record(repo: &LiveRepo, scenario: &str, answer: Value) {
    if std::env::var("BACKUP_ACTUATOR_RECORD_FAULTS").as_deref() != Ok("1") {
        return;
    }
    let (version, distribution) = engine_version(&repo.engine);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testkit/tests/fixtures/faults")
        .join(format!("{distribution}-{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let text = serde_json::to_string(&answer).unwrap();
    // The location holds the repository's name, which holds no prefix.
    let text = text
        .replace(&repo.location, "{location}")
        .replace(&repo.name, "{repository}")
        .replace(&repo.prefix, "{prefix}");
    let mut value: Value = serde_json::from_str(&text).unwrap();
    blank_volatile(&mut value);
    let body =
        json!({"engine": distribution, "version": version, "scenario": scenario, "answer": value});
    std::fs::write(
        dir.join(format!("{scenario}.json")),
        serde_json::to_string_pretty(&body).unwrap() + "\n",
    )
    .unwrap();
}

/// What the engine kept of `id`, as its `_snapshot/{repo}/_all` lists
/// it, for [`record`].
fn kept(repo: &LiveRepo, id: u64) -> Value {
    json!({"snapshots": repo.snapshots_of(id).unwrap_or_default()})
}

/// The repository's disk fills up during a backup (a 512 KiB tmpfs, a
/// ~2 MB part): the parts fail or vanish, a claim may stay. The backup
/// settles FAILED or INCOMPLETE, never 404 beside a leftover; once the
/// disk has room, DELETE clears the id and the same id runs to COMPLETE.
#[test]
fn live_a_full_repository_disk_fails_the_backup_and_the_id_can_be_retried() {
    on_every_engine(|engine, product| {
        if !is_root() {
            assert!(
                !in_ci(),
                "CI=true but not root: the tmpfs cannot be mounted"
            );
            eprintln!("skipped: mounting a tmpfs needs root");
            return;
        }
        let _indices = Indices::make(&engine);
        let mut repo = LiveRepo::plan(engine, product, "full");
        let disk = Tmpfs::mount(Path::new(&repo.location), "512k");
        repo.register(&[]);
        let server = repo.serve();
        let id = 1801;
        let (status, body) = post(&server, id);
        assert_eq!(status, 202, "{body}");

        let backup = settle(&repo, &server, id, "disk_full");
        if let Some(backup) = &backup {
            assert_ne!(backup["state"], "COMPLETE", "2 MB fit on 512 KiB? {backup}");
        }
        let part_2 = state_in_repository(&repo, id, &repo.part(id, 2));
        assert_ne!(part_2.as_deref(), Some("SUCCESS"), "2 MB fit on 512 KiB?");
        assert_one_story(&repo, &server, id, &backup);

        disk.resize("64m");
        assert_delete_and_retry(&mut repo, &server, id);
    });
}

/// The repository's directory is removed while a backup runs (the engine
/// refuses to unregister a repository in use): every route answers the
/// engine's error alike, never 404, 409 or 202. Once the operator makes the
/// directory again and registers the repository anew, nothing of the id is
/// left, the accepting process has counted it, and the id runs again.
#[test]
fn live_a_removed_repository_directory_answers_alike_and_the_id_can_be_retried() {
    on_every_engine(|engine, product| {
        let _indices = Indices::make(&engine);
        let mut repo = LiveRepo::plan(engine, product, "gone");
        repo.register(&[("max_snapshot_bytes_per_sec", THROTTLE)]);
        let server = repo.serve();
        let id = 1802;
        assert_eq!(post(&server, id).0, 202);
        wait_running(&repo, &server, id);

        let (status, answer) = repo.unregister();
        record(
            &repo,
            "unregister_in_use",
            json!({"status": status, "body": answer}),
        );
        if status == 200 {
            // This engine let it go: the repository is missing for every route.
            for (method, path, body) in [
                ("GET", format!("/actuator/backups/{id}"), String::new()),
                ("GET", "/actuator/backups".to_owned(), String::new()),
                (
                    "POST",
                    "/actuator/backups".to_owned(),
                    format!(r#"{{"backupId":{id}}}"#),
                ),
                ("DELETE", format!("/actuator/backups/{id}"), String::new()),
            ] {
                let (status, body) = call(&server, method, &path, &body);
                assert_eq!(status, 400, "{method} {path}: {body}");
                assert!(body.contains("No repository with name"), "{body}");
            }
            repo.register(&[("max_snapshot_bytes_per_sec", THROTTLE)]);
        } else {
            assert!(status >= 400, "{answer}");
        }

        std::fs::remove_dir_all(&repo.location).unwrap();
        // The engine fails its running snapshots on the missing directory.
        repo.wait_idle(SETTLE);
        let error = repo.snapshots_of(id);
        assert!(
            error.is_err(),
            "the engine still reads the removed directory: {error:?}"
        );
        record(
            &repo,
            "directory_removed",
            json!({"repository": error.as_ref().err().map(|e| &e.1)}),
        );
        let answers: Vec<(u16, String)> = [
            ("GET", format!("/actuator/backups/{id}"), String::new()),
            ("GET", "/actuator/backups".to_owned(), String::new()),
            (
                "POST",
                "/actuator/backups".to_owned(),
                format!(r#"{{"backupId":{id}}}"#),
            ),
            ("DELETE", format!("/actuator/backups/{id}"), String::new()),
        ]
        .iter()
        .map(|(method, path, body)| call(&server, method, path, body))
        .collect();
        for (status, body) in &answers {
            assert!(
                !matches!(status, 200..=299 | 404 | 409),
                "a route answered as if the repository were readable: {answers:?}"
            );
            assert_eq!(*status, answers[0].0, "the routes disagree: {answers:?}");
            assert!(
                body.contains("serverError") || body.contains("ConnectionError"),
                "{body}"
            );
        }

        std::fs::create_dir_all(&repo.location).unwrap();
        assert!(repo.unregister().0 == 200, "unregister once idle");
        repo.register(&[]);
        let backup = settle(&repo, &server, id, "directory_recreated");
        assert_one_story(&repo, &server, id, &backup);
        assert_delete_and_retry(&mut repo, &server, id);
    });
}

/// An index is deleted while its part is being snapshotted. The engines
/// refuse (`snapshot_in_progress_exception`), so the backup completes; an
/// engine that let the index go would leave the part PARTIAL or FAILED,
/// and the backup FAILED with the shard failure in its details.
#[test]
fn live_deleting_an_index_under_a_running_part_settles_one_story() {
    on_every_engine(|engine, product| {
        let indices = Indices::make(&engine);
        let mut repo = LiveRepo::plan(engine, product, "index");
        repo.register(&[("max_snapshot_bytes_per_sec", THROTTLE)]);
        let server = repo.serve();
        let id = 1803;
        assert_eq!(post(&server, id).0, 202);
        wait_running(&repo, &server, id);

        let answer = repo
            .engine
            .call("DELETE", FILLER, None)
            .expect("the engine answers");
        record(
            &repo,
            "delete_index_in_snapshot",
            json!({"status": answer.status, "body": answer.json()}),
        );
        let backup = settle(&repo, &server, id, "delete_index_in_snapshot_kept");
        let backup_state = backup.as_ref().map(|b| b["state"].clone());
        if answer.status == 200 {
            let backup = backup.as_ref().expect("the part stays, PARTIAL or FAILED");
            assert_eq!(backup["state"], "FAILED", "{backup}");
            let failures = &backup["details"][1]["failures"];
            assert!(
                failures[0]
                    .as_str()
                    .is_some_and(|f| f.starts_with(&format!("[{FILLER}][0] "))),
                "{backup}"
            );
        } else {
            assert_eq!(
                answer.error_type().as_deref(),
                Some("snapshot_in_progress_exception"),
                "{}",
                answer.body
            );
            assert_eq!(backup_state, Some(json!("COMPLETE")));
        }
        assert_one_story(&repo, &server, id, &backup);
        indices.make_filler();
        assert_delete_and_retry(&mut repo, &server, id);
    });
}

/// DELETE of a running backup: 204, the engine aborts the parts, nothing
/// of the id is left once it settles, GET is 404, the id runs again.
#[test]
fn live_deleting_a_running_backup_leaves_nothing_and_the_id_runs_again() {
    on_every_engine(|engine, product| {
        let _indices = Indices::make(&engine);
        let mut repo = LiveRepo::plan(engine, product, "abort");
        repo.register(&[("max_snapshot_bytes_per_sec", THROTTLE)]);
        let server = repo.serve();
        let id = 1804;
        assert_eq!(post(&server, id).0, 202);
        wait_running(&repo, &server, id);
        let started = Instant::now();
        assert_delete_and_retry(&mut repo, &server, id);
        println!(
            "delete of a running backup, then its retry: {:?}",
            started.elapsed()
        );
    });
}

/// The engine is killed (SIGKILL) and started again on the same data
/// while a backup runs: the running parts are lost, a claim may stay. The
/// accepting process settles the backup; a fresh one reads it too (or
/// IN_PROGRESS beside a young claim), never 404; DELETE and a retry work.
#[test]
fn live_an_engine_killed_mid_backup_settles_and_the_id_can_be_retried() {
    on_every_engine(|engine, product| {
        let Some(cluster) = RealCluster::from_env() else {
            assert!(
                !in_ci(),
                "CI=true but BACKUP_ACTUATOR_TEST_ENGINE is not set (scripts/real-cluster env)"
            );
            eprintln!("skipped: BACKUP_ACTUATOR_TEST_ENGINE not set; cannot restart the engine");
            return;
        };
        let _indices = Indices::make(&engine);
        let mut repo = LiveRepo::plan(engine, product, "kill");
        repo.register(&[("max_snapshot_bytes_per_sec", THROTTLE)]);
        let server = repo.serve();
        let id = 1805;
        assert_eq!(post(&server, id).0, 202);
        wait_running(&repo, &server, id);

        let took = cluster.kill_and_restart();
        println!("{} killed and restarted in {took:?}", cluster.engine);
        let backup = settle(&repo, &server, id, "engine_restarted");
        // Part 2 ran when the engine died: it is not in the repository as a success.
        let part_2 = state_in_repository(&repo, id, &repo.part(id, 2));
        assert_ne!(part_2.as_deref(), Some("SUCCESS"), "{backup:?}");
        assert_one_story(&repo, &server, id, &backup);
        assert_delete_and_retry(&mut repo, &server, id);
    });
}

/// The HTTP port of the first node of a test's own cluster:
/// `BACKUP_ACTUATOR_TEST_CLUSTER_PORT`, else the engine's port + 20 (the
/// cluster's transport ports follow 10 above).
fn cluster_port(engine: &LiveCluster) -> u16 {
    if let Some(port) = std::env::var("BACKUP_ACTUATOR_TEST_CLUSTER_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
    {
        return port;
    }
    let port: u16 = engine
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("the engine URL ends with its port");
    port + 20
}

/// A node holding a shard of the filler is lost (SIGKILL) in a 3-node
/// cluster while part 2 runs: the engine ends the part PARTIAL with the
/// shard's failure. The backup reads FAILED, its details render the
/// failure per SPEC §4, `backup wait` exits 10, the counter moves with
/// `reason="partial"` (or `failed`). With the node back, DELETE and a
/// retry run to COMPLETE.
#[test]
fn live_a_node_lost_mid_snapshot_fails_the_part_with_its_shard_failure() {
    on_every_engine(|engine, product| {
        let Some(script) = RealCluster::from_env() else {
            assert!(
                !in_ci(),
                "CI=true but BACKUP_ACTUATOR_TEST_ENGINE is not set (scripts/real-cluster env)"
            );
            eprintln!("skipped: BACKUP_ACTUATOR_TEST_ENGINE not set; cannot start 3 nodes");
            return;
        };
        let cluster = script.start_cluster(3, cluster_port(&engine));
        let engine = cluster.engine.clone();
        let _indices = Indices::make_with_shards(&engine, 3);
        let mut repo = LiveRepo::plan(engine.clone(), product, "node");
        repo.register(&[("max_snapshot_bytes_per_sec", THROTTLE)]);
        let server = repo.serve();
        let id = 1806;
        assert_eq!(post(&server, id).0, 202);
        wait_running(&repo, &server, id);

        // A node with a filler shard that is neither the elected master
        // nor node 1 (the URL the server talks to).
        // OpenSearch calls it the cluster manager (3.x may drop `_cat/master`).
        let master = [
            "_cat/cluster_manager?format=json",
            "_cat/master?format=json",
        ]
        .iter()
        .filter_map(|path| engine.call("GET", path, None).ok())
        .find(|answer| answer.status == 200)
        .expect("the engine names its master")
        .json()[0]["node"]
            .as_str()
            .expect("a master")
            .to_owned();
        let shards = engine
            .must(
                "GET",
                &format!("_cat/shards/{FILLER}?format=json"),
                None,
                &[200],
            )
            .json();
        let victim = shards
            .as_array()
            .expect("a shard list")
            .iter()
            .filter_map(|s| s["node"].as_str())
            .filter(|node| *node != master)
            .filter_map(|node| node.strip_prefix("real-cluster-")?.parse::<u32>().ok())
            .find(|n| *n != 1)
            .unwrap_or_else(|| panic!("no filler shard off the master and node 1: {shards}"));
        cluster.kill_node(victim);

        let backup = settle(&repo, &server, id, "node_lost");
        let backup = backup.expect("the parts stay");
        let part_2 = state_in_repository(&repo, id, &repo.part(id, 2));
        assert!(
            matches!(part_2.as_deref(), Some("PARTIAL" | "FAILED")),
            "the engine lists part 2 as {part_2:?}"
        );
        assert_eq!(backup["state"], "FAILED", "{backup}");
        assert_eq!(
            backup["failureReason"],
            format!("The following snapshots failed: [{}]", repo.part(id, 2)),
            "{backup}"
        );
        let part = &backup["details"][1];
        assert!(
            matches!(part["state"].as_str(), Some("PARTIAL" | "FAILED")),
            "{backup}"
        );
        let failures = part["failures"].as_array().expect("failures");
        assert!(!failures.is_empty(), "{backup}");
        for failure in failures {
            let failure = failure.as_str().expect("a rendered failure");
            // `[{index}][{shard}] {reason} (node: {node}, status: {status})`
            assert!(failure.starts_with(&format!("[{FILLER}][")), "{failure}");
            assert!(
                failure.contains("] ") && failure.ends_with(')'),
                "{failure}"
            );
            assert!(failure.contains(" (node: "), "{failure}");
        }
        assert_one_story(&repo, &server, id, &Some(backup.clone()));
        let counted = failed_total(&server);
        assert!(
            counted.get("partial").copied().unwrap_or(0.0)
                + counted.get("failed").copied().unwrap_or(0.0)
                >= 1.0,
            "{counted:?}"
        );

        cluster.start_node(victim);
        assert_delete_and_retry(&mut repo, &server, id);
    });
}
