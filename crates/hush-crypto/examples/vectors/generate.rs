//! The generator of `docs/spec/crypto-v2-vectors.json`: known-answer vectors for every structure
//! that crypto v2 added or changed (docs/spec/crypto-v2.md), positive and negative.
//!
//! This file is shared. `examples/vectors.rs` prints [`vectors_json`]'s output, and
//! `tests/vectors_v2.rs` includes this file with `#[path]` to check that the committed JSON is
//! exactly what it produces. It lives beside the example rather than in `src/` so that hush-crypto
//! gains no public API for it.
//!
//! Positive vectors are made through hush-crypto's public API (`Keyset::seal_with_nonce`,
//! `Manifest::seal_with_nonce`, `DeviceNameKey::seal_with_nonce`, `AuthKey`, ...): that is what an
//! implementer compares against, and the tests recompute every one of them from the primitives and
//! the spec text. Most negative vectors break a rule that the API refuses to break (an unsorted
//! ring, a name with a bidirectional override), so they are sealed here directly with
//! XChaCha20-Poly1305 under the right key and AAD. Each records the key, AAD and plaintext it was
//! sealed with, so that the tests can show it is a well-formed box that is refused for the rule its
//! `what` names, not merely for a bad tag.
//!
//! Every input is fixed, so the output is the same on every run and every machine.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hush_crypto::{
    AccountId, AccountKey, AuthKey, CHUNK_SIZE, ChainHash, DeviceId, DeviceNameKey, FORMAT_V1, FORMAT_V2,
    FileChunk, FileId, FileKey, Head, ItemId, KdfParams, KdfSalt, Kek, KeyRing, Keyset, KeysetContext,
    Manifest, ManifestDigest, ManifestPayload, OpenedManifest, VaultKey, Writer, chunk_count, chunk_hash,
    chunk_len, delete_account_message, login_message, padme,
};
use sha2::Sha256;

/// The account of every vector: the account id and account key of `crypto-v1-vectors.json`, so
/// that the two files describe one account before and after the upgrade.
const ACCOUNT_ID: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const ACCOUNT_KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
/// Another account, for the vectors that check that a structure is bound to its account.
const OTHER_ACCOUNT_ID: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
/// The KDF salt of every `kdf` case of `crypto-v1-vectors.json`.
const KDF_SALT: &str = "00112233445566778899aabbccddeeff";
/// The kek of `crypto-v1-vectors.json` `kdf[0]` (m_kib 8192, t 2, p 1: below the floor, to keep
/// that vector cheap). The key derivation did not change in version 2, so the keysets reuse the
/// version-1 outputs instead of running Argon2id again.
const KEK_KDF0: &str = "6e93e63e8b42abf7805d96effe9ff6b50c3fa486e913f91b4c65072bd165b4cb";
const PARAMS_KDF0: KdfParams = KdfParams { m_kib: 8192, t: 2, p: 1 };
/// The kek of `crypto-v1-vectors.json` `kdf[2]` (m_kib 65536, t 3, p 4: at the floor).
const KEK_KDF2: &str = "11a42606d5995b95ff5a31ca37322e0cc9863c9f9a8aef2a55ffa467303d1c44";
const PARAMS_KDF2: KdfParams = KdfParams { m_kib: 65_536, t: 3, p: 4 };
/// The auth seed of `crypto-v1-vectors.json` `kdf[0]`.
const AUTH_SEED: &str = "a33d82f01fbaa30b4b8246adc08d5a1c08a9e1426ca5a42054098152af175fa3";
/// The counter and digest of the version-1 manifest of `crypto-v1-vectors.json`: the head the
/// upgrade vectors link to.
const V1_COUNTER: u64 = 42;
const V1_DIGEST: &str = "378382670c1523acc2b31e66aa0c79d38e3952409a55ab708b3787082cb143b9";
/// The two devices of the manifest vectors. B's id sorts before A's, so that B's first push must
/// insert its entry in front of A's rather than append it (the writers are sorted by device id).
const DEVICE_A: [u8; 16] =
    [0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf];
const DEVICE_B: [u8; 16] =
    [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f];
/// The identity point of edwards25519 (y = 1): a public key of small order.
const IDENTITY_POINT: [u8; 32] = {
    let mut p = [0u8; 32];
    p[0] = 1;
    p
};
/// The order ℓ of the edwards25519 base point, little-endian (RFC 8032, section 5.1).
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// Decodes one of the hex constants above.
fn bytes<const N: usize>(hex_text: &str) -> [u8; N] {
    hex::decode(hex_text).expect("hex constant").try_into().expect("constant of the right length")
}

/// The vault key of version `v`: 32 consecutive byte values, version 1 being the vault key of
/// `crypto-v1-vectors.json` (`00 01 ... 1f`), version 2 `20 ... 3f`, version 3 `40 ... 5f`.
fn vault_key_bytes(version: u32) -> [u8; 32] {
    let start = u8::try_from((version - 1) * 32).expect("small version");
    std::array::from_fn(|i| start + i as u8)
}

/// A nonce of 24 equal bytes. Every vector uses its own `tag`, so that no two boxes in the file
/// share a nonce (the spec draws a fresh one for every box; `tests/vectors_v2.rs` checks this).
fn nonce(tag: u8) -> [u8; 24] {
    [tag; 24]
}

/// `0x02 || u32le(key_version) || nonce || XSeal(key, nonce, plain, aad)` (or with another format
/// byte), for negative vectors the public API rightly refuses to seal.
fn raw_box(
    format: u8,
    key: &[u8; 32],
    key_version: u32,
    nonce: &[u8; 24],
    plain: &[u8],
    aad: &[u8],
) -> Vec<u8> {
    let sealed = XChaCha20Poly1305::new(key.into())
        .encrypt(&XNonce::from(*nonce), Payload { msg: plain, aad })
        .expect("short plaintext");
    [&[format][..], &key_version.to_le_bytes(), nonce, &sealed].concat()
}

// ---------------------------------------------------------------------------------------------
// A JSON writer that keeps fields in the order they are written.
//
// serde_json sorts object keys unless its `preserve_order` feature is on, and turning that on here
// would change `serde_json::Map` for every crate built with hush-crypto's dev-dependencies. The
// vectors read best with `what` first and inputs before outputs, so they are written by hand.
// Every string is escaped to ASCII: the negative device names hold a right-to-left override,
// which must not reorder the file when someone reads it.
// ---------------------------------------------------------------------------------------------

