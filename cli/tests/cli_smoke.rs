//! Quick checks of the `hush` binary that need no vault. (Its presence also makes
//! `cargo test` build the binary for the end-to-end tests in `tests/`.)

use std::process::Command;

#[test]
fn version_and_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_hush")).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("hush "));
}

#[test]
fn unknown_command_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_hush")).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
