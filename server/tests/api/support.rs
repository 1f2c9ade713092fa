//! An in-process server over a temporary SQLite file (`tests/api/main.rs`) or a PostgreSQL
//! database of a throwaway cluster (`tests/api_postgres.rs`, the same tests), and a client for it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use ed25519_dalek::{Signer, SigningKey};
use hush_proto::{
    AccountId, B64, B64Array, ChallengeRequest, ChallengeResponse, ErrorBody, ErrorCode, ItemId, KdfParams,
    LoginRequest, LoginResponse, PullResponse, PushRequest, PushedItem, RegisterRequest, RegistrationCode,
    login_message, paths,
};
use hush_server::store::{DB_FILE_NAME, PgOptions, SqliteOptions};
use hush_server::{AppState, Config, ManualClock, PgLimiter, PgStore, SqliteStore, Store, app};
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, PgConnection, SqliteConnection};
use tempfile::TempDir;

/// The address requests come from unless a test says otherwise.
pub(crate) const CLIENT: &str = "192.0.2.10:40000";

/// A server with open registration and default limits.
pub(crate) fn open_config() -> Config {
    Config { open_registration: true, ..Config::default() }
}

/// The store the tests of a binary run against (`crate::BACKEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code, reason = "each test binary names one variant")]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) struct TestServer {
    app: Router,
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
    place: Place,
}

/// Where the server's data is.
enum Place {
    Sqlite(TempDir),
    Postgres(String),
}

pub(crate) struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub(crate) fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("{err}: {} {}", self.status, String::from_utf8_lossy(&self.body)))
    }

    /// Asserts the spec's error format with this status and code.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: StatusCode, code: ErrorCode) -> ErrorBody {
        assert_eq!(self.status, status, "body: {}", String::from_utf8_lossy(&self.body));
        assert_eq!(
            self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
            Some("application/json"),
        );
        let body: ErrorBody = self.json();
        assert_eq!(body.error, code, "message: {}", body.message);
        assert!(!body.message.is_empty());
        body
    }

    #[track_caller]
    pub(crate) fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "body: {}", String::from_utf8_lossy(&self.body));
        self
    }
}

impl TestServer {
    pub(crate) async fn new() -> Self {
        Self::with_config(open_config()).await
    }

    pub(crate) async fn with_config(config: Config) -> Self {
        Self::with_options(config, SqliteOptions::default()).await
    }

