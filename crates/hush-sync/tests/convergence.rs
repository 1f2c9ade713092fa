//! Property test of issue #3: several devices make random offline edits and sync in
//! random order; afterwards all converge to the same vault, and every password ever
//! written to a surviving item is still its current password or in its history.

use std::collections::BTreeMap;

use hush_crypto::{FloorPolicy, ItemId, KdfParams};
use hush_sync::MemoryPushNumbers;
use hush_sync::memory::MemoryServer;
use hush_vault::{Item, ItemKind, Vault};
use proptest::prelude::*;

const PW: &str = "pw";
const URL: &str = "http://127.0.0.1:1";

fn opts(policy: FloorPolicy, device_name: &str, now: i64) -> hush_sync::LoginOptions<'_> {
    hush_sync::LoginOptions { server_url: URL, device_name, policy, insecure_http: false, now }
}
const WEAK: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

#[derive(Debug, Clone)]
enum Op {
    /// Device d adds an item.
    Add(usize),
    /// Device d sets a new password on its k-th live item.
    Password(usize, usize),
    /// Device d edits the notes of its k-th live item.
    Notes(usize, usize),
    /// Device d adds a tag to its k-th live item.
    Tag(usize, usize),
    /// Device d deletes its k-th live item.
    Delete(usize, usize),
    /// Device d syncs.
    Sync(usize),
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    let d = 0..devices;
    prop_oneof![
        d.clone().prop_map(Op::Add),
        (d.clone(), 0..4usize).prop_map(|(d, k)| Op::Password(d, k)),
        (d.clone(), 0..4usize).prop_map(|(d, k)| Op::Notes(d, k)),
        (d.clone(), 0..4usize).prop_map(|(d, k)| Op::Tag(d, k)),
        (d.clone(), 0..4usize).prop_map(|(d, k)| Op::Delete(d, k)),
        d.clone().prop_map(Op::Sync),
        d.prop_map(Op::Sync),
    ]
}

fn nth_live(v: &Vault, k: usize) -> Option<ItemId> {
    let ids: Vec<_> = v.items().map(|(id, _)| id).collect();
    (!ids.is_empty()).then(|| ids[k % ids.len()])
}

fn run(ops: Vec<Op>, devices: usize) {
    let server = MemoryServer::new();
    let (mut first, ak) = Vault::create(PW, WEAK, FloorPolicy::AllowInsecure).unwrap();
    let keys = Vault::derive(first.header(), PW, &ak).unwrap();
    let mut numbers = vec![MemoryPushNumbers::default(); devices];
    hush_sync::register(
        &mut first,
        &server,
        &keys.auth,
        &ak,
        None,
        &mut numbers[0],
        &opts(FloorPolicy::AllowInsecure, "d0", 1),
    )
    .unwrap();
    let mut vaults = vec![first];
    for d in 1..devices {
        let (v, _) = hush_sync::login_new_device(
            &server,
            &vaults[0].account_id(),
            &ak,
            PW,
            opts(FloorPolicy::AllowInsecure, &format!("d{d}"), 1),
        )
        .unwrap();
        vaults.push(v);
    }
    let mut written: BTreeMap<ItemId, Vec<String>> = BTreeMap::new();
    let mut clock = 10i64;
    let mut counter = 0u32;
    for op in ops {
        clock += 1;
        counter += 1;
        match op {
            Op::Add(d) => {
                let mut item = Item::new(ItemKind::Login, format!("item{counter}"), clock);
                item.password = format!("pw{counter}");
                let id = vaults[d].add(item);
                written.entry(id).or_default().push(format!("pw{counter}"));
            }
            Op::Password(d, k) => {
                if let Some(id) = nth_live(&vaults[d], k) {
                    let pw = format!("pw{counter}");
                    written.entry(id).or_default().push(pw.clone());
                    vaults[d].update(&id, clock, |i| i.set_password(pw, clock));
                }
            }
            Op::Notes(d, k) => {
                if let Some(id) = nth_live(&vaults[d], k) {
                    vaults[d].update(&id, clock, |i| i.notes = format!("note{counter}"));
                }
            }
            Op::Tag(d, k) => {
                if let Some(id) = nth_live(&vaults[d], k) {
                    vaults[d].update(&id, clock, |i| i.tags.push(format!("t{counter}")));
                }
            }
            Op::Delete(d, k) => {
                if let Some(id) = nth_live(&vaults[d], k) {
                    vaults[d].delete(&id, clock);
                }
            }
            Op::Sync(d) => {
                hush_sync::sync(&mut vaults[d], &server, &mut numbers[d], clock).unwrap();
            }
        }
    }
    // Two rounds: the first pushes every device's queue, the second brings every
    // device up to the last push.
    for _ in 0..2 {
        for (v, n) in vaults.iter_mut().zip(numbers.iter_mut()) {
            clock += 1;
            hush_sync::sync(v, &server, n, clock).unwrap();
        }
    }
    let reference = vaults[0].to_file().items;
    for v in &vaults[1..] {
        assert_eq!(v.to_file().items, reference, "devices did not converge");
        assert!(v.state().pending.is_empty());
    }
    for (id, passwords) in written {
        let Some(item) = vaults[0].get(&id) else { continue };
        for pw in passwords {
            let kept = item.password == pw || item.history.iter().any(|h| h.password == pw);
            assert!(kept, "password {pw} of {} was lost", item.name);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn devices_converge_and_no_password_is_lost(ops in proptest::collection::vec(op(3), 1..40)) {
        run(ops, 3);
    }
}

#[test]
fn two_devices_with_every_kind_of_conflict() {
    use Op::*;
    run(
        vec![
            Add(0),
            Sync(0),
            Sync(1),
            Password(0, 0),
            Password(1, 0),
            Notes(0, 0),
            Notes(1, 0),
            Delete(0, 0),
            Tag(1, 0),
            Sync(1),
            Sync(0),
        ],
        2,
    );
}

/// A case the property test found (2026-11-29): three devices, deletes racing a
/// password change; two tombstones met and one's password history was dropped.
/// Item ids are random, so which item each op picks varies: before the fix this
/// failed in about two runs of three. `merge::tests::two_tombstones_keep_both_histories`
/// pins the rule deterministically.
#[test]
fn deletes_racing_a_password_change_lose_no_password() {
    use Op::*;
    let ops = vec![
        Notes(2, 1),
        Add(2),
        Add(1),
        Tag(2, 3),
        Sync(2),
        Delete(2, 0),
        Add(0),
        Delete(2, 1),
        Sync(0),
        Sync(1),
        Password(1, 3),
        Sync(0),
        Delete(1, 3),
        Delete(0, 0),
        Sync(2),
        Notes(2, 2),
        Delete(0, 3),
    ];
    run(ops, 3);
}
