//! `hush edit`: every field is editable, including the name and the TOTP secret.

use anyhow::Result;
use hush_vault::now;

use crate::cli::EditArgs;
use crate::commands::fields;
use crate::context::{Ctx, find_one};
use crate::prompt;

/// Runs `hush edit`.
pub fn run(ctx: &Ctx, args: &EditArgs) -> Result<()> {
    let t = now();
    let kind = args.kind.map(hush_vault::ItemKind::from);
    let typed = if args.prompt_password { Some(prompt::new_secret("password for the item")?) } else { None };
    // Read stdin before taking the lock, and only once.
    let stdin_pw = if args.fields.password_stdin { Some(prompt::stdin_line()?) } else { None };
    let mut f = args.fields.clone();
    f.password_stdin = false;
    fields::read_dash_values(&mut f, &args.query)?;
    let name = ctx.edit(|vault| {
        let id = find_one(vault, &args.query)?;
        let mut item = vault.get(&id)?.expect("found items exist");
        if let Some(n) = &args.name {
            anyhow::ensure!(!n.trim().is_empty(), "the new name is empty");
            item.name = n.trim().to_owned();
        }
        if let Some(k) = kind {
            item.kind = k;
        }
        fields::apply(&mut item, &f, &ctx.config, t)?;
        if let Some(pw) = typed.as_ref().or(stdin_pw.as_ref()) {
            item.set_password(pw.to_string(), t);
        }
        if args.clear_totp {
            item.totp = None;
        }
        for key in &args.remove_field {
            let before = item.fields.len();
            item.fields.retain(|fl| !fl.name.eq_ignore_ascii_case(key));
            anyhow::ensure!(item.fields.len() < before, "{} has no field {key:?}", item.name);
        }
        let name = item.name.clone();
        vault.update(&id, t, |stored| *stored = item)?;
        Ok(name)
    })?;
    eprintln!("Updated {name}");
    Ok(())
}
