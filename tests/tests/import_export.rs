//! Issue #4 end to end: `hush import` and `hush export` through the real binary, fed
//! by the real KeePassXC and pass (gpg) where they are installed.
//!
//! A missing tool skips its test loudly, unless `CI` is set: then it fails, so that
//! CI can never go green by silently testing nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hush_e2e::{Home, assert_ok, stderr};
use serde_json::Value;

/// The sample exports of the parsers' unit tests.
fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/hush-import/tests/data/import").join(name)
}

/// Whether `tool` can run; if not, panics under CI and otherwise says loudly that
/// the test is skipped.
fn have(tool: &str, test: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is not installed, and CI is set: install it (apt-get install keepassxc pass gnupg)"
        );
        eprintln!(
            "\n*** SKIPPED {test}: {tool} is not installed (apt-get install keepassxc pass gnupg) ***\n"
        );
    }
    found
}

/// Runs a tool with `stdin`, asserting success; returns stdout.
fn tool(cmd: &mut Command, stdin: &str) -> String {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn vault_bytes(home: &Home) -> Vec<u8> {
    std::fs::read(home.path().join("vault.hush")).unwrap()
}

/// `hush get QUERY --json`.
fn item(home: &Home, query: &str) -> Value {
    serde_json::from_str(&home.ok(&["get", query, "--json"])).unwrap()
}

/// The names of every item, sorted.
fn names(home: &Home) -> Vec<String> {
    let list: Value = serde_json::from_str(&home.ok(&["ls", "--json"])).unwrap();
    let mut names: Vec<String> =
        list.as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

fn import(home: &Home, format: &str, path: &Path) -> Output {
    home.cmd()
        .arg("--password-file")
        .arg(home.password_file())
        .args(["import", "--from", format])
        .arg(path)
        .output()
        .unwrap()
}

#[test]
fn keepassxc_cli_export_imports_into_hush() {
    if !have("keepassxc-cli", "keepassxc_cli_export_imports_into_hush") {
        return;
    }
    let home = Home::new();
    home.init();
    let dir = home.scratch();
    let db = dir.join("first.kdbx");
    let kx = |args: &[&str], stdin: &str| tool(Command::new("keepassxc-cli").args(args), stdin);
    let db_s = db.to_str().unwrap();
    // Database password twice; a short KDF target keeps each open quick.
    kx(&["db-create", "-q", "-p", "-t", "100", db_s], "dbpass\ndbpass\n");
    kx(&["mkdir", "-q", db_s, "Work"], "dbpass\n");
    kx(&["mkdir", "-q", db_s, "Work/Dev"], "dbpass\n");
    kx(
        &[
            "add",
            "-q",
            "-p",
            "-u",
            "octocat",
            "--url",
            "https://github.com/login",
            "--notes",
            "line1\nline2",
            db_s,
            "GitHub",
        ],
        "dbpass\nsite,pw \"quoted\"\n",
    );
    kx(
        &["add", "-q", "-p", "-u", "alice", "--url", "https://gitlab.example.com", db_s, "Work/Dev/GitLab"],
        "dbpass\nw0rk\n",
    );
    kx(&["add", "-q", "-p", db_s, "Old"], "dbpass\nold-pw\n");
    kx(&["rm", "-q", db_s, "Old"], "dbpass\n"); // into the recycle bin
    // keepassxc-cli cannot set a TOTP; its XML export and import can carry one.
    let xml = kx(&["export", "-q", db_s], "dbpass\n");
    let otp =
        "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&amp;period=30&amp;digits=6&amp;issuer=GitHub";
    assert_eq!(xml.matches("<Value>GitHub</Value>").count(), 1, "{xml}");
    let xml = xml.replacen(
        "<Value>GitHub</Value>",
        &format!("<Value>GitHub</Value></String><String><Key>otp</Key><Value>{otp}</Value>"),
        1,
    );
    std::fs::write(dir.join("db.xml"), xml).unwrap();
    let db2 = dir.join("second.kdbx");
    let db2_s = db2.to_str().unwrap();
    kx(&["import", "-q", "-p", "-t", "100", dir.join("db.xml").to_str().unwrap(), db2_s], "dbpass\ndbpass\n");
    let csv = kx(&["export", "-q", "--format", "csv", db2_s], "dbpass\n");
    assert!(
        csv.starts_with(
            "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\""
        ),
        "the column layout hush expects: {csv}"
    );
    let csv_path = dir.join("keepassxc.csv");
    std::fs::write(&csv_path, &csv).unwrap();

    let out = import(&home, "keepassxc-csv", &csv_path);
    assert_ok(&out, &["import keepassxc-csv"]);
    let err = stderr(&out);
    assert!(err.contains("\"Old\": in KeePassXC's recycle bin; not imported"), "{err}");
    assert!(err.contains("Imported 2 items, skipped 0 duplicates, 1 warning."), "{err}");
    assert_eq!(names(&home), ["GitHub", "GitLab"]);
    let gh = item(&home, "GitHub");
    assert_eq!(gh["username"], "octocat");
    assert_eq!(gh["password"], "site,pw \"quoted\"");
    assert_eq!(gh["urls"], serde_json::json!(["https://github.com/login"]));
    assert_eq!(gh["notes"], "line1\nline2");
    assert!(gh["totp"].as_str().unwrap().contains("secret=JBSWY3DPEHPK3PXP"), "{gh}");
    assert_eq!(gh["tags"], serde_json::json!([]));
    let code = home.ok(&["totp", "GitHub"]);
    assert!(code.trim().chars().take(6).all(|c| c.is_ascii_digit()), "{code}");
    let gl = item(&home, "GitLab");
    assert_eq!((gl["username"].as_str(), gl["password"].as_str()), (Some("alice"), Some("w0rk")));
    assert_eq!(gl["tags"], serde_json::json!(["Work/Dev"]));
}

/// A throw-away GnuPG home with a passphrase-less key, whose agent is stopped on drop.
struct GnupgHome {
    dir: tempfile::TempDir,
}

impl GnupgHome {
    fn new() -> GnupgHome {
        // Under /tmp: gpg-agent's socket path must stay short.
        let dir = tempfile::Builder::new().prefix("hush-gpg").tempdir_in("/tmp").unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let g = GnupgHome { dir };
        tool(
            g.cmd("gpg").args([
                "--batch",
                "--passphrase",
                "",
                "--quick-gen-key",
                "test@example.org",
                "default",
                "default",
                "never",
            ]),
            "",
        );
        g
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("GNUPGHOME", self.path());
        c
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = self.cmd("gpgconf").args(["--kill", "gpg-agent"]).status();
    }
}

#[test]
fn pass_store_imports_into_hush_through_gpg() {
    if !have("gpg", "pass_store_imports_into_hush_through_gpg")
        || !have("pass", "pass_store_imports_into_hush_through_gpg")
    {
        return;
    }
    let home = Home::new();
    home.init();
    let gnupg = GnupgHome::new();
    let store = home.scratch().join("password-store");
    let pass = |args: &[&str], stdin: &str| {
        tool(gnupg.cmd("pass").env("PASSWORD_STORE_DIR", &store).args(args), stdin);
    };
    pass(&["init", "test@example.org"], "");
    pass(
        &["insert", "-m", "Web/example.org"],
        "pw one\nlogin: alice\nurl: https://example.org/login\n\
         otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example\nsecurity question: blue\n",
    );
    pass(&["insert", "-m", "Email/work/mail"], "pw two\nuser: bob@work.example\n");
    pass(&["insert", "-m", "root-entry"], "only a password\n");

    // The store from PASSWORD_STORE_DIR, as pass itself finds it; gpg from GNUPGHOME.
    let run = |extra: &[&str]| {
        home.cmd()
            .env("GNUPGHOME", gnupg.path())
            .env("PASSWORD_STORE_DIR", &store)
            .arg("--password-file")
            .arg(home.password_file())
            .args(["import", "--from", "pass"])
            .args(extra)
            .output()
            .unwrap()
    };
    let dry = run(&["--dry-run"]);
    assert_ok(&dry, &["import --from pass --dry-run"]);
    assert_eq!(String::from_utf8_lossy(&dry.stdout).lines().count(), 3);
    let out = run(&[]);
    assert_ok(&out, &["import --from pass"]);
    assert!(stderr(&out).contains("Imported 3 items"), "{}", stderr(&out));
    assert_eq!(names(&home), ["Email/work/mail", "Web/example.org", "root-entry"]);
    let web = item(&home, "Web/example.org");
    assert_eq!(web["password"], "pw one");
    assert_eq!(web["username"], "alice");
    assert_eq!(web["urls"], serde_json::json!(["https://example.org/login"]));
    assert!(
        web["totp"].as_str().unwrap().starts_with("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP")
    );
    assert_eq!(web["notes"], "security question: blue");
    assert_eq!(web["tags"], serde_json::json!(["Web"]));
    assert_eq!(item(&home, "Email/work/mail")["username"], "bob@work.example");
    assert_eq!(item(&home, "Email/work/mail")["tags"], serde_json::json!(["Email/work"]));
    // The store given as an argument, a second time: every entry is a duplicate.
    let again = run(&[store.to_str().unwrap()]);
    assert_ok(&again, &["import --from pass again"]);
    assert!(stderr(&again).contains("Imported 0 items, skipped 3 duplicates"), "{}", stderr(&again));

    // A file gpg cannot decrypt fails the whole import and names it.
    std::fs::write(store.join("Web/broken.gpg"), "not OpenPGP data").unwrap();
    let before = vault_bytes(&home);
    let bad = run(&[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("cannot decrypt") && stderr(&bad).contains("broken.gpg"),
        "{}",
        stderr(&bad)
    );
    assert_eq!(vault_bytes(&home), before);
}

#[test]
fn dry_run_changes_nothing() {
    let home = Home::new();
    home.init();
    assert_ok(
        &home.run_stdin(&["add", "GitHub", "-u", "octocat", "--password-stdin"], "gh-pass\n"),
        &["add"],
    );
    let before = vault_bytes(&home);
    let out = home
        .cmd()
        .arg("--password-file")
        .arg(home.password_file())
        .args(["import", "--from", "bitwarden-json", "--dry-run"])
        .arg(sample("bitwarden.json"))
        .output()
        .unwrap();
    assert_ok(&out, &["import --dry-run"]);
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(stdout.contains("add   Wi-Fi\n"), "{stdout}");
    assert!(
        stdout.contains("skip  GitHub  (octocat)  (duplicate of \"GitHub\" already in the vault)"),
        "{stdout}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("would import 5 items, skip 1 duplicate; 2 warnings. Nothing was changed."),
        "{err}"
    );
    assert!(err.contains("items[6] \"Old\": in Bitwarden's trash"), "{err}");
    assert_eq!(vault_bytes(&home), before, "a dry run must not write the vault");
    assert_eq!(names(&home), ["GitHub"]);
}

#[test]
fn duplicate_import_is_reported_and_skipped() {
    let home = Home::new();
    home.init();
    // An item already in the vault with the same site and credentials as an export row.
    assert_ok(
        &home.run_stdin(
            &["add", "my github", "-u", "octocat", "--url", "https://www.github.com", "--password-stdin"],
            "gh\"pw\n",
        ),
        &["add"],
    );
    let first = import(&home, "chrome-csv", &sample("chrome.csv"));
    assert_ok(&first, &["import chrome-csv"]);
    let err = stderr(&first);
    assert!(
        err.contains("skipped github.com  (octocat): duplicate of \"my github\" already in the vault"),
        "{err}"
    );
    assert!(err.contains("Imported 2 items, skipped 1 duplicate, 0 warnings."), "{err}");
    assert_eq!(names(&home), ["accounts.google.com", "com.example.app", "my github"]);

    let before = vault_bytes(&home);
    let second = import(&home, "chrome-csv", &sample("chrome.csv"));
    assert_ok(&second, &["import chrome-csv again"]);
    assert!(stderr(&second).contains("Imported 0 items, skipped 3 duplicates"), "{}", stderr(&second));
    assert_eq!(vault_bytes(&home), before, "nothing new: the vault is not rewritten");
}

#[test]
fn malformed_files_fail_naming_the_line_and_import_nothing() {
    let home = Home::new();
    home.init();
    let before = vault_bytes(&home);
    let csv = home.write(
        "broken.csv",
        "name,url,username,password,note\ngood,https://a.example,u,p,\n\"unterminated,https://b.example,u,p,\nlast,https://c.example,u,p,\n",
    );
    let out = import(&home, "chrome-csv", &csv);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("nothing was imported: line 3 (record 2):"), "{err}");
    assert_eq!(vault_bytes(&home), before);

    let json = home.write(
        "broken.json",
        r#"{"encrypted": false, "items": [{"type": 1, "name": "ok"}, {"type": "login", "name": "Bank"}]}"#,
    );
    let out = import(&home, "bitwarden-json", &json);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("items[1] \"Bank\": invalid type: string \"…\", expected i64"),
        "{}",
        stderr(&out)
    );

    let encrypted =
        home.write("enc.json", r#"{"encrypted": true, "passwordProtected": true, "data": "2.x|y|z"}"#);
    let out = import(&home, "bitwarden-json", &encrypted);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("this Bitwarden export is encrypted"), "{}", stderr(&out));

    // A file of another format: the missing column is named.
    let wrong = import(&home, "keepassxc-csv", &sample("chrome.csv"));
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("no \"title\" column; is this really a KeePassXC CSV export?"),
        "{}",
        stderr(&wrong)
    );
    assert_eq!(vault_bytes(&home), before, "no failed import wrote anything");
}

