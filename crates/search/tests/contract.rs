//! The store contract (SPEC §5, §6, §8) against the testkit emulator, for
//! every emulated flavor.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_actuator_core::{
    BackupId, BackupPlan, Product, ShardFailure, SnapshotPart, SnapshotState,
};
use backup_actuator_search::ClusterStore;
use backup_actuator_store::{Operation, SnapshotStore, StoreError};
use backup_actuator_testkit::{
    EmulatedCluster, EmulatedShardFailure as SeededFailure, EmulatedSnapshotState as SeededState,
    Fault, Flavor, RecordedRequest, RefusingPort, SeededSnapshot, SnapshotRule,
};
use http::Method;
use serde_json::json;

const REPO: &str = "camunda_backup";

fn plan() -> BackupPlan {
    BackupPlan::optimize("8.6.0").unwrap()
}

fn id(n: u64) -> BackupId {
    BackupId::new(n).unwrap()
}

fn product(flavor: Flavor) -> Product {
    if flavor.is_opensearch() {
        Product::OpenSearch
    } else {
        Product::Elasticsearch
    }
}

async fn cluster(flavor: Flavor) -> EmulatedCluster {
    let cluster = EmulatedCluster::start(flavor).await.unwrap();
    cluster.add_repository(REPO);
    cluster
}

/// The store of the cluster's own product, as a service would hold it.
fn store(cluster: &EmulatedCluster) -> Arc<dyn SnapshotStore> {
    store_at(cluster.flavor(), &cluster.url())
}

fn store_at(flavor: Flavor, url: &str) -> Arc<dyn SnapshotStore> {
    let timeout = Duration::from_secs(10);
    Arc::new(
        ClusterStore::builder(product(flavor), url)
            .request_timeout(timeout)
            .build()
            .unwrap(),
    )
}

fn snapshot_requests(cluster: &EmulatedCluster) -> Vec<RecordedRequest> {
    cluster
        .requests()
        .into_iter()
        .filter(|r| r.path != "/")
        .collect()
}

fn root_requests(cluster: &EmulatedCluster) -> usize {
    cluster
        .requests()
        .iter()
        .filter(|r| r.method == Method::GET && r.path == "/")
        .count()
}

/// A recorded request's path and query, the query encoded again.
fn path_and_query(request: &RecordedRequest) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let query: Vec<String> = request
        .query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{}?{}", request.path, query.join("&"))
}

/// The body of a plain `GET` to the emulator, read byte for byte (its
/// answers carry a Content-Length), so its size is what went over the wire.
async fn raw_get(cluster: &EmulatedCluster, path_and_query: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(cluster.addr())
        .await
        .unwrap();
    let request = format!("GET {path_and_query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let head_end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    answer.split_off(head_end + 4)
}

fn query(request: &RecordedRequest) -> Vec<(&str, &str)> {
    request
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// `filter_path` of every GET snapshots request (SPEC §6).
const FILTER_PATH: &str = "snapshots.snapshot,snapshots.state,snapshots.start_time_in_millis,\
snapshots.failures.index,snapshots.failures.shard_id,snapshots.failures.reason,\
snapshots.failures.node_id,snapshots.failures.status,snapshots.metadata.backupId,\
snapshots.metadata.version,snapshots.metadata.partNo,snapshots.metadata.partCount,\
snapshots.metadata.trigger,error,status,next,total,remaining";

/// The query parameters a GET snapshots request carries on this flavor:
/// `filter_path` and `ignore_unavailable` on every version, `index_names`
/// and paging where the version knows them (SPEC §6).
fn expected_find_query(flavor: Flavor) -> Vec<(&'static str, &'static str)> {
    let mut query = vec![("filter_path", FILTER_PATH), ("ignore_unavailable", "true")];
    match flavor {
        Flavor::Elasticsearch7_17 => query.push(("size", "5000")),
        Flavor::Elasticsearch8_3
        | Flavor::Elasticsearch8_13
        | Flavor::Elasticsearch8_15
        | Flavor::Elasticsearch9 => query.extend([("index_names", "false"), ("size", "5000")]),
        _ => {}
    }
    query
}

// ---------------------------------------------------------------- find

#[tokio::test]
async fn find_reads_state_start_time_and_shard_failures() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let part1 = plan().snapshot_name(id(7), 1);
        let part2 = plan().snapshot_name(id(7), 2);
        cluster.insert_snapshot(
            REPO,
            SeededSnapshot::new(&part1, SeededState::Success, 1_731_585_600_123)
                .with_indices(["optimize-position-based-import-index"])
                .with_duration_millis(388),
        );
        cluster.insert_snapshot(
            REPO,
            SeededSnapshot::new(&part2, SeededState::Partial, 1_731_585_601_000)
                .with_indices(["optimize-report"])
                .with_failures(vec![
                    SeededFailure::new("optimize-report", 0, "primary shard is not allocated"),
                    SeededFailure::new("optimize-report", 1, "boom").with_node_id("node-1"),
                ]),
        );
        // Another backup's snapshot must not be returned for id 7.
        cluster.insert_snapshot(
            REPO,
            SeededSnapshot::new(plan().snapshot_name(id(70), 1), SeededState::Success, 1),
        );

        let mut found = store(&cluster)
            .find_snapshots(REPO, &plan().lookup_pattern(id(7)))
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        found.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(found.len(), 2, "{flavor}: {found:?}");
        assert_eq!(found[0].name, part1, "{flavor}");
        assert_eq!(found[0].state, SnapshotState::Success, "{flavor}");
        assert_eq!(
            found[0].start_time_millis,
            Some(1_731_585_600_123),
            "{flavor}"
        );
        assert!(found[0].failures.is_empty(), "{flavor}");
        assert_eq!(found[1].state, SnapshotState::Partial, "{flavor}");
        assert_eq!(
            found[1].start_time_millis,
            Some(1_731_585_601_000),
            "{flavor}"
        );
        assert_eq!(
            found[1].failures,
            vec![
                ShardFailure {
                    index: Some("optimize-report".into()),
                    shard_id: Some(0),
                    reason: Some("primary shard is not allocated".into()),
                    node_id: None,
                    status: Some("INTERNAL_SERVER_ERROR".into()),
                },
                ShardFailure {
                    index: Some("optimize-report".into()),
                    shard_id: Some(1),
                    reason: Some("boom".into()),
                    node_id: Some("node-1".into()),
                    status: Some("INTERNAL_SERVER_ERROR".into()),
                },
            ],
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn find_with_nothing_matched_is_empty_on_every_version() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.insert_snapshot(
            REPO,
            SeededSnapshot::new("unrelated", SeededState::Success, 1),
        );
        let found = store(&cluster)
            .find_snapshots(REPO, &plan().lookup_pattern(id(42)))
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        assert!(found.is_empty(), "{flavor}: {found:?}");
        // And on an empty repository.
        let found = store(&cluster)
            .find_snapshots(REPO, "camunda_optimize_*")
            .await;
        assert_eq!(found, Ok(vec![]), "{flavor}");
    }
}

/// SPEC §6: `ignore_unavailable=true`, so one unreadable snapshot blob
/// leaves its backup short of that part instead of failing the lookup.
#[tokio::test]
async fn find_skips_an_unreadable_snapshot_instead_of_failing() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let readable = plan().snapshot_name(id(3), 1);
        cluster.insert_snapshots(
            REPO,
            [
                SeededSnapshot::new(&readable, SeededState::Success, 1),
                SeededSnapshot::new(plan().snapshot_name(id(3), 2), SeededState::Success, 2)
                    .unreadable(),
            ],
        );
        for pattern in [plan().lookup_pattern(id(3)), plan().list_pattern()] {
            let found = store(&cluster)
                .find_snapshots(REPO, &pattern)
                .await
                .unwrap_or_else(|e| panic!("{flavor} {pattern}: {e}"));
            let names: Vec<&str> = found.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(names, [readable.as_str()], "{flavor} {pattern}");
        }
    }
}

