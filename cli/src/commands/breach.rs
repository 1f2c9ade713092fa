//! `hush breach SITE`: the breach-notice flow (docs/audit-and-breach.md, "`hush breach`";
//! issue #5).
//!
//! 1. Find the login(s) for SITE and every other login whose password is the same
//!    or nearly the same (`hush_audit::sharing_password`).
//! 2. Give each a new unique password from its own generator settings, keep the old
//!    one in history, mark it "rotation pending" — and save, in one update, *before*
//!    anything is shown or copied. An interruption from then on loses nothing: the
//!    new passwords are in the vault, the old ones in history, and `hush breach
//!    --status` lists what is left.
//! 3. Walk the user through the items one by one (copy, show, open the site), and
//!    clear "pending" for each the user confirms — a save per confirmation.
//! 4. Offer to add a TOTP secret to every item that has none.
//!
//! Without a terminal, step 3 is left to `hush breach --confirm QUERY`, unless
//! `--yes` says the caller changes the passwords itself.

use std::io::BufRead as _;
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};
use hush_audit::sharing_password;
use hush_crypto::{ItemId, KeyRing};
use hush_vault::{Editor, Item, ItemKind, ItemLookup, Matches, Vault, host_of, now};
use zeroize::Zeroizing;

use super::fields;
use crate::cli::{BreachArgs, GenOptions};
use crate::context::{Ctx, find_one};
use crate::exit::Outcome;
use crate::{output, prompt};

/// How many fresh passwords may collide with one already in the vault before we
/// conclude the item's generator settings allow too few passwords.
const MAX_GENERATE_ATTEMPTS: usize = 100;

/// Runs `hush breach`.
pub(super) fn run(ctx: &Ctx, args: &BreachArgs) -> Result<Outcome> {
    if args.status {
        return status(ctx, args.json);
    }
    if let Some(query) = &args.confirm {
        return confirm(ctx, query).map(|()| Outcome::Done);
    }
    if args.exposed {
        return exposed(ctx, args);
    }
    let site = args.site.as_deref().context("name the breached site")?;
    rotate(ctx, args, &|vault: &Vault| plan(vault, site))
}

/// `hush breach --exposed` (issue #14): every login `hush audit --breaches` reports as exposed,
/// through the same flow as `hush breach SITE`.
fn exposed(ctx: &Ctx, args: &BreachArgs) -> Result<Outcome> {
    let source =
        crate::breach_list::Source::new(args.breaches_url.as_deref(), args.breaches_file.as_deref())?;
    ctx.header()?;
    if !args.json {
        eprintln!("{}", source.describe());
    }
    let loaded = source.load(ctx.profile.dir())?;
    rotate(ctx, args, &|vault: &Vault| plan_exposed(vault, &loaded.list))
}

/// One item of a breach session, as saved.
struct Rotation {
    id: ItemId,
    /// Why it is rotated, for the list and for `--json`.
    why: String,
    name: String,
    username: String,
    url: Option<String>,
    password: Zeroizing<String>,
    has_totp: bool,
    /// Already pending from an earlier, unfinished session: it kept the password
    /// generated then (which the user may already have set on the site).
    resumed: bool,
}

/// Decides what a session rotates, from the vault as it is (called again under the writers'
/// lock, so that the save acts on what it read).
type Planner<'a> = dyn Fn(&Vault) -> Result<Plan> + 'a;

