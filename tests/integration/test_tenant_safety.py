"""Tenant safety (issue 12, SPEC §9) over HTTP through nginx, one class per finding of the issue:
cross-pod writes by cookie, stored scripts, self-granted access, login fixation, ownership
transfer, and the smaller ones (caching, secrets, the production access log). The headless
Chromium half is test_tenant_safety_browser.py."""

import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import unittest
import urllib.parse

import harness
import test_login as login
from harness import (DOMAIN, new_pod, new_user, pod_host, read, request, together, token,
                     user_id, write)

REPO = harness.stack_module.REPO


# ---- helpers -------------------------------------------------------------------------------------

def http_origin(pod=None):
    """The origin of a pod (or of the main domain) as the stack's plain-http nginx serves it."""
    host = pod_host(pod) if pod else DOMAIN
    return f"http://{host}:{harness.STACK.http_port}"


def https_origin(pod=None):
    host = pod_host(pod) if pod else DOMAIN
    return f"https://{host}:{harness.STACK.https_port}"


def by_cookie(method, pod, path, body=None, jwt=None, origin=None, fetch_site=None,
              content_type="text/plain", https=False, cookie_name=None):
    """A request on a pod authenticated only by its pod_token cookie (no Authorization)."""
    headers = {}
    if jwt is not None:
        name = cookie_name or ("__Host-pod_token" if https else "pod_token")
        headers["Cookie"] = f"{name}={jwt}"
    if origin is not None:
        headers["Origin"] = origin
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    if body is not None and content_type is not None:
        headers["Content-Type"] = content_type
    return request(method, path, host=pod_host(pod), body=body, headers=headers, https=https)


