-- hush-server schema, version 3 (docs/server.md, "Schema"): device names are sealed by the
-- clients (docs/spec/crypto-v2.md, "Device names"), so the server stores ciphertext of a fixed
-- length instead of a name it can read.
--
-- SQLite cannot change a column's type in a STRICT table, so the sessions table is rebuilt.
-- The plaintext names of existing sessions are erased rather than kept: the server must not
-- hold them any longer, and it cannot seal them (it has no key). Those sessions stay valid and
-- are listed without a name until their device logs in again.

CREATE TABLE sessions_v3 (
    session_id  BLOB    NOT NULL PRIMARY KEY CHECK (length(session_id) = 16),
    account_id  BLOB    NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    token_hash  BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- The sealed device name (110 bytes); NULL for sessions opened before names were sealed.
    device_name BLOB    CHECK (device_name IS NULL OR length(device_name) = 110),
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
) STRICT;
INSERT INTO sessions_v3 (session_id, account_id, token_hash, device_name, created_at, last_seen)
    SELECT session_id, account_id, token_hash, NULL, created_at, last_seen FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_v3 RENAME TO sessions;
CREATE INDEX sessions_by_account ON sessions (account_id, created_at);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen);
