//! Issue #10, the item half ("The first hour"), end to end with the real binaries: names that
//! differ in case, no silent empty passwords, the editor, the history, no empty writes, copying
//! what an item is for, finding items by a page's URL, aliases, the picker, completion of item
//! names in real shells, and the trash (synced through the real server).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hush_e2e::{Home, Server, Terminal, assert_ok, bin, stderr};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `hush --password-file … ARGS` with extra environment variables.
fn run_env(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = home.cmd();
    cmd.arg("--password-file").arg(home.password_file()).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Locks the agent of a home when the test ends, however it ends.
struct LockOnDrop<'a>(&'a Home);

impl Drop for LockOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.cmd().arg("lock").output();
    }
}

// ---- 2. Same name, different case -------------------------------------------------------------

#[test]
fn names_in_another_case_open_by_their_exact_spelling_and_a_script_cannot_add_a_duplicate() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "github", "--username", "lower", "--generate"]);
    // A script may not add a second "github" in any case without saying so.
    let out = home.run(&["add", "GitHub", "--username", "upper", "--generate"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("an item named \"github\" already exists") && err.contains("--allow-duplicate-name"),
        "{err}"
    );
    assert_eq!(home.ok(&["ls", "--json"]).matches("\"name\"").count(), 1, "nothing was added");
    home.ok(&["add", "GitHub", "--username", "upper", "--generate", "--allow-duplicate-name"]);
    // Each opens by its own spelling; another spelling matches both and lists them (exit 4).
    assert_eq!(home.ok(&["get", "github", "--field", "username"]), "lower\n");
    assert_eq!(home.ok(&["get", "GitHub", "--field", "username"]), "upper\n");
    let out = home.run(&["get", "GITHUB", "--field", "username"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("github") && stderr(&out).contains("GitHub"), "{}", stderr(&out));
}

#[test]
fn a_duplicate_name_is_asked_about_on_a_terminal() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "mail", "--generate"]);
    let Some(mut term) = Terminal::start(&home, &["add", "Mail", "--generate"]) else { return };
    term.expect("An item named \"mail\" already exists; add another one named \"Mail\"? [y/N]");
    term.send("n");
    term.expect("nothing added");
    assert_eq!(term.wait(), Some(2));
    let Some(mut term) = Terminal::start(&home, &["add", "Mail", "--generate"]) else { return };
    term.expect("[y/N]");
    term.send("y");
    term.expect("Added Mail");
    assert_eq!(term.wait(), Some(0));
    assert_eq!(home.ok(&["ls", "--json"]).matches("\"name\"").count(), 2);
}

// ---- 8. No silent empty password --------------------------------------------------------------

