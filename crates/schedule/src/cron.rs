//! Cron expressions evaluated in a time zone, and the slots they make.

use std::cmp::Ordering;
use std::fmt;

use backup_actuator_core::{BackupId, OutputZone};
use croner::parser::{CronParser, Seconds};
use croner::{CivilDateTime, Cron, CronDateTime, Resolution, Weekday};
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ZonedDateTime};

use crate::error::ScheduleError;

/// When backups are due: a 5-field cron expression (`minute hour
/// day-of-month month day-of-week`, or `@hourly`, `@daily`, …) evaluated in
/// a time zone.
///
/// Parsed and evaluated by [`croner`](https://docs.rs/croner), which follows
/// POSIX/Vixie cron (Sunday is 0 or 7, day-of-month and day-of-week are
/// OR-ed when both are restricted) and handles daylight saving time as
/// Vixie cron does:
///
/// - a fixed time that does not exist because the clock jumps forward
///   (`30 2 * * *` on the spring change in Europe) runs at the first minute
///   after the gap; wildcard and step minutes or hours inside the gap are
///   skipped;
/// - a fixed time that happens twice because the clock goes back runs once,
///   at its first occurrence; wildcard and step times run in both passes.
///
/// ```
/// use backup_actuator_core::OutputZone;
/// use backup_actuator_schedule::CronSchedule;
///
/// let nightly = CronSchedule::parse("30 2 * * *", &OutputZone::parse("Europe/Berlin").unwrap()).unwrap();
/// let slot = nightly.next_after("2026-01-10T12:00:00Z".parse().unwrap()).unwrap();
/// // 02:30 in Berlin is 01:30 UTC in winter; the id is the UTC start.
/// assert_eq!(slot.id().get(), 20260111013000);
///
/// assert!(CronSchedule::parse("61 * * * *", &OutputZone::utc()).is_err());
/// assert!(CronSchedule::parse("*/5 * * * * *", &OutputZone::utc()).is_err(), "no seconds field");
/// ```
#[derive(Clone)]
pub struct CronSchedule {
    expression: String,
    cron: Cron,
    zone: OutputZone,
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CronSchedule")
            .field("expression", &self.expression)
            .field("zone", &self.zone.name())
            .finish()
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' in {}", self.expression, self.zone.name())
    }
}

impl CronSchedule {
    /// Parses a 5-field expression (minute granularity) to be evaluated in
    /// `zone`. An expression that never fires (`0 0 30 2 *`) is refused
    /// here, not at the first slot.
    pub fn parse(expression: &str, zone: &OutputZone) -> Result<CronSchedule, ScheduleError> {
        CronSchedule::parse_with(expression, zone, Seconds::Disallowed)
    }

    /// Like [`CronSchedule::parse`], but also takes a leading seconds field
    /// (`*/5 * * * * *`). For tests that cannot wait a minute per slot: a
    /// backup every few seconds is not something to run against a cluster,
    /// which is why the server only offers it behind a hidden flag.
    #[doc(hidden)]
    pub fn parse_with_seconds(
        expression: &str,
        zone: &OutputZone,
    ) -> Result<CronSchedule, ScheduleError> {
        CronSchedule::parse_with(expression, zone, Seconds::Optional)
    }

    fn parse_with(
        expression: &str,
        zone: &OutputZone,
        seconds: Seconds,
    ) -> Result<CronSchedule, ScheduleError> {
        let invalid = |reason: String| ScheduleError::InvalidCron {
            expression: expression.to_owned(),
            reason,
        };
        let cron = CronParser::builder()
            .seconds(seconds)
            .build()
            .parse(expression.trim())
            .map_err(|err| invalid(err.to_string()))?;
        let schedule = CronSchedule {
            expression: expression.trim().to_owned(),
            cron,
            zone: zone.clone(),
        };
        // A pattern that parses may still name no real time.
        schedule
            .next_after(Timestamp::now())
            .map_err(|_| invalid("it never matches a date".to_owned()))?;
        Ok(schedule)
    }

    /// The expression as given (trimmed).
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The zone the expression is evaluated in.
    pub fn zone(&self) -> &OutputZone {
        &self.zone
    }

    /// The first slot strictly after `instant`.
    pub fn next_after(&self, instant: Timestamp) -> Result<Slot, ScheduleError> {
        let from = At(instant.to_zoned_datetime(self.zone.time_zone().clone()));
        let next = self
            .cron
            .find_next_occurrence(&from, false)
            .map_err(|err| self.no_slot(err))?;
        Ok(Slot::at(next.0.timestamp()))
    }

    /// The latest slot at or before `instant`, if there is one.
    pub fn latest_at_or_before(&self, instant: Timestamp) -> Option<Slot> {
        let from = At(instant.to_zoned_datetime(self.zone.time_zone().clone()));
        let previous = self.cron.find_previous_occurrence(&from, true).ok()?;
        Some(Slot::at(previous.0.timestamp()))
    }

