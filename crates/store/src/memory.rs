//! The embedded store: snapshots kept in process.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use backup_actuator_core::{ShardFailure, SnapshotPart, SnapshotRecord, SnapshotState};

use crate::clock::{Clock, SystemClock};
use crate::error::StoreError;
use crate::glob::glob_matches;
use crate::SnapshotStore;

/// How a snapshot whose name matches a rule ends (see
/// [`MemoryStore::set_outcome`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartOutcome {
    /// Ends `SUCCESS` (the default).
    Success,
    /// Ends `FAILED`.
    Failed,
    /// Ends `PARTIAL` with these shard failures.
    Partial(Vec<ShardFailure>),
    /// Ends `INCOMPATIBLE`.
    Incompatible,
    /// Ends in a state this crate does not know, such as a newer cluster might report.
    Unknown(String),
    /// Never ends: stays `IN_PROGRESS`.
    Hang,
    /// Is refused at creation with this error (e.g. [`StoreError::Cluster`]).
    Refuse(StoreError),
}

/// Snapshots kept in process: the embedded default store, for demos, local
/// development and tests.
///
/// A new snapshot is `IN_PROGRESS` until the configured delay has passed on
/// its [`Clock`], then ends as its [`PartOutcome`] says (`SUCCESS` unless a
/// rule matched). Any repository name exists unless
/// [`MemoryStoreBuilder::repositories`] restricts them. Clones share state.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_core::{BackupId, BackupPlan, SnapshotState};
/// use backup_actuator_store::{ManualClock, MemoryStore, PartOutcome, SnapshotStore};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let clock = ManualClock::new(0);
/// let store = MemoryStore::builder()
///     .complete_after(Duration::from_secs(2))
///     .clock(clock.clone())
///     .build();
/// store.set_outcome("*_part_2_of_2", PartOutcome::Failed);
///
/// let plan = BackupPlan::optimize("8.6.0").unwrap();
/// for part in plan.snapshot_parts(BackupId::new(9).unwrap()) {
///     store.create_snapshot("repo", &part).await.unwrap();
/// }
/// let states = |found: Vec<backup_actuator_core::SnapshotRecord>| {
///     found.into_iter().map(|s| s.state).collect::<Vec<_>>()
/// };
/// let running = store.find_snapshots("repo", "*").await.unwrap();
/// assert_eq!(states(running), [SnapshotState::InProgress, SnapshotState::InProgress]);
///
/// clock.advance(Duration::from_secs(2));
/// let done = store.find_snapshots("repo", "*").await.unwrap();
/// assert_eq!(states(done), [SnapshotState::Success, SnapshotState::Failed]);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    complete_after_millis: i64,
    repositories: Option<Arc<BTreeSet<String>>>,
}

#[derive(Debug, Default)]
struct State {
    /// repository → name → snapshot; a BTreeMap answers in name order.
    snapshots: BTreeMap<String, BTreeMap<String, Stored>>,
    rules: Vec<(String, PartOutcome)>,
}

#[derive(Clone, Debug)]
struct Stored {
    start_millis: i64,
    /// The state and shard failures it ends with once the delay has
    /// passed; `None` never ends ([`PartOutcome::Hang`]).
    end: Option<(SnapshotState, Vec<ShardFailure>)>,
    /// The `trigger` of the part's metadata, reported back as a cluster would.
    trigger: Option<String>,
}

