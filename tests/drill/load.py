"""The drill's writers: threads appending through nginx, each request recorded with what it
sent and what it saw. A writer never retries an append it got no 201 for (it sends fresh
content instead), so any content stored twice was stored twice by the server."""

import http.client
import json
import random
import socket
import threading
import time

# A client waits this long for an answer before it calls it a hang: above every timeout of
# the stack (nginx fastcgi_read_timeout 40 s + fastcgi_connect_timeout 5 s), so a request that
# waits this long waited past the timeouts.
CLIENT_TIMEOUT = 60.0

OK, ERROR, CLOSED, HANG, BAD = "201", "error", "closed", "hang", "bad"


class Attempt:
    """One append: what was sent, when, and what came back."""

    __slots__ = ("writer", "stream", "content", "sent", "done", "outcome", "status", "index",
                 "hash", "detail")

    def __init__(self, writer, stream, content, sent):
        self.writer, self.stream, self.content, self.sent = writer, stream, content, sent
        self.done = None
        self.outcome = None   # OK, ERROR (a JSON error envelope), CLOSED, HANG, BAD
        self.status = None
        self.index = None
        self.hash = None
        self.detail = ""

    @property
    def waited(self):
        return self.done - self.sent


def classify(attempt, status, headers, body):
    """A 201 with index and hash; any other answer must be the JSON error envelope of a status
    a fault explains (503: a worker or the database gone for a moment). Anything else, a 500
    above all, is BAD."""
    attempt.status = status
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    content_type = headers.get("content-type", "")
    if status == 201 and isinstance(value, dict) and isinstance(value.get("index"), int) \
            and isinstance(value.get("hash"), str):
        attempt.outcome, attempt.index, attempt.hash = OK, value["index"], value["hash"]
        return
    envelope = (isinstance(value, dict) and isinstance(value.get("error"), dict)
                and isinstance(value["error"].get("code"), str)
                and isinstance(value["error"].get("message"), str)
                and content_type.startswith("application/json"))
    if envelope and status == 503:
        attempt.outcome, attempt.detail = ERROR, value["error"]["code"]
    else:
        attempt.outcome = BAD
        attempt.detail = f"{status} {content_type} {body[:200]!r}"


class Writers:
    """`count` threads appending to `streams` of one pod (each writer picks a stream at random
    for every append) until stopped. Every attempt is kept, in the order it was sent."""

    def __init__(self, port, host, tokens, streams, count=8):
        self.port, self.host, self.tokens, self.streams = port, host, tokens, streams
        self.attempts = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.barrier = threading.Barrier(count + 1, timeout=30)
        self.threads = [threading.Thread(target=self._write, args=(n,), daemon=True)
                        for n in range(count)]

    def _connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT)

    def _write(self, n):
        chooser = random.Random(n)
        headers = {"Host": self.host, "Authorization": f"Bearer {self.tokens[n]}",
                   "Content-Type": "text/plain"}
        connection = self._connect()
        connection.connect()
        self.barrier.wait()
        sequence = 0
        while not self.stopping.is_set():
            stream = chooser.choice(self.streams)
            attempt = Attempt(n, stream, f"w{n}-{sequence}", time.monotonic())
            sequence += 1
            with self.lock:
                self.attempts.append(attempt)
            try:
                connection.request("POST", f"/{stream}", body=attempt.content.encode(),
                                   headers=headers)
                response = connection.getresponse()
                body = response.read()
                attempt.done = time.monotonic()
                classify(attempt, response.status,
                         {name.lower(): value for name, value in response.getheaders()}, body)
            except socket.timeout:
                attempt.done, attempt.outcome = time.monotonic(), HANG
            except (http.client.HTTPException, ConnectionError, OSError) as error:
                # The server closed or reset the connection: allowed, the append may or may
                # not be stored; the writer goes on with a new connection and new content.
                attempt.done, attempt.outcome = time.monotonic(), CLOSED
                attempt.detail = type(error).__name__
                connection.close()
                connection = self._connect()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        self.barrier.wait()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=CLIENT_TIMEOUT + 10)

    def acknowledged_since(self, moment):
        with self.lock:
            return sum(1 for a in self.attempts if a.sent >= moment and a.outcome == OK)

    def snapshot(self):
        with self.lock:
            return list(self.attempts)
