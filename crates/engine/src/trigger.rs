//! The trigger: the claim protocol of SPEC §6, the rollback of a refused
//! backup, and the watch after a create whose outcome is unknown. Why it
//! lets exactly one of many concurrent triggers of an id succeed is in
//! docs/architecture.md ("The claim protocol").

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use backup_actuator_core::{BackupId, SnapshotRecord, Trigger};
use backup_actuator_store::StoreError;

use crate::engine::{BackupEngine, EngineState};
use crate::error::{Pending, TriggerError};
use crate::observe::Event;
use crate::read::is_unknown_outcome;

/// The pause between two looks of the unknown-outcome watch.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// How long a trigger waits for its claim's release before returning; the
/// rest happens in the background (see `EngineState::release_claim_soon`).
const CLAIM_RELEASE_WAIT: Duration = Duration::from_secs(1);

/// A backup the cluster accepted.
///
/// ```
/// use backup_actuator_core::BackupId;
/// use backup_actuator_engine::Triggered;
///
/// let t = Triggered { backup_id: BackupId::new(1).unwrap(), snapshots: vec![] };
/// assert_eq!(t.backup_id.get(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Triggered {
    /// The backup.
    pub backup_id: BackupId,
    /// The parts created, in part order.
    pub snapshots: Vec<String>,
}

/// Marks a trigger of one id as under way in the ledger while it lives;
/// it moves into the background work that holds the claim.
struct UnderWay {
    state: Arc<EngineState>,
    id: BackupId,
}

impl UnderWay {
    fn begin(state: &Arc<EngineState>, id: BackupId) -> UnderWay {
        state.ledger().begin(id);
        UnderWay {
            state: Arc::clone(state),
            id,
        }
    }
}

impl Drop for UnderWay {
    fn drop(&mut self) {
        self.state.ledger().end(self.id);
    }
}

impl BackupEngine {
    /// Starts backup `id` (SPEC §6): look-up, 409 if anything of the id
    /// stands, claim, look again, create every part, release the claim;
    /// `trigger` goes into every part's metadata. Serialised with the
    /// other triggers of this engine.
    ///
    /// Once it has begun, the protocol runs to its end even if the caller
    /// stops waiting (a client that went away); the engine then follows
    /// the accepted parts to their end in the background, logging and
    /// reporting ([`Event::PartLost`]) a part that fails or vanishes.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use backup_actuator_core::{BackupId, BackupPlan, Trigger};
    /// use backup_actuator_engine::{BackupEngine, TriggerError};
    /// use backup_actuator_store::MemoryStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let engine = BackupEngine::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
    ///     .repository("backups")
    ///     .build()
    ///     .unwrap();
    /// let id = BackupId::new(20260101000000).unwrap();
    /// assert_eq!(engine.trigger(id, Some(Trigger::Schedule)).await.unwrap().snapshots.len(), 2);
    /// assert!(matches!(engine.trigger(id, None).await, Err(TriggerError::Exists { .. })));
    /// # }
    /// ```
    pub async fn trigger(
        &self,
        id: BackupId,
        trigger: Option<Trigger>,
    ) -> Result<Triggered, TriggerError> {
        let state = Arc::clone(&self.inner);
        state.repository_or(TriggerError::NoRepository)?;
        let name = format!("trigger of backup {id}");
        Arc::clone(&self.inner)
            .to_the_end(name, async move { state.run_trigger(id, trigger).await })
            .await
    }
}

