-- Accounts and the security audit trail.
-- SQLite lacks UUID, BOOLEAN and TIMESTAMPTZ: ids are TEXT, booleans INTEGER 0/1 (checked),
-- timestamps fixed-width ISO-8601 UTC TEXT ("2026-11-23T10:00:00.000000Z") that sorts in time
-- order. STRICT tables refuse values of the wrong storage class, as PostgreSQL would.

CREATE TABLE users (
    id TEXT NOT NULL,
    email TEXT NOT NULL,                -- as the user typed it, trimmed
    email_normalized TEXT NOT NULL,     -- the lookup and uniqueness key
    hashed_password TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user',
    tier TEXT NOT NULL DEFAULT 'free',
    is_active INTEGER NOT NULL DEFAULT 1,
    email_verified INTEGER NOT NULL DEFAULT 0,
    failed_login_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_normalized_key UNIQUE (email_normalized),
    CONSTRAINT users_role_check CHECK (role IN ('user', 'admin')),
    CONSTRAINT users_tier_check CHECK (tier IN ('free', 'pro', 'enterprise')),
    CONSTRAINT users_is_active_check CHECK (is_active IN (0, 1)),
    CONSTRAINT users_email_verified_check CHECK (email_verified IN (0, 1))
) STRICT;

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    event TEXT NOT NULL,
    user_id TEXT NULL,
    ip TEXT,
    user_agent TEXT,
    outcome TEXT NOT NULL,
    details TEXT,                       -- a JSON object, or NULL
    CONSTRAINT audit_events_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE SET NULL
) STRICT;

CREATE INDEX audit_events_user_id_occurred_at_idx ON audit_events (user_id, occurred_at);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
