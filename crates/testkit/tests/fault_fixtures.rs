//! The emulator's fault knobs against what real engines answered in the
//! same faults. The server's `live_faults` suite records those answers
//! (`BACKUP_ACTUATOR_RECORD_FAULTS=1`) under `tests/fixtures/faults/
//! <engine>-<version>/<scenario>.json`, names normalised to `{prefix}`
//! and `{repository}`, uuids and times blanked; each test here sets the
//! same fault on the closest [`Flavor`] and compares, for every engine
//! recorded:
//!
//! - `disk_full`, `engine_restarted`: the parts vanish
//!   ([`SnapshotRule::vanish`]), the claim stays;
//! - `directory_removed`: [`EmulatedCluster::lose_repository_contents`];
//! - `unregister_in_use`, `delete_index_in_snapshot`: the refusals the
//!   engines always give;
//! - `node_lost`: a part ends PARTIAL with the lost node's shard failure
//!   ([`SnapshotRule::partial`]).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use backup_actuator_testkit::{EmulatedCluster, EmulatedShardFailure, Flavor, SnapshotRule};
use common::*;
use serde_json::{json, Value};

const PREFIX: &str = "faults";
const REPO: &str = "repo_faults";

/// Every recorded engine: its directory and the flavor that emulates it.
fn engines() -> Vec<(PathBuf, Flavor)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faults");
    let mut found: Vec<(PathBuf, Flavor)> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let flavor = if name.starts_with("elasticsearch-7.10") {
                Flavor::Elasticsearch7_10
            } else if name.starts_with("opensearch-2.") {
                Flavor::OpenSearch2
            } else if name.starts_with("opensearch-3.") {
                Flavor::OpenSearch3
            } else {
                panic!("no flavor for recorded engine {name}")
            };
            (dir, flavor)
        })
        .collect();
    found.sort();
    assert!(
        !found.is_empty(),
        "no engine recorded under {}",
        root.display()
    );
    found
}

