# Shared by the bench/*.sh scripts (source it after `cd` to the repository root): builds
# molvault (unless MOLVAULT_BIN names the binary to run), runs it on a free loopback port in a
# throwaway directory, waits for /health, and stops it with SIGTERM on exit. The caller sets
# `extra_stop` to a function name to run first at exit (e.g. to stop a background load
# generator).
#
#   source bench/lib/server.sh
#   start_molvault VAR=value ...     # extra environment for the server
#   echo "$base"                     # http://127.0.0.1:PORT
# shellcheck shell=bash

readonly ready_timeout=30 # seconds for the server to answer /health
readonly stop_timeout=40  # seconds for a graceful stop (molvault drains for up to 30 s)

if [[ -z "${MOLVAULT_BIN:-}" ]]; then # benchmarking another binary needs no build here
    bash scripts/build.sh
fi
binary="$(realpath "${MOLVAULT_BIN:-build/release/molvault}")"
readonly binary

work_dir="$(mktemp -d /tmp/molvault-bench.XXXXXXXX)"
readonly work_dir
server_pid=""
extra_stop=""

stop_molvault() {
    if [[ -n "$extra_stop" ]]; then
        "$extra_stop"
    fi
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
trap stop_molvault EXIT

port="$(/usr/bin/python3 -c '
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])')"
readonly port base="http://127.0.0.1:${port}"

# start_molvault [VAR=value ...]: serves with rate limiting off and LOG_LEVEL=warn (variables
# exported by the caller still apply), in $work_dir so a developer's ./.env is not read.
start_molvault() {
    echo "bench: starting $binary on 127.0.0.1:${port} (DATA_DIR ${work_dir}/data)"
    (
        cd "$work_dir" || exit 1
        export HOST=127.0.0.1 PORT="$port" DATA_DIR="$work_dir/data"
        export RATE_LIMIT_ENABLED=false LOG_LEVEL=warn
        exec env "$@" "$binary" serve --migrate
    ) >"$work_dir/server.log" 2>&1 &
    server_pid=$!
    local deadline=$((SECONDS + ready_timeout))
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health" || true)" == 200 ]]; do
        if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS >= deadline)); then
            echo "bench: molvault did not answer 200 on $base/health; its log:" >&2
            cat "$work_dir/server.log" >&2
            exit 1
        fi
        sleep 0.2
    done
}
