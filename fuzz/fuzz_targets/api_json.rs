//! The JSON of sync API v2 (docs/spec/sync-api-v2.md; crates/hush-proto) in both directions:
//! the request bodies the server parses from anyone on the network, and the answers a device
//! parses from a server it must not trust. The server's own checks on top of these types are
//! fuzzed through its router by `api_server`.
//!
//! Properties: parsing never panics; whatever parses serialises and parses back to an equal
//! value (so client and server, which share these types, can never read one message two
//! ways); and an id in canonical form has no other spelling.
#![no_main]

use hush_proto::{
    AccountId, ChallengeRequest, ChallengeResponse, DeleteAccountRequest, ErrorBody, ItemId, LoginRequest,
    LoginResponse, PreloginResponse, PullQuery, PullResponse, PushRequest, PushResponse, RegisterRequest,
    RegisterResponse, RekeyRequest, RekeyResponse, SessionId, SessionList,
};
use libfuzzer_sys::fuzz_target;

macro_rules! round_trips {
    ($data:expr, $($ty:ty),* $(,)?) => {
        $(
            if let Ok(value) = serde_json::from_slice::<$ty>($data) {
                let json = serde_json::to_vec(&value).expect("a parsed message serialises");
                let again: $ty = serde_json::from_slice(&json)
                    .unwrap_or_else(|e| panic!("{} does not parse back: {e}", stringify!($ty)));
                assert!(again == value, "{} changed through its JSON", stringify!($ty));
            }
        )*
    };
}

fuzz_target!(|data: &[u8]| {
    round_trips!(
        data,
        RegisterRequest,
        RegisterResponse,
        PreloginResponse,
        DeleteAccountRequest,
        RekeyRequest,
        RekeyResponse,
        ChallengeRequest,
        ChallengeResponse,
        LoginRequest,
        LoginResponse,
        SessionList,
        PullQuery,
        PullResponse,
        PushRequest,
        PushResponse,
        ErrorBody,
    );
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(id) = text.parse::<AccountId>() {
        assert_eq!(id.to_string(), text, "a canonical id has another spelling");
    }
    if let Ok(id) = text.parse::<SessionId>() {
        assert_eq!(id.to_string(), text);
    }
    if let Some(id) = ItemId::parse_lenient(text) {
        assert_eq!(id.to_string().parse::<ItemId>(), Ok(id));
    }
});
