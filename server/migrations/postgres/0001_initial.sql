-- hush-server schema on PostgreSQL, version 1 (docs/server.md, "Schema" and "PostgreSQL").
--
-- The same tables and meaning as the SQLite schema after its migration 0003 (../0001..0003), so
-- that `hush-server copy` moves rows unchanged: random ids, KDF parameters and salt, Ed25519
-- public keys, keysets, manifests, item ciphertext, SHA-256 of session tokens and invite codes,
-- sealed device names, times in seconds since the epoch, and login challenges. No e-mail, no user
-- name, no password hash, no plaintext.
--
-- Every per-account query is an index range on a key that starts with account_id, so one
-- account's cost never grows with the size of the others; a push locks only its own account's
-- row (`SELECT … FOR UPDATE`), so pushes to different accounts never wait for each other.

CREATE TABLE accounts (
    account_id      bytea   NOT NULL PRIMARY KEY CHECK (octet_length(account_id) = 16),
    kdf_m_kib       bigint  NOT NULL,
    kdf_t           bigint  NOT NULL,
    kdf_p           bigint  NOT NULL,
    kdf_salt        bytea   NOT NULL,
    auth_public_key bytea   NOT NULL CHECK (octet_length(auth_public_key) = 32),
    keyset          bytea   NOT NULL,
    key_version     bigint  NOT NULL,
    -- NULL until the first push.
    manifest        bytea,
    -- The account's revision: +1 per accepted push or rekey.
    seq             bigint  NOT NULL DEFAULT 0,
    -- Running totals for the quotas, kept by every push, so that checking a quota costs
    -- O(pushed items), not O(account items).
    item_count      bigint  NOT NULL DEFAULT 0,
    blob_bytes      bigint  NOT NULL DEFAULT 0
);

CREATE TABLE items (
    account_id bytea  NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    item_id    bytea  NOT NULL CHECK (octet_length(item_id) = 16),
    seq        bigint NOT NULL,
    blob       bytea  NOT NULL,
    PRIMARY KEY (account_id, item_id)
);
-- A full pull reads an account's items ORDER BY seq, item_id straight from this index.
CREATE INDEX items_by_seq_and_id ON items (account_id, seq, item_id);
-- Blobs are ciphertext: compressing them costs CPU on every push and saves nothing. EXTERNAL
-- still moves large ones out of line (TOAST), without trying to compress them first.
ALTER TABLE items ALTER COLUMN blob SET STORAGE EXTERNAL;

CREATE TABLE sessions (
    session_id  bytea  NOT NULL PRIMARY KEY CHECK (octet_length(session_id) = 16),
    account_id  bytea  NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash  bytea  NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    -- The sealed device name (110 bytes); NULL for sessions copied from a server that had
    -- sessions from before names were sealed.
    device_name bytea  CHECK (device_name IS NULL OR octet_length(device_name) = 110),
    created_at  bigint NOT NULL,
    last_seen   bigint NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id, created_at);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen);

CREATE TABLE challenges (
    challenge  bytea  NOT NULL PRIMARY KEY CHECK (octet_length(challenge) = 32),
    account_id bytea  NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    expires_at bigint NOT NULL
);
CREATE INDEX challenges_by_account ON challenges (account_id, expires_at);
CREATE INDEX challenges_by_expiry ON challenges (expires_at);

-- Single-use registration codes, by SHA-256 of the code.
CREATE TABLE invites (
    code_hash  bytea  NOT NULL PRIMARY KEY CHECK (octet_length(code_hash) = 32),
    created_at bigint NOT NULL
);

-- Rate-limit budgets shared by every instance (server/src/store/postgres/limiter.rs): one GCRA
-- bucket per budget and client address (docs/server.md, "Rate limiting"). `client` is the
-- address key as 16 bytes (IPv4 mapped into IPv6, IPv6 cut to its /64), never an account id.
CREATE TABLE rate_limits (
    budget      smallint NOT NULL,
    client      bytea    NOT NULL CHECK (octet_length(client) = 16),
    -- When the bucket will be empty, in milliseconds since the epoch.
    empty_at_ms bigint   NOT NULL,
    PRIMARY KEY (budget, client)
);
CREATE INDEX rate_limits_by_empty_at ON rate_limits (empty_at_ms);
