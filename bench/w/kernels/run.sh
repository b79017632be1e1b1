#!/usr/bin/env bash
# Builds and runs ondemand_kernels (see its header) on a JSON Lines file:
#   bench/w/kernels/run.sh build/bench-w/contacts-1000000.jsonl
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${TMPDIR:-/tmp}/accord-ondemand-kernels
mkdir -p "$OUT"
"$HERE/gen_haswell_ondemand.sh" >"$OUT/haswell_ondemand.h"
${CXX:-g++} -std=c++20 -O2 -I"$OUT" "$HERE/ondemand_kernels.cc" -lsimdjson -o "$OUT/ondemand_kernels"
exec taskset -c 0 "$OUT/ondemand_kernels" "$1"
