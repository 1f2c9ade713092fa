//! The manifest: set integrity, freshness and fork consistency of the whole vault
//! (docs/spec/crypto-v2.md, "Manifest: a chained head that names every writer").
//!
//! A version-2 manifest names the head it extends (`prev`, a chain hash) and, for every device
//! that ever pushed, its latest push. [`Head::check_successor`] is the device-side rule set of
//! "What a device keeps and checks": with it a device proves that a new server state extends the
//! last one it accepted, in O(devices) and without any history from the server.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{AccountId, DecryptError, DeviceId, FORMAT_V1, FORMAT_V2, ItemId, KeyRing, VaultKey, aead};

/// Most writers a manifest may name (crypto-v2.md, "Manifest"): it bounds a manifest to under
/// 64 KiB, which is all the server keeps for the chain of an account.
pub const MAX_WRITERS: usize = 1000;

/// Bytes of one writer entry: device id, push number, counter, digest.
const WRITER_LEN: usize = 16 + 8 + 8 + 32;

/// SHA-256 over every item of the account, tombstones included, sorted by id:
/// `H( for each item by id: item_id || H(item_blob) )`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ManifestDigest(pub [u8; 32]);

impl ManifestDigest {
    /// Computes the digest from `(id, SHA-256(blob))` pairs in any order.
    pub fn from_blob_hashes<I>(entries: I) -> Self
    where
        I: IntoIterator<Item = (ItemId, [u8; 32])>,
    {
        let mut entries: Vec<_> = entries.into_iter().collect();
        entries.sort_unstable_by_key(|e| e.0);
        let mut h = Sha256::new();
        for (id, blob_hash) in &entries {
            h.update(id.as_bytes());
            h.update(blob_hash);
        }
        Self(h.finalize().into())
    }

    /// Computes the digest from `(id, blob)` pairs in any order.
    pub fn from_blobs<'a, I>(entries: I) -> Self
    where
        I: IntoIterator<Item = (ItemId, &'a [u8])>,
    {
        Self::from_blob_hashes(entries.into_iter().map(|(id, blob)| (id, blob_hash(blob))))
    }
}

/// SHA-256 of one blob, as it enters the digest.
pub fn blob_hash(blob: &[u8]) -> [u8; 32] {
    Sha256::digest(blob).into()
}

/// The hash that identifies a head and, through `prev`, its whole history:
/// `H("hush/v2/chain" || payload)`.
#[derive(Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The `prev` of the first push of an account.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    /// The head's fingerprint: its first 6 bytes as 12 lower-case hex digits in three groups of
    /// four (`hush status`), short enough to compare two devices by eye.
    pub fn fingerprint(&self) -> String {
        let hex: String = self.0[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{}-{}", &hex[..4], &hex[4..8], &hex[8..])
    }

    /// The chain value of a version-1 head, which has none of its own:
    /// `H("hush/v2/chain-v1" || u64le(counter) || digest)` (crypto-v2.md, "Upgrading").
    pub fn of_v1(counter: u64, digest: &ManifestDigest) -> ChainHash {
        let mut h = Sha256::new();
        h.update(b"hush/v2/chain-v1");
        h.update(counter.to_le_bytes());
        h.update(digest.0);
        ChainHash(h.finalize().into())
    }
}

impl std::fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainHash({})", self.fingerprint())
    }
}

/// One device's latest push in a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writer {
    /// The device.
    pub device: DeviceId,
    /// The device's own number for that push: every push a device sends gets a number above all
    /// it sent before, reserved durably before it is sent, so that two pushes of one device never
    /// share a number, whatever the server answered (crypto-v2.md, "Manifest").
    pub pushes: u64,
    /// The counter of its latest push.
    pub counter: u64,
    /// The digest that push produced.
    pub digest: ManifestDigest,
}

/// What a version-2 manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestPayload {
    /// One more than the counter of the head this push extends (1 for the first push).
    pub counter: u64,
    /// The digest of the item set after this push.
    pub digest: ManifestDigest,
    /// The chain hash of the head this push extends.
    pub prev: ChainHash,
    /// Every device that pushed to this history, sorted by device id.
    pub writers: Vec<Writer>,
}

