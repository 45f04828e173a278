//! The client in process against the service (memory store and testkit,
//! both dialects) and against recorded Optimize answers; and the printed
//! forms of `list` and `status`, with a fixed clock (SPEC §9).

use std::sync::Arc;
use std::time::Duration;

use backup_actuator_core::{
    BackupId, BackupInfo, BackupPlan, BackupState, Compatibility, Product, SnapshotDetail,
    SnapshotState,
};
use backup_actuator_search::ClusterStore;
use backup_actuator_service::BackupService;
use backup_actuator_store::{MemoryStore, PartOutcome, SnapshotStore};
use backup_actuator_testkit::{EmulatedCluster, Flavor, SeededSnapshot};
use clap::Parser;
use jiff::tz::TimeZone;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tower_layer::Layer;

use super::render::{list_table, status_table, Look};
use super::*;
use crate::auth::{AccessToken, RequireBearerLayer};
use crate::cli::{Cli, Command};
use crate::serve::{serve, ServeOptions};

const OPTIONS: ServeOptions = ServeOptions {
    header_read_timeout: Duration::from_secs(10),
    max_connections: 64,
    drain: Duration::from_secs(30),
    max_connections_per_client: 64,
    compat: Compatibility::Documented,
};

fn args(url: &str, list: &[&str]) -> BackupArgs {
    let argv = [
        "backup-actuator",
        "backup",
        "--url",
        url,
        "--poll-interval",
        "5ms",
    ]
    .into_iter()
    .chain(list.iter().copied());
    match Cli::try_parse_from(argv).unwrap().command {
        Command::Backup(args) => args,
        other => panic!("not backup: {other:?}"),
    }
}

/// Runs a client command; (exit code or error message, stdout).
async fn run(url: &str, list: &[&str]) -> (Result<u8, String>, String) {
    let mut out = Vec::new();
    let clock = Clock {
        now: "2026-11-30T12:00:00Z".parse().unwrap(),
        zone: TimeZone::UTC,
    };
    let result = execute(&args(url, list), &mut out, Screen::pipe(), &clock)
        .await
        .map_err(|e| e.to_string());
    (result, String::from_utf8(out).unwrap())
}

/// The service on `store`, served on a free port; its URL.
async fn start(store: Arc<dyn SnapshotStore>, compat: Compatibility) -> String {
    let service = BackupService::builder(store, BackupPlan::optimize("8.6.0").unwrap())
        .repository("backups")
        .compatibility(compat)
        .build();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, service, OPTIONS, std::future::pending()));
    url
}

fn memory() -> MemoryStore {
    MemoryStore::builder()
        .complete_after(Duration::from_millis(20))
        .build()
}

const DIALECTS: [Compatibility; 2] = [Compatibility::Documented, Compatibility::OptimizeServer];

