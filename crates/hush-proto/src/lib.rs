//! hush sync API v2 wire types, shared by the server and the sync client so the two can never
//! disagree (`docs/spec/sync-api-v2.md`).
//!
//! Everything here is plain data: base64url byte strings, the request and response bodies of
//! every endpoint, and the error body. There is no I/O and no cryptography in this crate. Ids,
//! the messages a client signs and the shared constants come from `hush-core` and are
//! re-exported here.
//!
//! Conventions of the spec that these types enforce on (de)serialisation:
//! - ids are lower-case hyphenated UUID strings ([`AccountId`], [`ItemId`], [`SessionId`]);
//! - binary values are base64url without padding ([`B64`], [`B64Array`]);
//! - request bodies reject unknown fields, so a typo in a client is an error rather than a
//!   silently ignored value.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account;
mod b64;
mod error;
mod files;
pub mod paths;
mod secret;
mod session;
mod vault;

pub use account::{
    DeleteAccountRequest, KdfParams, PreloginResponse, RegisterRequest, RegisterResponse, RekeyRequest,
    RekeyResponse,
};
pub use b64::{AuthPublicKey, B64, B64Array, Challenge, SealedDeviceName, Signature};
pub use error::{ErrorBody, ErrorCode};
pub use files::{ChunkList, StoredChunk};
// Ids, the signed messages and the constants the server checks are defined once, in hush-core
// (docs/architecture.md), and re-exported here for the wire.
pub use hush_core::{
    AccountId, CHALLENGE_LEN, DELETE_ACCOUNT_CONTEXT, FULL_SEALED_CHUNK_LEN, FileId, IdParseError, ItemId,
    LOGIN_CONTEXT, MAX_SEALED_CHUNK_LEN, MIN_SEALED_CHUNK_LEN, PUBLIC_KEY_LEN, REKEY_CONTEXT, SALT_LEN,
    SEALED_CHUNK_HEADER, SEALED_DEVICE_NAME_LEN, SIGNATURE_LEN, SessionId, TOKEN_LEN, delete_account_message,
    login_message, rekey_message,
};
pub use secret::{RegistrationCode, SessionToken};
pub use session::{
    ChallengeRequest, ChallengeResponse, LoginRequest, LoginResponse, SessionInfo, SessionList,
};
pub use vault::{PullQuery, PullResponse, PulledItem, PushRequest, PushResponse, PushedItem};
