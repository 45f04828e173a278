//! SPEC §4 and §5: BackupInfo, the six state rules, and the wire bodies.

use backup_actuator_core::{
    ApiError, BackupId, BackupInfo, BackupPlan, BackupState, Backups, Compatibility, OutputZone,
    ShardFailure, SnapshotRecord, SnapshotState, TriggerAccepted,
};

use SnapshotState::*;

fn plan() -> BackupPlan {
    BackupPlan::optimize("3.10.0").unwrap()
}

fn part(id: u64, n: u32, of: u32, state: SnapshotState) -> SnapshotRecord {
    SnapshotRecord::new(
        format!("camunda_optimize_{id}_3.10.0_part_{n}_of_{of}"),
        state,
    )
}

fn backup(records: Vec<SnapshotRecord>) -> BackupInfo {
    let mut list = Backups::from_snapshots(&plan(), records, &OutputZone::utc())
        .into_parts()
        .0;
    assert_eq!(list.len(), 1, "expected one backup");
    list.remove(0)
}

fn state_of(states: &[SnapshotState]) -> (BackupState, Option<String>) {
    let records = states
        .iter()
        .enumerate()
        .map(|(i, s)| part(1, i as u32 + 1, 2.max(states.len() as u32), s.clone()))
        .collect();
    let info = backup(records);
    (info.state, info.failure_reason)
}

#[test]
fn rule_1_exactly_n_success_is_complete() {
    assert_eq!(state_of(&[Success, Success]).0, BackupState::Complete);
}

#[test]
fn rule_1_wins_over_a_failed_extra_snapshot() {
    // Two parts succeeded; a third snapshot of the same id (an older plan's
    // name) failed. Rule 1 comes first.
    let info = backup(vec![
        part(1, 1, 2, Success),
        part(1, 2, 2, Success),
        SnapshotRecord::new("camunda_optimize_1_3.9.0_part_1_of_2", Failed),
    ]);
    assert_eq!(info.state, BackupState::Complete);
    assert_eq!(info.failure_reason, None);
}

#[test]
fn rule_2_any_failed_is_failed_listing_the_failed_names() {
    let (state, reason) = state_of(&[Success, Failed]);
    assert_eq!(state, BackupState::Failed);
    assert_eq!(
        reason.as_deref(),
        Some("The following snapshots failed: [camunda_optimize_1_3.10.0_part_2_of_2]")
    );
}

#[test]
fn rule_2_partial_is_failed_and_listed() {
    let (state, reason) = state_of(&[Partial, InProgress]);
    assert_eq!(state, BackupState::Failed);
    assert_eq!(
        reason.as_deref(),
        Some("The following snapshots failed: [camunda_optimize_1_3.10.0_part_1_of_2]")
    );
}

#[test]
fn rule_2_unknown_state_is_failed_and_listed() {
    let (state, reason) = state_of(&[Unknown("ABORTED".into()), Failed]);
    assert_eq!(state, BackupState::Failed);
    assert_eq!(
        reason.as_deref(),
        Some("The following snapshots failed: [camunda_optimize_1_3.10.0_part_1_of_2, camunda_optimize_1_3.10.0_part_2_of_2]")
    );
}

#[test]
fn rule_2_comes_before_incompatible_and_in_progress() {
    assert_eq!(state_of(&[Incompatible, Failed]).0, BackupState::Failed);
    assert_eq!(state_of(&[InProgress, Partial]).0, BackupState::Failed);
}

#[test]
fn rule_3_any_incompatible_is_incompatible() {
    assert_eq!(
        state_of(&[Incompatible, InProgress]),
        (BackupState::Incompatible, None)
    );
    assert_eq!(
        state_of(&[Success, Incompatible]).0,
        BackupState::Incompatible
    );
}

#[test]
fn rule_4_any_in_progress_is_in_progress() {
    assert_eq!(
        state_of(&[Success, InProgress]),
        (BackupState::InProgress, None)
    );
    assert_eq!(
        state_of(&[InProgress, InProgress]).0,
        BackupState::InProgress
    );
}

