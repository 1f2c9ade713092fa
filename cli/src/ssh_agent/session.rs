//! One client connection of `hush ssh-agent`: listing identities, signing, the OpenSSH session
//! binding, and the log of who used which key.
//!
//! Everything that touches the vault runs on tokio's blocking pool: reading the file, asking
//! the hush agent, decrypting and signing are synchronous, and a confirmation may wait a minute
//! for its answer without holding up other connections.

use std::sync::Arc;

use hush_ssh::SshKey;
use hush_ssh::ssh_key::public::KeyData;
use hush_ssh::ssh_key::{HashAlg, Signature};
use hush_vault::{ItemKind, Profile, VaultView};
use ssh_agent_lib::agent::{Agent, Session};
use ssh_agent_lib::error::AgentError;
use ssh_agent_lib::proto::extension::SessionBind;
use ssh_agent_lib::proto::{Extension, Identity, PublicCredential, SignRequest};
use tokio::net::UnixStream;

use super::confirm;
use super::socket::OwnUser;
use crate::config::SshAgentConfig;
use crate::context::Ctx;

/// Writes one line of the agent's log on stderr (the journal, under systemd): a time, what was
/// done, with which key, for which process. Never a key, a signature or the signed data.
pub(super) fn log(message: &str) {
    let now = jiff::Timestamp::now().round(jiff::Unit::Second).unwrap_or_else(|_| jiff::Timestamp::now());
    eprintln!("{now} hush ssh-agent: {message}");
}

/// What every connection shares: where the vault is, and the settings.
pub(super) struct Shared {
    profile: Profile,
    config: SshAgentConfig,
}

impl Shared {
    /// From the command's context.
    pub(super) fn new(ctx: &Ctx) -> Shared {
        Shared { profile: ctx.profile.clone(), config: ctx.config.ssh_agent.clone() }
    }

    /// The vault, if hush is unlocked: the read-only view opened with the key ring the hush
    /// agent holds. `None` when it is locked, or runs for another vault, or there is no vault;
    /// nothing here ever asks for a password.
    fn unlocked_view(&self) -> Result<Option<VaultView>, String> {
        let locked = match self.profile.locked_view() {
            Ok(locked) => locked,
            Err(hush_vault::VaultError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let header = locked.header().clone();
        let Some(ring) = crate::agent::client::fetch_key(&self.profile, &header.account_id()) else {
            return Ok(None);
        };
        if ring.current_version() != header.key_version {
            return Ok(None);
        }
        locked.unlock(ring).map(Some).map_err(|e| e.to_string())
    }

    /// The SSH keys of the vault, as public keys with a comment; `None` while locked.
    fn public_keys(&self) -> Result<Option<Vec<StoredKey>>, String> {
        let Some(view) = self.unlocked_view()? else { return Ok(None) };
        let mut keys: Vec<StoredKey> = Vec::new();
        for id in view.of_kind(ItemKind::SshKey) {
            let item = view.item(&id).map_err(|e| e.to_string())?;
            let Some(stored) = item.ssh_key.as_deref().filter(|k| !k.is_empty()) else { continue };
            match hush_ssh::stored_public_key(stored) {
                // The same key in two items is offered once, as the first (by name).
                Ok(public) if !keys.iter().any(|k| k.public == *public.key_data()) => keys.push(StoredKey {
                    name: item.name.clone(),
                    comment: if public.comment().is_empty() {
                        item.name.clone()
                    } else {
                        public.comment().to_owned()
                    },
                    public: public.key_data().clone(),
                }),
                Ok(_) => {}
                Err(e) => log(&format!("skipping {:?}: its SSH key cannot be read: {e}", item.name)),
            }
        }
        Ok(Some(keys))
    }

    /// The private key of the item that holds `wanted`, read from the vault now.
    fn private_key(&self, wanted: &KeyData) -> Result<Option<(StoredKey, SshKey)>, Refusal> {
        let view = self.unlocked_view().map_err(Refusal::Vault)?.ok_or(Refusal::Locked)?;
        for id in view.of_kind(ItemKind::SshKey) {
            let item = view.item(&id).map_err(|e| Refusal::Vault(e.to_string()))?;
            let Some(stored) = item.ssh_key.as_deref().filter(|k| !k.is_empty()) else { continue };
            if hush_ssh::stored_public_key(stored).is_ok_and(|p| p.key_data() == wanted) {
                let key = SshKey::from_stored(stored).map_err(|e| Refusal::Vault(e.to_string()))?;
                let comment = key.comment().to_owned();
                return Ok(Some((
                    StoredKey { name: item.name.clone(), comment, public: wanted.clone() },
                    key,
                )));
            }
        }
        Ok(None)
    }

    /// Handles a sign request from `peer`: the key must be in the vault and hush unlocked; with
    /// `confirm` on, the user must allow it. Each outcome is logged.
    fn sign(&self, peer: &Peer, request: &SignRequest) -> Result<Signature, AgentError> {
        let refuse = |why: &str| {
            log(&format!("refused to sign for {peer}: {why}"));
            AgentError::Failure
        };
        let PublicCredential::Key(wanted) = &request.credential else {
            return Err(refuse("certificates are not served"));
        };
        let (stored, key) = match self.private_key(wanted) {
            Ok(Some(found)) => found,
            Ok(None) => return Err(refuse(&format!("the key {} is not in the vault", fingerprint(wanted)))),
            Err(Refusal::Locked) => return Err(refuse("hush is locked (`hush unlock`)")),
            Err(Refusal::Vault(e)) => return Err(refuse(&format!("the vault cannot be read: {e}"))),
        };
        let which = format!("{:?} ({} {})", stored.name, key.algorithm(), key.fingerprint());
        if self.config.confirm {
            let question = format!("Allow {peer} to use the SSH key {which}?");
            if let Err(why) = confirm::ask(&self.config, &question) {
                return Err(refuse(&format!("{which} was not allowed: {why}")));
            }
        }
        match key.sign(&request.data, request.flags) {
            Ok(signature) => {
                log(&format!("signed with {which} ({}) for {peer}", signature.algorithm()));
                Ok(signature)
            }
            Err(e) => Err(refuse(&format!("{which}: {e}"))),
        }
    }
}

/// Why a key could not be looked up.
enum Refusal {
    Locked,
    Vault(String),
}

/// A key of the vault as the agent lists it.
struct StoredKey {
    name: String,
    comment: String,
    public: KeyData,
}

fn fingerprint(key: &KeyData) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The process at the other end of a connection, for the log and the confirmation question:
/// its pid and uid from `SO_PEERCRED`, and the names (`/proc/PID/comm`) of it and its parent,
/// so that "ssh, started by git" can be told from a stranger. Nothing from its command line,
/// which may hold the client's own secrets.
#[derive(Clone)]
pub(super) struct Peer {
    pid: Option<i32>,
    uid: u32,
    comm: String,
    parent: Option<(i32, String)>,
    /// The server host key an OpenSSH client bound this connection to (`session-bind`).
    host_key: Option<String>,
}

impl Peer {
    fn of(stream: &UnixStream) -> Peer {
        let cred = stream.peer_cred().ok();
        let pid = cred.as_ref().and_then(|c| c.pid());
        let comm = pid.map(comm_of).unwrap_or_default();
        let parent = pid.and_then(parent_of).map(|ppid| (ppid, comm_of(ppid)));
        Peer { pid, uid: cred.map_or(u32::MAX, |c| c.uid()), comm, parent, host_key: None }
    }
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "{} (pid {pid}, uid {})", self.comm, self.uid)?,
            None => write!(f, "a process of uid {}", self.uid)?,
        }
        if let Some((ppid, comm)) = &self.parent {
            write!(f, " started by {comm} (pid {ppid})")?;
        }
        if let Some(host) = &self.host_key {
            write!(f, " for the server with host key {host}")?;
        }
        Ok(())
    }
}

