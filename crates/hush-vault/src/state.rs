//! The sealed local state inside `vault.hush`: what makes the file as a whole
//! authentic, and what sync needs to remember between runs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Format version of the sealed state's plaintext.
pub const STATE_VERSION: u8 = 1;
/// The domain-separation label of the sealed state (distinct from every spec label).
pub const STATE_LABEL: &[u8] = b"hush/local/v1/state";

/// Everything local that must stay secret or authentic.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct LocalState {
    /// SHA-256 digest (manifest construction) over every item blob in the file: binds
    /// the set of items to the vault key, so that a local attacker cannot drop, swap
    /// or roll back single items in the file unnoticed.
    pub items_digest: [u8; 32],
    /// Items changed locally and not yet pushed.
    pub pending: BTreeSet<[u8; 16]>,
    /// For pending items that the server already has: the last-synced blob, the
    /// base of the three-way merge (DESIGN.md, "Sync").
    pub base: BTreeMap<[u8; 16], Vec<u8>>,
    /// The server this vault syncs with, once registered or logged in.
    pub sync: Option<SyncState>,
    /// The search index, sorted by id: one entry per item of the file.
    pub index: Vec<crate::IndexEntry>,
}

/// What a device remembers about its server.
#[derive(Clone, Default, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct SyncState {
    /// The server's base URL.
    pub server_url: String,
    /// The session token; stored only here, sealed under the vault key.
    pub token: String,
    /// The session's id, to tell it apart in `hush devices`.
    pub session_id: String,
    /// The account's `seq` at the last successful sync.
    pub seq: u64,
    /// The highest manifest counter ever seen (rollback detection).
    pub manifest_counter: u64,
    /// The digest that counter was seen with (fork detection).
    pub manifest_digest: [u8; 32],
    /// Whether to sync after every change.
    pub auto_sync: bool,
    /// The user allowed plain http:// to a non-loopback server (`--insecure-http`).
    pub insecure_http: bool,
}
