#!/usr/bin/env bash
# Sync engine benchmark (issue 4): an initial sync of N contacts per side (half
# matching by email), then an incremental pass after edits to 10% of the
# records on each side, through the jsonl connector with a SQLite state file.
# Prints the wall time of each pass, linked pairs reconciled per second and the
# state file's size. Usage: bench/sync/run.sh [N] [ENGINE]   (default 100000 jit)
set -euo pipefail
N=${1:-100000}
ENGINE=${2:-jit}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ACCORD=${ACCORD:-$SRC/build/accord}
RULES=$SRC/examples/salesforce-hubspot
W=${BENCH_DIR:-$(mktemp -d /tmp/accord-sync-bench-XXXXXX)}
trap '[ -z "${BENCH_DIR:-}" ] && rm -rf "$W"' EXIT
python3 "$SRC/tests/sync/gen.py" init "$W/data" --contacts "$N" --seed 11
secs() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
t0=$(date +%s.%N)
"$ACCORD" run "$RULES" --data "$W/data" --engine "$ENGINE" >"$W/initial.txt" || true
t1=$(date +%s.%N)
python3 "$SRC/tests/sync/gen.py" change "$W/data" --fraction 0.1 --seed 12 --now
t2=$(date +%s.%N)
"$ACCORD" run "$RULES" --data "$W/data" --engine "$ENGINE" >"$W/incremental.txt" || true
t3=$(date +%s.%N)
pairs=$(python3 - "$W/data/accord-state.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from links where sync='people'").fetchone()[0])
PY
)
init=$(secs "$t0" "$t1"); inc=$(secs "$t2" "$t3")
echo "records: $N Salesforce + $N HubSpot contacts; engine $ENGINE"
echo "initial pass:     ${init} s  ($(grep '^total' "$W/initial.txt"))"
echo "incremental pass: ${inc} s  ($(grep '^total' "$W/incremental.txt"))"
python3 -c "import sys; p=int(sys.argv[1]); t=float(sys.argv[2]); print('linked pairs: %d; incremental pass: %.0f linked pairs reconciled per second' % (p, p / t))" "$pairs" "$inc"
python3 -c "import os,sys; s=os.path.getsize(sys.argv[1]); p=int(sys.argv[2]); print('state file: %.1f MB, %.0f bytes per linked pair' % (s/1e6, s/p))" "$W/data/accord-state.db" "$pairs"