#[tokio::test]
async fn create_wait_ends_complete_with_exit_0_in_both_dialects() {
    for compat in DIALECTS {
        let url = start(Arc::new(memory()), compat).await;
        let (code, out) = run(&url, &["create", "7", "--wait", "--output", "json"]).await;
        assert_eq!(code, Ok(0), "{compat:?}: {out}");
        let info: serde_json::Value = serde_json::from_str(&out).unwrap();
        // Printed as the server wrote it.
        let written = match compat {
            Compatibility::Documented => "COMPLETE",
            Compatibility::OptimizeServer => "COMPLETED",
        };
        assert_eq!(info["state"], written, "{compat:?}");
        assert_eq!(info["backupId"], 7);
        assert_eq!(info["details"].as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn wait_without_a_terminal_prints_one_line_per_state_change() {
    let url = start(Arc::new(memory()), Compatibility::OptimizeServer).await;
    let (code, out) = run(&url, &["create", "3", "--wait"]).await;
    assert_eq!(code, Ok(0), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("Backup creation for ID 3 has been scheduled"),
        "{out}"
    );
    // How many polls saw it running depends on the machine; the lines do not.
    let progress: Vec<&str> = lines[1..]
        .iter()
        .copied()
        .take_while(|line| line.starts_with("backup 3 "))
        .collect();
    assert_eq!(
        progress.last(),
        Some(&"backup 3 COMPLETE: part 1/2 SUCCESS, part 2/2 SUCCESS"),
        "{out}"
    );
    assert!(progress.len() <= 2, "{out}");
    assert!(
        out.contains("\nBackup 3: COMPLETE (2/2 parts done)\n"),
        "{out}"
    );
}

#[test]
fn lines_view_prints_a_line_only_when_the_state_changes() {
    let [mut running, done] = [sample()[0].clone(), sample()[0].clone()];
    running.state = BackupState::InProgress;
    running.details[1].state = SnapshotState::InProgress;
    let mut view = Lines::new(Vec::new());
    for info in [&running, &running, &running, &done, &done] {
        View::update(&mut view, info);
    }
    assert_eq!(
        String::from_utf8(view.into_inner()).unwrap(),
        "backup 7 IN_PROGRESS: part 1/2 SUCCESS, part 2/2 IN_PROGRESS\n\
         backup 7 COMPLETE: part 1/2 SUCCESS, part 2/2 SUCCESS\n"
    );
}

#[tokio::test]
async fn final_states_map_to_exit_codes_10_12_and_timeout_to_13() {
    // A backup that ends is given all the time a loaded machine may need,
    // so only the one that never ends can reach its (short) timeout.
    let cases = [
        ("*_part_2_of_2", PartOutcome::Failed, 10, "60s"),
        ("*_part_1_of_2", PartOutcome::Incompatible, 12, "60s"),
        ("*_part_2_of_2", PartOutcome::Hang, 13, "200ms"),
    ];
    for (glob, outcome, expected, timeout) in cases {
        let store = memory();
        store.set_outcome(glob, outcome.clone());
        let url = start(Arc::new(store), Compatibility::Documented).await;
        let (code, out) = run(
            &url,
            &[
                "create",
                "1",
                "--wait",
                "--timeout",
                timeout,
                "--output",
                "json",
            ],
        )
        .await;
        assert_eq!(code, Ok(expected), "{outcome:?}: {out}");
        let info: BackupInfo = serde_json::from_str(&out).unwrap();
        let (code, _) = run(&url, &["status", "1"]).await;
        let status_code = if info.state == BackupState::InProgress {
            0
        } else {
            expected
        };
        assert_eq!(code, Ok(status_code), "status of {outcome:?}");
        let (code, _) = run(&url, &["wait", "1", "--timeout", timeout]).await;
        assert_eq!(code, Ok(expected), "wait of {outcome:?}");
    }
}

#[tokio::test]
async fn incomplete_backup_exits_11_against_testkit() {
    let cluster = EmulatedCluster::start(Flavor::Elasticsearch8_15)
        .await
        .unwrap();
    cluster.add_repository("backups");
    let now = cluster.clock().now_millis();
    cluster.insert_snapshot(
        "backups",
        SeededSnapshot::new(
            "camunda_optimize_5_8.6.0_part_1_of_2",
            testkit_success(),
            now,
        ),
    );
    let store = ClusterStore::builder(Product::Elasticsearch, cluster.url())
        .build()
        .unwrap();
    let url = start(Arc::new(store), Compatibility::Documented).await;
    let (code, out) = run(&url, &["wait", "5"]).await;
    assert_eq!(code, Ok(11), "{out}");
    assert!(
        out.contains("Backup 5: INCOMPLETE (1/2 parts done)"),
        "{out}"
    );
}

fn testkit_success() -> backup_actuator_testkit::EmulatedSnapshotState {
    backup_actuator_testkit::EmulatedSnapshotState::Success
}

#[tokio::test]
async fn every_command_works_against_testkit_in_both_dialects() {
    for compat in DIALECTS {
        let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await.unwrap();
        cluster.add_repository("backups");
        let store = ClusterStore::builder(Product::Elasticsearch, cluster.url())
            .build()
            .unwrap();
        let url = start(Arc::new(store), compat).await;
        assert_eq!(run(&url, &["create", "42", "--wait"]).await.0, Ok(0));
        let (code, out) = run(&url, &["list", "--output", "json"]).await;
        assert_eq!(code, Ok(0));
        let list: Vec<BackupInfo> = serde_json::from_str(&out).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].state, BackupState::Complete);
        let (code, out) = run(&url, &["delete", "42", "--output", "json"]).await;
        assert_eq!(code, Ok(0));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
            serde_json::json!({"backupId": 42, "deleted": true})
        );
        assert!(cluster.snapshot_names("backups").is_empty());
        let (code, _) = run(&url, &["status", "42"]).await;
        let message = code.unwrap_err();
        assert!(
            message.ends_with(
                "answered HTTP 404: No backup with ID [42] could be found. (notFoundError)"
            ),
            "{message}"
        );
        let (code, out) = run(&url, &["list"]).await;
        assert_eq!((code, out.as_str()), (Ok(0), "No backups.\n"));
    }
}

