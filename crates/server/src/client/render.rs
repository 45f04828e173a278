//! What the client prints: tables for people (fitted to the terminal,
//! coloured on one), the server's JSON for scripts, and one line per
//! state change while waiting without a terminal.

use std::collections::BTreeMap;

use backup_actuator_core::{BackupInfo, BackupState, SnapshotState};
use comfy_table::{presets, Cell, Color, ColumnConstraint, ContentArrangement, Table};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// How tables look: coloured or not, and the width they must fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Look {
    /// SUCCESS/COMPLETE green, FAILED/PARTIAL red, INCOMPATIBLE/INCOMPLETE
    /// yellow.
    pub color: bool,
    /// The terminal's width; `None`: as wide as the content (`--wide`, or
    /// not a terminal and no `COLUMNS`).
    pub width: Option<u16>,
}

/// The narrowest a FAILURES column is squeezed to before snapshot names
/// are cut instead.
const FAILURES_MIN: usize = 20;
/// The shortest a snapshot name is cut to.
const SNAPSHOT_MIN: usize = 12;

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

/// The list's backups newest first: by the earliest start time of their
/// parts, then by id (`--brief` answers have no start times, so the id
/// alone orders them).
pub(super) fn newest_first<T>(list: &mut [T], info: impl Fn(&T) -> &BackupInfo) {
    list.sort_by(|a, b| {
        let (a, b) = (info(a), info(b));
        (started(b), b.backup_id).cmp(&(started(a), a.backup_id))
    });
}

/// `backup list` as a table (id, state, parts done/total, started, age)
/// of the backups given (newest first, already cut to the limit), and a
/// summary line of the whole list: how many of each state, and the
/// newest COMPLETE backup and its age.
pub(super) fn list_table(
    shown: &[&BackupInfo],
    all: &[&BackupInfo],
    clock: &Clock,
    look: Look,
) -> String {
    if all.is_empty() {
        return "No backups.".to_owned();
    }
    let mut table = new_table(["ID", "STATE", "PARTS", "STARTED", "AGE"], look);
    for info in shown {
        let started = started(info);
        table.add_row([
            Cell::new(info.backup_id),
            state_cell(info.state.as_str(), backup_color(info.state), look),
            Cell::new(parts_done(info)),
            Cell::new(started.map_or_else(|| "-".to_owned(), |t| local(t, clock))),
            Cell::new(started.map_or_else(|| "-".to_owned(), |t| age(t, clock))),
        ]);
    }
    let mut out = if shown.is_empty() {
        String::new()
    } else {
        finish(&table) + "\n"
    };
    out.push_str(&summary(shown.len(), all, clock, look));
    out
}

/// `3 backups: 1 COMPLETE, 1 FAILED, 1 IN_PROGRESS; newest COMPLETE: 7, started 1h ago`.
fn summary(shown: usize, all: &[&BackupInfo], clock: &Clock, look: Look) -> String {
    let mut counts: BTreeMap<u8, (BackupState, usize)> = BTreeMap::new();
    for info in all {
        counts
            .entry(state_rank(info.state))
            .or_insert((info.state, 0))
            .1 += 1;
    }
    let counts: Vec<String> = counts
        .values()
        .map(|(state, n)| format!("{n} {}", paint(state.as_str(), backup_color(*state), look)))
        .collect();
    let total = all.len();
    let noun = if total == 1 { "backup" } else { "backups" };
    let head = if shown < total {
        format!("{shown} of {total} {noun} shown (--limit 0 for all)")
    } else {
        format!("{total} {noun}")
    };
    let newest = all
        .iter()
        .filter(|info| info.state == BackupState::Complete)
        .max_by_key(|info| (started(info), info.backup_id));
    let newest = match newest {
        None => "no COMPLETE backup".to_owned(),
        Some(info) => match started(info) {
            Some(at) => format!(
                "newest COMPLETE: {}, started {} ago",
                info.backup_id,
                age(at, clock)
            ),
            None => format!(
                "newest COMPLETE: {} (--brief: no start times)",
                info.backup_id
            ),
        },
    };
    let line = format!("{head}: {}; {newest}", counts.join(", "));
    // Too long for the terminal: the newest COMPLETE gets a line of its own.
    match look.width {
        Some(width) if console::measure_text_width(&line) > usize::from(width) => {
            line.replacen("; ", "\n", 1)
        }
        _ => line,
    }
}

/// The order states are counted in: the good, the running, the bad.
fn state_rank(state: BackupState) -> u8 {
    match state {
        BackupState::Complete => 0,
        BackupState::InProgress => 1,
        BackupState::Failed => 2,
        BackupState::Incomplete => 3,
        BackupState::Incompatible => 4,
    }
}

