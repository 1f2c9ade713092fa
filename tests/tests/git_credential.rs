//! Issue #13, part 4 end to end: `hush git-credential` as the real git's credential helper —
//! `git credential fill/approve/reject`, and a `git clone` over HTTP from a server (this file's
//! [`GitHttp`]: `git http-backend` behind a small HTTP server with Basic authentication) that
//! lets git in only with the password kept in the vault.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine;
use hush_e2e::{Home, assert_ok, bin, require_tool, stderr};

/// Runs git with no configuration of the machine's user, hush as its only credential helper,
/// and no prompts: where hush gives nothing, git fails instead of asking.
fn git(home: &Home, args: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.scratch())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .env("HUSH_HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.runtime())
        .env("NO_COLOR", "1")
        .args(["-c", "credential.helper="])
        .arg("-c")
        .arg(format!("credential.helper=!{} git-credential", bin("hush").display()))
        .args(args);
    c
}

/// `git credential ACTION` with `input` on standard input.
fn credential(home: &Home, extra: &[&str], action: &str, input: &str) -> Output {
    let mut args = extra.to_vec();
    args.extend(["credential", action]);
    let mut child =
        git(home, &args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn add(home: &Home, name: &str, url: &str, user: &str, password: &str) {
    let args = ["add", name, "--url", url, "--username", user, "--password-stdin"];
    assert_ok(&home.run_stdin(&args, &format!("{password}\n")), &args);
}

fn setup(test: &str) -> Option<(Home, hush_e2e::AgentGuard)> {
    require_tool("git", "git", test)?;
    let home = Home::new();
    home.init();
    let guard = home.unlock();
    Some((home, guard))
}

#[test]
fn git_credential_fill_answers_from_the_matching_login() {
    let Some((home, _guard)) = setup("git_credential_fill_answers_from_the_matching_login") else { return };
    add(&home, "forge", "https://git.example.org", "alice", "forge-Pass-1");
    add(&home, "elsewhere", "https://other.example.org", "bob", "other-Pass-2");
    let o = credential(&home, &[], "fill", "protocol=https\nhost=git.example.org\n\n");
    assert_ok(&o, &["credential fill"]);
    assert_eq!(text(&o), "protocol=https\nhost=git.example.org\nusername=alice\npassword=forge-Pass-1\n");
    // The same site over plain http, another port, another user, a subdomain: no answer, and
    // git (which may not prompt here) fails without any password.
    for input in [
        "protocol=http\nhost=git.example.org\n",
        "protocol=https\nhost=git.example.org:8443\n",
        "protocol=https\nhost=git.example.org\nusername=mallory\n",
        "protocol=https\nhost=sub.git.example.org\n",
    ] {
        let o = credential(&home, &[], "fill", input);
        assert!(!o.status.success(), "{input}: {}", text(&o));
        assert!(!text(&o).contains("password="), "{input}");
        assert!(stderr(&o).contains("terminal prompts disabled"), "{input}: {}", stderr(&o));
    }
    // Named by the user: that login.
    let o = credential(&home, &[], "fill", "protocol=https\nhost=other.example.org\nusername=bob\n");
    assert!(text(&o).contains("password=other-Pass-2"), "{}", text(&o));
}

#[test]
fn paths_pick_the_most_specific_login_and_ties_are_refused() {
    let Some((home, _guard)) = setup("paths_pick_the_most_specific_login_and_ties_are_refused") else {
        return;
    };
    add(&home, "work", "https://forge.example/work-org", "w", "work-pw");
    add(&home, "personal", "https://forge.example/me", "m", "personal-pw");
    add(&home, "any", "forge.example", "a", "any-pw");
    // Without paths three logins fit equally: hush answers nothing, says why, and git asks
    // (here: fails, prompts being off).
    let o = credential(&home, &[], "fill", "protocol=https\nhost=forge.example\n");
    assert!(!o.status.success());
    assert!(!text(&o).contains("password="));
    let why = stderr(&o);
    assert!(
        why.contains("several logins match https://forge.example") && why.contains("credential.useHttpPath"),
        "{why}"
    );
    for name in ["work", "personal", "any"] {
        assert!(why.contains(name), "{why}");
    }
    // The helper alone: exit 4, nothing on stdout.
    let mut helper = home
        .cmd()
        .args(["git-credential", "get"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    helper.stdin.take().unwrap().write_all(b"protocol=https\nhost=forge.example\n\n").unwrap();
    let o = helper.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(o.stdout.is_empty());
    // With paths (credential.useHttpPath), the most specific URL wins.
    let with_path = ["-c", "credential.useHttpPath=true"];
    for (path, password) in
        [("work-org/app.git", "work-pw"), ("me/dotfiles", "personal-pw"), ("someone/else.git", "any-pw")]
    {
        let o = credential(
            &home,
            &with_path,
            "fill",
            &format!("protocol=https\nhost=forge.example\npath={path}\n"),
        );
        assert_ok(&o, &["fill", path]);
        assert!(text(&o).contains(&format!("password={password}\n")), "{path}: {}", text(&o));
    }
    // Two logins for the same repository are a tie again.
    add(&home, "work-too", "https://forge.example/work-org/", "w2", "work-pw-2");
    let o =
        credential(&home, &with_path, "fill", "protocol=https\nhost=forge.example\npath=work-org/app.git\n");
    assert!(!o.status.success() && stderr(&o).contains("work-too"), "{}", stderr(&o));
}

#[test]
fn store_and_erase_change_nothing_unless_configured() {
    let Some((home, _guard)) = setup("store_and_erase_change_nothing_unless_configured") else { return };
    add(&home, "forge", "https://git.example.org", "alice", "old-pass");
    let items = || {
        serde_json::from_str::<serde_json::Value>(&home.ok(&["ls", "--json"]))
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    let before = home.contents();
    let approve = |user: &str, pw: &str, host: &str| {
        credential(
            &home,
            &[],
            "approve",
            &format!("protocol=https\nhost={host}\nusername={user}\npassword={pw}\n"),
        )
    };
    assert_ok(&approve("carol", "carol-pass", "new.example.org"), &["approve"]);
    assert_ok(&approve("alice", "new-pass", "git.example.org"), &["approve"]);
    assert_ok(
        &credential(
            &home,
            &[],
            "reject",
            "protocol=https\nhost=git.example.org\nusername=alice\npassword=old-pass\n",
        ),
        &["reject"],
    );
    assert_eq!(home.contents(), before, "store and erase wrote nothing");

    std::fs::write(home.path().join("config.toml"), "[git_credential]\nstore = true\n").unwrap();
    // A login git saw working, for a site the vault did not know: saved.
    let o = approve("carol", "carol-pass", "new.example.org");
    assert_ok(&o, &["approve"]);
    assert!(stderr(&o).contains("saved a new login"), "{}", stderr(&o));
    assert_eq!(items(), 2);
    assert_eq!(home.ok(&["read", "-n", "hush://new.example.org/password"]), "carol-pass");
    assert_eq!(home.ok(&["get", "new.example.org", "--field", "url"]).trim(), "https://new.example.org");
    // A site whose name another item already has: saved as user@site, never a second item of
    // a name.
    assert_ok(&home.run_stdin(&["add", "other.example.org", "--kind", "note"], ""), &["add note"]);
    let o = approve("dave", "dave-pass", "other.example.org");
    assert!(stderr(&o).contains("saved a new login \"dave@other.example.org\""), "{}", stderr(&o));
    assert_eq!(home.ok(&["read", "-n", "hush://dave@other.example.org/password"]), "dave-pass");
    assert_eq!(items(), 4);
    // A new password for the one matching login: replaced, the old one kept in its history.
    assert_ok(&approve("alice", "new-pass", "git.example.org"), &["approve"]);
    assert_eq!(home.ok(&["get", "forge", "--field", "password"]).trim(), "new-pass");
    assert!(home.ok(&["history", "forge", "--show"]).contains("old-pass"));
    // The same again: nothing to do.
    let before = home.contents();
    assert_ok(&approve("alice", "new-pass", "git.example.org"), &["approve"]);
    assert_eq!(home.contents(), before);
    // A rejected password is never deleted; the user is told.
    let o = credential(
        &home,
        &[],
        "reject",
        "protocol=https\nhost=git.example.org\nusername=alice\npassword=new-pass\n",
    );
    assert_ok(&o, &["reject"]);
    assert!(stderr(&o).contains("was rejected; hush keeps it"), "{}", stderr(&o));
    assert_eq!(home.contents(), before);
    assert_eq!(items(), 4);
}

#[test]
fn a_locked_vault_makes_the_helper_step_aside() {
    if require_tool("git", "git", "a_locked_vault_makes_the_helper_step_aside").is_none() {
        return;
    }
    let home = Home::new();
    home.init();
    add(&home, "forge", "https://git.example.org", "alice", "forge-pass");
    // Locked, and git forbids prompts: the helper says what to do, git carries on without it.
    let o = credential(&home, &[], "fill", "protocol=https\nhost=git.example.org\n");
    assert!(!o.status.success());
    assert!(!text(&o).contains("forge-pass"));
    assert!(stderr(&o).contains("hush unlock"), "{}", stderr(&o));
    // A helper given a password file needs no agent.
    let helper = format!(
        "credential.helper=!{} --password-file {} git-credential",
        bin("hush").display(),
        home.password_file().display()
    );
    let o = credential(
        &home,
        &["-c", "credential.helper=", "-c", &helper],
        "fill",
        "protocol=https\nhost=git.example.org\n",
    );
    assert!(text(&o).contains("password=forge-pass"), "{}", stderr(&o));
}

/// A git server over HTTP: `git http-backend` (CGI) behind a small HTTP/1.1 server that
/// demands Basic authentication for one user and password, and records what each request
/// brought.
struct GitHttp {
    port: u16,
    /// Per request: `ok`, `none` (no credentials) or `wrong`.
    seen: Arc<Mutex<Vec<&'static str>>>,
}

impl GitHttp {
    fn start(root: &Path, user: &str, password: &str) -> GitHttp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (root, log) = (root.to_owned(), Arc::clone(&seen));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, expected, log) = (root.clone(), expected.clone(), Arc::clone(&log));
                std::thread::spawn(move || {
                    let _ = serve(stream, &root, &expected, &log);
                });
            }
        });
        GitHttp { port, seen }
    }

    fn seen(&self) -> Vec<&'static str> {
        self.seen.lock().unwrap().clone()
    }
}

