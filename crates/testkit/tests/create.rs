//! §3 create snapshot.
mod common;

use std::time::Duration;

use backup_actuator_testkit::{EmulatedShardFailure, Flavor, SnapshotRule};
use common::*;
use serde_json::json;

const BODY: &str = r#"{"indices":["optimize-import-index_v3","optimize-position-based-import-index_v3"],"include_global_state":false}"#;

#[tokio::test]
async fn create_without_wait_answers_accepted_true() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let r = put(
            &c,
            "/_snapshot/repo/snap_1?wait_for_completion=false",
            Some(BODY),
        )
        .await;
        assert_eq!(r.status, 200, "{f}: {}", r.text());
        assert_eq!(r.json(), json!({"accepted": true}));
        assert_eq!(c.snapshot_names("repo"), ["snap_1"]);
        // Default: not waiting.
        let r = post(&c, "/_snapshot/repo/snap_2", Some(BODY)).await;
        assert_eq!(r.json(), json!({"accepted": true}));
    }
}

#[tokio::test]
async fn create_with_wait_returns_the_final_snapshot_info() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let r = put(
            &c,
            "/_snapshot/repo/snap_1?wait_for_completion=true",
            Some(BODY),
        )
        .await;
        assert_eq!(r.status, 200, "{f}: {}", r.text());
        let j = r.json();
        assert_eq!(r.ordered().keys(), ["snapshot"]);
        let s = &j["snapshot"];
        assert_eq!(s["snapshot"], "snap_1");
        assert_eq!(s["state"], "SUCCESS");
        assert_eq!(
            s["indices"],
            json!([
                "optimize-import-index_v3",
                "optimize-position-based-import-index_v3"
            ])
        );
        assert_eq!(s["include_global_state"], false);
        assert_eq!(
            s["shards"],
            json!({"total": 2, "failed": 0, "successful": 2})
        );
        assert_eq!(s.get("repository").is_some(), es_at_least(f, 7, 14), "{f}");
    }
}

#[tokio::test]
async fn create_with_wait_is_200_even_when_the_snapshot_fails_or_is_partial() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        c.add_rule(SnapshotRule::fail(
            "*_part_2_of_2",
            "IndexShardSnapshotFailedException[boom]",
        ));
        c.add_rule(SnapshotRule::partial(
            "*_part_1_of_2",
            vec![EmulatedShardFailure::new(
                "optimize-import-index_v3",
                0,
                "primary shard is not allocated",
            )],
        ));
        let r = put(
            &c,
            "/_snapshot/repo/b_part_2_of_2?wait_for_completion=true",
            Some(BODY),
        )
        .await;
        assert_eq!(r.status, 200);
        let s = &r.json()["snapshot"];
        assert_eq!(s["state"], "FAILED", "{f}");
        assert_eq!(s["reason"], "IndexShardSnapshotFailedException[boom]");
        let r = put(
            &c,
            "/_snapshot/repo/b_part_1_of_2?wait_for_completion=true",
            Some(BODY),
        )
        .await;
        assert_eq!(r.status, 200);
        let s = &r.json()["snapshot"];
        assert_eq!(s["state"], "PARTIAL", "{f}");
        assert!(s.get("reason").is_none());
        assert_eq!(
            s["shards"],
            json!({"total": 2, "failed": 1, "successful": 1})
        );
        assert_eq!(s["failures"][0]["reason"], "primary shard is not allocated");
    }
}

#[tokio::test]
async fn incompatible_rule_ends_the_snapshot_incompatible() {
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    c.add_rule(SnapshotRule::incompatible("old_*"));
    let s = put(
        &c,
        "/_snapshot/repo/old_1?wait_for_completion=true",
        Some(BODY),
    )
    .await
    .json();
    assert_eq!(s["snapshot"]["state"], "INCOMPATIBLE");
    assert!(s["snapshot"]["reason"]
        .as_str()
        .unwrap()
        .contains("incompatible"));
}

