//! Restoring a backup into the cluster it lives in (SPEC §12): the step runbooks do by hand
//! with `_restore`.
//!
//! The requests are listed in the crate docs.

use std::fmt;
use std::time::{Duration, Instant};

use backup_actuator_core::{BackupId, BackupPlan, BackupState, Backups, OutputZone};
use backup_actuator_store::{Operation, StoreError};
use opensearch::http::Method;
use serde::Deserialize;

use crate::client::{encode, is_success, refused, Client, SEGMENT};
use crate::error::{unreadable, ErrorAnswer};

/// What restoring one backup would do: its parts in order, each with the indices it holds
/// and which of them exist in the cluster now. Made by `restore_plan`, carried out by
/// `restore_backup`; `Display` is the plan as the command line prints it.
///
/// ```
/// use backup_actuator_core::BackupId;
/// use backup_actuator_search::{RestorePart, RestorePlan};
///
/// let plan = RestorePlan::new(BackupId::new(7).unwrap(), "backups", vec![RestorePart {
///     snapshot: "camunda_optimize_7_8.6.0_part_1_of_1".into(),
///     part_no: 1,
///     indices: vec!["optimize-a".into(), "optimize-b".into()],
///     existing: vec!["optimize-b".into()],
/// }]);
/// assert_eq!(plan.existing_indices(), ["optimize-b"]);
/// assert!(plan.to_string().contains("optimize-b (exists)"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestorePlan {
    backup_id: BackupId,
    repository: String,
    parts: Vec<RestorePart>,
}

/// One part of a [`RestorePlan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestorePart {
    /// The snapshot name.
    pub snapshot: String,
    /// Its part number (parts are restored in this order).
    pub part_no: u32,
    /// The indices it holds, as the snapshot lists them.
    pub indices: Vec<String>,
    /// Those of them that exist in the cluster now.
    pub existing: Vec<String>,
}

impl RestorePlan {
    /// A plan from its parts (sorted here by part number).
    pub fn new(
        backup_id: BackupId,
        repository: impl Into<String>,
        mut parts: Vec<RestorePart>,
    ) -> RestorePlan {
        parts.sort_by_key(|part| part.part_no);
        RestorePlan {
            backup_id,
            repository: repository.into(),
            parts,
        }
    }

    /// The backup restored.
    pub fn backup_id(&self) -> BackupId {
        self.backup_id
    }

    /// The repository it is read from.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The parts, in the order they are restored.
    pub fn parts(&self) -> &[RestorePart] {
        &self.parts
    }

    /// Every index the restore creates, in part order.
    pub fn indices(&self) -> Vec<&str> {
        self.parts
            .iter()
            .flat_map(|part| part.indices.iter().map(String::as_str))
            .collect()
    }

    /// The indices that exist now: a restore refuses them unless told to delete them.
    pub fn existing_indices(&self) -> Vec<&str> {
        self.parts
            .iter()
            .flat_map(|part| part.existing.iter().map(String::as_str))
            .collect()
    }
}

impl fmt::Display for RestorePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Restore of backup {} from repository [{}]: {} part(s), {} index(es), {} of them exist now",
            self.backup_id,
            self.repository,
            self.parts.len(),
            self.indices().len(),
            self.existing_indices().len()
        )?;
        for part in &self.parts {
            writeln!(
                f,
                "  part {} of {}: {} ({} index(es))",
                part.part_no,
                self.parts.len(),
                part.snapshot,
                part.indices.len()
            )?;
            for index in &part.indices {
                if part.existing.contains(index) {
                    writeln!(f, "    {index} (exists)")?;
                } else {
                    writeln!(f, "    {index}")?;
                }
            }
        }
        Ok(())
    }
}

