//! The known-answer vectors of crypto v2, `docs/spec/crypto-v2-vectors.json`, checked three ways:
//!
//! 1. **Fresh**: the committed file is byte for byte what the generator
//!    (`examples/vectors/generate.rs`, included below) produces today.
//! 2. **From the spec** (module `from_primitives`): every positive vector is recomputed from the
//!    primitives (XChaCha20-Poly1305, SHA-256, HKDF-SHA-256, Ed25519) and the formulas of
//!    `docs/spec/crypto-v2.md`, without calling hush-crypto at all, and every negative vector is
//!    shown to break the rule of the spec its `what` names (and nothing else: a "plaintext" case
//!    decrypts under the right key and AAD). Each formula implemented there is quoted from the spec,
//!    and a test checks that the quotation is still in the spec word for word, so that the
//!    recomputation cannot drift from the text it claims to follow.
//! 3. **Through the API** (module `through_the_api`): hush-crypto opens, re-seals and links every
//!    positive vector, and refuses every negative one.
//!
//! The vectors of version 1 are checked by `tests/vectors.rs`.

#[path = "../examples/vectors/generate.rs"]
mod generate;

use std::collections::HashSet;

use serde_json::Value;

const VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/spec/crypto-v2-vectors.json");
const V1_VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/spec/crypto-v1-vectors.json");
const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/spec/crypto-v2.md");
const REGENERATE: &str =
    "regenerate with `cargo run -p hush-crypto --example vectors > docs/spec/crypto-v2-vectors.json`";

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn vectors() -> Value {
    serde_json::from_str(&read(VECTORS_PATH))
        .unwrap_or_else(|e| panic!("docs/spec/crypto-v2-vectors.json is not JSON ({e}): {REGENERATE}"))
}

fn v1_vectors() -> Value {
    serde_json::from_str(&read(V1_VECTORS_PATH)).expect("crypto-v1-vectors.json parses")
}

/// The cases under `path` (e.g. `["negative", "manifest"]`), which must not be empty: a check
/// that loops over no cases would pass whatever the file says.
fn cases<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    let node = path.iter().fold(v, |node, key| &node[*key]);
    let list = node.as_array().unwrap_or_else(|| panic!("no array at {path:?}"));
    assert!(!list.is_empty(), "no cases at {path:?}");
    list
}

fn what(case: &Value) -> &str {
    case["what"].as_str().expect("every case has a \"what\"")
}

fn field<'a>(case: &'a Value, name: &str) -> &'a Value {
    let value = &case[name];
    assert!(!value.is_null(), "{name} missing in {:?}", what(case));
    value
}

fn bytes(case: &Value, name: &str) -> Vec<u8> {
    let text = field(case, name).as_str().unwrap_or_else(|| panic!("{name} is not a string"));
    hex::decode(text).unwrap_or_else(|e| panic!("{name} is not hex: {e}"))
}

fn array<const N: usize>(case: &Value, name: &str) -> [u8; N] {
    bytes(case, name).try_into().unwrap_or_else(|b: Vec<u8>| panic!("{name} has {} bytes, not {N}", b.len()))
}

fn int(case: &Value, name: &str) -> u64 {
    field(case, name).as_u64().unwrap_or_else(|| panic!("{name} is not a number"))
}

fn int32(case: &Value, name: &str) -> u32 {
    u32::try_from(int(case, name)).expect("fits u32")
}

fn text<'a>(case: &'a Value, name: &str) -> &'a str {
    field(case, name).as_str().unwrap_or_else(|| panic!("{name} is not a string"))
}

/// `ring_keys` as `(version, key)`, in the order the file lists them.
fn ring_keys(case: &Value) -> Vec<(u32, [u8; 32])> {
    cases(case, &["ring_keys"]).iter().map(|k| (int32(k, "version"), array(k, "key"))).collect()
}

#[test]
fn committed_vectors_are_fresh() {
    let generated = generate::vectors_json();
    let committed = std::fs::read_to_string(VECTORS_PATH)
        .unwrap_or_else(|e| panic!("cannot read docs/spec/crypto-v2-vectors.json ({e}): {REGENERATE}"));
    if generated != committed {
        let line = generated.lines().zip(committed.lines()).position(|(g, c)| g != c).map_or_else(
            || {
                format!(
                    "the files differ in length ({} vs {} lines)",
                    generated.lines().count(),
                    committed.lines().count()
                )
            },
            |i| format!("first difference at line {}", i + 1),
        );
        panic!("docs/spec/crypto-v2-vectors.json is not what the generator produces ({line}): {REGENERATE}");
    }
}

/// The generator reuses inputs and outputs of the version-1 vectors (the key derivation did not
/// change, and the upgrade vectors extend version 1's manifest). Its notes say so; this checks it.
#[test]
fn inputs_borrowed_from_v1_are_those_of_crypto_v1_vectors() {
    let (v, v1) = (vectors(), v1_vectors());
    let kdf = cases(&v1, &["kdf"]);
    for case in cases(&v, &["keyset"]) {
        let source = kdf
            .iter()
            .find(|k| {
                ["m_kib", "t", "p"].iter().all(|f| k[*f] == case[*f]) && k["kdf_salt"] == case["kdf_salt"]
            })
            .unwrap_or_else(|| panic!("no v1 kdf vector with the parameters of {:?}", what(case)));
        assert_eq!(case["kek"], source["kek"], "{}", what(case));
        assert_eq!(case["account_id"], source["account_id"], "{}", what(case));
    }
    let deletion = &cases(&v, &["delete_account"])[0];
    assert_eq!(deletion["auth_seed"], kdf[0]["auth_seed"]);
    assert_eq!(deletion["auth_public_key"], kdf[0]["auth_public_key"]);
    for case in cases(&v, &["device_name"]) {
        assert_eq!(case["account_key"], kdf[0]["account_key"], "{}", what(case));
    }
    let link = &cases(&v, &["chain_v1"])[0];
    assert_eq!(link["counter"], v1["manifest"]["counter"]);
    assert_eq!(link["digest"], v1["manifest"]["digest"]);
    assert_eq!(cases(&v, &["keyset"])[0]["ring_keys"][0]["key"], v1["keyset"]["vault_key"]);
}

/// Every nonce is "24 fresh bytes", never reused (crypto-v2.md, "Notation"): the vectors should not
/// teach otherwise, and two boxes with one nonce would also mean one case was pasted over another.
#[test]
fn every_box_has_its_own_nonce() {
    let v = vectors();
    let mut blobs = Vec::new();
    for path in [&["keyset"][..], &["manifest"], &["device_name"]] {
        for case in cases(&v, path) {
            blobs.push(bytes(case, if path == ["device_name"] { "sealed" } else { "blob" }));
        }
    }
    for structure in ["keyset", "manifest", "device_name", "attachment"] {
        blobs.extend(cases(&v, &["negative", structure]).iter().map(|c| bytes(c, "blob")));
    }
    let mut seen = HashSet::new();
    for blob in &blobs {
        assert!(seen.insert(blob[5..29].to_vec()), "nonce {} is used twice", hex::encode(&blob[5..29]));
    }
    // Chunks are listed by their nonce (a 1 MiB chunk is given by its hash, not whole). The
    // short file's one chunk is sealed again, as the item lists it, by the negative case that
    // re-seals it under another nonce: that case's item hash is of this very chunk.
    for case in cases(&v, &["attachment"]) {
        for chunk in cases(case, &["chunks"]) {
            assert!(seen.insert(bytes(chunk, "nonce")), "nonce {} is used twice", text(chunk, "nonce"));
        }
    }
    assert!(seen.len() >= 40, "only {} boxes", seen.len());
}

