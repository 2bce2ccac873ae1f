"""Streams (SPEC §2 Write, Read, Delete; §6): writes, reads, lists, aliases, deletes and
validation, through nginx. Every test makes its own pod and users."""

import base64
import hashlib
import json
import unittest

import harness
from harness import new_pod, new_user, pod_host, request, token
from streams_helpers import (HASH_RE, RECORD_KEYS, TIMESTAMP_RE, check_chain, list_all,
                             record_hash, small_png)

MAX_PAYLOAD = 10 * 1024 * 1024


def post(pod, path, body, auth_id, headers=None):
    """POST path (with any query) on the pod with a token for this pod."""
    return request("POST", path, host=pod_host(pod), body=body, headers=headers,
                   token=token(auth_id, pod))


def get(pod, path, auth_id=None, headers=None):
    return request("GET", path, host=pod_host(pod), headers=headers,
                   token=token(auth_id, pod) if auth_id else None)


def delete(pod, path, auth_id=None, pod_bound=True):
    bearer = token(auth_id, pod if pod_bound else None) if auth_id else None
    return request("DELETE", path, host=pod_host(pod), token=bearer)


class StreamTestCase(unittest.TestCase):
    def setUp(self):
        self.owner = new_user("owner")
        self.pod = new_pod()

    def assertError(self, answer, status, code):
        self.assertEqual(answer.status, status, answer)
        self.assertEqual(answer.error_code, code, answer)
        self.assertIn("message", answer.json()["error"])

    def write(self, stream, body, query="", auth_id=None, headers=None):
        answer = post(self.pod, f"/{stream}{query}", body, auth_id or self.owner, headers)
        self.assertEqual(answer.status, 201, answer)
        return answer.json()

    def fill(self, stream, count, auth_id=None):
        return [self.write(stream, f"r{i}", auth_id=auth_id) for i in range(count)]

    def total(self, stream, auth_id=None):
        answer = get(self.pod, f"/{stream}", auth_id or self.owner)
        self.assertEqual(answer.status, 200, answer)
        return answer.json()["total"]


class WriteTest(StreamTestCase):
    def test_first_write_answers_201_with_exactly_the_eight_keys(self):
        answer = post(self.pod, "/notes", "hello", self.owner)
        self.assertEqual(answer.status, 201, answer)
        self.assertTrue(answer.headers["content-type"].startswith("application/json"))
        record = answer.json()
        self.assertEqual(set(record), RECORD_KEYS)
        self.assertEqual(record["index"], 0)
        self.assertEqual(record["content"], "hello")
        self.assertEqual(record["content_type"], "text/plain")
        self.assertIsNone(record["alias"])
        self.assertIsNone(record["previous_hash"])
        self.assertEqual(record["author"], self.owner)
        self.assertRegex(record["timestamp"], TIMESTAMP_RE)
        self.assertRegex(record["hash"], HASH_RE)
        self.assertEqual(record["hash"], record_hash(0, None, record["timestamp"], "text/plain",
                                                     None, self.owner, b"hello"))

    def test_second_write_links_to_the_first(self):
        first = self.write("notes", "one")
        second = self.write("notes", "two", query="?alias=second")
        self.assertEqual(set(second), RECORD_KEYS)
        self.assertEqual(second["index"], 1)
        self.assertEqual(second["previous_hash"], first["hash"])
        self.assertEqual(second["alias"], "second")
        self.assertEqual(second["hash"], record_hash(1, first["hash"], second["timestamp"],
                                                     "text/plain", "second", self.owner, b"two"))

    def test_nested_stream_name_is_one_flat_stream(self):
        record = self.write("blog/2024/posts", "deep")
        self.assertEqual(record["index"], 0)
        self.assertEqual(self.total("blog/2024/posts"), 1)
        self.assertError(get(self.pod, "/blog?i=0", self.owner), 404, "STREAM_NOT_FOUND")

    def test_stream_id_of_256_chars_is_accepted(self):
        stream = "s" * 100 + "/" + "t" * 155
        self.assertEqual(len(stream), 256)
        self.write(stream, "long")
        self.assertEqual(self.total(stream), 1)

    def test_stream_ids_are_case_sensitive(self):
        self.write("Blog", "upper")
        self.assertError(get(self.pod, "/blog", self.owner), 404, "STREAM_NOT_FOUND")
        self.write("blog", "lower")
        self.assertEqual(get(self.pod, "/Blog?i=0").body, b"upper")
        self.assertEqual(get(self.pod, "/blog?i=0").body, b"lower")

    def test_dots_inside_segments_are_legal(self):
        for stream in ["a.b", "v1.2/x..y", "_x-y_/Z.9"]:
            with self.subTest(stream=stream):
                self.assertEqual(self.write(stream, "ok")["index"], 0)


