//! What the cluster is, read once from `GET /`, and every way its product
//! and version change what is sent and how an answer reads.
//!
//! Each quirk is one method of [`ClusterInfo`], whose doc comment says
//! which versions it covers and why, with one test each. The requests
//! themselves (paths, encoding, sending) stay in `client.rs` and
//! `restore.rs`, which ask the dialect and never compare a version or an
//! error `type` themselves. Sources: the wire reference (§ numbers below)
//! and SPEC §6.
//!
//! Where every version's answer is read the same way (the two "nothing
//! matched" answers, the two duplicate-name types), the method still takes
//! the cluster: the rule is about versions, and reading both shapes from
//! every version is the decision it records.
//!
//! Shapes that differ by version but need no decision are read by the
//! tolerant models instead: optional fields and the `responses` wrapper of
//! unreleased ES 8.0 builds in `model.rs`, and the error bodies (the
//! envelope, the 406 string error of OpenSearch and ES 7.10, Amazon's
//! `{"Message": …}`) in `error.rs`.

use backup_actuator_core::Product;

use crate::error::ErrorAnswer;
use crate::model::{GetSnapshotsResponse, RootResponse};

/// `filter_path` of every snapshot lookup (SPEC §6): what the state rules,
/// `details` (§4: a failure's index, shard, reason, node and status) and the
/// schedule (the part metadata) read, the error envelope (filter_path
/// applies to error answers too: without `error` they would arrive as
/// `{}`), and the paging fields. Everything else (index lists, shard
/// counts, end times, feature states) stays in the cluster: about a tenth
/// of the verbose answer. Every product and version knows `filter_path`.
///
/// ```
/// let kept: Vec<&str> = backup_actuator_search::SNAPSHOT_FILTER_PATH.split(',').collect();
/// assert!(kept.contains(&"snapshots.state") && kept.contains(&"error"));
/// ```
pub const SNAPSHOT_FILTER_PATH: &str = "snapshots.snapshot,snapshots.state,\
snapshots.start_time_in_millis,snapshots.failures.index,snapshots.failures.shard_id,\
snapshots.failures.reason,snapshots.failures.node_id,snapshots.failures.status,\
snapshots.metadata.backupId,snapshots.metadata.version,snapshots.metadata.partNo,\
snapshots.metadata.partCount,snapshots.metadata.trigger,\
error,status,next,total,remaining";

/// `filter_path` of a names-and-states lookup (`verbose=false`, SPEC §1):
/// the name and state of each snapshot, the error envelope, and the
/// counts ES ≥ 7.15 adds (kept so an empty answer reads as one). The
/// index and data stream lists a listing carries stay in the cluster.
///
/// ```
/// let kept: Vec<&str> = backup_actuator_search::SNAPSHOT_STATES_FILTER_PATH.split(',').collect();
/// assert!(kept.contains(&"snapshots.state") && !kept.iter().any(|k| k.contains("indices")));
/// ```
pub const SNAPSHOT_STATES_FILTER_PATH: &str =
    "snapshots.snapshot,snapshots.state,error,status,total,remaining";

/// The product and version of a cluster, as `GET /` reported them.
///
/// The product is decided by `version.distribution == "opensearch"`, never
/// by the number (OpenSearch 1.x can be configured to report `7.10.2`).
///
/// ```
/// use backup_actuator_core::Product;
/// use backup_actuator_search::ClusterInfo;
///
/// let info = ClusterInfo::new(Product::Elasticsearch, "8.15.3-SNAPSHOT").unwrap();
/// assert_eq!((info.major, info.minor, info.patch), (8, 15, 3));
/// assert!(ClusterInfo::new(Product::OpenSearch, "two").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterInfo {
    /// Elasticsearch or OpenSearch.
    pub product: Product,
    /// `version.number` as reported, e.g. `8.15.3` or `2.11.0`.
    pub number: String,
    /// The major version.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
    /// The patch version (0 when not given).
    pub patch: u32,
}

impl ClusterInfo {
    /// Reads a version number such as `8.15.3`, `9.0.0-beta1` or `8.6`;
    /// `None` when it does not start with `major.minor`. Pre-releases and
    /// snapshot builds (`8.13.5-snapshot`) count as their release.
    pub fn new(product: Product, number: &str) -> Option<ClusterInfo> {
        let mut parts = number.split('.').map(leading_number);
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        Some(ClusterInfo {
            product,
            number: number.to_owned(),
            major,
            minor,
            patch,
        })
    }

