//! docs/dependencies.md's claim about cryptography crates, checked against cargo's own view of
//! the dependency tree: `hush`, the binary that holds keys, links exactly one version of each
//! RustCrypto crate (one generation) outside `hush-ssh`, so no vault key ever passes through an
//! older implementation; `hush-ssh` (ssh-key 0.6) brings the previous generation for SSH keys.
//! The server and the tests link sqlx, which brings the previous generation of SHA-2 for its
//! own checksums; that is the server's (which holds no key: server/tests/dependencies.rs) and
//! is listed, with why it is accepted, in deny.toml.

use std::collections::BTreeMap;
use std::process::Command;

/// Every crate name in `package`'s normal dependency tree, with the versions it appears in.
fn versions(package: &str) -> BTreeMap<String, Vec<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none", "--offline", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).expect("UTF-8").lines() {
        let mut words = line.split_whitespace();
        if let (Some(name), Some(version)) = (words.next(), words.next()) {
            let versions = found.entry(name.to_owned()).or_default();
            if !versions.iter().any(|v| v == version) {
                versions.push(version.to_owned());
            }
        }
    }
    found
}

/// The RustCrypto crates whose versions must agree.
const RUSTCRYPTO: [&str; 23] = [
    "aead",
    "argon2",
    "blake2",
    "block-buffer",
    "chacha20",
    "chacha20poly1305",
    "cipher",
    "cpufeatures",
    "crypto-common",
    "curve25519-dalek",
    "digest",
    "ed25519-dalek",
    "hkdf",
    "hmac",
    "poly1305",
    "rand",
    "rand_core",
    "sha1",
    "sha2",
    "signature",
    "subtle",
    "universal-hash",
    "zeroize",
];

/// Every crate that handles the vault's keys or items links one generation: the KDF, the
/// AEAD, the key ring, the sync engine and what they are built on. (`hush` as a whole also
/// links `hush-ssh`, whose ssh-key 0.6 brings the previous generation for SSH keys only:
/// [`only_the_ssh_keys_bring_an_older_generation_into_hush`].)
#[test]
fn the_vault_links_one_rustcrypto_generation() {
    for package in ["hush-core", "hush-crypto", "hush-vault", "hush-sync"] {
        let tree = versions(package);
        for name in RUSTCRYPTO {
            if let Some(found) = tree.get(name) {
                assert_eq!(found.len(), 1, "{package} links {name} in several versions: {found:?}");
            }
        }
        for name in ["argon2", "chacha20poly1305", "sha2", "ed25519-dalek"] {
            assert!(tree.contains_key(name) || package != "hush-crypto", "{package} does not link {name}");
        }
    }
}

/// In `hush`, a RustCrypto crate in two versions is there only because of the SSH key crates:
/// the tree of `hush` without them links one version of each (docs/dependencies.md).
#[test]
fn only_the_ssh_keys_bring_an_older_generation_into_hush() {
    let all = versions("hush-cli");
    let mut without_ssh = BTreeMap::<String, Vec<String>>::new();
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "hush-cli", "-e", "normal", "--prefix", "none", "--offline", "--locked"])
        // The SSH key crates: hush-ssh, the agent protocol, and the `signature` traits of their
        // generation that `hush ssh-agent` verifies a session binding with.
        .args(["--prune", "hush-ssh", "--prune", "ssh-agent-lib", "--prune", "signature@2.2.0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    for line in String::from_utf8(out.stdout).expect("UTF-8").lines() {
        let mut words = line.split_whitespace();
        if let (Some(name), Some(version)) = (words.next(), words.next()) {
            let versions = without_ssh.entry(name.to_owned()).or_default();
            if !versions.iter().any(|v| v == version) {
                versions.push(version.to_owned());
            }
        }
    }
    for name in RUSTCRYPTO {
        let found = all.get(name).unwrap_or_else(|| panic!("hush does not link {name}: update the list"));
        let kept = without_ssh.get(name).map_or(0, Vec::len);
        assert!(kept <= 1, "hush links {name} in several versions outside hush-ssh: {found:?}");
    }
}
