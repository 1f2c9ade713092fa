//! Protocol version 2 against a lying server, end to end: the real `hush-server` and `hush`
//! processes, and an attacker who controls the server's database and edits it between syncs
//! (docs/spec/crypto-v2.md, "What a device keeps and checks"; docs/spec/sync-api-v2.md,
//! "Verifying a pull" and "Resetting trust").
//!
//! Every lie that would change what a device sees must be refused with exit code 6 and the word
//! TAMPERING, and the refused command must leave every file of the device byte for byte as it
//! was ([`refused`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use hush_e2e::{
    Home, PASSWORD, Server, Store, assert_ok, contains_bytes, logged_in, registered, sql_blob, sql_id, stderr,
};

// ---------------------------------------------------------------------------------------------
// Devices

/// `hush login --server URL` on a device that has its vault (password from its password file).
fn relogin(home: &Home, url: &str) -> Output {
    home.run(&["login", "--server", url, "--insecure-kdf"])
}

/// Sets an item's password (adding the item if it does not exist).
fn set_password(home: &Home, item: &str, password: &str) {
    let exists = home.run(&["get", item, "--field", "name"]).status.success();
    let verb = if exists { "edit" } else { "add" };
    assert_ok(&home.run_stdin(&[verb, item, "--password-stdin"], &format!("{password}\n")), &[verb, item]);
}

fn history(home: &Home, item: &str) -> String {
    home.ok(&["history", item, "--show"])
}

/// Every item name and password a device holds.
fn secrets(home: &Home) -> BTreeMap<String, String> {
    let list: Vec<serde_json::Value> = serde_json::from_str(&home.ok(&["ls", "--json"])).unwrap();
    list.iter()
        .map(|i| {
            let name = i["name"].as_str().unwrap().to_owned();
            let pw = home.password(&name);
            (name, pw)
        })
        .collect()
}

/// An item's id as the server stores it (16 bytes), as an SQL blob literal.
fn item_id_sql(home: &Home, item: &str) -> String {
    sql_id(&home.ok(&["get", item, "--field", "id"]))
}

/// A file in the home's scratch folder with `password` as its only line.
fn password_file(home: &Home, name: &str, password: &str) -> PathBuf {
    home.write(name, &format!("{password}\n"))
}

/// `hush --password-file FILE ARGS`.
fn run_with(home: &Home, file: &Path, args: &[&str]) -> Output {
    home.cmd().arg("--password-file").arg(file).args(args).output().unwrap()
}

// ---------------------------------------------------------------------------------------------
// What a refusal looks like

/// Asserts that `out` is a refusal for tampering: exit code 6 and TAMPERING on stderr.
#[track_caller]
fn assert_tampering(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(6),
        "{what}: expected TAMPERING (exit 6)\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    );
    assert!(stderr(out).contains("TAMPERING"), "{what}: {}", stderr(out));
    // The reason, for whoever reads the test's output.
    let reason = stderr(out).lines().find(|l| l.contains("TAMPERING")).unwrap_or_default().to_owned();
    eprintln!("{what}: {reason}");
}

/// Asserts that no file of `home` differs from `before` (but for the empty lock file, which any
/// command may create).
#[track_caller]
fn assert_unchanged(home: &Home, before: &BTreeMap<PathBuf, Vec<u8>>, what: &str) {
    let after = home.contents();
    let names = |m: &BTreeMap<PathBuf, Vec<u8>>| {
        m.iter()
            .filter(|(p, bytes)| !(p.ends_with("vault.lock") && bytes.is_empty()))
            .map(|(p, _)| p.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(before), names(&after), "{what} added or removed a file");
    for (path, bytes) in before {
        assert!(after[path] == *bytes, "{what} changed {}", path.display());
    }
}

/// Runs `hush ARGS` on `home` (with its password file), which must be refused as tampering
/// and change no file of `home`.
#[track_caller]
fn refused(home: &Home, args: &[&str]) -> Output {
    let before = home.contents();
    let out = home.run(args);
    assert_tampering(&out, &format!("hush {args:?}"));
    assert_unchanged(home, &before, &format!("the refused hush {args:?}"));
    out
}

/// [`refused`], and the reason names the check that caught the lie (`because` is a fragment
/// of the message): for the tests whose point is one particular rule.
#[track_caller]
fn refused_because(home: &Home, args: &[&str], because: &str) -> Output {
    let out = refused(home, args);
    assert!(stderr(&out).contains(because), "hush {args:?}: expected {because:?}: {}", stderr(&out));
    out
}

/// [`refused`] with another password file.
#[track_caller]
fn refused_with(home: &Home, file: &Path, args: &[&str]) -> Output {
    let before = home.contents();
    let out = run_with(home, file, args);
    assert_tampering(&out, &format!("hush {args:?}"));
    assert_unchanged(home, &before, &format!("the refused hush {args:?}"));
    out
}

/// Runs `hush ARGS`, which must fail with `code` and change no file of `home`.
#[track_caller]
fn fails_with(home: &Home, file: &Path, args: &[&str], code: i32) -> Output {
    let before = home.contents();
    let out = run_with(home, file, args);
    assert_eq!(out.status.code(), Some(code), "hush {args:?}: {}", stderr(&out));
    assert_unchanged(home, &before, &format!("the failed hush {args:?}"));
    out
}

// ---------------------------------------------------------------------------------------------
// Server edits

/// Makes the server resend every item on the next pull of any device: the account's seq goes
/// up by one (above what any device saw) and every item row gets it.
fn resend_everything(server: &mut Server) {
    server.edit(|db| {
        db.exec("UPDATE accounts SET seq = seq + 1", &[]);
        db.exec(
            "UPDATE items SET seq = (SELECT seq FROM accounts WHERE accounts.account_id = items.account_id)",
            &[],
        );
    });
}

/// Puts the vault of every account back as it was in `snapshot` (keys, manifest, seq and
/// items), keeping the sessions opened since: a rollback that does not log anyone out.
fn rollback_vault(server: &mut Server, snapshot: &hush_e2e::Snapshot) {
    server.edit(|db| {
        db.with_old(snapshot, |db| {
            db.script(
                "DELETE FROM items;
                 INSERT INTO items SELECT * FROM old.items;
                 UPDATE accounts SET (kdf_m_kib, kdf_t, kdf_p, kdf_salt, auth_public_key, keyset, key_version,
                                      manifest, seq, item_count, blob_bytes) =
                     (SELECT kdf_m_kib, kdf_t, kdf_p, kdf_salt, auth_public_key, keyset, key_version,
                             manifest, seq, item_count, blob_bytes
                      FROM old.accounts o WHERE o.account_id = accounts.account_id);",
            )
        })
    });
}

/// Restores `snapshot` and raises the account's seq (and every item's) to `seq`, so that the
/// seq check cannot give the replay away and every device receives every item.
fn replay_with_seq(server: &mut Server, snapshot: &hush_e2e::Snapshot, seq: i64) {
    server.stop();
    server.restore_stopped(snapshot);
    let mut db = server.db();
    db.exec(&format!("UPDATE accounts SET seq = {seq}"), &[]);
    db.exec(&format!("UPDATE items SET seq = {seq}"), &[]);
    db.close();
    server.restart();
}

// ---------------------------------------------------------------------------------------------
// 1–4: forks, joins, replays and rollbacks of the history

/// The attack of the issue. A and B have synced; the server shows B an older state than A's
/// latest push (A's push is dropped), B builds a longer branch on it, and the server then
/// shows that branch to A, every item resent. A must refuse it and keep its password; B must
/// refuse A's branch in turn.
#[test]
fn fork_then_join_is_refused_on_both_sides() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "pw-0-original");
    set_password(&a, "mail", "mail-0");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let fork_point = server.snapshot();

    // A's branch: a new github password.
    set_password(&a, "github", "pw-A-new");
    a.ok(&["sync"]);
    let a_branch = server.snapshot();

    // B's branch, on the state before A's push: one push with A's push number, then a longer
    // branch; github is edited there too, so that its revision never goes back for A.
    server.restore(&fork_point);
    set_password(&b, "github", "pw-B-branch");
    b.ok(&["sync"]);
    refused_because(&a, &["sync"], "two different vault states carry push number 2");
    set_password(&b, "bank", "bank-B");
    b.ok(&["sync"]);
    // The join: A is shown B's longer branch with every item resent.
    resend_everything(&mut server);
    refused_because(&a, &["sync"], "push 3 does not extend the state this device accepted");
    // Longer still: no longer a direct successor of A's head, so rule 4 (A's own push is
    // missing from the branch) is what catches it.
    set_password(&b, "github", "pw-B-branch-2");
    b.ok(&["sync"]);
    resend_everything(&mut server);
    refused_because(&a, &["sync"], "pushes went back");
    assert_eq!(a.password("github"), "pw-A-new");
    assert!(history(&a, "github").contains("pw-0-original"), "{}", history(&a, "github"));
    assert_eq!(a.run(&["get", "bank"]).status.code(), Some(3), "nothing of B's branch reached A");

    // B is shown A's branch, with a seq above everything B saw and every item resent.
    replay_with_seq(&mut server, &a_branch, 1000);
    refused(&b, &["sync"]);
    assert_eq!(b.password("github"), "pw-B-branch-2");
    assert_eq!(b.password("bank"), "bank-B");
    // And A's branch as it was (its own seq): refused too.
    server.restore(&a_branch);
    refused(&b, &["sync"]);
    // A is happy with its own branch: nothing was lost on either side.
    a.ok(&["sync"]);
    assert_eq!(a.password("github"), "pw-A-new");
}

