//! Issue #14 end to end: `hush audit --breaches` and `hush breach --exposed` through the real
//! binary, after a real import, with Have I Been Pwned's breach list served in its real format
//! (with fields hush ignores) by a small HTTP server on 127.0.0.1 that counts its requests.

use std::collections::BTreeMap;
use std::process::Output;
use std::sync::Mutex;

use hush_e2e::http_stub::{Reply, StubServer};
use hush_e2e::{Home, Terminal, assert_ok, contains_bytes, stderr};

// ------------------------------------------------------------------ the vault

/// The password the Plex breach leaked, also used by "Mail".
const LEAKED: &str = "Plex-Leaked-Lantern-42";
/// Strong, unique passwords for the other logins.
const SHOP: &str = "vN7#qL2!x1Rz9@pW4$kT6-1";
const FORUM: &str = "vN7#qL2!x2Rz9@pW4$kT6-2";
const FAKE: &str = "vN7#qL2!x3Rz9@pW4$kT6-3";
const BANK: &str = "vN7#qL2!x4Rz9@pW4$kT6-4";

/// A Bitwarden export (the format as Bitwarden writes it) of the logins the tests need, each
/// with the date its password was last set (`passwordRevisionDate`, or null: never replaced).
fn bitwarden_export() -> String {
    let login = |name: &str, uri: &str, password: &str, created: &str, revised: Option<&str>| {
        let revised = revised.map_or("null".to_owned(), |r| format!("{r:?}"));
        format!(
            r#"{{"id": "{name}-id", "organizationId": null, "folderId": null, "type": 1, "reprompt": 0,
            "name": "{name}", "notes": null, "favorite": false,
            "login": {{"uris": [{{"match": null, "uri": "{uri}"}}], "username": "me@example.org",
              "password": "{password}", "totp": "JBSWY3DPEHPK3PXP", "passwordRevisionDate": {revised}}},
            "collectionIds": null, "creationDate": "{created}", "revisionDate": "2024-06-01T00:00:00.000Z",
            "deletedDate": null}}"#
        )
    };
    let items = [
        // Set in 2014, before the 2015 breach of plex.tv; the URL is a subdomain.
        login("Plex", "https://app.plex.tv/desktop", LEAKED, "2014-05-01T00:00:00.000Z", None),
        // The same password on another site: exposed too.
        login(
            "Mail",
            "https://mail.example/login",
            LEAKED,
            "2013-01-01T00:00:00.000Z",
            Some("2020-01-01T00:00:00.000Z"),
        ),
        // A breach without passwords.
        login("Shop", "https://shop.example", SHOP, "2012-01-01T00:00:00.000Z", None),
        // Changed after its site's breach with passwords.
        login(
            "Forum",
            "https://forum.example",
            FORUM,
            "2012-01-01T00:00:00.000Z",
            Some("2021-01-01T00:00:00.000Z"),
        ),
        // Its site is in the list only as a fabricated breach.
        login("Fake", "https://fake.example", FAKE, "2012-01-01T00:00:00.000Z", None),
        login("Bank", "https://bank.example", BANK, "2012-01-01T00:00:00.000Z", None),
    ];
    format!(r#"{{"encrypted": false, "folders": [], "items": [{}]}}"#, items.join(","))
}

/// A vault imported from [`bitwarden_export`].
fn imported_home() -> Home {
    let home = Home::new();
    home.init();
    let export = home.write("bitwarden.json", &bitwarden_export());
    home.ok(&["import", "--from", "bitwarden-json", export.to_str().unwrap()]);
    home
}

fn password_of(home: &Home, name: &str) -> String {
    home.ok(&["get", name, "--field", "password"]).trim_end_matches('\n').to_owned()
}

fn history_of(home: &Home, name: &str) -> Vec<String> {
    let json: serde_json::Value =
        serde_json::from_str(&home.ok(&["history", name, "--json", "--show"])).unwrap();
    json.as_array().unwrap().iter().map(|h| h["password"].as_str().unwrap().to_owned()).collect()
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\n{}", String::from_utf8_lossy(&out.stdout), stderr(out))
    })
}

fn field<'a>(list: &'a serde_json::Value, key: &str) -> Vec<&'a str> {
    list.as_array().unwrap().iter().map(|e| e[key].as_str().unwrap()).collect()
}

fn assert_no_secret(out: &Output, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !contains_bytes(&out.stdout, s.as_bytes()) && !contains_bytes(&out.stderr, s.as_bytes()),
            "{s:?} leaked:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(out)
        );
    }
}