def all_headers(method, path, host, headers=None):
    """(status, [(lower-case name, value)], body): every header, repeated ones kept."""
    connection = http.client.HTTPConnection("127.0.0.1", harness.STACK.http_port, timeout=60)
    try:
        connection.request(method, path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return (response.status, [(name.lower(), value) for name, value in response.getheaders()],
                response.read())
    finally:
        connection.close()


def csp_of(pod, path, auth_id=None):
    """The Content-Security-Policy values of a raw read, joined (several headers combine)."""
    headers = {"Authorization": f"Bearer {token(auth_id, pod)}"} if auth_id else {}
    status, header_list, body = all_headers("GET", path, pod_host(pod), headers)
    assert status == 200, (path, status, body[:300])
    return ", ".join(value for name, value in header_list if name == "content-security-policy")


def is_sandboxed(csp):
    return any(directive.strip().lower().split(" ")[0] == "sandbox"
               for policy in csp.split(",") for directive in policy.split(";"))


def records(pod, stream, auth_id):
    answer = read(pod, f"/{stream}?limit=1000", auth_id)
    assert answer.status == 200, (stream, answer)
    return answer.json()["records"]


class SafetyTestCase(unittest.TestCase):
    def assertError(self, answer, status, code):
        self.assertEqual(answer.status, status, answer)
        self.assertEqual(answer.error_code, code, answer)


# ---- 1. cross-pod writes by cookie ---------------------------------------------------------------

class CrossOriginCookieWriteTest(SafetyTestCase):
    """SPEC §9: a POST or DELETE authenticated by a cookie is accepted only from the pod's own
    origin (or, without Origin, with Sec-Fetch-Site: same-origin)."""

    def setUp(self):
        self.pod, self.owner = new_pod("victim"), new_user("owner")
        self.other = new_pod("evil")
        self.assertEqual(write(self.pod, "notes", "first", self.owner).status, 201)
        self.jwt = token(self.owner, self.pod)

    def foreign(self):
        """Every Origin / Sec-Fetch-Site combination that is not the pod itself."""
        port = harness.STACK.http_port
        return [
            ({"origin": http_origin(self.other)}, "another pod"),
            ({"origin": https_origin(self.other)}, "another pod over https"),
            ({"origin": http_origin()}, "the main domain"),
            ({"origin": "null"}, "null"),
            ({}, "neither Origin nor Sec-Fetch-Site"),
            ({"origin": f"http://{pod_host(self.pod)}:{port + 1}"}, "the pod on another port"),
            ({"origin": https_origin(self.pod)}, "the pod over another scheme"),
            ({"origin": f"http://{pod_host(self.pod)}:{port}.evil.example"}, "a suffix"),
            ({"origin": http_origin(self.other), "fetch_site": "same-origin"},
             "a foreign Origin with Sec-Fetch-Site: same-origin"),
            ({"fetch_site": "same-site"}, "Sec-Fetch-Site: same-site"),
            ({"fetch_site": "cross-site"}, "Sec-Fetch-Site: cross-site"),
            ({"fetch_site": "none"}, "Sec-Fetch-Site: none"),
        ]

    def test_foreign_cookie_writes_are_cross_origin_request_and_write_nothing(self):
        for sender, label in self.foreign():
            with self.subTest(sender=label):
                self.assertError(by_cookie("POST", self.pod, "/notes", "pwned", self.jwt,
                                           **sender), 403, "CROSS_ORIGIN_REQUEST")
                self.assertError(by_cookie("POST", self.pod, "/created-by-cookie", "pwned",
                                           self.jwt, **sender), 403, "CROSS_ORIGIN_REQUEST")
                self.assertError(by_cookie("POST", self.pod, "/.meta/owner",
                                           json.dumps({"owner": user_id(new_user("thief"))}),
                                           self.jwt, content_type="application/json",
                                           **sender), 403, "CROSS_ORIGIN_REQUEST")
                self.assertError(by_cookie("POST", self.pod, "/.meta/links",
                                           json.dumps({"/": "notes?i=0"}), self.jwt,
                                           content_type="application/json", **sender),
                                 403, "CROSS_ORIGIN_REQUEST")
                self.assertError(by_cookie("DELETE", self.pod, "/notes", jwt=self.jwt, **sender),
                                 403, "CROSS_ORIGIN_REQUEST")
                self.assertError(by_cookie("DELETE", self.pod, "/", jwt=self.jwt, **sender),
                                 403, "CROSS_ORIGIN_REQUEST")
        # Nothing was written, moved or deleted.
        notes = records(self.pod, "notes", self.owner)
        self.assertEqual([record["content"] for record in notes], ["first"])
        self.assertError(read(self.pod, "/created-by-cookie", self.owner), 404,
                         "STREAM_NOT_FOUND")
        self.assertEqual(records(self.pod, ".meta/owner", self.owner)[-1]["content"],
                         {"owner": user_id(self.owner)})
        self.assertError(read(self.pod, "/.meta/links", self.owner), 404, "STREAM_NOT_FOUND")

    def test_foreign_cookie_writes_over_https_are_refused(self):
        for origin in [https_origin(self.other), http_origin(self.pod), "null", None]:
            with self.subTest(origin=origin):
                self.assertError(by_cookie("POST", self.pod, "/notes", "pwned", self.jwt,
                                           origin=origin, https=True),
                                 403, "CROSS_ORIGIN_REQUEST")
        self.assertEqual(len(records(self.pod, "notes", self.owner)), 1)

    def test_the_pods_own_origin_may_write_by_cookie(self):
        own = by_cookie("POST", self.pod, "/notes", "own origin", self.jwt,
                        origin=http_origin(self.pod))
        self.assertEqual(own.status, 201, own)
        self.assertEqual(own.json()["author"], self.owner)
        same = by_cookie("POST", self.pod, "/notes", "same-origin", self.jwt,
                         fetch_site="same-origin")
        self.assertEqual(same.status, 201, same)
        over_https = by_cookie("POST", self.pod, "/notes", "own https origin", self.jwt,
                               origin=https_origin(self.pod), https=True)
        self.assertEqual(over_https.status, 201, over_https)
        self.assertEqual([record["content"] for record in records(self.pod, "notes", self.owner)],
                         ["first", "own origin", "same-origin", "own https origin"])
        # The owner's own pages may also create, delete and administer by cookie.
        self.assertEqual(by_cookie("POST", self.pod, "/scratch", "x", self.jwt,
                                   origin=http_origin(self.pod)).status, 201)
        self.assertEqual(by_cookie("DELETE", self.pod, "/scratch", jwt=self.jwt,
                                   origin=http_origin(self.pod)).status, 204)
        links = by_cookie("POST", self.pod, "/.meta/links", json.dumps({"/": "notes?i=0"}),
                          self.jwt, origin=http_origin(self.pod), content_type="application/json")
        self.assertEqual(links.status, 201, links)

    def test_authorization_header_is_not_affected_by_origin(self):
        for origin in [http_origin(self.other), "null", http_origin()]:
            with self.subTest(origin=origin):
                answer = request("POST", "/notes", host=pod_host(self.pod), body="bearer",
                                 token=self.jwt, headers={"Origin": origin,
                                                          "Content-Type": "text/plain"})
                self.assertEqual(answer.status, 201, answer)
        both = request("POST", "/notes", host=pod_host(self.pod), body="bearer and cookie",
                       token=self.jwt, headers={"Origin": http_origin(self.other),
                                                "Cookie": f"pod_token={self.jwt}"})
        self.assertEqual(both.status, 201, both)
        delete = request("DELETE", "/notes", host=pod_host(self.pod), token=self.jwt,
                         headers={"Origin": http_origin(self.other)})
        self.assertEqual(delete.status, 204, delete)

    def test_reads_by_cookie_are_not_affected(self):
        answer = request("GET", "/notes?i=0", host=pod_host(self.pod),
                         headers={"Cookie": f"pod_token={self.jwt}",
                                  "Origin": http_origin(self.other)})
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, b"first")

    def test_no_cross_origin_access_is_granted_to_another_pod(self):
        for method, path in [("GET", "/notes?i=0"), ("OPTIONS", "/notes"), ("POST", "/notes")]:
            with self.subTest(method=method):
                status, headers, _ = all_headers(method, path, pod_host(self.pod), {
                    "Origin": http_origin(self.other),
                    "Access-Control-Request-Method": "POST",
                    "Cookie": f"pod_token={self.jwt}"})
                names = {name: value for name, value in headers}
                self.assertNotEqual(names.get("access-control-allow-origin"),
                                    http_origin(self.other))
                self.assertNotEqual(names.get("access-control-allow-origin"), "*")
                self.assertNotEqual(names.get("access-control-allow-credentials"), "true")


