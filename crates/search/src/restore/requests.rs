//! The cluster calls of a restore, in the order the crate docs list them:
//! read the backup and its parts' indices, look for existing indices,
//! delete them if asked, restore each part and wait for its health.

use std::collections::HashMap;
use std::time::Instant;

use backup_actuator_core::{BackupId, BackupPlan, BackupState, Backups, OutputZone};
use backup_actuator_store::{Operation, StoreError};
use reqwest::Method;
use serde::Deserialize;

use super::{
    RestoreError, RestoreEvent, RestoreOptions, RestorePart, RestorePlan, RestoreSelection,
    RestoredIndex,
};
use crate::client::{encode, is_success, refused, Client, SEGMENT};
use crate::error::ErrorAnswer;

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
    indices: HashMap<String, IndexHealth>,
}

#[derive(Deserialize)]
struct IndexHealth {
    status: String,
}

impl Client {
    /// The plan for restoring backup `id` under `selection` (see [`RestorePlan`]).
    pub(crate) async fn restore_plan(
        &self,
        repository: &str,
        plan: &BackupPlan,
        id: BackupId,
        selection: &RestoreSelection,
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
        if let Some(only) = selection.only_indices() {
            let available: Vec<String> = names
                .iter()
                .flat_map(|name| indices.get(name).into_iter().flatten().cloned())
                .collect();
            let unknown: Vec<String> = only
                .iter()
                .filter(|index| !available.contains(index))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(RestoreError::UnknownIndices {
                    backup_id: id,
                    unknown,
                    available,
                });
            }
            for part_indices in indices.values_mut() {
                part_indices.retain(|index| only.contains(index));
            }
        }
        let mut targets: HashMap<String, String> = HashMap::new();
        for index in names
            .iter()
            .flat_map(|name| indices.get(name).into_iter().flatten())
        {
            let target = selection.renamed(index);
            if let Some(first) = targets.insert(target.clone(), index.clone()) {
                return Err(RestoreError::RenameCollision {
                    first,
                    second: index.clone(),
                    target,
                });
            }
        }
        let mut parts = Vec::with_capacity(names.len());
        for name in names {
            let part_no = plan
                .parse_snapshot_name(&name)
                .map_or(0, |parsed| parsed.part_no);
            let part_indices = indices.remove(&name).unwrap_or_default();
            let part_targets: Vec<String> =
                part_indices.iter().map(|i| selection.renamed(i)).collect();
            let existing = self.existing(&part_targets).await?;
            parts.push(RestorePart {
                snapshot: name,
                part_no,
                indices: part_indices,
                existing,
            });
        }
        Ok(RestorePlan::new(id, repository, parts).with_selection(selection.clone()))
    }

    /// Carries `plan` out (see the module docs).
    pub(crate) async fn restore_backup(
        &self,
        plan: &RestorePlan,
        options: &RestoreOptions,
        progress: &mut (dyn FnMut(RestoreEvent<'_>) + Send),
    ) -> Result<Vec<RestoredIndex>, RestoreError> {
        // The plan may be old: look again right before changing anything.
        let all = plan.targets();
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
            self.restore_snapshot(plan.repository(), part, plan.selection())
                .await?;
            progress(RestoreEvent::PartStarted { part });
            let started = Instant::now();
            let targets: Vec<String> = part.indices.iter().map(|i| plan.target(i)).collect();
            loop {
                let health = self.health(&targets).await?;
                let ready = targets
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
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
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
        let answer = self.send(Method::GET, &path, &[], None, operation).await?;
        if !is_success(answer.status) {
            let error = ErrorAnswer::read(answer.status, &answer.body);
            return Err(refused(info, error, repository, operation()));
        }
        let read: SnapshotIndices = serde_json::from_slice(&answer.body).map_err(|e| {
            self.unreadable(
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
    pub(crate) async fn existing(&self, indices: &[String]) -> Result<Vec<String>, StoreError> {
        let product = self.cluster_info().await?.product;
        let mut found = Vec::new();
        for index in indices {
            let operation = || Operation::ReadIndices {
                names: vec![index.clone()],
            };
            let answer = self
                .send(Method::HEAD, &encode(index, SEGMENT), &[], None, operation)
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

    pub(crate) async fn delete_index(&self, index: &str) -> Result<(), StoreError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::DeleteIndex {
            name: index.to_owned(),
        };
        let answer = self
            .send(
                Method::DELETE,
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
        selection: &RestoreSelection,
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
        let mut body = serde_json::json!({
            "indices": part.indices.join(","),
            "include_global_state": false,
        });
        if let Some((pattern, replacement)) = selection.rename_rule() {
            body["rename_pattern"] = pattern.into();
            body["rename_replacement"] = replacement.into();
        }
        let body = serde_json::to_vec(&body).expect("a JSON value always serializes");
        let answer = self
            .send(Method::POST, &path, &[], Some(body), operation)
            .await?;
        if is_success(answer.status) {
            return Ok(());
        }
        let error = ErrorAnswer::read(answer.status, &answer.body);
        Err(refused(info, error, repository, operation()))
    }

    /// The health of each of `indices` that the cluster reports.
    async fn health(&self, indices: &[String]) -> Result<HashMap<String, String>, StoreError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::ReadIndices {
            names: indices.to_vec(),
        };
        let list: Vec<String> = indices.iter().map(|n| encode(n, SEGMENT)).collect();
        let path = format!("_cluster/health/{}", list.join(","));
        let answer = self
            .send(Method::GET, &path, &[("level", "indices")], None, operation)
            .await?;
        if !info.health_is_readable(answer.status) {
            return Err(ErrorAnswer::read(answer.status, &answer.body)
                .into_store_error(info.product, operation()));
        }
        let health: Health = serde_json::from_slice(&answer.body).map_err(|e| {
            self.unreadable(
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