/// SPEC §6: only the fields the answer needs are downloaded, and what the
/// state rules and `details` read survives the filter on every version.
#[tokio::test]
async fn find_downloads_only_the_fields_the_answer_needs() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let name = plan().snapshot_name(id(5), 2);
        cluster.insert_snapshot(
            REPO,
            SeededSnapshot::new(&name, SeededState::Partial, 1_731_585_600_123)
                .with_indices((0..30).map(|n| format!("optimize-index-{n}")))
                .with_metadata(
                    json!({"backupId": 5, "version": "8.6.0", "partNo": 2, "partCount": 2}),
                )
                .with_failures(vec![SeededFailure::new("optimize-index-3", 1, "boom")]),
        );
        let verbose = raw_get(&cluster, &format!("/_snapshot/{REPO}/camunda_optimize_*")).await;
        let found = store(&cluster)
            .find_snapshots(REPO, &plan().list_pattern())
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        assert_eq!(found.len(), 1, "{flavor}");
        assert_eq!(found[0].name, name, "{flavor}");
        assert_eq!(found[0].state, SnapshotState::Partial, "{flavor}");
        assert_eq!(
            found[0].start_time_millis,
            Some(1_731_585_600_123),
            "{flavor}"
        );
        assert_eq!(found[0].failures.len(), 1, "{flavor}");
        assert_eq!(
            found[0].failures[0].index.as_deref(),
            Some("optimize-index-3"),
            "{flavor}"
        );
        assert_eq!(
            found[0].failures[0].reason.as_deref(),
            Some("boom"),
            "{flavor}"
        );

        // The same request again, to weigh its answer.
        let sent = snapshot_requests(&cluster);
        let asked = sent.last().expect("one lookup");
        let filtered = raw_get(&cluster, &path_and_query(asked)).await;
        assert!(
            filtered.len() * 3 < verbose.len(),
            "{flavor}: {} of {} bytes",
            filtered.len(),
            verbose.len()
        );
    }
}

#[tokio::test]
async fn find_in_a_missing_repository_is_repository_missing() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let result = store(&cluster)
            .find_snapshots("nope", "camunda_optimize_1_*")
            .await;
        assert_eq!(
            result,
            Err(StoreError::RepositoryMissing {
                repository: "nope".into()
            }),
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn find_sends_only_parameters_the_version_knows() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        store(&cluster)
            .find_snapshots(REPO, "camunda_optimize_1_*")
            .await
            .unwrap();
        let sent = snapshot_requests(&cluster);
        assert_eq!(sent.len(), 1, "{flavor}: {sent:?}");
        assert_eq!(sent[0].method, Method::GET, "{flavor}");
        assert_eq!(
            sent[0].path, "/_snapshot/camunda_backup/camunda_optimize_1_*",
            "{flavor}"
        );
        assert_eq!(query(&sent[0]), expected_find_query(flavor), "{flavor}");
        assert!(sent[0].body.is_empty(), "{flavor}");
    }
}

#[tokio::test]
async fn find_follows_pages_on_elasticsearch_7_14_and_later() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let names: Vec<String> = (1..=5).map(|n| plan().snapshot_name(id(n), 1)).collect();
        cluster.insert_snapshots(
            REPO,
            names
                .iter()
                .enumerate()
                .map(|(i, name)| SeededSnapshot::new(name, SeededState::Success, 1000 + i as i64)),
        );
        let store: Arc<dyn SnapshotStore> = Arc::new(
            ClusterStore::builder(product(flavor), cluster.url())
                .page_size(2)
                .build()
                .unwrap(),
        );
        let mut found: Vec<String> = store
            .find_snapshots(REPO, &plan().list_pattern())
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"))
            .into_iter()
            .map(|r| r.name)
            .collect();
        found.sort();
        assert_eq!(found, names, "{flavor}");

        let sent = snapshot_requests(&cluster);
        let pages = matches!(
            flavor,
            Flavor::Elasticsearch7_17
                | Flavor::Elasticsearch8_3
                | Flavor::Elasticsearch8_13
                | Flavor::Elasticsearch8_15
                | Flavor::Elasticsearch9
        );
        if pages {
            assert_eq!(sent.len(), 3, "{flavor}: {sent:?}");
            assert!(
                sent.iter().all(|r| r.query_param("size") == Some("2")),
                "{flavor}"
            );
            assert_eq!(sent[0].query_param("after"), None, "{flavor}");
            assert!(sent[1].query_param("after").is_some(), "{flavor}");
            assert!(sent[2].query_param("after").is_some(), "{flavor}");
        } else {
            assert_eq!(sent.len(), 1, "{flavor}: {sent:?}");
            assert_eq!(query(&sent[0]), expected_find_query(flavor), "{flavor}");
        }
    }
}

// ------------------------------------------------- find names and states

/// `filter_path` of a names-and-states lookup (SPEC §1, `verbose=false`).
const STATES_FILTER_PATH: &str = "snapshots.snapshot,snapshots.state,error,status,total,remaining";

/// The query of a names-and-states lookup on this flavor: `verbose=false`
/// and no paging on every version; `index_names=false` where known.
fn expected_states_query(flavor: Flavor) -> Vec<(&'static str, &'static str)> {
    let mut query = vec![
        ("verbose", "false"),
        ("filter_path", STATES_FILTER_PATH),
        ("ignore_unavailable", "true"),
    ];
    if matches!(
        flavor,
        Flavor::Elasticsearch8_3
            | Flavor::Elasticsearch8_13
            | Flavor::Elasticsearch8_15
            | Flavor::Elasticsearch9
    ) {
        query.push(("index_names", "false"));
    }
    query
}

