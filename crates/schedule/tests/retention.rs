//! SPEC §10 retention, rule by rule, on a table of cases.

use std::time::Duration;

use backup_actuator_core::{BackupId, BackupState};
use backup_actuator_schedule::{BackupFacts, Retention, RetentionRule};
use jiff::Timestamp;

use BackupState::{Complete, Failed, InProgress, Incompatible, Incomplete};

const DAY: Duration = Duration::from_secs(86_400);

/// A scheduled backup of the slot at midnight UTC on 2026-01-`day`.
fn scheduled(day: u64, state: BackupState) -> BackupFacts {
    let id = 20260100000000 + day * 1_000_000;
    BackupFacts {
        id: BackupId::new(id).unwrap(),
        state,
        scheduled: true,
        started_millis: Some(start_of(day)),
    }
}

/// A backup the schedule did not make.
fn manual(id: u64, state: BackupState, day: u64) -> BackupFacts {
    BackupFacts {
        id: BackupId::new(id).unwrap(),
        state,
        scheduled: false,
        started_millis: Some(start_of(day)),
    }
}

fn start_of(day: u64) -> i64 {
    let day: Timestamp = format!("2026-01-{day:02}T00:00:00Z").parse().unwrap();
    day.as_millisecond()
}

fn day_id(day: u64) -> u64 {
    20260100000000 + day * 1_000_000
}

struct Case {
    name: &'static str,
    retention: Retention,
    backups: Vec<BackupFacts>,
    /// (id, rule name) of every deletion, oldest first.
    deleted: Vec<(u64, &'static str)>,
}

fn keep_last(n: usize) -> Retention {
    Retention::builder().keep_last(n).build().unwrap()
}

fn keep_within(d: Duration) -> Retention {
    Retention::builder().keep_within(d).build().unwrap()
}

fn both(n: usize, d: Duration) -> Retention {
    Retention::builder()
        .keep_last(n)
        .keep_within(d)
        .build()
        .unwrap()
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "keep-last keeps the N newest COMPLETE scheduled backups",
            retention: keep_last(2),
            backups: (1..=4).map(|d| scheduled(d, Complete)).collect(),
            deleted: vec![(day_id(1), "keep-last"), (day_id(2), "keep-last")],
        },
        Case {
            name: "keep-within keeps every COMPLETE scheduled backup younger than DUR",
            retention: keep_within(3 * DAY),
            // Now is the 20th: ages 5, 4, 3, 2 and 1 days; 3 days is not younger.
            backups: (15..=19).map(|d| scheduled(d, Complete)).collect(),
            deleted: vec![
                (day_id(15), "keep-within"),
                (day_id(16), "keep-within"),
                (day_id(17), "keep-within"),
            ],
        },
        Case {
            name: "with both, a backup is kept if either keeps it",
            retention: both(1, 5 * DAY),
            backups: [10, 16, 17, 19].map(|d| scheduled(d, Complete)).to_vec(),
            deleted: vec![(day_id(10), "keep-last+keep-within")],
        },
        Case {
            name: "with both, keep-last keeps what keep-within would delete",
            retention: both(3, DAY),
            backups: (10..=13).map(|d| scheduled(d, Complete)).collect(),
            deleted: vec![(day_id(10), "keep-last+keep-within")],
        },
        Case {
            name: "failed, incomplete and incompatible scheduled backups go once a newer one is COMPLETE",
            retention: keep_last(5),
            backups: vec![
                scheduled(1, Failed),
                scheduled(2, Complete),
                scheduled(3, Incomplete),
                scheduled(4, Incompatible),
                scheduled(5, Complete),
            ],
            deleted: vec![
                (day_id(1), "superseded"),
                (day_id(3), "superseded"),
                (day_id(4), "superseded"),
            ],
        },
        Case {
            name: "a FAILED backup newer than the newest COMPLETE stays, and so does that COMPLETE",
            retention: keep_last(1),
            backups: vec![scheduled(1, Complete), scheduled(2, Failed)],
            deleted: vec![],
        },
        Case {
            name: "everything FAILED: nothing is deleted",
            retention: both(1, DAY),
            backups: (1..=3).map(|d| scheduled(d, Failed)).collect(),
            deleted: vec![],
        },
        Case {
            name: "IN_PROGRESS is never deleted",
            retention: keep_last(1),
            backups: vec![
                scheduled(1, InProgress),
                scheduled(2, Complete),
                scheduled(3, Complete),
            ],
            deleted: vec![(day_id(2), "keep-last")],
        },
        Case {
            name: "a manual backup beside scheduled ones is never deleted",
            retention: keep_last(1),
            backups: vec![
                manual(7, Complete, 1),
                manual(8, Failed, 1),
                // An id that looks like a slot but lacks the schedule's metadata.
                manual(day_id(2), Complete, 2),
                scheduled(3, Complete),
                scheduled(4, Complete),
                scheduled(5, Complete),
            ],
            deleted: vec![(day_id(3), "keep-last"), (day_id(4), "keep-last")],
        },
        Case {
            name: "the newest COMPLETE backup is never deleted, even when keep-within would",
            retention: keep_within(DAY),
            backups: vec![scheduled(1, Complete), scheduled(2, Complete), scheduled(3, Failed)],
            deleted: vec![(day_id(1), "keep-within")],
        },
        Case {
            name: "a scheduled backup that started last is the newest COMPLETE of all and stays",
            retention: keep_last(1),
            backups: vec![
                scheduled(1, Complete),
                // Slot of the 2nd, but started after the 3rd's (a slow cluster).
                BackupFacts {
                    started_millis: Some(start_of(4)),
                    ..scheduled(2, Complete)
                },
                scheduled(3, Complete),
            ],
            deleted: vec![(day_id(1), "keep-last")],
        },
        Case {
            name: "without keep rules every COMPLETE backup stays and only superseded ones go",
            retention: Retention::builder().build().unwrap(),
            backups: vec![scheduled(1, Failed), scheduled(2, Complete), scheduled(3, Complete)],
            deleted: vec![(day_id(1), "superseded")],
        },
    ]
}

