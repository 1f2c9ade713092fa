//! The state every handler shares.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::rate_limit::LoginLimiter;
use crate::store::Store;

/// Shared, cheaply clonable handler state.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: Arc<Config>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) login_limiter: Arc<LoginLimiter>,
}

impl AppState {
    /// State over `store` with `config`, reading the system clock.
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        let login_limiter = Arc::new(LoginLimiter::new(config.login_rate));
        Self { store, config: Arc::new(config), clock: Arc::new(SystemClock), login_limiter }
    }

    /// The same state reading `clock` instead (tests use a [`ManualClock`](crate::ManualClock)).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
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
