//! The breach list and the finding: each list below is in Have I Been Pwned's format, with the
//! fields hush ignores, and each vault holds exactly what a test names.

use hush_crypto::ItemId;
use hush_vault::{Item, ItemKind, PasswordChange};

use super::*;

/// 2015-07-01T00:00:00Z, the day of the test's "Plex" breach.
const PLEX_DAY: i64 = 1_435_708_800;
const DAY: i64 = 86_400;

/// One entry as the service writes it, with fields hush ignores (`PwnCount`, `Description`,
/// `LogoPath`, `IsMalware`, `IsStealerLog`, `IsSubscriptionFree`, `Attribution`, a field the
/// service might add later).
fn entry(name: &str, domain: &str, date: &str, classes: &[&str], flag: &str) -> String {
    let classes: Vec<String> = classes.iter().map(|c| format!("{c:?}")).collect();
    let json = format!(
        r#"{{"Name":"{name}","Title":"{name} title","Domain":"{domain}","BreachDate":"{date}",
        "AddedDate":"2016-01-01T00:00:00Z","ModifiedDate":"2016-01-02T00:00:00Z","PwnCount":12345,
        "Description":"In 2015, <a href=\"https://example.org\">{name}</a> was breached.",
        "DataClasses":[{}],"IsVerified":true,"IsFabricated":false,"IsSensitive":false,
        "IsRetired":false,"IsSpamList":false,"IsMalware":false,"IsStealerLog":false,
        "IsSubscriptionFree":false,"LogoPath":"https://haveibeenpwned.com/Content/Images/PwnedLogos/{name}.png",
        "Attribution":null,"SomeFutureField":{{"nested":[1,2,3]}}}}"#,
        classes.join(",")
    );
    // `flag` (e.g. "IsFabricated") set to true, as the service writes it: each field once.
    if flag.is_empty() {
        json
    } else {
        json.replace(&format!("\"{flag}\":false"), &format!("\"{flag}\":true"))
    }
}

fn list_of(entries: &[String]) -> String {
    format!("[{}]", entries.join(",\n"))
}

/// The list most tests use: Plex with passwords, a later Plex breach without, a forum without
/// passwords, a fabricated, a spam list, a retired entry and one without a domain.
fn sample() -> String {
    list_of(&[
        entry("Plex", "plex.tv", "2015-07-01", &["Email addresses", "Passwords", "Usernames"], ""),
        entry("PlexForum", "forums.plex.tv", "2014-01-01", &["Email addresses", "Passwords"], ""),
        entry("Shop", "shop.example", "2020-03-10", &["Email addresses", "Names"], ""),
        entry("Fake", "fake.example", "2019-01-01", &["Passwords"], "IsFabricated"),
        entry("Spam", "spam.example", "2019-01-01", &["Email addresses"], "IsSpamList"),
        entry("Old", "old.example", "2012-01-01", &["Passwords"], "IsRetired"),
        entry("Combo", "", "2019-01-01", &["Email addresses", "Passwords"], ""),
    ])
}

fn parse(json: &str) -> BreachList {
    BreachList::parse(json.as_bytes()).unwrap()
}

fn login(name: &str, url: &str, password: &str, changed: i64) -> (ItemId, Item) {
    let mut item = Item::new(ItemKind::Login, name, changed);
    item.urls = if url.is_empty() { vec![] } else { vec![url.to_owned()] };
    item.password = password.to_owned();
    item.password_changed = changed;
    (ItemId::random(), item)
}

fn check(items: &[(ItemId, Item)], list: &BreachList) -> BreachFindings {
    check_site_breaches(items.iter().map(|(id, i)| (*id, i)), list)
}

fn exposed_names(f: &BreachFindings) -> Vec<&str> {
    f.exposed.iter().map(|e| e.item.name.as_str()).collect()
}

fn account_names(f: &BreachFindings) -> Vec<(&str, NotExposed)> {
    f.breached_accounts.iter().map(|a| (a.item.name.as_str(), a.why)).collect()
}

