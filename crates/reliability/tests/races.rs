//! Races: several service instances (as several processes would be) on one
//! emulated cluster.

use std::sync::Arc;
use std::time::Duration;

use backup_actuator_core::{BackupPlan, Product};
use backup_actuator_reliability::call;
use backup_actuator_search::ClusterStore;
use backup_actuator_service::BackupService;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::{EmulatedCluster, Flavor, SnapshotRule};
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;

const REPO: &str = "backups";

fn instance(flavor: Flavor, url: &str) -> BackupService {
    versioned_instance(flavor, url, "8.6.0", Duration::from_secs(30))
}

/// An instance on `--app-version` `version`, its store calls bounded by
/// `request_timeout`, watching twice that long after an unknown outcome.
fn versioned_instance(
    flavor: Flavor,
    url: &str,
    version: &str,
    request_timeout: Duration,
) -> BackupService {
    let product = if flavor.is_opensearch() {
        Product::OpenSearch
    } else {
        Product::Elasticsearch
    };
    let store: Arc<dyn SnapshotStore> = Arc::new(
        ClusterStore::builder(product, url)
            .request_timeout(request_timeout)
            .build()
            .unwrap(),
    );
    BackupService::builder(store, BackupPlan::optimize(version).unwrap())
        .repository(REPO)
        .unknown_outcome_watch(request_timeout * 2)
        .build()
}

