#!/usr/bin/env python3
"""Fault drills (SPEC §10 "Faults lose nothing acknowledged"): 8 writers append through nginx
to one stream, then to many, while the drill SIGKILLs a worker, restarts PostgreSQL (fast
shutdown), reloads nginx and SIGHUPs the supervisor. The checker (check.py) then proves from
the writers' answers and the database that every 201 is stored once, at its index, with its
hash; that no index is missing and every chain verifies (webpodsctl verify); that every other
answer was a JSON 503 or a closed connection, none waited past the timeouts; and that /health
answered 200 within 5 s of each fault's end. Prints a table of faults x appends.

    drill.py          short form, part of `make test` (`make drill-short`): each fault twice
                      per scenario, some 5,000 appends, under a minute
    drill.py --long   `make drill`: each fault 5 times per scenario, 20,000+ appends

Runs its own stack (tests/stack/stack.py) under $WEBPODS_DRILL_VAR (default var/drill) with
the binaries of $WEBPODS_BUILD_DIR (default build/release)."""

import argparse
import http.client
import os
import random
import shutil
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "stack"))
import check  # noqa: E402
import load  # noqa: E402
import stack as stack_module  # noqa: E402

WRITERS = 8
MANY_STREAMS = 40
FAULTS = ("kill-worker", "restart-postgres", "reload-nginx", "sighup-supervisor")
# Each window lasts at least this long after its fault ends, so the writers meet the service
# both while it recovers and once it has.
MIN_WINDOW_SECONDS = 1.0
# Writers that acknowledge nothing for this long have stalled: the drill stops and fails.
PROGRESS_TIMEOUT = 30.0


