//! `hush ssh`: SSH keys kept in the vault, which `hush ssh-agent` serves (docs/ssh-agent.md).
//! A key is an item of kind `ssh-key` whose `ssh_key` field holds the private key in OpenSSH's
//! format, unencrypted inside the sealed item (docs/vault-format.md, "Item format
//! versions").

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use hush_crypto::ItemId;
use hush_ssh::{Import, KeyError, SshKey};
use hush_vault::{Item, ItemKind, VaultView, now};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::cli::{SshCommand, SshGenerateArgs, SshImportArgs, SshLsArgs, SshPubkeyArgs};
use crate::context::Ctx;
use crate::{output, prompt};

/// The largest key file `import` reads: an OpenSSH private key of 16,384-bit RSA is about 13 KiB.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// Runs `hush ssh ...`.
pub(super) fn run(ctx: &Ctx, command: &SshCommand) -> Result<()> {
    match command {
        SshCommand::Generate(args) => generate(ctx, args),
        SshCommand::Import(args) => import(ctx, args),
        SshCommand::Pubkey(args) => pubkey(ctx, args),
        SshCommand::Ls(args) => ls(ctx, args),
    }
}

fn generate(ctx: &Ctx, args: &SshGenerateArgs) -> Result<()> {
    let name = item_name(&args.name)?;
    let key = SshKey::generate_ed25519(args.comment.as_deref().unwrap_or(name));
    add(ctx, ctx.key_ring(&ctx.header()?)?, name, &key)?;
    output::line(key.public_line())
}

fn import(ctx: &Ctx, args: &SshImportArgs) -> Result<()> {
    let name = item_name(&args.name)?;
    let bytes = read_key_file(&args.path)?;
    let mut key = match Import::parse(&bytes).map_err(|e| explain(e, &args.path))? {
        Import::Ready(key) => key,
        Import::Encrypted(encrypted) => {
            let passphrase = match &args.passphrase_file {
                Some(file) => prompt::first_line_of(file)?,
                None => {
                    prompt::secret(&format!("Passphrase for {}: ", args.path.display())).map_err(|_| {
                        anyhow!(
                            "{} is encrypted and there is no terminal to ask for its passphrase; pass \
                         --passphrase-file PATH",
                            args.path.display()
                        )
                    })?
                }
            };
            encrypted.decrypt(passphrase.as_bytes()).map_err(|e| explain(e, &args.path))?
        }
    };
    match &args.comment {
        Some(comment) => key.set_comment(comment),
        None if key.comment().is_empty() => key.set_comment(name),
        None => {}
    }
    // The same key twice would be offered twice by the agent and edited in two places. One key
    // ring for this look and the write: without the agent, one password prompt.
    let ring = ctx.key_ring(&ctx.header()?)?;
    let view = ctx.view_with_key(ring.clone())?;
    for id in view.of_kind(ItemKind::SshKey) {
        let item = view.item(&id)?;
        if let Some(existing) = item.ssh_key.as_deref().and_then(|k| SshKey::from_stored(k).ok())
            && existing.public_key().key_data() == key.public_key().key_data()
        {
            bail!(
                "this key is already in the vault as {:?} ({}); nothing was added",
                item.name,
                &id.to_string()[..8]
            );
        }
    }
    add(ctx, ring, name, &key)?;
    output::line(key.public_line())
}

fn pubkey(ctx: &Ctx, args: &SshPubkeyArgs) -> Result<()> {
    let view = ctx.view()?;
    let id = find_key(&view, &args.query)?;
    output::line(stored_key(&view.item(&id)?)?.public_line())
}

/// One line of `hush ssh ls --json`: nothing secret.
#[derive(Serialize)]
struct KeyJson {
    id: String,
    name: String,
    algorithm: String,
    bits: u32,
    fingerprint: String,
    comment: String,
    public_key: String,
}

