#!/usr/bin/env bash
# End-to-end checks of `accord diff` (docs/diff.md): risk texts, formats, git revisions,
# check errors first, and the impact of a change over data (--data).
# Run by CTest with ACCORD (the binary) and ACCORD_SOURCE_DIR set.
set -u
. "$(dirname "$0")/testlib.sh"
cd "$ACCORD_SOURCE_DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
EX=examples/salesforce-hubspot

# ---- diff: a real edit of the example (widened direction, changed table entry, removed create default, reformat) ----
mkdir -p "$tmp/d"
cp -r "$EX" "$tmp/d/old"
sed -i 's/^  Title          <-> jobtitle$/  Title           -> jobtitle/' "$tmp/d/old/syncs.accord"
cp -r "$EX" "$tmp/d/new"
sed -i 's/^  FirstName      <-> firstname$/  FirstName <-> firstname  \/\/ only reformatted/' "$tmp/d/new/syncs.accord"
sed -i '/    Company = coalesce(company, "\[not provided\]")/d' "$tmp/d/new/syncs.accord"
sed -i 's/"Food & Beverage"    <-> "FOOD_BEVERAGES"/"Food \& Beverage"    <-> "FOOD_PRODUCTION"/' "$tmp/d/new/values.accord"
"$ACCORD" check "$tmp/d/old" >"$tmp/out" 2>&1; check "diff: old version checks" 0 $?
"$ACCORD" check "$tmp/d/new" >"$tmp/out" 2>&1; check "diff: new version checks" 0 $?
"$ACCORD" diff "$tmp/d/old" "$tmp/d/new" >"$tmp/out" 2>&1; check "diff text" 0 $?
has "diff: widened direction is high" '^high .*Title: direction widened from -> to <->: HubSpot can now overwrite Salesforce Title' "$tmp/out"
has "diff: removed create default is high" '^high .*Lead.Company lost its create default: HubSpot-created Leads will fail REQUIRED_FIELD_MISSING' "$tmp/out"
has "diff: table entry change is medium" '^medium .*"Food & Beverage" now maps to "FOOD_PRODUCTION" toward HubSpot \(was "FOOD_BEVERAGES"\)' "$tmp/out"
if grep -q 'FirstName' "$tmp/out"; then echo "FAIL: a reformat showed up in diff"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
"$ACCORD" diff "$tmp/d/old" "$tmp/d/new" --format markdown >"$tmp/out" 2>&1; check "diff markdown" 0 $?
has "diff markdown table" '^\| \*\*high\*\* \| `syncs.accord:[0-9]+` \| sync people: Title: direction widened' "$tmp/out"
"$ACCORD" diff "$tmp/d/old" "$tmp/d/new" --format json >"$tmp/out" 2>&1; check "diff json" 0 $?
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); if(!j.some(c=>c.risk==="high"&&/Title/.test(c.message))) process.exit(1)' "$tmp/out"; check "diff json valid with a high change" 0 $?
"$ACCORD" diff "$tmp/d/old" "$tmp/d/new" --fail-on high >"$tmp/out" 2>&1; check "diff --fail-on high" 1 $?
"$ACCORD" diff "$EX" "$EX" >"$tmp/out" 2>&1; check "diff identical" 0 $?
has "diff: no semantic change" '^no semantic change$' "$tmp/out"
cp -r "$EX" "$tmp/d/fmt"
sed -i 's/^  conflict two_way  \/\/ most recent change wins$/  conflict two_way/; s/   *<-> / <-> /' "$tmp/d/fmt/syncs.accord"
"$ACCORD" diff "$EX" "$tmp/d/fmt" --fail-on low >"$tmp/out" 2>&1; check "diff: reformat and comments only" 0 $?
has "diff: reformat is no semantic change" '^no semantic change$' "$tmp/out"
"$ACCORD" diff only-one >"$tmp/out" 2>&1; check "diff usage" 2 $?

# (.git is a file in a git worktree: ask git rather than test for the folder)
if command -v git >/dev/null && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  "$ACCORD" diff HEAD..HEAD "$EX" >"$tmp/out" 2>&1; check "diff REV..REV from git" 0 $?
  has "diff from git: same revision" '^no semantic change$' "$tmp/out"
  "$ACCORD" diff no-such-rev..HEAD "$EX" >"$tmp/out" 2>&1; check "diff unknown revision" 2 $?
  has "diff unknown revision: git's reason" "no-such-rev" "$tmp/out"
  # A revision is never an option to git: `git archive --output=FILE` would write FILE.
  for spec in "--output=$tmp/injected..HEAD" "HEAD..--output=$tmp/injected" "--output=$tmp/injected.."; do
    "$ACCORD" diff -- "$spec" "$EX" >"$tmp/out" 2>&1; check "diff: option-like revision $spec" 2 $?
    has "diff: option-like revision is refused by name" "'--output=$tmp/injected' is not a git revision: a revision cannot start with '-'" "$tmp/out"
    if [ -e "$tmp/injected" ]; then echo "FAIL: diff $spec created $tmp/injected"; fail=$((fail + 1)); rm -f "$tmp/injected"; else pass=$((pass + 1)); fi
  done
  "$ACCORD" diff "--output=$tmp/injected..HEAD" "$EX" >"$tmp/out" 2>&1; check "diff --output=..HEAD (as typed)" 2 $?
  if [ -e "$tmp/injected" ]; then echo "FAIL: diff --output=..HEAD created a file"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
  # A path that looks like an option stays a path.
  "$ACCORD" diff -- HEAD..HEAD "--output=$tmp/injected" >"$tmp/out" 2>&1; check "diff: option-like path" 2 $?
  if [ -e "$tmp/injected" ]; then echo "FAIL: diff with an option-like path created a file"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
  "$ACCORD" diff ..HEAD "$EX" >"$tmp/out" 2>&1; check "diff: missing old revision" 2 $?
  has "diff: missing old revision is named" "the old revision is missing" "$tmp/out"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
