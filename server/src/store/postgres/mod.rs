//! The [`Store`] for several stateless instances: PostgreSQL (sqlx), selected with
//! `--database-url postgres://…` (docs/server.md, "PostgreSQL").
//!
//! Everything an instance needs to answer any request lives here, so any instance can answer
//! any request and any instance can die at any moment: challenges, sessions, invites, and the
//! rate-limit budgets ([`PgLimiter`]). A push is acknowledged only after its transaction has
//! committed, so an instance killed mid-push loses nothing it acknowledged (the transaction of a
//! dead connection is rolled back by the server, whole).
//!
//! How each contract of the trait is kept (docs/server.md, "Storage backends"):
//! - A push, a rekey and an account deletion lock the account's row first (`SELECT … FOR
//!   UPDATE`): concurrent pushes to one account serialise, pushes to different accounts never
//!   wait for each other. The reads that follow the lock (seq, running totals, the sizes of the
//!   blobs a push replaces) see everything committed before it, since every writer of an
//!   account's items holds that same lock (READ COMMITTED takes a fresh snapshot per statement).
//! - A pull is one `REPEATABLE READ` read-only transaction: the account row and its items come
//!   from one snapshot, so a manifest always matches the items sent with it.
//! - `take_challenge` and the invite consumed at registration are one `DELETE … RETURNING` /
//!   `DELETE` each: two concurrent attempts cannot both get them.
//! - Waiting has limits: a row lock for `lock_timeout`, a free pooled connection for
//!   `acquire_timeout`, a statement for `statement_timeout`. Past them, and when the database is
//!   unreachable, restarting or out of connections, the store answers
//!   [`StoreError::Unavailable`] (503 with `Retry-After`), never a 500 (`is_unavailable`).
//! - Queries are runtime-checked (`sqlx::query`), since there is no database at build time.

mod chunks;
mod limiter;

use std::collections::HashMap;
use std::future::Future;
use std::str::FromStr as _;
use std::time::Duration;

use hush_proto::{AccountId, ItemId, SessionId};
use jiff::Timestamp;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

pub use self::limiter::PgLimiter;
use super::rows::{
    AccountRow, PullHeadRow, SessionRow, account_from_row, session_from_row, to_array, to_i64, to_timestamp,
    to_u32, to_u64,
};
use super::{
    AccountKeys, AccountRecord, AccountUsage, Admission, NewSession, PushBatch, QuotaKind, Quotas,
    SessionRecord, Store, StoreError, StoreFuture, StoredItem, VaultSnapshot,
};

/// How the PostgreSQL store connects and how long it waits (docs/server.md, "PostgreSQL").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgOptions {
    /// Most connections this instance keeps open. Every instance has its own pool, so the
    /// database must allow the sum over all instances (PostgreSQL's `max_connections`, 100 by
    /// default, minus its reserved ones). Default 16.
    pub max_connections: u32,
    /// How long a request waits for a free pooled connection (or a new one to be made) before
    /// the store answers 503. Default 5 s.
    pub acquire_timeout: Duration,
    /// How long a statement waits for a row lock (`lock_timeout`): a push waiting for another
    /// push to the same account. Default 5 s, as SQLite's write lock (docs/server.md, "Busy store").
    pub lock_timeout: Duration,
    /// Longest any one statement may run (`statement_timeout`), so a stuck query cannot hold a
    /// connection and its locks forever. Default 20 s: below the 30 s request timeout, far above
    /// the largest push (a 16 MiB body).
    pub statement_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(20),
        }
    }
}

