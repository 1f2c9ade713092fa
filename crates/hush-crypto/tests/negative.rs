//! Negative cases: every way a blob can be tampered with must fail, and fail with the
//! one opaque `DecryptError` (docs/spec/crypto-v2.md, "Goals" 2).

use hush_crypto::{
    AccountId, AccountKey, DecryptError, DeviceId, DeviceNameKey, ItemBlob, ItemId, KdfParams, KdfSalt, Kek,
    KeyRing, Keyset, KeysetContext, Manifest, ManifestDigest, ManifestPayload, SetupCode, SetupCodeError,
    VaultKey,
};

const KV: u32 = 1;

fn fixtures() -> (VaultKey, AccountId, ItemId) {
    (VaultKey::from_bytes([7; 32]), AccountId([1; 16]), ItemId([2; 16]))
}

fn ring() -> KeyRing {
    KeyRing::new(KV, VaultKey::from_bytes([7; 32]))
}

fn payload(counter: u64) -> ManifestPayload {
    // A history of `counter` pushes by one device.
    let mut p = ManifestPayload::next(None, DeviceId([1; 16]), 1, ManifestDigest([3; 32]));
    for n in 1..counter {
        let head = hush_crypto::Head::of_push(KV, &p);
        p = ManifestPayload::next(Some(&head), DeviceId([1; 16]), n + 1, ManifestDigest([3; 32]));
    }
    p
}

/// Flips every bit of `blob`, one at a time, and checks that `open` refuses each.
fn every_bit_flip_fails(blob: &[u8], open: impl Fn(&[u8]) -> Result<(), DecryptError>) {
    assert_eq!(open(blob), Ok(()), "the untampered blob must open");
    for byte in 0..blob.len() {
        for bit in 0..8 {
            let mut t = blob.to_vec();
            t[byte] ^= 1 << bit;
            assert_eq!(open(&t), Err(DecryptError), "flip of bit {bit} in byte {byte} went unnoticed");
        }
    }
}

fn every_truncation_fails(blob: &[u8], open: impl Fn(&[u8]) -> Result<(), DecryptError>) {
    for len in 0..blob.len() {
        assert_eq!(open(&blob[..len]), Err(DecryptError), "truncation to {len} bytes went unnoticed");
    }
    let mut longer = blob.to_vec();
    longer.push(0);
    assert_eq!(open(&longer), Err(DecryptError), "an appended byte went unnoticed");
}

#[test]
fn item_blob_bit_flips_and_truncations() {
    let (vk, acc, id) = fixtures();
    let blob = ItemBlob::seal(&vk, &acc, &id, KV, b"secret item");
    let open = |b: &[u8]| ItemBlob::open(&vk, &acc, &id, KV, b).map(|_| ());
    every_bit_flip_fails(&blob, open);
    every_truncation_fails(&blob, open);
}

#[test]
fn item_blob_moved_to_another_id_or_account_fails() {
    let (vk, acc, id) = fixtures();
    let blob = ItemBlob::seal(&vk, &acc, &id, KV, b"secret item");
    assert_eq!(ItemBlob::open(&vk, &acc, &ItemId([3; 16]), KV, &blob).err(), Some(DecryptError));
    assert_eq!(ItemBlob::open(&vk, &AccountId([9; 16]), &id, KV, &blob).err(), Some(DecryptError));
}

#[test]
fn item_blob_wrong_key_version_or_key_fails() {
    let (vk, acc, id) = fixtures();
    let blob = ItemBlob::seal(&vk, &acc, &id, KV, b"secret item");
    assert_eq!(ItemBlob::open(&vk, &acc, &id, KV + 1, &blob).err(), Some(DecryptError));
    // A blob re-labelled with another key version in its header fails too: the key
    // version is also bound in the AAD.
    let mut relabelled = blob.clone();
    relabelled[1] = 2;
    assert_eq!(ItemBlob::open(&vk, &acc, &id, 2, &relabelled).err(), Some(DecryptError));
    let other = VaultKey::from_bytes([8; 32]);
    assert_eq!(ItemBlob::open(&other, &acc, &id, KV, &blob).err(), Some(DecryptError));
}

#[test]
fn item_blob_lengths_are_padme_buckets_and_nonces_fresh() {
    let (vk, acc, id) = fixtures();
    let a = ItemBlob::seal(&vk, &acc, &id, KV, b"x");
    let b = ItemBlob::seal(&vk, &acc, &id, KV, &[b'y'; 200]);
    assert_eq!(a.len(), b.len(), "short items all pad to the same 256-byte bucket");
    let c = ItemBlob::seal(&vk, &acc, &id, KV, b"x");
    assert_ne!(a, c, "every seal draws a fresh nonce");
}

fn ctx() -> KeysetContext {
    KeysetContext {
        account_id: AccountId([1; 16]),
        params: KdfParams::DEFAULT,
        salt: KdfSalt([5; 16]),
        key_version: KV,
    }
}

#[test]
fn keyset_bit_flips_and_truncations() {
    let kek = Kek::from_bytes([4; 32]);
    let ks = Keyset::seal(&kek, &ring().rotated(), &KeysetContext { key_version: KV + 1, ..ctx() });
    let open =
        |b: &[u8]| Keyset(b.to_vec()).open(&kek, &KeysetContext { key_version: KV + 1, ..ctx() }).map(|_| ());
    every_bit_flip_fails(&ks.0, open);
    every_truncation_fails(&ks.0, open);
    let ks = Keyset::seal(&kek, &ring(), &ctx());
    let open = |b: &[u8]| Keyset(b.to_vec()).open(&kek, &ctx()).map(|_| ());
    every_bit_flip_fails(&ks.0, open);
    every_truncation_fails(&ks.0, open);
}

