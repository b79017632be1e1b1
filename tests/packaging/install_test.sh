#!/usr/bin/env bash
# `cmake --install` into a temporary DESTDIR, then the installed files only: accord --version, the
# man pages and completions where GNUInstallDirs puts them, accord check and accord test of a copy of
# examples/salesforce-hubspot. The installed binary must not open anything below the source or
# build tree (checked with strace where installed) and has no RUNPATH into either.
#   install_test.sh BUILD_DIR SOURCE_DIR
set -u
source "$(dirname "$0")/testlib.sh"
trees "$1" "$2"

root=$tmp/root prefix=/usr/local
DESTDIR=$root cmake --install "$BUILD" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; exit 1; }
bin=$root$prefix/bin/accord
check "bin/accord installed" test -x "$bin"
check "man1/accord.1" test -f "$root$prefix/share/man/man1/accord.1"
check "man1/accord-check.1" test -f "$root$prefix/share/man/man1/accord-check.1"
check "bash completion" test -f "$root$prefix/share/bash-completion/completions/accord"
check "zsh completion" test -f "$root$prefix/share/zsh/vendor-completions/_accord"
check "fish completion" test -f "$root$prefix/share/fish/vendor_completions.d/accord.fish"
check "stdlib docs" test -f "$root$prefix/share/doc/accord/stdlib.md"
check "TextMate grammar" test -f "$root$prefix/share/accord/textmate/accord.tmLanguage.json"
check "nothing outside the prefix" test "$(ls "$root")" = usr
check "no RUNPATH into the build or source tree" \
  bash -c "! readelf -d '$bin' | grep -E 'R(UN)?PATH' | grep -qE '$BUILD|$SRC'"

mkdir "$tmp/home" "$tmp/work"
cp -r "$SRC/examples/salesforce-hubspot" "$tmp/work/rules"
cd "$tmp/work"
run_installed "$tmp" "$bin" "$tmp/version" --version
check "installed accord --version" grep -qE '^accord [0-9]+\.[0-9]+\.[0-9]+ \(git ' "$tmp/version.out"
run_installed "$tmp" "$bin" "$tmp/check" check rules
check "installed accord check of the example exits 0" test $? -eq 0
check "... and opens nothing in the source or build tree" test -z "$(touched_trees "$tmp/check")"
run_installed "$tmp" "$bin" "$tmp/test" test rules
check "installed accord test of the example exits 0" test $? -eq 0
check "... and its tests pass" grep -qE '^[0-9]+ passed, 0 failed' "$tmp/test.out"
check "... and opens nothing in the source or build tree" test -z "$(touched_trees "$tmp/test")"
touched_trees "$tmp/check"
touched_trees "$tmp/test"
check "the installed man page renders" bash -c "MANWIDTH=80 man -l '$root$prefix/share/man/man1/accord-check.1' 2>&1 | grep -q -- --format"
finish
