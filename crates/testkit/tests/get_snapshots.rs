//! §4 get snapshots.
mod common;

use backup_actuator_testkit::{
    EmulatedShardFailure, EmulatedSnapshotState, Flavor, SeededSnapshot,
};
use common::*;
use serde_json::json;

const T0: i64 = 1_731_585_600_123;

fn part(id: u32, n: u32) -> String {
    format!("camunda_optimize_{id}_8.6.0_part_{n}_of_2")
}

async fn seeded(f: Flavor) -> backup_actuator_testkit::EmulatedCluster {
    let c = with_repo(f).await;
    for id in [1u32, 2] {
        for n in [1u32, 2] {
            let start = T0 + i64::from(id) * 10_000 + i64::from(n);
            c.insert_snapshot(
                "repo",
                SeededSnapshot::new(part(id, n), EmulatedSnapshotState::Success, start)
                    .with_indices([
                        "optimize-import-index_v3",
                        "optimize-timestamp-based-import-index_v5",
                    ])
                    .with_duration_millis(388),
            );
        }
    }
    c
}

#[tokio::test]
async fn response_envelope_per_version() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = get(&c, "/_snapshot/repo/camunda_optimize_1_*").await;
        assert_eq!(r.status, 200, "{f}");
        let expected: &[&str] = if es_at_least(f, 7, 15) {
            &["snapshots", "total", "remaining"]
        } else {
            &["snapshots"]
        };
        assert_eq!(r.ordered().keys(), expected, "{f}");
        let j = r.json();
        assert_eq!(j["snapshots"].as_array().unwrap().len(), 2);
        if es_at_least(f, 7, 15) {
            assert_eq!(j["total"], 2);
            assert_eq!(j["remaining"], 0);
        }
    }
}

#[tokio::test]
async fn snapshot_info_fields_come_in_the_order_of_the_flavor() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = get(&c, &format!("/_snapshot/repo/{}", part(1, 1))).await;
        let o = r.ordered();
        let keys = o.get("snapshots").at(0).keys();
        let expected: Vec<&str> = match f {
            Flavor::Elasticsearch7_10 | Flavor::OpenSearch1 => vec![
                "snapshot",
                "uuid",
                "version_id",
                "version",
                "indices",
                "data_streams",
                "include_global_state",
                "state",
                "start_time",
                "start_time_in_millis",
                "end_time",
                "end_time_in_millis",
                "duration_in_millis",
                "failures",
                "shards",
            ],
            Flavor::OpenSearch2 | Flavor::OpenSearch3 => vec![
                "snapshot",
                "uuid",
                "version_id",
                "version",
                "remote_store_index_shallow_copy",
                "indices",
                "data_streams",
                "include_global_state",
                "state",
                "start_time",
                "start_time_in_millis",
                "end_time",
                "end_time_in_millis",
                "duration_in_millis",
                "failures",
                "shards",
            ],
            _ => vec![
                "snapshot",
                "uuid",
                "repository",
                "version_id",
                "version",
                "indices",
                "data_streams",
                "include_global_state",
                "state",
                "start_time",
                "start_time_in_millis",
                "end_time",
                "end_time_in_millis",
                "duration_in_millis",
                "failures",
                "shards",
                "feature_states",
            ],
        };
        assert_eq!(keys, expected, "{f}");
        assert_eq!(
            o.get("snapshots").at(0).get("shards").keys(),
            ["total", "failed", "successful"]
        );
        let s = &r.json()["snapshots"][0];
        assert_eq!(s["start_time"], "2024-11-14T12:00:10.124Z", "{f}");
        assert_eq!(s["end_time"], "2024-11-14T12:00:10.512Z");
        assert_eq!(s["duration_in_millis"], 388);
        assert_eq!(s["uuid"].as_str().unwrap().len(), 22);
    }
}