class ContentTypeTest(StreamTestCase):
    def written_type(self, headers, body="x"):
        return self.write("types", body, headers=headers)["content_type"]

    def test_default_is_text_plain(self):
        self.assertEqual(self.written_type({}), "text/plain")

    def test_content_type_without_parameters(self):
        self.assertEqual(self.written_type({"Content-Type": "text/markdown; charset=utf-8"}),
                         "text/markdown")
        self.assertEqual(self.written_type({"Content-Type": "text/html"}), "text/html")

    def test_x_content_type_wins_over_content_type(self):
        self.assertEqual(self.written_type({"X-Content-Type": "text/csv",
                                            "Content-Type": "text/html"}), "text/csv")

    def test_form_urlencoded_counts_as_text_plain_and_is_not_parsed(self):
        record = self.write("types", "a=1&b=two+three",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(record["content_type"], "text/plain")
        self.assertEqual(record["content"], "a=1&b=two+three")
        raw = get(self.pod, f"/types?i={record['index']}")
        self.assertEqual(raw.body, b"a=1&b=two+three")
        self.assertEqual(raw.headers["content-type"], "text/plain")

    def test_invalid_json_body_is_400_and_not_stored(self):
        self.write("types", "first")
        for headers in [{"Content-Type": "application/json"},
                        {"Content-Type": "application/json; charset=utf-8"},
                        {"X-Content-Type": "application/json", "Content-Type": "text/plain"}]:
            for body in ["{not json", "", "{\"a\":1} trailing"]:
                with self.subTest(headers=headers, body=body):
                    answer = post(self.pod, "/types", body, self.owner, headers)
                    self.assertError(answer, 400, "INVALID_INPUT")
        self.assertEqual(self.total("types"), 1)

    def test_invalid_json_on_first_write_creates_nothing(self):
        answer = post(self.pod, "/types", "{oops", self.owner,
                      {"Content-Type": "application/json"})
        self.assertError(answer, 400, "INVALID_INPUT")
        self.assertError(get(self.pod, "/types"), 404, "POD_NOT_FOUND")

    def test_json_content_is_a_json_value_and_stored_byte_for_byte(self):
        body = b'{ "a" : [1, 2, {"b": null}], "t": "w\\u00f6rld" }'
        answer = post(self.pod, "/data", body, self.owner, {"Content-Type": "application/json"})
        self.assertEqual(answer.status, 201, answer)
        record = answer.json()
        self.assertEqual(record["content_type"], "application/json")
        self.assertEqual(record["content"], {"a": [1, 2, {"b": None}], "t": "wörld"})
        self.assertNotIn("content_encoding", record)
        self.assertEqual(record["hash"], record_hash(0, None, record["timestamp"],
                                                     "application/json", None, self.owner, body))
        self.write("data", "[3]", headers={"X-Content-Type": "application/json"})
        listed = get(self.pod, "/data").json()["records"]
        self.assertEqual(listed[0]["content"], {"a": [1, 2, {"b": None}], "t": "wörld"})
        self.assertEqual(listed[1]["content"], [3])
        raw = get(self.pod, "/data?i=0")
        self.assertEqual(raw.status, 200)
        self.assertEqual(raw.body, body)
        self.assertEqual(raw.headers["content-type"], "application/json")

    def test_any_json_value_is_json(self):
        # RFC 8259: a JSON text is any value, not only an object or array.
        for body, value in [("42", 42), ('"text"', "text"), ("true", True), ("null", None),
                            ("[1, 2]", [1, 2]), (" -1.5e2 ", -150)]:
            with self.subTest(body=body):
                answer = post(self.pod, "/values", body, self.owner,
                              {"Content-Type": "application/json"})
                self.assertEqual(answer.status, 201, answer)
                self.assertEqual(answer.json()["content"], value)
                raw = get(self.pod, f"/values?i={answer.json()['index']}")
                self.assertEqual(raw.body, body.encode())

    def test_png_round_trips_byte_identical(self):
        png = small_png()
        answer = post(self.pod, "/images", png, self.owner, {"Content-Type": "image/png"})
        self.assertEqual(answer.status, 201, answer)
        record = answer.json()
        self.assertEqual(set(record), RECORD_KEYS | {"content_encoding"})
        self.assertEqual(record["content_encoding"], "base64")
        self.assertEqual(base64.b64decode(record["content"]), png)
        self.assertEqual(record["content_type"], "image/png")
        self.assertEqual(record["hash"], record_hash(0, None, record["timestamp"], "image/png",
                                                     None, self.owner, png))
        self.write("images", "caption")
        raw = get(self.pod, "/images?i=0")
        self.assertEqual(raw.status, 200)
        self.assertEqual(raw.body, png)
        self.assertEqual(raw.headers["content-type"], "image/png")
        listed = get(self.pod, "/images").json()["records"]
        self.assertEqual(listed[0]["content_encoding"], "base64")
        self.assertEqual(base64.b64decode(listed[0]["content"]), png)
        self.assertNotIn("content_encoding", listed[1])
        self.assertEqual(listed[1]["content"], "caption")

    def test_invalid_utf8_text_is_base64(self):
        body = b"caf\xe9 \xff\x00"
        record = self.write("bytes", body, headers={"Content-Type": "text/plain"})
        self.assertEqual(record["content_type"], "text/plain")
        self.assertEqual(record["content_encoding"], "base64")
        self.assertEqual(base64.b64decode(record["content"]), body)
        self.assertEqual(get(self.pod, "/bytes?i=0").body, body)

    def test_utf8_text_is_text(self):
        record = self.write("bytes", "wörld ✓".encode(),
                            headers={"Content-Type": "text/plain; charset=utf-8"})
        self.assertEqual(record["content"], "wörld ✓")
        self.assertNotIn("content_encoding", record)


class PayloadSizeTest(StreamTestCase):
    def test_one_byte_over_the_limit_is_413_and_nothing_is_stored(self):
        self.write("big", "small")
        body = b"\x00" * (MAX_PAYLOAD + 1)
        answer = post(self.pod, "/big", body, self.owner,
                      {"Content-Type": "application/octet-stream"})
        self.assertError(answer, 413, "PAYLOAD_TOO_LARGE")
        self.assertEqual(self.total("big"), 1)
        answer = post(self.pod, "/big2", body, self.owner,
                      {"Content-Type": "application/octet-stream"})
        self.assertError(answer, 413, "PAYLOAD_TOO_LARGE")
        self.assertError(get(self.pod, "/big2", self.owner), 404, "STREAM_NOT_FOUND")

    def test_exactly_the_limit_is_accepted_and_read_back(self):
        body = bytes(range(256)) * (MAX_PAYLOAD // 256)
        self.assertEqual(len(body), MAX_PAYLOAD)
        answer = post(self.pod, "/big", body, self.owner,
                      {"Content-Type": "application/octet-stream"})
        self.assertEqual(answer.status, 201, answer)
        record = answer.json()
        self.assertEqual(record["content_encoding"], "base64")
        self.assertEqual(record["hash"], record_hash(0, None, record["timestamp"],
                                                     "application/octet-stream", None,
                                                     self.owner, body))
        raw = get(self.pod, "/big?i=0")
        self.assertEqual(raw.status, 200)
        self.assertEqual(len(raw.body), MAX_PAYLOAD)
        self.assertEqual(hashlib.sha256(raw.body).digest(), hashlib.sha256(body).digest())


class AliasTest(StreamTestCase):
    def test_valid_aliases(self):
        for alias in ["a", "my-post_1.v2", "Z" * 256, "0", "a.b.c"]:
            with self.subTest(alias=alias):
                record = self.write("posts", "x", query=f"?alias={alias}")
                self.assertEqual(record["alias"], alias)

    def test_invalid_alias_is_400_and_nothing_stored(self):
        self.write("posts", "first")
        for alias in [".start", "end.", ".", "a%2Fb", "a/b", "sp%20ace", "a+b", "%C3%BC",
                      "x" * 257, "a:b", "a%00b"]:
            with self.subTest(alias=alias):
                answer = post(self.pod, f"/posts?alias={alias}", "x", self.owner)
                self.assertError(answer, 400, "INVALID_ALIAS")
        self.assertEqual(self.total("posts"), 1)

    def test_invalid_alias_on_first_write_creates_nothing(self):
        answer = post(self.pod, "/posts?alias=.bad", "x", self.owner)
        self.assertError(answer, 400, "INVALID_ALIAS")
        self.assertError(get(self.pod, "/posts"), 404, "POD_NOT_FOUND")

    def test_duplicate_alias_is_409_and_nothing_stored(self):
        self.write("posts", "one", query="?alias=hello")
        answer = post(self.pod, "/posts?alias=hello", "two", self.owner)
        self.assertError(answer, 409, "ALIAS_EXISTS")
        self.assertEqual(self.total("posts"), 1)
        # The chain continues without a gap after the refused write.
        record = self.write("posts", "three")
        self.assertEqual(record["index"], 1)
        # Another stream may use the same alias.
        self.assertEqual(self.write("other", "x", query="?alias=hello")["alias"], "hello")

    def test_empty_alias_means_none(self):
        record = self.write("posts", "x", query="?alias=")
        self.assertIsNone(record["alias"])
        record = self.write("posts", "y", query="?alias=")
        self.assertIsNone(record["alias"])
        self.assertEqual(record["index"], 1)

    def test_percent_encoded_alias_is_decoded(self):
        record = self.write("posts", "x", query="?alias=a%2Db")
        self.assertEqual(record["alias"], "a-b")
        self.assertEqual(get(self.pod, "/posts/a-b").body, b"x")

    def test_query_names_are_percent_decoded_too(self):
        record = self.write("posts", "x", query="?%61lias=enc")
        self.assertEqual(record["alias"], "enc")
        self.assertEqual(get(self.pod, "/posts?%69=%2D1").body, b"x")

    def test_read_by_alias(self):
        self.write("posts", "zero")
        self.write("posts", "one", query="?alias=intro")
        answer = get(self.pod, "/posts/intro")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, b"one")
        self.assertEqual(answer.headers["x-index"], "1")


class StreamIdValidationTest(StreamTestCase):
    BAD_PATHS = ["//a", "/a/", "/a//b", "/a/b/", "/./a", "/a/.", "/a/./b", "/a/..",
                 "/a/../b", "/a%20b", "/%61", "/a%2Fb", "/a:b", "/a!b", "/a~b", "/a@b",
                 "/" + "x" * 257, "/" + "a/" * 128 + "b"]

    def setUp(self):
        super().setUp()
        self.write("a", "exists")

    def test_bad_stream_ids_on_post(self):
        for path in self.BAD_PATHS:
            with self.subTest(path=path):
                self.assertError(post(self.pod, path, "x", self.owner), 400,
                                 "INVALID_STREAM_ID")
        self.assertEqual(self.total("a"), 1)

    def test_bad_stream_ids_on_get(self):
        for path in self.BAD_PATHS:
            for suffix in ["", "?i=0", "?limit=1"]:
                with self.subTest(path=path + suffix):
                    self.assertError(get(self.pod, path + suffix, self.owner), 400,
                                     "INVALID_STREAM_ID")

    def test_bad_stream_ids_on_delete(self):
        for path in self.BAD_PATHS:
            with self.subTest(path=path):
                self.assertError(delete(self.pod, path, self.owner), 400, "INVALID_STREAM_ID")
        self.assertEqual(self.total("a"), 1)

    def test_dot_dot_at_the_root(self):
        for method in ["GET", "POST", "DELETE"]:
            for path in ["/..", "/../a", "/.", "/a/../../b"]:
                with self.subTest(method=method, path=path):
                    answer = request(method, path, host=pod_host(self.pod),
                                     body="x" if method == "POST" else None,
                                     token=token(self.owner, self.pod))
                    self.assertError(answer, 400, "INVALID_STREAM_ID")


class IndexReadTest(StreamTestCase):
    def setUp(self):
        super().setUp()
        self.records = self.fill("log", 5)

    def raw(self, query):
        return get(self.pod, f"/log?{query}")

    def test_single_index(self):
        for i, expected in [(0, b"r0"), (4, b"r4"), (-1, b"r4"), (-5, b"r0"), (-2, b"r3")]:
            with self.subTest(i=i):
                answer = self.raw(f"i={i}")
                self.assertEqual(answer.status, 200, answer)
                self.assertEqual(answer.body, expected)

    def test_out_of_range_is_record_not_found(self):
        for i in [5, 6, -6, 1000000, -1000000, 9223372036854775807]:
            with self.subTest(i=i):
                self.assertError(self.raw(f"i={i}"), 404, "RECORD_NOT_FOUND")

    def test_invalid_index_is_400(self):
        for i in ["1:", ":2", "a:b", "1:2:3", "abc", "1.5", "", "1a", "0x1", ":",
                  "1:2:", "--1"]:
            with self.subTest(i=i):
                self.assertError(self.raw(f"i={i}"), 400, "INVALID_INDEX")

    def test_range(self):
        cases = [("1:3", [1, 2], 1, 3), ("-2:5", [3, 4], 3, 5), ("0:100", [0, 1, 2, 3, 4], 0, 5),
                 ("-100:2", [0, 1], 0, 2), ("2:2", [], 2, 2), ("10:20", [], 5, 5),
                 ("-3:-1", [2, 3], 2, 4), ("0:-100", [], 0, 0), ("4:5", [4], 4, 5)]
        for query, indices, start, end in cases:
            with self.subTest(i=query):
                answer = self.raw(f"i={query}")
                self.assertEqual(answer.status, 200, answer)
                body = answer.json()
                self.assertEqual(set(body), {"records", "range", "total"})
                self.assertEqual([r["index"] for r in body["records"]], indices)
                self.assertEqual(body["range"], {"start": start, "end": end})
                self.assertEqual(body["total"], len(indices))
                for record in body["records"]:
                    self.assertEqual(set(record), RECORD_KEYS)
                    self.assertEqual(record, self.records[record["index"]])

    def test_inverted_range_is_invalid_range(self):
        for query in ["3:1", "-1:-3", "5:0", "100:-100"]:
            with self.subTest(i=query):
                self.assertError(self.raw(f"i={query}"), 400, "INVALID_RANGE")

    def test_index_read_of_missing_stream(self):
        self.assertError(get(self.pod, "/nope?i=0"), 404, "STREAM_NOT_FOUND")
        self.assertError(get(self.pod, "/nope?i=0:2"), 404, "STREAM_NOT_FOUND")

    def test_missing_pod(self):
        pod = new_pod("missing")
        for path in ["/log", "/log?i=0", "/log?i=0:1", "/log/alias", "/.meta/streams"]:
            with self.subTest(path=path):
                self.assertError(get(pod, path), 404, "POD_NOT_FOUND")


class ListTest(StreamTestCase):
    def setUp(self):
        super().setUp()
        self.records = self.fill("log", 5)

    def listing(self, query=""):
        answer = get(self.pod, f"/log{query}")
        self.assertEqual(answer.status, 200, answer)
        self.assertTrue(answer.headers["content-type"].startswith("application/json"))
        body = answer.json()
        self.assertEqual(set(body), {"records", "total", "has_more", "next_index"})
        return body

    def check(self, query, indices, has_more, next_index):
        with self.subTest(query=query):
            body = self.listing(query)
            self.assertEqual([r["index"] for r in body["records"]], indices)
            self.assertEqual(body["total"], 5)
            self.assertIs(body["has_more"], has_more)
            self.assertEqual(body["next_index"], next_index)

    def test_default_lists_everything(self):
        body = self.listing()
        self.assertEqual(body["records"], self.records)
        self.assertEqual(body["total"], 5)
        self.assertIs(body["has_more"], False)
        self.assertEqual(body["next_index"], 4)
        check_chain(self, body["records"])

    def test_limit_and_after(self):
        self.check("?limit=2", [0, 1], True, 1)
        self.check("?limit=2&after=1", [2, 3], True, 3)
        self.check("?after=1&limit=3", [2, 3, 4], False, 4)
        self.check("?limit=5", [0, 1, 2, 3, 4], False, 4)
        self.check("?after=3", [4], False, 4)
        self.check("?after=4", [], False, None)
        self.check("?after=100", [], False, None)
        self.check("?after=0&limit=1", [1], True, 1)

    def test_negative_after_gives_the_last_n(self):
        self.check("?after=-2", [3, 4], False, 4)
        self.check("?after=-1", [4], False, 4)
        self.check("?after=-5", [0, 1, 2, 3, 4], False, 4)
        self.check("?after=-10", [0, 1, 2, 3, 4], False, 4)
        self.check("?after=-3&limit=2", [2, 3], True, 3)

    def test_invalid_limit(self):
        for limit in ["0", "-1", "abc", "", "1.5", "-0"]:
            with self.subTest(limit=limit):
                self.assertError(get(self.pod, f"/log?limit={limit}"), 400, "INVALID_INPUT")

    def test_list_of_missing_stream(self):
        self.assertError(get(self.pod, "/nope"), 404, "STREAM_NOT_FOUND")
        self.assertError(get(self.pod, "/nope?limit=2"), 404, "STREAM_NOT_FOUND")


class ListLimitClampTest(StreamTestCase):
    def test_limit_above_1000_is_clamped(self):
        # 1002 records: more than one writer, since each identity may write 1000 an hour.
        self.write("many", "r0")
        writers = [new_user("writer") for _ in range(3)]
        for writer in writers:
            token(writer, self.pod)

        def append(connection, client):
            statuses = []
            for n in range(1 + client, 1002, 8):
                writer = writers[n % len(writers)]
                statuses.append(request("POST", "/many", host=pod_host(self.pod), body=f"r{n}",
                                        token=token(writer, self.pod),
                                        connection=connection).status)
            return statuses

        statuses = [status for part in harness.together(8, append) for status in part]
        self.assertEqual(statuses, [201] * 1001)
        body = get(self.pod, "/many?limit=5000").json()
        self.assertEqual(len(body["records"]), 1000)
        self.assertEqual(body["total"], 1002)
        self.assertIs(body["has_more"], True)
        self.assertEqual(body["next_index"], 999)
        default = get(self.pod, "/many").json()
        self.assertEqual(len(default["records"]), 100)
        self.assertEqual(default["next_index"], 99)
        self.assertIs(default["has_more"], True)
        rest = get(self.pod, "/many?after=999&limit=1000").json()
        self.assertEqual([r["index"] for r in rest["records"]], [1000, 1001])
        self.assertIs(rest["has_more"], False)
        check_chain(self, body["records"] + rest["records"])


class RawRecordTest(StreamTestCase):
    def setUp(self):
        super().setUp()
        self.first = self.write("log", "zero", headers={"Content-Type": "text/markdown"})
        self.second = self.write("log", "one", query="?alias=one")

    def check_headers(self, answer, record, body):
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, body)
        self.assertEqual(answer.headers["content-type"], record["content_type"])
        self.assertEqual(answer.headers["x-hash"], record["hash"])
        self.assertEqual(answer.headers["x-previous-hash"], record["previous_hash"] or "")
        self.assertEqual(answer.headers["x-author"], self.owner)
        self.assertEqual(answer.headers["x-timestamp"], record["timestamp"])
        self.assertEqual(answer.headers["x-index"], str(record["index"]))
        self.assertEqual(answer.headers["etag"], f"\"{record['hash']}\"")
        self.assertEqual(answer.headers["x-content-type-options"], "nosniff")

    def test_headers_of_index_zero(self):
        self.check_headers(get(self.pod, "/log?i=0"), self.first, b"zero")
        self.check_headers(get(self.pod, "/log?i=-2"), self.first, b"zero")

    def test_headers_of_index_one_and_by_alias(self):
        self.check_headers(get(self.pod, "/log?i=1"), self.second, b"one")
        self.check_headers(get(self.pod, "/log/one"), self.second, b"one")
        self.check_headers(get(self.pod, "/log/1"), self.second, b"one")

    def test_if_none_match_gives_304(self):
        etag = f"\"{self.second['hash']}\""
        for path in ["/log?i=1", "/log?i=-1", "/log/one"]:
            with self.subTest(path=path):
                answer = get(self.pod, path, headers={"If-None-Match": etag})
                self.assertEqual(answer.status, 304, answer)
                self.assertEqual(answer.body, b"")
        other = get(self.pod, "/log?i=1",
                    headers={"If-None-Match": f"\"{self.first['hash']}\""})
        self.assertEqual(other.status, 200)
        self.assertEqual(other.body, b"one")