#[tokio::test]
async fn find_states_asks_verbose_false_in_one_request_on_every_version() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let names: Vec<String> = (1..=5).map(|n| plan().snapshot_name(id(n), 1)).collect();
        cluster.insert_snapshots(
            REPO,
            names
                .iter()
                .enumerate()
                .map(|(i, name)| SeededSnapshot::new(name, SeededState::Success, 1000 + i as i64)),
        );
        // A page size that would page a verbose lookup: a listing is never paged.
        let store: Arc<dyn SnapshotStore> = Arc::new(
            ClusterStore::builder(product(flavor), cluster.url())
                .page_size(2)
                .build()
                .unwrap(),
        );
        let found = store
            .find_snapshot_states(REPO, &plan().list_pattern())
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        assert_eq!(found.len(), 5, "{flavor}: {found:?}");
        let sent = snapshot_requests(&cluster);
        assert_eq!(sent.len(), 1, "{flavor}: {sent:?}");
        assert_eq!(
            sent[0].path, "/_snapshot/camunda_backup/camunda_optimize_*",
            "{flavor}"
        );
        assert_eq!(query(&sent[0]), expected_states_query(flavor), "{flavor}");
    }
}

#[tokio::test]
async fn find_states_reads_each_state_and_no_times_or_failures() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let states = [
            (1, SeededState::Success),
            (2, SeededState::Partial),
            (3, SeededState::Failed),
            (4, SeededState::InProgress),
        ];
        cluster.insert_snapshots(
            REPO,
            states.iter().map(|&(n, state)| {
                SeededSnapshot::new(plan().snapshot_name(id(n), 1), state, 1_731_585_600_000)
                    .with_failures(if state == SeededState::Partial {
                        vec![SeededFailure::new("optimize-report", 0, "boom")]
                    } else {
                        vec![]
                    })
            }),
        );
        let mut found = store(&cluster)
            .find_snapshot_states(REPO, &plan().list_pattern())
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        found.sort_by(|a, b| a.name.cmp(&b.name));
        let read: Vec<(&str, &SnapshotState)> =
            found.iter().map(|r| (r.name.as_str(), &r.state)).collect();
        let names: Vec<String> = (1..=4).map(|n| plan().snapshot_name(id(n), 1)).collect();
        assert_eq!(
            read,
            [
                (names[0].as_str(), &SnapshotState::Success),
                (names[1].as_str(), &SnapshotState::Partial),
                (names[2].as_str(), &SnapshotState::Failed),
                (names[3].as_str(), &SnapshotState::InProgress),
            ],
            "{flavor}"
        );
        for record in &found {
            assert!(record.failures.is_empty(), "{flavor}: {record:?}");
            assert_eq!(record.trigger, None, "{flavor}: {record:?}");
        }
    }
}

#[tokio::test]
async fn find_states_with_nothing_matched_or_no_repository_reads_as_find_does() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let found = store(&cluster)
            .find_snapshot_states(REPO, "camunda_optimize_9*")
            .await;
        assert_eq!(found, Ok(vec![]), "{flavor}");
        let missing = store(&cluster)
            .find_snapshot_states("nope", "camunda_optimize_*")
            .await;
        assert_eq!(
            missing,
            Err(StoreError::RepositoryMissing {
                repository: "nope".into()
            }),
            "{flavor}"
        );
    }
}

/// A listing reads the repository index, not each snapshot's blob: an
/// unreadable snapshot is still listed, with its recorded state, where the
/// verbose lookup skips it.
#[tokio::test]
async fn find_states_lists_a_snapshot_whose_blob_is_unreadable() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let damaged = plan().snapshot_name(id(3), 2);
        cluster.insert_snapshots(
            REPO,
            [
                SeededSnapshot::new(plan().snapshot_name(id(3), 1), SeededState::Success, 1),
                SeededSnapshot::new(&damaged, SeededState::Success, 2).unreadable(),
            ],
        );
        let found = store(&cluster)
            .find_snapshot_states(REPO, &plan().list_pattern())
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        assert_eq!(found.len(), 2, "{flavor}: {found:?}");
        assert!(
            found
                .iter()
                .any(|r| r.name == damaged && r.state == SnapshotState::Success),
            "{flavor}: {found:?}"
        );
    }
}

/// The listing is what a large repository is read with: it must weigh a
/// fraction of the verbose answer, on every version.
#[tokio::test]
async fn find_states_downloads_names_and_states_only() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.insert_snapshots(
            REPO,
            (1..=20).map(|n| {
                SeededSnapshot::new(
                    plan().snapshot_name(id(n), 2),
                    SeededState::Success,
                    n as i64,
                )
                .with_indices((0..30).map(|i| format!("optimize-index-{i}")))
                .with_metadata(
                    json!({"backupId": n, "version": "8.6.0", "partNo": 2, "partCount": 2}),
                )
            }),
        );
        store(&cluster)
            .find_snapshots(REPO, &plan().list_pattern())
            .await
            .unwrap();
        store(&cluster)
            .find_snapshot_states(REPO, &plan().list_pattern())
            .await
            .unwrap();
        let sent = snapshot_requests(&cluster);
        let full: usize = {
            let mut total = 0;
            for request in &sent[..sent.len() - 1] {
                total += raw_get(&cluster, &path_and_query(request)).await.len();
            }
            total
        };
        let brief = raw_get(&cluster, &path_and_query(sent.last().unwrap())).await;
        let text = String::from_utf8_lossy(&brief);
        assert!(!text.contains("optimize-index"), "{flavor}: {text}");
        assert!(!text.contains("start_time"), "{flavor}: {text}");
        assert!(
            brief.len() < full,
            "{flavor}: {} of {full} bytes",
            brief.len()
        );
    }
}

// ---------------------------------------------------------------- create

fn part(n: u64, part_no: u32) -> SnapshotPart {
    plan().snapshot_parts(id(n)).remove(part_no as usize - 1)
}