#[tokio::test]
async fn version_and_version_id_per_flavor() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let s = get(&c, &format!("/_snapshot/repo/{}", part(1, 1)))
            .await
            .json()["snapshots"][0]
            .clone();
        let (id, version): (i64, &str) = match f {
            Flavor::Elasticsearch7_10 => (7100299, "7.10.2"),
            Flavor::Elasticsearch7_17 => (7172299, "7.17.22"),
            Flavor::Elasticsearch8_3 => (8030399, "8.3.3"),
            Flavor::Elasticsearch8_13 => (8503000, "8503000"),
            Flavor::Elasticsearch8_15 => (8512000, "8512000"),
            Flavor::Elasticsearch9 => (9033000, "9033000"),
            Flavor::OpenSearch1 => (135249727, "1.3.19"),
            Flavor::OpenSearch2 => (136327827, "2.11.0"),
            Flavor::OpenSearch3 => (137227827, "3.1.0"),
        };
        assert_eq!(s["version_id"], id, "{f}");
        assert_eq!(s["version"], version, "{f}");
        if f.is_opensearch() {
            assert_eq!(id & 0x0800_0000, 0x0800_0000, "bit 27 set");
        }
    }
}

#[tokio::test]
async fn metadata_and_reason_sit_where_the_real_servers_put_them() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        c.insert_snapshot(
            "repo",
            SeededSnapshot::new("failed", EmulatedSnapshotState::Failed, T0)
                .with_metadata(json!({"policy": "nightly"}))
                .with_reason("Snapshot was aborted by deletion"),
        );
        let o = get(&c, "/_snapshot/repo/failed").await.ordered();
        let keys = o.get("snapshots").at(0).keys();
        let pos = |k: &str| {
            keys.iter()
                .position(|x| *x == k)
                .unwrap_or_else(|| panic!("{f}: no {k}"))
        };
        assert_eq!(pos("metadata"), pos("include_global_state") + 1, "{f}");
        assert_eq!(pos("state"), pos("metadata") + 1);
        assert_eq!(pos("reason"), pos("state") + 1);
        assert_eq!(pos("start_time"), pos("reason") + 1);
    }
}

#[tokio::test]
async fn shard_failure_index_uuid_is_the_index_name_on_es_7_13_and_opensearch() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        c.insert_snapshot(
            "repo",
            SeededSnapshot::new("p", EmulatedSnapshotState::Partial, T0)
                .with_indices(["idx-a", "idx-b"])
                .with_failures(vec![
                    EmulatedShardFailure::new("idx-a", 0, "primary shard is not allocated"),
                    EmulatedShardFailure::new("idx-b", 2, "IndexShardSnapshotFailedException[x]")
                        .with_node_id("n1"),
                ]),
        );
        let r = get(&c, "/_snapshot/repo/p").await;
        let o = r.ordered();
        let failures = o.get("snapshots").at(0).get("failures");
        assert_eq!(
            failures.at(0).keys(),
            ["index", "index_uuid", "shard_id", "reason", "status"]
        );
        assert_eq!(
            failures.at(1).keys(),
            [
                "index",
                "index_uuid",
                "shard_id",
                "reason",
                "node_id",
                "status"
            ]
        );
        let j = r.json();
        let fail = &j["snapshots"][0]["failures"][0];
        assert_eq!(fail["status"], "INTERNAL_SERVER_ERROR");
        if es_at_least(f, 7, 14) {
            assert_ne!(fail["index_uuid"], "idx-a", "{f}");
            assert_eq!(fail["index_uuid"].as_str().unwrap().len(), 22);
        } else {
            assert_eq!(fail["index_uuid"], "idx-a", "{f}");
        }
        assert_eq!(
            j["snapshots"][0]["shards"],
            json!({"total": 2, "failed": 2, "successful": 0})
        );
        assert_eq!(j["snapshots"][0]["state"], "PARTIAL");
    }
}

#[tokio::test]
async fn exact_name_missing_is_404_snapshot_missing_on_every_version() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = get(
            &c,
            &format!(
                "/_snapshot/repo/{},camunda_optimize_42_8.6.0_part_1_of_2",
                part(1, 1)
            ),
        )
        .await;
        assert_error(
            &r,
            404,
            "snapshot_missing_exception",
            "[repo:camunda_optimize_42_8.6.0_part_1_of_2] is missing",
        );
    }
}

#[tokio::test]
async fn exact_name_missing_with_ignore_unavailable_is_200() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = get(&c, "/_snapshot/repo/nope?ignore_unavailable=true").await;
        assert_eq!(r.status, 200, "{f}");
        let expected = if es_at_least(f, 7, 15) {
            json!({"snapshots": [], "total": 0, "remaining": 0})
        } else {
            json!({"snapshots": []})
        };
        assert_eq!(r.json(), expected, "{f}");
    }
}

