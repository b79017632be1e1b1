#!/usr/bin/env python3
"""Push end to end: `accord sandbox --webhook-url` delivers signed HubSpot webhooks to
`accord run --watch --listen`, which turns them into targeted passes.

1. The endpoint's security, against signatures computed here with hmac/hashlib
   (HubSpot's documented v3 algorithm: base64 HMAC-SHA256 of method + URI + body +
   timestamp with the app secret), not with accord's code: a signed request is
   accepted; unsigned, wrongly signed, stale and replayed ones are refused (401).
2. An edit in HubSpot reaches Salesforce through push, well before the
   reconciliation interval.
3. With every webhook dropped by fault injection, an edit still arrives, at the next
   reconciliation read, and not before it.
4. The secret never shows in accord's output.
Also: --budget pacing; --cdc (replay, restart, the retention gap); two_way by the change
events' field times; every push fault end to end for both paths (fault_cases); accord's own
HubSpot writes coming back as webhooks start no pass.

  ACCORD=build/accord python3 tests/e2e/push_test.py
"""
import base64, hashlib, hmac, json, os, re, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sandbox_client import API, Sandbox, free_port  # noqa: E402

ACCORD = os.environ.get("ACCORD", os.path.join(SRC, "build", "accord"))
TOKEN = "push-test-token"
SECRET = "push-test-app-secret-5c1f"
RULES = os.path.join(SRC, "examples", "salesforce-hubspot")
INTERVAL = 12.0  # the reconciliation interval; push must beat it by far


def terminate(p):
    p.terminate()
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()


def sign(method, uri, body, ts, secret=SECRET):
    data = (method + uri + body + ts).encode()
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


