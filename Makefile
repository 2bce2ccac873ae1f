# webpods: `make run` (everything up, in the foreground) and `make test` (what CI runs).
# Both install missing Debian packages first, so a fresh Debian 12 machine needs nothing else.

HTTP_PORT ?= 8080
HTTPS_PORT ?= 8443
CONFIG ?=
REPLICAS ?= 0
JOBS ?= 2
PYTHON ?= python3
FUZZ_SECONDS ?= 600

BUILD := build

# Sanitizer runs: the first report stops a unit-test binary (ASan, UBSan) or makes its exit
# status non-zero (TSan: exitcode 66); in the integration suite, whose workers are replaced when
# they die, tests/integration/run.py fails the run on any report it finds in var/*/webpods.log.
ASAN_ENV := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
TSAN_ENV := TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1:history_size=4:suppressions=$(CURDIR)/tests/stack/tsan.supp
SOURCES := $(shell find app tests/unit tests/fuzz -name '*.cpp' -o -name '*.h')

.PHONY: all deps build run token test unit asan tsan integration integration-asan systemd-check man-check deb deb-check format \
        format-check lint bench bench-merkle clean fuzz fuzz-build fuzz-smoke drill drill-short

all: build

deps:
	@tests/stack/deps.sh

# Release build (hardened flags, warnings as errors).
build: deps
	@cmake -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD)/release -j$(JOBS)

run: build
	@$(PYTHON) tests/stack/stack.py run --http-port $(HTTP_PORT) --https-port $(HTTPS_PORT) \
		$(if $(CONFIG),--config $(CONFIG)) --replicas $(REPLICAS)

# make token AUTH_ID=auth:test:alice [POD=alice] [EMAIL=..] [NAME=..]
token:
	@$(PYTHON) tests/stack/stack.py token $(AUTH_ID) $(if $(POD),--pod $(POD)) \
		$(if $(EMAIL),--email "$(EMAIL)") $(if $(NAME),--name "$(NAME)")

unit: build
	@cd $(BUILD)/release && ctest --output-on-failure

asan: deps
	@cmake -S . -B $(BUILD)/asan -DWEBPODS_SANITIZE=address >/dev/null
	@cmake --build $(BUILD)/asan -j$(JOBS) --target unit_tests
	@cd $(BUILD)/asan && $(ASAN_ENV) ctest --output-on-failure

# The whole tsan build: unit tests, then the integration suite against its workers.
tsan: deps
	@cmake -S . -B $(BUILD)/tsan -DWEBPODS_SANITIZE=thread >/dev/null
	@cmake --build $(BUILD)/tsan -j$(JOBS)
	@cd $(BUILD)/tsan && $(TSAN_ENV) ctest --output-on-failure
	@WEBPODS_BUILD_DIR=$(CURDIR)/$(BUILD)/tsan WEBPODS_TEST_VAR=$(CURDIR)/var/test-tsan \
		$(TSAN_ENV) $(PYTHON) tests/integration/run.py

integration: build
	@$(PYTHON) tests/integration/run.py

# The integration suite against ASan+UBSan workers and webpodsctl, on a stack with one read
# replica (SPEC §14): `integration` runs it without one, and both must pass unchanged.
integration-asan: deps
	@cmake -S . -B $(BUILD)/asan -DWEBPODS_SANITIZE=address >/dev/null
	@cmake --build $(BUILD)/asan -j$(JOBS) --target webpods-fcgi webpodsctl
	@WEBPODS_BUILD_DIR=$(CURDIR)/$(BUILD)/asan WEBPODS_TEST_VAR=$(CURDIR)/var/test-asan \
		WEBPODS_TEST_REPLICAS=1 $(ASAN_ENV) $(PYTHON) tests/integration/run.py

# Fault drills (SPEC §10, tests/drill): writers through nginx while workers are killed,
# PostgreSQL restarts, nginx and the supervisor reload; prints faults x appends. `drill` is the
# long form, `drill-short` the one `make test` runs.
drill: build
	@$(PYTHON) tests/drill/drill.py --long

drill-short: build
	@$(PYTHON) tests/drill/drill.py

systemd-check: build
	@tests/stack/systemd_check.sh

# The Debian package, from the release build (debian/rules): build/deb/webpods_<version>_<arch>.deb.
# deb-check builds it, runs lintian, installs it with apt-get, migrates a test database with the
# installed webpodsctl and purges it again (root: it installs a system package).
deb: build
	@rm -rf $(BUILD)/deb
	@WEBPODS_BUILD_DIR=$(BUILD)/release JOBS=$(JOBS) DEB_OUT=$(BUILD)/deb debian/rules binary
	@ls $(BUILD)/deb/*.deb

deb-check: deb
	@$(PYTHON) tests/stack/deb_check.py $(BUILD)/deb

# doc/man/: rendered by man(1) under groff -ww, no warning allowed.
man-check: deps
	@tests/stack/man_check.sh

format:
	@clang-format-14 -i $(SOURCES)

format-check:
	@clang-format-14 --dry-run --Werror $(SOURCES)

lint: build
	@run-clang-tidy-14 -quiet -p $(BUILD)/release -j $(JOBS) '$(CURDIR)/app/' \
		>$(BUILD)/lint.log 2>&1 || { grep -A3 'error:' $(BUILD)/lint.log; exit 1; }
	@echo "lint: clang-tidy clean"

test: deps format-check lint unit asan fuzz-smoke integration drill-short integration-asan systemd-check man-check deb-check
	@echo "make test: all passed"

# libFuzzer targets (tests/fuzz, clang + ASan + UBSan): `fuzz` runs each FUZZ_SECONDS,
# `fuzz-smoke` (part of `make test`) a few seconds each from the committed seeds.
fuzz-build: deps
	@cmake -S tests/fuzz -B $(BUILD)/fuzz -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
	@cmake --build $(BUILD)/fuzz -j$(JOBS)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	@tests/fuzz/run.sh $(BUILD)/fuzz 5

bench: build
	@$(PYTHON) tests/bench/bench.py
	@$(PYTHON) tests/bench/replica_bench.py

# What the Merkle tree of SPEC §12 costs an append, and proof latency on a 1 M-record stream.
bench-merkle: build
	@$(PYTHON) tests/bench/merkle_bench.py

clean:
	rm -rf $(BUILD)
