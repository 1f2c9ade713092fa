//! `GET /v2/vault` and `POST /v2/vault`.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use hush_proto::{B64, ErrorCode, ItemId, PullResponse, PushResponse, paths};
use hush_server::store::SqliteOptions;
use hush_server::{Config, Limits};

use crate::support::{TestAccount, TestServer, item, keyset, open_config, push_request};

async fn logged_in(server: &TestServer, seed: u8) -> String {
    let account = TestAccount::new(seed);
    server.register(&account).await;
    server.login(&account).await
}

#[tokio::test]
async fn pull_before_the_first_push() {
    let server = TestServer::new().await;
    let token = logged_in(&server, 1).await;
    let pull = server.pull(&token, 0).await;
    assert_eq!(pull.seq, 0);
    assert_eq!(pull.keyset.0, keyset(1, 1));
    assert_eq!(pull.key_version, 1);
    assert_eq!(pull.manifest, None);
    assert!(pull.items.is_empty());
    // `since` is optional.
    let response = server.get(paths::VAULT, Some(&token)).await;
    assert_eq!(response.json::<PullResponse>(), pull);
}

#[tokio::test]
async fn push_then_pull_incrementally() {
    let server = TestServer::new().await;
    let token = logged_in(&server, 1).await;

    let response = server.push(&token, &push_request(0, vec![item(1, 300, 1), item(2, 300, 2)])).await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json::<PushResponse>().seq, 1);

    let all = server.pull(&token, 0).await;
    assert_eq!(all.seq, 1);
    assert_eq!(all.manifest, Some(B64(vec![0xAA; 85])));
    let ids: Vec<(ItemId, u64)> = all.items.iter().map(|i| (i.id, i.seq)).collect();
    assert_eq!(ids, vec![(ItemId::from_bytes([1; 16]), 1), (ItemId::from_bytes([2; 16]), 1)]);
    assert_eq!(all.items[1].blob.0, vec![2; 300]);

    let mut second = push_request(1, vec![item(2, 400, 9)]);
    second.manifest = B64(vec![0xBB; 85]);
    assert_eq!(server.push(&token, &second).await.json::<PushResponse>().seq, 2);

    let changes = server.pull(&token, 1).await;
    assert_eq!(changes.seq, 2);
    assert_eq!(changes.manifest, Some(B64(vec![0xBB; 85])));
    assert_eq!(changes.items.len(), 1);
    assert_eq!((changes.items[0].id, changes.items[0].seq), (ItemId::from_bytes([2; 16]), 2));
    assert_eq!(changes.items[0].blob.0, vec![9; 400]);

    assert!(server.pull(&token, 2).await.items.is_empty());
    assert!(server.pull(&token, u64::MAX).await.items.is_empty());
    assert_eq!(server.pull(&token, 0).await.items.len(), 2);
}

#[tokio::test]
async fn a_manifest_only_push_bumps_the_seq() {
    let server = TestServer::new().await;
    let token = logged_in(&server, 1).await;
    assert_eq!(server.push(&token, &push_request(0, vec![])).await.json::<PushResponse>().seq, 1);
    assert_eq!(server.pull(&token, 0).await.seq, 1);
}

#[tokio::test]
async fn stale_base_seq_is_409_with_the_current_seq_and_stores_nothing() {
    let server = TestServer::new().await;
    let token = logged_in(&server, 1).await;
    server.push(&token, &push_request(0, vec![item(1, 300, 1)])).await.assert_status(StatusCode::OK);
    let before = server.pull(&token, 0).await;

    for base_seq in [0, 2, u64::MAX] {
        let mut stale = push_request(base_seq, vec![item(1, 300, 7), item(3, 300, 7)]);
        stale.manifest = B64(vec![0xCC; 85]);
        let body = server.push(&token, &stale).await.assert_error(StatusCode::CONFLICT, ErrorCode::Conflict);
        assert_eq!(body.seq, Some(1));
    }
    assert_eq!(server.pull(&token, 0).await, before, "nothing stored");
}

#[tokio::test]
async fn concurrent_pushes_on_one_base_seq_accept_exactly_one() {
    let server = Arc::new(TestServer::new().await);
    let token = logged_in(&server, 1).await;
    let pushes = (0..8u8).map(|i| {
        let server = Arc::clone(&server);
        let token = token.clone();
        tokio::spawn(async move { server.push(&token, &push_request(0, vec![item(i, 300, i)])).await.status })
    });
    let mut statuses = Vec::new();
    for push in pushes {
        statuses.push(push.await.expect("task"));
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 7, "{statuses:?}");
    let pull = server.pull(&token, 0).await;
    assert_eq!((pull.seq, pull.items.len()), (1, 1));
}

