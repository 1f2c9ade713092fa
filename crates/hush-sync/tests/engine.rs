//! The sync engine against the honest in-memory server, and against the same server
//! turned malicious: every tampering must be detected, reported as tampering of the right
//! kind, and leave the device's vault as it was (docs/threat-model.md lists each attack
//! with the test here that proves it).

use std::cell::{Cell, RefCell};

use hush_crypto::{AccountKey, DerivedKeys, FloorPolicy, HeadError, ItemId, KdfParams};
use hush_proto as proto;
use hush_sync::memory::MemoryServer;
use hush_sync::{MemoryPushNumbers, PushOutcome, SyncError, Tampering, Transport, TransportError};
use hush_vault::{Item, ItemKind, Vault};

const PW: &str = "correct horse";
const URL: &str = "http://127.0.0.1:1";

fn opts(policy: FloorPolicy, device_name: &str, now: i64) -> hush_sync::LoginOptions<'_> {
    hush_sync::LoginOptions { server_url: URL, device_name, policy, insecure_http: false, now }
}
/// Cheap parameters for tests; every call opts in with AllowInsecure.
const WEAK: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

struct Device {
    vault: Vault,
    account_key: AccountKey,
    /// The device's durable push numbers (crypto-v2.md, "Push numbers").
    numbers: MemoryPushNumbers,
}

fn keys(vault: &Vault, ak: &AccountKey) -> DerivedKeys {
    Vault::derive(vault.header(), PW, ak).unwrap()
}

/// A registered first device and a second one logged in with the setup code.
fn two_devices(server: &MemoryServer) -> (Device, Device) {
    let (mut a, ak) = Vault::create(PW, WEAK, FloorPolicy::AllowInsecure).unwrap();
    a.add(login("github", "pw-a"));
    let k = keys(&a, &ak);
    let mut a_numbers = MemoryPushNumbers::default();
    hush_sync::register(
        &mut a,
        server,
        &k.auth,
        &ak,
        None,
        &mut a_numbers,
        &opts(FloorPolicy::AllowInsecure, "a", 1),
    )
    .unwrap();
    let (b, _) = hush_sync::login_new_device(
        server,
        &a.account_id(),
        &ak,
        PW,
        opts(FloorPolicy::AllowInsecure, "b", 1),
    )
    .unwrap();
    assert_eq!(b.len(), 1);
    (
        Device { vault: a, account_key: ak.clone(), numbers: a_numbers },
        Device { vault: b, account_key: ak, numbers: MemoryPushNumbers::default() },
    )
}

fn login(name: &str, pw: &str) -> Item {
    let mut i = Item::new(ItemKind::Login, name, 1);
    i.password = pw.into();
    i
}

fn only_id(v: &Vault) -> ItemId {
    v.items().next().unwrap().0
}

/// Logs in to `of`'s account as a new device "c", which must fail; returns why.
fn new_device_login_error(
    server: &dyn Transport,
    of: &Device,
    password: &str,
    policy: FloorPolicy,
) -> SyncError {
    hush_sync::login_new_device(
        server,
        &of.vault.account_id(),
        &of.account_key,
        password,
        opts(policy, "c", 1),
    )
    .err()
    .expect("the login must fail")
}

#[test]
fn two_devices_converge_and_concurrent_passwords_are_kept() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    a.vault.update(&id, 10, |i| i.set_password("from-a".into(), 10));
    b.vault.update(&id, 11, |i| i.set_password("from-b".into(), 11));
    let extra = b.vault.add(login("gitlab", "x"));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 12).unwrap();
    let report = hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 13).unwrap();
    assert_eq!(report.merged, vec![id]);
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 14).unwrap();
    for d in [&a, &b] {
        let item = d.vault.get(&id).unwrap();
        assert_eq!(item.password, "from-b", "the newer password wins");
        let hist: Vec<_> = item.history.iter().map(|h| h.password.as_str()).collect();
        assert!(hist.contains(&"from-a") && hist.contains(&"pw-a"), "{hist:?}");
        assert!(d.vault.get(&extra).is_some());
    }
    assert_eq!(file_items(&a.vault), file_items(&b.vault));
}

fn file_items(v: &Vault) -> Vec<(ItemId, Vec<u8>)> {
    v.to_file().items
}

/// Issue #14: `hush audit --breaches` compares `password_changed` with breach dates. A pull, a
/// push and a merge of concurrent edits to other fields must all keep the date the password was
/// set, on both devices; only a password change moves it.
#[test]
fn sync_and_merge_keep_when_each_password_was_set() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let set = a.vault.get(&id).unwrap().password_changed;
    let imported = a.vault.add({
        let mut item = login("plex", "from-2014");
        item.password_changed = 1_398_902_400; // 2014-05-01, as an importer kept it.
        item
    });
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 10).unwrap();
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 11).unwrap();
    assert_eq!(b.vault.get(&imported).unwrap().password_changed, 1_398_902_400, "a pull keeps it");

    // Concurrent edits of other fields, merged on both devices long after.
    a.vault.update(&id, 1_000_000, |i| i.notes = "from a".into());
    a.vault.update(&imported, 1_000_000, |i| i.tags = vec!["media".into()]);
    b.vault.update(&id, 1_000_001, |i| i.username = "from b".into());
    b.vault.update(&imported, 1_000_001, |i| i.notes = "from b".into());
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 2_000_000).unwrap();
    let report = hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 2_000_001).unwrap();
    assert_eq!(report.merged.len(), 2, "both items were merged");
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 2_000_002).unwrap();
    for d in [&a, &b] {
        assert_eq!(d.vault.get(&id).unwrap().password_changed, set);
        let plex = d.vault.get(&imported).unwrap();
        assert_eq!(plex.password_changed, 1_398_902_400, "not the merge's time");
        assert_eq!((plex.notes.as_str(), plex.tags.as_slice()), ("from b", ["media".to_string()].as_slice()));
    }

    // A password change on one device moves it, on both.
    b.vault.update(&imported, 3_000_000, |i| i.set_password("rotated".into(), 3_000_000));
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 3_000_001).unwrap();
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 3_000_002).unwrap();
    assert_eq!(a.vault.get(&imported).unwrap().password_changed, 3_000_000);
}

