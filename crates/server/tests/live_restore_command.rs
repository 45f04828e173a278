//! The restore round trip on a real engine (SPEC §12): indices with
//! documents, a backup of them, the indices deleted, `backup-actuator
//! restore --yes`, and the same document counts back.
//!
//! Needs `BACKUP_ACTUATOR_TEST_OS_URL` / `BACKUP_ACTUATOR_TEST_ES_URL`
//! (see `backup_actuator_testkit::live`); skips with a printed reason
//! otherwise, fails under CI when the stage needs the engine.

mod common;

use std::time::{Duration, Instant};

use backup_actuator_core::{BackupId, BackupPlan, Product, SnapshotState};
use backup_actuator_search::ClusterStore;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::live::{self, LiveCluster, LiveProduct};
use common::run_with_env;
use serde_json::{json, Value};

/// Names no other test on the same engine uses.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}-{nanos}", std::process::id())
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<String>,
) -> (u16, Value) {
    let mut request = http.request(method, &url);
    if let Some(body) = body {
        let ndjson = body.ends_with('\n');
        request = request
            .header(
                "content-type",
                if ndjson {
                    "application/x-ndjson"
                } else {
                    "application/json"
                },
            )
            .body(body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The documents in `index`. Right after a restore the node that answers
/// the search may not yet have applied the cluster state in which the
/// shard is started (503 "all shards failed" with no failed shard), though
/// health already reads green: that answer is retried for a few seconds.
async fn count(http: &reqwest::Client, base: &str, index: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = call(
            http,
            reqwest::Method::GET,
            format!("{base}/{index}/_count"),
            None,
        )
        .await;
        if status == 503 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        assert_eq!(status, 200, "{body}");
        return body["count"].as_u64().unwrap();
    }
}

fn round_trip(product: LiveProduct, engine: LiveCluster) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = engine.url.trim_end_matches('/').to_owned();
    let tag = unique();
    let repo = format!("live_restore_{}", tag.replace('-', "_"));
    let prefix = format!("live_restore_{}", tag.replace('-', "_"));
    let indices = [
        format!("live-restore-{tag}-a"),
        format!("live-restore-{tag}-b"),
    ];
    let docs = [5u64, 12u64];
    let id = BackupId::new(20261130120000).unwrap();
    let plan = BackupPlan::builder()
        .prefix(&prefix)
        .version("8.6.0")
        .part([indices[0].as_str()])
        .part([indices[1].as_str()])
        .build()
        .unwrap();
    let http = reqwest::Client::new();

    runtime.block_on(async {
        let location = format!("{}/{repo}", engine.repo_location.trim_end_matches('/'));
        let (status, body) = call(
            &http,
            reqwest::Method::PUT,
            format!("{base}/_snapshot/{repo}"),
            Some(json!({"type": "fs", "settings": {"location": location}}).to_string()),
        )
        .await;
        assert_eq!(status, 200, "register the repository: {body}");
        for (index, n) in indices.iter().zip(docs) {
            let settings = json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}});
            let (status, body) = call(
                &http,
                reqwest::Method::PUT,
                format!("{base}/{index}"),
                Some(settings.to_string()),
            )
            .await;
            assert_eq!(status, 200, "create {index}: {body}");
            let mut bulk = String::new();
            for i in 0..n {
                bulk.push_str(&format!(
                    "{{\"index\":{{\"_id\":\"{i}\"}}}}\n{{\"n\":{i}}}\n"
                ));
            }
            let (status, body) = call(
                &http,
                reqwest::Method::POST,
                format!("{base}/{index}/_bulk?refresh=true"),
                Some(bulk),
            )
            .await;
            assert_eq!(status, 200, "index documents: {body}");
            assert_eq!(body["errors"], false, "{body}");
            assert_eq!(count(&http, &base, index).await, n);
        }

        // The backup, as the service takes it.
        let engine = match product {
            LiveProduct::Elasticsearch => Product::Elasticsearch,
            LiveProduct::OpenSearch => Product::OpenSearch,
        };
        let store = ClusterStore::builder(engine, &base).build().unwrap();
        for part in plan.snapshot_parts(id) {
            store.create_snapshot(&repo, &part).await.unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let found = store
                .find_snapshots(&repo, &plan.lookup_pattern(id))
                .await
                .unwrap();
            if found.len() == 2 && found.iter().all(|s| s.state == SnapshotState::Success) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the backup did not finish: {found:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });

    let backend = match product {
        LiveProduct::Elasticsearch => "elasticsearch",
        LiveProduct::OpenSearch => "opensearch",
    };
    let id_arg = id.to_string();
    let restore = |extra: &[&str]| {
        let mut argv = vec![
            "restore",
            id_arg.as_str(),
            "--backend",
            backend,
            "--url",
            base.as_str(),
            "--repository",
            repo.as_str(),
            "--prefix",
            prefix.as_str(),
            "--poll-interval",
            "200ms",
        ];
        argv.extend_from_slice(extra);
        let ((code, stderr), stdout) = run_with_env(&argv, &[]);
        (code, stdout, stderr)
    };

    // With the indices still there: the plan shows them, --yes refuses.
    let (code, stdout, stderr) = restore(&[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("    {} (exists)", indices[0])),
        "{stdout}"
    );
    let (code, _, stderr) = restore(&["--yes"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("refusing to restore: these indices exist"),
        "{stderr}"
    );

    // The disaster: the indices are gone.
    runtime.block_on(async {
        for index in &indices {
            let (status, body) = call(
                &http,
                reqwest::Method::DELETE,
                format!("{base}/{index}"),
                None,
            )
            .await;
            assert_eq!(status, 200, "delete {index}: {body}");
        }
    });

    let (code, stdout, stderr) = restore(&["--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout
            .ends_with("Restored backup 20261130120000: 2 index(es), every one at least yellow.\n"),
        "{stdout}"
    );

    runtime.block_on(async {
        for (index, n) in indices.iter().zip(docs) {
            assert_eq!(
                count(&http, &base, index).await,
                n,
                "{index} after the restore"
            );
        }
        // Leave the engine as found.
        for index in &indices {
            call(
                &http,
                reqwest::Method::DELETE,
                format!("{base}/{index}"),
                None,
            )
            .await;
        }
        for part in 1..=2 {
            let name = plan.snapshot_name(id, part);
            call(
                &http,
                reqwest::Method::DELETE,
                format!("{base}/_snapshot/{repo}/{name}"),
                None,
            )
            .await;
        }
        call(
            &http,
            reqwest::Method::DELETE,
            format!("{base}/_snapshot/{repo}"),
            None,
        )
        .await;
    });
}

#[test]
fn live_restore_round_trip_on_opensearch() {
    if let Some(engine) = live::cluster(LiveProduct::OpenSearch) {
        round_trip(LiveProduct::OpenSearch, engine);
    }
}

#[test]
fn live_restore_round_trip_on_elasticsearch() {
    if let Some(engine) = live::cluster(LiveProduct::Elasticsearch) {
        round_trip(LiveProduct::Elasticsearch, engine);
    }
}
