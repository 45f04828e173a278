//! What a restore uses besides `_snapshot`: index existence (`HEAD /{index}`), index
//! deletion (`DELETE /{index}`), `POST _snapshot/{repo}/{snapshot}/_restore` and
//! `GET _cluster/health/{indices}`. Kept apart from the snapshot handlers.
//!
//! A restored index is red (primaries recovering) until the completion delay has passed on
//! the emulated clock, then green; every other known index is green.

use http::Method;

use super::error::{index_not_found, EsErr};
use crate::json::{obj, J};
use crate::model::EmulatedSnapshotState;
use crate::state::{Core, Snap, State};

/// An answer of this module: status and JSON body (`None` for HEAD).
pub(crate) type Answer = Result<(u16, Option<J>), EsErr>;

/// Whether this module serves the path and method.
pub(crate) fn handles(seg: &[&str], method: &Method) -> bool {
    match (seg, method) {
        ([index], &Method::HEAD) | ([index], &Method::DELETE) => !index.starts_with('_'),
        (["_cluster", "health"], &Method::GET) | (["_cluster", "health", _], &Method::GET) => true,
        (["_snapshot", _, _, "_restore"], &Method::POST) => true,
        _ => false,
    }
}

/// Serves a request [`handles`] accepted.
pub(crate) fn handle(
    core: &Core,
    state: &mut State,
    seg: &[&str],
    method: &Method,
    query: &[(String, String)],
    body: &[u8],
) -> Answer {
    let now = core.clock.now_millis();
    match (seg, method) {
        ([index], &Method::HEAD) => {
            let status = if state.known_indices.contains(*index) {
                200
            } else {
                404
            };
            Ok((status, None))
        }
        ([index], &Method::DELETE) => delete_index(state, index, now),
        (["_cluster", "health"], _) => Ok(health(state, None, query, now)),
        (["_cluster", "health", indices], _) => Ok(health(state, Some(indices), query, now)),
        (["_snapshot", repo, snapshot, "_restore"], _) => restore(state, repo, snapshot, body, now),
        _ => Err(EsErr::new(
            400,
            "illegal_argument_exception",
            "unreachable route",
        )),
    }
}

/// Deletes known indices; one that a running snapshot holds is refused,
/// as the engines refuse it (400 `snapshot_in_progress_exception`,
/// recorded by the server's `live_faults` suite in
/// `tests/fixtures/faults/*/delete_index_in_snapshot.json`). The engines
/// name the index as `[name/uuid]`; the emulator has no index uuids and
/// writes `[name]`.
fn delete_index(state: &mut State, expr: &str, now: i64) -> Answer {
    for index in expr.split(',') {
        if !state.known_indices.contains(index) {
            return Err(index_not_found(index));
        }
    }
    let held: Vec<&str> = expr
        .split(',')
        .filter(|index| {
            state.repos.iter().any(|r| {
                r.snapshots
                    .values()
                    .any(|s| s.is_running(now) && s.indices.iter().any(|i| i == index))
            })
        })
        .collect();
    if !held.is_empty() {
        let names: Vec<String> = held.iter().map(|i| format!("[{i}]")).collect();
        return Err(EsErr::new(
            400,
            "snapshot_in_progress_exception",
            format!(
                "Cannot delete indices that are being snapshotted: [{}]. Try again after \
                 snapshot finishes or cancel the currently running snapshot.",
                names.join(", ")
            ),
        ));
    }
    for index in expr.split(',') {
        state.known_indices.remove(index);
        state.index_ready_at.remove(index);
    }
    Ok((200, Some(obj().f("acknowledged", true))))
}

fn index_status(state: &State, index: &str, now: i64) -> &'static str {
    match state.index_ready_at.get(index) {
        Some(ready) if *ready > now => "red",
        _ => "green",
    }
}

