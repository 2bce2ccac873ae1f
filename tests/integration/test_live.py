"""Long polls and live streams (SPEC §11, issue 15): ?after=N&wait=S, text/event-stream with
Last-Event-ID, keepalives, `event: end` on a revocation or a deletion, records appended through
another supervisor ("host"), and live readers that take no accept thread. The keepalive, the
reader cap and the second host run on a second supervisor and nginx over the same database."""

import json
import os
import shutil
import signal
import socket
import threading
import time
import unittest

import harness
from harness import new_pod, new_user, pod_host, request, token, user_id, write

SECOND = None  # the second "host": its own supervisor and nginx on the main stack's database
SECOND_LIVE = {"keepaliveSeconds": 1, "pollMilliseconds": 20, "maxSubscribers": 3}


def setUpModule():
    global SECOND
    main = harness.STACK
    var = os.path.join(main.var, "live-second-host")
    shutil.rmtree(var, ignore_errors=True)
    os.makedirs(var)
    SECOND = harness.stack_module.Stack(
        var, http_port=harness.stack_module.free_port(),
        https_port=harness.stack_module.free_port(), build_dir=main.build,
        config_overrides={"server": dict(main.config["server"]), "auth": main.config["auth"],
                          "database": main.config["database"],
                          "checkpoint": main.config["checkpoint"], "workers": 1,
                          "threadsPerWorker": 4, "live": SECOND_LIVE})
    harness.OTHER_STACKS.append(SECOND)
    SECOND.write_config()
    SECOND.ensure_certificate()
    SECOND.start_workers()
    SECOND.start_nginx()


def tearDownModule():
    SECOND.stop()


