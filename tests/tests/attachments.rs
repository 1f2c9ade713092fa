//! Attached files end to end (issue #13, part 1; docs/attachments.md): the real `hush` and
//! `hush-server` processes on temporary homes and a loopback port. A file added on one device
//! comes out byte for byte on another; the server's database never holds the file or its name;
//! a chunk the server alters, swaps or drops is TAMPERING (exit 6) and nothing is written to
//! `--output`; the file quota answers 507; a 100 MiB file streams in bounded memory.

use std::path::{Path, PathBuf};
use std::process::Output;

use hush_e2e::{Home, Server, Store, assert_ok, contains_bytes, logged_in, sql_id, stderr};

/// Device A with a new vault registered on `server`, an item "vpn", and the setup code.
fn registered(server: &Server) -> (Home, String) {
    let (a, code) = hush_e2e::registered(server, "laptop");
    a.ok(&["add", "vpn", "--generate"]);
    (a, code)
}

/// `len` bytes, different in every chunk, with `marker` at the start (to grep for).
fn content(len: usize, marker: &[u8]) -> Vec<u8> {
    let mut data: Vec<u8> = (0..len).map(|j| ((j * 7919) >> 3) as u8 ^ (j >> 20) as u8).collect();
    data[..marker.len()].copy_from_slice(marker);
    data
}

/// Writes `bytes` to a file called `name` in the home's scratch folder.
fn scratch_file(home: &Home, name: &str, bytes: &[u8]) -> PathBuf {
    let path = home.scratch().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[track_caller]
fn assert_tampering(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(6), "{what}: expected TAMPERING (exit 6): {}", stderr(out));
    assert!(stderr(out).contains("TAMPERING"), "{what}: {}", stderr(out));
}

/// The query that selects chunk `index` of `file` (a file id as `hush file ls` shows it).
fn chunk_sql(file: &str, index: u32) -> String {
    format!("SELECT chunk FROM file_chunks WHERE file_id = {} AND idx = {index}", sql_id(file))
}

fn file_id(home: &Home, item: &str, name: &str) -> String {
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&home.ok(&["file", "ls", item, "--json"])).unwrap();
    list.iter().find(|f| f["name"] == name).expect("listed")["id"].as_str().unwrap().to_owned()
}

const MIB: usize = 1 << 20;

#[test]
fn a_file_added_on_one_device_comes_out_byte_identical_on_another_and_the_server_holds_no_plaintext() {
    let server = Server::start();
    let (a, code) = registered(&server);
    let data = content(2 * MIB + 12_345, b"PLAINTEXT-MARKER-QUOKKA");
    let path = scratch_file(&a, "wombat-secret-name.pdf", &data);
    a.ok(&["file", "add", "vpn", path.to_str().unwrap()]);
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, None);
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&b.ok(&["file", "ls", "vpn", "--json"])).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0]["name"].as_str(), listed[0]["size"].as_u64()),
        (Some("wombat-secret-name.pdf"), Some(data.len() as u64))
    );
    assert_eq!(listed[0]["on_this_device"], false, "fetched when asked for, not at login");
    let out = b.scratch().join("out.pdf");
    b.ok(&["file", "get", "vpn", "wombat-secret-name.pdf", "--output", out.to_str().unwrap()]);
    assert!(std::fs::read(&out).unwrap() == data, "byte for byte");
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&out).unwrap().permissions()) & 0o777,
        0o600
    );
    // Standard output, when it is not a terminal, gives the same bytes.
    let piped = b.run(&["file", "get", "vpn", "wombat-secret-name.pdf"]);
    assert_ok(&piped, &["file get to stdout"]);
    assert!(piped.stdout == data);
    // Neither the file nor its name is anywhere in what the server stored: read while it runs
    // (on SQLite the write-ahead log then holds the newest pages) and after it stopped.
    let mut server = server;
    let running = server.stored();
    if server.store() == Store::Sqlite {
        assert!(running.iter().any(|(f, _)| f.ends_with("-wal")) || running.len() > 1);
    }
    server.stop();
    for (f, bytes) in running.into_iter().chain(server.stored()) {
        for s in [&b"PLAINTEXT-MARKER-QUOKKA"[..], b"wombat-secret-name", &data[MIB + 100..MIB + 164]] {
            assert!(!contains_bytes(&bytes, s), "{f} holds plaintext");
        }
    }
}

/// Device B, synced with A's file of three chunks on `server`; the file's id.
fn shared_file(server: &Server) -> (Home, Home, Vec<u8>, String) {
    let (a, code) = registered(server);
    let data = content(2 * MIB + 777, b"shared");
    let path = scratch_file(&a, "disk.img", &data);
    a.ok(&["file", "add", "vpn", path.to_str().unwrap()]);
    a.ok(&["sync"]);
    let b = logged_in(&server.url, &code, None);
    let id = file_id(&b, "vpn", "disk.img");
    (a, b, data, id)
}