fn health(
    state: &State,
    indices: Option<&str>,
    query: &[(String, String)],
    now: i64,
) -> (u16, Option<J>) {
    let names: Vec<String> = match indices {
        None | Some("_all") | Some("*") => state.known_indices.iter().cloned().collect(),
        Some(list) => list.split(',').map(str::to_string).collect(),
    };
    let mut missing = false;
    let mut red = false;
    let mut per_index = obj();
    for name in &names {
        if !state.known_indices.contains(name) {
            missing = true;
            continue;
        }
        let status = index_status(state, name, now);
        red |= status == "red";
        let active = i64::from(status != "red");
        per_index.push(
            name,
            obj()
                .f("status", status)
                .f("number_of_shards", 1i64)
                .f("number_of_replicas", 0i64)
                .f("active_primary_shards", active)
                .f("active_shards", active)
                .f("relocating_shards", 0i64)
                .f("initializing_shards", 1 - active)
                .f("unassigned_shards", 0i64),
        );
    }
    let overall = if missing || red { "red" } else { "green" };
    let level_indices = query.iter().any(|(k, v)| k == "level" && v == "indices");
    let mut body = obj()
        .f("cluster_name", "testkit")
        .f("status", overall)
        .f("timed_out", false)
        .f("number_of_nodes", 1i64)
        .f("number_of_data_nodes", 1i64);
    if level_indices {
        body.push("indices", per_index);
    }
    (200, Some(body))
}

/// The restore request's body; an empty body restores everything.
fn restore_request(body: &[u8]) -> Result<serde_json::Value, EsErr> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_slice(body).map_err(|e| {
        EsErr::new(
            400,
            "x_content_parse_exception",
            format!("failed to parse restore request: {e}"),
        )
    })
}

/// The indices a restore asks for: `indices` as a comma list or an array, all of the
/// snapshot's when absent.
fn wanted_indices(request: &serde_json::Value, snap: &Snap) -> Result<Vec<String>, EsErr> {
    Ok(match request.get("indices") {
        None | Some(serde_json::Value::Null) => snap.indices.clone(),
        Some(serde_json::Value::String(list)) => list.split(',').map(str::to_string).collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Some(_) => {
            return Err(EsErr::new(
                400,
                "illegal_argument_exception",
                "malformed indices section, should be an array of strings",
            ))
        }
    })
}

fn restore(state: &mut State, repo: &str, snapshot: &str, body: &[u8], now: i64) -> Answer {
    let request = restore_request(body)?;
    let Some(r) = state.repo(repo) else {
        return Err(EsErr::new(
            404,
            "repository_missing_exception",
            format!("[{repo}] missing"),
        ));
    };
    let Some(snap) = r.snapshots.get(snapshot) else {
        return Err(EsErr::new(
            404,
            "snapshot_missing_exception",
            format!("[{repo}:{snapshot}] is missing"),
        ));
    };
    let restore_error = |reason: String| {
        EsErr::new(
            500,
            "snapshot_restore_exception",
            format!("[{repo}:{snapshot}/{}] {reason}", snap.uuid),
        )
    };
    match snap.state(now) {
        EmulatedSnapshotState::Success => {}
        EmulatedSnapshotState::InProgress => {
            return Err(restore_error(
                "cannot restore snapshot because it is in progress".into(),
            ))
        }
        other => {
            return Err(restore_error(format!(
                "unsupported snapshot state [{}]",
                other.as_str()
            )))
        }
    }
    let wanted = wanted_indices(&request, snap)?;
    for index in &wanted {
        if !snap.indices.contains(index) {
            return Err(restore_error(format!(
                "snapshot does not contain index [{index}]"
            )));
        }
        if state.known_indices.contains(index) {
            return Err(restore_error(format!(
                "cannot restore index [{index}] because an open index with same name already \
                 exists in the cluster. Either close or delete the existing index or restore the \
                 index under a different name by providing a rename pattern and replacement name"
            )));
        }
    }
    let ready_at = now + i64::try_from(state.completion_delay.as_millis()).unwrap_or(i64::MAX);
    for index in wanted {
        state.index_ready_at.insert(index.clone(), ready_at);
        state.known_indices.insert(index);
    }
    Ok((200, Some(obj().f("accepted", true))))
}
