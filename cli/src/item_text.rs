//! An item as text, for `hush edit NAME --editor` (docs/item-text.md): every field a person
//! edits, one `key: value` line each, then the notes. It round-trips: reading what was written
//! gives the same fields back, whatever they hold (`any_item_round_trips` below).
//!
//! ```text
//! # comments (lines starting with #) are ignored
//! name: github
//! kind: login
//! username: octocat
//! password: hunter2
//! totp: otpauth://totp/GitHub:octocat?secret=...
//! url: https://github.com/login          (one line per URL)
//! tag: dev                               (one line per tag)
//! field pin: 1234                        (a custom field)
//! hidden cvv: 123                        (a hidden custom field)
//! notes:
//! everything after the "notes:" line, verbatim
//! ```
//! A value (or a field's name) that would not survive a plain line — empty names, leading or
//! trailing spaces, a line break or another control character, a leading `"`, or in a name a
//! `:` — is written as a JSON string (`"two\nlines"`), and read back as one.

use anyhow::{Result, anyhow, bail};
use hush_vault::{CustomField, Item, ItemKind};
use zeroize::Zeroizing;

/// The first line of every file, naming the format.
pub(crate) const HEADER: &str =
    "# hush item, text format 1 (docs/item-text.md). Edit, save and quit; lines starting with # are ignored.";

/// The fields a person edits; everything else of the item (history, dates, conflicts) is kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ItemText {
    /// The name.
    pub name: String,
    /// The kind.
    pub kind: String,
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The TOTP URI (empty: none).
    pub totp: String,
    /// The URLs.
    pub urls: Vec<String>,
    /// The tags.
    pub tags: Vec<String>,
    /// Custom fields: name, value, hidden.
    pub fields: Vec<(String, String, bool)>,
    /// The notes.
    pub notes: String,
}

impl ItemText {
    /// The editable fields of `item`.
    pub(crate) fn of(item: &Item) -> ItemText {
        ItemText {
            name: item.name.clone(),
            kind: item.kind.as_str().to_owned(),
            username: item.username.clone(),
            password: item.password.clone(),
            totp: item.totp.clone().unwrap_or_default(),
            urls: item.urls.clone(),
            tags: item.tags.clone(),
            fields: item.fields.iter().map(|f| (f.name.clone(), f.value.clone(), f.hidden)).collect(),
            notes: item.notes.clone(),
        }
    }