#[test]
fn a_login_without_a_password_is_refused_in_a_script_unless_said_so() {
    let home = Home::new();
    home.init();
    let out = home.run(&["add", "router"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for way in ["--password-stdin", "--generate", "--no-password"] {
        assert!(err.contains(way), "{err}");
    }
    assert_eq!(home.ok(&["ls", "--json"]).trim(), "[]", "nothing was added");
    home.ok(&["add", "router", "--no-password", "--url", "http://192.168.1.1"]);
    assert_eq!(home.ok(&["get", "router", "--field", "password"]), "\n");
    // Notes, cards and TOTP-only items need no password.
    home.ok(&["add", "wifi", "--kind", "note", "--notes", "pin 1"]);
    home.ok(&["add", "visa", "--kind", "card", "--hidden-field", "number=4111111111111111"]);
    home.ok(&["add", "aws", "--kind", "totp-only", "--totp", "JBSWY3DPEHPK3PXP"]);
    // --no-password contradicts a password source.
    assert_eq!(home.run(&["add", "x", "--no-password", "--generate"]).status.code(), Some(2));
}

#[test]
fn a_login_without_a_password_asks_on_a_terminal_and_an_empty_answer_generates_one() {
    let home = Home::new();
    home.init();
    let Some(mut term) = Terminal::start(&home, &["add", "web"]) else { return };
    term.expect("Password for web (empty: generate one):");
    term.send("");
    term.expect("with a generated password");
    assert_eq!(term.wait(), Some(0));
    assert_eq!(home.ok(&["get", "web", "--field", "password"]).trim().chars().count(), 24);
    let Some(mut term) = Terminal::start(&home, &["add", "typed"]) else { return };
    term.expect("Password for typed (empty: generate one):");
    term.send("typed-secret-7");
    let shown = term.expect("Added typed");
    assert!(!shown.contains("typed-secret-7"), "echoed: {shown:?}");
    assert_eq!(term.wait(), Some(0));
    assert_eq!(home.ok(&["get", "typed", "--field", "password"]), "typed-secret-7\n");
}

// ---- 6. Notes and the editor ------------------------------------------------------------------

#[test]
fn notes_come_from_standard_input_or_a_file() {
    let home = Home::new();
    home.init();
    let out = home.run_stdin(&["add", "srv", "--kind", "note", "--notes", "-"], "line one\n- line two\n");
    assert_ok(&out, &["add --notes -"]);
    assert_eq!(home.ok(&["get", "srv", "--field", "notes"]), "line one\n- line two\n");
    let file = home.write("notes.txt", "from a file\n");
    home.ok(&["edit", "srv", "--notes-file", file.to_str().unwrap()]);
    assert_eq!(home.ok(&["get", "srv", "--field", "notes"]), "from a file\n");
}

/// A stand-in for an editor: a shell script that records where and how private the file it was
/// given is, then edits it with sed.
fn editor_script(home: &Home, name: &str, sed: &str) -> PathBuf {
    let log = home.scratch().join(format!("{name}.log"));
    let script = format!(
        "#!/bin/sh\nf=\"$1\"\necho \"file=$f\" >> '{log}'\necho \"mode=$(stat -c %a \"$f\")\" >> '{log}'\n\
         echo \"dirmode=$(stat -c %a \"$(dirname \"$f\")\")\" >> '{log}'\nsed -i {sed} \"$f\"\n",
        log = log.display()
    );
    let path = home.write(name, &script);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    path
}

fn log_value(home: &Home, name: &str, key: &str) -> Vec<String> {
    let log = std::fs::read_to_string(home.scratch().join(format!("{name}.log"))).unwrap_or_default();
    log.lines().filter_map(|l| l.strip_prefix(&format!("{key}="))).map(str::to_owned).collect()
}

#[test]
fn the_editor_gets_the_whole_item_in_a_private_file_on_a_ram_folder_that_is_removed_afterwards() {
    let home = Home::new();
    home.init();
    let out = home.run_stdin(
        &[
            "add",
            "github",
            "--username",
            "octocat",
            "--password-stdin",
            "--url",
            "https://github.com/login",
            "--tag",
            "dev",
        ],
        "old-pw\n",
    );
    assert_ok(&out, &["add"]);
    let editor = editor_script(
        &home,
        "ed1",
        "-e 's/^username: octocat$/username: hubot/' -e 's/^password: old-pw$/password: new-pw/' -e '$a extra note'",
    );
    let out = run_env(&home, &["edit", "github", "--editor"], &[("EDITOR", editor.to_str().unwrap())]);
    assert_ok(&out, &["edit --editor"]);
    assert!(stderr(&out).contains("Updated github"), "{}", stderr(&out));
    // The file was 0600 in a 0700 folder under $XDG_RUNTIME_DIR, and is gone.
    let file = PathBuf::from(&log_value(&home, "ed1", "file")[0]);
    assert!(file.starts_with(home.scratch().join("runtime")), "{}", file.display());
    assert_eq!(log_value(&home, "ed1", "mode"), ["600"]);
    assert_eq!(log_value(&home, "ed1", "dirmode"), ["700"]);
    assert!(!file.exists() && !file.parent().unwrap().exists(), "{} was left behind", file.display());
    let item = json(&home.ok(&["get", "github", "--json"]));
    assert_eq!(item["username"], "hubot");
    assert_eq!(item["password"], "new-pw");
    assert_eq!(item["notes"], "extra note");
    assert_eq!(item["tags"][0], "dev");
    assert_eq!(item["urls"][0], "https://github.com/login");
    assert!(
        home.ok(&["history", "github", "--show"]).contains("old-pw"),
        "the old password is in the history"
    );

    // An editor that changes nothing: nothing is written.
    let before = home.contents();
    let noop = editor_script(&home, "ed2", "-e 's/^$//'");
    let out = run_env(&home, &["edit", "github", "--editor"], &[("VISUAL", noop.to_str().unwrap())]);
    assert_ok(&out, &["edit --editor (no change)"]);
    assert!(stderr(&out).contains("Nothing changed in github"), "{}", stderr(&out));
    assert_eq!(home.contents(), before, "an edit that changes nothing writes nothing");
    assert_eq!(log_value(&home, "ed2", "file").len(), 1, "$VISUAL is used when $EDITOR is not set");

    // Without $XDG_RUNTIME_DIR the file goes to /dev/shm.
    let editor = editor_script(&home, "ed3", "-e 's/^username: hubot$/username: shm/'");
    let out = home
        .cmd()
        .env_remove("XDG_RUNTIME_DIR")
        .env("EDITOR", &editor)
        .arg("--password-file")
        .arg(home.password_file())
        .args(["edit", "github", "--editor"])
        .output()
        .unwrap();
    assert_ok(&out, &["edit --editor without XDG_RUNTIME_DIR"]);
    let file = PathBuf::from(&log_value(&home, "ed3", "file")[0]);
    assert!(file.starts_with("/dev/shm/"), "{}", file.display());
    assert!(!file.parent().unwrap().exists());
    assert_eq!(home.ok(&["get", "github", "--field", "username"]), "shm\n");
}

#[test]
fn a_text_that_does_not_parse_writes_nothing_in_a_script_and_is_offered_again_on_a_terminal() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "bank", "--username", "me", "--generate"]);
    let before = home.contents();
    let broken = editor_script(&home, "bad", "-e 's/^username:/usrname:/'");
    let out = run_env(&home, &["edit", "bank", "--editor"], &[("EDITOR", broken.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown key \"usrname\"") && stderr(&out).contains("nothing was written"),
        "{}",
        stderr(&out)
    );
    assert_eq!(home.contents(), before);
    let file = PathBuf::from(&log_value(&home, "bad", "file")[0]);
    assert!(!file.parent().unwrap().exists(), "removed after a failure too");

    // On a terminal: the first try breaks the text, the second (after "y") fixes it.
    let fixer =
        editor_script(&home, "fix", "-e 's/^usrname:/username:/' -e 's/^username: me$/username: you/'");
    let editor = home.write(
        "two-tries",
        &format!(
            "#!/bin/sh\nif [ -e '{flag}' ]; then exec '{fixer}' \"$1\"; fi\ntouch '{flag}'\nexec '{broken}' \"$1\"\n",
            flag = home.scratch().join("tried").display(),
            fixer = fixer.display(),
            broken = broken.display()
        ),
    );
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o700)).unwrap();
    let line = format!(
        "EDITOR='{}' HUSH --password-file '{}' edit bank --editor",
        editor.display(),
        home.password_file().display()
    );
    let Some(mut term) = Terminal::start_shell(&home, &line) else { return };
    term.expect("unknown key \"usrname\"");
    term.expect("Edit it again? (no: nothing is written) [y/N]");
    term.send("y");
    term.expect("Updated bank");
    assert_eq!(term.wait(), Some(0));
    assert_eq!(home.ok(&["get", "bank", "--field", "username"]), "you\n");
}

