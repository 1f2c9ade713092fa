//! Issue #4 end to end: the agent, with real `hush` processes.
//!
//! Every test that unlocks holds an [`AgentGuard`], which runs `hush lock` when the
//! test ends, passes or panics, so that no agent outlives the test run.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hush_e2e::{Home, PASSWORD, assert_ok, bin, stderr};

const SECRET: &str = "s3cret-Pa55word";

/// Runs `hush lock` for a home and runtime folder when dropped.
struct AgentGuard {
    home: PathBuf,
    runtime: PathBuf,
}

impl AgentGuard {
    fn new(home: &Home) -> AgentGuard {
        AgentGuard { home: home.path(), runtime: runtime(home) }
    }
}

impl Drop for AgentGuard {
    fn drop(&mut self) {
        let _ = Command::new(bin("hush"))
            .env_clear()
            .env("HUSH_HOME", &self.home)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .arg("lock")
            .stdin(Stdio::null())
            .output();
    }
}

fn runtime(home: &Home) -> PathBuf {
    home.scratch().join("runtime")
}

/// A home with a vault holding one login, `github`.
fn home_with_item() -> Home {
    let home = Home::new();
    home.init();
    assert_ok(&home.run_stdin(&["add", "github", "--password-stdin"], &format!("{SECRET}\n")), &["add"]);
    home
}

/// `hush ARGS` with no password file and stdin from /dev/null: it can succeed only
/// if the key comes from the agent.
fn run_bare(home: &Home, args: &[&str]) -> Output {
    home.cmd().args(args).output().expect("run hush")
}

fn unlock(home: &Home, extra: &[&str]) -> AgentGuard {
    let guard = AgentGuard::new(home);
    let mut args = vec!["unlock"];
    args.extend_from_slice(extra);
    let out = home.run(&args);
    assert_ok(&out, &args);
    assert!(stderr(&out).contains("Unlocked"), "{}", stderr(&out));
    guard
}

/// `hush status --json`, whose exit code says the same as its `unlocked`: 0 when unlocked,
/// 1 when not.
fn status(home: &Home) -> serde_json::Value {
    let out = run_bare(home, &["status", "--json"]);
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status --json is JSON");
    let expected = if st["unlocked"] == true { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(expected), "{st}\n{}", stderr(&out));
    st
}

fn agent_pid(home: &Home) -> u32 {
    let st = status(home);
    st["agent_pid"].as_u64().and_then(|p| u32::try_from(p).ok()).unwrap_or_else(|| panic!("no agent: {st}"))
}

/// Whether a process runs (a zombie waiting for its parent counts as gone).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn wait_gone(pid: u32, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    !alive(pid)
}

fn no_terminal(out: &Output) -> bool {
    !out.status.success() && stderr(out).contains("no terminal to ask for the master password")
}

