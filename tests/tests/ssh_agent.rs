//! Issue #13, part 2 end to end: SSH keys in the vault and `hush ssh-agent`, with the real
//! OpenSSH tools — `ssh-add`, `ssh-keygen -Y sign`/`verify`, and `ssh` logging in to a `sshd`
//! this test starts on a loopback port with its own configuration, host key and
//! authorized_keys.
//!
//! Every test that unlocks holds an `AgentGuard` (`hush lock` when it ends) and every
//! `hush ssh-agent` an [`SshAgent`] (stopped when it ends), pass or panic.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hush_e2e::{Home, assert_ok, require_root, require_tool, stderr};
use hush_ssh::ssh_key::PublicKey;
use ssh_agent_lib::blocking::Client;
use ssh_agent_lib::proto::{PublicCredential, SignRequest};

const OPENSSH: &str = "openssh-client";

/// A running `hush ssh-agent`, its socket, and its log (its stderr).
struct SshAgent {
    child: Child,
    socket: PathBuf,
    log: PathBuf,
}

impl SshAgent {
    /// Starts `hush ssh-agent EXTRA...` for `home` and waits for its first line, which names
    /// the socket once it listens.
    fn start(home: &Home, extra: &[&str]) -> SshAgent {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = home.scratch().join(format!("ssh-agent-{n}.log"));
        let mut child = home
            .cmd()
            .arg("ssh-agent")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start hush ssh-agent");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let socket = line
            .strip_prefix("SSH_AUTH_SOCK=")
            .and_then(|l| l.strip_suffix("; export SSH_AUTH_SOCK;\n"))
            .unwrap_or_else(|| {
                panic!("unexpected first line {line:?}; log: {}", std::fs::read_to_string(&log).unwrap())
            });
        SshAgent { child, socket: PathBuf::from(socket), log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// An OpenSSH tool talking to this agent, with no configuration of the machine's user.
    fn tool(&self, home: &Home, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.scratch())
            .env("SSH_AUTH_SOCK", &self.socket)
            .stdin(Stdio::null());
        c
    }

    /// SIGTERM, as systemd stops it.
    fn terminate(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Makes a key with the real `ssh-keygen` in the scratch folder; returns its path.
fn keygen(home: &Home, name: &str, args: &[&str]) -> PathBuf {
    let path = home.scratch().join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", &format!("{name}@test")])
        .args(args)
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    assert_ok(&out, &["ssh-keygen"]);
    path
}

/// A home with a vault, unlocked, and the OpenSSH client tools; `None` (SKIPPED) without them.
fn setup(test: &str) -> Option<(Home, hush_e2e::AgentGuard)> {
    for tool in ["ssh-add", "ssh-keygen"] {
        require_tool(tool, OPENSSH, test)?;
    }
    let home = Home::new();
    home.init();
    let guard = home.unlock();
    Some((home, guard))
}

/// `ssh-keygen -Y sign` of `message` with the key whose public line is in `pubkey`, through
/// the agent; the signature's path on success.
fn sign_file(agent: &SshAgent, home: &Home, pubkey: &Path, message: &Path) -> Output {
    agent
        .tool(home, "ssh-keygen")
        .args(["-Y", "sign", "-n", "file", "-f"])
        .arg(pubkey)
        .arg(message)
        .output()
        .unwrap()
}

fn verify_file(home: &Home, public_line: &str, message: &Path) -> Output {
    let allowed = home.write("allowed_signers", &format!("signer@test {public_line}\n"));
    Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "file", "-I", "signer@test", "-f"])
        .arg(allowed)
        .arg("-s")
        .arg(message.with_extension("txt.sig"))
        .stdin(std::fs::File::open(message).unwrap())
        .output()
        .unwrap()
}

#[test]
fn ssh_add_lists_the_vault_keys_only_while_unlocked() {
    let Some((home, _guard)) = setup("ssh_add_lists_the_vault_keys_only_while_unlocked") else { return };
    let generated = home.ok(&["ssh", "generate", "laptop", "--comment", "me@laptop"]);
    let rsa = keygen(&home, "rsa", &["-t", "rsa", "-b", "3072"]);
    let imported = home.ok(&["ssh", "import", "work", rsa.to_str().unwrap()]);
    assert!(
        generated.starts_with("ssh-ed25519 ") && generated.trim_end().ends_with(" me@laptop"),
        "{generated}"
    );
    assert_eq!(
        imported.trim(),
        std::fs::read_to_string(rsa.with_extension("pub")).unwrap().trim(),
        "the line ssh-keygen wrote"
    );

    let agent = SshAgent::start(&home, &[]);
    let listed = agent.tool(&home, "ssh-add").arg("-L").output().unwrap();
    assert_ok(&listed, &["ssh-add -L"]);
    let listed = text(&listed);
    let mut lines: Vec<&str> = listed.lines().map(str::trim).collect();
    lines.sort_unstable();
    let mut expected = vec![generated.trim(), imported.trim()];
    expected.sort_unstable();
    assert_eq!(lines, expected);
    // Fingerprints as ssh-add shows them are hush's.
    let fingerprints = text(&agent.tool(&home, "ssh-add").arg("-l").output().unwrap());
    for key in serde_json::from_str::<serde_json::Value>(&home.ok(&["ssh", "ls", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
    {
        assert!(fingerprints.contains(key["fingerprint"].as_str().unwrap()), "{fingerprints}");
    }

    // Locked: nothing is listed, at once; the ssh agent was not told, it asks at each request.
    assert_ok(&home.bare(&["lock"]), &["lock"]);
    let locked = agent.tool(&home, "ssh-add").arg("-L").output().unwrap();
    assert_eq!(locked.status.code(), Some(1));
    assert!(text(&locked).contains("The agent has no identities"), "{}", text(&locked));
    // Unlocked again: the same agent lists them again.
    let _again = home.unlock();
    let listed = agent.tool(&home, "ssh-add").arg("-L").output().unwrap();
    assert_eq!(text(&listed).lines().count(), 2, "{}", text(&listed));
    // A key moved to the trash is no longer served; restored, it is again.
    assert_ok(&home.bare(&["rm", "work"]), &["rm"]);
    let listed = text(&agent.tool(&home, "ssh-add").arg("-L").output().unwrap());
    assert_eq!(listed.trim(), generated.trim(), "the trashed key is still served");
    assert_ok(&home.bare(&["restore", "work"]), &["restore"]);
    assert_eq!(text(&agent.tool(&home, "ssh-add").arg("-L").output().unwrap()).lines().count(), 2);
}

#[test]
fn ssh_keygen_signatures_verify_for_every_key_type() {
    let test = "ssh_keygen_signatures_verify_for_every_key_type";
    let Some((home, _guard)) = setup(test) else { return };
    let mut keys = vec![("generated".to_owned(), home.ok(&["ssh", "generate", "generated"]))];
    for (name, args) in [
        ("rsa", &["-t", "rsa", "-b", "2048"][..]),
        ("ecdsa256", &["-t", "ecdsa", "-b", "256"]),
        ("ecdsa384", &["-t", "ecdsa", "-b", "384"]),
        ("ecdsa521", &["-t", "ecdsa", "-b", "521"]),
        ("ed25519", &["-t", "ed25519"]),
    ] {
        let path = keygen(&home, name, args);
        keys.push((name.to_owned(), home.ok(&["ssh", "import", name, path.to_str().unwrap()])));
        // The private key files go: only the vault can sign from now on.
        std::fs::remove_file(&path).unwrap();
    }
    let agent = SshAgent::start(&home, &[]);
    let message = home.write("message.txt", "release v1.2.3\n");
    for (name, public_line) in &keys {
        let pubkey = home.write(&format!("{name}.pub"), public_line);
        let signed = sign_file(&agent, &home, &pubkey, &message);
        assert_ok(&signed, &["ssh-keygen -Y sign", name]);
        let verified = verify_file(&home, public_line.trim(), &message);
        assert_ok(&verified, &["ssh-keygen -Y verify", name]);
        assert!(text(&verified).contains("Good \"file\" signature for signer@test"), "{}", text(&verified));
        std::fs::remove_file(message.with_extension("txt.sig")).unwrap();
        assert!(agent.log().contains(&format!("signed with \"{name}\"")), "{}", agent.log());
    }
    // The log names the key and the process, and holds no private key material.
    let log = agent.log();
    assert!(log.contains("for ssh-keygen (pid "), "{log}");
    for (name, _) in &keys {
        let private = home.ok(&["get", name, "--field", "private_key"]);
        assert!(private.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
        for line in private.lines().filter(|l| l.len() > 20) {
            assert!(!log.contains(line), "the log holds a line of {name}'s private key");
        }
    }

    // Locked: ssh-keygen finds no key to sign with (the agent lists none)...
    assert_ok(&home.bare(&["lock"]), &["lock"]);
    let pubkey = home.write("generated.pub", &keys[0].1);
    let refused = sign_file(&agent, &home, &pubkey, &message);
    assert!(!refused.status.success());
    assert!(!message.with_extension("txt.sig").exists());
    // ...and a client that sends the sign request anyway is refused, the log saying why.
    let key = PublicKey::from_openssh(keys[0].1.trim()).unwrap().key_data().clone();
    let mut client = Client::new(UnixStream::connect(&agent.socket).unwrap());
    let request = SignRequest { credential: PublicCredential::Key(key), data: b"data".to_vec(), flags: 0 };
    assert!(client.sign(request).is_err(), "a locked hush signed");
    assert!(agent.log().contains("hush is locked"), "{}", agent.log());
}

#[test]
fn rsa_signature_flags_are_honoured() {
    let Some((home, _guard)) = setup("rsa_signature_flags_are_honoured") else { return };
    let rsa = keygen(&home, "rsa", &["-t", "rsa", "-b", "2048"]);
    let line = home.ok(&["ssh", "import", "rsa", rsa.to_str().unwrap()]);
    let ed = home.ok(&["ssh", "generate", "ed"]);
    let agent = SshAgent::start(&home, &[]);
    let key_of = |line: &str| PublicKey::from_openssh(line.trim()).unwrap().key_data().clone();
    let sign = |line: &str, flags: u32| {
        let mut client = Client::new(UnixStream::connect(&agent.socket).unwrap());
        client.sign(SignRequest {
            credential: PublicCredential::Key(key_of(line)),
            data: b"session identifier and userauth request".to_vec(),
            flags,
        })
    };
    for (flags, algorithm) in [(2, "rsa-sha2-256"), (4, "rsa-sha2-512"), (6, "rsa-sha2-256")] {
        let signature = sign(&line, flags).unwrap_or_else(|e| panic!("flags {flags}: {e}"));
        assert_eq!(signature.algorithm().to_string(), algorithm, "flags {flags}");
        signature::Verifier::verify(&key_of(&line), b"session identifier and userauth request", &signature)
            .unwrap_or_else(|_| panic!("the {algorithm} signature verifies"));
    }
    // No SHA-2 flag asks for ssh-rsa (SHA-1): refused, and said so in the log.
    assert!(sign(&line, 0).is_err());
    assert!(agent.log().contains("ssh-rsa (SHA-1)"), "{}", agent.log());
    // Ed25519 has one signature algorithm and ignores the flags.
    assert_eq!(sign(&ed, 0).unwrap().algorithm().to_string(), "ssh-ed25519");
    // A key that is not in the vault is refused.
    let other = keygen(&home, "other", &["-t", "ed25519"]);
    let other_line = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    assert!(sign(&other_line, 0).is_err());
    assert!(agent.log().contains("is not in the vault"), "{}", agent.log());
}

/// A `sshd` on a loopback port with its own host key, configuration and authorized_keys,
/// in the foreground (`-D -e`), as root (sshd's privilege separation needs it).
struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sshd {
    fn start(test: &str, authorized_keys: &str) -> Option<Sshd> {
        let sshd = require_tool("sshd", "openssh-server", test)?;
        require_tool("ssh", OPENSSH, test)?;
        if !require_root(test) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", ""])
            .arg("-f")
            .arg(d.join("host_key"))
            .output()
            .unwrap();
        assert_ok(&out, &["ssh-keygen host key"]);
        std::fs::write(d.join("authorized_keys"), authorized_keys).unwrap();
        // sshd's privilege separation folder (Debian's package makes it at boot).
        std::fs::create_dir_all("/run/sshd").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
             PidFile none\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nAllowUsers {user}\nLogLevel VERBOSE\n",
            d = d.display(),
            user = user.trim()
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("sshd.log")).unwrap())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "sshd did not listen: {}",
                std::fs::read_to_string(d.join("sshd.log")).unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Sshd { child, port, dir })
    }

    /// The host key's fingerprint, as `ssh-keygen -l` gives it.
    fn host_fingerprint(&self) -> String {
        let out = Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(self.dir.path().join("host_key.pub"))
            .output()
            .unwrap();
        text(&out).split_whitespace().nth(1).unwrap().to_owned()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ssh_logs_in_to_a_local_sshd_with_each_vault_key() {
    let test = "ssh_logs_in_to_a_local_sshd_with_each_vault_key";
    let Some((home, _guard)) = setup(test) else { return };
    let ed = home.ok(&["ssh", "generate", "laptop"]);
    let rsa = keygen(&home, "rsa", &["-t", "rsa", "-b", "3072"]);
    let rsa_line = home.ok(&["ssh", "import", "server-rsa", rsa.to_str().unwrap()]);
    std::fs::remove_file(&rsa).unwrap();
    let Some(sshd) = Sshd::start(test, &format!("{ed}{rsa_line}")) else { return };
    let agent = SshAgent::start(&home, &[]);
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let login = |public: &str, extra: &[&str]| {
        let pubfile = home.write("identity.pub", public);
        agent
            .tool(&home, "ssh")
            .args(["-F", "/dev/null", "-p", &sshd.port.to_string()])
            .args([
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
            ])
            .args(["-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no", "-o", "LogLevel=ERROR"])
            .arg("-o")
            .arg(format!("IdentityFile={}", pubfile.display()))
            .args(extra)
            .arg(format!("{}@127.0.0.1", user.trim()))
            .arg("echo logged-in-with-hush")
            .output()
            .unwrap()
    };
    let out = login(&ed, &[]);
    assert!(
        text(&out).contains("logged-in-with-hush"),
        "ssh: {}\nsshd: {}\nagent: {}",
        stderr(&out),
        sshd.log(),
        agent.log()
    );
    // The log says which key signed, for ssh, bound to this server's host key.
    let log = agent.log();
    assert!(log.contains("signed with \"laptop\" (ssh-ed25519"), "{log}");
    assert!(log.contains(&format!("for the server with host key {}", sshd.host_fingerprint())), "{log}");
    // RSA with the hash the client asks for.
    for algorithm in ["rsa-sha2-256", "rsa-sha2-512"] {
        let out = login(&rsa_line, &["-o", &format!("PubkeyAcceptedAlgorithms={algorithm}")]);
        assert!(text(&out).contains("logged-in-with-hush"), "{algorithm}: {}\n{}", stderr(&out), sshd.log());
        assert!(agent.log().contains("signed with \"server-rsa\" (ssh-rsa SHA256:"), "{}", agent.log());
        assert!(agent.log().contains(&format!(") ({algorithm}) for ssh")), "{}", agent.log());
    }
    // Locked: no key, no login.
    assert_ok(&home.bare(&["lock"]), &["lock"]);
    let out = login(&ed, &[]);
    assert!(!text(&out).contains("logged-in-with-hush"));
    assert!(!out.status.success());
}

#[test]
fn confirmation_asks_askpass_and_refuses_without_a_yes() {
    let Some((home, _guard)) = setup("confirmation_asks_askpass_and_refuses_without_a_yes") else { return };
    let line = home.ok(&["ssh", "generate", "deploy"]);
    let pubkey = home.write("deploy.pub", &line);
    let message = home.write("message.txt", "hello\n");
    let config = home.path().join("config.toml");
    let with_config = |toml: &str| -> SshAgent {
        std::fs::write(&config, toml).unwrap();
        SshAgent::start(&home, &[])
    };

    // An askpass that says no (exit status 1): refused.
    let mut agent = with_config("[ssh_agent]\nconfirm = true\naskpass = \"/bin/false\"\n");
    assert!(!sign_file(&agent, &home, &pubkey, &message).status.success());
    assert!(agent.log().contains("\"deploy\"") && agent.log().contains("was not allowed"), "{}", agent.log());
    agent.terminate();

    // Nobody to ask: refused, never signed silently.
    let mut agent = with_config("[ssh_agent]\nconfirm = true\n");
    assert!(!sign_file(&agent, &home, &pubkey, &message).status.success());
    assert!(agent.log().contains("no askpass program"), "{}", agent.log());
    agent.terminate();

    // An askpass that records what it was asked and allows: signed, and the question named the
    // key and the process, with OpenSSH's SSH_ASKPASS_PROMPT=confirm.
    let record = home.scratch().join("asked");
    let askpass = home.write(
        "askpass.sh",
        &format!("#!/bin/sh\nprintf '%s|%s' \"$SSH_ASKPASS_PROMPT\" \"$1\" > {}\nexit 0\n", record.display()),
    );
    std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o700)).unwrap();
    let agent = with_config(&format!("[ssh_agent]\nconfirm = true\naskpass = \"{}\"\n", askpass.display()));
    assert_ok(&sign_file(&agent, &home, &pubkey, &message), &["ssh-keygen -Y sign"]);
    assert_ok(&verify_file(&home, line.trim(), &message), &["ssh-keygen -Y verify"]);
    let asked = std::fs::read_to_string(&record).unwrap();
    assert!(asked.starts_with("confirm|Allow ssh-keygen (pid "), "{asked}");
    assert!(asked.contains("\"deploy\" (ssh-ed25519 SHA256:"), "{asked}");
}

#[test]
fn the_socket_is_private_and_other_users_are_refused() {
    let test = "the_socket_is_private_and_other_users_are_refused";
    let Some((home, _guard)) = setup(test) else { return };
    home.ok(&["ssh", "generate", "k"]);
    let mut agent = SshAgent::start(&home, &[]);
    let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&agent.socket), 0o600);
    assert_eq!(mode(agent.socket.parent().unwrap()), 0o700);
    assert_eq!(
        home.bare(&["ssh-agent", "--print-socket"]).stdout,
        format!("{}\n", agent.socket.display()).into_bytes()
    );
    // A second agent on the same socket is refused while the first one answers.
    let second = home.bare(&["ssh-agent"]);
    assert!(stderr(&second).contains("an agent already listens"), "{}", stderr(&second));
    // SIGTERM removes the socket; a killed agent's stale socket is taken over by the next one.
    agent.terminate();
    assert!(!agent.socket.exists());
    let mut agent = SshAgent::start(&home, &[]);
    let _ = agent.child.kill();
    let _ = agent.child.wait();
    assert!(agent.socket.exists(), "SIGKILL leaves the socket behind");
    let agent = SshAgent::start(&home, &[]);
    assert_ok(&agent.tool(&home, "ssh-add").arg("-L").output().unwrap(), &["ssh-add -L"]);