// ---- 9. No empty writes -----------------------------------------------------------------------

#[test]
fn an_edit_that_changes_nothing_writes_nothing_syncs_nothing_and_says_so() {
    let mut server = Server::start();
    let home = Home::new();
    home.init();
    home.ok(&["register", "--server", &server.url, "--invite", &server.invite()]);
    std::fs::write(home.path().join("config.toml"), "[sync]\nauto = true\n").unwrap();
    home.ok(&["add", "site", "--username", "me", "--url", "https://site.example", "--generate"]);
    // With the server gone, a change that syncs says it could not; an edit that changes nothing
    // does not even try.
    server.stop();
    let before = home.contents();
    for args in [
        &["edit", "site", "--username", "me"][..],
        &["edit", "site", "--url", "https://site.example"],
        &["edit", "site", "--dismiss-conflicts"],
    ] {
        let out = home.run(args);
        assert_ok(&out, args);
        let err = stderr(&out);
        assert!(err.contains("Nothing changed in site; nothing was written."), "{args:?}: {err}");
        assert!(!err.contains("cannot be reached"), "{args:?} tried to sync: {err}");
        assert_eq!(home.contents(), before, "{args:?} wrote");
    }
    let out = home.run(&["edit", "site", "--username", "you"]);
    assert_ok(&out, &["edit"]);
    assert!(stderr(&out).contains("cannot be reached"), "a real change syncs: {}", stderr(&out));
}

