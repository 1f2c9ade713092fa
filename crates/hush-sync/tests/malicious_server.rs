//! Property test of fork consistency (docs/spec/crypto-v2.md, "What a device keeps and
//! checks"): three devices make random offline edits and sync against a server that, at random,
//! rolls back, forks, joins forks, replays old branches under a forged `seq`, drops items, serves
//! older blobs, withholds news, loses acknowledged pushes and stores pushes it reports as failed.
//!
//! # The model
//! The server is a DAG of states. Node 0 is the state after the first device registered (with one
//! item, so that every device starts with an accepted head). Every push the server stores creates
//! a child of the node it was applied to; nodes are keyed by the chain hash of their manifest, so
//! two pushes of the very same payload are one node. The server's *tip* is the node an honest
//! server would serve; `Fork` moves it back to an ancestor (the newer branch is kept), `Switch`
//! moves it to another leaf. For each device the model keeps the node it accepted last.
//!
//! Before each sync the test restores the [`MemoryServer`] to the node the act serves: the tip,
//! a withheld descendant of what the device accepted, a rolled-back ancestor, or a node of
//! another branch; the pull may then be tampered with (an item dropped, an item's older blob,
//! every item under a forged higher `seq`); a push is applied to the served node and may be
//! acknowledged and then forgotten, or stored and reported as failed.
//!
//! # The oracles, checked after every step
//! 1. **No device loses a value it accepted.** Every password a device held as an item's current
//!    password (after its own edit or a successful sync) is still, on that device, the item's
//!    password or in its history (tombstones included). A sync that fails as tampering leaves the
//!    vault exactly as it was (items, pending edits, merge bases, accepted head, seq, device id).
//!    A sync that fails otherwise (the injected network error, too many conflicts) may have
//!    applied a verified pull in memory before it failed (sync.rs: the caller writes the file
//!    only after success); the test checks that what it holds is such a verified state, then
//!    discards it as the CLI does (cli/src/remote.rs, cli/src/commands/sync_cmd.rs).
//! 2. **Every lie that changes what a device would see is reported.** A served state is a lie
//!    when, after applying the pull to what the device knows of the server, the device would hold
//!    another item set than the served node's, or when the served node does not descend from the
//!    node the device accepted. A lie must end in `SyncError::Tampered`. A successful sync must
//!    leave the device on a node (found by its accepted chain) that descends from the one before,
//!    with exactly that node's items. Conversely, an honest state that descends from what the
//!    device accepted (the tip or a withheld one) must never be reported: "What is left" allows
//!    withholding, and the device must not cry wolf.
//!
//! # Pushes reported as failed
//! The act is generated. Its author discards the failed sync and later pushes the same changes
//! again; if it does so on a state that does not descend from the stored copy, a device that
//! accepted the stored copy may accept the retry's history, which is *not* a descendant in the
//! DAG: "What is left" says this is allowed, because the retry carries every change of the first
//! copy. Rather than switch oracle 2 off after such an act, the model adds a *supersede* edge
//! from the stored copy to the author's next stored push, and oracle 2 (safety) follows real and
//! supersede edges; the "never cry wolf" check follows real edges only. Oracle 1 needs no
//! exception: it is what makes the superseding harmless, and it is checked as always.
//!
//! # Push numbers
//! The property found a hole in the first version of rule 4, which compared each writer's
//! *counter* (`the_retry_below_a_forgotten_push_found_by_the_property`, explained in
//! `a_branch_from_a_push_reported_as_failed_cannot_drop_the_retry`): when the author of a push
//! reported as failed pushed again at a *lower* counter than the stored copy, a server could
//! later show it the stored copy's branch, which lacks the retry, and rule 4 accepted it. Writer
//! entries now carry the device's own push number, reserved before sending and never given back
//! (crypto-v2.md, "Push numbers"). Each device here keeps its [`MemoryPushNumbers`] across
//! failed syncs, as the CLI keeps its `push-numbers` file, and a third oracle checks the premise
//! itself: **every push a device sends carries a number above all it sent before.**

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use hush_crypto::{AccountId, FloorPolicy, ItemId, KdfParams, KeyRing, Manifest};
use hush_proto as proto;
use hush_sync::memory::{MemoryServer, Snapshot};
use hush_sync::{MemoryPushNumbers, PushOutcome, SyncError, Transport, TransportError};
use hush_vault::{Item, ItemKind, Vault};
use proptest::prelude::*;

