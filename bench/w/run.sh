#!/usr/bin/env bash
# Workload W (bench/w/README.md): generates N Salesforce Contact records, maps them to HubSpot
# contacts with `accord map` (JIT and interpreter), jq, JSONata and plain Node.js, times the
# simdjson parse-only floor, checks that every output is byte-identical to Node's, and prints
# a markdown table.
#
#   bench/w/run.sh [N]          N records, default 1000000
#
# Environment:
#   BUILD=dir       the CMake build folder (default: build)
#   W_NO_BUILD=1    do not run ninja; use the binaries as they are
#   JOBS=j          ninja -j j
#   RUNS=k          time each tool k times and keep the best (default 1)
#   SEED=s          generator seed (default 1)
#   PIN_ALL=1       run every tool on one core, not only accord and the floor
#   FAST_ONLY=1     skip jq, JSONata and Node.js (the slow peers): floor, w_peer and accord only
#   ACCORD_JOBS="1 2"  also time `accord map -j N --engine jit` for each N (default: none)
#   W_GEN, W_FLOOR, ACCORD=path   use these binaries instead of the ones in $BUILD
#
# Files go to $BUILD/bench-w/ (input contacts-N.jsonl, outputs out-TOOL.jsonl, stderr
# err-TOOL.txt). Progress goes to stderr, the table to stdout.
set -euo pipefail