class EventStream:
    """One text/event-stream reader on a raw socket, so that tests see each event as it comes,
    and when. Comments come back as {"comment": text}."""

    def __init__(self, pod, path, auth_id=None, headers=None, port=None):
        self.opened = time.monotonic()
        self.sock = socket.create_connection(("127.0.0.1", port or harness.STACK.http_port),
                                             timeout=10)
        lines = [f"GET {path} HTTP/1.1", f"Host: {pod_host(pod)}",
                 "Accept: text/event-stream"]
        if auth_id:
            lines.append(f"Authorization: Bearer {token(auth_id, pod)}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw = b""
        while b"\r\n\r\n" not in self.raw:
            piece = self.sock.recv(65536)
            if not piece:
                raise AssertionError(f"no response head: {self.raw!r}")
            self.raw += piece
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        self.head_at = time.monotonic()
        status_line, *header_lines = head.decode().split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {}
        for line in header_lines:
            name, value = line.split(":", 1)
            self.headers[name.strip().lower()] = value.strip()
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        self.text = b""  # decoded body not yet parsed into events
        self.ended = False  # the answer is complete (last chunk) or the connection closed
        self.complete = False  # the last chunk came: the answer ended as a whole
        self._decode()

    def body(self):
        """The whole body of an answer that is not an event stream (an error)."""
        length = int(self.headers.get("content-length", "-1"))
        while not self.ended and (len(self.text) < length if length >= 0 else
                                  not self.text.endswith(b"}")):
            if not self._receive(10):
                break
        return json.loads(self.text)

    def _receive(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            piece = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            piece = b""
        if not piece:
            self.ended = True
            return False
        self.raw += piece
        self._decode()
        return True

    def _decode(self):
        if not self.chunked:
            self.text += self.raw
            self.raw = b""
            return
        while True:
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.raw[:line_end].split(b";")[0], 16)
            if len(self.raw) < line_end + 2 + size + 2:
                return
            self.text += self.raw[line_end + 2:line_end + 2 + size]
            self.raw = self.raw[line_end + 4 + size:]
            if size == 0:
                self.ended = self.complete = True

    def next_event(self, timeout=5):
        """The next event or comment, or None when the stream ended or timeout passed."""
        deadline = time.monotonic() + timeout
        while b"\n\n" not in self.text:
            if self.ended or time.monotonic() >= deadline:
                return None
            self._receive(deadline - time.monotonic())
        block, self.text = self.text.split(b"\n\n", 1)
        event = {}
        for line in block.decode().split("\n"):
            if line.startswith(":"):
                event["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(":")
                event[name] = value[1:] if value.startswith(" ") else value
        return event

    def next_record_or_end(self, timeout=5):
        """The next `record` or `end` event, skipping comments; None as next_event."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next_event(max(0.0, deadline - time.monotonic()))
            if event is None or "comment" not in event:
                return event

    def records(self, count, timeout=5):
        """The indices and JSON of the next `count` records."""
        found = []
        for _ in range(count):
            event = self.next_record_or_end(timeout)
            assert event is not None and event.get("event") == "record", (found, event)
            found.append((int(event["id"]), json.loads(event["data"])))
        return found

    def wait_closed(self, timeout=3):
        deadline = time.monotonic() + timeout
        while not self.ended and time.monotonic() < deadline:
            self._receive(deadline - time.monotonic())
        return self.ended

    def close(self):
        self.sock.close()


def append(pod, stream, body, auth_id, port=None):
    answer = request("POST", f"/{stream}", host=pod_host(pod), body=body,
                     token=token(auth_id, pod), port=port)
    assert answer.status == 201, answer
    return answer.json()


def list_records(pod, stream, auth_id, query=""):
    answer = request("GET", f"/{stream}?limit=1000{query}", host=pod_host(pod),
                     token=token(auth_id, pod))
    assert answer.status == 200, answer
    return answer.json()["records"]


class EventStreamTest(unittest.TestCase):
    def setUp(self):
        self.pod, self.owner = new_pod("live"), new_user("owner")
        for n in range(5):
            append(self.pod, "feed", f"record {n}", self.owner)

    def test_head_comes_at_once_then_only_new_records(self):
        reader = EventStream(self.pod, "/feed", self.owner)
        try:
            self.assertEqual(reader.status, 200)
            self.assertEqual(reader.headers["content-type"], "text/event-stream")
            self.assertEqual(reader.headers["cache-control"], "no-store")
            self.assertLess(reader.head_at - reader.opened, 1.0)
            self.assertIsNone(reader.next_record_or_end(timeout=0.5))  # nothing old comes
            written = append(self.pod, "feed", {"n": 5, "nested": {"ok": True}}, self.owner)
            event = reader.next_record_or_end()
            self.assertEqual(event["event"], "record")
            self.assertEqual(event["id"], "5")
            data = json.loads(event["data"])
            self.assertEqual(data, list_records(self.pod, "feed", self.owner, "&after=4")[0])
            self.assertEqual(data["hash"], written["hash"])
            self.assertEqual(data["content"], {"n": 5, "nested": {"ok": True}})
        finally:
            reader.close()

    def test_after_and_last_event_id_choose_the_first_event(self):
        cases = [({}, "?after=1", [2, 3, 4]),
                 ({}, "?after=-2", [3, 4]),
                 ({"Last-Event-ID": "3"}, "", [4]),
                 ({"Last-Event-ID": "0"}, "?after=3", [1, 2, 3, 4])]  # the header wins
        for headers, query, expected in cases:
            reader = EventStream(self.pod, f"/feed{query}", self.owner, headers=headers)
            try:
                self.assertEqual(reader.status, 200, (headers, query))
                got = reader.records(len(expected))
                self.assertEqual([index for index, _ in got], expected, (headers, query))
                self.assertEqual([record["content"] for _, record in got],
                                 [f"record {n}" for n in expected])
            finally:
                reader.close()

    def test_a_multi_line_json_record_is_one_data_line(self):
        reader = EventStream(self.pod, "/feed", self.owner)
        try:
            request("POST", "/feed", host=pod_host(self.pod), token=token(self.owner, self.pod),
                    body='{\n  "a": [1,\r\n 2],\n  "b": "x y"\n}',
                    headers={"Content-Type": "application/json"})
            event = reader.next_record_or_end()
            self.assertEqual(json.loads(event["data"])["content"], {"a": [1, 2], "b": "x y"})
        finally:
            reader.close()

    def test_invalid_last_event_id_or_after_is_invalid_input(self):
        for headers, query in [({"Last-Event-ID": "abc"}, ""), ({"Last-Event-ID": "-1"}, ""),
                               ({"Last-Event-ID": "1.5"}, ""), ({"Last-Event-ID": "+2"}, ""),
                               ({}, "?after=x")]:
            reader = EventStream(self.pod, f"/feed{query}", self.owner, headers=headers)
            try:
                self.assertEqual(reader.status, 400, (headers, query))
                self.assertEqual(reader.body()["error"]["code"], "INVALID_INPUT")
            finally:
                reader.close()

    def test_a_reader_without_permission_gets_403_before_any_event(self):
        append(self.pod, "secret", "x", self.owner)
        request("POST", "/secret2?access=private", host=pod_host(self.pod),
                token=token(self.owner, self.pod), body="x")
        reader = EventStream(self.pod, "/secret2", new_user("stranger"))
        try:
            self.assertEqual(reader.status, 403)
            self.assertEqual(reader.body()["error"]["code"], "FORBIDDEN")
        finally:
            reader.close()

    def test_resuming_with_last_event_id_misses_nothing_and_repeats_nothing(self):
        total = 60
        writer = threading.Thread(
            target=lambda: [append(self.pod, "feed", f"record {n}", self.owner)
                            for n in range(5, total)])
        seen = []
        reader = EventStream(self.pod, "/feed?after=-1", self.owner)  # from record 4 on
        writer.start()
        try:
            while len(seen) < total - 4:
                # Read a few events, drop the connection, come back where we left off.
                for _ in range(7):
                    event = reader.next_record_or_end()
                    self.assertIsNotNone(event, seen)
                    seen.append((int(event["id"]), json.loads(event["data"])["content"]))
                    if len(seen) == total - 4:
                        break
                reader.close()
                reader = EventStream(self.pod, "/feed", self.owner,
                                     headers={"Last-Event-ID": str(seen[-1][0])})
        finally:
            reader.close()
            writer.join()
        self.assertEqual([index for index, _ in seen], list(range(4, total)))
        self.assertEqual([content for _, content in seen],
                         [f"record {n}" for n in range(4, total)])


class EndTest(unittest.TestCase):
    """`event: end` within 2 s of the reader losing permission or of the stream's deletion."""

    def setUp(self):
        self.pod, self.owner, self.guest = new_pod("end"), new_user("owner"), new_user("guest")

    def expect_end(self, reader, reason, since):
        event = reader.next_record_or_end(timeout=3)
        elapsed = time.monotonic() - since
        self.assertIsNotNone(event, "no end event")
        self.assertEqual(event.get("event"), "end", event)
        self.assertEqual(json.loads(event["data"]), {"reason": reason})
        self.assertLess(elapsed, 2.0)
        self.assertTrue(reader.wait_closed(), "the stream stays open after its end")
        self.assertTrue(reader.complete, "the stream was cut rather than ended")

    def test_revoked_reader_ends_forbidden_and_others_go_on(self):
        append(self.pod, "members", {"id": self.guest, "read": True, "write": False}, self.owner)
        request("POST", "/club?access=/members", host=pod_host(self.pod),
                token=token(self.owner, self.pod), body="first")
        guest = EventStream(self.pod, "/club", self.guest)
        creator = EventStream(self.pod, "/club", self.owner)
        try:
            self.assertEqual((guest.status, creator.status), (200, 200))
            append(self.pod, "club", "second", self.owner)
            self.assertEqual(guest.records(1)[0][0], 1)
            self.assertEqual(creator.records(1)[0][0], 1)
            append(self.pod, "members", {"id": self.guest, "read": False, "write": False},
                   self.owner)
            self.expect_end(guest, "forbidden", time.monotonic())
            append(self.pod, "club", "third", self.owner)
            self.assertEqual(creator.records(1)[0][0], 2)  # the creator still reads
        finally:
            guest.close()
            creator.close()

    def test_deleting_the_allow_list_ends_its_grantees(self):
        append(self.pod, "guests", {"id": self.guest, "read": True, "write": False}, self.owner)
        request("POST", "/party?access=/guests", host=pod_host(self.pod),
                token=token(self.owner, self.pod), body="first")
        guest = EventStream(self.pod, "/party", self.guest)
        try:
            self.assertEqual(guest.status, 200)
            started = time.monotonic()
            self.assertEqual(request("DELETE", "/guests", host=pod_host(self.pod),
                                     token=token(self.owner, self.pod)).status, 204)
            self.expect_end(guest, "forbidden", started)
        finally:
            guest.close()

    def test_transfer_ends_the_former_owner_on_a_system_stream(self):
        append(self.pod, "home", "x", self.owner)
        append(self.pod, ".meta/links", {"/": "home"}, self.owner)
        reader = EventStream(self.pod, "/.meta/links", self.owner)
        try:
            self.assertEqual(reader.status, 200)
            append(self.pod, ".meta/owner", {"owner": user_id(self.guest)}, self.owner)
            self.expect_end(reader, "forbidden", time.monotonic())
        finally:
            reader.close()

    def test_deleting_the_stream_ends_deleted(self):
        append(self.pod, "doomed", "x", self.owner)
        reader = EventStream(self.pod, "/doomed", self.owner)
        try:
            started = time.monotonic()
            answer = request("DELETE", "/doomed", host=pod_host(self.pod),
                             token=token(self.owner, self.pod))
            self.assertEqual(answer.status, 204)
            self.expect_end(reader, "deleted", started)
        finally:
            reader.close()

    def test_deleting_the_pod_ends_deleted(self):
        append(self.pod, "doomed", "x", self.owner)
        reader = EventStream(self.pod, "/doomed", None)
        try:
            started = time.monotonic()
            answer = request("DELETE", "/", host=pod_host(self.pod),
                             token=token(self.owner, self.pod))
            self.assertEqual(answer.status, 204)
            self.expect_end(reader, "deleted", started)
        finally:
            reader.close()


class LongPollTest(unittest.TestCase):
    def setUp(self):
        self.pod, self.owner = new_pod("poll"), new_user("owner")
        self.host = pod_host(self.pod)
        append(self.pod, "log", "zero", self.owner)

    def get(self, path):
        return request("GET", path, host=self.host, token=token(self.owner, self.pod))

    def test_an_append_from_another_connection_answers_early(self):
        result = {}

        def poll():
            started = time.monotonic()
            result["answer"] = self.get("/log?after=0&wait=10")
            result["elapsed"] = time.monotonic() - started

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.5)
        append(self.pod, "log", "one", self.owner)
        poller.join()
        answer = result["answer"]
        self.assertEqual(answer.status, 200, answer)
        body = answer.json()
        self.assertEqual([r["content"] for r in body["records"]], ["one"])
        self.assertEqual((body["total"], body["has_more"], body["next_index"]), (2, False, 1))
        self.assertGreater(result["elapsed"], 0.4)
        self.assertLess(result["elapsed"], 3.0)

    def test_records_already_there_answer_at_once(self):
        started = time.monotonic()
        answer = self.get("/log?after=-1&wait=30")
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual([r["content"] for r in answer.json()["records"]], ["zero"])

    def test_nothing_within_wait_answers_an_empty_list(self):
        started = time.monotonic()
        answer = self.get("/log?after=0&wait=1")
        elapsed = time.monotonic() - started
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.json(),
                         {"records": [], "total": 1, "has_more": False, "next_index": None})
        self.assertGreater(elapsed, 0.9)
        self.assertLess(elapsed, 3.0)

    def test_wait_must_be_an_integer_from_1_to_30(self):
        for wait in ["0", "31", "-1", "1.5", "x", ""]:
            answer = self.get(f"/log?after=0&wait={wait}")
            self.assertEqual(answer.status, 400, wait)
            self.assertEqual(answer.error_code, "INVALID_INPUT", wait)

    def test_deleting_the_stream_answers_a_waiting_poll_404(self):
        result = {}
        poller = threading.Thread(
            target=lambda: result.setdefault("answer", self.get("/log?after=0&wait=10")))
        poller.start()
        time.sleep(0.5)
        started = time.monotonic()
        self.assertEqual(request("DELETE", "/log", host=self.host,
                                 token=token(self.owner, self.pod)).status, 204)
        poller.join()
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual(result["answer"].status, 404)
        self.assertEqual(result["answer"].error_code, "STREAM_NOT_FOUND")


