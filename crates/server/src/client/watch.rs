//! Waiting for a backup to finish: polling with back-off, and the three
//! ways of showing it (bars on a terminal, lines otherwise, nothing for JSON).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use backup_actuator_core::{BackupId, BackupInfo, BackupState, SnapshotState};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use super::api::{Api, ClientError};
use super::render::{part_of, progress_line};

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
    Finished(BackupInfo),
    /// `--timeout` passed while it was IN_PROGRESS; the last state seen.
    TimedOut(BackupInfo),
}

/// Something that shows the progress of a wait.
pub(crate) trait View {
    /// Called with every state read.
    fn update(&mut self, info: &BackupInfo);
    /// Called once at the end.
    fn finish(&mut self) {}
}

/// Polls `GET {base}/backups/{id}` until the backup is no longer
/// IN_PROGRESS or `timeout` has passed.
pub(crate) async fn wait(
    api: &Api,
    id: BackupId,
    timeout: Option<Duration>,
    backoff: Backoff,
    view: &mut dyn View,
) -> Result<Waited, ClientError> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut interval = backoff.first;
    loop {
        let info = api.get(id).await?;
        view.update(&info);
        if info.state != BackupState::InProgress {
            view.finish();
            return Ok(Waited::Finished(info));
        }
        let mut sleep = interval;
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                view.finish();
                return Ok(Waited::TimedOut(info));
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

/// One progress bar per part on a terminal.
pub(crate) struct Bars {
    multi: MultiProgress,
    bars: BTreeMap<String, ProgressBar>,
    header: ProgressBar,
}

impl Bars {
    /// Bars drawn on stderr, which is a terminal when this is chosen.
    pub(crate) fn new() -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let header = multi.add(ProgressBar::new_spinner());
        header.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"),
        );
        header.enable_steady_tick(Duration::from_millis(120));
        Bars {
            multi,
            bars: BTreeMap::new(),
            header,
        }
    }
}

impl View for Bars {
    fn update(&mut self, info: &BackupInfo) {
        self.header
            .set_message(format!("backup {} {}", info.backup_id, info.state.as_str()));
        for detail in &info.details {
            let bar = self
                .bars
                .entry(detail.snapshot_name.clone())
                .or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new(1));
                    bar.set_style(
                        ProgressStyle::with_template("  {prefix:<12} [{bar:30}] {msg}")
                            .expect("a valid template")
                            .progress_chars("=> "),
                    );
                    let prefix = part_of(&detail.snapshot_name).map_or_else(
                        || detail.snapshot_name.clone(),
                        |(n, of)| format!("part {n}/{of}"),
                    );
                    bar.set_prefix(prefix);
                    bar
                });
            let done = detail.state != SnapshotState::InProgress;
            bar.set_position(u64::from(done));
            bar.set_message(format!(
                "{} {}",
                detail.state.as_str(),
                detail.snapshot_name
            ));
        }
    }

    fn finish(&mut self) {
        for bar in self.bars.values() {
            bar.abandon();
        }
        self.header.finish_and_clear();
    }
}