/// A JSON value.
enum Json {
    Str(String),
    Num(u64),
    Arr(Vec<Json>),
    Obj(Vec<(&'static str, Json)>),
}

fn hex(bytes: &[u8]) -> Json {
    Json::Str(hex::encode(bytes))
}

fn text(s: &str) -> Json {
    Json::Str(s.to_owned())
}

fn num(n: impl Into<u64>) -> Json {
    Json::Num(n.into())
}

impl Json {
    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Str(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        ' '..='~' => out.push(c),
                        _ => {
                            for unit in c.encode_utf16(&mut [0; 2]) {
                                out.push_str(&format!("\\u{unit:04x}"));
                            }
                        }
                    }
                }
                out.push('"');
            }
            Json::Num(n) => out.push_str(&n.to_string()),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Arr(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&" ".repeat(depth + 1));
                    item.write(out, depth + 1);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&" ".repeat(depth));
                out.push(']');
            }
            Json::Obj(fields) => {
                out.push_str("{\n");
                for (i, (key, value)) in fields.iter().enumerate() {
                    out.push_str(&" ".repeat(depth + 1));
                    out.push_str(&format!("\"{key}\": "));
                    value.write(out, depth + 1);
                    out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
                }
                out.push_str(&" ".repeat(depth));
                out.push('}');
            }
        }
    }
}

