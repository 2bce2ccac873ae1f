#!/usr/bin/env python3
"""make bench: throughput through nginx on this machine, measured with wrk, and live readers.

Starts its own stack under var/bench (rate limits off), then measures
  1. appends/s: WRITERS concurrent connections appending to one stream,
  2. reads/s: CONNECTIONS concurrent connections reading one record by index,
  3. live readers (SPEC §11): SUBSCRIBERS event streams on one stream; records appended to it
     PUBLISH_RATE a second reach every reader, latency from the append's request to each
     arrival; first quiet, then while 1 and 2 run again beside them,
and checks the chains written under load with `webpodsctl verify`. Fails when a live figure
misses the issue 15 bar: p99 under 100 ms, reads and appends at >= 80% of their rate without
readers, every record at every reader once and in order. Variables: SECONDS_EACH, WRITERS,
CONNECTIONS, WORKERS, THREADS, SUBSCRIBERS, PUBLISH_RATE, ROUNDS."""

import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "stack"))
sys.path.insert(0, HERE)
import sse_load  # noqa: E402
import stack as stack_module  # noqa: E402

SECONDS_EACH = int(os.environ.get("SECONDS_EACH", "10"))
WRITERS = int(os.environ.get("WRITERS", "8"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "32"))
WORKERS = int(os.environ.get("WORKERS", "2"))
THREADS = int(os.environ.get("THREADS", "16"))
SUBSCRIBERS = int(os.environ.get("SUBSCRIBERS", "1000"))
PUBLISH_RATE = float(os.environ.get("PUBLISH_RATE", "5"))
ROUNDS = int(os.environ.get("ROUNDS", "2"))
QUIET_RECORDS = 50
LATENCY_BAR_MS = 100.0
THROUGHPUT_BAR = 0.8


def wrk(url, host, connections, script=None, headers=()):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{SECONDS_EACH}s", "--latency",
               "-H", f"Host: {host}"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+(\S+)", output).group(1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, p99, int(non_2xx.group(1)) if non_2xx else 0


class Publisher:
    """Appends to the live stream at `rate` records a second on one keep-alive connection and
    remembers when each record's request left, by the index its answer gave."""

    def __init__(self, port, host, token, rate):
        self.port, self.host, self.token, self.rate = port, host, token, rate
        self.sent = {}
        self.answered = {}  # index: when its 201 came
        self.stopping = threading.Event()
        self.thread = None

    def publish(self, count):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        period = 1.0 / self.rate
        next_at = time.monotonic()
        published = 0
        while published < count and not self.stopping.is_set():
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += period
            left = time.monotonic()
            connection.request("POST", "/live", body=f"live record {published}",
                               headers={"Host": self.host, "Content-Type": "text/plain",
                                        "Authorization": f"Bearer {self.token}"})
            answer = connection.getresponse()
            body = answer.read()
            if answer.status != 201:
                raise RuntimeError(f"live append: {answer.status} {body[:200]!r}")
            index = int(re.search(rb'"index":(\d+)', body).group(1))
            self.sent[index] = left
            self.answered[index] = time.monotonic()
            published += 1
        connection.close()

    def start(self):
        self.thread = threading.Thread(target=self.publish, args=(10 ** 9,))
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join()


def deliveries(results, sent, first_index):
    """Latencies in ms of every (reader, record) pair of `sent`, and whether every reader got
    every record from first_index on exactly once and in order."""
    latencies = []
    complete = True
    for arrivals in results:
        indices = [index for index, _ in arrivals]
        if indices != list(range(first_index, first_index + len(indices))) or \
                not set(sent) <= set(indices):
            complete = False
        latencies += [(at - sent[index]) * 1000 for index, at in arrivals if index in sent]
    return latencies, complete


def live_line(label, latencies, complete, readers, records):
    return (f"{label}: {readers} readers x {records} records = {len(latencies)} deliveries, "
            f"p50 {sse_load.percentile(latencies, 0.5):.1f} ms, "
            f"p99 {sse_load.percentile(latencies, 0.99):.1f} ms, "
            f"max {max(latencies, default=float('nan')):.1f} ms, "
            f"{'all once, in order' if complete else 'INCOMPLETE'}")


