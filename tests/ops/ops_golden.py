#!/usr/bin/env python3
"""Golden transcripts of `accord drift` and `accord why` (issue 19).

A copy of tests/ops/data is synced with tests/ops/rules through `accord run`,
edited between passes the way people edit records (a line appended to the jsonl
file with a new modstamp), and every command's output is compared with
tests/ops/NAME.expected. Times, the temporary folder and durations are replaced by
placeholders. Regenerate after an intended change:
    ACCORD_UPDATE_GOLDENS=1 ACCORD=build/accord python3 tests/ops/ops_golden.py
(or ACCORD_UPDATE_GOLDENS=1 ctest --test-dir build -R ops_golden) and read the diff.
"""
import datetime
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ACCORD = os.environ.get("ACCORD", "build/accord")
UPDATE = os.environ.get("ACCORD_UPDATE_GOLDENS") == "1"
RULES = os.path.join(HERE, "rules")


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def edit(data, system, obj, rid, changes):
    """Appends the record's next state: its last line with `changes`, stamped now."""
    path = os.path.join(data, system, obj + ".jsonl")
    with open(path) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    key = "Id" if system == "salesforce" else "id"
    rec = [r for r in lines if r.get(key) == rid][-1]
    if system == "salesforce":
        rec.update(changes)
        rec["SystemModstamp"] = now()
    else:
        rec["properties"].update(changes)
        rec["properties"]["lastmodifieddate"] = now()
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


class Transcript:
    def __init__(self, data):
        self.data = data
        self.out = []

    def run(self, *args, show=True):
        p = subprocess.run([ACCORD, *args], capture_output=True, text=True, timeout=120)
        if show:
            self.out.append("$ accord " + " ".join(a.replace(self.data, "DATA").replace(HERE, "tests/ops") for a in args))
            self.out.append(p.stdout + p.stderr + "(exit %d)" % p.returncode)
        elif p.returncode not in (0, 1):
            sys.exit("accord %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def note(self, text):
        self.out.append("# " + text)

    def text(self):
        t = "\n".join(self.out) + "\n"
        t = t.replace(self.data, "DATA").replace(HERE, "tests/ops")
        t = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<time>", t)
        t = re.sub(r"in \d+\.\d\d s", "in <secs> s", t)
        return t


def scenario(data):
    t = Transcript(data)
    st = os.path.join(data, "accord-state.db")
    t.note("pass 1: five pairs matched by email, Mary created in HubSpot; Dorothy's LeadSource is refused")
    t.run("run", RULES, "--data", data)
    t.note("edits: HubSpot jobtitle of Ada (a one-way field), Salesforce clears Margaret's city,")
    t.note("Katherine leaves the scope and moves city")
    edit(data, "hubspot", "contacts", "101", {"jobtitle": "Countess"})
    edit(data, "salesforce", "Contact", "0035g00000OpsAAA03", {"MailingCity": None})
    edit(data, "salesforce", "Contact", "0035g00000OpsAAA04", {"Title": "Excluded", "MailingCity": "Houston"})
    t.run("run", RULES, "--data", data, show=False)
    t.note("an edit no pass has carried yet: Ada's first name")
    edit(data, "salesforce", "Contact", "0035g00000OpsAAA01", {"FirstName": "Augusta Ada"})
    t.run("drift", RULES, "--data", data)
    t.run("drift", RULES, "--data", data, "--format", "csv")
    t.run("drift", RULES, "--data", data, "--format", "json")
    t.note("pass 3 carries the first name; drift no longer lists it")
    t.run("run", RULES, "--data", data, show=False)
    t.run("why", "salesforce", "0035g00000OpsAAA01", "--state", st)
    t.run("why", "hubspot", "101", "firstname", "--state", st)
    t.run("why", "salesforce", "0035g00000OpsAAA06", "--state", st, "--format", "json")
    t.run("why", "salesforce", "0035g00000OpsAAA05", "LeadSource", "--state", st)
    t.note("bad input: an unknown system, a record never seen, no state file")
    t.run("why", "zendesk", "1", "--state", st)
    t.run("why", "hubspot", "999", "--state", st)
    t.run("why", "hubspot", "101", "--state", os.path.join(data, "missing.db"))
    t.run("drift", RULES, "--data", data, "--state", os.path.join(data, "missing.db"))
    t.run("drift", RULES, "--data", data, "--format", "xml")
    return t.text()


def main():
    work = tempfile.mkdtemp(prefix="accord-ops-golden-")
    try:
        data = os.path.join(work, "data")
        shutil.copytree(os.path.join(HERE, "data"), data)
        got = scenario(data)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    expected_path = os.path.join(HERE, "scenario.expected")
    if UPDATE:
        with open(expected_path, "w") as f:
            f.write(got)
        print("updated", expected_path)
        return 0
    with open(expected_path) as f:
        want = f.read()
    if want != got:
        sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "scenario.expected",
                                                   "got"))
        print("FAIL: tests/ops/scenario.expected differs; if intended: ACCORD_UPDATE_GOLDENS=1 ctest -R ops_golden")
        return 1
    print("ok: tests/ops/scenario.expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
