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
readonly ready_timeout=30 # seconds for the server to answer /health
readonly stop_timeout=40  # seconds for a graceful stop (molvault drains for up to 30 s)

bash scripts/build.sh
binary="$(realpath "${MOLVAULT_BIN:-build/release/molvault}")"
readonly binary

work_dir="$(mktemp -d /tmp/molvault-bench.XXXXXXXX)"
readonly work_dir
server_pid=""

stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        local deadline=$((SECONDS + stop_timeout))
        while kill -0 "$server_pid" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.2
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "bench: molvault did not stop within ${stop_timeout}s of SIGTERM; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work_dir"
}
trap stop_server EXIT

port="$(/usr/bin/python3 -c '
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])')"
readonly port url="http://127.0.0.1:${port}/health"

echo "bench: starting $binary on 127.0.0.1:${port} (DATA_DIR ${work_dir}/data)"
(
    cd "$work_dir"
    export HOST=127.0.0.1 PORT="$port" DATA_DIR="$work_dir/data"
    export RATE_LIMIT_ENABLED=false LOG_LEVEL=warn
    exec "$binary" serve --migrate
) >"$work_dir/server.log" 2>&1 &
server_pid=$!

deadline=$((SECONDS + ready_timeout))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" == 200 ]]; do
    if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS >= deadline)); then
        echo "bench: molvault did not answer 200 on $url; its log:" >&2
        cat "$work_dir/server.log" >&2
        exit 1
    fi
    sleep 0.2
done

wrk -t2 -c100 -d"${duration}s" --latency "$url" | tee "$work_dir/wrk.txt"

# wrk prints "Requests/sec:  12345.67" and, under "Latency Distribution", lines like
# "     50%  635.00us" and "     99%    2.10ms".
summary="$(awk '
    /^Requests\/sec:/                  { rps = $2 }
    /^ +50% /                          { p50 = $2 }
    /^ +99% /                          { p99 = $2 }
    /Non-2xx or 3xx responses:/        { bad = $NF }
    /Socket errors:/                   { errors = $0; sub(/^ */, "", errors) }
    END {
        line = sprintf("%s requests/s, p50 %s, p99 %s", rps, p50, p99)
        if (bad != "")    line = line ", non-2xx " bad
        if (errors != "") line = line ", " errors
        print line
    }' "$work_dir/wrk.txt")"
echo "bench: GET /health, wrk -t2 -c100 -d${duration}s: ${summary}"