/// An older full state, replayed with a seq above everything the devices saw (so the seq check
/// cannot give it away) and every item resent: refused by every device that saw later pushes.
#[test]
fn an_old_state_replayed_with_a_higher_seq_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let old = server.snapshot();
    set_password(&a, "github", "gh-2");
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    set_password(&b, "mail", "mail-1");
    b.ok(&["sync"]);
    a.ok(&["sync"]);

    replay_with_seq(&mut server, &old, 1000);
    refused(&a, &["sync"]);
    refused(&b, &["sync"]);
    // The same old state without a seq bump, and with only its own items: refused too.
    server.restore(&old);
    refused(&a, &["sync"]);
    refused(&b, &["sync"]);
    for d in [&a, &b] {
        assert_eq!(d.password("github"), "gh-2");
        assert_eq!(d.password("mail"), "mail-1");
    }
}

/// The server acknowledges A's push and then drops exactly it (the state before it comes back),
/// and B pushes on top of that state: A must refuse a history without its own push, whether B
/// pushed once (the same push number as A's) or twice (a longer branch).
#[test]
fn a_branch_without_the_devices_own_push_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let before_push = server.snapshot();
    set_password(&a, "github", "gh-A");
    a.ok(&["sync"]);

    // Dropped; B pushes once: another state with A's push number.
    server.restore(&before_push);
    set_password(&b, "other", "o-1");
    b.ok(&["sync"]);
    refused(&a, &["sync"]);
    resend_everything(&mut server);
    refused(&a, &["sync"]);

    // B pushes again: a longer branch.
    set_password(&b, "other", "o-2");
    b.ok(&["sync"]);
    refused(&a, &["sync"]);
    resend_everything(&mut server);
    refused(&a, &["sync"]);
    assert_eq!(a.password("github"), "gh-A");
}

/// A whole-account rollback is refused by `sync`, and stays refused through a logout and a new
/// login, under the same URL spelled differently (`/` at the end, `localhost`): the accepted
/// head survives sessions and URLs. Both devices keep the new password.
#[test]
fn a_rollback_stays_refused_through_logout_login_and_respelled_urls() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-old");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let old = server.snapshot();
    set_password(&a, "github", "gh-new");
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    let honest = server.snapshot();

    server.restore(&old);
    refused(&a, &["sync"]);
    refused(&b, &["sync"]);
    a.ok(&["logout"]);
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    let spellings = [
        server.url.clone(),
        format!("{}/", server.url),
        format!("http://localhost:{port}"),
        format!("http://LOCALHOST:{port}/"),
    ];
    for url in &spellings {
        refused(&a, &["login", "--server", url, "--insecure-kdf"]);
    }
    // Not connected after the refused logins: a sync says so (logged out, `hush login`), and
    // changes nothing.
    let out = fails_with(&a, &a.password_file(), &["sync"], 2);
    assert!(stderr(&out).contains("logged out"), "{}", stderr(&out));
    // B never logged out: still refused, and again after a logout and a login.
    refused(&b, &["sync"]);
    b.ok(&["logout"]);
    refused(&b, &["login", "--server", &spellings[2], "--insecure-kdf"]);
    for d in [&a, &b] {
        assert_eq!(d.password("github"), "gh-new");
        assert!(history(d, "github").contains("gh-old"));
    }

    // The honest state back: A logs in (under another spelling) and is in step; the rollback is
    // still refused afterwards, so the head it accepted survived every refused login.
    server.restore(&honest);
    assert_ok(&relogin(&a, &spellings[2]), &["login to the honest state"]);
    a.ok(&["sync"]);
    rollback_vault(&mut server, &old);
    refused(&a, &["sync"]);
    assert_eq!(a.password("github"), "gh-new");
}

/// A history in which another device's push, which this device saw, is missing: the device's
/// own entry is intact, but the other writer's is gone (rule 4: every writer of the accepted
/// head must still be there, at the same push or a later one).
#[test]
fn a_history_that_lost_another_devices_push_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let c = logged_in(&server.url, &code, Some("tablet"));
    let before_b = server.snapshot();
    set_password(&b, "mail", "mail-from-b");
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(a.password("mail"), "mail-from-b");

    // B's push is dropped; C, which never saw it, builds a longer history where B never pushed.
    server.restore(&before_b);
    for n in 1..=3 {
        set_password(&c, "bank", &format!("bank-{n}"));
        c.ok(&["sync"]);
    }
    refused_because(&a, &["sync"], "missing from the server's history");
    resend_everything(&mut server);
    refused(&a, &["sync"]);
    refused(&b, &["sync"]);
    assert_eq!(a.password("mail"), "mail-from-b");
    assert_eq!(a.run(&["get", "bank"]).status.code(), Some(3));
}

/// The server stores a push but its author never hears back (a crash before the answer): the
/// author pushes its pending changes again, with more on top, on the state before. Another
/// device that saw the first copy accepts the second history (crypto-v2.md, "What is left")
/// and loses nothing: the first copy's password is current or in the history.
#[test]
fn a_push_whose_answer_was_lost_is_superseded_and_nothing_is_lost() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    // B has pushed before, so it has a device id in the history.
    set_password(&b, "mail", "m-0");
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    let before = server.snapshot();
    set_password(&b, "github", "gh-b-first-copy");
    let b_before_sync = b.contents();
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(a.password("github"), "gh-b-first-copy");

    // B never got the answer: its files are as before the sync, the change still pending (but
    // for its push numbers, reserved before sending and never given back).
    server.restore(&before);
    forget_the_answer(&b_before_sync);
    set_password(&b, "github", "gh-b-later");
    b.ok(&["sync"]);
    set_password(&b, "mail", "m-1");
    b.ok(&["sync"]);
    set_password(&b, "mail", "m-2");
    b.ok(&["sync"]);
    resend_everything(&mut server);
    a.ok(&["sync"]);
    assert_eq!(a.password("github"), "gh-b-later");
    assert!(history(&a, "github").contains("gh-b-first-copy"), "{}", history(&a, "github"));
    assert_eq!(a.password("mail"), "m-2");
}

/// Puts every file of a device back as it was in `before`, as if the sync that followed had
/// failed (the CLI writes the vault only after success): all but `push-numbers`, which a push
/// reserves on disk before it is sent (docs/spec/crypto-v2.md, "Push numbers").
fn forget_the_answer(before: &BTreeMap<PathBuf, Vec<u8>>) {
    for (path, bytes) in before {
        if !path.ends_with("push-numbers") {
            std::fs::write(path, bytes).unwrap();
        }
    }
}

/// The hole the property test in hush-sync found (`the_retry_below_a_forgotten_push_found_by_
/// the_property`), on the real server: A's push is stored but A never hears of it; A, shown the
/// older state again, pushes its change once more (the retry lands at a *lower* counter than the
/// stored copy), and B then grows the stored copy's branch, which lacks A's acknowledged retry.
/// With `keep_push_numbers` false, A's `push-numbers` file is lost along with the answer.
/// Returns the server and A, about to be shown that branch.
fn retry_below_a_forgotten_push(keep_push_numbers: bool) -> (Server, Home) {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-0");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    set_password(&b, "mail", "m-0");
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    let node0 = server.snapshot();
    set_password(&b, "mail", "m-1");
    b.ok(&["sync"]);

    // A pulls B's push and pushes on it; the server stores the push, A gets no answer.
    set_password(&a, "bank", "bank-0");
    let a_before = a.contents();
    a.ok(&["sync"]);
    let stored_copy = server.snapshot();
    if keep_push_numbers {
        forget_the_answer(&a_before);
    } else {
        for (path, bytes) in &a_before {
            std::fs::write(path, bytes).unwrap();
        }
    }

    // A is shown the state it accepted last and pushes its change again, with a new password.
    server.restore(&node0);
    set_password(&a, "github", "gh-acknowledged");
    a.ok(&["sync"]);
    // B goes on from the stored copy, which it extends.
    server.restore(&stored_copy);
    set_password(&b, "mail", "m-2");
    b.ok(&["sync"]);
    (server, a)
}

/// With its push numbers, A numbered the retry above the forgotten copy: the branch names A at
/// a lower number than the retry A holds, and rule 4 refuses it (with counters it passed).
#[test]
fn a_branch_from_a_push_whose_answer_was_lost_cannot_drop_the_retry() {
    let (_server, a) = retry_below_a_forgotten_push(true);
    refused_because(&a, &["sync"], "went back");
    assert_eq!(a.password("github"), "gh-acknowledged");
    assert_eq!(a.password("bank"), "bank-0");
}

/// A device that lost its `push-numbers` file with the answer numbers its retry from the head it
/// holds: the same number as the forgotten copy, so the branch names A's number with another
/// push, and rule 4 refuses it as a fork. (What stays open without the file needs two forgotten
/// pushes in a row: docs/threat-model.md, "Push numbers".)
#[test]
fn without_its_push_numbers_file_a_single_forgotten_push_is_still_caught() {
    let (_server, a) = retry_below_a_forgotten_push(false);
    refused_because(&a, &["sync"], "differs from the one this device saw");
    assert_eq!(a.password("github"), "gh-acknowledged");
}

// ---------------------------------------------------------------------------------------------
// 5–6: password changes and old keys

