//! The server cannot decrypt anything, by construction (docs/architecture.md): its dependency
//! tree holds no hush crate that has keys, and none of the crates the vault is sealed or its
//! keys derived with (XChaCha20-Poly1305, Argon2id, HKDF). TLS brings its own ciphers (ring),
//! which only ever see the transport. This test reads the tree from cargo itself, so a
//! dependency added anywhere below the server is caught.
//!
//! Two exceptions, both brought by sqlx's PostgreSQL driver and pinned as narrowly as they can
//! be. It depends on `hkdf` unconditionally, to turn advisory-lock names into lock ids
//! (sqlx-postgres's `advisory_lock.rs`; hush-server does not use that API); and on `rand`, whose
//! thread RNG (for SCRAM nonces) is built on the `chacha20` crate with only its `rng` feature:
//! the ChaCha block function as a random number generator, without the `cipher` and `xchacha`
//! features that make it a stream cipher. Neither opens anything: a vault key needs Argon2id of
//! the master password first and XChaCha20-Poly1305 to unwrap, and both stay forbidden. The test
//! fails if anything else brings `hkdf`, `rand` or `chacha20`, or `chacha20` as a cipher.

use std::process::Command;

#[test]
fn the_server_links_nothing_that_decrypts() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "hush-server", "-e", "normal", "--prefix", "none", "--offline", "--locked"])
        .args(["--format", "{p} [{f}]"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).expect("UTF-8");
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(crates.contains(&"hush-core") && crates.contains(&"hush-proto"), "{tree}");
    for forbidden in ["hush-crypto", "hush-vault", "hush-sync", "chacha20poly1305", "aes-gcm", "argon2"] {
        assert!(!crates.contains(&forbidden), "the server depends on {forbidden}:\n{tree}");
    }
    if crates.contains(&"hkdf") {
        assert_eq!(dependents_of("hkdf"), ["sqlx-postgres"], "only sqlx's PostgreSQL driver may bring hkdf");
    }
    if crates.contains(&"chacha20") {
        assert_eq!(dependents_of("chacha20"), ["rand"], "only rand's RNG may bring chacha20");
        assert_eq!(dependents_of("rand"), ["sqlx-postgres"], "only sqlx's PostgreSQL driver may bring rand");
        for line in tree.lines().filter(|line| line.starts_with("chacha20 ")) {
            assert!(line.ends_with("[rng]"), "chacha20 must be an RNG only, never a cipher: {line}");
        }
    }
}

/// The crates of hush-server's normal dependency tree that depend directly on `name`.
fn dependents_of(name: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "hush-server", "-e", "normal", "--prefix", "depth", "--offline", "--locked"])
        .args(["--invert", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree --invert");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).expect("UTF-8");
    // Depth 0 is `name` itself; depth 1 are the crates that depend on it directly.
    let mut dependents: Vec<String> = tree
        .lines()
        .filter_map(|line| line.strip_prefix('1'))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    dependents.sort();
    dependents.dedup();
    dependents
}