#[tokio::test]
async fn blob_limit_is_inclusive_and_an_oversized_blob_is_413() {
    let config = Config { limits: Limits { max_blob_bytes: 1000, ..Limits::default() }, ..open_config() };
    let server = TestServer::with_config(config).await;
    let token = logged_in(&server, 1).await;
    server
        .push(&token, &push_request(0, vec![item(1, 1001, 1), item(2, 10, 2)]))
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge);
    assert_eq!(server.pull(&token, 0).await.seq, 0, "nothing stored");
    server.push(&token, &push_request(0, vec![item(1, 1000, 1)])).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn default_blob_limit_is_256_kib() {
    let server = TestServer::new().await;
    let token = logged_in(&server, 1).await;
    server
        .push(&token, &push_request(0, vec![item(1, 256 * 1024 + 1, 1)]))
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge);
    server.push(&token, &push_request(0, vec![item(1, 256 * 1024, 1)])).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn oversized_push_body_is_413() {
    let config = Config { limits: Limits { max_body_bytes: 4096, ..Limits::default() }, ..open_config() };
    let server = TestServer::with_config(config).await;
    let token = logged_in(&server, 1).await;
    server
        .push(&token, &push_request(0, vec![item(1, 4096, 1)]))
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge);
    assert_eq!(server.pull(&token, 0).await.seq, 0);
}