#[test]
fn edit_wins_over_delete_across_devices() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    a.vault.delete(&id, 10);
    b.vault.update(&id, 11, |i| i.notes = "keep me".into());
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 12).unwrap();
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 13).unwrap();
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 14).unwrap();
    assert_eq!(a.vault.get(&id).unwrap().notes, "keep me");
    // A deletion of an untouched item propagates.
    b.vault.delete(&id, 15);
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 16).unwrap();
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 17).unwrap();
    assert!(a.vault.get(&id).is_none());
}

/// Issue #10, "A trash": moving an item to the trash, restoring it and purging it sync as edits
/// of the item; a move to the trash (or a purge) undone by another device's concurrent edit is
/// named in the report of both devices.
#[test]
fn the_trash_syncs_and_a_deletion_undone_by_an_edit_is_reported() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let sync = |d: &mut Device, now| hush_sync::sync(&mut d.vault, &server, &mut d.numbers, now).unwrap();
    // A moves it to the trash; B sees it there, out of use.
    a.vault.update(&id, 10, |i| i.trashed = Some(10));
    sync(&mut a, 11);
    let report = sync(&mut b, 12);
    assert!(report.undeleted.is_empty());
    assert_eq!(b.vault.get(&id).unwrap().trashed, Some(10));
    assert_eq!(b.vault.items().count(), 0);
    assert_eq!(b.vault.trashed_items().map(|(i, _)| i).collect::<Vec<_>>(), [id]);
    // B restores it; A gets it back.
    b.vault.update(&id, 13, |i| i.trashed = None);
    sync(&mut b, 14);
    sync(&mut a, 15);
    assert!(a.vault.get(&id).unwrap().is_live());
    // A trashes it again while B, offline, changes its password: B's edit wins, and both
    // reports name the item.
    a.vault.update(&id, 16, |i| i.trashed = Some(16));
    b.vault.update(&id, 17, |i| i.set_password("pw-b".into(), 17));
    assert!(sync(&mut a, 18).undeleted.is_empty());
    let there = sync(&mut b, 19).undeleted;
    assert_eq!(there, [hush_sync::Undeleted { id, name: "github".into(), undone: hush_sync::Undone::There }]);
    sync(&mut a, 20);
    for d in [&a, &b] {
        let item = d.vault.get(&id).unwrap();
        assert!(item.is_live() && item.password == "pw-b");
    }
    // A purges it (a tombstone) while B edits it again: B's edit wins, A is told.
    a.vault.delete(&id, 21);
    b.vault.update(&id, 22, |i| i.notes = "still used".into());
    sync(&mut b, 23);
    let here = sync(&mut a, 24).undeleted;
    assert_eq!(here, [hush_sync::Undeleted { id, name: "github".into(), undone: hush_sync::Undone::Here }]);
    assert_eq!(a.vault.get(&id).unwrap().notes, "still used");
    // An expired trash is purged into a tombstone, which syncs as a deletion.
    a.vault.update(&id, 25, |i| i.trashed = Some(25));
    let later = 25 + hush_vault::TRASH_DAYS * 86_400;
    assert_eq!(a.vault.purge_expired_trash(later), ["github"]);
    sync(&mut a, later + 1);
    sync(&mut b, later + 2);
    assert!(b.vault.get(&id).is_none(), "a tombstone on both devices");
    assert_eq!(file_items(&a.vault), file_items(&b.vault));
}

/// Issue #10, "History": both devices replaced the same password, and the merged history listed
/// it twice (once per device); and a password restored on one device stayed in the history.
#[test]
fn histories_merge_without_duplicates() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    a.vault.update(&id, 10, |i| i.set_password("from-a".into(), 10));
    b.vault.update(&id, 11, |i| i.set_password("from-b".into(), 11));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 12).unwrap();
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 13).unwrap();
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 14).unwrap();
    // B restores the first password while A changes it again.
    b.vault.update(&id, 15, |i| assert!(i.restore_password(2, 15)));
    assert_eq!(b.vault.get(&id).unwrap().password, "pw-a");
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 16).unwrap();
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 17).unwrap();
    for d in [&a, &b] {
        let item = d.vault.get(&id).unwrap();
        assert_eq!(item.password, "pw-a");
        let mut passwords: Vec<_> = item.history.iter().map(|h| h.password.as_str()).collect();
        passwords.sort();
        assert_eq!(passwords, ["from-a", "from-b"], "each previous password once, never the current one");
    }
    assert_eq!(file_items(&a.vault), file_items(&b.vault));
}

/// What a sync may change: the server's seq and everything the device accepted.
fn sync_memory(v: &Vault) -> (Option<u64>, hush_vault::local_state::Accepted) {
    (v.state().sync.as_ref().map(|s| s.seq), v.state().accepted(&v.account_id()))
}