const PW: &str = "pw";
const URL: &str = "http://127.0.0.1:1";
const DEVICES: usize = 3;
/// Cheap parameters for tests; every call opts in with AllowInsecure.
const WEAK: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };
/// The error a push stored but reported as failed comes back with.
const INJECTED: &str = "injected: the push was stored, the answer lost";

fn opts(device_name: &str, now: i64) -> hush_sync::LoginOptions<'_> {
    hush_sync::LoginOptions {
        server_url: URL,
        device_name,
        policy: FloorPolicy::AllowInsecure,
        insecure_http: false,
        now,
    }
}

/// Which state the server shows the syncing device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Serve {
    /// The server's current tip (honest, unless the tip was forked away from the device).
    Tip,
    /// The k-th descendant of (or equal to) what the device accepted, other than the tip:
    /// withholding news.
    Withhold(usize),
    /// The k-th strict ancestor of what the device accepted: a rollback.
    Rollback(usize),
    /// The k-th node of another branch (neither ancestor nor descendant): a join.
    Other(usize),
}

/// How the pull is altered on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tamper {
    /// Not at all.
    Clean,
    /// The k-th pulled item is left out.
    Drop(usize),
    /// The k-th item of the served state comes with an older blob of an ancestor state.
    OlderBlob(usize),
    /// Every item, under a `seq` above the device's (`since + 1 + n`): a replay that hides
    /// from the seq check.
    ForgeSeq(u8),
}

/// What happens to a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ack {
    /// Stored and acknowledged.
    Honest,
    /// Acknowledged, then forgotten: the tip does not move.
    Lose,
    /// Stored, but the author gets a network error.
    Fail,
}

#[derive(Clone, Copy)]
enum Op {
    /// Device d syncs with an honest server.
    Sync(usize),
    /// Device d syncs against the server acting so.
    Lie(usize, Serve, Tamper, Ack),
    /// Device d adds an item.
    Add(usize),
    /// Device d sets a new password on its k-th live item.
    Password(usize, usize),
    /// Device d edits the notes of its k-th live item.
    Notes(usize, usize),
    /// Device d deletes its k-th live item.
    Delete(usize, usize),
    /// The server restores the k-th strict ancestor of its tip (the newer branch stays).
    Fork(usize),
    /// The server moves its tip to the k-th leaf of the DAG.
    Switch(usize),
}

/// One op a line when a failure is shown: `d1 sync`, `d0 lie(Withhold(2), Drop(0), Fail)`.
impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Sync(d) => write!(f, "d{d} sync"),
            Op::Lie(d, s, t, a) => write!(f, "d{d} lie({s:?}, {t:?}, {a:?})"),
            Op::Add(d) => write!(f, "d{d} add"),
            Op::Password(d, k) => write!(f, "d{d} password({k})"),
            Op::Notes(d, k) => write!(f, "d{d} notes({k})"),
            Op::Delete(d, k) => write!(f, "d{d} delete({k})"),
            Op::Fork(k) => write!(f, "server fork({k})"),
            Op::Switch(k) => write!(f, "server switch({k})"),
        }
    }
}

fn serve() -> impl Strategy<Value = Serve> {
    prop_oneof![
        4 => Just(Serve::Tip),
        2 => (0..8usize).prop_map(Serve::Withhold),
        1 => (0..8usize).prop_map(Serve::Rollback),
        2 => (0..8usize).prop_map(Serve::Other),
    ]
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        4 => Just(Tamper::Clean),
        1 => (0..8usize).prop_map(Tamper::Drop),
        1 => (0..8usize).prop_map(Tamper::OlderBlob),
        2 => (0..4u8).prop_map(Tamper::ForgeSeq),
    ]
}

fn ack() -> impl Strategy<Value = Ack> {
    prop_oneof![6 => Just(Ack::Honest), 1 => Just(Ack::Lose), 1 => Just(Ack::Fail)]
}

fn op() -> impl Strategy<Value = Op> {
    let d = 0..DEVICES;
    prop_oneof![
        5 => d.clone().prop_map(Op::Sync),
        4 => (d.clone(), serve(), tamper(), ack()).prop_map(|(d, s, t, a)| Op::Lie(d, s, t, a)),
        2 => d.clone().prop_map(Op::Add),
        3 => (d.clone(), 0..4usize).prop_map(|(d, k)| Op::Password(d, k)),
        1 => (d.clone(), 0..4usize).prop_map(|(d, k)| Op::Notes(d, k)),
        2 => (d, 0..4usize).prop_map(|(d, k)| Op::Delete(d, k)),
        1 => (0..8usize).prop_map(Op::Fork),
        1 => (0..8usize).prop_map(Op::Switch),
    ]
}

