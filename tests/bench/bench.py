#!/usr/bin/env python3
"""make bench: throughput through nginx on this machine, measured with wrk.

Starts its own stack under var/bench (rate limits off), then measures
  1. appends/s: WRITERS concurrent connections appending to one stream,
  2. reads/s: CONNECTIONS concurrent connections reading one record by index,
and checks the chain written under load with `webpodsctl verify`. Variables: SECONDS_EACH,
WRITERS, CONNECTIONS, WORKERS, THREADS."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "stack"))
import stack as stack_module  # noqa: E402

SECONDS_EACH = int(os.environ.get("SECONDS_EACH", "10"))
WRITERS = int(os.environ.get("WRITERS", "8"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "32"))
WORKERS = int(os.environ.get("WORKERS", "2"))
THREADS = int(os.environ.get("THREADS", "16"))


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
    try:
        host = f"bench.{stack_module.DOMAIN}"
        url = f"http://127.0.0.1:{stack.http_port}"
        token = stack.token("auth:bench:writer", pod="bench")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write('wrk.method = "POST"\nwrk.body = "benchmark record payload"\n'
                         'wrk.headers["Content-Type"] = "text/plain"\n')
        subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"Host: {host}", "-H",
                        f"Authorization: Bearer {token}", "-d", "first", f"{url}/log"],
                       check=True)
        append_rate, append_p99, append_errors = wrk(
            f"{url}/log", host, WRITERS, script.name, [f"Authorization: Bearer {token}"])
        read_rate, read_p99, read_errors = wrk(f"{url}/log?i=0", host, CONNECTIONS)
        verify = stack.ctl("verify", "bench", "log", check=False)
        os.unlink(script.name)
        print(f"machine: {os.cpu_count()} cores; workers={WORKERS} x threads={THREADS}; "
              f"{SECONDS_EACH}s per run through nginx (http, loopback)")
        print(f"appends/s (1 stream, {WRITERS} writers): {append_rate:9.0f}   p99 {append_p99}"
              f"   non-2xx {append_errors}")
        print(f"reads/s   (by index, {CONNECTIONS} conns):  {read_rate:9.0f}   p99 {read_p99}"
              f"   non-2xx {read_errors}")
        print(f"chain after load: {verify.stdout.strip()}")
        if verify.returncode != 0 or append_errors or read_errors:
            sys.exit(1)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
