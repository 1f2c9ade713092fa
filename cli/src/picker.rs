//! The interactive fuzzy picker (issue #10, "Find things the way people look for them"): when a
//! query on a terminal matches several items, and for `hush pick`. dialoguer's `FuzzySelect`
//! draws it on stderr, so stdout keeps only what the command prints; scripts never see it (they
//! get exit 4 and the list, as before).

use anyhow::{Result, bail};
use hush_crypto::ItemId;
use hush_vault::IndexRecord;

/// One line of the picker for an item: name, user name, first host, and the short id that
/// tells apart items whose other columns are the same.
fn label(id: &ItemId, e: &IndexRecord) -> String {
    let mut line = e.name.clone();
    if !e.username.is_empty() {
        line.push_str(&format!("  ({})", e.username));
    }
    if let Some(host) = e.hosts.first() {
        line.push_str(&format!("  {host}"));
    }
    line.push_str(&format!("  [{}]", &id.to_string()[..8]));
    line
}

/// Asks the person at the terminal to choose one of `candidates`. `None` when they cancel (Esc).
pub(crate) fn pick(prompt: &str, candidates: &[(ItemId, IndexRecord)]) -> Result<Option<ItemId>> {
    if candidates.is_empty() {
        bail!("no item to choose from");
    }
    // The id in each label makes every label unique: dialoguer returns the first position of the
    // chosen text.
    let labels: Vec<String> = candidates.iter().map(|(id, e)| label(id, e)).collect();
    let chosen = dialoguer::FuzzySelect::new()
        .with_prompt(prompt)
        .items(&labels)
        .default(0)
        .max_length(15)
        .interact_opt()
        .map_err(|e| anyhow::anyhow!("the picker failed: {e}"))?;
    Ok(chosen.map(|i| candidates[i].0))
}