#[tokio::test]
async fn patterns_matching_nothing_are_404_until_es_8_13_and_on_opensearch_then_200_empty() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = get(
            &c,
            "/_snapshot/repo/camunda_optimize_42_*_part_1_of_2,camunda_optimize_42_*_part_2_of_2",
        )
        .await;
        if es_at_least(f, 8, 14) {
            assert_eq!(r.status, 200, "{f}");
            assert_eq!(
                r.json(),
                json!({"snapshots": [], "total": 0, "remaining": 0})
            );
        } else {
            assert_error(
                &r,
                404,
                "snapshot_missing_exception",
                "[repo:camunda_optimize_42_*_part_1_of_2] is missing",
            );
        }
        let r = get(
            &c,
            "/_snapshot/repo/camunda_optimize_42_*?ignore_unavailable=true",
        )
        .await;
        assert_eq!(r.status, 200, "{f}");
        assert_eq!(r.json()["snapshots"], json!([]));
    }
}

#[tokio::test]
async fn all_and_star_on_an_empty_repository() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        assert_eq!(get(&c, "/_snapshot/repo/_all").await.status, 200, "{f}");
        let r = get(&c, "/_snapshot/repo/*").await;
        if es_at_least(f, 8, 14) {
            assert_eq!(r.status, 200, "{f}");
        } else {
            assert_error(&r, 404, "snapshot_missing_exception", "[repo:*] is missing");
        }
        assert_eq!(
            get(&c, "/_snapshot/repo/_current").await.json()["snapshots"],
            json!([]),
            "{f}"
        );
    }
}

#[tokio::test]
async fn current_lists_running_snapshots_only() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        c.insert_snapshot(
            "repo",
            SeededSnapshot::new("running", EmulatedSnapshotState::InProgress, T0 + 50_000),
        );
        let j = get(&c, "/_snapshot/repo/_current").await.json();
        assert_eq!(j["snapshots"].as_array().unwrap().len(), 1, "{f}");
        assert_eq!(j["snapshots"][0]["state"], "IN_PROGRESS");
    }
}

#[tokio::test]
async fn current_on_a_missing_repository_is_empty_on_7_10_and_opensearch() {
    for f in Flavor::ALL {
        let c = start(f).await;
        let r = get(&c, "/_snapshot/missing/_current").await;
        if es_at_least(f, 7, 14) {
            assert_error(&r, 404, "repository_missing_exception", "[missing] missing");
        } else {
            assert_eq!(r.status, 200, "{f}");
            assert_eq!(r.json(), json!({"snapshots": []}));
        }
    }
}

#[tokio::test]
async fn opensearch_1_ignore_unavailable_bug_returns_running_snapshots() {
    for f in [Flavor::OpenSearch1, Flavor::OpenSearch2] {
        let c = seeded(f).await;
        c.insert_snapshot(
            "repo",
            SeededSnapshot::new("running", EmulatedSnapshotState::InProgress, T0 + 50_000),
        );
        let j = get(&c, "/_snapshot/repo/nope?ignore_unavailable=true")
            .await
            .json();
        let n = j["snapshots"].as_array().unwrap().len();
        assert_eq!(n, if f == Flavor::OpenSearch1 { 1 } else { 0 }, "{f}");
    }
}

#[tokio::test]
async fn missing_repository_is_404_repository_missing() {
    for f in Flavor::ALL {
        let c = start(f).await;
        assert_error(
            &get(&c, "/_snapshot/camunda_backup/snap").await,
            404,
            "repository_missing_exception",
            "[camunda_backup] missing",
        );
    }
}

#[tokio::test]
async fn default_order_is_start_time_then_name() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        for (name, start) in [("c", T0), ("b", T0 + 1), ("a", T0 + 1), ("d", T0 - 5)] {
            c.insert_snapshot(
                "repo",
                SeededSnapshot::new(name, EmulatedSnapshotState::Success, start),
            );
        }
        let j = get(&c, "/_snapshot/repo/_all").await.json();
        let names: Vec<&str> = j["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["snapshot"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["d", "c", "a", "b"], "{f}");
        assert_eq!(c.snapshot_names("repo"), ["d", "c", "a", "b"]);
    }
}

