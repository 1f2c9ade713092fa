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
use hush_server::serve::{load_tls_config, serve, shutdown_signal, spawn_purge_task};
use hush_server::{AppState, Clock, Config, ConnectionLimits, Limits, SqliteStore, Store, SystemClock, app};
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
}

#[derive(Debug, Args)]
struct DataDirArg {
    /// Folder for the database (created 0700) [default: $XDG_DATA_HOME/hush-server].
    #[arg(long, env = "HUSH_SERVER_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl DataDirArg {
    fn resolve(&self) -> Result<PathBuf> {
        if let Some(dir) = &self.data_dir {
            return Ok(dir.clone());
        }
        directories::ProjectDirs::from("", "", "hush-server")
            .map(|dirs| dirs.data_dir().to_owned())
            .context("no home folder to put the data in; pass --data-dir")
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on; with port 0 the system picks one. The bound address is printed on
    /// stdout as the first line: `listening on ADDR`.
    #[arg(long, env = "HUSH_SERVER_LISTEN", default_value = "127.0.0.1:8787", value_name = "ADDR")]
    listen: SocketAddr,
    #[command(flatten)]
    data_dir: DataDirArg,
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
    data_dir: DataDirArg,
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
    let data_dir = args.data_dir.resolve()?;
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
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&data_dir).await?);
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
        data_dir = %data_dir.display(),
        "hush-server listening"
    );

    let grace = config.limits.request_timeout + Duration::from_secs(5);
    let session_idle = config.limits.session_idle;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let purge = spawn_purge_task(Arc::clone(&store), clock, session_idle, PURGE_EVERY);
    let state = AppState::new(store, config);

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
    tracing::info!("stopped");
    Ok(())
}

async fn run_invite(args: InviteArgs) -> Result<()> {
    let data_dir = args.data_dir.resolve()?;
    let store = SqliteStore::open(&data_dir).await?;
    let (code, hash) = hush_server::new_invite_code().context("the OS CSPRNG failed")?;
    store.create_invite(hash, SystemClock.now()).await.context("cannot store the invite")?;
    println!("{}", code.expose());
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
    fn tls_needs_both_files_and_challenges_cap_at_300() {
        assert!(Cli::try_parse_from(["hush-server", "serve", "--tls-cert", "c.pem"]).is_err());
        assert!(Cli::try_parse_from(["hush-server", "serve", "--challenge-lifetime-secs", "301"]).is_err());
    }
}
