#!/usr/bin/env bash
# Builds molvault and serves it on http://127.0.0.1:8000 (README's first command).
# With no DATABASE_URL the data lives in a SQLite file under ./var/.
# Every setting comes from the environment or ./.env (see .env.example), e.g.
#     PORT=9000 bash scripts/serve.sh
#
# Usage: scripts/serve.sh [extra arguments for `molvault serve`]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/build.sh

# HOST and PORT default to 127.0.0.1 and 8000 inside molvault itself; they are not
# exported here, so values in ./.env still apply (the process environment wins over .env).
echo "serve: starting molvault (default http://127.0.0.1:8000; HOST, PORT and .env override)"
exec build/release/molvault serve --migrate "$@"
