//! The built binary end to end: `backup …` against `serve` on the memory
//! store (exit codes of SPEC §9 via --memory-outcome), and `restore`
//! against the emulator (SPEC §12).

mod common;

use backup_actuator_core::{BackupPlan, Product};
use backup_actuator_search::ClusterStore;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::{EmulatedSnapshotState, Flavor, RefusingPort, SeededSnapshot};
use common::{run_with_env, Cluster, Server};
use serde_json::Value;

/// `backup-actuator backup --url <server> ARGS`; (exit code, stdout, stderr).
fn client(server: &Server, args: &[&str]) -> (i32, String, String) {
    let url = format!("http://{}", server.addr);
    let mut argv = vec!["backup", "--url", url.as_str(), "--poll-interval", "50ms"];
    argv.extend_from_slice(args);
    let ((code, stderr), stdout) = run_with_env(&argv, &[]);
    (code, stdout, stderr)
}

#[test]
fn create_wait_exits_0_and_prints_a_complete_backup_info() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "300ms",
    ]);
    let (code, stdout, stderr) = client(&server, &["create", "7", "--wait", "--output", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let info: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(info["backupId"], 7);
    assert_eq!(info["state"], "COMPLETE");
    assert_eq!(info["failureReason"], Value::Null);

    let (code, stdout, _) = client(&server, &["list", "--output", "json"]);
    assert_eq!(code, 0);
    let list: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);

    let (code, stdout, _) = client(&server, &["list"]);
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("ID  STATE     PARTS  STARTED"),
        "{stdout}"
    );
    assert!(stdout.contains("\n7   COMPLETE  2/2"), "{stdout}");

    let (code, stdout, _) = client(&server, &["delete", "7"]);
    assert_eq!((code, stdout.as_str()), (0, "Backup 7 deleted.\n"));
    server.stop();
}

/// SPEC §9 with §1's list parameters: `list --pattern P --brief` asks
/// the server for `?pattern=P&verbose=false`; a bad pattern is a usage
/// error (exit 2) that never reaches the server.
#[test]
fn list_pattern_and_brief_ask_the_server_for_them() {
    let server = Server::start(&["--repository", "backups", "--memory-complete-after", "0ms"]);
    for id in ["17", "18", "27"] {
        let (code, _, stderr) = client(&server, &["create", id]);
        assert_eq!(code, 0, "{stderr}");
    }
    let (code, stdout, stderr) = client(
        &server,
        &["list", "--pattern", "1*", "--brief", "--output", "json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let list: Value = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["backupId"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [17, 18]);
    assert_eq!(list[0]["details"][0]["startTime"], Value::Null, "{stdout}");

    let (code, stdout, _) = client(&server, &["list", "--pattern", "2*", "--output", "json"]);
    assert_eq!(code, 0);
    let list: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list[0]["backupId"], 27);
    assert!(list[0]["details"][0]["startTime"].is_string(), "{stdout}");

    let (code, _, stderr) = client(&server, &["list", "--pattern", "1,*"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("Invalid backup ID pattern [1,*]"),
        "{stderr}"
    );
    server.stop();
}

#[test]
fn failed_incompatible_and_timeout_have_their_exit_codes() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "200ms",
        "--compat",
        "optimize-server",
        "--memory-outcome",
        "*_10_*_part_2_of_2=failed",
        "--memory-outcome",
        "*_11_*_part_2_of_2=partial",
        "--memory-outcome",
        "*_12_*_part_1_of_2=incompatible",
        "--memory-outcome",
        "*_13_*_part_2_of_2=hang",
    ]);
    for (id, expected, state) in [
        ("10", 10, "FAILED"),
        ("11", 10, "FAILED"),
        ("12", 12, "INCOMPATIBLE"),
        ("13", 13, "IN_PROGRESS"),
    ] {
        let (code, stdout, stderr) = client(
            &server,
            &[
                "create",
                id,
                "--wait",
                "--timeout",
                "2s",
                "--output",
                "json",
            ],
        );
        assert_eq!(code, expected, "backup {id}: {stdout} {stderr}");
        let info: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(info["state"], state, "backup {id}");
        let (code, _, _) = client(&server, &["wait", id, "--timeout", "200ms"]);
        assert_eq!(code, expected, "wait {id}");
    }
    let (_, _, stderr) = client(&server, &["wait", "13", "--timeout", "100ms"]);
    assert!(
        stderr.contains("backup 13 is still IN_PROGRESS after --timeout 100ms"),
        "{stderr}"
    );
    server.stop();
}