def post(url, body, headers):
    req = urllib.request.Request(url, data=body.encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    for k, v in headers.items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def budget():
    """--budget against a sandbox with a small Salesforce limit: the second pass's
    interval is its calls * 86400 s / (20% of 1,000), worked out here from its output."""
    import re
    sb = Sandbox(ACCORD, TOKEN)
    tmp = tempfile.mkdtemp(prefix="accord-budget-")
    try:
        sb.admin(sb.sf, "config", {"daily_api_limit": 1000})
        env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="push-test",
                   ACCORD_HUBSPOT_TOKEN=TOKEN)
        out = open(os.path.join(tmp, "watch.out"), "w+")
        watch = subprocess.Popen([ACCORD, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state",
                                  os.path.join(tmp, "state.db"), "--watch", "--interval", "0.2",
                                  "--budget", "salesforce=20%,hubspot=100%"], env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        text = ""
        while time.time() < deadline and text.count("next reconciliation pass in") < 1:
            time.sleep(0.1)
            text = open(out.name).read()
        watch.terminate()
        watch.wait(20)
        text = open(out.name).read()
        passes = text.split("pass:\n")[1:]
        check(len(passes) >= 2, "two reconciliation passes ran")
        m = re.search(r"api calls: salesforce (\d+) reads \+ (\d+) writes", passes[1])
        n = re.search(r"next reconciliation pass in ([\d.]+) s \(budget: salesforce daily\)", passes[1])
        lim = re.search(r"api limits: salesforce (\d+)/1000 used today, (\d+) left", passes[1])
        check(bool(m and n and lim), "the summary shows the calls, the limits used and left, and the paced interval")
        if m and n:
            calls = int(m.group(1)) + int(m.group(2))
            expected = calls * 86400 / (0.2 * 1000)
            check(abs(float(n.group(1)) - expected) < 0.11,
                  f"the interval {n.group(1)} s = {calls} calls * 86400 s / (20% of 1000) = {expected:.1f} s")
        check("next reconciliation pass in 0.2 s" not in passes[1], "the budget, not --interval, set it")
    finally:
        sb.stop()


def cdc():
    """Salesforce Change Data Capture: an edit reaches HubSpot through the change events; the
    replay id is kept in the state store and resumed after a restart; a kept id past the
    retention window falls back to a reconciliation read."""
    import sqlite3
    sb = Sandbox(ACCORD, TOKEN)
    tmp = tempfile.mkdtemp(prefix="accord-cdc-")
    state = os.path.join(tmp, "state.db")
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="push-test",
               ACCORD_HUBSPOT_TOKEN=TOKEN)
    cmd = [ACCORD, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", state, "--watch",
           "--interval", str(INTERVAL), "--budget", "off", "--cdc"]
    procs = []

    def start(name):
        out = open(os.path.join(tmp, name), "w+")
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        procs.append(p)
        deadline = time.time() + 60
        while "total:" not in open(out.name).read() and time.time() < deadline and p.poll() is None:
            time.sleep(0.1)
        return p, out

    def stop(p):
        p.terminate()
        p.wait(20)

    try:
        p, out = start("cdc1.out")
        sf_id = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Lovelace'")[0]["Id"]
        hs_id = sb.hs_search("contacts", "email", "ada.lovelace@example.com")[0]["id"]

        def title():
            for r in sb.admin(sb.hs, "dump")["objects"]["contacts"]["records"]:
                if r["id"] == hs_id:
                    return r["properties"].get("jobtitle")

        def arrives(value, limit):
            t0 = time.monotonic()
            while time.monotonic() - t0 < limit:
                if title() == value:
                    return time.monotonic() - t0
                time.sleep(0.02)
            return None

        time.sleep(1.5)
        check("push pass:" not in open(out.name).read(),
              "the change events of accord's own writes (changeOrigin client=accord) start no pass")
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"Title": "Streamed Countess"})
        took = arrives("Streamed Countess", 5.0)
        check(took is not None and took < 3.0, f"a Salesforce edit reached HubSpot through change events in {took} s")
        time.sleep(0.5)
        stop(p)
        kept = sqlite3.connect(state).execute(
            "SELECT value FROM meta WHERE key = 'cdc.replay./data/ContactChangeEvent'").fetchall()
        check(len(kept) == 1 and int(kept[0][0]) > 0, f"the replay id is kept in the state store ({kept})")

        # accord down: an edit is replayed from the kept id after the restart
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"Title": "While Down"})
        p, out = start("cdc2.out")
        deadline = time.time() + 10
        while "push pass:" not in open(out.name).read() and time.time() < deadline:
            time.sleep(0.1)
        check("push pass:" in open(out.name).read(), "after a restart the events after the kept replay id are delivered (a push pass with no new edit)")
        check(arrives("While Down", 5.0) is not None, "the edit made while accord was down arrived")
        stop(p)

        # a kept replay id past the retention window: a reconciliation read instead
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"Title": "Past Retention"})
        sb.admin(sb.sf, "config", {"cdc_retention_ms": 1})
        time.sleep(0.05)
        p, out = start("cdc3.out")
        deadline = time.time() + 10
        gap = "is past the retention window; a reconciliation pass reads the object instead"
        while gap not in open(out.name).read() and time.time() < deadline:
            time.sleep(0.1)
        check(gap in open(out.name).read(), "a kept replay id past retention falls back to a reconciliation read")
        check(arrives("Past Retention", 5.0) is not None, "the edit past retention arrived")
        stop(p)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        sb.stop()


def cdc_field_times():
    """two_way by the change events' field times: Title edited in Salesforce, then jobtitle in
    HubSpot, then another field of the same Salesforce record. The record's time (its last
    change) says Salesforce changed last; the change events say Title changed before HubSpot's
    edit, so HubSpot's value wins. The events are held until all three edits are made, so one
    pass sees both sides changed."""
    sb = Sandbox(ACCORD, TOKEN)
    tmp = tempfile.mkdtemp(prefix="accord-cdc-times-")
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="push-test",
               ACCORD_HUBSPOT_TOKEN=TOKEN)
    out = open(os.path.join(tmp, "watch.out"), "w+")
    p = subprocess.Popen([ACCORD, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state",
                          os.path.join(tmp, "state.db"), "--watch", "--interval", "60", "--budget", "off", "--cdc"],
                         env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while "total:" not in open(out.name).read() and time.time() < deadline and p.poll() is None:
            time.sleep(0.1)
        sf_id = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Lovelace'")[0]["Id"]
        hs_id = sb.hs_search("contacts", "email", "ada.lovelace@example.com")[0]["id"]

        def clock(ms):
            sb.admin(sb.sf, "clock", {"advance_ms": ms})
            sb.admin(sb.hs, "clock", {"advance_ms": ms})

        sb.admin(sb.sf, "config", {"cdc_hold": True})
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"Title": "Title From Salesforce"})
        clock(3000)
        sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}", {"properties": {"jobtitle": "Title From HubSpot"}})
        clock(3000)
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"MobilePhone": "+1 555 0142"})
        seen = open(out.name).read().count("push pass:")
        sb.admin(sb.sf, "config", {"cdc_hold": False})
        deadline = time.time() + 10
        while open(out.name).read().count("push pass:") == seen and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        sf_title = [r for r in sb.admin(sb.sf, "dump")["objects"]["Contact"]["records"] if r["Id"] == sf_id][0]["Title"]
        hs_title = [r for r in sb.admin(sb.hs, "dump")["objects"]["contacts"]["records"]
                    if r["id"] == hs_id][0]["properties"].get("jobtitle")
        check(open(out.name).read().count("push pass:") > seen, "the change events started a push pass")
        check(sf_title == hs_title == "Title From HubSpot",
              f"two_way by the change events' field time: HubSpot's later edit wins ({sf_title!r}, {hs_title!r}; "
              "the record time would pick Salesforce's)")
    finally:
        terminate(p)
        sb.stop()
        if failures:
            print(open(out.name).read()[-3000:])


