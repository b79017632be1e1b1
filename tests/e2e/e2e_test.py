#!/usr/bin/env python3
"""End to end: the example rules through `accord run` against `accord sandbox`.

The test starts the sandbox itself on free loopback ports and drives a scenario
over the real HTTP connectors:

  1. initial sync of the example data (both directions)
  2. edits on both sides
  3. a conflict (Phone: prefer salesforce unless blank)
  4. a HubSpot contact becoming an MQL -> a Salesforce Lead is created
  5. that Lead converted in Salesforce -> the HubSpot contact follows the Contact
  6. an Opportunity moving to Closed Won -> the account's contacts become customers

It runs the scenario twice: fault-free, then with faults injected into both
emulators throughout (429 storms / REQUEST_LIMIT_EXCEEDED, 5xx, dropped
connections before and after processing, partial batch failures,
UNABLE_TO_LOCK_ROW). The final state of both emulators must equal the
fault-free run (ids mapped to natural keys), with no duplicates.

Also: a planted secret never appears in any output stream, and `accord schema
pull` writes schema files `accord check` reads.

Environment: ACCORD (the binary), ACCORD_SOURCE_DIR (the source tree).
Prints `N passed, N failed`; exit 1 on any failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sandbox_client import API, Sandbox  # noqa: E402

ACCORD = os.environ.get("ACCORD", "build/accord")
SRC = os.environ.get("ACCORD_SOURCE_DIR", ".")
RULES = os.path.join(SRC, "examples", "salesforce-hubspot")
TOKEN = "e2e-Planted-Secret-7d1f0c2a9b"  # the sandbox's token: must never be printed by accord

passed = 0
failed = 0
outputs = []  # every stdout/stderr accord produced, for the secret check


def ok(name):
    global passed
    passed += 1
    print(f"ok   {name}")


def bad(name, why):
    global failed
    failed += 1
    print(f"FAIL {name}: {why}")


def check(name, cond, why=""):
    if cond:
        ok(name)
    else:
        bad(name, why)


def accord(args, env_extra=None, check_rc=None):
    env = dict(os.environ)
    env.update({"ACCORD_SALESFORCE_REFRESH_TOKEN": TOKEN, "ACCORD_SALESFORCE_CLIENT_ID": "accord-e2e",
                "ACCORD_HUBSPOT_TOKEN": TOKEN})
    env.pop("ACCORD_SALESFORCE_ACCESS_TOKEN", None)
    if env_extra:
        env.update(env_extra)
    r = subprocess.run([ACCORD] + args, env=env, capture_output=True, text=True, timeout=600)
    outputs.append(("accord " + " ".join(args[:2]), r.stdout, r.stderr))
    return r


seen_statuses = {}  # what --verbose showed of the HTTP exchanges: "429", "503", "no response", ...


def run_pass(sb, state, extra=()):
    r = accord(["run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", state, "--verbose"] + list(extra))
    for m in re.finditer(r"^http: \S+ \S+ -> (\d+|no response)", r.stderr, re.M):
        seen_statuses[m.group(1)] = seen_statuses.get(m.group(1), 0) + 1
    return r


def quiesce(sb, state, label, max_passes=40):
    """Passes until one writes nothing and no transient error is left (those are made due at
    once); permanent errors (the example's quarantined records) wait for a change."""
    last = None
    for i in range(max_passes):
        r = run_pass(sb, state)
        last = r
        m = re.search(r"total: (\d+) created, (\d+) updated, (\d+) linked, (\d+) conflicts, (\d+) errors", r.stdout)
        if m and r.returncode in (0, 1) and m.group(1) == m.group(2) == m.group(3) == "0":
            log = accord(["errors", "--state", state, "--format", "json"])
            try:
                entries = json.loads(log.stdout or "[]")
            except ValueError:
                entries = [{"permanent": False}]
            if all(e.get("permanent") for e in entries):
                return i + 1
        if r.returncode not in (0, 1, 2):
            break
        accord(["retry", "--state", state])
    bad(f"{label}: quiesce", f"no quiet pass after {max_passes} passes; last:\n{last.stdout}\n{last.stderr}")
    return max_passes


def scenario(sb, state, label):
    """The steps; returns nothing, checks as it goes (the checks are the same with faults)."""
    # 1. initial sync
    passes = quiesce(sb, state, label + " initial sync")
    print(f"     {label}: initial sync quiet after {passes} passes")
    ada = sb.hs_search("contacts", "email", "ada.lovelace@example.com")
    check(f"{label}: Ada created in HubSpot with the normalized email", len(ada) == 1, f"found {ada}")
    sf_ada = sb.soql("SELECT Id, Title, Phone FROM Contact WHERE LastName = 'Lovelace'")
    if ada and sf_ada:
        check(f"{label}: Ada carries her Salesforce id", ada[0]["properties"].get("salesforce_contact_id") == sf_ada[0]["Id"],
              str(ada[0]["properties"]))
    hedy = sb.hs_search("contacts", "email", "hedy@fh.example")
    check(f"{label}: the Lead Hedy is in HubSpot", len(hedy) == 1, str(hedy))

    # 2. edits on both sides
    if sf_ada:
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_ada[0]['Id']}", {"Title": "Chief Engineer"})
    grace = sb.hs_search("contacts", "email", "grace@navy.example.mil")
    if grace:
        sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{grace[0]['id']}", {"properties": {"city": "Washington"}})
    quiesce(sb, state, label + " edits")
    ada = sb.hs_search("contacts", "email", "ada.lovelace@example.com")
    check(f"{label}: Salesforce edit reached HubSpot", ada and ada[0]["properties"].get("jobtitle") == "Chief Engineer",
          str(ada))
    sf_grace = sb.soql("SELECT Id, MailingCity FROM Contact WHERE LastName = 'Hopper'")
    check(f"{label}: HubSpot edit reached Salesforce", sf_grace and sf_grace[0]["MailingCity"] == "Washington", str(sf_grace))

    # 3. a conflict: Phone on both sides; prefer salesforce unless blank
    if sf_ada and ada:
        sb.http(sb.hs, "PATCH", f"/crm/v3/objects/contacts/{ada[0]['id']}", {"properties": {"phone": "+44 20 7946 0999"}})
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_ada[0]['Id']}", {"Phone": "+44 20 7946 0111"})
    quiesce(sb, state, label + " conflict")
    ada = sb.hs_search("contacts", "email", "ada.lovelace@example.com")
    sf_ada = sb.soql("SELECT Id, Phone FROM Contact WHERE LastName = 'Lovelace'")
    check(f"{label}: conflict decided for Salesforce on both sides",
          ada and sf_ada and sf_ada[0]["Phone"] == "+44 20 7946 0111" and ada[0]["properties"].get("phone") == "+44 20 7946 0111",
          f"sf {sf_ada} hs {ada}")

    # 4. MQL -> a Salesforce Lead
    sb.http(sb.hs, "POST", "/crm/v3/objects/contacts",
            {"properties": {"email": "katherine@nasa.example", "firstname": "Katherine", "lastname": "Johnson",
                            "lifecyclestage": "marketingqualifiedlead"}})
    quiesce(sb, state, label + " mql")
    leads = sb.soql("SELECT Id, LastName, Company, Email FROM Lead WHERE Email = 'katherine@nasa.example'")
    check(f"{label}: the MQL became one Salesforce Lead", len(leads) == 1, str(leads))
    check(f"{label}: the Lead's Company defaulted", leads and leads[0]["Company"] == "[not provided]", str(leads))

    # 5. the Lead converted in Salesforce -> the HubSpot contact follows the new Contact
    if leads:
        res = sb.http(sb.sf, "POST", "/services/apexrest/accord/convertLead",
                      {"allOrNone": True, "leadConverts": [{"leadId": leads[0]["Id"], "convertedStatus": "Closed - Converted",
                                                            "doNotCreateOpportunity": True}]})
        contact_id = res[0].get("contactId") if res else None
        quiesce(sb, state, label + " conversion")
        kj = sb.hs_search("contacts", "email", "katherine@nasa.example")
        check(f"{label}: one HubSpot contact after the conversion", len(kj) == 1, str(kj))
        if kj:
            p = kj[0]["properties"]
            check(f"{label}: the HubSpot contact now links the converted Contact",
                  p.get("salesforce_contact_id") == contact_id, str(p))
            check(f"{label}: conversion moved the lifecycle to salesqualifiedlead", p.get("lifecyclestage") == "salesqualifiedlead",
                  str(p))

    # 6. Closed Won -> the account's contacts become customers (Grace joins the account first)
    opp = sb.soql("SELECT Id, AccountId FROM Opportunity WHERE Name = 'COBOL modernisation'")
    if opp and sf_grace:
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{sf_grace[0]['Id']}", {"AccountId": opp[0]["AccountId"]})
        quiesce(sb, state, label + " account change")
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Opportunity/{opp[0]['Id']}", {"StageName": "Closed Won"})
    quiesce(sb, state, label + " closed won")
    if opp:
        contacts = sb.soql(f"SELECT Email FROM Contact WHERE AccountId = '{opp[0]['AccountId']}'")
        stages = []
        for c in contacts:
            if c.get("Email"):
                found = sb.hs_search("contacts", "email", c["Email"].strip().lower())
                stages += [f["properties"].get("lifecyclestage") for f in found]
        check(f"{label}: Closed Won made the account's contacts customers", stages and all(s == "customer" for s in stages),
              str(stages))
        deal = sb.hs_search("deals", "dealname", "COBOL modernisation")
        check(f"{label}: the deal followed to closedwon", deal and deal[0]["properties"].get("dealstage") == "closedwon", str(deal))


