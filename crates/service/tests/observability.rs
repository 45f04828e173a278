//! SPEC §11: `GET {base}/health` and, with the `metrics` feature,
//! `GET {base}/prometheus`.

mod common;

use std::convert::Infallible;
use std::time::Duration;

use async_trait::async_trait;
use backup_actuator_core::{Product, SnapshotPart, SnapshotRecord};
use backup_actuator_store::{MemoryStore, Operation, SnapshotStore, StoreError};
use bytes::Bytes;
use common::*;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use tower::ServiceExt;

/// A store whose health check never answers.
#[derive(Debug)]
struct SilentStore;

#[async_trait]
impl SnapshotStore for SilentStore {
    async fn find_snapshots(&self, _: &str, _: &str) -> Result<Vec<SnapshotRecord>, StoreError> {
        std::future::pending().await
    }
    async fn create_snapshot(&self, _: &str, _: &SnapshotPart) -> Result<(), StoreError> {
        std::future::pending().await
    }
    async fn delete_snapshots(&self, _: &str, _: &[String]) -> Result<(), StoreError> {
        std::future::pending().await
    }
    fn describe(&self) -> String {
        "silent".into()
    }
}

#[tokio::test]
async fn spec_11_health_is_up_when_the_store_answers() {
    let (store, _) = memory();
    let service = builder(store).health(Duration::from_secs(2)).build();
    let answer = get(&service, "/actuator/health").await;
    let json = answer.assert_json(200);
    assert_eq!(answer.body, r#"{"status":"UP"}"#, "{json}");
}

#[tokio::test]
async fn spec_11_health_is_down_503_with_the_reason_when_the_repository_is_missing() {
    let store = MemoryStore::builder().repositories(["elsewhere"]).build();
    let service = builder(store).health(Duration::from_secs(2)).build();
    let answer = get(&service, "/actuator/health").await;
    let json = answer.assert_json(503);
    assert_eq!(json["status"], "DOWN");
    assert_eq!(
        json["detail"],
        "No repository with name [backups] could be found."
    );
}

#[tokio::test]
async fn spec_11_health_is_down_when_no_repository_is_configured() {
    let (store, _) = memory();
    let service =
        backup_actuator_service::BackupService::builder(std::sync::Arc::new(store), plan())
            .health(Duration::from_secs(2))
            .build();
    let json = get(&service, "/actuator/health").await.assert_json(503);
    assert_eq!(
        json["detail"],
        "Cannot execute backup request because no snapshot repository name found in the configuration."
    );
}

#[tokio::test]
async fn spec_11_health_is_down_when_the_cluster_is_unreachable_and_says_why() {
    let store = FailingStore(StoreError::Unreachable {
        product: Product::OpenSearch,
        operation: Operation::ReadRepository {
            repository: REPO.into(),
        },
        cause: "connection refused".into(),
    });
    let service = builder(store).health(Duration::from_secs(2)).build();
    let json = get(&service, "/actuator/health").await.assert_json(503);
    assert_eq!(
        json["detail"],
        "Encountered an error connecting to OpenSearch while reading repository [backups]: connection refused"
    );
}

#[tokio::test(start_paused = true)]
async fn spec_11_health_is_down_when_the_store_does_not_answer_in_time() {
    let service = builder(SilentStore)
        .health(Duration::from_millis(250))
        .build();
    let json = get(&service, "/actuator/health").await.assert_json(503);
    assert_eq!(
        json["detail"],
        "silent did not answer the health check within 250 ms"
    );
}

#[tokio::test]
async fn spec_11_health_takes_get_only_and_is_off_unless_asked_for() {
    let (store, _) = memory();
    let service = builder(store.clone())
        .health(Duration::from_secs(2))
        .build();
    let answer = send(&service, "POST", "/actuator/health", "").await;
    answer.assert_error(
        405,
        "methodNotAllowedError",
        "Method POST is not allowed here. Allowed: GET",
    );
    assert_eq!(answer.headers["allow"], "GET");

    let plain = builder(store).build();
    get(&plain, "/actuator/health").await.assert_error(
        404,
        "notFoundError",
        "No resource exists at this path.",
    );
}

#[tokio::test]
async fn spec_11_a_layer_without_the_health_route_leaves_the_hosts_own() {
    let (store, _) = memory();
    let inner = tower::service_fn(|_req: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("host health"))))
    });
    let without =
        backup_actuator_service::WithBackupRoutes::new(builder(store.clone()).build(), inner);
    let request = Request::get("/actuator/health")
        .body(Full::default())
        .unwrap();
    let response = without.clone().oneshot(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"host health");

    let with = backup_actuator_service::WithBackupRoutes::new(
        builder(store).health(Duration::from_secs(2)).build(),
        inner_clone(),
    );
    let request = Request::get("/actuator/health")
        .body(Full::default())
        .unwrap();
    let response = with.oneshot(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"status":"UP"}"#);
}

fn inner_clone() -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(|_req: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("host health"))))
    })
}

