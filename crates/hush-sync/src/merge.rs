//! Three-way merge of one item (docs/sync.md, "Merge rules"): base = the last-synced version,
//! local and remote = the two edits.
//!
//! Rules, per field:
//! - changed on one side only: that side's value;
//! - changed on both sides to the same value: that value;
//! - changed on both sides to different values: the newer side's value stays current,
//!   and the other is kept — a password in the password history, anything else as a
//!   conflict note on the item — so **no edit is ever lost**;
//! - deletion versus edit keeps the edit; deletion on both sides keeps both password
//!   histories. Moving an item to the trash is a deletion too: a concurrent edit on another
//!   device takes it out of the trash again ([`deletion_undone`] tells the sync report);
//! - a password history holds each previous password once, and never the current one.
//!
//! The result does not depend on which side is called local: ties are broken by the
//! values themselves, so every device that merges the same three versions gets the
//! same item.

use std::collections::BTreeSet;

use hush_vault::{Conflict, CustomField, Item, PasswordChange};

/// Which side a both-sides conflict keeps as current.
fn newer_is_local(local_time: i64, remote_time: i64, local_value: &str, remote_value: &str) -> bool {
    (local_time, local_value) >= (remote_time, remote_value)
}

/// Merges a scalar text field; returns the value and, on a real conflict, the loser.
fn merge_text(base: Option<&str>, local: &str, remote: &str, lt: i64, rt: i64) -> (String, Option<String>) {
    if local == remote {
        return (local.to_owned(), None);
    }
    match base {
        Some(b) if b == local => (remote.to_owned(), None),
        Some(b) if b == remote => (local.to_owned(), None),
        _ => {
            if newer_is_local(lt, rt, local, remote) {
                (local.to_owned(), Some(remote.to_owned()))
            } else {
                (remote.to_owned(), Some(local.to_owned()))
            }
        }
    }
}

