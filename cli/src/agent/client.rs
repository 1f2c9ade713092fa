//! Talking to the agent: fetching the key for a command, handing it over at
//! `hush unlock`, asking for the status, locking.
//!
//! Nothing here is fatal to an ordinary command: whatever goes wrong with the agent,
//! [`fetch_key`] returns `None` and the command asks for the master password, as it
//! would without an agent.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hush_crypto::{AccountId, AuthKey, KeyRing};
use hush_vault::Profile;
use rustix::net::sockopt;

use super::protocol::{self, Envelope, ErrorCode, Op, Request, Response, SecretB64, StatusReply, VERSION};

/// What the CLI says when the agent speaks another protocol version (issue #4).
pub(crate) const OTHER_VERSION: &str =
    "the running agent is from another hush version; run `hush lock` and `hush unlock` again";

/// How long to wait for the agent's answer. It answers from memory, so anything
/// near this means it is stuck; the command then falls back to the password.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// How long `hush unlock` waits for a fresh agent to listen.
const START_TIMEOUT: Duration = Duration::from_secs(5);

/// Ways a conversation with the agent can fail.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AgentError {
    /// The agent speaks another protocol version.
    #[error("{OTHER_VERSION}")]
    OtherVersion {
        /// The version it announced.
        version: u32,
        /// Its process id, from SO_PEERCRED.
        pid: Option<i32>,
    },
    /// The agent refused the request.
    #[error("the agent refused: {message}")]
    Refused {
        /// Why.
        code: ErrorCode,
        /// Its explanation.
        message: String,
    },
    /// The socket is served by another user.
    #[error("the agent socket is served by another user (uid {0}); not using it")]
    ForeignPeer(u32),
    /// The answer was not a protocol message.
    #[error("the agent sent an unreadable answer")]
    Malformed,
    /// Connecting, reading or writing failed.
    #[error("cannot talk to the agent: {0}")]
    Io(#[from] io::Error),
}

/// What an unlocked agent holds for a vault.
pub(crate) struct AgentKeys {
    /// The key ring.
    pub ring: KeyRing,
    /// The server auth key derived with the same password, if the agent was given it (an
    /// agent started by an older hush, or unlocked by `hush passwd`, has none).
    pub auth: Option<AuthKey>,
}

/// The key ring from a running agent for this account, if there is one.
pub(crate) fn fetch_key(paths: &Profile, account_id: &AccountId) -> Option<KeyRing> {
    fetch(paths, account_id, true).map(|k| k.ring)
}

/// [`fetch_key`] without a word on stderr, for shell completion: whatever goes wrong, nothing is
/// printed into the line being typed.
pub(crate) fn fetch_key_silently(paths: &Profile, account_id: &AccountId) -> Option<KeyRing> {
    fetch(paths, account_id, false).map(|k| k.ring)
}

/// The key ring and auth key from a running agent for this account, if there is one.
///
/// Prints a line on stderr when an agent exists but cannot be used (another
/// version, another vault), so the user knows why they are asked for the password.
pub(crate) fn fetch_keys(paths: &Profile, account_id: &AccountId) -> Option<AgentKeys> {
    fetch(paths, account_id, true)
}

fn fetch(paths: &Profile, account_id: &AccountId, tell: bool) -> Option<AgentKeys> {
    let say = |line: String| {
        if tell {
            eprintln!("{line}");
        }
    };
    let socket = match super::socket_path(paths, false) {
        Ok(Some(s)) => s,
        Ok(None) => return None,
        Err(e) => {
            say(format!("warning: not using the agent: {e:#}"));
            return None;
        }
    };
    let response = match request(&socket, &Request::simple(Op::GetKey)) {
        Ok(Some(r)) => r,
        Ok(None) => return None,
        Err(AgentError::OtherVersion { .. }) => {
            say(format!("hush: {OTHER_VERSION}"));
            return None;
        }
        Err(AgentError::Refused { code: ErrorCode::Locked, .. }) => return None,
        Err(e) => {
            say(format!("warning: {e}; asking for the master password instead"));
            return None;
        }
    };
    let reply = response.key?;
    // The agent is per profile folder, but the vault in that folder may have been
    // replaced (a new `hush init`, a restored backup): use the key only for the
    // account it was unlocked for.
    if reply.account_id.parse::<AccountId>().ok() != Some(*account_id) {
        say("note: the agent holds the key of another vault; run `hush lock` and `hush unlock`".into());
        return None;
    }
    let bytes = reply.key.decode(super::protocol::MAX_RING_BYTES)?;
    let ring = KeyRing::decode(&bytes).ok().filter(|ring| ring.current_version() == reply.key_version)?;
    let auth = reply.auth_key.and_then(|b64| b64.decode(32)).and_then(|seed| {
        let seed: &[u8; 32] = seed.as_slice().try_into().ok()?;
        Some(AuthKey::from_seed(seed))
    });
    Some(AgentKeys { ring, auth })
}

