#!/usr/bin/env bash
# Installs the Debian packages webpods needs to build, run and test; quick when all are present.
set -euo pipefail

packages=(
    build-essential cmake g++ clang clang-format clang-tidy libclang-rt-14-dev
    libfcgi-dev libsoci-dev libpoco-dev libboost-test-dev libssl-dev libpq-dev
    nginx postgresql openssl python3 curl spawn-fcgi systemd wrk
    man-db groff-base  # make man-check: man -l under groff -ww
    debhelper dpkg-dev fakeroot lintian  # make deb and make deb-check
    nodejs  # the local OAuth providers and the browser driver of tests/stack/oauth (Node >= 18)
)
# Debian's nodejs (18 on Debian 12) comes without npm, which is the package `npm`; a newer Node
# (NodeSource's nodejs, which bundles npm) needs nothing more, and would conflict with it.
if ! command -v npm >/dev/null 2>&1; then
    packages+=(npm)
fi
if [[ "${WEBPODS_BROWSER_TESTS:-1}" == 1 ]]; then
    packages+=(chromium)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
if ((${#missing[@]} == 0)); then
    exit 0
fi
if [[ $(id -u) != 0 ]]; then
    echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian nginx and postgresql packages start system services on some machines; webpods
# runs its own instances, so those are left alone.
