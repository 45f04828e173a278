//! Snapshot status (§6, brief): shard counts and zeroed file statistics.

use super::error::{repo_missing, snapshot_missing, R};
use super::params::Params;
use super::render::Reply;
use crate::json::{obj, J};
use crate::model::EmulatedSnapshotState;
use crate::state::{Core, Repo, Snap, State};

/// `GET _snapshot[/{repo}[/{snapshots}]]/_status`: the running snapshots (of every
/// repository, or of one), or the named ones.
pub(super) fn status(
    core: &Core,
    state: &mut State,
    repo: Option<&str>,
    names_expr: Option<&str>,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let now = core.clock.now_millis();
    let ignore_unavailable = p.bool("ignore_unavailable", false)?;
    p.master_timeout()?;
    p.finish(path)?;
    let mut list = selected(state, repo, names_expr, ignore_unavailable, now)?;
    list.sort_by(|a, b| (a.1.start, &a.1.name).cmp(&(b.1.start, &b.1.name)));
    let snapshots = list
        .iter()
        .map(|(repo, s)| snapshot_status(repo, s, now))
        .collect();
    Ok(Reply::ok(obj().f("snapshots", J::Arr(snapshots))))
}

/// The snapshots a status request names, with their repository's name.
fn selected<'s>(
    state: &'s State,
    repo: Option<&str>,
    names_expr: Option<&str>,
    ignore_unavailable: bool,
    now: i64,
) -> R<Vec<(&'s str, &'s Snap)>> {
    let running = |r: &'s Repo| {
        r.snapshots
            .values()
            .filter(move |s| s.is_running(now))
            .map(move |s| (r.name.as_str(), s))
    };
    let mut list = Vec::new();
    match (repo, names_expr) {
        (None, _) => {
            for r in &state.repos {
                list.extend(running(r));
            }
        }
        (Some(repo), None) => {
            let r = state.repo(repo).ok_or_else(|| repo_missing(repo))?;
            list.extend(running(r));
        }
        (Some(repo), Some(names)) => {
            let r = state.repo(repo).ok_or_else(|| repo_missing(repo))?;
            for n in names.split(',').filter(|s| !s.is_empty()) {
                match r.snapshots.get(n) {
                    Some(s) => list.push((r.name.as_str(), s)),
                    None if ignore_unavailable => {}
                    None => return Err(snapshot_missing(repo, n)),
                }
            }
        }
    }
    Ok(list)
}

/// One snapshot's status: shard counts, zeroed file statistics, one shard per index.
fn snapshot_status(repo: &str, s: &Snap, now: i64) -> J {
    let running = s.is_running(now);
    // PARTIAL is reported as SUCCESS here (§6).
    let st = match s.state(now) {
        EmulatedSnapshotState::InProgress => "STARTED",
        EmulatedSnapshotState::Success | EmulatedSnapshotState::Partial => "SUCCESS",
        EmulatedSnapshotState::Failed | EmulatedSnapshotState::Incompatible => "FAILED",
    };
    let total = s.total_shards;
    let done = if running { 0 } else { s.successful_shards };
    let failed = if running { 0 } else { total - done.min(total) };
    let started = if running { total } else { 0 };
    let elapsed = if running {
        now - s.start
    } else {
        s.end - s.start
    };
    let stats = obj()
        .f(
            "incremental",
            obj().f("file_count", 0u32).f("size_in_bytes", 0u32),
        )
        .f(
            "total",
            obj().f("file_count", 0u32).f("size_in_bytes", 0u32),
        )
        .f("start_time_in_millis", J::Int(s.start))
        .f("time_in_millis", J::Int(elapsed));
    let mut indices = obj();
    for idx in &s.indices {
        indices.push(
            idx,
            obj()
                .f(
                    "shards_stats",
                    shard_stats(0, 0, 0, u32::from(!running), 0, 1),
                )
                .f("stats", stats.clone()),
        );
    }
    obj()
        .f("snapshot", s.name.as_str())
        .f("repository", repo)
        .f("uuid", s.uuid.as_str())
        .f("state", st)
        .f("include_global_state", s.include_global_state)
        .f(
            "shards_stats",
            shard_stats(0, started, 0, done, failed, total),
        )
        .f("stats", stats)
        .f("indices", indices)
}

fn shard_stats(
    initializing: u32,
    started: u32,
    finalizing: u32,
    done: u32,
    failed: u32,
    total: u32,
) -> J {
    obj()
        .f("initializing", initializing)
        .f("started", started)
        .f("finalizing", finalizing)
        .f("done", done)
        .f("failed", failed)
        .f("total", total)
}
