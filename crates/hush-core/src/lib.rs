//! hush-core: the few definitions that hush's client and its sync server must agree on byte for
//! byte, in one place — as `age-core` is to age.
//!
//! Typed ids ([`AccountId`], [`ItemId`], [`SessionId`], [`DeviceId`], [`FileId`]), the KDF parameters with
//! their floor and ceiling ([`KdfParams`]), the format constants of docs/spec/crypto-v2.md, the
//! clear header of a keyset ([`KeysetHeader`]), the three messages a client signs
//! ([`login_message`], [`rekey_message`], [`delete_account_message`]) and their verification
//! ([`verify_signature`]). Both `hush-crypto` (which seals and opens) and `hush-proto` (the
//! wire types the server speaks) build on this crate; the server links it without linking
//! anything that decrypts. No I/O, no async, no secrets.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod format;
mod ids;
mod kdf;
mod messages;
mod signature;

pub use crate::format::{
    CHALLENGE_LEN, FILE_CHUNK_SIZE, FORMAT_V1, FORMAT_V2, FULL_SEALED_CHUNK_LEN, KeysetHeader,
    MAX_SEALED_CHUNK_LEN, MIN_SEALED_CHUNK_LEN, PUBLIC_KEY_LEN, SALT_LEN, SEALED_CHUNK_HEADER,
    SEALED_CHUNK_OVERHEAD, SEALED_DEVICE_NAME_LEN, SIGNATURE_LEN, TOKEN_LEN,
};
pub use crate::ids::{AccountId, DeviceId, FileId, IdParseError, ItemId, SessionId};
pub use crate::kdf::{FloorPolicy, KdfError, KdfParams};
pub use crate::messages::{
    DELETE_ACCOUNT_CONTEXT, LOGIN_CONTEXT, REKEY_CONTEXT, delete_account_message, login_message,
    rekey_message,
};
pub use crate::signature::verify_signature;