#[tokio::test]
async fn snapshot_name_rules_apply_in_order_with_exact_reasons() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let chars = if es_at_least(f, 8, 0) {
            r#"[' ','"','*',',','/','<','>','?','\','|']"#
        } else {
            r#"[ , ", *, \, <, |, ,, >, /, ?]"#
        };
        let cases: Vec<(&str, &str, String)> = vec![
            ("a%20b", "a b", "must not contain whitespace".into()),
            ("a,b", "a,b", "must not contain ','".into()),
            ("a%23b", "a#b", "must not contain '#'".into()),
            ("_a", "_a", "must not start with '_'".into()),
            (
                "camunda_optimize_1_8.6.0-SNAPSHOT_part_1_of_2",
                "camunda_optimize_1_8.6.0-SNAPSHOT_part_1_of_2",
                "must be lowercase".into(),
            ),
            (
                "a*b",
                "a*b",
                format!("must not contain the following characters {chars}"),
            ),
            (
                "a%3Fb",
                "a?b",
                format!("must not contain the following characters {chars}"),
            ),
            // Whitespace is checked before uppercase, uppercase before '*'.
            ("A%20*", "A *", "must not contain whitespace".into()),
            ("A*", "A*", "must be lowercase".into()),
        ];
        for (raw, name, rule) in cases {
            let r = put(&c, &format!("/_snapshot/repo/{raw}"), Some("{}")).await;
            assert_error(
                &r,
                400,
                "invalid_snapshot_name_exception",
                &format!("[repo:{name}] Invalid snapshot name [{name}], {rule}"),
            );
        }
        assert!(c.snapshot_names("repo").is_empty(), "{f}");
    }
}

#[tokio::test]
async fn name_validation_comes_before_the_repository_check() {
    let c = start(Flavor::OpenSearch2).await;
    let r = put(&c, "/_snapshot/nope/Upper", Some("{}")).await;
    assert_error(
        &r,
        400,
        "invalid_snapshot_name_exception",
        "[nope:Upper] Invalid snapshot name [Upper], must be lowercase",
    );
    let r = put(&c, "/_snapshot/nope/lower", Some("{}")).await;
    assert_error(&r, 404, "repository_missing_exception", "[nope] missing");
}

#[tokio::test]
async fn duplicate_name_type_changed_in_es_8_2() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        put(&c, "/_snapshot/repo/snap", Some(BODY)).await;
        let r = put(&c, "/_snapshot/repo/snap", Some(BODY)).await;
        let ty = if es_at_least(f, 8, 2) {
            "snapshot_name_already_in_use_exception"
        } else {
            "invalid_snapshot_name_exception"
        };
        assert_error(
            &r,
            400,
            ty,
            "[repo:snap] Invalid snapshot name [snap], snapshot with the same name already exists",
        );
    }
}

#[tokio::test]
async fn duplicate_of_a_running_snapshot_says_in_progress() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        c.set_completion_delay(Duration::from_secs(60));
        put(&c, "/_snapshot/repo/snap", Some(BODY)).await;
        let r = put(&c, "/_snapshot/repo/snap", Some(BODY)).await;
        let ty = if es_at_least(f, 8, 2) {
            "snapshot_name_already_in_use_exception"
        } else {
            "invalid_snapshot_name_exception"
        };
        assert_error(&r, 400, ty, "[repo:snap] Invalid snapshot name [snap], snapshot with the same name is already in-progress");
    }
}

#[tokio::test]
async fn create_in_missing_repository_is_404() {
    for f in Flavor::ALL {
        let c = start(f).await;
        let r = put(
            &c,
            "/_snapshot/camunda_backup/snap?wait_for_completion=false",
            Some(BODY),
        )
        .await;
        assert_error(
            &r,
            404,
            "repository_missing_exception",
            "[camunda_backup] missing",
        );
    }
}

