-- Drops every session: all users must sign in again after this rollback.
DROP TABLE revoked_access_tokens;
DROP TABLE refresh_tokens;
