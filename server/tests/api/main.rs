//! The HTTP API driven in-process (`app(state)` + `oneshot`) over a temporary SQLite file:
//! every endpoint's happy path and its errors (`docs/spec/sync-api-v2.md`).

mod accounts;
mod basics;
mod files;
mod keyset;
mod sessions;
mod support;
mod vault;

/// These tests run against SQLite here, and against PostgreSQL in `tests/api_postgres.rs`.
const BACKEND: support::Backend = support::Backend::Sqlite;
