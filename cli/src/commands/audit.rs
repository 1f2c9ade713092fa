//! `hush audit`: reused, weak, old and breached passwords and logins without 2FA
//! (issue #5). The analysis is `hush_audit`; this module picks the breach
//! source, prints, and turns findings into exit code 1.
//!
//! Nothing about the vault leaves the machine, except with `--hibp` the first five
//! hex digits of each distinct password's SHA-1. No output names a password.

use anyhow::{Context as _, Result};
use hush_audit::{self as audit, AuditOptions, PwnedFile, Report, Reuse};
use serde::Serialize;

use crate::cli::AuditArgs;
use crate::context::Ctx;
use crate::exit::Outcome;
use crate::hibp::Hibp;
use crate::output;

/// Runs `hush audit`.
pub fn run(ctx: &Ctx, args: &AuditArgs) -> Result<Outcome> {
    // Validate what needs no vault first, so a typo fails before the KDF runs.
    let mut hibp = if args.hibp { Some(Hibp::new(args.hibp_url.as_deref())?) } else { None };
    let mut pwned_file = args.pwned_file.as_ref().map(PwnedFile::open).transpose()?;

    let vault = ctx.open()?;
    let options = AuditOptions { now: hush_vault::now(), max_age_days: args.older_than };
    let mut report = audit::audit(vault.items(), &options);
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

    if args.json {
        output::json(&ReportJson::new(&report, source, options.max_age_days))?;
    } else {
        print_text(&report, &options, vault.len())?;
    }
    Ok(Outcome::findings_if(!report.is_clean()))
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

fn print_text(report: &Report, options: &AuditOptions, total: usize) -> Result<()> {
    let mut sections = 0;
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
        let note = if not_checked { " (breaches not checked)" } else { "" };
        output::line(format!("No problems found in {total} items{note}."))?;
    } else if !report.reused.is_empty() || report.breached.as_ref().is_some_and(|b| !b.is_empty()) {
        output::line("\nReplace reused or breached passwords with `hush breach SITE`.")?;
    }
    if not_checked {
        output::line("Breaches were not checked: add --hibp or --pwned-file PATH.")?;
    }
    Ok(())
}
