"""Login (issue 5): OAuth 2.0 with PKCE against local providers (tests/stack/oauth/mock.js: an
OpenID Connect one found by discovery and a plain GitHub-style one), sessions in PostgreSQL,
single sign-on to pods, the safety rules of SPEC §3 and §4, and logins bound to the browser that
began them (SPEC §9, issue 12). Redirects are followed by hand with a per-host cookie jar, as a
browser would; one test drives headless Chromium through it."""

import base64
import hashlib
import http.client
import json
import os
import re
import ssl
import subprocess
import time
import unittest
import urllib.parse
import uuid

import harness
from harness import DOMAIN, new_pod, pod_host

# Over https, as in every test here but the plain-http one, our cookies carry the __Host- prefix
# (SPEC §4).
SESSION_COOKIE = "__Host-webpods.sid"
TOKEN_COOKIE = "__Host-token"
POD_TOKEN_COOKIE = "__Host-pod_token"
STATE_COOKIE = "__Host-webpods.state"  # the main domain's login in progress (SPEC §9)
LOGIN_COOKIE = "__Host-webpods.login"  # a pod's login in progress (SPEC §9)

OAUTH_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "stack",
                         "oauth")


# ---- a tiny browser ------------------------------------------------------------------------------

class Reply(harness.Answer):
    """An answer that remembers its URL; headers are [(lower-case name, value)], repeated
    headers kept (Set-Cookie)."""

    def __init__(self, url, status, headers, body):
        super().__init__(status, headers, body)
        self.url = url

    def header(self, name):
        return next((value for key, value in self.headers if key == name), None)

    @property
    def set_cookies(self):
        return [value for key, value in self.headers if key == "set-cookie"]

    def cookie(self, name):
        """The attributes of the Set-Cookie for name, as a dict ('value' holds the value)."""
        for line in self.set_cookies:
            parts = [part.strip() for part in line.split(";")]
            key, _, value = parts[0].partition("=")
            if key == name:
                attributes = {"value": value}
                for part in parts[1:]:
                    attribute, _, setting = part.partition("=")
                    attributes[attribute.lower()] = setting
                return attributes
        return None

    @property
    def location(self):
        location = self.header("location")
        return urllib.parse.urljoin(self.url, location) if location else None

    def __repr__(self):
        return f"<{self.status} {self.url} {self.body[:300]!r}>"


def is_ours(host):
    return host == DOMAIN or host.endswith("." + DOMAIN)


def fetch(method, url, cookies=None, headers=None, body=None):
    """One request to an absolute URL: hosts of the stack go to its nginx on loopback (scheme
    decides the port), anything else (the mock providers) directly."""
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers or {})
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if is_ours(parts.hostname):
        headers["Host"] = parts.hostname
        if parts.scheme == "https":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            connection = http.client.HTTPSConnection("127.0.0.1", harness.STACK.https_port,
                                                     timeout=60, context=context)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", harness.STACK.http_port,
                                                    timeout=60)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    if isinstance(body, str):
        body = body.encode()
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(url, response.status,
                     [(name.lower(), value) for name, value in response.getheaders()],
                     response.read())
    finally:
        connection.close()


class Browser:
    """Host-only cookies, redirects followed one by one and remembered."""

    def __init__(self):
        self.jar = {}  # host -> {name: value}

    def cookies(self, host):
        return self.jar.setdefault(host, {})

    def request(self, method, url, headers=None, body=None, from_own_page=True):
        """from_own_page: a POST or DELETE carries the URL's own Origin unless headers name one,
        as a page of the site itself sends it (SPEC §9); False sends only the given headers."""
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        headers = dict(headers or {})
        if from_own_page and method in ("POST", "DELETE") and "Origin" not in headers:
            headers["Origin"] = f"{parts.scheme}://{parts.netloc}"
        reply = fetch(method, url, self.cookies(host), headers, body)
        for line in reply.set_cookies:
            name, _, rest = line.partition("=")
            value = rest.split(";")[0]
            if re.search(r"(?i);\s*max-age=0\b", line):
                self.cookies(host).pop(name, None)
            else:
                self.cookies(host)[name] = value
        return reply

    def follow(self, url, max_steps=10):
        """GETs url and its redirects; returns every reply, the last one not a redirect."""
        replies = [self.request("GET", url)]
        while replies[-1].status in (301, 302, 303, 307, 308):
            self.assertion(len(replies) <= max_steps, "too many redirects")
            replies.append(self.request("GET", replies[-1].location))
        return replies

    @staticmethod
    def assertion(condition, message):
        if not condition:
            raise AssertionError(message)


# ---- the stack and the providers -----------------------------------------------------------------

def main_url(path):
    return f"https://{DOMAIN}:{harness.STACK.https_port}{path}"


def pod_url(pod, path, https=True):
    if https:
        return f"https://{pod_host(pod)}:{harness.STACK.https_port}{path}"
    return f"http://{pod_host(pod)}:{harness.STACK.http_port}{path}"


def provider_base(provider):
    return harness.OAUTH.oidc if provider == "oidc" else harness.OAUTH.plain


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def set_next_user(provider, **user):
    reply = fetch("POST", provider_base(provider) + "/_test/user",
                  headers={"Content-Type": "application/json"}, body=json.dumps(user))
    assert reply.status == 200, reply


def new_identity(provider):
    """A fresh user at the provider, in its style; returns (auth_id, the user)."""
    if provider == "plain":
        number = int(uuid.uuid4().int % 10**12)
        user = {"id": number, "login": unique("octo"), "name": unique("Octo"), "email": None,
                "emails": [{"email": f"{unique('other')}@example.com", "primary": False,
                            "verified": True},
                           {"email": f"{unique('main')}@example.com", "primary": True,
                            "verified": True}]}
        set_next_user(provider, **user)
        return f"auth:plain:{number}", user
    user = {"id": unique("sub"), "email": f"{unique('oidc')}@example.com", "name": unique("Ada")}
    set_next_user(provider, **user)
    return f"auth:oidc:{user['id']}", user


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def pod_callback(pod, token=None, redirect=None, https=True):
    """The pod's /auth/callback as the browser that began the login reaches it: with its login
    cookie, whose value comes back as state."""
    state = unique("state")
    query = {"state": state}
    if token is not None:
        query["token"] = token
    if redirect is not None:
        query["redirect"] = redirect
    cookie = LOGIN_COOKIE if https else "webpods.login"
    return fetch("GET", pod_url(pod, "/auth/callback?" + urllib.parse.urlencode(query), https),
                 cookies={cookie: state})


