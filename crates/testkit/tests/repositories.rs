//! §2 repository endpoints.
mod common;

use backup_actuator_testkit::Flavor;
use common::*;
use serde_json::json;

#[tokio::test]
async fn get_missing_repository_is_404_repository_missing_exception() {
    for f in Flavor::ALL {
        let c = start(f).await;
        let r = get(&c, "/_snapshot/camunda_backup").await;
        let j = assert_error(
            &r,
            404,
            "repository_missing_exception",
            "[camunda_backup] missing",
        );
        assert_eq!(
            r.json(),
            json!({"error":{"root_cause":[{"type":"repository_missing_exception","reason":"[camunda_backup] missing"}],"type":"repository_missing_exception","reason":"[camunda_backup] missing"},"status":404}),
            "{f}"
        );
        assert_eq!(r.ordered().keys(), ["error", "status"]);
        assert_eq!(
            r.ordered().get("error").keys(),
            ["root_cause", "type", "reason"]
        );
        let _ = j;
    }
}

#[tokio::test]
async fn put_repository_is_acknowledged_and_get_returns_string_settings_with_uuid_on_es_7_12_plus()
{
    for f in Flavor::ALL {
        let c = start(f).await;
        let r = put(
            &c,
            "/_snapshot/camunda_backup",
            Some(r#"{"type":"fs","settings":{"location":"/var/backups/camunda","compress":true}}"#),
        )
        .await;
        assert_eq!(r.status, 200, "{f}: {}", r.text());
        assert_eq!(r.json(), json!({"acknowledged": true}));
        let r = get(&c, "/_snapshot/camunda_backup").await;
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!(j["camunda_backup"]["type"], "fs");
        assert_eq!(
            j["camunda_backup"]["settings"],
            json!({"location":"/var/backups/camunda","compress":"true"}),
            "{f}"
        );
        let uuid = j["camunda_backup"].get("uuid");
        if es_at_least(f, 7, 12) {
            assert_eq!(uuid.and_then(|u| u.as_str()).map(str::len), Some(22), "{f}");
            assert_eq!(
                r.ordered().get("camunda_backup").keys(),
                ["type", "uuid", "settings"]
            );
        } else {
            assert!(
                uuid.is_none(),
                "{f}: OpenSearch and ES < 7.12 never print uuid"
            );
        }
    }
}

#[tokio::test]
async fn repository_uuid_is_left_out_until_the_repository_was_read_on_es() {
    let c = start(Flavor::Elasticsearch8_15).await;
    put(
        &c,
        "/_snapshot/r?verify=false",
        Some(r#"{"type":"fs","settings":{"location":"/x"}}"#),
    )
    .await;
    assert!(get(&c, "/_snapshot/r").await.json()["r"]
        .get("uuid")
        .is_none());
    get(&c, "/_snapshot/r/_all").await;
    assert!(get(&c, "/_snapshot/r").await.json()["r"]
        .get("uuid")
        .is_some());
}

#[tokio::test]
async fn post_registers_a_repository_too() {
    let c = start(Flavor::OpenSearch3).await;
    let r = post(
        &c,
        "/_snapshot/r",
        Some(r#"{"type":"fs","settings":{"location":"/x"}}"#),
    )
    .await;
    assert_eq!(r.json(), json!({"acknowledged": true}));
    assert_eq!(get(&c, "/_snapshot/r").await.status, 200);
}

#[tokio::test]
async fn all_repositories_and_unmatched_wildcards_are_objects_not_404() {
    for f in Flavor::ALL {
        let c = start(f).await;
        assert_eq!(get(&c, "/_snapshot").await.json(), json!({}), "{f}");
        assert_eq!(get(&c, "/_snapshot/_all").await.json(), json!({}), "{f}");
        c.add_repository("a");
        c.add_repository("b");
        assert_eq!(
            get(&c, "/_snapshot/_all").await.ordered().keys(),
            ["a", "b"]
        );
        assert_eq!(get(&c, "/_snapshot/zz*").await.json(), json!({}), "{f}");
    }
}

#[tokio::test]
async fn several_missing_repositories_are_listed_together_from_es_8_7() {
    for f in Flavor::ALL {
        let c = start(f).await;
        let r = get(&c, "/_snapshot/missing_1,missing_2").await;
        let reason = if es_at_least(f, 8, 7) {
            "[missing_1, missing_2] missing"
        } else {
            "[missing_1] missing"
        };
        assert_error(&r, 404, "repository_missing_exception", reason);
    }
}

#[tokio::test]
async fn put_repository_outside_path_repo_is_500_repository_exception() {
    let c = start(Flavor::Elasticsearch8_15).await;
    c.set_path_repo(Vec::<String>::new());
    let r = put(
        &c,
        "/_snapshot/camunda_backup",
        Some(r#"{"type":"fs","settings":{"location":"/var/backups/camunda"}}"#),
    )
    .await;
    let inner = "[camunda_backup] location [/var/backups/camunda] doesn't match any of the locations specified by path.repo because this setting is empty";
    assert_eq!(
        r.json(),
        json!({"error":{"root_cause":[{"type":"repository_exception","reason":inner}],"type":"repository_exception","reason":"[camunda_backup] failed to create repository","caused_by":{"type":"repository_exception","reason":inner}},"status":500})
    );
    c.set_path_repo(["/mnt/backups"]);
    let r = put(
        &c,
        "/_snapshot/camunda_backup",
        Some(r#"{"type":"fs","settings":{"location":"/var/backups/camunda"}}"#),
    )
    .await;
    assert_eq!(r.json()["error"]["caused_by"]["reason"], "[camunda_backup] location [/var/backups/camunda] doesn't match any of the locations specified by path.repo");
    let r = put(
        &c,
        "/_snapshot/camunda_backup",
        Some(r#"{"type":"fs","settings":{"location":"/mnt/backups/camunda"}}"#),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn put_repository_validation_errors() {
    let c = start(Flavor::Elasticsearch7_17).await;
    let r = put(&c, "/_snapshot/r", Some(r#"{"settings":{}}"#)).await;
    assert_error(
        &r,
        400,
        "action_request_validation_exception",
        "Validation Failed: 1: type is missing;",
    );
    let r = put(&c, "/_snapshot/r", None).await;
    assert_error(&r, 400, "parse_exception", "request body is required");
    let r = put(&c, "/_snapshot/r", Some(r#"{"type":"nope"}"#)).await;
    assert_error(
        &r,
        500,
        "repository_exception",
        "[r] repository type [nope] does not exist",
    );
}

#[tokio::test]
async fn delete_repository() {
    let c = with_repo(Flavor::OpenSearch2).await;
    assert_eq!(
        delete(&c, "/_snapshot/repo").await.json(),
        json!({"acknowledged": true})
    );
    assert_error(
        &delete(&c, "/_snapshot/repo").await,
        404,
        "repository_missing_exception",
        "[repo] missing",
    );
}

#[tokio::test]
async fn add_repository_equals_a_verified_fs_put() {
    let c = start(Flavor::Elasticsearch9).await;
    c.add_repository("camunda_backup");
    let j = get(&c, "/_snapshot/camunda_backup").await.json();
    assert_eq!(j["camunda_backup"]["type"], "fs");
    assert!(j["camunda_backup"]["uuid"].is_string());
}
