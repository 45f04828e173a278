//! Restore (SPEC §12) against the emulator: the plan changes nothing,
//! existing indices are refused or deleted exactly, parts are restored in
//! order without global state, an engine error mid-restore stops it, and a
//! part is waited for until its indices are active.

use std::time::Duration;

use backup_actuator_core::{BackupId, BackupPlan, BackupState, Product};
use backup_actuator_search::{ClusterStore, RestoreError, RestoreEvent, RestoreOptions};
use backup_actuator_store::{Operation, SnapshotStore, StoreError};
use backup_actuator_testkit::{EmulatedCluster, Fault, Flavor, SnapshotRule};

const REPO: &str = "backups";
const IMPORT: [&str; 2] = [
    "optimize-position-based-import-index",
    "optimize-timestamp-based-import-index",
];
const OTHER: [&str; 2] = ["optimize-process-instance", "optimize-report"];

fn id(n: u64) -> BackupId {
    BackupId::new(n).unwrap()
}

fn plan() -> BackupPlan {
    BackupPlan::optimize("8.6.0").unwrap()
}

/// A cluster with Optimize's indices, an unrelated one, and backup `n`
/// taken of them (COMPLETE at once).
async fn cluster_with_backup(flavor: Flavor, n: u64) -> (EmulatedCluster, ClusterStore) {
    let cluster = EmulatedCluster::start(flavor).await.unwrap();
    cluster.add_repository(REPO);
    cluster.add_indices(IMPORT.iter().chain(&OTHER).chain(&["unrelated"]).copied());
    let store = ClusterStore::builder(Product::Elasticsearch, cluster.url())
        .build()
        .unwrap();
    for part in plan().snapshot_parts(id(n)) {
        store.create_snapshot(REPO, &part).await.unwrap();
    }
    (cluster, store)
}

fn fast() -> RestoreOptions {
    RestoreOptions::new().poll_interval(Duration::from_millis(5))
}

fn changes(cluster: &EmulatedCluster) -> Vec<String> {
    cluster
        .requests()
        .into_iter()
        .filter(|r| r.method != http::Method::GET && r.method != http::Method::HEAD)
        .map(|r| format!("{} {}", r.method, r.decoded_path()))
        .collect()
}

#[tokio::test]
async fn restore_plan_lists_each_part_its_indices_and_which_exist_and_changes_nothing() {
    for flavor in [
        Flavor::Elasticsearch7_10,
        Flavor::Elasticsearch8_15,
        Flavor::OpenSearch2,
    ] {
        let (cluster, store) = cluster_with_backup(flavor, 7).await;
        cluster.clear_requests();
        let restore = store.restore_plan(REPO, &plan(), id(7)).await.unwrap();
        assert_eq!(restore.parts().len(), 2, "{flavor}");
        let part1 = &restore.parts()[0];
        assert_eq!(part1.snapshot, "camunda_optimize_7_8.6.0_part_1_of_2");
        let mut indices = part1.indices.clone();
        indices.sort();
        assert_eq!(indices, IMPORT, "{flavor}");
        let mut part2 = restore.parts()[1].indices.clone();
        part2.sort();
        assert_eq!(part2, OTHER, "{flavor}");
        assert_eq!(
            restore.existing_indices().len(),
            4,
            "every index exists now"
        );
        assert!(restore.to_string().contains("optimize-report (exists)"));
        assert!(changes(&cluster).is_empty(), "{:?}", changes(&cluster));
    }
}

#[tokio::test]
async fn restore_refuses_existing_indices_and_names_them() {
    let (cluster, store) = cluster_with_backup(Flavor::Elasticsearch8_15, 7).await;
    let restore = store.restore_plan(REPO, &plan(), id(7)).await.unwrap();
    cluster.clear_requests();
    let err = store
        .restore_backup(&restore, &fast(), &mut |_| {})
        .await
        .unwrap_err();
    let RestoreError::IndicesExist { names } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(names.len(), 4);
    for index in IMPORT.iter().chain(&OTHER) {
        assert!(err.to_string().contains(index), "{err}");
    }
    assert!(err
        .to_string()
        .ends_with("delete them first or pass --delete-existing"));
    assert!(changes(&cluster).is_empty(), "{:?}", changes(&cluster));
}

