//! Every known-answer vector of `docs/spec/crypto-v1-vectors.json`, run through the public API.
//!
//! Version 2 kept the key derivation, items, login message and setup code of version 1, and
//! still reads version-1 keysets and manifests (docs/spec/crypto-v2.md, "Upgrading from version
//! 1"), so every one of these vectors must keep passing. `vectors_v2.rs` checks the rest.

use hush_crypto::{
    AccountId, AccountKey, AuthKey, FloorPolicy, ItemBlob, ItemId, KdfParams, KdfSalt, Kek, Keyset,
    KeysetContext, Manifest, ManifestDigest, OpenedManifest, SetupCode, VaultKey, derive_keys, login_message,
    padme, rekey_message, verify_signature,
};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../docs/spec/crypto-v1-vectors.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("vectors parse")
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    hex(v).try_into().expect("length")
}

fn u32_of(v: &Value) -> u32 {
    u32::try_from(v.as_u64().expect("number")).expect("u32")
}

#[test]
fn kdf_vectors() {
    let v = vectors();
    let cases = v["kdf"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let password = String::from_utf8(hex(&case["password_utf8_hex"])).unwrap();
        let params =
            KdfParams { m_kib: u32_of(&case["m_kib"]), t: u32_of(&case["t"]), p: u32_of(&case["p"]) };
        // Two of the vectors use parameters below the floor to keep the suite fast;
        // the opt-in exists for exactly this.
        let keys = derive_keys(
            &password,
            &KdfSalt(arr(&case["kdf_salt"])),
            &params,
            &AccountId(arr(&case["account_id"])),
            &AccountKey::from_bytes(arr(&case["account_key"])),
            FloorPolicy::AllowInsecure,
        )
        .unwrap();
        assert_eq!(keys.kek.expose().as_slice(), hex(&case["kek"]), "kek for {case}");
        assert_eq!(keys.auth.public_key().as_slice(), hex(&case["auth_public_key"]));
        assert_eq!(AuthKey::from_seed(&arr(&case["auth_seed"])).public_key(), keys.auth.public_key());
    }
}

#[test]
fn nfkd_normalisation_vector() {
    // The second vector's password is "Pässwörd ﬁ Ⅷ" in composed form; its NFKD form
    // must derive the same keys, so that the same password typed on another system
    // unlocks the vault.
    let v = vectors();
    let case = &v["kdf"][1];
    let composed = String::from_utf8(hex(&case["password_utf8_hex"])).unwrap();
    let decomposed = String::from_utf8(hex(&case["password_nfkd_utf8_hex"])).unwrap();
    assert_ne!(composed, decomposed);
    let params = KdfParams { m_kib: u32_of(&case["m_kib"]), t: u32_of(&case["t"]), p: u32_of(&case["p"]) };
    let derive = |pw: &str| {
        derive_keys(
            pw,
            &KdfSalt(arr(&case["kdf_salt"])),
            &params,
            &AccountId(arr(&case["account_id"])),
            &AccountKey::from_bytes(arr(&case["account_key"])),
            FloorPolicy::AllowInsecure,
        )
        .unwrap()
        .kek
    };
    assert!(derive(&composed) == derive(&decomposed));
}

#[test]
fn padme_vectors() {
    let v = vectors();
    for case in v["padme"].as_array().unwrap() {
        let n = case["len"].as_u64().unwrap() as usize;
        assert_eq!(padme(n) as u64, case["padme"].as_u64().unwrap(), "padme({n})");
    }
}

fn keyset_ctx(case: &Value) -> KeysetContext {
    KeysetContext {
        account_id: AccountId(arr(&case["account_id"])),
        params: KdfParams { m_kib: u32_of(&case["m_kib"]), t: u32_of(&case["t"]), p: u32_of(&case["p"]) },
        salt: KdfSalt(arr(&case["kdf_salt"])),
        key_version: u32_of(&case["key_version"]),
    }
}

#[test]
fn keyset_vector() {
    let v = vectors();
    let case = &v["keyset"];
    let ctx = keyset_ctx(case);
    assert_eq!(ctx.aad(hush_crypto::FORMAT_V1), hex(&case["aad"]));
    let kek = Kek::from_bytes(arr(&case["kek"]));
    let vk = VaultKey::from_bytes(arr(&case["vault_key"]));
    let sealed = Keyset::seal_v1_with_nonce(&kek, &vk, &ctx, &arr(&case["nonce"]));
    assert_eq!(sealed.0, hex(&case["blob"]));
    // A version-1 keyset opens as a ring of one key (crypto-v2.md, "Keyset").
    let opened = Keyset(hex(&case["blob"])).open(&kek, &ctx).unwrap();
    assert!(opened.holds(1, &vk));
    assert_eq!(opened.versions().collect::<Vec<_>>(), [1]);
    assert_eq!(sealed.key_version(), Ok(1));
}

