//! Issue #5 end to end: `hush audit` and `hush breach` through the real binary,
//! with a fake Have I Been Pwned range API on 127.0.0.1 and generated Pwned
//! Passwords files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hush_e2e::http_stub::{Reply, Request, StubServer};
use hush_e2e::{Home, Terminal, assert_ok, bin, contains_bytes, stderr};
use sha1::{Digest, Sha1};

// ------------------------------------------------------------------ helpers

/// Upper-case hex SHA-1, as Pwned Passwords writes it.
fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes()).iter().map(|b| format!("{b:02X}")).collect()
}

/// Adds a login with a password read from stdin, plus any extra options.
fn add(home: &Home, name: &str, password: &str, extra: &[&str]) {
    let mut args = vec!["add", name, "--password-stdin"];
    args.extend_from_slice(extra);
    let out = home.run_stdin(&args, &format!("{password}\n"));
    assert_ok(&out, &args);
}

fn password_of(home: &Home, name: &str) -> String {
    home.ok(&["get", name, "--field", "password"]).trim_end_matches('\n').to_owned()
}

/// The previous passwords, oldest first (`hush history` lists the newest first).
fn history_of(home: &Home, name: &str) -> Vec<String> {
    let json: serde_json::Value =
        serde_json::from_str(&home.ok(&["history", name, "--json", "--show"])).unwrap();
    json.as_array().unwrap().iter().rev().map(|h| h["password"].as_str().unwrap().to_owned()).collect()
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\n{}", String::from_utf8_lossy(&out.stdout), stderr(out))
    })
}

/// The `name`s of a JSON list of entries.
fn names(list: &serde_json::Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_owned()).collect()
}

/// Asserts that none of `secrets` appears in either output stream.
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

// ------------------------------------------------------- a fake range API

/// What the fake server answers: status, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

/// The fake range API: a [`StubServer`] whose answers are plain text.
fn fake_hibp(answer: impl Fn(&Request, usize) -> Answer + Send + 'static) -> StubServer {
    StubServer::start("", move |request, n| {
        let (status, headers, body) = answer(request, n);
        Reply { headers, ..Reply::text(status, body) }
    })
}

