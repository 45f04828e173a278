//! One test per quirk of the dialect, named after it.

use super::*;

fn es(number: &str) -> ClusterInfo {
    ClusterInfo::new(Product::Elasticsearch, number).unwrap()
}

fn os(number: &str) -> ClusterInfo {
    ClusterInfo::new(Product::OpenSearch, number).unwrap()
}

/// One cluster of every version a quirk starts or stops at, and of each
/// emulated flavor.
fn every_cluster() -> Vec<ClusterInfo> {
    let mut all: Vec<ClusterInfo> = [
        "7.10.2", "7.13.4", "7.14.0", "7.17.22", "8.1.3", "8.2.0", "8.3.0", "8.13.4", "8.14.0",
        "8.15.3", "9.1.0",
    ]
    .into_iter()
    .map(es)
    .collect();
    // 7.10.2: OpenSearch 1.x in compatibility mode.
    all.extend(["1.3.20", "7.10.2", "2.19.0", "3.1.0"].into_iter().map(os));
    all
}

/// An error envelope as every version writes it (§1.1).
fn error(status: u16, kind: &str, reason: &str) -> ErrorAnswer {
    let body = serde_json::json!({
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status,
    });
    let body = crate::redact::Redactor::new(&[]).body(body.to_string().into());
    ErrorAnswer::read(status, &body)
}

fn page(body: &str) -> GetSnapshotsResponse<'_> {
    serde_json::from_str(body).unwrap()
}

#[test]
fn version_numbers_read_releases_pre_releases_and_short_forms() {
    assert_eq!((es("8.15.3").major, es("8.15.3").minor), (8, 15));
    assert_eq!(es("9.0.0-beta1").patch, 0);
    assert_eq!(es("8.6").patch, 0);
    assert_eq!(es("8.13.5-snapshot").patch, 5);
    assert!(ClusterInfo::new(Product::Elasticsearch, "").is_none());
    assert!(ClusterInfo::new(Product::Elasticsearch, "8").is_none());
    assert!(ClusterInfo::new(Product::Elasticsearch, "v8.1").is_none());
}

#[test]
fn opensearch_is_told_by_its_distribution_never_by_its_number() {
    let es_root = br#"{"name":"n","version":{"number":"8.3.3","build_flavor":"default"},"tagline":"You Know, for Search"}"#;
    assert_eq!(ClusterInfo::from_root(es_root), Ok(es("8.3.3")));
    let os_root = br#"{"name":"n","version":{"distribution":"opensearch","number":"2.11.0"}}"#;
    assert_eq!(ClusterInfo::from_root(os_root), Ok(os("2.11.0")));
    // OpenSearch 1.x with compatibility.override_main_response_version.
    let os_compat = br#"{"version":{"distribution":"opensearch","number":"7.10.2"}}"#;
    assert_eq!(ClusterInfo::from_root(os_compat), Ok(os("7.10.2")));
}

