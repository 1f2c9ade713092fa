//! The search index: for every item, what a query matches (name, user name, URL
//! hosts, tags) and the SHA-256 of its blob. It lives in the sealed local state, so
//! it is as secret and as authentic as the items, and lets read-only commands find
//! an item and decrypt only that one (issue #4: `hush get` in milliseconds on
//! 10,000 items) while still detecting a swapped or rolled-back blob by its hash.

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use hush_crypto::ItemId;

use crate::{Item, ItemKind};

pub(crate) mod table;

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
    /// In the trash (`Item::trashed`). Not serialised: only the version-1 state stored
    /// records with serde, and it predates the trash (the index table has a flag for it).
    #[serde(skip)]
    pub trashed: bool,
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
            trashed: item.trashed.is_some(),
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
    /// In the trash.
    fn trashed(&self) -> bool;

    /// Whether a query in `scope` looks at this entry (never at a tombstone).
    fn in_scope(&self, scope: Scope) -> bool {
        !self.deleted() && self.trashed() == (scope == Scope::Trash)
    }

    /// Whether the name is `name`, ignoring ASCII case (how `find` matches names when no name
    /// is exactly the query).
    fn name_is(&self, name: &str) -> bool {
        self.name().eq_ignore_ascii_case(name)
    }

    /// Whether the name is exactly `name`, case included.
    fn name_is_exactly(&self, name: &str) -> bool {
        self.name() == name
    }

    /// Whether `query_lower` (already lower case) matches the name, user name, a URL
    /// host or a tag (substring), or is a prefix of at least [`MIN_ID_PREFIX`] characters of
    /// the id.
    fn matches(&self, query_lower: &str) -> bool {
        query_lower.is_empty()
            || self.name().to_lowercase().contains(query_lower)
            || self.username().to_lowercase().contains(query_lower)
            || self.hosts().any(|h| h.contains(query_lower))
            || self.tags().any(|t| t.to_lowercase().contains(query_lower))
            || (query_lower.len() >= MIN_ID_PREFIX && self.item_id().to_string().starts_with(query_lower))
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

    fn trashed(&self) -> bool {
        self.trashed
    }
}

/// The shortest id prefix a query matches an item by: six characters of the id as `hush ls`
/// shows it (8). Shorter hex strings are too often parts of names or hosts.
pub const MIN_ID_PREFIX: usize = 6;

/// Which items a query looks at: those in use (every command but the trash's), or those in
/// the trash (`hush trash`, `hush restore`). Tombstones are never found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Items in use.
    #[default]
    Live,
    /// Items in the trash.
    Trash,
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
    search_in(entries, query, Scope::Live)
}

/// Every entry in `scope` matching `query`, sorted by name (then id).
pub fn search_in<E: SearchFields>(
    entries: impl Iterator<Item = E>,
    query: &str,
    scope: Scope,
) -> Vec<ItemId> {
    let q = query.trim().to_lowercase();
    let mut hits: Vec<(String, ItemId)> = entries
        .filter(|e| e.in_scope(scope) && e.matches(&q))
        .map(|e| (e.name().to_lowercase(), e.item_id()))
        .collect();
    hits.sort();
    hits.into_iter().map(|(_, id)| id).collect()
}

/// Resolves a query to one live item ([`find_in`] with [`Scope::Live`]).
pub fn find<E: SearchFields>(entries: impl Iterator<Item = E> + Clone, query: &str) -> Matches {
    find_in(entries, query, Scope::Live)
}

