//! The agent: a background `hush` process that keeps the vault key in memory for an
//! idle timeout, so that later commands skip the KDF (docs/agent-and-clipboard.md, "The
//! agent"; issue #4).
//!
//! `hush unlock` derives the key once, starts the agent (the same binary re-executed
//! as the hidden `hush __agent`), and hands it the key over a Unix socket. Commands
//! ask it for the key with [`client::fetch_key`] and decrypt locally. The socket is
//! in a private runtime folder and named after the profile folder, so each `HUSH_HOME`
//! has its own agent.

pub(crate) mod client;
mod memlock;
pub(crate) mod protocol;
pub(crate) mod server;

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hush_vault::Profile;
use sha2::{Digest, Sha256};

/// The folder that holds the agents' sockets: `$XDG_RUNTIME_DIR/hush`, or
/// `/tmp/hush-<uid>` on systems without a runtime folder.
///
/// With `create`, the folder is made (mode 0700) when missing; without it, a missing
/// folder is `None` (no agent can be running). Either way an existing folder is used
/// only if it is a real folder, owned by us, and closed to everyone else: `/tmp` is
/// shared, and another user could have made `/tmp/hush-<uid>` first to catch our key.
pub(crate) fn runtime_dir(create: bool) -> Result<Option<PathBuf>> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        // The XDG spec says to ignore a relative path.
        Some(base) if base.is_absolute() => base.join("hush"),
        _ => std::env::temp_dir().join(format!("hush-{}", rustix::process::geteuid().as_raw())),
    };
    match fs::symlink_metadata(&dir) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if !create {
                return Ok(None);
            }
            // Not recursive: $XDG_RUNTIME_DIR itself belongs to the session manager.
            match fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => {}
                // Someone else made it in between: the checks below decide.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
            }
        }
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", dir.display())),
    }
    check_private_dir(&dir)?;
    Ok(Some(dir))
}

/// Refuses a folder that is a symlink, not ours, or open to group or others.
pub(crate) fn check_private_dir(dir: &Path) -> Result<()> {
    let md = fs::symlink_metadata(dir).with_context(|| format!("cannot inspect {}", dir.display()))?;
    if !md.file_type().is_dir() {
        bail!("{} is not a folder; refusing to put the agent's socket there", dir.display());
    }
    let me = rustix::process::geteuid().as_raw();
    if md.uid() != me {
        bail!(
            "{} belongs to another user (uid {}); refusing to put the agent's socket there",
            dir.display(),
            md.uid()
        );
    }
    if md.mode() & 0o077 != 0 {
        bail!(
            "{} is open to other users (mode {:o}); refusing to put the agent's socket there \
             (fix it with `chmod 700 {}`)",
            dir.display(),
            md.mode() & 0o777,
            dir.display()
        );
    }
    Ok(())
}

/// The socket's file name for a profile: a hash of the profile folder's absolute
/// path, so two `HUSH_HOME`s never share an agent and the name stays short (a Unix
/// socket path must fit in 108 bytes).
pub(crate) fn socket_name(paths: &Profile) -> String {
    let dir = fs::canonicalize(paths.dir())
        .or_else(|_| std::path::absolute(paths.dir()))
        .unwrap_or_else(|_| paths.dir().to_owned());
    let digest = Sha256::digest(dir.as_os_str().as_encoded_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("agent-{hex}.sock")
}

/// The socket path for a profile; `None` when the runtime folder does not exist
/// (and `create` is false).
pub(crate) fn socket_path(paths: &Profile, create: bool) -> Result<Option<PathBuf>> {
    Ok(runtime_dir(create)?.map(|d| d.join(socket_name(paths))))
}

/// Hardening shared by the two long-lived helpers, the agent and the clipboard
/// server, which both hold a secret for minutes. Returns what could not be done.
///
/// - `PR_SET_DUMPABLE 0`: no core dump, and other processes of the same user can no
///   longer `ptrace` it or read its `/proc/<pid>/mem` (rbw does the same).
/// - `RLIMIT_CORE 0`: belt and braces against core dumps (also covers a later
///   `setuid`-style reset of the dumpable flag).
pub(crate) fn harden_process() -> Vec<String> {
    let mut warnings = Vec::new();
    if let Err(e) = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable) {
        warnings.push(format!("cannot disable core dumps and ptrace (PR_SET_DUMPABLE: {e})"));
    }
    let zero = rustix::process::Rlimit { current: Some(0), maximum: Some(0) };
    if let Err(e) = rustix::process::setrlimit(rustix::process::Resource::Core, zero) {
        warnings.push(format!("cannot disable core dumps (RLIMIT_CORE: {e})"));
    }
    warnings
}

/// Detaches a helper from the terminal it was started from: a new session (so the
/// shell's Ctrl-C and hang-up never reach it), and `/` as working folder (so it keeps
/// no mount busy). Its standard streams were redirected by the parent at spawn.
pub(crate) fn detach() {
    let _ = rustix::process::setsid();
    let _ = std::env::set_current_dir("/");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_names_differ_per_profile_and_are_short() {
        let a = socket_name(&Profile::new("/tmp/profile-a"));
        let b = socket_name(&Profile::new("/tmp/profile-b"));
        assert_ne!(a, b);
        assert_eq!(a, socket_name(&Profile::new("/tmp/profile-a")));
        assert_eq!(a.len(), "agent-".len() + 16 + ".sock".len());
    }

    #[test]
    fn loose_or_foreign_folders_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("rt");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        check_private_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let err = check_private_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("open to other users"), "{err}");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(check_private_dir(&link).unwrap_err().to_string().contains("not a folder"));
    }
}
