//! The one error type of this crate.

use backup_actuator_engine::{DeleteError, GetError};

/// Why a schedule could not be set up, or a step of it failed. `Display`
/// is meant for the operator and never holds a credential.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The cron expression does not parse, or never fires.
    #[error("invalid cron expression '{expression}': {reason}")]
    InvalidCron {
        /// The expression as given.
        expression: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No further slot could be computed.
    #[error("no slot after now for '{expression}': {reason}")]
    NoSlot {
        /// The expression.
        expression: String,
        /// What croner said.
        reason: String,
    },
    /// `keep_last(0)`: it would keep nothing, and the newest COMPLETE
    /// backup is never deleted anyway.
    #[error("--keep-last must be at least 1 (the newest COMPLETE backup is always kept)")]
    KeepLastZero,
    /// A `keep_within` that is zero or negative.
    #[error("--keep-within must be a positive duration such as 7d or 36h")]
    KeepWithinNotPositive,
    /// The engine has no repository, so there is nowhere to back up to.
    #[error("a schedule needs a snapshot repository (--repository)")]
    NoRepository,
    /// The backups could not be read: the cluster refused or could not be
    /// reached.
    #[error(transparent)]
    Read(#[from] GetError),
    /// A backup could not be deleted.
    #[error(transparent)]
    Delete(#[from] DeleteError),
}
