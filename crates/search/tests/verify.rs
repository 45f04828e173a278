//! The restore drill's rules (SPEC §13) against a scripted cluster: the
//! emulator has no `_cat/shards`, `_count` or `_recovery`, so this file
//! answers the few requests a drill makes itself and records them. That the
//! engines behave as scripted here is proved by the server's live_verify
//! suite on OpenSearch 2.19, 3.x and Elasticsearch 7.10.2.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backup_actuator_core::{BackupId, Product};
use backup_actuator_search::{
    ClusterStore, RestorePart, RestorePlan, VerifyError, VerifyEvent, VerifyOptions,
};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the scripted cluster does.
#[derive(Default)]
struct Script {
    /// Indices that exist.
    indices: BTreeSet<String>,
    /// Scratch indices whose shard 0 fails to restore, with the details.
    broken: HashMap<String, String>,
    /// Scratch indices whose shards never start.
    stuck: BTreeSet<String>,
    /// Scratch indices whose `_count` fails.
    uncountable: BTreeSet<String>,
    /// Free bytes on the one data node.
    free: u64,
    /// Size of every snapshot.
    snapshot_size: u64,
    /// The answer to every `_restore`, if not accepted.
    restore_refusal: Option<(u16, Value)>,
    /// Every request: `METHOD path`, and the `_restore` bodies.
    seen: Vec<String>,
    restores: Vec<Value>,
}

type Shared = Arc<Mutex<Script>>;

fn answer(script: &mut Script, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let (path, _query) = path.split_once('?').unwrap_or((path, ""));
    script.seen.push(format!("{method} {path}"));
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", [""]) => (
            200,
            json!({"version": {"number": "2.19.0", "distribution": "opensearch"}}),
        ),
        ("HEAD", [index]) => (
            if script.indices.contains(*index) {
                200
            } else {
                404
            },
            Value::Null,
        ),
        ("DELETE", [index]) => {
            if script.indices.remove(*index) {
                (200, json!({"acknowledged": true}))
            } else {
                (
                    404,
                    json!({"error": {"type": "index_not_found_exception", "reason": format!("no such index [{index}]")}, "status": 404}),
                )
            }
        }
        ("GET", ["_snapshot", _, names, "_status"]) => {
            let snapshots: Vec<Value> = names
                .split(',')
                .map(|name| json!({"snapshot": name, "stats": {"total": {"size_in_bytes": script.snapshot_size}}}))
                .collect();
            (200, json!({"snapshots": snapshots}))
        }
        ("GET", ["_nodes", "stats", "fs"]) => (
            200,
            json!({"nodes": {"n1": {"roles": ["data", "ingest"], "fs": {"total": {"available_in_bytes": script.free}}},
                             "m1": {"roles": ["cluster_manager"], "fs": {"total": {"available_in_bytes": 1u64 << 40}}}}}),
        ),
        ("POST", ["_snapshot", _, _, "_restore"]) => {
            let request: Value = serde_json::from_slice(body).unwrap();
            script.restores.push(request.clone());
            if let Some(refusal) = &script.restore_refusal {
                return refusal.clone();
            }
            let replacement = request["rename_replacement"].as_str().unwrap();
            for index in request["indices"].as_str().unwrap().split(',') {
                script.indices.insert(replacement.replace("$1", index));
            }
            (200, json!({"accepted": true}))
        }
        ("GET", ["_cat", "shards", list]) => {
            let rows: Vec<Value> = list
                .split(',')
                .filter(|index| script.indices.contains(*index))
                .map(|index| match script.broken.get(index) {
                    Some(details) => json!({"index": index, "shard": "0", "prirep": "p", "state": "UNASSIGNED",
                        "unassigned.reason": "ALLOCATION_FAILED", "unassigned.details": details}),
                    None if script.stuck.contains(index) => json!({"index": index, "shard": "0", "prirep": "p",
                        "state": "UNASSIGNED", "unassigned.reason": "NEW_INDEX_RESTORED", "unassigned.details": null}),
                    None => json!({"index": index, "shard": "0", "prirep": "p", "state": "STARTED",
                        "unassigned.reason": null, "unassigned.details": null}),
                })
                .collect();
            (200, Value::Array(rows))
        }
        ("GET", [list, "_recovery"]) => {
            let mut all = serde_json::Map::new();
            for index in list.split(',') {
                all.insert(
                    index.to_owned(),
                    json!({"shards": [{"primary": true, "index": {"size": {"total_in_bytes": 1000}}}]}),
                );
            }
            (200, Value::Object(all))
        }
        ("GET", [index, "_count"]) if script.uncountable.contains(*index) => (
            400,
            json!({"error": {"type": "search_phase_execution_exception", "reason": "all shards failed"}, "status": 400}),
        ),
        ("GET", [index, "_count"]) => (
            200,
            json!({"count": index.len(), "_shards": {"total": 1, "successful": 1, "failed": 0}}),
        ),
        ("GET", [_, "_search"]) => (
            200,
            json!({"hits": {"hits": []}, "_shards": {"total": 1, "successful": 1, "failed": 0}}),
        ),
        _ => (
            400,
            json!({"error": {"type": "illegal_argument_exception", "reason": format!("unscripted {method} {path}")}, "status": 400}),
        ),
    }
}