    /// Reads the answer to `GET /` (wire reference §7). OpenSearch is
    /// recognised by `version.distribution == "opensearch"`, which every
    /// OpenSearch sends and no Elasticsearch does; never by the number,
    /// which OpenSearch 1.x with `compatibility.override_main_response_version`
    /// reports as `7.10.2`. `Err` says what is wrong with the answer.
    pub(crate) fn from_root(body: &[u8]) -> Result<ClusterInfo, String> {
        let root: RootResponse<'_> = serde_json::from_slice(body)
            .map_err(|e| format!("not a cluster information document ({e})"))?;
        let version = root
            .version
            .ok_or("no version in the cluster information")?;
        let product = match version.distribution.as_deref() {
            Some("opensearch") => Product::OpenSearch,
            _ => Product::Elasticsearch,
        };
        let number = version
            .number
            .ok_or("no version.number in the cluster information")?;
        ClusterInfo::new(product, &number)
            .ok_or_else(|| format!("version.number [{number}] is not a version"))
    }

    fn es_at_least(&self, major: u32, minor: u32) -> bool {
        self.product == Product::Elasticsearch && (self.major, self.minor) >= (major, minor)
    }

    /// ES ≥ 8.3 knows `index_names=false`, which leaves every snapshot's
    /// index list out of a lookup (§4.1). OpenSearch and older ES refuse
    /// the parameter as unrecognised, so it is sent to ES ≥ 8.3 only.
    pub(crate) fn knows_index_names(&self) -> bool {
        self.es_at_least(8, 3)
    }

    /// ES ≥ 7.14 pages snapshot lookups with `size` and `after`, answering
    /// `next` while matches remain (§4.1, §4.2). OpenSearch and ES ≤ 7.13
    /// refuse `size` as unrecognised and always answer in one piece. No
    /// `sort` is sent: the default (start time, then name) is what the
    /// `next` cursor continues.
    pub(crate) fn pages_snapshots(&self) -> bool {
        self.es_at_least(7, 14)
    }

