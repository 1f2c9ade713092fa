//! Issue #9, items 6 (client half), 8 and 12, end to end with the real `hush`: damage
//! is told apart from a wrong password and says how to recover; the backup survives
//! writers killed at any moment; no secret goes on a command line without a warning;
//! nothing larger than the sync server takes is ever written.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use hush_e2e::{Home, assert_ok, stderr};

/// Where the parts of a format-2 `vault.hush` lie (docs/vault-format.md, "`vault.hush`").
struct Layout {
    /// Magic, format, header length, header and its checksum: the checked header.
    header: Range<usize>,
    /// The KDF salt inside the header (bincode: account id 16, m, t, p, then the salt).
    salt: Range<usize>,
    /// The sealed state, without its length.
    state: Range<usize>,
    /// The cleartext table (ids and blob lengths), without the item count.
    table: Range<usize>,
    /// The blobs.
    blobs: Range<usize>,
}

fn u32_at(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
}

fn layout(bytes: &[u8]) -> Layout {
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 2, "a format-2 file");
    let header_end = 14 + u32_at(bytes, 10) + 32;
    let state = header_end + 4..header_end + 4 + u32_at(bytes, header_end);
    let count = u32_at(bytes, state.end);
    let table = state.end + 4..state.end + 4 + 20 * count;
    Layout {
        header: 0..header_end,
        salt: 14 + 28..14 + 44,
        state,
        table: table.clone(),
        blobs: table.end..bytes.len(),
    }
}

/// `bytes` as hush wrote it before format 2: format 1, without the header's checksum.
fn to_format_1(bytes: &[u8]) -> Vec<u8> {
    let checksum_at = layout(bytes).header.end - 32;
    let mut old = [&bytes[..checksum_at], &bytes[checksum_at + 32..]].concat();
    old[8..10].copy_from_slice(&1u16.to_le_bytes());
    old
}

fn vault(home: &Home) -> PathBuf {
    home.path().join("vault.hush")
}

