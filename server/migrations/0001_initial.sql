-- hush-server schema, version 1 (docs/server.md, "Schema").
--
-- What is here is all the server knows: random ids, KDF parameters and salt, Ed25519 public
-- keys, keysets, manifests, item ciphertext, SHA-256 of session tokens and invite codes, session
-- device names and times, and login challenges. No e-mail, no user name, no password hash, no
-- plaintext.
--
-- Every per-account query is an index range on a key that starts with account_id, so one
-- account's cost never grows with the size of the others.

CREATE TABLE accounts (
    account_id      BLOB    NOT NULL PRIMARY KEY CHECK (length(account_id) = 16),
    kdf_m_kib       INTEGER NOT NULL,
    kdf_t           INTEGER NOT NULL,
    kdf_p           INTEGER NOT NULL,
    kdf_salt        BLOB    NOT NULL,
    auth_public_key BLOB    NOT NULL CHECK (length(auth_public_key) = 32),
    keyset          BLOB    NOT NULL,
    key_version     INTEGER NOT NULL,
    -- NULL until the first push.
    manifest        BLOB,
    -- The account's revision: +1 per accepted push or rekey.
    seq             INTEGER NOT NULL DEFAULT 0,
    -- Running totals for the quotas, kept by every push so that checking a quota costs
    -- O(pushed items), not O(account items).
    item_count      INTEGER NOT NULL DEFAULT 0,
    blob_bytes      INTEGER NOT NULL DEFAULT 0
) STRICT;

-- A rowid table rather than WITHOUT ROWID: blobs reach 256 KiB, far beyond the small rows
-- WITHOUT ROWID suits. The primary key's index serves upserts, the seq index serves pulls.
CREATE TABLE items (
    account_id BLOB    NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    item_id    BLOB    NOT NULL CHECK (length(item_id) = 16),
    seq        INTEGER NOT NULL,
    blob       BLOB    NOT NULL,
    PRIMARY KEY (account_id, item_id)
) STRICT;
CREATE INDEX items_by_seq ON items (account_id, seq);

CREATE TABLE sessions (
    session_id  BLOB    NOT NULL PRIMARY KEY CHECK (length(session_id) = 16),
    account_id  BLOB    NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash  BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    device_name TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_account ON sessions (account_id, created_at);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen);

CREATE TABLE challenges (
    challenge  BLOB    NOT NULL PRIMARY KEY CHECK (length(challenge) = 32),
    account_id BLOB    NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX challenges_by_account ON challenges (account_id, expires_at);
CREATE INDEX challenges_by_expiry ON challenges (expires_at);

-- Single-use registration codes, by SHA-256 of the code.
CREATE TABLE invites (
    code_hash  BLOB    NOT NULL PRIMARY KEY CHECK (length(code_hash) = 32),
    created_at INTEGER NOT NULL
) STRICT;
