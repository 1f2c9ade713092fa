//! `docs/spec/sync-api-v2.md`, "Files": storing, fetching, listing and deleting the sealed chunks
//! of attached files; their shape checks, immutability, the file quota, and accounts kept apart.

use axum::http::{Method, StatusCode};
use hush_proto::{ChunkList, ErrorCode, FileId, MAX_SEALED_CHUNK_LEN, MIN_SEALED_CHUNK_LEN, paths};
use hush_server::{Config, Limits};

use crate::support::{TestAccount, TestServer, open_config};

async fn logged_in(server: &TestServer, seed: u8) -> String {
    let account = TestAccount::new(seed);
    server.register(&account).await;
    server.login(&account).await
}

/// A chunk of `len` bytes with the clear header every sealed chunk starts with.
fn chunk(len: usize, fill: u8) -> Vec<u8> {
    let mut c = vec![fill; len];
    c[..5].copy_from_slice(&[2, 0, 0, 0, 0]);
    c
}

const FILE: FileId = FileId::from_bytes([7; 16]);

async fn put(
    server: &TestServer,
    token: &str,
    file: &FileId,
    index: u32,
    body: Vec<u8>,
) -> crate::support::TestResponse {
    server
        .send(Method::PUT, &paths::chunk(file, index), Some(token), Some(("application/octet-stream", body)))
        .await
}

