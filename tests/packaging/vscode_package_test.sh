#!/usr/bin/env bash
# The VS Code extension packaged as users get it: `vsce package` (@vscode/vsce, a dev dependency
# pinned in editors/vscode/package-lock.json, installed here by `npm ci --ignore-scripts`), then
# the .vsix's contents: the manifest, client, grammar and language configuration, the runtime
# dependency vscode-languageclient, no dev dependency, and the manifest's version = the project's.
# Exit 77 (CTest: skipped) when the npm packages cannot be installed. Not tested: loading the
# extension in VS Code (editors/vscode/README.md says why).
#   vscode_package_test.sh SOURCE_DIR
set -u
SRC=$(cd "$1" && pwd)
source "$(dirname "$0")/testlib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ext=$SRC/editors/vscode
cd "$ext"
if [ ! -x node_modules/.bin/vsce ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null ||
    { echo "skip: npm ci in editors/vscode failed (is the npm registry reachable?)"; exit 77; }
fi
node_modules/.bin/vsce --version
node_modules/.bin/vsce package --allow-missing-repository --skip-license -o "$tmp/accord.vsix" </dev/null >"$tmp/vsce.log" 2>&1
check "vsce package succeeds" test $? -eq 0 || cat "$tmp/vsce.log"
unzip -l "$tmp/accord.vsix" >"$tmp/list" 2>&1
for f in package.json extension.js language-configuration.json syntaxes/accord.tmLanguage.json README.md \
  node_modules/vscode-languageclient/package.json; do
  check "the .vsix has extension/$f" grep -q " extension/$f\$" "$tmp/list"
done
check "no dev dependency (vsce) in the .vsix" bash -c "! grep -q 'node_modules/@vscode/vsce' '$tmp/list'"
version=$(sed -n 's/^project(accord VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
unzip -p "$tmp/accord.vsix" extension/package.json >"$tmp/package.json"
check "the extension's version is the project's ($version)" \
  node -e "process.exit(require('$tmp/package.json').version === '$version' ? 0 : 1)"
finish
