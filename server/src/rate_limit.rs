//! Rate limits by client address (`docs/spec/sync-api-v2.md`, "Sessions": 429 `rate_limited` with
//! `Retry-After`), behind the small [`Limiter`] interface.
//!
//! Two budgets, both kept per client address and none per account (docs/server.md, "Rate
//! limiting"):
//! - [`Budget::LoginFailures`]: failed logins. Only failures count, which a layer in front of the
//!   handler cannot see, so this is not `governor`/`tower_governor`.
//! - [`Budget::ChallengeRequests`]: every `POST /v2/sessions/challenge`, found account or not.
//!   Each stores a row (or costs a read), and with no per-account cap on outstanding challenges
//!   this budget is what bounds the rows one address can make the server keep.
//!
//! Why nothing is counted per account: account ids are not secret, so a budget that an
//! unauthenticated caller spends on an account is a lever to lock its owner out (issue #9: ten
//! forged logins used to lock an account for minutes). A per-account failure limit would not
//! protect anything either: a login is an Ed25519 signature by a key derived from the master
//! password *and* the 128-bit account key, which cannot be guessed online.
//!
//! The in-memory [`MemoryLimiter`] keeps one GCRA ("generic cell rate algorithm", a leaky bucket
//! kept as one timestamp per key) per budget. Its state is per process; the [`Limiter`] trait has
//! the same boxed-future shape as [`Store`](crate::store::Store), so a backend that keeps budgets
//! in the database (shared by several instances) can replace it without touching the routes.
//! Time comes from the caller, so tests drive it with the injectable clock.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use jiff::Timestamp;

use crate::config::{RateLimit, RateLimits};
use crate::error::ApiError;
use crate::store::StoreError;

/// Most keys one in-memory budget tracks.
pub const MAX_KEYS: usize = 100_000;

/// The future every [`Limiter`] method returns.
pub type LimitFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which budget a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    /// Failed logins (bad challenge, bad signature) from one client address.
    LoginFailures,
    /// Challenge requests from one client address.
    ChallengeRequests,
}

/// The key a client address is counted under: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its
/// /64, since one host usually holds a whole /64 and could otherwise rotate addresses at will.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of `address`.
    pub fn of(address: IpAddr) -> Self {
        Self(match address {
            IpAddr::V4(_) => address,
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
            },
        })
    }
}

impl ClientKey {
    /// The key as 16 bytes, for a store that keeps budgets (IPv4 as an IPv4-mapped IPv6 address).
    pub fn to_bytes(self) -> [u8; 16] {
        match self.0 {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            IpAddr::V6(v6) => v6.octets(),
        }
    }
}

/// A spent budget: the whole seconds until one more attempt is allowed (at least 1), answered as
/// 429 `rate_limited` with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl From<RetryAfter> for ApiError {
    fn from(RetryAfter(retry_after_secs): RetryAfter) -> Self {
        ApiError::RateLimited { retry_after_secs }
    }
}

/// Why a [`Limiter`] refused or could not answer.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The budget is spent: 429 `rate_limited` with `Retry-After`.
    #[error("rate limited; retry after {} s", .0.0)]
    Exhausted(RetryAfter),
    /// A limiter that keeps its budgets in the store could not reach it: the store's answer
    /// (503 `unavailable` when busy or unreachable, else 500). Refusing is the safe side: an
    /// unchecked budget would be no budget.
    #[error("the rate limiter's store failed")]
    Store(#[source] StoreError),
}

impl From<RetryAfter> for LimitError {
    fn from(retry: RetryAfter) -> Self {
        Self::Exhausted(retry)
    }
}

impl From<LimitError> for ApiError {
    fn from(err: LimitError) -> Self {
        match err {
            LimitError::Exhausted(retry) => retry.into(),
            LimitError::Store(err) => err.into(),
        }
    }
}

/// The leaky-bucket arithmetic of one budget, shared by every [`Limiter`]: each unit pushes the
/// bucket's "empty at" time one `period_ms` further, and a bucket that reaches more than
/// `tolerance_ms` past now refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraParams {
    /// Milliseconds one unit adds to a bucket.
    pub period_ms: i64,
    /// How far ahead of now a bucket may reach before further attempts are refused.
    pub tolerance_ms: i64,
}

impl GcraParams {
    /// The parameters of `limit`.
    pub fn of(limit: RateLimit) -> Self {
        let period_ms = i64::try_from(limit.period.as_millis()).unwrap_or(i64::MAX).max(1);
        let tolerance_ms = period_ms.saturating_mul(i64::from(limit.burst.saturating_sub(1)));
        Self { period_ms, tolerance_ms }
    }

    /// `Err` if a bucket that empties at `empty_at` (ms) has no room at `now` (ms).
    pub fn wait(self, empty_at: i64, now: i64) -> Result<(), RetryAfter> {
        let wait_ms = empty_at.saturating_sub(now).saturating_sub(self.tolerance_ms);
        if wait_ms > 0 {
            // Round up, so a client honouring Retry-After is never early.
            Err(RetryAfter(u64::try_from(wait_ms).map_or(1, |ms| ms.div_ceil(1000))))
        } else {
            Ok(())
        }
    }

