//! Accounts (`sync-api-v2.md`, "Accounts"): register, prelogin, delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use hush_proto::{
    AccountId, DeleteAccountRequest, PreloginResponse, RegisterRequest, RegisterResponse,
    delete_account_message, paths,
};

use hush_core::verify_signature;

use crate::auth::{AuthSession, invite_hash};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::store::Admission;
use crate::validate;

/// The account routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(paths::ACCOUNTS, post(create_account))
        .route(paths::PRELOGIN_TEMPLATE, get(get_prelogin))
        .route(paths::ACCOUNT_CURRENT, delete(delete_account))
}

/// `POST /v2/accounts`: 201, or 409 `account_exists`, or 403 `registration_closed` when the
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

/// `GET /v2/accounts/{account_id}/prelogin`: the KDF parameters, or 404 `not_found`.
async fn get_prelogin(
    State(state): State<AppState>,
    ApiPath(account_id): ApiPath<AccountId>,
) -> Result<Json<PreloginResponse>, ApiError> {
    let account = state.store.account(account_id).await?.ok_or(ApiError::NotFound("account"))?;
    Ok(Json(PreloginResponse { kdf: account.keys.kdf }))
}

/// `DELETE /v2/accounts/current`: deletes the account and everything it stored; 204.
///
/// A session token is not enough (a stolen one must not be able to destroy the account): the
/// body carries a signature by the *current* auth key over a fresh challenge for this account,
/// which only someone who knows the master password and holds the account key can make. The
/// challenge is consumed whatever follows, as at login.
async fn delete_account(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiJson(request): ApiJson<DeleteAccountRequest>,
) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    let challenge = request.challenge.as_bytes();
    let fresh = match state.store.take_challenge(*challenge).await? {
        Some((owner, expires_at)) => owner == auth.account_id && now < expires_at,
        None => false,
    };
    if !fresh {
        return Err(ApiError::BadChallenge);
    }
    let account = state.store.account(auth.account_id).await?.ok_or(ApiError::NotFound("account"))?;
    let message = delete_account_message(&auth.account_id, challenge);
    if !verify_signature(&account.keys.auth_public_key, &message, request.signature.as_bytes()) {
        tracing::warn!("account deletion refused: bad signature");
        return Err(ApiError::BadSignature);
    }
    state.store.delete_account(auth.account_id).await?;
    tracing::info!("account deleted");
    Ok(StatusCode::NO_CONTENT)
}
