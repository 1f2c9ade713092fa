//! Account and item ids: 16 random bytes (a UUID's bytes), not secret (spec: Notation).

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// A fresh random id from the OS CSPRNG.
            pub fn random() -> Self {
                Self(crate::secret::random_array())
            }

            /// The 16 raw bytes, as they enter AADs and digests.
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Parses the lower- or upper-case hyphenated UUID form (or 32 hex digits).
            pub fn parse(s: &str) -> Option<Self> {
                let hex: String = s.chars().filter(|c| *c != '-').collect();
                let dashes_ok = s.len() == 32
                    || (s.len() == 36 && s.char_indices().all(|(i, c)| (c == '-') == matches!(i, 8 | 13 | 18 | 23)));
                if hex.len() != 32 || !dashes_ok || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                let mut out = [0u8; 16];
                for (i, byte) in out.iter_mut().enumerate() {
                    *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
                }
                Some(Self(out))
            }
        }

        impl fmt::Display for $name {
            /// Lower-case hyphenated UUID form, as the sync API writes ids.
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
                write!(f, "{}({self})", stringify!($name))
            }
        }
    };
}

id_type!(
    /// The random id of an account; bound into every AAD so that nothing sealed for
    /// one account opens under another.
    AccountId
);
id_type!(
    /// The random id of one device's vault, drawn on its first push and named in every manifest
    /// it writes (docs/spec/crypto-v2.md, "Manifest"). Not secret from the owner; never sent in
    /// the clear.
    DeviceId
);
id_type!(
    /// The random id of an item; bound into the item's AAD so that swapping blobs
    /// between ids fails to decrypt (spec: Items).
    ItemId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips() {
        let id = ItemId([
            0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
        ]);
        assert_eq!(id.to_string(), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        assert_eq!(ItemId::parse(&id.to_string()), Some(id));
        assert_eq!(ItemId::parse("0F1E2D3C4B5A69788796A5B4C3D2E1F0"), Some(id));
    }

    #[test]
    fn parse_rejects_garbage() {
        for bad in [
            "",
            "xyz",
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f",
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg",
            "+f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        ] {
            assert_eq!(AccountId::parse(bad), None, "{bad}");
        }
    }
}
