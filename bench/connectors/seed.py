#!/usr/bin/env python3
"""A sandbox seed folder for the connector benchmarks: the example's schemas
and rules' objects, N Salesforce Contacts that HubSpot lacks and M HubSpot
contacts (marketing-qualified, so the `leads` sync creates Salesforce Leads for
them) that Salesforce lacks: an initial sync in both directions.

  seed.py DIR --salesforce N --hubspot M
"""
import argparse, json, os, shutil

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--salesforce", type=int, default=10000)
p.add_argument("--hubspot", type=int, default=10000)
p.add_argument("--example", default=os.path.join(os.path.dirname(__file__), "..", "..", "examples", "salesforce-hubspot"))
a = p.parse_args()

shutil.rmtree(a.dir, ignore_errors=True)
shutil.copytree(os.path.join(a.example, "schemas"), os.path.join(a.dir, "schemas"))
os.makedirs(os.path.join(a.dir, "data", "salesforce"))
os.makedirs(os.path.join(a.dir, "data", "hubspot"))
STAMP_SF = "2026-11-01T00:00:00.000+0000"
STAMP_HS = "2026-11-01T00:00:00.000Z"
with open(os.path.join(a.dir, "data", "salesforce", "Contact.jsonl"), "w") as f:
    for i in range(a.salesforce):
        f.write(json.dumps({"attributes": {"type": "Contact"}, "Id": "0035g%09dAAA1" % i, "FirstName": "First%d" % i,
                            "LastName": "Last%d" % i, "Email": "sf%d@example.com" % i, "Title": "Engineer",
                            "MailingCity": "London", "IsDeleted": False, "SystemModstamp": STAMP_SF}) + "\n")
with open(os.path.join(a.dir, "data", "hubspot", "contacts.jsonl"), "w") as f:
    for j in range(a.hubspot):
        hid = str(5000000 + j)
        f.write(json.dumps({"id": hid, "properties": {"email": "hs%d@example.org" % j, "firstname": "Hs%d" % j,
                                                      "lastname": "Person%d" % j, "company": "Company %d" % j,
                                                      "lifecyclestage": "marketingqualifiedlead",
                                                      "lastmodifieddate": STAMP_HS, "hs_object_id": hid},
                            "archived": False}) + "\n")
