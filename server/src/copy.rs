//! `hush-server copy`: every account (keys, manifest, seq), item, session and invite of one store,
//! into another (docs/server.md, "Moving to PostgreSQL").
//!
//! Devices must notice nothing: the same account ids, seqs, manifests and item seqs (a lower
//! one would be reported as a rollback, `docs/spec/sync-api-v2.md`, "Verifying a pull"), and the
//! same sessions (token hashes), so no device has to log in again. Login challenges (valid for 5
//! minutes) and rate-limit budgets are not copied.
//!
//! The copy is all or nothing and reads one snapshot: the source is read in one read transaction,
//! the destination written in one transaction, committed only after the last row. A failed copy
//! leaves the destination as it was. Pushes the source accepts after the snapshot are not copied,
//! so the source's server must be stopped first; a copy whose source changed meanwhile ends with
//! an error that says so ([`CopyError::SourceChanged`]).

use std::path::Path;

use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};

use crate::store::{
    DB_FILE_NAME, Location, OpenError, PgOpenError, PgOptions, PgStore, SqliteOptions, SqliteStore,
    StoreError, pg_error,
};

/// Rows per insert statement: far below SQLite's 32,766 bound values and PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 500;

/// What a copy wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CopyReport {
    /// Accounts copied.
    pub accounts: u64,
    /// Items copied.
    pub items: u64,
    /// Sessions copied.
    pub sessions: u64,
    /// Unused invite codes copied.
    pub invites: u64,
    /// Sealed chunks of attached files copied.
    pub chunks: u64,
}

