//! The two servers every contract test runs against (issue #12, "One contract for both
//! servers"): the in-memory reference server of this crate, and the real `hush_server::app` on a
//! loopback port, reached through the real HTTP transport. A test written once against
//! [`Server`] and instantiated for both by [`against_both_servers!`] cannot pass on one and fail
//! on the other, so the two servers cannot drift apart, and neither can the client's HTTP
//! transport and the server's routes.
//!
//! hush-sync only *dev*-depends on hush-server (docs/architecture.md): the engine itself never
//! links the server.

// Each test file that includes this module uses a different part of it.
#![allow(dead_code, unused_macros)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hush_proto as proto;
use hush_server::{AppState, Config, ConnectionLimits, RateLimit, RateLimits, SqliteStore, Store};
use hush_sync::http::{HttpTransport, check_server_url};
use hush_sync::memory::MemoryServer;
use hush_sync::{PushOutcome, Transport, TransportError};

/// A sync server a contract test can run against: the API, and a look at what it stores (never
/// a change to it: a test that plays a malicious server by rewriting its state stays with the
/// memory server).
pub(crate) trait Server: Transport {
    /// Every item blob the server holds, for every account.
    fn all_blobs(&self) -> Vec<Vec<u8>>;
    /// Every sealed device name the server holds.
    fn sealed_device_names(&self) -> Vec<Vec<u8>>;
}

impl Server for MemoryServer {
    fn all_blobs(&self) -> Vec<Vec<u8>> {
        MemoryServer::all_blobs(self)
    }

    fn sealed_device_names(&self) -> Vec<Vec<u8>> {
        MemoryServer::sealed_device_names(self)
    }
}

/// `hush_server::app` served on 127.0.0.1 by `hush_server::serve::serve` (the binary's own
/// accept loop) over a SQLite store in a temporary folder, and an [`HttpTransport`] to it.
pub(crate) struct RealServer {
    transport: HttpTransport,
    store: Arc<SqliteStore>,
    /// The accounts registered through this server, whose stored state the inspection methods
    /// read through the `Store` trait.
    accounts: Mutex<Vec<proto::AccountId>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
}

/// Budgets no test reaches: every test logs in from 127.0.0.1, and the property tests log in
/// often. The budgets themselves are tested in server/tests/api/sessions.rs.
const GENEROUS: RateLimit = RateLimit { burst: 100_000, period: Duration::from_millis(1) };