#[tokio::test]
async fn verbose_false_is_the_cheap_listing() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        c.insert_snapshot(
            "repo",
            SeededSnapshot::new("s", EmulatedSnapshotState::Success, T0)
                .with_indices(["zeta", "alpha"]),
        );
        let r = get(&c, "/_snapshot/repo/s?verbose=false").await;
        let o = r.ordered();
        let expected: &[&str] = if es_at_least(f, 7, 14) {
            &[
                "snapshot",
                "uuid",
                "repository",
                "indices",
                "data_streams",
                "state",
            ]
        } else {
            &["snapshot", "uuid", "indices", "data_streams", "state"]
        };
        assert_eq!(o.get("snapshots").at(0).keys(), expected, "{f}");
        let j = r.json();
        let indices = if f.is_opensearch() || f == Flavor::Elasticsearch7_10 {
            json!(["alpha", "zeta"])
        } else {
            json!(["zeta", "alpha"])
        };
        assert_eq!(j["snapshots"][0]["indices"], indices, "{f}");
        if es_at_least(f, 7, 15) {
            assert_eq!(j["total"], 1);
        }
    }
}

#[tokio::test]
async fn index_names_false_drops_indices_on_es_8_3_plus() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = get(&c, "/_snapshot/repo/_all?index_names=false").await;
        if es_at_least(f, 8, 3) {
            assert_eq!(r.status, 200);
            assert!(r.json()["snapshots"][0].get("indices").is_none(), "{f}");
        } else {
            // 7.13+ knows `index_details`, close enough for the "did you mean" hint.
            let hint = if es_at_least(f, 7, 13) {
                " -> did you mean [index_details]?"
            } else {
                ""
            };
            let reason = format!("request [/_snapshot/repo/_all] contains unrecognized parameter: [index_names]{hint}");
            assert_error(&r, 400, "illegal_argument_exception", &reason);
        }
    }
}

#[tokio::test]
async fn include_repository_false_drops_repository_on_es_7_14_plus() {
    let c = seeded(Flavor::Elasticsearch8_15).await;
    let j = get(&c, "/_snapshot/repo/_all?include_repository=false")
        .await
        .json();
    assert!(j["snapshots"][0].get("repository").is_none());
}

#[tokio::test]
async fn index_details_adds_per_index_details() {
    let c = seeded(Flavor::Elasticsearch8_13).await;
    let j = get(
        &c,
        &format!("/_snapshot/repo/{}?index_details=true", part(1, 1)),
    )
    .await
    .json();
    let d = &j["snapshots"][0]["index_details"]["optimize-import-index_v3"];
    assert_eq!(d["shard_count"], 1);
    assert!(d["size_in_bytes"].is_number());
}

#[tokio::test]
async fn paging_with_size_next_and_after() {
    for f in [
        Flavor::Elasticsearch7_17,
        Flavor::Elasticsearch8_3,
        Flavor::Elasticsearch8_13,
        Flavor::Elasticsearch8_15,
        Flavor::Elasticsearch9,
    ] {
        let c = seeded(f).await;
        let r = get(&c, "/_snapshot/repo/_all?size=1&sort=name").await;
        let j = r.json();
        assert_eq!(
            r.ordered().keys(),
            ["snapshots", "next", "total", "remaining"],
            "{f}"
        );
        assert_eq!(j["snapshots"][0]["snapshot"], part(1, 1));
        assert_eq!(j["total"], 4);
        assert_eq!(j["remaining"], 3);
        let next = j["next"].as_str().unwrap().to_string();
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::URL_SAFE
            .decode(&next)
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            format!("{},repo,{}", part(1, 1), part(1, 1))
        );
        let j = get(
            &c,
            &format!("/_snapshot/repo/_all?size=2&sort=name&after={next}"),
        )
        .await
        .json();
        let names: Vec<&str> = j["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["snapshot"].as_str().unwrap())
            .collect();
        assert_eq!(names, [part(1, 2), part(2, 1)]);
        assert_eq!(j["total"], 4);
        assert_eq!(j["remaining"], 1);
        let last = get(
            &c,
            &format!(
                "/_snapshot/repo/_all?sort=name&after={}",
                j["next"].as_str().unwrap()
            ),
        )
        .await
        .json();
        assert_eq!(last["snapshots"].as_array().unwrap().len(), 1);
        assert!(last.get("next").is_none(), "next only when remaining > 0");
        assert_eq!(last["remaining"], 0);
    }
}

