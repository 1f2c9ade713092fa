//! hush-crypto: the primitives of `docs/spec/crypto-v2.md`, byte for byte, and nothing else.
//!
//! Every type here is named after the noun of the spec it implements (`Keyset`,
//! `ItemBlob`, `Manifest`, `SetupCode`, `AccountKey`) and its doc comment cites the
//! section. The crate does no I/O and no async; it never logs. Secret types zeroize
//! on drop and implement neither `Debug` nor `Display`, so they cannot end up in a
//! log line or a panic message by accident.
//!
//! Every decryption failure — wrong key, flipped bit, truncated blob, blob moved to
//! another id or account, wrong key version — collapses into one opaque
//! [`DecryptError`]: telling them apart would only help an attacker.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod aead;
mod auth;
mod device_name;
mod error;
mod item;
mod kdf;
mod keyset;
mod manifest;
mod secret;
mod setup_code;

pub use crate::aead::{SealedBox, open_local, open_local_in_place, seal_local};
pub use crate::auth::AuthKey;
pub use crate::device_name::{DeviceNameError, DeviceNameKey, SEALED_NAME_LEN, check_device_name};
pub use crate::error::{DecryptError, SetupCodeError};
pub use crate::item::{ItemBlob, padme};
pub use crate::kdf::{DerivedKeys, KdfSalt, derive_keys};
pub use crate::keyset::{KeyRing, Keyset, KeysetContext, MAX_RING_KEYS};
pub use crate::manifest::{
    ChainHash, Head, HeadError, MAX_WRITERS, Manifest, ManifestDigest, ManifestPayload, OpenedManifest,
    Writer, blob_hash,
};
pub use crate::secret::{AccountKey, Kek, VaultKey, random_array};
pub use crate::setup_code::{GROUP_LEN, GROUPS, SetupCode, SetupCodeProblem, TypedSetupCode};

// What the client and the server share is defined once, in hush-core (docs/architecture.md);
// it is re-exported here so that users of the cryptography need one import path.
pub use hush_core::{
    AccountId, DeviceId, FORMAT_V1, FORMAT_V2, FloorPolicy, ItemId, KdfError, KdfParams,
    delete_account_message, login_message, rekey_message, verify_signature,
};