/// Runs a sync that must fail as tampering and checks the vault did not change.
fn assert_tampered(d: &mut Device, server: &dyn Transport, what: &str) -> Tampering {
    let before = sync_memory(&d.vault);
    let items_before = file_items(&d.vault);
    let err = hush_sync::sync(&mut d.vault, server, &mut d.numbers, 99).expect_err(what);
    assert!(err.to_string().contains("TAMPERING"), "{what}: {err}");
    // The caller saves nothing on error; the engine must also not have applied the
    // tampered data before it noticed: check the in-memory vault too.
    assert_eq!(before, sync_memory(&d.vault), "{what}: sync state changed");
    assert_eq!(items_before, file_items(&d.vault), "{what}: items changed");
    match err {
        SyncError::Tampered(t) => t,
        other => panic!("{what}: not tampering: {other}"),
    }
}

#[test]
fn altered_blob_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    a.vault.update(&id, 10, |i| i.notes = "v2".into());
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    let mut blob = a.vault.entries()[&id].blob.clone();
    let n = blob.len();
    blob[n - 20] ^= 1;
    server.set_blob(proto::ItemId::from_bytes(id.0), blob);
    assert_eq!(assert_tampered(&mut b, &server, "altered blob"), Tampering::ItemAuthentication { item: id });
}

#[test]
fn blob_moved_to_another_id_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let first = only_id(&a.vault);
    let second = a.vault.add(login("other", "y"));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    // The server serves the first item's (valid) blob under the second item's id.
    server.set_blob(proto::ItemId::from_bytes(second.0), a.vault.entries()[&first].blob.clone());
    assert_eq!(
        assert_tampered(&mut b, &server, "moved blob"),
        Tampering::ItemAuthentication { item: second }
    );
}

type PullHook<'a> =
    Box<dyn Fn(&MemoryServer, &proto::SessionToken, u64) -> Result<proto::PullResponse, TransportError> + 'a>;
type PushHook<'a> = Box<
    dyn Fn(&MemoryServer, &proto::SessionToken, &proto::PushRequest) -> Result<PushOutcome, TransportError>
        + 'a,
>;

/// The in-memory server behind a hostile or racing network: pulls and pushes go
/// through the hooks, every other call straight to the server.
struct Intercept<'a> {
    inner: &'a MemoryServer,
    pull: PullHook<'a>,
    push: PushHook<'a>,
}

impl<'a> Intercept<'a> {
    /// Pulls go through `hook`.
    fn pulls(
        inner: &'a MemoryServer,
        hook: impl Fn(&MemoryServer, &proto::SessionToken, u64) -> Result<proto::PullResponse, TransportError>
        + 'a,
    ) -> Self {
        Intercept { inner, pull: Box::new(hook), push: Box::new(|s, t, r| s.push(t, r)) }
    }

    /// Pushes go through `hook`.
    fn pushes(
        inner: &'a MemoryServer,
        hook: impl Fn(
            &MemoryServer,
            &proto::SessionToken,
            &proto::PushRequest,
        ) -> Result<PushOutcome, TransportError>
        + 'a,
    ) -> Self {
        Intercept { inner, pull: Box::new(|s, t, since| s.pull(t, since)), push: Box::new(hook) }
    }
}

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> Result<$ret, TransportError> { self.inner.$name($($arg),*) })*
    };
}

impl Transport for Intercept<'_> {
    delegate! {
        register(r: &proto::RegisterRequest) -> ();
        prelogin(a: &proto::AccountId) -> proto::PreloginResponse;
        challenge(a: &proto::AccountId) -> proto::ChallengeResponse;
        login(r: &proto::LoginRequest) -> proto::LoginResponse;
        rekey(t: &proto::SessionToken, r: &proto::RekeyRequest) -> u64;
        sessions(t: &proto::SessionToken) -> proto::SessionList;
        logout(t: &proto::SessionToken) -> ();
        revoke(t: &proto::SessionToken, s: &proto::SessionId) -> ();
        delete_account(t: &proto::SessionToken, r: &proto::DeleteAccountRequest) -> ();
    }

    fn pull(&self, token: &proto::SessionToken, since: u64) -> Result<proto::PullResponse, TransportError> {
        (self.pull)(self.inner, token, since)
    }

    fn push(
        &self,
        token: &proto::SessionToken,
        req: &proto::PushRequest,
    ) -> Result<PushOutcome, TransportError> {
        (self.push)(self.inner, token, req)
    }
}

/// A server that hides the item `hide` from pulls.
fn dropper(inner: &MemoryServer, hide: ItemId) -> Intercept<'_> {
    Intercept::pulls(inner, move |s, token, since| {
        let mut pull = s.pull(token, since)?;
        pull.items.retain(|i| i.id.as_bytes() != &hide.0);
        Ok(pull)
    })
}

#[test]
fn dropped_item_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    a.vault.update(&id, 10, |i| i.notes = "changed".into());
    a.vault.add(login("new", "z"));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    assert_eq!(assert_tampered(&mut b, &dropper(&server, id), "dropped item"), Tampering::DigestMismatch);
    // A brand-new item hidden from a fresh device is caught the same way.
    let err = new_device_login_error(&dropper(&server, id), &a, PW, FloorPolicy::AllowInsecure);
    assert!(matches!(err, SyncError::Tampered(Tampering::DigestMismatch)), "{err}");
}

