//! Login sessions (`sync-api-v2.md`, "Sessions").

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::b64::{Challenge, SealedDeviceName, Signature};
use crate::secret::SessionToken;
use hush_core::{AccountId, SessionId};

/// `POST /v2/sessions/challenge`: ask for a one-time login challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// The account that wants to log in.
    pub account_id: AccountId,
}

/// The answer to [`ChallengeRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResponse {
    /// 32 random bytes to sign in the [`login_message`](crate::login_message).
    pub challenge: Challenge,
    /// Seconds the challenge stays valid (at most 300). It is consumed by the first login
    /// attempt, successful or not.
    pub expires_in: u64,
}

/// `POST /v2/sessions`: log in with a signed challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account logging in.
    pub account_id: AccountId,
    /// The challenge the server handed out.
    pub challenge: Challenge,
    /// Ed25519 signature by the account's auth key over the login message.
    pub signature: Signature,
    /// This device's name, sealed by the client so that the server cannot read it
    /// (`crypto-v2.md`, "Device names"): exactly [`SEALED_DEVICE_NAME_LEN`](crate::SEALED_DEVICE_NAME_LEN)
    /// bytes.
    pub device_name: SealedDeviceName,
}

/// The answer to a successful [`LoginRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The bearer token for `Authorization: Bearer <token>`.
    pub token: SessionToken,
    /// The id of the new session.
    pub session_id: SessionId,
    /// When the session expires if left unused (RFC 3339). Each use pushes this forward.
    pub expires_at: Timestamp,
}

/// One session in [`SessionList`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session's id, for `DELETE /v2/sessions/{session_id}`.
    pub id: SessionId,
    /// The sealed device name given at login; `None` for sessions opened before names were
    /// sealed (their plaintext names were erased by the server's upgrade).
    pub device_name: Option<SealedDeviceName>,
    /// When the session was created (RFC 3339).
    pub created: Timestamp,
    /// When the session was last used (RFC 3339; updated at most once a minute).
    pub last_seen: Timestamp,
    /// Whether this is the session that made the request.
    pub current: bool,
}

/// `GET /v2/sessions`: the account's sessions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    /// The sessions.
    pub sessions: Vec<SessionInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{B64, B64Array};

    #[test]
    fn login_round_trip() {
        let request = LoginRequest {
            account_id: AccountId::from_bytes([1; 16]),
            challenge: B64Array([2; 32]),
            signature: B64Array([3; 64]),
            device_name: B64Array([6; crate::SEALED_DEVICE_NAME_LEN]),
        };
        let json = serde_json::to_string(&request).expect("serialises");
        assert_eq!(serde_json::from_str::<LoginRequest>(&json).expect("parses"), request);
    }

    #[test]
    fn login_rejects_malformed_input() {
        let good = serde_json::json!({
            "account_id": AccountId::from_bytes([1; 16]),
            "challenge": B64(vec![2; 32]).encode(),
            "signature": B64(vec![3; 64]).encode(),
            "device_name": B64(vec![6; crate::SEALED_DEVICE_NAME_LEN]).encode(),
        });
        assert!(serde_json::from_value::<LoginRequest>(good.clone()).is_ok());
        for (field, value) in [
            ("challenge", serde_json::json!(B64(vec![2; 16]).encode())),
            ("signature", serde_json::json!("")),
            ("device_name", serde_json::json!(7)),
            ("device_name", serde_json::json!("laptop")),
            ("device_name", serde_json::json!(B64(vec![6; 109]).encode())),
            ("account_id", serde_json::json!(null)),
            ("surprise", serde_json::json!(true)),
        ] {
            let mut bad = good.clone();
            bad[field] = value;
            assert!(serde_json::from_value::<LoginRequest>(bad).is_err(), "{field}");
        }
    }

    #[test]
    fn login_response_uses_rfc3339() {
        let response = LoginResponse {
            token: SessionToken::new("tok"),
            session_id: SessionId::from_bytes([4; 16]),
            expires_at: Timestamp::from_second(1_800_000_000).expect("in range"),
        };
        let json = serde_json::to_value(&response).expect("serialises");
        assert_eq!(json["expires_at"], "2027-01-15T08:00:00Z");
        assert_eq!(json["token"], "tok");
        let back: LoginResponse = serde_json::from_value(json).expect("parses");
        assert_eq!(back, response);
    }

    #[test]
    fn challenge_request_rejects_unknown_fields() {
        let ok = serde_json::json!({"account_id": AccountId::from_bytes([1; 16])});
        assert!(serde_json::from_value::<ChallengeRequest>(ok).is_ok());
        let bad = serde_json::json!({"account_id": AccountId::from_bytes([1; 16]), "x": 1});
        assert!(serde_json::from_value::<ChallengeRequest>(bad).is_err());
    }
}
