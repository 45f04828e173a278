//! Which snapshots a get selects: the repositories of the path, the names and patterns
//! per repository (two algorithms, §4.5), the readability of each snapshot's blob, and
//! the `slm_policy_filter` / `state` filters.

use std::collections::{BTreeSet, HashMap};

use crate::api::error::{missing_blob, repo_missing, snapshot_missing, EsErr, R};
use crate::api::repositories::resolve_repositories;
use crate::glob;
use crate::model::EmulatedSnapshotState;
use crate::state::{Repo, Snap, State};
use crate::Flavor;

/// One selected snapshot and the repository it is in.
pub(super) struct Entry<'a> {
    pub(super) repo: &'a str,
    pub(super) snap: &'a Snap,
}

/// The repositories of the path: one exact name on ES ≤ 7.13 and OpenSearch; lists and
/// wildcards from 7.14. `None`: a 7.10 / OpenSearch `_current` in a repository that does
/// not exist, which those releases answer with no snapshots instead of looking it up (§2.1).
pub(super) fn repositories(
    flavor: Flavor,
    state: &State,
    repo_expr: &str,
    names_expr: &str,
) -> R<Option<Vec<String>>> {
    if flavor.es_at_least(7, 14) {
        let mut names: Vec<String> = resolve_repositories(flavor, state, repo_expr)?
            .into_iter()
            .map(str::to_owned)
            .collect();
        names.dedup();
        return Ok(Some(names));
    }
    if state.repo(repo_expr).is_some() {
        Ok(Some(vec![repo_expr.to_string()]))
    } else if names_expr == "_current" {
        Ok(None)
    } else {
        Err(repo_missing(repo_expr))
    }
}

/// `slm_policy_filter` (7.16+) and `state` (9.1+).
#[derive(Debug, Default)]
pub(super) struct Filters<'a> {
    pub(super) policies: Vec<&'a str>,
    pub(super) states: Option<Vec<EmulatedSnapshotState>>,
}

/// What a get asks of each repository.
pub(super) struct Selection<'n> {
    pub(super) names: Vec<&'n str>,
    pub(super) ignore_unavailable: bool,
    pub(super) verbose: bool,
    /// ES 7.14–8.14 report a repository's failure of a multi-repository get in `failures`
    /// instead of failing the request (§4.2).
    pub(super) failures_per_repo: bool,
}

/// What [`select`] found.
pub(super) struct Selected<'a> {
    pub(super) entries: Vec<Entry<'a>>,
    /// The repositories that failed, when [`Selection::failures_per_repo`] (otherwise
    /// their error fails the request).
    pub(super) failures: Vec<(String, EsErr)>,
}

/// The selected snapshots of every repository.
pub(super) fn select<'a>(
    flavor: Flavor,
    state: &'a State,
    repo_names: &[String],
    sel: &Selection<'_>,
    now: i64,
) -> R<Selected<'a>> {
    let mut entries: Vec<Entry<'a>> = Vec::new();
    let mut failures: Vec<(String, EsErr)> = Vec::new();
    for repo_name in repo_names {
        let Some(repo) = state.repo(repo_name) else {
            continue;
        };
        let selected = if flavor.es_at_least(8, 14) {
            select_predicate(
                repo_name,
                &repo.snapshots,
                &sel.names,
                sel.ignore_unavailable,
                now,
            )
        } else {
            select_legacy(
                flavor,
                repo_name,
                &repo.snapshots,
                &sel.names,
                sel.ignore_unavailable,
                now,
            )
        };
        match selected.and_then(|list| readable(repo, list, sel, now)) {
            Ok(list) => entries.extend(list.into_iter().map(|snap| Entry {
                repo: &repo.name,
                snap,
            })),
            Err(e) if sel.failures_per_repo => failures.push((repo_name.clone(), e)),
            Err(e) => return Err(e),
        }
    }
    Ok(Selected { entries, failures })
}

/// A verbose get reads each selected snapshot's blob: an unreadable one fails the request,
/// or is skipped with `ignore_unavailable` (§4.5). A listing (`verbose=false`) and a running
/// snapshot read no blob.
fn readable<'a>(
    repo: &'a Repo,
    list: Vec<&'a Snap>,
    sel: &Selection<'_>,
    now: i64,
) -> R<Vec<&'a Snap>> {
    let mut kept = Vec::with_capacity(list.len());
    for s in list {
        // A blob removed from the repository: the read fails with
        // NoSuchFileException, which the engine reports as the
        // snapshot missing, name *and uuid* in the reason (seen on
        // OpenSearch 2.19/3.x and Elasticsearch 7.10).
        if sel.verbose && s.blob_missing && !s.is_running(now) {
            if sel.ignore_unavailable {
                continue;
            }
            return Err(missing_blob(repo, s));
        }
        if sel.verbose && s.unreadable && !s.is_running(now) {
            if sel.ignore_unavailable {
                continue;
            }
            return Err(EsErr::new(
                500,
                "snapshot_exception",
                format!(
                    "[{}:{}/{}] Snapshot could not be read",
                    repo.name, s.name, s.uuid
                ),
            ));
        }
        kept.push(s);
    }
    Ok(kept)
}