/// How `restore_backup` goes about it.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_search::RestoreOptions;
///
/// let options = RestoreOptions::new()
///     .delete_existing(true)
///     .poll_interval(Duration::from_millis(500))
///     .part_timeout(Duration::from_secs(3600));
/// assert!(options.deletes_existing());
/// ```
#[derive(Clone, Debug)]
pub struct RestoreOptions {
    delete_existing: bool,
    poll_interval: Duration,
    part_timeout: Duration,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions::new()
    }
}

impl RestoreOptions {
    /// Refuse existing indices; poll every second; give each part an hour.
    pub fn new() -> RestoreOptions {
        RestoreOptions {
            delete_existing: false,
            poll_interval: Duration::from_secs(1),
            part_timeout: Duration::from_secs(3600),
        }
    }

    /// Delete the indices to be restored that exist (exactly those) before restoring,
    /// instead of refusing.
    pub fn delete_existing(mut self, delete: bool) -> Self {
        self.delete_existing = delete;
        self
    }

    /// Whether existing indices are deleted first.
    pub fn deletes_existing(&self) -> bool {
        self.delete_existing
    }

    /// How often the health of a part's indices is read while it restores.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long one part may take before the restore gives up on it.
    pub fn part_timeout(mut self, timeout: Duration) -> Self {
        self.part_timeout = timeout;
        self
    }
}

/// What `restore_backup` reports while it works, for a progress display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreEvent<'a> {
    /// About to delete these existing indices.
    Deleting {
        /// The indices.
        indices: &'a [String],
    },
    /// A part's restore was accepted by the cluster.
    PartStarted {
        /// The part.
        part: &'a RestorePart,
    },
    /// How many of the part's indices have their primaries active.
    PartProgress {
        /// The part.
        part: &'a RestorePart,
        /// Indices no longer red.
        ready: usize,
    },
    /// Every index of the part has its primaries active.
    PartDone {
        /// The part.
        part: &'a RestorePart,
    },
}

/// One restored index as the final check found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredIndex {
    /// The index.
    pub name: String,
    /// Its health: `green` or `yellow`.
    pub health: String,
}

/// Why a restore did not happen or did not finish. Never contains a credential.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// No snapshot of this backup id.
    #[error("No backup with ID [{backup_id}] could be found.")]
    NotFound {
        /// The id.
        backup_id: BackupId,
    },
    /// The backup is not COMPLETE, so it cannot be restored whole.
    #[error("backup {backup_id} is {}, not COMPLETE: only a complete backup can be restored{}", state.as_str(), reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    NotComplete {
        /// The id.
        backup_id: BackupId,
        /// Its state.
        state: BackupState,
        /// Its failure reason, if FAILED.
        reason: Option<String>,
    },
    /// Indices to be restored exist and `delete_existing` was not asked for.
    #[error("refusing to restore: these indices exist: [{}]; delete them first or pass --delete-existing", names.join(", "))]
    IndicesExist {
        /// The existing indices.
        names: Vec<String>,
    },
    /// A part's indices did not become active in time.
    #[error(
        "restoring {snapshot} did not finish within {timeout:?}: {ready} of {total} indices active"
    )]
    Timeout {
        /// The part's snapshot.
        snapshot: String,
        /// The limit.
        timeout: Duration,
        /// Indices active by then.
        ready: usize,
        /// The part's indices.
        total: usize,
    },
    /// The final check found indices missing or red.
    #[error("the restore finished but these indices are missing or red: [{}]", names.join(", "))]
    Unhealthy {
        /// `name (status)` of each.
        names: Vec<String>,
    },
    /// The cluster failed or could not be reached.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Deserialize)]
struct SnapshotIndices {
    #[serde(default)]
    snapshots: Vec<SnapshotEntry>,
}

#[derive(Deserialize)]
struct SnapshotEntry {
    snapshot: String,
    #[serde(default)]
    indices: Vec<String>,
}

#[derive(Deserialize)]
struct Health {
    #[serde(default)]
    indices: std::collections::HashMap<String, IndexHealth>,
}

