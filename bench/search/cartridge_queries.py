"""Runs the structure-search query sets against the RDKit PostgreSQL cartridge.

Started by bench/search/cartridge.sh once the table `mols (id text, m mol, fp bfp)` and its GiST
indexes exist; run it with /usr/bin/python3 (Debian's psycopg2 and rdkit live there).

    /usr/bin/python3 bench/search/cartridge_queries.py --host SOCKET_DIR --dbname bench \
        --data ../shared/data --csv bench/search/cartridge_hits.csv [--sets leads,rlewis]

Semantics, chosen to match bench/search/engine_bench.cpp, with q the query SMILES parsed by
mol_from_smiles(q::cstring):
  leads, frags, fragqueries  m @> q   (chirality off: rdkit.do_chiral_sss = off)
  rlewis                     m @> 'SMARTS'::qmol
  similarity-0.7, -0.5       fp % morganbv_fp(q) with rdkit.tanimoto_threshold = T (the GiST
                             screen), then tanimoto_sml(fp, morganbv_fp(q)) >= T exactly
  similarity-top10           ORDER BY tanimoto_sml(fp, morganbv_fp(q)) DESC, id LIMIT 10: a
                             full scan (PostgreSQL runs it as a parallel scan and top-N sort);
                             ties on the tenth score go to the smaller id, as in our engine
fp is morganbv_fp(m) with radius 2 and rdkit.morgan_fp_size = 2048.

Two cartridge behaviours shape this, and each is measured on the side:

* The cast 'SMILES'::mol (mol_in) leaves a bond that the SMILES writes implicitly between two
  aromatic atoms of different rings (biphenyl as c1ccccc1c1ccccc1) AROMATIC, where MolFromSmiles
  and mol_from_smiles make it SINGLE, so such a query misses targets with a single bond there.
  Before timing, every query is parsed both ways in the cartridge and compared with RDKit's
  MolFromSmiles (canonical SMILES of the unpickled mol_to_pkl; for SMARTS, the qmol cast's SMARTS
  with MolToSmarts(MolFromSmarts)); the parse used must agree on every query. After the timed
  pass, the queries that the cast parses differently are run with the cast, and their hits are
  written to CAST_CSV (default: cartridge_cast_hits.csv next to --csv).
* The GiST KNN operator <%> (ORDER BY fp <%> q LIMIT 10) does not return the nearest neighbours
  in this version: the index scan hands out one leaf page at a time, each in distance order, so
  the first ten rows are the best of one page. The top-10 set therefore uses the full scan
  above, and the KNN query is run after the timed pass (ties at the tenth place resolved by
  asking for more rows, as above) and written to KNN_CSV (default: cartridge_knn_hits.csv), in
  the format of --csv, so that compare.py can count how often it is wrong.

Warm-up: cartridge.sh loaded the table and both indexes into shared_buffers with pg_prewarm; in
addition the first WARMUP queries of each set run once untimed. Each query is then timed once,
client-side, from sending it to having fetched every hit id (psycopg2 reads the whole result in
execute()). A query that runs into statement_timeout is written with empty hits and digest
"timeout".

CSV: set,query_id,hits,ms,digest where digest is the first 16 hex digits of the SHA-256 of the
hit ids sorted and joined by '\\n'.
"""

import argparse
import hashlib
import os
import sys
import time

import psycopg2
import psycopg2.errors
from rdkit import Chem, RDLogger

WARMUP = 5
TIMEOUT_S = 60

# set name -> (query file, kind)
SETS = {
    "leads": ("zinc_leads_500.smi", "smiles"),
    "frags": ("zinc_frags_500.smi", "smiles"),
    "fragqueries": ("fragqueries.smi", "smiles"),
    "rlewis": ("smarts_rlewis.txt", "smarts"),
    "similarity-0.7": ("similarity_500.smi", "threshold"),
    "similarity-0.5": ("similarity_500.smi", "threshold"),
    "similarity-top10": ("similarity_500.smi", "top10"),
}

# {mol}: how a SMILES query becomes a mol (PARSE_FUNCTION, or PARSE_CAST for the comparison).
SQL = {
    "smiles": "SELECT id FROM mols WHERE m @> {mol}",
    "smarts": "SELECT id FROM mols WHERE m @> %(q)s::qmol",
    "threshold": (
        "SELECT id FROM mols WHERE fp %% morganbv_fp({mol})"
        " AND tanimoto_sml(fp, morganbv_fp({mol})) >= %(t)s::float8"
    ),
    "top10": (
        "SELECT id FROM mols ORDER BY tanimoto_sml(fp, morganbv_fp({mol})) DESC, id LIMIT 10"
    ),
    "knn": (
        "SELECT id, fp <%%> morganbv_fp({mol}) FROM mols"
        " ORDER BY fp <%%> morganbv_fp({mol}) LIMIT %(n)s"
    ),
}
PARSE_FUNCTION = "mol_from_smiles(%(q)s::cstring)"
PARSE_CAST = "%(q)s::mol"


