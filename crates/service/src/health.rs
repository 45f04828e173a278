//! `GET {base}/health` (SPEC §11): one cheap store call with a timeout.

use std::time::{Duration, SystemTime};

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

/// The body: `{"status":"UP"}` or `{"status":"DOWN","detail":"…"}`, with
/// `details` once a restore drill has passed.
#[derive(Serialize)]
struct Health<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Details>,
}

#[derive(Serialize)]
struct Details {
    #[serde(rename = "lastVerifiedBackup")]
    last_verified_backup: LastVerified,
}

/// The newest passed restore drill (SPEC §13) of this process.
#[derive(Serialize)]
struct LastVerified {
    #[serde(rename = "backupId")]
    backup_id: u64,
    /// When the drill ended, written as `startTime` is.
    #[serde(rename = "verifiedAt")]
    verified_at: String,
}

/// 200 `{"status":"UP"}` when the engine's store answers its health check
/// within `timeout`; otherwise 503 with the reason, a
/// [`HealthError`](backup_actuator_engine::HealthError) message, which never
/// holds credentials (the stores redact them). `last_verified` (the backup
/// id and end of the newest passed restore drill, from the metrics) is
/// added as `details.lastVerifiedBackup` either way: it says what was last
/// proven restorable, whatever the store's state now.
pub(crate) async fn respond(
    engine: &BackupEngine,
    timeout: Duration,
    last_verified: Option<(u64, SystemTime)>,
) -> http::Response<BackupBody> {
    let details = last_verified.and_then(|(backup_id, at)| {
        let millis = at.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_millis();
        let verified_at = engine
            .time_zone()
            .format_millis(i64::try_from(millis).ok()?)?;
        Some(Details {
            last_verified_backup: LastVerified {
                backup_id,
                verified_at,
            },
        })
    });
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
                details,
            },
        ),
        Some(detail) => {
            tracing::warn!(detail = %detail, "health check: DOWN");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Health {
                    status: "DOWN",
                    detail: Some(detail),
                    details,
                },
            )
        }
    };
    let body = serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"status":"DOWN"}"#.to_vec());
    json_response(status, body)
}
