//! A backup made by the `backup-actuator` binary restores on a real engine
//! (OpenSearch 2.19 / 3.x, Elasticsearch 7.10.2 in CI), with Optimize's
//! index layout: concrete `…_vN` indices behind aliases without the suffix.
//!
//! This settles what the part expressions of Optimize's plan
//! (crates/core/src/plan.rs) select on a real cluster: part 1 must hold
//! exactly the two import indices, part 2 every other `optimize-*` index,
//! none in both, so that restoring both parts brings every index back once.
//!
//! The test owns every `optimize-*` index of the engine while it runs (it
//! deletes them first and last); the other live suites make their own again.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backup_actuator_testkit::live::{self, LiveCluster, LiveProduct};
use common::Server;
use serde_json::{json, Value};

const VERSION: &str = "8.6.0";

/// Optimize's layout: (concrete index, its aliases, documents).
const INDICES: &[(&str, &[&str], usize)] = &[
    (
        "optimize-timestamp-based-import-index_v4",
        &["optimize-timestamp-based-import-index"],
        3,
    ),
    (
        "optimize-position-based-import-index_v3",
        &["optimize-position-based-import-index"],
        4,
    ),
    ("optimize-metadata_v3", &["optimize-metadata"], 1),
    (
        "optimize-process-definition_v6",
        &["optimize-process-definition"],
        5,
    ),
    (
        "optimize-single-process-report_v11",
        &["optimize-single-process-report"],
        6,
    ),
    (
        "optimize-terminated-user-session_v3",
        &["optimize-terminated-user-session"],
        2,
    ),
    (
        "optimize-process-instance-invoice_v8",
        &[
            "optimize-process-instance-invoice",
            "optimize-process-instance",
        ],
        7,
    ),
    (
        "optimize-process-instance-order-process_v8",
        &[
            "optimize-process-instance-order-process",
            "optimize-process-instance",
        ],
        8,
    ),
    (
        "optimize-process-instance-loan-request_v8",
        &[
            "optimize-process-instance-loan-request",
            "optimize-process-instance",
        ],
        9,
    ),
];

/// Part 1 of Optimize's plan: the import indices, by concrete name.
const PART_1: &[&str] = &[
    "optimize-timestamp-based-import-index_v4",
    "optimize-position-based-import-index_v3",
];

fn unique() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000
}

fn make_indices(engine: &LiveCluster) {
    engine.must("DELETE", "optimize-*", None, &[200, 404]);
    for (index, aliases, documents) in INDICES {
        let aliases: serde_json::Map<String, Value> = aliases
            .iter()
            .map(|a| ((*a).to_owned(), json!({})))
            .collect();
        let body = json!({
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "aliases": aliases,
        });
        engine.must("PUT", index, Some(&body.to_string()), &[200]);
        let mut bulk = String::new();
        for i in 0..*documents {
            bulk.push_str(&format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n"));
            bulk.push_str(&format!("{{\"n\":{i},\"index\":\"{index}\"}}\n"));
        }
        let answer = engine.must(
            "POST",
            &format!("{index}/_bulk?refresh=true"),
            Some(&bulk),
            &[200],
        );
        assert_eq!(answer.json()["errors"], false, "{}", answer.body);
    }
}

/// Documents per concrete `optimize-*` index.
fn counts(engine: &LiveCluster) -> BTreeMap<String, u64> {
    INDICES
        .iter()
        .map(|(index, _, _)| {
            let answer = engine.must("GET", &format!("{index}/_count"), None, &[200]);
            let count = answer.json()["count"].as_u64().expect("a count");
            ((*index).to_owned(), count)
        })
        .collect()
}

/// Alias → concrete indices, for every `optimize-*` index.
fn aliases(engine: &LiveCluster) -> BTreeMap<String, BTreeSet<String>> {
    let answer = engine.must("GET", "optimize-*/_alias", None, &[200]);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (index, entry) in answer.json().as_object().expect("an alias map") {
        for alias in entry["aliases"].as_object().into_iter().flatten() {
            out.entry(alias.0.clone())
                .or_default()
                .insert(index.clone());
        }
    }
    out
}

fn snapshot_indices(engine: &LiveCluster, repo: &str, name: &str) -> BTreeSet<String> {
    let answer = engine.must("GET", &format!("_snapshot/{repo}/{name}"), None, &[200]);
    let snapshot = &answer.json()["snapshots"][0];
    assert_eq!(snapshot["state"], "SUCCESS", "{}", answer.body);
    snapshot["indices"]
        .as_array()
        .expect("indices")
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect()
}

fn wait_for_complete(server: &Server, id: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, body) = server.request("GET", &format!("/actuator/backups/{id}"), "");
        assert_eq!(status, 200, "{body}");
        let backup: Value = serde_json::from_str(&body).unwrap();
        if backup["state"] == "COMPLETE" {
            return backup;
        }
        assert_eq!(backup["state"], "IN_PROGRESS", "{backup}");
        assert!(Instant::now() < deadline, "never COMPLETE: {backup}");
        thread::sleep(Duration::from_millis(200));
    }
}

