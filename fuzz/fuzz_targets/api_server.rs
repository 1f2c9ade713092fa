//! The sync server's whole HTTP API (`hush_server::app`, docs/spec/sync-api-v2.md), in
//! process, over a real SQLite store: every route, with and without a valid session, with
//! arbitrary bodies, path parameters, query strings, content types and tokens. This is where
//! the server's own checks on what serde accepts (server/src/validate.rs, the extractors, the
//! quota checks) meet hostile input.
//!
//! Input: one byte picks the route, one byte the options (session token, content type), then
//! the path parameter or query string up to the first NUL byte, then the body.
//!
//! Properties, which are the spec's promises to every client:
//! - no answer is a 500 (a bug) or a 503 (the store is never busy here: one request at a time);
//! - every error answer is `{"error", "message"}` in JSON, with the status its code names
//!   ("Errors"), and a 409 `conflict` carries the current `seq`;
//! - every success answer parses as the route's answer type.
#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use ed25519_dalek::{Signer, SigningKey};
use hush_proto::{
    AccountId, B64, B64Array, ChallengeResponse, ErrorBody, ErrorCode, KdfParams, LoginRequest, LoginResponse,
    PreloginResponse, PullResponse, PushResponse, RegisterRequest, RegisterResponse, RekeyResponse,
    SessionId, SessionList, login_message, paths,
};
use hush_server::{AppState, Config, Limits, RateLimit, RateLimits, SqliteStore, Store, app};
use libfuzzer_sys::fuzz_target;

struct Server {
    runtime: tokio::runtime::Runtime,
    app: Router,
    /// A session of the fixture account, so that authenticated routes get past the token.
    token: String,
    account: AccountId,
    session: SessionId,
    /// The store's folder (under `TMPDIR`; `fuzz/smoke.sh` removes it). Never dropped.
    _dir: tempfile::TempDir,
}

/// Rate limits no fuzzer reaches, so that the login and challenge routes keep being run past
/// their first few requests; the limiter itself has unit tests (server/src/rate_limit.rs).
const GENEROUS: RateLimit = RateLimit { burst: 1_000_000, period: Duration::from_millis(1) };

static SERVER: LazyLock<Server> = LazyLock::new(|| {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let dir = tempfile::Builder::new().prefix("hush-fuzz-api-").tempdir().expect("a temporary folder");
    let store = runtime.block_on(SqliteStore::open(dir.path())).expect("the store opens");
    let config = Config {
        open_registration: true,
        rate_limits: RateLimits { login_failures: GENEROUS, challenge_requests: GENEROUS },
        // Small quotas, so that pushes reach 507 `quota` too, and the store stays small.
        limits: Limits { max_items_per_account: 1_000, max_account_bytes: 4 << 20, ..Limits::default() },
        ..Config::default()
    };
    let app = app(AppState::new(Arc::new(store) as Arc<dyn Store>, config));
    let key = SigningKey::from_bytes(&[1; 32]);
    let account = AccountId::from_bytes([1; 16]);
    let mut keyset = vec![1, 1, 0, 0, 0];
    keyset.resize(77, 7);
    let register = RegisterRequest {
        account_id: account,
        kdf: KdfParams { m_kib: 65_536, t: 3, p: 1, salt: B64(vec![2; 16]) },
        auth_public_key: B64Array(key.verifying_key().to_bytes()),
        keyset: B64(keyset),
        registration_code: None,
    };
    let call = |method: Method, path: &str, body: Vec<u8>| {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .extension(ConnectInfo(client()))
            .body(Body::from(body))
            .expect("a request");
        let (status, body) = runtime.block_on(send(&app, request));
        assert!(status.is_success(), "{path}: {status} {}", String::from_utf8_lossy(&body));
        body
    };
    call(Method::POST, paths::ACCOUNTS, serde_json::to_vec(&register).expect("JSON"));
    let challenge = serde_json::to_vec(&hush_proto::ChallengeRequest { account_id: account }).expect("JSON");
    let challenge: ChallengeResponse =
        serde_json::from_slice(&call(Method::POST, paths::SESSION_CHALLENGE, challenge)).expect("a challenge");
    let login = LoginRequest {
        account_id: account,
        challenge: challenge.challenge,
        signature: B64Array(key.sign(&login_message(&account, challenge.challenge.as_bytes())).to_bytes()),
        device_name: B64Array([5; hush_proto::SEALED_DEVICE_NAME_LEN]),
    };
    let login: LoginResponse =
        serde_json::from_slice(&call(Method::POST, paths::SESSIONS, serde_json::to_vec(&login).expect("JSON")))
            .expect("a session");
    Server { token: login.token.expose().to_owned(), session: login.session_id, account, app, runtime, _dir: dir }
});

fn client() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], 40_000))
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let head = request.method() == Method::HEAD;
    let response = tower::ServiceExt::oneshot(app.clone(), request).await.expect("the router is infallible");
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let body = to_bytes(response.into_body(), usize::MAX).await.expect("a body").to_vec();
    if (status.is_client_error() || status.is_server_error()) && !head {
        assert_eq!(
            content_type.as_ref().and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "a {status} without a JSON body"
        );
    }
    (status, body)
}

