#!/usr/bin/env bash
# Load test of sign-in, token refresh and an authenticated read, with wrk. Builds molvault,
# starts it on a free loopback port with a throwaway DATA_DIR (embedded SQLite, rate limiting
# off, LOG_LEVEL=warn, BCRYPT_ROUNDS=12 unless exported), registers one user, then runs
#     wrk -t2 -c100 -d${DURATION}s --latency
# against four scenarios, printing wrk's report and one summary line for each:
#   me         GET /api/v1/auth/me with a Bearer access token (JWT check, one user lookup).
#   refresh    POST /api/v1/auth/refresh with a body token (bench/auth_refresh.lua). Rotation
#              makes a token single-use, so each request needs a fresh one: the script first
#              creates REFRESH_TOKENS live sessions straight in the database
#              (bench/auth_seed_sessions.py; logging in that often would take hours of bcrypt)
#              and wrk spends one per request. That measures the normal rotation path; reusing
#              a token would measure the grace-window path instead, then theft detection.
#   login      POST /api/v1/auth/login with the right password (bench/auth_login.lua): every
#              request costs one password verification on the hashing pool.
#   me+flood   GET /api/v1/auth/me (wrk -t1 -c10) while a second wrk floods login
#              (-t2 -c100, as above): how an authenticated read fares while hashing is
#              saturated. The flood's own summary is printed too. A waiting login holds an
#              HTTP worker; by default sign-ins may hold at most half of them, so the excess
#              logins get a fast 503 and /me keeps its own workers.
# then stops the server with SIGTERM. When wrk stops, molvault still works off every request it
# had accepted (for logins, a password hash each), so before each scenario the script waits
# until /health answers within 100 ms again, and reports how long that took. Variables exported by the caller apply to the server
# (HASH_THREADS, HASH_QUEUE_LIMIT, HTTP_WORKERS, BCRYPT_ROUNDS, ...), except DATABASE_URL: the
# refresh scenario seeds sessions into SQLite, so the server always uses the throwaway file.
#
# Usage: bench/auth.sh                         DURATION=60 bench/auth.sh
#        MOLVAULT_BIN=path/to/molvault bench/auth.sh   (benchmark another binary)
#        REFRESH_TOKENS=200000 bench/auth.sh   (more sessions, if the refresh run exhausts them)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly duration="${DURATION:-10}"
readonly threads=2 connections=100
readonly wrk_timeout="${WRK_TIMEOUT:-10s}" # logins queue for the hashing pool; wrk's 2 s is short
readonly refresh_tokens="${REFRESH_TOKENS:-$((duration * 5000))}"
readonly idle_timeout=300 # seconds for the server to work off what a scenario left queued
readonly email="bench@example.com" password="Bench-Mark-2931!"

readonly bench_dir="$PWD/bench"

# shellcheck source=bench/lib/server.sh
source bench/lib/server.sh
# shellcheck source=bench/lib/wrk.sh
source bench/lib/wrk.sh
flood_pid=""
stop_flood() {
    if [[ -n "$flood_pid" ]] && kill -0 "$flood_pid" 2>/dev/null; then
        kill -TERM "$flood_pid" 2>/dev/null || true
        wait "$flood_pid" 2>/dev/null || true
    fi
}
extra_stop=stop_flood
readonly database="$work_dir/data/molvault.db"
start_molvault DATABASE_URL="sqlite:$database" BCRYPT_ROUNDS="${BCRYPT_ROUNDS:-12}"

# post PATH JSON: prints the body; fails unless the status is 2xx.
post() {
    curl -sS --fail-with-body -H 'Content-Type: application/json' -d "$2" "$base$1"
}
credentials="{\"email\":\"$email\",\"password\":\"$password\"}"
post /api/v1/auth/register "$credentials" >/dev/null
access_token="$(post /api/v1/auth/login "$credentials" |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
readonly access_token

echo "bench: creating $refresh_tokens sessions for the refresh scenario"
/usr/bin/python3 "$bench_dir/auth_seed_sessions.py" "$database" "$refresh_tokens" \
    "$work_dir/refresh-tokens.txt"

