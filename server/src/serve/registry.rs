//! The open connections, and the cap on them (docs/server.md, "Connections").
//!
//! Every accepted socket holds a file descriptor; about 1,100 stalled connections used to exhaust a
//! server with the usual limit of 1,024, after which even `/healthz` went unanswered. So at most
//! `max_connections` are served. At the cap, a new connection is accepted and the connection that
//! has waited longest for a request ([`Activity::waiting_since`]: idle keep-alive, a head still
//! arriving, a TLS handshake) is closed to make room. Those hold no work and their clients lose
//! nothing they cannot redo, while an attacker who fills the server with stalled connections only
//! ever evicts older ones: new clients keep being served *while* the stalled ones stall.
//!
//! When every connection has a request in flight, nothing is evictable: the accept loop holds the
//! connection it just accepted, unserved, and accepts no other until a slot frees, so further
//! connections wait in the kernel's listen backlog rather than being accepted and closed. Each
//! busy connection frees its slot within the request timeout (plus the idle timeout for its answer
//! to be read), a waiting client is served as soon as one does, and a refused one would only
//! retry; accepting just to close would spend a descriptor and a syscall per refusal to turn a
//! short burst into errors.
//!
//! Admission is one step under the registry's lock ([`Registry::try_admit`]), and closing a
//! connection checks and marks it in one step too ([`Activity::close_if_between_requests`]), so
//! the cap holds exactly even while requests start and end on other threads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::activity::Activity;

/// The open connections.
#[derive(Debug)]
pub(super) struct Registry {
    max: usize,
    open: Mutex<Open>,
    /// Signalled when a connection ends or becomes idle.
    changed: Arc<Notify>,
}

#[derive(Debug, Default)]
struct Open {
    next_id: u64,
    connections: HashMap<u64, Entry>,
}

#[derive(Debug)]
struct Entry {
    activity: Arc<Activity>,
    evict: Arc<Notify>,
}

/// A connection's place in the registry; it leaves when this is dropped.
#[derive(Debug)]
pub(super) struct Admission {
    /// What the connection is doing.
    pub(super) activity: Arc<Activity>,
    /// Signalled when the registry closed the connection to make room.
    pub(super) evicted: Arc<Notify>,
    /// When the connection was admitted; its first request head is due within the header timeout
    /// of this (TLS handshake included).
    pub(super) admitted: Instant,
    id: u64,
    registry: Arc<Registry>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.registry.open().connections.remove(&self.id);
        self.registry.changed.notify_waiters();
    }
}

impl Registry {
    /// A registry serving at most `max` connections (at least one).
    pub(super) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max: max.max(1), open: Mutex::default(), changed: Arc::new(Notify::new()) })
    }

    fn open(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many connections are being served.
    pub(super) fn len(&self) -> usize {
        self.open().connections.len()
    }

    /// Whether a new connection can be served now: below the cap, or with one to evict.
    fn has_room(&self) -> bool {
        let open = self.open();
        open.connections.len() < self.max
            || open.connections.values().any(|entry| entry.activity.waiting_since().is_some())
    }

    /// Completes once [`Registry::try_admit`] may succeed: a connection ended or became idle.
    /// (It may still fail, if another request starts first; the caller then waits again.)
    pub(super) async fn wait_for_room(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a change between the check and the wait wakes it.
            changed.as_mut().enable();
            if self.has_room() {
                return;
            }
            changed.await;
        }
    }

    /// Completes once every connection has ended.
    pub(super) async fn wait_until_empty(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.len() == 0 {
                return;
            }
            changed.await;
        }
    }

    /// Registers a connection admitted at `now`, if there is room: below the cap, or by closing
    /// the connection that has waited longest for a request. `None` when every connection has a
    /// request in flight (see the module comment).
    pub(super) fn try_admit(self: &Arc<Self>, now: Instant) -> Option<Admission> {
        let mut open = self.open();
        if open.connections.len() >= self.max && !evict_longest_waiting(&mut open.connections) {
            return None;
        }
        let activity = Arc::new(Activity::new(now, Arc::clone(&self.changed)));
        let evicted = Arc::new(Notify::new());
        let id = open.next_id;
        open.next_id += 1;
        open.connections.insert(id, Entry { activity: Arc::clone(&activity), evict: Arc::clone(&evicted) });
        Some(Admission { activity, evicted, admitted: now, id, registry: Arc::clone(self) })
    }
}

/// Closes the connection that has waited longest for a request; whether one was waiting.
fn evict_longest_waiting(connections: &mut HashMap<u64, Entry>) -> bool {
    let mut waiting: Vec<(Instant, u64)> = connections
        .iter()
        .filter_map(|(id, entry)| entry.activity.waiting_since().map(|since| (since, *id)))
        .collect();
    waiting.sort_unstable();
    for (_, id) in waiting {
        // A request may have started since `waiting_since`; closing checks again, atomically.
        if connections.get(&id).is_some_and(|entry| entry.activity.close_if_between_requests())
            && let Some(entry) = connections.remove(&id)
        {
            // `notify_one` keeps the signal if the connection's task is not waiting yet.
            entry.evict.notify_one();
            tracing::debug!("connection limit reached; closed the connection idle the longest");
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn at_the_cap_the_longest_waiting_idle_connection_makes_room() {
        let registry = Registry::new(2);
        let t0 = Instant::now();
        let oldest = registry.try_admit(t0).expect("room");
        let busy = registry.try_admit(t0 + Duration::from_secs(1)).expect("room");
        let _request = busy.activity.begin_request().expect("not closing");
        // The busy one is never evicted: the oldest waiting goes.
        let _newest = registry.try_admit(t0 + Duration::from_secs(2)).expect("room by eviction");
        assert_eq!(registry.len(), 2);
        assert!(oldest.activity.begin_request().is_none(), "the oldest was closed");
        tokio::time::timeout(Duration::from_secs(10), oldest.evicted.notified()).await.expect("and told so");
        assert!(busy.activity.begin_request().is_some(), "the busy one goes on");
    }

    #[tokio::test]
    async fn with_every_connection_busy_there_is_no_room_until_one_is_idle() {
        let registry = Registry::new(1);
        let only = registry.try_admit(Instant::now()).expect("room");
        let request = only.activity.begin_request().expect("not closing");
        assert!(registry.try_admit(Instant::now()).is_none(), "never over the cap");
        let waiting = tokio::spawn({
            let registry = Arc::clone(&registry);
            async move { registry.wait_for_room().await }
        });
        drop(request);
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("room once the answer is handed over")
            .expect("task");
        let _new = registry.try_admit(Instant::now()).expect("room now");
        assert_eq!(registry.len(), 1, "by closing the idle one");
        assert_eq!(only.activity.phase(), super::super::activity::Phase::Closing);
    }

    #[tokio::test]
    async fn waits_until_the_last_connection_ends() {
        let registry = Registry::new(4);
        let first = registry.try_admit(Instant::now()).expect("room");
        let second = registry.try_admit(Instant::now()).expect("room");
        let empty = tokio::spawn({
            let registry = Arc::clone(&registry);
            async move { registry.wait_until_empty().await }
        });
        drop(first);
        tokio::task::yield_now().await;
        assert!(!empty.is_finished());
        drop(second);
        tokio::time::timeout(Duration::from_secs(10), empty).await.expect("empty").expect("task");
    }
}
