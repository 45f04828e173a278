//! The built `backup-actuator` binary, end to end over real TCP: start on
//! port 0, read the bound address from the startup log line, run the tour,
//! and stop it with SIGTERM.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::{run, Server, BIN};
use serde_json::Value;

#[test]
fn serve_runs_the_tour_and_stops_on_sigterm() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "300ms",
    ]);

    let posted = Instant::now();
    let (status, body) = server.request(
        "POST",
        "/actuator/backups",
        r#"{"backupId":"20260220181029"}"#,
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body,
        r#"{"message":"Backup creation for ID 20260220181029 has been scheduled. Use the GET API to monitor completion of backup process"}"#
    );

    // Found at once, IN_PROGRESS, then COMPLETE. The parts complete 300 ms
    // after they were created, which is after `posted`: an answer that
    // arrived sooner than that must say IN_PROGRESS; a later one (a slow
    // machine) may already say COMPLETE.
    let backup = server.json("/actuator/backups/20260220181029");
    if posted.elapsed() < Duration::from_millis(300) {
        assert_eq!(backup["state"], "IN_PROGRESS");
    } else {
        assert!(
            backup["state"] == "IN_PROGRESS" || backup["state"] == "COMPLETE",
            "{backup}"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let backup = server.json("/actuator/backups/20260220181029");
        if backup["state"] == "COMPLETE" {
            break;
        }
        assert_eq!(backup["state"], "IN_PROGRESS");
        assert!(Instant::now() < deadline, "never completed");
        thread::sleep(Duration::from_millis(50));
    }

    let list = server.json("/actuator/backups");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["details"].as_array().unwrap().len(), 2);
    assert_eq!(server.json("/actuator/backup"), list);

    let (status, body) = server.request(
        "POST",
        "/actuator/backups",
        r#"{"backupId":20260220181029}"#,
    );
    assert_eq!(status, 409, "{body}");

    assert_eq!(
        server
            .request("DELETE", "/actuator/backups/20260220181029", "")
            .0,
        204
    );
    let (status, body) = server.request("GET", "/actuator/backups/20260220181029", "");
    assert_eq!(status, 404);
    assert!(
        body.contains("No backup with ID [20260220181029] could be found."),
        "{body}"
    );
    assert_eq!(server.json("/actuator/backups"), Value::Array(vec![]));

    let (status, body) = server.request("GET", "/elsewhere", "");
    assert_eq!(status, 404);
    assert!(body.contains("notFoundError"), "{body}");

    assert_eq!(server.terminate(), 0);
}

#[test]
fn optimize_server_compat_writes_completed() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "0s",
        "--compat",
        "optimize-server",
        "--base-path",
        "/manage",
    ]);
    assert_eq!(
        server
            .request("POST", "/manage/backups", r#"{"backupId":1}"#)
            .0,
        202
    );
    assert_eq!(server.json("/manage/backups/1")["state"], "COMPLETED");
    assert_eq!(server.terminate(), 0);
}

