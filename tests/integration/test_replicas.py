"""Read replicas (SPEC §14): a stack of its own with one hot standby (pg_basebackup -R). Never
stale: with the standby's replay paused, every answer is still the primary's; the standby really
serves; a standby stopped with SIGSTOP costs a read at most replicaTimeout and never its answer."""

import json
import signal
import time
import unittest

import harness
from test_verifiable import (leaf_data, leaf_hash, mth, unb64, verify_consistency,
                             verify_inclusion)

REPLICA_TIMEOUT = 1  # database.replicaTimeout, seconds
BIG = 6000  # bytes: above the 4 KiB a single record may ride along with the decision
STACK = None


def setUpModule():
    global STACK
    STACK = harness.start_side_stack(
        "replicas", {"workers": 2, "threadsPerWorker": 8,
                     "database": {"replicaTimeout": REPLICA_TIMEOUT}}, replicas=1)


def tearDownModule():
    harness.stop_side_stack(STACK)


def call(method, path, pod, auth_id=None, body=None, headers=None, connection=None):
    bearer = STACK.token(auth_id, pod=pod) if auth_id else None
    return harness.request(method, path, host=harness.pod_host(pod), body=body, token=bearer,
                           headers=headers, port=STACK.http_port, connection=connection)


def write(pod, stream, body, auth_id, query=""):
    answer = call("POST", f"/{stream}{query}", pod, auth_id, body=body)
    assert answer.status == 201, answer
    return answer


def read(pod, path, auth_id=None):
    return call("GET", path, pod, auth_id)


def health():
    answer = harness.request("GET", "/health", port=STACK.http_port)
    assert answer.status == 200, answer
    return answer.json()


def big(tag):
    """A record of BIG bytes that names tag at its start."""
    head = f"{tag}:"
    return head + "x" * (BIG - len(head))


def primary_sql(sql):
    return STACK.psql(sql, database="webpods").strip()


def replica_sql(sql):
    return STACK.replica_psql(1, sql).strip()


def replica_records(pod, stream):
    """How many records of pod/stream the standby has replayed."""
    return int(replica_sql(
        "SELECT count(*) FROM record r JOIN stream s ON s.id = r.stream_id "
        f"JOIN pod p ON p.id = s.pod_id WHERE p.name = '{pod}' AND s.name = '{stream}'"))


def wait_for_replay(timeout=30):
    """Until the standby has replayed everything the primary wrote so far."""
    target = primary_sql("SELECT pg_current_wal_lsn()")
    deadline = time.time() + timeout
    while time.time() < deadline:
        replayed = replica_sql("SELECT pg_last_wal_replay_lsn()")
        if primary_sql(f"SELECT pg_wal_lsn_diff('{replayed}', '{target}') >= 0") == "t":
            return
        time.sleep(0.05)
    raise AssertionError(f"the standby did not replay up to {target} in {timeout}s")


def pause_replay():
    replica_sql("SELECT pg_wal_replay_pause()")
    deadline = time.time() + 10
    while replica_sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
        if time.time() > deadline:
            raise AssertionError("replay did not pause")
        time.sleep(0.05)


def resume_replay():
    replica_sql("SELECT pg_wal_replay_resume()")


def replica_tuples_fetched():
    """The standby's own count of rows its queries fetched through indexes (pg_stat_database)."""
    return int(replica_sql(
        "SELECT tup_fetched FROM pg_stat_database WHERE datname = 'webpods'"))


def replica_record_index_scans():
    """The standby's own count of index scans of the record table (pg_stat_user_tables)."""
    return int(replica_sql(
        "SELECT coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'record'"))


def contents(listing):
    return [record["content"] for record in listing["records"]]


