//! Ordering and paging of the selected snapshots: sort key and order, `from_sort_value`,
//! the `after` cursor, `offset` and `size`, and the `total` / `remaining` / `next` they
//! yield (§4.2, §4.3).

use base64::Engine as _;

use super::select::Entry;
use crate::api::error::{illegal_arg, R};
use crate::Flavor;

/// Sort order and page bounds (7.14+; `offset` 7.15+, `from_sort_value` 7.16+).
#[derive(Debug)]
pub(super) struct Paging<'a> {
    /// `-1`: no limit.
    pub(super) size: i64,
    pub(super) offset: i64,
    pub(super) sort: SortKey,
    pub(super) desc: bool,
    /// The decoded `after` cursor: sort value, repository, snapshot name.
    pub(super) after: Option<(String, String, String)>,
    pub(super) from_sort_value: Option<&'a str>,
}

impl Default for Paging<'_> {
    fn default() -> Self {
        Paging {
            size: -1,
            offset: 0,
            sort: SortKey::StartTime,
            desc: false,
            after: None,
            from_sort_value: None,
        }
    }
}

/// One page of entries and what the answer says about the rest.
pub(super) struct Page<'a> {
    pub(super) entries: Vec<Entry<'a>>,
    /// Entries before `from_sort_value`, `after`, `offset` and `size` were applied.
    pub(super) total: usize,
    /// Entries after this page.
    pub(super) remaining: usize,
    /// The `after` cursor of the next page, when there is one.
    pub(super) next: Option<String>,
}

/// Sorts `entries` (a listing, `verbose=false`, is always by name) and cuts the page.
pub(super) fn paginate<'a>(
    mut entries: Vec<Entry<'a>>,
    pg: &Paging<'_>,
    verbose: bool,
    now: i64,
) -> R<Page<'a>> {
    // By key, then name, then repository (§4.2 default order).
    let sort_key = if verbose { pg.sort } else { SortKey::Name };
    entries.sort_by(|a, b| {
        sort_value(sort_key, a, now)
            .cmp(&sort_value(sort_key, b, now))
            .then_with(|| a.snap.name.cmp(&b.snap.name))
            .then_with(|| a.repo.cmp(b.repo))
    });
    if pg.desc {
        entries.reverse();
    }
    let total = entries.len();
    skip_to_cursors(&mut entries, pg, now)?;
    let offset = usize::try_from(pg.offset).unwrap_or(0);
    let mut page: Vec<Entry<'a>> = entries.into_iter().skip(offset).collect();
    let remaining = match usize::try_from(pg.size) {
        Ok(n) if n > 0 && page.len() > n => {
            let rest = page.len() - n;
            page.truncate(n);
            rest
        }
        _ => 0,
    };
    let next = if remaining > 0 {
        page.last().map(|e| cursor(pg.sort, e, now))
    } else {
        None
    };
    Ok(Page {
        entries: page,
        total,
        remaining,
        next,
    })
}

/// Drops the entries before `from_sort_value` (inclusive bound; an unparsable value is
/// ignored) and up to the `after` cursor (exclusive; an unparsable value is an error).
fn skip_to_cursors(entries: &mut Vec<Entry<'_>>, pg: &Paging<'_>, now: i64) -> R<()> {
    let (sort, desc) = (pg.sort, pg.desc);
    if let Some(v) = pg
        .from_sort_value
        .and_then(|from| parse_sort_val(sort, from))
    {
        entries.retain(|e| {
            let sv = sort_value(sort, e, now);
            if desc {
                sv <= v
            } else {
                sv >= v
            }
        });
    }
    if let Some((value, after_repo, after_name)) = &pg.after {
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
    Ok(())
}

/// The `next` cursor after `e`: URL-safe base64 of `value,repository,name`.
fn cursor(sort: SortKey, e: &Entry<'_>, now: i64) -> String {
    let raw = format!(
        "{},{},{}",
        sort_value(sort, e, now).as_cursor(),
        e.repo,
        e.snap.name
    );
    base64::engine::general_purpose::URL_SAFE.encode(raw)
}

/// The `sort` keys (`repository`, `shard_count`, `failed_shard_count` from 7.16).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum SortKey {
    StartTime,
    Duration,
    Name,
    IndexCount,
    Repository,
    ShardCount,
    FailedShardCount,
}

impl SortKey {
    pub(super) fn parse(flavor: Flavor, s: &str) -> Option<SortKey> {
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

/// One entry's value for a sort key; the `after` and `from_sort_value` cursors are
/// compared with it.
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