/// Three-way set merge: additions on either side are kept, removals on either side
/// are applied. Order follows local, then remote's additions.
fn merge_list(base: Option<&[String]>, local: &[String], remote: &[String]) -> Vec<String> {
    let base: BTreeSet<&String> = base.map(|b| b.iter().collect()).unwrap_or_default();
    let in_local: BTreeSet<&String> = local.iter().collect();
    let in_remote: BTreeSet<&String> = remote.iter().collect();
    let keep = |v: &String| {
        let removed_locally = base.contains(v) && !in_local.contains(v);
        let removed_remotely = base.contains(v) && !in_remote.contains(v);
        !(removed_locally || removed_remotely)
    };
    let mut out: Vec<String> = Vec::new();
    for v in local.iter().chain(remote.iter()) {
        if keep(v) && !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

/// Whether `side` changed anything but its place in the trash: an *edit*, which wins over a
/// concurrent deletion.
fn edited(base: Option<&Item>, side: &Item) -> bool {
    base.is_none_or(|b| {
        let mut b = b.clone();
        b.trashed = side.trashed;
        !same_content(&b, side)
    })
}

/// Whether `side` deleted the item since `base`: replaced it by a tombstone, or moved it to the
/// trash.
fn deleted_since(base: Option<&Item>, side: &Item) -> bool {
    side.deleted || (side.trashed.is_some() && base.is_none_or(|b| b.trashed.is_none()))
}

/// Which device's deletion a merge undid (docs/sync.md, "Merge rules").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undone {
    /// This device deleted the item (or moved it to the trash); another device edited it, and
    /// the edit kept it.
    Here,
    /// Another device deleted it; this device's edit kept it.
    There,
}

/// Whether merging `local` and `remote` into `merged` undid a deletion of one side because the
/// other side edited the item: what the sync report names, so that an item deleted on purpose
/// does not come back unnoticed (issue #10, "A trash").
pub fn deletion_undone(base: Option<&Item>, local: &Item, remote: &Item, merged: &Item) -> Option<Undone> {
    let undone = |side: &Item| {
        deleted_since(base, side) && !merged.deleted && (side.deleted || merged.trashed.is_none())
    };
    if undone(local) && !deleted_since(base, remote) {
        Some(Undone::Here)
    } else if undone(remote) && !deleted_since(base, local) {
        Some(Undone::There)
    } else {
        None
    }
}

/// A password history as merges leave it: each previous password once, with its latest
/// replacement, never the current password, in time order. A union of two sides' histories
/// otherwise listed a password twice when both devices replaced it (issue #10, "History").
fn normalize_history(history: &mut Vec<PasswordChange>, current: &str) {
    history.retain(|h| h.password != current);
    history.sort_by(|a, b| (&a.password, b.replaced_at).cmp(&(&b.password, a.replaced_at)));
    history.dedup_by(|later, kept| later.password == kept.password);
    history.sort_by(|a, b| (a.replaced_at, &a.password).cmp(&(b.replaced_at, &b.password)));
}

/// The trash of the merge: a side that moved the item to the trash loses to a side that
/// edited it (deletion versus edit keeps the edit); otherwise a one-sided change wins, and two
/// different times keep the later one.
fn merge_trash(base: Option<&Item>, local: &Item, remote: &Item) -> Option<i64> {
    if local.trashed == remote.trashed {
        return local.trashed;
    }
    let newly = |side: &Item| side.trashed.is_some() && base.is_none_or(|b| b.trashed.is_none());
    if (newly(local) && edited(base, remote)) || (newly(remote) && edited(base, local)) {
        return None;
    }
    match base.map(|b| b.trashed) {
        Some(b) if b == local.trashed => remote.trashed,
        Some(b) if b == remote.trashed => local.trashed,
        _ => {
            local.trashed.max(remote.trashed).filter(|_| local.trashed.is_some() && remote.trashed.is_some())
        }
    }
}

/// Whether two items say the same thing (ignoring bookkeeping such as revision).
pub fn same_content(a: &Item, b: &Item) -> bool {
    let mut a = a.clone();
    a.revision = b.revision;
    a.updated = b.updated;
    a == *b
}

/// Merges `local` and `remote`, which both descend from `base` (None when the base
/// is unknown: then every difference counts as a conflict). `now` dates conflict notes.
///
/// Unless the result says exactly what `remote` says, its revision is above both sides': a
/// device that synced `remote` must see the merge as newer, because a pulled item older than
/// the synced copy is tampering (docs/spec/sync-api-v2.md, "Verifying a pull", 2). Taking the
/// newer of two tombstones as it was broke that (found by the convergence property test).
pub fn merge_items(base: Option<&Item>, local: &Item, remote: &Item, now: i64) -> Item {
    let mut merged = merge_fields(base, local, remote, now);
    if !same_content(&merged, remote) {
        merged.revision = merged.revision.max(local.revision.max(remote.revision) + 1);
    }
    merged
}

fn merge_fields(base: Option<&Item>, local: &Item, remote: &Item, now: i64) -> Item {
    // Deletion versus edit keeps the edit; deletion versus no change deletes.
    match (local.deleted, remote.deleted) {
        (true, true) => return both_deleted(local, remote),
        (true, false) => {
            return if edited(base, remote) { resurrect(remote, local) } else { local.clone() };
        }
        (false, true) => {
            return if edited(base, local) { resurrect(local, remote) } else { remote.clone() };
        }
        (false, false) => {}
    }
    let (lt, rt) = (local.updated, remote.updated);
    let mut conflicts: Vec<Conflict> = Vec::new();
    let mut text = |field: &str, b: Option<&str>, l: &str, r: &str| {
        let (v, lost) = merge_text(b, l, r, lt, rt);
        if let Some(lost) = lost.filter(|s| !s.is_empty()) {
            conflicts.push(Conflict { field: field.to_owned(), value: lost, at: now });
        }
        v
    };
    let name = text("name", base.map(|b| b.name.as_str()), &local.name, &remote.name);
    let username = text("username", base.map(|b| b.username.as_str()), &local.username, &remote.username);
    let notes = text("notes", base.map(|b| b.notes.as_str()), &local.notes, &remote.notes);
    let totp = text(
        "totp",
        base.map(|b| b.totp.as_deref().unwrap_or("")),
        local.totp.as_deref().unwrap_or(""),
        remote.totp.as_deref().unwrap_or(""),
    );
    let kind = text("kind", base.map(|b| b.kind.as_str()), local.kind.as_str(), remote.kind.as_str());
    // An SSH private key merges like the TOTP secret: a key replaced on both sides keeps the
    // newer one and the other as a conflict note (masked by `hush get` like a password).
    let ssh_key = text(
        "ssh_key",
        base.map(|b| b.ssh_key.as_deref().unwrap_or("")),
        local.ssh_key.as_deref().unwrap_or(""),
        remote.ssh_key.as_deref().unwrap_or(""),
    );

    // Custom fields merge by name, each like a text field.
    let mut names: Vec<String> = Vec::new();
    for f in local.fields.iter().chain(remote.fields.iter()) {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&f.name)) {
            names.push(f.name.clone());
        }
    }
    let mut fields = Vec::new();
    for n in names {
        let get = |i: &Item| i.field(&n).map(|f| (f.value.clone(), f.hidden));
        let (b, l, r) = (base.and_then(get), get(local), get(remote));
        let bl = b.as_ref().map(|x| x.0.as_str());
        let lv = l.as_ref().map(|x| x.0.as_str());
        let rv = r.as_ref().map(|x| x.0.as_str());
        // A field absent on one side was either never there (keep the other's) or
        // removed there (drop it unless the other side changed it).
        let value = match (lv, rv) {
            (Some(l), Some(r)) => Some(text(&format!("field {n}"), bl, l, r)),
            (Some(v), None) | (None, Some(v)) => {
                if bl.is_some_and(|b| b == v) {
                    None
                } else {
                    Some(v.to_owned())
                }
            }
            (None, None) => None,
        };
        if let Some(value) = value {
            let hidden = l.map(|x| x.1).or(r.map(|x| x.1)).unwrap_or(false);
            fields.push(CustomField { name: n.clone(), value, hidden });
        }
    }

    let mut merged =
        if newer_is_local(lt, rt, &local.name, &remote.name) { local.clone() } else { remote.clone() };
    merged.kind = kind.parse().unwrap_or(merged.kind);
    merged.name = name;
    merged.username = username;
    merged.notes = notes;
    merged.totp = Some(totp).filter(|t| !t.is_empty());
    merged.ssh_key = Some(ssh_key).filter(|k| !k.is_empty());
    merged.fields = fields;
    merged.urls = merge_list(base.map(|b| b.urls.as_slice()), &local.urls, &remote.urls);
    merged.tags = merge_list(base.map(|b| b.tags.as_slice()), &local.tags, &remote.tags);

    // Passwords: both histories are kept; a concurrent change keeps the newer
    // password (by when it was set) and puts the other into history.
    let mut history: Vec<PasswordChange> =
        local.history.iter().chain(remote.history.iter()).cloned().collect();
    let (password, password_changed, lost) = {
        let b = base.map(|b| b.password.as_str());
        if local.password == remote.password {
            // The same password on both sides has been in use since the earlier of the two
            // dates; the later one would make a password that was in use during a site's breach
            // look changed after it (issue #14, `hush audit --breaches`).
            (local.password.clone(), local.password_changed.min(remote.password_changed), None)
        } else if b == Some(local.password.as_str()) {
            (remote.password.clone(), remote.password_changed, None)
        } else if b == Some(remote.password.as_str()) {
            (local.password.clone(), local.password_changed, None)
        } else if newer_is_local(
            local.password_changed,
            remote.password_changed,
            &local.password,
            &remote.password,
        ) {
            (local.password.clone(), local.password_changed, Some(remote.password.clone()))
        } else {
            (remote.password.clone(), remote.password_changed, Some(local.password.clone()))
        }
    };
    if let Some(lost) = lost.filter(|p| !p.is_empty())
        && !history.iter().any(|h| h.password == lost)
    {
        history.push(PasswordChange { password: lost, replaced_at: now });
    }
    normalize_history(&mut history, &password);
    merged.password = password;
    merged.password_changed = password_changed;
    merged.history = history;

    // Conflict notes of both sides survive, plus the new ones.
    let mut all_conflicts: Vec<Conflict> = Vec::new();
    for c in local.conflicts.iter().chain(remote.conflicts.iter()).chain(conflicts.iter()) {
        if !all_conflicts.iter().any(|x| x.field == c.field && x.value == c.value) {
            all_conflicts.push(c.clone());
        }
    }
    merged.conflicts = all_conflicts;
    merged.rotation_pending =
        merge_flag(base.map(|b| b.rotation_pending), local.rotation_pending, remote.rotation_pending);
    merged.trashed = merge_trash(base, local, remote);
    merged.created = local.created.min(remote.created);
    merged.updated = lt.max(rt);
    merged.revision = local.revision.max(remote.revision) + 1;
    merged
}

