# Shared by the CLI test scripts (sourced): pass/fail counters and two assertions.
fail=0
pass=0
check() {  # check NAME EXPECTED_EXIT ACTUAL_EXIT
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); else echo "FAIL: $1 (exit $3, want $2)"; fail=$((fail + 1)); fi
}
has() {  # has NAME PATTERN FILE
  if grep -qE -- "$2" "$3"; then pass=$((pass + 1)); else echo "FAIL: $1: no /$2/ in output:"; cat "$3"; fail=$((fail + 1)); fi
}
