"""Tokens (SPEC §4) on the pod API: HS256 only, expiry, the user behind the claims, pod binding,
and the order of those checks. Bad tokens are signed here with the stack's secret."""

import base64
import json
import secrets
import time
import unittest
import uuid

import harness
from harness import new_pod, new_user, pod_host, request, token
from streams_helpers import b64url, claims_for, sign_jwt


def with_bearer(method, pod, path, jwt, body=None):
    return request(method, path, host=pod_host(pod), body=body,
                   headers={"Authorization": f"Bearer {jwt}"})


class TokenTestCase(unittest.TestCase):
    def setUp(self):
        self.user = new_user("tok")
        self.pod = new_pod("tok")
        answer = request("POST", "/public", host=pod_host(self.pod), body="first",
                         token=token(self.user, self.pod))
        self.assertEqual(answer.status, 201, answer)

    def assertError(self, answer, status, code):
        self.assertEqual(answer.status, status, answer)
        self.assertEqual(answer.error_code, code, answer)

    def assertRefusedEverywhere(self, jwt, code):
        """The token is refused on a write, a read of a public stream and a delete."""
        for method, path in [("POST", "/public"), ("GET", "/public"), ("GET", "/public?i=0"),
                             ("GET", "/.meta/streams"), ("DELETE", "/public"),
                             ("POST", "/newstream")]:
            with self.subTest(method=method, path=path):
                answer = with_bearer(method, self.pod, path, jwt,
                                     body="x" if method == "POST" else None)
                self.assertError(answer, 401, code)
        self.assertEqual(self.count(), 1)

    def count(self):
        answer = request("GET", "/public", host=pod_host(self.pod))
        self.assertEqual(answer.status, 200, answer)
        return answer.json()["total"]


class SignatureTest(TokenTestCase):
    def test_hand_signed_token_is_accepted(self):
        jwt = sign_jwt(claims_for(self.user, self.pod))
        answer = with_bearer("POST", self.pod, "/public", jwt, body="signed here")
        self.assertEqual(answer.status, 201, answer)
        self.assertEqual(answer.json()["author"], self.user)

    def test_bare_token_without_bearer_is_accepted(self):
        answer = request("POST", "/public", host=pod_host(self.pod), body="bare",
                         headers={"Authorization": token(self.user, self.pod)})
        self.assertEqual(answer.status, 201, answer)

    def test_pod_token_cookie_is_accepted(self):
        # As the pod's own page sends it: cookie-authenticated writes must be same-origin (§9).
        cookie = {"Cookie": f"pod_token={token(self.user, self.pod)}",
                  "Sec-Fetch-Site": "same-origin"}
        answer = request("POST", "/public", host=pod_host(self.pod), body="cookie",
                         headers=cookie)
        self.assertEqual(answer.status, 201, answer)
        answer = request("POST", "/secret?access=private", host=pod_host(self.pod), body="c",
                         headers=cookie)
        self.assertEqual(answer.status, 201, answer)
        answer = request("GET", "/secret?i=0", host=pod_host(self.pod), headers=cookie)
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, b"c")

    def test_alg_none_is_invalid(self):
        claims = claims_for(self.user, self.pod)
        for alg in ["none", "None", "NONE"]:
            with self.subTest(alg=alg):
                self.assertRefusedEverywhere(sign_jwt(claims, alg=alg, signature=""),
                                             "INVALID_TOKEN")
        # alg none carrying a signature that would be right for HS256 is still refused.
        good_signature = sign_jwt(claims).split(".")[2]
        self.assertRefusedEverywhere(
            sign_jwt(claims, header={"alg": "none", "typ": "JWT"}, signature=good_signature),
            "INVALID_TOKEN")

    def test_other_algorithms_are_invalid(self):
        claims = claims_for(self.user, self.pod)
        for alg in ["HS384", "HS512"]:
            with self.subTest(alg=alg):
                self.assertRefusedEverywhere(sign_jwt(claims, alg=alg), "INVALID_TOKEN")
        # A header without alg, signed as HS256.
        self.assertRefusedEverywhere(sign_jwt(claims, header={"typ": "JWT"}), "INVALID_TOKEN")

    def test_wrong_secret_is_invalid(self):
        jwt = sign_jwt(claims_for(self.user, self.pod), secret=secrets.token_hex(32))
        self.assertRefusedEverywhere(jwt, "INVALID_TOKEN")

    def test_altered_payload_is_invalid(self):
        header, _, signature = sign_jwt(claims_for(self.user, new_pod("elsewhere"))).split(".")
        payload = b64url(json.dumps(claims_for(self.user, self.pod),
                                    separators=(",", ":")).encode())
        self.assertRefusedEverywhere(f"{header}.{payload}.{signature}", "INVALID_TOKEN")

    def test_altered_real_token_is_invalid(self):
        real = token(self.user, self.pod)
        header, payload, signature = real.split(".")
        flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
        self.assertRefusedEverywhere(f"{header}.{payload}.{flipped}", "INVALID_TOKEN")

    def test_malformed_tokens_are_invalid(self):
        real = token(self.user, self.pod)
        for jwt in ["not-a-jwt", "a.b.c", real + ".x", real.rsplit(".", 1)[0],
                    real.replace(".", "!", 1),
                    base64.urlsafe_b64encode(b'{"alg":"HS256"}').decode() + ".e30.AAAA"]:
            with self.subTest(jwt=jwt[:40]):
                self.assertRefusedEverywhere(jwt, "INVALID_TOKEN")

    def test_invalid_token_on_a_read_is_not_anonymous(self):
        answer = with_bearer("GET", self.pod, "/public", "garbage")
        self.assertError(answer, 401, "INVALID_TOKEN")
        answer = request("GET", "/public", host=pod_host(self.pod),
                         headers={"Cookie": "pod_token=garbage"})
        self.assertError(answer, 401, "INVALID_TOKEN")
        # Without any token the same read is fine.
        self.assertEqual(request("GET", "/public", host=pod_host(self.pod)).status, 200)


