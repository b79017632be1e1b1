#!/usr/bin/env python3
"""A targeted pass decides what a whole pass decides (issue 15).

Two copies of one jsonl data folder receive the same random history (edits on both sides,
conflicting edits, new records that match, duplicate or collide with linked ones, email
changes, deletes and archives, records without a key); after each round `accord run` syncs
one copy reading every record (`--whole`, the engine the model harness checks) and the other
as it chooses (targeted: what changed since the cursors, partners by id, matches through the
state store's key index). The oracle is the whole pass: after every round both copies must
hold the same records (stamps aside) and the same links, shadows, error log, tombstones and
intents. The targeted copy must also have read fewer records than exist (else the test
proves nothing).

  ACCORD=build/accord python3 tests/sync/targeted_test.py [--seed S] [--rounds R] [--contacts N] [--overlap-ms MS]
"""
import argparse, datetime, json, os, random, re, shutil, sqlite3, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RULES = os.path.join(ROOT, "examples", "salesforce-hubspot")
STAMPS = {"SystemModstamp", "LastModifiedDate", "lastmodifieddate", "hs_lastmodifieddate", "updatedAt"}
TITLES = ["CTO", "Engineer", "Analyst", "Director"]
CITIES = ["London", "Paris", "Berlin", "Lima"]


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def latest(path, key):
    recs, order = {}, []
    if not os.path.exists(path):
        return recs, order
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if r[key] not in recs:
                order.append(r[key])
            recs[r[key]] = r
    return recs, order


def strip(r):
    r = json.loads(json.dumps(r))
    for k in list(r):
        if k in STAMPS:
            del r[k]
    for k in list(r.get("properties", {})):
        if k in STAMPS:
            del r["properties"][k]
    return r


def snapshot(d):
    out = {}
    for side, obj, key in [("salesforce", "Contact", "Id"), ("hubspot", "contacts", "id"),
                           ("salesforce", "Lead", "Id")]:
        recs, order = latest(os.path.join(d, side, obj + ".jsonl"), key)
        out[side + "." + obj] = [strip(recs[k]) for k in order]
    db = sqlite3.connect(os.path.join(d, "accord-state.db"))
    q = {
        "links": "select sync, salesforce_id, hubspot_id, state from links order by 1, 2",
        "shadows": "select sync, salesforce_id, data from pair_shadows order by 1, 2",
        "errors": "select sync, category, salesforce_id, hubspot_id, message, permanent, note, attempts from sync_errors "
                  "order by 1, 2, 3, 4",
        "tombstones": "select system, record_id from tombstones order by 1, 2",
        "intents": "select sync, target_system, source_id from create_intents order by 1, 2, 3",
        "seen": "select sync, salesforce_id, field, side, value from changes_seen order by 1, 2, 3, 4",
    }
    for name, sql in q.items():
        out[name] = db.execute(sql).fetchall()
    # a shadow row as its fields and values: [layout id, value, ...] rows (schema 7) name their
    # layout by an id each copy numbers in its own order
    layouts = {}
    if db.execute("select 1 from sqlite_master where name = 'shadow_layouts'").fetchone():
        layouts = {i: json.loads(f) for i, f in db.execute("select id, fields from shadow_layouts")}

    def fields(data):
        v = json.loads(data)
        if isinstance(v, list):
            return sorted(zip(layouts[v[0]], [json.dumps(x) for x in v[1:]]))
        return sorted((k, json.dumps(x)) for k, x in v.items())
    out["shadows"] = [(sync, sf, fields(data)) for sync, sf, data in out["shadows"]]
    db.close()
    return out


def newest_stamp(d):
    sf, _ = latest(os.path.join(d, "salesforce", "Contact.jsonl"), "Id")
    hs, _ = latest(os.path.join(d, "hubspot", "contacts.jsonl"), "id")
    return max([r.get("SystemModstamp", "") for r in sf.values()] +
               [r["properties"].get("lastmodifieddate", "") for r in hs.values()])


