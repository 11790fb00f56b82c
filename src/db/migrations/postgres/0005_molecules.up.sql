-- Molecules: each belongs to one project (and goes with it). The service computes every
-- chemistry column with RDKit; clients set only smiles, name and properties.
--   smiles                  the input as given (trimmed)
--   input_canonical_smiles  RDKit canonical SMILES of the input as drawn
--   canonical_smiles        of the stored form: the standardized parent in a project with
--                           standardize = true, else the input as drawn
--   structure_key           SHA-256 (hex) of canonical_smiles: the uniqueness key per project.
--                           A hash, because a B-tree entry cannot hold a 10,000-character SMILES
--                           (PostgreSQL refuses index rows above about 2.7 kB).
--   input_key               SHA-256 (hex) of input_canonical_smiles, so a lookup by the form
--                           as drawn (a salt, say) finds what was registered from it
--   inchi, inchikey         NULL where InChI cannot represent the structure (dummy atoms, ...)
--   pickle                  RDKit's binary form of the stored structure, for the search index
-- name is '' when the molecule has none; properties is a JSON object as text (kept exactly as
-- the service serialized it; jsonb would reorder keys).
-- projects.molecule_count is kept by the service in the transaction that adds or deletes
-- molecules, under the project row's lock, so the per-project quota needs no COUNT(*).

ALTER TABLE projects ADD COLUMN molecule_count BIGINT NOT NULL DEFAULT 0;

CREATE TABLE molecules (
    id UUID NOT NULL,
    project_id UUID NOT NULL,
    name TEXT COLLATE "C" NOT NULL DEFAULT '',  -- byte order, as SQLite sorts
    properties TEXT NOT NULL DEFAULT '{}',
    smiles TEXT NOT NULL,
    input_canonical_smiles TEXT NOT NULL,
    input_key TEXT NOT NULL,
    canonical_smiles TEXT NOT NULL,
    structure_key TEXT NOT NULL,
    inchi TEXT NULL,
    inchikey TEXT NULL,
    formula TEXT NOT NULL,
    average_mass DOUBLE PRECISION NOT NULL,
    exact_mass DOUBLE PRECISION NOT NULL,
    heavy_atom_count INTEGER NOT NULL,
    clogp DOUBLE PRECISION NOT NULL,
    tpsa DOUBLE PRECISION NOT NULL,
    hbd INTEGER NOT NULL,
    hba INTEGER NOT NULL,
    rotatable_bonds INTEGER NOT NULL,
    pickle BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT molecules_pkey PRIMARY KEY (id),
    CONSTRAINT molecules_project_id_fkey FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT molecules_project_id_structure_key_key UNIQUE (project_id, structure_key)
);

-- The listings, one per sort order, in keyset order; the first also serves the cascade.
CREATE INDEX molecules_project_id_created_at_id_idx ON molecules (project_id, created_at, id);
CREATE INDEX molecules_project_id_name_id_idx ON molecules (project_id, name, id);
CREATE INDEX molecules_project_id_average_mass_id_idx ON molecules (project_id, average_mass, id);
-- Lookup across projects by structure (stored form, or the input as drawn) and by InChIKey.
CREATE INDEX molecules_structure_key_idx ON molecules (structure_key);
CREATE INDEX molecules_input_key_idx ON molecules (input_key);
CREATE INDEX molecules_inchikey_idx ON molecules (inchikey);