#[test]
fn without_repository_the_server_starts_and_backup_routes_answer_400() {
    let server = Server::start(&[]);
    assert!(server.logged("no --repository configured"));
    let (status, body) = server.request("GET", "/actuator/backups", "");
    assert_eq!(status, 400);
    assert!(
        body.contains("no snapshot repository name found in the configuration"),
        "{body}"
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn environment_variables_configure_the_server() {
    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .env("BACKUP_ACTUATOR_LISTEN", "127.0.0.1:0")
        .env("BACKUP_ACTUATOR_REPOSITORY", "from-env")
        .env("BACKUP_ACTUATOR_MEMORY_COMPLETE_AFTER", "0s")
        .env("BACKUP_ACTUATOR_TIME_ZONE", "+01:00")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    let server = Server::spawn(command);
    let line = server
        .stderr
        .lock()
        .unwrap()
        .iter()
        .find(|l| l.contains("listening on"))
        .cloned()
        .unwrap();
    assert!(line.contains(r#"repository="from-env""#), "{line}");
    assert_eq!(
        server
            .request("POST", "/actuator/backups", r#"{"backupId":3}"#)
            .0,
        202
    );
    let backup = server.json("/actuator/backups/3");
    assert!(backup["details"][0]["startTime"]
        .as_str()
        .unwrap()
        .ends_with("+0100"));
    assert_eq!(server.terminate(), 0);
}

#[test]
fn invalid_prefix_exits_non_zero_before_binding() {
    let (code, stderr) = run(&["serve", "--listen", "127.0.0.1:0", "--prefix", "Camunda*"]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("invalid snapshot prefix [Camunda*]"),
        "{stderr}"
    );
    assert!(!stderr.contains("listening on"), "{stderr}");
}

#[test]
fn invalid_version_exits_non_zero_before_binding() {
    let (code, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--app-version",
        "latest",
    ]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("invalid application version [latest]"),
        "{stderr}"
    );
    assert!(!stderr.contains("listening on"), "{stderr}");
}

#[test]
fn invalid_time_zone_exits_non_zero_before_binding() {
    let (code, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--time-zone",
        "Mars/Olympus",
    ]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("unknown time zone [Mars/Olympus]"),
        "{stderr}"
    );
}

#[test]
fn occupied_port_exits_non_zero_with_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = run(&["serve", "--listen", &addr]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    let server = Server::start(&["--repository", "backups"]);
    let body = r#"{"backupId": 42}"#;
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The headers, asking to be told when the body is wanted: the server's
    // `100 Continue` shows that it accepted the connection and is reading
    // this request's body when the signal comes (no guess at how long
    // that takes).
    write!(
        stream,
        "POST /actuator/backups HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len(),
    )
    .unwrap();
    stream.flush().unwrap();
    let mut interim = Vec::new();
    let mut byte = [0u8; 1];
    while !interim.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        interim.push(byte[0]);
    }
    assert!(
        interim.starts_with(b"HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&interim)
    );

    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(server.logged("shutting down"), "the server saw SIGTERM");

    stream.write_all(body.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 202"), "{response}");
    assert_eq!(server.terminate_wait(), 0);
}

/// The signal handlers are in place before the startup line is written,
/// so a supervisor that stops the server as soon as it is up gets a
/// graceful exit 0, not a death by signal.
#[test]
fn sigterm_right_after_the_startup_line_is_graceful() {
    for _ in 0..5 {
        let server = Server::start(&[]);
        assert_eq!(server.terminate(), 0);
    }
}

#[test]
fn memory_outcomes_show_failed_partial_and_incompatible_backups() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "0s",
        "--memory-outcome",
        "camunda_optimize_1_*_part_2_of_2=failed",
        "--memory-outcome",
        "camunda_optimize_2_*=partial",
        "--memory-outcome",
        "camunda_optimize_3_*=incompatible",
        "--memory-outcome",
        "camunda_optimize_4_*=hang",
    ]);
    for id in 1..=4 {
        let (status, _) = server.request(
            "POST",
            "/actuator/backups",
            &format!(r#"{{"backupId":{id}}}"#),
        );
        assert_eq!(status, 202);
    }
    let state = |id: u32| server.json(&format!("/actuator/backups/{id}"));
    assert_eq!(state(1)["state"], "FAILED");
    assert_eq!(state(2)["state"], "FAILED");
    assert_eq!(
        state(2)["details"][0]["failures"][0],
        "[optimize-simulated][0] simulated by --memory-outcome (status: INTERNAL_SERVER_ERROR)"
    );
    assert_eq!(state(3)["state"], "INCOMPATIBLE");
    assert_eq!(state(4)["state"], "IN_PROGRESS");
    assert_eq!(server.terminate(), 0);
}

#[test]
fn invalid_memory_outcome_exits_non_zero() {
    let (code, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--memory-outcome",
        "*=exploded",
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains("unknown outcome [exploded]"), "{stderr}");
}

#[test]
fn repository_names_with_wildcards_or_lists_exit_non_zero_before_binding() {
    for name in ["*", "a,b", "_all", "a/b", "with space"] {
        let (code, stderr) = run(&["serve", "--listen", "127.0.0.1:0", "--repository", name]);
        assert_ne!(code, 0, "{name}");
        assert!(
            stderr.contains(&format!("invalid repository name [{name}]")),
            "{stderr}"
        );
        assert!(!stderr.contains("listening on"), "{stderr}");
    }
}

#[test]
fn base_paths_that_cannot_match_a_request_exit_non_zero() {
    for path in ["/a b", "/a?x", "/a#b", "/ä"] {
        let (code, stderr) = run(&["serve", "--listen", "127.0.0.1:0", "--base-path", path]);
        assert_ne!(code, 0, "{path}");
        assert!(
            stderr.contains(&format!("invalid base path [{path}]")),
            "{stderr}"
        );
    }
}

#[test]
fn memory_outcome_with_a_cluster_backend_exits_non_zero() {
    let (code, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--backend",
        "elasticsearch",
        "--url",
        "http://127.0.0.1:9",
        "--memory-outcome",
        "*=failed",
    ]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("--memory-outcome only applies to --backend memory"),
        "{stderr}"
    );
}
