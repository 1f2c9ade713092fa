//! Rows as both backends store them, and their conversion into the store's types. The SQLite
//! and PostgreSQL schemas hold the same columns with the same meaning (integers as 64-bit
//! signed, byte strings as blobs), so one set of conversions serves both, and `copy` moves rows
//! between them unchanged.

use hush_proto::{AccountId, B64, KdfParams, SessionId};
use jiff::Timestamp;

use super::{AccountKeys, AccountRecord, SessionRecord, StoreError};

/// A row that cannot have been written by this code.
pub(crate) fn corrupt(what: &'static str) -> StoreError {
    StoreError::Backend(format!("corrupt row in the database: {what}").into())
}

pub(crate) fn to_i64(value: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| corrupt(what))
}

pub(crate) fn to_u64(value: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(what))
}

pub(crate) fn to_u32(value: i64, what: &'static str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(what))
}

pub(crate) fn to_array<const N: usize>(bytes: Vec<u8>, what: &'static str) -> Result<[u8; N], StoreError> {
    <[u8; N]>::try_from(bytes).map_err(|_| corrupt(what))
}

pub(crate) fn to_timestamp(seconds: i64, what: &'static str) -> Result<Timestamp, StoreError> {
    Timestamp::from_second(seconds).map_err(|_| corrupt(what))
}

/// The row of `accounts` that [`AccountRecord`] is made from.
pub(crate) type AccountRow = (i64, i64, i64, Vec<u8>, Vec<u8>, Vec<u8>, i64, i64);

pub(crate) fn account_from_row(id: AccountId, row: AccountRow) -> Result<AccountRecord, StoreError> {
    let (m_kib, t, p, salt, public_key, keyset, key_version, seq) = row;
    Ok(AccountRecord {
        id,
        keys: AccountKeys {
            kdf: KdfParams {
                m_kib: to_u32(m_kib, "kdf_m_kib")?,
                t: to_u32(t, "kdf_t")?,
                p: to_u32(p, "kdf_p")?,
                salt: B64(salt),
            },
            auth_public_key: to_array(public_key, "auth_public_key")?,
            keyset,
            key_version: to_u32(key_version, "key_version")?,
        },
        seq: to_u64(seq, "seq")?,
    })
}

/// The row of `sessions` that [`SessionRecord`] is made from.
pub(crate) type SessionRow = (Vec<u8>, Vec<u8>, Vec<u8>, Option<Vec<u8>>, i64, i64);

pub(crate) fn session_from_row(row: SessionRow) -> Result<SessionRecord, StoreError> {
    let (id, account_id, token_hash, device_name, created, last_seen) = row;
    Ok(SessionRecord {
        id: SessionId::from_bytes(to_array(id, "session_id")?),
        account_id: AccountId::from_bytes(to_array(account_id, "account_id")?),
        token_hash: to_array(token_hash, "token_hash")?,
        device_name: device_name.map(|name| to_array(name, "device_name")).transpose()?,
        created: to_timestamp(created, "created_at")?,
        last_seen: to_timestamp(last_seen, "last_seen")?,
    })
}

/// The row of `accounts` a pull starts from: keyset, key version, manifest, seq.
pub(crate) type PullHeadRow = (Vec<u8>, i64, Option<Vec<u8>>, i64);
