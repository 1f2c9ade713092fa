//! `hush-server`: the binary. It parses the command line, sets up logging, and wires the
//! library together; everything else lives in the `hush_server` library.
#![forbid(unsafe_code)]

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::builder::FalseyValueParser;
use clap::{Args, Parser, Subcommand};
use hush_server::config::MAX_CHALLENGE_LIFETIME;
use hush_server::rate_limit::Limiter;
use hush_server::serve::{load_tls_config, serve, shutdown_signal, spawn_purge_task};
use hush_server::store::{Location, PgOptions, SqliteOptions};
use hush_server::{
    AppState, Clock, Config, ConnectionLimits, Limits, PgLimiter, PgStore, SqliteStore, Store, SystemClock,
    app,
};
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

/// How often expired challenges and sessions are purged.
const PURGE_EVERY: Duration = Duration::from_secs(10 * 60);

/// hush sync server: stores only ciphertext.
#[derive(Debug, Parser)]
#[command(name = "hush-server", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log as JSON lines instead of text (logs go to stderr; filter with HUSH_SERVER_LOG).
    #[arg(long, global = true, env = "HUSH_SERVER_LOG_JSON", value_parser = FalseyValueParser::new())]
    log_json: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve(ServeArgs),
    /// Print one new single-use registration code.
    Invite(InviteArgs),
    /// Copy every account, item, session and invite from one store into another: from a SQLite
    /// data folder to PostgreSQL, to move to several instances (docs/server.md, "Moving to
    /// PostgreSQL"). Stop the source's server first. Devices keep syncing as if nothing happened:
    /// same accounts, seqs and sessions, no new login.
    #[command(
        after_help = "Example:\n  systemctl stop hush-server\n  HUSH_SERVER_COPY_TO=postgres://hush@db.internal/hush \\\n    hush-server copy --from /var/lib/hush\n  then start the servers with HUSH_SERVER_DATABASE_URL set to the same URL."
    )]
    Copy(CopyArgs),
}

/// Where the data is kept: a SQLite database in a data folder (the default: no other service
/// needed), or a PostgreSQL database that any number of instances share.
#[derive(Debug, Args)]
struct StoreArgs {
    /// Folder for the SQLite database (created 0700) [default: $XDG_DATA_HOME/hush-server].
    #[arg(long, env = "HUSH_SERVER_DATA_DIR", value_name = "DIR", conflicts_with = "database_url")]
    data_dir: Option<PathBuf>,
    /// Keep the data in PostgreSQL instead of a data folder: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE
    /// (libpq parameters such as ?sslmode=verify-full work). Several instances may share it.
    /// Prefer the environment variable, PGPASSWORD or ~/.pgpass for the password: an argument is
    /// visible to every local user in `ps`.
    #[arg(long, env = "HUSH_SERVER_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
    #[command(flatten)]
    pool: PoolArgs,
}

impl StoreArgs {
    fn location(&self) -> Result<Location> {
        if let Some(url) = &self.database_url {
            return Ok(Location::postgres(url)?);
        }
        if let Some(dir) = &self.data_dir {
            return Ok(Location::Sqlite(dir.clone()));
        }
        directories::ProjectDirs::from("", "", "hush-server")
            .map(|dirs| Location::Sqlite(dirs.data_dir().to_owned()))
            .context("no home folder to put the data in; pass --data-dir or --database-url")
    }
}

/// The database connection pool and how long requests wait for the database (docs/server.md,
/// "PostgreSQL"). Past a wait, the answer is 503 `unavailable` with `Retry-After`, never 500.
#[derive(Debug, Args)]
struct PoolArgs {
    /// PostgreSQL: most connections this instance opens. The database must allow the sum over
    /// all instances (its max_connections, 100 by default). SQLite always uses 8.
    #[arg(long, env = "HUSH_SERVER_DB_POOL_SIZE", default_value_t = PgOptions::default().max_connections,
          value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    db_pool_size: u32,
    /// PostgreSQL: seconds a request waits for a free connection of the pool.
    #[arg(long, env = "HUSH_SERVER_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 5, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    db_acquire_timeout_secs: u64,
    /// Seconds a write waits for a lock: another push to the same account (PostgreSQL), or
    /// SQLite's one write lock (and a free connection).
    #[arg(long, env = "HUSH_SERVER_DB_LOCK_TIMEOUT_SECS", default_value_t = 5, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    db_lock_timeout_secs: u64,
    /// PostgreSQL: longest one statement may run before it is cancelled.
    #[arg(long, env = "HUSH_SERVER_DB_STATEMENT_TIMEOUT_SECS", default_value_t = 20, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    db_statement_timeout_secs: u64,
}