def log_text():
    with open(os.path.join(harness.STACK.var, "webpods.log"), errors="replace") as log:
        return log.read()


class LoginTestCase(unittest.TestCase):
    def assertError(self, reply, status, code):
        self.assertEqual(reply.status, status, reply)
        self.assertEqual(reply.error_code, code, reply)

    def start(self, browser, provider, query=""):
        """GET /auth/{provider}: the redirect to the provider's authorization endpoint."""
        reply = browser.request("GET", main_url(f"/auth/{provider}{query}"))
        self.assertEqual(reply.status, 302, reply)
        return reply

    def to_callback(self, browser, provider, query=""):
        """Starts a login and lets the provider answer: the callback URL, not yet requested."""
        start = self.start(browser, provider, query)
        authorize = browser.request("GET", start.location)
        self.assertEqual(authorize.status, 302, authorize)
        self.assertTrue(authorize.location.startswith(main_url(f"/auth/{provider}/callback?")),
                        authorize.location)
        return authorize.location

    def login(self, browser, provider, query=""):
        """A whole plain login; returns the callback's reply (302 to /auth/success)."""
        reply = browser.request("GET", self.to_callback(browser, provider, query))
        self.assertEqual(reply.status, 302, reply)
        return reply


# ---- the flow ------------------------------------------------------------------------------------

class ProvidersTest(LoginTestCase):
    def test_providers_lists_id_name_and_login_url(self):
        reply = fetch("GET", main_url("/auth/providers"))
        self.assertEqual(reply.status, 200, reply)
        providers = {entry["id"]: entry for entry in reply.json()["providers"]}
        self.assertEqual(providers["oidc"], {"id": "oidc", "name": "Oidc",
                                             "login_url": "/auth/oidc"})
        self.assertEqual(providers["plain"]["login_url"], "/auth/plain")
        for entry in providers.values():
            self.assertEqual(set(entry), {"id", "name", "login_url"})
            self.assertTrue(entry["name"])

    def test_unknown_provider_is_invalid_provider(self):
        for path in ["/auth/nope", "/auth/nope/callback?code=a&state=b"]:
            with self.subTest(path=path):
                self.assertError(fetch("GET", main_url(path)), 400, "INVALID_PROVIDER")

    def test_authorization_request_uses_pkce_s256_and_a_fresh_state(self):
        for provider in ["oidc", "plain"]:
            with self.subTest(provider=provider):
                first = self.start(Browser(), provider)
                second = self.start(Browser(), provider)
                self.assertTrue(first.location.startswith(provider_base(provider) + "/authorize?"))
                query = query_of(first.location)
                self.assertEqual(query["response_type"], "code")
                self.assertEqual(query["client_id"], "webpods-test")
                self.assertEqual(query["redirect_uri"], main_url(f"/auth/{provider}/callback"))
                self.assertEqual(query["code_challenge_method"], "S256")
                self.assertRegex(query["code_challenge"], r"^[A-Za-z0-9_-]{43}$")
                self.assertRegex(query["state"], r"^[A-Za-z0-9_-]{43}$")
                other = query_of(second.location)
                self.assertNotEqual(query["state"], other["state"])
                self.assertNotEqual(query["code_challenge"], other["code_challenge"])
                self.assertEqual(first.header("cache-control"), "no-store")
        self.assertEqual(query_of(self.start(Browser(), "oidc").location)["scope"],
                         "openid email profile")


class FullLoginTest(LoginTestCase):
    def check_login(self, provider):
        auth_id, user = new_identity(provider)
        browser = Browser()
        start = self.start(browser, provider)
        challenge = query_of(start.location)["code_challenge"]
        callback = browser.request("GET", browser.request("GET", start.location).location)
        self.assertEqual(callback.status, 302, callback)
        self.assertTrue(callback.location.startswith(main_url("/auth/success?token=")),
                        callback.location)

        # The code was exchanged with the verifier that belongs to the challenge.
        exchange = fetch("GET", provider_base(provider) + "/_test/last-token-request").json()
        self.assertEqual(exchange["grant_type"], "authorization_code")
        verifier = exchange["code_verifier"]
        self.assertRegex(verifier, r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                         .rstrip(b"=").decode(), challenge)

        jwt = query_of(callback.location)["token"]
        payload = claims(jwt)
        expected_email = (user["email"] if provider == "oidc" else user["emails"][1]["email"])
        self.assertEqual(payload["auth_id"], auth_id)
        self.assertEqual(payload["provider"], provider)
        self.assertEqual(payload["email"], expected_email)
        self.assertEqual(payload["name"], user["name"])
        self.assertNotIn("pod", payload)
        self.assertEqual(payload["exp"] - payload["iat"], 604800)

        page = browser.request("GET", callback.location)
        self.assertEqual(page.status, 200, page)
        self.assertIn(jwt.encode(), page.body)

        whoami = fetch("GET", main_url("/auth/whoami"),
                       headers={"Authorization": f"Bearer {jwt}"})
        self.assertEqual(whoami.status, 200, whoami)
        self.assertEqual(whoami.json(), {"user_id": payload["user_id"], "auth_id": auth_id,
                                         "email": expected_email, "name": user["name"],
                                         "provider": provider})
        # The browser also holds the token cookie of the main domain and a session.
        self.assertEqual(browser.request("GET", main_url("/auth/whoami")).json()["auth_id"],
                         auth_id)
        session = browser.request("GET", main_url("/auth/session"))
        self.assertEqual(session.status, 200, session)
        body = session.json()
        self.assertEqual(body["user"], {"id": payload["user_id"], "auth_id": auth_id,
                                        "email": expected_email, "name": user["name"],
                                        "provider": provider})
        self.assertEqual(set(body), {"user", "sessionId", "createdAt", "expiresAt"})
        return browser, jwt

    def test_full_login_with_openid_connect_discovery(self):
        self.check_login("oidc")

    def test_full_login_with_plain_oauth2_numeric_id_and_email_list(self):
        self.check_login("plain")

    def test_the_same_user_again_gets_the_same_id_with_new_email_and_name(self):
        auth_id, user = new_identity("oidc")
        first = claims(query_of(self.login(Browser(), "oidc").location)["token"])
        set_next_user("oidc", id=user["id"], email="renamed@example.com", name="Renamed")
        second = claims(query_of(self.login(Browser(), "oidc").location)["token"])
        self.assertEqual(second["user_id"], first["user_id"])
        self.assertEqual(second["auth_id"], auth_id)
        self.assertEqual((second["email"], second["name"]), ("renamed@example.com", "Renamed"))
        whoami = fetch("GET", main_url("/auth/whoami"),
                       headers={"Authorization": "Bearer " + query_of(
                           self.login(Browser(), "oidc").location)["token"]}).json()
        self.assertEqual(whoami["email"], "renamed@example.com")

    def test_plain_login_passes_a_safe_redirect_to_the_success_page(self):
        new_identity("oidc")
        reply = self.login(Browser(), "oidc", "?redirect=%2Fdocs%3Fx%3D1")
        self.assertEqual(query_of(reply.location)["redirect"], "/docs?x=1")
        page = fetch("GET", reply.location)
        self.assertIn(b'href="/docs?x=1"', page.body)


