//! The search index: for every item, what a query matches (name, user name, URL
//! hosts, tags) and the SHA-256 of its blob. It lives in the sealed local state, so
//! it is as secret and as authentic as the items, and lets read-only commands find
//! an item and decrypt only that one (issue #4: `hush get` in milliseconds on
//! 10,000 items) while still detecting a swapped or rolled-back blob by its hash.

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use hush_crypto::ItemId;

use crate::{Item, ItemKind};

pub mod table;

/// What the index knows about one item.
#[derive(Clone, PartialEq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct IndexRecord {
    /// The item's id.
    pub id: [u8; 16],
    /// SHA-256 of the item's blob in the vault file.
    pub blob_hash: [u8; 32],
    /// The item's kind.
    pub kind: ItemKind,
    /// Display name.
    pub name: String,
    /// User name.
    pub username: String,
    /// Host names of the URLs (lower case, without `www.`).
    pub hosts: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// A tombstone.
    pub deleted: bool,
    /// Waiting for `hush breach --confirm`.
    pub rotation_pending: bool,
    /// Has a TOTP secret.
    pub has_totp: bool,
    /// Unix seconds of the last change.
    pub updated: i64,
}

impl IndexRecord {
    /// The entry for `item` stored as `blob` under `id`.
    pub fn new(id: ItemId, blob: &[u8], item: &Item) -> Self {
        IndexRecord {
            id: id.0,
            blob_hash: hush_crypto::blob_hash(blob),
            kind: item.kind,
            name: item.name.clone(),
            username: item.username.clone(),
            hosts: item.hosts().collect(),
            tags: item.tags.clone(),
            deleted: item.deleted,
            rotation_pending: item.rotation_pending,
            has_totp: item.has_totp(),
            updated: item.updated,
        }
    }

    /// The item's id.
    pub fn item_id(&self) -> ItemId {
        ItemId(self.id)
    }
}

/// What a query looks at in an index entry, whether owned ([`IndexRecord`], in the
/// unlocked vault) or read in place from the sealed index ([`table::IndexRecordRef`]).
pub trait SearchFields {
    /// The item's id.
    fn item_id(&self) -> ItemId;
    /// Display name.
    fn name(&self) -> &str;
    /// User name.
    fn username(&self) -> &str;
    /// Host names of the URLs.
    fn hosts(&self) -> impl Iterator<Item = &str>;
    /// Tags.
    fn tags(&self) -> impl Iterator<Item = &str>;
    /// A tombstone.
    fn deleted(&self) -> bool;

    /// Whether the name is `name`, ignoring ASCII case (how `find` matches names).
    fn name_is(&self, name: &str) -> bool {
        self.name().eq_ignore_ascii_case(name)
    }

    /// Whether `query_lower` (already lower case) matches the name, user name, a URL
    /// host or a tag (substring), or is a prefix of at least six characters of the id.
    fn matches(&self, query_lower: &str) -> bool {
        query_lower.is_empty()
            || self.name().to_lowercase().contains(query_lower)
            || self.username().to_lowercase().contains(query_lower)
            || self.hosts().any(|h| h.contains(query_lower))
            || self.tags().any(|t| t.to_lowercase().contains(query_lower))
            || (query_lower.len() >= 6 && self.item_id().to_string().starts_with(query_lower))
    }
}

impl SearchFields for &IndexRecord {
    fn item_id(&self) -> ItemId {
        ItemId(self.id)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn username(&self) -> &str {
        &self.username
    }

    fn hosts(&self) -> impl Iterator<Item = &str> {
        self.hosts.iter().map(String::as_str)
    }

    fn tags(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(String::as_str)
    }

    fn deleted(&self) -> bool {
        self.deleted
    }
}

/// What a query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matches {
    /// Nothing matched.
    None,
    /// Exactly one item.
    One(ItemId),
    /// Several items; the caller lists them (sorted by name).
    Many(Vec<ItemId>),
}

/// Every live entry matching `query`, sorted by name (then id).
pub fn search<E: SearchFields>(entries: impl Iterator<Item = E>, query: &str) -> Vec<ItemId> {
    let q = query.trim().to_lowercase();
    let mut hits: Vec<(String, ItemId)> = entries
        .filter(|e| !e.deleted() && e.matches(&q))
        .map(|e| (e.name().to_lowercase(), e.item_id()))
        .collect();
    hits.sort();
    hits.into_iter().map(|(_, id)| id).collect()
}

/// Resolves a query to one item: a full id or an exact name (case-insensitive) wins;
/// otherwise a single match; otherwise the candidates, which the CLI lists instead of
/// guessing.
pub fn find<E: SearchFields>(entries: impl Iterator<Item = E> + Clone, query: &str) -> Matches {
    let q = query.trim();
    if let Some(id) = ItemId::parse_lenient(q)
        && entries.clone().any(|e| !e.deleted() && e.item_id() == id)
    {
        return Matches::One(id);
    }
    let mut exact: Vec<ItemId> =
        entries.clone().filter(|e| !e.deleted() && e.name_is(q)).map(|e| e.item_id()).collect();
    exact.sort();
    let hits = if exact.is_empty() { search(entries, q) } else { exact };
    match hits.len() {
        0 => Matches::None,
        1 => Matches::One(hits[0]),
        _ => Matches::Many(hits),
    }
}

/// Resolves a name that must not drift: a full id, or an exact name (ASCII letter case
/// ignored), never a substring. Secret references use it (docs/secret-references.md), so that
/// adding an unrelated item that merely contains the name can never change what a
/// reference means; a second item of the same name makes it ambiguous, loudly.
pub fn find_exact<E: SearchFields>(entries: impl Iterator<Item = E> + Clone, query: &str) -> Matches {
    if let Some(id) = ItemId::parse_lenient(query.trim())
        && entries.clone().any(|e| !e.deleted() && e.item_id() == id)
    {
        return Matches::One(id);
    }
    let mut exact: Vec<ItemId> =
        entries.filter(|e| !e.deleted() && e.name_is(query)).map(|e| e.item_id()).collect();
    exact.sort();
    match exact.len() {
        0 => Matches::None,
        1 => Matches::One(exact[0]),
        _ => Matches::Many(exact),
    }
}

/// Anything that can resolve queries and describe candidates: the unlocked
/// [`Vault`](crate::Vault) and the read-only [`VaultView`](crate::VaultView).
pub trait ItemLookup {
    /// Resolves a query.
    fn find(&self, query: &str) -> Matches;
    /// The index entry of a live item.
    fn entry(&self, id: &ItemId) -> Option<IndexRecord>;
}