impl EngineState {
    async fn run_trigger(
        self: Arc<Self>,
        id: BackupId,
        trigger: Option<Trigger>,
    ) -> Result<Triggered, TriggerError> {
        let repository = self.repository_or(TriggerError::NoRepository)?.to_owned();
        let repository = repository.as_str();
        let _serialised = self.trigger_lock.lock().await;
        let id_lock = self.id_lock(id);
        let _id_guard = id_lock.lock().await;
        self.check_unclaimed(repository, id).await?;
        self.claim(repository, id).await?;
        // A new backup of this id: what was known of an older one is
        // history. Only a trigger that holds the claim is one under way (a
        // refused one leaves another's claim to be judged by its age).
        self.ledger().forget(id);
        let under_way = UnderWay::begin(&self, id);
        if let Err(err) = self.check_after_claim(repository, id).await {
            self.release_claim_soon(repository, id, under_way).await;
            return Err(err);
        }
        let parts = match trigger {
            Some(trigger) => self.plan.snapshot_parts_triggered_by(id, trigger),
            None => self.plan.snapshot_parts(id),
        };
        let mut created: Vec<String> = Vec::new();
        for part in parts {
            let Err(err) = self.create(repository, &part).await else {
                created.push(part.name);
                continue;
            };
            tracing::warn!(snapshot = %part.name, error = %err, "snapshot not created; rolling back");
            self.roll_back(repository, &created).await;
            if is_unknown_outcome(&err) {
                // After a timeout or a broken answer the cluster may
                // create the part all the same, even later: keep looking
                // for it, holding the claim meanwhile.
                self.watch_unknown(repository, id, vec![part.name], under_way)
                    .await;
                return Err(TriggerError::UnknownOutcome {
                    source: err,
                    pending: Pending::Part,
                });
            }
            self.release_claim_soon(repository, id, under_way).await;
            return Err(refused(id, err));
        }
        // Every part was accepted, so a look-up finds them now.
        self.release_claim_soon(repository, id, under_way).await;
        tracing::info!(snapshots = ?created, "backup triggered");
        self.emit(&Event::Triggered {
            backup_id: id,
            snapshots: &created,
        });
        self.follow(id, created.clone()).await;
        Ok(Triggered {
            backup_id: id,
            snapshots: created,
        })
    }

    /// Before the claim: 409 if a part of `id` exists or another trigger's
    /// claim stands; a claim left by a stopped process is removed.
    async fn check_unclaimed(&self, repository: &str, id: BackupId) -> Result<(), TriggerError> {
        let found = self.refuse_existing_parts(repository, id).await?;
        if self.standing_claim(id, &found)? {
            let claim = self.plan.claim_name(id);
            tracing::warn!(snapshot = %claim, "removing a claim older than the claim expiry, left by a process that stopped while triggering");
            match self.remove(repository, std::slice::from_ref(&claim)).await {
                Ok(()) | Err(StoreError::SnapshotMissing { .. }) => {}
                Err(err) => return Err(TriggerError::Store(err)),
            }
        }
        Ok(())
    }

    /// Step 1: the claim. A refused name is another trigger's claim.
    async fn claim(self: &Arc<Self>, repository: &str, id: BackupId) -> Result<(), TriggerError> {
        let claim = self.plan.claim_part(id);
        let Err(err) = self.create(repository, &claim).await else {
            return Ok(());
        };
        if is_unknown_outcome(&err) {
            // The claim may exist all the same; it is ours, so it goes.
            let under_way = UnderWay::begin(self, id);
            self.watch_unknown(repository, id, vec![claim.name], under_way)
                .await;
            return Err(TriggerError::UnknownOutcome {
                source: err,
                pending: Pending::Claim,
            });
        }
        Err(refused(id, err))
    }

    /// Step 2: look again, now that no other trigger can hold the claim.
    async fn check_after_claim(&self, repository: &str, id: BackupId) -> Result<(), TriggerError> {
        self.refuse_existing_parts(repository, id).await.map(drop)
    }

    /// Looks up `id`: 409 if any part of it exists, else what was found.
    /// Any part of this id, of any version or state, is a conflict; a
    /// hand-made name that merely matches the wildcard is not (SPEC §3,
    /// §5), and could never collide with the names about to be created.
    async fn refuse_existing_parts(
        &self,
        repository: &str,
        id: BackupId,
    ) -> Result<Vec<SnapshotRecord>, TriggerError> {
        let found = self
            .find(repository, &self.plan.lookup_pattern(id))
            .await
            .map_err(TriggerError::Store)?;
        let existing = self.parts_of(id, &found);
        if !existing.is_empty() {
            return Err(self.conflict(id, existing));
        }
        Ok(found)
    }