    /// How many slots there are from `first` (included) up to `last`
    /// (excluded): the slots a stalled process missed. Each is one step of
    /// croner, so even a per-second schedule stalled for a day counts in
    /// well under a second.
    pub(crate) fn count_between(&self, first: Slot, last: Slot) -> u64 {
        let mut count = 0;
        let mut slot = first;
        while slot < last {
            count += 1;
            match self.next_after(slot.start()) {
                Ok(next) => slot = next,
                Err(_) => break,
            }
        }
        count
    }

    fn no_slot(&self, err: croner::errors::CronError) -> ScheduleError {
        ScheduleError::NoSlot {
            expression: self.expression.clone(),
            reason: err.to_string(),
        }
    }
}

/// One firing of a schedule: its start, and the backup id every replica
/// derives from it.
///
/// ```
/// use backup_actuator_schedule::Slot;
///
/// let slot = Slot::at("2026-03-29T01:00:00Z".parse().unwrap());
/// assert_eq!(slot.id().get(), 20260329010000);
/// assert_eq!(Slot::from_id(slot.id()), Some(slot));
/// assert_eq!(Slot::from_id(backup_actuator_core::BackupId::new(7).unwrap()), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    start: Timestamp,
}

impl Slot {
    /// The slot starting at `start`, cut to whole seconds.
    pub fn at(start: Timestamp) -> Slot {
        let start = Timestamp::from_second(start.as_second()).unwrap_or(start);
        Slot { start }
    }

    /// When the slot starts.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The backup id: the start as `YYYYMMDDHHMMSS` in UTC (SPEC §10).
    pub fn id(&self) -> BackupId {
        let utc = self.start.to_zoned_datetime(TimeZone::UTC);
        let digits = utc.strftime("%Y%m%d%H%M%S").to_string();
        // Years 1000..=9999 give 14 digits, far below the id limit; the
        // start of a schedule is never outside them.
        BackupId::new(digits.parse().unwrap_or(0))
            .unwrap_or_else(|| BackupId::new(0).expect("0 is a valid id"))
    }

    /// The slot an id names, or `None` if the id is not `YYYYMMDDHHMMSS`
    /// of a real UTC time (a manual backup's id, say).
    pub fn from_id(id: BackupId) -> Option<Slot> {
        let digits = id.get().to_string();
        if digits.len() != 14 {
            return None;
        }
        let number = |range: std::ops::Range<usize>| digits[range].parse::<i16>().ok();
        let civil = DateTime::new(
            number(0..4)?,
            number(4..6)? as i8,
            number(6..8)? as i8,
            number(8..10)? as i8,
            number(10..12)? as i8,
            number(12..14)? as i8,
            0,
        )
        .ok()?;
        let start = civil.to_zoned_datetime(TimeZone::UTC).ok()?.timestamp();
        Some(Slot { start })
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.id(), self.start)
    }
}

/// jiff 1's `ZonedDateTime` for croner, whose own jiff support is for jiff 0.2:
/// the same conversions as croner's `jiff_impl`.
#[derive(Clone, Debug)]
struct At(ZonedDateTime);

fn to_civil(datetime: DateTime) -> CivilDateTime {
    CivilDateTime::from_ymd_hms_opt(
        i32::from(datetime.year()),
        datetime.month() as u32,
        datetime.day() as u32,
        datetime.hour() as u32,
        datetime.minute() as u32,
        datetime.second() as u32,
    )
    .expect("jiff keeps every field of a civil time in range")
}

fn to_jiff(civil: CivilDateTime) -> Result<DateTime, croner::errors::CronError> {
    let year = i16::try_from(civil.year()).map_err(|_| croner::errors::CronError::InvalidDate)?;
    DateTime::new(
        year,
        civil.month() as i8,
        civil.day() as i8,
        civil.hour() as i8,
        civil.minute() as i8,
        civil.second() as i8,
        0,
    )
    .map_err(|_| croner::errors::CronError::InvalidDate)
}

impl CronDateTime for At {
    fn to_civil(&self) -> CivilDateTime {
        to_civil(self.0.datetime())
    }

    fn civil_weekday(&self) -> Weekday {
        Weekday::from_days_from_sunday(self.0.weekday().to_sunday_zero_offset() as u32)
    }

    fn resolve_civil(
        &self,
        civil: CivilDateTime,
    ) -> Result<Resolution<Self>, croner::errors::CronError> {
        let invalid = |_| croner::errors::CronError::InvalidTime;
        let ambiguous = self
            .0
            .time_zone()
            .to_ambiguous_zoned_datetime(to_jiff(civil)?);
        Ok(match ambiguous.offset() {
            AmbiguousOffset::Unambiguous { .. } => {
                Resolution::Single(At(ambiguous.unambiguous().map_err(invalid)?))
            }
            AmbiguousOffset::Fold { .. } => Resolution::Ambiguous(
                At(ambiguous.clone().earlier().map_err(invalid)?),
                At(ambiguous.later().map_err(invalid)?),
            ),
            AmbiguousOffset::Gap { .. } => Resolution::Gap,
        })
    }

    fn checked_add_seconds(&self, seconds: i64) -> Option<Self> {
        self.0
            .checked_add(SignedDuration::from_secs(seconds))
            .ok()
            .map(At)
    }

    fn cmp_instant(&self, other: &Self) -> Ordering {
        self.0.timestamp().cmp(&other.0.timestamp())
    }
}
