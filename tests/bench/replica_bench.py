#!/usr/bin/env python3
"""make bench, read replicas (SPEC §14): what one hot standby takes off the primary.

Starts a stack with one replica under var/bench-replicas (rate limits off), writes a stream of
100 records of 1 KiB, then measures with wrk, each with and without the replica (the workers
reloaded with SIGHUP on a config without it, the same data):
  1. lists of the 100 records: requests/s and the primary's CPU time per request (every process
     of its cluster: backends, WAL sender, background processes), goal: at most half with it;
  2. reads of a small record by index: requests/s, goal: at least 90% of those without it.
Variables: SECONDS_EACH, CONNECTIONS, WORKERS, THREADS."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "stack"))
import stack as stack_module  # noqa: E402

SECONDS_EACH = int(os.environ.get("SECONDS_EACH", "10"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
WORKERS = int(os.environ.get("WORKERS", "2"))
THREADS = int(os.environ.get("THREADS", "16"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def wrk(url, host):
    output = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS_EACH}s",
                             "-H", f"Host: {host}", url],
                            check=True, capture_output=True, text=True).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return requests, rate, int(non_2xx.group(1)) if non_2xx else 0


def cluster_cpu_seconds(data_dir):
    """CPU time of a cluster so far: its postmaster's own and that of the children it reaped,
    plus every child still running."""
    with open(os.path.join(data_dir, "postmaster.pid")) as pid_file:
        postmaster = int(pid_file.readline())
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[1] is ppid; utime, stime, cutime, cstime are fields 14-17 of stat(5).
        if int(entry) == postmaster:
            ticks += sum(int(value) for value in fields[11:15])
        elif int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


def reload_workers(stack, with_replicas, replicas_config):
    """Rewrites var/config.json with or without the replica and reloads the workers."""
    with open(stack.config_path) as source:
        config = json.load(source)
    if with_replicas:
        config["database"]["replicas"] = replicas_config
    else:
        config["database"].pop("replicas", None)
    with open(stack.config_path, "w") as target:
        json.dump(config, target, indent=2)
    os.kill(stack.processes["workers"].pid, signal.SIGHUP)
    time.sleep(3)  # the old workers drain, the new ones start


def measure(stack, url, host):
    before = cluster_cpu_seconds(stack.pg_data)
    requests, list_rate, list_errors = wrk(f"{url}/feed", host)
    cpu = cluster_cpu_seconds(stack.pg_data) - before
    _, index_rate, index_errors = wrk(f"{url}/feed?i=5", host)
    return {"list_rate": list_rate, "cpu_per_list": cpu / max(requests, 1),
            "index_rate": index_rate, "errors": list_errors + index_errors}


def main():
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk (apt-get install wrk)")
    var = os.path.join(stack_module.REPO, "var", "bench-replicas")
    shutil.rmtree(var, ignore_errors=True)
    stack = stack_module.Stack(var, http_port=stack_module.free_port(),
                               https_port=stack_module.free_port(),
                               config_overrides={"workers": WORKERS, "threadsPerWorker": THREADS,
                                                 "rateLimits": {"enabled": False}},
                               request_rate="10000000r/s", replicas=1)
    if stack.pg_outside_var():
        for root in stack.cluster_roots():
            shutil.rmtree(root, ignore_errors=True)
    stack.start()
    try:
        host = f"bench.{stack_module.DOMAIN}"
        url = f"http://127.0.0.1:{stack.http_port}"
        token = stack.token("auth:bench:writer", pod="bench")
        for i in range(100):
            subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"Host: {host}", "-H",
                            f"Authorization: Bearer {token}", "-H", "Content-Type: text/plain",
                            "--data-binary", f"{i:04d}" + "r" * 1020, f"{url}/feed"],
                           check=True)
        time.sleep(2)  # the standby replays the records
        replicas_config = stack.config["database"]["replicas"]
        with_replica = measure(stack, url, host)
        reload_workers(stack, False, replicas_config)
        without = measure(stack, url, host)
        reload_workers(stack, True, replicas_config)
        cpu_ratio = with_replica["cpu_per_list"] / without["cpu_per_list"]
        index_ratio = with_replica["index_rate"] / without["index_rate"]
        print(f"machine: {os.cpu_count()} cores; workers={WORKERS} x threads={THREADS}; "
              f"{CONNECTIONS} connections, {SECONDS_EACH}s per run; primary and standby share "
              f"the machine")
        for name, result in (("without replica", without), ("with 1 replica", with_replica)):
            print(f"{name:16}: lists of 100 x 1 KiB {result['list_rate']:7.0f}/s, primary CPU "
                  f"{result['cpu_per_list'] * 1e3:6.3f} ms/list; reads by index "
                  f"{result['index_rate']:7.0f}/s")
        print(f"primary CPU per list with/without: {cpu_ratio:.2f} (goal <= 0.50); "
              f"reads by index with/without: {index_ratio:.2f} (goal >= 0.90)")
        if with_replica["errors"] or without["errors"]:
            sys.exit("non-2xx answers under load")
    finally:
        stack.stop()
        if stack.pg_outside_var():
            for root in stack.cluster_roots():
                shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
