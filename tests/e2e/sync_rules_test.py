#!/usr/bin/env python3
"""HubSpot's four field sync rules, written in Accord, proven through `accord sandbox`.

docs/language.md "HubSpot's sync rules in Accord" maps each rule of HubSpot's
Salesforce connector (Prefer Salesforce unless blank, Always use Salesforce,
Two-way, Don't sync) to Accord. This test runs one rule set with one field per
row over the real HTTP connectors and checks, row by row, what an edit and a
deleted value on each side do — the table's every cell.

Environment: ACCORD (the binary), ACCORD_SOURCE_DIR (the source tree).
Prints `N passed, N failed`; exit 1 on any failure.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sandbox_client import API, Sandbox  # noqa: E402

ACCORD = os.environ.get("ACCORD", "build/accord")
SRC = os.path.abspath(os.environ.get("ACCORD_SOURCE_DIR", "."))
SCHEMAS = os.path.join(SRC, "examples", "salesforce-hubspot", "schemas")
TOKEN = "sync-rules-test-token"

# One field per HubSpot rule (docs/language.md has the same lines).
RULES = f'''schema salesforce "{SCHEMAS}/salesforce"
schema hubspot "{SCHEMAS}/hubspot"

sync people: salesforce.Contact <-> hubspot.contacts {{
  match email
  scope salesforce: Email != null && !IsDeleted
  create in hubspot
  conflict two_way
  Email <-> email with lowerAscii(trim(_))
  LastName <-> lastname

  Title        <-> jobtitle conflict two_way blank clear                        // Two-way
  Phone        <-> phone conflict prefer salesforce unless blank                 // Prefer Salesforce unless blank
  MailingCity   -> city blank clear                                              // Always use Salesforce
  MailingState <-> state conflict dont_sync                                      // Don't sync
}}
'''

passed = failed = 0


def check(name, cond, why=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}")


def main():
    tmp = tempfile.mkdtemp(prefix="accord-sync-rules-")
    with open(os.path.join(tmp, "rules.accord"), "w") as f:
        f.write(RULES)
    state = os.path.join(tmp, "state.db")
    sb = Sandbox(ACCORD, TOKEN)
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="accord-test",
               ACCORD_HUBSPOT_TOKEN=TOKEN)
    env.pop("ACCORD_SALESFORCE_ACCESS_TOKEN", None)

    def run():
        r = subprocess.run([ACCORD, "run", tmp, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", state],
                           env=env, capture_output=True, text=True, timeout=300)
        if r.returncode not in (0, 1):
            raise SystemExit(f"accord run failed ({r.returncode}): {r.stdout}{r.stderr}")
        return r

    try:
        r = subprocess.run([ACCORD, "check", tmp], capture_output=True, text=True)
        check("the rules check", r.returncode == 0, r.stdout + r.stderr)
        created = sb.http(sb.sf, "POST", f"{API}/sobjects/Contact",
                          {"LastName": "Rules", "Email": "rules@example.com", "Title": "T0", "Phone": "P0",
                           "MailingCity": "C0", "MailingState": "S0"})
        sf_id = created["id"]
        run()
        hs = sb.hs_search("contacts", "email", "rules@example.com")
        check("the create made one HubSpot contact", len(hs) == 1, hs)
        hs_id = hs[0]["id"]

        def hs_props():
            return sb.http(sb.hs, "GET", f"/crm/v3/objects/contacts/{hs_id}?properties=jobtitle,phone,city,state")["properties"]

        def sf_rec():
            return sb.http(sb.sf, "GET", f"{API}/sobjects/Contact/{sf_id}")

        def blank(v):
            return v is None or v == ""

        p = hs_props()
        check("create: every row carries the value to the new record (Don't sync too)",
              (p.get("jobtitle"), p.get("phone"), p.get("city"), p.get("state")) == ("T0", "P0", "C0", "S0"), p)

        # 1. an edit in Salesforce
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}",
                {"Title": "T1", "Phone": "P1", "MailingCity": "C1", "MailingState": "S1"})
        run()
        p = hs_props()
        check("Two-way: a Salesforce edit reaches HubSpot", p.get("jobtitle") == "T1", p)
        check("Prefer Salesforce unless blank: a Salesforce edit reaches HubSpot", p.get("phone") == "P1", p)
        check("Always use Salesforce: a Salesforce edit reaches HubSpot", p.get("city") == "C1", p)
        check("Don't sync: a Salesforce edit does not pass", p.get("state") == "S0", p)

        # 2. an edit in HubSpot
        sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}",
                {"properties": {"jobtitle": "T2", "phone": "P2", "city": "C2", "state": "S2"}})
        run()
        s = sf_rec()
        check("Two-way: a HubSpot edit reaches Salesforce", s.get("Title") == "T2", s)
        check("Prefer Salesforce unless blank: a HubSpot edit reaches Salesforce (HubSpot's connector would not "
              "while Salesforce has a value: see the table)", s.get("Phone") == "P2", s)
        check("Always use Salesforce: a HubSpot edit never reaches Salesforce", s.get("MailingCity") == "C1", s)
        check("Don't sync: a HubSpot edit does not pass", s.get("MailingState") == "S1", s)
        p = hs_props()
        check("Always use Salesforce: the HubSpot edit stays until Salesforce changes the field", p.get("city") == "C2", p)

        # 3. a value deleted in Salesforce
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}",
                {"Title": None, "Phone": None, "MailingCity": None, "MailingState": None})
        run()
        p = hs_props()
        check("Two-way: a value deleted in Salesforce is deleted in HubSpot", blank(p.get("jobtitle")), p)
        check("Prefer Salesforce unless blank: a value deleted in Salesforce stays in HubSpot (blank ignore)",
              p.get("phone") == "P2", p)
        check("Always use Salesforce: a value deleted in Salesforce is deleted in HubSpot", blank(p.get("city")), p)
        check("Don't sync: a value deleted in Salesforce stays in HubSpot", p.get("state") == "S2", p)
        s = sf_rec()
        check("Prefer Salesforce unless blank: the blank in Salesforce is not filled back from HubSpot",
              blank(s.get("Phone")), s)

        # 4. values set again in both, then deleted in HubSpot
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}",
                {"Title": "T3", "Phone": "P3", "MailingCity": "C3", "MailingState": "S3"})
        run()
        sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}",
                {"properties": {"jobtitle": "", "phone": "", "city": "", "state": ""}})
        run()
        s = sf_rec()
        check("Two-way: a value deleted in HubSpot is deleted in Salesforce", blank(s.get("Title")), s)
        check("Prefer Salesforce unless blank: a value deleted in HubSpot stays in Salesforce", s.get("Phone") == "P3", s)
        check("Always use Salesforce: a value deleted in HubSpot stays in Salesforce", s.get("MailingCity") == "C3", s)
        check("Don't sync: a value deleted in HubSpot stays in Salesforce", s.get("MailingState") == "S3", s)

        # 5. a conflict: both sides edit the two-way and prefer fields
        sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{hs_id}", {"properties": {"phone": "P4-hs"}})
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_id}", {"Phone": "P4-sf"})
        run()
        p = hs_props()
        check("Prefer Salesforce unless blank: on a conflict Salesforce's value wins", p.get("phone") == "P4-sf", p)

        r = run()
        m = re.search(r"total: (\d+) created, (\d+) updated", r.stdout)
        check("a further pass writes nothing", m and m.group(1) == "0" and m.group(2) == "0", r.stdout)
    finally:
        sb.stop()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
