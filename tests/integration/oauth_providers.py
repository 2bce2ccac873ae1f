"""Local OAuth providers for the integration tests: tests/stack/oauth/mock.js (oauth2-mock-server)
runs an OpenID Connect provider and a plain GitHub-style OAuth 2.0 one on loopback, and this
module starts it, tells the stack's config about it, and stops it."""

import json
import os
import shutil
import subprocess
import sys

OAUTH_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "stack",
                         "oauth")


def install_packages():
    """`npm ci` in tests/stack/oauth unless node_modules already matches package-lock.json."""
    lock = os.path.join(OAUTH_DIR, "package-lock.json")
    installed = os.path.join(OAUTH_DIR, "node_modules", ".package-lock.json")
    if os.path.exists(installed) and os.path.getmtime(installed) >= os.path.getmtime(lock):
        return
    if shutil.which("node") is None or shutil.which("npm") is None:
        sys.exit("integration tests need node and npm (for tests/stack/oauth): make deps")
    version = subprocess.run(["node", "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 18:  # package.json's pins support 18 and later
        sys.exit(f"integration tests need Node 18 or later, found {version}")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=OAUTH_DIR,
                   check=True, stdout=subprocess.DEVNULL)


class Providers:
    """The running mock providers: .oidc and .plain are their base URLs."""

    def __init__(self):
        self.process = None
        self.oidc = None
        self.plain = None

    def start(self):
        install_packages()
        # stdin is a pipe: when this process dies, the mock sees it close and exits too.
        self.process = subprocess.Popen(["node", os.path.join(OAUTH_DIR, "mock.js")],
                                        cwd=OAUTH_DIR, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("tests/stack/oauth/mock.js did not start")
        ready = json.loads(line)
        self.oidc, self.plain = ready["oidc"], ready["plain"]
        return self

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()
        self.process = None

    def config(self, closed_port, untrusted_https_port):
        """The `oauth` config section: the two mocks, plus providers that fail in known ways."""
        plain = self.plain
        return {
            "defaultProvider": "oidc",
            "providers": [
                {"id": "oidc", "clientId": "webpods-test", "clientSecret": "oidc-test-secret",
                 "issuer": self.oidc, "scope": "openid email profile", "userIdField": "sub"},
                {"id": "plain", "clientId": "webpods-test", "clientSecret": "plain-test-secret",
                 "authUrl": f"{plain}/authorize", "tokenUrl": f"{plain}/token",
                 "userinfoUrl": f"{plain}/userinfo", "emailUrl": f"{plain}/user/emails",
                 "scope": "read:user user:email"},
                # Nothing listens on closed_port: discovery fails at once.
                {"id": "down", "clientId": "webpods-test",
                 "issuer": f"http://127.0.0.1:{closed_port}"},
                # Authorization works, the token endpoint is down.
                {"id": "down-token", "clientId": "webpods-test",
                 "authUrl": f"{plain}/authorize", "tokenUrl": f"http://127.0.0.1:{closed_port}/t",
                 "userinfoUrl": f"{plain}/userinfo"},
                # Accepts the connection and never answers.
                {"id": "hang", "clientId": "webpods-test", "issuer": f"{plain}/_test/hang"},
                # TLS with a self-signed certificate (the stack's own nginx): must be refused.
                {"id": "untrusted", "clientId": "webpods-test",
                 "issuer": f"https://127.0.0.1:{untrusted_https_port}"},
            ],
        }
