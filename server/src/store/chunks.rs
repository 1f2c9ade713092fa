//! The storage of attached files' chunks (`docs/spec/sync-api-v2.md`, "Files"), a trait of its own
//! so that each backend keeps it in a file of its own (`sqlite_chunks.rs`).
//!
//! A chunk is stored under `(account, file id, index)`. Files are immutable: storing a chunk again
//! with the same bytes changes nothing, with other bytes it is refused. The account's running
//! total of chunk bytes is checked against the file quota before anything is written.

use hush_proto::{AccountId, FileId};

use super::{QuotaKind, StoreError, StoreFuture};
use crate::store::rows::to_u64;

/// What storing a chunk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkWrite {
    /// The chunk is new and was stored.
    Created,
    /// The very same chunk was stored already; nothing changed.
    Unchanged,
}

/// Chunks of attached files. Every method is one transaction.
pub trait ChunkStore {
    /// Stores chunk `index` of `file_id` unless the account's chunks would then exceed
    /// `max_file_bytes`. Errors: [`StoreError::ChunkExists`](super::StoreError::ChunkExists) for
    /// other bytes at the same place, [`StoreError::Quota`](super::StoreError::Quota) with
    /// [`QuotaKind::Files`](super::QuotaKind::Files), [`StoreError::NotFound`](super::StoreError::NotFound)
    /// for an unknown account; on any error nothing is written.
    fn put_chunk(
        &self,
        account_id: AccountId,
        file_id: FileId,
        index: u32,
        chunk: Vec<u8>,
        max_file_bytes: u64,
    ) -> StoreFuture<'_, ChunkWrite>;

    /// Chunk `index` of `file_id`, if the account has it.
    fn get_chunk(
        &self,
        account_id: AccountId,
        file_id: FileId,
        index: u32,
    ) -> StoreFuture<'_, Option<Vec<u8>>>;

    /// The indexes and sizes of the chunks the account holds for `file_id`, in index order.
    fn list_chunks(&self, account_id: AccountId, file_id: FileId) -> StoreFuture<'_, Vec<(u32, u64)>>;

    /// Deletes every chunk of `file_id`; returns how many there were.
    fn delete_file(&self, account_id: AccountId, file_id: FileId) -> StoreFuture<'_, u64>;

    /// The total size of the account's chunks (`None` for an unknown account).
    fn file_bytes(&self, account_id: AccountId) -> StoreFuture<'_, Option<u64>>;
}

/// What an upload may do, decided the same way by every backend from what it read under the
/// account's lock: the hash of the chunk already stored at that place, if any, and the account's
/// running total of chunk bytes.
pub(crate) enum ChunkAdmission {
    /// The very same chunk is there: nothing to write.
    Same,
    /// Store it; the account's total becomes this.
    Store { new_total: i64 },
}

/// Files are immutable (other bytes at a taken place are refused) and the file quota is checked
/// before anything is written (docs/spec/sync-api-v2.md, "Files").
pub(crate) fn admit(
    stored_hash: Option<&[u8]>,
    hash: &[u8; 32],
    total: i64,
    len: usize,
    max_file_bytes: u64,
) -> Result<ChunkAdmission, StoreError> {
    match stored_hash {
        Some(stored) if stored == hash => return Ok(ChunkAdmission::Same),
        Some(_) => return Err(StoreError::ChunkExists),
        None => {}
    }
    let new_total = to_u64(total, "file_bytes")?.saturating_add(len as u64);
    if new_total > max_file_bytes {
        return Err(StoreError::Quota(QuotaKind::Files));
    }
    Ok(ChunkAdmission::Store { new_total: i64::try_from(new_total).unwrap_or(i64::MAX) })
}
