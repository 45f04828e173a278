//! Get snapshots (§4).

use std::collections::BTreeSet;

use base64::Engine as _;

use super::error::{
    illegal_arg, missing_blob, repo_missing, snapshot_missing, validation, EsErr, R,
};
use super::params::Params;
use super::render::Reply;
use super::repositories::resolve_repositories;
use crate::glob;
use crate::json::{obj, J};
use crate::model::SnapshotState;
use crate::state::{render_snapshot, Core, RenderOpts, Snap, State};
use crate::Flavor;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SortKey {
    StartTime,
    Duration,
    Name,
    IndexCount,
    Repository,
    ShardCount,
    FailedShardCount,
}

impl SortKey {
    fn parse(flavor: Flavor, s: &str) -> Option<SortKey> {
        let k = match s {
            "start_time" => SortKey::StartTime,
            "duration" => SortKey::Duration,
            "name" => SortKey::Name,
            "index_count" => SortKey::IndexCount,
            "repository" => SortKey::Repository,
            "shard_count" => SortKey::ShardCount,
            "failed_shard_count" => SortKey::FailedShardCount,
            _ => return None,
        };
        let needs_716 = matches!(
            k,
            SortKey::Repository | SortKey::ShardCount | SortKey::FailedShardCount
        );
        (!needs_716 || flavor.es_at_least(7, 16)).then_some(k)
    }
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum SortVal {
    Num(i64),
    Str(String),
}

impl SortVal {
    fn as_cursor(&self) -> String {
        match self {
            SortVal::Num(n) => n.to_string(),
            SortVal::Str(s) => s.clone(),
        }
    }
}

struct Entry<'a> {
    repo: &'a str,
    snap: &'a Snap,
}

fn sort_value(key: SortKey, e: &Entry<'_>, now: i64) -> SortVal {
    let s = e.snap;
    let running = s.is_running(now);
    match key {
        SortKey::StartTime => SortVal::Num(s.start),
        SortKey::Duration => SortVal::Num(s.end_time(now) - s.start),
        SortKey::Name => SortVal::Str(s.name.clone()),
        SortKey::IndexCount => SortVal::Num(s.indices.len() as i64),
        SortKey::Repository => SortVal::Str(e.repo.to_string()),
        SortKey::ShardCount => SortVal::Num(i64::from(s.total_shards)),
        SortKey::FailedShardCount => SortVal::Num(if running {
            0
        } else {
            i64::from(s.total_shards - s.successful_shards.min(s.total_shards))
        }),
    }
}

fn parse_sort_val(key: SortKey, raw: &str) -> Option<SortVal> {
    match key {
        SortKey::Name | SortKey::Repository => Some(SortVal::Str(raw.to_string())),
        _ => raw.parse::<i64>().ok().map(SortVal::Num),
    }
}