#[test]
fn item_rolled_back_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let old_blob = a.vault.entries()[&id].blob.clone();
    a.vault.update(&id, 10, |i| i.set_password("new".into(), 10));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    // The server serves the old (authentic) blob with the new manifest: to B, which has the
    // old one, the digest gives it away; to A, which has the new one, so does the revision.
    server.set_blob(proto::ItemId::from_bytes(id.0), old_blob);
    assert_eq!(assert_tampered(&mut b, &server, "item rollback"), Tampering::DigestMismatch);
    let rewind = Intercept::pulls(&server, |s, token, _since| s.pull(token, 0));
    assert_eq!(
        assert_tampered(&mut a, &rewind, "item rollback"),
        Tampering::ItemWentBack { item: id, held: 1, got: 0 }
    );
}

#[test]
fn whole_vault_rolled_back_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let old = server.snapshot();
    a.vault.update(&id, 10, |i| i.set_password("new".into(), 10));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 12).unwrap();
    // The server forgets the last push and serves its older, consistent state.
    server.restore(&old);
    assert_eq!(
        assert_tampered(&mut b, &server, "vault rollback"),
        Tampering::SeqWentBack { held: 2, got: 1 }
    );
    assert_eq!(
        assert_tampered(&mut a, &server, "vault rollback"),
        Tampering::SeqWentBack { held: 2, got: 1 }
    );
}

#[test]
fn manifest_rolled_back_under_a_forged_seq_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let old = server.snapshot();
    // A push that adds an item: no item of the older state is older than a device's copy,
    // so only the head gives the rollback away.
    a.vault.add(login("new", "z"));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 12).unwrap();
    // The older state is complete and consistent (its items match its manifest), and its
    // seq no longer gives it away: only the manifest's push counter shows that it went back
    // (crypto-v2.md, "What a device keeps and checks").
    server.restore(&old);
    // Every item whatever `since` asks, under a made-up `seq`: a rolled-back server
    // hiding the rollback from the `seq` check.
    let forger = Intercept::pulls(&server, |s, token, _since| {
        let mut pull = s.pull(token, 0)?;
        pull.seq = 1000;
        Ok(pull)
    });
    for d in [&mut a, &mut b] {
        let err = assert_tampered(d, &forger, "manifest rollback");
        assert_eq!(err, Tampering::Head(HeadError::CounterWentBack { held: 2, got: 1 }));
    }
}

#[test]
fn forked_history_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let fork_point = server.snapshot();
    // Branch 1: A's push.
    a.vault.update(&id, 10, |i| i.notes = "branch a".into());
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    let branch_a = server.snapshot();
    // Branch 2: the server secretly rewinds and accepts B's push with the same number.
    server.restore(&fork_point);
    b.vault.update(&id, 12, |i| i.notes = "branch b".into());
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 13).unwrap();
    // Then shows B branch 1: same push counter, another head.
    server.restore(&branch_a);
    let err = assert_tampered(&mut b, &server, "fork");
    assert_eq!(err, Tampering::Head(HeadError::OtherHeadSameCounter { counter: 2 }));
}

#[test]
fn a_push_that_conflicts_is_merged_and_pushed_again() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    a.vault.update(&id, 10, |i| i.notes = "from a".into());
    let from_b = b.vault.add(login("from-b", "x"));
    let report = {
        // Just before A's first push lands, B pushes first: A's push comes back 409
        // `conflict` (sync-api-v2.md, `POST /v2/vault`).
        let (b_vault, b_numbers, b_server) = (&mut b.vault, &mut b.numbers, &server);
        let other_device: RefCell<Option<Box<dyn FnOnce()>>> = RefCell::new(Some(Box::new(move || {
            hush_sync::sync(b_vault, b_server, b_numbers, 11).unwrap();
        })));
        let conflicts = Cell::new(0);
        let interloper = Intercept::pushes(&server, |s, token, req| {
            if let Some(push_first) = other_device.borrow_mut().take() {
                push_first();
            }
            let outcome = s.push(token, req)?;
            if matches!(outcome, PushOutcome::Conflict(_)) {
                conflicts.set(conflicts.get() + 1);
            }
            Ok(outcome)
        });
        let report = hush_sync::sync(&mut a.vault, &interloper, &mut a.numbers, 12).unwrap();
        assert_eq!(conflicts.get(), 1, "the first push must have conflicted");
        report
    };
    // The retry pulled B's push, then pushed A's edit on top of it.
    assert_eq!(report.received, vec![from_b]);
    assert_eq!(report.pushed, vec![id]);
    assert!(a.vault.state().pending.is_empty());
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 13).unwrap();
    assert_eq!(b.vault.get(&id).unwrap().notes, "from a");
    assert!(a.vault.get(&from_b).is_some());
    assert_eq!(file_items(&a.vault), file_items(&b.vault));
}

