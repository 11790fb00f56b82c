#!/usr/bin/env bash
# Throwaway servers for the integration and e2e tests, on 127.0.0.1 and free ports:
#   PostgreSQL 15 (trust auth, no fsync), Redis 7 (no persistence), and an SMTP sink
#   that stores each message as one .eml file in DIR/mail/.
# ctest runs `start` as a setup fixture and `stop` as a cleanup fixture; DIR is
# build/release/test-services. Tests read DIR/services.env (KEY=VALUE lines).
#
# Usage: scripts/test-services.sh start|stop|restart-pg DIR
#
# As root (CI), PostgreSQL runs as user postgres and Redis as user redis (PostgreSQL
# refuses root); as any other user, all servers run as that user. Their data lives in
# mktemp directories under /tmp that those users own, so DIR may be anywhere (even
# under /root); DIR/pg and DIR/redis are symlinks to them while they run. `stop` keeps
# the server logs in DIR/logs/.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly script_dir
readonly pg_bin=/usr/lib/postgresql/15/bin
readonly python=/usr/bin/python3  # Debian's python: the one that has aiosmtpd
readonly start_timeout=60         # seconds each server gets to accept connections
readonly attempts=3               # a port picked as free can be taken before we bind it

die() {
    echo "test-services: $*" >&2
    exit 1
}

log() {
    echo "test-services: $*"
}

# Runs a command as the given system user when we are root, else as ourselves.
# From / so that the user need not be able to enter our working directory.
run_as() {
    local user=$1
    shift
    if ((EUID == 0)); then
        (cd / && runuser -u "$user" -- "$@")
    else
        (cd / && "$@")
    fi
}

# A fresh directory under /tmp owned by the user a server will run as.
make_server_dir() {
    local user=$1 name=$2 dir
    dir=$(mktemp -d "/tmp/molvault-${name}.XXXXXXXX")
    if ((EUID == 0)); then
        chown "$user:" "$dir"
    fi
    echo "$dir"
}

# Prints a TCP port on 127.0.0.1 that nothing listens on and that is not among the
# ports given as arguments. The kernel picks it (bind to port 0).
free_port() {
    local port
    while true; do
        port=$("$python" -c '
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])')
        if [[ " $* " != *" $port "* ]]; then
            echo "$port"
            return
        fi
    done
}

# wait_for SECONDS WHAT COMMAND...: runs COMMAND until it succeeds; fails after SECONDS.
wait_for() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            echo "test-services: gave up waiting for ${what} after ${seconds}s" >&2
            return 1
        fi
        sleep 0.2
    done
}

tcp_accepts() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

redis_answers() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]
}

pid_gone() {
    ! kill -0 "$1" 2>/dev/null
}

# True when PID is alive and its command line contains PATTERN: never signal a process
# by a recorded pid alone, the number may belong to someone else by now.
pid_runs() {
    local pid=$1 pattern=$2
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$pattern"
}

# --- state: DIR/state holds KEY=VALUE lines for `stop`, written as each part starts, so
# a `start` that fails half-way can still be cleaned up.

state_file() { echo "$dir/state"; }

state_set() {
    echo "$1=$2" >>"$(state_file)"
}

state_get() {
    local key value
    [[ -f "$(state_file)" ]] || return 0
    while IFS='=' read -r key value; do
        if [[ "$key" == "$1" ]]; then
            echo "$value"
        fi
    done <"$(state_file)" | tail -n 1
}

# --- PostgreSQL

pg_owner() { if ((EUID == 0)); then echo postgres; else id -un; fi; }