fn ls(ctx: &Ctx, args: &SshLsArgs) -> Result<()> {
    let view = ctx.view()?;
    let mut keys = Vec::new();
    for id in view.of_kind(ItemKind::SshKey) {
        let item = view.item(&id)?;
        match stored_key(&item) {
            Ok(key) => keys.push(KeyJson {
                id: id.to_string(),
                name: item.name.clone(),
                algorithm: key.algorithm(),
                bits: key.bits(),
                fingerprint: key.fingerprint(),
                comment: key.comment().to_owned(),
                public_key: key.public_line(),
            }),
            Err(e) => eprintln!("warning: {e:#}"),
        }
    }
    if args.json {
        return output::json(&keys);
    }
    if keys.is_empty() {
        eprintln!("No SSH keys; add one with `hush ssh generate NAME` or `hush ssh import NAME PATH`.");
        return Ok(());
    }
    let width = keys.iter().map(|k| k.name.chars().count()).max().unwrap_or(0).min(40);
    output::lines(keys.iter().map(|k| {
        format!(
            "{}  {:<width$}  {} {}  {}  {}",
            &k.id[..8],
            k.name,
            k.algorithm,
            k.bits,
            k.fingerprint,
            k.comment
        )
        .trim_end()
        .to_owned()
    }))
}

/// Stores `key` as a new item named `name` and says so on stderr. A name another item in use
/// has (in any letter case) is refused, as `hush add` refuses it without
/// --allow-duplicate-name (issue #10): `hush ssh pubkey NAME` must name one key.
fn add(ctx: &Ctx, ring: hush_crypto::KeyRing, name: &str, key: &SshKey) -> Result<ItemId> {
    let mut item = Item::new(ItemKind::SshKey, name, now());
    item.ssh_key = Some(String::from(key.to_openssh().as_str()));
    let id = ctx.edit_with_key(ring, |vault| {
        let same = vault.names_like(name);
        if !same.is_empty() {
            bail!(
                "an item named {:?} already exists; nothing added. Choose another name, or rename the \
                 existing item (`hush edit {:?}`)",
                same[0],
                same[0]
            );
        }
        Ok(vault.add(item)?)
    })?;
    eprintln!(
        "Added the SSH key {name} ({}): {} {} {}",
        &id.to_string()[..8],
        key.algorithm(),
        key.bits(),
        key.fingerprint()
    );
    Ok(id)
}

fn item_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        bail!("the key needs a name");
    }
    Ok(name)
}

/// The SSH key an item holds, or why it cannot be used.
pub(super) fn stored_key(item: &Item) -> Result<SshKey> {
    let stored = item
        .ssh_key
        .as_deref()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| anyhow!("{} holds no SSH key", item.name))?;
    SshKey::from_stored(stored).map_err(|e| anyhow!("the SSH key in {} cannot be used: {e}", item.name))
}

/// Resolves a query among the SSH keys only.
fn find_key(view: &VaultView, query: &str) -> Result<ItemId> {
    crate::context::one_of(view, query, view.find_kind(query, ItemKind::SshKey))
}

fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE as usize + 1));
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        bail!("{} is larger than a private key file can be ({} KiB)", path.display(), MAX_KEY_FILE / 1024);
    }
    Ok(bytes)
}

/// A key error with the advice that fits it.
fn explain(err: KeyError, path: &Path) -> anyhow::Error {
    let advice = match &err {
        KeyError::NotOpenSsh { found } if found.starts_with("a PEM") || found.starts_with("a PKCS#8") => {
            format!(
                "; convert a copy to the OpenSSH format first: `cp {p} /tmp/key && ssh-keygen -p -f /tmp/key` \
             (ssh-keygen rewrites it in its own format), then import /tmp/key and delete it",
                p = path.display()
            )
        }
        KeyError::NotOpenSsh { found } if found.starts_with("a PuTTY") => {
            format!("; convert it with `puttygen {} -O private-openssh-new -o KEY`", path.display())
        }
        _ => String::new(),
    };
    anyhow!("{}: {err}{advice}", path.display())
}
