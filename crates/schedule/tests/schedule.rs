//! SPEC §10: a BackupSchedule over a store, on a fake clock (no sleeps):
//! slots, retention after each backup, peers, outages, shutdown.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use backup_actuator_core::{
    BackupId, BackupPlan, BackupState, OutputZone, Product, SnapshotRecord,
};
use backup_actuator_engine::BackupEngine;
use backup_actuator_schedule::{
    BackupSchedule, CronSchedule, ManualTimer, Retention, ScheduleError, SlotReport, Timer,
    TriggerOutcome,
};
use backup_actuator_search::ClusterStore;
use backup_actuator_store::{MemoryStore, SnapshotStore};
use backup_actuator_testkit::{EmulatedCluster, Fault, Flavor};
use tokio::sync::{broadcast, oneshot};

const REPO: &str = "backups";

/// Every log line of this test's thread (the tests run on a current-thread
/// runtime, so every task of the test logs here).
///
/// One global subscriber writes into the buffer of the thread it logs on.
/// A per-test `set_default` subscriber is not enough: tracing caches each
/// log site's interest, and a site first reached by another test while no
/// capturing subscriber exists can keep "never" (tokio-rs/tracing#2874),
/// which dropped a line one run in about 75.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

thread_local! {
    static SINK: RefCell<Option<Logs>> = const { RefCell::new(None) };
}

/// Writes into this thread's [`Logs`], if a test captures them.
struct ThreadSink;

impl Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        SINK.with(|sink| {
            if let Some(logs) = sink.borrow().as_ref() {
                logs.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the global subscriber before a test reaches any log site; every
/// test starts with [`start`] or [`Logs::capture`], so no site is reached first.
fn install_subscriber() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadSink)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// Stops capturing this thread's log lines when dropped.
struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        SINK.with(|sink| sink.borrow_mut().take());
    }
}

