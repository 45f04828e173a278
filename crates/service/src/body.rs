//! Reading a POST body: whole, at most [`BODY_LIMIT`] bytes, within the
//! body read timeout when one is set (SPEC §2, §5).

use std::error::Error as StdError;
use std::time::Duration;

use backup_actuator_core::{ApiError, BackupRequestError};
use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// The largest POST body read, in bytes (64 KiB). A longer body is 413
/// `Request body is larger than 65536 bytes`; the body is never read
/// further than that.
///
/// ```
/// assert_eq!(backup_actuator_service::BODY_LIMIT, 65536);
/// ```
pub const BODY_LIMIT: usize = 64 * 1024;

/// Reads the whole body, at most [`BODY_LIMIT`] bytes; with a `timeout`,
/// a body that has not arrived in full by then is 408.
pub(crate) async fn read_body<B>(body: B, timeout: Option<Duration>) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let too_large = ApiError::BodyTooLarge { limit: BODY_LIMIT };
    if body.size_hint().lower() > BODY_LIMIT as u64 {
        return Err(too_large);
    }
    let collect = Limited::new(body, BODY_LIMIT).collect();
    let collected = match timeout {
        None => collect.await,
        Some(limit) => {
            tokio::time::timeout(limit, collect)
                .await
                .map_err(|_| ApiError::BodyTimeout {
                    limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                })?
        }
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(too_large),
        Err(err) => {
            tracing::debug!(error = %err, "could not read the request body");
            Err(BackupRequestError::NotAnObject.into())
        }
    }
}
