-- Access tokens issued before tokens_valid_after are refused: `molvault revoke-sessions` sets it,
-- so an operator's revocation ends live access tokens at once, not when they expire.
-- SQLite: a timestamp is fixed-width ISO-8601 UTC TEXT, as in 0001.
ALTER TABLE users ADD COLUMN tokens_valid_after TEXT NULL;
