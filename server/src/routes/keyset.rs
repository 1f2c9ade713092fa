//! `PUT /v2/keyset`: master password change (`sync-api-v2.md`, "Vault").

use axum::extract::State;
use axum::routing::put;
use axum::{Json, Router};
use hush_proto::{RekeyRequest, RekeyResponse, paths, rekey_message};

use hush_core::verify_signature;

use crate::auth::AuthSession;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::validate;

/// The keyset route.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route(paths::KEYSET, put(put_keyset))
}

/// Replaces the KDF parameters, auth key and keyset, bumps the seq and revokes every other
/// session of the account.
///
/// A session token alone is not enough: the request must be signed by the *current* auth key,
/// which only someone who knows the current master password (and holds the account key) can
/// derive. The signature is checked against the key read here; the store then applies the change
/// only if the seq is still `base_seq`, and since every rekey bumps the seq, the key cannot have
/// changed in between.
async fn put_keyset(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiJson(request): ApiJson<RekeyRequest>,
) -> Result<Json<RekeyResponse>, ApiError> {
    let keys = validate::account_keys(request.kdf, request.auth_public_key.0, request.keyset)?;
    let account = state.store.account(auth.account_id).await?.ok_or(ApiError::NotFound("account"))?;
    // The signature covers the new auth key and keyset exactly as sent; `keys` holds those
    // bytes unchanged.
    let message = rekey_message(&auth.account_id, &keys.auth_public_key, &keys.keyset);
    if !verify_signature(&account.keys.auth_public_key, &message, request.signature.as_bytes()) {
        tracing::warn!("rekey refused: bad signature");
        return Err(ApiError::BadSignature);
    }
    // The keyset's epoch only grows (`crypto-v2.md`, "Keyset"): a rekey that would put an older
    // or equal key version back is refused, so even a stolen old auth key cannot reinstate an
    // old keyset. Devices check the same thing on their side.
    if keys.key_version <= account.keys.key_version {
        return Err(ApiError::StaleKeyset);
    }
    let seq = state.store.rekey(auth.account_id, request.base_seq, keys, auth.session_id).await?;
    tracing::info!("account rekeyed; other sessions revoked");
    Ok(Json(RekeyResponse { seq }))
}