#[tokio::test]
async fn metadata_larger_than_1024_bytes_is_a_validation_error() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let big = "x".repeat(1100);
        let body = format!(r#"{{"metadata":{{"k":"{big}"}}}}"#);
        let size = format!(r#"{{"k":"{big}"}}"#).len();
        let r = put(&c, "/_snapshot/repo/snap", Some(&body)).await;
        assert_error(
            &r,
            400,
            "action_request_validation_exception",
            &format!(
                "Validation Failed: 1: metadata must be smaller than 1024 bytes, but was [{size}];"
            ),
        );
        let r = put(
            &c,
            "/_snapshot/repo/snap?wait_for_completion=true",
            Some(r#"{"metadata":{"backupId":1}}"#),
        )
        .await;
        assert_eq!(
            r.json()["snapshot"]["metadata"],
            json!({"backupId": 1}),
            "{f}"
        );
    }
}

#[tokio::test]
async fn indices_may_be_a_comma_string_or_an_array() {
    let c = with_repo(Flavor::Elasticsearch7_10).await;
    let r = put(
        &c,
        "/_snapshot/repo/a?wait_for_completion=true",
        Some(r#"{"indices":"i1,i2"}"#),
    )
    .await;
    assert_eq!(r.json()["snapshot"]["indices"], json!(["i1", "i2"]));
    c.add_indices(["opt-1", "opt-2", "other"]);
    let r = put(
        &c,
        "/_snapshot/repo/b?wait_for_completion=true",
        Some(r#"{"indices":["opt-*","-opt-2"]}"#),
    )
    .await;
    assert_eq!(r.json()["snapshot"]["indices"], json!(["opt-1"]));
    let r = put(
        &c,
        "/_snapshot/repo/c?wait_for_completion=true",
        Some(r#"{"indices":7}"#),
    )
    .await;
    assert_error(
        &r,
        400,
        "illegal_argument_exception",
        "malformed indices section, should be an array of strings",
    );
}

#[tokio::test]
async fn feature_states_exist_from_es_7_12_only() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let r = put(
            &c,
            "/_snapshot/repo/a?wait_for_completion=true",
            Some(r#"{"indices":"i1","feature_states":["none"]}"#),
        )
        .await;
        let s = &r.json()["snapshot"];
        if es_at_least(f, 7, 12) {
            assert_eq!(s["feature_states"], json!([]), "{f}");
            assert_eq!(
                *r.ordered().get("snapshot").keys().last().unwrap(),
                "feature_states"
            );
        } else {
            assert!(s.get("feature_states").is_none(), "{f}");
        }
        // include_global_state defaults to true and pulls in the feature states (§10.8).
        let r = put(
            &c,
            "/_snapshot/repo/b?wait_for_completion=true",
            Some(r#"{"indices":"i1"}"#),
        )
        .await;
        let s = &r.json()["snapshot"];
        assert_eq!(s["include_global_state"], true);
        if es_at_least(f, 7, 14) {
            assert_eq!(s["feature_states"][0]["feature_name"], "geoip", "{f}");
        }
    }
}

#[tokio::test]
async fn refuse_rule_answers_concurrent_snapshot_execution_503() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        c.add_rule(SnapshotRule::concurrent_snapshot_execution("camunda_*").times(1));
        let r = put(&c, "/_snapshot/repo/camunda_1", Some(BODY)).await;
        assert_error(
            &r,
            503,
            "concurrent_snapshot_execution_exception",
            "[repo:camunda_1] Cannot start another operation, already running [1000] operations and the current limit for concurrent snapshot operations is set to [1000]",
        );
        assert!(c.snapshot_names("repo").is_empty());
        // Used up: the retry goes through.
        assert_eq!(
            put(&c, "/_snapshot/repo/camunda_1", Some(BODY))
                .await
                .status,
            200,
            "{f}"
        );
    }
}

#[tokio::test]
async fn custom_refusal_keeps_status_type_and_reason() {
    let c = with_repo(Flavor::OpenSearch1).await;
    c.add_rule(SnapshotRule::refuse(
        "*",
        500,
        "snapshot_exception",
        "[{repository}:{snapshot}/x] Indices don't have primary shards [i1]",
    ));
    let r = put(&c, "/_snapshot/repo/s1", Some(BODY)).await;
    assert_error(
        &r,
        500,
        "snapshot_exception",
        "[repo:s1/x] Indices don't have primary shards [i1]",
    );
}

#[tokio::test]
async fn snapshot_stays_in_progress_until_the_clock_passes_the_completion_delay() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        c.set_completion_delay(Duration::from_millis(500));
        let start = c.clock().now_millis();
        put(&c, "/_snapshot/repo/snap", Some(BODY)).await;
        let s = get(&c, "/_snapshot/repo/snap").await.json()["snapshots"][0].clone();
        assert_eq!(s["state"], "IN_PROGRESS", "{f}");
        // §4.4.3: end_time epoch 0, duration 0; shard counts 0 before ES 7.16 and on OpenSearch.
        assert_eq!(s["end_time"], "1970-01-01T00:00:00.000Z");
        assert_eq!(s["end_time_in_millis"], 0);
        assert_eq!(s["duration_in_millis"], 0);
        assert_eq!(s["start_time_in_millis"], start);
        let shards = if es_at_least(f, 7, 16) {
            json!({"total":2,"failed":2,"successful":0})
        } else {
            json!({"total":0,"failed":0,"successful":0})
        };
        assert_eq!(s["shards"], shards, "{f}");
        c.clock().advance(Duration::from_millis(499));
        assert_eq!(
            get(&c, "/_snapshot/repo/snap").await.json()["snapshots"][0]["state"],
            "IN_PROGRESS"
        );
        c.clock().advance(Duration::from_millis(1));
        let s = get(&c, "/_snapshot/repo/snap").await.json()["snapshots"][0].clone();
        assert_eq!(s["state"], "SUCCESS", "{f}");
        assert_eq!(s["duration_in_millis"], 500);
        assert_eq!(s["end_time_in_millis"], start + 500);
    }
}

