"""Helpers shared by the streams, tokens, concurrency and verify tests: the SPEC §6 record hash
recomputed in Python, a chain checker over records read back through HTTP, hand-signed JWTs,
and a small valid PNG."""

import base64
import hashlib
import hmac
import json
import re
import struct
import time
import zlib

import harness

RECORD_KEYS = {"index", "content", "content_type", "alias", "hash", "previous_hash", "author",
               "timestamp"}
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
HASH_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


# ---- SPEC §6 ----------------------------------------------------------------------------------
def record_hash(index, previous_hash, timestamp, content_type, alias, author, content):
    """hash = "sha256:" + hex(SHA-256(preimage)), content given as bytes."""
    preimage = "\n".join([
        "webpods-record-v1",
        str(index),
        previous_hash or "",
        timestamp,
        content_type,
        alias or "",
        author,
        hashlib.sha256(content).hexdigest(),
    ])
    return "sha256:" + hashlib.sha256(preimage.encode("utf-8")).hexdigest()


def content_bytes(record, pod=None, stream=None, auth_id=None):
    """The stored bytes of a record from its JSON form; JSON records are parsed values in the
    JSON form, so their exact bytes are fetched raw with ?i=N."""
    if record.get("content_encoding") == "base64":
        return base64.b64decode(record["content"])
    if record["content_type"] == "application/json":
        if pod is None:
            raise ValueError("JSON record: need pod and stream to fetch the raw bytes")
        answer = harness.read(pod, f"/{stream}?i={record['index']}", auth_id)
        if answer.status != 200:
            raise AssertionError(f"raw read of {stream}?i={record['index']}: {answer!r}")
        return answer.body
    return record["content"].encode("utf-8")


def check_chain(test, records, pod=None, stream=None, auth_id=None, start=0):
    """Indices start, start+1, ... with no gap, every hash recomputed from the fields, and every
    previous_hash the hash of the record before it (null at index 0)."""
    previous = None
    for position, record in enumerate(records):
        test.assertEqual(record["index"], start + position, "indices must have no gaps")
        if record["index"] == 0:
            test.assertIsNone(record["previous_hash"])
        elif previous is not None:
            test.assertEqual(record["previous_hash"], previous["hash"],
                             f"previous_hash link broken at index {record['index']}")
        test.assertRegex(record["hash"], HASH_RE)
        test.assertRegex(record["timestamp"], TIMESTAMP_RE)
        expected = record_hash(record["index"], record["previous_hash"], record["timestamp"],
                               record["content_type"], record["alias"], record["author"],
                               content_bytes(record, pod, stream, auth_id))
        test.assertEqual(record["hash"], expected,
                         f"hash of index {record['index']} does not match its fields")
        previous = record


def list_all(pod, stream, auth_id=None):
    """Every record of a stream through the list API, paging with after."""
    records, after = [], None
    while True:
        query = "?limit=1000" + (f"&after={after}" if after is not None else "")
        answer = harness.read(pod, f"/{stream}{query}", auth_id)
        if answer.status != 200:
            raise AssertionError(f"list {stream}: {answer!r}")
        body = answer.json()
        records.extend(body["records"])
        if not body["has_more"] or not body["records"]:
            return records
        after = body["next_index"]


# ---- JWT (SPEC §4) ----------------------------------------------------------------------------
def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_jwt(claims, secret=None, alg="HS256", header=None, signature=None):
    """A compact JWT. secret defaults to the stack's; alg names the header alg and, for HS256,
    HS384 and HS512, the HMAC used; signature overrides the computed one (e.g. "" for none)."""
    if secret is None:
        secret = harness.STACK.config["auth"]["jwtSecret"]
    header = header if header is not None else {"alg": alg, "typ": "JWT"}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    if signature is None:
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
                  "HS512": hashlib.sha512}.get(alg)
        signature = b64url(hmac.new(secret.encode(), signing_input.encode(), digest).digest()) \
            if digest else ""
    return signing_input + "." + signature


def claims_for(user, pod=None, lifetime=3600, issued_ago=0, **overrides):
    """The claims webpodsctl puts in a token for the auth_id `user` (created on first use);
    overrides replace or add claims."""
    now = int(time.time())
    claims = {"user_id": harness.user_id(user), "auth_id": user,
              "email": "", "name": "", "provider": user.split(":")[1],
              "iat": now - issued_ago, "exp": now - issued_ago + lifetime}
    if pod is not None:
        claims["pod"] = pod
    claims.update(overrides)
    return claims


# ---- content --------------------------------------------------------------------------------
def small_png(width=3, height=2):
    """A valid RGB PNG, built with zlib and struct."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 80 % 256, y * 120 % 256, 0xC8)) for x in range(width))
        for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) +
            chunk(b"IEND", b""))