/// Serves `script` on a local port, one request per connection.
async fn serve(script: Shared) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let script = Arc::clone(&script);
            tokio::spawn(async move {
                let mut raw = Vec::new();
                let mut buf = [0u8; 4096];
                let (head_end, length) = loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    raw.extend_from_slice(&buf[..n]);
                    if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        break (end + 4, length);
                    }
                };
                while raw.len() < head_end + length {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    raw.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
                let mut words = head.split_whitespace();
                let (method, path) = (words.next().unwrap(), words.next().unwrap());
                let (status, body) = answer(
                    &mut script.lock().unwrap(),
                    method,
                    path,
                    &raw[head_end..head_end + length],
                );
                let body = if method == "HEAD" {
                    String::new()
                } else {
                    body.to_string()
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                    body.len(),
                    if method == "HEAD" { "" } else { body.as_str() }
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}

fn id() -> BackupId {
    BackupId::new(7).unwrap()
}

/// Backup 7: part 1 holds `a`, part 2 holds `b` and `c`.
fn backup() -> RestorePlan {
    let part = |n: u32, indices: &[&str]| RestorePart {
        snapshot: format!("camunda_optimize_7_8.6.0_part_{n}_of_2"),
        part_no: n,
        indices: indices.iter().map(|i| (*i).to_owned()).collect(),
        existing: Vec::new(),
    };
    RestorePlan::new(id(), "backups", vec![part(1, &["a"]), part(2, &["b", "c"])])
}

async fn cluster(script: Script) -> (Shared, ClusterStore) {
    let shared = Arc::new(Mutex::new(Script {
        free: 1 << 30,
        snapshot_size: 4096,
        ..script
    }));
    let url = serve(Arc::clone(&shared)).await;
    let store = ClusterStore::builder(Product::OpenSearch, url)
        .build()
        .unwrap();
    (shared, store)
}

fn fast() -> VerifyOptions {
    VerifyOptions::new().poll_interval(Duration::from_millis(5))
}

/// The requests that change something, in order.
fn changes(script: &Shared) -> Vec<String> {
    script
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|r| r.starts_with("POST") || r.starts_with("DELETE"))
        .cloned()
        .collect()
}

/// A drill with the default options against `script` that must fail: the
/// script (to read what the drill changed) and the error.
async fn failed_drill(script: Script) -> (Shared, VerifyError) {
    let (script, store) = cluster(script).await;
    let err = store
        .verify_backup(&backup(), &fast(), &mut |_| {}, never())
        .await
        .unwrap_err();
    (script, err)
}

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