/// Puts the keys of `snapshot` (KDF parameters and salt, auth public key, keyset, key version)
/// back into every account row, leaving items, manifest and seq as they are.
fn replay_keys(server: &mut Server, snapshot: &hush_e2e::Snapshot) {
    server.edit(|db| {
        db.with_old(snapshot, |db| {
            db.script(
                "UPDATE accounts SET (kdf_m_kib, kdf_t, kdf_p, kdf_salt, auth_public_key, keyset, key_version) =
                     (SELECT kdf_m_kib, kdf_t, kdf_p, kdf_salt, auth_public_key, keyset, key_version
                      FROM old.accounts o WHERE o.account_id = accounts.account_id);",
            )
        })
    });
}

use hush_e2e::NEW_PASSWORD;

/// `hush passwd` on `home` to [`NEW_PASSWORD`]; the home's password file then holds it.
fn change_password(home: &Home) {
    let new = password_file(home, "new-password", NEW_PASSWORD);
    home.ok(&["passwd", "--insecure-kdf", "--new-password-file", new.to_str().unwrap()]);
    home.write("password", &format!("{NEW_PASSWORD}\n"));
}

/// After `hush passwd`, the server puts the old keyset, KDF parameters and auth key back. No
/// device goes back to the old keys: `sync` is refused on the device that changed the password,
/// on a device that logged in with the new one, and on a device that never did (the items are
/// sealed under the new key); a login with the old password never succeeds; and the old
/// password opens no device's vault afterwards.
#[test]
fn a_replayed_old_keyset_is_refused_and_the_old_password_stays_dead() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let c = logged_in(&server.url, &code, Some("tablet"));
    let old_keys = server.snapshot();
    change_password(&a);
    set_password(&a, "after-change", "written-after");
    a.ok(&["sync"]);
    // B logs in with the new password; C does not.
    assert_eq!(b.run(&["sync"]).status.code(), Some(2));
    b.write("password", &format!("{NEW_PASSWORD}\n"));
    assert_ok(&relogin(&b, &server.url), &["login with the new password"]);
    let new_keys = server.snapshot();

    replay_keys(&mut server, &old_keys);
    // The rekey revoked C's session; the server brings it back so that C syncs at all.
    server.edit(|db| {
        db.with_old(&old_keys, |db| {
            db.script(
                "INSERT INTO sessions SELECT * FROM old.sessions
                 WHERE session_id NOT IN (SELECT session_id FROM sessions);",
            )
        })
    });
    refused_because(&a, &["sync"], "keyset went back");
    refused_because(&b, &["sync"], "keyset went back");
    refused_because(&c, &["sync"], "failed to authenticate");
    for d in [&a, &b, &c] {
        let old = password_file(d, "old-password", PASSWORD);
        let before = d.contents();
        let out = run_with(d, &old, &["login", "--server", &server.url, "--insecure-kdf"]);
        assert!(matches!(out.status.code(), Some(5 | 6)), "a login with the old password: {}", stderr(&out));
        assert_unchanged(d, &before, "a refused login with the old password");
    }
    // The device that logged in with the new password refuses it with the old one too.
    let old = password_file(&b, "old-password", PASSWORD);
    refused_with(&b, &old, &["login", "--server", &server.url, "--insecure-kdf"]);
    // A new device with the old password: the old keyset opens, the items written since do not.
    let d = Home::new();
    let code_file = d.write("code", &code);
    let out = d.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_tampering(&out, "a new device logging in with the old password to the old keyset");
    assert!(!d.path().join("vault.hush").exists() && !d.path().join("account.key").exists());

    // No local header went back: the old password opens neither A's nor B's vault.
    for d in [&a, &b] {
        let old = password_file(d, "old-password", PASSWORD);
        fails_with(d, &old, &["ls"], 5);
        assert_eq!(d.password("after-change"), "written-after");
    }
    // The honest keys back: everyone with the new password is in step again.
    replay_keys(&mut server, &new_keys);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
}

/// The server acknowledges a password change and keeps the old keyset (a trigger reverts the
/// row as the server writes it, and another keeps the sessions the change revokes). `passwd`
/// itself reports it, and the device keeps refusing the old keyset.
#[test]
fn a_password_change_the_server_silently_dropped_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    server.edit(|db| match db.store() {
        Store::Sqlite => db.script(
            "CREATE TRIGGER keep_old_keys AFTER UPDATE OF keyset ON accounts BEGIN
                 UPDATE accounts SET kdf_m_kib = OLD.kdf_m_kib, kdf_t = OLD.kdf_t, kdf_p = OLD.kdf_p,
                     kdf_salt = OLD.kdf_salt, auth_public_key = OLD.auth_public_key,
                     keyset = OLD.keyset, key_version = OLD.key_version
                 WHERE account_id = NEW.account_id;
             END;
             CREATE TRIGGER keep_sessions BEFORE DELETE ON sessions BEGIN SELECT RAISE(IGNORE); END;",
        ),
        Store::Postgres => db.script(
            "CREATE FUNCTION keep_old_keys() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                 NEW.kdf_m_kib := OLD.kdf_m_kib; NEW.kdf_t := OLD.kdf_t; NEW.kdf_p := OLD.kdf_p;
                 NEW.kdf_salt := OLD.kdf_salt; NEW.auth_public_key := OLD.auth_public_key;
                 NEW.keyset := OLD.keyset; NEW.key_version := OLD.key_version;
                 RETURN NEW;
             END $$;
             CREATE TRIGGER keep_old_keys BEFORE UPDATE OF keyset ON accounts
                 FOR EACH ROW EXECUTE FUNCTION keep_old_keys();
             CREATE FUNCTION keep_sessions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
             CREATE TRIGGER keep_sessions BEFORE DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION keep_sessions();",
        ),
    });
    // passwd itself notices: the push of the re-sealed items pulls the old keyset first.
    let new = password_file(&a, "new-password", NEW_PASSWORD);
    let out = a.run(&["passwd", "--insecure-kdf", "--new-password-file", new.to_str().unwrap()]);
    assert_tampering(&out, "passwd against a server that dropped the new keyset");
    a.write("password", &format!("{NEW_PASSWORD}\n"));
    refused_because(&a, &["sync"], "keyset went back");
    // Nothing sealed under the new key ever reached the server (A refused before pushing it), so
    // B, which still has the old password, sees nothing new.
    b.ok(&["sync"]);
    assert_eq!(a.password("github"), "gh-1");
    assert_eq!(b.password("github"), "gh-1");
    // The triggers gone, the server still holds the old keyset: A keeps refusing it (its
    // re-sealed items stay queued on A).
    server.edit(|db| match db.store() {
        Store::Sqlite => db.script("DROP TRIGGER keep_old_keys; DROP TRIGGER keep_sessions;"),
        Store::Postgres => {
            db.script("DROP TRIGGER keep_old_keys ON accounts; DROP TRIGGER keep_sessions ON sessions;")
        }
    });
    refused_because(&a, &["sync"], "keyset went back");
}