    /// The query of a snapshot lookup (SPEC §6), in this order:
    /// `filter_path` ([`SNAPSHOT_FILTER_PATH`]) and `ignore_unavailable=true`
    /// on every version, `index_names=false` where
    /// [known](Self::knows_index_names), and `size` where the cluster
    /// [pages](Self::pages_snapshots). `ignore_unavailable`: one unreadable
    /// snapshot blob leaves its backup short of that part instead of
    /// failing every lookup (from ES 8.15 it fails the whole answer
    /// otherwise, §4.5).
    pub(crate) fn snapshot_lookup_query<'a>(&self, page_size: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut query = vec![
            ("filter_path", SNAPSHOT_FILTER_PATH),
            ("ignore_unavailable", "true"),
        ];
        if self.knows_index_names() {
            query.push(("index_names", "false"));
        }
        if self.pages_snapshots() {
            query.push(("size", page_size));
        }
        query
    }

    /// The query of a names-and-states lookup (`verbose=false`, SPEC §1):
    /// `verbose=false`, `filter_path` ([`SNAPSHOT_STATES_FILTER_PATH`]) and
    /// `ignore_unavailable=true` on every version, `index_names=false`
    /// where [known](Self::knows_index_names). Never `size`: ES ≥ 7.14
    /// refuses `size`, `after` and `sort` with `verbose=false` ("can't use
    /// size limit with verbose=false"), and answers the listing in one
    /// piece from the repository index, every version alike; a running
    /// snapshot comes from the cluster state as `IN_PROGRESS`.
    pub(crate) fn snapshot_states_query(&self) -> Vec<(&'static str, &'static str)> {
        let mut query = vec![
            ("verbose", "false"),
            ("filter_path", SNAPSHOT_STATES_FILTER_PATH),
            ("ignore_unavailable", "true"),
        ];
        if self.knows_index_names() {
            query.push(("index_names", "false"));
        }
        query
    }

    /// Where the next page of a lookup starts: the `next` of the answer
    /// where the cluster [pages](Self::pages_snapshots), unless
    /// `remaining` (ES ≥ 7.15; 7.14 sends `next` alone) says nothing is
    /// left. A `next` from a cluster that does not page is not followed:
    /// `after` would be refused there.
    pub(crate) fn next_page<'a>(&self, page: &'a GetSnapshotsResponse<'_>) -> Option<&'a str> {
        if !self.pages_snapshots() || page.remaining == Some(0) {
            return None;
        }
        page.next.as_deref()
    }

    /// Whether an answer without a `snapshots` list is an empty page:
    /// `filter_path` drops what it empties, so a lookup that matched
    /// nothing arrives as `{}` (every version) or as the paging fields
    /// alone (`{"total":0,"remaining":0}`, ES ≥ 7.15), not as `[]`.
    pub(crate) fn is_filtered_empty(&self, page: &GetSnapshotsResponse<'_>, body: &[u8]) -> bool {
        page.total.is_some() || page.remaining.is_some() || is_empty_object(body)
    }

    /// Whether an error answer to a lookup means "no snapshot matched":
    /// ES ≤ 8.13 and every OpenSearch answer 404 `snapshot_missing_exception`
    /// to a pattern that matches nothing, ES ≥ 8.14 answers 200 with an
    /// empty list (§4.5, §10.1). The 404 is read so from every version, as
    /// the 8.14 boundary is inferred and both shapes mean the same.
    pub(crate) fn is_no_match(&self, error: &ErrorAnswer) -> bool {
        error.is(404, "snapshot_missing_exception")
    }

    /// Whether an error answer means the repository is not registered:
    /// 404 `repository_missing_exception` on every product and version,
    /// for every request under `_snapshot/{repo}` (§2.1; ES ≥ 8.7 may list
    /// several names in the reason, never the case for one repository).
    pub(crate) fn is_repository_missing(&self, error: &ErrorAnswer) -> bool {
        error.is(404, "repository_missing_exception")
    }

    /// Whether a 2xx answer to `GET _snapshot/{repo}` registers
    /// `repository`: an object keyed by repository name (§2.1). A name
    /// that matches no repository by wildcard is answered 200 `{}`, not
    /// 404, on every version, hence the key is looked for. `Err` when the
    /// body is not JSON.
    pub(crate) fn registers_repository(
        &self,
        body: &[u8],
        repository: &str,
    ) -> Result<bool, serde_json::Error> {
        Ok(match serde_json::from_slice::<serde_json::Value>(body)? {
            serde_json::Value::Object(found) => found.contains_key(repository),
            _ => false,
        })
    }

    /// The query of a snapshot create: `wait_for_completion=false` on
    /// every version, answered `{"accepted":true}` at once (§3.1), so that
    /// a backup is triggered and not awaited.
    pub(crate) fn create_query(&self) -> &'static [(&'static str, &'static str)] {
        &[("wait_for_completion", "false")]
    }

    /// Whether a refused create means the name is taken (SPEC §5's 409):
    /// HTTP 400 of type `invalid_snapshot_name_exception` (ES ≤ 8.1 and
    /// OpenSearch) or `snapshot_name_already_in_use_exception` (ES ≥ 8.2),
    /// whose reason says `snapshot with the same name` (already exists, or
    /// is already in progress). The type alone is not enough: the same
    /// types refuse malformed names (§3.3, §10.6).
    pub(crate) fn is_name_in_use(&self, error: &ErrorAnswer) -> bool {
        let duplicate_type = error.is(400, "invalid_snapshot_name_exception")
            || error.is(400, "snapshot_name_already_in_use_exception");
        let same_name = error
            .reason
            .as_deref()
            .is_some_and(|reason| reason.contains("snapshot with the same name"));
        duplicate_type && same_name
    }

    /// The query of a snapshot delete: none. Every version waits for the
    /// deletion before answering; only ES ≥ 8.15 knows `wait_for_completion`
    /// (default `true`), and OpenSearch refuses it as unrecognised (§5).
    pub(crate) fn delete_query(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Which of `names` a refused delete says is missing, when the answer
    /// is 404 `snapshot_missing_exception` (every version: one exact name
    /// that is gone fails the whole delete, §5). Its reason names it as
    /// `[repo:name] is missing`, or `[repo:name/uuid] …` where the cluster
    /// read the snapshot first; a reason naming none of them falls back
    /// to the first name. `None` for any other answer.
    pub(crate) fn missing_snapshot<'n>(
        &self,
        error: &ErrorAnswer,
        repository: &str,
        names: &'n [String],
    ) -> Option<&'n String> {
        if !error.is(404, "snapshot_missing_exception") {
            return None;
        }
        missing_snapshot_name(error.reason.as_deref(), repository, names).or(names.first())
    }

    /// Whether a refused index delete means the index is gone already:
    /// 404 `index_not_found_exception` on every version; what a restore's
    /// delete asked for holds.
    pub(crate) fn is_index_gone(&self, error: &ErrorAnswer) -> bool {
        error.is(404, "index_not_found_exception")
    }

    /// Whether an answer of `_cluster/health` carries the health: a 2xx,
    /// or 408 on every version, which says the health request's own wait
    /// timed out and still reports each index.
    pub(crate) fn health_is_readable(&self, status: u16) -> bool {
        (200..300).contains(&status) || status == 408
    }
}

fn leading_number(part: &str) -> Option<u32> {
    let end = part
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(part.len());
    part[..end].parse().ok()
}

/// `{}`, whitespace allowed: what filter_path leaves of an answer where
/// nothing matched.
fn is_empty_object(body: &[u8]) -> bool {
    let mut rest = body.iter().filter(|b| !b.is_ascii_whitespace());
    rest.next() == Some(&b'{') && rest.next() == Some(&b'}') && rest.next().is_none()
}

/// The snapshot name of `[repo:name] is missing` or `[repo:name/uuid] …`,
/// if it is one of `names`.
fn missing_snapshot_name<'a>(
    reason: Option<&str>,
    repository: &str,
    names: &'a [String],
) -> Option<&'a String> {
    let inside = reason?
        .strip_prefix('[')?
        .strip_prefix(repository)?
        .strip_prefix(':')?;
    let name = &inside[..inside.find(']')?];
    let name = name.split_once('/').map_or(name, |(name, _uuid)| name);
    names.iter().find(|candidate| candidate.as_str() == name)
}

#[cfg(test)]
mod tests;
