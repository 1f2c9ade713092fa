//! `hush add`.

use anyhow::{Result, bail};
use hush_vault::{Item, ItemKind, now};

use crate::cli::AddArgs;
use crate::commands::fields;
use crate::context::Ctx;
use crate::{output, prompt};

/// Runs `hush add`.
pub(super) fn run(ctx: &Ctx, args: &AddArgs) -> Result<()> {
    let t = now();
    let kind = hush_vault::ItemKind::from(args.kind);
    let mut item = Item::new(kind, args.name.trim(), t);
    if item.name.is_empty() {
        bail!("the item needs a name");
    }
    // Standard input, in order: the password's line, then the values given as `-`
    // (fields::read_dash_values).
    let stdin_pw = if args.fields.password_stdin { Some(prompt::stdin_line()?) } else { None };
    let mut f = args.fields.clone();
    fields::read_dash_values(&mut f, &item.name)?;
    fields::apply(&mut item, &f, &ctx.config, t)?;
    if let Some(pw) = stdin_pw {
        item.set_password(pw.to_string(), t);
    }
    // One key for the questions and the write: without the agent, the master password is asked
    // once.
    let key = ctx.key_ring(&ctx.header()?)?;
    // Issue #10: a second item of the same name (in any case) made both hard to open by name.
    let mut allow_duplicate = args.allow_duplicate_name;
    if !allow_duplicate {
        let view = ctx.view_with_key(key.clone())?;
        let same = names_like(&view, &item.name);
        if !same.is_empty() {
            allow_duplicate = confirm_duplicate(&item.name, &same)?;
        }
    }
    let generated = needs_password(kind, args) && ask_password(&mut item, ctx, t)?;
    let name = item.name.clone();
    let id = ctx.edit_with_key(key, |vault| {
        // Asked without the lock: another writer may have added the name since.
        let same = vault.names_like(&name);
        if !allow_duplicate && !same.is_empty() {
            bail!(duplicate_refused(&same));
        }
        Ok(vault.add(item)?)
    })?;
    eprintln!(
        "Added {name} ({}){}",
        &id.to_string()[..8],
        if args.fields.generate || generated {
            " with a generated password (`hush copy` copies it)"
        } else {
            ""
        }
    );
    output::line(id)
}

/// The names of the items in use that equal `name` but for case.
fn names_like(view: &hush_vault::VaultView, name: &str) -> Vec<String> {
    use hush_vault::SearchFields as _;
    let mut same: Vec<String> =
        view.entries().filter(|e| e.name_is(name)).map(|e| e.name().to_owned()).collect();
    same.sort();
    same
}

/// The error for a name another item has, naming the ways on.
fn duplicate_refused(same: &[String]) -> String {
    format!(
        "{} already exists; nothing added. Choose another name, change the existing item (`hush edit \
         {:?}`), or add a second one with --allow-duplicate-name",
        existing(same),
        same[0]
    )
}

/// "an item named \"github\"", or "items named \"github\", \"GitHub\"".
fn existing(same: &[String]) -> String {
    let list: Vec<String> = same.iter().map(|n| format!("{n:?}")).collect();
    if list.len() == 1 {
        format!("an item named {}", list[0])
    } else {
        format!("items named {}", list.join(", "))
    }
}

/// Asks on a terminal whether to add a second item named like `same`; fails in a script.
fn confirm_duplicate(name: &str, same: &[String]) -> Result<bool> {
    if !prompt::interactive() {
        bail!(duplicate_refused(same));
    }
    let mut question = format!("{} already exists; add another one named {name:?}?", existing(same));
    question[..1].make_ascii_uppercase();
    if prompt::confirm(&question)? { Ok(true) } else { bail!("nothing added") }
}

/// Whether the item still needs a password: a login given none (issue #10, "No silent empty
/// password"). Notes, cards and TOTP-only items need none.
fn needs_password(kind: ItemKind, args: &AddArgs) -> bool {
    kind == ItemKind::Login && !args.fields.generate && !args.fields.password_stdin && !args.no_password
}

/// Asks for the login's password on a terminal, generating one for an empty answer; a script
/// must say which it wants. Returns whether one was generated.
fn ask_password(item: &mut Item, ctx: &Ctx, t: i64) -> Result<bool> {
    if !prompt::interactive() {
        bail!(
            "{:?} would be a login without a password; give one with --password-stdin, let hush make one \
             with --generate, or say --no-password; nothing added",
            item.name
        );
    }
    let typed = prompt::secret(&format!("Password for {} (empty: generate one): ", item.name))?;
    if !typed.is_empty() {
        item.set_password(typed.to_string(), t);
        return Ok(false);
    }
    let pw = fields::generate(&Default::default(), item.policy.as_ref(), &ctx.config)?;
    item.set_password(pw.to_string(), t);
    Ok(true)
}
