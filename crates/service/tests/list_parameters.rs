//! SPEC §1: the two parameters of the list routes, `verbose=false` and
//! `pattern=P`, one test per rule, through `tower::ServiceExt::oneshot`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use backup_actuator_core::ShardFailure;
use backup_actuator_service::BackupService;
use backup_actuator_store::{ManualClock, PartOutcome};
use common::*;
use serde_json::Value;

const PATTERN_RULE: &str = "must be 1 to 64 characters, each a digit or *";

/// A service whose store records every call, over a memory store.
fn recorded() -> (BackupService, RecordingStore, ManualClock) {
    let (store, clock) = memory();
    let recording = RecordingStore::new(store);
    (builder(recording.clone()).build(), recording, clock)
}

async fn trigger(service: &BackupService, ids: &[u64]) {
    for id in ids {
        let answer = post(service, &format!(r#"{{"backupId": {id}}}"#)).await;
        assert_eq!(answer.status, 202, "{id}: {}", answer.body);
    }
}

fn ids(list: &Value) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|b| b["backupId"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn verbose_false_asks_the_store_for_names_and_states_only() {
    let (service, store, _) = recorded();
    trigger(&service, &[1]).await;
    store.take_calls();
    get(&service, "/actuator/backups?verbose=false")
        .await
        .assert_json(200);
    assert_eq!(
        store.take_calls(),
        [Call::FindStates("camunda_optimize_*".into())]
    );
    get(&service, "/actuator/backups").await.assert_json(200);
    assert_eq!(
        store.take_calls(),
        [Call::Find("camunda_optimize_*".into())]
    );
}

#[tokio::test]
async fn verbose_false_judges_each_backup_from_its_parts_states_with_no_start_time() {
    let (service, store, clock) = service();
    store.set_outcome(
        "camunda_optimize_2_*_part_2_of_2",
        PartOutcome::Partial(vec![ShardFailure {
            index: Some("optimize-report".into()),
            shard_id: Some(0),
            reason: Some("boom".into()),
            node_id: None,
            status: None,
        }]),
    );
    store.set_outcome("camunda_optimize_3_*", PartOutcome::Hang);
    trigger(&service, &[1, 2, 3]).await;
    clock.advance(Duration::from_secs(2));

    let full = get(&service, "/actuator/backups").await.assert_json(200);
    let brief = get(&service, "/actuator/backups?verbose=false")
        .await
        .assert_json(200);
    assert_eq!(ids(&brief), [1, 2, 3]);
    for (full, brief) in full
        .as_array()
        .unwrap()
        .iter()
        .zip(brief.as_array().unwrap())
    {
        assert_eq!(brief["state"], full["state"], "{brief}");
        assert_eq!(brief["failureReason"], full["failureReason"], "{brief}");
        let (full_parts, brief_parts) = (
            full["details"].as_array().unwrap(),
            brief["details"].as_array().unwrap(),
        );
        assert_eq!(full_parts.len(), brief_parts.len());
        for (f, b) in full_parts.iter().zip(brief_parts) {
            assert_eq!(b["snapshotName"], f["snapshotName"]);
            assert_eq!(b["state"], f["state"]);
            assert!(f["startTime"].is_string(), "{f}");
            assert_eq!(b["startTime"], Value::Null, "{b}");
            assert_eq!(b["failures"], serde_json::json!([]), "{b}");
        }
    }
    assert_eq!(brief[1]["state"], "FAILED");
    assert_eq!(
        brief[1]["failureReason"],
        "The following snapshots failed: [camunda_optimize_2_8.6.0_part_2_of_2]"
    );
    assert_eq!(brief[2]["state"], "IN_PROGRESS");
}

#[tokio::test]
async fn verbose_false_details_stay_sorted_by_part_number() {
    let (service, _, clock) = service();
    trigger(&service, &[5]).await;
    clock.advance(Duration::from_secs(2));
    let brief = get(&service, "/actuator/backup?verbose=false")
        .await
        .assert_json(200);
    let names: Vec<&str> = brief[0]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["snapshotName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "camunda_optimize_5_8.6.0_part_1_of_2",
            "camunda_optimize_5_8.6.0_part_2_of_2"
        ]
    );
    assert_eq!(brief[0]["state"], "COMPLETE");
}

#[tokio::test]
async fn verbose_true_or_absent_is_the_full_answer_byte_for_byte() {
    let (service, _, clock) = service();
    trigger(&service, &[8, 9]).await;
    clock.advance(Duration::from_secs(2));
    let plain = get(&service, "/actuator/backups").await;
    for uri in [
        "/actuator/backups?verbose=true",
        "/actuator/backups?verbose=TRUE",
        "/actuator/backup?verbose=true&size=3",
        "/actuator/backups?other=1",
    ] {
        let answer = get(&service, uri).await;
        assert_eq!(answer.status, 200, "{uri}");
        assert_eq!(answer.body, plain.body, "{uri}");
        assert_eq!(answer.headers, plain.headers, "{uri}");
    }
}

#[tokio::test]
async fn verbose_other_than_true_or_false_is_400_naming_the_rule() {
    let (service, store, _) = recorded();
    for value in ["0", "no", "", "maybe"] {
        get(&service, &format!("/actuator/backups?verbose={value}"))
            .await
            .assert_error(
                400,
                "badRequestError",
                &format!("Invalid verbose [{value}]: must be true or false"),
            );
    }
    assert_eq!(store.take_calls(), []);
}

#[tokio::test]
async fn pattern_asks_the_store_for_the_prefix_and_the_pattern() {
    let (service, store, _) = recorded();
    trigger(&service, &[20250401, 20250402, 2025040]).await;
    store.take_calls();
    let list = get(&service, "/actuator/backups?pattern=20250401*")
        .await
        .assert_json(200);
    assert_eq!(ids(&list), [20250401]);
    assert_eq!(
        store.take_calls(),
        [Call::Find("camunda_optimize_20250401*".into())]
    );
}

#[tokio::test]
async fn pattern_is_decoded_as_a_query_string() {
    let (service, store, _) = recorded();
    trigger(&service, &[31, 32]).await;
    store.take_calls();
    let list = get(&service, "/actuator/backups?pattern=3%2A&verbose=false")
        .await
        .assert_json(200);
    assert_eq!(ids(&list), [31, 32]);
    assert_eq!(
        store.take_calls(),
        [Call::FindStates("camunda_optimize_3*".into())]
    );
}

#[tokio::test]
async fn pattern_that_is_not_1_to_64_digits_or_stars_is_400_naming_the_rule() {
    let (service, store, _) = recorded();
    let long = "1".repeat(65);
    for pattern in ["", "1,*", "1_*", "abc", "-1", "%3F", "1+2", long.as_str()] {
        let decoded = pattern.replace("%3F", "?").replace('+', " ");
        get(&service, &format!("/actuator/backups?pattern={pattern}"))
            .await
            .assert_error(
                400,
                "badRequestError",
                &format!("Invalid backup ID pattern [{decoded}]: {PATTERN_RULE}"),
            );
    }
    assert_eq!(store.take_calls(), [], "nothing reaches the store");
}

#[tokio::test]
async fn the_id_rule_still_applies_to_what_a_pattern_finds() {
    let (service, store, _) = service();
    trigger(&service, &[1, 12]).await;
    put_snapshot(&store, "camunda_optimize_1_before_upgrade").await;
    put_snapshot(&store, "camunda_optimize_1x_8.6.0_part_1_of_2").await;
    let list = get(&service, "/actuator/backups?pattern=1*")
        .await
        .assert_json(200);
    assert_eq!(ids(&list), [1, 12]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["details"].as_array().unwrap())
        .map(|d| d["snapshotName"].as_str().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("before") && !n.contains("1x")),
        "{names:?}"
    );
}

#[tokio::test]
async fn the_pattern_is_checked_before_the_repository() {
    let (store, _) = memory();
    let service = BackupService::builder(Arc::new(store), plan()).build();
    get(&service, "/actuator/backups?pattern=x")
        .await
        .assert_error(
            400,
            "badRequestError",
            &format!("Invalid backup ID pattern [x]: {PATTERN_RULE}"),
        );
    get(&service, "/actuator/backups?pattern=1*&verbose=false")
        .await
        .assert_error(
            400,
            "badRequestError",
            "Cannot execute backup request because no snapshot repository name found in the configuration.",
        );
}

#[tokio::test]
async fn list_parameters_are_ignored_on_other_routes() {
    let (service, _, _) = service();
    assert_eq!(
        send(
            &service,
            "POST",
            "/actuator/backups?pattern=x&verbose=maybe",
            r#"{"backupId": 6}"#
        )
        .await
        .status,
        202
    );
    let one = get(&service, "/actuator/backups/6?verbose=false&pattern=x")
        .await
        .assert_json(200);
    assert!(one["details"][0]["startTime"].is_string(), "{one}");
    assert_eq!(
        delete(&service, "/actuator/backups/6?pattern=,")
            .await
            .status,
        204
    );
}