class CallbackErrorTest(LoginTestCase):
    def test_state_is_single_use(self):
        new_identity("oidc")
        browser = Browser()
        callback = self.to_callback(browser, "oidc")
        cookies = dict(browser.cookies(DOMAIN))  # the state cookie, kept for the replay
        self.assertEqual(browser.request("GET", callback).status, 302)
        self.assertError(fetch("GET", callback, cookies), 400, "INVALID_STATE")

    def test_unknown_state_and_another_providers_state_are_invalid(self):
        self.assertError(fetch("GET", main_url("/auth/oidc/callback?code=c&state=nope")), 400,
                         "INVALID_STATE")
        browser = Browser()
        callback = self.to_callback(browser, "oidc")
        cookies = dict(browser.cookies(DOMAIN))
        moved = callback.replace("/auth/oidc/callback", "/auth/plain/callback")
        self.assertError(fetch("GET", moved, cookies), 400, "INVALID_STATE")
        # Trying it at the wrong provider used it up.
        self.assertError(fetch("GET", callback, cookies), 400, "INVALID_STATE")

    def test_expired_state_is_invalid(self):
        browser = Browser()
        callback = self.to_callback(browser, "oidc")
        state = query_of(callback)["state"]
        harness.STACK.psql("UPDATE oauth_state SET expires_at = now() - interval '1 second' "
                           f"WHERE state = '{state}'", database="webpods")
        self.assertError(browser.request("GET", callback), 400, "INVALID_STATE")

    def test_state_lives_ten_minutes(self):
        state = query_of(self.start(Browser(), "oidc").location)["state"]
        seconds = harness.STACK.psql(
            "SELECT round(extract(epoch FROM expires_at - created_at)) FROM oauth_state "
            f"WHERE state = '{state}'", database="webpods").strip()
        self.assertEqual(seconds, "600")

    def test_missing_parameters_are_invalid_callback(self):
        for query in ["", "?code=abc", "?state=abc", "?code=&state=", "?error=access_denied"]:
            with self.subTest(query=query):
                self.assertError(fetch("GET", main_url(f"/auth/oidc/callback{query}")), 400,
                                 "INVALID_CALLBACK")

    def test_refusal_at_the_provider_uses_up_the_state(self):
        browser = Browser()
        callback = self.to_callback(browser, "oidc")
        state = query_of(callback)["state"]
        refused = main_url(f"/auth/oidc/callback?error=access_denied&state={state}")
        self.assertError(fetch("GET", refused), 400, "INVALID_CALLBACK")
        self.assertError(browser.request("GET", callback), 400, "INVALID_STATE")

    def test_a_forged_code_is_refused_by_the_provider(self):
        browser = Browser()
        callback = self.to_callback(browser, "plain")
        query = query_of(callback)
        forged = main_url(f"/auth/plain/callback?code=forged&state={query['state']}")
        reply = browser.request("GET", forged)
        # The mock answers a code it never handed out with 400 (auth/oauth.cpp: a 4xx from the
        # token endpoint is the provider refusing, kInvalidInput), never the 503 of a provider
        # that is down.
        self.assertEqual(reply.status, 400, reply)
        self.assertEqual(reply.error_code, "OAUTH_ERROR")


class ProviderFailureTest(LoginTestCase):
    def test_provider_that_is_down_fails_fast_with_oauth_error(self):
        started = time.monotonic()
        reply = fetch("GET", main_url("/auth/down"))
        self.assertError(reply, 503, "OAUTH_ERROR")
        self.assertLess(time.monotonic() - started, 3)

    def test_token_endpoint_down_fails_fast_at_the_callback(self):
        browser = Browser()
        callback = self.to_callback(browser, "down-token")
        code = query_of(callback)["code"]
        started = time.monotonic()
        self.assertError(browser.request("GET", callback), 503, "OAUTH_ERROR")
        self.assertLess(time.monotonic() - started, 3)
        # The log says what failed, but holds no code, state, verifier or secret.
        log = log_text()
        self.assertIn("OAUTH_ERROR", log)
        self.assertNotIn(code, log)
        self.assertNotIn(query_of(callback)["state"], log)
        self.assertNotIn("plain-test-secret", log)
        self.assertNotIn("oidc-test-secret", log)

    def test_provider_that_hangs_times_out(self):
        started = time.monotonic()
        reply = fetch("GET", main_url("/auth/hang"))
        elapsed = time.monotonic() - started
        self.assertError(reply, 503, "OAUTH_ERROR")
        self.assertGreater(elapsed, 4)
        self.assertLess(elapsed, 15)
        # The worker is free again.
        self.assertEqual(fetch("GET", main_url("/auth/providers")).status, 200)

    def test_https_provider_with_untrusted_certificate_is_refused(self):
        reply = fetch("GET", main_url("/auth/untrusted"))
        self.assertError(reply, 503, "OAUTH_ERROR")
        self.assertRegex(log_text(), r"(?i)certificate|verif")