/// A server that answers as the shipped Optimize does (recorded bodies).
async fn optimize_server() -> String {
    const COMPLETED: &str = r#"{"backupId":5,"failureReason":null,"state":"COMPLETED","details":[{"snapshotName":"camunda_optimize_5_3.10.0_part_1_of_2","state":"SUCCESS","startTime":"2022-11-09T10:11:36.978+0100","failures":[]},{"snapshotName":"camunda_optimize_5_3.10.0_part_2_of_2","state":"SUCCESS","startTime":"2022-11-09T10:11:37.001+0100","failures":[]}]}"#;
    const NOT_FOUND: &str = r#"{"errorCode":"notFoundError","errorMessage":"The server could not find the requested resource.","detailedMessage":"No Optimize backup with ID [6] could be found.","reportDefinition":null}"#;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let line = head.lines().next().unwrap_or_default().to_owned();
                let (status, ctype, body) = if line.starts_with("POST /actuator/backups ") {
                    (202, "application/json", "{\"message\" : \"Backup creation for ID 5 has been scheduled. Use the GET API to monitor completion of backup process\"}".to_owned())
                } else if line.starts_with("GET /actuator/backups/5 ") {
                    (200, "application/json", COMPLETED.to_owned())
                } else if line.starts_with("GET /actuator/backups/6 ") {
                    (404, "application/json", NOT_FOUND.to_owned())
                } else if line.starts_with("GET /actuator/backups ") {
                    // Optimize does not sort its list.
                    let other = COMPLETED
                        .replace("_5_", "_2_")
                        .replace("\"backupId\":5", "\"backupId\":2");
                    (200, "application/json", format!("[{COMPLETED},{other}]"))
                } else {
                    (
                        404,
                        "text/html",
                        "<html><body><h1>Whitelabel Error Page</h1></body></html>".to_owned(),
                    )
                };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn client_reads_the_shipped_optimize_servers_answers() {
    let url = optimize_server().await;
    let (code, out) = run(&url, &["create", "5", "--wait", "--output", "json"]).await;
    assert_eq!(code, Ok(0), "{out}");
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["state"], "COMPLETED");

    let (code, out) = run(&url, &["create", "5"]).await;
    assert_eq!(code, Ok(0));
    assert!(
        out.starts_with("Backup creation for ID 5 has been scheduled."),
        "{out}"
    );

    let (code, out) = run(&url, &["list", "--output", "json"]).await;
    assert_eq!(code, Ok(0));
    let ids: Vec<u64> = serde_json::from_str::<Vec<BackupInfo>>(&out)
        .unwrap()
        .iter()
        .map(|b| b.backup_id.get())
        .collect();
    // The server's answer, in the server's order (Optimize does not sort).
    assert_eq!(ids, [5, 2]);

    let (code, _) = run(&url, &["status", "6"]).await;
    assert_eq!(
        code.unwrap_err(),
        format!("GET {url}/actuator/backups/6 answered HTTP 404: No Optimize backup with ID [6] could be found. (notFoundError)")
    );

    let (code, _) = run(&url, &["--base-path", "/management", "list"]).await;
    let message = code.unwrap_err();
    assert!(
        message.contains("answered HTTP 404: a text/html body of 56 bytes (not this API's error body: is --url or --base-path wrong?)"),
        "{message}"
    );
}

#[tokio::test]
async fn connection_refused_is_named() {
    let refusing = backup_actuator_testkit::RefusingPort::reserve().unwrap();
    let url = refusing.url();
    let (code, _) = run(&url, &["list"]).await;
    let message = code.unwrap_err();
    assert!(
        message.starts_with(&format!(
            "cannot reach the backup API: GET {url}/actuator/backups failed: "
        )),
        "{message}"
    );
    assert!(message.to_lowercase().contains("refused"), "{message}");
}

