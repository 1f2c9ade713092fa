//! Issue #3 bench helper: the sync engine over the real HTTP transport against a
//! running `hush-server` (bench/sync.sh starts one on loopback; docs/benchmarks.md).
//!
//! ```sh
//! sync_bench measure  --server URL [--invite CODE] [--items N] [--runs R]
//! sync_bench populate --server URL [--invite CODE] --items N --token-out FILE
//! sync_bench catchup  --server URL [--invite CODE] [--items N] [--pushes P] [--runs R]
//! ```
//! `measure` registers a fresh account holding N realistic items (default 10,000) and
//! reports medians over R runs (default 5) of: (a) the initial sync of a new device
//! (`login_new_device`), split into its KDF, the bare HTTP pull and the rest; (b) an
//! empty incremental sync; (c) adding one item and syncing it; (d) the bytes on the
//! wire, counted as the JSON bodies the transport sends and receives.
//!
//! `catchup` (issue #9, "Cost"): device A registers N items and device B logs in; then A
//! makes P pushes of one edited item each while B is away, and B's sync is timed: the pull
//! of what changed plus the fork-consistency check of the new head (docs/spec/crypto-v2.md,
//! "What a device keeps and checks"), split into the bare HTTP pull and the rest. R rounds;
//! each round's P pushes go through the same server.
//!
//! `populate` registers an account with N items (pushed 10,000 at a time, to stay under
//! the server's 16 MiB body limit), writes a session token to FILE (mode 0600, for
//! `wrk -H 'Authorization: Bearer ...'`) and prints the account's seq on stdout.
//!
//! Every account uses cheap KDF parameters (Argon2id 8 MiB, t=1, p=1, as
//! `hush init --insecure-kdf --kdf-memory-mib 8 --kdf-iterations 1 --kdf-parallelism 1`):
//! the KDF is the client's deliberate cost, not sync's; its time is reported apart.
//! The server must be on loopback (plain http is refused anywhere else).

use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hush_crypto::{FloorPolicy, KdfParams, KdfSalt};
use hush_proto as proto;
use hush_sync::http::{HttpTransport, check_server_url};
use hush_sync::{LoginOptions, PushOutcome, Transport, TransportError};
use hush_vault::Vault;
use serde::Serialize;

#[path = "../../hush-vault/benches/common/mod.rs"]
mod common;

const PW: &str = "correct horse battery staple";
const CHEAP: KdfParams = KdfParams { m_kib: 8 * 1024, t: 1, p: 1 };
/// Items per push while populating: about 4.5 MB of JSON, well under the 16 MiB limit.
const BATCH: usize = 10_000;
const USAGE: &str = "usage: sync_bench measure|populate|catchup --server URL [--invite CODE] [--items N] [--runs R] [--pushes P] [--token-out FILE]";

