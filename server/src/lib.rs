//! hush-server: the self-hosted sync server of hush. It stores only ciphertext and public
//! data, and implements `docs/spec/sync-api-v2.md` over the wire types of `hush-proto`.
//!
//! [`app`] builds the whole HTTP API as an axum [`Router`], so tests drive it in-process;
//! [`serve`] runs it on a socket (optionally with TLS) with graceful shutdown; [`store`] holds
//! the storage trait and its SQLite and PostgreSQL implementations; [`copy`] moves a whole store
//! into another. `docs/server.md` describes configuration,
//! schema, limits and operations.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
pub mod clock;
pub mod config;
pub mod copy;
mod error;
mod extract;
mod quota;
pub mod rate_limit;
mod routes;
pub mod serve;
mod state;
pub mod store;
mod validate;

use axum::Router;
use axum::extract::State;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use auth::new_invite_code;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, ConnectionLimits, Limits, RateLimit, RateLimits};
pub use error::{ApiError, MAX_URI_BYTES};
pub use state::AppState;
pub use store::{PgLimiter, PgStore, SqliteStore, Store};

/// The complete HTTP API over `state`.
///
/// Layers, outermost first: tracing (method, route template, status, latency: never the raw
/// URI, headers or bodies, which carry tokens, ids and ciphertext), error logging, the request
/// timeout,
/// `Cache-Control: no-store`, the URI length limit (414), and the body size limit (enforced by
/// the JSON extractor, which answers 413 `too_large`).
pub fn app(state: AppState) -> Router {
    let limits = &state.config.limits;
    Router::new()
        .merge(routes::health::router())
        .merge(routes::accounts::router())
        .merge(routes::sessions::router())
        .merge(routes::vault::router())
        .merge(routes::keyset::router())
        .merge(routes::files::router())
        .merge(routes::openapi::router())
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn(refuse_long_uri))
        .layer(middleware::map_response(no_store))
        .layer(middleware::from_fn_with_state(limits.request_timeout, timeout))
        .layer(middleware::map_response(log_errors))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // Errors are logged once, with their cause, by `log_errors`; tower-http's own
                // line for every 5xx would repeat them without it.
                .on_failure(()),
        )
        .with_state(state)
}

/// The span of one request: the route *template* (`/v2/accounts/{account_id}/prelogin`), so
/// account and session ids never reach the log.
fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("<unmatched>", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}

/// The whole-request time limit. tower-http's `TimeoutLayer` answers 408 with an empty
/// body, but every error answer is `{"error", "message"}` (docs/spec/sync-api-v2.md), so this one
/// answers through [`ApiError`] too.
async fn timeout(State(limit): State<std::time::Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// A URI longer than [`MAX_URI_BYTES`] is 414 `too_large`, in the API's format. hyper itself only
/// refuses URIs of 64 KiB and more (with an empty answer; `serve` replaces it, but a head that
/// long is refused as 431 first, by `serve::MAX_HEAD_BYTES`).
async fn refuse_long_uri(request: Request, next: Next) -> Response {
    let length = request.uri().path_and_query().map_or(0, |uri| uri.as_str().len());
    if length > MAX_URI_BYTES {
        return ApiError::UriTooLong.into_response();
    }
    next.run(request).await
}

/// Logs what an error answer recorded ([`error::ErrorRecord`]): the one place the server logs
/// errors, inside the request's span (method and route template).
async fn log_errors(response: Response) -> Response {
    if let Some(record) = response.extensions().get::<error::ErrorRecord>() {
        if record.internal {
            tracing::error!(error = %record.detail, "internal error");
        } else {
            tracing::warn!(error = %record.detail, "store busy; answering 503");
        }
    }
    response
}

/// Answers carry tokens and ciphertext: no cache, shared or private, may keep them.
async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