impl ManifestPayload {
    /// The payload of a push by `device`, numbered `pushes` by it, with item digest `digest`, on
    /// top of `base` (`None` for the first push of an account): counter + 1, `prev` = the base's
    /// chain, the base's writers with the author's own entry set to this push.
    pub fn next(
        base: Option<&Head>,
        device: DeviceId,
        pushes: u64,
        digest: ManifestDigest,
    ) -> ManifestPayload {
        let (counter, prev, mut writers) = match base {
            Some(head) => (head.counter + 1, head.chain, head.writers.clone()),
            None => (1, ChainHash::GENESIS, Vec::new()),
        };
        let me = Writer { device, pushes, counter, digest };
        match writers.binary_search_by_key(&device, |w| w.device) {
            Ok(i) => writers[i] = me,
            Err(i) => writers.insert(i, me),
        }
        ManifestPayload { counter, digest, prev, writers }
    }

    /// `u64le(counter) || digest || prev || u32le(w) || w × (device || u64le(pushes) || u64le(counter) || digest)`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 + 32 + 4 + WRITER_LEN * self.writers.len());
        out.extend_from_slice(&self.counter.to_le_bytes());
        out.extend_from_slice(&self.digest.0);
        out.extend_from_slice(&self.prev.0);
        out.extend_from_slice(&u32::try_from(self.writers.len()).expect("writers fit u32").to_le_bytes());
        for w in &self.writers {
            out.extend_from_slice(w.device.as_bytes());
            out.extend_from_slice(&w.pushes.to_le_bytes());
            out.extend_from_slice(&w.counter.to_le_bytes());
            out.extend_from_slice(&w.digest.0);
        }
        out
    }

    /// Parses [`encode`](Self::encode)'s layout and checks its structure (crypto-v2.md,
    /// "Manifest"): exact length, 1 to [`MAX_WRITERS`] writers strictly sorted by device, no
    /// counter above the manifest's (nor 0), no push number 0, and exactly one author entry,
    /// whose digest is the manifest's.
    pub fn decode(bytes: &[u8]) -> Result<ManifestPayload, DecryptError> {
        let (fixed, rest) = bytes.split_first_chunk::<76>().ok_or(DecryptError)?;
        let counter = u64::from_le_bytes(fixed[..8].try_into().map_err(|_| DecryptError)?);
        let digest = ManifestDigest(fixed[8..40].try_into().map_err(|_| DecryptError)?);
        let prev = ChainHash(fixed[40..72].try_into().map_err(|_| DecryptError)?);
        let w = u32::from_le_bytes(fixed[72..76].try_into().map_err(|_| DecryptError)?) as usize;
        if counter == 0 || w == 0 || w > MAX_WRITERS || rest.len() != w * WRITER_LEN {
            return Err(DecryptError);
        }
        let mut writers: Vec<Writer> = Vec::with_capacity(w);
        let mut authors = 0;
        for chunk in rest.chunks_exact(WRITER_LEN) {
            let writer = Writer {
                device: DeviceId(chunk[..16].try_into().map_err(|_| DecryptError)?),
                pushes: u64::from_le_bytes(chunk[16..24].try_into().map_err(|_| DecryptError)?),
                counter: u64::from_le_bytes(chunk[24..32].try_into().map_err(|_| DecryptError)?),
                digest: ManifestDigest(chunk[32..].try_into().map_err(|_| DecryptError)?),
            };
            if writers.last().is_some_and(|last| last.device >= writer.device)
                || writer.pushes == 0
                || writer.counter == 0
                || writer.counter > counter
            {
                return Err(DecryptError);
            }
            if writer.counter == counter {
                if writer.digest != digest {
                    return Err(DecryptError);
                }
                authors += 1;
            }
            writers.push(writer);
        }
        if authors != 1 {
            return Err(DecryptError);
        }
        Ok(ManifestPayload { counter, digest, prev, writers })
    }

    /// `H("hush/v2/chain" || payload)`.
    pub fn chain(&self) -> ChainHash {
        let mut h = Sha256::new();
        h.update(b"hush/v2/chain");
        h.update(self.encode());
        ChainHash(h.finalize().into())
    }
}

/// A manifest as opened, either version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenedManifest {
    /// Version 1: a counter and a digest, nothing else (crypto-v2.md, "Upgrading").
    V1 {
        /// The push counter.
        counter: u64,
        /// The item digest.
        digest: ManifestDigest,
    },
    /// Version 2.
    V2(ManifestPayload),
}

