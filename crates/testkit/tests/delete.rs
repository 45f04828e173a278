//! §5 delete snapshots.
mod common;

use std::time::Duration;

use backup_actuator_testkit::{EmulatedSnapshotState, Flavor, SeededSnapshot};
use common::*;
use serde_json::json;

const T0: i64 = 1_731_585_600_000;

async fn seeded(f: Flavor) -> backup_actuator_testkit::EmulatedCluster {
    let c = with_repo(f).await;
    for (i, name) in [
        "camunda_optimize_1_a",
        "camunda_optimize_1_b",
        "camunda_optimize_2_a",
        "other",
    ]
    .iter()
    .enumerate()
    {
        c.insert_snapshot(
            "repo",
            SeededSnapshot::new(*name, EmulatedSnapshotState::Success, T0 + i as i64),
        );
    }
    c
}

#[tokio::test]
async fn delete_accepts_comma_lists_and_wildcards() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = delete(&c, "/_snapshot/repo/camunda_optimize_1_*,other").await;
        assert_eq!(r.status, 200, "{f}: {}", r.text());
        assert_eq!(r.json(), json!({"acknowledged": true}));
        assert_eq!(c.snapshot_names("repo"), ["camunda_optimize_2_a"]);
    }
}

#[tokio::test]
async fn any_missing_exact_name_fails_the_whole_delete_and_deletes_nothing() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = delete(
            &c,
            "/_snapshot/repo/camunda_optimize_1_a,nope,camunda_optimize_2_*",
        )
        .await;
        assert_error(
            &r,
            404,
            "snapshot_missing_exception",
            "[repo:nope] is missing",
        );
        assert_eq!(c.snapshot_names("repo").len(), 4, "{f}");
    }
}

#[tokio::test]
async fn wildcards_matching_nothing_are_a_successful_no_op() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = delete(&c, "/_snapshot/repo/camunda_optimize_42_*").await;
        assert_eq!(r.status, 200, "{f}");
        assert_eq!(r.json(), json!({"acknowledged": true}));
        assert_eq!(c.snapshot_names("repo").len(), 4);
    }
}

#[tokio::test]
async fn running_snapshots_are_aborted_and_deleted() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        c.set_completion_delay(Duration::from_secs(3600));
        put(&c, "/_snapshot/repo/camunda_optimize_1_a", Some("{}")).await;
        assert_eq!(
            get(&c, "/_snapshot/repo/_current").await.json()["snapshots"][0]["state"],
            "IN_PROGRESS"
        );
        let r = delete(&c, "/_snapshot/repo/camunda_optimize_1_*").await;
        assert_eq!(r.status, 200, "{f}");
        assert!(c.snapshot_names("repo").is_empty());
        // The name is free again.
        assert_eq!(
            put(&c, "/_snapshot/repo/camunda_optimize_1_a", Some("{}"))
                .await
                .status,
            200
        );
    }
}

#[tokio::test]
async fn delete_in_missing_repository_is_404() {
    for f in Flavor::ALL {
        let c = start(f).await;
        assert_error(
            &delete(&c, "/_snapshot/camunda_backup/camunda_optimize_1_*").await,
            404,
            "repository_missing_exception",
            "[camunda_backup] missing",
        );
    }
}

#[tokio::test]
async fn wait_for_completion_on_delete_is_known_from_es_8_15_only() {
    for f in Flavor::ALL {
        let c = seeded(f).await;
        let r = delete(&c, "/_snapshot/repo/other?wait_for_completion=false").await;
        if es_at_least(f, 8, 15) {
            assert_eq!(r.json(), json!({"acknowledged": true}), "{f}");
        } else {
            assert_error(&r, 400, "illegal_argument_exception", "request [/_snapshot/repo/other] contains unrecognized parameter: [wait_for_completion]");
            assert_eq!(c.snapshot_names("repo").len(), 4);
        }
    }
}
