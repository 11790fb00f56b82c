-- Projects: each belongs to one user and holds that user's molecules (a later migration).
-- name is stored trimmed, as the user typed it; name_key is the uniqueness key computed by the
-- service (the name with A-Z folded to a-z), so "Kinases" and "kinases" cannot both exist for
-- one owner while two owners may each have one. The fold is done in C++, not with lower(),
-- because SQLite's lower() and PostgreSQL's (locale-dependent) lower() disagree beyond ASCII.
-- Deleting a user deletes their projects (and, through later foreign keys, their molecules).

CREATE TABLE projects (
    id UUID NOT NULL,
    owner_id UUID NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    standardize BOOLEAN NOT NULL DEFAULT true,  -- set at creation only
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT projects_pkey PRIMARY KEY (id),
    CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT projects_owner_id_name_key_key UNIQUE (owner_id, name_key)
);

-- The listing: one owner's projects in keyset order (created_at, id). It also serves the
-- foreign key's cascade from users and the quota count.
CREATE INDEX projects_owner_id_created_at_id_idx ON projects (owner_id, created_at, id);
