"""Compares our engine's and the RDKit cartridge's per-query results and times.

    /usr/bin/python3 bench/search/compare.py [bench/search/engine_hits.csv \
        bench/search/cartridge_hits.csv]

Both files hold set,query_id,hits,ms,digest (engine_bench.cpp, cartridge_queries.py). Queries are
paired by set, query id and occurrence (a query file may list the same id twice). Prints a
Markdown table with one row per set: hits and times (median, p95 as engine_bench.cpp computes it,
max, total) for both sides, the cartridge/ours ratios of total and p95 time, how many queries
ours answered more than 1 ms slower than the cartridge, and how many disagree; then every query
whose hit count or digest differs, or that timed out on the cartridge.
"""

import csv
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
SLOWER_MS = 1.0


def read(path):
    """{set: [(query_id, occurrence), ...] in file order}, {(set, id, occurrence): row}."""
    order, rows = {}, {}
    seen = Counter()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["set"], row["query_id"])
            seen[key] += 1
            full = (row["set"], row["query_id"], seen[key])
            order.setdefault(row["set"], []).append(full)
            rows[full] = row
    return order, rows


def percentile(values, p):
    ordered = sorted(values)
    return ordered[int(p * (len(ordered) - 1) + 0.5)]


def hits(row):
    return None if row["hits"] == "" else int(row["hits"])


def main():
    ours_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "engine_hits.csv")
    theirs_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "cartridge_hits.csv")
    ours_order, ours = read(ours_path)
    theirs_order, theirs = read(theirs_path)

    print("| set | queries | hits ours | hits cartridge | median ms ours / cartridge "
          "| p95 ms ours / cartridge | max ms ours / cartridge | total s ours / cartridge "
          "| total ratio | p95 ratio | ours > 1 ms slower | differ |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    differences = []
    for name, keys in ours_order.items():
        if name not in theirs_order:
            continue
        if keys != theirs_order[name]:
            sys.exit(f"{name}: the two files list different queries")
        a = [float(ours[k]["ms"]) for k in keys]
        b = [float(theirs[k]["ms"]) for k in keys]
        hits_a = sum(hits(ours[k]) for k in keys)
        hits_b = sum(hits(theirs[k]) or 0 for k in keys)
        slower = sum(1 for x, y in zip(a, b) if x > y + SLOWER_MS)
        differ = 0
        for k in keys:
            mine, other = ours[k], theirs[k]
            if mine["hits"] != other["hits"] or mine.get("digest") != other.get("digest"):
                differ += 1
                differences.append((k, mine, other))
        timeouts = sum(1 for k in keys if theirs[k].get("digest") == "timeout")
        note = f" ({timeouts} timeouts)" if timeouts else ""
        print(f"| {name} | {len(keys)} | {hits_a} | {hits_b}{note} "
              f"| {percentile(a, 0.5):.2f} / {percentile(b, 0.5):.2f} "
              f"| {percentile(a, 0.95):.2f} / {percentile(b, 0.95):.2f} "
              f"| {max(a):.1f} / {max(b):.1f} "
              f"| {sum(a) / 1000:.2f} / {sum(b) / 1000:.2f} "
              f"| {sum(b) / sum(a):.1f} | {percentile(b, 0.95) / percentile(a, 0.95):.1f} "
              f"| {slower} | {differ} |")
    missing = [name for name in ours_order if name not in theirs_order]
    if missing:
        print(f"\nNot in the cartridge file: {', '.join(missing)}")

    print()
    if not differences:
        print("Every query has the same hit count and the same hit-set digest on both sides.")
        return
    print("Queries whose hits differ (or that timed out on the cartridge):\n")
    print("| set | query | hits ours | hits cartridge | digest ours | digest cartridge |")
    print("|---|---|---:|---:|---|---|")
    for (name, query_id, occurrence), mine, other in differences:
        label = query_id if occurrence == 1 else f"{query_id} (#{occurrence})"
        print(f"| {name} | {label} | {mine['hits']} | {other['hits'] or '-'} "
              f"| {mine.get('digest', '')} | {other.get('digest', '')} |")


if __name__ == "__main__":
    main()
