"""SPEC §13 operations: GET /metrics (Prometheus text 0.0.4, the families of §13 and §14, one
scrape for the whole host, counters that survive a killed worker), X-Request-Id on every kind
of answer, and the service's JSON log lines carrying that id."""

import json
import os
import re
import secrets
import subprocess
import threading
import signal
import time
import unittest

import harness
from harness import request

FAMILIES = {
    "webpods_http_requests_total": "counter",
    "webpods_http_request_duration_seconds": "histogram",
    "webpods_appends_total": "counter",
    "webpods_append_conflicts_total": "counter",
    "webpods_rate_limited_total": "counter",
    "webpods_db_errors_total": "counter",
    "webpods_db_connections": "gauge",
    "webpods_workers": "gauge",
    "webpods_worker_restarts_total": "counter",
    "webpods_subscribers": "gauge",
    "webpods_build_info": "gauge",
    "process_resident_memory_bytes": "gauge",
    "webpods_db_statements_total": "counter",
    "webpods_replica_fallbacks_total": "counter",
}
ROUTES = {"record", "list", "range", "append", "delete", "meta", "proof", "auth", "health",
          "other"}

# A sample line of the text format 0.0.4: name, optional {labels}, value.
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
                    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)?\})? (-?[0-9.eE+-]+|\+Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"')


def parse(text):
    """The exposition as {family: type} and [(name, {labels}, value)]; fails on any line that is
    neither a HELP/TYPE comment nor a sample."""
    types, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        if not match:
            raise AssertionError(f"not a 0.0.4 sample line: {line!r}")
        labels = dict(LABEL.findall(match.group(2) or ""))
        samples.append((match.group(1), labels, float(match.group(3))))
    return types, samples


def scrape():
    answer = request("GET", "/metrics")
    assert answer.status == 200, answer
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4"), answer.headers
    return parse(answer.body.decode())


def value(samples, name, **labels):
    """The sum of the samples of name whose labels include these (0 when none)."""
    return sum(v for n, l, v in samples if n == name and all(l.get(k) == w for k, w in
                                                                labels.items()))


def worker_pids():
    supervisor = harness.STACK.processes["workers"].pid
    with open(f"/proc/{supervisor}/task/{supervisor}/children") as children:
        return sorted(int(pid) for pid in children.read().split())


def wait_for(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


class MetricsTest(unittest.TestCase):
    def test_every_family_is_present_and_parseable(self):
        types, samples = scrape()
        for family, kind in FAMILIES.items():
            self.assertEqual(types.get(family), kind, family)
        names = {name for name, _, _ in samples}
        for family, kind in FAMILIES.items():
            if kind == "histogram":
                for suffix in ("_bucket", "_sum", "_count"):
                    self.assertIn(family + suffix, names)
            elif family != "webpods_http_requests_total":  # has samples once requests came
                self.assertIn(family, names)
        for name, labels, _ in samples:
            if "route" in labels:
                self.assertIn(labels["route"], ROUTES)
        self.assertEqual(value(samples, "webpods_workers"), len(worker_pids()))
        self.assertEqual({l["version"] for n, l, _ in samples if n == "webpods_build_info"},
                         {request("GET", "/health").json()["version"]})
        self.assertGreater(value(samples, "process_resident_memory_bytes"), 10 * 1024 * 1024)
        self.assertEqual({l["state"] for n, l, _ in samples if n == "webpods_db_connections"},
                         {"busy", "idle"})
        self.assertEqual({l["target"] for n, l, _ in samples
                          if n == "webpods_db_statements_total"}, {"primary", "replica"})
        self.assertEqual({l["reason"] for n, l, _ in samples
                          if n == "webpods_replica_fallbacks_total"}, {"behind", "down"})

    def test_counters_move_by_exactly_the_requests_made(self):
        pod, user = harness.new_pod("metrics"), harness.new_user("metrics")
        _, before = scrape()
        for n in range(3):
            self.assertEqual(harness.write(pod, "log", {"n": n}, user).status, 201)
        for query in ("?i=0", "?i=1", "?i=-1", "?i=5"):
            harness.read(pod, "/log" + query)
        harness.read(pod, "/log?i=0:2")
        harness.read(pod, "/log")
        harness.read(pod, "/log?proof=inclusion&i=0")
        request("DELETE", "/log", host=harness.pod_host(pod),
                token=harness.token(user, pod))
        _, after = scrape()

        def moved(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertEqual(moved("webpods_http_requests_total", route="append", status="201"), 3)
        self.assertEqual(moved("webpods_appends_total"), 3)
        self.assertEqual(moved("webpods_http_requests_total", route="record", status="200"), 3)
        self.assertEqual(moved("webpods_http_requests_total", route="record", status="404"), 1)
        self.assertEqual(moved("webpods_http_requests_total", route="range", status="200"), 1)
        self.assertEqual(moved("webpods_http_requests_total", route="list", status="200"), 1)
        self.assertEqual(moved("webpods_http_requests_total", route="proof", status="200"), 1)
        self.assertEqual(moved("webpods_http_requests_total", route="delete"), 1)
        self.assertEqual(moved("webpods_http_request_duration_seconds_count", route="record"), 4)
        self.assertEqual(moved("webpods_http_request_duration_seconds_count", route="append"), 3)
        self.assertGreater(moved("webpods_db_statements_total", target="primary"), 0)
        # The scrape before is itself counted, once, under "other".
        self.assertEqual(moved("webpods_http_requests_total", route="other", status="200"), 1)

    def test_a_refused_conditional_append_counts_as_a_conflict(self):
        pod, user = harness.new_pod("metrics"), harness.new_user("metrics")
        self.assertEqual(harness.write(pod, "log", "a", user).status, 201)
        _, before = scrape()
        refused = harness.write(pod, "log", "b", user, headers={"If-Match": '"sha256:00"'})
        self.assertEqual(refused.status, 412, refused)
        _, after = scrape()
        self.assertEqual(value(after, "webpods_append_conflicts_total")
                         - value(before, "webpods_append_conflicts_total"), 1)
        self.assertEqual(value(after, "webpods_http_requests_total", route="append", status="412")
                         - value(before, "webpods_http_requests_total", route="append",
                                 status="412"), 1)
        self.assertEqual(value(after, "webpods_appends_total")
                         - value(before, "webpods_appends_total"), 0)

    def test_an_idempotent_replay_is_no_new_append(self):
        pod, user = harness.new_pod("metrics"), harness.new_user("metrics")
        key = {"Idempotency-Key": "metrics-replay-1"}
        self.assertEqual(harness.write(pod, "log", "a", user, headers=key).status, 201)
        _, before = scrape()
        replay = harness.write(pod, "log", "a", user, headers=key)
        self.assertEqual(replay.headers.get("idempotent-replayed"), "true", replay)
        _, after = scrape()
        self.assertEqual(value(after, "webpods_appends_total"),
                         value(before, "webpods_appends_total"))
        self.assertEqual(value(after, "webpods_http_requests_total", route="append", status="201")
                         - value(before, "webpods_http_requests_total", route="append",
                                 status="201"), 1)

    def test_histogram_is_consistent(self):
        for _ in range(5):
            request("GET", "/health")
        _, samples = scrape()
        for route in ROUTES:
            buckets = [(l["le"], v) for n, l, v in samples
                       if n == "webpods_http_request_duration_seconds_bucket"
                       and l["route"] == route]
            self.assertEqual(buckets[-1][0], "+Inf")
            bounds = [float(le) for le, _ in buckets[:-1]]
            self.assertEqual(bounds, sorted(bounds))
            counts = [v for _, v in buckets]
            self.assertEqual(counts, sorted(counts), route)  # cumulative: never decreasing
            self.assertEqual(counts[-1], value(samples, "webpods_http_request_duration_seconds_count",
                                               route=route))
            self.assertGreaterEqual(value(samples, "webpods_http_request_duration_seconds_sum",
                                          route=route), 0)
        self.assertGreaterEqual(value(samples, "webpods_http_request_duration_seconds_count",
                                      route="health"), 5)
        self.assertEqual(value(samples, "webpods_http_request_duration_seconds_count",
                               route="health"),
                         value(samples, "webpods_http_requests_total", route="health"))

    def test_counters_survive_a_killed_worker(self):
        pod, user = harness.new_pod("metrics"), harness.new_user("metrics")
        for n in range(4):
            self.assertEqual(harness.write(pod, "log", {"n": n}, user).status, 201)
        _, before = scrape()
        pids = worker_pids()
        for pid in pids:  # every worker: whichever added the counts is gone
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: (lambda now: len(now) == len(pids) and not set(now) & set(pids))(
            worker_pids()))
        wait_for(lambda: request("GET", "/health").status == 200)
        _, after = scrape()
        for name, labels, count in before:
            if name.endswith("_total") or name.endswith("_bucket") or name.endswith("_count"):
                self.assertGreaterEqual(value(after, name, **labels), count, (name, labels))
        self.assertEqual(value(after, "webpods_appends_total"),
                         value(before, "webpods_appends_total"))
        self.assertEqual(value(after, "webpods_worker_restarts_total")
                         - value(before, "webpods_worker_restarts_total"), len(pids))
        self.assertEqual(value(after, "webpods_workers"), len(pids))

    def test_other_addresses_get_not_found(self):
        # nginx/dev.conf.template's /metrics location takes the client address from X-Real-IP
        # (from loopback), as a proxy in front would; metrics.allow lists only loopback.
        for address in ("192.0.2.7", "2001:db8::1"):
            answer = request("GET", "/metrics", headers={"X-Real-IP": address})
            self.assertEqual(answer.status, 404, answer)
            self.assertEqual(answer.error_code, "NOT_FOUND")
            self.assertNotIn(b"webpods_", answer.body)
        self.assertEqual(request("GET", "/metrics", headers={"X-Real-IP": "::1"}).status, 200)
        # Not on a pod: there /metrics is a stream like any other.
        self.assertEqual(request("GET", "/metrics", host=harness.pod_host(
            harness.new_pod("metrics"))).status, 404)


def log_lines():
    with open(harness.STACK.worker_log, errors="replace") as log:
        return log.read().splitlines()


class RequestIdTest(unittest.TestCase):
    ID = re.compile(r"^[0-9a-f]{32}$")

    def assert_id(self, answer):
        self.assertRegex(answer.headers.get("x-request-id", ""), self.ID, answer)
        return answer.headers["x-request-id"]

    def test_every_kind_of_answer_carries_a_request_id(self):
        pod, user = harness.new_pod("ids"), harness.new_user("ids")
        answers = {
            "200": request("GET", "/health"),
            "201": harness.write(pod, "log", "x", user),
            "streamed list": harness.read(pod, "/log"),  # its head leaves from the pipeline
            "streamed range": harness.read(pod, "/log?i=0:1"),
            "app 404": harness.read(pod, "/missing"),
            "app 400": harness.read(pod, "/log?i=a"),
            "app 401": request("POST", "/log", host=harness.pod_host(pod), body="x"),
            "main 404": request("GET", "/nothing-here"),
            "nginx 413": request("POST", "/log", host=harness.pod_host(pod),
                                 body=b"x" * (harness.STACK.max_payload_size() + 1),
                                 token=harness.token(user, pod)),
            "nginx 400": request("GET", "/a/../../b", host=harness.pod_host(pod)),
        }
        # limit_req's own 429: the flood check allows one request a minute per client.
        flooder = {"X-Real-IP": f"198.51.100.{secrets.randbelow(250) + 1}"}
        request("GET", "/.webpods-flood-check", headers=flooder)
        answers["nginx 429"] = request("GET", "/.webpods-flood-check", headers=flooder)
        expected = {"200": 200, "201": 201, "streamed list": 200, "streamed range": 200,
                    "app 404": 404, "app 400": 400, "app 401": 401,
                    "main 404": 404, "nginx 413": 413, "nginx 400": 400, "nginx 429": 429}
        ids = set()
        for kind, answer in answers.items():
            self.assertEqual(answer.status, expected[kind], (kind, answer))
            ids.add(self.assert_id(answer))
            self.assertEqual(len(answer.headers.get("x-request-id").split(",")), 1, kind)
        self.assertEqual(len(ids), len(answers))

    def test_a_clients_own_request_id_is_ignored(self):
        answer = request("GET", "/health", headers={"X-Request-Id": "client-chosen"})
        self.assertNotEqual(self.assert_id(answer), "client-chosen")

    def test_a_failed_request_is_logged_as_json_with_its_id(self):
        # A request held until nginx gives up is slow; one on a worker that cannot reach its
        # database is a 503. The second is easy to cause: stop nothing, but lock a table so the
        # request waits past a second, which logs it as slow with its id.
        locker = subprocess.Popen(
            [f"{harness.stack_module.PG_BIN}/psql", "-h", harness.STACK.pg_socket_dir,
             "-U", "postgres", "-d", "webpods", "-qAt"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        answers = []
        try:
            locker.stdin.write("BEGIN; LOCK TABLE pod IN ACCESS EXCLUSIVE MODE; "
                               "SELECT 'locked';\n")
            locker.stdin.flush()
            self.assertEqual(locker.stdout.readline().strip(), "locked")
            pod = harness.new_pod("slow")
            sender = threading.Thread(target=lambda: answers.append(
                request("GET", "/log?token=secret-in-query", host=harness.pod_host(pod))))
            sender.start()
            time.sleep(1.3)
        finally:
            locker.stdin.write("ROLLBACK;\n")
            locker.stdin.close()
            locker.wait(timeout=10)
        sender.join(timeout=30)
        answer = answers[0]
        request_id = self.assert_id(answer)
        found = wait_for(lambda: [line for line in log_lines() if request_id in line])
        entry = json.loads(found[0])
        self.assertEqual(entry["request_id"], request_id)
        self.assertEqual(entry["pod"], pod)
        self.assertEqual(entry["stream"], "log")
        self.assertEqual(entry["route"], "list")
        self.assertEqual(entry["status"], answer.status)
        self.assertGreaterEqual(entry["duration_ms"], 1000)
        for key in ("ts", "level", "msg"):
            self.assertIn(key, entry)
        self.assertNotIn("secret-in-query", found[0])

    def test_every_log_line_is_a_json_object(self):
        request("GET", "/health")
        lines = [line for line in log_lines() if line.strip()]
        self.assertTrue(lines)
        for line in lines:
            if line.startswith("{"):
                entry = json.loads(line)
                self.assertIn("ts", entry)
                self.assertIn("level", entry)
                self.assertIn("msg", entry)
        webpods_lines = [line for line in lines if '"pid":' in line]
        self.assertTrue(webpods_lines)


if __name__ == "__main__":
    unittest.main()
