//! `docs/openapi.json`, the OpenAPI 3.1 description of sync API v2, against what it describes:
//! the served document is the committed file; every route and method of the router is in it and
//! nothing else; every error code of `hush_proto::ErrorCode` is declared, with the status the
//! spec gives it; and every error answer of every operation has the spec's error body. What the
//! description says of bodies and statuses is checked against the running server by
//! schemathesis (server/schemathesis/run.sh, in CI).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use hush_proto::{ErrorCode, paths};
use hush_server::{AppState, Config, SqliteStore, Store, app};
use serde_json::Value;

fn committed() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn document() -> Value {
    serde_json::from_slice(&committed()).expect("docs/openapi.json is JSON")
}

/// The router over a store in a temporary folder, and the folder.
async fn router() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = SqliteStore::open(dir.path()).await.expect("the store opens");
    (app(AppState::new(Arc::new(store) as Arc<dyn Store>, Config::default())), dir)
}

async fn send(router: &axum::Router, method: Method, path: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let request = Request::builder().method(method).uri(path).body(Body::empty()).expect("a request");
    let response = tower::ServiceExt::oneshot(router.clone(), request).await.expect("infallible");
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, content_type, to_bytes(response.into_body(), usize::MAX).await.expect("a body").to_vec())
}

#[tokio::test]
async fn the_served_description_is_the_committed_file() {
    let (router, _dir) = router().await;
    let (status, content_type, body) = send(&router, Method::GET, paths::OPENAPI).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert!(body == committed(), "GET /v2/openapi.json differs from docs/openapi.json");
}

/// Every `$ref` in `value`, with where it is.
fn refs<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref" {
                    out.push((at.clone(), inner.as_str().expect("a $ref is a string")));
                } else {
                    refs(inner, format!("{at}/{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                refs(inner, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The value a local `$ref` (`#/components/...`) points to.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

#[test]
fn the_description_is_openapi_3_1_and_every_reference_resolves() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], "2");
    let mut found = Vec::new();
    refs(&doc, String::new(), &mut found);
    assert!(!found.is_empty());
    for (at, reference) in found {
        assert!(resolve(&doc, reference).is_some(), "{at}: {reference} does not resolve");
    }
}

