//! Sessions (`sync-api-v1.md`, "Sessions"): challenge, login, list, logout, revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use hush_proto::{
    ChallengeRequest, ChallengeResponse, LoginRequest, LoginResponse, SessionId, SessionInfo, SessionList,
    login_message, paths,
};

use crate::auth::{AuthSession, new_session_token, random_bytes, signature_is_valid};
use crate::clock::after;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ClientIp};
use crate::state::AppState;
use crate::store::{NewSession, StoreError};

/// The session routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::SESSION_CHALLENGE, post(create_challenge))
        .route(paths::SESSIONS, post(create_session).get(list_sessions))
        .route(paths::SESSION_CURRENT, delete(delete_current_session))
        .route(paths::SESSION_TEMPLATE, delete(delete_session))
}

/// `POST /v1/sessions/challenge`: 32 fresh random bytes, valid for the configured lifetime
/// (at most 300 s) and for one attempt. 404 for an unknown account: storing challenges for
/// accounts that do not exist would let anyone fill the table.
async fn create_challenge(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ChallengeRequest>,
) -> Result<Json<ChallengeResponse>, ApiError> {
    let challenge: [u8; 32] = random_bytes()?;
    let now = state.clock.now();
    let lifetime = state.config.limits.challenge_lifetime;
    // An unknown account is `StoreError::NotFound`, which `?` turns into 404 `not_found` for
    // "account" (`From<StoreError> for ApiError`, src/error.rs).
    state
        .store
        .add_challenge(
            request.account_id,
            challenge,
            after(now, lifetime),
            now,
            state.config.limits.max_outstanding_challenges,
        )
        .await?;
    Ok(Json(ChallengeResponse { challenge: challenge.into(), expires_in: lifetime.as_secs() }))
}

/// `POST /v1/sessions`: log in with a signature over the challenge.
///
/// Order matters: the rate limit is checked first (a locked-out client learns nothing, and
/// consumes no challenge), then the challenge is consumed whatever follows, then the signature
/// is checked. Every failure past the rate limit counts against the account and the address.
async fn create_session(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let now = state.clock.now();
    let account_id = request.account_id;
    state
        .login_limiter
        .check(&account_id, client, now)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;

    let failure = |error: ApiError, reason: &'static str| {
        state.login_limiter.record_failure(account_id, client, now);
        tracing::warn!(client = %client, reason, "login failed");
        error
    };

    let challenge = request.challenge.as_bytes();
    let fresh = match state.store.take_challenge(*challenge).await? {
        Some((owner, expires_at)) => owner == account_id && now < expires_at,
        None => false,
    };
    if !fresh {
        return Err(failure(ApiError::BadChallenge, "bad challenge"));
    }
    let account = state.store.account(account_id).await?;
    let Some(account) = account else {
        // Deleted since the challenge was issued.
        return Err(failure(ApiError::BadChallenge, "account gone"));
    };
    let message = login_message(&account_id, challenge);
    if !signature_is_valid(&account.keys.auth_public_key, &message, request.signature.as_bytes()) {
        return Err(failure(ApiError::BadSignature, "bad signature"));
    }

    let (token, token_hash) = new_session_token()?;
    let session_id = SessionId::random();
    state
        .store
        .create_session(NewSession {
            id: session_id,
            account_id,
            token_hash,
            device_name: *request.device_name.as_bytes(),
            created: now,
        })
        .await?;
    state.login_limiter.record_success(&account_id);
    tracing::info!(client = %client, "login");
    Ok(Json(LoginResponse { token, session_id, expires_at: after(now, state.config.limits.session_idle) }))
}

/// `GET /v1/sessions`: the account's sessions, oldest first.
async fn list_sessions(
    State(state): State<AppState>,
    auth: AuthSession,
) -> Result<Json<SessionList>, ApiError> {
    let sessions = state.store.list_sessions(auth.account_id).await?;
    Ok(Json(SessionList {
        sessions: sessions
            .into_iter()
            .map(|session| SessionInfo {
                current: session.id == auth.session_id,
                id: session.id,
                device_name: session.device_name.map(hush_proto::B64Array),
                created: session.created,
                last_seen: session.last_seen,
            })
            .collect(),
    }))
}

/// `DELETE /v1/sessions/current`: log out; 204.
async fn delete_current_session(
    State(state): State<AppState>,
    auth: AuthSession,
) -> Result<StatusCode, ApiError> {
    revoke(&state, auth, auth.session_id).await
}

/// `DELETE /v1/sessions/{session_id}`: revoke one of the account's sessions (another device, or
/// this one); 204, or 404 if the account has no such session.
async fn delete_session(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiPath(session_id): ApiPath<SessionId>,
) -> Result<StatusCode, ApiError> {
    revoke(&state, auth, session_id).await
}

async fn revoke(state: &AppState, auth: AuthSession, session_id: SessionId) -> Result<StatusCode, ApiError> {
    match state.store.delete_session(auth.account_id, session_id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::NotFound) => Err(ApiError::NotFound("session")),
        Err(err) => Err(err.into()),
    }
}