/// The whole vectors file, as committed in `docs/spec/crypto-v2-vectors.json` (with its final
/// newline).
pub(crate) fn vectors_json() -> String {
    let (manifests, manifest_negatives) = manifest_vectors();
    let doc = Json::Obj(vec![
        ("spec", text("docs/spec/crypto-v2.md")),
        (
            "generated_by",
            text("cargo run -p hush-crypto --example vectors > docs/spec/crypto-v2-vectors.json"),
        ),
        ("checked_by", text("crates/hush-crypto/tests/vectors_v2.rs")),
        (
            "notes",
            Json::Arr(vec![
                text(
                    "Byte strings are lower-case hex; numbers are decimal. Each case says in \"what\" what it tests.",
                ),
                text(
                    "The account id, account key, KDF salt, keks and auth seed are those of crypto-v1-vectors.json \
                     (kdf[0] and kdf[2]): the key derivation did not change in version 2.",
                ),
                text(
                    "Vault key of version v: the 32 bytes 32*(v-1), 32*(v-1)+1, ...; version 1 is the vault key of \
                     crypto-v1-vectors.json.",
                ),
                text(
                    "Negative cases give the context a device opens the blob with, and how the blob was made \
                     (sealed_key, sealed_aad, sealed_plain). refused_at says where a correct parser refuses it: \
                     \"layout\" (the header or the length, before decrypting), \"aead\" (the tag does not verify \
                     under the spec's AAD and the device's key), \"plaintext\" (it decrypts, and the plaintext \
                     breaks a rule of the spec), or \"signature\".",
                ),
                text(
                    "Attachments: a chunk of up to 4 KiB is given whole (sealed); a larger one by its length and \
                     SHA-256 (sealed_len, sealed_sha256), the file's content by a rule (content_rule: byte j of \
                     the file is j mod 251). Negative attachment cases give the hash the item lists \
                     (item_chunk_hash): the blob's own hash when the case is refused after rule 1 of \
                     \"Attachments\", so that it tests the later rule alone; refused_at \"hash\" is rule 1.",
                ),
            ]),
        ),
        ("keyset", Json::Arr(keyset_vectors())),
        ("manifest", Json::Arr(manifests)),
        ("chain_v1", Json::Arr(vec![chain_v1_vector()])),
        ("device_name", Json::Arr(device_name_vectors())),
        ("delete_account", Json::Arr(vec![delete_account_vector()])),
        ("attachment", Json::Arr(attachment_vectors())),
        (
            "negative",
            Json::Obj(vec![
                ("keyset", Json::Arr(keyset_negatives())),
                ("manifest", Json::Arr(manifest_negatives)),
                ("device_name", Json::Arr(device_name_negatives())),
                ("delete_account", Json::Arr(delete_account_negatives())),
                ("attachment", Json::Arr(attachment_negatives())),
            ]),
        ),
    ]);
    let mut out = String::new();
    doc.write(&mut out, 0);
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------------------------
// Keyset (crypto-v2.md, "Keyset: the key ring and its epoch").
// ---------------------------------------------------------------------------------------------

/// `u32le(n) || n × (u32le(version) || VK)`. `KeyRing` has no constructor from given keys other
/// than `decode` (`new` makes a ring of one, `rotated` draws a random key), so the generator
/// writes the layout and lets the API parse it; the `ring` field is then `KeyRing::encode`'s.
fn ring_layout(keys: &[(u32, [u8; 32])]) -> Vec<u8> {
    let mut out = u32::try_from(keys.len()).expect("small ring").to_le_bytes().to_vec();
    for (version, key) in keys {
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(key);
    }
    out
}

fn ring_keys_json(keys: &[(u32, [u8; 32])]) -> Json {
    Json::Arr(keys.iter().map(|(v, k)| Json::Obj(vec![("version", num(*v)), ("key", hex(k))])).collect())
}

fn keyset_context(params: KdfParams, key_version: u32) -> KeysetContext {
    KeysetContext {
        account_id: AccountId(bytes(ACCOUNT_ID)),
        params,
        salt: KdfSalt(bytes(KDF_SALT)),
        key_version,
    }
}

/// The fields every keyset case starts with: the kek and the context it is opened in.
fn keyset_inputs(what: &str, kek: &str, ctx: &KeysetContext) -> Vec<(&'static str, Json)> {
    vec![
        ("what", text(what)),
        ("kek", text(kek)),
        ("account_id", hex(ctx.account_id.as_bytes())),
        ("m_kib", num(ctx.params.m_kib)),
        ("t", num(ctx.params.t)),
        ("p", num(ctx.params.p)),
        ("kdf_salt", hex(&ctx.salt.0)),
        ("key_version", num(ctx.key_version)),
    ]
}

fn keyset_vectors() -> Vec<Json> {
    let case = |what: &str, kek_hex: &str, params: KdfParams, versions: &[u32], nonce_tag: u8| {
        let keys: Vec<(u32, [u8; 32])> = versions.iter().map(|&v| (v, vault_key_bytes(v))).collect();
        let ring = KeyRing::decode(&ring_layout(&keys)).expect("a valid ring");
        let ctx = keyset_context(params, ring.current_version());
        let kek = Kek::from_bytes(bytes(kek_hex));
        let n = nonce(nonce_tag);
        let sealed = Keyset::seal_with_nonce(&kek, &ring, &ctx, &n);
        let mut fields = keyset_inputs(what, kek_hex, &ctx);
        fields.extend([
            ("ring_keys", ring_keys_json(&keys)),
            ("nonce", hex(&n)),
            ("ring", hex(&ring.encode())),
            ("aad", hex(&ctx.aad(FORMAT_V2))),
            ("blob", hex(&sealed.0)),
        ]);
        Json::Obj(fields)
    };
    vec![
        case(
            "a new account's keyset: a ring of one key (version 1) under the kek of crypto-v1-vectors.json kdf[0]",
            KEK_KDF0,
            PARAMS_KDF0,
            &[1],
            0xa1,
        ),
        case(
            "after two password changes: a ring of three keys, newest first (versions 3, 2, 1), epoch 3, under \
             the kek of crypto-v1-vectors.json kdf[2] (parameters at the floor)",
            KEK_KDF2,
            PARAMS_KDF2,
            &[3, 2, 1],
            0xa3,
        ),
    ]
}

fn keyset_negatives() -> Vec<Json> {
    let kek = bytes::<32>(KEK_KDF0);
    // A well-formed version-2 keyset box whose ring is `ring`: every rule the refusal depends on
    // is inside the plaintext.
    let bad_ring = |what: &str, key_version: u32, ring: Vec<u8>, nonce_tag: u8| {
        let ctx = keyset_context(PARAMS_KDF0, key_version);
        let aad = ctx.aad(FORMAT_V2);
        let blob = raw_box(FORMAT_V2, &kek, key_version, &nonce(nonce_tag), &ring, &aad);
        keyset_negative(what, "plaintext", &ctx, &kek, &aad, &ring, blob)
    };
    let ring = |versions: &[u32]| {
        ring_layout(&versions.iter().map(|&v| (v, vault_key_bytes(v.max(1)))).collect::<Vec<_>>())
    };
    let mut one_extra_byte = ring(&[1]);
    one_extra_byte.push(0);

    // The version-1 keyset of the same key, its format byte rewritten to 2: the AAD it was sealed
    // with starts "hush/v1/keyset", the one a version-2 parser builds "hush/v2/keyset".
    let ctx1 = keyset_context(PARAMS_KDF0, 1);
    let vk1 = vault_key_bytes(1);
    let mut v1_as_v2 =
        Keyset::seal_v1_with_nonce(&Kek::from_bytes(kek), &VaultKey::from_bytes(vk1), &ctx1, &nonce(0xe8)).0;
    v1_as_v2[0] = FORMAT_V2;
    // And the converse: a version-2 keyset whose format byte says 1.
    let v2_ring = ring(&[1]);
    let mut v2_as_v1 = raw_box(FORMAT_V2, &kek, 1, &nonce(0xe9), &v2_ring, &ctx1.aad(FORMAT_V2));
    v2_as_v1[0] = FORMAT_V1;

    vec![
        bad_ring("ring versions increasing (1, then 2): they must strictly decrease", 1, ring(&[1, 2]), 0xe1),
        bad_ring("ring with a version repeated (2, 2): they must strictly decrease", 2, ring(&[2, 2]), 0xe2),
        bad_ring("ring with n = 0: a ring holds at least one key", 1, 0u32.to_le_bytes().to_vec(), 0xe3),
        bad_ring("ring whose last version is 0: versions are at least 1", 1, ring(&[1, 0]), 0xe4),
        bad_ring(
            "ring (2, 1) in a keyset whose header and AAD say key_version 3: the first version must equal key_version",
            3,
            ring(&[2, 1]),
            0xe5,
        ),
        bad_ring(
            "ring of n = 1 followed by one extra byte: the length must be exactly 4 + 36*n",
            1,
            one_extra_byte,
            0xe6,
        ),
        bad_ring(
            "ring of n = 2 holding only one key: the length must be exactly 4 + 36*n",
            2,
            {
                let mut r = ring(&[2]);
                r[0] = 2;
                r
            },
            0xe7,
        ),
        keyset_negative(
            "a version-1 keyset relabelled as format 2 (first byte 0x01 -> 0x02): it was sealed with the \
             \"hush/v1/keyset\" AAD and its plaintext is a bare key, not a ring",
            "aead",
            &ctx1,
            &kek,
            &ctx1.aad(FORMAT_V1),
            &vk1,
            v1_as_v2,
        ),
        keyset_negative(
            "a version-2 keyset relabelled as format 1 (first byte 0x02 -> 0x01): a version-1 parser builds the \
             \"hush/v1/keyset\" AAD",
            "aead",
            &ctx1,
            &kek,
            &ctx1.aad(FORMAT_V2),
            &v2_ring,
            v2_as_v1,
        ),
    ]
}

fn keyset_negative(
    what: &str,
    refused_at: &str,
    ctx: &KeysetContext,
    sealed_key: &[u8; 32],
    sealed_aad: &[u8],
    sealed_plain: &[u8],
    blob: Vec<u8>,
) -> Json {
    let mut fields = keyset_inputs(what, KEK_KDF0, ctx);
    fields.insert(1, ("refused_at", text(refused_at)));
    fields.extend([
        ("sealed_key", hex(sealed_key)),
        ("sealed_aad", hex(sealed_aad)),
        ("sealed_plain", hex(sealed_plain)),
        ("blob", hex(&blob)),
    ]);
    Json::Obj(fields)
}

// ---------------------------------------------------------------------------------------------
// Manifest (crypto-v2.md, "Manifest: a chained head that names every writer", and "Upgrading
// from version 1").
// ---------------------------------------------------------------------------------------------

/// The items of one push, as `(item_id, SHA-256(item_blob))`. They are listed out of id order on
/// purpose: the digest sorts them by id, and a vector whose entries were already sorted would not
/// catch an implementation that forgets to.
fn entries(pairs: &[(u8, u8)]) -> Vec<(ItemId, [u8; 32])> {
    pairs.iter().map(|&(id, hash)| (ItemId([id; 16]), [hash; 32])).collect()
}

fn writers_json(writers: &[Writer]) -> Json {
    Json::Arr(
        writers
            .iter()
            .map(|w| {
                Json::Obj(vec![
                    ("device_id", hex(w.device.as_bytes())),
                    ("pushes", num(w.pushes)),
                    ("counter", num(w.counter)),
                    ("digest", hex(&w.digest.0)),
                ])
            })
            .collect(),
    )
}

/// One positive manifest case: a push by `author` of the items `items`, on top of `base`, sealed
/// with the vault key of `key_version`. Returns the case and the head a device keeps after it.
fn manifest_case(
    what: &str,
    key_version: u32,
    author: [u8; 16],
    items: &[(ItemId, [u8; 32])],
    base: Option<&Head>,
    nonce_tag: u8,
) -> (Json, Head) {
    let account = AccountId(bytes(ACCOUNT_ID));
    let vk = VaultKey::from_bytes(vault_key_bytes(key_version));
    let digest = ManifestDigest::from_blob_hashes(items.iter().copied());
    // The author's push number: one more than its entry in the base (a device that forgot
    // nothing numbers its pushes so; crypto-v2.md, "Push numbers").
    let pushes =
        base.and_then(|h| h.writers.iter().find(|w| w.device == DeviceId(author))).map_or(0, |w| w.pushes)
            + 1;
    let payload = ManifestPayload::next(base, DeviceId(author), pushes, digest);
    let n = nonce(nonce_tag);
    let blob = Manifest::seal_with_nonce(&vk, &account, key_version, &payload, &n);
    let chain = payload.chain();
    let case = Json::Obj(vec![
        ("what", text(what)),
        ("vault_key", hex(vk.expose())),
        ("account_id", hex(account.as_bytes())),
        ("key_version", num(key_version)),
        ("author_device_id", hex(&author)),
        (
            "entries_item_id_and_blob_sha256",
            Json::Arr(items.iter().map(|(id, h)| Json::Arr(vec![hex(id.as_bytes()), hex(h)])).collect()),
        ),
        ("digest", hex(&digest.0)),
        ("counter", num(payload.counter)),
        ("prev", hex(&payload.prev.0)),
        ("writers", writers_json(&payload.writers)),
        ("nonce", hex(&n)),
        ("payload", hex(&payload.encode())),
        ("aad", hex(&Manifest::aad(FORMAT_V2, &account, key_version))),
        ("blob", hex(&blob)),
        ("chain", hex(&chain.0)),
        ("fingerprint", text(&chain.fingerprint())),
    ]);
    (case, Head::of_push(key_version, &payload))
}

fn v1_head() -> OpenedManifest {
    OpenedManifest::V1 { counter: V1_COUNTER, digest: ManifestDigest(bytes(V1_DIGEST)) }
}

fn chain_v1_vector() -> Json {
    Json::Obj(vec![
        (
            "what",
            text(
                "chain value of the version-1 manifest of crypto-v1-vectors.json (counter 42), which has none of \
                 its own",
            ),
        ),
        ("counter", num(V1_COUNTER)),
        ("digest", text(V1_DIGEST)),
        ("chain_v1", hex(&ChainHash::of_v1(V1_COUNTER, &ManifestDigest(bytes(V1_DIGEST))).0)),
    ])
}

/// The positive manifest cases and the negative ones (which are built from the same devices and
/// digests).
fn manifest_vectors() -> (Vec<Json>, Vec<Json>) {
    let (first, head1) = manifest_case(
        "first push of an account: device A, counter 1, prev = 32 zero bytes, one writer; sealed with vault \
         key version 1",
        1,
        DEVICE_A,
        &entries(&[(0x30, 0x03), (0x10, 0x01), (0x20, 0x02)]),
        None,
        0xb1,
    );
    let (second, _) = manifest_case(
        "a later push by device B on top of the first, after a password change (vault key version 2): counter 2, \
         prev = chain of the first, two writers sorted by device id (B's id sorts before A's)",
        2,
        DEVICE_B,
        &entries(&[(0x40, 0x04), (0x10, 0x01), (0x30, 0x33), (0x20, 0x02)]),
        Some(&head1),
        0xb2,
    );
    let (upgrade, _) = manifest_case(
        "the first version-2 push on top of the version-1 manifest of crypto-v1-vectors.json (counter 42): \
         counter 43, prev = its chain_v1, one writer",
        1,
        DEVICE_A,
        &entries(&[(0x05, 0x55), (0x00, 0x50)]),
        Some(&Head::of(1, &v1_head())),
        0xb3,
    );
    (vec![first, second, upgrade], manifest_negatives())
}

fn manifest_negatives() -> Vec<Json> {
    let account = AccountId(bytes(ACCOUNT_ID));
    let vk1 = vault_key_bytes(1);
    let (a, b) = (DeviceId(DEVICE_A), DeviceId(DEVICE_B));
    let (d1, d2) = (ManifestDigest([0x11; 32]), ManifestDigest([0x22; 32]));
    let prev = ChainHash([0x99; 32]);
    let w = |device, counter, digest| Writer { device, pushes: 1, counter, digest };
    // A version-2 box sealed under vault key 1 with the spec's AAD: the refusal depends on the
    // payload alone. The API's `seal_with_nonce` encodes any `ManifestPayload` it is given, which
    // is how these are made; only the trailing-byte case needs a raw box.
    let bad_payload = |what: &str,
                       counter: u64,
                       digest: ManifestDigest,
                       writers: Vec<Writer>,
                       nonce_tag: u8| {
        let payload = ManifestPayload { counter, digest, prev, writers };
        let blob =
            Manifest::seal_with_nonce(&VaultKey::from_bytes(vk1), &account, 1, &payload, &nonce(nonce_tag));
        manifest_negative(
            what,
            "plaintext",
            &[1],
            &vk1,
            &Manifest::aad(FORMAT_V2, &account, 1),
            &payload.encode(),
            blob,
        )
    };

    let good = ManifestPayload { counter: 2, digest: d2, prev, writers: vec![w(b, 2, d2), w(a, 1, d1)] };
    let mut trailing = good.encode();
    trailing.push(0);
    let aad1 = Manifest::aad(FORMAT_V2, &account, 1);
    let aad2 = Manifest::aad(FORMAT_V2, &account, 2);
    let mut v2_as_v1 =
        Manifest::seal_with_nonce(&VaultKey::from_bytes(vk1), &account, 1, &good, &nonce(0xfa));
    v2_as_v1[0] = FORMAT_V1;
    let other_account = AccountId(bytes(OTHER_ACCOUNT_ID));

    vec![
        bad_payload(
            "writers not sorted by device id (A before B)",
            2,
            d2,
            vec![w(a, 1, d1), w(b, 2, d2)],
            0xf1,
        ),
        bad_payload(
            "the same device twice: writers must be strictly sorted",
            2,
            d2,
            vec![w(b, 1, d1), w(b, 2, d2)],
            0xf2,
        ),
        bad_payload(
            "two authors: two writers carry the manifest's counter and digest",
            2,
            d2,
            vec![w(b, 2, d2), w(a, 2, d2)],
            0xf3,
        ),
        bad_payload(
            "a writer's counter (3) above the manifest's own (2)",
            2,
            d2,
            vec![w(b, 2, d2), w(a, 3, d1)],
            0xf4,
        ),
        bad_payload(
            "no author: no writer carries the manifest's counter",
            2,
            d2,
            vec![w(b, 1, d1), w(a, 1, d1)],
            0xf5,
        ),
        bad_payload(
            "the author's entry carries another digest than the manifest's",
            2,
            d2,
            vec![w(b, 2, d1), w(a, 1, d1)],
            0xf6,
        ),
        bad_payload("no writers (w = 0): a manifest names at least its author", 2, d2, vec![], 0xf7),
        bad_payload(
            "a writer's push number 0: devices number their pushes from 1",
            2,
            d2,
            vec![w(b, 2, d2), Writer { device: a, pushes: 0, counter: 1, digest: d1 }],
            0xc7,
        ),
        bad_payload(
            "counter 0, with one writer at counter 0 and the manifest's digest: counters start at 1",
            0,
            d1,
            vec![w(a, 0, d1)],
            0xf8,
        ),
        manifest_negative(
            "a valid payload followed by one extra byte: the length must be exactly 76 + 64*w",
            "plaintext",
            &[1],
            &vk1,
            &aad1,
            &trailing,
            raw_box(FORMAT_V2, &vk1, 1, &nonce(0xf9), &trailing, &aad1),
        ),
        manifest_negative(
            "sealed with key version 2 while the device's ring only has version 1: it is refused because the \
             ring has no key 2, even though it was sealed (header and AAD saying 2) with the bytes of vault key 1",
            "layout",
            &[1],
            &vk1,
            &aad2,
            &good.encode(),
            Manifest::seal_with_nonce(&VaultKey::from_bytes(vk1), &account, 2, &good, &nonce(0xfb)),
        ),
        manifest_negative(
            "a version-2 manifest relabelled as format 1 (first byte 0x02 -> 0x01): a version-1 parser builds \
             the \"hush/v1/manifest\" AAD",
            "aead",
            &[1],
            &vk1,
            &aad1,
            &good.encode(),
            v2_as_v1,
        ),
        manifest_negative(
            "a valid manifest of another account (its AAD names that account id) served to this one",
            "aead",
            &[1],
            &vk1,
            &Manifest::aad(FORMAT_V2, &other_account, 1),
            &good.encode(),
            Manifest::seal_with_nonce(&VaultKey::from_bytes(vk1), &other_account, 1, &good, &nonce(0xfc)),
        ),
    ]
}

fn manifest_negative(
    what: &str,
    refused_at: &str,
    ring_versions: &[u32],
    sealed_key: &[u8; 32],
    sealed_aad: &[u8],
    sealed_plain: &[u8],
    blob: Vec<u8>,
) -> Json {
    let ring: Vec<(u32, [u8; 32])> = ring_versions.iter().map(|&v| (v, vault_key_bytes(v))).collect();
    Json::Obj(vec![
        ("what", text(what)),
        ("refused_at", text(refused_at)),
        ("account_id", text(ACCOUNT_ID)),
        ("ring_keys", ring_keys_json(&ring)),
        ("sealed_key", hex(sealed_key)),
        ("sealed_aad", hex(sealed_aad)),
        ("sealed_plain", hex(sealed_plain)),
        ("blob", hex(&blob)),
    ])
}

// ---------------------------------------------------------------------------------------------
// Device names (crypto-v2.md, "Device names").
// ---------------------------------------------------------------------------------------------

/// `HKDF-Expand(HKDF-Extract("hush/v2" || account_id, AK), "hush/v2/device-name", 32)`.
/// `DeviceNameKey` keeps its key private, so the generator derives the `name_key` field itself;
/// the `sealed` field comes from the API, and the tests check that it opens under this key.
fn name_key(account_id: &[u8; 16], account_key: &[u8; 16]) -> [u8; 32] {
    let salt = [b"hush/v2".as_slice(), account_id].concat();
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&salt), account_key).expand(b"hush/v2/device-name", &mut key).expect("32 bytes");
    key
}

