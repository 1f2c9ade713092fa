//! A real `hush-server` process for the end-to-end tests, on either of its stores, and the
//! attacker's hands on that store: SQL edits, snapshots and restores of the whole database.
//!
//! Which store the servers of a test process use is the environment's choice ([`Store::from_env`]):
//! embedded SQLite by default, PostgreSQL with `HUSH_TEST_STORE=postgres`, when every server gets
//! a database of its own in the test binary's throwaway cluster ([`crate::postgres`]). `.ci/run`
//! runs every suite that starts a server a second time that way (issue #11, "Tests and CI"), so
//! each guarantee the suites prove on SQLite is proved on PostgreSQL by the same test code.
//!
//! The tests speak one SQL to both stores: the two schemas have the same tables and columns
//! (server/migrations/postgres/0001_initial.sql), statements bind blobs to `?` placeholders, which
//! [`Db`] numbers for PostgreSQL, and blob literals come from [`sql_blob`]. Where the dialects
//! part (triggers), a test asks [`Db::store`] and writes each.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Home, assert_ok, bin, postgres, walk};

/// A store `hush-server` keeps its data in (docs/server.md, "Stores").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// `--data-dir`: one SQLite file, the default.
    Sqlite,
    /// `HUSH_SERVER_DATABASE_URL=postgres://…`.
    Postgres,
}

impl Store {
    /// The store named by `HUSH_TEST_STORE` (`sqlite`, the default, or `postgres`).
    ///
    /// # Panics
    /// On any other value: a typo must not quietly test SQLite twice.
    pub fn from_env() -> Store {
        match std::env::var("HUSH_TEST_STORE").as_deref() {
            Err(_) | Ok("" | "sqlite") => Store::Sqlite,
            Ok("postgres") => Store::Postgres,
            Ok(other) => panic!("HUSH_TEST_STORE={other:?}: expected sqlite or postgres"),
        }
    }
}

/// Where one server's data lives.
enum Location {
    /// The `--data-dir` folder.
    Sqlite(PathBuf),
    /// The database's URL on the test binary's cluster.
    Postgres(String),
}

/// A real `hush-server` process on a loopback port, with a store of its own and a folder for its
/// log.
pub struct Server {
    child: Option<Child>,
    data: tempfile::TempDir,
    location: Location,
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
    /// Starts a server on a free port, on the store [`Store::from_env`] names.
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// Starts a server on a free port with extra `serve` arguments (limits, quotas), which
    /// restarts keep.
    pub fn start_with(extra: &[&str]) -> Server {
        Self::launch(Store::from_env(), extra.iter().map(|a| (*a).to_owned()).collect(), false)
    }

    /// Starts a server on `store`, whatever the environment says (for the tests that move a
    /// SQLite server's data to PostgreSQL).
    pub fn start_on(store: Store) -> Server {
        Self::launch(store, Vec::new(), false)
    }