def main():
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk (apt-get install wrk)")
    var = os.path.join(stack_module.REPO, "var", "bench")
    shutil.rmtree(var, ignore_errors=True)
    stack = stack_module.Stack(var, http_port=stack_module.free_port(),
                               https_port=stack_module.free_port(),
                               config_overrides={"workers": WORKERS, "threadsPerWorker": THREADS,
                                                 "rateLimits": {"enabled": False}},
                               request_rate="10000000r/s")
    stack.start()
    failures = []
    try:
        host = f"bench.{stack_module.DOMAIN}"
        url = f"http://127.0.0.1:{stack.http_port}"
        token = stack.token("auth:bench:writer", pod="bench")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write('wrk.method = "POST"\nwrk.body = "benchmark record payload"\n'
                         'wrk.headers["Content-Type"] = "text/plain"\n')
        for stream in ("log", "live"):
            subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"Host: {host}", "-H",
                            f"Authorization: Bearer {token}", "-d", "first",
                            f"{url}/{stream}"], check=True)

        def load():
            appends = wrk(f"{url}/log", host, WRITERS, script.name,
                          [f"Authorization: Bearer {token}"])
            reads = wrk(f"{url}/log?i=0", host, CONNECTIONS)
            return appends, reads

        # Rounds alternate without and with readers, so that a machine whose load drifts
        # (other work beside the bench) weighs on both sides alike.
        without, beside, quiet, busy, statuses = [], [], [], [], []
        quiet_complete = busy_complete = True
        readers_seen = 0
        quiet_count = busy_count = 0
        for _ in range(ROUNDS):
            without.append(load())
            readers = sse_load.Subscribers(stack.http_port, host, "/live", SUBSCRIBERS)
            statuses = readers.start()
            publisher = Publisher(stack.http_port, host, token, 10.0)
            publisher.publish(QUIET_RECORDS)
            loaded = Publisher(stack.http_port, host, token, PUBLISH_RATE)
            loaded.start()
            beside.append(load())
            loaded.stop()
            time.sleep(1.0)
            results = readers.stop()
            first_index = min(publisher.sent)
            latencies, complete = deliveries(results, publisher.sent, first_index)
            quiet += latencies
            quiet_complete = quiet_complete and complete
            latencies, complete = deliveries(results, loaded.sent, first_index)
            busy += latencies
            busy_complete = busy_complete and complete and statuses.count(200) == SUBSCRIBERS
            readers_seen = len(results)
            quiet_count += len(publisher.sent)
            busy_count += len(loaded.sent)

        def mean(runs, which, field):
            return sum(run[which][field] for run in runs) / len(runs)

        append_rate, read_rate = mean(without, 0, 0), mean(without, 1, 0)
        live_append_rate, live_read_rate = mean(beside, 0, 0), mean(beside, 1, 0)
        append_p99, read_p99 = without[-1][0][1], without[-1][1][1]
        live_append_p99, live_read_p99 = beside[-1][0][1], beside[-1][1][1]
        errors = sum(run[which][2] for run in without + beside for which in (0, 1))
        verify = [stack.ctl("verify", "bench", stream, check=False) for stream in ("log", "live")]
        os.unlink(script.name)

        print(f"machine: {os.cpu_count()} cores; workers={WORKERS} x threads={THREADS}; "
              f"{SECONDS_EACH}s per run through nginx (http, loopback); {ROUNDS} rounds, "
              f"each without then with live readers; rates are the rounds' means")
        print(f"appends/s (1 stream, {WRITERS} writers): {append_rate:9.0f}   p99 {append_p99}")
        print(f"reads/s   (by index, {CONNECTIONS} conns):  {read_rate:9.0f}   p99 {read_p99}")
        print(f"live readers: {SUBSCRIBERS} event streams on one stream "
              f"(last round: {statuses.count(200)} answered 200)")
        print(live_line("  quiet, 10 records/s", quiet, quiet_complete, readers_seen,
                        quiet_count))
        print(live_line(f"  beside the load, {PUBLISH_RATE:g} records/s", busy, busy_complete,
                        readers_seen, busy_count))
        print(f"  appends/s beside them: {live_append_rate:9.0f}   p99 {live_append_p99}   "
              f"{live_append_rate / append_rate:.0%} of the rate without readers")
        print(f"  reads/s beside them:   {live_read_rate:9.0f}   p99 {live_read_p99}   "
              f"{live_read_rate / read_rate:.0%} of the rate without readers")
        print(f"non-2xx answers: {errors}")
        for stream, result in zip(("log", "live"), verify):
            print(f"chain of {stream} after load: {result.stdout.strip()}")

        if any(result.returncode != 0 for result in verify) or errors:
            failures.append("a chain does not verify, or requests failed")
        if not (quiet_complete and busy_complete):
            failures.append("a live reader missed, repeated or reordered a record")
        for label, latencies in (("quiet", quiet), ("beside the load", busy)):
            if sse_load.percentile(latencies, 0.99) >= LATENCY_BAR_MS:
                failures.append(f"live p99 {label} is not under {LATENCY_BAR_MS:g} ms")
        if live_append_rate < THROUGHPUT_BAR * append_rate:
            failures.append("appends beside live readers below 80%")
        if live_read_rate < THROUGHPUT_BAR * read_rate:
            failures.append("reads beside live readers below 80%")
    finally:
        stack.stop()
    if failures:
        sys.exit("bench: " + "; ".join(failures))


if __name__ == "__main__":
    main()