fn name_aad(account_id: &[u8; 16]) -> Vec<u8> {
    [b"hush/v2/device-name".as_slice(), account_id].concat()
}

/// `u8(len) || name || 0x00 * (64 - len)`.
fn name_plain(name: &[u8]) -> Vec<u8> {
    let mut plain = vec![u8::try_from(name.len()).expect("short name")];
    plain.extend_from_slice(name);
    plain.resize(65, 0);
    plain
}

fn device_name_vectors() -> Vec<Json> {
    let account_id = bytes::<16>(ACCOUNT_ID);
    let account_key = bytes::<16>(ACCOUNT_KEY);
    let key = DeviceNameKey::derive(&AccountId(account_id), &AccountKey::from_bytes(account_key));
    let case = |what: &str, name: &str, nonce_tag: u8| {
        let n = nonce(nonce_tag);
        let sealed = key.seal_with_nonce(name, &n).expect("a valid name");
        Json::Obj(vec![
            ("what", text(what)),
            ("account_id", hex(&account_id)),
            ("account_key", hex(&account_key)),
            ("name_key", hex(&name_key(&account_id, &account_key))),
            ("name", text(name)),
            ("name_utf8_hex", hex(name.as_bytes())),
            ("nonce", hex(&n)),
            ("name_plain", hex(&name_plain(name.as_bytes()))),
            ("aad", hex(&name_aad(&account_id))),
            ("sealed", hex(&sealed)),
        ])
    };
    vec![
        case("a short ASCII name, padded with zeros to 64 bytes", "Alice's laptop", 0xc1),
        case(
            "a name of exactly 64 bytes of UTF-8 (2-, 3- and 4-byte characters), no padding",
            // "Zoë’s phone 📱 — 日本語のキーボード付き Mk III", with escapes so that look-alikes are explicit
            // (’ is U+2019, not an apostrophe).
            "Zo\u{eb}\u{2019}s phone \u{1f4f1} \u{2014} \
             \u{65e5}\u{672c}\u{8a9e}\u{306e}\u{30ad}\u{30fc}\u{30dc}\u{30fc}\u{30c9}\u{4ed8}\u{304d} Mk III",
            0xc2,
        ),
    ]
}

