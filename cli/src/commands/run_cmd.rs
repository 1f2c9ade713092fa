//! `hush run [--env-file FILE]... -- COMMAND ARGS...`: the command, with every secret reference
//! in its environment replaced by its value (docs/secret-references.md, "hush run").
//!
//! Values reach the command only through its environment, never its arguments or a file. hush
//! then *becomes* the command (`execve`): the command's exit status and the signals sent to it
//! are its own, with no hush process in between, and hush's memory (the vault key, decrypted
//! items) is gone with the old program image.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use zeroize::Zeroizing;

use crate::cli::RunArgs;
use crate::commands::resolve::Resolver;
use crate::context::Ctx;
use crate::secret_ref::{self, SCHEME, SecretRef};

/// Runs `hush run`; returns only if the command could not be started.
pub(super) fn run(ctx: &Ctx, args: &RunArgs) -> Result<()> {
    let Some((program, arguments)) = args.command.split_first() else {
        bail!("say which command to run: hush run -- COMMAND ARGS...");
    };
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    for file in &args.env_files {
        for (key, value) in read_env_file(file)? {
            set(&mut env, key.into(), value.into());
        }
    }
    let mut resolver = Resolver::new(ctx);
    // The resolved values, kept zeroizing until the exec; `Command` holds its own copies, which
    // the exec discards with the rest of this process's memory.
    let mut resolved: Vec<(OsString, Zeroizing<String>)> = Vec::new();
    let mut plain: Vec<(OsString, OsString)> = Vec::new();
    for (key, value) in env {
        match resolve_value(&mut resolver, &key, &value)? {
            Some(secret) => resolved.push((key, secret)),
            None => plain.push((key, value)),
        }
    }
    let mut command = std::process::Command::new(program);
    command.args(arguments).env_clear().envs(plain);
    for (key, value) in &resolved {
        command.env(key, value.as_str());
    }
    let err = command.exec();
    Err(anyhow!(err)).with_context(|| format!("cannot run {}", Path::new(program).display()))
}

/// The value of one variable if it holds references: a whole value that is a reference, or
/// `{{ hush://… }}` placeholders inside it. `None` leaves it as it is.
fn resolve_value(
    resolver: &mut Resolver<'_>,
    key: &OsStr,
    value: &OsStr,
) -> Result<Option<Zeroizing<String>>> {
    let Some(text) = value.to_str() else { return Ok(None) };
    let name = key.to_string_lossy();
    if text.starts_with(SCHEME) {
        let reference: SecretRef = text.parse().with_context(|| format!("in ${name}"))?;
        return resolver.value(&reference).with_context(|| format!("in ${name}")).map(Some);
    }
    if !text.contains("{{") {
        return Ok(None);
    }
    let found = secret_ref::placeholders(text).with_context(|| format!("in ${name}"))?;
    if found.is_empty() {
        return Ok(None);
    }
    let values = found
        .iter()
        .map(|p| resolver.value(&p.reference).with_context(|| format!("in ${name}")))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(secret_ref::fill(text, &found, &values)))
}

/// Sets `key` to `value`, replacing an earlier value: a later env file wins over an earlier one
/// and over the inherited environment.
fn set(env: &mut Vec<(OsString, OsString)>, key: OsString, value: OsString) {
    match env.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => env.push((key, value)),
    }
}

/// The variables of an env file: `KEY=VALUE` lines, `#` comments, optional `export`, quoted
/// values, as dotenv reads them (the `dotenvy` crate). A line that does not parse is reported
/// by its position only: the file may hold a secret despite everything, and an error message
/// must not repeat it.
fn read_env_file(path: &Path) -> Result<Vec<(String, String)>> {
    let iter = dotenvy::from_path_iter(path).map_err(|e| match e {
        dotenvy::Error::Io(io) => anyhow!(io).context(format!("cannot read {}", path.display())),
        _ => anyhow!("cannot read {}", path.display()),
    })?;
    let mut vars = Vec::new();
    for (n, item) in iter.enumerate() {
        match item {
            Ok(pair) => vars.push(pair),
            Err(dotenvy::Error::Io(e)) => {
                return Err(anyhow!(e).context(format!("cannot read {}", path.display())));
            }
            Err(_) => bail!(
                "{}: the line after variable {n} is not KEY=VALUE (its content is not shown, in case it holds a secret)",
                path.display()
            ),
        }
    }
    Ok(vars)
}
