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
variant() {  # variant NAME FILE SED_SCRIPT: $tmp/d/NAME, the example with one file edited
  rm -rf "$tmp/d/$1" && mkdir -p "$tmp/d" && cp -r "$EX" "$tmp/d/$1" && sed -i "$3" "$tmp/d/$1/$2"
}
lacks() {  # lacks NAME TEXT FILE
  if grep -qF -- "$2" "$3"; then echo "FAIL: $1: '$2' in output:"; cat "$3"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
}

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
# Company is still mapped (Company <-> company): only a blank company fails the create
has "diff: removed create default is high" '^high .*Lead.Company lost its create default: a Lead created from HubSpot with a blank company will fail REQUIRED_FIELD_MISSING \(Company <-> company fills it otherwise\)' "$tmp/out"
has "diff: table entry change is medium" '^medium .*"Food & Beverage" now maps to "FOOD_PRODUCTION" toward HubSpot \(was "FOOD_BEVERAGES"\)' "$tmp/out"
if grep -q 'FirstName' "$tmp/out"; then echo "FAIL: a reformat showed up in diff"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
"$ACCORD" diff "$tmp/d/old" "$tmp/d/new" --format markdown >"$tmp/out" 2>&1; check "diff markdown" 0 $?
has "diff markdown table" '^\| \*\*high\*\* \| `syncs.accord:[0-9]+` \| sync people: Title: direction widened' "$tmp/out"
"$ACCORD" diff "$tmp/d/old" "$tmp/d/new" --format json >"$tmp/out" 2>&1; check "diff json" 0 $?
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); if(!j.deployable||j.errors.length||!j.changes.some(c=>c.risk==="high"&&/Title/.test(c.message))) process.exit(1)' "$tmp/out"; check "diff json valid with a high change" 0 $?
"$ACCORD" diff "$tmp/d/old" "$tmp/d/new" --fail-on high >"$tmp/out" 2>&1; check "diff --fail-on high" 1 $?
"$ACCORD" diff "$EX" "$EX" >"$tmp/out" 2>&1; check "diff identical" 0 $?
has "diff: no semantic change" '^no semantic change$' "$tmp/out"
cp -r "$EX" "$tmp/d/fmt"
sed -i 's/^  conflict two_way  \/\/ most recent change wins$/  conflict two_way/; s/   *<-> / <-> /' "$tmp/d/fmt/syncs.accord"
"$ACCORD" diff "$EX" "$tmp/d/fmt" --fail-on low >"$tmp/out" 2>&1; check "diff: reformat and comments only" 0 $?
has "diff: reformat is no semantic change" '^no semantic change$' "$tmp/out"
"$ACCORD" diff only-one >"$tmp/out" 2>&1; check "diff usage" 2 $?

# ---- diff: check errors lead the output and block the deploy (exit 3) ----
# Name is read-only (a formula-like field) and Nonexistent__c does not exist
variant bad syncs.accord 's/^  LeadSource     <-> lead_source$/  LeadSource     <-> lead_source\n  Name           <-  full_name\n  Nonexistent__c <-  jobtitle/'
"$ACCORD" check "$tmp/d/bad" >"$tmp/out" 2>&1; check "diff: the broken version does not check" 1 $?
"$ACCORD" diff "$EX" "$tmp/d/bad" >"$tmp/out" 2>&1; check "diff: new version with errors cannot deploy" 3 $?
head -1 "$tmp/out" >"$tmp/first"
has "diff: the first line says the new version cannot deploy" '^the new version does not check \(2 errors\): it cannot deploy' "$tmp/first"
has "diff: the checker's error is shown" 'syncs.accord:21:3: error\[A0301\]: salesforce.Contact.Name is read-only' "$tmp/out"
has "diff: the unknown field is shown" 'error\[A0102\]: salesforce.Contact has no field "Nonexistent__c"' "$tmp/out"
err_line=$(grep -n 'error\[A0301\]' "$tmp/out" | head -1 | cut -d: -f1)
high_line=$(grep -n '^high' "$tmp/out" | head -1 | cut -d: -f1)
if [ -n "$err_line" ] && [ -n "$high_line" ] && [ "$err_line" -lt "$high_line" ]; then pass=$((pass + 1)); else
  echo "FAIL: diff: errors must come before the changes"; cat "$tmp/out"; fail=$((fail + 1)); fi
