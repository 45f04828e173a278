//! Repositories (§2): resolve, get, put, delete.

use super::error::{repo_missing, validation, EsErr, R};
use super::params::{parse_body_map, Params};
use super::render::{acknowledged, Reply};
use crate::glob;
use crate::json::obj;
use crate::state::{Core, State};
use crate::Flavor;

/// The repositories a comma list of names and `*` patterns selects (`_all`,
/// `*` or nothing: all), in the order given; any exact name that does not
/// exist is `repository_missing_exception` (§2.1).
pub(super) fn resolve_repositories<'s>(
    flavor: Flavor,
    state: &'s State,
    expr: &'s str,
) -> R<Vec<&'s str>> {
    let parts: Vec<&str> = expr.split(',').filter(|s| !s.is_empty()).collect();
    if parts.is_empty() || parts == ["_all"] || parts == ["*"] {
        return Ok(state.repos.iter().map(|r| r.name.as_str()).collect());
    }
    let mut selected: Vec<&str> = Vec::new();
    let mut missing: Vec<&str> = Vec::new();
    for part in parts {
        if glob::is_pattern(part) {
            selected.extend(
                state
                    .repos
                    .iter()
                    .filter(|r| glob::matches(part, &r.name))
                    .map(|r| r.name.as_str()),
            );
        } else if state.repo(part).is_some() {
            selected.push(part);
        } else {
            missing.push(part);
        }
    }
    if !missing.is_empty() {
        // ES 8.7+ lists every missing name (PR #92914); before, the first one.
        let name = if flavor.es_at_least(8, 7) {
            missing.join(", ")
        } else {
            missing[0].to_string()
        };
        return Err(repo_missing(&name));
    }
    Ok(selected)
}

pub(super) fn get_repositories(
    flavor: Flavor,
    state: &State,
    expr: &str,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    p.bool("local", false)?;
    p.master_timeout()?;
    p.finish(path)?;
    let selected = resolve_repositories(flavor, state, expr)?;
    let mut out = obj();
    for repo in &state.repos {
        if !selected.contains(&repo.name.as_str()) {
            continue;
        }
        let mut r = obj().f("type", repo.repo_type.as_str());
        if flavor.es_at_least(7, 12) && repo.uuid_known {
            r.push("uuid", repo.uuid.as_str());
        }
        let mut settings = obj();
        for (k, v) in &repo.settings {
            settings.push(k, v.as_str());
        }
        r.push("settings", settings);
        out.push(&repo.name, r);
    }
    Ok(Reply::ok(out))
}

fn flatten_settings(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_settings(&key, v, out);
            }
        }
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        serde_json::Value::Null => {}
        serde_json::Value::Array(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect();
            out.push((prefix.to_string(), items.join(",")));
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

const REPO_TYPES: &[&str] = &["fs", "url", "source", "s3", "azure", "gcs", "hdfs"];

pub(super) fn put_repository(
    flavor: Flavor,
    state: &mut State,
    name: &str,
    body: &[u8],
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let verify = p.bool("verify", true)?;
    p.ack_timeouts()?;
    let map = parse_body_map(body)?
        .ok_or_else(|| EsErr::new(400, "parse_exception", "request body is required"))?;
    p.finish(path)?;
    let repo_type = match map.get("type") {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(_) | None => return Err(validation(&["type is missing".to_string()])),
    };
    let mut settings = Vec::new();
    if let Some(s) = map.get("settings") {
        flatten_settings("", s, &mut settings);
    }
    validate_repository(flavor, state, name, &repo_type, &settings)?;
    state.put_repo(name, &repo_type, settings, verify);
    Ok(acknowledged())
}

/// `RepositoriesService.validate`, then an `fs` location against `path.repo` (§2.2).
fn validate_repository(
    flavor: Flavor,
    state: &State,
    name: &str,
    repo_type: &str,
    settings: &[(String, String)],
) -> R<()> {
    let refused = |reason: String| EsErr::new(500, "repository_exception", reason);
    if name.contains('#') {
        return Err(refused(format!("[{name}] must not contain '#'")));
    }
    if name.chars().any(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ','
        )
    }) {
        return Err(refused(format!(
            "[{name}] must not contain the following characters {}",
            flavor.invalid_filename_chars()
        )));
    }
    if !REPO_TYPES.contains(&repo_type) {
        return Err(refused(format!(
            "[{name}] repository type [{repo_type}] does not exist"
        )));
    }
    if repo_type != "fs" {
        return Ok(());
    }
    let location = settings
        .iter()
        .find(|(k, _)| k == "location")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    match fs_location_problem(state, name, location) {
        None => Ok(()),
        Some(inner) => {
            Err(refused(format!("[{name}] failed to create repository")).caused_by(refused(inner)))
        }
    }
}