// ---- 7. History -------------------------------------------------------------------------------

#[test]
fn history_is_masked_unless_shown_and_an_old_password_can_be_made_current_again() {
    let home = Home::new();
    home.init();
    assert_ok(&home.run_stdin(&["add", "bank", "--password-stdin"], "pw-one\n"), &["add"]);
    for pw in ["pw-two", "pw-three"] {
        assert_ok(&home.run_stdin(&["edit", "bank", "--password-stdin"], &format!("{pw}\n")), &["edit"]);
    }
    let masked = home.ok(&["history", "bank"]);
    assert!(!masked.contains("pw-one") && !masked.contains("pw-two"), "{masked}");
    assert_eq!(masked.lines().count(), 2);
    assert!(
        masked.lines().next().unwrap().trim_start().starts_with("1 ") && masked.contains("•"),
        "{masked}"
    );
    let shown = home.ok(&["history", "bank", "--show"]);
    let lines: Vec<&str> = shown.lines().collect();
    assert!(lines[0].ends_with("pw-two") && lines[1].ends_with("pw-one"), "newest first: {shown}");
    let masked_json = json(&home.ok(&["history", "bank", "--json"]));
    assert!(masked_json[0].get("password").is_none() && masked_json[0]["n"] == 1, "{masked_json}");
    assert_eq!(json(&home.ok(&["history", "bank", "--json", "--show"]))[1]["password"], "pw-one");
    // Restore the second previous password: pw-one is current, pw-three goes into the history,
    // and no password is listed twice.
    let out = home.run(&["history", "bank", "--restore", "2"]);
    assert_ok(&out, &["history --restore 2"]);
    assert!(stderr(&out).contains("is current again"), "{}", stderr(&out));
    assert_eq!(home.ok(&["get", "bank", "--field", "password"]), "pw-one\n");
    let after = json(&home.ok(&["history", "bank", "--json", "--show"]));
    let passwords: Vec<&str> =
        after.as_array().unwrap().iter().map(|e| e["password"].as_str().unwrap()).collect();
    assert_eq!(passwords, ["pw-three", "pw-two"]);
    let out = home.run(&["history", "bank", "--restore", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has 2 previous passwords"), "{}", stderr(&out));
}

// ---- 10. Copy what the item is for ------------------------------------------------------------

/// Standard base64 (the OSC 52 payload), for the test's own comparison.
fn base64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { T[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// What `hush copy ARGS --osc52` put on the terminal's clipboard.
fn copied(home: &Home, args: &[&str]) -> Option<String> {
    let mut all = vec!["copy"];
    all.extend_from_slice(args);
    all.push("--osc52");
    let mut term = Terminal::start(home, &all)?;
    term.expect("cannot clear it");
    let screen = term.screen();
    assert_eq!(term.wait(), Some(0));
    Some(screen)
}

#[test]
fn copy_takes_what_the_item_is_for_and_names_the_other_fields_when_that_is_empty() {
    let home = Home::new();
    home.init();
    home.ok(&[
        "add",
        "visa",
        "--kind",
        "card",
        "--hidden-field",
        "number=4111111111111111",
        "--field",
        "cardholder=J DOE",
    ]);
    home.ok(&["add", "aws", "--kind", "totp-only", "--totp", "JBSWY3DPEHPK3PXP"]);
    home.ok(&["add", "shell", "--no-password", "--username", "root", "--url", "ssh://host.example"]);
    let Some(screen) = copied(&home, &["visa"]) else { return };
    assert!(screen.contains(&format!("]52;c;{}", base64(b"4111111111111111"))), "{screen:?}");
    assert!(screen.contains("the number of visa"), "{screen:?}");
    let screen = copied(&home, &["aws"]).unwrap();
    let code = screen.split("]52;c;").nth(1).unwrap().split('\u{7}').next().unwrap().to_owned();
    assert_eq!(code.len(), 8, "six digits in base64: {code}");
    assert!(screen.contains("the totp of aws"), "{screen:?}");
    // A login without a password: the error names --field and what there is to copy.
    let out = home.run(&["copy", "shell"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("shell has no password; copy another field with --field: username, url"), "{err}");
}

// ---- 11. Finding things -----------------------------------------------------------------------

#[test]
fn a_page_url_finds_the_item_of_its_site() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "GitHub work", "--username", "octo", "--url", "https://github.com/", "--generate"]);
    home.ok(&["add", "bbc", "--username", "reader", "--url", "https://www.bbc.co.uk", "--generate"]);
    home.ok(&["add", "pages", "--url", "https://alice.github.io", "--generate"]);
    assert_eq!(home.ok(&["get", "https://github.com/login", "--field", "username"]), "octo\n");
    assert_eq!(home.ok(&["get", "https://gist.github.com/octo/1", "--field", "username"]), "octo\n");
    assert_eq!(home.ok(&["get", "https://account.bbc.co.uk/signin", "--field", "name"]), "bbc\n");
    // github.io is a public suffix: bob's pages are not alice's.
    assert_eq!(home.run(&["get", "https://bob.github.io/"]).status.code(), Some(3));
}

#[test]
fn familiar_aliases_and_gen_with_a_length() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "mail", "--username", "me", "--generate"]);
    assert_eq!(home.ok(&["show", "mail", "--field", "username"]), "me\n");
    for list in ["list", "find"] {
        assert!(home.ok(&[list]).contains("mail"), "{list}");
    }
    assert_eq!(home.ok(&["gen", "20"]).trim().chars().count(), 20);
    assert_eq!(home.ok(&["generate", "--length", "12"]).trim().chars().count(), 12);
    assert_eq!(home.run(&["gen", "20", "--length", "12"]).status.code(), Some(2), "two lengths");
    let g = json(&home.ok(&["gen", "--json", "16"]));
    assert_eq!((g["password"].as_str().unwrap().chars().count(), g["kind"].as_str()), (16, Some("password")));
    assert!(g["entropy_bits"].as_f64().unwrap() > 80.0, "{g}");
    assert_eq!(json(&home.ok(&["gen", "--json", "--words", "5"]))["kind"], "passphrase");
    home.ok(&["delete", "mail"]);
    home.ok(&["add", "other", "--generate"]);
    home.ok(&["remove", "other"]);
    assert_eq!(home.ok(&["ls", "--json"]).trim(), "[]");
}