/// Resolves a query to one item of `scope`, trying in turn, and stopping at the first step that
/// finds anything:
/// 1. a full id;
/// 2. a name equal to the query, case included: with `github` and `GitHub` both present, each
///    opens by its own spelling (issue #10, "Same name, different case");
/// 3. a name equal to the query but for ASCII case;
/// 4. a substring of a name, user name, URL host or tag, or an id prefix ([`MIN_ID_PREFIX`]);
/// 5. for a query with a dot (a page's URL, a host name): the items with a URL on the same
///    host, else on the same site ([`crate::site::registrable_domain`]), so that `hush get
///    https://github.com/login` finds the item saved for `github.com`.
///
/// One item is [`Matches::One`]; several are the candidates, which the CLI offers in its picker
/// or lists, never guessing.
pub fn find_in<E: SearchFields>(
    entries: impl Iterator<Item = E> + Clone,
    query: &str,
    scope: Scope,
) -> Matches {
    let q = query.trim();
    let candidates = || entries.clone().filter(move |e| e.in_scope(scope));
    if let Some(id) = ItemId::parse_lenient(q)
        && candidates().any(|e| e.item_id() == id)
    {
        return Matches::One(id);
    }
    let ids = |hits: Vec<ItemId>| match hits.len() {
        0 => Matches::None,
        1 => Matches::One(hits[0]),
        _ => Matches::Many(hits),
    };
    let named = |same: &dyn Fn(&E) -> bool| {
        let mut hits: Vec<ItemId> = candidates().filter(|e| same(e)).map(|e| e.item_id()).collect();
        hits.sort();
        hits
    };
    for hits in
        [named(&|e| e.name_is_exactly(q)), named(&|e| e.name_is(q)), search_in(entries.clone(), q, scope)]
    {
        if !hits.is_empty() {
            return ids(hits);
        }
    }
    if q.contains('.') {
        return ids(same_site(candidates(), q));
    }
    Matches::None
}

/// The entries with a URL on the host of `url`, or if there are none, on its site, sorted by
/// name then id.
fn same_site<E: SearchFields>(entries: impl Iterator<Item = E> + Clone, url: &str) -> Vec<ItemId> {
    let (Some(host), Some(site)) = (crate::host_of(url), crate::site::registrable_domain(url)) else {
        return Vec::new();
    };
    let sorted = |keep: &dyn Fn(&str) -> bool| {
        let mut hits: Vec<(String, ItemId)> = entries
            .clone()
            .filter(|e| e.hosts().any(keep))
            .map(|e| (e.name().to_lowercase(), e.item_id()))
            .collect();
        hits.sort();
        hits.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    };
    let on_host = sorted(&|h| h == host);
    if !on_host.is_empty() {
        return on_host;
    }
    sorted(&|h| crate::site::registrable_domain(h).as_deref() == Some(site.as_str()))
}

/// Resolves a name that must not drift: a full id, or an exact name (the same spelling first,
/// then ASCII letter case ignored, as [`find_in`] steps 2 and 3), never a substring, and only
/// among the items in use (not in the trash). Secret references use it
/// (docs/secret-references.md), so that adding an unrelated item that merely contains the name
/// can never change what a reference means; a second item of the same name makes it
/// ambiguous, loudly.
pub fn find_exact<E: SearchFields>(entries: impl Iterator<Item = E> + Clone, query: &str) -> Matches {
    let live = || entries.clone().filter(|e| e.in_scope(Scope::Live));
    if let Some(id) = ItemId::parse_lenient(query.trim())
        && live().any(|e| e.item_id() == id)
    {
        return Matches::One(id);
    }
    for same in [&(|e: &E| e.name_is_exactly(query)) as &dyn Fn(&E) -> bool, &|e: &E| e.name_is(query)] {
        let mut hits: Vec<ItemId> = live().filter(|e| same(e)).map(|e| e.item_id()).collect();
        hits.sort();
        match hits.len() {
            0 => continue,
            1 => return Matches::One(hits[0]),
            _ => return Matches::Many(hits),
        }
    }
    Matches::None
}

/// Anything that can resolve queries and describe candidates: the unlocked
/// [`Vault`](crate::Vault), the read-only [`VaultView`](crate::VaultView) and the
/// [`Editor`](crate::Editor).
pub trait ItemLookup {
    /// Resolves a query among the items in `scope`.
    fn find_in(&self, query: &str, scope: Scope) -> Matches;
    /// The index entry of an item that is not a tombstone (in use or in the trash).
    fn entry(&self, id: &ItemId) -> Option<IndexRecord>;

