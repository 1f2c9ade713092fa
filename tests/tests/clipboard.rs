//! Issue #4 end to end: `hush copy` on a real X server (Xvfb, read back with xclip) and
//! on a real Wayland compositor (sway, headless, read back with wl-paste). Every
//! scenario runs on both.
//!
//! Needs `Xvfb` and `xclip`, and `sway` and `wl-clipboard` (Debian: `apt-get install
//! xvfb xclip sway wl-clipboard`). Without them a test says it was SKIPPED and returns, except
//! under CI (the `CI` variable set), where a missing tool is a failure
//! (`hush_e2e::require_tools`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hush_e2e::{Home, PASSWORD, assert_ok, require_tools, stderr};

const SECRET: &str = "clip-Secret-42";

/// A graphical session with a clipboard: an X server or a Wayland compositor.
trait Desktop {
    /// The variable, and its value, that point a client at this session.
    fn env(&self) -> (&'static str, String);
    /// The clipboard's text, or "" when nobody owns it.
    fn paste(&self) -> String;
    /// The formats (X targets, Wayland MIME types) on offer.
    fn targets(&self) -> String;
    /// Copies `text` as the user would, with the session's own tool, which then serves
    /// it from the background until it loses the clipboard or the session ends.
    fn copy_as_user(&self, text: &str);
}

/// Runs `tool ARGS` in the session; its stdout when it succeeds, else "".
fn run_tool(d: &dyn Desktop, tool: &str, args: &[&str]) -> String {
    let (var, value) = d.env();
    let out = Command::new(tool)
        .args(args)
        .env(var, value)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    if out.status.success() { String::from_utf8_lossy(&out.stdout).into_owned() } else { String::new() }
}

/// Runs a copying tool (xclip -i, wl-copy) with `text` on its standard input. Its
/// stdout is not a pipe: the server it forks to serve the clipboard would hold the
/// pipe open, and reading it to the end would wait for as long as it serves.
fn copy_with_tool(d: &dyn Desktop, tool: &str, args: &[&str], text: &str) {
    let (var, value) = d.env();
    let mut child = Command::new(tool)
        .args(args)
        .env(var, value)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "{tool} failed");
}

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
        if !require_tools(&["Xvfb", "xclip"], "apt-get install xvfb xclip") {
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
}

impl Desktop for Xvfb {
    fn env(&self) -> (&'static str, String) {
        ("DISPLAY", self.display.clone())
    }

    fn paste(&self) -> String {
        run_tool(self, "xclip", &["-selection", "clipboard", "-o"])
    }

    fn targets(&self) -> String {
        run_tool(self, "xclip", &["-selection", "clipboard", "-t", "TARGETS", "-o"])
    }

    fn copy_as_user(&self, text: &str) {
        copy_with_tool(self, "xclip", &["-selection", "clipboard", "-i"], text);
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless sway (wlroots, so it offers the data-control protocol that hush's
/// clipboard crate uses on Wayland), in its own runtime folder; killed when dropped.
struct Sway {
    child: Child,
    socket: std::path::PathBuf,
    _runtime: tempfile::TempDir,
}

impl Sway {
    /// Starts sway, or `None` (after a notice) when the tools are missing outside CI.
    fn start() -> Option<Sway> {
        if !require_tools(&["sway", "wl-copy", "wl-paste", "setpriv"], "apt-get install sway wl-clipboard") {
            return None;
        }
        let runtime = tempfile::tempdir().unwrap();
        let root =
            std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
        let mut cmd = if root {
            // sway refuses to run as root: run it as nobody, in a folder of its own.
            // hush, as root, can still connect to its socket.
            let chown = Command::new("chown").arg("nobody:nogroup").arg(runtime.path()).status();
            assert!(chown.unwrap().success(), "chown the runtime folder to nobody");
            let mut c = Command::new("setpriv");
            c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sway"]);
            c
        } else {
            Command::new("sway")
        };
        let child = cmd
            .args(["-c", "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", runtime.path())
            .env("XDG_RUNTIME_DIR", runtime.path())
            // No GPU, no input devices, no display: software rendering to nowhere.
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_RENDERER", "pixman")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sway");
        let mut sway = Sway { child, socket: std::path::PathBuf::new(), _runtime: runtime };
        // sway names its socket wayland-1 (the first free name in its folder) once it
        // accepts connections.
        let socket = sway._runtime.path().join("wayland-1");
        assert!(
            eventually(Duration::from_secs(10), || std::fs::symlink_metadata(&socket)
                .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()))),
            "sway did not start"
        );
        sway.socket = socket;
        Some(sway)
    }
}

impl Desktop for Sway {
    fn env(&self) -> (&'static str, String) {
        // An absolute path: the hush processes have a runtime folder of their own.
        ("WAYLAND_DISPLAY", self.socket.display().to_string())
    }