/// Why an `fs` location is refused: missing, or an absolute path outside every `path.repo`
/// root (a relative location is accepted).
fn fs_location_problem(state: &State, name: &str, location: &str) -> Option<String> {
    if location.is_empty() {
        return Some(format!("[{name}] missing location"));
    }
    match &state.path_repo {
        None => None,
        Some(roots) if roots.is_empty() => Some(format!(
            "[{name}] location [{location}] doesn't match any of the locations specified by path.repo because this setting is empty"
        )),
        Some(roots) => {
            let ok = !location.starts_with('/')
                || roots.iter().any(|r| location == *r || location.starts_with(&format!("{}/", r.trim_end_matches('/'))));
            (!ok).then(|| {
                format!("[{name}] location [{location}] doesn't match any of the locations specified by path.repo")
            })
        }
    }
}

/// `DELETE _snapshot/{repos}`. A repository a snapshot is running in is
/// not unregistered: the engines answer 500 `illegal_state_exception`
/// (recorded by the server's `live_faults` suite,
/// `tests/fixtures/faults/*/unregister_in_use.json`).
pub(super) fn delete_repository(
    state: &mut State,
    expr: &str,
    p: &mut Params<'_>,
    path: &str,
    now: i64,
) -> R<Reply> {
    p.ack_timeouts()?;
    p.finish(path)?;
    let parts: Vec<&str> = expr.split(',').collect();
    for part in &parts {
        if !glob::is_pattern(part) && part != &"_all" && state.repo(part).is_none() {
            return Err(repo_missing(part));
        }
    }
    let selected = |r: &crate::state::Repo| {
        parts.iter().any(|part| {
            *part == "_all"
                || (glob::is_pattern(part) && glob::matches(part, &r.name))
                || *part == r.name
        })
    };
    let in_use = state
        .repos
        .iter()
        .any(|r| selected(r) && r.snapshots.values().any(|s| s.is_running(now)));
    if in_use {
        return Err(EsErr::new(
            500,
            "illegal_state_exception",
            "trying to modify or unregister repository that is currently used",
        ));
    }
    state.repos.retain(|r| !selected(r));
    Ok(acknowledged())
}

/// `POST _snapshot/{repo}/_verify`: the one node verified it; the repository's uuid is
/// known from now on (§2.1).
pub(super) fn verify_repository(
    core: &Core,
    state: &mut State,
    repo: &str,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    p.ack_timeouts()?;
    p.finish(path)?;
    let r = state.repo_mut(repo).ok_or_else(|| repo_missing(repo))?;
    r.uuid_known = true;
    Ok(Reply::ok(obj().f(
        "nodes",
        obj().f(&core.node_id, obj().f("name", core.node_name.as_str())),
    )))
}

/// `POST _snapshot/{repo}/_cleanup`: nothing is ever left to clean up.
pub(super) fn cleanup_repository(
    state: &State,
    repo: &str,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    p.ack_timeouts()?;
    p.finish(path)?;
    state.repo(repo).ok_or_else(|| repo_missing(repo))?;
    Ok(Reply::ok(obj().f(
        "results",
        obj().f("deleted_bytes", 0u32).f("deleted_blobs", 0u32),
    )))
}