#[test]
fn import_needs_a_vault_first() {
    let home = Home::new();
    let out = import(&home, "chrome-csv", &sample("chrome.csv"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("hush init"), "{}", stderr(&out));
}

#[test]
fn plaintext_export_needs_the_flag() {
    let home = Home::new();
    home.init();
    assert_ok(&home.run_stdin(&["add", "bank", "-u", "me", "--password-stdin"], "s3cret-pw\n"), &["add"]);
    for format in ["json", "csv"] {
        let target = home.scratch().join(format!("out.{format}"));
        let out = home.run(&["export", "--format", format, "--output", target.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(stderr(&out).contains("without --plaintext"), "{}", stderr(&out));
        assert!(out.stdout.is_empty() && !target.exists(), "{format}: nothing written");
        let out = home.run(&["export", "--format", format]);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty(), "{format}: nothing on stdout either");

        let out =
            home.run(&["export", "--format", format, "--plaintext", "--output", target.to_str().unwrap()]);
        assert_ok(&out, &["export --plaintext"]);
        assert!(stderr(&out).contains("holds 1 password(s) in plain text"), "{}", stderr(&out));
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{format}");
        assert!(std::fs::read_to_string(&target).unwrap().contains("s3cret-pw"));
    }
    // Exports never land in hush's own folder.
    let inside = home.path().join("vault.hush");
    let out = home.run(&["export", "--format", "hush", "--output", inside.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("hush's own folder"), "{}", stderr(&out));
}

/// A vault with one of everything.
fn rich_home() -> Home {
    let home = Home::new();
    home.init();
    let add = |args: &[&str], pw: &str| assert_ok(&home.run_stdin(args, pw), args);
    add(
        &[
            "add",
            "GitHub",
            "-u",
            "octocat",
            "--url",
            "https://github.com/login",
            "--url",
            "https://gist.github.com",
            "--notes",
            "multi\nline, \"quoted\"",
            "--totp",
            "JBSWY3DPEHPK3PXP",
            "--field",
            "team=core",
            "--hidden-field",
            "recovery=r3c0very",
            "--tag",
            "dev",
            "--tag",
            "work",
            "--password-stdin",
        ],
        "first,pw\n",
    );
    assert_ok(&home.run_stdin(&["edit", "GitHub", "--password-stdin"], "second\"pw\n"), &["edit"]);
    add(&["add", "Wi-Fi", "--kind", "note", "--notes", "psk: letmein"], "");
    add(&["add", "bank", "-u", "me@bank.example", "--url", "bank.example", "--password-stdin"], "b4nk\n");
    home
}

#[test]
fn json_export_import_round_trip_keeps_everything() {
    let a = rich_home();
    let file = a.scratch().join("all.json");
    assert_ok(
        &a.run(&["export", "--format", "json", "--plaintext", "--output", file.to_str().unwrap()]),
        &["export json"],
    );
    let b = Home::new();
    b.init();
    let out = import(&b, "hush-json", &file);
    assert_ok(&out, &["import hush-json"]);
    assert!(stderr(&out).contains("Imported 3 items, skipped 0 duplicates, 0 warnings."), "{}", stderr(&out));
    assert_eq!(names(&b), names(&a));
    for name in ["GitHub", "Wi-Fi", "bank"] {
        let (mut x, mut y) = (item(&a, name), item(&b, name));
        // A new item in B: a new id; everything else is the same, times included.
        x.as_object_mut().unwrap().remove("id");
        y.as_object_mut().unwrap().remove("id");
        assert_eq!(x, y, "{name}");
    }
    assert_eq!(item(&b, "GitHub")["history"][0]["password"], "first,pw");
    // Importing it again doubles nothing.
    let out = import(&b, "hush-json", &file);
    assert!(stderr(&out).contains("Imported 0 items, skipped 3 duplicates"), "{}", stderr(&out));
}

#[test]
fn csv_export_imports_as_bitwarden_csv() {
    let a = rich_home();
    let out = a.run(&["export", "--format", "csv", "--plaintext"]);
    assert_ok(&out, &["export csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with(
        "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n"
    ));
    let file = a.write("all.csv", &csv);
    let b = Home::new();
    b.init();
    assert_ok(&import(&b, "bitwarden-csv", &file), &["import bitwarden-csv"]);
    assert_eq!(names(&b), names(&a));
    let (x, y) = (item(&a, "GitHub"), item(&b, "GitHub"));
    for key in ["username", "password", "urls", "notes", "totp", "kind"] {
        assert_eq!(x[key], y[key], "{key}");
    }
    // The CSV layout keeps one folder (the first tag) and shows fields as text.
    assert_eq!(y["tags"], serde_json::json!(["dev"]));
    assert_eq!(y["fields"][1], serde_json::json!({"name": "recovery", "value": "r3c0very", "hidden": false}));
    assert_eq!(item(&b, "Wi-Fi")["kind"], "note");
}

#[test]
fn encrypted_backup_restores_on_another_home() {
    let a = rich_home();
    let code_a = a.ok(&["kit"]).trim().to_owned();
    let backup = a.scratch().join("backup.hush");
    let out = a.run(&["export", "--format", "hush", "--output", backup.to_str().unwrap()]);
    assert_ok(&out, &["export hush"]);
    assert!(stderr(&out).contains("Wrote an encrypted backup of 3 item(s)"), "{}", stderr(&out));
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let bytes = std::fs::read(&backup).unwrap();
    assert_eq!(bytes, std::fs::read(a.path().join("vault.hush")).unwrap(), "a copy of the vault file");
    assert!(!hush_e2e::contains_bytes(&bytes, b"octocat") && !hush_e2e::contains_bytes(&bytes, b"b4nk"));

    // Home B has its own account and another master password.
    let b = Home::new();
    b.write("password", &format!("{}\n", hush_e2e::NEW_PASSWORD));
    let code_b = b.init();
    assert_ok(&b.run_stdin(&["add", "local", "--password-stdin"], "x\n"), &["add"]);
    let before = vault_bytes(&b);
    let code_file = b.write("code-a", &format!("{code_a}\n"));
    let wrong_code = b.write("code-b", &format!("{code_b}\n"));
    let a_password = a.password_file();
    let restore = |code: &Path, password: &Path| {
        b.cmd()
            .arg("--password-file")
            .arg(b.password_file())
            .args(["import", "--from", "hush"])
            .arg(&backup)
            .arg("--setup-code-file")
            .arg(code)
            .arg("--backup-password-file")
            .arg(password)
            .output()
            .unwrap()
    };
    // Without the setup code and nobody at a terminal: told how to give it.
    let out = b.run(&["import", "--from", "hush", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--setup-code-file"), "{}", stderr(&out));
    // B's own code is for another account.
    let out = restore(&wrong_code, &a_password);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("setup code is for another account"), "{}", stderr(&out));
    // B's password is not the backup's.
    let out = restore(&code_file, &b.password_file());
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrong master password"), "{}", stderr(&out));
    assert_eq!(vault_bytes(&b), before, "failed restores change nothing");

    let out = restore(&code_file, &a_password);
    assert_ok(&out, &["import --from hush"]);
    assert!(stderr(&out).contains("Imported 3 items, skipped 0 duplicates"), "{}", stderr(&out));
    assert_eq!(names(&b), ["GitHub", "Wi-Fi", "bank", "local"]);
    for name in ["GitHub", "Wi-Fi", "bank"] {
        let (mut x, mut y) = (item(&a, name), item(&b, name));
        x.as_object_mut().unwrap().remove("id");
        y.as_object_mut().unwrap().remove("id");
        assert_eq!(x, y, "{name}: everything, history and times included");
    }
    // B keeps its own master password.
    assert!(b.ok(&["get", "bank", "--field", "password"]).contains("b4nk"));
}

#[test]
fn backup_of_the_same_account_restores_deleted_items_without_the_setup_code() {
    let a = rich_home();
    let backup = a.scratch().join("backup.hush");
    assert_ok(&a.run(&["export", "--format", "hush", "--output", backup.to_str().unwrap()]), &["export"]);
    assert_ok(&a.run(&["rm", "bank", "--yes"]), &["rm"]);
    let out = import(&a, "hush", &backup);
    assert_ok(&out, &["import --from hush (same account)"]);
    assert!(stderr(&out).contains("Imported 1 item, skipped 2 duplicates"), "{}", stderr(&out));
    assert_eq!(a.ok(&["get", "bank", "--field", "password"]), "b4nk\n");
}