/// How a snapshot created under `outcome` ends, or the refusal of
/// [`PartOutcome::Refuse`]: a refused snapshot is never stored.
fn end_of(outcome: PartOutcome) -> Result<Option<(SnapshotState, Vec<ShardFailure>)>, StoreError> {
    let state = match outcome {
        PartOutcome::Refuse(err) => return Err(err),
        PartOutcome::Hang => return Ok(None),
        PartOutcome::Partial(failures) => return Ok(Some((SnapshotState::Partial, failures))),
        PartOutcome::Success => SnapshotState::Success,
        PartOutcome::Failed => SnapshotState::Failed,
        PartOutcome::Incompatible => SnapshotState::Incompatible,
        PartOutcome::Unknown(state) => SnapshotState::Unknown(state),
    };
    Ok(Some((state, Vec::new())))
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// A store on the system clock whose snapshots complete after 2 s.
    pub fn new() -> MemoryStore {
        MemoryStore::builder().build()
    }

    /// A builder for delay, clock and repositories.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder {
            complete_after: Duration::from_secs(2),
            clock: Arc::new(SystemClock),
            repositories: None,
        }
    }

    /// Makes snapshots created from now on whose names match `pattern`
    /// (`*` wildcards) end as `outcome`. The most recent matching rule wins.
    pub fn set_outcome(&self, pattern: &str, outcome: PartOutcome) {
        self.lock().rules.push((pattern.to_owned(), outcome));
    }

    /// Forgets every rule set by [`MemoryStore::set_outcome`].
    pub fn clear_outcomes(&self) {
        self.lock().rules.clear();
    }

    /// The names of the snapshots in a repository, sorted.
    pub fn snapshot_names(&self, repository: &str) -> Vec<String> {
        self.lock()
            .snapshots
            .get(repository)
            .map(|names| names.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the maps half-updated (every update
        // is a single insert or remove), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check_repository(&self, repository: &str) -> Result<(), StoreError> {
        match &self.repositories {
            Some(known) if !known.contains(repository) => Err(StoreError::RepositoryMissing {
                repository: repository.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    fn record(&self, name: &str, stored: &Stored, now: i64) -> SnapshotRecord {
        let done = now.saturating_sub(stored.start_millis) >= self.complete_after_millis;
        let (state, failures) = match (&stored.end, done) {
            (Some((state, failures)), true) => (state.clone(), failures.clone()),
            _ => (SnapshotState::InProgress, Vec::new()),
        };
        SnapshotRecord {
            name: name.to_owned(),
            state,
            start_time_millis: Some(stored.start_millis),
            failures,
            trigger: stored.trigger.clone(),
        }
    }
}

#[async_trait]
impl SnapshotStore for MemoryStore {
    async fn find_snapshots(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.check_repository(repository)?;
        let now = self.clock.now_millis();
        let state = self.lock();
        Ok(state
            .snapshots
            .get(repository)
            .into_iter()
            .flatten()
            .filter(|(name, _)| glob_matches(pattern, name))
            .map(|(name, stored)| self.record(name, stored, now))
            .collect())
    }

    async fn create_snapshot(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError> {
        self.check_repository(repository)?;
        let start_millis = self.clock.now_millis();
        let mut state = self.lock();
        let outcome = state
            .rules
            .iter()
            .rev()
            .find(|(pattern, _)| glob_matches(pattern, &part.name))
            .map_or(PartOutcome::Success, |(_, outcome)| outcome.clone());
        let end = end_of(outcome)?;
        let names = state.snapshots.entry(repository.to_owned()).or_default();
        if names.contains_key(&part.name) {
            return Err(StoreError::NameInUse {
                name: part.name.clone(),
            });
        }
        names.insert(
            part.name.clone(),
            Stored {
                start_millis,
                end,
                trigger: part.metadata.trigger.map(|t| t.as_str().to_owned()),
            },
        );
        Ok(())
    }

    async fn delete_snapshots(&self, repository: &str, names: &[String]) -> Result<(), StoreError> {
        self.check_repository(repository)?;
        let mut state = self.lock();
        let Some(stored) = state.snapshots.get_mut(repository) else {
            return match names.first() {
                Some(name) => Err(StoreError::snapshot_missing(name.clone())),
                None => Ok(()),
            };
        };
        // Like the cluster: one missing name and nothing is deleted.
        if let Some(missing) = names.iter().find(|n| !stored.contains_key(*n)) {
            return Err(StoreError::snapshot_missing(missing.clone()));
        }
        for name in names {
            stored.remove(name);
        }
        Ok(())
    }

    /// Nothing to reach: healthy when the repository exists.
    async fn check_health(&self, repository: &str) -> Result<(), StoreError> {
        self.check_repository(repository)
    }

    fn describe(&self) -> String {
        format!(
            "memory (snapshots complete after {} ms)",
            self.complete_after_millis
        )
    }
}

/// Builds a [`MemoryStore`]; see [`MemoryStore::builder`].
#[derive(Debug)]
#[must_use]
pub struct MemoryStoreBuilder {
    complete_after: Duration,
    clock: Arc<dyn Clock>,
    repositories: Option<BTreeSet<String>>,
}

impl MemoryStoreBuilder {
    /// How long a new snapshot stays `IN_PROGRESS` (default 2 s).
    pub fn complete_after(mut self, delay: Duration) -> Self {
        self.complete_after = delay;
        self
    }

    /// The clock (default the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Only these repositories exist; any other name is
    /// [`StoreError::RepositoryMissing`]. By default every name exists.
    pub fn repositories<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.repositories = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Builds the store.
    pub fn build(self) -> MemoryStore {
        MemoryStore {
            state: Arc::default(),
            clock: self.clock,
            complete_after_millis: i64::try_from(self.complete_after.as_millis())
                .unwrap_or(i64::MAX),
            repositories: self.repositories.map(Arc::new),
        }
    }
}
