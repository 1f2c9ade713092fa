//! Issue #4 end to end: shell integration — completions, the man page, and the
//! conventions scripts rely on.

use hush_e2e::Home;

#[test]
fn completions_for_every_shell_ask_hush_itself_and_offer_every_visible_command() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        // The scripts are clap_complete's dynamic ones: each TAB asks `hush` (with COMPLETE set),
        // so that item names can complete (tests/first_hour_items.rs drives them in real shells).
        let script = home.ok(&["completions", shell]);
        // fish's script is a single `complete` line, so only its content is checked, not its size.
        assert!(script.contains("COMPLETE") && script.contains("hush"), "{shell}: {script}");
    }
    // What hush answers a completion request: every visible command, never the internal helpers.
    let out = home.cmd().env("COMPLETE", "fish").args(["--", "hush", ""]).output().unwrap();
    let offered = String::from_utf8(out.stdout).unwrap();
    for cmd in ["unlock", "lock", "status", "copy", "get", "completions", "trash", "restore", "pick"] {
        assert!(has_word(&offered, cmd), "{cmd} is not offered: {offered}");
    }
    // A command with visible aliases is offered under one of its names.
    assert!(["ls", "list", "find"].iter().any(|c| has_word(&offered, c)), "{offered}");
    assert!(!offered.contains("__agent") && !offered.contains("__clipboard"), "{offered}");
    let out = home.run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Whether `word` stands alone in `text`: a plain `contains` finds "lock" in
/// "unlock", "man" in "Commands" and "ls" in "else", so it could not fail.
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).any(|w| w == word)
}

#[test]
fn man_pages_render() {
    let home = Home::new();
    let page = home.ok(&["man"]);
    assert!(page.contains(".TH hush"), "{}", &page[..page.len().min(300)]);
    assert!(page.contains("unlock") && page.contains("copy"));
    let add = home.ok(&["man", "copy"]);
    assert!(add.contains(".TH hush-copy"), "{}", &add[..add.len().min(300)]);
    assert!(add.contains("osc52"));
    assert_eq!(home.run(&["man", "__agent"]).status.code(), Some(2));
    assert_eq!(home.run(&["man", "nope"]).status.code(), Some(2));
}

#[test]
fn help_hides_the_internal_helpers() {
    let home = Home::new();
    let help = home.ok(&["--help"]);
    for cmd in ["unlock", "lock", "status", "copy", "completions", "man"] {
        assert!(has_word(&help, cmd), "{cmd} missing from --help");
    }
    assert!(!help.contains("__agent") && !help.contains("__clipboard"));
}

#[test]
fn status_json_works_without_a_vault() {
    let home = Home::new();
    let out = home.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(1), "not unlocked: exit 1");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["unlocked"].as_bool(), v["state"].as_str()), (Some(false), Some("no_vault")));
    let text = home.run(&["status"]);
    assert_eq!(text.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("no vault in "), "{text:?}");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // `hush completions zsh | head -1`: the reader goes away early.
    let home = Home::new();
    let out = home.run_into_closed_pipe(&["completions", "zsh"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_listing_larger_than_the_pipe_to_a_closed_reader_is_not_an_error() {
    // `hush ls | head -1` on a vault whose listing is larger than a pipe's buffer
    // (64 KiB): the write fails with EPIPE part-way, in both the text and JSON forms.
    let home = Home::new();
    home.init();
    let mut csv = String::from("name,url,username,password,note\n");
    for i in 0..1500 {
        csv.push_str(&format!("site-{i:04},https://site-{i:04}.example/,user{i}@example.com,pw-{i},\n"));
    }
    let file = home.write("big.csv", &csv);
    home.ok(&["import", "--from", "chrome-csv", file.to_str().unwrap()]);
    for args in [&["ls"][..], &["ls", "--json"]] {
        let out = home.run_into_closed_pipe(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        // Only the test vault's weak-KDF warning; no error, no panic.
        assert!(stderr.lines().all(|l| l.starts_with("warning: this vault uses KDF")), "{args:?}: {stderr}");
    }
    // And the listing is whole when someone reads it.
    assert_eq!(home.ok(&["ls"]).lines().count(), 1500);
}

#[test]
fn listing_and_showing_commands_offer_json() {
    // Every command that lists or shows something has --json, for scripts.
    let home = Home::new();
    for cmd in ["ls", "get", "history", "status"] {
        let help = home.ok(&[cmd, "--help"]);
        assert!(help.contains("--json"), "{cmd} --help lacks --json");
    }
}
