#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (README's
# second command). ctest itself starts and stops the PostgreSQL, Redis and SMTP
# servers the integration and e2e tests use (scripts/test-services.sh).
# Exits non-zero when any test fails.
#
# Usage: scripts/test.sh [extra ctest arguments, e.g. -L unit or -R Auth]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# A test that hangs fails after this many seconds instead of stalling the run.
readonly per_test_timeout=300

bash scripts/build.sh
ctest --preset release --timeout "${per_test_timeout}" "$@"