/// Why the PostgreSQL store could not be opened. The messages name the server and database
/// (never the password of the URL) and what to check.
#[derive(Debug, thiserror::Error)]
pub enum PgOpenError {
    /// The URL is not a PostgreSQL connection URL.
    #[error("the database URL is not a valid postgres:// URL (see docs/server.md, \"PostgreSQL\")")]
    Url(#[source] sqlx::Error),
    /// No connection could be made.
    #[error(
        "cannot connect to PostgreSQL at {target}: is it running, and do --database-url's host, port, user, password and database name match it?"
    )]
    Connect {
        /// host:port/database, without credentials.
        target: String,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The schema migrations failed.
    #[error("cannot migrate the PostgreSQL database {target}")]
    Migrate {
        /// host:port/database, without credentials.
        target: String,
        /// Why.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

/// Where `options` connect to, for messages: host, port and database, never the password.
fn describe(options: &PgConnectOptions) -> String {
    let host = match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => options.get_host().to_owned(),
    };
    format!("{host}:{}/{}", options.get_port(), options.get_database().unwrap_or("(default database)"))
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, with
    /// libpq's query parameters such as `sslmode=verify-full`), and brings its schema up to date.
    ///
    /// Instances starting at the same time are safe: sqlx takes an advisory lock for the
    /// migrations, so exactly one applies them and the others wait.
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, PgOpenError> {
        let connect = PgConnectOptions::from_str(url).map_err(PgOpenError::Url)?;
        let target = describe(&connect);
        let millis = |duration: Duration| duration.as_millis().max(1).to_string();
        let connect = connect
            .application_name("hush-server")
            // Per-session settings, sent in the startup packet, so every pooled connection has them.
            .options([
                ("lock_timeout", millis(options.lock_timeout)),
                ("statement_timeout", millis(options.statement_timeout)),
                // A transaction left open by a bug must not hold its locks for ever.
                ("idle_in_transaction_session_timeout", millis(options.statement_timeout)),
            ]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            // A connection the database closed (a restart, a failover) is found out before a
            // request gets it, rather than failing that request.
            .test_before_acquire(true)
            .connect_with(connect)
            .await
            .map_err(|source| PgOpenError::Connect { target: target.clone(), source })?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|source| PgOpenError::Migrate { target, source })?;
        Ok(Self { pool })
    }

    /// The pool, for the rate limiter and `copy`, which share this store's database.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Waits until every connection is returned, then closes them (at shutdown, once requests
    /// have drained).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Locks the account's row for this transaction and reads its seq and running totals, or
    /// [`StoreError::NotFound`]. Every writer of an account starts here (see the module comment).
    async fn lock_account(
        tx: &mut Transaction<'static, Postgres>,
        account: &[u8],
    ) -> Result<(i64, i64, i64), StoreError> {
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT seq, item_count, blob_bytes FROM accounts WHERE account_id = $1 FOR UPDATE",
        )
        .bind(account)
        .fetch_optional(&mut **tx)
        .await
        .pg()?;
        row.ok_or(StoreError::NotFound)
    }
}

/// SQLSTATE classes and codes that mean "not now" rather than "broken" (PostgreSQL's manual,
/// appendix A): connection exceptions (08), insufficient resources such as too many connections
/// (53), operator intervention such as a shutdown, a restart or a cancelled statement (57),
/// lock waits that ran out (55P03), and serialisation failures and deadlocks (40001, 40P01),
/// after which the transaction was rolled back whole.
fn is_unavailable_code(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57")
        || matches!(code, "55P03" | "40001" | "40P01")
}

/// Whether `err` means the database is busy or unreachable: answered 503 with `Retry-After`, so
/// clients try again, and never 500 (docs/server.md, "Busy store").
pub(crate) fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| is_unavailable_code(&code)),
        _ => false,
    }
}

/// Maps a sqlx error of this store to a [`StoreError`] (the SQLite store has its own
/// `From<sqlx::Error>`, for SQLite's codes).
pub(crate) fn store_error(err: sqlx::Error) -> StoreError {
    if is_unavailable(&err) {
        StoreError::Unavailable(Box::new(err))
    } else {
        StoreError::Backend(Box::new(err))
    }
}

/// A foreign key violation: the account a challenge or session was being added for was deleted
/// at the same moment.
fn is_missing_account(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23503"))
}