/// Deletes `index` through the emulator's own HTTP API, as a user would.
async fn delete_index(cluster: &EmulatedCluster, index: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let address = cluster.url().replace("http://", "");
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request =
        format!("DELETE /{index} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// SPEC §12: `--delete-existing` deletes exactly the backup's indices that
/// exist: not an `optimize-*` index made after the backup, not one of the
/// backup's that is gone, not an unrelated one.
#[tokio::test]
async fn delete_existing_deletes_exactly_those_then_restores_the_parts_in_order() {
    let (cluster, store) = cluster_with_backup(Flavor::OpenSearch2, 9).await;
    cluster.add_indices(["optimize-made-after-the-backup"]);
    delete_index(&cluster, "optimize-report").await;
    let restore = store.restore_plan(REPO, &plan(), id(9)).await.unwrap();
    cluster.clear_requests();
    let mut events = Vec::new();
    let restored = store
        .restore_backup(&restore, &fast().delete_existing(true), &mut |event| {
            events.push(match event {
                RestoreEvent::Deleting { indices } => format!("deleting {}", indices.len()),
                RestoreEvent::PartStarted { part } => format!("started {}", part.part_no),
                RestoreEvent::PartProgress { part, ready } => {
                    format!("progress {} {ready}", part.part_no)
                }
                RestoreEvent::PartDone { part } => format!("done {}", part.part_no),
            })
        })
        .await
        .unwrap();
    assert_eq!(restored.len(), 4);
    assert!(restored.iter().all(|index| index.health == "green"));
    let changes = changes(&cluster);
    let mut deletes: Vec<&String> = changes.iter().filter(|c| c.starts_with("DELETE")).collect();
    deletes.sort();
    assert_eq!(
        deletes,
        [
            "DELETE /optimize-position-based-import-index",
            "DELETE /optimize-process-instance",
            "DELETE /optimize-timestamp-based-import-index",
        ],
        "{changes:?}"
    );
    let restores: Vec<&String> = changes
        .iter()
        .filter(|c| c.ends_with("/_restore"))
        .collect();
    assert_eq!(
        restores,
        [
            "POST /_snapshot/backups/camunda_optimize_9_8.6.0_part_1_of_2/_restore",
            "POST /_snapshot/backups/camunda_optimize_9_8.6.0_part_2_of_2/_restore",
        ]
    );
    for request in cluster
        .requests()
        .iter()
        .filter(|r| r.decoded_path().ends_with("/_restore"))
    {
        let body = request.body_json().unwrap();
        assert_eq!(body["include_global_state"], false);
    }
    assert_eq!(
        events,
        [
            "deleting 3",
            "started 1",
            "progress 1 2",
            "done 1",
            "started 2",
            "progress 2 2",
            "done 2"
        ]
    );
    let indices = cluster.indices();
    assert!(indices.contains(&"unrelated".to_owned()));
    assert!(indices.contains(&"optimize-made-after-the-backup".to_owned()));
}

#[tokio::test]
async fn an_engine_error_mid_restore_stops_at_that_part_and_names_it() {
    let (cluster, store) = cluster_with_backup(Flavor::Elasticsearch7_10, 3).await;
    let restore = store.restore_plan(REPO, &plan(), id(3)).await.unwrap();
    let part2 = "camunda_optimize_3_8.6.0_part_2_of_2";
    cluster.inject_fault(
        Fault::respond(
            500,
            "application/json",
            r#"{"error":{"type":"snapshot_restore_exception","reason":"[backups:x] disk broke"},"status":500}"#,
        )
        .path_prefix(format!("/_snapshot/{REPO}/{part2}/_restore")),
    );
    let err = store
        .restore_backup(&restore, &fast().delete_existing(true), &mut |_| {})
        .await
        .unwrap_err();
    match &err {
        RestoreError::Store(StoreError::Cluster {
            operation: Operation::RestoreSnapshot { name },
            status: 500,
            ..
        }) => assert_eq!(name, part2),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!("Elasticsearch answered HTTP 500 while restoring snapshot [{part2}]: snapshot_restore_exception: [backups:x] disk broke")
    );
    // Part 1 was restored before the error; part 2's indices were deleted and not restored.
    let indices = cluster.indices();
    assert!(
        IMPORT.iter().all(|i| indices.contains(&(*i).to_owned())),
        "{indices:?}"
    );
    assert!(
        OTHER.iter().all(|i| !indices.contains(&(*i).to_owned())),
        "{indices:?}"
    );
}

#[tokio::test]
async fn only_a_complete_backup_is_restored() {
    let cluster = EmulatedCluster::start(Flavor::OpenSearch3).await.unwrap();
    cluster.add_repository(REPO);
    cluster.add_rule(SnapshotRule::fail("*_part_2_of_2", "disk full"));
    let store = ClusterStore::builder(Product::OpenSearch, cluster.url())
        .build()
        .unwrap();
    for part in plan().snapshot_parts(id(4)) {
        store.create_snapshot(REPO, &part).await.unwrap();
    }
    let err = store.restore_plan(REPO, &plan(), id(4)).await.unwrap_err();
    assert!(
        matches!(
            err,
            RestoreError::NotComplete {
                state: BackupState::Failed,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("backup 4 is FAILED, not COMPLETE"),
        "{err}"
    );
    let err = store.restore_plan(REPO, &plan(), id(5)).await.unwrap_err();
    assert_eq!(err.to_string(), "No backup with ID [5] could be found.");
    let err = store
        .restore_plan("nope", &plan(), id(4))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "No repository with name [nope] could be found."
    );
}

#[tokio::test]
async fn each_part_is_waited_for_until_its_indices_are_active() {
    let (cluster, store) = cluster_with_backup(Flavor::Elasticsearch8_15, 8).await;
    let restore = store.restore_plan(REPO, &plan(), id(8)).await.unwrap();
    // Restored indices stay red for 5 s of emulated time.
    cluster.set_completion_delay(Duration::from_secs(5));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        store
            .restore_backup(&restore, &fast().delete_existing(true), &mut |event| {
                if let RestoreEvent::PartProgress { part, ready } = event {
                    let _ = tx.send((part.part_no, ready));
                }
            })
            .await
    });
    // However often it polls, part 1 is not done before the clock moves.
    assert_eq!(rx.recv().await, Some((1, 0)));
    assert_eq!(rx.recv().await, Some((1, 0)));
    assert!(!task.is_finished());
    cluster.clock().advance(Duration::from_secs(5));
    let mut seen = Vec::new();
    while let Some(event) = rx.recv().await {
        seen.push(event);
        if event == (1, 2) {
            break;
        }
    }
    assert_eq!(seen.last(), Some(&(1, 2)));
    // Part 2 restores now and is red again for 5 s.
    while rx.recv().await != Some((2, 0)) {}
    cluster.clock().advance(Duration::from_secs(5));
    let restored = task.await.unwrap().unwrap();
    assert_eq!(restored.len(), 4);
}