/// Item blobs by id: a server state's items, or a device's view of them.
type Items = BTreeMap<[u8; 16], Vec<u8>>;

/// One state of the server.
struct Node {
    parent: Option<usize>,
    snapshot: Snapshot,
    /// The author's push number (its writer entry at this counter).
    pushes: u64,
    seq: u64,
    manifest: Vec<u8>,
    items: Items,
}

/// The server's DAG of states and what each device accepted of it.
struct Model {
    nodes: Vec<Node>,
    by_chain: BTreeMap<[u8; 32], usize>,
    /// Supersede edges: a push reported as failed to its author → the author's next push.
    supersede: Vec<(usize, usize)>,
    /// Per device, its pushes stored but reported as failed, not yet superseded.
    unacked: Vec<Vec<usize>>,
    tip: usize,
    accepted: Vec<usize>,
    /// Per device, the highest push number the server has seen from it.
    sent: Vec<u64>,
}

impl Model {
    /// Whether `a` is `b` or an ancestor of it, along real edges.
    fn is_ancestor(&self, a: usize, mut b: usize) -> bool {
        loop {
            if a == b {
                return true;
            }
            match self.nodes[b].parent {
                Some(p) => b = p,
                None => return false,
            }
        }
    }

    /// Whether `b` is `a` or reachable from it along real and supersede edges.
    fn reaches(&self, a: usize, b: usize) -> bool {
        let mut seen = BTreeSet::from([a]);
        let mut queue = VecDeque::from([a]);
        while let Some(n) = queue.pop_front() {
            if n == b {
                return true;
            }
            let children = self.nodes.iter().enumerate().filter(|(_, c)| c.parent == Some(n)).map(|(i, _)| i);
            let superseding = self.supersede.iter().filter(|(from, _)| *from == n).map(|(_, to)| *to);
            for next in children.chain(superseding).collect::<Vec<_>>() {
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        false
    }

    /// The node the act shows device `d`.
    fn pick(&self, d: usize, serve: Serve) -> usize {
        let mine = self.accepted[d];
        let all = 0..self.nodes.len();
        let candidates: Vec<usize> = match serve {
            Serve::Tip => vec![],
            Serve::Withhold(_) => all.filter(|&n| n != self.tip && self.is_ancestor(mine, n)).collect(),
            Serve::Rollback(_) => all.filter(|&n| n != mine && self.is_ancestor(n, mine)).collect(),
            Serve::Other(_) => {
                all.filter(|&n| !self.is_ancestor(n, mine) && !self.is_ancestor(mine, n)).collect()
            }
        };
        match serve {
            Serve::Withhold(k) | Serve::Rollback(k) | Serve::Other(k) if !candidates.is_empty() => {
                candidates[k % candidates.len()]
            }
            _ => self.tip,
        }
    }

    /// Records a push the server stored on `parent`; returns its node.
    fn stored(&mut self, parent: usize, stored: Stored, ring: &KeyRing, account: &AccountId) -> usize {
        let manifest = stored.full.manifest.expect("a push carries a manifest").into_bytes();
        let (_, opened) = Manifest::open(ring, account, &manifest).expect("a device's manifest opens");
        let chain = opened.chain().0;
        let counter = opened.counter();
        let head = hush_crypto::Head::of(ring.current_version(), &opened);
        let pushes = head.writers.iter().find(|w| w.counter == counter).expect("an author entry").pushes;
        if let Some(&n) = self.by_chain.get(&chain) {
            return n;
        }
        let items = stored.full.items.into_iter().map(|i| (*i.id.as_bytes(), i.blob.into_bytes())).collect();
        self.nodes.push(Node {
            parent: Some(parent),
            snapshot: stored.snapshot,
            pushes,
            seq: stored.full.seq,
            manifest,
            items,
        });
        let n = self.nodes.len() - 1;
        self.by_chain.insert(chain, n);
        n
    }

    /// An older blob of one of `n`'s items (the k-th that has one), from its nearest ancestor
    /// that holds another blob for it.
    fn older_blob(&self, n: usize, k: usize) -> Option<([u8; 16], Vec<u8>)> {
        let ids: Vec<&[u8; 16]> = self.nodes[n].items.keys().collect();
        for j in 0..ids.len() {
            let id = ids[(k + j) % ids.len()];
            let current = &self.nodes[n].items[id];
            let mut at = self.nodes[n].parent;
            while let Some(a) = at {
                match self.nodes[a].items.get(id) {
                    Some(blob) if blob != current => return Some((*id, blob.clone())),
                    _ => at = self.nodes[a].parent,
                }
            }
        }
        None
    }
}

/// A push the server stored: the state it left and everything in it.
struct Stored {
    snapshot: Snapshot,
    full: proto::PullResponse,
}

/// What the server does during one sync.
#[derive(Clone)]
struct Plan {
    tamper: Tamper,
    ack: Ack,
    older: Option<([u8; 16], Vec<u8>)>,
}

/// The in-memory server behind a liar that follows the plan of the current sync.
struct Adversary<'a> {
    inner: &'a MemoryServer,
    plan: RefCell<Plan>,
    served: RefCell<Vec<proto::PullResponse>>,
    stored: RefCell<Vec<Stored>>,
}

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> Result<$ret, TransportError> { self.inner.$name($($arg),*) })*
    };
}

