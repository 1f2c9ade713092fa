//! Accounts (`sync-api-v1.md`, "Accounts"): register, prelogin, delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use hush_proto::{AccountId, PreloginResponse, RegisterRequest, RegisterResponse, paths};

use crate::auth::{AuthSession, invite_hash};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::store::Admission;
use crate::validate;

/// The account routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::ACCOUNTS, post(create_account))
        .route(paths::PRELOGIN_TEMPLATE, get(get_prelogin))
        .route(paths::ACCOUNT_CURRENT, delete(delete_account))
}

/// `POST /v1/accounts`: 201, or 409 `account_exists`, or 403 `registration_closed` when the
/// server is invite-only and the code is missing or wrong.
async fn create_account(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    let keys = validate::account_keys(request.kdf, request.auth_public_key.0, request.keyset)?;
    let admission = if state.config.open_registration {
        Admission::Open
    } else {
        let code = request.registration_code.as_ref().ok_or(ApiError::RegistrationClosed)?;
        Admission::Invite(invite_hash(code))
    };
    state.store.create_account(request.account_id, keys, admission).await?;
    tracing::info!("account registered");
    Ok((StatusCode::CREATED, Json(RegisterResponse { account_id: request.account_id })))
}

/// `GET /v1/accounts/{account_id}/prelogin`: the KDF parameters, or 404 `not_found`.
async fn get_prelogin(
    State(state): State<AppState>,
    ApiPath(account_id): ApiPath<AccountId>,
) -> Result<Json<PreloginResponse>, ApiError> {
    let account = state.store.account(account_id).await?.ok_or(ApiError::NotFound("account"))?;
    Ok(Json(PreloginResponse { kdf: account.keys.kdf }))
}

/// `DELETE /v1/accounts/current`: deletes the account and everything it stored; 204.
async fn delete_account(State(state): State<AppState>, auth: AuthSession) -> Result<StatusCode, ApiError> {
    state.store.delete_account(auth.account_id).await?;
    tracing::info!("account deleted");
    Ok(StatusCode::NO_CONTENT)
}