fn backup(home: &Home) -> PathBuf {
    home.path().join("vault.hush.bak")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A home with a few items and a backup (the vault has been written more than once).
fn home_with_items() -> Home {
    let home = Home::new();
    home.init();
    for name in ["alpha", "beta", "gamma"] {
        let out =
            home.run_stdin(&["add", name, "--password-stdin", "--notes", "-"], "a password\nsome notes\n");
        assert_ok(&out, &["add"]);
    }
    home
}

/// Whether `bytes` open as a vault with the home's account key and password: copied
/// into a home of their own, as a user restoring them would (docs/vault-format.md,
/// "Recovering").
fn opens_with_the_password(home: &Home, bytes: &[u8]) -> Result<usize, String> {
    let other = Home::new();
    std::fs::create_dir_all(other.path()).unwrap();
    std::fs::copy(home.path().join("account.key"), other.path().join("account.key")).unwrap();
    std::fs::write(other.path().join("vault.hush"), bytes).unwrap();
    let out = other.run(&["ls", "--json"]);
    if !out.status.success() {
        return Err(stderr(&out));
    }
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    Ok(list.len())
}

/// A report of damage: it names the file, says that nothing was modified and where
/// recovery is documented.
fn assert_reports_damage(out: &Output, file: &Path, code: i32, what: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{what}: {err}");
    for part in [&file.display().to_string()[..], "not modified", "Recovering"] {
        assert!(err.contains(part), "{what}: {part:?} missing from {err}");
    }
    assert!(!err.contains("wrong master password"), "{what}: {err}");
}

#[test]
fn a_damaged_header_is_damage_found_before_any_key_derivation_never_a_wrong_password() {
    let home = home_with_items();
    let good = read(&vault(&home));
    let bak = read(&backup(&home));
    let layout = layout(&good);
    // A password file that does not exist: a command that got as far as reading the
    // password (and then running the KDF) would fail on it instead.
    let no_password = home.scratch().join("no-such-password-file");
    for at in layout.header.clone() {
        let mut damaged = good.clone();
        damaged[at] ^= 1 << (at % 8);
        std::fs::write(vault(&home), &damaged).unwrap();
        let out = home.cmd().arg("--password-file").arg(&no_password).args(["ls"]).output().unwrap();
        assert_reports_damage(&out, &vault(&home), 2, &format!("byte {at}"));
        let err = stderr(&out);
        assert!(err.contains("is damaged") && err.contains("Your previous version is in"), "{err}");
        assert!(err.contains(&backup(&home).display().to_string()), "{err}");
        assert_eq!(read(&vault(&home)), damaged, "byte {at}: the damaged file was modified");
    }
    // With the right password too, reading or writing: exit 2, never 5, and nothing
    // is written, the backup included.
    let mut damaged = good.clone();
    damaged[layout.salt.start + 3] ^= 0x10;
    std::fs::write(vault(&home), &damaged).unwrap();
    for args in [
        &["ls"][..],
        &["get", "alpha"],
        &["add", "--no-password", "delta"],
        &["edit", "alpha", "--username", "u"],
        &["audit"],
    ] {
        let out = home.run(args);
        assert_reports_damage(&out, &vault(&home), 2, &format!("{args:?}"));
        assert!(stderr(&out).contains("its header does not match its checksum"), "{}", stderr(&out));
        assert_eq!(read(&vault(&home)), damaged, "{args:?}");
        assert_eq!(read(&backup(&home)), bak, "{args:?}");
    }
    // The documented recovery: put the backup in place.
    std::fs::copy(backup(&home), vault(&home)).unwrap();
    assert_eq!(opens_with_the_password(&home, &read(&vault(&home))), Ok(2));
    assert_ok(&home.run(&["ls"]), &["ls after restoring the backup"]);
}

#[test]
fn a_format_1_vault_opens_and_its_next_save_writes_format_2() {
    let home = home_with_items();
    let old = to_format_1(&read(&vault(&home)));
    std::fs::write(vault(&home), &old).unwrap();
    // Every reader and writer takes it as it is: never refused as damaged.
    assert_eq!(home.ok(&["get", "beta", "--field", "notes"]), "some notes\n");
    assert_eq!(home.ok(&["ls"]).lines().count(), 3);
    home.ok(&["kit"]);
    assert_eq!(u16::from_le_bytes([read(&vault(&home))[8], 0]), 1, "reading does not rewrite");
    home.ok(&["add", "delta", "--generate"]);
    let new = read(&vault(&home));
    assert_eq!(u16::from_le_bytes([new[8], new[9]]), 2, "the next save writes format 2");
    assert_eq!(read(&backup(&home)), old, "the backup is the format-1 file");
    assert_eq!(opens_with_the_password(&home, &old), Ok(3));
    assert_eq!(opens_with_the_password(&home, &new), Ok(4));
    // The full-open write path upgrades too.
    std::fs::write(vault(&home), &old).unwrap();
    home.ok(&["passwd", "--insecure-kdf", "--new-password-file", home.password_file().to_str().unwrap()]);
    assert_eq!(read(&vault(&home))[8], 2);
}

#[test]
fn every_other_kind_of_damage_names_the_file_changes_nothing_and_says_what_to_do() {
    let home = home_with_items();
    let good = read(&vault(&home));
    let bak = read(&backup(&home));
    let parts = layout(&good);
    let cases: Vec<(&str, Vec<u8>, i32)> = vec![
        ("truncated", good[..good.len() / 2].to_vec(), 2),
        ("cut in its header", good[..parts.header.end - 10].to_vec(), 2),
        ("sealed state", flip(&good, parts.state.start + parts.state.len() / 2), 6),
        ("blob table: a length", flip(&good, parts.table.start + 16), 2),
        ("blob table: an id", flip(&good, parts.table.start + 3), 6),
        ("a blob", flip(&good, parts.blobs.start + 40), 6),
    ];
    for (what, damaged, code) in &cases {
        std::fs::write(vault(&home), damaged).unwrap();
        // Writers check everything; `get` reads the index and every item shown.
        for args in [
            &["add", "--no-password", "delta"][..],
            &["audit"],
            &["get", "alpha"],
            &["get", "beta"],
            &["get", "gamma"],
        ] {
            let out = home.run(args);
            if out.status.success() {
                // A read-only command checks only what it shows (docs/threat-model.md).
                assert!(args[0] == "get", "{what}: {args:?} succeeded");
                continue;
            }
            assert_reports_damage(&out, &vault(&home), *code, &format!("{what}, {args:?}"));
            assert!(stderr(&out).contains("Your previous version is in"), "{what}: {}", stderr(&out));
        }
        assert_eq!(&read(&vault(&home)), damaged, "{what}");
        assert_eq!(read(&backup(&home)), bak, "{what}: the backup was replaced");
    }

    // No backup to go back to, or a damaged one: said so, with where to go instead.
    std::fs::write(vault(&home), &cases[0].1).unwrap();
    std::fs::rename(backup(&home), home.scratch().join("kept.bak")).unwrap();
    let out = home.run(&["add", "--no-password", "delta"]);
    assert_reports_damage(&out, &vault(&home), 2, "no backup");
    assert!(stderr(&out).contains("There is no"), "{}", stderr(&out));
    assert!(stderr(&out).contains("sync server or an encrypted export"), "{}", stderr(&out));
    std::fs::write(backup(&home), &bak[..100]).unwrap();
    let out = home.run(&["add", "--no-password", "delta"]);
    assert_reports_damage(&out, &vault(&home), 2, "damaged backup");
    assert!(stderr(&out).contains("is damaged too"), "{}", stderr(&out));
    std::fs::rename(home.scratch().join("kept.bak"), backup(&home)).unwrap();
    std::fs::write(vault(&home), &good).unwrap();

    // account.key: damaged, missing, or another vault's. Each is found before the
    // KDF (no password file is needed) and named.
    let key_path = home.path().join("account.key");
    let key = read(&key_path);
    let other = Home::new();
    other.init();
    let mut flipped = key.clone();
    flipped[12] = if flipped[12] == b'A' { b'B' } else { b'A' };
    let no_password = home.scratch().join("no-such-password-file");
    for (what, content, expected) in [
        ("damaged", Some(flipped), "is damaged"),
        ("cut short", Some(key[..20].to_vec()), "is damaged"),
        ("not text", Some(vec![0xff; 40]), "is damaged (it is not text)"),
        ("missing", None, "cannot read the account key"),
        ("another vault's", Some(read(&other.path().join("account.key"))), "belongs to another account"),
    ] {
        match &content {
            Some(bytes) => std::fs::write(&key_path, bytes).unwrap(),
            None => std::fs::remove_file(&key_path).unwrap(),
        }
        let out = home
            .cmd()
            .arg("--password-file")
            .arg(&no_password)
            .args(["add", "--no-password", "delta"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        for part in [expected, &key_path.display().to_string(), "nothing was modified", "Recovering"] {
            assert!(err.contains(part), "{what}: {part:?} missing from {err}");
        }
        if let Some(bytes) = &content {
            let text = String::from_utf8_lossy(bytes);
            assert!(!err.contains(text.trim()), "{what}: the key file's content is in {err}");
        }
        assert_eq!(read(&vault(&home)), good, "{what}");
        assert_eq!(read(&backup(&home)), bak, "{what}");
    }
    // The documented fix: the setup code back as the only line.
    std::fs::write(&key_path, &key).unwrap();
    home.ok(&["add", "--no-password", "delta"]);
}

/// Runs `hush ARGS` with `input` on standard input, of which hush may read only a part.
fn run_stdin_unread(home: &Home, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = home
        .cmd()
        .arg("--password-file")
        .arg(home.password_file())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    // hush stops reading at its limit and exits: the rest cannot be written.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 0x04;
    out
}

/// Issue #9, item 12: replacing the backup by removing it and linking it again left
/// no backup when a writer was killed between the two. Writers, several at once,
/// killed with SIGKILL at many different moments: after every kill both files are
/// there and open with the password.
#[test]
fn killed_writers_always_leave_a_vault_and_a_backup() {
    let home = Home::new();
    home.init();
    // A vault large enough that a write takes a moment (the kill lands inside it).
    let notes = "n".repeat(4000);
    for i in 0..30 {
        let out = home.run_stdin(&["add", "--no-password", &format!("seed-{i}"), "--notes", "-"], &notes);
        assert_ok(&out, &["add"]);
    }
    for round in 0..40u64 {
        let writers: Vec<_> = (0..4)
            .map(|k| {
                let mut child = home
                    .cmd()
                    .arg("--password-file")
                    .arg(home.password_file())
                    .args(["add", "--no-password", &format!("killed-{round}-{k}"), "--notes", "-"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                use std::io::Write;
                let _ = child.stdin.take().unwrap().write_all(notes.as_bytes());
                child
            })
            .collect();
        // Kills spread over the writers' whole run: start, KDF, lock, write, rename.
        std::thread::sleep(std::time::Duration::from_millis(1 + (round * 7) % 60));
        for mut w in writers {
            let _ = w.kill();
            let _ = w.wait();
        }
        assert!(vault(&home).exists() && backup(&home).exists(), "round {round}: a file is missing");
        let vault_items = opens_with_the_password(&home, &read(&vault(&home)));
        let backup_items = opens_with_the_password(&home, &read(&backup(&home)));
        assert!(vault_items.as_ref().is_ok_and(|n| *n >= 30), "round {round}: vault.hush: {vault_items:?}");
        assert!(backup_items.as_ref().is_ok_and(|n| *n >= 29), "round {round}: the backup: {backup_items:?}");
    }
    // The temporary files of killed writers, staged backups included, are removed
    // by the next writer.
    home.ok(&["add", "--no-password", "final"]);
    let mut names: Vec<String> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["account.key", "vault.hush", "vault.hush.bak", "vault.lock"]);
}

#[test]
fn values_from_standard_input_come_in_the_documented_order() {
    let home = Home::new();
    home.init();
    let out = home.run_stdin(
        &[
            "add",
            "bank",
            "--notes",
            "-",
            "--hidden-field",
            "pin=-",
            "--password-stdin",
            "--totp",
            "-",
            "--hidden-field",
            "cvv=-",
        ],
        "the password\nJBSWY3DPEHPK3PXP\n4321\n987\nfirst line\n  second line\n\nfourth = line\n",
    );
    assert_ok(&out, &["add"]);
    assert!(!stderr(&out).contains("command line"), "no warning for `-`: {}", stderr(&out));
    let item: serde_json::Value = serde_json::from_str(&home.ok(&["get", "bank", "--json"])).unwrap();
    assert_eq!(item["password"], "the password");
    assert!(item["totp"].as_str().unwrap().contains("secret=JBSWY3DPEHPK3PXP"), "{item}");
    assert_eq!(home.ok(&["get", "bank", "--field", "pin"]), "4321\n");
    assert_eq!(home.ok(&["get", "bank", "--field", "cvv"]), "987\n");
    assert_eq!(item["notes"], "first line\n  second line\n\nfourth = line");

    // The notes read back and given again stay as they were.
    let notes = home.ok(&["get", "bank", "--field", "notes"]);
    assert_ok(&home.run_stdin(&["edit", "bank", "--notes", "-"], &notes), &["edit"]);
    assert_eq!(home.ok(&["get", "bank", "--field", "notes"]), notes);
    // edit: the password's line, then the notes to the end.
    let out =
        home.run_stdin(&["edit", "bank", "--notes", "-", "--password-stdin"], "new password\nnew\nnotes\n");
    assert_ok(&out, &["edit"]);
    assert_eq!(home.ok(&["get", "bank", "--field", "password"]), "new password\n");
    assert_eq!(home.ok(&["get", "bank", "--field", "notes"]), "new\nnotes\n");
    // --notes-file reads a whole file.
    let file = home.write("notes.txt", "from a file\nline two\n");
    home.ok(&["edit", "bank", "--notes-file", file.to_str().unwrap()]);
    assert_eq!(home.ok(&["get", "bank", "--field", "notes"]), "from a file\nline two\n");
    let out = home.run(&["edit", "bank", "--notes-file", file.to_str().unwrap(), "--notes", "x"]);
    assert_eq!(out.status.code(), Some(2), "--notes and --notes-file conflict: {}", stderr(&out));
    // Before this, `--notes -` stored a literal "-".
    assert_ok(&home.run_stdin(&["add", "note", "--kind", "note", "--notes", "-"], "only notes"), &["add"]);
    assert_eq!(home.ok(&["get", "note", "--field", "notes"]), "only notes\n");
}

#[test]
fn secrets_on_the_command_line_are_warned_about_and_help_says_so() {
    let home = Home::new();
    home.init();
    let out = home.run(&[
        "add",
        "--no-password",
        "site",
        "--totp",
        "JBSWY3DPEHPK3PXP",
        "--hidden-field",
        "pin=2468",
        "--hidden-field",
        "other=-",
        "--notes",
        "private notes",
        "--field",
        "visible=1",
    ]);
    // `other=-` reads a line from standard input, which is empty here.
    assert_ok(&out, &["add"]);
    let err = stderr(&out);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("on the command line")).collect();
    assert_eq!(warnings.len(), 3, "{err}");
    for (line, alternative) in warnings.iter().zip([
        "--totp -",
        "--hidden-field pin=-",
        "--notes - (standard input) or --notes-file PATH",
    ]) {
        assert!(
            line.starts_with("warning: ") && line.contains("(ps)") && line.contains(alternative),
            "{line}"
        );
        for secret in ["JBSWY3DPEHPK3PXP", "2468", "private notes"] {
            assert!(!line.contains(secret), "{line}");
        }
    }
    let out = home.run(&["edit", "site", "--totp", "GEZDGNBVGY3TQOJQ"]);
    assert_ok(&out, &["edit"]);
    assert!(stderr(&out).contains("warning: the value of --totp"), "{}", stderr(&out));
    // register: the invite code, warned about before anything else happens.
    let out = home.run(&["register", "--server", "http://127.0.0.1:9", "--invite", "INVITE-CODE-123"]);
    let err = stderr(&out);
    assert!(err.contains("warning: the value of --invite") && err.contains("--invite-file PATH"), "{err}");
    assert!(!err.lines().next().unwrap_or("").contains("INVITE-CODE-123"), "{err}");
    // --help says the same for each option.
    let add = home.ok(&["add", "--help"]);
    let edit = home.ok(&["edit", "--help"]);
    for help in [&add, &edit] {
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        for part in [
            "--notes-file",
            "KEY=- asks",
            "`-` asks",
            "visible to other local users (ps)",
            "Standard input is read in this order",
        ] {
            assert!(flat.contains(part), "{part:?} missing from {help}");
        }
    }
    let register = home.ok(&["register", "--help"]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(register.contains("(ps)") && register.contains("prefer --invite-file"), "{register}");
}

/// Issue #9, item 6 (client half): an item larger than the server's per-blob limit
/// (256 KiB) is refused when it is added, edited or imported, naming it and the limit,
/// and nothing is written. Before, hush wrote it; past 1 MiB the vault could then no
/// longer be written at all.
#[test]
fn items_larger_than_the_server_takes_are_refused_and_nothing_is_written() {
    let home = home_with_items();
    let before = read(&vault(&home));
    let bak = read(&backup(&home));
    let big = "b".repeat(300 * 1024);
    let refused = |out: &Output, name: &str, what: &str| {
        let err = stderr(out);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        for part in [&format!("{name:?}")[..], "256 KiB", "nothing was written", "docs/server.md"] {
            assert!(err.contains(part), "{what}: {part:?} missing from {err}");
        }
        assert_eq!(read(&vault(&home)), before, "{what}");
        assert_eq!(read(&backup(&home)), bak, "{what}");
    };
    refused(
        &home.run_stdin(&["add", "--no-password", "huge", "--notes", "-"], &big),
        "huge",
        "add --notes -",
    );
    let file = home.write("big-notes.txt", &big);
    refused(
        &home.run(&["add", "--no-password", "huge", "--notes-file", file.to_str().unwrap()]),
        "huge",
        "add --notes-file",
    );
    refused(&home.run_stdin(&["edit", "alpha", "--notes", "-"], &big), "alpha", "edit --notes -");
    // Over 1 MiB the notes are not even read whole.
    let out =
        run_stdin_unread(&home, &["add", "--no-password", "huger", "--notes", "-"], &"c".repeat(2 << 20));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("\"huger\"") && err.contains("larger than 1 MiB") && err.contains("256 KiB"),
        "{err}"
    );
    assert_eq!(read(&vault(&home)), before, "2 MiB of notes");
    // Fields on the command line count too: each argument is under Linux's 128 KiB,
    // together they are over the limit (9 such items once made the vault unwritable).
    let field = format!("f={}", "d".repeat(100 * 1024));
    let field2 = format!("g={}", "d".repeat(100 * 1024));
    let field3 = format!("h={}", "d".repeat(100 * 1024));
    refused(
        &home.run(&[
            "add",
            "--no-password",
            "fields",
            "--field",
            &field,
            "--field",
            &field2,
            "--field",
            &field3,
        ]),
        "fields",
        "fields",
    );
    // Just under the limit is fine, and the vault stays writable.
    assert_ok(
        &home.run_stdin(&["add", "--no-password", "large", "--notes", "-"], &"e".repeat(240 * 1024)),
        &["add 240 KiB"],
    );
    let copy = home.scratch().join("full-open.hush");
    assert_ok(&home.run(&["export", "--format", "hush", "--output", copy.to_str().unwrap()]), &["export"]);

    // Import: one item too large fails the whole import, naming it; the dry run says
    // so first. Nothing is imported.
    let before = read(&vault(&home));
    let csv = format!(
        "name,url,username,password,note\n\
         small one,https://one.example/,me,pw1,\n\
         way too big,https://big.example/,me,pw2,{big}\n\
         small two,https://two.example/,me,pw3,short\n"
    );
    let export = home.write("chrome.csv", &csv);
    let dry = home.run(&["import", "--from", "chrome-csv", export.to_str().unwrap(), "--dry-run"]);
    assert_ok(&dry, &["import --dry-run"]);
    let listed = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(listed.contains("FAIL  way too big") && listed.contains("add   small one"), "{listed}");
    assert!(stderr(&dry).contains("the import would fail: 1 item is larger"), "{}", stderr(&dry));
    let out = home.run(&["import", "--from", "chrome-csv", export.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for part in
        ["1 item is larger than one item may be", "256 KiB", "nothing was imported", "way too big  (me)"]
    {
        assert!(err.contains(part), "{part:?} missing from {err}");
    }
    assert!(!err.contains("small one"), "only the item too large is named: {err}");
    assert_eq!(read(&vault(&home)), before, "import wrote something");
    // Fixed, the same export imports whole.
    let export = home.write("chrome.csv", &csv.replace(&big, "now short"));
    assert_ok(&home.run(&["import", "--from", "chrome-csv", export.to_str().unwrap()]), &["import"]);
    assert_eq!(home.ok(&["ls"]).lines().count(), 7);
}

#[test]
fn notes_typed_on_a_terminal_end_at_ctrl_d_and_secrets_are_asked_without_echo() {
    let home = Home::new();
    home.init();
    let args = ["add", "server", "--kind", "note", "--hidden-field", "root=-", "--notes", "-"];
    let Some(mut term) = hush_e2e::Terminal::start(&home, &args) else { return };
    term.expect("root for server:");
    term.send("secret-root-pw");
    term.expect("Notes for server (end with Ctrl-D");
    term.send("rack 4, slot 2");
    term.send("second line");
    // Ctrl-D at the start of a line ends the notes.
    term.send("\u{4}");
    let shown = term.expect("Added server");
    assert!(!shown.contains("secret-root-pw"), "the hidden field was echoed: {shown:?}");
    assert_eq!(term.wait(), Some(0));
    assert_eq!(home.ok(&["get", "server", "--field", "notes"]), "rack 4, slot 2\nsecond line\n");
    assert_eq!(home.ok(&["get", "server", "--field", "root"]), "secret-root-pw\n");
}