#[cfg(feature = "metrics")]
mod metrics {
    use super::*;
    use backup_actuator_service::{BackupMetrics, BackupService, ScheduledRun, VerifyOutcome};
    use backup_actuator_store::PartOutcome;

    fn metered() -> (
        BackupService,
        BackupMetrics,
        MemoryStore,
        backup_actuator_store::ManualClock,
    ) {
        let (store, clock) = memory();
        let metrics = BackupMetrics::new();
        let service = builder(store.clone())
            .health(Duration::from_secs(2))
            .metrics(metrics.clone())
            .build();
        (service, metrics, store, clock)
    }

    /// The value of one sample line `name{labels} value`, in the classic text.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[tokio::test]
    async fn spec_11_health_details_name_the_newest_passed_restore_drill() {
        let (service, metrics, _, _) = metered();
        let answer = get(&service, "/actuator/health").await;
        assert_eq!(answer.body, r#"{"status":"UP"}"#, "no drill yet");

        let ended = std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(1_780_000_000_123);
        let took = Duration::from_secs(40);
        metrics.record_verify_drill(VerifyOutcome::Passed, 20260101000100, ended, took);
        // A later drill that fails does not replace the last pass.
        metrics.record_verify_drill(VerifyOutcome::NotRestorable, 20260102000100, ended, took);
        let answer = get(&service, "/actuator/health").await;
        let json = answer.assert_json(200);
        assert_eq!(
            json,
            serde_json::json!({
                "status": "UP",
                "details": {"lastVerifiedBackup": {
                    "backupId": 20260101000100u64,
                    "verifiedAt": "2026-05-28T20:26:40.123+0000",
                }},
            })
        );
    }

    #[tokio::test]
    async fn spec_11_prometheus_counts_requests_by_route_and_status() {
        let (service, _, _, _) = metered();
        post(&service, r#"{"backupId": 1}"#).await;
        post(&service, r#"{"backupId": 1}"#).await;
        get(&service, "/actuator/backups/abc").await;
        get(&service, "/actuator/backups/9").await;
        send(&service, "PUT", "/actuator/backups", "").await;
        get(&service, "/nowhere").await;
        let answer = get(&service, "/actuator/prometheus").await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.content_type(),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        let text = &answer.body;
        let count = |labels: &str| {
            sample(
                text,
                &format!("backup_actuator_http_requests_total{{{labels}}}"),
            )
        };
        assert_eq!(
            count(r#"route="/backups",method="POST",status="202""#),
            Some(1.0)
        );
        assert_eq!(
            count(r#"route="/backups",method="POST",status="409""#),
            Some(1.0)
        );
        assert_eq!(
            count(r#"route="/backups/{id}",method="GET",status="400""#),
            Some(1.0)
        );
        assert_eq!(
            count(r#"route="/backups/{id}",method="GET",status="404""#),
            Some(1.0)
        );
        assert_eq!(
            count(r#"route="/backups",method="PUT",status="405""#),
            Some(1.0)
        );
        assert_eq!(
            count(r#"route="unknown",method="GET",status="404""#),
            Some(1.0)
        );
        assert!(text.contains("# TYPE backup_actuator_http_requests_total counter"));
        assert!(text.contains("# TYPE backup_actuator_http_request_duration_seconds histogram"));
        assert_eq!(
            sample(
                text,
                r#"backup_actuator_http_request_duration_seconds_count{route="/backups"}"#
            ),
            Some(3.0)
        );
    }

    #[tokio::test]
    async fn spec_11_prometheus_times_cluster_calls_by_operation_and_outcome() {
        let (service, _, _, _) = metered();
        post(&service, r#"{"backupId": 2}"#).await;
        delete(&service, "/actuator/backups/2").await;
        get(&service, "/actuator/health").await;
        let text = get(&service, "/actuator/prometheus").await.body;
        let calls = |labels: &str| {
            sample(
                &text,
                &format!("backup_actuator_cluster_call_duration_seconds_count{{{labels}}}"),
            )
        };
        // POST looks up, claims, looks again, creates two parts and
        // releases the claim (SPEC §6); DELETE looks up, then deletes.
        assert_eq!(
            calls(r#"operation="find_snapshots",outcome="ok""#),
            Some(3.0)
        );
        assert_eq!(
            calls(r#"operation="create_snapshot",outcome="ok""#),
            Some(3.0)
        );
        assert_eq!(
            calls(r#"operation="delete_snapshots",outcome="ok""#),
            Some(2.0)
        );
        assert_eq!(calls(r#"operation="check_health",outcome="ok""#), Some(1.0));

        let missing = MemoryStore::builder().repositories(["elsewhere"]).build();
        let metrics = BackupMetrics::new();
        let broken = builder(missing).metrics(metrics.clone()).build();
        get(&broken, "/actuator/backups").await;
        assert!(metrics.encode_prometheus_text().contains(
            r#"backup_actuator_cluster_call_duration_seconds_count{operation="find_snapshots",outcome="repository_missing"} 1"#
        ));
    }

    #[tokio::test]
    async fn spec_11_prometheus_shows_backups_by_state_as_of_the_last_list() {
        let (service, _, store, clock) = metered();
        store.set_outcome("camunda_optimize_2_*_part_2_of_2", PartOutcome::Failed);
        store.set_outcome(
            "camunda_optimize_3_*_part_1_of_2",
            PartOutcome::Incompatible,
        );
        store.set_outcome("camunda_optimize_4_*", PartOutcome::Hang);
        for id in 1..=4 {
            post(&service, &format!(r#"{{"backupId": {id}}}"#)).await;
        }
        clock.advance(Duration::from_secs(3));
        put_snapshot(&store, "camunda_optimize_5_8.6.0_part_1_of_2").await;
        clock.advance(Duration::from_secs(3));
        get(&service, "/actuator/backups").await.assert_json(200);
        let text = get(&service, "/actuator/prometheus").await.body;
        let backups = |state: &str| {
            sample(
                &text,
                &format!(r#"backup_actuator_backups{{state="{state}"}}"#),
            )
        };
        assert_eq!(backups("COMPLETE"), Some(1.0));
        assert_eq!(backups("FAILED"), Some(1.0));
        assert_eq!(backups("INCOMPATIBLE"), Some(1.0));
        assert_eq!(backups("IN_PROGRESS"), Some(1.0));
        assert_eq!(backups("INCOMPLETE"), Some(1.0));
    }

    #[tokio::test]
    async fn spec_11_newest_complete_start_time_follows_lists_and_gets() {
        let (service, metrics, _, clock) = metered();
        assert_eq!(metrics.newest_complete_start_seconds(), 0.0);
        post(&service, r#"{"backupId": 1}"#).await;
        let first_start = 1_667_985_096.978;
        clock.advance(Duration::from_secs(10));
        post(&service, r#"{"backupId": 2}"#).await;
        // Still running: a GET of an unfinished backup changes nothing.
        get(&service, "/actuator/backups/2").await.assert_json(200);
        assert_eq!(metrics.newest_complete_start_seconds(), 0.0);
        // GET one of a COMPLETE backup raises it …
        get(&service, "/actuator/backups/1").await.assert_json(200);
        assert_eq!(metrics.newest_complete_start_seconds(), first_start);
        clock.advance(Duration::from_secs(3));
        get(&service, "/actuator/backups/2").await.assert_json(200);
        assert_eq!(metrics.newest_complete_start_seconds(), first_start + 10.0);
        // … a GET of an older one never lowers it …
        get(&service, "/actuator/backups/1").await.assert_json(200);
        assert_eq!(metrics.newest_complete_start_seconds(), first_start + 10.0);
        // … and a list sets it to what the repository holds now.
        delete(&service, "/actuator/backups/2").await;
        get(&service, "/actuator/backups").await.assert_json(200);
        assert_eq!(metrics.newest_complete_start_seconds(), first_start);
        let text = get(&service, "/actuator/prometheus").await.body;
        assert_eq!(
            sample(
                &text,
                "backup_actuator_newest_complete_backup_start_time_seconds"
            ),
            Some(first_start)
        );
    }

    #[tokio::test]
    async fn spec_11_scheduled_runs_and_retention_deletions_are_counted() {
        let (service, metrics, _, _) = metered();
        metrics.record_scheduled_run(ScheduledRun::Triggered);
        metrics.record_scheduled_run(ScheduledRun::Triggered);
        metrics.record_scheduled_run(ScheduledRun::Failed);
        metrics.record_retention_delete();
        let text = get(&service, "/actuator/prometheus").await.body;
        let runs = |outcome: &str| {
            sample(
                &text,
                &format!(r#"backup_actuator_scheduled_runs_total{{outcome="{outcome}"}}"#),
            )
        };
        assert_eq!(runs("triggered"), Some(2.0));
        assert_eq!(runs("taken_by_peer"), Some(0.0));
        assert_eq!(runs("failed"), Some(1.0));
        assert_eq!(
            sample(&text, "backup_actuator_retention_deleted_backups_total"),
            Some(1.0)
        );
    }

    #[tokio::test]
    async fn spec_11_prometheus_speaks_openmetrics_to_who_asks_for_it() {
        let (service, _, _, _) = metered();
        let request = Request::get("/actuator/prometheus")
            .header(
                "accept",
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            )
            .body(Full::<Bytes>::default())
            .unwrap();
        let answer = send_request(&service, request).await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.content_type(),
            Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
        );
        assert!(answer.body.ends_with("# EOF\n"));
        assert!(answer
            .body
            .contains("# TYPE backup_actuator_retention_deleted_backups counter"));
    }

    #[tokio::test]
    async fn spec_11_without_metrics_there_is_no_prometheus_route() {
        let (store, _) = memory();
        let service = builder(store).build();
        get(&service, "/actuator/prometheus").await.assert_error(
            404,
            "notFoundError",
            "No resource exists at this path.",
        );
    }
}
