//! Server configuration: registration policy, limits and rate limits.
//!
//! The defaults are those of `docs/spec/sync-api-v2.md`, "Limits"; `docs/server.md` lists every knob.

use std::time::Duration;

/// Everything the routes need to know about how this server is configured.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Allow registration without an invite code (`--open-registration`). Off by default:
    /// "invite-only is the default" (`docs/spec/sync-api-v2.md`, "Accounts").
    pub open_registration: bool,
    /// Take the client address for rate limiting from the last `X-Forwarded-For` entry instead
    /// of the TCP peer. Only correct behind a reverse proxy that sets that header.
    pub trust_forwarded_for: bool,
    /// Size, count and lifetime limits.
    pub limits: Limits,
    /// Per-address rate limits on logins and challenges.
    pub rate_limits: RateLimits,
}

/// Size, count and lifetime limits (`docs/spec/sync-api-v2.md`, "Limits").
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
    /// Most bytes of attached files' chunks one account may hold; an upload past it is a 507
    /// `quota`. Default 1 GiB. Files have a quota of their own so that they do not eat into what
    /// the item quota keeps for items (a full pull must hold every item blob in memory; chunks
    /// are fetched one at a time).
    pub max_file_bytes_per_account: u64,
    /// A session unused for this long is dead. Default 30 days.
    pub session_idle: Duration,
    /// How long a login challenge stays valid. Default and maximum 300 s
    /// (`docs/spec/crypto-v2.md`: "valid for at most 5 minutes"). There is deliberately no cap on the
    /// challenges one account may have outstanding: a cap that anyone can fill for any account
    /// (by dropping the oldest, or by refusing new ones) would let them keep the owner from
    /// logging in. What bounds the table is [`RateLimits::challenge_requests`], per address.
    pub challenge_lifetime: Duration,
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
            max_file_bytes_per_account: 1024 * 1024 * 1024,
            session_idle: Duration::from_secs(30 * 24 * 60 * 60),
            challenge_lifetime: MAX_CHALLENGE_LIFETIME,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// How connections are admitted and how long they may stall before they are closed
/// (docs/server.md, "Connections"). These act below the HTTP layer, before a request exists, so
/// they are not part of [`Config`] (which the routes see) but an argument of
/// [`serve`](crate::serve::serve).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections served at once. At the cap, a new connection closes the one that has
    /// waited longest for a request (idle keep-alive, still sending its request head, or still
    /// in its TLS handshake); when every connection has a request in flight, new connections wait
    /// in the kernel's listen backlog. Default 512: every connection holds a file descriptor, and
    /// the usual limit is 1,024 per process.
    pub max_connections: usize,
    /// How long a request head (request line and headers) may take to arrive, from its first
    /// byte; for a new connection, from its acceptance, TLS handshake included. Past it, a
    /// partial head is answered 408 `timeout` and the connection closed. Default 10 s.
    pub header_timeout: Duration,
    /// How long a connection may sit with no request in flight and no traffic (between requests,
    /// or while an answer waits for the client to read it) before it is closed. Default 60 s.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// The longest challenge lifetime the spec allows.
pub const MAX_CHALLENGE_LIFETIME: Duration = Duration::from_secs(300);

/// One budget: `burst` units at once, then one more every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Units allowed back to back.
    pub burst: u32,
    /// Time after which one more unit is allowed.
    pub period: Duration,
}

/// Rate limits, all per client address (IPv6 per /64), none per account: account ids are not
/// secret, so a budget anyone can spend on an account would let them lock its owner out
/// (`src/rate_limit.rs`; docs/server.md, "Rate limiting").
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Failed logins (`docs/spec/sync-api-v2.md`, "Sessions": "Failed attempts are throttled per client address"). Default:
    /// 30 failures, then one every 10 s; generous because several users may share one address
    /// (NAT). A login whose signature verifies is never refused for this budget.
    pub login_failures: RateLimit,
    /// Challenge requests, found account or not. Default: 20, then one every 5 s. With a 300 s
    /// challenge lifetime this keeps at most 80 challenges per address outstanding, which is
    /// what bounds the challenges table (there is no per-account cap, see
    /// [`Limits::challenge_lifetime`]).
    pub challenge_requests: RateLimit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login_failures: RateLimit { burst: 30, period: Duration::from_secs(10) },
            challenge_requests: RateLimit { burst: 20, period: Duration::from_secs(5) },
        }
    }
}