/// A copy of the vault from before `hush passwd`, with the old password, reads nothing written
/// after the change: the backup that passwd leaves does not open with the old password, the
/// old copy cannot log in (the server has the new auth key), and even a server that helps it
/// with the old keyset only gets it a refusal: the new items do not open with the old ring.
#[test]
fn old_copies_and_the_old_password_read_nothing_written_after_a_change() {
    let mut server = Server::start();
    let (a, _code) = registered(&server, "laptop");
    set_password(&a, "before", "before-secret");
    a.ok(&["sync"]);
    let old_copy: Vec<(PathBuf, Vec<u8>)> = ["vault.hush", "account.key"]
        .iter()
        .map(|f| (PathBuf::from(f), std::fs::read(a.path().join(f)).unwrap()))
        .collect();
    let old_keys = server.snapshot();
    change_password(&a);

    // A scratch home with `vault` as its vault.hush and A's account key.
    let home_with = |vault: &[u8]| {
        let h = Home::new();
        std::fs::create_dir(h.path()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(h.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(h.path().join("vault.hush"), vault).unwrap();
        std::fs::copy(a.path().join("account.key"), h.path().join("account.key")).unwrap();
        h
    };
    // The backup passwd left, and the vault itself: not with the old password; with the new one.
    for file in ["vault.hush.bak", "vault.hush"] {
        let h = home_with(&std::fs::read(a.path().join(file)).unwrap());
        fails_with(&h, &h.password_file(), &["ls"], 5);
        let new = password_file(&h, "new", NEW_PASSWORD);
        assert_ok(&run_with(&h, &new, &["ls"]), &["ls", file, "with the new password"]);
    }

    set_password(&a, "after", "after-secret");
    a.ok(&["sync"]);
    // The old copy opens with the old password (it is a copy of what it was), without "after".
    let old = home_with(&old_copy[0].1);
    assert_eq!(old.password("before"), "before-secret");
    assert_eq!(old.run(&["get", "after"]).status.code(), Some(3));
    // It cannot log in: the server holds the new auth key.
    fails_with(&old, &old.password_file(), &["login", "--server", &server.url, "--insecure-kdf"], 5);
    // A server that puts the old keys back for it: the items sealed since do not open.
    replay_keys(&mut server, &old_keys);
    refused_because(&old, &["login", "--server", &server.url, "--insecure-kdf"], "failed to authenticate");
    assert_eq!(old.run(&["get", "after"]).status.code(), Some(3));
}

// ---------------------------------------------------------------------------------------------
// 7: exit codes on every path

/// Flips one bit inside the ciphertext of the blob of the item `id` (an SQL blob literal).
fn alter_item(db: &mut hush_e2e::Db, id: &str) {
    let mut blob = db.blob(&format!("SELECT blob FROM items WHERE item_id = {id}"));
    blob[40] ^= 1;
    assert_eq!(db.exec(&format!("UPDATE items SET blob = ? WHERE item_id = {id}"), &[&blob]), 1);
}

/// A new device logging in to a server whose item blob was altered: exit 6, and nothing is
/// written (no vault, no account key).
#[test]
fn tampering_found_by_login_on_a_new_device_exits_6_and_writes_nothing() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    set_password(&a, "mail", "m-1");
    a.ok(&["sync"]);
    let id = item_id_sql(&a, "github");
    server.edit(|db| alter_item(db, &id));
    let b = Home::new();
    let code_file = b.write("code", &code);
    let out = b.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_tampering(&out, "login on a new device");
    assert!(stderr(&out).contains("failed to authenticate"), "{}", stderr(&out));
    assert!(
        !b.path().join("vault.hush").exists() && !b.path().join("account.key").exists(),
        "a refused login wrote files: {:?}",
        b.files()
    );
    // A does not pull the altered blob (nothing changed after its seq)…
    a.ok(&["sync"]);
    // …until the server sends it.
    resend_everything(&mut server);
    refused_because(&a, &["sync"], "failed to authenticate");
}

/// What a server can lie about while a vault registers: the first pull after the account is
/// created (a trigger in the database changes the new account as the server writes it).
/// Every lie is refused with exit 6 and the vault stays as it was, unconnected.
#[test]
fn tampering_found_by_register_exits_6_and_changes_nothing() {
    let server = Server::start();
    // The attacker's own account, whose keyset and manifest it can hand out.
    let (_decoy, _) = registered(&server, "laptop");
    _decoy.ok(&["add", "decoy", "--generate"]);
    _decoy.ok(&["sync"]);
    let mut server = server;
    let lies = [
        (
            "an item the vault never had",
            "INSERT INTO items (account_id, item_id, seq, blob)
                 VALUES (NEW.account_id, RANDOM_16, 1, RANDOM_333);",
            "already holds data",
        ),
        (
            "another account's keyset",
            "UPDATE accounts SET keyset = (SELECT keyset FROM accounts WHERE account_id != NEW.account_id LIMIT 1)
                 WHERE account_id = NEW.account_id;",
            "swapped the keyset",
        ),
        (
            "another account's manifest",
            "UPDATE accounts SET manifest = (SELECT manifest FROM accounts WHERE account_id != NEW.account_id LIMIT 1)
                 WHERE account_id = NEW.account_id;",
            "already holds data",
        ),
    ];
    for (what, action, because) in lies {
        server.edit(|db| match db.store() {
            Store::Sqlite => {
                let action =
                    action.replace("RANDOM_16", "randomblob(16)").replace("RANDOM_333", "randomblob(333)");
                db.script("DROP TRIGGER IF EXISTS lie_at_registration;");
                db.script(&format!(
                    "CREATE TRIGGER lie_at_registration AFTER INSERT ON accounts BEGIN {action} END;"
                ));
            }
            Store::Postgres => {
                // PostgreSQL has no randomblob(): an MD5 of random() is 16 random-looking bytes.
                let action = action.replace("RANDOM_16", "decode(md5(random()::text), 'hex')").replace(
                    "RANDOM_333",
                    "substring(decode(repeat(md5(random()::text), 21), 'hex') from 1 for 333)",
                );
                db.script(&format!(
                    "DROP TRIGGER IF EXISTS lie_at_registration ON accounts;
                     CREATE OR REPLACE FUNCTION lie_at_registration() RETURNS trigger LANGUAGE plpgsql AS $$
                         BEGIN {action} RETURN NULL; END $$;
                     CREATE TRIGGER lie_at_registration AFTER INSERT ON accounts
                         FOR EACH ROW EXECUTE FUNCTION lie_at_registration();"
                ));
            }
        });
        let home = Home::new();
        home.init();
        set_password(&home, "github", "gh-1");
        let invite = server.invite();
        let out = refused(&home, &["register", "--server", &server.url, "--invite", &invite]);
        assert!(stderr(&out).contains(because), "{what}: {}", stderr(&out));
        let out = home.run(&["sync"]);
        assert_eq!(out.status.code(), Some(2), "{what}: not connected: {}", stderr(&out));
    }
}

/// With `[sync] auto = true`, a change triggers a sync; when that sync finds tampering the
/// command exits 6 with TAMPERING, the change itself is saved, and nothing of the pull is applied.
#[test]
fn tampering_found_by_auto_sync_exits_6_and_keeps_the_change() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    std::fs::write(a.path().join("config.toml"), "[sync]\nauto = true\n").unwrap();
    set_password(&b, "from-b", "b-secret");
    b.ok(&["sync"]);
    let id = item_id_sql(&b, "from-b");
    let honest = server.snapshot();
    server.edit(|db| alter_item(db, &id));
    // add (the one-item editor path), edit, rm; and import (the whole-vault path).
    let out = a.run_stdin(&["add", "local-new", "--password-stdin"], "new-secret\n");
    assert_tampering(&out, "add with auto-sync");
    assert_eq!(a.password("local-new"), "new-secret");
    let out = a.run_stdin(&["edit", "github", "--password-stdin"], "gh-2\n");
    assert_tampering(&out, "edit with auto-sync");
    assert_eq!(a.password("github"), "gh-2");
    let out = a.run(&["rm", "local-new", "--yes"]);
    assert_tampering(&out, "rm with auto-sync");
    assert_eq!(a.run(&["get", "local-new"]).status.code(), Some(3));
    let csv = a.write("import.csv", "name,url,username,password,note\nimported,,u,imp-secret,\n");
    let out = a.run(&["import", "--from", "chrome-csv", csv.to_str().unwrap()]);
    assert_tampering(&out, "import with auto-sync");
    assert_eq!(a.password("imported"), "imp-secret");
    assert_eq!(a.run(&["get", "from-b"]).status.code(), Some(3), "nothing of the pull was applied");
    // The explicit sync says the same, and the changes stay queued: once the server is honest
    // they reach B.
    refused(&a, &["sync"]);
    server.restore(&honest);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(a.password("from-b"), "b-secret");
    assert_eq!(b.password("github"), "gh-2");
    assert_eq!(b.password("imported"), "imp-secret");
    assert_eq!(b.run(&["get", "local-new"]).status.code(), Some(3));
}

/// A wrong master password is exit code 5 on every path that asks for it, and changes nothing.
#[test]
fn a_wrong_password_exits_5_everywhere() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let wrong = password_file(&a, "wrong", "not the password");
    // A new device: nothing written.
    let b = Home::new();
    let code_file = b.write("code", &code);
    let wrong_b = password_file(&b, "wrong", "not the password");
    let out = run_with(
        &b,
        &wrong_b,
        &[
            "login",
            "--server",
            &server.url,
            "--setup-code-file",
            code_file.to_str().unwrap(),
            "--insecure-kdf",
        ],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(!b.path().join("vault.hush").exists() && !b.path().join("account.key").exists());
    // A device that has the vault, connected or not.
    fails_with(&a, &wrong, &["login", "--server", &server.url, "--insecure-kdf"], 5);
    fails_with(&a, &wrong, &["--no-agent", "sync"], 5);
    let new = password_file(&a, "new", NEW_PASSWORD);
    fails_with(&a, &wrong, &["passwd", "--insecure-kdf", "--new-password-file", new.to_str().unwrap()], 5);
    fails_with(&a, &wrong, &["logout", "--delete-account", "--yes"], 5);
    a.ok(&["logout"]);
    fails_with(&a, &wrong, &["login", "--server", &server.url, "--insecure-kdf"], 5);
    assert_ok(&relogin(&a, &server.url), &["login with the right password"]);
    a.ok(&["sync"]);
}

// ---------------------------------------------------------------------------------------------
// 8: fingerprints

/// Runs `hush lock` for a home when dropped, so that no agent outlives the test.
struct AgentGuard<'a>(&'a Home);

impl Drop for AgentGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.cmd().arg("lock").output();
    }
}

fn unlock(home: &Home) -> AgentGuard<'_> {
    let guard = AgentGuard(home);
    home.ok(&["unlock"]);
    guard
}

/// The fingerprint `hush status --json` shows (through the agent: no password given).
fn fingerprint(home: &Home) -> String {
    let out = home.cmd().args(["status", "--json"]).output().unwrap();
    assert_ok(&out, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    status["sync"]["head"]["fingerprint"].as_str().unwrap_or_else(|| panic!("no head in {status}")).to_owned()
}

/// Two devices at the same head show the same fingerprint; after one pushes they differ; once
/// the other syncs they agree again. `hush sync --json` names the same head.
#[test]
fn status_fingerprints_agree_exactly_when_heads_agree() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let _ga = unlock(&a);
    let _gb = unlock(&b);
    let first = fingerprint(&a);
    assert_eq!(first, fingerprint(&b));
    let shape = first.split('-').map(str::len).collect::<Vec<_>>();
    assert_eq!(shape, [4, 4, 4], "{first}");

    set_password(&a, "github", "gh-2");
    let json: serde_json::Value = serde_json::from_str(&a.ok(&["sync", "--json"])).unwrap();
    let pushed = fingerprint(&a);
    assert_eq!(json["head"]["fingerprint"], pushed.as_str());
    assert_ne!(pushed, first);
    assert_eq!(fingerprint(&b), first, "B has not synced yet");
    b.ok(&["sync"]);
    assert_eq!(fingerprint(&b), pushed);
    // Syncing again with nothing new changes nothing.
    a.ok(&["sync"]);
    assert_eq!(fingerprint(&a), pushed);
}