#[tokio::test]
async fn create_is_accepted_and_sends_the_spec_body() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.set_completion_delay(Duration::from_secs(60));
        let store = store(&cluster);
        for part_no in 1..=2 {
            store
                .create_snapshot(REPO, &part(123456, part_no))
                .await
                .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        }
        let found = store
            .find_snapshots(REPO, &plan().lookup_pattern(id(123456)))
            .await
            .unwrap();
        assert_eq!(found.len(), 2, "{flavor}");
        assert!(
            found.iter().all(|r| r.state == SnapshotState::InProgress),
            "{flavor}: {found:?}"
        );
        cluster.clock().advance(Duration::from_secs(61));
        let found = store
            .find_snapshots(REPO, &plan().lookup_pattern(id(123456)))
            .await
            .unwrap();
        assert!(
            found.iter().all(|r| r.state == SnapshotState::Success),
            "{flavor}: {found:?}"
        );

        let puts: Vec<RecordedRequest> = cluster
            .requests()
            .into_iter()
            .filter(|r| r.method == Method::PUT)
            .collect();
        assert_eq!(puts.len(), 2, "{flavor}");
        assert_eq!(
            puts[0].path, "/_snapshot/camunda_backup/camunda_optimize_123456_8.6.0_part_1_of_2",
            "{flavor}"
        );
        assert_eq!(
            query(&puts[0]),
            vec![("wait_for_completion", "false")],
            "{flavor}"
        );
        assert_eq!(
            puts[0].body_json(),
            Some(json!({
                "indices": ["optimize-timestamp-based-import-index", "optimize-position-based-import-index"],
                "include_global_state": false,
                "metadata": {"backupId": 123456, "version": "8.6.0", "partNo": 1, "partCount": 2}
            })),
            "{flavor}"
        );
        assert_eq!(
            puts[0]
                .headers
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
            Some("application/json"),
            "{flavor}"
        );
        assert_eq!(
            puts[0]
                .headers
                .get("user-agent")
                .map(|v| v.to_str().unwrap()),
            Some(concat!("backup-actuator/", env!("CARGO_PKG_VERSION"))),
            "{flavor}"
        );
        assert_eq!(
            puts[1].body_json().unwrap()["metadata"],
            json!({"backupId": 123456, "version": "8.6.0", "partNo": 2, "partCount": 2}),
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn create_of_an_existing_or_running_name_is_name_in_use() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let store = store(&cluster);
        store.create_snapshot(REPO, &part(1, 1)).await.unwrap();
        let again = store.create_snapshot(REPO, &part(1, 1)).await;
        assert_eq!(
            again,
            Err(StoreError::NameInUse {
                name: part(1, 1).name
            }),
            "{flavor}"
        );

        cluster.set_completion_delay(Duration::from_secs(60));
        store.create_snapshot(REPO, &part(2, 1)).await.unwrap();
        let running = store.create_snapshot(REPO, &part(2, 1)).await;
        assert_eq!(
            running,
            Err(StoreError::NameInUse {
                name: part(2, 1).name
            }),
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn create_refused_by_the_cluster_is_a_cluster_error() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.add_rule(SnapshotRule::concurrent_snapshot_execution("*_part_2_of_2"));
        let store = store(&cluster);
        store.create_snapshot(REPO, &part(3, 1)).await.unwrap();
        let refused = store.create_snapshot(REPO, &part(3, 2)).await;
        let name = part(3, 2).name;
        assert_eq!(
            refused,
            Err(StoreError::Cluster {
                product: product(flavor),
                operation: Operation::CreateSnapshot { name: name.clone() },
                status: 503,
                detail: format!(
                    "concurrent_snapshot_execution_exception: [{REPO}:{name}] Cannot start another operation, already running [1000] operations and the current limit for concurrent snapshot operations is set to [1000]"
                ),
            }),
            "{flavor}"
        );
        // A 400 that is not about a duplicate name is not NameInUse.
        cluster.add_rule(SnapshotRule::refuse(
            "*_part_1_of_2",
            400,
            "invalid_snapshot_name_exception",
            "[{repository}:{snapshot}] Invalid snapshot name [{snapshot}], must be lowercase",
        ));
        let invalid = store.create_snapshot(REPO, &part(4, 1)).await;
        assert!(
            matches!(&invalid, Err(StoreError::Cluster { status: 400, detail, .. }) if detail.starts_with("invalid_snapshot_name_exception: ")),
            "{flavor}: {invalid:?}"
        );
    }
}

#[tokio::test]
async fn create_in_a_missing_repository_is_repository_missing() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let result = store(&cluster).create_snapshot("nope", &part(1, 1)).await;
        assert_eq!(
            result,
            Err(StoreError::RepositoryMissing {
                repository: "nope".into()
            }),
            "{flavor}"
        );
    }
}

// ---------------------------------------------------------------- delete

#[tokio::test]
async fn delete_removes_exactly_the_names_in_one_request() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let names = vec![
            plan().snapshot_name(id(5), 1),
            plan().snapshot_name(id(5), 2),
        ];
        for name in &names {
            cluster.insert_snapshot(REPO, SeededSnapshot::new(name, SeededState::Success, 1));
        }
        cluster.insert_snapshot(
            REPO,
            SeededSnapshot::new("camunda_optimize_5_before_upgrade", SeededState::Success, 1),
        );
        store(&cluster)
            .delete_snapshots(REPO, &names)
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        assert_eq!(
            cluster.snapshot_names(REPO),
            ["camunda_optimize_5_before_upgrade"],
            "{flavor}"
        );

        let sent = snapshot_requests(&cluster);
        assert_eq!(sent.len(), 1, "{flavor}");
        assert_eq!(sent[0].method, Method::DELETE, "{flavor}");
        assert_eq!(
            sent[0].path,
            "/_snapshot/camunda_backup/camunda_optimize_5_8.6.0_part_1_of_2,camunda_optimize_5_8.6.0_part_2_of_2",
            "{flavor}"
        );
        assert!(
            sent[0].query.is_empty(),
            "{flavor}: no wait_for_completion, the default waits"
        );
    }
}

#[tokio::test]
async fn delete_aborts_a_running_snapshot() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.set_completion_delay(Duration::from_secs(600));
        let store = store(&cluster);
        store.create_snapshot(REPO, &part(6, 1)).await.unwrap();
        store
            .delete_snapshots(REPO, &[part(6, 1).name])
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        assert!(cluster.snapshot_names(REPO).is_empty(), "{flavor}");
    }
}

#[tokio::test]
async fn delete_of_a_missing_name_is_snapshot_missing_and_deletes_nothing() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let present = plan().snapshot_name(id(8), 1);
        let gone = plan().snapshot_name(id(8), 2);
        cluster.insert_snapshot(REPO, SeededSnapshot::new(&present, SeededState::Success, 1));
        let result = store(&cluster)
            .delete_snapshots(REPO, &[present.clone(), gone.clone()])
            .await;
        match result {
            Err(StoreError::SnapshotMissing { name, detail }) => {
                assert_eq!(name, gone, "{flavor}");
                assert!(
                    detail.contains("answered HTTP 404 while deleting snapshots")
                        && detail.contains("snapshot_missing_exception: "),
                    "{flavor}: {detail}"
                );
            }
            other => panic!("{flavor}: {other:?}"),
        }
        assert_eq!(cluster.snapshot_names(REPO), [present], "{flavor}");
    }
}

