//! Finding items: a query matches name, URL host, user name and tags; an exact name
//! wins; several matches are listed rather than guessed (DESIGN.md, "Items").

use hush_crypto::ItemId;

use crate::Vault;

/// What a query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Nothing matched.
    None,
    /// Exactly one item.
    One(ItemId),
    /// Several items; the caller lists them (sorted by name).
    Many(Vec<ItemId>),
}

/// Whether `query` matches an item's name, user name, a URL host or a tag
/// (case-insensitive substring), or is a prefix of its id.
pub fn matches(id: &ItemId, item: &crate::Item, query_lower: &str) -> bool {
    if query_lower.is_empty() {
        return true;
    }
    item.name.to_lowercase().contains(query_lower)
        || item.username.to_lowercase().contains(query_lower)
        || item.hosts().any(|h| h.contains(query_lower))
        || item.tags.iter().any(|t| t.to_lowercase().contains(query_lower))
        || (query_lower.len() >= 6 && id.to_string().starts_with(query_lower))
}

impl Vault {
    /// Every live item matching `query`, sorted by name.
    pub fn search(&self, query: &str) -> Vec<ItemId> {
        let q = query.trim().to_lowercase();
        let mut hits: Vec<_> = self.items().filter(|(id, item)| matches(id, item, &q)).collect();
        hits.sort_by(|a, b| a.1.name.to_lowercase().cmp(&b.1.name.to_lowercase()).then(a.0.cmp(&b.0)));
        hits.into_iter().map(|(id, _)| id).collect()
    }

    /// Resolves a query to one item: an exact name (case-insensitive) or a full id wins;
    /// otherwise a single match; otherwise the candidates.
    pub fn find(&self, query: &str) -> Found {
        let q = query.trim();
        if let Some(id) = ItemId::parse(q)
            && self.get(&id).is_some()
        {
            return Found::One(id);
        }
        let exact: Vec<_> =
            self.items().filter(|(_, i)| i.name.eq_ignore_ascii_case(q)).map(|(id, _)| id).collect();
        let hits = if exact.is_empty() { self.search(q) } else { exact };
        match hits.len() {
            0 => Found::None,
            1 => Found::One(hits[0]),
            _ => Found::Many(hits),
        }
    }
}