fn comm_of(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().to_owned())
        .unwrap_or_else(|_| "?".into())
}

fn parent_of(pid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|p| p.trim().parse().ok())
        .filter(|&p| p > 0)
}

/// Makes one [`Connection`] per client.
pub(super) struct HushAgent {
    shared: Arc<Shared>,
}

impl HushAgent {
    /// The agent over `shared`.
    pub(super) fn new(shared: Arc<Shared>) -> HushAgent {
        HushAgent { shared }
    }
}

impl Agent<OwnUser> for HushAgent {
    fn new_session(&mut self, socket: &UnixStream) -> impl Session {
        Connection { shared: Arc::clone(&self.shared), peer: Peer::of(socket) }
    }
}

/// One client connection.
struct Connection {
    shared: Arc<Shared>,
    peer: Peer,
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AgentError> {
    tokio::task::spawn_blocking(work).await.map_err(|_| AgentError::Failure)
}

#[ssh_agent_lib::async_trait]
impl Session for Connection {
    async fn request_identities(&mut self) -> Result<Vec<Identity>, AgentError> {
        let shared = Arc::clone(&self.shared);
        match blocking(move || shared.public_keys()).await? {
            Ok(Some(keys)) => Ok(keys
                .into_iter()
                .map(|k| Identity { credential: PublicCredential::Key(k.public), comment: k.comment })
                .collect()),
            // Locked: an empty list, which ssh takes as "no keys here" and moves on.
            Ok(None) => Ok(Vec::new()),
            Err(e) => {
                log(&format!("cannot list keys for {}: {e}", self.peer));
                Ok(Vec::new())
            }
        }
    }

    async fn sign(&mut self, request: SignRequest) -> Result<Signature, AgentError> {
        let (shared, peer) = (Arc::clone(&self.shared), self.peer.clone());
        blocking(move || shared.sign(&peer, &request)).await?
    }

    /// `session-bind@openssh.com`: the client tells which server it talks to, with the server's
    /// signature over the session id. The signature is checked, as OpenSSH's agent does, and the
    /// host key then named in the log of this connection's signatures. Other extensions are
    /// refused, like every request that would change the agent (adding or removing keys,
    /// locking it with a password): the vault decides what it serves.
    async fn extension(&mut self, extension: Extension) -> Result<Option<Extension>, AgentError> {
        match extension.parse_message::<SessionBind>() {
            Ok(Some(bind)) => {
                if signature::Verifier::verify(&bind.host_key, &bind.session_id, &bind.signature).is_err() {
                    log(&format!(
                        "refused a session binding from {} whose host signature does not verify",
                        self.peer
                    ));
                    return Err(AgentError::Failure);
                }
                self.peer.host_key = Some(fingerprint(&bind.host_key));
                Ok(None)
            }
            _ => Err(AgentError::Failure),
        }
    }
}