impl OpenedManifest {
    /// The push counter.
    pub fn counter(&self) -> u64 {
        match self {
            OpenedManifest::V1 { counter, .. } => *counter,
            OpenedManifest::V2(p) => p.counter,
        }
    }

    /// The item digest.
    pub fn digest(&self) -> ManifestDigest {
        match self {
            OpenedManifest::V1 { digest, .. } => *digest,
            OpenedManifest::V2(p) => p.digest,
        }
    }

    /// The chain hash (for version 1, [`ChainHash::of_v1`]).
    pub fn chain(&self) -> ChainHash {
        match self {
            OpenedManifest::V1 { counter, digest } => ChainHash::of_v1(*counter, digest),
            OpenedManifest::V2(p) => p.chain(),
        }
    }
}

/// A sealed manifest: `0x02 || u32le(key_version) || nonce || XSeal(VK, nonce, payload, manifest_aad)`.
pub struct Manifest;

impl Manifest {
    /// `"hush/v2/manifest" || account_id || u32le(key_version)` (`"hush/v1/manifest"` for v1).
    pub fn aad(format: u8, account_id: &AccountId, key_version: u32) -> Vec<u8> {
        let label: &[u8] = if format == FORMAT_V1 { b"hush/v1/manifest" } else { b"hush/v2/manifest" };
        [label, account_id.as_bytes(), &key_version.to_le_bytes()].concat()
    }

    /// Seals a version-2 manifest under `vk`, the ring's key of `key_version`, with a fresh nonce.
    pub fn seal(
        vk: &VaultKey,
        account_id: &AccountId,
        key_version: u32,
        payload: &ManifestPayload,
    ) -> Vec<u8> {
        Self::seal_with_nonce(vk, account_id, key_version, payload, &crate::random_array())
    }

    /// Seals with a given nonce: known-answer tests only.
    #[doc(hidden)]
    pub fn seal_with_nonce(
        vk: &VaultKey,
        account_id: &AccountId,
        key_version: u32,
        payload: &ManifestPayload,
        nonce: &[u8; 24],
    ) -> Vec<u8> {
        aead::seal_with_nonce(
            FORMAT_V2,
            vk.expose(),
            key_version,
            nonce,
            &payload.encode(),
            &Self::aad(FORMAT_V2, account_id, key_version),
        )
    }

    /// A version-1 manifest, as hush wrote before crypto v2: upgrade tests and vectors only.
    #[doc(hidden)]
    pub fn seal_v1_with_nonce(
        vk: &VaultKey,
        account_id: &AccountId,
        key_version: u32,
        counter: u64,
        digest: &ManifestDigest,
        nonce: &[u8; 24],
    ) -> Vec<u8> {
        let plain = [counter.to_le_bytes().as_slice(), &digest.0].concat();
        aead::seal_with_nonce(
            FORMAT_V1,
            vk.expose(),
            key_version,
            nonce,
            &plain,
            &Self::aad(FORMAT_V1, account_id, key_version),
        )
    }

    /// Opens a manifest of either version with the ring's key of the version its header names;
    /// returns that key version and the payload.
    pub fn open(
        ring: &KeyRing,
        account_id: &AccountId,
        blob: &[u8],
    ) -> Result<(u32, OpenedManifest), DecryptError> {
        let header = aead::SealedBox::parse(blob)?;
        let (format, key_version) = (header.format, header.key_version);
        let key = ring.get(key_version).ok_or(DecryptError)?;
        let plain =
            aead::open(format, key.expose(), key_version, blob, &Self::aad(format, account_id, key_version))?;
        let opened = if format == FORMAT_V1 {
            if plain.len() != 40 {
                return Err(DecryptError);
            }
            OpenedManifest::V1 {
                counter: u64::from_le_bytes(plain[..8].try_into().map_err(|_| DecryptError)?),
                digest: ManifestDigest(plain[8..].try_into().map_err(|_| DecryptError)?),
            }
        } else {
            OpenedManifest::V2(ManifestPayload::decode(&plain)?)
        };
        Ok((key_version, opened))
    }
}

