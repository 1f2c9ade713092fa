//! Issue #4 end to end: `hush copy` on a real X server (Xvfb), read back with xclip.
//!
//! Needs `Xvfb` and `xclip` (Debian: `apt-get install xvfb xclip`). Without them the
//! tests print a loud notice and pass, except under CI (the `CI` variable set), where
//! a missing tool is a failure: CI must never skip them silently.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hush_e2e::{Home, PASSWORD, assert_ok, stderr};

const SECRET: &str = "clip-Secret-42";

/// An Xvfb server, killed when dropped (with it, every client still connected:
/// the clipboard helper and xclip's background server).
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts Xvfb on a free display, or `None` (after a notice) when the tools are
    /// missing outside CI.
    fn start() -> Option<Xvfb> {
        let missing: Vec<_> = ["Xvfb", "xclip"].into_iter().filter(|t| !on_path(t)).collect();
        if !missing.is_empty() {
            let msg = format!("{} not installed (apt-get install xvfb xclip)", missing.join(" and "));
            if std::env::var_os("CI").is_some() {
                panic!("{msg}: the clipboard tests cannot be skipped under CI");
            }
            eprintln!("\n**********\n*** SKIPPED clipboard test: {msg}\n**********\n");
            return None;
        }
        // -displayfd: Xvfb picks a free display itself and writes its number once it
        // accepts connections, so parallel tests never race for a number.
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "320x240x24"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let number = line.trim();
        assert!(!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()), "Xvfb said {line:?}");
        Some(Xvfb { child, display: format!(":{number}") })
    }

    /// The clipboard's text, or "" when nobody owns it.
    fn paste(&self) -> String {
        let out = Command::new("xclip")
            .args(["-selection", "clipboard", "-o"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::null())
            .output()
            .expect("run xclip");
        if out.status.success() { String::from_utf8_lossy(&out.stdout).into_owned() } else { String::new() }
    }

    /// The clipboard's targets (MIME types) on offer.
    fn targets(&self) -> String {
        let out = Command::new("xclip")
            .args(["-selection", "clipboard", "-t", "TARGETS", "-o"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::null())
            .output()
            .expect("run xclip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Copies `text` as the user would, with xclip (which then serves it from the
    /// background until it loses the clipboard or the server goes).
    fn copy_as_user(&self, text: &str) {
        let mut child = Command::new("xclip")
            .args(["-selection", "clipboard", "-i"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run xclip");
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// The clipboard helpers serving this home, told apart by `HUSH_HOME` in their
/// environment; `None` when environments cannot be read (the helper is not
/// dumpable, so only root can read its environ).
fn helpers(home: &Home) -> Option<Vec<u32>> {
    let marker = format!("HUSH_HOME={}", home.path().display());
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        if !String::from_utf8_lossy(&cmdline).contains("__clipboard") {
            continue; // also skips zombies, whose cmdline is empty
        }
        let environ = std::fs::read(entry.path().join("environ")).ok()?;
        if String::from_utf8_lossy(&environ).split('\0').any(|v| v == marker) {
            pids.push(pid);
        }
    }
    Some(pids)
}

/// Every clipboard helper on the machine.
fn all_helpers() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<u32>().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline).contains("__clipboard").then_some(pid)
        })
        .collect()
}

fn home_with_item() -> Home {
    let home = Home::new();
    home.init();
    let out = home
        .run_stdin(&["add", "github", "--username", "octocat", "--password-stdin"], &format!("{SECRET}\n"));
    assert_ok(&out, &["add"]);
    home
}

/// `hush --password-file … copy ARGS` on the display.
fn copy(home: &Home, x: &Xvfb, args: &[&str]) -> Output {
    home.cmd()
        .env("DISPLAY", &x.display)
        .arg("--password-file")
        .arg(home.password_file())
        .arg("copy")
        .args(args)
        .output()
        .expect("run hush copy")
}

/// Polls until `check` holds or `limit` passes.
fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    check()
}

#[test]
fn copy_puts_the_password_on_the_clipboard_and_clears_it() {
    let Some(x) = Xvfb::start() else { return };
    let home = home_with_item();
    let started = Instant::now();
    let out = copy(&home, &x, &["github", "--clear-after", "2"]);
    assert_ok(&out, &["copy"]);
    // It returns at once: the helper serves the clipboard in the background.
    assert!(started.elapsed() < Duration::from_secs(2), "copy blocked for {:?}", started.elapsed());
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(stderr(&out).contains("cleared in 2 s"), "{}", stderr(&out));
    assert_eq!(x.paste(), SECRET);
    // Clipboard managers are told to keep it out of their history.
    assert!(x.targets().contains("x-kde-passwordManagerHint"), "{}", x.targets());
    // Cleared after the timeout (with margin for a loaded machine).
    assert!(eventually(Duration::from_secs(6), || x.paste().is_empty()), "still on the clipboard");
}

#[test]
fn copy_never_wipes_what_the_user_copied_since() {
    let Some(x) = Xvfb::start() else { return };
    let home = home_with_item();
    assert_ok(&copy(&home, &x, &["github", "--clear-after", "2"]), &["copy"]);
    assert_eq!(x.paste(), SECRET);
    x.copy_as_user("the user's own text");
    // The helper notices within a second and exits without touching the clipboard,
    // rather than keep the secret in memory until its deadline.
    if helpers(&home).is_some() {
        assert!(eventually(Duration::from_secs(3), || helpers(&home).is_some_and(|h| h.is_empty())));
    }
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(x.paste(), "the user's own text");
}

#[test]
fn copy_other_fields_and_keep_the_secret_out_of_argv_and_env() {
    let Some(x) = Xvfb::start() else { return };
    let home = home_with_item();
    assert_ok(&copy(&home, &x, &["github", "--field", "username", "--clear-after", "30"]), &["copy"]);
    assert_eq!(x.paste(), "octocat");
    assert_ok(&copy(&home, &x, &["github", "--clear-after", "30"]), &["copy"]);
    assert_eq!(x.paste(), SECRET);
    // The helper serving this home's clipboard: the secret must be in neither its
    // arguments nor its environment, which other processes can read. (Without root,
    // environments of non-dumpable processes are closed: then every helper's
    // arguments are checked.)
    let pids: Vec<u32> = match helpers(&home) {
        Some(pids) => pids,
        None => all_helpers(),
    };
    assert!(!pids.is_empty(), "no clipboard helper found");
    for pid in pids {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let environ = String::from_utf8_lossy(&environ);
        for secret in [SECRET, "octocat", PASSWORD] {
            assert!(!cmdline.contains(secret), "secret in argv: {cmdline}");
            assert!(!environ.contains(secret), "secret in the environment");
        }
    }
    let out = copy(&home, &x, &["github", "--field", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no field \"nope\""), "{}", stderr(&out));
    // When the display goes away, so does the helper, long before its 30 s.
    drop(x);
    if helpers(&home).is_some() {
        assert!(
            eventually(Duration::from_secs(3), || helpers(&home).is_some_and(|h| h.is_empty())),
            "clipboard helper outlived its display"
        );
    }
}

#[test]
fn copy_without_a_display_explains() {
    // No Xvfb needed: nothing to copy to.
    let home = home_with_item();
    let out = home.run(&["copy", "github"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "no clipboard: no DISPLAY or WAYLAND_DISPLAY; use --osc52 over SSH, or `hush get QUERY --field password`"
        ),
        "{}",
        stderr(&out)
    );
    // A display that does not exist fails cleanly too, without hanging.
    let out = home
        .cmd()
        .env("DISPLAY", ":31999")
        .arg("--password-file")
        .arg(home.password_file())
        .args(["copy", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot use the clipboard"), "{}", stderr(&out));
}