/// The recorded answer of `scenario`, with the placeholders filled in.
fn fixture(dir: &Path, scenario: &str) -> Value {
    let path = dir.join(format!("{scenario}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("{prefix}", PREFIX)
        .replace("{repository}", REPO);
    serde_json::from_str::<Value>(&text).unwrap()["answer"].clone()
}

/// An emulator of `flavor` with the repository and the indices of the
/// live suite, snapshots running for a second of emulated time.
async fn cluster(flavor: Flavor) -> EmulatedCluster {
    let c = start(flavor).await;
    c.add_repository(REPO);
    c.add_indices([
        "optimize-timestamp-based-import-index_v4",
        "optimize-position-based-import-index_v3",
        "optimize-faults-filler_v1",
    ]);
    c.set_completion_delay(Duration::from_secs(1));
    c
}

/// Creates `{PREFIX}_{id}_claim` and both parts the way the server does.
async fn post_backup(c: &EmulatedCluster, id: u64) {
    let claim = json!({
        "indices": "backup-actuator-claim-matches-no-index-*",
        "include_global_state": false,
        "metadata": {"backupId": id, "version": "8.6.0", "partNo": 0, "partCount": 2},
    });
    let r = put(
        c,
        &format!("/_snapshot/{REPO}/{PREFIX}_{id}_claim?wait_for_completion=false"),
        Some(&claim.to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    for (n, indices) in [
        (
            1,
            "optimize-timestamp-based-import-index_v4,optimize-position-based-import-index_v3",
        ),
        (2, "optimize-faults-filler_v1"),
    ] {
        let body = json!({
            "indices": indices,
            "include_global_state": false,
            "metadata": {"backupId": id, "version": "8.6.0", "partNo": n, "partCount": 2},
        });
        let r = put(
            c,
            &format!(
                "/_snapshot/{REPO}/{PREFIX}_{id}_8.6.0_part_{n}_of_2?wait_for_completion=false"
            ),
            Some(&body.to_string()),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
}

/// `GET _snapshot/{REPO}/_all` of the snapshots of `id`, sorted by name.
async fn snapshots_of(c: &EmulatedCluster, id: u64) -> Vec<Value> {
    let r = get(c, &format!("/_snapshot/{REPO}/_all")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let own = format!("{PREFIX}_{id}_");
    let mut list: Vec<Value> = r.json()["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["snapshot"].as_str().unwrap().starts_with(&own))
        .cloned()
        .collect();
    list.sort_by(|a, b| a["snapshot"].as_str().cmp(&b["snapshot"].as_str()));
    list
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The snapshots agree in name, state, metadata, failures (without node
/// ids) and shard counts, and each has the engine's fields.
fn assert_same_snapshots(engine: &str, real: &[Value], emulated: &[Value]) {
    let summary = |list: &[Value]| -> Vec<Value> {
        list.iter()
            .map(|s| {
                let failures: Vec<Value> = s["failures"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| json!([f["index"], f["reason"], f["status"]]))
                    .collect();
                json!({
                    "snapshot": s["snapshot"],
                    "state": s["state"],
                    "metadata": s["metadata"],
                    "failures": failures,
                    "shards": s["shards"],
                })
            })
            .collect()
    };
    assert_eq!(summary(emulated), summary(real), "{engine}");
    for (r, e) in real.iter().zip(emulated) {
        assert_eq!(
            keys(e),
            keys(r),
            "{engine}: the fields of {}",
            r["snapshot"]
        );
    }
}

/// The repository's disk fills up during a backup: the engines lose both
/// parts (their metadata cannot be written) and keep the claim. A
/// vanishing rule on the parts gives the same repository.
#[tokio::test]
async fn a_full_disk_keeps_the_claim_and_no_part_as_the_engines_do() {
    for (dir, flavor) in engines() {
        let c = cluster(flavor).await;
        c.add_rule(SnapshotRule::vanish("*_part_*"));
        post_backup(&c, 1801).await;
        c.clock().advance(Duration::from_secs(2));
        let real = fixture(&dir, "disk_full")["snapshots"].clone();
        let emulated = snapshots_of(&c, 1801).await;
        assert_same_snapshots(
            &dir.display().to_string(),
            real.as_array().unwrap(),
            &emulated,
        );
    }
}

/// The engine is killed and restarted mid-backup: the running parts are
/// lost, the claim stays, as with a full disk.
#[tokio::test]
async fn an_engine_restart_keeps_the_claim_and_no_part_as_the_engines_do() {
    for (dir, flavor) in engines() {
        let c = cluster(flavor).await;
        c.add_rule(SnapshotRule::vanish("*_part_*"));
        post_backup(&c, 1805).await;
        c.clock().advance(Duration::from_secs(2));
        let real = fixture(&dir, "engine_restarted")["snapshots"].clone();
        let emulated = snapshots_of(&c, 1805).await;
        assert_same_snapshots(
            &dir.display().to_string(),
            real.as_array().unwrap(),
            &emulated,
        );
    }
}

/// The repository's directory is removed under a running backup: every
/// snapshot read answers the engines' 500 `repository_exception`, word for
/// word, until the repository is removed and registered again (empty).
#[tokio::test]
async fn a_lost_repository_directory_answers_as_the_engines_do() {
    for (dir, flavor) in engines() {
        let c = cluster(flavor).await;
        post_backup(&c, 1802).await;
        assert!(c.lose_repository_contents(REPO));
        let r = get(&c, &format!("/_snapshot/{REPO}/_all")).await;
        let real = fixture(&dir, "directory_removed")["repository"].clone();
        assert_eq!((r.status, r.json()), (500, real), "{}", dir.display());

        assert_eq!(delete(&c, &format!("/_snapshot/{REPO}")).await.status, 200);
        let settings = r#"{"type":"fs","settings":{"location":"/var/backups/repo_faults"}}"#;
        assert_eq!(
            put(&c, &format!("/_snapshot/{REPO}"), Some(settings))
                .await
                .status,
            200
        );
        let real = fixture(&dir, "directory_recreated")["snapshots"].clone();
        assert_eq!(
            json!(snapshots_of(&c, 1802).await),
            real,
            "{}",
            dir.display()
        );
    }
}

/// Unregistering a repository while a snapshot runs in it is refused with
/// the engines' answer, word for word.
#[tokio::test]
async fn unregistering_a_repository_in_use_is_refused_as_the_engines_do() {
    for (dir, flavor) in engines() {
        let c = cluster(flavor).await;
        post_backup(&c, 1802).await;
        let r = delete(&c, &format!("/_snapshot/{REPO}")).await;
        let real = fixture(&dir, "unregister_in_use");
        assert_eq!(json!(r.status), real["status"], "{}", dir.display());
        assert_eq!(r.json(), real["body"], "{}", dir.display());
        c.clock().advance(Duration::from_secs(2));
        assert_eq!(delete(&c, &format!("/_snapshot/{REPO}")).await.status, 200);
    }
}

/// Deleting an index a running snapshot holds is refused with the
/// engines' status, type and reason (which names the index; the engines
/// add its uuid, the emulator has none).
#[tokio::test]
async fn deleting_an_index_under_a_running_snapshot_is_refused_as_the_engines_do() {
    for (dir, flavor) in engines() {
        let c = cluster(flavor).await;
        post_backup(&c, 1803).await;
        let r = delete(&c, "/optimize-faults-filler_v1").await;
        let real = fixture(&dir, "delete_index_in_snapshot");
        assert_eq!(json!(r.status), real["status"], "{}", dir.display());
        let without_uuid = |reason: &str| -> String {
            // `[[name/uuid]]` → `[[name]]`
            match (reason.find('/'), reason.find("]]")) {
                (Some(slash), Some(end)) if slash < end => {
                    format!("{}{}", &reason[..slash], &reason[end..])
                }
                _ => reason.to_owned(),
            }
        };
        let body = r.json();
        assert_eq!(body["error"]["type"], real["body"]["error"]["type"]);
        assert_eq!(
            without_uuid(body["error"]["reason"].as_str().unwrap()),
            without_uuid(real["body"]["error"]["reason"].as_str().unwrap()),
            "{}",
            dir.display()
        );
        c.clock().advance(Duration::from_secs(2));
        assert_eq!(delete(&c, "/optimize-faults-filler_v1").await.status, 200);
    }
}

/// A node holding a shard of part 2 is lost mid-snapshot: the engines end
/// that part PARTIAL with one `node shutdown` failure and keep part 1;
/// a partial rule with that failure gives the same snapshots.
#[tokio::test]
async fn a_lost_node_leaves_a_partial_part_as_the_engines_do() {
    for (dir, flavor) in engines() {
        let Ok(text) = std::fs::read_to_string(dir.join("node_lost.json")) else {
            continue;
        };
        assert!(text.contains("node shutdown"), "{}", dir.display());
        let real = fixture(&dir, "node_lost")["snapshots"].clone();
        let real: Vec<Value> = real
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["snapshot"].as_str().unwrap().contains("_part_"))
            .cloned()
            .collect();
        let lost = &real[1]["failures"][0];
        let c = cluster(flavor).await;
        c.add_rule(SnapshotRule::partial(
            "*_part_2_of_2",
            vec![EmulatedShardFailure::new(
                "optimize-faults-filler_v1",
                lost["shard_id"].as_u64().unwrap() as u32,
                "node shutdown",
            )
            .with_node_id("lost-node")],
        ));
        post_backup(&c, 1806).await;
        c.clock().advance(Duration::from_secs(2));
        let emulated: Vec<Value> = snapshots_of(&c, 1806)
            .await
            .into_iter()
            .filter(|s| s["snapshot"].as_str().unwrap().contains("_part_"))
            .collect();
        // Shard counts differ by nature: the real filler had 3 shards, the
        // emulator counts one per index.
        assert_eq!(
            emulated
                .iter()
                .map(|s| s["state"].clone())
                .collect::<Vec<_>>(),
            real.iter().map(|s| s["state"].clone()).collect::<Vec<_>>(),
            "{}",
            dir.display()
        );
        for (r, e) in real.iter().zip(&emulated) {
            let failure_keys = |s: &Value| -> Vec<BTreeSet<String>> {
                s["failures"].as_array().unwrap().iter().map(keys).collect()
            };
            assert_eq!(failure_keys(e), failure_keys(r), "{}", dir.display());
            assert_eq!(keys(e), keys(r), "{}", dir.display());
        }
    }
}
