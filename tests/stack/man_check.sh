#!/usr/bin/env bash
# Checks doc/man/: every page renders with man(1) under groff -ww (all warnings) without one
# warning, at two widths; has NAME, SYNOPSIS, DESCRIPTION and SEE ALSO; names the version
# CMakeLists.txt builds; and every page named in a SEE ALSO of ours exists.
# Usage: tests/stack/man_check.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
version=$(sed -n 's/^project(webpods VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt)
[[ -n "$version" ]] || { echo "man-check: no version in CMakeLists.txt" >&2; exit 1; }

failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

# The deliberate error must be seen, or an empty stderr proves nothing.
probe=$(mktemp /tmp/webpods-man.XXXXXX.1)
trap 'rm -f "$probe"' EXIT
printf '.TH PROBE 1\n.SH NAME\nprobe \\- x\n.BOGUS\n' >"$probe"
[[ -n "$(man --warnings=w -l "$probe" 2>&1 >/dev/null)" ]] ||
    { echo "man-check: man --warnings=w does not report an undefined macro" >&2; exit 1; }

pages=(doc/man/*.[1-8])
((${#pages[@]} == 3)) || fail "expected 3 pages in doc/man, found ${#pages[@]}"
for page in "${pages[@]}"; do
    name=${page##*/}
    for width in 80 60; do
        warnings=$(MANWIDTH=$width man --warnings=w -E UTF-8 -l "$page" 2>&1 >/dev/null)
        [[ -z "$warnings" ]] || fail "$name at width $width: $warnings"
    done
    header=$(grep -m1 '^\.TH ' "$page")
    [[ "$header" == *"\"webpods $version\""* ]] || fail "$name: .TH does not name webpods $version: $header"
    section=${name##*.}
    [[ "$header" == ".TH "*" $section "* ]] || fail "$name: .TH section is not $section: $header"
    for heading in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
        grep -qE "^\.SH \"?$heading\"?$" "$page" || fail "$name: no $heading section"
    done
    text=$(MANWIDTH=80 man -E UTF-8 -l "$page" 2>/dev/null)
    [[ -n "$text" ]] || fail "$name: renders empty"
    # Our own pages referred to must exist: webpodsctl(1), webpods-fcgi(8), webpods.json(5).
    for reference in $(grep -oE 'webpods[a-z.-]*\([158]\)' <<<"$text" | sort -u); do
        target="doc/man/${reference%(*}.${reference: -2:1}"
        [[ -f "$target" ]] || fail "$name: refers to $reference, but there is no $target"
    done
done
((failed == 0)) || exit 1
echo "PASS man pages: ${pages[*]##*/} render under groff -ww without warnings"
