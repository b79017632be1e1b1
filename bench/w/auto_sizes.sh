#!/bin/bash
# `--engine auto` against interp and jit by input size (issue 16): CPU seconds (user+sys), best
# of 3 runs, of `accord map` on workload W, without and with a warm JIT cache. Prints one
# table row per size: N | interp | jit cold | auto cold | jit warm | auto warm.
#   bench/w/auto_sizes.sh            (from the repository root; ACCORD=path/to/accord)
set -eu
cd "$(dirname "$0")/../.."
A=${ACCORD:-build/accord}
GEN=${W_GEN:-build/bench/w/w_gen}
mkdir -p /tmp/wb
for n in 1000 10000 100000 300000 1000000; do [ -s /tmp/wb/c-$n.jsonl ] || "$GEN" $n 1 >/tmp/wb/c-$n.jsonl; done
rm -rf /tmp/wb/jc; $A map bench/w --sync w --to hubspot --engine jit --jit-cache /tmp/wb/jc --input /tmp/wb/c-1000.jsonl >/dev/null
for n in 1000 10000 100000 300000 1000000; do
  line="$n"
  for cfg in "interp --no-jit-cache" "jit --no-jit-cache" "auto --no-jit-cache" "jit --jit-cache /tmp/wb/jc" "auto --jit-cache /tmp/wb/jc"; do
    best=999
    for r in 1 2 3; do
      /usr/bin/time -o /tmp/wb/t.txt -f "%U %S" $A map bench/w --sync w --to hubspot --engine $cfg --input /tmp/wb/c-$n.jsonl >/dev/null 2>/dev/null; t=$(tail -1 /tmp/wb/t.txt | awk "{print \$1+\$2}")
      best=$(echo "$t $best" | awk '{print ($1<$2)?$1:$2}')
    done
    line="$line | $best"
  done
  echo "$line"
done