    /// Where a bucket that empties at `empty_at` is after one more unit at `now`.
    pub fn after_one(self, empty_at: i64, now: i64) -> i64 {
        empty_at.max(now).saturating_add(self.period_ms)
    }
}

/// Where budgets are kept: in this process ([`MemoryLimiter`]), or in a store that several
/// instances share (`store::PgLimiter`), so that a client cannot multiply its budget by the
/// number of instances behind a load balancer.
pub trait Limiter: Send + Sync + 'static {
    /// `Err` if `client` has no `budget` left at `now`. Spends nothing.
    fn check(
        &self,
        budget: Budget,
        client: ClientKey,
        now: Timestamp,
    ) -> LimitFuture<'_, Result<(), LimitError>>;

    /// Spends one unit of `client`'s `budget` at `now`, whether or not any is left.
    fn spend(
        &self,
        budget: Budget,
        client: ClientKey,
        now: Timestamp,
    ) -> LimitFuture<'_, Result<(), StoreError>>;

    /// Spends one unit if any is left, in one step (two concurrent requests, even on two
    /// instances, cannot both take the last unit); `Err` and nothing spent otherwise.
    fn acquire(
        &self,
        budget: Budget,
        client: ClientKey,
        now: Timestamp,
    ) -> LimitFuture<'_, Result<(), LimitError>>;
}

/// The budgets of one process, in memory.
#[derive(Debug)]
pub struct MemoryLimiter {
    login_failures: Gcra<ClientKey>,
    challenge_requests: Gcra<ClientKey>,
}

impl MemoryLimiter {
    /// Budgets with these limits.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            login_failures: Gcra::new(limits.login_failures),
            challenge_requests: Gcra::new(limits.challenge_requests),
        }
    }

    fn budget(&self, budget: Budget) -> &Gcra<ClientKey> {
        match budget {
            Budget::LoginFailures => &self.login_failures,
            Budget::ChallengeRequests => &self.challenge_requests,
        }
    }
}

impl Limiter for MemoryLimiter {
    fn check(
        &self,
        budget: Budget,
        client: ClientKey,
        now: Timestamp,
    ) -> LimitFuture<'_, Result<(), LimitError>> {
        let result = self.budget(budget).check(&client, now).map_err(LimitError::from);
        Box::pin(std::future::ready(result))
    }

    fn spend(
        &self,
        budget: Budget,
        client: ClientKey,
        now: Timestamp,
    ) -> LimitFuture<'_, Result<(), StoreError>> {
        self.budget(budget).spend(client, now);
        Box::pin(std::future::ready(Ok(())))
    }

    fn acquire(
        &self,
        budget: Budget,
        client: ClientKey,
        now: Timestamp,
    ) -> LimitFuture<'_, Result<(), LimitError>> {
        let result = self.budget(budget).acquire(client, now).map_err(LimitError::from);
        Box::pin(std::future::ready(result))
    }
}

/// One budget per key, as a GCRA.
///
/// Memory is bounded: keys whose bucket has drained are pruned when the map grows past
/// [`MAX_KEYS`]. If it is still full of active keys, new keys share one overflow bucket (and a
/// warning is logged) rather than evicting active keys or going unlimited: an attack from more
/// than [`MAX_KEYS`] addresses then slows down every *new* address, which is refusing service,
/// while a login with a valid signature still never waits on a budget (routes/sessions.rs).
#[derive(Debug)]
struct Gcra<K> {
    params: GcraParams,
    buckets: Mutex<Buckets<K>>,
}

#[derive(Debug)]
struct Buckets<K> {
    /// Per key, the "theoretical arrival time": when its bucket will be empty, in ms.
    by_key: HashMap<K, i64>,
    /// The bucket shared by keys that found the map full.
    overflow: i64,
}

impl<K: Hash + Eq> Gcra<K> {
    fn new(limit: RateLimit) -> Self {
        Self {
            params: GcraParams::of(limit),
            buckets: Mutex::new(Buckets { by_key: HashMap::new(), overflow: i64::MIN }),
        }
    }

    fn check(&self, key: &K, now: Timestamp) -> Result<(), RetryAfter> {
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let empty_at = match buckets.by_key.get(key) {
            Some(&empty_at) => empty_at,
            None if buckets.by_key.len() >= MAX_KEYS => buckets.overflow,
            None => return Ok(()),
        };
        self.params.wait(empty_at, now.as_millisecond())
    }

    fn spend(&self, key: K, now: Timestamp) {
        let now = now.as_millisecond();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let empty_at = self.bucket(&mut buckets, key, now);
        *empty_at = self.params.after_one(*empty_at, now);
    }

    fn acquire(&self, key: K, now: Timestamp) -> Result<(), RetryAfter> {
        let now = now.as_millisecond();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let empty_at = self.bucket(&mut buckets, key, now);
        self.params.wait(*empty_at, now)?;
        *empty_at = self.params.after_one(*empty_at, now);
        Ok(())
    }

