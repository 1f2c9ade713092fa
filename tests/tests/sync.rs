//! Issue #3 end to end: the real `hush-server` on a loopback port and several
//! devices (separate HUSH_HOMEs) running the real `hush`.

use hush_e2e::{Home, Marked, Server, assert_ok, contains_bytes, logged_in, registered, stderr};

#[test]
fn register_login_edit_conflict_delete_and_converge() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    a.ok(&["add", "github", "--username", "octo", "--generate"]);
    a.ok(&["add", "mail", "--generate"]);
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    assert_eq!(a.password("github"), b.password("github"));
    let c = logged_in(&server.url, &code, Some("tablet"));

    // Concurrent edits of the same password on A and B, a delete on C, an add on B.
    let old = a.password("github");
    a.ok(&["edit", "github", "--generate"]);
    b.ok(&["edit", "github", "--generate"]);
    b.ok(&["add", "bank", "--generate"]);
    c.ok(&["rm", "mail"]);
    let from_a = a.password("github");
    let from_b = b.password("github");
    for d in [&a, &b, &c, &a, &b, &c] {
        d.ok(&["sync"]);
    }
    let listing = |h: &Home| h.ok(&["ls", "--json"]);
    assert_eq!(listing(&a), listing(&b));
    assert_eq!(listing(&b), listing(&c));
    assert!(a.run(&["get", "mail"]).status.code() == Some(3), "the deletion synced");
    assert!(c.password("bank").len() >= 20, "the add synced");
    // One of the concurrent passwords is current; the other and the original are in history.
    let current = c.password("github");
    let history = c.ok(&["history", "github", "--show"]);
    for pw in [&from_a, &from_b, &old] {
        assert!(current == **pw || history.contains(pw.as_str()), "{pw} lost; history: {history}");
    }
}

#[test]
fn offline_changes_queue_until_the_server_is_back() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    let b = logged_in(&server.url, &code, Some("phone"));
    server.stop();
    // Every command works offline; sync fails clearly and loses nothing.
    a.ok(&["add", "offline-item", "--generate"]);
    let out = a.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("reach"), "{}", stderr(&out));
    server.restart();
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(a.password("offline-item"), b.password("offline-item"));
}

#[test]
fn auto_sync_after_each_change_and_quiet_when_offline() {
    let mut server = Server::start();
    let (a, code) = registered(&server, "laptop");
    let b = logged_in(&server.url, &code, Some("phone"));
    std::fs::write(a.path().join("config.toml"), "[sync]\nauto = true\n").unwrap();
    a.ok(&["add", "auto", "--generate"]);
    b.ok(&["sync"]);
    assert_eq!(a.password("auto"), b.password("auto"), "A pushed without an explicit sync");
    server.stop();
    let out = a.run(&["add", "quiet", "--generate"]);
    assert_ok(&out, &["add while offline"]);
    // Offline is not an error: one note says the change is kept and syncs later.
    assert!(stderr(&out).contains("the change is saved here and will sync later"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("hush:"), "no error line offline: {}", stderr(&out));
    server.restart();
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(a.password("quiet"), b.password("quiet"));
}

#[test]
fn devices_revoke_and_logout() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    let b = logged_in(&server.url, &code, Some("phone"));
    let list: Vec<serde_json::Value> = serde_json::from_str(&a.ok(&["devices", "--json"])).unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let phone = list.iter().find(|d| d["name"] == "phone").expect("phone listed");
    assert_eq!(phone["current"], false);
    a.ok(&["devices", "revoke", phone["id"].as_str().unwrap()]);
    let out = b.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("hush login"), "{}", stderr(&out));
    // B logs in again (its vault stays) and syncs.
    let code_file = b.write("code2", &code);
    b.ok(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    b.ok(&["sync"]);
    a.ok(&["add", "--no-password", "kept-after-logout"]);
    a.ok(&["logout"]);
    let out = a.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2));
    // After a logout the hint is `hush login`, never `hush register` (issue #10, point 15).
    assert!(stderr(&out).contains("logged out") && stderr(&out).contains("hush login"), "{}", stderr(&out));
    assert_eq!(
        a.ok(&["get", "kept-after-logout", "--field", "name"]),
        "kept-after-logout\n",
        "the vault stays"
    );
}

#[test]
fn password_change_forces_other_devices_to_log_in_with_the_new_password() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    a.ok(&["add", "x", "--generate"]);
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    let new = a.write("new", &format!("{}\n", hush_e2e::NEW_PASSWORD));
    a.ok(&["passwd", "--insecure-kdf", "--new-password-file", new.to_str().unwrap()]);
    let out = b.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("hush login"), "{}", stderr(&out));
    // The old password does not log in; the new one does.
    let code_file = b.write("code", &code);
    let old_login = b.run(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert!(!old_login.status.success());
    let newpw = b.write("newpw", &format!("{}\n", hush_e2e::NEW_PASSWORD));
    let out = b
        .cmd()
        .arg("--password-file")
        .arg(&newpw)
        .args(["login", "--server", &server.url, "--insecure-kdf"])
        .output()
        .unwrap();
    assert_ok(&out, &["login with the new password"]);
    let out = b
        .cmd()
        .arg("--password-file")
        .arg(&newpw)
        .args(["get", "x", "--field", "password"])
        .output()
        .unwrap();
    assert_ok(&out, &["get with the new password"]);
}