/// The agent's status; `None` when no agent is running.
pub(crate) fn status(socket: &Path) -> Result<Option<StatusReply>, AgentError> {
    match request(socket, &Request::simple(Op::Status))? {
        Some(r) => r.status.map(Some).ok_or(AgentError::Malformed),
        None => Ok(None),
    }
}

/// What `lock` found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LockOutcome {
    /// No agent was running.
    NotRunning,
    /// The agent forgot the key and exited.
    Locked,
    /// An agent of another version was stopped.
    OtherVersion,
}

/// Makes the agent forget the key and exit.
///
/// Every agent version honours `{"op":"lock"}` (see `protocol`), so this works on an
/// agent from an older or newer hush too. One that still does not let go is sent
/// SIGTERM, but only if the process behind the socket is a `hush`.
pub(crate) fn lock(socket: &Path) -> Result<LockOutcome> {
    let Some(stream) = connect(socket)? else { return Ok(LockOutcome::NotRunning) };
    let pid = peer_pid(&stream)?;
    match exchange(stream, &Request::simple(Op::Lock)) {
        Ok(r) if r.ok.is_some() => Ok(LockOutcome::Locked),
        Ok(r) => bail!("the agent did not lock: {}", r.error.map(|e| e.message).unwrap_or_default()),
        Err(AgentError::OtherVersion { .. }) => {
            if wait_until_gone(socket, Duration::from_millis(500)) {
                return Ok(LockOutcome::OtherVersion);
            }
            terminate(socket, pid)?;
            Ok(LockOutcome::OtherVersion)
        }
        Err(AgentError::Malformed | AgentError::Io(_)) => {
            terminate(socket, pid)?;
            Ok(LockOutcome::OtherVersion)
        }
        Err(e) => Err(e.into()),
    }
}