#[test]
fn several_matches_open_the_picker_on_a_terminal_and_list_in_a_script() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "mail-home", "--username", "a@example.com", "--generate"]);
    home.ok(&["add", "mail-work", "--username", "b@example.com", "--generate"]);
    home.ok(&["add", "bank", "--generate"]);
    let out = home.run(&["get", "mail", "--field", "username"]);
    assert_eq!(out.status.code(), Some(4), "scripts keep exit 4");
    assert!(stderr(&out).contains("mail-home") && stderr(&out).contains("mail-work"));
    let Some(mut term) = Terminal::start(&home, &["get", "mail", "--field", "username"]) else { return };
    term.expect("2 items match \"mail\"; choose one");
    term.expect("mail-work");
    term.type_keys("work\r");
    term.expect("b@example.com");
    assert_eq!(term.wait(), Some(0));
    // Esc cancels: nothing is done.
    let Some(mut term) = Terminal::start(&home, &["rm", "mail"]) else { return };
    term.expect("choose one");
    term.type_keys("\u{1b}");
    term.expect("nothing chosen");
    assert_ne!(term.wait(), Some(0));
    assert_eq!(json(&home.ok(&["ls", "--json"])).as_array().unwrap().len(), 3);
    // `hush pick` prints the chosen item's id.
    let id = json(&home.ok(&["get", "bank", "--json"]))["id"].as_str().unwrap().to_owned();
    let Some(mut term) = Terminal::start(&home, &["pick"]) else { return };
    term.expect("Choose an item");
    term.type_keys("bank\r");
    term.expect(&id);
    assert_eq!(term.wait(), Some(0));
    assert_eq!(home.run(&["pick"]).status.code(), Some(2), "pick needs a terminal");
}

