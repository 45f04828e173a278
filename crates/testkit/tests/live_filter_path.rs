//! `filter_path` and `ignore_unavailable` (SPEC §6): the emulator answers
//! as the real engine does. The same snapshots go into a real engine and
//! into the emulator of its version; every case is asked of both, and the
//! status, the set of field paths kept and the stable values (names,
//! states, metadata, error types) must be equal.
//!
//! Needs `BACKUP_ACTUATOR_TEST_OS_URL` / `BACKUP_ACTUATOR_TEST_ES_URL`
//! (see `scripts/real-cluster`); skips with a printed reason otherwise.

use std::collections::BTreeSet;

use backup_actuator_testkit::live::{self, LiveCluster, LiveProduct};
use backup_actuator_testkit::{EmulatedCluster, EmulatedSnapshotState, Flavor, SeededSnapshot};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The store's own filter (crates/search `SNAPSHOT_FILTER_PATH`).
const STORE_FILTER: &str = "snapshots.snapshot,snapshots.state,snapshots.start_time_in_millis,\
snapshots.failures.index,snapshots.failures.shard_id,snapshots.failures.reason,\
snapshots.failures.node_id,snapshots.failures.status,snapshots.metadata.backupId,\
snapshots.metadata.version,snapshots.metadata.partNo,snapshots.metadata.partCount,\
snapshots.metadata.trigger,error,status,next,total,remaining";

/// `(what it proves, path under the repository, query)`. `{repo}` is the
/// test's repository, `{missing}` one that does not exist.
fn cases() -> Vec<(&'static str, String, String)> {
    let store = format!("filter_path={STORE_FILTER}&ignore_unavailable=true");
    vec![
        (
            "list with the store's filter",
            "{repo}/camunda_optimize_*".into(),
            store.clone(),
        ),
        (
            "GET one with the store's filter",
            "{repo}/camunda_optimize_1_*".into(),
            store.clone(),
        ),
        (
            "nothing matched, ignore_unavailable: {}",
            "{repo}/camunda_optimize_9_*".into(),
            store.clone(),
        ),
        (
            "nothing matched without ignore_unavailable: the error, whole",
            "{repo}/camunda_optimize_9_*".into(),
            format!("filter_path={STORE_FILTER}"),
        ),
        (
            "missing repository: the error, whole",
            "{missing}/camunda_optimize_*".into(),
            store.clone(),
        ),
        (
            "error answers are never filtered",
            "{missing}/camunda_optimize_*".into(),
            "filter_path=snapshots.snapshot".into(),
        ),
        (
            "an exact missing name with ignore_unavailable",
            "{repo}/camunda_optimize_9_8.6.0_part_1_of_2".into(),
            store,
        ),
        (
            "a path through an empty array drops it",
            "{repo}/camunda_optimize_*".into(),
            "filter_path=snapshots.failures.index".into(),
        ),
        (
            "a path ending at an empty array keeps it",
            "{repo}/camunda_optimize_*".into(),
            "filter_path=snapshots.snapshot,snapshots.failures".into(),
        ),
        (
            "exclusion inside an inclusion",
            "{repo}/camunda_optimize_*".into(),
            "filter_path=snapshots.metadata,-snapshots.metadata.partNo".into(),
        ),
        (
            "exclusion wins over inclusion",
            "{repo}/camunda_optimize_*".into(),
            "filter_path=snapshots.snapshot,-snapshots.snapshot".into(),
        ),
        (
            "** spans levels",
            "{repo}/camunda_optimize_*".into(),
            "filter_path=**.state".into(),
        ),
        (
            "* within names",
            "{repo}/camunda_optimize_*".into(),
            "filter_path=snapshots.sh*.tot*".into(),
        ),
        (
            "* as a whole level",
            "{repo}/camunda_optimize_*".into(),
            "filter_path=*.snapshot".into(),
        ),
        (
            "empty items in the comma list",
            "{repo}/camunda_optimize_*".into(),
            "filter_path=snapshots.snapshot,,snapshots.state".into(),
        ),
        (
            "a path matching nothing",
            "{repo}/camunda_optimize_*".into(),
            "filter_path=nothing".into(),
        ),
        (
            "ignore_unavailable must be a boolean",
            "{repo}/camunda_optimize_*".into(),
            "ignore_unavailable=maybe".into(),
        ),
    ]
}

struct Answer {
    status: u16,
    body: Value,
}

/// One `GET` over a fresh connection (`Connection: close`, Content-Length or
/// chunked answers both read to the end by the server closing).
async fn request(base: &str, method: &str, target: &str, body: Option<&str>) -> Answer {
    let authority = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = TcpStream::connect(&authority)
        .await
        .unwrap_or_else(|e| panic!("{base}: {e}"));
    let body = body.unwrap_or("");
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut payload = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        payload = dechunk(&payload);
    }
    let body = if payload.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&payload).unwrap_or_else(|e| {
            panic!(
                "{target}: not JSON ({e}): {}",
                String::from_utf8_lossy(&payload)
            )
        })
    };
    Answer { status, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..line_end])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
}