#[tokio::test]
async fn waiting_create_advances_the_clock_to_completion() {
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    c.set_completion_delay(Duration::from_millis(388));
    let t0 = c.clock().now_millis();
    let s = put(
        &c,
        "/_snapshot/repo/snap?wait_for_completion=true",
        Some(BODY),
    )
    .await
    .json();
    assert_eq!(s["snapshot"]["state"], "SUCCESS");
    assert_eq!(s["snapshot"]["duration_in_millis"], 388);
    assert_eq!(c.clock().now_millis(), t0 + 388);
}

#[tokio::test]
async fn date_math_names_are_resolved_before_validation() {
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    let r = put(
        &c,
        "/_snapshot/repo/%3Csnap-%7Bnow%2Fd%7D%3E?wait_for_completion=true",
        Some("{}"),
    )
    .await;
    assert_eq!(
        r.json()["snapshot"]["snapshot"],
        "snap-2024.11.14",
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn invalid_boolean_in_body_is_an_illegal_argument_with_cause() {
    let c = with_repo(Flavor::Elasticsearch8_13).await;
    let r = put(&c, "/_snapshot/repo/s", Some(r#"{"partial":"maybe"}"#)).await;
    let j = assert_error(
        &r,
        400,
        "illegal_argument_exception",
        "Could not convert [partial] to boolean",
    );
    assert_eq!(
        j["error"]["root_cause"][0]["reason"],
        "Failed to parse value [maybe] as only [true] or [false] are allowed."
    );
    assert_eq!(
        j["error"]["caused_by"]["type"],
        "illegal_argument_exception"
    );
}

#[tokio::test]
async fn malformed_json_body_is_a_parse_exception() {
    let c = with_repo(Flavor::OpenSearch2).await;
    let r = put(&c, "/_snapshot/repo/s", Some("{oops")).await;
    let j = assert_error(&r, 400, "parse_exception", "Failed to parse content to map");
    assert_eq!(j["error"]["caused_by"]["type"], "json_parse_exception");
}

#[tokio::test]
async fn undeclared_index_is_404_index_not_found_once_indices_are_declared() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        c.add_indices(["optimize-import-index_v3"]);
        let r = put(
            &c,
            "/_snapshot/repo/s",
            Some(r#"{"indices":["optimize-import-index_v3","nope"]}"#),
        )
        .await;
        let j = assert_error(&r, 404, "index_not_found_exception", "no such index [nope]");
        assert_eq!(
            r.ordered().get("error").keys(),
            [
                "root_cause",
                "type",
                "reason",
                "resource.type",
                "resource.id",
                "index_uuid",
                "index"
            ],
            "{f}"
        );
        assert_eq!(j["error"]["root_cause"][0]["resource.id"], "nope");
        assert_eq!(j["error"]["index_uuid"], "_na_");
        let r = put(
            &c,
            "/_snapshot/repo/s?wait_for_completion=true",
            Some(r#"{"indices":["optimize-import-index_v3","nope"],"ignore_unavailable":true}"#),
        )
        .await;
        assert_eq!(
            r.json()["snapshot"]["indices"],
            json!(["optimize-import-index_v3"]),
            "{f}"
        );
    }
}
