"""A streamed answer that fails halfway (SPEC §10): lists go to the client while PostgreSQL hands
over their rows, so once the first bytes are out a failure cannot become the JSON error
envelope. It must then never look complete: the worker shuts the connection without FastCGI's
end record, so the answer stops inside its JSON text. (nginx 1.22, buffering the answer, still
ends its chunked encoding normally, so the transport alone cannot tell; the JSON can: a
truncated answer never parses.) Here the database backend serving a long list is terminated
while the answer streams. On a stack of its own with a
response budget of 512 MiB, so one answer carries 300 records of 1 MiB and takes long enough to
be interrupted."""

import http.client
import json
import threading
import time
import unittest

import harness
from test_memory import EXTEND_CHAIN

MIB = 1 << 20
RECORDS = 300
STACK = None


def setUpModule():
    global STACK
    STACK = harness.start_side_stack(
        "cut-short", {"workers": 1, "threadsPerWorker": 2, "server": {"maxResponseSize": 512 * MIB}})


def tearDownModule():
    harness.stop_side_stack(STACK)


# The backend that runs the list's statement (app/store/records.cpp, kRecordRangeWithin).
STREAMING_BACKEND = ("SELECT pid FROM pg_stat_activity WHERE datname = 'webpods' "
                     "AND state = 'active' AND query LIKE '%content_upto%' "
                     "AND pid <> pg_backend_pid()")


class CutShortTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pod, owner = harness.new_pod("cut"), harness.new_user("cut")
        first = harness.request("POST", "/long", host=harness.pod_host(cls.pod),
                                body=b"c" * MIB, headers={"Content-Type": "text/plain"},
                                token=STACK.token(owner, pod=cls.pod), port=STACK.http_port)
        assert first.status == 201, first
        STACK.psql(EXTEND_CHAIN.format(pod=cls.pod, stream="long", last=RECORDS - 1),
                   database="webpods")

    def list_long(self):
        """(status, body read, error) of one list of every record."""
        connection = http.client.HTTPConnection("127.0.0.1", STACK.http_port, timeout=60)
        try:
            connection.request("GET", "/long?limit=1000",
                               headers={"Host": harness.pod_host(self.pod)})
            response = connection.getresponse()
            try:
                return response.status, response.read(), None
            except (http.client.IncompleteRead, ConnectionError) as error:
                return response.status, b"", error
        finally:
            connection.close()

    def test_a_whole_answer_first(self):
        status, body, error = self.list_long()
        self.assertIsNone(error)
        self.assertEqual(status, 200)
        records = json.loads(body)["records"]
        self.assertEqual(len(records), RECORDS)
        self.assertEqual(records[-1]["index"], RECORDS - 1)

    def test_an_answer_cut_halfway_never_looks_complete(self):
        # Up to five tries: a try whose answer finished before its backend was found proves
        # nothing and is repeated.
        for attempt in range(5):
            outcome = {}
            reader = threading.Thread(target=lambda: outcome.update(answer=self.list_long()))
            reader.start()
            terminated = False
            while reader.is_alive() and not terminated:
                pids = STACK.psql(STREAMING_BACKEND, database="webpods").split()
                for pid in pids:
                    STACK.psql(f"SELECT pg_terminate_backend({int(pid)})", database="webpods")
                    terminated = True
            reader.join()
            status, body, error = outcome["answer"]
            if terminated:
                break
        self.assertTrue(terminated, "the list finished every time before it could be cut")
        self.assertEqual(status, 200)  # the head went out before the failure
        if error is None:  # the transport ended normally: the text must give the cut away
            with self.assertRaises(ValueError, msg="a cut answer parsed as whole JSON"):
                json.loads(body)
            self.assertLess(len(body), RECORDS * MIB)
        # The worker noted it, and serves the next request on a fresh database connection.
        deadline = time.time() + 5
        while True:
            with open(STACK.worker_log, errors="replace") as log:
                if "answer cut short" in log.read():
                    break
            self.assertLess(time.time(), deadline, "no 'answer cut short' in the worker log")
            time.sleep(0.1)
        status, body, error = self.list_long()
        self.assertIsNone(error)
        self.assertEqual((status, len(json.loads(body)["records"])), (200, RECORDS))


if __name__ == "__main__":
    unittest.main()
