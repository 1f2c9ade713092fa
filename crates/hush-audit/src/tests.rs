//! Audit unit tests: each vault below is built to contain exactly the findings a
//! test names, and each [`PwnedFile`] test generates its own sorted file.

use std::io::Write;

use hush_crypto::ItemId;

use super::*;

const DAY: i64 = 86_400;
const NOW: i64 = 1_800_000_000;

/// A strong, unique password for item `n` (zxcvbn scores these 4).
fn strong(n: u32) -> String {
    format!("vN7#qL2!x{n}Rz9@pW4$kT6-{n}")
}

fn login(name: &str, password: &str) -> (ItemId, Item) {
    let mut item = Item::new(ItemKind::Login, name, NOW - DAY);
    item.password = password.to_owned();
    item.password_changed = NOW - DAY;
    item.totp = Some("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".to_owned());
    (ItemId::random(), item)
}

fn run(items: &[(ItemId, Item)]) -> Report {
    audit(items.iter().map(|(id, i)| (*id, i)), &AuditOptions { now: NOW, max_age_days: 365 })
}

fn names(refs: &[ItemRef]) -> Vec<&str> {
    refs.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn a_clean_vault_has_no_findings() {
    let items = vec![login("a", &strong(1)), login("b", &strong(2)), login("c", &strong(3))];
    let report = run(&items);
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.breached, None, "no breach source was consulted");
}

#[test]
fn exact_reuse_is_grouped_by_name() {
    let shared = strong(7);
    let items = vec![
        login("zeta", &shared),
        login("Alpha", &shared),
        login("mid", &strong(1)),
        login("beta", &shared),
        login("x", &strong(2)),
        login("y", &strong(2)),
    ];
    let report = run(&items);
    assert_eq!(report.reused.len(), 2, "{:?}", report.reused);
    assert!(report.reused.iter().all(|g| g.kind == Reuse::Exact));
    // Groups are ordered by their first name, not by password.
    assert_eq!(names(&report.reused[0].items), ["Alpha", "beta", "zeta"]);
    assert_eq!(names(&report.reused[1].items), ["x", "y"]);
}

#[test]
fn near_reuse_catches_a_trailing_number_and_a_changed_case() {
    let items = vec![
        login("mail", "Correct-Horse-Lantern7"),
        login("mail-old", "correct-horse-lantern8"),
        login("shop", "CORRECT-HORSE-LANTERN"),
        login("shop2", "CORRECT-HORSE-LANTERN"),
        login("other", &strong(1)),
    ];
    let report = run(&items);
    let exact: Vec<_> = report.reused.iter().filter(|g| g.kind == Reuse::Exact).collect();
    let near: Vec<_> = report.reused.iter().filter(|g| g.kind == Reuse::Near).collect();
    assert_eq!(exact.len(), 1);
    assert_eq!(names(&exact[0].items), ["shop", "shop2"]);
    assert_eq!(near.len(), 1);
    assert_eq!(names(&near[0].items), ["mail", "mail-old", "shop", "shop2"]);
    // Exact groups come before near groups.
    assert_eq!(report.reused[0].kind, Reuse::Exact);
}

#[test]
fn near_keys_normalise_case_and_trailing_digits_only() {
    assert_eq!(near_key("Summer-Lantern2024").as_ref().map(NearKey::as_str), Some("summer-lantern"));
    assert_eq!(near_key("ABCD").as_ref().map(NearKey::as_str), Some("abcd"));
    // Digits inside are kept; only the trailing run goes.
    assert_eq!(near_key("a1b2c3d4").as_ref().map(NearKey::as_str), Some("a1b2c3d"));
    // Too short a stem: PINs and tiny passwords do not group.
    assert!(near_key("1234").is_none());
    assert!(near_key("abc12").is_none());
    // Non-ASCII letters are lower-cased too.
    assert!(near_key("ÉTÉ-Sommer1") == near_key("été-sommer2"));
}

#[test]
fn identical_near_keys_without_different_passwords_are_not_a_near_group() {
    let items = vec![login("a", "Correct-Horse-Lantern7"), login("b", "Correct-Horse-Lantern7")];
    let report = run(&items);
    assert_eq!(report.reused.len(), 1);
    assert_eq!(report.reused[0].kind, Reuse::Exact);
}