#[test]
fn item_vectors() {
    let v = vectors();
    for case in v["item"].as_array().unwrap() {
        let vk = VaultKey::from_bytes(arr(&case["vault_key"]));
        let account = AccountId(arr(&case["account_id"]));
        let item = ItemId(arr(&case["item_id"]));
        let kv = u32_of(&case["key_version"]);
        let plain = hex(&case["plaintext"]);
        assert_eq!(ItemBlob::aad(&account, &item, kv), hex(&case["aad"]));
        assert_eq!(padme(plain.len() + 1) as u64, case["padded_len"].as_u64().unwrap());
        let blob = ItemBlob::seal_with_nonce(&vk, &account, &item, kv, &plain, &arr(&case["nonce"]));
        assert_eq!(blob, hex(&case["blob"]), "item {item}");
        // 1 version byte + 4 key version + 24 nonce + padded + 16 tag.
        assert_eq!(blob.len() as u64, 45 + case["padded_len"].as_u64().unwrap());
        let opened = ItemBlob::open(&vk, &account, &item, kv, &blob).unwrap();
        assert_eq!(opened.as_slice(), plain.as_slice());
    }
}

#[test]
fn manifest_vector() {
    let v = vectors();
    let case = &v["manifest"];
    let entries = case["entries_item_id_and_blob_sha256"].as_array().unwrap();
    // Feed the entries in reverse to prove the digest sorts by id itself.
    let digest = ManifestDigest::from_blob_hashes(
        entries.iter().rev().map(|e| (ItemId(arr(&e[0])), arr::<32>(&e[1]))),
    );
    assert_eq!(digest.0.as_slice(), hex(&case["digest"]));
    // The entries are the SHA-256 of the item vectors' blobs.
    let items = v["item"].as_array().unwrap();
    let from_blobs_owned: Vec<(ItemId, Vec<u8>)> =
        items.iter().map(|c| (ItemId(arr(&c["item_id"])), hex(&c["blob"]))).collect();
    let from_blobs = ManifestDigest::from_blobs(from_blobs_owned.iter().map(|(id, b)| (*id, b.as_slice())));
    assert_eq!(from_blobs, digest);

    let vk = VaultKey::from_bytes(arr(&case["vault_key"]));
    let account = AccountId(arr(&case["account_id"]));
    let kv = u32_of(&case["key_version"]);
    let counter = case["counter"].as_u64().unwrap();
    let blob = Manifest::seal_v1_with_nonce(&vk, &account, kv, counter, &digest, &arr(&case["nonce"]));
    assert_eq!(blob, hex(&case["blob"]));
    let ring = hush_crypto::KeyRing::new(kv, vk);
    assert_eq!(Manifest::open(&ring, &account, &blob).unwrap(), (kv, OpenedManifest::V1 { counter, digest }));
}

#[test]
fn login_vector() {
    let v = vectors();
    let case = &v["login"];
    let key = AuthKey::from_seed(&arr(&case["auth_seed"]));
    let msg = login_message(&AccountId(arr(&case["account_id"])), &arr(&case["challenge"]));
    assert_eq!(msg, hex(&case["message"]));
    let sig = key.sign(&msg);
    assert_eq!(sig.as_slice(), hex(&case["signature"]));
    assert!(verify_signature(&key.public_key(), &msg, &sig));
}

/// The version-1 vectors have no rekey case, so the layout of `rekey_message` (`PUT /v2/keyset`) is
/// spelled out here: a change to the shared definition in `hush-proto` must fail this test.
#[test]
fn rekey_message_layout() {
    let v = vectors();
    let account: [u8; 16] = arr(&v["login"]["account_id"]);
    let msg = rekey_message(&AccountId(account), &[7; 32], b"keyset");
    assert_eq!(msg, [b"hush/v1/rekey".as_slice(), &account, &[7; 32], b"keyset"].concat());
}

#[test]
fn setup_code_vector() {
    let v = vectors();
    let case = &v["setup_code"];
    let id = AccountId(arr(&case["account_id"]));
    let ak = AccountKey::from_bytes(arr(&case["account_key"]));
    let code = case["code"].as_str().unwrap();
    assert_eq!(SetupCode::encode(&id, &ak).as_str(), code);
    let (pid, pak) = SetupCode::parse(code).unwrap();
    assert_eq!(pid, id);
    assert!(pak == ak);
    // Lower case and no dashes are accepted (docs/spec/crypto-v2.md, "Setup code").
    let relaxed = code.replace('-', "").to_lowercase();
    assert_eq!(SetupCode::parse(&relaxed).unwrap().0, id);
}