// ---------------------------------------------------------------------------------------------
// 9–10: devices and accounts

fn devices(home: &Home) -> Vec<serde_json::Value> {
    serde_json::from_str(&home.ok(&["devices", "--json"])).unwrap()
}

/// Device names leave the device sealed: no server file holds one, `hush devices` shows them,
/// a device is revoked by its name, and the default name is not the host name.
#[test]
fn device_names_are_sealed_listed_and_revocable() {
    let server = Server::start();
    let a = Home::new();
    let code = a.init();
    a.ok(&[
        "register",
        "--server",
        &server.url,
        "--invite",
        &server.invite(),
        "--device-name",
        "Zanzibar-laptop",
    ]);
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("Quixotic-phone"));
    // A third device with the default name.
    let c = Home::new();
    let code_file = c.write("code", &code);
    c.ok(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    let list = devices(&c);
    let names: Vec<&str> = list.iter().filter_map(|d| d["name"].as_str()).collect();
    assert_eq!(names.len(), 3, "{list:?}");
    assert!(names.contains(&"Zanzibar-laptop") && names.contains(&"Quixotic-phone"), "{names:?}");
    let default = list.iter().find(|d| d["current"] == true).unwrap()["name"].as_str().unwrap().to_owned();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_owned();
    assert!(
        !host.is_empty() && !default.contains(&host),
        "the default name {default:?} has the host name {host:?}"
    );
    assert!(default.contains("device, added"), "{default}");

    let mut sealed = 0;
    for (f, bytes) in server.stored() {
        for name in ["Zanzibar", "Quixotic", default.as_str(), host.as_str()] {
            if name.len() >= 6 {
                assert!(!contains_bytes(&bytes, name.as_bytes()), "{f} holds {name:?}");
            }
        }
        sealed += 1;
    }
    assert!(sealed > 0);

    a.ok(&["devices", "revoke", "Quixotic-phone"]);
    let out = b.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("hush login"), "{}", stderr(&out));
    let names: Vec<String> =
        devices(&a).iter().filter_map(|d| d["name"].as_str().map(str::to_owned)).collect();
    assert!(!names.iter().any(|n| n == "Quixotic-phone"), "{names:?}");
}

/// Deleting the account proves the master password: a wrong one is exit 5 and the account
/// stays (another device still syncs); the right one deletes it.
#[test]
fn account_deletion_needs_the_password() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let wrong = password_file(&a, "wrong", "not the password");
    fails_with(&a, &wrong, &["logout", "--delete-account", "--yes"], 5);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    a.ok(&["logout", "--delete-account", "--yes"]);
    let out = b.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // Gone: a login finds no account; the vaults stay on both devices.
    let out = relogin(&b, &server.url);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(a.password("github"), "gh-1");
    assert_eq!(b.password("github"), "gh-1");
}

// ---------------------------------------------------------------------------------------------
// 11: resetting trust

/// The admin restores a backup on purpose. Both devices report the rollback; each resets trust
/// on its own; they converge, and no password of either is lost.
#[test]
fn reset_trust_after_a_deliberate_rollback_converges_and_loses_nothing() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    set_password(&a, "mail", "mail-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let backup = server.snapshot();
    set_password(&a, "github", "gh-2-after-backup");
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    set_password(&b, "bank", "bank-after-backup");
    set_password(&b, "mail", "mail-2-after-backup");
    b.ok(&["sync"]);
    a.ok(&["sync"]);

    rollback_vault(&mut server, &backup);
    refused(&a, &["sync"]);
    refused(&b, &["sync"]);
    // Without --yes and without a terminal, nothing happens.
    let out = a.run(&["sync", "--reset-trust"]);
    assert_ne!(out.status.code(), Some(0));
    a.ok(&["sync", "--reset-trust", "--yes"]);
    a.ok(&["sync"]);
    // B still refuses (A's reset does not extend what B accepted) until it resets too.
    refused(&b, &["sync"]);
    b.ok(&["sync", "--reset-trust", "--yes"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(secrets(&a), secrets(&b));
    assert_eq!(a.password("github"), "gh-2-after-backup");
    assert_eq!(a.password("bank"), "bank-after-backup");
    assert_eq!(a.password("mail"), "mail-2-after-backup");
    assert!(history(&a, "github").contains("gh-1"));
    // A new device sees the same; the reset state is protected like any other.
    let c = logged_in(&server.url, &code, Some("tablet"));
    assert_eq!(secrets(&c), secrets(&a));
    rollback_vault(&mut server, &backup);
    refused(&a, &["sync"]);
    refused(&c, &["sync"]);
}

/// A rollback that only drops what was added since (every item left has the revision the devices
/// saw, so no item goes back): the head is what catches it, through `sync` and through a new
/// login, under any spelling of the URL.
#[test]
fn a_rollback_that_only_drops_new_items_is_caught_by_the_head() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let old = server.snapshot();
    set_password(&a, "added-later", "later-1");
    a.ok(&["sync"]);
    b.ok(&["sync"]);

    replay_with_seq(&mut server, &old, 1000);
    refused_because(&a, &["sync"], "history went back");
    refused_because(&b, &["sync"], "history went back");
    a.ok(&["logout"]);
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    refused_because(
        &a,
        &["login", "--server", &format!("http://localhost:{port}"), "--insecure-kdf"],
        "history went back",
    );
    refused_because(&a, &["login", "--server", &server.url, "--insecure-kdf"], "history went back");
    // Without the seq bump the seq gives it away first; refused all the same.
    server.restore(&old);
    refused(&b, &["sync"]);
    assert_eq!(a.password("added-later"), "later-1");
    assert_eq!(b.password("added-later"), "later-1");
}

// ---------------------------------------------------------------------------------------------
// Beyond the list: one lie per test

/// Two items' blobs swapped between their rows (each blob is authentic, under the other id).
#[test]
fn swapped_item_blobs_are_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    set_password(&a, "mail", "m-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let (gh, mail) = (item_id_sql(&a, "github"), item_id_sql(&a, "mail"));
    server.edit(|db| {
        let g = db.blob(&format!("SELECT blob FROM items WHERE item_id = {gh}"));
        let m = db.blob(&format!("SELECT blob FROM items WHERE item_id = {mail}"));
        db.exec(&format!("UPDATE items SET blob = ? WHERE item_id = {gh}"), &[&m]);
        db.exec(&format!("UPDATE items SET blob = ? WHERE item_id = {mail}"), &[&g]);
        db.exec("UPDATE accounts SET seq = seq + 1", &[]);
        db.exec("UPDATE items SET seq = (SELECT seq FROM accounts)", &[]);
    });
    refused_because(&a, &["sync"], "failed to authenticate");
    refused_because(&b, &["sync"], "failed to authenticate");
    let c = Home::new();
    let code_file = c.write("code", &code);
    let out = c.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_tampering(&out, "a new device");
}

/// The attacker's own account on the same server lends its item, manifest and keyset: each is
/// authentic, for another account, and refused.
#[test]
fn another_accounts_item_manifest_or_keyset_is_refused() {
    let mut server = Server::start();
    let (a, _) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let victim = server.edit(|db| db.blob("SELECT account_id FROM accounts"));
    let (evil, _) = registered(&server, "laptop");
    set_password(&evil, "github", "evil-gh");
    evil.ok(&["sync"]);
    let (gh, evil_gh) = (item_id_sql(&a, "github"), item_id_sql(&evil, "github"));
    let honest = server.snapshot();

    // The other account's item, under the victim's item id (and under its own id).
    for target in [gh.as_str(), evil_gh.as_str()] {
        server.edit(|db| {
            let blob = db.blob(&format!("SELECT blob FROM items WHERE item_id = {evil_gh}"));
            db.exec(
                &format!(
                    "INSERT INTO items (account_id, item_id, seq, blob) VALUES (?, {target}, 1000, ?)
                     ON CONFLICT (account_id, item_id) DO UPDATE SET seq = 1000, blob = excluded.blob"
                ),
                &[&victim, &blob],
            );
            db.exec("UPDATE accounts SET seq = 1000 WHERE account_id = ?", &[&victim]);
        });
        refused_because(&a, &["sync"], "failed to authenticate");
        server.restore(&honest);
    }
    // The other account's manifest.
    server.edit(|db| {
        db.exec(
            "UPDATE accounts SET seq = seq + 1, manifest = (SELECT manifest FROM accounts WHERE account_id != ?1)
             WHERE account_id = ?1",
            &[&victim],
        );
    });
    refused_because(&a, &["sync"], "manifest failed to authenticate");
    server.restore(&honest);
    // The other account's keyset (same key version).
    server.edit(|db| {
        db.exec(
            "UPDATE accounts SET keyset = (SELECT keyset FROM accounts WHERE account_id != ?1) WHERE account_id = ?1",
            &[&victim],
        );
    });
    refused_because(&a, &["sync"], "swapped the keyset");
    // A login with it: the keyset does not open (exit 5, as for a wrong password) or is refused.
    let before = a.contents();
    let out = relogin(&a, &server.url);
    assert!(matches!(out.status.code(), Some(5 | 6)), "{}", stderr(&out));
    assert_unchanged(&a, &before, "a login to another account's keyset");
    server.restore(&honest);
    a.ok(&["sync"]);
}

/// The `key_version` column changed alone (the keyset's own header says otherwise).
#[test]
fn a_key_version_that_disagrees_with_the_keyset_is_refused() {
    let mut server = Server::start();
    let (a, _) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    for v in [2, 0, 7] {
        server.edit(|db| db.exec(&format!("UPDATE accounts SET key_version = {v}"), &[]));
        refused_because(&a, &["sync"], "claims key version");
        let before = a.contents();
        let out = relogin(&a, &server.url);
        assert_tampering(&out, "login");
        assert_unchanged(&a, &before, "a refused login");
    }
    server.edit(|db| db.exec("UPDATE accounts SET key_version = 1", &[]));
    a.ok(&["sync"]);
}

/// One item served in an older version, alone (the current manifest) or with the manifest of
/// its time: refused whether the device pulls it or only a new device does.
#[test]
fn an_item_served_in_an_older_version_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    set_password(&a, "mail", "m-1");
    a.ok(&["sync"]);
    let gh = item_id_sql(&a, "github");
    let (old_blob, old_manifest) = server.edit(|db| {
        (
            db.blob(&format!("SELECT blob FROM items WHERE item_id = {gh}")),
            db.blob("SELECT manifest FROM accounts"),
        )
    });
    set_password(&a, "github", "gh-2");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let honest = server.snapshot();

    // The old blob in place, not resent: devices that have the new one never pull it, but a new
    // device does, and its digest does not add up.
    server.edit(|db| db.exec(&format!("UPDATE items SET blob = ? WHERE item_id = {gh}"), &[&old_blob]));
    a.ok(&["sync"]);
    let c = Home::new();
    let code_file = c.write("code", &code);
    let out = c.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_tampering(&out, "a new device pulling an old blob");
    assert!(stderr(&out).contains("do not match its manifest"), "{}", stderr(&out));
    // Resent: the item went back. B has a local edit of it pending (its merge base is the
    // current version): refused too, and the edit is kept.
    resend_everything(&mut server);
    refused_because(&a, &["sync"], "went back from revision");
    set_password(&b, "github", "gh-b-pending");
    refused_because(&b, &["sync"], "went back from revision");
    // With the manifest of its time as well (seq raised).
    server.edit(|db| db.exec("UPDATE accounts SET manifest = ?", &[&old_manifest]));
    refused(&a, &["sync"]);
    refused(&b, &["sync"]);
    server.restore(&honest);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(a.password("github"), "gh-b-pending");
    assert!(history(&a, "github").contains("gh-2"));
}