class MainDomainCookieStateChangeTest(login.LoginTestCase):
    """SPEC §9: the same rule on the main domain for POST /auth/logout and DELETE
    /auth/sessions[/{id}] authenticated by cookie."""

    def logged_in(self):
        login.new_identity("oidc")
        browser = login.Browser()
        self.login(browser, "oidc")
        self.assertIn(login.SESSION_COOKIE, browser.cookies(DOMAIN))
        self.assertIn(login.TOKEN_COOKIE, browser.cookies(DOMAIN))
        return browser

    def alive(self, browser):
        return browser.request("GET", login.main_url("/auth/session")).status == 200

    def foreign_origins(self):
        return [https_origin(new_pod("evil")), http_origin(new_pod("evil")), "null", None]

    def test_cross_origin_logout_is_refused(self):
        browser = self.logged_in()
        for origin in self.foreign_origins():
            with self.subTest(origin=origin):
                headers = {"Origin": origin} if origin else {}
                self.assertError(browser.request("POST", login.main_url("/auth/logout"),
                                                 headers=headers, from_own_page=False),
                                 403, "CROSS_ORIGIN_REQUEST")
                self.assertTrue(self.alive(browser))
        own = browser.request("POST", login.main_url("/auth/logout"),
                              headers={"Origin": https_origin()})
        self.assertEqual(own.status, 200, own)
        self.assertFalse(self.alive(browser))

    def test_cross_origin_session_revocation_is_refused(self):
        browser = self.logged_in()
        session_id = browser.request("GET", login.main_url("/auth/session")).json()["sessionId"]
        for origin in self.foreign_origins():
            with self.subTest(origin=origin):
                headers = {"Origin": origin} if origin else {}
                self.assertError(browser.request("DELETE", login.main_url("/auth/sessions"),
                                                 headers=headers, from_own_page=False),
                                 403, "CROSS_ORIGIN_REQUEST")
                self.assertError(browser.request("DELETE",
                                                 login.main_url(f"/auth/sessions/{session_id}"),
                                                 headers=headers, from_own_page=False),
                                 403, "CROSS_ORIGIN_REQUEST")
                self.assertTrue(self.alive(browser))
        own = browser.request("DELETE", login.main_url(f"/auth/sessions/{session_id}"),
                              headers={"Sec-Fetch-Site": "same-origin"}, from_own_page=False)
        self.assertEqual(own.status, 200, own)
        self.assertFalse(self.alive(browser))

    def test_bearer_revocation_is_not_affected(self):
        browser = self.logged_in()
        jwt = browser.cookies(DOMAIN)[login.TOKEN_COOKIE]
        answer = login.fetch("DELETE", login.main_url("/auth/sessions"),
                             headers={"Authorization": f"Bearer {jwt}",
                                      "Origin": https_origin(new_pod("evil"))})
        self.assertEqual(answer.status, 200, answer)
        self.assertFalse(self.alive(browser))


class SystemRecordsAreJsonTest(SafetyTestCase):
    """SPEC §9: POST /.meta/owner and /.meta/links need Content-Type: application/json."""

    def setUp(self):
        self.pod, self.owner, self.heir = new_pod("json"), new_user("owner"), new_user("heir")
        self.assertEqual(write(self.pod, "page", "hello", self.owner).status, 201)

    def post(self, stream, body, content_type):
        headers = {"Content-Type": content_type} if content_type else {}
        return request("POST", f"/{stream}", host=pod_host(self.pod), body=json.dumps(body),
                       headers=headers, token=token(self.owner, self.pod))

    def test_owner_and_links_refuse_bodies_that_are_not_declared_json(self):
        transfer = {"owner": user_id(self.heir)}
        links = {"/": "page?i=0"}
        for content_type in ["text/plain", None, "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", "text/json"]:
            with self.subTest(content_type=content_type):
                self.assertError(self.post(".meta/owner", transfer, content_type), 400,
                                 "INVALID_INPUT")
                self.assertError(self.post(".meta/links", links, content_type), 400,
                                 "INVALID_INPUT")
        # The pod is still the owner's and has no links.
        self.assertEqual(records(self.pod, ".meta/owner", self.owner)[-1]["content"],
                         {"owner": user_id(self.owner)})
        self.assertError(read(self.pod, "/", self.owner), 404, "NOT_FOUND")

    def test_declared_json_is_accepted(self):
        answer = self.post(".meta/links", {"/": "page?i=0"}, "application/json; charset=utf-8")
        self.assertEqual(answer.status, 201, answer)
        answer = self.post(".meta/owner", {"owner": user_id(self.heir)}, "application/json")
        self.assertEqual(answer.status, 201, answer)
        self.assertEqual(answer.json(), {"success": True})


# ---- 2. stored script ----------------------------------------------------------------------------

SCRIPT_PAGE = b"<!doctype html><script>fetch('/guestbook',{method:'POST',body:'x'})</script>"


