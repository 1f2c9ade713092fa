//! Helpers for hush's end-to-end tests: temporary homes, the real `hush` and
//! `hush-server` binaries run as processes.
//!
//! `cargo test --workspace` builds both binaries before any test runs (their
//! packages have integration tests of their own), into the same target folder as
//! this test executable.

pub mod http_stub;
pub mod instances;
pub mod postgres;
mod server;

pub use server::{Db, Server, Snapshot, Store, logged_in, registered, sql_blob, sql_id};

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Whether every one of `tools` is installed (an executable file on `PATH`), for a test that
/// runs them; `install` says how to get them (`apt-get install xvfb xclip`).
///
/// The one rule for tests that need a tool (issue #12, "CI guards"): on a developer's machine a
/// missing tool makes the test print a `SKIPPED` line naming itself and return early, so that a
/// skip is never mistaken for a pass; under CI (the `CI` variable set, as `.ci/run` does) it is a
/// failure, so that CI can never go green by testing nothing.
///
/// # Panics
/// Under CI, when a tool is missing.
pub fn require_tools(tools: &[&str], install: &str) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|tool| !on_path(tool)).collect();
    if missing.is_empty() {
        return true;
    }
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let what = format!("{} not installed ({install})", missing.join(", "));
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: {what}, and CI is set: a test that needs a tool must run"
    );
    eprintln!("\n*** SKIPPED {test}: {what} ***\n");
    false
}

/// Whether `tool` is installed ([`locate`]).
fn on_path(tool: &str) -> bool {
    locate(tool).is_some()
}

/// An executable file named `tool` in a folder of `PATH`, or in `/usr/sbin` or `/sbin`, where
/// `sshd` lives and which a non-root `PATH` often lacks.
fn locate(tool: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(tool))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// The master password every test home uses. `hush init` and `hush passwd` refuse master
/// passwords that are easy to guess (issue #10, point 1); this one passes their check even under
/// the cheap KDF parameters of [`Home::init`] (zxcvbn: at least 10^19 guesses).
pub const PASSWORD: &str = "correct horse battery staple";

/// A second strong master password, for the tests that change it (`hush passwd`).
pub const NEW_PASSWORD: &str = "plinth mossy aloft quarry dusky verdict";

/// Distinctive values for one item's fields, which no written file may contain.
pub struct Marked<'a> {
    /// The item's name.
    pub name: &'a str,
    /// Its user name.
    pub username: &'a str,
    /// Its password.
    pub password: &'a str,
    /// Its notes.
    pub notes: &'a str,
    /// The host of its URL.
    pub host: &'a str,
    /// A tag.
    pub tag: &'a str,
}

impl Marked<'_> {
    /// Every marker.
    pub fn all(&self) -> [&str; 6] {
        [self.name, self.username, self.password, self.notes, self.host, self.tag]
    }
}

/// Path of a workspace binary next to the running test executable.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(Path::parent).expect("target folder");
    let path = dir.join(name);
    assert!(path.exists(), "{} is missing: run the tests with `cargo test --workspace`", path.display());
    path
}

