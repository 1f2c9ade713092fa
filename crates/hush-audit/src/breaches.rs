//! Breached sites (issue #14): Have I Been Pwned's list of breached sites, and which logins a
//! breach exposed (docs/audit-and-breach.md, "Breached sites").
//!
//! # The list
//!
//! `GET https://haveibeenpwned.com/api/v3/breaches` answers with a JSON array of every breach the
//! service knows; [`BreachList::parse`] reads it. Each entry has (among fields that are ignored,
//! and fields the service may add without a new API version) `Name`, `Title`, `Domain`,
//! `BreachDate` (a date without a time), `DataClasses` (e.g. "Email addresses", "Passwords") and
//! flags. Entries flagged `IsFabricated`, `IsSpamList` or `IsRetired` are skipped, and so are
//! entries without a domain (nothing to match a login's URL against); the count of each is kept
//! so that the user is told. A list that is not JSON, is cut short, is not an array of breaches,
//! or is empty is an error: an audit over half a list would say "nothing found" where it did not
//! look.
//!
//! # The finding
//!
//! A login is on a breached site when one of its URLs has the breach's registrable domain
//! ([`hush_vault::site::registrable_domain`]: `https://app.plex.tv/desktop` is on `plex.tv`).
//! For a breach whose data classes include "Passwords", the login is **exposed** when its current
//! password was last changed on or before the breach date (both compared as UTC dates: the list
//! gives no time of day, and the same day counts, because the breach may have come after the
//! change on that day). Every password the login had during the breach day is *leaked*, and any
//! item whose current password is the same, or nearly the same ([`crate::near_key`]), is exposed
//! too: the thief has that password. That includes the login itself when it was changed after
//! the breach only by a trailing number or letter case.
//!
//! Logins on a breached site that are not exposed are *breached accounts*: the breach held no
//! passwords, or the password was changed after it. They need no new password.

use std::collections::{BTreeMap, BTreeSet};

use hush_crypto::ItemId;
use hush_vault::{Item, ItemKind};
use jiff::civil::Date;
use serde::Deserialize;

use crate::{ItemRef, NearKey, Reuse, by_name, near_key};

/// The data class that says a breach held passwords (as Have I Been Pwned spells it).
pub const PASSWORDS: &str = "Passwords";

/// The largest breach list accepted, in bytes. Have I Been Pwned's whole list was about 2 MB in
/// 2026 (under a thousand breaches with an HTML description each); a much larger answer is not
/// that list, and reading it would only cost memory.
pub const MAX_LIST_BYTES: u64 = 32 << 20;

/// One breached site, as the list describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// The list's stable identifier, e.g. `Plex`.
    pub name: String,
    /// The title for people, e.g. `Plex`.
    pub title: String,
    /// The breached domain as the list gives it, in lower case.
    pub domain: String,
    /// Its registrable domain, which logins' URLs are matched against.
    pub site: String,
    /// When the breach happened (as far as it is known; the list has no time of day).
    pub date: Date,
    /// What it exposed, e.g. "Email addresses", "Passwords".
    pub data_classes: Vec<String>,
}

impl Breach {
    /// Whether the breach exposed passwords.
    pub fn has_passwords(&self) -> bool {
        self.data_classes.iter().any(|c| c.trim().eq_ignore_ascii_case(PASSWORDS))
    }
}

/// How many entries of a list were left out, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// `IsFabricated`: the data was not a real breach of the site.
    pub fabricated: usize,
    /// `IsSpamList`: a spammer's list of addresses, not a breach of the site.
    pub spam_list: usize,
    /// `IsRetired`: removed from the service's data.
    pub retired: usize,
    /// No domain: nothing to match a login's URL against.
    pub no_domain: usize,
}

impl Skipped {
    /// All skipped entries.
    pub fn total(&self) -> usize {
        self.fabricated + self.spam_list + self.retired + self.no_domain
    }
}

/// A parsed breach list: the breaches that count, by site.
#[derive(Debug, Clone, Default)]
pub struct BreachList {
    breaches: Vec<Breach>,
    skipped: Skipped,
}

/// Why a breach list cannot be used. Messages quote nothing of the list but entry names.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BreachListError {
    /// The list ends in the middle of its JSON: an interrupted download or a cut file.
    #[error("the breach list is truncated: its JSON ends early (after {bytes} bytes)")]
    Truncated {
        /// How many bytes there were.
        bytes: usize,
    },
    /// Not well-formed JSON.
    #[error("the breach list is not valid JSON (line {line}, column {column})")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// JSON, but not an array of breaches with the fields the finding needs.
    #[error("the breach list is not an array of Have I Been Pwned breaches: {reason}")]
    Shape {
        /// serde's description, with its position.
        reason: String,
    },
    /// One entry is unusable.
    #[error("entry {index} ({name:?}) of the breach list {reason}")]
    Entry {
        /// Its position, from 0.
        index: usize,
        /// Its `Name`.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An empty array: no real list is empty, so this is a broken mirror or file.
    #[error("the breach list is empty; Have I Been Pwned's list names hundreds of breaches")]
    Empty,
    /// Larger than [`MAX_LIST_BYTES`].
    #[error("the breach list is larger than {} MiB; it is not Have I Been Pwned's list", MAX_LIST_BYTES >> 20)]
    TooLarge,
}

