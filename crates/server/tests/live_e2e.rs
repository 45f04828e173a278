//! The built `backup-actuator` binary on a real engine (OpenSearch 2.19 /
//! 3.x, Elasticsearch 7.10.2 in CI): every route of SPEC §1 against real
//! snapshots in an `fs` repository, the races of §6, the foreign snapshot
//! that DELETE must spare, 300 backups in one list, an unreadable snapshot
//! blob, and deleting a running backup.
//!
//! Each test runs for every engine `live::cluster` offers, with its own
//! repository and snapshot prefix, so the tests can share one engine in
//! parallel. The server runs Optimize's plan, so the Optimize import indices
//! (and one more `optimize-*` index) are made once per engine, with a little
//! data so that a repository throttled to a few KB/s keeps a backup
//! IN_PROGRESS long enough to be seen.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backup_actuator_testkit::live::{self, LiveCluster, LiveProduct};
use common::Server;
use serde_json::{json, Value};

const VERSION: &str = "8.6.0";

/// The snapshot rate of the throttled repositories: with ~300 KB in the
/// Optimize indices, a backup takes seconds there. Not lower: a shard
/// snapshot checks for an abort between reads of one 8 KB-ish chunk, so
/// a DELETE waits up to a chunk's time.
const THROTTLE: &str = "64kb";

/// One test's engine, repository and prefix.
struct Live {
    engine: LiveCluster,
    product: LiveProduct,
    repo: String,
    /// The repository's directory on this machine.
    location: String,
    prefix: String,
}

impl Live {
    /// A fresh repository (`settings` added to `location`) and prefix on
    /// `engine`, the Optimize indices in place.
    fn new(
        engine: LiveCluster,
        product: LiveProduct,
        test: &str,
        settings: &[(&str, &str)],
    ) -> Live {
        optimize_indices(&engine);
        let tag = unique();
        let repo = format!("live_e2e_{test}_{tag}");
        let location = engine.register_fs_repository(&repo, settings);
        Live {
            engine,
            product,
            repo,
            location,
            prefix: format!("e2e_{test}_{tag}"),
        }
    }

    fn backend(&self) -> &'static str {
        self.product.name()
    }

    /// The server on this repository and prefix.
    fn serve(&self) -> Server {
        self.serve_on(&self.repo)
    }

    fn serve_on(&self, repo: &str) -> Server {
        Server::start(&[
            "--backend",
            self.backend(),
            "--url",
            &self.engine.url,
            "--repository",
            repo,
            "--prefix",
            &self.prefix,
            "--app-version",
            VERSION,
            "--request-timeout",
            "60s",
        ])
    }

    /// The snapshot names with this prefix once every POST's claim is gone.
    ///
    /// A POST waits at most 1 s for its claim's release (SPEC §6); a real
    /// engine may queue that delete behind the running parts, so the claim
    /// can still stand a while after the 202. It must go within a minute.
    fn settled_snapshot_names(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let names = self.snapshot_names();
            if !names.iter().any(|n| n.ends_with("_claim")) {
                return names;
            }
            assert!(
                Instant::now() < deadline,
                "a claim still stands a minute after its POST: {names:?}"
            );
            thread::sleep(Duration::from_millis(250));
        }
    }

    /// The snapshot names in the repository that start with this prefix, sorted.
    fn snapshot_names(&self) -> Vec<String> {
        let answer = self.engine.must(
            "GET",
            &format!("_snapshot/{}/_all?verbose=false", self.repo),
            None,
            &[200],
        );
        let mut names: Vec<String> = answer.json()["snapshots"]
            .as_array()
            .expect("a snapshot list")
            .iter()
            .filter_map(|s| s["snapshot"].as_str())
            .filter(|n| n.starts_with(&format!("{}_", self.prefix)))
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    }

    fn part(&self, id: u64, n: u32) -> String {
        format!("{}_{id}_{VERSION}_part_{n}_of_2", self.prefix)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        // Snapshots are left to the directory; unregistering is enough to
        // keep the engine's repository list short.
        let _ = self
            .engine
            .call("DELETE", &format!("_snapshot/{}", self.repo), None);
    }
}

fn unique() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000
}

/// Runs `test` on every engine that is there (and fails under CI when a
/// required one is missing).
///
/// The tests of this file take turns: an engine on two cores has one
/// snapshot thread, so a throttled test running beside the others would
/// stall their snapshots and deletes for its whole run.
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

