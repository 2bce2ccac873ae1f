"""Bounds (SPEC §10, §2 Read): lists and ranges stop at 1000 records and at
server.maxResponseSize, and say where to go on; login steps are rate-limited per address.
The small budgets run on a stack of their own, as test_rate_limits.py does."""

import unittest

import harness

MAX_RESPONSE_SIZE = 4096
LOGINS = 3
STACK = None


def setUpModule():
    global STACK
    STACK = harness.start_side_stack(
        "bounds", {"workers": 1, "threadsPerWorker": 4,
                   "server": {"maxResponseSize": MAX_RESPONSE_SIZE},
                   "rateLimits": {"logins": LOGINS}})


def tearDownModule():
    harness.stop_side_stack(STACK)


def small(method, path, pod=None, auth_id=None, body=None):
    """A request to the small-budget stack: to a pod, or to the main domain without one."""
    bearer = STACK.token(auth_id, pod=pod) if auth_id else None
    host = harness.pod_host(pod) if pod else harness.DOMAIN
    return harness.request(method, path, host=host, body=body, token=bearer,
                           port=STACK.http_port)


class RecordCapTest(unittest.TestCase):
    """On the main stack: 1500 small records are far below the default 16 MiB."""

    @classmethod
    def setUpClass(cls):
        cls.pod = harness.new_pod("cap")
        writers = [harness.new_user("cap"), harness.new_user("cap")]  # 1000 writes each an hour
        first = harness.write(cls.pod, "many", "0", writers[0])
        assert first.status == 201, first
        tokens = [harness.token(writer, cls.pod) for writer in writers]

        def send(connection, n):
            for _ in range(1499 // 4 + (1 if n < 1499 % 4 else 0)):
                answer = harness.request("POST", "/many", host=harness.pod_host(cls.pod),
                                         body="r", token=tokens[n % 2], connection=connection)
                assert answer.status == 201, answer

        harness.together(4, send)

    def test_range_of_1500_answers_1000_with_has_more(self):
        body = harness.read(self.pod, "/many?i=0:1500").json()
        self.assertEqual(len(body["records"]), 1000)
        self.assertEqual(body["range"], {"start": 0, "end": 1000})
        self.assertEqual(body["total"], 1000)
        self.assertIs(body["has_more"], True)
        self.assertEqual([r["index"] for r in body["records"]], list(range(1000)))
        rest = harness.read(self.pod, "/many?i=1000:1500").json()
        self.assertEqual(len(rest["records"]), 500)
        self.assertEqual(rest["range"], {"start": 1000, "end": 1500})
        self.assertNotIn("has_more", rest)

    def test_list_limit_above_1000_is_1000(self):
        body = harness.read(self.pod, "/many?limit=5000").json()
        self.assertEqual(len(body["records"]), 1000)
        self.assertEqual(body["total"], 1500)
        self.assertIs(body["has_more"], True)
        self.assertEqual(body["next_index"], 999)


class ResponseBudgetTest(unittest.TestCase):
    """maxResponseSize 4096: records of 900 bytes (about 1250 as JSON) fit three to an answer."""

    @classmethod
    def setUpClass(cls):
        cls.pod, cls.alice = harness.new_pod("budget"), harness.new_user("budget")
        cls.contents = [chr(ord("a") + n) * 900 for n in range(10)]
        for content in cls.contents:
            answer = small("POST", "/big", cls.pod, cls.alice, body=content)
            assert answer.status == 201, answer

    def read(self, path):
        answer = small("GET", path, self.pod)
        self.assertEqual(answer.status, 200, answer)
        self.assertLessEqual(len(answer.body), MAX_RESPONSE_SIZE)
        return answer.json()

    def test_list_stops_early_and_continues_with_after(self):
        body = self.read("/big")
        self.assertEqual([r["index"] for r in body["records"]], [0, 1, 2])
        self.assertIs(body["has_more"], True)
        self.assertEqual(body["next_index"], 2)
        self.assertEqual(body["total"], 10)
        seen = [r["content"] for r in body["records"]]
        while body["has_more"]:
            body = self.read(f"/big?after={body['next_index']}")
            self.assertTrue(body["records"])
            self.assertEqual(body["next_index"], body["records"][-1]["index"])
            seen += [r["content"] for r in body["records"]]
        self.assertEqual(seen, self.contents)

    def test_range_cut_short_answers_end_after_last_record(self):
        body = self.read("/big?i=0:10")
        self.assertEqual([r["index"] for r in body["records"]], [0, 1, 2])
        self.assertEqual(body["range"], {"start": 0, "end": 3})
        self.assertEqual(body["total"], 3)
        self.assertIs(body["has_more"], True)
        seen = [r["content"] for r in body["records"]]
        while body.get("has_more"):
            body = self.read(f"/big?i={body['range']['end']}:10")
            seen += [r["content"] for r in body["records"]]
        self.assertEqual(body["range"]["end"], 10)
        self.assertEqual(seen, self.contents)

    def test_a_range_within_the_budget_is_not_cut(self):
        body = self.read("/big?i=8:10")
        self.assertEqual(set(body), {"records", "range", "total"})
        self.assertEqual(body["range"], {"start": 8, "end": 10})

    def test_one_record_larger_than_the_budget_is_returned_alone(self):
        pod, alice = harness.new_pod("huge"), harness.new_user("huge")
        for content in ["small", "h" * (2 * MAX_RESPONSE_SIZE), "after"]:
            self.assertEqual(small("POST", "/log", pod, alice, body=content).status, 201)
        listing = small("GET", "/log?after=0", pod).json()
        self.assertEqual([r["index"] for r in listing["records"]], [1])
        self.assertEqual(listing["records"][0]["content"], "h" * (2 * MAX_RESPONSE_SIZE))
        self.assertIs(listing["has_more"], True)
        self.assertEqual(listing["next_index"], 1)
        ranged = small("GET", "/log?i=1:3", pod).json()
        self.assertEqual([r["index"] for r in ranged["records"]], [1])
        self.assertEqual(ranged["range"], {"start": 1, "end": 2})
        self.assertIs(ranged["has_more"], True)
        whole = small("GET", "/log", pod).json()  # the small one first, then the budget is gone
        self.assertEqual([r["index"] for r in whole["records"]], [0])
        self.assertEqual(whole["next_index"], 0)
        self.assertIs(whole["has_more"], True)


class LoginLimitTest(unittest.TestCase):
    def test_login_steps_share_one_budget_per_address(self):
        # Every anonymous request here comes from 127.0.0.1; only this test uses login steps.
        steps = [("/auth/nobody", None), ("/auth/authorize?pod=x", None),
                 ("/login", harness.new_pod("sso"))]
        remaining = []
        for path, pod in steps:
            answer = small("GET", path, pod)
            self.assertNotEqual(answer.status, 429, answer)
            self.assertEqual(answer.headers["x-ratelimit-limit"], str(LOGINS))
            remaining.append(int(answer.headers["x-ratelimit-remaining"]))
        self.assertEqual(remaining, [2, 1, 0])
        for path, pod in [("/auth/nobody", None), ("/auth/nobody/callback?state=s&code=c", None),
                          ("/auth/authorize?pod=x", None), ("/login", harness.new_pod("sso"))]:
            refused = small("GET", path, pod)
            self.assertEqual(refused.status, 429, (path, refused))
            self.assertEqual(refused.error_code, "RATE_LIMIT_EXCEEDED")
            self.assertEqual(refused.headers["x-ratelimit-remaining"], "0")
            self.assertEqual(refused.headers["x-ratelimit-limit"], str(LOGINS))
            self.assertIn("x-ratelimit-reset", refused.headers)
            self.assertTrue(0 < int(refused.headers["retry-after"]) <= 3600)
        # Other routes of the same address keep their own budgets.
        self.assertEqual(small("GET", "/auth/providers").status, 200)
        self.assertNotEqual(small("GET", "/auth/session").status, 429)


if __name__ == "__main__":
    unittest.main()