class NoAcceptThreadTest(unittest.TestCase):
    """Live readers beyond workers × threadsPerWorker (2 × 8 in the suite) leave every accept
    thread free for other requests."""

    def test_many_event_streams_and_long_polls_leave_the_pool_free(self):
        pod, owner = new_pod("many"), new_user("owner")
        append(pod, "wide", "zero", owner)
        threads = harness.STACK.config["workers"] * harness.STACK.config["threadsPerWorker"]
        readers = [EventStream(pod, "/wide", owner) for _ in range(3 * threads)]
        polls = {}

        def poll(n):
            polls[n] = request("GET", "/wide?after=0&wait=20", host=pod_host(pod),
                               token=token(owner, pod))

        pollers = [threading.Thread(target=poll, args=(n,)) for n in range(2 * threads)]
        try:
            for poller in pollers:
                poller.start()
            time.sleep(1.0)  # every poll is waiting now
            self.assertEqual({reader.status for reader in readers}, {200})
            self.assertEqual(polls, {})
            started = time.monotonic()
            answer = request("GET", "/wide?i=0", host=pod_host(pod), token=token(owner, pod))
            self.assertEqual(answer.status, 200)
            self.assertLess(time.monotonic() - started, 1.0)
            append(pod, "wide", "one", owner)
            for poller in pollers:
                poller.join(timeout=5)
            self.assertEqual(len(polls), len(pollers))
            self.assertEqual({len(answer.json()["records"]) for answer in polls.values()}, {1})
            for reader in readers:
                self.assertEqual(reader.records(1)[0][1]["content"], "one")
        finally:
            for reader in readers:
                reader.close()


