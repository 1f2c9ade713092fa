//! hush-sync: the sync engine — pull, verify, merge, push — behind a [`Transport`] trait.
//!
//! The HTTP transport is one implementation; [`memory`] is an honest in-process server for
//! tests, which malicious test servers wrap. Every server answer is verified against what the
//! device already holds before anything is applied (docs/spec/sync-api-v2.md, "Verifying a
//! pull"); a lie is a [`SyncError::Tampered`] with a typed [`Tampering`] reason.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod devices;
mod error;
pub mod http;
mod login;
pub mod memory;
pub mod merge;
mod rekey;
mod sync;
mod transport;
mod verify;

pub use crate::error::{SyncError, Tampering};
pub use crate::login::{
    LoginOptions, Proof, login_existing, login_existing_with, login_new_device, normalize_server_url,
    register,
};
pub use crate::merge::Undone;
pub use crate::rekey::{NewPassword, PasswordChange, change_password};
pub use crate::sync::{
    MAX_PUSHED_BLOB, MemoryPushNumbers, PushNumbers, SyncReport, Undeleted, reset_trust, sync,
};
pub use crate::transport::{PushOutcome, Transport, TransportError};