#[test]
fn weak_passwords_have_a_score_and_a_reason() {
    let items = vec![login("router", "password1"), login("fine", &strong(1)), login("github", "github2024")];
    let report = run(&items);
    assert_eq!(names(&report.weak.iter().map(|w| w.item.clone()).collect::<Vec<_>>()), ["github", "router"]);
    for weak in &report.weak {
        assert!(weak.score < WEAK_BELOW_SCORE);
        assert!(!weak.reason().is_empty());
        assert!(!weak.truncated);
    }
    let router = report.weak.iter().find(|w| w.item.name == "router").unwrap();
    assert!(router.reason().contains("common"), "{}", router.reason());
    // Nothing in the report repeats the password.
    assert!(!format!("{report:?}").contains("password1"));
}

#[test]
fn the_item_name_counts_against_the_password() {
    // "plexmediaserver" alone is not a dictionary word, but it is this item's name.
    let items = vec![login("plexmediaserver", "plexmediaserver")];
    assert_eq!(run(&items).weak.len(), 1);
}

#[test]
fn very_long_passwords_are_evaluated_on_their_first_hundred_characters() {
    let long_weak = "a".repeat(10_000);
    let long_strong = format!("{}{}", strong(1), "a".repeat(10_000));
    let items = vec![login("long-weak", &long_weak), login("long-strong", &long_strong)];
    let start = std::time::Instant::now();
    let report = run(&items);
    assert!(start.elapsed() < std::time::Duration::from_secs(5), "the length cap bounds the work");
    assert_eq!(report.weak.len(), 1);
    assert!(report.weak[0].truncated);
    assert!(report.weak[0].reason().contains("first 100 characters"), "{}", report.weak[0].reason());
}

#[test]
fn weak_findings_keep_their_order_when_estimated_on_several_threads() {
    // Enough items for the estimates to be spread over threads (when the machine
    // has more than one core); the weak ones are every 37th, by name.
    let items: Vec<_> = (0..150)
        .map(|i| {
            let name = format!("item-{i:04}");
            if i % 37 == 0 { login(&name, "password1") } else { login(&name, &strong(i)) }
        })
        .collect();
    let report = run(&items);
    let weak: Vec<String> = report.weak.iter().map(|w| w.item.name.clone()).collect();
    let expected: Vec<String> = (0..150).step_by(37).map(|i| format!("item-{i:04}")).collect();
    assert_eq!(weak, expected);
}

#[test]
fn old_passwords_are_those_unchanged_for_longer_than_the_limit() {
    let mut items = vec![login("fresh", &strong(1)), login("ancient", &strong(2)), login("edge", &strong(3))];
    items[1].1.password_changed = NOW - 400 * DAY;
    items[2].1.password_changed = NOW - 365 * DAY; // exactly the limit: not older
    let report = run(&items);
    assert_eq!(report.old.len(), 1);
    assert_eq!(report.old[0].item.name, "ancient");
    assert_eq!(report.old[0].days, 400);
    assert_eq!(report.old[0].changed, NOW - 400 * DAY);
    let strict = audit(items.iter().map(|(id, i)| (*id, i)), &AuditOptions { now: NOW, max_age_days: 0 });
    assert_eq!(strict.old.len(), 3);
}

#[test]
fn logins_without_totp_are_listed_and_other_kinds_are_not() {
    let mut items =
        vec![login("with", &strong(1)), login("without", &strong(2)), login("empty-uri", &strong(3))];
    items[1].1.totp = None;
    items[2].1.totp = Some(String::new());
    let (id, mut card) = login("card", &strong(4));
    card.kind = ItemKind::Card;
    card.totp = None;
    items.push((id, card));
    let report = run(&items);
    assert_eq!(names(&report.no_totp), ["empty-uri", "without"]);
}

#[test]
fn items_without_a_password_and_tombstones_are_ignored() {
    let mut items = vec![login("nopw", ""), login("nopw2", ""), login("gone", "password1")];
    items[0].1.totp = None;
    items[2].1.deleted = true;
    let report = run(&items);
    assert!(report.is_clean(), "{report:?}");
}

#[test]
fn sharing_password_finds_exact_and_near_matches() {
    let items = [
        login("plex", "Correct-Horse-Lantern7"),
        login("netflix", "Correct-Horse-Lantern7"),
        login("mail", "correct-horse-lantern8"),
        login("bank", &strong(1)),
        login("empty", ""),
    ];
    let ids = sharing_password(items.iter().map(|(id, i)| (*id, i)), &["Correct-Horse-Lantern7"]);
    let found: Vec<&str> =
        ids.iter().map(|id| items.iter().find(|(i, _)| i == id).unwrap().1.name.as_str()).collect();
    assert_eq!(found, ["mail", "netflix", "plex"]);
    assert!(sharing_password(items.iter().map(|(id, i)| (*id, i)), &[""]).is_empty());
}