def read_queries(path):
    """(text, id) per data line of a query file; '#' lines skipped."""
    queries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            queries.append((fields[0], fields[1]))
    return queries


def digest(ids):
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def percentile(values, p):
    """Nearest rank, as engine_bench.cpp computes it."""
    ordered = sorted(values)
    return ordered[int(p * (len(ordered) - 1) + 0.5)]


def check_settings(cur):
    # The rdkit.* settings exist once the session has loaded the extension's library.
    cur.execute("SELECT rdkit_version(), rdkit_toolkit_version()")
    print("rdkit cartridge %s, toolkit %s" % cur.fetchone())
    cur.execute("SET rdkit.morgan_fp_size = 2048")
    cur.execute(f"SET statement_timeout = '{TIMEOUT_S}s'")
    cur.execute("SHOW rdkit.do_chiral_sss")
    chiral = cur.fetchone()[0]
    cur.execute("SELECT size(morganbv_fp('c1ccccc1'::mol))")
    bits = cur.fetchone()[0]
    # Radius 2 is the default of morganbv_fp(mol, int default 2): compare with an explicit 2.
    cur.execute(
        "SELECT bfp_to_binary_text(morganbv_fp('c1ccccc1CCN'::mol))"
        " = bfp_to_binary_text(morganbv_fp('c1ccccc1CCN'::mol, 2))"
    )
    radius_two = cur.fetchone()[0]
    print(f"rdkit.do_chiral_sss = {chiral}, morganbv_fp bits = {bits}, default radius 2: "
          f"{radius_two}, statement_timeout = {TIMEOUT_S} s")
    if chiral != "off" or bits != 2048 or not radius_two:
        sys.exit("unexpected cartridge settings")


def check_parsing(cur, name, queries, kind):
    """Indices of the queries that the ::mol cast parses differently from RDKit; exits if the
    parse the benchmark uses (mol_from_smiles, or the qmol cast for SMARTS) differs on any."""
    cast_differs, function_differs = [], []
    for index, (text, query_id) in enumerate(queries):
        if kind == "smarts":
            cur.execute("SELECT mol_to_smarts(%s::qmol)", (text,))
            if cur.fetchone()[0] != Chem.MolToSmarts(Chem.MolFromSmarts(text)):
                function_differs.append(query_id)
            continue
        rdkit = Chem.MolToSmiles(Chem.MolFromSmiles(text))
        cur.execute("SELECT mol_to_pkl(mol_from_smiles(%s::cstring)), mol_to_pkl(%s::mol)",
                    (text, text))
        function, cast = (Chem.MolToSmiles(Chem.Mol(bytes(p))) for p in cur.fetchone())
        if function != rdkit:
            function_differs.append(query_id)
        if cast != rdkit:
            cast_differs.append(index)
    parse = "'SMARTS'::qmol" if kind == "smarts" else "mol_from_smiles"
    cast = "" if kind == "smarts" else f"; the ::mol cast differs on {len(cast_differs)}"
    print(f"{name}: {parse} parses {len(queries) - len(function_differs)} of {len(queries)} "
          f"queries as RDKit does{cast}")
    if function_differs:
        sys.exit(f"{name}: the cartridge parses differently from RDKit: {function_differs}")
    return cast_differs


def nearest(cur, sql, params, k=10):
    """Ids of the first k rows of a KNN scan by (distance, id), asking for more rows while the
    last one is as near as the k-th (a tie across the limit)."""
    limit = k + 1
    while True:
        cur.execute(sql, {**params, "n": limit})
        rows = cur.fetchall()
        if len(rows) < limit or rows[-1][1] > rows[k - 1][1]:
            break
        limit *= 4
    rows.sort(key=lambda row: (row[1], row[0]))
    return [row[0] for row in rows[:k]]


def run_query(cur, kind, sql, params):
    """(hit ids or None on timeout, milliseconds)."""
    start = time.perf_counter()
    try:
        if kind == "knn":
            ids = nearest(cur, sql, params)
        else:
            cur.execute(sql, params)
            ids = [row[0] for row in cur.fetchall()]
    except psycopg2.errors.QueryCanceled:
        ids = None
    return ids, (time.perf_counter() - start) * 1000


def explain(cur, sql, params):
    cur.execute("EXPLAIN " + sql, params)
    return "\n".join("    " + row[0] for row in cur.fetchall())


def set_threshold(cur, name):
    """The Tanimoto threshold of a threshold set (also set as rdkit.tanimoto_threshold)."""
    if SETS[name][1] != "threshold":
        return None
    threshold = float(name.split("-")[1])
    cur.execute(f"SET rdkit.tanimoto_threshold = {threshold}")
    return threshold


