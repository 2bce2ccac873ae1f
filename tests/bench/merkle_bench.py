#!/usr/bin/env python3
"""make bench-merkle: what the Merkle tree of SPEC §12 costs, on this machine.

Starts its own stack under var/bench-merkle (rate limits off), then
  1. appends/s through nginx (wrk, WRITERS connections, one stream each run), alternately with
     the tree and with the same build's append_record() redefined without its tree steps (no
     node hashes, no frontier update), ROUNDS times each;
  2. the same inside PostgreSQL alone: N appends by append_record() in a DO block (a commit
     every 100), with and without the tree, so HTTP noise does not hide the difference;
  3. RECORDS appends (default 1000000) to one stream, by append_record() in SQL, then the
     latency of inclusion proofs at random indices, consistency proofs and checkpoints on it
     (wrk, one connection).
Variables: SECONDS_EACH, ROUNDS, WRITERS, N, RECORDS, WORKERS, THREADS."""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "stack"))
import stack as stack_module  # noqa: E402

SECONDS_EACH = int(os.environ.get("SECONDS_EACH", "8"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
WRITERS = int(os.environ.get("WRITERS", "8"))
N = int(os.environ.get("N", "20000"))
RECORDS = int(os.environ.get("RECORDS", "1000000"))
WORKERS = int(os.environ.get("WORKERS", "2"))
THREADS = int(os.environ.get("THREADS", "16"))

# The tree steps of append_record() (sql/migrations/0005_append.sql) and what stands in for
# them in the comparison build: an empty node list and the frontier left as it is.
TREE_STEP = ("step := merkle_append(head.merkle_frontier, head.record_count, "
             "merkle_leaf(new_hash));")
NO_TREE_STEP = "SELECT '{}'::bytea[] AS nodes, head.merkle_frontier AS next_frontier INTO step;"
FRONTIER_UPDATE = "merkle_frontier = step.next_frontier"
NO_FRONTIER_UPDATE = "merkle_frontier = merkle_frontier"

APPEND_LOOP = """
DO $$
DECLARE
    target bigint := {stream_id};
BEGIN
    FOR n IN 1..{count} LOOP
        PERFORM append_record(target,
            to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            convert_to('record ' || n, 'UTF8'), 'text/plain', '', 'auth:bench:writer',
            encode(sha256(convert_to('record ' || n, 'UTF8')), 'hex'), NULL, NULL, NULL);
        -- Each append moves the stream row; in one long transaction its dead versions pile up
        -- and every append walks them all.
        IF n % 100 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END
$$;
"""


def wrk(url, host, connections, script=None, headers=()):
    command = ["wrk", "-t1" if connections == 1 else "-t2", f"-c{connections}",
               f"-d{SECONDS_EACH}s", "--latency", "-H", f"Host: {host}"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        sys.exit(f"wrk saw {non_2xx.group(1)} non-2xx answers:\n{output}")
    return {"rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50": re.search(r"50%\s+(\S+)", output).group(1),
            "p99": re.search(r"99%\s+(\S+)", output).group(1),
            "max": re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output).group(1)}


def lua(text):
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(text)
    script.close()
    return script.name


class Bench:
    def __init__(self, stack):
        self.stack = stack
        self.host = f"bench.{stack_module.DOMAIN}"
        self.url = f"http://127.0.0.1:{stack.http_port}"
        self.token = stack.token("auth:bench:writer", pod="bench")
        self.tree_function = self.sql(
            "SELECT pg_get_functiondef('append_record'::regproc)").rstrip("\n")
        for step in (TREE_STEP, FRONTIER_UPDATE):
            if self.tree_function.count(step) != 1:
                sys.exit(f"append_record() no longer has the tree step {step!r}: update "
                         f"tests/bench/merkle_bench.py")
        self.no_tree_function = self.tree_function.replace(TREE_STEP, NO_TREE_STEP).replace(
            FRONTIER_UPDATE, NO_FRONTIER_UPDATE)
        self.post = lua('wrk.method = "POST"\nwrk.body = "benchmark record payload"\n'
                        'wrk.headers["Content-Type"] = "text/plain"\n')

    def sql(self, text):
        return self.stack.psql(text, database="webpods")

    def use_tree(self, on):
        self.sql(self.tree_function if on else self.no_tree_function)

    def create_stream(self, name):
        subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"Host: {self.host}", "-H",
                        f"Authorization: Bearer {self.token}", "-d", "first",
                        f"{self.url}/{name}"], check=True)
        return int(self.sql(f"SELECT s.id FROM stream s JOIN pod p ON p.id = s.pod_id "
                            f"WHERE p.name = 'bench' AND s.name = '{name}'"))

    def http_appends(self, name):
        self.create_stream(name)
        return wrk(f"{self.url}/{name}", self.host, WRITERS, self.post,
                   [f"Authorization: Bearer {self.token}"])["rate"]

    def sql_appends(self, name, count):
        stream_id = self.create_stream(name)
        started = time.monotonic()
        self.sql(APPEND_LOOP.format(stream_id=stream_id, count=count))
        return time.monotonic() - started

    def verify(self, name):
        result = self.stack.ctl("verify", "bench", name, check=False)
        if result.returncode != 0:
            sys.exit(f"chain of {name} broken: {result.stdout}")