#[test]
fn rule_5_fewer_than_n_success_is_incomplete() {
    let info = backup(vec![part(1, 1, 2, Success)]);
    assert_eq!(info.state, BackupState::Incomplete);
    // SPEC §4: an INCOMPLETE backup names the part numbers it misses.
    assert_eq!(info.failure_reason.as_deref(), Some("Missing parts: [2]"));
}

#[test]
fn rule_1_and_5_every_part_number_needs_a_success_two_part_1_without_part_2_is_incomplete() {
    // Two SUCCESS copies of part 1 (two versions) count to N = 2, but the
    // backup has no part 2 and cannot be restored.
    let info = backup(vec![
        SnapshotRecord::new("camunda_optimize_5_8.6.0_part_1_of_2", Success),
        SnapshotRecord::new("camunda_optimize_5_8.7.0_part_1_of_2", Success),
    ]);
    assert_eq!(info.state, BackupState::Incomplete);
    assert_eq!(info.failure_reason.as_deref(), Some("Missing parts: [2]"));
    // The same with a FAILED part 2 beside them is rule 2.
    let info = backup(vec![
        SnapshotRecord::new("camunda_optimize_5_8.6.0_part_1_of_2", Success),
        SnapshotRecord::new("camunda_optimize_5_8.7.0_part_1_of_2", Success),
        SnapshotRecord::new("camunda_optimize_5_8.7.0_part_2_of_2", Failed),
    ]);
    assert_eq!(info.state, BackupState::Failed);
}

#[test]
fn rule_1_a_full_set_beside_an_extra_failed_copy_of_a_part_is_complete() {
    let info = backup(vec![
        SnapshotRecord::new("camunda_optimize_5_8.6.0_part_1_of_2", Failed),
        SnapshotRecord::new("camunda_optimize_5_8.7.0_part_1_of_2", Success),
        SnapshotRecord::new("camunda_optimize_5_8.7.0_part_2_of_2", Success),
    ]);
    assert_eq!(info.state, BackupState::Complete);
}

#[test]
fn rule_6_more_than_n_success_is_failed_with_expected_message() {
    let info = backup(vec![
        part(1, 1, 2, Success),
        part(1, 2, 2, Success),
        SnapshotRecord::new("camunda_optimize_1_3.9.0_part_2_of_2", Success),
    ]);
    assert_eq!(info.state, BackupState::Failed);
    assert_eq!(
        info.failure_reason.as_deref(),
        Some("Expected 2 snapshots but found 3 successful snapshots: [camunda_optimize_1_3.10.0_part_1_of_2, camunda_optimize_1_3.10.0_part_2_of_2, camunda_optimize_1_3.9.0_part_2_of_2]")
    );
}

#[test]
fn part_count_is_taken_from_the_backups_own_names() {
    // A backup of an older three-part plan stays readable under the
    // two-part plan.
    let info = backup(vec![
        part(1, 1, 3, Success),
        part(1, 2, 3, Success),
        part(1, 3, 3, Success),
    ]);
    assert_eq!(info.state, BackupState::Complete);
    let info = backup(vec![part(1, 1, 3, Success), part(1, 2, 3, Success)]);
    assert_eq!(info.state, BackupState::Incomplete);
}

#[test]
fn part_count_is_the_largest_when_names_disagree() {
    let info = backup(vec![part(1, 1, 2, Success), part(1, 2, 3, Success)]);
    assert_eq!(info.state, BackupState::Incomplete);
}

#[test]
fn details_are_sorted_by_part_number_then_name() {
    let info = backup(vec![
        part(1, 2, 2, Success),
        SnapshotRecord::new("camunda_optimize_1_3.9.0_part_1_of_2", Success),
        part(1, 1, 2, Success),
    ]);
    let names: Vec<&str> = info
        .details
        .iter()
        .map(|d| d.snapshot_name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "camunda_optimize_1_3.10.0_part_1_of_2",
            "camunda_optimize_1_3.9.0_part_1_of_2",
            "camunda_optimize_1_3.10.0_part_2_of_2"
        ]
    );
}

