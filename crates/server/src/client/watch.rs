//! Waiting for a backup to finish: polling with back-off, and the three
//! ways of showing it (bars on a terminal, lines otherwise, nothing for JSON).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use backup_actuator_core::{BackupId, BackupInfo, BackupState, SnapshotState};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use super::api::{Answer, Api, ClientError};
use super::render::{paint, parse_start, part_color, part_of, progress_line, Look};

/// How many polls in a row may fail with a 502, 503 or no answer before
/// the wait gives up (SPEC §9).
const TRANSIENT_POLLS: u32 = 5;

/// The polling schedule: `first`, doubling, at most `max` (SPEC §9: 1 s to 10 s).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Backoff {
    /// The first interval.
    pub first: Duration,
    /// The longest interval.
    pub max: Duration,
}

impl Backoff {
    /// Starting at `first`, at most 10 s (or `first`, if longer).
    pub(crate) fn starting_at(first: Duration) -> Backoff {
        Backoff {
            first,
            max: Duration::from_secs(10).max(first),
        }
    }
}

/// How a wait ended.
#[derive(Debug)]
pub(crate) enum Waited {
    /// The backup left IN_PROGRESS.
    Finished(Answer<BackupInfo>),
    /// `--timeout` passed while it was IN_PROGRESS; the last state seen.
    TimedOut(Answer<BackupInfo>),
}

/// Something that shows the progress of a wait.
pub(crate) trait View {
    /// Called with every state read.
    fn update(&mut self, info: &BackupInfo);
    /// Called once at the end.
    fn finish(&mut self) {}
}

/// Polls `GET {base}/backups/{id}` until the backup is no longer
/// IN_PROGRESS or `timeout` has passed. A 502, 503 or no answer is
/// tried again at the next poll, up to 5 polls in a row (SPEC §9).
pub(crate) async fn wait(
    api: &Api,
    id: BackupId,
    timeout: Option<Duration>,
    backoff: Backoff,
    view: &mut dyn View,
) -> Result<Waited, ClientError> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut interval = backoff.first;
    let mut failed_polls = 0;
    let mut last = None;
    loop {
        match api.get(id).await {
            Ok(answer) => {
                failed_polls = 0;
                view.update(&answer.value);
                if answer.value.state != BackupState::InProgress {
                    view.finish();
                    return Ok(Waited::Finished(answer));
                }
                last = Some(answer);
            }
            Err(err) if err.is_transient() && failed_polls + 1 < TRANSIENT_POLLS => {
                failed_polls += 1;
            }
            Err(err) => {
                view.finish();
                return Err(err);
            }
        }
        let mut sleep = interval;
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                if let Some(answer) = last.take() {
                    view.finish();
                    return Ok(Waited::TimedOut(answer));
                }
            }
            sleep = sleep.min(left);
        }
        tokio::time::sleep(sleep).await;
        interval = (interval * 2).min(backoff.max);
    }
}

/// Prints nothing while waiting (`--output json`).
pub(crate) struct Quiet;

impl View for Quiet {
    fn update(&mut self, _: &BackupInfo) {}
}

/// One line per state change, for logs and pipes.
pub(crate) struct Lines<W: Write> {
    out: W,
    last: Option<String>,
}

impl<W: Write> Lines<W> {
    /// Lines to `out`.
    pub(crate) fn new(out: W) -> Lines<W> {
        Lines { out, last: None }
    }

    /// The writer, for tests.
    #[cfg(test)]
    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> View for Lines<W> {
    fn update(&mut self, info: &BackupInfo) {
        let line = progress_line(info);
        if self.last.as_deref() != Some(line.as_str()) {
            // A closed pipe must not stop the wait; the exit code still counts.
            let _ = writeln!(self.out, "{line}");
            let _ = self.out.flush();
            self.last = Some(line);
        }
    }
}

/// On a terminal (stderr): a spinner per running part with the time it
/// has run, and `✓`/`✗` and the state once it ends. The server's answer
/// (Optimize's wire format) has no shard or byte counts, so there is no
/// fraction to draw a bar of; the time is the one measure that moves.
/// Nothing is drawn for a backup that has already ended, and everything
/// is cleared at the end, so the status table that follows stands alone.
pub(crate) struct Bars {
    multi: MultiProgress,
    header: Option<ProgressBar>,
    parts: BTreeMap<String, ProgressBar>,
    look: Look,
}

impl Bars {
    /// Drawn on stderr, which is a terminal when this is chosen.
    pub(crate) fn new(look: Look) -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            header: None,
            parts: BTreeMap::new(),
            look,
        }
    }

    fn spinner(&self, template: &str) -> ProgressStyle {
        ProgressStyle::with_template(template)
            .expect("a valid template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
    }
}

