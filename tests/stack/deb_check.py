#!/usr/bin/env python3
"""The Debian package (`make deb-check`, part of `make test`; root, Debian 12):
  1. build/deb holds exactly webpods_<version>_<arch>.deb, version as CMakeLists.txt and
     debian/changelog say;
  2. lintian --pedantic finds no error and no warning;
  3. apt-get installs it: binaries, units, conffiles, nginx snippets, migrations, man pages and
     the secrets the postinst makes are where they belong;
  4. the installed webpodsctl prints its version and migrates a fresh test database from
     /usr/share/webpods/sql (run from /, so no checkout's sql/ can stand in), the installed
     webpods-fcgi answers /health from it, and nginx accepts the example server block with the
     installed snippets;
  5. apt-get remove --purge leaves nothing behind.
Usage: tests/stack/deb_check.py DEB_DIR
"""

import glob
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack as stack_module  # noqa: E402

REPO = stack_module.REPO
PACKAGE = "webpods"
INSTALLED_FILES = [
    "/usr/bin/webpodsctl", "/usr/sbin/webpods-fcgi",
    "/lib/systemd/system/webpods.service", "/lib/systemd/system/webpods.socket",
    "/etc/webpods/config.json", "/etc/nginx/snippets/webpods-fastcgi.conf",
    "/etc/nginx/snippets/webpods-errors.conf",
    "/usr/share/doc/webpods/examples/nginx-webpods.conf",
    "/usr/share/doc/webpods/operations.md", "/usr/share/doc/webpods/copyright",
]
CONFFILES = ["/etc/webpods/config.json", "/etc/nginx/snippets/webpods-fastcgi.conf",
             "/etc/nginx/snippets/webpods-errors.conf"]
MAN_PAGES = ["webpodsctl.1", "webpods.json.5", "webpods-fcgi.8"]


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


STARTED = time.time()


def passed(message):
    print(f"PASS [{time.time() - STARTED:5.1f}s] {message}", flush=True)


def run(command, **kwargs):
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("check", False)
    return subprocess.run(command, **kwargs)


def is_installed():
    """Installed, or removed with its conffiles still there."""
    status = run(["dpkg-query", "-W", "-f=${Status}", PACKAGE])
    return status.returncode == 0 and not status.stdout.endswith("not-installed")


def project_version():
    with open(os.path.join(REPO, "CMakeLists.txt")) as source:
        return re.search(r"project\(webpods VERSION ([0-9.]+)", source.read()).group(1)


def fastcgi_get(path, uri):
    """One FastCGI GET (role responder) on a unix socket; the STDOUT stream as text."""
    params = {"SCRIPT_FILENAME": "/", "REQUEST_METHOD": "GET", "REQUEST_URI": uri,
              "QUERY_STRING": "", "HTTP_HOST": stack_module.DOMAIN,
              "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": "0"}

    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)

    def record(kind, content):
        padding = (8 - len(content) % 8) % 8
        return (struct.pack(">BBHHBx", 1, kind, 1, len(content), padding) + content
                + b"\0" * padding)

    body = b"".join(length(len(k)) + length(len(v)) + k.encode() + v.encode()
                    for k, v in params.items())
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(10)
        connection.connect(path)
        connection.sendall(record(1, struct.pack(">HB5x", 1, 0)) + record(4, body)
                           + record(4, b"") + record(5, b""))
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    out, offset = b"", 0
    while offset + 8 <= len(data):
        _, kind, _, size, padding = struct.unpack(">BBHHBx", data[offset:offset + 8])
        if kind == 6:
            out += data[offset + 8:offset + 8 + size]
        offset += 8 + size + padding
    return out.decode("utf-8", "replace")


def check_package_file(deb_dir):
    version = project_version()
    with open(os.path.join(REPO, "debian", "changelog")) as changelog:
        first = changelog.readline()
    if f"({version})" not in first:
        fail(f"debian/changelog's first entry is not version {version}: {first.strip()}")
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    debs = sorted(glob.glob(os.path.join(deb_dir, "*.deb")))
    expected = os.path.join(deb_dir, f"webpods_{version}_{arch}.deb")
    if debs != [expected]:
        fail(f"expected exactly {expected}, found {debs}")
    fields = run(["dpkg-deb", "-f", expected, "Depends"]).stdout
    for library in ["libpq5", "libfcgi0ldbl", "libsoci-core", "libpocofoundation", "libssl3"]:
        if library not in fields:
            fail(f"Depends (dh_shlibdeps) lacks {library}: {fields}")
    passed(f"{os.path.basename(expected)}; Depends: {fields.strip()}")
    return expected, version


