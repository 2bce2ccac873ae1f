"""The accept path (issue 13, SPEC §10): a FastCGI connection that sends nothing holds at most
the one thread that accepted it, never the other threads of its worker process."""

import http.client
import socket
import time
import unittest

import harness


def timed_health(timeout):
    """GET /health through nginx; returns (status, seconds taken). Raises on a timeout."""
    connection = http.client.HTTPConnection("127.0.0.1", harness.STACK.http_port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("GET", "/health", headers={"Host": harness.DOMAIN})
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


class IdleConnectionTest(unittest.TestCase):
    def test_idle_fastcgi_connections_do_not_block_other_requests(self):
        # Four per worker process, fewer than its threads. libfcgi's own accept drops a unix
        # connection that sends nothing for 2 s, but the process it holds waits meanwhile, and
        # several in a row add up.
        idle = []
        try:
            for _ in range(8):
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                connection.connect(harness.STACK.fcgi_socket)
                idle.append(connection)
                time.sleep(0.1)  # each is accepted before the next arrives
            time.sleep(0.5)
            answers = [timed_health(timeout=5) for _ in range(20)]
        finally:
            for connection in idle:
                connection.close()
        self.assertEqual([status for status, _ in answers], [200] * 20)
        self.assertLess(max(seconds for _, seconds in answers), 2, answers)


if __name__ == "__main__":
    unittest.main()