#[tokio::test]
async fn each_part_is_restored_under_scratch_names_checked_and_deleted_before_the_next() {
    let (script, store) = cluster(Script::default()).await;
    let mut events = Vec::new();
    let report = store
        .verify_backup(
            &backup(),
            &fast(),
            &mut |event| {
                events.push(match event {
                    VerifyEvent::RoomChecked { needed, free } => format!("room {needed} {free}"),
                    VerifyEvent::PartStarted { part } => format!("part {}", part.part_no),
                    VerifyEvent::IndexVerified { index } => {
                        format!("verified {}", index.source_index)
                    }
                    VerifyEvent::ScratchDeleted { indices } => {
                        format!("deleted {}", indices.join(","))
                    }
                })
            },
            never(),
        )
        .await
        .unwrap();
    assert_eq!(
        events,
        [
            format!("room 4096 {}", 1u64 << 30),
            "part 1".into(),
            "verified a".into(),
            "deleted verify-7-a".into(),
            "part 2".into(),
            "verified b".into(),
            "verified c".into(),
            "deleted verify-7-b,verify-7-c".into(),
        ]
    );
    assert_eq!(
        changes(&script),
        [
            "POST /_snapshot/backups/camunda_optimize_7_8.6.0_part_1_of_2/_restore",
            "DELETE /verify-7-a",
            "POST /_snapshot/backups/camunda_optimize_7_8.6.0_part_2_of_2/_restore",
            "DELETE /verify-7-b",
            "DELETE /verify-7-c",
        ]
    );
    let restores = script.lock().unwrap().restores.clone();
    assert_eq!(
        restores[1],
        json!({
            "indices": "b,c",
            "include_global_state": false,
            "include_aliases": false,
            "rename_pattern": "^(.+)$",
            "rename_replacement": "verify-7-$1",
            "index_settings": {"index.number_of_replicas": 0},
        })
    );
    let rows: Vec<(&str, &str, u64, u64, u32)> = report
        .indices
        .iter()
        .map(|i| {
            (
                i.source_index.as_str(),
                i.scratch_index.as_str(),
                i.documents,
                i.size_in_bytes,
                i.shards,
            )
        })
        .collect();
    // The scripted `_count` is the length of the scratch name.
    assert_eq!(
        rows,
        [
            ("a", "verify-7-a", 10, 1000, 1),
            ("b", "verify-7-b", 10, 1000, 1),
            ("c", "verify-7-c", 10, 1000, 1),
        ]
    );
    assert_eq!(report.needed_bytes, Some(4096));
    assert!(script.lock().unwrap().indices.is_empty());
}

#[tokio::test]
async fn a_shard_that_fails_to_restore_is_named_with_the_engines_reason_and_its_scratch_is_deleted()
{
    let details = "failed shard on node [n1]: failed recovery, failure RecoveryFailedException[[verify-7-c][0]: Recovery failed]; nested: IndexShardRestoreFailedException[restore failed]; nested: NoSuchFileException[/repo/indices/x/0/__blob]; ";
    let (script, err) = failed_drill(Script {
        broken: HashMap::from([("verify-7-c".to_owned(), details.to_owned())]),
        ..Script::default()
    })
    .await;
    assert!(err.is_not_restorable(), "{err:?}");
    let VerifyError::NotRestorable { backup_id, shards } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*backup_id, id());
    assert_eq!(shards.len(), 1);
    assert_eq!(shards[0].source_index, "c");
    assert_eq!(shards[0].shard, Some(0));
    assert_eq!(
        shards[0].reason,
        "NoSuchFileException[/repo/indices/x/0/__blob]"
    );
    assert_eq!(
        err.to_string(),
        "backup 7 is not restorable: index [c] shard [0] (snapshot camunda_optimize_7_8.6.0_part_2_of_2): NoSuchFileException[/repo/indices/x/0/__blob]"
    );
    assert!(script.lock().unwrap().indices.is_empty(), "scratch left");
    assert!(changes(&script).contains(&"DELETE /verify-7-c".to_owned()));
}

#[tokio::test]
async fn an_index_whose_count_fails_is_not_restorable() {
    let (script, err) = failed_drill(Script {
        uncountable: BTreeSet::from(["verify-7-a".to_owned()]),
        ..Script::default()
    })
    .await;
    let VerifyError::NotRestorable { shards, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        (shards[0].source_index.as_str(), shards[0].shard),
        ("a", None)
    );
    assert!(
        shards[0]
            .reason
            .starts_with("_count answered HTTP 400: search_phase_execution_exception"),
        "{err}"
    );
    assert!(script.lock().unwrap().indices.is_empty(), "scratch left");
}

