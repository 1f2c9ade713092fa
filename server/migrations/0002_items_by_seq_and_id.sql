-- A full pull reads an account's items ORDER BY seq, item_id. With the index on
-- (account_id, seq) alone SQLite had to sort the rows of a large account in a
-- temporary b-tree (14% of a 10,000-item pull, docs/benchmarks.md); with item_id in
-- the index the rows come out in order. It replaces the narrower index.
CREATE INDEX items_by_seq_and_id ON items (account_id, seq, item_id);
DROP INDEX items_by_seq;