/// The head a device accepted: what it keeps, per account, to check that every later server
/// state extends it (crypto-v2.md, "What a device keeps and checks").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The push counter.
    pub counter: u64,
    /// The chain hash.
    pub chain: ChainHash,
    /// The item digest.
    pub digest: ManifestDigest,
    /// The key version that sealed the manifest.
    pub key_version: u32,
    /// Every writer it names (empty for a version-1 head).
    pub writers: Vec<Writer>,
    /// A version-1 head: it has no writers to compare, and a version-2 head may follow it.
    pub legacy: bool,
}

impl Head {
    /// The head a manifest describes.
    pub fn of(key_version: u32, manifest: &OpenedManifest) -> Head {
        let (writers, legacy) = match manifest {
            OpenedManifest::V1 { .. } => (Vec::new(), true),
            OpenedManifest::V2(p) => (p.writers.clone(), false),
        };
        Head {
            counter: manifest.counter(),
            chain: manifest.chain(),
            digest: manifest.digest(),
            key_version,
            writers,
            legacy,
        }
    }

    /// The head of a version-2 push this device made and the server acknowledged.
    pub fn of_push(key_version: u32, payload: &ManifestPayload) -> Head {
        Head {
            counter: payload.counter,
            chain: payload.chain(),
            digest: payload.digest,
            key_version,
            writers: payload.writers.clone(),
            legacy: false,
        }
    }

    /// Rules 1 to 4 of crypto-v2.md, "What a device keeps and checks": whether `next`, sealed
    /// with `next_key_version`, under a keyset of epoch `keyset_version`, extends this head.
    /// Rule 5 (the digest against the items) needs the item set and is the sync engine's.
    pub fn check_successor(
        &self,
        next_key_version: u32,
        keyset_version: u32,
        next: &OpenedManifest,
    ) -> Result<(), HeadError> {
        if next_key_version < self.key_version {
            return Err(HeadError::KeyVersionWentBack { held: self.key_version, got: next_key_version });
        }
        if next_key_version > keyset_version {
            return Err(HeadError::KeyVersionAboveKeyset {
                manifest: next_key_version,
                keyset: keyset_version,
            });
        }
        let counter = next.counter();
        if counter < self.counter {
            return Err(HeadError::CounterWentBack { held: self.counter, got: counter });
        }
        if counter == self.counter {
            return if next.chain() == self.chain {
                Ok(())
            } else {
                Err(HeadError::OtherHeadSameCounter { counter })
            };
        }
        let payload = match next {
            OpenedManifest::V1 { .. } if !self.legacy => return Err(HeadError::Version1AfterVersion2),
            // Two version-1 heads: counters only (version 1's own guarantee).
            OpenedManifest::V1 { .. } => return Ok(()),
            OpenedManifest::V2(payload) => payload,
        };
        if counter == self.counter + 1 && payload.prev != self.chain {
            return Err(HeadError::DoesNotLink { counter });
        }
        for held in &self.writers {
            let Ok(i) = payload.writers.binary_search_by_key(&held.device, |w| w.device) else {
                return Err(HeadError::WriterMissing { device: held.device });
            };
            let got = payload.writers[i];
            // Push numbers, not counters: a device numbers its pushes itself, durably, so its
            // later push always has the higher number, even when the server stored an earlier
            // push and told the device it failed (its retry may then land at a lower counter).
            if got.pushes < held.pushes {
                return Err(HeadError::WriterWentBack {
                    device: held.device,
                    held: held.pushes,
                    got: got.pushes,
                });
            }
            if got.pushes == held.pushes && got != *held {
                return Err(HeadError::WriterDiverged { device: held.device, pushes: got.pushes });
            }
        }
        Ok(())
    }
}

