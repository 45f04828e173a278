//! The operations of SPEC §6 as methods of [`Shared`]: list, GET one, POST
//! (with its claim protocol, the rollback of a refused backup, and the
//! watch after a create whose outcome is unknown) and DELETE, and the
//! dispatch that picks one for a matched route.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_actuator_core::{
    ApiError, BackupId, BackupList, BackupRequest, Backups, SnapshotRecord, Trigger,
    TriggerAccepted,
};
use backup_actuator_store::StoreError;
use http::{Request, Response, StatusCode};
use http_body::Body;
use tracing::Instrument;

use crate::body::read_body;
use crate::error::{api_error, error_response};
use crate::response::{json_answer, json_response, no_content, BackupBody};
use crate::route::{Action, Route};
use crate::shared::Shared;
use crate::trace::record_backup_id;

/// How many times DELETE looks up and tries again when the cluster reports
/// a name missing (deleted meanwhile): SPEC §6 "at most 3 times", after the
/// first try.
const DELETE_RETRIES: usize = 3;

/// The pause between two looks of the unknown-outcome watch.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// How long a POST waits for its claim's release before answering; the
/// rest happens in the background (see `Shared::release_claim_soon`).
const CLAIM_RELEASE_WAIT: Duration = Duration::from_secs(1);

