//! `hush history`: previous passwords with the dates they were replaced, masked unless `--show`;
//! `--restore N` makes one current again (issue #10, "History").

use anyhow::{Result, bail};
use hush_vault::{Scope, now};
use serde::Serialize;

use crate::cli::HistoryArgs;
use crate::context::{Ctx, choose_one};
use crate::output;

/// What `hush history` shows instead of a password without `--show`.
const MASK: &str = "•••••••• (--show to reveal)";

/// One previous password in `hush history --json`: `password` only with `--show`.
#[derive(Serialize)]
struct Entry<'a> {
    n: usize,
    replaced_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
}

/// Runs `hush history`.
pub(super) fn run(ctx: &Ctx, args: &HistoryArgs) -> Result<()> {
    if let Some(n) = args.restore {
        return restore(ctx, &args.query, usize::try_from(n)?);
    }
    let (_, item) = ctx.view_one(&args.query)?;
    // Numbered newest first, as --restore counts.
    let entries: Vec<Entry<'_>> = item
        .history
        .iter()
        .rev()
        .enumerate()
        .map(|(i, h)| Entry {
            n: i + 1,
            replaced_at: output::time(h.replaced_at),
            password: args.show.then_some(h.password.as_str()),
        })
        .collect();
    if args.json {
        return output::json(&entries);
    }
    if entries.is_empty() {
        eprintln!("{} has no previous passwords.", item.name);
        return Ok(());
    }
    let width = entries.len().to_string().len();
    output::lines(item.history.iter().rev().zip(&entries).map(|(h, e)| {
        format!("{:>width$}  {}  {}", e.n, output::date(h.replaced_at), e.password.unwrap_or(MASK))
    }))?;
    if !args.show {
        eprintln!("`hush history {:?} --restore N` makes the N-th one current again.", item.name);
    }
    Ok(())
}

/// Makes the `n`-th previous password current; the current one goes into the history.
fn restore(ctx: &Ctx, query: &str, n: usize) -> Result<()> {
    let key = ctx.key_ring(&ctx.header()?)?;
    let id = choose_one(&ctx.view_with_key(key.clone())?, query, Scope::Live)?;
    let t = now();
    let (name, replaced_at) = ctx.edit_with_key(key, |vault| {
        let Some(item) = vault.get(&id)?.filter(|i| i.is_live()) else {
            bail!(crate::exit::Exit::NotFound(query.to_owned()));
        };
        let Some(entry) = n.checked_sub(1).and_then(|k| item.history.iter().rev().nth(k)) else {
            bail!(
                "{} has {} previous password{}; `hush history {:?}` lists them",
                item.name,
                item.history.len(),
                if item.history.len() == 1 { "" } else { "s" },
                item.name
            );
        };
        let replaced_at = entry.replaced_at;
        vault.update(&id, t, |i| {
            i.restore_password(n, t);
        })?;
        Ok((item.name.clone(), replaced_at))
    })?;
    eprintln!(
        "The password of {name} replaced on {} is current again; the one it replaces is first in `hush history`.",
        output::date(replaced_at)
    );
    Ok(())
}