#[test]
fn retention_follows_spec_10_on_every_case() {
    let now: Timestamp = "2026-01-20T00:00:00Z".parse().unwrap();
    for case in cases() {
        let deleted: Vec<(u64, &str)> = case
            .retention
            .select(&case.backups, now)
            .iter()
            .map(|d| (d.id.get(), d.rule.name()))
            .collect();
        assert_eq!(deleted, case.deleted, "{}", case.name);
    }
}

#[test]
fn every_deletion_names_its_rule_for_the_log() {
    let now: Timestamp = "2026-01-20T00:00:00Z".parse().unwrap();
    let backups = vec![
        scheduled(1, Failed),
        scheduled(2, Complete),
        scheduled(3, Complete),
    ];
    let deletions = both(1, 7 * DAY).select(&backups, now);
    let lines: Vec<String> = deletions
        .iter()
        .map(|d| format!("{} {}", d.id, d.rule))
        .collect();
    assert_eq!(
        lines,
        [
            "20260101000000 superseded: it did not complete and the newer scheduled backup 20260102000000 is COMPLETE",
            "20260102000000 keep-last 1 and keep-within 7d: neither keeps it",
        ]
    );
    assert_eq!(
        RetentionRule::KeepWithin {
            within: Duration::from_secs(36 * 3600)
        }
        .to_string(),
        "keep-within 36h: its slot is older than that"
    );
}

#[test]
fn keep_last_zero_and_keep_within_zero_are_refused() {
    use backup_actuator_schedule::ScheduleError;
    assert_eq!(
        Retention::builder().keep_last(0).build(),
        Err(ScheduleError::KeepLastZero)
    );
    assert_eq!(
        Retention::builder().keep_within(Duration::ZERO).build(),
        Err(ScheduleError::KeepWithinNotPositive)
    );
}
