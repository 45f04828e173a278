//! What goes over the wire to API clients: bodies, error codes, and the
//! compatibility switch (SPEC §1, §4, §5).

use std::fmt;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use crate::aggregate::{BackupInfo, BackupState, SnapshotDetail};
use crate::id::{BackupId, InvalidBackupId};
use crate::list_query::InvalidListQuery;
use crate::request::BackupRequestError;

/// Which dialect of the API to speak.
///
/// ```
/// use backup_actuator_core::{BackupState, Compatibility};
///
/// assert_eq!(Compatibility::Documented.state_name(BackupState::Complete), "COMPLETE");
/// assert_eq!(Compatibility::OptimizeServer.state_name(BackupState::Complete), "COMPLETED");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Compatibility {
    /// The documented API: `COMPLETE`, a missing repository is 400.
    #[default]
    Documented,
    /// What the shipped Optimize server does, for existing clients:
    /// `COMPLETED`, a missing repository is 500 `serverError`, error bodies
    /// carry `"reportDefinition": null`.
    OptimizeServer,
}

impl Compatibility {
    /// The wire name of a backup state.
    pub fn state_name(self, state: BackupState) -> &'static str {
        match (self, state) {
            (Compatibility::OptimizeServer, BackupState::Complete) => "COMPLETED",
            (_, state) => state.as_str(),
        }
    }

    /// A backup, ready to serialize in this dialect.
    ///
    /// ```
    /// use backup_actuator_core::{BackupId, BackupInfo, BackupState, Compatibility};
    ///
    /// let info = BackupInfo {
    ///     backup_id: BackupId::new(1).unwrap(),
    ///     failure_reason: None,
    ///     state: BackupState::Complete,
    ///     details: vec![],
    /// };
    /// let json = serde_json::to_string(&Compatibility::OptimizeServer.backup(&info)).unwrap();
    /// assert_eq!(json, r#"{"backupId":1,"failureReason":null,"state":"COMPLETED","details":[]}"#);
    /// ```
    pub fn backup(self, info: &BackupInfo) -> WireBackup<'_> {
        WireBackup { info, compat: self }
    }

    /// A list of backups, ready to serialize in this dialect.
    pub fn backups(self, list: &[BackupInfo]) -> WireBackups<'_> {
        WireBackups { list, compat: self }
    }
}

/// A [`BackupInfo`] serialized in one [`Compatibility`] dialect.
#[derive(Clone, Copy, Debug)]
pub struct WireBackup<'a> {
    info: &'a BackupInfo,
    compat: Compatibility,
}

impl Serialize for WireBackup<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("BackupInfo", 4)?;
        s.serialize_field("backupId", &self.info.backup_id)?;
        s.serialize_field("failureReason", &self.info.failure_reason)?;
        s.serialize_field("state", self.compat.state_name(self.info.state))?;
        s.serialize_field("details", &self.info.details)?;
        s.end()
    }
}

/// A list of [`BackupInfo`] serialized in one [`Compatibility`] dialect.
#[derive(Clone, Copy, Debug)]
pub struct WireBackups<'a> {
    list: &'a [BackupInfo],
    compat: Compatibility,
}

impl Serialize for WireBackups<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.list.len()))?;
        for info in self.list {
            seq.serialize_element(&self.compat.backup(info))?;
        }
        seq.end()
    }
}

impl Serialize for SnapshotDetail {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("SnapshotDetail", 4)?;
        s.serialize_field("snapshotName", &self.snapshot_name)?;
        s.serialize_field("state", &self.state)?;
        s.serialize_field("startTime", &self.start_time)?;
        s.serialize_field("failures", &self.failures)?;
        s.end()
    }
}

/// The 202 answer to a trigger.
///
/// ```
/// use backup_actuator_core::{BackupId, TriggerAccepted};
///
/// let accepted = TriggerAccepted { backup_id: BackupId::new(5).unwrap() };
/// assert_eq!(
///     accepted.to_json(),
///     r#"{"message":"Backup creation for ID 5 has been scheduled. Use the GET API to monitor completion of backup process"}"#
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TriggerAccepted {
    /// The id that was scheduled.
    pub backup_id: BackupId,
}

