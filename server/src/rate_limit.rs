//! Failed-login rate limiting, per account and per client address (`sync-api-v1.md`,
//! "Sessions": 429 `rate_limited` with `Retry-After`).
//!
//! A small in-memory GCRA ("generic cell rate algorithm", a leaky bucket kept as one timestamp
//! per key) instead of `governor`/`tower_governor`: those limit *requests*, while here only
//! *failures* count, which a layer in front of the handler cannot see; and the logic is a dozen
//! lines. Time comes from the caller, so tests drive it with the injectable clock.
//!
//! Memory is bounded: keys whose bucket has drained are pruned when a map grows past
//! [`MAX_KEYS`]; if it is still full of active keys, new keys go untracked (fail open) rather
//! than evicting active ones, and a warning is logged. The state is per process: several server
//! instances behind a load balancer each keep their own.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use hush_proto::AccountId;
use jiff::Timestamp;

use crate::config::{LoginRateLimits, RateLimit};

/// Most keys one limiter tracks.
pub const MAX_KEYS: usize = 100_000;

/// A failure budget per key.
#[derive(Debug)]
pub struct FailureLimiter<K> {
    /// Milliseconds one failure adds to the bucket.
    period_ms: i64,
    /// How far ahead of now a bucket may reach before further attempts are refused.
    tolerance_ms: i64,
    /// Per key, the "theoretical arrival time": when the bucket will be empty, in ms.
    buckets: Mutex<HashMap<K, i64>>,
}

impl<K: Hash + Eq> FailureLimiter<K> {
    /// A limiter allowing `limit.burst` failures back to back, then one per `limit.period`.
    pub fn new(limit: RateLimit) -> Self {
        let period_ms = i64::try_from(limit.period.as_millis()).unwrap_or(i64::MAX).max(1);
        let tolerance_ms = period_ms.saturating_mul(i64::from(limit.burst.saturating_sub(1)));
        Self { period_ms, tolerance_ms, buckets: Mutex::new(HashMap::new()) }
    }

    /// `Err(seconds)` if `key` has used up its budget at `now`: the seconds until it may try
    /// again (at least 1).
    pub fn check(&self, key: &K, now: Timestamp) -> Result<(), u64> {
        let now = now.as_millisecond();
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(&empty_at) = buckets.get(key) else {
            return Ok(());
        };
        let wait_ms = empty_at.saturating_sub(now).saturating_sub(self.tolerance_ms);
        if wait_ms > 0 {
            // Round up, so a client honouring Retry-After is never early.
            Err(u64::try_from(wait_ms).map_or(1, |ms| ms.div_ceil(1000)))
        } else {
            Ok(())
        }
    }

    /// Counts one failure of `key` at `now`.
    pub fn record_failure(&self, key: K, now: Timestamp) {
        let now = now.as_millisecond();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(&key) {
            buckets.retain(|_, empty_at| *empty_at > now);
            if buckets.len() >= MAX_KEYS {
                tracing::warn!("login rate limiter full; not tracking a new key");
                return;
            }
        }
        let empty_at = buckets.entry(key).or_insert(now);
        *empty_at = (*empty_at).max(now).saturating_add(self.period_ms);
    }

    /// Forgets `key`'s failures.
    pub fn reset(&self, key: &K) {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
    }
}

/// The two login limiters.
#[derive(Debug)]
pub struct LoginLimiter {
    accounts: FailureLimiter<AccountId>,
    addresses: FailureLimiter<IpAddr>,
}

impl LoginLimiter {
    /// Limiters with these budgets.
    pub fn new(limits: LoginRateLimits) -> Self {
        Self {
            accounts: FailureLimiter::new(limits.per_account),
            addresses: FailureLimiter::new(limits.per_address),
        }
    }

    /// `Err(seconds)` if either the account or the address has used up its budget.
    pub fn check(&self, account: &AccountId, address: IpAddr, now: Timestamp) -> Result<(), u64> {
        let by_account = self.accounts.check(account, now);
        let by_address = self.addresses.check(&address_key(address), now);
        match (by_account, by_address) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(wait), Ok(())) | (Ok(()), Err(wait)) => Err(wait),
        }
    }

    /// Counts a failed login against both.
    pub fn record_failure(&self, account: AccountId, address: IpAddr, now: Timestamp) {
        self.accounts.record_failure(account, now);
        self.addresses.record_failure(address_key(address), now);
    }

    /// A successful login clears the account's failures (not the address's: one good login
    /// from a shared address must not unlock guessing at other accounts).
    pub fn record_success(&self, account: &AccountId) {
        self.accounts.reset(account);
    }
}

/// The key an address is counted under: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64,
/// since one host usually holds a whole /64 and could otherwise rotate addresses at will.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
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
        let limiter = FailureLimiter::new(RateLimit { burst: 3, period: Duration::from_secs(10) });
        for _ in 0..3 {
            assert_eq!(limiter.check(&"k", at(0)), Ok(()));
            limiter.record_failure("k", at(0));
        }
        assert_eq!(limiter.check(&"k", at(0)), Err(10));
        assert_eq!(limiter.check(&"k", at(9_001)), Err(1));
        assert_eq!(limiter.check(&"k", at(10_000)), Ok(()));
        limiter.record_failure("k", at(10_000));
        assert_eq!(limiter.check(&"k", at(10_000)), Err(10));
        assert_eq!(limiter.check(&"other", at(0)), Ok(()), "keys are independent");
    }

    #[test]
    fn reset_forgets() {
        let limiter = FailureLimiter::new(RateLimit { burst: 1, period: Duration::from_secs(60) });
        limiter.record_failure(1, at(0));
        assert!(limiter.check(&1, at(0)).is_err());
        limiter.reset(&1);
        assert_eq!(limiter.check(&1, at(0)), Ok(()));
    }

    #[test]
    fn prunes_drained_keys_when_full() {
        let limiter = FailureLimiter::new(RateLimit { burst: 1, period: Duration::from_millis(1) });
        for key in 0..MAX_KEYS {
            limiter.record_failure(key, at(0));
        }
        limiter.record_failure(MAX_KEYS, at(1_000));
        assert!(limiter.check(&MAX_KEYS, at(1_000)).is_err(), "new key tracked after pruning");
        let len = limiter.buckets.lock().map(|b| b.len()).unwrap_or_default();
        assert_eq!(len, 1);
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("valid");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("valid");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("valid");
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("valid");
        assert_eq!(address_key(mapped), "192.0.2.1".parse::<IpAddr>().expect("valid"));
    }

    #[test]
    fn login_limiter_takes_the_longer_wait() {
        let limiter = LoginLimiter::new(LoginRateLimits {
            per_account: RateLimit { burst: 1, period: Duration::from_secs(60) },
            per_address: RateLimit { burst: 1, period: Duration::from_secs(5) },
        });
        let account = AccountId::from_bytes([1; 16]);
        let ip: IpAddr = "192.0.2.1".parse().expect("valid");
        limiter.record_failure(account, ip, at(0));
        assert_eq!(limiter.check(&account, ip, at(0)), Err(60));
        limiter.record_success(&account);
        assert_eq!(limiter.check(&account, ip, at(0)), Err(5), "the address still waits");
    }
}
