//! docs/dependencies.md's claim about cryptography crates, checked against cargo's own view of
//! the dependency tree: `hush`, the binary that holds keys, links exactly one version of each
//! RustCrypto crate (one generation), so no key ever passes through an older implementation.
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

#[test]
fn the_client_links_one_rustcrypto_generation() {
    let tree = versions("hush-cli");
    for name in [
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
    ] {
        let found = tree.get(name).unwrap_or_else(|| panic!("hush does not link {name}: update this list"));
        assert_eq!(found.len(), 1, "hush links {name} in several versions: {found:?}");
    }
}