#[test]
fn every_case_says_what_it_tests_and_every_structure_is_covered() {
    let v = vectors();
    let mut whats = HashSet::new();
    let mut refused_at = HashSet::new();
    let positive = ["keyset", "manifest", "chain_v1", "device_name", "delete_account", "attachment"];
    for structure in positive {
        for case in cases(&v, &[structure]) {
            assert!(what(case).len() > 20 && whats.insert(what(case)), "{structure}: {:?}", what(case));
        }
    }
    for structure in ["keyset", "manifest", "device_name", "delete_account", "attachment"] {
        for case in cases(&v, &["negative", structure]) {
            assert!(what(case).len() > 20 && whats.insert(what(case)), "{structure}: {:?}", what(case));
            refused_at.insert(text(case, "refused_at").to_owned());
        }
    }
    let expected: HashSet<String> =
        ["layout", "hash", "aead", "plaintext", "signature"].into_iter().map(String::from).collect();
    assert_eq!(refused_at, expected);
    // The brief of the vectors: a ring of one key and one of three; a first push, a later push by a
    // second device, and the upgrade push; two device names.
    let rings: Vec<usize> = cases(&v, &["keyset"]).iter().map(|c| ring_keys(c).len()).collect();
    assert_eq!(rings, [1, 3]);
    let writers: Vec<usize> = cases(&v, &["manifest"]).iter().map(|c| cases(c, &["writers"]).len()).collect();
    assert_eq!(writers, [1, 2, 1]);
    assert_eq!(cases(&v, &["device_name"]).len(), 2);
    // Attachments: an empty file, a short one, one of two chunks, one of exactly one full chunk.
    let chunks: Vec<usize> = cases(&v, &["attachment"]).iter().map(|c| cases(c, &["chunks"]).len()).collect();
    assert_eq!(chunks, [1, 1, 2, 1]);
}

/// Recomputation from the primitives and the spec text alone. Nothing in this module calls
/// hush-crypto: a bug shared by the generator and the crate cannot hide here.
mod from_primitives {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
    use hkdf::Hkdf;
    use sha2::{Digest, Sha256};
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

    use super::{Value, array, bytes, cases, int, int32, read, ring_keys, text, vectors, what};

    // ---- Notation ---------------------------------------------------------------------------

    const PRIMITIVES: &str = "`XSeal(key, nonce, plain, aad)` is XChaCha20-Poly1305 (24-byte nonce, 16-byte tag \
         appended); every nonce is 24 fresh bytes from the operating system's CSPRNG, never a counter. `H(x)` is \
         SHA-256. HKDF is HKDF-SHA-256 (RFC 5869). Ed25519 is RFC 8032 with strict verification (small-order keys \
         and non-canonical signatures are refused).";
    const SEALED_BOX: &str = "A *sealed box* is `format || u32le(key_version) || nonce || XSeal(key, nonce, \
         plain, aad)`, where `format` is one byte.";

    fn xseal(key: &[u8; 32], nonce: &[u8; 24], plain: &[u8], aad: &[u8]) -> Vec<u8> {
        XChaCha20Poly1305::new(key.into())
            .encrypt(&XNonce::from(*nonce), Payload { msg: plain, aad })
            .expect("short plaintext")
    }

    fn xopen(key: &[u8; 32], nonce: &[u8; 24], sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        XChaCha20Poly1305::new(key.into()).decrypt(&XNonce::from(*nonce), Payload { msg: sealed, aad }).ok()
    }

