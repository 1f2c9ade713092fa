//! Exit codes and the advice printed with an error: one table for every command (documented in
//! `hush --help` and the README). Library errors say what happened; what the user should do
//! next is the CLI's to say, here.

use hush_sync::SyncError;
use hush_vault::VaultError;

/// Failures with a specific exit code and message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Exit {
    /// No item matched.
    #[error("no item matches {0:?}; see `hush ls`")]
    NotFound(String),
    /// Nothing in use matched, but an item in the trash does.
    #[error("{0:?} is in the trash; `hush restore {0:?}` brings it back")]
    InTrash(String),
    /// Nothing in the trash matched.
    #[error("nothing in the trash matches {0:?}; see `hush trash`")]
    NotInTrash(String),
    /// Several items matched.
    #[error("{query:?} matches several items; use a longer query, the exact name, or an id:\n{list}")]
    Ambiguous {
        /// The query.
        query: String,
        /// The candidates, one per line.
        list: String,
    },
    /// Several logins match a git credential request equally well (`hush git-credential get`).
    #[error(
        "several logins match {url} equally well, so hush answers nothing and git asks you:\n{list}\n\
         Give each a URL with its repository path (https://HOST/ORG/REPO) and run \
         `git config --global credential.useHttpPath true`, or put the user name in the remote's URL \
         (https://USER@HOST/...)"
    )]
    AmbiguousLogin {
        /// What git asked for.
        url: String,
        /// The candidates, one per line.
        list: String,
    },
}

/// How a command that did not fail ended: the exit code is a value the command returns, not an
/// error (exit codes 0 and 1 of `hush --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum Outcome {
    /// Nothing needs the user's attention: exit 0.
    Done,
    /// Something needs the user's attention (audit findings, rotations still pending), and
    /// nothing failed: exit 1.
    Findings,
}

impl Outcome {
    /// The exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Findings => 1,
        }
    }

    /// [`Outcome::Findings`] when `found`, else [`Outcome::Done`].
    pub(crate) fn findings_if(found: bool) -> Outcome {
        if found { Outcome::Findings } else { Outcome::Done }
    }
}

/// Exit code 5: wrong master password or setup code.
pub(crate) const WRONG_CREDENTIALS: u8 = 5;
/// Exit code 6: tampering detected.
pub(crate) const TAMPERING: u8 = 6;

/// The exit code and the advice for an error chain: the first cause the table knows decides.
pub(crate) fn classify(err: &anyhow::Error) -> (u8, Option<&'static str>) {
    for cause in err.chain() {
        if let Some(exit) = cause.downcast_ref::<Exit>() {
            return match exit {
                Exit::NotFound(_) | Exit::InTrash(_) | Exit::NotInTrash(_) => (3, None),
                Exit::Ambiguous { .. } | Exit::AmbiguousLogin { .. } => (4, None),
            };
        }
        if let Some(v) = cause.downcast_ref::<VaultError>() {
            match v {
                VaultError::WrongPassword => return (WRONG_CREDENTIALS, None),
                VaultError::Tampered | VaultError::Unauthentic { .. } => return (TAMPERING, None),
                _ => {}
            }
        }
        if let Some(s) = cause.downcast_ref::<SyncError>() {
            return sync_advice(s);
        }
        if let Some(hush_sync::files::ReadError::LocalChunk { .. }) = cause.downcast_ref() {
            return (
                TAMPERING,
                Some(
                    "Nothing of that chunk was written. Remove the damaged chunk file; if this vault syncs, \
                     `hush file get` fetches it again from the server.",
                ),
            );
        }
    }
    (2, None)
}

/// Whether the error is a wrong master password (or setup code): exit 5, the one failure a
/// person at a terminal is asked to try again after (`Ctx::with_master_password`).
pub(crate) fn is_wrong_password(err: &anyhow::Error) -> bool {
    classify(err).0 == WRONG_CREDENTIALS
}

/// What to do after a sync, login or registration failed.
fn sync_advice(err: &SyncError) -> (u8, Option<&'static str>) {
    match err {
        SyncError::Tampered(_) => (
            TAMPERING,
            Some(
                "Nothing was changed on this device. Do not trust this server: compare `hush status` \
                 on your devices and read docs/threat-model.md. If the server was restored from a backup \
                 on purpose, `hush sync --reset-trust` accepts its state (see `hush sync --help`).",
            ),
        ),
        SyncError::WrongCredentials => {
            (WRONG_CREDENTIALS, Some("Check the master password and the setup code."))
        }
        SyncError::SessionExpired => (2, Some("Log in again with `hush login`.")),
        SyncError::PasswordChanged => (2, Some("Log in with the new master password: `hush login`.")),
        SyncError::NotConnected => (
            2,
            Some(
                "Connect this vault first: `hush login --server URL` joins an account you have, \
                 `hush register --server URL` creates one from this vault.",
            ),
        ),
        SyncError::TooManyConflicts => (2, Some("Run `hush sync` again.")),
        SyncError::UnsafeParameters(_) => (2, Some("Nothing was changed on this device.")),
        SyncError::Transport(hush_sync::TransportError::Network(_)) => {
            (2, Some("Your changes are kept on this device and sync when the server is back."))
        }
        SyncError::Transport(t) if t.is_busy() => (
            2,
            Some(
                "The server is busy. Your changes are kept on this device; run `hush sync` again in a minute.",
            ),
        ),
        _ => (2, None),
    }
}

/// Whether the error is a closed stdout (`hush ls | head`), which is not a failure.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == broken
            || c.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind) == broken
    })
}
