#!/usr/bin/env bash
# Checks systemd/ and the supervisor's socket contract without a running systemd:
#   1. `systemd-analyze verify` accepts both units;
#   2. socket activation (systemd-socket-activate: LISTEN_FDS, fd 3) serves FastCGI while its
#      database is unreachable but sends no READY=1 until it is (a throwaway PostgreSQL started
#      late), then READY=1 from the main pid; survives SIGHUP (new workers, no failed request), and
#      SIGTERM drains it to exit 0 within 10 s; a bad config exits 2 (RestartPreventExitStatus)
#      and fails --check-config (ExecReload) with 2, a good one passes it;
#   3. fd-0 inheritance (spawn-fcgi -n) serves FastCGI and stops the same way.
# Usage: [BUILD_DIR=build/release] tests/stack/systemd_check.sh   (root or not; Debian 12)
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build/release}
PYTHON=${PYTHON:-python3}
binary=$(realpath "$BUILD_DIR/webpods-fcgi")
[[ -x "$binary" ]] || { echo "systemd-check: no $binary (build first)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/webpods-systemd.XXXXXX)
chmod 755 "$tmp"  # the postgres user enters it for the throwaway cluster
started=()
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_postgres() {  # PostgreSQL refuses to run as root
    if [[ $(id -u) == 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

cleanup() {
    local pid
    if [[ -f "$tmp/pg/data/postmaster.pid" ]]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$tmp/pg/data" stop -m immediate >/dev/null 2>&1 || true
    fi
    for pid in "${started[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${started[@]}"; do
        # A supervisor that ignores SIGTERM for 10 s is killed.
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    local log
    for log in "$tmp"/*.log; do
        [[ -s "$log" ]] || continue
        echo "--- ${log##*/}" >&2
        tail -n 30 "$log" >&2
    done
    exit 1
}

# Direct children of a process, from /proc (no procps needed).
children_of() {
    local parent=$1 stat_file stat
    for stat_file in /proc/[0-9]*/stat; do
        read -r stat 2>/dev/null <"$stat_file" || continue
        stat=${stat##*) }  # past "pid (comm) "; comm may hold spaces
        read -r _ ppid _ <<<"$stat"
        if [[ "$ppid" == "$parent" ]]; then
            stat_file=${stat_file#/proc/}
            echo "${stat_file%/stat}"
        fi
    done
}

# Waits up to 10 s for a process we started to exit; sets exit_status ("timeout" if it did not).
wait_exit() {
    local pid=$1
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    exit_status=timeout
    if ! kill -0 "$pid" 2>/dev/null; then
        exit_status=0
        wait "$pid" || exit_status=$?
    fi
}

forget() {  # the process is gone: cleanup must not signal a recycled pid
    local pid=$1 kept=() entry
    for entry in "${started[@]}"; do [[ "$entry" == "$pid" ]] || kept+=("$entry"); done
    started=("${kept[@]+"${kept[@]}"}")
}

# --- A FastCGI client and an sd_notify listener, python3 stdlib only -----------------------------
cat >"$tmp/fcgi_tool.py" <<'PYTHON'
import socket, struct, sys, time

def request(path, uri, timeout=5.0):
    """One FastCGI GET (role responder); returns the STDOUT stream as text."""
    params = {"SCRIPT_FILENAME": "/", "REQUEST_METHOD": "GET", "REQUEST_URI": uri,
              "QUERY_STRING": "", "HTTP_HOST": "webpods.localhost", "SERVER_PROTOCOL": "HTTP/1.1",
              "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": "0", "GATEWAY_INTERFACE": "CGI/1.1"}
    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    body = b"".join(length(len(k)) + length(len(v)) + k.encode() + v.encode()
                    for k, v in params.items())
    def record(kind, content):
        padding = (8 - len(content) % 8) % 8
        return struct.pack(">BBHHBx", 1, kind, 1, len(content), padding) + content + b"\0" * padding
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(record(1, struct.pack(">HB5x", 1, 0)) + record(4, body) + record(4, b"")
                  + record(5, b""))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    out, offset, ended = b"", 0, False
    while offset + 8 <= len(data):
        _, kind, _, size, padding = struct.unpack(">BBHHBx", data[offset:offset + 8])
        content = data[offset + 8:offset + 8 + size]
        offset += 8 + size + padding
        if kind == 6:
            out += content
        elif kind == 3:
            ended = True
    if not ended:
        raise RuntimeError("no FCGI_END_REQUEST")
    return out.decode("utf-8", "replace")

def main():
    command = sys.argv[1]
    if command == "get":  # get SOCKET URI: print the response
        sys.stdout.write(request(sys.argv[2], sys.argv[3]))
    elif command == "wait":  # wait SOCKET SECONDS: until a response with a Status line comes
        deadline = time.monotonic() + float(sys.argv[3])
        while True:
            try:
                if request(sys.argv[2], "/health", 2.0).startswith("Status:"):
                    return 0
            except OSError:
                pass
            if time.monotonic() > deadline:
                return 1
            time.sleep(0.1)
    elif command == "hammer":  # hammer SOCKET STARTFILE STOPFILE: requests until STOPFILE exists
        import os
        done = failed = 0
        while not os.path.exists(sys.argv[4]):
            try:
                answer = request(sys.argv[2], "/health")
                ok = answer.startswith("Status: 200") or answer.startswith("Status: 503")
            except (OSError, RuntimeError):
                ok = False
            done += 1
            failed += not ok
            if done == 1:
                open(sys.argv[3], "w").close()
        print(f"{done} {failed}")
        return 1 if failed or done == 0 else 0
    elif command == "notify":  # notify SOCKET LOG: log "pid message" per datagram (sd_notify)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        s.bind(sys.argv[2])
        with open(sys.argv[3], "a", buffering=1) as log:
            while True:
                message, ancillary, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
                pid = 0
                for level, kind, data in ancillary:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                        pid = struct.unpack("iII", data[:12])[0]
                for line in message.decode().splitlines():
                    log.write(f"{pid} {line}\n")
    return 0

sys.exit(main())
PYTHON
fcgi_tool=("$PYTHON" "$tmp/fcgi_tool.py")  # an array, not a function: `&` must give python's pid
fcgi() { "${fcgi_tool[@]}" "$@"; }

# --- 1. systemd-analyze verify ----------------------------------------------------------------------
# verify insists that ExecStart= exists, so a copy points at the built binary. It also reports on
# other units of the host and on the container; only lines about our units count.
verify_units() {  # verify_units DIR: prints the lines about our units
    systemd-analyze --man=no verify "$1/webpods.socket" "$1/webpods.service" 2>&1 |
        grep -E "$1/|webpods\.(socket|service)" || true
}
mkdir "$tmp/units" "$tmp/broken"
cp systemd/webpods.socket systemd/webpods.service "$tmp/units/"
sed -i "s|=/usr/sbin/webpods-fcgi |=$binary |" "$tmp/units/webpods.service"
grep -q "^ExecStart=$binary " "$tmp/units/webpods.service" || fail "ExecStart= not rewritten"
# The filter must see real errors: a deliberately broken copy has to be reported.
cp "$tmp/units/"* "$tmp/broken/"
printf 'KillMode=sometimes\n' >>"$tmp/broken/webpods.service"
[[ -n "$(verify_units "$tmp/broken")" ]] || fail "systemd-analyze verify missed a broken unit"
problems=$(verify_units "$tmp/units")
[[ -z "$problems" ]] || fail "systemd-analyze verify: $problems"
echo "PASS systemd-analyze verify webpods.socket webpods.service"

# --- Throwaway config: secrets by "$VAR" as EnvironmentFile= provides them; no database ----------
write_config() {  # write_config FILE AUTH_MEMBERS
    cat >"$1" <<JSON
{
  "server": {"domain": "webpods.localhost", "publicUrl": "http://webpods.localhost"},
  "database": {"host": "$tmp/pg", "port": 5432, "name": "postgres", "user": "postgres",
               "connectTimeout": 1},
  "auth": {$2},
  "workers": 2,
  "threadsPerWorker": 2
}
JSON
}
# shellcheck disable=SC2016 # "$VAR" stays literal: the config reads the environment
session_secret='"sessionSecret": "$WEBPODS_SESSION_SECRET"'
write_config "$tmp/config.json" "\"jwtSecret\": \"\$WEBPODS_JWT_SECRET\", $session_secret"
write_config "$tmp/bad-config.json" "$session_secret"  # no auth.jwtSecret
secrets=(-E WEBPODS_JWT_SECRET=systemd-check-jwt-secret-0123456789abcdef
         -E WEBPODS_SESSION_SECRET=systemd-check-session-secret-0123456789)

check_health() {  # check_health SOCKET WHAT [200]: unhealthy (no database) or, with 200, healthy
    local response status=${3:-503} body='"unhealthy"'
    [[ "$status" == 200 ]] && body='"healthy"'
    response=$(fcgi get "$1" /health) || fail "$2: FastCGI request failed"
    grep -q "^Status: $status" <<<"$response" || fail "$2: expected Status: $status, got: $response"
    grep -q "$body" <<<"$response" || fail "$2: expected a $body body, got: $response"
}

# --- 2. Socket activation ------------------------------------------------------------------------------
"${fcgi_tool[@]}" notify "$tmp/notify.sock" "$tmp/notify.txt" 2>"$tmp/notify.log" &
started+=($!)
for _ in $(seq 50); do [[ -S "$tmp/notify.sock" ]] && break; sleep 0.1; done
[[ -S "$tmp/notify.sock" ]] || fail "notify listener did not start"

# systemd-socket-activate passes only the -E variables (and PATH etc.), as a unit's environment.
systemd-socket-activate -l "$tmp/fcgi.sock" "${secrets[@]}" -E "NOTIFY_SOCKET=$tmp/notify.sock" \
    "$binary" --config "$tmp/config.json" 2>"$tmp/activate.log" &
supervisor=$!
started+=("$supervisor")
fcgi wait "$tmp/fcgi.sock" 10 || fail "socket activation: no FastCGI answer within 10 s"
check_health "$tmp/fcgi.sock" "socket activation"
# Serving, but its database cannot be reached: not ready (the workers try every second).
sleep 3
! grep -q "READY=1" "$tmp/notify.txt" ||
    fail "socket activation: READY=1 while no worker could reach its database"
echo "PASS no READY=1 while the database is unreachable (the workers answer 503 unhealthy)"
mkdir "$tmp/pg"
[[ $(id -u) == 0 ]] && chown postgres:postgres "$tmp/pg"
as_postgres "$PG_BIN/initdb" -D "$tmp/pg/data" -U postgres --auth=trust >"$tmp/initdb.log" 2>&1 ||
    fail "initdb failed"
as_postgres "$PG_BIN/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/postgres.log" -w \
    -o "-k $tmp/pg -c listen_addresses=" start >"$tmp/pg_ctl.log" 2>&1 || fail "PostgreSQL did not start"
for _ in $(seq 150); do grep -q "^$supervisor READY=1$" "$tmp/notify.txt" && break; sleep 0.1; done
grep -q "^$supervisor READY=1$" "$tmp/notify.txt" ||
    fail "socket activation: no READY=1 from the main pid $supervisor within 15 s of the database"
check_health "$tmp/fcgi.sock" "socket activation, database up" 200
! grep -qv "^$supervisor " "$tmp/notify.txt" ||
    fail "socket activation: notifications from another pid (NotifyAccess=main drops them)"
echo "PASS socket activation: LISTEN_FDS socket answers; READY=1 from the main pid once the database is up"

old_workers=$(children_of "$supervisor")
[[ $(wc -l <<<"$old_workers") == 2 ]] || fail "expected 2 workers, got: $old_workers"
"${fcgi_tool[@]}" hammer "$tmp/fcgi.sock" "$tmp/hammer.start" "$tmp/hammer.stop" \
    >"$tmp/hammer.txt" 2>"$tmp/hammer.log" &
hammer=$!
started+=("$hammer")
for _ in $(seq 100); do [[ -e "$tmp/hammer.start" ]] && break; sleep 0.1; done
[[ -e "$tmp/hammer.start" ]] || fail "SIGHUP: the request loop did not start"
sleep 0.2
kill -HUP "$supervisor"
reloaded=""
for _ in $(seq 100); do
    workers=$(children_of "$supervisor")
    if [[ $(wc -l <<<"$workers") == 2 ]] && ! grep -qxFf <(echo "$old_workers") <<<"$workers"; then
        reloaded=yes
        break
    fi
    sleep 0.1
done
sleep 0.5
touch "$tmp/hammer.stop"
wait_exit "$hammer"
hammer_rc=$exit_status
forget "$hammer"
[[ -n "$reloaded" ]] || fail "SIGHUP: workers not replaced: before $old_workers, now $workers"
[[ "$hammer_rc" == 0 ]] || fail "SIGHUP: requests failed during reload (done failed: $(cat "$tmp/hammer.txt"))"
grep -q "^$supervisor RELOADING=1$" "$tmp/notify.txt" || fail "SIGHUP: no RELOADING=1"
[[ $(grep -c "^$supervisor READY=1$" "$tmp/notify.txt") -ge 2 ]] || fail "SIGHUP: no READY=1 after reload"
check_health "$tmp/fcgi.sock" "after SIGHUP" 200
echo "PASS SIGHUP: new workers, old ones drained, $(cut -d' ' -f1 "$tmp/hammer.txt") requests across it, none failed"

workers=$(children_of "$supervisor")
kill -TERM "$supervisor"
wait_exit "$supervisor"
rc=$exit_status
[[ "$rc" == 0 ]] || fail "SIGTERM: supervisor exit status $rc (want 0 within 10 s)"
forget "$supervisor"
for worker in $workers; do
    ! kill -0 "$worker" 2>/dev/null || fail "SIGTERM: worker $worker outlived the supervisor"
done
grep -q "^$supervisor STOPPING=1$" "$tmp/notify.txt" || fail "SIGTERM: no STOPPING=1"
echo "PASS SIGTERM: drained and exited 0"

# systemd-socket-activate execs the service on the first connection, as systemd would.
systemd-socket-activate -l "$tmp/bad.sock" "${secrets[@]}" \
    "$binary" --config "$tmp/bad-config.json" 2>"$tmp/bad-config.log" &
supervisor=$!
started+=("$supervisor")
for _ in $(seq 50); do [[ -S "$tmp/bad.sock" ]] && break; sleep 0.1; done
fcgi get "$tmp/bad.sock" /health >/dev/null 2>&1 || true
wait_exit "$supervisor"
rc=$exit_status
forget "$supervisor"
[[ "$rc" == 2 ]] || fail "bad config: exit status $rc (want 2, RestartPreventExitStatus=2)"
grep -q jwtSecret "$tmp/bad-config.log" || fail "bad config: message does not name auth.jwtSecret"
: >"$tmp/bad-config.log"
export WEBPODS_JWT_SECRET=systemd-check-jwt-secret-0123456789abcdef
export WEBPODS_SESSION_SECRET=systemd-check-session-secret-0123456789
rc=0
"$binary" --check-config --config "$tmp/bad-config.json" 2>"$tmp/check-config.log" || rc=$?
[[ "$rc" == 2 ]] || fail "--check-config of a bad config: exit status $rc (want 2)"
grep -q jwtSecret "$tmp/check-config.log" || fail "--check-config: message does not name auth.jwtSecret"
"$binary" --check-config --config "$tmp/config.json" 2>"$tmp/check-config.log" ||
    fail "--check-config of a good config failed"
: >"$tmp/check-config.log"
unset WEBPODS_JWT_SECRET WEBPODS_SESSION_SECRET
echo "PASS bad config exits 2; --check-config (ExecReload) refuses it with 2, accepts a good one"

# --- 3. fd 0 as spawn-fcgi passes it -----------------------------------------------------------------
WEBPODS_JWT_SECRET=systemd-check-jwt-secret-0123456789abcdef \
WEBPODS_SESSION_SECRET=systemd-check-session-secret-0123456789 \
    spawn-fcgi -n -s "$tmp/fcgi0.sock" -- "$binary" --config "$tmp/config.json" \
    >"$tmp/spawn-fcgi.log" 2>&1 &
supervisor=$!
started+=("$supervisor")
fcgi wait "$tmp/fcgi0.sock" 10 || fail "spawn-fcgi: no FastCGI answer within 10 s"
check_health "$tmp/fcgi0.sock" "spawn-fcgi" 200
kill -TERM "$supervisor"
wait_exit "$supervisor"
rc=$exit_status
[[ "$rc" == 0 ]] || fail "spawn-fcgi: SIGTERM exit status $rc (want 0 within 10 s)"
forget "$supervisor"
echo "PASS spawn-fcgi: fd 0 socket answers Status: 200 healthy; SIGTERM exits 0"
