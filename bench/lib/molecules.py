"""Client side of bench/molecules.sh: the scenarios wrk cannot drive (sequential adds, bulk
requests in fresh projects, file imports and exports, preparing lookup queries). Standard
library only; one keep-alive HTTP/1.1 connection per command, so each figure is the server's
time plus loopback, not connection setup.

Every command prints one line starting "bench: " with its figures (and a few progress lines);
failures (a non-2xx answer, rows that were not created) exit non-zero with the answer.

Usage: molecules.py COMMAND BASE_URL TOKEN ARGS...
  project   NAME                          creates a project, prints its id
  add       SMILES_FILE COUNT             COUNT sequential POST .../molecules into a fresh project
  bulk      SMILES_FILE SIZE REQUESTS     REQUESTS POST .../molecules:bulk of SIZE rows, each
                                          into a fresh project, rows taken in file order
  import    PROJECT FILE CONTENT_TYPE LABEL   POST .../molecules:import of FILE
  export    PROJECT FORMAT OUT            GET .../molecules:export?format=FORMAT into OUT
  queries   PRESENT ABSENT COUNT OUT      probes lookup?smiles= for up to COUNT/2 SMILES of each
                                          file (sequentially: an unloaded latency figure), keeps
                                          those answered 200 and writes their request paths to
                                          OUT, present and absent interleaved, for bench/lua
SMILES files are "SMILES<TAB>NAME" lines.
"""

import http.client
import json
import statistics
import sys
import time
import urllib.parse


class Client:
    def __init__(self, base, token):
        url = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
        self.token = token

    def request(self, method, path, body=None, content_type="application/json"):
        """Returns (status, body bytes, seconds)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        start = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - start

    def ok(self, method, path, body=None, content_type="application/json"):
        status, data, seconds = self.request(method, path, body, content_type)
        if not 200 <= status < 300:
            sys.exit(f"bench: {method} {path} answered {status}: {data[:2000]!r}")
        return data, seconds

    def project(self, name):
        data, _ = self.ok("POST", "/api/v1/projects", {"name": name})
        return json.loads(data)["id"]


def read_smiles(path):
    rows = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            fields = line.rstrip("\n").split("\t")
            if fields[0]:
                rows.append((fields[0], fields[1] if len(fields) > 1 else ""))
    return rows


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def command_project(client, name):
    print(client.project(name))


def command_add(client, smiles_file, count):
    rows = read_smiles(smiles_file)[: int(count)]
    project = client.project("bench add sequential")
    times = []
    start = time.perf_counter()
    for smiles, name in rows:
        _, seconds = client.ok(
            "POST", f"/api/v1/projects/{project}/molecules", {"smiles": smiles, "name": name}
        )
        times.append(seconds)
    wall = time.perf_counter() - start
    print(
        f"bench: single add, sequential, {len(times)} requests: {len(times) / wall:.0f} adds/s,"
        f" p50 {ms(percentile(times, 0.5))}, p99 {ms(percentile(times, 0.99))},"
        f" max {ms(max(times))}"
    )


def command_bulk(client, smiles_file, size, requests):
    size, requests = int(size), int(requests)
    rows = read_smiles(smiles_file)
    if len(rows) < size * requests:
        sys.exit(f"bench: {smiles_file} has {len(rows)} rows, {size * requests} needed")
    times = []
    for i in range(requests):
        project = client.project(f"bench bulk {size} #{i + 1}")
        batch = [{"smiles": s, "name": n} for s, n in rows[i * size : (i + 1) * size]]
        data, seconds = client.ok(
            "POST", f"/api/v1/projects/{project}/molecules:bulk", {"molecules": batch}
        )
        report = json.loads(data)
        if report["created"] != size:
            sys.exit(f"bench: bulk created {report['created']} of {size}: {data[:2000]!r}")
        times.append(seconds)
    median = statistics.median(times)
    print(
        f"bench: bulk {size}, {requests} requests (fresh project each): median {ms(median)},"
        f" p95 {ms(percentile(times, 0.95))}, min {ms(min(times))}, max {ms(max(times))},"
        f" {size / median:.0f} molecules/s at the median"
    )


def command_import(client, project, path, content_type, label):
    with open(path, "rb") as file:
        body = file.read()
    data, seconds = client.ok(
        "POST", f"/api/v1/projects/{project}/molecules:import", body, content_type
    )
    report = json.loads(data)
    created, failed = report.get("created"), report.get("failed")
    if not report.get("complete") or not created:
        sys.exit(f"bench: import stopped: {data[:2000]!r}")
    print(
        f"bench: import {label}, {len(body) / 1e6:.1f} MB: {created} created, {failed} failed"
        f" in {seconds:.1f} s, {created / seconds:.0f} molecules/s"
    )


def command_export(client, project, file_format, out):
    data, seconds = client.ok(
        "GET", f"/api/v1/projects/{project}/molecules:export?format={file_format}"
    )
    with open(out, "wb") as file:
        file.write(data)
    print(f"bench: export {file_format}: {len(data) / 1e6:.1f} MB in {seconds:.1f} s")


def command_queries(client, present_file, absent_file, count, out):
    half = int(count) // 2
    groups = []
    times = []
    for label, path in (("present", present_file), ("absent", absent_file)):
        kept, hits, refused = [], 0, 0
        for smiles, _ in read_smiles(path)[:half]:
            query = "/api/v1/molecules/lookup?smiles=" + urllib.parse.quote(smiles, safe="")
            status, data, seconds = client.request("GET", query)
            if status != 200:
                refused += 1
                continue
            times.append(seconds)
            kept.append(query)
            hits += bool(json.loads(data)["items"])
        print(
            f"bench: lookup queries, {label}: {len(kept)} kept, {hits} found a molecule,"
            f" {refused} refused (not a readable SMILES)"
        )
        groups.append(kept)
    with open(out, "w", encoding="ascii") as file:
        for pair in zip(*groups):
            file.write("\n".join(pair) + "\n")
    print(
        f"bench: lookup, sequential (one connection), {len(times)} requests:"
        f" p50 {ms(percentile(times, 0.5))}, p99 {ms(percentile(times, 0.99))}"
    )


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    command, base, token, *args = sys.argv[1:]
    commands = {
        "project": command_project,
        "add": command_add,
        "bulk": command_bulk,
        "import": command_import,
        "export": command_export,
        "queries": command_queries,
    }
    if command not in commands:
        sys.exit(__doc__)
    commands[command](Client(base, token), *args)


if __name__ == "__main__":
    main()