/// The status each error code travels with (docs/spec/sync-api-v2.md, "Errors").
fn status_of(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::BadRequest => 400,
        ErrorCode::Unauthorized | ErrorCode::BadSignature | ErrorCode::BadChallenge => 401,
        ErrorCode::RegistrationClosed => 403,
        ErrorCode::NotFound => 404,
        ErrorCode::MethodNotAllowed => 405,
        ErrorCode::Timeout => 408,
        ErrorCode::AccountExists | ErrorCode::Conflict | ErrorCode::StaleKeyset => 409,
        ErrorCode::TooLarge => 413,
        ErrorCode::UriTooLong => 414,
        ErrorCode::UnsupportedMediaType => 415,
        ErrorCode::RateLimited => 429,
        ErrorCode::HeadersTooLarge => 431,
        ErrorCode::Internal => 500,
        ErrorCode::Unavailable => 503,
        ErrorCode::Quota => 507,
        other => panic!("the server sent {other:?}"),
    }
}

/// `bytes` percent-encoded but for RFC 3986's unreserved characters and those in `keep`, so
/// that any byte string reaches the server as a valid URI component.
fn encode(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let server = &*SERVER;
    let [route, options, rest @ ..] = data else { return };
    let (param, body) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (&[][..], rest),
    };
    let segment = encode(param, b"");
    let (method, path) = match route % 14 {
        0 => (Method::POST, paths::ACCOUNTS.to_owned()),
        1 if options & 0x10 != 0 => (Method::GET, paths::prelogin(&server.account)),
        1 => (Method::GET, format!("/v2/accounts/{segment}/prelogin")),
        2 => (Method::DELETE, paths::ACCOUNT_CURRENT.to_owned()),
        3 => (Method::POST, paths::SESSION_CHALLENGE.to_owned()),
        4 => (Method::POST, paths::SESSIONS.to_owned()),
        5 => (Method::GET, paths::SESSIONS.to_owned()),
        6 => (Method::DELETE, paths::SESSION_CURRENT.to_owned()),
        7 => (Method::DELETE, format!("/v2/sessions/{segment}")),
        8 => (Method::GET, format!("{}?{}", paths::VAULT, encode(param, b"=&"))),
        9 => (Method::POST, paths::VAULT.to_owned()),
        10 => (Method::PUT, paths::KEYSET.to_owned()),
        11 => (Method::GET, paths::HEALTH.to_owned()),
        12 => (Method::GET, "/v2/openapi.json".to_owned()),
        _ => {
            let methods = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH, Method::HEAD];
            (methods[usize::from(options >> 5) % methods.len()].clone(), format!("/{}", encode(param, b"/")))
        }
    };
    // Logging the fixture's own session out, or revoking it by id, would leave every later input
    // without a session; both are exercised with other tokens and ids.
    let own_session = route % 14 == 7 && param == server.session.to_string().as_bytes();
    let use_token = options & 1 != 0 && route % 14 < 13 && route % 14 != 6 && !own_session;
    let head = method == Method::HEAD;
    let mut request = Request::builder().method(method).uri(&path).extension(ConnectInfo(client()));
    if use_token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", server.token));
    } else if options & 2 != 0 {
        // Anything as the header, when it is a valid header value at all.
        if let Ok(value) = HeaderValue::from_bytes(param) {
            request = request.header(header::AUTHORIZATION, value);
        }
    }
    match options & 0x0c {
        0x00 => request = request.header(header::CONTENT_TYPE, "application/json"),
        0x04 => request = request.header(header::CONTENT_TYPE, "text/plain"),
        0x08 => request = request.header(header::CONTENT_TYPE, "application/json; charset=utf-8"),
        _ => {}
    }
    let Ok(request) = request.body(Body::from(body.to_vec())) else { return };
    let (status, answer) = server.runtime.block_on(send(&server.app, request));
    let text = String::from_utf8_lossy(&answer);
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}: {text}");
    assert_ne!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {text}");
    if head {
        // An answer to HEAD has no body to check.
        return;
    }
    if status.is_client_error() || status.is_server_error() {
        let error: ErrorBody = serde_json::from_slice(&answer)
            .unwrap_or_else(|e| panic!("{path}: a {status} whose body is not the error body ({e}): {text}"));
        assert_eq!(status_of(error.error), status.as_u16(), "{path}: {text}");
        assert!(!error.message.is_empty(), "{path}: an error without a message");
        assert_eq!(error.seq.is_some(), error.error == ErrorCode::Conflict, "{path}: {text}");
        return;
    }
    let parses = match route % 14 {
        0 => status == StatusCode::CREATED && serde_json::from_slice::<RegisterResponse>(&answer).is_ok(),
        1 => serde_json::from_slice::<PreloginResponse>(&answer).is_ok(),
        2 | 6 | 7 => status == StatusCode::NO_CONTENT && answer.is_empty(),
        3 => serde_json::from_slice::<ChallengeResponse>(&answer).is_ok(),
        4 => serde_json::from_slice::<LoginResponse>(&answer).is_ok(),
        5 => serde_json::from_slice::<SessionList>(&answer).is_ok(),
        8 => serde_json::from_slice::<PullResponse>(&answer).is_ok(),
        9 => serde_json::from_slice::<PushResponse>(&answer).is_ok(),
        10 => serde_json::from_slice::<RekeyResponse>(&answer).is_ok(),
        11 => answer == b"ok",
        12 => serde_json::from_slice::<serde_json::Value>(&answer).is_ok(),
        _ => true,
    };
    assert!(parses, "{path}: a {status} answer that is not the route's answer type: {text}");
});
