//! SPEC §6 on a real engine: instances on different `--app-version`s race
//! to trigger one id, and the claim lets exactly one win. Also shows that
//! the engine accepts the claim (an empty snapshot over a wildcard that
//! matches no index) and lets it be deleted while parts run.
//!
//! Needs `BACKUP_ACTUATOR_TEST_ES_URL` / `BACKUP_ACTUATOR_TEST_OS_URL`
//! (plain `http://`, userinfo allowed) and an `fs` location under
//! `BACKUP_ACTUATOR_TEST_REPO_LOCATION`; see `backup_actuator_testkit::live`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backup_actuator_core::BackupPlan;
use backup_actuator_reliability::call;
use backup_actuator_search::{ElasticsearchStore, OpenSearchStore};
use backup_actuator_service::BackupService;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::live::{cluster, LiveCluster, LiveProduct};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;

/// One plain-HTTP request for the set-up the store does not make.
fn admin(live: &LiveCluster, method: &str, path: &str, body: &str) -> (u16, String) {
    let rest = live
        .url
        .strip_prefix("http://")
        .expect("the live race test speaks plain http");
    let authority = rest.split('/').next().unwrap();
    let (auth, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (
            format!(
                "Authorization: Basic {}\r\n",
                BASE64_STANDARD.encode(userinfo)
            ),
            host,
        ),
        None => (String::new(), authority),
    };
    let mut stream = TcpStream::connect(host).expect("the live engine listens");
    let request = format!(
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

fn instance(product: LiveProduct, url: &str, repository: &str, version: &str) -> BackupService {
    let timeout = Duration::from_secs(30);
    let store: Arc<dyn SnapshotStore> = match product {
        LiveProduct::OpenSearch => Arc::new(
            OpenSearchStore::builder(url)
                .request_timeout(timeout)
                .build()
                .unwrap(),
        ),
        _ => Arc::new(
            ElasticsearchStore::builder(url)
                .request_timeout(timeout)
                .build()
                .unwrap(),
        ),
    };
    BackupService::builder(store, BackupPlan::optimize(version).unwrap())
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
    let (status, answer) = admin(
        &live,
        "PUT",
        &format!("_snapshot/{repository}"),
        &format!(
            r#"{{"type":"fs","settings":{{"location":"{}/{repository}"}}}}"#,
            live.repo_location
        ),
    );
    assert_eq!(status, 200, "{answer}");
    let instances: Vec<BackupService> = ["8.6.0", "8.6.1", "8.7.0"]
        .iter()
        .map(|v| instance(product, &live.url, &repository, v))
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
        let (status, answer) = admin(
            &live,
            "GET",
            &format!("_snapshot/{repository}/camunda_optimize_{id}_*"),
            "",
        );
        assert_eq!(status, 200, "{answer}");
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
    admin(&live, "DELETE", &format!("_snapshot/{repository}"), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spec_6_mixed_versions_give_exactly_one_202_on_elasticsearch() {
    mixed_version_race(LiveProduct::Elasticsearch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spec_6_mixed_versions_give_exactly_one_202_on_opensearch() {
    mixed_version_race(LiveProduct::OpenSearch).await;
}