/// Why a copy did not happen (or, for [`CopyError::SourceChanged`], is not complete).
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// SOURCE and DEST are the same store.
    #[error("SOURCE and DEST are the same store ({0})")]
    SameStore(String),
    /// A SQLite source folder with no database in it.
    #[error("{0} holds no hush-server database ({DB_FILE_NAME}); check --from")]
    NoSource(String),
    /// The destination holds data already.
    #[error(
        "{dest} is not empty ({accounts} accounts, {invites} invites); copy into an empty database, or pass --into-non-empty to add to what it holds"
    )]
    NotEmpty {
        /// The destination.
        dest: String,
        /// Accounts it holds.
        accounts: i64,
        /// Invites it holds.
        invites: i64,
    },
    /// An account of the source exists in the destination already; nothing was copied.
    #[error("account {0} exists in both stores; nothing was copied")]
    AccountInBoth(String),
    /// The source accepted writes while it was copied.
    #[error(
        "the source changed while it was being copied (its server is still running?): the destination holds the source as it was when the copy began, without the later changes. Stop the source's server, empty the destination, and copy again"
    )]
    SourceChanged,
    /// A SQLite store could not be opened.
    #[error(transparent)]
    Sqlite(#[from] OpenError),
    /// A PostgreSQL store could not be opened.
    #[error(transparent)]
    Postgres(#[from] PgOpenError),
    /// A store failed while copying.
    #[error("the copy failed; the destination is unchanged")]
    Store(#[source] StoreError),
}

impl From<StoreError> for CopyError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

/// An open store, as the copy reads or writes it.
enum Opened {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// One open transaction on either backend.
enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Counts that change with every accepted write: accounts, the sum of their seqs (every push and
/// rekey adds one), sessions, invites. Equal before and after the copy means nothing was written.
type Fingerprint = (i64, i64, i64, i64);

/// The columns of `accounts` a copy moves: every column but the running totals, which the
/// destination recomputes from the items it receives.
type AccountCopyRow = (Vec<u8>, i64, i64, i64, Vec<u8>, Vec<u8>, Vec<u8>, i64, Option<Vec<u8>>, i64);
type ItemRow = (Vec<u8>, i64, Vec<u8>);
type SessionCopyRow = (Vec<u8>, Vec<u8>, Option<Vec<u8>>, i64, i64);

const ACCOUNT_COLUMNS: &str =
    "account_id, kdf_m_kib, kdf_t, kdf_p, kdf_salt, auth_public_key, keyset, key_version, manifest, seq";

fn sqlite_err(err: sqlx::Error) -> StoreError {
    StoreError::from(err)
}

/// Copies everything of `from` into `to` (see the module comment). `into_non_empty` allows a
/// destination that already holds accounts or invites (an account present in both is still
/// refused, and then nothing is copied).
pub async fn copy(
    from: &Location,
    to: &Location,
    into_non_empty: bool,
    options: PgOptions,
) -> Result<CopyReport, CopyError> {
    if same_store(from, to) {
        return Err(CopyError::SameStore(to.to_string()));
    }
    if let Location::Sqlite(dir) = from
        && !dir.join(DB_FILE_NAME).is_file()
    {
        return Err(CopyError::NoSource(dir.display().to_string()));
    }
    let source = open(from, options).await?;
    let dest = open(to, options).await?;

    let mut reader = begin_read(&source).await?;
    let before = fingerprint(&mut reader).await?;
    let mut writer = begin_write(&dest).await?;
    if !into_non_empty {
        let (accounts, _, _, invites) = fingerprint(&mut writer).await?;
        if accounts > 0 || invites > 0 {
            return Err(CopyError::NotEmpty { dest: to.to_string(), accounts, invites });
        }
    }

    let mut report = CopyReport::default();
    for (code_hash, created_at) in invites(&mut reader).await? {
        report.invites += insert_invite(&mut writer, code_hash, created_at).await?;
    }
    for account_id in account_ids(&mut reader).await? {
        let account = account(&mut reader, &account_id).await?;
        let items = items(&mut reader, &account_id).await?;
        let sessions = sessions(&mut reader, &account_id).await?;
        let totals = (items.len() as i64, items.iter().map(|(_, _, blob)| blob.len() as i64).sum::<i64>());
        if !insert_account(&mut writer, account, totals).await? {
            return Err(CopyError::AccountInBoth(uuid_text(&account_id)));
        }
        report.items += items.len() as u64;
        report.sessions += sessions.len() as u64;
        insert_items(&mut writer, &account_id, items).await?;
        insert_sessions(&mut writer, &account_id, sessions).await?;
        report.chunks += copy_chunks(&mut reader, &mut writer, &account_id).await?;
        report.accounts += 1;
    }
    commit(writer).await?;
    end_read(reader).await?;

    // Read again outside the snapshot: anything written since it began was not copied.
    let mut check = begin_read(&source).await?;
    let after = fingerprint(&mut check).await?;
    end_read(check).await?;
    close(source).await;
    close(dest).await;
    if after != before {
        return Err(CopyError::SourceChanged);
    }
    Ok(report)
}

fn same_store(from: &Location, to: &Location) -> bool {
    match (from, to) {
        (Location::Sqlite(a), Location::Sqlite(b)) => {
            let canonical = |dir: &Path| dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
            canonical(a) == canonical(b)
        }
        (Location::Postgres(a), Location::Postgres(b)) => a == b || from.to_string() == to.to_string(),
        _ => false,
    }
}

fn uuid_text(bytes: &[u8]) -> String {
    <[u8; 16]>::try_from(bytes)
        .map_or_else(|_| "(malformed id)".to_owned(), |id| hush_proto::AccountId::from_bytes(id).to_string())
}

async fn open(location: &Location, options: PgOptions) -> Result<Opened, CopyError> {
    Ok(match location {
        Location::Sqlite(dir) => Opened::Sqlite(
            SqliteStore::open_with(dir, SqliteOptions { lock_timeout: options.lock_timeout }).await?,
        ),
        Location::Postgres(url) => Opened::Postgres(PgStore::connect(url, options).await?),
    })
}

async fn close(store: Opened) {
    match store {
        Opened::Sqlite(store) => store.close().await,
        Opened::Postgres(store) => store.close().await,
    }
}

/// A read transaction: one snapshot of the whole source (SQLite in WAL mode keeps the snapshot
/// of a read transaction from its first read; PostgreSQL's REPEATABLE READ from its first
/// statement).
async fn begin_read(store: &Opened) -> Result<Tx, StoreError> {
    Ok(match store {
        Opened::Sqlite(store) => Tx::Sqlite(store.pool().begin().await.map_err(sqlite_err)?),
        Opened::Postgres(store) => Tx::Postgres(
            store
                .pool()
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await
                .map_err(pg_error)?,
        ),
    })
}

async fn end_read(tx: Tx) -> Result<(), StoreError> {
    match tx {
        Tx::Sqlite(tx) => tx.rollback().await.map_err(sqlite_err),
        Tx::Postgres(tx) => tx.rollback().await.map_err(pg_error),
    }
}

/// A write transaction (SQLite takes its write lock at once: `BEGIN IMMEDIATE`).
async fn begin_write(store: &Opened) -> Result<Tx, StoreError> {
    Ok(match store {
        Opened::Sqlite(store) => {
            Tx::Sqlite(store.pool().begin_with("BEGIN IMMEDIATE").await.map_err(sqlite_err)?)
        }
        Opened::Postgres(store) => Tx::Postgres(store.pool().begin().await.map_err(pg_error)?),
    })
}

async fn commit(tx: Tx) -> Result<(), StoreError> {
    match tx {
        Tx::Sqlite(tx) => tx.commit().await.map_err(sqlite_err),
        Tx::Postgres(tx) => tx.commit().await.map_err(pg_error),
    }
}

async fn fingerprint(tx: &mut Tx) -> Result<Fingerprint, StoreError> {
    const SQL: &str = "SELECT (SELECT count(*) FROM accounts), (SELECT coalesce(sum(seq), 0) FROM accounts),
        (SELECT count(*) FROM sessions), (SELECT count(*) FROM invites)";
    match tx {
        Tx::Sqlite(tx) => sqlx::query_as(SQL).fetch_one(&mut **tx).await.map_err(sqlite_err),
        // sum(bigint) is numeric in PostgreSQL.
        Tx::Postgres(tx) => sqlx::query_as(
            "SELECT (SELECT count(*) FROM accounts), (SELECT coalesce(sum(seq), 0)::bigint FROM accounts),
             (SELECT count(*) FROM sessions), (SELECT count(*) FROM invites)",
        )
        .fetch_one(&mut **tx)
        .await
        .map_err(pg_error),
    }
}

async fn invites(tx: &mut Tx) -> Result<Vec<(Vec<u8>, i64)>, StoreError> {
    const SQL: &str = "SELECT code_hash, created_at FROM invites ORDER BY code_hash";
    match tx {
        Tx::Sqlite(tx) => sqlx::query_as(SQL).fetch_all(&mut **tx).await.map_err(sqlite_err),
        Tx::Postgres(tx) => sqlx::query_as(SQL).fetch_all(&mut **tx).await.map_err(pg_error),
    }
}

async fn insert_invite(tx: &mut Tx, code_hash: Vec<u8>, created_at: i64) -> Result<u64, StoreError> {
    let done = match tx {
        Tx::Sqlite(tx) => sqlx::query(
            "INSERT INTO invites (code_hash, created_at) VALUES (?, ?) ON CONFLICT (code_hash) DO NOTHING",
        )
        .bind(code_hash)
        .bind(created_at)
        .execute(&mut **tx)
        .await
        .map_err(sqlite_err)?
        .rows_affected(),
        Tx::Postgres(tx) => sqlx::query(
            "INSERT INTO invites (code_hash, created_at) VALUES ($1, $2) ON CONFLICT (code_hash) DO NOTHING",
        )
        .bind(code_hash)
        .bind(created_at)
        .execute(&mut **tx)
        .await
        .map_err(pg_error)?
        .rows_affected(),
    };
    Ok(done)
}

async fn account_ids(tx: &mut Tx) -> Result<Vec<Vec<u8>>, StoreError> {
    const SQL: &str = "SELECT account_id FROM accounts ORDER BY account_id";
    match tx {
        Tx::Sqlite(tx) => sqlx::query_scalar(SQL).fetch_all(&mut **tx).await.map_err(sqlite_err),
        Tx::Postgres(tx) => sqlx::query_scalar(SQL).fetch_all(&mut **tx).await.map_err(pg_error),
    }
}

async fn account(tx: &mut Tx, id: &[u8]) -> Result<AccountCopyRow, StoreError> {
    match tx {
        Tx::Sqlite(tx) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id = ?"
        )))
        .bind(id)
        .fetch_one(&mut **tx)
        .await
        .map_err(sqlite_err),
        Tx::Postgres(tx) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id = $1"
        )))
        .bind(id)
        .fetch_one(&mut **tx)
        .await
        .map_err(pg_error),
    }
}

