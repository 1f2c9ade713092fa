//! Byte strings on the wire: "Binary values are base64url without padding" (`sync-api-v2.md`).
//!
//! Decoding is strict (the `URL_SAFE_NO_PAD` engine): padding, the standard alphabet's `+` and
//! `/`, whitespace and non-zero trailing bits are all rejected, so every byte string has one
//! encoding. [`B64Array`] also checks the length, so a public key or signature of the wrong size
//! is refused while the request is parsed, before any handler runs.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(s)
}

/// A byte string of any length, serialised as base64url without padding.
///
/// Used for opaque ciphertext the server stores but cannot read: keysets, manifests, item blobs,
/// KDF salts. `Debug` prints only the length, so a stray `{:?}` never dumps a blob into a log.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct B64(pub Vec<u8>);

impl B64 {
    /// Wraps `bytes`.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The raw bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Number of raw bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The base64url (no padding) text of the bytes.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.0)
    }

    /// Parses base64url without padding.
    pub fn decode(text: &str) -> Result<Self, base64::DecodeError> {
        decode(text).map(Self)
    }
}

impl From<Vec<u8>> for B64 {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<&[u8]> for B64 {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl AsRef<[u8]> for B64 {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for B64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "B64({} bytes)", self.0.len())
    }
}

impl Serialize for B64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(B64Visitor { len: None }).map(Self)
    }
}

/// A byte string of exactly `N` bytes, serialised as base64url without padding.
///
/// Used where the spec fixes the size: Ed25519 public keys (32), signatures (64), login
/// challenges (32).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct B64Array<const N: usize>(pub [u8; N]);

impl<const N: usize> B64Array<N> {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// The base64url (no padding) text of the bytes.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// The bytes of a slice of exactly `N` bytes.
    pub fn try_from_slice(bytes: &[u8]) -> Option<Self> {
        Some(Self(bytes.try_into().ok()?))
    }
}

impl<const N: usize> From<[u8; N]> for B64Array<N> {
    fn from(bytes: [u8; N]) -> Self {
        Self(bytes)
    }
}

impl<const N: usize> AsRef<[u8]> for B64Array<N> {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl<const N: usize> fmt::Debug for B64Array<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "B64Array<{N}>({})", self.encode())
    }
}

impl<const N: usize> Serialize for B64Array<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl<'de, const N: usize> Deserialize<'de> for B64Array<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = deserializer.deserialize_str(B64Visitor { len: Some(N) })?;
        let array =
            <[u8; N]>::try_from(bytes).map_err(|_| de::Error::custom(format_args!("expected {N} bytes")))?;
        Ok(Self(array))
    }
}

/// Decodes a base64url string, optionally of a fixed decoded length.
///
/// Error messages never echo the input: it may be a signature or ciphertext.
struct B64Visitor {
    len: Option<usize>,
}

impl Visitor<'_> for B64Visitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.len {
            Some(n) => write!(f, "{n} bytes as a base64url string without padding"),
            None => f.write_str("a base64url string without padding"),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        let bytes = decode(v).map_err(|_| E::custom("invalid base64url (no padding)"))?;
        match self.len {
            Some(n) if bytes.len() != n => {
                Err(E::custom(format_args!("expected {n} bytes, got {}", bytes.len())))
            }
            _ => Ok(bytes),
        }
    }
}

/// An Ed25519 public key (`crypto-v2.md`, "Server authentication").
pub type AuthPublicKey = B64Array<32>;
/// An Ed25519 signature.
pub type Signature = B64Array<64>;
/// A login challenge: 32 random bytes.
pub type Challenge = B64Array<32>;
/// A sealed device name (`crypto-v2.md`, "Device names"): every one has the same length.
pub type SealedDeviceName = B64Array<{ crate::SEALED_DEVICE_NAME_LEN }>;

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> String {
        serde_json::to_string(s).expect("string serialises")
    }

    #[test]
    fn round_trips_every_length() {
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            let value = B64(bytes.clone());
            let text = serde_json::to_string(&value).expect("serialises");
            assert!(!text.contains('='), "no padding: {text}");
            let back: B64 = serde_json::from_str(&text).expect("deserialises");
            assert_eq!(back.0, bytes);
        }
    }

    #[test]
    fn uses_the_url_safe_alphabet() {
        let value = B64(vec![0xfb, 0xff, 0xbf]);
        assert_eq!(value.encode(), "-_-_");
        assert_eq!(serde_json::to_string(&value).expect("serialises"), "\"-_-_\"");
    }

    #[test]
    fn rejects_malformed_base64() {
        for bad in [
            "AAE=",  // padding
            "+/+/",  // standard alphabet
            "AA E",  // whitespace
            "A",     // impossible length
            "AB",    // non-zero trailing bits ("AA" is the canonical spelling)
            "AA\n",  // trailing newline
            "AA%3D", // URL-encoded
            "é",
        ] {
            assert!(serde_json::from_str::<B64>(&json(bad)).is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<B64>("12").is_err(), "a number");
        assert!(serde_json::from_str::<B64>("null").is_err(), "null");
        assert!(serde_json::from_str::<B64>("[1,2]").is_err(), "an array");
    }

    #[test]
    fn fixed_length_round_trip_and_rejection() {
        let key = B64Array([7u8; 32]);
        let text = serde_json::to_string(&key).expect("serialises");
        let back: AuthPublicKey = serde_json::from_str(&text).expect("deserialises");
        assert_eq!(back, key);

        let short = json(&B64(vec![7; 31]).encode());
        let long = json(&B64(vec![7; 33]).encode());
        let err = serde_json::from_str::<AuthPublicKey>(&short).expect_err("31 bytes refused");
        assert!(err.to_string().contains("expected 32 bytes"), "{err}");
        assert!(serde_json::from_str::<AuthPublicKey>(&long).is_err());
        assert!(serde_json::from_str::<Signature>(&text).is_err(), "32 is not 64");
    }

    #[test]
    fn error_messages_do_not_echo_input() {
        let secret = "c2VjcmV0LXNpZ25hdHVyZQ=";
        let err = serde_json::from_str::<B64>(&json(secret)).expect_err("padding refused");
        assert!(!err.to_string().contains(secret), "{err}");
    }

    #[test]
    fn debug_hides_content() {
        assert_eq!(format!("{:?}", B64(vec![1, 2, 3])), "B64(3 bytes)");
    }
}