#[derive(Deserialize)]
struct IndexHealth {
    status: String,
}

impl Client {
    /// The plan for restoring backup `id` (see [`RestorePlan`]).
    pub(crate) async fn restore_plan(
        &self,
        repository: &str,
        plan: &BackupPlan,
        id: BackupId,
    ) -> Result<RestorePlan, RestoreError> {
        let records = self
            .find_snapshots(repository, &plan.lookup_pattern(id))
            .await?;
        let backup = Backups::from_snapshots(plan, records, &OutputZone::utc())
            .into_backup(id)
            .ok_or(RestoreError::NotFound { backup_id: id })?;
        if backup.state != BackupState::Complete {
            return Err(RestoreError::NotComplete {
                backup_id: id,
                state: backup.state,
                reason: backup.failure_reason,
            });
        }
        let names: Vec<String> = backup
            .details
            .iter()
            .map(|d| d.snapshot_name.clone())
            .collect();
        let mut indices = self.snapshot_indices(repository, &names).await?;
        let mut parts = Vec::with_capacity(names.len());
        for name in names {
            let part_no = plan
                .parse_snapshot_name(&name)
                .map_or(0, |parsed| parsed.part_no);
            let part_indices = indices.remove(&name).unwrap_or_default();
            let existing = self.existing(&part_indices).await?;
            parts.push(RestorePart {
                snapshot: name,
                part_no,
                indices: part_indices,
                existing,
            });
        }
        Ok(RestorePlan::new(id, repository, parts))
    }

