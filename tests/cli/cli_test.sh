#!/usr/bin/env bash
# End-to-end checks of the accord CLI: exit codes, formats, fmt --check.
# Run by CTest with ACCORD (the binary) and ACCORD_SOURCE_DIR set.
set -u
. "$(dirname "$0")/testlib.sh"
cd "$ACCORD_SOURCE_DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
EX=examples/salesforce-hubspot

"$ACCORD" --version >"$tmp/out" 2>&1; check "--version" 0 $?
has "--version prints a version" "accord [0-9]+\.[0-9]+" "$tmp/out"
"$ACCORD" help check >"$tmp/out" 2>&1; check "help check" 0 $?
has "help check explains formats" "--format" "$tmp/out"

# The example checks clean: exit 0 and no diagnostics at all.
"$ACCORD" check "$EX" >"$tmp/out" 2>"$tmp/err"; check "check example" 0 $?
if [ -s "$tmp/out" ] || [ -s "$tmp/err" ]; then echo "FAIL: example produced output:"; cat "$tmp/out" "$tmp/err"; fail=$((fail + 1)); else pass=$((pass + 1)); fi

# A misspelt field: exit 1, caret, did you mean.
mkdir -p "$tmp/bad"
cp -r "$EX/schemas" "$tmp/bad/"
cat >"$tmp/bad/rules.accord" <<'R'
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  conflict two_way
  FirstNme <-> firstname
}
R
"$ACCORD" check "$tmp/bad" >"$tmp/out" 2>&1; check "misspelt field" 1 $?
has "location and code" "rules.accord:4:3: error\[A0102\]" "$tmp/out"
has "caret" "^ *\| *\^~~~~~~~" "$tmp/out"
has "did you mean" "did you mean \"FirstName\"" "$tmp/out"

# JSON and SARIF are valid JSON.
"$ACCORD" check --format json "$tmp/bad" >"$tmp/out.json"; check "json exit" 1 $?
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));if(!Array.isArray(j)||j[0].code!=="A0102"||j[0].line!==4)process.exit(1)' "$tmp/out.json"
check "json valid" 0 $?
"$ACCORD" check --format sarif "$tmp/bad" >"$tmp/out.sarif"; check "sarif exit" 1 $?
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));if(j.version!=="2.1.0"||j.runs[0].results[0].ruleId!=="A0102")process.exit(1)' "$tmp/out.sarif"
check "sarif valid" 0 $?
"$ACCORD" check --format json "$EX" >"$tmp/out.json"; check "json clean exit" 0 $?
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));if(j.length!==0)process.exit(1)' "$tmp/out.json"
check "json clean is []" 0 $?

# Warnings: exit 0, unless --warnings-as-errors.
cat >"$tmp/bad/rules.accord" <<'R'
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  conflict two_way
  Email <-> email blank clear
}
R
"$ACCORD" check "$tmp/bad" >/dev/null 2>&1; check "warning only" 0 $?
"$ACCORD" check --warnings-as-errors "$tmp/bad" >/dev/null 2>&1; check "--warnings-as-errors" 1 $?

# Usage and I/O failures: exit 2.
"$ACCORD" check /nonexistent/path >/dev/null 2>&1; check "missing path" 2 $?
"$ACCORD" check --format xml "$EX" >/dev/null 2>&1; check "bad format" 2 $?
"$ACCORD" frobnicate >/dev/null 2>&1; check "unknown verb" 2 $?

# An unreadable file among readable ones: A0007 and the rest is still checked.
if [ "$(id -u)" != 0 ]; then
  cp "$tmp/bad/rules.accord" "$tmp/bad/locked.accord"; chmod 000 "$tmp/bad/locked.accord"
  "$ACCORD" check "$tmp/bad" >"$tmp/out" 2>&1; check "unreadable file" 1 $?
  has "A0007" "A0007" "$tmp/out"
  rm -f "$tmp/bad/locked.accord"
fi
# A malformed schema file: A0901, and the other schemas still load.
mkdir -p "$tmp/schema"; cp -r "$EX/schemas" "$tmp/schema/"
printf '{"name": "Broken", "fields": [' >"$tmp/schema/schemas/salesforce/Broken.json"
printf 'sync people: salesforce.Contact <-> hubspot.contacts {\n  match email\n  conflict two_way\n  Email <-> email\n}\n' >"$tmp/schema/r.accord"
"$ACCORD" check "$tmp/schema" >"$tmp/out" 2>&1; check "bad schema" 1 $?
has "A0901" "Broken.json.*error\[A0901\]" "$tmp/out"