/// Waits (at most 10 s) until the repository holds exactly `names`.
async fn wait_for_names(cluster: &EmulatedCluster, names: &[&str]) -> Vec<String> {
    for _ in 0..200 {
        if cluster.snapshot_names(REPO) == names {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cluster.snapshot_names(REPO)
}

fn req(method: Method, path: &str, body: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

async fn three_instances_fifty_posts_of_one_id(flavor: Flavor) {
    let cluster = EmulatedCluster::start(flavor).await.unwrap();
    cluster.add_repository(REPO);
    let instances: Vec<BackupService> = (0..3).map(|_| instance(flavor, &cluster.url())).collect();

    let mut tasks = Vec::new();
    for i in 0..50 {
        let service = instances[i % 3].clone();
        tasks.push(tokio::spawn(async move {
            let (response, body) = call(
                &service,
                req(Method::POST, "/actuator/backups", r#"{"backupId": 42}"#),
            )
            .await;
            (response.status().as_u16(), body)
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            202 => accepted += 1,
            409 => {
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(json["errorCode"], "conflict");
                assert!(json["detailedMessage"]
                    .as_str()
                    .unwrap()
                    .starts_with("A backup with ID [42] already exists."));
            }
            other => panic!(
                "{flavor}: unexpected {other}: {}",
                String::from_utf8_lossy(&body)
            ),
        }
    }
    assert_eq!(accepted, 1, "{flavor}: exactly one POST wins");
    assert_eq!(
        cluster.snapshot_names(REPO),
        [
            "camunda_optimize_42_8.6.0_part_1_of_2",
            "camunda_optimize_42_8.6.0_part_2_of_2"
        ],
        "{flavor}: exactly the parts of one backup"
    );
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_posts_of_one_id_on_three_instances_give_one_202_elasticsearch() {
    three_instances_fifty_posts_of_one_id(Flavor::Elasticsearch8_15).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_posts_of_one_id_on_three_instances_give_one_202_opensearch() {
    three_instances_fifty_posts_of_one_id(Flavor::OpenSearch2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_whose_second_part_is_refused_leaves_no_snapshot_behind() {
    for flavor in [
        Flavor::Elasticsearch7_10,
        Flavor::Elasticsearch8_15,
        Flavor::OpenSearch2,
    ] {
        let cluster = EmulatedCluster::start(flavor).await.unwrap();
        cluster.add_repository(REPO);
        cluster.add_rule(SnapshotRule::concurrent_snapshot_execution("*_part_2_of_2"));
        let service = instance(flavor, &cluster.url());
        let (response, body) = call(
            &service,
            req(Method::POST, "/actuator/backups", r#"{"backupId": 7}"#),
        )
        .await;
        assert_eq!(
            response.status(),
            500,
            "{flavor}: {}",
            String::from_utf8_lossy(&body)
        );
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            json["detailedMessage"]
                .as_str()
                .unwrap()
                .contains("concurrent_snapshot_execution_exception"),
            "{json}"
        );
        assert!(
            cluster.snapshot_names(REPO).is_empty(),
            "{flavor}: {:?}",
            cluster.snapshot_names(REPO)
        );
        let (response, _) = call(&service, req(Method::GET, "/actuator/backups/7", "")).await;
        assert_eq!(response.status(), 404);
        cluster.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn get_and_delete_interleaved_with_creation_never_see_a_500() {
    for flavor in [Flavor::Elasticsearch8_15, Flavor::OpenSearch2] {
        let cluster = EmulatedCluster::start(flavor).await.unwrap();
        cluster.add_repository(REPO);
        cluster.set_completion_delay(Duration::from_millis(5));
        let instances: Vec<BackupService> =
            (0..3).map(|_| instance(flavor, &cluster.url())).collect();
        let mut tasks = Vec::new();
        for worker in 0..6u64 {
            let service = instances[worker as usize % 3].clone();
            tasks.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                for round in 0..25u64 {
                    let id = round % 5;
                    let (method, path, body) = match (worker + round) % 4 {
                        0 => (
                            Method::POST,
                            "/actuator/backups".to_owned(),
                            format!(r#"{{"backupId":{id}}}"#),
                        ),
                        1 => (
                            Method::GET,
                            format!("/actuator/backups/{id}"),
                            String::new(),
                        ),
                        2 => (
                            Method::DELETE,
                            format!("/actuator/backups/{id}"),
                            String::new(),
                        ),
                        _ => (Method::GET, "/actuator/backups".to_owned(), String::new()),
                    };
                    let (response, bytes) = call(&service, req(method.clone(), &path, &body)).await;
                    seen.push((method, path, response.status().as_u16(), bytes));
                }
                seen
            }));
        }
        for task in tasks {
            for (method, path, status, body) in task.await.unwrap() {
                let allowed: &[u16] = match method {
                    Method::POST => &[202, 409],
                    Method::DELETE => &[204],
                    _ if path.ends_with("/backups") => &[200],
                    _ => &[200, 404],
                };
                assert!(
                    allowed.contains(&status),
                    "{flavor}: {method} {path} -> {status} {}",
                    String::from_utf8_lossy(&body)
                );
            }
        }
        cluster.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_whose_create_answer_is_lost_leaves_no_snapshot_behind() {
    for flavor in [Flavor::Elasticsearch8_15, Flavor::OpenSearch2] {
        let cluster = EmulatedCluster::start(flavor).await.unwrap();
        cluster.add_repository(REPO);
        let service = instance(flavor, &cluster.url());
        // The second create is carried out, but its answer never arrives.
        cluster.inject_fault(
            backup_actuator_testkit::Fault::close_after_handling()
                .method(Method::PUT)
                .path_prefix(format!(
                    "/_snapshot/{REPO}/camunda_optimize_9_8.6.0_part_2_of_2"
                )),
        );
        let (response, body) = call(
            &service,
            req(Method::POST, "/actuator/backups", r#"{"backupId": 9}"#),
        )
        .await;
        assert_eq!(
            response.status(),
            502,
            "{flavor}: {}",
            String::from_utf8_lossy(&body)
        );
        // Part 1 at once; part 2 (unknown outcome) and the claim by the
        // watch in the background.
        let left = wait_for_names(&cluster, &[]).await;
        assert!(
            left.is_empty(),
            "{flavor}: both parts are rolled back: {left:?}"
        );
        cluster.shutdown().await;
    }
}

/// SPEC §6: of many concurrent POSTs of one id exactly one gets 202, also
/// across instances on different versions (whose part names differ, so the
/// part names' uniqueness alone cannot decide): the claim decides.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spec_6_mixed_versions_fifty_concurrent_posts_give_exactly_one_202_in_each_of_20_rounds() {
    for flavor in [Flavor::Elasticsearch7_10, Flavor::OpenSearch2] {
        let cluster = EmulatedCluster::start(flavor).await.unwrap();
        cluster.add_repository(REPO);
        let instances: Vec<BackupService> = ["8.6.0", "8.6.1", "8.7.0"]
            .iter()
            .map(|version| {
                versioned_instance(flavor, &cluster.url(), version, Duration::from_secs(30))
            })
            .collect();
        for round in 0..20u64 {
            let id = 1000 + round;
            let mut tasks = Vec::new();
            for i in 0..50 {
                let service = instances[i % 3].clone();
                let body = format!(r#"{{"backupId": {id}}}"#);
                tasks.push(tokio::spawn(async move {
                    let (response, body) =
                        call(&service, req(Method::POST, "/actuator/backups", &body)).await;
                    (response.status().as_u16(), body)
                }));
            }
            let mut accepted = 0;
            for task in tasks {
                let (status, body) = task.await.unwrap();
                match status {
                    202 => accepted += 1,
                    409 => {}
                    other => panic!(
                        "{flavor} round {round}: {other} {}",
                        String::from_utf8_lossy(&body)
                    ),
                }
            }
            assert_eq!(accepted, 1, "{flavor} round {round}");
            // One version's two parts, no claim left, and the backup reads
            // as one whole backup.
            let names: Vec<String> = cluster
                .snapshot_names(REPO)
                .into_iter()
                .filter(|n| n.starts_with(&format!("camunda_optimize_{id}_")))
                .collect();
            assert_eq!(names.len(), 2, "{flavor} round {round}: {names:?}");
            assert!(names.iter().all(|n| n.contains("_part_")), "{names:?}");
            let (response, body) = call(
                &instances[0],
                req(Method::GET, &format!("/actuator/backups/{id}"), ""),
            )
            .await;
            assert_eq!(response.status(), 200);
            let info: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_ne!(info["state"], "FAILED", "{flavor} round {round}: {info}");
        }
        cluster.shutdown().await;
    }
}

/// SPEC §6 (a refused or lost part is rolled back), for a create whose
/// answer times out and that the cluster carries out later: the watch
/// after the unknown outcome deletes the part when it appears, and the
/// 502 says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_6_a_part_created_after_the_post_timed_out_is_removed_by_the_watch() {
    for flavor in [Flavor::Elasticsearch8_15, Flavor::OpenSearch2] {
        let cluster = EmulatedCluster::start(flavor).await.unwrap();
        cluster.add_repository(REPO);
        let service =
            versioned_instance(flavor, &cluster.url(), "8.6.0", Duration::from_millis(500));
        // Part 1 is created 1.5 s after its request, long after the
        // client's 500 ms timeout.
        cluster.inject_fault(
            backup_actuator_testkit::Fault::handle_late(Duration::from_millis(1500))
                .method(Method::PUT)
                .path_prefix(format!(
                    "/_snapshot/{REPO}/camunda_optimize_7_8.6.0_part_1_of_2"
                ))
                .times(1),
        );
        let (response, body) = call(
            &service,
            req(Method::POST, "/actuator/backups", r#"{"backupId": 7}"#),
        )
        .await;
        let body = String::from_utf8_lossy(&body);
        assert_eq!(response.status(), 502, "{flavor}: {body}");
        assert!(
            body.contains("The part may still appear in the cluster; it will be removed"),
            "{body}"
        );
        // The part appears…
        let mut appeared = false;
        for _ in 0..100 {
            if cluster
                .snapshot_names(REPO)
                .iter()
                .any(|n| n == "camunda_optimize_7_8.6.0_part_1_of_2")
            {
                appeared = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // …(unless the watch was quicker than this look) and goes, and so
        // does the claim.
        let left = wait_for_names(&cluster, &[]).await;
        assert!(
            left.is_empty(),
            "{flavor}: orphan left behind: {left:?} (appeared: {appeared})"
        );
        // A retry now succeeds.
        let (response, _) = call(
            &service,
            req(Method::POST, "/actuator/backups", r#"{"backupId": 7}"#),
        )
        .await;
        assert_eq!(response.status(), 202, "{flavor}");
        cluster.shutdown().await;
    }
}