class StoredScriptSandboxTest(SafetyTestCase):
    """SPEC §9: a raw record of an active type whose author is not the pod's current owner is
    served with Content-Security-Policy: sandbox, by index, alias or link."""

    def setUp(self):
        self.pod, self.owner, self.stranger = new_pod("site"), new_user("owner"), new_user("guest")
        answer = write(self.pod, "guestbook", "welcome", self.owner)  # public
        self.assertEqual(answer.status, 201, answer)

    def append(self, auth_id, body, content_type, alias=None):
        answer = write(self.pod, "guestbook", body, auth_id,
                       query=f"?alias={alias}" if alias else "",
                       headers={"Content-Type": content_type})
        self.assertEqual(answer.status, 201, answer)
        return answer.json()["index"]

    def test_strangers_html_is_sandboxed_by_index_alias_and_link(self):
        index = self.append(self.stranger, SCRIPT_PAGE, "text/html", alias="hello")
        links = {"/guest": f"guestbook?i={index}", "/guest-alias": "guestbook/hello",
                 "/guest-latest": "guestbook?i=-1"}
        self.assertEqual(write(self.pod, ".meta/links", links, self.owner).status, 201)
        for path in [f"/guestbook?i={index}", "/guestbook?i=-1", "/guestbook/hello",
                     f"/guestbook/{index}", "/guest", "/guest-alias", "/guest-latest"]:
            for reader in [None, self.owner, self.stranger]:
                with self.subTest(path=path, reader=reader):
                    self.assertTrue(is_sandboxed(csp_of(self.pod, path, reader)),
                                    "a stranger's text/html must carry CSP sandbox")

    def test_owners_html_is_served_as_written(self):
        index = self.append(self.owner, SCRIPT_PAGE, "text/html", alias="mine")
        self.assertEqual(write(self.pod, ".meta/links", {"/": "guestbook/mine"},
                               self.owner).status, 201)
        for path in [f"/guestbook?i={index}", "/guestbook/mine", "/"]:
            with self.subTest(path=path):
                self.assertFalse(is_sandboxed(csp_of(self.pod, path)))

    def test_every_active_type_of_a_stranger_is_sandboxed(self):
        for content_type in ["image/svg+xml", "application/xhtml+xml", "text/xml",
                             "application/xml", "application/atom+xml", "application/rss+xml",
                             "TEXT/HTML; charset=utf-8", "Image/SVG+XML", "text/html;charset=x"]:
            with self.subTest(content_type=content_type):
                index = self.append(self.stranger, b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                                    content_type)
                self.assertTrue(is_sandboxed(csp_of(self.pod, f"/guestbook?i={index}")))
        # X-Content-Type names the type too (SPEC §2 Write).
        answer = write(self.pod, "guestbook", SCRIPT_PAGE, self.stranger,
                       headers={"X-Content-Type": "text/html", "Content-Type": "text/plain"})
        self.assertEqual(answer.status, 201, answer)
        self.assertTrue(is_sandboxed(csp_of(self.pod, f"/guestbook?i={answer.json()['index']}")))

    def test_passive_types_of_a_stranger_are_not_sandboxed(self):
        for content_type in ["text/plain", "image/png", "application/json", "text/css"]:
            with self.subTest(content_type=content_type):
                body = b'{"a": 1}' if content_type == "application/json" else b"passive"
                index = self.append(self.stranger, body, content_type)
                self.assertFalse(is_sandboxed(csp_of(self.pod, f"/guestbook?i={index}")))

    def test_transfer_moves_the_sandbox_to_the_former_owners_records(self):
        strangers = self.append(self.stranger, SCRIPT_PAGE, "text/html")
        owners = self.append(self.owner, SCRIPT_PAGE, "text/html")
        self.assertTrue(is_sandboxed(csp_of(self.pod, f"/guestbook?i={strangers}")))
        self.assertFalse(is_sandboxed(csp_of(self.pod, f"/guestbook?i={owners}")))
        answer = write(self.pod, ".meta/owner", {"owner": user_id(self.stranger)}, self.owner)
        self.assertEqual(answer.status, 201, answer)
        self.assertFalse(is_sandboxed(csp_of(self.pod, f"/guestbook?i={strangers}")))
        self.assertTrue(is_sandboxed(csp_of(self.pod, f"/guestbook?i={owners}")))


# ---- 3. self-granted access ----------------------------------------------------------------------

def grant(pod, granter, list_stream, auth_id, read_flag=True, write_flag=False):
    answer = write(pod, list_stream, {"id": auth_id, "read": read_flag, "write": write_flag},
                   granter)
    assert answer.status == 201, answer
    return answer


def transfer(pod, owner, heir):
    answer = write(pod, ".meta/owner", {"owner": user_id(heir)}, owner)
    assert answer.status == 201, answer