class Drill:
    def __init__(self, stack, repetitions, window_appends, log, self_test):
        self.stack = stack
        self.self_test = self_test
        self.repetitions = repetitions
        self.window_appends = window_appends
        self.log = log
        self.chooser = random.Random(13)
        self.workers = stack.config["workers"]

    # ---- the stack's processes --------------------------------------------------------------
    def worker_pids(self):
        supervisor = self.stack.processes["workers"].pid
        with open(f"/proc/{supervisor}/task/{supervisor}/children") as children:
            return sorted(int(pid) for pid in children.read().split())

    def wait_for_pool(self, timeout=15.0):
        """Until the supervisor has exactly its configured number of workers again (a killed
        one replaced, a retired generation gone)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.05)
        raise RuntimeError(f"the pool did not come back to {self.workers} workers: "
                           f"{self.worker_pids()}")

    def alive(self):
        return all(self.stack.processes[name].poll() is None
                   for name in ("postgres", "workers", "nginx"))

    # ---- faults -----------------------------------------------------------------------------
    def inject(self, fault):
        """Causes the fault and returns when it has ended (the moment the 5 s start)."""
        if fault == "kill-worker":
            os.kill(self.chooser.choice(self.worker_pids()), signal.SIGKILL)
        elif fault == "restart-postgres":
            self.stack.stop_postgres()   # SIGINT: fast shutdown, sessions are terminated
            self.stack.start_postgres()  # returns once pg_isready says it accepts
        elif fault == "reload-nginx":
            os.kill(self.stack.processes["nginx"].pid, signal.SIGHUP)
        elif fault == "sighup-supervisor":
            os.kill(self.stack.processes["workers"].pid, signal.SIGHUP)
        else:
            raise ValueError(fault)
        return time.monotonic()

    def health_after(self, moment, give_up=15.0):
        """Seconds from `moment` to the first /health 200 (None past give_up)."""
        while time.monotonic() - moment < give_up:
            connection = http.client.HTTPConnection("127.0.0.1", self.stack.http_port,
                                                    timeout=check.RECOVERY_LIMIT)
            try:
                connection.request("GET", "/health", headers={"Host": stack_module.DOMAIN})
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    return time.monotonic() - moment
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
            time.sleep(0.05)
        return None

    def wait_for_appends(self, writers, since, after):
        """Until `window_appends` appends sent since `since` were acknowledged and at least
        MIN_WINDOW_SECONDS passed since `after`."""
        last_count, last_progress = -1, time.monotonic()
        while True:
            count = writers.acknowledged_since(since)
            now = time.monotonic()
            if count >= self.window_appends and now - after >= MIN_WINDOW_SECONDS:
                return
            if count != last_count:
                last_count, last_progress = count, now
            elif now - last_progress > PROGRESS_TIMEOUT:
                raise RuntimeError(f"no append acknowledged for {PROGRESS_TIMEOUT:.0f} s")
            time.sleep(0.02)

    # ---- one scenario -----------------------------------------------------------------------
    def prepare(self, name, streams):
        """A pod whose owner creates `streams` (public), and a token for each writer."""
        pod = f"drill-{name}-{os.getpid()}"
        owner = self.stack.token(f"auth:test:drill-owner-{name}", pod=pod)
        for stream in streams:
            connection = http.client.HTTPConnection("127.0.0.1", self.stack.http_port,
                                                    timeout=30)
            connection.request("POST", f"/{stream}?access=public",
                               body=check.SETUP_CONTENT.encode(),
                               headers={"Host": f"{pod}.{stack_module.DOMAIN}",
                                        "Authorization": f"Bearer {owner}",
                                        "Content-Type": "text/plain"})
            response = connection.getresponse()
            body = response.read()
            connection.close()
            if response.status != 201:
                raise RuntimeError(f"creating {stream}: {response.status} {body[:200]!r}")
        tokens = [self.stack.token(f"auth:test:drill-writer-{name}-{n}", pod=pod)
                  for n in range(WRITERS)]
        return pod, tokens

    def scenario(self, name, streams):
        pod, tokens = self.prepare(name, streams)
        windows = []
        writers = load.Writers(self.stack.http_port, f"{pod}.{stack_module.DOMAIN}", tokens,
                               streams, WRITERS)
        started = time.monotonic()
        with writers:
            baseline = check.Window(name, "none", time.monotonic())
            baseline.recovery = self.health_after(time.monotonic())
            windows.append(baseline)
            self.wait_for_appends(writers, baseline.start, baseline.start)
            for repetition in range(self.repetitions):
                for fault in FAULTS:
                    window = check.Window(name, fault, time.monotonic())
                    windows[-1].end = window.start
                    windows.append(window)
                    ended = self.inject(fault)
                    window.recovery = self.health_after(ended)
                    self.log(f"  {name}: {fault} #{repetition + 1}: /health 200 after "
                             f"{window.recovery if window.recovery is None else round(window.recovery, 2)} s")
                    self.wait_for_pool()
                    if not self.alive():
                        raise RuntimeError("a piece of the stack exited: "
                                           f"{[(n, p.poll()) for n, p in self.stack.processes.items()]}")
                    self.wait_for_appends(writers, window.start, ended)
        windows[-1].end = float("inf")
        attempts = writers.snapshot()
        self.log(f"  {name}: {len(attempts)} appends sent in {time.monotonic() - started:.1f} s")

        def verify(stream):
            result = self.stack.ctl("verify", pod, stream, check=False)
            return result.returncode, (result.stdout + result.stderr).strip()[:300]

        rows, failures = check.check(name, attempts, windows, self.stack, pod, verify)
        if self.self_test and not failures:
            failures = self.checker_can_fail(name, attempts, windows, pod, verify)
        return rows, failures

    def checker_can_fail(self, name, attempts, windows, pod, verify):
        """After a clean check: removes one acknowledged record and stores another one's
        content twice, behind the service's back, and requires the checker to report a lost
        201, a gap, a duplicate and a chain that no longer verifies."""
        acknowledged = [a for a in attempts if a.outcome == load.OK]
        victim, copied = acknowledged[len(acknowledged) // 2], acknowledged[-1]
        stream_of = ("(SELECT s.id FROM stream s JOIN pod p ON p.id = s.pod_id "
                     f"WHERE p.name = '{pod}' AND s.name = '{{}}')")
        self.stack.psql(f"DELETE FROM record WHERE stream_id = {stream_of.format(victim.stream)} "
                        f"AND index = {victim.index}", database="webpods")
        copy_into = stream_of.format(copied.stream)
        self.stack.psql(
            "INSERT INTO record (stream_id, index, content, content_type, alias, author, hash, "
            "previous_hash, written_at, merkle_nodes) SELECT stream_id, "
            f"(SELECT max(index) + 1 FROM record WHERE stream_id = {copy_into}), content, "
            "content_type, alias, author, hash, previous_hash, written_at, merkle_nodes FROM record "
            f"WHERE stream_id = {copy_into} AND index = {copied.index}", database="webpods")
        _, found = check.check(name, attempts, windows, self.stack, pod, verify)
        expected = {"lost": f"201 for {victim.content!r}", "gap": "index gap",
                    "duplicate": f"{copied.content!r} stored 2 times",
                    "verify": "webpodsctl verify exited 1"}
        missed = [what for what, text in expected.items()
                  if not any(text in failure for failure in found)]
        self.log(f"  {name}: checker self-test: tampered rows found "
                 f"({', '.join(w for w in expected if w not in missed)})")
        return [f"checker self-test: the checker missed the {what} it was shown"
                for what in missed]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long", action="store_true",
                        help="10,000+ appends, each fault repeated (make drill)")
    parser.add_argument("--repetitions", type=int)
    parser.add_argument("--window", type=int, help="appends acknowledged per fault window")
    args = parser.parse_args()
    repetitions = args.repetitions or (5 if args.long else 2)
    window = args.window or (600 if args.long else 250)

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    var = os.environ.get("WEBPODS_DRILL_VAR", os.path.join(stack_module.REPO, "var", "drill"))
    shutil.rmtree(var, ignore_errors=True)
    # Many users' writes are the load here, not a rate limit: the budgets are out of the way
    # (they are still counted, one upsert per write, as in production).
    stack = stack_module.Stack(
        var, http_port=stack_module.free_port(), https_port=stack_module.free_port(),
        build_dir=os.environ.get("WEBPODS_BUILD_DIR"),
        config_overrides={"workers": 2, "threadsPerWorker": 8,
                          "rateLimits": {"writes": 1000000000, "streamCreate": 1000000}})
    if stack.pg_outside_var():
        shutil.rmtree(stack.pg_root, ignore_errors=True)

    def log(line):
        print(line, flush=True)

    table, failures = [], []
    started = time.monotonic()
    try:
        stack.start()
        log(f"drill: stack up (http {stack.http_port}); {WRITERS} writers; "
            f"{repetitions} x {len(FAULTS)} faults per scenario, {window} appends a window")
        drill = Drill(stack, repetitions, window, log, self_test=True)
        for name, streams in (("one-stream", ["log"]),
                              ("many-streams", [f"s/{n:02d}" for n in range(MANY_STREAMS)])):
            rows, found = drill.scenario(name, streams)
            table += rows
            failures += found
    finally:
        stack.stop()
        if stack.pg_outside_var():
            shutil.rmtree(stack.pg_root, ignore_errors=True)
    for report in stack.sanitizer_reports():
        failures.append(f"sanitizer report (see {stack.worker_log}):\n{report}")

    merged = check.merge(table)
    print()
    print(check.render(merged))
    total = merged[-1]
    print(f"\ndrill: {total['sent']} appends sent, {total['acknowledged']} acknowledged, "
          f"{total['lost']} lost, {total['duplicated']} duplicated, max stall "
          f"{total['max_stall']:.2f} s, /health 200 at most {total['recovery']:.2f} s after a "
          f"fault; {time.monotonic() - started:.0f} s in all")
    if failures:
        print(f"\nFAILED: {len(failures)} finding(s)", file=sys.stderr)
        for failure in failures[:50]:
            print(f"  {failure}", file=sys.stderr)
        sys.exit(1)
    print("drill: passed")


if __name__ == "__main__":
    main()