# ---- single sign-on ------------------------------------------------------------------------------

class SingleSignOnTest(LoginTestCase):
    def pod_login(self, browser, pod, redirect="/notes"):
        """Opens the pod's /login and follows everything; returns the replies."""
        replies = browser.follow(pod_url(pod, f"/login?redirect={urllib.parse.quote(redirect)}"))
        return replies

    def test_one_login_writes_to_two_pods(self):
        auth_id, _ = new_identity("oidc")
        browser = Browser()
        first, second = new_pod("sso"), new_pod("sso")

        replies = self.pod_login(browser, first)
        urls = [reply.url for reply in replies]
        self.assertTrue(urls[1].startswith(main_url(f"/auth/authorize?pod={first}")), urls)
        self.assertTrue(any(url.startswith(harness.OAUTH.oidc) for url in urls), urls)
        callback = replies[-2]
        self.assertTrue(callback.url.startswith(pod_url(first, "/auth/callback?token=")), urls)
        self.assertEqual(callback.location, pod_url(first, "/notes"))
        self.assertEqual(claims(query_of(callback.url)["token"])["pod"], first)
        self.assertIn(POD_TOKEN_COOKIE, browser.cookies(pod_host(first)))
        # The pod's state went through the provider login and came back (SPEC §9); both login
        # cookies are spent.
        self.assertEqual(query_of(callback.url)["state"],
                         replies[0].cookie(LOGIN_COOKIE)["value"])
        self.assertEqual(callback.cookie(LOGIN_COOKIE)["max-age"], "0")
        self.assertNotIn(LOGIN_COOKIE, browser.cookies(pod_host(first)))
        self.assertNotIn(STATE_COOKIE, browser.cookies(DOMAIN))

        written = browser.request("POST", pod_url(first, "/notes"), body="one",
                                  headers={"Content-Type": "text/plain"})
        self.assertEqual(written.status, 201, written)
        self.assertEqual(written.json()["author"], auth_id)

        # The second pod: the session on the main domain answers, the provider is not asked.
        replies = self.pod_login(browser, second)
        urls = [reply.url for reply in replies]
        self.assertFalse(any(url.startswith(harness.OAUTH.oidc) for url in urls), urls)
        self.assertEqual(len(replies), 4, urls)  # /login, /auth/authorize, /auth/callback, /notes
        self.assertEqual(query_of(replies[2].url)["state"],
                         replies[0].cookie(LOGIN_COOKIE)["value"])
        written = browser.request("POST", pod_url(second, "/notes"), body="two",
                                  headers={"Content-Type": "text/plain"})
        self.assertEqual(written.status, 201, written)
        self.assertEqual(written.json()["author"], auth_id)

        # Each pod's cookie is its own: the first pod's token does not write to the second.
        first_token = browser.cookies(pod_host(first))[POD_TOKEN_COOKIE]
        stolen = fetch("POST", pod_url(second, "/notes"), body="x",
                       cookies={POD_TOKEN_COOKIE: first_token})
        self.assertError(stolen, 401, "POD_MISMATCH")
        self.assertNotIn(SESSION_COOKIE, browser.cookies(pod_host(first)))

    def test_authorize_without_pod_is_missing_pod(self):
        self.assertError(fetch("GET", main_url("/auth/authorize")), 400, "MISSING_POD")
        self.assertError(fetch("GET", main_url("/auth/authorize?pod=")), 400, "MISSING_POD")
        self.assertError(fetch("GET", main_url("/auth/authorize?pod=Bad_Pod")), 400,
                         "INVALID_POD_ID")

    def test_authorize_without_session_starts_the_login(self):
        pod = new_pod("sso")
        reply = fetch("GET", main_url(f"/auth/authorize?pod={pod}&redirect=/x&state=pod-state"))
        self.assertEqual(reply.status, 302, reply)
        self.assertTrue(reply.location.startswith(harness.OAUTH.oidc + "/authorize?"))
        self.assertEqual(reply.cookie(STATE_COOKIE)["max-age"], "600")
        state = query_of(reply.location)["state"]
        remembered = harness.STACK.psql(
            f"SELECT pod || ' ' || redirect || ' ' || pod_state FROM oauth_state "
            f"WHERE state = '{state}'", database="webpods").strip()
        self.assertEqual(remembered, f"{pod} /x pod-state")
        reply = fetch("GET", main_url(f"/auth/authorize?pod={pod}&provider=plain"))
        self.assertTrue(reply.location.startswith(harness.OAUTH.plain + "/authorize?"))

    def test_pod_login_redirects_to_authorize(self):
        pod = new_pod("sso")
        reply = fetch("GET", pod_url(pod, "/login?redirect=/blog/post"))
        self.assertEqual(reply.status, 302, reply)
        state = reply.cookie(LOGIN_COOKIE)["value"]
        self.assertEqual(reply.location,
                         main_url(f"/auth/authorize?pod={pod}&redirect=%2Fblog%2Fpost"
                                  f"&state={state}"))
        plain = fetch("GET", pod_url(pod, "/login"))
        self.assertEqual(plain.location, main_url(f"/auth/authorize?pod={pod}&redirect=%2F"
                                                  f"&state={plain.cookie(LOGIN_COOKIE)['value']}"))

    def test_pod_callback_checks_the_token(self):
        pod, other = new_pod("sso"), new_pod("sso")
        user = harness.new_user("sso")
        self.assertError(fetch("GET", pod_url(pod, "/auth/callback")), 400, "MISSING_TOKEN")
        self.assertError(pod_callback(pod, "garbage"), 401, "INVALID_TOKEN")
        self.assertError(pod_callback(pod, harness.token(user, other)), 401, "POD_MISMATCH")
        self.assertError(pod_callback(pod, harness.token(user)), 401, "POD_MISMATCH")
        good = pod_callback(pod, harness.token(user, pod), redirect="/here")
        self.assertEqual(good.status, 302, good)
        self.assertEqual(good.location, pod_url(pod, "/here"))
        self.assertEqual(good.cookie(POD_TOKEN_COOKIE)["value"], harness.token(user, pod))


