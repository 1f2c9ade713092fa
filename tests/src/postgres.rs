//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary folder, `pg_ctl start` on
//! a free loopback port with its unix socket in that folder, one database per test, and the whole
//! cluster stopped and removed when the test process ends, however it ends.
//!
//! One cluster per test binary ([`cluster`]), since starting one costs a second or two and CI's
//! time is counted; each test then makes its own database ([`Cluster::database`]), which costs a
//! few milliseconds, so tests never see each other's rows.
//!
//! The binaries are found on PATH or in `/usr/lib/postgresql/*/bin` (Debian's `postgresql`
//! package). Without them a test skips with a notice, and fails when `CI` is set (`.ci/run`
//! installs them). PostgreSQL refuses to run as root, so as root the cluster runs as the
//! `postgres` user (`runuser`), in a folder owned by it.
//!
//! The cluster trusts every connection from loopback (`initdb --auth=trust`): it holds only test
//! data, listens on 127.0.0.1 only, and lives as long as one test binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A running cluster.
pub struct Cluster {
    bin: PathBuf,
    /// The temporary folder holding the data folder, the socket and the log; removed at exit.
    root: PathBuf,
    port: u16,
    run_as_postgres: bool,
}

/// The cluster of this test binary, started on first use; `None` (after a SKIPPED notice) when
/// PostgreSQL is not installed. Under CI a missing PostgreSQL is a failure.
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER.get_or_init(Cluster::start).as_ref()
}

/// [`cluster`], with the notice naming `what` is skipped.
pub fn cluster_or_skip(what: &str) -> Option<&'static Cluster> {
    let cluster = cluster();
    if cluster.is_none() {
        eprintln!("SKIPPED: {what}: PostgreSQL is not installed (apt-get install postgresql)");
    }
    cluster
}

/// The folder with `initdb`, `pg_ctl` and `postgres`, if PostgreSQL is installed.
pub fn bin_dir() -> Option<PathBuf> {
    // `pg_ctl` on PATH may be a link into the installation's own folder (Debian keeps the
    // server programs off PATH); that folder has the client programs of the same version too.
    let complete =
        |dir: &Path| ["pg_ctl", "initdb", "postgres", "createdb"].iter().all(|p| dir.join(p).is_file());
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .filter_map(|dir| dir.join("pg_ctl").canonicalize().ok())
        .filter_map(|pg_ctl| pg_ctl.parent().map(Path::to_path_buf))
        .find(|dir| complete(dir));
    if on_path.is_some() {
        return on_path;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| complete(bin))
        .collect();
    // The newest version, by number ("9.6" < "15" < "17").
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.split('.').next())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}

