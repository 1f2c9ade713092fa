//! `hush get`: one item, or one field of it.

use anyhow::{Result, anyhow};
use hush_crypto::ItemId;
use hush_totp::Totp;
use hush_vault::{Conflict, Item};

use crate::cli::GetArgs;
use crate::context::Ctx;
use crate::output::{self, ItemJson};

/// The value of a named field (built-in or custom).
pub(super) fn field_value(id: &ItemId, item: &Item, field: &str) -> Result<String> {
    let value = match field.to_ascii_lowercase().as_str() {
        "password" | "pw" => item.password.clone(),
        "username" | "user" | "login" => item.username.clone(),
        "url" => item.urls.first().cloned().unwrap_or_default(),
        "notes" => item.notes.clone(),
        "name" => item.name.clone(),
        "id" => id.to_string(),
        "totp" => item_totp(item)?.code_at(unix_now()).to_string(),
        // An item's own field of the same name (one a user added before SSH keys existed)
        // wins over these.
        "private_key" | "public_key" | "fingerprint" if item.has_ssh_key() && item.field(field).is_none() => {
            ssh_field(item, field)?
        }
        _ => match item.field(field) {
            Some(f) => f.value.clone(),
            None => {
                let names: Vec<_> = item.fields.iter().map(|f| f.name.as_str()).collect();
                let custom = if names.is_empty() {
                    String::new()
                } else {
                    format!(", or one of its fields: {}", names.join(", "))
                };
                let ssh = if item.has_ssh_key() { ", private_key, public_key, fingerprint" } else { "" };
                return Err(anyhow!(
                    "{} has no field {field:?}; use password, username, url, notes, totp{ssh}{custom}",
                    item.name
                ));
            }
        },
    };
    Ok(value)
}

/// The SSH key fields of an item that holds a key.
fn ssh_field(item: &Item, field: &str) -> Result<String> {
    let stored = item.ssh_key.as_deref().unwrap_or_default();
    if field.eq_ignore_ascii_case("private_key") {
        return Ok(stored.to_owned());
    }
    let key = hush_ssh::SshKey::from_stored(stored)
        .map_err(|e| anyhow!("the SSH key stored in {} cannot be read: {e}", item.name))?;
    Ok(if field.eq_ignore_ascii_case("public_key") { key.public_line() } else { key.fingerprint() })
}

/// The item's TOTP generator, or an error that says how to add one (`get --field
/// totp`, `totp`).
pub(super) fn item_totp(item: &Item) -> Result<Totp> {
    let uri = item.totp.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| {
        anyhow!("{} has no TOTP secret; add one with `hush edit {:?} --totp -`", item.name, item.name)
    })?;
    Totp::parse(uri).map_err(|e| anyhow!("the stored TOTP secret is invalid: {e}"))
}

/// Seconds since the epoch as TOTP wants them.
pub(super) fn unix_now() -> u64 {
    u64::try_from(hush_vault::now()).unwrap_or(0)
}

/// Runs `hush get`.
pub(super) fn run(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let scope = if args.trash { hush_vault::Scope::Trash } else { hush_vault::Scope::Live };
    let (id, item) = ctx.view_one_in(&args.query, scope)?;
    let item = &item;
    if let Some(field) = &args.field {
        let value = zeroize::Zeroizing::new(field_value(&id, item, field)?);
        return output::line(&*value);
    }
    if args.json {
        return output::json(&ItemJson::new(&id, item));
    }
    print_item(&id, item, args.show)
}

/// `value` as `hush get` shows a secret: masked unless `--show`.
fn masked(value: &str, show: bool) -> String {
    if value.is_empty() {
        String::new()
    } else if show {
        value.to_owned()
    } else {
        "•••••••• (--show to reveal)".to_owned()
    }
}

