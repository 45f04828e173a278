//! The two error mappings: engine errors to API errors, and API errors to
//! HTTP responses. Nothing else in the workspace decides the status code
//! or the headers of an [`ApiError`] answer.

use backup_actuator_core::{ApiError, BackupId, Compatibility};
use backup_actuator_engine::{DeleteError, GetError, ListError, Pending, TriggerError};
use backup_actuator_store::StoreError;
use http::header::{HeaderValue, ALLOW, CONNECTION};
use http::{Response, StatusCode};

use crate::response::{json_response, BackupBody};

/// Turns a store error into the API error of SPEC §5; only the mappings
/// below call it.
///
/// `backup_id` is the backup the operation was about; it names the conflict
/// when the cluster refuses a snapshot name. Without one (the list route),
/// a refused name is reported as a cluster error.
///
/// | store error | API error |
/// |---|---|
/// | `RepositoryMissing` | `RepositoryMissing` (400, or 500 under `OptimizeServer`) |
/// | `NameInUse` | `BackupExists` (409) with the refused name |
/// | `Unreachable` | `ClusterUnreachable` (502) |
/// | `Cluster`, `Unreadable`, `SnapshotMissing` | `Cluster` (500) |
pub(crate) fn api_error(err: StoreError, backup_id: Option<BackupId>) -> ApiError {
    match err {
        StoreError::RepositoryMissing { repository } => ApiError::RepositoryMissing { repository },
        StoreError::NameInUse { name } => match backup_id {
            Some(backup_id) => ApiError::BackupExists {
                backup_id,
                snapshots: vec![name],
            },
            None => ApiError::Cluster {
                detail: StoreError::NameInUse { name }.to_string(),
            },
        },
        StoreError::Unreachable { product, .. } => ApiError::ClusterUnreachable {
            product,
            detail: err.to_string(),
        },
        StoreError::Cluster { .. }
        | StoreError::Unreadable { .. }
        | StoreError::SnapshotMissing { .. } => ApiError::Cluster {
            detail: err.to_string(),
        },
    }
}

/// The API error of a read of one backup.
pub(crate) fn reading(err: GetError) -> ApiError {
    match err {
        GetError::NoRepository => ApiError::NoRepositoryConfigured,
        GetError::NotFound(id) => ApiError::BackupNotFound(id),
        GetError::Store(err) => api_error(err, None),
        other => ApiError::Internal {
            detail: other.to_string(),
        },
    }
}

/// The API error of a read of the list.
pub(crate) fn listing(err: ListError) -> ApiError {
    match err {
        ListError::NoRepository => ApiError::NoRepositoryConfigured,
        ListError::Store(err) => api_error(err, None),
        ListError::Unwritable(err) => ApiError::Internal {
            detail: format!("could not write the answer: {err}"),
        },
        other => ApiError::Internal {
            detail: other.to_string(),
        },
    }
}

/// The API error of a trigger of backup `id` (SPEC §5, §6): a conflict
/// is 409; a create with an unknown outcome keeps its 502 or 500 and says
/// that what may still appear will be removed.
pub(crate) fn triggering(err: TriggerError, id: BackupId) -> ApiError {
    match err {
        TriggerError::NoRepository => ApiError::NoRepositoryConfigured,
        TriggerError::Exists {
            backup_id,
            snapshots,
        } => ApiError::BackupExists {
            backup_id,
            snapshots,
        },
        TriggerError::Store(err) => api_error(err, Some(id)),
        TriggerError::UnknownOutcome { source, pending } => {
            let note = match pending {
                Pending::Part => "The part may still appear in the cluster; it will be removed",
                Pending::Claim => "The claim may still appear in the cluster; it will be removed",
            };
            match api_error(source, Some(id)) {
                ApiError::ClusterUnreachable { product, detail } => ApiError::ClusterUnreachable {
                    product,
                    detail: format!("{detail}. {note}"),
                },
                ApiError::Cluster { detail } => ApiError::Cluster {
                    detail: format!("{detail}. {note}"),
                },
                other => other,
            }
        }
        other => ApiError::Internal {
            detail: other.to_string(),
        },
    }
}

