"""Verifiable logs (SPEC §12): signed checkpoints, inclusion and consistency proofs checked here
with hashlib alone (RFC 9162 §2.1, read literally), the checkpoint signature checked with the
signed-note rules and an Ed25519 verifier of our own choosing, exact 400s for bad parameters,
and `webpodsctl audit` against an honest server, a record changed in the database, a forked
history and a checkpoint signed by another key."""

import base64
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import new_pod, new_user, pod_host, request, token
from streams_helpers import list_all

EM_DASH = "\u2014"


# ---- RFC 9162 §2.1, independently of app/merkle ----------------------------------------------
def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    if len(leaves) <= 1:
        return []
    k = split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, whole):
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = split(n)
    if m <= k:
        return subproof(m, leaves[:k], whole) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not proof and first_hash == second_hash
    if not proof or first < 1 or first > second:
        return False
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0


def b64(data):
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text, validate=True)


def leaf_data(record):
    """SPEC §12: the 32 raw bytes of a record's hash."""
    assert record["hash"].startswith("sha256:")
    return bytes.fromhex(record["hash"][len("sha256:"):])


# ---- signed notes --------------------------------------------------------------------------
def ed25519_verify(public_key, message, signature):
    """True when signature is public_key's Ed25519 signature of message: through `cryptography`
    when it is installed, else `openssl pkeyutl -verify -rawin`."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return _openssl_verify(public_key, message, signature)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except InvalidSignature:
        return False


def _openssl_verify(public_key, message, signature):
    # SubjectPublicKeyInfo of an Ed25519 key: a fixed 12-byte prefix, then the key (RFC 8410).
    der = bytes.fromhex("302a300506032b6570032100") + public_key
    with tempfile.TemporaryDirectory() as scratch:
        files = {}
        for name, data in (("key.der", der), ("message", message), ("signature", signature)):
            files[name] = os.path.join(scratch, name)
            with open(files[name], "wb") as target:
                target.write(data)
        result = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER",
                                 "-inkey", files["key.der"], "-rawin", "-in", files["message"],
                                 "-sigfile", files["signature"]],
                                capture_output=True, check=False)
        return result.returncode == 0


def parse_verifier_key(line):
    name, key_id, key = line.split("+", 2)
    typed = unb64(key)
    assert typed[0] == 1 and len(typed) == 33, line
    return name, bytes.fromhex(key_id), typed[1:]


def key_id_of(name, public_key):
    return hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]


def open_checkpoint(note, verifier_line):
    """(origin, size, root) of a signed checkpoint, checked by the C2SP signed-note rules;
    AssertionError when it does not verify."""
    name, key_id, public_key = parse_verifier_key(verifier_line)
    assert key_id == key_id_of(name, public_key), "verifier key: wrong key ID"
    assert note.endswith("\n")
    text, _, signatures = note.rpartition("\n\n")
    text += "\n"
    verified = False
    for line in signatures.rstrip("\n").split("\n"):
        assert line.startswith(EM_DASH + " "), line
        signer, blob = line[2:].split(" ")
        blob = unb64(blob)
        if signer == name and blob[:4] == key_id:
            assert len(blob) == 68
            assert ed25519_verify(public_key, text.encode(), blob[4:]), "bad signature"
            verified = True
    assert verified, "no signature by the verifier key"
    origin, size, root, *extensions = text.rstrip("\n").split("\n")
    return origin, int(size), unb64(root)


def verifier_key():
    answer = request("GET", "/.well-known/webpods-checkpoint-key")
    assert answer.status == 200, answer
    return answer.body.decode().strip()


def fill(pod, stream, count, writers):
    """Appends `count` records to a new public stream over keep-alive connections; records are
    written by `writers` in turn (each has 1000 writes an hour)."""
    tokens = [token(writer, pod) for writer in writers]
    connection = http.client.HTTPConnection("127.0.0.1", harness.STACK.http_port, timeout=60)
    try:
        for n in range(count):
            query = "?alias=a%d" % n if n % 5 == 1 else ""
            body, headers = ("record %d" % n, {})
            if n % 7 == 3:
                body, headers = ('{"n": %d}' % n, {"Content-Type": "application/json"})
            answer = request("POST", f"/{stream}{query}", host=pod_host(pod), body=body,
                             headers=headers, token=tokens[n % len(tokens)],
                             connection=connection)
            assert answer.status == 201, answer
            assert answer.json()["index"] == n
    finally:
        connection.close()


class ProofTest(unittest.TestCase):
    """Proofs of streams of 1, 2, 3, 7, 8, 9 and 1000 records, checked here."""

    @classmethod
    def setUpClass(cls):
        cls.owner = new_user("proofs")
        cls.others = [new_user("proofs"), new_user("proofs")]
        cls.pod = new_pod("proofs")
        cls.key = verifier_key()
        cls.sizes = [1, 2, 3, 7, 8, 9]
        for size in cls.sizes:
            fill(cls.pod, f"log/{size}", size, [cls.owner])
        fill(cls.pod, "big", 1000, [cls.owner] + cls.others)

    def get(self, path):
        # As the owner: these reads count against the owner's budget, not the shared address's.
        return harness.read(self.pod, path, self.owner)

    def leaves(self, stream):
        return [leaf_data(record) for record in list_all(self.pod, stream, self.owner)]

    def check_checkpoint(self, stream, leaves):
        answer = self.get(f"/{stream}?checkpoint")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.headers["content-type"], "text/plain; charset=utf-8")
        origin, size, root = open_checkpoint(answer.body.decode(), self.key)
        self.assertEqual(origin, f"{pod_host(self.pod)}/{stream}")
        self.assertEqual(size, len(leaves))
        self.assertEqual(root, mth(leaves))

    def check_inclusion(self, stream, leaves, index, size):
        answer = self.get(f"/{stream}?proof=inclusion&i={index}&size={size}")
        self.assertEqual(answer.status, 200, answer)
        body = answer.json()
        self.assertEqual(set(body), {"index", "size", "leaf", "root", "proof"})
        self.assertEqual((body["index"], body["size"]), (index, size))
        self.assertEqual(unb64(body["leaf"]), leaves[index])
        root = unb64(body["root"])
        self.assertEqual(root, mth(leaves[:size]))
        proof = [unb64(element) for element in body["proof"]]
        self.assertEqual(proof, path(index, leaves[:size]), f"{index} in {size}")
        self.assertTrue(verify_inclusion(index, size, leaf_hash(leaves[index]), proof, root))
        self.assertLessEqual(len(proof), (size - 1).bit_length())

    def check_consistency(self, stream, leaves, first, size):
        answer = self.get(f"/{stream}?proof=consistency&from={first}&size={size}")
        self.assertEqual(answer.status, 200, answer)
        body = answer.json()
        self.assertEqual(set(body), {"from", "size", "root", "proof"})
        self.assertEqual((body["from"], body["size"]), (first, size))
        root = unb64(body["root"])
        self.assertEqual(root, mth(leaves[:size]))
        proof = [unb64(element) for element in body["proof"]]
        self.assertEqual(proof, subproof(first, leaves[:size], True), f"{first} to {size}")
        self.assertTrue(verify_consistency(first, size, mth(leaves[:first]), root, proof))

    def test_small_streams_prove_every_leaf_and_every_pair(self):
        for count in self.sizes:
            stream = f"log/{count}"
            leaves = self.leaves(stream)
            self.assertEqual(len(leaves), count)
            self.check_checkpoint(stream, leaves)
            for size in range(1, count + 1):
                for index in range(size):
                    self.check_inclusion(stream, leaves, index, size)
                for first in range(1, size + 1):
                    self.check_consistency(stream, leaves, first, size)

    def test_size_defaults_to_the_record_count(self):
        leaves = self.leaves("log/7")
        body = self.get("/log/7?proof=inclusion&i=2").json()
        self.assertEqual(body["size"], 7)
        self.assertEqual(unb64(body["root"]), mth(leaves))
        body = self.get("/log/7?proof=consistency&from=3").json()
        self.assertEqual(body["size"], 7)
        self.assertTrue(verify_consistency(3, 7, mth(leaves[:3]), mth(leaves),
                                           [unb64(p) for p in body["proof"]]))

    def test_thousand_records(self):
        leaves = self.leaves("big")
        self.assertEqual(len(leaves), 1000)
        self.check_checkpoint("big", leaves)
        for index, size in [(0, 1000), (1, 1000), (499, 1000), (511, 1000), (512, 1000),
                            (998, 1000), (999, 1000), (0, 1), (6, 7), (300, 513), (700, 999)]:
            self.check_inclusion("big", leaves, index, size)
        for first, size in [(1, 1000), (2, 1000), (511, 1000), (512, 1000), (513, 1000),
                            (999, 1000), (1000, 1000), (300, 700), (64, 128), (1, 2)]:
            self.check_consistency("big", leaves, first, size)

    def test_checkpoint_grows_with_the_stream_and_stays_consistent(self):
        pod, stream = new_pod("grow"), "grow"
        fill(pod, stream, 3, [self.owner])
        first = harness.read(pod, f"/{stream}?checkpoint").body.decode()
        fill_more = harness.write(pod, stream, "three", self.owner)
        self.assertEqual(fill_more.status, 201, fill_more)
        second = harness.read(pod, f"/{stream}?checkpoint").body.decode()
        _, size1, root1 = open_checkpoint(first, self.key)
        _, size2, root2 = open_checkpoint(second, self.key)
        self.assertEqual((size1, size2), (3, 4))
        body = harness.read(pod, f"/{stream}?proof=consistency&from=3&size=4").json()
        self.assertTrue(verify_consistency(3, 4, root1, root2,
                                           [unb64(p) for p in body["proof"]]))


class ParameterTest(unittest.TestCase):
    """The exact statuses and codes of SPEC §12."""

    @classmethod
    def setUpClass(cls):
        cls.owner = new_user("params")
        cls.pod = new_pod("params")
        fill(cls.pod, "five", 5, [cls.owner])
        answer = harness.write(cls.pod, "secret", "x", cls.owner, query="?access=private")
        assert answer.status == 201, answer

    def code_of(self, query, stream="five", auth_id=None):
        answer = harness.read(self.pod, f"/{stream}?{query}", auth_id)
        return answer.status, answer.error_code

    def test_inclusion_size_is_checked_first(self):
        for query in ["size=0&i=0", "size=6&i=0", "size=-1&i=0", "size=x&i=0", "size=6&i=9",
                      "size=0&i=x", "size=&i=0"]:
            self.assertEqual(self.code_of("proof=inclusion&" + query), (400, "INVALID_RANGE"),
                             query)

    def test_inclusion_index_outside_the_tree(self):
        for query in ["i=5", "i=5&size=5", "i=3&size=3", "i=-1", "i=x", "", "i=", "i=1:2"]:
            self.assertEqual(self.code_of("proof=inclusion&" + query), (400, "INVALID_INDEX"),
                             query)

    def test_consistency_needs_one_to_size_to_count(self):
        for query in ["from=0&size=5", "from=6&size=5", "from=1&size=6", "from=3&size=2",
                      "from=-1&size=5", "from=x&size=5", "from=1&size=x", "size=5", "from=0"]:
            self.assertEqual(self.code_of("proof=consistency&" + query),
                             (400, "INVALID_RANGE"), query)

    def test_unknown_proof_kind_is_invalid_input(self):
        for query in ["proof=", "proof=audit&i=0", "proof=inclusion&i=0&checkpoint"]:
            self.assertEqual(self.code_of(query), (400, "INVALID_INPUT"), query)

    def test_missing_streams_and_pods(self):
        for query in ["checkpoint", "proof=inclusion&i=0", "proof=consistency&from=1&size=1"]:
            self.assertEqual(self.code_of(query, stream="nothing"), (404, "STREAM_NOT_FOUND"))
            self.assertEqual(self.code_of(query, stream="five/nothing"),
                             (404, "STREAM_NOT_FOUND"))
            answer = harness.read(new_pod("absent"), f"/five?{query}")
            self.assertEqual((answer.status, answer.error_code), (404, "POD_NOT_FOUND"))

    def test_unreadable_streams_are_forbidden(self):
        for query in ["checkpoint", "proof=inclusion&i=0", "proof=consistency&from=1&size=1"]:
            self.assertEqual(self.code_of(query, stream="secret"), (403, "FORBIDDEN"))
            self.assertEqual(self.code_of(query, stream="secret", auth_id=new_user("stranger")),
                             (403, "FORBIDDEN"))
            self.assertEqual(self.code_of(query, stream="secret", auth_id=self.owner)[0], 200)


class VerifierKeyTest(unittest.TestCase):
    def test_verifier_key_is_the_configured_key(self):
        line = verifier_key()
        name, key_id, public_key = parse_verifier_key(line)
        self.assertEqual(name, harness.DOMAIN)  # checkpoint.keyName defaults to the domain
        self.assertEqual(key_id, key_id_of(name, public_key))
        der = subprocess.run(["openssl", "pkey", "-in", harness.STACK.checkpoint_key_path,
                              "-pubout", "-outform", "DER"], capture_output=True,
                             check=True).stdout
        self.assertEqual(public_key, der[-32:])
        answer = request("GET", "/.well-known/webpods-checkpoint-key")
        self.assertTrue(answer.headers["content-type"].startswith("text/plain"))

    def test_a_key_file_that_is_no_key_stops_the_service(self):
        with tempfile.TemporaryDirectory() as scratch:
            bad_key = os.path.join(scratch, "bad.key")
            with open(bad_key, "w") as target:
                target.write("-----BEGIN PRIVATE KEY-----\nnot a key\n")
            config_path = os.path.join(scratch, "config.json")
            with open(harness.STACK.config_path) as source:
                config = json.load(source)
            config["checkpoint"] = {"keyFile": bad_key}
            with open(config_path, "w") as target:
                json.dump(config, target)
            result = subprocess.run([os.path.join(harness.STACK.build, "webpods-fcgi"),
                                     "--config", config_path, "--socket",
                                     os.path.join(scratch, "sock")],
                                    capture_output=True, text=True, timeout=30, check=False)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("checkpoint.keyFile", result.stderr)


class SigningUnavailableTest(unittest.TestCase):
    """Without checkpoint.keyFile, checkpoints and the key answer 503; proofs need no key."""

    @classmethod
    def setUpClass(cls):
        cls.side = harness.start_side_stack("unsigned", {"workers": 1, "threadsPerWorker": 2,
                                                         "checkpoint": {"keyFile": ""}})

    @classmethod
    def tearDownClass(cls):
        harness.stop_side_stack(cls.side)

    def test_checkpoint_and_key_are_unavailable(self):
        owner, pod = new_user("unsigned"), new_pod("unsigned")
        bearer = self.side.token(owner, pod=pod)
        answer = request("POST", "/log", host=pod_host(pod), body="x", token=bearer,
                         port=self.side.http_port)
        self.assertEqual(answer.status, 201, answer)
        answer = request("GET", "/log?checkpoint", host=pod_host(pod), port=self.side.http_port)
        self.assertEqual((answer.status, answer.error_code), (503, "SIGNING_UNAVAILABLE"))
        answer = request("GET", "/.well-known/webpods-checkpoint-key", port=self.side.http_port)
        self.assertEqual((answer.status, answer.error_code), (503, "SIGNING_UNAVAILABLE"))
        answer = request("GET", "/log?proof=inclusion&i=0", host=pod_host(pod),
                         port=self.side.http_port)
        self.assertEqual(answer.status, 200, answer)


class AuditTest(unittest.TestCase):
    """`webpodsctl audit`: nothing but HTTP, the verifier key and its own memory."""

    def setUp(self):
        self.owner = new_user("audit")
        self.pod = new_pod("audit")
        self.stream = "ledger/main"
        self.state = tempfile.mkdtemp(prefix="audit-state-")
        self.addCleanup(shutil.rmtree, self.state, ignore_errors=True)
        fill(self.pod, self.stream, 6, [self.owner])
        self.key = verifier_key()

    def url(self, https=False):
        if https:
            return f"https://{pod_host(self.pod)}:{harness.STACK.https_port}/{self.stream}"
        return f"http://{pod_host(self.pod)}:{harness.STACK.http_port}/{self.stream}"

    def audit(self, key=None, state=None, https=False, extra=()):
        result = subprocess.run([os.path.join(harness.STACK.build, "webpodsctl"), "audit",
                                 self.url(https), "--key", key or self.key,
                                 "--state", state or self.state, *extra],
                                capture_output=True, text=True, timeout=120, check=False)
        harness.STACK.ctl_output.append(result.stderr)
        return result

    def assertAudits(self, size, **kwargs):
        result = self.audit(**kwargs)
        self.assertEqual(result.returncode, 0, result.stderr)
        leaves = [leaf_data(r) for r in list_all(self.pod, self.stream)][:size]
        self.assertEqual(result.stdout,
                         f"OK {pod_host(self.pod)}/{self.stream} size {size} "
                         f"root {b64(mth(leaves))}\n")

    def assertFails(self, fragment, **kwargs):
        result = self.audit(**kwargs)
        self.assertEqual(result.returncode, 1, f"stdout={result.stdout!r} "
                                               f"stderr={result.stderr!r}")
        self.assertEqual(result.stdout, "")
        self.assertIn(fragment, result.stderr)

    def psql(self, sql):
        return harness.STACK.psql(sql, database="webpods")

    def stream_id(self):
        return self.psql(f"SELECT s.id FROM stream s JOIN pod p ON p.id = s.pod_id "
                         f"WHERE p.name = '{self.pod}' AND s.name = '{self.stream}'").strip()

    def test_honest_server_audits_ok_and_again_after_appends(self):
        self.assertAudits(6)
        self.assertAudits(6)  # nothing new: same size, same root
        fill_more = harness.write(self.pod, self.stream, "seven", self.owner)
        self.assertEqual(fill_more.status, 201, fill_more)
        self.assertAudits(7)  # proven consistent with size 6, one record fetched
        self.assertAudits(7, https=True)

    def test_state_directory_is_created(self):
        fresh = os.path.join(self.state, "deeper", "still")
        self.assertAudits(6, state=fresh)
        self.assertTrue(os.listdir(fresh))

    def test_record_changed_in_the_database_is_caught(self):
        self.assertAudits(6)
        self.psql(f"UPDATE record SET content = convert_to('forged', 'UTF8') "
                  f"WHERE stream_id = {self.stream_id()} AND index = 2")
        # A fresh auditor reads every record, recomputes its hash and finds the change.
        self.assertFails("record 2", state=os.path.join(self.state, "fresh"))

    def test_record_rehashed_in_the_database_is_caught(self):
        # Content and hash changed together: the hash now matches the fields, but not the
        # Merkle tree the checkpoint signs.
        stream_id = self.stream_id()
        self.psql(f"UPDATE record SET content = convert_to('forged', 'UTF8'), hash = 'sha256:' || "
                  f"encode(sha256(convert_to(concat_ws(chr(10), 'webpods-record-v1', index::text, "
                  f"coalesce(previous_hash, ''), to_char(written_at AT TIME ZONE 'UTC', "
                  f"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), content_type, coalesce(alias, ''), "
                  f"author, encode(sha256(convert_to('forged', 'UTF8')), 'hex')), 'UTF8')), "
                  f"'hex') WHERE stream_id = {stream_id} AND index = 5")
        self.assertFails("Merkle root")

    def test_forked_history_is_caught(self):
        self.assertAudits(6)
        answer = request("DELETE", f"/{self.stream}", host=pod_host(self.pod),
                         token=token(self.owner, self.pod))
        self.assertEqual(answer.status, 204, answer)
        fill(self.pod, self.stream, 6, [self.owner])  # same name, same size, another history
        self.assertFails("forked")
        fill_more = harness.write(self.pod, self.stream, "more", self.owner)
        self.assertEqual(fill_more.status, 201, fill_more)
        self.assertFails("does not verify")  # larger now: no consistency proof can exist
        # A fresh auditor accepts the new history: the fork is visible only against memory.
        self.assertAudits(7, state=os.path.join(self.state, "fresh"))

    def test_shrunk_history_is_caught(self):
        self.assertAudits(6)
        answer = request("DELETE", f"/{self.stream}", host=pod_host(self.pod),
                         token=token(self.owner, self.pod))
        self.assertEqual(answer.status, 204, answer)
        fill(self.pod, self.stream, 2, [self.owner])
        self.assertFails("shrank")

    def test_checkpoint_signed_by_another_key_is_caught(self):
        with tempfile.TemporaryDirectory() as scratch:
            result = subprocess.run([os.path.join(harness.STACK.build, "webpodsctl"), "keygen",
                                     os.path.join(scratch, "other.key"), "--name",
                                     harness.DOMAIN], capture_output=True, text=True, check=True)
        other = result.stdout.strip()
        self.assertNotEqual(other, self.key)
        self.assertFails("no signature by", key=other)
        self.assertFalse(os.listdir(self.state))  # nothing remembered from a failed audit

    def test_bad_usage_exits_2(self):
        for extra_key, url in [("not-a-key", self.url()), (self.key, "ftp://x/y"),
                               (self.key, f"http://{pod_host(self.pod)}/")]:
            result = subprocess.run([os.path.join(harness.STACK.build, "webpodsctl"), "audit",
                                     url, "--key", extra_key, "--state", self.state],
                                    capture_output=True, text=True, check=False)
            self.assertEqual(result.returncode, 2, result.stderr)


if __name__ == "__main__":
    unittest.main()