# Bad input never crashes: binary, invalid UTF-8, a 50 MB file, deep nesting, empty.
mkdir -p "$tmp/in"
head -c 4096 /dev/urandom >"$tmp/in/binary.accord"
printf 'sync \xff\xfe x' >"$tmp/in/latin.accord"
: >"$tmp/in/empty.accord"
python3 -c "print('(' * 10000 + '1' + ')' * 10000)" >"$tmp/in/deep.accord"
head -c 52428800 /dev/zero | tr '\0' 'a' >"$tmp/in/big.accord"
for f in binary latin empty deep big; do
  timeout 60 "$ACCORD" check "$tmp/in/$f.accord" >"$tmp/out" 2>&1; rc=$?
  if [ "$f" = empty ]; then check "bad input $f" 0 $rc; else check "bad input $f" 1 $rc; fi
done

# Unary operators count toward --max-nesting (issue 13): 20,000 and 200,000 '!' or '-' in a row
# segfaulted check, fmt and eval (the AST was that deep and every later pass recursed over it).
mkdir -p "$tmp/unary"
cp -r "$EX/schemas" "$tmp/unary/"
for n in 20000 200000; do
  for op in '!' '-'; do
    python3 -c "import sys; print('sync s: salesforce.Contact <-> hubspot.contacts {\n  match email\n  scope salesforce: ' + sys.argv[1] * int(sys.argv[2]) + 'true\n}')" "$op" "$n" >"$tmp/unary/deep.accord"
    timeout 60 "$ACCORD" check "$tmp/unary" >"$tmp/out" 2>&1; check "check $n x '$op'" 1 $?
    has "check $n x '$op' is A0003" "deep.accord:3:.*error\[A0003\]" "$tmp/out"
    timeout 60 "$ACCORD" fmt --stdout "$tmp/unary/deep.accord" >"$tmp/out" 2>&1; check "fmt $n x '$op'" 1 $?
    has "fmt $n x '$op' is A0003" "error\[A0003\]" "$tmp/out"
    # (one argument is at most 128 KiB)
    timeout 60 "$ACCORD" eval "$(python3 -c "import sys; print(sys.argv[1] * min(int(sys.argv[2]), 100000) + 'true')" "$op" "$n")" >"$tmp/out" 2>&1
    check "eval $n x '$op'" 1 $?
    has "eval $n x '$op' is A0003" "error\[A0003\]" "$tmp/out"
  done
done
rm "$tmp/unary/deep.accord"
# At the largest --max-nesting every pass still fits the stack; beyond it and below 1 is a usage error.
python3 -c "
e = 'Email == \"x\"'
for i in range(330):
    e = '!(' + e + ')' if i % 2 else '[' + e + '].exists(q, q)'
print('sync s: salesforce.Contact -> hubspot.contacts {\n  match email\n  scope salesforce: ' + e + '\n  Email -> email\n}')" >"$tmp/unary/deep.accord"
"$ACCORD" check --max-nesting 1000 "$tmp/unary" >"$tmp/out" 2>&1; check "check at --max-nesting 1000" 0 $?
"$ACCORD" check "$tmp/unary" >"$tmp/out" 2>&1; check "the same at the default limit" 1 $?
has "the same at the default limit is A0003" "error\[A0003\]" "$tmp/out"
rm "$tmp/unary/deep.accord"
for n in -5 0 1001; do
  "$ACCORD" check --max-nesting "$n" "$EX" >"$tmp/out" 2>&1; check "--max-nesting $n refused" 2 $?
  has "--max-nesting $n says the range" "max-nesting.*1 - 1000|1 to 1000|range" "$tmp/out"
done
for o in --max-errors --max-source-bytes; do
  "$ACCORD" check "$o" -5 "$EX" >"$tmp/out" 2>&1; check "$o -5 refused" 2 $?
  has "$o -5 says why" "$o.*(positive|-5)" "$tmp/out"
done