fn rotate(ctx: &Ctx, args: &BreachArgs, planner: &Planner<'_>) -> Result<Outcome> {
    // `--json` is for scripts: no questions, no walk-through (like a run without a terminal).
    let interactive = prompt::interactive() && !args.json;
    // The key once: the session saves several times and must not ask for the
    // master password again each time.
    let key = ctx.key_ring(&ctx.header()?)?;

    if args.exposed {
        // Nothing to do is not an error: say so, and point at rotations left from before.
        let vault = ctx.open_with_key(key.clone())?;
        let plan = planner(&vault)?;
        if plan.targets.is_empty() {
            let pending = vault.items().filter(|(_, i)| i.rotation_pending).count();
            if args.json {
                output::json(
                    &serde_json::json!({ "rotated": [], "update_yourself": plan.others, "pending": pending }),
                )?;
            } else {
                eprintln!("No login is exposed by a known breach.");
                if !plan.others.is_empty() {
                    eprintln!(
                        "Not a login, but holding a leaked password — change it yourself: {}",
                        plan.others.join(", ")
                    );
                }
                if pending > 0 {
                    eprintln!("{pending} rotation{} still pending: `hush breach --status`.", plural(pending));
                }
            }
            return Ok(Outcome::findings_if(pending > 0 || !plan.others.is_empty()));
        }
    }

    if interactive && !args.yes {
        let vault = ctx.open_with_key(key.clone())?;
        let plan = planner(&vault)?;
        eprintln!("New passwords will be generated for:");
        for id in &plan.targets {
            let item = vault.get(id).expect("planned items exist");
            let pending =
                if item.rotation_pending { ", already pending: keeps its new password" } else { "" };
            eprintln!("  {}  ({}{pending})", item.name, plan.why(id));
        }
        if !prompt::confirm("Go ahead?")? {
            eprintln!("Nothing changed.");
            return Ok(Outcome::Done);
        }
    }

    let t = now();
    let (rotations, others) = save_with_key(ctx, &key, |vault| {
        let plan = planner(vault)?;
        let mut rotations = Vec::with_capacity(plan.targets.len());
        let mut fresh: Vec<Zeroizing<String>> = Vec::new();
        for id in &plan.targets {
            let item = vault.get(id).expect("planned items exist");
            let resumed = item.rotation_pending;
            let password = if resumed {
                Zeroizing::new(item.password.clone())
            } else {
                let pw = unique_password(vault, item, &fresh, &ctx.config)?;
                fresh.push(pw.clone());
                // Checked: the old password goes to the history, which makes the item larger.
                vault.try_update(id, t, |it| {
                    it.set_password(pw.to_string(), t);
                    it.rotation_pending = true;
                })?;
                pw
            };
            let item = vault.get(id).expect("planned items exist");
            rotations.push(Rotation {
                id: *id,
                why: plan.why(id),
                name: item.name.clone(),
                username: item.username.clone(),
                url: item.urls.first().cloned(),
                password,
                has_totp: item.has_totp(),
                resumed,
            });
        }
        Ok((rotations, plan.others))
    })?;

    let names: Vec<&str> = rotations.iter().map(|r| r.name.as_str()).collect();
    eprintln!(
        "Saved new passwords for {} item{} (the old ones are in history): {}",
        rotations.len(),
        plural(rotations.len()),
        names.join(", ")
    );
    if rotations.iter().any(|r| r.resumed) {
        let resumed: Vec<&str> = rotations.iter().filter(|r| r.resumed).map(|r| r.name.as_str()).collect();
        eprintln!("Already pending from an earlier run, kept as they were: {}", resumed.join(", "));
    }
    if !others.is_empty() {
        eprintln!(
            "Not a login, so not changed — update the password in these yourself: {}",
            others.join(", ")
        );
    }

    // Printed as a list unless the walk-through below shows them one at a time.
    if args.print && (args.yes || !interactive) {
        for r in &rotations {
            output::line(format_args!("{}\t{}\t{}", r.id, r.name, &*r.password))?;
        }
    }

    if args.yes {
        let ids: Vec<ItemId> = rotations.iter().map(|r| r.id).collect();
        let t = now();
        edit_with_key(ctx, &key, |vault| {
            for id in &ids {
                vault.update(id, t, |it| it.rotation_pending = false)?;
            }
            Ok(())
        })?;
        eprintln!("Marked {} as changed on the site{} (--yes).", names.join(", "), plural(names.len()));
        remind_totp(rotations.iter().filter(|r| !r.has_totp).map(|r| r.name.as_str()));
    }

    if args.json {
        // Names, ids and reasons; never a password.
        let rotated: Vec<_> = rotations
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id.to_string(),
                    "name": r.name,
                    "why": r.why,
                    "resumed": r.resumed,
                    "has_totp": r.has_totp,
                })
            })
            .collect();
        let pending = if args.yes { 0 } else { rotations.len() };
        output::json(
            &serde_json::json!({ "rotated": rotated, "update_yourself": others, "pending": pending }),
        )?;
        return Ok(Outcome::findings_if(pending > 0));
    }
    if args.yes {
        return Ok(Outcome::Done);
    }

    if !interactive {
        eprintln!(
            "No terminal: the items are pending rotation. Change each password on its site \
             (`hush get NAME --field password`), then run `hush breach --confirm NAME`; \
             `hush breach --status` lists what is left."
        );
        return Ok(Outcome::Findings);
    }

    walk_through(ctx, &key, &rotations, args.print)
}

