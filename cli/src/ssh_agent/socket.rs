//! Where `hush ssh-agent` listens and who may talk to it. The socket is created with mode 0600
//! (under a umask, so there is no moment when it is looser) in a folder that is the user's own
//! and closed to everyone else; and every connection's peer uid is checked (`SO_PEERCRED`)
//! before the protocol reads a byte, as the hush agent does, because a folder's mode is
//! something a user can loosen by mistake.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hush_vault::Profile;
use ssh_agent_lib::agent::ListeningSocket;
use tokio::net::{UnixListener, UnixStream};

use super::session::log;

/// The default socket of a profile: `ssh-agent-<hash>.sock` next to the hush agent's socket in
/// `$XDG_RUNTIME_DIR/hush/` (or `/tmp/hush-<uid>/`), named after the profile like it.
pub(super) fn default_path(profile: &Profile) -> Result<PathBuf> {
    let Some(dir) = crate::agent::runtime_dir(true)? else {
        bail!("cannot create hush's runtime folder");
    };
    Ok(dir.join(format!("ssh-{}", crate::agent::socket_name(profile))))
}

/// A listening socket and the guard that removes it.
pub(super) struct Bound {
    /// The listener, fenced by peer uid.
    pub listener: OwnUser,
    /// Removes the socket file on the way out, if it is still ours.
    pub guard: SocketFile,
}

/// Binds `path`, whose folder must be the user's and closed to others (the default folder was
/// made so; one given with `--socket` is checked the same way). A socket file nobody answers on
/// (an agent that was killed) is replaced; a live one, or anything that is not a socket, is
/// refused.
pub(super) fn bind(path: &Path) -> Result<Bound> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    crate::agent::check_private_dir(dir)
        .with_context(|| format!("refusing to listen on {}", path.display()))?;
    match fs::symlink_metadata(path) {
        Ok(md) if md.file_type().is_socket() => match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => bail!(
                "an agent already listens on {}; stop it first, or choose another --socket",
                path.display()
            ),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                fs::remove_file(path)
                    .with_context(|| format!("cannot remove the stale {}", path.display()))?;
            }
            Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", path.display())),
        },
        Ok(_) => bail!("{} exists and is not a socket; refusing to replace it", path.display()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", path.display())),
    }
    // umask 0177 while binding: the socket is born 0600. Nothing else in this process creates
    // files meanwhile (the runtime has not started serving).
    let old = rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o177));
    let bound = std::os::unix::net::UnixListener::bind(path);
    rustix::process::umask(old);
    let listener = bound.with_context(|| format!("cannot listen on {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot set the mode of {}", path.display()))?;
    listener.set_nonblocking(true)?;
    let id = fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()));
    Ok(Bound {
        listener: OwnUser {
            inner: UnixListener::from_std(listener)?,
            uid: rustix::process::geteuid().as_raw(),
        },
        guard: SocketFile { path: path.to_owned(), id },
    })
}

/// The socket file this agent bound, removed on exit only if it is still the same file (a
/// newer agent may have replaced it).
pub(super) struct SocketFile {
    path: PathBuf,
    id: Option<(u64, u64)>,
}

impl SocketFile {
    /// Removes the socket file if it is still ours.
    pub(super) fn remove(&self) {
        let now = fs::symlink_metadata(&self.path).ok().map(|m| (m.dev(), m.ino()));
        if now.is_some() && now == self.id {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// A Unix listener that hands the protocol only connections from processes of this user.
#[derive(Debug)]
pub(super) struct OwnUser {
    inner: UnixListener,
    uid: u32,
}

#[ssh_agent_lib::async_trait]
impl ListeningSocket for OwnUser {
    type Stream = UnixStream;

    /// The next connection whose peer runs as this user. Others are closed unanswered and
    /// logged. A failing `accept` (out of file descriptors, say) is logged and retried after a
    /// pause instead of ending the agent, which `ssh-agent-lib`'s loop would do.
    async fn accept(&mut self) -> io::Result<UnixStream> {
        loop {
            match self.inner.accept().await {
                Ok((stream, _)) => match stream.peer_cred() {
                    Ok(cred) if cred.uid() == self.uid => return Ok(stream),
                    Ok(cred) => log(&format!(
                        "refused a connection from uid {} (pid {}): this agent serves only uid {}",
                        cred.uid(),
                        cred.pid().map_or_else(|| "?".into(), |p| p.to_string()),
                        self.uid
                    )),
                    Err(e) => log(&format!("refused a connection whose peer is unknown: {e}")),
                },
                Err(e) => {
                    log(&format!("cannot accept a connection: {e}"));
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }
}