impl PoolArgs {
    fn pg_options(&self) -> PgOptions {
        PgOptions {
            max_connections: self.db_pool_size,
            acquire_timeout: Duration::from_secs(self.db_acquire_timeout_secs),
            lock_timeout: Duration::from_secs(self.db_lock_timeout_secs),
            statement_timeout: Duration::from_secs(self.db_statement_timeout_secs),
        }
    }

    fn sqlite_options(&self) -> SqliteOptions {
        SqliteOptions { lock_timeout: Duration::from_secs(self.db_lock_timeout_secs) }
    }
}

/// An open store of either kind.
enum OpenStore {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PgStore>),
}

impl OpenStore {
    async fn open(location: &Location, pool: &PoolArgs) -> Result<Self> {
        Ok(match location {
            Location::Sqlite(dir) => {
                Self::Sqlite(Arc::new(SqliteStore::open_with(dir, pool.sqlite_options()).await?))
            }
            Location::Postgres(url) => {
                Self::Postgres(Arc::new(PgStore::connect(url, pool.pg_options()).await?))
            }
        })
    }

    fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(store) => Arc::clone(store) as Arc<dyn Store>,
            Self::Postgres(store) => Arc::clone(store) as Arc<dyn Store>,
        }
    }

    /// Where the rate-limit budgets live: in the database every instance shares for PostgreSQL
    /// (docs/server.md, "Rate limiting"); in this process for SQLite, which one process serves.
    fn limiter(&self, config: &Config) -> Option<Arc<dyn Limiter>> {
        match self {
            Self::Sqlite(_) => None,
            Self::Postgres(store) => Some(Arc::new(PgLimiter::new(store, config.rate_limits))),
        }
    }

    async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

/// Warns when a database URL with a password was given as an argument, where every local user
/// can read it (`ps`, /proc/PID/cmdline).
fn warn_if_password_in_argv() {
    let leaked = std::env::args().skip(1).any(|arg| {
        let value =
            arg.split_once('=').filter(|(flag, _)| flag.starts_with("--")).map_or(arg.as_str(), |(_, v)| v);
        Location::parse(value).is_ok_and(|location| location.has_password())
    });
    if leaked {
        tracing::warn!(
            "a database password was given on the command line, where other local users can read it; \
             use HUSH_SERVER_DATABASE_URL (or HUSH_SERVER_COPY_FROM/_TO), PGPASSWORD or ~/.pgpass instead"
        );
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on; with port 0 the system picks one. The bound address is printed on
    /// stdout as the first line: `listening on ADDR`.
    #[arg(long, env = "HUSH_SERVER_LISTEN", default_value = "127.0.0.1:8787", value_name = "ADDR")]
    listen: SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
    /// Allow registration without an invite code.
    #[arg(long, env = "HUSH_SERVER_OPEN_REGISTRATION", value_parser = FalseyValueParser::new())]
    open_registration: bool,
    /// PEM certificate chain for TLS (leaf first); needs --tls-key.
    #[arg(long, env = "HUSH_SERVER_TLS_CERT", value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for TLS; needs --tls-cert.
    #[arg(long, env = "HUSH_SERVER_TLS_KEY", value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Rate-limit by the last X-Forwarded-For entry (only behind a proxy that sets it).
    #[arg(long, env = "HUSH_SERVER_TRUST_FORWARDED_FOR", value_parser = FalseyValueParser::new())]
    trust_forwarded_for: bool,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    connections: ConnectionArgs,
}

/// How connections are admitted and how long they may stall (docs/server.md, "Connections").
#[derive(Debug, Args)]
struct ConnectionArgs {
    /// Most connections served at once. Each holds a file descriptor, so keep this below the
    /// open-file limit (`ulimit -n`, systemd's LimitNOFILE) minus about 64 for the database and
    /// the listener. At the limit, a new connection closes the one that has waited longest for a
    /// request (idle, still sending its request head, or in its TLS handshake); when every
    /// connection is busy with a request, new ones wait in the kernel's listen backlog.
    #[arg(long, env = "HUSH_SERVER_MAX_CONNECTIONS", default_value_t = 512, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds a client may take to send a request's head (request line and headers), counted
    /// from its first byte; a new connection must finish its TLS handshake and send its first head
    /// within this time of being accepted. A late head is answered 408 and the connection closed.
    #[arg(long, env = "HUSH_SERVER_HEADER_TIMEOUT_SECS", default_value_t = 10, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a connection may stay open with no request in flight and no traffic (a keep-alive
    /// connection between requests), and a response may wait for the client to read it, before
    /// the connection is closed.
    #[arg(long, env = "HUSH_SERVER_IDLE_TIMEOUT_SECS", default_value_t = 60, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_secs: u64,
}

impl ConnectionArgs {
    fn to_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections as usize,
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
        }
    }
}