    /// A server with `config`; `options.lock_timeout` is how long a write waits for a lock (and
    /// a request for a connection) on either backend.
    pub(crate) async fn with_options(config: Config, options: SqliteOptions) -> Self {
        let clock = Arc::new(ManualClock::new(Timestamp::from_second(1_800_000_000).expect("in range")));
        let (store, limiter, place): (Arc<dyn Store>, _, _) = match postgres_url() {
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let store = Arc::new(SqliteStore::open_with(dir.path(), options).await.expect("store opens"));
                (store, None, Place::Sqlite(dir))
            }
            Some(url) => {
                let pg = PgOptions {
                    lock_timeout: options.lock_timeout,
                    acquire_timeout: options.lock_timeout,
                    ..PgOptions::default()
                };
                let store = PgStore::connect(&url, pg).await.expect("store opens");
                // As `hush-server serve --database-url` does: budgets in the database.
                let limiter = Arc::new(PgLimiter::new(&store, config.rate_limits));
                (
                    Arc::new(store),
                    Some(limiter as Arc<dyn hush_server::rate_limit::Limiter>),
                    Place::Postgres(url),
                )
            }
        };
        let mut state = AppState::new(Arc::clone(&store), config)
            .with_clock(Arc::clone(&clock) as Arc<dyn hush_server::Clock>);
        if let Some(limiter) = limiter {
            state = state.with_limiter(limiter);
        }
        Self { app: app(state), clock, store, place }
    }

    /// Holds every write lock a push, a login or a registration needs, from a connection of the
    /// test's own, as a long push of another account (or `hush-server invite`) would hold
    /// SQLite's one write lock. Reads go on. The locks are held until [`WriteLock::release`].
    ///
    /// SQLite: `BEGIN IMMEDIATE` and a row written inside the transaction. PostgreSQL, where
    /// writers of different accounts never wait for each other: every table locked in EXCLUSIVE
    /// mode, which blocks every write and `SELECT … FOR UPDATE`, and no plain read.
    pub(crate) async fn hold_write_lock(&self) -> WriteLock {
        match &self.place {
            Place::Sqlite(dir) => {
                let options = SqliteConnectOptions::new().filename(dir.path().join(DB_FILE_NAME));
                let mut connection =
                    SqliteConnection::connect_with(&options).await.expect("second connection");
                sqlx::query("BEGIN IMMEDIATE").execute(&mut connection).await.expect("write lock taken");
                sqlx::query("INSERT INTO invites (code_hash, created_at) VALUES (zeroblob(32), 0)")
                    .execute(&mut connection)
                    .await
                    .expect("written inside the transaction");
                WriteLock::Sqlite(connection)
            }
            Place::Postgres(url) => {
                let mut connection = PgConnection::connect(url).await.expect("second connection");
                sqlx::query("BEGIN").execute(&mut connection).await.expect("begin");
                sqlx::query(
                    "LOCK TABLE accounts, items, sessions, challenges, invites, rate_limits IN EXCLUSIVE MODE",
                )
                .execute(&mut connection)
                .await
                .expect("tables locked");
                WriteLock::Postgres(connection)
            }
        }
    }

    pub(crate) fn clock_now(&self) -> Timestamp {
        hush_server::Clock::now(self.clock.as_ref())
    }

    pub(crate) fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Sends a request from `client` with an optional bearer token and raw body.
    pub(crate) async fn send_from(
        &self,
        client: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some((content_type, bytes)) => {
                request = request.header(header::CONTENT_TYPE, content_type);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).expect("valid request");
        let address: SocketAddr = client.parse().expect("valid address");
        request.extensions_mut().insert(ConnectInfo(address));
        let response =
            tower::ServiceExt::oneshot(self.app.clone(), request).await.expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec();
        TestResponse { status, headers, body }
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> TestResponse {
        self.send_from(CLIENT, method, path, token, body).await
    }

    /// Sends `body` as raw JSON text.
    pub(crate) async fn send_raw_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> TestResponse {
        self.send(method, path, token, Some(("application/json", body.as_bytes().to_vec()))).await
    }

    pub(crate) async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> TestResponse {
        let bytes = serde_json::to_vec(body).expect("serialises");
        self.send(method, path, token, Some(("application/json", bytes))).await
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.send(Method::GET, path, token, None).await
    }

    pub(crate) async fn delete(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.send(Method::DELETE, path, token, None).await
    }

    pub(crate) async fn register(&self, account: &TestAccount) {
        self.send_json(Method::POST, paths::ACCOUNTS, None, &account.register_request(None))
            .await
            .assert_status(StatusCode::CREATED);
    }

    pub(crate) async fn challenge(&self, account_id: AccountId) -> [u8; 32] {
        self.challenge_from(CLIENT, account_id).await
    }

    /// Asks for a challenge from `client`.
    pub(crate) async fn challenge_from(&self, client: &str, account_id: AccountId) -> [u8; 32] {
        let bytes = serde_json::to_vec(&ChallengeRequest { account_id }).expect("serialises");
        let response = self
            .send_from(
                client,
                Method::POST,
                paths::SESSION_CHALLENGE,
                None,
                Some(("application/json", bytes)),
            )
            .await;
        response.assert_status(StatusCode::OK);
        let body: ChallengeResponse = response.json();
        body.challenge.0
    }

    /// A deletion request for `account` over a fresh challenge, signed by `key`.
    pub(crate) async fn delete_account_request(
        &self,
        account: &TestAccount,
        key: &SigningKey,
    ) -> hush_proto::DeleteAccountRequest {
        let challenge = self.challenge(account.id).await;
        let signature = key.sign(&hush_proto::delete_account_message(&account.id, &challenge)).to_bytes();
        hush_proto::DeleteAccountRequest { challenge: B64Array(challenge), signature: B64Array(signature) }
    }

    /// Logs in from `client`; returns the raw answer.
    pub(crate) async fn try_login_from(
        &self,
        client: &str,
        account: &TestAccount,
        challenge: [u8; 32],
        key: &SigningKey,
    ) -> TestResponse {
        let request = account.login_request(challenge, key);
        let bytes = serde_json::to_vec(&request).expect("serialises");
        self.send_from(client, Method::POST, paths::SESSIONS, None, Some(("application/json", bytes))).await
    }

    /// Registers nothing; logs `account` in with its current key and returns the token.
    pub(crate) async fn login(&self, account: &TestAccount) -> String {
        let challenge = self.challenge(account.id).await;
        let response = self.try_login_from(CLIENT, account, challenge, &account.key).await;
        response.assert_status(StatusCode::OK);
        let body: LoginResponse = response.json();
        body.token.expose().to_owned()
    }

    pub(crate) async fn pull(&self, token: &str, since: u64) -> PullResponse {
        let response = self.get(&format!("{}?since={since}", paths::VAULT), Some(token)).await;
        response.assert_status(StatusCode::OK);
        response.json()
    }

    pub(crate) async fn push(&self, token: &str, request: &PushRequest) -> TestResponse {
        self.send_json(Method::POST, paths::VAULT, Some(token), request).await
    }
}