# A byte order mark takes no column, lone-CR line ends count as lines, in text, JSON and SARIF
# (the mark shifted every column by one; CR-only files put everything on line 1).
mkdir -p "$tmp/enc"
cp -r "$EX/schemas" "$tmp/enc/"
printf '\xef\xbb\xbfsync s: salesforce.Contact <-> hubspot.contacts {\r  match email\r  conflict two_way\r  FirstNme <-> firstname\r}\r' >"$tmp/enc/r.accord"
"$ACCORD" check "$tmp/enc" >"$tmp/out" 2>&1; check "bom + cr check" 1 $?
has "bom + cr: text line and column" "r.accord:4:3: error\[A0102\]" "$tmp/out"
"$ACCORD" check --format json "$tmp/enc" >"$tmp/out.json"
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));if(j[0].line!==4||j[0].column!==3)process.exit(1)' "$tmp/out.json"
check "bom + cr: json line and column" 0 $?
"$ACCORD" check --format sarif "$tmp/enc" >"$tmp/out.sarif"
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1])).runs[0].results[0].locations[0].physicalLocation.region;if(r.startLine!==4||r.startColumn!==3)process.exit(1)' "$tmp/out.sarif"
check "bom + cr: sarif line and column" 0 $?
# `accord fmt` keeps CRLF line ends and the byte order mark (it turned CRLF into LF and dropped it).
printf '\xef\xbb\xbfsync s: salesforce.Contact <-> hubspot.contacts {\r\nmatch email\r\n  conflict two_way\r\n  Email <-> email\r\n}\r\n' >"$tmp/enc/r.accord"
"$ACCORD" fmt "$tmp/enc/r.accord" >/dev/null 2>&1; check "fmt crlf + bom" 0 $?
printf '\xef\xbb\xbfsync s: salesforce.Contact <-> hubspot.contacts {\r\n  match email\r\n  conflict two_way\r\n  Email <-> email\r\n}\r\n' >"$tmp/enc/want"
cmp -s "$tmp/enc/r.accord" "$tmp/enc/want"; check "fmt keeps crlf and the mark" 0 $?
"$ACCORD" fmt --check "$tmp/enc/r.accord" >/dev/null 2>&1; check "fmt --check on a formatted crlf file" 0 $?
# Malformed schema JSON is reported where it goes wrong, not at 1:1.
mkdir -p "$tmp/badjson/schemas/salesforce"
cp -r "$EX/schemas/hubspot" "$tmp/badjson/schemas/"
printf '{\n  "name": "Contact",\n  "fields": [\n    {"name": "Email", "type": "email",}\n  ]\n}\n' >"$tmp/badjson/schemas/salesforce/Contact.json"
printf 'sync s: salesforce.Contact -> hubspot.contacts {\n  match email\n  Email -> email\n}\n' >"$tmp/badjson/r.accord"
"$ACCORD" check "$tmp/badjson" >"$tmp/out" 2>&1; check "malformed schema" 1 $?
has "malformed schema at its line and column" "Contact.json:4:39: error\[A0901\]: malformed JSON" "$tmp/out"

# A line that starts with '[' is a new rule (issue 13); `fmt --legacy-lines` keeps the old reading.
mkdir -p "$tmp/lines"
cp -r "$EX/schemas" "$tmp/lines/"
printf 'sync accounts: salesforce.Account -> hubspot.companies {\n  match domain\n  Website -> website\n  ["x"][0] -> description\n}\n' >"$tmp/lines/r.accord"
"$ACCORD" check "$tmp/lines" >"$tmp/out" 2>&1; check "a line starting with [ is a new rule" 0 $?
"$ACCORD" fmt --legacy-lines --stdout "$tmp/lines/r.accord" >"$tmp/out" 2>&1; check "fmt --legacy-lines" 0 $?
has "fmt --legacy-lines keeps the old meaning" 'Website -> website\["x"\];' "$tmp/out"

# An expression may start with '-' (issue 13): it is not an option.
"$ACCORD" eval '-(42)' >"$tmp/out" 2>&1; check "eval '-(42)'" 0 $?
has "eval '-(42)' value" "^-42 : int" "$tmp/out"
"$ACCORD" eval --engine jit '-1 + 3' >"$tmp/out" 2>&1; check "eval option then '-1 + 3'" 0 $?
has "eval '-1 + 3' value" "^2 : int" "$tmp/out"
"$ACCORD" eval '-[1][0]' --engine interp >"$tmp/out" 2>&1; check "eval '-[1][0]' then an option" 0 $?
"$ACCORD" eval -- '-(42)' >"$tmp/out" 2>&1; check "eval -- '-(42)'" 0 $?
"$ACCORD" eval --no-such-option 1 >"$tmp/out" 2>&1; check "eval unknown option" 2 $?

