//! hush-audit: what `hush audit` finds in a vault — reused, weak, old and breached
//! passwords, and logins without a second factor — as a typed report that names items and
//! says why, never what a password is. It reads decrypted items and, for breached passwords,
//! a local copy of the Pwned Passwords list or any [`PwnedSource`]; it has no networking.
//!
//! # Findings
//!
//! Everything here is pure analysis over decrypted items and returns a typed
//! [`Report`] that names items (id and name) and says why, never what the password
//! is. The only I/O is [`PwnedFile`], which reads a local copy of the Pwned
//! Passwords list; the Have I Been Pwned range API client lives in the CLI, behind
//! the same [`PwnedSource`] trait, because this crate has no networking.
//!
//! # Reuse and near-reuse
//!
//! Items whose passwords are byte-for-byte equal form an *exact* group. Items whose
//! passwords differ but have the same [`near_key`] form a *near* group: the key is
//! the password in lower case with any trailing ASCII digits removed, so
//! `Summer-Lantern7`, `summer-lantern8` and `SUMMER-LANTERN` all map to
//! `summer-lantern`. That catches the two habits people use to "change" a reused
//! password — bumping a number at the end and changing the case. The key is only
//! formed when at least [`MIN_NEAR_STEM_CHARS`] characters remain; shorter stems
//! would lump together unrelated short passwords and PINs (`1234` and `12345` have
//! an empty stem), which the weak check reports anyway.
//!
//! # Strength
//!
//! The estimate is zxcvbn's (the `zxcvbn` crate, a port of Dropbox's estimator),
//! with the item's name, user name and URL hosts as user inputs so that
//! `github2024` is weak for the `github` item. A score below [`WEAK_BELOW_SCORE`]
//! (3 on zxcvbn's 0–4 scale; 0–2 mean an estimated 10⁸ guesses or fewer, which
//! zxcvbn itself calls too weak) is weak; the reason is zxcvbn's own warning and
//! suggestions. zxcvbn's matching is superlinear in the
//! length of the input, so only the first [`MAX_EVALUATED_CHARS`] characters are
//! evaluated (zxcvbn 3.1 truncates there itself; we cap before calling it so the
//! bound holds whatever the crate version does). No password that long is weak
//! unless its first hundred characters are.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod breaches;
pub mod master;
mod pwned;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use hush_crypto::ItemId;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub use self::breaches::{
    Breach, BreachFindings, BreachList, BreachListError, BreachedAccount, Exposed, NotExposed, ReusedFrom,
    check_site_breaches,
};
pub use self::pwned::{PwnedFile, PwnedFileError, PwnedHash, PwnedSource};
use hush_vault::{Item, ItemKind};

/// Passwords with a zxcvbn score below this (of 0–4) are reported as weak.
pub const WEAK_BELOW_SCORE: u8 = 3;

/// Only this many leading characters of a password are given to zxcvbn.
pub const MAX_EVALUATED_CHARS: usize = 100;

/// A near-duplicate key needs at least this many characters after normalisation.
pub const MIN_NEAR_STEM_CHARS: usize = 4;

/// The default age, in days, from which a password counts as old.
pub const DEFAULT_MAX_AGE_DAYS: u64 = 365;

const SECONDS_PER_DAY: i64 = 86_400;

/// An item named in a finding: its id and display name, nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ItemRef {
    /// The item's id.
    pub id: ItemId,
    /// The item's display name.
    pub name: String,
}

impl ItemRef {
    fn new(id: ItemId, item: &Item) -> Self {
        ItemRef { id, name: item.name.clone() }
    }
}

/// How the passwords of a [`ReuseGroup`] relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Every item of the group has the very same password.
    Exact,
    /// The passwords differ only in letter case or a trailing number (see
    /// [`near_key`]); some items of the group may share one exactly.
    Near,
}

/// Items that share a password, exactly or nearly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReuseGroup {
    /// Exact or near.
    pub kind: Reuse,
    /// The items, sorted by name; at least two.
    pub items: Vec<ItemRef>,
}

/// A password zxcvbn estimates to be guessable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeakPassword {
    /// The item.
    pub item: ItemRef,
    /// zxcvbn's score, 0 (trivial) to 2; 3 and 4 are not weak.
    pub score: u8,
    /// zxcvbn's warning, e.g. "This is a very common password."
    pub warning: Option<String>,
    /// zxcvbn's suggestions, e.g. "Add another word or two."
    pub suggestions: Vec<String>,
    /// Whether the password was longer than [`MAX_EVALUATED_CHARS`] and only its
    /// beginning was evaluated.
    pub truncated: bool,
}

impl WeakPassword {
    /// One line saying why, from zxcvbn's feedback.
    pub fn reason(&self) -> String {
        let mut parts: Vec<&str> = self.warning.iter().map(String::as_str).collect();
        parts.extend(self.suggestions.iter().map(String::as_str));
        if parts.is_empty() {
            parts.push("Easy to guess.");
        }
        let mut reason = parts.join(" ");
        if self.truncated {
            reason.push_str(&format!(" (only the first {MAX_EVALUATED_CHARS} characters were evaluated)"));
        }
        reason
    }
}

