"""The worker pool (issue 2): a killed worker is replaced, SIGHUP reloads without dropping a
request, and PostgreSQL going away and coming back needs no restart of the workers."""

import os
import signal
import subprocess
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
    """Clients sending /health one after another, released together by a barrier; records
    (time sent, time answered, status, healthy body?) of every request, so that a request in
    flight on a killed worker counts at the moment it was sent."""

    def __init__(self, clients=4):
        self.answers = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.barrier = threading.Barrier(clients + 1, timeout=30)
        self.threads = [threading.Thread(target=self._client) for _ in range(clients)]

    def _client(self):
        self.barrier.wait()
        while not self.stopping.is_set():
            sent = time.monotonic()
            try:
                answer = request("GET", "/health")
                status = answer.status
                healthy = answer.status == 200 and answer.json()["status"] == "healthy"
            except (OSError, ValueError, KeyError) as error:
                status, healthy = repr(error), False
            with self.lock:
                self.answers.append((sent, time.monotonic(), status, healthy))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        self.barrier.wait()
        # Under way: every client has had an answer.
        wait_for(lambda: len(self.answers) >= 5 * len(self.threads))
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def sent_after(self, moment):
        with self.lock:
            return [answer for answer in self.answers if answer[0] >= moment]

    def in_flight_at(self, moment):
        """The requests sent before `moment` and answered after it."""
        with self.lock:
            return [answer for answer in self.answers if answer[0] < moment < answer[1]]

    def failures_after(self, moment):
        return [(sent, status) for sent, _, status, healthy in self.sent_after(moment)
                if not healthy]


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
            os.kill(before[0], signal.SIGKILL)
            after = wait_for(lambda: (lambda pids: pids if len(pids) == 2 and before[0] not in pids
                                      else None)(worker_pids()))
            replaced_at = time.monotonic()
            wait_for(lambda: len(load.sent_after(replaced_at)) > 40)
        self.assertNotIn(before[0], after)
        self.assertIn(before[1], after)
        self.assertEqual(load.failures_after(replaced_at), [])

    def test_sighup_reload_drops_no_request(self):
        before = worker_pids()
        with SteadyLoad(clients=6) as load:
            started = time.monotonic()
            os.kill(harness.STACK.processes["workers"].pid, signal.SIGHUP)
            wait_for(lambda: not set(before) & set(worker_pids()) and len(worker_pids()) == 2)
            replaced_at = time.monotonic()
            # Requests on the new generation alone, too.
            wait_for(lambda: len(load.sent_after(replaced_at)) > 40)
        # The reload happened under load: requests were on their way when the signal went
        # out, and more were sent while the old workers drained.
        in_flight = load.in_flight_at(started)
        self.assertGreater(len(in_flight), 0)
        self.assertTrue(all(healthy for *_, healthy in in_flight), in_flight)
        during = [answer for answer in load.sent_after(started) if answer[0] < replaced_at]
        self.assertGreater(len(during), 0)
        self.assertEqual(load.failures_after(started - 0.5), [])
        self.assertTrue(set(worker_pids()).isdisjoint(before))


class KilledMidRequestTest(unittest.TestCase):
    def test_request_on_a_killed_worker_answers_the_json_envelope(self):
        # A request held inside the database (tables locked by another session) is in flight
        # on a worker thread; killing every worker makes nginx answer it (upstream closed).
        locker = subprocess.Popen(
            [f"{harness.stack_module.PG_BIN}/psql", "-h", harness.STACK.pg_socket_dir,
             "-U", "postgres", "-d", "webpods", "-qAt"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        answers = []
        try:
            locker.stdin.write("BEGIN; LOCK TABLE pod, stream, rate_limit IN ACCESS EXCLUSIVE "
                               "MODE; SELECT 'locked';\n")
            locker.stdin.flush()
            self.assertEqual(locker.stdout.readline().strip(), "locked")
            sender = threading.Thread(target=lambda: answers.append(
                request("GET", "/blog", host=harness.pod_host(f"killed{time.time_ns()}"))))
            sender.start()
            wait_for(lambda: harness.STACK.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'webpods' "
                "AND wait_event_type = 'Lock'").strip() not in ("", "0"))
            before = worker_pids()
            for pid in before:
                os.kill(pid, signal.SIGKILL)
            sender.join(timeout=30)
            self.assertFalse(sender.is_alive())
        finally:
            locker.stdin.write("ROLLBACK;\n")
            locker.stdin.close()
            locker.wait(timeout=10)
        answer = answers[0]
        self.assertEqual(answer.status, 503, answer)
        self.assertEqual(answer.error_code, "UNAVAILABLE", answer)
        self.assertTrue(answer.headers["content-type"].startswith("application/json"))
        wait_for(lambda: len(worker_pids()) == 2 and set(worker_pids()).isdisjoint(before))
        wait_for(lambda: request("GET", "/health").status == 200)


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
        statuses = harness.together(16, lambda connection, _: [
            request("GET", "/health", connection=connection).status for _ in range(12)])
        self.assertEqual(statuses, [[200] * 12] * 16)
        self.assertEqual(worker_pids(), workers)


if __name__ == "__main__":
    unittest.main()