/// An entry as the service writes it. Fields not named here are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawBreach {
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    domain: Option<String>,
    breach_date: String,
    data_classes: Vec<String>,
    #[serde(default)]
    is_fabricated: bool,
    #[serde(default)]
    is_spam_list: bool,
    #[serde(default)]
    is_retired: bool,
}

impl BreachList {
    /// Parses the service's JSON (the answer of `GET /api/v3/breaches`, or a copy of it).
    ///
    /// # Errors
    ///
    /// [`BreachListError`]: truncated, not JSON, not an array of breaches, an entry without a
    /// usable date, empty, or too large.
    pub fn parse(json: &[u8]) -> Result<BreachList, BreachListError> {
        if json.len() as u64 > MAX_LIST_BYTES {
            return Err(BreachListError::TooLarge);
        }
        let raw: Vec<RawBreach> = serde_json::from_slice(json).map_err(|e| match e.classify() {
            serde_json::error::Category::Eof => BreachListError::Truncated { bytes: json.len() },
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                BreachListError::Syntax { line: e.line(), column: e.column() }
            }
            serde_json::error::Category::Data => BreachListError::Shape { reason: e.to_string() },
        })?;
        if raw.is_empty() {
            return Err(BreachListError::Empty);
        }
        let mut list = BreachList::default();
        for (index, entry) in raw.into_iter().enumerate() {
            let bad = |reason: &str| BreachListError::Entry {
                index,
                name: entry.name.clone(),
                reason: reason.to_owned(),
            };
            if entry.name.trim().is_empty() {
                return Err(bad("has an empty Name"));
            }
            let date = parse_date(&entry.breach_date)
                .ok_or_else(|| bad("has a BreachDate that is not a date (YYYY-MM-DD)"))?;
            if entry.is_fabricated {
                list.skipped.fabricated += 1;
                continue;
            }
            if entry.is_spam_list {
                list.skipped.spam_list += 1;
                continue;
            }
            if entry.is_retired {
                list.skipped.retired += 1;
                continue;
            }
            let domain = entry.domain.as_deref().unwrap_or("").trim().to_ascii_lowercase();
            let Some(site) =
                (!domain.is_empty()).then(|| hush_vault::site::registrable_domain(&domain)).flatten()
            else {
                list.skipped.no_domain += 1;
                continue;
            };
            let title = entry.title.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| entry.name.clone());
            list.breaches.push(Breach {
                name: entry.name,
                title,
                domain,
                site,
                date,
                data_classes: entry.data_classes,
            });
        }
        Ok(list)
    }

    /// The breaches that count (not fabricated, spam lists, retired, or without a domain).
    pub fn breaches(&self) -> &[Breach] {
        &self.breaches
    }

    /// What was left out.
    pub fn skipped(&self) -> Skipped {
        self.skipped
    }
}

/// `2013-10-04`, or a full RFC 3339 time of which the UTC date counts (the service writes plain
/// dates; a mirror that converted them to times must not make the finding fail).
fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    s.parse::<Date>().ok().or_else(|| s.parse::<jiff::Timestamp>().ok().map(utc_date))
}

fn utc_date(t: jiff::Timestamp) -> Date {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// The UTC date of Unix seconds; out-of-range times are the earliest date, which counts as
/// "before every breach" (an impossible date must not hide an exposure).
fn date_of(secs: i64) -> Date {
    jiff::Timestamp::from_second(secs).map(utc_date).unwrap_or(Date::MIN)
}

/// A login whose current password a breach exposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposed {
    /// The item.
    pub item: ItemRef,
    /// The breached site (a registrable domain) the password leaked from.
    pub site: String,
    /// The breach.
    pub breach: Breach,
    /// When the item's current password was set (Unix seconds).
    pub password_changed: i64,
    /// `None` when the item is itself on the breached site; otherwise the item whose leaked
    /// password this one reuses, and how closely.
    pub reuses: Option<ReusedFrom>,
}

/// Where a reused exposed password leaked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReusedFrom {
    /// The login on the breached site (it can be the item itself, when its new password differs
    /// from the leaked one only in letter case or a trailing number).
    pub item: ItemRef,
    /// The very same password, or nearly ([`crate::near_key`]).
    pub kind: Reuse,
}

/// Why a login on a breached site is not exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotExposed {
    /// The breach held no passwords ("your account data was in a breach").
    NoPasswords,
    /// The password was changed after the breach.
    ChangedAfter,
}

/// A login on a breached site whose password needs no change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachedAccount {
    /// The item.
    pub item: ItemRef,
    /// The breached site.
    pub site: String,
    /// The breach (the newest one of the site).
    pub breach: Breach,
    /// When the item's current password was set.
    pub password_changed: i64,
    /// Why no new password is needed.
    pub why: NotExposed,
}

