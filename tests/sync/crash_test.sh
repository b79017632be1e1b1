#!/usr/bin/env bash
# Crash safety (issue 4): `accord run` over 10,000 Salesforce and 10,000
# HubSpot contacts (half sharing an email) is killed with SIGKILL at a random
# point 50 times: first during the initial sync, then with a batch of edits on
# both sides before each attempt.
# After a final clean pass: no duplicate, every contact linked once, every
# pair agrees field by field, no edit lost, and one more pass writes nothing.
# Usage: crash_test.sh [ITERATIONS] (env ACCORD, ACCORD_SOURCE_DIR)
#   STATE=pg keeps the state in PostgreSQL (issue 18): a throwaway cluster from $PG_CLUSTER
#   (build/tests/pg_cluster), stopped when the script exits.
set -euo pipefail
ACCORD=${ACCORD:?set ACCORD to the accord binary}
SRC=${ACCORD_SOURCE_DIR:?set ACCORD_SOURCE_DIR}
N=${1:-50}
RULES=$SRC/examples/salesforce-hubspot
T=$(mktemp -d /tmp/accord-crash-XXXXXX)
[ -n "${KEEP:-}" ] && echo "crash_test: keeping $T" || trap 'rm -rf "$T"' EXIT
CONTACTS=${CONTACTS:-10000}
python3 "$SRC/tests/sync/gen.py" init "$T/data" --contacts "$CONTACTS" --seed 7
state=()
if [ "${STATE:-}" = pg ]; then
  coproc PG { "${PG_CLUSTER:?set PG_CLUSTER to the pg_cluster binary for STATE=pg}"; }
  read -r url <&"${PG[0]}" || true
  [ -n "${url:-}" ] || { echo "crash_test: FAIL: the PostgreSQL cluster did not start"; exit 1; }
  state=(--state "$url")
  echo "crash_test: state in PostgreSQL ($url)"
fi
run() { "$ACCORD" run "$RULES" --data "$T/data" "${state[@]}" --engine interp "$@"; }
killed=0
attempt() {  # attempt SEED MAX_DELAY: a pass killed at a random point
  # exec: $! must be accord itself, not a subshell (killing a subshell leaves accord running)
  (exec "$ACCORD" run "$RULES" --data "$T/data" "${state[@]}" --engine interp >/dev/null 2>&1) &
  local pid=$!
  sleep "$(python3 -c "import random; random.seed($1); print(round(random.uniform(0.02, $2), 3))")"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
  if pgrep -f "accord run $RULES --data $T/data" >/dev/null; then
    echo "crash_test: FAIL: an accord process outlived its kill"; exit 1
  fi
}
# A: the initial sync (creates, matches, first conflicts) killed again and again
A=$((N * 2 / 5))
for i in $(seq 1 "$A"); do attempt "$i" 1.2; done
run >/dev/null || true
# B: edits on both sides (Salesforce titles, HubSpot cities) before every killed pass;
# every pair is linked by now, so each edit has exactly one right outcome
for i in $(seq $((A + 1)) "$N"); do
  python3 "$SRC/tests/sync/gen.py" change "$T/data" --fraction 0.01 --seed "$i" --now --log "$T/edits.jsonl"
  attempt "$i" 1.0
done
echo "crash_test: $killed of $N passes killed mid-way"
run >/dev/null || true
run | tee "$T/last.txt" | tail -4
grep -q "^total: 0 created, 0 updated, 0 linked, 0 conflicts, 0 errors" "$T/last.txt" || {
  echo "crash_test: FAIL: the pass after the final clean pass still wrote something"; exit 1; }
# 10,000 HubSpot contacts + one per Salesforce contact that matched none (5,000)
python3 "$SRC/tests/sync/check_state.py" "$T/data" "$T/edits.jsonl" $((CONTACTS * 3 / 2))
echo "crash_test: OK"