/// A temporary hush profile (`HUSH_HOME`) with a password file.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    /// A fresh, empty home.
    pub fn new() -> Home {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("runtime")).unwrap();
        let home = Home { dir };
        home.write("password", &format!("{PASSWORD}\n"));
        home
    }

    /// The folder that holds this home's files (`HUSH_HOME`).
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The scratch folder around it (password files, runtime dir).
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// An item's current password (`hush get ITEM --field password`).
    pub fn password(&self, item: &str) -> String {
        self.ok(&["get", item, "--field", "password"]).trim().to_owned()
    }

    /// The password file.
    pub fn password_file(&self) -> PathBuf {
        self.dir.path().join("password")
    }

    /// Writes a file in the scratch folder, private (0600) as a file holding a secret should be
    /// (hush warns about a readable `--password-file`), and returns its path.
    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }

    /// A `hush` command in this home, with a private runtime folder so that agents
    /// of parallel tests never meet.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin("hush"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HUSH_HOME", self.path())
            .env("XDG_RUNTIME_DIR", self.dir.path().join("runtime"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    /// Runs `hush --password-file <file> ARGS...`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().arg("--password-file").arg(self.password_file()).args(args).output().expect("run hush")
    }

    /// Runs with standard input.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd()
            .arg("--password-file")
            .arg(self.password_file())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hush");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs `hush --password-file <file> ARGS...` with its stdout a pipe whose reader
    /// has gone away (`hush ls | head -1`), so that every write fails with EPIPE.
    pub fn run_into_closed_pipe(&self, args: &[&str]) -> Output {
        let mut child = self
            .cmd()
            .arg("--password-file")
            .arg(self.password_file())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hush");
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    }

    /// Adds an item named `m.name` that carries every marker of `m` in its fields (the
    /// password on stdin), plus `extra` arguments: for the tests that grep written
    /// files for plaintext.
    pub fn add_marked(&self, m: &Marked<'_>, extra: &[&str]) {
        let url = format!("https://{}/login", m.host);
        let mut args = vec![
            "add",
            m.name,
            "--username",
            m.username,
            "--password-stdin",
            "--notes",
            m.notes,
            "--url",
            &url,
            "--tag",
            m.tag,
        ];
        args.extend_from_slice(extra);
        let out = self.run_stdin(&args, &format!("{}\n", m.password));
        assert_ok(&out, &["add"]);
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_ok(&out, args);
        String::from_utf8(out.stdout).unwrap()
    }

    /// `hush init` with cheap KDF parameters; returns the setup code.
    pub fn init(&self) -> String {
        let out = self.ok(&[
            "init",
            "--insecure-kdf",
            "--kdf-memory-mib",
            "8",
            "--kdf-iterations",
            "1",
            "--kdf-parallelism",
            "1",
        ]);
        out.trim().to_owned()
    }

    /// Every file under the home, recursively.
    pub fn files(&self) -> Vec<PathBuf> {
        walk(&self.path())
    }

    /// Every file under the home with its bytes: equal before and after a command that must
    /// change nothing.
    pub fn contents(&self) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
        self.files().into_iter().map(|f| (f.clone(), std::fs::read(&f).unwrap())).collect()
    }
}

/// Every file under `dir`, recursively.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The path of an installed tool (on `PATH`, or in `/usr/sbin` or `/sbin`), or `None` after [`require_tools`]' SKIPPED
/// notice naming the Debian package that has it (under CI, a failure).
pub fn require_tool(tool: &str, package: &str) -> Option<PathBuf> {
    if require_tools(&[tool], &format!("apt-get install {package}")) { locate(tool) } else { None }
}

/// Whether the tests run as root; a test that needs it (another uid, sshd's privilege
/// separation) is SKIPPED otherwise, and fails under CI, which runs as root.
pub fn require_root(test: &str) -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Uid:")).map(|l| l.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false);
    if !root {
        assert!(std::env::var_os("CI").is_none(), "{test} needs root, and CI is set");
        eprintln!("\n*** SKIPPED {test}: it needs root ***\n");
    }
    root
}

/// Runs `hush lock` for a home when dropped, so that no agent outlives a test, pass or panic.
pub struct AgentGuard {
    home: PathBuf,
    runtime: PathBuf,
}

impl Drop for AgentGuard {
    fn drop(&mut self) {
        let _ = Command::new(bin("hush"))
            .env_clear()
            .env("HUSH_HOME", &self.home)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .arg("lock")
            .stdin(Stdio::null())
            .output();
    }
}

impl Home {
    /// `hush unlock` with the password file; the guard locks again when dropped.
    pub fn unlock(&self) -> AgentGuard {
        let guard = AgentGuard { home: self.path(), runtime: self.runtime() };
        let out = self.run(&["unlock"]);
        assert_ok(&out, &["unlock"]);
        guard
    }

    /// This home's private runtime folder (`XDG_RUNTIME_DIR`).
    pub fn runtime(&self) -> PathBuf {
        self.dir.path().join("runtime")
    }

    /// `hush ARGS` without the password file and with standard input from /dev/null: it
    /// succeeds only if the key comes from the agent (or nothing needs it).
    pub fn bare(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run hush")
    }
}

