//! What one connection is doing, shared by the three parts that watch it: its I/O wrapper
//! ([`ConnectionIo`](super::io::ConnectionIo), which enforces the timeouts), its service
//! ([`ConnectionService`](super::service::ConnectionService), which sees requests start and
//! answers finish) and the [`Registry`](super::registry::Registry) (which picks a connection to
//! close when the server is full, or closes them all at shutdown).
//!
//! The phases (docs/server.md, "Connections"):
//!
//! ```text
//!   accepted ──> Head ──request head complete──> Busy ──answer handed to hyper──> Idle
//!                 ^                                ^                               │
//!                 └───────────first byte of the next request───────────────────────┘
//!   Head or Idle ──evicted, or server stopping──> Closing
//! ```
//!
//! Only `Head` and `Idle` connections are ever closed by the server before they end on their own:
//! they hold no work, and nothing is lost but a connection the client can open again. A `Busy`
//! connection is bounded by the request timeout instead, and its answer by the idle timeout on
//! writes.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The phase of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for a request head to complete, which must happen within the header timeout of
    /// `started`: a new connection's acceptance, or the first byte of a later request. `bytes`
    /// says whether any of it arrived (only then is a timeout answered 408).
    Head { started: Instant, bytes: bool },
    /// Requests handed to the app whose answers hyper has not yet taken in full.
    Busy { requests: u32 },
    /// No request in flight and no byte of the next one, since `since`: when the last answer
    /// was handed over, or bytes of it were last written.
    Idle { since: Instant },
    /// Closed between requests (evicted, or the server is stopping): no request may start.
    Closing,
}

/// One connection's phase, and the waker of the task that serves it.
#[derive(Debug)]
pub(super) struct Activity {
    state: Mutex<State>,
    /// Signalled when the connection becomes idle, hence closable: the accept loop may be
    /// waiting for one when the server is full.
    registry_changed: Arc<Notify>,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// The connection task, as last parked on I/O. When an answer is handed over, the phase
    /// becomes `Idle` and the idle timer must start; hyper may have parked its read already (on a
    /// socket that stays silent), so the task is woken to arm the timer.
    waker: Option<Waker>,
}

impl Activity {
    /// A connection accepted at `accepted`.
    pub(super) fn new(accepted: Instant, registry_changed: Arc<Notify>) -> Self {
        let phase = Phase::Head { started: accepted, bytes: false };
        Self { state: Mutex::new(State { phase, waker: None }), registry_changed }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current phase.
    pub(super) fn phase(&self) -> Phase {
        self.state().phase
    }

    /// Since when the connection has waited for a request, if it is waiting for one (it may then
    /// be closed to make room; the longest-waiting goes first).
    pub(super) fn waiting_since(&self) -> Option<Instant> {
        match self.phase() {
            Phase::Head { started, .. } => Some(started),
            Phase::Idle { since } => Some(since),
            Phase::Busy { .. } | Phase::Closing => None,
        }
    }

    /// Bytes arrived at `now`: between requests, they start the next request's head, whose
    /// timeout runs from here.
    pub(super) fn bytes_read(&self, now: Instant) {
        let mut state = self.state();
        state.phase = match state.phase {
            Phase::Idle { .. } => Phase::Head { started: now, bytes: true },
            Phase::Head { started, .. } => Phase::Head { started, bytes: true },
            phase @ (Phase::Busy { .. } | Phase::Closing) => phase,
        };
    }

    /// Bytes were written at `now`: an answer still going out is traffic, not idleness.
    pub(super) fn bytes_written(&self, now: Instant) {
        let mut state = self.state();
        if let Phase::Idle { .. } = state.phase {
            state.phase = Phase::Idle { since: now };
        }
    }

    /// Remembers the task to wake when the connection becomes idle.
    pub(super) fn park(&self, waker: &Waker) {
        let mut state = self.state();
        if !state.waker.as_ref().is_some_and(|parked| parked.will_wake(waker)) {
            state.waker = Some(waker.clone());
        }
    }

    /// A request head was parsed and handed to the app: `None` if the connection is closing (the
    /// request must not start), else a guard that keeps the connection busy until the answer has
    /// been handed to hyper in full.
    pub(super) fn begin_request(self: &Arc<Self>) -> Option<RequestGuard> {
        let mut state = self.state();
        state.phase = match state.phase {
            Phase::Closing => return None,
            Phase::Busy { requests } => Phase::Busy { requests: requests.saturating_add(1) },
            Phase::Head { .. } | Phase::Idle { .. } => Phase::Busy { requests: 1 },
        };
        Some(RequestGuard(Arc::clone(self)))
    }

    /// Marks the connection closing if it has no request in flight; whether it is now closing.
    /// The check and the change are one step, so a request cannot start in between.
    pub(super) fn close_if_between_requests(&self) -> bool {
        let mut state = self.state();
        match state.phase {
            Phase::Head { .. } | Phase::Idle { .. } | Phase::Closing => {
                state.phase = Phase::Closing;
                true
            }
            Phase::Busy { .. } => false,
        }
    }
}

/// Keeps a connection busy while the app handles a request and until hyper has taken its answer.
#[derive(Debug)]
pub(super) struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let mut state = self.0.state();
        match state.phase {
            Phase::Busy { requests } if requests > 1 => state.phase = Phase::Busy { requests: requests - 1 },
            Phase::Busy { .. } => {
                state.phase = Phase::Idle { since: Instant::now() };
                if let Some(waker) = state.waker.take() {
                    waker.wake();
                }
                drop(state);
                self.0.registry_changed.notify_waiters();
            }
            Phase::Head { .. } | Phase::Idle { .. } | Phase::Closing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity() -> Arc<Activity> {
        Arc::new(Activity::new(Instant::now(), Arc::new(Notify::new())))
    }

    #[test]
    fn a_connection_goes_head_busy_idle_head() {
        let activity = activity();
        assert!(matches!(activity.phase(), Phase::Head { bytes: false, .. }));
        activity.bytes_read(Instant::now());
        assert!(matches!(activity.phase(), Phase::Head { bytes: true, .. }));
        let guard = activity.begin_request().expect("not closing");
        assert_eq!(activity.phase(), Phase::Busy { requests: 1 });
        assert_eq!(activity.waiting_since(), None, "a busy connection is never closed early");
        activity.bytes_read(Instant::now());
        assert_eq!(activity.phase(), Phase::Busy { requests: 1 }, "body bytes change nothing");
        drop(guard);
        assert!(matches!(activity.phase(), Phase::Idle { .. }));
        let later = Instant::now() + std::time::Duration::from_secs(1);
        activity.bytes_read(later);
        assert_eq!(activity.phase(), Phase::Head { started: later, bytes: true });
    }

    #[test]
    fn only_a_connection_between_requests_can_be_closed() {
        let activity = activity();
        let guard = activity.begin_request().expect("not closing");
        assert!(!activity.close_if_between_requests());
        drop(guard);
        assert!(activity.close_if_between_requests());
        assert!(activity.begin_request().is_none(), "no request starts on a closing connection");
        assert_eq!(activity.phase(), Phase::Closing);
    }
}
