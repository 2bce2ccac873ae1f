"""Racing appends (SPEC §2 Write: linearizable appends): several client processes append at
once, through nginx, to the FastCGI workers; the indices must come out consecutive and the
chain unbroken."""

import concurrent.futures
import http.client
import json
import multiprocessing
import unittest

import harness
from harness import new_pod, new_user, pod_host, request, token
from streams_helpers import check_chain, list_all

PROCESSES = 8


def append_many(port, host, jwt, streams, count, tag):
    """Worker process: `count` appends, cycling over `streams`, on one keep-alive connection
    (reopened if the server closes it). The connection is open before the process waits on the
    race's barrier, so that all first requests leave together. Returns (stream, status, index,
    hash, content) per append."""
    results = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.connect()
    headers = {"Host": host, "Authorization": f"Bearer {jwt}", "Content-Type": "text/plain"}
    _start.wait()
    for n in range(count):
        stream = streams[n % len(streams)]
        content = f"{tag}-{n}"
        for attempt in range(2):
            try:
                connection.request("POST", f"/{stream}", body=content.encode(), headers=headers)
                response = connection.getresponse()
                body = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                if attempt == 1:
                    raise
        if response.status == 201:
            record = json.loads(body)
            results.append((stream, 201, record["index"], record["hash"], content))
        else:
            results.append((stream, response.status, None, None, body[:200].decode(errors="replace")))
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.close()
    return results


_start = None  # the race's barrier, inherited by the forked worker processes


def _keep_barrier(barrier):
    global _start
    _start = barrier


