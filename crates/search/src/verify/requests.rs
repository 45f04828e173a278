//! The cluster calls of a drill, in the order the crate docs list them: the
//! scratch names free, the room check, then per part the restore under
//! scratch names, the wait for its shards, the reads of each index, and the
//! deletion of its scratch indices.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use backup_actuator_core::{
    BackupId, BackupPlan, BackupState, Backups, OutputZone, SnapshotRecord,
};
use backup_actuator_store::{Operation, StoreError};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{
    check_scratch_names, scratch_index_name, scratch_prefix, UnrestorableShard, VerifiedIndex,
    VerifyError, VerifyEvent, VerifyOptions,
};
use crate::client::{encode, is_success, refused, Answer, Client, SEGMENT};
use crate::error::{unreadable, ErrorAnswer};
use crate::restore::{RestorePart, RestorePlan};

/// Index lists in one request path stay below this many bytes, well under
/// the 4 KiB request line the engines take by default.
const MAX_LIST_BYTES: usize = 2000;

/// Right after a restore the node answering a read may not yet have applied
/// the cluster state in which the shard started (503 "all shards failed"
/// with no failed shard) though the shard reads STARTED: such an answer is
/// asked again for this long.
const NOT_YET_SEARCHABLE: Duration = Duration::from_secs(10);

/// The reason the engines give a shard whose recovery (here: its restore)
/// failed.
const ALLOCATION_FAILED: &str = "ALLOCATION_FAILED";

#[derive(Deserialize)]
struct SnapshotStatusAnswer {
    #[serde(default)]
    snapshots: Vec<SnapshotStatus>,
}

#[derive(Deserialize)]
struct SnapshotStatus {
    snapshot: String,
    #[serde(default)]
    stats: Option<SnapshotStats>,
}

#[derive(Deserialize)]
struct SnapshotStats {
    #[serde(default)]
    total: Option<SizeStats>,
}

#[derive(Deserialize)]
struct SizeStats {
    #[serde(default)]
    size_in_bytes: u64,
}

#[derive(Deserialize)]
struct NodesStats {
    #[serde(default)]
    nodes: HashMap<String, NodeStats>,
}

#[derive(Deserialize)]
struct NodeStats {
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    fs: Option<NodeFs>,
}

#[derive(Deserialize)]
struct NodeFs {
    #[serde(default)]
    total: Option<FsTotal>,
}

#[derive(Deserialize)]
struct FsTotal {
    #[serde(default)]
    available_in_bytes: Option<u64>,
}

/// One row of `_cat/shards?format=json`.
#[derive(Deserialize)]
struct CatShard {
    index: String,
    shard: String,
    prirep: String,
    state: String,
    #[serde(rename = "unassigned.reason", default)]
    unassigned_reason: Option<String>,
    #[serde(rename = "unassigned.details", default)]
    unassigned_details: Option<String>,
}

/// One index of a `_recovery` answer.
#[derive(Deserialize)]
struct IndexRecovery {
    #[serde(default)]
    shards: Vec<ShardRecovery>,
}

#[derive(Deserialize)]
struct ShardRecovery {
    #[serde(default)]
    primary: bool,
    index: Option<RecoveredFiles>,
}

#[derive(Deserialize)]
struct RecoveredFiles {
    size: Option<RecoveredSize>,
}

#[derive(Deserialize)]
struct RecoveredSize {
    #[serde(default)]
    total_in_bytes: u64,
}

#[derive(Deserialize)]
struct CountAnswer {
    count: u64,
    #[serde(rename = "_shards")]
    shards: Option<ShardsHeader>,
}

#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(rename = "_shards")]
    shards: Option<ShardsHeader>,
}

#[derive(Deserialize)]
struct ShardsHeader {
    #[serde(default)]
    failed: u64,
}

/// The room check's finding: needed and free bytes.
pub(crate) struct Room {
    pub(crate) needed: u64,
    pub(crate) free: u64,
}

/// One index of a part under its scratch name.
struct Scratch<'p> {
    source: &'p str,
    scratch: String,
}