#[test]
fn the_real_format_parses_and_flagged_entries_are_skipped() {
    let list = parse(&sample());
    let names: Vec<&str> = list.breaches().iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["Plex", "PlexForum", "Shop"]);
    assert_eq!(
        list.skipped(),
        Skipped { fabricated: 1, spam_list: 1, retired: 1, no_domain: 1 },
        "fabricated, spam-list, retired and domain-less entries are left out and counted"
    );
    let plex = &list.breaches()[0];
    assert_eq!(plex.title, "Plex title");
    assert_eq!(plex.site, "plex.tv");
    assert_eq!(plex.date, jiff::civil::date(2015, 7, 1));
    assert!(plex.has_passwords());
    // A subdomain's breach is matched on its registrable domain.
    assert_eq!(list.breaches()[1].site, "plex.tv");
    assert!(!list.breaches()[2].has_passwords());
}

#[test]
fn a_truncated_list_is_an_error_wherever_it_is_cut() {
    let full = sample();
    for cut in [1, 10, full.len() / 3, full.len() / 2, full.len() - 1] {
        let err = BreachList::parse(&full.as_bytes()[..cut]).unwrap_err();
        assert!(matches!(err, BreachListError::Truncated { bytes } if bytes == cut), "cut at {cut}: {err}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}

#[test]
fn malformed_lists_are_errors_never_an_empty_finding() {
    /// Whether an error is the one a case expects.
    type Expect = fn(&BreachListError) -> bool;
    let cases: &[(&str, Expect)] = &[
        ("<html>Service unavailable</html>", |e| matches!(e, BreachListError::Syntax { .. })),
        ("", |e| matches!(e, BreachListError::Truncated { .. })),
        (r#"{"Name": "Plex"}"#, |e| matches!(e, BreachListError::Shape { .. })),
        (
            r#"[{"Name": "Plex", "Domain": "plex.tv", "DataClasses": []}]"#,
            |e| matches!(e, BreachListError::Shape { reason } if reason.contains("BreachDate")),
        ),
        (
            r#"[{"Name": "Plex", "Domain": "plex.tv", "BreachDate": "2015-07-01"}]"#,
            |e| matches!(e, BreachListError::Shape { reason } if reason.contains("DataClasses")),
        ),
        (
            r#"[{"Name": "Plex", "Domain": "plex.tv", "BreachDate": "last summer", "DataClasses": []}]"#,
            |e| matches!(e, BreachListError::Entry { index: 0, name, .. } if name == "Plex"),
        ),
        (r#"[{"Name": " ", "Domain": "plex.tv", "BreachDate": "2015-07-01", "DataClasses": []}]"#, |e| {
            matches!(e, BreachListError::Entry { .. })
        }),
        ("[]", |e| matches!(e, BreachListError::Empty)),
        ("[1, 2]", |e| matches!(e, BreachListError::Shape { .. })),
    ];
    for (json, expected) in cases {
        let err = BreachList::parse(json.as_bytes()).unwrap_err();
        assert!(expected(&err), "{json:?} gave {err:?}");
    }
    let huge = vec![b' '; usize::try_from(MAX_LIST_BYTES).unwrap() + 1];
    assert!(matches!(BreachList::parse(&huge), Err(BreachListError::TooLarge)));
}

#[test]
fn a_mirror_that_writes_times_instead_of_dates_still_works() {
    let json = list_of(&[entry("Plex", "plex.tv", "2015-07-01T00:00:00Z", &["Passwords"], "")]);
    assert_eq!(parse(&json).breaches()[0].date, jiff::civil::date(2015, 7, 1));
}

#[test]
fn a_login_on_a_breached_subdomain_changed_before_the_breach_is_exposed() {
    let list = parse(&sample());
    let items = vec![login("plex", "https://app.plex.tv/desktop", "leaked-1", PLEX_DAY - 400 * DAY)];
    let f = check(&items, &list);
    assert_eq!(exposed_names(&f), ["plex"]);
    let e = &f.exposed[0];
    assert_eq!(
        (e.site.as_str(), e.breach.name.as_str()),
        ("plex.tv", "Plex"),
        "the newest breach with passwords"
    );
    assert_eq!(e.password_changed, PLEX_DAY - 400 * DAY);
    assert_eq!(e.reuses, None);
    assert!(f.breached_accounts.is_empty(), "an exposed item is not listed twice");
}

#[test]
fn the_breach_day_counts_and_the_day_after_does_not() {
    let list = parse(&sample());
    let items = vec![
        login("on the day, first second", "plex.tv", "pw-a", PLEX_DAY),
        login("on the day, last second", "plex.tv", "pw-b", PLEX_DAY + DAY - 1),
        login("the next day", "plex.tv", "pw-c", PLEX_DAY + DAY),
    ];
    let f = check(&items, &list);
    assert_eq!(exposed_names(&f), ["on the day, first second", "on the day, last second"]);
    assert_eq!(account_names(&f), [("the next day", NotExposed::ChangedAfter)]);
}

#[test]
fn a_breach_without_passwords_is_a_breached_account_not_an_exposure() {
    let list = parse(&sample());
    let items = vec![login("shop", "https://www.shop.example/account", "shop-pw", 0)];
    let f = check(&items, &list);
    assert!(f.exposed.is_empty(), "{f:?}");
    assert_eq!(account_names(&f), [("shop", NotExposed::NoPasswords)]);
    assert_eq!(f.breached_accounts[0].breach.name, "Shop");
}

#[test]
fn skipped_entries_and_look_alike_domains_expose_nothing() {
    let list = parse(&sample());
    let items = vec![
        login("fake", "https://fake.example", "a1", 0),
        login("spam", "https://spam.example", "a2", 0),
        login("retired", "https://old.example", "a3", 0),
        login("look-alike", "https://plex.tv.evil.example", "a4", 0),
        login("other", "https://notplex.tv", "a5", 0),
        login("no url", "", "a6", 0),
    ];
    let f = check(&items, &list);
    assert_eq!(f, BreachFindings::default());
}

#[test]
fn items_reusing_an_exposed_password_are_exposed_too() {
    let list = parse(&sample());
    let mut note = Item::new(ItemKind::Note, "router note", 0);
    note.password = "Leaked-Lantern".into();
    note.password_changed = PLEX_DAY + 900 * DAY;
    let items = vec![
        login("plex", "https://plex.tv", "Leaked-Lantern", PLEX_DAY - DAY),
        login("mail", "https://mail.example", "Leaked-Lantern", PLEX_DAY + 800 * DAY),
        login("bank", "https://bank.example", "leaked-lantern7", PLEX_DAY + 800 * DAY),
        login("unrelated", "https://other.example", "Quiet-Harbour", 0),
        (ItemId::random(), note),
    ];
    let f = check(&items, &list);
    assert_eq!(exposed_names(&f), ["bank", "mail", "plex", "router note"]);
    let by = |n: &str| f.exposed.iter().find(|e| e.item.name == n).unwrap();
    assert_eq!(
        by("mail").reuses.as_ref().map(|r| (r.item.name.as_str(), r.kind)),
        Some(("plex", Reuse::Exact))
    );
    assert_eq!(
        by("bank").reuses.as_ref().map(|r| (r.item.name.as_str(), r.kind)),
        Some(("plex", Reuse::Near))
    );
    assert_eq!(by("router note").reuses.as_ref().unwrap().item.name, "plex");
    assert_eq!((by("mail").site.as_str(), by("mail").breach.name.as_str()), ("plex.tv", "Plex"));
}

#[test]
fn a_password_changed_after_the_breach_but_still_used_elsewhere_exposes_the_other_item() {
    let list = parse(&sample());
    let mut plex = login("plex", "https://plex.tv", "New-Harbour-Song", PLEX_DAY + 30 * DAY);
    // It had "Old-Leaked-Pass" from long before the breach until 30 days after it.
    plex.1.history = vec![
        PasswordChange { password: "Older-Still".into(), replaced_at: PLEX_DAY - 700 * DAY },
        PasswordChange { password: "Old-Leaked-Pass".into(), replaced_at: PLEX_DAY + 30 * DAY },
    ];
    let items = vec![
        plex,
        login("forum", "https://forum.example", "Old-Leaked-Pass", PLEX_DAY + 100 * DAY),
        login("ancient", "https://ancient.example", "Older-Still", 0),
    ];
    let f = check(&items, &list);
    assert_eq!(exposed_names(&f), ["forum"], "only the password in use on the breach day leaked");
    assert_eq!(f.exposed[0].reuses.as_ref().unwrap().item.name, "plex");
    assert_eq!(account_names(&f), [("plex", NotExposed::ChangedAfter)]);
}

#[test]
fn a_new_password_that_only_bumps_the_number_of_the_leaked_one_is_exposed() {
    let list = parse(&sample());
    let mut plex = login("plex", "https://plex.tv", "Summer-Lantern8", PLEX_DAY + 30 * DAY);
    plex.1.history =
        vec![PasswordChange { password: "Summer-Lantern7".into(), replaced_at: PLEX_DAY + 30 * DAY }];
    let mut back = login("back again", "https://app.plex.tv", "Went-Back-Again", PLEX_DAY + 60 * DAY);
    back.1.history = vec![
        PasswordChange { password: "Went-Back-Again".into(), replaced_at: PLEX_DAY + 30 * DAY },
        PasswordChange { password: "Interim-Choice".into(), replaced_at: PLEX_DAY + 60 * DAY },
    ];
    let f = check(&[plex, back], &list);
    assert_eq!(exposed_names(&f), ["back again", "plex"]);
    let reuse = |i: usize| f.exposed[i].reuses.as_ref().map(|r| (r.item.name.clone(), r.kind));
    assert_eq!(reuse(0), Some(("back again".into(), Reuse::Exact)), "changed back to the leaked one");
    assert_eq!(reuse(1), Some(("plex".into(), Reuse::Near)), "its own leaked password, one number up");
}

#[test]
fn deleted_items_and_items_without_a_password_are_ignored() {
    let list = parse(&sample());
    let mut gone = login("gone", "https://plex.tv", "x-1", 0);
    gone.1.deleted = true;
    let empty = login("sso", "https://plex.tv", "", 0);
    assert_eq!(check(&[gone, empty], &list), BreachFindings::default());
}

#[test]
fn findings_are_sorted_by_name_and_never_hold_a_password() {
    let list = parse(&sample());
    let items = vec![
        login("Zulu", "plex.tv", "secret-z", 0),
        login("alpha", "plex.tv", "secret-a", 0),
        login("Mike", "shop.example", "secret-m", 0),
        login("bravo", "shop.example", "secret-b", 0),
    ];
    let f = check(&items, &list);
    assert_eq!(exposed_names(&f), ["alpha", "Zulu"]);
    assert_eq!(account_names(&f), [("bravo", NotExposed::NoPasswords), ("Mike", NotExposed::NoPasswords)]);
    let shown = format!("{f:?}");
    assert!(!shown.contains("secret-"), "{shown}");
}

/// The history keeps each password once (issue #10), so a leaked password brought back with
/// `hush history --restore` leaves the history: the item's own dates must still expose it.
#[test]
fn a_leaked_password_restored_from_the_history_is_exposed() {
    let list = parse(&sample());
    let (id, mut plex) = login("plex", "https://plex.tv", "Leaked-Lantern", PLEX_DAY - 100 * DAY);
    plex.created = PLEX_DAY - 100 * DAY;
    plex.set_password("After-The-Breach".into(), PLEX_DAY + 30 * DAY);
    assert!(check(&[(id, plex.clone())], &list).exposed.is_empty(), "changed after the breach");
    assert!(plex.restore_password(1, PLEX_DAY + 60 * DAY));
    assert_eq!(plex.password, "Leaked-Lantern");
    let mail = login("mail", "https://mail.example", "Leaked-Lantern", PLEX_DAY + 90 * DAY);
    let f = check(&[(id, plex), mail], &list);
    assert_eq!(exposed_names(&f), ["mail", "plex"], "the leaked password is back in use");
    assert!(f.exposed[1].reuses.is_none(), "plex's own password was in use on the breach day");
}
