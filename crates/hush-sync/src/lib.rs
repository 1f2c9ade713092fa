//! hush-sync: the sync engine — pull, verify the manifest, merge, push — behind a
//! [`Transport`] trait. The HTTP transport is one implementation; [`memory`] is an
//! honest in-process server for tests, which malicious test servers wrap.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod engine;
mod error;
pub mod http;
pub mod memory;
pub mod merge;
mod transport;

pub use crate::engine::{
    LoginOptions, SyncReport, login_existing, login_new_device, open_session, register, rekey, session_token,
    sync,
};
pub use crate::error::SyncError;
pub use crate::transport::{PushOutcome, Transport, TransportError};
