//! `hush git-credential get|store|erase`: git's credential helper (docs/git-credential.md).
//! The protocol and the matching rule are in `crate::git_credential`; this module reads the
//! vault and answers.
//!
//! Standard input is git's request, so the master password, when the vault is locked, can only
//! be asked on the terminal itself (`/dev/tty`), as git asks for its own passwords; with
//! `GIT_TERMINAL_PROMPT=0` or no terminal, the helper says to run `hush unlock` and git asks
//! the user as if there were no helper.

use anyhow::Result;
use hush_crypto::ItemId;
use hush_vault::{Item, ItemKind, SearchFields, VaultView, now};

use crate::cli::GitCredentialArgs;
use crate::context::Ctx;
use crate::exit::Exit;
use crate::git_credential::{Choice, Request, Target, choose, read_request, write_answer};

/// Runs `hush git-credential OPERATION`.
pub(super) fn run(ctx: &Ctx, args: &GitCredentialArgs) -> Result<()> {
    let request = read_request(std::io::stdin().lock())?;
    match args.operation.as_str() {
        "get" => get(ctx, &request),
        "store" => store(ctx, &request),
        "erase" => erase(ctx, &request),
        // gitcredentials(7): "If a helper receives any other operation, it should silently
        // ignore the request."
        _ => Ok(()),
    }
}

/// `get`: the user name and password of the one best-matching login, or nothing.
fn get(ctx: &Ctx, request: &Request) -> Result<()> {
    let Some(target) = Target::of(request) else { return Ok(()) };
    let view = ctx.view()?;
    match choose(candidates(&view, &target, request.username.as_deref())?, target.has_path()) {
        Choice::None => Ok(()),
        Choice::One((_, item)) => write_answer(std::io::stdout().lock(), &item.username, &item.password),
        Choice::Ambiguous(found) => {
            Err(Exit::AmbiguousLogin { url: target.url(), list: list(&found) }.into())
        }
    }
}

/// `store`: with `[git_credential] store = true`, what git reports as working is saved: a new
/// password for the one login that matches (the old one goes to its history), or a new login.
fn store(ctx: &Ctx, request: &Request) -> Result<()> {
    if !ctx.config.git_credential.store {
        return Ok(());
    }
    let (Some(target), Some(username), Some(password)) =
        (Target::of(request), request.username.as_deref(), request.password.as_ref())
    else {
        return Ok(());
    };
    // One key for both the reading and the writing: without the agent, one password prompt.
    let ring = ctx.key_ring(&ctx.header()?)?;
    let view = ctx.view_with_key(ring.clone())?;
    let t = now();
    match choose(candidates(&view, &target, Some(username))?, target.has_path()) {
        Choice::One((_, item)) if item.password == **password => {}
        Choice::One((id, item)) => {
            ctx.edit_with_key(ring, |vault| {
                vault.update(&id, t, |i| i.set_password(password.to_string(), t)).map_err(Into::into)
            })?;
            eprintln!(
                "hush: saved the new password git used for {} (the old one is in `hush history`)",
                item.name
            );
        }
        Choice::None => {
            let site =
                target.url().split_once("://").map_or_else(|| target.url(), |(_, rest)| rest.to_owned());
            // The site's name, else `user@site`: never a second item of a name in use (issue
            // #10), and never a prompt, since git owns this process's standard input.
            let names = [site.clone(), format!("{username}@{site}")];
            let mut item = Item::new(ItemKind::Login, "", t);
            item.username = username.to_owned();
            item.urls = vec![target.url()];
            item.set_password(password.to_string(), t);
            let saved = ctx.edit_with_key(ring, |vault| {
                let Some(name) = names.iter().find(|n| !vault.has_name(n)) else {
                    return Ok(None);
                };
                item.name = name.clone();
                vault.add(item)?;
                Ok(Some(name.clone()))
            })?;
            match saved {
                Some(name) => eprintln!("hush: saved a new login {name:?} for {} from git", target.url()),
                None => eprintln!(
                    "hush: not saving git's login for {}: items named {:?} and {:?} already exist",
                    target.url(),
                    names[0],
                    names[1]
                ),
            }
        }
        Choice::Ambiguous(found) => {
            eprintln!(
                "hush: not saving git's password: several logins match {} for {username}:\n{}",
                target.url(),
                list(&found)
            );
        }
    }
    Ok(())
}

/// `erase`: git says a password was rejected. hush never deletes or changes a login for that
/// (the site may be down, or the password mistyped at git's prompt); with `store` on, it says
/// which login holds the rejected password.
fn erase(ctx: &Ctx, request: &Request) -> Result<()> {
    if !ctx.config.git_credential.store {
        return Ok(());
    }
    let (Some(target), Some(password)) = (Target::of(request), request.password.as_ref()) else {
        return Ok(());
    };
    let view = ctx.view()?;
    for (_, item) in candidates(&view, &target, request.username.as_deref())?.into_iter().map(|c| c.0) {
        if item.password == **password {
            eprintln!(
                "hush: git reports that the password of {:?} was rejected; hush keeps it. Change it with \
                 `hush edit {:?} --prompt-password` if it is out of date.",
                item.name, item.name
            );
        }
    }
    Ok(())
}

/// The logins whose URLs match `target` (with `username`, if git named one), each with how
/// specific its best URL is. The search index finds them by host, so only those are decrypted.
fn candidates(
    view: &VaultView,
    target: &Target,
    username: Option<&str>,
) -> Result<Vec<((ItemId, Item), usize)>> {
    let ids: Vec<ItemId> = view
        .entries()
        .filter(|e| e.kind() == ItemKind::Login && e.hosts().any(|h| h == target.index_host()))
        .map(|e| e.item_id())
        .collect();
    let mut found = Vec::new();
    for id in ids {
        let item = view.item(&id)?;
        if username.is_some_and(|u| u != item.username) {
            continue;
        }
        if let Some(best) = item.urls.iter().filter_map(|u| target.specificity(u)).max() {
            found.push(((id, item), best));
        }
    }
    Ok(found)
}

fn list(found: &[(ItemId, Item)]) -> String {
    found
        .iter()
        .map(|(id, item)| {
            let urls = item.urls.join(" ");
            format!("  {}  {}  {}  {urls}", &id.to_string()[..8], item.name, item.username)
        })
        .collect::<Vec<_>>()
        .join("\n")
}