/// A password found in a list of breached passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachedPassword {
    /// The item.
    pub item: ItemRef,
    /// How many times the password appears in the breaches the list was made from.
    pub count: u64,
}

/// A password that has not changed for a long time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldPassword {
    /// The item.
    pub item: ItemRef,
    /// Unix seconds when the password was set.
    pub changed: i64,
    /// Whole days since then.
    pub days: u64,
}

/// What an audit found. Every list is sorted by item name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Groups of items sharing a password: exact groups first, then near groups.
    pub reused: Vec<ReuseGroup>,
    /// Weak passwords.
    pub weak: Vec<WeakPassword>,
    /// Breached passwords; `None` when no breach list was consulted.
    pub breached: Option<Vec<BreachedPassword>>,
    /// Passwords older than [`AuditOptions::max_age_days`].
    pub old: Vec<OldPassword>,
    /// Logins with a password but no TOTP secret.
    pub no_totp: Vec<ItemRef>,
}

impl Report {
    /// Whether nothing at all was found.
    pub fn is_clean(&self) -> bool {
        self.reused.is_empty()
            && self.weak.is_empty()
            && self.breached.as_ref().is_none_or(Vec::is_empty)
            && self.old.is_empty()
            && self.no_totp.is_empty()
    }
}

/// Settings of an audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    /// The current time, Unix seconds (a parameter so that tests control it).
    pub now: i64,
    /// Passwords not changed for more than this many days are old.
    pub max_age_days: u64,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions { now: hush_vault::now(), max_age_days: DEFAULT_MAX_AGE_DAYS }
    }
}

/// Audits `items` for reuse, weakness, age and missing TOTP; breaches are checked
/// separately by [`check_breached`] because that needs a [`PwnedSource`].
///
/// Only items with a password are audited, whatever their kind: an item without
/// one has nothing to reuse, weaken or age, nor for a second factor to protect.
/// Only logins are reported for a missing TOTP secret.
pub fn audit<'a>(items: impl IntoIterator<Item = (ItemId, &'a Item)>, options: &AuditOptions) -> Report {
    let mut items: Vec<(ItemId, &Item)> =
        items.into_iter().filter(|(_, item)| !item.deleted && !item.password.is_empty()).collect();
    items.sort_by(by_name);

    let max_age = i64::try_from(options.max_age_days).unwrap_or(i64::MAX).saturating_mul(SECONDS_PER_DAY);
    let mut report = Report {
        reused: reuse_groups(&items),
        weak: strengths(&items).into_iter().filter(|w| w.score < WEAK_BELOW_SCORE).collect(),
        ..Report::default()
    };
    for (id, item) in &items {
        let age = options.now.saturating_sub(item.password_changed);
        if age > max_age {
            report.old.push(OldPassword {
                item: ItemRef::new(*id, item),
                changed: item.password_changed,
                days: u64::try_from(age / SECONDS_PER_DAY).unwrap_or(0),
            });
        }
        if item.kind == ItemKind::Login && !item.has_totp() {
            report.no_totp.push(ItemRef::new(*id, item));
        }
    }
    report
}

/// Looks every distinct password of `items` up in `source` (one SHA-1 each) and
/// returns the items whose password appears, sorted by name.
///
/// # Errors
///
/// Whatever the source fails with; nothing is returned partially.
pub fn check_breached<'a, S: PwnedSource + ?Sized>(
    items: impl IntoIterator<Item = (ItemId, &'a Item)>,
    source: &mut S,
) -> Result<Vec<BreachedPassword>, S::Error> {
    let mut items: Vec<(ItemId, &Item)> =
        items.into_iter().filter(|(_, item)| !item.deleted && !item.password.is_empty()).collect();
    items.sort_by(by_name);
    // Hash each distinct password once: a reused password is one lookup.
    let mut index: BTreeMap<PwnedHash, Vec<usize>> = BTreeMap::new();
    for (i, (_, item)) in items.iter().enumerate() {
        index.entry(PwnedHash::of(&item.password)).or_default().push(i);
    }
    let hashes: Vec<PwnedHash> = index.keys().cloned().collect();
    let counts = source.counts(&hashes)?;
    let mut found: Vec<(usize, u64)> = index
        .values()
        .zip(counts)
        .filter(|(_, count)| *count > 0)
        .flat_map(|(positions, count)| positions.iter().map(move |&i| (i, count)))
        .collect();
    found.sort_unstable();
    Ok(found
        .into_iter()
        .map(|(i, count)| BreachedPassword { item: ItemRef::new(items[i].0, items[i].1), count })
        .collect())
}

/// The near-duplicate key of a password (see [`near_key`]). As secret as the
/// password: it zeroizes on drop and has no `Debug`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Zeroize, ZeroizeOnDrop)]
pub struct NearKey(String);

