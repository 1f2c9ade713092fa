//! Issue #2: how fast hush is with a large vault (docs/benchmarks.md).
//!
//! `cargo bench -p hush-vault --bench vault` (about two minutes; a filter such as
//! `-- open/` runs one group). Target from the issue: with 10,000 items everything
//! but the KDF under 50 ms, and linear growth or better from 10k to 100k.
//!
//! - `unlock`: `Vault::unlock_key` at `KdfParams::DEFAULT` (Argon2id 256 MiB, t=3, p=4):
//!   the one deliberately slow step, paid once per session thanks to the agent.
//! - `open/N`: `VaultFile::from_bytes` + `Vault::open` of a file of N items, with the
//!   vault key already known (what every command does once it has the key).
//!   Every command that changes the vault (add, edit, rm, sync) pays it.
//! - `view_open/N`: `VaultView::open` (parse the file, decrypt the sealed state with
//!   the search index, check it against the file), and `view_get/N`: find one item by
//!   name in that index and decrypt it: together what the read-only commands (`get`,
//!   `copy`, `totp`, `ls`) do once they have the key.
//! - `find_exact/N`, `find_substring/N`: `Vault::find` by exact name, and by a
//!   substring that matches exactly one item (full search path: exact pass + search).
//! - `add_save/N`: add one item to a vault of exactly N items and save it as the CLI
//!   does (`Vault::to_bytes` + `durable::write_atomic` with fsync and backup link).
//!   `serialize/N` and `write_atomic/N` are its two big parts, measured alone.
//! - `edit_add/N`: what `hush add` does since C2, open included: `Editor::open` (checks
//!   every blob's hash, decrypts none), add one item, `to_bytes`, `write_atomic`.
//!
//! Vaults are built once per size with cheap KDF parameters (the KDF is not part of
//! open/find/save); items are realistic logins from `common`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{
    BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hush_crypto::{FloorPolicy, KdfParams, KeyRing};
use hush_vault::{Editor, ItemLookup, Matches, Vault, VaultFile, VaultView, durable};

mod common;

const PW: &str = "correct horse battery staple";
/// Cheap parameters for building the benchmark vaults (never used for `unlock`).
const CHEAP: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };
const SIZES: [usize; 2] = [10_000, 100_000];
/// Item 4217 exists in every size (its name is `twitter-004217`); its 6-digit number
/// is a substring of no other item.
const TARGET: usize = 4217;
const SUBSTRING: &str = "004217";

struct Fixture {
    n: usize,
    bytes: Vec<u8>,
    ring: KeyRing,
}

fn fixture(n: usize) -> Fixture {
    let (mut vault, _account_key) = Vault::create(PW, CHEAP, FloorPolicy::AllowInsecure).expect("create");
    let now = hush_vault::now();
    for i in 0..n {
        vault.add(common::item(i, now));
    }
    Fixture { n, bytes: vault.to_bytes(), ring: vault.ring().clone() }
}

fn open(f: &Fixture) -> Vault {
    let file = VaultFile::from_bytes(&f.bytes).expect("parse");
    Vault::open(&file, f.ring.clone()).expect("open")
}

fn save(vault: &Vault, dir: &Path) {
    let bytes = vault.to_bytes();
    durable::write_atomic(&dir.join("vault.hush"), &bytes, Some(&dir.join("vault.hush.bak"))).expect("write");
}

fn unlock(c: &mut Criterion) {
    let (vault, account_key) = Vault::create(PW, KdfParams::DEFAULT, FloorPolicy::Enforce).expect("create");
    let header = vault.header().clone();
    let mut g = c.benchmark_group("unlock");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("default_kdf", |b| {
        b.iter(|| Vault::unlock_key(black_box(&header), PW, &account_key).expect("unlock"))
    });
    g.finish();
}

fn large_vault(c: &mut Criterion) {
    let fixtures: Vec<Fixture> = SIZES.iter().map(|&n| fixture(n)).collect();
    let dir = tempfile::tempdir().expect("temp dir");

    let mut g = c.benchmark_group("open");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(4));
    for f in &fixtures {
        g.throughput(Throughput::Elements(f.n as u64));
        // The vault is dropped outside the measurement: dropping (and zeroizing) it is
        // the end of a command, not part of opening.
        g.bench_with_input(BenchmarkId::from_parameter(f.n), f, |b, f| b.iter_with_large_drop(|| open(f)));
    }
    g.finish();

    let mut g = c.benchmark_group("view_open");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for f in &fixtures {
        g.bench_with_input(BenchmarkId::from_parameter(f.n), f, |b, f| {
            b.iter_batched(
                || f.bytes.clone(),
                |bytes| VaultView::open(bytes, f.ring.clone()).expect("view"),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();

    let exact = common::name(TARGET);
    let mut g = c.benchmark_group("view_get");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for f in &fixtures {
        let view = VaultView::open(f.bytes.clone(), f.ring.clone()).expect("view");
        g.bench_with_input(BenchmarkId::from_parameter(f.n), &view, |b, v| {
            b.iter(|| {
                let Matches::One(id) = v.find(black_box(&exact)) else { panic!("{exact} not found") };
                v.item(&id).expect("item")
            })
        });
    }
    g.finish();

    for (group, query) in [("find_exact", exact.as_str()), ("find_substring", SUBSTRING)] {
        let mut g = c.benchmark_group(group);
        g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(3));
        for f in &fixtures {
            let vault = open(f);
            assert!(matches!(vault.find(query), Matches::One(_)), "{query} must find exactly one item");
            g.bench_with_input(BenchmarkId::from_parameter(f.n), &vault, |b, v| {
                b.iter(|| v.find(black_box(query)))
            });
        }
        g.finish();
    }

    let mut g = c.benchmark_group("add_save");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(4));
    for f in &fixtures {
        // A fresh vault of exactly N items for each iteration (opened outside the timing).
        g.bench_with_input(BenchmarkId::from_parameter(f.n), f, |b, f| {
            b.iter_batched(
                || open(f),
                |mut vault| {
                    vault.add(common::item(f.n, hush_vault::now()));
                    save(&vault, dir.path());
                    vault
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    let mut g = c.benchmark_group("edit_add");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(4));
    for f in &fixtures {
        let path = dir.path().join("vault.hush");
        g.bench_with_input(BenchmarkId::from_parameter(f.n), f, |b, f| {
            b.iter_batched(
                || f.bytes.clone(),
                |bytes| {
                    let mut editor = Editor::open(bytes, f.ring.clone()).expect("editor");
                    editor.add(common::item(f.n, hush_vault::now())).expect("add");
                    durable::write_atomic(&path, &editor.to_bytes(), Some(&path.with_extension("bak")))
                        .expect("write");
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    // The two halves of a save, to see which dominates.
    let mut g = c.benchmark_group("serialize");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for f in &fixtures {
        let vault = open(f);
        g.bench_with_input(BenchmarkId::from_parameter(f.n), &vault, |b, v| b.iter(|| v.to_bytes()));
    }
    g.finish();

    let mut g = c.benchmark_group("write_atomic");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for f in &fixtures {
        let (path, bak) = (dir.path().join("vault.hush"), dir.path().join("vault.hush.bak"));
        g.bench_with_input(BenchmarkId::from_parameter(f.n), &f.bytes, |b, bytes| {
            b.iter(|| durable::write_atomic(&path, bytes, Some(&bak)).expect("write"))
        });
    }
    g.finish();
}

criterion_group!(benches, unlock, large_vault);
criterion_main!(benches);
