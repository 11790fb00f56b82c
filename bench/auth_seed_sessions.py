"""Creates live refresh tokens for bench/auth.sh, straight in molvault's SQLite database.

Usage: auth_seed_sessions.py DATABASE_FILE COUNT OUTPUT_FILE

Logging in COUNT times would cost COUNT password hashes (bcrypt cost 12: minutes for a few
thousand), and the refresh benchmark needs a fresh token per request. So each new session copies
the user, created_at and expires_at of a real session made by a login (the newest row of
refresh_tokens) and gets its own family, generation 0, and a token made the way molvault makes
them: 32 random bytes, base64url without padding, stored as the SHA-256 hex of that text.
The tokens are written to OUTPUT_FILE, one per line.
"""

import hashlib
import secrets
import sqlite3
import sys
import uuid


def main() -> None:
    database, count, output = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    connection = sqlite3.connect(database, timeout=30)
    template = connection.execute(
        "SELECT user_id, created_at, expires_at FROM refresh_tokens"
        " WHERE revoked_at IS NULL ORDER BY created_at DESC LIMIT 1"
    ).fetchone()
    if template is None:
        sys.exit("auth_seed_sessions.py: no live session to copy; log in first")
    user_id, created_at, expires_at = template
    tokens = [secrets.token_urlsafe(32) for _ in range(count)]
    rows = [
        (
            str(uuid.uuid4()),
            user_id,
            str(uuid.uuid4()),
            0,
            hashlib.sha256(token.encode()).hexdigest(),
            created_at,
            expires_at,
            "127.0.0.1",
            "bench/auth.sh",
        )
        for token in tokens
    ]
    with connection:
        connection.executemany(
            "INSERT INTO refresh_tokens (id, user_id, family_id, generation, token_hash,"
            " created_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    connection.close()
    with open(output, "w", encoding="ascii") as out:
        out.write("\n".join(tokens) + "\n")


if __name__ == "__main__":
    main()