// ---------------------------------------------------------------- breach sources

/// A source that answers from a fixed list and records what it was asked.
struct Fixed {
    known: Vec<(PwnedHash, u64)>,
    asked: Vec<PwnedHash>,
}

impl PwnedSource for Fixed {
    type Error = std::io::Error;
    fn counts(&mut self, hashes: &[PwnedHash]) -> Result<Vec<u64>, std::io::Error> {
        self.asked.extend(hashes.iter().cloned());
        Ok(hashes.iter().map(|h| self.known.iter().find(|(k, _)| k == h).map_or(0, |(_, c)| *c)).collect())
    }
}

#[test]
fn check_breached_hashes_each_distinct_password_once() {
    let items = [login("a", "hunter2"), login("b", "hunter2"), login("c", &strong(1)), login("d", "")];
    let mut source = Fixed { known: vec![(PwnedHash::of("hunter2"), 17_000)], asked: Vec::new() };
    let found = check_breached(items.iter().map(|(id, i)| (*id, i)), &mut source).unwrap();
    assert_eq!(source.asked.len(), 2, "two distinct non-empty passwords");
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].item.name.as_str(), found[0].count), ("a", 17_000));
    assert_eq!(found[1].item.name, "b");
}

#[test]
fn pwned_hash_matches_the_published_sha1_and_hides_itself() {
    // SHA-1("password"), as in the Pwned Passwords documentation.
    let h = PwnedHash::of("password");
    assert_eq!(&*h.to_hex(), "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8");
    assert_eq!(h.prefix(), "5BAA6");
    assert_eq!(&*h.suffix(), "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
    assert_eq!(format!("{h:?}"), "PwnedHash(5BAA6…)");
}

/// Writes `lines` (already formatted) to a temporary file.
fn pwned_file(lines: &[String], ending: &str, final_newline: bool) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    let mut text = lines.join(ending);
    if final_newline {
        text.push_str(ending);
    }
    f.write_all(text.as_bytes()).unwrap();
    f.flush().unwrap();
    f
}

/// `n` distinct sorted hashes spread over the whole range, each with count i + 1.
fn sorted_hashes(n: usize) -> Vec<PwnedHash> {
    let mut hashes: Vec<PwnedHash> = (0..n).map(|i| PwnedHash::of(&format!("generated-{i}"))).collect();
    hashes.sort();
    hashes
}

fn lines_of(hashes: &[PwnedHash]) -> Vec<String> {
    hashes.iter().enumerate().map(|(i, h)| format!("{}:{}", &*h.to_hex(), i + 1)).collect()
}

#[test]
fn pwned_file_finds_every_line_including_the_first_and_the_last() {
    let hashes = sorted_hashes(1_000);
    for (ending, final_newline) in [("\n", true), ("\r\n", true), ("\n", false), ("\r\n", false)] {
        let file = pwned_file(&lines_of(&hashes), ending, final_newline);
        let mut pwned = PwnedFile::open(file.path()).unwrap();
        for (i, h) in hashes.iter().enumerate() {
            assert_eq!(pwned.count(h).unwrap(), i as u64 + 1, "line {i} ({ending:?}, {final_newline})");
        }
    }
}

#[test]
fn pwned_file_reports_absent_hashes_as_zero() {
    let hashes = sorted_hashes(500);
    let file = pwned_file(&lines_of(&hashes), "\r\n", true);
    let mut pwned = PwnedFile::open(file.path()).unwrap();
    let mut absent: Vec<PwnedHash> = (0..200).map(|i| PwnedHash::of(&format!("absent-{i}"))).collect();
    // Below the first line and above the last one too.
    absent.push(PwnedHash([0; 20]));
    absent.push(PwnedHash([0xff; 20]));
    for h in &absent {
        assert_eq!(pwned.count(h).unwrap(), 0, "{h:?}");
    }
    assert_eq!(pwned.counts(&absent).unwrap(), vec![0; absent.len()]);
}

