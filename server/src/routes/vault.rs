//! The vault (`docs/spec/sync-api-v2.md`, "Vault"): pull and push.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hush_proto::{PullQuery, PushRequest, PushResponse, paths};

use crate::auth::AuthSession;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::quota::{self, PushSize};
use crate::state::AppState;
use crate::store::{PushBatch, Quotas, VaultSnapshot};
use crate::validate;

/// The vault routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route(paths::VAULT, get(pull_vault).post(push_vault))
}

/// `GET /v2/vault?since=<seq>`: everything that changed after `seq`, from one snapshot.
async fn pull_vault(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Response, ApiError> {
    let snapshot = state.store.pull(auth.account_id, query.since).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], pull_json(&snapshot)).into_response())
}

/// The JSON of a [`PullResponse`] for `snapshot`, written by hand.
///
/// A full pull of 10,000 items is about 4.8 MB of base64url, and serialising it through
/// serde spent about 30% of the request in a `String` per blob and in scanning every
/// character for escapes (docs/benchmarks.md, S3). Nothing here needs escaping: the
/// numbers are integers, ids are hyphenated hex, and the base64url alphabet has no
/// character JSON escapes. A test checks that the result equals serde's.
fn pull_json(snapshot: &VaultSnapshot) -> String {
    use std::fmt::Write;

    let blobs: usize = snapshot.items.iter().map(|i| i.blob.len()).sum();
    let mut out = String::with_capacity(128 + blobs.div_ceil(3) * 4 + snapshot.items.len() * 80);
    // Writing to a String cannot fail.
    let _ = write!(out, r#"{{"seq":{},"keyset":""#, snapshot.seq);
    URL_SAFE_NO_PAD.encode_string(&snapshot.keyset, &mut out);
    let _ = write!(out, r#"","key_version":{}"#, snapshot.key_version);
    if let Some(manifest) = &snapshot.manifest {
        out.push_str(r#","manifest":""#);
        URL_SAFE_NO_PAD.encode_string(manifest, &mut out);
        out.push('"');
    }
    out.push_str(r#","items":["#);
    for (i, item) in snapshot.items.iter().enumerate() {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(out, r#"{comma}{{"id":"{}","seq":{},"blob":""#, item.id, item.seq);
        URL_SAFE_NO_PAD.encode_string(&item.blob, &mut out);
        out.push_str(r#""}"#);
    }
    out.push_str("]}");
    out
}

/// `POST /v2/vault`: all of a push is applied or none of it. 200 `{"seq"}`; 409 `conflict`
/// with the current seq when `base_seq` is stale; 413 for an oversized blob; 507 past a quota.
async fn push_vault(
    State(state): State<AppState>,
    auth: AuthSession,
    ApiJson(request): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let limits = &state.config.limits;
    validate::manifest(&request.manifest)?;
    validate::pushed_items(&request.items, limits.max_blob_bytes)?;
    let quotas = Quotas { max_items: limits.max_items_per_account, max_bytes: limits.max_account_bytes };
    // A push certain to be refused is refused before it queues for the write lock, which all
    // accounts share (src/quota.rs); `push` below repeats the checks authoritatively.
    let usage = state.store.usage(auth.account_id).await?.ok_or(ApiError::NotFound("account"))?;
    quota::check_before_write(usage, request.base_seq, PushSize::of(&request.items), quotas)?;
    let batch = PushBatch {
        base_seq: request.base_seq,
        manifest: request.manifest.into_bytes(),
        items: request.items.into_iter().map(|item| (item.id, item.blob.into_bytes())).collect(),
    };
    let seq = state.store.push(auth.account_id, batch, quotas).await?;
    Ok(Json(PushResponse { seq }))
}

#[cfg(test)]
mod tests {
    use hush_proto::{B64, ItemId, PullResponse, PulledItem};

    use super::*;
    use crate::store::StoredItem;

    fn expected(snapshot: &VaultSnapshot) -> serde_json::Value {
        serde_json::to_value(PullResponse {
            seq: snapshot.seq,
            keyset: B64(snapshot.keyset.clone()),
            key_version: snapshot.key_version,
            manifest: snapshot.manifest.clone().map(B64),
            items: snapshot
                .items
                .iter()
                .map(|i| PulledItem { id: i.id, seq: i.seq, blob: B64(i.blob.clone()) })
                .collect(),
        })
        .unwrap()
    }

    #[test]
    fn the_hand_written_pull_is_what_serde_writes() {
        // Every byte value and every length modulo 3, so every base64url character
        // and both padding-free tails occur; seq and key version at their extremes.
        let items: Vec<StoredItem> = (0..7u8)
            .map(|i| StoredItem {
                id: ItemId::from_bytes([i.wrapping_mul(37); 16]),
                seq: if i == 6 { u64::MAX } else { u64::from(i) },
                blob: (0..=255u8).cycle().skip(usize::from(i) * 11).take(250 + usize::from(i)).collect(),
            })
            .collect();
        for (manifest, items) in
            [(None, vec![]), (Some(vec![0xfb; 89]), items.clone()), (Some(vec![]), items)]
        {
            let snapshot = VaultSnapshot {
                seq: 42,
                keyset: vec![0xff, 0xfe, 0x00, 0x3e],
                key_version: u32::MAX,
                manifest,
                items,
            };
            let json = pull_json(&snapshot);
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(parsed, expected(&snapshot), "{json}");
            // And the client's own type reads it.
            let _: PullResponse = serde_json::from_str(&json).unwrap();
        }
    }
}