class PausedReplayTest(unittest.TestCase):
    """Replay paused on the standby: it serves what it has, the primary the rest, in the same
    answer; every decision is the primary's from the next request on."""

    def setUp(self):
        self.pod, self.alice, self.bob = harness.new_pod(), harness.new_user(), harness.new_user()

    def tearDown(self):
        resume_replay()

    def test_appends_are_read_at_once_by_index_range_and_list(self):
        expected = []
        for i in range(4):
            expected.append(big(f"old{i}") if i % 2 else f"old {i}")
            write(self.pod, "log", expected[-1], self.alice)
        wait_for_replay()
        pause_replay()
        for i in range(4):
            expected.append(big(f"new{i}") if i % 2 else f"new {i}")
            write(self.pod, "log", expected[-1], self.alice)
            # Read your writes, at once: by index (small ones with the decision, big ones
            # through the standby, which lacks them), from the end, as a list and a range.
            index = len(expected) - 1
            self.assertEqual(read(self.pod, f"/log?i={index}").body.decode(), expected[-1])
            self.assertEqual(read(self.pod, "/log?i=-1").body.decode(), expected[-1])
            self.assertEqual(contents(read(self.pod, "/log").json()), expected)
            self.assertEqual(contents(read(self.pod, f"/log?i=0:{index + 1}").json()), expected)
        self.assertEqual(replica_records(self.pod, "log"), 4)  # the standby has the old four
        for index, content in enumerate(expected):
            self.assertEqual(read(self.pod, f"/log?i={index}").body.decode(), content)
        self.assertEqual(contents(read(self.pod, "/log?after=2&limit=3").json()), expected[3:6])
        self.assertEqual(contents(read(self.pod, "/log?after=-3").json()), expected[-3:])
        self.assertEqual(contents(read(self.pod, "/log?i=3:6").json()), expected[3:6])
        self.assertEqual(contents(read(self.pod, "/log?i=-5:-1").json()), expected[-5:-1])
        replica = health()["replicas"][0]
        self.assertEqual(replica["state"], "ok")
        self.assertGreater(replica["lag_bytes"], 0)

    def test_a_revocation_holds_from_the_next_request(self):
        write(self.pod, "members", {"id": self.bob, "read": True, "write": False}, self.alice)
        write(self.pod, "secret", big("secret 0"), self.alice, "?access=/members")
        write(self.pod, "secret", "secret 1", self.alice)
        self.assertEqual(read(self.pod, "/secret?i=0", self.bob).status, 200)
        wait_for_replay()
        pause_replay()
        write(self.pod, "members", {"id": self.bob, "read": False, "write": False}, self.alice)
        for path in ["/secret?i=0", "/secret?i=1", "/secret", "/secret?i=0:2"]:
            self.assertEqual(read(self.pod, path, self.bob).status, 403, path)
        self.assertEqual(read(self.pod, "/secret?i=0", self.alice).body.decode(),
                         big("secret 0"))
        # And a grant, too.
        write(self.pod, "members", {"id": self.bob, "read": True, "write": False}, self.alice)
        self.assertEqual(contents(read(self.pod, "/secret", self.bob).json()),
                         [big("secret 0"), "secret 1"])

    def test_a_deleted_stream_is_gone_from_the_next_request(self):
        write(self.pod, "doomed", big("doomed 0"), self.alice)
        write(self.pod, "doomed", "doomed 1", self.alice)
        wait_for_replay()
        pause_replay()
        self.assertEqual(call("DELETE", "/doomed", self.pod, self.alice).status, 204)
        for path in ["/doomed?i=0", "/doomed?i=1", "/doomed", "/doomed?i=0:2"]:
            answer = read(self.pod, path)
            self.assertEqual((answer.status, answer.error_code), (404, "STREAM_NOT_FOUND"), path)

    def test_a_stream_recreated_under_the_same_name_is_another_stream(self):
        write(self.pod, "reborn", big("first life 0"), self.alice)
        write(self.pod, "reborn", "first life 1", self.alice)
        write(self.pod, "reborn", "first life 2", self.alice)
        wait_for_replay()
        pause_replay()
        self.assertEqual(call("DELETE", "/reborn", self.pod, self.alice).status, 204)
        write(self.pod, "reborn", big("second life 0"), self.alice)
        write(self.pod, "reborn", "second life 1", self.alice)
        # The standby still holds the old stream's records at these indices: never served.
        self.assertEqual(replica_records(self.pod, "reborn"), 3)
        self.assertEqual(read(self.pod, "/reborn?i=0").body.decode(), big("second life 0"))
        self.assertEqual(read(self.pod, "/reborn?i=1").body.decode(), "second life 1")
        self.assertEqual(read(self.pod, "/reborn?i=2").error_code, "RECORD_NOT_FOUND")
        listing = read(self.pod, "/reborn").json()
        self.assertEqual(contents(listing), [big("second life 0"), "second life 1"])
        self.assertEqual(listing["total"], 2)
        self.assertEqual(contents(read(self.pod, "/reborn?i=0:3").json()),
                         [big("second life 0"), "second life 1"])

    def test_an_ownership_transfer_holds_from_the_next_request(self):
        write(self.pod, "notes", "by alice", self.alice)
        wait_for_replay()
        pause_replay()
        answer = write(self.pod, ".meta/owner", {"owner": harness_user_id(self.bob)}, self.alice)
        self.assertEqual(answer.json(), {"success": True})
        self.assertEqual(read(self.pod, "/.meta/owner?i=-1", self.bob).json(),
                         {"owner": harness_user_id(self.bob)})
        self.assertEqual(read(self.pod, "/.meta/owner?i=-1", self.alice).status, 403)
        self.assertEqual(call("POST", "/fresh", self.pod, self.alice, body="x").status, 403)
        write(self.pod, "fresh", "by bob", self.bob)
        self.assertEqual(contents(read(self.pod, "/fresh").json()), ["by bob"])

    def test_a_new_link_holds_from_the_next_request(self):
        write(self.pod, "home", big("home 0"), self.alice)
        write(self.pod, "about", "about 0", self.alice)
        write(self.pod, ".meta/links", {"/": "home?i=-1"}, self.alice)
        self.assertEqual(read(self.pod, "/").body.decode(), big("home 0"))
        wait_for_replay()
        pause_replay()
        write(self.pod, "home", big("home 1"), self.alice)
        self.assertEqual(read(self.pod, "/").body.decode(), big("home 1"))
        write(self.pod, ".meta/links", {"/": "about?i=-1", "/old": "home?i=0"}, self.alice)
        self.assertEqual(read(self.pod, "/").body.decode(), "about 0")
        self.assertEqual(read(self.pod, "/old").body.decode(), big("home 0"))

    def test_proofs_of_records_the_standby_lacks_are_whole(self):
        # 11 records replayed, 6 more that the standby lacks: every proof mixes nodes the
        # standby serves with the newest ones only the primary has.
        for i in range(11):
            write(self.pod, "tree", f"old {i}", self.alice)
        wait_for_replay()
        pause_replay()
        for i in range(6):
            write(self.pod, "tree", f"new {i}", self.alice)
        leaves = [leaf_data(record) for record in read(self.pod, "/tree").json()["records"]]
        self.assertEqual(len(leaves), 17)
        self.assertEqual(replica_records(self.pod, "tree"), 11)
        for size in (11, 12, 16, 17):
            for index in range(size):
                body = read(self.pod, f"/tree?proof=inclusion&i={index}&size={size}").json()
                root = unb64(body["root"])
                self.assertEqual(root, mth(leaves[:size]), f"{index} in {size}")
                self.assertTrue(verify_inclusion(index, size, leaf_hash(leaves[index]),
                                                 [unb64(p) for p in body["proof"]], root))
                self.assertEqual(unb64(body["leaf"]), leaves[index])
        for first in (1, 5, 11, 12, 16):
            body = read(self.pod, f"/tree?proof=consistency&from={first}&size=17").json()
            self.assertTrue(verify_consistency(first, 17, mth(leaves[:first]), mth(leaves),
                                               [unb64(p) for p in body["proof"]]), first)

    def test_replay_resumes_and_the_standby_catches_up(self):
        wait_for_replay()
        pause_replay()
        for i in range(5):
            write(self.pod, "later", f"later {i}", self.alice)
        self.assertEqual(replica_records(self.pod, "later"), 0)
        resume_replay()
        wait_for_replay()
        self.assertEqual(replica_records(self.pod, "later"), 5)
        self.assertEqual(contents(read(self.pod, "/later").json()),
                         [f"later {i}" for i in range(5)])
        deadline = time.time() + 15
        while health()["replicas"][0]["lag_bytes"] > 1 << 20:  # idle WAL aside, caught up
            self.assertLess(time.time(), deadline)
            time.sleep(0.2)