/// What a breach affects.
struct Plan {
    /// The logins the breach reached directly: the site's own, or (`--exposed`) the exposed
    /// ones, with why.
    seeds: Vec<(ItemId, String)>,
    /// The seeds, then every other login that shares (or nearly shares) their
    /// password, each sorted by name.
    targets: Vec<ItemId>,
    /// Names of non-login items with the same password (not rotated).
    others: Vec<String>,
}

impl Plan {
    /// Why `id` is rotated.
    fn why(&self, id: &ItemId) -> String {
        self.seeds
            .iter()
            .find(|(seed, _)| seed == id)
            .map_or_else(|| "shares its password".to_owned(), |(_, why)| why.clone())
    }

    /// The seeds, every other login sharing a `leaked` password, and the non-logins that do.
    fn new(vault: &Vault, seeds: Vec<(ItemId, String)>, leaked: &[&str]) -> Plan {
        let mut targets: Vec<ItemId> = seeds.iter().map(|(id, _)| *id).collect();
        let mut others = Vec::new();
        for id in sharing_password(vault.items(), leaked) {
            if targets.contains(&id) {
                continue;
            }
            let item = vault.get(&id).expect("found items exist");
            if item.kind == ItemKind::Login {
                targets.push(id);
            } else {
                others.push(item.name.clone());
            }
        }
        Plan { seeds, targets, others }
    }
}

/// `--exposed`: the exposed logins are the seeds; the exposed non-logins (an item of another
/// kind reusing a leaked password) are named, not rotated, as for `hush breach SITE`.
fn plan_exposed(vault: &Vault, list: &hush_audit::BreachList) -> Result<Plan> {
    let findings = hush_audit::check_site_breaches(vault.items(), list);
    let mut seeds = Vec::new();
    let mut leaked: Vec<&str> = Vec::new();
    let mut exposed_others = Vec::new();
    for e in &findings.exposed {
        let item = vault.get(&e.item.id).expect("found items exist");
        if item.kind != ItemKind::Login {
            exposed_others.push(item.name.clone());
            continue;
        }
        let why = match &e.reuses {
            None => format!("{} breached on {}", e.site, e.breach.date),
            Some(r) if r.item.id == e.item.id => {
                format!(
                    "{} breached on {}; its new password is the leaked one, or nearly",
                    e.site, e.breach.date
                )
            }
            Some(r) => format!("reuses the password that leaked from {} ({})", r.item.name, e.site),
        };
        seeds.push((e.item.id, why));
        leaked.push(item.password.as_str());
    }
    let mut plan = Plan::new(vault, seeds, &leaked);
    for name in exposed_others {
        if !plan.others.contains(&name) {
            plan.others.push(name);
        }
    }
    Ok(plan)
}

fn plan(vault: &Vault, site: &str) -> Result<Plan> {
    let seeds = find_site(vault, site)?;
    // The password that leaked. For an item still pending from an earlier run it
    // is the one before the generated password, i.e. the newest in history.
    let leaked: Vec<&str> = seeds
        .iter()
        .filter_map(|id| vault.get(id))
        .filter_map(|item| {
            if item.rotation_pending {
                item.history.last().map(|h| h.password.as_str())
            } else {
                Some(item.password.as_str())
            }
        })
        .filter(|p| !p.is_empty())
        .collect();
    let seeds = seeds.into_iter().map(|id| (id, "the breached site".to_owned())).collect();
    Ok(Plan::new(vault, seeds, &leaked))
}

