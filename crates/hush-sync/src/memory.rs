//! An honest, in-memory implementation of sync API v2 for tests: the reference the
//! engine is tested against, and the base that malicious test servers wrap.
//!
//! It keeps what the real server keeps (ids, KDF parameters, public key, keyset,
//! blobs, manifest, seq) and checks signatures the same way; it has no limits, rate
//! limiting or persistence.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use hush_crypto::verify_signature;
use hush_proto as proto;

use crate::{PushOutcome, Transport, TransportError};

#[derive(Clone)]
struct Account {
    kdf: proto::KdfParams,
    public_key: [u8; 32],
    keyset: Vec<u8>,
    seq: u64,
    manifest: Option<Vec<u8>>,
    items: BTreeMap<proto::ItemId, (u64, Vec<u8>)>,
    /// Sealed chunks of attached files, by file id and index.
    chunks: BTreeMap<(proto::FileId, u32), Vec<u8>>,
}

#[derive(Default, Clone)]
struct State {
    accounts: HashMap<proto::AccountId, Account>,
    /// Every chunk upload that stored something new (for tests: an unchanged file is never
    /// sent again).
    chunk_uploads: u64,
    challenges: HashMap<[u8; 32], proto::AccountId>,
    sessions: HashMap<String, (proto::AccountId, proto::SessionId, proto::SealedDeviceName)>,
}

/// A saved copy of a [`MemoryServer`]'s state.
pub struct Snapshot(State);

/// The in-memory server.
#[derive(Default)]
pub struct MemoryServer {
    state: Mutex<State>,
}

fn err(status: u16, code: proto::ErrorCode, message: &str) -> TransportError {
    TransportError::Api { status, code, message: message.to_owned() }
}

fn unauthorized() -> TransportError {
    err(401, proto::ErrorCode::Unauthorized, "invalid session")
}

/// The key version in a keyset's clear header, as the real server reads it
/// (server/src/validate.rs).
fn keyset_version(keyset: &[u8]) -> Result<u32, TransportError> {
    hush_crypto::Keyset(keyset.to_vec())
        .key_version()
        .map_err(|_| err(400, proto::ErrorCode::BadRequest, "keyset is malformed"))
}

