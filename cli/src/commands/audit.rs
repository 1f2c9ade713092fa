//! `hush audit`: reused, weak, old and breached passwords and logins without 2FA
//! (issue #5). The analysis is `hush_audit`; this module picks the breach
//! source, prints, and turns findings into exit code 1.
//!
//! Nothing about the vault leaves the machine, except with `--hibp` the first five
//! hex digits of each distinct password's SHA-1. No output names a password.

use anyhow::{Context as _, Result};
use hush_audit::{self as audit, AuditOptions, BreachFindings, NotExposed, PwnedFile, Report, Reuse};
use serde::Serialize;

use crate::breach_list::{self, Loaded, Origin};
use crate::cli::AuditArgs;
use crate::context::Ctx;
use crate::exit::Outcome;
use crate::hibp::Hibp;
use crate::output;

/// Runs `hush audit`.
pub(super) fn run(ctx: &Ctx, args: &AuditArgs) -> Result<Outcome> {
    // Validate what needs no vault first, so a typo fails before the KDF runs.
    let mut hibp = if args.hibp { Some(Hibp::new(args.hibp_url.as_deref())?) } else { None };
    let mut pwned_file = args.pwned_file.as_ref().map(PwnedFile::open).transpose()?;
    let breach_source = (args.breaches || args.breaches_url.is_some() || args.breaches_file.is_some())
        .then(|| breach_list::Source::new(args.breaches_url.as_deref(), args.breaches_file.as_deref()))
        .transpose()?;
    // The list before the master password: an unreachable service or a malformed list fails
    // the audit (issue #14: never a silent "nothing found"), and should not cost a KDF run first.
    // The header check keeps a folder without a vault from getting a cache file.
    let breach_list = match &breach_source {
        Some(source) => {
            ctx.header()?;
            if !args.json {
                eprintln!("{}", source.describe());
            }
            Some(source.load(ctx.profile.dir())?)
        }
        None => None,
    };

    let vault = ctx.open()?;
    let options = AuditOptions { now: hush_vault::now(), max_age_days: args.older_than };
    let mut report = audit::audit(vault.items(), &options);
    let sites = breach_list.map(|loaded| {
        let findings = audit::check_site_breaches(vault.items(), &loaded.list);
        (loaded, findings)
    });
    let source = if let Some(hibp) = hibp.as_mut() {
        if !args.json {
            eprintln!("Asking Have I Been Pwned (only 5-digit SHA-1 prefixes are sent)...");
        }
        report.breached = Some(audit::check_breached(vault.items(), hibp)?);
        Some("hibp")
    } else if let Some(file) = pwned_file.as_mut() {
        let found =
            audit::check_breached(vault.items(), file).context("cannot check the Pwned Passwords file")?;
        report.breached = Some(found);
        Some("pwned-file")
    } else {
        None
    };

    let exposed = sites.as_ref().is_some_and(|(_, f)| !f.exposed.is_empty());
    if args.json {
        let mut json = ReportJson::new(&report, source, options.max_age_days);
        if let Some((loaded, findings)) = &sites {
            json.add_sites(loaded, findings);
        }
        output::json(&json)?;
    } else {
        print_text(&report, &options, vault.len(), sites.as_ref())?;
    }
    // Breached accounts alone do not make the audit fail: nothing can be done about them, and
    // the list never shrinks, so `hush audit || alert` would alert forever.
    Ok(Outcome::findings_if(!report.is_clean() || exposed))
}

/// The `--json` shape: every entry names the item and the reason.
#[derive(Serialize)]
struct ReportJson {
    reused: Vec<Vec<Entry>>,
    weak: Vec<Entry>,
    breached: Vec<Entry>,
    old: Vec<Entry>,
    no_totp: Vec<Entry>,
    /// `"hibp"`, `"pwned-file"`, or null when breaches were not checked (then
    /// `breached` is empty because nobody looked, not because nothing was found).
    breach_check: Option<&'static str>,
    /// Logins whose current password a site's breach exposed, and items reusing it.
    exposed: Vec<ExposedJson>,
    /// Logins on breached sites that need no new password.
    breached_accounts: Vec<AccountJson>,
    /// The breach list consulted, or null without --breaches (then `exposed` and
    /// `breached_accounts` are empty because nobody looked).
    breach_list: Option<ListJson>,
}

