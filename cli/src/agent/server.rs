//! The agent process (`hush __agent --socket PATH`), started detached by `hush unlock`.
//!
//! One thread, one connection at a time: every request is answered from memory in
//! microseconds, so there is nothing to gain from concurrency and a lot of
//! reasoning to save. The idle timeout needs no timer thread either: `accept(2)`
//! honours `SO_RCVTIMEO` on Linux (socket(7)), so the loop wakes when the key is due
//! to be forgotten.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use hush_crypto::AccountId;
use rustix::net::sockopt::{self, Timeout};

use super::memlock::LockedKey;
use super::protocol::{
    self, ErrorCode, Incoming, KeyReply, Op, PutKey, Request, Response, SecretB64, StatusReply, VERSION,
};

/// How long a fresh agent waits for `hush unlock` to hand it the key before giving up.
const STARTUP_GRACE: Duration = Duration::from_secs(10);

/// How often an idle agent checks that its socket is still there.
const SOCKET_CHECK: Duration = Duration::from_secs(5);

/// How long one client may take to send its request or read the answer. Our client
/// writes its request right after connecting; a client that stalls must not hold up
/// every other `hush`, whose own timeout (2 s, client.rs) is well above this.
const CLIENT_IO_TIMEOUT: Duration = Duration::from_millis(500);

/// The key and what it belongs to.
struct Held {
    account_id: AccountId,
    key_version: u32,
    key: LockedKey,
    /// The seed of the server auth key, when `put_key` carried one (32 bytes).
    auth: Option<LockedKey>,
    timeout: Duration,
    /// Last use, on the monotonic clock...
    used_mono: Instant,
    /// ...and on the wall clock: the monotonic clock stops while a laptop sleeps, and
    /// an agent must not come back from a night's suspend still unlocked.
    used_wall: SystemTime,
}

impl Held {
    /// How long the key has been idle: the larger reading of the two clocks.
    fn idle(&self) -> Duration {
        let wall = SystemTime::now().duration_since(self.used_wall).unwrap_or_default();
        self.used_mono.elapsed().max(wall)
    }

    /// Time left before the key must be forgotten; `None` once it is due.
    fn remaining(&self) -> Option<Duration> {
        self.timeout.checked_sub(self.idle()).filter(|d| !d.is_zero())
    }

    fn touch(&mut self) {
        self.used_mono = Instant::now();
        self.used_wall = SystemTime::now();
    }
}

struct Agent {
    socket: PathBuf,
    /// Device and inode of our socket file, so that on exit we remove only our own
    /// socket and not the one of a newer agent that replaced it.
    socket_id: Option<(u64, u64)>,
    started: Instant,
    held: Option<Held>,
    /// Hardening that failed at start, reported to `hush unlock`.
    warnings: Vec<String>,
}

enum Flow {
    Continue,
    Exit,
}

/// Runs the agent until it is locked or idle past its timeout. Errors are returned
/// only while starting (the parent `hush unlock` still reads our stderr then); once
/// listening, the agent never writes to its standard streams.
pub(crate) fn run(socket: &Path) -> Result<()> {
    super::detach();
    let warnings = super::harden_process();
    let listener =
        UnixListener::bind(socket).with_context(|| format!("cannot listen on {}", socket.display()))?;
    // The folder is already 0700; the socket's own mode is a second fence.
    let _ = fs::set_permissions(socket, fs::Permissions::from_mode(0o600));
    let socket_id = fs::symlink_metadata(socket).ok().map(|m| (m.dev(), m.ino()));
    let mut agent =
        Agent { socket: socket.to_owned(), socket_id, started: Instant::now(), held: None, warnings };
    agent.serve(&listener);
    agent.shut_down();
    Ok(())
}