def edits(rnd, d, round_no, newest):
    """Appends one round of edits to folder d (the same lines go to both copies)."""
    sf, sf_order = latest(os.path.join(d, "salesforce", "Contact.jsonl"), "Id")
    hs, hs_order = latest(os.path.join(d, "hubspot", "contacts.jsonl"), "id")
    db = sqlite3.connect(os.path.join(d, "accord-state.db"))
    linked_hs = {r[0] for r in db.execute("select hubspot_id from links")}
    db.close()
    unlinked_hs = [k for k in hs_order if k not in linked_hs and not hs[k].get("archived")]
    live_sf = [k for k in sf_order if not sf[k].get("IsDeleted")]
    live_hs = [k for k in hs_order if not hs[k].get("archived")]
    sf_lines, hs_lines = [], []
    # after every stamp in the files: the systems' stamps never go back (the engine's own writes
    # run ahead of the wall clock by a millisecond per record), and this test runs without the
    # cursor overlap that covers late writes
    stamp = now()
    if newest >= stamp:
        t = datetime.datetime.strptime(newest, "%Y-%m-%dT%H:%M:%S.%fZ") + datetime.timedelta(milliseconds=1)
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def sf_put(r):
        r = json.loads(json.dumps(r))
        r["SystemModstamp"] = stamp
        sf_lines.append(r)

    def hs_put(r):
        r = json.loads(json.dumps(r))
        r["properties"]["lastmodifieddate"] = stamp
        hs_lines.append(r)

    def hs_email(k):
        return hs[k]["properties"].get("email") or ""

    for n in range(rnd.randint(6, 14)):
        kind = rnd.randrange(12)
        tag = "r%d_%d" % (round_no, n)
        if kind == 0 and live_sf:  # a Salesforce edit
            r = sf[rnd.choice(live_sf)]
            r["Title"] = rnd.choice(TITLES) + " " + tag
            sf_put(r)
        elif kind == 1 and live_hs:  # a HubSpot edit
            r = hs[rnd.choice(live_hs)]
            r["properties"]["city"] = rnd.choice(CITIES) + " " + tag
            hs_put(r)
        elif kind == 2 and live_sf:  # both sides edit one pair's name (a two_way conflict when linked)
            k = rnd.choice(live_sf)
            sf[k]["FirstName"] = "Sf" + tag
            sf_put(sf[k])
            em = (sf[k].get("Email") or "").strip().lower()
            for h in live_hs:
                if hs_email(h).strip().lower() == em and em:
                    hs[h]["properties"]["firstname"] = "Hs" + tag
                    hs_put(hs[h])
                    break
        elif kind == 3:  # a new Salesforce contact with a new email: created in HubSpot
            sf_put({"Id": "003NW%010d" % (round_no * 100 + n), "FirstName": "New", "LastName": tag,
                    "Email": tag + "@new.example", "IsDeleted": False})
        elif kind == 4 and unlinked_hs:  # a new Salesforce contact matching an unlinked HubSpot one
            h = rnd.choice(unlinked_hs)
            sf_put({"Id": "003MT%010d" % (round_no * 100 + n), "FirstName": "Match", "LastName": tag,
                    "Email": hs_email(h).upper(), "IsDeleted": False})
        elif kind == 5 and live_sf:  # a new HubSpot contact with a linked Salesforce contact's email
            k = rnd.choice(live_sf)
            hs_put({"id": str(5000000 + round_no * 100 + n), "properties": {
                "email": sf[k].get("Email") or "", "firstname": "Dup", "lastname": tag}, "archived": False})
        elif kind == 6 and unlinked_hs:  # a second HubSpot contact with an unlinked one's email: ambiguous
            h = rnd.choice(unlinked_hs)
            hs_put({"id": str(6000000 + round_no * 100 + n), "properties": {
                "email": hs_email(h), "firstname": "Twin", "lastname": tag}, "archived": False})
        elif kind == 7 and live_sf:  # a Salesforce email changes (to a fresh one, or an unlinked contact's)
            k = rnd.choice(live_sf)
            sf[k]["Email"] = hs_email(rnd.choice(unlinked_hs)) if unlinked_hs and rnd.random() < 0.5 else tag + "@moved.example"
            sf_put(sf[k])
        elif kind == 8 and unlinked_hs:  # an unlinked HubSpot contact's email changes
            h = rnd.choice(unlinked_hs)
            hs[h]["properties"]["email"] = rnd.choice([tag + "@hs.example", (sf[rnd.choice(live_sf)].get("Email") or "")
                                                       if live_sf else ""])
            hs_put(hs[h])
        elif kind == 9 and live_sf:  # a Salesforce delete
            k = rnd.choice(live_sf)
            sf[k]["IsDeleted"] = True
            sf_put(sf[k])
        elif kind == 10 and live_hs:  # a HubSpot archive
            h = rnd.choice(live_hs)
            hs[h]["archived"] = True
            hs_put(hs[h])
        elif kind == 11:  # a Salesforce contact without an email (out of scope) or a blank HubSpot one
            if rnd.random() < 0.5:
                sf_put({"Id": "003NE%010d" % (round_no * 100 + n), "FirstName": "NoMail", "LastName": tag,
                        "IsDeleted": False})
            else:
                hs_put({"id": str(7000000 + round_no * 100 + n), "properties": {"firstname": "NoMail",
                                                                                "lastname": tag}, "archived": False})
    return sf_lines, hs_lines


