# Shared by tests/packaging/*.sh: check NAME COMMAND... counts a pass when COMMAND succeeds;
# finish prints "N passed, N failed" and returns non-zero on a failure.
passed=0 failed=0
check() {
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else
    echo "FAIL: $name"
    failed=$((failed + 1))
  fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# trees BUILD_DIR SOURCE_DIR: sets BUILD and SRC (absolute) and tmp, a folder removed on exit
trees() {
  BUILD=$(cd "$1" && pwd) SRC=$(cd "$2" && pwd)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}

# run_installed ROOT BIN OUT_PREFIX ARGS...: runs an installed accord with a clean environment,
# from a folder outside the source and build trees, under strace when it is installed, and fails
# when the run opens any file below SRC or BUILD (set by the caller).
run_installed() {
  local root=$1 bin=$2 out=$3
  shift 3
  local env=(env -i PATH=/usr/bin:/bin HOME="$root/home" ACCORD_JIT_CACHE=off)
  if command -v strace >/dev/null; then
    "${env[@]}" strace -f -qq -e trace=%file -o "$out.trace" "$bin" "$@" >"$out.out" 2>"$out.err"
  else
    "${env[@]}" "$bin" "$@" >"$out.out" 2>"$out.err"
  fi
}

# touched_trees OUT: prints the files below SRC or BUILD the traced run opened (none: nothing printed)
touched_trees() {
  [ -f "$1.trace" ] || return 0
  grep -oE "\"($SRC|$BUILD)[^\"]*\"" "$1.trace" | sort -u || true
}
