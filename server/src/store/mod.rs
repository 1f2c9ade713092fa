//! Storage behind one object-safe trait, with two backends: embedded SQLite (the default, one
//! process) and PostgreSQL (any number of stateless instances), and the routes know neither
//! (docs/server.md, "Storage backends").
//!
//! The trait speaks in the domain's terms, not SQL. Each method that changes several rows is one
//! transaction in every backend: callers rely on "all or nothing" (`docs/spec/sync-api-v2.md`: "All of a
//! push is applied or none of it"). Backends never read the clock; callers pass `now`, which keeps
//! time injectable in tests and identical across the rows one request writes.
//!
//! Methods return boxed futures ([`StoreFuture`]) so that `Arc<dyn Store>` works: `async fn` in
//! traits is not object-safe, and the routes must not be generic over the backend.

mod chunks;
mod location;
mod postgres;
pub(crate) mod rows;
mod sqlite;
mod sqlite_chunks;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use hush_proto::{AccountId, ItemId, KdfParams, SessionId};
use jiff::Timestamp;

pub use chunks::{ChunkStore, ChunkWrite};
pub use location::{Location, LocationError};
pub(crate) use postgres::store_error as pg_error;
pub use postgres::{PgLimiter, PgOpenError, PgOptions, PgStore};
pub use sqlite::{DB_FILE_NAME, OpenError, SqliteOptions, SqliteStore};

use crate::error::BoxError;

/// The future every [`Store`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Which quota a push would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    /// The number of items.
    Items,
    /// The total size of the item blobs.
    Bytes,
    /// The total size of the attached files' chunks.
    Files,
}

/// Why a store operation did not happen. Everything except [`StoreError::Backend`] is an
/// expected outcome that leaves the store unchanged.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An account with this id exists already.
    #[error("account exists")]
    AccountExists,
    /// The registration code is unknown or was used already.
    #[error("invalid registration code")]
    InvalidInvite,
    /// The account, session or challenge does not exist.
    #[error("not found")]
    NotFound,
    /// `base_seq` is not the account's current seq.
    #[error("stale base_seq; current seq is {current}")]
    Conflict {
        /// The account's current seq.
        current: u64,
    },
    /// Another chunk is stored at this file id and index (files are immutable).
    #[error("another chunk is stored at this index")]
    ChunkExists,
    /// The push would take the account past a quota.
    #[error("quota exceeded: {0:?}")]
    Quota(QuotaKind),
    /// The store cannot serve this now: another writer held the write lock for longer than the
    /// store waits, or no connection came free in time. Nothing was changed; trying again shortly
    /// may succeed. Answered 503 `unavailable` with `Retry-After`, never 500 (docs/server.md,
    /// "Busy store").
    #[error("storage backend busy")]
    Unavailable(#[source] BoxError),
    /// The backend failed (I/O, corruption, a bug).
    #[error("storage backend failed")]
    Backend(#[source] BoxError),
}

/// How a new account is admitted.
#[derive(Debug, Clone, Copy)]
pub enum Admission {
    /// Open registration: no code needed.
    Open,
    /// Invite-only: consume the single-use code with this SHA-256, in the same transaction that
    /// creates the account (so a refused registration does not burn the code).
    Invite([u8; 32]),
}

/// Key material of an account: set at registration, replaced by a rekey.
#[derive(Debug, Clone)]
pub struct AccountKeys {
    /// KDF parameters and salt.
    pub kdf: KdfParams,
    /// Ed25519 public key.
    pub auth_public_key: [u8; 32],
    /// The wrapped vault key.
    pub keyset: Vec<u8>,
    /// The key version read from the keyset's header.
    pub key_version: u32,
}

/// An account as stored, without its items.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    /// The account's id.
    pub id: AccountId,
    /// Its key material.
    pub keys: AccountKeys,
    /// Its revision: one more with every accepted push or rekey.
    pub seq: u64,
}

/// A session to create at login.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The new session's id.
    pub id: SessionId,
    /// The account it belongs to.
    pub account_id: AccountId,
    /// SHA-256 of the session token; the token itself is never stored.
    pub token_hash: [u8; 32],
    /// The sealed device name given at login (`crypto-v2.md`, "Device names").
    pub device_name: [u8; hush_proto::SEALED_DEVICE_NAME_LEN],
    /// Creation time, also the first "last seen".
    pub created: Timestamp,
}

/// A session as stored.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The session's id.
    pub id: SessionId,
    /// The account it belongs to.
    pub account_id: AccountId,
    /// SHA-256 of its token.
    pub token_hash: [u8; 32],
    /// The sealed device name given at login; `None` for sessions from before names were sealed.
    pub device_name: Option<[u8; hush_proto::SEALED_DEVICE_NAME_LEN]>,
    /// When it was created.
    pub created: Timestamp,
    /// When it was last used.
    pub last_seen: Timestamp,
}

/// One stored item.
#[derive(Debug, Clone)]
pub struct StoredItem {
    /// The item's id.
    pub id: ItemId,
    /// The seq of the push that last wrote it.
    pub seq: u64,
    /// The ciphertext blob.
    pub blob: Vec<u8>,
}

/// A consistent view of an account for a pull: everything read in one snapshot, so the
/// manifest always matches the items (a mismatch would look like tampering to the client).
#[derive(Debug, Clone)]
pub struct VaultSnapshot {
    /// The account's current seq.
    pub seq: u64,
    /// The current keyset.
    pub keyset: Vec<u8>,
    /// The current key version.
    pub key_version: u32,
    /// The manifest of the latest push, if any.
    pub manifest: Option<Vec<u8>>,
    /// The items written after the requested seq, in seq order.
    pub items: Vec<StoredItem>,
}