/// What the breach list says about a vault. Each item appears at most once, in one list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BreachFindings {
    /// Items whose current password leaked, sorted by name.
    pub exposed: Vec<Exposed>,
    /// Logins on breached sites that need no new password, sorted by name.
    pub breached_accounts: Vec<BreachedAccount>,
}

/// One leaked password: whose, from which breach. Borrowed from the items; nothing is kept.
struct Leak<'a> {
    password: &'a str,
    near: Option<NearKey>,
    source: usize,
    breach: &'a Breach,
}

/// Matches the live items against `list` (see the [module docs](self)).
pub fn check_site_breaches<'a>(
    items: impl IntoIterator<Item = (ItemId, &'a Item)>,
    list: &'a BreachList,
) -> BreachFindings {
    let mut items: Vec<(ItemId, &Item)> =
        items.into_iter().filter(|(_, item)| !item.deleted && !item.password.is_empty()).collect();
    items.sort_by(by_name);

    let mut by_site: BTreeMap<&str, Vec<&Breach>> = BTreeMap::new();
    for b in &list.breaches {
        by_site.entry(b.site.as_str()).or_default().push(b);
    }
    // Newest first, so that the breach reported for an item is its site's latest.
    for breaches in by_site.values_mut() {
        breaches.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.name.cmp(&b.name)));
    }

    let mut exposed: BTreeMap<usize, Exposed> = BTreeMap::new();
    let mut accounts: BTreeMap<usize, BreachedAccount> = BTreeMap::new();
    let mut leaks: Vec<Leak<'_>> = Vec::new();
    for (i, (id, item)) in items.iter().enumerate() {
        if item.kind != ItemKind::Login {
            continue;
        }
        let sites: BTreeSet<String> =
            item.urls.iter().filter_map(|u| hush_vault::site::registrable_domain(u)).collect();
        let mut matching: Vec<&Breach> =
            sites.iter().filter_map(|s| by_site.get(s.as_str())).flatten().copied().collect();
        matching.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.name.cmp(&b.name)));
        let changed = date_of(item.password_changed);
        for breach in matching {
            if breach.has_passwords() {
                for password in passwords_during(item, breach.date) {
                    leaks.push(Leak { password, near: near_key(password), source: i, breach });
                }
                if changed <= breach.date && !exposed.contains_key(&i) {
                    exposed.insert(
                        i,
                        Exposed {
                            item: ItemRef::new(*id, item),
                            site: breach.site.clone(),
                            breach: breach.clone(),
                            password_changed: item.password_changed,
                            reuses: None,
                        },
                    );
                }
            }
            accounts.entry(i).or_insert_with(|| BreachedAccount {
                item: ItemRef::new(*id, item),
                site: breach.site.clone(),
                breach: breach.clone(),
                password_changed: item.password_changed,
                why: if breach.has_passwords() { NotExposed::ChangedAfter } else { NotExposed::NoPasswords },
            });
        }
    }

    // The thief has every leaked password: items using one (or nearly one) are exposed too.
    // Newest breach first, then by the source's name, so the reported source is stable.
    leaks.sort_by(|a, b| b.breach.date.cmp(&a.breach.date).then(a.source.cmp(&b.source)));
    for (i, (id, item)) in items.iter().enumerate() {
        if exposed.contains_key(&i) {
            continue;
        }
        let near = near_key(&item.password);
        let hit = leaks.iter().find_map(|leak| {
            if leak.password == item.password {
                // This includes the item's own leaked password when it was changed after the
                // breach and later changed back.
                Some((leak, Reuse::Exact))
            } else if near.is_some() && near == leak.near {
                Some((leak, Reuse::Near))
            } else {
                None
            }
        });
        if let Some((leak, kind)) = hit {
            let (source_id, source) = items[leak.source];
            exposed.insert(
                i,
                Exposed {
                    item: ItemRef::new(*id, item),
                    site: leak.breach.site.clone(),
                    breach: leak.breach.clone(),
                    password_changed: item.password_changed,
                    reuses: Some(ReusedFrom { item: ItemRef::new(source_id, source), kind }),
                },
            );
        }
    }
    accounts.retain(|i, _| !exposed.contains_key(i));
    // The maps are keyed by position in `items`, which is sorted by name.
    BreachFindings {
        exposed: exposed.into_values().collect(),
        breached_accounts: accounts.into_values().collect(),
    }
}

/// Every password `item` had at some moment of the UTC day `date`: history entries in use that
/// day (each was current from the previous entry's replacement, or from the start, until its
/// own), and the current password if it was set on or before that day.
fn passwords_during(item: &Item, date: Date) -> Vec<&str> {
    let mut out = Vec::new();
    let mut set_on = Date::MIN;
    for h in &item.history {
        let replaced_on = date_of(h.replaced_at);
        if set_on <= date && replaced_on >= date && !h.password.is_empty() {
            out.push(h.password.as_str());
        }
        set_on = replaced_on;
    }
    if date_of(item.password_changed) <= date {
        out.push(item.password.as_str());
    }
    out
}

#[cfg(test)]
mod tests;
