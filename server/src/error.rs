//! `ApiError`: every way a request can fail, as HTTP meanings.
//!
//! Each variant maps to one status and one [`ErrorCode`], answered as the spec's
//! `{"error": "<code>", "message": "<human text>"}` (`docs/spec/sync-api-v2.md`, first paragraph).
//! Internal failures are answered with a generic 500: a client never sees a database message or
//! a file path. Their source chain rides on the response as an [`ErrorRecord`] to the
//! `log_errors` middleware (lib.rs), the one place the server logs errors, inside the request's
//! span.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hush_proto::{ErrorBody, ErrorCode};

use crate::store::{QuotaKind, StoreError};

/// Longest request URI (path and query) accepted; longer is 414. The API's longest is a
/// prelogin path with an account id, under 100 bytes; the slack is for proxies that add to it.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The `Retry-After` of a 503. A busy store has already waited its lock timeout (5 s by default)
/// before the server gives up, so the writer it waited for is usually done moments later.
pub(crate) const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// A boxed internal error, logged but never shown to the client.
pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

/// A failed request.
#[derive(Debug)]
pub enum ApiError {
    /// 400: malformed request; the message says what is wrong with it.
    BadRequest(Cow<'static, str>),
    /// 401: missing, unknown, revoked or expired session token.
    Unauthorized,
    /// 401: a login or rekey signature does not verify.
    BadSignature,
    /// 401: the login challenge is unknown, used, expired or for another account.
    BadChallenge,
    /// 403: invite-only server and no valid registration code.
    RegistrationClosed,
    /// 404: the named thing does not exist.
    NotFound(&'static str),
    /// 405: the route exists, not with this method.
    MethodNotAllowed,
    /// 408: the request took longer than `Limits::request_timeout`.
    Timeout,
    /// 409: the account id is taken.
    AccountExists,
    /// 409: a rekey whose keyset does not raise the key version (`sync-api-v2.md`, `PUT /v2/keyset`).
    StaleKeyset,
    /// 409: another chunk is stored at this file id and index (`sync-api-v2.md`, "Files").
    FileExists,
    /// 409: `base_seq` is stale; `seq` is the account's current one.
    Conflict {
        /// The account's current seq.
        seq: u64,
    },
    /// 413: the body or one blob is over the limit.
    TooLarge(Cow<'static, str>),
    /// 414: the request URI is longer than [`MAX_URI_BYTES`].
    UriTooLong,
    /// 431: the request line and headers together are longer than the server accepts
    /// (`serve::MAX_HEAD_BYTES`), or there are too many headers.
    HeadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 429: too many failed logins; retry after this many seconds.
    RateLimited {
        /// Seconds until the next attempt is allowed; sent as `Retry-After`.
        retry_after_secs: u64,
    },
    /// 503: the store does not answer, or is busy; sent with `Retry-After`
    /// (`UNAVAILABLE_RETRY_AFTER_SECS`). With the store's error, for the log.
    Unavailable(Option<BoxError>),
    /// 507: the account would exceed a quota.
    Quota(QuotaKind),
    /// 500: a bug or a failing dependency; logged, answered generically.
    Internal(BoxError),
}

impl ApiError {
    /// Wraps an internal failure.
    pub fn internal(err: impl Into<BoxError>) -> Self {
        Self::Internal(err.into())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::BadSignature | Self::BadChallenge => StatusCode::UNAUTHORIZED,
            Self::RegistrationClosed => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::AccountExists | Self::StaleKeyset | Self::FileExists | Self::Conflict { .. } => {
                StatusCode::CONFLICT
            }
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::HeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Quota(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::Unauthorized => ErrorCode::Unauthorized,
            Self::BadSignature => ErrorCode::BadSignature,
            Self::BadChallenge => ErrorCode::BadChallenge,
            Self::RegistrationClosed => ErrorCode::RegistrationClosed,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::Timeout => ErrorCode::Timeout,
            Self::AccountExists => ErrorCode::AccountExists,
            Self::StaleKeyset => ErrorCode::StaleKeyset,
            Self::FileExists => ErrorCode::FileExists,
            Self::Conflict { .. } => ErrorCode::Conflict,
            // No code of their own: a client can do nothing different about 414 and 431 than
            // about 413, send less (docs/server.md, "Error answers").
            Self::TooLarge(_) => ErrorCode::TooLarge,
            Self::UriTooLong => ErrorCode::UriTooLong,
            Self::HeadTooLarge => ErrorCode::HeadersTooLarge,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Quota(_) => ErrorCode::Quota,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    fn message(&self) -> Cow<'static, str> {
        match self {
            Self::BadRequest(message) | Self::TooLarge(message) => message.clone(),
            Self::Unauthorized => "missing, unknown or expired session token".into(),
            Self::BadSignature => "signature does not verify".into(),
            Self::BadChallenge => "challenge unknown, already used or expired".into(),
            Self::RegistrationClosed => "registration needs a valid single-use registration code".into(),
            Self::NotFound(what) => format!("{what} not found").into(),
            Self::MethodNotAllowed => "method not allowed on this path".into(),
            Self::Timeout => "the request took too long; send it again".into(),
            Self::AccountExists => "an account with this id already exists".into(),
            Self::StaleKeyset => "the new keyset must have a greater key version than the current one".into(),
            Self::FileExists => {
                "another chunk is stored at this file id and index; files are immutable (a changed file is a \
                 new file id)"
                    .into()
            }
            Self::Conflict { seq } => {
                format!("base_seq is stale; the account is at seq {seq}: pull, merge, push again").into()
            }
            Self::UnsupportedMediaType => {
                "expected Content-Type: application/json (file chunks: application/octet-stream)".into()
            }
            Self::UriTooLong => format!("the request URI exceeds {MAX_URI_BYTES} bytes").into(),
            Self::HeadTooLarge => "the request line and headers exceed the server's limit".into(),
            Self::RateLimited { retry_after_secs } => {
                format!("too many failed attempts; retry in {retry_after_secs} s").into()
            }
            Self::Unavailable(_) => {
                "the server cannot serve this now; retry after Retry-After seconds".into()
            }
            Self::Quota(QuotaKind::Items) => "the account's item quota is exhausted".into(),
            Self::Quota(QuotaKind::Bytes) => "the account's storage quota is exhausted".into(),
            Self::Quota(QuotaKind::Files) => "the account's file storage quota is exhausted".into(),
            Self::Internal(_) => "internal server error".into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status(), self.message())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::AccountExists => Self::AccountExists,
            StoreError::InvalidInvite => Self::RegistrationClosed,
            StoreError::NotFound => Self::NotFound("account"),
            StoreError::Conflict { current } => Self::Conflict { seq: current },
            StoreError::ChunkExists => Self::FileExists,
            StoreError::Quota(kind) => Self::Quota(kind),
            StoreError::Unavailable(source) => {
                // Not a bug, so not an internal error; logged (as a warning) so that an operator
                // sees contention. The cause is a lock or pool timeout: no request data.
                Self::Unavailable(Some(source))
            }
            StoreError::Backend(source) => Self::Internal(source),
        }
    }
}

impl From<getrandom::Error> for ApiError {
    fn from(err: getrandom::Error) -> Self {
        Self::internal(err)
    }
}

/// What an error answer leaves for the log (see the module comment).
#[derive(Debug, Clone)]
pub(crate) struct ErrorRecord {
    /// A 500 (a bug or a failing dependency), logged as an error; otherwise a busy store's 503,
    /// logged as a warning.
    pub internal: bool,
    /// The error with its source chain.
    pub detail: String,
}

/// Displays an error with its whole `source()` chain, for the log.
struct Chain<'a>(&'a (dyn StdError + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}

impl ApiError {
    /// The spec's `{"error", "message"}` body of this error.
    fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.code(),
            message: self.message().into_owned(),
            seq: match self {
                Self::Conflict { seq } => Some(*seq),
                _ => None,
            },
        }
    }

    /// This error as a complete HTTP/1.1 answer after which the connection closes: for the
    /// connection layer, which answers some requests that never reach hyper's service (a
    /// malformed or oversized head, a head that never finished arriving; `src/serve/io.rs`).
    pub(crate) fn to_http1(&self) -> Vec<u8> {
        // Serialising an `ErrorBody` (an enum and a string) cannot fail.
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let status = self.status();
        let mut answer = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n\
             connection: close\r\ncontent-length: {}\r\n\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error"),
            body.len()
        )
        .into_bytes();
        answer.extend_from_slice(&body);
        answer
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, Json(self.body())).into_response();
        // Store and I/O errors carry no request data (sqlx does not print bound parameters), so
        // the record cannot leak a token or a blob.
        let record = match &self {
            Self::Internal(err) => {
                Some(ErrorRecord { internal: true, detail: Chain(err.as_ref()).to_string() })
            }
            Self::Unavailable(Some(err)) => {
                Some(ErrorRecord { internal: false, detail: Chain(err.as_ref()).to_string() })
            }
            _ => None,
        };
        if let Some(record) = record {
            response.extensions_mut().insert(record);
        }
        let headers = response.headers_mut();
        match self {
            Self::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            Self::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS));
            }
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the connection layer writes itself must read like every other answer of the API.
    #[test]
    fn raw_http1_answers_carry_the_json_error_body() {
        for (error, head) in [
            (ApiError::HeadTooLarge, "HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            (ApiError::UriTooLong, "HTTP/1.1 414 URI Too Long\r\n"),
            (ApiError::Timeout, "HTTP/1.1 408 Request Timeout\r\n"),
            (ApiError::BadRequest("malformed".into()), "HTTP/1.1 400 Bad Request\r\n"),
        ] {
            let answer = String::from_utf8(error.to_http1()).expect("UTF-8");
            assert!(answer.starts_with(head), "{answer}");
            let (headers, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
            assert!(headers.contains("\r\ncontent-type: application/json\r\n"), "{answer}");
            assert!(headers.contains("\r\nconnection: close\r\n"), "{answer}");
            assert!(headers.ends_with(&format!("\r\ncontent-length: {}", body.len())), "{answer}");
            let parsed: ErrorBody = serde_json::from_str(body).expect("the spec's error body");
            assert_eq!(parsed, error.body());
        }
    }
}