/// File descriptors the server needs besides its connections: stdio, the listener, the SQLite
/// pool (8 connections, each with the database and its WAL and shared-memory files), the runtime.
const RESERVED_DESCRIPTORS: u64 = 64;

/// Warns when `max_connections` cannot be reached within the open-file limit: past it, accepting
/// fails (and then the database cannot open files either) instead of the cap doing its job.
fn warn_if_too_few_descriptors(max_connections: usize) {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    if let Some(limit) = limit
        && (max_connections as u64).saturating_add(RESERVED_DESCRIPTORS) > limit
    {
        tracing::warn!(
            max_connections,
            open_file_limit = limit,
            "--max-connections is too high for the open-file limit; lower it or raise the limit"
        );
    }
}

/// Limits (`docs/spec/sync-api-v2.md`, "Limits"); defaults as in the spec.
#[derive(Debug, Args)]
struct LimitArgs {
    /// Largest request body in bytes.
    #[arg(long, env = "HUSH_SERVER_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_body_bytes: u32,
    /// Largest item blob in bytes.
    #[arg(long, env = "HUSH_SERVER_MAX_BLOB_BYTES", default_value_t = 256 * 1024,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_blob_bytes: u32,
    /// Most items per account.
    #[arg(long, env = "HUSH_SERVER_MAX_ITEMS", default_value_t = 100_000)]
    max_items: u64,
    /// Most item-blob bytes per account.
    #[arg(long, env = "HUSH_SERVER_MAX_ACCOUNT_BYTES", default_value_t = 256 * 1024 * 1024)]
    max_account_bytes: u64,
    /// Most bytes of attached files (sealed chunks) per account.
    #[arg(long, env = "HUSH_SERVER_MAX_FILE_BYTES", default_value_t = 1024 * 1024 * 1024)]
    max_file_bytes: u64,
    /// Seconds a session may stay unused before it expires.
    #[arg(long, env = "HUSH_SERVER_SESSION_IDLE_SECS", default_value_t = 30 * 24 * 60 * 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    session_idle_secs: u64,
    /// Seconds a login challenge stays valid (at most 300).
    #[arg(long, env = "HUSH_SERVER_CHALLENGE_LIFETIME_SECS", default_value_t = MAX_CHALLENGE_LIFETIME.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=300))]
    challenge_lifetime_secs: u64,
    /// Seconds before a request is answered 408.
    #[arg(long, env = "HUSH_SERVER_REQUEST_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout_secs: u64,
}

impl LimitArgs {
    fn to_limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes as usize,
            max_blob_bytes: self.max_blob_bytes as usize,
            max_items_per_account: self.max_items,
            max_account_bytes: self.max_account_bytes,
            max_file_bytes_per_account: self.max_file_bytes,
            session_idle: Duration::from_secs(self.session_idle_secs),
            challenge_lifetime: Duration::from_secs(self.challenge_lifetime_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
        }
    }
}

