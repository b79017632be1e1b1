#!/usr/bin/env bash
# The differential oracle of issue 16's comparison: the hand-written peer (peers/w_peer.cc)
# and `accord map` (interpreter, JIT, auto, and -j 2 where supported) must write the same bytes
# for generated W inputs (two seeds), so that timing one against the other is honest.
#   ACCORD=build/accord W_GEN=build/bench/w/w_gen W_PEER=build/bench/w/w_peer bench/w/peer_test.sh [N]
# The same for another sync's peer: PEER_RULES (rules folder), PEER_SYNC (sync name) and
# PEER_GEN_ARGS (extra w_gen arguments), e.g. the example's people sync:
#   PEER_RULES=examples/salesforce-hubspot PEER_SYNC=people PEER_GEN_ARGS=--example W_PEER=build/bench/w/people_peer ...
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=${1:-20000}
RULES=${PEER_RULES:-$HERE}
SYNC=${PEER_SYNC:-w}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
for seed in 1 7; do
  "$W_GEN" "$N" "$seed" ${PEER_GEN_ARGS:-} >"$TMP/in.jsonl"
  "$W_PEER" <"$TMP/in.jsonl" >"$TMP/peer.jsonl"
  lines=$(wc -l <"$TMP/peer.jsonl")
  if ((lines < N / 2)); then
    echo "FAIL seed $seed: the peer wrote only $lines lines for $N records"
    fail=1
  fi
  for engine in interp jit auto; do
    "$ACCORD" map "$RULES" --sync "$SYNC" --to hubspot --engine "$engine" <"$TMP/in.jsonl" >"$TMP/accord.jsonl"
    if cmp "$TMP/peer.jsonl" "$TMP/accord.jsonl"; then
      echo "ok seed $seed engine $engine: $lines lines identical"
    else
      echo "FAIL seed $seed engine $engine"
      fail=1
    fi
  done
done
exit $fail
