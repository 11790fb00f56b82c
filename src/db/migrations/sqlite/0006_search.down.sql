-- Drops the search entries and the change log; the index then has nothing to load from.
DROP TRIGGER molecules_log_delete;
DROP TRIGGER molecules_log_insert;
DROP TABLE molecule_changes;
ALTER TABLE molecules DROP COLUMN search_entry;
