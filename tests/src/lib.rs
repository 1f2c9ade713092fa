//! Helpers for hush's end-to-end tests: temporary homes, the real `hush` and
//! `hush-server` binaries run as processes.
//!
//! `cargo test --workspace` builds both binaries before any test runs (their
//! packages have integration tests of their own), into the same target folder as
//! this test executable.

pub mod http_stub;
pub mod instances;
pub mod postgres;

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

/// A real `hush-server` process on a loopback port, with its own data folder.
pub struct Server {
    child: Option<std::process::Child>,
    data: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    port: u16,
    /// Extra `serve` arguments, kept for restarts.
    extra: Vec<String>,
}

/// Device A: a new vault registered on `server` under the device name `device`; and its setup
/// code, for [`logged_in`].
pub fn registered(server: &Server, device: &str) -> (Home, String) {
    let a = Home::new();
    let code = a.init();
    a.ok(&["register", "--server", &server.url, "--invite", &server.invite(), "--device-name", device]);
    (a, code)
}

/// A new device logged in to the server at `url` with the setup code (from a file, never argv),
/// named `device` when given.
pub fn logged_in(url: &str, code: &str, device: Option<&str>) -> Home {
    let b = Home::new();
    let code_file = b.write("code", &format!("{code}\n"));
    let code_file = code_file.to_str().expect("a UTF-8 path");
    let mut args = vec!["login", "--server", url, "--setup-code-file", code_file, "--insecure-kdf"];
    if let Some(device) = device {
        args.extend(["--device-name", device]);
    }
    b.ok(&args);
    b
}

