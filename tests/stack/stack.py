#!/usr/bin/env python3
"""The webpods stack on one machine: a private PostgreSQL cluster, the schema, the FastCGI
worker pool and nginx, all under one var/ directory. `make run` and the integration tests both
start it through this module, so what the tests prove is what `make run` runs.

Command line:
    stack.py run   [--var DIR] [--http-port N] [--https-port N] [--config FILE] [--replicas N]
    stack.py token --var DIR AUTH_ID [--pod P] [--email E] [--name N]
"""

import argparse
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_BIN = "/usr/lib/postgresql/15/bin"
DOMAIN = "webpods.localhost"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Lines that start a sanitizer's report (ASan, LSan, UBSan, TSan) in a log.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer")


def as_postgres(command, **kwargs):
    # cwd "/": the checkout may be a directory the postgres user cannot enter.
    kwargs.setdefault("cwd", "/")
    return subprocess.run(["runuser", "-u", "postgres", "--"] + command, check=True, **kwargs)


def postgres_can_reach(path):
    """Whether the postgres user can traverse every directory down to path (or to its nearest
    existing ancestor, when it does not exist yet): `test -x` as postgres, so ACLs count too."""
    while not os.path.exists(path):
        path = os.path.dirname(path)
    probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", path], cwd="/",
                           check=False)
    return probe.returncode == 0


def sanitizer_reports(text, context=40):
    """Each sanitizer report in text: its first line and up to `context` lines after it, up to
    the next report."""
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines) if any(mark in line for mark in SANITIZER_MARKS)]
    return ["\n".join(lines[start:min([start + context + 1] + [s for s in starts if s > start])])
            for start in starts]