    fn h(parts: &[&[u8]]) -> [u8; 32] {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update(part);
        }
        hash.finalize().into()
    }

    fn sealed_box(format: u8, key_version: u32, nonce: &[u8; 24], sealed: &[u8]) -> Vec<u8> {
        [&[format][..], &key_version.to_le_bytes(), nonce, sealed].concat()
    }

    /// A sealed box's parts: format, key version, nonce, ciphertext and tag.
    struct BoxParts<'a> {
        format: u8,
        key_version: u32,
        nonce: [u8; 24],
        sealed: &'a [u8],
    }

    fn split_box(blob: &[u8]) -> BoxParts<'_> {
        assert!(blob.len() >= 1 + 4 + 24 + 16, "a box of {} bytes", blob.len());
        BoxParts {
            format: blob[0],
            key_version: u32::from_le_bytes(blob[1..5].try_into().expect("4 bytes")),
            nonce: blob[5..29].try_into().expect("24 bytes"),
            sealed: &blob[29..],
        }
    }

    // ---- Keyset -----------------------------------------------------------------------------

    const RING: &str =
        "ring = u32le(n) || n × ( u32le(version_i) || VK_i ) n ≥ 1, version_0 > version_1 > … ≥ 1";
    const KEYSET_AAD: &str = "keyset_aad = \"hush/v2/keyset\" || account_id || u32le(m_kib) || u32le(t) || u32le(p) \
         || kdf_salt || u32le(key_version)";
    const KEYSET: &str =
        "keyset = 0x02 || u32le(key_version) || nonce || XSeal(kek, nonce, ring, keyset_aad)";
    const KEYSET_V1_AAD: &str = "with `aad_v1` as `keyset_aad` but the label `\"hush/v1/keyset\"`";
    const RING_RULE: &str = "`key_version` must equal `version_0`: the *current* vault key";
    const RING_PARSER: &str = "A parser refuses a ring whose `n` is 0 or above 1024, whose versions are not strictly \
         decreasing or reach 0, whose first version differs from `key_version`, or whose length is not exactly \
         `4 + 36·n`.";

    fn ring(keys: &[(u32, [u8; 32])]) -> Vec<u8> {
        let mut out = u32::try_from(keys.len()).expect("small").to_le_bytes().to_vec();
        for (version, key) in keys {
            out.extend_from_slice(&version.to_le_bytes());
            out.extend_from_slice(key);
        }
        out
    }

    /// RING_PARSER, read on its own: the ring's keys, or the rule it breaks.
    fn parse_ring(plain: &[u8], key_version: u32) -> Result<Vec<(u32, [u8; 32])>, &'static str> {
        let n =
            u32::from_le_bytes(plain.get(..4).ok_or("shorter than n")?.try_into().expect("4 bytes")) as usize;
        if n == 0 || n > 1024 {
            return Err("n is 0 or above 1024");
        }
        if plain.len() != 4 + 36 * n {
            return Err("length is not 4 + 36n");
        }
        let keys: Vec<(u32, [u8; 32])> = plain[4..]
            .chunks(36)
            .map(|c| (u32::from_le_bytes(c[..4].try_into().expect("4")), c[4..].try_into().expect("32")))
            .collect();
        if keys.windows(2).any(|pair| pair[0].0 <= pair[1].0) || keys.iter().any(|k| k.0 == 0) {
            return Err("versions not strictly decreasing, or 0");
        }
        if keys[0].0 != key_version {
            return Err("first version differs from key_version");
        }
        Ok(keys)
    }

    fn keyset_aad(label: &[u8], case: &Value) -> Vec<u8> {
        [
            label,
            &array::<16>(case, "account_id"),
            &int32(case, "m_kib").to_le_bytes(),
            &int32(case, "t").to_le_bytes(),
            &int32(case, "p").to_le_bytes(),
            &array::<16>(case, "kdf_salt"),
            &int32(case, "key_version").to_le_bytes(),
        ]
        .concat()
    }

    // ---- Manifest ---------------------------------------------------------------------------

    const DIGEST: &str = "digest = H( for each item, sorted by item_id bytes: item_id || H(item_blob) )";
    const WRITERS: &str = "writers = u32le(w) || w × ( device_id || u64le(pushes_d) || u64le(counter_d) || digest_d ) sorted by device_id, w ≥ 1";
    const PAYLOAD: &str = "payload = u64le(counter) || digest || prev || writers";
    const MANIFEST_AAD: &str = "manifest_aad= \"hush/v2/manifest\" || account_id || u32le(key_version)";
    const MANIFEST: &str = "manifest = 0x02 || u32le(key_version) || nonce || XSeal(VK_key_version, nonce, \
         payload, manifest_aad)";
    const MANIFEST_V1_AAD: &str = "\"hush/v1/manifest\" || account_id || u32le(key_version))`";
    const CHAIN: &str = "chain = H( \"hush/v2/chain\" || payload )";
    const COUNTER_AND_PREV: &str = "`counter` is one more than the counter of the head the push was made on (the \
         first push: 1). - `prev` is the `chain` of that head (32 zero bytes for the first push).";
    const AUTHOR: &str = "The pushing device (the *author*) sets its own entry to its push number for this push \
         and to this manifest's `counter` and `digest`; every other entry is copied from the head the push was \
         made on.";
    const PAYLOAD_PARSER: &str = "A parser refuses a payload whose length is not exactly `76 + 64·w`, whose \
         `counter` or any writer's counter or push number is 0, or whose writers are not strictly sorted by \
         device id, number 0 or above 1000, name a counter above the manifest's own, or do not contain exactly \
         one entry whose counter equals the manifest's, with the manifest's digest.";
    const FINGERPRINT: &str =
        "Its first 6 bytes, as 12 lower-case hex digits in three groups of four joined by `-`";
    const CHAIN_V1: &str = "`chain_v1 = H(\"hush/v2/chain-v1\" || u64le(counter) || digest)`";

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Writer {
        device: [u8; 16],
        pushes: u64,
        counter: u64,
        digest: [u8; 32],
    }

    #[derive(Debug, PartialEq, Eq)]
    struct ManifestPayload {
        counter: u64,
        digest: [u8; 32],
        prev: [u8; 32],
        writers: Vec<Writer>,
    }

    fn digest(mut entries: Vec<([u8; 16], [u8; 32])>) -> [u8; 32] {
        entries.sort_by_key(|e| e.0);
        let parts: Vec<&[u8]> =
            entries.iter().flat_map(|(id, blob_hash)| [&id[..], &blob_hash[..]]).collect();
        h(&parts)
    }

    fn writers(list: &[Writer]) -> Vec<u8> {
        let mut out = u32::try_from(list.len()).expect("small").to_le_bytes().to_vec();
        for w in list {
            out.extend_from_slice(&w.device);
            out.extend_from_slice(&w.pushes.to_le_bytes());
            out.extend_from_slice(&w.counter.to_le_bytes());
            out.extend_from_slice(&w.digest);
        }
        out
    }

    fn payload(p: &ManifestPayload) -> Vec<u8> {
        [&p.counter.to_le_bytes()[..], &p.digest, &p.prev, &writers(&p.writers)].concat()
    }

    /// PAYLOAD_PARSER, read on its own: the payload, or the rule it breaks.
    fn parse_payload(bytes: &[u8]) -> Result<ManifestPayload, &'static str> {
        if bytes.len() < 76 {
            return Err("shorter than the fixed part");
        }
        let w = u32::from_le_bytes(bytes[72..76].try_into().expect("4")) as usize;
        if bytes.len() != 76 + 64 * w {
            return Err("length is not 76 + 64w");
        }
        let p = ManifestPayload {
            counter: u64::from_le_bytes(bytes[..8].try_into().expect("8")),
            digest: bytes[8..40].try_into().expect("32"),
            prev: bytes[40..72].try_into().expect("32"),
            writers: bytes[76..]
                .chunks(64)
                .map(|c| Writer {
                    device: c[..16].try_into().expect("16"),
                    pushes: u64::from_le_bytes(c[16..24].try_into().expect("8")),
                    counter: u64::from_le_bytes(c[24..32].try_into().expect("8")),
                    digest: c[32..].try_into().expect("32"),
                })
                .collect(),
        };
        if p.counter == 0 || p.writers.iter().any(|w| w.counter == 0 || w.pushes == 0) {
            return Err("a counter or push number is 0");
        }
        if p.writers.windows(2).any(|pair| pair[0].device >= pair[1].device) {
            return Err("writers not strictly sorted");
        }
        if w == 0 || w > 1000 {
            return Err("0 or more than 1000 writers");
        }
        if p.writers.iter().any(|w| w.counter > p.counter) {
            return Err("a writer's counter is above the manifest's");
        }
        let authors: Vec<&Writer> = p.writers.iter().filter(|w| w.counter == p.counter).collect();
        if authors.len() != 1 || authors[0].digest != p.digest {
            return Err("not exactly one author entry with the manifest's digest");
        }
        Ok(p)
    }

    fn manifest_aad(label: &[u8], account_id: &[u8; 16], key_version: u32) -> Vec<u8> {
        [label, account_id, &key_version.to_le_bytes()].concat()
    }

    fn chain(payload: &[u8]) -> [u8; 32] {
        h(&[b"hush/v2/chain", payload])
    }

    fn fingerprint(chain: &[u8; 32]) -> String {
        let digits = hex::encode(&chain[..6]);
        format!("{}-{}-{}", &digits[..4], &digits[4..8], &digits[8..])
    }

    fn writers_of(case: &Value) -> Vec<Writer> {
        cases(case, &["writers"])
            .iter()
            .map(|w| Writer {
                device: array(w, "device_id"),
                pushes: int(w, "pushes"),
                counter: int(w, "counter"),
                digest: array(w, "digest"),
            })
            .collect()
    }

    fn entries_of(case: &Value) -> Vec<([u8; 16], [u8; 32])> {
        cases(case, &["entries_item_id_and_blob_sha256"])
            .iter()
            .map(|pair| {
                let item = |i: usize| hex::decode(pair[i].as_str().expect("hex")).expect("hex");
                (item(0).try_into().expect("16"), item(1).try_into().expect("32"))
            })
            .collect()
    }

    // ---- Device names -----------------------------------------------------------------------

    const NAME_KEY: &str = "name_key = HKDF-Expand( HKDF-Extract(salt = \"hush/v2\" || account_id, ikm = AK), \
         \"hush/v2/device-name\", 32 )";
    const NAME_PLAIN: &str = "name_plain = u8(len) || name || 0x00 * (64 - len) len ≤ 64 bytes of UTF-8";
    const NAME_AAD: &str = "name_aad = \"hush/v2/device-name\" || account_id";
    const SEALED_NAME: &str =
        "sealed_name= 0x02 || u32le(0) || nonce || XSeal(name_key, nonce, name_plain, name_aad) (110 bytes)";
    const NAME_RULE: &str = "A name must be 1 to 64 bytes of UTF-8, not only white space (Unicode White_Space), \
         without control characters, bidirectional overrides or isolates, or other invisible format characters \
         (Unicode general category Cc or Cf)";
    const NAME_PARSER: &str = "A parser refuses a sealed name that is not exactly 110 bytes or whose header is not \
         exactly `0x02 || u32le(0)` (the key version is not in `name_aad`, so the tag does not protect it), and, \
         once it is open, a `len` of 0 or above 64, a non-zero padding byte, or a name that is not UTF-8 or \
         breaks the rule above.";

    fn name_key(account_id: &[u8; 16], account_key: &[u8; 16]) -> [u8; 32] {
        let salt = [b"hush/v2".as_slice(), account_id].concat();
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&salt), account_key)
            .expand(b"hush/v2/device-name", &mut key)
            .expect("32 bytes");
        key
    }

    fn name_plain(name: &[u8]) -> Vec<u8> {
        assert!(name.len() <= 64);
        [&[name.len() as u8][..], name, &vec![0; 64 - name.len()]].concat()
    }

    fn name_aad(account_id: &[u8; 16]) -> Vec<u8> {
        [b"hush/v2/device-name".as_slice(), account_id].concat()
    }

    /// The first half of NAME_PARSER: what is checked before decrypting.
    fn check_name_layout(blob: &[u8]) -> Result<(), &'static str> {
        if blob.len() != 110 {
            return Err("not 110 bytes");
        }
        if blob[..5] != [0x02, 0, 0, 0, 0] {
            return Err("header is not 0x02 || u32le(0)");
        }
        Ok(())
    }

    /// NAME_RULE.
    fn check_name(name: &str) -> Result<(), &'static str> {
        if name.is_empty() || name.len() > 64 {
            return Err("not 1 to 64 bytes");
        }
        if name.chars().all(char::is_whitespace) {
            return Err("only white space");
        }
        if name
            .chars()
            .any(|c| matches!(c.general_category(), GeneralCategory::Control | GeneralCategory::Format))
        {
            return Err("a Cc or Cf character");
        }
        Ok(())
    }

    /// The second half of NAME_PARSER: the opened `name_plain`.
    fn parse_name_plain(plain: &[u8]) -> Result<String, &'static str> {
        if plain.len() != 65 {
            return Err("name_plain is not 65 bytes");
        }
        let len = usize::from(plain[0]);
        if len == 0 || len > 64 {
            return Err("len is 0 or above 64");
        }
        if plain[1 + len..].iter().any(|&b| b != 0) {
            return Err("non-zero padding");
        }
        let name = std::str::from_utf8(&plain[1..=len]).map_err(|_| "not UTF-8")?;
        check_name(name)?;
        Ok(name.to_owned())
    }

    // ---- Account deletion -------------------------------------------------------------------

    const DELETE: &str = "delete_message = \"hush/v2/delete-account\" || account_id || challenge";
    const LOGIN: &str = "login_message = \"hush/v1/login\" || account_id || challenge";
    /// ℓ, the order of the edwards25519 base point, little-endian (RFC 8032, section 5.1).
    const ELL: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];

    fn verify_strict(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
        VerifyingKey::from_bytes(public_key)
            .is_ok_and(|key| key.verify_strict(message, &Signature::from_bytes(signature)).is_ok())
    }

    /// Whether a little-endian 32-byte integer is at least ℓ.
    fn at_least_ell(s: &[u8]) -> bool {
        s.iter().rev().zip(ELL.iter().rev()).find(|(a, b)| a != b).is_none_or(|(a, b)| a > b)
    }

    /// `s - ℓ`, for an `s` of at least ℓ.
    fn minus_ell(s: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut borrow = 0i16;
        for i in 0..32 {
            let d = i16::from(s[i]) - i16::from(ELL[i]) - borrow;
            out[i] = d.rem_euclid(256) as u8;
            borrow = i16::from(d < 0);
        }
        assert_eq!(borrow, 0, "s was below l");
        out
    }

    // ---- Attachments -------------------------------------------------------------------------

    const PADME: &str = "padme(n) = let n = max(n, 256); e = floor(log2 n); s = floor(log2 e) + 1; mask = \
         2^(e-s) - 1 in (n + mask) & !mask";
    const CHUNK: &str = "CHUNK = 1048576";
    const CHUNK_COUNT: &str = "n = max(1, ceil(size / CHUNK))";
    const PART: &str = "part_i = bytes i·CHUNK to min((i+1)·CHUNK, size) of the file, for 0 ≤ i < n";
    const CHUNK_PLAIN: &str = "chunk_plain_i = part_i for i < n − 1 (exactly CHUNK bytes)";
    const CHUNK_PLAIN_LAST: &str = "chunk_plain_last = part_last || 0x80 || 0x00 * (padme(len(part_last) + 1) \
         - len(part_last) - 1)";
    const CHUNK_AAD: &str =
        "chunk_aad_i = \"hush/v2/file-chunk\" || account_id || file_id || u32le(i) || u8(last_i)";
    const SEALED_CHUNK: &str =
        "chunk_i = 0x02 || u32le(0) || nonce || XSeal(FK, nonce, chunk_plain_i, chunk_aad_i)";
    const CHUNK_HASH: &str = "chunk_hash_i = H(chunk_i)";
    const CHUNK_RULES: &str = "1. `H(chunk_i)` equals the item's `chunk_hash_i` (before anything is decrypted). \
         2. The chunk starts with exactly `0x02 || u32le(0)`, and opens under `FK` with `chunk_aad_i`. 3. A chunk \
         other than the last holds exactly `CHUNK` bytes of plaintext. The last one ends in `0x80` followed only \
         by zeros, its padded length is exactly `padme(len + 1)`, and `len` is `size − (n − 1)·CHUNK`.";

    const CHUNK_BYTES: usize = 1_048_576;

    /// PADME, read on its own.
    fn padme(n: usize) -> usize {
        let n = n.max(256);
        let e = n.ilog2();
        let s = e.ilog2() + 1;
        let mask = (1usize << (e - s)) - 1;
        (n + mask) & !mask
    }

    fn chunk_aad(account_id: &[u8; 16], file_id: &[u8; 16], index: u32, last: bool) -> Vec<u8> {
        [b"hush/v2/file-chunk".as_slice(), account_id, file_id, &index.to_le_bytes(), &[u8::from(last)]]
            .concat()
    }

    /// The file of an attachment case: its `content`, or the content rule's bytes.
    fn file_content(case: &Value) -> Vec<u8> {
        let size = int(case, "size") as usize;
        match case["content"].as_str() {
            Some(_) => bytes(case, "content"),
            None => {
                assert_eq!(text(case, "content_rule"), "byte j of the file is j mod 251");
                (0..size).map(|j| (j % 251) as u8).collect()
            }
        }
    }

    /// CHUNK_RULES, read on their own: the chunk's part of the file, or the rule it breaks.
    fn read_chunk(
        key: &[u8; 32],
        account_id: &[u8; 16],
        file_id: &[u8; 16],
        (index, n, size): (u32, u32, u64),
        item_hash: &[u8; 32],
        blob: &[u8],
    ) -> Result<Vec<u8>, &'static str> {
        if h(&[blob]) != *item_hash {
            return Err("hash");
        }
        if blob.len() < 45 || blob[..5] != [0x02, 0, 0, 0, 0] {
            return Err("layout");
        }
        let last = index + 1 == n;
        let plain = xopen(
            key,
            blob[5..29].try_into().expect("24"),
            &blob[29..],
            &chunk_aad(account_id, file_id, index, last),
        )
        .ok_or("aead")?;
        if !last {
            return if plain.len() == CHUNK_BYTES { Ok(plain) } else { Err("plaintext") };
        }
        let end = plain.iter().rposition(|&b| b != 0).ok_or("plaintext")?;
        if plain[end] != 0x80 || plain.len() != padme(end + 1) {
            return Err("plaintext");
        }
        if end as u64 != size - u64::from(n - 1) * CHUNK_BYTES as u64 {
            return Err("plaintext");
        }
        Ok(plain[..end].to_vec())
    }

    // ---- The tests --------------------------------------------------------------------------

    /// Every formula this module implements is quoted above from crypto-v2.md; the quotations must
    /// still be in the spec (line breaks and alignment aside), or the recomputation no longer
    /// follows the text and must be reviewed against it.
    #[test]
    fn formulas_implemented_here_are_quoted_from_the_spec() {
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let spec = squash(&read(super::SPEC_PATH));
        for quoted in [
            PRIMITIVES,
            SEALED_BOX,
            RING,
            KEYSET_AAD,
            KEYSET,
            KEYSET_V1_AAD,
            RING_RULE,
            RING_PARSER,
            DIGEST,
            WRITERS,
            PAYLOAD,
            MANIFEST_AAD,
            MANIFEST,
            MANIFEST_V1_AAD,
            CHAIN,
            COUNTER_AND_PREV,
            AUTHOR,
            PAYLOAD_PARSER,
            FINGERPRINT,
            CHAIN_V1,
            NAME_KEY,
            NAME_PLAIN,
            NAME_AAD,
            SEALED_NAME,
            NAME_RULE,
            NAME_PARSER,
            DELETE,
            LOGIN,
            PADME,
            CHUNK,
            CHUNK_COUNT,
            PART,
            CHUNK_PLAIN,
            CHUNK_PLAIN_LAST,
            CHUNK_AAD,
            SEALED_CHUNK,
            CHUNK_HASH,
            CHUNK_RULES,
        ] {
            assert!(spec.contains(&squash(quoted)), "crypto-v2.md no longer says: {quoted}");
        }
    }

    #[test]
    fn keysets() {
        let v = vectors();
        for case in cases(&v, &["keyset"]) {
            let keys = ring_keys(case);
            let key_version = int32(case, "key_version");
            let ring_bytes = ring(&keys);
            assert_eq!(ring_bytes, bytes(case, "ring"), "ring of {:?}", what(case));
            assert_eq!(parse_ring(&ring_bytes, key_version), Ok(keys.clone()), "{:?}", what(case));
            let aad = keyset_aad(b"hush/v2/keyset", case);
            assert_eq!(aad, bytes(case, "aad"), "aad of {:?}", what(case));
            let kek = array(case, "kek");
            let nonce = array(case, "nonce");
            let blob = sealed_box(0x02, key_version, &nonce, &xseal(&kek, &nonce, &ring_bytes, &aad));
            assert_eq!(blob, bytes(case, "blob"), "blob of {:?}", what(case));
        }
    }

    #[test]
    fn manifests() {
        let v = vectors();
        let manifests = cases(&v, &["manifest"]);
        let mut chains = Vec::new();
        for case in manifests {
            let account = array::<16>(case, "account_id");
            let key_version = int32(case, "key_version");
            let entries = entries_of(case);
            let d = digest(entries.clone());
            assert_eq!(d, array(case, "digest"), "digest of {:?}", what(case));
            let p = ManifestPayload {
                counter: int(case, "counter"),
                digest: d,
                prev: array(case, "prev"),
                writers: writers_of(case),
            };
            let encoded = payload(&p);
            assert_eq!(encoded, bytes(case, "payload"), "payload of {:?}", what(case));
            assert_eq!(parse_payload(&encoded), Ok(p), "{:?}", what(case));
            let aad = manifest_aad(b"hush/v2/manifest", &account, key_version);
            assert_eq!(aad, bytes(case, "aad"), "aad of {:?}", what(case));
            let (vk, nonce) = (array(case, "vault_key"), array(case, "nonce"));
            let blob = sealed_box(0x02, key_version, &nonce, &xseal(&vk, &nonce, &encoded, &aad));
            assert_eq!(blob, bytes(case, "blob"), "blob of {:?}", what(case));
            let c = chain(&encoded);
            assert_eq!(c, array(case, "chain"), "chain of {:?}", what(case));
            assert_eq!(fingerprint(&c), text(case, "fingerprint"), "{:?}", what(case));
            chains.push(c);
        }
        // The entries of the first case are listed out of order, so that its digest shows that
        // they are sorted by item id before hashing.
        let first_ids: Vec<[u8; 16]> = entries_of(&manifests[0]).iter().map(|e| e.0).collect();
        assert!(!first_ids.is_sorted(), "the first manifest's entries should be listed unsorted");

        let link = &cases(&v, &["chain_v1"])[0];
        let chain_v1 =
            h(&[b"hush/v2/chain-v1", &int(link, "counter").to_le_bytes(), &array::<32>(link, "digest")]);
        assert_eq!(chain_v1, array(link, "chain_v1"));

        // COUNTER_AND_PREV and AUTHOR: how each push extends the head it was made on. The first
        // push has no head; the second is made on the first; the third on the version-1 head.
        // Each author of these vectors pushes for the first time: push number 1.
        let author_entry = |case: &Value| Writer {
            device: array(case, "author_device_id"),
            pushes: 1,
            counter: int(case, "counter"),
            digest: array(case, "digest"),
        };
        let (first, second, upgrade) = (&manifests[0], &manifests[1], &manifests[2]);
        assert_eq!((int(first, "counter"), array(first, "prev")), (1, [0; 32]));
        assert_eq!(writers_of(first), [author_entry(first)]);
        assert_eq!((int(second, "counter"), array(second, "prev")), (2, chains[0]));
        let mut expected = writers_of(first);
        expected.push(author_entry(second));
        expected.sort_by_key(|w| w.device);
        assert_eq!(writers_of(second), expected);
        assert_ne!(
            writers_of(second)[1],
            author_entry(second),
            "the new author's entry is not simply appended"
        );
        assert_eq!((int(upgrade, "counter"), array(upgrade, "prev")), (int(link, "counter") + 1, chain_v1));
        assert_eq!(writers_of(upgrade), [author_entry(upgrade)], "a version-1 head has no writers to copy");
    }

    #[test]
    fn device_names() {
        let v = vectors();
        for case in cases(&v, &["device_name"]) {
            let account = array::<16>(case, "account_id");
            let key = name_key(&account, &array(case, "account_key"));
            assert_eq!(key, array(case, "name_key"), "name_key of {:?}", what(case));
            let name = text(case, "name");
            assert_eq!(name.as_bytes(), bytes(case, "name_utf8_hex"), "{:?}", what(case));
            let plain = name_plain(name.as_bytes());
            assert_eq!(plain, bytes(case, "name_plain"), "name_plain of {:?}", what(case));
            assert_eq!(parse_name_plain(&plain).as_deref(), Ok(name), "{:?}", what(case));
            let aad = name_aad(&account);
            assert_eq!(aad, bytes(case, "aad"), "aad of {:?}", what(case));
            let nonce = array(case, "nonce");
            let sealed = sealed_box(0x02, 0, &nonce, &xseal(&key, &nonce, &plain, &aad));
            assert_eq!(sealed.len(), 110);
            assert_eq!(check_name_layout(&sealed), Ok(()));
            assert_eq!(sealed, bytes(case, "sealed"), "sealed name of {:?}", what(case));
        }
        let lengths: Vec<usize> = cases(&v, &["device_name"]).iter().map(|c| text(c, "name").len()).collect();
        assert!(lengths.contains(&64), "one name is at the 64-byte limit: {lengths:?}");
    }

    #[test]
    fn account_deletion() {
        let v = vectors();
        let case = &cases(&v, &["delete_account"])[0];
        let message = [
            b"hush/v2/delete-account".as_slice(),
            &array::<16>(case, "account_id"),
            &array::<32>(case, "challenge"),
        ]
        .concat();
        assert_eq!(message, bytes(case, "message"));
        let key = SigningKey::from_bytes(&array(case, "auth_seed"));
        let public_key = key.verifying_key().to_bytes();
        assert_eq!(public_key, array(case, "auth_public_key"));
        let signature = key.sign(&message).to_bytes();
        assert_eq!(signature, array(case, "signature"));
        assert!(verify_strict(&public_key, &message, &signature));
    }

    /// Every negative keyset is a real box (it opens with the key and AAD it was sealed with), and
    /// is refused for the reason its `refused_at` gives.
    #[test]
    fn attachments() {
        let v = vectors();
        for case in cases(&v, &["attachment"]) {
            let account = array::<16>(case, "account_id");
            let file_id = array::<16>(case, "file_id");
            let key = array::<32>(case, "file_key");
            let size = int(case, "size");
            let content = file_content(case);
            assert_eq!(content.len() as u64, size, "{:?}", what(case));
            // CHUNK_COUNT.
            let n = size.div_ceil(CHUNK_BYTES as u64).max(1);
            assert_eq!(n, int(case, "chunk_count"), "{:?}", what(case));
            let listed = cases(case, &["chunks"]);
            assert_eq!(listed.len() as u64, n);
            let hashes: Vec<[u8; 32]> = cases(case, &["chunk_hashes"])
                .iter()
                .map(|h| hex::decode(h.as_str().expect("hex")).expect("hex").try_into().expect("32"))
                .collect();
            let mut read_back = Vec::new();
            for (i, chunk) in listed.iter().enumerate() {
                let i = u32::try_from(i).expect("small");
                let last = u64::from(i) + 1 == n;
                assert_eq!(int(chunk, "index"), u64::from(i));
                assert_eq!(int(chunk, "last"), u64::from(last));
                // PART, CHUNK_PLAIN and CHUNK_PLAIN_LAST.
                let start = i as usize * CHUNK_BYTES;
                let part = &content[start..content.len().min(start + CHUNK_BYTES)];
                assert_eq!(part.len() as u64, int(chunk, "plain_len"));
                let plain = if last {
                    let mut p = part.to_vec();
                    p.push(0x80);
                    p.resize(padme(part.len() + 1), 0);
                    p
                } else {
                    assert_eq!(part.len(), CHUNK_BYTES);
                    part.to_vec()
                };
                assert_eq!(plain.len() as u64, int(chunk, "padded_len"), "{:?} chunk {i}", what(case));
                let aad = chunk_aad(&account, &file_id, i, last);
                assert_eq!(aad, bytes(chunk, "aad"), "{:?} chunk {i}", what(case));
                let nonce = array::<24>(chunk, "nonce");
                let sealed = sealed_box(0x02, 0, &nonce, &xseal(&key, &nonce, &plain, &aad));
                assert_eq!(sealed.len() as u64, int(chunk, "sealed_len"));
                let hash = h(&[&sealed]);
                assert_eq!(hash, array(chunk, "sealed_sha256"), "{:?} chunk {i}", what(case));
                assert_eq!(hash, hashes[i as usize], "chunk_hashes of {:?}", what(case));
                if chunk["sealed"].is_string() {
                    assert_eq!(sealed, bytes(chunk, "sealed"), "{:?} chunk {i}", what(case));
                } else {
                    assert!(sealed.len() > 4096, "a small chunk is given whole");
                }
                let read = read_chunk(&key, &account, &file_id, (i, n as u32, size), &hash, &sealed);
                read_back.extend(read.unwrap_or_else(|e| panic!("{:?} chunk {i}: {e}", what(case))));
            }
            assert_eq!(read_back, content, "{:?} reads back", what(case));
        }
    }

    #[test]
    fn negative_attachments_break_the_rule_they_name() {
        let v = vectors();
        for case in cases(&v, &["negative", "attachment"]) {
            let blob = bytes(case, "blob");
            let key = array::<32>(case, "file_key");
            let account = array::<16>(case, "account_id");
            let file_id = array::<16>(case, "file_id");
            let position = (int32(case, "index"), int32(case, "chunk_count"), int(case, "size"));
            let refused =
                read_chunk(&key, &account, &file_id, position, &array(case, "item_chunk_hash"), &blob);
            assert_eq!(refused, Err(text(case, "refused_at")), "{:?}", what(case));
            // Made as the case says: sealed under sealed_key and sealed_aad with sealed_plain (whatever
            // its header says afterwards), so that it is refused for its rule and not for a bad tag.
            let opened = xopen(
                &array(case, "sealed_key"),
                blob[5..29].try_into().expect("24"),
                &blob[29..],
                &bytes(case, "sealed_aad"),
            );
            assert_eq!(opened, Some(bytes(case, "sealed_plain")), "{:?}", what(case));
            // A "hash" case is a well-formed chunk in every other respect: it opens where it claims.
            if text(case, "refused_at") == "hash" {
                let (index, n, size) = position;
                let own = h(&[&blob]);
                assert!(read_chunk(&key, &account, &file_id, (index, n, size), &own, &blob).is_ok());
            }
        }
    }

    #[test]
    fn negative_keysets_break_the_rule_they_name() {
        let v = vectors();
        for case in cases(&v, &["negative", "keyset"]) {
            let blob = bytes(case, "blob");
            let parts = split_box(&blob);
            let key_version = int32(case, "key_version");
            assert_eq!(parts.key_version, key_version, "{:?}", what(case));
            let sealed_key = array(case, "sealed_key");
            let plain = xopen(&sealed_key, &parts.nonce, parts.sealed, &bytes(case, "sealed_aad"));
            assert_eq!(plain, Some(bytes(case, "sealed_plain")), "{:?} is not what it says", what(case));
            // The AAD a parser builds from the header's format byte and the context.
            let label: &[u8] = match parts.format {
                0x01 => b"hush/v1/keyset",
                0x02 => b"hush/v2/keyset",
                other => panic!("format {other}"),
            };
            let aad = keyset_aad(label, case);
            let kek = array(case, "kek");
            match text(case, "refused_at") {
                "aead" => assert_eq!(xopen(&kek, &parts.nonce, parts.sealed, &aad), None, "{:?}", what(case)),
                "plaintext" => {
                    assert_eq!(parts.format, 0x02);
                    let opened = xopen(&kek, &parts.nonce, parts.sealed, &aad).expect("it decrypts");
                    assert!(parse_ring(&opened, key_version).is_err(), "{:?} parses", what(case));
                }
                other => panic!("refused_at {other} for a keyset"),
            }
        }
    }

    #[test]
    fn negative_manifests_break_the_rule_they_name() {
        let v = vectors();
        for case in cases(&v, &["negative", "manifest"]) {
            let blob = bytes(case, "blob");
            let parts = split_box(&blob);
            let sealed_key = array(case, "sealed_key");
            let plain = xopen(&sealed_key, &parts.nonce, parts.sealed, &bytes(case, "sealed_aad"));
            assert_eq!(plain, Some(bytes(case, "sealed_plain")), "{:?} is not what it says", what(case));
            let label: &[u8] = match parts.format {
                0x01 => b"hush/v1/manifest",
                0x02 => b"hush/v2/manifest",
                other => panic!("format {other}"),
            };
            let aad = manifest_aad(label, &array(case, "account_id"), parts.key_version);
            let device_key = ring_keys(case).into_iter().find(|k| k.0 == parts.key_version).map(|k| k.1);
            match text(case, "refused_at") {
                // The ring has no key of the header's version; yet the box is sealed with the spec's
                // AAD under the bytes of a key the ring holds, so a device that tried its current key
                // instead of the named one would accept it.
                "layout" => {
                    assert_eq!(device_key, None, "{:?}", what(case));
                    assert_eq!(aad, bytes(case, "sealed_aad"));
                    assert!(ring_keys(case).iter().any(|k| k.1 == sealed_key));
                }
                "aead" => {
                    let key = device_key.expect("the ring has the named key");
                    assert_eq!(xopen(&key, &parts.nonce, parts.sealed, &aad), None, "{:?}", what(case));
                }
                "plaintext" => {
                    assert_eq!(parts.format, 0x02);
                    let key = device_key.expect("the ring has the named key");
                    let opened = xopen(&key, &parts.nonce, parts.sealed, &aad).expect("it decrypts");
                    assert!(parse_payload(&opened).is_err(), "{:?} parses", what(case));
                }
                other => panic!("refused_at {other} for a manifest"),
            }
        }
    }

    #[test]
    fn negative_device_names_break_the_rule_they_name() {
        let v = vectors();
        for case in cases(&v, &["negative", "device_name"]) {
            let blob = bytes(case, "blob");
            let parts = split_box(&blob);
            let sealed_key = array(case, "sealed_key");
            let plain = xopen(&sealed_key, &parts.nonce, parts.sealed, &bytes(case, "sealed_aad"));
            assert_eq!(plain, Some(bytes(case, "sealed_plain")), "{:?} is not what it says", what(case));
            let account = array::<16>(case, "account_id");
            let key = name_key(&account, &array(case, "account_key"));
            let aad = name_aad(&account);
            if !case["name"].is_null() {
                let name = text(case, "name");
                assert_eq!(name.as_bytes(), bytes(case, "name_utf8_hex"));
                assert!(check_name(name).is_err(), "{:?} is an allowed name", what(case));
            }
            match text(case, "refused_at") {
                // The AEAD alone would accept these: only the layout check refuses them.
                "layout" => {
                    assert!(check_name_layout(&blob).is_err(), "{:?}", what(case));
                    assert!(xopen(&key, &parts.nonce, parts.sealed, &aad).is_some(), "{:?}", what(case));
                }
                "aead" => {
                    assert_eq!(check_name_layout(&blob), Ok(()), "{:?}", what(case));
                    assert_eq!(xopen(&key, &parts.nonce, parts.sealed, &aad), None, "{:?}", what(case));
                }
                "plaintext" => {
                    assert_eq!(check_name_layout(&blob), Ok(()), "{:?}", what(case));
                    let opened = xopen(&key, &parts.nonce, parts.sealed, &aad).expect("it decrypts");
                    assert!(parse_name_plain(&opened).is_err(), "{:?} parses", what(case));
                }
                other => panic!("refused_at {other} for a device name"),
            }
        }
    }

    #[test]
    fn negative_deletions_break_the_rule_they_name() {
        let v = vectors();
        let good = &cases(&v, &["delete_account"])[0];
        for case in cases(&v, &["negative", "delete_account"]) {
            assert_eq!(text(case, "refused_at"), "signature");
            let message = bytes(case, "message");
            assert_eq!(message, bytes(good, "message"), "{:?} is about the valid deletion", what(case));
            let public_key = array(case, "auth_public_key");
            let signature = array::<64>(case, "signature");
            assert!(!verify_strict(&public_key, &message, &signature), "{:?} verifies", what(case));
            // Why each is refused, and that it is otherwise a real signature.
            let signed = bytes(case, "signed_message");
            let key = VerifyingKey::from_bytes(&public_key).expect("a point");
            if signed != message {
                // A valid signature, over another message (another label or another account).
                assert!(verify_strict(&public_key, &signed, &signature), "{:?}", what(case));
            } else if key.is_weak() {
                // Verification without the small-order check accepts it for this very message:
                // only strict verification (crypto-v2.md, "Notation") refuses it.
                assert!(key.verify(&message, &Signature::from_bytes(&signature)).is_ok(), "{:?}", what(case));
            } else {
                // S is not reduced modulo l; reduced, the signature verifies.
                assert!(at_least_ell(&signature[32..]), "{:?}", what(case));
                let mut reduced = signature;
                reduced[32..].copy_from_slice(&minus_ell(&signature[32..]));
                assert!(verify_strict(&public_key, &message, &reduced), "{:?}", what(case));
            }
        }
    }
}

