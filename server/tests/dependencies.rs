//! The server cannot decrypt anything, by construction (docs/architecture.md): its dependency
//! tree holds no hush crate that has keys, and none of the crates the vault is sealed or its
//! keys derived with (XChaCha20-Poly1305, Argon2id, HKDF). TLS brings its own ciphers (ring),
//! which only ever see the transport. This test reads the tree from cargo itself, so a
//! dependency added anywhere below the server is caught.
//!
//! One exception, pinned as narrowly as it can be: sqlx's PostgreSQL driver depends on `hkdf`
//! unconditionally, to turn advisory-lock names into lock ids (sqlx-postgres's
//! `advisory_lock.rs`; hush-server does not use that API). HKDF alone opens nothing: a vault key
//! needs Argon2id of the master password first and XChaCha20-Poly1305 to unwrap, and both stay
//! forbidden. The test fails if anything but `sqlx-postgres` depends on `hkdf`.

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
    for forbidden in
        ["hush-crypto", "hush-vault", "hush-sync", "chacha20poly1305", "chacha20", "aes-gcm", "argon2"]
    {
        assert!(!crates.contains(&forbidden), "the server depends on {forbidden}:\n{tree}");
    }
    if crates.contains(&"hkdf") {
        assert_eq!(dependents_of("hkdf"), ["sqlx-postgres"], "only sqlx's PostgreSQL driver may bring hkdf");
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