class AllowListAuthorshipTest(SafetyTestCase):
    """SPEC §2 Permissions, §9: only grants by the list stream's creator or the pod's current
    owner count."""

    def setUp(self):
        self.pod, self.owner, self.stranger = new_pod("gate"), new_user("owner"), new_user("mal")
        # gate is public (no access=private): anyone with a token for the pod may append to it.
        grant(self.pod, self.owner, "gate", new_user("nobody"))
        answer = write(self.pod, "secret", "top secret", self.owner, query="?access=/gate")
        self.assertEqual(answer.status, 201, answer)

    def test_a_stranger_cannot_grant_himself_read_or_write(self):
        grant(self.pod, self.stranger, "gate", self.stranger, read_flag=True, write_flag=True)
        self.assertError(read(self.pod, "/secret", self.stranger), 403, "FORBIDDEN")
        self.assertError(read(self.pod, "/secret?i=0", self.stranger), 403, "FORBIDDEN")
        self.assertError(write(self.pod, "secret", "mine now", self.stranger), 403, "FORBIDDEN")
        self.assertEqual(len(records(self.pod, "secret", self.owner)), 1)

    def test_the_owners_grant_counts_and_a_strangers_revocation_does_not(self):
        friend = new_user("friend")
        grant(self.pod, self.owner, "gate", friend)
        self.assertEqual(read(self.pod, "/secret", friend).status, 200)
        grant(self.pod, self.stranger, "gate", friend, read_flag=False)
        self.assertEqual(read(self.pod, "/secret", friend).status, 200,
                         "a stranger's record naming the friend must be ignored")
        grant(self.pod, self.owner, "gate", friend, read_flag=False)
        self.assertError(read(self.pod, "/secret", friend), 403, "FORBIDDEN")

    def test_after_a_transfer_only_the_creator_and_the_new_owner_count(self):
        # alice creates the pod and hands it to carol, who creates the list and the protected
        # stream (so carol is their creator), and hands it back: alice is owner but not the
        # list's creator. alice's grant counts while she owns the pod, and stops counting when
        # she hands it to dave; carol's (the creator's) and dave's (the owner's) count.
        pod = new_pod("relay")
        alice, carol, dave = new_user("alice"), new_user("carol"), new_user("dave")
        bob, erin, frank = new_user("bob"), new_user("erin"), new_user("frank")
        self.assertEqual(write(pod, "home", "hi", alice).status, 201)
        transfer(pod, alice, carol)
        grant(pod, carol, "gate", new_user("nobody"))
        self.assertEqual(write(pod, "secret", "s", carol, query="?access=/gate").status, 201)
        transfer(pod, carol, alice)
        grant(pod, alice, "gate", bob)
        self.assertEqual(read(pod, "/secret", bob).status, 200, "the owner's grant counts")
        transfer(pod, alice, dave)
        self.assertError(read(pod, "/secret", bob), 403, "FORBIDDEN")
        grant(pod, carol, "gate", erin)
        self.assertEqual(read(pod, "/secret", erin).status, 200, "the creator's grant counts")
        grant(pod, dave, "gate", frank)
        self.assertEqual(read(pod, "/secret", frank).status, 200, "the new owner's grant counts")
        # The former owner, not the list's creator, can no longer revoke either.
        grant(pod, alice, "gate", erin, read_flag=False)
        self.assertEqual(read(pod, "/secret", erin).status, 200)

    def test_a_former_owner_who_created_the_list_still_counts(self):
        heir, friend = new_user("heir"), new_user("friend")
        transfer(self.pod, self.owner, heir)
        grant(self.pod, self.owner, "gate", friend)  # the owner created gate
        self.assertEqual(read(self.pod, "/secret", friend).status, 200)


# ---- 4. login fixation ---------------------------------------------------------------------------

def cookie_attributes(reply, name):
    cookie = reply.cookie(name)
    assert cookie is not None, (name, reply.set_cookies)
    return cookie