/// The newest COMPLETE backup among `records`: by the earliest start of its
/// parts, then by id (SPEC §10's "newest COMPLETE backup of all").
pub(crate) fn newest_complete(plan: &BackupPlan, records: Vec<SnapshotRecord>) -> Option<BackupId> {
    let mut started: HashMap<BackupId, i64> = HashMap::new();
    for record in &records {
        if let Some(parsed) = plan.parse_snapshot_name(&record.name) {
            let start = record.start_time_millis.unwrap_or(i64::MIN);
            started
                .entry(parsed.backup_id)
                .and_modify(|earliest| *earliest = (*earliest).min(start))
                .or_insert(start);
        }
    }
    Backups::from_snapshots(plan, records, &OutputZone::utc())
        .list()
        .iter()
        .filter(|backup| backup.state == BackupState::Complete)
        .map(|backup| {
            let start = started.get(&backup.backup_id).copied().unwrap_or(i64::MIN);
            (start, backup.backup_id)
        })
        .max()
        .map(|(_, id)| id)
}

/// Index names joined by commas, in groups that keep a path short.
fn comma_lists(names: &[String]) -> Vec<String> {
    let mut lists = Vec::new();
    let mut current = String::new();
    for name in names {
        let encoded = encode(name, SEGMENT);
        if !current.is_empty() && current.len() + 1 + encoded.len() > MAX_LIST_BYTES {
            lists.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(',');
        }
        current.push_str(&encoded);
    }
    if !current.is_empty() {
        lists.push(current);
    }
    lists
}

/// Whether a refused restore says an index of the new name exists (the
/// engines' `snapshot_restore_exception` "cannot restore index [x] because
/// an open index with same name already exists in the cluster", or the
/// `resource_already_exists_exception` of a concurrent restore).
fn is_name_taken(error: &ErrorAnswer) -> bool {
    error.kind.as_deref() == Some("resource_already_exists_exception")
        || error
            .reason
            .as_deref()
            .is_some_and(|reason| reason.contains("with same name already exists"))
}

/// The cause at the bottom of an engine's `failed recovery … nested: X[…]`
/// chain, which is what names the lost or corrupt file; the whole text when
/// it has no such chain.
fn root_cause(details: &str) -> &str {
    let details = details.trim().trim_end_matches(';').trim();
    match details.rfind("nested: ") {
        Some(at) => &details[at + "nested: ".len()..],
        None => details,
    }
}

impl Client {
    /// The newest COMPLETE backup of `plan` in `repository`, if any.
    pub(crate) async fn newest_complete_backup(
        &self,
        repository: &str,
        plan: &BackupPlan,
    ) -> Result<Option<BackupId>, StoreError> {
        let records = self
            .find_snapshots(repository, &plan.list_pattern())
            .await?;
        Ok(newest_complete(plan, records))
    }

    /// What must hold before anything is restored: scratch names that fit
    /// and are free, and (if asked) room on the data nodes. Changes nothing.
    pub(crate) async fn verify_preflight(
        &self,
        plan: &RestorePlan,
        repository: &str,
        options: &VerifyOptions,
    ) -> Result<Option<Room>, VerifyError> {
        let backup_id = plan.backup_id();
        check_scratch_names(backup_id, &plan.indices())?;
        let scratch: Vec<String> = plan
            .indices()
            .iter()
            .map(|index| scratch_index_name(backup_id, index))
            .collect();
        let taken = self.existing(&scratch).await?;
        if !taken.is_empty() {
            return Err(VerifyError::ScratchExists { names: taken });
        }
        if !options.room_check {
            return Ok(None);
        }
        let parts: Vec<String> = plan
            .parts()
            .iter()
            .filter(|part| !part.indices.is_empty())
            .map(|part| part.snapshot.clone())
            .collect();
        if parts.is_empty() {
            return Ok(None);
        }
        let Some(sizes) = self.snapshot_sizes(repository, &parts).await? else {
            return Ok(None);
        };
        let needed = sizes.values().copied().max().unwrap_or(0);
        let Some(free) = self.free_disk().await? else {
            tracing::warn!("the cluster reports no free disk space for its data nodes: the room check is skipped");
            return Ok(None);
        };
        if needed > free {
            return Err(VerifyError::NoRoom { needed, free });
        }
        Ok(Some(Room { needed, free }))
    }