/// One exposed item (issue #14).
#[derive(Serialize)]
struct ExposedJson {
    id: String,
    item: String,
    /// The breached site (registrable domain).
    site: String,
    /// The breach's stable name in the list.
    breach: String,
    breach_title: String,
    /// `YYYY-MM-DD`.
    breach_date: String,
    /// RFC 3339.
    password_changed: String,
    data_classes: Vec<String>,
    /// The login on the breached site whose leaked password this item reuses; null when the
    /// item is on the breached site itself.
    reuses: Option<ReuseJson>,
    reason: String,
}

#[derive(Serialize)]
struct ReuseJson {
    id: String,
    item: String,
    /// `"exact"` or `"near"` (differs only in letter case or a trailing number).
    kind: &'static str,
}

/// One login on a breached site that needs no new password.
#[derive(Serialize)]
struct AccountJson {
    id: String,
    item: String,
    site: String,
    breach: String,
    breach_title: String,
    breach_date: String,
    password_changed: String,
    data_classes: Vec<String>,
    /// `"no_passwords"` (the breach held none) or `"changed_after"` (the password is newer).
    why: &'static str,
    reason: String,
}

#[derive(Serialize)]
struct ListJson {
    /// `"download"`, `"cache"` (the server said the cached copy is current) or `"file"`.
    source: &'static str,
    /// The URL or the file.
    location: String,
    /// Breaches that count.
    breaches: usize,
    skipped: SkippedJson,
}

#[derive(Serialize)]
struct SkippedJson {
    fabricated: usize,
    spam_list: usize,
    retired: usize,
    no_domain: usize,
}

/// One finding about one item.
#[derive(Serialize)]
struct Entry {
    id: String,
    name: String,
    reason: String,
    /// zxcvbn's score (weak only).
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<u8>,
    /// Times seen in breaches (breached only).
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    /// Days since the password changed (old only).
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<u64>,
}

impl Entry {
    fn new(item: &audit::ItemRef, reason: String) -> Entry {
        Entry {
            id: item.id.to_string(),
            name: item.name.clone(),
            reason,
            score: None,
            count: None,
            days: None,
        }
    }
}

impl ReportJson {
    fn new(report: &Report, source: Option<&'static str>, max_age_days: u64) -> ReportJson {
        ReportJson {
            reused: report
                .reused
                .iter()
                .map(|group| {
                    group
                        .items
                        .iter()
                        .map(|item| {
                            let others: Vec<&str> = group
                                .items
                                .iter()
                                .filter(|o| o.id != item.id)
                                .map(|o| o.name.as_str())
                                .collect();
                            Entry::new(item, reuse_reason(group.kind, &others))
                        })
                        .collect()
                })
                .collect(),
            weak: report
                .weak
                .iter()
                .map(|w| Entry { score: Some(w.score), ..Entry::new(&w.item, weak_reason(w)) })
                .collect(),
            breached: report
                .breached
                .iter()
                .flatten()
                .map(|b| Entry { count: Some(b.count), ..Entry::new(&b.item, breach_reason(b.count)) })
                .collect(),
            old: report
                .old
                .iter()
                .map(|o| {
                    let reason = format!(
                        "not changed for {} days (since {}; the limit is {max_age_days})",
                        o.days,
                        output::date(o.changed)
                    );
                    Entry { days: Some(o.days), ..Entry::new(&o.item, reason) }
                })
                .collect(),
            no_totp: report
                .no_totp
                .iter()
                .map(|i| Entry::new(i, "a login without a TOTP secret (no 2FA in hush)".to_owned()))
                .collect(),
            breach_check: source,
            exposed: Vec::new(),
            breached_accounts: Vec::new(),
            breach_list: None,
        }
    }