# ---- safety --------------------------------------------------------------------------------------

class RedirectSafetyTest(LoginTestCase):
    EVIL = ["https://evil.example", "//evil.example", "/\\evil.example", "https://evil.example/",
            f"https://{DOMAIN}.evil.example/", f"https://user@evil.example@{DOMAIN}/",
            "javascript:alert(1)", "/x\r\nSet-Cookie: a=b", f"https://a.b.{DOMAIN}/"]

    def test_login_with_evil_redirect_ends_at_slash(self):
        new_identity("oidc")
        reply = self.login(Browser(), "oidc",
                           "?redirect=" + urllib.parse.quote("https://evil.example", safe=""))
        self.assertEqual(query_of(reply.location)["redirect"], "/")

    def test_success_page_neutralises_evil_redirects(self):
        for evil in self.EVIL:
            with self.subTest(redirect=evil):
                page = fetch("GET", main_url("/auth/success?token=t&redirect="
                                             + urllib.parse.quote(evil, safe="")))
                self.assertEqual(page.status, 200, page)
                self.assertIn(b'href="/"', page.body)

    def test_logout_and_pod_redirects_neutralise_evil_targets(self):
        pod = new_pod("safe")
        user = harness.new_user("safe")
        for evil in self.EVIL:
            quoted = urllib.parse.quote(evil, safe="")
            with self.subTest(redirect=evil):
                self.assertEqual(fetch("GET", main_url(f"/auth/logout?redirect={quoted}"))
                                 .header("location"), "/")
                login = fetch("GET", pod_url(pod, f"/login?redirect={quoted}")).location
                self.assertTrue(login.startswith(
                    main_url(f"/auth/authorize?pod={pod}&redirect=%2F&state=")), login)
                back = pod_callback(pod, harness.token(user, pod), redirect=evil)
                self.assertEqual(back.header("location"), "/")

    def test_the_domain_and_its_pods_are_allowed_targets(self):
        for target in [f"https://{DOMAIN}/x", f"http://alice.{DOMAIN}:8080/blog?i=1",
                       "/relative/path?q=1"]:
            with self.subTest(target=target):
                reply = fetch("GET", main_url("/auth/logout?redirect="
                                              + urllib.parse.quote(target, safe="")))
                self.assertEqual(reply.header("location"), target)

    def test_success_page_escapes_the_token(self):
        evil = "<script>alert('x')</script>\"&"
        page = fetch("GET", main_url("/auth/success?token=" + urllib.parse.quote(evil, safe="")))
        self.assertEqual(page.status, 200, page)
        self.assertTrue(page.header("content-type").startswith("text/html"))
        self.assertNotIn(b"<script>", page.body)
        self.assertIn(b"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;", page.body)
        self.assertIn("default-src 'none'", page.header("content-security-policy"))

    def test_success_page_without_token_is_400(self):
        self.assertError(fetch("GET", main_url("/auth/success")), 400, "MISSING_TOKEN")


class CookieTest(LoginTestCase):
    def check_attributes(self, cookie, secure):
        self.assertIsNotNone(cookie)
        self.assertIn("httponly", cookie)
        self.assertEqual(cookie["samesite"], "Lax")
        self.assertEqual(cookie["path"], "/")
        self.assertNotIn("domain", cookie)
        self.assertEqual("secure" in cookie, secure)

    def test_cookies_over_https_are_secure_httponly_lax_host_only(self):
        new_identity("oidc")
        reply = self.login(Browser(), "oidc")
        session = reply.cookie(SESSION_COOKIE)
        self.check_attributes(session, secure=True)
        self.assertRegex(session["value"], r"^[0-9a-f]{64}$")
        self.assertEqual(session["max-age"], "604800")
        self.check_attributes(reply.cookie(TOKEN_COOKIE), secure=True)

        pod = new_pod("cookie")
        user = harness.new_user("cookie")
        back = pod_callback(pod, harness.token(user, pod))
        self.check_attributes(back.cookie(POD_TOKEN_COOKIE), secure=True)
        self.assertGreater(int(back.cookie(POD_TOKEN_COOKIE)["max-age"]), 604000)

    def test_login_cookies_over_https_live_ten_minutes(self):
        started = self.start(Browser(), "oidc")
        self.check_attributes(started.cookie(STATE_COOKIE), secure=True)
        self.assertEqual(started.cookie(STATE_COOKIE)["max-age"], "600")
        login = fetch("GET", pod_url(new_pod("cookie"), "/login"))
        self.check_attributes(login.cookie(LOGIN_COOKIE), secure=True)
        self.assertEqual(login.cookie(LOGIN_COOKIE)["max-age"], "600")

    def test_cookies_over_http_are_not_secure(self):
        new_identity("oidc")
        browser = Browser()
        started = browser.request("GET", f"http://{DOMAIN}:{harness.STACK.http_port}/auth/oidc")
        self.assertEqual(started.status, 302, started)
        self.check_attributes(started.cookie("webpods.state"), secure=False)
        # The provider sends the browser to publicUrl (https); replayed over plain http, the
        # bare-named state cookie is the one read.
        callback = browser.request("GET", started.location).location
        plain_http = callback.replace(f"https://{DOMAIN}:{harness.STACK.https_port}",
                                      f"http://{DOMAIN}:{harness.STACK.http_port}")
        reply = browser.request("GET", plain_http)
        self.assertEqual(reply.status, 302, reply)
        self.check_attributes(reply.cookie("webpods.sid"), secure=False)
        pod = new_pod("cookie")
        self.check_attributes(fetch("GET", pod_url(pod, "/login", https=False))
                              .cookie("webpods.login"), secure=False)
        user = harness.new_user("cookie")
        back = pod_callback(pod, harness.token(user, pod), https=False)
        self.assertEqual(back.status, 302, back)
        self.check_attributes(back.cookie("pod_token"), secure=False)

    def test_pod_writes_accept_the_pod_token_cookie(self):
        pod = new_pod("cookie")
        user = harness.new_user("cookie")
        reply = fetch("POST", pod_url(pod, "/notes"), body="via cookie",
                      cookies={POD_TOKEN_COOKIE: harness.token(user, pod)},
                      headers={"Origin": pod_url(pod, "")})
        self.assertEqual(reply.status, 201, reply)