impl Shared {
    /// The answer to a request on `route` (`None`: a path the API does not
    /// take), an error answer included.
    pub(crate) async fn respond<B>(
        self: &Arc<Self>,
        route: Option<Route>,
        request: Request<B>,
    ) -> Response<BackupBody>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        match self.dispatch(route, request).await {
            Ok(response) => response,
            Err(err) => {
                let response = error_response(&err, self.compat);
                if response.status().is_server_error() {
                    tracing::warn!(error = %err, "backup request failed");
                }
                response
            }
        }
    }

    /// Checks in SPEC §1's order — path, method, id, body — and runs the
    /// operation asked for.
    async fn dispatch<B>(
        self: &Arc<Self>,
        route: Option<Route>,
        request: Request<B>,
    ) -> Result<Response<BackupBody>, ApiError>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let route = route.ok_or(ApiError::UnknownPath)?;
        let action = route
            .action(&parts.method)
            .ok_or_else(|| ApiError::MethodNotAllowed {
                method: parts.method.to_string(),
                allowed: route.allowed(),
            })?;
        let path = parts.uri.path();
        match action {
            Action::List => self.list().await,
            Action::Get(segment) => self.get(path_id(segment.of(path))?).await,
            Action::Delete(segment) => self.delete(path_id(segment.of(path))?).await,
            Action::Trigger => {
                let body = read_body(body, self.body_read_timeout).await?;
                let id = BackupRequest::from_json(&body)?.backup_id;
                record_backup_id(id);
                self.trigger(id).await
            }
            Action::Health => Ok(crate::health::respond(
                self.store.as_ref(),
                self.repository.as_deref(),
                self.health_timeout,
            )
            .await),
            Action::Prometheus => self
                .observer
                .prometheus(&parts.headers)
                .ok_or(ApiError::UnknownPath),
        }
    }

    /// The snapshots of backup `id`, or of every backup when `None`, with
    /// a store error as the API error the operation answers.
    pub(crate) async fn find(&self, id: Option<BackupId>) -> Result<Vec<SnapshotRecord>, ApiError> {
        let repository = self.repository()?;
        let pattern = match id {
            Some(id) => self.plan.lookup_pattern(id),
            None => self.plan.list_pattern(),
        };
        self.store
            .find_snapshots(repository, &pattern)
            .await
            .map_err(|e| api_error(e, id))
    }

    /// Aggregates snapshots, logging the names the plan cannot read.
    fn aggregate(&self, found: Vec<SnapshotRecord>) -> Backups {
        let backups = Backups::from_snapshots(&self.plan, found, &self.zone);
        self.warn_ignored(backups.ignored());
        backups
    }

    fn warn_ignored(&self, ignored: &[String]) {
        // A claim is not a part, and no stranger either: not worth a warning.
        for name in ignored
            .iter()
            .filter(|name| self.plan.claim_id(name).is_none())
        {
            tracing::warn!(snapshot = %name, "ignoring a snapshot whose name is not part of a backup");
        }
    }

    async fn get(&self, id: BackupId) -> Result<Response<BackupBody>, ApiError> {
        let found = self.find(Some(id)).await?;
        let backup = self
            .aggregate(found)
            .into_backup(id)
            .ok_or(ApiError::BackupNotFound(id))?;
        self.observer.backup(&backup);
        json_answer(StatusCode::OK, &self.compat.backup(&backup))
    }

    async fn list(&self) -> Result<Response<BackupBody>, ApiError> {
        let found = self.find(None).await?;
        // Written a chunk at a time: the whole answer is never held (§6).
        let (list, ignored) = BackupList::new(&self.plan, found, self.zone.clone(), self.compat)
            .map_err(|err| ApiError::Internal {
                detail: format!("could not write the answer: {err}"),
            })?;
        self.warn_ignored(&ignored);
        self.observer.backups(&list);
        Ok(json_response(StatusCode::OK, list))
    }

    async fn trigger(self: &Arc<Self>, id: BackupId) -> Result<Response<BackupBody>, ApiError> {
        self.create(id, None).await?;
        let body = TriggerAccepted { backup_id: id }.to_json();
        Ok(json_response(StatusCode::ACCEPTED, body.into_bytes()))
    }

    /// POST: claim the id, look again, create the parts, release the claim.
    ///
    /// Why of many concurrent POSTs of one id at most one answers 202, in
    /// this process or across processes on any versions (part names differ
    /// by version, so their uniqueness alone cannot decide):
    ///
    /// 1. Every POST first creates the claim `{prefix}_{id}_claim`, whose
    ///    name does not depend on the version. The cluster refuses a second
    ///    snapshot of a name that exists or is being created, so at any
    ///    moment at most one POST holds the claim. A refused claim is 409.
    /// 2. The holder looks for parts of the id again *after* its claim was
    ///    accepted, and answers 409 if it finds any.
    /// 3. The holder releases (deletes) the claim only after every part it
    ///    created was accepted by the cluster (and so is visible to a look-up),
    ///    or after it deleted them again.
    ///
    /// Take two POSTs A and B that both got 202. Both held the claim, so one
    /// of them, A, released it before B's claim was accepted. A released it
    /// after its parts existed, so B's look in step 2, which came after its
    /// claim, found A's parts and B answered 409: a contradiction (unless
    /// someone DELETEd A's backup in between, which makes B a new backup).
    /// The release may land late (see [`Shared::release_claim_soon`]); a
    /// late release only keeps others out longer.
    ///
    /// A claim left by a crashed process, with no part beside it, is removed
    /// by a POST of the id once that process has seen the same claim
    /// standing for longer than the claim expiry, which is longer than any
    /// POST takes. A claim is kept while a part whose create outcome is
    /// unknown may still appear, so that the part found then is this POST's.
    ///
    /// `trigger` goes into the parts' metadata; the names created are returned.
    pub(crate) async fn create(
        self: &Arc<Self>,
        id: BackupId,
        trigger: Option<Trigger>,
    ) -> Result<Vec<String>, ApiError> {
        let repository = self.repository()?;
        let _serialised = self.trigger_lock.lock().await;
        self.check_unclaimed(repository, id).await?;
        self.claim(repository, id).await?;
        self.check_after_claim(repository, id).await?;
        let created = self.create_parts(repository, id, trigger).await?;
        // Step 3: every part was accepted, so a look-up finds them now.
        self.release_claim_soon(repository, id).await;
        tracing::info!(snapshots = ?created, "backup triggered");
        Ok(created)
    }

    /// Before the claim: 409 if a part of `id` exists or another POST's
    /// claim stands; a claim left by a stopped process is removed.
    async fn check_unclaimed(&self, repository: &str, id: BackupId) -> Result<(), ApiError> {
        let found = self.find(Some(id)).await?;
        // Any part of this id, of any version or state, is a conflict; a
        // hand-made name that merely matches the wildcard is not (SPEC §3,
        // §5), and could never collide with the names about to be created.
        let stale_claim = self.standing_claim(id, &found);
        let existing = self.parts_of(id, found);
        if !existing.is_empty() {
            return Err(self.conflict(id, existing));
        }
        if stale_claim? {
            let claim = self.plan.claim_name(id);
            tracing::warn!(snapshot = %claim, "removing a claim older than the claim expiry, left by a process that stopped while triggering");
            match self
                .store
                .delete_snapshots(repository, std::slice::from_ref(&claim))
                .await
            {
                Ok(()) | Err(StoreError::SnapshotMissing { .. }) => {}
                Err(err) => return Err(api_error(err, Some(id))),
            }
        }
        Ok(())
    }

    /// Step 1: the claim. A refused name is another POST's claim.
    async fn claim(self: &Arc<Self>, repository: &str, id: BackupId) -> Result<(), ApiError> {
        let claim = self.plan.claim_part(id);
        let Err(err) = self.store.create_snapshot(repository, &claim).await else {
            return Ok(());
        };
        if is_unknown_outcome(&err) {
            // The claim may exist all the same; it is ours, so it goes.
            self.watch_unknown(repository, id, vec![claim.name]).await;
            return Err(unknown_outcome(api_error(err, Some(id)), false));
        }
        Err(api_error(err, Some(id)))
    }

    /// Step 2: look again, now that no other POST can hold the claim.
    async fn check_after_claim(
        self: &Arc<Self>,
        repository: &str,
        id: BackupId,
    ) -> Result<(), ApiError> {
        let found = match self.find(Some(id)).await {
            Ok(found) => found,
            Err(err) => {
                self.release_claim_soon(repository, id).await;
                return Err(err);
            }
        };
        let existing = self.parts_of(id, found);
        if !existing.is_empty() {
            self.release_claim_soon(repository, id).await;
            return Err(self.conflict(id, existing));
        }
        Ok(())
    }

    /// Creates every part, holding the claim. On a refusal the parts
    /// created are deleted again, and the claim released (or, after an
    /// unknown outcome, held while the part is watched for).
    async fn create_parts(
        self: &Arc<Self>,
        repository: &str,
        id: BackupId,
        trigger: Option<Trigger>,
    ) -> Result<Vec<String>, ApiError> {
        let parts = match trigger {
            Some(trigger) => self.plan.snapshot_parts_triggered_by(id, trigger),
            None => self.plan.snapshot_parts(id),
        };
        let mut created: Vec<String> = Vec::new();
        for part in parts {
            if let Err(err) = self.store.create_snapshot(repository, &part).await {
                tracing::warn!(snapshot = %part.name, error = %err, "snapshot not created; rolling back");
                self.roll_back(repository, created).await;
                if is_unknown_outcome(&err) {
                    // After a timeout or a broken answer the cluster may
                    // create the part all the same, even later: keep
                    // looking for it, holding the claim meanwhile.
                    self.watch_unknown(repository, id, vec![part.name]).await;
                    return Err(unknown_outcome(api_error(err, Some(id)), true));
                }
                self.release_claim_soon(repository, id).await;
                return Err(api_error(err, Some(id)));
            }
            created.push(part.name);
        }
        Ok(created)
    }

    /// Whether `found` holds a claim of `id`: a fresh one is another POST
    /// under way (409); `Ok(true)` is one that this process has seen
    /// standing, unchanged (same start time), for longer than the claim
    /// expiry: left by a process that stopped while triggering.
    fn standing_claim(&self, id: BackupId, found: &[SnapshotRecord]) -> Result<bool, ApiError> {
        let name = self.plan.claim_name(id);
        let mut seen = self
            .claims_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        Err(ApiError::BackupExists {
            backup_id: id,
            snapshots: vec![name],
        })
    }

    /// Releases this POST's claim, waiting at most [`CLAIM_RELEASE_WAIT`]
    /// for it; a failure leaves it to expire.
    ///
    /// A real engine queues a snapshot delete behind the running snapshots
    /// of the repository, so a POST that waited for the release would wait
    /// for the whole backup (seen on OpenSearch 2.19: 202 only once
    /// COMPLETE). Past the wait the release goes on in the background; if
    /// it never lands, DELETE removes the claim with the parts, and a claim
    /// with no part beside it expires. Without a tokio runtime it runs
    /// inline.
    async fn release_claim_soon(self: &Arc<Self>, repository: &str, id: BackupId) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let shared = Arc::clone(self);
                let repository = repository.to_owned();
                let release = async move { shared.release_claim(&repository, id).await };
                let task = runtime.spawn(release.instrument(tracing::Span::current()));
                if tokio::time::timeout(CLAIM_RELEASE_WAIT, task)
                    .await
                    .is_err()
                {
                    tracing::info!(
                        snapshot = %self.plan.claim_name(id),
                        "the cluster queued the claim's release behind running snapshots; it goes on in the background"
                    );
                }
            }
            Err(_) => self.release_claim(repository, id).await,
        }
    }

    async fn release_claim(&self, repository: &str, id: BackupId) {
        let name = self.plan.claim_name(id);
        match self
            .store
            .delete_snapshots(repository, std::slice::from_ref(&name))
            .await
        {
            Ok(()) => {}
            Err(StoreError::SnapshotMissing { .. }) => {
                tracing::warn!(snapshot = %name, "the claim was already gone when released");
            }
            Err(err) => tracing::warn!(
                snapshot = %name,
                error = %err,
                "could not release the claim; the next POST of this id removes it once it expired"
            ),
        }
    }

    /// The names among `found` that are parts of backup `id` under any
    /// plan: what POST conflicts with and what DELETE removes.
    fn parts_of(&self, id: BackupId, found: Vec<SnapshotRecord>) -> Vec<String> {
        found
            .into_iter()
            .map(|s| s.name)
            .filter(|name| self.plan.parse_snapshot_name(name).map(|p| p.backup_id) == Some(id))
            .collect()
    }

    /// The 409 of a POST that found `parts` of backup `id`, listing them in
    /// `details` order — part number, then name — as SPEC §4 asks of every
    /// name list in a message (the store answers in name order, which puts
    /// `…_10.0.0_part_2_of_2` before `…_8.5.0_part_1_of_2`).
    fn conflict(&self, id: BackupId, mut parts: Vec<String>) -> ApiError {
        let part_no = |name: &str| self.plan.parse_snapshot_name(name).map(|p| p.part_no);
        parts.sort_by(|a, b| (part_no(a), a).cmp(&(part_no(b), b)));
        ApiError::BackupExists {
            backup_id: id,
            snapshots: parts,
        }
    }

    /// Deletes the parts a failed trigger created; best effort.
    async fn roll_back(&self, repository: &str, created: Vec<String>) {
        if created.is_empty() {
            return;
        }
        if let Err(err) = self.store.delete_snapshots(repository, &created).await {
            tracing::error!(
                snapshots = ?created,
                error = %err,
                "could not delete the parts of a refused backup; delete them by hand"
            );
        }
    }

    /// After a create with an unknown outcome: looks for `names` (and the
    /// claim) for the watch time, deletes whatever of them appears, then
    /// releases the claim. Runs in the background on the tokio runtime;
    /// without one, looks once before the answer.
    async fn watch_unknown(self: &Arc<Self>, repository: &str, id: BackupId, names: Vec<String>) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let shared = Arc::clone(self);
                let repository = repository.to_owned();
                let watch = async move {
                    let deadline = Instant::now() + shared.unknown_outcome_watch;
                    shared.watch(&repository, id, names, deadline).await;
                };
                runtime.spawn(watch.instrument(tracing::Span::current()));
            }
            Err(_) => self.watch(repository, id, names, Instant::now()).await,
        }
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
            tokio::time::sleep(WATCH_INTERVAL).await;
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
        let found = match self
            .store
            .find_snapshots(repository, &self.plan.lookup_pattern(id))
            .await
        {
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
        match self.store.delete_snapshots(repository, &appeared).await {
            Ok(()) | Err(StoreError::SnapshotMissing { .. }) => {
                tracing::warn!(snapshots = ?appeared, "a part whose create had an unknown outcome appeared and was deleted");
                names.retain(|name| !appeared.contains(name));
            }
            Err(err) => {
                tracing::warn!(snapshots = ?appeared, error = %err, "could not delete a part that appeared after an unknown outcome; trying again");
            }
        }
    }

    async fn delete(&self, id: BackupId) -> Result<Response<BackupBody>, ApiError> {
        self.remove(id).await?;
        Ok(no_content())
    }

    /// DELETE's work (SPEC §6); the names deleted, empty if none were found.
    pub(crate) async fn remove(&self, id: BackupId) -> Result<Vec<String>, ApiError> {
        let repository = self.repository()?;
        let mut attempt = 1;
        loop {
            let found = self.find(Some(id)).await?;
            // Only names that are parts of this backup: a hand-made
            // `{prefix}_{id}_before_upgrade` matches the pattern but is kept.
            // The backup's claim goes with its parts, in the same request.
            let claim = self.plan.claim_name(id);
            let has_claim = found.iter().any(|s| s.name == claim);
            let mut names = self.parts_of(id, found);
            if names.is_empty() {
                return Ok(names);
            }
            if has_claim {
                names.push(claim);
            }
            match self.store.delete_snapshots(repository, &names).await {
                Ok(()) => {
                    tracing::info!(snapshots = ?names, "backup deleted");
                    return Ok(names);
                }
                Err(StoreError::SnapshotMissing { name, .. }) if attempt <= DELETE_RETRIES => {
                    tracing::info!(snapshot = %name, attempt, "snapshot vanished meanwhile; looking up again");
                    attempt += 1;
                }
                Err(err) => return Err(api_error(err, Some(id))),
            }
        }
    }
}

/// A timeout or a broken answer: the cluster may have done it all the same.
fn is_unknown_outcome(err: &StoreError) -> bool {
    matches!(
        err,
        StoreError::Unreachable { .. } | StoreError::Unreadable { .. }
    )
}

/// The error of a POST whose last create had an unknown outcome, telling
/// the client that what may still appear will be removed.
fn unknown_outcome(err: ApiError, part: bool) -> ApiError {
    let note = if part {
        "The part may still appear in the cluster; it will be removed"
    } else {
        "The claim may still appear in the cluster; it will be removed"
    };
    match err {
        ApiError::ClusterUnreachable { product, detail } => ApiError::ClusterUnreachable {
            product,
            detail: format!("{detail}. {note}"),
        },
        ApiError::Cluster { detail } => ApiError::Cluster {
            detail: format!("{detail}. {note}"),
        },
        other => other,
    }
}

/// The backup id in a path segment, recorded on the request's span.
fn path_id(segment: &str) -> Result<BackupId, ApiError> {
    let id = BackupId::from_path_segment(segment)?;
    record_backup_id(id);
    Ok(id)
}
