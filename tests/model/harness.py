#!/usr/bin/env python3
"""Randomized adversarial harness: the real `accord` binary against `accord sandbox`,
checked against the reference model (model.py).

For each history: a random rule set (gen.py) written as a real .accord file over the
example's schemas, a fresh sandbox (free loopback ports, its own --state file), and
rounds of user edits through the emulated APIs followed by a sync point — one
`accord run --once` when fault-free (preceded by `accord plan --format json`), or,
under faults (drops before/after processing, 5xx, 429/REQUEST_LIMIT storms, partial
batch failures, latency) with SIGKILLs of `accord run` and sandbox restarts, passes
until quiet and then fault-free passes until quiet. After every sync point:

  * the model:       every field the rules touch holds what docs/sync.md says
                     (edits present, or lost to a decision the model makes too);
                     the records created/deleted are the ones the model creates/deletes
  * duplicates:      no two live records share a match key or an external id beyond
                     the ones the user made
  * lifecycle:       no HubSpot lifecycle stage moved backwards
  * plan == run:     the decisions `accord plan` announced are the ones `accord run` made
                     (fault-free sync points)
and after the last round: one more clean pass writes nothing (convergence).

Usage:
  harness.py [--seed N] [--histories N] [--budget-seconds S] [--known TAG,...]
  harness.py --replay tests/model/regressions/*.json
Environment: ACCORD (default build/accord), ACCORD_SOURCE_DIR (default: the repo).
"""
import argparse
import copy
import datetime
import glob
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import gen  # noqa: E402
import model  # noqa: E402
from model import SF, HS, norm  # noqa: E402
from sandbox_client import API, Sandbox  # noqa: E402

