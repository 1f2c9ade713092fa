//! Rate-limit budgets in PostgreSQL, shared by every instance on the database (docs/server.md,
//! "Rate limiting"): behind a load balancer, a client's budget is the same whichever instance
//! answers, and a restarted instance forgets nothing.
//!
//! The arithmetic is the in-memory limiter's ([`GcraParams`]): one row per budget and client
//! address holding when its bucket will be empty. Each operation is one statement, so it is
//! atomic across instances: `acquire` is an upsert whose update applies only while the bucket has
//! room (`ON CONFLICT … DO UPDATE … WHERE`), and PostgreSQL re-evaluates that condition on the
//! latest row version after waiting for a concurrent writer of the same row, so two instances can
//! never both take a budget's last unit.
//!
//! Budgets are keyed by client address only, never by account (`src/rate_limit.rs`). Rows of
//! drained buckets are deleted by the store's periodic purge (`PgStore::purge_expired`).

use jiff::Timestamp;
use sqlx::PgPool;

use super::{OrUnavailable as _, PgStore};
use crate::config::RateLimits;
use crate::rate_limit::{Budget, ClientKey, GcraParams, LimitError, LimitFuture, Limiter};
use crate::store::StoreError;

/// Budgets kept in the PostgreSQL store's database.
#[derive(Debug, Clone)]
pub struct PgLimiter {
    pool: PgPool,
    login_failures: GcraParams,
    challenge_requests: GcraParams,
}

impl PgLimiter {
    /// Budgets with `limits`, in `store`'s database (the `rate_limits` table of its schema).
    pub fn new(store: &PgStore, limits: RateLimits) -> Self {
        Self {
            pool: store.pool().clone(),
            login_failures: GcraParams::of(limits.login_failures),
            challenge_requests: GcraParams::of(limits.challenge_requests),
        }
    }

    fn params(&self, budget: Budget) -> GcraParams {
        match budget {
            Budget::LoginFailures => self.login_failures,
            Budget::ChallengeRequests => self.challenge_requests,
        }
    }

    async fn empty_at(&self, budget: Budget, client: ClientKey) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar("SELECT empty_at_ms FROM rate_limits WHERE budget = $1 AND client = $2")
            .bind(budget_id(budget))
            .bind(client.to_bytes().to_vec())
            .fetch_optional(&self.pool)
            .await
            .pg()
    }
}

/// The `budget` column's value: stable numbers, never reused.
fn budget_id(budget: Budget) -> i16 {
    match budget {
        Budget::LoginFailures => 1,
        Budget::ChallengeRequests => 2,
    }
}

impl Limiter for PgLimiter {
    fn check(
        &self,
        budget: Budget,
        client: ClientKey,
        now: Timestamp,
    ) -> LimitFuture<'_, Result<(), LimitError>> {
        Box::pin(async move {
            match self.empty_at(budget, client).await.map_err(LimitError::Store)? {
                Some(empty_at) => Ok(self.params(budget).wait(empty_at, now.as_millisecond())?),
                None => Ok(()),
            }
        })
    }

    fn spend(
        &self,
        budget: Budget,
        client: ClientKey,
        now: Timestamp,
    ) -> LimitFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let params = self.params(budget);
            let now = now.as_millisecond();
            sqlx::query(
                "INSERT INTO rate_limits (budget, client, empty_at_ms) VALUES ($1, $2, $3 + $4)
                 ON CONFLICT (budget, client) DO UPDATE
                 SET empty_at_ms = GREATEST(rate_limits.empty_at_ms, $3) + $4",
            )
            .bind(budget_id(budget))
            .bind(client.to_bytes().to_vec())
            .bind(now)
            .bind(params.period_ms)
            .execute(&self.pool)
            .await
            .pg()?;
            Ok(())
        })
    }

    fn acquire(
        &self,
        budget: Budget,
        client: ClientKey,
        now: Timestamp,
    ) -> LimitFuture<'_, Result<(), LimitError>> {
        Box::pin(async move {
            let params = self.params(budget);
            let now_ms = now.as_millisecond();
            // A new bucket always has room (the tolerance is never negative); an existing one
            // is advanced only if `wait` would allow it: empty_at - now <= tolerance.
            let taken: Option<i64> = sqlx::query_scalar(
                "INSERT INTO rate_limits (budget, client, empty_at_ms) VALUES ($1, $2, $3 + $4)
                 ON CONFLICT (budget, client) DO UPDATE
                 SET empty_at_ms = GREATEST(rate_limits.empty_at_ms, $3) + $4
                 WHERE rate_limits.empty_at_ms - $3 <= $5
                 RETURNING empty_at_ms",
            )
            .bind(budget_id(budget))
            .bind(client.to_bytes().to_vec())
            .bind(now_ms)
            .bind(params.period_ms)
            .bind(params.tolerance_ms)
            .fetch_optional(&self.pool)
            .await
            .pg()
            .map_err(LimitError::Store)?;
            if taken.is_some() {
                return Ok(());
            }
            // Refused: say how long to wait, from the bucket as it is now.
            let empty_at = self.empty_at(budget, client).await.map_err(LimitError::Store)?;
            let wait = params.wait(empty_at.unwrap_or(now_ms), now_ms);
            Err(LimitError::Exhausted(wait.err().unwrap_or(crate::rate_limit::RetryAfter(1))))
        })
    }
}
