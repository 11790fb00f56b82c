#!/usr/bin/env bash
# Benchmarks of the molecules feature (issue 5) on SQLite, PostgreSQL or both. Builds
# molvault, starts it on a free loopback port with a throwaway DATA_DIR (rate limiting off,
# LOG_LEVEL=warn, HTTP_MAX_BODY_BYTES=256 MiB, no molecule or project quotas) and, for
# PostgreSQL, a throwaway PostgreSQL 15 from scripts/test-services.sh (fsync off, as for the
# tests), then measures with real molecules (ZINC250k, the NCI first 5K):
#   single add   POST .../molecules: ADD_REQUESTS sequential requests on one connection
#                (bench/lib/molecules.py), then wrk -t2 -c${ADD_CONNECTIONS} for ADD_DURATION s
#                with distinct structures (bench/molecules_add.lua), into fresh projects.
#   bulk         POST .../molecules:bulk of 100 rows (BULK100_REQUESTS times) and of 1,000 rows
#                (BULK1000_REQUESTS times), each into a fresh project: median and p95 per request.
#   import       POST .../molecules:import of IMPORT_MOLECULES ZINC SMILES (a SMILES file), then
#                GET .../molecules:export?format=sdf of that project, then the import of that
#                SDF into a fresh project: molecules/s of each import.
#   lookup       a second user imports LOOKUP_MOLECULES ZINC SMILES; the queries are 2,000 of
#                their stored canonical SMILES (present) interleaved with 2,000 structures not
#                loaded (1,000 other ZINC molecules, 1,000 NCI; absent), probed once
#                sequentially, then GET /api/v1/molecules/lookup?smiles= under
#                wrk --latency -d${DURATION}s at each of LOOKUP_CONNECTIONS
#                (bench/molecules_lookup.lua).
# It prints each scenario's figures and a summary, and removes its servers and data on exit.
# With PERF=1 it also samples the server (`perf record --call-graph dwarf`) during the SDF
# import and prints the hottest symbols (PERF_DATA=FILE keeps the samples for
# `perf report -i FILE`); sampling slows that import, so take figures from a run without it.
# Defaults: DURATION=20, LOOKUP_CONNECTIONS="1 10 100", LOOKUP_MOLECULES=20000,
# IMPORT_MOLECULES=20000, ADD_REQUESTS=500, ADD_CONNECTIONS=16, ADD_DURATION=10,
# BULK100_REQUESTS=20, BULK1000_REQUESTS=10. Other exported variables (HTTP_WORKERS,
# DB_POOL_SIZE, ...) reach the server.
#
# Usage: bench/molecules.sh [sqlite|postgres|both]      (default both, one after the other)
#        DURATION=10 LOOKUP_MOLECULES=50000 IMPORT_MOLECULES=50000 bench/molecules.sh postgres
#        MOLVAULT_BIN=path/to/molvault bench/molecules.sh   (benchmark another binary)
# Data: ZINC_SMI (default /work/shared/data/zinc250k.smi.gz) and NCI_SMI (default
# /usr/share/RDKit/Data/NCI/first_5K.smi), "SMILES<TAB>ID" lines.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly backend="${1:-${BACKEND:-both}}"
if [[ "$backend" == both ]]; then
    status=0
    for one in sqlite postgres; do
        bash "${BASH_SOURCE[0]}" "$one" || status=$?
    done
    exit "$status"
fi
case "$backend" in
    sqlite | postgres) ;;
    *)
        echo "usage: $0 [sqlite|postgres|both]" >&2
        exit 2
        ;;
esac

readonly duration="${DURATION:-20}"
readonly lookup_molecules="${LOOKUP_MOLECULES:-20000}"
read -r -a lookup_connections <<<"${LOOKUP_CONNECTIONS:-1 10 100}"
readonly lookup_connections
readonly lookup_queries=4000 # half present, half absent
readonly import_molecules="${IMPORT_MOLECULES:-20000}"
readonly add_requests="${ADD_REQUESTS:-500}"
readonly add_connections="${ADD_CONNECTIONS:-16}"
readonly add_duration="${ADD_DURATION:-10}"
readonly bulk100_requests="${BULK100_REQUESTS:-20}"
readonly bulk1000_requests="${BULK1000_REQUESTS:-10}"
readonly zinc="${ZINC_SMI:-/work/shared/data/zinc250k.smi.gz}"
readonly nci="${NCI_SMI:-/usr/share/RDKit/Data/NCI/first_5K.smi}"
readonly wrk_timeout=10s
readonly password="Bench-Mark-2931!"
readonly bench_dir="$PWD/bench"
readonly python=/usr/bin/python3