def harness_user_id(auth_id):
    """The uuid of a user of this stack, read from its token's payload."""
    import base64
    payload = STACK.token(auth_id).split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))["user_id"]


class ReplicaServesTest(unittest.TestCase):
    def test_reads_of_records_raise_the_standbys_own_counters(self):
        pod, alice = harness.new_pod(), harness.new_user()
        for i in range(100):
            write(pod, "feed", f"entry {i} " + "y" * 1000, alice)
        wait_for_replay()
        before = replica_tuples_fetched()
        for _ in range(20):
            listing = read(pod, "/feed").json()
            self.assertEqual(len(listing["records"]), 100)
        # Statistics reach pg_stat_database when a backend goes idle, within 10 s (PostgreSQL's
        # PGSTAT_IDLE_INTERVAL).
        deadline = time.time() + 15
        while replica_tuples_fetched() - before < 2000:
            self.assertLess(time.time(), deadline, "the standby fetched too few rows")
            time.sleep(0.5)
        self.assertEqual(health()["replicas"][0]["state"], "ok")


    def test_proofs_read_their_nodes_from_the_standby(self):
        pod, alice = harness.new_pod(), harness.new_user()
        for i in range(64):
            write(pod, "tree", f"leaf {i}", alice)
        wait_for_replay()
        before = replica_record_index_scans()
        for index in range(64):
            body = read(pod, f"/tree?proof=inclusion&i={index}").json()
            self.assertEqual(len(body["proof"]), 6)
        # Each proof probes the record table's index on the standby (its nodes and its leaf);
        # nothing else in this test reads records.
        deadline = time.time() + 15
        while replica_record_index_scans() - before < 64:
            self.assertLess(time.time(), deadline, "the standby served too few proofs")
            time.sleep(0.5)

