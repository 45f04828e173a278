//! SPEC §5: every row of the error table, as the service answers it. The
//! code, message and detail are core's ([`ApiError`]); the status and
//! headers are decided in one place, [`error_response`].

use backup_actuator_core::{
    ApiError, BackupId, BackupRequestError, Compatibility, ErrorBody, InvalidListQuery, Product,
};
use backup_actuator_service::error_response;
use http_body_util::BodyExt;

type Row = (u16, String, String, String);
type ExpectedRow<'a> = (u16, &'a str, &'a str, &'a str);

/// The status and body of the service's answer to `err`.
async fn error_row(err: ApiError, compat: Compatibility) -> Row {
    let response = error_response(&err, compat);
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: ErrorBody = serde_json::from_slice(&bytes).unwrap();
    (
        status,
        body.error_code,
        body.error_message.unwrap_or_default(),
        body.detailed_message.unwrap_or_default(),
    )
}

#[tokio::test]
async fn error_table_rows_have_their_status_code_and_message() {
    use Compatibility::Documented as D;
    let id = BackupId::new(7).unwrap();
    let cases: Vec<(ApiError, ExpectedRow<'_>)> = vec![
        (
            ApiError::InvalidRequest(BackupRequestError::Null),
            (400, "badRequestError", "The server was unable to process the request.", "backupId must not be null"),
        ),
        (
            ApiError::InvalidListQuery(InvalidListQuery::Pattern { pattern: "1,*".into() }),
            (400, "badRequestError", "The server was unable to process the request.", "Invalid backup ID pattern [1,*]: must be 1 to 64 characters, each a digit or *"),
        ),
        (
            ApiError::NoRepositoryConfigured,
            (400, "badRequestError", "The server was unable to process the request.", "Cannot execute backup request because no snapshot repository name found in the configuration."),
        ),
        (
            ApiError::RepositoryMissing { repository: "r".into() },
            (400, "badRequestError", "The server was unable to process the request.", "No repository with name [r] could be found."),
        ),
        (
            ApiError::BackupNotFound(id),
            (404, "notFoundError", "The server could not find the requested resource.", "No backup with ID [7] could be found."),
        ),
        (
            ApiError::MethodNotAllowed { method: "PUT".into(), allowed: "GET, DELETE" },
            (405, "methodNotAllowedError", "The request method is not supported for this resource.", "Method PUT is not allowed here. Allowed: GET, DELETE"),
        ),
        (
            ApiError::BackupExists { backup_id: id, snapshots: vec!["a".into(), "b".into()] },
            (409, "conflict", "Could not apply the changes due to conflicts.", "A backup with ID [7] already exists. Found snapshots: [a, b]"),
        ),
        (
            ApiError::BodyTooLarge { limit: 65536 },
            (413, "badRequestError", "The server was unable to process the request.", "Request body is larger than 65536 bytes"),
        ),
        (
            ApiError::BodyTimeout { limit_ms: 30000 },
            (
                408,
                "badRequestError",
                "The server was unable to process the request.",
                "Request body was not received within 30000 ms",
            ),
        ),
        (
            ApiError::Cluster { detail: "Elasticsearch answered HTTP 500 while x: t: r".into() },
            (500, "serverError", "An internal server error occurred.", "Elasticsearch answered HTTP 500 while x: t: r"),
        ),
        (
            ApiError::ClusterUnreachable { product: Product::Elasticsearch, detail: "d".into() },
            (502, "elasticsearchConnectionError", "The server has encountered Elasticsearch connection issues.", "d"),
        ),
        (
            ApiError::ClusterUnreachable { product: Product::OpenSearch, detail: "d".into() },
            (502, "openSearchConnectionError", "The server has encountered OpenSearch connection issues.", "d"),
        ),
    ];
    for (err, (status, code, message, detail)) in cases {
        assert_eq!(
            error_row(err.clone(), D).await,
            (
                status,
                code.to_owned(),
                message.to_owned(),
                detail.to_owned()
            ),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn optimize_server_compatibility_missing_repository_is_500_with_report_definition_null() {
    let err = ApiError::RepositoryMissing {
        repository: "r".into(),
    };
    let response = error_response(&err, Compatibility::OptimizeServer);
    assert_eq!(response.status(), 500);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        std::str::from_utf8(&bytes).unwrap(),
        r#"{"errorCode":"serverError","errorMessage":"An internal server error occurred.","detailedMessage":"No repository with name [r] could be found.","reportDefinition":null}"#
    );
}
