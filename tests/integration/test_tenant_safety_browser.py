"""Tenant safety in headless Chromium (issue 12, SPEC §9): two pods, one browser. The browser
logs in for real through the local OAuth provider and holds pod_token for `victim`; then it
opens pages served by pod `evil` that try every way a page can write across origins, a
stranger's text/html record in `victim`, and finally victim's own page. The test then checks
over HTTP, with the owner's token, that nothing but victim's own page wrote anything.
The driver is tests/stack/oauth/tenant.js (playwright-core and Debian's chromium)."""

import json
import os
import subprocess
import tempfile
import unittest
import urllib.parse

import harness
import test_login as login
from harness import DOMAIN, new_pod, new_user, pod_host, read, user_id, write

OWN_PAGE_TEXT = "from the victim page"


def origin(pod=None):
    return f"https://{pod_host(pod) if pod else DOMAIN}:{harness.STACK.https_port}"


def fetch_attacks(victim, thief_uuid):
    """evil's page: fetch (no-cors and cors), sendBeacon, each with the visitor's cookies."""
    return f"""<!doctype html><meta charset="utf-8"><title>evil</title>
<script>
(async () => {{
  const victim = {json.dumps(victim)};
  const out = {{}};
  const attempt = async (label, url, init) => {{
    try {{ const r = await fetch(url, init); out[label] = r.type + ':' + r.status; }}
    catch (error) {{ out[label] = 'error:' + error.message; }}
  }};
  const base = {{ method: 'POST', mode: 'no-cors', credentials: 'include' }};
  await attempt('stream', victim + '/diary', {{ ...base, body: 'pwned' }});
  await attempt('new-stream', victim + '/x', {{ ...base, body: 'pwned' }});
  await attempt('owner', victim + '/.meta/owner',
                {{ ...base, body: JSON.stringify({{ owner: {json.dumps(thief_uuid)} }}) }});
  await attempt('links', victim + '/.meta/links',
                {{ ...base, body: JSON.stringify({{ '/': 'x?i=-1' }}) }});
  await attempt('cors-post', victim + '/diary',
                {{ method: 'POST', mode: 'cors', credentials: 'include', body: 'pwned',
                   headers: {{ 'Content-Type': 'text/plain' }} }});
  await attempt('cors-delete', victim + '/diary',
                {{ method: 'DELETE', mode: 'cors', credentials: 'include' }});
  await attempt('cors-delete-pod', victim + '/',
                {{ method: 'DELETE', mode: 'cors', credentials: 'include' }});
  out.beacon = navigator.sendBeacon(victim + '/diary', 'beacon');
  window.__result = out;
}})();
</script>"""


def form_attack(action, fields, enctype="application/x-www-form-urlencoded"):
    """evil's page: a form posted to victim as soon as it loads."""
    inputs = "".join(f"<input type=hidden name='{name}' value='{value}'>"
                     for name, value in fields)
    return (f"<!doctype html><meta charset=utf-8><title>form</title>"
            f"<form method=post enctype='{enctype}' action='{action}'>{inputs}</form>"
            f"<script>document.forms[0].submit()</script>")


def navigation_attack(main, victim_pod, landing):
    target = (f"{main}/auth/authorize?pod={victim_pod}&redirect="
              f"{urllib.parse.quote(landing, safe='')}")
    return (f"<!doctype html><meta charset=utf-8><title>nav</title>"
            f"<script>location.href = {json.dumps(target)};</script>")


def strangers_page(thief_uuid):
    """A stranger's record in victim: a same-origin write with the owner's cookies."""
    return f"""<!doctype html><meta charset="utf-8"><title>guest</title>
<p>hello from a guest</p>
<script>
fetch('/.meta/owner', {{ method: 'POST', credentials: 'include',
                        headers: {{ 'Content-Type': 'application/json' }},
                        body: JSON.stringify({{ owner: {json.dumps(thief_uuid)} }}) }})
  .catch(() => {{}});
fetch('/guestbook', {{ method: 'POST', credentials: 'include',
                      headers: {{ 'Content-Type': 'text/plain' }}, body: 'stranger was here' }})
  .then((r) => {{ window.__result = r.status; }},
        (error) => {{ window.__result = 'error:' + error.message; }});
</script>"""


OWN_PAGE = f"""<!doctype html><meta charset="utf-8"><title>victim</title>
<script>
fetch('/diary', {{ method: 'POST', credentials: 'include',
                  headers: {{ 'Content-Type': 'text/plain' }}, body: {json.dumps(OWN_PAGE_TEXT)} }})
  .then(async (r) => {{ window.__result = {{ status: r.status, body: await r.text() }}; }},
        (error) => {{ window.__result = {{ error: String(error) }}; }});
</script>"""