class NestedPathTest(StreamTestCase):
    def setUp(self):
        super().setUp()
        self.blog = [self.write("blog", "b0", query="?alias=first"),
                     self.write("blog", "b1", query="?alias=2024"),
                     self.write("blog", "b2", query="?alias=0"),
                     self.write("blog", "b3")]
        self.sub = self.write("blog/2024", "sub0", query="?alias=hello")

    def test_full_path_that_is_a_stream_is_listed(self):
        answer = get(self.pod, "/blog/2024")
        self.assertEqual(answer.status, 200, answer)
        body = answer.json()
        self.assertEqual(body["records"], [self.sub])
        self.assertEqual(body["total"], 1)

    def test_last_segment_is_an_alias(self):
        answer = get(self.pod, "/blog/first")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, b"b0")
        answer = get(self.pod, "/blog/2024/hello")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, b"sub0")

    def test_alias_wins_over_integer(self):
        answer = get(self.pod, "/blog/0")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, b"b2")

    def test_integer_falls_back_to_index(self):
        for segment, body in [("1", b"b1"), ("3", b"b3"), ("-1", b"b3"), ("-4", b"b0")]:
            with self.subTest(segment=segment):
                answer = get(self.pod, f"/blog/{segment}")
                self.assertEqual(answer.status, 200, answer)
                self.assertEqual(answer.body, body)

    def test_missing_alias_or_index(self):
        for segment in ["nope", "4", "-5", "99"]:
            with self.subTest(segment=segment):
                self.assertError(get(self.pod, f"/blog/{segment}"), 404, "RECORD_NOT_FOUND")

    def test_alias_of_missing_stream(self):
        self.assertError(get(self.pod, "/nope/first"), 404, "STREAM_NOT_FOUND")

    def test_index_query_reads_the_full_path_as_a_stream(self):
        answer = get(self.pod, "/blog/2024?i=0")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, b"sub0")
        self.assertError(get(self.pod, "/blog/first?i=0"), 404, "STREAM_NOT_FOUND")