class LoginBindingTest(login.LoginTestCase):
    """SPEC §9: logins are bound to the browser that began them (webpods.state on the main
    domain, webpods.login on a pod)."""

    def check_short_cookie(self, cookie, secure):
        self.assertIn("httponly", cookie)
        self.assertEqual(cookie["samesite"].lower(), "lax")
        self.assertEqual(cookie["path"], "/")
        self.assertEqual(cookie["max-age"], "600")
        self.assertNotIn("domain", cookie)
        self.assertEqual("secure" in cookie, secure)
        self.assertGreaterEqual(len(cookie["value"]), 16)

    # (a) the main domain's callback
    def test_provider_start_sets_the_state_cookie(self):
        reply = self.start(login.Browser(), "oidc")
        self.check_short_cookie(cookie_attributes(reply, "__Host-webpods.state"), secure=True)
        plain = login.fetch("GET", f"{http_origin()}/auth/oidc")
        self.assertEqual(plain.status, 302, plain)
        self.check_short_cookie(cookie_attributes(plain, "webpods.state"), secure=False)

    def test_callback_without_the_state_cookie_is_invalid_state(self):
        login.new_identity("oidc")
        callback = self.to_callback(login.Browser(), "oidc")
        self.assertError(login.fetch("GET", callback), 400, "INVALID_STATE")

    def test_callback_with_another_browsers_state_cookie_is_invalid_state(self):
        login.new_identity("oidc")
        attacker = login.Browser()
        callback = self.to_callback(attacker, "oidc")  # the attacker's own login, not finished
        victim = login.Browser()
        self.start(victim, "oidc")  # the victim holds a state cookie of his own
        self.assertError(victim.request("GET", callback), 400, "INVALID_STATE")
        self.assertNotIn(login.SESSION_COOKIE, victim.cookies(DOMAIN))

    def test_the_browser_that_began_still_logs_in(self):
        login.new_identity("oidc")
        browser = login.Browser()
        reply = self.login(browser, "oidc")
        self.assertTrue(reply.location.startswith(login.main_url("/auth/success?token=")))
        self.assertIn(login.SESSION_COOKIE, browser.cookies(DOMAIN))

    def test_missing_parameters_are_reported_before_the_cookie(self):
        for query in ["", "?code=abc", "?state=abc"]:
            with self.subTest(query=query):
                self.assertError(login.fetch("GET", login.main_url(f"/auth/oidc/callback{query}")),
                                 400, "INVALID_CALLBACK")

    # (b) a pod's callback
    def test_pod_callback_without_state_is_invalid_state(self):
        pod, user = new_pod("fix"), new_user("fix")
        jwt = token(user, pod)
        reply = login.fetch("GET", login.pod_url(pod, f"/auth/callback?token={jwt}&redirect=/",
                                                 https=False))
        self.assertError(reply, 400, "INVALID_STATE")
        self.assertIsNone(reply.cookie("pod_token"))
        reply = login.fetch("GET", login.pod_url(pod, f"/auth/callback?token={jwt}"))
        self.assertError(reply, 400, "INVALID_STATE")
        self.assertIsNone(reply.cookie(login.POD_TOKEN_COOKIE))

    def test_pod_callback_with_a_state_not_matching_the_cookie_is_invalid_state(self):
        pod, user = new_pod("fix"), new_user("fix")
        jwt = token(user, pod)
        url = login.pod_url(pod, f"/auth/callback?token={jwt}&state=attackers-state-123456789"
                                 "&redirect=/", https=False)
        for cookies in [None, {"webpods.login": "victims-state-1234567890"},
                        {"webpods.login": ""}]:
            with self.subTest(cookies=cookies):
                reply = login.fetch("GET", url, cookies=cookies)
                self.assertError(reply, 400, "INVALID_STATE")
                self.assertIsNone(reply.cookie("pod_token"))
        # Over https only the __Host- name counts.
        url = login.pod_url(pod, f"/auth/callback?token={jwt}&state=s-1234567890abcdef")
        reply = login.fetch("GET", url, cookies={"webpods.login": "s-1234567890abcdef"})
        self.assertError(reply, 400, "INVALID_STATE")

    def test_pod_callback_without_token_is_missing_token_first(self):
        pod = new_pod("fix")
        for query in ["", "?state=abc", "?redirect=/&state=abc"]:
            with self.subTest(query=query):
                self.assertError(login.fetch("GET", login.pod_url(pod, f"/auth/callback{query}",
                                                                  https=False)),
                                 400, "MISSING_TOKEN")

    def test_pod_callback_with_the_matching_state_installs_the_token_once(self):
        pod, user = new_pod("fix"), new_user("fix")
        jwt = token(user, pod)
        for https, login_cookie, pod_cookie in [(False, "webpods.login", "pod_token"),
                                                (True, "__Host-webpods.login",
                                                 login.POD_TOKEN_COOKIE)]:
            with self.subTest(https=https):
                browser = login.Browser()
                start = browser.request("GET", login.pod_url(pod, "/login?redirect=/here",
                                                             https=https))
                state = cookie_attributes(start, login_cookie)["value"]
                back = browser.request("GET", login.pod_url(
                    pod, f"/auth/callback?token={jwt}&state={urllib.parse.quote(state)}"
                         "&redirect=/here", https=https))
                self.assertEqual(back.status, 302, back)
                self.assertEqual(back.location, login.pod_url(pod, "/here", https=https))
                self.assertEqual(back.cookie(pod_cookie)["value"], jwt)
                self.assertEqual(cookie_attributes(back, login_cookie)["max-age"], "0")
                self.assertNotIn(login_cookie, browser.cookies(pod_host(pod)))

    # (c) a pod's /login
    def test_pod_login_sets_the_login_cookie_and_passes_it_as_state(self):
        pod = new_pod("fix")
        for https, name in [(False, "webpods.login"), (True, "__Host-webpods.login")]:
            with self.subTest(https=https):
                reply = login.fetch("GET", login.pod_url(pod, "/login?redirect=/blog/post",
                                                         https=https))
                self.assertEqual(reply.status, 302, reply)
                cookie = cookie_attributes(reply, name)
                self.check_short_cookie(cookie, secure=https)
                target = urllib.parse.urlsplit(reply.location)
                main = login.main_url("")  # publicUrl's origin, whichever scheme the pod used
                self.assertEqual(f"{target.scheme}://{target.netloc}{target.path}",
                                 main + "/auth/authorize")
                self.assertEqual(login.query_of(reply.location),
                                 {"pod": pod, "redirect": "/blog/post", "state": cookie["value"]})
                again = login.fetch("GET", login.pod_url(pod, "/login", https=https))
                self.assertNotEqual(cookie_attributes(again, name)["value"], cookie["value"])

    def test_authorize_hands_the_state_back_to_the_pod(self):
        login.new_identity("oidc")
        browser = login.Browser()
        self.login(browser, "oidc")  # a session on the main domain
        pod = new_pod("fix")
        reply = browser.request("GET", login.main_url(
            f"/auth/authorize?pod={pod}&redirect=/x&state=abc-123_XYZ-0123456789"))
        self.assertEqual(reply.status, 302, reply)
        self.assertTrue(reply.location.startswith(login.pod_url(pod, "/auth/callback?")),
                        reply.location)
        query = login.query_of(reply.location)
        self.assertEqual(query.get("state"), "abc-123_XYZ-0123456789", reply.location)
        self.assertEqual(query["redirect"], "/x")

    def test_whole_pod_login_through_the_provider_keeps_the_state(self):
        auth_id, _ = login.new_identity("oidc")
        browser = login.Browser()
        pod = new_pod("fix")
        replies = browser.follow(login.pod_url(pod, "/login?redirect=%2Fnotes"))
        state = replies[0].cookie("__Host-webpods.login")
        self.assertIsNotNone(state, replies[0].set_cookies)
        callback = replies[-2]
        self.assertTrue(callback.url.startswith(login.pod_url(pod, "/auth/callback?")),
                        [reply.url for reply in replies])
        self.assertEqual(login.query_of(callback.url).get("state"), state["value"])
        self.assertEqual(callback.location, login.pod_url(pod, "/notes"))
        jwt = browser.cookies(pod_host(pod))[login.POD_TOKEN_COOKIE]
        self.assertEqual(login.claims(jwt)["auth_id"], auth_id)
        self.assertNotIn("__Host-webpods.login", browser.cookies(pod_host(pod)))

    # (d) cookie tossing
    def test_over_https_only_host_prefixed_cookies_are_read(self):
        pod, victim, attacker = new_pod("toss"), new_user("victim"), new_user("attacker")
        self.assertEqual(write(pod, "notes", "first", victim).status, 201)
        # wall is public: the attacker, too, may write to it with a token of his own.
        self.assertEqual(write(pod, "wall", "open", victim).status, 201)
        origin = https_origin(pod)
        bare = by_cookie("POST", pod, "/wall", "bare", token(victim, pod), origin=origin,
                         https=True, cookie_name="pod_token")
        self.assertError(bare, 401, "UNAUTHORIZED")
        prefixed = by_cookie("POST", pod, "/wall", "prefixed", token(victim, pod), origin=origin,
                             https=True, cookie_name="__Host-pod_token")
        self.assertEqual(prefixed.status, 201, prefixed)
        # A bare pod_token planted by a sibling pod (Domain=) loses to the host's own cookie,
        # wherever it stands in the Cookie header.
        for cookie in [f"pod_token={token(attacker, pod)}; __Host-pod_token={token(victim, pod)}",
                       f"__Host-pod_token={token(victim, pod)}; pod_token={token(attacker, pod)}"]:
            with self.subTest(cookie=cookie[:20]):
                answer = request("POST", "/wall", host=pod_host(pod), body="tossed?", https=True,
                                 headers={"Cookie": cookie, "Origin": origin,
                                          "Content-Type": "text/plain"})
                self.assertEqual(answer.status, 201, answer)
                self.assertEqual(answer.json()["author"], victim)

    def test_over_https_bare_login_cookies_are_ignored(self):
        # A sibling pod may plant webpods.login with Domain=; over https only the __Host- name
        # of the pod itself is compared.
        pod, user = new_pod("toss"), new_user("toss")
        reply = login.fetch("GET", login.pod_url(pod, f"/auth/callback?token={token(user, pod)}"
                                                      "&state=planted-1234567890abcdef"),
                            cookies={"webpods.login": "planted-1234567890abcdef"})
        self.assertError(reply, 400, "INVALID_STATE")