impl Logs {
    fn capture() -> (Logs, Capturing) {
        install_subscriber();
        let logs = Logs::default();
        SINK.with(|sink| *sink.borrow_mut() = Some(logs.clone()));
        (logs, Capturing)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    fn count(&self, needle: &str) -> usize {
        self.text().matches(needle).count()
    }
}

fn plan() -> BackupPlan {
    BackupPlan::optimize("8.6.0").unwrap()
}

fn every_minute() -> CronSchedule {
    CronSchedule::parse("* * * * *", &OutputZone::utc()).unwrap()
}

fn start() -> ManualTimer {
    install_subscriber();
    ManualTimer::new("2026-01-01T00:00:30Z".parse().unwrap())
}

/// A memory store on `timer` whose snapshots end as soon as they start.
fn memory(timer: &ManualTimer) -> MemoryStore {
    memory_taking(timer, Duration::ZERO)
}

/// A memory store on `timer` whose snapshots each take `each` to end.
fn memory_taking(timer: &ManualTimer, each: Duration) -> MemoryStore {
    MemoryStore::builder()
        .clock(timer.clone())
        .complete_after(each)
        .build()
}

fn service(store: Arc<dyn SnapshotStore>) -> BackupEngine {
    BackupEngine::builder(store, plan())
        .repository(REPO)
        .build()
        .unwrap()
}

fn schedule(
    service: BackupEngine,
    timer: &ManualTimer,
    retention: Option<Retention>,
) -> BackupSchedule {
    let mut builder = BackupSchedule::builder(service, every_minute()).timer(timer.clone());
    if let Some(retention) = retention {
        builder = builder.retention(retention);
    }
    builder.build().unwrap()
}

/// Runs `schedules` until the returned sender is used or dropped.
fn run_all(
    schedules: &[BackupSchedule],
) -> (Vec<oneshot::Sender<()>>, Vec<tokio::task::JoinHandle<()>>) {
    schedules
        .iter()
        .map(|schedule| {
            let (stop, stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(schedule.clone().run(async move {
                let _ = stopped.await;
            }));
            (stop, task)
        })
        .unzip()
}

/// Waits until `sleepers` schedules sleep, moves the clock to the next
/// slot, and collects one report from each receiver.
async fn fire_next_slot(
    timer: &ManualTimer,
    schedule: &BackupSchedule,
    sleepers: usize,
    receivers: &mut [broadcast::Receiver<SlotReport>],
) -> Vec<SlotReport> {
    timer.until_sleepers(sleepers).await;
    let next = schedule.next_slot().unwrap();
    timer.set(next.start());
    let mut reports = Vec::new();
    for receiver in receivers.iter_mut() {
        reports.push(receiver.recv().await.unwrap());
    }
    reports
}

async fn backups(store: &dyn SnapshotStore) -> Vec<(u64, BackupState, bool)> {
    let found = store.find_snapshots(REPO, "*").await.unwrap();
    backup_actuator_schedule::BackupFacts::from_snapshots(&plan(), found)
        .into_iter()
        .map(|b| (b.id.get(), b.state, b.scheduled))
        .collect()
}

/// The repository's names once `done` holds for them: a trigger's claim
/// release may still be in flight when its report arrives (SPEC §6: the
/// POST waits for it at most 1 s). Fails if they do not settle within 30 s,
/// a bound for a loaded machine, not a wait: it returns as soon as they do.
async fn settled_snapshot_names(
    cluster: &EmulatedCluster,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let names = cluster.snapshot_names(REPO);
        if done(&names) {
            return names;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the repository did not settle within 30 s: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// No claim among `names`: only parts.
fn only_parts(names: &[String]) -> bool {
    names.iter().all(|name| name.contains("_part_"))
}

async fn make_manual_backup(store: &dyn SnapshotStore, id: u64) {
    for part in plan().snapshot_parts(BackupId::new(id).unwrap()) {
        store.create_snapshot(REPO, &part).await.unwrap();
    }
}

#[tokio::test]
async fn keep_last_2_keeps_two_scheduled_backups_and_the_manual_one_and_logs_each_deletion() {
    let (logs, _guard) = Logs::capture();
    let timer = start();
    let store = Arc::new(memory(&timer));
    make_manual_backup(store.as_ref(), 7).await;
    let retention = Retention::builder().keep_last(2).build().unwrap();
    let schedule = schedule(service(store.clone()), &timer, Some(retention));
    let mut receivers = [schedule.subscribe()];
    let (stop, tasks) = run_all(std::slice::from_ref(&schedule));

    let mut deleted = Vec::new();
    for _ in 0..4 {
        let report = fire_next_slot(&timer, &schedule, 1, &mut receivers)
            .await
            .remove(0);
        assert!(
            matches!(report.trigger, TriggerOutcome::Created { .. }),
            "{report:?}"
        );
        assert_eq!(report.final_state, Some(BackupState::Complete));
        deleted.extend(report.deletions.iter().map(|d| (d.id.get(), d.rule.name())));
    }
    assert_eq!(
        deleted,
        [(20260101000100, "keep-last"), (20260101000200, "keep-last")]
    );
    assert_eq!(
        backups(store.as_ref()).await,
        [
            (7, BackupState::Complete, false),
            (20260101000300, BackupState::Complete, true),
            (20260101000400, BackupState::Complete, true),
        ]
    );
    let text = logs.text();
    for id in [20260101000100u64, 20260101000200] {
        assert!(
            text.contains(&format!("retention deleted backup {id}: keep-last 2")),
            "{text}"
        );
    }
    assert_eq!(schedule.counts().created, 4);
    assert_eq!(schedule.counts().deleted, 2);
    drop(stop);
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn scheduled_parts_carry_trigger_schedule_in_their_metadata() {
    let timer = start();
    let store = Arc::new(memory(&timer));
    let schedule = schedule(service(store.clone()), &timer, None);
    let slot = schedule.next_slot().unwrap();
    assert!(matches!(
        schedule.trigger(slot).await,
        TriggerOutcome::Created { .. }
    ));
    let found: Vec<SnapshotRecord> = store.find_snapshots(REPO, "*").await.unwrap();
    assert_eq!(found.len(), 2);
    assert!(
        found
            .iter()
            .all(|s| s.trigger.as_deref() == Some("schedule")),
        "{found:?}"
    );

    // Over HTTP, the create body carries the field beside §3's four.
    let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await.unwrap();
    cluster.add_repository(REPO);
    let store: Arc<dyn SnapshotStore> = Arc::new(
        ClusterStore::builder(Product::OpenSearch, cluster.url())
            .build()
            .unwrap(),
    );
    let schedule = self::schedule(service(store.clone()), &timer, None);
    assert!(matches!(
        schedule.trigger(slot).await,
        TriggerOutcome::Created { .. }
    ));
    let creates: Vec<serde_json::Value> = cluster
        .requests()
        .iter()
        .filter(|r| r.method == http::Method::PUT)
        // The parts, not the claim POST takes first (SPEC §6).
        .filter(|r| r.path.contains("_part_"))
        .filter_map(|r| r.body_json())
        .collect();
    assert_eq!(creates.len(), 2);
    for (n, body) in creates.iter().enumerate() {
        assert_eq!(
            body["metadata"],
            serde_json::json!({"backupId": 20260101000100u64, "version": "8.6.0", "partNo": n + 1, "partCount": 2, "trigger": "schedule"})
        );
    }
    // …and reading the cluster back reports it.
    let found = store.find_snapshots(REPO, "*").await.unwrap();
    assert!(
        found
            .iter()
            .all(|s| s.trigger.as_deref() == Some("schedule")),
        "{found:?}"
    );
}

#[tokio::test]
async fn a_slot_missed_while_down_is_not_replayed_and_only_the_latest_due_slot_runs() {
    let (logs, _guard) = Logs::capture();
    // Started at 00:00:30: the slot at 00:00:00 passed while the process was down.
    let timer = start();
    let store = Arc::new(memory(&timer));
    let schedule = schedule(service(store.clone()), &timer, None);
    let mut reports = schedule.subscribe();
    let (stop, tasks) = run_all(std::slice::from_ref(&schedule));

    timer.until_sleepers(1).await;
    // The process stalls past five slots at once (a suspended machine).
    timer.set("2026-01-01T00:05:10Z".parse().unwrap());
    let report = reports.recv().await.unwrap();
    assert_eq!(report.slot.id().get(), 20260101000500);
    assert_eq!(
        backups(store.as_ref()).await,
        [(20260101000500, BackupState::Complete, true)]
    );
    assert!(
        logs.text().contains(
            "slots from 20260101000100 up to 20260101000500 were missed and are not replayed"
        ),
        "{}",
        logs.text()
    );
    // The next slot is the one after now, not one of the missed ones.
    timer.until_sleepers(1).await;
    assert_eq!(schedule.next_slot().unwrap().id().get(), 20260101000600);
    drop(stop);
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn three_schedulers_on_one_cluster_create_one_backup_per_slot_and_two_are_taken_by_a_peer() {
    let (logs, _guard) = Logs::capture();
    let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await.unwrap();
    cluster.add_repository(REPO);
    let timer = start();
    // Three replicas: three stores, three services, one cluster, one clock.
    let schedules: Vec<BackupSchedule> = (0..3)
        .map(|_| {
            let store: Arc<dyn SnapshotStore> = Arc::new(
                ClusterStore::builder(Product::OpenSearch, cluster.url())
                    .build()
                    .unwrap(),
            );
            let retention = Retention::builder().keep_last(1).build().unwrap();
            schedule(service(store), &timer, Some(retention))
        })
        .collect();
    let mut receivers: Vec<_> = schedules.iter().map(BackupSchedule::subscribe).collect();
    let (stop, tasks) = run_all(&schedules);

    for slot in 1..=2u64 {
        let reports = fire_next_slot(&timer, &schedules[0], 3, &mut receivers).await;
        let created = reports
            .iter()
            .filter(|r| matches!(r.trigger, TriggerOutcome::Created { .. }))
            .count();
        let taken = reports
            .iter()
            .filter(|r| matches!(r.trigger, TriggerOutcome::TakenByPeer { .. }))
            .count();
        assert_eq!((created, taken), (1, 2), "{reports:?}");
        assert_eq!(logs.count("taken by a peer"), 2 * slot as usize);
        let id = 20260101000000 + slot * 100;
        let names = settled_snapshot_names(&cluster, only_parts).await;
        assert_eq!(
            names,
            [
                format!("camunda_optimize_{id}_8.6.0_part_1_of_2"),
                format!("camunda_optimize_{id}_8.6.0_part_2_of_2"),
            ],
            "one backup per slot; keep-last 1 removed the one before"
        );
    }
    drop(stop);
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn a_cluster_outage_during_a_slot_is_logged_and_counted_and_the_next_slot_works() {
    let (logs, _guard) = Logs::capture();
    let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await.unwrap();
    cluster.add_repository(REPO);
    let timer = start();
    let store: Arc<dyn SnapshotStore> = Arc::new(
        ClusterStore::builder(Product::OpenSearch, cluster.url())
            .build()
            .unwrap(),
    );
    let schedule = schedule(service(store), &timer, None);
    let mut receivers = [schedule.subscribe()];
    let (stop, tasks) = run_all(std::slice::from_ref(&schedule));

    cluster.inject_fault(Fault::close_connection());
    let report = fire_next_slot(&timer, &schedule, 1, &mut receivers)
        .await
        .remove(0);
    match &report.trigger {
        TriggerOutcome::Failed { error } => {
            assert!(
                error.contains("Encountered an error connecting to OpenSearch"),
                "{error}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(cluster.snapshot_names(REPO).is_empty());
    assert!(logs
        .text()
        .contains("could not be triggered; the next slot runs as usual"));

    cluster.clear_faults();
    let report = fire_next_slot(&timer, &schedule, 1, &mut receivers)
        .await
        .remove(0);
    assert!(
        matches!(report.trigger, TriggerOutcome::Created { .. }),
        "{report:?}"
    );
    assert_eq!(report.slot.id().get(), 20260101000200);
    assert_eq!(
        settled_snapshot_names(&cluster, only_parts).await.len(),
        2,
        "the backup's two parts"
    );
    let counts = schedule.counts();
    assert_eq!((counts.failed, counts.created), (1, 1));
    drop(stop);
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn dry_run_logs_the_deletions_and_deletes_nothing() {
    let (logs, _guard) = Logs::capture();
    let timer = start();
    let store = Arc::new(memory(&timer));
    let retention = Retention::builder()
        .keep_last(1)
        .dry_run(true)
        .build()
        .unwrap();
    let schedule = schedule(service(store.clone()), &timer, Some(retention));
    let mut receivers = [schedule.subscribe()];
    let (stop, tasks) = run_all(std::slice::from_ref(&schedule));
    let mut reports = Vec::new();
    for _ in 0..3 {
        reports.extend(fire_next_slot(&timer, &schedule, 1, &mut receivers).await);
    }
    assert_eq!(reports[2].deletions.len(), 2, "{:?}", reports[2]);
    assert_eq!(backups(store.as_ref()).await.len(), 3);
    assert!(logs
        .text()
        .contains("retention would delete backup 20260101000100 (dry run): keep-last 1"));
    assert_eq!(schedule.counts().deleted, 0);
    drop(stop);
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn retention_waits_for_the_backup_to_end() {
    let timer = start();
    // Snapshots take 25 s; the schedule looks every 10 s.
    let store = Arc::new(memory_taking(&timer, Duration::from_secs(25)));
    let schedule = BackupSchedule::builder(service(store.clone()), every_minute())
        .timer(timer.clone())
        .poll_interval(Duration::from_secs(10))
        .build()
        .unwrap();
    let slot = schedule.next_slot().unwrap();
    timer.set(slot.start());
    assert!(matches!(
        schedule.trigger(slot).await,
        TriggerOutcome::Created { .. }
    ));
    let until = schedule.cron().next_after(slot.start()).unwrap().start();
    let waiting = tokio::spawn({
        let schedule = schedule.clone();
        async move { schedule.wait_until_final(slot.id(), until).await }
    });
    for _ in 0..3 {
        timer.until_sleepers(1).await;
        assert!(!waiting.is_finished());
        timer.advance(Duration::from_secs(10));
    }
    assert_eq!(waiting.await.unwrap(), Some(BackupState::Complete));
    assert_eq!(
        Timer::now(&timer),
        slot.start() + jiff::SignedDuration::from_secs(30)
    );

    // A backup that outlives the next slot is waited for until then only.
    let hang = memory_taking(&timer, Duration::from_secs(3600));
    let schedule = BackupSchedule::builder(service(Arc::new(hang)), every_minute())
        .timer(timer.clone())
        .build()
        .unwrap();
    let slot = schedule.next_slot().unwrap();
    schedule.trigger(slot).await;
    // The next slot comes before the next look.
    let until = Timer::now(&timer) + jiff::SignedDuration::from_secs(5);
    assert_eq!(schedule.wait_until_final(slot.id(), until).await, None);
}

/// Moves the clock in `step`s until one report arrives (each step waits
/// until the schedule sleeps again).
async fn next_report(
    timer: &ManualTimer,
    step: Duration,
    reports: &mut broadcast::Receiver<SlotReport>,
) -> SlotReport {
    loop {
        timer.until_sleepers(1).await;
        if let Ok(report) = reports.try_recv() {
            return report;
        }
        timer.advance(step);
    }
}

#[tokio::test]
async fn retention_runs_every_slot_even_when_backups_outlast_the_interval() {
    let (logs, _guard) = Logs::capture();
    let timer = start();
    // Every backup takes 90 s; a slot comes every 60 s.
    let store = Arc::new(memory_taking(&timer, Duration::from_secs(90)));
    let retention = Retention::builder().keep_last(2).build().unwrap();
    let schedule = schedule(service(store.clone()), &timer, Some(retention));
    let mut reports = schedule.subscribe();
    let (stop, tasks) = run_all(std::slice::from_ref(&schedule));

    let mut deleted = Vec::new();
    for _ in 0..6 {
        let report = next_report(&timer, Duration::from_secs(10), &mut reports).await;
        // Still running when the next slot comes: retention runs all the same.
        assert_eq!(report.final_state, None, "{report:?}");
        assert_eq!(report.retention_failures, [], "{report:?}");
        deleted.extend(report.deletions.iter().map(|d| d.id.get()));
    }
    assert_eq!(deleted, [20260101000100, 20260101000200, 20260101000300]);
    // Two COMPLETE kept, the sixth slot's backup still running.
    assert_eq!(
        backups(store.as_ref()).await,
        [
            (20260101000400, BackupState::Complete, true),
            (20260101000500, BackupState::Complete, true),
            (20260101000600, BackupState::InProgress, true),
        ]
    );
    assert!(
        logs.text().contains(
            "still running at the next slot; retention runs over the backups as they are"
        ),
        "{}",
        logs.text()
    );
    drop(stop);
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn with_backups_that_outlast_the_interval_keep_last_holds_at_every_look() {
    // Every backup takes 90 s and a slot comes every 60 s: a backup ends in
    // the middle of the next slot, and retention runs again when it does
    // (at the schedule's next look, every 10 s), not only at the slot's end.
    let timer = start();
    let store = Arc::new(memory_taking(&timer, Duration::from_secs(90)));
    let retention = Retention::builder().keep_last(2).build().unwrap();
    let schedule = schedule(service(store.clone()), &timer, Some(retention));
    let (stop, tasks) = run_all(std::slice::from_ref(&schedule));
    let mut most = 0;
    // Seven minutes in 10 s steps; after each step the schedule has looked
    // (and deleted) and sleeps again.
    for _ in 0..42 {
        timer.until_sleepers(1).await;
        let complete = backups(store.as_ref())
            .await
            .into_iter()
            .filter(|(_, state, _)| *state == BackupState::Complete)
            .count();
        assert!(complete <= 2, "{complete} COMPLETE at {}", timer.now());
        most = most.max(complete);
        timer.advance(Duration::from_secs(10));
    }
    assert_eq!(most, 2, "the rule was exercised");
    drop(stop);
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn a_failed_delete_is_logged_and_counted_and_retention_goes_on_with_the_others() {
    let (logs, _guard) = Logs::capture();
    let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await.unwrap();
    cluster.add_repository(REPO);
    let timer = start();
    let store: Arc<dyn SnapshotStore> = Arc::new(
        ClusterStore::builder(Product::OpenSearch, cluster.url())
            .build()
            .unwrap(),
    );
    let retention = Retention::builder().keep_last(1).build().unwrap();
    let schedule = schedule(service(store), &timer, Some(retention));
    // Three scheduled backups, one a minute.
    for _ in 0..3 {
        let slot = schedule.next_slot().unwrap();
        timer.set(slot.start());
        assert!(matches!(
            schedule.trigger(slot).await,
            TriggerOutcome::Created { .. }
        ));
    }
    // Deleting the oldest fails; deleting the second must still happen.
    cluster.inject_fault(
        Fault::respond(
            500,
            "application/json",
            r#"{"error":"simulated","status":500}"#,
        )
        .method(http::Method::DELETE)
        .path_prefix(format!("/_snapshot/{REPO}/camunda_optimize_20260101000100")),
    );
    let run = schedule.apply_retention().await;

    let deleted: Vec<u64> = run.deletions.iter().map(|d| d.id.get()).collect();
    assert_eq!(deleted, [20260101000200]);
    let failed: Vec<Option<u64>> = run
        .failures
        .iter()
        .map(|f| f.backup.map(|id| id.get()))
        .collect();
    assert_eq!(failed, [Some(20260101000100)], "{run:?}");
    assert_eq!(schedule.counts().retention_errors, 1);
    assert_eq!(schedule.counts().deleted, 1);
    let left: Vec<String> = cluster.snapshot_names(REPO);
    assert!(
        left.iter().any(|n| n.contains("_20260101000100_")),
        "{left:?}"
    );
    assert!(
        !left.iter().any(|n| n.contains("_20260101000200_")),
        "{left:?}"
    );
    assert!(
        logs.text().contains(
            "retention could not delete backup 20260101000100; it goes on with the others"
        ),
        "{}",
        logs.text()
    );

    // A read that fails is one failure too, and deletes nothing.
    cluster.clear_faults();
    cluster.inject_fault(Fault::close_connection());
    let run = schedule.apply_retention().await;
    assert_eq!(run.deletions, []);
    assert_eq!(run.failures.len(), 1, "{run:?}");
    assert_eq!(run.failures[0].backup, None);
    assert_eq!(schedule.counts().retention_errors, 2);
}

#[tokio::test]
async fn a_failed_look_at_the_running_backup_is_logged_counted_and_retried() {
    let (logs, _guard) = Logs::capture();
    let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await.unwrap();
    cluster.add_repository(REPO);
    let timer = start();
    let store: Arc<dyn SnapshotStore> = Arc::new(
        ClusterStore::builder(Product::OpenSearch, cluster.url())
            .build()
            .unwrap(),
    );
    let schedule = schedule(service(store), &timer, None);
    let slot = schedule.next_slot().unwrap();
    timer.set(slot.start());
    assert!(matches!(
        schedule.trigger(slot).await,
        TriggerOutcome::Created { .. }
    ));
    // The first look fails; the one 10 s later sees the backup.
    cluster.inject_fault(Fault::close_connection().times(1));
    let until = schedule.cron().next_after(slot.start()).unwrap().start();
    let waiting = tokio::spawn({
        let schedule = schedule.clone();
        async move { schedule.wait_until_final(slot.id(), until).await }
    });
    timer.until_sleepers(1).await;
    timer.advance(Duration::from_secs(10));
    assert_eq!(waiting.await.unwrap(), Some(BackupState::Complete));
    assert_eq!(schedule.counts().poll_failures, 1);
    assert!(
        logs.text()
            .contains("cannot read the state of scheduled backup 20260101000100; trying again"),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn missed_slots_are_counted() {
    let timer = start();
    let store = Arc::new(memory(&timer));
    let schedule = schedule(service(store), &timer, None);
    let mut reports = schedule.subscribe();
    let (stop, tasks) = run_all(std::slice::from_ref(&schedule));
    timer.until_sleepers(1).await;
    // Stalled past five slots: four are missed, the fifth runs.
    timer.set("2026-01-01T00:05:10Z".parse().unwrap());
    let report = reports.recv().await.unwrap();
    assert_eq!(report.slot.id().get(), 20260101000500);
    assert_eq!(report.missed_slots, 4);
    assert_eq!(schedule.counts().missed_slots, 4);
    drop(stop);
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn shutdown_waits_for_a_running_trigger_to_finish() {
    let timer = start();
    let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await.unwrap();
    cluster.add_repository(REPO);
    // Every create takes a moment, so the shutdown comes in the middle.
    cluster.inject_fault(Fault::delay(Duration::from_millis(200)).method(http::Method::PUT));
    let store: Arc<dyn SnapshotStore> = Arc::new(
        ClusterStore::builder(Product::OpenSearch, cluster.url())
            .build()
            .unwrap(),
    );
    let schedule = schedule(service(store), &timer, None);
    let mut reports = schedule.subscribe();
    let (stop, tasks) = run_all(std::slice::from_ref(&schedule));
    timer.until_sleepers(1).await;
    timer.set(schedule.next_slot().unwrap().start());
    // The schedule wakes and triggers; the first create is held up.
    while !cluster
        .requests()
        .iter()
        .any(|r| r.method == http::Method::PUT)
    {
        tokio::task::yield_now().await;
    }
    for stop in stop {
        stop.send(()).unwrap();
    }
    for task in tasks {
        task.await.unwrap();
    }
    let report = reports.recv().await.unwrap();
    assert!(
        matches!(report.trigger, TriggerOutcome::Created { .. }),
        "{report:?}"
    );
    assert_eq!(
        settled_snapshot_names(&cluster, only_parts).await.len(),
        2,
        "both parts exist"
    );
}

#[test]
fn a_schedule_needs_a_repository() {
    let service = BackupEngine::builder(Arc::new(MemoryStore::new()), plan())
        .build()
        .unwrap();
    let err = BackupSchedule::builder(service, every_minute())
        .build()
        .unwrap_err();
    assert_eq!(err, ScheduleError::NoRepository);
}