def fault_cases():
    """Each push fault, end to end, for both paths: HubSpot webhooks (an edit of a contact's
    city) and Salesforce change events (an edit of its Title). Two edits of the field 0.1 s
    apart; the other system must end with the second value, at the time the fault allows —
    dropped: by the next reconciliation pass (within one interval and a pass), not by push;
    duplicated, reordered: by push (< 3 s); delayed 1.5 s: not before the delay, by push
    after it — and accord writes each value at most once (the passes' events, --format json)."""
    interval = 6.0
    port = free_port()
    url = f"http://127.0.0.1:{port}/hubspot/webhooks"
    sb = Sandbox(ACCORD, TOKEN, extra=["--webhook-url", url, "--webhook-secret", SECRET, "--webhook-batch-ms", "20"])
    tmp = tempfile.mkdtemp(prefix="accord-push-faults-")
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="push-test",
               ACCORD_HUBSPOT_TOKEN=TOKEN, ACCORD_HUBSPOT_APP_SECRET=SECRET)
    out = open(os.path.join(tmp, "watch.out"), "w+")
    p = subprocess.Popen([ACCORD, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state",
                          os.path.join(tmp, "state.db"), "--watch", "--interval", str(interval), "--budget", "off",
                          "--listen", f"127.0.0.1:{port}", "--cdc", "--format", "json"],
                         env=env, stdout=out, stderr=subprocess.DEVNULL)

    def reports():
        return [json.loads(x) for x in open(out.name).read().splitlines() if x.startswith("{")]

    def writes(value):
        return sum(1 for r in reports() for e in r.get("events", []) if e.get("kind") == "update"
                   for c in e.get("changes", []) if c.get("new") == value)

    def recon_count():
        return sum(1 for r in reports() if "push" not in r)

    try:
        deadline = time.time() + 60
        while recon_count() < 1 and time.time() < deadline and p.poll() is None:
            time.sleep(0.1)
        sf_id = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Lovelace'")[0]["Id"]
        hs_id = sb.hs_search("contacts", "email", "ada.lovelace@example.com")[0]["id"]

        def sf_city():
            return [r for r in sb.admin(sb.sf, "dump")["objects"]["Contact"]["records"]
                    if r["Id"] == sf_id][0].get("MailingCity")

        def hs_title():
            return [r for r in sb.admin(sb.hs, "dump")["objects"]["contacts"]["records"]
                    if r["id"] == hs_id][0]["properties"].get("jobtitle")

        cases = []
        for path in ("webhook", "cdc"):
            for fault, cfg in (("dropped", {"drop_rate": 1.0}), ("duplicated", {"duplicate_rate": 1.0}),
                               ("reordered", {"reorder_rate": 1.0}), ("delayed", {"delay_ms": 1500})):
                cases.append((path, fault, {f"{path}_{k}": v for k, v in cfg.items()}))
        for n, (path, fault, cfg) in enumerate(cases):
            emulator = sb.hs if path == "webhook" else sb.sf
            # right after a reconciliation pass: the next one is a whole interval away
            seen = recon_count()
            deadline = time.time() + 3 * interval
            while recon_count() == seen and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            sb.admin(emulator, "faults", cfg)
            first, second = f"{fault} {path} {n} a", f"{fault} {path} {n} b"
            t0 = time.monotonic()
            for v in (first, second):
                if path == "webhook":
                    sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}", {"properties": {"city": v}})
                else:
                    sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"Title": v})
                time.sleep(0.1)
            value = sf_city if path == "webhook" else hs_title
            took = None
            while time.monotonic() - t0 < interval + 8:
                if value() == second:
                    took = time.monotonic() - t0
                    break
                time.sleep(0.02)
            time.sleep(1.0)
            sb.admin(emulator, "faults", {})
            what = f"{path} events {fault}: the second edit arrived"
            if took is None:
                check(False, f"{what} (it did not, in {interval + 8:.0f} s; the other side has {value()!r})")
            elif fault == "dropped":
                check(1.0 < took <= interval + 3.0, f"{what} by the reconciliation pass in {took:.2f} s "
                                                    f"(interval {interval:.0f} s), not by push")
            elif fault == "delayed":
                check(1.5 <= took < 4.5, f"{what} after the delay, by push, in {took:.2f} s")
            else:
                check(took < 3.0, f"{what} by push in {took:.2f} s")
            check(value() == second and writes(second) == 1 and writes(first) <= 1,
                  f"{path} events {fault}: the later value stays ({value()!r}); accord wrote it "
                  f"{writes(second)} time(s), the earlier one {writes(first)}")
    finally:
        terminate(p)
        sb.stop()


