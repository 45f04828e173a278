use std::time::Duration;

use backup_actuator_core::{BackupId, BackupPlan, SnapshotRecord, SnapshotState};
use backup_actuator_store::{Operation, StoreError};

use super::requests::newest_complete;
use super::*;

fn id(n: u64) -> BackupId {
    BackupId::new(n).unwrap()
}

fn part(name: &str, state: SnapshotState, start: i64) -> SnapshotRecord {
    let mut record = SnapshotRecord::new(name, state);
    record.start_time_millis = Some(start);
    record
}

#[test]
fn scratch_names_are_verify_id_index() {
    assert_eq!(
        scratch_index_name(id(42), "optimize-a"),
        "verify-42-optimize-a"
    );
    assert_eq!(scratch_index_name(id(42), ".hidden"), "verify-42-.hidden");
}

#[test]
fn a_scratch_name_over_255_bytes_is_refused_before_anything_runs() {
    let long = "a".repeat(250);
    let err = check_scratch_names(id(1), &["short", &long]).unwrap_err();
    assert!(
        matches!(&err, VerifyError::ScratchNameTooLong { index, .. } if *index == long),
        "{err:?}"
    );
    assert!(check_scratch_names(id(1), &["short"]).is_ok());
}

#[test]
fn latest_is_the_complete_backup_that_started_last() {
    let plan = BackupPlan::optimize("8.6.0").unwrap();
    let records = vec![
        // Backup 9 has the larger id but started first.
        part(
            "camunda_optimize_9_8.6.0_part_1_of_2",
            SnapshotState::Success,
            1_000,
        ),
        part(
            "camunda_optimize_9_8.6.0_part_2_of_2",
            SnapshotState::Success,
            1_001,
        ),
        part(
            "camunda_optimize_5_8.6.0_part_1_of_2",
            SnapshotState::Success,
            2_000,
        ),
        part(
            "camunda_optimize_5_8.6.0_part_2_of_2",
            SnapshotState::Success,
            2_001,
        ),
        // Newer, but FAILED and INCOMPLETE: never latest.
        part(
            "camunda_optimize_6_8.6.0_part_1_of_2",
            SnapshotState::Failed,
            3_000,
        ),
        part(
            "camunda_optimize_6_8.6.0_part_2_of_2",
            SnapshotState::Success,
            3_001,
        ),
        part(
            "camunda_optimize_7_8.6.0_part_1_of_2",
            SnapshotState::Success,
            4_000,
        ),
    ];
    assert_eq!(newest_complete(&plan, records), Some(id(5)));
}

#[test]
fn latest_is_none_without_a_complete_backup() {
    let plan = BackupPlan::optimize("8.6.0").unwrap();
    let records = vec![part(
        "camunda_optimize_1_8.6.0_part_1_of_2",
        SnapshotState::InProgress,
        1,
    )];
    assert_eq!(newest_complete(&plan, records), None);
    assert_eq!(newest_complete(&plan, Vec::new()), None);
}

#[test]
fn a_shard_that_did_not_restore_names_index_shard_and_reason() {
    let err = VerifyError::NotRestorable {
        backup_id: id(3),
        shards: vec![UnrestorableShard {
            source_index: "optimize-report".into(),
            scratch_index: "verify-3-optimize-report".into(),
            snapshot: "camunda_optimize_3_8.6.0_part_2_of_2".into(),
            shard: Some(0),
            reason: "NoSuchFileException[/repo/indices/x/0/__abc]".into(),
        }],
    };
    assert_eq!(
        err.to_string(),
        "backup 3 is not restorable: index [optimize-report] shard [0] (snapshot \
         camunda_optimize_3_8.6.0_part_2_of_2): NoSuchFileException[/repo/indices/x/0/__abc]"
    );
    assert!(err.is_not_restorable());
}

#[test]
fn scratch_left_behind_keeps_the_verdict_and_names_the_indices() {
    let cause = StoreError::Cluster {
        product: backup_actuator_core::Product::OpenSearch,
        operation: Operation::DeleteIndex {
            name: "verify-3-a".into(),
        },
        status: 403,
        detail: "security_exception: no permission".into(),
    };
    let err = VerifyError::ScratchLeft {
        outcome: Some(Box::new(VerifyError::NotRestorable {
            backup_id: id(3),
            shards: Vec::new(),
        })),
        names: vec!["verify-3-a".into()],
        cause,
    };
    assert!(err.is_not_restorable());
    assert!(
        err.to_string()
            .contains("could not be deleted: [verify-3-a]"),
        "{err}"
    );
    let passed = VerifyError::ScratchLeft {
        outcome: None,
        names: vec!["verify-3-a".into()],
        cause: StoreError::Cluster {
            product: backup_actuator_core::Product::OpenSearch,
            operation: Operation::DeleteIndex {
                name: "verify-3-a".into(),
            },
            status: 500,
            detail: "x".into(),
        },
    };
    assert!(!passed.is_not_restorable());
    assert!(
        passed.to_string().starts_with("the drill passed; but"),
        "{passed}"
    );
}

#[test]
fn the_report_lists_every_index_with_documents_size_and_time() {
    let report = VerifyReport {
        backup_id: id(7),
        repository: "backups".into(),
        needed_bytes: None,
        free_bytes: None,
        indices: vec![
            VerifiedIndex {
                source_index: "optimize-a".into(),
                scratch_index: "verify-7-optimize-a".into(),
                snapshot: "s1".into(),
                part_no: 1,
                shards: 1,
                documents: 5,
                size_in_bytes: 100,
                restore_time: Duration::from_millis(1500),
            },
            VerifiedIndex {
                source_index: "optimize-b".into(),
                scratch_index: "verify-7-optimize-b".into(),
                snapshot: "s2".into(),
                part_no: 2,
                shards: 2,
                documents: 12,
                size_in_bytes: 200,
                restore_time: Duration::from_millis(500),
            },
        ],
        took: Duration::from_secs(3),
    };
    assert_eq!(report.documents(), 17);
    assert_eq!(report.size_in_bytes(), 300);
    let text = report.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Backup 7 restores: 2 index(es), 17 document(s), 300 byte(s), drill took 3.0 s"
    );
    assert!(
        lines[2].contains("optimize-a") && lines[2].contains(" 5 ") && lines[2].ends_with("1.5s"),
        "{text}"
    );
    assert!(
        lines[3].contains("optimize-b") && lines[3].contains(" 12 "),
        "{text}"
    );
}