// ------------------------------------------------------------- the breach list

/// One entry in the service's format, with the fields hush ignores (and one it cannot know).
fn entry(name: &str, domain: &str, date: &str, classes: &[&str], flag: &str) -> String {
    let classes: Vec<String> = classes.iter().map(|c| format!("{c:?}")).collect();
    let json = format!(
        r#"{{"Name":"{name}","Title":"{name}","Domain":"{domain}","BreachDate":"{date}",
        "AddedDate":"2016-01-01T00:00:00Z","ModifiedDate":"2022-05-15T23:52:49Z","PwnCount":15889,
        "Description":"In {date}, {name} suffered a data breach. <a href=\"https://example.org/\">More</a>.",
        "DataClasses":[{}],"IsVerified":true,"IsFabricated":false,"IsSensitive":false,"IsRetired":false,
        "IsSpamList":false,"IsMalware":false,"IsStealerLog":false,"IsSubscriptionFree":false,
        "LogoPath":"https://haveibeenpwned.com/Content/Images/PwnedLogos/{name}.png","NotYetInvented":[1]}}"#,
        classes.join(",")
    );
    // `flag` (e.g. "IsFabricated") set to true, as the service writes it: each field once.
    if flag.is_empty() {
        json
    } else {
        json.replace(&format!("\"{flag}\":false"), &format!("\"{flag}\":true"))
    }
}

/// The list the tests serve.
fn breach_list() -> String {
    let entries = [
        entry(
            "Plex",
            "plex.tv",
            "2015-07-01",
            &["Email addresses", "IP addresses", "Passwords", "Usernames"],
            "",
        ),
        entry("Shop", "shop.example", "2020-03-10", &["Email addresses", "Names", "Phone numbers"], ""),
        entry("Forum", "forum.example", "2019-01-01", &["Email addresses", "Passwords"], ""),
        entry("Fake", "fake.example", "2019-01-01", &["Email addresses", "Passwords"], "IsFabricated"),
        entry("Spam", "bank.example", "2019-01-01", &["Email addresses"], "IsSpamList"),
        entry("Gone", "bank.example", "2011-01-01", &["Passwords"], "IsRetired"),
        entry("Combolist", "", "2019-01-01", &["Email addresses", "Passwords"], ""),
    ];
    format!("[{}]", entries.join(",\n"))
}

const ETAG: &str = "\"list-v1\"";
const LAST_MODIFIED: &str = "Wed, 02 Dec 2026 06:00:00 GMT";

/// Where the fake service serves the list, as Have I Been Pwned does.
const LIST_PATH: &str = "/api/v3/breaches";

/// Serves [`breach_list`] with an ETag and a Last-Modified, and answers 304 to a request
/// that carries both validators.
fn revalidating_server() -> StubServer {
    StubServer::start(LIST_PATH, |request, _| {
        let validators = [ETAG.to_owned(), LAST_MODIFIED.to_owned()];
        let sent = [
            request.headers.get("if-none-match").cloned(),
            request.headers.get("if-modified-since").cloned(),
        ];
        let headers = vec![("ETag", ETAG.to_owned()), ("Last-Modified", LAST_MODIFIED.to_owned())];
        if sent == validators.map(Some) {
            Reply { status: 304, headers, ..Reply::json(Vec::new()) }
        } else {
            Reply { headers, ..Reply::json(breach_list()) }
        }
    })
}

// -------------------------------------------------------------------- audit

