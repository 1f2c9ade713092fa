//! The vault's life cycle across processes (docs/architecture.md): slow work on the network
//! never holds the writers' lock.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use hush_e2e::{Home, Server, assert_ok};

/// With `[sync] auto = true`, a change syncs afterwards. Against a server that accepts the
/// connection and then never answers, that sync waits for its timeout; it must do so without
/// the lock, so that another `hush` that writes is not held up (issue #12, point 4).
#[test]
fn an_automatic_sync_to_a_frozen_server_does_not_hold_up_other_writers() {
    let server = Server::start();
    let home = Home::new();
    home.init();
    home.ok(&["register", "--server", &server.url, "--invite", &server.invite(), "--device-name", "laptop"]);
    // The vault now points at a server that will freeze: swap the real one for a listener that
    // accepts and never answers, on the same address.
    let port: u16 = server.url.rsplit(':').next().unwrap().parse().unwrap();
    drop(server);
    let frozen = TcpListener::bind(("127.0.0.1", port)).expect("take over the port");
    std::fs::write(home.path().join("config.toml"), "[sync]\nauto = true\n").unwrap();

    let mut slow = home
        .cmd()
        .arg("--password-file")
        .arg(home.password_file())
        .args(["add", "first", "--generate"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first command is in its sync: the frozen server has its connection.
    let (_connection, _) = frozen.accept().expect("the automatic sync connects");
    // The second writer must not sync itself (it would wait for the frozen server too).
    std::fs::write(home.path().join("config.toml"), "[sync]\nauto = false\n").unwrap();
    let started = Instant::now();
    let out = home.run(&["add", "second", "--generate"]);
    assert_ok(&out, &["add while another hush syncs"]);
    assert!(
        slow.try_wait().unwrap().is_none(),
        "the first command was meant to be still waiting for the frozen server"
    );
    // Both changes are kept; the first finishes once its sync times out.
    let status = slow.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(60));
    let names = home.ok(&["ls"]);
    assert!(names.contains("first") && names.contains("second"), "{names}");
}