/// Every field path of a JSON value, arrays collapsed to `[]`.
fn paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            out.insert(format!("{prefix}{{}}"));
            for (k, v) in fields {
                paths(v, &format!("{prefix}{k}."), out);
            }
        }
        Value::Array(items) => {
            out.insert(format!("{prefix}[]"));
            for v in items {
                paths(v, &format!("{prefix}[]."), out);
            }
        }
        _ => {
            out.insert(prefix.trim_end_matches('.').to_owned());
        }
    }
}

/// The values that do not depend on when or where a snapshot was taken.
fn stable(value: &Value) -> Value {
    let snapshots: Vec<Value> = value["snapshots"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|s| json!([s["snapshot"], s["state"], s["metadata"]]))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "snapshots": snapshots,
        "error": value["error"]["type"],
        "root_cause": value["error"]["root_cause"][0]["type"],
        "status": value["status"],
    })
}

fn flavor_of(product: LiveProduct, number: &str) -> Flavor {
    match (product, number.split('.').next()) {
        (LiveProduct::OpenSearch, Some("1")) => Flavor::OpenSearch1,
        (LiveProduct::OpenSearch, Some("2")) => Flavor::OpenSearch2,
        (LiveProduct::OpenSearch, _) => Flavor::OpenSearch3,
        (LiveProduct::Elasticsearch, Some("7")) if number.starts_with("7.10") => {
            Flavor::Elasticsearch7_10
        }
        (LiveProduct::Elasticsearch, Some("7")) => Flavor::Elasticsearch7_17,
        (LiveProduct::Elasticsearch, Some("8")) => Flavor::Elasticsearch8_15,
        (LiveProduct::Elasticsearch, _) => Flavor::Elasticsearch9,
    }
}

async fn compare(product: LiveProduct, engine: LiveCluster) {
    let root = request(&engine.url, "GET", "/", None).await;
    let number = root.body["version"]["number"].as_str().unwrap().to_owned();
    let flavor = flavor_of(product, &number);
    let repo = format!("live_filter_path_{}", std::process::id());
    let index = format!("live-filter-path-{}", std::process::id());
    let put_repo =
        json!({"type": "fs", "settings": {"location": format!("{}/{repo}", engine.repo_location)}});
    let made = request(
        &engine.url,
        "PUT",
        &format!("/_snapshot/{repo}"),
        Some(&put_repo.to_string()),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    request(&engine.url, "PUT", &format!("/{index}"), None).await;

    let emulator = EmulatedCluster::start(flavor).await.unwrap();
    emulator.add_repository(&repo);
    for (id, part) in [(1, 1), (1, 2), (2, 1)] {
        let name = format!("camunda_optimize_{id}_8.6.0_part_{part}_of_2");
        let metadata = json!({"backupId": id, "version": "8.6.0", "partNo": part, "partCount": 2});
        let body = json!({"indices": index, "include_global_state": false, "metadata": metadata});
        let created = request(
            &engine.url,
            "PUT",
            &format!("/_snapshot/{repo}/{name}?wait_for_completion=true"),
            Some(&body.to_string()),
        )
        .await;
        assert_eq!(created.status, 200, "{}", created.body);
        emulator.insert_snapshot(
            &repo,
            SeededSnapshot::new(name, EmulatedSnapshotState::Success, 1)
                .with_indices([index.clone()])
                .with_metadata(metadata),
        );
    }

    let mut differences = Vec::new();
    for (what, path, query) in cases() {
        let path = path
            .replace("{repo}", &repo)
            .replace("{missing}", &format!("{repo}_missing"));
        let query = query.replace(' ', "%20");
        let target = format!("/_snapshot/{path}?{query}");
        let real = request(&engine.url, "GET", &target, None).await;
        let emulated = request(&emulator.url(), "GET", &target, None).await;
        let (mut real_paths, mut emulated_paths) = (BTreeSet::new(), BTreeSet::new());
        paths(&real.body, "", &mut real_paths);
        paths(&emulated.body, "", &mut emulated_paths);
        if real.status != emulated.status
            || real_paths != emulated_paths
            || stable(&real.body) != stable(&emulated.body)
        {
            differences.push(format!(
                "{what}: GET {target}\n  {product:?} {number}: {} {}\n  emulator {flavor}: {} {}",
                real.status, real.body, emulated.status, emulated.body
            ));
        }
    }

    request(
        &engine.url,
        "DELETE",
        &format!("/_snapshot/{repo}/camunda_optimize_*"),
        None,
    )
    .await;
    request(&engine.url, "DELETE", &format!("/_snapshot/{repo}"), None).await;
    request(&engine.url, "DELETE", &format!("/{index}"), None).await;
    emulator.shutdown().await;
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[tokio::test]
async fn filter_path_and_ignore_unavailable_answer_as_opensearch_does() {
    if let Some(engine) = live::cluster(LiveProduct::OpenSearch) {
        compare(LiveProduct::OpenSearch, engine).await;
    }
}

#[tokio::test]
async fn filter_path_and_ignore_unavailable_answer_as_elasticsearch_does() {
    if let Some(engine) = live::cluster(LiveProduct::Elasticsearch) {
        compare(LiveProduct::Elasticsearch, engine).await;
    }
}