#[tokio::test]
async fn offset_and_order_desc() {
    let c = seeded(Flavor::Elasticsearch8_15).await;
    let j = get(&c, "/_snapshot/repo/_all?order=desc&offset=1&size=2")
        .await
        .json();
    let names: Vec<&str> = j["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["snapshot"].as_str().unwrap())
        .collect();
    assert_eq!(names, [part(2, 1), part(1, 2)]);
    assert_eq!(j["total"], 4);
    assert_eq!(j["remaining"], 1);
}

#[tokio::test]
async fn paging_parameters_are_unknown_on_es_7_10_and_opensearch() {
    for f in [
        Flavor::Elasticsearch7_10,
        Flavor::OpenSearch1,
        Flavor::OpenSearch2,
        Flavor::OpenSearch3,
    ] {
        let c = seeded(f).await;
        let r = get(&c, "/_snapshot/repo/_all?size=1").await;
        assert_error(
            &r,
            400,
            "illegal_argument_exception",
            "request [/_snapshot/repo/_all] contains unrecognized parameter: [size]",
        );
        let r = get(&c, "/_snapshot/repo/_all?sort=name&size=1").await;
        assert_error(
            &r,
            400,
            "illegal_argument_exception",
            "request [/_snapshot/repo/_all] contains unrecognized parameters: [size], [sort]",
        );
    }
}

#[tokio::test]
async fn paging_validation_errors() {
    let c = seeded(Flavor::Elasticsearch8_15).await;
    assert_error(
        &get(&c, "/_snapshot/repo/_all?size=0").await,
        400,
        "action_request_validation_exception",
        "Validation Failed: 1: size must be -1 or greater than 0;",
    );
    assert_error(
        &get(&c, "/_snapshot/repo/_all?verbose=false&sort=name").await,
        400,
        "action_request_validation_exception",
        "Validation Failed: 1: can't use non-default sort with verbose=false;",
    );
    assert_error(
        &get(&c, "/_snapshot/repo/_all?after=bm9wZQ==").await,
        400,
        "illegal_argument_exception",
        "invalid ?after parameter [bm9wZQ==]",
    );
    assert_error(
        &get(&c, "/_snapshot/repo/_all?size=abc").await,
        400,
        "illegal_argument_exception",
        "Failed to parse int parameter [size] with value [abc]",
    );
}

#[tokio::test]
async fn wildcards_exclusions_and_multi_repository_requests_on_newer_es() {
    let c = seeded(Flavor::Elasticsearch8_15).await;
    c.add_repository("other");
    c.insert_snapshot(
        "other",
        SeededSnapshot::new(
            "camunda_optimize_9_8.6.0_part_1_of_2",
            EmulatedSnapshotState::Success,
            T0,
        ),
    );
    let j = get(
        &c,
        "/_snapshot/repo,other/*part_1_of_2,-camunda_optimize_2*",
    )
    .await
    .json();
    let got: Vec<(String, String)> = j["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["repository"].as_str().unwrap().to_string(),
                s["snapshot"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "other".into(),
                "camunda_optimize_9_8.6.0_part_1_of_2".into()
            ),
            ("repo".into(), part(1, 1))
        ]
    );
    let j = get(&c, "/_snapshot/_all/_all?sort=repository&order=desc")
        .await
        .json();
    assert_eq!(j["snapshots"][0]["repository"], "repo");
    assert_eq!(j["total"], 5);
}

#[tokio::test]
async fn state_filter_exists_on_es_9_1() {
    let c = seeded(Flavor::Elasticsearch9).await;
    c.insert_snapshot(
        "repo",
        SeededSnapshot::new("bad", EmulatedSnapshotState::Failed, T0),
    );
    let j = get(&c, "/_snapshot/repo/_all?state=FAILED").await.json();
    assert_eq!(j["total"], 1);
    assert_eq!(j["snapshots"][0]["snapshot"], "bad");
    let c = seeded(Flavor::Elasticsearch8_15).await;
    assert_eq!(
        get(&c, "/_snapshot/repo/_all?state=FAILED").await.status,
        400
    );
}

#[tokio::test]
async fn human_adds_duration_before_duration_in_millis() {
    let c = seeded(Flavor::Elasticsearch8_15).await;
    let o = get(&c, &format!("/_snapshot/repo/{}?human", part(1, 1)))
        .await
        .ordered();
    let keys = o.get("snapshots").at(0).keys();
    let i = keys.iter().position(|k| *k == "duration").unwrap();
    assert_eq!(keys[i + 1], "duration_in_millis");
}