/// The store's write locks, held by a connection of the test's own.
pub(crate) enum WriteLock {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl WriteLock {
    /// Rolls the transaction back and closes the connection.
    pub(crate) async fn release(self) {
        match self {
            Self::Sqlite(mut connection) => {
                sqlx::query("ROLLBACK").execute(&mut connection).await.expect("rolled back");
                connection.close().await.expect("closed");
            }
            Self::Postgres(mut connection) => {
                sqlx::query("ROLLBACK").execute(&mut connection).await.expect("rolled back");
                connection.close().await.expect("closed");
            }
        }
    }
}

/// A new database for one test when this binary runs against PostgreSQL (`crate::BACKEND`).
/// Without PostgreSQL the binary's tests run against SQLite instead, after a SKIPPED notice;
/// under CI that is a failure (`hush_e2e::postgres`).
fn postgres_url() -> Option<String> {
    if crate::BACKEND != Backend::Postgres {
        return None;
    }
    let cluster =
        hush_e2e::postgres::cluster_or_skip("this test against PostgreSQL (it runs against SQLite)")?;
    Some(cluster.database())
}

/// An account's client-side secrets, made deterministic from a seed.
pub(crate) struct TestAccount {
    pub id: AccountId,
    pub key: SigningKey,
    pub kdf: KdfParams,
    pub keyset: Vec<u8>,
}

impl TestAccount {
    pub(crate) fn new(seed: u8) -> Self {
        Self {
            id: AccountId::from_bytes([seed; 16]),
            key: SigningKey::from_bytes(&[seed; 32]),
            kdf: KdfParams { m_kib: 65_536, t: 3, p: 1, salt: B64(vec![seed; 16]) },
            keyset: keyset(1, seed),
        }
    }

    pub(crate) fn register_request(&self, code: Option<&str>) -> RegisterRequest {
        RegisterRequest {
            account_id: self.id,
            kdf: self.kdf.clone(),
            auth_public_key: B64Array(self.key.verifying_key().to_bytes()),
            keyset: B64(self.keyset.clone()),
            registration_code: code.map(RegistrationCode::new),
        }
    }

    pub(crate) fn login_request(&self, challenge: [u8; 32], key: &SigningKey) -> LoginRequest {
        let signature = key.sign(&login_message(&self.id, &challenge)).to_bytes();
        LoginRequest {
            account_id: self.id,
            challenge: B64Array(challenge),
            signature: B64Array(signature),
            device_name: B64Array(SEALED_LAPTOP),
        }
    }
}

/// The bytes a client sends as its sealed device name (the server cannot read them anyway).
pub(crate) const SEALED_LAPTOP: [u8; hush_proto::SEALED_DEVICE_NAME_LEN] =
    [0x5a; hush_proto::SEALED_DEVICE_NAME_LEN];

/// A keyset-shaped byte string: version byte 0x01, `u32le(key_version)`, then filler.
pub(crate) fn keyset(key_version: u32, fill: u8) -> Vec<u8> {
    let mut bytes = vec![0x01];
    bytes.extend_from_slice(&key_version.to_le_bytes());
    bytes.extend_from_slice(&[fill; 72]);
    bytes
}

pub(crate) fn item(id: u8, blob_len: usize, fill: u8) -> PushedItem {
    PushedItem { id: ItemId::from_bytes([id; 16]), blob: B64(vec![fill; blob_len]) }
}

pub(crate) fn push_request(base_seq: u64, items: Vec<PushedItem>) -> PushRequest {
    PushRequest { base_seq, manifest: B64(vec![0xAA; 85]), items }
}