#[derive(Debug, Args)]
struct InviteArgs {
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Args)]
struct CopyArgs {
    /// The store to copy: a SQLite data folder, or a postgres:// URL. Stop its server first:
    /// what it accepts during the copy is not copied (and the copy then fails).
    #[arg(long, env = "HUSH_SERVER_COPY_FROM", value_name = "SOURCE", hide_env_values = true)]
    from: String,
    /// Where to copy it: a postgres:// URL, or a data folder. It must hold no accounts and no
    /// invites, unless --into-non-empty.
    #[arg(long, env = "HUSH_SERVER_COPY_TO", value_name = "DEST", hide_env_values = true)]
    to: String,
    /// Add to a destination that already holds accounts or invites (to merge two servers). An
    /// account present in both is still refused, and then nothing is copied.
    #[arg(long)]
    into_non_empty: bool,
    /// Print what was copied as JSON: {"accounts", "items", "sessions", "invites"}.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => run_serve(args).await,
            Command::Invite(args) => run_invite(args).await,
            Command::Copy(args) => run_copy(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, so stdout carries only what scripts parse (the listening line, a code).
fn init_logging(json: bool) {
    let filter =
        EnvFilter::try_from_env("HUSH_SERVER_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run_serve(args: ServeArgs) -> Result<()> {
    warn_if_password_in_argv();
    let location = args.store.location()?;
    let config = Config {
        open_registration: args.open_registration,
        trust_forwarded_for: args.trust_forwarded_for,
        limits: args.limits.to_limits(),
        ..Config::default()
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(load_tls_config(cert, key)?),
        _ => None,
    };
    let connection_limits = args.connections.to_limits();
    warn_if_too_few_descriptors(connection_limits.max_connections);
    let opened = OpenStore::open(&location, &args.store.pool).await?;
    let store = opened.store();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr().context("cannot read the bound address")?;
    // End-to-end tests parse this first line to find a port-0 server. A closed stdout must not
    // stop the server, so write errors are ignored.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on {address}").and_then(|()| stdout.flush());
    drop(stdout);
    tracing::info!(
        %address,
        tls = tls.is_some(),
        open_registration = config.open_registration,
        store = %location,
        "hush-server listening"
    );

    let grace = config.limits.request_timeout + Duration::from_secs(5);
    let session_idle = config.limits.session_idle;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let purge = spawn_purge_task(Arc::clone(&store), clock, session_idle, PURGE_EVERY);
    let limiter = opened.limiter(&config);
    let mut state = AppState::new(store, config);
    if let Some(limiter) = limiter {
        state = state.with_limiter(limiter);
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
    });
    let stopped = |mut stop: watch::Receiver<bool>| async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    let server = serve(listener, app(state), tls, connection_limits, stopped(stop_rx.clone()));
    // Connections between requests close at once; requests in flight are bounded by the request
    // timeout, and a client slow to read its answer must not keep the server alive past that.
    let deadline = async {
        stopped(stop_rx).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.context("the server failed")?,
        () = deadline => tracing::warn!("connections still open after the grace period; exiting"),
    }
    purge.abort();
    // Requests have drained (or the grace period is over): give the database its connections
    // back cleanly rather than dropping them, but never wait long for a request that lingers.
    if tokio::time::timeout(Duration::from_secs(2), opened.close()).await.is_err() {
        tracing::warn!("database connections still in use at exit");
    }
    tracing::info!("stopped");
    Ok(())
}

async fn run_invite(args: InviteArgs) -> Result<()> {
    warn_if_password_in_argv();
    let location = args.store.location()?;
    let opened = OpenStore::open(&location, &args.store.pool).await?;
    let (code, hash) = hush_server::new_invite_code().context("the OS CSPRNG failed")?;
    opened.store().create_invite(hash, SystemClock.now()).await.context("cannot store the invite")?;
    opened.close().await;
    println!("{}", code.expose());
    Ok(())
}

async fn run_copy(args: CopyArgs) -> Result<()> {
    warn_if_password_in_argv();
    let from = Location::parse(&args.from).context("--from")?;
    let to = Location::parse(&args.to).context("--to")?;
    let report = hush_server::copy::copy(&from, &to, args.into_non_empty, args.pool.pg_options())
        .await
        .with_context(|| format!("cannot copy {from} to {to}"))?;
    if args.json {
        println!("{}", serde_json::to_string(&report).context("cannot write JSON")?);
    } else {
        println!(
            "copied {} accounts, {} items, {} file chunks, {} sessions and {} invites from {from} to {to}",
            report.accounts, report.items, report.chunks, report.sessions, report.invites
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_spec() {
        let cli = Cli::try_parse_from(["hush-server", "serve"]).expect("parses");
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert_eq!(args.listen, "127.0.0.1:8787".parse().expect("valid"));
        assert!(!args.open_registration);
        let limits = args.limits.to_limits();
        let defaults = Limits::default();
        assert_eq!(limits.max_body_bytes, defaults.max_body_bytes);
        assert_eq!(limits.max_blob_bytes, defaults.max_blob_bytes);
        assert_eq!(limits.max_items_per_account, defaults.max_items_per_account);
        assert_eq!(limits.max_account_bytes, defaults.max_account_bytes);
        assert_eq!(limits.session_idle, defaults.session_idle);
        assert_eq!(limits.challenge_lifetime, defaults.challenge_lifetime);
        assert_eq!(limits.request_timeout, defaults.request_timeout);
        assert_eq!(args.connections.to_limits(), ConnectionLimits::default());
    }

    #[test]
    fn connection_limits_come_from_flags() {
        let cli = Cli::try_parse_from([
            "hush-server",
            "serve",
            "--max-connections",
            "3",
            "--header-timeout-secs",
            "2",
            "--idle-timeout-secs",
            "4",
        ])
        .expect("parses");
        let Command::Serve(args) = cli.command else { panic!("serve") };
        let limits = args.connections.to_limits();
        assert_eq!(limits.max_connections, 3);
        assert_eq!(limits.header_timeout, Duration::from_secs(2));
        assert_eq!(limits.idle_timeout, Duration::from_secs(4));
        assert!(Cli::try_parse_from(["hush-server", "serve", "--max-connections", "0"]).is_err());
        assert!(Cli::try_parse_from(["hush-server", "serve", "--header-timeout-secs", "0"]).is_err());
    }

    #[test]
    fn boolean_flags_take_no_value() {
        let cli = Cli::try_parse_from(["hush-server", "serve", "--open-registration", "--log-json"])
            .expect("parses");
        assert!(cli.log_json);
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert!(args.open_registration);
        assert!(!args.trust_forwarded_for);
    }

    #[test]
    fn the_store_is_a_data_folder_or_a_database_url_never_both() {
        let parse = |args: &[&str]| {
            let cli = Cli::try_parse_from([&["hush-server", "serve"], args].concat())?;
            let Command::Serve(args) = cli.command else { panic!("serve") };
            Ok::<_, clap::Error>(args.store)
        };
        let store = parse(&["--data-dir", "/srv/hush"]).expect("parses");
        assert_eq!(store.location().expect("valid"), Location::Sqlite("/srv/hush".into()));
        let store = parse(&["--database-url", "postgres://hush@db/hush"]).expect("parses");
        assert!(matches!(store.location().expect("valid"), Location::Postgres(_)));
        assert_eq!(store.pool.pg_options(), PgOptions::default());
        assert!(parse(&["--data-dir", "/srv/hush", "--database-url", "postgres://db/hush"]).is_err());
        let store = parse(&["--database-url", "mysql://db/hush"]).expect("parses");
        assert!(store.location().is_err(), "only PostgreSQL URLs");
        let store = parse(&[
            "--db-pool-size",
            "3",
            "--db-lock-timeout-secs",
            "1",
            "--db-acquire-timeout-secs",
            "2",
            "--db-statement-timeout-secs",
            "4",
        ])
        .expect("parses");
        let options = store.pool.pg_options();
        assert_eq!(options.max_connections, 3);
        assert_eq!(options.lock_timeout, Duration::from_secs(1));
        assert_eq!(options.acquire_timeout, Duration::from_secs(2));
        assert_eq!(options.statement_timeout, Duration::from_secs(4));
        assert_eq!(store.pool.sqlite_options().lock_timeout, Duration::from_secs(1));
        assert!(parse(&["--db-pool-size", "0"]).is_err());
    }

    #[test]
    fn copy_takes_a_source_and_a_destination() {
        let cli =
            Cli::try_parse_from(["hush-server", "copy", "--from", "/srv/hush", "--to", "postgres://db/hush"])
                .expect("parses");
        let Command::Copy(args) = cli.command else { panic!("copy") };
        assert!(!args.into_non_empty && !args.json);
        assert!(Cli::try_parse_from(["hush-server", "copy", "--from", "/srv/hush"]).is_err());
    }

    #[test]
    fn tls_needs_both_files_and_challenges_cap_at_300() {
        assert!(Cli::try_parse_from(["hush-server", "serve", "--tls-cert", "c.pem"]).is_err());
        assert!(Cli::try_parse_from(["hush-server", "serve", "--challenge-lifetime-secs", "301"]).is_err());
    }
}
