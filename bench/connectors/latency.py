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
"""
import argparse, os, random, statistics, subprocess, sys, tempfile, time

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "e2e"))
from sandbox_client import API, Sandbox  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--edits", type=int, default=40)
p.add_argument("--interval", type=float, default=1.0)
p.add_argument("--accord", default=os.environ.get("ACCORD", os.path.join(SRC, "build", "accord")))
a = p.parse_args()
TOKEN = "latency-bench-token"
RULES = os.path.join(SRC, "examples", "salesforce-hubspot")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    tmp = tempfile.mkdtemp(prefix="accord-latency-")
    state = os.path.join(tmp, "state.db")
    sb = Sandbox(a.accord, TOKEN)
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="bench",
               ACCORD_HUBSPOT_TOKEN=TOKEN)
    base = [a.accord, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", state]
    subprocess.run(base, env=env, capture_output=True)
    watch = subprocess.Popen(base + ["--watch", "--interval", str(a.interval)], env=env, stdout=subprocess.DEVNULL,
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
    print(f"accord run --watch --interval {a.interval} against accord sandbox; {a.edits} edits")
    for name, xs in list(lat.items()) + [("all", every)]:
        print(f"{name:22s} n={len(xs):3d}  p50 {pct(xs, .5):.2f} s  p90 {pct(xs, .9):.2f} s  p99 {pct(xs, .99):.2f} s  "
              f"max {max(xs):.2f} s  mean {statistics.mean(xs):.2f} s")


main()