/// Every vector through hush-crypto's public API: what an implementer's code is compared against
/// in hush itself.
mod through_the_api {
    use hush_crypto::{
        AccountId, AccountKey, AuthKey, ChainHash, DecryptError, DeviceId, DeviceNameKey, FORMAT_V2,
        FileChunk, FileId, FileKey, Head, HeadError, ItemId, KdfParams, KdfSalt, Kek, KeyRing, Keyset,
        KeysetContext, Manifest, ManifestDigest, ManifestPayload, OpenedManifest, SEALED_NAME_LEN, VaultKey,
        check_device_name, chunk_count, chunk_hash, chunk_len, delete_account_message, verify_signature,
    };

    use super::{Value, array, bytes, cases, int, int32, ring_keys, text, v1_vectors, vectors, what};

    fn context(case: &Value) -> KeysetContext {
        KeysetContext {
            account_id: AccountId(array(case, "account_id")),
            params: KdfParams { m_kib: int32(case, "m_kib"), t: int32(case, "t"), p: int32(case, "p") },
            salt: KdfSalt(array(case, "kdf_salt")),
            key_version: int32(case, "key_version"),
        }
    }

    /// A ring holding exactly `ring_keys`. `KeyRing` can be built from given keys only by parsing
    /// its layout, which is `u32le(n) || n × (u32le(version) || key)`.
    fn ring_of(case: &Value) -> KeyRing {
        let keys = ring_keys(case);
        let mut layout = u32::try_from(keys.len()).expect("small").to_le_bytes().to_vec();
        for (version, key) in &keys {
            layout.extend_from_slice(&version.to_le_bytes());
            layout.extend_from_slice(key);
        }
        KeyRing::decode(&layout).expect("a valid ring")
    }