impl MemoryServer {
    /// An empty server.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("memory server lock"))
    }

    /// A copy of everything the server holds, to stage rollbacks and forks in tests.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(self.with(|s| s.clone()))
    }

    /// Puts back a snapshot: the server "forgets" everything since (a rollback).
    /// Sessions opened since the snapshot are kept so that clients can still call.
    pub fn restore(&self, snapshot: &Snapshot) {
        self.with(|s| {
            let sessions = std::mem::take(&mut s.sessions);
            *s = snapshot.0.clone();
            s.sessions.extend(sessions);
        });
    }

    /// Replaces the blob of one item (a malicious server at work).
    pub fn set_blob(&self, id: proto::ItemId, blob: Vec<u8>) {
        self.with(|s| {
            for a in s.accounts.values_mut() {
                if let Some(entry) = a.items.get_mut(&id) {
                    entry.1 = blob.clone();
                }
            }
        });
    }

    /// Changes the KDF parameters the server hands out (a malicious server at work).
    pub fn set_kdf(&self, m_kib: u32, t: u32, p: u32) {
        self.with(|s| {
            for a in s.accounts.values_mut() {
                a.kdf.m_kib = m_kib;
                a.kdf.t = t;
                a.kdf.p = p;
            }
        });
    }

    /// Puts the key material of `snapshot` back for every account, and nothing else: a server
    /// that replays an old keyset (with its KDF parameters and auth key) after a password change.
    pub fn restore_keys(&self, snapshot: &Snapshot) {
        self.with(|s| {
            for (id, a) in s.accounts.iter_mut() {
                if let Some(old) = snapshot.0.accounts.get(id) {
                    a.kdf = old.kdf.clone();
                    a.public_key = old.public_key;
                    a.keyset = old.keyset.clone();
                }
            }
        });
    }

    /// Replaces every account's manifest (a malicious server, or one still holding a manifest
    /// of crypto v1).
    pub fn set_manifest(&self, manifest: Vec<u8>) {
        self.with(|s| s.accounts.values_mut().for_each(|a| a.manifest = Some(manifest.clone())));
    }

    /// Sets every account's seq (a server hiding a rollback from the seq check).
    pub fn set_seq(&self, seq: u64) {
        self.with(|s| s.accounts.values_mut().for_each(|a| a.seq = seq));
    }

    /// Every sealed device name the server holds (for assertions).
    pub fn sealed_device_names(&self) -> Vec<Vec<u8>> {
        self.with(|s| s.sessions.values().map(|(_, _, name)| name.as_bytes().to_vec()).collect())
    }

    /// Every sealed chunk the server holds, with its file id and index (for assertions).
    pub fn all_chunks(&self) -> Vec<(proto::FileId, u32, Vec<u8>)> {
        self.with(|s| {
            s.accounts.values().flat_map(|a| a.chunks.iter().map(|((f, i), c)| (*f, *i, c.clone()))).collect()
        })
    }

    /// Replaces (or, with `None`, removes) one stored chunk of every account that has it (a
    /// malicious server at work).
    pub fn set_chunk(&self, file: proto::FileId, index: u32, chunk: Option<Vec<u8>>) {
        self.with(|s| {
            for a in s.accounts.values_mut() {
                match &chunk {
                    Some(c) => {
                        if let Some(stored) = a.chunks.get_mut(&(file, index)) {
                            *stored = c.clone();
                        }
                    }
                    None => {
                        a.chunks.remove(&(file, index));
                    }
                }
            }
        });
    }

    /// How many chunk uploads stored something new so far.
    pub fn chunk_uploads(&self) -> u64 {
        self.with(|s| s.chunk_uploads)
    }

    /// Every blob the server holds for every account (for assertions).
    pub fn all_blobs(&self) -> Vec<Vec<u8>> {
        self.with(|s| s.accounts.values().flat_map(|a| a.items.values().map(|(_, b)| b.clone())).collect())
    }
}

impl Transport for MemoryServer {
    fn register(&self, req: &proto::RegisterRequest) -> Result<(), TransportError> {
        self.with(|s| {
            if s.accounts.contains_key(&req.account_id) {
                return Err(err(409, proto::ErrorCode::AccountExists, "account exists"));
            }
            s.accounts.insert(
                req.account_id,
                Account {
                    kdf: req.kdf.clone(),
                    public_key: *req.auth_public_key.as_bytes(),
                    keyset: req.keyset.as_bytes().to_vec(),
                    seq: 0,
                    manifest: None,
                    items: BTreeMap::new(),
                    chunks: BTreeMap::new(),
                },
            );
            Ok(())
        })
    }

    fn prelogin(&self, account: &proto::AccountId) -> Result<proto::PreloginResponse, TransportError> {
        self.with(|s| {
            let a = s
                .accounts
                .get(account)
                .ok_or_else(|| err(404, proto::ErrorCode::NotFound, "no such account"))?;
            Ok(proto::PreloginResponse { kdf: a.kdf.clone() })
        })
    }

    fn challenge(&self, account: &proto::AccountId) -> Result<proto::ChallengeResponse, TransportError> {
        let challenge: [u8; 32] = hush_crypto::random_array();
        self.with(|s| {
            // As the real server: no challenge for an unknown account (server/src/routes/sessions.rs).
            if !s.accounts.contains_key(account) {
                return Err(err(404, proto::ErrorCode::NotFound, "no such account"));
            }
            s.challenges.insert(challenge, *account);
            Ok(())
        })?;
        Ok(proto::ChallengeResponse { challenge: proto::B64Array(challenge), expires_in: 300 })
    }

