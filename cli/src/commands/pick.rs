//! `hush pick`: the fuzzy picker over every item (or those matching a query); prints the chosen
//! item's id, so that it composes (`hush edit "$(hush pick)" --editor`), or copies it.

use anyhow::{Result, anyhow, bail};
use hush_vault::ItemLookup;

use crate::cli::PickArgs;
use crate::context::Ctx;
use crate::{output, picker, prompt};

/// Runs `hush pick`.
pub(super) fn run(ctx: &Ctx, args: &PickArgs) -> Result<()> {
    if !prompt::interactive() {
        bail!("`hush pick` needs a terminal; in a script use `hush ls QUERY` or `hush get QUERY`");
    }
    let view = ctx.view()?;
    let query = args.query.as_deref().unwrap_or("");
    let candidates: Vec<_> =
        view.search(query).into_iter().filter_map(|id| view.entry(&id).map(|e| (id, e))).collect();
    if candidates.is_empty() {
        return Err(crate::exit::Exit::NotFound(query.to_owned()).into());
    }
    let id = picker::pick("Choose an item", &candidates)?.ok_or_else(|| anyhow!("nothing chosen"))?;
    if args.copy {
        let item = view.item(&id).map_err(|e| hush_vault::profile::in_vault_file(&ctx.profile, e))?;
        return crate::commands::copy::copy_field(ctx, &id, &item, None, None, false);
    }
    output::line(id)
}
