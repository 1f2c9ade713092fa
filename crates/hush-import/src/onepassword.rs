//! 1Password's CSV export.
//!
//! 1Password 8 writes `Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes`;
//! 1Password 7 let the user pick the columns and wrote lower-case names (`title`,
//! `website`, `username`, `password`, `notes`...). Columns are therefore found by
//! name with the aliases below, in any order; only a title and a password column are
//! required. `Favorite` becomes the tag "favorite", an archived item gets the tag
//! "archived", and `Tags` (comma-separated) become tags.

use super::bitwarden::FAVORITE_TAG;
use super::csv_input::CsvInput;
use super::{Import, ImportError, apply_totp, label, login_or_note, push_tag};

/// The tag of items that were archived in 1Password.
pub const ARCHIVED_TAG: &str = "archived";

/// Parses a 1Password CSV export.
pub fn parse_csv(input: &[u8], now: i64) -> Result<Import, ImportError> {
    const FORMAT: &str = "1Password CSV";
    let csv = CsvInput::read(input)?;
    let title = csv.require(FORMAT, &["title", "name"])?;
    let password = csv.require(FORMAT, &["password"])?;
    let url = csv.column(&["url", "website", "urls", "location"]);
    let username = csv.column(&["username", "login", "user"]);
    let otp = csv.column(&["otpauth", "one-time password", "totp", "otp"]);
    let favorite = csv.column(&["favorite"]);
    let archived = csv.column(&["archived"]);
    let tags = csv.column(&["tags"]);
    let notes = csv.column(&["notes", "notesplain"]);

    let mut import = Import::default();
    for row in csv.rows() {
        let entry = label(format!("line {}", row.line), row.at(title));
        // A secure note is exported as a row with nothing but a title and notes.
        let mut item = login_or_note(
            row.at(title),
            row.get(url),
            row.get(username),
            row.at(password),
            row.get(notes),
            now,
        );
        apply_totp(&mut item, row.get(otp), &entry, &mut import.warnings);
        for tag in row.get(tags).split(',') {
            push_tag(&mut item, tag);
        }
        if truthy(row.get(favorite)) {
            push_tag(&mut item, FAVORITE_TAG);
        }
        if truthy(row.get(archived)) {
            push_tag(&mut item, ARCHIVED_TAG);
        }
        import.items.push(item);
    }
    Ok(import)
}

fn truthy(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_vault::ItemKind;

    const CSV: &[u8] = include_bytes!("../tests/data/import/1password.csv");

    #[test]
    fn import_1password8_csv() {
        let import = parse_csv(CSV, 0).unwrap();
        let names: Vec<_> = import.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["GitHub", "Recovery codes", "Old bank", "shop.example"]);
        let gh = &import.items[0];
        assert_eq!((gh.username.as_str(), gh.password.as_str()), ("octocat", "p@ss,word"));
        assert_eq!(gh.urls, ["https://github.com/"]);
        assert_eq!(gh.tags, ["dev", "work", "favorite"]);
        assert!(gh.totp.as_deref().unwrap().contains("issuer=GitHub"));
        let note = &import.items[1];
        assert_eq!((note.kind, note.notes.as_str()), (ItemKind::Note, "aaaa-bbbb\ncccc-dddd"));
        assert_eq!(import.items[2].tags, ["archived"]);
        assert_eq!(import.warnings.len(), 1);
        assert!(import.warnings[0].to_string().starts_with("line 6: TOTP secret not imported"));
    }

    #[test]
    fn import_1password_csv_finds_columns_in_any_order() {
        // 1Password 7 with columns chosen and ordered by the user.
        let csv = b"notes,password,username,website,title\nhi,pw,me,https://a.example,A\n";
        let import = parse_csv(csv, 0).unwrap();
        let a = &import.items[0];
        assert_eq!(
            (a.name.as_str(), a.username.as_str(), a.password.as_str(), a.notes.as_str()),
            ("A", "me", "pw", "hi")
        );
        assert_eq!(a.urls, ["https://a.example"]);
    }

    #[test]
    fn import_1password_csv_rejects_malformed_input() {
        let err = parse_csv(b"Title,Url,Username\nA,b,c\n", 0).unwrap_err().to_string();
        assert!(err.contains("no \"password\" column; is this really a 1Password CSV export?"), "{err}");
        let err = parse_csv(b"Title,Password\nA,b\nB,c,d\n", 0).unwrap_err().to_string();
        assert!(err.starts_with("line 3 (record 2): 3 fields where the header has 2"), "{err}");
        assert!(matches!(parse_csv(b"", 0), Err(ImportError::Empty)));
    }
}