    fn login(&self, req: &proto::LoginRequest) -> Result<proto::LoginResponse, TransportError> {
        self.with(|s| {
            let owner = s.challenges.remove(req.challenge.as_bytes());
            if owner != Some(req.account_id) {
                return Err(err(401, proto::ErrorCode::BadChallenge, "unknown challenge"));
            }
            // Deleted since the challenge was issued: the real server's answer
            // (server/src/routes/sessions.rs). A login carries no session, so it is never
            // `unauthorized`, which the client reads as an expired session.
            let a = s
                .accounts
                .get(&req.account_id)
                .ok_or_else(|| err(401, proto::ErrorCode::BadChallenge, "account gone"))?;
            // The very message the real server verifies (server/src/routes/sessions.rs).
            let msg = proto::login_message(&req.account_id, req.challenge.as_bytes());
            if !verify_signature(&a.public_key, &msg, req.signature.as_bytes()) {
                return Err(err(401, proto::ErrorCode::BadSignature, "bad signature"));
            }
            let token = proto::B64Array::<32>(hush_crypto::random_array()).encode();
            let session_id = proto::SessionId::random();
            s.sessions.insert(token.clone(), (req.account_id, session_id, req.device_name));
            Ok(proto::LoginResponse {
                token: proto::SessionToken::new(token),
                session_id,
                expires_at: jiff::Timestamp::now(),
            })
        })
    }