# A folder named *.accord inside a searched folder is A0007, not silently skipped.
mkdir -p "$tmp/dirs/x.accord"
"$ACCORD" check "$tmp/dirs" >"$tmp/out" 2>&1; check "folder named x.accord" 1 $?
has "folder named x.accord is A0007" "x.accord:1:1: error\[A0007\].*folder" "$tmp/out"

# fmt --check: the examples are formatted; an unformatted file is listed, exit 1.
"$ACCORD" fmt --check examples >"$tmp/out" 2>&1; check "fmt --check examples" 0 $?
mkdir -p "$tmp/fmt"
printf 'sync   people :salesforce.Contact<->hubspot.contacts{match email\nconflict two_way\nEmail<->email}\n' >"$tmp/fmt/a.accord"
"$ACCORD" fmt --check "$tmp/fmt" >"$tmp/out" 2>&1; check "fmt --check unformatted" 1 $?
has "lists the file" "a.accord" "$tmp/out"
"$ACCORD" fmt "$tmp/fmt" >/dev/null 2>&1; check "fmt in place" 0 $?
"$ACCORD" fmt --check "$tmp/fmt" >/dev/null 2>&1; check "fmt idempotent" 0 $?
printf 'sync s: salesforce.Contact <-> hubspot.contacts {\n  Email <-> email with 99999999999999999999\n}\n' >"$tmp/fmt/b.accord"
cp "$tmp/fmt/b.accord" "$tmp/fmt/b.orig"
"$ACCORD" fmt "$tmp/fmt" >/dev/null 2>&1; check "fmt refuses files with errors" 1 $?
cmp -s "$tmp/fmt/b.accord" "$tmp/fmt/b.orig"; check "file with errors left alone" 0 $?

# functions: the standard library from stdlib/functions.def.
"$ACCORD" functions >"$tmp/out" 2>&1; check "functions" 0 $?
has "functions lists sections" "^== CEL standard ==" "$tmp/out"
has "functions lists signatures" "^  string.lowerAscii\(\) -> string" "$tmp/out"
"$ACCORD" functions coalesce >"$tmp/out" 2>&1; check "functions NAME" 0 $?
has "functions NAME shows the overloads" "coalesce\(A, A\) -> A" "$tmp/out"
if grep -q "lowerAscii" "$tmp/out"; then echo "FAIL: functions coalesce lists other functions"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
"$ACCORD" functions lowerAsci >"$tmp/out" 2>&1; check "functions unknown name" 1 $?
has "functions suggests" "did you mean \"lowerAscii\"" "$tmp/out"
"$ACCORD" functions exists >"$tmp/out" 2>&1; check "functions macro" 1 $?
has "functions names macros" "macro" "$tmp/out"
"$ACCORD" functions --format markdown >"$tmp/out.md" 2>&1; check "functions markdown" 0 $?
[ "$(head -n 1 "$tmp/out.md")" = "# Standard library" ]; check "markdown starts with a heading" 0 $?
has "markdown has tables" "^\| \`size\(string\) -> int\` \|" "$tmp/out.md"
"$ACCORD" functions --format html >/dev/null 2>&1; check "functions bad format" 2 $?

# ---- eval, compile, map (the back end end to end) ----
"$ACCORD" eval '1 + 2 * 3' >"$tmp/out" 2>&1; check "eval value" 0 $?
has "eval prints value and type" '^7 : int$' "$tmp/out"
"$ACCORD" eval '9223372036854775807 + 1' --engine jit >"$tmp/out" 2>&1; check "eval runtime error" 1 $?
has "eval error has a location and a code" 'error at <expr>:1:1: integer overflow.*\(overflow\)' "$tmp/out"
"$ACCORD" eval 'lowerAscii(' >"$tmp/out" 2>&1; check "eval syntax error" 1 $?
"$ACCORD" eval 'nosuchfn(1)' >"$tmp/out" 2>&1; check "eval unknown function" 1 $?
has "eval suggests nothing wrong-typed" 'unknown function' "$tmp/out"
echo '{"Id":"003X","FirstName":"Ada","Email":"  ADA@Example.com "}' >"$tmp/rec.json"
"$ACCORD" eval 'normalizeEmail(Email) + "/" + FirstName' --object salesforce.Contact --rules "$EX" --record "$tmp/rec.json" >"$tmp/out" 2>&1
check "eval with a record" 0 $?
has "eval reads record fields" '^"ada@example.com/Ada" : string$' "$tmp/out"
for emit in ast ir llvm asm; do
  "$ACCORD" compile "$EX" --sync accounts --emit $emit >"$tmp/out" 2>&1; check "compile --emit $emit" 0 $?