# ---- logins bound to their browser (SPEC §9) -----------------------------------------------------

class LoginBindingTest(LoginTestCase):
    def test_start_sets_a_state_cookie_whose_key_alone_is_stored(self):
        started = self.start(Browser(), "oidc")
        secret = started.cookie(STATE_COOKIE)["value"]
        self.assertRegex(secret, r"^[A-Za-z0-9_-]{43}$")
        state = query_of(started.location)["state"]
        self.assertNotEqual(secret, state)
        stored = harness.STACK.psql(f"SELECT browser_key FROM oauth_state WHERE state = '{state}'",
                                    database="webpods").strip()
        self.assertRegex(stored, r"^[0-9a-f]{64}$")
        self.assertNotIn(secret, stored)
        self.assertNotEqual(self.start(Browser(), "oidc").cookie(STATE_COOKIE)["value"], secret)

    def test_callback_without_the_state_cookie_is_invalid_state_and_spends_it(self):
        new_identity("oidc")
        browser = Browser()
        callback = self.to_callback(browser, "oidc")
        refused = fetch("GET", callback)
        self.assertError(refused, 400, "INVALID_STATE")
        self.assertEqual(refused.cookie(STATE_COOKIE)["max-age"], "0")
        self.assertIsNone(refused.cookie(SESSION_COOKIE))
        # The state is gone: the browser that began the login cannot use it afterwards either.
        self.assertError(browser.request("GET", callback), 400, "INVALID_STATE")

    def test_callback_with_another_state_cookie_is_invalid_state(self):
        new_identity("oidc")
        callback = self.to_callback(Browser(), "oidc")
        self.assertError(fetch("GET", callback, {STATE_COOKIE: "A" * 43}), 400, "INVALID_STATE")
        # Over https only the __Host- name counts, so a sibling pod cannot toss one in.
        new_identity("oidc")
        browser = Browser()
        callback = self.to_callback(browser, "oidc")
        secret = browser.cookies(DOMAIN)[STATE_COOKIE]
        self.assertError(fetch("GET", callback, {"webpods.state": secret}), 400, "INVALID_STATE")

    def test_a_login_begun_elsewhere_cannot_finish_in_this_browser(self):
        # Login fixation: the attacker begins a login, stops at the callback and gets the victim's
        # browser (which began a login of its own) to open it.
        new_identity("oidc")
        attacker_callback = self.to_callback(Browser(), "oidc")
        victim = Browser()
        self.start(victim, "oidc")
        self.assertError(victim.request("GET", attacker_callback), 400, "INVALID_STATE")
        self.assertNotIn(SESSION_COOKIE, victim.cookies(DOMAIN))
        self.assertNotIn(TOKEN_COOKIE, victim.cookies(DOMAIN))

    def test_a_successful_callback_clears_the_state_cookie(self):
        new_identity("oidc")
        browser = Browser()
        reply = self.login(browser, "oidc")
        self.assertEqual(reply.cookie(STATE_COOKIE)["max-age"], "0")
        self.assertNotIn(STATE_COOKIE, browser.cookies(DOMAIN))
        self.assertIn(SESSION_COOKIE, browser.cookies(DOMAIN))

    def test_missing_parameters_are_reported_before_the_cookie(self):
        self.assertError(fetch("GET", main_url("/auth/oidc/callback?state=x")), 400,
                         "INVALID_CALLBACK")
        self.assertError(fetch("GET", main_url("/auth/oidc/callback?code=x"),
                               {STATE_COOKIE: "wrong"}), 400, "INVALID_CALLBACK")


