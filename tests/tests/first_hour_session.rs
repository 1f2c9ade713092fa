//! Issue #10, the session and prompt half ("The first hour"), end to end with the real `hush`
//! and `hush-server` binaries: master password strength (point 1), the agent starting itself
//! (3), a mistyped password asked again (4), setup code entry (5), XDG paths (13), a frozen or
//! slow server (14), login and logout (15), a readable password file and `status` (16). Where a
//! terminal matters, hush runs on a pseudo-terminal (`hush_e2e::Terminal`).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hush_e2e::{Home, NEW_PASSWORD, PASSWORD, Proxy, ProxyMode, Server, Terminal, assert_ok, bin, stderr};

/// The cheap KDF parameters of `Home::init`.
const CHEAP_KDF: [&str; 7] =
    ["--insecure-kdf", "--kdf-memory-mib", "8", "--kdf-iterations", "1", "--kdf-parallelism", "1"];

/// Runs `hush lock` in the home when dropped, pass or panic: no agent outlives its test.
struct Locks<'a>(&'a Home);

impl Drop for Locks<'_> {
    fn drop(&mut self) {
        let _ = self.0.cmd().arg("lock").output();
    }
}

/// `hush ARGS` with no password file and stdin closed: only an agent can supply the key.
fn bare(home: &Home, args: &[&str]) -> Output {
    home.cmd().args(args).output().unwrap()
}

