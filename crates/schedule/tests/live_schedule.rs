//! SPEC §10 against a real engine: a schedule and a peer over one cluster,
//! metadata that survives the engine, and retention deleting for real.
//!
//! Runs when `BACKUP_ACTUATOR_TEST_OS_URL` / `BACKUP_ACTUATOR_TEST_ES_URL`
//! name a plain-HTTP engine without security (as `scripts/real-cluster`
//! starts them) whose `path.repo` holds `BACKUP_ACTUATOR_TEST_REPO_LOCATION`;
//! otherwise it prints why it skipped (and fails under CI, see
//! `backup_actuator_testkit::live`).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backup_actuator_core::{BackupPlan, BackupState, OutputZone, Product};
use backup_actuator_engine::BackupEngine;
use backup_actuator_schedule::{
    BackupSchedule, CronSchedule, ManualTimer, Retention, Timer, TriggerOutcome,
};
use backup_actuator_search::ClusterStore;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::live::{cluster, LiveProduct};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request to the engine over plain HTTP/1.1; (status, body).
async fn call(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    assert!(
        !host.contains('@'),
        "this test talks to engines without security"
    );
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn scheduled_backups_on_a_real_engine(product: LiveProduct) {
    let Some(live) = cluster(product) else { return };
    let unique = format!(
        "{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let repository = format!("ba_schedule_{unique}");
    let index = format!("ba-schedule-live-{unique}");
    let location = format!("{}/{repository}", live.repo_location);
    let (status, body) = call(
        &live.url,
        "PUT",
        &format!("/_snapshot/{repository}"),
        &format!(r#"{{"type":"fs","settings":{{"location":"{location}"}}}}"#),
    )
    .await;
    assert_eq!(status, 200, "create the repository: {body}");
    let (status, body) = call(&live.url, "PUT", &format!("/{index}"), "").await;
    assert_eq!(status, 200, "create the index: {body}");

    let plan = BackupPlan::builder()
        .prefix(format!("ba_schedule_{}", std::process::id()))
        .version("1.0.0")
        .part([index.as_str()])
        .build()
        .unwrap();
    let engine = match product {
        LiveProduct::OpenSearch => Product::OpenSearch,
        LiveProduct::Elasticsearch => Product::Elasticsearch,
    };
    let store = || -> Arc<dyn SnapshotStore> {
        Arc::new(ClusterStore::builder(engine, &live.url).build().unwrap())
    };
    let service = |store| {
        BackupEngine::builder(store, plan.clone())
            .repository(&repository)
            .build()
            .unwrap()
    };
    let timer = ManualTimer::new("2026-01-01T00:00:30Z".parse().unwrap());
    let cron = CronSchedule::parse("* * * * *", &OutputZone::utc()).unwrap();
    let ours = BackupSchedule::builder(service(store()), cron.clone())
        .timer(timer.clone())
        .retention(Retention::builder().keep_last(1).build().unwrap())
        .build()
        .unwrap();
    let peer = BackupSchedule::builder(service(store()), cron)
        .timer(timer.clone())
        .build()
        .unwrap();

    let mut slots = Vec::new();
    for round in 0..3 {
        let slot = ours.next_slot().unwrap();
        timer.set(slot.start());
        slots.push(slot);
        assert!(matches!(
            ours.trigger(slot).await,
            TriggerOutcome::Created { .. }
        ));
        assert!(matches!(
            peer.trigger(slot).await,
            TriggerOutcome::TakenByPeer { .. }
        ));
        // The real engine takes real time: look until it ends.
        let deadline = Instant::now() + Duration::from_secs(60);
        let state = loop {
            let now = Timer::now(&timer);
            if let Some(state) = ours.wait_until_final(slot.id(), now).await {
                break state;
            }
            assert!(
                Instant::now() < deadline,
                "the backup did not end within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(state, BackupState::Complete);
        let run = ours.apply_retention().await;
        assert_eq!(run.failures, [], "round {round}");
        let deleted: Vec<u64> = run.deletions.iter().map(|d| d.id.get()).collect();
        let expected: Vec<u64> = if round == 0 {
            vec![]
        } else {
            vec![slots[round - 1].id().get()]
        };
        assert_eq!(deleted, expected, "round {round}");
    }

    // Only the last slot's backup is left, and the engine kept the trigger.
    let left = ours_store_find(&store(), &repository, &plan).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].name.contains(&slots[2].id().to_string()),
        "{left:?}"
    );
    assert_eq!(left[0].trigger.as_deref(), Some("schedule"), "{left:?}");

    let service = service(store());
    service.delete(slots[2].id()).await.unwrap();
    call(&live.url, "DELETE", &format!("/_snapshot/{repository}"), "").await;
    call(&live.url, "DELETE", &format!("/{index}"), "").await;
}

async fn ours_store_find(
    store: &Arc<dyn SnapshotStore>,
    repository: &str,
    plan: &BackupPlan,
) -> Vec<backup_actuator_core::SnapshotRecord> {
    store
        .find_snapshots(repository, &plan.list_pattern())
        .await
        .unwrap()
}

#[tokio::test]
async fn live_opensearch_schedule_makes_one_backup_per_slot_and_retention_deletes_for_real() {
    scheduled_backups_on_a_real_engine(LiveProduct::OpenSearch).await;
}

#[tokio::test]
async fn live_elasticsearch_schedule_makes_one_backup_per_slot_and_retention_deletes_for_real() {
    scheduled_backups_on_a_real_engine(LiveProduct::Elasticsearch).await;
}
