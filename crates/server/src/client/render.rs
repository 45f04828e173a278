//! What the client prints: tables for people, JSON for scripts, and one
//! line per state change while waiting without a terminal.

use backup_actuator_core::{BackupInfo, BackupState, Compatibility, SnapshotState};
use comfy_table::{presets, Cell, Table};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The clock and zone times are shown in; fixed in tests.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    /// "Now", for the age column.
    pub now: Timestamp,
    /// The zone start times are shown in (the local one).
    pub zone: TimeZone,
}

impl Clock {
    /// The system clock and zone.
    pub(crate) fn system() -> Clock {
        Clock {
            now: Timestamp::now(),
            zone: TimeZone::system(),
        }
    }
}

/// A BackupInfo as JSON, in the documented dialect (`COMPLETE`) whichever
/// dialect the server wrote.
pub(super) fn backup_json(info: &BackupInfo) -> String {
    serde_json::to_string_pretty(&Compatibility::Documented.backup(info))
        .expect("a BackupInfo always serializes")
}

/// A list of BackupInfo as a JSON array.
pub(super) fn list_json(list: &[BackupInfo]) -> String {
    serde_json::to_string_pretty(&Compatibility::Documented.backups(list))
        .expect("a BackupInfo list always serializes")
}

/// `backup list` as a table: id, state, parts done/total, started, age.
pub(super) fn list_table(list: &[BackupInfo], clock: &Clock) -> String {
    if list.is_empty() {
        return "No backups.".to_owned();
    }
    let mut table = new_table(["ID", "STATE", "PARTS", "STARTED", "AGE"]);
    for info in list {
        let started = started(info);
        table.add_row([
            Cell::new(info.backup_id),
            Cell::new(info.state.as_str()),
            Cell::new(parts_done(info)),
            Cell::new(started.map_or_else(|| "-".to_owned(), |t| local(t, clock))),
            Cell::new(started.map_or_else(|| "-".to_owned(), |t| age(t, clock))),
        ]);
    }
    finish(&table)
}

/// `backup status` as text: the backup, its failure reason, and a table
/// of its parts with their state, start time and failures.
pub(super) fn status_table(info: &BackupInfo, clock: &Clock) -> String {
    let mut out = format!(
        "Backup {}: {} ({} parts done)\n",
        info.backup_id,
        info.state.as_str(),
        parts_done(info)
    );
    if let Some(reason) = &info.failure_reason {
        out.push_str(&format!("Failure reason: {reason}\n"));
    }
    let mut table = new_table(["PART", "SNAPSHOT", "STATE", "STARTED", "FAILURES"]);
    for detail in &info.details {
        let part = part_of(&detail.snapshot_name)
            .map_or_else(|| "-".to_owned(), |(n, of)| format!("{n}/{of}"));
        let started = detail
            .start_time
            .as_deref()
            .and_then(parse_start)
            .map_or_else(|| "-".to_owned(), |t| local(t, clock));
        let failures = if detail.failures.is_empty() {
            "-".to_owned()
        } else {
            detail.failures.join("\n")
        };
        table.add_row([
            Cell::new(part),
            Cell::new(&detail.snapshot_name),
            Cell::new(detail.state.as_str()),
            Cell::new(started),
            Cell::new(failures),
        ]);
    }
    out.push_str(&finish(&table));
    out
}

/// One line for a state change while waiting without a terminal:
/// `backup 7 IN_PROGRESS: part 1/2 SUCCESS, part 2/2 IN_PROGRESS`.
pub(super) fn progress_line(info: &BackupInfo) -> String {
    let parts: Vec<String> = info
        .details
        .iter()
        .map(|detail| match part_of(&detail.snapshot_name) {
            Some((n, of)) => format!("part {n}/{of} {}", detail.state.as_str()),
            None => format!("{} {}", detail.snapshot_name, detail.state.as_str()),
        })
        .collect();
    if parts.is_empty() {
        format!("backup {} {}", info.backup_id, info.state.as_str())
    } else {
        format!(
            "backup {} {}: {}",
            info.backup_id,
            info.state.as_str(),
            parts.join(", ")
        )
    }
}

fn new_table<const N: usize>(header: [&str; N]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_header(header);
    table
}

/// The table's lines without the padding at their ends (the preset pads
/// every cell by one blank), so they compare and copy cleanly.
fn finish(table: &Table) -> String {
    table
        .lines()
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `(n, N)` of a `…_part_{n}_of_{N}` name.
pub(super) fn part_of(name: &str) -> Option<(u32, u32)> {
    let (_, tail) = name.rsplit_once("_part_")?;
    let (n, of) = tail.split_once("_of_")?;
    Some((n.parse().ok()?, of.parse().ok()?))
}

/// `done/total`: parts in SUCCESS over the part count in the names.
fn parts_done(info: &BackupInfo) -> String {
    let done = info
        .details
        .iter()
        .filter(|d| d.state == SnapshotState::Success)
        .count();
    let total = info
        .details
        .iter()
        .filter_map(|d| part_of(&d.snapshot_name).map(|(_, of)| of as usize))
        .max()
        .unwrap_or(info.details.len());
    format!("{done}/{total}")
}

/// The earliest start time of a backup's parts.
fn started(info: &BackupInfo) -> Option<Timestamp> {
    info.details
        .iter()
        .filter_map(|d| d.start_time.as_deref().and_then(parse_start))
        .min()
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS±HHMM` (SPEC §4); seconds without a fraction too.
fn parse_start(text: &str) -> Option<Timestamp> {
    jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", text)
        .ok()?
        .to_timestamp()
        .ok()
}

fn local(at: Timestamp, clock: &Clock) -> String {
    at.to_zoned_datetime(clock.zone.clone())
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// The largest whole unit: `42s`, `5m`, `3h`, `2d`.
fn age(at: Timestamp, clock: &Clock) -> String {
    let seconds = clock.now.as_second().saturating_sub(at.as_second()).max(0);
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// The exit code of a backup's final state (SPEC §9).
pub(super) fn exit_code(state: BackupState) -> u8 {
    match state {
        BackupState::Complete | BackupState::InProgress => 0,
        BackupState::Failed => 10,
        BackupState::Incomplete => 11,
        BackupState::Incompatible => 12,
    }
}