#[tokio::test]
async fn delete_in_a_missing_repository_is_repository_missing() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let result = store(&cluster)
            .delete_snapshots("nope", &[part(1, 1).name])
            .await;
        assert_eq!(
            result,
            Err(StoreError::RepositoryMissing {
                repository: "nope".into()
            }),
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn delete_of_no_names_sends_nothing() {
    let cluster = cluster(Flavor::Elasticsearch8_15).await;
    store(&cluster).delete_snapshots(REPO, &[]).await.unwrap();
    assert!(cluster.requests().is_empty());
}

// ---------------------------------------------------------------- cluster info

#[tokio::test]
async fn one_root_request_per_store() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let store = store(&cluster);
        store
            .find_snapshots(REPO, "camunda_optimize_1_*")
            .await
            .unwrap();
        store.create_snapshot(REPO, &part(1, 1)).await.unwrap();
        store
            .delete_snapshots(REPO, &[part(1, 1).name])
            .await
            .unwrap();
        store
            .find_snapshots(REPO, "camunda_optimize_1_*")
            .await
            .unwrap();
        assert_eq!(root_requests(&cluster), 1, "{flavor}");
        let first = cluster.requests().into_iter().next().unwrap();
        assert_eq!(
            (first.method, first.path.as_str()),
            (Method::GET, "/"),
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn a_failed_root_request_is_retried_by_the_next_call() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.inject_fault(
            Fault::respond(503, "application/json", r#"{"error":{"root_cause":[{"type":"master_not_discovered_exception","reason":null}],"type":"master_not_discovered_exception","reason":null},"status":503}"#)
                .method(Method::GET)
                .path_prefix("/")
                .times(1),
        );
        let store = store(&cluster);
        let first = store.find_snapshots(REPO, "camunda_optimize_1_*").await;
        assert_eq!(
            first,
            Err(StoreError::Cluster {
                product: product(flavor),
                operation: Operation::ReadClusterInfo,
                status: 503,
                detail: "master_not_discovered_exception".into(),
            }),
            "{flavor}"
        );
        store
            .find_snapshots(REPO, "camunda_optimize_1_*")
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        store
            .find_snapshots(REPO, "camunda_optimize_1_*")
            .await
            .unwrap();
        assert_eq!(root_requests(&cluster), 2, "{flavor}");
    }
}

#[tokio::test]
async fn an_unreachable_root_is_retried_and_reported_as_unreachable() {
    let cluster = cluster(Flavor::OpenSearch2).await;
    cluster.inject_fault(Fault::close_connection().path_prefix("/").times(1));
    let store = store(&cluster);
    let first = store.find_snapshots(REPO, "camunda_optimize_1_*").await;
    assert!(
        matches!(
            &first,
            Err(StoreError::Unreachable {
                product: Product::OpenSearch,
                operation: Operation::ReadClusterInfo,
                ..
            })
        ),
        "{first:?}"
    );
    store
        .find_snapshots(REPO, "camunda_optimize_1_*")
        .await
        .unwrap();
    assert_eq!(root_requests(&cluster), 2);
}

#[tokio::test]
async fn an_unreadable_root_is_unreadable_and_retried() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.inject_fault(
            Fault::respond(200, "text/html", "<html>Sign in</html>")
                .path_prefix("/")
                .times(1),
        );
        cluster.inject_fault(
            Fault::respond(
                200,
                "application/json",
                r#"{"name":"n","version":{"number":"banana"}}"#,
            )
            .path_prefix("/")
            .times(1),
        );
        let store = store(&cluster);
        for _ in 0..2 {
            let result = store.find_snapshots(REPO, "x_*").await;
            assert!(
                matches!(
                    &result,
                    Err(StoreError::Unreadable {
                        operation: Operation::ReadClusterInfo,
                        status: 200,
                        ..
                    })
                ),
                "{flavor}: {result:?}"
            );
        }
        assert_eq!(
            store.find_snapshots(REPO, "x_*").await,
            Ok(vec![]),
            "{flavor}"
        );
        assert_eq!(root_requests(&cluster), 3, "{flavor}");
    }
}

#[tokio::test]
async fn a_store_of_the_other_product_uses_the_detected_dialect() {
    // A store for Elasticsearch at OpenSearch: nothing ES-only is sent.
    let os = cluster(Flavor::OpenSearch2).await;
    let store = ClusterStore::builder(Product::Elasticsearch, os.url())
        .build()
        .unwrap();
    store
        .find_snapshots(REPO, "camunda_optimize_1_*")
        .await
        .unwrap();
    assert_eq!(
        query(&snapshot_requests(&os)[0]),
        expected_find_query(Flavor::OpenSearch2)
    );
    assert_eq!(store.describe(), format!("OpenSearch at {}", os.url()));
    assert_eq!(
        store.cluster_info().await.unwrap().product,
        Product::OpenSearch
    );

    // A store for OpenSearch at ES 8.15: the ES 8.15 parameters are used.
    let es = cluster(Flavor::Elasticsearch8_15).await;
    let store = ClusterStore::builder(Product::OpenSearch, es.url())
        .build()
        .unwrap();
    assert_eq!(store.describe(), format!("OpenSearch at {}", es.url()));
    let missing = store.find_snapshots("nope", "x_*").await;
    assert_eq!(
        missing,
        Err(StoreError::RepositoryMissing {
            repository: "nope".into()
        })
    );
    assert_eq!(
        query(&snapshot_requests(&es)[0]),
        expected_find_query(Flavor::Elasticsearch8_15)
    );
    assert_eq!(store.describe(), format!("Elasticsearch at {}", es.url()));
}

#[tokio::test]
async fn cluster_info_reports_product_and_version() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let info = ClusterStore::builder(product(flavor), cluster.url())
            .build()
            .unwrap()
            .cluster_info()
            .await
            .unwrap();
        assert_eq!(info.product, product(flavor), "{flavor}");
        assert_eq!(info.number, flavor.version(), "{flavor}");
    }
}

// ---------------------------------------------------------------- errors

fn find_op() -> Operation {
    Operation::ReadSnapshots {
        pattern: "camunda_optimize_1_*".into(),
    }
}

async fn find_with_fault(
    flavor: Flavor,
    fault: Fault,
) -> Result<Vec<backup_actuator_core::SnapshotRecord>, StoreError> {
    let cluster = cluster(flavor).await;
    cluster.inject_fault(fault.path_prefix("/_snapshot/"));
    store(&cluster)
        .find_snapshots(REPO, "camunda_optimize_1_*")
        .await
}

