#!/usr/bin/env python3
"""Propagation latency of `accord run --watch` against `accord sandbox`.

Starts the sandbox (the example seed), links the example with one pass, then
starts `accord run --watch --interval S` and makes K edits, alternating
Salesforce -> HubSpot (Contact.Title -> jobtitle) and HubSpot -> Salesforce
(city -> MailingCity), each at a random moment; the latency of an edit is the
time from the API's acknowledgement of the write until the other system's API
holds the new value (polled every 20 ms through the sandbox's admin dump,
which no rate limit counts). Prints p50/p90/p99/max per
direction and overall.

  bench/connectors/latency.py [--edits K] [--interval S]

With --push the sandbox delivers HubSpot webhooks (--webhook-url) to `accord run
--watch --listen --cdc` at the default --budget, which also takes Salesforce's change
events (CometD); the edits alternate directions as above. Before the edits, once the
passes are paced, accord is left idle for --idle seconds while the sandbox counts
the API calls it takes (CometD requests are not counted, as in Salesforce). Prints one line:
`push: p50 X s, p99 Y s, idle calls/hour Z` (Z = Salesforce + HubSpot).
"""
import argparse, os, random, socket, statistics, subprocess, sys, tempfile, time

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "e2e"))
from sandbox_client import API, Sandbox  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--edits", type=int, default=40)
p.add_argument("--interval", type=float, default=1.0)
p.add_argument("--accord", default=os.environ.get("ACCORD", os.path.join(SRC, "build", "accord")))
p.add_argument("--push", action="store_true", help="HubSpot webhooks to --listen, the default budget")
p.add_argument("--idle", type=float, default=300.0, help="--push: seconds of idle after the edits")
a = p.parse_args()
TOKEN = "latency-bench-token"
RULES = os.path.join(SRC, "examples", "salesforce-hubspot")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def push():
    tmp = tempfile.mkdtemp(prefix="accord-latency-")
    state = os.path.join(tmp, "state.db")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    secret = "latency-bench-app-secret"
    sb = Sandbox(a.accord, TOKEN, extra=["--webhook-url", f"http://127.0.0.1:{port}/hubspot",
                                         "--webhook-secret", secret])
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="bench",
               ACCORD_HUBSPOT_TOKEN=TOKEN, ACCORD_HUBSPOT_APP_SECRET=secret)
    base = [a.accord, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", state]
    subprocess.run(base, env=env, capture_output=True)
    log = open(os.path.join(tmp, "watch.out"), "w+")
    watch = subprocess.Popen(base + ["--watch", "--listen", f"127.0.0.1:{port}", "--cdc"], env=env, stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        sf_grace = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Hopper'")[0]["Id"]
        hs_id = sb.hs_search("contacts", "email", "grace@navy.example.mil")[0]["id"]
        sf_ada = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Lovelace'")[0]["Id"]
        hs_ada = sb.hs_search("contacts", "email", "ada.lovelace@example.com")[0]["id"]

        def sf_value(obj, rid, field):
            for r in sb.admin(sb.sf, "dump")["objects"][obj]["records"]:
                if r["Id"] == rid:
                    return r.get(field)

        def hs_value(obj, rid, prop):
            for r in sb.admin(sb.hs, "dump")["objects"][obj]["records"]:
                if r["id"] == rid:
                    return r["properties"].get(prop)

        # idle first, once the passes are paced (the wait after the first, full read is --interval):
        # what accord alone costs, counted by the sandbox (admin calls are not counted)
        def used():
            return sb.admin(sb.sf, "dump")["api_usage"], sb.admin(sb.hs, "dump")["daily_used"]
        while open(log.name).read().count("next reconciliation pass in") < 1:
            time.sleep(0.2)
        sf0, hs0 = used()
        t0 = time.monotonic()
        time.sleep(a.idle)
        sf1, hs1 = used()
        hours = (time.monotonic() - t0) / 3600
        rnd = random.Random(5)
        lat = []
        by_dir = {"salesforce->hubspot": [], "hubspot->salesforce": []}
        for k in range(a.edits):
            time.sleep(rnd.uniform(0, 1.0))
            value = "p%d-%d" % (k, rnd.randrange(10 ** 6))
            if k % 2 == 0:
                sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_ada}", {"Title": value})
                seen = lambda: hs_value("contacts", hs_ada, "jobtitle") == value
                key = "salesforce->hubspot"
            else:
                sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}", {"properties": {"city": value}})
                seen = lambda: sf_value("Contact", sf_grace, "MailingCity") == value
                key = "hubspot->salesforce"
            t0 = time.monotonic()
            while not seen():
                if time.monotonic() - t0 > 120:
                    raise SystemExit(f"edit {k} ({key}) did not arrive within 120 s")
                time.sleep(0.02)
            lat.append(time.monotonic() - t0)
            by_dir[key].append(lat[-1])
    finally:
        watch.terminate()
        watch.wait(10)
        sb.stop()
    text = open(log.name).read()
    paced = [line for line in text.splitlines() if line.startswith("next reconciliation pass in")]
    for name, xs in by_dir.items():
        print(f"{name:22s} n={len(xs):3d}  p50 {pct(xs, .5):.2f} s  p99 {pct(xs, .99):.2f} s  max {max(xs):.2f} s")
    print(f"accord run --watch --listen --cdc (default --budget) against accord sandbox --webhook-url; {a.edits} "
          f"edits, both directions; before them idle {a.idle:.0f} s: salesforce {(sf1 - sf0) / hours:.0f}/h, "
          f"hubspot {(hs1 - hs0) / hours:.0f}/h; {paced[0] if paced else 'no paced pass seen'}; after the edits: "
          f"{paced[-1] if paced else '-'}")
    print(f"push: p50 {pct(lat, .5):.2f} s, p99 {pct(lat, .99):.2f} s, "
          f"idle calls/hour {(sf1 - sf0 + hs1 - hs0) / hours:.0f}")