/// A deleted item brought back: its blob from before the deletion, resent. A device that saw
/// the deletion sees the item go back; a device that had not synced since sees an item set that
/// does not match the manifest; a new device too.
#[test]
fn a_deleted_item_brought_back_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    set_password(&a, "old-account", "old-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let c = logged_in(&server.url, &code, Some("tablet"));
    let id = item_id_sql(&a, "old-account");
    let live = server.edit(|db| db.blob(&format!("SELECT blob FROM items WHERE item_id = {id}")));
    a.ok(&["rm", "old-account", "--yes"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    server.edit(|db| {
        db.exec("UPDATE accounts SET seq = seq + 1", &[]);
        db.exec(
            &format!("UPDATE items SET blob = ?, seq = (SELECT seq FROM accounts) WHERE item_id = {id}"),
            &[&live],
        );
    });
    refused_because(&a, &["sync"], "went back from revision");
    refused_because(&b, &["sync"], "went back from revision");
    refused_because(&c, &["sync"], "do not match its manifest");
    let d = Home::new();
    let code_file = d.write("code", &code);
    let out = d.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_tampering(&out, "a new device");
    assert_eq!(a.run(&["get", "old-account"]).status.code(), Some(3));
}

/// An item row dropped (or withheld from the pulls by a lowered seq) while the manifest names
/// it: the devices that need it refuse; those that have it are not harmed.
#[test]
fn a_dropped_or_withheld_item_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    set_password(&a, "new-item", "n-1");
    a.ok(&["sync"]);
    let id = item_id_sql(&a, "new-item");
    let honest = server.snapshot();

    // Withheld: its seq lowered below what B saw, so B's pull leaves it out.
    server.edit(|db| db.exec(&format!("UPDATE items SET seq = 0 WHERE item_id = {id}"), &[]));
    refused_because(&b, &["sync"], "do not match its manifest");
    a.ok(&["sync"]);
    // Dropped.
    server.restore(&honest);
    server.edit(|db| db.exec(&format!("DELETE FROM items WHERE item_id = {id}"), &[]));
    refused_because(&b, &["sync"], "do not match its manifest");
    let c = Home::new();
    let code_file = c.write("code", &code);
    let out = c.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_tampering(&out, "a new device");
    // A has it and loses nothing; B gets it once the server is honest.
    a.ok(&["sync"]);
    assert_eq!(a.password("new-item"), "n-1");
    server.restore(&honest);
    b.ok(&["sync"]);
    assert_eq!(b.password("new-item"), "n-1");
}

/// The new items with the previous manifest (the manifest update withheld), and the new
/// manifest with the items withheld: neither adds up.
#[test]
fn new_items_with_a_stale_manifest_are_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let previous = server.edit(|db| db.blob("SELECT manifest FROM accounts"));
    set_password(&a, "github", "gh-2");
    set_password(&a, "other", "o-1");
    a.ok(&["sync"]);
    server.edit(|db| db.exec("UPDATE accounts SET manifest = ?", &[&previous]));
    refused_because(&b, &["sync"], "do not match its manifest");
    refused_because(&a, &["sync"], "history went back");
    assert_eq!(b.password("github"), "gh-1");
}

/// An account emptied: no manifest, no items (seq kept, or raised).
#[test]
fn an_emptied_account_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    for raise in [0, 10] {
        server.edit(|db| {
            db.exec("DELETE FROM items", &[]);
            db.exec(
                &format!(
                    "UPDATE accounts SET manifest = NULL, item_count = 0, blob_bytes = 0, seq = seq + {raise}"
                ),
                &[],
            );
        });
        refused_because(&a, &["sync"], "no manifest");
        refused_because(&b, &["sync"], "no manifest");
    }
    // Through a new login too, under any spelling of the URL.
    a.ok(&["logout"]);
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    for url in [server.url.clone(), format!("http://localhost:{port}")] {
        refused_because(&a, &["login", "--server", &url, "--insecure-kdf"], "no manifest");
    }
    assert_eq!(a.password("github"), "gh-1");
    assert_eq!(b.password("github"), "gh-1");
}

/// Only the seq raised: nothing else changes, and the devices go along (a seq that grows is no
/// lie); only the seq lowered: refused.
#[test]
fn a_raised_seq_changes_nothing_and_a_lowered_one_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    server.edit(|db| db.exec("UPDATE accounts SET seq = seq + 50", &[]));
    let before = secrets(&a);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(secrets(&a), before);
    set_password(&b, "github", "gh-2");
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(a.password("github"), "gh-2");
    server.edit(|db| db.exec("UPDATE accounts SET seq = seq - 1", &[]));
    refused_because(&a, &["sync"], "revision went back");
    refused_because(&b, &["sync"], "revision went back");
}

// ---------------------------------------------------------------------------------------------
// Honest servers: what the checks must not refuse

/// `hush logout --delete-account` says that no device can sync "until you `hush register`
/// again"; registering the same vault again, on the same server, must work and push everything.
#[test]
fn registering_again_after_deleting_the_account_works() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    a.ok(&["logout", "--delete-account", "--yes"]);
    // Today: exit 6, "the server has no manifest for a vault that has one"; the account is
    // created (the invite spent) but the vault stays unconnected, and then every way back is
    // closed: `register` again → 409 account_exists (exit 2), `login` → the same TAMPERING,
    // `sync --reset-trust` → not connected (exit 2).
    let out = a.run(&["register", "--server", &server.url, "--invite", &server.invite()]);
    assert_ok(&out, &["register again after --delete-account"]);
    a.ok(&["sync"]);
    let b = Home::new();
    let code_file = b.write("code", &code);
    b.ok(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_eq!(b.password("github"), "gh-1");
}

/// A vault moves to another server: `hush logout`, then `hush register` on the new one (an
/// honest, empty server). The device's accepted head stays, and the first push there extends it
/// (login.rs, `register`); a device that logs in there gets everything.
#[test]
fn a_vault_moves_to_another_server() {
    let old_server = Server::start();
    let (a, code) = registered(&old_server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let new_server = Server::start();
    a.ok(&["logout"]);
    let out = a.run(&["register", "--server", &new_server.url, "--invite", &new_server.invite()]);
    assert_ok(&out, &["register on a new server"]);
    let b = logged_in(&new_server.url, &code, Some("phone"));
    assert_eq!(b.password("github"), "gh-1");
}

// ---------------------------------------------------------------------------------------------
// The keyset's clear header, and the KDF parameters

/// The server raises the keyset's epoch in its clear header (and the key_version column): it
/// looks like a password change made elsewhere, which no device can tell from a real one
/// without the new password. `sync` stops (exit 2, "log in with the new master password"), a
/// login with the right password fails as a wrong one (exit 5: the forged keyset does not
/// open), a new device too; nothing changes anywhere, and the honest keyset is accepted again.
#[test]
fn a_forged_keyset_epoch_changes_nothing() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let honest = server.snapshot();
    server.edit(|db| {
        let mut keyset = db.blob("SELECT keyset FROM accounts");
        assert_eq!(&keyset[..5], &[2, 1, 0, 0, 0], "a version-2 keyset at epoch 1");
        keyset[1] = 2;
        db.exec("UPDATE accounts SET keyset = ?, key_version = 2", &[&keyset]);
    });
    let out = fails_with(&a, &a.password_file(), &["sync"], 2);
    assert!(stderr(&out).contains("hush login"), "{}", stderr(&out));
    fails_with(&a, &a.password_file(), &["login", "--server", &server.url, "--insecure-kdf"], 5);
    let c = Home::new();
    let code_file = c.write("code", &code);
    let out = c.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(!c.path().join("vault.hush").exists());
    server.restore(&honest);
    a.ok(&["sync"]);
    assert_eq!(a.password("github"), "gh-1");
}