fn round_trip(engine: LiveCluster, product: LiveProduct) {
    let started = Instant::now();
    make_indices(&engine);
    let before_counts = counts(&engine);
    let before_aliases = aliases(&engine);
    assert_eq!(
        before_counts.values().sum::<u64>(),
        INDICES.iter().map(|(_, _, n)| *n as u64).sum::<u64>()
    );

    let tag = unique();
    let repo = format!("live_restore_{tag}");
    let prefix = format!("restore_{tag}");
    engine.register_fs_repository(&repo, &[]);
    let server = Server::start(&[
        "--backend",
        product.name(),
        "--url",
        &engine.url,
        "--repository",
        &repo,
        "--prefix",
        &prefix,
        "--app-version",
        VERSION,
    ]);
    let id = 31;
    let (status, body) = server.request("POST", "/actuator/backups", r#"{"backupId":31}"#);
    assert_eq!(status, 202, "{body}");
    let backup = wait_for_complete(&server, id);
    let part = |n: u32| format!("{prefix}_{id}_{VERSION}_part_{n}_of_2");
    assert_eq!(backup["details"][0]["snapshotName"], part(1));
    assert_eq!(backup["details"][1]["snapshotName"], part(2));

    // What the real snapshots hold.
    let part_1 = snapshot_indices(&engine, &repo, &part(1));
    let part_2 = snapshot_indices(&engine, &repo, &part(2));
    let expected_1: BTreeSet<String> = PART_1.iter().map(|i| (*i).to_owned()).collect();
    let expected_2: BTreeSet<String> = INDICES
        .iter()
        .map(|(i, _, _)| (*i).to_owned())
        .filter(|i| !expected_1.contains(i))
        .collect();
    assert_eq!(
        part_1, expected_1,
        "part 1 holds exactly the import indices"
    );
    assert_eq!(
        part_2, expected_2,
        "part 2 holds every other optimize-* index"
    );
    assert!(part_1.is_disjoint(&part_2));

    // Lose everything, restore both parts in order, compare.
    engine.must("DELETE", "optimize-*", None, &[200]);
    assert!(aliases(&engine).is_empty());
    for n in [1, 2] {
        let answer = engine.must(
            "POST",
            &format!(
                "_snapshot/{repo}/{}/_restore?wait_for_completion=true",
                part(n)
            ),
            Some(r#"{"include_global_state":false}"#),
            &[200],
        );
        let restored = &answer.json()["snapshot"];
        assert_eq!(restored["shards"]["failed"], 0, "{}", answer.body);
    }
    engine.must("POST", "optimize-*/_refresh", None, &[200]);
    assert_eq!(counts(&engine), before_counts);
    assert_eq!(aliases(&engine), before_aliases);

    drop(server);
    engine.must("DELETE", "optimize-*", None, &[200]);
    let _ = engine.call("DELETE", &format!("_snapshot/{repo}"), None);
    println!(
        "{}: restore round trip in {:?}",
        product.name(),
        started.elapsed()
    );
}

/// SPEC §3 (Optimize's plan) and §12 (restore): each part holds exactly its
/// index group on a real engine, and restoring both parts brings back every
/// index, alias and document.
#[test]
fn live_optimize_backup_restores_every_index_once() {
    for product in [LiveProduct::OpenSearch, LiveProduct::Elasticsearch] {
        if let Some(engine) = live::cluster(product) {
            round_trip(engine, product);
        }
    }
}
