#!/usr/bin/env python3
"""Generates jsonl data folders for the sync engine's tests and benchmarks.

  gen.py init DIR --contacts N [--hubspot M] [--match F] [--seed S]
      DIR/salesforce/Contact.jsonl with N contacts and DIR/hubspot/contacts.jsonl
      with M contacts (default N), a fraction F (default 0.5) of which share an
      email with a Salesforce contact.
  gen.py change DIR --fraction F [--seed S]
      appends edits to a fraction F of the records of both files (the change
      feed), some on the same records on both sides.
"""
import argparse, json, os, random

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Ken"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton", "Thompson"]
TITLES = ["CTO", "Engineer", "Analyst", "Director", "VP Sales", "Founder", "Manager"]
CITIES = ["London", "Paris", "Berlin", "Boston", "Austin", "Tokyo", "Lagos", "Lima"]
STAMP = "2026-01-01T00:00:00.000Z"


def sf_contact(i, email):
    return {"Id": "003SF%010d" % i, "FirstName": FIRST[i % 10], "LastName": LAST[(i // 10) % 10] + str(i),
            "Email": email, "Title": TITLES[i % 7], "MailingCity": CITIES[i % 8], "Phone": "+1 415 555 %04d" % (i % 10000),
            "IsDeleted": False, "SystemModstamp": STAMP}


def hs_contact(i, email):
    return {"id": str(1000000 + i), "properties": {"email": email, "firstname": FIRST[(i + 3) % 10],
            "lastname": LAST[(i // 7) % 10] + str(i), "jobtitle": TITLES[(i + 1) % 7], "city": CITIES[(i + 2) % 8],
            "lastmodifieddate": STAMP, "hs_object_id": str(1000000 + i)}, "archived": False}


def init(a):
    rnd = random.Random(a.seed)
    n, m = a.contacts, a.hubspot if a.hubspot is not None else a.contacts
    os.makedirs(os.path.join(a.dir, "salesforce"), exist_ok=True)
    os.makedirs(os.path.join(a.dir, "hubspot"), exist_ok=True)
    with open(os.path.join(a.dir, "salesforce", "Contact.jsonl"), "w") as f:
        for i in range(n):
            # mixed case and spaces: the rules normalize emails
            email = "person%d@example.com" % i
            if i % 5 == 0:
                email = "  Person%d@Example.COM " % i
            f.write(json.dumps(sf_contact(i, email)) + "\n")
    matching = int(m * a.match)
    with open(os.path.join(a.dir, "hubspot", "contacts.jsonl"), "w") as f:
        picks = rnd.sample(range(n), min(matching, n)) if n else []
        for j in range(m):
            email = "person%d@example.com" % picks[j] if j < len(picks) else "hs%d@example.org" % j
            f.write(json.dumps(hs_contact(j, email)) + "\n")


def latest(path, key):
    recs, order = {}, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            k = r.get(key)
            if k not in recs:
                order.append(k)
            recs[k] = r
    return recs, order


def drop_partial_tail(path):
    """A writer killed mid-line left an unfinished record: the system never
    stored it, so it goes before anything else is appended."""
    with open(path, "rb+") as f:
        data = f.read()
        keep = data.rfind(b"\n") + 1
        if keep < len(data):
            f.truncate(keep)


def change(a):
    rnd = random.Random(a.seed)
    stamp = "2026-06-01T00:00:%02d.000Z" % (a.seed % 60)
    sf_path = os.path.join(a.dir, "salesforce", "Contact.jsonl")
    hs_path = os.path.join(a.dir, "hubspot", "contacts.jsonl")
    drop_partial_tail(sf_path)
    drop_partial_tail(hs_path)
    sf, sf_order = latest(sf_path, "Id")
    hs, hs_order = latest(hs_path, "id")
    if not a.fixed_stamp:  # edits stamped with the wall clock, as a live system would
        import datetime
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    log = open(a.log, "a") if a.log else None
    # Salesforce edits Title, HubSpot edits city: no two edits conflict, so
    # every one of them must survive on both sides
    with open(sf_path, "a") as f:
        for k in sf_order:
            if rnd.random() < a.fraction and not sf[k].get("IsDeleted"):
                r = dict(sf[k])
                r["Title"] = rnd.choice(TITLES) + " " + str(rnd.randint(1, 999))
                r["SystemModstamp"] = stamp
                f.write(json.dumps(r) + "\n")
                if log:
                    log.write(json.dumps({"side": "salesforce", "id": k, "field": "Title", "value": r["Title"]}) + "\n")
    with open(hs_path, "a") as f:
        for k in hs_order:
            if rnd.random() < a.fraction and not hs[k].get("archived"):
                r = json.loads(json.dumps(hs[k]))
                r["properties"]["city"] = rnd.choice(CITIES) + " " + str(rnd.randint(1, 999))
                r["properties"]["lastmodifieddate"] = stamp
                f.write(json.dumps(r) + "\n")
                if log:
                    log.write(json.dumps({"side": "hubspot", "id": k, "field": "city", "value": r["properties"]["city"]}) + "\n")


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
i = sub.add_parser("init")
i.add_argument("dir")
i.add_argument("--contacts", type=int, required=True)
i.add_argument("--hubspot", type=int)
i.add_argument("--match", type=float, default=0.5)
i.add_argument("--seed", type=int, default=1)
c = sub.add_parser("change")
c.add_argument("dir")
c.add_argument("--fraction", type=float, default=0.1)
c.add_argument("--seed", type=int, default=2)
c.add_argument("--log", help="append every edit made to this file (JSON lines)")
c.add_argument("--now", action="store_true", help="(the default) stamp the edits with the current time")
c.add_argument("--fixed-stamp", action="store_true", help="stamp the edits 2026-06-01 instead of now")
a = p.parse_args()
init(a) if a.cmd == "init" else change(a)