    /// Every part restored under scratch names, waited for, read back and
    /// its scratch indices deleted, one part after another. `created` holds
    /// the scratch indices this drill may have made and not yet deleted:
    /// the caller deletes them whatever happens, and never another drill's.
    pub(crate) async fn verify_parts(
        &self,
        plan: &RestorePlan,
        repository: &str,
        options: &VerifyOptions,
        progress: &mut (dyn FnMut(VerifyEvent<'_>) + Send),
        verified: &mut Vec<VerifiedIndex>,
        created: &mut Vec<String>,
    ) -> Result<(), VerifyError> {
        for part in plan.parts() {
            if part.indices.is_empty() {
                continue;
            }
            let scratch: Vec<Scratch<'_>> = part
                .indices
                .iter()
                .map(|index| Scratch {
                    source: index,
                    scratch: scratch_index_name(plan.backup_id(), index),
                })
                .collect();
            let started = Instant::now();
            let names: Vec<String> = scratch.iter().map(|s| s.scratch.clone()).collect();
            // Counted as ours before the request: an interrupt may cut it
            // off after the engine accepted it.
            created.extend(names.iter().cloned());
            if let Err(err) = self
                .restore_under_scratch_names(plan.backup_id(), repository, part, &scratch)
                .await
            {
                if matches!(err, VerifyError::ScratchExists { .. }) {
                    // Another drill made them between our look and our
                    // restore: they are not ours to delete.
                    created.retain(|name| !names.contains(name));
                }
                return Err(err);
            }
            progress(VerifyEvent::PartStarted { part });
            let (shards, restore_times) = self
                .wait_for_shards(plan.backup_id(), part, &scratch, options, started)
                .await?;
            let sizes = self.store_sizes(&names).await?;
            for index in &scratch {
                let documents = self.read_back(plan.backup_id(), part, index).await?;
                let checked = VerifiedIndex {
                    source_index: index.source.to_owned(),
                    scratch_index: index.scratch.clone(),
                    snapshot: part.snapshot.clone(),
                    part_no: part.part_no,
                    shards: shards.get(&index.scratch).copied().unwrap_or(0),
                    documents,
                    size_in_bytes: sizes.get(&index.scratch).copied().unwrap_or(0),
                    restore_time: restore_times
                        .get(&index.scratch)
                        .copied()
                        .unwrap_or_else(|| started.elapsed()),
                };
                progress(VerifyEvent::IndexVerified { index: &checked });
                verified.push(checked);
            }
            self.delete_scratch(&names)
                .await
                .map_err(|(_, cause)| VerifyError::Store(cause))?;
            created.retain(|name| !names.contains(name));
            progress(VerifyEvent::ScratchDeleted { indices: &names });
        }
        Ok(())
    }

    /// Deletes those of `names` that exist. On failure: the names not
    /// deleted (from the one that failed on) and why.
    pub(crate) async fn delete_scratch(
        &self,
        names: &[String],
    ) -> Result<(), (Vec<String>, StoreError)> {
        for (at, name) in names.iter().enumerate() {
            if let Err(cause) = self.delete_index(name).await {
                return Err((names[at..].to_vec(), cause));
            }
        }
        Ok(())
    }

    /// `POST _snapshot/{repo}/{part}/_restore` of the part's indices under
    /// their scratch names, without aliases or global state, with no
    /// replicas. A refusal by the engine of the snapshot itself (a 5xx or a
    /// `snapshot_restore_exception`) is the backup's fault; anything else is
    /// the cluster's.
    async fn restore_under_scratch_names(
        &self,
        backup_id: BackupId,
        repository: &str,
        part: &RestorePart,
        scratch: &[Scratch<'_>],
    ) -> Result<(), VerifyError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::RestoreSnapshot {
            name: part.snapshot.clone(),
        };
        let path = format!(
            "_snapshot/{}/{}/_restore",
            encode(repository, SEGMENT),
            encode(&part.snapshot, SEGMENT)
        );
        let body = serde_json::json!({
            "indices": part.indices.join(","),
            "include_global_state": false,
            "include_aliases": false,
            // The whole name is one group, so `replaceAll` replaces it once.
            "rename_pattern": "^(.+)$",
            "rename_replacement": format!("{}$1", scratch_prefix(backup_id)),
            "index_settings": {"index.number_of_replicas": 0},
        });
        let body = serde_json::to_vec(&body).expect("a JSON value always serializes");
        let answer = self
            .send(Method::POST, &path, &[], Some(body), operation)
            .await?;
        if is_success(answer.status) {
            return Ok(());
        }
        let error = ErrorAnswer::read(answer.status, &answer.body);
        if is_name_taken(&error) {
            // A concurrent drill of the same backup (another replica's):
            // not the backup's fault.
            let names = scratch.iter().map(|s| s.scratch.clone()).collect();
            return Err(VerifyError::ScratchExists { names });
        }
        if answer.status >= 500 || error.kind.as_deref() == Some("snapshot_restore_exception") {
            return Err(VerifyError::NotRestorable {
                backup_id,
                shards: scratch
                    .iter()
                    .map(|index| UnrestorableShard {
                        source_index: index.source.to_owned(),
                        scratch_index: index.scratch.clone(),
                        snapshot: part.snapshot.clone(),
                        shard: None,
                        reason: error.detail.as_str().to_owned(),
                    })
                    .collect(),
            });
        }
        Err(refused(info, error, repository, operation()).into())
    }

    /// Reads the part's shards until every primary has started: the number
    /// of primaries of each index and when its last one started. A shard
    /// whose restore failed ends the wait at once, naming it.
    async fn wait_for_shards(
        &self,
        backup_id: BackupId,
        part: &RestorePart,
        scratch: &[Scratch<'_>],
        options: &VerifyOptions,
        started: Instant,
    ) -> Result<(HashMap<String, u32>, HashMap<String, Duration>), VerifyError> {
        let names: Vec<String> = scratch.iter().map(|s| s.scratch.clone()).collect();
        let mut restored_in: HashMap<String, Duration> = HashMap::new();
        loop {
            let rows = self.primary_shards(&names).await?;
            let failed: Vec<UnrestorableShard> =
                rows.iter()
                    .filter(|row| row.unassigned_reason.as_deref() == Some(ALLOCATION_FAILED))
                    .filter_map(|row| {
                        let index = scratch.iter().find(|s| s.scratch == row.index)?;
                        Some(UnrestorableShard {
                            source_index: index.source.to_owned(),
                            scratch_index: index.scratch.clone(),
                            snapshot: part.snapshot.clone(),
                            shard: row.shard.parse().ok(),
                            reason: root_cause(row.unassigned_details.as_deref().unwrap_or(
                                "the shard failed to recover (the engine gave no details)",
                            ))
                            .to_owned(),
                        })
                    })
                    .collect();
            if !failed.is_empty() {
                return Err(VerifyError::NotRestorable {
                    backup_id,
                    shards: failed,
                });
            }
            let mut shards: HashMap<String, u32> = HashMap::new();
            let mut pending = Vec::new();
            for row in &rows {
                *shards.entry(row.index.clone()).or_default() += 1;
                if row.state != "STARTED" {
                    pending.push(format!(
                        "{}[{}] {}{}",
                        row.index,
                        row.shard,
                        row.state,
                        row.unassigned_reason
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    ));
                }
            }
            for name in &names {
                let ready = shards.contains_key(name)
                    && !rows
                        .iter()
                        .any(|row| &row.index == name && row.state != "STARTED");
                if ready {
                    restored_in
                        .entry(name.clone())
                        .or_insert_with(|| started.elapsed());
                } else if !shards.contains_key(name) {
                    pending.push(format!("{name} (no shard yet)"));
                }
            }
            if pending.is_empty() {
                return Ok((shards, restored_in));
            }
            if started.elapsed() >= options.part_timeout {
                return Err(VerifyError::Timeout {
                    snapshot: part.snapshot.clone(),
                    timeout: options.part_timeout,
                    pending,
                });
            }
            tokio::time::sleep(options.poll_interval).await;
        }
    }

    /// `_count` and a search on one restored index: its document count.
    /// An error answer is the index failing the drill.
    async fn read_back(
        &self,
        backup_id: BackupId,
        part: &RestorePart,
        index: &Scratch<'_>,
    ) -> Result<u64, VerifyError> {
        let failed = |reason: String| VerifyError::NotRestorable {
            backup_id,
            shards: vec![UnrestorableShard {
                source_index: index.source.to_owned(),
                scratch_index: index.scratch.clone(),
                snapshot: part.snapshot.clone(),
                shard: None,
                reason,
            }],
        };
        let encoded = encode(&index.scratch, SEGMENT);
        let count: CountAnswer = match self
            .read_index(&index.scratch, &format!("{encoded}/_count"), &[])
            .await?
        {
            Ok(count) => count,
            Err(reason) => return Err(failed(format!("_count answered {reason}"))),
        };
        if let Some(shards) = count.shards.filter(|s| s.failed > 0) {
            return Err(failed(format!(
                "_count failed on {} shard(s)",
                shards.failed
            )));
        }
        let search: SearchAnswer = match self
            .read_index(
                &index.scratch,
                &format!("{encoded}/_search"),
                &[("size", "1")],
            )
            .await?
        {
            Ok(search) => search,
            Err(reason) => return Err(failed(format!("a search answered {reason}"))),
        };
        if let Some(shards) = search.shards.filter(|s| s.failed > 0) {
            return Err(failed(format!(
                "a search failed on {} shard(s)",
                shards.failed
            )));
        }
        Ok(count.count)
    }

    /// A read of one index: its answer, or the engine's refusal as text. A
    /// 503 is asked again for a while (see [`NOT_YET_SEARCHABLE`]).
    async fn read_index<T: DeserializeOwned>(
        &self,
        index: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Result<T, String>, StoreError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::CheckIndex {
            name: index.to_owned(),
        };
        let deadline = Instant::now() + NOT_YET_SEARCHABLE;
        let answer = loop {
            let answer = self.send(Method::GET, path, query, None, operation).await?;
            if answer.status == 503 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            break answer;
        };
        if !is_success(answer.status) {
            let error = ErrorAnswer::read(answer.status, &answer.body);
            return Ok(Err(format!("HTTP {}: {}", error.status, error.detail)));
        }
        Ok(Ok(parse(
            info.product,
            operation(),
            &answer,
            "an index read",
        )?))
    }

    /// The primary shards of `indices` as `_cat/shards` lists them.
    async fn primary_shards(&self, indices: &[String]) -> Result<Vec<CatShard>, StoreError> {
        let info = self.cluster_info().await?;
        let mut rows = Vec::new();
        for list in comma_lists(indices) {
            let operation = || Operation::ReadShards {
                indices: list.clone(),
            };
            let answer = self
                .send(
                    Method::GET,
                    &format!("_cat/shards/{list}"),
                    &[
                        ("format", "json"),
                        (
                            "h",
                            "index,shard,prirep,state,unassigned.reason,unassigned.details",
                        ),
                    ],
                    None,
                    operation,
                )
                .await?;
            let page: Vec<CatShard> = parse(info.product, operation(), &answer, "a shard list")?;
            rows.extend(page.into_iter().filter(|row| row.prirep == "p"));
        }
        Ok(rows)
    }

    /// The bytes restored into the primaries of each of `indices`, from
    /// `_recovery`: exact once recovery is done, where `_stats/store` may
    /// still answer from a cache taken while the shard was empty.
    async fn store_sizes(&self, indices: &[String]) -> Result<HashMap<String, u64>, StoreError> {
        let info = self.cluster_info().await?;
        let mut sizes = HashMap::new();
        for list in comma_lists(indices) {
            let operation = || Operation::ReadIndices {
                names: indices.to_vec(),
            };
            let answer = self
                .send(
                    Method::GET,
                    &format!("{list}/_recovery"),
                    &[(
                        "filter_path",
                        "*.shards.primary,*.shards.index.size.total_in_bytes",
                    )],
                    None,
                    operation,
                )
                .await?;
            let recoveries: HashMap<String, IndexRecovery> =
                parse(info.product, operation(), &answer, "a recovery answer")?;
            sizes.extend(recoveries.into_iter().map(|(name, recovery)| {
                let size = recovery
                    .shards
                    .iter()
                    .filter(|shard| shard.primary)
                    .filter_map(|shard| shard.index.as_ref()?.size.as_ref())
                    .map(|size| size.total_in_bytes)
                    .sum();
                (name, size)
            }));
        }
        Ok(sizes)
    }

    /// The size of each snapshot (`_status`), or `None` when the engine
    /// cannot read it: then the drill itself names what is broken.
    async fn snapshot_sizes(
        &self,
        repository: &str,
        names: &[String],
    ) -> Result<Option<HashMap<String, u64>>, StoreError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::ReadSnapshotStatus {
            names: names.to_vec(),
        };
        let list: Vec<String> = names.iter().map(|n| encode(n, SEGMENT)).collect();
        let path = format!(
            "_snapshot/{}/{}/_status",
            encode(repository, SEGMENT),
            list.join(",")
        );
        let answer = self
            .send(
                Method::GET,
                &path,
                &[(
                    "filter_path",
                    "snapshots.snapshot,snapshots.stats.total.size_in_bytes,error,status",
                )],
                None,
                operation,
            )
            .await?;
        if !is_success(answer.status) {
            let error = ErrorAnswer::read(answer.status, &answer.body);
            if answer.status >= 500 {
                tracing::warn!(
                    "the size of the backup cannot be read ({}): the room check is skipped, the drill goes on",
                    error.detail
                );
                return Ok(None);
            }
            return Err(refused(info, error, repository, operation()));
        }
        let status: SnapshotStatusAnswer =
            parse(info.product, operation(), &answer, "a snapshot status")?;
        Ok(Some(
            status
                .snapshots
                .into_iter()
                .map(|s| {
                    let size = s.stats.and_then(|s| s.total).map_or(0, |t| t.size_in_bytes);
                    (s.snapshot, size)
                })
                .collect(),
        ))
    }

    /// Free disk summed over the data nodes (`_nodes/stats/fs`); `None`
    /// when no node reports it.
    async fn free_disk(&self) -> Result<Option<u64>, StoreError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::ReadDiskSpace;
        let answer = self
            .send(
                Method::GET,
                "_nodes/stats/fs",
                &[(
                    "filter_path",
                    "nodes.*.roles,nodes.*.fs.total.available_in_bytes",
                )],
                None,
                operation,
            )
            .await?;
        let stats: NodesStats = parse(info.product, operation(), &answer, "node stats")?;
        let mut free = None;
        for node in stats.nodes.into_values() {
            // Without roles (older answers) every node is counted.
            let holds_data = node
                .roles
                .as_ref()
                .is_none_or(|roles| roles.iter().any(|role| role.starts_with("data")));
            let available = node
                .fs
                .and_then(|fs| fs.total)
                .and_then(|t| t.available_in_bytes);
            if let (true, Some(bytes)) = (holds_data, available) {
                free = Some(free.unwrap_or(0u64).saturating_add(bytes));
            }
        }
        Ok(free)
    }
}

/// A 2xx answer read as `T`; any other status is the cluster's error, and
/// a 2xx that is not `T` the unreadable-answer error.
fn parse<T: DeserializeOwned>(
    product: backup_actuator_core::Product,
    operation: Operation,
    answer: &Answer,
    what: &str,
) -> Result<T, StoreError> {
    if !is_success(answer.status) {
        return Err(
            ErrorAnswer::read(answer.status, &answer.body).into_store_error(product, operation)
        );
    }
    serde_json::from_slice(&answer.body).map_err(|e| {
        unreadable(
            product,
            operation,
            answer.status,
            // The parser's message quotes the (redacted) body at most.
            answer.body.derive(|_| format!("not {what} ({e})")),
            &answer.body,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_cause_is_the_last_nested_exception() {
        let details = "failed shard on node [n1]: failed recovery, failure RecoveryFailedException[[verify-1-a][0]: Recovery failed]; nested: IndexShardRestoreFailedException[restore failed]; nested: NoSuchFileException[/repo/indices/x/0/__abc]; ";
        assert_eq!(
            root_cause(details),
            "NoSuchFileException[/repo/indices/x/0/__abc]"
        );
        assert_eq!(root_cause("disk full"), "disk full");
    }

    #[test]
    fn a_restore_refused_for_a_taken_name_is_not_the_backups_fault() {
        let taken = br#"{"error":{"type":"snapshot_restore_exception","reason":"[r:s/u] cannot restore index [verify-1-a] because an open index with same name already exists in the cluster. Either close or delete the existing index or restore the index under a different name by providing a rename pattern and replacement name"},"status":500}"#;
        let body = |bytes: &[u8]| {
            crate::redact::Redactor::new(&[]).body(bytes::Bytes::copy_from_slice(bytes))
        };
        assert!(is_name_taken(&ErrorAnswer::read(500, &body(taken))));
        let broken = br#"{"error":{"type":"snapshot_restore_exception","reason":"[r:s/u] failed to read metadata"},"status":500}"#;
        assert!(!is_name_taken(&ErrorAnswer::read(500, &body(broken))));
    }

    #[test]
    fn index_lists_are_split_to_keep_paths_short() {
        let names: Vec<String> = (0..100)
            .map(|i| format!("verify-1-optimize-{i:040}"))
            .collect();
        let lists = comma_lists(&names);
        assert!(lists.len() > 1);
        assert!(lists.iter().all(|list| list.len() <= MAX_LIST_BYTES));
        let back: Vec<&str> = lists.iter().flat_map(|l| l.split(',')).collect();
        assert_eq!(back, names.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
