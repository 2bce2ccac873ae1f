"""Many server-sent-event subscribers at once, for the live-stream load test (bench.py) and the
nginx nchan comparison of doc/live.md.

Subscribers are split over a few processes, each holding its share of connections in one epoll
loop over non-blocking sockets, with as little Python per event as will do, so that the client
adds little to the delivery latency it measures. Each subscriber records, for every event, its
key (the event id when it is an integer, else the last word of its data) and time.monotonic()
when its bytes arrived; CLOCK_MONOTONIC is one clock for every process of the machine, so the
publisher's send times compare with them directly."""

import multiprocessing
import select
import socket
import time


def _key(event_id, data):
    if event_id is not None and event_id.isdigit():
        return int(event_id)
    return int(data.split()[-1])


class _Connection:
    """One subscriber. While the test runs it only keeps what arrived and when; the events are
    parsed afterwards (events()), so that the client spends microseconds per arrival."""

    def __init__(self, port, head):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(head)
        self.sock.setblocking(False)
        self.status = None
        self.head = b""
        self.pieces = []  # (arrival time, bytes) after the response head

    def receive(self, now):
        """Reads what is there; False when the connection closed."""
        try:
            piece = self.sock.recv(262144)
        except BlockingIOError:
            return True
        if not piece:
            return False
        if self.status is None:
            self.head += piece
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return True
            self.status = int(self.head.split(b" ", 2)[1])
            piece = self.head[end + 4:]
            self.head = self.head[:end].lower()
        self.pieces.append((now, piece))
        return True

    def events(self):
        """[(key, arrival time)] of the record events received, in order."""
        chunked = b"transfer-encoding: chunked" in self.head
        raw, body, arrivals = b"", b"", []
        for now, piece in self.pieces:
            raw += piece
            if chunked:
                while True:
                    line_end = raw.find(b"\r\n")
                    if line_end < 0:
                        break
                    size = int(raw[:line_end].split(b";")[0], 16)
                    if len(raw) < line_end + 4 + size:
                        break
                    body += raw[line_end + 2:line_end + 2 + size]
                    raw = raw[line_end + 4 + size:]
            else:
                body, raw = body + raw, b""
            while True:
                end = body.find(b"\n\n")
                if end < 0:
                    break
                block, body = body[:end], body[end + 2:]
                if block.startswith(b":"):
                    continue  # a comment: keepalive
                event_id, data, name = None, "", "message"
                for line in block.split(b"\n"):
                    if line.startswith(b"id:"):
                        event_id = line[3:].strip().decode()
                    elif line.startswith(b"data:"):
                        data = line[5:].strip().decode()
                    elif line.startswith(b"event:"):
                        name = line[6:].strip().decode()
                if name in ("record", "message"):
                    arrivals.append((_key(event_id, data), now))
        return arrivals


def _worker(port, host, path, headers, count, ready_queue, result_queue, stop):
    head = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
    for name, value in headers.items():
        head += f"{name}: {value}\r\n"
    head = (head + "\r\n").encode()
    poller = select.epoll()
    connections = {}
    for _ in range(count):
        connection = _Connection(port, head)
        connections[connection.sock.fileno()] = connection
        poller.register(connection.sock.fileno(), select.EPOLLIN)
    open_fds = set(connections)
    reported = False
    while not stop.is_set():
        for fd, _ in poller.poll(0.05):
            if fd in open_fds and not connections[fd].receive(time.monotonic()):
                poller.unregister(fd)
                open_fds.discard(fd)
        if not reported and all(c.status is not None or fd not in open_fds
                                for fd, c in connections.items()):
            ready_queue.put([c.status or 0 for c in connections.values()])
            reported = True
    for connection in connections.values():
        connection.sock.close()
    result_queue.put([c.events() for c in connections.values()])


class Subscribers:
    """`count` SSE subscribers of http://127.0.0.1:port{path} (Host: host), in `processes`
    processes. start() returns the statuses once every subscriber has its response head;
    stop() closes them and returns, per subscriber, its [(key, arrival time)] in order."""

    def __init__(self, port, host, path, count, processes=2, headers=None):
        self.port, self.host, self.path = port, host, path
        self.count, self.processes = count, processes
        self.headers = headers or {}
        self.stop_flag = multiprocessing.Event()
        self.ready_queue = multiprocessing.Queue()
        self.result_queue = multiprocessing.Queue()
        self.children = []

    def start(self, timeout=60):
        shares = [self.count // self.processes + (1 if n < self.count % self.processes else 0)
                  for n in range(self.processes)]
        for share in shares:
            child = multiprocessing.Process(
                target=_worker,
                args=(self.port, self.host, self.path, self.headers, share, self.ready_queue,
                      self.result_queue, self.stop_flag))
            child.start()
            self.children.append(child)
        statuses = []
        for _ in shares:
            statuses += self.ready_queue.get(timeout=timeout)
        return statuses

    def stop(self):
        self.stop_flag.set()
        results = []
        for _ in self.children:
            results += self.result_queue.get(timeout=60)
        for child in self.children:
            child.join()
        return results


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