#[test]
fn kdf_parameters_below_floor_or_weaker_are_refused() {
    let server = MemoryServer::new();
    let (a, _) = two_devices(&server);
    // With the floor enforced (every normal login), the weak test parameters are refused
    // before any KDF runs.
    let err = new_device_login_error(&server, &a, PW, FloorPolicy::Enforce);
    assert!(matches!(err, SyncError::UnsafeParameters(_)), "{err}");
    // A server handing out other parameters than the keyset was sealed with: the keyset
    // does not open, nothing is created.
    server.set_kdf(128, 1, 1);
    let err = new_device_login_error(&server, &a, PW, FloorPolicy::AllowInsecure);
    assert!(matches!(err, SyncError::WrongCredentials), "{err}");
    // A device that holds strong parameters refuses weaker ones from the server.
    let (mut strong, ak) = Vault::create(PW, KdfParams::FLOOR, FloorPolicy::Enforce).unwrap();
    let k = keys(&strong, &ak);
    hush_sync::register(
        &mut strong,
        &server,
        &k.auth,
        &ak,
        None,
        &mut MemoryPushNumbers::default(),
        &opts(FloorPolicy::AllowInsecure, "s", 1),
    )
    .unwrap();
    server.set_kdf(65_536, 2, 1);
    let err = hush_sync::login_existing(
        &strong.to_file(),
        &server,
        &ak,
        PW,
        &mut MemoryPushNumbers::default(),
        opts(FloorPolicy::AllowInsecure, "s", 2),
    )
    .err()
    .unwrap();
    assert!(matches!(err, SyncError::UnsafeParameters(ref m) if m.contains("weaker")), "{err}");
}

#[test]
fn wrong_password_on_a_new_device_creates_nothing() {
    let server = MemoryServer::new();
    let (a, _) = two_devices(&server);
    let err = new_device_login_error(&server, &a, "wrong", FloorPolicy::AllowInsecure);
    assert!(matches!(err, SyncError::WrongCredentials), "{err}");
}

/// `hush passwd` on a connected device: the server accepts, and the re-sealed items are pushed.
fn change_password(d: &mut Device, server: &dyn Transport, new: &str, now: i64) {
    let old = Vault::derive(d.vault.header(), PW, &d.account_key).unwrap();
    let new = hush_sync::NewPassword { password: new, params: WEAK, policy: FloorPolicy::AllowInsecure };
    let change =
        hush_sync::change_password(&mut d.vault, server, &old.auth, &d.account_key, new, &mut d.numbers, now)
            .unwrap();
    change.push.unwrap();
}

#[test]
fn password_change_revokes_other_devices_until_they_log_in_again() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    change_password(&mut a, &server, "new password", 10);
    let err = hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 12).unwrap_err();
    assert!(matches!(err, SyncError::SessionExpired), "{err}");
    // The old password no longer logs in; the new one does and updates B's keyset.
    let ak = b.account_key.clone();
    let file = b.vault.to_file();
    let err = hush_sync::login_existing(
        &file,
        &server,
        &ak,
        PW,
        &mut MemoryPushNumbers::default(),
        opts(FloorPolicy::AllowInsecure, "b", 13),
    )
    .err()
    .expect("the old password must not log in");
    // The server's new parameters derive another auth key from the old password, so the
    // server refuses its signature (`bad_signature`), which reads as a wrong password.
    assert!(matches!(err, SyncError::WrongCredentials), "{err}");
    let (b2, _) = hush_sync::login_existing(
        &file,
        &server,
        &ak,
        "new password",
        &mut MemoryPushNumbers::default(),
        opts(FloorPolicy::AllowInsecure, "b", 13),
    )
    .unwrap();
    assert!(Vault::unlock_key(b2.header(), "new password", &ak).is_ok());
    assert!(Vault::unlock_key(b2.header(), PW, &ak).is_err());
}

#[test]
fn the_server_never_sees_plaintext() {
    let server = MemoryServer::new();
    let (mut a, _) = two_devices(&server);
    let mut item = login("PlainNameQuux", "PlainPasswordQuux");
    item.notes = "PlainNotesQuux".into();
    a.vault.add(item);
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 10).unwrap();
    for blob in server.all_blobs() {
        for s in ["PlainNameQuux", "PlainPasswordQuux", "PlainNotesQuux", "github", "pw-a"] {
            assert!(!blob.windows(s.len()).any(|w| w == s.as_bytes()), "{s} in a blob");
        }
    }
}

/// The attack that protocol v2 closes (docs/spec/crypto-v2.md, "Manifest"): the server shows B
/// an older state, B pushes on it twice; then A, which had pushed a new password, is shown B's
/// longer branch with every item resent. Under crypto v1 A accepted it and lost its password.
#[test]
fn a_fork_joined_later_is_tampering_and_loses_nothing() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let fork_point = server.snapshot();
    a.vault.update(&id, 10, |i| i.set_password("a's new password".into(), 10));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    let branch_a = server.snapshot();
    server.restore(&fork_point);
    for n in 0..3 {
        b.vault.update(&id, 12 + n, |i| i.notes = format!("b edit {n}"));
        hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 12 + n).unwrap();
    }
    // Every item resent, whatever A asks for.
    let resend = Intercept::pulls(&server, |s, token, _since| s.pull(token, 0));
    let err = assert_tampered(&mut a, &resend, "fork then join");
    assert!(
        matches!(err, Tampering::Head(HeadError::WriterWentBack { .. } | HeadError::WriterMissing { .. })),
        "{err:?}"
    );
    assert_eq!(a.vault.get(&id).unwrap().password, "a's new password");
    // And B, shown A's branch under a forged seq (so that only the head can tell), refuses it:
    // its own pushes are missing there.
    server.restore(&branch_a);
    let forged = Intercept::pulls(&server, |s, t, _| {
        let mut pull = s.pull(t, 0)?;
        pull.seq = 1000;
        Ok(pull)
    });
    // B's copy of the item is newer than A's branch's (caught first); the head is older too.
    let err = assert_tampered(&mut b, &forged, "replayed branch");
    assert!(matches!(err, Tampering::ItemWentBack { held: 3, got: 1, .. }), "{err:?}");
}