/// One request, one answer, then the connection closes.
fn serve(
    stream: TcpStream,
    root: &Path,
    expected: &str,
    seen: &Mutex<Vec<&'static str>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("/").to_owned());
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let mut body = Vec::new();
    if let Some(len) = headers.get("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    } else if headers.get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    let verdict = match headers.get("authorization") {
        None => "none",
        Some(a) if a == expected => "ok",
        Some(_) => "wrong",
    };
    seen.lock().unwrap().push(verdict);
    if verdict != "ok" {
        return out.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"hush test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut cgi = Command::new("git");
    cgi.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_USER", "alice")
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (header, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("git-protocol", "GIT_PROTOCOL"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
    ] {
        if let Some(v) = headers.get(header) {
            cgi.env(var, v);
        }
    }
    let mut child = cgi.spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let output = child.wait_with_output()?.stdout;
    let split = output
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| output.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let (head, content) = match split {
        Some((i, n)) => (String::from_utf8_lossy(&output[..i]).into_owned(), &output[i + n..]),
        None => (String::new(), &output[..]),
    };
    let mut status = "200 OK".to_owned();
    let mut response = String::new();
    for h in head.lines().map(str::trim_end).filter(|h| !h.is_empty()) {
        match h.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_owned(),
            _ => response.push_str(&format!("{h}\r\n")),
        }
    }
    out.write_all(
        format!(
            "HTTP/1.1 {status}\r\n{response}Content-Length: {}\r\nConnection: close\r\n\r\n",
            content.len()
        )
        .as_bytes(),
    )?;
    out.write_all(content)
}

/// A bare repository `repo.git` with one commit, in a fresh folder; returns the folder.
fn repository(home: &Home) -> PathBuf {
    let root = home.scratch().join("served");
    let work = home.scratch().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("README"), "cloned through hush\n").unwrap();
    for args in [&["init", "-q", "-b", "main"][..], &["add", "README"], &["commit", "-q", "-m", "first"]] {
        let o = git(home, &[&["-C", work.to_str().unwrap()][..], args].concat()).output().unwrap();
        assert_ok(&o, args);
    }
    let o = git(
        home,
        &["clone", "-q", "--bare", work.to_str().unwrap(), root.join("repo.git").to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert_ok(&o, &["clone --bare"]);
    root
}

#[test]
fn git_clones_over_http_with_basic_auth_from_the_vault() {
    let Some((home, _guard)) = setup("git_clones_over_http_with_basic_auth_from_the_vault") else { return };
    let root = repository(&home);
    let server = GitHttp::start(&root, "alice", "http-Secret-42");
    let url = format!("http://127.0.0.1:{}", server.port);
    // A login saved for the site with its scheme: plain http has to be said, never assumed.
    add(&home, "local forge", &url, "alice", "http-Secret-42");
    std::fs::write(home.path().join("config.toml"), "[git_credential]\nstore = true\n").unwrap();
    let before = home.contents();
    let dest = home.scratch().join("clone");
    let o =
        git(&home, &["clone", "-q", &format!("{url}/repo.git"), dest.to_str().unwrap()]).output().unwrap();
    assert_ok(&o, &["git clone"]);
    assert_eq!(std::fs::read_to_string(dest.join("README")).unwrap(), "cloned through hush\n");
    let seen = server.seen();
    assert_eq!(seen.first(), Some(&"none"), "git first tries without credentials: {seen:?}");
    assert!(seen.contains(&"ok") && !seen.contains(&"wrong"), "{seen:?}");
    // git then approved the credential: store found it already saved, and wrote nothing.
    assert_eq!(home.contents(), before);

    // A wrong password in the vault: the server refuses it, git cannot prompt, the clone fails,
    // and git's `reject` deletes nothing.
    let args = ["edit", "local forge", "--password-stdin"];
    assert_ok(&home.run_stdin(&args, "stale-password\n"), &args);
    let dest = home.scratch().join("clone-2");
    let o =
        git(&home, &["clone", "-q", &format!("{url}/repo.git"), dest.to_str().unwrap()]).output().unwrap();
    assert!(!o.status.success());
    assert!(server.seen().contains(&"wrong"));
    assert!(stderr(&o).contains("was rejected; hush keeps it"), "{}", stderr(&o));
    assert_eq!(home.ok(&["get", "local forge", "--field", "password"]).trim(), "stale-password");
}
