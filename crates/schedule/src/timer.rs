//! Time as a schedule sees it, replaceable so tests need no sleeps.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

/// Where a [`BackupSchedule`](crate::BackupSchedule) reads the time and
/// waits for it.
#[async_trait]
pub trait Timer: Debug + Send + Sync + 'static {
    /// Now.
    fn now(&self) -> Timestamp;

    /// Returns once [`Timer::now`] has reached `deadline`.
    async fn sleep_until(&self, deadline: Timestamp);
}

/// The system clock, with tokio's timer.
///
/// It wakes at least once a minute to read the wall clock again, so a
/// machine that was suspended, or a clock that was set, does not leave a
/// slot waiting on a stale timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemTimer;

/// The longest a [`SystemTimer`] sleeps before it reads the clock again.
const RECHECK: Duration = Duration::from_secs(60);

#[async_trait]
impl Timer for SystemTimer {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    async fn sleep_until(&self, deadline: Timestamp) {
        loop {
            let left = deadline.duration_since(Timestamp::now());
            if left <= SignedDuration::ZERO {
                return;
            }
            let left = left.unsigned_abs().min(RECHECK);
            tokio::time::sleep(left).await;
        }
    }
}

/// A clock that moves only when told, for tests; clones share the time.
///
/// It is also a [`Clock`](backup_actuator_store::Clock) of the store crate,
/// so a [`MemoryStore`](backup_actuator_store::MemoryStore) can complete its
/// snapshots on the same time line as the schedule.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_schedule::{ManualTimer, Timer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let timer = ManualTimer::new("2026-01-01T00:00:00Z".parse().unwrap());
/// let waiting = tokio::spawn({
///     let timer = timer.clone();
///     async move { timer.sleep_until("2026-01-01T00:01:00Z".parse().unwrap()).await }
/// });
/// timer.advance(Duration::from_secs(60));
/// waiting.await.unwrap();
/// assert_eq!(timer.now().to_string(), "2026-01-01T00:01:00Z");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ManualTimer {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    now: watch::Sender<Timestamp>,
    /// The deadline of every sleeper, by a number of its own.
    sleeping: Mutex<BTreeMap<u64, Timestamp>>,
    next_sleeper: AtomicU64,
}

/// Takes a sleeper off the list however its sleep ends.
struct Asleep<'a> {
    shared: &'a Shared,
    number: u64,
}

impl Drop for Asleep<'_> {
    fn drop(&mut self) {
        self.shared.sleeping().remove(&self.number);
    }
}

impl Shared {
    fn sleeping(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Timestamp>> {
        // Each update is one insert or remove: a poisoned map is still whole.
        self.sleeping.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ManualTimer {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> ManualTimer {
        ManualTimer {
            shared: Arc::new(Shared {
                now: watch::Sender::new(start),
                sleeping: Mutex::new(BTreeMap::new()),
                next_sleeper: AtomicU64::new(0),
            }),
        }
    }

    /// Moves the clock forward, waking every sleeper whose deadline passed.
    pub fn advance(&self, by: Duration) {
        let by = SignedDuration::try_from(by).unwrap_or(SignedDuration::MAX);
        self.shared
            .now
            .send_modify(|now| *now = now.saturating_add(by).unwrap_or(*now));
    }

    /// Sets the clock (it may go backwards).
    pub fn set(&self, now: Timestamp) {
        self.shared.now.send_replace(now);
    }

    /// How many tasks sleep on this clock for a time still to come: a
    /// test waits for a schedule to be asleep before it moves the clock,
    /// so the move is not seen as "already past" when the schedule reads
    /// the time. A sleeper whose deadline the clock has passed no longer
    /// counts, even before it has woken.
    pub fn sleepers(&self) -> usize {
        let now = *self.shared.now.borrow();
        self.shared
            .sleeping()
            .values()
            .filter(|deadline| **deadline > now)
            .count()
    }

    /// Returns once at least `count` tasks sleep on this clock.
    pub async fn until_sleepers(&self, count: usize) {
        while self.sleepers() < count {
            tokio::task::yield_now().await;
        }
    }
}

#[async_trait]
impl Timer for ManualTimer {
    fn now(&self) -> Timestamp {
        *self.shared.now.borrow()
    }

    async fn sleep_until(&self, deadline: Timestamp) {
        let number = self.shared.next_sleeper.fetch_add(1, Ordering::Relaxed);
        self.shared.sleeping().insert(number, deadline);
        let _asleep = Asleep {
            shared: &self.shared,
            number,
        };
        let mut now = self.shared.now.subscribe();
        // `wait_for` looks at the current value first, so a move made
        // before this call is not missed.
        let _ = now.wait_for(|now| *now >= deadline).await;
    }
}

impl backup_actuator_store::Clock for ManualTimer {
    fn now_millis(&self) -> i64 {
        Timer::now(self).as_millisecond()
    }
}