#[tokio::test]
async fn a_drill_that_does_not_fit_is_refused_before_anything_is_restored() {
    let (script, store) = cluster(Script::default()).await;
    script.lock().unwrap().free = 4095;
    let err = store
        .verify_backup(&backup(), &fast(), &mut |_| {}, never())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::NoRoom {
                needed: 4096,
                free: 4095
            }
        ),
        "the cluster-manager node's disk does not count: {err:?}"
    );
    assert!(!err.is_not_restorable());
    assert_eq!(changes(&script), Vec::<String>::new());
}

#[tokio::test]
async fn scratch_names_that_exist_are_refused_and_never_deleted() {
    let (script, err) = failed_drill(Script {
        indices: BTreeSet::from(["verify-7-b".to_owned()]),
        ..Script::default()
    })
    .await;
    assert!(
        matches!(&err, VerifyError::ScratchExists { names } if names == &["verify-7-b"]),
        "{err:?}"
    );
    assert_eq!(changes(&script), Vec::<String>::new());
    assert!(script.lock().unwrap().indices.contains("verify-7-b"));
}

#[tokio::test]
async fn a_restore_refused_because_a_peer_took_the_name_deletes_nothing_and_is_no_verdict() {
    let (script, err) = failed_drill(Script {
        restore_refusal: Some((
            500,
            json!({"error": {"type": "snapshot_restore_exception", "reason": "[backups:camunda_optimize_7_8.6.0_part_1_of_2/u] cannot restore index [verify-7-a] because an open index with same name already exists in the cluster"}, "status": 500}),
        )),
        ..Script::default()
    })
    .await;
    assert!(matches!(err, VerifyError::ScratchExists { .. }), "{err:?}");
    assert!(!err.is_not_restorable());
    assert!(
        !changes(&script).iter().any(|c| c.starts_with("DELETE")),
        "{:?}",
        changes(&script)
    );
}

#[tokio::test]
async fn a_restore_the_engine_refuses_for_the_snapshot_is_not_restorable() {
    let (script, err) = failed_drill(Script {
        restore_refusal: Some((
            500,
            json!({"error": {"type": "snapshot_restore_exception", "reason": "[backups:camunda_optimize_7_8.6.0_part_1_of_2/u] failed to read the snapshot metadata"}, "status": 500}),
        )),
        ..Script::default()
    })
    .await;
    let VerifyError::NotRestorable { shards, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        (shards[0].source_index.as_str(), shards[0].shard),
        ("a", None)
    );
    assert!(shards[0]
        .reason
        .contains("failed to read the snapshot metadata"));
    // Its names may exist if the engine half-accepted: deleted all the same.
    assert!(changes(&script).contains(&"DELETE /verify-7-a".to_owned()));
}

#[tokio::test]
async fn an_interrupted_drill_deletes_its_scratch_indices() {
    let (script, store) = cluster(Script {
        stuck: BTreeSet::from(["verify-7-a".to_owned()]),
        ..Script::default()
    })
    .await;
    let err = store
        .verify_backup(
            &backup(),
            &fast(),
            &mut |_| {},
            tokio::time::sleep(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, VerifyError::Interrupted), "{err:?}");
    assert!(script.lock().unwrap().indices.is_empty(), "scratch left");
    assert_eq!(
        changes(&script),
        [
            "POST /_snapshot/backups/camunda_optimize_7_8.6.0_part_1_of_2/_restore",
            "DELETE /verify-7-a",
        ]
    );
}

#[tokio::test]
async fn shards_that_never_start_end_the_drill_at_the_part_timeout_naming_them() {
    let (script, store) = cluster(Script {
        stuck: BTreeSet::from(["verify-7-a".to_owned()]),
        ..Script::default()
    })
    .await;
    let err = store
        .verify_backup(
            &backup(),
            &fast().part_timeout(Duration::from_millis(50)),
            &mut |_| {},
            never(),
        )
        .await
        .unwrap_err();
    let VerifyError::Timeout { pending, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(pending, &["verify-7-a[0] UNASSIGNED (NEW_INDEX_RESTORED)"]);
    assert!(!err.is_not_restorable());
    assert!(script.lock().unwrap().indices.is_empty(), "scratch left");
}