def main():
    tmp = tempfile.mkdtemp(prefix="accord-latency-")
    state = os.path.join(tmp, "state.db")
    sb = Sandbox(a.accord, TOKEN)
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="bench",
               ACCORD_HUBSPOT_TOKEN=TOKEN)
    base = [a.accord, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", state]
    subprocess.run(base, env=env, capture_output=True)
    watch = subprocess.Popen(base + ["--watch", "--interval", str(a.interval), "--budget", "off"], env=env,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        sf_id = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Lovelace'")[0]["Id"]
        hs_ada = sb.hs_search("contacts", "email", "ada.lovelace@example.com")[0]["id"]
        sf_grace = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Hopper'")[0]["Id"]
        hs_id = sb.hs_search("contacts", "email", "grace@navy.example.mil")[0]["id"]
        # polled through the admin dump, which no rate limit counts: polling the API
        # itself 50 times a second would eat the 190-per-10-s budget accord runs under
        def hs_value(obj, rid, prop):
            for r in sb.admin(sb.hs, "dump")["objects"][obj]["records"]:
                if r["id"] == rid:
                    return r["properties"].get(prop)

        def sf_value(obj, rid, field):
            for r in sb.admin(sb.sf, "dump")["objects"][obj]["records"]:
                if r["Id"] == rid:
                    return r.get(field)

        rnd = random.Random(5)
        lat = {"salesforce->hubspot": [], "hubspot->salesforce": []}
        time.sleep(1.0)
        for k in range(a.edits):
            time.sleep(rnd.uniform(0, a.interval))
            value = "v%d-%d" % (k, rnd.randrange(10 ** 6))
            if k % 2 == 0:
                sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"Title": value})
                t0 = time.monotonic()
                seen = lambda: hs_value("contacts", hs_ada, "jobtitle") == value
                key = "salesforce->hubspot"
            else:
                sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}", {"properties": {"city": value}})
                t0 = time.monotonic()
                seen = lambda: sf_value("Contact", sf_grace, "MailingCity") == value
                key = "hubspot->salesforce"
            while not seen():
                if time.monotonic() - t0 > 30:
                    raise SystemExit(f"edit {k} ({key}) did not arrive within 30 s")
                time.sleep(0.02)
            lat[key].append(time.monotonic() - t0)
    finally:
        watch.terminate()
        watch.wait(10)
        sb.stop()
    every = lat["salesforce->hubspot"] + lat["hubspot->salesforce"]
    print(f"accord run --watch --interval {a.interval} --budget off against accord sandbox; {a.edits} edits")
    for name, xs in list(lat.items()) + [("all", every)]:
        print(f"{name:22s} n={len(xs):3d}  p50 {pct(xs, .5):.2f} s  p90 {pct(xs, .9):.2f} s  p99 {pct(xs, .99):.2f} s  "
              f"max {max(xs):.2f} s  mean {statistics.mean(xs):.2f} s")


push() if a.push else main()
