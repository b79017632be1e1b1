#!/usr/bin/env python3
"""API efficiency of an initial sync in both directions through the HTTP
connectors: N Salesforce Contacts HubSpot lacks (created as HubSpot contacts)
and M marketing-qualified HubSpot contacts Salesforce lacks (created as
Salesforce Leads), with the sandbox's default limits (HubSpot 190 requests per
10 s, 4 searches per second).

Reports the calls accord counted and the calls the sandbox counted, against
the minimum of the issue: ceil(creates/200) Salesforce writes + ceil(creates/100)
HubSpot writes, plus the paging reads (2,000 per query page, 200 per search
page) — and calls per 1,000 records changed.

  bench/connectors/api_calls.py [--salesforce N] [--hubspot M]
"""
import argparse, math, os, re, shutil, subprocess, sys, tempfile, time

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "e2e"))
from sandbox_client import Sandbox  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--salesforce", type=int, default=10000)
p.add_argument("--hubspot", type=int, default=10000)
p.add_argument("--accord", default=os.environ.get("ACCORD", os.path.join(SRC, "build", "accord")))
a = p.parse_args()
TOKEN = "api-bench-token"
RULES = os.path.join(SRC, "examples", "salesforce-hubspot")

tmp = tempfile.mkdtemp(prefix="accord-apibench-")
seed = os.path.join(tmp, "seed")
subprocess.run([sys.executable, os.path.join(SRC, "bench", "connectors", "seed.py"), seed, "--salesforce", str(a.salesforce),
                "--hubspot", str(a.hubspot)], check=True)
sb = Sandbox(a.accord, TOKEN, seed)
try:
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="bench",
               ACCORD_HUBSPOT_TOKEN=TOKEN)
    sf0 = sb.admin(sb.sf, "dump")["api_usage"]
    hs0 = sb.admin(sb.hs, "dump")["daily_used"]
    t0 = time.monotonic()
    r = subprocess.run([a.accord, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state",
                        os.path.join(tmp, "state.db")], env=env, capture_output=True, text=True)
    secs = time.monotonic() - t0
    sf_dump = sb.admin(sb.sf, "dump")
    hs_dump = sb.admin(sb.hs, "dump")
finally:
    sb.stop()
    shutil.rmtree(tmp, ignore_errors=True)
print(r.stdout, end="")
if r.returncode not in (0, 1):
    sys.exit("accord run failed: " + r.stderr)
m = re.search(r"api calls: salesforce (\d+) reads \+ (\d+) writes, hubspot (\d+) reads \+ (\d+) writes", r.stdout)
sf_r, sf_w, hs_r, hs_w = map(int, m.groups())
created = re.search(r"total: (\d+) created, (\d+) updated", r.stdout)
n_created, n_updated = int(created.group(1)), int(created.group(2))
sf_calls = sf_dump["api_usage"] - sf0
hs_calls = hs_dump["daily_used"] - hs0
leads = sum(1 for x in sf_dump["objects"].get("Lead", {}).get("records", []) if not x.get("IsDeleted"))
contacts = sum(1 for x in hs_dump["objects"].get("contacts", {}).get("records", []) if not x.get("archived"))
min_w = math.ceil(a.hubspot / 200) + math.ceil(a.salesforce / 100)
min_r = math.ceil(a.salesforce / 2000) + math.ceil(a.hubspot / 200)
print(f"\ninitial sync: {a.salesforce} Salesforce Contacts -> HubSpot, {a.hubspot} HubSpot MQLs -> Salesforce Leads; "
      f"{secs:.1f} s")
print(f"after: Salesforce Leads {leads}, HubSpot contacts {contacts}")
print(f"accord counted:  salesforce {sf_r} reads + {sf_w} writes, hubspot {hs_r} reads + {hs_w} writes = "
      f"{sf_r + sf_w + hs_r + hs_w} calls")
print(f"sandbox counted: salesforce {sf_calls} (incl. OAuth), hubspot {hs_calls}")
print(f"minimum (issue): writes {min_w} (ceil({a.hubspot}/200) + ceil({a.salesforce}/100)) + paging reads {min_r} "
      f"= {min_w + min_r}")
print(f"creates: writes used {sf_w + hs_w} vs minimum {min_w}: {(sf_w + hs_w) / min_w:.3f}x; "
      f"all calls {(sf_r + sf_w + hs_r + hs_w) / (min_w + min_r):.3f}x the minimum incl. reads")
changed = n_created + n_updated
print(f"calls per 1,000 records changed: {1000 * (sf_r + sf_w + hs_r + hs_w) / max(changed, 1):.1f} "
      f"({n_created} created, {n_updated} updated)")