#[test]
fn id_prefixes_of_six_characters_find_an_item() {
    let home = Home::new();
    home.init();
    let id = home.ok(&["add", "thing", "--generate"]).trim().to_owned();
    assert_eq!(home.ok(&["get", &id[..6], "--field", "name"]), "thing\n");
    assert_eq!(home.run(&["get", &id[..5]]).status.code(), Some(3), "five characters are too few");
    assert!(home.ok(&["--help"]).contains("6 or more characters"));
}

// ---- 11. Completion of item names in real shells ---------------------------------------------

/// The completion script of `shell`, written to the scratch folder.
fn completion_script(home: &Home, shell: &str) -> PathBuf {
    let out = Command::new(bin("hush")).args(["completions", shell]).output().unwrap();
    assert_ok(&out, &["completions", shell]);
    let script = stdout(&out);
    assert!(script.contains(&bin("hush").display().to_string()), "the script calls this hush: {script}");
    home.write(&format!("completion.{shell}"), &script)
}

/// Runs `shell` with `args`, in `home`'s environment, with the `hush` binary on PATH.
fn in_shell(home: &Home, shell: &str, args: &[&str]) -> Option<String> {
    let path = which(shell)?;
    let bin_dir = bin("hush").parent().unwrap().to_owned();
    let path_var = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new(path)
        .args(args)
        .env_clear()
        .env("PATH", path_var)
        .env("HOME", home.scratch())
        .env("HUSH_HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.scratch().join("runtime"))
        .env("TERM", "dumb")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{shell}: {}\n{}", stdout(&out), stderr(&out));
    Some(stdout(&out))
}

fn which(tool: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(tool))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "{tool} is missing");
        eprintln!("SKIPPED: {tool} is not installed; its completion is not tested");
    }
    found
}

