//! The default [`Store`]: an embedded SQLite database (sqlx) in the data folder.
//!
//! - WAL mode, so pulls read a snapshot while a push writes.
//! - `synchronous = FULL`: an acknowledged push must survive a power cut. If it did not, the
//!   server would come back one seq behind a manifest counter the client has already seen, and
//!   the client would rightly report a rollback (`docs/spec/crypto-v2.md`, "Manifest").
//! - Every write transaction starts with `BEGIN IMMEDIATE`: it takes SQLite's single write lock
//!   up front, so the read-check-write of a push is serialised against every other writer and a
//!   reader never has to upgrade its lock (which SQLite can only refuse, not wait for).
//! - Queries are runtime-checked (`sqlx::query`), since there is no database at build time.

use std::collections::HashMap;
use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hush_proto::{AccountId, ItemId, SessionId};
use jiff::Timestamp;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};

use super::rows::{
    AccountRow, PullHeadRow, SessionRow, account_from_row, session_from_row, to_array, to_i64, to_timestamp,
    to_u32, to_u64,
};
use super::{
    AccountKeys, AccountRecord, AccountUsage, Admission, NewSession, PushBatch, QuotaKind, Quotas,
    SessionRecord, Store, StoreError, StoreFuture, StoredItem, VaultSnapshot,
};

/// The database's file name inside the data folder.
pub const DB_FILE_NAME: &str = "hush-server.db";

