//! The real `hush-server` binary on PostgreSQL (docs/server.md, "PostgreSQL"): `/healthz` checks
//! the database (503 with `Retry-After` while it refuses connections, 200 once it is back), a
//! password never reaches the log or an error message (and one given in argv draws a warning),
//! SIGTERM ends the process cleanly, and a wrong or unreachable database is a clear error.
//! The database is a throwaway cluster (`hush_e2e::postgres`); without PostgreSQL these tests
//! skip with a notice, and under CI they fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use hush_e2e::postgres as pg_cluster;

const BIN: &str = env!("CARGO_BIN_EXE_hush-server");

struct Server {
    child: Child,
    port: u16,
    logs: Receiver<String>,
}

impl Server {
    /// `hush-server serve` with `args` and `env`, logging at info level into [`Server::logs`].
    fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .env("HUSH_SERVER_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr");
        let (lines_tx, logs) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("server: {line}");
                let _ = lines_tx.send(line);
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the listening line");
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Server { child, port, logs }
    }

    /// Status line and headers of `GET path`.
    fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the answer");
        answer
    }

    /// SIGTERM; the exit status and everything the server logged.
    fn terminate(&mut self) -> (std::process::ExitStatus, String) {
        let status =
            Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let status = self.child.wait().expect("exits");
        // The reader thread ends at the end of stderr, which the exit closed.
        (status, self.logs.iter().collect::<Vec<_>>().join("\n"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `/healthz` asks the database: 503 `unavailable` with `Retry-After` while it refuses
/// connections (a role limited to none, its connections terminated: what a database restart or a
/// full `max_connections` looks like), and 200 again once it accepts them, with no restart of
/// the instance. That is what a load balancer's health check probes.
#[test]
fn healthz_follows_the_database_and_sigterm_exits_cleanly() {
    let Some(cluster) = pg_cluster::cluster_or_skip("hush-server serve on PostgreSQL") else { return };
    let admin = cluster.url("postgres");
    let url = cluster.database();
    let name = url.rsplit('/').next().expect("a database name");
    // Superusers are exempt from connection limits, so the server connects as a plain role.
    cluster
        .psql(&admin, &format!("CREATE ROLE hush_health LOGIN; ALTER DATABASE {name} OWNER TO hush_health"));
    let limited = format!("postgres://hush_health@127.0.0.1:{}/{name}", cluster.port());
    let mut server =
        Server::start(&["--db-acquire-timeout-secs", "1"], &[("HUSH_SERVER_DATABASE_URL", &limited)]);
    assert!(server.get("/healthz").starts_with("HTTP/1.1 200"), "healthy at start");

    cluster.psql(&admin, "ALTER ROLE hush_health CONNECTION LIMIT 0");
    cluster
        .psql(&admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'hush_health'");
    let down = server.get("/healthz");
    assert!(down.starts_with("HTTP/1.1 503"), "{down}");
    assert!(down.to_ascii_lowercase().contains("\r\nretry-after: "), "{down}");
    assert!(down.contains(r#""error":"unavailable""#), "{down}");

    cluster.psql(&admin, "ALTER ROLE hush_health CONNECTION LIMIT -1");
    assert!(server.get("/healthz").starts_with("HTTP/1.1 200"), "healthy again");
    let (status, log) = server.terminate();
    assert!(status.success(), "SIGTERM is a clean exit: {log}");
    assert!(log.contains("stopped"), "{log}");
}

/// A password in `--database-url` is visible to every local user in `ps`: the server warns, and
/// never writes the password itself anywhere (the log names host, port and database).
#[test]
fn a_password_in_argv_draws_a_warning_and_never_reaches_the_log() {
    let Some(cluster) = pg_cluster::cluster_or_skip("hush-server serve on PostgreSQL") else { return };
    let database = cluster.database();
    // The test cluster trusts loopback, so any password gets in.
    let with_password = database.replacen("postgres@", "postgres:pw-9d2k7q@", 1);
    let mut server = Server::start(&["--database-url", &with_password], &[]);
    assert!(server.get("/healthz").starts_with("HTTP/1.1 200"));
    let (status, log) = server.terminate();
    assert!(status.success());
    assert!(log.contains("a database password was given on the command line"), "{log}");
    assert!(!log.contains("pw-9d2k7q"), "{log}");
    let port = cluster.port();
    assert!(log.contains(&format!("postgres://127.0.0.1:{port}/")), "the log names the database: {log}");
}

/// An unsupported URL and an unreachable database end `serve` and `invite` at once, with a message
/// that says what to check and no password in it.
#[test]
fn a_wrong_or_unreachable_database_is_a_clear_error() {
    let unsupported =
        Command::new(BIN).args(["invite", "--database-url", "mysql://db/hush"]).output().expect("runs");
    assert!(!unsupported.status.success());
    let message = String::from_utf8_lossy(&unsupported.stderr);
    assert!(message.contains("unsupported database URL scheme \"mysql\""), "{message}");

    // Port 1 on loopback: nothing listens there.
    let unreachable = Command::new(BIN)
        .args(["invite", "--db-acquire-timeout-secs", "1"])
        .env("HUSH_SERVER_DATABASE_URL", "postgres://hush:pw-3j8v1x@127.0.0.1:1/hush")
        .output()
        .expect("runs");
    assert!(!unreachable.status.success());
    let message = String::from_utf8_lossy(&unreachable.stderr);
    assert!(message.contains("cannot connect to PostgreSQL at 127.0.0.1:1/hush"), "{message}");
    assert!(!message.contains("pw-3j8v1x"), "{message}");
}
