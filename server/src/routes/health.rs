//! `GET /healthz` (`docs/spec/sync-api-v2.md`, "Health"): 200 `ok` when the store answers.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use hush_proto::paths;

use crate::error::ApiError;
use crate::state::AppState;

/// The health route.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route(paths::HEALTH, get(get_health))
}

async fn get_health(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok("ok"),
        Err(err) => {
            tracing::error!(error = %err, "health check: the store does not answer");
            Err(ApiError::Unavailable(None))
        }
    }
}