    /// The text, in a buffer wiped on drop (it holds the password).
    pub(crate) fn render(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(4096));
        out.push_str(HEADER);
        out.push('\n');
        let mut line = |key: &str, value: &str| {
            out.push_str(key);
            out.push_str(": ");
            out.push_str(&quoted(value, false));
            out.push('\n');
        };
        line("name", &self.name);
        line("kind", &self.kind);
        line("username", &self.username);
        line("password", &self.password);
        line("totp", &self.totp);
        for u in &self.urls {
            line("url", u);
        }
        for t in &self.tags {
            line("tag", t);
        }
        for (name, value, hidden) in &self.fields {
            let key = format!("{} {}", if *hidden { "hidden" } else { "field" }, quoted(name, true));
            line(&key, value);
        }
        out.push_str("notes:\n");
        out.push_str(&self.notes);
        // A final line ending, which `parse` takes off again: editors add one anyway. Not after
        // empty notes, where it would be a line of its own that text appended below it keeps.
        if !self.notes.is_empty() {
            out.push('\n');
        }
        out
    }

    /// Reads a text written by [`render`](Self::render) and edited. Errors name the line.
    pub(crate) fn parse(text: &str) -> Result<ItemText> {
        let mut t = ItemText::default();
        let (mut name, mut kind) = (None, None);
        let mut rest = text;
        let mut number = 0;
        while !rest.is_empty() {
            let (line, after) = match rest.split_once('\n') {
                Some((line, after)) => (line, after),
                None => (rest, ""),
            };
            number += 1;
            rest = after;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if line.trim_end() == "notes:" {
                // Everything after it, verbatim, less the one line ending an editor adds.
                let notes = rest.strip_suffix('\n').unwrap_or(rest);
                t.notes = notes.strip_suffix('\r').unwrap_or(notes).to_owned();
                break;
            }
            let at = |e: anyhow::Error| anyhow!("line {number}: {e}");
            let (key, value) = split_key(line).map_err(at)?;
            let value = unquoted(value).map_err(at)?;
            let once = |slot: &mut Option<String>, what: &str| -> Result<()> {
                if slot.replace(value.clone()).is_some() {
                    bail!("line {number}: a second {what:?} line");
                }
                Ok(())
            };
            match key {
                Key::Name => once(&mut name, "name")?,
                Key::Kind => once(&mut kind, "kind")?,
                Key::Username => t.username = value,
                Key::Password => t.password = value,
                Key::Totp => t.totp = value,
                Key::Url => t.urls.push(value),
                Key::Tag => t.tags.push(value),
                Key::Field(field, hidden) => {
                    if t.fields.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(&field)) {
                        bail!("line {number}: a second field named {field:?}");
                    }
                    t.fields.push((field, value, hidden));
                }
            }
        }
        t.name = name.ok_or_else(|| anyhow!("there is no \"name:\" line"))?;
        if t.name.trim().is_empty() {
            bail!("the name is empty");
        }
        t.kind = kind.unwrap_or_else(|| "login".into());
        t.kind.parse::<ItemKind>().map_err(|e| anyhow!("{e}"))?;
        Ok(t)
    }

    /// Applies the text to `item` at `now`: a changed password goes through the history; a TOTP
    /// secret is normalised (`normalise` is the CLI's `fields::normalise_totp`).
    pub(crate) fn apply(
        &self,
        item: &mut Item,
        now: i64,
        normalise: impl Fn(&str, &str) -> Result<String>,
    ) -> Result<()> {
        item.name = self.name.clone();
        item.kind = self.kind.parse().map_err(|e: String| anyhow!(e))?;
        item.username = self.username.clone();
        item.set_password(self.password.clone(), now);
        if self.totp.is_empty() {
            item.totp = None;
        } else if item.totp.as_deref() != Some(self.totp.as_str()) {
            item.totp = Some(normalise(&self.totp, &self.name)?);
        }
        item.urls = self.urls.clone();
        item.tags = self.tags.clone();
        item.fields = self
            .fields
            .iter()
            .map(|(name, value, hidden)| CustomField {
                name: name.clone(),
                value: value.clone(),
                hidden: *hidden,
            })
            .collect();
        item.notes = self.notes.clone();
        Ok(())
    }
}

enum Key {
    Name,
    Kind,
    Username,
    Password,
    Totp,
    Url,
    Tag,
    /// A custom field's name, and whether it is hidden.
    Field(String, bool),
}

/// Splits `key: value` (a field's name may be quoted and hold `: `).
fn split_key(line: &str) -> Result<(Key, &str)> {
    for (prefix, hidden) in [("field ", false), ("hidden ", true)] {
        if let Some(rest) = line.strip_prefix(prefix) {
            let (name, after) = if rest.starts_with('"') {
                let end =
                    json_string_end(rest).ok_or_else(|| anyhow!("an unterminated quoted field name"))?;
                (unquoted(&rest[..end])?, &rest[end..])
            } else {
                let colon = rest.find(':').ok_or_else(|| anyhow!("expected \"{prefix}NAME: VALUE\""))?;
                (rest[..colon].to_owned(), &rest[colon..])
            };
            let value =
                after.strip_prefix(':').ok_or_else(|| anyhow!("expected ':' after the field's name"))?;
            if name.trim().is_empty() {
                bail!("a field without a name");
            }
            return Ok((Key::Field(name, hidden), value.strip_prefix(' ').unwrap_or(value)));
        }
    }
    let (key, value) = line.split_once(':').ok_or_else(|| anyhow!("expected \"KEY: VALUE\""))?;
    let value = value.strip_prefix(' ').unwrap_or(value);
    let key = match key {
        "name" => Key::Name,
        "kind" => Key::Kind,
        "username" => Key::Username,
        "password" => Key::Password,
        "totp" => Key::Totp,
        "url" => Key::Url,
        "tag" => Key::Tag,
        other => bail!(
            "unknown key {other:?}; the keys are name, kind, username, password, totp, url, tag, \
             field NAME, hidden NAME and notes"
        ),
    };
    Ok((key, value))
}