fn device_name_negatives() -> Vec<Json> {
    let account_id = bytes::<16>(ACCOUNT_ID);
    let account_key = bytes::<16>(ACCOUNT_KEY);
    let key = name_key(&account_id, &account_key);
    let aad = name_aad(&account_id);
    let sealed = |plain: &[u8], nonce_tag: u8| raw_box(FORMAT_V2, &key, 0, &nonce(nonce_tag), plain, &aad);
    // A name the rules refuse, sealed correctly under the account's own name key: the device that
    // displays it must check it again after opening (crypto-v2.md, "Device names").
    let bad_name = |what: &str, name: &str, nonce_tag: u8| {
        let plain = name_plain(name.as_bytes());
        name_negative(what, "plaintext", Some(name), &key, &aad, &plain, sealed(&plain, nonce_tag))
    };
    let bad_plain = |what: &str, plain: Vec<u8>, nonce_tag: u8| {
        name_negative(what, "plaintext", None, &key, &aad, &plain, sealed(&plain, nonce_tag))
    };
    let laptop = name_plain(b"laptop");
    let mut len_65 = name_plain(b"laptop");
    len_65[0] = 65;
    let mut dirty_padding = name_plain(b"laptop");
    dirty_padding[64] = 0x20;
    let mut too_long = name_plain(b"laptop");
    too_long.push(0);
    let mut key_version_1 = sealed(&laptop, 0xd9);
    key_version_1[1] = 1;
    let other_account = bytes::<16>(OTHER_ACCOUNT_ID);
    let other_key = name_key(&other_account, &account_key);
    let other_aad = name_aad(&other_account);

    vec![
        bad_name(
            "a name with U+202E (right-to-left override, category Cf) inside, sealed with the right key",
            "invoice\u{202e}fdp.exe",
            0xd1,
        ),
        bad_name("a name with U+2066 (left-to-right isolate, category Cf) inside", "a\u{2066}b", 0xd2),
        bad_name("a name with a line feed (category Cc) inside", "work\nlaptop", 0xd3),
        bad_name("a name made only of spaces (Unicode White_Space)", "   ", 0xd4),
        bad_plain("an empty name (len = 0): a name has 1 to 64 bytes", name_plain(b""), 0xd5),
        bad_plain("len = 65, above the 64-byte maximum", len_65, 0xd6),
        bad_plain("a non-zero byte in the padding after the name", dirty_padding, 0xd7),
        bad_plain("a name that is not UTF-8 (0xff)", name_plain(&[b'a', 0xff, b'b']), 0xd8),
        name_negative(
            "the key_version field of the header is 1, not 0: name_aad does not cover it, so the tag still \
             verifies and the parser must check the header itself",
            "layout",
            None,
            &key,
            &aad,
            &laptop,
            key_version_1,
        ),
        name_negative(
            "a plaintext of 66 bytes (one byte of padding too many): every sealed name is exactly 110 bytes",
            "layout",
            None,
            &key,
            &aad,
            &too_long,
            sealed(&too_long, 0xda),
        ),
        name_negative(
            "a valid name sealed for another account (same account key, other account id)",
            "aead",
            None,
            &other_key,
            &other_aad,
            &laptop,
            raw_box(FORMAT_V2, &other_key, 0, &nonce(0xdb), &laptop, &other_aad),
        ),
    ]
}

