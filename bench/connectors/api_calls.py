#!/usr/bin/env python3
"""API efficiency of an initial sync in both directions through the HTTP
connectors: N Salesforce Contacts HubSpot lacks (created as HubSpot contacts)
and M marketing-qualified HubSpot contacts Salesforce lacks (created as
Salesforce Leads), with the sandbox's default limits (HubSpot 190 requests per
10 s, 4 searches per second).

Reports the calls accord counted and the calls the sandbox counted, against
the minimum of the issue — ceil(creates/200) Salesforce writes + ceil(creates/100)
HubSpot writes, plus the paging reads — with the id write-backs the example's
rules ask for counted separately, and calls per 1,000 records changed.

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
# paging: Salesforce queries 2,000 per page; HubSpot contacts come 100 per page from the
# list endpoint with their company associations inline (the rules read them), 200 per
# search page otherwise
min_r = math.ceil(a.salesforce / 2000) + math.ceil(a.hubspot / 100)
# the example's rules write each new Lead's id back to its HubSpot contact
# (`Id -> salesforce_lead_id`): one HubSpot batch update per 100 new Leads
writeback = math.ceil(a.hubspot / 100)
print(f"\ninitial sync: {a.salesforce} Salesforce Contacts -> HubSpot, {a.hubspot} HubSpot MQLs -> Salesforce Leads; "
      f"{secs:.1f} s")
print(f"after: Salesforce Leads {leads}, HubSpot contacts {contacts}")
print(f"accord counted:  salesforce {sf_r} reads + {sf_w} writes, hubspot {hs_r} reads + {hs_w} writes = "
      f"{sf_r + sf_w + hs_r + hs_w} calls (retries included)")
print(f"sandbox counted: salesforce {sf_calls} (incl. OAuth), hubspot {hs_calls}")
print(f"writes: {sf_w + hs_w}; the issue's minimum for the creates is {min_w} "
      f"(ceil({a.hubspot}/200) Salesforce + ceil({a.salesforce}/100) HubSpot), plus {writeback} id write-backs "
      f"the rules ask for = {min_w + writeback}: {(sf_w + hs_w) / (min_w + writeback):.3f}x")
print(f"reads: {sf_r + hs_r}; paging minimum {min_r} (ceil({a.salesforce}/2000) + ceil({a.hubspot}/100)): "
      f"{(sf_r + hs_r) / min_r:.3f}x")
total_min = min_w + writeback + min_r
print(f"all calls: {sf_r + sf_w + hs_r + hs_w} vs {total_min}: {(sf_r + sf_w + hs_r + hs_w) / total_min:.3f}x")
changed = n_created + n_updated
print(f"calls per 1,000 records changed: {1000 * (sf_r + sf_w + hs_r + hs_w) / max(changed, 1):.1f} "
      f"({n_created} created, {n_updated} updated)")
