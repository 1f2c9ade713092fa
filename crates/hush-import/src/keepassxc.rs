//! KeePassXC's CSV export, as `keepassxc-cli export --format csv` (and the GUI's
//! Database → Export → CSV) writes it:
//!
//! ```text
//! "Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"
//! "Passwords/Work","GitLab","alice","w0rk","https://gitlab.example.com","","otpauth://totp/...","0","2026-11-28T22:34:48Z","2026-11-28T22:34:48Z"
//! ```
//!
//! `Group` is the entry's group path starting with the root group, whatever it is
//! called (`Root`, `Passwords`...); the path below the root becomes a tag. Entries of
//! the `Recycle Bin` group were deleted in KeePassXC and are skipped with a warning.
//! Custom attributes and attachments are not part of KeePassXC's CSV.

use super::csv_input::CsvInput;
use super::{Import, ImportError, Warning, apply_totp, label, login_or_note, push_tag, rfc3339, set_times};

/// The name KeePassXC gives the group of deleted entries.
const RECYCLE_BIN: &str = "Recycle Bin";

/// Parses a KeePassXC CSV export.
pub fn parse_csv(input: &[u8], now: i64) -> Result<Import, ImportError> {
    const FORMAT: &str = "KeePassXC CSV";
    let csv = CsvInput::read(input)?;
    let title = csv.require(FORMAT, &["title"])?;
    let password = csv.require(FORMAT, &["password"])?;
    let group = csv.column(&["group"]);
    let username = csv.column(&["username"]);
    let url = csv.column(&["url"]);
    let notes = csv.column(&["notes"]);
    let totp = csv.column(&["totp"]);
    let modified = csv.column(&["last modified"]);
    let created = csv.column(&["created"]);

    let mut import = Import::default();
    for row in csv.rows() {
        let entry = label(format!("line {}", row.line), row.at(title));
        // The first path element is the root group; the rest is the user's folder.
        let folder = row.get(group).split_once('/').map_or("", |(_, below_root)| below_root);
        if folder == RECYCLE_BIN || folder.starts_with("Recycle Bin/") {
            import
                .warnings
                .push(Warning { entry, message: "in KeePassXC's recycle bin; not imported".into() });
            continue;
        }
        // KeePassXC has no item types: an entry with nothing but notes is a note.
        let mut item = login_or_note(
            row.at(title),
            row.get(url),
            row.get(username),
            row.at(password),
            row.get(notes),
            now,
        );
        apply_totp(&mut item, row.get(totp), &entry, &mut import.warnings);
        push_tag(&mut item, folder);
        set_times(&mut item, rfc3339(row.get(created)), rfc3339(row.get(modified)));
        import.items.push(item);
    }
    Ok(import)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_vault::ItemKind;

    /// Written by keepassxc-cli 2.7.4 (`export --format csv`), passwords replaced.
    const CSV: &[u8] = include_bytes!("../tests/data/import/keepassxc.csv");

    #[test]
    fn import_keepassxc_csv() {
        let import = parse_csv(CSV, 0).unwrap();
        let names: Vec<_> = import.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["GitHub", "GitLab", "Door code", "bare.example"]);
        let gh = &import.items[0];
        assert_eq!((gh.username.as_str(), gh.password.as_str()), ("octocat", "sitepw,with \"quote\""));
        assert_eq!(gh.urls, ["https://github.com/login"]);
        assert_eq!(gh.notes, "line1\nline2");
        assert!(gh.tags.is_empty(), "an entry of the root group has no tag");
        assert!(gh.totp.as_deref().unwrap().contains("secret=JBSWY3DPEHPK3PXP"));
        assert_eq!(gh.created, 1_764_369_288); // 2025-11-28T22:34:48Z
        assert_eq!(gh.updated, 1_764_369_300);
        let gl = &import.items[1];
        assert_eq!(gl.tags, ["Work/Dev"]);
        assert_eq!(import.items[2].kind, ItemKind::Note);
        let warnings: Vec<_> = import.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            [
                "line 6 \"Old\": in KeePassXC's recycle bin; not imported",
                "line 7: TOTP secret not imported: the otpauth link has no secret= parameter: copy the whole link"
            ]
        );
    }

    #[test]
    fn import_keepassxc_csv_rejects_malformed_input() {
        let header = "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n";
        let bad = format!(
            "{header}\"Root\",\"a\",\"b\",\"c\",\"\",\"\",\"\",\"0\",\"\",\"\"\n\"Root\",\"unterminated\n"
        );
        let err = parse_csv(bad.as_bytes(), 0).unwrap_err().to_string();
        assert!(err.starts_with("line 3 (record 2): "), "{err}");
        let err = parse_csv(b"\"Group\",\"Name\",\"Password\"\n", 0).unwrap_err().to_string();
        assert!(err.contains("no \"title\" column; is this really a KeePassXC CSV export?"), "{err}");
        assert!(matches!(parse_csv(b"\n", 0), Err(ImportError::Empty)));
    }
}
