#!/usr/bin/env bash
# Structure search through molvault's HTTP API on PostgreSQL (issue 6): start-up of the
# search index on COPIES x 249,455 molecules, then the query sets of ../shared/data/queries.
#   1. A throwaway PostgreSQL 15 (scripts/test-services.sh) and molvault on it.
#   2. User 1 imports zinc250k into a project that keeps structures as drawn (standardize
#      false, as the cartridge holds them) through POST .../molecules:import, the real
#      registration path (the chemistry and search entry of every molecule; this takes a
#      while: about 250 molecules/s on 2 cores). Users 2.. get
#      copies of those rows (SQL, search entries included) in their own projects: the same
#      structures held by COPIES users, as a shared service would have.
#   3. molvault is restarted and timed from exec to /health/ready answering 200 (the index
#      loaded from the stored entries); its search_loaded log line gives the index's memory.
#   4. bench/search/api_queries.py runs every query set as user 1 (scope: 249,455 of the
#      molecules) and writes per-query hits and times to OUT (default
#      bench/search/api_hits.csv), comparable with engine_hits.csv and cartridge_hits.csv.
# Environment: COPIES (default 4, i.e. 997,820 molecules), SEARCH_MATCH_STORE (molecules or
# pickles; parsed molecules take about 11 KB each), SETS (default all), ZINC_SMI, DATA_DIR.
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
    SEARCH_MATCH_STORE="${SEARCH_MATCH_STORE:-molecules}" IMPORT_MAX_BYTES=1073741824
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
tokens=()
projects=()
for ((user = 1; user <= copies; user++)); do
    credentials="{\"email\":\"search$user@example.com\",\"password\":\"$password\"}"
    post /api/v1/auth/register "$credentials" >/dev/null
    token="$(post /api/v1/auth/login "$credentials" | json_field access_token)"
    tokens+=("$token")
    projects+=("$(post /api/v1/projects "$project" "$token" | json_field id)")
done

smiles="$work_dir/zinc250k.smi"
zcat "$zinc" >"$smiles"
started=$SECONDS
split -l 50000 "$smiles" "$work_dir/part-" # one request each, well within the client timeout
for part in "$work_dir"/part-*; do
    "$python" bench/lib/molecules.py import "$base" "${tokens[0]}" "${projects[0]}" "$part" \
        chemical/x-daylight-smiles "zinc250k $(basename "$part")"
done
echo "bench: imported in $((SECONDS - started)) s"
columns="name, properties, smiles, input_canonical_smiles, input_key, canonical_smiles,
    structure_key, inchi, inchikey, formula, average_mass, exact_mass, heavy_atom_count, clogp,
    tpsa, hbd, hba, rotatable_bonds, pickle, created_at, updated_at, search_entry"
for ((user = 1; user < copies; user++)); do
    psql_run -c "INSERT INTO molecules (id, project_id, $columns)
        SELECT gen_random_uuid(), '${projects[user]}', $columns FROM molecules
        WHERE project_id = '${projects[0]}';
        UPDATE projects SET molecule_count = (SELECT molecule_count FROM projects
        WHERE id = '${projects[0]}') WHERE id = '${projects[user]}';"
done
total="$(psql_run -At -c 'SELECT count(*) FROM molecules')"
echo "bench: $total molecules in $copies projects"
psql_run -c 'VACUUM ANALYZE molecules'

# --- start-up: from exec to ready, with every molecule in the index
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
started_ns="$(date +%s%N)"
start_molvault "${server_env[@]}"
until [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health/ready")" == 200 ]]; do
    sleep 0.1
done
echo "bench: start-up to ready: $((($(date +%s%N) - started_ns) / 1000000)) ms" \
    "(SEARCH_MATCH_STORE=${SEARCH_MATCH_STORE:-molecules})"
grep '"search_loaded"' "$work_dir/server.log"
echo "bench: server RSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$server_pid/status")"

# --- the query sets, as user 1
read -r -a sets <<<"${SETS:-}"
"$python" bench/search/api_queries.py "$base" "${tokens[0]}" "$data_dir" "$out" "${sets[@]}"
echo "bench: per-query figures in $out"
