//! SPEC §10 end to end: the built binary with `--schedule`, on the memory
//! store and, as two replicas, on one emulated cluster. Slots are seconds
//! apart through the hidden test-only `--schedule-seconds`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::thread;
use std::time::{Duration, Instant};

use backup_actuator_testkit::Flavor;
use common::{run, Cluster, Server};

/// Waits until `server` has logged `needle` `times` times (60 s at most).
fn wait_for_log(server: &Server, needle: &str, times: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lines = server.stderr.lock().unwrap().clone();
        if lines.iter().filter(|l| l.contains(needle)).count() >= times {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "no {times} × {needle:?} within 60 s: {lines:#?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn schedule_flags_are_checked_at_start_with_a_clear_message() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--repository", "b", "--schedule", "61 * * * *"],
            "invalid cron expression '61 * * * *'",
        ),
        (
            &["--repository", "b", "--schedule", "*/5 * * * * *"],
            "invalid cron expression",
        ),
        (
            &[
                "--repository",
                "b",
                "--schedule",
                "0 2 * * *",
                "--keep-last",
                "0",
            ],
            "--keep-last must be at least 1",
        ),
        (
            &["--repository", "b", "--keep-last", "3"],
            "--keep-last applies to scheduled backups only; add --schedule CRON",
        ),
        (
            &["--repository", "b", "--keep-within", "7d"],
            "--keep-within applies to scheduled backups only",
        ),
        (
            &[
                "--repository",
                "b",
                "--schedule",
                "@daily",
                "--retention-dry-run",
            ],
            "--retention-dry-run needs --keep-last or --keep-within",
        ),
        (&["--schedule", "@daily"], "--schedule needs --repository"),
    ];
    for (args, message) in cases {
        let argv: Vec<&str> = ["serve", "--listen", "127.0.0.1:0"]
            .iter()
            .chain(args.iter())
            .copied()
            .collect();
        let (code, stderr) = run(&argv);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("listening on"), "{args:?}: {stderr}");
    }
}

#[test]
fn the_startup_line_names_the_next_slot() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--schedule",
        "0 3 * * *",
        "--time-zone",
        "Europe/Berlin",
        "--keep-last",
        "7",
        "--keep-within",
        "14d",
    ]);
    let log = server.stop();
    let line = log
        .lines()
        .find(|l| l.contains("scheduled backups '0 3 * * *' in Europe/Berlin: next slot "))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        line.contains("retention: keep-last 7, keep-within 14days"),
        "{line}"
    );
    // 03:00 in Berlin is 01:00 or 02:00 UTC: the id says so.
    let id = line
        .split("next slot ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert_eq!(id.len(), 14, "{line}");
    assert!(id.ends_with("010000") || id.ends_with("020000"), "{line}");
}

#[test]
fn keep_last_2_on_the_memory_store_keeps_two_scheduled_backups_and_the_manual_one() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "0s",
        "--schedule",
        "* * * * * *",
        "--schedule-seconds",
        "--keep-last",
        "2",
    ]);
    let (status, body) = server.request("POST", "/actuator/backups", r#"{"backupId": 7}"#);
    assert_eq!(status, 202, "{body}");
    let log = wait_for_log(&server, "retention deleted backup", 2);

    let list = server.json("/actuator/backups");
    let backups = list.as_array().unwrap();
    assert!(
        backups
            .iter()
            .any(|b| b["backupId"] == 7 && b["state"] == "COMPLETE"),
        "the manual backup stays: {list:#}"
    );
    // Each deletion took a scheduled backup with at least two newer ones
    // triggered before it: read from the log's order, not from the list at
    // some moment, which a slot that has just run makes hold three.
    let id_after = |line: &str, marker: &str| -> Option<u64> {
        let rest = line.split(marker).nth(1)?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let mut triggered = Vec::new();
    let mut deleted = Vec::new();
    for line in &log {
        if line.contains(" triggered") {
            triggered.extend(id_after(line, "scheduled backup "));
        }
        if let Some(id) = id_after(line, "retention deleted backup ") {
            let newer = triggered.iter().filter(|t| **t > id).count();
            assert!(id != 7 && newer >= 2, "{id}, {newer} newer: {line}");
            deleted.push(id);
        }
    }
    assert!(deleted.len() >= 2, "{log:#?}");
    // What was deleted is gone from the list read after it.
    for id in &deleted {
        assert!(
            !backups.iter().any(|b| b["backupId"] == *id),
            "{id} deleted but listed: {list:#}"
        );
    }
    // Every deletion is logged with its id and rule.
    let deletions: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("retention deleted backup"))
        .collect();
    for line in &deletions {
        assert!(
            line.contains(": keep-last 2: not among the 2 newest"),
            "{line}"
        );
        assert!(
            line.contains("rule=\"keep-last\"") || line.contains("rule=keep-last"),
            "{line}"
        );
    }
    let log = server.stop();
    assert!(log.contains("schedule stopped"), "{log}");
}

