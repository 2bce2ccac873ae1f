"""Operations (SPEC §7, §13): config refusals at load."""

import json
import os
import signal
import subprocess
import tempfile
import unittest

import harness

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
        index = len(harness.STACK.config["oauth"]["providers"])
        self.assertIn(f"oauth.providers[{index}].id", output)
        self.assertIn('"whoami" is reserved', output)


if __name__ == "__main__":
    unittest.main()