VOLATILE = re.compile(r"(modstamp|date|createdAt|updatedAt|CreatedById|LastModifiedById|lastmodified|createdate|"
                      r"hs_object_id|hs_lastmodifieddate|^Id$|^id$|LastActivity|LastViewed|LastReferenced|"
                      r"hs_all_|hs_calculated|num_|hs_is_|hs_createdate)", re.I)


def normalize(sb):
    """Both emulators' records with ids replaced by natural keys, volatile fields dropped; duplicates reported."""
    sf = sb.admin(sb.sf, "dump")
    hs = sb.admin(sb.hs, "dump")
    labels = {}
    keyed = {}
    for obj, data in sf["objects"].items():
        for r in data["records"]:
            key = r.get("Email") or r.get("Name") or r.get("Subject") or r.get("LastName") or r["Id"]
            labels[r["Id"]] = f"sf:{obj}:{str(key).strip().lower()}"
    for obj, data in hs["objects"].items():
        for r in data["records"]:
            p = r.get("properties", {})
            key = p.get("email") or p.get("domain") or p.get("dealname") or p.get("name") or p.get("hs_task_subject") or r["id"]
            labels[r["id"]] = f"hs:{obj}:{str(key).strip().lower()}"

    def norm_value(v):
        if isinstance(v, str) and v in labels:
            return labels[v]
        return v

    dups = []
    out = {}
    for system, dump, idk in (("sf", sf, "Id"), ("hs", hs, "id")):
        for obj, data in dump["objects"].items():
            seen = {}
            for r in data["records"]:
                fields = r.get("properties", r) if system == "hs" else r
                if (r.get("IsDeleted") or r.get("archived")):
                    continue
                rec = {k: norm_value(v) for k, v in fields.items() if not VOLATILE.search(k) and k != "attributes"}
                label = labels[r[idk]]
                if label in seen:
                    dups.append(label)
                seen[label] = rec
            out[f"{system}:{obj}"] = seen
    assoc = sorted(f"{labels.get(a['fromId'], a['fromId'])}->{labels.get(a['toId'], a['toId'])}"
                   for a in hs.get("associations", []))
    out["hs:associations"] = assoc
    return out, dups