    fn add_sites(&mut self, loaded: &Loaded, findings: &BreachFindings) {
        let skipped = loaded.list.skipped();
        self.breach_list = Some(ListJson {
            source: loaded.origin.kind(),
            location: loaded.origin.location(),
            breaches: loaded.list.breaches().len(),
            skipped: SkippedJson {
                fabricated: skipped.fabricated,
                spam_list: skipped.spam_list,
                retired: skipped.retired,
                no_domain: skipped.no_domain,
            },
        });
        self.exposed = findings
            .exposed
            .iter()
            .map(|e| ExposedJson {
                id: e.item.id.to_string(),
                item: e.item.name.clone(),
                site: e.site.clone(),
                breach: e.breach.name.clone(),
                breach_title: e.breach.title.clone(),
                breach_date: e.breach.date.to_string(),
                password_changed: output::time(e.password_changed),
                data_classes: e.breach.data_classes.clone(),
                reuses: e.reuses.as_ref().map(|r| ReuseJson {
                    id: r.item.id.to_string(),
                    item: r.item.name.clone(),
                    kind: match r.kind {
                        Reuse::Exact => "exact",
                        Reuse::Near => "near",
                    },
                }),
                reason: exposed_reason(e),
            })
            .collect();
        self.breached_accounts = findings
            .breached_accounts
            .iter()
            .map(|a| AccountJson {
                id: a.item.id.to_string(),
                item: a.item.name.clone(),
                site: a.site.clone(),
                breach: a.breach.name.clone(),
                breach_title: a.breach.title.clone(),
                breach_date: a.breach.date.to_string(),
                password_changed: output::time(a.password_changed),
                data_classes: a.breach.data_classes.clone(),
                why: match a.why {
                    NotExposed::NoPasswords => "no_passwords",
                    NotExposed::ChangedAfter => "changed_after",
                },
                reason: account_reason(a),
            })
            .collect();
    }
}

/// Why an item is exposed, in one line (text and JSON).
fn exposed_reason(e: &audit::Exposed) -> String {
    let breach = format!("{} was breached on {} ({})", e.site, e.breach.date, e.breach.title);
    let changed = output::date(e.password_changed);
    // The list has no time of day: a change on the breach date may have come before it.
    let when = if changed.starts_with(&e.breach.date.to_string()) { "on the day of" } else { "before" };
    match &e.reuses {
        None => format!("{breach}; the password was last changed {changed}, {when} the breach"),
        Some(r) if r.item.id == e.item.id => format!(
            "{breach}; its password (changed {changed}) is {} the one that leaked",
            match r.kind {
                Reuse::Exact => "again",
                Reuse::Near => "nearly (letter case or a trailing number)",
            }
        ),
        Some(r) => format!(
            "uses {} password that leaked from {} when {breach}",
            match r.kind {
                Reuse::Exact => "the",
                Reuse::Near => "nearly (but for letter case or a trailing number) the",
            },
            r.item.name
        ),
    }
}

/// Why a login on a breached site needs no new password.
fn account_reason(a: &audit::BreachedAccount) -> String {
    let breach = format!("{} was breached on {} ({})", a.site, a.breach.date, a.breach.title);
    match a.why {
        NotExposed::NoPasswords => format!(
            "{breach}: your account data ({}) was in the breach, but no passwords",
            a.breach.data_classes.join(", ")
        ),
        NotExposed::ChangedAfter => {
            format!(
                "{breach}; the password was changed {}, after the breach",
                output::date(a.password_changed)
            )
        }
    }
}

fn reuse_reason(kind: Reuse, others: &[&str]) -> String {
    match kind {
        Reuse::Exact => format!("same password as {}", others.join(", ")),
        Reuse::Near => format!(
            "nearly the same password as {} (differs only in letter case or a trailing number)",
            others.join(", ")
        ),
    }
}

fn weak_reason(w: &audit::WeakPassword) -> String {
    format!("strength {}/4: {}", w.score, w.reason())
}

fn breach_reason(count: u64) -> String {
    let times = if count == 1 { "once".to_owned() } else { format!("{count} times") };
    format!("found in data breaches ({times}); change it everywhere it is used")
}

