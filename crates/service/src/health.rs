//! `GET {base}/health` (SPEC §11): one cheap store call with a timeout.

use std::time::Duration;

use backup_actuator_engine::BackupEngine;
use http::StatusCode;
use serde::Serialize;

use crate::response::{json_response, BackupBody};

/// The default time the store has to answer a health check (2 s): below a
/// Kubernetes probe's usual `timeoutSeconds: 3`, so a slow cluster reads as
/// DOWN with a reason instead of as a probe timeout without one.
///
/// ```
/// assert_eq!(backup_actuator_service::DEFAULT_HEALTH_TIMEOUT.as_secs(), 2);
/// ```
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// The body: `{"status":"UP"}` or `{"status":"DOWN","detail":"…"}`.
#[derive(Serialize)]
struct Health<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

/// 200 `{"status":"UP"}` when the engine's store answers its health check
/// within `timeout`; otherwise 503 with the reason, a
/// [`HealthError`](backup_actuator_engine::HealthError) message, which never
/// holds credentials (the stores redact them).
pub(crate) async fn respond(
    engine: &BackupEngine,
    timeout: Duration,
) -> http::Response<BackupBody> {
    let down = engine
        .check_health(timeout)
        .await
        .err()
        .map(|err| err.to_string());
    let (status, body) = match &down {
        None => (
            StatusCode::OK,
            Health {
                status: "UP",
                detail: None,
            },
        ),
        Some(detail) => {
            tracing::warn!(detail = %detail, "health check: DOWN");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Health {
                    status: "DOWN",
                    detail: Some(detail),
                },
            )
        }
    };
    let body = serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"status":"DOWN"}"#.to_vec());
    json_response(status, body)
}
