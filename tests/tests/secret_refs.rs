//! Issue #13, part 3 end to end: secret references with the real `hush` — `hush read`,
//! `hush run` (the command gets the values through its environment only, and *is* the process
//! hush was: exit status and signals are its own) and `hush inject` (a 0600 file, never
//! overwritten without --force).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};

use hush_e2e::{Home, assert_ok, stderr};

const DB_PASSWORD: &str = "pg-Secret-7f3a";
const API_TOKEN: &str = "tok_9c1e5b";
const PIN: &str = "4812";

/// A home with `db` (user `app`, a password), `my bank/joint` (a hidden `pin`), `api` (a hidden
/// `token`, a TOTP seed), and two items named `twin`.
fn home() -> Home {
    let home = Home::new();
    home.init();
    let add = |args: &[&str], stdin: &str| assert_ok(&home.run_stdin(args, stdin), args);
    add(&["add", "db", "--username", "app", "--password-stdin"], &format!("{DB_PASSWORD}\n"));
    add(&["add", "my bank/joint", "--no-password", "--hidden-field", "pin=-"], &format!("{PIN}\n"));
    add(
        &["add", "api", "--no-password", "--hidden-field", "token=-", "--totp", "-"],
        // Standard input holds the TOTP secret's line first, then the hidden fields (`add --help`).
        &format!("JBSWY3DPEHPK3PXP\n{API_TOKEN}\n"),
    );
    add(&["add", "twin", "--kind", "note"], "");
    add(&["add", "twin", "--kind", "note", "--allow-duplicate-name"], "");
    home
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn read_prints_the_value_a_reference_names() {
    let home = home();
    assert_eq!(home.ok(&["read", "hush://db/password"]), format!("{DB_PASSWORD}\n"));
    assert_eq!(home.ok(&["read", "-n", "hush://db/username"]), "app");
    assert_eq!(
        home.ok(&["read", "hush://DB/password"]),
        format!("{DB_PASSWORD}\n"),
        "letter case of names is ignored"
    );
    // Percent escapes for the / and the space of the name; a custom field.
    assert_eq!(home.ok(&["read", "-n", "hush://my%20bank%2Fjoint/pin"]), PIN);
    // By id.
    let id = home.ok(&["get", "db", "--field", "id"]);
    assert_eq!(home.ok(&["read", "-n", &format!("hush://{}/password", id.trim())]), DB_PASSWORD);
    // totp: the current code, the same `hush totp` gives (read twice in case a period ends
    // between the two commands).
    let code = || (home.ok(&["read", "-n", "hush://api/totp"]), home.ok(&["totp", "api"]).trim().to_owned());
    let (a, b) = code();
    let (a, b) = if a == b { (a, b) } else { code() };
    assert_eq!(a, b);
    assert!(a.len() == 6 && a.bytes().all(|c| c.is_ascii_digit()), "{a}");
}

#[test]
fn references_that_do_not_resolve_fail_with_their_exit_code_and_no_value() {
    let home = home();
    let check = |reference: &str, code: i32, says: &str| {
        let o = home.run(&["read", reference]);
        assert_eq!(o.status.code(), Some(code), "{reference}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{reference}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
        for secret in [DB_PASSWORD, API_TOKEN, PIN] {
            assert!(!stderr(&o).contains(secret), "{reference}: the error shows a secret");
        }
    };
    check("hush://nothing/password", 3, "no item matches \"nothing\"");
    // Exact names only: "d" is part of "db", but a reference never means a substring.
    check("hush://d/password", 3, "no item matches \"d\"");
    check("hush://twin/notes", 4, "matches several items");
    check("hush://db/pin", 2, "db has no field \"pin\"");
    check("hush://my bank/pin", 2, "%20");
    check("db/password", 2, "does not start with hush://");
}

#[test]
fn run_puts_the_values_in_the_commands_environment_only() {
    let home = home();
    let seen = home.scratch().join("seen");
    let env_file = home.write(
        "app.env",
        "# references, never secrets\nexport TOKEN=hush://api/token\nURL=\"postgres://app:{{ hush://db/password }}@db.internal/app\"\nPLAIN=\"left alone\"\n",
    );
    let o = home
        .cmd()
        .arg("--password-file")
        .arg(home.password_file())
        .args(["run", "--env-file", env_file.to_str().unwrap(), "--"])
        .args([
            "sh",
            "-c",
            "printf '%s|%s|%s|%s|%s' \"$DB\" \"$TOKEN\" \"$URL\" \"$PLAIN\" \"$KEEP\" > \"$0\"; exit 7",
        ])
        .arg(&seen)
        .env("DB", "hush://db/password")
        .env("KEEP", "hush-like but not a reference: hush:/x")
        .output()
        .unwrap();
    // The command's exit status is hush run's.
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap(),
        format!(
            "{DB_PASSWORD}|{API_TOKEN}|postgres://app:{DB_PASSWORD}@db.internal/app|left alone|hush-like but not a reference: hush:/x"
        )
    );
    // hush itself printed nothing, and no value.
    assert!(o.stdout.is_empty());
    for secret in [DB_PASSWORD, API_TOKEN] {
        assert!(!stderr(&o).contains(secret));
    }
    // A later env file wins over an earlier one and over the inherited environment.
    let later = home.write("later.env", "TOKEN=hush://db/username\n");
    let o = home
        .cmd()
        .arg("--password-file")
        .arg(home.password_file())
        .args(["run", "--env-file", env_file.to_str().unwrap(), "--env-file", later.to_str().unwrap()])
        .args(["--", "sh", "-c", "printf %s \"$TOKEN\""])
        .env("TOKEN", "inherited")
        .output()
        .unwrap();
    assert_eq!(out(&o), "app");
}

#[test]
fn run_becomes_the_command() {
    let home = home();
    let _guard = home.unlock();
    // The pid the command sees is the pid hush was started with: hush exec'd it, so no hush
    // process stands between the command and its caller's signals.
    let mut child = home
        .cmd()
        .args(["run", "--", "sh", "-c", "echo $$; exec sleep 30"])
        .env("S", "hush://db/password")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut first)
        .unwrap();
    assert_eq!(first.trim(), pid.to_string());
    // The process's command line is the command's, and its environment holds the value (that
    // is the point), readable by its own user only (/proc/PID/environ is 0400).
    // `sh` execs `sleep` right after the echo; while an exec is under way /proc/PID/environ can
    // read empty, so the checks wait until the command line is sleep's.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let cmdline = loop {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        if cmdline.starts_with(b"sleep\0") || std::time::Instant::now() > deadline {
            break cmdline;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(cmdline.starts_with(b"sleep\0"), "{}", String::from_utf8_lossy(&cmdline));
    assert!(!hush_e2e::contains_bytes(&cmdline, DB_PASSWORD.as_bytes()));
    assert!(hush_e2e::contains_bytes(
        &std::fs::read(format!("/proc/{pid}/environ")).unwrap(),
        DB_PASSWORD.as_bytes()
    ));
    assert_eq!(
        std::fs::metadata(format!("/proc/{pid}/environ")).unwrap().permissions().mode() & 0o777,
        0o400
    );
    // A signal to that pid reaches the command itself, which ends by it.
    assert_ok(&Command::new("kill").args(["-TERM", &pid.to_string()]).output().unwrap(), &["kill"]);
    assert_eq!(child.wait().unwrap().signal(), Some(15));
}

