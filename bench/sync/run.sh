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
#   STATE=pg keeps the state in PostgreSQL instead (issue 18): a throwaway cluster with
#   PostgreSQL's default (durable) settings from build/tests/pg_cluster --durable, passed as
#   --state postgresql://...; each pass then also prints the server's CPU time (its
#   processes' user+sys, backends included), and the state's size is the schema's tables.
#   PERF=1 also records the incremental pass with `perf record` (software cpu-clock
#   event) into $W/perf.data and prints the top of `perf report`.
#   RUN_ARGS="--history-rows 0" passes more options to every `accord run` (issue 19:
#   the write history's cost is the difference with and without it).
set -euo pipefail
N=${1:-100000}
ENGINE=${2:-jit}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ACCORD=${ACCORD:-$SRC/build/accord}
RULES=$SRC/examples/salesforce-hubspot
W=${BENCH_DIR:-$(mktemp -d /tmp/accord-sync-bench-XXXXXX)}
trap '[ -z "${BENCH_DIR:-}" ] && rm -rf "$W"' EXIT
python3 "$SRC/tests/sync/gen.py" init "$W/data" --contacts "$N" --seed 11
state=()
PG_DATA=
if [ "${STATE:-}" = pg ]; then
  coproc PG { "${PG_CLUSTER:-$SRC/build/tests/pg_cluster}" --durable; }
  read -r PG_URL <&"${PG[0]}"
  read -r PG_DATA <&"${PG[0]}"
  state=(--state "$PG_URL")
  echo "state: PostgreSQL $PG_URL (durable settings)"
fi
# The cluster's CPU seconds so far: the postmaster's own and its exited children's (backends),
# plus its live children's (clock ticks of /proc/PID/stat).
pg_cpu() {
  python3 - "$PG_DATA" <<'PY'
import os, sys
pm = int(open(os.path.join(sys.argv[1], "postmaster.pid")).readline())
def stat(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return f
ticks = os.sysconf("SC_CLK_TCK")
s = stat(pm)
total = sum(int(x) for x in s[11:15])  # utime stime cutime cstime
for pid in os.listdir("/proc"):
    if pid.isdigit() and pid != str(pm):
        try:
            f = stat(pid)
        except OSError:
            continue
        if int(f[1]) == pm:
            total += int(f[11]) + int(f[12])
print("%.2f" % (total / ticks))
PY
}
# pass NAME: one `accord run`, timed; its output in $W/NAME.txt, timings in $W/NAME.err
pass() {
  local name=$1 wrap=() before=0
  [ "$name" = incremental ] && [ -n "${PERF:-}" ] && wrap=(perf record -e cpu-clock -g -o "$W/perf.data" --)
  [ -n "$PG_DATA" ] && before=$(pg_cpu)
  /usr/bin/time -f "%e s wall %U user %S sys %M KB" -o "$W/$name.time" \
    "${wrap[@]}" "$ACCORD" run "$RULES" --data "$W/data" "${state[@]}" --engine "$ENGINE" --timings ${RUN_ARGS:-} \
      >"$W/$name.txt" 2>"$W/$name.err" || true
  echo "$name pass: $(cat "$W/$name.time")  (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  [ -n "$PG_DATA" ] && python3 -c "import sys; print('  PostgreSQL server CPU: %.2f s' % (float(sys.argv[2]) - float(sys.argv[1])))" "$before" "$(pg_cpu)"
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
if [ -n "$PG_DATA" ]; then
  pairs=$(psql -XAtq "$PG_URL" -c "select count(*) from links where sync='people'")
  size=$(psql -XAtq "$PG_URL" -c "select sum(pg_total_relation_size(c.oid)) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname = current_schema()")
else
  pairs=$(python3 - "$W/data/accord-state.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from links where sync='people'").fetchone()[0])
PY
)
  size=$(stat -c %s "$W/data/accord-state.db")
  python3 - "$W/data/accord-state.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("select run, count(*) from write_history group by run order by run").fetchall()
print("write history rows per pass: %s" % (", ".join("pass %d: %d" % r for r in rows) or "none"))
PY
fi
python3 -c "import sys; p=int(sys.argv[1]); t=float(sys.argv[2]); print('linked pairs: %d; incremental pass: %.0f linked pairs reconciled per second' % (p, p / t))" "$pairs" "$(wall incremental)"
python3 -c "import sys; s=int(sys.argv[1]); p=int(sys.argv[2]); print('state: %.1f MB, %.0f bytes per linked pair' % (s/1e6, s/p))" "$size" "$pairs"
if [ -n "$PG_DATA" ]; then
  exec {PG[1]}>&-  # the cluster stops when its stdin closes
  wait "$PG_PID" || true
fi
if [ -n "${PERF:-}" ] && [ -f "$W/perf.data" ]; then
  perf report -i "$W/perf.data" --no-children --percent-limit 1.5 --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -40
fi