impl TriggerAccepted {
    /// The message text.
    pub fn message(&self) -> String {
        format!(
            "Backup creation for ID {} has been scheduled. Use the GET API to monitor completion of backup process",
            self.backup_id
        )
    }

    /// The body, `{"message":"…"}` in every dialect. (Optimize writes it by
    /// hand as `{"message" : "…"}`; the JSON is the same, and SPEC §1 gives
    /// the compact form.)
    pub fn to_json(&self) -> String {
        // The message holds only digits and fixed text: no escaping needed.
        format!(r#"{{"message":"{}"}}"#, self.message())
    }
}

/// The database product behind a store, for error codes and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Product {
    /// Elasticsearch.
    Elasticsearch,
    /// OpenSearch.
    OpenSearch,
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Product::Elasticsearch => "Elasticsearch",
            Product::OpenSearch => "OpenSearch",
        })
    }
}

/// The `errorCode` values of SPEC §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `badRequestError`
    BadRequest,
    /// `methodNotAllowedError`
    MethodNotAllowed,
    /// `notFoundError`
    NotFound,
    /// `conflict`
    Conflict,
    /// `serverError`
    Server,
    /// `elasticsearchConnectionError`
    ElasticsearchConnection,
    /// `openSearchConnectionError`
    OpenSearchConnection,
}

impl ErrorCode {
    /// The `errorCode` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "badRequestError",
            ErrorCode::MethodNotAllowed => "methodNotAllowedError",
            ErrorCode::NotFound => "notFoundError",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Server => "serverError",
            ErrorCode::ElasticsearchConnection => "elasticsearchConnectionError",
            ErrorCode::OpenSearchConnection => "openSearchConnectionError",
        }
    }

    /// The fixed `errorMessage` that goes with the code.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "The server was unable to process the request.",
            ErrorCode::MethodNotAllowed => "The request method is not supported for this resource.",
            ErrorCode::NotFound => "The server could not find the requested resource.",
            ErrorCode::Conflict => "Could not apply the changes due to conflicts.",
            ErrorCode::Server => "An internal server error occurred.",
            ErrorCode::ElasticsearchConnection => {
                "The server has encountered Elasticsearch connection issues."
            }
            ErrorCode::OpenSearchConnection => {
                "The server has encountered OpenSearch connection issues."
            }
        }
    }

    /// The connection error code of a product.
    pub fn connection(product: Product) -> ErrorCode {
        match product {
            Product::Elasticsearch => ErrorCode::ElasticsearchConnection,
            Product::OpenSearch => ErrorCode::OpenSearchConnection,
        }
    }
}