/// The line for a value that lost a merge. What lost can be a TOTP secret or a
/// hidden field (a CVV, a PIN), so only the fields shown in clear anyway (name, user
/// name, kind, notes) are shown in clear here; the rest is masked like a password.
fn conflict_line(c: &Conflict, show: bool) -> String {
    let value = match c.field.as_str() {
        "name" | "username" | "kind" | "notes" => format!("{:?}", c.value),
        _ => masked(&c.value, show),
    };
    format!("  conflict  {} was {value} before a merge on {}", c.field, output::date(c.at))
}

fn print_item(id: &ItemId, item: &Item, show: bool) -> Result<()> {
    let hidden = |v: &str| masked(v, show);
    output::line(format!("{}  ({}, {})", item.name, item.kind.as_str(), &id.to_string()[..8]))?;
    // Every label in one column as wide as the longest (a card's "cardholder" and "expiration"
    // broke the alignment of a fixed width; issue #10).
    let width = ["username", "password", "url", "totp", "tags", "updated"]
        .iter()
        .map(|l| l.chars().count())
        .chain(item.fields.iter().map(|f| f.name.chars().count()))
        .max()
        .unwrap_or(0);
    let row = |label: &str, value: &str| format!("  {label:<width$}  {value}");
    if let Some(t) = item.trashed {
        output::line(row(
            "trash",
            &format!("moved there on {} (`hush restore` brings it back)", output::date(t)),
        ))?;
    }
    if !item.username.is_empty() {
        output::line(row("username", &item.username))?;
    }
    if !item.password.is_empty() {
        output::line(row("password", &hidden(&item.password)))?;
    }
    for url in &item.urls {
        output::line(row("url", url))?;
    }
    if item.totp.is_some() {
        output::line(row("totp", "yes (`hush totp` for the code)"))?;
    }
    if let Some(stored) = item.ssh_key.as_deref().filter(|k| !k.is_empty()) {
        // The public half and fingerprint are not secret; the private key is shown only on
        // request (`--field private_key`), never by --show.
        match hush_ssh::SshKey::from_stored(stored) {
            Ok(key) => {
                output::line(format!(
                    "  ssh key   {} {} {}",
                    key.algorithm(),
                    key.bits(),
                    key.fingerprint()
                ))?;
                output::line(format!("  public    {}", key.public_line()))?;
            }
            Err(e) => output::line(format!("  ssh key   unreadable: {e}"))?,
        }
        output::line("  private   (`hush get NAME --field private_key`)")?;
    }
    for f in &item.fields {
        let v = if f.hidden { hidden(&f.value) } else { f.value.clone() };
        output::line(row(&f.name, &v))?;
    }
    if !item.tags.is_empty() {
        output::line(row("tags", &item.tags.join(", ")))?;
    }
    if !item.notes.is_empty() {
        output::line("  notes")?;
        for l in item.notes.lines() {
            output::line(format!("    {l}"))?;
        }
    }
    for c in &item.conflicts {
        output::line(conflict_line(c, show))?;
    }
    if !item.conflicts.is_empty() {
        output::line(format!("  (`hush edit {:?} --dismiss-conflicts` forgets them)", item.name))?;
    }
    if item.rotation_pending {
        output::line(
            "  rotation  pending: once the site has the new password, run `hush breach --confirm NAME`",
        )?;
    }
    output::line(row("updated", &output::date(item.updated)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_that_lost_a_merge_are_masked_unless_shown_in_clear_anyway() {
        let lost = |field: &str, value: &str| Conflict { field: field.into(), value: value.into(), at: 0 };
        let totp = lost("totp", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP");
        let cvv = lost("field cvv", "731");
        for c in [&totp, &cvv] {
            let line = conflict_line(c, false);
            assert!(!line.contains(&c.value) && line.contains("--show"), "{line}");
            assert!(conflict_line(c, true).contains(&c.value));
        }
        let user = lost("username", "old-user");
        assert!(conflict_line(&user, false).contains("\"old-user\""));
    }
}