impl Server {
    /// Starts a server on a free port.
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// Starts a server on a free port with extra `serve` arguments (limits, quotas), which
    /// restarts keep.
    pub fn start_with(extra: &[&str]) -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let extra: Vec<String> = extra.iter().map(|a| (*a).to_owned()).collect();
        let (child, port) = Self::spawn(data.path(), 0, &extra);
        Server { child: Some(child), data, url: format!("http://127.0.0.1:{port}"), port, extra }
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Starts a server that logs at debug level into `log()`.
    pub fn start_logged() -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        std::fs::write(data.path().join("log-level"), "debug").unwrap();
        let (child, port) = Self::spawn(data.path(), 0, &[]);
        Server { child: Some(child), data, url: format!("http://127.0.0.1:{port}"), port, extra: Vec::new() }
    }

    /// What a server from `start_logged` wrote to stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }

    /// Starts a server with TLS (the test certificate for `localhost` from
    /// `server/tests/fixtures`); its URL is `https://localhost:PORT`.
    pub fn start_tls() -> Server {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/tests/fixtures");
        let data = tempfile::tempdir().expect("temp dir");
        let cert = fixtures.join("test-server-cert.pem");
        let key = fixtures.join("test-server-key.pem");
        let tls = [
            "--tls-cert".to_owned(),
            cert.display().to_string(),
            "--tls-key".to_owned(),
            key.display().to_string(),
        ];
        let (child, port) = Self::spawn(data.path(), 0, &tls);
        Server {
            child: Some(child),
            data,
            url: format!("https://localhost:{port}"),
            port,
            extra: tls.to_vec(),
        }
    }

    /// The test CA that signed the TLS server's certificate.
    pub fn test_ca() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/tests/fixtures/test-ca.pem")
    }

    fn spawn(data: &Path, port: u16, extra: &[String]) -> (std::process::Child, u16) {
        use std::io::BufRead;
        // A server started by `start_logged` keeps its level and appends to its log
        // across restarts.
        let level = std::fs::read_to_string(data.join("log-level")).ok();
        let stderr = match level {
            Some(_) => Stdio::from(
                std::fs::OpenOptions::new().create(true).append(true).open(data.join("server.log")).unwrap(),
            ),
            None => Stdio::null(),
        };
        let mut child = Command::new(bin("hush-server"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .arg("--data-dir")
            .arg(data.join("db"))
            .env("HUSH_SERVER_LOG", level.as_deref().unwrap_or("warn"))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start hush-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let port = addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
        (child, port)
    }

    /// A fresh single-use invite code.
    pub fn invite(&self) -> String {
        let out = Command::new(bin("hush-server"))
            .args(["invite", "--data-dir"])
            .arg(self.data.path().join("db"))
            .output()
            .unwrap();
        assert_ok(&out, &["hush-server invite"]);
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Stops the server (SIGKILL: nothing may depend on a clean shutdown).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        for _ in 0..50 {
            let (mut child, port) = Self::spawn(self.data.path(), self.port, &self.extra);
            if port == self.port && child.try_wait().ok().flatten().is_none() {
                self.child = Some(child);
                return;
            }
            let _ = child.kill();
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("could not restart the server on port {}", self.port);
    }

    /// Every file of the server's data folder.
    pub fn files(&self) -> Vec<PathBuf> {
        walk(self.data.path())
    }

    /// The folder that holds the server's database files (`--data-dir`).
    fn db_dir(&self) -> PathBuf {
        self.data.path().join("db")
    }

    /// The server's `--data-dir` (for `hush-server copy --from`).
    pub fn data_dir(&self) -> PathBuf {
        self.db_dir()
    }

    /// Whether the server process runs.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SQL access to the server's database, as an attacker who controls it has. The server
    /// must be stopped (see [`Server::edit`], which stops and restarts it around the edit).
    pub fn db(&self) -> Db {
        assert!(!self.is_running(), "stop the server before editing its database");
        Db::open(&self.db_dir().join(DB_FILE_NAME))
    }

    /// Stops the server, lets `edit` change its database, and starts it again on the same
    /// port: what a device sees next is whatever the attacker left there.
    pub fn edit<T>(&mut self, edit: impl FnOnce(&mut Db) -> T) -> T {
        self.stop();
        let out = {
            let mut db = self.db();
            let out = edit(&mut db);
            db.close();
            out
        };
        self.restart();
        out
    }

    /// A copy of the whole database as it is now (the server is stopped for the copy and
    /// started again).
    pub fn snapshot(&mut self) -> Snapshot {
        self.stop();
        let dir = tempfile::tempdir().expect("temp dir");
        copy_files(&self.db_dir(), dir.path());
        self.restart();
        Snapshot { dir }
    }

    /// Puts a snapshot back in place of the whole database (the server is stopped for it and
    /// started again): every push, session and rekey since the snapshot is gone.
    pub fn restore(&mut self, snapshot: &Snapshot) {
        self.stop();
        self.restore_stopped(snapshot);
        self.restart();
    }

    /// [`Server::restore`] on a stopped server, which stays stopped (to edit the restored
    /// database before anyone sees it).
    pub fn restore_stopped(&self, snapshot: &Snapshot) {
        assert!(!self.is_running(), "stop the server before restoring its database");
        for f in walk(&self.db_dir()) {
            std::fs::remove_file(f).unwrap();
        }
        copy_files(snapshot.dir.path(), &self.db_dir());
    }
}

/// The database file's name in the server's data folder (server/src/store/sqlite.rs).
const DB_FILE_NAME: &str = "hush-server.db";

/// Copies every file of `from` (the database, its write-ahead log and shared memory) into `to`.
fn copy_files(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// A copy of a server's database files, taken while it was stopped.
pub struct Snapshot {
    dir: tempfile::TempDir,
}

impl Snapshot {
    /// SQL access to the copy (to read what the server held then).
    pub fn db(&self) -> Db {
        Db::open(&self.path())
    }

    /// The copy's database file (for `ATTACH DATABASE` from the server's own).
    pub fn path(&self) -> PathBuf {
        self.dir.path().join(DB_FILE_NAME)
    }
}

/// One connection to a stopped server's SQLite database. Statements are plain SQL; blobs are
/// bound in order to `?` placeholders.
pub struct Db {
    runtime: tokio::runtime::Runtime,
    conn: Option<sqlx::SqliteConnection>,
}

impl Db {
    fn open(path: &Path) -> Db {
        use sqlx::ConnectOptions;
        assert!(path.exists(), "{} is missing", path.display());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).foreign_keys(true);
        let conn = runtime.block_on(options.connect()).expect("open the server's database");
        Db { runtime, conn: Some(conn) }
    }

    /// Runs one statement with `blobs` bound to its placeholders; returns the rows it changed.
    pub fn exec(&mut self, sql: &str, blobs: &[&[u8]]) -> u64 {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for b in blobs {
            query = query.bind(b.to_vec());
        }
        let conn = self.conn.as_mut().expect("open");
        self.runtime.block_on(query.execute(conn)).unwrap_or_else(|e| panic!("{sql}: {e}")).rows_affected()
    }

    /// Runs several statements (a script: triggers, several updates), with no bound values.
    pub fn script(&mut self, sql: &str) {
        let conn = self.conn.as_mut().expect("open");
        self.runtime
            .block_on(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(conn))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The one integer a query selects.
    pub fn int(&mut self, sql: &str) -> i64 {
        let query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()));
        let conn = self.conn.as_mut().expect("open");
        self.runtime.block_on(query.fetch_one(conn)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one blob a query selects.
    pub fn blob(&mut self, sql: &str) -> Vec<u8> {
        let query = sqlx::query_scalar::<_, Vec<u8>>(sqlx::AssertSqlSafe(sql.to_owned()));
        let conn = self.conn.as_mut().expect("open");
        self.runtime.block_on(query.fetch_one(conn)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Every blob a query selects, in order.
    pub fn blobs(&mut self, sql: &str) -> Vec<Vec<u8>> {
        let query = sqlx::query_scalar::<_, Vec<u8>>(sqlx::AssertSqlSafe(sql.to_owned()));
        let conn = self.conn.as_mut().expect("open");
        self.runtime.block_on(query.fetch_all(conn)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Closes the connection, writing everything back into the database file.
    pub fn close(mut self) {
        self.close_inner();
    }

    fn close_inner(&mut self) {
        use sqlx::Connection;
        if let Some(conn) = self.conn.take() {
            self.runtime.block_on(conn.close()).expect("close the server's database");
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.close_inner();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
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