done
has "asm output" 'accord_program' "$tmp/out"
"$ACCORD" compile "$EX" --sync nosuch --emit ir >"$tmp/out" 2>&1; check "compile unknown sync" 2 $?
# map: in-scope records written, out-of-scope dropped, identical under both engines
for engine in interp jit auto; do
  "$ACCORD" map "$EX" --sync people --to hubspot --engine $engine <"$EX/data/salesforce/Contact.jsonl" >"$tmp/map-$engine" 2>"$tmp/err"
  check "map --engine $engine" 0 $?
done
cmp -s "$tmp/map-interp" "$tmp/map-jit"; check "map: interp and jit outputs identical" 0 $?
cmp -s "$tmp/map-interp" "$tmp/map-auto"; check "map: interp and auto outputs identical" 0 $?
has "map lower-cases email" '"email":"ada.lovelace@example.com"' "$tmp/map-jit"
[ "$(wc -l <"$tmp/map-jit")" = 3 ]; check "map drops the 2 out-of-scope records" 0 $?
# a rejected value and a malformed line: errors on stderr as JSON lines, the rest still written, exit 1
mkdir -p "$tmp/rej/schemas"
cp -r "$EX/schemas/." "$tmp/rej/schemas/"
cat >"$tmp/rej/rules.accord" <<'R'
values Ind: salesforce.Account.Industry -> hubspot.companies.industry {
  "Banking" -> "BANKING"
  else -> reject
}
sync a: salesforce.Account -> hubspot.companies {
  match domain
  Name -> name
  Industry -> industry via Ind
}
R
printf '%s\n' '{"Id":"001A","Name":"Acme","Industry":"Banking"}' 'not json' '{"Id":"001B","Name":"Bolt","Industry":"Mining"}' >"$tmp/acc.jsonl"
"$ACCORD" map "$tmp/rej" --sync a --to hubspot <"$tmp/acc.jsonl" >"$tmp/out" 2>"$tmp/err"; check "map with bad records" 1 $?
has "good record written" '"id":"001A","properties":\{"name":"Acme","industry":"BANKING"\}' "$tmp/out"
has "malformed line reported" '"line":2,.*"category":"Malformed"' "$tmp/err"
has "rejected value reported with rule and record" '"id":"001B".*"category":"PropertyValues".*"rule":".*rules.accord:8:3".*"field":"industry"' "$tmp/err"
node -e 'require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").forEach(l=>JSON.parse(l))' "$tmp/err"; check "map errors are JSON lines" 0 $?
[ "$(wc -l <"$tmp/out")" = 1 ]; check "map writes nothing for a record with a rule error" 0 $?
"$ACCORD" map "$EX" --sync nosuch --to hubspot </dev/null >"$tmp/out" 2>&1; check "map unknown sync" 2 $?
"$ACCORD" map "$EX" --sync deals --to salesforce </dev/null >"$tmp/out" 2>&1; check "map against the sync direction" 2 $?

# ---- graph ----
"$ACCORD" graph "$EX" >"$tmp/out" 2>&1; check "graph dot" 0 $?
has "graph is DOT" '^digraph accord' "$tmp/out"
has "graph draws a two-way rule" 's0_sf:"FirstName" -> s0_hs:"firstname" \[dir=both' "$tmp/out"
has "graph draws the lifecycle chain" 'lifecycle hubspot.contacts.lifecyclestage' "$tmp/out"
"$ACCORD" graph "$EX" --sync nosuch >"$tmp/out" 2>&1; check "graph unknown sync" 2 $?
if command -v dot >/dev/null; then
  "$ACCORD" graph "$EX" --sync accounts --format svg >"$tmp/out" 2>&1; check "graph svg" 0 $?
  has "graph svg is SVG" '<svg' "$tmp/out"