impl Transport for Adversary<'_> {
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
        let plan = self.plan.borrow().clone();
        let mut pull = match plan.tamper {
            Tamper::ForgeSeq(n) => {
                let mut pull = self.inner.pull(token, 0)?;
                pull.seq = since + 1 + u64::from(n);
                pull
            }
            _ => self.inner.pull(token, since)?,
        };
        match (plan.tamper, plan.older) {
            (Tamper::Drop(k), _) if !pull.items.is_empty() => {
                let k = k % pull.items.len();
                pull.items.remove(k);
            }
            (Tamper::OlderBlob(_), Some((id, blob))) => {
                let id = proto::ItemId::from_bytes(id);
                pull.items.retain(|i| i.id != id);
                pull.items.push(proto::PulledItem { id, seq: pull.seq, blob: proto::B64::new(blob) });
            }
            _ => {}
        }
        self.served.borrow_mut().push(pull.clone());
        Ok(pull)
    }

    fn push(
        &self,
        token: &proto::SessionToken,
        req: &proto::PushRequest,
    ) -> Result<PushOutcome, TransportError> {
        let outcome = self.inner.push(token, req)?;
        if let PushOutcome::Accepted(_) = outcome {
            let full = self.inner.pull(token, 0)?;
            self.stored.borrow_mut().push(Stored { snapshot: self.inner.snapshot(), full });
            if self.plan.borrow().ack == Ack::Fail {
                return Err(TransportError::Network(INJECTED.into()));
            }
        }
        Ok(outcome)
    }
}

/// What the device knows of the server's items: the last-synced blob of every item (the merge
/// base of an item with pending edits; a new local item is not on the server).
fn view(v: &Vault) -> Items {
    let state = v.state();
    let mut out = Items::new();
    for (id, e) in v.entries() {
        if state.pending.contains(&id.0) {
            if let Some(base) = state.base.get(&id.0) {
                out.insert(id.0, base.clone());
            }
        } else {
            out.insert(id.0, e.blob.clone());
        }
    }
    out
}

/// Everything a failed sync must leave as it was.
type Memory = (
    Vec<(ItemId, Vec<u8>)>,
    BTreeSet<[u8; 16]>,
    BTreeMap<[u8; 16], Vec<u8>>,
    Option<u64>,
    hush_vault::local_state::Accepted,
    Option<hush_crypto::DeviceId>,
);

fn memory(v: &Vault) -> Memory {
    let s = v.state();
    (
        v.to_file().items,
        s.pending.clone(),
        s.base.clone(),
        s.sync.as_ref().map(|s| s.seq),
        s.accepted(&v.account_id()),
        s.device_id,
    )
}

fn nth_live(v: &Vault, k: usize) -> Option<ItemId> {
    let ids: Vec<_> = v.items().map(|(id, _)| id).collect();
    (!ids.is_empty()).then(|| ids[k % ids.len()])
}

/// Item ids in creation order, so that a failing op list replays the same way.
fn item_id(n: u32) -> ItemId {
    let mut id = [0x5a; 16];
    id[12..].copy_from_slice(&n.to_be_bytes());
    ItemId(id)
}

fn token(v: &Vault) -> proto::SessionToken {
    proto::SessionToken::new(v.state().sync.as_ref().expect("connected").token.clone())
}

fn node_of(v: &Vault, model: &Model) -> Option<usize> {
    let head = v.state().accepted(&v.account_id()).head?;
    model.by_chain.get(&head.chain.0).copied()
}

