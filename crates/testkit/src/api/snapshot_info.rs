//! One SnapshotInfo as the get and a waiting create print it: fields in the order of §4.4
//! for the flavor, and the short form of §4.6 when not verbose.

use crate::clock::format_millis;
use crate::json::{obj, J};
use crate::model::{EmulatedShardFailure, EmulatedSnapshotState};
use crate::state::{fake_uuid, Snap};
use crate::Flavor;

/// A stable fake UUID for an index name (shard failures on ES ≥ 7.14).
fn index_uuid(index: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in index.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    fake_uuid(h)
}

/// How one SnapshotInfo is printed (query parameters of §4.1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RenderOpts {
    pub(crate) verbose: bool,
    pub(crate) include_repository: bool,
    pub(crate) index_names: bool,
    pub(crate) index_details: bool,
    pub(crate) human: bool,
}

impl Default for RenderOpts {
    fn default() -> Self {
        RenderOpts {
            verbose: true,
            include_repository: true,
            index_names: true,
            index_details: false,
            human: false,
        }
    }
}

/// `TimeValue.toString()`: the largest unit ≥ 1, one decimal, `.0` dropped.
fn human_duration(ms: i64) -> String {
    let units: [(i64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    for (size, unit) in units {
        if ms >= size {
            let v = ms as f64 / size as f64;
            let s = format!("{v:.1}");
            let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
            return format!("{s}{unit}");
        }
    }
    format!("{ms}ms")
}

fn failure_json(flavor: Flavor, f: &EmulatedShardFailure) -> J {
    // §4.4.1: index_uuid holds the index name on ES ≤ 7.13 and every OpenSearch.
    let index_uuid = if flavor.es_at_least(7, 14) {
        index_uuid(&f.index)
    } else {
        f.index.clone()
    };
    let mut o = obj()
        .f("index", f.index.as_str())
        .f("index_uuid", index_uuid)
        .f("shard_id", f.shard_id)
        .f("reason", f.reason.as_str());
    if let Some(n) = &f.node_id {
        o.push("node_id", n.as_str());
    }
    o.f("status", f.status.as_str())
}

/// One SnapshotInfo, fields in the order of §4.4 for the flavor (and §4.6 when not verbose).
pub(crate) fn render_snapshot(flavor: Flavor, repo: &str, s: &Snap, now: i64, o: RenderOpts) -> J {
    let mut out = obj()
        .f("snapshot", s.name.as_str())
        .f("uuid", s.uuid.as_str());
    if flavor.es_at_least(7, 14) && o.include_repository {
        out.push("repository", repo);
    }
    if o.verbose {
        out.push("version_id", J::Int(flavor.snapshot_version_id()));
        out.push("version", flavor.snapshot_version());
        if flavor.os_at_least(2, 9) {
            out.push("remote_store_index_shallow_copy", false);
        }
    }
    push_indices(&mut out, flavor, s, now, o);
    out.push("data_streams", J::strs(s.data_streams.iter().cloned()));
    if o.verbose {
        out.push("include_global_state", s.include_global_state);
        if let Some(m) = &s.metadata {
            out.push("metadata", J::from_value(m));
        }
    }
    out.push("state", s.state(now).as_str());
    if o.verbose {
        push_outcome(&mut out, flavor, s, now, o.human);
    }
    out
}

/// `indices` (unless `index_names=false`) and `index_details` (verbose, 7.13+; empty
/// while running).
fn push_indices(out: &mut J, flavor: Flavor, s: &Snap, now: i64, o: RenderOpts) {
    if o.index_names {
        if !o.verbose && !flavor.es_at_least(7, 11) {
            // 7.10 / OpenSearch: the non-verbose listing has the indices sorted (§4.6).
            let mut sorted = s.indices.clone();
            sorted.sort();
            out.push("indices", J::strs(sorted));
        } else {
            out.push("indices", J::strs(s.indices.iter().cloned()));
        }
    }
    if o.verbose && o.index_details && flavor.es_at_least(7, 13) {
        let mut details = obj();
        if !s.is_running(now) {
            for (i, idx) in s.indices.iter().enumerate() {
                details.push(
                    idx,
                    obj()
                        .f("shard_count", 1u32)
                        .f("size_in_bytes", J::Int(21_072 + i as i64 * 1_024))
                        .f("max_segments_per_shard", 1u32),
                );
            }
        }
        out.push("index_details", details);
    }
}

/// The verbose tail: `reason`, times, `failures`, `shards`, `feature_states` (7.12+).
fn push_outcome(out: &mut J, flavor: Flavor, s: &Snap, now: i64, human: bool) {
    let running = s.is_running(now);
    if let Some(r) = reason(flavor, s, now) {
        out.push("reason", r);
    }
    let end = s.end_time(now);
    out.push("start_time", format_millis(s.start));
    out.push("start_time_in_millis", J::Int(s.start));
    // §4.4.3: in-progress snapshots print end_time epoch 0 and duration 0.
    out.push("end_time", format_millis(end));
    out.push("end_time_in_millis", J::Int(end));
    let duration = if running { 0 } else { (end - s.start).max(0) };
    if human {
        out.push("duration", human_duration(duration));
    }
    out.push("duration_in_millis", J::Int(duration));
    let failures = if running {
        Vec::new()
    } else {
        s.failures.iter().map(|f| failure_json(flavor, f)).collect()
    };
    out.push("failures", J::Arr(failures));
    let (total, successful) = if running {
        // §4.4.3: zeros on ES < 7.16 and OpenSearch, real counts from 7.16.
        if flavor.es_at_least(7, 16) {
            (s.total_shards, 0)
        } else {
            (0, 0)
        }
    } else {
        (s.total_shards, s.successful_shards)
    };
    out.push(
        "shards",
        obj()
            .f("total", total)
            .f("failed", total.saturating_sub(successful))
            .f("successful", successful),
    );
    if flavor.es_at_least(7, 12) {
        let fs = s
            .feature_states
            .iter()
            .map(|(name, idx)| {
                obj()
                    .f("feature_name", name.as_str())
                    .f("indices", J::strs(idx.iter().cloned()))
            })
            .collect();
        out.push("feature_states", J::Arr(fs));
    }
}

/// `reason`, printed for a finished FAILED or INCOMPATIBLE snapshot; an INCOMPATIBLE one
/// without a reason gets the engine's generic one.
fn reason(flavor: Flavor, s: &Snap, now: i64) -> Option<String> {
    let state = s.state(now);
    if s.is_running(now)
        || !matches!(
            state,
            EmulatedSnapshotState::Failed | EmulatedSnapshotState::Incompatible
        )
    {
        return None;
    }
    let r = s.reason.as_ref()?;
    Some(
        if r.is_empty() && state == EmulatedSnapshotState::Incompatible {
            format!(
            "the snapshot is incompatible with the current version of {} and its exact version is unknown",
            flavor.product()
        )
        } else {
            r.clone()
        },
    )
}
