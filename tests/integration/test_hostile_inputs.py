"""Hostile input (issue 6): every abuse gets its documented 4xx and JSON error, the worker
processes stay the same ones, and nothing is written."""

import base64
import json
import socket
import unittest

import harness
from harness import DOMAIN, new_pod, new_user, pod_host, request, token, write
from test_workers import worker_pids

POD = None
OWNER = None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cases():
    """(name, method, host, path, headers, body, status, code)."""
    pod_h = pod_host(POD)
    bearer = {"Authorization": f"Bearer {token(OWNER, POD)}"}
    json_h = dict(bearer, **{"Content-Type": "application/json"})
    none_token = (b64url(b'{"alg":"none","typ":"JWT"}') + "." +
                  b64url(json.dumps({"user_id": harness.user_id(OWNER), "auth_id": OWNER,
                                     "pod": POD, "iat": 1, "exp": 4102444800}).encode()) + ".")
    rows = []

    def add(name, method, path, status, code, headers=None, body=None, host=pod_h):
        rows.append((name, method, host, path, headers or {}, body, status, code))

    # Stream ids (every method).
    for method in ["GET", "POST", "DELETE"]:
        add(f"long stream id {method}", method, "/" + "a" * 257, 400, "INVALID_STREAM_ID", bearer, "x")
        add(f"percent in path {method}", method, "/target%2Fx", 400, "INVALID_STREAM_ID", bearer, "x")
        add(f"double slash {method}", method, "/a//b", 400, "INVALID_STREAM_ID", bearer, "x")
        add(f"trailing slash {method}", method, "/target/", 400, "INVALID_STREAM_ID", bearer, "x")
        add(f"dot segment {method}", method, "/./target", 400, "INVALID_STREAM_ID", bearer, "x")
        add(f"dotdot above root {method}", method, "/../target", 400, "INVALID_STREAM_ID", bearer, "x")
        add(f"dotdot inside {method}", method, "/a/../target", 400, "INVALID_STREAM_ID", bearer, "x")
        add(f"NUL escape {method}", method, "/a%00b", 400, "INVALID_STREAM_ID", bearer, "x")
    add("non-ascii escape", "GET", "/%C3%A9", 400, "INVALID_STREAM_ID")
    add("bad char", "POST", "/a:b", 400, "INVALID_STREAM_ID", bearer, "x")
    # Aliases.
    for alias in [".x", "x.", "a%2Fb", "a" * 257, "%FF", "a%0Ab", "a%20b"]:
        add(f"alias {alias[:12]}", "POST", f"/target?alias={alias}", 400, "INVALID_ALIAS", bearer, "x")
    # Index expressions and list parameters.
    for value in ["1:", ":2", "a:b", "1:2:3", "1e3", "99999999999999999999", "", "--1", "0x10"]:
        add(f"i={value}", "GET", f"/target?i={value}", 400, "INVALID_INDEX")
    add("range reversed", "GET", "/target?i=1:0", 400, "INVALID_RANGE")
    for value in ["0", "-1", "abc", "1.5", "99999999999999999999999"]:
        add(f"limit={value}", "GET", f"/target?limit={value}", 400, "INVALID_INPUT")
    add("after=abc", "GET", "/target?after=abc", 400, "INVALID_INPUT")
    add("broken escape", "GET", "/target?i=%zz", 400, "INVALID_INPUT")
    add("truncated escape", "POST", "/target?alias=%4", 400, "INVALID_INPUT", bearer, "x")
    # Pods and hosts.
    for label in ["-a", "a-", "a_b", "x" * 64]:
        add(f"pod {label[:10]}", "POST", "/s", 400, "INVALID_POD_ID", bearer, "x",
            host=f"{label}.{DOMAIN}")
    for host in ["evil.example", f"a.b.{DOMAIN}", f"x{DOMAIN}", "127.0.0.1", "localhost"]:
        add(f"host {host}", "POST", "/s", 404, "NOT_FOUND", bearer, "x", host=host)
    # Bodies.
    for name, body in [("truncated json", "{"), ("trailing comma", "[1,]"),
                       ("nested json", "[" * 100000 + "]" * 100000),
                       ("invalid utf-8 json", b'"\xff"'), ("two values", "1 2"),
                       ("empty json", "")]:
        add(name, "POST", "/target", 400, "INVALID_INPUT", json_h, body)
    add("x-content-type json invalid", "POST", "/target", 400, "INVALID_INPUT",
        dict(bearer, **{"X-Content-Type": "application/json"}), "{nope}")
    add("content type too long", "POST", "/target", 400, "INVALID_INPUT",
        dict(bearer, **{"X-Content-Type": "text/" + "x" * 300}), "x")
    add("oversized body", "POST", "/target", 413, "PAYLOAD_TOO_LARGE", bearer,
        b"x" * (10485760 + 1))
    # Tokens.
    for name, value in [("garbage", "Bearer garbage"), ("three dots", "Bearer a.b.c"),
                        ("alg none", f"Bearer {none_token}"), ("huge", "Bearer " + "a" * 6000),
                        ("empty bearer", "Bearer ")]:
        add(f"token {name}", "POST", "/target", 401, "INVALID_TOKEN", {"Authorization": value}, "x")
        add(f"token {name} read", "GET", "/target", 401, "INVALID_TOKEN", {"Authorization": value})
    add("no token", "POST", "/target", 401, "UNAUTHORIZED", {}, "x")
    # System streams.
    add("post .meta/streams", "POST", "/.meta/streams", 403, "FORBIDDEN", json_h, "{}")
    add("post .meta/other", "POST", "/.meta/other", 403, "FORBIDDEN", json_h, "{}")
    add("delete .meta/owner", "DELETE", "/.meta/owner", 403, "FORBIDDEN", bearer)
    for body in ['{"owner":5}', "[]", '"x"', "{", '{"owner":"not-a-uuid"}']:
        add(f"owner {body}", "POST", "/.meta/owner", 400, "INVALID_INPUT", json_h, body)
    for body in ['{"/":5}', "[]", '{"/":null}', "{"]:
        add(f"links {body}", "POST", "/.meta/links", 400, "INVALID_INPUT", json_h, body)
    # Methods.
    for method in ["PUT", "PATCH", "OPTIONS", "PROPFIND"]:
        add(f"method {method}", method, "/target", 405, "METHOD_NOT_ALLOWED", bearer, "x")
    return rows


class HostileInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        global POD, OWNER
        POD, OWNER = new_pod("hostile"), new_user("owner")
        assert write(POD, "target", "the only record", OWNER).status == 201

    def test_table_of_hostile_requests(self):
        workers = worker_pids()
        rows = cases()
        self.assertGreaterEqual(len(rows), 50)
        for name, method, host, path, headers, body, status, code in rows:
            with self.subTest(name=name):
                answer = request(method, path, host=host, headers=dict(headers), body=body)
                self.assertEqual(answer.status, status, answer)
                self.assertEqual(answer.headers.get("content-type"), "application/json", answer)
                self.assertEqual(answer.error_code, code, answer)
        self.assertEqual(worker_pids(), workers)
        listing = harness.read(POD, "/target", OWNER).json()
        self.assertEqual(listing["total"], 1)
        streams = harness.read(POD, "/.meta/streams", OWNER).json()["streams"]
        self.assertEqual({s["stream_id"] for s in streams}, {".meta/owner", "target"})

    def raw(self, data):
        with socket.create_connection(("127.0.0.1", harness.STACK.http_port), timeout=10) as sock:
            sock.sendall(data)
            received = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), body

    def test_malformed_http_gets_json_from_nginx(self):
        workers = worker_pids()
        host = pod_host(POD).encode()
        # nginx refuses each before the app sees it, with its own status: 494 (header too
        # large) is answered as 400 by nginx/webpods-errors.conf, a request line over
        # large_client_header_buffers as 414.
        for name, data, expected in [
            ("bare CR in header", b"GET /target HTTP/1.1\r\nHost: " + host +
             b"\r\nX-Content-Type: a\rb\r\nConnection: close\r\n\r\n", 400),
            ("NUL in header", b"GET /target HTTP/1.1\r\nHost: " + host +
             b"\r\nX-A: a\x00b\r\nConnection: close\r\n\r\n", 400),
            ("huge header", b"GET /target HTTP/1.1\r\nHost: " + host + b"\r\nX-A: " +
             b"a" * 70000 + b"\r\nConnection: close\r\n\r\n", 400),
            ("host with space", b"GET /target HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
             400),
            ("very long uri", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: " + host +
             b"\r\nConnection: close\r\n\r\n", 414),
        ]:
            with self.subTest(name=name):
                status, body = self.raw(data)
                self.assertEqual(status, expected, body)
                self.assertEqual(json.loads(body)["error"]["code"], "INVALID_INPUT")
        self.assertEqual(worker_pids(), workers)


if __name__ == "__main__":
    unittest.main()