    fn opened_keyset(case: &Value) -> KeyRing {
        Keyset(bytes(case, "blob"))
            .open(&Kek::from_bytes(array(case, "kek")), &context(case))
            .expect("it opens")
    }

    #[test]
    fn keysets_open_and_reseal() {
        let v = vectors();
        for case in cases(&v, &["keyset"]) {
            let ctx = context(case);
            assert_eq!(ctx.aad(FORMAT_V2), bytes(case, "aad"), "{:?}", what(case));
            let keyset = Keyset(bytes(case, "blob"));
            assert_eq!(keyset.format(), Ok(FORMAT_V2));
            assert_eq!(keyset.key_version(), Ok(ctx.key_version));
            let ring = opened_keyset(case);
            let keys = ring_keys(case);
            assert_eq!(ring.versions().collect::<Vec<_>>(), keys.iter().map(|k| k.0).collect::<Vec<_>>());
            for (version, key) in &keys {
                assert!(ring.holds(*version, &VaultKey::from_bytes(*key)), "{:?}: key {version}", what(case));
            }
            assert_eq!(ring.current_version(), ctx.key_version);
            assert_eq!(*ring.encode(), bytes(case, "ring"));
            let kek = Kek::from_bytes(array(case, "kek"));
            let resealed = Keyset::seal_with_nonce(&kek, &ring_of(case), &ctx, &array(case, "nonce"));
            assert_eq!(resealed.0, bytes(case, "blob"), "{:?}", what(case));
        }
    }