#[test]
fn run_starts_nothing_when_a_reference_does_not_resolve() {
    let home = home();
    let marker = home.scratch().join("ran");
    let o = home
        .cmd()
        .arg("--password-file")
        .arg(home.password_file())
        .args(["run", "--", "touch"])
        .arg(&marker)
        .env("A", "hush://db/password")
        .env("B", "hush://missing/password")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("in $B") && stderr(&o).contains("hush://missing/password"), "{}", stderr(&o));
    assert!(!marker.exists(), "the command ran with a reference left unresolved");
    // Nothing to resolve: no vault needed, not even a password.
    let o = home.cmd().args(["run", "--", "sh", "-c", "exit 0"]).output().unwrap();
    assert_ok(&o, &["run without references"]);
    // Without a password file, a terminal or the agent, a reference cannot be resolved.
    let o =
        home.cmd().args(["run", "--", "touch"]).arg(&marker).env("A", "hush://db/password").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("hush unlock"), "{}", stderr(&o));
    assert!(!marker.exists());
    // A line of an env file that does not parse is reported without its content.
    let bad = home.write("bad.env", "GOOD=1\nTHIS IS {{ NOT VALID 'secret-in-a-bad-line\n");
    let o = home.run(&["run", "--env-file", bad.to_str().unwrap(), "--", "true"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("secret-in-a-bad-line"), "{}", stderr(&o));
}

#[test]
fn inject_writes_a_private_file_and_never_overwrites_without_force() {
    let home = home();
    let template = home.write(
        "config.yml.tpl",
        "db:\n  user: {{ hush://db/username }}\n  password: {{hush://db/password}}\nhelm: {{ .Values.image }}\npin: \"{{ hush://my%20bank%2Fjoint/pin }}\"\n",
    );
    let expected = format!(
        "db:\n  user: app\n  password: {DB_PASSWORD}\nhelm: {{{{ .Values.image }}}}\npin: \"{PIN}\"\n"
    );
    let output = home.scratch().join("config.yml");
    let args = ["inject", "-i", template.to_str().unwrap(), "-o", output.to_str().unwrap()];
    let o = home.run(&args);
    assert_ok(&o, &args);
    assert!(o.stdout.is_empty() && !stderr(&o).contains(DB_PASSWORD));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), expected);
    let mode = || std::fs::metadata(&output).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(), 0o600);
    // An existing file is refused and left as it was...
    std::fs::write(&output, "mine").unwrap();
    std::fs::set_permissions(&output, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = home.run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "mine");
    // ...and replaced with --force, private again.
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_ok(&home.run(&forced), &forced);
    assert_eq!(std::fs::read_to_string(&output).unwrap(), expected);
    assert_eq!(mode(), 0o600);
    // Standard input to standard output.
    let o = home.run_stdin(&["inject"], "token={{ hush://api/token }}\n");
    assert_eq!(out(&o), format!("token={API_TOKEN}\n"));
    // A placeholder that does not resolve writes nothing.
    let missing = home.scratch().join("missing.yml");
    let bad = home.write("bad.tpl", "ok: {{ hush://db/username }}\nno: {{ hush://gone/password }}\n");
    let o = home.run(&["inject", "-i", bad.to_str().unwrap(), "-o", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(!missing.exists());
}

#[test]
fn references_resolve_through_the_agent_without_a_password() {
    let home = home();
    let locked = home.bare(&["read", "hush://db/password"]);
    assert_eq!(locked.status.code(), Some(2));
    assert!(stderr(&locked).contains("hush unlock"), "{}", stderr(&locked));
    let _guard = home.unlock();
    let o = home.bare(&["read", "hush://db/password"]);
    assert_ok(&o, &["read"]);
    assert_eq!(out(&o), format!("{DB_PASSWORD}\n"));
}
