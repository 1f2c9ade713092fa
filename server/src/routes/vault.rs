//! The vault (`sync-api-v1.md`, "Vault"): pull and push.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use hush_proto::{B64, PullQuery, PullResponse, PulledItem, PushRequest, PushResponse, paths};

use crate::auth::AuthSession;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::store::{PushBatch, Quotas};
use crate::validate;

/// The vault routes.
pub fn router() -> Router<AppState> {
    Router::new().route(paths::VAULT, get(pull_vault).post(push_vault))
}

/// `GET /v1/vault?since=<seq>`: everything that changed after `seq`, from one snapshot.
async fn pull_vault(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let snapshot = state.store.pull(auth.account_id, query.since).await?;
    Ok(Json(PullResponse {
        seq: snapshot.seq,
        keyset: B64(snapshot.keyset),
        key_version: snapshot.key_version,
        manifest: snapshot.manifest.map(B64),
        items: snapshot
            .items
            .into_iter()
            .map(|item| PulledItem { id: item.id, seq: item.seq, blob: B64(item.blob) })
            .collect(),
    }))
}

/// `POST /v1/vault`: all of a push is applied or none of it. 200 `{"seq"}`; 409 `conflict`
/// with the current seq when `base_seq` is stale; 413 for an oversized blob; 507 past a quota.
async fn push_vault(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiJson(request): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let limits = &state.config.limits;
    validate::manifest(&request.manifest)?;
    validate::pushed_items(&request.items, limits.max_blob_bytes)?;
    let batch = PushBatch {
        base_seq: request.base_seq,
        manifest: request.manifest.into_bytes(),
        items: request.items.into_iter().map(|item| (item.id, item.blob.into_bytes())).collect(),
    };
    let quotas = Quotas { max_items: limits.max_items_per_account, max_bytes: limits.max_account_bytes };
    let seq = state.store.push(auth.account_id, batch, quotas).await?;
    Ok(Json(PushResponse { seq }))
}