#[test]
fn keyset_sealed_for_other_kdf_parameters_fails() {
    let kek = Kek::from_bytes([4; 32]);
    let ks = Keyset::seal(&kek, &ring(), &ctx());
    let variants = [
        KeysetContext { params: KdfParams { m_kib: 65_536, ..KdfParams::DEFAULT }, ..ctx() },
        KeysetContext { params: KdfParams { t: 4, ..KdfParams::DEFAULT }, ..ctx() },
        KeysetContext { params: KdfParams { p: 1, ..KdfParams::DEFAULT }, ..ctx() },
        KeysetContext { salt: KdfSalt([6; 16]), ..ctx() },
        KeysetContext { account_id: AccountId([2; 16]), ..ctx() },
        KeysetContext { key_version: 2, ..ctx() },
    ];
    for other in variants {
        assert_eq!(ks.open(&kek, &other).err(), Some(DecryptError), "{other:?}");
    }
    assert_eq!(ks.open(&Kek::from_bytes([3; 32]), &ctx()).err(), Some(DecryptError));
}

#[test]
fn manifest_bit_flips_truncations_and_context() {
    let (vk, acc, _) = fixtures();
    let blob = Manifest::seal(&vk, &acc, KV, &payload(9));
    let open = |b: &[u8]| Manifest::open(&ring(), &acc, b).map(|_| ());
    every_bit_flip_fails(&blob, open);
    every_truncation_fails(&blob, open);
    assert_eq!(Manifest::open(&ring(), &AccountId([9; 16]), &blob).err(), Some(DecryptError));
    // Sealed under the key of version 1 but labelled 2: the ring's key 2 does not open it.
    let mut relabelled = blob.clone();
    relabelled[1] = 2;
    assert_eq!(Manifest::open(&ring().rotated(), &acc, &relabelled).err(), Some(DecryptError));
}

#[test]
fn an_item_blob_is_not_a_manifest_and_vice_versa() {
    // Domain separation by AAD label: the same key seals both.
    let (vk, acc, id) = fixtures();
    let manifest = Manifest::seal(&vk, &acc, KV, &payload(1));
    assert_eq!(ItemBlob::open(&vk, &acc, &id, KV, &manifest).err(), Some(DecryptError));
    let item = ItemBlob::seal(&vk, &acc, &id, KV, &[0; 40]);
    assert_eq!(Manifest::open(&ring(), &acc, &item).err(), Some(DecryptError));
    // A version-1 manifest's plaintext inside an item box, and an item in a v1 manifest box.
    let v1 = Manifest::seal_v1_with_nonce(&vk, &acc, KV, 1, &ManifestDigest::default(), &[0; 24]);
    assert_eq!(ItemBlob::open(&vk, &acc, &id, KV, &v1).err(), Some(DecryptError));
}

#[test]
fn sealed_device_names_refuse_every_change() {
    let (_, acc, _) = fixtures();
    let key = DeviceNameKey::derive(&acc, &AccountKey::from_bytes([8; 16]));
    let sealed = key.seal("laptop").unwrap();
    let open = |b: &[u8]| key.open(b).map(|_| ());
    every_bit_flip_fails(&sealed, open);
    every_truncation_fails(&sealed, open);
}

#[test]
fn manifest_digest_covers_ids_and_blobs() {
    let a = ManifestDigest::from_blobs([
        (ItemId([1; 16]), b"one".as_slice()),
        (ItemId([2; 16]), b"two".as_slice()),
    ]);
    let swapped = ManifestDigest::from_blobs([
        (ItemId([1; 16]), b"two".as_slice()),
        (ItemId([2; 16]), b"one".as_slice()),
    ]);
    let dropped = ManifestDigest::from_blobs([(ItemId([1; 16]), b"one".as_slice())]);
    let altered = ManifestDigest::from_blobs([
        (ItemId([1; 16]), b"one".as_slice()),
        (ItemId([2; 16]), b"tw0".as_slice()),
    ]);
    assert_ne!(a, swapped);
    assert_ne!(a, dropped);
    assert_ne!(a, altered);
}

#[test]
fn setup_code_rejects_bad_input() {
    let id = AccountId([0xab; 16]);
    let code = SetupCode::encode(&id, &AccountKey::from_bytes([0xcd; 16]));
    // A typo in any character position is caught (by the checksum, or by the
    // alphabet when the typo is not a Base32 letter).
    let body_start = "HUSH1-".len();
    for (i, c) in code.char_indices().skip(body_start) {
        if c == '-' {
            continue;
        }
        let typo = if c == 'A' { 'B' } else { 'A' };
        let mut bad = code.to_string();
        bad.replace_range(i..i + 1, &typo.to_string());
        let err = SetupCode::parse(&bad).err();
        // The last character carries only 2 meaningful bits of 5; a typo there may
        // only change the zero padding bits, which strict decoding also refuses.
        assert!(
            matches!(err, Some(SetupCodeError::BadChecksum | SetupCodeError::BadLength)),
            "typo at {i}: {err:?}"
        );
    }
    assert_eq!(SetupCode::parse("HUSH2-AAAAA").err(), Some(SetupCodeError::BadPrefix));
    assert_eq!(SetupCode::parse("").err(), Some(SetupCodeError::BadPrefix));
    assert_eq!(SetupCode::parse(&code[..code.len() - 5]).err(), Some(SetupCodeError::BadLength));
    assert_eq!(SetupCode::parse(&format!("{}AAAAA", &*code)).err(), Some(SetupCodeError::BadLength));
    assert_eq!(SetupCode::parse("HUSH1-11111").err(), Some(SetupCodeError::BadCharacters));
    assert!(SetupCode::parse(&format!("  {}\n", code.to_lowercase())).is_ok());
}
