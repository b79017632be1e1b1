#!/usr/bin/env python3
"""`--log-format json` (issue 19): one JSON object per line, nothing secret.

1. `accord run --watch --listen --verbose --log-format json` against `accord sandbox`, with the
   HubSpot token, the Salesforce refresh token and the HubSpot app secret in the
   environment, through passes that write (an edit between them): every line of stdout
   and stderr is a JSON object with time (RFC 3339, UTC), level, verb and msg; the passes
   are "pass" lines with their figures; no line holds the token, the refresh token or
   the app secret.
2. `accord status --token T --log-format json`, visited with ?token=T, a bearer header
   and a cookie: the access log names method, path and status, never the query or T.
3. Usage errors and a postgresql:// state with a password that cannot be reached: JSON
   lines, and the password nowhere.

  ACCORD=build/accord python3 tests/ops/log_test.py
"""
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "e2e"))
from sandbox_client import Sandbox  # noqa: E402

ACCORD = os.path.abspath(os.environ.get("ACCORD", os.path.join(SRC, "build", "accord")))
RULES = os.path.join(SRC, "examples", "salesforce-hubspot")
TOKEN = "tok-3c9d41e7a0b2"
SECRET = "appsecret-77e1c0d2"
STATUS_TOKEN = "statustok-5a5e11"
PG_PASSWORD = "pgpass-0d9c7"
SECRETS = (TOKEN, SECRET, STATUS_TOKEN, PG_PASSWORD)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def json_lines(name, text, verb):
    """Every line parses as a JSON object with the four keys; returns them."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            obj = json.loads(line)
        except ValueError:
            check(False, f"{name} line {n} is not JSON: {line[:120]!r}")
            continue
        ok = (isinstance(obj, dict) and obj.get("level") in ("DEBUG", "INFO", "WARN", "ERROR")
              and obj.get("verb") == verb and isinstance(obj.get("msg"), str)
              and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", obj.get("time", "")))
        if ok:
            t = datetime.datetime.strptime(obj["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
            ok = abs(t.timestamp() - time.time()) < 600
        check(ok, f"{name} line {n} has time, level, verb and msg: {line[:120]}")
        out.append(obj)
    return out


def no_secret(name, text):
    leaked = [s for s in SECRETS if s in text]
    check(not leaked, f"{name}: no secret in the log ({leaked or 'none found'})")


def watch_run(tmp):
    sb = Sandbox(ACCORD, TOKEN)
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="ops-log",
               ACCORD_HUBSPOT_TOKEN=TOKEN, ACCORD_HUBSPOT_APP_SECRET=SECRET)
    state = os.path.join(tmp, "state.db")
    out, err = open(os.path.join(tmp, "out"), "w+"), open(os.path.join(tmp, "err"), "w+")
    try:
        p = subprocess.Popen([ACCORD, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", state,
                              "--watch", "--interval", "0.3", "--budget", "off", "--listen", "127.0.0.1:0",
                              "--log-format", "json", "--verbose"], env=env, stdout=out, stderr=err)
        passes = lambda: open(err.name).read().count('"msg":"pass"')
        deadline = time.time() + 60
        while passes() < 1 and time.time() < deadline:
            time.sleep(0.1)
        hs_id = sb.hs_search("contacts", "email", "grace@navy.example.mil")[0]["id"]
        sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}", {"properties": {"city": "Logville"}})
        seen = passes()
        while passes() < seen + 2 and time.time() < deadline:
            time.sleep(0.1)
        p.send_signal(signal.SIGTERM)
        p.wait(20)
    finally:
        sb.stop()
    stdout, stderr = open(out.name).read(), open(err.name).read()
    check(stdout == "", "run: nothing on stdout but JSON (here: nothing) %r" % stdout[:200])
    lines = json_lines("run stderr", stderr, "run")
    pass_lines = [x for x in lines if x["msg"] == "pass"]
    check(len(pass_lines) >= 3, f"run: {len(pass_lines)} pass lines")
    check(all("syncs" in x and "api_calls" in x and "duration_s" in x and x.get("kind") == "reconciliation"
              for x in pass_lines), "each pass line has its syncs, API calls, duration and kind")
    check(any(x["syncs"].get("people", {}).get("lag_ms", {}).get("n", 0) >= 1 for x in pass_lines),
          "the pass that carried the edit logs its lag")
    check(any(x["msg"].startswith("listening for HubSpot webhooks") and "listen" in x for x in lines),
          "run: the webhook listener's line")
    check(any(x["msg"] == "next reconciliation pass" and "interval_s" in x for x in lines), "run: the pacing line")
    check(any(x["msg"] == "http" and x["level"] == "DEBUG" and re.match(r"(GET|POST|PATCH) /\S* -> \d+", x.get("exchange", ""))
              for x in lines), "run --verbose: an http line per exchange")
    no_secret("run", stdout + stderr)
    return state


def status(state):
    p = subprocess.Popen([ACCORD, "status", "--state", state, "--listen", "127.0.0.1:0", "--token", STATUS_TOKEN,
                          "--log-format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = json.loads(p.stderr.readline())
    url = first.get("url", "")
    check(first.get("msg", "").startswith("serving ") and url.startswith("http://127.0.0.1:"),
          "status: the serving line names the URL")
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *a, **k: None}))
    for path, headers in (("?token=" + STATUS_TOKEN, {}), ("metrics", {"Authorization": "Bearer " + STATUS_TOKEN}),
                          ("errors", {"Cookie": "accord_status=" + STATUS_TOKEN}), ("", {})):
        try:
            opener.open(urllib.request.Request(url + path, headers=headers), timeout=30).read()
        except urllib.error.HTTPError:
            pass
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    lines = [first] + json_lines("status stderr", err, "status")
    check(out == "", "status: nothing on stdout")
    reqs = [(x.get("method"), x.get("path"), x.get("status")) for x in lines if x["msg"] == "request"]
    check(("GET", "/", 303) in reqs and ("GET", "/metrics", 200) in reqs and ("GET", "/errors", 200) in reqs
          and ("GET", "/", 401) in reqs, f"status: the access log {reqs}")
    no_secret("status", json.dumps(first) + out + err)


def usage_errors(tmp):
    for args, verb in ((["run", RULES, "--data", os.path.join(tmp, "nowhere")], "run"),
                       (["run", RULES, "--data", tmp, "--format", "yaml"], "run"),
                       (["status", "--state", "postgresql://accord:%s@127.0.0.1:1/accord" % PG_PASSWORD,
                         "--listen", "127.0.0.1:0"], "status")):
        r = subprocess.run([ACCORD, *args, "--log-format", "json"], capture_output=True, text=True, timeout=60)
        check(r.returncode != 0, f"{verb}: {args[1:3]} fails")
        lines = json_lines(f"{verb} error", r.stderr, verb)
        check(any(x["level"] == "ERROR" for x in lines) and r.stdout == "", f"{verb}: an ERROR line says why")
        no_secret(f"{verb} error", r.stdout + r.stderr)
    r = subprocess.run([ACCORD, "status", "--state", tmp, "--log-format", "xml"], capture_output=True, text=True)
    check(r.returncode == 2 and "--log-format must be text or json" in r.stderr, "a bad --log-format is refused")


def postgres_state(tmp):
    """A postgresql:// state named with a password (the throwaway cluster trusts local
    connections, so it connects): `accord status` shows it redacted on its first line, in the
    page's footnote and in the JSON log."""
    cluster = os.environ.get("PG_CLUSTER", os.path.join(os.path.dirname(ACCORD), "tests", "pg_cluster"))
    if not os.path.exists(cluster):
        print("skip: no pg_cluster for the postgresql:// state")
        return
    pg = subprocess.Popen([cluster], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = pg.stdout.readline().strip()
        if not url:
            print("skip: no PostgreSQL cluster: " + pg.stderr.read().strip()[:200])
            return
        url = url.replace("postgresql://accord@", "postgresql://accord:%s@" % PG_PASSWORD)
        data = os.path.join(tmp, "pgdata")
        subprocess.run(["cp", "-r", os.path.join(HERE, "data"), data], check=True)
        r = subprocess.run([ACCORD, "run", os.path.join(HERE, "rules"), "--data", data, "--state", url],
                           capture_output=True, text=True, timeout=120, cwd=SRC)
        check(r.returncode in (0, 1), "a pass into a postgresql:// state: " + r.stderr[-200:])
        for fmt in ("text", "json"):
            p = subprocess.Popen([ACCORD, "status", "--state", url, "--listen", "127.0.0.1:0", "--log-format", fmt],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            first = (p.stdout if fmt == "text" else p.stderr).readline()
            base = re.search(r"(http://[^\s\"]+/)", first)
            page = urllib.request.urlopen(base.group(1), timeout=30).read().decode() if base else ""
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=20)
            check("accord:***@" in first and "accord:***@" in page,
                  f"status ({fmt} log): the state is named redacted on the first line and the page")
            no_secret(f"status of a postgresql:// state ({fmt} log)", first + page + out + err)
    finally:
        pg.stdin.close()
        pg.wait(60)


def main():
    tmp = tempfile.mkdtemp(prefix="accord-log-")
    state = watch_run(tmp)
    status(state)
    usage_errors(tmp)
    postgres_state(tmp)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
