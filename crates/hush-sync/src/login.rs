//! Registering an account, logging in on a new device, and logging in again on a device that
//! has the vault (docs/sync.md, "Logging in").
//!
//! Every path checks what the server hands out before it derives anything (KDF parameters
//! against the floor, the ceiling and what this device holds) and before it changes anything
//! local (the keyset's epoch against the one this device accepted, the vault key against the
//! local file). A login never rewrites the local header with an older keyset.

use hush_crypto::{
    AccountId, AccountKey, AuthKey, DeviceNameKey, FloorPolicy, KdfParams, KdfSalt, KeyRing, Keyset,
    KeysetContext, login_message,
};
use hush_proto as proto;
use hush_vault::local_state::{LastServer, SyncState};
use hush_vault::{FileHeader, Vault, VaultFile};

use crate::sync::{PushNumbers, SyncReport, apply_pull, sync};
use crate::verify::verify_pull;
use crate::{SyncError, Tampering, Transport};

/// The spelling of a server URL that this device remembers: scheme and host in lower case,
/// no default port, no trailing slash, no query (`https://Hush.example.org:443/` and
/// `https://hush.example.org` are one server).
pub fn normalize_server_url(url: &url::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    url.as_str().trim_end_matches('/').to_owned()
}

/// Signs a challenge and opens a session under a sealed device name.
pub(crate) fn open_session(
    transport: &dyn Transport,
    account_id: &AccountId,
    auth: &AuthKey,
    sealed_name: &[u8],
) -> Result<proto::LoginResponse, SyncError> {
    let account = *account_id;
    let challenge = transport.challenge(&account)?;
    let signature = auth.sign(&login_message(account_id, challenge.challenge.as_bytes()));
    let device_name = proto::SealedDeviceName::try_from_slice(sealed_name)
        .ok_or_else(|| SyncError::Url("a sealed device name has the wrong length".into()))?;
    let req = proto::LoginRequest {
        account_id: account,
        challenge: challenge.challenge,
        signature: proto::Signature::from(signature),
        device_name,
    };
    Ok(transport.login(&req)?)
}

/// Records the new session. The server's seq is kept only for the same server (it is that
/// server's revision counter); what this device accepted of the account's history is keyed by
/// account and untouched, so a new session, a re-spelled URL or another server cannot roll it
/// back (sync-api-v2.md, "Verifying a pull").
fn connect(vault: &mut Vault, login: &proto::LoginResponse, opts: &LoginOptions<'_>) {
    let (server_url, insecure_http) = (opts.server_url, opts.insecure_http);
    // Kept across a logout, for the next `hush login` (docs/sync.md, "Logging in").
    vault.state_mut().last_server = Some(LastServer {
        server_url: server_url.to_owned(),
        insecure_http,
        device_name: Some(opts.device_name.to_owned()),
    });
    let previous = vault.state().sync.clone();
    let same_server = previous.as_ref().is_some_and(|p| p.server_url == server_url);
    vault.state_mut().sync = Some(SyncState {
        server_url: server_url.to_owned(),
        token: login.token.expose().to_owned(),
        session_id: login.session_id.to_string(),
        seq: if same_server { previous.as_ref().map_or(0, |p| p.seq) } else { 0 },
        auto_sync: previous.as_ref().is_some_and(|p| p.auto_sync),
        insecure_http,
    });
}

fn proto_kdf(header: &FileHeader) -> proto::KdfParams {
    proto::KdfParams {
        m_kib: header.m_kib,
        t: header.t,
        p: header.p,
        salt: proto::B64::new(header.salt.to_vec()),
    }
}

/// How a login or registration identifies itself and what it accepts.
#[derive(Debug, Clone, Copy)]
pub struct LoginOptions<'a> {
    /// The server's base URL, already normalised ([`normalize_server_url`]).
    pub server_url: &'a str,
    /// The name the owner's devices list for this device (sealed before it is sent).
    pub device_name: &'a str,
    /// Whether KDF parameters below the floor are accepted (tests only).
    pub policy: FloorPolicy,
    /// The user allowed plain http:// to a non-loopback server.
    pub insecure_http: bool,
    /// The current time (Unix seconds), for merge notes.
    pub now: i64,
}

