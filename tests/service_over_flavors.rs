//! The service end to end over every emulated cluster flavor: each state
//! rule, 404, missing repository, duplicate, rollback of a refused part,
//! delete — and exactly which requests reach the cluster for each route.

use std::sync::Arc;
use std::time::Duration;

use backup_actuator::{
    BackupPlan, BackupService, ClusterStore, Compatibility, Product, SnapshotStore,
};
use backup_actuator_testkit::{
    EmulatedCluster, EmulatedShardFailure, EmulatedSnapshotState, Flavor, SeededSnapshot,
    SnapshotRule,
};
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use tower::ServiceExt;

const REPO: &str = "camunda_backup";
const START: i64 = 1_731_585_600_123; // 2024-11-14T12:00:00.123Z

fn store(flavor: Flavor, url: &str) -> Arc<dyn SnapshotStore> {
    let product = if flavor.is_opensearch() {
        Product::OpenSearch
    } else {
        Product::Elasticsearch
    };
    Arc::new(ClusterStore::builder(product, url).build().unwrap())
}

fn service(
    flavor: Flavor,
    cluster: &EmulatedCluster,
    repository: &str,
    compat: Compatibility,
) -> BackupService {
    BackupService::builder(
        store(flavor, &cluster.url()),
        BackupPlan::optimize("8.6.0").unwrap(),
    )
    .repository(repository)
    .compatibility(compat)
    .build()
}

