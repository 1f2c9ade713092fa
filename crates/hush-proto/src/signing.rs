//! The messages a client signs with its Ed25519 auth key, as raw bytes.
//!
//! Both start with a distinct ASCII context so that a signature made for one purpose can never be
//! replayed as the other. Only the last field of each message has a variable length, so the
//! concatenation is unambiguous.
//!
//! This is the only definition of these layouts: the server verifies with it and the client
//! signs through `hush_crypto::{login_message, rekey_message}`, which call it, so the two sides
//! cannot drift apart. `hush-crypto`'s known-answer vectors therefore test this code too.

use crate::ids::AccountId;

/// Context prefix of [`login_message`].
pub const LOGIN_CONTEXT: &[u8] = b"hush/v1/login";
/// Context prefix of [`rekey_message`].
pub const REKEY_CONTEXT: &[u8] = b"hush/v1/rekey";
/// Context prefix of [`delete_account_message`].
pub const DELETE_ACCOUNT_CONTEXT: &[u8] = b"hush/v2/delete-account";

/// `"hush/v1/login" || account_id || challenge` (`crypto-v2.md`, "Server authentication").
///
/// `account_id` is its 16 raw bytes; `challenge` is the 32 bytes from `POST /v2/sessions/challenge`.
pub fn login_message(account_id: &AccountId, challenge: &[u8; 32]) -> Vec<u8> {
    let mut message = Vec::with_capacity(LOGIN_CONTEXT.len() + 16 + challenge.len());
    message.extend_from_slice(LOGIN_CONTEXT);
    message.extend_from_slice(account_id.as_bytes());
    message.extend_from_slice(challenge);
    message
}

/// `"hush/v1/rekey" || account_id || new_public_key || new_keyset` (`sync-api-v2.md`,
/// `PUT /v2/keyset`), signed with the account's *current* auth key.
pub fn rekey_message(account_id: &AccountId, new_public_key: &[u8; 32], new_keyset: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(REKEY_CONTEXT.len() + 16 + new_public_key.len() + new_keyset.len());
    message.extend_from_slice(REKEY_CONTEXT);
    message.extend_from_slice(account_id.as_bytes());
    message.extend_from_slice(new_public_key);
    message.extend_from_slice(new_keyset);
    message
}

/// `"hush/v2/delete-account" || account_id || challenge` (`crypto-v2.md`, "Account deletion"),
/// signed with the account's *current* auth key: a session token alone cannot delete an account.
pub fn delete_account_message(account_id: &AccountId, challenge: &[u8; 32]) -> Vec<u8> {
    [DELETE_ACCOUNT_CONTEXT, account_id.as_bytes(), challenge].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_message_layout() {
        let account = AccountId::from_bytes([1; 16]);
        let message = login_message(&account, &[2; 32]);
        assert_eq!(message.len(), 13 + 16 + 32);
        assert_eq!(&message[..13], b"hush/v1/login");
        assert_eq!(&message[13..29], &[1; 16]);
        assert_eq!(&message[29..], &[2; 32]);
    }

    #[test]
    fn rekey_message_layout() {
        let account = AccountId::from_bytes([1; 16]);
        let message = rekey_message(&account, &[3; 32], &[4, 5, 6]);
        assert_eq!(&message[..13], b"hush/v1/rekey");
        assert_eq!(&message[13..29], &[1; 16]);
        assert_eq!(&message[29..61], &[3; 32]);
        assert_eq!(&message[61..], &[4, 5, 6]);
    }

    #[test]
    fn contexts_differ() {
        let account = AccountId::from_bytes([0; 16]);
        assert_ne!(login_message(&account, &[0; 32])[..13], rekey_message(&account, &[0; 32], &[])[..13]);
        // The deletion message cannot be mistaken for a login over the same challenge.
        assert_ne!(delete_account_message(&account, &[0; 32])[..13], login_message(&account, &[0; 32])[..13]);
    }
}