fn name_negative(
    what: &str,
    refused_at: &str,
    name: Option<&str>,
    sealed_key: &[u8; 32],
    sealed_aad: &[u8],
    sealed_plain: &[u8],
    blob: Vec<u8>,
) -> Json {
    let mut fields = vec![
        ("what", text(what)),
        ("refused_at", text(refused_at)),
        ("account_id", text(ACCOUNT_ID)),
        ("account_key", text(ACCOUNT_KEY)),
    ];
    if let Some(name) = name {
        fields.extend([("name", text(name)), ("name_utf8_hex", hex(name.as_bytes()))]);
    }
    fields.extend([
        ("sealed_key", hex(sealed_key)),
        ("sealed_aad", hex(sealed_aad)),
        ("sealed_plain", hex(sealed_plain)),
        ("blob", hex(&blob)),
    ]);
    Json::Obj(fields)
}

// ---------------------------------------------------------------------------------------------
// Account deletion (crypto-v2.md, "Account deletion"; Ed25519 signatures are deterministic).
// ---------------------------------------------------------------------------------------------

fn challenge() -> [u8; 32] {
    std::array::from_fn(|i| 0xc0 + i as u8)
}

fn delete_account_vector() -> Json {
    let account = AccountId(bytes(ACCOUNT_ID));
    let key = AuthKey::from_seed(&bytes(AUTH_SEED));
    let message = delete_account_message(&account, &challenge());
    Json::Obj(vec![
        (
            "what",
            text("the signed deletion of the account, with the auth key of crypto-v1-vectors.json kdf[0]"),
        ),
        ("auth_seed", text(AUTH_SEED)),
        ("auth_public_key", hex(&key.public_key())),
        ("account_id", hex(account.as_bytes())),
        ("challenge", hex(&challenge())),
        ("message", hex(&message)),
        ("signature", hex(&key.sign(&message))),
    ])
}

