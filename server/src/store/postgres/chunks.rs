//! [`ChunkStore`] for the PostgreSQL store (migration `postgres/0002_files.sql`). Uploads and
//! deletions lock the account's row first, as every writer of an account does (see the module
//! comment of `postgres/mod.rs`), so that two instances never both pass the file quota.

use hush_proto::{AccountId, FileId};
use sha2::{Digest, Sha256};

use super::{OrUnavailable as _, PgStore, detached};
use crate::store::chunks::{ChunkAdmission, admit};
use crate::store::rows::to_u64;
use crate::store::{ChunkStore, ChunkWrite, StoreError, StoreFuture};

impl ChunkStore for PgStore {
    fn put_chunk(
        &self,
        account_id: AccountId,
        file_id: FileId,
        index: u32,
        chunk: Vec<u8>,
        max_file_bytes: u64,
    ) -> StoreFuture<'_, ChunkWrite> {
        detached(&self.pool, move |pool| async move {
            let account = account_id.as_bytes().to_vec();
            let file = file_id.as_bytes().to_vec();
            let hash: [u8; 32] = Sha256::digest(&chunk).into();
            let mut tx = pool.begin().await.pg()?;
            let total: Option<i64> =
                sqlx::query_scalar("SELECT file_bytes FROM accounts WHERE account_id = $1 FOR UPDATE")
                    .bind(&account)
                    .fetch_optional(&mut *tx)
                    .await
                    .pg()?;
            let Some(total) = total else {
                return Err(StoreError::NotFound);
            };
            let stored: Option<Vec<u8>> = sqlx::query_scalar(
                "SELECT sha256 FROM file_chunks WHERE account_id = $1 AND file_id = $2 AND idx = $3",
            )
            .bind(&account)
            .bind(&file)
            .bind(i64::from(index))
            .fetch_optional(&mut *tx)
            .await
            .pg()?;
            let new_total = match admit(stored.as_deref(), &hash, total, chunk.len(), max_file_bytes)? {
                ChunkAdmission::Same => return Ok(ChunkWrite::Unchanged),
                ChunkAdmission::Store { new_total } => new_total,
            };
            sqlx::query(
                "INSERT INTO file_chunks (account_id, file_id, idx, sha256, chunk) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&account)
            .bind(&file)
            .bind(i64::from(index))
            .bind(&hash[..])
            .bind(chunk)
            .execute(&mut *tx)
            .await
            .pg()?;
            sqlx::query("UPDATE accounts SET file_bytes = $1 WHERE account_id = $2")
                .bind(new_total)
                .bind(&account)
                .execute(&mut *tx)
                .await
                .pg()?;
            tx.commit().await.pg()?;
            Ok(ChunkWrite::Created)
        })
    }

    fn get_chunk(
        &self,
        account_id: AccountId,
        file_id: FileId,
        index: u32,
    ) -> StoreFuture<'_, Option<Vec<u8>>> {
        detached(&self.pool, move |pool| async move {
            sqlx::query_scalar(
                "SELECT chunk FROM file_chunks WHERE account_id = $1 AND file_id = $2 AND idx = $3",
            )
            .bind(account_id.as_bytes().to_vec())
            .bind(file_id.as_bytes().to_vec())
            .bind(i64::from(index))
            .fetch_optional(&pool)
            .await
            .pg()
        })
    }

    fn list_chunks(&self, account_id: AccountId, file_id: FileId) -> StoreFuture<'_, Vec<(u32, u64)>> {
        detached(&self.pool, move |pool| async move {
            let rows: Vec<(i64, i32)> = sqlx::query_as(
                "SELECT idx, octet_length(chunk) FROM file_chunks
                 WHERE account_id = $1 AND file_id = $2 ORDER BY idx",
            )
            .bind(account_id.as_bytes().to_vec())
            .bind(file_id.as_bytes().to_vec())
            .fetch_all(&pool)
            .await
            .pg()?;
            rows.into_iter()
                .map(|(idx, size)| {
                    let idx = u32::try_from(idx)
                        .map_err(|_| StoreError::Backend("corrupt row in the database: idx".into()))?;
                    Ok((idx, to_u64(i64::from(size), "chunk length")?))
                })
                .collect()
        })
    }

    fn delete_file(&self, account_id: AccountId, file_id: FileId) -> StoreFuture<'_, u64> {
        detached(&self.pool, move |pool| async move {
            let account = account_id.as_bytes().to_vec();
            let file = file_id.as_bytes().to_vec();
            let mut tx = pool.begin().await.pg()?;
            // The account's row first, as every writer (the module comment of postgres/mod.rs).
            sqlx::query("SELECT 1 FROM accounts WHERE account_id = $1 FOR UPDATE")
                .bind(&account)
                .execute(&mut *tx)
                .await
                .pg()?;
            let freed: Option<i64> = sqlx::query_scalar(
                "SELECT sum(octet_length(chunk))::bigint FROM file_chunks WHERE account_id = $1 AND file_id = $2",
            )
            .bind(&account)
            .bind(&file)
            .fetch_one(&mut *tx)
            .await
            .pg()?;
            let deleted = sqlx::query("DELETE FROM file_chunks WHERE account_id = $1 AND file_id = $2")
                .bind(&account)
                .bind(&file)
                .execute(&mut *tx)
                .await
                .pg()?
                .rows_affected();
            sqlx::query(
                "UPDATE accounts SET file_bytes = greatest(0, file_bytes - $1) WHERE account_id = $2",
            )
            .bind(freed.unwrap_or(0))
            .bind(&account)
            .execute(&mut *tx)
            .await
            .pg()?;
            tx.commit().await.pg()?;
            Ok(deleted)
        })
    }

    fn file_bytes(&self, account_id: AccountId) -> StoreFuture<'_, Option<u64>> {
        detached(&self.pool, move |pool| async move {
            let total: Option<i64> =
                sqlx::query_scalar("SELECT file_bytes FROM accounts WHERE account_id = $1")
                    .bind(account_id.as_bytes().to_vec())
                    .fetch_optional(&pool)
                    .await
                    .pg()?;
            total.map(|t| to_u64(t, "file_bytes")).transpose()
        })
    }
}