/// `hush file get vpn NAME --output` on `home`, which must be refused as tampering and leave no
/// file behind (not even a temporary one); then the same to standard output, which must stop at
/// the bad chunk with exactly the chunks before it written.
#[track_caller]
fn refused(home: &Home, name: &str, data: &[u8], bad_index: usize, what: &str) {
    let out = home.scratch().join("refused.out");
    let run = home.run(&["file", "get", "vpn", name, "--output", out.to_str().unwrap()]);
    assert_tampering(&run, what);
    assert!(!out.exists(), "{what}: something was written to --output");
    let leftovers: Vec<_> = std::fs::read_dir(home.scratch())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".hush-file-"))
        .collect();
    assert!(leftovers.is_empty(), "{what}: a temporary file was left: {leftovers:?}");
    let piped = home.run(&["file", "get", "vpn", name]);
    assert_tampering(&piped, what);
    assert!(piped.stdout == data[..bad_index * MIB], "{what}: stdout must stop before the bad chunk");
}

#[test]
fn a_bit_flipped_in_a_stored_chunk_is_tampering_and_nothing_is_written() {
    let mut server = Server::start();
    let (_a, b, data, id) = shared_file(&server);
    server.edit(|db| {
        let mut chunk = db.blob(&chunk_sql(&id, 1));
        chunk[1000] ^= 0x04;
        let sql = format!("UPDATE file_chunks SET chunk = ? WHERE file_id = {} AND idx = 1", sql_id(&id));
        assert_eq!(db.exec(&sql, &[&chunk]), 1);
    });
    refused(&b, "disk.img", &data, 1, "a flipped bit");
}

