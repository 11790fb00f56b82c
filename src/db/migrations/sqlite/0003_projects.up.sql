-- SQLite: UUIDs and timestamps are TEXT (fixed-width ISO-8601 UTC), booleans INTEGER 0/1
-- (checked), as in 0001.
-- Projects: each belongs to one user and holds that user's molecules (a later migration).
-- name is stored trimmed, as the user typed it; name_key is the uniqueness key computed by the
-- service (the name with A-Z folded to a-z), so "Kinases" and "kinases" cannot both exist for
-- one owner while two owners may each have one. The fold is done in C++, not with lower(),
-- because SQLite's lower() and PostgreSQL's (locale-dependent) lower() disagree beyond ASCII.
-- Deleting a user deletes their projects (foreign_keys is ON for every connection).

CREATE TABLE projects (
    id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    standardize INTEGER NOT NULL DEFAULT 1,  -- set at creation only
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT projects_pkey PRIMARY KEY (id),
    CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT projects_owner_id_name_key_key UNIQUE (owner_id, name_key),
    CONSTRAINT projects_standardize_check CHECK (standardize IN (0, 1))
) STRICT;

-- The listing: one owner's projects in keyset order (created_at, id). It also serves the
-- foreign key's cascade from users and the quota count.
CREATE INDEX projects_owner_id_created_at_id_idx ON projects (owner_id, created_at, id);