/// The path constants the router's `.route(...)` calls name, read from the server's source, so
/// that a route added there without a description here fails.
fn routed_paths() -> BTreeSet<&'static str> {
    let routes = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names = BTreeSet::new();
    let mut stack = vec![routes];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the server's source") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).expect("UTF-8 source");
                for call in source.split(".route(").skip(1) {
                    let argument = call.split(',').next().expect("an argument").trim();
                    let name = argument.strip_prefix("paths::").unwrap_or_else(|| {
                        panic!(
                            "{}: a route whose path is not a hush_proto::paths constant: {argument}",
                            path.display()
                        )
                    });
                    names.insert(name.to_owned());
                }
            }
        }
    }
    names
        .iter()
        .map(|name| match name.as_str() {
            "ACCOUNTS" => paths::ACCOUNTS,
            "ACCOUNT_CURRENT" => paths::ACCOUNT_CURRENT,
            "PRELOGIN_TEMPLATE" => paths::PRELOGIN_TEMPLATE,
            "SESSIONS" => paths::SESSIONS,
            "SESSION_CHALLENGE" => paths::SESSION_CHALLENGE,
            "SESSION_CURRENT" => paths::SESSION_CURRENT,
            "SESSION_TEMPLATE" => paths::SESSION_TEMPLATE,
            "VAULT" => paths::VAULT,
            "KEYSET" => paths::KEYSET,
            "HEALTH" => paths::HEALTH,
            "OPENAPI" => paths::OPENAPI,
            "FILE_TEMPLATE" => paths::FILE_TEMPLATE,
            "CHUNK_TEMPLATE" => paths::CHUNK_TEMPLATE,
            other => {
                panic!("the router routes paths::{other}: add it to this table and to docs/openapi.json")
            }
        })
        .collect()
}

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// Both ways: every path the router routes is described, and for every described path, exactly
/// the methods it describes are routed (any other is answered 405, as the description says).
#[tokio::test]
async fn every_route_and_method_of_the_router_is_described_and_nothing_else() {
    let doc = document();
    let described: BTreeMap<&str, BTreeSet<&str>> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, item)| {
            let methods = item.as_object().expect("a path item").keys().map(String::as_str).collect();
            (path.as_str(), methods)
        })
        .collect();
    let routed = routed_paths();
    let described_paths: BTreeSet<&str> = described.keys().copied().collect();
    assert_eq!(routed, described_paths, "the router's paths and the description's differ");

    let (router, _dir) = router().await;
    for (path, methods) in &described {
        for method in methods {
            assert!(METHODS.contains(method), "{path}: unexpected key {method}");
        }
        // A concrete path: any id where the template has a parameter.
        let concrete = path
            .replace("{account_id}", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
            .replace("{session_id}", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
            .replace("{file_id}", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
            .replace("{index}", "0");
        for method in METHODS {
            let (status, _, body) =
                send(&router, method.to_uppercase().parse().expect("a method"), &concrete).await;
            let allowed = status != StatusCode::METHOD_NOT_ALLOWED;
            assert_eq!(
                allowed,
                methods.contains(method),
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            let body = String::from_utf8_lossy(&body);
            assert!(!(status == StatusCode::NOT_FOUND && body.contains("route")), "{method} {path}: {body}");
        }
    }
}

fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code).expect("a code serialises").as_str().expect("a string").to_owned()
}

/// The error codes a components response allows, from its schema's `properties.error.enum`.
fn allowed_codes(response: &Value) -> BTreeSet<String> {
    let schema = &response["content"]["application/json"]["schema"];
    assert_eq!(
        schema["allOf"][0]["$ref"], "#/components/schemas/ErrorBody",
        "an error response without the error body: {response}"
    );
    schema["properties"]["error"]["enum"]
        .as_array()
        .expect("the codes this response allows")
        .iter()
        .map(|code| code.as_str().expect("a code").to_owned())
        .collect()
}

#[test]
fn every_error_code_is_declared_with_its_status() {
    let doc = document();
    let declared: BTreeSet<String> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("the ErrorCode enum")
        .iter()
        .map(|code| code.as_str().expect("a code").to_owned())
        .collect();
    let sent: BTreeSet<String> = ErrorCode::ALL.into_iter().map(code_name).collect();
    assert_eq!(declared, sent, "docs/openapi.json's error codes and hush_proto::ErrorCode differ");

    // Each reusable error response allows only codes of its own status.
    let statuses: BTreeMap<String, u16> =
        ErrorCode::ALL.into_iter().map(|code| (code_name(code), code.status().expect("a status"))).collect();
    let mut used = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                let status: u16 = status.parse().expect("a numeric status");
                if status < 400 {
                    continue;
                }
                let reference = response["$ref"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path} {status}: not a components response"));
                let response = resolve(&doc, reference).expect("a response");
                for code in allowed_codes(response) {
                    assert_eq!(statuses.get(&code), Some(&status), "{method} {path}: {code} under {status}");
                    used.insert(code);
                }
            }
        }
    }
    // Every code some operation can answer with (`not_found` for an unknown route is the 404
    // of the operations that have one).
    assert_eq!(used, sent, "codes no operation declares");
}

/// The statuses docs/spec/sync-api-v2.md, "Errors" lists are all declared, with the error body;
/// the universal ones (a malformed request, a wrong method, a timeout, a long URI or head, a
/// failing or busy server) on every operation that reaches the store.
#[test]
fn every_operation_declares_the_spec_statuses() {
    let doc = document();
    let mut seen = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let responses = operation["responses"].as_object().expect("responses");
            let universal: &[&str] = if path == paths::OPENAPI {
                &["400", "405", "408", "414", "431"]
            } else if path == paths::HEALTH {
                &["400", "405", "408", "414", "431", "503"]
            } else {
                &["400", "405", "408", "414", "431", "500", "503"]
            };
            for status in universal {
                assert!(responses.contains_key(*status), "{method} {path} lacks {status}");
            }
            if operation.get("requestBody").is_some() {
                for status in ["413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} takes a body but lacks {status}"
                    );
                }
            }
            let authenticated = operation["security"].as_array().is_some_and(|s| !s.is_empty());
            if authenticated {
                assert!(responses.contains_key("401"), "{method} {path} needs a session but lacks 401");
            }
            seen.extend(responses.keys().cloned());
        }
    }
    for status in [
        "400", "401", "403", "404", "405", "408", "409", "413", "414", "415", "429", "431", "500", "503",
        "507",
    ] {
        assert!(seen.contains(status), "no operation declares {status}");
    }
}