    /// Whether `found` holds a claim of `id`: a fresh one is another
    /// trigger under way (409); `Ok(true)` is one that this process has
    /// seen standing, unchanged (same start time), for longer than the
    /// claim expiry: left by a process that stopped while triggering.
    fn standing_claim(&self, id: BackupId, found: &[SnapshotRecord]) -> Result<bool, TriggerError> {
        let name = self.plan.claim_name(id);
        let mut seen = self
            .claims_seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(claim) = found.iter().find(|s| s.name == name) else {
            seen.remove(&name);
            return Ok(false);
        };
        let now = Instant::now();
        let first_seen = match seen.get(&name) {
            Some((started, first)) if *started == claim.start_time_millis => *first,
            _ => {
                seen.insert(name.clone(), (claim.start_time_millis, now));
                now
            }
        };
        if now.duration_since(first_seen) > self.claim_expiry {
            seen.remove(&name);
            return Ok(true);
        }
        Err(TriggerError::Exists {
            backup_id: id,
            snapshots: vec![name],
        })
    }

    /// Releases this trigger's claim, waiting at most
    /// [`CLAIM_RELEASE_WAIT`] for it; a failure leaves it for DELETE (or
    /// the expiry).
    ///
    /// A real engine queues a snapshot delete behind the running snapshots
    /// of the repository, so a trigger that waited for the release would
    /// wait for the whole backup (seen on OpenSearch 2.19: 202 only once
    /// COMPLETE). Past the wait the release goes on in the background,
    /// still counted as the trigger under way.
    async fn release_claim_soon(
        self: &Arc<Self>,
        repository: &str,
        id: BackupId,
        under_way: UnderWay,
    ) {
        if tokio::runtime::Handle::try_current().is_err() {
            self.release_claim(repository, id).await;
            drop(under_way);
            return;
        }
        let (done, released) = tokio::sync::oneshot::channel();
        let state = Arc::clone(self);
        let owned = repository.to_owned();
        let release = async move {
            state.release_claim(&owned, id).await;
            drop(under_way);
            let _ = done.send(());
        };
        let name = format!("release of claim {}", self.plan.claim_name(id));
        self.background(name, release).await;
        if tokio::time::timeout(CLAIM_RELEASE_WAIT, released)
            .await
            .is_err()
        {
            tracing::info!(
                snapshot = %self.plan.claim_name(id),
                "the cluster queued the claim's release behind running snapshots; it goes on in the background"
            );
        }
    }

    async fn release_claim(&self, repository: &str, id: BackupId) {
        let name = self.plan.claim_name(id);
        match self.remove(repository, std::slice::from_ref(&name)).await {
            Ok(()) => {}
            Err(StoreError::SnapshotMissing { .. }) => {
                tracing::warn!(snapshot = %name, "the claim was already gone when released");
            }
            Err(err) => tracing::error!(
                snapshot = %name,
                error = %err,
                "could not release the claim; DELETE of this backup removes it"
            ),
        }
    }

    /// The 409 of a trigger that found `parts` of backup `id`, listing them
    /// in `details` order — part number, then name — as SPEC §4 asks of
    /// every name list in a message.
    fn conflict(&self, id: BackupId, mut parts: Vec<String>) -> TriggerError {
        let part_no = |name: &str| self.plan.parse_snapshot_name(name).map(|p| p.part_no);
        parts.sort_by(|a, b| (part_no(a), a).cmp(&(part_no(b), b)));
        TriggerError::Exists {
            backup_id: id,
            snapshots: parts,
        }
    }