/// Every sqlx error of this module maps through [`store_error`], with `.pg()?`: a bare `?` would
/// take `From<sqlx::Error> for StoreError`, which reads SQLite's error codes (a lock timeout
/// would then be a 500; `postgres_pushes_to_different_accounts_do_not_wait_for_each_other` in
/// tests/store_contract.rs caught exactly that).
trait OrUnavailable<T> {
    fn pg(self) -> Result<T, StoreError>;
}

impl<T> OrUnavailable<T> for Result<T, sqlx::Error> {
    fn pg(self) -> Result<T, StoreError> {
        self.map_err(store_error)
    }
}

/// The columns of `accounts` that hold an [`AccountKeys`], in the order [`bind_keys`] binds them.
macro_rules! key_columns {
    () => {
        "kdf_m_kib, kdf_t, kdf_p, kdf_salt, auth_public_key, keyset, key_version"
    };
}

/// The columns of [`SessionRow`], as a macro so queries stay `&'static str`.
macro_rules! session_columns {
    () => {
        "session_id, account_id, token_hash, device_name, created_at, last_seen"
    };
}

/// A query of this store, before execution.
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, <Postgres as sqlx::Database>::Arguments>;

/// Binds `keys` to the next seven placeholders, in the order of [`key_columns!`] (one place, so
/// registration and rekey cannot drift apart).
fn bind_keys<'q>(query: PgQuery<'q>, keys: &AccountKeys) -> PgQuery<'q> {
    query
        .bind(i64::from(keys.kdf.m_kib))
        .bind(i64::from(keys.kdf.t))
        .bind(i64::from(keys.kdf.p))
        .bind(keys.kdf.salt.as_bytes().to_vec())
        .bind(keys.auth_public_key.to_vec())
        .bind(keys.keyset.clone())
        .bind(i64::from(keys.key_version))
}

/// Whether a push that takes the account from `old` to `new` is growth past `max` (a quota
/// refuses only growth, so an account over a lowered quota can still replace its items).
fn over(new: i64, old: i64, max: u64) -> bool {
    new > old && u64::try_from(new).map_or(true, |new| new > max)
}

/// Runs one store operation as its own task, so that it finishes (commits or rolls back) even when
/// the request that started it is dropped: hyper drops a request's future when its client goes
/// away, and a sqlx transaction cut off between two statements leaves its connection in a state
/// the next request would inherit (a `BEGIN` inside a stray transaction, or a leftover
/// `ROLLBACK`): `bench/postgres.sh` showed those notices after every wrk run, and a 500 on a later
/// pull. Detached, a push whose client vanished still commits or rolls back whole, and only a
/// finished connection goes back to the pool; the same runs log neither. In tests/store_contract.rs,
/// `postgres_a_push_whose_request_is_dropped_still_finishes_whole` fails without this (a push
/// dropped unpolled never runs), and `dropped_requests_leave_no_half_transaction_behind` checks
/// that requests dropped at every point leave whole pushes and working connections.
fn detached<T, F, Fut>(pool: &PgPool, work: F) -> StoreFuture<'static, T>
where
    T: Send + 'static,
    F: FnOnce(PgPool) -> Fut,
    Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
{
    let task = tokio::spawn(work(pool.clone()));
    Box::pin(async move {
        match task.await {
            Ok(result) => result,
            // A panic in the operation is the handler's panic, as it was before the task.
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            // Cancelled only when the runtime shuts down.
            Err(err) => Err(StoreError::Unavailable(Box::new(err))),
        }
    })
}

