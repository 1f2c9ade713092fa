//! `GET /v2/openapi.json`: the OpenAPI 3.1 description of sync API v2 (docs/spec/sync-api-v2.md,
//! first section). It is written by hand, committed as `docs/openapi.json` and compiled into the
//! server, so the served document is the committed one by construction;
//! `server/tests/openapi.rs` checks it against the router (every route and method), hush-proto's
//! error codes and the spec's statuses, and CI runs schemathesis against the real server with it
//! (`server/schemathesis/run.sh`).

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use hush_proto::paths;

use crate::state::AppState;

/// The document, as committed.
pub(crate) const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

/// The description's route. It needs no session: it says nothing an account holds.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route(paths::OPENAPI, get(get_openapi))
}

async fn get_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
