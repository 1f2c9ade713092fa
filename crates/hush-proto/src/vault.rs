//! Pull and push of the encrypted vault (`sync-api-v2.md`, "Vault").

use serde::{Deserialize, Serialize};

use crate::b64::B64;
use hush_core::ItemId;

/// The query of `GET /v2/vault?since=<seq>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    /// Return the items changed after this seq; 0 (the default) returns every item.
    #[serde(default)]
    pub since: u64,
}

/// One item in a [`PullResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledItem {
    /// The item's id.
    pub id: ItemId,
    /// The seq of the push that last wrote this item.
    pub seq: u64,
    /// The item blob (`crypto-v2.md`, "Items").
    pub blob: B64,
}

/// The answer to `GET /v2/vault`: one consistent snapshot of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// The account's current seq: it grows by one with every accepted push (and every rekey).
    pub seq: u64,
    /// The current keyset.
    pub keyset: B64,
    /// The key version read from the keyset's header.
    pub key_version: u32,
    /// The manifest of the latest push; absent before the first push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<B64>,
    /// The items whose seq is greater than the query's `since`, in seq order.
    pub items: Vec<PulledItem>,
}

/// One item in a [`PushRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushedItem {
    /// The item's id.
    pub id: ItemId,
    /// The new item blob (a deletion is a tombstone blob, never an absence).
    pub blob: B64,
}

/// `POST /v2/vault`: push some items and the new manifest, atomically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The seq this push was made on; it must be the account's current seq.
    pub base_seq: u64,
    /// The manifest covering the account's items after this push.
    pub manifest: B64,
    /// The items to create or replace; each id at most once.
    pub items: Vec<PushedItem>,
}

/// The 200 answer to an accepted [`PushRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// The account's new seq.
    pub seq: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_without_manifest_omits_it_and_parses_back() {
        let response =
            PullResponse { seq: 0, keyset: B64(vec![1]), key_version: 1, manifest: None, items: vec![] };
        let json = serde_json::to_value(&response).expect("serialises");
        assert!(json.get("manifest").is_none());
        assert_eq!(serde_json::from_value::<PullResponse>(json).expect("parses"), response);
        let with_null: PullResponse =
            serde_json::from_str(r#"{"seq":0,"keyset":"AQ","key_version":1,"manifest":null,"items":[]}"#)
                .expect("null manifest parses");
        assert_eq!(with_null.manifest, None);
    }

    #[test]
    fn pull_round_trip_with_items() {
        let response = PullResponse {
            seq: 57,
            keyset: B64(vec![1; 77]),
            key_version: 1,
            manifest: Some(B64(vec![2; 85])),
            items: vec![PulledItem { id: ItemId::from_bytes([3; 16]), seq: 55, blob: B64(vec![4; 300]) }],
        };
        let json = serde_json::to_string(&response).expect("serialises");
        assert_eq!(serde_json::from_str::<PullResponse>(&json).expect("parses"), response);
    }

    #[test]
    fn push_parses_the_spec_example_shape() {
        let request: PushRequest = serde_json::from_str(
            r#"{"base_seq": 57, "manifest": "AQID",
                "items": [{"id": "00010203-0405-0607-0809-0a0b0c0d0e0f", "blob": "BAUG"}]}"#,
        )
        .expect("parses");
        assert_eq!(request.base_seq, 57);
        assert_eq!(request.items[0].blob.as_bytes(), &[4, 5, 6]);
    }

    #[test]
    fn push_rejects_malformed_input() {
        for bad in [
            r#"{"manifest": "AQID", "items": []}"#,
            r#"{"base_seq": "57", "manifest": "AQID", "items": []}"#,
            r#"{"base_seq": 57, "manifest": "AQID", "items": {}}"#,
            r#"{"base_seq": 57, "manifest": "AQID", "items": [], "force": true}"#,
            r#"{"base_seq": 57, "manifest": "AQID", "items": [{"id": "x", "blob": "AA"}]}"#,
            r#"{"base_seq": 57, "manifest": "AQID",
                "items": [{"id": "00010203-0405-0607-0809-0a0b0c0d0e0f", "blob": "AA", "seq": 1}]}"#,
            r#"{"base_seq": 57, "manifest": "AQ==", "items": []}"#,
            r#"{"base_seq": 1.5, "manifest": "AQID", "items": []}"#,
            r#"[57]"#,
        ] {
            assert!(serde_json::from_str::<PushRequest>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pull_query_defaults_to_zero() {
        let query: PullQuery = serde_json::from_str("{}").expect("parses");
        assert_eq!(query.since, 0);
    }
}