/// Panics with both output streams unless the command succeeded.
pub fn assert_ok(out: &Output, what: &[&str]) {
    assert!(
        out.status.success(),
        "hush {what:?} failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// `hush` on a pseudo-terminal (util-linux `script`), driven line by line.
pub struct Terminal {
    child: Child,
    output: Arc<Mutex<String>>,
    seen: usize,
}

impl Terminal {
    /// `hush --password-file <home's> ARGS` on a terminal; `None` when `script` is
    /// not installed (under CI that is a failure).
    pub fn start(home: &Home, args: &[&str]) -> Option<Terminal> {
        let mut all = vec!["--password-file".to_owned(), home.password_file().display().to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        Self::start_raw(home, &all)
    }

    /// Like `start`, without `--password-file`: hush must ask on the terminal.
    pub fn start_raw(home: &Home, args: &[String]) -> Option<Terminal> {
        if !require_tools(&["script"], "apt-get install bsdutils") {
            return None;
        }
        let mut command = vec![bin("hush").display().to_string()];
        command.extend(args.iter().cloned());
        Some(Self::spawn(home, &command.join(" ")))
    }

    /// `line`, run by `/bin/sh` on a pseudo-terminal that `script` makes, in `home`'s environment.
    fn spawn(home: &Home, line: &str) -> Terminal {
        let mut child = Command::new("script")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HUSH_HOME", home.path())
            .env("XDG_RUNTIME_DIR", home.scratch().join("runtime"))
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .env("SHELL", "/bin/sh")
            .args(["-q", "-e", "-c", line, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Terminal { child, output, seen: 0 }
    }

    /// Waits until `text` appears after what was already seen.
    pub fn expect(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            {
                let out = self.output.lock().unwrap();
                if let Some(i) = out[self.seen..].find(text) {
                    let chunk = out[self.seen..self.seen + i + text.len()].to_owned();
                    self.seen += i + text.len();
                    return chunk;
                }
                assert!(
                    Instant::now() < deadline,
                    "timed out waiting for {text:?}; got:\n{}",
                    &out[self.seen..]
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Types `keys` without a line ending (a picker reads key by key).
    pub fn type_keys(&mut self, keys: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// A shell command line on a terminal, in `home`'s environment (`HUSH_HOME`, its runtime
    /// folder): for what [`Terminal::start_raw`] cannot say, such as variables for one command
    /// (`EDITOR=… hush edit x --editor`) or arguments with spaces. `HUSH` in `line` is replaced
    /// by the path of the `hush` binary. `None` when `script` is not installed (under CI that is
    /// a failure).
    pub fn start_shell(home: &Home, line: &str) -> Option<Terminal> {
        if !require_tools(&["script"], "apt-get install bsdutils") {
            return None;
        }
        let line = line.replace("HUSH", &bin("hush").display().to_string());
        Some(Self::spawn(home, &line))
    }

    /// Everything the terminal showed so far.
    pub fn screen(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub fn wait(mut self) -> Option<i32> {
        drop(self.child.stdin.take());
        self.child.wait().unwrap().code()
    }

    /// SIGKILL to hush itself (a descendant of `script`: its child, or the child
    /// of the shell `script` starts), then to `script`.
    pub fn kill_hush(mut self) {
        fn descendants(pid: u32, out: &mut Vec<String>) {
            let children =
                std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
            for child in children.split_whitespace() {
                out.push(child.to_owned());
                descendants(child.parse().unwrap(), out);
            }
        }
        let mut pids = Vec::new();
        descendants(self.child.id(), &mut pids);
        assert!(!pids.is_empty(), "hush is running");
        for pid in pids.iter().rev() {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a [`Proxy`] does with the connections it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Passes both directions through at once.
    Forward,
    /// Accepts, then never reads, writes or closes: a frozen server (issue #10, point 14).
    Freeze,
    /// Passes the request on at once and holds the server's answer back this long: a slow
    /// server, or a slow link.
    Delay(Duration),
}

/// A TCP proxy on a loopback port in front of a real server, which can be switched to freeze
/// or slow down: the server a device registers with stays the same URL.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    mode: Arc<Mutex<ProxyMode>>,
    /// Frozen connections, held open until the proxy is dropped.
    held: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl Proxy {
    /// A proxy to `target` (`http://127.0.0.1:PORT`), forwarding.
    pub fn to(target: &str) -> Proxy {
        let upstream = target.trim_start_matches("http://").to_owned();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(Mutex::new(ProxyMode::Forward));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (m, h) = (Arc::clone(&mode), Arc::clone(&held));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let mode = *m.lock().unwrap();
                if mode == ProxyMode::Freeze {
                    h.lock().unwrap().push(client);
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(&upstream) else { continue };
                let delay = match mode {
                    ProxyMode::Delay(d) => d,
                    _ => Duration::ZERO,
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pipe(client, server, Duration::ZERO));
                std::thread::spawn(move || pipe(s2, c2, delay));
            }
        });
        Proxy { url, mode, held }
    }

    /// Changes what happens to the next connections.
    pub fn set(&self, mode: ProxyMode) {
        *self.mode.lock().unwrap() = mode;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.held.lock().unwrap().clear();
    }
}

/// Copies `from` to `to` until either side closes, waiting `delay` before the first byte.
fn pipe(mut from: std::net::TcpStream, mut to: std::net::TcpStream, delay: Duration) {
    let mut buf = [0u8; 16 * 1024];
    let mut first = true;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if first {
            std::thread::sleep(delay);
            first = false;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}