/// A branch that skips this device's own acknowledged push is refused, however long it is.
#[test]
fn a_branch_without_this_devices_own_push_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let before = server.snapshot();
    a.vault.add(login("a's item", "secret"));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 10).unwrap();
    // The server forgets A's push and lets B push twice on the older state.
    server.restore(&before);
    for n in 0..3 {
        b.vault.update(&id, 11 + n, |i| i.notes = format!("b{n}"));
        hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 11 + n).unwrap();
    }
    let err = assert_tampered(&mut a, &Intercept::pulls(&server, |s, t, _| s.pull(t, 0)), "skipped own push");
    let a_device = a.vault.state().device_id.unwrap();
    assert_eq!(err, Tampering::Head(HeadError::WriterWentBack { device: a_device, held: 2, got: 1 }));
}

/// A rollback is remembered across a logout and a new login, and across a re-spelled server
/// URL: the high-water mark belongs to the account, not to the session or the URL.
#[test]
fn a_rollback_stays_tampering_after_logout_login_and_another_url() {
    let server = MemoryServer::new();
    let (mut a, _b) = two_devices(&server);
    let id = only_id(&a.vault);
    let old = server.snapshot();
    a.vault.update(&id, 10, |i| i.set_password("newer".into(), 10));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    server.restore(&old);
    assert_tampered(&mut a, &server, "rollback");
    assert!(hush_sync::devices::logout(a.vault.state_mut(), &server).is_none());
    assert!(a.vault.state().sync.is_none());
    assert!(a.vault.state().accepted(&a.vault.account_id()).head.is_some(), "logout keeps the mark");
    for url in [URL, "http://localhost:1", "http://127.0.0.1:1/"] {
        let options =
            hush_sync::LoginOptions { server_url: url, ..opts(FloorPolicy::AllowInsecure, "a", 12) };
        let err = hush_sync::login_existing(
            &a.vault.to_file(),
            &server,
            &a.account_key,
            PW,
            &mut MemoryPushNumbers::default(),
            options,
        )
        .err()
        .expect("the login must refuse the rolled-back state");
        assert!(
            matches!(err, SyncError::Tampered(Tampering::Head(_) | Tampering::ItemWentBack { .. })),
            "{url}: {err}"
        );
    }
    assert_eq!(a.vault.get(&id).unwrap().password, "newer");
}

/// Reconnecting under another spelling of the same URL keeps the server's seq; another server
/// starts from 0 but keeps the head.
#[test]
fn server_urls_are_normalised() {
    for (a, b) in [
        ("https://Hush.Example.org/", "https://hush.example.org"),
        ("https://hush.example.org:443", "https://hush.example.org"),
        ("http://127.0.0.1:8787/", "http://127.0.0.1:8787"),
        ("https://hush.example.org/prefix/", "https://hush.example.org/prefix"),
        ("https://hush.example.org/?x=1#f", "https://hush.example.org"),
    ] {
        let url = hush_sync::http::check_server_url(a, false).unwrap();
        assert_eq!(hush_sync::normalize_server_url(&url), b, "{a}");
    }
}

/// After a password change the server replays the old keyset (with its KDF parameters and auth
/// key): a device that has seen the new one refuses it, on sync and on login, and the old
/// password never opens anything again on that device.
#[test]
fn an_old_keyset_replayed_after_a_password_change_is_tampering() {
    let server = MemoryServer::new();
    let (mut a, b) = two_devices(&server);
    let before_change = server.snapshot();
    change_password(&mut a, &server, "new password", 10);
    assert_eq!(a.vault.header().key_version, 2);
    // B logs in with the new password and adopts the new ring.
    let (mut b2, _) = hush_sync::login_existing(
        &b.vault.to_file(),
        &server,
        &b.account_key,
        "new password",
        &mut MemoryPushNumbers::default(),
        opts(FloorPolicy::AllowInsecure, "b", 11),
    )
    .unwrap();
    assert_eq!(b2.header().key_version, 2);
    server.restore_keys(&before_change);
    for (name, vault) in [("a", &mut a.vault), ("b", &mut b2)] {
        let err = hush_sync::sync(vault, &server, &mut MemoryPushNumbers::default(), 12).unwrap_err();
        assert!(
            matches!(err, SyncError::Tampered(Tampering::KeysetWentBack { held: 2, got: 1 })),
            "{name}: {err}"
        );
    }
    // The old password against the replayed keyset: refused before the header is touched.
    let err = hush_sync::login_existing(
        &b2.to_file(),
        &server,
        &b.account_key,
        PW,
        &mut MemoryPushNumbers::default(),
        opts(FloorPolicy::AllowInsecure, "b", 13),
    )
    .err()
    .expect("the old password must not log in");
    assert!(matches!(err, SyncError::Tampered(Tampering::KeysetWentBack { held: 2, got: 1 })), "{err}");
    assert!(
        Vault::unlock_key(b2.header(), PW, &b.account_key).is_err(),
        "the old password opens nothing here"
    );
}

