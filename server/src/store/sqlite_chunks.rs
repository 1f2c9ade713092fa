//! [`ChunkStore`] for the SQLite store (migration `0004_files.sql`).

use hush_proto::{AccountId, FileId};
use sha2::{Digest, Sha256};

use super::chunks::{ChunkAdmission, admit};
use super::rows::to_u64;
use super::sqlite::SqliteStore;
use super::{ChunkStore, ChunkWrite, StoreError, StoreFuture};

impl ChunkStore for SqliteStore {
    fn put_chunk(
        &self,
        account_id: AccountId,
        file_id: FileId,
        index: u32,
        chunk: Vec<u8>,
        max_file_bytes: u64,
    ) -> StoreFuture<'_, ChunkWrite> {
        Box::pin(async move {
            let account = &account_id.as_bytes()[..];
            let hash: [u8; 32] = Sha256::digest(&chunk).into();
            let mut tx = self.begin_write().await?;
            let total: Option<i64> =
                sqlx::query_scalar("SELECT file_bytes FROM accounts WHERE account_id = ?")
                    .bind(account)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(total) = total else {
                return Err(StoreError::NotFound);
            };
            let stored: Option<Vec<u8>> = sqlx::query_scalar(
                "SELECT sha256 FROM file_chunks WHERE account_id = ? AND file_id = ? AND idx = ?",
            )
            .bind(account)
            .bind(&file_id.as_bytes()[..])
            .bind(i64::from(index))
            .fetch_optional(&mut *tx)
            .await?;
            let new_total = match admit(stored.as_deref(), &hash, total, chunk.len(), max_file_bytes)? {
                ChunkAdmission::Same => return Ok(ChunkWrite::Unchanged),
                ChunkAdmission::Store { new_total } => new_total,
            };
            sqlx::query(
                "INSERT INTO file_chunks (account_id, file_id, idx, sha256, chunk) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(account)
            .bind(&file_id.as_bytes()[..])
            .bind(i64::from(index))
            .bind(&hash[..])
            .bind(chunk)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE accounts SET file_bytes = ? WHERE account_id = ?")
                .bind(new_total)
                .bind(account)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(ChunkWrite::Created)
        })
    }

    fn get_chunk(
        &self,
        account_id: AccountId,
        file_id: FileId,
        index: u32,
    ) -> StoreFuture<'_, Option<Vec<u8>>> {
        Box::pin(async move {
            Ok(sqlx::query_scalar(
                "SELECT chunk FROM file_chunks WHERE account_id = ? AND file_id = ? AND idx = ?",
            )
            .bind(&account_id.as_bytes()[..])
            .bind(&file_id.as_bytes()[..])
            .bind(i64::from(index))
            .fetch_optional(&self.pool)
            .await?)
        })
    }

    fn list_chunks(&self, account_id: AccountId, file_id: FileId) -> StoreFuture<'_, Vec<(u32, u64)>> {
        Box::pin(async move {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT idx, length(chunk) FROM file_chunks WHERE account_id = ? AND file_id = ? ORDER BY idx",
            )
            .bind(&account_id.as_bytes()[..])
            .bind(&file_id.as_bytes()[..])
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|(idx, size)| {
                    let idx = u32::try_from(idx)
                        .map_err(|_| StoreError::Backend("corrupt row in the database: idx".into()))?;
                    Ok((idx, to_u64(size, "chunk length")?))
                })
                .collect()
        })
    }

    fn delete_file(&self, account_id: AccountId, file_id: FileId) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let account = &account_id.as_bytes()[..];
            let mut tx = self.begin_write().await?;
            let freed: Option<i64> = sqlx::query_scalar(
                "SELECT sum(length(chunk)) FROM file_chunks WHERE account_id = ? AND file_id = ?",
            )
            .bind(account)
            .bind(&file_id.as_bytes()[..])
            .fetch_one(&mut *tx)
            .await?;
            let deleted = sqlx::query("DELETE FROM file_chunks WHERE account_id = ? AND file_id = ?")
                .bind(account)
                .bind(&file_id.as_bytes()[..])
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("UPDATE accounts SET file_bytes = max(0, file_bytes - ?) WHERE account_id = ?")
                .bind(freed.unwrap_or(0))
                .bind(account)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(deleted)
        })
    }

    fn file_bytes(&self, account_id: AccountId) -> StoreFuture<'_, Option<u64>> {
        Box::pin(async move {
            let total: Option<i64> =
                sqlx::query_scalar("SELECT file_bytes FROM accounts WHERE account_id = ?")
                    .bind(&account_id.as_bytes()[..])
                    .fetch_optional(&self.pool)
                    .await?;
            total.map(|t| to_u64(t, "file_bytes")).transpose()
        })
    }
}
