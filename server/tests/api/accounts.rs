//! `POST /v2/accounts`, `GET /v2/accounts/{id}/prelogin`, `DELETE /v2/accounts/current`.

use axum::http::{Method, StatusCode};
use ed25519_dalek::Signer;
use hush_proto::{AccountId, B64, B64Array, ErrorCode, PreloginResponse, RegisterResponse, paths};
use hush_server::Config;

use crate::support::{TestAccount, TestServer, item, push_request};

fn invite_only() -> Config {
    Config::default()
}

async fn assert_no_account(server: &TestServer, id: AccountId) {
    server.get(&paths::prelogin(&id), None).await.assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
}

#[tokio::test]
async fn register_then_prelogin_returns_the_kdf_parameters() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    let response =
        server.send_json(Method::POST, paths::ACCOUNTS, None, &account.register_request(None)).await;
    response.assert_status(StatusCode::CREATED);
    assert_eq!(response.json::<RegisterResponse>().account_id, account.id);

    let response = server.get(&paths::prelogin(&account.id), None).await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json::<PreloginResponse>().kdf, account.kdf);
}

#[tokio::test]
async fn registering_an_existing_id_is_409_and_keeps_the_first() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    server.register(&account).await;
    let mut impostor = TestAccount::new(2).register_request(None);
    impostor.account_id = account.id;
    server
        .send_json(Method::POST, paths::ACCOUNTS, None, &impostor)
        .await
        .assert_error(StatusCode::CONFLICT, ErrorCode::AccountExists);
    let kdf = server.get(&paths::prelogin(&account.id), None).await.json::<PreloginResponse>().kdf;
    assert_eq!(kdf, account.kdf, "the first registration stands");
}

#[tokio::test]
async fn prelogin_of_an_unknown_account_is_404() {
    let server = TestServer::new().await;
    assert_no_account(&server, AccountId::from_bytes([9; 16])).await;
}

#[tokio::test]
async fn prelogin_with_a_malformed_id_is_400() {
    let server = TestServer::new().await;
    for bad in ["not-a-uuid", "0123ABCD-4567-89EF-0123-456789ABCDEF", "0123abcd456789ef0123456789abcdef"] {
        server
            .get(&format!("/v2/accounts/{bad}/prelogin"), None)
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    }
}

#[tokio::test]
async fn malformed_registrations_are_400_and_store_nothing() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    let good = serde_json::to_value(account.register_request(None)).expect("json");
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("unknown field", {
            let mut v = good.clone();
            v["email"] = "a@b.c".into();
            v
        }),
        ("wrong type", {
            let mut v = good.clone();
            v["kdf"]["m_kib"] = "lots".into();
            v
        }),
        ("missing field", {
            let mut v = good.clone();
            v.as_object_mut().map(|o| o.remove("auth_public_key"));
            v
        }),
        ("bad base64", {
            let mut v = good.clone();
            v["keyset"] = "AQID=".into();
            v
        }),
        ("short public key", {
            let mut v = good.clone();
            v["auth_public_key"] = B64(vec![1; 16]).encode().into();
            v
        }),
        ("weak public key", {
            let mut identity = vec![0u8; 32];
            identity[0] = 1;
            let mut v = good.clone();
            v["auth_public_key"] = B64(identity).encode().into();
            v
        }),
        ("short salt", {
            let mut v = good.clone();
            v["kdf"]["salt"] = B64(vec![1; 8]).encode().into();
            v
        }),
        ("zero parallelism", {
            let mut v = good.clone();
            v["kdf"]["p"] = 0.into();
            v
        }),
        ("keyset of another format", {
            let mut v = good.clone();
            v["keyset"] = B64(vec![3, 1, 0, 0, 0, 7, 7]).encode().into();
            v
        }),
        ("truncated keyset", {
            let mut v = good.clone();
            v["keyset"] = B64(vec![1, 1]).encode().into();
            v
        }),
    ];
    for (what, body) in cases {
        let response = server.send_json(Method::POST, paths::ACCOUNTS, None, &body).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{what}");
        response.assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    }
    for bad_json in ["{", "", "[]", "null", "{\"account_id\": 5}"] {
        server
            .send_raw_json(Method::POST, paths::ACCOUNTS, None, bad_json)
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    }
    assert_no_account(&server, account.id).await;
}

#[tokio::test]
async fn oversized_keyset_is_413() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    let mut request = account.register_request(None);
    let mut keyset = request.keyset.0.clone();
    keyset.resize(70_000, 0);
    request.keyset = B64(keyset);
    server
        .send_json(Method::POST, paths::ACCOUNTS, None, &request)
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge);
    assert_no_account(&server, account.id).await;
}

#[tokio::test]
async fn invite_only_refuses_registration_without_a_valid_code() {
    let server = TestServer::with_config(invite_only()).await;
    let account = TestAccount::new(1);
    for code in [None, Some("made-up-code")] {
        server
            .send_json(Method::POST, paths::ACCOUNTS, None, &account.register_request(code))
            .await
            .assert_error(StatusCode::FORBIDDEN, ErrorCode::RegistrationClosed);
    }
    assert_no_account(&server, account.id).await;
}

