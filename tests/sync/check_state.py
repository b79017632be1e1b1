#!/usr/bin/env python3
"""Checks a data folder after sync passes of the example's `people` sync:
no duplicates, every in-scope Salesforce contact linked to exactly one HubSpot
contact, linked pairs agree field by field, and every edit in the edit log
(gen.py change --log) survived on both sides. Exit 1 with the reasons."""
import json, sys
from collections import Counter

sys.path.insert(0, __import__("os").path.dirname(__file__))


def latest(path, key):
    recs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                recs[r[key]] = r
    return recs


def norm(s):
    return (s or "").strip().lower()


def main(data, edits_path, expected_hubspot):
    sf = latest(data + "/salesforce/Contact.jsonl", "Id")
    hs = latest(data + "/hubspot/contacts.jsonl", "id")
    problems = []
    emails = Counter(norm(r["properties"].get("email")) for r in hs.values() if not r.get("archived"))
    dups = [e for e, n in emails.items() if n > 1 and e]
    if dups:
        problems.append("%d emails are on more than one HubSpot contact, e.g. %s" % (len(dups), dups[:3]))
    if expected_hubspot and len(hs) != expected_hubspot:
        problems.append("%d HubSpot contacts, expected %d" % (len(hs), expected_hubspot))
    by_sf = {}
    for r in hs.values():
        sid = r["properties"].get("salesforce_contact_id")
        if sid:
            by_sf.setdefault(sid, []).append(r)
    pairs = {}
    for sid, c in sf.items():
        if c.get("IsDeleted") or not c.get("Email"):
            continue
        twins = by_sf.get(sid, [])
        if len(twins) != 1:
            problems.append("Salesforce contact %s has %d HubSpot twins" % (sid, len(twins)))
            continue
        pairs[sid] = twins[0]
        p = twins[0]["properties"]
        want = {"email": norm(c.get("Email")), "firstname": c.get("FirstName"), "lastname": c.get("LastName"),
                "jobtitle": c.get("Title"), "city": c.get("MailingCity"),
                "full_name": (c.get("FirstName") or "") + " " + (c.get("LastName") or "")}
        for k, v in want.items():
            if (p.get(k) or None) != (v or None):
                problems.append("%s / %s: %s is %r in HubSpot, %r from Salesforce" % (sid, twins[0]["id"], k, p.get(k), v))
    if edits_path:
        last = {}
        with open(edits_path) as f:
            for line in f:
                e = json.loads(line)
                last[(e["side"], e["id"], e["field"])] = e["value"]
        lost = 0
        for (side, rid, field), value in last.items():
            if side == "salesforce":
                have = sf[rid].get(field)
                twin = pairs.get(rid)
                other = twin["properties"].get("jobtitle") if twin else value
            else:
                have = hs[rid]["properties"].get(field)
                sid = hs[rid]["properties"].get("salesforce_contact_id")
                other = sf[sid].get("MailingCity") if sid in sf else value
            if have != value or other != value:
                lost += 1
                if lost <= 5:
                    problems.append("lost edit: %s %s %s=%r (now %r here, %r on the other side)" % (side, rid, field, value, have, other))
        if lost > 5:
            problems.append("... %d lost edits in all" % lost)
        print("check_state: %d edits checked" % len(last))
    print("check_state: %d Salesforce contacts, %d HubSpot contacts, %d linked pairs" % (len(sf), len(hs), len(pairs)))
    for p in problems[:40]:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "", int(sys.argv[3]) if len(sys.argv) > 3 else 0))