export BENCH_EMAIL="$email" BENCH_PASSWORD="$password"
export BENCH_TOKENS="$work_dir/refresh-tokens.txt" BENCH_THREADS="$threads"


# wait_idle: waits until /health answers within 100 ms, i.e. the requests a finished scenario
# left in molvault's queues have been worked off; says how long that took.
wait_idle() {
    local start=$SECONDS seconds
    while :; do
        seconds="$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 "$base/health" || echo 5)"
        if awk -v t="$seconds" 'BEGIN { exit !(t < 0.1) }'; then
            break
        fi
        if ((SECONDS - start >= idle_timeout)); then
            echo "bench: molvault is still busy after ${idle_timeout}s" >&2
            exit 1
        fi
        sleep 1
    done
    if ((SECONDS - start > 1)); then
        echo "bench: waited $((SECONDS - start))s for molvault to finish the requests wrk left"
    fi
}

# measure NAME WRK-ARGS...: runs wrk, keeps its report in $work_dir/NAME.txt, prints it.
measure() {
    local name="$1"
    shift
    echo
    echo "bench: scenario $name"
    wrk --latency --timeout "$wrk_timeout" "$@" | tee "$work_dir/$name.txt"
}

# run NAME WRK-ARGS...: measure on an idle server.
run() {
    wait_idle
    measure "$@"
}

readonly load=(-t"$threads" -c"$connections" -d"${duration}s")
run me "${load[@]}" -H "Authorization: Bearer $access_token" "$base/api/v1/auth/me"
run refresh "${load[@]}" -s "$bench_dir/auth_refresh.lua" "$base/api/v1/auth/refresh"
run login "${load[@]}" -s "$bench_dir/auth_login.lua" "$base/api/v1/auth/login"

wait_idle
echo
echo "bench: scenario me+flood (login flood in the background)"
wrk --latency --timeout "$wrk_timeout" -t"$threads" -c"$connections" -d"$((duration + 2))s" \
    -s "$bench_dir/auth_login.lua" "$base/api/v1/auth/login" >"$work_dir/flood.txt" &
flood_pid=$!
sleep 1 # let the flood fill the hashing pool first
measure me+flood -t1 -c10 -d"${duration}s" -H "Authorization: Bearer $access_token" \
    "$base/api/v1/auth/me"
wait "$flood_pid"
flood_pid=""
echo "bench: the login flood's own report:"
cat "$work_dir/flood.txt"
wait_idle

refresh_requests="$(awk '/^ +[0-9]+ requests in /{ print $1 }' "$work_dir/refresh.txt")"
echo
echo "bench: settings: BCRYPT_ROUNDS=${BCRYPT_ROUNDS:-12}," \
    "HASH_THREADS=${HASH_THREADS:-default}, HASH_QUEUE_LIMIT=${HASH_QUEUE_LIMIT:-default}," \
    "HTTP_WORKERS=${HTTP_WORKERS:-16}, SQLite"
echo "bench: GET /me,      wrk -t2 -c100 -d${duration}s: $(wrk_summary "$work_dir/me.txt")"
echo "bench: POST refresh, wrk -t2 -c100 -d${duration}s: $(wrk_summary "$work_dir/refresh.txt")"
echo "bench: POST login,   wrk -t2 -c100 -d${duration}s: $(wrk_summary "$work_dir/login.txt")"
echo "bench: GET /me during a login flood, wrk -t1 -c10 -d${duration}s:" \
    "$(wrk_summary "$work_dir/me+flood.txt")"
echo "bench: (the flood)   wrk -t2 -c100 -d$((duration + 2))s: $(wrk_summary "$work_dir/flood.txt")"
if ((refresh_requests > refresh_tokens)); then
    echo "bench: the refresh run used up its $refresh_tokens sessions (the non-2xx are" \
        "'exhausted' tokens): rerun with REFRESH_TOKENS=$((refresh_requests * 2))" >&2
fi