/// SPEC §11: with `--metrics`, what the schedule does reaches the scrape:
/// its runs, retention's deletions and the newest COMPLETE backup's start.
#[test]
fn scheduled_runs_and_retention_deletions_reach_the_metrics() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "0s",
        "--schedule",
        "* * * * * *",
        "--schedule-seconds",
        "--keep-last",
        "1",
        "--metrics",
    ]);
    wait_for_log(&server, "retention deleted backup", 1);
    // The slot's report reaches the metrics after the slot logged its
    // deletion, so the scrape is read until it shows it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, text) = server.request("GET", "/actuator/prometheus", "");
        assert_eq!(status, 200, "{text}");
        let value = |series: &str| -> f64 {
            text.lines()
                .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
                .unwrap_or(0.0)
        };
        let runs = value(r#"backup_actuator_scheduled_runs_total{outcome="triggered"}"#);
        let deleted = value("backup_actuator_retention_deleted_backups_total");
        // A scheduled id is its slot's UTC time, so its start is this year's.
        let newest = value("backup_actuator_newest_complete_backup_start_time_seconds");
        if runs >= 2.0 && deleted >= 1.0 && newest > 1.7e9 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "runs {runs}, deleted {deleted}, newest {newest} in:\n{text}"
        );
        thread::sleep(Duration::from_millis(200));
    }
    server.stop();
}

#[test]
fn two_servers_on_one_emulated_cluster_create_one_backup_per_slot() {
    let cluster = Cluster::start(Flavor::OpenSearch2);
    let url = cluster.url();
    let args = [
        "--backend",
        "opensearch",
        "--url",
        &url,
        "--repository",
        "backups",
        "--app-version",
        "8.6.0",
        "--schedule",
        "* * * * * *",
        "--schedule-seconds",
    ];
    let first = Server::start(&args);
    let second = Server::start(&args);
    // Enough slots that both servers were up for several of them.
    wait_for_log(&first, "taken by a peer", 2);
    wait_for_log(&second, "taken by a peer", 2);
    let logs = [first.stop(), second.stop()];

    // Slot id → how many servers created it.
    let mut created: BTreeMap<String, usize> = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for log in &logs {
        for line in log.lines() {
            if let Some(rest) = line.split("scheduled backup ").nth(1) {
                let mut words = rest.split(' ');
                if let (Some(id), Some("triggered")) = (words.next(), words.next()) {
                    *created.entry(id.to_owned()).or_default() += 1;
                }
            }
            if let Some(rest) = line.split("slot ").nth(1) {
                if rest.contains("taken by a peer") {
                    taken.insert(rest.split(' ').next().unwrap().to_owned());
                }
            }
        }
    }
    assert!(created.values().all(|n| *n == 1), "{created:?}");
    // Each slot a peer found taken was created by exactly one server.
    assert!(
        taken.iter().all(|id| created.get(id) == Some(&1)),
        "{taken:?} {created:?}"
    );
    // The cluster holds exactly the parts of the created backups. A claim
    // may stand beside them: a release that was still in the background
    // when the server stopped (SPEC §6: it then expires).
    let names = cluster.snapshot_names("backups");
    let id_of = |name: &String| name.split('_').nth(2).unwrap().to_owned();
    let parts: Vec<&String> = names.iter().filter(|n| n.contains("_part_")).collect();
    let ids: BTreeSet<String> = parts.iter().map(|n| id_of(n)).collect();
    assert_eq!(ids, created.keys().cloned().collect::<BTreeSet<_>>());
    assert_eq!(parts.len(), 2 * ids.len(), "{names:?}");
    for name in names.iter().filter(|n| !n.contains("_part_")) {
        assert!(
            name.ends_with("_claim") && ids.contains(&id_of(name)),
            "only parts and a created backup's claim: {names:?}"
        );
    }
}