/// What bash's completion function offers for the words typed (the last one is being completed).
fn bash_complete(home: &Home, script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         f=$(complete -p hush | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n\"$f\" hush '{}' '{}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = in_shell(home, "bash", &["--norc", "--noprofile", "-c", &program]).expect("bash is installed");
    out.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

#[test]
fn item_names_complete_in_bash_from_the_agent_and_not_at_all_when_locked() {
    let home = Home::new();
    home.init();
    let _lock = LockOnDrop(&home);
    for name in ["github", "gitlab", "bank"] {
        home.ok(&["add", name, "--generate"]);
    }
    home.ok(&["add", "old-git", "--generate"]);
    home.ok(&["rm", "old-git"]);
    let script = completion_script(&home, "bash");
    // Subcommands and options complete from hush's own definitions, aliases included.
    let commands = bash_complete(&home, &script, &["hush", "tr"]);
    assert!(commands.contains(&"trash".to_owned()), "{commands:?}");
    assert!(bash_complete(&home, &script, &["hush", "get", "--sh"]).contains(&"--show".to_owned()));
    // Locked: no item name, no prompt, no error on the line.
    assert!(bash_complete(&home, &script, &["hush", "get", "gi"]).is_empty());
    home.ok(&["unlock"]);
    for cmd in ["get", "copy", "edit", "rm", "totp", "history", "show"] {
        let names = bash_complete(&home, &script, &["hush", cmd, "gi"]);
        assert_eq!(names, ["github", "gitlab"], "{cmd}");
    }
    let offered = bash_complete(&home, &script, &["hush", "restore", ""]);
    let names: Vec<&String> = offered.iter().filter(|w| !w.starts_with('-')).collect();
    assert_eq!(names, ["old-git"], "the trash's names");
    // After a global option too.
    let names = bash_complete(&home, &script, &["hush", "--no-agent", "get", "ba"]);
    assert_eq!(names, ["bank"]);
    home.ok(&["lock"]);
    assert!(bash_complete(&home, &script, &["hush", "get", "gi"]).is_empty(), "locked again");
}

#[test]
fn item_names_complete_in_zsh_and_fish() {
    let home = Home::new();
    home.init();
    let _lock = LockOnDrop(&home);
    home.ok(&["add", "github", "--username", "octo", "--generate"]);
    home.ok(&["add", "bank", "--generate"]);
    home.ok(&["unlock"]);
    // fish: its own `complete --do-complete` runs the registered completion.
    let fish = completion_script(&home, "fish");
    if let Some(out) = in_shell(
        &home,
        "fish",
        &["--no-config", "-c", &format!("source '{}'; complete --do-complete 'hush get gi'", fish.display())],
    ) {
        assert!(out.lines().any(|l| l.starts_with("github")), "{out}");
        assert!(!out.contains("bank"), "{out}");
    }
    // zsh: the script registers its function with compdef; the function is driven with the
    // words set as zsh's completion system sets them, and what it hands to `_describe` (the
    // candidates array, its last argument) recorded.
    let zsh = completion_script(&home, "zsh");
    let program = format!(
        "compdef() {{ print -r -- \"compdef $*\" }}\nsource '{}'\n\
         _describe() {{ print -rl -- ${{(P)${{@[-1]}}}} }}\n\
         words=(hush get gi); CURRENT=3\n_clap_dynamic_completer_hush\n",
        zsh.display()
    );
    if let Some(out) = in_shell(&home, "zsh", &["-f", "-c", &program]) {
        assert!(out.contains("compdef _clap_dynamic_completer_hush hush"), "{out}");
        assert!(out.lines().any(|l| l.starts_with("github")), "{out}");
        assert!(!out.contains("bank"), "{out}");
    }
}

// ---- 12. The trash ----------------------------------------------------------------------------

#[test]
fn rm_moves_to_the_trash_out_of_every_listing_and_restore_or_purge_follow() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "old-bank", "--username", "me", "--generate"]);
    home.ok(&["add", "twin", "--generate"]);
    home.ok(&["add", "twin-copy", "--generate"]);
    // The reused password of a trashed item is not an audit finding.
    let pw = home.ok(&["get", "twin", "--field", "password"]);
    assert_ok(&home.run_stdin(&["edit", "twin-copy", "--password-stdin"], &pw), &["edit"]);
    assert!(home.ok_or_findings(&["audit"]).contains("Reused passwords (1 group)"));
    let out = home.run(&["rm", "old-bank"]);
    assert_ok(&out, &["rm"]);
    assert!(stderr(&out).contains("Moved old-bank to the trash for 30 days"), "{}", stderr(&out));
    // Out of ls, get, search and audit; the error says where it is.
    assert!(!home.ok(&["ls"]).contains("old-bank"));
    let out = home.run(&["get", "old-bank"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("is in the trash; `hush restore"), "{}", stderr(&out));
    home.ok(&["rm", "twin-copy"]);
    assert!(!home.ok_or_findings(&["audit"]).contains("Reused"), "trashed items are not audited");
    // Listed in the trash, and shown when asked.
    let trash = json(&home.ok(&["trash", "--json"]));
    let names: Vec<&str> = trash.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["old-bank", "twin-copy"]);
    assert!(trash[0]["expires"].as_str().unwrap() > trash[0]["trashed"].as_str().unwrap());
    assert_eq!(home.ok(&["get", "old-bank", "--trash", "--field", "username"]), "me\n");
    assert!(json(&home.ok(&["get", "old-bank", "--trash", "--json"]))["trashed"].is_string());
    // Restore brings it back whole.
    home.ok(&["restore", "old-bank"]);
    assert_eq!(home.ok(&["get", "old-bank", "--field", "username"]), "me\n");
    assert_eq!(home.run(&["restore", "old-bank"]).status.code(), Some(3), "not in the trash any more");
    // --purge deletes for good, from use or from the trash; so does emptying the trash.
    home.ok(&["rm", "--purge", "old-bank"]);
    assert_eq!(home.run(&["get", "old-bank"]).status.code(), Some(3));
    assert_eq!(home.run(&["restore", "old-bank"]).status.code(), Some(3));
    home.ok(&["rm", "twin"]);
    home.ok(&["trash", "--empty", "--yes"]);
    assert_eq!(home.ok(&["trash", "--json"]).trim(), "[]");
    assert_eq!(home.ok(&["ls", "--json"]).trim(), "[]");
}

#[test]
fn purge_asks_on_a_terminal() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "doomed", "--generate"]);
    let Some(mut term) = Terminal::start(&home, &["rm", "--purge", "doomed"]) else { return };
    term.expect("Delete doomed for good? [y/N]");
    term.send("n");
    term.expect("nothing deleted");
    assert_eq!(term.wait(), Some(2));
    assert!(home.ok(&["ls"]).contains("doomed"));
}

