"""Two hosts, one database (SPEC §2 Permissions, §5, §6; doc/operations.md "Several hosts"):
two supervisors on two sockets, as two hosts would run them (the second one on FastCGI over
TCP, as a host on another machine listens), behind one nginx upstream and against one
PostgreSQL. A grant, a revocation, a rate limit and an append race look the same
whichever host answers, and the chains stay unbroken. Every answer names the socket that served
it (X-Webpods-Upstream, a header of the development nginx config only)."""

import json
import unittest

import harness
from streams_helpers import check_chain

WRITES = 20  # the hourly write budget of this stack, small enough to reach
STACK = None
HOSTS = ()  # the upstream addresses of the two hosts, as nginx names them


def setUpModule():
    global STACK, HOSTS
    STACK = harness.start_side_stack(
        "two-hosts", {"workers": 2, "threadsPerWorker": 4, "rateLimits": {"writes": WRITES}})
    HOSTS = (f"unix:{STACK.fcgi_socket}", STACK.add_host("host-b", tcp=True))


def tearDownModule():
    harness.stop_side_stack(STACK)


_tokens = {}


def token(auth_id, pod):
    if (auth_id, pod) not in _tokens:
        _tokens[(auth_id, pod)] = STACK.token(auth_id, pod=pod)
    return _tokens[(auth_id, pod)]


def send(method, path, pod, auth_id=None, body=None, query=""):
    return harness.request(method, f"{path}{query}", host=harness.pod_host(pod), body=body,
                           token=token(auth_id, pod) if auth_id else None,
                           port=STACK.http_port)


def host_of(answer):
    return answer.headers.get("x-webpods-upstream")


def through_both(ask, at_least=4, at_most=40):
    """Calls ask() until both hosts have answered (and at least `at_least` times): every answer,
    in order. nginx takes the two sockets in turn, so a few calls reach both."""
    answers = []
    while len(answers) < at_most:
        answers.append(ask())
        if len(answers) >= at_least and {host_of(a) for a in answers} >= set(HOSTS):
            return answers
    raise AssertionError(f"not both hosts answered: {[host_of(a) for a in answers]}")


class TwoHostsTest(unittest.TestCase):
    def test_one_upstream_spreads_requests_over_both_hosts(self):
        answers = through_both(lambda: harness.request("GET", "/health", port=STACK.http_port))
        self.assertEqual({host_of(a) for a in answers}, set(HOSTS))
        self.assertEqual({a.status for a in answers}, {200})
        # Two supervisors: each has its own workers.
        supervisors = [STACK.processes[name].pid for name in ("workers", "workers-host-b")]
        self.assertEqual(len(set(supervisors)), 2)

    def test_grant_and_revocation_are_seen_by_either_host_at_once(self):
        pod, owner = harness.new_pod("hosts"), harness.new_user("owner")
        member = harness.new_user("member")
        for stream, access, body in [("gate", "private", "list"), ("vault", "/gate", "secret")]:
            self.assertEqual(send("POST", f"/{stream}", pod, owner, body,
                                  query=f"?access={access}").status, 201)

        def read():
            return send("GET", "/vault?i=0", pod, member)

        def set_grant(flag):
            answer = send("POST", "/gate", pod, owner,
                          {"id": member, "read": flag, "write": False})
            self.assertEqual(answer.status, 201, answer)

        refused = through_both(read)
        self.assertEqual({(a.status, a.error_code) for a in refused}, {(403, "FORBIDDEN")})
        set_grant(True)
        granted = through_both(read)
        self.assertEqual({(a.status, a.body) for a in granted}, {(200, b"secret")})
        # Both hosts now hold the grant in their caches; a revocation is seen by the very next
        # request on each, and so is the grant given back.
        set_grant(False)
        revoked = through_both(read)
        self.assertEqual({(a.status, a.error_code) for a in revoked}, {(403, "FORBIDDEN")})
        set_grant(True)
        self.assertEqual({(a.status, a.body) for a in through_both(read)}, {(200, b"secret")})

    def test_one_write_budget_whichever_host_counts(self):
        pod, owner, writer = harness.new_pod("hosts"), harness.new_user("owner"), \
            harness.new_user("writer")
        self.assertEqual(send("POST", "/open", pod, owner, "x", query="?access=public").status,
                         201)
        accepted = [send("POST", "/open", pod, writer, f"n{n}") for n in range(WRITES)]
        self.assertEqual([a.status for a in accepted], [201] * WRITES, accepted)
        # One count in PostgreSQL: the remaining budget goes down by one a write, whichever
        # host took it, and both took some.
        self.assertEqual([int(a.headers["x-ratelimit-remaining"]) for a in accepted],
                         list(range(WRITES - 1, -1, -1)))
        self.assertEqual({host_of(a) for a in accepted}, set(HOSTS))
        refused = through_both(lambda: send("POST", "/open", pod, writer, "over"), at_least=2)
        for answer in refused:
            self.assertEqual((answer.status, answer.error_code), (429, "RATE_LIMIT_EXCEEDED"))
            self.assertEqual(answer.headers["x-ratelimit-remaining"], "0")
        window = {(a.headers["x-ratelimit-limit"], a.headers["x-ratelimit-reset"])
                  for a in accepted + refused}
        self.assertEqual(window, {(str(WRITES), accepted[0].headers["x-ratelimit-reset"])})
        # Nothing refused was written.
        listing = send("GET", "/open", pod).json()
        self.assertEqual(listing["total"], WRITES + 1)

    def test_racing_appends_over_both_hosts_leave_one_unbroken_chain(self):
        pod, owner = harness.new_pod("hosts"), harness.new_user("owner")
        self.assertEqual(send("POST", "/race", pod, owner, "setup",
                              query="?access=public").status, 201)
        writers = [harness.new_user("racer") for _ in range(8)]
        tokens = [token(writer, pod) for writer in writers]
        appends = WRITES - 5

        def race(connection, n):
            seen = []
            for k in range(appends):
                answer = harness.request("POST", "/race", host=harness.pod_host(pod),
                                         body=f"w{n}-{k}", token=tokens[n],
                                         connection=connection)
                seen.append((answer.status, answer.body, host_of(answer), f"w{n}-{k}"))
            return seen

        results = [item for seen in harness.together(8, race, port=STACK.http_port)
                   for item in seen]
        self.assertEqual([status for status, *_ in results], [201] * len(results), results[:3])
        self.assertEqual({host for _, _, host, _ in results}, set(HOSTS))
        announced = {json.loads(body)["index"]: (json.loads(body)["hash"], content)
                     for _, body, _, content in results}
        self.assertEqual(sorted(announced), list(range(1, 8 * appends + 1)))

        # The stream read through either host is the same bytes, and its chain is whole.
        listings = through_both(lambda: send("GET", "/race?limit=1000", pod))
        self.assertEqual(len({a.body for a in listings}), 1)
        records = listings[0].json()["records"]
        check_chain(self, records)
        for record in records[1:]:
            self.assertEqual((record["hash"], record["content"]), announced[record["index"]])
        verify = STACK.ctl("verify", pod, "race", check=False)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)


if __name__ == "__main__":
    unittest.main()