/// What one push writes.
#[derive(Debug, Clone)]
pub struct PushBatch {
    /// The seq the client based the push on.
    pub base_seq: u64,
    /// The new manifest.
    pub manifest: Vec<u8>,
    /// The items to create or replace, each id at most once.
    pub items: Vec<(ItemId, Vec<u8>)>,
}

/// An account's revision and running totals, as a push sees them before it takes the write lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountUsage {
    /// The account's current seq.
    pub seq: u64,
    /// How many items it holds.
    pub items: u64,
    /// The total size of its item blobs.
    pub bytes: u64,
}

/// Per-account quotas a push is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    /// Most items.
    pub max_items: u64,
    /// Most blob bytes.
    pub max_bytes: u64,
}

/// The server's storage. The chunks of attached files are behind [`ChunkStore`], which every
/// backend implements as well.
pub trait Store: ChunkStore + Send + Sync + 'static {
    /// Answers if the store is reachable (for `/healthz`).
    fn ping(&self) -> StoreFuture<'_, ()>;

    /// Records a single-use registration code by its SHA-256.
    fn create_invite(&self, code_hash: [u8; 32], now: Timestamp) -> StoreFuture<'_, ()>;

    /// Creates an account with seq 0, no manifest and no items, consuming the invite if
    /// `admission` names one. Errors: [`StoreError::InvalidInvite`], [`StoreError::AccountExists`];
    /// either way nothing changes.
    fn create_account(&self, id: AccountId, keys: AccountKeys, admission: Admission) -> StoreFuture<'_, ()>;

    /// The account, if it exists.
    fn account(&self, id: AccountId) -> StoreFuture<'_, Option<AccountRecord>>;

    /// Deletes the account and everything it stored: items, file chunks, sessions, challenges.
    fn delete_account(&self, id: AccountId) -> StoreFuture<'_, ()>;

    /// Stores a login challenge for an existing account ([`StoreError::NotFound`] otherwise),
    /// first dropping the account's expired challenges.
    ///
    /// Unexpired challenges are never dropped to make room, however many the account has: the
    /// request needs no authentication, so any such cap would let anyone evict the owner's
    /// challenge between its issue and its use. The routes bound the table instead, by limiting
    /// challenge requests per client address (docs/server.md, "Rate limiting").
    fn add_challenge(
        &self,
        account_id: AccountId,
        challenge: [u8; 32],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreFuture<'_, ()>;

    /// Removes the challenge and returns its account and expiry, if it existed. Removal happens
    /// whatever the caller then decides: a challenge is consumed by the first attempt.
    fn take_challenge(&self, challenge: [u8; 32]) -> StoreFuture<'_, Option<(AccountId, Timestamp)>>;

    /// Creates a session.
    fn create_session(&self, session: NewSession) -> StoreFuture<'_, ()>;

    /// The session whose token has this SHA-256, if any.
    fn session_by_token_hash(&self, token_hash: [u8; 32]) -> StoreFuture<'_, Option<SessionRecord>>;

    /// Sets the session's last-seen time.
    fn touch_session(&self, id: SessionId, now: Timestamp) -> StoreFuture<'_, ()>;

    /// The account's sessions, oldest first.
    fn list_sessions(&self, account_id: AccountId) -> StoreFuture<'_, Vec<SessionRecord>>;

    /// Deletes one of the account's sessions ([`StoreError::NotFound`] if the account has no
    /// session with this id).
    fn delete_session(&self, account_id: AccountId, id: SessionId) -> StoreFuture<'_, ()>;

    /// The account's seq and running totals, read without the write lock, so a push that is
    /// certain to be refused is refused without waiting for it (`src/quota.rs`). `None` if the
    /// account does not exist.
    fn usage(&self, account_id: AccountId) -> StoreFuture<'_, Option<AccountUsage>>;

    /// The account's state and the items written after `since`, from one snapshot.
    fn pull(&self, account_id: AccountId, since: u64) -> StoreFuture<'_, VaultSnapshot>;

    /// Applies a push in one transaction: checks `base_seq`, then the quotas, then writes the
    /// items with the new seq, the manifest and the seq. Returns the new seq.
    /// Errors: [`StoreError::Conflict`], [`StoreError::Quota`], [`StoreError::NotFound`]; on any
    /// error nothing is written. Concurrent pushes to one account are serialised.
    ///
    /// A quota refuses only growth: an account already over a (lowered) quota can still replace
    /// items, so its owner can always write tombstones.
    fn push(&self, account_id: AccountId, batch: PushBatch, quotas: Quotas) -> StoreFuture<'_, u64>;

    /// Replaces the account's key material if its seq is still `base_seq`, bumps the seq, and
    /// deletes every session of the account except `keep_session` and every outstanding
    /// challenge, in one transaction. Returns the new seq. Errors: [`StoreError::Conflict`],
    /// [`StoreError::NotFound`].
    fn rekey(
        &self,
        account_id: AccountId,
        base_seq: u64,
        keys: AccountKeys,
        keep_session: SessionId,
    ) -> StoreFuture<'_, u64>;

    /// Deletes expired challenges and sessions idle for longer than `session_idle`.
    fn purge_expired(&self, now: Timestamp, session_idle: Duration) -> StoreFuture<'_, ()>;
}
