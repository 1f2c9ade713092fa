//! Issue #2 end to end: every local command through the real `hush` binary.

use std::os::unix::fs::PermissionsExt;

use hush_e2e::{Home, Marked, assert_ok, contains_bytes, stderr};

#[test]
fn init_prints_setup_code_and_creates_private_files() {
    let home = Home::new();
    let code = home.init();
    assert!(code.starts_with("HUSH1-"), "{code}");
    for f in ["vault.hush", "account.key"] {
        let mode = std::fs::metadata(home.path().join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
    let mode = std::fs::metadata(home.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    // A second init refuses to overwrite.
    let again = home.run(&["init", "--insecure-kdf", "--kdf-memory-mib", "8", "--kdf-iterations", "1"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    // kit prints the same code after checking the password.
    assert_eq!(home.ok(&["kit"]).trim(), code);
}

#[test]
fn init_refuses_weak_kdf_without_the_flag() {
    let home = Home::new();
    let out = home.run(&["init", "--kdf-memory-mib", "8", "--kdf-iterations", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("below the minimum"), "{}", stderr(&out));
    assert!(!home.path().join("vault.hush").exists());
}

#[test]
fn init_refuses_an_empty_password() {
    let home = Home::new();
    let empty = home.write("empty", "\n");
    let out = home
        .cmd()
        .arg("--password-file")
        .arg(&empty)
        .args(["init", "--insecure-kdf", "--kdf-memory-mib", "8"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot be empty"), "{}", stderr(&out));
}

#[test]
fn add_get_edit_history_rm() {
    let home = Home::new();
    home.init();
    let out = home.run_stdin(
        &[
            "add",
            "github",
            "--username",
            "octocat",
            "--url",
            "https://github.com/login",
            "--notes",
            "work account",
            "--field",
            "pin=1234",
            "--tag",
            "dev",
            "--password-stdin",
        ],
        "first-password\n",
    );
    assert_ok(&out, &["add"]);
    assert_eq!(home.ok(&["get", "github", "--field", "password"]), "first-password\n");
    assert_eq!(home.ok(&["get", "github", "--field", "username"]), "octocat\n");
    assert_eq!(home.ok(&["get", "github", "--field", "pin"]), "1234\n");
    // Queries match the URL host, the user name and tags too.
    for q in ["github.com", "octocat", "dev", "GitHub"] {
        assert_eq!(home.ok(&["get", q, "--field", "name"]), "github\n", "query {q}");
    }
    // The readable view hides the password unless --show.
    let view = home.ok(&["get", "github"]);
    assert!(!view.contains("first-password") && view.contains("octocat"), "{view}");
    assert!(home.ok(&["get", "github", "--show"]).contains("first-password"));
    // JSON has every field.
    let json: serde_json::Value = serde_json::from_str(&home.ok(&["get", "github", "--json"])).unwrap();
    assert_eq!(json["notes"], "work account");
    assert_eq!(json["urls"][0], "https://github.com/login");
    assert_eq!(json["fields"][0]["name"], "pin");

    // Every field is editable, including the name; the old password goes to history.
    let out = home.run_stdin(
        &[
            "edit",
            "github",
            "--name",
            "gh",
            "--username",
            "hubot",
            "--password-stdin",
            "--tag",
            "work",
            "--url",
            "gh.example",
        ],
        "second-password\n",
    );
    assert_ok(&out, &["edit"]);
    assert_eq!(home.ok(&["get", "gh", "--field", "password"]), "second-password\n");
    assert_eq!(home.ok(&["get", "gh", "--field", "username"]), "hubot\n");
    assert_eq!(home.ok(&["get", "gh", "--field", "url"]), "gh.example\n");
    let history = home.ok(&["history", "gh", "--show"]);
    assert!(history.contains("first-password"), "{history}");
    let hj: serde_json::Value =
        serde_json::from_str(&home.ok(&["history", "gh", "--json", "--show"])).unwrap();
    assert_eq!(hj[0]["password"], "first-password");
    // A value that the rest of the view (an id prefix, a date) cannot contain by chance.
    home.ok(&["edit", "gh", "--remove-field", "pin", "--field", "seat=12A", "--hidden-field", "cvv=cvv-xq7"]);
    assert_eq!(home.ok(&["get", "gh", "--field", "seat"]), "12A\n");
    assert!(!home.ok(&["get", "gh"]).contains("cvv-xq7"), "hidden fields are hidden");
    assert_eq!(home.run(&["get", "gh", "--field", "pin"]).status.code(), Some(2));

    // ls lists it; JSON listing has no secrets.
    assert!(home.ok(&["ls"]).contains("gh"));
    let ls = home.ok(&["ls", "--json"]);
    assert!(ls.contains("\"gh\"") && !ls.contains("second-password"), "{ls}");

    home.ok(&["rm", "gh"]);
    assert_eq!(home.run(&["get", "gh"]).status.code(), Some(3), "deleted items are gone");
    assert_eq!(home.ok(&["ls", "--json"]).trim(), "[]");
}

#[test]
fn generated_passwords_are_unique_and_follow_options() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "a", "--generate"]);
    home.ok(&["add", "b", "--generate", "--length", "40", "--no-symbols"]);
    let a = home.ok(&["get", "a", "--field", "password"]);
    let b = home.ok(&["get", "b", "--field", "password"]);
    assert_eq!(a.trim().chars().count(), 24);
    assert_eq!(b.trim().len(), 40);
    assert!(b.trim().chars().all(|c| c.is_ascii_alphanumeric()), "{b}");
    assert_ne!(a, b);
    // Regenerating respects the item's own policy (no symbols for b).
    home.ok(&["edit", "b", "--generate"]);
    let b2 = home.ok(&["get", "b", "--field", "password"]);
    assert_ne!(b, b2);
    assert_eq!(b2.trim().len(), 40);
    assert!(b2.trim().chars().all(|c| c.is_ascii_alphanumeric()), "{b2}");
}

#[test]
fn gen_passwords_and_passphrases() {
    let home = Home::new();
    let out = home.run(&["gen", "--length", "32", "--no-ambiguous"]);
    assert_ok(&out, &["gen"]);
    let pw = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(pw.trim().chars().count(), 32);
    assert!(!pw.trim().contains(['0', 'O', 'l', '1', 'I']), "{pw}");
    assert!(stderr(&out).contains("bits of entropy"));
    let phrase = home.ok(&["gen", "--words", "5", "--separator", "."]);
    assert_eq!(phrase.trim().split('.').count(), 5, "{phrase}");
}

#[test]
fn totp_codes_follow_rfc6238() {
    let home = Home::new();
    home.init();
    // RFC 6238's SHA-1 seed "12345678901234567890" in Base32.
    home.ok(&[
        "add",
        "--no-password",
        "aws",
        "--totp",
        "otpauth://totp/AWS:me?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=AWS",
    ]);
    let code = home.ok(&["totp", "aws"]);
    assert_eq!(code.trim().len(), 8);
    assert!(code.trim().chars().all(|c| c.is_ascii_digit()));
    assert_eq!(home.ok(&["get", "aws", "--field", "totp"]).trim().len(), 8);
    let json: serde_json::Value = serde_json::from_str(&home.ok(&["totp", "aws", "--json"])).unwrap();
    assert_eq!(json["code"].as_str().unwrap().len(), 8);
    assert!((1..=30).contains(&json["remaining"].as_u64().unwrap()), "{json}");
    // A bare secret is accepted too, and the TOTP secret is editable.
    home.ok(&["edit", "aws", "--totp", "JBSWY3DPEHPK3PXP"]);
    assert_eq!(home.ok(&["totp", "aws"]).trim().len(), 6);
    let bad = home.run(&["edit", "aws", "--totp", "not base32!"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("TOTP"), "{}", stderr(&bad));
    home.ok(&["edit", "aws", "--clear-totp"]);
    assert_eq!(home.run(&["totp", "aws"]).status.code(), Some(2));
}

#[test]
fn ambiguous_queries_list_candidates_and_exact_names_win() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "--no-password", "mail", "--username", "a@example.com"]);
    home.ok(&["add", "--no-password", "mail-work", "--username", "b@example.com"]);
    home.ok(&["add", "--no-password", "mailbox"]);
    // "mail" is an exact name: it wins over the two substring matches.
    assert_eq!(home.ok(&["get", "mail", "--field", "username"]), "a@example.com\n");
    let out = home.run(&["get", "example.com"]);
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(err.contains("mail-work") && err.contains("matches several"), "{err}");
    assert_eq!(home.run(&["get", "nothing-like-it"]).status.code(), Some(3));
}

#[test]
fn wrong_password_is_refused_and_changes_nothing() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "x", "--generate"]);
    let before = std::fs::read(home.path().join("vault.hush")).unwrap();
    let wrong = home.write("wrong", "not the password\n");
    for args in
        [vec!["get", "x"], vec!["add", "--no-password", "y"], vec!["rm", "x"], vec!["kit"], vec!["passwd"]]
    {
        let out = home.cmd().arg("--password-file").arg(&wrong).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(5), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("wrong master password"), "{}", stderr(&out));
    }
    assert_eq!(std::fs::read(home.path().join("vault.hush")).unwrap(), before);
}

