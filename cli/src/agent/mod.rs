//! The agent: keeps the vault key in memory so later commands skip the KDF.

pub mod client;
