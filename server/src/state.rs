//! The state every handler shares.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::rate_limit::{Limiter, MemoryLimiter};
use crate::store::Store;

/// Shared, cheaply clonable handler state.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: Arc<Config>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) limiter: Arc<dyn Limiter>,
}

impl AppState {
    /// State over `store` with `config`, reading the system clock and keeping rate-limit budgets
    /// in this process's memory.
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        let limiter = Arc::new(MemoryLimiter::new(config.rate_limits));
        Self { store, config: Arc::new(config), clock: Arc::new(SystemClock), limiter }
    }

    /// The same state reading `clock` instead (tests use a [`ManualClock`](crate::ManualClock)).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same state keeping rate-limit budgets in `limiter` instead (for instance in a store
    /// that several server instances share; docs/server.md, "Rate limiting").
    #[must_use]
    pub fn with_limiter(mut self, limiter: Arc<dyn Limiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}
