//! The request paths of sync API v1, so the client and the server's router name them once.

use crate::ids::{AccountId, SessionId};

/// `POST`: register.
pub const ACCOUNTS: &str = "/v1/accounts";
/// `DELETE`: delete the authenticated account.
pub const ACCOUNT_CURRENT: &str = "/v1/accounts/current";
/// `POST`: log in; `GET`: list sessions.
pub const SESSIONS: &str = "/v1/sessions";
/// `POST`: ask for a login challenge.
pub const SESSION_CHALLENGE: &str = "/v1/sessions/challenge";
/// `DELETE`: log out.
pub const SESSION_CURRENT: &str = "/v1/sessions/current";
/// `GET`: pull (`?since=`); `POST`: push.
pub const VAULT: &str = "/v1/vault";
/// `PUT`: change the master password.
pub const KEYSET: &str = "/v1/keyset";
/// `GET`: health check.
pub const HEALTH: &str = "/healthz";

/// The server router's template of [`prelogin`].
pub const PRELOGIN_TEMPLATE: &str = "/v1/accounts/{account_id}/prelogin";
/// The server router's template of [`session`].
pub const SESSION_TEMPLATE: &str = "/v1/sessions/{session_id}";

/// `GET /v1/accounts/{account_id}/prelogin`.
pub fn prelogin(account_id: &AccountId) -> String {
    PRELOGIN_TEMPLATE.replace("{account_id}", &account_id.to_string())
}

/// `DELETE /v1/sessions/{session_id}`: revoke another device.
pub fn session(session_id: &SessionId) -> String {
    SESSION_TEMPLATE.replace("{session_id}", &session_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_paths() {
        let account = AccountId::from_bytes([0xab; 16]);
        assert_eq!(prelogin(&account), "/v1/accounts/abababab-abab-abab-abab-abababababab/prelogin");
        let session_id = SessionId::from_bytes([1; 16]);
        assert_eq!(session(&session_id), "/v1/sessions/01010101-0101-0101-0101-010101010101");
    }
}