#[tokio::test]
async fn a_refused_token_names_its_file_never_the_token() {
    let dir = std::env::temp_dir().join(format!("w14-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let right = dir.join("right");
    let wrong = dir.join("wrong");
    std::fs::write(&right, "s3cr3t-right-token\n").unwrap();
    std::fs::write(&wrong, "s3cr3t-wrong-token\n").unwrap();

    let service =
        BackupService::builder(Arc::new(memory()), BackupPlan::optimize("8.6.0").unwrap())
            .repository("backups")
            .build();
    let token = AccessToken::from_file(&right).unwrap();
    let gated = RequireBearerLayer::new(token, Compatibility::Documented).layer(service);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        gated,
        OPTIONS,
        std::future::pending::<()>(),
    ));

    let (code, _) = run(&url, &["list"]).await;
    let message = code.unwrap_err();
    assert!(
        message.contains("HTTP 401 Unauthorized: the server requires a token: pass --token-file"),
        "{message}"
    );

    let wrong_arg = wrong.to_str().unwrap();
    let (code, _) = run(&url, &["--token-file", wrong_arg, "list"]).await;
    let message = code.unwrap_err();
    assert!(
        message.ends_with(&format!(
            "the server refused the token from --token-file {wrong_arg}"
        )),
        "{message}"
    );
    assert!(!message.contains("s3cr3t"), "{message}");

    let (code, out) = run(&url, &["--token-file", right.to_str().unwrap(), "list"]).await;
    assert_eq!((code, out.as_str()), (Ok(0), "No backups.\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

// The printed forms, with a fixed clock and zone.

fn sample() -> Vec<BackupInfo> {
    let detail = |name: &str, state, start: Option<&str>, failures: &[&str]| SnapshotDetail {
        snapshot_name: name.to_owned(),
        state,
        start_time: start.map(str::to_owned),
        failures: failures.iter().map(|f| (*f).to_owned()).collect(),
    };
    vec![
        BackupInfo {
            backup_id: BackupId::new(7).unwrap(),
            failure_reason: None,
            state: BackupState::Complete,
            details: vec![
                detail("camunda_optimize_7_8.6.0_part_1_of_2", SnapshotState::Success, Some("2026-11-30T10:11:36.978+0000"), &[]),
                detail("camunda_optimize_7_8.6.0_part_2_of_2", SnapshotState::Success, Some("2026-11-30T10:11:37.001+0000"), &[]),
            ],
        },
        BackupInfo {
            backup_id: BackupId::new(20261130115500).unwrap(),
            failure_reason: Some("The following snapshots failed: [camunda_optimize_20261130115500_8.6.0_part_2_of_2]".to_owned()),
            state: BackupState::Failed,
            details: vec![
                detail("camunda_optimize_20261130115500_8.6.0_part_1_of_2", SnapshotState::Success, Some("2026-11-30T12:55:00.000+0100"), &[]),
                detail(
                    "camunda_optimize_20261130115500_8.6.0_part_2_of_2",
                    SnapshotState::Partial,
                    None,
                    &["[optimize-a][0] disk full (node: n1, status: INTERNAL_SERVER_ERROR)"],
                ),
            ],
        },
    ]
}

fn fixed_clock() -> Clock {
    Clock {
        now: "2026-11-30T12:00:00Z".parse().unwrap(),
        zone: TimeZone::get("Europe/Berlin").unwrap(),
    }
}

fn all(list: &[BackupInfo]) -> Vec<&BackupInfo> {
    let mut all: Vec<&BackupInfo> = list.iter().collect();
    newest_first(&mut all, |info| info);
    all
}

#[test]
fn list_table_shows_newest_first_id_state_parts_started_in_local_time_and_age() {
    let list = sample();
    let all = all(&list);
    assert_eq!(
        list_table(&all, &all, &fixed_clock(), Look::default()),
        "\
ID              STATE     PARTS  STARTED                  AGE
20261130115500  FAILED    1/2    2026-11-30 12:55:00 CET  5m
7               COMPLETE  2/2    2026-11-30 11:11:36 CET  1h
2 backups: 1 COMPLETE, 1 FAILED; newest COMPLETE: 7, started 1h ago"
    );
}

#[test]
fn a_limited_list_says_how_many_it_shows_and_counts_them_all() {
    let list = sample();
    let all = all(&list);
    assert_eq!(
        list_table(&all[..1], &all, &fixed_clock(), Look::default()),
        "\
ID              STATE   PARTS  STARTED                  AGE
20261130115500  FAILED  1/2    2026-11-30 12:55:00 CET  5m
1 of 2 backups shown (--limit 0 for all): 1 COMPLETE, 1 FAILED; newest COMPLETE: 7, started 1h ago"
    );
}

#[test]
fn status_table_shows_each_part_and_the_failure_reason() {
    assert_eq!(
        status_table(&sample()[1], &fixed_clock(), Look::default()),
        "\
Backup 20261130115500: FAILED (1/2 parts done)
Failure reason: The following snapshots failed: [camunda_optimize_20261130115500_8.6.0_part_2_of_2]
PART  SNAPSHOT                                           STATE    STARTED                  FAILURES
1/2   camunda_optimize_20261130115500_8.6.0_part_1_of_2  SUCCESS  2026-11-30 12:55:00 CET  -
2/2   camunda_optimize_20261130115500_8.6.0_part_2_of_2  PARTIAL  -                        [optimize-a][0] disk full (node: n1, status: INTERNAL_SERVER_ERROR)"
    );
}

#[test]
fn status_table_fits_a_narrow_terminal_by_cutting_names_and_wrapping_failures_at_words() {
    let look = Look {
        color: false,
        width: Some(80),
    };
    let text = status_table(&sample()[1], &fixed_clock(), look);
    for line in text.lines().skip(2) {
        assert!(line.chars().count() <= 80, "{line:?} in\n{text}");
    }
    assert!(text.contains("…"), "a cut name: {text}");
    // Whole words only: the status is never split.
    assert!(text.contains("INTERNAL_SERVER_ERROR)"), "{text}");
}

#[test]
fn an_ended_part_shows_a_check_for_success_and_a_cross_for_the_rest() {
    let plain = Look::default();
    let ran = Duration::from_secs(65);
    assert_eq!(
        watch::ended_part("part 1/2", &SnapshotState::Success, ran, plain),
        "✓ part 1/2   SUCCESS      1m 05s"
    );
    for state in [
        SnapshotState::Failed,
        SnapshotState::Partial,
        SnapshotState::Incompatible,
    ] {
        let line = watch::ended_part("part 2/2", &state, ran, plain);
        assert!(line.starts_with("✗ part 2/2   "), "{line}");
        assert!(line.contains(state.as_str()), "{line}");
    }
    let colored = Look {
        color: true,
        width: None,
    };
    assert_eq!(
        watch::ended_part("part 2/2", &SnapshotState::Failed, ran, colored),
        "\u{1b}[31m✗\u{1b}[0m part 2/2   \u{1b}[31mFAILED\u{1b}[0m       1m 05s"
    );
}

#[test]
fn with_wait_the_servers_advice_to_poll_is_left_out() {
    assert_eq!(
        without_poll_advice("Backup creation for ID 3 has been scheduled. Use the GET API to monitor completion of backup process"),
        "Backup creation for ID 3 has been scheduled."
    );
    assert_eq!(without_poll_advice("Scheduled."), "Scheduled.");
}

/// A server that answers `503` to the first `unavailable` requests, then
/// a COMPLETE backup 5.
async fn briefly_unavailable(unavailable: usize) -> String {
    const COMPLETE: &str = r#"{"backupId":5,"failureReason":null,"state":"COMPLETE","details":[]}"#;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        for answered in 0.. {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 8192];
            let _ = stream.read(&mut buf).await;
            let (status, body) = if answered < unavailable {
                (503, "Service Unavailable")
            } else {
                (200, COMPLETE)
            };
            let answer = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    url
}

#[tokio::test]
async fn a_wait_polls_through_up_to_four_503s_in_a_row() {
    let url = briefly_unavailable(4).await;
    let (code, out) = run(&url, &["wait", "5"]).await;
    assert_eq!(code, Ok(0), "{out}");
    assert!(out.contains("Backup 5: COMPLETE"), "{out}");
}

#[tokio::test]
async fn a_wait_ends_with_the_fifth_503_in_a_row() {
    let url = briefly_unavailable(5).await;
    let (code, _) = run(&url, &["wait", "5"]).await;
    let message = code.unwrap_err();
    assert!(
        message.ends_with(
            "answered HTTP 503: a text/plain body: Service Unavailable (not this API's error body)"
        ),
        "{message}"
    );
}
