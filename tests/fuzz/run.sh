#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each: run.sh BUILD_DIR SECONDS [TARGET...]
# New inputs go to BUILD_DIR/corpus-work/<target> (kept between runs), the committed seeds in
# tests/fuzz/corpus/<target> are only read; crashes land in BUILD_DIR/artifacts/.
set -euo pipefail

build=$1
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=(query_fuzz ids_fuzz token_fuzz json_fuzz config_fuzz)
fi

mkdir -p "$build/artifacts" "$build/logs"
failed=()
for target in "${targets[@]}"; do
    work="$build/corpus-work/$target"
    log="$build/logs/$target.log"
    mkdir -p "$work"
    options=(-max_total_time="$seconds" -timeout=60 -print_final_stats=1
             -artifact_prefix="$build/artifacts/$target-")
    if [[ -f "$here/$target.dict" ]]; then
        options+=(-dict="$here/$target.dict")
    fi
    if "$build/$target" "${options[@]}" "$work" "$here/corpus/$target" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
        echo "fuzz: $target: ${runs:-?} runs, ${speed:-?}/s, $coverage, corpus $(ls "$work" | wc -l)"
    else
        echo "fuzz: $target FAILED, log $log:" >&2
        grep -E -A30 '^==[0-9]+==|property violated|SUMMARY|deadly signal|terminate called' \
            "$log" | head -n 60 >&2 || tail -n 40 "$log" >&2
        failed+=("$target")
    fi
done
if ((${#failed[@]} > 0)); then
    echo "fuzz: failed: ${failed[*]} (reproduce: $build/<target> $build/artifacts/<file>)" >&2
    exit 1
fi
