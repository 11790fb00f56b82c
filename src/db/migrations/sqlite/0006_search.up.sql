-- Structure search (issue 6). Every instance holds an in-memory search index of all molecules
-- and keeps it current from the database:
--   molecules.search_entry  the index's entry for the stored structure (fingerprints, exact-key
--                           hashes and the pickle: chem::SearchIndex::entry_bytes), so that an
--                           instance starts without fingerprinting. NULL for molecules written
--                           before this migration; the index prepares those from the pickle at
--                           start-up and writes the entry back.
--   molecule_changes        one row per molecule inserted or deleted (by the triggers below, so
--                           project cascades are logged too). An instance polls it and re-reads
--                           the current state of each molecule named.
-- SQLite serialises writers (a write transaction holds the lock from its first write to its
-- commit), so seq grows in commit order and "seq > last seen" misses nothing. created_at is
-- Unix time in seconds; rows older than SEARCH_CHANGE_RETENTION are pruned by the instances.

ALTER TABLE molecules ADD COLUMN search_entry BLOB NULL;

CREATE TABLE molecule_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    molecule_id TEXT NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;
CREATE INDEX molecule_changes_created_at_idx ON molecule_changes (created_at);

CREATE TRIGGER molecules_log_insert AFTER INSERT ON molecules
BEGIN
    INSERT INTO molecule_changes (molecule_id) VALUES (NEW.id);
END;

CREATE TRIGGER molecules_log_delete AFTER DELETE ON molecules
BEGIN
    INSERT INTO molecule_changes (molecule_id) VALUES (OLD.id);
END;
