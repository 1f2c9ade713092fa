//! One module per resource of `docs/spec/sync-api-v2.md`, each exposing `router()`.

pub(crate) mod accounts;
pub(crate) mod files;
pub(crate) mod health;
pub(crate) mod keyset;
pub(crate) mod openapi;
pub(crate) mod sessions;
pub(crate) mod vault;

use crate::error::ApiError;

/// Any path the API does not have: a JSON 404 rather than axum's empty one.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}

/// A known path with the wrong method: a JSON 405 rather than axum's empty one.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