/// `hush status --json`: its exit code (0 unlocked, 1 not) and its JSON.
fn status(home: &Home) -> (Option<i32>, serde_json::Value) {
    let out = bare(home, &["status", "--json"]);
    (out.status.code(), serde_json::from_slice(&out.stdout).expect("status --json is JSON"))
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Runs `hush` with `args` and waits at most `limit` for it; a hush still running then is
/// killed and the test fails. The bound is generous (a frozen server must be given up on after
/// the configured seconds, not after minutes); it is no timing assertion on the seconds.
fn run_bounded(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("hush still waited after {limit:?}; stderr: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Master password strength.

#[test]
fn init_refuses_a_weak_master_password_saying_why_and_what_it_would_cost() {
    let home = Home::new();
    let weak = home.write("weak", "hunter2\n");
    let out = home.cmd().arg("--password-file").arg(&weak).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    for expected in [
        "too easy to guess",
        "This is a very common password.",
        "with 1,000 GPUs an attacker would need less than a second",
        "256 MiB × 3 passes",
        "hush gen --words 6",
        "--insecure-weak-password",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(!home.path().join("vault.hush").exists(), "nothing was created");
}

#[test]
fn the_cost_depends_on_the_kdf_so_a_passphrase_fine_by_default_is_refused_under_cheap_parameters() {
    // About 10^13.8 guesses: strong enough under the default parameters (the unit test
    // `cheaper_kdf_parameters_demand_a_stronger_password` says so), not under 8 MiB and one pass.
    let home = Home::new();
    home.init();
    home.ok(&["add", "--no-password", "x", "--field", "k=v"]);
    let new = home.write("new", "the new master password\n");
    let mut args = vec!["passwd", "--new-password-file", new.to_str().unwrap()];
    args.extend_from_slice(&CHEAP_KDF);
    let out = home.run(&args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("8 MiB × 1 passes"), "{}", stderr(&out));
    // Nothing changed: the old password still opens the vault.
    assert_eq!(home.ok(&["get", "x", "--field", "k"]).trim(), "v");
    // A strong one is accepted, with its estimate.
    let strong = home.write("strong", &format!("{NEW_PASSWORD}\n"));
    let mut args = vec!["passwd", "--new-password-file", strong.to_str().unwrap()];
    args.extend_from_slice(&CHEAP_KDF);
    let out = home.run(&args);
    assert_ok(&out, &args);
    assert!(
        stderr(&out).contains("Master password strength: if this device's files are stolen"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_override_accepts_a_weak_password_loudly() {
    let home = Home::new();
    let weak = home.write("weak", "hunter2\n");
    let mut args = vec!["init", "--insecure-weak-password"];
    args.extend_from_slice(&CHEAP_KDF);
    let out = home.cmd().arg("--password-file").arg(&weak).args(&args).output().unwrap();
    assert_ok(&out, &args);
    assert!(
        stderr(&out).contains("warning: --insecure-weak-password: this master password is weak"),
        "{}",
        stderr(&out)
    );
    let out = home.cmd().arg("--password-file").arg(&weak).args(["ls"]).output().unwrap();
    assert_ok(&out, &["ls"]);
}

#[test]
fn init_on_a_terminal_asks_again_after_a_weak_password() {
    let home = Home::new();
    let mut args = strings(&["init"]);
    args.extend(strings(&CHEAP_KDF));
    let Some(mut term) = Terminal::start_raw(&home, &args) else { return };
    term.expect("New master password:");
    term.send("hunter2");
    term.expect("too easy to guess");
    term.expect("hush gen --words 6");
    term.expect("New master password:");
    term.send(PASSWORD);
    term.expect("Repeat the master password:");
    term.send(PASSWORD);
    term.expect("HUSH1-");
    assert_eq!(term.wait(), Some(0));
    let _locks = Locks(&home);
    assert_ok(&home.run(&["ls"]), &["ls"]);
}

// ---------------------------------------------------------------------------------------------
// 3. The agent starts itself.

#[test]
fn a_password_typed_at_a_terminal_unlocks_the_next_commands() {
    let home = Home::new();
    home.init();
    home.ok(&["add", "--no-password", "github", "--field", "team=octocat"]);
    assert_eq!(status(&home).0, Some(1), "locked after init from a password file");
    let _locks = Locks(&home);
    let Some(mut term) = Terminal::start_raw(&home, &strings(&["get", "github", "--field", "team"])) else {
        return;
    };
    term.expect("Master password:");
    term.send(PASSWORD);
    term.expect("Unlocked: the next commands skip the master password; locks after 15 min");
    term.expect("octocat");
    assert_eq!(term.wait(), Some(0));
    // The next command, with no password and no terminal, gets the key from the agent.
    let out = bare(&home, &["get", "github", "--field", "team"]);
    assert_ok(&out, &["get (agent)"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "octocat");
    let (code, st) = status(&home);
    assert_eq!(
        (code, st["state"].as_str(), st["timeout_secs"].as_u64()),
        (Some(0), Some("unlocked"), Some(900))
    );
}

#[test]
fn init_on_a_terminal_then_register_asks_for_nothing() {
    let server = Server::start();
    let home = Home::new();
    let mut args = strings(&["init"]);
    args.extend(strings(&CHEAP_KDF));
    let _locks = Locks(&home);
    let Some(mut term) = Terminal::start_raw(&home, &args) else { return };
    term.expect("New master password:");
    term.send(PASSWORD);
    term.expect("Repeat the master password:");
    term.send(PASSWORD);
    term.expect("HUSH1-");
    assert_eq!(term.wait(), Some(0));
    // register needs the auth key, which the agent was given with the key ring.
    let invite = home.write("invite", &format!("{}\n", server.invite()));
    let out = bare(&home, &["register", "--server", &server.url, "--invite-file", invite.to_str().unwrap()]);
    assert_ok(&out, &["register (agent)"]);
    assert_ok(&bare(&home, &["sync"]), &["sync (agent)"]);
}

#[test]
fn a_password_file_leaves_no_agent_behind_unless_configured() {
    let home = Home::new();
    home.init();
    assert_ok(&home.run(&["ls"]), &["ls"]);
    assert_eq!(status(&home).1["state"], "locked", "a script's --password-file starts no agent");
    std::fs::write(home.path().join("config.toml"), "agent_autostart = \"always\"\nagent_timeout = 120\n")
        .unwrap();
    let _locks = Locks(&home);
    assert_ok(&home.run(&["ls"]), &["ls"]);
    let (code, st) = status(&home);
    assert_eq!((code, st["timeout_secs"].as_u64()), (Some(0), Some(120)), "{st}");
}

#[test]
fn no_agent_and_autostart_never_mean_what_they_say() {
    let home = Home::new();
    home.init();
    let _locks = Locks(&home);
    let Some(mut term) = Terminal::start_raw(&home, &strings(&["--no-agent", "ls"])) else { return };
    term.expect("Master password:");
    term.send(PASSWORD);
    assert_eq!(term.wait(), Some(0));
    assert_eq!(status(&home).1["agent"], "none", "--no-agent started nothing");

    std::fs::write(home.path().join("config.toml"), "agent_autostart = \"never\"\n").unwrap();
    let Some(mut term) = Terminal::start_raw(&home, &strings(&["ls"])) else { return };
    term.expect("Master password:");
    term.send(PASSWORD);
    assert_eq!(term.wait(), Some(0));
    assert_eq!(status(&home).1["agent"], "none", "agent_autostart = never");

    // And an unlocked agent is not used under --no-agent: without a password, nothing opens.
    assert_ok(&home.run(&["unlock"]), &["unlock"]);
    assert_ok(&bare(&home, &["ls"]), &["ls (agent)"]);
    let out = bare(&home, &["--no-agent", "ls"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no terminal to ask for the master password"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// 4. A mistyped password is asked again.

#[test]
fn a_mistyped_password_is_asked_again_on_a_terminal() {
    let home = Home::new();
    home.init();
    let _locks = Locks(&home);
    let Some(mut term) = Terminal::start_raw(&home, &strings(&["ls"])) else { return };
    term.expect("Master password:");
    term.send("correct horse battery stapel");
    term.expect("Wrong master password; try again (2 tries left).");
    term.expect("Master password:");
    term.send("correct horse");
    term.expect("Wrong master password; try again (1 try left).");
    term.expect("Master password:");
    term.send(PASSWORD);
    assert_eq!(term.wait(), Some(0));
}

#[test]
fn three_wrong_passwords_on_a_terminal_and_one_in_a_file_end_with_exit_5() {
    let home = Home::new();
    home.init();
    let Some(mut term) = Terminal::start_raw(&home, &strings(&["ls"])) else { return };
    for _ in 0..3 {
        term.expect("Master password:");
        term.send("not it at all");
    }
    term.expect("wrong master password");
    assert_eq!(term.wait(), Some(5));
    // A script: one try, at once.
    let wrong = home.write("wrong", "not it at all\n");
    let out = home.cmd().arg("--password-file").arg(&wrong).arg("ls").output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(!stderr(&out).contains("try again"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// 5. Setup code entry.

/// A registered device A, and its setup code.
fn registered(server: &Server, device: &str) -> (Home, String) {
    let a = Home::new();
    let code = a.init();
    let invite = a.write("invite", &format!("{}\n", server.invite()));
    a.ok(&[
        "register",
        "--server",
        &server.url,
        "--invite-file",
        invite.to_str().unwrap(),
        "--device-name",
        device,
    ]);
    (a, code)
}

/// `code` with character `i` of group `n` (from 1) replaced by `c`.
fn mistype(code: &str, n: usize, i: usize, c: char) -> String {
    let mut groups: Vec<String> = code.split('-').map(str::to_owned).collect();
    let mut chars: Vec<char> = groups[n].chars().collect();
    chars[i] = c;
    groups[n] = chars.into_iter().collect();
    groups.join("-")
}

#[test]
fn a_new_device_shows_the_setup_code_and_asks_again_only_for_the_mistyped_group() {
    let server = Server::start();
    let (a, code) = registered(&server, "laptop");
    a.ok(&["add", "--no-password", "github", "--field", "team=octocat"]);
    a.ok(&["sync"]);
    let b = Home::new();
    let _locks = Locks(&b);
    let args = strings(&["login", "--server", &server.url, "--insecure-kdf", "--device-name", "phone"]);
    let Some(mut term) = Terminal::start_raw(&b, &args) else { return };
    term.expect("Setup code (HUSH1-");
    // A zero where the code has a letter: pointed at, with its likely meaning.
    let typo = mistype(&code, 4, 2, '0');
    term.send(&typo);
    // Shown as typed: the terminal echoes it.
    term.expect(&typo);
    term.expect("group 4");
    term.expect("did you mean O?");
    term.expect("Group 4: ");
    term.send(code.split('-').nth(4).unwrap());
    term.expect("Master password:");
    term.send(PASSWORD);
    term.expect("Logged in as \"phone\"");
    assert_eq!(term.wait(), Some(0));
    assert_eq!(bare(&b, &["get", "github", "--field", "team"]).stdout, b"octocat\n");
}

#[test]
fn a_mistyped_letter_is_found_by_the_checksum_and_its_group_named() {
    let server = Server::start();
    let (_a, code) = registered(&server, "laptop");
    let b = Home::new();
    let _locks = Locks(&b);
    let args = strings(&["login", "--server", &server.url, "--insecure-kdf"]);
    let Some(mut term) = Terminal::start_raw(&b, &args) else { return };
    term.expect("Setup code (HUSH1-");
    // One mistyped letter in group 7. A 16-bit checksum lets a few in a hundred such typos be
    // explained by a change in another group too, and then hush names no group; the typo used
    // here is one that only group 7 explains, as hush_crypto itself says.
    let typo = (0..5)
        .flat_map(|i| "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".chars().map(move |c| (i, c)))
        .map(|(i, c)| mistype(&code, 7, i, c))
        .find(|typo| {
            hush_crypto::TypedSetupCode::new(typo).unwrap().check().err()
                == Some(hush_crypto::SetupCodeProblem::Checksum { suspect: Some(7) })
        })
        .expect("a typo that group 7 alone explains");
    term.send(&typo);
    term.expect("does not check out; group 7");
    term.expect("Group 7 (or press Enter to type the whole code again): ");
    term.send(code.split('-').nth(7).unwrap());
    term.expect("Master password:");
    term.send(PASSWORD);
    term.expect("Logged in");
    assert_eq!(term.wait(), Some(0));
}

#[test]
fn a_setup_code_file_with_a_mistake_fails_at_once_naming_the_group() {
    let server = Server::start();
    let (_a, code) = registered(&server, "laptop");
    let b = Home::new();
    let file = b.write("code", &format!("{}\n", mistype(&code, 2, 0, '1')));
    let out = b.run(&[
        "login",
        "--server",
        &server.url,
        "--insecure-kdf",
        "--setup-code-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("group 2"), "{}", stderr(&out));
    assert!(stderr(&out).contains("did you mean I or L?"), "{}", stderr(&out));
    assert!(!b.path().join("vault.hush").exists());
}

// ---------------------------------------------------------------------------------------------
// 13. XDG paths.

/// `hush` with a home folder and XDG folders under `root`, and no `HUSH_HOME`.
fn xdg_cmd(root: &std::path::Path, password: &std::path::Path) -> Command {
    let mut c = Command::new(bin("hush"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", root.join("home"))
        .env("XDG_CONFIG_HOME", root.join("config"))
        .env("XDG_DATA_HOME", root.join("data"))
        .env("XDG_RUNTIME_DIR", root.join("runtime"))
        .env("NO_COLOR", "1")
        .arg("--password-file")
        .arg(password)
        .stdin(Stdio::null());
    c
}

#[test]
fn settings_live_in_xdg_config_home_and_an_old_file_in_the_data_folder_is_moved_once() {
    let home = Home::new(); // for its scratch folder and password file
    let root = home.scratch();
    std::fs::create_dir_all(root.join("runtime")).unwrap();
    let mut init = xdg_cmd(root, &home.password_file());
    let out = init.arg("init").args(CHEAP_KDF).output().unwrap();
    assert_ok(&out, &["init"]);
    assert!(root.join("data/hush/vault.hush").exists(), "data in $XDG_DATA_HOME/hush");
    // An older hush's config.toml in the data folder: read, moved once, said once.
    std::fs::write(root.join("data/hush/config.toml"), "agent_autostart = \"always\"\nagent_timeout = 77\n")
        .unwrap();
    let out = xdg_cmd(root, &home.password_file()).arg("ls").output().unwrap();
    assert_ok(&out, &["ls"]);
    assert!(stderr(&out).contains("moved your settings from"), "{}", stderr(&out));
    assert!(root.join("config/hush/config.toml").exists());
    assert!(!root.join("data/hush/config.toml").exists());
    let out = xdg_cmd(root, &home.password_file()).args(["status", "--json"]).output().unwrap();
    assert!(!stderr(&out).contains("moved"), "said once: {}", stderr(&out));
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["timeout_secs"], 77, "the moved settings apply (the agent started with them): {st}");
    let _ = xdg_cmd(root, &home.password_file()).arg("lock").output();
    // HUSH_HOME keeps everything in one folder: a config.toml there wins over $XDG_CONFIG_HOME.
    let single = Home::new();
    single.init();
    std::fs::write(single.path().join("config.toml"), "agent_autostart = \"always\"\nagent_timeout = 55\n")
        .unwrap();
    let out = single
        .cmd()
        .env("XDG_CONFIG_HOME", root.join("config"))
        .arg("--password-file")
        .arg(single.password_file())
        .arg("ls")
        .output()
        .unwrap();
    assert_ok(&out, &["ls"]);
    let _locks = Locks(&single);
    assert_eq!(status(&single).1["timeout_secs"], 55);
}

// ---------------------------------------------------------------------------------------------
// 14. A frozen or slow server.

/// A device registered through a proxy in front of a real server, with `config` as its
/// config.toml.
fn behind_proxy(server: &Server, config: &str) -> (Home, Proxy) {
    let proxy = Proxy::to(&server.url);
    let home = Home::new();
    home.init();
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    let invite = home.write("invite", &format!("{}\n", server.invite()));
    home.ok(&["register", "--server", &proxy.url, "--invite-file", invite.to_str().unwrap()]);
    (home, proxy)
}

#[test]
fn a_frozen_server_is_given_up_on_within_seconds_and_the_change_is_kept() {
    let server = Server::start();
    let (home, proxy) = behind_proxy(&server, "[sync]\ntimeout = 2\n");
    home.ok(&["add", "--no-password", "bank", "--field", "k=v"]);
    proxy.set(ProxyMode::Freeze);
    let mut sync = home.cmd();
    sync.arg("--password-file").arg(home.password_file()).arg("sync");
    let out = run_bounded(sync, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the server did not answer within 2 s"), "{}", stderr(&out));
    assert!(stderr(&out).contains("Your changes are kept on this device"), "{}", stderr(&out));
    // Back again: the kept change goes out.
    proxy.set(ProxyMode::Forward);
    let synced = home.ok(&["sync"]);
    assert!(synced.contains("pushed    bank"), "{synced}");
}

#[test]
fn the_default_timeout_is_seconds_not_minutes() {
    // Under the old 120 s timeouts this test would be killed by run_bounded and fail.
    let server = Server::start();
    let (home, proxy) = behind_proxy(&server, "");
    proxy.set(ProxyMode::Freeze);
    let mut sync = home.cmd();
    sync.arg("--password-file").arg(home.password_file()).arg("sync");
    let out = run_bounded(sync, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did not answer within 10 s"), "{}", stderr(&out));
}

#[test]
fn an_automatic_sync_against_a_frozen_server_saves_the_change_and_says_it_will_sync_later() {
    let server = Server::start();
    let (home, proxy) = behind_proxy(&server, "[sync]\nauto = true\ntimeout = 2\n");
    proxy.set(ProxyMode::Freeze);
    let mut add = home.cmd();
    add.arg("--password-file").arg(home.password_file()).args([
        "add",
        "--no-password",
        "mail",
        "--field",
        "k=v",
    ]);
    let out = run_bounded(add, Duration::from_secs(60));
    assert_ok(&out, &["add"]);
    assert!(stderr(&out).contains("the change is saved here and will sync later"), "{}", stderr(&out));
    assert_eq!(home.ok(&["get", "mail", "--field", "k"]).trim(), "v");
}

#[test]
fn a_slow_sync_shows_a_progress_line_on_a_terminal_and_nowhere_else() {
    let server = Server::start();
    let (home, proxy) = behind_proxy(&server, "");
    home.ok(&["add", "--no-password", "slow", "--field", "k=v"]);
    proxy.set(ProxyMode::Delay(Duration::from_millis(2500)));
    let Some(mut term) = Terminal::start(&home, &["sync"]) else { return };
    term.expect("Syncing with http://127.0.0.1:");
    term.expect("waiting for the server (1 s)");
    term.expect("pushed    slow");
    assert_eq!(term.wait(), Some(0));
    // In a pipe, no progress line.
    home.ok(&["edit", "slow", "--field", "k=w"]);
    let out = home.run(&["sync"]);
    assert_ok(&out, &["sync"]);
    assert!(!stderr(&out).contains("waiting for the server"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// 15. Login and logout.

/// The name `hush devices --json` shows for this device.
fn this_device_name(home: &Home) -> String {
    let devices: serde_json::Value = serde_json::from_str(&home.ok(&["devices", "--json"])).unwrap();
    let current = devices.as_array().unwrap().iter().find(|d| d["current"] == true).expect("this device");
    current["name"].as_str().unwrap().to_owned()
}

#[test]
fn after_logout_login_reuses_the_server_and_the_device_name_and_hints_never_say_register() {
    let server = Server::start();
    let (a, _code) = registered(&server, "work laptop");
    let out = a.run(&["logout"]);
    assert_ok(&out, &["logout"]);
    assert!(stderr(&out).contains("`hush login` connects it again"), "{}", stderr(&out));
    for args in [&["sync"][..], &["devices"]] {
        let out = a.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("hush login") && !err.contains("register"), "{args:?}: {err}");
    }
    // No --server, no --device-name: the same server, the same name.
    let out = a.run(&["login", "--insecure-kdf"]);
    assert_ok(&out, &["login"]);
    assert!(
        stderr(&out).contains(&format!("Logged in again to {} as \"work laptop\"", server.url)),
        "{}",
        stderr(&out)
    );
    assert_eq!(this_device_name(&a), "work laptop");
    a.ok(&["sync"]);
}

#[test]
fn login_after_logout_with_the_agent_unlocked_asks_for_nothing() {
    let server = Server::start();
    let (a, _code) = registered(&server, "desk");
    let _locks = Locks(&a);
    a.ok(&["unlock"]);
    assert_ok(&bare(&a, &["logout"]), &["logout (agent)"]);
    let out = bare(&a, &["login", "--insecure-kdf"]);
    assert_ok(&out, &["login (agent)"]);
    assert_eq!(this_device_name(&a), "desk");
}

#[test]
fn a_device_that_was_never_connected_is_told_to_name_a_server() {
    let home = Home::new();
    home.init();
    let out = home.run(&["login"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pass --server URL"), "{}", stderr(&out));
    let out = home.run(&["sync"]);
    assert!(stderr(&out).contains("hush login --server URL"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// 16. A readable password file; `hush status` for prompts and scripts.

#[test]
fn a_password_file_other_users_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    home.init();
    let file = home.password_file();
    let out = home.run(&["ls"]);
    assert!(!stderr(&out).contains("can be read by other users"), "0600 is quiet: {}", stderr(&out));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = home.run(&["ls"]);
    assert_ok(&out, &["ls"]);
    let warning = format!("warning: {} can be read by other users (mode 644)", file.display());
    assert!(stderr(&out).contains(&warning), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("chmod 600 {}", file.display())), "{}", stderr(&out));
    assert!(!stderr(&out).contains(PASSWORD));
}

#[test]
fn status_exits_0_only_when_unlocked_and_its_json_says_the_state() {
    let home = Home::new();
    assert_eq!(status(&home).0, Some(1));
    assert_eq!(status(&home).1["state"], "no_vault");
    home.init();
    let (code, st) = status(&home);
    assert_eq!((code, st["state"].as_str()), (Some(1), Some("locked")));
    let text = bare(&home, &["status"]);
    assert_eq!((text.status.code(), text.stdout.as_slice()), (Some(1), &b"locked\n"[..]));
    let _locks = Locks(&home);
    home.ok(&["unlock"]);
    let (code, st) = status(&home);
    assert_eq!((code, st["state"].as_str()), (Some(0), Some("unlocked")));
    assert_ok(&bare(&home, &["status"]), &["status"]);
    home.ok(&["lock"]);
    let (code, st) = status(&home);
    assert_eq!((code, st["state"].as_str()), (Some(1), Some("locked")));
}