fi

# ---- the sync engine: test, plan, run, errors, retry ----
"$ACCORD" test "$EX" >"$tmp/out" 2>&1; check "test example" 0 $?
has "test: summary line" '^[0-9]+ passed, 0 failed$' "$tmp/out"
mkdir -p "$tmp/t"
cp -r "$EX/schemas" "$EX"/*.accord "$tmp/t/"
sed -i 's/Phone          <-> phone conflict prefer salesforce unless blank/Phone <-> phone conflict prefer hubspot/' "$tmp/t/syncs.accord"
"$ACCORD" test "$tmp/t" >"$tmp/out" 2>&1; check "test: a changed policy fails its test" 1 $?
has "test: failing test with its location" '^FAIL .*/t/tests.accord:[0-9]+:1: prefer salesforce unless blank: Salesforce wins a phone conflict' "$tmp/out"
has "test: failure summary" '^[0-9]+ passed, 1 failed$' "$tmp/out"
cp -r "$EX/data" "$tmp/data"
( cd "$tmp/data" && find . -type f | sort | xargs md5sum ) >"$tmp/before"
"$ACCORD" plan "$EX" --data "$tmp/data" >"$tmp/out" 2>&1; check "plan exits 1 when records would error" 1 $?
has "plan: a create with its fields" '^  create hubspot.contacts \(from salesforce 0035g00000AbCdEAA1' "$tmp/out"
has "plan: field old -> new with its rule" 'name: "Analytical Engines" -> "Analytical Engines Ltd"  \[examples/salesforce-hubspot/syncs.accord:[0-9]+:3\]' "$tmp/out"
has "plan: a conflict with the winning policy and the time that decided" '^  conflict \(.*\): two_way: the more recent change \(hubspot, by its record.s time ' "$tmp/out"
has "plan: a quarantined record" '^  error Duplicates .*blank domain match key' "$tmp/out"
has "plan: lifecycle trigger" 'lifecyclestage: null -> "customer"  \[when Opportunity.StageName becomes "Closed Won"\]' "$tmp/out"
has "plan: projected API calls" '^projected API calls: salesforce [0-9]+ \([0-9]+ writes\), hubspot [0-9]+' "$tmp/out"
( cd "$tmp/data" && find . -type f | sort | xargs md5sum ) >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after"; check "plan writes nothing (no data change, no state file)" 0 $?
"$ACCORD" plan "$EX" --data "$tmp/data" --format json >"$tmp/out" 2>/dev/null
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); if(!j.events.some(e=>e.kind==="create")||!j.api_calls.hubspot.writes) process.exit(1)' "$tmp/out"; check "plan json" 0 $?
# --timings: every phase of the pass on stderr, with its wall and CPU time and the peak memory (not the figures)
"$ACCORD" plan "$EX" --data "$tmp/data" --timings >/dev/null 2>"$tmp/err"
for phase in "load rules" compile read match reconcile write state other; do
  has "plan --timings: $phase" "^$phase +[0-9.]+ ms  \(cpu +[0-9.]+ ms, peak memory +[0-9.]+ MB\)$" "$tmp/err"
done
cp -r "$tmp/data" "$tmp/data-timings"
"$ACCORD" run "$EX" --data "$tmp/data-timings" --timings >/dev/null 2>"$tmp/err"
for phase in "load rules" compile read match reconcile write state other; do
  has "run --timings: $phase" "^$phase +[0-9.]+ ms  \(cpu +[0-9.]+ ms, peak memory +[0-9.]+ MB\)$" "$tmp/err"
