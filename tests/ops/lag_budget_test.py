#!/usr/bin/env python3
"""Propagation lag and API budget on the status page and /metrics, from a sandbox run (issue 19).

Against `accord sandbox` (examples/salesforce-hubspot):
1. A first pass (a backfill) records no lag.
2. A HubSpot contact's city is edited, 2.5 s later a Salesforce contact's Title, 1 s later a
   second pass runs. The oracle is the sandbox's own stamps of the two edits (HubSpot's
   updatedAt as the PATCH answered, Salesforce's SystemModstamp read back by SOQL) and this
   test's clock around the pass: each write's lag must lie between (pass start - stamp)
   and (pass end - stamp). The run history, /metrics (the histogram, parsed by the
   Prometheus client's parser) and the overview must show those two lags.
3. `accord run --watch --budget salesforce=20%,hubspot=50%` runs two passes against a
   sandbox configured with daily limits of 5,000 and 20,000 calls. /metrics and the page
   must show those limits, the shares (1,000 and 10,000 calls), accord's calls in the last
   24 hours (the sum of the passes' counts) and what is left; the daily limit used must lie
   between accord's own calls (every one of them counted by the sandbox) and the sandbox's
   count now (GET /__sandbox/config).

  ACCORD=build/accord python3 tests/ops/lag_budget_test.py
"""
import datetime
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "e2e"))
try:
    import prometheus_client  # noqa: F401
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
from sandbox_client import API, Sandbox  # noqa: E402

ACCORD = os.path.abspath(os.environ.get("ACCORD", os.path.join(SRC, "build", "accord")))
RULES = os.path.join(SRC, "examples", "salesforce-hubspot")
TOKEN = "ops-lag-token"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def ms(iso):
    """An ISO-8601 time as the systems write it (Z or +0000, with or without a fraction) in ms."""
    iso = re.sub(r"\+0000$", "+00:00", iso.replace("Z", "+00:00"))
    return int(datetime.datetime.fromisoformat(iso).timestamp() * 1000)


def runs(state):
    db = sqlite3.connect(state)
    try:
        return [json.loads(s or "{}") for (s,) in db.execute("SELECT stats FROM runs ORDER BY id")]
    finally:
        db.close()