def race(jobs):
    """Run append_many(*job) for each job in its own process. Every process opens its
    connection, then waits on one barrier: the first requests are released together, never by
    a clock. A process that does not reach the barrier in 30 s breaks it and fails the race."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(jobs), timeout=30)
    with concurrent.futures.ProcessPoolExecutor(len(jobs), mp_context=context,
                                                initializer=_keep_barrier,
                                                initargs=(barrier,)) as pool:
        futures = [pool.submit(append_many, *job) for job in jobs]
        return [future.result() for future in futures]


class RacingAppendsTest(unittest.TestCase):
    def assertChain(self, pod, stream, auth_id, expected_count, written):
        records = list_all(pod, stream, auth_id)
        self.assertEqual([r["index"] for r in records], list(range(expected_count)))
        check_chain(self, records)
        by_index = {r["index"]: r for r in records}
        for _, _, index, record_hash, content in written:
            self.assertEqual(by_index[index]["hash"], record_hash)
            self.assertEqual(by_index[index]["content"], content)

    def test_eight_processes_append_800_records_to_one_stream(self):
        owner = new_user("race-owner")
        pod = new_pod("race")
        jwt = token(owner, pod)
        # The pod exists before the race; the raced stream is created by whichever append
        # comes first. All processes write as the owner (only the owner creates streams; 801
        # writes stay under the hourly write limit of 1000).
        answer = request("POST", "/setup", host=pod_host(pod), body="x", token=jwt)
        self.assertEqual(answer.status, 201, answer)
        jobs = [(harness.STACK.http_port, pod_host(pod), jwt, ["race"], 100, f"p{n}")
                for n in range(PROCESSES)]
        results = race(jobs)
        flat = [item for result in results for item in result]
        failures = [item for item in flat if item[1] != 201]
        self.assertEqual(failures, [], f"{len(failures)} appends failed")
        self.assertEqual(len(flat), 800)
        indices = sorted(item[2] for item in flat)
        self.assertEqual(indices, list(range(800)))
        for result in results:  # each writer's own appends come out in its order
            own = [item[2] for item in result]
            self.assertEqual(own, sorted(own))
        self.assertChain(pod, "race", owner, 800, flat)

    def test_eight_processes_append_to_fifty_streams(self):
        owner = new_user("race-owner")
        pod = new_pod("race50")
        jwt = token(owner, pod)
        # Every process creates and appends to the same 50 streams, racing the creations too:
        # all processes use the owner's token (800 writes, 50 stream creations).
        streams = [f"s/{n:02d}" for n in range(50)]
        answer = request("POST", "/setup", host=pod_host(pod), body="x", token=jwt)
        self.assertEqual(answer.status, 201, answer)
        jobs = [(harness.STACK.http_port, pod_host(pod), jwt, streams[n:] + streams[:n], 100,
                 f"p{n}") for n in range(PROCESSES)]
        results = race(jobs)
        flat = [item for result in results for item in result]
        failures = [item for item in flat if item[1] != 201]
        self.assertEqual(failures, [], f"{len(failures)} appends failed")
        self.assertEqual(len(flat), 800)
        for stream in streams:
            with self.subTest(stream=stream):
                written = [item for item in flat if item[0] == stream]
                self.assertEqual(len(written), 16)
                self.assertEqual(sorted(item[2] for item in written), list(range(16)))
                self.assertChain(pod, stream, owner, 16, written)

    def test_racing_first_writes_of_one_owner_to_a_new_pod(self):
        owner = new_user("race-owner")
        pod = new_pod("race-new")
        jobs = [(harness.STACK.http_port, pod_host(pod), token(owner, pod), ["first"], 5,
                 f"p{n}") for n in range(PROCESSES)]
        results = race(jobs)
        flat = [item for result in results for item in result]
        self.assertEqual([item for item in flat if item[1] != 201], [])
        self.assertChain(pod, "first", owner, 40, flat)
        answer = harness.read(pod, "/.meta/owner", owner)
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.json()["total"], 1)
        self.assertEqual(answer.json()["records"][0]["content"],
                         {"owner": harness.user_id(owner)})

    def test_racing_first_writes_of_one_owner_to_new_streams_of_a_new_pod(self):
        owner = new_user("race-owner")
        pod = new_pod("race-new")
        jobs = [(harness.STACK.http_port, pod_host(pod), token(owner, pod), [f"own-{n}"], 3,
                 f"p{n}") for n in range(PROCESSES)]
        flat = [item for result in race(jobs) for item in result]
        self.assertEqual([item for item in flat if item[1] != 201], [])
        for n in range(PROCESSES):
            self.assertChain(pod, f"own-{n}", owner, 3,
                             [item for item in flat if item[0] == f"own-{n}"])
        answer = harness.read(pod, "/.meta/owner", owner)
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.json()["total"], 1)
        streams = harness.read(pod, "/.meta/streams", owner).json()["streams"]
        self.assertEqual(sorted(entry["stream_id"] for entry in streams),
                         [".meta/owner"] + [f"own-{n}" for n in range(PROCESSES)])

    def test_racing_writes_of_one_alias_one_wins(self):
        owner = new_user("race-owner")
        pod = new_pod("race-alias")
        jwt = token(owner, pod)
        answer = request("POST", "/aliased", host=pod_host(pod), body="x", token=jwt)
        self.assertEqual(answer.status, 201, answer)
        jobs = [(harness.STACK.http_port, pod_host(pod), jwt, ["aliased?alias=same"], 1,
                 f"p{n}") for n in range(PROCESSES)]
        results = race(jobs)
        statuses = sorted(result[0][1] for result in results)
        self.assertEqual(statuses, [201] + [409] * (PROCESSES - 1), results)
        # The refused writes left no gap: the next append is index 2.
        answer = request("POST", "/aliased", host=pod_host(pod), body="y", token=jwt)
        self.assertEqual(answer.json()["index"], 2)
        records = list_all(pod, "aliased", owner)
        self.assertEqual([r["alias"] for r in records], [None, "same", None])
        check_chain(self, records)

    def test_racing_users_to_create_one_pod_one_wins(self):
        pod = new_pod("race-claim")
        users = [new_user("claimant") for _ in range(PROCESSES)]
        # Each claims its own stream: once the pod exists only the winner may create streams.
        jobs = [(harness.STACK.http_port, pod_host(pod), token(user, pod), [f"mine-{n}"], 1,
                 f"p{n}") for n, user in enumerate(users)]
        results = race(jobs)
        statuses = [result[0][1] for result in results]
        self.assertEqual(sorted(statuses), [201] + [403] * (PROCESSES - 1), results)
        winner = users[statuses.index(201)]
        answer = harness.read(pod, "/.meta/owner?i=-1", winner)
        self.assertEqual(answer.status, 200, answer)
        n = statuses.index(201)
        answer = harness.read(pod, f"/mine-{n}")
        self.assertEqual(answer.json()["total"], 1)
        self.assertEqual(answer.json()["records"][0]["author"], winner)
        for other in range(PROCESSES):
            if other != n:
                self.assertEqual(harness.read(pod, f"/mine-{other}").error_code,
                                 "STREAM_NOT_FOUND")


if __name__ == "__main__":
    unittest.main()
