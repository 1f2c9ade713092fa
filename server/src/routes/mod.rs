//! One module per resource of `docs/spec/sync-api-v2.md`, each exposing `router()`.

pub mod accounts;
pub mod files;
pub mod health;
pub mod keyset;
pub mod openapi;
pub mod sessions;
pub mod vault;

use crate::error::ApiError;

/// Any path the API does not have: a JSON 404 rather than axum's empty one.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}

/// A known path with the wrong method: a JSON 405 rather than axum's empty one.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