#[test]
fn no_terminal_and_no_password_file_says_what_to_do() {
    let home = Home::new();
    home.init();
    let out = home.cmd().args(["ls"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--password-file"), "{}", stderr(&out));
}

#[test]
fn passwd_changes_the_master_password() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "--no-password", "x", "--field", "k=v"]);
    let new = home.write("new", &format!("{}\n", hush_e2e::NEW_PASSWORD));
    // The vault was made with --insecure-kdf; keeping its parameters needs the flag again.
    let refused = home.run(&["passwd", "--new-password-file", new.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    home.ok(&["passwd", "--insecure-kdf", "--new-password-file", new.to_str().unwrap()]);
    let old = home.run(&["ls"]);
    assert_eq!(old.status.code(), Some(5), "the old password stops working");
    let out =
        home.cmd().arg("--password-file").arg(&new).args(["get", "x", "--field", "k"]).output().unwrap();
    assert_ok(&out, &["get with new password"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "v\n");
}

#[test]
fn secrets_given_as_a_dash_come_from_standard_input_not_argv() {
    // `--totp -` and `--hidden-field KEY=-` read the next lines of standard input,
    // after the password's line, so no seed or hidden value is on the command line.
    let home = Home::new();
    home.init();
    let out = home.run_stdin(
        &["add", "bank", "--password-stdin", "--totp", "-", "--hidden-field", "cvv=-"],
        "pw-line-1\nJBSWY3DPEHPK3PXP\ncvv-line-3\n",
    );
    assert_ok(&out, &["add"]);
    assert_eq!(home.ok(&["get", "bank", "--field", "password"]), "pw-line-1\n");
    assert_eq!(home.ok(&["get", "bank", "--field", "cvv"]), "cvv-line-3\n");
    let json: serde_json::Value = serde_json::from_str(&home.ok(&["get", "bank", "--json"])).unwrap();
    assert!(json["totp"].as_str().unwrap().contains("secret=JBSWY3DPEHPK3PXP"), "{json}");
    let out = home.run_stdin(&["edit", "bank", "--totp", "-"], "GEZDGNBVGY3TQOJQ\n");
    assert_ok(&out, &["edit"]);
    let json: serde_json::Value = serde_json::from_str(&home.ok(&["get", "bank", "--json"])).unwrap();
    assert!(json["totp"].as_str().unwrap().contains("secret=GEZDGNBVGY3TQOJQ"), "{json}");
    // A malformed hidden field does not repeat its text, which may be the secret.
    let out = home.run(&["edit", "bank", "--hidden-field", "just-a-secret"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("just-a-secret"), "{}", stderr(&out));
}

#[test]
fn an_account_key_of_another_vault_is_named_not_taken_for_a_wrong_password() {
    // passwd and register once unwrapped the keyset themselves, and passwd reported
    // another vault's account.key as a wrong master password (exit 5).
    let (home, other) = (Home::new(), Home::new());
    home.init();
    other.init();
    std::fs::copy(other.path().join("account.key"), home.path().join("account.key")).unwrap();
    let new = home.write("new", &format!("{}\n", hush_e2e::NEW_PASSWORD));
    for args in [&["passwd", "--insecure-kdf", "--new-password-file", new.to_str().unwrap()][..], &["kit"]] {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("account.key belongs to another account"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn tampered_vault_is_reported_and_never_overwritten() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "x", "--generate"]);
    let path = home.path().join("vault.hush");
    let mut bytes = std::fs::read(&path).unwrap();
    // Flip a bit near the end: inside the last item blob or the sealed state.
    let n = bytes.len();
    bytes[n - 40] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    // Every write path refuses it: add, edit and rm (which decrypt no other item) too.
    for args in [&["add", "--no-password", "y"][..], &["edit", "x", "--username", "z"], &["rm", "x", "--yes"]]
    {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("authenticate"), "{args:?}: {}", stderr(&out));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{args:?} overwrote a vault that fails to authenticate"
        );
    }
    // Truncation is reported as damage.
    std::fs::write(&path, &bytes[..n / 2]).unwrap();
    let out = home.run(&["ls"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("damaged"), "{}", stderr(&out));
}

#[test]
fn eight_concurrent_adds_all_land() {
    let home = Home::new();
    home.init();
    let children: Vec<_> = (0..8)
        .map(|i| {
            home.cmd()
                .arg("--password-file")
                .arg(home.password_file())
                .args(["add", &format!("item-{i}"), "--generate"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_ok(&out, &["concurrent add"]);
    }
    let list: Vec<serde_json::Value> = serde_json::from_str(&home.ok(&["ls", "--json"])).unwrap();
    let mut names: Vec<_> = list.iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, (0..8).map(|i| format!("item-{i}")).collect::<Vec<_>>());
}

#[test]
fn killed_mid_write_leaves_old_or_new_vault() {
    let home = Home::new();
    home.init();
    // A vault big enough that writing it takes a moment.
    for i in 0..30 {
        home.ok(&["add", "--no-password", &format!("seed-{i}"), "--notes", &"n".repeat(4000)]);
    }
    for round in 0..12 {
        let mut child = home
            .cmd()
            .arg("--password-file")
            .arg(home.password_file())
            .args(["add", "--no-password", &format!("killed-{round}"), "--notes", &"k".repeat(4000)])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2 + round * 3));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever moment the kill hit, the vault opens with the old or the new content.
        let list: Vec<serde_json::Value> = serde_json::from_str(&home.ok(&["ls", "--json"])).unwrap();
        assert!(list.len() >= 30, "round {round}: {} items", list.len());
    }
    // Stale temporary files from killed writers are cleaned up by the next writer.
    home.ok(&["add", "--no-password", "final"]);
    let stale: Vec<_> = home.files().into_iter().filter(|p| p.to_string_lossy().ends_with(".tmp")).collect();
    assert!(stale.is_empty(), "{stale:?}");
}

#[test]
fn no_plaintext_in_any_written_file() {
    let home = Home::new();
    home.init();
    let marked = Marked {
        name: "SiteNameXyzzy",
        username: "user-plugh@example.org",
        password: "pw-Correct-Frobnicate-42",
        notes: "notes-quux-corge",
        host: "bankofplugh.example",
        tag: "TAGWIBBLE",
    };
    let field = "fieldvalue-grault";
    home.add_marked(&marked, &["--field", &format!("k={field}"), "--totp", "JBSWY3DPEHPK3PXP"]);
    let secrets: Vec<&str> = marked.all().into_iter().chain([field]).collect();
    home.ok(&["edit", secrets[0], "--generate"]);
    let files = home.files();
    assert!(files.len() >= 3, "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for s in secrets.iter().chain(["JBSWY3DPEHPK3PXP", hush_e2e::PASSWORD].iter()) {
            assert!(!contains_bytes(&bytes, s.as_bytes()), "{} contains {s}", f.display());
            assert!(!contains_bytes(&bytes, s.to_lowercase().as_bytes()), "{} contains {s}", f.display());
        }
    }
}

#[test]
fn help_teaches_and_documents_exit_codes() {
    let home = Home::new();
    let help = home.ok(&["--help"]);
    assert!(help.contains("Exit codes") && help.contains("HUSH_HOME"), "{help}");
    let add = home.ok(&["add", "--help"]);
    assert!(add.contains("Examples") && add.contains("--password-stdin"), "{add}");
}

#[test]
fn init_on_a_terminal_asks_twice_and_refuses_empty_and_mismatched_passwords() {
    let home = Home::new();
    let args: Vec<String> = ["init", "--insecure-kdf", "--kdf-memory-mib", "8", "--kdf-iterations", "1"]
        .map(String::from)
        .to_vec();
    let Some(mut term) = hush_e2e::Terminal::start_raw(&home, &args) else { return };
    term.expect("New master password:");
    term.send("");
    term.expect("cannot be empty");
    term.expect("New master password:");
    term.send(hush_e2e::NEW_PASSWORD);
    term.expect("Repeat the master password:");
    term.send("something else");
    term.expect("differ");
    term.expect("New master password:");
    term.send(hush_e2e::PASSWORD);
    term.expect("Repeat the master password:");
    term.send(hush_e2e::PASSWORD);
    term.expect("HUSH1-");
    assert_eq!(term.wait(), Some(0));
    // The password typed on the terminal is the one that opens the vault, and a
    // command without --password-file asks for it on the terminal (no echo). (init on a
    // terminal left the key with the agent: lock it first, so that the password is asked.)
    home.ok(&["lock"]);
    home.ok(&["add", "--no-password", "x", "--field", "k=v"]);
    let Some(mut term) =
        hush_e2e::Terminal::start_raw(&home, &["get".into(), "x".into(), "--field".into(), "k".into()])
    else {
        return;
    };
    term.expect("Master password:");
    term.send(hush_e2e::PASSWORD);
    let shown = term.expect("v");
    assert!(!shown.contains(hush_e2e::PASSWORD), "the password was echoed: {shown:?}");
    assert_eq!(term.wait(), Some(0));
    home.ok(&["lock"]);
}

#[test]
fn rm_on_a_terminal_asks_for_the_master_password_once_then_confirms() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "--no-password", "doomed"]);
    let Some(mut term) =
        hush_e2e::Terminal::start_raw(&home, &["rm".into(), "--purge".into(), "doomed".into()])
    else {
        return;
    };
    term.expect("Master password:");
    term.send(hush_e2e::PASSWORD);
    let between = term.expect("Delete doomed for good?");
    assert!(!between.contains("Master password:"), "asked twice: {between:?}");
    term.send("y");
    term.expect("Deleted doomed for good");
    assert_eq!(term.wait(), Some(0));
    assert_eq!(home.run(&["get", "doomed"]).status.code(), Some(3));
    // The password typed there left the key with the agent (issue #10, point 3).
    home.ok(&["lock"]);
}