/// How the SQLite store waits for contended resources.
#[derive(Debug, Clone, Copy)]
pub struct SqliteOptions {
    /// How long a statement waits for SQLite's write lock (`busy_timeout`), and a request for a
    /// free connection of the pool, before the store gives up with [`StoreError::Unavailable`].
    /// Default 5 s: more than twice what a push of 100,000 items (the default quota) holds the
    /// lock (see `ITEMS_PER_STATEMENT`), and shorter than the request timeout, so a client hears
    /// 503 and when to retry rather than 408.
    pub lock_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { lock_timeout: Duration::from_secs(5) }
    }
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data folder could not be created.
    #[error("cannot create the data folder {path}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The database file could not be created or restricted to mode 0600.
    #[error("cannot create the database file {path}")]
    CreateFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// SQLite refused to open the database.
    #[error("cannot open the database {path}")]
    Connect {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The schema migrations failed.
    #[error("cannot migrate the database {path}")]
    Migrate {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir`, and brings its schema up to date.
    ///
    /// The folder is created with mode 0700 and the database file with 0600; SQLite gives its
    /// `-wal` and `-shm` files the database file's mode.
    pub async fn open(data_dir: &Path) -> Result<Self, OpenError> {
        Self::open_with(data_dir, SqliteOptions::default()).await
    }

    /// [`SqliteStore::open`] with `options`.
    pub async fn open_with(data_dir: &Path, options: SqliteOptions) -> Result<Self, OpenError> {
        let lock_timeout = options.lock_timeout;
        let path = prepare_files(data_dir)?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(lock_timeout)
            // What is deleted is overwritten, not left in free pages: the plaintext device names
            // an upgrade erases (migration 0003), revoked sessions, replaced blobs. A copy of the
            // database file then holds only what the server currently keeps.
            .pragma("secure_delete", "on")
            // sqlx runs SQLite on a worker thread and hands rows over a channel of 50 by
            // default, so a full pull of 10,000 items woke the task 200 times; the
            // channel was 22% of a pull (docs/benchmarks.md, S4). Rows are collected
            // whole by `fetch_all` anyway, so a larger channel adds no peak memory.
            .row_buffer_size(1024);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(lock_timeout)
            .connect_with(options)
            .await
            .map_err(|source| OpenError::Connect { path: path.clone(), source })?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|source| OpenError::Migrate { path: path.clone(), source })?;
        // Moves what the migrations overwrote out of the write-ahead log into the database file
        // and empties the log, so that no earlier version of a page survives in either.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await
            .map_err(|source| OpenError::Connect { path, source })?;
        Ok(Self { pool })
    }

    /// The pool, for `copy`.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits until every connection is returned, then closes them.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction holding SQLite's write lock (see the module comment).
    pub(super) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Creates the folder (0700) and the database file (0600) before SQLite touches them, so they
/// are never readable by others, not even for an instant.
fn prepare_files(data_dir: &Path) -> Result<PathBuf, OpenError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|source| OpenError::CreateDir { path: data_dir.to_owned(), source })?;
    let path = data_dir.join(DB_FILE_NAME);
    let create_file_error = |source| OpenError::CreateFile { path: path.clone(), source };
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(create_file_error)?;
    // `mode` applies only when the file is created; tighten a file that was made otherwise.
    fs::set_permissions(&path, Permissions::from_mode(0o600)).map_err(create_file_error)?;
    Ok(path)
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if is_contention(&err) {
            StoreError::Unavailable(Box::new(err))
        } else {
            StoreError::Backend(Box::new(err))
        }
    }
}

/// Whether `err` means "not now" rather than "broken": SQLite's BUSY (5) or LOCKED (6), in any
/// extended form (sqlx reports the extended code, whose low byte is the primary one), after
/// `busy_timeout` ran out; or the pool had no connection to give within its acquire timeout.
fn is_contention(err: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    match err {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(err) => err
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED)),
        _ => false,
    }
}

/// The columns of `accounts` that hold an [`AccountKeys`], in the order [`bind_keys`] binds
/// them and [`AccountRow`] starts with. A macro, like `session_columns!`, so queries stay
/// `&'static str`.
macro_rules! key_columns {
    () => {
        "kdf_m_kib, kdf_t, kdf_p, kdf_salt, auth_public_key, keyset, key_version"
    };
}

/// One placeholder for each of [`key_columns!`].
macro_rules! key_placeholders {
    () => {
        "?, ?, ?, ?, ?, ?, ?"
    };
}

/// A query of this store, before execution.
type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, <Sqlite as sqlx::Database>::Arguments>;

/// Binds `keys` to the next seven placeholders, in the order of [`key_columns!`].
///
/// Registration and rekey both write all seven columns; binding them in one place keeps the two
/// from drifting apart (a swapped pair would store keys no client could use, unnoticed until a
/// login fails).
fn bind_keys<'q>(query: SqliteQuery<'q>, keys: &AccountKeys) -> SqliteQuery<'q> {
    query
        .bind(i64::from(keys.kdf.m_kib))
        .bind(i64::from(keys.kdf.t))
        .bind(i64::from(keys.kdf.p))
        .bind(keys.kdf.salt.as_bytes())
        .bind(&keys.auth_public_key[..])
        .bind(&keys.keyset[..])
        .bind(i64::from(keys.key_version))
}

/// The columns of [`SessionRow`], as a macro so queries stay `&'static str` (sqlx's `SqlSafeStr`).
macro_rules! session_columns {
    () => {
        "session_id, account_id, token_hash, device_name, created_at, last_seen"
    };
}

/// Items per statement when a push reads or writes its items. SQLite holds one write lock for all
/// accounts, and a push holds it from its first read to its commit. With one statement per item, a
/// push of 100,000 items (the default quota) held it for about 8 s, mostly in per-statement
/// overhead, so other accounts' writes waited past the lock timeout (docs/server.md, "Busy
/// store"); in batches of 1,000 it took about 2 s on the same loaded 2-core machine (release
/// build). 1,000 rows of 4 values stay far below SQLite's limit of 32,766 bound values.
const ITEMS_PER_STATEMENT: usize = 1000;