def diff(a, b, path=""):
    lines = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                lines.append(f"{path}/{k}: only with faults: {json.dumps(b[k])[:200]}")
            elif k not in b:
                lines.append(f"{path}/{k}: missing with faults (fault-free: {json.dumps(a[k])[:200]})")
            else:
                lines += diff(a[k], b[k], f"{path}/{k}")
    elif a != b:
        lines.append(f"{path}: fault-free {json.dumps(a)[:200]} vs with faults {json.dumps(b)[:200]}")
    return lines


def watch_survives_an_outage(tmp):
    """`accord run --watch` outlives the APIs going away: the sandbox (state in a file) is
    stopped under it and started again on the same ports; the watch reports the failed
    passes, re-authenticates with its refresh token and syncs the next edit."""
    sb_state = os.path.join(tmp, "sandbox-state.db")
    sb = Sandbox(ACCORD, TOKEN, extra=["--state", sb_state])
    ports = [sb.sf.rsplit(":", 1)[1], sb.hs.rsplit(":", 1)[1]]
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=TOKEN, ACCORD_SALESFORCE_CLIENT_ID="accord-e2e",
               ACCORD_HUBSPOT_TOKEN=TOKEN)
    env.pop("ACCORD_SALESFORCE_ACCESS_TOKEN", None)
    log = open(os.path.join(tmp, "watch.log"), "w+")
    watch = subprocess.Popen([ACCORD, "run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state",
                              os.path.join(tmp, "watch.db"), "--watch", "--interval", "0.5", "--budget", "off"],
                             env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        def arrived(value, timeout=30):
            deadline = time.time() + timeout
            while time.time() < deadline:
                found = sb.hs_search("contacts", "email", "ada.lovelace@example.com")
                if found and found[0]["properties"].get("jobtitle") == value:
                    return True
                time.sleep(0.3)
            return False

        ada = lambda: sb.soql("SELECT Id FROM Contact WHERE LastName = 'Lovelace'")[0]["Id"]
        check("watch: the first passes link the example", arrived("CTO"))
        # stop the APIs between passes, once the watch has settled (a quiet pass)
        deadline = time.time() + 60
        while time.time() < deadline:
            log.seek(0)
            if re.search(r"total: 0 created, 0 updated, 0 linked", log.read()):
                break
            time.sleep(0.2)
        sb.stop()
        # short outages are bridged by the HTTP layer's retries (about 6 s of backoff);
        # this one is longer, so passes fail and are reported
        time.sleep(9)
        check("watch: still running while the APIs are down", watch.poll() is None)
        sb = Sandbox(ACCORD, TOKEN, extra=["--state", sb_state, "--port-salesforce", ports[0], "--port-hubspot", ports[1]])
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/{ada()}", {"Title": "After the outage"})
        check("watch: syncs again once the APIs are back", arrived("After the outage"))
    finally:
        watch.terminate()
        rc = watch.wait(20)
        sb.stop()
    log.seek(0)
    text = log.read()
    outputs.append(("accord run --watch", text, ""))
    check("watch: stops cleanly on SIGTERM", rc == 0, f"exit {rc}")
    # a pass that fails reading says so; one that was writing when the APIs went logs transient errors
    check("watch: reported the outage", re.search(r"accord run: .*(salesforce|hubspot|Salesforce|HubSpot)|Transport \d+", text)
          is not None, text[-2000:])


def main():
    tmp = tempfile.mkdtemp(prefix="accord-e2e-")
    sb = Sandbox(ACCORD, TOKEN)
    try:
        # fault-free
        scenario(sb, os.path.join(tmp, "clean.db"), "fault-free")
        clean, dups = normalize(sb)
        check("fault-free: no duplicates", not dups, str(dups))

        # the same scenario with faults throughout
        sb.admin(sb.sf, "reset", {})
        sb.admin(sb.hs, "reset", {})
        faults = {"seed": 1100, "error_rate": 0.05, "drop_rate": 0.04, "drop_after_rate": 0.04, "storm_rate": 0.05,
                  "storm_length": 3, "partial_rate": 0.05, "latency_ms": 1, "latency_jitter_ms": 4}
        sb.faults(faults, dict(faults, seed=1200))
        seen_statuses.clear()
        scenario(sb, os.path.join(tmp, "faults.db"), "with faults")
        sb.faults({}, {})
        print(f"     with faults: HTTP statuses seen {dict(sorted(seen_statuses.items()))}")
        for status in ("429", "403", "no response"):
            check(f"with faults: accord met {status} (the faults were injected)", seen_statuses.get(status, 0) > 0)
        check("with faults: accord met 5xx", any(k.startswith("5") for k in seen_statuses))
        faulty, dups = normalize(sb)
        check("with faults: no duplicates", not dups, str(dups))
        d = diff(clean, faulty)
        check("with faults: the final state equals the fault-free run", not d, "\n  " + "\n  ".join(d[:30]))

        # a plan against the APIs writes nothing: neither system nor the state file
        sb.http(sb.sf, "PATCH", f"{API}/sobjects/Contact/" + sb.soql("SELECT Id FROM Contact WHERE LastName = 'Hopper'")[0]["Id"],
                {"Title": "Planned Title"})
        before_sf, before_hs = sb.admin(sb.sf, "dump")["objects"], sb.admin(sb.hs, "dump")["objects"]
        state_before = open(os.path.join(tmp, "faults.db"), "rb").read()
        r = accord(["plan", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", os.path.join(tmp, "faults.db")])
        check("plan shows the pending update", r.returncode in (0, 1) and "Planned Title" in r.stdout, r.stdout + r.stderr)
        check("plan writes nothing to either system",
              sb.admin(sb.sf, "dump")["objects"] == before_sf and sb.admin(sb.hs, "dump")["objects"] == before_hs)
        check("plan leaves the state file as it was", open(os.path.join(tmp, "faults.db"), "rb").read() == state_before)

        # schema pull: files `accord check` reads
        pulled = os.path.join(tmp, "rules")
        os.makedirs(pulled)
        for f in os.listdir(RULES):
            if f.endswith(".accord"):
                shutil.copy(os.path.join(RULES, f), pulled)
        r = accord(["schema", "pull", "--salesforce", sb.sf, "--hubspot", sb.hs, "--out", os.path.join(pulled, "schemas")])
        check("schema pull exits 0", r.returncode == 0, r.stdout + r.stderr)
        check("schema pull wrote Contact.json", os.path.exists(os.path.join(pulled, "schemas", "salesforce", "Contact.json")),
              r.stdout)
        r2 = accord(["check", pulled])
        check("accord check reads the pulled schemas", r2.returncode == 0, r2.stdout + r2.stderr)
        before = open(os.path.join(pulled, "schemas", "salesforce", "Contact.json")).read()
        accord(["schema", "pull", "--salesforce", sb.sf, "--hubspot", sb.hs, "--out", os.path.join(pulled, "schemas")])
        after = open(os.path.join(pulled, "schemas", "salesforce", "Contact.json")).read()
        check("a re-pull is byte-identical", before == after)

        # bad credentials: a clear error, no secret
        r = accord(["run", RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", os.path.join(tmp, "bad.db"),
                    "--verbose"],
                   {"ACCORD_HUBSPOT_TOKEN": "wrong-" + TOKEN, "ACCORD_SALESFORCE_REFRESH_TOKEN": "wrong-" + TOKEN})
        check("bad credentials: exit 2", r.returncode == 2, f"rc {r.returncode}: {r.stderr}")
        check("bad credentials: a clear message", "salesforce" in r.stderr.lower() or "hubspot" in r.stderr.lower(), r.stderr)
        # --verbose over a good run: request lines, no secret
        r = run_pass(sb, os.path.join(tmp, "clean.db"))
        check("--verbose prints request lines", "http: GET " in r.stderr, r.stderr[:500])
        sb.stop()
        watch_survives_an_outage(tmp)
    finally:
        sb.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    leaked = [name for name, out, err in outputs if TOKEN in out or TOKEN in err]
    check(f"the planted secret is in none of {len(outputs) * 2} output streams", not leaked, str(leaked))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