    fn paste(&self) -> String {
        run_tool(self, "wl-paste", &["--no-newline"])
    }

    fn targets(&self) -> String {
        run_tool(self, "wl-paste", &["--list-types"])
    }

    fn copy_as_user(&self, text: &str) {
        copy_with_tool(self, "wl-copy", &[], text);
    }
}

impl Drop for Sway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

/// `hush --password-file … copy ARGS` in the session.
fn copy(home: &Home, d: &dyn Desktop, args: &[&str]) -> Output {
    let (var, value) = d.env();
    home.cmd()
        .env(var, value)
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
fn x11_copy_puts_the_password_on_the_clipboard_and_clears_it() {
    if let Some(x) = Xvfb::start() {
        copy_puts_the_password_on_the_clipboard_and_clears_it(&x);
    }
}

#[test]
fn wayland_copy_puts_the_password_on_the_clipboard_and_clears_it() {
    if let Some(sway) = Sway::start() {
        copy_puts_the_password_on_the_clipboard_and_clears_it(&sway);
    }
}

fn copy_puts_the_password_on_the_clipboard_and_clears_it(x: &dyn Desktop) {
    let home = home_with_item();
    let started = Instant::now();
    let out = copy(&home, x, &["github", "--clear-after", "2"]);
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
fn x11_copy_never_wipes_what_the_user_copied_since() {
    if let Some(x) = Xvfb::start() {
        copy_never_wipes_what_the_user_copied_since(&x);
    }
}

#[test]
fn wayland_copy_never_wipes_what_the_user_copied_since() {
    if let Some(sway) = Sway::start() {
        copy_never_wipes_what_the_user_copied_since(&sway);
    }
}

fn copy_never_wipes_what_the_user_copied_since(x: &dyn Desktop) {
    let home = home_with_item();
    assert_ok(&copy(&home, x, &["github", "--clear-after", "2"]), &["copy"]);
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
fn x11_copy_other_fields_and_keep_the_secret_out_of_argv_and_env() {
    if let Some(x) = Xvfb::start() {
        copy_other_fields_and_keep_the_secret_out_of_argv_and_env(Box::new(x));
    }
}

#[test]
fn wayland_copy_other_fields_and_keep_the_secret_out_of_argv_and_env() {
    if let Some(sway) = Sway::start() {
        copy_other_fields_and_keep_the_secret_out_of_argv_and_env(Box::new(sway));
    }
}

/// Takes the session by value: it ends at the end of the test, and the helper with it.
fn copy_other_fields_and_keep_the_secret_out_of_argv_and_env(x: Box<dyn Desktop>) {
    let home = home_with_item();
    assert_ok(&copy(&home, &*x, &["github", "--field", "username", "--clear-after", "30"]), &["copy"]);
    assert_eq!(x.paste(), "octocat");
    assert_ok(&copy(&home, &*x, &["github", "--clear-after", "30"]), &["copy"]);
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
    let out = copy(&home, &*x, &["github", "--field", "nope"]);
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
