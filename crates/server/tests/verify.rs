//! `backup-actuator verify` (SPEC §13) where no real engine is needed: the
//! exit codes of a backup that cannot be drilled and of a drill that cannot
//! run. The drill itself is proved on real engines by live_verify.

mod common;

use backup_actuator_core::{BackupId, BackupPlan, Product};
use backup_actuator_search::ClusterStore;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::{Flavor, RefusingPort, SnapshotRule};
use common::{run, run_with_env, Cluster};
use serde_json::Value;

/// `verify ARGS…` against `url` with repository `backups`: exit code,
/// stdout, stderr.
fn verify(url: &str, args: &[&str]) -> (i32, String, String) {
    let mut argv = vec![
        "verify",
        "--backend",
        "opensearch",
        "--url",
        url,
        "--repository",
        "backups",
    ];
    argv.extend_from_slice(args);
    let ((code, stderr), stdout) = run_with_env(&argv, &[]);
    (code, stdout, stderr)
}

/// A cluster holding backup `id`, its part 2 failed.
fn cluster_with_failed_backup(id: u64) -> Cluster {
    let cluster = Cluster::start(Flavor::OpenSearch2);
    cluster.add_indices([
        "optimize-position-based-import-index",
        "optimize-timestamp-based-import-index",
        "optimize-report",
    ]);
    cluster.add_rule(SnapshotRule::fail("*_part_2_of_2", "disk full"));
    let store = ClusterStore::builder(Product::OpenSearch, cluster.url())
        .build()
        .unwrap();
    let plan = BackupPlan::optimize("8.6.0").unwrap();
    cluster.runtime.block_on(async {
        for part in plan.snapshot_parts(BackupId::new(id).unwrap()) {
            store.create_snapshot("backups", &part).await.unwrap();
        }
    });
    cluster
}

#[test]
fn a_backup_that_is_not_complete_is_not_restorable_exit_20() {
    let cluster = cluster_with_failed_backup(5);
    let (code, stdout, stderr) = verify(&cluster.url(), &["5"]);
    assert_eq!(code, 20, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("backup 5 is FAILED, not COMPLETE"),
        "{stderr}"
    );
    let (code, stdout, _) = verify(&cluster.url(), &["5", "--output", "json"]);
    assert_eq!(code, 20);
    let verdict: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(verdict["backupId"], 5);
    assert_eq!(verdict["restorable"], false);
    assert_eq!(verdict["failures"], serde_json::json!([]));
}

#[test]
fn latest_skips_backups_that_are_not_complete_and_says_when_there_is_none() {
    let cluster = cluster_with_failed_backup(5);
    let (code, stdout, stderr) = verify(&cluster.url(), &["latest"]);
    assert_eq!(code, 14, "no such backup: {stdout}\n{stderr}");
    assert_eq!(
        stderr,
        "backup-actuator: no COMPLETE backup in repository [backups]\n"
    );
}

#[test]
fn a_backup_that_does_not_exist_exits_14_like_the_client() {
    let cluster = Cluster::start(Flavor::OpenSearch2);
    let (code, _, stderr) = verify(&cluster.url(), &["9"]);
    assert_eq!(code, 14);
    assert_eq!(
        stderr,
        "backup-actuator: No backup with ID [9] could be found.\n"
    );
}

#[test]
fn a_cluster_that_cannot_be_reached_exits_1() {
    let refusing = RefusingPort::reserve().unwrap();
    let url = refusing.url();
    let (code, _, stderr) = verify(&url, &["1"]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("backup-actuator: Encountered an error connecting to OpenSearch"),
        "{stderr}"
    );
}

#[test]
fn verify_needs_a_cluster_and_a_repository() {
    let ((code, stderr), _) = run_with_env(&["verify", "1"], &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("verify works on a cluster"), "{stderr}");
    let ((code, stderr), _) = run_with_env(
        &[
            "verify",
            "1",
            "--backend",
            "opensearch",
            "--url",
            "http://127.0.0.1:1",
        ],
        &[("BACKUP_ACTUATOR_REPOSITORY", "")],
    );
    assert_ne!(code, 0, "{stderr}");
}

#[test]
fn a_bad_backup_id_is_a_usage_error_exit_2() {
    let ((code, stderr), _) = run_with_env(&["verify", "abc"], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid backup ID [abc]"), "{stderr}");
}

#[test]
fn serve_refuses_a_verify_schedule_it_cannot_run_before_listening() {
    let (code, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--verify-schedule",
        "@daily",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--verify-schedule needs --backend elasticsearch or opensearch"),
        "{stderr}"
    );
    let refusing = RefusingPort::reserve().unwrap();
    let url = refusing.url();
    let cluster = ["--backend", "opensearch", "--url", url.as_str()];
    let (code, stderr) = run(&[
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--verify-schedule",
            "@daily",
        ][..],
        &cluster,
    ]
    .concat());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--verify-schedule needs --repository"),
        "{stderr}"
    );
    let (code, stderr) = run(&[
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--verify-schedule",
            "0 0 30 2 *",
            "--repository",
            "backups",
        ][..],
        &cluster,
    ]
    .concat());
    assert_eq!(code, 1);
    assert!(stderr.contains("--verify-schedule: "), "{stderr}");
    assert!(!stderr.contains("listening"), "{stderr}");
}
