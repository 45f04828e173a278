//! Test doubles for code that drives a [`SnapshotStore`], behind the
//! `testing` cargo feature:
//!
//! ```toml
//! [dev-dependencies]
//! backup-actuator-store = { version = "0.1", features = ["testing"] }
//! ```
//!
//! [`RecordingStore`] wraps a store (by default a [`MemoryStore`]), records
//! every call made to it, and can play two cluster behaviours a memory
//! store alone cannot: a snapshot that vanishes before a delete, and a
//! competing instance that creates a part while a trigger holds its claim.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use backup_actuator_core::{SnapshotPart, SnapshotRecord};

use crate::{MemoryStore, SnapshotStore, StoreError};

/// One call a [`RecordingStore`] received (the repository left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreCall {
    /// `find_snapshots(repository, pattern)`: the pattern.
    Find(String),
    /// `find_snapshot_states(repository, pattern)` (names and states
    /// only): the pattern.
    FindStates(String),
    /// `create_snapshot(repository, part)`: the part's name.
    Create(String),
    /// `delete_snapshots(repository, names)`: the names.
    Delete(Vec<String>),
}

/// A store that records every call and passes it on to `inner`; clones
/// share the record.
///
/// `check_health` is the trait's default (one look-up, recorded as a
/// [`StoreCall::Find`]).
///
/// ```
/// use backup_actuator_core::{BackupId, BackupPlan};
/// use backup_actuator_store::testing::{RecordingStore, StoreCall};
/// use backup_actuator_store::{MemoryStore, SnapshotStore};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let store = RecordingStore::new(MemoryStore::new());
/// let plan = BackupPlan::optimize("8.6.0").unwrap();
/// let id = BackupId::new(5).unwrap();
/// let part = plan.snapshot_parts(id).remove(0);
/// store.create_snapshot("backups", &part).await.unwrap();
/// store.find_snapshots("backups", &plan.lookup_pattern(id)).await.unwrap();
/// assert_eq!(
///     store.take_calls(),
///     [
///         StoreCall::Create("camunda_optimize_5_8.6.0_part_1_of_2".into()),
///         StoreCall::Find("camunda_optimize_5_*".into()),
///     ]
/// );
/// assert_eq!(store.inner().snapshot_names("backups").len(), 1);
///
/// // The next delete fails as if the snapshot had vanished meanwhile.
/// store.fail_deletes(1);
/// let names = vec![part.name.clone()];
/// assert!(matches!(
///     store.delete_snapshots("backups", &names).await,
///     Err(backup_actuator_store::StoreError::SnapshotMissing { .. })
/// ));
/// assert_eq!(store.delete_snapshots("backups", &names).await, Ok(()));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct RecordingStore<S = MemoryStore> {
    inner: S,
    calls: Arc<Mutex<Vec<StoreCall>>>,
    missing_deletes: Arc<AtomicUsize>,
    after_claim: Arc<Mutex<Option<String>>>,
}

impl<S> RecordingStore<S> {
    /// Records the calls made to `inner`.
    pub fn new(inner: S) -> RecordingStore<S> {
        RecordingStore {
            inner,
            calls: Arc::default(),
            missing_deletes: Arc::default(),
            after_claim: Arc::default(),
        }
    }

    /// The wrapped store, e.g. to set outcomes or read names without
    /// recording a call.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The calls so far, oldest first, forgetting them.
    pub fn take_calls(&self) -> Vec<StoreCall> {
        std::mem::take(&mut *lock(&self.calls))
    }

    /// Makes the next `times` deletes fail with
    /// [`StoreError::SnapshotMissing`] for their first name, deleting
    /// nothing: as if that snapshot had been deleted meanwhile.
    pub fn fail_deletes(&self, times: usize) {
        self.missing_deletes.store(times, Ordering::SeqCst);
    }

    /// Once a claim (a snapshot whose name ends in `_claim`) has been
    /// created, the snapshot `name` appears beside it, once: as if another
    /// instance had created that part meanwhile.
    pub fn parts_appear_after_claim(&self, name: &str) {
        *lock(&self.after_claim) = Some(name.to_owned());
    }

    fn record(&self, call: StoreCall) {
        lock(&self.calls).push(call);
    }
}

/// A poisoned lock only means another test thread panicked; the record is
/// still whole (every update is one push or one swap).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl<S: SnapshotStore> SnapshotStore for RecordingStore<S> {
    async fn find_snapshots(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.record(StoreCall::Find(pattern.to_owned()));
        self.inner.find_snapshots(repository, pattern).await
    }

    async fn find_snapshot_states(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.record(StoreCall::FindStates(pattern.to_owned()));
        self.inner.find_snapshot_states(repository, pattern).await
    }

    async fn create_snapshot(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError> {
        self.record(StoreCall::Create(part.name.clone()));
        self.inner.create_snapshot(repository, part).await?;
        if part.name.ends_with("_claim") {
            let appearing = lock(&self.after_claim).take();
            if let Some(name) = appearing {
                let mut other = part.clone();
                other.name = name;
                self.inner.create_snapshot(repository, &other).await?;
            }
        }
        Ok(())
    }

    async fn delete_snapshots(&self, repository: &str, names: &[String]) -> Result<(), StoreError> {
        self.record(StoreCall::Delete(names.to_vec()));
        let fail = self
            .missing_deletes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if let (true, Some(first)) = (fail, names.first()) {
            return Err(StoreError::snapshot_missing(first.clone()));
        }
        self.inner.delete_snapshots(repository, names).await
    }

    fn describe(&self) -> String {
        format!("recording {}", self.inner.describe())
    }
}