start_pg() {
    local root port data socket_dir try
    root=$(make_server_dir "$(pg_owner)" pg)
    state_set PG_ROOT "$root"
    ln -sfn "$root" "$dir/pg"
    data="$root/data"
    socket_dir="$root/socket"
    run_as "$(pg_owner)" mkdir -m 700 "$socket_dir"
    run_as "$(pg_owner)" "$pg_bin/initdb" -D "$data" -A trust -U postgres -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$dir/logs/initdb.log" 2>&1 ||
        { cat "$dir/logs/initdb.log" >&2; die "initdb failed"; }

    for ((try = 1; try <= attempts; try++)); do
        port=$(free_port "${used_ports[@]}")
        if run_as "$(pg_owner)" "$pg_bin/pg_ctl" -D "$data" -l "$root/postgresql.log" \
            -w -t "$start_timeout" start -o "-p $port -k $socket_dir \
                -c listen_addresses=127.0.0.1 -c max_connections=300 \
                -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null; then
            break
        fi
        log "PostgreSQL did not start on port $port (attempt $try of $attempts)"
        ((try < attempts)) || { tail -n 20 "$root/postgresql.log" >&2; die "PostgreSQL failed"; }
    done
    wait_for "$start_timeout" PostgreSQL "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1
    state_set PG_PORT "$port"
    used_ports+=("$port")
    pg_port=$port
    pg_data=$data
    pg_socket_dir=$socket_dir
    log "PostgreSQL 15 on 127.0.0.1:$port (data $data)"
}

stop_pg() {
    local root
    root=$(state_get PG_ROOT)
    [[ -n "$root" && -d "$root" ]] || return 0
    if [[ -f "$root/data/postmaster.pid" ]]; then
        run_as "$(pg_owner)" "$pg_bin/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null ||
            log "pg_ctl stop failed (continuing)"
    fi
    cp "$root/postgresql.log" "$dir/logs/" 2>/dev/null || true
    rm -rf "$root"
    log "PostgreSQL stopped"
}

restart_pg() {
    local root port
    root=$(state_get PG_ROOT)
    port=$(state_get PG_PORT)
    [[ -n "$root" && -d "$root/data" ]] || die "no PostgreSQL started in $dir"
    run_as "$(pg_owner)" "$pg_bin/pg_ctl" -D "$root/data" -l "$root/postgresql.log" \
        -m fast -w -t "$start_timeout" restart >/dev/null
    wait_for "$start_timeout" PostgreSQL "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1
    log "PostgreSQL restarted on 127.0.0.1:$port"
}

# --- Redis

redis_owner() { if ((EUID == 0)); then echo redis; else id -un; fi; }

start_redis() {
    local root port try
    root=$(make_server_dir "$(redis_owner)" redis)
    state_set REDIS_ROOT "$root"
    ln -sfn "$root" "$dir/redis"
    for ((try = 1; try <= attempts; try++)); do
        port=$(free_port "${used_ports[@]}")
        state_set REDIS_PORT "$port"
        run_as "$(redis_owner)" redis-server --port "$port" --bind 127.0.0.1 \
            --daemonize yes --dir "$root" --pidfile "$root/redis.pid" \
            --logfile "$root/redis.log" --save '' --appendonly no
        if wait_for 10 Redis redis_answers "$port"; then
            break
        fi
        log "Redis did not start on port $port (attempt $try of $attempts)"
        ((try < attempts)) || { tail -n 20 "$root/redis.log" >&2; die "Redis failed"; }
    done
    used_ports+=("$port")
    redis_port=$port
    log "Redis on 127.0.0.1:$port"
}

stop_redis() {
    local root port pid
    root=$(state_get REDIS_ROOT)
    [[ -n "$root" && -d "$root" ]] || return 0
    port=$(state_get REDIS_PORT)
    pid=$(cat "$root/redis.pid" 2>/dev/null || true)
    if [[ -n "$port" ]] && redis_answers "$port"; then
        redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    fi
    if pid_runs "$pid" redis-server && ! wait_for 5 "Redis to shut down" pid_gone "$pid"; then
        kill "$pid" 2>/dev/null || true
        wait_for 10 "Redis to exit" pid_gone "$pid" || true
    fi
    cp "$root/redis.log" "$dir/logs/" 2>/dev/null || true
    rm -rf "$root"
    log "Redis stopped"
}

