#!/usr/bin/env bash
# accord graph on the example: the DOT text is a golden file.
# Update after an intended change: ACCORD_UPDATE_GOLDENS=1 ctest -R graph_golden
set -u
accord="$1"
cd "$2"
out=$("$accord" graph examples/salesforce-hubspot) || { echo "accord graph failed"; exit 1; }
if [ -n "${ACCORD_UPDATE_GOLDENS:-}" ]; then
  printf '%s\n' "$out" > tests/graph/example.dot
  echo "updated tests/graph/example.dot"
  exit 0
fi
if ! diff -u tests/graph/example.dot <(printf '%s\n' "$out"); then
  echo "tests/graph/example.dot is out of date: ACCORD_UPDATE_GOLDENS=1 ctest --test-dir build -R graph_golden"
  exit 1
fi