#[test]
fn a_chunk_swapped_between_two_files_is_tampering() {
    let mut server = Server::start();
    let (a, b, data, id) = shared_file(&server);
    let other = scratch_file(&a, "other.bin", &content(MIB + 5, b"other"));
    a.ok(&["file", "add", "vpn", other.to_str().unwrap()]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    let other_id = file_id(&b, "vpn", "other.bin");
    server.edit(|db| {
        let foreign = db.blob(&chunk_sql(&other_id, 0));
        assert_eq!(
            db.exec(
                &format!("UPDATE file_chunks SET chunk = ? WHERE file_id = {} AND idx = 0", sql_id(&id)),
                &[&foreign]
            ),
            1
        );
    });
    refused(&b, "disk.img", &data, 0, "a chunk from another file");
}

#[test]
fn a_chunk_removed_from_the_server_is_tampering() {
    let mut server = Server::start();
    let (_a, b, data, id) = shared_file(&server);
    server.edit(|db| {
        assert_eq!(
            db.exec(&format!("DELETE FROM file_chunks WHERE file_id = {} AND idx = 2", sql_id(&id)), &[]),
            1
        );
    });
    refused(&b, "disk.img", &data, 2, "a removed chunk");
}

#[test]
fn a_file_removed_on_another_device_is_reported_as_removed_not_as_tampering() {
    let server = Server::start();
    let (a, b, _, _) = shared_file(&server);
    a.ok(&["file", "rm", "vpn", "disk.img", "--yes"]);
    a.ok(&["sync"]);
    // B has not synced since: its item still lists the file, whose chunks are gone. B syncs and
    // finds the file removed, which is no lie.
    let out = b.run(&["file", "get", "vpn", "disk.img", "--output", b.scratch().join("x").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("was removed from vpn on another device"), "{}", stderr(&out));
    assert!(b.ok(&["file", "ls", "vpn", "--json"]).trim() == "[]");
}

#[test]
fn deleting_an_item_deletes_its_files_here_and_on_the_server() {
    let mut server = Server::start();
    let (a, b, data, id) = shared_file(&server);
    b.ok(&["file", "get", "vpn", "disk.img", "--output", b.scratch().join("copy").to_str().unwrap()]);
    assert!(b.path().join("files").join(&id).is_dir(), "B keeps what it fetched");
    // The trash keeps an item's files, here and on the server, through syncs on both devices:
    // `hush restore` brings the item back with them.
    a.ok(&["rm", "vpn"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert!(a.path().join("files").join(&id).is_dir() && b.path().join("files").join(&id).is_dir());
    a.ok(&["restore", "vpn"]);
    let back = a.scratch().join("back");
    a.ok(&["file", "get", "vpn", "disk.img", "--output", back.to_str().unwrap()]);
    assert!(std::fs::read(&back).unwrap() == data, "restored with its file");
    // Deleted for good, the files go with the item.
    a.ok(&["rm", "vpn", "--purge", "--yes"]);
    assert!(!a.path().join("files").join(&id).exists(), "A's chunks went with the item");
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert!(!b.path().join("files").join(&id).exists(), "B pruned the chunks of the deleted item");
    server.stop();
    let mut db = server.db();
    assert_eq!(db.int("SELECT count(*) FROM file_chunks"), 0);
    assert_eq!(db.int("SELECT file_bytes FROM accounts"), 0);
}

#[test]
fn the_file_quota_answers_507_and_the_item_stays_pending() {
    let server = Server::start_with(&["--max-file-bytes", "1500000"]);
    let (a, _) = registered(&server);
    a.ok(&["sync"]);
    let path = scratch_file(&a, "big.bin", &content(2 * MIB, b"big"));
    a.ok(&["file", "add", "vpn", path.to_str().unwrap()]);
    let out = a.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("file storage quota"), "{}", stderr(&out));
    // Nothing was pushed: the item still waits, its file still here.
    let again = a.run(&["sync", "--json"]);
    assert_eq!(again.status.code(), Some(2));
    a.ok(&["file", "rm", "vpn", "big.bin", "--yes"]);
    let small = scratch_file(&a, "small.bin", &content(1000, b"small"));
    a.ok(&["file", "add", "vpn", small.to_str().unwrap()]);
    a.ok(&["sync"]);
}

#[test]
fn a_file_over_the_limit_is_refused_up_front_and_to_a_terminal_only_with_force() {
    let a = Home::new();
    a.init();
    a.ok(&["add", "vpn", "--generate"]);
    std::fs::write(a.path().join("config.toml"), "[files]\nmax_size_mib = 1\n").unwrap();
    let path = scratch_file(&a, "big.bin", &content(MIB + 1, b"x"));
    let before = a.contents();
    let out = a.run(&["file", "add", "vpn", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("larger than 1 MiB"), "{}", stderr(&out));
    assert_eq!(a.contents(), before, "nothing was written");
    // From a pipe, refused while reading, and nothing is left behind.
    let out = a.run_stdin(&["file", "add", "vpn", "-", "--name", "piped"], &"y".repeat(MIB + 1));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(a.contents(), before, "nothing was written");
    let ok = scratch_file(&a, "ok.txt", b"fits");
    a.ok(&["file", "add", "vpn", ok.to_str().unwrap()]);
    // Standard output that is a terminal needs --force.
    let Some(mut term) = hush_e2e::Terminal::start(&a, &["file", "get", "vpn", "ok.txt"]) else { return };
    term.expect("refusing to write ok.txt to the terminal");
    assert_eq!(term.wait(), Some(2));
    let Some(mut term) = hush_e2e::Terminal::start(&a, &["file", "get", "vpn", "ok.txt", "--force"]) else {
        return;
    };
    term.expect("fits");
    assert_eq!(term.wait(), Some(0));
}

/// The peak resident memory, in KiB, of `hush ARGS` on `home`, from GNU time's `-v` report.
fn peak_kib(home: &Home, args: &[&str]) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "GNU time (/usr/bin/time) is missing: apt-get install time"
        );
        eprintln!("SKIPPED: GNU time (/usr/bin/time) is missing; the memory bound is not tested");
        return None;
    }
    let cmd = home.cmd();
    let hush = cmd.get_program().to_owned();
    let envs: Vec<_> = cmd.get_envs().map(|(k, v)| (k.to_owned(), v.map(ToOwned::to_owned))).collect();
    let mut timed = std::process::Command::new(time);
    timed.env_clear();
    for (k, v) in envs {
        if let Some(v) = v {
            timed.env(k, v);
        }
    }
    let out = timed
        .arg("-v")
        .arg(hush)
        .arg("--password-file")
        .arg(home.password_file())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_ok(&out, args);
    let report = stderr(&out);
    let line = report.lines().find(|l| l.contains("Maximum resident set size")).expect("GNU time's report");
    Some(line.rsplit(':').next().unwrap().trim().parse().unwrap())
}

/// The server process's peak resident memory so far, in KiB.
fn server_peak_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid().unwrap())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_100_mib_file_streams_in_bounded_memory_on_both_sides() {
    const LIMIT_KIB: u64 = 48 * 1024;
    let server = Server::start();
    let (a, code) = registered(&server);
    a.ok(&["sync"]);
    let data = content(100 * MIB, b"hundred");
    let path = scratch_file(&a, "hundred.bin", &data);
    drop(data);
    let Some(add) = peak_kib(&a, &["file", "add", "vpn", path.to_str().unwrap()]) else { return };
    let sync = peak_kib(&a, &["sync"]).unwrap();
    let b = logged_in(&server.url, &code, None);
    let out = b.scratch().join("hundred.out");
    let get =
        peak_kib(&b, &["file", "get", "vpn", "hundred.bin", "--output", out.to_str().unwrap()]).unwrap();
    let served = server_peak_kib(&server);
    eprintln!("peak RSS: add {add} KiB, sync {sync} KiB, get {get} KiB, server {served} KiB");
    for (what, kib) in
        [("file add", add), ("sync (upload)", sync), ("file get (download)", get), ("the server", served)]
    {
        assert!(kib < LIMIT_KIB, "{what} took {kib} KiB for a 100 MiB file");
    }
    assert!(std::fs::read(&out).unwrap() == std::fs::read(&path).unwrap(), "byte for byte");
}