# --- SMTP sink

start_smtp() {
    local port pid try
    local pidfile="$dir/smtp-sink.pid"
    for ((try = 1; try <= attempts; try++)); do
        port=$(free_port "${used_ports[@]}")
        # Own session and redirected stdio: the sink must not hold ctest's output pipe open.
        setsid "$python" "$script_dir/smtp_sink.py" --host 127.0.0.1 --port "$port" \
            --dir "$dir/mail" --pidfile "$pidfile" </dev/null >>"$dir/logs/smtp-sink.log" 2>&1 &
        pid=$!
        state_set SMTP_PID "$pid"
        if wait_for_sink "$port" "$pid"; then
            break
        fi
        log "SMTP sink did not start on port $port (attempt $try of $attempts)"
        kill "$pid" 2>/dev/null || true
        ((try < attempts)) || { tail -n 20 "$dir/logs/smtp-sink.log" >&2; die "SMTP sink failed"; }
    done
    used_ports+=("$port")
    smtp_port=$port
    log "SMTP sink on 127.0.0.1:$port (messages in $dir/mail)"
}

# Waits until the sink accepts connections; gives up at once if it exited.
wait_for_sink() {
    local port=$1 pid=$2
    local deadline=$((SECONDS + 10))
    until tcp_accepts 127.0.0.1 "$port"; do
        if pid_gone "$pid" || ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.2
    done
}

stop_smtp() {
    local pid pids=()
    if [[ -f "$(state_file)" ]]; then
        mapfile -t pids < <(sed -n 's/^SMTP_PID=//p' "$(state_file)")
    fi
    for pid in "${pids[@]}"; do
        pid_runs "$pid" smtp_sink.py || continue
        kill "$pid" 2>/dev/null || true
        if ! wait_for 10 "the SMTP sink to exit" pid_gone "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        log "SMTP sink stopped"
    done
    rm -f "$dir/smtp-sink.pid"
}

# --- commands

write_services_env() {
    local tmp="$dir/services.env.tmp"
    cat >"$tmp" <<EOF
PG_HOST=127.0.0.1
PG_PORT=$pg_port
PG_DATA=$pg_data
PG_BIN=$pg_bin
PG_SOCKET_DIR=$pg_socket_dir
REDIS_URL=redis://127.0.0.1:$redis_port
SMTP_HOST=127.0.0.1
SMTP_PORT=$smtp_port
SMTP_DIR=$dir/mail
EOF
    mv "$tmp" "$dir/services.env"
}

stop_all() {
    [[ -d "$dir" ]] || return 0
    rm -f "$dir/services.env"
    mkdir -p "$dir/logs"
    stop_smtp
    stop_redis
    stop_pg
    rm -f "$(state_file)" "$dir/pg" "$dir/redis"
}

on_start_exit() {
    local status=$?
    if ((status != 0)); then
        echo "test-services: start failed; stopping what did start" >&2
        stop_all || true
    fi
}

start_all() {
    stop_all # leftovers of an earlier run in the same DIR
    rm -rf "$dir/mail" "$dir/logs"
    mkdir -p "$dir/mail" "$dir/logs"
    trap on_start_exit EXIT
    used_ports=()
    start_pg
    start_redis
    start_smtp
    write_services_env
    trap - EXIT
    log "ready: $dir/services.env"
}

main() {
    (($# == 2)) || die "usage: $0 start|stop|restart-pg DIR"
    local command=$1
    if [[ "$command" == stop && ! -d "$2" ]]; then
        return 0 # nothing was ever started there
    fi
    mkdir -p "$2"
    dir="$(cd "$2" && pwd)"
    [[ -x "$pg_bin/initdb" ]] || die "PostgreSQL 15 is not installed (run scripts/install-deps.sh)"
    case "$command" in
        start) start_all ;;
        stop) stop_all ;;
        restart-pg) restart_pg ;;
        *) die "unknown command '$command' (start, stop or restart-pg)" ;;
    esac
}

main "$@"
