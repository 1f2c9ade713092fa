//! Wall-clock time, injectable so tests can expire challenges and sessions without sleeping.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use jiff::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's real-time clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock that reads `start` until advanced.
    pub fn new(start: Timestamp) -> Self {
        Self { now: Mutex::new(start) }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = after(*now, by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `at + by`, saturating at the largest timestamp instead of failing: every duration here
/// comes from the server's own configuration, and "never" is the right reading of an overflow.
pub fn after(at: Timestamp, by: Duration) -> Timestamp {
    at.checked_add(by).unwrap_or(Timestamp::MAX)
}

/// Whether more than `lifetime` has passed from `since` to `now`.
pub fn has_elapsed(since: Timestamp, now: Timestamp, lifetime: Duration) -> bool {
    after(since, lifetime) < now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_advances() {
        let start = Timestamp::from_second(1_000).expect("in range");
        let clock = ManualClock::new(start);
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now().as_second(), 1_005);
    }

    #[test]
    fn after_saturates() {
        assert_eq!(after(Timestamp::MAX, Duration::from_secs(1)), Timestamp::MAX);
    }

    #[test]
    fn has_elapsed_is_strict() {
        let t0 = Timestamp::from_second(0).expect("in range");
        let life = Duration::from_secs(300);
        assert!(!has_elapsed(t0, Timestamp::from_second(300).expect("in range"), life));
        assert!(has_elapsed(t0, Timestamp::from_second(301).expect("in range"), life));
    }
}
