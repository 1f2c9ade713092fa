//! Errors that carry their own exit code (documented in `hush --help`).

use std::process::ExitCode;

use hush_vault::VaultError;

/// Failures with a specific exit code and message.
#[derive(Debug, thiserror::Error)]
pub enum Exit {
    /// No item matched.
    #[error("no item matches {0:?}; see `hush ls`")]
    NotFound(String),
    /// Several items matched.
    #[error("{query:?} matches several items; use a longer query, the exact name, or an id:\n{list}")]
    Ambiguous {
        /// The query.
        query: String,
        /// The candidates, one per line.
        list: String,
    },
    /// Something needs the user's attention (audit findings); nothing failed.
    #[error("")]
    Findings,
}

/// The exit code for an error chain.
pub fn code_for(err: &anyhow::Error) -> ExitCode {
    for cause in err.chain() {
        if let Some(exit) = cause.downcast_ref::<Exit>() {
            return ExitCode::from(match exit {
                Exit::NotFound(_) => 3,
                Exit::Ambiguous { .. } => 4,
                Exit::Findings => 1,
            });
        }
        if let Some(v) = cause.downcast_ref::<VaultError>() {
            match v {
                VaultError::WrongPassword => return ExitCode::from(5),
                VaultError::Tampered | VaultError::Unauthentic { .. } => return ExitCode::from(6),
                _ => {}
            }
        }
    }
    ExitCode::from(2)
}

/// Whether the error is a closed stdout (`hush ls | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == broken
            || c.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind) == broken
    })
}