#[tokio::test]
async fn invite_codes_are_single_use() {
    let server = TestServer::with_config(invite_only()).await;
    let (code, hash) = hush_server::new_invite_code().expect("CSPRNG");
    server.store.create_invite(hash, server.clock_now()).await.expect("stored");
    let first = TestAccount::new(1);
    let second = TestAccount::new(2);
    server
        .send_json(Method::POST, paths::ACCOUNTS, None, &first.register_request(Some(code.expose())))
        .await
        .assert_status(StatusCode::CREATED);
    server
        .send_json(Method::POST, paths::ACCOUNTS, None, &second.register_request(Some(code.expose())))
        .await
        .assert_error(StatusCode::FORBIDDEN, ErrorCode::RegistrationClosed);
    assert_no_account(&server, second.id).await;
}

#[tokio::test]
async fn a_refused_registration_does_not_burn_the_code() {
    let server = TestServer::with_config(invite_only()).await;
    let (used, used_hash) = hush_server::new_invite_code().expect("CSPRNG");
    let (spare, spare_hash) = hush_server::new_invite_code().expect("CSPRNG");
    let now = server.clock_now();
    server.store.create_invite(used_hash, now).await.expect("stored");
    server.store.create_invite(spare_hash, now).await.expect("stored");
    let first = TestAccount::new(1);
    server
        .send_json(Method::POST, paths::ACCOUNTS, None, &first.register_request(Some(used.expose())))
        .await
        .assert_status(StatusCode::CREATED);
    // Same account id again, with a valid code: 409, and the code survives.
    server
        .send_json(Method::POST, paths::ACCOUNTS, None, &first.register_request(Some(spare.expose())))
        .await
        .assert_error(StatusCode::CONFLICT, ErrorCode::AccountExists);
    let second = TestAccount::new(2);
    server
        .send_json(Method::POST, paths::ACCOUNTS, None, &second.register_request(Some(spare.expose())))
        .await
        .assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn delete_account_removes_everything() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    server.register(&account).await;
    let token = server.login(&account).await;
    let other_device = server.login(&account).await;
    server.push(&token, &push_request(0, vec![item(1, 300, 1)])).await.assert_status(StatusCode::OK);

    let request = server.delete_account_request(&account, &account.key).await;
    server
        .send_json(Method::DELETE, paths::ACCOUNT_CURRENT, Some(&token), &request)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    assert_no_account(&server, account.id).await;
    for token in [&token, &other_device] {
        server
            .get(paths::VAULT, Some(token))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    // The id is free again, and nothing of the old account comes back with it.
    server.register(&account).await;
    let token = server.login(&account).await;
    let pull = server.pull(&token, 0).await;
    assert_eq!((pull.seq, pull.items.len(), pull.manifest), (0, 0, None));
}

#[tokio::test]
async fn delete_account_needs_a_session() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    server.register(&account).await;
    let request = server.delete_account_request(&account, &account.key).await;
    server
        .send_json(Method::DELETE, paths::ACCOUNT_CURRENT, None, &request)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    server.get(&paths::prelogin(&account.id), None).await.assert_status(StatusCode::OK);
}

/// A stolen session token alone cannot delete the account (sync-api-v2.md, "Accounts"): the
/// request must carry the current auth key's signature over a fresh challenge of this account.
#[tokio::test]
async fn delete_account_needs_the_current_auth_key_over_a_fresh_challenge() {
    let server = TestServer::new().await;
    let account = TestAccount::new(1);
    let other = TestAccount::new(2);
    server.register(&account).await;
    server.register(&other).await;
    let token = server.login(&account).await;
    let delete = |body: serde_json::Value| {
        let server = &server;
        let token = token.clone();
        async move { server.send_json(Method::DELETE, paths::ACCOUNT_CURRENT, Some(&token), &body).await }
    };
    // No body, or a malformed one.
    delete(serde_json::json!({})).await.assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    // Signed by another key (a thief with the token but not the password).
    let forged = server.delete_account_request(&account, &other.key).await;
    delete(serde_json::to_value(&forged).unwrap())
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::BadSignature);
    // The challenge is consumed by that attempt: replaying it with a good signature fails.
    let replay = hush_proto::DeleteAccountRequest {
        challenge: forged.challenge,
        signature: B64Array(
            account
                .key
                .sign(&hush_proto::delete_account_message(&account.id, forged.challenge.as_bytes()))
                .to_bytes(),
        ),
    };
    delete(serde_json::to_value(&replay).unwrap())
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::BadChallenge);
    // A challenge of another account, signed properly for this one.
    let foreign = server.challenge(other.id).await;
    let with_foreign = hush_proto::DeleteAccountRequest {
        challenge: B64Array(foreign),
        signature: B64Array(
            account.key.sign(&hush_proto::delete_account_message(&account.id, &foreign)).to_bytes(),
        ),
    };
    delete(serde_json::to_value(&with_foreign).unwrap())
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::BadChallenge);
    // A login signature over a challenge is not a deletion signature (another context).
    let challenge = server.challenge(account.id).await;
    let login_sig = hush_proto::DeleteAccountRequest {
        challenge: B64Array(challenge),
        signature: B64Array(account.key.sign(&hush_proto::login_message(&account.id, &challenge)).to_bytes()),
    };
    delete(serde_json::to_value(&login_sig).unwrap())
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::BadSignature);
    server.get(&paths::prelogin(&account.id), None).await.assert_status(StatusCode::OK);
    // The real thing works.
    let good = server.delete_account_request(&account, &account.key).await;
    delete(serde_json::to_value(&good).unwrap()).await.assert_status(StatusCode::NO_CONTENT);
    assert_no_account(&server, account.id).await;
}
