//! The agent protocol, version 2: one JSON line from the client, one JSON line back,
//! then the connection closes (the `Action`/`Response` pattern of rbw's agent).
//!
//! ```text
//! → {"v":2,"op":"get_key"}
//! ← {"v":2,"key":{"account_id":"…","key_version":3,"key":"<base64 key ring>","auth_key":"<base64>"}}
//! → {"v":2,"op":"put_key","account_id":"…","key_version":3,"key":"<base64>","auth_key":"<base64>","timeout_secs":900}
//! ← {"v":2,"ok":{"warnings":[]}}
//! → {"v":2,"op":"status"}
//! ← {"v":2,"status":{"unlocked":true,"account_id":"…","timeout_secs":900,"remaining_secs":873,"pid":4242}}
//! → {"v":2,"op":"lock"}
//! ← {"v":2,"ok":{"warnings":[]}}
//! ← {"v":2,"error":{"code":"locked","message":"…"}}
//! ```
//!
//! Version 2 hands over the vault's key ring (docs/spec/crypto-v2.md, "Keyset": every key the
//! account has had, newest first) instead of version 1's single 32-byte key; `key_version` is
//! the ring's current version. `auth_key` (the 32-byte seed of the server auth key derived with
//! that ring's password, docs/spec/crypto-v2.md, "Key derivation") is optional on both sides:
//! an agent that predates it ignores it as an unknown field and answers without it, and the
//! client then asks for the master password where it needs the auth key (`hush register`).
//!
//! Every message starts with `v`. Each side first reads only `v` ([`Envelope`]) and
//! then the rest, so that a future version may change every other field and still be
//! recognised as "another version" rather than as garbage. One rule binds every
//! version: an agent that receives `"op":"lock"` locks and exits, whatever `v` says,
//! so `hush lock` can always stop an agent left running by an older or newer hush.
//!
//! The messages are flat structs, not internally tagged enums: serde buffers the
//! fields of a tagged enum into an internal map before it can pick the variant, and
//! that buffer would hold a copy of the key that nobody zeroizes.

use std::io::{self, Read, Write};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hush_crypto::{AccountId, KeyRing};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// The protocol version this hush speaks.
pub(crate) const VERSION: u32 = 2;

/// The longest line either side reads: room for the largest key ring a keyset may hold
/// (1024 keys, 36 bytes each, in base64) with the other fields. A typical line is well under
/// 1 KiB; the bound keeps a misbehaving peer from making the other side allocate without end,
/// and lets the buffer be allocated once (no reallocation leaves key copies).
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The longest encoded key ring accepted (`hush_crypto::MAX_RING_KEYS` keys).
pub(crate) const MAX_RING_BYTES: usize = 4 + 36 * hush_crypto::MAX_RING_KEYS;

/// Just the version, read before anything else.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    /// The protocol version of the sender.
    pub v: u32,
    /// The operation, for the version-independent `lock` rule.
    #[serde(default)]
    pub op: Option<String>,
}

/// What the client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Op {
    /// The vault key (resets the idle timer).
    GetKey,
    /// Whether a key is held and for how long.
    Status,
    /// Forget the key at once and exit.
    Lock,
    /// Hold this key (sent once by `hush unlock`).
    PutKey,
}

/// A request. Only `put_key` carries the optional fields.
#[derive(Serialize, Deserialize)]
pub(crate) struct Request {
    /// Always [`VERSION`].
    pub v: u32,
    /// The operation.
    pub op: Op,
    /// `put_key`: the account the key belongs to (hyphenated UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// `put_key`: the key version of the keyset the key came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_version: Option<u32>,
    /// `put_key`: the vault key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SecretB64>,
    /// `put_key`: the seed of the server auth key, when the client has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_key: Option<SecretB64>,
    /// `put_key`: the idle timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
}

impl Request {
    /// A request without arguments.
    pub(crate) fn simple(op: Op) -> Request {
        Request {
            v: VERSION,
            op,
            account_id: None,
            key_version: None,
            key: None,
            auth_key: None,
            timeout_secs: None,
        }
    }
}

/// A response: exactly one of the optional members is set.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Response {
    /// The agent's protocol version.
    pub v: u32,
    /// `get_key` succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyReply>,
    /// The answer to `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusReply>,
    /// `put_key` or `lock` succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<OkReply>,
    /// The request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReply>,
}

