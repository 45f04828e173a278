//! §1 conventions: unknown parameters, generic parameters, error envelope, routing errors.
mod common;

use backup_actuator_testkit::{EmulatedSnapshotState, Flavor, SeededSnapshot};
use common::*;
use serde_json::json;

#[tokio::test]
async fn unknown_parameter_is_400_illegal_argument_naming_the_decoded_path() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let r = get(&c, "/_snapshot/repo/a%2Ab?foo=1").await;
        assert_error(
            &r,
            400,
            "illegal_argument_exception",
            "request [/_snapshot/repo/a*b] contains unrecognized parameter: [foo]",
        );
        assert_eq!(
            r.json(),
            json!({"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"request [/_snapshot/repo/a*b] contains unrecognized parameter: [foo]"}],"type":"illegal_argument_exception","reason":"request [/_snapshot/repo/a*b] contains unrecognized parameter: [foo]"},"status":400})
        );
    }
}

#[tokio::test]
async fn several_unknown_parameters_are_sorted_and_get_did_you_mean_hints() {
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    let r = get(&c, "/_snapshot/repo/_all?zzz=1&verbos=false").await;
    assert_error(
        &r,
        400,
        "illegal_argument_exception",
        "request [/_snapshot/repo/_all] contains unrecognized parameters: [verbos] -> did you mean [verbose]?, [zzz]",
    );
}

#[tokio::test]
async fn generic_parameters_are_known_everywhere() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        for q in [
            "pretty",
            "human=true",
            "error_trace=true",
            "filter_path=snapshots",
            "master_timeout=30s",
        ] {
            let r = get(&c, &format!("/_snapshot/repo/_all?{q}")).await;
            assert_eq!(r.status, 200, "{f} {q}: {}", r.text());
        }
    }
}

#[tokio::test]
async fn cluster_manager_timeout_exists_on_opensearch_2_plus_only() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let r = get(&c, "/_snapshot/repo/_all?cluster_manager_timeout=30s").await;
        if f.is_opensearch() && f != Flavor::OpenSearch1 {
            assert_eq!(r.status, 200, "{f}");
        } else {
            assert_eq!(r.status, 400, "{f}");
            assert!(r.json()["error"]["reason"]
                .as_str()
                .unwrap()
                .contains("unrecognized parameter: [cluster_manager_timeout]"));
        }
    }
}

#[tokio::test]
async fn master_timeout_is_deprecated_with_a_warning_header_on_opensearch_2_plus() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let r = get(&c, "/_snapshot/repo/_all?master_timeout=30s").await;
        assert_eq!(r.status, 200);
        let warning = r.header("warning");
        if f.is_opensearch() && f != Flavor::OpenSearch1 {
            let w = warning.unwrap_or_else(|| panic!("{f}: no Warning"));
            assert!(
                w.starts_with(&format!("299 OpenSearch-{}-", f.version())),
                "{w}"
            );
            assert!(
                w.contains("Parameter [master_timeout] is deprecated"),
                "{w}"
            );
        } else {
            assert_eq!(warning, None, "{f}");
        }
    }
    let c = with_repo(Flavor::OpenSearch2).await;
    let r = get(
        &c,
        "/_snapshot/repo/_all?master_timeout=1s&cluster_manager_timeout=1s",
    )
    .await;
    assert_error(
        &r,
        400,
        "parse_exception",
        "Please only use one of the request parameters [master_timeout, cluster_manager_timeout].",
    );
}

#[tokio::test]
async fn bad_values_for_known_parameters() {
    let c = with_repo(Flavor::OpenSearch1).await;
    let r = put(&c, "/_snapshot/repo/s?wait_for_completion=yes", Some("{}")).await;
    assert_error(
        &r,
        400,
        "illegal_argument_exception",
        "Failed to parse value [yes] as only [true] or [false] are allowed.",
    );
    let r = get(&c, "/_snapshot/repo/_all?master_timeout=soon").await;
    assert_error(&r, 400, "parse_exception", "failed to parse setting [master_timeout] with value [soon] as a time value: unit is missing or unrecognized");
}