def check_lintian(deb):
    result = run(["lintian", "--pedantic", "--fail-on", "error,warning", deb])
    output = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                       if "running with root privileges" not in line)
    if result.returncode != 0:
        fail(f"lintian:\n{output}")
    passed("lintian --pedantic: no error, no warning" + (f"\n{output}" if output else ""))


def check_installed_files(version):
    for path in INSTALLED_FILES:
        if not os.path.isfile(path):
            fail(f"{path} not installed")
    listed = run(["dpkg-query", "-W", "-f=${Conffiles}", PACKAGE]).stdout
    for conffile in CONFFILES:
        if conffile not in listed:
            fail(f"{conffile} is not a conffile: {listed}")
    shipped = sorted(os.path.basename(p) for p in glob.glob(f"{REPO}/sql/migrations/*.sql"))
    installed = sorted(os.path.basename(p) for p in glob.glob("/usr/share/webpods/sql/*.sql"))
    if shipped != installed:
        fail(f"/usr/share/webpods/sql holds {installed}, sql/migrations {shipped}")
    for page in MAN_PAGES:
        name, section = page.rsplit(".", 1)
        found = run(["man", "-w", section, name]).stdout.strip()
        if not found.startswith(f"/usr/share/man/man{section}/{page}"):
            fail(f"man -w {section} {name}: {found!r}")
    with open("/lib/systemd/system/webpods.service") as unit:
        if "ExecStart=/usr/sbin/webpods-fcgi " not in unit.read():
            fail("webpods.service does not start /usr/sbin/webpods-fcgi")
    env = os.stat("/etc/webpods/env")
    if env.st_mode & 0o077 or env.st_uid != 0:
        fail(f"/etc/webpods/env is mode {oct(env.st_mode)} uid {env.st_uid}, want 0600 root")
    with open("/etc/webpods/env") as source:
        secrets = dict(line.strip().split("=", 1) for line in source
                       if line.strip() and not line.startswith("#"))
    if set(secrets) != {"WEBPODS_JWT_SECRET", "WEBPODS_SESSION_SECRET"} or not all(
            re.fullmatch(r"[0-9a-f]{64}", value) for value in secrets.values()):
        fail(f"/etc/webpods/env does not hold two 32-byte secrets: {sorted(secrets)}")
    # The packaged config is usable with the packaged secrets: only the database is missing.
    result = run(["/usr/bin/webpodsctl", "--config", "/etc/webpods/config.json", "stats"],
                 env=dict(os.environ, **secrets), cwd="/")
    if result.returncode != 3:
        fail(f"the packaged config with the packaged secrets: exit {result.returncode}, "
             f"want 3 (no database here): {result.stderr}")
    passed("installed: binaries, units, conffiles, snippets, migrations, man pages, secrets")
    result = run(["/usr/bin/webpodsctl", "--version"], cwd="/")
    if (result.returncode, result.stdout) != (0, f"webpodsctl {version}\n"):
        fail(f"webpodsctl --version: exit {result.returncode}: {result.stdout!r}")
    passed(f"/usr/bin/webpodsctl --version: {result.stdout.strip()}")