/// Every password device `d` saw as an item's current one must still be there.
fn check_no_loss(step: usize, d: usize, v: &Vault, seen: &BTreeMap<[u8; 16], BTreeSet<String>>) {
    for (id, passwords) in seen {
        let entry = v.entries().get(&ItemId(*id));
        let Some(entry) = entry else { panic!("step {step}: device {d} lost item {:?}", ItemId(*id)) };
        let item = &entry.item;
        for pw in passwords {
            let kept = item.password == *pw || item.history.iter().any(|h| h.password == *pw);
            assert!(kept, "step {step}: device {d} lost password {pw} of item {:?}", ItemId(*id));
        }
    }
}

fn remember(v: &Vault, seen: &mut BTreeMap<[u8; 16], BTreeSet<String>>) {
    for (id, item) in v.items() {
        if !item.password.is_empty() {
            seen.entry(id.0).or_default().insert(item.password.clone());
        }
    }
}

/// Runs `ops`, checking the oracles after every step; returns the model for further checks.
fn run(ops: &[Op]) -> Model {
    let server = MemoryServer::new();
    let (mut first, ak) = Vault::create(PW, WEAK, FloorPolicy::AllowInsecure).unwrap();
    let mut seed = Item::new(ItemKind::Login, "seed", 1);
    seed.password = "pw0".into();
    first.put(item_id(0), seed);
    let keys = Vault::derive(first.header(), PW, &ak).unwrap();
    // Kept across failed syncs: a device's push numbers are never given back.
    let mut numbers = [MemoryPushNumbers::default(); DEVICES];
    hush_sync::register(&mut first, &server, &keys.auth, &ak, None, &mut numbers[0], &opts("d0", 1)).unwrap();
    let account = first.account_id();
    let mut vaults = vec![first];
    for d in 1..DEVICES {
        let (v, _) =
            hush_sync::login_new_device(&server, &account, &ak, PW, opts(&format!("d{d}"), 1)).unwrap();
        vaults.push(v);
    }
    let ring = vaults[0].ring().clone();
    let genesis = server.pull(&token(&vaults[0]), 0).unwrap();
    let manifest = genesis.manifest.clone().unwrap().into_bytes();
    let opened = Manifest::open(&ring, &account, &manifest).unwrap().1;
    let chain = opened.chain().0;
    let mut sent = vec![0; DEVICES];
    sent[0] = numbers[0].0;
    let mut model = Model {
        nodes: vec![Node {
            parent: None,
            snapshot: server.snapshot(),
            pushes: numbers[0].0,
            seq: genesis.seq,
            manifest,
            items: genesis.items.into_iter().map(|i| (*i.id.as_bytes(), i.blob.into_bytes())).collect(),
        }],
        by_chain: BTreeMap::from([(chain, 0)]),
        supersede: Vec::new(),
        unacked: vec![Vec::new(); DEVICES],
        tip: 0,
        accepted: vec![0; DEVICES],
        sent,
    };
    let mut seen: Vec<BTreeMap<[u8; 16], BTreeSet<String>>> = vec![BTreeMap::new(); DEVICES];
    for (d, v) in vaults.iter().enumerate() {
        assert_eq!(node_of(v, &model), Some(0), "device {d} starts at the genesis");
        remember(v, &mut seen[d]);
    }

    let adversary = Adversary {
        inner: &server,
        plan: RefCell::new(Plan { tamper: Tamper::Clean, ack: Ack::Honest, older: None }),
        served: RefCell::new(Vec::new()),
        stored: RefCell::new(Vec::new()),
    };
    for (step, &op) in ops.iter().enumerate() {
        let clock = clock_of(step);
        let counter = step as u32 + 1;
        match op {
            Op::Add(d) => {
                let mut item = Item::new(ItemKind::Login, format!("item{counter}"), clock);
                item.password = format!("pw{counter}");
                vaults[d].put(item_id(counter), item);
                remember(&vaults[d], &mut seen[d]);
            }
            Op::Password(d, k) => {
                if let Some(id) = nth_live(&vaults[d], k) {
                    vaults[d].update(&id, clock, |i| i.set_password(format!("pw{counter}"), clock));
                    remember(&vaults[d], &mut seen[d]);
                }
            }
            Op::Notes(d, k) => {
                if let Some(id) = nth_live(&vaults[d], k) {
                    vaults[d].update(&id, clock, |i| i.notes = format!("note{counter}"));
                }
            }
            Op::Delete(d, k) => {
                if let Some(id) = nth_live(&vaults[d], k) {
                    vaults[d].delete(&id, clock);
                }
            }
            Op::Fork(k) => {
                let tip = model.tip;
                let older: Vec<usize> =
                    (0..model.nodes.len()).filter(|&n| n != tip && model.is_ancestor(n, tip)).collect();
                if !older.is_empty() {
                    model.tip = older[k % older.len()];
                }
            }
            Op::Switch(k) => {
                let leaves: Vec<usize> = (0..model.nodes.len())
                    .filter(|&n| !model.nodes.iter().any(|c| c.parent == Some(n)))
                    .collect();
                model.tip = leaves[k % leaves.len()];
            }
            Op::Sync(d) | Op::Lie(d, ..) => {
                let (serve, tamper, ack) = match op {
                    Op::Lie(_, serve, tamper, ack) => (serve, tamper, ack),
                    _ => (Serve::Tip, Tamper::Clean, Ack::Honest),
                };
                let synced = sync_step(
                    step,
                    d,
                    (serve, tamper, ack),
                    &mut vaults[d],
                    &mut numbers[d],
                    &mut model,
                    &adversary,
                    &ring,
                );
                if synced {
                    remember(&vaults[d], &mut seen[d]);
                }
            }
        }
        for d in 0..DEVICES {
            check_no_loss(step, d, &vaults[d], &seen[d]);
        }
    }
    model
}

