-- Sessions: rotating refresh tokens (stored only as SHA-256 hashes) grouped in families, and
-- the denylist of access-token ids revoked before they expire (logout).

CREATE TABLE refresh_tokens (
    id UUID NOT NULL,
    user_id UUID NOT NULL,
    family_id UUID NOT NULL,            -- one login; every rotation stays in the family
    generation INTEGER NOT NULL,        -- 0 for the login's token, +1 per rotation
    token_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NULL,
    revoked_reason TEXT NULL,           -- rotated, logout, reuse, admin
    replaced_by UUID NULL,              -- the successor, when rotated
    successor_box TEXT NULL,            -- the successor sealed with the server key, for the
                                        -- reuse grace window only; cleared by cleanup
    ip TEXT NULL,
    user_agent TEXT NULL,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_family_generation_key UNIQUE (family_id, generation)
);

-- Live tokens only: what logout, revocation and session listing read.
CREATE INDEX refresh_tokens_live_user_idx ON refresh_tokens (user_id)
    WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

CREATE TABLE revoked_access_tokens (
    jti TEXT NOT NULL,
    user_id UUID NULL,
    expires_at TIMESTAMPTZ NOT NULL,    -- when the token would have expired anyway
    CONSTRAINT revoked_access_tokens_pkey PRIMARY KEY (jti)
);

CREATE INDEX revoked_access_tokens_expires_at_idx ON revoked_access_tokens (expires_at);