/// Optimize's import indices behind their aliases, and one more
/// `optimize-*` index, each with 200 documents of ~500 bytes that do not
/// compress well (~100 KB per index): once per engine and test process. An
/// index that exists already is kept.
fn optimize_indices(engine: &LiveCluster) {
    static DONE: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let done = DONE.get_or_init(Default::default);
    let mut done = done.lock().unwrap();
    if done.contains(&engine.url) {
        return;
    }
    for (index, alias) in [
        (
            "optimize-timestamp-based-import-index_v4",
            "optimize-timestamp-based-import-index",
        ),
        (
            "optimize-position-based-import-index_v3",
            "optimize-position-based-import-index",
        ),
        ("optimize-e2e-filler_v1", "optimize-e2e-filler"),
    ] {
        let body = json!({
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "aliases": {alias: {}},
        });
        // Made here or by another suite: the documents are (re)written
        // either way, so the throttled tests always have their ~300 KB.
        engine.must("PUT", index, Some(&body.to_string()), &[200, 400]);
        {
            let mut bulk = String::new();
            let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
            for i in 0..200 {
                let noise: String = (0..32)
                    .map(|_| {
                        // xorshift: cheap bytes that LZ4 cannot shrink much.
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        format!("{seed:016x}")
                    })
                    .collect();
                bulk.push_str(&format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n"));
                bulk.push_str(&format!("{{\"n\":{i},\"noise\":\"{noise}\"}}\n"));
            }
            engine.must(
                "POST",
                &format!("{index}/_bulk?refresh=true"),
                Some(&bulk),
                &[200],
            );
        }
    }
    done.insert(engine.url.clone());
}

/// Polls GET one until `state`; returns that answer.
fn wait_for(server: &Server, id: u64, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, body) = server.request("GET", &format!("/actuator/backups/{id}"), "");
        assert_eq!(status, 200, "{body}");
        let backup: Value = serde_json::from_str(&body).unwrap();
        if backup["state"] == state {
            return backup;
        }
        assert!(
            Instant::now() < deadline,
            "backup {id} never reached {state}: {backup}"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

/// POST on a connection of its own, from any thread (a [`Server`] is not `Sync`).
fn post_to(addr: &str, id: u64) -> (u16, String) {
    use std::io::Write as _;
    let body = format!(r#"{{"backupId":{id}}}"#);
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "POST /actuator/backups HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let answer = common::parse_answer(&common::read_until_closed(&mut stream));
    (answer.status, answer.body)
}

fn post(server: &Server, id: u64) -> (u16, String) {
    server.request(
        "POST",
        "/actuator/backups",
        &format!(r#"{{"backupId":{id}}}"#),
    )
}

/// SPEC §1, §4: POST is 202, the backup is found at once and IN_PROGRESS
/// (the repository is throttled, so the parts take seconds), then COMPLETE;
/// GET one, the list and the `/backup` alias agree; a second POST is 409;
/// an unknown id is 404.
#[test]
fn live_post_reads_in_progress_then_complete_through_every_read_route() {
    on_every_engine(|engine, product| {
        let live = Live::new(
            engine,
            product,
            "tour",
            &[("max_snapshot_bytes_per_sec", THROTTLE)],
        );
        let server = live.serve();
        let id = 20_260_220_181_029;
        let (status, body) = post(&server, id);
        assert_eq!(status, 202, "{body}");
        assert_eq!(
            body,
            format!(
                r#"{{"message":"Backup creation for ID {id} has been scheduled. Use the GET API to monitor completion of backup process"}}"#
            )
        );

        let first = server.json(&format!("/actuator/backups/{id}"));
        assert_eq!(first["state"], "IN_PROGRESS", "{first}");
        assert_eq!(first["details"].as_array().unwrap().len(), 2, "{first}");

        let backup = wait_for(&server, id, "COMPLETE");
        assert_eq!(backup["backupId"], id);
        assert_eq!(backup["failureReason"], Value::Null);
        let details = backup["details"].as_array().unwrap();
        let names: Vec<&str> = details
            .iter()
            .map(|d| d["snapshotName"].as_str().unwrap())
            .collect();
        assert_eq!(names, [live.part(id, 1), live.part(id, 2)]);
        for detail in details {
            assert_eq!(detail["state"], "SUCCESS");
            assert_eq!(detail["failures"], json!([]));
            let start = detail["startTime"].as_str().unwrap();
            assert!(start.ends_with("+0000") && start.len() == 28, "{start}");
        }
        // Field order as SPEC §4 shows it, in the body as sent.
        let (_, raw) = server.request("GET", &format!("/actuator/backups/{id}"), "");
        let at = |key: &str| raw.find(&format!("\"{key}\"")).unwrap_or(usize::MAX);
        assert!(
            at("backupId") < at("failureReason")
                && at("failureReason") < at("state")
                && at("state") < at("details")
                && at("details") < usize::MAX,
            "{raw}"
        );

        let list = server.json("/actuator/backups");
        assert_eq!(list, json!([backup]));
        assert_eq!(server.json("/actuator/backup"), list);

        let (status, body) = post(&server, id);
        assert_eq!(status, 409, "{body}");
        assert!(
            body.contains(&format!(
                "A backup with ID [{id}] already exists. Found snapshots: [{}, {}]",
                live.part(id, 1),
                live.part(id, 2)
            )),
            "{body}"
        );

        let (status, body) = server.request("GET", "/actuator/backups/4242", "");
        assert_eq!(status, 404, "{body}");
        assert!(
            body.contains("No backup with ID [4242] could be found."),
            "{body}"
        );
        assert_eq!(
            live.settled_snapshot_names(),
            [live.part(id, 1), live.part(id, 2)]
        );
    });
}

/// SPEC §6: of 20 concurrent POSTs of one id through three server
/// processes, the cluster's name uniqueness lets exactly one through; the
/// repository then holds exactly that backup's two parts.
#[test]
fn live_twenty_concurrent_posts_through_three_instances_give_one_202() {
    on_every_engine(|engine, product| {
        let live = Live::new(engine, product, "race", &[]);
        let servers: Vec<Server> = (0..3).map(|_| live.serve()).collect();
        let id = 77;
        let barrier = Arc::new(Barrier::new(20));
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let addr = servers[i % 3].addr.clone();
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    post_to(&addr, id)
                })
            })
            .collect();
        let answers: Vec<(u16, String)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let accepted = answers.iter().filter(|(s, _)| *s == 202).count();
        let conflicts = answers.iter().filter(|(s, _)| *s == 409).count();
        assert_eq!((accepted, conflicts), (1, 19), "{answers:#?}");
        assert_eq!(
            live.settled_snapshot_names(),
            [live.part(id, 1), live.part(id, 2)]
        );
        wait_for(&servers[0], id, "COMPLETE");
        assert_eq!(
            live.settled_snapshot_names(),
            [live.part(id, 1), live.part(id, 2)]
        );
    });
}

