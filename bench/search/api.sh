#!/usr/bin/env bash
# Structure search through molvault's HTTP API on PostgreSQL (issue 6): start-up of the
# search index on COPIES x 249,455 molecules, then the query sets of ../shared/data/queries.
#   1. A throwaway PostgreSQL 15 (scripts/test-services.sh) and molvault on it.
#   2. User 1 imports zinc250k into a project that keeps structures as drawn (standardize
#      false, as the cartridge holds them) through POST .../molecules:import, the real
#      registration path (the chemistry and search entry of every molecule: about 400
#      molecules/s on 2 cores, so this takes about 10 minutes).
#   3. molvault is restarted and timed from exec to /health/ready answering 200 (the index
#      loaded from the stored entries); its search_loaded log line gives the index's memory.
#      bench/search/api_queries.py runs every query set (SETS, default all) as user 1 and
#      writes per-query hits and times to OUT (default bench/search/api_hits.csv),
#      comparable with engine_hits.csv and cartridge_hits.csv.
#   4. Users 2..COPIES get copies of those rows (SQL, search entries included) in projects of
#      their own, the same structures held by several users as on a shared service; molvault is restarted and timed again on them all, and
#      LARGE_SETS (default leads, frags, similarity-0.7, similarity-top10) run again as user 1
#      (whose scope is still 249,455 molecules) into OUT with _<COPIES>x before .csv.
# Environment: COPIES (default 4, i.e. 997,820 molecules), SEARCH_MATCH_STORE (default auto:
# parsed molecules up to SEARCH_PARSED_MAX = 300,000, pickles above), SETS, LARGE_SETS,
# ZINC_SMI, DATA_DIR.
#
# Usage: bench/search/api.sh [OUT]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

readonly out="$(realpath -m "${1:-bench/search/api_hits.csv}")"
readonly copies="${COPIES:-4}"
readonly data_dir="$(realpath "${DATA_DIR:-../shared/data}")"
readonly zinc="${ZINC_SMI:-$data_dir/zinc250k.smi.gz}"
readonly password="Bench-Mark-2931!"
readonly python=/usr/bin/python3

# shellcheck source=bench/lib/server.sh
source bench/lib/server.sh

services_dir=""
stop_services() {
    stop_molvault # before PostgreSQL, so it does not drain against a stopped database
    if [[ -n "$services_dir" ]]; then
        bash scripts/test-services.sh stop "$services_dir" >/dev/null || true
        rm -rf "$services_dir"
    fi
}
trap stop_services EXIT

services_dir="$(mktemp -d /tmp/molvault-bench-services.XXXXXXXX)"
bash scripts/test-services.sh start "$services_dir" >/dev/null
pg_port="$(sed -n 's/^PG_PORT=//p' "$services_dir/services.env")"
readonly database_url="postgresql://postgres@127.0.0.1:${pg_port}/postgres"
psql_run() { psql -q -X -v ON_ERROR_STOP=1 "$database_url" "$@"; }
server_env=(
    DATABASE_URL="$database_url" QUOTA_MOLECULES_FREE=0 QUOTA_PROJECTS_FREE=0 LOG_LEVEL=info
    SEARCH_MATCH_STORE="${SEARCH_MATCH_STORE:-auto}" IMPORT_MAX_BYTES=1073741824
)
start_molvault "${server_env[@]}"
echo "bench: load average $(cut -d ' ' -f 1-3 /proc/loadavg); $(nproc) cores"

post() { # post PATH JSON [TOKEN]: prints the body; fails unless the status is 2xx
    curl -sS --fail-with-body -H 'Content-Type: application/json' \
        ${3:+-H "Authorization: Bearer $3"} -d "$2" "$base$1"
}
json_field() { "$python" -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
# As drawn, not standardized: the cartridge searches the molecules as given, and so must we.
readonly project='{"name": "zinc250k", "standardize": false}'
credentials() { echo "{\"email\":\"search$1@example.com\",\"password\":\"$password\"}"; }
login() { post /api/v1/auth/login "$(credentials "$1")" | json_field access_token; }
projects=()
for ((user = 1; user <= copies; user++)); do
    post /api/v1/auth/register "$(credentials "$user")" >/dev/null
    projects+=("$(post /api/v1/projects "$project" "$(login "$user")" | json_field id)")
done

smiles="$work_dir/zinc250k.smi"
zcat "$zinc" >"$smiles"
started=$SECONDS
split -l 50000 "$smiles" "$work_dir/part-" # one request each, well within the client timeout
for part in "$work_dir"/part-*; do
    # signed in again for each part: the whole import outlasts an access token
    "$python" bench/lib/molecules.py import "$base" "$(login 1)" "${projects[0]}" "$part" \
        chemical/x-daylight-smiles "zinc250k $(basename "$part")"
done
echo "bench: imported in $((SECONDS - started)) s"
columns="name, properties, smiles, input_canonical_smiles, input_key, canonical_smiles,
    structure_key, inchi, inchikey, formula, average_mass, exact_mass, heavy_atom_count, clogp,
    tpsa, hbd, hba, rotatable_bonds, pickle, created_at, updated_at, search_entry"

# restart_and_time LABEL: restarts molvault and times it from exec to /health/ready answering
# 200 (every molecule in the index); prints the index's own figures and the server's memory.
restart_and_time() {
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    local started_ns
    started_ns="$(date +%s%N)"
    start_molvault "${server_env[@]}"
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health/ready")" == 200 ]]; do
        sleep 0.1
    done
    echo "bench: $1: start-up to ready $((($(date +%s%N) - started_ns) / 1000000)) ms;" \
        "load average $(cut -d ' ' -f 1-3 /proc/loadavg)"
    grep '"search_loaded"' "$work_dir/server.log"
    echo "bench: server RSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$server_pid/status")"
}

# run_queries OUT [SET ...]: the query sets as user 1
run_queries() {
    local output="$1"
    shift
    "$python" bench/search/api_queries.py "$base" "$(login 1)" "$data_dir" "$output" "$@"
    echo "bench: per-query figures in $output"
}

# --- 249,455 molecules, all user 1's
restart_and_time "249455 molecules"
read -r -a sets <<<"${SETS:-}"
run_queries "$out" "${sets[@]}"

# --- copies for the other users, then the start-up and a few sets again (scope: user 1's)
if ((copies < 2)); then
    exit 0
fi
for ((user = 1; user < copies; user++)); do
    psql_run -c "INSERT INTO molecules (id, project_id, $columns)
        SELECT gen_random_uuid(), '${projects[user]}', $columns FROM molecules
        WHERE project_id = '${projects[0]}';
        UPDATE projects SET molecule_count = (SELECT molecule_count FROM projects
        WHERE id = '${projects[0]}') WHERE id = '${projects[user]}';"
done
total="$(psql_run -At -c 'SELECT count(*) FROM molecules')"
psql_run -c 'VACUUM ANALYZE molecules'
restart_and_time "$total molecules in $copies projects"
read -r -a large_sets <<<"${LARGE_SETS:-leads frags similarity-0.7 similarity-top10}"
run_queries "${out%.csv}_${copies}x.csv" "${large_sets[@]}"