impl NearKey {
    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The near-duplicate key of a password: lower case, without trailing ASCII digits;
/// `None` when fewer than [`MIN_NEAR_STEM_CHARS`] characters remain. Two different
/// passwords with the same key are near-duplicates (see the [module docs](self)).
pub fn near_key(password: &str) -> Option<NearKey> {
    let lower = Zeroizing::new(password.to_lowercase());
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit());
    (stem.chars().count() >= MIN_NEAR_STEM_CHARS).then(|| NearKey(stem.to_owned()))
}

/// The live items among `items` whose password equals, or nearly equals (same
/// [`near_key`]), one of `passwords`: what `hush breach` rotates along with the
/// breached site. Sorted by name.
pub fn sharing_password<'a>(
    items: impl IntoIterator<Item = (ItemId, &'a Item)>,
    passwords: &[&str],
) -> Vec<ItemId> {
    let exact: BTreeSet<&str> = passwords.iter().copied().filter(|p| !p.is_empty()).collect();
    let near: BTreeSet<NearKey> = exact.iter().filter_map(|p| near_key(p)).collect();
    let mut hits: Vec<(ItemId, &Item)> = items
        .into_iter()
        .filter(|(_, item)| !item.deleted && !item.password.is_empty())
        .filter(|(_, item)| {
            exact.contains(item.password.as_str())
                || near_key(&item.password).is_some_and(|k| near.contains(&k))
        })
        .collect();
    hits.sort_by(by_name);
    hits.into_iter().map(|(id, _)| id).collect()
}

/// Orders items by case-insensitive name, then id, so reports are stable.
fn by_name(a: &(ItemId, &Item), b: &(ItemId, &Item)) -> std::cmp::Ordering {
    a.1.name.to_lowercase().cmp(&b.1.name.to_lowercase()).then(a.0.cmp(&b.0))
}

/// Exact groups, then near groups; `items` is sorted by name and so is each group.
fn reuse_groups(items: &[(ItemId, &Item)]) -> Vec<ReuseGroup> {
    // Keyed by the secret itself, so the maps hold borrowed passwords and
    // zeroized keys only; the report keeps none of them.
    let mut exact: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut near: BTreeMap<NearKey, Vec<usize>> = BTreeMap::new();
    for (i, (_, item)) in items.iter().enumerate() {
        exact.entry(item.password.as_str()).or_default().push(i);
        if let Some(key) = near_key(&item.password) {
            near.entry(key).or_default().push(i);
        }
    }
    let refs = |positions: &[usize]| -> Vec<ItemRef> {
        positions.iter().map(|&i| ItemRef::new(items[i].0, items[i].1)).collect()
    };
    let mut groups: Vec<ReuseGroup> = exact
        .values()
        .filter(|p| p.len() > 1)
        .map(|p| ReuseGroup { kind: Reuse::Exact, items: refs(p) })
        .collect();
    let mut near_groups: Vec<ReuseGroup> = near
        .values()
        .filter(|p| {
            // A near group is news only if its passwords are not all the same
            // (that would be an exact group, already listed).
            let first = &items[p[0]].1.password;
            p.iter().any(|&i| items[i].1.password != *first)
        })
        .map(|p| ReuseGroup { kind: Reuse::Near, items: refs(p) })
        .collect();
    // The maps are ordered by password; order the groups by their first name
    // instead, so that nothing about the passwords shows in the report's order.
    groups.sort_by(|a, b| a.items[0].name.to_lowercase().cmp(&b.items[0].name.to_lowercase()));
    near_groups.sort_by(|a, b| a.items[0].name.to_lowercase().cmp(&b.items[0].name.to_lowercase()));
    groups.extend(near_groups);
    groups
}

/// [`strength`] for every item, in order. zxcvbn dominates an audit (about a
/// quarter of a millisecond per password, so seconds for 10,000 items), and the
/// estimates are independent, so they are spread over the available cores.
fn strengths(items: &[(ItemId, &Item)]) -> Vec<WeakPassword> {
    const MIN_PER_THREAD: usize = 64;
    let estimates = hush_vault::par::map_chunks(items, MIN_PER_THREAD, |chunk| {
        Ok::<_, std::convert::Infallible>(chunk.iter().map(|(id, item)| strength(*id, item)).collect())
    });
    match estimates {
        Ok(estimates) => estimates,
        Err(never) => match never {},
    }
}

/// zxcvbn's estimate for an item's password, with the item's name, user name and
/// hosts as user inputs (whatever the score; the caller decides what is weak).
fn strength(id: ItemId, item: &Item) -> WeakPassword {
    let evaluated: Zeroizing<String> =
        Zeroizing::new(item.password.chars().take(MAX_EVALUATED_CHARS).collect());
    let truncated = evaluated.len() < item.password.len();
    let hosts: Vec<String> = item.hosts().collect();
    let mut inputs: Vec<&str> = vec![item.name.as_str(), item.username.as_str()];
    inputs.extend(hosts.iter().map(String::as_str));
    inputs.retain(|s| !s.is_empty());
    let entropy = zxcvbn::zxcvbn(&evaluated, &inputs);
    let feedback = entropy.feedback();
    WeakPassword {
        item: ItemRef::new(id, item),
        score: u8::from(entropy.score()),
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        truncated,
    }
}
