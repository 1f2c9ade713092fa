//! hush-server: the self-hosted sync server of hush. It stores only ciphertext and public
//! data, and implements `spec/sync-api-v1.md` over the wire types of `hush-proto`.
//!
//! [`app`] builds the whole HTTP API as an axum [`Router`], so tests drive it in-process;
//! [`serve`] runs it on a socket (optionally with TLS) with graceful shutdown; [`store`] holds
//! the storage trait and its SQLite implementation. `docs/server.md` describes configuration,
//! schema, limits and operations.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
pub mod clock;
pub mod config;
mod error;
mod extract;
mod rate_limit;
mod routes;
pub mod serve;
mod state;
pub mod store;
mod validate;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::Response;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use auth::new_invite_code;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, Limits, LoginRateLimits, RateLimit};
pub use error::ApiError;
pub use state::AppState;
pub use store::{SqliteStore, Store};

/// The complete HTTP API over `state`.
///
/// Layers, outermost first: tracing (method, route template, status, latency: never the raw
/// URI, headers or bodies, which carry tokens, ids and ciphertext), the request timeout,
/// `Cache-Control: no-store`, and the body size limit (enforced by the JSON extractor, which
/// answers 413 `too_large`).
pub fn app(state: AppState) -> Router {
    let limits = &state.config.limits;
    Router::new()
        .merge(routes::health::router())
        .merge(routes::accounts::router())
        .merge(routes::sessions::router())
        .merge(routes::vault::router())
        .merge(routes::keyset::router())
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::map_response(no_store))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// The span of one request: the route *template* (`/v1/accounts/{account_id}/prelogin`), so
/// account and session ids never reach the log.
fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("<unmatched>", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}

/// Answers carry tokens and ciphertext: no cache, shared or private, may keep them.
async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
