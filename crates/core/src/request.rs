//! The POST body `{"backupId": …}` and its strict validation (SPEC §2).

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Deserializer;
use serde_json::value::RawValue;

use crate::id::{parse_digits, BackupId};

/// A valid request to trigger a backup.
///
/// ```
/// use backup_actuator_core::{BackupRequest, BackupRequestError};
///
/// let req = BackupRequest::from_json(br#"{"backupId": 42, "other": true}"#).unwrap();
/// assert_eq!(req.backup_id.get(), 42);
///
/// // Existing clients quote the id; Optimize accepts that, so do we.
/// let req = BackupRequest::from_json(br#"{"backupId":"20260220181029"}"#).unwrap();
/// assert_eq!(req.backup_id.get(), 20260220181029);
///
/// assert_eq!(
///     BackupRequest::from_json(br#"{"backupId": -1}"#),
///     Err(BackupRequestError::Negative)
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupRequest {
    /// The id of the backup to create.
    pub backup_id: BackupId,
}

/// Why a POST body was refused. `Display` is the `detailedMessage` of SPEC §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BackupRequestError {
    /// No body, an empty body, not JSON, or JSON that is not an object.
    #[error(r#"Request body must be a JSON object with a numeric "backupId""#)]
    NotAnObject,
    /// `backupId` missing or `null`.
    #[error("backupId must not be null")]
    Null,
    /// A negative JSON number, of any size.
    #[error("backupId must be greater than or equal to 0")]
    Negative,
    /// Anything else that is not an integer literal in range.
    #[error("backupId must be an integer between 0 and 9223372036854775807")]
    NotAnInteger,
}

impl BackupRequest {
    /// Validates a request body. Unknown fields are ignored; a repeated
    /// `backupId` takes the last value (as Jackson does).
    pub fn from_json(body: &[u8]) -> Result<BackupRequest, BackupRequestError> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let raw = de
            .deserialize_map(BodyVisitor)
            .and_then(|raw| de.end().map(|()| raw))
            .map_err(|_| BackupRequestError::NotAnObject)?;
        let raw = raw.ok_or(BackupRequestError::Null)?;
        classify(raw.get()).map(|backup_id| BackupRequest { backup_id })
    }
}

/// Decides on the raw JSON text of the `backupId` value, so that `1.0`,
/// `1e3` and 20-digit numbers are judged by how they were written rather
/// than by a lossy float conversion.
fn classify(raw: &str) -> Result<BackupId, BackupRequestError> {
    match raw.as_bytes().first() {
        Some(b'n') => Err(BackupRequestError::Null),
        Some(b'"') => {
            let text: String =
                serde_json::from_str(raw).map_err(|_| BackupRequestError::NotAnInteger)?;
            parse_digits(&text).ok_or(BackupRequestError::NotAnInteger)
        }
        Some(b'-') => {
            let unsigned = &raw[1..];
            let mantissa = unsigned.split(['e', 'E']).next().unwrap_or_default();
            let is_zero = mantissa.bytes().all(|b| b == b'0' || b == b'.');
            if !is_zero {
                Err(BackupRequestError::Negative)
            } else {
                // `-0` is the integer 0; `-0.0` and `-0e1` are not integer literals.
                parse_digits(unsigned).ok_or(BackupRequestError::NotAnInteger)
            }
        }
        Some(b'0'..=b'9') => parse_digits(raw).ok_or(BackupRequestError::NotAnInteger),
        _ => Err(BackupRequestError::NotAnInteger),
    }
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(is_backup_id) = map.next_key_seed(KeyIsBackupId)? {
            if is_backup_id {
                let raw: &'de RawValue = map.next_value()?;
                found = if raw.get() == "null" { None } else { Some(raw) };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Compares a key with `backupId` without allocating for the common case.
struct KeyIsBackupId;

impl<'de> DeserializeSeed<'de> for KeyIsBackupId {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIsBackupId {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == "backupId")
    }
}