/// The server flips the format byte of the device's own version-2 keyset to 1 (same epoch, same
/// ciphertext). A version-1 password change (a new keyset at the same epoch) can only follow a
/// version-1 keyset, and a version-2 server refuses any rekey that does not raise the epoch, so
/// for a device that holds a version-2 keyset this is a swap: TAMPERING, as for any other keyset
/// of its epoch (verify.rs, `check_keyset`).
#[test]
fn a_version_1_header_on_a_version_2_keyset_is_tampering() {
    let mut server = Server::start();
    let (a, _) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    server.edit(|db| {
        let mut keyset = db.blob("SELECT keyset FROM accounts");
        keyset[0] = 1;
        db.exec("UPDATE accounts SET keyset = ?", &[&keyset]);
    });
    refused_because(&a, &["sync"], "swapped the keyset");
    refused(&a, &["login", "--server", &server.url, "--insecure-kdf"]);
}

/// The server hands out weaker KDF parameters than the device holds (still above the floor),
/// parameters below the floor, or parameters above the ceiling: a login refuses them before any
/// key derivation (exit 2, "unsafe") and changes nothing. (A vault made with --insecure-kdf
/// holds no parameters to compare, so this one uses real ones.)
#[test]
fn kdf_parameters_the_server_weakens_are_refused_before_any_derivation() {
    let mut server = Server::start();
    let a = Home::new();
    let init = a.ok(&["init", "--kdf-memory-mib", "96", "--kdf-iterations", "3", "--kdf-parallelism", "1"]);
    let code = init.trim().to_owned();
    a.ok(&["register", "--server", &server.url, "--invite", &server.invite()]);
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let honest = server.snapshot();
    for (m_kib, t, p, what) in [
        (65536, 3, 1, "weaker memory than held, at the floor"),
        (98304, 2, 1, "fewer iterations than held"),
        (8192, 1, 1, "below the floor"),
        (8 * 1024 * 1024, 3, 1, "above the ceiling"),
        (98304, 3, 1000, "parallelism above the ceiling"),
    ] {
        server.edit(|db| {
            db.exec(&format!("UPDATE accounts SET kdf_m_kib = {m_kib}, kdf_t = {t}, kdf_p = {p}"), &[])
        });
        let out = fails_with(&a, &a.password_file(), &["login", "--server", &server.url], 2);
        assert!(stderr(&out).contains("unsafe"), "{what}: {}", stderr(&out));
        // A new device (without --insecure-kdf) refuses them too, or finds the keyset sealed for
        // other parameters (a wrong password, as far as it can tell).
        let b = Home::new();
        let code_file = b.write("code", &code);
        let out =
            b.run(&["login", "--server", &server.url, "--setup-code-file", code_file.to_str().unwrap()]);
        assert!(matches!(out.status.code(), Some(2 | 5)), "{what}: {}", stderr(&out));
        assert!(!b.path().join("vault.hush").exists());
        server.restore(&honest);
    }
    assert_ok(&relogin(&a, &server.url), &["login with the honest parameters"]);
}

// ---------------------------------------------------------------------------------------------
// Device names and backups

/// Names the owner's devices did not seal (another account's, or garbage of the right length)
/// do not open: they are listed without a name, never as text the server chose.
#[test]
fn device_names_from_elsewhere_are_listed_without_a_name() {
    let mut server = Server::start();
    let (a, _) = registered(&server, "laptop");
    let mine = server.edit(|db| db.blob("SELECT account_id FROM accounts"));
    let (_other, _) = registered(&server, "laptop");
    server.edit(|db| {
        // A second session of A's account with the other account's sealed name, and a third
        // with 110 bytes of garbage behind a valid header.
        let foreign =
            db.blob(&format!("SELECT device_name FROM sessions WHERE account_id != {}", sql_blob(&mine)));
        let mut garbage = vec![2u8, 0, 0, 0, 0];
        garbage.resize(110, 0x41);
        for (n, name) in [(1u8, &foreign), (2, &garbage)] {
            let mut id = vec![0xEEu8; 16];
            id[0] = n;
            let mut token = vec![0xDDu8; 32];
            token[0] = n;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            db.exec(
                &format!(
                    "INSERT INTO sessions (session_id, account_id, token_hash, device_name, created_at, last_seen)
                     VALUES (?, ?, ?, ?, {now}, {now})"
                ),
                &[&id, &mine, &token, name],
            );
        }
    });
    let list = devices(&a);
    assert_eq!(list.len(), 3, "{list:?}");
    let names: Vec<&serde_json::Value> = list.iter().map(|d| &d["name"]).collect();
    assert_eq!(names.iter().filter(|n| n.is_null()).count(), 2, "{list:?}");
    assert!(names.contains(&&serde_json::Value::from("laptop")));
}

/// After `hush passwd` no file on A opens with the old password (passwd replaces the backup).
/// A device that then logs in with the new password keeps, as `vault.hush.bak`, its vault from
/// before the login, which still opens with the old password until its next save. It holds
/// nothing written after the change (checked), but it breaks the rule passwd sets itself
/// ("nothing on disk opens with the old password": the old password may be why it changed).
#[test]
fn after_a_login_with_the_new_password_no_file_opens_with_the_old_one() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    change_password(&a);
    set_password(&a, "after", "after-secret");
    a.ok(&["sync"]);
    b.write("password", &format!("{NEW_PASSWORD}\n"));
    assert_ok(&relogin(&b, &server.url), &["login with the new password"]);
    for file in ["vault.hush", "vault.hush.bak"] {
        let h = Home::new();
        std::fs::create_dir(h.path()).unwrap();
        std::fs::copy(b.path().join(file), h.path().join("vault.hush")).unwrap();
        std::fs::copy(b.path().join("account.key"), h.path().join("account.key")).unwrap();
        let out = h.run(&["get", "after", "--field", "password"]);
        assert_ne!(
            out.status.code(),
            Some(0),
            "{file} with the old password shows an item written after the change"
        );
        assert_eq!(out.status.code(), Some(5), "{file} opens with the old password: {}", stderr(&out));
    }
}

// ---------------------------------------------------------------------------------------------
// A version-1 manifest

/// A version-1 manifest (no writers, no chain) replayed to a device that accepted a version-2
/// head: refused, even with a higher counter and a digest that matches the items. A version-2
/// account has none in its history; this one is sealed by the test with the account's own
/// vault key, as a version-1 client would have written it before the upgrade.
#[test]
fn a_version_1_manifest_after_a_version_2_head_is_refused() {
    use hush_crypto::{
        FloorPolicy, ItemId, KdfParams, KdfSalt, Keyset, KeysetContext, Manifest, ManifestDigest, SetupCode,
    };
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    set_password(&a, "mail", "m-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let (account_id, account_key) = SetupCode::parse(&code).unwrap();
    server.edit(|db| {
        let params = KdfParams {
            m_kib: db.int("SELECT kdf_m_kib FROM accounts") as u32,
            t: db.int("SELECT kdf_t FROM accounts") as u32,
            p: db.int("SELECT kdf_p FROM accounts") as u32,
        };
        let salt = KdfSalt(db.blob("SELECT kdf_salt FROM accounts").try_into().unwrap());
        let keys = hush_crypto::derive_keys(
            PASSWORD,
            &salt,
            &params,
            &account_id,
            &account_key,
            FloorPolicy::AllowInsecure,
        )
        .unwrap();
        let ctx = KeysetContext { account_id, params, salt, key_version: 1 };
        let ring = Keyset(db.blob("SELECT keyset FROM accounts")).open(&keys.kek, &ctx).unwrap();
        let ids = db.blobs("SELECT item_id FROM items ORDER BY item_id");
        let blobs = db.blobs("SELECT blob FROM items ORDER BY item_id");
        let digest = ManifestDigest::from_blobs(
            ids.iter()
                .zip(&blobs)
                .map(|(id, blob)| (ItemId(id.as_slice().try_into().unwrap()), blob.as_slice())),
        );
        let v1 = Manifest::seal_v1_with_nonce(ring.get(1).unwrap(), &account_id, 1, 9, &digest, &[7; 24]);
        db.exec("UPDATE accounts SET manifest = ?, seq = seq + 1", &[&v1]);
        db.exec("UPDATE items SET seq = (SELECT seq FROM accounts)", &[]);
    });
    refused_because(&a, &["sync"], "version-1 manifest came after");
    refused_because(&b, &["sync"], "version-1 manifest came after");
    a.ok(&["logout"]);
    refused(&a, &["login", "--server", &server.url, "--insecure-kdf"]);
}

// ---------------------------------------------------------------------------------------------
// More lies

/// Malformed or re-labelled blobs: an item blob empty, cut short, or with another format byte
/// or key version in its clear header (both are in the AAD); a manifest empty, cut short, or
/// re-labelled; a keyset empty or cut short. Each is refused by `sync`, and by a new login.
#[test]
fn malformed_or_relabelled_blobs_are_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let honest = server.snapshot();
    type Edit = fn(&mut Vec<u8>);
    let edits: [(&str, Edit); 6] = [
        ("empty", |b| b.clear()),
        ("one byte", |b| b.truncate(1)),
        ("cut short", |b| {
            let n = b.len() - 1;
            b.truncate(n)
        }),
        ("the other format byte (1 <-> 2)", |b| b[0] ^= 3),
        ("unknown format byte", |b| b[0] = 9),
        ("key version", |b| b[1] = b[1].wrapping_add(1)),
    ];
    for (column, table) in [("blob", "items"), ("manifest", "accounts"), ("keyset", "accounts")] {
        for (what, edit) in edits {
            if column == "keyset" && what.starts_with("the other format") {
                // See a_version_1_header_on_a_version_2_keyset_is_tampering.
                continue;
            }
            server.edit(|db| {
                let mut bytes = db.blob(&format!("SELECT {column} FROM {table} LIMIT 1"));
                edit(&mut bytes);
                db.exec(&format!("UPDATE {table} SET {column} = ?"), &[&bytes]);
                db.exec("UPDATE accounts SET seq = seq + 1", &[]);
                db.exec("UPDATE items SET seq = (SELECT seq FROM accounts)", &[]);
            });
            eprint!("{column}, {what}: ");
            refused(&a, &["sync"]);
            let d = Home::new();
            let code_file = d.write("code", &code);
            let out = d.run(&[
                "login",
                "--server",
                &server.url,
                "--setup-code-file",
                code_file.to_str().unwrap(),
                "--insecure-kdf",
            ]);
            // A keyset that does not open is a wrong password as far as a new device can tell.
            let allowed: &[i32] = if column == "keyset" { &[5, 6] } else { &[6] };
            assert!(
                out.status.code().is_some_and(|c| allowed.contains(&c)),
                "{column} {what}: a new device: {:?} {}",
                out.status.code(),
                stderr(&out)
            );
            assert!(!d.path().join("vault.hush").exists());
            server.restore(&honest);
        }
    }
    a.ok(&["sync"]);
}