def main():
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk (apt-get install wrk)")
    var = os.path.join(stack_module.REPO, "var", "bench-merkle")
    shutil.rmtree(var, ignore_errors=True)
    stack = stack_module.Stack(var, http_port=stack_module.free_port(),
                               https_port=stack_module.free_port(),
                               config_overrides={"workers": WORKERS, "threadsPerWorker": THREADS,
                                                 "rateLimits": {"enabled": False}})
    stack.start()
    try:
        bench = Bench(stack)
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
              f"workers={WORKERS} x threads={THREADS}", flush=True)

        rates = {True: [], False: []}
        for round_number in range(ROUNDS):
            for tree in (True, False):
                bench.use_tree(tree)
                rates[tree].append(bench.http_appends(f"http-{round_number}-{int(tree)}"))
        bench.use_tree(True)
        with_tree, without = statistics.median(rates[True]), statistics.median(rates[False])
        print(f"appends/s through nginx, {WRITERS} writers, {SECONDS_EACH}s x {ROUNDS}: "
              f"with tree {with_tree:.0f} {sorted(round(r) for r in rates[True])}, "
              f"without {without:.0f} {sorted(round(r) for r in rates[False])}: "
              f"{100 * (1 - with_tree / without):+.1f}% slower with the tree", flush=True)

        times = {True: [], False: []}
        for round_number in range(ROUNDS):
            for tree in (True, False):
                bench.use_tree(tree)
                times[tree].append(bench.sql_appends(f"sql-{round_number}-{int(tree)}", N))
        bench.use_tree(True)
        with_tree, without = statistics.median(times[True]), statistics.median(times[False])
        print(f"{N} appends in PostgreSQL alone: with tree {1e6 * with_tree / N:.1f} us each, "
              f"without {1e6 * without / N:.1f} us each: "
              f"{100 * (with_tree / without - 1):+.1f}% with the tree", flush=True)
        bench.verify("sql-0-1")

        started = time.monotonic()
        stream_id = bench.create_stream("million")
        bench.sql(APPEND_LOOP.format(stream_id=stream_id, count=RECORDS - 1))
        print(f"{RECORDS} records appended in {time.monotonic() - started:.0f}s", flush=True)
        sizes = bench.sql(f"SELECT round(avg(pg_column_size(merkle_nodes)), 1), "
                          f"(SELECT pg_column_size(merkle_frontier) FROM stream "
                          f"WHERE id = {stream_id}) FROM record WHERE stream_id = {stream_id}")
        nodes_bytes, frontier_bytes = sizes.strip().split("|")
        print(f"storage: merkle_nodes {nodes_bytes} bytes a record on average, frontier "
              f"{frontier_bytes} bytes", flush=True)
        inclusion = lua(f"math.randomseed(7)\nrequest = function()\n"
                        f"  return wrk.format(nil, '/million?proof=inclusion&i=' .. "
                        f"math.random(0, {RECORDS - 1}) .. '&size={RECORDS}')\nend\n")
        consistency = lua(f"math.randomseed(11)\nrequest = function()\n"
                          f"  return wrk.format(nil, '/million?proof=consistency&from=' .. "
                          f"math.random(1, {RECORDS}) .. '&size={RECORDS}')\nend\n")
        for what, target, script in [("inclusion proof", "/million", inclusion),
                                     ("consistency proof", "/million", consistency),
                                     ("checkpoint", "/million?checkpoint", None),
                                     ("one record by index", f"/million?i={RECORDS // 2}",
                                      None)]:
            result = wrk(f"{bench.url}{target}", bench.host, 1, script)
            print(f"{what} on {RECORDS} records, 1 connection: p50 {result['p50']}, "
                  f"p99 {result['p99']}, max {result['max']} ({result['rate']:.0f}/s)",
                  flush=True)
        for script in (bench.post, inclusion, consistency):
            os.unlink(script)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