    /// Resolves a query among the items in use.
    fn find(&self, query: &str) -> Matches {
        self.find_in(query, Scope::Live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u8, name: &str, hosts: &[&str], trashed: bool) -> IndexRecord {
        IndexRecord {
            id: [id; 16],
            blob_hash: [0; 32],
            kind: ItemKind::Login,
            name: name.into(),
            username: String::new(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            tags: Vec::new(),
            deleted: false,
            trashed,
            rotation_pending: false,
            has_totp: false,
            updated: 0,
        }
    }

    /// Issue #10: with `github` and `GitHub` both present, neither could be opened by name.
    #[test]
    fn an_exact_name_wins_case_included_and_case_folds_only_without_one() {
        let entries =
            [entry(1, "github", &[], false), entry(2, "GitHub", &[], false), entry(3, "Mail", &[], false)];
        assert_eq!(find(entries.iter(), "github"), Matches::One(ItemId([1; 16])));
        assert_eq!(find(entries.iter(), "GitHub"), Matches::One(ItemId([2; 16])));
        // No exact spelling: both fold to the query, and the caller must choose.
        assert_eq!(find(entries.iter(), "GITHUB"), Matches::Many(vec![ItemId([1; 16]), ItemId([2; 16])]));
        assert_eq!(find(entries.iter(), "mail"), Matches::One(ItemId([3; 16])));
    }

    #[test]
    fn a_page_url_finds_the_items_of_its_host_then_of_its_site() {
        let entries = [
            entry(1, "gh", &["github.com"], false),
            entry(2, "google", &["accounts.google.com"], false),
            entry(3, "gmail", &["mail.google.com"], false),
            entry(4, "pages", &["alice.github.io"], false),
        ];
        let one = |q: &str| find(entries.iter(), q);
        assert_eq!(one("https://github.com/login"), Matches::One(ItemId([1; 16])));
        assert_eq!(one("https://gist.github.com/x"), Matches::One(ItemId([1; 16])), "same site");
        assert_eq!(one("https://mail.google.com/u/0"), Matches::One(ItemId([3; 16])), "same host first");
        // Sorted by name: gmail, google.
        assert_eq!(one("https://docs.google.com/"), Matches::Many(vec![ItemId([3; 16]), ItemId([2; 16])]));
        assert_eq!(one("https://bob.github.io/"), Matches::None, "github.io is a public suffix");
        assert_eq!(one("https://gitlab.com/"), Matches::None);
    }

    #[test]
    fn a_secret_reference_names_one_item_exactly_and_never_one_in_the_trash() {
        let entries = [
            entry(1, "github", &["github.com"], false),
            entry(2, "GitHub", &[], false),
            entry(3, "db", &[], true),
            entry(4, "db-staging", &[], false),
            entry(5, "Mail", &[], false),
        ];
        assert_eq!(find_exact(entries.iter(), "GitHub"), Matches::One(ItemId([2; 16])));
        assert_eq!(find_exact(entries.iter(), "mail"), Matches::One(ItemId([5; 16])));
        // Never a part of a name or a host, never an item in the trash.
        assert_eq!(find_exact(entries.iter(), "git"), Matches::None);
        assert_eq!(find_exact(entries.iter(), "github.com"), Matches::None);
        assert_eq!(find_exact(entries.iter(), "db"), Matches::None);
        assert_eq!(find_exact(entries.iter(), &ItemId([3; 16]).to_string()), Matches::None);
        assert_eq!(find_exact(entries.iter(), &ItemId([4; 16]).to_string()), Matches::One(ItemId([4; 16])));
    }

    #[test]
    fn the_trash_is_searched_only_when_asked() {
        let entries = [entry(1, "old bank", &[], true), entry(2, "bank", &[], false)];
        assert_eq!(find(entries.iter(), "old bank"), Matches::None);
        assert_eq!(find(entries.iter(), "bank"), Matches::One(ItemId([2; 16])));
        assert_eq!(find_in(entries.iter(), "bank", Scope::Trash), Matches::One(ItemId([1; 16])));
        assert_eq!(search(entries.iter(), ""), vec![ItemId([2; 16])]);
        assert_eq!(search_in(entries.iter(), "", Scope::Trash), vec![ItemId([1; 16])]);
    }
}
