//! Typed ids (`sync-api-v2.md`: "Ids are lower-case hyphenated UUID strings"; `crypto-v2.md`:
//! "Ids are 16 raw bytes (a UUID's bytes)").
//!
//! Each kind of id is its own type so that passing an item id where an account id is expected is
//! a compile error. Parsing is strict: only the canonical lower-case hyphenated form is accepted,
//! so every id has exactly one spelling on the wire (no aliases in URLs, logs or rate-limit keys).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdParseError {
    /// The string is not a UUID in lower-case hyphenated form
    /// (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits `0-9a-f`).
    #[error("not a lower-case hyphenated UUID")]
    NotCanonical,
}

/// Parses the canonical form only. `Uuid::try_parse` alone would also accept upper case,
/// braces, `urn:uuid:` prefixes and the 32-digit simple form.
fn parse_canonical(s: &str) -> Result<Uuid, IdParseError> {
    let canonical_shape = s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        });
    if !canonical_shape {
        return Err(IdParseError::NotCanonical);
    }
    Uuid::try_parse(s).map_err(|_| IdParseError::NotCanonical)
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (version 4) id from the operating system's CSPRNG.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// The id whose 16 raw bytes are `bytes`.
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Uuid::from_bytes(bytes))
            }

            /// The 16 raw bytes, as bound into signed messages and AAD.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_canonical(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `Hyphenated`'s Display is lower case.
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
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

                deserializer.deserialize_str(IdVisitor)
            }
        }
    };
}

typed_id!(
    /// The random id of an account (`crypto-v2.md`: 16 bytes from the CSPRNG at `init`; not secret).
    AccountId,
    "an account id"
);
typed_id!(
    /// The random id of one vault item; bound into the item's AAD.
    ItemId,
    "an item id"
);
typed_id!(
    /// The id of one login session (one device), used to list and revoke sessions.
    SessionId,
    "a session id"
);

#[cfg(test)]
mod tests {
    use super::*;

    const CANONICAL: &str = "0123abcd-4567-89ef-0123-456789abcdef";

    #[test]
    fn display_is_lower_case_hyphenated_and_round_trips() {
        let id = AccountId::from_bytes([0xAB; 16]);
        let text = id.to_string();
        assert_eq!(text, "abababab-abab-abab-abab-abababababab");
        assert_eq!(text.parse::<AccountId>(), Ok(id));
    }

    #[test]
    fn bytes_round_trip() {
        let bytes: [u8; 16] = core::array::from_fn(|i| i as u8);
        let id = ItemId::from_bytes(bytes);
        assert_eq!(id.as_bytes(), &bytes);
        assert_eq!(id.to_string(), "00010203-0405-0607-0809-0a0b0c0d0e0f");
    }

    #[test]
    fn serde_round_trip() {
        let id: SessionId = CANONICAL.parse().expect("canonical id parses");
        let json = serde_json::to_string(&id).expect("serialises");
        assert_eq!(json, format!("\"{CANONICAL}\""));
        let back: SessionId = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, id);
    }

    #[test]
    fn rejects_every_non_canonical_spelling() {
        for bad in [
            "",
            "0123ABCD-4567-89EF-0123-456789ABCDEF",   // upper case
            "0123abcd456789ef0123456789abcdef",       // simple form
            "{0123abcd-4567-89ef-0123-456789abcdef}", // braced
            "urn:uuid:0123abcd-4567-89ef-0123-456789abcdef",
            "0123abcd-4567-89ef-0123-456789abcdeg", // not hex
            "0123abcd-4567-89ef-0123_456789abcdef", // wrong separator
            "0123abcd-4567-89ef-0123-456789abcde",  // short
            " 0123abcd-4567-89ef-0123-456789abcdef",
        ] {
            assert_eq!(bad.parse::<AccountId>(), Err(IdParseError::NotCanonical), "{bad:?}");
            let json = serde_json::to_string(bad).expect("string serialises");
            assert!(serde_json::from_str::<AccountId>(&json).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_non_string_json() {
        assert!(serde_json::from_str::<ItemId>("42").is_err());
        assert!(serde_json::from_str::<ItemId>("null").is_err());
        assert!(serde_json::from_str::<ItemId>("[1,2]").is_err());
    }

    #[test]
    fn random_ids_differ() {
        assert_ne!(AccountId::random(), AccountId::random());
    }
}