has "diff: a change on a rule that does not check says so" '^high .*Name: new rule Name <- full_name.*does not check: A0301' "$tmp/out"
"$ACCORD" diff "$EX" "$tmp/d/bad" --format json >"$tmp/out" 2>&1; check "diff json: new version with errors" 3 $?
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
  const k=Object.keys(j); if(k[0]!=="errors"||j.deployable!==false) process.exit(1);
  if(j.errors.length!==2||j.errors[0].version!=="new"||j.errors[0].code!=="A0301"||j.errors[0].line!==21) process.exit(2);
  if(!j.changes.some(c=>/Nonexistent__c/.test(c.message)&&c.does_not_check)) process.exit(3)' "$tmp/out"
check "diff json: errors first, deployable false, changes marked" 0 $?
"$ACCORD" diff "$EX" "$tmp/d/bad" --format markdown >"$tmp/out" 2>&1; check "diff markdown: new version with errors" 3 $?
has "diff markdown: the errors lead" '^\*\*The new version does not check \(2 errors\): it cannot deploy.\*\*' "$tmp/out"
has "diff markdown: an error row" '^\| new \| `syncs.accord:21:3` \| A0301 \| salesforce.Contact.Name is read-only' "$tmp/out"
# --fail-on does not hide it: errors are worse than any risk
"$ACCORD" diff "$EX" "$tmp/d/bad" --fail-on high >"$tmp/out" 2>&1; check "diff --fail-on high: still cannot deploy" 3 $?
# the old version broken, the new one fixed: the errors are shown, the change can deploy
"$ACCORD" diff "$tmp/d/bad" "$EX" >"$tmp/out" 2>&1; check "diff: a fix of a broken version can deploy" 0 $?
has "diff: the old version's errors are named" '^the old version does not check \(2 errors\)' "$tmp/out"
has "diff: old errors shown" 'error\[A0301\]' "$tmp/out"
# a syntax error in the new version: shown, no comparison, cannot deploy
cp -r "$EX" "$tmp/d/syntax"
printf 'sync broken: salesforce.Contact <-> hubspot.contacts {\n  match email\n  FirstName <->\n}\n' >"$tmp/d/syntax/broken.accord"
"$ACCORD" diff "$EX" "$tmp/d/syntax" >"$tmp/out" 2>&1; check "diff: new version does not parse" 3 $?
has "diff: syntax error shown" 'broken.accord:[0-9]+:[0-9]+: error\[A00' "$tmp/out"
"$ACCORD" diff "$tmp/d/syntax" "$EX" >"$tmp/out" 2>&1; check "diff: old version does not parse: nothing to compare" 2 $?
has "diff: old syntax error named" '^the old version does not parse \(1 error\)$' "$tmp/out"
has "diff: no comparison said" '^no comparison: ' "$tmp/out"

# from git: the errors name the revision and the path, never the temporary folder
if command -v git >/dev/null; then
  g="$tmp/repo"
  mkdir -p "$g" && cp -r "$EX" "$g/rules"
  (cd "$g" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm one &&
    cp "$tmp/d/bad/syncs.accord" rules/syncs.accord && git -c user.name=t -c user.email=t@t commit -qam two)
  (cd "$g" && "$ACCORD" diff HEAD~1..HEAD rules) >"$tmp/out" 2>&1; check "diff from git: new revision with errors" 3 $?
  has "diff from git: errors named REV:PATH" '^HEAD:rules/syncs.accord:21:3: error\[A0301\]' "$tmp/out"
  if grep -q 'accord-diff-' "$tmp/out"; then echo "FAIL: diff shows its temporary folder"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
  (cd "$g" && "$ACCORD" diff HEAD~1..HEAD rules --format markdown) >"$tmp/out" 2>&1; check "diff from git: markdown" 3 $?
  has "diff from git: markdown names the file below PATH" '^\| new \| `syncs.accord:21:3` \| A0301 \|' "$tmp/out"
