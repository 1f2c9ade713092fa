-- hush-server schema, version 4 (docs/server.md, "Schema"): the sealed chunks of attached files
-- (docs/spec/crypto-v2.md, "Attachments"; docs/spec/sync-api-v2.md, "Files").
--
-- A chunk is ciphertext under a key only the account's devices hold; the server keeps it under
-- the random file id and its index, with its SHA-256 so that an upload of the same chunk again is
-- recognised as the same (files are immutable) without reading the stored one back.

-- Running total of the account's chunk bytes, for the file quota, kept by every upload and
-- deletion so that checking it costs O(1).
ALTER TABLE accounts ADD COLUMN file_bytes INTEGER NOT NULL DEFAULT 0;

-- A rowid table: a chunk is up to about 1 MiB, far beyond what WITHOUT ROWID suits.
CREATE TABLE file_chunks (
    account_id BLOB    NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    file_id    BLOB    NOT NULL CHECK (length(file_id) = 16),
    idx        INTEGER NOT NULL CHECK (idx >= 0 AND idx <= 4294967295),
    sha256     BLOB    NOT NULL CHECK (length(sha256) = 32),
    chunk      BLOB    NOT NULL,
    PRIMARY KEY (account_id, file_id, idx)
) STRICT;