class ExpiryTest(TokenTestCase):
    def test_expired_token(self):
        jwt = sign_jwt(claims_for(self.user, self.pod, lifetime=3600, issued_ago=3610))
        self.assertRefusedEverywhere(jwt, "TOKEN_EXPIRED")

    def test_token_valid_for_a_while_yet_works(self):
        jwt = sign_jwt(claims_for(self.user, self.pod, lifetime=3600, issued_ago=3500))
        self.assertEqual(with_bearer("POST", self.pod, "/public", jwt, body="x").status, 201)

    def test_bad_signature_is_checked_before_expiry(self):
        jwt = sign_jwt(claims_for(self.user, self.pod, issued_ago=7200),
                       secret=secrets.token_hex(32))
        self.assertRefusedEverywhere(jwt, "INVALID_TOKEN")

    def test_expiry_is_checked_before_the_user(self):
        claims = claims_for(self.user, self.pod, issued_ago=7200,
                            user_id=str(uuid.uuid4()))
        self.assertRefusedEverywhere(sign_jwt(claims), "TOKEN_EXPIRED")

    def test_expiry_is_checked_before_the_pod(self):
        claims = claims_for(self.user, new_pod("elsewhere"), issued_ago=7200)
        self.assertRefusedEverywhere(sign_jwt(claims), "TOKEN_EXPIRED")

    def test_non_integer_times_are_invalid(self):
        now = int(time.time())
        for overrides in [{"exp": str(now + 3600)}, {"exp": now + 3600.5},
                          {"iat": str(now)}, {"exp": True}]:
            with self.subTest(overrides=overrides):
                self.assertRefusedEverywhere(sign_jwt(claims_for(self.user, self.pod,
                                                                 **overrides)),
                                             "INVALID_TOKEN")


