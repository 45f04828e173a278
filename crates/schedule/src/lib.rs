//! Scheduled backups with retention (SPEC §10), safe to run in every
//! replica of a service.
//!
//! - [`CronSchedule`]: a 5-field cron expression in a time zone, evaluated
//!   by [`croner`](https://docs.rs/croner); each firing is a [`Slot`] whose
//!   backup id is its UTC start as `YYYYMMDDHHMMSS`.
//! - [`BackupSchedule`]: triggers the slot's backup through a
//!   [`BackupEngine`](backup_actuator_engine::BackupEngine), with
//!   `"trigger": "schedule"` in every part's metadata. Replicas compute the
//!   same id, so the cluster's name uniqueness lets exactly one create it;
//!   the others log "taken by a peer".
//! - [`Retention`]: keep-last, keep-within, and pruning of failed scheduled
//!   backups once a newer one is COMPLETE; never a manual backup, never
//!   anything IN_PROGRESS, never the newest COMPLETE backup.
//! - [`Timer`]: the clock, replaceable by [`ManualTimer`] so tests need no
//!   sleeps.
//!
//! # Why croner
//!
//! croner reads the standard 5-field syntax (POSIX/Vixie: Sunday is 0 or 7,
//! day-of-month and day-of-week OR-ed, `@daily`, `L`, `#`, `W`), handles
//! daylight saving time changes as Vixie cron does, is maintained, and lets
//! any date library in through its `CronDateTime` trait, which is how it
//! runs on the jiff this workspace already uses (no chrono, no second time
//! zone database). The `cron` crate wants a seconds field (6 or 7 fields)
//! and numbers weekdays 1–7 from Sunday, so an operator's crontab line
//! would mean something else there.
//!
//! ```
//! use backup_actuator_core::OutputZone;
//! use backup_actuator_schedule::CronSchedule;
//!
//! let hourly = CronSchedule::parse("0 * * * *", &OutputZone::utc()).unwrap();
//! let slot = hourly.next_after("2026-05-01T10:15:00Z".parse().unwrap()).unwrap();
//! assert_eq!(slot.id().get(), 20260501110000);
//! ```
#![deny(missing_docs)]

mod cron;
mod error;
mod retention;
mod schedule;
mod timer;

pub use cron::{CronSchedule, Slot};
pub use error::ScheduleError;
pub use retention::{BackupFacts, Deletion, Retention, RetentionBuilder, RetentionRule};
pub use schedule::{
    BackupSchedule, BackupScheduleBuilder, RetentionFailure, RetentionRun, ScheduleCounts,
    SlotReport, TriggerOutcome, DEFAULT_POLL_INTERVAL,
};
pub use timer::{ManualTimer, SystemTimer, Timer};