struct Args {
    mode: String,
    server: String,
    invite: Option<String>,
    items: usize,
    runs: usize,
    pushes: usize,
    token_out: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mode = it.next().ok_or(USAGE)?;
    let mut a = Args {
        mode,
        server: String::new(),
        invite: None,
        items: 10_000,
        runs: 5,
        pushes: 10_000,
        token_out: None,
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(USAGE)?;
        match flag.as_str() {
            "--server" => a.server = value,
            "--invite" => a.invite = Some(value),
            "--items" => a.items = value.parse().map_err(|e| format!("--items: {e}"))?,
            "--runs" => a.runs = value.parse().map_err(|e| format!("--runs: {e}"))?,
            "--pushes" => a.pushes = value.parse().map_err(|e| format!("--pushes: {e}"))?,
            "--token-out" => a.token_out = Some(PathBuf::from(value)),
            _ => return Err(USAGE.into()),
        }
    }
    if a.server.is_empty() || a.runs == 0 {
        return Err(USAGE.into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(a: &Args) -> Result<(), String> {
    let url = check_server_url(&a.server, false).map_err(|e| e.to_string())?;
    if !matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) {
        return Err("load generation targets loopback only".into());
    }
    let http = HttpTransport::new(&url, None, Duration::from_secs(120)).map_err(|e| e.to_string())?;
    match a.mode.as_str() {
        "populate" => populate(a, &http),
        "measure" => measure(a, &http),
        "catchup" => catchup(a, &http),
        _ => Err(USAGE.into()),
    }
}

/// Push numbers for one sync: the bench's pushes never fail, so the device's own entry in the
/// head it holds is the highest number it used, and numbering above it is enough (the CLI keeps
/// its numbers in a file: docs/spec/crypto-v2.md, "Push numbers").
fn fresh() -> hush_sync::MemoryPushNumbers {
    hush_sync::MemoryPushNumbers::default()
}

/// Registers an account holding `n` items, pushing at most `BATCH` per request.
fn register(
    a: &Args,
    t: &dyn Transport,
    n: usize,
) -> Result<(Vault, hush_crypto::AccountKey, Duration), String> {
    let (mut vault, account_key) =
        Vault::create(PW, CHEAP, FloorPolicy::AllowInsecure).map_err(|e| e.to_string())?;
    let now = hush_vault::now();
    let start = Instant::now();
    let first = n.min(BATCH);
    for i in 0..first {
        vault.add(common::item(i, now));
    }
    let keys = Vault::derive(vault.header(), PW, &account_key).map_err(|e| e.to_string())?;
    let opts = LoginOptions {
        server_url: &a.server,
        device_name: "bench-a",
        policy: FloorPolicy::AllowInsecure,
        insecure_http: false,
        now,
    };
    hush_sync::register(&mut vault, t, &keys.auth, &account_key, a.invite.as_deref(), &mut fresh(), &opts)
        .map_err(|e| e.to_string())?;
    let mut done = first;
    while done < n {
        let end = n.min(done + BATCH);
        for i in done..end {
            vault.add(common::item(i, now));
        }
        hush_sync::sync(&mut vault, t, &mut fresh(), now).map_err(|e| e.to_string())?;
        done = end;
    }
    Ok((vault, account_key, start.elapsed()))
}

fn populate(a: &Args, t: &dyn Transport) -> Result<(), String> {
    let out = a.token_out.as_ref().ok_or("populate needs --token-out FILE")?;
    let (vault, _, took) = register(a, t, a.items)?;
    let token = vault
        .state()
        .sync
        .as_ref()
        .map(|s| zeroize::Zeroizing::new(s.token.clone()))
        .ok_or("not connected")?;
    let mut f = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(out)
    }
    .map_err(|e| format!("{}: {e}", out.display()))?;
    f.write_all(token.as_bytes()).map_err(|e| e.to_string())?;
    let seq = vault.state().sync.as_ref().map_or(0, |s| s.seq);
    eprintln!("populated an account with {} items in {:.2} s (seq {seq})", a.items, took.as_secs_f64());
    println!("{seq}");
    Ok(())
}

/// Median, min and max of some durations, in milliseconds.
fn stats(mut d: Vec<Duration>) -> String {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1e3;
    format!(
        "median {:9.2} ms  (min {:.2}, max {:.2}, n={})",
        ms(d[d.len() / 2]),
        ms(d[0]),
        ms(d[d.len() - 1]),
        d.len()
    )
}

fn time<T>(f: impl FnOnce() -> Result<T, String>) -> Result<(T, Duration), String> {
    let start = Instant::now();
    let out = f()?;
    Ok((out, start.elapsed()))
}

fn measure(a: &Args, http: &HttpTransport) -> Result<(), String> {
    let n = a.items;
    let counting = Counting::new(http);
    let (mut dev_a, account_key, took) = register(a, &counting, n)?;
    let account = dev_a.account_id();
    println!("account with {n} items registered and uploaded in {:.2} s", took.as_secs_f64());
    println!("  upload: {}", counting.take());

    // The KDF alone, at the account's (cheap) parameters.
    let salt = KdfSalt(dev_a.header().salt);
    let mut kdf = Vec::new();
    for _ in 0..a.runs {
        kdf.push(
            time(|| {
                hush_crypto::derive_keys(
                    PW,
                    &salt,
                    &CHEAP,
                    &account,
                    &account_key,
                    FloorPolicy::AllowInsecure,
                )
                .map_err(|e| e.to_string())
            })?
            .1,
        );
    }

    // (a) initial sync of a new device.
    let mut initial = Vec::new();
    let mut bytes_initial = String::new();
    let mut dev_b = None;
    for _ in 0..a.runs {
        let ((vault, report), d) = time(|| {
            hush_sync::login_new_device(
                &counting,
                &account,
                &account_key,
                PW,
                LoginOptions {
                    server_url: &a.server,
                    device_name: "bench-b",
                    policy: FloorPolicy::AllowInsecure,
                    insecure_http: false,
                    now: hush_vault::now(),
                },
            )
            .map_err(|e| e.to_string())
        })?;
        if vault.len() != n || report.received.len() != n {
            return Err(format!("the new device got {} items, expected {n}", vault.len()));
        }
        initial.push(d);
        bytes_initial = counting.take();
        dev_b = Some(vault);
    }
    let mut dev_b = dev_b.expect("runs > 0");
    let token = proto::SessionToken::new(dev_b.state().sync.as_ref().ok_or("not connected")?.token.clone());

    // The bare full pull: HTTP round trip, server, JSON parsing; no verification.
    let mut pull_full = Vec::new();
    let mut full_body = 0;
    for _ in 0..a.runs {
        let (resp, d) = time(|| http.pull(&token, 0).map_err(|e| e.to_string()))?;
        full_body = json_len(&resp);
        pull_full.push(d);
    }

    // (b) empty incremental sync.
    let mut empty = Vec::new();
    for _ in 0..a.runs {
        let (report, d) = time(|| {
            hush_sync::sync(&mut dev_b, &counting, &mut fresh(), hush_vault::now()).map_err(|e| e.to_string())
        })?;
        if !report.received.is_empty() || !report.pushed.is_empty() {
            return Err("the empty sync moved items".into());
        }
        empty.push(d);
    }
    let bytes_empty = counting.take();

    // (c) one new item pushed into the N-item account (pull of nothing + push of one).
    let mut push_one = Vec::new();
    for k in 0..a.runs {
        dev_a.add(common::item(n + k, hush_vault::now()));
        let (report, d) = time(|| {
            hush_sync::sync(&mut dev_a, &counting, &mut fresh(), hush_vault::now()).map_err(|e| e.to_string())
        })?;
        if report.pushed.len() != 1 {
            return Err(format!("pushed {} items, expected 1", report.pushed.len()));
        }
        push_one.push(d);
    }
    let bytes_push = counting.take();

    // And the other device receiving that one item.
    let (report, receive_one) = time(|| {
        hush_sync::sync(&mut dev_b, &counting, &mut fresh(), hush_vault::now()).map_err(|e| e.to_string())
    })?;
    let bytes_receive = counting.take();

    println!("KDF alone (m=8 MiB, t=1, p=1):      {}", stats(kdf));
    println!("(a) initial sync, {n} items:         {}", stats(initial));
    println!("    bare GET ?since=0 + JSON parse:  {}", stats(pull_full));
    println!("    wire (last run): {bytes_initial}");
    println!(
        "(d) full pull body: {full_body} bytes = {:.1} bytes/item; item blob {} bytes",
        full_body as f64 / n as f64,
        dev_b.entries().values().next().map_or(0, |e| e.blob.len())
    );
    println!("(b) empty incremental sync:          {}", stats(empty));
    println!("    wire ({} runs): {bytes_empty}", a.runs);
    println!("(c) add one item + sync (push):      {}", stats(push_one));
    println!("    wire ({} runs): {bytes_push}", a.runs);
    println!(
        "    the other device receiving {} new items: {:.2} ms; wire: {bytes_receive}",
        report.received.len(),
        receive_one.as_secs_f64() * 1e3
    );
    Ok(())
}

fn catchup(a: &Args, http: &HttpTransport) -> Result<(), String> {
    let n = a.items;
    let (mut dev_a, account_key, _) = register(a, http, n)?;
    let account = dev_a.account_id();
    let login = |name: &str| {
        hush_sync::login_new_device(
            http,
            &account,
            &account_key,
            PW,
            LoginOptions {
                server_url: &a.server,
                device_name: name,
                policy: FloorPolicy::AllowInsecure,
                insecure_http: false,
                now: hush_vault::now(),
            },
        )
        .map(|(v, _)| v)
        .map_err(|e| e.to_string())
    };
    let mut dev_b = login("bench-b")?;
    let ids: Vec<_> = dev_a.items().map(|(id, _)| id).collect();
    let mut catch_up = Vec::new();
    let mut bare = Vec::new();
    let mut pushes = Vec::new();
    for round in 0..a.runs {
        let start_seq = dev_b.state().sync.as_ref().map_or(0, |s| s.seq);
        let started = Instant::now();
        for p in 0..a.pushes {
            let id = ids[(round * a.pushes + p) % ids.len()];
            dev_a.update(&id, hush_vault::now(), |i| i.notes = format!("round {round} push {p}"));
            hush_sync::sync(&mut dev_a, http, &mut fresh(), hush_vault::now()).map_err(|e| e.to_string())?;
        }
        pushes.push(started.elapsed() / u32::try_from(a.pushes.max(1)).unwrap_or(u32::MAX));
        let token =
            proto::SessionToken::new(dev_b.state().sync.as_ref().ok_or("not connected")?.token.clone());
        bare.push(time(|| http.pull(&token, start_seq).map_err(|e| e.to_string()))?.1);
        let (report, d) = time(|| {
            hush_sync::sync(&mut dev_b, http, &mut fresh(), hush_vault::now()).map_err(|e| e.to_string())
        })?;
        if report.received.len() != a.pushes.min(ids.len()) {
            return Err(format!(
                "B received {} items, expected {}",
                report.received.len(),
                a.pushes.min(ids.len())
            ));
        }
        catch_up.push(d);
    }
    let head = dev_b.state().accepted(&account).head.ok_or("no head")?;
    println!("account of {n} items; A pushed {} times per round while B was away", a.pushes);
    println!("one push by A (pull + push):          {}", stats(pushes));
    println!("B catches up and verifies:            {}", stats(catch_up));
    println!("    of which the bare GET + JSON:     {}", stats(bare));
    println!(
        "head: push {}, {} writers; what the server keeps for the chain: one manifest of {} bytes",
        head.counter,
        head.writers.len(),
        hush_crypto::Manifest::seal(
            dev_b.vault_key(),
            &account,
            head.key_version,
            &hush_crypto::ManifestPayload::next(
                Some(&head),
                head.writers[0].device,
                head.writers[0].pushes + 1,
                head.digest
            )
        )
        .len()
    );
    Ok(())
}

fn json_len<T: Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

/// Counts calls and JSON body bytes in each direction. Bodies are re-serialised with
/// serde_json, as the client (`reqwest::RequestBuilder::json`) and the server (axum's
/// `Json`) serialise the same hush-proto types: the same bytes, without HTTP headers.
struct Counting<'a> {
    inner: &'a dyn Transport,
    calls: Cell<usize>,
    sent: Cell<usize>,
    received: Cell<usize>,
}