impl Cluster {
    fn start() -> Option<Cluster> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL is missing (initdb, pg_ctl): install Debian's postgresql package"
            );
            return None;
        };
        let run_as_postgres = is_root();
        // Not a `TempDir`: the cluster outlives every value of the test binary (it sits in a
        // static, which is never dropped). The reaper below removes it.
        let root = tempfile::Builder::new().prefix("hush-pg-").tempdir().expect("temp dir").keep();
        if run_as_postgres {
            let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&root).status();
            assert!(status.is_ok_and(|s| s.success()), "chown {} to postgres", root.display());
        }
        let data = root.join("data");
        let initdb = server_command(&bin.join("initdb"), &root, run_as_postgres)
            .arg("-D")
            .arg(&data)
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("run initdb");
        assert!(initdb.status.success(), "initdb failed: {}", String::from_utf8_lossy(&initdb.stderr));
        let mut cluster = Cluster { bin, root, port: 0, run_as_postgres };
        cluster.spawn_reaper();
        // A free port can be taken by someone else between our check and the server's bind;
        // then try another.
        for attempt in 0.. {
            cluster.port = free_port();
            if cluster.pg_ctl_start() {
                break;
            }
            assert!(attempt < 5, "PostgreSQL did not start:\n{}", cluster.log());
        }
        Some(cluster)
    }

    /// Starts the server; `false` if it did not come up (for instance, its port was taken).
    fn pg_ctl_start(&self) -> bool {
        // Durability settings are off: these tests kill hush-server instances, never the database,
        // and a test cluster's data is thrown away.
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} -c max_connections=300 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB",
            self.port,
            self.root.display()
        );
        server_command(&self.bin.join("pg_ctl"), &self.root, self.run_as_postgres)
            .arg("-D")
            .arg(self.root.join("data"))
            .arg("-l")
            .arg(self.root.join("postgres.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// A process that waits for this test process to end, then stops the cluster and removes its
    /// folder: a static is never dropped, and a test that panics or is killed must not leave a
    /// server running. `setsid -f` forks it into a session of its own and returns at once, so it
    /// outlives this process (and the terminal's or CI's process group).
    fn spawn_reaper(&self) {
        let stop = format!(
            "{} -D {} stop -m immediate",
            self.bin.join("pg_ctl").display(),
            self.root.join("data").display()
        );
        let stop = if self.run_as_postgres { format!("runuser -u postgres -- {stop}") } else { stop };
        let script = format!(
            "tail --pid={} -f /dev/null; {stop} >/dev/null 2>&1; rm -rf {}",
            std::process::id(),
            self.root.display()
        );
        Command::new("setsid")
            .args(["-f", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("start the cluster's reaper (setsid, sh, tail)");
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("postgres.log")).unwrap_or_default()
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// One of PostgreSQL's client programs (`pg_dump`, `psql`, `createdb`).
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a new, empty database with a unique name, and returns its URL.
    pub fn database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!("hush_test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let out = Command::new(self.tool("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", &name])
            .output()
            .expect("run createdb");
        assert!(out.status.success(), "createdb {name}: {}", String::from_utf8_lossy(&out.stderr));
        self.url(&name)
    }

    /// Runs `sql` with `psql` on the database at `url` and returns its unaligned, tuples-only
    /// output (`|` between columns).
    pub fn psql(&self, url: &str, sql: &str) -> String {
        let out = self.psql_command(url, sql).args(["-A", "-t"]).output().expect("run psql");
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("UTF-8")
    }

    /// The tables hush-server keeps its data in, in the database at `url` (all of `public` but
    /// the migrations' bookkeeping).
    pub fn tables(&self, url: &str) -> Vec<String> {
        let sql = "SELECT table_name FROM information_schema.tables
                   WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
                     AND table_name <> '_sqlx_migrations' ORDER BY table_name";
        self.psql(url, sql).lines().map(str::to_owned).collect()
    }

    /// Every row of `table` in the database at `url`, in PostgreSQL's binary COPY format: blobs
    /// are their own bytes there (`pg_dump` writes them as hex).
    pub fn copy_out(&self, url: &str, table: &str) -> Vec<u8> {
        let sql = format!("COPY {table} TO STDOUT (FORMAT binary)");
        let out = self.psql_command(url, &sql).output().expect("run psql");
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// Adds `rows` (from [`Cluster::copy_out`] of a table of the same columns) to `table` in the
    /// database at `url`.
    pub fn copy_in(&self, url: &str, table: &str, rows: &[u8]) {
        use std::io::Write;
        let sql = format!("COPY {table} FROM STDIN (FORMAT binary)");
        let mut child = self
            .psql_command(url, &sql)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run psql");
        child.stdin.take().expect("stdin").write_all(rows).expect("write the rows");
        let out = child.wait_with_output().expect("wait for psql");
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `psql` running one statement on the database at `url`, stopping at the first error.
    fn psql_command(&self, url: &str, sql: &str) -> Command {
        let mut command = Command::new(self.tool("psql"));
        command.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]);
        command
    }

    /// `pg_dump` of the database at `url`: every row of every table, as SQL text.
    pub fn dump(&self, url: &str) -> Vec<u8> {
        let out =
            Command::new(self.tool("pg_dump")).args(["--no-owner", "-d", url]).output().expect("run pg_dump");
        assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }
}

/// `program` as the server's own user: `runuser -u postgres -- program` as root, since PostgreSQL
/// refuses to run as root, in `dir` (the user `postgres` may not be allowed into the test's own
/// working folder).
fn server_command(program: &Path, dir: &Path, as_postgres: bool) -> Command {
    let mut command = if as_postgres {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.current_dir(dir);
    command
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