impl Agent {
    fn serve(&mut self, listener: &UnixListener) {
        loop {
            let Some(left) = self.time_left() else { return };
            // An agent whose socket was removed or replaced (the runtime folder wiped at
            // logout, a newer agent started over it) can never be reached again: it
            // forgets the key now rather than at the end of its timeout, as gpg-agent
            // does.
            if !self.socket_is_ours() {
                return;
            }
            // Wake at the deadline, or sooner to look at the socket again. Without a
            // timeout the key could outlive its deadline, so failing to set one ends
            // the agent.
            let wake = left.min(SOCKET_CHECK);
            if sockopt::set_socket_timeout(listener, Timeout::Recv, Some(wake)).is_err() {
                return;
            }
            match listener.accept() {
                Ok((stream, _)) => {
                    if let Flow::Exit = self.handle(stream) {
                        return;
                    }
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Out of file descriptors or similar: back off instead of spinning.
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Time left before the agent must forget the key (or give up waiting for one).
    fn time_left(&self) -> Option<Duration> {
        match &self.held {
            Some(held) => held.remaining(),
            None => STARTUP_GRACE.checked_sub(self.started.elapsed()).filter(|d| !d.is_zero()),
        }
    }

    /// Answers one connection.
    fn handle(&mut self, mut stream: UnixStream) -> Flow {
        let _ = stream.set_read_timeout(Some(CLIENT_IO_TIMEOUT));
        let _ = stream.set_write_timeout(Some(CLIENT_IO_TIMEOUT));
        // The folder's mode already keeps other users out; SO_PEERCRED is checked
        // anyway, because the folder's mode is something a user can loosen by mistake.
        let me = rustix::process::geteuid();
        match sockopt::socket_peercred(&stream) {
            Ok(cred) if cred.uid == me => {}
            _ => {
                let reply = Response::error(ErrorCode::Forbidden, "the agent serves only its own user");
                let _ = protocol::write_message(&mut stream, &reply);
                return Flow::Continue;
            }
        }
        let Ok(line) = protocol::read_line(&mut stream) else { return Flow::Continue };
        let (reply, flow) = self.answer(&line);
        let _ = protocol::write_message(&mut stream, &reply);
        flow
    }

    /// The response to one request line, and whether to keep running.
    fn answer(&mut self, line: &[u8]) -> (Response, Flow) {
        let request = match protocol::read_request(line) {
            Incoming::Lock => return self.lock(),
            Incoming::Refused(reply) => return (reply, Flow::Continue),
            Incoming::Request(request) => request,
        };
        // A key past its time is forgotten before anything else happens, even if the
        // wake-up was late (a suspended machine, a slow client before us).
        let expired = self.held.as_ref().is_some_and(|h| h.remaining().is_none());
        if expired {
            self.forget();
        }
        let reply = match request.op {
            Op::GetKey => self.get_key(),
            Op::Status => self.status(),
            Op::PutKey => self.put_key(&request),
            Op::Lock => return self.lock(),
        };
        // An agent that timed out has nothing left to do, unless a put_key re-armed it.
        let flow = if expired && self.held.is_none() { Flow::Exit } else { Flow::Continue };
        (reply, flow)
    }

    /// Forgets the key and removes the socket before answering, so that when
    /// `hush lock` returns, the next command already finds no agent.
    fn lock(&mut self) -> (Response, Flow) {
        self.forget();
        self.remove_socket();
        (Response::ok(Vec::new()), Flow::Exit)
    }

    fn get_key(&mut self) -> Response {
        match &mut self.held {
            Some(held) => {
                held.touch();
                Response {
                    v: VERSION,
                    key: Some(KeyReply {
                        account_id: held.account_id.to_string(),
                        key_version: held.key_version,
                        key: SecretB64::encode(held.key.expose()),
                        auth_key: held.auth.as_ref().map(|a| SecretB64::encode(a.expose())),
                    }),
                    ..Response::default()
                }
            }
            None => Response::error(ErrorCode::Locked, "the agent holds no key"),
        }
    }

    fn status(&self) -> Response {
        let status = match &self.held {
            Some(held) => StatusReply {
                unlocked: true,
                account_id: Some(held.account_id.to_string()),
                timeout_secs: held.timeout.as_secs(),
                remaining_secs: held.remaining().map_or(0, |d| d.as_secs()),
                pid: std::process::id(),
            },
            None => StatusReply {
                unlocked: false,
                account_id: None,
                timeout_secs: 0,
                remaining_secs: 0,
                pid: std::process::id(),
            },
        };
        Response { v: VERSION, status: Some(status), ..Response::default() }
    }

    fn put_key(&mut self, request: &Request) -> Response {
        let PutKey { account_id, key, key_version, timeout, auth } = match PutKey::from_request(request) {
            Ok(fields) => fields,
            Err(reply) => return *reply,
        };
        // Replacing an older key drops it, which zeroizes it.
        let (locked, warning) = LockedKey::new(&key);
        let (auth, auth_warning) = match auth {
            Some(seed) => {
                let (locked, warning) = LockedKey::new(&seed);
                (Some(locked), warning)
            }
            None => (None, None),
        };
        let now = Instant::now();
        self.held = Some(Held {
            account_id,
            key_version,
            key: locked,
            auth,
            timeout,
            used_mono: now,
            used_wall: SystemTime::now(),
        });
        let mut warnings = std::mem::take(&mut self.warnings);
        // One mlock failure is one warning, whichever buffer it hit.
        warnings.extend(warning.or(auth_warning));
        Response::ok(warnings)
    }

    /// Zeroizes the key (dropping `LockedKey` does it).
    fn forget(&mut self) {
        self.held = None;
    }

    /// Whether the socket file is still the one this agent bound.
    fn socket_is_ours(&self) -> bool {
        let current = fs::symlink_metadata(&self.socket).ok().map(|m| (m.dev(), m.ino()));
        current.is_some() && current == self.socket_id
    }

    /// Removes the socket file if it is still ours.
    fn remove_socket(&mut self) {
        if self.socket_is_ours() {
            let _ = fs::remove_file(&self.socket);
        }
        self.socket_id = None;
    }

    fn shut_down(&mut self) {
        self.forget();
        self.remove_socket();
    }
}
