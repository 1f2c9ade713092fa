//! Sessions (`docs/spec/sync-api-v2.md`, "Sessions"): challenge, login, list, logout, revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use hush_proto::{
    ChallengeRequest, ChallengeResponse, LoginRequest, LoginResponse, SessionId, SessionInfo, SessionList,
    login_message, paths,
};

use hush_core::verify_signature;

use crate::auth::{AuthSession, new_session_token, random_bytes};
use crate::clock::after;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ClientIp};
use crate::rate_limit::{Budget, ClientKey};
use crate::state::AppState;
use crate::store::{NewSession, StoreError};

/// The session routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(paths::SESSION_CHALLENGE, post(create_challenge))
        .route(paths::SESSIONS, post(create_session).get(list_sessions))
        .route(paths::SESSION_CURRENT, delete(delete_current_session))
        .route(paths::SESSION_TEMPLATE, delete(delete_session))
}

/// `POST /v2/sessions/challenge`: 32 fresh random bytes, valid for the configured lifetime
/// (at most 300 s) and for one attempt. 404 for an unknown account: storing challenges for
/// accounts that do not exist would let anyone fill the table.
///
/// Every request spends one unit of the client address's challenge budget, found account or
/// not (429 `rate_limited` past it). That budget, not a per-account cap, bounds the table: a
/// per-account cap would let anyone who knows an account id crowd out its owner's challenge
/// (docs/server.md, "Rate limiting").
async fn create_challenge(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(request): ApiJson<ChallengeRequest>,
) -> Result<Json<ChallengeResponse>, ApiError> {
    let now = state.clock.now();
    state.limiter.acquire(Budget::ChallengeRequests, ClientKey::of(client), now).await?;
    let challenge: [u8; 32] = random_bytes()?;
    let lifetime = state.config.limits.challenge_lifetime;
    // An unknown account is `StoreError::NotFound`, which `?` turns into 404 `not_found` for
    // "account" (`From<StoreError> for ApiError`, src/error.rs).
    state.store.add_challenge(request.account_id, challenge, after(now, lifetime), now).await?;
    Ok(Json(ChallengeResponse { challenge: challenge.into(), expires_in: lifetime.as_secs() }))
}

/// `POST /v2/sessions`: log in with a signature over the challenge.
///
/// The signature is verified first, before anything is written or counted: only the holder of
/// the account's key can make it, so what follows cannot be steered by someone who merely knows
/// the account id (issue #9). Failures are counted against the client address only, never the
/// account. An address past its failure budget gets 429 without its challenge being consumed,
/// unless its signature verifies: the owner behind an address an attacker shares (NAT, one
/// IPv6 /64) still logs in. Past that point the challenge is consumed whatever follows, as the
/// spec says ("consumed by the first login attempt, successful or not").
async fn create_session(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let now = state.clock.now();
    let source = ClientKey::of(client);
    let account_id = request.account_id;
    let challenge = request.challenge.as_bytes();

    let account = state.store.account(account_id).await?;
    let signed = account.as_ref().is_some_and(|account| {
        let message = login_message(&account_id, challenge);
        verify_signature(&account.keys.auth_public_key, &message, request.signature.as_bytes())
    });
    if !signed {
        state.limiter.check(Budget::LoginFailures, source, now).await?;
    }

    let failed = async |error: ApiError, reason: &'static str| {
        // The attempt fails either way; a budget store that cannot count it now only loses
        // this one unit, which the next failure's `check` (answered 503 while it is down) covers.
        if let Err(err) = state.limiter.spend(Budget::LoginFailures, source, now).await {
            tracing::warn!(error = %err, "could not count a failed login");
        }
        tracing::warn!(client = %client, reason, "login failed");
        error
    };
    let fresh = match state.store.take_challenge(*challenge).await? {
        Some((owner, expires_at)) => owner == account_id && now < expires_at,
        None => false,
    };
    if !fresh {
        return Err(failed(ApiError::BadChallenge, "bad challenge").await);
    }
    // An account that was missing when read had no challenges either (they go with it), so an
    // unverified signature is the only way to get here unsigned.
    if !signed {
        return Err(failed(ApiError::BadSignature, "bad signature").await);
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
    tracing::info!(client = %client, "login");
    Ok(Json(LoginResponse { token, session_id, expires_at: after(now, state.config.limits.session_idle) }))
}

/// `GET /v2/sessions`: the account's sessions, oldest first.
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

/// `DELETE /v2/sessions/current`: log out; 204.
async fn delete_current_session(
    State(state): State<AppState>,
    auth: AuthSession,
) -> Result<StatusCode, ApiError> {
    revoke(&state, auth, auth.session_id).await
}

/// `DELETE /v2/sessions/{session_id}`: revoke one of the account's sessions (another device, or
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
