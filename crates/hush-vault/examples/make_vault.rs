//! Bench helper: writes a hush profile with N realistic items, fast, the same way
//! `hush init` + N × `hush add` would (vault.hush and account.key, 0600 in a 0700
//! folder), for whole-process measurements (`bench/local.sh`, docs/benchmarks.md).
//!
//! ```sh
//! cargo run --release -p hush-vault --example make_vault -- DIR N [--kdf cheap|default] [--password-file F]
//! ```
//! `--kdf cheap` (the default) is what `hush init --insecure-kdf --kdf-memory-mib 8
//! --kdf-iterations 1 --kdf-parallelism 1` writes; `--kdf default` uses hush's real
//! parameters (Argon2id 256 MiB, t=3, p=4). The master password is the first line of
//! `--password-file`, else `correct horse battery staple`. Prints the name of one item
//! to look up (`twitter-004217` when N > 4217).

use std::path::PathBuf;
use std::process::ExitCode;

use hush_crypto::{FloorPolicy, KdfParams, SetupCode};
use hush_vault::{Profile, durable};
use hush_vault::{Vault, VaultError};

#[path = "../benches/common/mod.rs"]
mod common;

const DEFAULT_PASSWORD: &str = "correct horse battery staple";
const USAGE: &str = "usage: make_vault DIR N [--kdf cheap|default] [--password-file F]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("make_vault: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut n, mut kdf, mut password_file) = (None, None, "cheap".to_owned(), None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--kdf" => kdf = args.next().ok_or(USAGE)?,
            "--password-file" => password_file = Some(PathBuf::from(args.next().ok_or(USAGE)?)),
            _ if dir.is_none() => dir = Some(PathBuf::from(a)),
            _ if n.is_none() => n = Some(a.parse::<usize>().map_err(|e| format!("N: {e}"))?),
            _ => return Err(USAGE.into()),
        }
    }
    let (Some(dir), Some(n)) = (dir, n) else { return Err(USAGE.into()) };
    let (params, policy) = match kdf.as_str() {
        "cheap" => (KdfParams { m_kib: 8 * 1024, t: 1, p: 1 }, FloorPolicy::AllowInsecure),
        "default" => (KdfParams::DEFAULT, FloorPolicy::Enforce),
        other => return Err(format!("--kdf {other}: use cheap or default")),
    };
    let password = match password_file {
        Some(f) => std::fs::read_to_string(&f)
            .map_err(|e| format!("{}: {e}", f.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        None => DEFAULT_PASSWORD.to_owned(),
    };

    let paths = Profile::new(dir);
    let err = |e: VaultError| e.to_string();
    if paths.vault().exists() {
        return Err(err(VaultError::AlreadyExists(paths.vault())));
    }
    paths.ensure_dir().map_err(err)?;
    let (mut vault, account_key) = Vault::create(&password, params, policy).map_err(err)?;
    let now = hush_vault::now();
    for i in 0..n {
        vault.add(common::item(i, now));
    }
    // As `hush init`: the account key first, then the vault.
    let code = SetupCode::encode(&vault.account_id(), &account_key);
    durable::write_atomic(&paths.account_key(), format!("{}\n", *code).as_bytes(), None).map_err(err)?;
    let bytes = vault.to_bytes();
    durable::write_atomic(&paths.vault(), &bytes, Some(&paths.backup())).map_err(err)?;
    eprintln!("wrote {} items ({} bytes) to {}", n, bytes.len(), paths.vault().display());
    println!("{}", common::name(if n > 4217 { 4217 } else { n / 2 }));
    Ok(())
}