/// The vault key and what it belongs to; the client checks both against its vault.
#[derive(Serialize, Deserialize)]
pub(crate) struct KeyReply {
    /// The account the key belongs to.
    pub account_id: String,
    /// The keyset version it came from.
    pub key_version: u32,
    /// The key.
    pub key: SecretB64,
    /// The seed of the server auth key, if the agent was given one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_key: Option<SecretB64>,
}

/// The agent's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StatusReply {
    /// Whether a key is held.
    pub unlocked: bool,
    /// Whose key.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The idle timeout.
    pub timeout_secs: u64,
    /// Seconds left before the agent forgets the key, unless it is used.
    pub remaining_secs: u64,
    /// The agent's process id.
    pub pid: u32,
}

/// Success, with anything the user should know (such as a failed `mlock`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct OkReply {
    /// Non-fatal problems.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Why a request failed.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ErrorReply {
    /// Machine-readable reason.
    pub code: ErrorCode,
    /// For people.
    pub message: String,
}

/// Failure reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ErrorCode {
    /// No key is held (not yet handed over, or forgotten).
    Locked,
    /// The request could not be parsed or lacks a field.
    BadRequest,
    /// The request speaks another protocol version.
    UnsupportedVersion,
    /// The peer is another user.
    Forbidden,
}

impl Response {
    /// A response carrying only an error.
    pub(crate) fn error(code: ErrorCode, message: impl Into<String>) -> Response {
        Response {
            v: VERSION,
            error: Some(ErrorReply { code, message: message.into() }),
            ..Response::default()
        }
    }

    /// A plain success.
    pub(crate) fn ok(warnings: Vec<String>) -> Response {
        Response { v: VERSION, ok: Some(OkReply { warnings }), ..Response::default() }
    }
}

/// What the agent makes of one request line, before it looks at its own state.
pub(crate) enum Incoming {
    /// `"op":"lock"`, whatever the version says: the rule every version keeps.
    Lock,
    /// A request of this protocol version.
    Request(Request),
    /// A line the agent cannot serve; the reply says why.
    Refused(Response),
}

/// Reads one request line as the agent does: the envelope first (so that another version is
/// told so rather than called garbage), then the version-independent `lock` rule, then the
/// request of this version. This is the agent's only parser of what a client sends, and the
/// fuzz target `agent_protocol` (docs/fuzzing.md) runs it on arbitrary bytes.
pub(crate) fn read_request(line: &[u8]) -> Incoming {
    let envelope: Envelope = match serde_json::from_slice(line) {
        Ok(e) => e,
        Err(_) => return Incoming::Refused(Response::error(ErrorCode::BadRequest, "not an agent request")),
    };
    if envelope.op.as_deref() == Some("lock") {
        return Incoming::Lock;
    }
    if envelope.v != VERSION {
        let msg = format!("this agent speaks protocol version {VERSION}, not {}", envelope.v);
        return Incoming::Refused(Response::error(ErrorCode::UnsupportedVersion, msg));
    }
    match serde_json::from_slice(line) {
        Ok(request) => Incoming::Request(request),
        Err(e) => Incoming::Refused(Response::error(ErrorCode::BadRequest, format!("bad request: {e}"))),
    }
}

/// The longest idle timeout an agent accepts: ten years, so that deadline arithmetic can
/// never overflow.
pub(crate) const MAX_TIMEOUT_SECS: u64 = 10 * 365 * 24 * 3600;

/// The fields of a `put_key`, checked: what the agent stores.
pub(crate) struct PutKey {
    /// The account the key ring belongs to.
    pub account_id: AccountId,
    /// The encoded key ring (it parsed as one).
    pub key: Zeroizing<Vec<u8>>,
    /// The ring's current key version, as the client says.
    pub key_version: u32,
    /// The idle timeout, at least 1 s and at most [`MAX_TIMEOUT_SECS`].
    pub timeout: Duration,
    /// The server auth key's seed, when the client sends it (32 bytes, an Ed25519 secret key,
    /// RFC 8032): it lets `register` and a login again go without a prompt.
    pub auth: Option<Zeroizing<Vec<u8>>>,
}

/// The length of the server auth key's seed.
const AUTH_SEED_BYTES: usize = 32;