    /// Starts one more instance on the PostgreSQL database at `database_url`, which other
    /// instances may share (issue #11's deployment), on `port` (0: a free one).
    pub fn instance(database_url: &str, port: u16) -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        Self::run(data, Location::Postgres(database_url.to_owned()), Vec::new(), port)
    }

    /// Starts a server that logs at debug level into `log()`.
    pub fn start_logged() -> Server {
        Self::launch(Store::from_env(), Vec::new(), true)
    }

    /// Starts a server with TLS (the test certificate for `localhost` from
    /// `server/tests/fixtures`); its URL is `https://localhost:PORT`.
    pub fn start_tls() -> Server {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/tests/fixtures");
        let tls = vec![
            "--tls-cert".to_owned(),
            fixtures.join("test-server-cert.pem").display().to_string(),
            "--tls-key".to_owned(),
            fixtures.join("test-server-key.pem").display().to_string(),
        ];
        let mut server = Self::launch(Store::from_env(), tls, false);
        server.url = format!("https://localhost:{}", server.port);
        server
    }

    fn launch(store: Store, extra: Vec<String>, logged: bool) -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        if logged {
            std::fs::write(data.path().join("log-level"), "debug").unwrap();
        }
        let location = match store {
            Store::Sqlite => Location::Sqlite(data.path().join("db")),
            Store::Postgres => {
                let cluster = postgres::cluster().expect(
                    "HUSH_TEST_STORE=postgres, and PostgreSQL is not installed (apt-get install postgresql)",
                );
                Location::Postgres(cluster.database())
            }
        };
        Self::run(data, location, extra, 0)
    }

    /// A running server on `location` and `port` (0: a free one).
    fn run(data: tempfile::TempDir, location: Location, extra: Vec<String>, port: u16) -> Server {
        let mut server = Server { child: None, data, location, url: String::new(), port, extra };
        server.start_process();
        server.url = format!("http://127.0.0.1:{}", server.port);
        server
    }

    /// The store this server keeps its data in.
    pub fn store(&self) -> Store {
        match self.location {
            Location::Sqlite(_) => Store::Sqlite,
            Location::Postgres(_) => Store::Postgres,
        }
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// What a server from `start_logged` wrote to stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }

    /// The test CA that signed the TLS server's certificate.
    pub fn test_ca() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/tests/fixtures/test-ca.pem")
    }

    /// `hush-server SUBCOMMAND` on this server's store: `--data-dir` for SQLite, the URL in the
    /// environment for PostgreSQL (never argv, as docs/server.md recommends).
    fn command(&self, subcommand: &str) -> Command {
        let mut command = Command::new(bin("hush-server"));
        command.arg(subcommand);
        match &self.location {
            Location::Sqlite(dir) => {
                command.arg("--data-dir").arg(dir);
            }
            Location::Postgres(url) => {
                command.env("HUSH_SERVER_DATABASE_URL", url);
            }
        }
        command
    }

    /// The server process on `port` (0: a free one) and the port it listens on; `None` when it
    /// did not start listening (its port still held by an instance that was just killed).
    fn spawn(&self, port: u16) -> Option<(Child, u16)> {
        use std::io::BufRead;
        // A server started by `start_logged` keeps its level and appends to its log
        // across restarts.
        let data = self.data.path();
        let level = std::fs::read_to_string(data.join("log-level")).ok();
        let stderr = match level {
            Some(_) => Stdio::from(
                std::fs::OpenOptions::new().create(true).append(true).open(data.join("server.log")).unwrap(),
            ),
            None => Stdio::null(),
        };
        let mut child = self
            .command("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(&self.extra)
            .env("HUSH_SERVER_LOG", level.as_deref().unwrap_or("warn"))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start hush-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        };
        let port = addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
        Some((child, port))
    }

    /// Starts the process on the server's port (0: a free one, which becomes its port), trying
    /// again while that port is still held.
    fn start_process(&mut self) {
        for _ in 0..50 {
            if let Some((child, port)) = self.spawn(self.port) {
                self.port = port;
                self.child = Some(child);
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("could not start hush-server on port {}", self.port);
    }

    /// A fresh single-use invite code.
    pub fn invite(&self) -> String {
        let out = self.command("invite").output().unwrap();
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
        self.start_process();
    }

    /// The address it listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Everything the server has stored, as an attacker who copies its disk reads it, for the
    /// tests that look for plaintext: each file of its data folder (SQLite's database, write-ahead
    /// log and shared memory, and the server's log) and, on PostgreSQL, `pg_dump`'s text and each
    /// table's rows in PostgreSQL's binary format, where blobs are their own bytes (the dump
    /// writes them as hex). Named by file or table, for failure messages.
    pub fn stored(&self) -> Vec<(String, Vec<u8>)> {
        let mut stored: Vec<(String, Vec<u8>)> = walk(self.data.path())
            .into_iter()
            .map(|f| (f.display().to_string(), std::fs::read(&f).unwrap()))
            .collect();
        if let Location::Postgres(url) = &self.location {
            let cluster = postgres::cluster().expect("the cluster of this server");
            stored.push(("pg_dump".to_owned(), cluster.dump(url)));
            for table in cluster.tables(url) {
                let rows = cluster.copy_out(url, &format!("public.{table}"));
                stored.push((format!("table {table}"), rows));
            }
        }
        stored
    }

    /// The SQLite server's `--data-dir` (for `hush-server copy --from`).
    ///
    /// # Panics
    /// On a server on PostgreSQL.
    pub fn data_dir(&self) -> PathBuf {
        match &self.location {
            Location::Sqlite(dir) => dir.clone(),
            Location::Postgres(_) => panic!("a server on PostgreSQL has no data folder"),
        }
    }

    /// Whether the server process runs.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SQL access to the server's database, as an attacker who controls it has. The server
    /// must be stopped (see [`Server::edit`], which stops and restarts it around the edit).
    pub fn db(&self) -> Db {
        assert!(!self.is_running(), "stop the server before editing its database");
        match &self.location {
            Location::Sqlite(dir) => Db::sqlite(&dir.join(DB_FILE_NAME)),
            Location::Postgres(url) => Db::postgres(url, "public"),
        }
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
        let snapshot = match &self.location {
            Location::Sqlite(dir) => {
                let copy = tempfile::tempdir().expect("temp dir");
                copy_files(dir, copy.path());
                Snapshot::Sqlite(copy)
            }
            Location::Postgres(url) => {
                // A schema of copies beside `public`, in the same database, so that an edit can
                // read from both at once as SQLite's ATTACH does (Db::with_old).
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let schema = format!("snapshot_{}", NEXT.fetch_add(1, Ordering::Relaxed));
                let tables = postgres::cluster().expect("the cluster of this server").tables(url);
                let mut db = self.db();
                let mut sql = format!("CREATE SCHEMA {schema};");
                for table in &tables {
                    sql.push_str(&format!("CREATE TABLE {schema}.{table} AS TABLE public.{table};"));
                }
                db.script(&sql);
                db.close();
                Snapshot::Postgres { url: url.clone(), schema, tables }
            }
        };
        self.restart();
        snapshot
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
        match (&self.location, snapshot) {
            (Location::Sqlite(dir), Snapshot::Sqlite(copy)) => {
                for f in walk(dir) {
                    std::fs::remove_file(f).unwrap();
                }
                copy_files(copy.path(), dir);
            }
            (Location::Postgres(to), Snapshot::Postgres { url, schema, tables }) => {
                // The snapshot may come from another server's database (a server restored from
                // another's backup), so its rows travel by COPY rather than INSERT … SELECT.
                let mut db = self.db();
                db.script(&format!("TRUNCATE {} CASCADE;", tables.join(", ")));
                db.close();
                for table in accounts_first(tables) {
                    copy_table(url, &format!("{schema}.{table}"), to, &format!("public.{table}"));
                }
            }
            _ => panic!("a snapshot of another store"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
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

/// A copy of a server's whole database, taken while it was stopped.
pub enum Snapshot {
    /// A copy of the SQLite files.
    Sqlite(tempfile::TempDir),
    /// A schema in the server's own database, holding a copy of each table of `public`.
    Postgres {
        /// The database's URL.
        url: String,
        /// The schema's name.
        schema: String,
        /// The tables copied.
        tables: Vec<String>,
    },
}

impl Snapshot {
    /// SQL access to the copy (to read what the server held then).
    pub fn db(&self) -> Db {
        match self {
            Snapshot::Sqlite(dir) => Db::sqlite(&dir.path().join(DB_FILE_NAME)),
            Snapshot::Postgres { url, schema, .. } => Db::postgres(url, schema),
        }
    }
}

/// `tables` with `accounts` first: every other table that refers to an account does so by
/// foreign key.
fn accounts_first(tables: &[String]) -> impl Iterator<Item = &String> {
    let (accounts, rest): (Vec<&String>, Vec<&String>) =
        tables.iter().partition(|t| t.as_str() == "accounts");
    accounts.into_iter().chain(rest)
}

/// Copies every row of table `from` of the database at `from_url` into table `to` (of the same
/// columns) of the database at `to_url`.
fn copy_table(from_url: &str, from: &str, to_url: &str, to: &str) {
    let cluster = postgres::cluster().expect("the cluster of this server");
    cluster.copy_in(to_url, to, &cluster.copy_out(from_url, from));
}

/// `bytes` as a blob literal of the store [`Store::from_env`] names: `x'…'` for SQLite,
/// `'\x…'::bytea` for PostgreSQL.
pub fn sql_blob(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match Store::from_env() {
        Store::Sqlite => format!("x'{hex}'"),
        Store::Postgres => format!("'\\x{hex}'::bytea"),
    }
}

/// An id as hush prints it (32 hex digits, with or without hyphens) as a [`sql_blob`] of its 16
/// bytes.
///
/// # Panics
/// When `id` is not such an id.
pub fn sql_id(id: &str) -> String {
    let hex: Vec<u8> = id.trim().bytes().filter(|c| *c != b'-').collect();
    assert_eq!(hex.len(), 32, "an id: {id:?}");
    let bytes: Vec<u8> = hex
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok()).expect("hex"))
        .collect();
    sql_blob(&bytes)
}

enum Connection {
    Sqlite(sqlx::SqliteConnection),
    /// The connection, and the database's URL.
    Postgres(sqlx::PgConnection, String),
}

/// One connection to a stopped server's database. Statements are plain SQL that both stores
/// read the same; blobs are bound in order to `?` placeholders (or to `?N`, by number).
pub struct Db {
    runtime: tokio::runtime::Runtime,
    conn: Option<Connection>,
}

/// Runs `$body`, an async expression over the connection `$conn` of either store, to its end.
/// Each store's arm is its own expression, so that sqlx infers each with its own database type.
macro_rules! on_connection {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db.conn.as_mut().expect("open") {
            Connection::Sqlite($conn) => $db.runtime.block_on($body),
            Connection::Postgres($conn, _) => $db.runtime.block_on($body),
        }
    };
}

impl Db {
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    fn sqlite(path: &Path) -> Db {
        use sqlx::ConnectOptions;
        assert!(path.exists(), "{} is missing", path.display());
        let runtime = Self::runtime();
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).foreign_keys(true);
        let conn = runtime.block_on(options.connect()).expect("open the server's database");
        Db { runtime, conn: Some(Connection::Sqlite(conn)) }
    }

    /// A connection to the database at `url` whose unqualified table names are those of
    /// `schema` (`public`, the server's own, or a snapshot's).
    fn postgres(url: &str, schema: &str) -> Db {
        use sqlx::Connection as _;
        let runtime = Self::runtime();
        let mut conn = runtime.block_on(sqlx::PgConnection::connect(url)).expect("connect to the database");
        let search_path = format!("SET search_path TO {schema}");
        runtime
            .block_on(sqlx::raw_sql(sqlx::AssertSqlSafe(search_path)).execute(&mut conn))
            .expect("set the search path");
        Db { runtime, conn: Some(Connection::Postgres(conn, url.to_owned())) }
    }

    /// The store this database belongs to.
    pub fn store(&self) -> Store {
        match self.conn.as_ref().expect("open") {
            Connection::Sqlite(_) => Store::Sqlite,
            Connection::Postgres(..) => Store::Postgres,
        }
    }

    /// `sql` with its placeholders in the store's own spelling: PostgreSQL numbers them (`$1`).
    fn dialect(&self, sql: &str) -> String {
        if self.store() == Store::Sqlite {
            return sql.to_owned();
        }
        let mut out = String::with_capacity(sql.len() + 8);
        let mut next = 0;
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '?' {
                out.push(c);
                continue;
            }
            out.push('$');
            if chars.peek().is_some_and(char::is_ascii_digit) {
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    out.push(d);
                }
            } else {
                next += 1;
                out.push_str(&next.to_string());
            }
        }
        out
    }

    /// Runs one statement with `blobs` bound to its placeholders; returns the rows it changed.
    pub fn exec(&mut self, sql: &str, blobs: &[&[u8]]) -> u64 {
        let statement = self.dialect(sql);
        let done = on_connection!(self, |conn| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(statement.clone()));
            for b in blobs {
                query = query.bind(b.to_vec());
            }
            async { query.execute(conn).await.map(|done| done.rows_affected()) }
        });
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs several statements (a script: triggers, several updates), with no bound values.
    pub fn script(&mut self, sql: &str) {
        let done = on_connection!(self, |conn| {
            let script = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()));
            async { script.execute(conn).await.map(drop) }
        });
        done.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The one integer a query selects.
    pub fn int(&mut self, sql: &str) -> i64 {
        let done =
            on_connection!(self, |conn| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_one(conn));
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one blob a query selects.
    pub fn blob(&mut self, sql: &str) -> Vec<u8> {
        let done = on_connection!(self, |conn| sqlx::query_scalar::<_, Vec<u8>>(sqlx::AssertSqlSafe(
            sql.to_owned()
        ))
        .fetch_one(conn));
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Every blob a query selects, in order.
    pub fn blobs(&mut self, sql: &str) -> Vec<Vec<u8>> {
        let done = on_connection!(self, |conn| sqlx::query_scalar::<_, Vec<u8>>(sqlx::AssertSqlSafe(
            sql.to_owned()
        ))
        .fetch_all(conn));
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs `edit` with `snapshot`'s tables readable as `old.TABLE` beside the live ones, as
    /// SQLite's `ATTACH DATABASE … AS old` gives them (on PostgreSQL the snapshot's schema is
    /// named `old` for the while).
    pub fn with_old<T>(&mut self, snapshot: &Snapshot, edit: impl FnOnce(&mut Db) -> T) -> T {
        let (attach, detach) = match snapshot {
            Snapshot::Sqlite(dir) => {
                let path = dir.path().join(DB_FILE_NAME);
                (format!("ATTACH DATABASE '{}' AS old;", path.display()), "DETACH DATABASE old;".to_owned())
            }
            Snapshot::Postgres { url, schema, tables } => {
                // A schema named `old` with the snapshot's rows, copied in: the snapshot may be
                // another database's.
                let to = match self.conn.as_ref().expect("open") {
                    Connection::Postgres(_, to) => to.clone(),
                    Connection::Sqlite(_) => panic!("a PostgreSQL snapshot for a SQLite database"),
                };
                let mut create = "DROP SCHEMA IF EXISTS old CASCADE; CREATE SCHEMA old;".to_owned();
                for table in tables {
                    create.push_str(&format!("CREATE TABLE old.{table} (LIKE public.{table});"));
                }
                self.script(&create);
                for table in tables {
                    copy_table(url, &format!("{schema}.{table}"), &to, &format!("old.{table}"));
                }
                (String::new(), "DROP SCHEMA old CASCADE;".to_owned())
            }
        };
        if !attach.is_empty() {
            self.script(&attach);
        }
        let out = edit(self);
        self.script(&detach);
        out
    }

    /// Closes the connection, writing everything back into the database.
    pub fn close(mut self) {
        self.close_inner();
    }

    fn close_inner(&mut self) {
        use sqlx::Connection as _;
        let Some(conn) = self.conn.take() else { return };
        let closed = match conn {
            Connection::Sqlite(conn) => self.runtime.block_on(conn.close()),
            Connection::Postgres(conn, _) => self.runtime.block_on(conn.close()),
        };
        closed.expect("close the server's database");
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.close_inner();
    }
}
