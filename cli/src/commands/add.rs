//! `hush add`.

use anyhow::Result;
use hush_vault::{Item, ItemKind, now};

use crate::cli::AddArgs;
use crate::commands::fields;
use crate::context::Ctx;
use crate::{output, prompt};

/// Runs `hush add`.
pub fn run(ctx: &Ctx, args: &AddArgs) -> Result<()> {
    let t = now();
    let kind = hush_vault::ItemKind::from(args.kind);
    let mut item = Item::new(kind, args.name.trim(), t);
    if item.name.is_empty() {
        anyhow::bail!("the item needs a name");
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
    // With neither --generate nor --password-stdin, a login asks for its password on
    // the terminal (an empty answer stores none).
    if kind == ItemKind::Login
        && !args.fields.generate
        && !args.fields.password_stdin
        && prompt::interactive()
    {
        let pw = prompt::secret(&format!("Password for {} (empty for none): ", item.name))?;
        item.set_password(pw.to_string(), t);
    }
    let name = item.name.clone();
    let generated = args.fields.generate;
    let (id, duplicate) = ctx.edit(|vault| {
        let duplicate = vault.has_name(&name);
        Ok((vault.add(item)?, duplicate))
    })?;
    if duplicate {
        eprintln!("note: another item is also named {name:?}; use its id to tell them apart");
    }
    eprintln!(
        "Added {name} ({}){}",
        &id.to_string()[..8],
        if generated { " with a generated password" } else { "" }
    );
    output::line(id)
}