# ---- 5. ownership transfer -----------------------------------------------------------------------

class OwnershipTransferAgreementTest(SafetyTestCase):
    """SPEC §9: racing transfers by one owner; the latest .meta/owner record and the pod's owner
    agree afterwards. (test_permissions.OwnershipTest races six heirs; this adds the check that
    the database row, webpodsctl verify and who can act as owner agree.)"""

    def test_racing_transfers_to_two_users_leave_owner_and_record_in_agreement(self):
        for attempt in range(4):
            pod, alice = new_pod("race"), new_user("alice")
            heirs = [new_user("heir"), new_user("heir")]
            self.assertEqual(write(pod, "blog", "hi", alice).status, 201)
            jwt = token(alice, pod)

            def send(connection, n):
                return request("POST", "/.meta/owner", host=pod_host(pod), token=jwt,
                               body={"owner": user_id(heirs[n])}, connection=connection)

            answers = together(2, send)
            with self.subTest(attempt=attempt):
                self.assertEqual(sorted(answer.status for answer in answers), [201, 403],
                                 answers)
                winner = heirs[[answer.status for answer in answers].index(201)]
                loser = heirs[1 - heirs.index(winner)]
                row = harness.STACK.psql(
                    f"SELECT owner_id FROM pod WHERE name = '{pod}'", database="webpods").strip()
                self.assertEqual(row, user_id(winner))
                latest = records(pod, ".meta/owner", winner)
                self.assertEqual(len(latest), 2)
                self.assertEqual(latest[-1]["content"], {"owner": row})
                self.assertEqual(latest[-1]["author"], alice)
                verify = harness.STACK.ctl("verify", pod, ".meta/owner", check=False)
                self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
                self.assertEqual(write(pod, f"by-winner-{attempt}", "x", winner).status, 201)
                for other in (loser, alice):
                    self.assertEqual(write(pod, "not-yours", "x", other).status, 403)
                    self.assertEqual(read(pod, "/.meta/owner", other).status, 403)


# ---- 6. smaller ones -----------------------------------------------------------------------------

