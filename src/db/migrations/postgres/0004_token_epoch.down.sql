-- Forgets operator revocations of access tokens (refresh tokens stay revoked).
ALTER TABLE users DROP COLUMN tokens_valid_after;
