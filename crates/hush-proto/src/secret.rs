//! Bearer secrets that travel in the API: session tokens and registration codes.
//!
//! They are plain strings on the wire, but `Debug` is redacted and there is no `Display`, so a
//! `{:?}` in a log line or a panic message cannot leak one (docs/architecture.md, "Conventions the code relies on": no secret
//! in logs or panics). Use [`SessionToken::expose`] where the value is really needed.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret string.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret itself. Never log it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_string!(
    /// A session token: 32 random bytes in base64url, sent as `Authorization: Bearer <token>`.
    /// The server keeps only its SHA-256 (`crypto-v2.md`, "Server authentication").
    SessionToken
);
secret_string!(
    /// A single-use registration (invite) code made by `hush-server invite`.
    RegistrationCode
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let token = SessionToken::new("very-secret");
        assert_eq!(format!("{token:?}"), "SessionToken(<redacted>)");
        let code = RegistrationCode::new("invite-secret");
        assert!(!format!("{code:?}").contains("invite-secret"));
    }

    #[test]
    fn serialises_as_a_plain_string() {
        let token = SessionToken::new("abc");
        assert_eq!(serde_json::to_string(&token).expect("serialises"), "\"abc\"");
        let back: SessionToken = serde_json::from_str("\"abc\"").expect("deserialises");
        assert_eq!(back.expose(), "abc");
    }
}