/// `backup status` as text: the backup, its failure reason, and a table
/// of its parts with their state, start time and failures. Within
/// `look.width`, long snapshot names are cut with `…` and failures wrap
/// at word boundaries.
pub(super) fn status_table(info: &BackupInfo, clock: &Clock, look: Look) -> String {
    let mut out = format!(
        "Backup {}: {} ({} parts done)\n",
        info.backup_id,
        paint(info.state.as_str(), backup_color(info.state), look),
        parts_done(info)
    );
    if let Some(reason) = &info.failure_reason {
        out.push_str(&format!("Failure reason: {reason}\n"));
    }
    let rows: Vec<[String; 5]> = info
        .details
        .iter()
        .map(|detail| {
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
            [
                part,
                detail.snapshot_name.clone(),
                detail.state.as_str().to_owned(),
                started,
                failures,
            ]
        })
        .collect();
    let header = ["PART", "SNAPSHOT", "STATE", "STARTED", "FAILURES"];
    let snapshot_room = look.width.map(|width| {
        // Each column is padded by a blank on either side.
        let widest = |i: usize| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
                + 2
        };
        // FAILURES wraps at blanks, so it needs room for its longest word.
        let longest_word = rows
            .iter()
            .flat_map(|row| row[4].split_whitespace())
            .map(|word| word.chars().count())
            .max()
            .unwrap_or(0);
        let failures = widest(4).min(FAILURES_MIN.max(longest_word) + 2);
        let fixed = widest(0) + widest(2) + widest(3) + failures + 2;
        table_width(width).saturating_sub(fixed).max(SNAPSHOT_MIN)
    });
    let mut table = new_table(header, look);
    for (row, detail) in rows.into_iter().zip(&info.details) {
        let [part, name, state, started, failures] = row;
        let name = match snapshot_room {
            Some(room) => ellipsize(&name, room),
            None => name,
        };
        table.add_row([
            Cell::new(part),
            Cell::new(name),
            state_cell(&state, part_color(&detail.state), look),
            Cell::new(started),
            Cell::new(failures),
        ]);
    }
    if look.width.is_some() {
        // Only FAILURES may wrap: the others are short or already cut.
        for i in 0..4 {
            if let Some(column) = table.column_mut(i) {
                column.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
    }
    out.push_str(&finish(&table));
    out
}

/// `name` in at most `room` characters: `…` and its end, which tells
/// backups and parts apart (the prefix is the same for all).
fn ellipsize(name: &str, room: usize) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= room {
        return name.to_owned();
    }
    let keep = room.saturating_sub(1);
    let mut cut = String::from("…");
    cut.extend(&chars[chars.len() - keep..]);
    cut
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

fn new_table<const N: usize>(header: [&str; N], look: Look) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_header(header);
    // Colours are painted into the cells (see `paint`), and the width is
    // the one given: nothing is guessed from a terminal behind our back.
    table.force_no_tty();
    match look.width {
        Some(width) => {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(u16::try_from(table_width(width)).unwrap_or(u16::MAX));
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

/// The width comfy-table may fill to print `width` columns: `finish`
/// drops the blank before the first column and those after the last.
fn table_width(width: u16) -> usize {
    usize::from(width) + 2
}

/// The colour of a backup's state.
pub(super) fn backup_color(state: BackupState) -> Option<Color> {
    match state {
        BackupState::Complete => Some(Color::Green),
        BackupState::Failed => Some(Color::Red),
        BackupState::Incomplete | BackupState::Incompatible => Some(Color::Yellow),
        BackupState::InProgress => None,
    }
}

/// The colour of a part's state.
pub(super) fn part_color(state: &SnapshotState) -> Option<Color> {
    match state {
        SnapshotState::Success => Some(Color::Green),
        SnapshotState::Failed | SnapshotState::Partial => Some(Color::Red),
        SnapshotState::Incompatible => Some(Color::Yellow),
        SnapshotState::InProgress | SnapshotState::Unknown(_) => None,
    }
}

fn state_cell(text: &str, color: Option<Color>, look: Look) -> Cell {
    Cell::new(paint(text, color, look))
}

/// `text` in `color` when the look has colour. Forced: the choice of
/// `--color` and `NO_COLOR` was made once, in `Look`.
pub(super) fn paint(text: &str, color: Option<Color>, look: Look) -> String {
    let style = console::Style::new().force_styling(true);
    let style = match color {
        Some(Color::Green) if look.color => style.green(),
        Some(Color::Red) if look.color => style.red(),
        Some(Color::Yellow) if look.color => style.yellow(),
        _ => return text.to_owned(),
    };
    style.apply_to(text).to_string()
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
pub(super) fn started(info: &BackupInfo) -> Option<Timestamp> {
    info.details
        .iter()
        .filter_map(|d| d.start_time.as_deref().and_then(parse_start))
        .min()
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS±HHMM` (SPEC §4); seconds without a fraction too.
pub(super) fn parse_start(text: &str) -> Option<Timestamp> {
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

/// The server's 202 message without the sentence that tells the reader
/// to poll (`Use the GET API to monitor completion of backup process`),
/// for when `--wait` polls.
pub(super) fn without_poll_advice(message: &str) -> &str {
    match message.find("Use the GET API") {
        Some(at) => message[..at].trim_end(),
        None => message,
    }
}
