//! hush-ssh: the SSH keys hush keeps in its vault — Ed25519 generation, import of OpenSSH
//! private keys (Ed25519, RSA, ECDSA; encrypted ones with their passphrase), their public
//! forms, and signatures for the ssh-agent protocol, with RSA's hash chosen by the request's
//! flags (draft-miller-ssh-agent, "Signature flags"; RFC 8332).
//!
//! The CLI stores [`SshKey::to_openssh`] in an item's `ssh_key` field (docs/vault-format.md,
//! "Item format versions") and serves it with `hush ssh-agent` (docs/ssh-agent.md). Key
//! formats and the Ed25519 and ECDSA signatures are RustCrypto's `ssh-key`; RSA signatures are
//! made here with the `rsa` crate, because `ssh-key` 0.6 always signs RSA with SHA-512 and
//! rebuilds the private key from the wrong primes (see `sign.rs`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod import;
mod key;
mod sign;

pub use import::{EncryptedKey, Import, KeyError};
pub use key::{SshKey, stored_public_key};
pub use sign::{RSA_SHA2_256, RSA_SHA2_512, SignError};
pub use ssh_key;
