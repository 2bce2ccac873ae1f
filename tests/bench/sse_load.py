"""Many server-sent-event subscribers at once, for the live-stream load test (bench.py) and the
nginx nchan comparison of doc/live.md.

Subscribers are split over a few processes, each holding its share of connections in one
asyncio loop, so the client itself stays well below the server's delivery latency. Each
subscriber records, for every event, its key (the event id when it is an integer, else the last
word of its data) and time.monotonic() when it arrived; CLOCK_MONOTONIC is the same clock in
every process of the machine, so the publisher's send times compare with them directly."""

import asyncio
import multiprocessing
import time


def _parse_events(buffer):
    """Complete events at the start of buffer: ([(id, data)], rest). Comments are dropped."""
    events = []
    while True:
        end = buffer.find(b"\n\n")
        if end < 0:
            return events, buffer
        block, buffer = buffer[:end], buffer[end + 2:]
        event_id, data, name = None, [], "message"
        for line in block.split(b"\n"):
            if line.startswith(b"id:"):
                event_id = line[3:].strip().decode()
            elif line.startswith(b"data:"):
                data.append(line[5:].strip().decode())
            elif line.startswith(b"event:"):
                name = line[6:].strip().decode()
        if event_id is not None or data:
            events.append((event_id, name, "\n".join(data)))


def _key(event_id, data):
    if event_id is not None and event_id.isdigit():
        return int(event_id)
    return int(data.split()[-1])


async def _subscriber(port, host, path, headers, ready, arrivals, stop):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    head = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
    for name, value in headers.items():
        head += f"{name}: {value}\r\n"
    writer.write((head + "\r\n").encode())
    await writer.drain()
    response = await reader.readuntil(b"\r\n\r\n")
    status = int(response.split(b" ", 2)[1])
    chunked = b"transfer-encoding: chunked" in response.lower()
    ready.append(status)
    if status != 200:
        writer.close()
        return
    raw = b""
    body = b""
    try:
        while not stop.is_set():
            try:
                piece = await asyncio.wait_for(reader.read(65536), timeout=0.5)
            except asyncio.TimeoutError:
                continue
            if not piece:
                break
            now = time.monotonic()
            if chunked:  # strip chunk framing: size line, data, CRLF
                raw += piece
                while True:
                    line_end = raw.find(b"\r\n")
                    if line_end < 0:
                        break
                    size = int(raw[:line_end].split(b";")[0], 16)
                    if len(raw) < line_end + 2 + size + 2:
                        break
                    body += raw[line_end + 2:line_end + 2 + size]
                    raw = raw[line_end + 2 + size + 2:]
            else:
                body += piece
            events, body = _parse_events(body)
            for event_id, name, data in events:
                if name in ("record", "message"):
                    arrivals.append((_key(event_id, data), now))
    finally:
        writer.close()


def _worker(port, host, path, headers, count, ready_queue, result_queue, stop):
    async def main():
        ready, arrivals = [], [[] for _ in range(count)]
        stop_event = asyncio.Event()
        tasks = [asyncio.create_task(_subscriber(port, host, path, headers, ready, arrivals[n],
                                                 stop_event))
                 for n in range(count)]
        while len(ready) < count:
            await asyncio.sleep(0.05)
        ready_queue.put(ready)
        while not stop.is_set():
            await asyncio.sleep(0.05)
        stop_event.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        result_queue.put(arrivals)

    asyncio.run(main())


class Subscribers:
    """`count` SSE subscribers of http://127.0.0.1:port{path} (Host: host), in `processes`
    processes. start() returns once every subscriber has its response head; stop() closes them
    and returns, per subscriber, its [(key, arrival time)] in arrival order."""

    def __init__(self, port, host, path, count, processes=4, headers=None):
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