def check_against_database(var):
    stack = stack_module.Stack(var, http_port=stack_module.free_port(),
                               https_port=stack_module.free_port())
    if stack.pg_outside_var():
        shutil.rmtree(stack.pg_root, ignore_errors=True)
    try:
        os.makedirs(var, exist_ok=True)
        stack.write_config()
        # The checkpoint signing key (SPEC §12), made by the installed webpodsctl.
        keygen = run(["/usr/bin/webpodsctl", "keygen", stack.checkpoint_key_path,
                      "--name", stack.config["server"]["domain"]], cwd="/")
        if keygen.returncode != 0:
            fail(f"installed webpodsctl keygen: exit {keygen.returncode}: {keygen.stderr}")
        stack.init_cluster()
        stack.start_postgres()
        stack.ensure_database()
        ctl = ["/usr/bin/webpodsctl", "--config", stack.config_path]
        first = run(ctl + ["migrate"], cwd="/")
        applied = [f"applied {os.path.basename(p)}"
                   for p in sorted(glob.glob("/usr/share/webpods/sql/*.sql"))]
        if first.returncode != 0 or first.stdout.splitlines() != applied + ["schema migrated"]:
            fail(f"webpodsctl migrate: exit {first.returncode}\n{first.stdout}{first.stderr}")
        again = run(ctl + ["migrate"], cwd="/")
        if (again.returncode, again.stdout) != (0, "schema up to date\n"):
            fail(f"second webpodsctl migrate: {again.stdout}{again.stderr}")
        stats = run(ctl + ["stats", "--json"], cwd="/")
        if stats.returncode != 0 or json.loads(stats.stdout)["pods"] != 0:
            fail(f"webpodsctl stats: {stats.stdout}{stats.stderr}")
        passed(f"installed webpodsctl migrate: {len(applied)} migrations from "
               "/usr/share/webpods/sql, then up to date")

        socket_path = os.path.join(var, "fcgi.sock")
        workers = subprocess.Popen(["/usr/sbin/webpods-fcgi", "--config", stack.config_path,
                                    "--socket", socket_path], cwd="/", start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 15
            answer = ""
            while time.time() < deadline and workers.poll() is None:
                try:
                    answer = fastcgi_get(socket_path, "/health")
                    break
                except OSError:
                    time.sleep(0.1)
            if not answer.startswith("Status: 200") or '"healthy"' not in answer:
                fail(f"installed webpods-fcgi /health: {answer!r}")
        finally:
            if workers.poll() is None:
                os.killpg(workers.pid, signal.SIGTERM)
            if workers.wait(timeout=30) != 0:
                fail(f"webpods-fcgi exit {workers.returncode}: {workers.stderr.read()}")
        passed("installed webpods-fcgi answers /health 200 healthy, drains on SIGTERM")
    finally:
        stack.stop()
        if stack.pg_outside_var():
            shutil.rmtree(stack.pg_root, ignore_errors=True)


def check_nginx_example():
    """The example server block, its certificate paths pointed at a throwaway one, with the
    installed snippets: nginx -t."""
    with tempfile.TemporaryDirectory(prefix="webpods-deb-nginx-") as directory:
        cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=webpods.example.org", "-keyout", key, "-out", cert], check=True)
        with open("/usr/share/doc/webpods/examples/nginx-webpods.conf") as source:
            block = source.read()
        block = block.replace("/etc/ssl/webpods/fullchain.pem", cert)
        block = block.replace("/etc/ssl/webpods/privkey.pem", key)
        block = block.replace("/var/log/nginx/", directory + "/")
        if "include /etc/nginx/snippets/webpods-fastcgi.conf;" not in block:
            fail("the example server block does not include the installed fastcgi snippet")
        server = os.path.join(directory, "webpods.conf")
        with open(server, "w") as target:
            target.write(block)
        main = os.path.join(directory, "nginx.conf")
        with open(main, "w") as target:
            target.write(f"pid {directory}/nginx.pid;\nerror_log {directory}/error.log;\n"
                         f"events {{}}\nhttp {{\n  include /etc/nginx/mime.types;\n"
                         f"  include {server};\n}}\n")
        result = run(["nginx", "-t", "-c", main, "-e", os.path.join(directory, "error.log")])
        if result.returncode != 0:
            fail(f"nginx -t on the example block: {result.stderr}")
    passed("nginx -t accepts the example server block with /etc/nginx/snippets/webpods-*")


def check_purge():
    result = run(["apt-get", "remove", "--purge", "-y", "-q", PACKAGE],
                 env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if result.returncode != 0:
        fail(f"apt-get remove --purge: {result.stdout}{result.stderr}")
    left = [path for path in INSTALLED_FILES + ["/etc/webpods/env", "/etc/webpods",
                                                 "/usr/share/webpods"] if os.path.exists(path)]
    if is_installed() or left:
        fail(f"after purge: still installed or left behind: {left}")
    passed("apt-get remove --purge: nothing left")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if os.geteuid() != 0:
        sys.exit("deb-check: run as root (it installs and purges the package)")
    if is_installed():
        sys.exit("deb-check: webpods is installed on this machine; it leaves it alone")
    deb, version = check_package_file(os.path.abspath(sys.argv[1]))
    check_lintian(deb)
    var = os.environ.get("WEBPODS_DEB_VAR", os.path.join(REPO, "var", "deb-check"))
    shutil.rmtree(var, ignore_errors=True)
    started = time.time()
    install = run(["apt-get", "install", "-y", "-q", "--no-install-recommends", deb],
                  env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    try:
        if install.returncode != 0:
            fail(f"apt-get install {deb}: {install.stdout}{install.stderr}")
        passed(f"apt-get install ./{os.path.basename(deb)}")
        check_installed_files(version)
        check_against_database(var)
        check_nginx_example()
    finally:
        if is_installed() or os.path.exists("/etc/webpods/env"):
            check_purge()
        shutil.rmtree(var, ignore_errors=True)
    print(f"deb-check: all passed ({time.time() - started:.1f}s after lintian)")


if __name__ == "__main__":
    main()