class Stack:
    """Starts and stops everything; each piece is a child process of this one."""

    def __init__(self, var_dir, http_port=8080, https_port=8443, config_file=None,
                 build_dir=None, config_overrides=None, request_rate="2000r/s", replicas=0):
        self.var = os.path.abspath(var_dir)
        self.replicas = replicas  # hot standbys of the private cluster (SPEC §14)
        self.request_rate = request_rate  # nginx's first-line limit_req rate per address
        self.http_port = http_port
        self.https_port = https_port
        self.user_config_file = config_file
        self.build = os.path.abspath(build_dir or os.path.join(REPO, "build", "release"))
        self.config_overrides = config_overrides or {}
        # The cluster lives in var/pg, unless the postgres user cannot reach var (a checkout
        # under a home directory of mode 700, such as /root): then in a directory of its own
        # under /var/tmp, named after var so that every Stack of this var finds it.
        self.pg_root = os.path.join(self.var, "pg")
        if not postgres_can_reach(os.path.dirname(self.var)):
            digest = hashlib.sha256(self.var.encode()).hexdigest()[:16]
            self.pg_root = os.path.join("/var/tmp", f"webpods-pg-{digest}")
        self.pg_data = os.path.join(self.pg_root, "data")
        self.pg_socket_dir = os.path.join(self.pg_root, "run")
        self.fcgi_socket = os.path.join(self.var, "run", "webpods.sock")
        self.config_path = os.path.join(self.var, "config.json")
        self.worker_log = os.path.join(self.var, "webpods.log")
        self.checkpoint_key_path = os.path.join(self.var, "checkpoint.key")
        # nginx's upstream: this host's socket, then the addresses of add_host (one database,
        # several supervisors, as several hosts would run them).
        self.sockets = [self.fcgi_socket]
        self.worker_logs = [self.worker_log]
        self.processes = {}
        self.config = None
        self.ctl_output = []  # stderr of every webpodsctl run, scanned for sanitizer reports

    def pg_outside_var(self):
        return self.pg_root != os.path.join(self.var, "pg")

    def replica_root(self, k):
        """var/replica{k}, or beside the cluster when that lives outside var."""
        if self.pg_outside_var():
            return f"{self.pg_root}-replica{k}"
        return os.path.join(self.var, f"replica{k}")

    def replica_socket_dir(self, k):
        return os.path.join(self.replica_root(k), "run")

    def cluster_roots(self):
        """Every directory a cluster of this stack lives in: the primary's, each replica's."""
        return [self.pg_root] + [self.replica_root(k) for k in range(1, self.replicas + 1)]

    def serves_replicas(self):
        """Whether the config names the replicas of this stack (not those of a user's config)."""
        return self.replicas > 0 and self.config["database"].get("host") == self.pg_socket_dir

    # ---- PostgreSQL -------------------------------------------------------------------------
    def init_cluster(self):
        os.makedirs(self.pg_root, mode=0o755, exist_ok=True)
        os.chmod(self.pg_root, 0o755)
        os.chmod(self.var, 0o755)
        if self.pg_outside_var():
            print(f"stack: the postgres user cannot reach {self.var}; its cluster lives in "
                  f"{self.pg_root}", file=sys.stderr, flush=True)
        if not postgres_can_reach(self.pg_root):
            sys.exit(f"stack: the postgres user cannot enter {self.pg_root}: give it search "
                     f"permission on each directory above it (chmod o+x), or set "
                     f"WEBPODS_TEST_VAR to a directory it can reach")
        if os.path.exists(os.path.join(self.pg_data, "PG_VERSION")):
            return
        os.makedirs(self.pg_data, exist_ok=True)
        os.makedirs(self.pg_socket_dir, exist_ok=True)
        shutil.chown(self.pg_data, "postgres", "postgres")
        shutil.chown(self.pg_socket_dir, "postgres", "postgres")
        os.chmod(self.pg_data, 0o700)
        as_postgres([f"{PG_BIN}/initdb", "-D", self.pg_data, "-U", "postgres",
                     "--auth=trust", "--encoding=UTF8", "--locale=C"],
                    stdout=subprocess.DEVNULL)

    def start_postgres(self):
        # A cluster left running by a killed run would hold the data directory: stop it.
        status = subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D",
                                 self.pg_data, "status"], capture_output=True, check=False)
        if status.returncode == 0:
            as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.pg_data, "stop", "-m", "fast"],
                        stdout=subprocess.DEVNULL)
        os.makedirs(self.pg_socket_dir, exist_ok=True)
        shutil.chown(self.pg_socket_dir, "postgres", "postgres")
        self._start_server("postgres", self.pg_data, self.pg_socket_dir,
                           os.path.join(self.pg_root, "postgres.log"))

    # A standby needs max_connections (and the other limits) at least as high as its primary's.
    SERVER_SETTINGS = ["listen_addresses=", "max_connections=300", "shared_buffers=256MB",
                       "synchronous_commit=on", "fsync=on", "hot_standby_feedback=on"]

    def _start_server(self, name, data, socket_dir, log_path):
        log = open(log_path, "ab")
        settings = [arg for setting in self.SERVER_SETTINGS for arg in ("-c", setting)]
        self.processes[name] = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", f"{PG_BIN}/postgres", "-D", data,
             "-k", socket_dir] + settings,
            stdout=log, stderr=log, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            ready = subprocess.run([f"{PG_BIN}/pg_isready", "-q", "-U", "postgres", "-h",
                                    socket_dir],
                                   check=False)
            if ready.returncode == 0:
                return
            if self.processes[name].poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL ({name}) did not start; see {log_path}")

    def start_replica(self, k):
        """Replica k: a hot standby streaming from the primary, made anew from a base backup
        (`pg_basebackup -R`) each start, so it never needs WAL the primary has recycled."""
        root, name = self.replica_root(k), f"replica{k}"
        data, socket_dir = os.path.join(root, "data"), self.replica_socket_dir(k)
        if os.path.exists(os.path.join(data, "PG_VERSION")):
            status = subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D",
                                     data, "status"], capture_output=True, check=False)
            if status.returncode == 0:
                as_postgres([f"{PG_BIN}/pg_ctl", "-D", data, "stop", "-m", "immediate"],
                            stdout=subprocess.DEVNULL)
        shutil.rmtree(data, ignore_errors=True)
        for directory in (root, data, socket_dir):
            os.makedirs(directory, exist_ok=True)
            shutil.chown(directory, "postgres", "postgres")
        os.chmod(data, 0o700)
        as_postgres([f"{PG_BIN}/pg_basebackup", "-h", self.pg_socket_dir, "-U", "postgres",
                     "-D", data, "-R", "-X", "stream", "-c", "fast"],
                    stdout=subprocess.DEVNULL)
        self._start_server(name, data, socket_dir, os.path.join(root, "postgres.log"))

    def replica_psql(self, k, sql):
        return subprocess.run([f"{PG_BIN}/psql", "-h", self.replica_socket_dir(k), "-U",
                               "postgres", "-d", "webpods", "-v", "ON_ERROR_STOP=1", "-qAt",
                               "-c", sql], check=True, capture_output=True, text=True).stdout

    def replica_pids(self, k):
        """The postmaster of replica k and every process it forked (each of which leads a
        process group of its own, so no one signal to a group reaches them all)."""
        with open(os.path.join(self.replica_root(k), "data", "postmaster.pid")) as pid_file:
            postmaster = int(pid_file.readline())
        children = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            if int(fields[1]) == postmaster:
                children.append(int(entry))
        return [postmaster] + children

    def signal_replica(self, k, sig):
        """Sends sig (SIGSTOP, SIGCONT) to every process of replica k."""
        for pid in self.replica_pids(k):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def stop_postgres(self):
        self._stop("postgres", signal.SIGINT)  # fast shutdown

    def psql(self, sql, database="postgres"):
        return subprocess.run([f"{PG_BIN}/psql", "-h", self.pg_socket_dir, "-U", "postgres",
                               "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
                              check=True, capture_output=True, text=True).stdout

    def ensure_database(self):
        if not self.psql("SELECT 1 FROM pg_roles WHERE rolname = 'webpods'").strip():
            self.psql("CREATE ROLE webpods LOGIN")
        if not self.psql("SELECT 1 FROM pg_database WHERE datname = 'webpods'").strip():
            self.psql("CREATE DATABASE webpods OWNER webpods")

    # ---- configuration ----------------------------------------------------------------------
    def write_config(self):
        """var/config.json: the user's config (or a development one) plus, when it has no
        database section, the private cluster. Secrets are made once and kept."""
        if self.user_config_file:
            with open(self.user_config_file) as source:
                config = json.load(source)
        elif os.path.exists(self.config_path):
            with open(self.config_path) as source:
                config = json.load(source)
        else:
            config = {
                "server": {"domain": DOMAIN},
                "auth": {"jwtSecret": secrets.token_hex(32),
                         "sessionSecret": secrets.token_hex(32)},
            }
        config.setdefault("server", {})
        config["server"].setdefault("domain", DOMAIN)
        if not self.user_config_file:
            config["server"]["publicUrl"] = f"https://{config['server']['domain']}:{self.https_port}"
        if "database" not in config or config["database"].get("host") == self.pg_socket_dir:
            config["database"] = {"host": self.pg_socket_dir, "port": 5432,
                                  "name": "webpods", "user": "webpods"}
            if self.replicas:
                config["database"]["replicas"] = [
                    {"host": self.replica_socket_dir(k), "port": 5432}
                    for k in range(1, self.replicas + 1)]
        # Checkpoints are signed (SPEC §12): a config naming no key gets the one under var/.
        if not config.get("checkpoint", {}).get("keyFile"):
            config.setdefault("checkpoint", {})["keyFile"] = self.checkpoint_key_path
        for section, values in self.config_overrides.items():
            if isinstance(values, dict):
                config.setdefault(section, {}).update(values)
            else:
                config[section] = values
        with open(self.config_path, "w") as target:
            json.dump(config, target, indent=2)
        os.chmod(self.config_path, 0o600)
        self.config = config

    def ensure_checkpoint_key(self):
        """The checkpoint signing key: made once, with `webpodsctl keygen`, when the configured
        file does not exist yet."""
        checkpoint = self.config.get("checkpoint", {})
        path = checkpoint["keyFile"]
        if not path or os.path.exists(path):  # "": checkpoints unsigned, on purpose
            return
        name = checkpoint.get("keyName", self.config["server"]["domain"])
        subprocess.run([os.path.join(self.build, "webpodsctl"), "keygen", path, "--name", name],
                       check=True, capture_output=True, text=True)

    def max_payload_size(self):
        return int(self.config.get("server", {}).get("maxPayloadSize", 10485760))

    # ---- TLS and nginx ----------------------------------------------------------------------
    def ensure_certificate(self):
        tls = os.path.join(self.var, "tls")
        os.makedirs(tls, exist_ok=True)
        cert, key = os.path.join(tls, "webpods.crt"), os.path.join(tls, "webpods.key")
        if os.path.exists(cert) and os.path.exists(key):
            return
        domain = self.config["server"]["domain"]
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "825", "-subj", f"/CN={domain}",
                        "-addext", f"subjectAltName=DNS:{domain},DNS:*.{domain}"],
                       check=True, capture_output=True)

    def write_nginx_config(self):
        for sub in ("body", "fastcgi", "proxy", "uwsgi", "scgi"):
            os.makedirs(os.path.join(self.var, "nginx", sub), exist_ok=True)
        with open(os.path.join(REPO, "nginx", "dev.conf.template")) as source:
            text = source.read()
        upstream = "\n        ".join(
            f"server {'unix:' if path.startswith('/') else ''}{path};" for path in self.sockets)
        replacements = {"@VAR@": self.var, "@REPO@": REPO, "@UPSTREAM_SERVERS@": upstream,
                        "@HTTP_PORT@": str(self.http_port),
                        "@HTTPS_PORT@": str(self.https_port),
                        "@MAX_BODY@": str(self.max_payload_size()),
                        "@REQUEST_RATE@": self.request_rate}
        for name, value in replacements.items():
            text = text.replace(name, value)
        path = os.path.join(self.var, "nginx", "nginx.conf")
        with open(path, "w") as target:
            target.write(text)
        return path

    def start_nginx(self):
        config = self.write_nginx_config()
        subprocess.run(["nginx", "-t", "-q", "-c", config, "-e",
                        os.path.join(self.var, "nginx", "error.log")], check=True)
        self.processes["nginx"] = subprocess.Popen(
            ["nginx", "-c", config, "-e", os.path.join(self.var, "nginx", "error.log")],
            start_new_session=True)
        self._wait_for_port(self.http_port, "nginx")

    # ---- workers ----------------------------------------------------------------------------
    def ctl(self, *args, check=True):
        result = subprocess.run([os.path.join(self.build, "webpodsctl"), "--config",
                                 self.config_path] + list(args),
                                check=False, capture_output=True, text=True, cwd=REPO)
        self.ctl_output.append(result.stderr)
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, result.args, result.stdout,
                                                result.stderr)
        return result

    def migrate(self):
        return self.ctl("migrate", "--dir", os.path.join(REPO, "sql", "migrations")).stdout

    def start_workers(self, name="workers", config_path=None, socket_path=None, log_path=None):
        config_path = config_path or self.config_path
        socket_path = socket_path or self.fcgi_socket
        log_path = log_path or self.worker_log
        if socket_path.startswith("/"):
            os.makedirs(os.path.dirname(socket_path), exist_ok=True)
        log = open(log_path, "ab")
        self.processes[name] = subprocess.Popen(
            [os.path.join(self.build, "webpods-fcgi"), "--config", config_path,
             "--socket", socket_path],
            stdout=log, stderr=log, start_new_session=True)
        deadline = time.time() + 15
        while not self._listening(socket_path):
            if time.time() > deadline or self.processes[name].poll() is not None:
                raise RuntimeError(f"webpods-fcgi did not start; see {log_path}")
            time.sleep(0.05)

    @staticmethod
    def _listening(address):
        """Whether a unix socket path exists, or a host:port accepts connections."""
        if address.startswith("/"):
            return os.path.exists(address)
        host, port = address.rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return True
        except OSError:
            return False

    def add_host(self, name, tcp=False):
        """Another host against the same PostgreSQL: a supervisor of its own, with a copy of
        this config (same database and secrets, as every host of one deployment has), added to
        nginx's upstream (nginx is restarted when running). It listens on a socket of its own
        under var/NAME, or with tcp on 127.0.0.1 and a free port, as a FastCGI host on another
        machine would. Its supervisor is processes["workers-NAME"]. Returns its address as
        nginx's $upstream_addr names it (unix:PATH or 127.0.0.1:PORT)."""
        directory = os.path.join(self.var, name)
        config_path = os.path.join(directory, "config.json")
        address = f"127.0.0.1:{free_port()}" if tcp else \
            os.path.join(directory, "run", "webpods.sock")
        log_path = os.path.join(directory, "webpods.log")
        os.makedirs(os.path.join(directory, "run"), exist_ok=True)
        shutil.copyfile(self.config_path, config_path)
        os.chmod(config_path, 0o600)
        self.start_workers(f"workers-{name}", config_path, address, log_path)
        self.sockets.append(address)
        self.worker_logs.append(log_path)
        if "nginx" in self.processes:
            self._stop("nginx", signal.SIGTERM)
            self.start_nginx()
        return address if tcp else f"unix:{address}"

    def token(self, auth_id, pod=None, email="", name=""):
        args = ["token", auth_id, "--email", email, "--name", name]
        if pod:
            args += ["--pod", pod]
        return self.ctl(*args).stdout.strip().splitlines()[-1]

    # ---- whole stack ------------------------------------------------------------------------
    def start(self):
        os.makedirs(self.var, exist_ok=True)
        self.write_config()
        self.init_cluster()
        self.start_postgres()
        self.ensure_database()
        self.migrate()
        if self.serves_replicas():
            for k in range(1, self.replicas + 1):
                self.start_replica(k)
        self.ensure_certificate()
        self.ensure_checkpoint_key()
        self.start_workers()
        self.start_nginx()

    def stop(self):
        supervisors = [name for name in self.processes if name.startswith("workers")]
        replicas = [f"replica{k}" for k in range(1, self.replicas + 1)]
        for name in ["nginx"] + supervisors + replicas + ["postgres"]:
            if name.startswith("replica") and name in self.processes:
                try:  # a test may have stopped it
                    self.signal_replica(int(name[len("replica"):]), signal.SIGCONT)
                except OSError:
                    pass
            self._stop(name, signal.SIGINT if name == "postgres" or name.startswith("replica")
                       else signal.SIGTERM)

    def sanitizer_reports(self):
        """The sanitizer reports in the workers' log and in webpodsctl's stderr so far (a
        sanitizer build only has any): read them after stop(), when every worker has exited."""
        text = "\n".join(self.ctl_output)
        for path in self.worker_logs:
            if os.path.exists(path):
                with open(path, errors="replace") as log:
                    text += "\n" + log.read()
        return sanitizer_reports(text)

    def _stop(self, name, sig):
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        # Each piece leads its own process group (runuser and postgres, nginx and its workers).
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def _wait_for_port(self, port, what):
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                if self.processes[what].poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"{what} is not listening on {port}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "token"])
    parser.add_argument("auth_id", nargs="?")
    parser.add_argument("--var", default=os.path.join(REPO, "var"))
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--https-port", type=int, default=8443)
    parser.add_argument("--config")
    parser.add_argument("--replicas", type=int, default=0)
    parser.add_argument("--pod")
    parser.add_argument("--email", default="")
    parser.add_argument("--name", default="")
    args = parser.parse_args()

    if args.command == "token":
        if not args.auth_id:
            parser.error("token needs AUTH_ID")
        stack = Stack(args.var)
        if not os.path.exists(stack.config_path):
            sys.exit("no instance here: start one with `make run` first")
        ready = subprocess.run([f"{PG_BIN}/pg_isready", "-q", "-U", "postgres",
                                "-h", stack.pg_socket_dir])
        if ready.returncode != 0:
            sys.exit("the database of this checkout is not running: start `make run` first")
        result = stack.ctl("token", args.auth_id, "--email", args.email, "--name", args.name,
                           *(["--pod", args.pod] if args.pod else []), check=False)
        sys.stderr.write(result.stderr)
        print(result.stdout.strip())
        sys.exit(result.returncode)

    stack = Stack(args.var, args.http_port, args.https_port, args.config, replicas=args.replicas)
    stopping = []

    def request_stop(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        stack.start()
        domain = stack.config["server"]["domain"]
        print(f"webpods is up (Ctrl-C stops it):\n"
              f"  http://{domain}:{args.http_port}/health\n"
              f"  https://{domain}:{args.https_port}/health   (self-signed: var/tls/webpods.crt)\n"
              f"  pods:  http://{{pod}}.{domain}:{args.http_port}/{{stream}}\n"
              f"  token: make token AUTH_ID=auth:test:alice POD=alice\n"
              f"  checkpoint key: curl http://{domain}:{args.http_port}"
              f"/.well-known/webpods-checkpoint-key\n"
              f"  try:   curl -H 'Host: {domain}' http://127.0.0.1:{args.http_port}/health\n"
              f"  logs:  {stack.var}/webpods.log, {stack.var}/nginx/error.log, "
              f"{stack.pg_root}/postgres.log", flush=True)
        if stack.serves_replicas():
            print("  replicas: " + ", ".join(
                f"{stack.replica_root(k)} (log postgres.log)"
                for k in range(1, stack.replicas + 1)), flush=True)
        while not stopping:
            for name, process in stack.processes.items():
                if name.startswith("replica"):
                    continue  # a replica that exits does not stop the stack (SPEC §14)
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping", flush=True)
                    stopping.append(0)
                    break
            time.sleep(0.5)
    finally:
        stack.stop()
        print("webpods stopped", flush=True)


if __name__ == "__main__":
    main()