/// `hush passwd` against a lying server: a rolled-back state is refused before any rekey is
/// sent (the server keeps the old keyset, the device its files); a server that refuses the
/// rekey changes nothing either.
#[test]
fn passwd_against_a_lying_or_refusing_server_changes_nothing() {
    let mut server = Server::start();
    let (a, _) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let old = server.snapshot();
    set_password(&a, "github", "gh-2");
    a.ok(&["sync"]);
    let honest = server.snapshot();
    let new = password_file(&a, "new-password", NEW_PASSWORD);
    let passwd = ["passwd", "--insecure-kdf", "--new-password-file", new.to_str().unwrap()];

    rollback_vault(&mut server, &old);
    refused(&a, &passwd);
    assert_eq!(server.edit(|db| db.int("SELECT key_version FROM accounts")), 1, "no rekey was sent");
    server.restore(&honest);
    server.edit(|db| match db.store() {
        Store::Sqlite => db.script(
            "CREATE TRIGGER refuse_rekey BEFORE UPDATE OF keyset ON accounts BEGIN SELECT RAISE(ABORT, 'no'); END;",
        ),
        Store::Postgres => db.script(
            "CREATE FUNCTION refuse_rekey() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no'; END $$;
             CREATE TRIGGER refuse_rekey BEFORE UPDATE OF keyset ON accounts
                 FOR EACH ROW EXECUTE FUNCTION refuse_rekey();",
        ),
    });
    let before = a.contents();
    let out = a.run(&passwd);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_unchanged(&a, &before, "a refused passwd");
    assert_eq!(a.password("github"), "gh-2", "the old password still opens the vault");
    server.edit(|db| match db.store() {
        Store::Sqlite => db.script("DROP TRIGGER refuse_rekey;"),
        Store::Postgres => db.script("DROP TRIGGER refuse_rekey ON accounts;"),
    });
    a.ok(&passwd);
}

/// After a password change, the manifest from before it (sealed with the old vault key, which
/// the ring still holds) served together with the new keyset: refused (a head sealed with an
/// older key than the accepted one).
#[test]
fn a_manifest_sealed_with_the_old_key_after_a_rotation_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let old_manifest = server.edit(|db| db.blob("SELECT manifest FROM accounts"));
    change_password(&a);
    b.write("password", &format!("{NEW_PASSWORD}\n"));
    assert_ok(&relogin(&b, &server.url), &["login with the new password"]);
    server.edit(|db| db.exec("UPDATE accounts SET manifest = ?, seq = seq + 1", &[&old_manifest]));
    refused(&a, &["sync"]);
    refused(&b, &["sync"]);
}

/// A brand-new device accepts the first consistent state it is shown, even an old one
/// (crypto-v2.md, "What is left"); the fingerprint `hush status` shows then differs from the
/// other devices', which is how the owner notices.
#[test]
fn a_new_device_shown_an_old_state_shows_another_fingerprint() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let old = server.snapshot();
    set_password(&a, "github", "gh-2");
    a.ok(&["sync"]);
    let honest = server.snapshot();
    rollback_vault(&mut server, &old);
    let c = logged_in(&server.url, &code, Some("tablet"));
    assert_eq!(c.password("github"), "gh-1");
    let _ga = unlock(&a);
    let _gc = unlock(&c);
    let (fa, fc) = (fingerprint(&a), fingerprint(&c));
    assert_ne!(fa, fc, "the new device is on an older state");
    // The refused sync leaves A's fingerprint as it was.
    refused(&a, &["sync"]);
    assert_eq!(fingerprint(&a), fa);
    // The honest state back: C moves forward to it and the fingerprints agree.
    rollback_vault(&mut server, &honest);
    c.ok(&["sync"]);
    assert_eq!(fingerprint(&c), fa);
    assert_eq!(c.password("github"), "gh-2");
}

/// The KDF salt the server hands out: of the wrong length (refused as tampering before any
/// derivation), or another one of the right length. A new device cannot tell that from a
/// wrong password (the keyset, bound to its salt, does not open); a device that has the vault
/// logs in with the keys it holds (docs/sync.md, "Logging in") and sees the server serve its
/// own keyset under another salt: tampering. Nothing changes either way.
#[test]
fn a_salt_the_server_changes_is_refused() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let honest = server.snapshot();
    server.edit(|db| db.exec("UPDATE accounts SET kdf_salt = ?", &[&[0x5a; 8]]));
    refused_because(&a, &["login", "--server", &server.url, "--insecure-kdf"], "salt");
    let b = Home::new();
    let code_file = b.write("code", &code);
    let out = b.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_tampering(&out, "a new device given an 8-byte salt");
    server.restore(&honest);
    server.edit(|db| db.exec("UPDATE accounts SET kdf_salt = ?", &[&[0xa5; 16]]));
    refused_because(&a, &["login", "--server", &server.url, "--insecure-kdf"], "not sealed with");
    let c = Home::new();
    let code_file = c.write("code", &code);
    let out = c.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_eq!(out.status.code(), Some(5), "a new device: a wrong password as far as it can tell");
    server.restore(&honest);
    assert_ok(&relogin(&a, &server.url), &["login with the honest salt"]);
}

/// What the checks must not refuse: an item edited twice and another added and deleted between
/// two syncs, while another device pushed changes to the same and other items (the digest is
/// computed over each pending item's merge base, never its local version).
#[test]
fn local_edits_between_syncs_are_never_mistaken_for_tampering() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    set_password(&a, "mail", "m-1");
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    set_password(&a, "github", "gh-a1");
    set_password(&a, "github", "gh-a2");
    set_password(&a, "scratch", "s-1");
    a.ok(&["rm", "scratch", "--yes"]);
    a.ok(&["rm", "mail", "--yes"]);
    set_password(&b, "github", "gh-b1");
    set_password(&b, "mail", "m-b1");
    set_password(&b, "bank", "bank-b");
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(secrets(&a), secrets(&b));
    let current = a.password("github");
    let history = history(&a, "github");
    for pw in ["gh-1", "gh-a1", "gh-a2", "gh-b1"] {
        assert!(current == pw || history.contains(pw), "{pw} lost: {history}");
    }
    // Deletion versus edit keeps the edit.
    assert_eq!(a.password("mail"), "m-b1");
}

/// What a device accepted is kept per account, not per server: another server holding an old
/// copy of the account (its database restored from an old backup of this one) is refused; a
/// server holding a current copy is accepted, and a rollback there is refused in turn.
#[test]
fn another_server_with_a_copy_of_the_account_is_held_to_the_same_head() {
    let mut server = Server::start();
    let (a, _) = registered(&server, "laptop");
    set_password(&a, "github", "gh-1");
    a.ok(&["sync"]);
    let old = server.snapshot();
    set_password(&a, "github", "gh-2");
    a.ok(&["sync"]);
    let current = server.snapshot();

    let mut other = Server::start();
    other.restore(&old);
    a.ok(&["logout"]);
    refused(&a, &["login", "--server", &other.url, "--insecure-kdf"]);
    other.restore(&current);
    assert_ok(&relogin(&a, &other.url), &["login to a current copy"]);
    set_password(&a, "github", "gh-3");
    a.ok(&["sync"]);
    rollback_vault(&mut other, &current);
    refused(&a, &["sync"]);
    // And back on the first server, which is now behind what A accepted on the other.
    a.ok(&["logout"]);
    refused(&a, &["login", "--server", &server.url, "--insecure-kdf"]);
    assert_eq!(a.password("github"), "gh-3");
}