/// Inserts the account with running totals `(items, bytes)`; `false` if its id exists already.
async fn insert_account(
    tx: &mut Tx,
    row: AccountCopyRow,
    (items, bytes): (i64, i64),
) -> Result<bool, StoreError> {
    let (id, m_kib, t, p, salt, public_key, keyset, key_version, manifest, seq) = row;
    let inserted = match tx {
        Tx::Sqlite(tx) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO accounts ({ACCOUNT_COLUMNS}, item_count, blob_bytes)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO NOTHING"
        )))
        .bind(id)
        .bind(m_kib)
        .bind(t)
        .bind(p)
        .bind(salt)
        .bind(public_key)
        .bind(keyset)
        .bind(key_version)
        .bind(manifest)
        .bind(seq)
        .bind(items)
        .bind(bytes)
        .execute(&mut **tx)
        .await
        .map_err(sqlite_err)?
        .rows_affected(),
        Tx::Postgres(tx) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO accounts ({ACCOUNT_COLUMNS}, item_count, blob_bytes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (account_id) DO NOTHING"
        )))
        .bind(id)
        .bind(m_kib)
        .bind(t)
        .bind(p)
        .bind(salt)
        .bind(public_key)
        .bind(keyset)
        .bind(key_version)
        .bind(manifest)
        .bind(seq)
        .bind(items)
        .bind(bytes)
        .execute(&mut **tx)
        .await
        .map_err(pg_error)?
        .rows_affected(),
    };
    Ok(inserted == 1)
}