fi

# ---- diff: what each change means, in words that are true ----
# a create default removed from a required field the sync still maps: only blank sources fail
variant lastname syncs.accord '/    LastName = coalesce(lastname, "\[not provided\]")/d'
"$ACCORD" diff "$EX" "$tmp/d/lastname" >"$tmp/out" 2>&1; check "diff: create default removed" 0 $?
has "diff: a mapped required field fails only when blank" '^high .*Lead.LastName lost its create default: a Lead created from HubSpot with a blank lastname will fail REQUIRED_FIELD_MISSING \(LastName <-> lastname fills it otherwise\)' "$tmp/out"
# ... and not mapped at all: every create fails
sed -i '/^  Company    <-> company$/d' "$tmp/d/lastname/syncs.accord"
sed -i '/    Company = coalesce(company, "\[not provided\]")/d' "$tmp/d/lastname/syncs.accord"
"$ACCORD" diff "$EX" "$tmp/d/lastname" >"$tmp/out" 2>&1; check "diff: create default and rule removed (A0305)" 3 $?
has "diff: the checker's A0305 leads" '^/.*syncs.accord:[0-9]+:3: error\[A0305\]: salesforce.Lead.Company is required' "$tmp/out"
has "diff: an unmapped required field fails every create" '^high .*Lead.Company lost its create default: HubSpot-created Leads will fail REQUIRED_FIELD_MISSING$|^high .*Lead.Company lost its create default: HubSpot-created Leads will fail REQUIRED_FIELD_MISSING  \(' "$tmp/out"
# a delete policy: which side's deletions, what they do now and before
variant delete syncs.accord 's/^  conflict prefer salesforce$/  conflict prefer salesforce\n  delete propagate from hubspot/'
"$ACCORD" diff "$EX" "$tmp/d/delete" >"$tmp/out" 2>&1; check "diff: delete policy" 0 $?
has "diff: delete policy in words" '^high .*sync accounts: a HubSpot deletion now deletes the linked Salesforce Account \(delete propagate from hubspot; was keep, the default: the Account stays\)' "$tmp/out"
# a field's own conflict policy removed: it inherits the sync's
variant conflict syncs.accord 's/^  Phone          <-> phone conflict prefer salesforce unless blank$/  Phone          <-> phone/'
"$ACCORD" diff "$EX" "$tmp/d/conflict" >"$tmp/out" 2>&1; check "diff: conflict policy inherited" 0 $?
has "diff: inherited conflict policy is named" "^medium .*sync people: Phone: conflict policy is now two_way, the sync's default \(was prefer salesforce unless blank\)" "$tmp/out"
lacks "diff: no (none) for an inherited policy" '(none)' "$tmp/out"
# a table entry removed where the direction has no else: its values are rejected
variant values values.accord '/^  "Other"              <-> "OTHER"$/d'
"$ACCORD" diff "$EX" "$tmp/d/values" >"$tmp/out" 2>&1; check "diff: table entry removed" 0 $?
has "diff: no else means reject" '^high .*values Industry: "Other" no longer maps toward HubSpot \(was "OTHER"\): no else rule toward HubSpot, so it is rejected \(a PropertyValues sync error\)' "$tmp/out"
has "diff: an explicit else is named" '^high .*values Industry: "OTHER" no longer maps toward Salesforce \(was "Other"\): it falls to else <- reject \(a PropertyValues sync error\)' "$tmp/out"
lacks "diff: no (no else)" '(no else)' "$tmp/out"

