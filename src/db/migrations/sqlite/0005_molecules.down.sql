-- Drops every molecule. Run only with a backup: the structures and their data are gone for good.
DROP TABLE molecules;
ALTER TABLE projects DROP COLUMN molecule_count;
