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
    watching_instance(flavor, url, version, request_timeout, request_timeout * 2)
}

/// An instance whose store calls are bounded by `request_timeout` and that
/// watches for `watch` after an unknown outcome.
fn watching_instance(
    flavor: Flavor,
    url: &str,
    version: &str,
    request_timeout: Duration,
    watch: Duration,
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
        .unknown_outcome_watch(watch)
        .build()
}

/// How long the background work a POST leaves (the claim's release, the
/// watch after an unknown outcome) may take to land on a loaded machine.
/// It is a bound that fails, not a wait: the checks below return as soon
/// as the state is reached.
const SETTLE_BOUND: Duration = Duration::from_secs(30);

/// The names in the repository once they are exactly `expected` (a POST's
/// claim release may still be in flight when its answer arrives); fails
/// if they are not within [`SETTLE_BOUND`].
async fn settled_names(cluster: &EmulatedCluster, expected: &[&str], what: &str) {
    settled(cluster, what, |names| names == expected).await;
}

/// Waits until the repository's names satisfy `done`; fails with `what`
/// and the names if they do not within [`SETTLE_BOUND`].
async fn settled(
    cluster: &EmulatedCluster,
    what: &str,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + SETTLE_BOUND;
    loop {
        let names = cluster.snapshot_names(REPO);
        if done(&names) {
            return names;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not settled within {SETTLE_BOUND:?}; the repository holds {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    settled_names(
        &cluster,
        &[
            "camunda_optimize_42_8.6.0_part_1_of_2",
            "camunda_optimize_42_8.6.0_part_2_of_2",
        ],
        &format!("{flavor}: exactly the parts of one backup"),
    )
    .await;
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
        settled_names(&cluster, &[], &format!("{flavor}: nothing left behind")).await;
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
        settled_names(
            &cluster,
            &[],
            &format!("{flavor}: both parts are rolled back"),
        )
        .await;
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
            // One version's two parts, no claim left (once its release,
            // which may outlive the 202, has landed), and the backup reads
            // as one whole backup.
            let this_backup = format!("camunda_optimize_{id}_");
            let names = settled(
                &cluster,
                &format!("{flavor} round {round}: the claim is released"),
                |names| {
                    names
                        .iter()
                        .filter(|n| n.starts_with(&this_backup))
                        .all(|n| n.contains("_part_"))
                },
            )
            .await;
            let names: Vec<&String> = names
                .iter()
                .filter(|n| n.starts_with(&this_backup))
                .collect();
            assert_eq!(names.len(), 2, "{flavor} round {round}: {names:?}");
            let version = |name: &str| name.split('_').nth(3).map(str::to_owned);
            assert_eq!(
                version(names[0]),
                version(names[1]),
                "{flavor} round {round}: the parts of one version: {names:?}"
            );
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
///
/// The part lands 1 s after the client gave up and the watch lasts 10 s,
/// so it lands well inside the watch however the threads are scheduled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_6_a_part_created_after_the_post_timed_out_is_removed_by_the_watch() {
    for flavor in [Flavor::Elasticsearch8_15, Flavor::OpenSearch2] {
        let cluster = EmulatedCluster::start(flavor).await.unwrap();
        cluster.add_repository(REPO);
        let service = watching_instance(
            flavor,
            &cluster.url(),
            "8.6.0",
            Duration::from_millis(500),
            Duration::from_secs(10),
        );
        // Part 1 is created 1.5 s after its request, long after the
        // client's 500 ms timeout and long before the watch ends.
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
        // The part lands…
        let late = format!("/_snapshot/{REPO}/camunda_optimize_7_8.6.0_part_1_of_2");
        let deadline = tokio::time::Instant::now() + SETTLE_BOUND;
        while !cluster
            .requests()
            .iter()
            .any(|r| r.method == Method::DELETE && r.path.starts_with(&late))
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{flavor}: the watch deletes the late part within {SETTLE_BOUND:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // …and goes, and so does the claim.
        settled_names(&cluster, &[], &format!("{flavor}: no orphan left behind")).await;
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
