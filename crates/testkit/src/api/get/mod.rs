//! Get snapshots (§4): parameters, then selection, then paging, then the answer.
//!
//! Each step has a module: [`params`] reads and validates the query per flavor,
//! [`select`] finds the snapshots, [`page`] orders and cuts them; this module joins them
//! and renders the answer.

mod page;
mod params;
mod select;

use super::error::{EsErr, R};
use super::params::Params;
use super::render::Reply;
use super::snapshot_info::{render_snapshot, RenderOpts};
use crate::glob;
use crate::json::{obj, J};
use crate::state::{Core, State};
use crate::Flavor;
use page::Page;
use params::GetParams;
use select::Selection;

/// `GET _snapshot/{repositories}/{snapshots}`.
pub(super) fn get_snapshots(
    core: &Core,
    state: &mut State,
    repo_expr: &str,
    names_expr: &str,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let flavor = core.flavor;
    let now = core.clock.now_millis();
    let params = GetParams::parse(flavor, p, path)?;
    let Some(repo_names) = select::repositories(flavor, state, repo_expr, names_expr)? else {
        return Ok(Reply::ok(obj().f("snapshots", J::Arr(Vec::new()))));
    };
    for repo_name in &repo_names {
        if let Some(r) = state.repo_mut(repo_name) {
            r.uuid_known = true;
        }
    }
    let multi_repo = flavor.es_at_least(7, 14)
        && (repo_expr.contains(',') || glob::is_pattern(repo_expr) || repo_expr == "_all");
    let selection = Selection {
        names: names_expr.split(',').filter(|s| !s.is_empty()).collect(),
        ignore_unavailable: params.ignore_unavailable,
        verbose: params.verbose,
        failures_per_repo: multi_repo && !flavor.es_at_least(8, 15),
    };
    let mut selected = select::select(flavor, state, &repo_names, &selection, now)?;
    select::filter(&mut selected.entries, &params.filters, now);
    let page = page::paginate(selected.entries, &params.paging, params.verbose, now)?;
    Ok(Reply::ok(answer(
        flavor,
        &page,
        &selected.failures,
        params.render,
        now,
    )))
}

/// `snapshots`, then `failures` (per repository), `next` (7.14+), `total` and `remaining`
/// (7.15+).
fn answer(
    flavor: Flavor,
    page: &Page<'_>,
    failures: &[(String, EsErr)],
    opts: RenderOpts,
    now: i64,
) -> J {
    let snapshots: Vec<J> = page
        .entries
        .iter()
        .map(|e| render_snapshot(flavor, e.repo, e.snap, now, opts))
        .collect();
    let mut out = obj().f("snapshots", J::Arr(snapshots));
    if !failures.is_empty() {
        let mut f = obj();
        for (repo, e) in failures {
            f.push(repo, e.fields(true));
        }
        out.push("failures", f);
    }
    if flavor.es_at_least(7, 14) {
        if let Some(n) = &page.next {
            out.push("next", n.as_str());
        }
    }
    if flavor.es_at_least(7, 15) {
        out.push("total", page.total);
        out.push("remaining", page.remaining);
    }
    out
}