/// Where the JSON string at the start of `s` ends (just after its closing quote).
fn json_string_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// `value` as written: plain, or a JSON string when a plain line would not read back the same.
fn quoted(value: &str, is_name: bool) -> String {
    let plain = !value.starts_with('"')
        && value.trim() == value
        && !value.chars().any(char::is_control)
        && !(is_name && (value.is_empty() || value.contains(':')));
    if plain { value.to_owned() } else { serde_json::to_string(value).expect("a string serialises") }
}

/// A value as read: a JSON string when it starts with `"`, else the text itself.
fn unquoted(value: &str) -> Result<String> {
    if value.starts_with('"') {
        let end = json_string_end(value).ok_or_else(|| anyhow!("an unterminated quoted value"))?;
        if !value[end..].trim().is_empty() {
            bail!("text after a quoted value");
        }
        return serde_json::from_str(&value[..end]).map_err(|e| anyhow!("a malformed quoted value: {e}"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ItemText {
        ItemText {
            name: "github".into(),
            kind: "login".into(),
            username: "octocat".into(),
            password: " spaced pass ".into(),
            totp: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".into(),
            urls: vec!["https://github.com/login".into(), "\"quoted\"".into()],
            tags: vec!["dev".into()],
            fields: vec![
                ("pin".into(), "1234".into(), false),
                ("Q: first pet?".into(), "two\nlines".into(), true),
            ],
            notes: "line 1\n# not a comment\nnotes: neither\n".into(),
        }
    }

    #[test]
    fn the_text_reads_back_as_written() {
        let t = sample();
        let text = t.render();
        assert!(
            text.contains("field pin: 1234\n") && text.contains("password: \" spaced pass \"\n"),
            "{}",
            *text
        );
        assert_eq!(ItemText::parse(&text).unwrap(), t);
    }

    #[test]
    fn mistakes_are_named_by_line() {
        for (text, says) in [
            ("name: x\nnope: y\n", "line 2: unknown key \"nope\""),
            ("name: x\nname: y\n", "a second \"name\" line"),
            ("username: u\n", "no \"name:\" line"),
            ("name: x\nkind: spaceship\n", "unknown kind"),
            ("name: x\npassword: \"open\n", "line 2: an unterminated quoted value"),
            ("name: x\nfield : v\n", "a field without a name"),
            ("name: \n", "the name is empty"),
        ] {
            let err = ItemText::parse(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }

    proptest::proptest! {
        /// Whatever the fields hold, rendering and parsing gives them back.
        #[test]
        fn any_item_round_trips(
            name in "\\PC*[a-z]\\PC*",
            username in "\\PC*",
            password in "\\PC*",
            urls in proptest::collection::vec("\\PC*", 0..3),
            field_name in "[^\\n]*[a-z][^\\n]*",
            field_value in "\\PC*",
            notes in "(\\PC|\n)*",
        ) {
            let t = ItemText {
                name,
                kind: "note".into(),
                username,
                password,
                totp: String::new(),
                urls,
                tags: vec![],
                fields: vec![(field_name, field_value, true)],
                notes,
            };
            let back = ItemText::parse(&t.render());
            proptest::prop_assert!(back.is_ok(), "{:?}", back);
            proptest::prop_assert_eq!(back.unwrap(), t);
        }
    }
}
