//! Errors are logged once, by the `log_errors` middleware, inside the request's span (method and
//! route template, never ids), with their cause; the answer carries none of it. Its own test
//! binary: a scoped `tracing` subscriber only sees what its thread logs if no other test thread
//! hits the same call sites at the same time.

#[allow(dead_code)]
#[path = "api/support.rs"]
mod support;

/// The store `support` runs these tests against.
const BACKEND: support::Backend = support::Backend::Sqlite;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use hush_proto::ErrorCode;
use hush_server::store::SqliteOptions;
use support::{TestAccount, TestServer, item, open_config, push_request};

#[tokio::test]
async fn a_busy_store_is_logged_once_as_a_warning_in_the_request_span() {
    let options = SqliteOptions { lock_timeout: Duration::from_millis(200) };
    let server = TestServer::with_options(open_config(), options).await;
    let account = TestAccount::new(1);
    server.register(&account).await;
    let token = server.login(&account).await;
    let lock = server.hold_write_lock().await;

    let log = Captured::default();
    let response = {
        let _logging = tracing::subscriber::set_default(
            tracing_subscriber::fmt().with_writer(log.clone()).with_ansi(false).finish(),
        );
        server.push(&token, &push_request(0, vec![item(1, 300, 2)])).await
    };
    response.assert_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable);
    lock.release().await;

    let log = log.text();
    let line =
        log.lines().find(|l| l.contains("store busy; answering 503")).unwrap_or_else(|| panic!("{log}"));
    assert_eq!(log.matches("store busy; answering 503").count(), 1, "{log}");
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains(r#"request{method=POST route="/v2/vault"}"#), "{line}");
    assert!(line.contains("database is locked"), "the cause: {line}");
    assert!(!log.contains("ERROR"), "a busy store is not an error: {log}");
    assert!(!log.contains(&token), "{log}");
}

/// A log sink for one test: what the server logged while it was the default subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