/// A password change rotates the vault key: the other device moves to the new key after
/// proving the new password, keeps its own pending edit, and nothing sealed after the change
/// opens with the old key.
#[test]
fn a_password_change_rotates_the_key_for_every_device() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let old_ring = a.vault.ring().clone();
    b.vault.update(&id, 9, |i| i.notes = "b's offline edit".into());
    change_password(&mut a, &server, "new password", 10);
    let added = a.vault.add(login("after the change", "fresh"));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    for blob in server.all_blobs() {
        assert_eq!(
            hush_crypto::ItemBlob::key_version(&blob),
            Ok(2),
            "every item is sealed under the new key"
        );
    }
    assert!(
        hush_vault::decrypt_item(&old_ring, &a.vault.account_id(), &added, &a.vault.entries()[&added].blob)
            .is_err()
    );
    // B: its session was revoked; it logs in with the new password and pushes its edit.
    assert!(matches!(
        hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 12),
        Err(SyncError::SessionExpired)
    ));
    let (mut b2, _) = hush_sync::login_existing(
        &b.vault.to_file(),
        &server,
        &b.account_key,
        "new password",
        &mut MemoryPushNumbers::default(),
        opts(FloorPolicy::AllowInsecure, "b", 13),
    )
    .unwrap();
    assert_eq!(b2.ring().versions().collect::<Vec<_>>(), [2, 1]);
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 14).unwrap();
    assert_eq!(a.vault.get(&id).unwrap().notes, "b's offline edit");
    assert!(b2.get(&added).is_some());
    hush_sync::sync(&mut b2, &server, &mut b.numbers, 15).unwrap();
    assert_eq!(file_items(&a.vault), file_items(&b2));
}

/// The one way out of a refused state: after a deliberate restore of the server, each device
/// resets trust, pushes what it has, and they converge without losing a password.
#[test]
fn resetting_trust_after_a_restore_loses_nothing() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let backup = server.snapshot();
    a.vault.update(&id, 10, |i| i.set_password("set after the backup".into(), 10));
    let added = a.vault.add(login("added after the backup", "x"));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 12).unwrap();
    server.restore(&backup);
    assert_tampered(&mut a, &server, "restored server");
    assert_tampered(&mut b, &server, "restored server");
    hush_sync::reset_trust(&mut a.vault);
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 13).unwrap();
    // B still holds the newer head, which the server's new state does not extend.
    assert_tampered(&mut b, &server, "b not reset yet");
    hush_sync::reset_trust(&mut b.vault);
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 14).unwrap();
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 15).unwrap();
    for d in [&a, &b] {
        let item = d.vault.get(&id).unwrap();
        let known = item.password == "set after the backup"
            || item.history.iter().any(|h| h.password == "set after the backup");
        assert!(known, "the password set after the backup survives");
        assert!(d.vault.get(&added).is_some());
    }
    assert_eq!(file_items(&a.vault), file_items(&b.vault));
}

/// Device names reach the server sealed, and the owner's devices read them back.
#[test]
fn device_names_are_sealed_and_read_back() {
    let server = MemoryServer::new();
    let (a, _b) = two_devices(&server);
    // The server holds two names of one fixed length, which open only under the account key.
    let sealed = server.sealed_device_names();
    assert_eq!(sealed.len(), 2);
    let stranger = hush_crypto::DeviceNameKey::derive(&a.vault.account_id(), &AccountKey::generate());
    for name in &sealed {
        assert_eq!(name.len(), hush_crypto::SEALED_NAME_LEN);
        assert!(stranger.open(name).is_err());
    }
    let devices =
        hush_sync::devices::list(a.vault.state(), &a.vault.account_id(), &a.account_key, &server).unwrap();
    let mut names: Vec<_> = devices.iter().map(|d| d.name.clone().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(devices.iter().filter(|d| d.current).count(), 1);
    assert_eq!(hush_sync::devices::find(&devices, "b").unwrap().name.as_deref(), Some("b"));
    let prefix = devices[0].id.to_string()[..6].to_owned();
    assert_eq!(hush_sync::devices::find(&devices, &prefix).unwrap().id, devices[0].id);
    assert!(hush_sync::devices::find(&devices, "nobody").is_err());
    // A name with a bidirectional override never leaves the device.
    let (mut c, ak) = Vault::create(PW, WEAK, FloorPolicy::AllowInsecure).unwrap();
    let k = keys(&c, &ak);
    let err = hush_sync::register(
        &mut c,
        &server,
        &k.auth,
        &ak,
        None,
        &mut MemoryPushNumbers::default(),
        &opts(FloorPolicy::AllowInsecure, "evil\u{202e}gpj", 1),
    )
    .unwrap_err();
    assert!(matches!(err, SyncError::DeviceName(_)), "{err}");
}

/// Deleting the account needs the current auth key; a session token alone is refused.
#[test]
fn deleting_the_account_needs_the_current_auth_key() {
    let server = MemoryServer::new();
    let (mut a, _b) = two_devices(&server);
    let account = a.vault.account_id();
    let stranger = hush_crypto::AuthKey::from_seed(&[7; 32]);
    let err =
        hush_sync::devices::delete_account(a.vault.state_mut(), &account, &stranger, &server).unwrap_err();
    assert!(
        matches!(err, SyncError::Transport(ref t) if t.code() == Some(proto::ErrorCode::BadSignature)),
        "{err}"
    );
    assert!(a.vault.state().sync.is_some(), "nothing forgotten on a refusal");
    let auth = keys(&a.vault, &a.account_key).auth;
    hush_sync::devices::delete_account(a.vault.state_mut(), &account, &auth, &server).unwrap();
    assert!(a.vault.state().sync.is_none());
    assert!(server.all_blobs().is_empty());
}

/// An item a merge grew past the server's blob limit stays pending and is reported; it never
/// blocks the other items (sync-api-v2.md, "Limits").
#[test]
fn an_item_merged_past_the_limit_is_held_back_and_the_rest_syncs() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let big = 150 * 1024;
    a.vault.update(&id, 10, |i| i.notes = "a".repeat(big));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 11).unwrap();
    b.vault.update(&id, 9, |i| i.notes = "b".repeat(big));
    let other = b.vault.add(login("small", "x"));
    let report = hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 12).unwrap();
    assert_eq!(report.held_back.len(), 1, "{report:?}");
    assert_eq!(report.held_back[0].0, id);
    assert!(report.held_back[0].1 > hush_sync::MAX_PUSHED_BLOB);
    assert_eq!(report.pushed, vec![other]);
    assert!(b.vault.state().pending.contains(&id.0));
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 13).unwrap();
    assert!(a.vault.get(&other).is_some());
    // Shortening the item lets it sync.
    b.vault.update(&id, 14, |i| i.notes = "short now".into());
    let report = hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 15).unwrap();
    assert!(report.held_back.is_empty() && report.pushed == vec![id], "{report:?}");
}