impl RealServer {
    /// Starts a server with open registration and the default limits but for rate limits.
    pub(crate) fn start() -> RealServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        // SQLite syncs every push to disk (docs/server.md, "Files and durability"); on a tmpfs
        // that costs nothing, and the property tests push thousands of times.
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }
            .expect("a temporary folder");
        let store = Arc::new(runtime.block_on(SqliteStore::open(dir.path())).expect("the store opens"));
        let config = Config {
            open_registration: true,
            rate_limits: RateLimits { login_failures: GENEROUS, challenge_requests: GENEROUS },
            ..Config::default()
        };
        let app = hush_server::app(AppState::new(Arc::clone(&store) as Arc<dyn Store>, config));
        let listener =
            runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a loopback port");
        let address: SocketAddr = listener.local_addr().expect("its address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(hush_server::serve::serve(listener, app, None, ConnectionLimits::default(), async {
            let _ = stopped.await;
        }));
        let url = check_server_url(&format!("http://{address}"), false).expect("a loopback URL");
        let transport = HttpTransport::new(&url, None, Duration::from_secs(60)).expect("an HTTP client");
        RealServer {
            transport,
            store,
            accounts: Mutex::new(Vec::new()),
            stop: Some(stop),
            runtime: Some(runtime),
            _dir: dir,
        }
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.as_ref().expect("running").block_on(future)
    }

    fn accounts(&self) -> Vec<proto::AccountId> {
        self.accounts.lock().expect("accounts").clone()
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

impl Server for RealServer {
    fn all_blobs(&self) -> Vec<Vec<u8>> {
        let mut blobs = Vec::new();
        for account in self.accounts() {
            // A deleted account holds nothing.
            if let Ok(snapshot) = self.block_on(self.store.pull(account, 0)) {
                blobs.extend(snapshot.items.into_iter().map(|item| item.blob));
            }
        }
        blobs
    }

    fn sealed_device_names(&self) -> Vec<Vec<u8>> {
        let mut names = Vec::new();
        for account in self.accounts() {
            let sessions = self.block_on(self.store.list_sessions(account)).unwrap_or_default();
            names.extend(sessions.into_iter().filter_map(|s| s.device_name).map(|name| name.to_vec()));
        }
        names
    }
}

impl Transport for RealServer {
    fn register(&self, req: &proto::RegisterRequest) -> Result<(), TransportError> {
        self.transport.register(req)?;
        self.accounts.lock().expect("accounts").push(req.account_id);
        Ok(())
    }

    fn prelogin(&self, account: &proto::AccountId) -> Result<proto::PreloginResponse, TransportError> {
        self.transport.prelogin(account)
    }

    fn challenge(&self, account: &proto::AccountId) -> Result<proto::ChallengeResponse, TransportError> {
        self.transport.challenge(account)
    }

    fn login(&self, req: &proto::LoginRequest) -> Result<proto::LoginResponse, TransportError> {
        self.transport.login(req)
    }

    fn pull(&self, token: &proto::SessionToken, since: u64) -> Result<proto::PullResponse, TransportError> {
        self.transport.pull(token, since)
    }

    fn push(
        &self,
        token: &proto::SessionToken,
        req: &proto::PushRequest,
    ) -> Result<PushOutcome, TransportError> {
        self.transport.push(token, req)
    }

    fn rekey(&self, token: &proto::SessionToken, req: &proto::RekeyRequest) -> Result<u64, TransportError> {
        self.transport.rekey(token, req)
    }

    fn sessions(&self, token: &proto::SessionToken) -> Result<proto::SessionList, TransportError> {
        self.transport.sessions(token)
    }

    fn logout(&self, token: &proto::SessionToken) -> Result<(), TransportError> {
        self.transport.logout(token)
    }

    fn revoke(&self, token: &proto::SessionToken, session: &proto::SessionId) -> Result<(), TransportError> {
        self.transport.revoke(token, session)
    }

    fn delete_account(
        &self,
        token: &proto::SessionToken,
        req: &proto::DeleteAccountRequest,
    ) -> Result<(), TransportError> {
        self.transport.delete_account(token, req)
    }

    fn put_chunk(
        &self,
        token: &proto::SessionToken,
        file: &proto::FileId,
        index: u32,
        chunk: &[u8],
    ) -> Result<(), TransportError> {
        self.transport.put_chunk(token, file, index, chunk)
    }

    fn get_chunk(
        &self,
        token: &proto::SessionToken,
        file: &proto::FileId,
        index: u32,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        self.transport.get_chunk(token, file, index)
    }

    fn list_chunks(
        &self,
        token: &proto::SessionToken,
        file: &proto::FileId,
    ) -> Result<proto::ChunkList, TransportError> {
        self.transport.list_chunks(token, file)
    }

    fn delete_file(&self, token: &proto::SessionToken, file: &proto::FileId) -> Result<(), TransportError> {
        self.transport.delete_file(token, file)
    }
}

/// Instantiates each named test function (`fn name(server: &dyn Server)`) twice: as
/// `memory_server::name` and as `real_server::name`.
macro_rules! against_both_servers {
    ($($name:ident),* $(,)?) => {
        /// The contract tests against the in-memory reference server.
        mod memory_server {
            $(
                #[test]
                fn $name() {
                    super::$name(&hush_sync::memory::MemoryServer::new());
                }
            )*
        }

        /// The same tests against the real server, over HTTP on a loopback port.
        mod real_server {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::support::RealServer::start());
                }
            )*
        }
    };
}