/// Device `d` syncs against the node `serve` picks, treated as `tamper` and `ack` say; checks
/// oracles 2 and 3 and the refused-sync half of oracle 1, and moves the model on. Returns
/// whether the sync succeeded.
#[allow(clippy::too_many_arguments)]
fn sync_step(
    step: usize,
    d: usize,
    (serve, tamper, ack): (Serve, Tamper, Ack),
    vault: &mut Vault,
    numbers: &mut MemoryPushNumbers,
    model: &mut Model,
    adversary: &Adversary<'_>,
    ring: &KeyRing,
) -> bool {
    let account = vault.account_id();
    let n = model.pick(d, serve);
    let older = match tamper {
        Tamper::OlderBlob(k) => model.older_blob(n, k),
        _ => None,
    };
    adversary.inner.restore(&model.nodes[n].snapshot);
    *adversary.plan.borrow_mut() = Plan { tamper, ack, older };
    let before = vault.clone();
    let result = hush_sync::sync(vault, adversary, numbers, clock_of(step));
    let served = adversary.served.take();
    let stored = adversary.stored.take();
    let what = format!("step {step}: device {d} shown node {n} ({serve:?}, {tamper:?}, {ack:?})");

    // Judge the first answer (every later pull of the same sync gets the same treatment).
    let first = served.first().expect("a sync pulls");
    let mut after_pull = view(&before);
    for item in &first.items {
        after_pull.insert(*item.id.as_bytes(), item.blob.as_bytes().to_vec());
    }
    let node = &model.nodes[n];
    let same_content =
        first.manifest.as_ref().map(|m| m.as_bytes()) == Some(&node.manifest[..]) && after_pull == node.items;
    let held = model.accepted[d];
    let lie = match (same_content, model.reaches(held, n)) {
        (false, _) => Some("the pull does not add up to the served node's items"),
        (true, false) => Some("the served node does not extend the accepted one"),
        (true, true) => None,
    };
    let before_seq = before.state().sync.as_ref().map_or(0, |s| s.seq);
    let honest = same_content
        && first.seq == node.seq
        && model.is_ancestor(held, n)
        && before_seq <= model.nodes[held].seq;

    // Pushes the server stored during the sync.
    assert!(stored.len() <= 1, "{what}: a sync stores at most one push");
    let pushed = stored.into_iter().next().map(|s| model.stored(n, s, ring, &account));
    if let Some(p) = pushed {
        let pushes = model.nodes[p].pushes;
        assert!(
            pushes > model.sent[d],
            "{what}: push number {pushes} is not above {}, which the device sent before",
            model.sent[d]
        );
        model.sent[d] = pushes;
        for earlier in std::mem::take(&mut model.unacked[d]) {
            if !model.reaches(earlier, p) {
                model.supersede.push((earlier, p));
            }
        }
        if ack == Ack::Fail {
            model.unacked[d].push(p);
        }
        if ack != Ack::Lose && model.tip == n {
            model.tip = p;
        }
    }

    match result {
        Err(SyncError::Tampered(why)) => {
            assert!(!honest, "{what}: an honest state reported as tampering: {why}");
            assert!(memory(&before) == memory(vault), "{what}: a refused sync changed the vault ({why})");
            false
        }
        Err(other) => {
            assert!(lie.is_none(), "{what}: a lie ({lie:?}) ended in another error than tampering: {other}");
            let expected = match &other {
                SyncError::Transport(TransportError::Network(m)) => m == INJECTED && pushed.is_some(),
                // A forged seq makes every push conflict.
                SyncError::TooManyConflicts => matches!(tamper, Tamper::ForgeSeq(_)),
                _ => false,
            };
            assert!(expected, "{what}: unexpected error: {other}");
            // The engine may have applied a verified pull before the push failed: what it holds
            // must still be a state the server served, extending the one before.
            let now = node_of(vault, model).expect("a failed sync holds a head the server had");
            assert!(model.reaches(held, now), "{what}: holds node {now}, which does not extend node {held}");
            assert!(view(vault) == model.nodes[now].items, "{what}: holds other items than node {now}'s");
            // The CLI saves only after success.
            *vault = before;
            false
        }
        Ok(_) => {
            assert!(lie.is_none(), "{what}: the device accepted a lie: {}", lie.unwrap_or_default());
            let Some(now) = node_of(vault, model) else {
                panic!("{what}: the device accepted a head the server never had")
            };
            assert!(
                model.reaches(held, now),
                "{what}: accepted node {now}, which does not extend node {held}"
            );
            assert!(view(vault) == model.nodes[now].items, "{what}: the device's items are not node {now}'s");
            model.accepted[d] = now;
            true
        }
    }
}