#[tokio::test]
async fn chunks_are_stored_fetched_listed_and_deleted() {
    let server = TestServer::new().await;
    let token = logged_in(&server, 1).await;
    let (first, last) = (chunk(hush_proto::FULL_SEALED_CHUNK_LEN, 1), chunk(MIN_SEALED_CHUNK_LEN, 2));
    put(&server, &token, &FILE, 0, first.clone()).await.assert_status(StatusCode::CREATED);
    put(&server, &token, &FILE, 1, last.clone()).await.assert_status(StatusCode::CREATED);
    let got = server.get(&paths::chunk(&FILE, 0), Some(&token)).await;
    got.assert_status(StatusCode::OK);
    assert_eq!(got.headers["content-type"], "application/octet-stream");
    assert_eq!(got.body, first);
    let list: ChunkList = server.get(&paths::file(&FILE), Some(&token)).await.json();
    let listed: Vec<(u32, u64)> = list.chunks.iter().map(|c| (c.index, c.size)).collect();
    assert_eq!(listed, [(0, first.len() as u64), (1, last.len() as u64)]);
    // Idempotent: the same chunk again changes nothing.
    put(&server, &token, &FILE, 1, last.clone()).await.assert_status(StatusCode::OK);
    assert_eq!(
        server.store.file_bytes(hush_proto::AccountId::from_bytes([1; 16])).await.unwrap(),
        Some((first.len() + last.len()) as u64)
    );
    // Immutable: other bytes at the same place are refused, and the stored chunk stays.
    put(&server, &token, &FILE, 1, chunk(MIN_SEALED_CHUNK_LEN, 3))
        .await
        .assert_error(StatusCode::CONFLICT, ErrorCode::FileExists);
    assert_eq!(server.get(&paths::chunk(&FILE, 1), Some(&token)).await.body, last);
    // A chunk that is not there is 404; an unknown file lists no chunks.
    server
        .get(&paths::chunk(&FILE, 2), Some(&token))
        .await
        .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
    let other: ChunkList = server.get(&paths::file(&FileId::from_bytes([8; 16])), Some(&token)).await.json();
    assert!(other.chunks.is_empty());
    // Deleting removes every chunk and frees the quota; deleting again is fine.
    server.delete(&paths::file(&FILE), Some(&token)).await.assert_status(StatusCode::NO_CONTENT);
    server
        .get(&paths::chunk(&FILE, 0), Some(&token))
        .await
        .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
    assert_eq!(server.store.file_bytes(hush_proto::AccountId::from_bytes([1; 16])).await.unwrap(), Some(0));
    server.delete(&paths::file(&FILE), Some(&token)).await.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn only_sealed_chunks_of_a_possible_length_are_taken() {
    let server = TestServer::new().await;
    let token = logged_in(&server, 1).await;
    put(&server, &token, &FILE, 0, chunk(MAX_SEALED_CHUNK_LEN + 1, 1))
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge);
    put(&server, &token, &FILE, 0, chunk(MIN_SEALED_CHUNK_LEN - 1, 1))
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    let mut wrong_header = chunk(400, 1);
    wrong_header[1] = 1;
    put(&server, &token, &FILE, 0, wrong_header)
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    let as_json = server
        .send(Method::PUT, &paths::chunk(&FILE, 0), Some(&token), Some(("application/json", chunk(400, 1))))
        .await;
    as_json.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType);
    server
        .send(
            Method::PUT,
            "/v2/files/not-an-id/0",
            Some(&token),
            Some(("application/octet-stream", chunk(400, 1))),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    server
        .send(
            Method::PUT,
            &format!("{}/4294967296", paths::file(&FILE)),
            Some(&token),
            Some(("application/octet-stream", chunk(400, 1))),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    // Nothing of it was stored; the largest possible chunk is.
    let list: ChunkList = server.get(&paths::file(&FILE), Some(&token)).await.json();
    assert!(list.chunks.is_empty());
    put(&server, &token, &FILE, 0, chunk(MAX_SEALED_CHUNK_LEN, 1)).await.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn every_file_route_needs_a_session() {
    let server = TestServer::new().await;
    let body = Some(("application/octet-stream", chunk(400, 1)));
    for (method, path) in [
        (Method::PUT, paths::chunk(&FILE, 0)),
        (Method::GET, paths::chunk(&FILE, 0)),
        (Method::GET, paths::file(&FILE)),
        (Method::DELETE, paths::file(&FILE)),
    ] {
        server
            .send(method.clone(), &path, None, body.clone())
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
}

#[tokio::test]
async fn the_file_quota_is_507_and_checked_before_writing() {
    let limits = Limits { max_file_bytes_per_account: 1000, ..Limits::default() };
    let server = TestServer::with_config(Config { limits, ..open_config() }).await;
    let token = logged_in(&server, 1).await;
    put(&server, &token, &FILE, 0, chunk(600, 1)).await.assert_status(StatusCode::CREATED);
    put(&server, &token, &FILE, 1, chunk(401, 2))
        .await
        .assert_error(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::Quota);
    server
        .get(&paths::chunk(&FILE, 1), Some(&token))
        .await
        .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
    // Up to the quota exactly, and the same chunk again costs nothing.
    put(&server, &token, &FILE, 1, chunk(400, 2)).await.assert_status(StatusCode::CREATED);
    put(&server, &token, &FILE, 1, chunk(400, 2)).await.assert_status(StatusCode::OK);
    // Deleting makes room again.
    server.delete(&paths::file(&FILE), Some(&token)).await.assert_status(StatusCode::NO_CONTENT);
    put(&server, &token, &FILE, 0, chunk(1000, 3)).await.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn accounts_do_not_see_each_others_files_and_take_them_along_when_deleted() {
    let server = TestServer::new().await;
    let alice = logged_in(&server, 1).await;
    let bob = logged_in(&server, 2).await;
    put(&server, &alice, &FILE, 0, chunk(400, 1)).await.assert_status(StatusCode::CREATED);
    server
        .get(&paths::chunk(&FILE, 0), Some(&bob))
        .await
        .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
    // Bob's delete of the same file id deletes nothing of Alice's.
    server.delete(&paths::file(&FILE), Some(&bob)).await.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(server.get(&paths::chunk(&FILE, 0), Some(&alice)).await.body, chunk(400, 1));
    // Bob may use the same file id; it is another file.
    put(&server, &bob, &FILE, 0, chunk(400, 2)).await.assert_status(StatusCode::CREATED);
    // Deleting an account deletes its chunks.
    let alice_id = hush_proto::AccountId::from_bytes([1; 16]);
    server.store.delete_account(alice_id).await.unwrap();
    assert!(server.store.list_chunks(alice_id, FILE).await.unwrap().is_empty());
    assert_eq!(server.get(&paths::chunk(&FILE, 0), Some(&bob)).await.body, chunk(400, 2));
}