#[test]
fn audit_breaches_finds_the_logins_a_breach_exposed_after_an_import() {
    let home = imported_home();
    let server = revalidating_server();
    let out = home.run(&["audit", "--breaches", "--breaches-url", &server.url, "--json"]);
    assert_eq!(out.status.code(), Some(1), "exposed logins exit 1: {}", stderr(&out));
    assert_no_secret(&out, &[LEAKED, SHOP, FORUM, FAKE, BANK]);
    let report = json_of(&out);

    // Plex (on app.plex.tv, set 2014, breached 2015 with passwords), and Mail, which reuses its
    // password. Not Forum (changed after its breach), Shop (no passwords), Fake (fabricated) or
    // Bank (only a spam list and a retired entry).
    let exposed = &report["exposed"];
    assert_eq!(field(exposed, "item"), ["Mail", "Plex"], "{report}");
    let plex = &exposed[1];
    assert_eq!(plex["site"], "plex.tv");
    assert_eq!(plex["breach"], "Plex");
    assert_eq!(plex["breach_date"], "2015-07-01");
    assert_eq!(plex["password_changed"], "2014-05-01T00:00:00Z", "the import kept the password's date");
    assert_eq!(
        plex["data_classes"],
        serde_json::json!(["Email addresses", "IP addresses", "Passwords", "Usernames"])
    );
    assert_eq!(plex["reuses"], serde_json::Value::Null);
    assert_eq!(plex["id"].as_str().unwrap().len(), 36);
    let mail = &exposed[0];
    assert_eq!((mail["site"].as_str(), mail["breach"].as_str()), (Some("plex.tv"), Some("Plex")));
    assert_eq!(mail["reuses"]["item"], "Plex");
    assert_eq!(mail["reuses"]["kind"], "exact");
    assert_eq!(mail["password_changed"], "2020-01-01T00:00:00Z");

    let accounts = &report["breached_accounts"];
    assert_eq!(field(accounts, "item"), ["Forum", "Shop"]);
    assert_eq!(field(accounts, "why"), ["changed_after", "no_passwords"]);
    assert!(accounts[1]["reason"].as_str().unwrap().contains("no passwords"), "{accounts}");
    assert_eq!(
        report["breach_list"],
        serde_json::json!({"source": "download", "location": server.url, "breaches": 3,
            "skipped": {"fabricated": 1, "spam_list": 1, "retired": 1, "no_domain": 1}})
    );

    // One plain request for the whole list, with a User-Agent and nothing about the vault.
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/api/v3/breaches");
    assert!(requests[0].headers.contains_key("user-agent"));
    assert!(!requests[0].headers.contains_key("if-none-match"), "nothing was cached yet");
    // The cache: private, in the hush folder.
    let cache = home.path().join("breaches.cache");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o600);

    // The next run revalidates: the server answers 304 without a body, and the cached list is
    // used, with the same findings.
    let out = home.run(&["audit", "--breaches", "--breaches-url", &server.url]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one request per run");
    assert_eq!(requests[1].headers.get("if-none-match").map(String::as_str), Some(ETAG));
    assert_eq!(requests[1].headers.get("if-modified-since").map(String::as_str), Some(LAST_MODIFIED));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(stderr(&out).contains("(cached copy)"), "{}", stderr(&out));
    // The text names the site, the breach date, when the password was set, and the command.
    let plex_line =
        text.lines().find(|l| l.trim_start().starts_with("Plex ")).unwrap_or_else(|| panic!("{text}"));
    for part in ["plex.tv", "2015-07-01", "2014-05-01", "hush breach plex.tv"] {
        assert!(plex_line.contains(part), "{part:?} missing: {plex_line}");
    }
    let mail_line = text.lines().find(|l| l.trim_start().starts_with("Mail ")).unwrap();
    assert!(
        mail_line.contains("leaked from Plex") && mail_line.contains("hush breach --exposed"),
        "{mail_line}"
    );
    assert!(text.contains("Your account data was in a breach"), "{text}");
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("Shop ") && l.contains("no passwords")),
        "{text}"
    );
    assert_no_secret(&out, &[LEAKED, SHOP, FORUM, FAKE, BANK]);

    let again = json_of(&home.run(&["audit", "--breaches", "--breaches-url", &server.url, "--json"]));
    assert_eq!(again["breach_list"]["source"], "cache");
    assert_eq!(again["exposed"], report["exposed"]);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn audit_breaches_file_works_without_network_and_agrees_with_the_download() {
    let home = imported_home();
    let file = home.write("breaches.json", &breach_list());
    let out = home.run(&["audit", "--breaches-file", file.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(field(&report["exposed"], "item"), ["Mail", "Plex"]);
    assert_eq!(field(&report["breached_accounts"], "item"), ["Forum", "Shop"]);
    assert_eq!(report["breach_list"]["source"], "file");
    assert!(!home.path().join("breaches.cache").exists(), "a file is not cached");

    // Without --breaches, nobody looked: null, not an empty finding.
    let plain = json_of(&home.run(&["audit", "--json"]));
    assert_eq!(plain["breach_list"], serde_json::Value::Null);
    assert_eq!(plain["exposed"], serde_json::json!([]));
}

#[test]
fn breached_accounts_alone_do_not_fail_the_audit() {
    let home = imported_home();
    for name in ["Plex", "Mail", "Fake", "Bank"] {
        home.ok(&["rm", name, "--yes"]);
    }
    let file = home.write("breaches.json", &breach_list());
    // Strong passwords with TOTP; the import's old dates are not what this test is about.
    let out =
        home.run(&["audit", "--breaches-file", file.to_str().unwrap(), "--older-than", "100000", "--json"]);
    assert_eq!(out.status.code(), Some(0), "nothing to do: {}", String::from_utf8_lossy(&out.stdout));
    let report = json_of(&out);
    assert_eq!(report["exposed"], serde_json::json!([]));
    assert_eq!(field(&report["breached_accounts"], "item"), ["Forum", "Shop"]);
}

#[test]
fn a_malformed_truncated_or_missing_breach_list_fails_the_audit() {
    let home = imported_home();
    let list = breach_list();
    let half = list[..list.len() / 2].to_owned();
    let (replies, expected): (Vec<Reply>, Vec<&str>) = [
        (Reply::json("<html><body>Service Unavailable</body></html>"), "not valid JSON"),
        (Reply::json(half.clone()), "truncated"),
        // The server promises the whole list and closes the connection half way.
        (Reply { claimed_len: Some(list.len()), ..Reply::json(half) }, "cut short"),
        (Reply::json("[]"), "empty"),
        (Reply::json(r#"{"Message": "rate limited"}"#), "not an array of Have I Been Pwned breaches"),
        (Reply { status: 500, ..Reply::json("oops") }, "HTTP 500"),
    ]
    .into_iter()
    .unzip();
    let replies = Mutex::new(replies.into_iter().map(Some).collect::<Vec<_>>());
    let server = StubServer::start(LIST_PATH, move |_, n| replies.lock().unwrap()[n].take().unwrap());
    for (n, message) in expected.iter().enumerate() {
        let out = home.run(&["audit", "--breaches", "--breaches-url", &server.url, "--json"]);
        assert_eq!(out.status.code(), Some(2), "case {n}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "case {n}: no report at all, not an empty one");
        assert!(stderr(&out).contains(message), "case {n}: {message:?} not in {}", stderr(&out));
        assert!(!home.path().join("breaches.cache").exists(), "case {n}: nothing cached");
    }

    // The same for a file, and for an unusable URL (refused before anything is asked or sent).
    let bad = home.write("bad.json", &list[..list.len() - 3]);
    let out = home.run(&["audit", "--breaches-file", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("truncated"), "{}", stderr(&out));
    let out = home.run(&["audit", "--breaches-url", "http://example.com/breaches"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("use https"), "{}", stderr(&out));
}

#[test]
fn a_malformed_answer_never_replaces_a_good_cached_list() {
    let home = imported_home();
    // A good list, then garbage that ignores the validators, then 304s.
    let server = StubServer::start(LIST_PATH, |request, n| match n {
        1 => Reply { headers: vec![("ETag", "\"broken\"".into())], ..Reply::json("[{\"Name\":") },
        _ if request.headers.get("if-none-match").map(String::as_str) == Some(ETAG) => {
            Reply { status: 304, ..Reply::json(Vec::new()) }
        }
        _ => Reply { headers: vec![("ETag", ETAG.to_owned())], ..Reply::json(breach_list()) },
    });
    let run = || home.run(&["audit", "--breaches", "--breaches-url", &server.url, "--json"]);
    assert_eq!(run().status.code(), Some(1));
    let broken = run();
    assert_eq!(broken.status.code(), Some(2), "{}", stderr(&broken));
    let out = run();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["breach_list"]["source"], "cache", "the good copy survived, with its ETag");
    assert_eq!(field(&report["exposed"], "item"), ["Mail", "Plex"]);
}

// ------------------------------------------------------------------- breach

#[test]
fn breach_exposed_rotates_every_exposed_login_and_what_shares_its_password() {
    let home = imported_home();
    let server = revalidating_server();
    // A login that shares the leaked password only nearly, and a note holding it.
    let out = home.run_stdin(
        &["add", "Video", "--url", "video.example", "--password-stdin"],
        "plex-leaked-lantern-43\n",
    );
    assert_ok(&out, &["add"]);
    let out =
        home.run_stdin(&["add", "router", "--kind", "note", "--password-stdin"], &format!("{LEAKED}\n"));
    assert_ok(&out, &["add"]);
    let before = home.ok(&["get", "Bank", "--json"]);

    // No terminal and no --yes: the new passwords are saved, the items left pending.
    let out = home.run(&["breach", "--exposed", "--breaches-url", &server.url, "--json"]);
    assert_eq!(out.status.code(), Some(1), "rotations pending: {}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(field(&report["rotated"], "name"), ["Mail", "Plex", "Video"], "{report}");
    assert_eq!(report["update_yourself"], serde_json::json!(["router"]), "a note is named, not changed");
    assert_eq!(report["pending"], 3);
    let why = field(&report["rotated"], "why");
    assert!(
        why[0].contains("leaked from Plex") && why[1].contains("plex.tv breached on 2015-07-01"),
        "{why:?}"
    );

    let mut new = BTreeMap::new();
    for (name, old) in [("Plex", LEAKED), ("Mail", LEAKED), ("Video", "plex-leaked-lantern-43")] {
        let pw = password_of(&home, name);
        assert!(pw != LEAKED && pw.len() >= 20, "{name}: a new password");
        assert!(!contains_bytes(&out.stdout, pw.as_bytes()) && !stderr(&out).contains(&pw), "never printed");
        assert_eq!(
            history_of(&home, name).last().map(String::as_str),
            Some(old),
            "{name}: the old one in history"
        );
        new.insert(name, pw);
    }
    assert_eq!(home.ok(&["get", "Bank", "--json"]), before, "an unrelated login is untouched");
    let status = home.run(&["breach", "--status"]);
    assert_eq!(String::from_utf8_lossy(&status.stdout).lines().count(), 3, "{}", stderr(&status));

    // The audit now finds only the note exposed (the list comes from the cache after a 304):
    // the logins' leaked password is history. A second --exposed has no login to rotate: it
    // names the note and points at the pending rotations.
    let audit = json_of(&home.run(&["audit", "--breaches", "--breaches-url", &server.url, "--json"]));
    assert_eq!(field(&audit["exposed"], "item"), ["router"], "{audit}");
    assert_eq!(audit["exposed"][0]["reuses"]["item"], "Plex", "its password leaked from Plex's history");
    assert_eq!(audit["breach_list"]["source"], "cache");
    let again = home.run(&["breach", "--exposed", "--breaches-url", &server.url]);
    assert_eq!(again.status.code(), Some(1));
    let err = stderr(&again);
    assert!(
        err.contains("No login is exposed")
            && err.contains("router")
            && err.contains("3 rotations still pending"),
        "{err}"
    );
    for (name, pw) in &new {
        assert_eq!(&password_of(&home, name), pw, "{name}: unchanged by the second run");
    }
}

#[test]
fn breach_exposed_yes_marks_everything_done() {
    let home = imported_home();
    let file = home.write("breaches.json", &breach_list());
    let out = home.run(&["breach", "--exposed", "--breaches-file", file.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no --print: no password on stdout");
    assert_ne!(password_of(&home, "Plex"), LEAKED);
    assert_eq!(history_of(&home, "Mail"), [LEAKED]);
    let status = home.run(&["breach", "--status"]);
    assert_eq!(status.status.code(), Some(0), "nothing pending");
    let audit = home.run(&["audit", "--breaches-file", file.to_str().unwrap(), "--json"]);
    assert_eq!(json_of(&audit)["exposed"], serde_json::json!([]));
}

#[test]
fn breach_exposed_on_a_terminal_saves_first_then_goes_one_site_at_a_time() {
    let home = imported_home();
    let server = revalidating_server();
    let Some(mut term) = Terminal::start(&home, &["breach", "--exposed", "--breaches-url", &server.url])
    else {
        return;
    };
    let plan = term.expect("Go ahead? [y/N]");
    assert!(plan.contains("Plex  (plex.tv breached on 2015-07-01)"), "{plan}");
    assert!(plan.contains("Mail  (reuses the password that leaked from Plex"), "{plan}");
    term.send("y");
    // In name order, one site at a time.
    term.expect("[1/2] Mail");
    term.expect("Change the password at https://mail.example/login");
    // The walk-through starts only after the save: killed here, nothing is lost.
    term.expect("Did the site accept it?");
    term.kill_hush();
    for name in ["Plex", "Mail"] {
        assert_ne!(password_of(&home, name), LEAKED, "{name}: the new password survived");
        assert_eq!(history_of(&home, name), [LEAKED], "{name}: the old one is in history");
    }
    let status = home.run(&["breach", "--status"]);
    assert_eq!(status.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&status.stdout).lines().count(), 2);
}