/// Starts an agent on `socket` and hands it the key ring (and the auth key, when the caller
/// has it). Any agent already there is locked first. Returns the agent's warnings (a failed
/// `mlock`, for example).
pub(crate) fn start_and_hand_over(
    socket: &Path,
    account_id: &AccountId,
    ring: &KeyRing,
    auth: Option<&AuthKey>,
    timeout_secs: u64,
) -> Result<Vec<String>> {
    lock(socket)?;
    let exe = std::env::current_exe().context("cannot find the hush executable to start the agent")?;
    // Standard streams: nothing in, nothing out; stderr is read only if the agent
    // fails while starting. The key does not travel here but over the socket.
    let mut child = Command::new(exe)
        .arg("__agent")
        .arg("--socket")
        .arg(socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start the agent")?;
    let started = Instant::now();
    let stream = loop {
        match UnixStream::connect(socket) {
            // Possibly another agent started by a concurrent `hush unlock`; it takes
            // the key just as well.
            Ok(s) => break s,
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused) => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot reach the agent at {}", socket.display()));
            }
        }
        if let Some(status) = child.try_wait()? {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            bail!("the agent failed to start ({status}): {}", err.trim());
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = child.kill();
            bail!("the agent did not start within {} s", START_TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let response = exchange(stream, &put_key(account_id, ring, auth, timeout_secs))?;
    match response.ok {
        Some(ok) => Ok(ok.warnings),
        None => bail!("the agent did not take the key"),
    }
}

/// The `put_key` request.
fn put_key(account_id: &AccountId, ring: &KeyRing, auth: Option<&AuthKey>, timeout_secs: u64) -> Request {
    Request {
        v: VERSION,
        op: Op::PutKey,
        account_id: Some(account_id.to_string()),
        key_version: Some(ring.current_version()),
        key: Some(SecretB64::encode(&ring.encode())),
        auth_key: auth.map(|a| SecretB64::encode(&a.seed()[..])),
        timeout_secs: Some(timeout_secs),
    }
}

/// What [`hand_over`] did.
#[derive(Debug)]
pub(crate) struct HandedOver {
    /// Whether the vault was locked before (the user should hear that it no longer is).
    pub newly_unlocked: bool,
    /// The agent's warnings (a failed `mlock`, for example).
    pub warnings: Vec<String>,
}

/// Gives the keys to this profile's agent after a command asked for the master password
/// (docs/agent-and-clipboard.md, "Starting by itself"). An agent of this version that runs
/// already takes them in place (one already unlocked for this vault keeps its timeout); else a
/// new one is started, replacing whatever listens there.
pub(crate) fn hand_over(
    socket: &Path,
    account_id: &AccountId,
    ring: &KeyRing,
    auth: Option<&AuthKey>,
    timeout_secs: u64,
) -> Result<HandedOver> {
    let running = status(socket).ok().flatten();
    let unlocked_here = running.as_ref().filter(|s| {
        s.unlocked && s.account_id.as_deref().and_then(|a| a.parse::<AccountId>().ok()) == Some(*account_id)
    });
    let timeout = unlocked_here.map_or(timeout_secs, |s| s.timeout_secs.max(1));
    if running.is_some()
        && let Ok(Some(Response { ok: Some(ok), .. })) =
            request(socket, &put_key(account_id, ring, auth, timeout))
    {
        return Ok(HandedOver { newly_unlocked: unlocked_here.is_none(), warnings: ok.warnings });
    }
    let warnings = start_and_hand_over(socket, account_id, ring, auth, timeout)?;
    Ok(HandedOver { newly_unlocked: unlocked_here.is_none(), warnings })
}

/// Sends one request. `Ok(None)` when no agent is running; a stale socket (the file
/// is there but nobody listens: the agent was killed) is removed silently.
pub(crate) fn request(socket: &Path, request: &Request) -> Result<Option<Response>, AgentError> {
    match connect(socket)? {
        Some(stream) => exchange(stream, request).map(Some),
        None => Ok(None),
    }
}

/// Connects, or `None` when nobody listens.
fn connect(socket: &Path) -> Result<Option<UnixStream>, AgentError> {
    match UnixStream::connect(socket) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            remove_if_socket(socket);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// One request, one response, with the peer and version checks.
fn exchange(mut stream: UnixStream, request: &Request) -> Result<Response, AgentError> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let pid = peer_pid(&stream)?;
    protocol::write_message(&mut stream, request)?;
    let line = protocol::read_line(&mut stream)?;
    let envelope: Envelope = serde_json::from_slice(&line).map_err(|_| AgentError::Malformed)?;
    if envelope.v != VERSION {
        return Err(AgentError::OtherVersion { version: envelope.v, pid });
    }
    let response: Response = serde_json::from_slice(&line).map_err(|_| AgentError::Malformed)?;
    if let Some(err) = response.error {
        return Err(match err.code {
            ErrorCode::UnsupportedVersion => AgentError::OtherVersion { version: envelope.v, pid },
            code => AgentError::Refused { code, message: err.message },
        });
    }
    Ok(response)
}

/// The peer's process id, after checking it runs as our user. The socket folder is
/// ours and private, so this is a second fence, like the agent's own check.
fn peer_pid(stream: &UnixStream) -> Result<Option<i32>, AgentError> {
    let cred = sockopt::socket_peercred(stream).map_err(io::Error::from)?;
    if cred.uid != rustix::process::geteuid() {
        return Err(AgentError::ForeignPeer(cred.uid.as_raw()));
    }
    Ok(Some(cred.pid.as_raw_nonzero().get()))
}

fn remove_if_socket(path: &Path) {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        let _ = fs::remove_file(path);
    }
}

fn wait_until_gone(socket: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if fs::symlink_metadata(socket).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Stops an agent that does not follow the lock rule: SIGTERM, but only to a
/// process whose name says it is hush. The socket's owner is our own user (checked),
/// yet a test harness or another tool of ours could sit behind it, and killing that
/// would be far worse than leaving it.
fn terminate(socket: &Path, pid: Option<i32>) -> Result<()> {
    let Some(pid) = pid.and_then(rustix::process::Pid::from_raw) else {
        bail!("cannot tell which process serves {}; remove it by hand", socket.display());
    };
    let comm = fs::read_to_string(format!("/proc/{}/comm", pid.as_raw_nonzero())).unwrap_or_default();
    if !comm.trim().starts_with("hush") {
        bail!(
            "the process serving {} (pid {}, {:?}) is not a hush agent; not stopping it",
            socket.display(),
            pid.as_raw_nonzero(),
            comm.trim()
        );
    }
    rustix::process::kill_process(pid, rustix::process::Signal::TERM)
        .with_context(|| format!("cannot stop the agent (pid {})", pid.as_raw_nonzero()))?;
    remove_if_socket(socket);
    Ok(())
}