#[tokio::test]
async fn twenty_thousand_seeded_snapshots_are_found_and_paged() {
    // How fast seeding is: `cargo bench -p backup-actuator-loadgen --bench emulator_seed`.
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    let indices: Vec<String> = (0..30)
        .map(|i| format!("optimize-index-number-{i}_v3"))
        .collect();
    c.insert_snapshots(
        "repo",
        (0..20_000u32).map(|i| {
            SeededSnapshot::new(
                format!("camunda_optimize_{i}_8.6.0_part_1_of_2"),
                EmulatedSnapshotState::Success,
                T0 + i64::from(i),
            )
            .with_indices(indices.iter().cloned())
        }),
    );
    let r = get(&c, "/_snapshot/repo/camunda_optimize_19999_*").await;
    assert_eq!(r.json()["total"], 1);
    let r = get(&c, "/_snapshot/repo/_all?size=10").await;
    assert_eq!(r.json()["total"], 20_000);
    assert_eq!(r.json()["remaining"], 19_990);
}

#[tokio::test]
async fn unreadable_snapshot_fails_verbose_gets_unless_ignore_unavailable() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        c.insert_snapshot(
            "repo",
            SeededSnapshot::new("broken", EmulatedSnapshotState::Success, T0)
                .with_uuid("R5_AuiaHSEi4J0X2RvTBSw")
                .unreadable(),
        );
        let r = get(&c, "/_snapshot/repo/_all").await;
        assert_error(
            &r,
            500,
            "snapshot_exception",
            "[repo:broken/R5_AuiaHSEi4J0X2RvTBSw] Snapshot could not be read",
        );
        let j = get(&c, "/_snapshot/repo/_all?ignore_unavailable=true")
            .await
            .json();
        assert_eq!(j["snapshots"].as_array().unwrap().len(), 4, "{f}");
        let j = get(&c, "/_snapshot/repo/_all?verbose=false").await.json();
        assert_eq!(j["snapshots"].as_array().unwrap().len(), 5, "{f}");
    }
}

#[tokio::test]
async fn slm_policy_filter_and_from_sort_value_on_es_7_16_plus() {
    for f in [Flavor::Elasticsearch7_17, Flavor::Elasticsearch8_15] {
        let c = seeded(f).await;
        c.insert_snapshot(
            "repo",
            SeededSnapshot::new("nightly-1", EmulatedSnapshotState::Success, T0)
                .with_metadata(json!({"policy": "nightly"})),
        );
        let j = get(&c, "/_snapshot/repo/_all?slm_policy_filter=night*")
            .await
            .json();
        assert_eq!(j["total"], 1, "{f}");
        assert_eq!(j["snapshots"][0]["snapshot"], "nightly-1");
        let j = get(&c, "/_snapshot/repo/_all?slm_policy_filter=_none")
            .await
            .json();
        assert_eq!(j["total"], 4, "{f}");
        let j = get(
            &c,
            &format!(
                "/_snapshot/repo/_all?sort=name&from_sort_value={}",
                part(2, 1)
            ),
        )
        .await
        .json();
        let names: Vec<&str> = j["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["snapshot"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [part(2, 1).as_str(), part(2, 2).as_str(), "nightly-1"],
            "{f}"
        );
    }
}

#[tokio::test]
async fn multi_repository_failures_map_exists_from_7_14_until_8_14() {
    for f in [
        Flavor::Elasticsearch7_17,
        Flavor::Elasticsearch8_3,
        Flavor::Elasticsearch8_13,
        Flavor::Elasticsearch8_15,
    ] {
        let c = seeded(f).await;
        c.add_repository("other");
        let r = get(&c, &format!("/_snapshot/repo,other/{}", part(1, 1))).await;
        if es_at_least(f, 8, 14) {
            // 8.14+: `other` simply has no match for the exact name → 404 for the whole request.
            assert_error(
                &r,
                404,
                "snapshot_missing_exception",
                &format!("[other:{}] is missing", part(1, 1)),
            );
        } else {
            assert_eq!(r.status, 200, "{f}");
            assert_eq!(
                r.ordered().keys(),
                ["snapshots", "failures", "total", "remaining"],
                "{f}"
            );
            let j = r.json();
            assert_eq!(j["failures"]["other"]["type"], "snapshot_missing_exception");
            assert_eq!(j["snapshots"].as_array().unwrap().len(), 1);
        }
    }
}

#[test]
fn handles_are_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<backup_actuator_testkit::EmulatedCluster>();
}