class ChainTest(StreamTestCase):
    def test_known_answers_of_spec_section_6(self):
        self.assertEqual(record_hash(0, None, "2026-01-02T03:04:05.678Z", "text/plain", None,
                                     "auth:test:alice", b"hello"),
                         "sha256:4b41696f40ce818ef99c54d397affa41e97c7fcede76cb28d11ac2146feffeb1")
        self.assertEqual(
            record_hash(1, "sha256:4b41696f40ce818ef99c54d397affa41e97c7fcede76cb28d11ac2146feffeb1",
                        "2026-01-02T03:04:06.000Z", "text/plain", "greeting", "auth:test:alice",
                        "wörld".encode()),
            "sha256:e68a37717648a54d483335625b9a9c4c771856dae8464188d965da103304702f")

    def test_chain_read_back_over_http_matches_recomputed_hashes(self):
        other = new_user("other")
        written = [
            self.write("chain", "hello"),
            self.write("chain", "wörld".encode(), query="?alias=greeting"),
            self.write("chain", b'{"k": [1, 2.5, "x"]}',
                       headers={"Content-Type": "application/json"}),
            self.write("chain", small_png(), headers={"Content-Type": "image/png"}),
            self.write("chain", "by someone else", auth_id=other,
                       headers={"X-Content-Type": "text/x-note"}),
            self.write("chain", "", query="?alias=empty"),
        ]
        records = list_all(self.pod, "chain")
        self.assertEqual(records, written)
        self.assertEqual(records[4]["author"], other)
        check_chain(self, records, self.pod, "chain")
        # The range form and the raw headers agree with the list.
        ranged = get(self.pod, "/chain?i=0:6").json()["records"]
        self.assertEqual(ranged, records)
        for record in records:
            raw = get(self.pod, f"/chain?i={record['index']}")
            self.assertEqual(raw.headers["x-hash"], record["hash"])


