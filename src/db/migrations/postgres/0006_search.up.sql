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
-- A plain "seq > last seen" poll would miss a transaction that took its seq early and committed
-- late. Each row therefore records its transaction id: a poller remembers the oldest
-- transaction still running when it last looked (pg_snapshot_xmin) and reads again every row
-- from there on. Rows older than SEARCH_CHANGE_RETENTION are pruned by the instances.

ALTER TABLE molecules ADD COLUMN search_entry BYTEA NULL;

CREATE TABLE molecule_changes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    molecule_id UUID NOT NULL,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT molecule_changes_pkey PRIMARY KEY (seq)
);
CREATE INDEX molecule_changes_xid_idx ON molecule_changes (xid);
CREATE INDEX molecule_changes_created_at_idx ON molecule_changes (created_at);

CREATE FUNCTION molecules_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO molecule_changes (molecule_id) VALUES (OLD.id);
    ELSE
        INSERT INTO molecule_changes (molecule_id) VALUES (NEW.id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER molecules_log_change AFTER INSERT OR DELETE ON molecules
    FOR EACH ROW EXECUTE FUNCTION molecules_log_change();
