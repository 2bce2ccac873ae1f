"""SPEC §11 conditional and idempotent appends, through nginx: If-Match / If-None-Match decided
in the append's own atomic step (412 with the head), Idempotency-Key replays (201 with the
original record, Idempotent-Replayed) and reuse (422), and racing writers with the same
condition or the same key."""

import unittest

import harness
from harness import new_pod, new_user, pod_host, request, token, write
from streams_helpers import check_chain, list_all

RACERS = 8


class ConditionalAppendTest(unittest.TestCase):
    def setUp(self):
        self.owner = new_user("cond")
        self.pod = new_pod("cond")

    def append(self, body, stream="log", **headers):
        return write(self.pod, stream, body, self.owner,
                     headers={"Content-Type": "text/plain", **headers})

    def count(self, stream="log"):
        return len(list_all(self.pod, stream, self.owner))

    def test_if_match_on_the_head_appends(self):
        first = self.append("one").json()
        answer = self.append("two", **{"If-Match": f'"{first["hash"]}"'})
        self.assertEqual(answer.status, 201, answer)
        self.assertEqual(answer.json()["index"], 1)
        self.assertEqual(answer.json()["previous_hash"], first["hash"])

    def test_the_etag_of_the_latest_record_is_what_if_match_takes(self):
        self.append("one")
        etag = harness.read(self.pod, "/log?i=-1", self.owner).headers["etag"]
        self.assertEqual(self.append("two", **{"If-Match": etag}).status, 201)

    def test_if_match_on_a_stale_head_is_412_with_the_head_and_writes_nothing(self):
        first = self.append("one").json()
        second = self.append("two").json()
        answer = self.append("three", **{"If-Match": f'"{first["hash"]}"'})
        self.assertEqual(answer.status, 412, answer)
        self.assertEqual(answer.error_code, "PRECONDITION_FAILED")
        self.assertEqual(answer.headers["etag"], f'"{second["hash"]}"')
        self.assertEqual(answer.headers["x-head-index"], "1")
        self.assertEqual(self.count(), 2)

    def test_if_match_in_a_list_and_star(self):
        first = self.append("one").json()
        listed = self.append("two", **{"If-Match": f'"sha256:{"0" * 64}", "{first["hash"]}"'})
        self.assertEqual(listed.status, 201, listed)
        self.assertEqual(self.append("three", **{"If-Match": "*"}).status, 201)

    def test_a_weak_tag_never_matches(self):
        first = self.append("one").json()
        answer = self.append("two", **{"If-Match": f'W/"{first["hash"]}"'})
        self.assertEqual(answer.status, 412, answer)

    def test_if_match_on_a_missing_stream_is_412_and_creates_nothing(self):
        answer = self.append("one", stream="never", **{"If-Match": f'"sha256:{"a" * 64}"'})
        self.assertEqual(answer.status, 412, answer)
        self.assertEqual(answer.headers["x-head-index"], "-1")
        self.assertNotIn("etag", answer.headers)
        self.assertEqual(harness.read(self.pod, "/never", self.owner).status, 404)

    def test_if_none_match_star_appends_only_to_an_empty_stream(self):
        created = self.append("first", stream="once", **{"If-None-Match": "*"})
        self.assertEqual(created.status, 201, created)
        again = self.append("second", stream="once", **{"If-None-Match": "*"})
        self.assertEqual(again.status, 412, again)
        self.assertEqual(again.headers["etag"], f'"{created.json()["hash"]}"')
        self.assertEqual(again.headers["x-head-index"], "0")
        self.assertEqual(self.count("once"), 1)

    def test_malformed_conditions_are_400(self):
        self.append("one")
        for name, value in [("If-Match", "sha256:abc"), ("If-Match", '"open'),
                            ("If-None-Match", '"a" "b"'), ("If-Match", "")]:
            with self.subTest(name=name, value=value):
                answer = self.append("x", **{name: value})
                self.assertEqual(answer.status, 400, answer)
                self.assertEqual(answer.error_code, "INVALID_INPUT")
        self.assertEqual(self.count(), 1)

    def test_racing_writers_with_the_same_if_match_exactly_one_wins(self):
        base = self.append("base").json()
        host, jwt = pod_host(self.pod), token(self.owner, self.pod)

        def send(connection, n):
            return request("POST", "/log", host=host, body=f"racer-{n}", token=jwt,
                           connection=connection,
                           headers={"Content-Type": "text/plain",
                                    "If-Match": f'"{base["hash"]}"'})

        answers = harness.together(RACERS, send)
        statuses = sorted(answer.status for answer in answers)
        self.assertEqual(statuses, [201] + [412] * (RACERS - 1), answers)
        winner = next(answer.json() for answer in answers if answer.status == 201)
        for answer in answers:
            if answer.status == 412:
                self.assertEqual(answer.headers["etag"], f'"{winner["hash"]}"')
                self.assertEqual(answer.headers["x-head-index"], "1")
        records = list_all(self.pod, "log", self.owner)
        self.assertEqual(len(records), 2)
        check_chain(self, records)


