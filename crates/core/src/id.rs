//! Backup ids and their strict parsing from a URL path segment (SPEC §2).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of one backup: an integer in `0..=9223372036854775807`.
///
/// The range is Java's `Long`, as in Camunda Optimize. The id is the only user
/// input that ever reaches a snapshot name, so every constructor checks it:
/// a `BackupId` can never carry a wildcard, a comma or a sign into a cluster
/// request.
///
/// ```
/// use backup_actuator_core::BackupId;
///
/// let id = BackupId::from_path_segment("20260220181029").unwrap();
/// assert_eq!(id.get(), 20260220181029);
/// assert!(BackupId::from_path_segment("1,*").is_err());
/// assert_eq!(BackupId::new(u64::MAX), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackupId(u64);

impl BackupId {
    /// The largest id: `i64::MAX`.
    pub const MAX: BackupId = BackupId(i64::MAX as u64);

    /// An id from a number, or `None` above [`BackupId::MAX`].
    pub const fn new(value: u64) -> Option<BackupId> {
        if value <= Self::MAX.0 {
            Some(BackupId(value))
        } else {
            None
        }
    }

    /// The id as a number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Parses a path segment exactly as it arrived (not percent-decoded).
    ///
    /// Only ASCII digits are accepted: no sign, no spaces, no `0x`, no
    /// percent-encoding (`%31` is refused rather than decoded, so what is
    /// validated is what was sent).
    pub fn from_path_segment(segment: &str) -> Result<BackupId, InvalidBackupId> {
        parse_digits(segment).ok_or_else(|| InvalidBackupId {
            segment: segment.to_owned(),
        })
    }
}

/// Parses a non-empty run of ASCII digits into an id in range.
pub(crate) fn parse_digits(digits: &str) -> Option<BackupId> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Leading zeros are fine ("007" is 7); overflow is not.
    digits.parse::<u64>().ok().and_then(BackupId::new)
}

impl fmt::Display for BackupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for BackupId {
    type Err = InvalidBackupId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BackupId::from_path_segment(s)
    }
}

impl From<BackupId> for u64 {
    fn from(id: BackupId) -> u64 {
        id.0
    }
}

impl Serialize for BackupId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for BackupId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u64::deserialize(deserializer)?;
        BackupId::new(value).ok_or_else(|| {
            serde::de::Error::custom(format_args!("backup id {value} is above {}", BackupId::MAX))
        })
    }
}

/// A path segment that is not a valid backup id.
///
/// Its `Display` is the `detailedMessage` of SPEC §1:
///
/// ```
/// use backup_actuator_core::BackupId;
///
/// let err = BackupId::from_path_segment("-1").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "Invalid backup ID [-1]: must be an integer between 0 and 9223372036854775807"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Invalid backup ID [{segment}]: must be an integer between 0 and {max}", max = BackupId::MAX)]
pub struct InvalidBackupId {
    segment: String,
}

impl InvalidBackupId {
    /// The segment as it was sent.
    pub fn segment(&self) -> &str {
        &self.segment
    }
}