class UserClaimsTest(TokenTestCase):
    def test_unknown_user_id_is_invalid(self):
        claims = claims_for(self.user, self.pod, user_id=str(uuid.uuid4()))
        self.assertRefusedEverywhere(sign_jwt(claims), "INVALID_TOKEN")

    def test_user_id_and_auth_id_of_different_users_is_invalid(self):
        other = new_user("tok-other")
        claims = claims_for(self.user, self.pod, user_id=harness.user_id(other))
        self.assertRefusedEverywhere(sign_jwt(claims), "INVALID_TOKEN")
        claims = claims_for(self.user, self.pod, auth_id=other)
        self.assertRefusedEverywhere(sign_jwt(claims), "INVALID_TOKEN")

    def test_unknown_auth_id_is_invalid(self):
        claims = claims_for(self.user, self.pod, auth_id="auth:test:nobody-" + secrets.token_hex(4))
        self.assertRefusedEverywhere(sign_jwt(claims), "INVALID_TOKEN")

    def test_missing_user_claims_are_invalid(self):
        for key in ["user_id", "auth_id"]:
            with self.subTest(missing=key):
                claims = claims_for(self.user, self.pod)
                del claims[key]
                self.assertRefusedEverywhere(sign_jwt(claims), "INVALID_TOKEN")

    def test_user_is_checked_before_the_pod(self):
        claims = claims_for(self.user, new_pod("elsewhere"), user_id=str(uuid.uuid4()))
        self.assertRefusedEverywhere(sign_jwt(claims), "INVALID_TOKEN")


class PodBindingTest(TokenTestCase):
    def setUp(self):
        super().setUp()
        # A second pod of the same user: even its owner cannot use pod A's token there.
        self.pod_b = new_pod("tok-b")
        answer = request("POST", "/public", host=pod_host(self.pod_b), body="b",
                         token=token(self.user, self.pod_b))
        self.assertEqual(answer.status, 201, answer)

    def test_pod_a_token_on_pod_b_is_pod_mismatch(self):
        jwt = token(self.user, self.pod)
        for method, path in [("POST", "/public"), ("POST", "/newstream"), ("GET", "/public"),
                             ("GET", "/public?i=0"), ("GET", "/.meta/streams"),
                             ("DELETE", "/public"), ("DELETE", "/")]:
            with self.subTest(method=method, path=path):
                answer = with_bearer(method, self.pod_b, path, jwt,
                                     body="x" if method == "POST" else None)
                self.assertError(answer, 401, "POD_MISMATCH")
        answer = request("GET", "/public", host=pod_host(self.pod_b))
        self.assertEqual(answer.json()["total"], 1)

    def test_pod_a_cookie_on_pod_b_is_pod_mismatch(self):
        answer = request("POST", "/public", host=pod_host(self.pod_b), body="x",
                         headers={"Cookie": f"pod_token={token(self.user, self.pod)}"})
        self.assertError(answer, 401, "POD_MISMATCH")

    def test_pod_token_for_a_pod_that_does_not_exist_yet_on_another_pod(self):
        jwt = sign_jwt(claims_for(self.user, new_pod("future")))
        answer = with_bearer("POST", self.pod_b, "/public", jwt, body="x")
        self.assertError(answer, 401, "POD_MISMATCH")

    def test_global_token_cannot_write_or_delete(self):
        jwt = token(self.user)
        for method, path in [("POST", "/public"), ("POST", "/newstream"),
                             ("DELETE", "/public"), ("DELETE", "/")]:
            with self.subTest(method=method, path=path):
                answer = with_bearer(method, self.pod, path, jwt,
                                     body="x" if method == "POST" else None)
                self.assertError(answer, 401, "POD_MISMATCH")
        self.assertEqual(self.count(), 1)

    def test_global_token_for_a_missing_pod_write_is_pod_mismatch(self):
        answer = with_bearer("POST", new_pod("nopod"), "/public", token(self.user), body="x")
        self.assertError(answer, 401, "POD_MISMATCH")

    def test_global_token_reads(self):
        answer = with_bearer("GET", self.pod, "/public", token(self.user))
        self.assertEqual(answer.status, 200, answer)
        answer = request("POST", "/secret?access=private", host=pod_host(self.pod), body="s",
                         token=token(self.user, self.pod))
        self.assertEqual(answer.status, 201, answer)
        answer = with_bearer("GET", self.pod, "/secret?i=0", token(self.user))
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, b"s")
        answer = with_bearer("GET", self.pod, "/.meta/owner?i=-1", token(self.user))
        self.assertEqual(answer.status, 200, answer)

    def test_no_token(self):
        for method, path in [("POST", "/public"), ("DELETE", "/public"), ("DELETE", "/")]:
            with self.subTest(method=method, path=path):
                answer = request(method, path, host=pod_host(self.pod),
                                 body="x" if method == "POST" else None)
                self.assertError(answer, 401, "UNAUTHORIZED")
        self.assertEqual(self.count(), 1)


if __name__ == "__main__":
    unittest.main()