fn merge_flag(base: Option<bool>, local: bool, remote: bool) -> bool {
    match base {
        Some(b) if b == local => remote,
        Some(b) if b == remote => local,
        _ => local || remote,
    }
}

fn newer<'a>(a: &'a Item, b: &'a Item) -> &'a Item {
    if (a.updated, a.revision) >= (b.updated, b.revision) { a } else { b }
}

/// The edited side wins over a deletion; its revision moves past the tombstone's,
/// and the passwords the deleting side had set join its history.
fn resurrect(edited: &Item, tombstone: &Item) -> Item {
    let mut item = edited.clone();
    item.revision = edited.revision.max(tombstone.revision) + 1;
    fold_history(&mut item, &tombstone.history);
    let current = item.password.clone();
    normalize_history(&mut item.history, &current);
    item
}

/// Deleted on both sides: the newer tombstone, holding both tombstones' password
/// histories. Each keeps the passwords its device had set, so taking one as it is
/// lost the other's: a password changed on one device and then deleted there,
/// while another device deleted the same item, vanished (found by the
/// convergence property test, `deletes_racing_a_password_change_lose_no_password`).
fn both_deleted(local: &Item, remote: &Item) -> Item {
    let (winner, other) =
        if std::ptr::eq(newer(local, remote), local) { (local, remote) } else { (remote, local) };
    let mut item = winner.clone();
    fold_history(&mut item, &other.history);
    normalize_history(&mut item.history, "");
    if item.history != winner.history {
        // A tombstone neither side has: it must sync like an edit.
        item.revision = local.revision.max(remote.revision) + 1;
    }
    item
}