#[tokio::test]
async fn pretty_prints_like_jackson() {
    let c = with_repo(Flavor::Elasticsearch7_17).await;
    let r = put(&c, "/_snapshot/repo/s?pretty", Some("{}")).await;
    assert_eq!(r.text(), "{\n  \"accepted\" : true\n}\n");
    let r = get(&c, "/_snapshot/nope?pretty=true").await;
    assert!(
        r.text().contains(
            "\"root_cause\" : [\n      {\n        \"type\" : \"repository_missing_exception\""
        ),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn filter_path_keeps_only_the_requested_paths() {
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    c.insert_snapshot(
        "repo",
        SeededSnapshot::new("s", EmulatedSnapshotState::Success, 1),
    );
    let r = get(
        &c,
        "/_snapshot/repo/_all?filter_path=snapshots.snapshot,snapshots.state",
    )
    .await;
    assert_eq!(
        r.json(),
        json!({"snapshots":[{"snapshot":"s","state":"SUCCESS"}]})
    );
}

#[tokio::test]
async fn unknown_route_is_400_no_handler_string_error() {
    for f in Flavor::ALL {
        let c = start(f).await;
        let r = get(&c, "/_nothing/here/at/all?x=1").await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json(),
            json!({"error": "no handler found for uri [/_nothing/here/at/all?x=1] and method [GET]"}),
            "{f}"
        );
    }
}

#[tokio::test]
async fn wrong_method_is_405_with_allow_header() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let r = send(&c, "PATCH", "/_snapshot/repo/s", &[], None)
            .await
            .unwrap();
        assert_eq!(r.status, 405, "{f}");
        assert_eq!(
            r.json(),
            json!({"error": "Incorrect HTTP method for uri [/_snapshot/repo/s] and method [PATCH], allowed: [GET, POST, PUT, DELETE]", "status": 405})
        );
        assert_eq!(r.header("allow"), Some("GET,POST,PUT,DELETE"));
    }
}

#[tokio::test]
async fn status_endpoint_reports_partial_as_success() {
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    c.insert_snapshot(
        "repo",
        SeededSnapshot::new("p", EmulatedSnapshotState::Partial, 1).with_indices(["i"]),
    );
    c.insert_snapshot(
        "repo",
        SeededSnapshot::new("run", EmulatedSnapshotState::InProgress, 2).with_indices(["i"]),
    );
    let j = get(&c, "/_snapshot/repo/p/_status").await.json();
    assert_eq!(j["snapshots"][0]["state"], "SUCCESS");
    let j = get(&c, "/_snapshot/repo/_status").await.json();
    assert_eq!(j["snapshots"].as_array().unwrap().len(), 1);
    assert_eq!(j["snapshots"][0]["state"], "STARTED");
    assert_error(
        &get(&c, "/_snapshot/repo/nope/_status").await,
        404,
        "snapshot_missing_exception",
        "[repo:nope] is missing",
    );
}

#[tokio::test]
async fn verify_and_cleanup_repository() {
    let c = with_repo(Flavor::OpenSearch2).await;
    assert!(post(&c, "/_snapshot/repo/_verify", None).await.json()["nodes"].is_object());
    assert_eq!(
        post(&c, "/_snapshot/repo/_cleanup", None).await.json(),
        json!({"results":{"deleted_bytes":0,"deleted_blobs":0}})
    );
}

#[tokio::test]
async fn options_answers_200_with_allow() {
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    let r = send(&c, "OPTIONS", "/_snapshot/repo/s", &[], None)
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("allow"), Some("GET,POST,PUT,DELETE"));
    assert!(r.body.is_empty());
}

/// Error answers are never filtered (OpenSearch 2.19, Elasticsearch 7.10):
/// `filter_path` cannot hide why a request failed.
#[tokio::test]
async fn filter_path_leaves_error_answers_whole() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let r = get(&c, "/_snapshot/nope/x_*?filter_path=snapshots.snapshot").await;
        assert_eq!(r.status, 404, "{f}");
        assert_eq!(
            r.json()["error"]["type"],
            json!("repository_missing_exception"),
            "{f}"
        );
        assert_eq!(r.json()["status"], json!(404), "{f}");
    }
}

/// A filter that keeps nothing of a successful answer leaves `{}`.
#[tokio::test]
async fn filter_path_that_keeps_nothing_is_an_empty_object() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let r = get(
            &c,
            "/_snapshot/repo/x_*?filter_path=snapshots.snapshot&ignore_unavailable=true",
        )
        .await;
        assert_eq!(r.status, 200, "{f}: {}", r.text());
        assert_eq!(r.text(), "{}", "{f}");
    }
}