#[test]
fn unlock_lets_commands_run_without_the_password() {
    let home = home_with_item();
    // Before unlocking, a command without a password file cannot get the key.
    assert!(no_terminal(&run_bare(&home, &["get", "github", "--field", "password"])));
    let _guard = unlock(&home, &[]);
    // Reading, listing and writing all work with no password file and no terminal.
    let out = run_bare(&home, &["get", "github", "--field", "password"]);
    assert_ok(&out, &["get"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{SECRET}\n"));
    assert_ok(&run_bare(&home, &["ls", "--json"]), &["ls"]);
    assert_ok(&run_bare(&home, &["add", "gitlab", "--generate"]), &["add"]);
    assert_ok(&run_bare(&home, &["get", "gitlab", "--field", "password"]), &["get gitlab"]);
    // --no-agent skips it.
    assert!(no_terminal(&run_bare(&home, &["--no-agent", "get", "github"])));
    // Unlocking again is a no-op that needs no password.
    let again = run_bare(&home, &["unlock"]);
    assert_ok(&again, &["unlock again"]);
    assert!(stderr(&again).contains("Already unlocked"), "{}", stderr(&again));
}

#[test]
fn lock_forgets_the_key_and_ends_the_agent() {
    let home = home_with_item();
    let _guard = unlock(&home, &[]);
    let pid = agent_pid(&home);
    assert!(alive(pid));
    let out = run_bare(&home, &["lock"]);
    assert_ok(&out, &["lock"]);
    assert!(stderr(&out).contains("Locked."), "{}", stderr(&out));
    assert!(wait_gone(pid, Duration::from_secs(2)), "agent {pid} still running after lock");
    assert!(no_terminal(&run_bare(&home, &["get", "github", "--field", "password"])));
    // Locking twice is fine.
    let out = run_bare(&home, &["lock"]);
    assert_ok(&out, &["lock again"]);
    assert!(stderr(&out).contains("Not unlocked"), "{}", stderr(&out));
}

#[test]
fn status_before_during_and_after() {
    let home = home_with_item();
    let before = status(&home);
    assert_eq!(before["unlocked"], false, "{before}");
    assert_eq!(before["agent"], "none", "{before}");
    let text = run_bare(&home, &["status"]);
    assert_eq!(String::from_utf8_lossy(&text.stdout), "locked\n");

    let guard = unlock(&home, &["--timeout", "600"]);
    let during = status(&home);
    assert_eq!(during["unlocked"], true, "{during}");
    assert_eq!(during["agent"], "running", "{during}");
    assert_eq!(during["timeout_secs"], 600, "{during}");
    let remaining = during["remaining_secs"].as_u64().unwrap();
    assert!((595..=600).contains(&remaining), "{during}");
    let text = String::from_utf8_lossy(&run_bare(&home, &["status"]).stdout).into_owned();
    assert!(text.starts_with("unlocked: locks after 9 min"), "{text}");

    drop(guard);
    let after = status(&home);
    assert_eq!(after["unlocked"], false, "{after}");
}

#[test]
fn idle_timeout_forgets_the_key_and_use_resets_it() {
    let home = home_with_item();
    let _guard = unlock(&home, &["--timeout", "3"]);
    let pid = agent_pid(&home);
    // Used after 2 s, the agent is good for another 3 s: at 4 s it still answers.
    std::thread::sleep(Duration::from_secs(2));
    assert_ok(&run_bare(&home, &["get", "github", "--field", "password"]), &["get at 2 s"]);
    std::thread::sleep(Duration::from_secs(2));
    assert_ok(&run_bare(&home, &["get", "github", "--field", "password"]), &["get at 4 s"]);
    // Idle past the timeout, it exits by itself, and removes its socket.
    assert!(wait_gone(pid, Duration::from_secs(6)), "agent {pid} outlived its timeout");
    let st = status(&home);
    assert_eq!(st["unlocked"], false, "{st}");
    assert_eq!(st["agent"], "none", "{st}");
    let socket = PathBuf::from(st["socket"].as_str().unwrap());
    assert!(!socket.exists(), "{} left behind", socket.display());
    assert!(no_terminal(&run_bare(&home, &["get", "github"])));
}

#[test]
fn two_homes_never_share_an_agent() {
    let a = home_with_item();
    let b = home_with_item();
    let shared = runtime(&a);
    let in_shared = |home: &Home, args: &[&str]| {
        home.cmd().env("XDG_RUNTIME_DIR", &shared).args(args).output().expect("run hush")
    };
    let _guard_a = unlock(&a, &[]);
    // B, in the same runtime folder, finds no agent of its own.
    assert!(no_terminal(&in_shared(&b, &["get", "github", "--field", "password"])));
    let _guard_b = AgentGuard { home: b.path(), runtime: shared.clone() };
    let pw = b.password_file();
    let out = in_shared(&b, &["--password-file", pw.to_str().unwrap(), "unlock"]);
    assert_ok(&out, &["unlock b"]);
    // Two agents, two sockets.
    let sockets: Vec<_> = std::fs::read_dir(shared.join("hush")).unwrap().flatten().collect();
    assert_eq!(sockets.len(), 2, "{sockets:?}");
    assert_ne!(agent_pid(&a), {
        let out = in_shared(&b, &["status", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        u32::try_from(v["agent_pid"].as_u64().unwrap()).unwrap()
    });
    // Locking B leaves A unlocked.
    assert_ok(&in_shared(&b, &["lock"]), &["lock b"]);
    assert!(no_terminal(&in_shared(&b, &["get", "github"])));
    assert_ok(&run_bare(&a, &["get", "github", "--field", "password"]), &["get a"]);
}

#[test]
fn socket_folder_is_private_and_agent_is_hardened() {
    let home = home_with_item();
    let _guard = unlock(&home, &[]);
    let st = status(&home);
    let socket = PathBuf::from(st["socket"].as_str().unwrap());
    let folder = socket.parent().unwrap();
    assert_eq!(folder, runtime(&home).join("hush"));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(folder), 0o700);
    assert_eq!(mode(&socket), 0o600);

    let pid = agent_pid(&home);
    // No core dumps.
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert_eq!(core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(), ["0", "0"], "{core}");
    // Detached: its own session, no controlling terminal, stdin and stdout closed.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    assert_eq!(fields[3], pid.to_string(), "session id: {stat}");
    assert_eq!(fields[4], "0", "controlling terminal: {stat}");
    for fd in [0, 1] {
        let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap();
        assert_eq!(target, Path::new("/dev/null"), "fd {fd}");
    }
    // Neither the key nor the password is in its arguments: they are exactly the
    // program, the subcommand and the socket's path.
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
    let args: Vec<&str> = cmdline.trim_end_matches('\0').split('\0').collect();
    assert_eq!(args.len(), 4, "{args:?}");
    assert_eq!(args[1..3], ["__agent", "--socket"], "{args:?}");
    assert!(args[3].ends_with(".sock") && args[3].starts_with('/'), "{args:?}");
    assert!(!cmdline.contains(PASSWORD), "{cmdline}");
}

#[test]
fn loose_runtime_folder_is_refused() {
    let home = home_with_item();
    let folder = runtime(&home).join("hush");
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _guard = AgentGuard::new(&home);
    let out = home.run(&["unlock"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("open to other users"), "{}", stderr(&out));
    // Ordinary commands skip the agent with a warning and use the password.
    let out = home.run(&["get", "github", "--field", "password"]);
    assert_ok(&out, &["get"]);
    assert!(stderr(&out).contains("not using the agent"), "{}", stderr(&out));
}

#[test]
fn stale_socket_is_removed_silently() {
    let home = home_with_item();
    // Find the socket path, then leave a socket file nobody listens on, as a killed
    // agent would.
    drop(unlock(&home, &[]));
    let socket = PathBuf::from(status(&home)["socket"].as_str().unwrap().to_owned());
    drop(UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    let out = home.run(&["get", "github", "--field", "password"]);
    assert_ok(&out, &["get"]);
    assert!(!stderr(&out).contains("agent"), "{}", stderr(&out));
    assert!(!socket.exists(), "stale socket kept");
    // And `unlock` works over it too.
    drop(UnixListener::bind(&socket).unwrap());
    let _guard = unlock(&home, &[]);
    assert_ok(&run_bare(&home, &["get", "github"]), &["get"]);
}

/// A fake agent that answers every connection with a message of protocol v999.
struct FakeAgent {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    socket: PathBuf,
}

impl FakeAgent {
    fn start(socket: &Path) -> FakeAgent {
        let listener = UnixListener::bind(socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                        let mut buf = [0u8; 4096];
                        let _ = stream.read(&mut buf);
                        let _ = stream.write_all(b"{\"v\":999,\"hello\":{\"from\":\"the future\"}}\n");
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeAgent { stop, thread: Some(thread), socket: socket.to_owned() }
    }
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}

#[test]
fn agent_of_another_version_falls_back_to_the_password() {
    let home = home_with_item();
    drop(unlock(&home, &[]));
    let socket = PathBuf::from(status(&home)["socket"].as_str().unwrap().to_owned());
    let _guard = AgentGuard::new(&home);
    let fake = FakeAgent::start(&socket);

    let out = home.run(&["get", "github", "--field", "password"]);
    assert_ok(&out, &["get"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{SECRET}\n"));
    assert!(
        stderr(&out).contains(
            "the running agent is from another hush version; run `hush lock` and `hush unlock` again"
        ),
        "{}",
        stderr(&out)
    );
    assert!(no_terminal(&run_bare(&home, &["get", "github"])));
    let st = status(&home);
    assert_eq!(st["agent"], "other_version", "{st}");
    assert_eq!(st["unlocked"], false, "{st}");
    // `hush lock` stops only a process that is hush: this fake is the test itself,
    // which must survive.
    let out = run_bare(&home, &["lock"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is not a hush agent; not stopping it"), "{}", stderr(&out));
    drop(fake);
    // With the fake gone, unlocking works again.
    let _guard = unlock(&home, &[]);
    assert_ok(&run_bare(&home, &["get", "github"]), &["get"]);
}

#[test]
fn agent_of_a_replaced_vault_is_not_used() {
    let home = home_with_item();
    let _guard = unlock(&home, &[]);
    // A new vault in the same profile folder: the agent holds the old account's key.
    for f in ["vault.hush", "vault.hush.bak", "account.key"] {
        let _ = std::fs::remove_file(home.path().join(f));
    }
    home.init();
    let out = run_bare(&home, &["ls"]);
    assert!(no_terminal(&out), "{}", stderr(&out));
    assert!(stderr(&out).contains("the agent holds the key of another vault"), "{}", stderr(&out));
    assert_eq!(status(&home)["agent"], "other_vault");
    // `unlock` replaces it.
    let _guard = unlock(&home, &[]);
    assert_ok(&run_bare(&home, &["ls"]), &["ls"]);
}

/// Sends raw bytes to the agent and returns its answer line.
fn raw(socket: &Path, bytes: &[u8]) -> String {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.write_all(bytes).unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

#[test]
fn agent_rejects_malformed_requests_and_keeps_working() {
    let home = home_with_item();
    let _guard = unlock(&home, &[]);
    let socket = PathBuf::from(status(&home)["socket"].as_str().unwrap().to_owned());
    let cases: &[(&[u8], &str)] = &[
        (b"not json\n", "bad_request"),
        (b"{\"op\":\"get_key\"}\n", "bad_request"),
        (b"{\"v\":2,\"op\":\"dump_memory\"}\n", "bad_request"),
        (b"{\"v\":1,\"op\":\"get_key\"}\n", "unsupported_version"),
        (b"{\"v\":3,\"op\":\"get_key\"}\n", "unsupported_version"),
        (b"{\"v\":2,\"op\":\"put_key\",\"account_id\":\"nope\",\"key\":\"AAAA\",\"timeout_secs\":5,\"key_version\":1}\n", "bad_request"),
        // A version-1 key (32 bytes) is not a key ring.
        (b"{\"v\":2,\"op\":\"put_key\",\"account_id\":\"00000000-0000-0000-0000-000000000000\",\"key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"timeout_secs\":5,\"key_version\":1}\n", "bad_request"),
        // A key ring with an auth key that is not 32 bytes (issue #10: the agent keeps one).
        (b"{\"v\":2,\"op\":\"put_key\",\"account_id\":\"00000000-0000-0000-0000-000000000000\",\"key\":\"AQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\",\"auth_key\":\"AAAA\",\"timeout_secs\":5,\"key_version\":1}\n", "bad_request"),
    ];
    for (request, code) in cases {
        let answer = raw(&socket, request);
        let v: serde_json::Value =
            serde_json::from_str(answer.trim()).unwrap_or_else(|_| panic!("{answer:?}"));
        assert_eq!(v["error"]["code"], *code, "{}: {answer}", String::from_utf8_lossy(request));
        assert!(!answer.contains("key\":{"), "{answer}");
    }
    // An endless line is cut off without an answer.
    let long = vec![b'a'; 100_000];
    let mut s = UnixStream::connect(&socket).unwrap();
    let _ = s.write_all(&long);
    drop(s);
    // A client that connects and says nothing is dropped after a timeout, not forever.
    let idle = UnixStream::connect(&socket).unwrap();
    let started = Instant::now();
    assert_ok(&run_bare(&home, &["get", "github", "--field", "password"]), &["get after garbage"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(idle);
    assert_eq!(status(&home)["unlocked"], true);
}

#[test]
fn agent_exits_when_its_socket_is_removed() {
    // As when the session's runtime folder is wiped at logout: nobody can reach the
    // agent any more, so it must not keep the key until its timeout.
    let home = home_with_item();
    let _guard = unlock(&home, &[]);
    let pid = agent_pid(&home);
    let socket = PathBuf::from(status(&home)["socket"].as_str().unwrap().to_owned());
    std::fs::remove_file(&socket).unwrap();
    assert!(wait_gone(pid, Duration::from_secs(8)), "agent {pid} kept running without its socket");
}
