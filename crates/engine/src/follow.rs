//! After a trigger: following the accepted parts to their end, so a part
//! that fails or vanishes is logged at `error` and reported, and GET can
//! say why it is missing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_actuator_core::{BackupId, SnapshotState};

use crate::engine::EngineState;
use crate::observe::{Event, PartLoss};

/// The first pause between two looks; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(15);

impl EngineState {
    /// Follows `parts` of backup `id` in the background until each ended
    /// or vanished, for at most the follow limit; stopped by a delete of
    /// the id and at shutdown.
    pub(crate) async fn follow(self: &Arc<Self>, id: BackupId, parts: Vec<String>) {
        if self.follow_limit.is_zero() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let token = self.stop_following.child_token();
        self.ledger().follow(id, token.clone());
        let state = Arc::clone(self);
        let follow = async move {
            let deadline = Instant::now() + state.follow_limit;
            let mut pending = parts;
            let mut pause = FIRST_PAUSE;
            while !pending.is_empty() {
                tokio::select! {
                    () = token.cancelled() => break,
                    () = tokio::time::sleep(pause) => {}
                }
                pause = (pause * 2).min(MAX_PAUSE);
                state.look_at(id, &mut pending).await;
                if !pending.is_empty() && Instant::now() >= deadline {
                    tracing::warn!(backup_id = %id, snapshots = ?pending, "stopped following parts still running after the follow limit");
                    break;
                }
            }
            if !pending.is_empty() && token.is_cancelled() {
                tracing::debug!(backup_id = %id, snapshots = ?pending, "stopped following the backup (deleted, or shutting down)");
            }
            state.ledger().unfollow(id, &token);
        };
        // Not tracked as work to wait for: following only observes, and
        // shutdown stops it at once.
        tokio::spawn(tracing::Instrument::instrument(
            follow,
            tracing::Span::current(),
        ));
    }

    /// One look at the pending parts: drops each that ended or vanished.
    async fn look_at(&self, id: BackupId, pending: &mut Vec<String>) {
        let Some(repository) = self.repository.as_deref() else {
            pending.clear();
            return;
        };
        let found = match self.find(repository, &self.plan.lookup_pattern(id)).await {
            Ok(found) => found,
            Err(err) => {
                tracing::debug!(backup_id = %id, error = %err, "cannot look at the parts being followed; trying again");
                return;
            }
        };
        pending.retain(|name| {
            let Some(record) = found.iter().find(|s| &s.name == name) else {
                self.part_vanished(id, name);
                return false;
            };
            match &record.state {
                SnapshotState::InProgress => true,
                SnapshotState::Success | SnapshotState::Incompatible => {
                    self.emit(&Event::PartEnded {
                        backup_id: id,
                        snapshot: name,
                        state: &record.state,
                    });
                    false
                }
                other => {
                    let loss = if *other == SnapshotState::Partial {
                        PartLoss::Partial
                    } else {
                        PartLoss::Failed
                    };
                    let reason = if record.failures.is_empty() {
                        format!("the cluster reports it {} with no reason given", other.as_str())
                    } else {
                        let failures: Vec<String> = record.failures.iter().map(ToString::to_string).collect();
                        failures.join("; ")
                    };
                    tracing::error!(backup_id = %id, snapshot = %name, state = %other.as_str(), reason = %reason, "a part of an accepted backup failed");
                    self.emit(&Event::PartEnded {
                        backup_id: id,
                        snapshot: name,
                        state: &record.state,
                    });
                    self.emit(&Event::PartLost {
                        backup_id: id,
                        snapshot: name,
                        loss,
                        reason: &reason,
                    });
                    false
                }
            }
        });
    }

    fn part_vanished(&self, id: BackupId, name: &str) {
        let why = match self.plan.parse_snapshot_name(name) {
            Some(parsed) => format!(
                "Part {} of {} was accepted by the cluster but is not in the repository",
                parsed.part_no, parsed.part_count
            ),
            None => format!("{name} was accepted by the cluster but is not in the repository"),
        };
        tracing::error!(backup_id = %id, snapshot = %name, reason = %why, "a part of an accepted backup vanished (the repository could not keep it: disk full, repository removed, engine restarted?)");
        if let Some(parsed) = self.plan.parse_snapshot_name(name) {
            self.ledger().part_lost(id, parsed.part_no, why.clone());
        }
        self.emit(&Event::PartLost {
            backup_id: id,
            snapshot: name,
            loss: PartLoss::Vanished,
            reason: &why,
        });
    }
}
