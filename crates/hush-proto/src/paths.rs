//! The request paths of sync API v2, so the client and the server's router name them once.

use hush_core::{AccountId, FileId, SessionId};

/// `POST`: register.
pub const ACCOUNTS: &str = "/v2/accounts";
/// `DELETE`: delete the authenticated account.
pub const ACCOUNT_CURRENT: &str = "/v2/accounts/current";
/// `POST`: log in; `GET`: list sessions.
pub const SESSIONS: &str = "/v2/sessions";
/// `POST`: ask for a login challenge.
pub const SESSION_CHALLENGE: &str = "/v2/sessions/challenge";
/// `DELETE`: log out.
pub const SESSION_CURRENT: &str = "/v2/sessions/current";
/// `GET`: pull (`?since=`); `POST`: push.
pub const VAULT: &str = "/v2/vault";
/// `PUT`: change the master password.
pub const KEYSET: &str = "/v2/keyset";
/// `GET`: health check.
pub const HEALTH: &str = "/healthz";
/// `GET`: the OpenAPI description of the API (`docs/openapi.json`).
pub const OPENAPI: &str = "/v2/openapi.json";

/// The server router's template of [`prelogin`].
pub const PRELOGIN_TEMPLATE: &str = "/v2/accounts/{account_id}/prelogin";
/// The server router's template of [`session`].
pub const SESSION_TEMPLATE: &str = "/v2/sessions/{session_id}";

/// The server router's template of [`file()`]: `GET` lists a file's stored chunks, `DELETE`
/// removes them all.
pub const FILE_TEMPLATE: &str = "/v2/files/{file_id}";
/// The server router's template of [`chunk()`]: `PUT` stores a chunk, `GET` fetches it.
pub const CHUNK_TEMPLATE: &str = "/v2/files/{file_id}/{index}";

/// `/v2/files/{file_id}`.
pub fn file(file_id: &FileId) -> String {
    FILE_TEMPLATE.replace("{file_id}", &file_id.to_string())
}

/// `/v2/files/{file_id}/{index}`.
pub fn chunk(file_id: &FileId, index: u32) -> String {
    CHUNK_TEMPLATE.replace("{file_id}", &file_id.to_string()).replace("{index}", &index.to_string())
}

/// `GET /v2/accounts/{account_id}/prelogin`.
pub fn prelogin(account_id: &AccountId) -> String {
    PRELOGIN_TEMPLATE.replace("{account_id}", &account_id.to_string())
}

/// `DELETE /v2/sessions/{session_id}`: revoke another device.
pub fn session(session_id: &SessionId) -> String {
    SESSION_TEMPLATE.replace("{session_id}", &session_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_paths() {
        let account = AccountId::from_bytes([0xab; 16]);
        assert_eq!(prelogin(&account), "/v2/accounts/abababab-abab-abab-abab-abababababab/prelogin");
        let session_id = SessionId::from_bytes([1; 16]);
        assert_eq!(session(&session_id), "/v2/sessions/01010101-0101-0101-0101-010101010101");
        let file_id = FileId::from_bytes([2; 16]);
        assert_eq!(file(&file_id), "/v2/files/02020202-0202-0202-0202-020202020202");
        assert_eq!(chunk(&file_id, 7), "/v2/files/02020202-0202-0202-0202-020202020202/7");
    }
}
