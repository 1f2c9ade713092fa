//! Issue #11 end to end: `hush-server` on PostgreSQL, several stateless instances behind a load
//! balancer, and the move from SQLite with `hush-server copy`; the real `hush` and `hush-server`
//! binaries, a real PostgreSQL (a throwaway cluster, `hush_e2e::postgres`), devices in temporary
//! HUSH_HOMEs. Without PostgreSQL these tests skip with a notice; under CI they fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hush_e2e::instances::Balancer;
use hush_e2e::{Home, Server, Store, assert_ok, contains_bytes, logged_in, postgres, stderr};

/// Distinctive device names: none may reach the database in the clear.
const DEVICE_NAMES: [&str; 4] =
    ["alices-laptop-q7x", "alices-phone-k2v", "alices-tablet-m9w", "alices-desktop-z4r"];

fn add(home: &Home, name: &str, password: &str) {
    let out = home.run_stdin(&["add", name, "--password-stdin"], &format!("{password}\n"));
    assert_ok(&out, &["add", name]);
}

/// One `hush sync` while instances may be dying: success, or "cannot reach the server" (exit 2)
/// when the instance answering it was killed mid-request. Anything else fails the test; above all
/// exit 6, which would mean a device saw the server go back (a lost acknowledged push).
fn sync_through_chaos(home: &Home, device: &str) -> bool {
    let out = home.run(&["sync"]);
    match out.status.code() {
        Some(0) => true,
        Some(2) => false,
        code => panic!(
            "{device}: hush sync exited {code:?} while an instance was killed (6 is tampering)\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        ),
    }
}

/// Syncs until one sync succeeds (at most a minute: a restarted instance, a connection cut once).
fn sync_until_ok(home: &Home, device: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sync_through_chaos(home, device) {
        assert!(Instant::now() < deadline, "{device}: no successful sync in a minute");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Four devices edit and sync at the same time through a round-robin balancer in front of two
/// instances on one PostgreSQL database, while one instance is killed (SIGKILL) and later started
/// again. No sync reports tampering (a rollback of anything a device had accepted), every item
/// every device wrote ends up on every device with its password, every device ends with the same
/// vault, and a dump of the database holds no item name, password or device name.
#[test]
fn four_devices_sync_through_two_instances_while_one_is_killed_and_restarted() {
    let Some(cluster) = postgres::cluster_or_skip("two hush-server instances on PostgreSQL") else { return };
    let database = cluster.database();
    let mut first = Server::instance(&database, 0);
    let second = Server::instance(&database, 0);
    let balancer = Balancer::start(vec![first.addr(), second.addr()]);
    let url = balancer.url();

    let owner = Home::new();
    let code = owner.init();
    owner.ok(&["register", "--server", &url, "--invite", &first.invite(), "--device-name", DEVICE_NAMES[0]]);
    add(&owner, "seed-item-before-anyone", "seed-password-4f1c9a");
    owner.ok(&["sync"]);
    let mut devices = vec![owner];
    for name in &DEVICE_NAMES[1..] {
        devices.push(logged_in(&url, &code, Some(name)));
    }

    const ROUNDS: usize = 6;
    let rounds_done = Arc::new(AtomicUsize::new(0));
    let item = |device: usize, round: usize| {
        (format!("d{device}-r{round}-site"), format!("pw-{device}-{round}-9c2e7b"))
    };
    let devices = Arc::new(devices);
    let workers: Vec<_> = (0..devices.len())
        .map(|d| {
            let devices = Arc::clone(&devices);
            let rounds_done = Arc::clone(&rounds_done);
            std::thread::spawn(move || {
                let home = &devices[d];
                for round in 0..ROUNDS {
                    let (name, pw) = item(d, round);
                    add(home, &name, &pw);
                    // Edit an item everyone shares, so pushes conflict and merge across devices.
                    home.ok(&["edit", "seed-item-before-anyone", "--generate"]);
                    sync_through_chaos(home, DEVICE_NAMES[d]);
                    rounds_done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();

    // Kill one instance once the devices are under way, start it again a little later: progress
    // counts, not clocks, decide when.
    let wait_for = |rounds: usize| {
        while rounds_done.load(Ordering::SeqCst) < rounds && !workers.iter().all(|w| w.is_finished()) {
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for(4);
    first.stop();
    wait_for(12);
    first.restart();
    for worker in workers {
        worker.join().expect("a device thread failed");
    }
    let devices = Arc::try_unwrap(devices).unwrap_or_else(|_| panic!("threads are done"));

    // Two rounds of syncs: the first pushes what each still holds, the second brings it all back.
    for _ in 0..2 {
        for (d, home) in devices.iter().enumerate() {
            sync_until_ok(home, DEVICE_NAMES[d]);
        }
    }
    let vault = devices[0].ok(&["ls", "--json"]);
    for (d, home) in devices.iter().enumerate() {
        assert_eq!(home.ok(&["ls", "--json"]), vault, "{} holds another vault", DEVICE_NAMES[d]);
        for writer in 0..devices.len() {
            for round in 0..ROUNDS {
                let (name, pw) = item(writer, round);
                assert_eq!(home.password(&name), pw, "{name} on {}", DEVICE_NAMES[d]);
            }
        }
    }

    let dump = cluster.dump(&database);
    assert!(contains_bytes(&dump, b"COPY public.items"), "the dump holds the items table");
    let mut secrets: Vec<String> = DEVICE_NAMES.iter().map(|name| (*name).to_owned()).collect();
    for writer in 0..devices.len() {
        for round in 0..ROUNDS {
            let (name, pw) = item(writer, round);
            secrets.extend([name, pw]);
        }
    }
    secrets.extend(["seed-item-before-anyone".to_owned(), "seed-password-4f1c9a".to_owned()]);
    secrets.push(devices[0].password("seed-item-before-anyone"));
    for secret in &secrets {
        assert!(!contains_bytes(&dump, secret.as_bytes()), "{secret} is in the database dump");
        // pg_dump writes bytea as hex: look for that form too.
        assert!(!contains_bytes(&dump, hex(secret.as_bytes()).as_bytes()), "{secret} (hex) is in the dump");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A SQLite server in use moves to PostgreSQL with one command: devices sync on against an
/// instance on PostgreSQL at the same address without logging in again and without reporting
/// tampering, see each other's changes, and a new device logs in. The copy refuses to run again
/// into the now non-empty database.
#[test]
fn copy_from_a_sqlite_server_in_use_to_postgres_and_sync_on() {
    let Some(cluster) = postgres::cluster_or_skip("hush-server copy to PostgreSQL") else { return };
    let mut sqlite = Server::start_on(Store::Sqlite);
    let a = Home::new();
    let code = a.init();
    a.ok(&["register", "--server", &sqlite.url, "--invite", &sqlite.invite(), "--device-name", "laptop"]);
    add(&a, "bank", "bank-password-before-the-move");
    a.ok(&["sync"]);
    let b = logged_in(&sqlite.url, &code, Some("phone"));
    add(&b, "mail", "mail-password-before-the-move");
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    let spare_invite = sqlite.invite();

    // The operator stops the server, copies, and starts an instance on PostgreSQL on the same
    // address.
    sqlite.stop();
    let database = cluster.database();
    let out = std::process::Command::new(hush_e2e::bin("hush-server"))
        .args(["copy", "--json", "--from"])
        .arg(sqlite.data_dir())
        .env("HUSH_SERVER_COPY_TO", &database)
        .output()
        .expect("run hush-server copy");
    assert_ok(&out, &["hush-server copy"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["accounts"], 1, "{report}");
    assert_eq!(report["sessions"], 2, "{report}");
    assert_eq!(report["invites"], 1, "{report}");
    assert!(report["items"].as_u64().expect("a count") >= 2, "{report}");
    let port: u16 = sqlite.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    let _pg = Server::instance(&database, port);

    // Both devices sync on: no login, no tampering (exit 6 fails `ok`).
    a.ok(&["sync"]);
    add(&b, "shop", "shop-password-after-the-move");
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(a.password("shop"), "shop-password-after-the-move");
    assert_eq!(b.password("bank"), "bank-password-before-the-move");
    // A new device logs in against the copy.
    let c = logged_in(&sqlite.url, &code, Some("tablet"));
    for (name, pw) in [
        ("bank", "bank-password-before-the-move"),
        ("mail", "mail-password-before-the-move"),
        ("shop", "shop-password-after-the-move"),
    ] {
        assert_eq!(c.password(name), pw);
    }
    // The invite the SQLite server had not used yet works on PostgreSQL.
    let d = Home::new();
    d.init();
    d.ok(&["register", "--server", &sqlite.url, "--invite", &spare_invite, "--device-name", "other"]);

    // A second copy into the same database is refused, and says how to go on.
    let again = std::process::Command::new(hush_e2e::bin("hush-server"))
        .args(["copy", "--from"])
        .arg(sqlite.data_dir())
        .env("HUSH_SERVER_COPY_TO", &database)
        .output()
        .expect("run hush-server copy");
    assert!(!again.status.success());
    assert!(stderr(&again).contains("--into-non-empty"), "{}", stderr(&again));
}

/// `.ci/run` runs every end-to-end suite that starts a `Server` a second time with every server
/// on PostgreSQL (`HUSH_TEST_STORE=postgres`, tests/src/server.rs): a suite added later and left
/// off that list would prove its guarantees on SQLite only. This test fails until it is listed.
#[test]
fn ci_runs_every_suite_that_starts_a_server_on_postgres_too() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ci = std::fs::read_to_string(root.join("../.ci/run")).expect("read .ci/run");
    // The command is one logical line, continued with backslashes.
    let command = ci.replace("\\\n", " ");
    let line = command
        .lines()
        .find(|l| l.starts_with("HUSH_TEST_STORE=postgres cargo test -p hush-e2e"))
        .expect(".ci/run runs the end-to-end suites with HUSH_TEST_STORE=postgres");
    let words: Vec<&str> = line.split_whitespace().collect();
    let listed: std::collections::BTreeSet<&str> =
        words.windows(2).filter(|w| w[0] == "--test").map(|w| w[1]).collect();
    let mut starting_a_server = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(root.join("tests")).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap().to_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        // postgres.rs itself runs on PostgreSQL already (and starts its SQLite server on purpose).
        if name != "postgres" && source.contains("Server::start") {
            starting_a_server.insert(name);
        }
    }
    assert!(
        starting_a_server.contains("malicious_server"),
        "the scan finds the suites: {starting_a_server:?}"
    );
    let missing: Vec<&String> = starting_a_server.iter().filter(|n| !listed.contains(n.as_str())).collect();
    assert!(missing.is_empty(), "add to .ci/run's HUSH_TEST_STORE=postgres pass: {missing:?}");
}
