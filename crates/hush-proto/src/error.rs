//! The error body: "Every error answer is `{"error": "<code>", "message": "<human text>"}` with a
//! fitting status" (`sync-api-v2.md`).

use serde::{Deserialize, Serialize};

/// Machine-readable error code, the `error` field of [`ErrorBody`]. Serialised in snake_case.
///
/// The HTTP status each code travels with is noted on the variant. Clients should branch on the
/// code, not on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: the request is malformed (bad JSON, wrong types, missing fields, invalid values).
    BadRequest,
    /// 401: no session token, or an unknown, revoked or expired one.
    Unauthorized,
    /// 401: the login or rekey signature does not verify.
    BadSignature,
    /// 401: the login challenge is unknown, already used, expired or for another account.
    BadChallenge,
    /// 403: the server is invite-only and the registration code is missing or wrong.
    RegistrationClosed,
    /// 404: no such account, session or route.
    NotFound,
    /// 405: the route exists but not with this method.
    MethodNotAllowed,
    /// 408: the request was not received and answered within the server's time limit.
    Timeout,
    /// 409: an account with this id already exists.
    AccountExists,
    /// 409: `base_seq` is not the account's current seq; [`ErrorBody::seq`] holds the current one.
    Conflict,
    /// 409: a rekey whose keyset does not raise the key version (`sync-api-v2.md`, `PUT /v2/keyset`).
    StaleKeyset,
    /// 409: another chunk is stored at this file id and index; files are immutable (`sync-api-v2.md`,
    /// "Files").
    FileExists,
    /// 413: the request body or one blob exceeds the server's limit.
    TooLarge,
    /// 414: the request URI is too long (answered before routing).
    UriTooLong,
    /// 431: the request headers are too large (answered before routing).
    HeadersTooLarge,
    /// 415: the request body is not `application/json`.
    UnsupportedMediaType,
    /// 429: too many failed logins; retry after the `Retry-After` header's seconds.
    RateLimited,
    /// 500: the server failed; details are in its log, never in the answer.
    Internal,
    /// 503: the server cannot serve the request now (for example its store is unreachable).
    Unavailable,
    /// 507: the account would exceed its item-count, storage or file-storage quota.
    Quota,
    /// A code this version of the crate does not know (a newer server). Never sent.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code a server sends, in the order of docs/spec/sync-api-v2.md, "Errors" (not
    /// [`ErrorCode::Unknown`], which only a client makes of a code it does not know). The
    /// server's OpenAPI description must declare each (server/tests/openapi.rs).
    pub const ALL: [ErrorCode; 20] = [
        ErrorCode::BadRequest,
        ErrorCode::Unauthorized,
        ErrorCode::BadSignature,
        ErrorCode::BadChallenge,
        ErrorCode::RegistrationClosed,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Timeout,
        ErrorCode::AccountExists,
        ErrorCode::Conflict,
        ErrorCode::StaleKeyset,
        ErrorCode::FileExists,
        ErrorCode::TooLarge,
        ErrorCode::UriTooLong,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RateLimited,
        ErrorCode::HeadersTooLarge,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
        ErrorCode::Quota,
    ];

    /// The HTTP status this code travels with (docs/spec/sync-api-v2.md, "Errors"); `None` for
    /// [`ErrorCode::Unknown`].
    pub const fn status(self) -> Option<u16> {
        Some(match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized | ErrorCode::BadSignature | ErrorCode::BadChallenge => 401,
            ErrorCode::RegistrationClosed => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Timeout => 408,
            ErrorCode::AccountExists
            | ErrorCode::Conflict
            | ErrorCode::StaleKeyset
            | ErrorCode::FileExists => 409,
            ErrorCode::TooLarge => 413,
            ErrorCode::UriTooLong => 414,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::HeadersTooLarge => 431,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
            ErrorCode::Quota => 507,
            ErrorCode::Unknown => return None,
        })
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, for programs.
    pub error: ErrorCode,
    /// What went wrong, for people. Never contains secrets or server internals.
    pub message: String,
    /// With [`ErrorCode::Conflict`]: the account's current seq, so the client knows how far to
    /// pull before it merges and pushes again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_without_seq_when_absent() {
        let body =
            ErrorBody { error: ErrorCode::RegistrationClosed, message: "invite only".into(), seq: None };
        assert_eq!(
            serde_json::to_string(&body).expect("serialises"),
            r#"{"error":"registration_closed","message":"invite only"}"#
        );
    }

    #[test]
    fn conflict_carries_seq() {
        let body = ErrorBody { error: ErrorCode::Conflict, message: "stale".into(), seq: Some(58) };
        let json = serde_json::to_string(&body).expect("serialises");
        assert_eq!(json, r#"{"error":"conflict","message":"stale","seq":58}"#);
        assert_eq!(serde_json::from_str::<ErrorBody>(&json).expect("parses"), body);
    }

    #[test]
    fn every_code_is_snake_case() {
        for (code, text) in [
            (ErrorCode::AccountExists, "account_exists"),
            (ErrorCode::RegistrationClosed, "registration_closed"),
            (ErrorCode::BadSignature, "bad_signature"),
            (ErrorCode::BadChallenge, "bad_challenge"),
            (ErrorCode::RateLimited, "rate_limited"),
            (ErrorCode::Conflict, "conflict"),
            (ErrorCode::FileExists, "file_exists"),
            (ErrorCode::TooLarge, "too_large"),
            (ErrorCode::Quota, "quota"),
            (ErrorCode::Unauthorized, "unauthorized"),
            (ErrorCode::NotFound, "not_found"),
            (ErrorCode::BadRequest, "bad_request"),
            (ErrorCode::Internal, "internal"),
            (ErrorCode::MethodNotAllowed, "method_not_allowed"),
            (ErrorCode::UnsupportedMediaType, "unsupported_media_type"),
            (ErrorCode::Unavailable, "unavailable"),
        ] {
            let json = serde_json::to_string(&code).expect("serialises");
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).expect("parses"), code);
        }
    }

    /// `ALL` lists every code but `Unknown`, each once, in order. The `match` below is exhaustive
    /// (inside this crate `#[non_exhaustive]` does not apply), so a new code does not compile
    /// until it is given its place here, beside the check that `ALL` holds it there.
    #[test]
    fn all_holds_every_code_a_server_sends_once() {
        let place = |code: ErrorCode| match code {
            ErrorCode::BadRequest => Some(0),
            ErrorCode::Unauthorized => Some(1),
            ErrorCode::BadSignature => Some(2),
            ErrorCode::BadChallenge => Some(3),
            ErrorCode::RegistrationClosed => Some(4),
            ErrorCode::NotFound => Some(5),
            ErrorCode::MethodNotAllowed => Some(6),
            ErrorCode::Timeout => Some(7),
            ErrorCode::AccountExists => Some(8),
            ErrorCode::Conflict => Some(9),
            ErrorCode::StaleKeyset => Some(10),
            ErrorCode::FileExists => Some(11),
            ErrorCode::TooLarge => Some(12),
            ErrorCode::UriTooLong => Some(13),
            ErrorCode::UnsupportedMediaType => Some(14),
            ErrorCode::RateLimited => Some(15),
            ErrorCode::HeadersTooLarge => Some(16),
            ErrorCode::Internal => Some(17),
            ErrorCode::Unavailable => Some(18),
            ErrorCode::Quota => Some(19),
            ErrorCode::Unknown => None,
        };
        for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(place(code), Some(i), "{code:?}");
            assert!(code.status().is_some(), "{code:?}");
        }
        assert_eq!(place(ErrorCode::Unknown), None);
        assert_eq!(ErrorCode::Unknown.status(), None);
    }

    #[test]
    fn unknown_codes_from_a_newer_server_still_parse() {
        let body: ErrorBody = serde_json::from_str(r#"{"error":"brand_new","message":"m"}"#).expect("parses");
        assert_eq!(body.error, ErrorCode::Unknown);
    }

    #[test]
    fn rejects_a_body_without_error_code() {
        assert!(serde_json::from_str::<ErrorBody>(r#"{"message":"m"}"#).is_err());
    }
}