/// Adds to `item`'s password history every password of `from` it lacks (other than
/// its current one), in time order.
fn fold_history(item: &mut Item, from: &[PasswordChange]) {
    for h in from {
        if h.password != item.password && !item.history.iter().any(|x| x.password == h.password) {
            item.history.push(h.clone());
        }
    }
    item.history.sort_by(|a, b| (a.replaced_at, &a.password).cmp(&(b.replaced_at, &b.password)));
}

#[cfg(test)]
mod tests {
    use hush_vault::ItemKind;

    use super::*;

    fn item(pw: &str, t: i64) -> Item {
        let mut i = Item::new(ItemKind::Login, "site", 0);
        i.password = pw.into();
        i.password_changed = t;
        i.updated = t;
        i
    }

    #[test]
    fn two_tombstones_keep_both_histories() {
        // Device A changed the password and then deleted; device B deleted the old
        // version later. Neither tombstone alone holds every password.
        let base = item("old", 1);
        let mut a = base.clone();
        a.set_password("newer".into(), 2);
        let a = a.tombstone(3);
        let b = base.tombstone(4);
        for merged in [merge_items(Some(&base), &a, &b, 5), merge_items(Some(&base), &b, &a, 5)] {
            assert!(merged.deleted);
            let kept: Vec<_> = merged.history.iter().map(|h| h.password.as_str()).collect();
            assert!(kept.contains(&"old") && kept.contains(&"newer"), "{kept:?}");
            assert!(merged.revision > a.revision.max(b.revision), "it must sync as a change");
        }
    }

    #[test]
    fn one_sided_changes_win() {
        let base = item("a", 1);
        let mut local = base.clone();
        local.username = "me".into();
        local.updated = 2;
        let mut remote = base.clone();
        remote.password = "b".into();
        remote.password_changed = 3;
        remote.history.push(PasswordChange { password: "a".into(), replaced_at: 3 });
        remote.updated = 3;
        let m = merge_items(Some(&base), &local, &remote, 9);
        assert_eq!(m.username, "me");
        assert_eq!(m.password, "b");
        assert!(m.conflicts.is_empty());
        assert_eq!(m.history.len(), 1);
    }

