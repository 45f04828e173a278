//! SPEC §4/§6 as amended for issue 18: one consistent story per id,
//! whatever the cluster kept. GET, the list, trigger and delete agree; an
//! id can always be deleted and retried; a trigger runs to its end without
//! its caller; shutdown waits for background work.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use backup_actuator_core::{BackupId, BackupPlan, BackupState, SnapshotPart, SnapshotRecord};
use backup_actuator_engine::{BackupEngine, Event, GetError, Observer, PartLoss, TriggerError};
use backup_actuator_store::{ManualClock, MemoryStore, SnapshotStore, StoreError};

const REPO: &str = "backups";

fn plan() -> BackupPlan {
    BackupPlan::optimize("8.6.0").unwrap()
}

fn id(n: u64) -> BackupId {
    BackupId::new(n).unwrap()
}

/// Every event's kind, as text, for assertions.
#[derive(Debug, Default)]
struct Seen(Mutex<Vec<String>>);

impl Observer for Seen {
    fn observe(&self, event: &Event<'_>) {
        let line = match event {
            Event::PartLost { snapshot, loss, .. } => format!("lost {snapshot} {}", loss.as_str()),
            Event::Triggered { backup_id, .. } => format!("triggered {backup_id}"),
            Event::Deleted { backup_id, .. } => format!("deleted {backup_id}"),
            _ => return,
        };
        self.0.lock().unwrap().push(line);
    }
}

/// A claim left standing with no part: a trigger that stopped after its
/// claim, or whose release failed after its parts were lost.
fn leave_claim(
    store: &MemoryStore,
    backup: BackupId,
) -> impl std::future::Future<Output = ()> + '_ {
    let claim = plan().claim_part(backup);
    async move { store.create_snapshot(REPO, &claim).await.unwrap() }
}

fn engine_over(store: Arc<dyn SnapshotStore>, clock: &ManualClock) -> BackupEngine {
    BackupEngine::builder(store, plan())
        .repository(REPO)
        .clock(Arc::new(clock.clone()))
        .claim_expiry(Duration::from_secs(600))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_claim_is_evidence_get_never_404s_and_reads_in_progress_then_incomplete() {
    let clock = ManualClock::new(1_000_000);
    let store = Arc::new(MemoryStore::builder().clock(clock.clone()).build());
    leave_claim(&store, id(1)).await;
    // A fresh process that knows nothing of the trigger: young claim.
    let engine = engine_over(store.clone(), &clock);
    let backup = engine.get(id(1)).await.unwrap();
    assert_eq!(backup.state, BackupState::InProgress);
    assert!(backup.details.is_empty());
    assert_eq!(backup.failure_reason, None);
    // Past the claim expiry no trigger can still run.
    clock.advance(Duration::from_secs(601));
    let backup = engine.get(id(1)).await.unwrap();
    assert_eq!(backup.state, BackupState::Incomplete);
    let reason = backup.failure_reason.unwrap();
    assert!(reason.starts_with("Missing parts: [1, 2]. "), "{reason}");
    assert!(reason.contains("camunda_optimize_1_claim"), "{reason}");
    // The list says the same.
    let list = engine.list().await.unwrap();
    let listed: Vec<_> = list.backups().collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0], engine.get(id(1)).await.unwrap());
}

#[tokio::test]
async fn get_shows_the_id_so_trigger_is_409_and_delete_removes_the_claim_then_trigger_works() {
    let clock = ManualClock::new(1_000_000);
    let store = Arc::new(MemoryStore::builder().clock(clock.clone()).build());
    leave_claim(&store, id(1)).await;
    let engine = engine_over(store.clone(), &clock);
    assert!(engine.get(id(1)).await.is_ok());
    match engine.trigger(id(1), None).await {
        Err(TriggerError::Exists { snapshots, .. }) => {
            assert_eq!(snapshots, ["camunda_optimize_1_claim"])
        }
        other => panic!("expected 409, got {other:?}"),
    }
    // A refused trigger changes nothing of the story: the claim is still
    // another trigger's, judged by its age.
    assert_eq!(
        engine.get(id(1)).await.unwrap().state,
        BackupState::InProgress
    );
    let deleted = engine.delete(id(1)).await.unwrap();
    assert_eq!(deleted.snapshots, ["camunda_optimize_1_claim"]);
    assert!(store.snapshot_names(REPO).is_empty());
    assert_eq!(engine.get(id(1)).await, Err(GetError::NotFound(id(1))));
    let triggered = engine.trigger(id(1), None).await.unwrap();
    assert_eq!(triggered.snapshots.len(), 2);
}

