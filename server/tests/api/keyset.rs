//! `PUT /v2/keyset`: master password change.

use axum::http::{Method, StatusCode};
use ed25519_dalek::{Signer, SigningKey};
use hush_proto::{
    B64, B64Array, ErrorCode, KdfParams, PreloginResponse, RekeyRequest, RekeyResponse, paths, rekey_message,
};

use crate::support::{CLIENT, TestAccount, TestServer, item, keyset, push_request};

struct Rekey {
    request: RekeyRequest,
    new_key: SigningKey,
}

/// A rekey of `account` to a new key and salt, signed by `signer`.
fn rekey(account: &TestAccount, base_seq: u64, signer: &SigningKey) -> Rekey {
    let new_key = SigningKey::from_bytes(&[200; 32]);
    let new_public = new_key.verifying_key().to_bytes();
    let new_keyset = keyset(2, 200);
    let signature = signer.sign(&rekey_message(&account.id, &new_public, &new_keyset)).to_bytes();
    Rekey {
        request: RekeyRequest {
            base_seq,
            kdf: KdfParams { m_kib: 131_072, t: 4, p: 2, salt: B64(vec![200; 16]) },
            auth_public_key: B64Array(new_public),
            keyset: B64(new_keyset),
            signature: B64Array(signature),
        },
        new_key,
    }
}

async fn prelogin(server: &TestServer, account: &TestAccount) -> KdfParams {
    server.get(&paths::prelogin(&account.id), None).await.json::<PreloginResponse>().kdf
}

#[tokio::test]
async fn rekey_replaces_the_keys_bumps_the_seq_and_revokes_other_sessions() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    server.register(&account).await;
    let this_device = server.login(&account).await;
    let other_device = server.login(&account).await;
    server.push(&this_device, &push_request(0, vec![item(1, 300, 1)])).await.assert_status(StatusCode::OK);

    let Rekey { request, new_key } = rekey(&account, 1, &account.key);
    let response = server.send_json(Method::PUT, paths::KEYSET, Some(&this_device), &request).await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json::<RekeyResponse>().seq, 2);

    assert_eq!(prelogin(&server, &account).await, request.kdf);
    let pull = server.pull(&this_device, 1).await;
    assert_eq!((pull.seq, pull.keyset.clone(), pull.items.len()), (2, request.keyset.clone(), 0));
    assert_eq!(server.pull(&this_device, 0).await.items.len(), 1, "items are untouched");
    server
        .get(paths::VAULT, Some(&other_device))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);

    // Logins now need the new key.
    let challenge = server.challenge(account.id).await;
    server
        .try_login_from(CLIENT, &account, challenge, &account.key)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::BadSignature);
    let challenge = server.challenge(account.id).await;
    server.try_login_from(CLIENT, &account, challenge, &new_key).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn rekey_signed_by_anything_but_the_current_key_is_refused_and_changes_nothing() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    server.register(&account).await;
    let token = server.login(&account).await;
    let other_device = server.login(&account).await;

    // A session token alone (a thief's) cannot sign with the current key.
    let thief = SigningKey::from_bytes(&[66; 32]);
    let Rekey { request, new_key } = rekey(&account, 0, &thief);
    server
        .send_json(Method::PUT, paths::KEYSET, Some(&token), &request)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::BadSignature);
    // Signed by the new key instead of the current one.
    let Rekey { request, .. } = rekey(&account, 0, &new_key);
    server
        .send_json(Method::PUT, paths::KEYSET, Some(&token), &request)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::BadSignature);
    // Signed correctly, but the keyset sent is not the one signed.
    let Rekey { mut request, .. } = rekey(&account, 0, &account.key);
    request.keyset = B64(keyset(2, 201));
    server
        .send_json(Method::PUT, paths::KEYSET, Some(&token), &request)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::BadSignature);

    assert_eq!(prelogin(&server, &account).await, account.kdf);
    assert_eq!(server.pull(&token, 0).await.seq, 0);
    server.get(paths::SESSIONS, Some(&other_device)).await.assert_status(StatusCode::OK);
}

