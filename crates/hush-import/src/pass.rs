//! A pass (<https://www.passwordstore.org>) password store: a folder tree of
//! `*.gpg` files, each an OpenPGP-encrypted text.
//!
//! pass's convention (and browserpass's, pass-otp's): the first line is the
//! password; the lines after it may hold `login: …` (or `username:`, `user:`),
//! `url: …` (or `website:`, `site:`) and an `otpauth://` URI. Those become the user
//! name, URL and TOTP; every other line goes to the notes, as it was. The entry's
//! path without `.gpg` (`Email/work/gmail.com`) is its name, as users type it in
//! `pass show`, and its folder (`Email/work`) a tag.
//!
//! Decryption goes through [`Decrypt`]; [`Gpg`] runs the user's own `gpg`, which
//! asks its agent for the key (and a passphrase through pinentry if needed) and
//! honours `GNUPGHOME` as set in the environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::{Import, ImportError, Warning, apply_totp, item_name, push_tag};
use hush_vault::{Item, ItemKind};

/// Decrypts one file of the store.
pub trait Decrypt {
    /// The plaintext of `file`, or why it could not be decrypted (a message without
    /// secrets).
    fn decrypt(&self, file: &Path) -> Result<Zeroizing<Vec<u8>>, String>;
}

/// Decrypts with `gpg --decrypt --quiet --batch FILE`.
#[derive(Debug, Clone)]
pub struct Gpg {
    program: OsString,
}

impl Default for Gpg {
    fn default() -> Self {
        Gpg { program: "gpg".into() }
    }
}

impl Gpg {
    /// Uses `program` instead of `gpg` from `PATH` (e.g. `gpg2`).
    pub fn with_program(program: impl Into<OsString>) -> Self {
        Gpg { program: program.into() }
    }
}

impl Decrypt for Gpg {
    fn decrypt(&self, file: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
        let output = Command::new(&self.program)
            .args(["--decrypt", "--quiet", "--batch", "--"])
            .arg(file)
            // gpg reads no input of ours; a passphrase, if any, goes to pinentry.
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    format!("{} was not found; install GnuPG", self.program.to_string_lossy())
                }
                _ => format!("cannot run {}: {e}", self.program.to_string_lossy()),
            })?;
        let stdout = Zeroizing::new(output.stdout);
        if output.status.success() {
            Ok(stdout)
        } else {
            // gpg's diagnostics name keys and files, never the plaintext.
            let stderr = String::from_utf8_lossy(&output.stderr);
            let reason =
                stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
            Err(if reason.is_empty() { format!("gpg failed ({})", output.status) } else { reason })
        }
    }
}