/// The API error of a delete of backup `id`.
pub(crate) fn deleting(err: DeleteError, id: BackupId) -> ApiError {
    match err {
        DeleteError::NoRepository => ApiError::NoRepositoryConfigured,
        DeleteError::Store(err) => api_error(err, Some(id)),
        other => ApiError::Internal {
            detail: other.to_string(),
        },
    }
}

/// The HTTP response for an API error, and the one place that decides its
/// status and headers (SPEC §5): body from [`ApiError::to_json`],
/// `Content-Type: application/json`, `Allow` on a 405, and
/// `Connection: close` when the request body was left unread (413, 408).
///
/// ```
/// use backup_actuator_core::{ApiError, Compatibility};
/// use backup_actuator_service::error_response;
///
/// let err = ApiError::MethodNotAllowed { method: "PUT".into(), allowed: "GET, DELETE" };
/// let response = error_response(&err, Compatibility::Documented);
/// assert_eq!(response.status(), 405);
/// assert_eq!(response.headers()["allow"], "GET, DELETE");
/// assert_eq!(response.headers()["content-type"], "application/json");
///
/// // What Optimize itself answers for a missing repository.
/// let err = ApiError::RepositoryMissing { repository: "r".into() };
/// assert_eq!(error_response(&err, Compatibility::Documented).status(), 400);
/// assert_eq!(error_response(&err, Compatibility::OptimizeServer).status(), 500);
/// ```
pub fn error_response(err: &ApiError, compat: Compatibility) -> Response<BackupBody> {
    let status = match err {
        ApiError::InvalidBackupId(_)
        | ApiError::InvalidRequest(_)
        | ApiError::InvalidListQuery(_)
        | ApiError::NoRepositoryConfigured => StatusCode::BAD_REQUEST,
        ApiError::RepositoryMissing { .. } => match compat {
            Compatibility::Documented => StatusCode::BAD_REQUEST,
            Compatibility::OptimizeServer => StatusCode::INTERNAL_SERVER_ERROR,
        },
        ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
        ApiError::BackupNotFound(_) | ApiError::UnknownPath => StatusCode::NOT_FOUND,
        ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        ApiError::BackupExists { .. } => StatusCode::CONFLICT,
        ApiError::Cluster { .. } | ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        ApiError::ClusterUnreachable { .. } => StatusCode::BAD_GATEWAY,
    };
    let mut response = json_response(status, err.to_json(compat).into_bytes());
    match err {
        ApiError::MethodNotAllowed { allowed, .. } => {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allowed));
        }
        // The rest of the body was never read, so the connection cannot
        // carry another request: say so instead of just closing it.
        ApiError::BodyTooLarge { .. } | ApiError::BodyTimeout { .. } => {
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        _ => {}
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::json_answer;
    use backup_actuator_core::ErrorCode;

    #[test]
    fn a_name_the_cluster_refuses_is_a_conflict_naming_it() {
        let id = BackupId::new(3).unwrap();
        let name = "camunda_optimize_3_8.6.0_part_1_of_2";
        let err = api_error(StoreError::NameInUse { name: name.into() }, Some(id));
        assert_eq!(
            err.to_string(),
            "A backup with ID [3] already exists. Found snapshots: [camunda_optimize_3_8.6.0_part_1_of_2]"
        );
        assert_eq!(
            error_response(&err, Compatibility::Documented).status(),
            409
        );
        // Without a backup id (the list) it is a cluster error.
        let err = api_error(StoreError::NameInUse { name: name.into() }, None);
        assert!(matches!(err, ApiError::Cluster { .. }), "{err:?}");
    }

    /// A value whose serialization fails, as a broken answer would.
    struct Unwritable;

    impl serde::Serialize for Unwritable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no way to write this"))
        }
    }

    #[test]
    fn an_answer_that_cannot_be_written_is_an_internal_error_not_a_cluster_error() {
        let err = json_answer(StatusCode::OK, &Unwritable).unwrap_err();
        assert_eq!(
            err,
            ApiError::Internal {
                detail: "could not write the answer: no way to write this".into()
            }
        );
        // SPEC §5's 500: serverError, "An internal server error occurred."
        assert_eq!(err.code(Compatibility::Documented), ErrorCode::Server);
        let response = error_response(&err, Compatibility::Documented);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            err.to_json(Compatibility::Documented),
            r#"{"errorCode":"serverError","errorMessage":"An internal server error occurred.","detailedMessage":"could not write the answer: no way to write this"}"#
        );
    }
}
