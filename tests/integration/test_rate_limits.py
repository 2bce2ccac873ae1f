"""Rate limits (SPEC §5): per identity and action, hourly windows in PostgreSQL, headers, 429.
Runs its own stack with small limits so they are reached quickly."""

import time
import unittest

import harness

LIMITS = {"enabled": True, "writes": 5, "reads": 8, "podCreate": 2, "streamCreate": 3}
STACK = None


def setUpModule():
    global STACK
    STACK = harness.start_side_stack(
        "rate-limits", {"workers": 2, "threadsPerWorker": 4, "rateLimits": LIMITS})


def tearDownModule():
    harness.stop_side_stack(STACK)


def call(method, path, pod, auth_id=None, body=None, headers=None):
    bearer = STACK.token(auth_id, pod=pod) if auth_id else None
    return harness.request(method, path, host=harness.pod_host(pod), body=body, token=bearer,
                           headers=headers, port=STACK.http_port)


class RateLimitTest(unittest.TestCase):
    def test_write_limit_per_user_with_decreasing_headers(self):
        pod, alice, bob = harness.new_pod(), harness.new_user(), harness.new_user()
        remaining = []
        for i in range(LIMITS["writes"]):
            answer = call("POST", "/log", pod, alice, body=f"entry {i}")
            self.assertEqual(answer.status, 201, answer)
            self.assertEqual(answer.headers["x-ratelimit-limit"], str(LIMITS["writes"]))
            remaining.append(int(answer.headers["x-ratelimit-remaining"]))
        self.assertEqual(remaining, [4, 3, 2, 1, 0])
        refused = call("POST", "/log", pod, alice, body="one too many")
        self.assertEqual(refused.status, 429)
        self.assertEqual(refused.error_code, "RATE_LIMIT_EXCEEDED")
        self.assertEqual(refused.headers["x-ratelimit-remaining"], "0")
        retry_after = int(refused.headers["retry-after"])
        self.assertTrue(0 < retry_after <= 3600)
        reset = int(refused.headers["x-ratelimit-reset"])
        self.assertEqual(reset % 3600, 0)
        self.assertTrue(abs(reset - time.time() - retry_after) <= 2)
        # Nothing was written by the refused request.
        listing = call("GET", "/log", pod, alice).json()
        self.assertEqual(listing["total"], LIMITS["writes"])
        # Another user has a budget of their own (a public stream of alice's pod).
        self.assertEqual(call("POST", "/log", pod, bob, body="bob").status, 201)

    def test_read_limit_per_user_and_anonymous_by_address(self):
        pod, alice, carol = harness.new_pod(), harness.new_user(), harness.new_user()
        self.assertEqual(call("POST", "/notes", pod, alice, body="x").status, 201)
        for i in range(LIMITS["reads"]):
            answer = call("GET", "/notes?i=0", pod, carol)
            self.assertEqual(answer.status, 200)
            self.assertEqual(answer.headers["x-ratelimit-remaining"], str(LIMITS["reads"] - 1 - i))
        self.assertEqual(call("GET", "/notes?i=0", pod, carol).status, 429)
        # alice still reads.
        self.assertEqual(call("GET", "/notes?i=0", pod, alice).status, 200)

    def test_anonymous_key_ignores_forwarded_for(self):
        pod, alice = harness.new_pod(), harness.new_user()
        self.assertEqual(call("POST", "/pub", pod, alice, body="x").status, 201)
        statuses = []
        for i in range(LIMITS["reads"] + 2):
            forged = {"X-Forwarded-For": f"10.0.0.{i}", "X-Real-IP": f"10.1.0.{i}"}
            statuses.append(call("GET", "/pub?i=0", pod, headers=forged).status)
        # Other anonymous tests in this module may have used part of the budget of 127.0.0.1,
        # so the refusals may start early; but once refused, always refused: the forged headers
        # never buy a fresh budget.
        allowed = statuses.count(200)
        self.assertLessEqual(allowed, LIMITS["reads"])
        self.assertEqual(statuses, [200] * allowed + [429] * (len(statuses) - allowed))

    def test_pod_create_limit(self):
        dave = harness.new_user()
        for _ in range(LIMITS["podCreate"]):
            self.assertEqual(call("POST", "/s", harness.new_pod(), dave, body="x").status, 201)
        answer = call("POST", "/s", harness.new_pod(), dave, body="x")
        self.assertEqual(answer.status, 429)
        self.assertEqual(answer.error_code, "RATE_LIMIT_EXCEEDED")

    def test_stream_create_limit_excludes_meta_owner(self):
        pod, erin = harness.new_pod(), harness.new_user()
        # The first write creates the pod, .meta/owner (not counted) and stream s0.
        for i in range(LIMITS["streamCreate"]):
            self.assertEqual(call("POST", f"/s{i}", pod, erin, body="x").status, 201)
        answer = call("POST", "/one-more", pod, erin, body="x")
        self.assertEqual(answer.status, 429)
        # Writing to an existing stream is still fine.
        self.assertEqual(call("POST", "/s0", pod, erin, body="y").status, 201)


if __name__ == "__main__":
    unittest.main()
