-- Drops every project. Run only with a backup: the projects and their names are gone for
-- good (molecules, when they exist, are dropped by their own migration first).
DROP TABLE projects;
