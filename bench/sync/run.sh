#!/usr/bin/env bash
# Sync engine benchmark (issues 4 and 15): an initial sync of N contacts per side
# (half matching by email); a settling pass (it reads back the initial pass's own
# writes, once); an incremental pass after edits to 10% of the records on each side; a
# pass with no new edits (it reads back the incremental pass's writes and the edits
# within the cursor overlap); and, a minute later, a quiet pass (nothing new within the
# overlap: what a pass over an unchanged org costs), through the jsonl connector
# with a SQLite state file. Prints per pass the wall, user and system time and the
# peak RSS (/usr/bin/time), where the time went (`accord run --timings`), linked
# pairs reconciled per second and the state file's size, and the load average.
# Usage: bench/sync/run.sh [N] [ENGINE]   (default 100000 jit)
#   PERF=1 also records the incremental pass with `perf record` (software cpu-clock
#   event) into $W/perf.data and prints the top of `perf report`.
set -euo pipefail
N=${1:-100000}
ENGINE=${2:-jit}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ACCORD=${ACCORD:-$SRC/build/accord}
RULES=$SRC/examples/salesforce-hubspot
W=${BENCH_DIR:-$(mktemp -d /tmp/accord-sync-bench-XXXXXX)}
trap '[ -z "${BENCH_DIR:-}" ] && rm -rf "$W"' EXIT
python3 "$SRC/tests/sync/gen.py" init "$W/data" --contacts "$N" --seed 11
# pass NAME: one `accord run`, timed; its output in $W/NAME.txt, timings in $W/NAME.err
pass() {
  local name=$1 wrap=()
  [ "$name" = incremental ] && [ -n "${PERF:-}" ] && wrap=(perf record -e cpu-clock -g -o "$W/perf.data" --)
  /usr/bin/time -f "%e s wall %U user %S sys %M KB" -o "$W/$name.time" \
    "${wrap[@]}" "$ACCORD" run "$RULES" --data "$W/data" --engine "$ENGINE" --timings >"$W/$name.txt" 2>"$W/$name.err" || true
  echo "$name pass: $(cat "$W/$name.time")  (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "  $(grep '^total' "$W/$name.txt")"
  grep ' ms  (cpu' "$W/$name.err" | sed 's/^/  /'
}
wall() { cut -d' ' -f1 "$W/$1.time"; }
echo "records: $N Salesforce + $N HubSpot contacts; engine $ENGINE"
pass initial
pass settle
python3 "$SRC/tests/sync/gen.py" change "$W/data" --fraction 0.1 --seed 12 --now
pass incremental
pass unchanged
sleep 61  # past the cursor overlap (60 s): nothing is new to the quiet pass
pass quiet
pairs=$(python3 - "$W/data/accord-state.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from links where sync='people'").fetchone()[0])
PY
)
python3 -c "import sys; p=int(sys.argv[1]); t=float(sys.argv[2]); print('linked pairs: %d; incremental pass: %.0f linked pairs reconciled per second' % (p, p / t))" "$pairs" "$(wall incremental)"
python3 -c "import os,sys; s=os.path.getsize(sys.argv[1]); p=int(sys.argv[2]); print('state file: %.1f MB, %.0f bytes per linked pair' % (s/1e6, s/p))" "$W/data/accord-state.db" "$pairs"
if [ -n "${PERF:-}" ] && [ -f "$W/perf.data" ]; then
  perf report -i "$W/perf.data" --no-children --percent-limit 1.5 --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -40
fi
