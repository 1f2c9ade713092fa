//! The messages a client signs with its Ed25519 auth key, as raw bytes (docs/spec/crypto-v2.md,
//! "Server authentication", "Password change and key rotation", "Account deletion").
//!
//! Each starts with a distinct ASCII context, so that a signature made for one purpose can never
//! be replayed as another. Only the last field of each message has a variable length, so the
//! concatenation is unambiguous. This is the only definition of these layouts: the client signs
//! them (through `hush-crypto`) and the server verifies them, so the two cannot drift apart.

use crate::AccountId;

/// Context prefix of [`login_message`].
pub const LOGIN_CONTEXT: &[u8] = b"hush/v1/login";
/// Context prefix of [`rekey_message`].
pub const REKEY_CONTEXT: &[u8] = b"hush/v1/rekey";
/// Context prefix of [`delete_account_message`].
pub const DELETE_ACCOUNT_CONTEXT: &[u8] = b"hush/v2/delete-account";

/// `"hush/v1/login" || account_id || challenge`, over the 32 bytes of a login challenge.
pub fn login_message(account_id: &AccountId, challenge: &[u8; 32]) -> Vec<u8> {
    [LOGIN_CONTEXT, account_id.as_bytes(), challenge].concat()
}

/// `"hush/v1/rekey" || account_id || new_public_key || new_keyset`, signed with the account's
/// *current* auth key on a master password change.
pub fn rekey_message(account_id: &AccountId, new_public_key: &[u8; 32], new_keyset: &[u8]) -> Vec<u8> {
    [REKEY_CONTEXT, account_id.as_bytes(), new_public_key, new_keyset].concat()
}

/// `"hush/v2/delete-account" || account_id || challenge`, signed with the account's *current*
/// auth key: a session token alone cannot delete an account.
pub fn delete_account_message(account_id: &AccountId, challenge: &[u8; 32]) -> Vec<u8> {
    [DELETE_ACCOUNT_CONTEXT, account_id.as_bytes(), challenge].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let account = AccountId([1; 16]);
        let login = login_message(&account, &[2; 32]);
        assert_eq!(login, [b"hush/v1/login".as_slice(), &[1; 16], &[2; 32]].concat());
        let rekey = rekey_message(&account, &[3; 32], &[4, 5, 6]);
        assert_eq!(rekey, [b"hush/v1/rekey".as_slice(), &[1; 16], &[3; 32], &[4, 5, 6]].concat());
        let delete = delete_account_message(&account, &[2; 32]);
        assert_eq!(delete, [b"hush/v2/delete-account".as_slice(), &[1; 16], &[2; 32]].concat());
    }

    #[test]
    fn contexts_differ_so_no_signature_serves_two_purposes() {
        let contexts = [LOGIN_CONTEXT, REKEY_CONTEXT, DELETE_ACCOUNT_CONTEXT];
        for (i, a) in contexts.iter().enumerate() {
            for b in &contexts[i + 1..] {
                assert!(!a.starts_with(b) && !b.starts_with(a), "{a:?} / {b:?}");
            }
        }
    }
}
