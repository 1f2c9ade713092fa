//! Attached files (`docs/spec/sync-api-v2.md`, "Files"): the sealed chunks of files, stored,
//! fetched, listed and deleted by the account's devices.
//!
//! The server cannot open a chunk; it checks only its shape: the clear header every chunk starts
//! with and a length sealing can produce (`hush_core`'s chunk constants). Chunk bodies travel as
//! `application/octet-stream`, never as base64 in JSON: a chunk is about 1 MiB.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hush_proto::{
    ChunkList, FileId, MAX_SEALED_CHUNK_LEN, MIN_SEALED_CHUNK_LEN, SEALED_CHUNK_HEADER, StoredChunk, paths,
};

use crate::auth::AuthSession;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::state::AppState;
use crate::store::ChunkWrite;

/// The content type of a chunk, both ways.
const OCTET_STREAM: &str = "application/octet-stream";

/// The file routes. A chunk upload may be as large as the largest sealed chunk, and no larger,
/// whatever the server's general body limit.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route(paths::FILE_TEMPLATE, get(list_chunks).delete(delete_file)).route(
        paths::CHUNK_TEMPLATE,
        get(get_chunk).put(put_chunk).layer(axum::extract::DefaultBodyLimit::max(MAX_SEALED_CHUNK_LEN)),
    )
}

/// A raw request body, with axum's rejections (a body over the limit) in the API's format.
struct ChunkBody(Bytes);

impl<S: Send + Sync> FromRequest<S> for ChunkBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_octet_stream(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
            Err(err) => Err(ApiError::BadRequest(err.body_text().into())),
        }
    }
}

fn is_octet_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OCTET_STREAM))
}

fn too_large() -> ApiError {
    ApiError::TooLarge(format!("a chunk is at most {MAX_SEALED_CHUNK_LEN} bytes").into())
}

/// `PUT /v2/files/{file_id}/{index}`: 201 when stored, 200 when the very same chunk was there
/// already; 409 `file_exists` for other bytes at the same place; 507 `quota` past the account's
/// file quota (checked before anything is written).
async fn put_chunk(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiPath((file_id, index)): ApiPath<(FileId, u32)>,
    ChunkBody(chunk): ChunkBody,
) -> Result<StatusCode, ApiError> {
    if chunk.len() > MAX_SEALED_CHUNK_LEN {
        return Err(too_large());
    }
    if chunk.len() < MIN_SEALED_CHUNK_LEN || chunk[..SEALED_CHUNK_HEADER.len()] != SEALED_CHUNK_HEADER {
        return Err(ApiError::BadRequest(
            "not a sealed chunk: it must start with 0x02 00 00 00 00 and hold at least 301 bytes".into(),
        ));
    }
    let max = state.config.limits.max_file_bytes_per_account;
    match state.store.put_chunk(auth.account_id, file_id, index, chunk.to_vec(), max).await? {
        ChunkWrite::Created => Ok(StatusCode::CREATED),
        ChunkWrite::Unchanged => Ok(StatusCode::OK),
    }
}

/// `GET /v2/files/{file_id}/{index}`: the sealed chunk as it was stored; 404 if there is none.
async fn get_chunk(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiPath((file_id, index)): ApiPath<(FileId, u32)>,
) -> Result<Response, ApiError> {
    let chunk =
        state.store.get_chunk(auth.account_id, file_id, index).await?.ok_or(ApiError::NotFound("chunk"))?;
    Ok(([(header::CONTENT_TYPE, OCTET_STREAM)], chunk).into_response())
}

/// `GET /v2/files/{file_id}`: the indexes and sizes of the chunks stored for the file (none for
/// a file the server does not know).
async fn list_chunks(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiPath(file_id): ApiPath<FileId>,
) -> Result<Json<ChunkList>, ApiError> {
    let chunks = state.store.list_chunks(auth.account_id, file_id).await?;
    Ok(Json(ChunkList {
        chunks: chunks.into_iter().map(|(index, size)| StoredChunk { index, size }).collect(),
    }))
}

/// `DELETE /v2/files/{file_id}`: removes every chunk of the file; 204 whether there were any.
async fn delete_file(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiPath(file_id): ApiPath<FileId>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_file(auth.account_id, file_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