/// The logins for a site name or domain. Strict first: the exact item name, a URL
/// host equal to the domain or a subdomain of it (or the other way round), or —
/// for a bare word such as `plex` — a host with that label (`plex.tv`). If nothing
/// matches strictly, the usual query rules apply and must find exactly one item.
fn find_site(vault: &Vault, site: &str) -> Result<Vec<ItemId>> {
    let query = site.trim();
    if query.is_empty() {
        bail!("name the breached site");
    }
    let host = host_of(query).unwrap_or_else(|| query.to_lowercase());
    let bare_word = !host.contains('.');
    let matches = |item: &Item| {
        item.name.eq_ignore_ascii_case(query)
            || item.name.eq_ignore_ascii_case(&host)
            || item.hosts().any(|h| {
                h == host
                    || h.ends_with(&format!(".{host}"))
                    || (h.contains('.') && host.ends_with(&format!(".{h}")))
                    || (bare_word && {
                        // Not the last label: `com` must not match every .com site.
                        let labels: Vec<&str> = h.split('.').collect();
                        labels[..labels.len().saturating_sub(1)].contains(&host.as_str())
                    })
            })
    };
    let mut strict: Vec<(ItemId, &Item)> = vault.items().filter(|(_, item)| matches(item)).collect();
    if strict.is_empty() {
        let id = match vault.find(query) {
            Matches::One(id) => id,
            // find_one turns these into the usual "no item" / "several items" errors.
            Matches::None | Matches::Many(_) => find_one(vault, query)?,
        };
        strict.push((id, vault.get(&id).expect("found items exist")));
    }
    let non_logins: Vec<&str> =
        strict.iter().filter(|(_, i)| i.kind != ItemKind::Login).map(|(_, i)| i.name.as_str()).collect();
    strict.retain(|(_, i)| i.kind == ItemKind::Login);
    if strict.is_empty() {
        bail!(
            "{site:?} matches no login, only: {}; `hush breach` changes login passwords",
            non_logins.join(", ")
        );
    }
    strict.sort_by(|a, b| a.1.name.to_lowercase().cmp(&b.1.name.to_lowercase()).then(a.0.cmp(&b.0)));
    Ok(strict.into_iter().map(|(id, _)| id).collect())
}

/// A new password from the item's own generator settings (or the configured
/// defaults) that is no item's current password and none of this session's.
fn unique_password(
    vault: &Vault,
    item: &Item,
    fresh: &[Zeroizing<String>],
    config: &crate::config::Config,
) -> Result<Zeroizing<String>> {
    for _ in 0..MAX_GENERATE_ATTEMPTS {
        let pw = fields::generate(&GenOptions::default(), item.policy.as_ref(), config)
            .with_context(|| format!("cannot generate a password for {} from its settings", item.name))?;
        let taken = fresh.iter().any(|f| **f == *pw) || vault.items().any(|(_, other)| other.password == *pw);
        if !taken {
            return Ok(pw);
        }
    }
    bail!(
        "cannot generate a password for {} that no other item uses: its generator settings allow too \
         few passwords; widen them, e.g. `hush edit {} --generate --length 20`",
        item.name,
        item.name
    )
}

