#!/usr/bin/env bash
# Installs the pinned @bufbuild/cel-spec (npm ci) and exports the suites to
# OUT_DIR/cel-conformance.jsonl. Run by CTest before the conformance test.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out_dir="${1:?usage: setup.sh OUT_DIR}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
cd "$here"
if [ ! -d node_modules/@bufbuild/cel-spec ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node export.mjs "$out_dir/cel-conformance.jsonl" 2>/dev/null
echo "exported $(wc -l < "$out_dir/cel-conformance.jsonl") cases to $out_dir/cel-conformance.jsonl"