class CacheControlTest(SafetyTestCase):
    """SPEC §2 Read: links and aliases can move, so they are never cached as immutable."""

    def setUp(self):
        self.pod, self.owner = new_pod("cache"), new_user("owner")
        for body, query in [("zero", "?alias=first"), ("one", "")]:
            self.assertEqual(write(self.pod, "page", body, self.owner, query=query).status, 201)
        links = {"/": "page?i=0", "/latest": "page?i=-1", "/named": "page/first"}
        self.assertEqual(write(self.pod, ".meta/links", links, self.owner).status, 201)

    def test_links_aliases_and_negative_indices_are_private_no_cache(self):
        for path in ["/", "/latest", "/named", "/page/first", "/page/1", "/page?i=-1"]:
            with self.subTest(path=path):
                answer = read(self.pod, path)
                self.assertEqual(answer.status, 200, answer)
                cache = answer.headers.get("cache-control", "")
                self.assertNotIn("immutable", cache)
                self.assertEqual([part.strip() for part in cache.split(",")],
                                 ["private", "no-cache"], cache)

    def test_a_direct_index_may_be_immutable(self):
        answer = read(self.pod, "/page?i=0")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.body, b"zero")
        # An immutable answer, if given, is for the exact index only, and still validates.
        self.assertEqual(read(self.pod, "/page?i=0",
                              headers={"If-None-Match": answer.headers["etag"]}).status, 304)


class ProductionAccessLogTest(unittest.TestCase):
    """SPEC §9 operator side: nginx/webpods.conf logs no query strings (tokens travel in
    ?token= during login). Without an access_log directive nginx logs the `combined` format,
    whose $request holds the query string."""

    QUERY_BEARING = re.compile(r"\$(request|request_uri|args|query_string|arg_\w+|is_args)\b|"
                               r"\$\{(request|request_uri|args|query_string)\}")

    def directives(self, name, text):
        text = re.sub(r"#[^\n]*", "", text)
        return [match.group(1).strip() for match in
                re.finditer(rf"(?:^|[;{{}}\s]){name}\s+([^;]*);", text)]

    def test_production_block_logs_no_query_strings(self):
        nginx = os.path.join(REPO, "nginx")
        with open(os.path.join(nginx, "webpods.conf")) as source:
            main = source.read()
        texts = [main]
        for include in self.directives("include", main):
            path = os.path.join(nginx, os.path.basename(include))
            if os.path.exists(path):
                with open(path) as source:
                    texts.append(source.read())
        text = "\n".join(texts)
        formats = {}
        for definition in self.directives("log_format", text):
            name, _, body = definition.partition(" ")
            formats[name] = body
        access_logs = self.directives("access_log", text)
        self.assertTrue(access_logs, "no access_log: nginx falls back to `combined` ($request)")
        for directive in access_logs:
            with self.subTest(access_log=directive):
                words = directive.split()
                if words == ["off"]:
                    continue
                self.assertGreaterEqual(len(words), 2,
                                        "an access_log without a format logs `combined`")
                self.assertNotIn(words[1], ("combined", "main"))
                self.assertIn(words[1], formats, f"log_format {words[1]} is not defined")
                self.assertIsNone(self.QUERY_BEARING.search(formats[words[1]]),
                                  formats[words[1]])


class SecretLengthTest(unittest.TestCase):
    """SPEC §7: auth.jwtSecret and auth.sessionSecret of fewer than 32 bytes stop the program
    with exit status 2 and a message naming the key."""

    def config_with(self, **auth):
        config = json.loads(json.dumps(harness.STACK.config))
        config["auth"].update(auth)
        handle, path = tempfile.mkstemp(prefix="webpods-config-", suffix=".json")
        with os.fdopen(handle, "w") as target:
            json.dump(config, target)
        self.addCleanup(os.remove, path)
        return path

    def ctl(self, config_path):
        return subprocess.run([os.path.join(harness.STACK.build, "webpodsctl"), "--config",
                               config_path, "users"], capture_output=True, text=True, timeout=60)

    def test_short_secrets_are_refused_by_webpodsctl(self):
        for key in ["jwtSecret", "sessionSecret"]:
            for secret in ["", "short", "x" * 31]:
                with self.subTest(key=key, length=len(secret)):
                    result = self.ctl(self.config_with(**{key: secret}))
                    self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
                    self.assertIn(key, result.stderr)

    def test_secrets_of_32_bytes_are_accepted(self):
        result = self.ctl(self.config_with(jwtSecret="j" * 32, sessionSecret="s" * 32))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_short_secret_stops_the_workers_at_start(self):
        config_path = self.config_with(jwtSecret="x" * 31)
        socket_dir = tempfile.mkdtemp(prefix="webpods-sock-")
        self.addCleanup(os.rmdir, socket_dir)
        socket_path = os.path.join(socket_dir, "fcgi.sock")
        process = subprocess.Popen([os.path.join(harness.STACK.build, "webpods-fcgi"),
                                    "--config", config_path, "--socket", socket_path],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
        try:
            output, _ = process.communicate(timeout=8)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                output, _ = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                output, _ = process.communicate()
            self.fail("webpods-fcgi started with a 31-byte jwtSecret")
        finally:
            if os.path.exists(socket_path):
                os.remove(socket_path)
        self.assertEqual(process.returncode, 2, output)
        self.assertIn("jwtSecret", output)


if __name__ == "__main__":
    unittest.main()