/// Imports every entry under `dir`, decrypting each with `decrypt`. Entries are read
/// in sorted path order; hidden files and folders (`.git`, `.gpg-id`) are skipped.
pub fn parse_store(dir: &Path, decrypt: &dyn Decrypt, now: i64) -> Result<Import, ImportError> {
    let meta = std::fs::metadata(dir).map_err(|source| ImportError::Io { path: dir.to_owned(), source })?;
    if !meta.is_dir() {
        return Err(ImportError::WrongFormat(format!(
            "{} is not a folder; `--from pass` reads a password store folder (~/.password-store)",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    if files.is_empty() && !dir.join(".gpg-id").exists() {
        return Err(ImportError::WrongFormat(format!(
            "{} is not a password store: it has no .gpg-id and no .gpg files",
            dir.display()
        )));
    }
    let mut import = Import::default();
    for file in files {
        let name = entry_name(dir, &file);
        let plain =
            decrypt.decrypt(&file).map_err(|reason| ImportError::Decrypt { path: file.clone(), reason })?;
        let text = std::str::from_utf8(&plain).map_err(|_| ImportError::Entry {
            entry: name.clone(),
            reason: "the decrypted entry is not UTF-8 text".into(),
        })?;
        let (mut item, warnings) = parse_entry(&name, text, now);
        // pass keeps no dates, but it rewrites an entry's file whenever the entry changes, so
        // the file's modification time is the latest the password can have been set: earlier,
        // and so truer, than the import (`hush audit --breaches` compares it with breach dates;
        // a store cloned with git has the clone's time, still no later than the import).
        if let Some(modified) = modified_secs(&file).filter(|m| *m <= now) {
            item.created = modified;
            item.updated = modified;
            item.password_changed = modified;
        }
        import.items.push(item);
        import.warnings.extend(warnings);
    }
    Ok(import)
}

/// A file's modification time in Unix seconds, if the file system keeps one.
fn modified_secs(file: &Path) -> Option<i64> {
    let modified = std::fs::metadata(file).and_then(|m| m.modified()).ok()?;
    let secs = modified.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// Every `*.gpg` file under `dir`, not following links to folders (a link loop
/// would never end) and skipping hidden names.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let io = |source| ImportError::Io { path: dir.to_owned(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "gpg") && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// `Email/work/gmail.com` for `<dir>/Email/work/gmail.com.gpg`.
fn entry_name(dir: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(dir).unwrap_or(file).with_extension("");
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Turns one decrypted entry into an item. `name` is its path in the store.
pub fn parse_entry(name: &str, text: &str, now: i64) -> (Item, Vec<Warning>) {
    let mut item = Item::new(ItemKind::Login, name, now);
    let mut warnings = Vec::new();
    let mut lines = text.lines();
    // The first line is the password exactly as typed: spaces are part of it.
    item.password = lines.next().unwrap_or("").to_owned();
    let mut notes: Vec<&str> = Vec::new();
    for line in lines {
        let trimmed = line.trim();
        let is_otp = trimmed.get(..10).is_some_and(|scheme| scheme.eq_ignore_ascii_case("otpauth://"));
        if is_otp && item.totp.is_none() {
            apply_totp(&mut item, trimmed, name, &mut warnings);
            if item.totp.is_some() {
                continue;
            }
        }
        if let Some((key, value)) = trimmed.split_once(':') {
            let value = value.trim();
            let key = key.trim().to_ascii_lowercase();
            match key.as_str() {
                "login" | "username" | "user" if item.username.is_empty() && !value.is_empty() => {
                    item.username = value.to_owned();
                    continue;
                }
                "url" | "website" | "site" if !value.is_empty() => {
                    item.urls.push(value.to_owned());
                    continue;
                }
                _ => {}
            }
        }
        notes.push(line);
    }
    while notes.last().is_some_and(|l| l.trim().is_empty()) {
        notes.pop();
    }
    item.notes = notes.join("\n");
    if let Some((folder, _)) = name.rsplit_once('/') {
        push_tag(&mut item, folder);
    }
    // `parse_store` never passes a blank path (hidden names are skipped), but this function is
    // public: a blank name gets the name every importer gives an untitled entry, and so does any
    // warning about it, which must say which entry it is (found by the `import_pass` fuzz
    // target; `import_pass_entry_without_a_name_is_named`).
    if item.name.trim().is_empty() {
        item.name = item_name("", &item.urls);
        for warning in warnings.iter_mut().filter(|w| w.entry.trim().is_empty()) {
            warning.entry.clone_from(&item.name);
        }
    }
    (item, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the "encrypted" files as plaintext, so the walk and parse run without gpg.
    struct Plain;

    impl Decrypt for Plain {
        fn decrypt(&self, file: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
            let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
            if bytes.starts_with(b"BROKEN") {
                return Err("gpg: decryption failed: No secret key".into());
            }
            Ok(Zeroizing::new(bytes))
        }
    }

    #[test]
    fn import_pass_entry_lines() {
        let text = "  pw with spaces \nlogin: alice\nURL: https://example.org/login\n\
                    otpauth://totp/Ex:alice?secret=JBSWY3DPEHPK3PXP&issuer=Ex\nuser: second\n\
                    pin: 1234\nfree text\n\n";
        let (item, warnings) = parse_entry("Web/example.org", text, 7);
        assert!(warnings.is_empty());
        assert_eq!(item.name, "Web/example.org");
        assert_eq!(item.password, "  pw with spaces ");
        assert_eq!(item.username, "alice");
        assert_eq!(item.urls, ["https://example.org/login"]);
        assert!(item.totp.as_deref().unwrap().starts_with("otpauth://totp/Ex:alice?secret=JBSWY3DPEHPK3PXP"));
        assert_eq!(item.notes, "user: second\npin: 1234\nfree text");
        assert_eq!(item.tags, ["Web"]);
        assert_eq!(item.created, 7);
    }

    #[test]
    fn import_pass_bad_totp_stays_in_notes_with_a_warning() {
        let (item, warnings) = parse_entry("bank", "pw\notpauth://hotp/x?secret=JBSWY3DPEHPK3PXP\n", 0);
        assert!(item.totp.is_none());
        assert_eq!(item.notes, "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP", "nothing is lost");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].to_string().starts_with("bank: TOTP secret not imported"), "{}", warnings[0]);
        assert!(item.tags.is_empty());
        let (empty, _) = parse_entry("empty", "", 0);
        assert_eq!((empty.password.as_str(), empty.notes.as_str()), ("", ""));
    }

    #[test]
    fn import_pass_entry_without_a_name_is_named() {
        // The `import_pass` fuzz target's finding: an empty name gave an item with no name and a
        // warning that named no entry.
        let text = "pw\nurl: https://github.com\notpauth://totp/x?secret=JBSWY3DP\0\0EHP\n";
        let (item, warnings) = parse_entry("", text, 0);
        assert_eq!(item.name, "github.com");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].entry, "github.com");
        let (item, _) = parse_entry(" ", "pw\n", 0);
        assert_eq!(item.name, "untitled");
    }

    /// The `import_pass` fuzz target's second finding: a URL whose host is `www.` named the
    /// entry with the empty string that stripping `www.` left, and its warning named no entry.
    #[test]
    fn import_pass_entry_named_from_a_www_only_host_has_a_name() {
        let text = "pw\nurl:.t@www./x\notpauth://ti/t?\n";
        let (item, warnings) = parse_entry("", text, 0);
        assert_eq!(item.name, "www.");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].entry, "www.");
    }

    #[test]
    fn import_pass_store_walk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("Email/work")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join(".gpg-id"), "test@example.org\n").unwrap();
        std::fs::write(root.join(".git/HEAD.gpg"), "not an entry").unwrap();
        std::fs::write(root.join("Email/work/gmail.com.gpg"), "pw1\nlogin: me@gmail.com\n").unwrap();
        std::fs::write(root.join("github.gpg"), "pw2\n").unwrap();
        std::fs::write(root.join("README"), "ignored").unwrap();
        let import = parse_store(root, &Plain, NOW).unwrap();
        let names: Vec<_> = import.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["Email/work/gmail.com", "github"]);
        assert_eq!(import.items[0].tags, ["Email/work"]);
        assert_eq!(import.items[0].username, "me@gmail.com");

        // One entry that cannot be decrypted fails the whole import, naming the file.
        std::fs::write(root.join("locked.gpg"), "BROKEN").unwrap();
        let err = parse_store(root, &Plain, 0).unwrap_err().to_string();
        assert!(
            err.starts_with("cannot decrypt ") && err.contains("locked.gpg: gpg: decryption failed"),
            "{err}"
        );
        std::fs::write(root.join("locked.gpg"), b"pw\n\xff\n").unwrap();
        let err = parse_store(root, &Plain, 0).unwrap_err().to_string();
        assert_eq!(err, "locked: the decrypted entry is not UTF-8 text");
    }

    /// An import time after every file the tests write.
    const NOW: i64 = 4_000_000_000;

    #[test]
    fn import_pass_dates_an_entry_by_its_files_modification_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".gpg-id"), "test@example.org\n").unwrap();
        let file = root.join("plex.tv.gpg");
        std::fs::write(&file, "pw\nurl: https://plex.tv\n").unwrap();
        // Last edited in pass on 2014-05-01T00:00:00Z.
        let edited = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_398_902_400);
        std::fs::File::options().write(true).open(&file).unwrap().set_modified(edited).unwrap();
        let item = &parse_store(root, &Plain, NOW).unwrap().items[0];
        assert_eq!(
            (item.created, item.updated, item.password_changed),
            (1_398_902_400, 1_398_902_400, 1_398_902_400)
        );
        // A time after the import (a clock set wrong) is not believed.
        let item = &parse_store(root, &Plain, 1_000_000_000).unwrap().items[0];
        assert_eq!(item.password_changed, 1_000_000_000);
    }

    #[test]
    fn import_pass_rejects_what_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let err = parse_store(dir.path(), &Plain, 0).unwrap_err().to_string();
        assert!(err.contains("is not a password store"), "{err}");
        let file = dir.path().join("export.csv");
        std::fs::write(&file, "a,b\n").unwrap();
        let err = parse_store(&file, &Plain, 0).unwrap_err().to_string();
        assert!(err.contains("is not a folder"), "{err}");
        let err = parse_store(&dir.path().join("missing"), &Plain, 0).unwrap_err();
        assert!(matches!(err, ImportError::Io { .. }), "{err}");
    }

    #[test]
    fn import_pass_gpg_missing_is_a_clear_error() {
        let err = Gpg::with_program("/nonexistent/gpg").decrypt(Path::new("x.gpg")).unwrap_err();
        assert!(err.contains("was not found; install GnuPG"), "{err}");
    }
}
