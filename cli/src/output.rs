//! Output: stdout writes that report a closed pipe instead of panicking, and the
//! JSON shapes of items.

use std::io::Write;

use anyhow::Result;
use hush_crypto::ItemId;
use hush_import::hush_json;
use hush_vault::{IndexRecord, Item};
use serde::Serialize;

/// Writes a line to stdout; a closed pipe surfaces as an error that `main` treats
/// as success.
pub(crate) fn line(text: impl std::fmt::Display) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}

/// Writes many lines through one buffer: stdout flushes at every newline, so a
/// listing of 10,000 items would otherwise cost 10,000 system calls.
pub(crate) fn lines<T: std::fmt::Display>(lines: impl IntoIterator<Item = T>) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for text in lines {
        writeln!(out, "{text}")?;
    }
    out.flush()?;
    Ok(())
}

/// Writes a value as pretty JSON to stdout, buffered (see [`lines`]).
pub(crate) fn json<T: Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Whether colours may be used (<https://no-color.org>).
pub(crate) fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
}

/// "15 min", "1 min 30 s", "45 s", "2 h 5 min".
pub(crate) fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}

/// RFC 3339 form of Unix seconds.
pub(crate) fn time(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).map(|t| t.to_string()).unwrap_or_else(|_| secs.to_string())
}

/// A date for humans.
pub(crate) fn date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// The full JSON form of an item (`hush get --json`): includes secrets. The item's
/// fields are those of `hush export --format json`, plus its id and rotation flag.
#[derive(Serialize)]
pub(crate) struct ItemJson<'a> {
    id: String,
    #[serde(flatten)]
    item: hush_json::ItemOut<'a>,
    rotation_pending: bool,
    /// Values that lost concurrent edits in merges (`hush edit NAME --dismiss-conflicts`
    /// forgets them).
    conflicts: Vec<ConflictJson<'a>>,
    /// When the item was moved to the trash (`hush get --trash`), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    trashed: Option<String>,
}

/// A value that lost a merge, in `hush get --json`.
#[derive(Serialize)]
struct ConflictJson<'a> {
    field: &'a str,
    value: &'a str,
    at: String,
}

impl<'a> ItemJson<'a> {
    /// Builds the JSON view.
    pub(crate) fn new(id: &ItemId, item: &'a Item) -> Self {
        ItemJson {
            id: id.to_string(),
            item: hush_json::ItemOut::new(item),
            rotation_pending: item.rotation_pending,
            conflicts: item
                .conflicts
                .iter()
                .map(|c| ConflictJson { field: &c.field, value: &c.value, at: time(c.at) })
                .collect(),
            trashed: item.trashed.map(time),
        }
    }
}

/// The listing form of an item (`hush ls --json`): no secrets. Built from the search
/// index, so listing decrypts no item.
#[derive(Serialize)]
pub(crate) struct ListJson<'a> {
    id: String,
    kind: &'static str,
    name: &'a str,
    username: &'a str,
    hosts: &'a [String],
    tags: &'a [String],
    has_totp: bool,
    updated: String,
    rotation_pending: bool,
}

impl<'a> ListJson<'a> {
    /// Builds the listing view.
    pub(crate) fn new(entry: &'a IndexRecord) -> Self {
        ListJson {
            id: entry.item_id().to_string(),
            kind: entry.kind.as_str(),
            name: &entry.name,
            username: &entry.username,
            hosts: &entry.hosts,
            tags: &entry.tags,
            has_totp: entry.has_totp,
            updated: time(entry.updated),
            rotation_pending: entry.rotation_pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(900), "15 min");
        assert_eq!(duration(90), "1 min 30 s");
        assert_eq!(duration(7500), "2 h 5 min");
    }
}