impl Store for PgStore {
    fn ping(&self) -> StoreFuture<'_, ()> {
        detached(&self.pool, move |pool| async move {
            sqlx::query("SELECT 1").execute(&pool).await.pg()?;
            Ok(())
        })
    }

    fn create_invite(&self, code_hash: [u8; 32], now: Timestamp) -> StoreFuture<'_, ()> {
        detached(&self.pool, move |pool| async move {
            sqlx::query("INSERT INTO invites (code_hash, created_at) VALUES ($1, $2)")
                .bind(code_hash.to_vec())
                .bind(now.as_second())
                .execute(&pool)
                .await
                .pg()?;
            Ok(())
        })
    }

    fn create_account(&self, id: AccountId, keys: AccountKeys, admission: Admission) -> StoreFuture<'_, ()> {
        detached(&self.pool, move |pool| async move {
            let mut tx = pool.begin().await.pg()?;
            if let Admission::Invite(code_hash) = admission {
                // A concurrent registration with the same code waits for this row; if this one
                // commits, the other deletes nothing and is refused.
                let used = sqlx::query("DELETE FROM invites WHERE code_hash = $1")
                    .bind(code_hash.to_vec())
                    .execute(&mut *tx)
                    .await
                    .pg()?;
                if used.rows_affected() == 0 {
                    return Err(StoreError::InvalidInvite);
                }
            }
            let insert = sqlx::query(concat!(
                "INSERT INTO accounts (account_id, ",
                key_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account_id) DO NOTHING"
            ))
            .bind(id.as_bytes().to_vec());
            let inserted = bind_keys(insert, &keys).execute(&mut *tx).await.pg()?;
            if inserted.rows_affected() == 0 {
                // Dropping `tx` rolls back, which restores the invite code.
                return Err(StoreError::AccountExists);
            }
            tx.commit().await.pg()?;
            Ok(())
        })
    }

    fn account(&self, id: AccountId) -> StoreFuture<'_, Option<AccountRecord>> {
        detached(&self.pool, move |pool| async move {
            let row: Option<AccountRow> = sqlx::query_as(concat!(
                "SELECT ",
                key_columns!(),
                ", seq FROM accounts WHERE account_id = $1"
            ))
            .bind(id.as_bytes().to_vec())
            .fetch_optional(&pool)
            .await
            .pg()?;
            row.map(|row| account_from_row(id, row)).transpose()
        })
    }

    fn delete_account(&self, id: AccountId) -> StoreFuture<'_, ()> {
        detached(&self.pool, move |pool| async move {
            // Items, sessions and challenges go with it (ON DELETE CASCADE), in one statement
            // that waits for a push in progress on the account (its row lock).
            let deleted = sqlx::query("DELETE FROM accounts WHERE account_id = $1")
                .bind(id.as_bytes().to_vec())
                .execute(&pool)
                .await
                .pg()?;
            if deleted.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    fn add_challenge(
        &self,
        account_id: AccountId,
        challenge: [u8; 32],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreFuture<'_, ()> {
        detached(&self.pool, move |pool| async move {
            let account = account_id.as_bytes().to_vec();
            let mut tx = pool.begin().await.pg()?;
            sqlx::query("DELETE FROM challenges WHERE account_id = $1 AND expires_at <= $2")
                .bind(&account)
                .bind(now.as_second())
                .execute(&mut *tx)
                .await
                .pg()?;
            let inserted = sqlx::query(
                "INSERT INTO challenges (challenge, account_id, expires_at)
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM accounts WHERE account_id = $2)",
            )
            .bind(challenge.to_vec())
            .bind(&account)
            .bind(expires_at.as_second())
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(done) if done.rows_affected() == 0 => return Err(StoreError::NotFound),
                Ok(_) => {}
                Err(err) if is_missing_account(&err) => return Err(StoreError::NotFound),
                Err(err) => return Err(store_error(err)),
            }
            tx.commit().await.pg()?;
            Ok(())
        })
    }

    fn take_challenge(&self, challenge: [u8; 32]) -> StoreFuture<'_, Option<(AccountId, Timestamp)>> {
        detached(&self.pool, move |pool| async move {
            // One statement: two concurrent attempts with the same challenge cannot both get it.
            let row: Option<(Vec<u8>, i64)> = sqlx::query_as(
                "DELETE FROM challenges WHERE challenge = $1 RETURNING account_id, expires_at",
            )
            .bind(challenge.to_vec())
            .fetch_optional(&pool)
            .await
            .pg()?;
            row.map(|(account_id, expires_at)| {
                Ok((
                    AccountId::from_bytes(to_array(account_id, "challenge account_id")?),
                    to_timestamp(expires_at, "expires_at")?,
                ))
            })
            .transpose()
        })
    }

    fn create_session(&self, session: NewSession) -> StoreFuture<'_, ()> {
        detached(&self.pool, move |pool| async move {
            let inserted = sqlx::query(
                "INSERT INTO sessions
                     (session_id, account_id, token_hash, device_name, created_at, last_seen)
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(session.id.as_bytes().to_vec())
            .bind(session.account_id.as_bytes().to_vec())
            .bind(session.token_hash.to_vec())
            .bind(session.device_name.to_vec())
            .bind(session.created.as_second())
            .execute(&pool)
            .await;
            match inserted {
                Ok(_) => Ok(()),
                Err(err) if is_missing_account(&err) => Err(StoreError::NotFound),
                Err(err) => Err(store_error(err)),
            }
        })
    }

    fn session_by_token_hash(&self, token_hash: [u8; 32]) -> StoreFuture<'_, Option<SessionRecord>> {
        detached(&self.pool, move |pool| async move {
            let row: Option<SessionRow> = sqlx::query_as(concat!(
                "SELECT ",
                session_columns!(),
                " FROM sessions WHERE token_hash = $1"
            ))
            .bind(token_hash.to_vec())
            .fetch_optional(&pool)
            .await
            .pg()?;
            row.map(session_from_row).transpose()
        })
    }

    fn touch_session(&self, id: SessionId, now: Timestamp) -> StoreFuture<'_, ()> {
        detached(&self.pool, move |pool| async move {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE session_id = $2 AND last_seen < $1")
                .bind(now.as_second())
                .bind(id.as_bytes().to_vec())
                .execute(&pool)
                .await
                .pg()?;
            Ok(())
        })
    }

    fn list_sessions(&self, account_id: AccountId) -> StoreFuture<'_, Vec<SessionRecord>> {
        detached(&self.pool, move |pool| async move {
            let rows: Vec<SessionRow> = sqlx::query_as(concat!(
                "SELECT ",
                session_columns!(),
                " FROM sessions WHERE account_id = $1 ORDER BY created_at, session_id"
            ))
            .bind(account_id.as_bytes().to_vec())
            .fetch_all(&pool)
            .await
            .pg()?;
            rows.into_iter().map(session_from_row).collect()
        })
    }

    fn delete_session(&self, account_id: AccountId, id: SessionId) -> StoreFuture<'_, ()> {
        detached(&self.pool, move |pool| async move {
            let deleted = sqlx::query("DELETE FROM sessions WHERE session_id = $1 AND account_id = $2")
                .bind(id.as_bytes().to_vec())
                .bind(account_id.as_bytes().to_vec())
                .execute(&pool)
                .await
                .pg()?;
            if deleted.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    fn usage(&self, account_id: AccountId) -> StoreFuture<'_, Option<AccountUsage>> {
        detached(&self.pool, move |pool| async move {
            // A plain SELECT never waits for a push's row lock: it reads the last committed row.
            let row: Option<(i64, i64, i64)> =
                sqlx::query_as("SELECT seq, item_count, blob_bytes FROM accounts WHERE account_id = $1")
                    .bind(account_id.as_bytes().to_vec())
                    .fetch_optional(&pool)
                    .await
                    .pg()?;
            row.map(|(seq, items, bytes)| {
                Ok(AccountUsage {
                    seq: to_u64(seq, "seq")?,
                    items: to_u64(items, "item_count")?,
                    bytes: to_u64(bytes, "blob_bytes")?,
                })
            })
            .transpose()
        })
    }

    fn pull(&self, account_id: AccountId, since: u64) -> StoreFuture<'_, VaultSnapshot> {
        detached(&self.pool, move |pool| async move {
            let account = account_id.as_bytes().to_vec();
            // One snapshot for both statements (see the module comment); read-only, so it never
            // waits for a lock and never blocks a writer.
            let mut tx = pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await.pg()?;
            let head: Option<PullHeadRow> = sqlx::query_as(
                "SELECT keyset, key_version, manifest, seq FROM accounts WHERE account_id = $1",
            )
            .bind(&account)
            .fetch_optional(&mut *tx)
            .await
            .pg()?;
            let Some((keyset, key_version, manifest, seq)) = head else {
                return Err(StoreError::NotFound);
            };
            // A `since` beyond i64 is beyond every seq: nothing changed after it.
            let since = i64::try_from(since).unwrap_or(i64::MAX);
            let rows: Vec<(Vec<u8>, i64, Vec<u8>)> = sqlx::query_as(
                "SELECT item_id, seq, blob FROM items WHERE account_id = $1 AND seq > $2
                 ORDER BY seq, item_id",
            )
            .bind(&account)
            .bind(since)
            .fetch_all(&mut *tx)
            .await
            .pg()?;
            tx.commit().await.pg()?;
            let items = rows
                .into_iter()
                .map(|(id, seq, blob)| {
                    Ok(StoredItem {
                        id: ItemId::from_bytes(to_array(id, "item_id")?),
                        seq: to_u64(seq, "item seq")?,
                        blob,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            Ok(VaultSnapshot {
                seq: to_u64(seq, "seq")?,
                keyset,
                key_version: to_u32(key_version, "key_version")?,
                manifest,
                items,
            })
        })
    }

    fn push(&self, account_id: AccountId, batch: PushBatch, quotas: Quotas) -> StoreFuture<'_, u64> {
        detached(&self.pool, move |pool| async move {
            let account = account_id.as_bytes().to_vec();
            let mut tx = pool.begin().await.pg()?;
            let (seq, item_count, blob_bytes) = Self::lock_account(&mut tx, &account).await?;
            let current = to_u64(seq, "seq")?;
            if batch.base_seq != current {
                return Err(StoreError::Conflict { current });
            }

            // Quotas first, from the running totals and the sizes of the blobs being replaced,
            // so a refused push writes nothing at all.
            let (ids, blobs): (Vec<Vec<u8>>, Vec<Vec<u8>>) =
                batch.items.into_iter().map(|(id, blob)| (id.as_bytes().to_vec(), blob)).unzip();
            let stored: Vec<(Vec<u8>, i64)> = sqlx::query_as(
                "SELECT item_id, octet_length(blob)::bigint FROM items
                 WHERE account_id = $1 AND item_id = ANY($2)",
            )
            .bind(&account)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await
            .pg()?;
            let stored: HashMap<Vec<u8>, i64> = stored.into_iter().collect();
            let mut new_count = item_count;
            let mut new_bytes = blob_bytes;
            for (id, blob) in ids.iter().zip(&blobs) {
                match stored.get(id) {
                    Some(len) => new_bytes -= len,
                    None => new_count += 1,
                }
                new_bytes += to_i64(blob.len() as u64, "blob length")?;
            }
            if over(new_count, item_count, quotas.max_items) {
                return Err(StoreError::Quota(QuotaKind::Items));
            }
            if over(new_bytes, blob_bytes, quotas.max_bytes) {
                return Err(StoreError::Quota(QuotaKind::Bytes));
            }

            let new_seq = seq + 1;
            if !ids.is_empty() {
                // One statement for the whole push: the arrays travel in one message, in
                // PostgreSQL's binary format (no per-item round trip, no escaping).
                sqlx::query(
                    "INSERT INTO items (account_id, item_id, seq, blob)
                     SELECT $1, item_id, $2, blob FROM UNNEST($3::bytea[], $4::bytea[]) AS pushed (item_id, blob)
                     ON CONFLICT (account_id, item_id) DO UPDATE SET seq = excluded.seq, blob = excluded.blob",
                )
                .bind(&account)
                .bind(new_seq)
                .bind(&ids)
                .bind(&blobs)
                .execute(&mut *tx)
                .await
                .pg()?;
            }
            sqlx::query(
                "UPDATE accounts SET seq = $1, manifest = $2, item_count = $3, blob_bytes = $4
                 WHERE account_id = $5",
            )
            .bind(new_seq)
            .bind(batch.manifest)
            .bind(new_count)
            .bind(new_bytes)
            .bind(&account)
            .execute(&mut *tx)
            .await
            .pg()?;
            // The push is acknowledged only once this returns: committed (and, with the
            // database's default `synchronous_commit = on`, flushed to its WAL).
            tx.commit().await.pg()?;
            to_u64(new_seq, "seq")
        })
    }

    fn rekey(
        &self,
        account_id: AccountId,
        base_seq: u64,
        keys: AccountKeys,
        keep_session: SessionId,
    ) -> StoreFuture<'_, u64> {
        detached(&self.pool, move |pool| async move {
            let account = account_id.as_bytes().to_vec();
            let mut tx = pool.begin().await.pg()?;
            let (seq, _, _) = Self::lock_account(&mut tx, &account).await?;
            let current = to_u64(seq, "seq")?;
            if base_seq != current {
                return Err(StoreError::Conflict { current });
            }
            let new_seq = seq + 1;
            let update = sqlx::query(concat!(
                "UPDATE accounts SET (",
                key_columns!(),
                ") = ($1, $2, $3, $4, $5, $6, $7), seq = $8 WHERE account_id = $9"
            ));
            bind_keys(update, &keys).bind(new_seq).bind(&account).execute(&mut *tx).await.pg()?;
            sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND session_id <> $2")
                .bind(&account)
                .bind(keep_session.as_bytes().to_vec())
                .execute(&mut *tx)
                .await
                .pg()?;
            // Challenges handed out before the change would be signed with the old key.
            sqlx::query("DELETE FROM challenges WHERE account_id = $1")
                .bind(&account)
                .execute(&mut *tx)
                .await
                .pg()?;
            tx.commit().await.pg()?;
            to_u64(new_seq, "seq")
        })
    }

    fn purge_expired(&self, now: Timestamp, session_idle: Duration) -> StoreFuture<'_, ()> {
        detached(&self.pool, move |pool| async move {
            let idle = i64::try_from(session_idle.as_secs()).unwrap_or(i64::MAX);
            let cutoff = now.as_second().saturating_sub(idle);
            sqlx::query("DELETE FROM challenges WHERE expires_at <= $1")
                .bind(now.as_second())
                .execute(&pool)
                .await
                .pg()?;
            sqlx::query("DELETE FROM sessions WHERE last_seen < $1")
                .bind(cutoff)
                .execute(&pool)
                .await
                .pg()?;
            // A drained budget is the same as none: forgetting it changes no answer.
            sqlx::query("DELETE FROM rate_limits WHERE empty_at_ms <= $1")
                .bind(now.as_millisecond())
                .execute(&pool)
                .await
                .pg()?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contention_and_outages_are_unavailable_and_other_errors_are_backend_failures() {
        assert!(matches!(store_error(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
        assert!(matches!(store_error(sqlx::Error::PoolClosed), StoreError::Unavailable(_)));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(matches!(store_error(sqlx::Error::Io(refused)), StoreError::Unavailable(_)));
        assert!(matches!(store_error(sqlx::Error::RowNotFound), StoreError::Backend(_)));
        for code in ["55P03", "40001", "40P01", "57014", "57P01", "53300", "08006"] {
            assert!(is_unavailable_code(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22001"] {
            assert!(!is_unavailable_code(code), "{code}");
        }
    }

    #[test]
    fn messages_name_the_server_without_the_password() {
        let options =
            PgConnectOptions::from_str("postgres://hush:s3cret-pw@db.example:6543/hush").expect("url");
        let target = describe(&options);
        assert_eq!(target, "db.example:6543/hush");
        let err = PgOpenError::Connect { target, source: sqlx::Error::PoolTimedOut };
        assert!(!format!("{err:#}").contains("s3cret"), "{err}");
    }
}