class IdempotentAppendTest(unittest.TestCase):
    def setUp(self):
        self.owner = new_user("idem")
        self.pod = new_pod("idem")

    def append(self, body, key, stream="log", author=None, query="", content_type="text/plain"):
        return write(self.pod, stream, body, author or self.owner, query=query,
                     headers={"Content-Type": content_type, "Idempotency-Key": key})

    def count(self, stream="log"):
        return len(list_all(self.pod, stream, self.owner))

    def test_a_repeat_answers_the_original_record_and_writes_nothing(self):
        first = self.append("payment 1", "key-1")
        self.assertEqual(first.status, 201, first)
        self.assertNotIn("idempotent-replayed", first.headers)
        self.append("something else", "key-2")
        again = self.append("payment 1", "key-1")
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        for field in ("index", "hash", "previous_hash", "timestamp", "author", "content"):
            self.assertEqual(again.json()[field], first.json()[field], field)
        self.assertEqual(self.count(), 2)

    def test_the_same_key_for_a_different_request_is_422(self):
        self.append("one", "key")
        for body, query, content_type in [("two", "", "text/plain"),
                                          ("one", "?alias=named", "text/plain"),
                                          ("one", "", "text/markdown")]:
            with self.subTest(body=body, query=query, content_type=content_type):
                answer = self.append(body, "key", query=query, content_type=content_type)
                self.assertEqual(answer.status, 422, answer)
                self.assertEqual(answer.error_code, "IDEMPOTENCY_KEY_REUSED")
        self.assertEqual(self.count(), 1)

    def test_keys_are_scoped_to_stream_and_author(self):
        writer = new_user("idem-writer")
        grant = write(self.pod, "writers", {"id": writer, "read": True, "write": True},
                      self.owner)
        self.assertEqual(grant.status, 201, grant)
        first = self.append("same", "shared-key", stream="shared", query="?access=/writers")
        self.assertEqual(first.status, 201, first)
        other_stream = self.append("same", "shared-key", stream="other")
        self.assertEqual(other_stream.status, 201, other_stream)
        self.assertNotIn("idempotent-replayed", other_stream.headers)
        theirs = self.append("same", "shared-key", stream="shared", author=writer)
        self.assertEqual(theirs.status, 201, theirs)
        self.assertNotIn("idempotent-replayed", theirs.headers)
        self.assertEqual(theirs.json()["index"], 1)
        self.assertEqual(theirs.json()["author"], writer)

    def test_a_failed_request_stores_no_key(self):
        self.assertEqual(write(self.pod, "log", "taken", self.owner, query="?alias=taken",
                               headers={"Content-Type": "text/plain"}).status, 201)
        failed = self.append("mine", "retry-key", query="?alias=taken")
        self.assertEqual(failed.status, 409, failed)
        retried = self.append("mine", "retry-key", query="?alias=free")
        self.assertEqual(retried.status, 201, retried)
        self.assertNotIn("idempotent-replayed", retried.headers)

    def test_invalid_keys_are_400(self):
        for key in ["x" * 129, "tab\there", "é"]:
            with self.subTest(key=key):
                answer = write(self.pod, "log", "body", self.owner,
                               headers={"Content-Type": "text/plain",
                                        "Idempotency-Key": key.encode("utf-8").decode("latin-1")})
                self.assertEqual(answer.status, 400, answer)
                self.assertEqual(answer.error_code, "INVALID_INPUT")
        self.assertEqual(self.append("ok", "k" * 128).status, 201)

    def test_racing_duplicates_store_one_record(self):
        self.append("before", "other-key")
        host, jwt = pod_host(self.pod), token(self.owner, self.pod)

        def send(connection, n):
            return request("POST", "/log", host=host, body="the same payment", token=jwt,
                           connection=connection,
                           headers={"Content-Type": "text/plain", "Idempotency-Key": "race"})

        answers = harness.together(RACERS, send)
        self.assertEqual([answer.status for answer in answers], [201] * RACERS, answers)
        self.assertEqual(len({answer.json()["hash"] for answer in answers}), 1)
        replayed = [answer.headers.get("idempotent-replayed") for answer in answers]
        self.assertEqual(replayed.count("true"), RACERS - 1, replayed)
        records = list_all(self.pod, "log", self.owner)
        self.assertEqual(len(records), 2)
        check_chain(self, records)


if __name__ == "__main__":
    unittest.main()
