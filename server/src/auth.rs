//! Credentials: challenges, session tokens, invite codes, signature checks, and the
//! [`AuthSession`] extractor that guards authenticated routes.
//!
//! Every random value comes from the OS CSPRNG (`getrandom`). Tokens and invite codes are
//! stored only as SHA-256 (`docs/spec/crypto-v2.md`, "Server authentication"): they are 128 to 256 random
//! bits, so a plain hash is enough; a slow hash would protect nothing more.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hush_proto::{AccountId, RegistrationCode, SessionId, SessionToken, TOKEN_LEN};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::clock::has_elapsed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::StoreError;

/// `last_seen` is written at most this often per session: enough precision for a 30-day idle
/// limit, without turning every read request into a database write.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// Length of an invite code's randomness: 128 bits.
const INVITE_BYTES: usize = 16;

/// `N` bytes from the OS CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// A new session token and the SHA-256 that the store keeps instead of it.
pub(crate) fn new_session_token() -> Result<(SessionToken, [u8; 32]), getrandom::Error> {
    let raw: [u8; TOKEN_LEN] = random_bytes()?;
    Ok((SessionToken::new(URL_SAFE_NO_PAD.encode(raw)), sha256(&raw)))
}

/// A new single-use invite code and the SHA-256 that the store keeps instead of it.
pub fn new_invite_code() -> Result<(RegistrationCode, [u8; 32]), getrandom::Error> {
    let raw: [u8; INVITE_BYTES] = random_bytes()?;
    let code = RegistrationCode::new(URL_SAFE_NO_PAD.encode(raw));
    let hash = invite_hash(&code);
    Ok((code, hash))
}

/// The SHA-256 an invite code is stored and looked up by. Surrounding whitespace from a
/// copy and paste is ignored.
pub(crate) fn invite_hash(code: &RegistrationCode) -> [u8; 32] {
    sha256(code.expose().trim().as_bytes())
}

/// The session a request is authenticated as (`Authorization: Bearer <token>`).
///
/// Extracting it checks the token, refuses (and deletes) a session idle for longer than the
/// configured lifetime, and refreshes its last-seen time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuthSession {
    /// The session's account.
    pub account_id: AccountId,
    /// The session.
    pub session_id: SessionId,
}

impl FromRequestParts<AppState> for AuthSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let raw = bearer_token(parts).ok_or(ApiError::Unauthorized)?;
        let token_hash = sha256(&raw);
        let session = state.store.session_by_token_hash(token_hash).await?.ok_or(ApiError::Unauthorized)?;
        // The store found the row by this hash; comparing again in constant time guards against
        // a backend whose lookup is looser than byte equality (a collation, a prefix index).
        if !bool::from(session.token_hash.ct_eq(&token_hash)) {
            return Err(ApiError::Unauthorized);
        }
        let now = state.clock.now();
        if has_elapsed(session.last_seen, now, state.config.limits.session_idle) {
            // Dead already; delete it now rather than at the next purge. A failure here only
            // delays that, so it is logged, not answered.
            if let Err(err) = state.store.delete_session(session.account_id, session.id).await {
                tracing::warn!(error = %err, "could not delete an expired session");
            }
            return Err(ApiError::Unauthorized);
        }
        if now.as_second() - session.last_seen.as_second() >= TOUCH_INTERVAL_SECS {
            // `last_seen` only feeds the session list and a 30-day idle limit, so a store too
            // busy to write it (another account's long push holds the write lock) must not fail
            // a pull that needs no write at all; the next request refreshes it.
            match state.store.touch_session(session.id, now).await {
                Ok(()) => {}
                Err(StoreError::Unavailable(_)) => tracing::debug!("store busy; last-seen not refreshed"),
                Err(err) => return Err(err.into()),
            }
        }
        Ok(Self { account_id: session.account_id, session_id: session.id })
    }
}

/// The raw token bytes of a well-formed `Authorization: Bearer <base64url>` header.
fn bearer_token(parts: &Parts) -> Option<[u8; TOKEN_LEN]> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    // The auth scheme is case-insensitive (RFC 9110, section 11.1).
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    URL_SAFE_NO_PAD.decode(token.trim()).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts_with(authorization: &str) -> Parts {
        let (parts, ()) = Request::builder()
            .header(AUTHORIZATION, authorization)
            .body(())
            .expect("valid request")
            .into_parts();
        parts
    }

    #[test]
    fn bearer_token_parsing() {
        let token = URL_SAFE_NO_PAD.encode([7u8; 32]);
        assert_eq!(bearer_token(&parts_with(&format!("Bearer {token}"))), Some([7; 32]));
        assert_eq!(bearer_token(&parts_with(&format!("bearer {token}"))), Some([7; 32]));
        assert_eq!(bearer_token(&parts_with(&format!("Basic {token}"))), None);
        assert_eq!(bearer_token(&parts_with("Bearer")), None);
        assert_eq!(bearer_token(&parts_with("Bearer !!!")), None);
        let short = URL_SAFE_NO_PAD.encode([7u8; 31]);
        assert_eq!(bearer_token(&parts_with(&format!("Bearer {short}"))), None);
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, hash_a) = new_session_token().expect("CSPRNG works");
        let (b, _) = new_session_token().expect("CSPRNG works");
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43, "32 bytes in base64url without padding");
        let raw = URL_SAFE_NO_PAD.decode(a.expose()).expect("valid base64url");
        assert_eq!(sha256(&raw), hash_a);
    }

    #[test]
    fn invite_hash_ignores_surrounding_whitespace() {
        let (code, hash) = new_invite_code().expect("CSPRNG works");
        let pasted = RegistrationCode::new(format!(" {}\n", code.expose()));
        assert_eq!(invite_hash(&pasted), hash);
    }
}
