//! Races: several service instances (as several processes would be) on one
//! emulated cluster.

use std::sync::Arc;
use std::time::Duration;

use backup_actuator_core::BackupPlan;
use backup_actuator_reliability::call;
use backup_actuator_search::{ElasticsearchStore, OpenSearchStore};
use backup_actuator_service::BackupService;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::{EmulatedCluster, Flavor, SnapshotRule};
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;

const REPO: &str = "backups";

fn instance(flavor: Flavor, url: &str) -> BackupService {
    let store: Arc<dyn SnapshotStore> = if flavor.is_opensearch() {
        Arc::new(OpenSearchStore::builder(url).build().unwrap())
    } else {
        Arc::new(ElasticsearchStore::builder(url).build().unwrap())
    };
    BackupService::builder(store, BackupPlan::optimize("8.6.0").unwrap())
        .repository(REPO)
        .build()
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
        assert!(
            cluster.snapshot_names(REPO).is_empty(),
            "{flavor}: both parts are rolled back: {:?}",
            cluster.snapshot_names(REPO)
        );
        cluster.shutdown().await;
    }
}