/// SPEC §6: DELETE removes exactly the parts of that backup; another
/// backup and a hand-made `{prefix}_5_before_upgrade` that the lookup
/// wildcard also matches survive. Deleting again is 204.
#[test]
fn live_delete_removes_exactly_that_backup_and_spares_a_hand_made_snapshot() {
    on_every_engine(|engine, product| {
        let live = Live::new(engine, product, "delete", &[]);
        let server = live.serve();
        for id in [5, 6] {
            assert_eq!(post(&server, id).0, 202);
        }
        let hand_made = format!("{}_5_before_upgrade", live.prefix);
        live.engine.must(
            "PUT",
            &format!("_snapshot/{}/{hand_made}?wait_for_completion=true", live.repo),
            Some(r#"{"indices":"optimize-timestamp-based-import-index","include_global_state":false}"#),
            &[200],
        );
        for id in [5, 6] {
            wait_for(&server, id, "COMPLETE");
        }

        let (status, body) = server.request("DELETE", "/actuator/backups/5", "");
        assert_eq!((status, body.as_str()), (204, ""));
        let mut expected = vec![hand_made.clone(), live.part(6, 1), live.part(6, 2)];
        expected.sort();
        assert_eq!(live.settled_snapshot_names(), expected);

        assert_eq!(server.request("GET", "/actuator/backups/5", "").0, 404);
        assert_eq!(wait_for(&server, 6, "COMPLETE")["backupId"], 6);
        let list = server.json("/actuator/backups");
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(server.request("DELETE", "/actuator/backups/5", "").0, 204);
        assert_eq!(live.settled_snapshot_names(), expected);
    });
}

/// SPEC §5: a repository name the cluster does not know is 400 on every
/// backup route; an unknown id in a known repository is 404.
#[test]
fn live_a_missing_repository_is_400_and_an_unknown_id_404() {
    on_every_engine(|engine, product| {
        let live = Live::new(engine, product, "missing", &[]);
        let missing = format!("{}_not_registered", live.repo);
        let server = live.serve_on(&missing);
        let message = format!("No repository with name [{missing}] could be found.");
        for (method, path, body) in [
            ("GET", "/actuator/backups", ""),
            ("GET", "/actuator/backup", ""),
            ("GET", "/actuator/backups/1", ""),
            ("POST", "/actuator/backups", r#"{"backupId":1}"#),
            ("DELETE", "/actuator/backups/1", ""),
        ] {
            let (status, answer) = server.request(method, path, body);
            assert_eq!(status, 400, "{method} {path}: {answer}");
            assert!(answer.contains("badRequestError"), "{answer}");
            assert!(answer.contains(&message), "{method} {path}: {answer}");
        }
        drop(server);

        let server = live.serve();
        let (status, body) = server.request("GET", "/actuator/backups/1", "");
        assert_eq!(status, 404, "{body}");
        assert!(
            body.contains("No backup with ID [1] could be found."),
            "{body}"
        );
        assert_eq!(server.json("/actuator/backups"), json!([]));
        assert_eq!(server.request("DELETE", "/actuator/backups/1", "").0, 204);
    });
}

/// SPEC §4, §6: 300 backups (one-part backups made on the engine directly,
/// which is fast) all come back in one list, sorted by id, each COMPLETE.
/// ES 7.10 and OpenSearch have no snapshot paging, so the list is one
/// answer there; paging itself is covered by the emulator suites.
#[test]
fn live_three_hundred_backups_list_complete_in_id_order() {
    on_every_engine(|engine, product| {
        let live = Live::new(engine, product, "many", &[]);
        // An index pattern that matches nothing: zero-shard snapshots, the
        // cheapest a cluster can make.
        let body = r#"{"indices":"live-e2e-matches-nothing-*","include_global_state":false}"#;
        let started = Instant::now();
        let ids: Vec<u64> = (0..300).collect();
        // Accepted without waiting, from 8 connections: the engine
        // finalises them one after another anyway, this keeps it busy.
        thread::scope(|scope| {
            for chunk in ids.chunks(300 / 8 + 1) {
                let live = &live;
                scope.spawn(move || {
                    for id in chunk {
                        live.engine.must(
                            "PUT",
                            &format!(
                                "_snapshot/{}/{}_{id}_{VERSION}_part_1_of_1?wait_for_completion=false",
                                live.repo, live.prefix
                            ),
                            Some(body),
                            &[200],
                        );
                    }
                });
            }
        });
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let answer = live.engine.must(
                "GET",
                &format!("_snapshot/{}/_all?verbose=false", live.repo),
                None,
                &[200],
            );
            let done = answer.json()["snapshots"]
                .as_array()
                .is_some_and(|l| l.len() == 300 && l.iter().all(|s| s["state"] == "SUCCESS"));
            if done {
                break;
            }
            assert!(Instant::now() < deadline, "300 snapshots did not finish");
            thread::sleep(Duration::from_millis(500));
        }
        println!("300 snapshots made in {:?}", started.elapsed());

        let server = live.serve();
        let started = Instant::now();
        let list = server.json("/actuator/backups");
        println!("listed in {:?}", started.elapsed());
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 300);
        let got: Vec<u64> = list
            .iter()
            .map(|b| b["backupId"].as_u64().unwrap())
            .collect();
        assert_eq!(got, ids);
        for backup in list {
            assert_eq!(backup["state"], "COMPLETE", "{backup}");
            assert_eq!(backup["details"].as_array().unwrap().len(), 1, "{backup}");
        }
        assert_eq!(
            server.json("/actuator/backup").as_array().unwrap().len(),
            300
        );
    });
}

