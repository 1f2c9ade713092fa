//! The in-process API tests of `tests/api/` (every endpoint's success and failure paths), run
//! against the PostgreSQL store, with rate-limit budgets in the database as
//! `hush-server serve --database-url` keeps them: one database per test in a throwaway cluster
//! (`hush_e2e::postgres`). Without PostgreSQL they skip with a notice (and run against SQLite);
//! under CI that is a failure.

#[path = "api/accounts.rs"]
mod accounts;
#[path = "api/basics.rs"]
mod basics;
#[path = "api/files.rs"]
mod files;
#[path = "api/keyset.rs"]
mod keyset;
#[path = "api/sessions.rs"]
mod sessions;
#[path = "api/support.rs"]
mod support;
#[path = "api/vault.rs"]
mod vault;

const BACKEND: support::Backend = support::Backend::Postgres;