N=${1:-1000000}
if ! [[ $N =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [N]   (N = number of records, default 1000000)" >&2
  exit 2
fi
RUNS=${RUNS:-1}
SEED=${SEED:-1}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
WORK=$BUILD/bench-w
PEERS=$HERE/peers
mkdir -p "$WORK"

log() { printf '[w] %s\n' "$*" >&2; }
slug() { tr -c 'A-Za-z0-9.\n-' '_' <<<"$1"; }

# ---- binaries ----
if [[ ${W_NO_BUILD:-0} != 1 ]]; then
  log "ninja -C $BUILD ${JOBS:+-j $JOBS }w_gen w_floor w_peer accord"
  if ! ninja -C "$BUILD" ${JOBS:+-j "$JOBS"} w_gen w_floor w_peer accord >"$WORK/ninja.log" 2>&1; then
    log "ninja failed (see $WORK/ninja.log); going on with the binaries that exist"
    tail -5 "$WORK/ninja.log" | sed 's/^/[w]   /' >&2
  fi
fi
find_bin() {  # the first of the candidate paths that is an executable file
  local p
  for p in "$@"; do
    if [[ -x $p && -f $p ]]; then echo "$p"; return 0; fi
  done
  return 1
}
GEN=$(find_bin ${W_GEN:-} "$BUILD/bench/w/w_gen") || { log "no w_gen in $BUILD/bench/w"; exit 1; }
FLOOR=$(find_bin ${W_FLOOR:-} "$BUILD/bench/w/w_floor") || FLOOR=
PEER=$(find_bin ${W_PEER:-} "$BUILD/bench/w/w_peer") || PEER=
ACCORD=$(find_bin ${ACCORD:-} "$BUILD/cli/accord" "$BUILD/accord") || ACCORD=

log "binaries: w_gen=$GEN w_floor=${FLOOR:-none} w_peer=${PEER:-none} accord=${ACCORD:-none}"

PIN=()
if command -v taskset >/dev/null 2>&1; then PIN=(taskset -c 0); fi
PIN_PEERS=()
if [[ ${PIN_ALL:-0} == 1 ]]; then PIN_PEERS=("${PIN[@]}"); fi

# ---- input ----
IN=$WORK/contacts-$N.jsonl
log "generating $N records (seed $SEED) -> $IN"
rm -f "$WORK"/contacts-*.jsonl "$WORK"/out-*.jsonl "$WORK"/err-*.txt
"$GEN" "$N" "$SEED" >"$IN"
BYTES=$(stat -c %s "$IN")
log "input: $BYTES bytes, $((N > 0 ? BYTES / N : 0)) bytes per record"

# ---- timing ----
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TOOLS=()
declare -A SECS CPU RSS STATUS OUT
TIMEFORMAT=%R

# run_tool NAME OUTFILE CMD... : runs CMD <IN >OUTFILE RUNS times, keeps the best wall time
# (and that run's user+system CPU time and peak RSS when /usr/bin/time exists).
# OUTFILE may be /dev/null. Sets SECS[NAME] (empty on failure), CPU, RSS and STATUS[NAME].
run_tool() {
  local name=$1 out=$2
  shift 2
  TOOLS+=("$name")
  OUT[$name]=$out
  local err=$WORK/err-$(slug "$name").txt best= t run cpu= rss=
  for ((run = 1; run <= RUNS; run++)); do
    log "$name (run $run/$RUNS): $*"
    local timer=()
    if [[ -x /usr/bin/time ]]; then timer=(/usr/bin/time -o "$WORK/cpu.txt" -f "%U %S %M"); fi
    if { time "${timer[@]}" "$@" <"$IN" >"$out" 2>"$err"; } 2>"$WORK/time.txt"; then
      t=$(tail -1 "$WORK/time.txt")
      local c= m=
      if [[ ${#timer[@]} -gt 0 ]]; then
        read -r u sy m <"$WORK/cpu.txt"
        c=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
      fi
      log "$name: $t s wall, ${c:-?} s CPU, ${m:-?} KB"
      if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; cpu=$c; rss=$m; fi
    else
      local rc=$?
      SECS[$name]=
      STATUS[$name]="not available (exit $rc; $(basename "$err"))"
      log "$name failed with exit $rc:"
      head -5 "$err" | sed 's/^/[w]   /' >&2
      return 0
    fi
  done
  SECS[$name]=$best
  CPU[$name]=$cpu
  RSS[$name]=$rss
  STATUS[$name]=ok
}

not_available() {  # NAME REASON
  TOOLS+=("$1")
  SECS[$1]=
  STATUS[$1]="not available ($2)"
  OUT[$1]=
  log "$1: not available ($2)"
}

# accord map: every engine, on one core.
for engine in jit interp auto; do
  name="accord map --engine $engine"
  if [[ -z $ACCORD ]]; then
    not_available "$name" "no accord binary in $BUILD"
  else
    run_tool "$name" "$WORK/out-accord-$engine.jsonl" \
      "${PIN[@]}" "$ACCORD" map "$HERE" --sync w --to hubspot --engine "$engine"
  fi
done

for j in ${ACCORD_JOBS:-}; do
  if [[ -n $ACCORD ]]; then
    pin=("${PIN[@]}")
    if ((j > 1)); then pin=(); fi
    run_tool "accord map --engine jit -j $j" "$WORK/out-accord-j$j.jsonl" \
      "${pin[@]}" "$ACCORD" map "$HERE" --sync w --to hubspot --engine jit -j "$j"
  fi
done

if [[ -n $PEER ]]; then
  run_tool "hand-written C++ (w_peer)" "$WORK/out-peer.jsonl" "${PIN[@]}" "$PEER"
else
  not_available "hand-written C++ (w_peer)" "no w_peer in $BUILD/bench/w"
fi

if [[ ${FAST_ONLY:-0} == 1 ]]; then
  :
elif command -v jq >/dev/null 2>&1; then
  run_tool "jq $(jq --version | sed 's/^jq-//')" "$WORK/out-jq.jsonl" "${PIN_PEERS[@]}" jq -c -f "$PEERS/w.jq"
else
  not_available jq "jq is not installed"
fi

if [[ ${FAST_ONLY:-0} == 1 ]]; then
  REF_NAME=
elif command -v node >/dev/null 2>&1; then
  if [[ ! -d $PEERS/node_modules/jsonata ]]; then
    log "npm ci in $PEERS (installs the pinned jsonata)"
    (cd "$PEERS" && npm ci --no-audit --no-fund >&2) || log "npm ci failed"
  fi
  JSONATA_VERSION=$(node -p "require('$PEERS/node_modules/jsonata/package.json').version" 2>/dev/null || echo '?')
  NODE_VERSION=$(node --version)
  run_tool "JSONata $JSONATA_VERSION (node $NODE_VERSION)" "$WORK/out-jsonata.jsonl" \
    "${PIN_PEERS[@]}" node "$PEERS/w-jsonata.mjs"
  REF_NAME="Node.js $NODE_VERSION"
  run_tool "$REF_NAME" "$WORK/out-node.jsonl" "${PIN_PEERS[@]}" node "$PEERS/w-node.mjs"
  if [[ ${STATUS[$REF_NAME]} != ok ]]; then REF_NAME=; fi
else
  not_available JSONata "node is not installed"
  not_available Node.js "node is not installed"
  REF_NAME=
fi

if [[ -n $FLOOR ]]; then
  run_tool "simdjson parse-only floor" /dev/null "${PIN[@]}" "$FLOOR" -
else
  not_available "simdjson parse-only floor" "no w_floor in $BUILD/bench/w"
fi

# the reference output: Node's, else the hand-written peer's
if [[ -z $REF_NAME && -n $PEER && ${STATUS["hand-written C++ (w_peer)"]} == ok ]]; then REF_NAME="hand-written C++ (w_peer)"; fi

# ---- comparison ----
# identical NAME: "yes", "reference", "n/a" or "NO: <first difference>"
identical() {
  local name=$1 out=${OUT[$1]} ref
  if [[ ${STATUS[$name]} != ok ]]; then echo "-"; return; fi
  if [[ $out == /dev/null ]]; then echo "n/a (no output)"; return; fi
  if [[ -z $REF_NAME ]]; then echo "no reference"; return; fi
  if [[ $name == "$REF_NAME" ]]; then echo "reference"; return; fi
  ref=${OUT[$REF_NAME]}
  local diff
  if diff=$(cmp -- "$ref" "$out" 2>&1); then echo "yes"; return; fi
  # "A B differ: byte X, line L" or "cmp: EOF on B after byte X, line L"
  local line
  line=$(sed -n 's/.*line \([0-9]*\).*/\1/p' <<<"$diff")
  {
    log "MISMATCH $name vs $REF_NAME: $diff"
    if [[ -n $line ]]; then
      log "  $REF_NAME line $line: $(sed -n "${line}p" "$ref" | head -c 400)"
      log "  $name line $line: $(sed -n "${line}p" "$out" | head -c 400)"
    fi
  }
  echo "NO (${diff##*: }; see stderr)"
}

REF_LINES=
if [[ -n $REF_NAME ]]; then REF_LINES=$(wc -l <"${OUT[$REF_NAME]}"); fi
log "done; $N records in, ${REF_LINES:-?} in scope"

declare -A SAME
for name in "${TOOLS[@]}"; do SAME[$name]=$(identical "$name"); done

echo
echo "Workload W: $N records ($(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB), ${REF_LINES:-?} in scope;" \
  "wall time, best of $RUNS run(s); accord and the floor on one core${PIN_PEERS:+, the peers too}"
echo
echo "Load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| tool | wall s | CPU s (user+sys) | peak RSS MB | records/s (wall) | MB/s | identical? |"
echo "|---|---:|---:|---:|---:|---:|---|"
for name in "${TOOLS[@]}"; do
  same=${SAME[$name]}
  if [[ ${STATUS[$name]} == ok ]]; then
    awk -v n="$N" -v b="$BYTES" -v s="${SECS[$name]}" -v c="${CPU[$name]:--}" -v m="${RSS[$name]:-}" \
      -v name="$name" -v same="$same" 'BEGIN {
      if (s <= 0) s = 0.001
      printf "| %s | %.2f | %s | %s | %.0f | %.1f | %s |\n", name, s, c, m == "" ? "-" : sprintf("%.0f", m / 1024), n / s, b / 1e6 / s, same
    }'
  else
    printf '| %s | %s | - | - | - | - | - |\n' "$name" "${STATUS[$name]}"
  fi
done