    fn writers_match(payload: &ManifestPayload, case: &Value) {
        let listed = cases(case, &["writers"]);
        assert_eq!(payload.writers.len(), listed.len(), "{:?}", what(case));
        for (w, json) in payload.writers.iter().zip(listed) {
            assert_eq!(w.device, DeviceId(array(json, "device_id")));
            assert_eq!(w.counter, int(json, "counter"));
            assert_eq!(w.digest, ManifestDigest(array(json, "digest")));
        }
    }

    #[test]
    fn manifests_open_reseal_and_extend_each_other() {
        let v = vectors();
        // The ring of three keys (the account after two password changes) opens every manifest,
        // whichever key version sealed it.
        let ring = opened_keyset(&cases(&v, &["keyset"])[1]);
        let mut opened = Vec::new();
        for case in cases(&v, &["manifest"]) {
            let account = AccountId(array(case, "account_id"));
            let key_version = int32(case, "key_version");
            let vk = VaultKey::from_bytes(array(case, "vault_key"));
            assert!(ring.holds(key_version, &vk), "{:?}: the ring's key {key_version}", what(case));
            let entries = super::cases(case, &["entries_item_id_and_blob_sha256"]).iter().map(|pair| {
                let id = hex::decode(pair[0].as_str().expect("hex")).expect("hex");
                let hash = hex::decode(pair[1].as_str().expect("hex")).expect("hex");
                (ItemId(id.try_into().expect("16")), <[u8; 32]>::try_from(hash).expect("32"))
            });
            let digest = ManifestDigest::from_blob_hashes(entries);
            assert_eq!(digest, ManifestDigest(array(case, "digest")), "{:?}", what(case));
            assert_eq!(Manifest::aad(FORMAT_V2, &account, key_version), bytes(case, "aad"));
            let (version, manifest) =
                Manifest::open(&ring, &account, &bytes(case, "blob")).expect("it opens");
            assert_eq!(version, key_version);
            let OpenedManifest::V2(payload) = &manifest else {
                panic!("{:?} opened as version 1", what(case))
            };
            assert_eq!(payload.counter, int(case, "counter"));
            assert_eq!(payload.digest, digest);
            assert_eq!(payload.prev, ChainHash(array(case, "prev")));
            writers_match(payload, case);
            assert_eq!(payload.encode(), bytes(case, "payload"));
            assert_eq!(ManifestPayload::decode(&bytes(case, "payload")).as_ref(), Ok(payload));
            assert_eq!(payload.chain(), ChainHash(array(case, "chain")));
            assert_eq!(payload.chain().fingerprint(), text(case, "fingerprint"));
            let resealed =
                Manifest::seal_with_nonce(&vk, &account, key_version, payload, &array(case, "nonce"));
            assert_eq!(resealed, bytes(case, "blob"), "{:?}", what(case));
            opened.push((key_version, manifest));
        }
        let [(kv1, first), (kv2, second), (kv3, upgrade)] = &opened[..] else { panic!("three manifests") };
        let epoch = ring.current_version();
        let author = |i: usize| DeviceId(array(&cases(&v, &["manifest"])[i], "author_device_id"));

        // A device that accepted the first push accepts the second, which is what the second
        // device computes on top of the first (rules 1 to 4 of "What a device keeps and checks").
        let head1 = Head::of(*kv1, first);
        assert_eq!(head1.check_successor(*kv2, epoch, second), Ok(()));
        assert_eq!(
            &OpenedManifest::V2(ManifestPayload::next(Some(&head1), author(1), 1, second.digest())),
            second
        );
        // And not the other way round: the check is not vacuous.
        let head2 = Head::of(*kv2, second);
        assert_eq!(
            head2.check_successor(*kv1, epoch, first),
            Err(HeadError::KeyVersionWentBack { held: 2, got: 1 })
        );
        assert_eq!(
            head2.check_successor(*kv2, epoch, first),
            Err(HeadError::CounterWentBack { held: 2, got: 1 })
        );

        // The upgrade: the version-1 manifest of crypto-v1-vectors.json opens as a version-1 head
        // whose chain is the chain_v1 vector, and the third manifest extends it.
        let v1 = v1_vectors();
        let v1_manifest = &v1["manifest"];
        let v1_ring = KeyRing::new(1, VaultKey::from_bytes(array(v1_manifest, "vault_key")));
        let (v1_version, v1_opened) = Manifest::open(
            &v1_ring,
            &AccountId(array(v1_manifest, "account_id")),
            &bytes(v1_manifest, "blob"),
        )
        .expect("the version-1 manifest opens");
        let legacy = Head::of(v1_version, &v1_opened);
        assert!(legacy.legacy);
        assert_eq!(legacy.chain, ChainHash(array(&cases(&v, &["chain_v1"])[0], "chain_v1")));
        assert_eq!(
            ChainHash::of_v1(int(v1_manifest, "counter"), &ManifestDigest(array(v1_manifest, "digest"))),
            legacy.chain
        );
        assert_eq!(legacy.check_successor(*kv3, epoch, upgrade), Ok(()));
        assert_eq!(
            &OpenedManifest::V2(ManifestPayload::next(Some(&legacy), author(2), 1, upgrade.digest())),
            upgrade
        );
        assert_eq!(
            legacy.check_successor(*kv2, epoch, second),
            Err(HeadError::CounterWentBack { held: 42, got: 2 })
        );
    }