fn delete_account_negatives() -> Vec<Json> {
    let account = AccountId(bytes(ACCOUNT_ID));
    let key = AuthKey::from_seed(&bytes(AUTH_SEED));
    let message = delete_account_message(&account, &challenge());
    let case = |what: &str, public_key: [u8; 32], signed: &[u8], signature: [u8; 64]| {
        Json::Obj(vec![
            ("what", text(what)),
            ("refused_at", text("signature")),
            ("auth_public_key", hex(&public_key)),
            ("account_id", hex(account.as_bytes())),
            ("challenge", hex(&challenge())),
            ("message", hex(&message)),
            ("signed_message", hex(signed)),
            ("signature", hex(&signature)),
        ])
    };
    let login = login_message(&account, &challenge());
    let other = delete_account_message(&AccountId(bytes(OTHER_ACCOUNT_ID)), &challenge());
    // S + ℓ: the same scalar modulo ℓ, written non-canonically. S < ℓ < 2^253, so the sum fits
    // in 32 bytes.
    let mut malleated = key.sign(&message);
    let mut carry = 0u16;
    for (s, l) in malleated[32..].iter_mut().zip(ELL) {
        let sum = u16::from(*s) + u16::from(l) + carry;
        *s = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + l fits in 32 bytes");
    let mut small_order = [0u8; 64];
    small_order[..32].copy_from_slice(&IDENTITY_POINT);
    vec![
        case(
            "the login signature for the same account and challenge: the deletion message starts with another label",
            key.public_key(),
            &login,
            key.sign(&login),
        ),
        case(
            "the deletion signature of another account id with the same challenge",
            key.public_key(),
            &other,
            key.sign(&other),
        ),
        case(
            "the valid signature with S replaced by S + l (non-canonical): strict verification refuses it",
            key.public_key(),
            &message,
            malleated,
        ),
        case(
            "public key of small order (the identity point) with the signature R = identity, S = 0, which \
             cofactorless verification without the small-order check accepts for any message",
            IDENTITY_POINT,
            &message,
            small_order,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Attachments (crypto-v2.md, "Attachments").
// ---------------------------------------------------------------------------------------------

/// The file key of every attachment vector: the bytes 0x80, 0x81, ... 0x9f.
fn file_key_bytes() -> [u8; 32] {
    std::array::from_fn(|i| 0x80 + i as u8)
}

/// The file id of every attachment vector.
const FILE_ID: [u8; 16] = [0xf1; 16];
/// Another file of the same account, for the chunk moved between files.
const OTHER_FILE_ID: [u8; 16] = [0xf2; 16];
/// The largest chunk given whole in the vectors file; larger ones are given by length and hash.
const WHOLE_CHUNK_MAX: usize = 4096;
/// The short file of the vectors (26 bytes).
const SHORT_FILE: &[u8] = b"hush attachment vector 1\n!";

/// The content of the large vector file: byte j is j mod 251.
fn large_content(size: usize) -> Vec<u8> {
    (0..size).map(|j| (j % 251) as u8).collect()
}

fn attachment_case(what: &str, content: Option<&[u8]>, size: usize, nonce_base: u8) -> Json {
    let account = AccountId(bytes(ACCOUNT_ID));
    let file = FileId(FILE_ID);
    let fk = FileKey::from_bytes(file_key_bytes());
    let data = content.map_or_else(|| large_content(size), <[u8]>::to_vec);
    let n = chunk_count(size as u64).expect("small file");
    let mut chunks = Vec::new();
    let mut hashes = Vec::new();
    for i in 0..n {
        let last = i + 1 == n;
        let len = chunk_len(size as u64, i).expect("in range");
        let start = i as usize * CHUNK_SIZE;
        let nonce_bytes = nonce(nonce_base + i as u8);
        let sealed = FileChunk::seal_with_nonce(
            &fk,
            &account,
            &file,
            i,
            last,
            &data[start..start + len],
            &nonce_bytes,
        );
        hashes.push(hex(&chunk_hash(&sealed)));
        let mut fields = vec![
            ("index", num(i)),
            ("last", num(u8::from(last))),
            ("plain_len", num(len as u64)),
            ("padded_len", num(if last { padme(len + 1) } else { len } as u64)),
            ("nonce", hex(&nonce_bytes)),
            ("aad", hex(&FileChunk::aad(&account, &file, i, last))),
            ("sealed_len", num(sealed.len() as u64)),
            ("sealed_sha256", hex(&chunk_hash(&sealed))),
        ];
        if sealed.len() <= WHOLE_CHUNK_MAX {
            fields.push(("sealed", hex(&sealed)));
        }
        chunks.push(Json::Obj(fields));
    }
    let mut fields = vec![
        ("what", text(what)),
        ("account_id", hex(account.as_bytes())),
        ("file_key", hex(fk.expose())),
        ("file_id", hex(file.as_bytes())),
        ("size", num(size as u64)),
    ];
    match content {
        Some(c) => fields.push(("content", hex(c))),
        None => fields.push(("content_rule", text("byte j of the file is j mod 251"))),
    }
    fields.extend([
        ("chunk_count", num(n)),
        ("chunks", Json::Arr(chunks)),
        ("chunk_hashes", Json::Arr(hashes)),
    ]);
    Json::Obj(fields)
}

fn attachment_vectors() -> Vec<Json> {
    vec![
        attachment_case(
            "an empty file: one chunk, the last, padded to padme(1) = 256 bytes",
            Some(b""),
            0,
            0x71,
        ),
        attachment_case(
            "a short file of 26 bytes: one chunk, the last, padded to 256 bytes",
            Some(SHORT_FILE),
            SHORT_FILE.len(),
            0x72,
        ),
        attachment_case(
            "a file of CHUNK + 100 bytes: a full first chunk (1 MiB, given by its hash) and a last chunk of \
             100 bytes padded to 256",
            None,
            CHUNK_SIZE + 100,
            0x73,
        ),
        attachment_case(
            "a file of exactly CHUNK bytes: one chunk, the last, padded to padme(CHUNK + 1) = 1081344 bytes",
            None,
            CHUNK_SIZE,
            0x75,
        ),
    ]
}

fn attachment_negatives() -> Vec<Json> {
    let account = AccountId(bytes(ACCOUNT_ID));
    let file = FileId(FILE_ID);
    let key = file_key_bytes();
    let fk = FileKey::from_bytes(key);
    let size = SHORT_FILE.len() as u64;
    let padded = {
        let mut p = SHORT_FILE.to_vec();
        p.push(0x80);
        p.resize(padme(SHORT_FILE.len() + 1), 0);
        p
    };
    // The one chunk of the short file, as the item lists it.
    let good = FileChunk::seal_with_nonce(&fk, &account, &file, 0, true, SHORT_FILE, &nonce(0x72));
    let good_hash = chunk_hash(&good);
    let aad = |account: &AccountId, file: &FileId, index: u32, last: bool| {
        FileChunk::aad(account, file, index, last)
    };
    let right_aad = aad(&account, &file, 0, true);
    let raw = |key: &[u8; 32], plain: &[u8], aad: &[u8], tag: u8| {
        raw_box(FORMAT_V2, key, 0, &nonce(tag), plain, aad)
    };
    // A case: the context the reader opens chunk `index` of the file in, and how the blob was made.
    let case = |what: &str,
                refused_at: &str,
                index: u32,
                n: u32,
                file_size: u64,
                item_hash: Option<[u8; 32]>,
                sealed_aad: &[u8],
                sealed_plain: &[u8],
                blob: Vec<u8>| {
        Json::Obj(vec![
            ("what", text(what)),
            ("refused_at", text(refused_at)),
            ("account_id", text(ACCOUNT_ID)),
            ("file_key", hex(&key)),
            ("file_id", hex(&FILE_ID)),
            ("size", num(file_size)),
            ("chunk_count", num(n)),
            ("index", num(index)),
            ("item_chunk_hash", hex(&item_hash.unwrap_or_else(|| chunk_hash(&blob)))),
            ("sealed_key", hex(&key)),
            ("sealed_aad", hex(sealed_aad)),
            ("sealed_plain", hex(sealed_plain)),
            ("blob", hex(&blob)),
        ])
    };
    let mut version_1 = raw(&key, &padded, &right_aad, 0x7a);
    version_1[1] = 1;
    let mut format_1 = raw(&key, &padded, &right_aad, 0x7b);
    format_1[0] = FORMAT_V1;
    let mut overpadded = SHORT_FILE.to_vec();
    overpadded.push(0x80);
    overpadded.resize(512, 0);
    let mut no_marker = SHORT_FILE.to_vec();
    no_marker.resize(256, 0);
    let mut longer = SHORT_FILE.to_vec();
    longer.push(b'?');
    longer.push(0x80);
    longer.resize(256, 0);
    let two_chunks = CHUNK_SIZE as u64 + size;
    vec![
        case(
            "the short file's chunk sealed again under another nonce (an earlier or later upload of the \
             same plaintext): it opens under FK with the right AAD, but its hash is not the item's",
            "hash",
            0,
            1,
            size,
            Some(good_hash),
            &right_aad,
            &padded,
            raw(&key, &padded, &right_aad, 0x77),
        ),
        case(
            "the last chunk (index 1) of a two-chunk file served as its chunk 0: the AAD names index 1 and \
             last = 1",
            "aead",
            0,
            2,
            two_chunks,
            None,
            &aad(&account, &file, 1, true),
            &padded,
            raw(&key, &padded, &aad(&account, &file, 1, true), 0x78),
        ),
        case(
            "a chunk of another file of the same account under the same key (file id f2...): the AAD names \
             the other file",
            "aead",
            0,
            1,
            size,
            None,
            &aad(&account, &FileId(OTHER_FILE_ID), 0, true),
            &padded,
            raw(&key, &padded, &aad(&account, &FileId(OTHER_FILE_ID), 0, true), 0x79),
        ),
        case(
            "a one-chunk file's only chunk sealed with last = 0, as if more chunks followed: a file cut short \
             at a chunk boundary does not open",
            "aead",
            0,
            1,
            size,
            None,
            &aad(&account, &file, 0, false),
            &padded,
            raw(&key, &padded, &aad(&account, &file, 0, false), 0x7c),
        ),
        case(
            "the chunk sealed for another account id (the AAD names f0e1...)",
            "aead",
            0,
            1,
            size,
            None,
            &aad(&AccountId(bytes(OTHER_ACCOUNT_ID)), &file, 0, true),
            &padded,
            raw(&key, &padded, &aad(&AccountId(bytes(OTHER_ACCOUNT_ID)), &file, 0, true), 0x7d),
        ),
        case(
            "the header's key version is 1, not 0: chunk_aad does not cover it, so the tag still verifies and \
             the reader must check the header itself",
            "layout",
            0,
            1,
            size,
            None,
            &right_aad,
            &padded,
            version_1,
        ),
        case(
            "the header's format byte is 0x01, not 0x02",
            "layout",
            0,
            1,
            size,
            None,
            &right_aad,
            &padded,
            format_1,
        ),
        case(
            "the last chunk padded to 512 bytes where padme(27) is 256: the padding must be exactly padmé's",
            "plaintext",
            0,
            1,
            size,
            None,
            &right_aad,
            &overpadded,
            raw(&key, &overpadded, &right_aad, 0x7e),
        ),
        case(
            "the last chunk without the 0x80 marker before its zero padding",
            "plaintext",
            0,
            1,
            size,
            None,
            &right_aad,
            &no_marker,
            raw(&key, &no_marker, &right_aad, 0x7f),
        ),
        case(
            "a last chunk of 27 bytes where the item's size (26) says 26: the length must agree with the size",
            "plaintext",
            0,
            1,
            size,
            None,
            &right_aad,
            &longer,
            raw(&key, &longer, &right_aad, 0x70),
        ),
    ]
}