async fn send(service: &BackupService, method: Method, path: &str, body: &str) -> (u16, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = service.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

fn seed(cluster: &EmulatedCluster, id: u64, parts: &[(&str, EmulatedSnapshotState)]) {
    for (i, (suffix, state)) in parts.iter().enumerate() {
        let mut snapshot = SeededSnapshot::new(
            format!("camunda_optimize_{id}_{suffix}"),
            *state,
            START + i as i64,
        );
        if *state == EmulatedSnapshotState::Partial {
            snapshot = snapshot.with_failures(vec![EmulatedShardFailure::new(
                "optimize-report_v8",
                0,
                "primary shard is not allocated",
            )]);
        }
        cluster.insert_snapshot(REPO, snapshot);
    }
}

/// A request as the cluster saw it: method, decoded path, query pairs.
type Sent = (Method, String, Vec<(String, String)>);

/// Requests that reach the cluster, without the one-time `GET /`.
fn snapshot_requests(cluster: &EmulatedCluster) -> Vec<Sent> {
    cluster
        .requests()
        .into_iter()
        .filter(|r| r.path != "/")
        .map(|r| (r.method.clone(), r.decoded_path(), r.query.clone()))
        .collect()
}

fn expected_find_query(flavor: Flavor) -> Vec<(String, String)> {
    // SPEC §6: on every version.
    let mut query = vec![
        (
            "filter_path".to_owned(),
            backup_actuator::search::SNAPSHOT_FILTER_PATH.to_owned(),
        ),
        ("ignore_unavailable".to_owned(), "true".to_owned()),
    ];
    if matches!(
        flavor,
        Flavor::Elasticsearch8_3
            | Flavor::Elasticsearch8_13
            | Flavor::Elasticsearch8_15
            | Flavor::Elasticsearch9
    ) {
        query.push(("index_names".to_owned(), "false".to_owned()));
    }
    if matches!(
        flavor,
        Flavor::Elasticsearch7_17
            | Flavor::Elasticsearch8_3
            | Flavor::Elasticsearch8_13
            | Flavor::Elasticsearch8_15
            | Flavor::Elasticsearch9
    ) {
        query.push((
            "size".to_owned(),
            backup_actuator::search::DEFAULT_PAGE_SIZE.to_string(),
        ));
    }
    query
}

async fn state_rules(flavor: Flavor) {
    use EmulatedSnapshotState::*;
    let cluster = EmulatedCluster::start(flavor).await.unwrap();
    cluster.add_repository(REPO);
    let p1 = "8.6.0_part_1_of_2";
    let p2 = "8.6.0_part_2_of_2";
    seed(&cluster, 1, &[(p1, Success), (p2, Success)]);
    seed(&cluster, 2, &[(p1, Success), (p2, Failed)]);
    seed(&cluster, 3, &[(p1, Partial), (p2, Success)]);
    seed(&cluster, 4, &[(p1, Incompatible), (p2, Success)]);
    seed(&cluster, 5, &[(p1, Success), (p2, InProgress)]);
    seed(&cluster, 6, &[(p1, Success)]);
    seed(
        &cluster,
        7,
        &[(p1, Success), (p2, Success), ("8.5.0_part_2_of_2", Success)],
    );
    let documented = service(flavor, &cluster, REPO, Compatibility::Documented);
    let optimize = service(flavor, &cluster, REPO, Compatibility::OptimizeServer);

    let expect = [
        (1, "COMPLETE", Value::Null),
        (2, "FAILED", json!("The following snapshots failed: [camunda_optimize_2_8.6.0_part_2_of_2]")),
        (3, "FAILED", json!("The following snapshots failed: [camunda_optimize_3_8.6.0_part_1_of_2]")),
        (4, "INCOMPATIBLE", Value::Null),
        (5, "IN_PROGRESS", Value::Null),
        (6, "INCOMPLETE", json!("Missing parts: [2]")),
        (
            7,
            "FAILED",
            json!("Expected 2 snapshots but found 3 successful snapshots: [camunda_optimize_7_8.6.0_part_1_of_2, camunda_optimize_7_8.5.0_part_2_of_2, camunda_optimize_7_8.6.0_part_2_of_2]"),
        ),
    ];
    for (id, state, reason) in &expect {
        let (status, body) = send(
            &documented,
            Method::GET,
            &format!("/actuator/backups/{id}"),
            "",
        )
        .await;
        assert_eq!(status, 200, "{flavor} id {id}: {body}");
        assert_eq!(body["state"], *state, "{flavor} id {id}: {body}");
        assert_eq!(body["failureReason"], *reason, "{flavor} id {id}: {body}");
    }
    // Times and failures as the cluster reported them.
    let (_, one) = send(&documented, Method::GET, "/actuator/backups/3", "").await;
    assert_eq!(
        one["details"][0]["startTime"], "2024-11-14T12:00:00.123+0000",
        "{flavor}"
    );
    assert_eq!(one["details"][0]["state"], "PARTIAL");
    let failure = one["details"][0]["failures"][0].as_str().unwrap();
    assert!(
        failure.starts_with("[optimize-report_v8][0] primary shard is not allocated"),
        "{flavor}: {failure}"
    );

    let (_, complete) = send(&optimize, Method::GET, "/actuator/backups/1", "").await;
    assert_eq!(complete["state"], "COMPLETED", "{flavor}");

    // The list: every backup, by id, each exactly as GET one shows it.
    cluster.clear_requests();
    let (status, list) = send(&documented, Method::GET, "/actuator/backups", "").await;
    assert_eq!(status, 200);
    let ids: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["backupId"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7], "{flavor}");
    assert_eq!(
        snapshot_requests(&cluster),
        [(
            Method::GET,
            format!("/_snapshot/{REPO}/camunda_optimize_*"),
            expected_find_query(flavor)
        )],
        "{flavor}: list = one request"
    );
    for backup in list.as_array().unwrap() {
        let (_, one) = send(
            &documented,
            Method::GET,
            &format!("/actuator/backups/{}", backup["backupId"]),
            "",
        )
        .await;
        assert_eq!(&one, backup, "{flavor}");
    }

    // GET one: one request, and 404 when nothing matches (404 or [] on the wire).
    cluster.clear_requests();
    let (status, body) = send(&documented, Method::GET, "/actuator/backups/99", "").await;
    assert_eq!(status, 404, "{flavor}: {body}");
    assert_eq!(
        body["detailedMessage"],
        "No backup with ID [99] could be found."
    );
    assert_eq!(
        snapshot_requests(&cluster),
        [(
            Method::GET,
            format!("/_snapshot/{REPO}/camunda_optimize_99_*"),
            expected_find_query(flavor)
        )],
        "{flavor}: GET one = one request"
    );
    cluster.shutdown().await;
}

