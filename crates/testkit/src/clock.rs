//! The emulator's controllable clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The clock of an [`EmulatedCluster`](crate::EmulatedCluster), in epoch milliseconds.
///
/// It never moves on its own: snapshot start times, completion of running snapshots
/// (see [`EmulatedCluster::set_completion_delay`](crate::EmulatedCluster::set_completion_delay))
/// and time strings all follow it. It starts at [`EmulatorClock::DEFAULT_START_MILLIS`]
/// (2024-11-14T12:00:00.000Z). The only automatic move: a create with
/// `wait_for_completion=true` advances it to the snapshot's completion time, as the
/// real request would have waited that long.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_testkit::EmulatorClock;
///
/// let clock = EmulatorClock::new();
/// assert_eq!(clock.now_millis(), 1_731_585_600_000);
/// clock.advance(Duration::from_millis(388));
/// assert_eq!(clock.now_millis(), 1_731_585_600_388);
/// clock.set(0);
/// assert_eq!(clock.now_millis(), 0);
/// ```
#[derive(Debug)]
pub struct EmulatorClock {
    millis: AtomicI64,
}

impl EmulatorClock {
    /// 2024-11-14T12:00:00.000Z, the initial time of every emulated cluster.
    pub const DEFAULT_START_MILLIS: i64 = 1_731_585_600_000;

    /// A clock at [`Self::DEFAULT_START_MILLIS`].
    pub fn new() -> Self {
        EmulatorClock {
            millis: AtomicI64::new(Self::DEFAULT_START_MILLIS),
        }
    }

    /// The current emulated time in epoch milliseconds.
    pub fn now_millis(&self) -> i64 {
        self.millis.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `d` (millisecond precision).
    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `millis` (epoch milliseconds); it may go backwards.
    pub fn set(&self, millis: i64) {
        self.millis.store(millis, Ordering::SeqCst);
    }

    /// Moves the clock to `millis` if it is behind it.
    pub(crate) fn advance_to(&self, millis: i64) {
        self.millis.fetch_max(millis, Ordering::SeqCst);
    }
}

impl Default for EmulatorClock {
    fn default() -> Self {
        Self::new()
    }
}

/// `2024-11-14T12:00:00.123Z`: UTC, exactly three fractional digits (§4.4).
pub(crate) fn format_millis(millis: i64) -> String {
    match jiff::Timestamp::from_millisecond(millis) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => "1970-01-01T00:00:00.000Z".to_string(),
    }
}
