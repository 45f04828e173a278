//! SPEC §6 on a real engine: instances on different `--app-version`s race
//! to trigger one id, and the claim lets exactly one win. Also shows that
//! the engine accepts the claim (an empty snapshot over a wildcard that
//! matches no index) and lets it be deleted while parts run.
//!
//! Needs `BACKUP_ACTUATOR_TEST_ES_URL` / `BACKUP_ACTUATOR_TEST_OS_URL`
//! (plain `http://`, userinfo allowed) and an `fs` location under
//! `BACKUP_ACTUATOR_TEST_REPO_LOCATION`; see `backup_actuator_testkit::live`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backup_actuator_core::{BackupPlan, Product};
use backup_actuator_reliability::call;
use backup_actuator_search::ClusterStore;
use backup_actuator_service::BackupService;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::live::{cluster, LiveProduct};
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;

fn instance(
    product: LiveProduct,
    url: &str,
    repository: &str,
    index: &str,
    version: &str,
) -> BackupService {
    let timeout = Duration::from_secs(30);
    let product = match product {
        LiveProduct::OpenSearch => Product::OpenSearch,
        _ => Product::Elasticsearch,
    };
    let store: Arc<dyn SnapshotStore> = Arc::new(
        ClusterStore::builder(product, url)
            .request_timeout(timeout)
            .build()
            .unwrap(),
    );
    // Optimize's two-part shape over an index of this test's own, so the
    // race needs no Optimize indices and leaves other suites' alone.
    let plan = BackupPlan::builder()
        .version(version)
        .part([index])
        .part([index])
        .build()
        .unwrap();
    BackupService::builder(store, plan)
        .repository(repository)
        .build()
}

async fn mixed_version_race(product: LiveProduct) {
    let Some(live) = cluster(product) else { return };
    let unique = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let repository = format!("backup_actuator_live_races_{}_{unique}", std::process::id());
    live.register_fs_repository(&repository, &[]);
    let index = format!("backup-actuator-live-races-{unique}");
    live.must("PUT", &index, None, &[200]);
    let instances: Vec<BackupService> = ["8.6.0", "8.6.1", "8.7.0"]
        .iter()
        .map(|v| instance(product, &live.url, &repository, &index, v))
        .collect();
    for round in 0..3u64 {
        let id = 4200 + round;
        let mut tasks = Vec::new();
        for i in 0..30 {
            let service = instances[i % 3].clone();
            let body = format!(r#"{{"backupId": {id}}}"#);
            tasks.push(tokio::spawn(async move {
                let request = Request::builder()
                    .method(Method::POST)
                    .uri("/actuator/backups")
                    .body(Full::new(Bytes::from(body)))
                    .unwrap();
                let (response, body) = call(&service, request).await;
                (response.status().as_u16(), body)
            }));
        }
        let mut accepted = 0;
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                202 => accepted += 1,
                409 => {}
                other => panic!("round {round}: {other} {}", String::from_utf8_lossy(&body)),
            }
        }
        assert_eq!(accepted, 1, "round {round}");
        // The winner releases its claim once its parts exist; the engine
        // may queue that delete behind the running parts.
        let mut answer = String::new();
        for _ in 0..300 {
            answer = live
                .must(
                    "GET",
                    &format!("_snapshot/{repository}/camunda_optimize_{id}_*"),
                    None,
                    &[200],
                )
                .body;
            if !answer.contains("_claim") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            !answer.contains("_claim"),
            "the claim is released: {answer}"
        );
        assert_eq!(answer.matches("_part_").count(), 2, "{answer}");
    }
    // Leave nothing behind.
    for round in 0..3u64 {
        let request = Request::builder()
            .method(Method::DELETE)
            .uri(format!("/actuator/backups/{}", 4200 + round))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (response, _) = call(&instances[0], request).await;
        assert_eq!(response.status(), 204);
    }
    // Nothing of the three backups is left.
    let left = live
        .must("GET", &format!("_snapshot/{repository}/_all"), None, &[200])
        .body;
    assert!(!left.contains("camunda_optimize_"), "{left}");
    live.must("DELETE", &format!("_snapshot/{repository}"), None, &[200]);
    live.must("DELETE", &index, None, &[200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spec_6_mixed_versions_give_exactly_one_202_on_elasticsearch() {
    mixed_version_race(LiveProduct::Elasticsearch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spec_6_mixed_versions_give_exactly_one_202_on_opensearch() {
    mixed_version_race(LiveProduct::OpenSearch).await;
}