async fn missing_repository(flavor: Flavor) {
    let cluster = EmulatedCluster::start(flavor).await.unwrap();
    let documented = service(flavor, &cluster, "nope", Compatibility::Documented);
    let optimize = service(flavor, &cluster, "nope", Compatibility::OptimizeServer);
    for (method, path, body) in [
        (Method::GET, "/actuator/backups/1", ""),
        (Method::GET, "/actuator/backups", ""),
        (Method::POST, "/actuator/backups", r#"{"backupId":1}"#),
        (Method::DELETE, "/actuator/backups/1", ""),
    ] {
        let (status, answer) = send(&documented, method.clone(), path, body).await;
        assert_eq!(
            (status, answer["errorCode"].as_str()),
            (400, Some("badRequestError")),
            "{flavor} {method} {path}"
        );
        assert_eq!(
            answer["detailedMessage"],
            "No repository with name [nope] could be found."
        );
        let (status, answer) = send(&optimize, method.clone(), path, body).await;
        assert_eq!(
            (status, answer["errorCode"].as_str()),
            (500, Some("serverError")),
            "{flavor} {method} {path}"
        );
        assert_eq!(answer["reportDefinition"], Value::Null);
        assert!(answer.as_object().unwrap().contains_key("reportDefinition"));
    }
    cluster.shutdown().await;
}

async fn trigger_duplicate_rollback_delete(flavor: Flavor) {
    let cluster = EmulatedCluster::start(flavor).await.unwrap();
    cluster.add_repository(REPO);
    cluster.set_completion_delay(Duration::from_secs(60));
    let service = service(flavor, &cluster, REPO, Compatibility::Documented);

    // POST = look-up, claim, look-up, one create per part with the
    // documented body, release of the claim (SPEC §6).
    cluster.clear_requests();
    let (status, body) = send(
        &service,
        Method::POST,
        "/actuator/backups",
        r#"{"backupId":"20260220181029"}"#,
    )
    .await;
    assert_eq!(status, 202, "{flavor}: {body}");
    let requests = cluster.requests();
    let sent: Vec<_> = requests.iter().filter(|r| r.path != "/").collect();
    assert_eq!(sent.len(), 6, "{flavor}: {sent:?}");
    assert_eq!(
        sent[1].decoded_path(),
        format!("/_snapshot/{REPO}/camunda_optimize_20260220181029_claim")
    );
    assert_eq!(sent[5].method, Method::DELETE);
    assert_eq!(
        sent[5].decoded_path(),
        format!("/_snapshot/{REPO}/camunda_optimize_20260220181029_claim")
    );
    for (n, create) in sent[3..5].iter().enumerate() {
        assert_eq!(create.method, Method::PUT);
        assert_eq!(
            create.decoded_path(),
            format!(
                "/_snapshot/{REPO}/camunda_optimize_20260220181029_8.6.0_part_{}_of_2",
                n + 1
            )
        );
        assert_eq!(
            create.query,
            [("wait_for_completion".to_owned(), "false".to_owned())]
        );
        let body = create.body_json().unwrap();
        assert_eq!(body["include_global_state"], false);
        assert_eq!(
            body["metadata"],
            json!({"backupId": 20260220181029u64, "version": "8.6.0", "partNo": n + 1, "partCount": 2})
        );
    }
    // Polled right after the 202, it is found.
    let (status, body) = send(
        &service,
        Method::GET,
        "/actuator/backups/20260220181029",
        "",
    )
    .await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("IN_PROGRESS")),
        "{flavor}: {body}"
    );

    // Duplicate.
    let (status, body) = send(
        &service,
        Method::POST,
        "/actuator/backups",
        r#"{"backupId":20260220181029}"#,
    )
    .await;
    assert_eq!(status, 409, "{flavor}");
    assert_eq!(
        body["detailedMessage"],
        "A backup with ID [20260220181029] already exists. Found snapshots: [camunda_optimize_20260220181029_8.6.0_part_1_of_2, camunda_optimize_20260220181029_8.6.0_part_2_of_2]"
    );

    // A refused second part: the first is deleted again.
    cluster.add_rule(
        SnapshotRule::concurrent_snapshot_execution("camunda_optimize_8_*_part_2_of_2").times(1),
    );
    let (status, body) = send(
        &service,
        Method::POST,
        "/actuator/backups",
        r#"{"backupId":8}"#,
    )
    .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (500, Some("serverError")),
        "{flavor}: {body}"
    );
    assert!(
        body["detailedMessage"]
            .as_str()
            .unwrap()
            .contains("HTTP 503"),
        "{body}"
    );
    assert!(
        !cluster
            .snapshot_names(REPO)
            .iter()
            .any(|n| n.starts_with("camunda_optimize_8_")),
        "{flavor}"
    );

    // DELETE = one look-up + one DELETE of exactly the backup's names; a
    // hand-made snapshot that matches the wildcard stays.
    cluster.insert_snapshot(
        REPO,
        SeededSnapshot::new(
            "camunda_optimize_20260220181029_before_upgrade",
            EmulatedSnapshotState::Success,
            START,
        ),
    );
    cluster.clear_requests();
    let (status, _) = send(
        &service,
        Method::DELETE,
        "/actuator/backups/20260220181029",
        "",
    )
    .await;
    assert_eq!(status, 204, "{flavor}");
    let sent = snapshot_requests(&cluster);
    assert_eq!(sent.len(), 2, "{flavor}: {sent:?}");
    assert_eq!(
        (sent[1].0.clone(), sent[1].1.clone()),
        (
            Method::DELETE,
            format!("/_snapshot/{REPO}/camunda_optimize_20260220181029_8.6.0_part_1_of_2,camunda_optimize_20260220181029_8.6.0_part_2_of_2")
        )
    );
    assert!(
        sent[1].2.is_empty(),
        "{flavor}: DELETE takes no parameters here: {:?}",
        sent[1].2
    );
    assert_eq!(
        cluster.snapshot_names(REPO),
        ["camunda_optimize_20260220181029_before_upgrade"]
    );

    // Nothing left of it: 204 and no DELETE is sent.
    cluster.clear_requests();
    let (status, _) = send(
        &service,
        Method::DELETE,
        "/actuator/backups/20260220181029",
        "",
    )
    .await;
    assert_eq!(status, 204);
    assert!(
        snapshot_requests(&cluster)
            .iter()
            .all(|r| r.0 == Method::GET),
        "{flavor}"
    );
    cluster.shutdown().await;
}