fn clock_of(step: usize) -> i64 {
    10 + step as i64
}

/// 512 cases take about 10 s in a debug build on two shared cores; `PROPTEST_CASES=20000`
/// runs a deeper search.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn a_lying_server_makes_no_device_lose_data(ops in proptest::collection::vec(op(), 1..60)) {
        run(&ops);
    }
}

/// "What is left" (crypto-v2.md): the server stores d0's push but tells d0 it failed; d1 accepts
/// the stored copy; d0, shown the older state, pushes its changes again (with more edits) and
/// goes on. The retry's history does not contain the stored copy, yet d1 accepts it two pushes
/// later (rule 4 holds: d0's entry only grew) and loses nothing, because the retry carries
/// every change of the copy d1 saw. This is why the model has supersede edges.
#[test]
fn a_push_reported_as_failed_is_superseded_by_its_retry() {
    use Op::*;
    let withhold = Lie(0, Serve::Withhold(0), Tamper::Clean, Ack::Honest);
    let ops = [
        Password(0, 0),
        Lie(0, Serve::Tip, Tamper::Clean, Ack::Fail), // node 1, stored; d0 gets an error
        Sync(1),                                      // d1 accepts node 1
        Notes(0, 0),
        withhold, // d0 is shown node 0 again and pushes node 2: a sibling of node 1
        Notes(0, 0),
        withhold, // node 3
        Notes(0, 0),
        withhold,                                            // node 4
        Lie(1, Serve::Other(2), Tamper::Clean, Ack::Honest), // d1 is shown node 4
    ];
    let model = run(&ops);
    assert_eq!(model.accepted[1], 4, "d1 accepts the retry's history");
    assert!(!model.is_ancestor(1, 4) && model.reaches(1, 4));
}

/// The smallest op list the property found (after 1119 passing cases) against counter-based
/// writer entries, kept as it shrank: d2's push (node 1) is acknowledged and forgotten; d0 is
/// shown node 1 and pushes on it (node 2, counter 3), which the server stores but reports as
/// failed; d0 is shown node 0 and pushes again (node 3, counter 2), acknowledged; d2 goes on
/// from node 2 (node 4); d0 is then shown node 4, which does not contain its acknowledged push.
/// It used to accept it; with push numbers it refuses (oracle 2 checks).
#[test]
fn the_retry_below_a_forgotten_push_found_by_the_property() {
    use Op::*;
    run(&[
        Notes(2, 0),
        Sync(0),
        Add(0),
        Lie(2, Serve::Tip, Tamper::Clean, Ack::Lose),
        Lie(0, Serve::Withhold(0), Tamper::Clean, Ack::Fail),
        Sync(0),
        Notes(2, 0),
        Lie(2, Serve::Withhold(1), Tamper::ForgeSeq(0), Ack::Honest),
        Switch(1),
        Sync(0),
    ]);
}

