//! Typed ids: 16 random bytes, a UUID's bytes (crypto-v2.md, "Notation"), one type per kind of
//! id so that passing an item id where an account id is expected is a compile error.
//!
//! Text: the wire and every file hush writes use only the canonical lower-case hyphenated form
//! ([`FromStr`] and serde accept nothing else, so every id has exactly one spelling in URLs,
//! logs and rate-limit keys); [`AccountId::parse_lenient`] and its siblings also accept upper
//! case and the 32-digit form, for what a person types. Binary serialisations (bincode, in the
//! local vault file) carry the 16 raw bytes.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdParseError {
    /// The string is not a UUID in lower-case hyphenated form
    /// (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits `0-9a-f`).
    #[error("not a lower-case hyphenated UUID")]
    NotCanonical,
}

/// Whether byte `i` of a 36-character id is a dash.
fn dash_at(i: usize) -> bool {
    matches!(i, 8 | 13 | 18 | 23)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// 32 hex digits to 16 bytes.
fn from_hex(digits: impl Iterator<Item = u8>) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    let mut n = 0;
    for d in digits {
        let v = hex_value(d)?;
        let byte = out.get_mut(n / 2)?;
        *byte = (*byte << 4) | v;
        n += 1;
    }
    (n == 32).then_some(out)
}

/// The canonical form only: 36 characters, dashes at 8, 13, 18 and 23, lower-case hex.
fn parse_canonical(s: &str) -> Result<[u8; 16], IdParseError> {
    let b = s.as_bytes();
    let shaped = b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, &c)| if dash_at(i) { c == b'-' } else { matches!(c, b'0'..=b'9' | b'a'..=b'f') });
    if !shaped {
        return Err(IdParseError::NotCanonical);
    }
    from_hex(b.iter().copied().filter(|&c| c != b'-')).ok_or(IdParseError::NotCanonical)
}

/// The canonical form in any case, or 32 hex digits.
fn parse_lenient(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    match b.len() {
        32 => from_hex(b.iter().copied()),
        36 if b.iter().enumerate().all(|(i, &c)| (c == b'-') == dash_at(i)) => {
            from_hex(b.iter().copied().filter(|&c| c != b'-'))
        }
        _ => None,
    }
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// A fresh random id from the operating system's CSPRNG.
            ///
            /// # Panics
            /// If the operating system cannot provide randomness.
            pub fn random() -> Self {
                let mut bytes = [0u8; 16];
                getrandom::fill(&mut bytes).expect("the OS random number generator failed");
                Self(bytes)
            }

            /// The id whose 16 raw bytes are `bytes`.
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }

            /// The 16 raw bytes, as they enter AADs, digests and signed messages.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Parses what a person types: the canonical form in any case, or 32 hex digits.
            pub fn parse_lenient(s: &str) -> Option<Self> {
                parse_lenient(s).map(Self)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            /// The canonical lower-case hyphenated form only.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_canonical(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            /// The canonical lower-case hyphenated form.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for (i, b) in self.0.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    serializer.collect_str(self)
                } else {
                    self.0.serialize(serializer)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct IdVisitor;

                impl Visitor<'_> for IdVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!($what, " as a lower-case hyphenated UUID string"))
                    }

                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        v.parse().map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
                    }
                }

                if deserializer.is_human_readable() {
                    deserializer.deserialize_str(IdVisitor)
                } else {
                    <[u8; 16]>::deserialize(deserializer).map($name)
                }
            }
        }
    };
}

typed_id!(
    /// The random id of an account, drawn at `init`; bound into every AAD so that nothing sealed
    /// for one account opens under another. Not secret.
    AccountId,
    "an account id"
);
typed_id!(
    /// The random id of an item; bound into the item's AAD so that swapping blobs between ids
    /// fails to decrypt (crypto-v2.md, "Items").
    ItemId,
    "an item id"
);
typed_id!(
    /// The id of one login session (one device), to list and revoke sessions.
    SessionId,
    "a session id"
);
typed_id!(
    /// The random id of one device's vault, drawn on its first push and named in every manifest
    /// it writes (crypto-v2.md, "Manifest"). Not secret from the owner; never sent in the clear.
    DeviceId,
    "a device id"
);
typed_id!(
    /// The random id of one attached file, drawn when the file is added (crypto-v2.md,
    /// "Attachments"). It names the file's chunks on the server and is bound into each chunk's
    /// AAD; a changed file is a new file with a new id. Not secret.
    FileId,
    "a file id"
);

#[cfg(test)]
mod tests {
    use super::*;

    const CANONICAL: &str = "0123abcd-4567-89ef-0123-456789abcdef";

    #[test]
    fn display_is_lower_case_hyphenated_and_round_trips() {
        let id = ItemId([
            0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
        ]);
        assert_eq!(id.to_string(), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        assert_eq!(id.to_string().parse::<ItemId>(), Ok(id));
        assert_eq!(ItemId::parse_lenient("0F1E2D3C4B5A69788796A5B4C3D2E1F0"), Some(id));
        assert_eq!(ItemId::parse_lenient("0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"), Some(id));
    }

    #[test]
    fn strict_parsing_rejects_every_non_canonical_spelling() {
        for bad in [
            "",
            "0123ABCD-4567-89EF-0123-456789ABCDEF",
            "0123abcd456789ef0123456789abcdef",
            "{0123abcd-4567-89ef-0123-456789abcdef}",
            "urn:uuid:0123abcd-4567-89ef-0123-456789abcdef",
            "0123abcd-4567-89ef-0123-456789abcdeg",
            "0123abcd-4567-89ef-0123_456789abcdef",
            "0123abcd-4567-89ef-0123-456789abcde",
            " 0123abcd-4567-89ef-0123-456789abcdef",
        ] {
            assert_eq!(bad.parse::<AccountId>(), Err(IdParseError::NotCanonical), "{bad:?}");
            let json = serde_json::to_string(bad).expect("string serialises");
            assert!(serde_json::from_str::<AccountId>(&json).is_err(), "{bad:?}");
        }
        for bad in ["", "xyz", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f", "+f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"]
        {
            assert_eq!(AccountId::parse_lenient(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn json_carries_the_string_and_bincode_the_bytes() {
        let id: SessionId = CANONICAL.parse().expect("canonical id parses");
        let json = serde_json::to_string(&id).expect("serialises");
        assert_eq!(json, format!("\"{CANONICAL}\""));
        assert_eq!(serde_json::from_str::<SessionId>(&json).expect("deserialises"), id);
        for bad in ["42", "null", "[1,2]"] {
            assert!(serde_json::from_str::<ItemId>(bad).is_err(), "{bad}");
        }
        // The same bytes as a plain [u8; 16], so the vault file's layouts do not change.
        let bytes = bincode::serialize(&id).expect("bincode");
        assert_eq!(bytes, bincode::serialize(&id.0).expect("bincode"));
        assert_eq!(bincode::deserialize::<SessionId>(&bytes).expect("back"), id);
    }

    #[test]
    fn random_ids_differ() {
        assert_ne!(DeviceId::random(), DeviceId::random());
    }
}