/// SPEC §1: `verbose=false` asks the engine for names and states only and
/// judges every backup as the full list does, with no start time and no
/// failures; `pattern` is filtered by the engine and the id rule still
/// drops a hand-made name it matches; a bad pattern is 400.
#[test]
fn live_verbose_false_and_pattern_read_the_list_on_the_engine() {
    on_every_engine(|engine, product| {
        let live = Live::new(engine, product, "params", &[]);
        let body = r#"{"indices":"live-e2e-matches-nothing-*","include_global_state":false}"#;
        let mut names: Vec<String> = [2, 11, 12]
            .iter()
            .flat_map(|&id| [live.part(id, 1), live.part(id, 2)])
            .collect();
        names.push(live.part(13, 1));
        names.push(format!("{}_1_before_upgrade", live.prefix));
        for name in &names {
            live.engine.must(
                "PUT",
                &format!("_snapshot/{}/{name}?wait_for_completion=true", live.repo),
                Some(body),
                &[200],
            );
        }
        let server = live.serve();
        let ids = |list: &Value| -> Vec<u64> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|b| b["backupId"].as_u64().unwrap())
                .collect()
        };

        let full = server.json("/actuator/backups");
        let brief = server.json("/actuator/backups?verbose=false");
        assert_eq!(ids(&brief), [2, 11, 12, 13], "{brief}");
        // The full list with what verbose=false does not read taken out.
        let mut expected = full.clone();
        for backup in expected.as_array_mut().unwrap() {
            for part in backup["details"].as_array_mut().unwrap() {
                assert!(part["startTime"].is_string(), "{part}");
                part["startTime"] = Value::Null;
                part["failures"] = json!([]);
            }
        }
        assert_eq!(brief, expected);
        assert_eq!(brief[3]["state"], "INCOMPLETE", "{brief}");

        let found = server.json("/actuator/backup?pattern=1*");
        assert_eq!(ids(&found), [11, 12, 13], "{found}");
        assert_eq!(found, json!(full.as_array().unwrap()[1..]));
        let found = server.json("/actuator/backups?pattern=1*&verbose=false");
        assert_eq!(found, json!(brief.as_array().unwrap()[1..]));
        assert_eq!(server.json("/actuator/backups?pattern=3*"), json!([]));

        let (status, body) = server.request("GET", "/actuator/backups?pattern=1,*", "");
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("Invalid backup ID pattern [1,*]"), "{body}");
    });
}

