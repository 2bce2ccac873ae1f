"""Permissions, ownership and system streams (issue 4, SPEC §2 "Permissions", "System streams")."""

import json
import unittest

import harness
from harness import new_pod, new_user, read, request, together, token, user_id, write, pod_host


def create_stream(pod, owner, stream, access):
    answer = write(pod, stream, "first", owner, query=f"?access={access}")
    assert answer.status == 201, answer
    return answer


def grant(pod, owner, list_stream, auth_id, read_flag, write_flag):
    answer = write(pod, list_stream, {"id": auth_id, "read": read_flag, "write": write_flag}, owner)
    assert answer.status == 201, answer


class AccessModeTest(unittest.TestCase):
    def setUp(self):
        self.pod, self.owner, self.other = new_pod(), new_user("owner"), new_user("other")

    def assert_read(self, path, auth_id, status):
        answer = read(self.pod, path, auth_id)
        self.assertEqual(answer.status, status, (path, auth_id, answer))
        if status == 403:
            self.assertEqual(answer.error_code, "FORBIDDEN")

    def assert_write(self, stream, auth_id, status):
        answer = write(self.pod, stream, "x", auth_id)
        self.assertEqual(answer.status, status, (stream, auth_id, answer))

    def test_public_stream(self):
        create_stream(self.pod, self.owner, "pub", "public")
        self.assert_read("/pub?i=0", None, 200)
        self.assert_read("/pub?i=0", self.other, 200)
        self.assert_write("pub", self.other, 201)
        anonymous = request("POST", "/pub", host=pod_host(self.pod), body="x")
        self.assertEqual(anonymous.status, 401)
        self.assertEqual(anonymous.error_code, "UNAUTHORIZED")

    def test_private_stream_is_the_creators_only(self):
        create_stream(self.pod, self.owner, "secret", "private")
        self.assert_read("/secret?i=0", self.owner, 200)
        self.assert_read("/secret?i=0", self.other, 403)
        self.assert_read("/secret?i=0", None, 403)
        self.assert_read("/secret", None, 403)
        self.assert_write("secret", self.other, 403)
        self.assert_write("secret", self.owner, 201)

    def test_private_stream_of_another_creator_is_hidden_even_from_the_owner(self):
        create_stream(self.pod, self.owner, "shared", "public")
        # Ownership passes to `other`, who then creates a private stream in the pod.
        answer = write(self.pod, ".meta/owner", {"owner": user_id(self.other)}, self.owner)
        self.assertEqual(answer.status, 201, answer)
        create_stream(self.pod, self.other, "diary", "private")
        self.assert_read("/diary?i=0", self.other, 200)
        self.assert_read("/diary?i=0", self.owner, 403)

    def test_allow_list_read_and_write_grants(self):
        create_stream(self.pod, self.owner, "members", "private")
        create_stream(self.pod, self.owner, "club", "/members")
        reader, writer = new_user("reader"), new_user("writer")
        grant(self.pod, self.owner, "members", reader, True, False)
        grant(self.pod, self.owner, "members", writer, True, True)
        self.assert_read("/club?i=0", reader, 200)
        self.assert_write("club", reader, 403)
        self.assert_read("/club?i=0", writer, 200)
        self.assert_write("club", writer, 201)
        self.assert_read("/club?i=0", self.other, 403)  # no record names them
        self.assert_read("/club?i=0", None, 403)
        self.assert_read("/club?i=0", self.owner, 200)  # the creator always
        self.assert_write("club", self.owner, 201)

    def test_allow_list_revocation_by_newer_record(self):
        create_stream(self.pod, self.owner, "acl", "private")
        create_stream(self.pod, self.owner, "room", "/acl")
        guest = new_user("guest")
        grant(self.pod, self.owner, "acl", guest, True, True)
        self.assert_write("room", guest, 201)
        grant(self.pod, self.owner, "acl", guest, True, False)
        self.assert_write("room", guest, 403)
        self.assert_read("/room?i=0", guest, 200)
        grant(self.pod, self.owner, "acl", guest, False, False)
        self.assert_read("/room?i=0", guest, 403)

    def test_missing_allow_list_stream_denies(self):
        create_stream(self.pod, self.owner, "orphan", "/nowhere")
        self.assert_read("/orphan?i=0", self.other, 403)
        self.assert_read("/orphan?i=0", self.owner, 200)

    def test_allow_list_created_later_is_honoured(self):
        create_stream(self.pod, self.owner, "later", "/late-list")
        self.assert_read("/later?i=0", self.other, 403)
        create_stream(self.pod, self.owner, "late-list", "private")
        grant(self.pod, self.owner, "late-list", self.other, True, False)
        self.assert_read("/later?i=0", self.other, 200)

    def test_only_the_owner_creates_streams_in_an_existing_pod(self):
        create_stream(self.pod, self.owner, "pub", "public")
        answer = write(self.pod, "mine", "x", self.other)
        self.assertEqual(answer.status, 403)
        self.assertEqual(answer.error_code, "FORBIDDEN")

    def test_revocation_is_seen_by_every_worker_at_once(self):
        create_stream(self.pod, self.owner, "gate", "private")
        create_stream(self.pod, self.owner, "vault", "/gate")
        member = new_user("member")
        grant(self.pod, self.owner, "gate", member, True, True)
        member_token = token(member, self.pod)

        def read_vault(connection, _):
            return [request("GET", "/vault?i=0", host=pod_host(self.pod), token=member_token,
                            connection=connection).status for _ in range(4)]

        def statuses():
            return {status for reads in together(16, read_vault) for status in reads}

        # Concurrent reads reach both worker processes and warm their caches with the grant.
        self.assertEqual(statuses(), {200})
        grant(self.pod, self.owner, "gate", member, False, False)
        self.assertEqual(statuses(), {403})
        grant(self.pod, self.owner, "gate", member, True, False)
        self.assertEqual(statuses(), {200})