/// Every error the API answers with, one variant per row of SPEC §5.
///
/// This is where `errorCode`, `errorMessage` and `detailedMessage` (the
/// `Display`) are decided: the data of the answer. Its HTTP status and
/// headers are the service's to decide (`backup_actuator_service::error_response`).
///
/// ```
/// use backup_actuator_core::{ApiError, BackupId, Compatibility, ErrorCode};
///
/// let err = ApiError::BackupNotFound(BackupId::new(7).unwrap());
/// assert_eq!(err.code(Compatibility::Documented), ErrorCode::NotFound);
/// assert_eq!(err.to_string(), "No backup with ID [7] could be found.");
/// assert_eq!(
///     err.to_json(Compatibility::Documented),
///     r#"{"errorCode":"notFoundError","errorMessage":"The server could not find the requested resource.","detailedMessage":"No backup with ID [7] could be found."}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A path segment that is not a backup id.
    #[error(transparent)]
    InvalidBackupId(#[from] InvalidBackupId),
    /// A POST body that is not a valid request.
    #[error(transparent)]
    InvalidRequest(#[from] BackupRequestError),
    /// A list request whose `verbose` or `pattern` breaks its rule.
    #[error(transparent)]
    InvalidListQuery(#[from] InvalidListQuery),
    /// A POST body over the limit.
    #[error("Request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A POST body that did not arrive in time (a stalled client).
    #[error("Request body was not received within {limit_ms} ms")]
    BodyTimeout {
        /// The time allowed, in milliseconds.
        limit_ms: u64,
    },
    /// The service has no repository name configured.
    #[error("Cannot execute backup request because no snapshot repository name found in the configuration.")]
    NoRepositoryConfigured,
    /// The cluster has no repository of that name.
    #[error("No repository with name [{repository}] could be found.")]
    RepositoryMissing {
        /// The configured repository name.
        repository: String,
    },
    /// GET one: no snapshot of that id.
    #[error("No backup with ID [{0}] could be found.")]
    BackupNotFound(BackupId),
    /// A known path with a method it does not take.
    #[error("Method {method} is not allowed here. Allowed: {allowed}")]
    MethodNotAllowed {
        /// The method sent.
        method: String,
        /// The methods the path takes, joined by `, `.
        allowed: &'static str,
    },
    /// A path the stand-alone service does not know.
    #[error("No resource exists at this path.")]
    UnknownPath,
    /// POST: snapshots of that id exist, or the cluster refused the name.
    #[error("A backup with ID [{backup_id}] already exists. Found snapshots: [{}]", snapshots.join(", "))]
    BackupExists {
        /// The id.
        backup_id: BackupId,
        /// The snapshot names found (or refused).
        snapshots: Vec<String>,
    },
    /// The cluster answered with an error, or with an unreadable answer.
    #[error("{detail}")]
    Cluster {
        /// What happened, as the store describes it.
        detail: String,
    },
    /// This service failed on its own, with no cluster at fault (it could
    /// not write its answer): 500 `serverError`, as SPEC §5 gives every
    /// internal error.
    #[error("{detail}")]
    Internal {
        /// What failed.
        detail: String,
    },
    /// The cluster could not be reached.
    #[error("{detail}")]
    ClusterUnreachable {
        /// Which product.
        product: Product,
        /// What happened, as the store describes it.
        detail: String,
    },
}

impl ApiError {
    /// The `errorCode`.
    pub fn code(&self, compat: Compatibility) -> ErrorCode {
        match self {
            ApiError::InvalidBackupId(_)
            | ApiError::InvalidRequest(_)
            | ApiError::InvalidListQuery(_)
            | ApiError::BodyTooLarge { .. }
            | ApiError::BodyTimeout { .. }
            | ApiError::NoRepositoryConfigured => ErrorCode::BadRequest,
            ApiError::RepositoryMissing { .. } => match compat {
                Compatibility::Documented => ErrorCode::BadRequest,
                Compatibility::OptimizeServer => ErrorCode::Server,
            },
            ApiError::BackupNotFound(_) | ApiError::UnknownPath => ErrorCode::NotFound,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::BackupExists { .. } => ErrorCode::Conflict,
            ApiError::Cluster { .. } | ApiError::Internal { .. } => ErrorCode::Server,
            ApiError::ClusterUnreachable { product, .. } => ErrorCode::connection(*product),
        }
    }

    /// The body, ready to serialize.
    pub fn body(&self, compat: Compatibility) -> ErrorBody {
        let code = self.code(compat);
        ErrorBody {
            error_code: code.as_str().to_owned(),
            error_message: Some(code.message().to_owned()),
            detailed_message: Some(self.to_string()),
            report_definition: compat == Compatibility::OptimizeServer,
        }
    }

    /// The body as JSON.
    pub fn to_json(&self, compat: Compatibility) -> String {
        let body = self.body(compat);
        serde_json::to_string(&body).unwrap_or_default()
    }
}

/// The error body `{"errorCode", "errorMessage", "detailedMessage"}`
/// (plus `"reportDefinition": null` under
/// [`Compatibility::OptimizeServer`]). Deserializes either form, so clients
/// can read errors from this service and from Optimize.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The `errorCode`.
    pub error_code: String,
    /// The fixed text of the code (Optimize sends `null` for some codes).
    pub error_message: Option<String>,
    /// What exactly went wrong.
    pub detailed_message: Option<String>,
    /// Whether `"reportDefinition": null` is written.
    #[serde(skip)]
    pub report_definition: bool,
}

impl Serialize for ErrorBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = if self.report_definition { 4 } else { 3 };
        let mut s = serializer.serialize_struct("ErrorBody", fields)?;
        s.serialize_field("errorCode", &self.error_code)?;
        s.serialize_field("errorMessage", &self.error_message)?;
        s.serialize_field("detailedMessage", &self.detailed_message)?;
        if self.report_definition {
            s.serialize_field("reportDefinition", &None::<()>)?;
        }
        s.end()
    }
}
