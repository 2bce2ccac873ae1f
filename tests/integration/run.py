#!/usr/bin/env python3
"""Integration tests: start a throwaway stack (PostgreSQL, workers, nginx on free ports) under
var/test, run every tests/integration/test_*.py against it through HTTP, stop it."""

import os
import shutil
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import oauth_providers  # noqa: E402


def main():
    # A run killed with SIGTERM (make interrupted, a timeout) still stops what it started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    # WEBPODS_TEST_VAR and WEBPODS_BUILD_DIR let several checkouts or builds test side by side.
    var = os.environ.get("WEBPODS_TEST_VAR",
                         os.path.join(harness.stack_module.REPO, "var", "test"))
    shutil.rmtree(var, ignore_errors=True)
    # The login tests talk to local OAuth providers (tests/stack/oauth), up before the stack so
    # its config can name them.
    providers = oauth_providers.Providers().start()
    https_port = harness.stack_module.free_port()
    # WEBPODS_TEST_REPLICAS=N: the suite runs against a stack with N read replicas (SPEC §14),
    # and must pass unchanged: nothing a replica serves may be stale.
    replicas = int(os.environ.get("WEBPODS_TEST_REPLICAS", "0"))
    stack = harness.stack_module.Stack(
        var, build_dir=os.environ.get("WEBPODS_BUILD_DIR"),
        http_port=harness.stack_module.free_port(),
        https_port=https_port,
        replicas=replicas,
        # Every test calls from 127.0.0.1, so the login budget per address (SPEC §10) is
        # raised here; test_bounds.py tests it on a stack of its own.
        config_overrides={"workers": 2, "threadsPerWorker": 8,
                          "rateLimits": {"logins": 1000000},
                          "oauth": providers.config(harness.stack_module.free_port(),
                                                    https_port)})
    if stack.pg_outside_var():  # clusters of an earlier run, outside var
        for root in stack.cluster_roots():
            shutil.rmtree(root, ignore_errors=True)
    harness.OAUTH = providers
    result = None
    try:
        started = time.time()
        stack.start()
        print(f"stack up in {time.time() - started:.1f}s (http {stack.http_port}, "
              f"https {stack.https_port}, {replicas} replica(s))", flush=True)
        harness.STACK = stack
        # Arguments: file name patterns (test_workers.py, 'test_s*.py'); none means all.
        suite = unittest.TestSuite(
            unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=HERE)
            for pattern in sys.argv[1:] or ["test_*.py"])
        result = unittest.TextTestRunner(verbosity=2).run(suite)
    finally:
        # Side stacks too: a test module whose setUpModule failed never ran its tearDownModule.
        for each in harness.OTHER_STACKS:
            harness.stop_side_stack(each)
        stack.stop()
        providers.stop()
        if stack.pg_outside_var():
            for root in stack.cluster_roots():
                shutil.rmtree(root, ignore_errors=True)
    # Under a sanitizer build (WEBPODS_BUILD_DIR=build/asan or build/tsan) any report fails the
    # run, even when every test passed: a worker that reports and goes on (or is replaced) may
    # still have answered correctly.
    reports = []
    for each in [stack] + harness.OTHER_STACKS:
        for report in each.sanitizer_reports():
            print(f"\nsanitizer report (see {each.worker_log}):\n{report}", file=sys.stderr)
            reports.append(report)
    if reports:
        print(f"FAILED: {len(reports)} sanitizer report(s)", file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() and not reports else 1)


if __name__ == "__main__":
    main()