    /// Carries `plan` out (see the module docs).
    pub(crate) async fn restore_backup(
        &self,
        plan: &RestorePlan,
        options: &RestoreOptions,
        progress: &mut (dyn FnMut(RestoreEvent<'_>) + Send),
    ) -> Result<Vec<RestoredIndex>, RestoreError> {
        // The plan may be old: look again right before changing anything.
        let all: Vec<String> = plan.indices().into_iter().map(str::to_owned).collect();
        let existing = self.existing(&all).await?;
        if !existing.is_empty() {
            if !options.delete_existing {
                return Err(RestoreError::IndicesExist { names: existing });
            }
            progress(RestoreEvent::Deleting { indices: &existing });
            for index in &existing {
                self.delete_index(index).await?;
            }
        }
        for part in plan.parts() {
            if part.indices.is_empty() {
                continue;
            }
            self.restore_snapshot(plan.repository(), part).await?;
            progress(RestoreEvent::PartStarted { part });
            let started = Instant::now();
            loop {
                let health = self.health(&part.indices).await?;
                let ready = part
                    .indices
                    .iter()
                    .filter(|i| health.get(*i).is_some_and(|s| s != "red"))
                    .count();
                progress(RestoreEvent::PartProgress { part, ready });
                if ready == part.indices.len() {
                    break;
                }
                if started.elapsed() >= options.part_timeout {
                    return Err(RestoreError::Timeout {
                        snapshot: part.snapshot.clone(),
                        timeout: options.part_timeout,
                        ready,
                        total: part.indices.len(),
                    });
                }
                tokio::time::sleep(options.poll_interval).await;
            }
            progress(RestoreEvent::PartDone { part });
        }
        // The final check: every restored index exists and is at least yellow.
        let present = self.existing(&all).await?;
        let health = self.health(&all).await?;
        let mut restored = Vec::with_capacity(all.len());
        let mut bad = Vec::new();
        for index in all {
            match health.get(&index) {
                Some(status)
                    if present.contains(&index) && (status == "green" || status == "yellow") =>
                {
                    restored.push(RestoredIndex {
                        name: index,
                        health: status.clone(),
                    })
                }
                Some(status) if present.contains(&index) => bad.push(format!("{index} ({status})")),
                _ => bad.push(format!("{index} (missing)")),
            }
        }
        if bad.is_empty() {
            Ok(restored)
        } else {
            Err(RestoreError::Unhealthy { names: bad })
        }
    }

    /// The indices each named snapshot holds.
    async fn snapshot_indices(
        &self,
        repository: &str,
        names: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::ReadIndices {
            names: names.to_vec(),
        };
        let list: Vec<String> = names.iter().map(|n| encode(n, SEGMENT)).collect();
        let path = format!(
            "_snapshot/{}/{}",
            encode(repository, SEGMENT),
            list.join(",")
        );
        let answer = self.send(Method::Get, &path, &[], None, operation).await?;
        if !is_success(answer.status) {
            let error = ErrorAnswer::read(answer.status, &answer.body);
            return Err(refused(info, error, repository, operation()));
        }
        let read: SnapshotIndices = serde_json::from_slice(&answer.body).map_err(|e| {
            unreadable(
                info.product,
                operation(),
                answer.status,
                &format!("not a snapshot list ({e})"),
                &answer.body,
            )
        })?;
        Ok(read
            .snapshots
            .into_iter()
            .map(|s| (s.snapshot, s.indices))
            .collect())
    }

    /// Those of `indices` that exist (`HEAD /{index}`), in the given order.
    async fn existing(&self, indices: &[String]) -> Result<Vec<String>, StoreError> {
        let product = self.cluster_info().await?.product;
        let mut found = Vec::new();
        for index in indices {
            let operation = || Operation::ReadIndices {
                names: vec![index.clone()],
            };
            let answer = self
                .send(Method::Head, &encode(index, SEGMENT), &[], None, operation)
                .await?;
            match answer.status {
                200 => found.push(index.clone()),
                404 => {}
                status => {
                    return Err(StoreError::Cluster {
                        product,
                        operation: operation(),
                        status,
                        detail: "unexpected answer to HEAD".into(),
                    })
                }
            }
        }
        Ok(found)
    }

    async fn delete_index(&self, index: &str) -> Result<(), StoreError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::DeleteIndex {
            name: index.to_owned(),
        };
        let answer = self
            .send(
                Method::Delete,
                &encode(index, SEGMENT),
                &[],
                None,
                operation,
            )
            .await?;
        if is_success(answer.status) {
            return Ok(());
        }
        let error = ErrorAnswer::read(answer.status, &answer.body);
        if info.is_index_gone(&error) {
            // Deleted meanwhile: what was asked for holds.
            return Ok(());
        }
        Err(error.into_store_error(info.product, operation()))
    }

    async fn restore_snapshot(
        &self,
        repository: &str,
        part: &RestorePart,
    ) -> Result<(), StoreError> {
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
        });
        let body = serde_json::to_vec(&body).expect("a JSON value always serializes");
        let answer = self
            .send(Method::Post, &path, &[], Some(body), operation)
            .await?;
        if is_success(answer.status) {
            return Ok(());
        }
        let error = ErrorAnswer::read(answer.status, &answer.body);
        Err(refused(info, error, repository, operation()))
    }

    /// The health of each of `indices` that the cluster reports.
    async fn health(
        &self,
        indices: &[String],
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::ReadIndices {
            names: indices.to_vec(),
        };
        let list: Vec<String> = indices.iter().map(|n| encode(n, SEGMENT)).collect();
        let path = format!("_cluster/health/{}", list.join(","));
        let answer = self
            .send(Method::Get, &path, &[("level", "indices")], None, operation)
            .await?;
        if !info.health_is_readable(answer.status) {
            return Err(ErrorAnswer::read(answer.status, &answer.body)
                .into_store_error(info.product, operation()));
        }
        let health: Health = serde_json::from_slice(&answer.body).map_err(|e| {
            unreadable(
                info.product,
                operation(),
                answer.status,
                &format!("not a health answer ({e})"),
                &answer.body,
            )
        })?;
        Ok(health
            .indices
            .into_iter()
            .map(|(name, index)| (name, index.status))
            .collect())
    }
}
