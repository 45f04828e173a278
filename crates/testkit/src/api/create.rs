//! Create a snapshot (§3): body, name rules, rule outcomes, the new snapshot.

use super::error::{illegal_arg, index_not_found, repo_missing, validation, EsErr, R};
use super::params::{parse_body_map, Params};
use super::render::Reply;
use super::snapshot_info::{render_snapshot, RenderOpts};
use crate::glob;
use crate::json::obj;
use crate::model::{EmulatedShardFailure, EmulatedSnapshotState, RuleOutcome};
use crate::state::{Core, Snap, State};
use crate::Flavor;

/// The rules of §3.2, in order.
fn validate_snapshot_name(flavor: Flavor, repo: &str, name: &str) -> R<()> {
    let rule = if name.is_empty() {
        Some("cannot be empty".to_string())
    } else if name.contains(' ') {
        Some("must not contain whitespace".to_string())
    } else if name.contains(',') {
        Some("must not contain ','".to_string())
    } else if name.contains('#') {
        Some("must not contain '#'".to_string())
    } else if name.starts_with('_') {
        Some("must not start with '_'".to_string())
    } else if name.to_lowercase() != name {
        Some("must be lowercase".to_string())
    } else if name
        .chars()
        .any(|c| matches!(c, '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|'))
    {
        Some(format!(
            "must not contain the following characters {}",
            flavor.invalid_filename_chars()
        ))
    } else {
        None
    };
    match rule {
        None => Ok(()),
        Some(rule) => Err(EsErr::new(
            400,
            "invalid_snapshot_name_exception",
            format!("[{repo}:{name}] Invalid snapshot name [{name}], {rule}"),
        )),
    }
}

fn bool_field(
    map: &serde_json::Map<String, serde_json::Value>,
    name: &str,
    default: bool,
) -> R<bool> {
    match map.get(name) {
        None | Some(serde_json::Value::Null) => Ok(default),
        Some(serde_json::Value::Bool(b)) => Ok(*b),
        Some(other) => {
            let s = other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_string());
            match s.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(
                    illegal_arg(format!("Could not convert [{name}] to boolean")).caused_by(
                        illegal_arg(format!(
                            "Failed to parse value [{s}] as only [true] or [false] are allowed."
                        )),
                    ),
                ),
            }
        }
    }
}