    fn pull(&self, token: &proto::SessionToken, since: u64) -> Result<proto::PullResponse, TransportError> {
        self.with(|s| {
            let (account, _, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            let a = &s.accounts[&account];
            Ok(proto::PullResponse {
                seq: a.seq,
                keyset: proto::B64::new(a.keyset.clone()),
                key_version: keyset_version(&a.keyset)?,
                manifest: a.manifest.clone().map(proto::B64::new),
                items: a
                    .items
                    .iter()
                    .filter(|(_, (seq, _))| *seq > since)
                    .map(|(id, (seq, blob))| proto::PulledItem {
                        id: *id,
                        seq: *seq,
                        blob: proto::B64::new(blob.clone()),
                    })
                    .collect(),
            })
        })
    }

    fn push(
        &self,
        token: &proto::SessionToken,
        req: &proto::PushRequest,
    ) -> Result<PushOutcome, TransportError> {
        self.with(|s| {
            let (account, _, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            let a = s.accounts.get_mut(&account).ok_or_else(unauthorized)?;
            if req.base_seq != a.seq {
                return Ok(PushOutcome::Conflict(a.seq));
            }
            a.seq += 1;
            for item in &req.items {
                a.items.insert(item.id, (a.seq, item.blob.as_bytes().to_vec()));
            }
            a.manifest = Some(req.manifest.as_bytes().to_vec());
            Ok(PushOutcome::Accepted(a.seq))
        })
    }

    fn rekey(&self, token: &proto::SessionToken, req: &proto::RekeyRequest) -> Result<u64, TransportError> {
        self.with(|s| {
            let (account, session, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            let a = s.accounts.get_mut(&account).ok_or_else(unauthorized)?;
            if req.base_seq != a.seq {
                return Err(TransportError::Api {
                    status: 409,
                    code: proto::ErrorCode::Conflict,
                    message: "stale".into(),
                });
            }
            // The very message the real server verifies (server/src/routes/keyset.rs).
            let msg = proto::rekey_message(&account, req.auth_public_key.as_bytes(), req.keyset.as_bytes());
            if !verify_signature(&a.public_key, &msg, req.signature.as_bytes()) {
                return Err(err(401, proto::ErrorCode::BadSignature, "bad signature"));
            }
            if keyset_version(req.keyset.as_bytes())? <= keyset_version(&a.keyset)? {
                return Err(err(409, proto::ErrorCode::StaleKeyset, "the key version must grow"));
            }
            a.kdf = req.kdf.clone();
            a.public_key = *req.auth_public_key.as_bytes();
            a.keyset = req.keyset.as_bytes().to_vec();
            a.seq += 1;
            let seq = a.seq;
            s.sessions.retain(|_, (acc, id, _)| *acc != account || *id == session);
            Ok(seq)
        })
    }

    fn sessions(&self, token: &proto::SessionToken) -> Result<proto::SessionList, TransportError> {
        self.with(|s| {
            let (account, current, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            let now = jiff::Timestamp::now();
            let sessions = s
                .sessions
                .values()
                .filter(|(acc, _, _)| *acc == account)
                .map(|(_, id, name)| proto::SessionInfo {
                    id: *id,
                    device_name: Some(*name),
                    created: now,
                    last_seen: now,
                    current: *id == current,
                })
                .collect();
            Ok(proto::SessionList { sessions })
        })
    }

    fn logout(&self, token: &proto::SessionToken) -> Result<(), TransportError> {
        self.with(|s| s.sessions.remove(token.expose()).map(|_| ()).ok_or_else(unauthorized))
    }

    fn revoke(&self, token: &proto::SessionToken, session: &proto::SessionId) -> Result<(), TransportError> {
        self.with(|s| {
            let (account, _, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            let before = s.sessions.len();
            s.sessions.retain(|_, (acc, id, _)| !(*acc == account && id == session));
            if s.sessions.len() == before {
                Err(err(404, proto::ErrorCode::NotFound, "no such session"))
            } else {
                Ok(())
            }
        })
    }

    fn delete_account(
        &self,
        token: &proto::SessionToken,
        req: &proto::DeleteAccountRequest,
    ) -> Result<(), TransportError> {
        self.with(|s| {
            let (account, _, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            if s.challenges.remove(req.challenge.as_bytes()) != Some(account) {
                return Err(err(401, proto::ErrorCode::BadChallenge, "unknown challenge"));
            }
            let msg = proto::delete_account_message(&account, req.challenge.as_bytes());
            if !verify_signature(&s.accounts[&account].public_key, &msg, req.signature.as_bytes()) {
                return Err(err(401, proto::ErrorCode::BadSignature, "bad signature"));
            }
            s.accounts.remove(&account);
            s.sessions.retain(|_, (acc, _, _)| *acc != account);
            Ok(())
        })
    }

    fn put_chunk(
        &self,
        token: &proto::SessionToken,
        file: &proto::FileId,
        index: u32,
        chunk: &[u8],
    ) -> Result<(), TransportError> {
        // The shape the real server checks (server/src/routes/files.rs).
        if chunk.len() < proto::MIN_SEALED_CHUNK_LEN
            || chunk.len() > proto::MAX_SEALED_CHUNK_LEN
            || chunk[..5] != proto::SEALED_CHUNK_HEADER
        {
            return Err(err(400, proto::ErrorCode::BadRequest, "not a sealed chunk"));
        }
        self.with(|s| {
            let (account, _, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            let a = s.accounts.get_mut(&account).ok_or_else(unauthorized)?;
            match a.chunks.get(&(*file, index)) {
                Some(stored) if stored == chunk => Ok(()),
                Some(_) => Err(err(409, proto::ErrorCode::FileExists, "another chunk is stored here")),
                None => {
                    a.chunks.insert((*file, index), chunk.to_vec());
                    s.chunk_uploads += 1;
                    Ok(())
                }
            }
        })
    }

    fn get_chunk(
        &self,
        token: &proto::SessionToken,
        file: &proto::FileId,
        index: u32,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        self.with(|s| {
            let (account, _, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            Ok(s.accounts[&account].chunks.get(&(*file, index)).cloned())
        })
    }

    fn list_chunks(
        &self,
        token: &proto::SessionToken,
        file: &proto::FileId,
    ) -> Result<proto::ChunkList, TransportError> {
        self.with(|s| {
            let (account, _, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            let chunks = s.accounts[&account]
                .chunks
                .range((*file, 0)..=(*file, u32::MAX))
                .map(|((_, index), c)| proto::StoredChunk { index: *index, size: c.len() as u64 })
                .collect();
            Ok(proto::ChunkList { chunks })
        })
    }

    fn delete_file(&self, token: &proto::SessionToken, file: &proto::FileId) -> Result<(), TransportError> {
        self.with(|s| {
            let (account, _, _) = s.sessions.get(token.expose()).cloned().ok_or_else(unauthorized)?;
            let a = s.accounts.get_mut(&account).ok_or_else(unauthorized)?;
            a.chunks.retain(|(f, _), _| f != file);
            Ok(())
        })
    }
}