fn print_text(
    report: &Report,
    options: &AuditOptions,
    total: usize,
    sites: Option<&(Loaded, BreachFindings)>,
) -> Result<()> {
    let mut sections = 0;
    if let Some((loaded, findings)) = sites {
        print_list_summary(loaded);
        if !findings.exposed.is_empty() {
            sections += 1;
            output::line(format!("Exposed by a site's breach ({})", findings.exposed.len()))?;
            for e in &findings.exposed {
                let command = match &e.reuses {
                    None => format!("hush breach {}", e.site),
                    Some(_) => "hush breach --exposed".to_owned(),
                };
                output::line(format!("  {}  {}  → {command}", e.item.name, exposed_reason(e)))?;
            }
            output::line(
                "  Give them all new passwords, one site at a time: `hush breach --exposed`.\n\
                 \x20 (Items reusing a leaked password are exposed too: the thief has that password.)",
            )?;
        }
        if !findings.breached_accounts.is_empty() {
            output::line(format!(
                "{}Your account data was in a breach, no new password needed ({})",
                if sections > 0 { "\n" } else { "" },
                findings.breached_accounts.len()
            ))?;
            for a in &findings.breached_accounts {
                output::line(format!("  {}  {}", a.item.name, account_reason(a)))?;
            }
        }
        if sections > 0 || !findings.breached_accounts.is_empty() {
            output::line("")?;
        }
    }
    if !report.reused.is_empty() {
        sections += 1;
        let groups = report.reused.len();
        output::line(format!("Reused passwords ({groups} group{})", if groups == 1 { "" } else { "s" }))?;
        for group in &report.reused {
            let names: Vec<&str> = group.items.iter().map(|i| i.name.as_str()).collect();
            let label = match group.kind {
                Reuse::Exact => "same password:  ",
                Reuse::Near => "nearly the same:",
            };
            output::line(format!("  {label} {}", names.join(", ")))?;
        }
        if report.reused.iter().any(|g| g.kind == Reuse::Near) {
            output::line("  (\"nearly the same\" = differs only in letter case or a trailing number)")?;
        }
    }
    if !report.weak.is_empty() {
        sections += 1;
        output::line(format!("\nWeak passwords ({})", report.weak.len()))?;
        for w in &report.weak {
            output::line(format!("  {}  {}", w.item.name, weak_reason(w)))?;
        }
    }
    if let Some(breached) = report.breached.as_ref().filter(|b| !b.is_empty()) {
        sections += 1;
        output::line(format!("\nBreached passwords ({})", breached.len()))?;
        for b in breached {
            output::line(format!("  {}  {}", b.item.name, breach_reason(b.count)))?;
        }
    }
    if !report.old.is_empty() {
        sections += 1;
        output::line(format!(
            "\nOld passwords ({}, not changed for more than {} days)",
            report.old.len(),
            options.max_age_days
        ))?;
        for o in &report.old {
            output::line(format!("  {}  {} days, since {}", o.item.name, o.days, output::date(o.changed)))?;
        }
    }
    if !report.no_totp.is_empty() {
        sections += 1;
        output::line(format!("\nLogins without 2FA ({})", report.no_totp.len()))?;
        let names: Vec<&str> = report.no_totp.iter().map(|i| i.name.as_str()).collect();
        output::line(format!("  {}", names.join(", ")))?;
        output::line("  Enable two-factor authentication on those sites, then `hush edit NAME --totp -`.")?;
    }
    let not_checked = report.breached.is_none();
    if sections == 0 {
        let note = match (not_checked, sites.is_none()) {
            (true, true) => " (breached passwords and sites not checked)",
            (true, false) => " (breached passwords not checked)",
            (false, true) => " (breached sites not checked)",
            (false, false) => "",
        };
        output::line(format!("No problems found in {total} items{note}."))?;
    } else if !report.reused.is_empty() || report.breached.as_ref().is_some_and(|b| !b.is_empty()) {
        output::line("\nReplace reused or breached passwords with `hush breach SITE`.")?;
    }
    if not_checked {
        output::line("Breached passwords were not checked: add --hibp or --pwned-file PATH.")?;
    }
    if sites.is_none() {
        output::line("Breached sites were not checked: add --breaches (or --breaches-file FILE).")?;
    }
    Ok(())
}

/// Which list was used, on stderr (it is not a finding).
fn print_list_summary(loaded: &Loaded) {
    let from = match &loaded.origin {
        Origin::Downloaded { url } => format!("downloaded from {url}"),
        Origin::Cached { url, fetched } => {
            format!("unchanged at {url} since {} (cached copy)", output::date(*fetched))
        }
        Origin::File { path } => format!("from {}", path.display()),
    };
    let skipped = loaded.list.skipped();
    let mut left_out = Vec::new();
    for (n, what) in [
        (skipped.fabricated, "fabricated"),
        (skipped.spam_list, if skipped.spam_list == 1 { "spam list" } else { "spam lists" }),
        (skipped.retired, "retired"),
        (skipped.no_domain, "without a domain"),
    ] {
        if n > 0 {
            left_out.push(format!("{n} {what}"));
        }
    }
    let left_out =
        if left_out.is_empty() { String::new() } else { format!("; left out: {}", left_out.join(", ")) };
    eprintln!("Breach list: {} breached sites, {from}{left_out}.", loaded.list.breaches().len());
}
