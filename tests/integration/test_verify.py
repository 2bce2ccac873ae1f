"""`webpodsctl verify POD STREAM` (SPEC §6, §7): recomputes a stream's chain from its records and
exits 1 when a record was altered in the database behind the service's back, 0 when intact."""

import unittest

import harness
from harness import new_pod, new_user, pod_host, request, token
from streams_helpers import record_hash


class VerifyTest(unittest.TestCase):
    def setUp(self):
        self.owner = new_user("verify")
        self.pod = new_pod("verify")
        self.stream = "ledger/2024"
        for n, (body, query, headers) in enumerate([
                ("zero", "", {}),
                ("one", "?alias=one", {}),
                ('{"n": 2}', "", {"Content-Type": "application/json"}),
                (b"\x89PNG\r\n\x1a\n\x00\xff", "", {"Content-Type": "image/png"}),
                ("four", "", {})]):
            answer = request("POST", f"/{self.stream}{query}", host=pod_host(self.pod),
                             body=body, headers=headers, token=token(self.owner, self.pod))
            self.assertEqual(answer.status, 201, answer)
            self.assertEqual(answer.json()["index"], n)
        self.assertVerifies(0)

    def verify(self):
        return harness.STACK.ctl("verify", self.pod, self.stream, check=False)

    def assertVerifies(self, returncode):
        result = self.verify()
        self.assertEqual(result.returncode, returncode,
                         f"stdout={result.stdout!r} stderr={result.stderr!r}")

    def tamper(self, assignment, index):
        harness.STACK.psql(
            f"UPDATE record SET {assignment} WHERE index = {index} AND stream_id = "
            f"(SELECT s.id FROM stream s JOIN pod p ON p.id = s.pod_id "
            f"WHERE p.name = '{self.pod}' AND s.name = '{self.stream}')",
            database="webpods")

    def test_intact_stream_verifies_repeatedly(self):
        self.assertVerifies(0)
        answer = request("POST", f"/{self.stream}", host=pod_host(self.pod), body="five",
                         token=token(self.owner, self.pod))
        self.assertEqual(answer.status, 201, answer)
        self.assertVerifies(0)

    def test_altered_content_fails(self):
        self.tamper("content = convert_to('tampered', 'UTF8')", 1)
        self.assertVerifies(1)

    def test_altered_content_of_the_first_record_fails(self):
        self.tamper("content = '\\x7a65726f21'::bytea", 0)  # "zero!"
        self.assertVerifies(1)

    def test_altered_last_record_fails(self):
        self.tamper("content = convert_to('FOUR', 'UTF8')", 4)
        self.assertVerifies(1)

    def test_altered_binary_content_fails(self):
        self.tamper("content = '\\x89504e470d0a1a0a00fe'::bytea", 3)
        self.assertVerifies(1)

    def test_altered_json_content_fails(self):
        self.tamper("content = convert_to('{\"n\": 3}', 'UTF8')", 2)
        self.assertVerifies(1)

    def test_altered_alias_fails(self):
        self.tamper("alias = 'uno'", 1)
        self.assertVerifies(1)

    def test_altered_author_fails(self):
        self.tamper("author = 'auth:test:mallory'", 2)
        self.assertVerifies(1)

    def test_altered_content_type_fails(self):
        self.tamper("content_type = 'text/html'", 0)
        self.assertVerifies(1)

    def test_altered_timestamp_fails(self):
        self.tamper("written_at = written_at + interval '1 second'", 2)
        self.assertVerifies(1)

    def test_garbage_hash_fails(self):
        self.tamper("hash = 'sha256:' || repeat('0', 64)", 2)
        self.assertVerifies(1)

    def test_consistently_rehashed_record_breaks_the_link_to_the_next(self):
        # Record 1 altered and given its correct new hash: it is self-consistent, but record
        # 2 still names the old hash as its previous_hash.
        record = harness.read(self.pod, f"/{self.stream}?i=1:2").json()["records"][0]
        new_hash = record_hash(1, record["previous_hash"], record["timestamp"],
                               record["content_type"], record["alias"], record["author"],
                               b"uno")
        self.tamper(f"content = convert_to('uno', 'UTF8'), hash = '{new_hash}'", 1)
        self.assertVerifies(1)

    def test_broken_previous_hash_link_fails(self):
        self.tamper("previous_hash = 'sha256:' || repeat('1', 64)", 3)
        self.assertVerifies(1)

    def test_removed_record_fails(self):
        harness.STACK.psql(
            f"DELETE FROM record WHERE index = 2 AND stream_id = "
            f"(SELECT s.id FROM stream s JOIN pod p ON p.id = s.pod_id "
            f"WHERE p.name = '{self.pod}' AND s.name = '{self.stream}')",
            database="webpods")
        self.assertVerifies(1)

    def test_other_streams_are_unaffected(self):
        answer = request("POST", "/other", host=pod_host(self.pod), body="x",
                         token=token(self.owner, self.pod))
        self.assertEqual(answer.status, 201, answer)
        self.tamper("content = convert_to('tampered', 'UTF8')", 1)
        self.assertVerifies(1)
        result = harness.STACK.ctl("verify", self.pod, "other", check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        result = harness.STACK.ctl("verify", self.pod, ".meta/owner", check=False)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_missing_stream_is_not_success(self):
        result = harness.STACK.ctl("verify", self.pod, "no-such-stream", check=False)
        self.assertNotEqual(result.returncode, 0)
        result = harness.STACK.ctl("verify", new_pod("nopod"), self.stream, check=False)
        self.assertNotEqual(result.returncode, 0)


class LongStreamTest(unittest.TestCase):
    """verify reads a stream in pieces of at most 1000 records and about 16 MiB of content
    (bounded memory, whatever the stream's size): the chain is checked across the pieces, and a
    stream shorter than its head says is not intact. 20 records of 1 MiB make two pieces."""

    def test_chain_is_checked_across_pieces(self):
        owner, pod, stream = new_user("verify-long"), new_pod("verify-long"), "long"
        for n in range(20):
            answer = request("POST", f"/{stream}", host=pod_host(pod),
                             body=bytes([ord("a") + n]) * (1 << 20),
                             headers={"Content-Type": "text/plain"}, token=token(owner, pod))
            self.assertEqual(answer.status, 201, answer)

        def verify():
            return harness.STACK.ctl("verify", pod, stream, check=False)

        def change(statement, where):
            harness.STACK.psql(
                f"{statement} WHERE {where} AND stream_id = (SELECT s.id FROM stream s "
                f"JOIN pod p ON p.id = s.pod_id WHERE p.name = '{pod}' AND s.name = '{stream}')",
                database="webpods")

        result = verify()
        self.assertEqual((result.returncode, result.stdout.split()[:2]), (0, ["OK", "20"]))
        change("UPDATE record SET content = convert_to('x', 'UTF8')", "index = 18")
        result = verify()
        self.assertEqual(result.returncode, 1)
        self.assertIn("BROKEN at index 18", result.stdout)
        # The records from 17 on gone: those left are intact, but the head counts more.
        change("DELETE FROM record", "index >= 17")
        result = verify()
        self.assertEqual(result.returncode, 1)
        self.assertIn("the stream head counts 20 records, 17 found", result.stdout)

if __name__ == "__main__":
    unittest.main()
