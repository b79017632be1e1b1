#!/usr/bin/env bash
# Installs the pinned client libraries (npm ci from package-lock.json) that
# clients_test.mjs drives the sandbox with. Run by CTest before that test.
set -euo pipefail
cd "$(cd "$(dirname "$0")" && pwd)"
if [ ! -d node_modules/@hubspot/api-client ] || [ ! -d node_modules/jsforce ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node -e 'for (const p of ["@hubspot/api-client", "jsforce"]) console.log(p, require(p + "/package.json").version)'