fn string_list(v: &serde_json::Value) -> Option<Vec<String>> {
    match v {
        serde_json::Value::String(s) => Some(
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
        ),
        serde_json::Value::Array(a) => a.iter().map(|i| i.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

/// Resolves `indices` against the known indices: exact names always resolve (and become
/// known), wildcards expand over known non-hidden indices, `-x` excludes.
fn resolve_indices(
    state: &mut State,
    requested: &[String],
    ignore_unavailable: bool,
) -> R<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    if requested.is_empty() || requested == ["_all"] || requested == ["*"] {
        return Ok(state
            .known_indices
            .iter()
            .filter(|i| !i.starts_with('.'))
            .cloned()
            .collect());
    }
    for (i, item) in requested.iter().enumerate() {
        if let Some(ex) = item.strip_prefix('-').filter(|_| i > 0) {
            out.retain(|n| !glob::matches(ex, n));
        } else if glob::is_pattern(item) {
            for n in &state.known_indices {
                if glob::matches(item, n)
                    && (!n.starts_with('.') || item.starts_with('.'))
                    && !out.contains(n)
                {
                    out.push(n.clone());
                }
            }
        } else if state.indices_declared && !state.known_indices.contains(item) {
            if !ignore_unavailable {
                return Err(index_not_found(item));
            }
        } else if !out.contains(item) {
            state.known_indices.insert(item.clone());
            out.push(item.clone());
        }
    }
    Ok(out)
}

/// The body of a create (`CreateSnapshotRequest.source`): unknown fields are ignored;
/// `feature_states` exists from 7.12.
struct CreateBody {
    indices: Vec<String>,
    feature_states: Option<Vec<String>>,
    include_global_state: bool,
    ignore_unavailable: bool,
    metadata: Option<serde_json::Value>,
}

impl CreateBody {
    /// Reads the fields in the engine's order, so that the first bad one is reported.
    fn parse(flavor: Flavor, body: &[u8]) -> R<CreateBody> {
        let map = parse_body_map(body)?.unwrap_or_default();
        let indices = match map.get("indices") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(v) => string_list(v).ok_or_else(|| {
                illegal_arg("malformed indices section, should be an array of strings")
            })?,
        };
        let malformed_features =
            || illegal_arg("malformed feature_states section, should be an array of strings");
        let feature_states = match map.get("feature_states") {
            _ if !flavor.es_at_least(7, 12) => None,
            None | Some(serde_json::Value::Null) => None,
            Some(v @ serde_json::Value::Array(_)) => {
                Some(string_list(v).ok_or_else(malformed_features)?)
            }
            Some(_) => return Err(malformed_features()),
        };
        // `partial` only matters with unassigned primaries, which the emulator never has.
        bool_field(&map, "partial", false)?;
        let include_global_state = bool_field(&map, "include_global_state", true)?;
        let ignore_unavailable = bool_field(&map, "ignore_unavailable", false)?;
        let metadata = match map.get("metadata") {
            None | Some(serde_json::Value::Null) => None,
            Some(m @ serde_json::Value::Object(_)) => Some(m.clone()),
            Some(_) => return Err(illegal_arg("malformed metadata, should be an object")),
        };
        Ok(CreateBody {
            indices,
            feature_states,
            include_global_state,
            ignore_unavailable,
            metadata,
        })
    }

    /// `CreateSnapshotRequest.validate`.
    fn validate(&self) -> R<()> {
        if let Some(m) = &self.metadata {
            let size = serde_json::to_vec(m).map(|v| v.len()).unwrap_or(0);
            if size > 1024 {
                return Err(validation(&[format!(
                    "metadata must be smaller than 1024 bytes, but was [{size}]"
                )]));
            }
        }
        Ok(())
    }
}

/// `PUT|POST _snapshot/{repo}/{snapshot}`: the snapshot runs for the completion delay,
/// then ends as the first matching [`SnapshotRule`](crate::SnapshotRule) says (SUCCESS
/// when none matches).
pub(super) fn create_snapshot(
    core: &Core,
    state: &mut State,
    repo: &str,
    raw_name: &str,
    body: &[u8],
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let flavor = core.flavor;
    let wait = p.bool("wait_for_completion", false)?;
    p.master_timeout()?;
    let request = CreateBody::parse(flavor, body)?;
    p.finish(path)?;
    request.validate()?;
    let now = core.clock.now_millis();
    let name = new_snapshot_name(flavor, state, repo, raw_name, now)?;
    let outcome = take_rule(state, repo, &name)?;
    let indices = resolve_indices(state, &request.indices, request.ignore_unavailable)?;
    let snap = new_snapshot(core, state, name, request, indices, outcome, now);
    let (name, completes_at) = (snap.name.clone(), snap.end);
    let r = state.repo_mut(repo).ok_or_else(|| repo_missing(repo))?;
    r.snapshots.insert(name.clone(), snap);
    if !wait {
        return Ok(Reply::ok(obj().f("accepted", true)));
    }
    // The waiting request returns once the snapshot is done: time passes meanwhile (§3.1).
    core.clock.advance_to(completes_at);
    let now = core.clock.now_millis();
    let s = &r.snapshots[&name];
    Ok(Reply::ok(obj().f(
        "snapshot",
        render_snapshot(flavor, repo, s, now, RenderOpts::default()),
    )))
}

/// The name to create: date math resolved, the rules of §3.2 checked, and no snapshot of
/// that name in the repository. The repository's uuid is known from here on, even when
/// the name is refused.
fn new_snapshot_name(
    flavor: Flavor,
    state: &mut State,
    repo: &str,
    raw_name: &str,
    now: i64,
) -> R<String> {
    let name = crate::datemath::resolve(raw_name, now).map_err(|e| {
        EsErr::new(
            400,
            "parse_exception",
            format!("invalid date math expression [{raw_name}]: {e}"),
        )
    })?;
    validate_snapshot_name(flavor, repo, &name)?;
    let duplicate_type = if flavor.es_at_least(8, 2) {
        "snapshot_name_already_in_use_exception"
    } else {
        "invalid_snapshot_name_exception"
    };
    let r = state.repo_mut(repo).ok_or_else(|| repo_missing(repo))?;
    r.uuid_known = true;
    if let Some(existing) = r.snapshots.get(&name) {
        let why = if existing.is_running(now) {
            "snapshot with the same name is already in-progress"
        } else {
            "snapshot with the same name already exists"
        };
        return Err(EsErr::new(
            400,
            duplicate_type,
            format!("[{repo}:{name}] Invalid snapshot name [{name}], {why}"),
        ));
    }
    Ok(name)
}

/// The outcome of the first matching rule with uses left, which uses one up; a refusing
/// rule is the create's error.
fn take_rule(state: &mut State, repo: &str, name: &str) -> R<Option<RuleOutcome>> {
    let Some(rule) = state
        .rules
        .iter_mut()
        .find(|rule| rule.times != Some(0) && glob::matches(&rule.pattern, name))
    else {
        return Ok(None);
    };
    if let Some(t) = rule.times.as_mut() {
        *t -= 1;
    }
    match &rule.outcome {
        RuleOutcome::Refuse {
            status,
            error_type,
            reason,
        } => {
            let reason = reason
                .replace("{repository}", repo)
                .replace("{snapshot}", name);
            Err(EsErr::new(*status, error_type, reason))
        }
        outcome => Ok(Some(outcome.clone())),
    }
}

/// The snapshot a create starts: running until the completion delay has passed on the
/// emulated clock, then in the state the rule's `outcome` gives.
fn new_snapshot(
    core: &Core,
    state: &mut State,
    name: String,
    request: CreateBody,
    indices: Vec<String>,
    outcome: Option<RuleOutcome>,
    now: i64,
) -> Snap {
    let feature_states = feature_states(
        core.flavor,
        request.feature_states.as_deref(),
        request.include_global_state,
    );
    let vanishes = outcome == Some(RuleOutcome::Vanish);
    let (final_state, reason, failures) = final_state(outcome, &indices, &core.node_id);
    let total = (indices.len() as u32).max(failures.len() as u32);
    let failed = if final_state == EmulatedSnapshotState::Failed {
        total
    } else {
        failures.len() as u32
    };
    let delay = i64::try_from(state.completion_delay.as_millis()).unwrap_or(i64::MAX);
    Snap {
        name,
        uuid: state.next_uuid(),
        indices,
        data_streams: Vec::new(),
        feature_states,
        include_global_state: request.include_global_state,
        metadata: request.metadata,
        start: now,
        end: now.saturating_add(delay),
        pending: true,
        completes_at: Some(now.saturating_add(delay)),
        final_state,
        reason,
        failures,
        total_shards: total,
        successful_shards: total.saturating_sub(failed),
        unreadable: false,
        blob_missing: false,
        vanishes,
    }
}

/// The `feature_states` a snapshot records (7.12+): those asked for (`none` left out),
/// or with the global state `geoip` from 7.14.
fn feature_states(
    flavor: Flavor,
    asked: Option<&[String]>,
    include_global_state: bool,
) -> Vec<(String, Vec<String>)> {
    if !flavor.es_at_least(7, 12) {
        return Vec::new();
    }
    match asked {
        Some(list) if !list.is_empty() => list
            .iter()
            .filter(|f| f.as_str() != "none")
            .map(|f| (f.clone(), Vec::new()))
            .collect(),
        _ if include_global_state && flavor.es_at_least(7, 14) => {
            vec![("geoip".to_string(), vec![".geoip_databases".to_string()])]
        }
        _ => Vec::new(),
    }
}

/// State, `reason` and shard failures once finished: FAILED has a failure per index,
/// PARTIAL at least one (invented on the first index when the rule names none).
fn final_state(
    outcome: Option<RuleOutcome>,
    indices: &[String],
    node_id: &str,
) -> (
    EmulatedSnapshotState,
    Option<String>,
    Vec<EmulatedShardFailure>,
) {
    match outcome {
        Some(RuleOutcome::Fail { reason }) => {
            let failures = indices
                .iter()
                .map(|i| {
                    EmulatedShardFailure::new(i.clone(), 0, reason.clone()).with_node_id(node_id)
                })
                .collect();
            (EmulatedSnapshotState::Failed, Some(reason), failures)
        }
        Some(RuleOutcome::Partial { mut failures }) => {
            if failures.is_empty() {
                let idx = indices
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "index".to_string());
                failures.push(EmulatedShardFailure::new(
                    idx,
                    0,
                    "primary shard is not allocated",
                ));
            }
            (EmulatedSnapshotState::Partial, None, failures)
        }
        Some(RuleOutcome::Incompatible) => (
            EmulatedSnapshotState::Incompatible,
            Some(String::new()),
            Vec::new(),
        ),
        _ => (EmulatedSnapshotState::Success, None, Vec::new()),
    }
}