for file in "$zinc" "$nci"; do
    [[ -r "$file" ]] || {
        echo "bench: cannot read $file (see ZINC_SMI / NCI_SMI)" >&2
        exit 1
    }
done
if ((lookup_molecules < lookup_queries / 2 || lookup_molecules + import_molecules > 150000)); then
    echo "bench: LOOKUP_MOLECULES must be at least $((lookup_queries / 2)), and" \
        "LOOKUP_MOLECULES + IMPORT_MOLECULES at most 150000" >&2
    exit 2
fi

# shellcheck source=bench/lib/server.sh
source bench/lib/server.sh
# shellcheck source=bench/lib/wrk.sh
source bench/lib/wrk.sh

services_dir=""
perf_pid=""
stop_services() {
    if [[ -n "$perf_pid" ]] && kill -0 "$perf_pid" 2>/dev/null; then
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
    fi
    stop_molvault # before PostgreSQL, so it does not drain against a stopped database
    if [[ -n "$services_dir" ]]; then
        bash scripts/test-services.sh stop "$services_dir" >/dev/null || true
        rm -rf "$services_dir"
    fi
}
trap stop_services EXIT

server_env=(HTTP_MAX_BODY_BYTES=268435456 QUOTA_MOLECULES_FREE=0 QUOTA_PROJECTS_FREE=0)
if [[ "$backend" == postgres ]]; then
    services_dir="$(mktemp -d /tmp/molvault-bench-services.XXXXXXXX)"
    bash scripts/test-services.sh start "$services_dir" >/dev/null
    pg_port="$(sed -n 's/^PG_PORT=//p' "$services_dir/services.env")"
    server_env+=(DATABASE_URL="postgresql://postgres@127.0.0.1:${pg_port}/postgres")
    echo "bench: PostgreSQL 15 on 127.0.0.1:${pg_port} (scripts/test-services.sh: fsync off)"
else
    server_env+=(DATABASE_URL="sqlite:$work_dir/data/molvault.db")
fi
start_molvault "${server_env[@]}"

# --- data: disjoint slices of ZINC250k, so no scenario meets another's molecules
data="$work_dir/input"
mkdir -p "$data"
zcat "$zinc" >"$data/zinc.smi"
slice() { # slice FIRST COUNT: prints COUNT lines of ZINC250k from line FIRST
    sed -n "$1,$(($1 + $2 - 1))p; $(($1 + $2 - 1))q" "$data/zinc.smi"
}
slice 1 "$lookup_molecules" >"$data/lookup.smi"
slice $((lookup_molecules + 1)) "$import_molecules" >"$data/import.smi"
slice 150001 "$add_requests" >"$data/add-sequential.smi"
slice 160001 40000 >"$data/add-concurrent.smi"
slice 200001 $((100 * bulk100_requests)) >"$data/bulk100.smi"
slice 210001 $((1000 * bulk1000_requests)) >"$data/bulk1000.smi"
# absent from every project: ZINC from line 240001 alternating with NCI
paste -d '\n' <(slice 240001 $((lookup_queries / 4))) \
    <(head -n $((lookup_queries / 4)) "$nci") >"$data/absent.smi"