/// The same hole, by hand, with the data it would lose.
///
/// Rule 4 of crypto-v2.md ("What a device keeps and checks") proves that `M` extends `A` on the
/// premise that a device's writer entry grows with every push it makes. With counters, a push
/// the server stores while its author sees a failure broke that premise: the author keeps
/// nothing of it (the CLI saves only after success), so if the server showed it a longer branch
/// for that push (counter 3) and a shorter one for the retry (counter 2, acknowledged and
/// accepted), the longer branch named the author at counter 3 > 2 and passed rule 4, although
/// it lacks the acknowledged retry, and every edit only the retry carried was lost. Nothing here
/// needs more than "What is left" grants the server: withholding, and storing a push while
/// reporting a failure. The push numbers are what a durable store keeps (MemoryPushNumbers
/// here; the CLI's `push-numbers` file): the failed push's number 2 is not given back, so the
/// retry is number 3 and the branch that names a at 2 is refused.
#[test]
fn a_branch_from_a_push_reported_as_failed_cannot_drop_the_retry() {
    let server = MemoryServer::new();
    let (mut a, ak) = Vault::create(PW, WEAK, FloorPolicy::AllowInsecure).unwrap();
    let seed = item_id(0);
    let mut item = Item::new(ItemKind::Login, "seed", 1);
    item.password = "pw0".into();
    a.put(seed, item);
    let keys = Vault::derive(a.header(), PW, &ak).unwrap();
    let (mut a_numbers, mut b_numbers) = (MemoryPushNumbers::default(), MemoryPushNumbers::default());
    hush_sync::register(&mut a, &server, &keys.auth, &ak, None, &mut a_numbers, &opts("a", 1)).unwrap();
    let (mut b, _) = hush_sync::login_new_device(&server, &a.account_id(), &ak, PW, opts("b", 1)).unwrap();
    let node0 = server.snapshot();

    // b pushes node 1 (counter 2).
    b.update(&seed, 2, |i| i.notes = "b1".into());
    hush_sync::sync(&mut b, &server, &mut b_numbers, 2).unwrap();
    // a is shown node 1 and pushes node 2 (counter 3) with a new item. The server stores it
    // and answers with an error; a keeps nothing of the failed sync, as the CLI does.
    a.put(item_id(1), Item::new(ItemKind::Login, "new", 3));
    let fails = Adversary {
        inner: &server,
        plan: RefCell::new(Plan { tamper: Tamper::Clean, ack: Ack::Fail, older: None }),
        served: RefCell::new(Vec::new()),
        stored: RefCell::new(Vec::new()),
    };
    let before = a.clone();
    let err = hush_sync::sync(&mut a, &fails, &mut a_numbers, 3).unwrap_err();
    assert!(matches!(err, SyncError::Transport(TransportError::Network(_))), "{err}");
    a = before;
    let node2 = server.snapshot();

    // a is shown node 0 again (the newest state it accepted: withholding) and pushes its
    // changes again, with one more: a new password. Node 3 (counter 2), acknowledged.
    server.restore(&node0);
    a.update(&seed, 4, |i| i.set_password("pwX".into(), 4));
    hush_sync::sync(&mut a, &server, &mut a_numbers, 4).unwrap();
    let accepted = a.state().accepted(&a.account_id()).head.unwrap();
    assert_eq!(accepted.counter, 2);
    assert_eq!(a_numbers.0, 3, "the failed push's number is not given back");

    // b goes on from node 2: node 4 (counter 4), which names a at counter 3.
    server.restore(&node2);
    b.update(&seed, 5, |i| i.notes = "b2".into());
    hush_sync::sync(&mut b, &server, &mut b_numbers, 5).unwrap();

    // a is shown node 4: it does not contain a's acknowledged push (node 3), so it must be
    // refused. With counters rule 4 passed (a's entry went from 2 to 3), the digest matched,
    // and a took b's copy of the seed item: pwX, which a set and pushed, was gone.
    let before = memory(&a);
    let result = hush_sync::sync(&mut a, &server, &mut a_numbers, 6);
    let item = &a.entries()[&seed].item;
    let kept = item.password == "pwX" || item.history.iter().any(|h| h.password == "pwX");
    assert!(
        matches!(result, Err(SyncError::Tampered(_))),
        "a accepted node 4, which lacks its acknowledged push; password now {:?}, pwX kept: {kept}",
        item.password
    );
    assert!(kept, "a lost pwX");
    assert!(before == memory(&a));
}