/// A range answer for `prefix` in the real format: every known hash under it
/// with its count, plus padding entries with count 0 — among them, on purpose,
/// the suffixes in `pad_with` (hashes the vault holds that are *not* breached),
/// which must not be reported.
fn range_body(prefix: &str, known: &BTreeMap<String, u64>, pad_with: &[String]) -> String {
    let mut lines: Vec<String> = known
        .iter()
        .filter(|(h, _)| h.starts_with(prefix))
        .map(|(h, c)| format!("{}:{c}", &h[5..]))
        .collect();
    for h in pad_with.iter().filter(|h| h.starts_with(prefix)) {
        lines.push(format!("{}:0", &h[5..]));
    }
    for i in 0..50 {
        lines.push(format!("{}:0", &sha1_hex(&format!("padding-{prefix}-{i}"))[5..]));
    }
    lines.sort();
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

// ------------------------------------------------------------- audit tests

#[test]
fn audit_json_reports_every_category_and_never_a_password() {
    let home = Home::new();
    home.init();
    let shared = "Quartz-Nebula-Violin7";
    let near = "quartz-nebula-violin8";
    add(&home, "shared-a", shared, &["--url", "https://a.example"]);
    add(&home, "shared-b", shared, &[]);
    add(&home, "near", near, &[]);
    add(&home, "router", "password1", &[]);
    home.ok(&["add", "bank", "--generate", "--totp", "JBSWY3DPEHPK3PXP"]);
    add(&home, "diary", "Some-Note-Secret-99", &["--kind", "note"]);
    let bank_pw = password_of(&home, "bank");

    let out = home.run(&["audit", "--json"]);
    assert_eq!(out.status.code(), Some(1), "findings exit 1: {}", stderr(&out));
    assert_no_secret(&out, &[shared, near, "password1", &bank_pw, "Some-Note-Secret-99"]);
    let report = json_of(&out);

    let reused = report["reused"].as_array().unwrap();
    assert_eq!(reused.len(), 2, "{reused:?}");
    assert_eq!(names(&reused[0]), ["shared-a", "shared-b"], "the exact group first");
    assert!(reused[0][0]["reason"].as_str().unwrap().contains("same password as shared-b"));
    assert_eq!(names(&reused[1]), ["near", "shared-a", "shared-b"], "then the near group");
    assert!(reused[1][0]["reason"].as_str().unwrap().contains("nearly the same"));
    for entry in reused.iter().flat_map(|g| g.as_array().unwrap()) {
        assert_eq!(entry["id"].as_str().unwrap().len(), 36, "entries carry the item id");
    }

    assert_eq!(names(&report["weak"]), ["router"]);
    assert!(report["weak"][0]["score"].as_u64().unwrap() < 3);
    assert!(report["weak"][0]["reason"].as_str().unwrap().contains("common"), "{}", report["weak"][0]);

    assert_eq!(
        names(&report["no_totp"]),
        ["near", "router", "shared-a", "shared-b"],
        "bank has TOTP; a note is no login"
    );
    assert_eq!(report["old"], serde_json::json!([]));
    assert_eq!(report["breached"], serde_json::json!([]));
    assert_eq!(report["breach_check"], serde_json::Value::Null, "breaches were not checked");

    // Every password just set is older than 0 days a second later.
    std::thread::sleep(Duration::from_millis(1100));
    let out = home.run(&["audit", "--json", "--older-than", "0"]);
    let old = json_of(&out)["old"].clone();
    assert_eq!(names(&old), ["bank", "diary", "near", "router", "shared-a", "shared-b"]);
    assert!(old[0]["reason"].as_str().unwrap().contains("not changed for 0 days"), "{old}");

    // The text form names the same things, and no password either.
    let out = home.run(&["audit"]);
    assert_eq!(out.status.code(), Some(1));
    assert_no_secret(&out, &[shared, near, "password1", &bank_pw]);
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in ["Reused passwords", "Weak passwords", "Logins without 2FA", "router", "not checked"] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
}

#[test]
fn audit_exits_0_when_clean_and_2_on_errors() {
    let home = Home::new();
    home.init();
    let out = home.run(&["audit"]);
    assert_eq!(out.status.code(), Some(0), "an empty vault is clean: {}", stderr(&out));
    home.ok(&["add", "bank", "--generate", "--totp", "JBSWY3DPEHPK3PXP"]);
    let out = home.run(&["audit"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("No problems found in 1 items"));
    let out = home.run(&["audit", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_of(&out)["reused"], serde_json::json!([]));

    for args in [
        vec!["audit", "--pwned-file", "/nonexistent/pwned.txt"],
        vec!["audit", "--hibp", "--hibp-url", "http://example.com"], // http only for loopback
        vec!["audit", "--hibp", "--hibp-url", "not a url"],
        vec!["audit", "--hibp-url", "http://127.0.0.1:1"], // requires --hibp
        vec!["audit", "--hibp", "--pwned-file", "x"],      // one source at a time
    ] {
        let out = home.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

/// Passwords of the HIBP test and what the fake service knows about them.
const LEAKY: &str = "hunter2";
/// Chosen so that its SHA-1 starts with the same five digits as LEAKY's (F3BBB).
const COLLIDER: &str = "collider-466630";
const SHARED: &str = "Quartz-Nebula-Violin7";
const CLEAN: &str = "Lantern-Osprey-Marble-Quill-88";

#[test]
fn audit_hibp_sends_only_five_digit_prefixes_once_each_with_padding() {
    assert_eq!(sha1_hex(COLLIDER)[..5], sha1_hex(LEAKY)[..5], "the test needs a shared prefix");
    let known: BTreeMap<String, u64> =
        [(sha1_hex(LEAKY), 3_861_493), (sha1_hex(COLLIDER), 2), (sha1_hex(SHARED), 12)].into();
    // CLEAN's suffix is sent back as padding (count 0): it must not count as breached.
    let pad_with = vec![sha1_hex(CLEAN)];
    let server = fake_hibp(move |req, _| {
        let prefix = req.path.rsplit('/').next().unwrap_or_default().to_owned();
        (200, vec![], range_body(&prefix, &known, &pad_with))
    });

    let home = Home::new();
    home.init();
    add(&home, "leaky", LEAKY, &[]);
    add(&home, "collider", COLLIDER, &[]);
    add(&home, "shared-a", SHARED, &[]);
    add(&home, "shared-b", SHARED, &[]);
    add(&home, "clean", CLEAN, &[]);
    let out = home.run(&["audit", "--json", "--hibp", "--hibp-url", &server.url]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["breach_check"], "hibp");
    assert_eq!(names(&report["breached"]), ["collider", "leaky", "shared-a", "shared-b"]);
    let leaky = report["breached"].as_array().unwrap().iter().find(|e| e["name"] == "leaky").unwrap();
    assert_eq!(leaky["count"], 3_861_493);

    let requests = server.requests();
    let expected: BTreeSet<String> =
        [LEAKY, COLLIDER, SHARED, CLEAN].iter().map(|p| format!("/range/{}", &sha1_hex(p)[..5])).collect();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths.len(), expected.len(), "one request per distinct prefix: {paths:?}");
    assert_eq!(paths.iter().map(|p| p.to_string()).collect::<BTreeSet<_>>(), expected);
    for r in &requests {
        let prefix = r.path.strip_prefix("/range/").unwrap();
        assert!(prefix.len() == 5 && prefix.bytes().all(|b| b.is_ascii_hexdigit()), "{}", r.path);
        assert_eq!(r.headers.get("add-padding").map(String::as_str), Some("true"));
        assert_eq!(r.headers.get("user-agent").map(String::as_str), Some("hush-password-manager"));
        // Nothing but the prefix: no password, no full hash, no suffix, any case.
        for p in [LEAKY, COLLIDER, SHARED, CLEAN] {
            let hash = sha1_hex(p);
            for needle in [
                p.to_owned(),
                hash.clone(),
                hash.to_lowercase(),
                hash[5..].to_owned(),
                hash[5..].to_lowercase(),
            ] {
                assert!(!contains_bytes(&r.raw, needle.as_bytes()), "request leaks {needle:?}");
            }
        }
    }
}

#[test]
fn audit_hibp_honours_retry_after() {
    let server = fake_hibp(|req, n| {
        if n == 0 {
            (429, vec![("Retry-After", "1".to_owned())], String::new())
        } else {
            let prefix = req.path.rsplit('/').next().unwrap_or_default().to_owned();
            (200, vec![], range_body(&prefix, &BTreeMap::new(), &[]))
        }
    });
    let home = Home::new();
    home.init();
    home.ok(&["add", "bank", "--generate", "--totp", "JBSWY3DPEHPK3PXP"]);
    let start = Instant::now();
    let out = home.run(&["audit", "--hibp", "--hibp-url", &server.url]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(start.elapsed() >= Duration::from_secs(1), "waited as asked");
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the rate-limited request was retried once");
    assert_eq!(requests[0].path, requests[1].path);
}

#[test]
fn audit_hibp_errors_exit_2_with_a_clear_message() {
    let server = fake_hibp(|_, _| (500, vec![], "oops".to_owned()));
    let home = Home::new();
    home.init();
    add(&home, "leaky", LEAKY, &[]);
    let out = home.run(&["audit", "--hibp", "--hibp-url", &server.url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("answered HTTP 500"), "{}", stderr(&out));
    assert_no_secret(&out, &[LEAKY, &sha1_hex(LEAKY)[5..], &sha1_hex(LEAKY)[..5]]);

    // Nobody listening.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = home.run(&["audit", "--hibp", "--hibp-url", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot reach"), "{}", stderr(&out));
    assert_no_secret(&out, &[LEAKY, &sha1_hex(LEAKY)[..5]]); // reqwest's message names the URL

    // A body that is not a range answer.
    let server = fake_hibp(|_, _| (200, vec![], "<html>maintenance</html>".to_owned()));
    let out = home.run(&["audit", "--hibp", "--hibp-url", &server.url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a range response"), "{}", stderr(&out));
}

// ---------------------------------------------------------- the pwned file

/// Writes a sorted Pwned Passwords file of `n` lines (CRLF, as downloaded) that
/// contains `include`, and returns its path. The other hashes come from a fixed
/// xorshift sequence, so the file is the same every run.
fn generate_pwned_file(dir: &Path, n: usize, include: &[(String, u64)]) -> PathBuf {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut rows: Vec<([u8; 20], u64)> = (0..n.saturating_sub(include.len()))
        .map(|_| {
            let mut h = [0u8; 20];
            for chunk in h.chunks_mut(8) {
                let bytes = next().to_be_bytes();
                chunk.copy_from_slice(&bytes[..chunk.len()]);
            }
            (h, next() % 100_000 + 1)
        })
        .collect();
    for (hex, count) in include {
        let mut h = [0u8; 20];
        for (i, b) in h.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        rows.push((h, *count));
    }
    rows.sort_unstable();
    let path = dir.join(format!("pwned-{n}.txt"));
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut line = Vec::with_capacity(64);
    for (h, count) in rows {
        line.clear();
        for b in h {
            line.push(HEX[usize::from(b >> 4)]);
            line.push(HEX[usize::from(b & 15)]);
        }
        line.extend_from_slice(format!(":{count}\r\n").as_bytes());
        out.write_all(&line).unwrap();
    }
    out.flush().unwrap();
    path
}

/// Runs `hush ARGS` under GNU time and returns the output and the peak resident
/// set size in KiB, or `None` for the size when /usr/bin/time is not installed.
fn run_measured(home: &Home, args: &[&str]) -> (Output, Option<u64>) {
    // The shared rule for a missing tool (tests/src/lib.rs): here only the memory check is
    // skipped, with a SKIPPED line, and under CI a missing GNU time is a failure.
    if !hush_e2e::require_tools(&["time"], "apt-get install time; peak memory is not checked") {
        return (home.run(args), None);
    }
    let time = Path::new("/usr/bin/time");
    let report = home.scratch().join("maxrss");
    let out = Command::new(time)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HUSH_HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.scratch().join("runtime"))
        .env("NO_COLOR", "1")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(bin("hush"))
        .arg("--password-file")
        .arg(home.password_file())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let kib =
        std::fs::read_to_string(&report).unwrap().trim().lines().last().unwrap().trim().parse().unwrap();
    (out, Some(kib))
}

#[test]
fn audit_pwned_file_of_a_million_lines_uses_little_memory() {
    let home = Home::new();
    home.init();
    add(&home, "leaky", LEAKY, &[]);
    add(&home, "clean", CLEAN, &[]);
    let path = generate_pwned_file(home.scratch(), 1_000_000, &[(sha1_hex(LEAKY), 3_861_493)]);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 40 << 20, "{size}");

    let (baseline, baseline_kib) = run_measured(&home, &["audit", "--json"]);
    assert_eq!(baseline.status.code(), Some(1));
    let (out, peak_kib) = run_measured(&home, &["audit", "--json", "--pwned-file", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["breach_check"], "pwned-file");
    assert_eq!(names(&report["breached"]), ["leaky"]);
    assert_eq!(report["breached"][0]["count"], 3_861_493);
    if let (Some(baseline), Some(peak)) = (baseline_kib, peak_kib) {
        // The search adds next to nothing to hush's own footprint (the binary, an
        // 8 MiB KDF); reading the 46 MiB file into memory would add all of it.
        let file_kib = size / 1024;
        assert!(
            peak < baseline + 8 * 1024 && peak < file_kib,
            "peak RSS {peak} KiB with the file, {baseline} KiB without; the file is {file_kib} KiB"
        );
    }
}

#[test]
fn audit_pwned_file_that_is_malformed_exits_2() {
    let home = Home::new();
    home.init();
    add(&home, "leaky", LEAKY, &[]);
    let bad = home.write("ntlm.txt", "8846F7EAEE8FB117AD06BDD830B7586C:3\r\n");
    let out = home.run(&["audit", "--pwned-file", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("malformed"), "{}", stderr(&out));
}

// ------------------------------------------------------------- breach tests

const OLD: &str = "Correct-Horse-Lantern7";
const OLD_NEAR: &str = "correct-horse-lantern8";

/// plex (the breached site), netflix and nosym share its password, mail nearly
/// does; nosym's generator settings forbid symbols; bank is unrelated; diary is
/// a note with the same password (not a login, so not rotated).
fn breach_home() -> Home {
    let home = Home::new();
    home.init();
    add(&home, "plex", OLD, &["--url", "https://plex.tv", "--username", "me@example.com"]);
    add(&home, "netflix", OLD, &["--url", "netflix.com"]);
    add(&home, "mail", OLD_NEAR, &[]);
    // Setting generator options stores them as the item's own policy.
    add(&home, "nosym", OLD, &["--no-symbols", "--length", "30"]);
    home.ok(&["add", "bank", "--generate", "--totp", "JBSWY3DPEHPK3PXP"]);
    add(&home, "diary", OLD, &["--kind", "note"]);
    home
}

#[test]
fn breach_yes_rotates_the_site_and_everything_sharing_its_password() {
    let home = breach_home();
    let bank_before = password_of(&home, "bank");
    let out = home.run(&["breach", "plex.tv", "--yes", "--print"]);
    assert_ok(&out, &["breach --yes"]);

    // --print without a terminal: ID<TAB>NAME<TAB>PASSWORD, the site first.
    let printed: Vec<(String, String, String)> = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "{l}");
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect();
    let order: Vec<&str> = printed.iter().map(|p| p.1.as_str()).collect();
    assert_eq!(order, ["plex", "mail", "netflix", "nosym"], "near-duplicates included");

    let mut seen = BTreeSet::new();
    for (id, name, new) in &printed {
        assert_eq!(&password_of(&home, name), new, "{name}: the printed password is the saved one");
        assert_eq!(home.ok(&["get", name, "--field", "id"]).trim(), id);
        assert!(new != OLD && new != OLD_NEAR, "{name} has a new password");
        assert!(seen.insert(new.clone()), "{name}: every new password is unique");
        let old = if name == "mail" { OLD_NEAR } else { OLD };
        assert_eq!(history_of(&home, name).last().map(String::as_str), Some(old), "{name}: old in history");
    }
    let nosym = &printed[3].2;
    assert_eq!(nosym.len(), 30, "the item's own policy: length 30");
    assert!(nosym.chars().all(|c| c.is_ascii_alphanumeric()), "the item's own policy: no symbols: {nosym}");
    assert_eq!(printed[0].2.chars().count(), 24, "others use the default settings");

    assert_eq!(password_of(&home, "bank"), bank_before, "unrelated items are untouched");
    assert_eq!(password_of(&home, "diary"), OLD, "a note is not rotated");
    let err = stderr(&out);
    assert!(err.contains("diary"), "the note is pointed out: {err}");
    assert!(err.contains("2FA") && err.contains("plex"), "the 2FA reminder: {err}");
    assert!(!err.contains(OLD) && !seen.iter().any(|p| err.contains(p.as_str())), "no password on stderr");

    // --yes marked everything done.
    assert!(!home.ok(&["ls"]).contains("[rotation pending]"));
    let status = home.run(&["breach", "--status"]);
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    // And the audit no longer finds a reused login password.
    let audit = json_of(&home.run(&["audit", "--json"]));
    assert_eq!(audit["reused"], serde_json::json!([]), "{audit}");
}

#[test]
fn breach_without_a_terminal_saves_and_leaves_the_items_pending() {
    let home = breach_home();
    let out = home.run(&["breach", "plex"]);
    assert_eq!(out.status.code(), Some(1), "pending rotations need attention: {}", stderr(&out));
    assert!(out.stdout.is_empty(), "no --print: nothing on stdout");
    assert!(stderr(&out).contains("hush breach --status"), "{}", stderr(&out));

    let rotated = ["mail", "netflix", "nosym", "plex"];
    let mut new = BTreeMap::new();
    for name in rotated {
        let pw = password_of(&home, name);
        assert!(pw != OLD && pw != OLD_NEAR, "{name} was saved with a new password");
        assert!(!stderr(&out).contains(&pw), "no password on stderr");
        assert!(history_of(&home, name).iter().any(|h| h == OLD || h == OLD_NEAR), "{name}: old in history");
        new.insert(name, pw);
    }
    let ls = home.ok(&["ls"]);
    for name in rotated {
        let line = ls.lines().find(|l| l.contains(&format!(" {name} ")) || l.ends_with(name)).unwrap();
        assert!(line.contains("[rotation pending]"), "{line}");
    }

    let status = home.run(&["breach", "--status"]);
    assert_eq!(status.status.code(), Some(1));
    let listed = String::from_utf8_lossy(&status.stdout).into_owned();
    assert_eq!(listed.lines().count(), 4, "{listed}");
    let json_status = home.run(&["breach", "--status", "--json"]);
    assert_eq!(json_status.status.code(), Some(1));
    let pending: Vec<serde_json::Value> = serde_json::from_slice(&json_status.stdout).unwrap();
    assert_eq!(pending.len(), 4, "{pending:?}");
    assert!(
        pending.iter().all(|p| p["id"].is_string() && p["name"].is_string() && p.get("password").is_none())
    );

    // Running it again resumes: the pending items keep the passwords already made.
    let again = home.run(&["breach", "plex"]);
    assert_eq!(again.status.code(), Some(1));
    for name in rotated {
        assert_eq!(password_of(&home, name), new[name], "{name} kept its pending password");
    }

    // Confirming one at a time.
    for (i, name) in rotated.iter().enumerate() {
        home.ok(&["breach", "--confirm", name]);
        let status = home.run(&["breach", "--status"]);
        let left = String::from_utf8_lossy(&status.stdout).lines().count();
        assert_eq!(left, rotated.len() - i - 1);
        assert_eq!(status.status.code(), Some(if left == 0 { 0 } else { 1 }));
    }
    assert!(!home.ok(&["ls"]).contains("[rotation pending]"));
    for name in rotated {
        assert_eq!(password_of(&home, name), new[name], "confirming keeps the password");
    }
}

#[test]
fn breach_of_an_unknown_site_changes_nothing() {
    let home = breach_home();
    let before = std::fs::read(home.path().join("vault.hush")).unwrap();
    let out = home.run(&["breach", "nowhere.example"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = home.run(&["breach", "diary"]);
    assert_eq!(out.status.code(), Some(2), "a note is not a login: {}", stderr(&out));
    assert_eq!(std::fs::read(home.path().join("vault.hush")).unwrap(), before);
}

// ------------------------------------------------ breach on a terminal

#[test]
fn breach_walks_through_the_items_on_a_terminal() {
    let home = Home::new();
    home.init();
    add(&home, "plex", OLD, &["--url", "https://plex.tv"]);
    add(&home, "netflix", OLD, &["--url", "netflix.com"]);
    let Some(mut term) = Terminal::start(&home, &["breach", "plex"]) else { return };
    let plan = term.expect("Go ahead? [y/N]");
    assert!(plan.contains("plex") && plan.contains("netflix"), "{plan}");
    term.send("y");
    term.expect("[1/2] plex");
    // No display in the test: copying fails and says so, printing works.
    term.expect("Not copied");
    term.expect("Did the site accept it?");
    term.send("p");
    let shown = term.expect("Did the site accept it?");
    let plex_pw = password_of(&home, "plex");
    assert!(shown.contains(&format!("New password: {plex_pw}")), "{shown}");
    term.send("y");
    // plex has no TOTP secret: offered right there. A bad secret is refused.
    term.expect("Base32 secret (Enter to skip):");
    term.send("not base32!");
    term.expect("Base32 secret (Enter to skip):");
    term.send("JBSWY3DPEHPK3PXP");
    term.expect("The current code is");
    term.expect("[2/2] netflix");
    term.expect("Did the site accept it?");
    term.send("n");
    term.expect("Still pending: netflix");
    assert_eq!(term.wait(), Some(1), "netflix is still pending");

    let ls = home.ok(&["ls"]);
    assert!(!ls.lines().find(|l| l.contains("plex")).unwrap().contains("pending"), "{ls}");
    assert!(ls.lines().find(|l| l.contains("netflix")).unwrap().contains("[rotation pending]"), "{ls}");
    assert_eq!(home.ok(&["totp", "plex"]).trim().len(), 6, "the TOTP secret was saved");
    assert_ne!(password_of(&home, "netflix"), OLD);
}

#[test]
fn an_interrupted_breach_keeps_the_new_passwords_and_the_old_ones() {
    let home = Home::new();
    home.init();
    add(&home, "plex", OLD, &["--url", "https://plex.tv"]);
    add(&home, "netflix", OLD, &[]);
    let Some(mut term) = Terminal::start(&home, &["breach", "plex"]) else { return };
    term.expect("Go ahead? [y/N]");
    term.send("y");
    // The walk-through starts only after the save.
    term.expect("Did the site accept it?");
    term.kill_hush();

    for name in ["plex", "netflix"] {
        let pw = password_of(&home, name);
        assert_ne!(pw, OLD, "{name}: the new password survived");
        assert_eq!(history_of(&home, name), [OLD], "{name}: the old one is in history");
    }
    let status = home.run(&["breach", "--status"]);
    assert_eq!(status.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&status.stdout).lines().count(), 2);
}