SRC = os.environ.get("ACCORD_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
ACCORD = os.environ.get("ACCORD") or os.path.join(SRC, "build", "accord")
SCHEMAS = os.path.join(SRC, "examples", "salesforce-hubspot", "schemas")
TOKEN = "model-harness-token"

# Known, filed, not-yet-fixed defect classes. A violation is excused only when the model
# names one of these tags for the exact outcome observed (model.Cands tags) or the
# harness classifies it so (classify()). Each entry: tag -> the issue defect it is.
KNOWN_DEFECTS = {
    "issue12-1": "issue 12 defect 1 / issue 22 defects 2-3: a lost create response (drop after processing, a "
                 "SIGKILL, a sandbox restart) re-creates the record: a duplicate, and what the model links differs "
                 "from what the engine links (model-findings F2, F6). Fixed; the last case (a create that writes no key "
                 "field: soak seed 20261217) on 2026-12-07, since when CI excuses nothing",
    "issue22-1": "issue 22 defect 1: a computed field is computed from the values before the pass's own writes, "
                 "or not written for a new link (model-findings F3, fixed in dfd7a7d for the create case)",
    "issue12-8": "issue 12 defect 8: one rejected field holds back the whole record (the model follows the fix: "
                 "the other fields are written)",
    "issue12-7": "issue 12 defect 7: an error-log entry stays after its cause is gone (model-findings F8: the "
                 "entries of a deleted record stay)",
    "plan-quarantine": "NEW (model-findings F1, fixed in dfd7a7d): accord plan announces a create that accord run "
                       "quarantines as a Duplicates error (a second record with a linked record's key)",
}
# The CI run (tests/CMakeLists.txt) passes --known with the tags still open; `make soak`
# passes none unless asked.


class SB(Sandbox):
    """sandbox_client.Sandbox plus: admin calls carry the token (the admin endpoints are
    being made to require it), clock, dump, restart on the same ports and state file."""

    def __init__(self, seed_dir, state_file, ports=None):
        self.seed_dir, self.state_file = seed_dir, state_file
        extra = ["--state", state_file]
        if ports:
            extra += ["--port-salesforce", str(ports[0]), "--port-hubspot", str(ports[1])]
        super().__init__(ACCORD, TOKEN, seed=seed_dir, extra=extra)

    def admin(self, base, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(base + "/__sandbox/" + path, data=data,
                                     method="POST" if body is not None else "GET")
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
        return json.loads(text) if text.strip() else None

    def ports(self):
        return int(self.sf.rsplit(":", 1)[1]), int(self.hs.rsplit(":", 1)[1])

    def set_faults(self, sf, hs):
        # faults only while accord runs: the harness's own calls go through http() after
        # clear_faults(), so fault_cfg stays None (no pause/resume dance)
        self.admin(self.sf, "faults", sf or {})
        self.admin(self.hs, "faults", hs or {})

    def clear_faults(self):
        self.fault_cfg = None
        self.set_faults({}, {})

    clock_total = 0

    def clock(self, ms):
        if ms:
            self.clock_total += ms
            self.admin(self.sf, "clock", {"advance_ms": ms})
            self.admin(self.hs, "clock", {"advance_ms": ms})

    def dump(self):
        return self.admin(self.sf, "dump"), self.admin(self.hs, "dump")


def ms_of(ts):
    if not ts:
        return None
    t = ts.replace("Z", "+00:00")
    t = re.sub(r"\+(\d\d)(\d\d)$", r"+\1:\2", t)
    try:
        return datetime.datetime.fromisoformat(t).timestamp() * 1000
    except ValueError:
        return None


def snapshot(sb):
    sfd, hsd = sb.dump()
    snap = {"sf": {}, "hs": {}}
    times = {}
    for obj, o in sfd["objects"].items():
        recs = snap["sf"].setdefault(obj, {})
        for r in o["records"]:
            d = {k: norm(v) for k, v in r.items() if k != "attributes" and not isinstance(v, (dict, list))}
            d["IsDeleted"] = "true" if r.get("IsDeleted") else "false"
            recs[r["Id"]] = d
            times[("sf", obj, r["Id"])] = ms_of(r.get("SystemModstamp"))
    for typ, o in hsd["objects"].items():
        recs = snap["hs"].setdefault(typ, {})
        for r in o["records"]:
            d = {k: norm(v) for k, v in (r.get("properties") or {}).items()}
            d["__archived"] = bool(r.get("archived"))
            recs[r["id"]] = d
            times[("hs_rec", typ, r["id"])] = ms_of(r.get("updatedAt"))
    snap["assoc"] = hsd.get("associations", [])
    return snap, times


def changed_records(a, b):
    """records created or modified between two raw snapshots (by value)."""
    out = []
    for key in ("sf", "hs"):
        for obj, recs in b[key].items():
            for rid, rec in recs.items():
                old = a[key].get(obj, {}).get(rid)
                if old is None:
                    out.append(f"new {key} {obj} {rid}")
                    continue
                skip = ("SystemModstamp", "LastModifiedDate", "lastmodifieddate", "hs_lastmodifieddate")
                diff = {k: (old.get(k), v) for k, v in rec.items() if k not in skip and old.get(k) != v}
                if diff:
                    out.append(f"{key} {obj} {rid} {diff}")
    return out


class Runner:
    def __init__(self, case, known=(), verbose=False, engine="auto"):
        self.case = case
        self.rules_d = case["rules"]
        self.rules = model.Rules(self.rules_d)
        self.known = set(known)
        self.verbose = verbose
        self.engine = engine
        self.violations = []   # (tag, text)
        self.known_hits = []
        self.stats = {"passes": 0, "faulted_passes": 0, "kills": 0, "restarts": 0, "sync_points": 0,
                      "plans": 0, "actions": 0, "check_seconds": 0, "m_conflicts": 0, "m_creates": 0,
                      "m_changes": 0, "m_lifecycle": 0, "m_errors": 0, "m_deletes": 0, "m_moves": 0, "faults_seen": 0}
        self.refs = {}          # ref -> (side, obj, id)
        self.user_made = {}     # (side, obj, id) for user-created records
        self.hs_times = {}      # (type, id, prop) -> ms
        self.sf_field_times = {}
        self.state = model.State()
        self.tmp = tempfile.mkdtemp(prefix="accord-model-")
        self.sb = None

    # -- processes -------------------------------------------------------------
    def start(self, ports=None):
        seed = os.path.join(self.tmp, "seed")
        if not os.path.exists(seed):
            os.makedirs(os.path.join(seed, "data"))
            os.symlink(SCHEMAS, os.path.join(seed, "schemas"))
        self.sb = SB(seed, os.path.join(self.tmp, "sandbox.db"), ports)
        self.sb.clear_faults()

    def restart(self):
        """stop the sandbox and start it again on the same ports from its --state file; its
        clock starts from real time again, so the harness's clock advances are re-applied
        (time never runs backwards for the engine)."""
        ports, advanced = self.sb.ports(), self.sb.clock_total
        self.sb.stop()
        self.sb.err.close()
        for _ in range(20):
            try:
                self.start(ports)
                break
            except SystemExit:
                time.sleep(0.3)
        else:
            raise RuntimeError("the sandbox did not restart on its ports")
        self.sb.clock(advanced)

    def close(self):
        if self.sb:
            self.sb.stop()
            self.sb.err.close()
        if os.environ.get("ACCORD_MODEL_KEEP"):
            print(f"    kept {self.tmp} (ACCORD_MODEL_KEEP)")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def accord(self, args, kill_after=None, timeout=180):
        env = dict(os.environ)
        env.update({"ACCORD_SALESFORCE_ACCESS_TOKEN": TOKEN, "ACCORD_HUBSPOT_TOKEN": TOKEN})
        p = subprocess.Popen([ACCORD] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        try:
            if kill_after is not None:
                try:
                    out, err = p.communicate(timeout=kill_after)
                    return p.returncode, out, err
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    out, err = p.communicate()
                    self.stats["kills"] += 1
                    return -9, out, err
            out, err = p.communicate(timeout=timeout)
            return p.returncode, out, err
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            self.violate("hang", f"accord {' '.join(args[:1])} did not finish in {timeout}s")
            return -9, "", ""
        except BaseException:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.communicate()
            raise

    def pass_args(self, verb):
        return [verb, self.rules_path, "--salesforce", self.sb.sf, "--hubspot", self.sb.hs,
                "--state", os.path.join(self.tmp, "accord.db"), "--format", "json", "--engine", self.engine]

    def run_pass(self, kill_after=None, faulted=False):
        t0 = time.time()
        rc, out, err = self.accord(self.pass_args("run") + ["--once"] + (["--verbose"] if faulted else []),
                                   kill_after=kill_after)
        for m in re.finditer(r"^http: \S+ \S+ -> (\d+|no response)", err, re.M):
            code = m.group(1)
            if code == "no response" or int(code) >= 429 or int(code) == 207:
                self.stats["faults_seen"] += 1
        if self.verbose:
            print(f"    pass: exit {rc} in {time.time() - t0:.2f}s")
        if os.environ.get("ACCORD_MODEL_KEEP"):  # every pass's report and stderr, for inspection
            with open(os.path.join(self.tmp, "passes.log"), "a") as f:
                f.write(f"=== pass {self.stats['passes'] + 1}: exit {rc}\n{out}\n{err}\n")
        self.stats["passes"] += 1
        if faulted:
            self.stats["faulted_passes"] += 1
        rep = None
        for line in out.splitlines():
            if line.startswith("{"):
                try:
                    rep = json.loads(line)
                except ValueError:
                    pass
        if rc not in (0, 1, -9) and not faulted:
            self.violate("exit", f"accord run exit {rc} on a fault-free pass: {err.strip()[-400:]}")
        if rc not in (0, 1, 2, -9):
            self.violate("crash", f"accord run exit {rc}: {err.strip()[-400:]}")
        if faulted and rc == 2 and "UNIQUE constraint" in err:
            self.violate("crash", f"store failure mid-pass: {err.strip()[-300:]}")
        return rc, rep, err

    def violate(self, tag, text):
        tag = self.classify(tag, text)
        if tag in self.known:
            self.known_hits.append((tag, text))
            return
        self.violations.append((tag, text))
        if self.verbose:
            print(f"    VIOLATION [{tag}] {text}")

    semantics = None  # model.plan_pass's (push.py: event_field_times)
    lossy = False  # the current sync point may have lost a create's response (drop_after, SIGKILL)

    def classify(self, tag, text):
        """names the filed defect a violation is an instance of, when the circumstances say
        so; everything else keeps its own tag (a NEW defect until filed)."""
        if tag in ("duplicate", "model-duplicate") and self.lossy:
            return "issue12-1"
        if tag == "errors-extra":
            return "issue12-7"  # an entry waits that the model no longer logs: its cause is gone
        if tag == "plan-run" and "but run did" in text:
            plan_part, run_part = text.split("but run did", 1)
            if "'create'" in plan_part and "'Duplicates'" in run_part:
                return "plan-quarantine"
        return tag

    # -- actions ---------------------------------------------------------------
    def resolve(self, ref):
        if ref.startswith("t:"):
            _, sync, base = ref.split(":", 2)
            b = self.refs.get(base)
            if not b:
                return None
            s = self.rules.by_name.get(sync)
            if not s:
                return None
            links = self.state.links.get(sync, {})
            if b[0] == SF:
                h = links.get(b[2])
                return (HS, s.hs_obj, h) if h else None
            for sid, hid in links.items():
                if hid == b[2]:
                    return (SF, s.sf_obj, sid)
            return None
        return self.refs.get(ref)

    def sf_value(self, v):
        if isinstance(v, dict) and "ref" in v:
            r = self.refs.get(v["ref"])
            return r[2] if r and r[0] == SF else None
        return v

    def act(self, a):
        sb = self.sb
        self.stats["actions"] += 1
        try:
            if a["do"] == "clock":
                sb.clock(a["ms"])
            elif a["do"] == "create":
                fields = {k: self.sf_value(v) for k, v in a["fields"].items()}
                fields = {k: v for k, v in fields.items() if v is not None}
                if a.get("dup_of"):
                    src = self.refs.get(a["dup_of"])
                    if not src:
                        return
                    snap, _ = snapshot(sb)
                    rec = snap["sf" if src[0] == SF else "hs"].get(src[1], {}).get(src[2]) or {}
                    key = rec.get("Email") or rec.get("email")
                    if not key:
                        return
                    fields["Email" if a["side"] == "sf" else "email"] = key.upper() if a["side"] == "sf" else key
                if a["side"] == "sf":
                    r = sb.http(sb.sf, "POST", f"{API}/sobjects/{a['obj']}", fields)
                    self.refs[a["ref"]] = (SF, a["obj"], r["id"])
                    self.user_made[(SF, a["obj"], r["id"])] = a["ref"]
                else:
                    r = sb.http(sb.hs, "POST", f"/crm/v3/objects/{a['obj']}", {"properties": fields})
                    self.refs[a["ref"]] = (HS, a["obj"], r["id"])
                    self.user_made[(HS, a["obj"], r["id"])] = a["ref"]
                    t = ms_of(r.get("updatedAt") or r.get("createdAt"))
                    for p in fields:
                        self.hs_times[(a["obj"], r["id"], p)] = t
            elif a["do"] == "edit":
                tgt = self.resolve(a["ref"])
                if not tgt:
                    return
                side, obj, rid = tgt
                fields = dict(a["fields"])
                if a.get("fill"):
                    fields = {k: a["vals"][k] for k in fields}
                if side == SF:
                    sb.http(sb.sf, "PATCH", f"{API}/sobjects/{obj}/{rid}", fields)
                    for f in fields:  # on the sandbox's clock
                        self.sf_field_times[(obj, rid, f)] = time.time() * 1000 + sb.clock_total
                else:
                    body = {"properties": {k: ("" if v is None else v) for k, v in fields.items()}}
                    r = sb.http(sb.hs, "PATCH", f"/crm/v3/objects/{obj}/{rid}", body)
                    t = ms_of((r or {}).get("updatedAt"))
                    for p in fields:
                        self.hs_times[(obj, rid, p)] = t
            elif a["do"] == "delete":
                tgt = self.resolve(a["ref"])
                if not tgt:
                    return
                side, obj, rid = tgt
                if side == SF:
                    sb.http(sb.sf, "DELETE", f"{API}/sobjects/{obj}/{rid}")
                else:
                    sb.http(sb.hs, "DELETE", f"/crm/v3/objects/{obj}/{rid}")
            elif a["do"] == "merge":
                keep, gone = self.resolve(a["ref"]), self.resolve(a["merged"])
                if not keep or not gone or keep == gone:
                    return
                if a.get("side") == "sf":
                    sb.http(sb.sf, "POST", "/services/apexrest/accord/merge",
                            {"masterRecordId": keep[2], "recordToMergeIds": [gone[2]]})
                    return
                sb.http(sb.hs, "POST", f"/crm/v3/objects/{a['obj']}/merge",
                        {"primaryObjectId": keep[2], "objectIdToMerge": gone[2]})
                # the merge fills the primary's empty properties: their change times are the
                # merge's, which the harness does not track; the model then allows either side
                for key in [k for k in self.hs_times if k[0] == a["obj"] and k[1] == keep[2]]:
                    del self.hs_times[key]
            elif a["do"] == "convert":
                tgt = self.resolve(a["ref"])
                if not tgt:
                    return
                body = {"allOrNone": False, "leadConverts": [{
                    "leadId": tgt[2], "convertedStatus": "Closed - Converted",
                    "doNotCreateOpportunity": not a.get("opportunity")}]}
                sb.http(sb.sf, "POST", "/services/apexrest/accord/convertLead", body)
        except RuntimeError as e:
            # the systems' own validation refused a user action (a deleted record, a
            # converted lead): the user's edit did not happen
            if self.verbose:
                print(f"    (action refused: {str(e)[:160]})")

    # -- checks ----------------------------------------------------------------
    def times(self, snap, times):
        t = dict(times)
        for (typ, rid, p), ms in self.hs_times.items():
            t[("hs", typ, rid, p)] = ms
        for (obj, rid, f), ms in self.sf_field_times.items():
            t[("sf_field", obj, rid, f)] = ms
        return t

    def check_duplicates(self, snap):
        keys = []
        for s in self.rules.syncs:
            for side in (SF, HS):
                obj = s.obj(side)
                key = "sf" if side == SF else "hs"
                seen = {}
                for rid, rec in snap[key].get(obj, {}).items():
                    if model._deleted(side, rec):
                        continue
                    if obj == "Lead" and rec.get("IsConverted") == "true":
                        continue
                    ks = []
                    if s.match in ("email", "domain"):
                        ks.append(("key", model.match_key(s.match, side, rec)))
                    ext = s.ext_rule()
                    if ext and side == HS:
                        ks.append(("ext", norm(rec.get(ext.hs))))
                    for k in ks:
                        if k[1] is None:
                            continue
                        seen.setdefault(k, []).append(rid)
                for k, ids in seen.items():
                    made = [i for i in ids if (side, obj, i) in self.user_made]
                    if len(ids) > max(1, len(made)):
                        keys.append(f"{side} {obj} {k[0]} {k[1]!r}: {len(ids)} records {sorted(ids)} "
                                    f"({len(made)} made by the user)")
        for k in sorted(set(keys)):
            self.violate("duplicate", k)

    def check_lifecycle(self, before, after):
        lc = self.rules_d.get("lifecycle")
        order = gen.LIFECYCLE
        for rid, rec in after["hs"].get("contacts", {}).items():
            b = before["hs"].get("contacts", {}).get(rid)
            if not b:
                continue
            o, n = b.get("lifecyclestage"), rec.get("lifecyclestage")
            if o in order and n in order and order.index(n) < order.index(o):
                self.violate("lifecycle-backwards", f"contacts {rid}: {o} -> {n}")
            if o in order and n is None and lc:
                self.violate("lifecycle-backwards", f"contacts {rid}: {o} -> blank")

    def compare_plan_run(self, plan, run):
        """the decisions of `accord plan` (before the run) against those `accord run` made.
        Ids of records created in the pass are made up by plan (DRYRUN...) and given by the
        systems in the run: both become '*'."""
        def events(rep, dry):
            evs = (rep or {}).get("events", [])
            new_ids = set()
            for e in evs:
                if e.get("kind") == "create":
                    tgt = e.get("object") or ""
                    new_ids.add(e.get("salesforce_id" if tgt.startswith("salesforce") else "hubspot_id"))
            def anon(v):
                if v is None:
                    return None
                v = str(v)
                return "*" if (v in new_ids or (dry and v.startswith("DRYRUN"))) else v
            out = []
            for e in evs:
                k = e.get("kind")
                if k == "skip":
                    continue
                ch = tuple(sorted((c["field"], anon(c.get("new"))) for c in e.get("changes", [])))
                out.append((k, e.get("sync"), e.get("object"), anon(e.get("salesforce_id")),
                            anon(e.get("hubspot_id")), ch, e.get("category", "")))
            return sorted(out, key=repr)
        p, r = events(plan, True), events(run, False)
        # a write the system itself refused (REQUIRED_FIELD_MISSING, INVALID_OPTION...) is an
        # error in the run where plan, which writes nothing, announced the write
        refused = {(x[3], x[4]) for x in r if x[0] == "error"} - {(x[3], x[4]) for x in p if x[0] == "error"}
        refused_upd = {(x[3], x[4]) for x in p if x[0] == "update"} & refused
        p = [x for x in p if not (x[0] == "update" and (x[3], x[4]) in refused_upd)]
        r = [x for x in r if not (x[0] == "error" and (x[3], x[4]) in refused_upd)]
        if p != r:
            only_p = [x for x in p if x not in r]
            only_r = [x for x in r if x not in p]
            self.violate("plan-run", f"plan announced {only_p[:4]} but run did {only_r[:4]}")

    def check_errors(self, ex, report=True):
        """the records the model quarantines (Duplicates) or whose value it rejects
        (PropertyValues) are the ones waiting in the error log after the sync point, and no
        other entry of those categories waits (a quarantine whose cause is gone leaves the
        log: sync.md 'The error log')."""
        cats = ("Duplicates", "PropertyValues")
        rc, out, _ = self.accord(["errors", "--state", os.path.join(self.tmp, "accord.db"), "--format", "json"])
        found = []
        violate = self.violate if report else (lambda tag, text: found.append((tag, text)))
        try:
            log = json.loads(out or "[]")
        except ValueError:
            violate("errors", f"accord errors exit {rc}: {out[:200]}")
            return found
        eng = [(e.get("sync"), e["category"], {e.get("salesforce_id"), e.get("hubspot_id")} - {None, ""},
                e.get("message", "")[:160]) for e in log if e.get("category") in cats]
        def ids(sync, rid):
            out = {rid} | ex.pair_ids.get((sync, rid), set())
            out |= {c.new_id for c in ex.creates if c.sync == sync and c.src_id == rid and c.new_id}
            return out
        mod = sorted({(s, c, rid) for s, c, side, rid, msg in ex.errors if c in cats})
        for m in mod:
            if not any(m[0] == e[0] and m[1] == e[1] and ids(m[0], m[2]) & e[2] for e in eng):
                violate("errors-missing", f"the model logs {m[1]} for {m[2]} in sync {m[0]}; the log has not "
                                               f"({[x for x in ex.errors if x[3] == m[2]][:1]})")
        maybe = sorted(ex.maybe_errors)
        for e in eng:
            if not any(m[0] == e[0] and m[1] == e[1] and ids(m[0], m[2]) & e[2] for m in mod + maybe):
                violate("errors-extra", f"the log has {e[1]} for {sorted(e[2])} in sync {e[0]}; the model "
                                             f"does not: {e[3]}")
        return found

    last_report = None

    def check_model(self, ex, before, after):
        viol, known = model.check(self.rules, ex, before, after)
        for tag, text in viol:
            self.violate("model-" + tag, text)
        for tag, text in known:
            self.known_hits.append((tag, text))
            if tag not in self.known:
                self.violate(tag, "known defect outcome: " + text)

    # -- a history ---------------------------------------------------------------
    def quiet(self, rep):
        if not rep or not rep.get("ok", False):
            return False
        tot = {"created": 0, "updated": 0, "linked": 0, "deleted": 0}
        for s in rep.get("syncs", {}).values():
            for k in tot:
                tot[k] += s.get(k, 0)
        return not any(tot.values())

    def transient_errors(self):
        rc, out, _ = self.accord(["errors", "--state", os.path.join(self.tmp, "accord.db"), "--format", "json"])
        try:
            return [e for e in json.loads(out or "[]") if not e.get("permanent")]
        except ValueError:
            return []

    def sync_point(self, sp, rnd):
        self.stats["sync_points"] += 1
        sb = self.sb
        faults = sp.get("faults")
        if not faults:
            plan = None
            if sp.get("plan", True):
                # a transient entry in its backoff (left by an earlier faulted round) may fall due
                # between plan and run, and then only run takes the record up (soak seed
                # 80261245): make such entries due first, so both decide the same pass
                if self.transient_errors():
                    self.accord(["retry", "--state", os.path.join(self.tmp, "accord.db")])
                rc, out, err = self.accord(self.pass_args("plan"))
                self.stats["plans"] += 1
                try:
                    plan = json.loads(out)
                except ValueError:
                    self.violate("plan", f"accord plan exit {rc}: {err.strip()[-300:]}")
            during = sp.get("during") or []
            if during:
                rc, out, err = self.run_with_edits(during, sp.get("during_delay", 0.2))
                rep = None
                self.run_pass()  # the pass after reads what landed during the first one
            else:
                rc, rep, err = self.run_pass()
            if plan is not None and rep is not None:
                self.compare_plan_run(plan, rep)
            self.last_report = rep
            return bool(during)
        if sp.get("partial"):
            # one pass under faults and no more: the next round's edits meet whatever it left
            # (an open create intent, a lost acknowledgement). What it did is not checked
            # against the model (like edits during a pass); the next sync point is.
            self.lossy = True
            sb.set_faults(faults.get("sf"), faults.get("hs"))
            try:
                kills = list(sp.get("kills") or [])
                self.run_pass(kill_after=kills[0] if kills else None, faulted=True)
            finally:
                self.sb.clear_faults()
            return True
        # faults: passes until quiet (bounded), kills and a restart among them
        kills = list(sp.get("kills") or [])
        self.lossy = bool(kills) or sp.get("restart") or any(
            (f or {}).get("drop_after_rate") for f in faults.values())
        sb.set_faults(faults.get("sf"), faults.get("hs"))
        try:
            for i in range(6):
                if sp.get("restart") and i == 1:
                    sb.clear_faults()
                    self.restart()
                    self.stats["restarts"] += 1
                    sb = self.sb
                    sb.set_faults(faults.get("sf"), faults.get("hs"))
                kill = kills.pop(0) if kills else None
                rc, rep, err = self.run_pass(kill_after=kill, faulted=True)
                if kill is None and self.quiet(rep) and rc in (0, 1):
                    break
        finally:
            self.sb.clear_faults()
        # then fault-free until quiet, with transient errors made due
        trans = []
        for i in range(8):
            if i == 0 or trans:
                self.accord(["retry", "--state", os.path.join(self.tmp, "accord.db")])
            rc, rep, err = self.run_pass()
            trans = [e for e in self.transient_errors() if e.get("category") in ("Transport", "ApiLimits")]
            if self.quiet(rep) and not trans:
                return False
        evs = [e for e in (rep or {}).get("events", []) if e.get("kind") != "skip"][:4]
        self.violate("no-quiesce", f"no quiet pass after 8 fault-free passes: last pass {json.dumps(evs)[:600]}; "
                                   f"transient errors {json.dumps(trans)[:400]} {err.strip()[-200:]}")
        return False

    def run_with_edits(self, during, delay):
        """a pass with user edits landing while it runs."""
        args = self.pass_args("run") + ["--once"]
        env = dict(os.environ)
        env.update({"ACCORD_SALESFORCE_ACCESS_TOKEN": TOKEN, "ACCORD_HUBSPOT_TOKEN": TOKEN})
        p = subprocess.Popen([ACCORD] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        try:
            time.sleep(delay)
            for a in during:
                self.act(a)
            out, err = p.communicate(timeout=180)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.communicate()
        self.stats["passes"] += 1
        return p.returncode, out, err

    def run(self):
        rules_dir = os.path.join(self.tmp, "rules")
        os.makedirs(rules_dir)
        self.rules_path = os.path.join(rules_dir, "sync.accord")
        with open(self.rules_path, "w") as f:
            f.write(gen.render_rules(self.rules_d, SCHEMAS))
        t0 = time.time()
        rc, out, err = self.accord(["check", self.rules_path])
        self.stats["check_seconds"] = time.time() - t0
        if rc != 0:
            self.violate("rules", f"generated rules do not check: {out.strip()[-600:]} {err.strip()[-300:]}")
            return
        self.start()
        for n, rnd in enumerate(self.case["history"]):
            self.before_actions(rnd["sync"])
            for a in rnd["actions"]:
                self.act(a)
            before, times = snapshot(self.sb)
            ex = model.plan_pass(self.rules, self.state, before, self.times(before, times), self.semantics)
            self.round_before, self.round_ex = before, ex
            mark_v, mark_k = len(self.violations), len(self.known_hits)
            self.count_expectation(ex, before)
            raced = self.sync_point(rnd["sync"], n)
            after, self.after_times = snapshot(self.sb)
            if raced:
                # edits landed during the pass: which of them the pass read is not known.
                # Check only what does not depend on it, then take the systems' word.
                self.resync(ex, before, after, rnd["sync"].get("during") or [], times)
            else:
                self.check_model(ex, before, after)
                self.check_errors(ex)
                model.commit(self.rules, self.state, ex, after, times_after=self.after_times)
            self.check_duplicates(after)
            self.check_lifecycle(before, after)
            dup = any(t == "issue12-1" for t, _ in self.known_hits[mark_k:]) or any(
                t in ("duplicate", "model-duplicate", "issue12-1") for t, _ in self.violations[mark_v:])
            if self.lossy and dup and "issue12-1" in self.known:
                # the model links the first of the duplicates; what the engine linked differs:
                # those differences are the duplicate's consequences, not further defects
                keep = []
                for t, text in self.violations[mark_v:]:
                    (self.known_hits.append(("issue12-1", "consequence: " + text)) if t.startswith("model-")
                     else keep.append((t, text)))
                self.violations[mark_v:] = keep
            self.lossy = False
            if any(t == "issue12-1" for t, _ in self.known_hits):
                # a duplicate the model does not follow: the rest of the history would only
                # repeat it; the duplicate itself was counted as the known defect
                return
            if self.violations:
                self.violations.insert(0, ("round", f"round {n + 1} of {len(self.case['history'])}"))
                return
        self.converged()

    def before_actions(self, sp):
        pass

    def converged(self):
        """one more clean pass writes nothing"""
        before, _ = snapshot(self.sb)
        rc, rep, err = self.run_pass()
        after, _ = snapshot(self.sb)
        ch = changed_records(before, after)
        if ch:
            self.violate("no-convergence", f"a pass after a quiet pass wrote: {ch[:5]}")

    def count_expectation(self, ex, before):
        st = self.stats
        st["m_conflicts"] += len(ex.conflicts)
        st["m_creates"] += len(ex.creates)
        st["m_errors"] += len(ex.errors)
        st["m_deletes"] += len(ex.deletes) + len(ex.unlinks) + len(ex.dead)
        st["m_moves"] += len(ex.moves)
        for (side, obj, rid, f), c in ex.fields.items():
            b = before["sf" if side == SF else "hs"].get(obj, {}).get(rid, {})
            if any(v != norm(b.get(f)) for v in c.main()):
                st["m_changes"] += 1
                if f == "lifecyclestage":
                    st["m_lifecycle"] += 1

    def resync(self, ex, before, after, during=(), times=None):
        # creates still matched so that links stay known; value checks skipped. A new record
        # is a duplicate only if neither the state before the edits during the pass nor the
        # state with them explains it: the pass may have read the edits (soak seed 30261230:
        # an edit to MQL during the pass made a Lead, which the plan from `before` lacks)
        viol, _ = model.check(self.rules, ex, before, after)
        dups = [text for tag, text in viol if tag == "duplicate"]
        if dups and during:
            alt = self.with_edits(before, during)
            ex2 = model.plan_pass(self.rules, self.state, alt, self.times(alt, times or {}))
            viol2, _ = model.check(self.rules, ex2, before, after)
            dups2 = {text for tag, text in viol2 if tag == "duplicate"}
            if len(dups2) < len(dups):
                ex = ex2  # the plan that explains more of what happened keeps the links known
            dups = [text for text in dups if text in dups2]
        for text in dups:
            self.violate("model-duplicate", text + " (after an edit during the pass)")
        model.commit(self.rules, self.state, ex, after, unverified=True, times_after=self.after_times)

    def with_edits(self, snap, during):
        """`snap` with the field edits of `during` applied (what a pass that read them saw)."""
        alt = copy.deepcopy(snap)
        for a in during:
            if a.get("do") != "edit":
                continue
            tgt = self.resolve(a["ref"])
            if not tgt:
                continue
            side, obj, rid = tgt
            rec = alt["sf" if side == SF else "hs"].get(obj, {}).get(rid)
            if rec is None:
                continue
            fields = {k: a["vals"][k] for k in a["fields"]} if a.get("fill") else dict(a["fields"])
            for k, v in fields.items():
                rec[k] = norm(v)
        return alt


# ---------------------------------------------------------------------------
# cases, shrinking, regressions

def make_case(seed, faults=True, push=False):
    rng = random.Random(seed)
    rules = gen.gen_rules(rng)
    if not push:
        return {"seed": seed, "rules": rules, "history": gen.gen_history(rng, rules, faults=faults)}
    # push mode (push.py): the engine runs --watch --listen --cdc; a sync point's faults are the
    # push faults (events lost, duplicated, reordered, delayed; a kill; a retention gap)
    hist = gen.gen_history(rng, rules, faults=False)
    for rnd in hist:
        rnd["sync"].update({"during": [], "plan": False})
        if faults and rng.random() < 0.7:
            rnd["sync"]["push"] = gen.gen_push_faults(rng)
    return {"seed": seed, "mode": "push", "rules": rules, "history": hist}


def run_case(case, known, verbose=False, engine="auto"):
    if case.get("mode") == "push":
        import push  # noqa: E402 (imports this module)
        r = push.PushRunner(case, known, verbose, engine)
    else:
        r = Runner(case, known, verbose, engine)
    try:
        r.run()
    except Exception as e:  # the harness's own failure is reported, never swallowed
        r.violate("harness", f"{type(e).__name__}: {e}\n{traceback.format_exc()[-1500:]}")
    finally:
        r.close()
    return r


def failing(r):
    return [v for v in r.violations if v[0] != "round"]


def shrink(case, known, deadline, engine, log=print):
    """Greedy: drop rounds, actions, fault settings, syncs and field rules while the case
    still fails with a violation of the same tag."""
    base = run_case(case, known, engine=engine)
    if not failing(base):
        return case, base
    tag = failing(base)[0][0]

    def still(c):
        if time.time() > deadline:
            return None
        r = run_case(c, known, engine=engine)
        f = failing(r)
        return r if f and f[0][0] == tag else None

    best, best_r = case, base
    changed = True
    while changed and time.time() < deadline:
        changed = False
        cands = []
        h = best["history"]
        for i in range(len(h) - 1, -1, -1):
            c = copy.deepcopy(best)
            del c["history"][i]
            if c["history"]:
                cands.append(c)
        for i, rnd in enumerate(h):
            for j in range(len(rnd["actions"]) - 1, -1, -1):
                c = copy.deepcopy(best)
                del c["history"][i]["actions"][j]
                cands.append(c)
            sp = rnd["sync"]
            if sp.get("push"):
                c = copy.deepcopy(best)
                c["history"][i]["sync"]["push"] = None
                cands.append(c)
            if sp.get("faults"):
                c = copy.deepcopy(best)
                c["history"][i]["sync"].update({"faults": None, "kills": [], "restart": False})
                cands.append(c)
                for key in ("kills", "restart"):
                    if sp.get(key):
                        c = copy.deepcopy(best)
                        c["history"][i]["sync"][key] = [] if key == "kills" else False
                        cands.append(c)
            if sp.get("during"):
                c = copy.deepcopy(best)
                c["history"][i]["sync"]["during"] = []
                cands.append(c)
        for k, s in enumerate(best["rules"]["syncs"]):
            if s["name"] == "people":
                continue
            c = copy.deepcopy(best)
            name = c["rules"]["syncs"][k]["name"]
            del c["rules"]["syncs"][k]
            for t in c["rules"]["syncs"]:
                if t.get("converts_to") == name:
                    del t["converts_to"]
            cands.append(c)
            for j in range(len(s["fields"]) - 1, -1, -1):
                if s["fields"][j].get("sf") in ("Email", "Id", "Website", "LastName", "Name") and \
                        s["fields"][j].get("dir") != "<-":
                    continue
                c = copy.deepcopy(best)
                del c["rules"]["syncs"][k]["fields"][j]
                cands.append(c)
        if best["rules"].get("lifecycle"):
            c = copy.deepcopy(best)
            del c["rules"]["lifecycle"]
            cands.append(c)
        for c in cands:
            r = still(c)
            if r is not None:
                best, best_r, changed = c, r, True
                log(f"    shrunk: {len(best['history'])} rounds, "
                    f"{sum(len(x['actions']) for x in best['history'])} actions, "
                    f"{len(best['rules']['syncs'])} syncs")
                break
    return best, best_r


def save_regression(case, r, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    tag = failing(r)[0][0] if failing(r) else "pass"
    path = os.path.join(out_dir, f"seed-{case.get('seed', 'x')}-{tag}.json")
    doc = dict(case)
    doc["found"] = {"violations": [list(v) for v in r.violations[:8]],
                    "date": datetime.datetime.utcnow().strftime("%Y-%m-%d")}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    return path


def summarize(case):
    h = case["history"]
    return (f"{len(case['rules']['syncs'])} syncs ({', '.join(s['name'] for s in case['rules']['syncs'])}), "
            f"{len(h)} rounds, {sum(len(x['actions']) for x in h)} actions, "
            f"{sum(1 for x in h if x['sync'].get('faults') or x['sync'].get('push'))} faulted sync points"
            + (" (push)" if case.get("mode") == "push" else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=None, help="first seed (default: random, printed)")
    ap.add_argument("--histories", type=int, default=20)
    ap.add_argument("--budget-seconds", type=float, default=240)
    ap.add_argument("--known", default="", help="comma-separated defect tags excused (see KNOWN_DEFECTS)")
    ap.add_argument("--replay", nargs="*", help="regression case files to replay")
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument("--push", action="store_true",
                    help="push mode (tests/model/push.py): accord run --watch --listen --cdc, push faults")
    ap.add_argument("--shrink-seconds", type=float, default=120)
    ap.add_argument("--save", default=None, help="folder for shrunk failing cases (e.g. tests/model/regressions)")
    ap.add_argument("--engine", default="interp")
    ap.add_argument("--stop-on-failure", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    known = [k for k in a.known.split(",") if k]
    for k in known:
        if k not in KNOWN_DEFECTS:
            sys.exit(f"--known {k}: not a known defect tag ({', '.join(KNOWN_DEFECTS)})")
    if not os.path.exists(ACCORD):
        sys.exit(f"no accord binary at {ACCORD}")
    t0 = time.time()
    totals = {"histories": 0, "failed": 0, "passes": 0, "faulted_passes": 0, "kills": 0, "restarts": 0,
              "sync_points": 0, "plans": 0, "actions": 0, "known_hits": 0, "check_seconds": 0, "m_conflicts": 0,
              "m_creates": 0, "m_changes": 0, "m_lifecycle": 0, "m_errors": 0, "m_deletes": 0, "m_moves": 0, "faults_seen": 0}
    failures = []
    known_by_tag = {}

    def account(r):
        totals["histories"] += 1
        for k, v in r.stats.items():
            totals[k] = totals.get(k, [] if isinstance(v, list) else 0) + v
        totals["known_hits"] += len(r.known_hits)
        for t, _ in r.known_hits:
            known_by_tag[t] = known_by_tag.get(t, 0) + 1

    if a.replay is not None:
        files = []
        for p in a.replay:
            files += sorted(glob.glob(os.path.join(p, "*.json"))) if os.path.isdir(p) else [p]
        for path in files:
            with open(path) as f:
                case = json.load(f)
            r = run_case(case, known, a.verbose, a.engine)
            account(r)
            f_ = failing(r)
            print(f"{'FAIL' if f_ else 'ok  '} replay {os.path.basename(path)}")
            for v in r.violations[:6]:
                print(f"     [{v[0]}] {v[1][:400]}")
            if f_:
                failures.append(path)
    else:
        seed = a.seed if a.seed is not None else random.randrange(10 ** 6)
        print(f"model harness: seeds {seed}.. histories {a.histories} budget {a.budget_seconds:.0f}s "
              f"known [{','.join(known)}]")
        for i in range(a.histories):
            if time.time() - t0 > a.budget_seconds:
                break
            s = seed + i
            case = make_case(s, faults=not a.no_faults, push=a.push)
            t1 = time.time()
            r = run_case(case, known, a.verbose, a.engine)
            account(r)
            f_ = failing(r)
            print(f"{'FAIL' if f_ else 'ok  '} seed {s}: {summarize(case)} ({time.time() - t1:.1f}s)")
            if f_:
                totals["failed"] += 1
                for v in r.violations[:6]:
                    print(f"     [{v[0]}] {v[1][:500]}")
                print("     rules:\n" + "\n".join("       " + x for x in
                                                   gen.render_rules(case["rules"], "SCHEMAS").splitlines()))
                failures.append(s)
                if a.save:
                    small, sr = shrink(case, known, time.time() + a.shrink_seconds, a.engine)
                    print(f"     shrunk to {summarize(small)}; written {save_regression(small, sr, a.save)}")
                if a.stop_on_failure:
                    break
    el = time.time() - t0
    print(f"{totals['histories']} histories in {el:.0f}s: {totals['sync_points']} sync points, "
          f"{totals['passes']} passes ({totals['faulted_passes']} under faults, {totals['kills']} SIGKILLs, "
          f"{totals['restarts']} sandbox restarts, {totals['faults_seen']} faulty HTTP answers seen by accord), "
          f"{totals['plans']} plans compared, {totals['actions']} user actions; "
          f"{totals['known_hits']} known-defect outcomes excused {known_by_tag or ''}; "
          f"{len(failures)} failing: {failures}")
    print(f"the model predicted: {totals['m_creates']} creates, {totals['m_changes']} field writes "
          f"({totals['m_lifecycle']} lifecycle), {totals['m_conflicts']} conflicts, {totals['m_errors']} errors, "
          f"{totals['m_deletes']} deletes/unlinks, {totals['m_moves']} lead conversions followed")
    if totals.get("push_rounds"):
        lat = sorted(totals["push_latencies"])
        q = (lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]) if lat else (lambda p: float("nan"))
        print(f"push: {totals['push_rounds']} rounds ({totals['push_events_faulted']} with event faults, "
              f"{totals['push_kills']} with accord SIGKILLed, {totals['push_gaps']} with a retention gap, "
              f"{totals['push_gaps_seen']} gaps reported by accord), "
              f"{totals['push_settled']} settled as the model says, {totals['push_by_reconciliation']} of them after "
              f"a reconciliation pass; {totals['push_passes']} push passes, {totals['push_recon_passes']} "
              f"reconciliation passes; release to settled p50 {q(0.5):.2f} s, max {q(1.0):.2f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