#[test]
fn incomplete_exits_11_against_a_cluster() {
    let cluster = Cluster::start(Flavor::Elasticsearch8_15);
    let now = cluster.clock().now_millis();
    cluster.insert_snapshot(
        "backups",
        SeededSnapshot::new(
            "camunda_optimize_5_8.6.0_part_2_of_2",
            EmulatedSnapshotState::Success,
            now,
        ),
    );
    let url = cluster.url();
    let server = Server::start(&[
        "--backend",
        "elasticsearch",
        "--url",
        &url,
        "--repository",
        "backups",
    ]);
    let (code, stdout, _) = client(&server, &["status", "5"]);
    assert_eq!(code, 11, "{stdout}");
    assert!(
        stdout.starts_with("Backup 5: INCOMPLETE (1/2 parts done)"),
        "{stdout}"
    );
    let (code, _, _) = client(&server, &["wait", "5"]);
    assert_eq!(code, 11);
    server.stop();
}

#[test]
fn errors_name_what_failed_and_usage_errors_exit_2() {
    let server = Server::start(&["--repository", "backups"]);
    let (code, _, stderr) = client(&server, &["status", "404"]);
    assert_eq!(code, 14, "no such backup");
    assert!(
        stderr
            .contains("answered HTTP 404: No backup with ID [404] could be found. (notFoundError)"),
        "{stderr}"
    );
    let (code, _, stderr) = client(&server, &["status", "1,*"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid backup ID [1,*]"), "{stderr}");
    let (code, _, _) = client(&server, &["frobnicate"]);
    assert_eq!(code, 2);
    server.stop();

    let refusing = RefusingPort::reserve().unwrap();

    let url = refusing.url();
    let ((code, stderr), _) = run_with_env(&["backup", "--url", &url, "list"], &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("backup-actuator: cannot reach the backup API: GET "),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn spec_9_the_client_reads_its_own_variable_never_the_cluster_url() {
    let server = Server::start(&["--repository", "backups"]);
    let url = format!("http://{}", server.addr);
    // The cluster URL of serve/restore/verify, exported in the same
    // environment (the server's pod): the client must not follow it.
    let env = [
        ("BACKUP_ACTUATOR_URL", "http://127.0.0.1:1"),
        ("BACKUP_ACTUATOR_SERVER_URL", url.as_str()),
    ];
    let ((code, stderr), stdout) = run_with_env(&["backup", "list", "--output", "json"], &env);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "[]");
    // Without its own variable the client goes to its default
    // (127.0.0.1:8092), never to the URL in BACKUP_ACTUATOR_URL.
    let ((code, stderr), _) = run_with_env(
        &["backup", "list"],
        &[("BACKUP_ACTUATOR_URL", url.as_str())],
    );
    assert!(!stderr.contains(&url), "{stderr}");
    if code != 0 {
        assert!(stderr.contains("127.0.0.1:8092"), "{stderr}");
    }
}

#[test]
fn backup_help_documents_the_exit_codes() {
    let ((code, _), stdout) = run_with_env(&["backup", "--help"], &[]);
    assert_eq!(code, 0);
    for line in [
        "0   done",
        "1   the server or the network failed",
        "2   usage",
        "10  the backup is FAILED",
        "11  the backup is INCOMPLETE",
        "12  the backup is INCOMPATIBLE",
        "13  --timeout reached",
        "14  no such backup",
    ] {
        assert!(stdout.contains(line), "{line} in {stdout}");
    }
}

const INDICES: [&str; 3] = [
    "optimize-position-based-import-index",
    "optimize-timestamp-based-import-index",
    "optimize-report",
];

/// A cluster holding backup 7 of Optimize's indices, all still present.
fn cluster_with_backup(flavor: Flavor) -> Cluster {
    let cluster = Cluster::start(flavor);
    cluster.add_indices(INDICES);
    let store = ClusterStore::builder(Product::Elasticsearch, cluster.url())
        .build()
        .unwrap();
    let plan = BackupPlan::optimize("8.6.0").unwrap();
    cluster.runtime.block_on(async {
        for part in plan.snapshot_parts(backup_actuator_core::BackupId::new(7).unwrap()) {
            store.create_snapshot("backups", &part).await.unwrap();
        }
    });
    cluster
}

fn restore(cluster: &Cluster, extra: &[&str]) -> (i32, String, String) {
    let url = cluster.url();
    let backend = if cluster.flavor().is_opensearch() {
        "opensearch"
    } else {
        "elasticsearch"
    };
    let mut argv = vec![
        "restore",
        "7",
        "--backend",
        backend,
        "--url",
        &url,
        "--repository",
        "backups",
        "--poll-interval",
        "20ms",
    ];
    argv.extend_from_slice(extra);
    let ((code, stderr), stdout) = run_with_env(&argv, &[]);
    (code, stdout, stderr)
}

#[test]
fn restore_without_yes_prints_the_plan_and_changes_nothing() {
    let cluster = cluster_with_backup(Flavor::OpenSearch2);
    cluster.clear_requests();
    let (code, stdout, stderr) = restore(&cluster, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Restore of backup 7 from repository [backups]: 2 part(s), 3 index(es), 3 of them exist now\n"), "{stdout}");
    assert!(
        stdout.contains("  part 1 of 2: camunda_optimize_7_8.6.0_part_1_of_2 (2 index(es))\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    optimize-report (exists)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Nothing was changed. Run again with --yes"),
        "{stdout}"
    );
    let changed = cluster
        .requests()
        .iter()
        .any(|r| r.method != http::Method::GET && r.method != http::Method::HEAD);
    assert!(!changed);

    let (code, stdout, _) = restore(&cluster, &["--output", "json"]);
    assert_eq!(code, 0);
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        plan["parts"][1]["existing"],
        serde_json::json!(["optimize-report"])
    );
}

#[test]
fn restore_yes_refuses_existing_indices_then_delete_existing_restores() {
    let cluster = cluster_with_backup(Flavor::Elasticsearch7_10);
    let (code, stdout, stderr) = restore(&cluster, &["--yes"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains("refusing to restore: these indices exist: ["),
        "{stderr}"
    );
    for index in INDICES {
        assert!(stderr.contains(index), "{index} in {stderr}");
    }
    let (code, stdout, stderr) = restore(&cluster, &["--yes", "--delete-existing"]);
    assert_eq!(code, 0, "{stderr}");
    let deleting = stdout.lines().next().unwrap();
    assert!(
        deleting.starts_with("deleting existing indices: ["),
        "{stdout}"
    );
    assert!(
        INDICES.iter().all(|index| deleting.contains(index)),
        "{stdout}"
    );
    assert!(
        stdout.contains("part 1/2 camunda_optimize_7_8.6.0_part_1_of_2: restoring 2 index(es)\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("Restored backup 7: 3 index(es), every one at least yellow.\n"),
        "{stdout}"
    );
    let restores: Vec<String> = cluster
        .requests()
        .iter()
        .filter(|r| r.decoded_path().ends_with("/_restore"))
        .map(|r| r.decoded_path())
        .collect();
    assert_eq!(restores.len(), 2);
}

#[test]
fn restore_of_a_failed_backup_or_on_memory_is_refused_with_exit_1() {
    let cluster = Cluster::start(Flavor::Elasticsearch8_15);
    let now = cluster.clock().now_millis();
    cluster.insert_snapshots(
        "backups",
        [
            SeededSnapshot::new(
                "camunda_optimize_7_8.6.0_part_1_of_2",
                EmulatedSnapshotState::Success,
                now,
            ),
            SeededSnapshot::new(
                "camunda_optimize_7_8.6.0_part_2_of_2",
                EmulatedSnapshotState::Failed,
                now,
            ),
        ],
    );
    let (code, _, stderr) = restore(&cluster, &["--yes"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("backup 7 is FAILED, not COMPLETE: only a complete backup can be restored"),
        "{stderr}"
    );

    let ((code, stderr), _) = run_with_env(&["restore", "7", "--repository", "backups"], &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("restore works on a cluster: pass --backend elasticsearch or opensearch"),
        "{stderr}"
    );
    let ((code, _), _) = run_with_env(&["restore", "7", "--delete-existing"], &[]);
    assert_eq!(code, 2, "--delete-existing needs --yes");
}
