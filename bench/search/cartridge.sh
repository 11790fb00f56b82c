#!/usr/bin/env bash
# The RDKit PostgreSQL cartridge half of the structure-search benchmark (issue 6).
#
# Usage (as root, from anywhere):
#   bench/search/cartridge.sh [--sets leads,frags,...] [--csv FILE] [--data DIR] [--keep]
#
# Installs postgresql-15, postgresql-15-rdkit and python3-psycopg2 if missing, patches the
# cartridge's extension script (../shared/tools/enable-rdkit-cartridge.sh), starts a throwaway
# PostgreSQL 15 cluster as the postgres user in a mktemp directory (Unix socket only, in that
# directory; no TCP port), loads zinc250k.smi.gz, adds the Morgan r2/2048 fingerprints, builds
# the GiST indexes, prints each step's time, pre-warms the table and indexes into shared_buffers
# and runs bench/search/cartridge_queries.py, which writes set,query_id,hits,ms,digest (default
# bench/search/cartridge_hits.csv); then compare.py against engine_hits.csv. The cluster is
# stopped and removed on exit; --keep leaves it running (its directory and a psql line are
# printed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=$root/../shared/data
csv=$here/cartridge_hits.csv
sets=leads,frags,fragqueries,rlewis,similarity-0.7,similarity-0.5,similarity-top10
keep=0
while [ $# -gt 0 ]; do
    case $1 in
        --sets) sets=$2; shift 2 ;;
        --csv) csv=$(realpath -m "$2"); shift 2 ;;
        --data) data=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        *) echo "usage: $0 [--sets a,b] [--csv FILE] [--data DIR] [--keep]" >&2; exit 2 ;;
    esac
done
data=$(cd "$data" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "run as root (apt-get, runuser)" >&2; exit 1; }

# Packages: only what is missing.
missing=()
for package in postgresql-15 postgresql-15-rdkit python3-psycopg2; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
        missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
# Debian 12's extension script fails on PostgreSQL 15 without this (idempotent).
sh "$root/../shared/tools/enable-rdkit-cartridge.sh"

pgbin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /tmp/molvault-cartridge.XXXXXX)
chown postgres: "$dir"
as_postgres() { runuser -u postgres -- "$@"; }
cleanup() {
    if [ "$keep" -eq 1 ]; then
        echo "cluster left running: psql -h $dir -U postgres bench" \
            "(stop: runuser -u postgres -- $pgbin/pg_ctl -D $dir/data stop; rm -rf $dir)"
        return
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

as_postgres "$pgbin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C \
    --no-sync >/dev/null
# A warm read benchmark on a throwaway cluster: durability off, memory for the table and both
# indexes (about 0.5 GB) in shared_buffers, no JIT (it adds compile time to large scans).
# Parallel query stays at PostgreSQL's defaults (2 workers per gather on this 2-core machine).
cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
shared_buffers = 2GB
work_mem = 256MB
maintenance_work_mem = 1GB
effective_cache_size = 8GB
random_page_cost = 1.1
jit = off
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 8GB
checkpoint_timeout = 30min
EOF
as_postgres "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null

psql_bench() { psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -U postgres -d bench "$@"; }
# Prints "label   seconds" for a step that began at $1 (date +%s.%N).
report() { awk -v s="$1" -v e="$(date +%s.%N)" -v l="$2" 'BEGIN { printf "%-44s %8.1f s\n", l, e - s }'; }
# Runs SQL (one transaction) and prints how long it took.
timed() {
    local start
    start=$(date +%s.%N)
    psql_bench -c "$2"
    report "$start" "$1"
}

psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -U postgres -d postgres -c "CREATE DATABASE bench"
# The cartridge's default Morgan bit-vector size is 512: every session in this database uses
# 2048, the size our engine uses (cartridge_queries.py sets and checks it again).
psql_bench -c "ALTER DATABASE bench SET rdkit.morgan_fp_size = 2048"
psql_bench -c "CREATE EXTENSION rdkit; CREATE EXTENSION pg_prewarm"
psql_bench -At -c "SELECT 'rdkit ' || rdkit_version() || ', toolkit ' || rdkit_toolkit_version()"

echo "Loading $data/zinc250k.smi.gz"
psql_bench -c "CREATE TABLE raw (smiles text, id text)"
# CSV with a TAB delimiter and a quote byte that never occurs: COPY's text format would treat the
# backslashes of SMILES stereo bonds as escapes.
start=$(date +%s.%N)
gzip -dc "$data/zinc250k.smi.gz" |
    psql_bench -c "COPY raw (smiles, id) FROM STDIN WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01')"
report "$start" "copy SMILES text"
timed "mol column (mol_from_smiles)" \
    "CREATE TABLE mols0 AS SELECT id, mol_from_smiles(smiles::cstring) AS m FROM raw"
timed "fp column (morganbv_fp, r2, 2048 bits)" \
    "CREATE TABLE mols AS SELECT id, m, morganbv_fp(m) AS fp FROM mols0; DROP TABLE mols0"
timed "GiST index on m" "CREATE INDEX mols_m ON mols USING gist (m)"
timed "GiST index on fp" "CREATE INDEX mols_fp ON mols USING gist (fp)"
timed "VACUUM ANALYZE" "VACUUM ANALYZE mols"

# Checks: every molecule parsed, backslashes survived the load, fingerprints are 2048 bits.
expected=$(gzip -dc "$data/zinc250k.smi.gz" | wc -l)
backslashes=$(gzip -dc "$data/zinc250k.smi.gz" | cut -f1 | grep -c '\\' || true)
psql_bench -At -F ' ' -c "
    SELECT count(*), count(m), count(*) FILTER (WHERE id IS NULL),
           (SELECT count(*) FROM raw WHERE strpos(smiles, E'\\\\') > 0),
           (SELECT min(size(fp)) || '-' || max(size(fp)) FROM mols)
    FROM mols" | {
    read -r rows parsed no_id slashed bits
    echo "rows $rows, parsed $parsed (file: $expected), backslash SMILES $slashed" \
        "(file: $backslashes), fp bits $bits"
    [ "$rows" -eq "$expected" ] && [ "$parsed" -eq "$expected" ] && [ "$no_id" -eq 0 ] &&
        [ "$slashed" -eq "$backslashes" ] && [ "$bits" = "2048-2048" ] ||
        { echo "load check failed" >&2; exit 1; }
}
psql_bench -c "DROP TABLE raw"
psql_bench -At -F ' ' -c "
    SELECT 'sizes: table ' || pg_size_pretty(pg_table_size('mols'))
        || ', index m ' || pg_size_pretty(pg_relation_size('mols_m'))
        || ', index fp ' || pg_size_pretty(pg_relation_size('mols_fp'))"

# Warm: every page of the table (and its TOAST table) and of both indexes into shared_buffers.
psql_bench -At -c "
    SELECT 'pre-warmed ' || pg_prewarm('mols') + pg_prewarm('mols_m') + pg_prewarm('mols_fp')
           + CASE WHEN reltoastrelid <> 0 THEN pg_prewarm(reltoastrelid) ELSE 0 END || ' blocks'
    FROM pg_class WHERE relname = 'mols'"

echo "Running queries ($sets) into $csv"
start=$(date +%s.%N)
/usr/bin/python3 "$here/cartridge_queries.py" --host "$dir" --dbname bench --data "$data" \
    --sets "$sets" --csv "$csv"
report "$start" "all query sets"

if [ -f "$here/engine_hits.csv" ]; then
    echo
    /usr/bin/python3 "$here/compare.py" "$here/engine_hits.csv" "$csv"
fi