    // --socket in a folder other users can enter is refused.
    let loose = home.scratch().join("loose");
    std::fs::create_dir(&loose).unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = home.bare(&["ssh-agent", "--socket", loose.join("s").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("open to other users"), "{}", stderr(&out));

    // The peer-uid fence: an agent run as `nobody`, reached by root (who can enter any folder),
    // closes the connection unanswered and logs it.
    let Some(setpriv) = require_tool("setpriv", "util-linux", test) else { return };
    if !require_root(test) {
        return;
    }
    let theirs = tempfile::tempdir().unwrap();
    let (their_home, their_runtime) = (theirs.path().join("home"), theirs.path().join("run"));
    for d in [&their_home, &their_runtime] {
        std::fs::create_dir(d).unwrap();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_ok(&Command::new("chown").args(["65534:65534"]).arg(d).output().unwrap(), &["chown"]);
    }
    std::fs::set_permissions(theirs.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = home.scratch().join("nobody-agent.log");
    let mut nobody = Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(hush_e2e::bin("hush"))
        .arg("ssh-agent")
        .env_clear()
        .env("HUSH_HOME", &their_home)
        .env("XDG_RUNTIME_DIR", &their_runtime)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(nobody.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let socket = line
        .strip_prefix("SSH_AUTH_SOCK=")
        .and_then(|l| l.split(';').next())
        .unwrap_or_else(|| panic!("{line:?}: {}", std::fs::read_to_string(&log).unwrap_or_default()));
    let out = Command::new("ssh-add").arg("-L").env("SSH_AUTH_SOCK", socket).output().unwrap();
    let _ = nobody.kill();
    let _ = nobody.wait();
    assert!(!out.status.success(), "root was answered by nobody's agent: {}", text(&out));
    let their_log = std::fs::read_to_string(&log).unwrap();
    assert!(their_log.contains("refused a connection from uid 0"), "{their_log}");
}

#[test]
fn keys_cannot_be_added_or_removed_through_the_agent() {
    let Some((home, _guard)) = setup("keys_cannot_be_added_or_removed_through_the_agent") else { return };
    let line = home.ok(&["ssh", "generate", "only"]);
    let agent = SshAgent::start(&home, &[]);
    let other = keygen(&home, "other", &["-t", "ed25519"]);
    let added = agent.tool(&home, "ssh-add").arg(&other).output().unwrap();
    assert!(!added.status.success(), "ssh-add of a file succeeded");
    let removed = agent.tool(&home, "ssh-add").arg("-D").output().unwrap();
    assert!(!removed.status.success(), "ssh-add -D succeeded");
    let listed = text(&agent.tool(&home, "ssh-add").arg("-L").output().unwrap());
    assert_eq!(listed.trim(), line.trim(), "the vault decides what is served");
}

#[test]
fn import_reads_encrypted_keys_and_explains_other_formats() {
    let Some((home, _guard)) = setup("import_reads_encrypted_keys_and_explains_other_formats") else {
        return;
    };
    let encrypted = home.scratch().join("enc");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "a long passphrase", "-C", "enc@test", "-f"])
        .arg(&encrypted)
        .output()
        .unwrap();
    assert_ok(&out, &["ssh-keygen"]);
    let path = encrypted.to_str().unwrap();
    // The passphrase comes from a file (or the terminal), never argv; a wrong one is refused.
    let wrong = home.write("wrong", "not it\n");
    let out = home.run(&["ssh", "import", "enc", path, "--passphrase-file", wrong.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("wrong passphrase"), "{}", stderr(&out));
    // Without a terminal and without the file, the error says how.
    let out = home.run(&["ssh", "import", "enc", path]);
    assert!(stderr(&out).contains("--passphrase-file"), "{}", stderr(&out));
    let right = home.write("right", "a long passphrase\n");
    let line = home.ok(&["ssh", "import", "enc", path, "--passphrase-file", right.to_str().unwrap()]);
    let derived = Command::new("ssh-keygen")
        .args(["-y", "-P", "a long passphrase", "-f"])
        .arg(&encrypted)
        .output()
        .unwrap();
    assert_eq!(
        line.split_whitespace().take(2).collect::<Vec<_>>(),
        text(&derived).split_whitespace().take(2).collect::<Vec<_>>()
    );
    assert_eq!(home.ok(&["ssh", "pubkey", "enc"]), line);
    // The same key again is refused; the vault holds it once.
    let out = home.run(&["ssh", "import", "again", path, "--passphrase-file", right.to_str().unwrap()]);
    assert!(stderr(&out).contains("already in the vault as \"enc\""), "{}", stderr(&out));
    // A PEM key: the error says how to convert it.
    let pem = keygen(&home, "pem", &["-t", "rsa", "-b", "2048", "-m", "PEM"]);
    let out = home.run(&["ssh", "import", "pem", pem.to_str().unwrap()]);
    assert!(
        stderr(&out).contains("PEM (PKCS#1)") && stderr(&out).contains("ssh-keygen -p -f"),
        "{}",
        stderr(&out)
    );
    // `ssh ls --json` and `get` show the public side only.
    let listed: serde_json::Value = serde_json::from_str(&home.ok(&["ssh", "ls", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "enc");
    assert_eq!(listed[0]["algorithm"], "ssh-ed25519");
    assert_eq!(listed[0]["comment"], "enc@test");
    assert_eq!(listed[0]["public_key"].as_str().unwrap(), line.trim());
    let shown = home.ok(&["get", "enc"]);
    assert!(
        shown.contains(listed[0]["fingerprint"].as_str().unwrap()) && !shown.contains("PRIVATE KEY"),
        "{shown}"
    );
    // The kind is listed by `ls`, like every item.
    assert!(home.ok(&["ls", "--json"]).contains("\"kind\": \"ssh-key\""));
}