async fn items(tx: &mut Tx, account: &[u8]) -> Result<Vec<ItemRow>, StoreError> {
    match tx {
        Tx::Sqlite(tx) => {
            sqlx::query_as("SELECT item_id, seq, blob FROM items WHERE account_id = ? ORDER BY item_id")
                .bind(account)
                .fetch_all(&mut **tx)
                .await
                .map_err(sqlite_err)
        }
        Tx::Postgres(tx) => {
            sqlx::query_as("SELECT item_id, seq, blob FROM items WHERE account_id = $1 ORDER BY item_id")
                .bind(account)
                .fetch_all(&mut **tx)
                .await
                .map_err(pg_error)
        }
    }
}

async fn insert_items(tx: &mut Tx, account: &[u8], items: Vec<ItemRow>) -> Result<(), StoreError> {
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        match tx {
            Tx::Sqlite(tx) => {
                let mut query =
                    QueryBuilder::<Sqlite>::new("INSERT INTO items (account_id, item_id, seq, blob) ");
                query.push_values(chunk, |mut row, (id, seq, blob)| {
                    row.push_bind(account.to_vec())
                        .push_bind(id.clone())
                        .push_bind(*seq)
                        .push_bind(blob.clone());
                });
                query.build().execute(&mut **tx).await.map_err(sqlite_err)?;
            }
            Tx::Postgres(tx) => {
                let mut query =
                    QueryBuilder::<Postgres>::new("INSERT INTO items (account_id, item_id, seq, blob) ");
                query.push_values(chunk, |mut row, (id, seq, blob)| {
                    row.push_bind(account.to_vec())
                        .push_bind(id.clone())
                        .push_bind(*seq)
                        .push_bind(blob.clone());
                });
                query.build().execute(&mut **tx).await.map_err(pg_error)?;
            }
        }
    }
    Ok(())
}

async fn sessions(tx: &mut Tx, account: &[u8]) -> Result<Vec<SessionCopyRow>, StoreError> {
    match tx {
        Tx::Sqlite(tx) => sqlx::query_as(
            "SELECT session_id, token_hash, device_name, created_at, last_seen FROM sessions
             WHERE account_id = ? ORDER BY session_id",
        )
        .bind(account)
        .fetch_all(&mut **tx)
        .await
        .map_err(sqlite_err),
        Tx::Postgres(tx) => sqlx::query_as(
            "SELECT session_id, token_hash, device_name, created_at, last_seen FROM sessions
             WHERE account_id = $1 ORDER BY session_id",
        )
        .bind(account)
        .fetch_all(&mut **tx)
        .await
        .map_err(pg_error),
    }
}

