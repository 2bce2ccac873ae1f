"""nginx's first line (SPEC §10, doc/rate-limits.md): limit_req and limit_conn answer 429 in
the service's JSON envelope, and count an IPv6 client by its /64, an IPv4 one by its address.
The development config's check locations take the client's address from X-Real-IP (trusted
from loopback there alone), so these tests call from addresses the machine does not have."""

import socket
import time
import unittest

import harness
from harness import request


def flood(address=None):
    return request("GET", "/.webpods-flood-check",
                   headers={"X-Real-IP": address} if address else None)


def assert_refused(test, answer):
    test.assertEqual(answer.status, 429, answer)
    test.assertEqual(answer.error_code, "RATE_LIMIT_EXCEEDED", answer)
    test.assertTrue(answer.headers["content-type"].startswith("application/json"))


class FloodLimitTest(unittest.TestCase):
    def test_limit_req_answers_429_rate_limit_exceeded(self):
        # nginx/dev.conf.template lets one request a minute through this location.
        answers = [flood() for _ in range(3)]
        self.assertNotEqual(answers[0].status, 429, answers)
        for answer in answers[1:]:
            assert_refused(self, answer)

    def test_limit_req_counts_an_ipv6_client_by_its_64(self):
        self.assertNotEqual(flood("2001:db8:1:2::a").status, 429)
        # The same /64, however written: one budget, spent.
        for address in ("2001:db8:1:2::b", "2001:db8:1:2:ffff:ffff:ffff:ffff",
                        "2001:0db8:0001:0002:0:0:0:c"):
            assert_refused(self, flood(address))
        # The neighbouring /64s have budgets of their own.
        for address in ("2001:db8:1:3::a", "2001:db8:1:1::a", "2001:db9:1:2::a"):
            self.assertNotEqual(flood(address).status, 429, address)

    def test_limit_req_counts_an_ipv4_client_by_its_address(self):
        self.assertNotEqual(flood("192.0.2.1").status, 429)
        assert_refused(self, flood("192.0.2.1"))
        self.assertNotEqual(flood("192.0.2.2").status, 429)


def conn_check(address):
    """GET /.webpods-conn-check as `address`, read to the end of the connection: nginx closes
    it only after it has freed the request and with it the request's limit_conn count, so the
    next request never meets this one's count (on another nginx worker, say)."""
    with socket.create_connection(("127.0.0.1", harness.STACK.http_port), timeout=30) as peer:
        peer.sendall(f"GET /.webpods-conn-check HTTP/1.1\r\nHost: {harness.DOMAIN}\r\n"
                     f"X-Real-IP: {address}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while True:
            data = peer.recv(65536)
            if not data:
                break
            reply += data
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return harness.Answer(int(lines[0].split()[1]), headers, body)


class ConnectionLimitTest(unittest.TestCase):
    def test_limit_conn_counts_requests_in_progress_by_64(self):
        check = conn_check

        # A POST whose body has not arrived yet is in progress: nginx counts it against its
        # client's /64 (this location allows one at a time) until it is answered.
        holder = socket.create_connection(("127.0.0.1", harness.STACK.http_port), timeout=30)
        try:
            holder.sendall(b"POST /.webpods-conn-check HTTP/1.1\r\nHost: " +
                           harness.DOMAIN.encode() + b"\r\nX-Real-IP: 2001:db8:5:6::1\r\n"
                           b"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n")
            deadline = time.monotonic() + 10
            answer = check("2001:db8:5:6::2")
            while answer.status != 429 and time.monotonic() < deadline:
                answer = check("2001:db8:5:6::2")  # until nginx has read the held request
            assert_refused(self, answer)
            assert_refused(self, check("2001:db8:5:6:abcd::9"))
            self.assertNotEqual(check("2001:db8:5:7::1").status, 429)
            self.assertNotEqual(check("198.51.100.7").status, 429)
            holder.sendall(b"hello")
            reply = holder.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 "), reply)
            self.assertNotIn(b" 429 ", reply.split(b"\r\n", 1)[0])
        finally:
            holder.close()
        # Once it is answered, the /64 may go on.
        deadline = time.monotonic() + 10
        answer = check("2001:db8:5:6::2")
        while answer.status == 429 and time.monotonic() < deadline:
            answer = check("2001:db8:5:6::2")
        self.assertNotEqual(answer.status, 429, answer)


if __name__ == "__main__":
    unittest.main()