/// `hush export --format hush` of a vault with files is an archive of `vault.hush` and the sealed
/// chunks (docs/import-export.md, "Encrypted backups"), which holds neither the content nor the
/// name of a file; restored into another account, every file comes out byte for byte, sealed
/// afresh under a new file id. A backup whose chunk was altered restores nothing.
#[test]
fn a_backup_carries_the_files_and_restores_them_into_another_account() {
    let a = Home::new();
    let code = a.init();
    a.ok(&["add", "vpn", "--generate"]);
    let data = content(2 * MIB + 777, b"backed-up");
    let path = scratch_file(&a, "disk.img", &data);
    a.ok(&["file", "add", "vpn", path.to_str().unwrap()]);
    let a_id = file_id(&a, "vpn", "disk.img");
    let backup = a.scratch().join("backup.hush");
    let out = a.run(&["export", "--format", "hush", "--output", backup.to_str().unwrap()]);
    assert_ok(&out, &["export hush"]);
    assert!(stderr(&out).contains("and 1 attached file(s)"), "{}", stderr(&out));
    let bytes = std::fs::read(&backup).unwrap();
    assert!(!contains_bytes(&bytes, b"backed-up") && !contains_bytes(&bytes, b"disk.img"));
    assert!(contains_bytes(&bytes, b"vault.hush"), "a tar archive of the profile's layout");

    let b = Home::new();
    b.init();
    let code_file = b.write("code", &format!("{}\n", code.trim()));
    let restore = |from: &Path| {
        b.cmd()
            .arg("--password-file")
            .arg(b.password_file())
            .args(["import", "--from", "hush"])
            .arg(from)
            .arg("--setup-code-file")
            .arg(&code_file)
            .arg("--backup-password-file")
            .arg(a.password_file())
            .output()
            .unwrap()
    };

    // The last chunk's entry altered: refused, nothing restored, no chunk left behind.
    let mut damaged = bytes.clone();
    let last = (0..damaged.len() - 6).rev().find(|&i| &damaged[i..i + 6] == b"files/").unwrap();
    damaged[last + 512 + 100] ^= 1;
    let damaged_path = b.scratch().join("damaged.hush");
    std::fs::write(&damaged_path, &damaged).unwrap();
    let out = restore(&damaged_path);
    assert!(!out.status.success(), "a damaged backup must be refused");
    assert!(stderr(&out).contains("damaged"), "{}", stderr(&out));
    assert!(b.ok(&["ls"]).trim().is_empty(), "nothing restored");
    assert!(hush_e2e::walk(&b.path().join("files")).is_empty(), "no chunk left behind");

    let out = restore(&backup);
    assert_ok(&out, &["import backup"]);
    assert!(stderr(&out).contains("Restored 1 attached file(s)"), "{}", stderr(&out));
    let b_id = file_id(&b, "vpn", "disk.img");
    assert_ne!(a_id, b_id, "sealed afresh as a file of B's account");
    let copy = b.scratch().join("copy");
    b.ok(&["file", "get", "vpn", "disk.img", "--output", copy.to_str().unwrap()]);
    assert!(std::fs::read(&copy).unwrap() == data, "byte for byte");
}

/// A backup asks the server only for chunks this device lacks: with every file here it is made
/// offline; a device that has not fetched a file cannot back it up without the server, and then
/// writes no backup at all rather than one without the file.
#[test]
fn a_backup_needs_the_server_only_for_chunks_this_device_lacks() {
    let mut server = Server::start();
    let (a, b, _, _) = shared_file(&server);
    server.stop();
    let backup = a.scratch().join("backup.hush");
    assert_ok(&a.run(&["export", "--format", "hush", "--output", backup.to_str().unwrap()]), &["export"]);
    let backup = b.scratch().join("backup.hush");
    let out = b.run(&["export", "--format", "hush", "--output", backup.to_str().unwrap()]);
    assert!(!out.status.success(), "B lacks the chunks and the server is down");
    assert!(!backup.exists(), "no partial backup");
    assert!(hush_e2e::walk(b.scratch()).iter().all(|p| !p.to_string_lossy().contains(".hush-backup-")));
}
