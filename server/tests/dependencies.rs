//! The server cannot decrypt anything, by construction (docs/architecture.md): its dependency
//! tree holds no hush crate that has keys, and none of the crates the vault is sealed or its
//! keys derived with (XChaCha20-Poly1305, Argon2id, HKDF). TLS brings its own ciphers (ring),
//! which only ever see the transport. This test reads the tree from cargo itself, so a
//! dependency added anywhere below the server is caught.

use std::process::Command;

#[test]
fn the_server_links_nothing_that_decrypts() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "hush-server", "-e", "normal", "--prefix", "none", "--offline", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).expect("UTF-8");
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(crates.contains(&"hush-core") && crates.contains(&"hush-proto"), "{tree}");
    for forbidden in [
        "hush-crypto",
        "hush-vault",
        "hush-sync",
        "chacha20poly1305",
        "chacha20",
        "aes-gcm",
        "argon2",
        "hkdf",
    ] {
        assert!(!crates.contains(&forbidden), "the server depends on {forbidden}:\n{tree}");
    }
}
