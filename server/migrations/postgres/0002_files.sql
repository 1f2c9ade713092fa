-- hush-server schema on PostgreSQL, version 2: the sealed chunks of attached files, as SQLite's
-- 0004_files.sql (docs/spec/crypto-v2.md, "Attachments"; docs/spec/sync-api-v2.md, "Files").

-- Running total of the account's chunk bytes, for the file quota, kept by every upload and
-- deletion so that checking it costs O(1).
ALTER TABLE accounts ADD COLUMN file_bytes bigint NOT NULL DEFAULT 0;

CREATE TABLE file_chunks (
    account_id bytea  NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    file_id    bytea  NOT NULL CHECK (octet_length(file_id) = 16),
    idx        bigint NOT NULL CHECK (idx >= 0 AND idx <= 4294967295),
    sha256     bytea  NOT NULL CHECK (octet_length(sha256) = 32),
    chunk      bytea  NOT NULL,
    PRIMARY KEY (account_id, file_id, idx)
);