#[tokio::test]
async fn a_claim_beside_a_finished_part_reads_in_progress_while_the_trigger_may_run() {
    // Part 1 done, part 2 not created yet, the claim standing: the window
    // where GET used to read INCOMPLETE.
    let clock = ManualClock::new(1_000_000);
    let store = Arc::new(
        MemoryStore::builder()
            .clock(clock.clone())
            .complete_after(Duration::ZERO)
            .build(),
    );
    leave_claim(&store, id(4)).await;
    let part1 = plan().snapshot_parts(id(4)).remove(0);
    store.create_snapshot(REPO, &part1).await.unwrap();
    let engine = engine_over(store.clone(), &clock);
    assert_eq!(
        engine.get(id(4)).await.unwrap().state,
        BackupState::InProgress
    );
    clock.advance(Duration::from_secs(601));
    let backup = engine.get(id(4)).await.unwrap();
    assert_eq!(backup.state, BackupState::Incomplete);
    assert!(backup
        .failure_reason
        .unwrap()
        .starts_with("Missing parts: [2]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_that_vanishes_after_acceptance_is_reported_and_named_in_the_failure_reason() {
    let clock = ManualClock::new(1_000_000);
    let store = Arc::new(MemoryStore::builder().clock(clock.clone()).build());
    let seen = Arc::new(Seen::default());
    let engine = BackupEngine::builder(store.clone(), plan())
        .repository(REPO)
        .clock(Arc::new(clock.clone()))
        .observer(seen.clone())
        .build()
        .unwrap();
    let triggered = engine.trigger(id(2), None).await.unwrap();
    // The repository loses part 2 (a full disk, a removed directory).
    let part2 = triggered.snapshots[1].clone();
    store
        .delete_snapshots(REPO, std::slice::from_ref(&part2))
        .await
        .unwrap();
    let lost = format!("lost {part2} vanished");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !seen.0.lock().unwrap().contains(&lost) {
        assert!(
            std::time::Instant::now() < deadline,
            "never reported: {:?}",
            seen.0.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Part 1 is still running (the store completes it when the clock
    // moves); once it succeeds the backup reads INCOMPLETE and says why.
    clock.advance(Duration::from_secs(5));
    let backup = engine.get(id(2)).await.unwrap();
    assert_eq!(backup.state, BackupState::Incomplete);
    assert_eq!(
        backup.failure_reason.as_deref(),
        Some("Missing parts: [2]. Part 2 of 2 was accepted by the cluster but is not in the repository")
    );
    assert!(matches!(
        engine.trigger(id(2), None).await,
        Err(TriggerError::Exists { .. })
    ));
    engine.delete(id(2)).await.unwrap();
    assert!(engine.trigger(id(2), None).await.is_ok());
    assert_eq!(PartLoss::Vanished.as_str(), "vanished");
}

/// A store whose creates take a while: long enough for a caller to give up.
#[derive(Debug)]
struct SlowCreates {
    inner: MemoryStore,
    delay: Duration,
    /// Told when a create begins, so a test need not guess with a sleep.
    creating: Arc<tokio::sync::Notify>,
}

#[async_trait]
impl SnapshotStore for SlowCreates {
    async fn find_snapshots(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.inner.find_snapshots(repository, pattern).await
    }
    async fn create_snapshot(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError> {
        self.creating.notify_one();
        tokio::time::sleep(self.delay).await;
        self.inner.create_snapshot(repository, part).await
    }
    async fn delete_snapshots(&self, repository: &str, names: &[String]) -> Result<(), StoreError> {
        self.inner.delete_snapshots(repository, names).await
    }
    fn describe(&self) -> String {
        "slow store".into()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_runs_to_its_end_when_its_caller_goes_away_and_shutdown_waits_for_it() {
    let memory = MemoryStore::new();
    let store = Arc::new(SlowCreates {
        inner: memory.clone(),
        delay: Duration::from_millis(200),
        creating: Arc::default(),
    });
    let engine = BackupEngine::builder(store, plan())
        .repository(REPO)
        .build()
        .unwrap();
    // The caller gives up while the claim is being created (a client that
    // disconnects mid-POST).
    let gave_up =
        tokio::time::timeout(Duration::from_millis(100), engine.trigger(id(3), None)).await;
    assert!(gave_up.is_err());
    // Shutdown waits for the protocol (claim, parts, release) to end.
    let unfinished = engine.shutdown(Duration::from_secs(30)).await;
    assert!(unfinished.is_empty(), "{unfinished:?}");
    let mut names = memory.snapshot_names(REPO);
    names.sort();
    assert_eq!(
        names,
        [
            "camunda_optimize_3_8.6.0_part_1_of_2",
            "camunda_optimize_3_8.6.0_part_2_of_2"
        ],
        "the parts, and no claim left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_names_the_background_work_it_could_not_finish() {
    let memory = MemoryStore::new();
    let creating = Arc::new(tokio::sync::Notify::new());
    let store = Arc::new(SlowCreates {
        inner: memory.clone(),
        delay: Duration::from_secs(5),
        creating: creating.clone(),
    });
    let engine = BackupEngine::builder(store, plan())
        .repository(REPO)
        .build()
        .unwrap();
    let caller = engine.clone();
    let _abandoned = tokio::spawn(async move { caller.trigger(id(5), None).await });
    // The claim's create has begun: the trigger is background work now.
    tokio::time::timeout(Duration::from_secs(30), creating.notified())
        .await
        .expect("the trigger never reached the store");
    let unfinished = engine.shutdown(Duration::from_millis(50)).await;
    assert_eq!(unfinished, ["trigger of backup 5"]);
}
