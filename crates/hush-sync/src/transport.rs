//! The sync API v2 as a trait, so that the engine runs unchanged over HTTP, over an
//! in-process server in tests, and against a deliberately malicious server.

use hush_proto::{
    AccountId, ChallengeResponse, ChunkList, DeleteAccountRequest, ErrorCode, FileId, LoginRequest,
    LoginResponse, PreloginResponse, PullResponse, PushRequest, RegisterRequest, RekeyRequest, SessionId,
    SessionList, SessionToken,
};
use thiserror::Error;

/// What a push can come back with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored; the account's new `seq`.
    Accepted(u64),
    /// Something landed since `base_seq`: pull, merge and push again.
    Conflict(u64),
}

/// A failed call.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The server could not be reached or did not answer.
    #[error("cannot reach the server: {0}")]
    Network(String),
    /// The server answered with an error of the API.
    #[error("the server refused: {message} ({code:?}, HTTP {status})")]
    Api {
        /// HTTP status.
        status: u16,
        /// The API's error code.
        code: ErrorCode,
        /// The server's explanation.
        message: String,
    },
    /// The server's answer was not what the API says.
    #[error("the server's answer is malformed: {0}")]
    Protocol(String),
}

impl TransportError {
    /// The API error code, if the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            TransportError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the server said it is busy (503 `unavailable` or 429 `rate_limited`): the same
    /// request may succeed later.
    pub fn is_busy(&self) -> bool {
        matches!(self.code(), Some(ErrorCode::Unavailable | ErrorCode::RateLimited))
    }
}

/// Every call of sync API v2 (docs/spec/sync-api-v2.md).
pub trait Transport {
    /// `POST /v2/accounts`.
    fn register(&self, req: &RegisterRequest) -> Result<(), TransportError>;
    /// `GET /v2/accounts/{id}/prelogin`.
    fn prelogin(&self, account: &AccountId) -> Result<PreloginResponse, TransportError>;
    /// `POST /v2/sessions/challenge`.
    fn challenge(&self, account: &AccountId) -> Result<ChallengeResponse, TransportError>;
    /// `POST /v2/sessions`.
    fn login(&self, req: &LoginRequest) -> Result<LoginResponse, TransportError>;
    /// `GET /v2/vault?since=`.
    fn pull(&self, token: &SessionToken, since: u64) -> Result<PullResponse, TransportError>;
    /// `POST /v2/vault`.
    fn push(&self, token: &SessionToken, req: &PushRequest) -> Result<PushOutcome, TransportError>;
    /// `PUT /v2/keyset`; returns the new `seq`.
    fn rekey(&self, token: &SessionToken, req: &RekeyRequest) -> Result<u64, TransportError>;
    /// `GET /v2/sessions`.
    fn sessions(&self, token: &SessionToken) -> Result<SessionList, TransportError>;
    /// `DELETE /v2/sessions/current`.
    fn logout(&self, token: &SessionToken) -> Result<(), TransportError>;
    /// `DELETE /v2/sessions/{id}`.
    fn revoke(&self, token: &SessionToken, session: &SessionId) -> Result<(), TransportError>;
    /// `DELETE /v2/accounts/current`.
    fn delete_account(&self, token: &SessionToken, req: &DeleteAccountRequest) -> Result<(), TransportError>;
    /// `PUT /v2/files/{file_id}/{index}`: stores one sealed chunk (the same chunk again is fine).
    fn put_chunk(
        &self,
        token: &SessionToken,
        file: &FileId,
        index: u32,
        chunk: &[u8],
    ) -> Result<(), TransportError>;
    /// `GET /v2/files/{file_id}/{index}`; `None` when the server answers 404.
    fn get_chunk(
        &self,
        token: &SessionToken,
        file: &FileId,
        index: u32,
    ) -> Result<Option<Vec<u8>>, TransportError>;
    /// `GET /v2/files/{file_id}`: the chunks the server holds for a file.
    fn list_chunks(&self, token: &SessionToken, file: &FileId) -> Result<ChunkList, TransportError>;
    /// `DELETE /v2/files/{file_id}`.
    fn delete_file(&self, token: &SessionToken, file: &FileId) -> Result<(), TransportError>;
}
