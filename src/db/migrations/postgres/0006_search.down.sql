-- Drops the search entries and the change log; the index then has nothing to load from.
DROP TRIGGER molecules_log_change ON molecules;
DROP FUNCTION molecules_log_change();
DROP TABLE molecule_changes;
ALTER TABLE molecules DROP COLUMN search_entry;
