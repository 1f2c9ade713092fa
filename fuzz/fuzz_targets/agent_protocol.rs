//! The agent protocol (cli/src/agent/protocol.rs; docs/agent-and-clipboard.md, "The agent"):
//! one JSON line each way over the agent's Unix socket. The agent reads requests from any
//! process of its user, and a command reads the answer of whatever listens on the socket, so
//! both directions are parsed here, with the very module the CLI compiles (included by path,
//! because the CLI is a binary crate).
//!
//! Properties: reading a line never reads past its bound or panics; the agent's parsing of a
//! request (the envelope, the `lock` rule every version keeps, the version check, the request,
//! the checks of `put_key`'s fields) never panics, and refuses with a reply that a client can
//! parse; a `put_key` it accepts holds a key ring that decodes; and a request that parses is
//! written back as one line that parses to the same operation.
#![no_main]

#[allow(dead_code, unreachable_pub)]
#[path = "../../cli/src/agent/protocol.rs"]
mod protocol;

use hush_crypto::KeyRing;
use libfuzzer_sys::fuzz_target;
use protocol::{Envelope, Incoming, MAX_LINE, MAX_RING_BYTES, Op, PutKey, Response};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = protocol::read_line(&mut &data[..]) else { return };
    assert!(line.len() < MAX_LINE && !line.contains(&b'\n'));

    // The agent's side.
    match protocol::read_request(&line) {
        Incoming::Lock => {}
        Incoming::Refused(reply) => {
            let mut written = Vec::new();
            protocol::write_message(&mut written, &reply).expect("a reply serialises");
            let parsed: Response = serde_json::from_slice(&written).expect("a client reads every refusal");
            assert!(parsed.error.is_some());
        }
        Incoming::Request(request) => {
            if request.op == Op::PutKey
                && let Ok(put) = PutKey::from_request(&request)
            {
                assert!(KeyRing::decode(&put.key).is_ok());
                assert!(put.timeout.as_secs() >= 1);
            }
            let mut written = Vec::new();
            protocol::write_message(&mut written, &request).expect("a request serialises");
            assert_eq!(written.iter().filter(|&&b| b == b'\n').count(), 1, "a message is one line");
            match protocol::read_request(&protocol::read_line(&mut &written[..]).expect("a line")) {
                Incoming::Request(again) => assert_eq!(again.op, request.op),
                Incoming::Lock => assert_eq!(request.op, Op::Lock),
                Incoming::Refused(_) => panic!("a request the agent read was refused when written back"),
            }
        }
    }

    // The client's side: what `fetch_key` and `status` do with an answer.
    if serde_json::from_slice::<Envelope>(&line).is_ok()
        && let Ok(response) = serde_json::from_slice::<Response>(&line)
        && let Some(reply) = &response.key
        && let Some(bytes) = reply.key.decode(MAX_RING_BYTES)
    {
        assert!(bytes.len() <= MAX_RING_BYTES);
        let _ = KeyRing::decode(&bytes);
        let _ = reply.account_id.parse::<hush_crypto::AccountId>();
    }
});
