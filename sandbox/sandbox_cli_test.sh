#!/usr/bin/env bash
# `accord sandbox` end to end: starts it on free ports, talks to both APIs with
# curl, stops it with SIGTERM (and SIGINT) and checks a clean exit.
# Run by CTest with ACCORD (the binary) and ACCORD_SOURCE_DIR set.
set -u
fail=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok; else bad "$1 (got '$3', want '$2')"; fi
}
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME ARGS...: runs accord sandbox in the background and waits for its banner
start() {
  # The previous run's banner must not be mistaken for this one's: the background shell may not
  # have truncated the file yet when the loop first reads it, and a SIGINT sent before accord
  # blocks it is lost (a non-interactive shell starts background jobs with SIGINT ignored).
  rm -f "$tmp/out" "$tmp/err"
  "$ACCORD" sandbox "$@" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q '^token:' "$tmp/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  SF=$(sed -n 's/^salesforce: *\([^ ]*\).*/\1/p' "$tmp/out")
  HS=$(sed -n 's/^hubspot: *\([^ ]*\).*/\1/p' "$tmp/out")
  TOKEN=$(sed -n 's/^token: *\([^ ]*\).*/\1/p' "$tmp/out")
}

# stop SIGNAL: sends the signal and waits for the exit code
stop() {
  kill -"$1" "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then bad "did not stop on SIG$1"; kill -KILL "$pid"; fi
  wait "$pid"
  rc=$?
  pid=""
}

start --token cli-secret
case "$SF" in http://127.0.0.1:*) ok ;; *) bad "no Salesforce URL in: $(cat "$tmp/out" "$tmp/err")" ;; esac
case "$HS" in http://127.0.0.1:*) ok ;; *) bad "no HubSpot URL" ;; esac
check "token printed" cli-secret "$TOKEN"

code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  "$SF/services/data/v59.0/query?q=SELECT+Id,LastName+FROM+Contact+ORDER+BY+LastName")
check "salesforce query" 200 "$code"
grep -q '"LastName":"Hopper"' "$tmp/body" && ok || bad "query body: $(cat "$tmp/body")"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$SF/services/data/v59.0/sobjects")
check "salesforce without token" 401 "$code"
grep -q INVALID_SESSION_ID "$tmp/body" && ok || bad "401 body: $(cat "$tmp/body")"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"properties":{"email":"cli@example.com","firstname":"Cli"}}' "$HS/crm/v3/objects/contacts")
check "hubspot create" 201 "$code"
grep -q '"email":"cli@example.com"' "$tmp/body" && ok || bad "create body: $(cat "$tmp/body")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{not json' "$HS/crm/v3/objects/contacts")
check "hubspot malformed body" 400 "$code"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$HS/__sandbox/dump")
check "dump without the token" 401 "$code"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Origin: http://evil.example' "$HS/__sandbox/dump")
check "dump from another origin" 403 "$code"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$HS/__sandbox/dump")
check "dump" 200 "$code"
grep -q 'cli@example.com' "$tmp/body" && ok || bad "dump lacks the new contact"

stop TERM
check "SIGTERM exit code" 0 "$rc"
grep -q 'stopped (SIGTERM)' "$tmp/out" && ok || bad "no stop message: $(cat "$tmp/out")"
if curl -s -o /dev/null "$SF/services/data" 2>/dev/null; then bad "still serving after stop"; else ok; fi

# Fixed ports, SIGINT.
start --port-salesforce 0 --port-hubspot 0
stop INT
check "SIGINT exit code" 0 "$rc"

# --state FILE: what one run writes, the next run finds.
start --state "$tmp/state.db"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"LastName":"Stateful"}' "$SF/services/data/v59.0/sobjects/Contact")
check "create with state file" 201 "$code"
id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$tmp/body")
stop TERM
start --state "$tmp/state.db"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$SF/services/data/v59.0/sobjects/Contact/$id")
check "record kept across runs" 200 "$code"
grep -q '"LastName":"Stateful"' "$tmp/body" && ok || bad "state body: $(cat "$tmp/body")"
stop TERM

# A seed folder that does not exist: exit 2 and a message.
"$ACCORD" sandbox --seed /nonexistent/seed >"$tmp/out" 2>"$tmp/err"
check "missing seed exit code" 2 "$?"
grep -q 'does not exist' "$tmp/err" && ok || bad "missing seed message: $(cat "$tmp/err")"

# A port that is taken: exit 2.
start
port=${SF##*:}
"$ACCORD" sandbox --port-salesforce "$port" >"$tmp/out2" 2>"$tmp/err2"
check "port in use exit code" 2 "$?"
grep -q 'cannot listen' "$tmp/err2" && ok || bad "port in use message: $(cat "$tmp/err2")"
stop TERM

echo "sandbox_cli_test: $pass passed, $fail failed"
[ "$fail" = 0 ]