/// The keyset's epoch only grows (crypto-v2.md, "Keyset"): a correctly signed rekey to the same
/// or an older key version (an old keyset put back) is refused.
#[tokio::test]
async fn rekey_that_does_not_raise_the_key_version_is_409_stale_keyset() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    server.register(&account).await;
    let token = server.login(&account).await;
    for (key_version, base_seq) in [(1, 0), (0, 0)] {
        let Rekey { mut request, new_key } = rekey(&account, base_seq, &account.key);
        request.keyset = B64(keyset(key_version, 200));
        let public = new_key.verifying_key().to_bytes();
        request.signature = B64Array(
            account.key.sign(&rekey_message(&account.id, &public, request.keyset.as_bytes())).to_bytes(),
        );
        server
            .send_json(Method::PUT, paths::KEYSET, Some(&token), &request)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::StaleKeyset);
    }
    assert_eq!(prelogin(&server, &account).await, account.kdf);
    // Raising it works, and afterwards the previous epoch is stale too.
    let Rekey { request, new_key } = rekey(&account, 0, &account.key);
    server.send_json(Method::PUT, paths::KEYSET, Some(&token), &request).await.assert_status(StatusCode::OK);
    let Rekey { mut request, .. } = rekey(&account, 1, &new_key);
    let public = SigningKey::from_bytes(&[200; 32]).verifying_key().to_bytes();
    request.signature =
        B64Array(new_key.sign(&rekey_message(&account.id, &public, request.keyset.as_bytes())).to_bytes());
    server
        .send_json(Method::PUT, paths::KEYSET, Some(&token), &request)
        .await
        .assert_error(StatusCode::CONFLICT, ErrorCode::StaleKeyset);
}

#[tokio::test]
async fn rekey_on_a_stale_seq_is_409_and_changes_nothing() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    server.register(&account).await;
    let token = server.login(&account).await;
    let other_device = server.login(&account).await;
    server.push(&other_device, &push_request(0, vec![])).await.assert_status(StatusCode::OK);

    let Rekey { request, .. } = rekey(&account, 0, &account.key);
    let body = server
        .send_json(Method::PUT, paths::KEYSET, Some(&token), &request)
        .await
        .assert_error(StatusCode::CONFLICT, ErrorCode::Conflict);
    assert_eq!(body.seq, Some(1));
    assert_eq!(prelogin(&server, &account).await, account.kdf);
    server.get(paths::SESSIONS, Some(&other_device)).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn malformed_rekeys_are_4xx_and_change_nothing() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    server.register(&account).await;
    let token = server.login(&account).await;
    let good = serde_json::to_value(rekey(&account, 0, &account.key).request).expect("json");
    let bad_request = (StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    let cases: Vec<(&str, serde_json::Value, (StatusCode, ErrorCode))> = vec![
        ("base_seq", "0".into(), bad_request),
        ("signature", B64(vec![1; 10]).encode().into(), bad_request),
        ("keyset", B64(vec![9; 10]).encode().into(), bad_request),
        (
            "keyset",
            B64(vec![1; 70_000]).encode().into(),
            (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge),
        ),
        ("kdf", serde_json::json!({"m_kib": 1, "t": 1, "p": 1, "salt": "AA"}), bad_request),
        ("auth_public_key", serde_json::Value::Null, bad_request),
        ("extra", 1.into(), bad_request),
    ];
    for (field, value, (status, code)) in cases {
        let mut body = good.clone();
        body[field] = value;
        let response = server.send_json(Method::PUT, paths::KEYSET, Some(&token), &body).await;
        // Every error answer has the spec's body, `{"error": <code>, "message": ...}`
        // (docs/spec/sync-api-v2.md, first paragraph), not just the status.
        assert_eq!(response.status, status, "{field}");
        response.assert_error(status, code);
    }
    server
        .send_raw_json(Method::PUT, paths::KEYSET, Some(&token), "{")
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    server
        .send_json(Method::PUT, paths::KEYSET, None, &good)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    assert_eq!(prelogin(&server, &account).await, account.kdf);
}