done
"$ACCORD" run "$EX" --data "$tmp/data-timings" >/dev/null 2>"$tmp/err"
! grep -q " ms  (cpu" "$tmp/err"; check "run without --timings prints no timings" 0 $?
"$ACCORD" run "$EX" --data "$tmp/data" >"$tmp/out" 2>&1; check "run exits 1 with logged errors" 1 $?
has "run: summary" '^total: 7 created, [0-9]+ updated, 3 linked, 2 conflicts, 1 errors \(Duplicates 1\)' "$tmp/out"
has "run: api calls" '^api calls: salesforce [0-9]+ reads \+ [0-9]+ writes, hubspot' "$tmp/out"
"$ACCORD" run "$EX" --data "$tmp/data" >"$tmp/out" 2>&1
has "run again: nothing to write (echo suppression)" '^total: 0 created, 0 updated, 0 linked, 0 conflicts' "$tmp/out"
"$ACCORD" errors --data "$tmp/data" >"$tmp/out" 2>&1; check "errors" 0 $?
has "errors: the quarantined account" '^Duplicates  accounts  salesforce 0015g00000XyZcAAA1' "$tmp/out"
"$ACCORD" errors --data "$tmp/data" --format csv --category Duplicates >"$tmp/out" 2>&1; check "errors csv" 0 $?
has "errors csv header" '^id,sync,category,rule,salesforce_id,hubspot_id,attempts,permanent,message,note$' "$tmp/out"
"$ACCORD" errors --data "$tmp/data" --format json >"$tmp/out" 2>&1
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); if(j.length!==1||j[0].category!=="Duplicates") process.exit(1)' "$tmp/out"; check "errors json (errors only)" 0 $?
"$ACCORD" errors --data "$tmp/data" >"$tmp/out" 2>&1
has "errors: points to the notes" '^1 error; 1 note \(decisions to review\): accord errors --notes$' "$tmp/out"
"$ACCORD" errors --data "$tmp/data" --notes >"$tmp/out" 2>&1; check "errors --notes" 0 $?
has "errors --notes: a conflict the record's time decided" '^note RecordTime  people  salesforce .* \(nothing waits\)$' "$tmp/out"
"$ACCORD" errors --data "$tmp/data" --notes --format json >"$tmp/out" 2>&1
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); if(j.length!==1||!j[0].note||j[0].category!=="RecordTime") process.exit(1)' "$tmp/out"; check "errors --notes json" 0 $?
"$ACCORD" errors --data "$tmp/data" --clear-notes >"$tmp/out" 2>&1; check "errors --clear-notes" 0 $?
has "errors --clear-notes: says how many" '^1 note cleared$' "$tmp/out"
"$ACCORD" errors --data "$tmp/data" >"$tmp/out" 2>&1
has "errors: notes cleared, the error stays" '^1 error$' "$tmp/out"
"$ACCORD" retry --data "$tmp/data" >"$tmp/out" 2>&1; check "retry" 0 $?
has "retry: requeued" '^1 error requeued' "$tmp/out"
"$ACCORD" errors --state "$tmp/nope.db" >"$tmp/out" 2>&1; check "errors without a state file" 2 $?
"$ACCORD" run "$EX" --data "$tmp/no-such-dir" >"$tmp/out" 2>&1; check "run: missing data folder" 2 $?
python3 -c 'import fcntl,sys,time; f=open(sys.argv[1],"w"); fcntl.flock(f,fcntl.LOCK_EX); open(sys.argv[2],"w").close(); time.sleep(5)' "$tmp/data/accord-state.db.lock" "$tmp/locked" &
lockpid=$!
for _ in $(seq 50); do [ -e "$tmp/locked" ] && break; sleep 0.1; done
"$ACCORD" run "$EX" --data "$tmp/data" >"$tmp/out" 2>&1; check "run: another run holds the state" 2 $?
has "run: says another process uses the state" 'another accord process is using .*accord-state.db' "$tmp/out"
kill $lockpid 2>/dev/null; wait $lockpid 2>/dev/null
echo "not sqlite" >"$tmp/bad.db"
"$ACCORD" run "$EX" --data "$tmp/data" --state "$tmp/bad.db" >"$tmp/out" 2>&1; check "run: a non-database state file" 2 $?

# Remote runs: usage and credential errors are clear and never reach the network.
"$ACCORD" run "$EX" >"$tmp/out" 2>&1; check "run: no data and no URLs" 2 $?
has "run: says where the data comes from" 'where is the data\? --data DIR .* --salesforce URL --hubspot URL' "$tmp/out"
"$ACCORD" run "$EX" --data "$tmp/data" --salesforce http://127.0.0.1:9 --hubspot http://127.0.0.1:9 >"$tmp/out" 2>&1
check "run: --data with URLs" 2 $?
"$ACCORD" run "$EX" --salesforce http://127.0.0.1:9 >"$tmp/out" 2>&1; check "run: one system only" 2 $?
has "run: both systems needed" 'needs both systems' "$tmp/out"
env -u ACCORD_SALESFORCE_ACCESS_TOKEN -u ACCORD_SALESFORCE_REFRESH_TOKEN -u ACCORD_SALESFORCE_PRIVATE_KEY_FILE \
  "$ACCORD" run "$EX" --salesforce http://127.0.0.1:9 --hubspot http://127.0.0.1:9 --state "$tmp/r.db" >"$tmp/out" 2>&1