/// SPEC §4/§5: POST's 409 names the parts found in `details` order, part
/// number then name, whatever order the cluster lists them in.
async fn conflict_in_details_order(flavor: Flavor) {
    use EmulatedSnapshotState::Success;
    let cluster = EmulatedCluster::start(flavor).await.unwrap();
    cluster.add_repository(REPO);
    seed(
        &cluster,
        9,
        &[
            ("8.6.0_part_1_of_2", Success),
            ("10.0.0_part_2_of_2", Success),
            ("8.5.0_part_1_of_2", Success),
        ],
    );
    let service = service(flavor, &cluster, REPO, Compatibility::Documented);
    let (status, body) = send(
        &service,
        Method::POST,
        "/actuator/backups",
        r#"{"backupId":9}"#,
    )
    .await;
    assert_eq!(status, 409, "{flavor}: {body}");
    assert_eq!(
        body["detailedMessage"],
        "A backup with ID [9] already exists. Found snapshots: [camunda_optimize_9_8.5.0_part_1_of_2, camunda_optimize_9_8.6.0_part_1_of_2, camunda_optimize_9_10.0.0_part_2_of_2]",
        "{flavor}"
    );
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_conflict_lists_the_parts_found_in_details_order_on_every_flavor() {
    for flavor in Flavor::ALL {
        conflict_in_details_order(flavor).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_rule_404_and_one_request_per_read_on_every_flavor() {
    for flavor in Flavor::ALL {
        state_rules(flavor).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_repository_is_400_or_optimize_500_on_every_flavor() {
    for flavor in Flavor::ALL {
        missing_repository(flavor).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_duplicate_rollback_and_delete_on_every_flavor() {
    for flavor in Flavor::ALL {
        trigger_duplicate_rollback_delete(flavor).await;
    }
}

/// SPEC §1's list parameters over the cluster's own answers:
/// `verbose=false` is one names-and-states request judged like the full
/// list, `pattern` reaches the cluster as `{prefix}_{pattern}`.
async fn list_parameters(flavor: Flavor) {
    use EmulatedSnapshotState::*;
    let cluster = EmulatedCluster::start(flavor).await.unwrap();
    cluster.add_repository(REPO);
    let p1 = "8.6.0_part_1_of_2";
    let p2 = "8.6.0_part_2_of_2";
    seed(&cluster, 1, &[(p1, Success), (p2, Success)]);
    seed(&cluster, 2, &[(p1, Success), (p2, Failed)]);
    seed(&cluster, 3, &[(p1, Partial), (p2, Success)]);
    seed(&cluster, 4, &[(p1, Incompatible), (p2, Success)]);
    seed(&cluster, 5, &[(p1, Success), (p2, InProgress)]);
    seed(&cluster, 6, &[(p1, Success)]);
    seed(&cluster, 31, &[(p1, Success), (p2, Success)]);
    seed(&cluster, 4, &[("before_upgrade", Success)]);
    let service = service(flavor, &cluster, REPO, Compatibility::Documented);

    let (_, full) = send(&service, Method::GET, "/actuator/backups", "").await;
    cluster.clear_requests();
    let (status, brief) = send(&service, Method::GET, "/actuator/backups?verbose=false", "").await;
    assert_eq!(status, 200, "{flavor}: {brief}");
    let (full, brief) = (full.as_array().unwrap(), brief.as_array().unwrap());
    assert_eq!(brief.len(), full.len(), "{flavor}");
    for (f, b) in full.iter().zip(brief) {
        assert_eq!(b["backupId"], f["backupId"], "{flavor}");
        assert_eq!(b["state"], f["state"], "{flavor}: {b}");
        assert_eq!(b["failureReason"], f["failureReason"], "{flavor}: {b}");
        let (fd, bd) = (
            f["details"].as_array().unwrap(),
            b["details"].as_array().unwrap(),
        );
        let names = |d: &[Value]| {
            d.iter()
                .map(|p| p["snapshotName"].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(bd),
            names(fd),
            "{flavor}: details sorted by part number"
        );
        for part in bd {
            assert_eq!(part["startTime"], Value::Null, "{flavor}: {part}");
            assert_eq!(part["failures"], json!([]), "{flavor}: {part}");
        }
    }
    let mut expected_query = vec![
        ("verbose".to_owned(), "false".to_owned()),
        (
            "filter_path".to_owned(),
            backup_actuator::search::SNAPSHOT_STATES_FILTER_PATH.to_owned(),
        ),
        ("ignore_unavailable".to_owned(), "true".to_owned()),
    ];
    if matches!(
        flavor,
        Flavor::Elasticsearch8_3
            | Flavor::Elasticsearch8_13
            | Flavor::Elasticsearch8_15
            | Flavor::Elasticsearch9
    ) {
        expected_query.push(("index_names".to_owned(), "false".to_owned()));
    }
    assert_eq!(
        snapshot_requests(&cluster),
        [(
            Method::GET,
            format!("/_snapshot/{REPO}/camunda_optimize_*"),
            expected_query
        )],
        "{flavor}: verbose=false = one request, never paged"
    );

    cluster.clear_requests();
    let (status, found) = send(&service, Method::GET, "/actuator/backup?pattern=3*", "").await;
    assert_eq!(status, 200, "{flavor}: {found}");
    let ids: Vec<u64> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["backupId"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [3, 31], "{flavor}");
    assert_eq!(
        snapshot_requests(&cluster),
        [(
            Method::GET,
            format!("/_snapshot/{REPO}/camunda_optimize_3*"),
            expected_find_query(flavor)
        )],
        "{flavor}: the cluster filters"
    );
    // `4*` also matches the hand-made `camunda_optimize_4_before_upgrade`:
    // the id rule leaves it out, on every version.
    let (_, four) = send(
        &service,
        Method::GET,
        "/actuator/backups?pattern=4*&verbose=false",
        "",
    )
    .await;
    assert_eq!(four.as_array().unwrap().len(), 1, "{flavor}: {four}");
    assert_eq!(
        four[0]["details"].as_array().unwrap().len(),
        2,
        "{flavor}: {four}"
    );
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_false_and_pattern_on_every_flavor() {
    for flavor in Flavor::ALL {
        list_parameters(flavor).await;
    }
}