impl PutKey {
    /// Checks a `put_key` request's fields; the error is the reply to send (boxed: a reply is
    /// much larger than the checked fields).
    pub(crate) fn from_request(request: &Request) -> Result<PutKey, Box<Response>> {
        let refuse = |message: &str| Box::new(Response::error(ErrorCode::BadRequest, message));
        let account_id = request
            .account_id
            .as_deref()
            .and_then(|s| s.parse::<AccountId>().ok())
            .ok_or_else(|| refuse("put_key needs a valid account_id"))?;
        // The ring is parsed once to refuse garbage; the agent keeps its encoded bytes.
        let key = request
            .key
            .as_ref()
            .and_then(|k| k.decode(MAX_RING_BYTES))
            .filter(|bytes| KeyRing::decode(bytes).is_ok())
            .ok_or_else(|| refuse("put_key needs a base64 key ring"))?;
        let timeout = request
            .timeout_secs
            .filter(|&t| t > 0)
            .ok_or_else(|| refuse("put_key needs timeout_secs of at least 1"))?;
        let key_version = request.key_version.ok_or_else(|| refuse("put_key needs key_version"))?;
        let auth = match &request.auth_key {
            None => None,
            Some(b64) => Some(
                b64.decode(AUTH_SEED_BYTES)
                    .filter(|seed| seed.len() == AUTH_SEED_BYTES)
                    .ok_or_else(|| refuse("auth_key must be 32 bytes of base64"))?,
            ),
        };
        Ok(PutKey {
            account_id,
            key,
            key_version,
            timeout: Duration::from_secs(timeout.min(MAX_TIMEOUT_SECS)),
            auth,
        })
    }
}

/// Base64 of secret bytes, zeroized on drop; serialised as a JSON string.
pub(crate) struct SecretB64(pub Zeroizing<String>);

impl SecretB64 {
    /// Encodes key bytes.
    pub(crate) fn encode(bytes: &[u8]) -> SecretB64 {
        // `encode` allocates the exact length once, so no stray copy is left behind.
        SecretB64(Zeroizing::new(BASE64.encode(bytes)))
    }

    /// Decodes into at most `max` bytes, or `None`. The buffer is sized once from the text's
    /// length, so no reallocation leaves a copy of the key behind.
    pub(crate) fn decode(&self, max: usize) -> Option<Zeroizing<Vec<u8>>> {
        let estimate = base64::decoded_len_estimate(self.0.len());
        if estimate > max + 3 {
            return None;
        }
        let mut buf = Zeroizing::new(vec![0u8; estimate]);
        let n = BASE64.decode_slice(self.0.as_bytes(), &mut buf[..]).ok()?;
        if n > max {
            return None;
        }
        buf.truncate(n);
        Some(buf)
    }
}

impl Serialize for SecretB64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretB64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SecretB64(Zeroizing::new(String::deserialize(d)?)))
    }
}

/// Serialises `msg` as one line and writes it in a single `write_all`.
pub(crate) fn write_message<T: Serialize>(out: &mut impl Write, msg: &T) -> io::Result<()> {
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_LINE));
    serde_json::to_writer(&mut *buf, msg).map_err(io::Error::other)?;
    buf.push(b'\n');
    out.write_all(&buf)?;
    out.flush()
}

