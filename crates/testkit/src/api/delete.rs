//! Delete snapshots (§5): names and patterns resolved once, then removed.

use std::collections::BTreeSet;

use super::error::{repo_missing, snapshot_missing, R};
use super::params::Params;
use super::render::{acknowledged, Reply};
use crate::glob;
use crate::state::{Core, State};

pub(super) fn delete_snapshots(
    core: &Core,
    state: &mut State,
    repo: &str,
    names_expr: &str,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let flavor = core.flavor;
    p.master_timeout()?;
    if flavor.es_at_least(8, 15) {
        p.bool("wait_for_completion", true)?;
    }
    p.finish(path)?;
    let r = state.repo_mut(repo).ok_or_else(|| repo_missing(repo))?;
    r.uuid_known = true;
    let names: Vec<&str> = names_expr.split(',').filter(|s| !s.is_empty()).collect();
    // Resolution happens once, before anything is deleted.
    let mut doomed: BTreeSet<String> = BTreeSet::new();
    for n in &names {
        if glob::is_pattern(n) {
            doomed.extend(r.snapshots.keys().filter(|k| glob::matches(n, k)).cloned());
        } else if r.snapshots.contains_key(*n) {
            doomed.insert(n.to_string());
        } else {
            return Err(snapshot_missing(repo, n));
        }
    }
    // Running snapshots are aborted, then deleted: either way they are gone afterwards.
    for name in &doomed {
        r.snapshots.remove(name);
    }
    Ok(acknowledged())
}