/// Creates the account on the server from this vault and pushes everything.
/// `auth` must be the auth key of the vault's current keyset (derived from the master password
/// with it: by the caller just now, or by the command that unlocked the agent).
pub fn register(
    vault: &mut Vault,
    transport: &dyn Transport,
    auth: &AuthKey,
    account_key: &AccountKey,
    invite: Option<&str>,
    numbers: &mut dyn PushNumbers,
    opts: &LoginOptions<'_>,
) -> Result<SyncReport, SyncError> {
    let header = vault.header().clone();
    let name = DeviceNameKey::derive(&vault.account_id(), account_key).seal(opts.device_name)?;
    let req = proto::RegisterRequest {
        account_id: vault.account_id(),
        kdf: proto_kdf(&header),
        auth_public_key: proto::AuthPublicKey::from(auth.public_key()),
        keyset: proto::B64::new(header.keyset.clone()),
        registration_code: invite.map(proto::RegistrationCode::new),
    };
    transport.register(&req)?;
    let login = open_session(transport, &vault.account_id(), auth, &name)?;
    connect(vault, &login, opts);
    if let Some(sync) = vault.state_mut().sync.as_mut() {
        sync.seq = 0;
    }
    // Everything is new to this server. A head accepted earlier (the vault moved from another
    // server, or its account was deleted) stays, so the first push here extends it; the
    // account was just created, so the server must hold nothing yet.
    let ids: Vec<[u8; 16]> = vault.entries().keys().map(|id| id.0).collect();
    let state = vault.state_mut();
    state.base.clear();
    state.pending.extend(ids);
    crate::sync::first_sync(vault, transport, numbers, opts.now)
}

/// Fetches and checks the KDF parameters the server holds for an account, before any KDF.
fn prelogin(
    transport: &dyn Transport,
    account_id: &AccountId,
    policy: FloorPolicy,
    held: Option<KdfParams>,
) -> Result<(KdfParams, KdfSalt), SyncError> {
    let pre = transport.prelogin(account_id)?;
    let params = KdfParams { m_kib: pre.kdf.m_kib, t: pre.kdf.t, p: pre.kdf.p };
    params.check(policy).map_err(|e| SyncError::UnsafeParameters(e.to_string()))?;
    if let Some(held) = held
        && params.is_weaker_than(&held)
    {
        return Err(SyncError::UnsafeParameters(format!(
            "m={} KiB, t={} is weaker than the m={} KiB, t={} this device holds",
            params.m_kib, params.t, held.m_kib, held.t
        )));
    }
    let salt = KdfSalt(pre.kdf.salt.as_bytes().try_into().map_err(|_| Tampering::MalformedSalt)?);
    Ok((params, salt))
}

/// What a successful login yields before anything local is touched.
struct Authenticated {
    login: proto::LoginResponse,
    /// The first pull (from the `since` given to [`authenticate`]), not yet verified.
    pull: proto::PullResponse,
    /// The ring unwrapped from the server's keyset.
    ring: KeyRing,
    /// The header this device should hold: the server's parameters, salt and keyset.
    header: FileHeader,
}

/// What proves a login: the master password, or keys this device already holds.
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    /// The master password. Keys are derived from the parameters the server hands out (checked
    /// first); after a password change on another device this must be the new password.
    Password(&'a str),
    /// The key ring and auth key of the keyset this device holds (from an unlocked agent, or
    /// derived from the local vault's header). They prove nothing after a password change on
    /// another device: the login then fails with [`SyncError::PasswordChanged`], and the caller
    /// asks for the new password. Only for a device that has the vault.
    Keys {
        /// The ring of the local keyset.
        ring: &'a KeyRing,
        /// The auth key derived with it.
        auth: &'a AuthKey,
    },
}