/// Reads one line (without its newline) of at most [`MAX_LINE`] bytes into a
/// zeroizing buffer. Reads straight from the stream: a `BufReader` would keep its
/// own copy of the key in a buffer that is never zeroized.
pub(crate) fn read_line(input: &mut impl Read) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(vec![0u8; MAX_LINE]);
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "agent message too long"));
        }
        let n = match input.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            if filled == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the agent closed the connection"));
            }
            break;
        }
        let newline = buf[filled..filled + n].iter().position(|&b| b == b'\n');
        filled += n;
        if let Some(pos) = newline {
            filled = filled - n + pos;
            break;
        }
    }
    // Truncation keeps the capacity, and Zeroizing clears the whole capacity on drop.
    buf.truncate(filled);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_flat_json() {
        let json = serde_json::to_string(&Request::simple(Op::GetKey)).unwrap();
        assert_eq!(json, r#"{"v":2,"op":"get_key"}"#);
    }

    #[test]
    fn key_round_trips_through_base64() {
        let key = [7u8; 32];
        let b64 = SecretB64::encode(&key);
        assert_eq!(b64.decode(32).unwrap().as_slice(), key);
        assert!(b64.decode(16).is_none());
        assert!(SecretB64(Zeroizing::new("not base64!".into())).decode(32).is_none());
        assert!(SecretB64(Zeroizing::new("A".repeat(200))).decode(32).is_none());
    }

    #[test]
    fn the_auth_key_is_optional_both_ways() {
        // A request and a reply of an agent from before `auth_key` still parse, without it.
        let r: Request = serde_json::from_str(
            r#"{"v":2,"op":"put_key","account_id":"a","key_version":1,"key":"AA==","timeout_secs":9}"#,
        )
        .unwrap();
        assert!(r.auth_key.is_none());
        let k: KeyReply = serde_json::from_str(r#"{"account_id":"a","key_version":1,"key":"AA=="}"#).unwrap();
        assert!(k.auth_key.is_none());
        // Absent, it is not written at all (an older agent sees exactly what it knows).
        let json = serde_json::to_string(&Request::simple(Op::PutKey)).unwrap();
        assert!(!json.contains("auth_key"), "{json}");
        let with = KeyReply {
            account_id: "a".into(),
            key_version: 1,
            key: SecretB64::encode(&[1]),
            auth_key: Some(SecretB64::encode(&[2; 32])),
        };
        let json = serde_json::to_string(&with).unwrap();
        let back: KeyReply = serde_json::from_str(&json).unwrap();
        assert_eq!(back.auth_key.unwrap().decode(32).unwrap().as_slice(), [2; 32]);
    }

    #[test]
    fn envelope_reads_any_version() {
        let e: Envelope = serde_json::from_str(r#"{"v":999,"something":{"new":true}}"#).unwrap();
        assert_eq!(e.v, 999);
        assert!(serde_json::from_str::<Envelope>(r#"{"op":"lock"}"#).is_err());
    }

    #[test]
    fn read_line_stops_at_newline_and_bounds_length() {
        let mut input: &[u8] = b"{\"v\":1}\nrest";
        assert_eq!(&read_line(&mut input).unwrap()[..], b"{\"v\":1}");
        let long = vec![b'a'; MAX_LINE + 10];
        assert!(read_line(&mut &long[..]).is_err());
        assert!(read_line(&mut &b""[..]).is_err());
        // A final line without newline is accepted.
        assert_eq!(&read_line(&mut &b"abc"[..]).unwrap()[..], b"abc");
    }

    #[test]
    fn lock_works_in_every_version_and_other_versions_are_told_so() {
        assert!(matches!(read_request(br#"{"v":1,"op":"lock"}"#), Incoming::Lock));
        assert!(matches!(read_request(br#"{"v":99,"op":"lock","new":{}}"#), Incoming::Lock));
        let Incoming::Refused(reply) = read_request(br#"{"v":3,"op":"get_key"}"#) else { panic!() };
        assert_eq!(reply.error.map(|e| e.code), Some(ErrorCode::UnsupportedVersion));
        let Incoming::Refused(reply) = read_request(b"not json") else { panic!() };
        assert_eq!(reply.error.map(|e| e.code), Some(ErrorCode::BadRequest));
        assert!(
            matches!(read_request(br#"{"v":2,"op":"status"}"#), Incoming::Request(r) if r.op == Op::Status)
        );
    }

    #[test]
    fn put_key_fields_are_checked_before_anything_is_held() {
        let ring = hush_crypto::KeyRing::new(3, hush_crypto::VaultKey::generate());
        let good = || Request {
            v: VERSION,
            op: Op::PutKey,
            account_id: Some("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into()),
            key_version: Some(3),
            key: Some(SecretB64::encode(&ring.encode())),
            timeout_secs: Some(u64::MAX),
            auth_key: None,
        };
        let put = PutKey::from_request(&good()).unwrap_or_else(|_| panic!("a valid put_key"));
        assert_eq!(put.timeout, Duration::from_secs(MAX_TIMEOUT_SECS), "capped");
        assert_eq!(&put.key[..], &ring.encode()[..]);
        let refusals: [fn(&mut Request); 6] = [
            |r| r.account_id = Some("not an id".into()),
            |r| r.key = Some(SecretB64::encode(&[0; 36])),
            |r| r.key = None,
            |r| r.timeout_secs = Some(0),
            |r| r.key_version = None,
            |r| r.auth_key = Some(SecretB64::encode(&[7; 31])),
        ];
        for refuse in refusals {
            let mut request = good();
            refuse(&mut request);
            let Err(reply) = PutKey::from_request(&request) else { panic!("accepted a bad put_key") };
            assert_eq!(reply.error.map(|e| e.code), Some(ErrorCode::BadRequest));
        }
    }

    #[test]
    fn unknown_fields_and_ops_are_rejected_or_ignored_as_designed() {
        // Unknown fields are ignored (a newer client may add optional ones)...
        let r: Request = serde_json::from_str(r#"{"v":1,"op":"status","extra":1}"#).unwrap();
        assert_eq!(r.op, Op::Status);
        // ...unknown operations are an error.
        assert!(serde_json::from_str::<Request>(r#"{"v":1,"op":"dump_memory"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"v":1}"#).is_err());
    }
}