/// Device A with a registered vault, and device B logged in to the same account.
fn two_devices(server: &Server) -> (Home, Home) {
    let a = Home::new();
    let code = a.init();
    a.ok(&["register", "--server", &server.url, "--invite", &server.invite()]);
    let b = Home::new();
    let code_file = b.write("code", &format!("{code}\n"));
    b.ok(&[
        "login",
        "--server",
        &server.url,
        "--setup-code-file",
        code_file.to_str().unwrap(),
        "--insecure-kdf",
    ]);
    (a, b)
}

#[test]
fn the_trash_syncs_and_a_deletion_undone_by_an_edit_elsewhere_is_named() {
    let server = Server::start();
    let (a, b) = two_devices(&server);
    a.ok(&["add", "github", "--username", "octo", "--generate"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    // Moved to the trash on A: in B's trash after a sync.
    a.ok(&["rm", "github"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert!(b.ok(&["trash"]).contains("github"));
    assert_eq!(b.run(&["get", "github"]).status.code(), Some(3));
    b.ok(&["restore", "github"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(a.ok(&["get", "github", "--field", "username"]), "octo\n");
    // A moves it to the trash while B changes it: B's edit keeps it, and both syncs say so.
    a.ok(&["rm", "github"]);
    b.ok(&["edit", "github", "--username", "hubot"]);
    a.ok(&["sync"]);
    let out = b.run(&["sync"]);
    assert_ok(&out, &["sync"]);
    assert!(
        stderr(&out).contains("github: deleted on another device, but edited here meanwhile"),
        "{}",
        stderr(&out)
    );
    // And the purge of A against another edit of B, reported on A, in JSON too.
    a.ok(&["sync"]);
    a.ok(&["rm", "--purge", "github", "--yes"]);
    b.ok(&["edit", "github", "--username", "third"]);
    b.ok(&["sync"]);
    let out = a.run(&["sync", "--json"]);
    assert_ok(&out, &["sync --json"]);
    assert!(
        stderr(&out).contains("github: deleted here, but edited on another device meanwhile"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json(&stdout(&out))["undeleted"][0]["deleted"], "here");
    assert_eq!(a.ok(&["get", "github", "--field", "username"]), "third\n");
}

// ---- 16. Conflicts, audit wording, card labels ------------------------------------------------

#[test]
fn get_json_has_the_conflicts_and_dismissing_them_is_one_edit() {
    let server = Server::start();
    let (a, b) = two_devices(&server);
    a.ok(&["add", "wiki", "--kind", "note", "--notes", "base"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["edit", "wiki", "--notes", "from a"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    b.ok(&["edit", "wiki", "--notes", "from b"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    let item = json(&b.ok(&["get", "wiki", "--json"]));
    assert_eq!(item["notes"], "from b");
    assert_eq!(item["conflicts"][0]["field"], "notes");
    assert_eq!(item["conflicts"][0]["value"], "from a");
    assert!(b.ok(&["get", "wiki"]).contains("--dismiss-conflicts"));
    b.ok(&["edit", "wiki", "--dismiss-conflicts"]);
    assert_eq!(json(&b.ok(&["get", "wiki", "--json"]))["conflicts"], serde_json::json!([]));
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(
        json(&a.ok(&["get", "wiki", "--json"]))["conflicts"],
        serde_json::json!([]),
        "dismissed everywhere"
    );
}

#[test]
fn card_labels_line_up() {
    let home = Home::new();
    home.init();
    home.ok(&[
        "add",
        "visa",
        "--kind",
        "card",
        "--field",
        "cardholder=J DOE",
        "--field",
        "expiration=12/30",
        "--hidden-field",
        "number=4111111111111111",
        "--username",
        "jd",
    ]);
    let view = home.ok(&["get", "visa"]);
    let columns: Vec<usize> = view
        .lines()
        .skip(1)
        .map(|l| l.len() - l[2..].trim_start_matches(|c: char| !c.is_whitespace()).trim_start().len())
        .collect();
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "values start in one column:\n{view}");
}

impl OkOrFindings for Home {
    fn ok_or_findings(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {}", stderr(&out));
        stdout(&out)
    }
}

/// `hush audit` exits 1 when it finds something: both are fine where the output is checked.
trait OkOrFindings {
    fn ok_or_findings(&self, args: &[&str]) -> String;
}