/// Step 3 and 4: one item at a time, until every item is confirmed or the user
/// stops. Exit code 1 while anything is left pending.
fn walk_through(ctx: &Ctx, key: &KeyRing, rotations: &[Rotation], print: bool) -> Result<Outcome> {
    let clear_after = ctx.config.clipboard_clear_after;
    let total = rotations.len();
    let mut left: Vec<&str> = Vec::new();
    let mut no_totp: Vec<&str> = Vec::new();
    let mut quit = false;
    for (n, r) in rotations.iter().enumerate() {
        if quit {
            left.push(&r.name);
            continue;
        }
        let user = if r.username.is_empty() { String::new() } else { format!("  ({})", r.username) };
        eprintln!("\n[{}/{total}] {}{user}", n + 1, r.name);
        match &r.url {
            Some(url) => eprintln!("  Change the password at {url}"),
            None => eprintln!("  Change the password on the site (no URL stored)."),
        }
        if print {
            show(r);
        } else {
            deliver(r, clear_after);
        }
        let confirmed = loop {
            eprint!("  Did the site accept it? [y]es, [n]ot yet, [c]opy, [p]rint, [o]pen URL, [q]uit: ");
            let mut answer = String::new();
            if std::io::stdin().lock().read_line(&mut answer)? == 0 {
                eprintln!();
                quit = true;
                break false;
            }
            match answer.trim().to_lowercase().as_str() {
                "y" | "yes" => break true,
                "n" | "no" | "" => break false,
                "c" => deliver(r, clear_after),
                "p" => show(r),
                "o" => match &r.url {
                    Some(url) => {
                        if let Err(e) = open_url(url) {
                            eprintln!("  {e:#}");
                        }
                    }
                    None => eprintln!("  No URL is stored for {}.", r.name),
                },
                "q" => {
                    quit = true;
                    break false;
                }
                other => eprintln!("  {other:?}? Answer y, n, c, p, o or q."),
            }
        };
        if !confirmed {
            left.push(&r.name);
            continue;
        }
        let id = r.id;
        edit_with_key(ctx, key, |vault| {
            vault.update(&id, now(), |it| it.rotation_pending = false)?;
            Ok(())
        })?;
        eprintln!("  Done.");
        if !r.has_totp && !offer_totp(ctx, key, r)? {
            no_totp.push(&r.name);
        }
    }

    remind_totp(no_totp.iter().copied());
    if left.is_empty() {
        eprintln!("\nAll {total} passwords changed.");
        return Ok(Outcome::Done);
    }
    eprintln!(
        "\nStill pending: {}. Run `hush breach --confirm NAME` once a site has its new password \
         (`hush breach --status` lists them).",
        left.join(", ")
    );
    Ok(Outcome::Findings)
}

/// Copies the new password, or says how to see it when there is no clipboard.
fn deliver(r: &Rotation, clear_after: u64) {
    match crate::clipboard::copy_with(&r.password, clear_after, false) {
        Ok(copied) => eprintln!("  {}", copied.message("the new password", clear_after)),
        Err(e) => eprintln!("  Not copied ({e:#}); press p to print it."),
    }
}

/// Shows the new password on the terminal (only ever on request).
fn show(r: &Rotation) {
    eprintln!("  New password: {}", &*r.password);
}