class OwnershipTest(unittest.TestCase):
    def test_transfer_then_old_owner_is_refused(self):
        pod, alice, bob = new_pod(), new_user("alice"), new_user("bob")
        write(pod, "blog", "hi", alice)
        answer = write(pod, ".meta/owner", {"owner": user_id(bob)}, alice)
        self.assertEqual(answer.status, 201)
        self.assertEqual(answer.json(), {"success": True})
        # The new owner creates streams and reads .meta/owner; the old one can do neither.
        self.assertEqual(write(pod, "news", "x", bob).status, 201)
        self.assertEqual(write(pod, "more", "x", alice).status, 403)
        owner_record = read(pod, "/.meta/owner?i=-1", bob)
        self.assertEqual(owner_record.status, 200)
        self.assertEqual(json.loads(owner_record.body), {"owner": user_id(bob)})
        self.assertEqual(read(pod, "/.meta/owner?i=-1", alice).status, 403)
        self.assertEqual(write(pod, ".meta/owner", {"owner": user_id(alice)}, alice).status, 403)
        delete = request("DELETE", "/", host=pod_host(pod), token=token(alice, pod))
        self.assertEqual(delete.status, 403)

    def test_racing_transfers_by_one_owner_hand_the_pod_over_once(self):
        # The owner check and the owner update are one transaction (issue 11): of several
        # transfers released together, exactly one wins, .meta/owner gains exactly one record,
        # and the pod belongs to the user that record names.
        for attempt in range(3):
            pod, alice = new_pod(), new_user("alice")
            heirs = [new_user(f"heir{n}") for n in range(6)]
            write(pod, "blog", "hi", alice)
            jwt = token(alice, pod)

            def transfer(connection, n):
                return request("POST", "/.meta/owner", host=pod_host(pod), token=jwt,
                               body={"owner": user_id(heirs[n])}, connection=connection)

            answers = together(len(heirs), transfer)
            with self.subTest(attempt=attempt):
                self.assertEqual(sorted(answer.status for answer in answers),
                                 [201] + [403] * (len(heirs) - 1), answers)
                winner = heirs[[answer.status for answer in answers].index(201)]
                listing = read(pod, "/.meta/owner", winner).json()
                self.assertEqual(listing["total"], 2, listing)
                self.assertEqual(listing["records"][1]["content"], {"owner": user_id(winner)})
                self.assertEqual(write(pod, "heir-stream", "x", winner).status, 201)
                self.assertEqual(write(pod, "alice-stream", "x", alice).status, 403)

    def test_transfer_to_unknown_user_or_malformed_body_is_invalid_input(self):
        pod, alice = new_pod(), new_user("alice")
        write(pod, "blog", "hi", alice)
        for body in [{"owner": "00000000-0000-0000-0000-000000000000"}, {"owner": 5},
                     {"nobody": "x"}, "not json", ["owner"]]:
            with self.subTest(body=body):
                answer = write(pod, ".meta/owner", body, alice,
                               headers={"Content-Type": "application/json"})
                self.assertEqual(answer.status, 400)
                self.assertEqual(answer.error_code, "INVALID_INPUT")

    def test_owner_records_are_hash_chained_json(self):
        pod, alice = new_pod(), new_user("alice")
        write(pod, "blog", "hi", alice)
        listing = read(pod, "/.meta/owner", alice).json()
        self.assertEqual(listing["total"], 1)
        record = listing["records"][0]
        self.assertEqual(record["content_type"], "application/json")
        self.assertEqual(record["content"], {"owner": user_id(alice)})
        self.assertTrue(record["hash"].startswith("sha256:"))

    def test_reserved_meta_paths_refuse_writes(self):
        pod, alice = new_pod(), new_user("alice")
        write(pod, "blog", "hi", alice)
        for stream in [".meta/other", ".meta/streams", ".meta/owner/x"]:
            with self.subTest(stream=stream):
                self.assertEqual(write(pod, stream, "{}", alice).status, 403)
        delete = request("DELETE", "/.meta/owner", host=pod_host(pod), token=token(alice, pod))
        self.assertEqual(delete.status, 403)