/// Why a manifest does not extend the accepted head. Every variant is tampering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeadError {
    /// Sealed with an older vault key than the accepted head (a replay from before a
    /// password change).
    #[error("the manifest is sealed with key version {got}, older than the {held} this device holds")]
    KeyVersionWentBack {
        /// The accepted head's key version.
        held: u32,
        /// The manifest's.
        got: u32,
    },
    /// Sealed with a key the keyset does not have yet.
    #[error("the manifest claims key version {manifest}, above the keyset's {keyset}")]
    KeyVersionAboveKeyset {
        /// The manifest's key version.
        manifest: u32,
        /// The keyset's epoch.
        keyset: u32,
    },
    /// A lower counter: the history was rolled back.
    #[error("the history went back from push {held} to push {got} (rollback)")]
    CounterWentBack {
        /// The accepted counter.
        held: u64,
        /// The served one.
        got: u64,
    },
    /// Another head with the same counter: a fork.
    #[error("two different vault states carry push number {counter} (fork)")]
    OtherHeadSameCounter {
        /// The counter.
        counter: u64,
    },
    /// The direct successor names another predecessor: a fork.
    #[error("push {counter} does not extend the state this device accepted (fork)")]
    DoesNotLink {
        /// The counter.
        counter: u64,
    },
    /// A device whose pushes this device saw is missing from the new history.
    #[error("the pushes of device {device} are missing from the server's history (fork or rollback)")]
    WriterMissing {
        /// The device.
        device: DeviceId,
    },
    /// A device's latest push went back: the history skips pushes this device saw.
    #[error("device {device}'s pushes went back from its push {held} to its push {got} (fork or rollback)")]
    WriterWentBack {
        /// The device.
        device: DeviceId,
        /// The accepted push number of its latest push.
        held: u64,
        /// The served one.
        got: u64,
    },
    /// A device's push with the same number says something else: a fork.
    #[error("device {device}'s push {pushes} differs from the one this device saw (fork)")]
    WriterDiverged {
        /// The device.
        device: DeviceId,
        /// The push number.
        pushes: u64,
    },
    /// A version-1 manifest after this device accepted a version-2 one (a replay of an
    /// old history).
    #[error("a version-1 manifest came after a version-2 one (replay of an old history)")]
    Version1AfterVersion2,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> DeviceId {
        DeviceId([n; 16])
    }

    fn dg(n: u8) -> ManifestDigest {
        ManifestDigest([n; 32])
    }

    /// A device's next push number on top of `base`, as an honest device that forgot nothing
    /// numbers it: one more than its entry there.
    fn number(base: Option<&Head>, device: u8) -> u64 {
        base.and_then(|h| h.writers.iter().find(|w| w.device == d(device))).map_or(0, |w| w.pushes) + 1
    }

    /// A history: each step is a push by the named device on the previous head.
    fn push(base: Option<&Head>, device: u8, digest: u8) -> (ManifestPayload, Head) {
        push_numbered(base, device, number(base, device), digest)
    }

    fn push_numbered(base: Option<&Head>, device: u8, pushes: u64, digest: u8) -> (ManifestPayload, Head) {
        let payload = ManifestPayload::next(base, d(device), pushes, dg(digest));
        let head = Head::of_push(1, &payload);
        (payload, head)
    }

    fn ok(held: &Head, next: &ManifestPayload) -> Result<(), HeadError> {
        held.check_successor(1, 1, &OpenedManifest::V2(next.clone()))
    }

    #[test]
    fn payload_round_trips_and_every_structural_fault_is_refused() {
        let (_, h1) = push(None, 2, 10);
        let (_, h2) = push(Some(&h1), 1, 11);
        let (p3, _) = push(Some(&h2), 3, 12);
        assert_eq!(p3.writers.iter().map(|w| w.device).collect::<Vec<_>>(), [d(1), d(2), d(3)]);
        let bytes = p3.encode();
        assert_eq!(ManifestPayload::decode(&bytes).unwrap(), p3);
        for len in 0..bytes.len() {
            assert!(ManifestPayload::decode(&bytes[..len]).is_err(), "truncated to {len}");
        }
        let mutate = |f: &dyn Fn(&mut ManifestPayload)| {
            let mut p = p3.clone();
            f(&mut p);
            ManifestPayload::decode(&p.encode())
        };
        assert!(mutate(&|p| p.writers.swap(0, 1)).is_err(), "unsorted");
        assert!(mutate(&|p| p.writers[1].device = d(1)).is_err(), "duplicate device");
        assert!(mutate(&|p| p.writers[0].counter = 9).is_err(), "counter above the manifest's");
        assert!(mutate(&|p| p.writers[0].counter = 0).is_err(), "counter 0");
        assert!(mutate(&|p| p.writers[2].digest = dg(0)).is_err(), "author digest differs");
        assert!(mutate(&|p| p.writers[2].counter = 2).is_err(), "no author");
        assert!(mutate(&|p| p.writers[1].counter = 3).is_err(), "two authors");
        assert!(mutate(&|p| p.writers.clear()).is_err(), "no writers");
        assert!(mutate(&|p| p.counter = 0).is_err(), "counter 0");
    }

    #[test]
    fn a_linear_history_is_accepted_from_any_earlier_head() {
        let (_, a) = push(None, 1, 1);
        let (p2, b) = push(Some(&a), 2, 2);
        let (p3, c) = push(Some(&b), 1, 3);
        let (p4, _) = push(Some(&c), 3, 4);
        assert_eq!(ok(&a, &p2), Ok(()));
        assert_eq!(ok(&a, &p4), Ok(()), "three pushes later");
        assert_eq!(ok(&b, &p3), Ok(()));
        assert_eq!(ok(&c, &p3), Ok(()), "the same head again");
    }

    #[test]
    fn fork_then_join_is_refused() {
        // The shared past: A pushes 1.
        let (_, s) = push(None, 1, 1);
        // A's branch: A pushes 2 (its new password) and accepts it.
        let (_, a2) = push(Some(&s), 1, 2);
        // B is shown the older head s, pushes three times: a longer branch.
        let (_, b2) = push(Some(&s), 2, 22);
        let (b3, b3h) = push(Some(&b2), 2, 23);
        let (b4, _) = push(Some(&b3h), 2, 24);
        // Joining A into B's branch: the direct successor names another predecessor, and a
        // longer branch skips A's push 2.
        assert_eq!(ok(&a2, &b3), Err(HeadError::DoesNotLink { counter: 3 }));
        assert_eq!(ok(&a2, &b4), Err(HeadError::WriterWentBack { device: d(1), held: 2, got: 1 }));
        // A third device that only saw A's branch is refused the join too.
        let (_, c3) = push(Some(&a2), 3, 3);
        assert_eq!(ok(&c3, &b4), Err(HeadError::DoesNotLink { counter: 4 }));
        // A branch off A's push that drops the third device's push entirely.
        let (_, x3) = push(Some(&a2), 2, 31);
        let (x4, _) = push(Some(&x3), 2, 32);
        assert_eq!(ok(&c3, &x4), Err(HeadError::DoesNotLink { counter: 4 }));
        let (x5, _) = push(Some(&push(Some(&x3), 2, 32).1), 2, 33);
        assert_eq!(ok(&c3, &x5), Err(HeadError::WriterMissing { device: d(3) }));
        // The same counter with another head, and a direct successor of another head.
        let (b2p, _) = push(Some(&s), 2, 22);
        assert_eq!(ok(&a2, &b2p), Err(HeadError::OtherHeadSameCounter { counter: 2 }));
        let (x3, _) = push(Some(&b2), 1, 33);
        assert_eq!(ok(&a2, &x3), Err(HeadError::DoesNotLink { counter: 3 }));
        // A push of the same device, same counter, other digest: diverged.
        let (_, a3) = push(Some(&a2), 2, 5);
        let (y3, y3h) = push(Some(&a2), 2, 6);
        let (_, y4h) = push(Some(&y3h), 3, 7);
        let (y5, _) = push(Some(&y4h), 3, 8);
        assert_eq!(ok(&a3, &y3), Err(HeadError::OtherHeadSameCounter { counter: 3 }));
        assert_eq!(ok(&a3, &y5), Err(HeadError::WriterDiverged { device: d(2), pushes: 1 }));
    }

    /// The hole the malicious-server property test found in counter-based writer entries: the
    /// server stores a push but tells its author it failed; the author, shown an older state,
    /// pushes again, and the retry lands at a *lower* counter than the stored copy. A later branch
    /// grown from the stored copy named the author at the higher counter and passed for a
    /// successor, dropping the retry. With push numbers, reserved durably before sending, the
    /// retry carries the higher number and the branch from the forgotten copy is refused.
    #[test]
    fn a_branch_from_a_push_reported_as_failed_cannot_drop_its_retry() {
        let (_, s) = push(None, 1, 1);
        // P: device 1's push number 2, stored by the server at counter 2, reported as failed.
        let (_, p) = push_numbered(Some(&s), 1, 2, 10);
        // R: the retry, number 3 (2 was used), on the older state s, also at counter 2.
        let (_, r) = push_numbered(Some(&s), 1, 3, 11);
        // A branch grown from P by another device, two pushes long.
        let (_, x3) = push(Some(&p), 2, 20);
        let (x4, _) = push(Some(&x3), 2, 21);
        assert_eq!(ok(&r, &x4), Err(HeadError::WriterWentBack { device: d(1), held: 3, got: 2 }));
        // The retry supersedes the forgotten copy for a device that saw the copy: its changes are
        // in the retry (docs/spec/crypto-v2.md, "What is left").
        let (r3, _) = push(Some(&r), 2, 22);
        assert_eq!(ok(&p, &r3).map_err(|e| matches!(e, HeadError::DoesNotLink { .. })), Err(true));
        let (r4, _) = push(Some(&push(Some(&r), 2, 22).1), 2, 23);
        assert_eq!(ok(&p, &r4), Ok(()));
    }

    #[test]
    fn rollbacks_and_key_versions() {
        let (p1, a) = push(None, 1, 1);
        let (_, b) = push(Some(&a), 1, 2);
        assert_eq!(ok(&b, &p1), Err(HeadError::CounterWentBack { held: 2, got: 1 }));
        let held = Head { key_version: 3, ..b.clone() };
        let next = OpenedManifest::V2(push(Some(&b), 1, 3).0);
        assert_eq!(held.check_successor(2, 3, &next), Err(HeadError::KeyVersionWentBack { held: 3, got: 2 }));
        assert_eq!(
            held.check_successor(4, 3, &next),
            Err(HeadError::KeyVersionAboveKeyset { manifest: 4, keyset: 3 })
        );
        assert_eq!(held.check_successor(3, 3, &next), Ok(()));
    }

    #[test]
    fn version_1_heads_link_to_version_2() {
        let v1 = OpenedManifest::V1 { counter: 7, digest: dg(7) };
        let legacy = Head::of(1, &v1);
        assert!(legacy.legacy);
        assert_eq!(legacy.chain, ChainHash::of_v1(7, &dg(7)));
        let (p8, h8) = push(Some(&legacy), 1, 8);
        assert_eq!(p8.prev, legacy.chain);
        assert_eq!(ok(&legacy, &p8), Ok(()));
        // A higher version-1 counter is accepted from a version-1 head (v1's rule)…
        assert_eq!(legacy.check_successor(1, 1, &OpenedManifest::V1 { counter: 9, digest: dg(9) }), Ok(()));
        // …but never after a version-2 head, and never as a fork of the same counter.
        assert_eq!(
            h8.check_successor(1, 1, &OpenedManifest::V1 { counter: 9, digest: dg(9) }),
            Err(HeadError::Version1AfterVersion2)
        );
        assert_eq!(
            legacy.check_successor(1, 1, &OpenedManifest::V1 { counter: 7, digest: dg(8) }),
            Err(HeadError::OtherHeadSameCounter { counter: 7 })
        );
        // A version-2 successor that does not link to the version-1 head is a fork.
        let (other, _) = push(Some(&Head::of(1, &OpenedManifest::V1 { counter: 7, digest: dg(1) })), 1, 8);
        assert_eq!(ok(&legacy, &other), Err(HeadError::DoesNotLink { counter: 8 }));
    }

    #[test]
    fn seal_and_open_both_versions() {
        let ring = KeyRing::new(1, VaultKey::generate()).rotated();
        let account = AccountId([4; 16]);
        let (p, _) = push(None, 1, 1);
        let sealed = Manifest::seal(ring.current(), &account, 2, &p);
        assert_eq!(Manifest::open(&ring, &account, &sealed).unwrap(), (2, OpenedManifest::V2(p.clone())));
        let v1 = Manifest::seal_v1_with_nonce(ring.get(1).unwrap(), &account, 1, 5, &dg(5), &[1; 24]);
        assert_eq!(
            Manifest::open(&ring, &account, &v1).unwrap(),
            (1, OpenedManifest::V1 { counter: 5, digest: dg(5) })
        );
        // A key version the ring lacks, another account, a flipped bit: one opaque error.
        assert!(Manifest::open(&KeyRing::new(1, ring.get(1).unwrap().clone()), &account, &sealed).is_err());
        assert!(Manifest::open(&ring, &AccountId([5; 16]), &sealed).is_err());
        for bit in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(Manifest::open(&ring, &account, &bad).is_err(), "bit {bit}");
        }
    }

    #[test]
    fn fingerprint_shape() {
        let c = ChainHash([0xab; 32]);
        assert_eq!(c.fingerprint(), "abab-abab-abab");
    }
}
