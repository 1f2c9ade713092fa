//! hush sync API v2 wire types, shared by the server and the sync client so the two can never
//! disagree (`docs/spec/sync-api-v2.md`).
//!
//! Everything here is plain data: typed ids, base64url byte strings, the request and response
//! bodies of every endpoint, the error body, and the two messages a client signs. There is no
//! I/O and no cryptography in this crate; the server verifies signatures with these messages and
//! the client (through `hush-crypto`) makes them.
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
mod ids;
pub mod paths;
mod secret;
mod session;
mod signing;
mod vault;

pub use account::{
    DeleteAccountRequest, KdfParams, PreloginResponse, RegisterRequest, RegisterResponse, RekeyRequest,
    RekeyResponse,
};
pub use b64::{AuthPublicKey, B64, B64Array, Challenge, SealedDeviceName, Signature};
pub use error::{ErrorBody, ErrorCode};
pub use ids::{AccountId, IdParseError, ItemId, SessionId};
pub use secret::{RegistrationCode, SessionToken};
pub use session::{
    ChallengeRequest, ChallengeResponse, LoginRequest, LoginResponse, SessionInfo, SessionList,
};
pub use signing::{
    DELETE_ACCOUNT_CONTEXT, LOGIN_CONTEXT, REKEY_CONTEXT, delete_account_message, login_message,
    rekey_message,
};
pub use vault::{PullQuery, PullResponse, PulledItem, PushRequest, PushResponse, PushedItem};

/// Length in bytes of an Ed25519 public key (`crypto-v2.md`, "Server authentication").
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length in bytes of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length in bytes of a login challenge: "32 random bytes" (`crypto-v2.md`, "Server authentication").
pub const CHALLENGE_LEN: usize = 32;
/// Length in bytes of the random session token: "a random 256-bit session token".
pub const TOKEN_LEN: usize = 32;
/// Length in bytes of a sealed device name: `0x02 || u32le(0) || nonce(24) || XSeal(65 bytes)`
/// (`crypto-v2.md`, "Device names"; `hush-crypto` checks that its own constant agrees).
pub const SEALED_DEVICE_NAME_LEN: usize = 110;
/// Length in bytes of a KDF salt (`crypto-v2.md`, "Secrets and where they live").
pub const SALT_LEN: usize = 16;