#[tokio::test]
async fn malformed_pushes_are_400_and_store_nothing() {
    let server = TestServer::new().await;
    let token = logged_in(&server, 1).await;
    let id = ItemId::from_bytes([1; 16]);
    for body in [
        "{".to_owned(),
        "[]".to_owned(),
        r#"{"base_seq": 0, "manifest": "qg"}"#.to_owned(),
        r#"{"base_seq": "0", "manifest": "qg", "items": []}"#.to_owned(),
        r#"{"base_seq": -1, "manifest": "qg", "items": []}"#.to_owned(),
        r#"{"base_seq": 0, "manifest": "qg==", "items": []}"#.to_owned(),
        r#"{"base_seq": 0, "manifest": "", "items": []}"#.to_owned(),
        r#"{"base_seq": 0, "manifest": "qg", "items": [], "seq": 9}"#.to_owned(),
        format!(r#"{{"base_seq": 0, "manifest": "qg", "items": [{{"id": "{id}", "blob": "!"}}]}}"#),
        format!(r#"{{"base_seq": 0, "manifest": "qg", "items": [{{"id": "{id}", "blob": ""}}]}}"#),
        format!(
            r#"{{"base_seq": 0, "manifest": "qg", "items": [{{"id": "{id}", "blob": "AQ"}}, {{"id": "{id}", "blob": "Ag"}}]}}"#
        ),
        r#"{"base_seq": 0, "manifest": "qg", "items": [{"id": "1", "blob": "AQ"}]}"#.to_owned(),
    ] {
        server
            .send_raw_json(Method::POST, paths::VAULT, Some(&token), &body)
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    }
    let pull = server.pull(&token, 0).await;
    assert_eq!((pull.seq, pull.items.len(), pull.manifest), (0, 0, None));
}

#[tokio::test]
async fn malformed_since_is_400() {
    let server = TestServer::new().await;
    let token = logged_in(&server, 1).await;
    for query in ["since=abc", "since=-1", "since=1.5", "since=1&other=2"] {
        server
            .get(&format!("{}?{query}", paths::VAULT), Some(&token))
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    }
}

#[tokio::test]
async fn item_quota_is_507_and_refuses_only_growth() {
    let config = Config { limits: Limits { max_items_per_account: 3, ..Limits::default() }, ..open_config() };
    let server = TestServer::with_config(config).await;
    let token = logged_in(&server, 1).await;
    server
        .push(&token, &push_request(0, (1..=4).map(|i| item(i, 10, i)).collect()))
        .await
        .assert_error(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::Quota);
    assert_eq!(server.pull(&token, 0).await.seq, 0, "nothing stored");

    server
        .push(&token, &push_request(0, (1..=3).map(|i| item(i, 10, i)).collect()))
        .await
        .assert_status(StatusCode::OK);
    server
        .push(&token, &push_request(1, vec![item(4, 10, 4)]))
        .await
        .assert_error(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::Quota);
    // Replacing existing items (edits, tombstones) is still fine at the quota.
    server.push(&token, &push_request(1, vec![item(2, 20, 9)])).await.assert_status(StatusCode::OK);
    assert_eq!(server.pull(&token, 0).await.items.len(), 3);
}

#[tokio::test]
async fn byte_quota_is_507() {
    let config = Config { limits: Limits { max_account_bytes: 1000, ..Limits::default() }, ..open_config() };
    let server = TestServer::with_config(config).await;
    let token = logged_in(&server, 1).await;
    server.push(&token, &push_request(0, vec![item(1, 600, 1)])).await.assert_status(StatusCode::OK);
    server
        .push(&token, &push_request(1, vec![item(2, 600, 2)]))
        .await
        .assert_error(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::Quota);
    // Shrinking item 1 makes room: the running total follows replacements.
    server
        .push(&token, &push_request(1, vec![item(1, 300, 1), item(2, 600, 2)]))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn accounts_do_not_see_each_other() {
    let server = TestServer::new().await;
    let alice = logged_in(&server, 1).await;
    let bob = logged_in(&server, 2).await;
    server.push(&alice, &push_request(0, vec![item(1, 300, 1)])).await.assert_status(StatusCode::OK);
    let pull = server.pull(&bob, 0).await;
    assert_eq!((pull.seq, pull.items.len()), (0, 0));
    // Bob may use the same item id; it is a different item.
    server.push(&bob, &push_request(0, vec![item(1, 300, 2)])).await.assert_status(StatusCode::OK);
    assert_eq!(server.pull(&alice, 0).await.items[0].blob.0, vec![1; 300]);
}

#[tokio::test]
async fn vault_needs_a_session() {
    let server = TestServer::new().await;
    server.get(paths::VAULT, None).await.assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    server
        .push("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &push_request(0, vec![]))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
}

/// A store that is busy is not broken: a push that waited for SQLite's write lock longer than the
/// store's lock timeout answers 503 `unavailable` with `Retry-After`, never 500, and nothing is
/// stored. Meanwhile other accounts pull (WAL readers take no write lock), `/healthz` answers, and
/// once the lock is free the same push goes through.
#[tokio::test]
async fn a_busy_store_answers_503_with_retry_after_and_other_accounts_still_pull() {
    let options = SqliteOptions { lock_timeout: Duration::from_millis(200) };
    let server = TestServer::with_options(open_config(), options).await;
    let alice = logged_in(&server, 1).await;
    let bob = logged_in(&server, 2).await;
    server.push(&alice, &push_request(0, vec![item(1, 300, 1)])).await.assert_status(StatusCode::OK);

    let lock = server.hold_write_lock().await;
    let response = server.push(&bob, &push_request(0, vec![item(1, 300, 2)])).await;
    response.assert_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable);
    assert_eq!(response.headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("2"));
    let pull = server.pull(&alice, 0).await;
    assert_eq!((pull.seq, pull.items.len()), (1, 1));
    assert_eq!(server.pull(&bob, 0).await.seq, 0, "nothing stored");
    server.get(paths::HEALTH, None).await.assert_status(StatusCode::OK);

    lock.release().await;
    server.push(&bob, &push_request(0, vec![item(1, 300, 2)])).await.assert_status(StatusCode::OK);
}

/// A push the store would certainly refuse (stale base_seq, more items or bytes in one push than
/// the quota allows) is refused from the running totals, before it queues for the write lock that
/// every account shares. With the lock held elsewhere, these answer at once with their real
/// outcome, while a push that could succeed waits for the lock (and here gets 503).
#[tokio::test]
async fn pushes_certain_to_be_refused_never_wait_for_the_write_lock() {
    let limits = Limits { max_items_per_account: 3, max_account_bytes: 1000, ..Limits::default() };
    let options = SqliteOptions { lock_timeout: Duration::from_millis(200) };
    let server = TestServer::with_options(Config { limits, ..open_config() }, options).await;
    let token = logged_in(&server, 1).await;
    server.push(&token, &push_request(0, vec![item(1, 600, 1)])).await.assert_status(StatusCode::OK);

    let lock = server.hold_write_lock().await;
    let stale = server.push(&token, &push_request(0, vec![item(2, 10, 2)])).await;
    assert_eq!(stale.assert_error(StatusCode::CONFLICT, ErrorCode::Conflict).seq, Some(1));
    server
        .push(&token, &push_request(1, (1..=4).map(|i| item(i, 10, i)).collect()))
        .await
        .assert_error(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::Quota);
    server
        .push(&token, &push_request(1, vec![item(2, 1001, 2)]))
        .await
        .assert_error(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::Quota);
    // Growth past the quota through items already stored is only visible inside the
    // transaction: this one has to wait for the lock.
    server
        .push(&token, &push_request(1, vec![item(2, 600, 2)]))
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable);
    lock.release().await;
    server
        .push(&token, &push_request(1, vec![item(2, 600, 2)]))
        .await
        .assert_error(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::Quota);
    server
        .push(&token, &push_request(1, vec![item(1, 300, 1), item(2, 600, 2)]))
        .await
        .assert_status(StatusCode::OK);
}

/// Every authenticated request may refresh the session's last-seen time (at most once a minute),
/// which is a write. A store too busy for that write must not fail a pull, which needs none.
#[tokio::test]
async fn a_due_last_seen_refresh_does_not_fail_a_pull_while_the_store_is_busy() {
    let options = SqliteOptions { lock_timeout: Duration::from_millis(200) };
    let server = TestServer::with_options(open_config(), options).await;
    let token = logged_in(&server, 1).await;
    server.advance(Duration::from_secs(3600));
    let lock = server.hold_write_lock().await;
    assert_eq!(server.pull(&token, 0).await.seq, 0);
    lock.release().await;
}