    #[test]
    fn device_names_open_and_reseal() {
        let v = vectors();
        for case in cases(&v, &["device_name"]) {
            let key = DeviceNameKey::derive(
                &AccountId(array(case, "account_id")),
                &AccountKey::from_bytes(array(case, "account_key")),
            );
            let name = text(case, "name");
            assert_eq!(check_device_name(name), Ok(()));
            let sealed = bytes(case, "sealed");
            assert_eq!(sealed.len(), SEALED_NAME_LEN);
            assert_eq!(key.open(&sealed).as_deref(), Ok(name), "{:?}", what(case));
            assert_eq!(key.seal_with_nonce(name, &array(case, "nonce")), Ok(sealed), "{:?}", what(case));
        }
    }

    #[test]
    fn account_deletion_signs_and_verifies() {
        let v = vectors();
        let case = &cases(&v, &["delete_account"])[0];
        let message =
            delete_account_message(&AccountId(array(case, "account_id")), &array(case, "challenge"));
        assert_eq!(message, bytes(case, "message"));
        let key = AuthKey::from_seed(&array(case, "auth_seed"));
        assert_eq!(key.public_key(), array(case, "auth_public_key"));
        assert_eq!(key.sign(&message), array(case, "signature"));
        assert!(verify_signature(&key.public_key(), &message, &bytes(case, "signature")));
    }

