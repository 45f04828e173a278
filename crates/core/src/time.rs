//! The zone `startTime` is written in.

use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// The zone in which `startTime` values are written, as
/// `yyyy-MM-dd'T'HH:mm:ss.SSS±HHMM` (UTC is `+0000`, never `Z`).
///
/// ```
/// use backup_actuator_core::OutputZone;
///
/// let utc = OutputZone::utc();
/// assert_eq!(utc.format_millis(1731585600123).unwrap(), "2024-11-14T12:00:00.123+0000");
///
/// let berlin = OutputZone::parse("Europe/Berlin").unwrap();
/// assert_eq!(berlin.format_millis(1731585600123).unwrap(), "2024-11-14T13:00:00.123+0100");
///
/// let fixed = OutputZone::parse("-05:30").unwrap();
/// assert_eq!(fixed.format_millis(0).unwrap(), "1969-12-31T18:30:00.000-0530");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputZone {
    name: String,
    zone: TimeZone,
}

impl Default for OutputZone {
    fn default() -> Self {
        OutputZone::utc()
    }
}

impl OutputZone {
    /// UTC, the default.
    pub fn utc() -> OutputZone {
        OutputZone {
            name: "UTC".to_owned(),
            zone: TimeZone::UTC,
        }
    }

    /// An IANA zone name (`Europe/Berlin`, `UTC`) or a fixed offset
    /// (`+01:00`, `-0530`, `+02`).
    pub fn parse(name: &str) -> Result<OutputZone, UnknownZone> {
        let unknown = || UnknownZone {
            name: name.to_owned(),
        };
        let zone = if name.starts_with(['+', '-']) {
            TimeZone::fixed(parse_offset(name).ok_or_else(unknown)?)
        } else {
            TimeZone::get(name).map_err(|_| unknown())?
        };
        Ok(OutputZone {
            name: name.to_owned(),
            zone,
        })
    }

    /// The name this zone was configured with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone itself, e.g. to evaluate a schedule in it.
    ///
    /// ```
    /// use backup_actuator_core::OutputZone;
    ///
    /// let berlin = OutputZone::parse("Europe/Berlin").unwrap();
    /// assert_eq!(berlin.time_zone().iana_name(), Some("Europe/Berlin"));
    /// ```
    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Formats epoch milliseconds, or `None` if they are outside the range
    /// a calendar date can show (years -9999..=9999).
    pub fn format_millis(&self, millis: i64) -> Option<String> {
        let zoned = Timestamp::from_millisecond(millis)
            .ok()?
            .to_zoned_datetime(self.zone.clone());
        Some(zoned.strftime("%Y-%m-%dT%H:%M:%S%.3f%z").to_string())
    }
}

/// `+HH`, `+HHMM` or `+HH:MM` (and `-`), at most 18 hours.
fn parse_offset(text: &str) -> Option<Offset> {
    let (sign, rest) = text.split_at(1);
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    let colons = rest.matches(':').count();
    let well_formed = digits.bytes().all(|b| b.is_ascii_digit())
        && matches!((digits.len(), colons), (2, 0) | (4, 0) | (4, 1))
        && (colons == 0 || rest.find(':') == Some(2));
    if !well_formed {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits
        .get(2..)
        .filter(|m| !m.is_empty())
        .map_or(Some(0), |m| m.parse().ok())?;
    // Java's (and so Optimize's) limit: offsets within ±18:00.
    if minutes >= 60 || hours * 60 + minutes > 18 * 60 {
        return None;
    }
    let seconds = (hours * 3600 + minutes * 60) * if sign == "-" { -1 } else { 1 };
    Offset::from_seconds(seconds).ok()
}

/// A time zone name that is neither an IANA zone nor an offset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone [{name}]: use an IANA name such as Europe/Berlin or an offset such as +01:00")]
pub struct UnknownZone {
    name: String,
}
