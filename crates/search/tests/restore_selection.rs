//! Restore under a selection (SPEC §12: `--indices`, `--rename-pattern` /
//! `--rename-replacement`) against the emulator. The emulator does not
//! rename on `_restore`; that the engines restore under the new names is
//! proved by the server's live_verify suite.

use std::time::Duration;

use backup_actuator_core::{BackupId, BackupPlan, Product};
use backup_actuator_search::{ClusterStore, RestoreError, RestoreOptions, RestoreSelection};
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::{EmulatedCluster, Flavor};

const REPO: &str = "backups";
const INDICES: [&str; 4] = [
    "optimize-position-based-import-index",
    "optimize-timestamp-based-import-index",
    "optimize-process-instance",
    "optimize-report",
];

fn id() -> BackupId {
    BackupId::new(7).unwrap()
}

fn plan() -> BackupPlan {
    BackupPlan::optimize("8.6.0").unwrap()
}

async fn cluster_with_backup() -> (EmulatedCluster, ClusterStore) {
    let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await.unwrap();
    cluster.add_repository(REPO);
    cluster.add_indices(INDICES.iter().copied());
    let store = ClusterStore::builder(Product::OpenSearch, cluster.url())
        .build()
        .unwrap();
    for part in plan().snapshot_parts(id()) {
        store.create_snapshot(REPO, &part).await.unwrap();
    }
    (cluster, store)
}

fn fast() -> RestoreOptions {
    RestoreOptions::new().poll_interval(Duration::from_millis(5))
}

/// The bodies of the `_restore` requests sent.
fn restores(cluster: &EmulatedCluster) -> Vec<serde_json::Value> {
    cluster
        .requests()
        .into_iter()
        .filter(|r| r.decoded_path().ends_with("/_restore"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn indices_restricts_the_restore_to_the_named_indices() {
    let (cluster, store) = cluster_with_backup().await;
    let selection = RestoreSelection::new().indices(["optimize-report"]);
    let restore = store
        .restore_plan_for(REPO, &plan(), id(), &selection)
        .await
        .unwrap();
    assert_eq!(restore.indices(), ["optimize-report"]);
    assert_eq!(restore.existing_indices(), ["optimize-report"]);
    assert!(restore.parts()[0].indices.is_empty());
    cluster.clear_requests();
    let restored = store
        .restore_backup(&restore, &fast().delete_existing(true), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0].name, "optimize-report");
    let deletes: Vec<String> = cluster
        .requests()
        .into_iter()
        .filter(|r| r.method == http::Method::DELETE)
        .map(|r| r.decoded_path())
        .collect();
    assert_eq!(deletes, ["/optimize-report"]);
    let bodies = restores(&cluster);
    assert_eq!(bodies.len(), 1, "only the part holding it: {bodies:?}");
    assert_eq!(bodies[0]["indices"], "optimize-report");
    assert!(bodies[0].get("rename_pattern").is_none());
}

#[tokio::test]
async fn an_index_the_backup_does_not_hold_is_refused_naming_what_it_holds() {
    let (_cluster, store) = cluster_with_backup().await;
    let selection = RestoreSelection::new().indices(["optimize-report", "optimize-nope"]);
    let err = store
        .restore_plan_for(REPO, &plan(), id(), &selection)
        .await
        .unwrap_err();
    let RestoreError::UnknownIndices {
        unknown, available, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(unknown, &["optimize-nope"]);
    assert_eq!(available.len(), 4);
    assert!(
        err.to_string()
            .starts_with("backup 7 holds no index [optimize-nope]; it holds ["),
        "{err}"
    );
}

#[tokio::test]
async fn a_rename_checks_the_new_names_and_is_sent_to_the_engine() {
    let (cluster, store) = cluster_with_backup().await;
    let selection = RestoreSelection::new()
        .indices(["optimize-report"])
        .rename("^(.+)$", "restored-$1")
        .unwrap();
    let restore = store
        .restore_plan_for(REPO, &plan(), id(), &selection)
        .await
        .unwrap();
    // The live index exists; the name it is restored under does not.
    assert_eq!(restore.targets(), ["restored-optimize-report"]);
    assert!(restore.existing_indices().is_empty());
    cluster.clear_requests();
    // The emulator restores under the old name, which exists: it refuses.
    let _ = store.restore_backup(&restore, &fast(), &mut |_| {}).await;
    let heads: Vec<String> = cluster
        .requests()
        .into_iter()
        .filter(|r| r.method == http::Method::HEAD)
        .map(|r| r.decoded_path())
        .collect();
    assert_eq!(heads, ["/restored-optimize-report"]);
    let bodies = restores(&cluster);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["rename_pattern"], "^(.+)$");
    assert_eq!(bodies[0]["rename_replacement"], "restored-$1");
    assert_eq!(bodies[0]["include_global_state"], false);
}

#[tokio::test]
async fn a_rename_of_two_indices_onto_one_name_is_refused() {
    let (_cluster, store) = cluster_with_backup().await;
    let selection = RestoreSelection::new()
        .rename("optimize-.*", "one")
        .unwrap();
    let err = store
        .restore_plan_for(REPO, &plan(), id(), &selection)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RestoreError::RenameCollision { ref target, .. } if target == "one"),
        "{err:?}"
    );
}