#[test]
fn list_is_sorted_by_id_ascending_and_groups_by_id() {
    let backups = Backups::from_snapshots(
        &plan(),
        vec![
            part(10, 1, 2, Success),
            part(2, 1, 2, Success),
            part(1, 2, 2, Success),
            part(10, 2, 2, Success),
            part(1, 1, 2, Success),
        ],
        &OutputZone::utc(),
    );
    let ids: Vec<u64> = backups.list().iter().map(|b| b.backup_id.get()).collect();
    assert_eq!(ids, [1, 2, 10]);
    assert_eq!(backups.list()[2].details.len(), 2);
}

#[test]
fn unreadable_names_are_ignored_never_failing_the_list() {
    let backups = Backups::from_snapshots(
        &plan(),
        vec![
            part(1, 1, 2, Success),
            SnapshotRecord::new(
                "camunda_optimize_99999999999999999999_3.10.0_part_1_of_2",
                Success,
            ),
            SnapshotRecord::new("camunda_optimize_1_before_upgrade", Failed),
        ],
        &OutputZone::utc(),
    );
    assert_eq!(backups.list().len(), 1);
    assert_eq!(backups.list()[0].state, BackupState::Incomplete);
    assert_eq!(
        backups.ignored(),
        [
            "camunda_optimize_99999999999999999999_3.10.0_part_1_of_2",
            "camunda_optimize_1_before_upgrade"
        ]
    );
}

#[test]
fn get_one_finds_only_its_own_id() {
    let backups = Backups::from_snapshots(
        &plan(),
        vec![part(1, 1, 2, Success), part(10, 1, 2, Success)],
        &OutputZone::utc(),
    );
    let one = backups.into_backup(BackupId::new(1).unwrap()).unwrap();
    assert_eq!(one.details.len(), 1);
}

#[test]
fn start_time_is_formatted_in_utc_as_plus_0000() {
    let mut record = part(1, 1, 2, Success);
    record.start_time_millis = Some(1667988696978);
    let info = backup(vec![record]);
    assert_eq!(
        info.details[0].start_time.as_deref(),
        Some("2022-11-09T10:11:36.978+0000")
    );
}

#[test]
fn start_time_follows_the_configured_zone() {
    let mut record = part(1, 1, 2, Success);
    record.start_time_millis = Some(1667985096978);
    let zone = OutputZone::parse("Europe/Berlin").unwrap();
    let info = Backups::from_snapshots(&plan(), vec![record], &zone)
        .into_parts()
        .0
        .remove(0);
    assert_eq!(
        info.details[0].start_time.as_deref(),
        Some("2022-11-09T10:11:36.978+0100")
    );
}