def snapshot(pod, auth_id):
    """Every stream the owner can see, with the hashes of its records (or the error status)."""
    streams = read(pod, "/.meta/streams", auth_id)
    names = sorted({entry["stream_id"] for entry in streams.json()["streams"]}
                   if streams.status == 200 else set()) + [".meta/owner", ".meta/links"]
    state = {"(streams)": streams.status}
    for name in names:
        answer = read(pod, f"/{name}?limit=1000", auth_id)
        state[name] = ([(record["hash"], record["author"]) for record in answer.json()["records"]]
                       if answer.status == 200 else answer.status)
    return state


@unittest.skipIf(os.environ.get("WEBPODS_BROWSER_TESTS") == "0", "WEBPODS_BROWSER_TESTS=0")
class TwoPodsOneBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.auth_id, _ = login.new_identity("oidc")  # who the browser logs in as
        cls.victim, cls.evil = new_pod("victim"), new_pod("evil")
        cls.thief, cls.stranger = new_user("thief"), new_user("guest")
        victim, evil, main = origin(cls.victim), origin(cls.evil), origin()

        def put(pod, stream, body, auth_id, content_type, query=""):
            answer = write(pod, stream, body, auth_id, query=query,
                           headers={"Content-Type": content_type})
            assert answer.status == 201, (stream, answer)
            return answer.json()

        # victim, owned by the browser's user.
        owner = cls.auth_id
        put(cls.victim, "diary", "first entry", owner, "text/plain")
        put(cls.victim, "web/hello", "hello", owner, "text/plain")
        put(cls.victim, "web/app", OWN_PAGE, owner, "text/html; charset=utf-8")
        put(cls.victim, "guestbook", "welcome", owner, "text/plain")  # public
        cls.guest_record = put(cls.victim, "guestbook", strangers_page(user_id(cls.stranger)),
                               cls.stranger, "text/html", query="?alias=note")
        links = write(cls.victim, ".meta/links", {"/hello": "web/hello?i=-1",
                                                  "/app": "web/app?i=-1"}, owner)
        assert links.status == 201, links

        # evil, owned by the thief.
        thief_uuid = user_id(cls.thief)
        pages = {
            "/": fetch_attacks(victim, thief_uuid),
            "/form": form_attack(f"{victim}/diary", [("body", "pwned")]),
            "/form-new": form_attack(f"{victim}/x", [("body", "pwned")]),
            "/form-owner": form_attack(f"{victim}/.meta/owner",
                                       [('{"owner":"' + thief_uuid + '","pad":"', '"}')],
                                       enctype="text/plain"),
            "/form-links": form_attack(f"{victim}/.meta/links",
                                       [('{"/":"x?i=-1","pad":"', '"}')], enctype="text/plain"),
            "/nav": navigation_attack(main, cls.victim, f"{evil}/landed"),
            "/landed": "<!doctype html><title>landed</title><p>landed</p>",
        }
        evil_links = {}
        for n, (path, html) in enumerate(pages.items()):
            put(cls.evil, f"site/page{n}", html, cls.thief, "text/html; charset=utf-8")
            evil_links[path] = f"site/page{n}?i=-1"
        answer = write(cls.evil, ".meta/links", evil_links, cls.thief)
        assert answer.status == 201, answer

        cls.before = snapshot(cls.victim, owner)
        index = cls.guest_record["index"]
        plan = {
            "login": f"{victim}/login?redirect=%2Fhello",
            "watch": [victim, main],
            "visits": [
                {"name": "evil-fetch", "url": f"{evil}/", "result": True, "settle": 1500},
                {"name": "evil-form", "url": f"{evil}/form", "settle": 1500},
                {"name": "evil-form-new", "url": f"{evil}/form-new", "settle": 1500},
                {"name": "evil-form-owner", "url": f"{evil}/form-owner", "settle": 1500},
                {"name": "evil-form-links", "url": f"{evil}/form-links", "settle": 1500},
                {"name": "evil-nav", "url": f"{evil}/nav", "settle": 2500},
                {"name": "stranger-index", "url": f"{victim}/guestbook?i={index}",
                 "result": True, "timeout": 3000},
                {"name": "stranger-alias", "url": f"{victim}/guestbook/note", "result": True,
                 "timeout": 3000},
                {"name": "own-page", "url": f"{victim}/app", "result": True},
            ],
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(plan, handle)
        try:
            run = subprocess.run(["node", os.path.join(login.OAUTH_DIR, "tenant.js"),
                                  "--plan", handle.name], cwd=login.OAUTH_DIR,
                                 capture_output=True, text=True, timeout=300)
        finally:
            os.remove(handle.name)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        cls.result = json.loads(run.stdout.strip().splitlines()[-1])
        cls.after = snapshot(cls.victim, owner)

    def visit(self, name):
        return self.result["visits"][name]

    def victim_url(self, path):
        return origin(self.victim) + path

    def test_the_browser_logged_in_and_holds_the_victims_pod_token(self):
        journey = self.result["login"]
        self.assertTrue(any(url.startswith(harness.OAUTH.oidc + "/authorize")
                            for url in journey["navigations"]), journey["navigations"])
        self.assertEqual(journey["finalUrl"], self.victim_url("/hello"), journey)
        self.assertEqual(journey["status"], 200, journey)
        names = {(cookie["domain"], cookie["name"]) for cookie in self.result["cookies"]}
        self.assertIn((pod_host(self.victim), login.POD_TOKEN_COOKIE), names)
        self.assertIn((DOMAIN, login.SESSION_COOKIE), names)

    def test_the_attacks_really_ran_in_the_browser(self):
        # Otherwise the checks below would pass for nothing.
        self.assertIsNotNone(self.visit("evil-fetch")["result"], self.visit("evil-fetch"))
        for name, path in [("evil-form", "/diary"), ("evil-form-new", "/x"),
                           ("evil-form-owner", "/.meta/owner"),
                           ("evil-form-links", "/.meta/links")]:
            with self.subTest(visit=name):
                self.assertIn(self.victim_url(path), self.visit(name)["navigations"],
                              self.visit(name))
        self.assertTrue(any(url.startswith(origin() + "/auth/authorize?pod=" + self.victim)
                            for url in self.visit("evil-nav")["navigations"]),
                        self.visit("evil-nav"))
        for name in ["stranger-index", "stranger-alias"]:
            self.assertEqual(self.visit(name)["status"], 200, self.visit(name))

    def test_a_page_on_another_pod_cannot_write_to_the_pod(self):
        before, after = dict(self.before), dict(self.after)
        diary_before, diary_after = before.pop("diary"), after.pop("diary")
        self.assertEqual(after, before, "victim's streams, .meta/owner or .meta/links changed")
        self.assertEqual(diary_after[:len(diary_before)], diary_before)
        self.assertEqual(len(diary_after), len(diary_before) + 1,
                         "only victim's own page may have appended to diary")
        last = read(self.victim, "/diary?i=-1", self.auth_id)
        self.assertEqual(last.body.decode(), OWN_PAGE_TEXT)
        # What the browser saw: no write to victim answered 2xx while evil's pages were open.
        for name in ["evil-fetch", "evil-form", "evil-form-new", "evil-form-owner",
                     "evil-form-links", "evil-nav"]:
            for response in self.visit(name)["responses"]:
                if response["method"] in ("POST", "DELETE"):
                    with self.subTest(visit=name, url=response["url"]):
                        self.assertNotIn(response["status"], (200, 201, 204), response)

    def test_a_navigation_to_authorize_installs_no_token_for_the_pod(self):
        callbacks = [response for response in self.visit("evil-nav")["responses"]
                     if response["url"].startswith(self.victim_url("/auth/callback"))]
        self.assertFalse([response for response in callbacks if response["status"] == 302],
                         "victim's /auth/callback accepted a token that evil's navigation "
                         f"asked for: {callbacks}")

    def test_a_strangers_html_record_cannot_write_with_the_owners_cookie(self):
        for name in ["stranger-index", "stranger-alias"]:
            with self.subTest(visit=name):
                self.assertNotEqual(self.visit(name)["result"], 201, self.visit(name))
                writes = [response for response in self.visit(name)["responses"]
                          if response["method"] == "POST" and response["status"] in (200, 201)]
                self.assertFalse(writes, writes)
        self.assertEqual(self.after["guestbook"], self.before["guestbook"])
        self.assertEqual(self.after[".meta/owner"], self.before[".meta/owner"])

    def test_the_pods_own_page_still_runs_its_script_and_writes(self):
        own = self.visit("own-page")
        self.assertIsNotNone(own["result"], own)
        self.assertEqual(own["result"].get("status"), 201, own)
        record = json.loads(own["result"]["body"])
        self.assertEqual(record["author"], self.auth_id)
        self.assertEqual(record["content"], OWN_PAGE_TEXT)


if __name__ == "__main__":
    unittest.main()
