#!/usr/bin/env bash
# accord map -j N writes exactly what -j 1 writes (issue 16): stdout, stderr (error lines with
# their line numbers) and the exit status, on a generated W input of several chunks with
# malformed lines, blank lines, rejected values (a status the table lacks), rule errors
# (IsCustomer null), out-of-scope records, a line longer than a chunk and no final newline.
#   ACCORD=build/accord W_GEN=build/bench/w/w_gen bench/w/jobs_test.sh [N]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=${1:-20000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$W_GEN" "$N" 3 | python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")[:-1]
out = []
for n, line in enumerate(lines, 1):
    if n % 97 == 0:
        out.append("{\"Id\": \"broken")
        continue
    if n % 89 == 0:
        line = re.sub(r"\"Status\":(\"[A-Za-z]*\"|null)", "\"Status\":\"Bogus\"", line)
    if n % 83 == 0:
        line = re.sub(r"\"IsCustomer\":(true|false)", "\"IsCustomer\":null", line)
    if n % 101 == 0:
        out.append("")
    if n == 5000:
        line = re.sub(r"\"Title\":(\"[^\"]*\"|null)", "\"Title\":\"" + "x" * 1500000 + "\"", line)
    out.append(line)
sys.stdout.write("\n".join(out))  # no final newline
' >"$TMP/in.jsonl"
for what in Bogus '"IsCustomer":null' broken; do
  if ! grep -q "$what" "$TMP/in.jsonl"; then echo "FAIL: the input has no $what"; exit 1; fi
done
fail=0
for engine in interp jit auto; do
  set +e
  "$ACCORD" map "$HERE" --sync w --to hubspot --engine "$engine" -j 1 <"$TMP/in.jsonl" >"$TMP/out1" 2>"$TMP/err1"
  rc1=$?
  set -e
  errors=$(grep -c '"line"' "$TMP/err1" || true)
  # an oracle for -j 1 itself: the first malformed line is input line 97, and the records
  # written are the hand-written peer's (which skips the same malformed, rejected and
  # IsCustomer-null records)
  first=$(grep -m1 Malformed "$TMP/err1" | sed 's/^{"line":\([0-9]*\),.*/\1/')
  if [[ $first != 97 ]]; then
    echo "FAIL $engine: the first malformed line is reported as line '$first', not 97"
    fail=1
  fi
  if [[ -n ${W_PEER:-} ]]; then
    "$W_PEER" <"$TMP/in.jsonl" >"$TMP/peer" 2>/dev/null || true
    if ! cmp "$TMP/peer" "$TMP/out1"; then
      echo "FAIL $engine: -j 1 differs from the hand-written peer"
      fail=1
    fi
  fi
  if ((rc1 != 1 || errors < N / 100)); then
    echo "FAIL $engine: -j 1 exit $rc1 with $errors error lines (want 1 and many)"
    fail=1
  fi
  for j in 2 3; do
    set +e
    "$ACCORD" map "$HERE" --sync w --to hubspot --engine "$engine" -j "$j" <"$TMP/in.jsonl" >"$TMP/outj" 2>"$TMP/errj"
    rcj=$?
    set -e
    if cmp -s "$TMP/out1" "$TMP/outj" && cmp -s "$TMP/err1" "$TMP/errj" && ((rc1 == rcj)); then
      echo "ok $engine -j $j: $(wc -l <"$TMP/outj") records, $errors error lines, exit $rcj, identical"
    else
      echo "FAIL $engine -j $j differs from -j 1 (exit $rc1 vs $rcj)"
      cmp "$TMP/out1" "$TMP/outj" || true
      cmp "$TMP/err1" "$TMP/errj" || true
      fail=1
    fi
  done
done
exit $fail
