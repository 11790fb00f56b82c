-- Accounts and the security audit trail.
-- Constraint names are explicit so db::ConstraintViolation::constraint() is stable.

CREATE TABLE users (
    id UUID NOT NULL,
    email TEXT NOT NULL,                -- as the user typed it, trimmed
    email_normalized TEXT NOT NULL,     -- the lookup and uniqueness key
    hashed_password TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user',
    tier TEXT NOT NULL DEFAULT 'free',
    is_active BOOLEAN NOT NULL DEFAULT true,
    email_verified BOOLEAN NOT NULL DEFAULT false,
    failed_login_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_normalized_key UNIQUE (email_normalized),
    CONSTRAINT users_role_check CHECK (role IN ('user', 'admin')),
    CONSTRAINT users_tier_check CHECK (tier IN ('free', 'pro', 'enterprise'))
);

CREATE TABLE audit_events (
    id BIGSERIAL NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    event TEXT NOT NULL,
    user_id UUID NULL,
    ip TEXT,
    user_agent TEXT,
    outcome TEXT NOT NULL,
    details TEXT,                       -- a JSON object, or NULL
    CONSTRAINT audit_events_pkey PRIMARY KEY (id),
    CONSTRAINT audit_events_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX audit_events_user_id_occurred_at_idx ON audit_events (user_id, occurred_at);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
