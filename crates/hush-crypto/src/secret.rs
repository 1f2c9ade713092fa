//! Secret key types (docs/spec/crypto-v2.md, "Secrets and where they live").
//!
//! They zeroize on drop and have no `Debug`/`Display`; the only way to the bytes is
//! an explicit `expose()`, which is easy to grep for in review.

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Fills an array from the OS CSPRNG.
///
/// # Panics
/// If the operating system cannot provide randomness. Continuing without it would
/// produce predictable keys and nonces, so there is nothing safe to fall back to.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("the OS random number generator failed");
    out
}

macro_rules! secret_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Zeroize, ZeroizeOnDrop)]
        pub struct $name([u8; $len]);

        /// Constant-time comparison: key bytes must not leak through timing.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
            }
        }

        impl Eq for $name {}

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Wraps existing key bytes (from a file, the agent, or a test vector).
            pub fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// Wraps key bytes from a slice of exactly the right length.
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                Some(Self(bytes.try_into().ok()?))
            }

            /// A fresh key from the OS CSPRNG.
            pub fn generate() -> Self {
                Self(random_array())
            }

            /// The raw key bytes. Keep the borrow short and never log it.
            pub fn expose(&self) -> &[u8; $len] {
                &self.0
            }
        }
    };
}

secret_bytes!(
    /// The 128-bit account key (AK): random at `init`, kept on each device and in the
    /// setup code, never sent. Mixed into the KDF so that nothing the server holds lets
    /// anyone test a password guess (docs/spec/crypto-v2.md, "Goals" 1 and "Key derivation").
    AccountKey,
    16
);
secret_bytes!(
    /// The 256-bit vault key (VK) that seals every item and the manifest. It exists
    /// only wrapped in the keyset, and in memory while unlocked (docs/spec/crypto-v2.md, "Keyset").
    VaultKey,
    32
);
secret_bytes!(
    /// The key-encryption key derived from the master password and the account key;
    /// it wraps the vault key (docs/spec/crypto-v2.md, "Key derivation").
    Kek,
    32
);
secret_bytes!(
    /// The 256-bit key of one attached file (`FK`): random when the file is added, kept only
    /// inside the item that holds the file (sealed under the vault key like the rest of the
    /// item), never sent alone. A password change re-seals the item, not the file's chunks
    /// (docs/spec/crypto-v2.md, "Attachments").
    FileKey,
    32
);