/// Opens an http(s) URL in the desktop's browser. Other schemes are refused: a
/// stored URL must not launch an arbitrary handler.
fn open_url(url: &str) -> Result<()> {
    let full = if url.contains("://") { url.to_owned() } else { format!("https://{url}") };
    let parsed = url::Url::parse(&full).with_context(|| format!("{url:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("not opening {url:?}: only http and https URLs are opened");
    }
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    Command::new(opener)
        .arg(parsed.as_str())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {opener}; open {url} yourself"))?;
    Ok(())
}

/// Step 4 for one item: asks for a TOTP secret (no echo) and saves it. Returns
/// whether the item now has one.
fn offer_totp(ctx: &Ctx, key: &KeyRing, r: &Rotation) -> Result<bool> {
    eprintln!(
        "  {} has no 2FA secret in hush. If the site offers two-factor authentication, turn it on now.",
        r.name
    );
    loop {
        let input = prompt::secret("  Paste the otpauth:// URI or Base32 secret (Enter to skip): ")?;
        if input.trim().is_empty() {
            return Ok(false);
        }
        let uri = match fields::normalise_totp(input.trim(), &r.name) {
            Ok(uri) => Zeroizing::new(uri),
            Err(e) => {
                eprintln!("  {e:#}. Try again, or press Enter to skip.");
                continue;
            }
        };
        let id = r.id;
        edit_with_key(ctx, key, |vault| {
            vault.update(&id, now(), |it| it.totp = Some(uri.to_string()))?;
            Ok(())
        })?;
        // Sites ask for a current code to finish enrolment.
        if let Ok(totp) = hush_totp::Totp::parse(&uri) {
            let code = totp.now();
            eprintln!(
                "  Saved. The current code is {} for {} s more (`hush totp {}` shows it later).",
                code.code, code.remaining_secs, r.name
            );
        }
        return Ok(true);
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Step 4 when it cannot be done on the spot.
fn remind_totp<'a>(names: impl Iterator<Item = &'a str>) {
    let names: Vec<&str> = names.collect();
    if let Some(first) = names.first() {
        eprintln!(
            "Reminder: no 2FA secret in hush for {}. Turn on two-factor authentication on the site{} \
             and add the secret, e.g. `hush edit {first} --totp -`.",
            names.join(", "),
            plural(names.len())
        );
    }
}

/// `hush breach --status`: the items still waiting; exit 1 if any.
fn status(ctx: &Ctx, json: bool) -> Result<Outcome> {
    let vault = ctx.open()?;
    let mut pending: Vec<(ItemId, &Item)> = vault.items().filter(|(_, i)| i.rotation_pending).collect();
    if json {
        pending.sort_by(|a, b| a.1.name.to_lowercase().cmp(&b.1.name.to_lowercase()).then(a.0.cmp(&b.0)));
        let list: Vec<_> = pending
            .iter()
            .map(|(id, item)| {
                serde_json::json!({
                    "id": id.to_string(),
                    "name": item.name,
                    "password_changed": output::time(item.password_changed),
                    "has_totp": item.has_totp(),
                })
            })
            .collect();
        output::json(&list)?;
        return Ok(Outcome::findings_if(!list.is_empty()));
    }
    if pending.is_empty() {
        eprintln!("No rotations pending.");
        return Ok(Outcome::Done);
    }
    pending.sort_by(|a, b| a.1.name.to_lowercase().cmp(&b.1.name.to_lowercase()).then(a.0.cmp(&b.0)));
    let width = pending.iter().map(|(_, i)| i.name.chars().count()).max().unwrap_or(0).min(40);
    for (id, item) in &pending {
        let totp = if item.has_totp() { "" } else { "  [no 2FA]" };
        output::line(format_args!(
            "{}  {:<width$}  new password since {}{totp}",
            &id.to_string()[..8],
            item.name,
            output::date(item.password_changed)
        ))?;
    }
    eprintln!(
        "{} waiting: change each password on its site, then `hush breach --confirm NAME`.",
        pending.len()
    );
    Ok(Outcome::Findings)
}

/// `hush breach --confirm QUERY`: the site accepted the new password.
fn confirm(ctx: &Ctx, query: &str) -> Result<()> {
    let key = ctx.key_ring(&ctx.header()?)?;
    let (name, was_pending, has_totp, left) = ctx.update_with_key(key, |vault| {
        let id = find_one(vault, query)?;
        let item = vault.get(&id).expect("found items exist");
        let (name, was_pending) = (item.name.clone(), item.rotation_pending);
        let has_totp = item.has_totp();
        if was_pending {
            vault.update(&id, now(), |it| it.rotation_pending = false);
        }
        let left = vault.items().filter(|(_, i)| i.rotation_pending).count();
        // Nothing to save when the item was not pending.
        Ok(((name, was_pending, has_totp, left), was_pending))
    })?;
    if was_pending {
        eprintln!("{name}: rotation confirmed.");
    } else {
        eprintln!("{name} was not waiting for a rotation; nothing to confirm.");
    }
    if !has_totp {
        remind_totp(std::iter::once(name.as_str()));
    }
    if left > 0 {
        eprintln!("{left} still pending (`hush breach --status`).");
    }
    Ok(())
}

/// Saves an edit with the key fetched once for the whole session, so that the
/// several saves of one breach cost one KDF run (or agent request), not one each.
fn save_with_key<T>(ctx: &Ctx, key: &KeyRing, edit: impl FnOnce(&mut Vault) -> Result<T>) -> Result<T> {
    ctx.update_with_key(key.clone(), |vault| Ok((edit(vault)?, true)))
}

/// [`save_with_key`] for the walk-through's one-item changes (a flag, a TOTP
/// secret): through the editor, which decrypts only those items, not the vault.
fn edit_with_key<T>(ctx: &Ctx, key: &KeyRing, edit: impl FnOnce(&mut Editor) -> Result<T>) -> Result<T> {
    ctx.edit_with_key(key.clone(), edit)
}
