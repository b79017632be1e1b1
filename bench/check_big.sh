#!/usr/bin/env bash
# Issue 13's big rule set: S syncs x F field rules in one file (default 200 x 200, 3.4 MB
# with 2,000 value tables of V = 20 values; V = 0 writes no tables, 1.3 MB), checked on one
# core. Prints wall time and peak memory of N runs of `accord check`, the phases of one
# `--timings` run, and N runs on the example.
#   bench/check_big.sh [BUILD_DIR] [S] [F] [N] [V]
# Figures and how to read them: docs/benchmarks.md, "Big rule sets".
set -eu
build=${1:-build}
syncs=${2:-200}
fields=${3:-200}
runs=${4:-5}
values=${5:-20}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$build/bench/check_bench" --generate "$dir" "$syncs" "$fields" "$values" >/dev/null
echo "rules.accord: $(wc -c <"$dir/rules.accord") bytes, $(wc -l <"$dir/rules.accord") lines"
for i in $(seq "$runs"); do
  /usr/bin/time -f "%e s wall, %U s user + %S s system, %M KB max RSS" taskset -c 0 "$build/accord" check "$dir" 2>&1 >/dev/null | tail -1
done
taskset -c 0 "$build/accord" check --timings "$dir" 2>&1 >/dev/null | grep " ms"
for i in $(seq "$runs"); do
  /usr/bin/time -f "example: %e s wall, %U s user + %S s system, %M KB max RSS" taskset -c 0 "$build/accord" check examples/salesforce-hubspot 2>&1 | tail -1
done