class PodLoginBindingTest(LoginTestCase):
    def logged_in(self):
        new_identity("oidc")
        browser = Browser()
        self.login(browser, "oidc")
        return browser

    def test_login_sets_the_login_cookie_and_passes_its_value_as_state(self):
        pod = new_pod("bind")
        first = fetch("GET", pod_url(pod, "/login?redirect=/x"))
        value = first.cookie(LOGIN_COOKIE)["value"]
        self.assertRegex(value, r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(query_of(first.location), {"pod": pod, "redirect": "/x", "state": value})
        self.assertEqual(first.header("cache-control"), "no-store")
        second = fetch("GET", pod_url(pod, "/login"))
        self.assertNotEqual(second.cookie(LOGIN_COOKIE)["value"], value)

    def test_authorize_with_a_session_hands_the_state_back(self):
        browser = self.logged_in()
        pod = new_pod("bind")
        reply = browser.request("GET", main_url(f"/auth/authorize?pod={pod}&redirect=/x"
                                                "&state=from-the-pod"))
        self.assertEqual(reply.status, 302, reply)
        self.assertTrue(reply.location.startswith(pod_url(pod, "/auth/callback?token=")),
                        reply.location)
        self.assertTrue(reply.location.endswith("&state=from-the-pod&redirect=%2Fx"),
                        reply.location)
        for bad in ["a" * 129, "a%20b", "a%0Db", "%C3%A9"]:
            with self.subTest(state=bad):
                self.assertError(browser.request("GET", main_url(
                    f"/auth/authorize?pod={pod}&state={bad}")), 400, "INVALID_STATE")

    def test_pod_callback_needs_a_state_equal_to_its_cookie(self):
        pod = new_pod("bind")
        token = harness.token(harness.new_user("bind"), pod)
        self.assertError(fetch("GET", pod_url(pod, f"/auth/callback?token={token}"),
                               {LOGIN_COOKIE: "s"}), 400, "INVALID_STATE")
        self.assertError(fetch("GET", pod_url(pod, f"/auth/callback?token={token}&state=")),
                         400, "INVALID_STATE")
        self.assertError(fetch("GET", pod_url(pod, f"/auth/callback?token={token}&state=s")),
                         400, "INVALID_STATE")
        wrong = fetch("GET", pod_url(pod, f"/auth/callback?token={token}&state=s"),
                      {LOGIN_COOKIE: "t"})
        self.assertError(wrong, 400, "INVALID_STATE")
        self.assertIsNone(wrong.cookie(POD_TOKEN_COOKIE))
        # A mismatch leaves the browser's own login in progress alone.
        self.assertIsNone(wrong.cookie(LOGIN_COOKIE))
        self.assertError(fetch("GET", pod_url(pod, f"/auth/callback?token={token}&state=s"),
                               {"webpods.login": "s"}), 400, "INVALID_STATE")
        # Without a token, MISSING_TOKEN comes first, whatever the state.
        self.assertError(fetch("GET", pod_url(pod, "/auth/callback?state=s")), 400,
                         "MISSING_TOKEN")

    def test_pod_callback_clears_the_login_cookie(self):
        pod = new_pod("bind")
        token = harness.token(harness.new_user("bind"), pod)
        good = fetch("GET", pod_url(pod, f"/auth/callback?token={token}&state=s"),
                     {LOGIN_COOKIE: "s"})
        self.assertEqual(good.status, 302, good)
        self.assertEqual(good.cookie(LOGIN_COOKIE)["max-age"], "0")
        self.assertEqual(good.cookie(POD_TOKEN_COOKIE)["value"], token)
        # Once it matched, the state is spent even when the token then fails.
        bad = fetch("GET", pod_url(pod, "/auth/callback?token=garbage&state=s"),
                    {LOGIN_COOKIE: "s"})
        self.assertError(bad, 401, "INVALID_TOKEN")
        self.assertEqual(bad.cookie(LOGIN_COOKIE)["max-age"], "0")

    def test_a_token_cannot_be_planted_in_another_browser(self):
        # The attacker, logged in, runs the pod's /login himself and keeps the callback URL (his
        # token for the pod, his state); the victim's browser opens it.
        pod = new_pod("bind")
        attacker = self.logged_in()
        authorize = attacker.request("GET", pod_url(pod, "/login")).location
        planted = attacker.request("GET", authorize).location
        self.assertTrue(planted.startswith(pod_url(pod, "/auth/callback?token=")), planted)
        victim = Browser()
        victim.request("GET", pod_url(pod, "/login"))  # the victim's own login in progress
        self.assertError(victim.request("GET", planted), 400, "INVALID_STATE")
        self.assertNotIn(POD_TOKEN_COOKIE, victim.cookies(pod_host(pod)))
        self.assertIn(LOGIN_COOKIE, victim.cookies(pod_host(pod)))
        self.assertError(fetch("GET", planted), 400, "INVALID_STATE")


# ---- sessions ------------------------------------------------------------------------------------

class SessionTest(LoginTestCase):
    def logged_in(self, user):
        set_next_user("oidc", **user)
        browser = Browser()
        reply = self.login(browser, "oidc")
        return browser, query_of(reply.location)["token"]

    def test_session_without_cookie_is_no_session(self):
        self.assertError(fetch("GET", main_url("/auth/session")), 401, "NO_SESSION")
        self.assertError(fetch("GET", main_url("/auth/session"),
                               cookies={SESSION_COOKIE: "0" * 64}), 401, "NO_SESSION")

    def test_session_slides_and_its_id_is_not_the_cookie(self):
        _, user = new_identity("oidc")
        browser, _ = self.logged_in(user)
        first = browser.request("GET", main_url("/auth/session"))
        time.sleep(0.05)
        second = browser.request("GET", main_url("/auth/session"))
        self.assertGreater(second.json()["expiresAt"], first.json()["expiresAt"])
        self.assertEqual(second.cookie(SESSION_COOKIE)["max-age"], "604800")
        self.assertNotEqual(first.json()["sessionId"],
                            browser.cookies(DOMAIN)[SESSION_COOKIE])

    def test_list_revoke_one_revoke_all(self):
        _, user = new_identity("oidc")
        laptop, jwt = self.logged_in(user)
        phone, _ = self.logged_in(user)
        tablet, _ = self.logged_in(user)
        bearer = {"Authorization": f"Bearer {jwt}"}

        listed = fetch("GET", main_url("/auth/sessions"), headers=bearer)
        self.assertEqual(listed.status, 200, listed)
        self.assertEqual(listed.json()["count"], 3)
        for entry in listed.json()["sessions"]:
            self.assertEqual(set(entry), {"id", "createdAt", "expiresAt"})

        phone_id = phone.request("GET", main_url("/auth/session")).json()["sessionId"]
        revoked = fetch("DELETE", main_url(f"/auth/sessions/{phone_id}"), headers=bearer)
        self.assertEqual(revoked.status, 200, revoked)
        self.assertEqual(revoked.json(), {"success": True})
        self.assertError(phone.request("GET", main_url("/auth/session")), 401, "NO_SESSION")
        self.assertError(fetch("DELETE", main_url(f"/auth/sessions/{phone_id}"), headers=bearer),
                         404, "SESSION_NOT_FOUND")

        # Another user can neither see nor revoke these sessions.
        _, stranger = new_identity("oidc")
        _, stranger_jwt = self.logged_in(stranger)
        laptop_id = laptop.request("GET", main_url("/auth/session")).json()["sessionId"]
        self.assertError(fetch("DELETE", main_url(f"/auth/sessions/{laptop_id}"),
                               headers={"Authorization": f"Bearer {stranger_jwt}"}),
                         404, "SESSION_NOT_FOUND")
        self.assertEqual(fetch("GET", main_url("/auth/sessions"),
                               headers={"Authorization": f"Bearer {stranger_jwt}"})
                         .json()["count"], 1)

        everything = fetch("DELETE", main_url("/auth/sessions"), headers=bearer)
        self.assertEqual(everything.json(), {"success": True, "count": 2})
        for browser in (laptop, tablet):
            self.assertError(browser.request("GET", main_url("/auth/session")), 401,
                             "NO_SESSION")
        self.assertEqual(fetch("GET", main_url("/auth/sessions"), headers=bearer)
                         .json(), {"sessions": [], "count": 0})

    def test_sessions_need_a_token(self):
        self.assertError(fetch("GET", main_url("/auth/sessions")), 401, "UNAUTHENTICATED")
        self.assertError(fetch("DELETE", main_url("/auth/sessions")), 401, "UNAUTHENTICATED")
        self.assertError(fetch("GET", main_url("/auth/sessions"),
                               headers={"Authorization": "Bearer nope"}), 401, "INVALID_TOKEN")

    def test_whoami_errors(self):
        self.assertError(fetch("GET", main_url("/auth/whoami")), 401, "UNAUTHENTICATED")
        self.assertError(fetch("GET", main_url("/auth/whoami"),
                               headers={"Authorization": "Bearer x.y.z"}), 401, "INVALID_TOKEN")

    def test_post_logout_ends_the_session(self):
        _, user = new_identity("oidc")
        browser, _ = self.logged_in(user)
        cookie = browser.cookies(DOMAIN)[SESSION_COOKIE]
        reply = browser.request("POST", main_url("/auth/logout"))
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json(), {"success": True})
        self.assertEqual(reply.cookie(SESSION_COOKIE)["max-age"], "0")
        self.assertEqual(reply.cookie(TOKEN_COOKIE)["max-age"], "0")
        # A replayed cookie is no session any more.
        self.assertError(fetch("GET", main_url("/auth/session"), cookies={SESSION_COOKIE: cookie}),
                         401, "NO_SESSION")
        self.assertEqual(fetch("POST", main_url("/auth/logout")).json(), {"success": True})

    def test_get_logout_redirects(self):
        _, user = new_identity("oidc")
        browser, _ = self.logged_in(user)
        cookie = browser.cookies(DOMAIN)[SESSION_COOKIE]
        reply = browser.request("GET", main_url("/auth/logout?redirect=/bye"))
        self.assertEqual(reply.status, 302, reply)
        self.assertEqual(reply.header("location"), "/bye")
        self.assertError(fetch("GET", main_url("/auth/session"), cookies={SESSION_COOKIE: cookie}),
                         401, "NO_SESSION")
        self.assertEqual(fetch("GET", main_url("/auth/logout")).header("location"), "/")
        self.assertError(fetch("PUT", main_url("/auth/logout")), 405, "METHOD_NOT_ALLOWED")

    def test_expired_sessions_are_purged_at_login(self):
        _, user = new_identity("oidc")
        browser, _ = self.logged_in(user)
        session_id = browser.request("GET", main_url("/auth/session")).json()["sessionId"]
        harness.STACK.psql("UPDATE session SET expires_at = now() - interval '1 second' "
                           f"WHERE id = '{session_id}'", database="webpods")
        self.assertError(browser.request("GET", main_url("/auth/session")), 401, "NO_SESSION")
        new_identity("oidc")
        self.login(Browser(), "oidc")
        left = harness.STACK.psql(f"SELECT count(*) FROM session WHERE id = '{session_id}'",
                                  database="webpods").strip()
        self.assertEqual(left, "0")