check "run: no Salesforce credentials" 2 $?
has "run: names the credential variables" 'no Salesforce credentials: set ACCORD_SALESFORCE_ACCESS_TOKEN' "$tmp/out"
echo '{"salesforce": "not an object"}' >"$tmp/creds.json"
"$ACCORD" run "$EX" --salesforce http://127.0.0.1:9 --hubspot http://127.0.0.1:9 --credentials "$tmp/creds.json" \
  --state "$tmp/r.db" >"$tmp/out" 2>&1; check "run: a malformed credentials file" 2 $?
has "run: credentials file shape" '"salesforce" must be an object' "$tmp/out"
printf '{"salesforce": {"access_token": "cli-test-Secret-5f2e"}, "hubspot": {"token": "cli-test-Secret-5f2e"}}' >"$tmp/creds.json"
chmod 600 "$tmp/creds.json"
# port 9 (discard) on loopback: nothing listens, the connection is refused at once
"$ACCORD" run "$EX" --salesforce http://127.0.0.1:9 --hubspot http://127.0.0.1:9 --credentials "$tmp/creds.json" \
  --state "$tmp/r.db" --verbose >"$tmp/out" 2>&1; check "run: unreachable API" 2 $?
has "run: unreachable API says which" '^accord run: (salesforce|hubspot|Salesforce|HubSpot)[: ]' "$tmp/out"
if grep -q 'cli-test-Secret-5f2e' "$tmp/out"; then echo "FAIL: run: the token leaked: $(cat "$tmp/out")"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
"$ACCORD" schema pull --out "$tmp/schemas" >"$tmp/out" 2>&1; check "schema pull: no system" 2 $?
"$ACCORD" schema pull --hubspot http://127.0.0.1:9 --credentials "$tmp/creds.json" >"$tmp/out" 2>&1
check "schema pull: no --out" 2 $?

# Bad records in a data folder (issue 12, defect 9): a line nested 100,000 deep (it crashed the run
# with SIGSEGV) and a value of the wrong JSON type (it was coerced) are logged with their record
# ids and file:line; the run finishes and syncs the records around them.
cp -r "$EX/data" "$tmp/bad-data"
python3 - "$tmp/bad-data/salesforce/Contact.jsonl" <<'PY'
import sys
deep = "[" * 100000 + "]" * 100000
with open(sys.argv[1], "a") as f:
    f.write('{"Id":"0035g00000DeEpXAA1","LastName":"Deep","Email":"deep@example.com","Title":' + deep + '}\n')
    f.write('{"Id":"0035g00000TyPeXAA1","LastName":"Typed","Email":42}\n')
    f.write('{"Id":"0035g00000LaTeXAA1","LastName":"After","Email":"after@example.com","IsDeleted":false}\n')
PY
"$ACCORD" run "$EX" --data "$tmp/bad-data" >"$tmp/out" 2>&1; check "run: bad records are logged, the run ends normally" 1 $?
has "run: the bad records are counted" '^total: .* errors \(Duplicates 1, Transport 2\)' "$tmp/out"
has "run: the record after them is synced" '"email":"after@example.com"' "$tmp/bad-data/hubspot/contacts.jsonl"
"$ACCORD" errors --data "$tmp/bad-data" >"$tmp/out" 2>&1; check "errors after bad records" 0 $?
has "errors: the deep record by id" 'salesforce 0035g00000DeEpXAA1' "$tmp/out"
has "errors: the deep record's line" 'Contact.jsonl:6: record 0035g00000DeEpXAA1 is nested deeper than 32 levels' "$tmp/out"
has "errors: the wrong-typed value" 'Contact.jsonl:7: record 0035g00000TyPeXAA1: Email is a number \(42\) where Salesforce sends a string' "$tmp/out"
if grep -q 'deep@example.com\|"email":"42"' "$tmp/bad-data/hubspot/contacts.jsonl"; then
  echo "FAIL: a bad record was synced"; fail=$((fail + 1)); else pass=$((pass + 1)); fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