# ---- diff --data: the impact of each change, from planning both versions over the same data ----
# 1,234 government agencies in Salesforce, none in HubSpot yet: each would be created with an industry
big="$tmp/big"
mkdir -p "$big/salesforce" "$big/hubspot"
awk 'BEGIN { for (i = 1; i <= 1234; i++) printf "{\"attributes\":{\"type\":\"Account\"},\"Id\":\"0015g%013dAAA\",\"Name\":\"Agency %d\",\"Website\":\"agency%d.example.gov\",\"Industry\":\"Government\",\"IsDeleted\":false,\"SystemModstamp\":\"2026-11-02T09:00:00.000+0000\"}\n", i, i, i }' >"$big/salesforce/Account.jsonl"
variant gov values.accord 's/"Government"         <-> "GOVERNMENT_ADMINISTRATION"/"Government"         <-> "DEFENSE_SPACE"/'
before=$(cd "$big" && find . -type f -exec md5sum {} + | sort)
"$ACCORD" diff "$EX" "$tmp/d/gov" --data "$big" >"$tmp/out" 2>&1; check "diff --data" 0 $?
has "diff --data: the change's impact in records" '^medium .*values Industry: "Government" now maps to "DEFENSE_SPACE" toward HubSpot' "$tmp/out"
has "diff --data: rewrites industry on 1,234 HubSpot companies" '^       impact: sync accounts: rewrites industry on 1,234 HubSpot companies \(1,234 with another value\)$' "$tmp/out"
has "diff --data: a change toward Salesforce touches no record here" '^       impact: no record written differently$' "$tmp/out"
has "diff --data: the total" "^impact over $big \(both versions planned, nothing written\): 1,234 records treated differently$" "$tmp/out"
after=$(cd "$big" && find . -type f -exec md5sum {} + | sort)
if [ "$before" = "$after" ]; then pass=$((pass + 1)); else echo "FAIL: diff --data wrote into the data folder"; fail=$((fail + 1)); fi
# over the example's data: a create rule and a field rule removed
variant nocreate syncs.accord 's/^  create in hubspot  \/\/ a new Salesforce Contact appears in HubSpot$//; /^  LeadSource     <-> lead_source$/d'
"$ACCORD" diff "$EX" "$tmp/d/nocreate" --data "$EX/data" >"$tmp/out" 2>&1; check "diff --data over the example" 0 $?
has "diff --data: fewer creates" '^       impact: create hubspot.contacts: 2 fewer records$' "$tmp/out"
has "diff --data: a removed rule stops writing" '^       impact: stops writing lead_source on 3 HubSpot contacts$' "$tmp/out"
has "diff: a create rule removed, in words" '^medium sync people: create in hubspot removed: Salesforce Contact records without a match are no longer created in HubSpot' "$tmp/out"
# the hubspot side's creates of a sync whose salesforce side has create defaults: the whole sync's impact
variant leadcreate syncs.accord '/^  create in salesforce when/{n;/^  create in hubspot$/d}'
"$ACCORD" diff "$EX" "$tmp/d/leadcreate" --data "$EX/data" >"$tmp/out" 2>&1; check "diff --data: leads create removed" 0 $?
has "diff --data: a sync-level change shows the sync's creates" '^       impact: create hubspot.contacts: 1 fewer record$' "$tmp/out"
"$ACCORD" diff "$EX" "$tmp/d/nocreate" --data "$EX/data" --format json >"$tmp/out" 2>&1; check "diff --data json" 0 $?
node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
  const c=j.changes.find(c=>/LeadSource: rule removed/.test(c.message)); if(!c) process.exit(1);
  const f=c.impact.fields.find(f=>f.field==="lead_source"); if(!f||f.removed!==3||f.system!=="hubspot"||f.object!=="contacts") process.exit(2);
  if(!j.impact||j.impact.records<3||!j.impact.outcomes.some(o=>o.outcome==="create hubspot.contacts"&&o.removed===2)) process.exit(3)' "$tmp/out"