# ---- a real browser ------------------------------------------------------------------------------

@unittest.skipIf(os.environ.get("WEBPODS_BROWSER_TESTS") == "0", "WEBPODS_BROWSER_TESTS=0")
class ChromiumTest(LoginTestCase):
    def test_chromium_logs_in_through_the_provider_and_writes_with_the_cookie(self):
        auth_id, _ = new_identity("oidc")
        first, second = new_pod("chrome"), new_pod("chrome")
        run = subprocess.run(["node", os.path.join(OAUTH_DIR, "browser.js"),
                              "--pod-origin", pod_url(first, ""),
                              "--second-pod-origin", pod_url(second, ""),
                              "--stream", "journal", "--text", "hello from chromium"],
                             cwd=OAUTH_DIR, capture_output=True, text=True, timeout=180)
        self.assertEqual(run.returncode, 0, run.stdout[-3000:] + run.stderr[-3000:])
        result = json.loads(run.stdout.strip().splitlines()[-1])

        journey = result["first"]
        self.assertTrue(any(url.startswith(harness.OAUTH.oidc + "/authorize")
                            for url in journey["navigations"]), journey["navigations"])
        self.assertEqual(journey["finalUrl"], pod_url(first, "/journal"))
        self.assertEqual(journey["writeStatus"], 201, journey)
        self.assertEqual(json.loads(journey["written"])["author"], auth_id)
        self.assertEqual(journey["readStatus"], 200, journey)
        self.assertEqual(journey["read"], "hello from chromium")

        sso = result["second"]
        self.assertFalse(any(url.startswith(harness.OAUTH.oidc)
                             for url in sso["navigations"]), sso["navigations"])
        self.assertEqual(sso["writeStatus"], 201, sso)
        self.assertEqual(json.loads(sso["written"])["author"], auth_id)

        cookies = {(cookie["domain"], cookie["name"]): cookie for cookie in result["cookies"]}
        for host in (pod_host(first), pod_host(second)):
            pod_token = cookies[(host, POD_TOKEN_COOKIE)]
            self.assertTrue(pod_token["httpOnly"])
            self.assertTrue(pod_token["secure"])
            self.assertEqual(pod_token["sameSite"], "Lax")
        session = cookies[(DOMAIN, SESSION_COOKIE)]
        self.assertTrue(session["httpOnly"])
        # Both logins are over: the state and login cookies of SPEC §9 are gone.
        self.assertFalse(any(name in (STATE_COOKIE, LOGIN_COOKIE) for _, name in cookies),
                         sorted(cookies))
        self.assertFalse(any(name == SESSION_COOKIE and domain != DOMAIN
                             for domain, name in cookies))


if __name__ == "__main__":
    unittest.main()
