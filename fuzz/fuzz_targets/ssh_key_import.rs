//! OpenSSH private key files that `hush ssh import` reads (crates/hush-ssh): any file the user
//! names, encrypted with a passphrase or not, including keys whose ECDSA scalar OpenSSH wrote
//! in its short form (the widening path of `hush_ssh::Import::parse`).
//!
//! An encrypted key is decrypted with the fixed passphrase of the test keys
//! (`hush_fuzz::SSH_PASSPHRASE`), so that the seeds made from them reach the checks after
//! decryption; only when its bcrypt rounds are at most OpenSSH's default, because the cost is
//! the file's to choose and a run would otherwise spend its time in the KDF.
//!
//! Properties: parsing and decrypting never panic on any bytes; a key that is accepted (whatever
//! its algorithm) is stored as OpenSSH text that reads back, with the same checks, to the same
//! public key, fingerprint and comment, and whose public half the agent's listing
//! (`stored_public_key`) reads the same.
#![no_main]

use hush_ssh::ssh_key::{Kdf, PrivateKey};
use hush_ssh::{Import, SshKey, stored_public_key};
use libfuzzer_sys::fuzz_target;

/// OpenSSH's default bcrypt rounds (`ssh-keygen -a`).
const MAX_ROUNDS: u32 = 16;

fn check_stored(key: &SshKey) {
    let text = key.to_openssh();
    let again = SshKey::from_stored(&text).expect("a stored key reads back");
    assert!(again.public_key() == key.public_key(), "a key changed through its stored text");
    assert_eq!(again.fingerprint(), key.fingerprint());
    assert_eq!(again.comment(), key.comment());
    assert_eq!(again.bits(), key.bits());
    assert_eq!(again.algorithm(), key.algorithm());
    assert_eq!(again.public_line(), key.public_line());
    let listed = stored_public_key(&text).expect("the agent lists a stored key");
    assert!(listed == *key.public_key(), "the agent lists another public key");
}

fn cheap_kdf(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else { return false };
    match PrivateKey::from_openssh(text.trim()) {
        Ok(key) => match key.kdf() {
            Kdf::Bcrypt { rounds, .. } => *rounds <= MAX_ROUNDS,
            _ => true,
        },
        // `Import::parse` read it, so only its short-scalar path did, which takes no
        // encrypted key.
        Err(_) => true,
    }
}

fuzz_target!(|data: &[u8]| {
    match Import::parse(data) {
        Err(err) => assert!(!err.to_string().is_empty()),
        Ok(Import::Ready(key)) => check_stored(&key),
        Ok(Import::Encrypted(encrypted)) => {
            if !cheap_kdf(data) {
                return;
            }
            match encrypted.decrypt(hush_fuzz::SSH_PASSPHRASE) {
                Ok(key) => check_stored(&key),
                Err(err) => assert!(!err.to_string().is_empty()),
            }
        }
    }
});