    #[test]
    fn attachment_chunks_open_and_reseal() {
        let v = vectors();
        for case in cases(&v, &["attachment"]) {
            let account = AccountId(array(case, "account_id"));
            let file = FileId(array(case, "file_id"));
            let fk = FileKey::from_bytes(array(case, "file_key"));
            let size = int(case, "size");
            let n = chunk_count(size).expect("small");
            assert_eq!(u64::from(n), int(case, "chunk_count"));
            for chunk in cases(case, &["chunks"]) {
                let index = int32(chunk, "index");
                let last = index + 1 == n;
                let len = chunk_len(size, index).expect("in range");
                assert_eq!(FileChunk::aad(&account, &file, index, last), bytes(chunk, "aad"));
                let Some(whole) = chunk["sealed"].as_str() else { continue };
                let sealed = hex::decode(whole).expect("hex");
                assert_eq!(chunk_hash(&sealed), array(chunk, "sealed_sha256"));
                let plain = FileChunk::open(&fk, &account, &file, index, last, len, &sealed)
                    .unwrap_or_else(|_| panic!("{:?} chunk {index} does not open", what(case)));
                let resealed = FileChunk::seal_with_nonce(
                    &fk,
                    &account,
                    &file,
                    index,
                    last,
                    &plain,
                    &array(chunk, "nonce"),
                );
                assert_eq!(resealed, sealed, "{:?} chunk {index}", what(case));
            }
        }
    }

    #[test]
    fn negative_attachment_chunks_are_refused() {
        let v = vectors();
        for case in cases(&v, &["negative", "attachment"]) {
            let blob = bytes(case, "blob");
            let (index, n, size) = (int32(case, "index"), int32(case, "chunk_count"), int(case, "size"));
            let hash_ok = chunk_hash(&blob) == array(case, "item_chunk_hash");
            let opened = FileChunk::open(
                &FileKey::from_bytes(array(case, "file_key")),
                &AccountId(array(case, "account_id")),
                &FileId(array(case, "file_id")),
                index,
                index + 1 == n,
                chunk_len(size, index).expect("in range"),
                &blob,
            );
            // A "hash" case opens (the reader refuses it by its hash, before decrypting); every
            // other case is refused by the API itself.
            if text(case, "refused_at") == "hash" {
                assert!(!hash_ok && opened.is_ok(), "{:?}", what(case));
            } else {
                assert!(hash_ok, "{:?}", what(case));
                assert_eq!(opened.err(), Some(DecryptError), "{:?} was accepted", what(case));
            }
        }
    }

    #[test]
    fn negative_keysets_are_refused() {
        let v = vectors();
        for case in cases(&v, &["negative", "keyset"]) {
            let opened =
                Keyset(bytes(case, "blob")).open(&Kek::from_bytes(array(case, "kek")), &context(case));
            assert_eq!(opened.err(), Some(DecryptError), "{:?} was accepted", what(case));
        }
    }

    #[test]
    fn negative_manifests_are_refused() {
        let v = vectors();
        for case in cases(&v, &["negative", "manifest"]) {
            let opened =
                Manifest::open(&ring_of(case), &AccountId(array(case, "account_id")), &bytes(case, "blob"));
            assert_eq!(opened.err(), Some(DecryptError), "{:?} was accepted", what(case));
        }
    }

    #[test]
    fn negative_device_names_are_refused() {
        let v = vectors();
        for case in cases(&v, &["negative", "device_name"]) {
            let key = DeviceNameKey::derive(
                &AccountId(array(case, "account_id")),
                &AccountKey::from_bytes(array(case, "account_key")),
            );
            assert_eq!(
                key.open(&bytes(case, "blob")).err(),
                Some(DecryptError),
                "{:?} was accepted",
                what(case)
            );
            // A name the rules refuse is refused before sealing too.
            if let Some(name) = case["name"].as_str() {
                assert!(check_device_name(name).is_err(), "{:?}", what(case));
                assert!(key.seal_with_nonce(name, &[0; 24]).is_err(), "{:?}", what(case));
            }
        }
    }

    #[test]
    fn negative_deletion_signatures_are_refused() {
        let v = vectors();
        for case in cases(&v, &["negative", "delete_account"]) {
            let accepted = verify_signature(
                &array(case, "auth_public_key"),
                &bytes(case, "message"),
                &bytes(case, "signature"),
            );
            assert!(!accepted, "{:?} was accepted", what(case));
        }
    }
}