async fn insert_sessions(
    tx: &mut Tx,
    account: &[u8],
    sessions: Vec<SessionCopyRow>,
) -> Result<(), StoreError> {
    for chunk in sessions.chunks(ROWS_PER_STATEMENT) {
        match tx {
            Tx::Sqlite(tx) => {
                let mut query = QueryBuilder::<Sqlite>::new(
                    "INSERT INTO sessions (session_id, account_id, token_hash, device_name, created_at, last_seen) ",
                );
                query.push_values(chunk, |mut row, (id, token_hash, name, created, last_seen)| {
                    row.push_bind(id.clone())
                        .push_bind(account.to_vec())
                        .push_bind(token_hash.clone())
                        .push_bind(name.clone())
                        .push_bind(*created)
                        .push_bind(*last_seen);
                });
                query.build().execute(&mut **tx).await.map_err(sqlite_err)?;
            }
            Tx::Postgres(tx) => {
                let mut query = QueryBuilder::<Postgres>::new(
                    "INSERT INTO sessions (session_id, account_id, token_hash, device_name, created_at, last_seen) ",
                );
                query.push_values(chunk, |mut row, (id, token_hash, name, created, last_seen)| {
                    row.push_bind(id.clone())
                        .push_bind(account.to_vec())
                        .push_bind(token_hash.clone())
                        .push_bind(name.clone())
                        .push_bind(*created)
                        .push_bind(*last_seen);
                });
                query.build().execute(&mut **tx).await.map_err(pg_error)?;
            }
        }
    }
    Ok(())
}

/// A chunk's place: its file id and index.
type ChunkKey = (Vec<u8>, i64);

/// Copies the account's file chunks one at a time (each is up to about 1 MiB, and an account may
/// hold gigabytes of them), then sets the account's running total of chunk bytes, which the file
/// quota reads (`store/chunks.rs`). Returns how many were copied.
async fn copy_chunks(reader: &mut Tx, writer: &mut Tx, account: &[u8]) -> Result<u64, StoreError> {
    let keys: Vec<ChunkKey> = match reader {
        Tx::Sqlite(tx) => {
            sqlx::query_as("SELECT file_id, idx FROM file_chunks WHERE account_id = ? ORDER BY file_id, idx")
                .bind(account)
                .fetch_all(&mut **tx)
                .await
                .map_err(sqlite_err)?
        }
        Tx::Postgres(tx) => {
            sqlx::query_as("SELECT file_id, idx FROM file_chunks WHERE account_id = $1 ORDER BY file_id, idx")
                .bind(account)
                .fetch_all(&mut **tx)
                .await
                .map_err(pg_error)?
        }
    };
    let mut total: i64 = 0;
    for (file_id, idx) in &keys {
        let (sha256, chunk): (Vec<u8>, Vec<u8>) = match reader {
            Tx::Sqlite(tx) => sqlx::query_as(
                "SELECT sha256, chunk FROM file_chunks WHERE account_id = ? AND file_id = ? AND idx = ?",
            )
            .bind(account)
            .bind(file_id)
            .bind(idx)
            .fetch_one(&mut **tx)
            .await
            .map_err(sqlite_err)?,
            Tx::Postgres(tx) => sqlx::query_as(
                "SELECT sha256, chunk FROM file_chunks WHERE account_id = $1 AND file_id = $2 AND idx = $3",
            )
            .bind(account)
            .bind(file_id)
            .bind(idx)
            .fetch_one(&mut **tx)
            .await
            .map_err(pg_error)?,
        };
        total = total.saturating_add(chunk.len() as i64);
        match writer {
            Tx::Sqlite(tx) => sqlx::query(
                "INSERT INTO file_chunks (account_id, file_id, idx, sha256, chunk) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(account)
            .bind(file_id)
            .bind(idx)
            .bind(sha256)
            .bind(chunk)
            .execute(&mut **tx)
            .await
            .map_err(sqlite_err)?
            .rows_affected(),
            Tx::Postgres(tx) => sqlx::query(
                "INSERT INTO file_chunks (account_id, file_id, idx, sha256, chunk) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(account)
            .bind(file_id)
            .bind(idx)
            .bind(sha256)
            .bind(chunk)
            .execute(&mut **tx)
            .await
            .map_err(pg_error)?
            .rows_affected(),
        };
    }
    match writer {
        Tx::Sqlite(tx) => sqlx::query("UPDATE accounts SET file_bytes = ? WHERE account_id = ?")
            .bind(total)
            .bind(account)
            .execute(&mut **tx)
            .await
            .map_err(sqlite_err)?
            .rows_affected(),
        Tx::Postgres(tx) => sqlx::query("UPDATE accounts SET file_bytes = $1 WHERE account_id = $2")
            .bind(total)
            .bind(account)
            .execute(&mut **tx)
            .await
            .map_err(pg_error)?
            .rows_affected(),
    };
    Ok(keys.len() as u64)
}