check "diff --data json: impact per change and in total" 0 $?
"$ACCORD" diff "$EX" "$tmp/d/nocreate" --data "$EX/data" --format markdown >"$tmp/out" 2>&1; check "diff --data markdown" 0 $?
has "diff --data markdown: impact in the change's cell" 'LeadSource: rule removed .*<br>impact: stops writing lead_source on 3 HubSpot contacts \|$' "$tmp/out"
# the same state file for both plans; neither writes it
"$ACCORD" run "$EX" --data "$tmp/d/nocreate/data" --state "$tmp/state.db" >/dev/null 2>&1
cp "$tmp/state.db" "$tmp/state.before"
"$ACCORD" diff "$EX" "$tmp/d/nocreate" --data "$EX/data" --state "$tmp/state.db" >"$tmp/out" 2>&1; check "diff --data --state" 0 $?
has "diff --data --state: an impact" '^impact over ' "$tmp/out"
if cmp -s "$tmp/state.db" "$tmp/state.before"; then pass=$((pass + 1)); else echo "FAIL: diff --state changed the state file"; fail=$((fail + 1)); fi
# a version with errors cannot be planned: said, not hidden
"$ACCORD" diff "$EX" "$tmp/d/bad" --data "$EX/data" >"$tmp/out" 2>&1; check "diff --data with errors" 3 $?
has "diff --data with errors: no impact, and why" '^impact over .* not computed: a version with errors cannot be planned$' "$tmp/out"
# where is the data
"$ACCORD" diff "$EX" "$EX" --data "$tmp/nosuch" >"$tmp/out" 2>&1; check "diff --data missing folder" 2 $?
has "diff --data missing folder: named" 'accord diff: --data .*nosuch is not a folder' "$tmp/out"
"$ACCORD" diff "$EX" "$EX" --state "$tmp/state.db" >"$tmp/out" 2>&1; check "diff --state without data" 2 $?
has "diff --state without data: asks where the data is" 'accord diff: where is the data\?' "$tmp/out"
"$ACCORD" diff "$EX" "$EX" --data "$EX/data" >"$tmp/out" 2>&1; check "diff --data, no change" 0 $?
has "diff --data, no change: nothing differs" 'impact over .*: 0 records treated differently$' "$tmp/out"

# --salesforce/--hubspot: the same plans through the APIs of `accord sandbox` on loopback (read only)
if command -v curl >/dev/null && command -v node >/dev/null; then
  "$ACCORD" sandbox --token diff-sandbox-token >"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
  sandbox_pid=$!
  for _ in $(seq 1 100); do grep -q '^hubspot:' "$tmp/sandbox.out" 2>/dev/null && break; sleep 0.1; done
  sf=$(sed -n 's/^salesforce: *\(http[^ ]*\).*/\1/p' "$tmp/sandbox.out")
  hs=$(sed -n 's/^hubspot: *\(http[^ ]*\).*/\1/p' "$tmp/sandbox.out")
  records() {  # the sandbox's records, without its clock and call counters
    for url in "$sf" "$hs"; do
      curl -s -H "Authorization: Bearer diff-sandbox-token" "$url/__sandbox/dump" |
        node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>console.log(JSON.stringify(JSON.parse(t).objects)))'
    done
  }
  before=$(records)
  (cd "$tmp" && ACCORD_SALESFORCE_ACCESS_TOKEN=diff-sandbox-token ACCORD_HUBSPOT_TOKEN=diff-sandbox-token \
    "$ACCORD" diff "$ACCORD_SOURCE_DIR/$EX" "$tmp/d/nocreate" --salesforce "$sf" --hubspot "$hs") >"$tmp/out" 2>&1
  check "diff over the sandbox's APIs" 0 $?
  has "diff over URLs: fewer creates" '^       impact: create hubspot.contacts: 2 fewer records$' "$tmp/out"
  has "diff over URLs: a removed rule stops writing" '^       impact: stops writing lead_source on 3 HubSpot contacts$' "$tmp/out"
  has "diff over URLs: the total names the URLs" "^impact over $sf and $hs \(both versions planned, nothing written\)" "$tmp/out"
  if [ "$before" = "$(records)" ] && [ -n "$before" ]; then pass=$((pass + 1)); else
    echo "FAIL: diff over URLs changed the sandbox's records"; fail=$((fail + 1)); fi
  if [ -e "$tmp/accord-state.db" ]; then echo "FAIL: diff over URLs created a state file"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
  kill "$sandbox_pid" 2>/dev/null; wait "$sandbox_pid" 2>/dev/null
fi

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