    #[test]
    fn concurrent_password_changes_keep_both() {
        let base = item("a", 1);
        let mut local = base.clone();
        local.set_password("l".into(), 5);
        local.updated = 5;
        let mut remote = base.clone();
        remote.set_password("r".into(), 6);
        remote.updated = 6;
        let m = merge_items(Some(&base), &local, &remote, 9);
        assert_eq!(m.password, "r", "the newer password stays current");
        let hist: Vec<_> = m.history.iter().map(|h| h.password.as_str()).collect();
        assert!(hist.contains(&"l") && hist.contains(&"a"), "{hist:?}");
        // Symmetric.
        let m2 = merge_items(Some(&base), &remote, &local, 9);
        assert_eq!(m2.password, m.password);
        assert!(m2.history == m.history);
    }

    #[test]
    fn concurrent_other_edits_leave_a_conflict_note() {
        let base = item("a", 1);
        let mut local = base.clone();
        local.notes = "local note".into();
        local.updated = 5;
        let mut remote = base.clone();
        remote.notes = "remote note".into();
        remote.updated = 6;
        let m = merge_items(Some(&base), &local, &remote, 9);
        assert_eq!(m.notes, "remote note");
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].value, "local note");
    }

    #[test]
    fn edit_wins_over_delete() {
        let base = item("a", 1);
        let mut tomb = Item::new(ItemKind::Login, "", 0);
        tomb.deleted = true;
        tomb.updated = 10;
        tomb.revision = 1;
        let mut edit = base.clone();
        edit.notes = "still here".into();
        edit.updated = 5;
        for m in [merge_items(Some(&base), &tomb, &edit, 11), merge_items(Some(&base), &edit, &tomb, 11)] {
            assert!(!m.deleted);
            assert_eq!(m.notes, "still here");
        }
        // Deleting an unchanged item deletes it.
        assert!(merge_items(Some(&base), &tomb, &base, 11).deleted);
    }

    /// Issue #14: `hush audit --breaches` compares `password_changed` with breach dates, so a
    /// merge must never move it to the merge's time, nor to a later edit of another field.
    #[test]
    fn a_merge_keeps_when_the_password_was_set() {
        let mut base = item("leaked", 1_000);
        base.updated = 1_000;
        let mut local = base.clone();
        local.notes = "a note".into();
        local.updated = 5_000;
        let mut remote = base.clone();
        remote.tags = vec!["work".into()];
        remote.updated = 6_000;
        for m in [
            merge_items(Some(&base), &local, &remote, 9_000),
            merge_items(Some(&base), &remote, &local, 9_000),
        ] {
            assert_eq!(m.password_changed, 1_000, "no side changed the password");
            assert_eq!((m.notes.as_str(), m.tags.as_slice()), ("a note", ["work".to_string()].as_slice()));
        }
        // Without a base (every difference a conflict), still the password's own date.
        let m = merge_items(None, &local, &remote, 9_000);
        assert_eq!(m.password_changed, 1_000);
        // A one-sided password change keeps that side's date, not the merge's.
        let mut changed = base.clone();
        changed.set_password("new".into(), 7_000);
        changed.updated = 7_000;
        for m in [
            merge_items(Some(&base), &changed, &local, 9_000),
            merge_items(Some(&base), &local, &changed, 9_000),
        ] {
            assert_eq!((m.password.as_str(), m.password_changed), ("new", 7_000));
        }
        // The same password set on both sides at different times: in use since the earlier.
        let mut a = base.clone();
        a.set_password("same".into(), 2_000);
        let mut b = base.clone();
        b.set_password("same".into(), 3_000);
        for m in [merge_items(Some(&base), &a, &b, 9_000), merge_items(Some(&base), &b, &a, 9_000)] {
            assert_eq!(m.password_changed, 2_000);
        }
    }

    /// Issue #10: both devices replaced the same password at different times, and the union of
    /// their histories listed it twice.
    #[test]
    fn histories_merge_without_duplicates_or_the_current_password() {
        let base = item("a", 1);
        let mut local = base.clone();
        local.set_password("l".into(), 5);
        local.updated = 5;
        let mut remote = base.clone();
        remote.set_password("r".into(), 6);
        remote.updated = 6;
        for m in [merge_items(Some(&base), &local, &remote, 9), merge_items(Some(&base), &remote, &local, 9)]
        {
            let hist: Vec<_> = m.history.iter().map(|h| (h.password.as_str(), h.replaced_at)).collect();
            assert_eq!(hist, [("a", 6), ("l", 9)], "one entry per password, its latest replacement");
        }
        // A password restored on one side leaves the history even though the other side still
        // lists it.
        let mut restored = remote.clone();
        assert!(restored.restore_password(1, 7));
        restored.updated = 7;
        let m = merge_items(Some(&remote), &restored, &remote, 9);
        assert_eq!(m.password, "a");
        assert!(m.history.iter().all(|h| h.password != "a"), "the current password is not history");
        assert_eq!(m.history.iter().filter(|h| h.password == "r").count(), 1);
    }

    #[test]
    fn the_trash_merges_like_a_deletion() {
        let base = item("a", 1);
        let mut trashed = base.clone();
        trashed.trashed = Some(5);
        trashed.updated = 5;
        // Moved to the trash on one side, untouched on the other: in the trash.
        let m = merge_items(Some(&base), &trashed, &base, 9);
        assert_eq!(m.trashed, Some(5));
        assert_eq!(deletion_undone(Some(&base), &trashed, &base, &m), None);
        // Edited on the other side: the edit takes it out of the trash, and says so.
        let mut edit = base.clone();
        edit.notes = "still used".into();
        edit.updated = 4;
        for (local, remote, undone) in [(&trashed, &edit, Undone::Here), (&edit, &trashed, Undone::There)] {
            let m = merge_items(Some(&base), local, remote, 9);
            assert_eq!((m.trashed, m.notes.as_str()), (None, "still used"));
            assert_eq!(deletion_undone(Some(&base), local, remote, &m), Some(undone));
        }
        // Restored on one side, untouched on the other: restored.
        let m = merge_items(Some(&trashed), &base, &trashed, 9);
        assert_eq!(m.trashed, None);
        // A tombstone against a move to the trash: deleted, nothing undone.
        let tomb = base.tombstone(6);
        let m = merge_items(Some(&base), &tomb, &trashed, 9);
        assert!(m.deleted);
        assert_eq!(deletion_undone(Some(&base), &tomb, &trashed, &m), None);
        // A tombstone against an edit: the edit, and the report says whose deletion was undone.
        let m = merge_items(Some(&base), &tomb, &edit, 9);
        assert!(!m.deleted);
        assert_eq!(deletion_undone(Some(&base), &tomb, &edit, &m), Some(Undone::Here));
    }

    #[test]
    fn tags_and_urls_merge_as_sets() {
        let mut base = item("a", 1);
        base.tags = vec!["x".into(), "y".into()];
        let mut local = base.clone();
        local.tags = vec!["x".into(), "y".into(), "l".into()];
        let mut remote = base.clone();
        remote.tags = vec!["y".into(), "r".into()];
        let m = merge_items(Some(&base), &local, &remote, 9);
        assert_eq!(m.tags, vec!["y".to_string(), "l".into(), "r".into()]);
    }

    #[test]
    fn ssh_keys_merge_and_a_replaced_key_is_never_lost() {
        let mut base = item("", 1);
        base.kind = ItemKind::SshKey;
        base.ssh_key = Some("key-0".into());
        // One side renames, the other replaces the key: both changes survive.
        let mut local = base.clone();
        local.name = "renamed".into();
        local.updated = 5;
        let mut remote = base.clone();
        remote.ssh_key = Some("key-1".into());
        remote.updated = 6;
        let m = merge_items(Some(&base), &local, &remote, 9);
        assert_eq!(
            (m.name.as_str(), m.ssh_key.as_deref(), m.kind),
            ("renamed", Some("key-1"), ItemKind::SshKey)
        );
        assert!(m.conflicts.is_empty());
        // Both sides replace it: the newer stays, the other is a conflict note.
        let mut local = base.clone();
        local.ssh_key = Some("key-2".into());
        local.updated = 7;
        for m in [merge_items(Some(&base), &local, &remote, 9), merge_items(Some(&base), &remote, &local, 9)]
        {
            assert_eq!(m.ssh_key.as_deref(), Some("key-2"));
            assert_eq!(m.conflicts.len(), 1);
            assert_eq!((m.conflicts[0].field.as_str(), m.conflicts[0].value.as_str()), ("ssh_key", "key-1"));
        }
    }
}
