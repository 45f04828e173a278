//! The in-memory store: lifecycle on an injected clock, outcome rules,
//! repositories, and cluster-like delete semantics.

use std::time::Duration;

use backup_actuator_core::{
    BackupId, BackupPlan, Product, ShardFailure, SnapshotPart, SnapshotState,
};
use backup_actuator_store::{
    ManualClock, MemoryStore, Operation, PartOutcome, SnapshotStore, StoreError,
};

fn parts(id: u64) -> Vec<SnapshotPart> {
    BackupPlan::optimize("8.6.0")
        .unwrap()
        .snapshot_parts(BackupId::new(id).unwrap())
}

fn store(clock: &ManualClock) -> MemoryStore {
    MemoryStore::builder()
        .complete_after(Duration::from_secs(2))
        .clock(clock.clone())
        .build()
}

async fn states(store: &MemoryStore, pattern: &str) -> Vec<(String, SnapshotState)> {
    store
        .find_snapshots("repo", pattern)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.state))
        .collect()
}

#[tokio::test]
async fn new_snapshot_is_in_progress_until_the_delay_passes_then_success() {
    let clock = ManualClock::new(1_000);
    let store = store(&clock);
    store.create_snapshot("repo", &parts(1)[0]).await.unwrap();
    assert_eq!(states(&store, "*").await[0].1, SnapshotState::InProgress);
    clock.advance(Duration::from_millis(1_999));
    assert_eq!(states(&store, "*").await[0].1, SnapshotState::InProgress);
    clock.advance(Duration::from_millis(1));
    assert_eq!(states(&store, "*").await[0].1, SnapshotState::Success);
    let record = &store.find_snapshots("repo", "*").await.unwrap()[0];
    assert_eq!(record.start_time_millis, Some(1_000));
}

#[tokio::test]
async fn outcomes_end_parts_failed_partial_incompatible_or_unknown() {
    let clock = ManualClock::new(0);
    let store = store(&clock);
    let failure = ShardFailure {
        index: Some("optimize-report".into()),
        shard_id: Some(0),
        reason: Some("boom".into()),
        ..ShardFailure::default()
    };
    store.set_outcome("camunda_optimize_1_*_part_2_of_2", PartOutcome::Failed);
    store.set_outcome(
        "camunda_optimize_2_*",
        PartOutcome::Partial(vec![failure.clone()]),
    );
    store.set_outcome("camunda_optimize_3_*", PartOutcome::Incompatible);
    store.set_outcome(
        "camunda_optimize_4_*",
        PartOutcome::Unknown("ABORTED".into()),
    );
    store.set_outcome("camunda_optimize_5_*", PartOutcome::Hang);
    for id in 1..=5 {
        for part in parts(id) {
            store.create_snapshot("repo", &part).await.unwrap();
        }
    }
    clock.advance(Duration::from_secs(3600));
    let found = store.find_snapshots("repo", "*").await.unwrap();
    let state = |name: &str| found.iter().find(|r| r.name == name).unwrap().state.clone();
    assert_eq!(
        state("camunda_optimize_1_8.6.0_part_1_of_2"),
        SnapshotState::Success
    );
    assert_eq!(
        state("camunda_optimize_1_8.6.0_part_2_of_2"),
        SnapshotState::Failed
    );
    assert_eq!(
        state("camunda_optimize_2_8.6.0_part_1_of_2"),
        SnapshotState::Partial
    );
    assert_eq!(
        state("camunda_optimize_3_8.6.0_part_2_of_2"),
        SnapshotState::Incompatible
    );
    assert_eq!(
        state("camunda_optimize_4_8.6.0_part_1_of_2"),
        SnapshotState::Unknown("ABORTED".into())
    );
    assert_eq!(
        state("camunda_optimize_5_8.6.0_part_1_of_2"),
        SnapshotState::InProgress
    );
    let partial = found
        .iter()
        .find(|r| r.name == "camunda_optimize_2_8.6.0_part_1_of_2")
        .unwrap();
    assert_eq!(partial.failures, vec![failure]);
}

#[tokio::test]
async fn refused_part_is_not_created_and_returns_the_given_error() {
    let store = MemoryStore::new();
    let refusal = StoreError::Cluster {
        product: Product::Elasticsearch,
        operation: Operation::CreateSnapshot { name: "x".into() },
        status: 503,
        detail: "concurrent_snapshot_execution_exception: busy".into(),
    };
    store.set_outcome("*_part_2_of_2", PartOutcome::Refuse(refusal.clone()));
    let parts = parts(1);
    store.create_snapshot("repo", &parts[0]).await.unwrap();
    assert_eq!(store.create_snapshot("repo", &parts[1]).await, Err(refusal));
    assert_eq!(store.snapshot_names("repo"), vec![parts[0].name.clone()]);
}

#[tokio::test]
async fn duplicate_name_is_name_in_use() {
    let store = MemoryStore::new();
    let part = &parts(1)[0];
    store.create_snapshot("repo", part).await.unwrap();
    assert_eq!(
        store.create_snapshot("repo", part).await,
        Err(StoreError::NameInUse {
            name: part.name.clone()
        })
    );
}

#[tokio::test]
async fn pattern_lookup_keeps_1_apart_from_10() {
    let store = MemoryStore::new();
    for id in [1, 10] {
        for part in parts(id) {
            store.create_snapshot("repo", &part).await.unwrap();
        }
    }
    assert_eq!(
        store
            .find_snapshots("repo", "camunda_optimize_1_*")
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .find_snapshots("repo", "camunda_optimize_*")
            .await
            .unwrap()
            .len(),
        4
    );
    assert!(store
        .find_snapshots("repo", "nothing_*")
        .await
        .unwrap()
        .is_empty());
    assert!(store.find_snapshots("other", "*").await.unwrap().is_empty());
}

#[tokio::test]
async fn restricted_repositories_report_a_missing_one() {
    let store = MemoryStore::builder().repositories(["backups"]).build();
    let missing = StoreError::RepositoryMissing {
        repository: "nope".into(),
    };
    assert_eq!(
        store.find_snapshots("nope", "*").await,
        Err(missing.clone())
    );
    assert_eq!(
        store.create_snapshot("nope", &parts(1)[0]).await,
        Err(missing.clone())
    );
    assert_eq!(store.delete_snapshots("nope", &[]).await, Err(missing));
    assert!(store
        .find_snapshots("backups", "*")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn delete_removes_exactly_the_names_and_is_all_or_nothing() {
    let store = MemoryStore::new();
    for part in parts(1) {
        store.create_snapshot("repo", &part).await.unwrap();
    }
    let names = store.snapshot_names("repo");
    let with_missing = vec![names[0].clone(), "camunda_optimize_1_gone".to_owned()];
    assert_eq!(
        store.delete_snapshots("repo", &with_missing).await,
        Err(StoreError::snapshot_missing("camunda_optimize_1_gone"))
    );
    assert_eq!(store.snapshot_names("repo").len(), 2, "nothing deleted");
    store.delete_snapshots("repo", &names[..1]).await.unwrap();
    assert_eq!(store.snapshot_names("repo"), names[1..].to_vec());
}

#[tokio::test]
async fn running_snapshot_can_be_deleted() {
    let clock = ManualClock::new(0);
    let store = store(&clock);
    let part = &parts(1)[0];
    store.create_snapshot("repo", part).await.unwrap();
    store
        .delete_snapshots("repo", std::slice::from_ref(&part.name))
        .await
        .unwrap();
    assert!(store.snapshot_names("repo").is_empty());
}

#[test]
fn describe_names_the_backend() {
    assert!(MemoryStore::new().describe().starts_with("memory"));
}