    /// Deletes the parts a failed trigger created.
    async fn roll_back(&self, repository: &str, created: &[String]) {
        if created.is_empty() {
            return;
        }
        if let Err(err) = self.remove(repository, created).await {
            tracing::error!(
                snapshots = ?created,
                error = %err,
                "could not delete the parts of a refused backup; DELETE of this backup removes them"
            );
        }
    }

    /// After a create with an unknown outcome: looks for `names` (and the
    /// claim) for the watch time, deletes whatever of them appears, then
    /// releases the claim. Background work; without a runtime, looks once.
    async fn watch_unknown(
        self: &Arc<Self>,
        repository: &str,
        id: BackupId,
        names: Vec<String>,
        under_way: UnderWay,
    ) {
        let state = Arc::clone(self);
        let owned = repository.to_owned();
        let has_runtime = tokio::runtime::Handle::try_current().is_ok();
        let watch = async move {
            let deadline = if has_runtime {
                Instant::now() + state.unknown_outcome_watch
            } else {
                Instant::now()
            };
            state.watch(&owned, id, names, deadline).await;
            drop(under_way);
        };
        let name = format!("watch after an unknown outcome of backup {id}");
        self.background(name, watch).await;
    }

    async fn watch(
        &self,
        repository: &str,
        id: BackupId,
        mut names: Vec<String>,
        deadline: Instant,
    ) {
        let claim = self.plan.claim_name(id);
        let watched_claim = names.contains(&claim);
        tracing::info!(snapshots = ?names, watch_ms = self.unknown_outcome_watch.as_millis() as u64, "a create had an unknown outcome; watching for the part to remove it");
        while !names.is_empty() {
            self.remove_appeared(repository, id, &mut names).await;
            if names.is_empty() || Instant::now() >= deadline {
                break;
            }
            tokio::select! {
                () = self.stopping.cancelled() => {
                    // Shutdown's time is up: the claim stays, so the id
                    // keeps reading as taken; DELETE removes it and
                    // whatever appeared.
                    tracing::error!(backup_id = %id, snapshots = ?names, "shut down while watching for a snapshot whose create had an unknown outcome; the claim stays: DELETE of this backup removes both");
                    return;
                }
                () = tokio::time::sleep(WATCH_INTERVAL) => {}
            }
        }
        if !names.is_empty() {
            tracing::info!(snapshots = ?names, "nothing appeared while watching after an unknown outcome");
        }
        // Watching for the claim itself (its own create had the unknown
        // outcome) means there is nothing else to release.
        if !watched_claim {
            self.release_claim(repository, id).await;
        }
    }

    /// One look of the watch: deletes those of `names` that exist now and
    /// drops them from `names`.
    async fn remove_appeared(&self, repository: &str, id: BackupId, names: &mut Vec<String>) {
        let found = match self.find(repository, &self.plan.lookup_pattern(id)).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(error = %err, "cannot look for a part whose create had an unknown outcome; trying again");
                return;
            }
        };
        let appeared: Vec<String> = names
            .iter()
            .filter(|name| found.iter().any(|s| &s.name == *name))
            .cloned()
            .collect();
        if appeared.is_empty() {
            return;
        }
        match self.remove(repository, &appeared).await {
            Ok(()) | Err(StoreError::SnapshotMissing { .. }) => {
                tracing::warn!(snapshots = ?appeared, "a part whose create had an unknown outcome appeared and was deleted");
                names.retain(|name| !appeared.contains(name));
            }
            Err(err) => {
                tracing::warn!(snapshots = ?appeared, error = %err, "could not delete a part that appeared after an unknown outcome; trying again");
            }
        }
    }
}

/// A create the cluster refused: a name in use is a conflict, anything
/// else the store's error.
fn refused(id: BackupId, err: StoreError) -> TriggerError {
    match err {
        StoreError::NameInUse { name } => TriggerError::Exists {
            backup_id: id,
            snapshots: vec![name],
        },
        other => TriggerError::Store(other),
    }
}