/// A server still holding a crypto-v1 manifest: devices upgraded from v1 (a version-1 head)
/// accept it, the next push writes a version-2 manifest linked to it, and from then on a
/// version-1 manifest is refused as a replay (crypto-v2.md, "Upgrading from version 1").
#[test]
fn a_version_1_history_upgrades_and_is_never_replayed() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let id = only_id(&a.vault);
    let account = a.vault.account_id();
    let head = a.vault.state().accepted(&account).head.unwrap();
    let v1 = hush_crypto::Manifest::seal_v1_with_nonce(
        a.vault.vault_key(),
        &account,
        1,
        head.counter,
        &head.digest,
        &[9; 24],
    );
    server.set_manifest(v1.clone());
    for d in [&mut a, &mut b] {
        let legacy = hush_crypto::Head::of(
            1,
            &hush_crypto::OpenedManifest::V1 { counter: head.counter, digest: head.digest },
        );
        d.vault.state_mut().accepted.get_mut(&account).unwrap().head = Some(legacy);
        hush_sync::sync(&mut d.vault, &server, &mut d.numbers, 10).unwrap();
    }
    a.vault.update(&id, 11, |i| i.notes = "after the upgrade".into());
    hush_sync::sync(&mut a.vault, &server, &mut a.numbers, 12).unwrap();
    hush_sync::sync(&mut b.vault, &server, &mut b.numbers, 13).unwrap();
    assert!(!b.vault.state().accepted(&account).head.unwrap().legacy);
    assert_eq!(b.vault.get(&id).unwrap().notes, "after the upgrade");
    // The old version-1 manifest, or a forged one with a higher counter: both refused.
    server.set_manifest(v1);
    let err = assert_tampered(&mut b, &server, "v1 replay");
    assert_eq!(err, Tampering::Head(HeadError::CounterWentBack { held: 2, got: 1 }));
    let ahead = hush_crypto::Manifest::seal_v1_with_nonce(
        b.vault.vault_key(),
        &account,
        1,
        9,
        &head.digest,
        &[8; 24],
    );
    server.set_manifest(ahead);
    let err = assert_tampered(&mut b, &server, "v1 replay");
    assert_eq!(err, Tampering::Head(HeadError::Version1AfterVersion2));
}

/// A device that holds its keys (an unlocked agent) logs in again after a logout without the
/// master password: the server's keyset is the one it holds. After a password change on
/// another device the same keys prove nothing: the login says so, changes nothing, and the new
/// password then logs in as usual (issue #10, point 15).
#[test]
fn a_device_logs_in_again_with_the_keys_it_holds_until_the_password_changes_elsewhere() {
    let server = MemoryServer::new();
    let (mut a, mut b) = two_devices(&server);
    let keys_b = keys(&b.vault, &b.account_key);
    let ring_b = b.vault.ring().clone();
    let proof = hush_sync::Proof::Keys { ring: &ring_b, auth: &keys_b.auth };
    assert!(hush_sync::devices::logout(b.vault.state_mut(), &server).is_none());
    let (mut again, _) = hush_sync::login_existing_with(
        &b.vault.to_file(),
        &server,
        &b.account_key,
        proof,
        &mut b.numbers,
        opts(FloorPolicy::AllowInsecure, "b again", 10),
    )
    .unwrap();
    assert!(again.state().sync.is_some());
    assert_eq!(again.state().last_server.as_ref().unwrap().device_name.as_deref(), Some("b again"));
    hush_sync::sync(&mut again, &server, &mut b.numbers, 11).unwrap();

    change_password(&mut a, &server, "new password", 12);
    let err = hush_sync::login_existing_with(
        &again.to_file(),
        &server,
        &b.account_key,
        proof,
        &mut b.numbers,
        opts(FloorPolicy::AllowInsecure, "b", 13),
    )
    .err()
    .expect("old keys must not log in after a password change");
    assert!(matches!(err, SyncError::PasswordChanged), "{err}");
    let (b2, _) = hush_sync::login_existing(
        &again.to_file(),
        &server,
        &b.account_key,
        "new password",
        &mut b.numbers,
        opts(FloorPolicy::AllowInsecure, "b", 14),
    )
    .unwrap();
    assert_eq!(b2.header().key_version, 2);
}