impl<'a> Counting<'a> {
    fn new(inner: &'a dyn Transport) -> Self {
        Counting { inner, calls: Cell::new(0), sent: Cell::new(0), received: Cell::new(0) }
    }

    fn note(&self, sent: usize, received: usize) {
        self.calls.set(self.calls.get() + 1);
        self.sent.set(self.sent.get() + sent);
        self.received.set(self.received.get() + received);
    }

    fn count<T: Serialize>(&self, sent: usize, r: Result<T, TransportError>) -> Result<T, TransportError> {
        self.note(sent, r.as_ref().map_or(0, json_len));
        r
    }

    fn count_empty(&self, sent: usize, r: Result<(), TransportError>) -> Result<(), TransportError> {
        self.note(sent, 0);
        r
    }

    /// The counts so far, as text; resets them.
    fn take(&self) -> String {
        let s = format!(
            "{} requests, {} bytes sent, {} bytes received (JSON bodies)",
            self.calls.take(),
            self.sent.take(),
            self.received.take()
        );
        s
    }
}

impl Transport for Counting<'_> {
    fn register(&self, req: &proto::RegisterRequest) -> Result<(), TransportError> {
        self.count_empty(json_len(req), self.inner.register(req))
    }
    fn prelogin(&self, account: &proto::AccountId) -> Result<proto::PreloginResponse, TransportError> {
        self.count(0, self.inner.prelogin(account))
    }
    fn challenge(&self, account: &proto::AccountId) -> Result<proto::ChallengeResponse, TransportError> {
        self.count(json_len(&proto::ChallengeRequest { account_id: *account }), self.inner.challenge(account))
    }
    fn login(&self, req: &proto::LoginRequest) -> Result<proto::LoginResponse, TransportError> {
        self.count(json_len(req), self.inner.login(req))
    }
    fn pull(&self, token: &proto::SessionToken, since: u64) -> Result<proto::PullResponse, TransportError> {
        self.count(0, self.inner.pull(token, since))
    }
    fn push(
        &self,
        token: &proto::SessionToken,
        req: &proto::PushRequest,
    ) -> Result<PushOutcome, TransportError> {
        let r = self.inner.push(token, req);
        // 200 {"seq"}, or 409 {"error","message","seq"}: count the former's size for both.
        let received = match &r {
            Ok(PushOutcome::Accepted(seq) | PushOutcome::Conflict(seq)) => {
                json_len(&proto::PushResponse { seq: *seq })
            }
            Err(_) => 0,
        };
        self.note(json_len(req), received);
        r
    }
    fn rekey(&self, token: &proto::SessionToken, req: &proto::RekeyRequest) -> Result<u64, TransportError> {
        self.count(json_len(req), self.inner.rekey(token, req))
    }
    fn sessions(&self, token: &proto::SessionToken) -> Result<proto::SessionList, TransportError> {
        self.count(0, self.inner.sessions(token))
    }
    fn logout(&self, token: &proto::SessionToken) -> Result<(), TransportError> {
        self.count_empty(0, self.inner.logout(token))
    }
    fn revoke(&self, token: &proto::SessionToken, session: &proto::SessionId) -> Result<(), TransportError> {
        self.count_empty(0, self.inner.revoke(token, session))
    }
    fn delete_account(
        &self,
        token: &proto::SessionToken,
        req: &proto::DeleteAccountRequest,
    ) -> Result<(), TransportError> {
        self.count_empty(0, self.inner.delete_account(token, req))
    }
}