def append(d, sf_lines, hs_lines):
    for side, obj, lines in [("salesforce", "Contact", sf_lines), ("hubspot", "contacts", hs_lines)]:
        with open(os.path.join(d, side, obj + ".jsonl"), "a") as f:
            for r in lines:
                f.write(json.dumps(r) + "\n")


def run(accord, d, whole, overlap):
    # --overlap 0: the records this test stamped or wrote before the last pass are old to it, so
    # the whole copy decides over exactly what a targeted pass must find by id and by key
    cmd = [accord, "run", RULES, "--data", d, "--format", "json", "--overlap-ms", str(overlap)] + (["--whole"] if whole else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit("accord run failed (%d): %s %s" % (p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    m = re.search(r'"records_read":\s*(\d+)', p.stdout)
    return int(m.group(1)) if m else -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--contacts", type=int, default=300)
    ap.add_argument("--overlap-ms", dest="overlap", type=int, default=0,
                    help="the cursor overlap of both copies (60000: the default, where a whole pass re-reads the "
                         "last minute's records and a targeted one reads the jsonl files' appended lines)")
    a = ap.parse_args()
    accord = os.environ.get("ACCORD", os.path.join(ROOT, "build", "accord"))
    rnd = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="accord-targeted-")
    try:
        whole, targeted = os.path.join(tmp, "whole"), os.path.join(tmp, "targeted")
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "init", whole, "--contacts", str(a.contacts),
                        "--seed", str(a.seed)], check=True)
        shutil.copytree(whole, targeted)
        fewer = 0
        for rd in range(a.rounds + 1):
            if rd > 0:
                sf_lines, hs_lines = edits(rnd, whole, rd, max(newest_stamp(whole), newest_stamp(targeted)))
                append(whole, sf_lines, hs_lines)
                append(targeted, sf_lines, hs_lines)
            run(accord, whole, True, a.overlap)
            read = run(accord, targeted, False, a.overlap)
            total = sum(len(latest(os.path.join(targeted, s, o + ".jsonl"), k)[0])
                        for s, o, k in [("salesforce", "Contact", "Id"), ("hubspot", "contacts", "id")])
            fewer += 0 <= read < total
            if os.environ.get("VERBOSE"):  # what each round did
                s = snapshot(targeted)
                print("round %d: read %d of %d; %d links, %d errors and notes, %d tombstones" % (rd, read, total, len(s["links"]), len(s["errors"]), len(s["tombstones"])))
            x, y = snapshot(whole), snapshot(targeted)
            for part in x:
                if x[part] != y[part]:
                    a_only = [v for v in x[part] if v not in y[part]][:5]
                    b_only = [v for v in y[part] if v not in x[part]][:5]
                    sys.exit("seed %d round %d: %s differ\n  whole only:    %s\n  targeted only: %s\n  (kept in %s)" %
                             (a.seed, rd, part, a_only, b_only, tmp))
        if fewer == 0:
            sys.exit("seed %d: no pass of the targeted copy read fewer records than exist (kept in %s)" % (a.seed, tmp))
        print("seed %d: %d rounds agree; %d targeted passes read fewer records than exist" % (a.seed, a.rounds, fewer))
    except SystemExit:
        raise
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
