"""Shared by every integration test: the running stack and an HTTP client that speaks to it
through nginx on loopback, setting the Host header (*.localhost does not resolve here)."""

import http.client
import itertools
import json
import os
import secrets
import shutil
import ssl
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "stack"))
import stack as stack_module  # noqa: E402

STACK = None  # set by run.py before the tests load
OTHER_STACKS = []  # stacks that tests started themselves; run.py scans their logs too
DOMAIN = stack_module.DOMAIN
_counter = itertools.count()
_tokens = {}


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def error_code(self):
        try:
            return self.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def request(method, path, host=DOMAIN, body=None, headers=None, token=None, https=False,
            port=None, connection=None):
    """One request through nginx. body: bytes, str, or a JSON-able object (sent as JSON).
    connection: an open keep-alive connection to use and leave open (see together())."""
    headers = dict(headers or {})
    headers.setdefault("Host", host)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    if connection is not None:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status,
                      {name.lower(): value for name, value in response.getheaders()},
                      response.read())
    if https:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", port or STACK.https_port,
                                                 timeout=60, context=context)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port or STACK.http_port,
                                                timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status,
                      {name.lower(): value for name, value in response.getheaders()},
                      response.read())
    finally:
        connection.close()


def together(clients, send, port=None):
    """Races `clients` threads: each opens its HTTP connection to nginx (the main stack's, or
    the one on `port`), then waits on one threading.Barrier, then runs send(connection, n) (n:
    the thread's number, 0..clients-1), so that the first requests of all threads leave
    together. Returns the results of send in thread order; an exception in any thread is
    raised here."""
    barrier = threading.Barrier(clients, timeout=30)
    results = [None] * clients
    errors = []

    def client(n):
        connection = http.client.HTTPConnection("127.0.0.1", port or STACK.http_port,
                                                timeout=60)
        try:
            connection.connect()
            barrier.wait()
            results[n] = send(connection, n)
        except BaseException as error:  # reported by the caller's thread
            barrier.abort()
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:  # the cause, rather than the broken barrier it left the others
        errors.sort(key=lambda error: isinstance(error, threading.BrokenBarrierError))
        raise errors[0]
    return results


def pod_host(pod):
    return f"{pod}.{DOMAIN}"


def new_pod(prefix="pod"):
    """A pod name no other test uses."""
    return f"{prefix}-{next(_counter)}-{secrets.token_hex(3)}"


def new_user(prefix="user"):
    return f"auth:test:{prefix}-{next(_counter)}-{secrets.token_hex(3)}"


def token(auth_id, pod=None):
    key = (auth_id, pod)
    if key not in _tokens:
        _tokens[key] = STACK.token(auth_id, pod=pod)
    return _tokens[key]


def user_id(auth_id):
    """The uuid of a user, read from the token's payload."""
    import base64
    payload = token(auth_id).split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))["user_id"]


def write(pod, stream, body, auth_id, query="", headers=None):
    return request("POST", f"/{stream}{query}", host=pod_host(pod), body=body,
                   headers=headers, token=token(auth_id, pod))


def read(pod, path, auth_id=None, pod_bound=True, headers=None):
    bearer = token(auth_id, pod if pod_bound else None) if auth_id else None
    return request("GET", path, host=pod_host(pod), token=bearer, headers=headers)


def start_side_stack(name, config_overrides, replicas=0):
    """A second stack (its own PostgreSQL, workers, nginx on free ports) inside the main stack's
    var, for tests that need other settings (small limits, read replicas: `replicas` hot
    standbys); its sanitizer reports are read by run.py like the main stack's. Stop it with
    stop_side_stack."""
    var = os.path.join(STACK.var, name)
    shutil.rmtree(var, ignore_errors=True)
    side = stack_module.Stack(var, http_port=stack_module.free_port(),
                              https_port=stack_module.free_port(),
                              build_dir=STACK.build, config_overrides=config_overrides,
                              replicas=replicas)
    if side.pg_outside_var():
        for root in side.cluster_roots():
            shutil.rmtree(root, ignore_errors=True)
    OTHER_STACKS.append(side)
    side.start()
    return side


def stop_side_stack(side):
    side.stop()
    if side.pg_outside_var():
        for root in side.cluster_roots():
            shutil.rmtree(root, ignore_errors=True)
