//! The setup code: account id and account key in a form a person can keep
//! (docs/spec/crypto-v2.md, "Setup code").

use data_encoding::BASE32_NOPAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{AccountId, AccountKey, SetupCodeError};

const PREFIX: &str = "HUSH1-";
/// 16 bytes of id, 16 of key, 2 of checksum.
const RAW_LEN: usize = 34;

/// `"HUSH1-" || groups of 5 of Base32(account_id || AK || SHA-256(account_id || AK)[0..2])`.
pub struct SetupCode;

impl SetupCode {
    /// Formats the setup code. The result holds the account key: keep it zeroizing.
    pub fn encode(account_id: &AccountId, account_key: &AccountKey) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(RAW_LEN));
        raw.extend_from_slice(account_id.as_bytes());
        raw.extend_from_slice(account_key.expose());
        let check = Sha256::digest(&raw[..]);
        raw.extend_from_slice(&check[..2]);
        let b32 = Zeroizing::new(BASE32_NOPAD.encode(&raw));
        let mut out = Zeroizing::new(String::with_capacity(PREFIX.len() + b32.len() * 6 / 5));
        out.push_str(PREFIX);
        for (i, chunk) in b32.as_bytes().chunks(5).enumerate() {
            if i > 0 {
                out.push('-');
            }
            // Base32 output is ASCII.
            out.push_str(std::str::from_utf8(chunk).expect("base32 is ASCII"));
        }
        out
    }

    /// Parses a setup code; accepts lower case, missing dashes and surrounding or
    /// inner white space, and rejects a wrong checksum with its own error.
    pub fn parse(code: &str) -> Result<(AccountId, AccountKey), SetupCodeError> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            code.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let body = cleaned.strip_prefix("HUSH1").ok_or(SetupCodeError::BadPrefix)?;
        if body.bytes().any(|b| !matches!(b, b'A'..=b'Z' | b'2'..=b'7')) {
            return Err(SetupCodeError::BadCharacters);
        }
        if BASE32_NOPAD.decode_len(body.len()).ok() != Some(RAW_LEN) {
            return Err(SetupCodeError::BadLength);
        }
        let raw =
            Zeroizing::new(BASE32_NOPAD.decode(body.as_bytes()).map_err(|_| SetupCodeError::BadLength)?);
        if raw.len() != RAW_LEN {
            return Err(SetupCodeError::BadLength);
        }
        let check = Sha256::digest(&raw[..32]);
        if check[..2] != raw[32..] {
            return Err(SetupCodeError::BadChecksum);
        }
        let id = AccountId(raw[..16].try_into().map_err(|_| SetupCodeError::BadLength)?);
        let key = AccountKey::from_slice(&raw[16..32]).ok_or(SetupCodeError::BadLength)?;
        Ok((id, key))
    }
}