class StreamListingTest(unittest.TestCase):
    def test_meta_streams_differs_by_caller(self):
        pod, alice, bob = new_pod(), new_user("alice"), new_user("bob")
        create_stream(pod, alice, "open", "public")
        create_stream(pod, alice, "closed", "private")
        create_stream(pod, alice, "team", "private")
        create_stream(pod, alice, "project", "/team")
        grant(pod, alice, "team", bob, True, False)

        def names(auth_id):
            answer = read(pod, "/.meta/streams", auth_id)
            self.assertEqual(answer.status, 200)
            body = answer.json()
            self.assertEqual(body["pod"], pod)
            return {s["stream_id"]: s for s in body["streams"]}

        owner_view = names(alice)
        self.assertEqual(set(owner_view),
                         {".meta/owner", "open", "closed", "team", "project"})
        self.assertEqual(owner_view[".meta/owner"]["access_permission"], "private")
        self.assertEqual(owner_view["project"]["access_permission"], "/team")
        self.assertEqual(owner_view["open"]["creator_id"], user_id(alice))
        self.assertRegex(owner_view["open"]["created_at"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertEqual(set(names(bob)), {"open", "project"})
        self.assertEqual(set(names(None)), {"open"})

    def test_meta_streams_of_missing_pod_is_404(self):
        answer = read(new_pod(), "/.meta/streams")
        self.assertEqual(answer.status, 404)
        self.assertEqual(answer.error_code, "POD_NOT_FOUND")


class LinksTest(unittest.TestCase):
    def test_links_route_any_path_to_stream_query_alias_or_stream(self):
        pod, alice = new_pod(), new_user("alice")
        write(pod, "home", "<h1>v1</h1>", alice, headers={"Content-Type": "text/html"})
        write(pod, "home", "<h1>v2</h1>", alice, headers={"Content-Type": "text/html"})
        write(pod, "pages", "about us", alice, query="?alias=about")
        write(pod, "feed", "one", alice)
        answer = write(pod, ".meta/links",
                       {"/": "home?i=-1", "/about": "pages/about", "/feed": "feed",
                        "/first": "home?i=0"}, alice)
        self.assertEqual(answer.status, 201, answer)
        self.assertEqual(answer.json(), {"success": True})
        root = read(pod, "/")
        self.assertEqual((root.status, root.body), (200, b"<h1>v2</h1>"))
        self.assertEqual(root.headers["content-type"], "text/html")
        self.assertEqual(read(pod, "/first").body, b"<h1>v1</h1>")
        self.assertEqual(read(pod, "/about").body, b"about us")
        self.assertEqual(read(pod, "/feed").json()["total"], 1)
        self.assertEqual(read(pod, "/unmapped").status, 404)

    def test_root_without_links_is_not_found(self):
        pod, alice = new_pod(), new_user("alice")
        write(pod, "blog", "x", alice)
        answer = read(pod, "/")
        self.assertEqual(answer.status, 404)
        self.assertEqual(answer.error_code, "NOT_FOUND")

    def test_linked_target_keeps_its_permissions(self):
        pod, alice = new_pod(), new_user("alice")
        create_stream(pod, alice, "hidden", "private")
        write(pod, ".meta/links", {"/": "hidden?i=0"}, alice)
        self.assertEqual(read(pod, "/").status, 403)
        self.assertEqual(read(pod, "/", alice).status, 200)

    def test_links_are_owner_only_and_must_map_strings_to_strings(self):
        pod, alice, bob = new_pod(), new_user("alice"), new_user("bob")
        write(pod, "blog", "x", alice)
        self.assertEqual(write(pod, ".meta/links", {"/": "blog"}, bob).status, 403)
        for body in [{"/": 5}, ["/"], "text", {"/": {"x": "y"}}]:
            with self.subTest(body=body):
                answer = write(pod, ".meta/links", body, alice,
                               headers={"Content-Type": "application/json"})
                self.assertEqual(answer.status, 400)
                self.assertEqual(answer.error_code, "INVALID_INPUT")
        self.assertEqual(read(pod, "/.meta/links", alice).status, 404)  # nothing valid stored
        self.assertEqual(write(pod, ".meta/links", {"/": "blog"}, alice).status, 201)
        self.assertEqual(read(pod, "/.meta/links", bob).status, 403)
        self.assertEqual(read(pod, "/.meta/links?i=-1", alice).json(), {"/": "blog"})

    def test_new_link_table_is_used_at_once(self):
        pod, alice = new_pod(), new_user("alice")
        write(pod, "a", "A", alice)
        write(pod, "b", "B", alice)
        for target, expected in [("a?i=0", b"A"), ("b?i=0", b"B"), ("a?i=-1", b"A")]:
            write(pod, ".meta/links", {"/": target}, alice)
            answers = together(8, lambda connection, _: [
                request("GET", "/", host=pod_host(pod), connection=connection).body
                for _ in range(2)])
            self.assertEqual({body for pair in answers for body in pair}, {expected})


class PodDeletionTest(unittest.TestCase):
    def test_owner_deletes_pod_with_everything(self):
        pod, alice = new_pod(), new_user("alice")
        write(pod, "blog", "x", alice)
        answer = request("DELETE", "/", host=pod_host(pod), token=token(alice, pod))
        self.assertEqual(answer.status, 204)
        self.assertEqual(read(pod, "/blog").error_code, "POD_NOT_FOUND")
        # The name is free again: the next writer owns a brand-new pod.
        bob = new_user("bob")
        self.assertEqual(write(pod, "blog", "y", bob).status, 201)
        self.assertEqual(read(pod, "/blog").json()["total"], 1)


if __name__ == "__main__":
    unittest.main()