#[test]
fn a_root_answer_without_a_version_says_what_is_missing() {
    let what = |body: &[u8]| ClusterInfo::from_root(body).unwrap_err();
    assert!(what(b"<html>").starts_with("not a cluster information document ("));
    assert_eq!(what(b"{}"), "no version in the cluster information");
    assert_eq!(
        what(br#"{"version":{}}"#),
        "no version.number in the cluster information"
    );
    assert_eq!(
        what(br#"{"version":{"number":"two"}}"#),
        "version.number [two] is not a version"
    );
}

#[test]
fn index_names_only_on_elasticsearch_8_3_and_later() {
    assert!(!es("7.17.22").knows_index_names());
    assert!(!es("8.2.3").knows_index_names());
    assert!(es("8.3.0").knows_index_names());
    assert!(es("9.1.0").knows_index_names());
    assert!(!os("3.1.0").knows_index_names());
}

#[test]
fn paging_only_on_elasticsearch_7_14_and_later() {
    assert!(!es("7.10.2").pages_snapshots());
    assert!(!es("7.13.4").pages_snapshots());
    assert!(es("7.14.0").pages_snapshots());
    assert!(es("8.15.3").pages_snapshots());
    assert!(!os("2.11.0").pages_snapshots());
    // OpenSearch 1.x in compatibility mode reports 7.10.2 and is still OpenSearch.
    assert!(!os("7.10.2").pages_snapshots());
}

#[test]
fn lookup_query_sends_filter_path_and_ignore_unavailable_everywhere_and_the_rest_where_known() {
    let base = [
        ("filter_path", SNAPSHOT_FILTER_PATH),
        ("ignore_unavailable", "true"),
    ];
    for info in [es("7.10.2"), es("7.13.4"), os("1.3.20"), os("3.1.0")] {
        assert_eq!(info.snapshot_lookup_query("5000"), base, "{info:?}");
    }
    for info in [es("7.14.0"), es("8.2.0")] {
        let mut expected = base.to_vec();
        expected.push(("size", "5000"));
        assert_eq!(info.snapshot_lookup_query("5000"), expected, "{info:?}");
    }
    for info in [es("8.3.0"), es("8.15.3"), es("9.1.0")] {
        let mut expected = base.to_vec();
        expected.extend([("index_names", "false"), ("size", "7")]);
        assert_eq!(info.snapshot_lookup_query("7"), expected, "{info:?}");
    }
}

#[test]
fn a_names_and_states_lookup_is_verbose_false_and_never_paged() {
    let base = [
        ("verbose", "false"),
        ("filter_path", SNAPSHOT_STATES_FILTER_PATH),
        ("ignore_unavailable", "true"),
    ];
    for info in [
        es("7.10.2"),
        es("7.14.0"),
        es("8.2.0"),
        os("1.3.20"),
        os("2.19.0"),
        os("3.1.0"),
    ] {
        assert_eq!(info.snapshot_states_query(), base, "{info:?}");
    }
    for info in [es("8.3.0"), es("8.15.3"), es("9.1.0")] {
        let mut expected = base.to_vec();
        expected.push(("index_names", "false"));
        assert_eq!(info.snapshot_states_query(), expected, "{info:?}");
    }
}

#[test]
fn the_names_and_states_filter_path_keeps_names_states_and_errors_only() {
    let kept: Vec<&str> = SNAPSHOT_STATES_FILTER_PATH.split(',').collect();
    for field in [
        "snapshots.snapshot",
        "snapshots.state",
        "error",
        "total",
        "remaining",
    ] {
        assert!(kept.contains(&field), "{field}");
    }
    // What a listing carries besides: each snapshot's index and data
    // stream lists (the bulk of it) and its uuid.
    for field in ["indices", "data_streams", "uuid", "snapshots.*"] {
        assert!(!kept.iter().any(|k| k.ends_with(field)), "{field}");
    }
}

#[test]
fn filter_path_keeps_what_state_details_schedule_errors_and_paging_read() {
    let kept: Vec<&str> = SNAPSHOT_FILTER_PATH.split(',').collect();
    for field in [
        "snapshots.snapshot",
        "snapshots.state",
        "snapshots.start_time_in_millis",
        "snapshots.failures.index",
        "snapshots.failures.shard_id",
        "snapshots.failures.reason",
        "snapshots.failures.node_id",
        "snapshots.failures.status",
        "snapshots.metadata.backupId",
        "snapshots.metadata.version",
        "snapshots.metadata.partNo",
        "snapshots.metadata.partCount",
        "snapshots.metadata.trigger",
        "error",
        "next",
        "total",
        "remaining",
    ] {
        assert!(kept.contains(&field), "{field} is filtered out");
    }
    assert!(!SNAPSHOT_FILTER_PATH.contains(char::is_whitespace));
}

#[test]
fn the_next_page_is_followed_while_matches_remain_where_the_cluster_pages() {
    let more =
        page(r#"{"snapshots":[{"snapshot":"a"}],"next":"YSxyLGE=","total":3,"remaining":2}"#);
    let last =
        page(r#"{"snapshots":[{"snapshot":"a"}],"next":"YSxyLGE=","total":3,"remaining":0}"#);
    // ES 7.14 sends `next` without `remaining`.
    let es_7_14 = page(r#"{"snapshots":[{"snapshot":"a"}],"next":"YSxyLGE="}"#);
    let no_next = page(r#"{"snapshots":[{"snapshot":"a"}],"total":1,"remaining":0}"#);
    assert_eq!(es("8.15.3").next_page(&more), Some("YSxyLGE="));
    assert_eq!(es("8.15.3").next_page(&last), None);
    assert_eq!(es("7.14.0").next_page(&es_7_14), Some("YSxyLGE="));
    assert_eq!(es("9.1.0").next_page(&no_next), None);
    // A cluster that does not page would refuse `after`.
    assert_eq!(os("2.19.0").next_page(&more), None);
    assert_eq!(es("7.13.4").next_page(&es_7_14), None);
}

#[test]
fn a_page_emptied_by_filter_path_is_an_empty_object_or_the_paging_fields() {
    for info in every_cluster() {
        for body in ["{}", " {\n}\n", r#"{"total":0,"remaining":0}"#] {
            assert!(
                info.is_filtered_empty(&page(body), body.as_bytes()),
                "{body}"
            );
        }
        for body in [r#"{"a":1}"#, r#"{"acknowledged":true}"#] {
            assert!(
                !info.is_filtered_empty(&page(body), body.as_bytes()),
                "{body}"
            );
        }
    }
    assert!(!is_empty_object(b""));
    assert!(!is_empty_object(b"[]"));
}

#[test]
fn a_404_snapshot_missing_is_no_match_on_every_version() {
    let no_match = error(
        404,
        "snapshot_missing_exception",
        "[camunda_backup:camunda_optimize_42_*] is missing",
    );
    for info in every_cluster() {
        assert!(info.is_no_match(&no_match), "{info:?}");
        assert!(!info.is_no_match(&error(404, "repository_missing_exception", "[r] missing")));
        assert!(!info.is_no_match(&error(500, "snapshot_missing_exception", "x")));
    }
}

#[test]
fn a_missing_repository_is_a_404_repository_missing_on_both_products() {
    for info in every_cluster() {
        assert!(info.is_repository_missing(&error(
            404,
            "repository_missing_exception",
            "[camunda_backup] missing"
        )));
        assert!(!info.is_repository_missing(&error(404, "snapshot_missing_exception", "x")));
        assert!(!info.is_repository_missing(&error(500, "repository_exception", "x")));
    }
}

#[test]
fn a_repository_is_registered_when_the_answer_is_keyed_by_its_name() {
    for info in every_cluster() {
        let found = br#"{"camunda_backup":{"type":"fs","settings":{"location":"/b"}}}"#;
        assert!(info.registers_repository(found, "camunda_backup").unwrap());
        assert!(!info.registers_repository(found, "other").unwrap());
        assert!(!info.registers_repository(b"{}", "camunda_backup").unwrap());
        assert!(!info.registers_repository(b"[]", "camunda_backup").unwrap());
        assert!(info
            .registers_repository(b"<html>", "camunda_backup")
            .is_err());
    }
}

#[test]
fn create_does_not_wait_for_completion_on_any_version() {
    for info in every_cluster() {
        assert_eq!(info.create_query(), [("wait_for_completion", "false")]);
    }
}

#[test]
fn a_name_in_use_is_either_duplicate_type_with_the_same_name_reason() {
    let exists =
        "[camunda_backup:a] Invalid snapshot name [a], snapshot with the same name already exists";
    let running = "[camunda_backup:a] Invalid snapshot name [a], snapshot with the same name is already in-progress";
    for info in every_cluster() {
        // ES ≤ 8.1 and OpenSearch.
        assert!(info.is_name_in_use(&error(400, "invalid_snapshot_name_exception", exists)));
        // ES ≥ 8.2.
        assert!(info.is_name_in_use(&error(
            400,
            "snapshot_name_already_in_use_exception",
            running
        )));
        // The same type refuses a malformed name.
        assert!(!info.is_name_in_use(&error(
            400,
            "invalid_snapshot_name_exception",
            "[camunda_backup:A] Invalid snapshot name [A], must be lowercase"
        )));
        assert!(!info.is_name_in_use(&error(
            503,
            "concurrent_snapshot_execution_exception",
            exists
        )));
    }
}

#[test]
fn delete_sends_no_wait_for_completion_on_any_version() {
    for info in every_cluster() {
        assert!(info.delete_query().is_empty(), "{info:?}");
    }
}

#[test]
fn a_refused_delete_names_the_missing_snapshot_from_its_reason() {
    let names = vec!["a_1".to_string(), "b_2".to_string()];
    let missing = |reason: &str| error(404, "snapshot_missing_exception", reason);
    for info in every_cluster() {
        let found = |answer: &ErrorAnswer| info.missing_snapshot(answer, "repo", &names);
        assert_eq!(found(&missing("[repo:b_2] is missing")), Some(&names[1]));
        assert_eq!(
            found(&missing("[repo:b_2/R5_AuiaHSEi4J0X2RvTBSw] is missing")),
            Some(&names[1])
        );
        // A reason naming none of them: the first name.
        assert_eq!(found(&missing("[repo:zzz] is missing")), Some(&names[0]));
        assert_eq!(found(&missing("[other:b_2] is missing")), Some(&names[0]));
        assert_eq!(
            found(&error(
                404,
                "repository_missing_exception",
                "[repo] missing"
            )),
            None
        );
    }
    assert_eq!(missing_snapshot_name(None, "repo", &names), None);
}

#[test]
fn an_index_not_found_on_delete_is_gone_already() {
    for info in every_cluster() {
        assert!(info.is_index_gone(&error(
            404,
            "index_not_found_exception",
            "no such index [x]"
        )));
        assert!(!info.is_index_gone(&error(400, "illegal_argument_exception", "x")));
    }
}

#[test]
fn a_health_answer_that_timed_out_still_carries_the_health() {
    for info in every_cluster() {
        assert!(info.health_is_readable(200));
        assert!(info.health_is_readable(408));
        assert!(!info.health_is_readable(404));
        assert!(!info.health_is_readable(503));
    }
}