#[test]
fn start_time_is_null_when_the_cluster_did_not_report_it() {
    let info = backup(vec![part(1, 1, 2, InProgress)]);
    assert_eq!(info.details[0].start_time, None);
    let json = serde_json::to_string(&Compatibility::Documented.backup(&info)).unwrap();
    assert!(json.contains(r#""startTime":null"#), "{json}");
}

#[test]
fn unknown_zone_is_refused() {
    assert!(OutputZone::parse("Mars/Olympus").is_err());
    assert!(OutputZone::parse("+25:99").is_err());
    assert!(OutputZone::parse("+18:01").is_err());
    assert!(OutputZone::parse("+23:59").is_err());
    assert!(OutputZone::parse("-18:00").is_ok());
    assert!(OutputZone::parse("+1").is_err());
}

#[test]
fn failures_are_readable_lines_with_node_and_status() {
    let full = ShardFailure {
        index: Some("optimize-report".into()),
        shard_id: Some(3),
        reason: Some("aborted by snapshot deletion".into()),
        node_id: Some("n1".into()),
        status: Some("INTERNAL_SERVER_ERROR".into()),
    };
    assert_eq!(
        full.to_string(),
        "[optimize-report][3] aborted by snapshot deletion (node: n1, status: INTERNAL_SERVER_ERROR)"
    );
    let no_node = ShardFailure {
        node_id: None,
        ..full.clone()
    };
    assert_eq!(
        no_node.to_string(),
        "[optimize-report][3] aborted by snapshot deletion (status: INTERNAL_SERVER_ERROR)"
    );
    let no_status = ShardFailure {
        status: None,
        ..full.clone()
    };
    assert_eq!(
        no_status.to_string(),
        "[optimize-report][3] aborted by snapshot deletion (node: n1)"
    );
    let blank = ShardFailure {
        reason: Some(String::new()),
        node_id: Some(" ".into()),
        status: Some(String::new()),
        ..full.clone()
    };
    assert_eq!(blank.to_string(), "[optimize-report][3] no reason given");
    let neither = ShardFailure {
        node_id: None,
        status: None,
        reason: None,
        ..full
    };
    assert_eq!(neither.to_string(), "[optimize-report][3] no reason given");
}

#[test]
fn failures_are_empty_list_when_none() {
    let info = backup(vec![part(1, 1, 2, Success)]);
    assert!(info.details[0].failures.is_empty());
}

#[test]
fn unknown_snapshot_state_passes_through_verbatim_in_details() {
    let info = backup(vec![part(1, 1, 2, Unknown("ABORTED".into()))]);
    let json = serde_json::to_string(&Compatibility::Documented.backup(&info)).unwrap();
    assert!(json.contains(r#""state":"ABORTED""#), "{json}");
}

#[test]
fn backup_info_fields_in_order_with_explicit_nulls() {
    let mut p1 = part(123456, 1, 2, Success);
    p1.start_time_millis = Some(1667988696978);
    p1.failures.push(ShardFailure {
        index: Some("i".into()),
        shard_id: Some(0),
        reason: Some("r".into()),
        node_id: None,
        status: None,
    });
    let info = backup(vec![p1]);
    let json = serde_json::to_string(&Compatibility::Documented.backup(&info)).unwrap();
    assert_eq!(
        json,
        r#"{"backupId":123456,"failureReason":"Missing parts: [2]","state":"INCOMPLETE","details":[{"snapshotName":"camunda_optimize_123456_3.10.0_part_1_of_2","state":"SUCCESS","startTime":"2022-11-09T10:11:36.978+0000","failures":["[i][0] r"]}]}"#
    );
}

#[test]
fn complete_is_written_completed_under_optimize_server_compatibility() {
    let info = backup(vec![part(1, 1, 2, Success), part(1, 2, 2, Success)]);
    let documented = serde_json::to_string(&Compatibility::Documented.backup(&info)).unwrap();
    let optimize = serde_json::to_string(&Compatibility::OptimizeServer.backup(&info)).unwrap();
    assert!(documented.contains(r#""state":"COMPLETE""#));
    assert!(optimize.contains(r#""state":"COMPLETED""#));
    // Clients accept both.
    let read: BackupInfo = serde_json::from_str(&optimize).unwrap();
    assert_eq!(read, info);
    let read: BackupInfo = serde_json::from_str(&documented).unwrap();
    assert_eq!(read, info);
}

#[test]
fn empty_list_serializes_as_empty_array() {
    let json = serde_json::to_string(&Compatibility::Documented.backups(&[])).unwrap();
    assert_eq!(json, "[]");
}

#[test]
fn trigger_message_names_the_id() {
    let accepted = TriggerAccepted {
        backup_id: BackupId::new(20260220181029).unwrap(),
    };
    let json: serde_json::Value = serde_json::from_str(&accepted.to_json()).unwrap();
    assert_eq!(
        json["message"],
        "Backup creation for ID 20260220181029 has been scheduled. Use the GET API to monitor completion of backup process"
    );
}

#[test]
fn error_body_has_three_fields_in_order() {
    let json =
        ApiError::BackupNotFound(BackupId::new(1).unwrap()).to_json(Compatibility::Documented);
    assert_eq!(
        json,
        r#"{"errorCode":"notFoundError","errorMessage":"The server could not find the requested resource.","detailedMessage":"No backup with ID [1] could be found."}"#
    );
}