/// SPEC §6: a snapshot whose blob (`snap-<uuid>.dat`) is gone from the
/// repository leaves the list working: its backup reads short of that part
/// (INCOMPLETE), the other backup stays COMPLETE.
#[test]
fn live_an_unreadable_snapshot_blob_leaves_the_list_working() {
    on_every_engine(|engine, product| {
        let live = Live::new(engine, product, "blob", &[]);
        let server = live.serve();
        for id in [1, 2] {
            assert_eq!(post(&server, id).0, 202);
        }
        for id in [1, 2] {
            wait_for(&server, id, "COMPLETE");
        }
        let damaged = live.part(1, 2);
        let info = live.engine.must(
            "GET",
            &format!("_snapshot/{}/{damaged}", live.repo),
            None,
            &[200],
        );
        let uuid = info.json()["snapshots"][0]["uuid"]
            .as_str()
            .expect("a uuid")
            .to_owned();
        let blob = format!("{}/snap-{uuid}.dat", live.location);
        std::fs::remove_file(&blob)
            .unwrap_or_else(|e| panic!("removing {blob} (is the engine on this machine?): {e}"));

        let (status, body) = server.request("GET", "/actuator/backups", "");
        assert_eq!(
            status, 200,
            "the list failed on one unreadable blob: {body}"
        );
        let list: Value = serde_json::from_str(&body).unwrap();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2, "{body}");
        assert_eq!(list[0]["backupId"], 1);
        assert_eq!(list[0]["state"], "INCOMPLETE", "{body}");
        assert_eq!(
            list[0]["details"][0]["snapshotName"],
            live.part(1, 1),
            "{body}"
        );
        assert_eq!(list[0]["details"].as_array().unwrap().len(), 1, "{body}");
        assert_eq!(list[1]["backupId"], 2);
        assert_eq!(list[1]["state"], "COMPLETE", "{body}");

        let (status, body) = server.request("GET", "/actuator/backups/1", "");
        assert_eq!(status, 200, "{body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), list[0]);

        // `verbose=false` reads the repository index, not the blob: the
        // damaged part is listed there with the state it was recorded in.
        let brief = server.json("/actuator/backups?verbose=false");
        assert_eq!(brief[0]["state"], "COMPLETE", "{brief}");
        assert_eq!(brief[0]["details"].as_array().unwrap().len(), 2, "{brief}");
    });
}

/// SPEC §6: deleting a running backup aborts it (cluster behaviour): 204,
/// then nothing of it is left. The repository is throttled so the backup
/// is still IN_PROGRESS when the DELETE arrives.
#[test]
fn live_deleting_a_running_backup_aborts_and_removes_it() {
    on_every_engine(|engine, product| {
        let live = Live::new(
            engine,
            product,
            "running",
            &[("max_snapshot_bytes_per_sec", THROTTLE)],
        );
        let server = live.serve();
        assert_eq!(post(&server, 9).0, 202);
        let backup = server.json("/actuator/backups/9");
        assert_eq!(backup["state"], "IN_PROGRESS", "{backup}");

        let started = Instant::now();
        let (status, body) = server.request("DELETE", "/actuator/backups/9", "");
        assert_eq!((status, body.as_str()), (204, ""));
        println!("delete of a running backup took {:?}", started.elapsed());
        assert_eq!(live.settled_snapshot_names(), Vec::<String>::new());
        assert_eq!(server.request("GET", "/actuator/backups/9", "").0, 404);
        // The id is free again.
        assert_eq!(post(&server, 9).0, 202);
        let (status, _) = server.request("DELETE", "/actuator/backups/9", "");
        assert_eq!(status, 204);
    });
}