def main():

    port = free_port()
    url = f"http://127.0.0.1:{port}/hubspot/webhooks"
    tmp = tempfile.mkdtemp(prefix="accord-push-")
    state = os.path.join(tmp, "state.db")
    sb = Sandbox(ACCORD, TOKEN, extra=["--webhook-url", url, "--webhook-secret", SECRET, "--webhook-batch-ms", "20"])
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="push-test",
               ACCORD_HUBSPOT_TOKEN=TOKEN, ACCORD_HUBSPOT_APP_SECRET=SECRET)
    base = [ACCORD, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", state]
    out = open(os.path.join(tmp, "watch.out"), "w+")
    err = open(os.path.join(tmp, "watch.err"), "w+")
    watch = subprocess.Popen(base + ["--watch", "--interval", str(INTERVAL), "--budget", "off",
                                    "--listen", f"127.0.0.1:{port}"],
                             env=env, stdout=out, stderr=err)
    passes = lambda: open(out.name).read().count("\npass:") + open(out.name).read().startswith("pass:")
    try:
        deadline = time.time() + 60
        while passes() < 1 and time.time() < deadline and watch.poll() is None:
            time.sleep(0.1)
        check(passes() >= 1, "the first reconciliation pass ran")
        first_pass_at = time.monotonic()

        # 1. endpoint security, signatures from hmac/hashlib
        body = json.dumps([{"eventId": 990001, "subscriptionId": 1, "portalId": 12345678, "appId": 987654,
                            "occurredAt": int(time.time() * 1000), "subscriptionType": "contact.propertyChange",
                            "attemptNumber": 0, "objectId": 424242, "propertyName": "city", "propertyValue": "x",
                            "changeSource": "CRM_UI"}])
        ts = str(int(time.time() * 1000))
        good = {"X-HubSpot-Signature-v3": sign("POST", url, body, ts), "X-HubSpot-Request-Timestamp": ts,
                "X-HubSpot-Signature-Version": "v3"}
        check(post(url, body, good) == 204, "a request signed as HubSpot documents is accepted (204)")
        check(post(url, body, good) == 401, "the same request again (a replay) is refused (401)")
        check(post(url, body, {}) == 401, "an unsigned request is refused")
        ts2 = str(int(time.time() * 1000) + 1)
        bad = dict(good, **{"X-HubSpot-Signature-v3": sign("POST", url, body, ts2, "wrong-secret"),
                            "X-HubSpot-Request-Timestamp": ts2})
        check(post(url, body, bad) == 401, "a request signed with another secret is refused")
        old = str(int(time.time() * 1000) - 6 * 60 * 1000)
        stale = dict(good, **{"X-HubSpot-Signature-v3": sign("POST", url, body, old), "X-HubSpot-Request-Timestamp": old})
        check(post(url, body, stale) == 401, "a request signed six minutes ago is refused")

        # 2. an edit crosses over through push
        hs_id = sb.hs_search("contacts", "email", "grace@navy.example.mil")[0]["id"]
        sf_id = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Hopper'")[0]["Id"]

        def sf_city():
            for r in sb.admin(sb.sf, "dump")["objects"]["Contact"]["records"]:
                if r["Id"] == sf_id:
                    return r.get("MailingCity")

        def wait_for(value, limit):
            t0 = time.monotonic()
            while time.monotonic() - t0 < limit:
                if sf_city() == value:
                    return time.monotonic() - t0
                time.sleep(0.02)
            return None

        # wait out the interval's start so a reconciliation pass cannot be what carries it
        sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}", {"properties": {"city": "Pushville"}})
        took = wait_for("Pushville", INTERVAL)
        check(took is not None and took < 3.0, f"a HubSpot edit reached Salesforce through push in {took} s (< 3 s)")
        time.sleep(0.5)  # the pass prints its summary after its writes
        check("push pass:" in open(out.name).read(), "accord printed a push pass")

        # 3. every webhook dropped: the next reconciliation read carries the edit. Made right
        # after a reconciliation pass, so that the next one is a whole interval away.
        sb.admin(sb.hs, "faults", {"webhook_drop_rate": 1.0})
        seen = passes()
        deadline = time.time() + 3 * INTERVAL
        while passes() == seen and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        edited = time.monotonic()
        sb._http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}", {"properties": {"city": "Pollton"}})
        early = wait_for("Pollton", 3.0)
        check(early is None, "with the webhooks dropped the edit does not arrive by push")
        took = wait_for("Pollton", INTERVAL + 10)
        check(took is not None, f"it arrives at the next reconciliation read ({time.monotonic() - edited:.1f} s "
                                f"after the edit, interval {INTERVAL} s)")
        stats = sb.admin(sb.hs, "webhooks")["stats"]
        check(stats["dropped"] >= 1, f"the sandbox dropped {stats['dropped']} events")
        sb.admin(sb.hs, "faults", {})

        # 4. accord's own writes to HubSpot come back as webhooks (echoes): they start no pass.
        # A Salesforce edit (no --cdc here) crosses at the next reconciliation pass; its
        # jobtitle write makes a propertyChange event with the value the pair's shadow holds.
        made0 = sb.admin(sb.hs, "webhooks")["stats"]["made"]
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"Title": "Echo Admiral"})

        def hs_title():
            return [r for r in sb.admin(sb.hs, "dump")["objects"]["contacts"]["records"]
                    if r["id"] == hs_id][0]["properties"].get("jobtitle")
        deadline = time.monotonic() + INTERVAL + 10
        while hs_title() != "Echo Admiral" and time.monotonic() < deadline:
            time.sleep(0.05)
        check(hs_title() == "Echo Admiral", "the Salesforce edit reached HubSpot at the reconciliation pass")
        pushes = open(out.name).read().count("push pass:")
        made = sb.admin(sb.hs, "webhooks")["stats"]["made"]
        deadline = time.monotonic() + 5
        while sb.admin(sb.hs, "webhooks")["stats"]["queued"] and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        check(made > made0 and sb.admin(sb.hs, "webhooks")["stats"]["queued"] == 0,
              f"accord's write made webhook events ({made - made0}), all delivered")
        check(open(out.name).read().count("push pass:") == pushes,
              "the echo of accord's own write started no push pass")
    finally:
        terminate(watch)
        sb.stop()
    everything = open(out.name).read() + open(err.name).read()
    check(SECRET not in everything, "the app secret is in none of accord's output")
    check("refused" in everything, "the pass output counts refused requests")
    check(re.search(r"[1-9]\d* echoes of accord's own writes without a pass", everything) is not None,
          "the pass output counts the echoes")
    if failures:
        print(everything[-4000:])


budget()
cdc()
cdc_field_times()
fault_cases()
main()
if failures:
    print(f"{len(failures)} failed")
    sys.exit(1)
print("all passed")