class AuthOnWriteTest(StreamTestCase):
    def test_write_without_token_is_401(self):
        answer = request("POST", "/notes", host=pod_host(self.pod), body="x")
        self.assertError(answer, 401, "UNAUTHORIZED")
        self.assertError(get(self.pod, "/notes"), 404, "POD_NOT_FOUND")

    def test_write_with_global_token_is_pod_mismatch(self):
        answer = request("POST", "/notes", host=pod_host(self.pod), body="x",
                         token=token(self.owner))
        self.assertError(answer, 401, "POD_MISMATCH")
        self.assertError(get(self.pod, "/notes"), 404, "POD_NOT_FOUND")


class PermissionTest(StreamTestCase):
    def setUp(self):
        super().setUp()
        self.other = new_user("other")
        self.write("public", "owner's")

    def test_only_the_owner_creates_streams(self):
        answer = post(self.pod, "/theirs", "x", self.other)
        self.assertError(answer, 403, "FORBIDDEN")
        self.assertError(get(self.pod, "/theirs", self.owner), 404, "STREAM_NOT_FOUND")

    def test_anyone_with_a_pod_token_writes_to_a_public_stream(self):
        record = self.write("public", "visitor's", auth_id=self.other)
        self.assertEqual(record["index"], 1)
        self.assertEqual(record["author"], self.other)
        self.assertEqual(get(self.pod, "/public?i=1").headers["x-author"], self.other)

    def test_anonymous_reads_a_public_stream(self):
        answer = get(self.pod, "/public")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.json()["total"], 1)

    def test_private_stream_at_creation(self):
        record = self.write("secret", "hush", query="?access=private")
        self.assertEqual(record["index"], 0)
        self.assertEqual(get(self.pod, "/secret", self.owner).status, 200)
        self.assertEqual(get(self.pod, "/secret?i=0", self.owner).body, b"hush")
        for path in ["/secret", "/secret?i=0", "/secret?i=0:1"]:
            with self.subTest(path=path):
                self.assertError(get(self.pod, path), 403, "FORBIDDEN")
                self.assertError(get(self.pod, path, self.other), 403, "FORBIDDEN")
        self.assertError(post(self.pod, "/secret", "x", self.other), 403, "FORBIDDEN")
        self.assertEqual(self.total("secret"), 1)
        streams = self.meta_streams(self.owner)
        self.assertEqual(streams["secret"]["access_permission"], "private")
        self.assertNotIn("secret", self.meta_streams(self.other))
        self.assertNotIn("secret", self.meta_streams(None))

    def test_access_is_ignored_after_creation(self):
        record = self.write("public", "again", query="?access=private")
        self.assertEqual(record["index"], 1)
        self.assertEqual(get(self.pod, "/public").status, 200)
        self.assertEqual(self.meta_streams(self.owner)["public"]["access_permission"], "public")
        self.write("secret", "x", query="?access=private")
        self.write("secret", "y", query="?access=public")
        self.assertError(get(self.pod, "/secret"), 403, "FORBIDDEN")
        self.assertEqual(self.meta_streams(self.owner)["secret"]["access_permission"], "private")

    def meta_streams(self, auth_id):
        answer = get(self.pod, "/.meta/streams", auth_id)
        self.assertEqual(answer.status, 200, answer)
        body = answer.json()
        self.assertEqual(body["pod"], self.pod)
        return {entry["stream_id"]: entry for entry in body["streams"]}

    def test_first_write_creates_meta_owner_visible_to_the_owner(self):
        streams = self.meta_streams(self.owner)
        owner_uuid = harness.user_id(self.owner)
        self.assertEqual(set(streams), {".meta/owner", "public"})
        for entry in streams.values():
            self.assertEqual(set(entry), {"stream_id", "access_permission", "creator_id",
                                          "created_at"})
            self.assertEqual(entry["creator_id"], owner_uuid)
            self.assertRegex(entry["created_at"], r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
            self.assertTrue(entry["created_at"].endswith("Z")
                            or entry["created_at"].endswith("+00:00"), entry["created_at"])
        self.assertEqual(streams[".meta/owner"]["access_permission"], "private")
        self.assertEqual(streams["public"]["access_permission"], "public")
        self.assertEqual(set(self.meta_streams(self.other)), {"public"})
        self.assertEqual(set(self.meta_streams(None)), {"public"})
        owner_record = get(self.pod, "/.meta/owner?i=-1", self.owner)
        self.assertEqual(owner_record.status, 200, owner_record)
        self.assertEqual(owner_record.headers["content-type"], "application/json")
        self.assertEqual(json.loads(owner_record.body), {"owner": owner_uuid})
        self.assertError(get(self.pod, "/.meta/owner"), 403, "FORBIDDEN")
        self.assertError(get(self.pod, "/.meta/owner", self.other), 403, "FORBIDDEN")
        listed = get(self.pod, "/.meta/owner", self.owner).json()
        self.assertEqual(listed["total"], 1)
        self.assertEqual(listed["records"][0]["content"], {"owner": owner_uuid})
        self.assertEqual(listed["records"][0]["content_type"], "application/json")
        check_chain(self, listed["records"], self.pod, ".meta/owner", self.owner)


class DeleteTest(StreamTestCase):
    def setUp(self):
        super().setUp()
        self.other = new_user("other")
        self.fill("doomed", 3)

    def test_owner_deletes_a_stream_then_it_is_gone(self):
        answer = delete(self.pod, "/doomed", self.owner)
        self.assertEqual(answer.status, 204, answer)
        self.assertEqual(answer.body, b"")
        self.assertError(get(self.pod, "/doomed", self.owner), 404, "STREAM_NOT_FOUND")
        self.assertError(get(self.pod, "/doomed?i=0", self.owner), 404, "STREAM_NOT_FOUND")
        self.assertError(delete(self.pod, "/doomed", self.owner), 404, "STREAM_NOT_FOUND")
        self.assertNotIn("doomed", [s["stream_id"] for s in
                                    get(self.pod, "/.meta/streams", self.owner).json()["streams"]])
        # Its records went with it: a new stream of that name starts at index 0.
        record = self.write("doomed", "reborn")
        self.assertEqual(record["index"], 0)
        self.assertIsNone(record["previous_hash"])

    def test_nested_stream_delete_leaves_the_parent(self):
        self.write("doomed/child", "c")
        self.assertEqual(delete(self.pod, "/doomed/child", self.owner).status, 204)
        self.assertEqual(self.total("doomed"), 3)
        self.assertError(get(self.pod, "/doomed/child", self.owner), 404, "RECORD_NOT_FOUND")

    def test_other_user_cannot_delete(self):
        self.write("doomed", "visitor", auth_id=self.other)
        self.assertError(delete(self.pod, "/doomed", self.other), 403, "FORBIDDEN")
        self.assertEqual(self.total("doomed"), 4)

    def test_delete_needs_a_pod_token(self):
        self.assertError(delete(self.pod, "/doomed"), 401, "UNAUTHORIZED")
        self.assertError(delete(self.pod, "/doomed", self.owner, pod_bound=False), 401,
                         "POD_MISMATCH")
        self.assertEqual(self.total("doomed"), 3)

    def test_missing_stream(self):
        self.assertError(delete(self.pod, "/never", self.owner), 404, "STREAM_NOT_FOUND")

    def test_meta_streams_cannot_be_deleted(self):
        for path in ["/.meta/owner", "/.meta/streams", "/.meta/links"]:
            with self.subTest(path=path):
                self.assertError(delete(self.pod, path, self.owner), 403, "FORBIDDEN")
        self.assertEqual(get(self.pod, "/.meta/owner", self.owner).status, 200)

    def test_creator_and_current_owner_may_delete_after_a_transfer(self):
        # The owner creates streams, then hands the pod to another user: the creator (no
        # longer owner) may still delete its stream, and so may the new owner.
        self.write("kept", "x")
        self.write("hidden", "h", query="?access=private")
        answer = post(self.pod, "/.meta/owner", {"owner": harness.user_id(self.other)},
                      self.owner)
        self.assertEqual(answer.status, 201, answer)
        self.assertEqual(answer.json(), {"success": True})
        third = new_user("third")
        self.assertError(delete(self.pod, "/doomed", third), 403, "FORBIDDEN")
        self.assertEqual(delete(self.pod, "/doomed", self.owner).status, 204)
        self.assertError(get(self.pod, "/doomed"), 404, "STREAM_NOT_FOUND")
        self.assertEqual(delete(self.pod, "/kept", self.other).status, 204)
        self.assertError(get(self.pod, "/kept"), 404, "STREAM_NOT_FOUND")
        # A private stream stays the creator's: not even the new owner reads it.
        self.assertError(get(self.pod, "/hidden", self.other), 403, "FORBIDDEN")
        self.assertEqual(get(self.pod, "/hidden?i=0", self.owner).body, b"h")
        # Only the new owner deletes the pod now.
        self.assertError(delete(self.pod, "/", self.owner), 403, "FORBIDDEN")
        self.assertEqual(delete(self.pod, "/", self.other).status, 204)
        self.assertError(get(self.pod, "/hidden", self.owner), 404, "POD_NOT_FOUND")

    def test_owner_deletes_the_pod(self):
        self.assertError(delete(self.pod, "/", self.other), 403, "FORBIDDEN")
        self.assertError(delete(self.pod, "/"), 401, "UNAUTHORIZED")
        self.assertEqual(self.total("doomed"), 3)
        answer = delete(self.pod, "/", self.owner)
        self.assertEqual(answer.status, 204, answer)
        self.assertEqual(answer.body, b"")
        for path in ["/doomed", "/doomed?i=0", "/.meta/streams"]:
            with self.subTest(path=path):
                self.assertError(get(self.pod, path, self.owner), 404, "POD_NOT_FOUND")
        # The name is free again: the next first write makes a new pod with a new owner.
        record = self.write("fresh", "mine", auth_id=self.other)
        self.assertEqual(record["index"], 0)
        owner_record = get(self.pod, "/.meta/owner?i=-1", self.other)
        self.assertEqual(owner_record.status, 200, owner_record)
        self.assertError(get(self.pod, "/doomed", self.other), 404, "STREAM_NOT_FOUND")


if __name__ == "__main__":
    unittest.main()