/// How long a part has run by the server's start time, so a wait that
/// starts late shows the true age.
fn running_for(start_time: Option<&str>) -> Duration {
    let Some(start) = start_time.and_then(parse_start) else {
        return Duration::ZERO;
    };
    let ran = jiff::Timestamp::now().as_millisecond() - start.as_millisecond();
    Duration::from_millis(u64::try_from(ran).unwrap_or(0))
}

/// `1m 05s`.
pub(crate) fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A part that ended, as its line stays while others run: `✓ part 1/2
/// SUCCESS 1m 05s`; FAILED, PARTIAL and INCOMPATIBLE get `✗`, never
/// the mark of success. The time is the part's age at the poll that saw
/// it end.
pub(crate) fn ended_part(label: &str, state: &SnapshotState, ran: Duration, look: Look) -> String {
    let glyph = match state {
        SnapshotState::Success => "✓",
        _ => "✗",
    };
    let color = part_color(state);
    let word = state.as_str();
    // Padded before painting: escape codes have no width on screen.
    let padded = format!("{word:<12}");
    format!(
        "{} {label:<10} {} {}",
        paint(glyph, color, look),
        padded.replacen(word, &paint(word, color, look), 1),
        short_duration(ran)
    )
}

impl View for Bars {
    fn update(&mut self, info: &BackupInfo) {
        if self.header.is_none() {
            if info.state != BackupState::InProgress {
                // Already ended: the table says it all.
                return;
            }
            let header = self.multi.add(ProgressBar::new_spinner());
            header.set_style(self.spinner("{spinner} {msg} ({elapsed})"));
            header.enable_steady_tick(Duration::from_millis(120));
            self.header = Some(header);
        }
        if let Some(header) = &self.header {
            header.set_message(format!("backup {} {}", info.backup_id, info.state.as_str()));
        }
        for detail in &info.details {
            let label = part_of(&detail.snapshot_name).map_or_else(
                || detail.snapshot_name.clone(),
                |(n, of)| format!("part {n}/{of}"),
            );
            let bar = match self.parts.get(&detail.snapshot_name) {
                Some(bar) => bar.clone(),
                None => {
                    let bar = self.multi.add(
                        ProgressBar::new_spinner()
                            .with_elapsed(running_for(detail.start_time.as_deref())),
                    );
                    bar.set_style(self.spinner("  {spinner} {prefix:<10} {msg:<12} {elapsed}"));
                    bar.set_prefix(label);
                    bar.set_message(detail.state.as_str().to_owned());
                    bar.enable_steady_tick(Duration::from_millis(120));
                    self.parts.insert(detail.snapshot_name.clone(), bar.clone());
                    bar
                }
            };
            if detail.state == SnapshotState::InProgress || bar.is_finished() {
                continue;
            }
            bar.set_style(self.spinner("  {msg}"));
            bar.set_message(ended_part(
                &bar.prefix(),
                &detail.state,
                bar.elapsed(),
                self.look,
            ));
            bar.finish();
        }
    }

    fn finish(&mut self) {
        // Ticks first: one drawn after the clear would leave its lines.
        let bars: Vec<&ProgressBar> = self.header.iter().chain(self.parts.values()).collect();
        for bar in &bars {
            bar.disable_steady_tick();
        }
        let _ = self.multi.clear();
        self.multi.set_draw_target(ProgressDrawTarget::hidden());
        for bar in bars {
            bar.finish_and_clear();
        }
    }
}