class SecondHostTest(unittest.TestCase):
    """A second supervisor and nginx on the same database: another host, as far as the workers
    can tell."""

    def test_a_record_appended_on_one_host_reaches_readers_on_the_other(self):
        pod, owner = new_pod("hosts"), new_user("owner")
        append(pod, "shared", "zero", owner)
        here = EventStream(pod, "/shared", owner)
        there = EventStream(pod, "/shared", owner, port=SECOND.http_port)
        try:
            self.assertEqual((here.status, there.status), (200, 200))
            append(pod, "shared", "from the second host", owner, port=SECOND.http_port)
            append(pod, "shared", "from the first host", owner)
            for reader in (here, there):
                self.assertEqual([(index, record["content"]) for index, record in
                                  reader.records(2)],
                                 [(1, "from the second host"), (2, "from the first host")])
        finally:
            here.close()
            there.close()

    def test_a_silent_stream_gets_keepalives(self):
        pod, owner = new_pod("quiet"), new_user("owner")
        append(pod, "quiet", "zero", owner)
        reader = EventStream(pod, "/quiet", owner, port=SECOND.http_port)
        try:
            started = time.monotonic()
            comments = []
            while len(comments) < 2:
                event = reader.next_event(timeout=3)
                self.assertIsNotNone(event)
                comments.append((time.monotonic() - started, event.get("comment")))
            self.assertEqual([comment for _, comment in comments], ["keepalive", "keepalive"])
            # keepaliveSeconds is 1 on the second host: two within about two seconds.
            self.assertLess(comments[-1][0], 2 * SECOND_LIVE["keepaliveSeconds"] + 1.0)
        finally:
            reader.close()

    def test_a_reload_ends_live_reads_cleanly_and_readers_resume(self):
        pod, owner = new_pod("reload"), new_user("owner")
        append(pod, "steady", "zero", owner)
        reader = EventStream(pod, "/steady", owner, port=SECOND.http_port)
        result = {}
        poller = threading.Thread(target=lambda: result.setdefault("answer", request(
            "GET", "/steady?after=0&wait=25", host=pod_host(pod), token=token(owner, pod),
            port=SECOND.http_port)))
        try:
            self.assertEqual(reader.status, 200)
            poller.start()
            time.sleep(0.5)
            started = time.monotonic()
            os.kill(SECOND.processes["workers"].pid, signal.SIGHUP)
            # The old generation drains: its stream ends with the last chunk of a whole
            # answer, its long poll answers with what there is.
            self.assertTrue(reader.wait_closed(timeout=10))
            self.assertTrue(reader.complete)
            poller.join(timeout=10)
            self.assertLess(time.monotonic() - started, 10)
            self.assertEqual(result["answer"].status, 200)
            self.assertEqual(result["answer"].json()["records"], [])
            append(pod, "steady", "one", owner)
            again = EventStream(pod, "/steady", owner, port=SECOND.http_port,
                                headers={"Last-Event-ID": "0"})
            try:
                self.assertEqual([(i, r["content"]) for i, r in again.records(1)], [(1, "one")])
            finally:
                again.close()
        finally:
            reader.close()

    def test_readers_past_max_subscribers_get_503(self):
        pod, owner = new_pod("full"), new_user("owner")
        append(pod, "full", "zero", owner)
        limit = SECOND_LIVE["maxSubscribers"]
        # The hub counts a reader until it has seen its connection close: readers of the tests
        # before may take a moment to be let go.
        for _ in range(50):
            readers = [EventStream(pod, "/full", owner, port=SECOND.http_port)
                       for _ in range(limit + 1)]
            statuses = [reader.status for reader in readers]
            body = readers[-1].body() if statuses[-1] == 503 else None
            for reader in readers:
                reader.close()
            if statuses[:limit] == [200] * limit:
                break
            time.sleep(0.1)
        self.assertEqual(statuses, [200] * limit + [503])
        self.assertEqual(body["error"]["code"], "UNAVAILABLE")


if __name__ == "__main__":
    unittest.main()
