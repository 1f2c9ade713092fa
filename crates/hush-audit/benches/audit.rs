//! Issue #5: how long `hush audit` takes on a large vault, without network.
//!
//! `cargo bench -p hush-audit --bench audit`. Groups:
//!
//! - `audit/10000`: `audit::audit` over 10,000 realistic logins (from `common`), with
//!   some exact and near reuse, a few weak passwords, old ones and items without TOTP
//!   mixed in — reuse grouping, zxcvbn on every password, age and 2FA checks.
//! - `zxcvbn/one`: zxcvbn alone on one 20-character random password, the dominant
//!   per-item cost.
//! - `check_breached/10000`: `audit::check_breached` of those items against a
//!   generated, sorted 1,000,000-line Pwned Passwords file (10,000 binary searches
//!   over byte offsets on a file in the page cache).
//!
//! The wall-clock time of the whole `hush audit --pwned-file` command on 1 and 10
//! million lines is measured by `bench/pwned-file.sh`.

#[path = "../../hush-vault/benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use hush_audit::{self as audit, AuditOptions, PwnedFile, PwnedHash};
use hush_crypto::ItemId;
use hush_vault::Item;

const ITEMS: usize = 10_000;
const NOW: i64 = 1_800_000_000;

/// 10,000 logins: every 50th shares item 0's password, every 40th is a near
/// duplicate of item 1's, every 100th is weak, every 7th is two years old, and
/// every other one has a TOTP secret.
fn vault_items() -> Vec<(ItemId, Item)> {
    (0..ITEMS)
        .map(|i| {
            let mut item = common::item(i, NOW - 86_400);
            if i % 50 == 0 {
                item.password = common::password(0);
            } else if i % 40 == 0 {
                item.password = format!("{}{}", common::password(1), i % 10);
            } else if i % 100 == 1 {
                item.password = format!("summer{}", 2000 + i % 25);
            }
            if i % 7 == 0 {
                item.password_changed = NOW - 2 * 365 * 86_400;
            }
            if i % 2 == 0 {
                item.totp = Some("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".to_owned());
            }
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            (ItemId(id), item)
        })
        .collect()
}

/// A sorted file of `n` lines in the download format that contains the
/// passwords of every 10th item.
fn pwned_file(items: &[(ItemId, Item)], n: usize) -> tempfile::NamedTempFile {
    let mut hashes: Vec<(PwnedHash, u64)> = (0..n - items.len() / 10)
        .map(|i| (PwnedHash::of(&format!("breached-{i}")), (i % 1000) as u64 + 1))
        .collect();
    hashes.extend(items.iter().step_by(10).map(|(_, item)| (PwnedHash::of(&item.password), 7)));
    hashes.sort_by(|a, b| a.0.cmp(&b.0));
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut out = BufWriter::new(file.as_file());
    for (h, count) in &hashes {
        write!(out, "{}:{count}\r\n", &*h.to_hex()).unwrap();
    }
    out.flush().unwrap();
    drop(out);
    file
}

fn benches(c: &mut Criterion) {
    let items = vault_items();
    let options = AuditOptions { now: NOW, max_age_days: 365 };

    let mut group = c.benchmark_group("audit");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function("10000", |b| {
        b.iter(|| audit::audit(black_box(items.iter().map(|(id, i)| (*id, i))), &options))
    });
    group.finish();

    let report = audit::audit(items.iter().map(|(id, i)| (*id, i)), &options);
    eprintln!(
        "audit of {ITEMS} items: {} reuse groups, {} weak, {} old, {} without TOTP",
        report.reused.len(),
        report.weak.len(),
        report.old.len(),
        report.no_totp.len()
    );

    let one = common::password(12_345);
    c.bench_function("zxcvbn/one", |b| b.iter(|| zxcvbn::zxcvbn(black_box(&one), &[])));

    let file = pwned_file(&items, 1_000_000);
    let mut pwned = PwnedFile::open(file.path()).unwrap();
    let mut group = c.benchmark_group("check_breached");
    group.sample_size(10);
    group.bench_function("10000", |b| {
        b.iter(|| audit::check_breached(items.iter().map(|(id, i)| (*id, i)), &mut pwned).unwrap())
    });
    group.finish();
    let found = audit::check_breached(items.iter().map(|(id, i)| (*id, i)), &mut pwned).unwrap();
    eprintln!("check_breached against 1,000,000 lines: {} items found", found.len());
}

criterion_group!(audit_benches, benches);
criterion_main!(audit_benches);
