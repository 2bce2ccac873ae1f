"""The worker pool (issue 2): a killed worker is replaced, SIGHUP reloads without dropping a
request, and PostgreSQL going away and coming back needs no restart of the workers."""

import os
import signal
import threading
import time
import unittest

import harness
from harness import request


def worker_pids():
    supervisor = harness.STACK.processes["workers"].pid
    with open(f"/proc/{supervisor}/task/{supervisor}/children") as children:
        return sorted(int(pid) for pid in children.read().split())


class SteadyLoad:
    """Clients sending /health one after another; records (time sent, status) of every request,
    so a request in flight on a killed worker counts at the moment it was sent."""

    def __init__(self, clients=4):
        self.answers = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client) for _ in range(clients)]

    def _client(self):
        while not self.stopping.is_set():
            sent = time.monotonic()
            try:
                status = request("GET", "/health").status
            except OSError as error:
                status = repr(error)
            with self.lock:
                self.answers.append((sent, status))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def failures_after(self, moment):
        return [(at, status) for at, status in self.answers if at >= moment and status != 200]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


class WorkerPoolTest(unittest.TestCase):
    def test_killed_worker_is_replaced_and_later_requests_succeed(self):
        before = worker_pids()
        self.assertEqual(len(before), 2)
        with SteadyLoad() as load:
            time.sleep(0.5)
            os.kill(before[0], signal.SIGKILL)
            after = wait_for(lambda: (lambda pids: pids if len(pids) == 2 and before[0] not in pids
                                      else None)(worker_pids()))
            replaced_at = time.monotonic()
            time.sleep(1.5)
        self.assertNotIn(before[0], after)
        self.assertIn(before[1], after)
        self.assertEqual(load.failures_after(replaced_at), [])
        self.assertGreater(len([a for a in load.answers if a[0] >= replaced_at]), 20)

    def test_sighup_reload_drops_no_request(self):
        before = worker_pids()
        with SteadyLoad(clients=6) as load:
            time.sleep(0.5)
            started = time.monotonic()
            os.kill(harness.STACK.processes["workers"].pid, signal.SIGHUP)
            wait_for(lambda: not set(before) & set(worker_pids()) and len(worker_pids()) == 2)
            time.sleep(0.5)
        self.assertEqual(load.failures_after(started - 0.5), [])
        self.assertTrue(set(worker_pids()).isdisjoint(before))


class DatabaseOutageTest(unittest.TestCase):
    def test_health_is_503_while_postgres_is_down_and_recovers_without_restart(self):
        workers = worker_pids()
        self.assertEqual(request("GET", "/health").status, 200)
        harness.STACK.stop_postgres()
        try:
            answer = request("GET", "/health")
            self.assertEqual(answer.status, 503)
            self.assertEqual(answer.json()["status"], "unhealthy")
            # Pod requests fail cleanly too: JSON 503, never a 500.
            pod_answer = request("GET", "/blog", host=harness.pod_host("outage"))
            self.assertEqual(pod_answer.status, 503)
            self.assertEqual(pod_answer.error_code, "DATABASE_UNAVAILABLE")
        finally:
            harness.STACK.start_postgres()
        # Every pooled connection, used during the outage or not, reconnects on its next use:
        # concurrent requests spread over all threads of both workers.
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda _: request("GET", "/health").status, range(200)))
        self.assertEqual(statuses, [200] * 200)
        self.assertEqual(worker_pids(), workers)


if __name__ == "__main__":
    unittest.main()