# --- users: one for the write scenarios, one that owns only the lookup project (a lookup
# searches all of the caller's projects)
post() { # post PATH JSON: prints the body; fails unless the status is 2xx
    curl -sS --fail-with-body -H 'Content-Type: application/json' -d "$2" "$base$1"
}
token_for() {
    local credentials="{\"email\":\"$1\",\"password\":\"$password\"}"
    post /api/v1/auth/register "$credentials" >/dev/null
    post /api/v1/auth/login "$credentials" |
        "$python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
writer_token="$(token_for writer@example.com)"
lookup_token="$(token_for lookup@example.com)"
readonly writer_token lookup_token
client() { # client COMMAND TOKEN ARGS...
    local command="$1" token="$2"
    shift 2
    "$python" "$bench_dir/lib/molecules.py" "$command" "$base" "$token" "$@"
}

results="$work_dir/results.txt"
note() { # prints a line and keeps it for the summary
    echo "$*" | tee -a "$results"
}
run_wrk() { # run_wrk NAME WRK-ARGS...: wrk --latency, report kept in $work_dir/NAME.txt
    local name="$1"
    shift
    echo
    echo "bench: scenario $name"
    wrk --latency --timeout "$wrk_timeout" "$@" | tee "$work_dir/$name.txt"
}

echo
echo "bench: backend $backend; load average $(cut -d ' ' -f 1-3 /proc/loadavg)"

# --- single add
echo
note "$(client add "$writer_token" "$data/add-sequential.smi" "$add_requests")"
add_project="$(client project "$writer_token" "bench add concurrent")"
BENCH_TOKEN="$writer_token" BENCH_PROJECT="$add_project" BENCH_SMILES="$data/add-concurrent.smi" \
    BENCH_THREADS=2 run_wrk add -t2 -c"$add_connections" -d"${add_duration}s" \
    -s "$bench_dir/molecules_add.lua" "$base"
note "bench: single add, wrk -t2 -c${add_connections} -d${add_duration}s:" \
    "$(wrk_summary "$work_dir/add.txt")"

# --- bulk
echo
note "$(client bulk "$writer_token" "$data/bulk100.smi" 100 "$bulk100_requests")"
note "$(client bulk "$writer_token" "$data/bulk1000.smi" 1000 "$bulk1000_requests")"

# --- file import: SMILES, then SDF exported by molvault itself
echo
smiles_project="$(client project "$writer_token" "bench import smiles")"
note "$(client import "$writer_token" "$smiles_project" "$data/import.smi" \
    chemical/x-daylight-smiles "SMILES ($import_molecules ZINC)")"
note "$(client export "$writer_token" "$smiles_project" sdf "$data/export.sdf")"
sdf_project="$(client project "$writer_token" "bench import sdf")"
readonly perf_data="${PERF_DATA:-$work_dir/perf.data}"
if [[ "${PERF:-0}" == 1 ]]; then
    # DWARF unwinding: RDKit and the C library have no frame pointers
    perf record --call-graph dwarf,16384 -F 99 -p "$server_pid" -o "$perf_data" \
        >/dev/null 2>&1 &
    perf_pid=$!
    sleep 1
fi
note "$(client import "$writer_token" "$sdf_project" "$data/export.sdf" \
    chemical/x-mdl-sdfile "SDF (exported by molvault)")"
if [[ -n "$perf_pid" ]]; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
    perf_pid=""
    # perf_top CHILDREN|NO-CHILDREN PATTERN COUNT: the hottest symbols matching PATTERN (an
    # awk regex), names cut to 150 characters
    perf_top() {
        perf report -i "$perf_data" "--$1" --sort symbol --stdio -g none 2>/dev/null |
            awk -v count="$3" -v pattern="$2" '!/^#/ && NF && $0 ~ pattern && n++ < count {
                sub(/[ -]*$/, ""); print substr($0, 1, 150) }'
    }
    echo
    echo "bench: perf of the server during the SDF import, self time by symbol:"
    perf_top no-children . 25
    echo "bench: the same, molvault and RDKit functions with the time of their callees:"
    perf_top children 'molvault::|RDKit::|RDDepict::|inchi|INCHI' 60
fi

# --- lookup under load
echo
lookup_project="$(client project "$lookup_token" "bench lookup")"
note "$(client import "$lookup_token" "$lookup_project" "$data/lookup.smi" \
    chemical/x-daylight-smiles "SMILES ($lookup_molecules ZINC, lookup set)")"
client export "$lookup_token" "$lookup_project" smiles "$data/stored.smi" >/dev/null
shuf -n $((lookup_queries / 2)) --random-source=<(yes) "$data/stored.smi" >"$data/present.smi"
client queries "$lookup_token" "$data/present.smi" "$data/absent.smi" "$lookup_queries" \
    "$data/queries.txt" | tee -a "$results"
for connections in "${lookup_connections[@]}"; do
    threads=$((connections < 2 ? 1 : 2))
    BENCH_TOKEN="$lookup_token" BENCH_QUERIES="$data/queries.txt" \
        run_wrk "lookup-c$connections" -t"$threads" -c"$connections" -d"${duration}s" \
        -s "$bench_dir/molecules_lookup.lua" "$base"
    note "bench: lookup, wrk -t$threads -c$connections -d${duration}s:" \
        "$(wrk_summary "$work_dir/lookup-c$connections.txt")"
done

echo
echo "bench: summary, backend $backend, HTTP_WORKERS=${HTTP_WORKERS:-default}," \
    "DB_POOL_SIZE=${DB_POOL_SIZE:-default}, load average now $(cut -d ' ' -f 1-3 /proc/loadavg)"
cat "$results"