/// Prelogin (parameters checked before any KDF), key derivation, a signed session, the first
/// pull, the keyset's epoch checked against `held_epoch`, and the ring unwrapped. With
/// [`Proof::Keys`], no parameters are fetched and nothing is derived: the server's keyset must
/// then be exactly the one this device holds, and the ring is the one given.
///
/// Every pull carries the keyset and key version whatever its `since` (sync-api-v2.md,
/// "Vault"), so `since` only decides which items come along: 0 for a new device, which needs
/// them all, and `u64::MAX` for a device that will sync right after, which needs none.
#[allow(clippy::too_many_arguments)]
fn authenticate(
    transport: &dyn Transport,
    account_id: &AccountId,
    account_key: &AccountKey,
    proof: Proof<'_>,
    held_params: Option<KdfParams>,
    held_keyset: Option<&FileHeader>,
    since: u64,
    opts: &LoginOptions<'_>,
) -> Result<Authenticated, SyncError> {
    // The parameters are checked whichever the proof (floor, ceiling, not weaker than held,
    // a well-formed salt): a lying server is caught the same way, and with keys it is also
    // held to the parameters its keyset was sealed with (below).
    let (params, salt) = prelogin(transport, account_id, opts.policy, held_params)?;
    let derived = match proof {
        Proof::Password(password) => {
            let keys =
                hush_crypto::derive_keys(password, &salt, &params, account_id, account_key, opts.policy)?;
            Some((params, salt, keys))
        }
        Proof::Keys { .. } => None,
    };
    let auth_key = match (&derived, proof) {
        (Some((_, _, keys)), _) => &keys.auth,
        (None, Proof::Keys { auth, .. }) => auth,
        (None, Proof::Password(_)) => unreachable!("a password always derives keys"),
    };
    let name = DeviceNameKey::derive(account_id, account_key).seal(opts.device_name)?;
    let login = open_session(transport, account_id, auth_key, &name).map_err(|e| match e {
        // The server holds another auth key than the one these keys make: a password change
        // on another device (Proof::Keys), or simply a wrong password.
        SyncError::Transport(t) if t.code() == Some(proto::ErrorCode::BadSignature) => match proof {
            Proof::Password(_) => SyncError::WrongCredentials,
            Proof::Keys { .. } => SyncError::PasswordChanged,
        },
        e => e,
    })?;
    let token = proto::SessionToken::new(login.token.expose().to_owned());
    let pull = transport.pull(&token, since)?;
    let keyset = Keyset(pull.keyset.as_bytes().to_vec());
    let header_version = keyset.key_version().map_err(|_| Tampering::KeysetMalformed)?;
    if header_version != pull.key_version {
        return Err(
            Tampering::KeyVersionMismatch { claimed: pull.key_version, keyset: header_version }.into()
        );
    }
    // An older keyset than this device holds is a replay from before a password change: the
    // old password must never come back to life here, whatever it opens. The same epoch with
    // other bytes is a swap (crypto v2 raises the epoch with every change; only crypto v1 changed
    // a password at the same epoch, and then both keysets are of format 1).
    if let Some(held) = held_keyset {
        if pull.key_version < held.key_version {
            return Err(Tampering::KeysetWentBack { held: held.key_version, got: pull.key_version }.into());
        }
        let v1_change = keyset.format() == Ok(hush_crypto::FORMAT_V1)
            && held.keyset().format() == Ok(hush_crypto::FORMAT_V1);
        if pull.key_version == held.key_version && keyset.0 != held.keyset && !v1_change {
            return Err(Tampering::KeysetSwapped { key_version: pull.key_version }.into());
        }
    }
    match (derived, proof) {
        (Some((params, salt, keys)), _) => {
            let ctx = KeysetContext { account_id: *account_id, params, salt, key_version: pull.key_version };
            // A keyset sealed for other parameters than the server handed out does not open:
            // indistinguishable from a wrong password by design (the parameters are in its AAD).
            let ring = keyset.open(&keys.kek, &ctx).map_err(|_| SyncError::WrongCredentials)?;
            let header = FileHeader::new(&ctx, keyset);
            Ok(Authenticated { login, pull, ring, header })
        }
        (None, Proof::Keys { ring, .. }) => {
            // The keys open this device's keyset and no other: the server's must be the very
            // same bytes (what the password path would then unwrap is this ring). A newer one
            // comes from a password change elsewhere, which only the new password opens.
            let held = held_keyset.ok_or(SyncError::PasswordChanged)?;
            if pull.key_version != held.key_version || keyset.0 != held.keyset {
                return Err(SyncError::PasswordChanged);
            }
            // This device's own keyset is bound to its parameters and salt (they are in its
            // AAD): served with others, no new device could open it. A password-holding device
            // cannot tell that from a wrong password; one that holds the keyset can.
            if params != held.params() || salt.0 != held.salt {
                return Err(Tampering::ParametersMismatch.into());
            }
            Ok(Authenticated { login, pull, ring: ring.clone(), header: held.clone() })
        }
        (None, Proof::Password(_)) => unreachable!("a password always derives keys"),
    }
}