/// The stored blob sizes of those of `items` that the account already holds.
async fn stored_sizes(
    tx: &mut Transaction<'static, Sqlite>,
    account: &[u8],
    items: &[(ItemId, Vec<u8>)],
) -> Result<HashMap<ItemId, i64>, StoreError> {
    let mut sizes = HashMap::new();
    for chunk in items.chunks(ITEMS_PER_STATEMENT) {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT item_id, length(blob) FROM items WHERE account_id = ");
        query.push_bind(account.to_vec()).push(" AND item_id IN (");
        let mut ids = query.separated(", ");
        for (item_id, _) in chunk {
            ids.push_bind(item_id.as_bytes().to_vec());
        }
        query.push(")");
        let rows: Vec<(Vec<u8>, i64)> = query.build_query_as().fetch_all(&mut **tx).await?;
        for (item_id, size) in rows {
            sizes.insert(ItemId::from_bytes(to_array(item_id, "item_id")?), size);
        }
    }
    Ok(sizes)
}

/// Creates or replaces `items` with `seq`.
async fn upsert_items(
    tx: &mut Transaction<'static, Sqlite>,
    account: &[u8],
    seq: i64,
    items: &[(ItemId, Vec<u8>)],
) -> Result<(), StoreError> {
    for chunk in items.chunks(ITEMS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new("INSERT INTO items (account_id, item_id, seq, blob) ");
        query.push_values(chunk, |mut row, (item_id, blob)| {
            row.push_bind(account.to_vec())
                .push_bind(item_id.as_bytes().to_vec())
                .push_bind(seq)
                .push_bind(blob.clone());
        });
        query.push(
            " ON CONFLICT (account_id, item_id) DO UPDATE SET seq = excluded.seq, blob = excluded.blob",
        );
        query.build().execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        })
    }

    fn create_invite(&self, code_hash: [u8; 32], now: Timestamp) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("INSERT INTO invites (code_hash, created_at) VALUES (?, ?)")
                .bind(&code_hash[..])
                .bind(now.as_second())
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn create_account(&self, id: AccountId, keys: AccountKeys, admission: Admission) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let mut tx = self.begin_write().await?;
            if let Admission::Invite(code_hash) = admission {
                let used = sqlx::query("DELETE FROM invites WHERE code_hash = ?")
                    .bind(&code_hash[..])
                    .execute(&mut *tx)
                    .await?;
                if used.rows_affected() == 0 {
                    return Err(StoreError::InvalidInvite);
                }
            }
            let insert = sqlx::query(concat!(
                "INSERT INTO accounts (account_id, ",
                key_columns!(),
                ") VALUES (?, ",
                key_placeholders!(),
                ") ON CONFLICT (account_id) DO NOTHING"
            ))
            .bind(&id.as_bytes()[..]);
            let inserted = bind_keys(insert, &keys).execute(&mut *tx).await?;
            if inserted.rows_affected() == 0 {
                // Dropping `tx` rolls back, which restores the invite code.
                return Err(StoreError::AccountExists);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn account(&self, id: AccountId) -> StoreFuture<'_, Option<AccountRecord>> {
        Box::pin(async move {
            let row: Option<AccountRow> = sqlx::query_as(concat!(
                "SELECT ",
                key_columns!(),
                ", seq FROM accounts WHERE account_id = ?"
            ))
            .bind(&id.as_bytes()[..])
            .fetch_optional(&self.pool)
            .await?;
            row.map(|row| account_from_row(id, row)).transpose()
        })
    }

    fn delete_account(&self, id: AccountId) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            // Items, file chunks, sessions and challenges go with it (ON DELETE CASCADE), atomically.
            let deleted = sqlx::query("DELETE FROM accounts WHERE account_id = ?")
                .bind(&id.as_bytes()[..])
                .execute(&self.pool)
                .await?;
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
        Box::pin(async move {
            let account = &account_id.as_bytes()[..];
            let mut tx = self.begin_write().await?;
            sqlx::query("DELETE FROM challenges WHERE account_id = ? AND expires_at <= ?")
                .bind(account)
                .bind(now.as_second())
                .execute(&mut *tx)
                .await?;
            let inserted = sqlx::query(
                "INSERT INTO challenges (challenge, account_id, expires_at)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM accounts WHERE account_id = ?2)",
            )
            .bind(&challenge[..])
            .bind(account)
            .bind(expires_at.as_second())
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn take_challenge(&self, challenge: [u8; 32]) -> StoreFuture<'_, Option<(AccountId, Timestamp)>> {
        Box::pin(async move {
            // One statement: two concurrent attempts with the same challenge cannot both get it.
            let row: Option<(Vec<u8>, i64)> =
                sqlx::query_as("DELETE FROM challenges WHERE challenge = ? RETURNING account_id, expires_at")
                    .bind(&challenge[..])
                    .fetch_optional(&self.pool)
                    .await?;
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
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO sessions
                     (session_id, account_id, token_hash, device_name, created_at, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )
            .bind(&session.id.as_bytes()[..])
            .bind(&session.account_id.as_bytes()[..])
            .bind(&session.token_hash[..])
            .bind(&session.device_name[..])
            .bind(session.created.as_second())
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn session_by_token_hash(&self, token_hash: [u8; 32]) -> StoreFuture<'_, Option<SessionRecord>> {
        Box::pin(async move {
            let row: Option<SessionRow> =
                sqlx::query_as(concat!("SELECT ", session_columns!(), " FROM sessions WHERE token_hash = ?"))
                    .bind(&token_hash[..])
                    .fetch_optional(&self.pool)
                    .await?;
            row.map(session_from_row).transpose()
        })
    }

    fn touch_session(&self, id: SessionId, now: Timestamp) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("UPDATE sessions SET last_seen = ? WHERE session_id = ? AND last_seen < ?")
                .bind(now.as_second())
                .bind(&id.as_bytes()[..])
                .bind(now.as_second())
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn list_sessions(&self, account_id: AccountId) -> StoreFuture<'_, Vec<SessionRecord>> {
        Box::pin(async move {
            let rows: Vec<SessionRow> = sqlx::query_as(concat!(
                "SELECT ",
                session_columns!(),
                " FROM sessions WHERE account_id = ? ORDER BY created_at, session_id"
            ))
            .bind(&account_id.as_bytes()[..])
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(session_from_row).collect()
        })
    }

    fn delete_session(&self, account_id: AccountId, id: SessionId) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let deleted = sqlx::query("DELETE FROM sessions WHERE session_id = ? AND account_id = ?")
                .bind(&id.as_bytes()[..])
                .bind(&account_id.as_bytes()[..])
                .execute(&self.pool)
                .await?;
            if deleted.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    fn usage(&self, account_id: AccountId) -> StoreFuture<'_, Option<AccountUsage>> {
        Box::pin(async move {
            let row: Option<(i64, i64, i64)> =
                sqlx::query_as("SELECT seq, item_count, blob_bytes FROM accounts WHERE account_id = ?")
                    .bind(&account_id.as_bytes()[..])
                    .fetch_optional(&self.pool)
                    .await?;
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
        Box::pin(async move {
            let account = &account_id.as_bytes()[..];
            // A read transaction: in WAL mode both SELECTs see the same snapshot, so a push
            // landing in between cannot pair an old manifest with new items.
            let mut tx = self.pool.begin().await?;
            let head: Option<PullHeadRow> = sqlx::query_as(
                "SELECT keyset, key_version, manifest, seq FROM accounts WHERE account_id = ?",
            )
            .bind(account)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((keyset, key_version, manifest, seq)) = head else {
                return Err(StoreError::NotFound);
            };
            // A `since` beyond i64 is beyond every seq: nothing changed after it.
            let since = i64::try_from(since).unwrap_or(i64::MAX);
            let rows: Vec<(Vec<u8>, i64, Vec<u8>)> = sqlx::query_as(
                "SELECT item_id, seq, blob FROM items WHERE account_id = ? AND seq > ?
                 ORDER BY seq, item_id",
            )
            .bind(account)
            .bind(since)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
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
        Box::pin(async move {
            let account = &account_id.as_bytes()[..];
            let mut tx = self.begin_write().await?;
            let head: Option<(i64, i64, i64)> =
                sqlx::query_as("SELECT seq, item_count, blob_bytes FROM accounts WHERE account_id = ?")
                    .bind(account)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((seq, item_count, blob_bytes)) = head else {
                return Err(StoreError::NotFound);
            };
            let current = to_u64(seq, "seq")?;
            if batch.base_seq != current {
                return Err(StoreError::Conflict { current });
            }

            // Quotas first, from the running totals and the sizes of the blobs being replaced,
            // so a refused push writes nothing at all.
            let mut new_count = item_count;
            let mut new_bytes = blob_bytes;
            let stored = stored_sizes(&mut tx, account, &batch.items).await?;
            for (item_id, blob) in &batch.items {
                match stored.get(item_id).copied() {
                    Some(len) => new_bytes -= len,
                    None => new_count += 1,
                }
                new_bytes += to_i64(blob.len() as u64, "blob length")?;
            }
            let over =
                |new: i64, old: i64, max: u64| new > old && u64::try_from(new).map_or(true, |new| new > max);
            if over(new_count, item_count, quotas.max_items) {
                return Err(StoreError::Quota(QuotaKind::Items));
            }
            if over(new_bytes, blob_bytes, quotas.max_bytes) {
                return Err(StoreError::Quota(QuotaKind::Bytes));
            }

            let new_seq = seq + 1;
            upsert_items(&mut tx, account, new_seq, &batch.items).await?;
            sqlx::query(
                "UPDATE accounts SET seq = ?, manifest = ?, item_count = ?, blob_bytes = ?
                 WHERE account_id = ?",
            )
            .bind(new_seq)
            .bind(&batch.manifest[..])
            .bind(new_count)
            .bind(new_bytes)
            .bind(account)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
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
        Box::pin(async move {
            let account = &account_id.as_bytes()[..];
            let mut tx = self.begin_write().await?;
            let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM accounts WHERE account_id = ?")
                .bind(account)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(seq) = seq else {
                return Err(StoreError::NotFound);
            };
            let current = to_u64(seq, "seq")?;
            if base_seq != current {
                return Err(StoreError::Conflict { current });
            }
            let new_seq = seq + 1;
            // A row-value assignment (SQLite 3.15+), so the column list is the same one the
            // insert uses.
            let update = sqlx::query(concat!(
                "UPDATE accounts SET (",
                key_columns!(),
                ") = (",
                key_placeholders!(),
                "), seq = ? WHERE account_id = ?"
            ));
            bind_keys(update, &keys).bind(new_seq).bind(account).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE account_id = ? AND session_id != ?")
                .bind(account)
                .bind(&keep_session.as_bytes()[..])
                .execute(&mut *tx)
                .await?;
            // Challenges handed out before the change would be signed with the old key.
            sqlx::query("DELETE FROM challenges WHERE account_id = ?")
                .bind(account)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            to_u64(new_seq, "seq")
        })
    }

    fn purge_expired(&self, now: Timestamp, session_idle: Duration) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let idle = i64::try_from(session_idle.as_secs()).unwrap_or(i64::MAX);
            let cutoff = now.as_second().saturating_sub(idle);
            sqlx::query("DELETE FROM challenges WHERE expires_at <= ?")
                .bind(now.as_second())
                .execute(&self.pool)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE last_seen < ?").bind(cutoff).execute(&self.pool).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use hush_proto::{B64, KdfParams};

    use super::*;
    use crate::clock::{Clock, ManualClock, after};

    const CHALLENGE_LIFETIME: Duration = Duration::from_secs(300);

    async fn open() -> (SqliteStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("store opens");
        (store, dir)
    }

    /// A server of the previous version kept device names in the clear. Upgrading it erases
    /// them (the server cannot seal them and must not keep them) and keeps everything else:
    /// the sessions stay valid, the accounts and items untouched (crypto-v2.md, "Upgrading").
    #[tokio::test]
    async fn upgrading_a_version_2_database_erases_plaintext_device_names_and_keeps_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = prepare_files(dir.path()).expect("files");
        {
            let pool = SqlitePoolOptions::new()
                .connect_with(SqliteConnectOptions::new().filename(&path).create_if_missing(true))
                .await
                .expect("connect");
            let mut old = sqlx::migrate!("./migrations");
            old.migrations = std::borrow::Cow::Owned(old.migrations[..2].to_vec());
            old.run(&pool).await.expect("the version-2 schema");
            sqlx::raw_sql(
                "INSERT INTO accounts (account_id, kdf_m_kib, kdf_t, kdf_p, kdf_salt, auth_public_key, keyset, \
                 key_version, manifest, seq) VALUES (zeroblob(16), 65536, 3, 1, zeroblob(16), zeroblob(32), \
                 x'0101000000', 1, x'01', 1); \
                 INSERT INTO items (account_id, item_id, seq, blob) VALUES (zeroblob(16), zeroblob(16), 1, x'0102'); \
                 INSERT INTO sessions (session_id, account_id, token_hash, device_name, created_at, last_seen) \
                 VALUES (zeroblob(16), zeroblob(16), zeroblob(32), 'Alice''s work laptop', 5, 6);",
            )
            .execute(&pool)
            .await
            .expect("old rows");
            pool.close().await;
        }
        let store = SqliteStore::open(dir.path()).await.expect("the upgrade runs");
        let account = AccountId::from_bytes([0; 16]);
        let session =
            store.session_by_token_hash([0; 32]).await.expect("query").expect("the session is kept");
        assert_eq!((session.account_id, session.device_name), (account, None));
        assert_eq!(store.list_sessions(account).await.expect("list").len(), 1);
        let pull = store.pull(account, 0).await.expect("pull");
        assert_eq!((pull.seq, pull.items.len(), pull.manifest), (1, 1, Some(vec![1])));
        for file in [path.clone(), path.with_extension("db-wal")] {
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert!(
                !bytes.windows(19).any(|w| w == b"Alice's work laptop"),
                "the name is left in {}",
                file.display()
            );
        }
    }

    fn clock() -> ManualClock {
        ManualClock::new(Timestamp::from_second(1_800_000_000).expect("in range"))
    }

    /// Creates an account; the store does not look inside the keys, so any will do.
    async fn account(store: &SqliteStore, seed: u8) -> AccountId {
        let id = AccountId::from_bytes([seed; 16]);
        let keys = AccountKeys {
            kdf: KdfParams { m_kib: 65_536, t: 3, p: 1, salt: B64(vec![seed; 16]) },
            auth_public_key: [seed; 32],
            keyset: vec![1, 1, 0, 0, 0, seed],
            key_version: 1,
        };
        store.create_account(id, keys, Admission::Open).await.expect("account created");
        id
    }

    async fn challenge_count(store: &SqliteStore, account_id: AccountId) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM challenges WHERE account_id = ?")
            .bind(&account_id.as_bytes()[..])
            .fetch_one(&store.pool)
            .await
            .expect("count")
    }

    async fn session(store: &SqliteStore, account_id: AccountId, seed: u8, created: Timestamp) -> SessionId {
        let id = SessionId::from_bytes([seed; 16]);
        let session = NewSession {
            id,
            account_id,
            token_hash: [seed; 32],
            device_name: [seed; hush_proto::SEALED_DEVICE_NAME_LEN],
            created,
        };
        store.create_session(session).await.expect("session created");
        id
    }

    /// `add_challenge` drops the account's expired challenges and nothing else: however many
    /// challenges others ask for, the owner's unexpired one stays usable. `POST
    /// /v2/sessions/challenge` needs no authentication (`docs/spec/sync-api-v2.md`, "Sessions"), and the
    /// cap of 16 per account that used to drop the oldest let anyone who knows an account id
    /// evict its owner's challenge before it was used (issue #9). The table is bounded by the
    /// per-address request budget instead (`src/rate_limit.rs`).
    #[tokio::test]
    async fn add_challenge_drops_only_expired_challenges() {
        let (store, _dir) = open().await;
        let clock = clock();
        let account_id = account(&store, 1).await;
        let bystander = account(&store, 2).await;
        let t0 = clock.now();
        store
            .add_challenge(bystander, [0xBB; 32], after(t0, Duration::from_secs(10)), t0)
            .await
            .expect("added");
        let owners = after(t0, CHALLENGE_LIFETIME);
        store.add_challenge(account_id, [0xAA; 32], owners, t0).await.expect("added");
        let short_lived = after(t0, Duration::from_secs(10));
        store.add_challenge(account_id, [0x01; 32], short_lived, t0).await.expect("added");

        // A flood far beyond the old cap, after the short-lived challenge expired.
        clock.advance(Duration::from_secs(10));
        let now = clock.now();
        for i in 0..64u8 {
            let mut flood = [0x77; 32];
            flood[0] = i;
            store.add_challenge(account_id, flood, after(now, CHALLENGE_LIFETIME), now).await.expect("added");
        }
        assert_eq!(challenge_count(&store, account_id).await, 1 + 64, "only the expired one went");
        assert_eq!(store.take_challenge([0xAA; 32]).await.expect("take"), Some((account_id, owners)));
        assert_eq!(store.take_challenge([0x01; 32]).await.expect("take"), None);
        // Another account's expired challenge is that account's to prune (or the purge task's).
        assert_eq!(challenge_count(&store, bystander).await, 1);
        // And a challenge for an account that does not exist is refused.
        let unknown = AccountId::from_bytes([9; 16]);
        let refused = store.add_challenge(unknown, [0x09; 32], after(now, CHALLENGE_LIFETIME), now).await;
        assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    }

    /// A push larger than one statement (`ITEMS_PER_STATEMENT`) is written whole, and its
    /// replacements are counted from the stored sizes, across every batch and the remainder.
    #[tokio::test]
    async fn a_push_of_several_statements_is_written_and_counted_whole() {
        let (store, _dir) = open().await;
        let account_id = account(&store, 1).await;
        let quotas = Quotas { max_items: 100_000, max_bytes: 1 << 30 };
        let item = |i: usize, size: usize| {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64).to_le_bytes());
            (ItemId::from_bytes(id), vec![(i % 251) as u8; size])
        };
        let first = 2 * ITEMS_PER_STATEMENT + 7;
        let items: Vec<_> = (0..first).map(|i| item(i, 10)).collect();
        let batch = PushBatch { base_seq: 0, manifest: vec![1], items };
        assert_eq!(store.push(account_id, batch, quotas).await.expect("pushed"), 1);
        let usage = store.usage(account_id).await.expect("read").expect("account");
        assert_eq!((usage.items, usage.bytes), (first as u64, first as u64 * 10));

        // Replace every other item with a larger blob, across all batches, and add a few.
        let replaced: Vec<_> = (0..first).step_by(2).map(|i| item(i, 25)).collect();
        let added: Vec<_> = (first..first + 3).map(|i| item(i, 5)).collect();
        let (replaced_count, added_count) = (replaced.len() as u64, added.len() as u64);
        let batch = PushBatch { base_seq: 1, manifest: vec![2], items: [replaced, added].concat() };
        assert_eq!(store.push(account_id, batch, quotas).await.expect("pushed"), 2);
        let usage = store.usage(account_id).await.expect("read").expect("account");
        assert_eq!(usage.items, first as u64 + added_count);
        assert_eq!(usage.bytes, first as u64 * 10 + replaced_count * 15 + added_count * 5);

        let pulled = store.pull(account_id, 1).await.expect("pulled");
        assert_eq!(pulled.items.len() as u64, replaced_count + added_count);
        let all = store.pull(account_id, 0).await.expect("pulled");
        let stored: u64 = all.items.iter().map(|item| item.blob.len() as u64).sum();
        assert_eq!(stored, usage.bytes, "the running total is what is stored");
        let last = all.items.iter().find(|stored| stored.id == item(first - 1, 0).0).expect("kept");
        assert_eq!(last.blob, item(first - 1, 25).1, "replaced in the remainder batch too");
    }

    /// Contention is "try again", not a failure: the routes answer 503 with `Retry-After` for
    /// [`StoreError::Unavailable`] and 500 for [`StoreError::Backend`]. (A real SQLite BUSY is
    /// pinned by `a_busy_store_answers_503_with_retry_after_and_other_accounts_still_pull` in
    /// `tests/api/vault.rs`.)
    #[test]
    fn pool_timeouts_are_unavailable_and_other_errors_are_backend_failures() {
        assert!(matches!(StoreError::from(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
        assert!(matches!(StoreError::from(sqlx::Error::RowNotFound), StoreError::Backend(_)));
        assert!(matches!(StoreError::from(sqlx::Error::WorkerCrashed), StoreError::Backend(_)));
    }

    /// `purge_expired` removes challenges at or past their expiry and sessions idle for longer
    /// than `session_idle` (`docs/spec/sync-api-v2.md`, "Limits"), with the same boundaries the routes use
    /// to refuse them (`routes/sessions.rs`, `auth.rs`), and keeps everything else. Purging
    /// early would log users out; purging late only wastes space.
    #[tokio::test]
    async fn purge_expired_removes_only_expired_challenges_and_idle_sessions() {
        const IDLE: Duration = Duration::from_secs(100);
        let (store, _dir) = open().await;
        let clock = clock();
        let t0 = clock.now();
        let account_id = account(&store, 1).await;
        let at = |secs: u64| after(t0, Duration::from_secs(secs));

        for (seed, expires_at) in [(1, at(10)), (2, at(110)), (3, at(111)), (4, at(300))] {
            store.add_challenge(account_id, [seed; 32], expires_at, t0).await.expect("added");
        }
        let never_used = session(&store, account_id, 1, t0).await;
        let at_the_limit = session(&store, account_id, 2, t0).await;
        let recently_used = session(&store, account_id, 3, t0).await;
        clock.advance(Duration::from_secs(10));
        store.touch_session(at_the_limit, clock.now()).await.expect("touched");
        clock.advance(Duration::from_secs(50));
        store.touch_session(recently_used, clock.now()).await.expect("touched");
        clock.advance(Duration::from_secs(50));
        assert_eq!(clock.now(), at(110));

        store.purge_expired(clock.now(), IDLE).await.expect("purged");

        // Expired at 10 and exactly now (110) go; 111 and 300 stay.
        assert_eq!(challenge_count(&store, account_id).await, 2);
        assert_eq!(store.take_challenge([1; 32]).await.expect("take"), None);
        assert_eq!(store.take_challenge([2; 32]).await.expect("take"), None);
        assert_eq!(store.take_challenge([3; 32]).await.expect("take"), Some((account_id, at(111))));
        assert_eq!(store.take_challenge([4; 32]).await.expect("take"), Some((account_id, at(300))));
        // Idle 110 s goes; idle exactly 100 s and idle 50 s stay.
        let left: Vec<SessionId> =
            store.list_sessions(account_id).await.expect("listed").into_iter().map(|s| s.id).collect();
        assert_eq!(left, vec![at_the_limit, recently_used]);
        assert!(!left.contains(&never_used));
    }
}
