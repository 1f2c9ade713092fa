//! Format constants of docs/spec/crypto-v2.md, and the clear header of a keyset, which the
//! server reads to know a keyset's epoch without being able to open it.

/// The first byte of a sealed structure of format version 1: every item blob, and keysets and
/// manifests written before crypto v2.
pub const FORMAT_V1: u8 = 0x01;
/// The first byte of a version-2 keyset, manifest or sealed device name.
pub const FORMAT_V2: u8 = 0x02;
/// Length of an Ed25519 public key ("Server authentication").
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of a login challenge: "32 random bytes" ("Server authentication").
pub const CHALLENGE_LEN: usize = 32;
/// Length of the random session token: "a random 256-bit session token".
pub const TOKEN_LEN: usize = 32;
/// Length of a KDF salt ("Secrets and where they live").
pub const SALT_LEN: usize = 16;
/// Length of a sealed device name: `0x02 || u32le(0) || nonce(24) || XSeal(65 bytes)` with its
/// 16-byte tag ("Device names").
pub const SEALED_DEVICE_NAME_LEN: usize = 1 + 4 + 24 + 65 + 16;
/// Bytes of plaintext in every chunk of an attached file but the last ("Attachments": `CHUNK`).
pub const FILE_CHUNK_SIZE: usize = 1 << 20;
/// What sealing adds to a chunk's plaintext: header (5), nonce (24) and tag (16).
pub const SEALED_CHUNK_OVERHEAD: usize = 1 + 4 + 24 + 16;
/// The length of every sealed chunk but the last: [`FILE_CHUNK_SIZE`] plus the overhead.
pub const FULL_SEALED_CHUNK_LEN: usize = FILE_CHUNK_SIZE + SEALED_CHUNK_OVERHEAD;
/// The shortest sealed chunk: a last chunk padded to padmé's floor of 256 bytes.
pub const MIN_SEALED_CHUNK_LEN: usize = 256 + SEALED_CHUNK_OVERHEAD;
/// The longest sealed chunk: a last chunk of [`FILE_CHUNK_SIZE`] bytes, padded to
/// `padme(FILE_CHUNK_SIZE + 1)` = 1,081,344 bytes (hush-crypto checks the number against its
/// padmé). The server refuses a larger chunk before storing anything.
pub const MAX_SEALED_CHUNK_LEN: usize = 1_081_344 + SEALED_CHUNK_OVERHEAD;
/// The clear header every sealed chunk starts with: format 2 and key version 0. Chunks are sealed
/// under their file's own key, not a vault key, so the key version means nothing and is always 0
/// ("Attachments").
pub const SEALED_CHUNK_HEADER: [u8; 5] = [FORMAT_V2, 0, 0, 0, 0];

/// What a keyset says in the clear (`format || u32le(key_version) || …`, "Keyset"): enough for a
/// server to store its epoch and refuse a rekey that does not raise it, and for a device to
/// compare epochs before it can open anything. Nothing here is authenticated until the keyset
/// is opened with the kek.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeysetHeader {
    /// [`FORMAT_V1`] (one key) or [`FORMAT_V2`] (a key ring).
    pub format: u8,
    /// The key version of the current vault key: the keyset's epoch.
    pub key_version: u32,
}

impl KeysetHeader {
    /// Reads the header of a keyset; `None` if it is too short to hold one (a header, a nonce
    /// and a tag) or names a format this version does not know.
    pub fn parse(keyset: &[u8]) -> Option<KeysetHeader> {
        const MIN_LEN: usize = 1 + 4 + 24 + 16;
        if keyset.len() < MIN_LEN || !matches!(keyset[0], FORMAT_V1 | FORMAT_V2) {
            return None;
        }
        let key_version = u32::from_le_bytes(keyset[1..5].try_into().ok()?);
        Some(KeysetHeader { format: keyset[0], key_version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyset_headers() {
        let mut keyset = vec![FORMAT_V2, 7, 0, 0, 0];
        keyset.resize(45, 9);
        assert_eq!(KeysetHeader::parse(&keyset), Some(KeysetHeader { format: FORMAT_V2, key_version: 7 }));
        keyset[0] = FORMAT_V1;
        assert_eq!(KeysetHeader::parse(&keyset).map(|h| h.format), Some(FORMAT_V1));
        keyset[0] = 3;
        assert_eq!(KeysetHeader::parse(&keyset), None);
        assert_eq!(KeysetHeader::parse(&[FORMAT_V2, 1, 0, 0, 0]), None, "no room for a nonce and a tag");
    }
}
