"""Operations (SPEC §7, §13): config refusals at load and webpodsctl's operator commands
(pods, streams, users, revoke-sessions, stats; --json, --help, --version), against the running
stack's database."""

import json
import os
import signal
import subprocess
import tempfile
import unittest

import harness
import test_login
from harness import new_pod, new_user, write

RESERVED_PROVIDER_IDS = ["providers", "session", "sessions", "logout", "authorize", "success",
                         "whoami", "callback"]


def ctl(*args, config=None, env=None):
    """webpodsctl with the stack's config (or `config`); the CompletedProcess."""
    result = subprocess.run(
        [os.path.join(harness.STACK.build, "webpodsctl"), "--config",
         config or harness.STACK.config_path] + list(args),
        capture_output=True, text=True, timeout=60, env=env)
    harness.STACK.ctl_output.append(result.stderr)
    return result


def ctl_json(*args):
    result = ctl(*args, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def config_file(test, change):
    """A copy of the stack's config, changed by change(config), removed after the test."""
    config = json.loads(json.dumps(harness.STACK.config))
    change(config)
    handle, path = tempfile.mkstemp(prefix="webpods-config-", suffix=".json")
    with os.fdopen(handle, "w") as target:
        json.dump(config, target)
    test.addCleanup(os.remove, path)
    return path


class ReservedProviderIdTest(unittest.TestCase):
    """A provider whose id is a fixed /auth/ route could never be logged in with: refused at
    load, exit 2, the message naming the key."""

    def with_provider(self, provider_id):
        def change(config):
            providers = config["oauth"]["providers"]
            providers.append(dict(providers[0], id=provider_id))
        return config_file(self, change)

    def test_webpodsctl_refuses_every_reserved_id(self):
        for provider_id in RESERVED_PROVIDER_IDS:
            with self.subTest(id=provider_id):
                path = self.with_provider(provider_id)
                result = ctl("users", config=path)
                self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
                index = len(harness.STACK.config["oauth"]["providers"])
                self.assertIn(f"oauth.providers[{index}].id", result.stderr)
                self.assertIn(f'"{provider_id}" is reserved', result.stderr)

    def test_an_ordinary_id_is_accepted(self):
        result = ctl("users", config=self.with_provider("sessionless"))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_the_workers_refuse_to_start(self):
        path = self.with_provider("whoami")
        socket_dir = tempfile.mkdtemp(prefix="webpods-sock-")
        self.addCleanup(os.rmdir, socket_dir)
        socket_path = os.path.join(socket_dir, "fcgi.sock")
        process = subprocess.Popen([os.path.join(harness.STACK.build, "webpods-fcgi"),
                                    "--config", path, "--socket", socket_path],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
        try:
            output, _ = process.communicate(timeout=8)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            self.fail("webpods-fcgi started with a provider named whoami")
        finally:
            if os.path.exists(socket_path):
                os.remove(socket_path)
        self.assertEqual(process.returncode, 2, output)
        # The log is JSON lines (SPEC §13): the message is the "msg" of one of them.
        messages = "\n".join(json.loads(line)["msg"] for line in output.splitlines()
                              if line.startswith("{"))
        index = len(harness.STACK.config["oauth"]["providers"])
        self.assertIn(f"oauth.providers[{index}].id", messages)
        self.assertIn('"whoami" is reserved', messages)


class CtlUsageTest(unittest.TestCase):
    COMMANDS = ["migrate", "token", "verify", "keygen", "audit", "pods", "streams", "users",
                "revoke-sessions", "stats"]

    def test_version_needs_no_config(self):
        for args in (["--version"], ["pods", "--version"]):
            with self.subTest(args=args):
                result = ctl(*args, config="/nonexistent/config.json")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertRegex(result.stdout, r"^webpodsctl \d+\.\d+\.\d+\n$")
        result = ctl("--version", "--json", config="/nonexistent/config.json")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(set(json.loads(result.stdout)), {"version"})

    def test_every_command_has_help_without_a_config(self):
        overview = ctl("--help", config="/nonexistent/config.json")
        self.assertEqual(overview.returncode, 0, overview.stderr)
        for command in self.COMMANDS:
            with self.subTest(command=command):
                self.assertIn(f"\n  {command} ", overview.stdout)
                result = ctl(command, "--help", config="/nonexistent/config.json")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertTrue(result.stdout.startswith(
                    f"usage: webpodsctl [--config FILE] {command}"), result.stdout)

    def test_usage_errors_exit_2_without_touching_the_database(self):
        cases = [
            (["streams"], "streams takes 1 operand, got 0"),
            (["streams", "a", "b"], "streams takes 1 operand, got 2"),
            (["pods", "--jsn", "x"], "unknown option --jsn for pods"),
            (["migrate", "--json"], "migrate has no --json output"),
            (["token", "auth:test:x", "--pod"], "option --pod needs a value"),
            (["frobnicate"], "unknown command frobnicate"),
            ([], "usage: webpodsctl"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                result = ctl(*args, config="/nonexistent/config.json")
                self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
                self.assertIn(message, result.stderr)
                self.assertEqual(result.stdout, "")

    def test_config_comes_from_webpods_config_when_not_given(self):
        env = dict(os.environ, WEBPODS_CONFIG=harness.STACK.config_path)
        result = subprocess.run([os.path.join(harness.STACK.build, "webpodsctl"), "stats"],
                                capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        env["WEBPODS_CONFIG"] = "/nonexistent/config.json"
        result = subprocess.run([os.path.join(harness.STACK.build, "webpodsctl"), "stats"],
                                capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("/nonexistent/config.json", result.stderr)

    def test_an_unreachable_database_exits_3(self):
        def change(config):
            config["database"]["host"] = "/nonexistent"
        result = ctl("stats", config=config_file(self, change))
        self.assertEqual(result.returncode, 3, result.stdout + result.stderr)


class AdminReadOutTest(unittest.TestCase):
    """pods, streams, users and stats agree with what the test wrote through HTTP."""

    def setUp(self):
        self.owner = new_user("admin")
        self.pod = new_pod("admin")
        for body in ["one", "two", "three"]:
            self.assertEqual(write(self.pod, "journal", body, self.owner).status, 201)
        self.assertEqual(write(self.pod, "notes/private", "x", self.owner,
                               query="?access=private").status, 201)

    def test_pods_lists_the_pod_with_its_owner_and_counts(self):
        pods = {pod["name"]: pod for pod in ctl_json("pods")["pods"]}
        pod = pods[self.pod]
        self.assertEqual(pod["owner"], self.owner)
        streams = ctl_json("streams", self.pod)["streams"]
        self.assertEqual(pod["streams"], len(streams))
        self.assertEqual(pod["records"], sum(stream["records"] for stream in streams))
        self.assertRegex(pod["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        text = ctl("pods")
        self.assertEqual(text.returncode, 0, text.stderr)
        lines = text.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["POD", "OWNER", "STREAMS", "RECORDS", "CREATED"])
        row = next(line.split() for line in lines[1:] if line.split()[0] == self.pod)
        self.assertEqual(row[1:4], [self.owner, str(pod["streams"]), str(pod["records"])])

    def test_streams_gives_access_creator_records_and_head(self):
        answer = ctl_json("streams", self.pod)
        self.assertEqual(answer["pod"], self.pod)
        streams = {stream["name"]: stream for stream in answer["streams"]}
        self.assertEqual(answer["count"], len(streams))
        journal = streams["journal"]
        self.assertEqual((journal["access"], journal["creator"], journal["records"]),
                         ("public", self.owner, 3))
        last = harness.read(self.pod, "/journal?i=-1").headers["x-hash"]
        self.assertEqual(journal["last_hash"], last)
        self.assertEqual(streams["notes/private"]["access"], "private")
        self.assertEqual(streams["notes/private"]["records"], 1)
        self.assertIn(".meta/owner", streams)

    def test_streams_of_an_unknown_pod_exits_2(self):
        result = ctl("streams", new_pod("nobody"))
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("no such pod", result.stderr)

    def test_users_lists_the_owner_with_its_pod(self):
        users = {user["auth_id"]: user for user in ctl_json("users")["users"]}
        user = users[self.owner]
        self.assertEqual(user["id"], harness.user_id(self.owner))
        self.assertEqual((user["provider"], user["pods"], user["sessions"]), ("test", 1, 0))

    def test_stats_count_what_was_written(self):
        before = ctl_json("stats")
        self.assertEqual(set(before), {"users", "pods", "streams", "records", "sessions",
                                       "database_bytes"})
        self.assertGreater(before["database_bytes"], 1_000_000)
        expected = harness.STACK.psql(
            "SELECT (SELECT count(*) FROM app_user), (SELECT count(*) FROM pod), "
            "(SELECT count(*) FROM stream), (SELECT count(*) FROM record)",
            database="webpods").strip().split("|")
        # Other tests run before and after, never at the same time: the counts are exact.
        self.assertEqual([before["users"], before["pods"], before["streams"], before["records"]],
                         [int(number) for number in expected])
        pod = new_pod("stats")
        self.assertEqual(write(pod, "a", "1", self.owner).status, 201)
        self.assertEqual(write(pod, "a", "2", self.owner).status, 201)
        after = ctl_json("stats")
        self.assertEqual(after["pods"], before["pods"] + 1)
        self.assertEqual(after["records"] - before["records"],
                         2 + (after["streams"] - before["streams"] - 1))
        self.assertEqual(after["users"], before["users"])


class RevokeSessionsTest(test_login.LoginTestCase):
    """revoke-sessions ends a user's browser sessions: the cookie stops working at once."""

    def test_revoking_ends_every_session_of_the_user_only(self):
        auth_id, user = test_login.new_identity("oidc")
        browsers = []
        for _ in range(2):
            test_login.set_next_user("oidc", **user)
            browser = test_login.Browser()
            self.login(browser, "oidc")
            browsers.append(browser)
        test_login.new_identity("oidc")
        bystander = test_login.Browser()
        self.login(bystander, "oidc")
        session = test_login.main_url("/auth/session")
        for browser in browsers + [bystander]:
            self.assertEqual(browser.request("GET", session).status, 200)
        users = {entry["auth_id"]: entry for entry in ctl_json("users")["users"]}
        self.assertEqual(users[auth_id]["sessions"], 2)

        self.assertEqual(ctl_json("revoke-sessions", auth_id), {"auth_id": auth_id, "revoked": 2})
        for browser in browsers:
            self.assertError(browser.request("GET", session), 401, "NO_SESSION")
        self.assertEqual(bystander.request("GET", session).status, 200)
        again = ctl("revoke-sessions", auth_id)
        self.assertEqual((again.returncode, again.stdout),
                         (0, f"revoked 0 sessions of {auth_id}\n"))

    def test_an_unknown_user_exits_2(self):
        result = ctl("revoke-sessions", "auth:oidc:nobody-at-all")
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("no such user", result.stderr)


if __name__ == "__main__":
    unittest.main()
