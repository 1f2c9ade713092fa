//! Server configuration: registration policy, limits and login rate limits.
//!
//! The defaults are those of `sync-api-v1.md`, "Limits"; `docs/server.md` lists every knob.

use std::time::Duration;

/// Everything the routes need to know about how this server is configured.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Allow registration without an invite code (`--open-registration`). Off by default:
    /// "Invite-only is the default" (`sync-api-v1.md`, "Accounts").
    pub open_registration: bool,
    /// Take the client address for rate limiting from the last `X-Forwarded-For` entry instead
    /// of the TCP peer. Only correct behind a reverse proxy that sets that header.
    pub trust_forwarded_for: bool,
    /// Size, count and lifetime limits.
    pub limits: Limits,
    /// Failed-login rate limits.
    pub login_rate: LoginRateLimits,
}

/// Size, count and lifetime limits (`sync-api-v1.md`, "Limits").
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body; larger is a 413 `too_large`. Default 16 MiB.
    pub max_body_bytes: usize,
    /// Largest single item blob; larger is a 413 `too_large`. Default 256 KiB.
    pub max_blob_bytes: usize,
    /// Most items one account may hold; a push past it is a 507 `quota`. Default 100,000.
    pub max_items_per_account: u64,
    /// Most item-blob bytes one account may hold; a push past it is a 507 `quota`.
    /// Default 256 MiB. Not in the spec: it bounds what one full pull must hold in memory.
    pub max_account_bytes: u64,
    /// A session unused for this long is dead. Default 30 days.
    pub session_idle: Duration,
    /// How long a login challenge stays valid. Default and maximum 300 s
    /// (`crypto-v1.md`: "valid for at most 5 minutes").
    pub challenge_lifetime: Duration,
    /// Most unused challenges one account may have at once; asking for more drops the oldest.
    /// Bounds what an unauthenticated caller can make the server store. Default 16.
    pub max_outstanding_challenges: u32,
    /// Whole-request timeout; past it the answer is 408 `timeout`. Default 30 s.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            max_blob_bytes: 256 * 1024,
            max_items_per_account: 100_000,
            max_account_bytes: 256 * 1024 * 1024,
            session_idle: Duration::from_secs(30 * 24 * 60 * 60),
            challenge_lifetime: MAX_CHALLENGE_LIFETIME,
            max_outstanding_challenges: 16,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The longest challenge lifetime the spec allows.
pub const MAX_CHALLENGE_LIFETIME: Duration = Duration::from_secs(300);

/// One failure budget: `burst` failures at once, then one more every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Failures allowed back to back.
    pub burst: u32,
    /// Time after which one more failure is allowed.
    pub period: Duration,
}

/// Failed-login budgets (`sync-api-v1.md`, "Sessions": "Failed attempts are rate-limited per
/// account and per client address").
#[derive(Debug, Clone, Copy)]
pub struct LoginRateLimits {
    /// Per account. Default: 10 failures, then one per minute.
    pub per_account: RateLimit,
    /// Per client address (IPv6 per /64). Default: 30 failures, then one every 10 s; higher than
    /// the per-account budget because several users may share one address (NAT).
    pub per_address: RateLimit,
}

impl Default for LoginRateLimits {
    fn default() -> Self {
        Self {
            per_account: RateLimit { burst: 10, period: Duration::from_secs(60) },
            per_address: RateLimit { burst: 30, period: Duration::from_secs(10) },
        }
    }
}