    /// `key`'s bucket, created if there is room, else the overflow bucket.
    fn bucket<'a>(&self, buckets: &'a mut Buckets<K>, key: K, now: i64) -> &'a mut i64 {
        if buckets.by_key.len() >= MAX_KEYS && !buckets.by_key.contains_key(&key) {
            buckets.by_key.retain(|_, empty_at| *empty_at > now);
            if buckets.by_key.len() >= MAX_KEYS {
                tracing::warn!("rate limiter full of active addresses; new ones share one budget");
                return &mut buckets.overflow;
            }
        }
        buckets.by_key.entry(key).or_insert(now)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(ms).expect("in range")
    }

    #[test]
    fn allows_the_burst_then_one_per_period() {
        let limiter = Gcra::new(RateLimit { burst: 3, period: Duration::from_secs(10) });
        for _ in 0..3 {
            assert_eq!(limiter.check(&"k", at(0)), Ok(()));
            limiter.spend("k", at(0));
        }
        assert_eq!(limiter.check(&"k", at(0)), Err(RetryAfter(10)));
        assert_eq!(limiter.check(&"k", at(9_001)), Err(RetryAfter(1)));
        assert_eq!(limiter.check(&"k", at(10_000)), Ok(()));
        limiter.spend("k", at(10_000));
        assert_eq!(limiter.check(&"k", at(10_000)), Err(RetryAfter(10)));
        assert_eq!(limiter.check(&"other", at(0)), Ok(()), "keys are independent");
    }

    #[test]
    fn acquire_spends_only_what_is_left() {
        let limiter = Gcra::new(RateLimit { burst: 2, period: Duration::from_secs(5) });
        assert_eq!(limiter.acquire("k", at(0)), Ok(()));
        assert_eq!(limiter.acquire("k", at(0)), Ok(()));
        assert_eq!(limiter.acquire("k", at(0)), Err(RetryAfter(5)));
        // The refused attempt spent nothing: one period later exactly one more is allowed.
        assert_eq!(limiter.acquire("k", at(5_000)), Ok(()));
        assert_eq!(limiter.acquire("k", at(5_000)), Err(RetryAfter(5)));
    }

    #[test]
    fn prunes_drained_keys_when_full() {
        let limiter = Gcra::new(RateLimit { burst: 1, period: Duration::from_millis(1) });
        for key in 0..MAX_KEYS {
            limiter.spend(key, at(0));
        }
        limiter.spend(MAX_KEYS, at(1_000));
        assert!(limiter.check(&MAX_KEYS, at(1_000)).is_err(), "new key tracked after pruning");
        let len = limiter.buckets.lock().map(|b| b.by_key.len()).unwrap_or_default();
        assert_eq!(len, 1);
    }

    /// With the map full of active keys, a new key is neither tracked alone (which would evict
    /// an active key) nor left unlimited (which would let an attack from many addresses grow
    /// the challenges table without bound): new keys share one bucket.
    #[test]
    fn new_keys_share_an_overflow_budget_when_full_of_active_keys() {
        let limiter = Gcra::new(RateLimit { burst: 2, period: Duration::from_secs(60) });
        for key in 0..MAX_KEYS {
            limiter.spend(key, at(0));
        }
        assert_eq!(limiter.acquire(MAX_KEYS, at(0)), Ok(()));
        assert_eq!(limiter.acquire(MAX_KEYS + 1, at(0)), Ok(()));
        assert_eq!(limiter.acquire(MAX_KEYS + 2, at(0)), Err(RetryAfter(60)));
        assert_eq!(limiter.check(&(MAX_KEYS + 3), at(0)), Err(RetryAfter(60)));
        // Tracked keys keep their own budget.
        assert_eq!(limiter.check(&0, at(0)), Ok(()));
    }

    #[test]
    fn client_keys_as_bytes_keep_v4_and_v6_apart() {
        let key = |text: &str| ClientKey::of(text.parse().expect("valid")).to_bytes();
        assert_eq!(key("192.0.2.1"), key("::ffff:192.0.2.1"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2::"));
        assert_ne!(key("192.0.2.1"), key("::c000:201"), "an IPv4 address is not its IPv4-compatible IPv6");
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let key = |text: &str| ClientKey::of(text.parse().expect("valid"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
    }

    #[tokio::test]
    async fn budgets_are_independent() {
        let limit = RateLimit { burst: 1, period: Duration::from_secs(60) };
        let limiter = MemoryLimiter::new(RateLimits { login_failures: limit, challenge_requests: limit });
        let client = ClientKey::of("192.0.2.1".parse().expect("valid"));
        let retry_after = |result: Result<(), LimitError>| match result {
            Ok(()) => None,
            Err(LimitError::Exhausted(RetryAfter(secs))) => Some(secs),
            Err(err) => panic!("{err}"),
        };
        limiter.spend(Budget::LoginFailures, client, at(0)).await.expect("in memory");
        assert_eq!(retry_after(limiter.check(Budget::LoginFailures, client, at(0)).await), Some(60));
        assert_eq!(retry_after(limiter.acquire(Budget::ChallengeRequests, client, at(0)).await), None);
        assert_eq!(retry_after(limiter.acquire(Budget::ChallengeRequests, client, at(0)).await), Some(60));
    }
}
