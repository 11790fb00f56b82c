"""Client side of bench/search/api.sh: runs the query sets of shared/data/queries through
POST /api/v1/search and writes one CSV line per query (set,query_id,hits,ms), the same
columns as engine_hits.csv and cartridge_hits.csv. `hits` is the answer's `total` (every hit;
the answer must be complete), `ms` the client-side time of the request for the first page
(limit 50) over one keep-alive connection. Standard library only.

Usage: api_queries.py BASE_URL TOKEN DATA_DIR OUT_CSV [SET ...]
Sets: leads frags fragqueries rlewis similarity-0.7 similarity-0.5 similarity-top10 (all by
default). Substructure sets are read as SMILES except rlewis (SMARTS); chirality off.
"""

import csv
import http.client
import json
import statistics
import sys
import time
import urllib.parse

MAX_TIME_MS = 60000

SETS = {
    "leads": ("zinc_leads_500.smi", {"type": "substructure"}),
    "frags": ("zinc_frags_500.smi", {"type": "substructure"}),
    "fragqueries": ("fragqueries.smi", {"type": "substructure"}),
    "rlewis": ("smarts_rlewis.txt", {"type": "substructure", "query_format": "smarts"}),
    "similarity-0.7": ("similarity_500.smi", {"type": "similarity", "threshold": 0.7}),
    "similarity-0.5": ("similarity_500.smi", {"type": "similarity", "threshold": 0.5}),
    "similarity-top10": ("similarity_500.smi", {"type": "similarity", "top_k": 10}),
}


def queries(path):
    """(id, text) of a query file: TAB-separated, '#' lines are comments."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            yield fields[1], fields[0]


def main():
    base, token, data_dir, out_path = sys.argv[1:5]
    wanted = sys.argv[5:] or list(SETS)
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with open(out_path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["set", "query_id", "hits", "ms"])
        for name in wanted:
            file_name, fields = SETS[name]
            times = []
            hits = 0
            for query_id, text in queries(f"{data_dir}/queries/{file_name}"):
                body = json.dumps({**fields, "query": text, "max_time_ms": MAX_TIME_MS})
                start = time.perf_counter()
                connection.request("POST", "/api/v1/search", body, headers)
                response = connection.getresponse()
                answer = response.read()
                elapsed = (time.perf_counter() - start) * 1000
                if response.status != 200:
                    sys.exit(f"bench: {name} {query_id}: {response.status} {answer[:300]!r}")
                result = json.loads(answer)
                if not result["complete"]:
                    sys.exit(f"bench: {name} {query_id}: incomplete after {MAX_TIME_MS} ms")
                writer.writerow([name, query_id, result["total"], f"{elapsed:.3f}"])
                times.append(elapsed)
                hits += result["total"]
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(
                f"bench: {name}: {len(times)} queries, {hits} hits, median "
                f"{statistics.median(times):.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.1f} ms, "
                f"total {sum(times) / 1000:.2f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