#[tokio::test]
async fn unauthorized_is_a_cluster_error_with_the_products_body() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.require_basic_auth("elastic", "right");
        let store = Arc::new(
            ClusterStore::builder(product(flavor), cluster.url())
                .basic_auth("elastic", "wrong")
                .build()
                .unwrap(),
        ) as Arc<dyn SnapshotStore>;
        let result = store.find_snapshots(REPO, "camunda_optimize_1_*").await;
        let Err(StoreError::Cluster {
            product: p,
            operation,
            status: 401,
            detail,
        }) = &result
        else {
            panic!("{flavor}: {result:?}");
        };
        assert_eq!(*p, product(flavor), "{flavor}");
        assert_eq!(*operation, Operation::ReadClusterInfo, "{flavor}");
        if flavor.is_opensearch() {
            assert_eq!(detail, "Unauthorized", "{flavor}");
        } else {
            assert!(
                detail.starts_with("security_exception: unable to authenticate user [elastic]"),
                "{flavor}: {detail}"
            );
        }
        assert!(
            !result.unwrap_err().to_string().contains("wrong"),
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn forbidden_and_server_errors_are_cluster_errors() {
    for flavor in Flavor::ALL {
        let forbidden = find_with_fault(
            flavor,
            Fault::respond(403, "application/json", r#"{"error":{"root_cause":[{"type":"security_exception","reason":"action [cluster:admin/snapshot/get] is unauthorized for user [u]"}],"type":"security_exception","reason":"action [cluster:admin/snapshot/get] is unauthorized for user [u]"},"status":403}"#),
        )
        .await;
        assert_eq!(
            forbidden,
            Err(StoreError::Cluster {
                product: product(flavor),
                operation: find_op(),
                status: 403,
                detail: "security_exception: action [cluster:admin/snapshot/get] is unauthorized for user [u]".into(),
            }),
            "{flavor}"
        );

        let html = format!(
            "<html><head><title>500 Internal Server Error</title></head><body>{}</body></html>",
            "x".repeat(300)
        );
        let proxy = find_with_fault(flavor, Fault::respond(500, "text/html", html.clone())).await;
        assert_eq!(
            proxy,
            Err(StoreError::Cluster {
                product: product(flavor),
                operation: find_op(),
                status: 500,
                detail: html.chars().take(200).collect(),
            }),
            "{flavor}"
        );

        let unavailable = find_with_fault(
            flavor,
            Fault::respond(503, "application/json", r#"{"error":{"root_cause":[{"type":"process_cluster_event_timeout_exception","reason":"failed to process cluster event within 30s"}],"type":"process_cluster_event_timeout_exception","reason":"failed to process cluster event within 30s"},"status":503}"#),
        )
        .await;
        assert!(
            matches!(&unavailable, Err(StoreError::Cluster { status: 503, detail, .. }) if detail == "process_cluster_event_timeout_exception: failed to process cluster event within 30s"),
            "{flavor}: {unavailable:?}"
        );

        let aws = find_with_fault(
            flavor,
            Fault::respond(
                403,
                "application/json",
                r#"{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet"}"#,
            ),
        )
        .await;
        assert!(
            matches!(&aws, Err(StoreError::Cluster { status: 403, detail, .. }) if detail == "User: anonymous is not authorized to perform: es:ESHttpGet"),
            "{flavor}: {aws:?}"
        );

        let not_acceptable = find_with_fault(
            flavor,
            Fault::respond(
                406,
                "application/json",
                r#"{"error":"Content-Type header [text/plain] is not supported","status":406}"#,
            ),
        )
        .await;
        assert!(
            matches!(&not_acceptable, Err(StoreError::Cluster { status: 406, detail, .. }) if detail == r#"{"error":"Content-Type header [text/plain] is not supported","status":406}"#),
            "{flavor}: {not_acceptable:?}"
        );
    }
}

#[tokio::test]
async fn unreadable_complete_answers_are_unreadable() {
    for flavor in Flavor::ALL {
        let malformed = find_with_fault(flavor, Fault::malformed()).await;
        assert!(
            matches!(&malformed, Err(StoreError::Unreadable { status: 200, operation, .. }) if *operation == find_op()),
            "{flavor}: {malformed:?}"
        );
        let cut_but_complete = find_with_fault(
            flavor,
            Fault::respond(
                200,
                "application/json",
                r#"{"snapshots":[{"snapshot":"camunda_optimize_1_8.6.0_part_1_of_2","sta"#,
            ),
        )
        .await;
        assert!(
            matches!(
                &cut_but_complete,
                Err(StoreError::Unreadable { status: 200, .. })
            ),
            "{flavor}: {cut_but_complete:?}"
        );
        let wrong_shape = find_with_fault(
            flavor,
            Fault::respond(200, "application/json", r#"{"acknowledged":true}"#),
        )
        .await;
        assert!(
            matches!(
                &wrong_shape,
                Err(StoreError::Unreadable { status: 200, .. })
            ),
            "{flavor}: {wrong_shape:?}"
        );
        let html = find_with_fault(
            flavor,
            Fault::respond(200, "text/html", "<html>login</html>"),
        )
        .await;
        assert!(
            matches!(&html, Err(StoreError::Unreadable { detail, .. }) if detail.contains("<html>login</html>")),
            "{flavor}: {html:?}"
        );
    }
}

#[tokio::test]
async fn broken_connections_are_unreachable() {
    for flavor in Flavor::ALL {
        for (what, fault) in [
            ("closed", Fault::close_connection()),
            ("closed after handling", Fault::close_after_handling()),
            ("reset mid-body", Fault::reset_mid_body()),
            ("truncated", Fault::truncated()),
        ] {
            let result = find_with_fault(flavor, fault).await;
            assert!(
                matches!(&result, Err(StoreError::Unreachable { operation, .. }) if *operation == find_op()),
                "{flavor} {what}: {result:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_create_whose_answer_breaks_off_is_unreachable() {
    let cluster = cluster(Flavor::Elasticsearch9).await;
    cluster.inject_fault(Fault::close_after_handling().method(Method::PUT));
    let result = store(&cluster).create_snapshot(REPO, &part(1, 1)).await;
    assert!(
        matches!(&result, Err(StoreError::Unreachable { operation: Operation::CreateSnapshot { name }, .. }) if *name == part(1, 1).name),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_unreachable_without_credentials() {
    let refusing = RefusingPort::reserve().unwrap();
    let port = refusing.addr().port();
    let store = ClusterStore::builder(
        Product::Elasticsearch,
        format!("http://elastic:s3cret@127.0.0.1:{port}"),
    )
    .build()
    .unwrap();
    let result = store.find_snapshots(REPO, "camunda_optimize_1_*").await;
    let Err(
        error @ StoreError::Unreachable {
            product: Product::Elasticsearch,
            operation: Operation::ReadClusterInfo,
            ..
        },
    ) = &result
    else {
        panic!("{result:?}");
    };
    let text = error.to_string();
    assert!(
        !text.contains("s3cret") && !text.contains("elastic:"),
        "{text}"
    );
    assert!(
        text.starts_with(
            "Encountered an error connecting to Elasticsearch while reading the cluster version: "
        ),
        "{text}"
    );
    assert_eq!(
        store.describe(),
        format!("Elasticsearch at http://127.0.0.1:{port}")
    );
    assert!(!format!("{store:?}").contains("s3cret"));
}

#[tokio::test]
async fn a_slow_cluster_is_unreachable_within_the_timeout() {
    for flavor in [Flavor::Elasticsearch8_15, Flavor::OpenSearch3] {
        let cluster = cluster(flavor).await;
        let timeout = Duration::from_millis(300);
        let store: Arc<dyn SnapshotStore> = Arc::new(
            ClusterStore::builder(product(flavor), cluster.url())
                .request_timeout(timeout)
                .build()
                .unwrap(),
        );
        store.find_snapshots(REPO, "a_*").await.unwrap();
        cluster.inject_fault(Fault::delay(Duration::from_secs(5)).path_prefix("/_snapshot/"));
        let started = Instant::now();
        let result = store.find_snapshots(REPO, "camunda_optimize_1_*").await;
        let took = started.elapsed();
        assert!(
            matches!(&result, Err(StoreError::Unreachable { .. })),
            "{flavor}: {result:?}"
        );
        assert!(took < Duration::from_secs(2), "{flavor}: took {took:?}");
    }
}

#[tokio::test]
async fn error_answers_to_create_and_delete_carry_their_operation() {
    let cluster = cluster(Flavor::OpenSearch1).await;
    cluster.inject_fault(Fault::respond(502, "text/plain", "Bad Gateway").method(Method::DELETE));
    let result = store(&cluster)
        .delete_snapshots(REPO, &["a".into(), "b".into()])
        .await;
    assert_eq!(
        result,
        Err(StoreError::Cluster {
            product: Product::OpenSearch,
            operation: Operation::DeleteSnapshots {
                names: vec!["a".into(), "b".into()]
            },
            status: 502,
            detail: "Bad Gateway".into(),
        })
    );
    cluster.inject_fault(Fault::malformed().method(Method::PUT));
    let result = store(&cluster).create_snapshot(REPO, &part(1, 1)).await;
    assert!(
        matches!(&result, Err(StoreError::Unreadable { status: 200, .. })),
        "{result:?}"
    );
}

// ---------------------------------------------------------------- auth

fn authorization(cluster: &EmulatedCluster) -> Vec<String> {
    cluster
        .requests()
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn basic_auth_is_sent_on_every_request() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.require_basic_auth("backup", "pa:ss");
        let store: Arc<dyn SnapshotStore> = Arc::new(
            ClusterStore::builder(product(flavor), cluster.url())
                .basic_auth("backup", "pa:ss")
                .build()
                .unwrap(),
        );
        store
            .create_snapshot(REPO, &part(1, 1))
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        assert_eq!(
            store
                .find_snapshots(REPO, "camunda_optimize_1_*")
                .await
                .unwrap()
                .len(),
            1,
            "{flavor}"
        );
        let sent = authorization(&cluster);
        assert_eq!(sent.len(), 3, "{flavor}");
        assert!(
            sent.iter().all(|h| h == "Basic YmFja3VwOnBhOnNz"),
            "{flavor}: {sent:?}"
        );
    }
}

#[tokio::test]
async fn credentials_in_the_url_are_basic_auth() {
    let cluster = cluster(Flavor::OpenSearch3).await;
    cluster.require_basic_auth("admin", "adm!n");
    let url = cluster.url().replace("http://", "http://admin:adm%21n@");
    let store = ClusterStore::builder(Product::OpenSearch, url)
        .build()
        .unwrap();
    store.find_snapshots(REPO, "x_*").await.unwrap();
    assert_eq!(store.describe(), format!("OpenSearch at {}", cluster.url()));
}

#[tokio::test]
async fn api_key_is_sent_to_elasticsearch() {
    for flavor in Flavor::ALL.into_iter().filter(|f| !f.is_opensearch()) {
        let cluster = cluster(flavor).await;
        let key = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
        cluster.require_api_key(key);
        let store = ClusterStore::builder(Product::Elasticsearch, cluster.url())
            .api_key(key)
            .build()
            .unwrap();
        store
            .find_snapshots(REPO, "x_*")
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        assert!(
            authorization(&cluster)
                .iter()
                .all(|h| *h == format!("ApiKey {key}")),
            "{flavor}"
        );
    }
}

/// An API key is an Elasticsearch credential: a store for OpenSearch
/// refuses it when built, before anything is sent.
#[tokio::test]
async fn an_api_key_for_opensearch_is_refused_at_build() {
    use backup_actuator_search::ConfigError;

    let cluster = cluster(Flavor::OpenSearch2).await;
    let refused = ClusterStore::builder(Product::OpenSearch, cluster.url())
        .api_key("VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==")
        .build()
        .unwrap_err();
    assert_eq!(
        refused,
        ConfigError::ApiKeyNotSupported {
            product: Product::OpenSearch
        }
    );
    assert_eq!(
        refused.to_string(),
        "an API key is an Elasticsearch credential; OpenSearch has none"
    );
    assert!(cluster.requests().is_empty());
}

#[tokio::test]
async fn bearer_token_is_sent() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        cluster.require_bearer_token("eyJhbGciOiJIUzI1NiJ9.e30.sig");
        let store: Arc<dyn SnapshotStore> = Arc::new(
            ClusterStore::builder(product(flavor), cluster.url())
                .bearer_token("eyJhbGciOiJIUzI1NiJ9.e30.sig")
                .build()
                .unwrap(),
        );
        store
            .find_snapshots(REPO, "x_*")
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        assert!(
            authorization(&cluster)
                .iter()
                .all(|h| h == "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"),
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn no_credentials_means_no_authorization_header() {
    let cluster = cluster(Flavor::Elasticsearch7_10).await;
    store(&cluster).find_snapshots(REPO, "x_*").await.unwrap();
    assert!(authorization(&cluster).iter().all(String::is_empty));
}

// ---------------------------------------------------------------- paths

#[tokio::test]
async fn repository_names_are_percent_encoded() {
    for flavor in [Flavor::Elasticsearch9, Flavor::OpenSearch2] {
        let cluster = cluster(flavor).await;
        let repo = "backups é#1";
        cluster.add_repository(repo);
        let store = store(&cluster);
        store
            .create_snapshot(repo, &part(1, 1))
            .await
            .unwrap_or_else(|e| panic!("{flavor}: {e}"));
        let found = store
            .find_snapshots(repo, &plan().lookup_pattern(id(1)))
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{flavor}");
        let sent = snapshot_requests(&cluster);
        assert!(
            sent.iter()
                .all(|r| r.path.starts_with("/_snapshot/backups%20%C3%A9%231/")),
            "{flavor}: {sent:?}"
        );
        assert_eq!(
            sent[0].decoded_path(),
            format!("/_snapshot/{repo}/{}", part(1, 1).name),
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn a_path_prefix_in_the_url_is_kept() {
    // The emulator only serves the root, so a prefix shows up in the recorded path.
    let cluster = cluster(Flavor::OpenSearch2).await;
    let store = ClusterStore::builder(Product::OpenSearch, format!("{}/proxy", cluster.url()))
        .build()
        .unwrap();
    let _ = store.find_snapshots(REPO, "x_*").await;
    let sent = cluster.requests();
    assert_eq!(sent[0].path, "/proxy/");
}

// ---------------------------------------------------------------- SigV4

#[cfg(feature = "aws-auth")]
#[tokio::test]
async fn aws_sigv4_signs_every_request_for_service_es() {
    use aws_credential_types::provider::SharedCredentialsProvider;

    let cluster = cluster(Flavor::OpenSearch2).await;
    let credentials = SharedCredentialsProvider::new(aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Some("session-token".into()),
        None,
        "test",
    ));
    let store = ClusterStore::builder(Product::OpenSearch, cluster.url())
        .aws_sigv4_with_credentials("eu-west-1", credentials)
        .build()
        .unwrap();
    assert!(!format!("{store:?}").contains("wJalr"));
    store.find_snapshots(REPO, "x_*").await.unwrap();
    for request in cluster.requests() {
        let auth = request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{auth}"
        );
        assert!(auth.contains("/eu-west-1/es/aws4_request"), "{auth}");
        assert!(request.headers.contains_key("x-amz-date"));
        assert_eq!(
            request.headers.get("x-amz-security-token").unwrap(),
            "session-token"
        );
    }
}

/// Set in the copy of this binary that
/// `aws_sigv4_needs_credentials_and_excludes_header_auth` starts without AWS
/// credentials in its environment.
#[cfg(feature = "aws-auth")]
const IN_A_CLEAN_ENVIRONMENT: &str = "BACKUP_ACTUATOR_TEST_AWS_ENV_CLEARED";

#[cfg(feature = "aws-auth")]
#[test]
fn aws_sigv4_needs_credentials_and_excludes_header_auth() {
    use backup_actuator_search::ConfigError;

    // Without credentials in the environment. Changing this process's
    // environment would race the other tests' threads reading it, so the
    // case runs in a copy of this test binary started without them.
    if std::env::var_os(IN_A_CLEAN_ENVIRONMENT).is_some() {
        let result = ClusterStore::builder(Product::OpenSearch, "https://search.example:443")
            .aws_sigv4("eu-west-1")
            .build();
        assert!(
            matches!(result, Err(ConfigError::Credentials { .. })),
            "{result:?}"
        );
        return;
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "aws_sigv4_needs_credentials_and_excludes_header_auth",
        ])
        .env(IN_A_CLEAN_ENVIRONMENT, "1");
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        child.env_remove(name);
    }
    let output = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    // The copy ran this one test, not zero (a filter that matched nothing).
    assert!(stdout.contains("1 passed"), "{stdout}");

    let credentials = aws_credential_types::provider::SharedCredentialsProvider::new(
        aws_credential_types::Credentials::new("AKID", "secret", None, None, "test"),
    );
    let both = ClusterStore::builder(Product::OpenSearch, "https://search.example:443")
        .basic_auth("u", "p")
        .aws_sigv4_with_credentials("eu-west-1", credentials)
        .build();
    assert!(
        matches!(both, Err(ConfigError::Credentials { .. })),
        "{both:?}"
    );
}

// ---------------------------------------------------------------- size

#[tokio::test]
async fn twenty_thousand_snapshots_are_read_in_pages_where_the_cluster_pages() {
    for flavor in [
        Flavor::Elasticsearch7_10,
        Flavor::Elasticsearch8_15,
        Flavor::OpenSearch2,
    ] {
        let cluster = cluster(flavor).await;
        cluster.insert_snapshots(
            REPO,
            (0..20_000u64).map(|n| {
                SeededSnapshot::new(
                    plan().snapshot_name(id(n), 1 + (n % 2) as u32),
                    SeededState::Success,
                    n as i64,
                )
                .with_indices(["optimize-report", "optimize-decision-definition"])
            }),
        );
        let started = Instant::now();
        let found = store(&cluster)
            .find_snapshots(REPO, &plan().list_pattern())
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(found.len(), 20_000, "{flavor}");
        let mut names: Vec<&str> = found.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            20_000,
            "{flavor}: no snapshot twice across pages"
        );
        let gets = snapshot_requests(&cluster).len();
        let expected = if flavor == Flavor::Elasticsearch8_15 {
            20_000 / backup_actuator_search::DEFAULT_PAGE_SIZE as usize
        } else {
            1
        };
        assert_eq!(gets, expected, "{flavor}");
        println!("{flavor}: 20000 snapshots in {gets} request(s), {took:?}");
    }
}

#[tokio::test]
async fn credentials_echoed_in_an_error_answer_are_redacted() {
    let cluster = cluster(Flavor::Elasticsearch8_15).await;
    let store = ClusterStore::builder(Product::Elasticsearch, cluster.url())
        .basic_auth("elastic", "s3cr3t-PASSWORD-xyz")
        .build()
        .unwrap();
    // A proxy that echoes the request's headers and more into its error page.
    let echoed = "<html>denied: Authorization: Basic ZWxhc3RpYzpzM2NyM3QtUEFTU1dPUkQteHl6 password=s3cr3t-PASSWORD-xyz</html>";
    cluster.inject_fault(Fault::respond(502, "text/html", echoed).path_prefix("/_snapshot/"));
    let err = store
        .find_snapshots(REPO, "camunda_optimize_*")
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, StoreError::Cluster { status: 502, .. }),
        "{err:?}"
    );
    assert!(!message.contains("s3cr3t-PASSWORD-xyz"), "{message}");
    assert!(
        !message.contains("ZWxhc3RpYzpzM2NyM3QtUEFTU1dPUkQteHl6"),
        "{message}"
    );
    assert!(
        message.contains("Basic [redacted] password=[redacted]"),
        "{message}"
    );
}

#[tokio::test]
async fn spec_11_the_health_check_reads_the_repository_registration_only() {
    for flavor in Flavor::ALL {
        let cluster = cluster(flavor).await;
        let store = store(&cluster);
        assert_eq!(store.check_health(REPO).await, Ok(()), "{flavor}");
        let sent: Vec<String> = snapshot_requests(&cluster)
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert_eq!(sent, [format!("GET /_snapshot/{REPO}")], "{flavor}");
        assert_eq!(
            store.check_health("nope").await,
            Err(StoreError::RepositoryMissing {
                repository: "nope".into()
            }),
            "{flavor}"
        );
    }
}

#[tokio::test]
async fn spec_11_the_health_check_of_an_unreachable_cluster_says_why_without_credentials() {
    let refusing = RefusingPort::reserve().unwrap();
    let port = refusing.addr().port();
    let store = ClusterStore::builder(
        Product::OpenSearch,
        format!("http://admin:s3cret@127.0.0.1:{port}"),
    )
    .build()
    .unwrap();
    let result = store.check_health(REPO).await;
    let Err(error @ StoreError::Unreachable { .. }) = &result else {
        panic!("{result:?}");
    };
    let text = error.to_string();
    assert!(!text.contains("s3cret"), "{text}");
    assert!(
        text.starts_with("Encountered an error connecting to OpenSearch"),
        "{text}"
    );
}