class StoppedReplicaTest(unittest.TestCase):
    """SIGSTOP on every process of the standby: a hang no server-side timeout can end."""

    READERS = 8

    def setUp(self):
        self.pod, alice = harness.new_pod(), harness.new_user()
        self.expected = [f"record {i} " + "z" * 1000 for i in range(40)]
        self.expected.append(big("last"))
        for content in self.expected:
            write(self.pod, "stream", content, alice)
        wait_for_replay()

    def tearDown(self):
        STACK.signal_replica(1, signal.SIGCONT)

    def read_for(self, seconds):
        """READERS clients reading lists, ranges and the big record for `seconds` each; every
        answer is checked. Returns the duration of each read."""
        expected = self.expected

        def send(connection, n):
            durations = []
            stop = time.time() + seconds
            while time.time() < stop:
                for path, check in [
                    ("/stream", lambda a: contents(a.json()) == expected),
                    ("/stream?i=10:20", lambda a: contents(a.json()) == expected[10:20]),
                    (f"/stream?i={len(expected) - 1}", lambda a: a.body.decode() == expected[-1]),
                ]:
                    started = time.time()
                    answer = call("GET", path, self.pod, connection=connection)
                    durations.append(time.time() - started)
                    if answer.status != 200 or not check(answer):
                        raise AssertionError(f"reader {n}: {path} answered {answer}")
            return durations

        return [d for durations in harness.together(self.READERS, send, port=STACK.http_port)
                for d in durations]

    def test_a_stopped_standby_costs_at_most_the_timeout_and_is_used_again(self):
        before = max(self.read_for(2))
        STACK.signal_replica(1, signal.SIGSTOP)
        stopped_at = time.time()
        during = self.read_for(4)
        self.assertLessEqual(max(during), before + REPLICA_TIMEOUT + 1,
                             f"slowest read {max(during):.2f}s, {before:.2f}s before")
        replica = health()["replicas"][0]
        self.assertEqual((replica["state"], replica["lag_bytes"]), ("down", None))
        STACK.signal_replica(1, signal.SIGCONT)
        resumed_at = time.time()
        # Each worker leaves the standby alone for 10 s after its failure, then uses it again:
        # record reads reach its backends (pg_stat_activity shows when each query started).
        deadline = resumed_at + 15
        while True:
            self.assertEqual(contents(read(self.pod, "/stream").json()), self.expected)
            started = replica_sql(
                "SELECT coalesce(max(extract(epoch FROM query_start)), 0) FROM pg_stat_activity "
                "WHERE application_name = 'webpods' AND query LIKE '%record_row%'")
            if float(started) > resumed_at:
                break
            self.assertLess(time.time(), deadline, "the standby was not used again within 15 s")
            time.sleep(0.2)
        self.assertLess(time.time() - stopped_at, 30)
        deadline = time.time() + 15
        while health()["replicas"][0]["state"] != "ok":
            self.assertLess(time.time(), deadline)
            time.sleep(0.5)


if __name__ == "__main__":
    unittest.main()