#[test]
fn registration_is_invite_only_and_plain_http_is_refused() {
    let server = Server::start();
    let a = Home::new();
    a.init();
    let out = a.run(&["register", "--server", &server.url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("registration") || stderr(&out).contains("invite"), "{}", stderr(&out));
    let invite = server.invite();
    // From a file, so that the code never appears on a command line.
    let invite_file = a.write("invite.txt", &format!("{invite}\n"));
    let out = a.run(&["register", "--server", &server.url, "--invite", "x", "--invite-file", "f"]);
    assert_eq!(out.status.code(), Some(2), "--invite and --invite-file exclude each other");
    a.ok(&["register", "--server", &server.url, "--invite-file", invite_file.to_str().unwrap()]);
    let b = Home::new();
    b.init();
    let out = b.run(&["register", "--server", &server.url, "--invite", &invite]);
    assert_eq!(out.status.code(), Some(2), "invite codes are single-use");
    let out = b.run(&["register", "--server", "http://hush.example.org", "--invite", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--insecure-http"), "{}", stderr(&out));
}

#[test]
fn the_server_database_holds_no_plaintext() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    let marked = Marked {
        name: "ServerSideNameWibble",
        username: "wibble-user@example.net",
        password: "Wibble-Password-91",
        notes: "wibble notes here",
        host: "wibble.example.com",
        tag: "WIBBLETAG",
    };
    a.add_marked(&marked, &[]);
    let secrets = marked.all();
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    b.ok(&["edit", secrets[0], "--generate"]);
    b.ok(&["sync"]);
    let stored = server.stored();
    assert!(!stored.is_empty());
    for (f, bytes) in stored {
        // Device names are sealed by the client (crypto-v2.md, "Device names"): "laptop" and
        // "phone" must not be in the database either.
        for s in secrets.iter().chain([hush_e2e::PASSWORD, code.as_str(), "laptop", "phone"].iter()) {
            assert!(!contains_bytes(&bytes, s.as_bytes()), "{f} contains {s}");
        }
    }
}

#[test]
fn https_with_a_ca_file_from_config() {
    let server = Server::start_tls();
    let a = Home::new();
    let code = a.init();
    // Without the CA, the certificate is not trusted: a clear error, nothing changes.
    let out = a.run(&["register", "--server", &server.url, "--invite", &server.invite()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("reach") || stderr(&out).contains("certificate"), "{}", stderr(&out));
    let config = format!("[sync]\nca_file = {:?}\n", Server::test_ca().display().to_string());
    std::fs::write(a.path().join("config.toml"), &config).unwrap();
    a.ok(&["register", "--server", &server.url, "--invite", &server.invite()]);
    a.ok(&["add", "over-tls", "--generate"]);
    a.ok(&["sync"]);
    let b = Home::new();
    std::fs::create_dir_all(b.path()).unwrap();
    std::fs::write(b.path().join("config.toml"), &config).unwrap();
    let code_file = b.write("code", &code);
    b.ok(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    assert_eq!(a.password("over-tls"), b.password("over-tls"));
    // B's folder was made by hand (0755 under the default umask) for config.toml;
    // login tightened it.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(b.path()).unwrap().permissions().mode() & 0o777, 0o700);
}

#[test]
fn server_logs_hold_no_token_blob_or_secret() {
    let server = Server::start_logged();
    let invite = server.invite();
    let a = Home::new();
    let code = a.init();
    a.ok(&["register", "--server", &server.url, "--invite", &invite]);
    let out = a.run_stdin(
        &["add", "LoggedSiteName", "--username", "logged-user", "--password-stdin"],
        "Logged-Password-7\n",
    );
    assert_ok(&out, &["add"]);
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, Some("phone"));
    b.ok(&["devices"]);
    b.ok(&["sync"]);
    let log = server.log();
    assert!(log.lines().count() > 5, "the server logged at debug level: {log}");
    for secret in [
        invite.as_str(),
        code.as_str(),
        "LoggedSiteName",
        "logged-user",
        "Logged-Password-7",
        hush_e2e::PASSWORD,
    ] {
        assert!(!log.contains(secret), "the log contains {secret:?}");
    }
    // (sqlx logs SQL statements, whose comments may say "bearer token"; a header value
    // would read "Bearer <token>".)
    assert!(!log.contains("Bearer "), "the log contains an Authorization header:\n{log}");
    // Tokens (32 bytes = 43 base64url characters), signatures, keysets and blobs are
    // all long base64url runs; ids are hyphenated UUIDs (36 characters).
    let longest = log
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest < 43, "the log contains a {longest}-character base64url run:\n{log}");
}