/// Logs in on a new device: fetches the keyset and items, verifies them, and returns the new
/// vault (which the caller writes together with the account key). A new device has no head to
/// compare with: it accepts the first consistent state it sees (crypto-v2.md, "What is left").
pub fn login_new_device(
    transport: &dyn Transport,
    account_id: &AccountId,
    account_key: &AccountKey,
    password: &str,
    opts: LoginOptions<'_>,
) -> Result<(Vault, SyncReport), SyncError> {
    let auth =
        authenticate(transport, account_id, account_key, Proof::Password(password), None, None, 0, &opts)?;
    let mut vault = Vault::from_parts(auth.header, auth.ring);
    connect(&mut vault, &auth.login, &opts);
    let mut report = SyncReport::default();
    let verified = verify_pull(&vault, auth.pull)?;
    apply_pull(&mut vault, verified, opts.now, &mut report)?;
    Ok((vault, report))
}

/// Logs in again on a device that has the vault (a new session: after a logout, a revocation,
/// a password change on another device, or to another server). Only the *current* master
/// password is needed: the server's ring, opened with it, must hold the very key that
/// authenticates the local file, and its epoch must not be below the one this device accepted.
/// Then a full sync verifies the server's history against this device's accepted head.
pub fn login_existing(
    file: &VaultFile,
    transport: &dyn Transport,
    account_key: &AccountKey,
    password: &str,
    numbers: &mut dyn PushNumbers,
    opts: LoginOptions<'_>,
) -> Result<(Vault, SyncReport), SyncError> {
    login_existing_with(file, transport, account_key, Proof::Password(password), numbers, opts)
}

/// [`login_existing`] with either proof: with [`Proof::Keys`] (an unlocked agent's, or keys
/// derived from the local header) no KDF runs, and a password change on another device is
/// reported as [`SyncError::PasswordChanged`] for the caller to ask for the new password.
pub fn login_existing_with(
    file: &VaultFile,
    transport: &dyn Transport,
    account_key: &AccountKey,
    proof: Proof<'_>,
    numbers: &mut dyn PushNumbers,
    opts: LoginOptions<'_>,
) -> Result<(Vault, SyncReport), SyncError> {
    // The server cannot talk this device down to weaker parameters than it holds.
    let held_params = if file.header.insecure_kdf { None } else { Some(file.header.params()) };
    let auth = authenticate(
        transport,
        &file.header.account_id(),
        account_key,
        proof,
        held_params,
        Some(&file.header),
        u64::MAX,
        &opts,
    )?;
    let local_ring = auth.ring.as_of(file.header.key_version).ok_or(Tampering::ForeignVaultKey)?;
    let mut vault = Vault::open(file, local_ring).map_err(|e| match e {
        hush_vault::VaultError::Tampered => SyncError::Tampered(Tampering::ForeignVaultKey),
        e => SyncError::Vault(e),
    })?;
    // The epoch this device accepted, from its sealed state (the header could be an old copy).
    let held = vault.state().accepted(&vault.account_id()).keyset_version;
    if auth.header.key_version < held {
        return Err(Tampering::KeysetWentBack { held, got: auth.header.key_version }.into());
    }
    if auth.header.key_version > vault.header().key_version || auth.header.keyset != vault.header().keyset {
        vault.adopt_keyset(auth.header, auth.ring).map_err(|_| Tampering::ForeignVaultKey)?;
    }
    connect(&mut vault, &auth.login, &opts);
    let report = sync(&mut vault, transport, numbers, opts.now)?;
    Ok((vault, report))
}