def run_set(cur, name, kind, sql, queries, out):
    """Runs and writes every query of a set; returns {query_id: (hits, digest)} and the times."""
    threshold = set_threshold(cur, name)
    results, times = {}, []
    for text, query_id in queries:
        ids, ms = run_query(cur, kind, sql, {"q": text, "t": threshold})
        times.append(ms)
        results[query_id] = ("", "timeout") if ids is None else (len(ids), digest(ids))
        hits, hit_digest = results[query_id]
        out.write(f"{name},{query_id},{hits},{ms:.3f},{hit_digest}\n")
    out.flush()
    return results, times


def summary(name, results, times):
    hits = sum(h for h, _ in results.values() if h != "")
    timeouts = sum(1 for _, d in results.values() if d == "timeout")
    return (f"| {name} | {len(times)} | {hits} | {percentile(times, 0.5):.2f} "
            f"| {percentile(times, 0.95):.2f} | {max(times):.1f} | {sum(times) / 1000:.2f} "
            f"| {timeouts} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True, help="socket directory of the cluster")
    parser.add_argument("--dbname", default="bench")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--data", required=True, help="directory holding queries/")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--cast-csv", help="hits of the ::mol cast where it parses otherwise")
    parser.add_argument("--knn-csv", help="top 10 by the <%%> KNN index scan")
    parser.add_argument("--sets", default=",".join(SETS))
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(args.csv))
    args.cast_csv = args.cast_csv or os.path.join(here, "cartridge_cast_hits.csv")
    args.knn_csv = args.knn_csv or os.path.join(here, "cartridge_knn_hits.csv")
    wanted = args.sets.split(",")
    unknown = [s for s in wanted if s not in SETS]
    if unknown:
        sys.exit(f"unknown sets: {unknown}")

    RDLogger.DisableLog("rdApp.*")
    conn = psycopg2.connect(host=args.host, dbname=args.dbname, user=args.user)
    conn.autocommit = True
    cur = conn.cursor()
    check_settings(cur)

    queries, cast_differs = {}, {}
    for name in wanted:
        filename, kind = SETS[name]
        queries[name] = read_queries(f"{args.data}/queries/{filename}")
        cast_differs[name] = check_parsing(cur, name, queries[name], kind)

    header = "set,query_id,hits,ms,digest\n"
    results, plans = {}, []
    with open(args.csv, "w", encoding="utf-8") as out:
        out.write(header)
        print("\n| set | queries | hits | median ms | p95 ms | max ms | total s | timeouts |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name in wanted:
            kind = SETS[name][1]
            sql = SQL[kind].format(mol=PARSE_FUNCTION)
            threshold = set_threshold(cur, name)
            plans.append(f"{name}:\n" + explain(cur, sql, {"q": queries[name][0][0],
                                                            "t": threshold}))
            for text, _ in queries[name][:WARMUP]:
                run_query(cur, kind, sql, {"q": text, "t": threshold})
            results[name], times = run_set(cur, name, kind, sql, queries[name], out)
            print(summary(name, results[name], times), flush=True)

    # Side measurements, after the timed pass.
    changed = 0
    with open(args.cast_csv, "w", encoding="utf-8") as out:
        out.write("set,query_id,hits_cast,digest_cast,hits,digest\n")
        for name in wanted:
            kind = SETS[name][1]
            sql = SQL[kind].format(mol=PARSE_CAST)
            threshold = set_threshold(cur, name)
            for index in cast_differs[name]:
                text, query_id = queries[name][index]
                ids, _ = run_query(cur, kind, sql, {"q": text, "t": threshold})
                cast = ("", "timeout") if ids is None else (len(ids), digest(ids))
                hits, hit_digest = results[name][query_id]
                changed += cast[1] != hit_digest
                out.write(f"{name},{query_id},{cast[0]},{cast[1]},{hits},{hit_digest}\n")
    total = sum(len(v) for v in cast_differs.values())
    print(f"\nThe ::mol cast parses {total} queries otherwise; with it, {changed} of them return "
          f"other hits ({args.cast_csv}).")
    if "similarity-top10" in wanted:
        name = "similarity-top10"
        sql = SQL["knn"].format(mol=PARSE_FUNCTION)
        plans.append("similarity-top10 by KNN (side measurement):\n"
                     + explain(cur, sql, {"q": queries[name][0][0], "n": 11}))
        with open(args.knn_csv, "w", encoding="utf-8") as out:
            out.write(header)
            knn, times = run_set(cur, name, "knn", sql, queries[name], out)
        wrong = sum(1 for query_id, result in knn.items() if result != results[name][query_id])
        print(f"KNN (ORDER BY fp <%> q LIMIT 10): {wrong} of {len(knn)} top-10 sets differ from "
              f"the full scan's ({args.knn_csv}); median {percentile(times, 0.5):.2f} ms, "
              f"total {sum(times) / 1000:.2f} s")
    print("\nPlans (first query of each set):")
    print("\n".join(plans))


if __name__ == "__main__":
    main()