/// Keeps the entries `slm_policy_filter` (7.16+) and `state` (9.1) let through.
pub(super) fn filter(entries: &mut Vec<Entry<'_>>, filters: &Filters<'_>, now: i64) {
    if !filters.policies.is_empty() {
        entries.retain(|e| {
            let policy = e.snap.policy_name();
            filters.policies.iter().any(|p| match (*p, policy) {
                ("_none", None) => true,
                (pat, Some(pol)) => glob::matches(pat, pol),
                _ => false,
            })
        });
    }
    if let Some(states) = &filters.states {
        entries.retain(|e| states.contains(&e.snap.state(now)));
    }
}

/// Name selection up to ES 8.13 and on every OpenSearch (`TransportGetSnapshotsAction`, §4.5).
fn select_legacy<'a>(
    flavor: Flavor,
    repo: &str,
    snaps: &'a HashMap<String, Snap>,
    names: &[&str],
    ignore_unavailable: bool,
    now: i64,
) -> R<Vec<&'a Snap>> {
    let is_all = names.is_empty() || (names.len() == 1 && names[0].eq_ignore_ascii_case("_all"));
    if is_all {
        return Ok(snaps.values().collect());
    }
    let current_only = names.len() == 1 && names[0].eq_ignore_ascii_case("_current");
    let mut chosen: BTreeSet<&str> = BTreeSet::new();
    let mut includes: Vec<&str> = Vec::new();
    let mut excludes: Vec<&str> = Vec::new();
    let mut seen_wildcard = false;
    for n in names {
        if flavor.es_at_least(7, 16) && seen_wildcard && n.len() > 1 && n.starts_with('-') {
            excludes.push(&n[1..]);
        } else if n.eq_ignore_ascii_case("_current") {
            chosen.extend(
                snaps
                    .values()
                    .filter(|s| s.is_running(now))
                    .map(|s| s.name.as_str()),
            );
        } else if glob::is_pattern(n) {
            seen_wildcard = true;
            includes.push(n);
        } else if snaps.contains_key(*n) {
            chosen.insert(n);
        } else if !ignore_unavailable {
            return Err(snapshot_missing(repo, n));
        }
    }
    for s in snaps.values() {
        if includes.iter().any(|p| glob::matches(p, &s.name))
            && !excludes.iter().any(|p| glob::matches(p, &s.name))
        {
            chosen.insert(&s.name);
        }
    }
    if chosen.is_empty() && !ignore_unavailable && !current_only {
        return Err(snapshot_missing(repo, names[0]));
    }
    if chosen.is_empty()
        && ignore_unavailable
        && !current_only
        && flavor.is_opensearch()
        && !flavor.os_at_least(2, 7)
    {
        // OpenSearch < 2.7 bug (issue #6820): an empty selection returns the running snapshots.
        return Ok(snaps.values().filter(|s| s.is_running(now)).collect());
    }
    Ok(chosen.iter().filter_map(|n| snaps.get(*n)).collect())
}

/// Name selection from ES 8.14 (`SnapshotNamePredicate`, §4.5): unmatched patterns are not an error.
fn select_predicate<'a>(
    repo: &str,
    snaps: &'a HashMap<String, Snap>,
    names: &[&str],
    ignore_unavailable: bool,
    now: i64,
) -> R<Vec<&'a Snap>> {
    let is_all = names.is_empty() || (names.len() == 1 && (names[0] == "_all" || names[0] == "*"));
    if is_all {
        return Ok(snaps.values().collect());
    }
    let mut required: Vec<&str> = Vec::new();
    let mut includes: Vec<&str> = Vec::new();
    let mut excludes: Vec<&str> = Vec::new();
    let mut current = false;
    let mut seen_wildcard = false;
    for n in names {
        if seen_wildcard && n.len() > 1 && n.starts_with('-') {
            excludes.push(&n[1..]);
        } else if n.eq_ignore_ascii_case("_current") {
            current = true;
        } else if glob::is_pattern(n) {
            seen_wildcard = true;
            includes.push(n);
        } else {
            required.push(n);
        }
    }
    if !ignore_unavailable {
        if let Some(missing) = required.iter().find(|n| !snaps.contains_key(**n)) {
            return Err(snapshot_missing(repo, missing));
        }
    }
    Ok(snaps
        .values()
        .filter(|s| {
            required.contains(&s.name.as_str())
                || (current && s.is_running(now))
                || (includes.iter().any(|p| glob::matches(p, &s.name))
                    && !excludes.iter().any(|p| glob::matches(p, &s.name)))
        })
        .collect())
}
