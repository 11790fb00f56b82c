#!/usr/bin/env bash
# Load test of GET /health: builds molvault, starts it on a free loopback port with a
# throwaway DATA_DIR (embedded SQLite, rate limiting off), runs
#     wrk -t2 -c100 -d${DURATION:-15}s --latency http://127.0.0.1:PORT/health
# prints wrk's report and a one-line summary (requests/s, p50, p99), then stops the
# server with SIGTERM. The server runs in the temporary directory, so a developer's
# ./.env does not change the result; variables exported by the caller still apply.
#
# Usage: bench/health.sh            DURATION=60 bench/health.sh
#        MOLVAULT_BIN=path/to/molvault bench/health.sh   (benchmark another binary)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly duration="${DURATION:-15}"

# shellcheck source=bench/lib/server.sh
source bench/lib/server.sh
# shellcheck source=bench/lib/wrk.sh
source bench/lib/wrk.sh
start_molvault RATE_LIMIT_ENABLED=false
readonly url="$base/health"

wrk -t2 -c100 -d"${duration}s" --latency "$url" | tee "$work_dir/wrk.txt"

echo "bench: GET /health, wrk -t2 -c100 -d${duration}s: $(wrk_summary "$work_dir/wrk.txt")"