#[test]
fn pwned_file_with_one_line() {
    let h = PwnedHash::of("password");
    let file = pwned_file(&[format!("{}:3861493", &*h.to_hex())], "\n", false);
    let mut pwned = PwnedFile::open(file.path()).unwrap();
    assert_eq!(pwned.count(&h).unwrap(), 3_861_493);
    assert_eq!(pwned.count(&PwnedHash::of("other")).unwrap(), 0);
}

#[test]
fn pwned_file_accepts_lower_case_hex() {
    let hashes = sorted_hashes(100);
    let lines: Vec<String> = lines_of(&hashes).into_iter().map(|l| l.to_lowercase()).collect();
    let file = pwned_file(&lines, "\n", true);
    let mut pwned = PwnedFile::open(file.path()).unwrap();
    assert_eq!(pwned.count(&hashes[42]).unwrap(), 43);
}

#[test]
fn pwned_file_rejects_a_malformed_line_on_the_way() {
    let hashes = sorted_hashes(64);
    let mut lines = lines_of(&hashes);
    lines[32] = "this line is not a hash at all, just some text".to_owned();
    let file = pwned_file(&lines, "\n", true);
    let mut pwned = PwnedFile::open(file.path()).unwrap();
    // The search for a hash next to the bad line must look at it, and says so.
    let err = pwned.count(&hashes[32]).unwrap_err();
    assert!(matches!(err, PwnedFileError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("malformed at byte"), "{err}");
    // A hash whose search never touches the bad line is still found.
    assert_eq!(pwned.count(&hashes[0]).unwrap(), 1);
}

#[test]
fn pwned_file_rejects_the_wrong_file_at_open() {
    // The NTLM variant has 32-digit hashes.
    let ntlm = pwned_file(&["8846F7EAEE8FB117AD06BDD830B7586C:3".to_owned()], "\n", true);
    assert!(matches!(PwnedFile::open(ntlm.path()), Err(PwnedFileError::Malformed { offset: 0, .. })));
    let missing_count = pwned_file(&[PwnedHash::of("x").to_hex().to_string()], "\n", true);
    assert!(matches!(PwnedFile::open(missing_count.path()), Err(PwnedFileError::Malformed { .. })));
    let empty = pwned_file(&[], "\n", false);
    assert!(matches!(PwnedFile::open(empty.path()), Err(PwnedFileError::Empty { .. })));
    let binary = pwned_file(&["\u{0}".repeat(1000)], "", false);
    assert!(matches!(PwnedFile::open(binary.path()), Err(PwnedFileError::Malformed { .. })));
    assert!(matches!(PwnedFile::open("/nonexistent/pwned.txt"), Err(PwnedFileError::Io { .. })));
}

#[test]
fn pwned_file_drives_check_breached() {
    let items = [login("a", "password"), login("b", &strong(1))];
    let mut hashes = sorted_hashes(300);
    hashes.push(PwnedHash::of("password"));
    hashes.sort();
    let lines: Vec<String> = hashes
        .iter()
        .map(|h| format!("{}:{}", &*h.to_hex(), if *h == PwnedHash::of("password") { 42 } else { 1 }))
        .collect();
    let file = pwned_file(&lines, "\r\n", true);
    let mut pwned = PwnedFile::open(file.path()).unwrap();
    let found = check_breached(items.iter().map(|(id, i)| (*id, i)), &mut pwned).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].item.name.as_str(), found[0].count), ("a", 42));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// The byte-offset search agrees with a plain set lookup for any sorted file:
    /// any size, either line ending, with or without a final line end.
    #[test]
    fn pwned_file_agrees_with_a_set(
        seeds in proptest::collection::btree_set(0u32..5_000, 1..200),
        probes in proptest::collection::vec(0u32..5_000, 1..50),
        crlf: bool,
        final_newline: bool,
    ) {
        let mut hashes: Vec<PwnedHash> = seeds.iter().map(|s| PwnedHash::of(&s.to_string())).collect();
        hashes.sort();
        let file = pwned_file(&lines_of(&hashes), if crlf { "\r\n" } else { "\n" }, final_newline);
        let mut pwned = PwnedFile::open(file.path()).unwrap();
        for p in probes {
            let h = PwnedHash::of(&p.to_string());
            let expected = hashes.iter().position(|x| *x == h).map_or(0, |i| i as u64 + 1);
            proptest::prop_assert_eq!(pwned.count(&h).unwrap(), expected);
        }
    }
}
