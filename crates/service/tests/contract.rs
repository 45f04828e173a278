//! SPEC §1 (routes), §2 (ids and POST bodies), §4 (backup state on the
//! wire) and §5 (errors), one test per rule, through `tower::ServiceExt::oneshot`.

mod common;

use std::time::Duration;

use common::*;

const ID_RANGE: &str = "must be an integer between 0 and 9223372036854775807";

mod routes {
    //! SPEC §1.
    use super::*;

    #[tokio::test]
    async fn post_backups_is_202_with_scheduled_message() {
        let (service, store, _) = service();
        let answer = post(&service, r#"{"backupId": 123456}"#).await;
        assert_eq!(answer.status, 202);
        assert_eq!(answer.content_type(), Some("application/json"));
        assert_eq!(
            answer.body,
            r#"{"message":"Backup creation for ID 123456 has been scheduled. Use the GET API to monitor completion of backup process"}"#
        );
        assert_eq!(
            store.snapshot_names(REPO),
            [
                "camunda_optimize_123456_8.6.0_part_1_of_2",
                "camunda_optimize_123456_8.6.0_part_2_of_2"
            ]
        );
    }

    #[tokio::test]
    async fn get_one_is_200_with_backup_info_in_field_order() {
        let (service, _, _) = service();
        post(&service, r#"{"backupId": 123456}"#).await;
        let answer = get(&service, "/actuator/backups/123456").await;
        answer.assert_json(200);
        assert_eq!(
            answer.body,
            concat!(
                r#"{"backupId":123456,"failureReason":null,"state":"IN_PROGRESS","details":["#,
                r#"{"snapshotName":"camunda_optimize_123456_8.6.0_part_1_of_2","state":"IN_PROGRESS","startTime":"2022-11-09T09:11:36.978+0000","failures":[]},"#,
                r#"{"snapshotName":"camunda_optimize_123456_8.6.0_part_2_of_2","state":"IN_PROGRESS","startTime":"2022-11-09T09:11:36.978+0000","failures":[]}"#,
                r#"]}"#
            )
        );
    }

    #[tokio::test]
    async fn get_list_is_200_array_sorted_by_id() {
        let (service, _, _) = service();
        for id in [30, 4, 200] {
            assert_eq!(
                post(&service, &format!(r#"{{"backupId": {id}}}"#))
                    .await
                    .status,
                202
            );
        }
        let json = get(&service, "/actuator/backups").await.assert_json(200);
        let ids: Vec<u64> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["backupId"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, [4, 30, 200]);
    }

    #[tokio::test]
    async fn get_list_without_backups_is_empty_array() {
        let (service, _, _) = service();
        let answer = get(&service, "/actuator/backups").await;
        answer.assert_json(200);
        assert_eq!(answer.body, "[]");
    }

    #[tokio::test]
    async fn get_backup_alias_is_the_same_list() {
        let (service, _, _) = service();
        post(&service, r#"{"backupId": 1}"#).await;
        let list = get(&service, "/actuator/backups").await;
        let alias = get(&service, "/actuator/backup").await;
        alias.assert_json(200);
        assert_eq!(alias.body, list.body);
    }

    #[tokio::test]
    async fn delete_is_204_with_empty_body() {
        let (service, store, _) = service();
        post(&service, r#"{"backupId": 8}"#).await;
        let answer = delete(&service, "/actuator/backups/8").await;
        assert_eq!(answer.status, 204);
        assert_eq!(answer.body, "");
        assert_eq!(answer.content_type(), None);
        assert!(store.snapshot_names(REPO).is_empty());
        get(&service, "/actuator/backups/8").await.assert_error(
            404,
            "notFoundError",
            "No backup with ID [8] could be found.",
        );
    }

    #[tokio::test]
    async fn other_method_on_known_path_is_405_with_allow_header() {
        let (service, _, _) = service();
        let cases = [
            ("PUT", "/actuator/backups/1", "GET, DELETE"),
            ("POST", "/actuator/backups/1", "GET, DELETE"),
            ("PATCH", "/actuator/backups/1", "GET, DELETE"),
            ("DELETE", "/actuator/backups", "GET, POST"),
            ("PUT", "/actuator/backups", "GET, POST"),
            ("POST", "/actuator/backup", "GET"),
            ("DELETE", "/actuator/backup", "GET"),
        ];
        for (method, uri, allowed) in cases {
            let answer = send(&service, method, uri, "").await;
            answer.assert_error(
                405,
                "methodNotAllowedError",
                &format!("Method {method} is not allowed here. Allowed: {allowed}"),
            );
            assert_eq!(answer.headers["allow"], allowed, "{method} {uri}");
        }
    }

    #[tokio::test]
    async fn put_with_invalid_id_is_405_because_method_is_checked_before_id() {
        let (service, _, _) = service();
        let answer = send(&service, "PUT", "/actuator/backups/abc", "").await;
        answer.assert_error(
            405,
            "methodNotAllowedError",
            "Method PUT is not allowed here. Allowed: GET, DELETE",
        );
        assert_eq!(answer.headers["allow"], "GET, DELETE");
    }

    #[tokio::test]
    async fn trailing_slash_is_the_same_as_without() {
        let (service, _, _) = service();
        assert_eq!(
            send(&service, "POST", "/actuator/backups/", r#"{"backupId": 5}"#)
                .await
                .status,
            202
        );
        let with = get(&service, "/actuator/backups/5/").await;
        let without = get(&service, "/actuator/backups/5").await;
        with.assert_json(200);
        assert_eq!(with.body, without.body);
        get(&service, "/actuator/backups/").await.assert_json(200);
        get(&service, "/actuator/backup/").await.assert_json(200);
        assert_eq!(delete(&service, "/actuator/backups/5/").await.status, 204);
    }

    #[tokio::test]
    async fn query_string_is_ignored() {
        let (service, _, _) = service();
        assert_eq!(
            send(
                &service,
                "POST",
                "/actuator/backups?x=1",
                r#"{"backupId": 6}"#
            )
            .await
            .status,
            202
        );
        get(&service, "/actuator/backups/6?verbose=false")
            .await
            .assert_json(200);
        get(&service, "/actuator/backups?size=1")
            .await
            .assert_json(200);
        get(&service, "/actuator/backup?").await.assert_json(200);
        assert_eq!(
            delete(&service, "/actuator/backups/6?force").await.status,
            204
        );
    }

    #[tokio::test]
    async fn invalid_id_segment_is_400_with_segment_as_sent() {
        let (service, _, _) = service();
        let segments = [
            "abc",
            "-1",
            "1.5",
            "12abc",
            "%31",
            "1,2",
            "1,*",
            "*",
            "+1",
            "0x10",
            "9223372036854775808",
            "99999999999999999999",
        ];
        for segment in segments {
            for method in ["GET", "DELETE"] {
                let answer = send(
                    &service,
                    method,
                    &format!("/actuator/backups/{segment}"),
                    "",
                )
                .await;
                answer.assert_error(
                    400,
                    "badRequestError",
                    &format!("Invalid backup ID [{segment}]: {ID_RANGE}"),
                );
            }
        }
    }

    #[tokio::test]
    async fn largest_id_is_valid_in_a_path() {
        let (service, _, _) = service();
        get(&service, "/actuator/backups/9223372036854775807")
            .await
            .assert_error(
                404,
                "notFoundError",
                "No backup with ID [9223372036854775807] could be found.",
            );
    }

    #[tokio::test]
    async fn deeper_path_is_404_not_found_stand_alone() {
        let (service, _, _) = service();
        for uri in [
            "/actuator/backups/1/extra",
            "/actuator/backups//1",
            "/actuator",
            "/actuator/",
            "/actuator/health",
            "/backups",
            "/",
            "/actuatorx/backups",
        ] {
            get(&service, uri).await.assert_error(
                404,
                "notFoundError",
                "No resource exists at this path.",
            );
        }
    }

    #[tokio::test]
    async fn base_path_is_configurable() {
        let (store, _) = memory();
        let service = builder(store).base_path("/manage/").build();
        assert_eq!(service.base_path(), "/manage");
        assert_eq!(
            send(&service, "POST", "/manage/backups", r#"{"backupId": 1}"#)
                .await
                .status,
            202
        );
        get(&service, "/manage/backups/1").await.assert_json(200);
        assert_eq!(get(&service, "/actuator/backups/1").await.status, 404);
    }

    #[tokio::test]
    async fn root_base_path_serves_backups_at_the_root() {
        let (store, _) = memory();
        let service = builder(store).base_path("").build();
        assert_eq!(
            send(&service, "POST", "/backups", r#"{"backupId": 1}"#)
                .await
                .status,
            202
        );
        get(&service, "/backups/1").await.assert_json(200);
        get(&service, "/backup").await.assert_json(200);
    }
}

mod request_body {
    //! SPEC §2.
    use super::*;

    async fn post_error(body: &str, status: u16, detailed: &str) {
        let (service, store, _) = service();
        post(&service, body)
            .await
            .assert_error(status, "badRequestError", detailed);
        assert!(
            store.snapshot_names(REPO).is_empty(),
            "nothing created for {body:?}"
        );
    }

    const NOT_OBJECT: &str = r#"Request body must be a JSON object with a numeric "backupId""#;

    #[tokio::test]
    async fn post_without_body_is_400_not_an_object() {
        let (service, _, _) = service();
        let request = http::Request::post("/actuator/backups")
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        send_request(&service, request)
            .await
            .assert_error(400, "badRequestError", NOT_OBJECT);
    }

    #[tokio::test]
    async fn post_empty_not_json_or_not_object_is_400_not_an_object() {
        for body in [
            "",
            "   ",
            "backupId=1",
            "{",
            "[1]",
            "1",
            "\"1\"",
            "null",
            r#"{"backupId":1} x"#,
        ] {
            post_error(body, 400, NOT_OBJECT).await;
        }
    }

    #[tokio::test]
    async fn post_missing_or_null_backup_id_is_400_must_not_be_null() {
        for body in ["{}", r#"{"other": 1}"#, r#"{"backupId": null}"#] {
            post_error(body, 400, "backupId must not be null").await;
        }
    }

    #[tokio::test]
    async fn post_negative_id_is_400_with_greater_than_or_equal_message() {
        for body in [
            r#"{"backupId": -1}"#,
            r#"{"backupId": -1.5}"#,
            r#"{"backupId": -99999999999999999999999}"#,
        ] {
            post_error(body, 400, "backupId must be greater than or equal to 0").await;
        }
    }

    #[tokio::test]
    async fn post_non_integer_id_is_400_with_integer_range_message() {
        let message = format!("backupId {ID_RANGE}");
        for body in [
            r#"{"backupId": 1.5}"#,
            r#"{"backupId": 1.0}"#,
            r#"{"backupId": 1e3}"#,
            r#"{"backupId": 9223372036854775808}"#,
            r#"{"backupId": "-1"}"#,
            r#"{"backupId": "abc"}"#,
            r#"{"backupId": "1,*"}"#,
            r#"{"backupId": true}"#,
            r#"{"backupId": [1]}"#,
            r#"{"backupId": {"id": 1}}"#,
        ] {
            post_error(body, 400, &message).await;
        }
    }

    #[tokio::test]
    async fn post_quoted_digit_string_is_accepted() {
        let (service, store, _) = service();
        let answer = post(&service, r#"{"backupId":"20260220181029"}"#).await;
        assert_eq!(answer.status, 202);
        assert_eq!(store.snapshot_names(REPO).len(), 2);
        // Existing clients poll at once: GET finds it right after the 202.
        get(&service, "/actuator/backups/20260220181029")
            .await
            .assert_json(200);
    }

    #[tokio::test]
    async fn post_largest_id_and_zero_are_accepted() {
        let (service, _, _) = service();
        assert_eq!(
            post(&service, r#"{"backupId": 9223372036854775807}"#)
                .await
                .status,
            202
        );
        assert_eq!(post(&service, r#"{"backupId": 0}"#).await.status, 202);
    }

    #[tokio::test]
    async fn post_unknown_fields_are_ignored() {
        let (service, _, _) = service();
        let answer = post(
            &service,
            r#"{"backupId": 3, "extra": {"a": [1, 2]}, "z": null}"#,
        )
        .await;
        assert_eq!(answer.status, 202);
    }

    #[tokio::test]
    async fn post_content_type_is_not_required() {
        let (service, _, _) = service();
        for content_type in [None, Some("text/plain"), Some("application/json")] {
            let mut request = http::Request::post("/actuator/backups");
            if let Some(ct) = content_type {
                request = request.header("content-type", ct);
            }
            let id = content_type.map_or(0, str::len);
            let body =
                http_body_util::Full::new(bytes::Bytes::from(format!(r#"{{"backupId":{id}}}"#)));
            let answer = send_request(&service, request.body(body).unwrap()).await;
            assert_eq!(answer.status, 202, "{content_type:?}");
        }
    }

    #[tokio::test]
    async fn post_body_over_64_kib_is_413() {
        let padding = " ".repeat(64 * 1024);
        let body = format!(r#"{{"backupId": 1}}{padding}"#);
        post_error(&body, 413, "Request body is larger than 65536 bytes").await;
    }

    #[tokio::test]
    async fn post_body_of_exactly_64_kib_is_read() {
        let (service, _, _) = service();
        let head = r#"{"backupId": 1}"#;
        let body = format!("{head}{}", " ".repeat(64 * 1024 - head.len()));
        assert_eq!(body.len(), 65536);
        assert_eq!(post(&service, &body).await.status, 202);
    }

    #[tokio::test]
    async fn post_streamed_body_over_64_kib_is_413_without_reading_it_all() {
        // No size hint: the limit is enforced while reading.
        let (service, _, _) = service();
        let body = ChunkedBody {
            chunks_left: 1_000_000,
        };
        let request = http::Request::post("/actuator/backups").body(body).unwrap();
        send_request(&service, request).await.assert_error(
            413,
            "badRequestError",
            "Request body is larger than 65536 bytes",
        );
    }

    #[tokio::test]
    async fn post_body_over_64_kib_closes_the_connection() {
        let (service, _, _) = service();
        let body = format!(r#"{{"backupId": 1}}{}"#, " ".repeat(64 * 1024));
        let answer = post(&service, &body).await;
        assert_eq!(answer.status, 413);
        assert_eq!(answer.headers["connection"], "close");
    }

    #[tokio::test(start_paused = true)]
    async fn post_body_that_stalls_past_the_read_timeout_is_408() {
        let (store, _) = memory();
        let service = builder(store)
            .body_read_timeout(Duration::from_secs(5))
            .build();
        let request = http::Request::post("/actuator/backups")
            .body(StalledBody)
            .unwrap();
        let answer = send_request(&service, request).await;
        answer.assert_error(
            408,
            "badRequestError",
            "Request body was not received within 5000 ms",
        );
        assert_eq!(answer.headers["connection"], "close");
    }

    /// A body whose first frame never comes.
    struct StalledBody;

    impl http_body::Body for StalledBody {
        type Data = bytes::Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
            std::task::Poll::Pending
        }
    }

    #[tokio::test]
    async fn post_body_read_error_is_400_not_an_object() {
        let (service, _, _) = service();
        let request = http::Request::post("/actuator/backups")
            .body(BrokenBody)
            .unwrap();
        send_request(&service, request)
            .await
            .assert_error(400, "badRequestError", NOT_OBJECT);
    }

    /// An endless-looking body of 1 KiB chunks with no size hint.
    struct ChunkedBody {
        chunks_left: usize,
    }

    impl http_body::Body for ChunkedBody {
        type Data = bytes::Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>>
        {
            if self.chunks_left == 0 {
                return std::task::Poll::Ready(None);
            }
            self.chunks_left -= 1;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(bytes::Bytes::from(
                vec![b' '; 1024],
            )))))
        }
    }

    /// A body whose connection broke.
    struct BrokenBody;

    impl http_body::Body for BrokenBody {
        type Data = bytes::Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>>
        {
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset",
            ))))
        }
    }
}

mod state {
    //! SPEC §4 as the service writes it.
    use super::*;
    use backup_actuator_core::{Compatibility, OutputZone};
    use backup_actuator_store::PartOutcome;

    #[tokio::test]
    async fn triggered_backup_is_in_progress_then_complete() {
        let (service, _, clock) = service();
        post(&service, r#"{"backupId": 2}"#).await;
        let json = get(&service, "/actuator/backups/2").await.assert_json(200);
        assert_eq!(json["state"], "IN_PROGRESS");
        clock.advance(Duration::from_secs(2));
        let json = get(&service, "/actuator/backups/2").await.assert_json(200);
        assert_eq!(json["state"], "COMPLETE");
        assert_eq!(json["failureReason"], serde_json::Value::Null);
        assert_eq!(json["details"][1]["state"], "SUCCESS");
    }

    #[tokio::test]
    async fn optimize_server_compat_writes_completed() {
        let (store, clock) = memory();
        let service = builder(store)
            .compatibility(Compatibility::OptimizeServer)
            .build();
        let accepted = post(&service, r#"{"backupId": 2}"#).await;
        assert_eq!(
            accepted.body,
            r#"{"message":"Backup creation for ID 2 has been scheduled. Use the GET API to monitor completion of backup process"}"#
        );
        clock.advance(Duration::from_secs(2));
        let json = get(&service, "/actuator/backups/2").await.assert_json(200);
        assert_eq!(json["state"], "COMPLETED");
        let list = get(&service, "/actuator/backups").await.assert_json(200);
        assert_eq!(list[0]["state"], "COMPLETED");
    }

    #[tokio::test]
    async fn failed_part_makes_the_backup_failed_with_reason() {
        let (service, store, clock) = service();
        store.set_outcome("*_part_2_of_2", PartOutcome::Failed);
        post(&service, r#"{"backupId": 4}"#).await;
        clock.advance(Duration::from_secs(2));
        let json = get(&service, "/actuator/backups/4").await.assert_json(200);
        assert_eq!(json["state"], "FAILED");
        assert_eq!(
            json["failureReason"],
            "The following snapshots failed: [camunda_optimize_4_8.6.0_part_2_of_2]"
        );
    }

    #[tokio::test]
    async fn start_time_is_written_in_the_configured_zone() {
        let (store, _) = memory();
        let service = builder(store)
            .time_zone(OutputZone::parse("Europe/Berlin").unwrap())
            .build();
        post(&service, r#"{"backupId": 9}"#).await;
        let json = get(&service, "/actuator/backups/9").await.assert_json(200);
        assert_eq!(
            json["details"][0]["startTime"],
            "2022-11-09T10:11:36.978+0100"
        );
    }

    #[tokio::test]
    async fn foreign_names_matching_the_wildcard_are_ignored_not_500() {
        let (service, store, _) = service();
        put_snapshot(&store, "camunda_optimize_5_before_upgrade").await;
        put_snapshot(
            &store,
            "camunda_optimize_99999999999999999999_8.6.0_part_1_of_2",
        )
        .await;
        post(&service, r#"{"backupId": 7}"#).await;
        let list = get(&service, "/actuator/backups").await.assert_json(200);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["backupId"], 7);
        get(&service, "/actuator/backups/5").await.assert_error(
            404,
            "notFoundError",
            "No backup with ID [5] could be found.",
        );
    }
}

mod errors {
    //! SPEC §5, one test per row.
    use super::*;
    use backup_actuator_core::{Compatibility, Product};
    use backup_actuator_service::BackupService;
    use backup_actuator_store::{MemoryStore, Operation, PartOutcome, StoreError};
    use std::sync::Arc;

    const NO_REPO: &str = "Cannot execute backup request because no snapshot repository name found in the configuration.";

    #[tokio::test]
    async fn no_repository_configured_is_400_on_every_backup_route() {
        let (store, _) = memory();
        let service = BackupService::builder(Arc::new(store.clone()), plan()).build();
        let cases = [
            ("POST", "/actuator/backups", r#"{"backupId": 1}"#),
            ("GET", "/actuator/backups", ""),
            ("GET", "/actuator/backup", ""),
            ("GET", "/actuator/backups/1", ""),
            ("DELETE", "/actuator/backups/1", ""),
        ];
        for (method, uri, body) in cases {
            send(&service, method, uri, body)
                .await
                .assert_error(400, "badRequestError", NO_REPO);
        }
        assert!(store.snapshot_names("").is_empty());
        // An empty repository name is no repository.
        let service = BackupService::builder(Arc::new(store), plan())
            .repository("")
            .build();
        get(&service, "/actuator/backups")
            .await
            .assert_error(400, "badRequestError", NO_REPO);
    }

    fn missing_repo_service(compat: Compatibility) -> BackupService {
        let store = MemoryStore::builder().repositories(["other"]).build();
        builder(store).compatibility(compat).build()
    }

    #[tokio::test]
    async fn repository_missing_in_cluster_is_400_on_every_backup_route() {
        let service = missing_repo_service(Compatibility::Documented);
        let cases = [
            ("POST", "/actuator/backups", r#"{"backupId": 1}"#),
            ("GET", "/actuator/backups", ""),
            ("GET", "/actuator/backup", ""),
            ("GET", "/actuator/backups/1", ""),
            ("DELETE", "/actuator/backups/1", ""),
        ];
        for (method, uri, body) in cases {
            let answer = send(&service, method, uri, body).await;
            answer.assert_error(
                400,
                "badRequestError",
                "No repository with name [backups] could be found.",
            );
            assert!(answer.json().get("reportDefinition").is_none());
        }
    }

    #[tokio::test]
    async fn repository_missing_under_optimize_server_compat_is_500_with_report_definition() {
        let service = missing_repo_service(Compatibility::OptimizeServer);
        let answer = get(&service, "/actuator/backups/1").await;
        answer.assert_error(
            500,
            "serverError",
            "No repository with name [backups] could be found.",
        );
        assert_eq!(
            answer.json().as_object().unwrap().get("reportDefinition"),
            Some(&serde_json::Value::Null)
        );
    }

    #[tokio::test]
    async fn get_one_without_snapshots_is_404() {
        let (service, _, _) = service();
        post(&service, r#"{"backupId": 10}"#).await;
        // `1` never matches `10`.
        get(&service, "/actuator/backups/1").await.assert_error(
            404,
            "notFoundError",
            "No backup with ID [1] could be found.",
        );
    }

    #[tokio::test]
    async fn post_existing_id_is_409_with_the_names_found() {
        let (service, _, _) = service();
        assert_eq!(post(&service, r#"{"backupId": 11}"#).await.status, 202);
        post(&service, r#"{"backupId": 11}"#).await.assert_error(
            409,
            "conflict",
            "A backup with ID [11] already exists. Found snapshots: [camunda_optimize_11_8.6.0_part_1_of_2, camunda_optimize_11_8.6.0_part_2_of_2]",
        );
    }

    #[tokio::test]
    async fn post_existing_id_of_any_version_part_or_state_is_409() {
        let (service, store, _) = service();
        put_snapshot(&store, "camunda_optimize_12_3.10.0_part_2_of_2").await;
        post(&service, r#"{"backupId": 12}"#).await.assert_error(
            409,
            "conflict",
            "A backup with ID [12] already exists. Found snapshots: [camunda_optimize_12_3.10.0_part_2_of_2]",
        );
        assert_eq!(store.snapshot_names(REPO).len(), 1);
    }

    #[tokio::test]
    async fn post_conflict_lists_the_names_found_in_details_order_part_number_then_name() {
        // SPEC §4/§5: every name list in a message is in `details` order.
        // The store answers in name order, where 10.0.0 sorts before 8.5.0.
        let (service, store, _) = service();
        for name in [
            "camunda_optimize_16_8.6.0_part_1_of_2",
            "camunda_optimize_16_10.0.0_part_2_of_2",
            "camunda_optimize_16_8.5.0_part_1_of_2",
        ] {
            put_snapshot(&store, name).await;
        }
        post(&service, r#"{"backupId": 16}"#).await.assert_error(
            409,
            "conflict",
            "A backup with ID [16] already exists. Found snapshots: [camunda_optimize_16_8.5.0_part_1_of_2, camunda_optimize_16_8.6.0_part_1_of_2, camunda_optimize_16_10.0.0_part_2_of_2]",
        );
        // The very order GET one gives its details.
        let details: Vec<String> = get(&service, "/actuator/backups/16").await.json()["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["snapshotName"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            details,
            [
                "camunda_optimize_16_8.5.0_part_1_of_2",
                "camunda_optimize_16_8.6.0_part_1_of_2",
                "camunda_optimize_16_10.0.0_part_2_of_2"
            ]
        );
    }

    #[tokio::test]
    async fn post_is_not_blocked_by_a_hand_made_snapshot_that_only_matches_the_wildcard() {
        // SPEC §3/§5: only a snapshot *of that id* conflicts; a foreign name
        // is ignored here as GET ignores it (404) and DELETE keeps it.
        let (service, store, _) = service();
        put_snapshot(&store, "camunda_optimize_15_before_upgrade").await;
        assert_eq!(get(&service, "/actuator/backups/15").await.status, 404);
        assert_eq!(post(&service, r#"{"backupId": 15}"#).await.status, 202);
        assert_eq!(
            store.snapshot_names(REPO),
            [
                "camunda_optimize_15_8.6.0_part_1_of_2",
                "camunda_optimize_15_8.6.0_part_2_of_2",
                "camunda_optimize_15_before_upgrade"
            ]
        );
    }

    #[tokio::test]
    async fn post_refused_name_in_cluster_is_409_with_that_name() {
        let (service, store, _) = service();
        let refused = "camunda_optimize_13_8.6.0_part_2_of_2";
        store.set_outcome(
            refused,
            PartOutcome::Refuse(StoreError::NameInUse {
                name: refused.into(),
            }),
        );
        post(&service, r#"{"backupId": 13}"#).await.assert_error(
            409,
            "conflict",
            &format!("A backup with ID [13] already exists. Found snapshots: [{refused}]"),
        );
        // Part 1, created by this request, was deleted again.
        assert!(store.snapshot_names(REPO).is_empty());
    }

    #[tokio::test]
    async fn cluster_error_is_500_with_the_store_detail() {
        let (service, store, _) = service();
        store.set_outcome(
            "*_part_2_of_2",
            PartOutcome::Refuse(StoreError::Cluster {
                product: Product::Elasticsearch,
                operation: Operation::CreateSnapshot {
                    name: "camunda_optimize_14_8.6.0_part_2_of_2".into(),
                },
                status: 500,
                detail: "snapshot_exception: boom".into(),
            }),
        );
        post(&service, r#"{"backupId": 14}"#).await.assert_error(
            500,
            "serverError",
            "Elasticsearch answered HTTP 500 while creating snapshot [camunda_optimize_14_8.6.0_part_2_of_2]: snapshot_exception: boom",
        );
        assert!(store.snapshot_names(REPO).is_empty(), "part 1 rolled back");
    }

    #[tokio::test]
    async fn unreadable_answer_is_500_with_the_store_detail() {
        let err = StoreError::Unreadable {
            product: Product::OpenSearch,
            operation: Operation::ReadSnapshots {
                pattern: "camunda_optimize_*".into(),
            },
            status: 200,
            detail: "expected value at line 1 column 1: <html>".into(),
        };
        let detail = err.to_string();
        let service = builder(FailingStore(err)).build();
        get(&service, "/actuator/backups")
            .await
            .assert_error(500, "serverError", &detail);
    }

    #[tokio::test]
    async fn unreachable_elasticsearch_is_502_elasticsearch_connection_error() {
        let err = StoreError::Unreachable {
            product: Product::Elasticsearch,
            operation: Operation::ReadSnapshots {
                pattern: "camunda_optimize_1_*".into(),
            },
            cause: "connection refused".into(),
        };
        let service = builder(FailingStore(err)).build();
        for (method, uri, body) in [
            ("GET", "/actuator/backups/1", ""),
            ("DELETE", "/actuator/backups/1", ""),
            ("POST", "/actuator/backups", r#"{"backupId": 1}"#),
        ] {
            send(&service, method, uri, body).await.assert_error(
                502,
                "elasticsearchConnectionError",
                "Encountered an error connecting to Elasticsearch while reading snapshots [camunda_optimize_1_*]: connection refused",
            );
        }
    }

    #[tokio::test]
    async fn unreachable_opensearch_is_502_opensearch_connection_error() {
        let err = StoreError::Unreachable {
            product: Product::OpenSearch,
            operation: Operation::ReadSnapshots {
                pattern: "camunda_optimize_*".into(),
            },
            cause: "timed out".into(),
        };
        let service = builder(FailingStore(err)).build();
        get(&service, "/actuator/backups").await.assert_error(
            502,
            "openSearchConnectionError",
            "Encountered an error connecting to OpenSearch while reading snapshots [camunda_optimize_*]: timed out",
        );
    }

    #[tokio::test]
    async fn delete_of_unknown_id_is_204() {
        let (service, _, _) = service();
        let answer = delete(&service, "/actuator/backups/404").await;
        assert_eq!(answer.status, 204);
    }
}