/// Name selection up to ES 8.13 and on every OpenSearch (`TransportGetSnapshotsAction`, §4.5).
fn select_legacy<'a>(
    flavor: Flavor,
    repo: &str,
    snaps: &'a std::collections::HashMap<String, Snap>,
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
    snaps: &'a std::collections::HashMap<String, Snap>,
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
    // RestGetSnapshotsAction.prepareRequest, per version (§4.1).
    let ignore_unavailable = p.bool("ignore_unavailable", false)?;
    let verbose = p.bool("verbose", true)?;
    let mut size = -1i64;
    let mut offset = 0i64;
    let mut sort = SortKey::StartTime;
    let mut desc = false;
    let mut after: Option<(String, String, String)> = None;
    let mut from_sort_value: Option<&str> = None;
    let mut policies: Vec<&str> = Vec::new();
    let mut states: Option<Vec<SnapshotState>> = None;
    let paging = flavor.es_at_least(7, 14);
    if paging {
        if let Some(a) = p.str("after") {
            let decoded = base64::engine::general_purpose::URL_SAFE
                .decode(a)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default();
            let parts: Vec<&str> = decoded.split(',').collect();
            if parts.len() != 3 {
                return Err(illegal_arg(format!("invalid ?after parameter [{a}]")));
            }
            after = Some((
                parts[0].to_string(),
                parts[1].to_string(),
                parts[2].to_string(),
            ));
        }
        if flavor.es_at_least(7, 16) {
            from_sort_value = p.str("from_sort_value");
        }
        if let Some(s) = p.str("sort") {
            sort = SortKey::parse(flavor, s)
                .ok_or_else(|| illegal_arg(format!("unknown sort key [{s}]")))?;
        }
        size = p.int("size", -1)?;
        if flavor.es_at_least(7, 15) {
            offset = p.int("offset", 0)?;
        }
        if let Some(o) = p.str("order") {
            desc = match o.to_ascii_lowercase().as_str() {
                "asc" => false,
                "desc" => true,
                _ => return Err(illegal_arg(format!("Unknown SortOrder [{o}]"))),
            };
        }
        if flavor.es_at_least(7, 16) {
            if let Some(f) = p.str("slm_policy_filter") {
                policies = f.split(',').filter(|s| !s.is_empty()).collect();
            }
        }
        if flavor.es_at_least(9, 1) {
            if let Some(st) = p.str("state") {
                let mut list = Vec::new();
                for item in st.split(',').filter(|s| !s.is_empty()) {
                    list.push(SnapshotState::parse(&item.to_ascii_uppercase()).ok_or_else(
                        || {
                            illegal_arg(format!(
                                "No enum constant org.elasticsearch.snapshots.SnapshotState.{item}"
                            ))
                        },
                    )?);
                }
                states = Some(list);
            }
        }
    }
    p.master_timeout()?;
    let mut opts = RenderOpts {
        verbose,
        human: p.bool("human", false)?,
        ..RenderOpts::default()
    };
    if flavor.es_at_least(7, 13) {
        opts.index_details = p.bool("index_details", false)?;
    }
    if flavor.es_at_least(7, 14) {
        opts.include_repository = p.bool("include_repository", true)?;
    }
    if flavor.es_at_least(8, 3) {
        opts.index_names = p.bool("index_names", true)?;
    }
    p.finish(path)?;

    // GetSnapshotsRequest.validate (7.14+).
    if paging {
        let mut errors = Vec::new();
        if size == 0 || size < -1 {
            errors.push("size must be -1 or greater than 0".to_string());
        }
        if offset < 0 {
            errors.push("offset must be greater than or equal to 0".to_string());
        }
        if !verbose {
            if sort != SortKey::StartTime {
                errors.push("can't use non-default sort with verbose=false".to_string());
            }
            if size > 0 {
                errors.push("can't use size limit with verbose=false".to_string());
            }
            if offset > 0 {
                errors.push("can't use offset with verbose=false".to_string());
            }
            if after.is_some() {
                errors.push("can't use after with verbose=false".to_string());
            }
            if desc {
                errors.push("can't use non-default sort order with verbose=false".to_string());
            }
            if !policies.is_empty() {
                errors.push("can't use slm policy filter with verbose=false".to_string());
            }
            if from_sort_value.is_some() {
                errors.push("can't use from_sort_value with verbose=false".to_string());
            }
        } else {
            if after.is_some() && offset > 0 {
                errors.push("can't use after and offset simultaneously".to_string());
            }
            if after.is_some() && from_sort_value.is_some() {
                errors.push("can't use after and from_sort_value simultaneously".to_string());
            }
        }
        if !errors.is_empty() {
            return Err(validation(&errors));
        }
    }

    // Repositories: one exact name on ES ≤ 7.13 and OpenSearch; lists and wildcards from 7.14.
    let repo_names: Vec<String> = if flavor.es_at_least(7, 14) {
        let mut names: Vec<String> = resolve_repositories(flavor, state, repo_expr)?
            .into_iter()
            .map(str::to_owned)
            .collect();
        names.dedup();
        names
    } else {
        if state.repo(repo_expr).is_none() {
            // §2.1: 7.10 and OpenSearch never look the repository up for `_current`.
            if names_expr == "_current" {
                return Ok(Reply::ok(obj().f("snapshots", J::Arr(Vec::new()))));
            }
            return Err(repo_missing(repo_expr));
        }
        vec![repo_expr.to_string()]
    };
    let multi_repo = flavor.es_at_least(7, 14)
        && (repo_expr.contains(',') || glob::is_pattern(repo_expr) || repo_expr == "_all");

    let names: Vec<&str> = names_expr.split(',').filter(|s| !s.is_empty()).collect();
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut failures: Vec<(String, EsErr)> = Vec::new();
    for repo_name in &repo_names {
        if let Some(r) = state.repo_mut(repo_name) {
            r.uuid_known = true;
        }
    }
    for repo_name in &repo_names {
        let Some(repo) = state.repo(repo_name) else {
            continue;
        };
        let selected = if flavor.es_at_least(8, 14) {
            select_predicate(repo_name, &repo.snapshots, &names, ignore_unavailable, now)
        } else {
            select_legacy(
                flavor,
                repo_name,
                &repo.snapshots,
                &names,
                ignore_unavailable,
                now,
            )
        };
        // Verbose reads each snapshot's blob: an unreadable one fails the request (§4.5).
        let selected = selected.and_then(|list| {
            let mut kept = Vec::with_capacity(list.len());
            for s in list {
                // A blob removed from the repository: the read fails with
                // NoSuchFileException, which the engine reports as the
                // snapshot missing, name *and uuid* in the reason (seen on
                // OpenSearch 2.19/3.x and Elasticsearch 7.10).
                if verbose && s.blob_missing && !s.is_running(now) {
                    if ignore_unavailable {
                        continue;
                    }
                    return Err(missing_blob(repo, s));
                }
                if verbose && s.unreadable && !s.is_running(now) {
                    if ignore_unavailable {
                        continue;
                    }
                    return Err(EsErr::new(
                        500,
                        "snapshot_exception",
                        format!(
                            "[{repo_name}:{}/{}] Snapshot could not be read",
                            s.name, s.uuid
                        ),
                    ));
                }
                kept.push(s);
            }
            Ok(kept)
        });
        match selected {
            Ok(list) => entries.extend(list.into_iter().map(|snap| Entry {
                repo: &repo.name,
                snap,
            })),
            // ES 7.14–8.14: per-repository failures of multi-repo requests go to `failures` (§4.2).
            Err(e) if multi_repo && !flavor.es_at_least(8, 15) => {
                failures.push((repo_name.clone(), e))
            }
            Err(e) => return Err(e),
        }
    }

    // Filters (7.16+ slm_policy_filter, 9.1 state).
    if !policies.is_empty() {
        entries.retain(|e| {
            let policy = e.snap.policy_name();
            policies.iter().any(|p| match (*p, policy) {
                ("_none", None) => true,
                (pat, Some(pol)) => glob::matches(pat, pol),
                _ => false,
            })
        });
    }
    if let Some(states) = &states {
        entries.retain(|e| states.contains(&e.snap.state(now)));
    }

    // Sort: by key, then name, then repository (§4.2 default order).
    let sort_key = if verbose { sort } else { SortKey::Name };
    entries.sort_by(|a, b| {
        sort_value(sort_key, a, now)
            .cmp(&sort_value(sort_key, b, now))
            .then_with(|| a.snap.name.cmp(&b.snap.name))
            .then_with(|| a.repo.cmp(b.repo))
    });
    if desc {
        entries.reverse();
    }
    let total = entries.len();
    if let Some(from) = from_sort_value {
        if let Some(v) = parse_sort_val(sort, from) {
            entries.retain(|e| {
                let sv = sort_value(sort, e, now);
                if desc {
                    sv <= v
                } else {
                    sv >= v
                }
            });
        }
    }
    if let Some((value, after_repo, after_name)) = &after {
        let v = parse_sort_val(sort, value)
            .ok_or_else(|| illegal_arg(format!("invalid ?after parameter [{value}]")))?;
        entries.retain(|e| {
            let key = (sort_value(sort, e, now), e.snap.name.as_str(), e.repo);
            let cursor = (v.clone(), after_name.as_str(), after_repo.as_str());
            if desc {
                key < cursor
            } else {
                key > cursor
            }
        });
    }
    let offset = usize::try_from(offset).unwrap_or(0);
    let remaining_pool: Vec<Entry<'_>> = entries.into_iter().skip(offset).collect();
    let (page, remaining) = if size > 0 && remaining_pool.len() > size as usize {
        let n = size as usize;
        let rest = remaining_pool.len() - n;
        let mut v = remaining_pool;
        v.truncate(n);
        (v, rest)
    } else {
        (remaining_pool, 0)
    };
    let next = if remaining > 0 {
        page.last().map(|e| {
            let raw = format!(
                "{},{},{}",
                sort_value(sort, e, now).as_cursor(),
                e.repo,
                e.snap.name
            );
            base64::engine::general_purpose::URL_SAFE.encode(raw)
        })
    } else {
        None
    };

    let snapshots: Vec<J> = page
        .iter()
        .map(|e| render_snapshot(flavor, e.repo, e.snap, now, opts))
        .collect();
    let mut out = obj().f("snapshots", J::Arr(snapshots));
    if !failures.is_empty() {
        let mut f = obj();
        for (repo, e) in &failures {
            f.push(repo, e.fields(true));
        }
        out.push("failures", f);
    }
    if flavor.es_at_least(7, 14) {
        if let Some(n) = next {
            out.push("next", n);
        }
    }
    if flavor.es_at_least(7, 15) {
        out.push("total", total);
        out.push("remaining", remaining);
    }
    Ok(Reply::ok(out))
}