def status_pages(state):
    """The overview and /metrics as `accord status` serves them."""
    p = subprocess.Popen([ACCORD, "status", "--state", state, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        base = re.search(r"(http://\S+/)", p.stdout.readline()).group(1)
        get = lambda path: urllib.request.urlopen(base + path, timeout=60).read().decode()
        return get(""), get("metrics")
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(10)


def families(text):
    from prometheus_client.parser import text_string_to_metric_families
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(fams, family, name, **labels):
    for s in fams[family].samples if family in fams else []:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def main():
    sb = Sandbox(ACCORD, TOKEN)
    tmp = tempfile.mkdtemp(prefix="accord-lag-")
    state = os.path.join(tmp, "state.db")
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="ops-lag",
               ACCORD_HUBSPOT_TOKEN=TOKEN)
    cmd = [ACCORD, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", state]
    try:
        sb.admin(sb.sf, "config", {"daily_api_limit": 5000})
        sb.admin(sb.hs, "config", {"daily_limit": 20000})
        first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        check(first.returncode in (0, 1), "the first pass ran: " + first.stderr[-300:])
        check(all("lag" not in v for v in runs(state)[-1].get("syncs", {}).values()),
              "the first pass (a backfill) records no lag")

        # 2. two edits, their stamps as the sandbox gave them, a pass bracketed by this clock
        hs_id = sb.hs_search("contacts", "email", "grace@navy.example.mil")[0]["id"]
        sf_id = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Lovelace'")[0]["Id"]
        answer = sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}", {"properties": {"city": "Lagtown"}})
        hs_stamp = ms(answer["updatedAt"])
        time.sleep(2.5)
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"Title": "Lag Countess"})
        sf_stamp = ms(sb.soql(f"SELECT SystemModstamp FROM Contact WHERE Id = '{sf_id}'")[0]["SystemModstamp"])
        time.sleep(1.0)
        t0 = int(time.time() * 1000)
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        t1 = int(time.time() * 1000)
        check(second.returncode in (0, 1), "the second pass ran: " + second.stderr[-300:])
        lags = {name: v["lag"] for name, v in runs(state)[-1].get("syncs", {}).items() if "lag" in v}
        check(list(lags) == ["people"] and lags["people"]["n"] == 2,
              f"the second pass recorded two lags, for the contacts' sync (people): {lags}")
        lag = lags.get("people", {})
        sf_window = (t0 - sf_stamp, t1 - sf_stamp)  # the Salesforce edit crossed to HubSpot
        hs_window = (t0 - hs_stamp, t1 - hs_stamp)
        print(f"     lags recorded {lag.get('p50_ms')} ms and {lag.get('p99_ms')} ms; Salesforce edit's window "
              f"{sf_window} ms, HubSpot edit's {hs_window} ms (the pass took {t1 - t0} ms)")
        check(sf_window[0] <= lag.get("p50_ms", -1) <= sf_window[1],
              "the Salesforce edit's lag lies between pass start and end minus its SystemModstamp")
        check(hs_window[0] <= lag.get("p99_ms", -1) <= hs_window[1],
              "the HubSpot edit's lag lies between pass start and end minus its updatedAt")

        overview, metrics = status_pages(state)
        fams = families(metrics)
        count = sample(fams, "accord_propagation_lag_seconds", "accord_propagation_lag_seconds_count", sync="people")
        total = sample(fams, "accord_propagation_lag_seconds", "accord_propagation_lag_seconds_sum", sync="people")
        check(count == 2, f"/metrics: the lag histogram counts 2 writes ({count})")
        check(total is not None and abs(total - (lag["p50_ms"] + lag["p99_ms"]) / 1000) < 1e-6,
              f"/metrics: its sum is the two lags ({total} s)")
        for le in ("1.0", "5.0", "10.0", "+Inf"):
            want = sum(1 for v in (lag["p50_ms"], lag["p99_ms"]) if le == "+Inf" or v <= float(le) * 1000)
            got = [x.value for x in fams["accord_propagation_lag_seconds"].samples
                   if x.name.endswith("_bucket") and x.labels.get("sync") == "people"
                   and float(x.labels["le"]) == float(le)]
            got = got[0] if len(got) == 1 else got
            check(got == want, f"/metrics: bucket le={le} holds {want} ({got})")
        line = re.search(r'<p class="lag" data-sync="people">(.*?)</p>', overview, re.S)
        check(line is not None and "over 2 writes" in line.group(1), "the overview's lag line for people")
        check(line is not None and "%.2f s" % (lag["max_ms"] / 1000) in line.group(1), "it shows the max lag")
        check("%.2f s / %.2f s" % (lag["p50_ms"] / 1000, lag["p99_ms"] / 1000) in overview,
              "the people pass table shows the pass's p50 / p99")

        # 3. the budget of a paced --watch
        out = open(os.path.join(tmp, "watch.out"), "w+")
        watch = subprocess.Popen(cmd + ["--watch", "--interval", "0.2", "--budget", "salesforce=20%,hubspot=50%"],
                                 env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline and open(out.name).read().count("pass:") < 2:
            time.sleep(0.1)
        watch.terminate()
        watch.wait(20)
        history = runs(state)
        calls = {s: sum(r.get("api_calls", {}).get(s, {}).get("reads", 0) + r.get("api_calls", {}).get(s, {})
                        .get("writes", 0) for r in history) for s in ("salesforce", "hubspot")}
        sf_usage_now = sb.admin(sb.sf, "config")["api_usage"]
        overview, metrics = status_pages(state)
        fams = families(metrics)
        g = lambda name, system: sample(fams, name, name, system=system)
        for system, limit, share in (("salesforce", 5000, 1000), ("hubspot", 20000, 10000)):
            check(g("accord_api_calls_24h", system) == calls[system],
                  f"/metrics: {system} calls in 24 h = the passes' sum {calls[system]}")
            check(g("accord_api_daily_limit", system) == limit, f"/metrics: {system}'s daily limit {limit}")
            check(g("accord_api_budget_calls", system) == share, f"/metrics: {system}'s allowance {share}")
            check(g("accord_api_budget_remaining", system) == share - calls[system],
                  f"/metrics: {system}'s allowance left {share} - {calls[system]}")
            row = re.search(r'<tr data-system="%s">(.*?)</tr>' % system, overview, re.S)
            check(row is not None and "%d%% = %s" % (share * 100 // limit, format(share, ",")) in row.group(1),
                  f"the overview's budget row for {system} shows the share")
        used = 5000 - (g("accord_api_daily_remaining", "salesforce") or 0)
        check(calls["salesforce"] <= used <= sf_usage_now,
              f"Salesforce's daily limit used as reported ({used}) lies between accord's calls "
              f"({calls['salesforce']}) and the sandbox's count now ({sf_usage_now})")
        check(g("accord_api_burst_remaining", "hubspot") is not None, "/metrics: HubSpot's burst window left")
    finally:
        sb.stop()
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
