//! Health, routing fallbacks, and the cross-cutting error format.

use axum::http::{Method, StatusCode, header};
use hush_proto::{ErrorCode, paths};
use hush_server::{Config, Limits};

use crate::support::{TestAccount, TestServer, open_config};

#[tokio::test]
async fn healthz_answers_ok() {
    let server = TestServer::new().await;
    let response = server.get(paths::HEALTH, None).await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.body, b"ok");
}

#[tokio::test]
async fn unknown_route_is_a_json_404() {
    let server = TestServer::new().await;
    server.get("/v2/nothing", None).await.assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
}

#[tokio::test]
async fn wrong_method_is_a_json_405() {
    let server = TestServer::new().await;
    server
        .send(Method::PATCH, paths::VAULT, None, None)
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed);
}

#[tokio::test]
async fn answers_are_not_cacheable() {
    let server = TestServer::new().await;
    for response in [server.get(paths::HEALTH, None).await, server.get("/nope", None).await] {
        assert_eq!(
            response.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
    }
}

#[tokio::test]
async fn body_without_json_content_type_is_415() {
    let server = TestServer::new().await;
    let body = serde_json::to_vec(&TestAccount::new(1).register_request(None)).expect("json");
    server
        .send(Method::POST, paths::ACCOUNTS, None, Some(("text/plain", body)))
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType);
}

#[tokio::test]
async fn oversized_body_is_413_too_large_on_every_json_route() {
    let config = Config { limits: Limits { max_body_bytes: 1024, ..Limits::default() }, ..open_config() };
    let server = TestServer::with_config(config).await;
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(2048));
    for (method, path) in [
        (Method::POST, paths::ACCOUNTS),
        (Method::POST, paths::SESSION_CHALLENGE),
        (Method::POST, paths::SESSIONS),
    ] {
        server
            .send_raw_json(method, path, None, &big)
            .await
            .assert_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge);
    }
}
