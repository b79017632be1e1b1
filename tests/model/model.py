"""Reference model of Accord's sync semantics.

Written from docs/sync.md and docs/language.md (the specification), not from
runtime/sync/engine.cc: it is an oracle for the engine, not a second copy of it.
Small and explicit on purpose; every rule below quotes the sentence of the docs
it implements (sync.md unless said otherwise).

The model works on *reduced rules* (a JSON-able dict, see harness.render_rules
for the .accord text of the same rules) and on *snapshots* of both systems:

    snap = {"sf": {Object: {id: {Field: value, "IsDeleted": "true"|"false", ...}}},
            "hs": {type:   {id: {prop: value, "__archived": bool}}}}

values normalized by `norm` (blank -> None, everything else a string).

One call of `plan_pass(rules, state, snap, times)` is one pass: it returns an
`Expectation` — for every field a rule touches, the set of values the systems may
hold after the pass (normally one; several where the docs leave the outcome open,
e.g. a `two_way` tie within Salesforce's second precision), the records the pass
creates and deletes, the errors it logs. Outcomes the docs forbid but a known,
filed engine defect produces are listed with the defect's tag (e.g. "issue22-1"),
so the harness can tell a known defect from a new one. `commit(...)` then moves
the model's own store (links, shadows, tombstones, lifecycle "seen" values) using
the observed result.
"""
import copy
import itertools
import re

SF, HS = "salesforce", "hubspot"
OTHER = {SF: HS, HS: SF}

# ---------------------------------------------------------------------------
# values


def is_blank(v):
    """language.md 5.5: blank = null, "", white space only."""
    return v is None or (isinstance(v, str) and v.strip() == "")


def norm(v):
    if is_blank(v):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def domain_of(url):
    """stdlib: the host of a URL without www., lower-cased."""
    if url is None:
        return None
    u = url.strip().lower()
    u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", u)
    u = re.split(r"[/?#]", u, 1)[0]
    u = u.split("@")[-1].split(":")[0]
    if u.startswith("www."):
        u = u[4:]
    return u or None


def match_key(kind, side, rec):
    """5.1 / sync.md: match email compares Email/email trimmed and lower-cased;
    match domain compares Website as a host name with HubSpot domain."""
    if kind == "email":
        v = rec.get("Email" if side == SF else "email")
        return None if is_blank(v) else v.strip().lower()
    if kind == "domain":
        if side == SF:
            return domain_of(rec.get("Website"))
        v = rec.get("domain")
        return None if is_blank(v) else domain_of(v)
    return None  # match link: never matches


TRANSFORMS = {
    None: lambda v: v,
    "lower_trim": lambda v: v.strip().lower(),  # lowerAscii(trim(_))
    "domainOf": domain_of,
}


def computed(expr, rec):
    """Computed left sides the generator writes. None = a rule error (CEL: null + string)."""
    if expr == "fullname":  # coalesce(FirstName, "") + " " + LastName
        last = rec.get("LastName")
        if last is None:
            return "error"
        return (rec.get("FirstName") or "") + " " + last
    raise ValueError(expr)


class Reject(Exception):
    pass


# Salesforce fields an update may not clear (REQUIRED_FIELD_MISSING, sandbox.md "Writes"):
# a blank written there is the system's rejection, a PropertyValues error of that field.
REQUIRED_SF = {("Contact", "LastName"), ("Lead", "LastName"), ("Lead", "Company"), ("Account", "Name"),
               ("Opportunity", "Name"), ("Opportunity", "StageName")}


class Cands(dict):
    """value -> tag: None = what the docs say; a tag = an outcome only a known defect gives."""

    @staticmethod
    def of(v, tag=None):
        c = Cands()
        c[norm(v)] = tag
        return c

    def add(self, v, tag=None):
        v = norm(v)
        if v not in self or (self[v] is not None and tag is None):
            self[v] = tag
        return self

    def merge(self, other):
        for v, t in other.items():
            self.add(v, t)
        return self

    def main(self):
        return [v for v, t in self.items() if t is None]


# ---------------------------------------------------------------------------
# rules


class Rule:
    def __init__(self, d, sync):
        self.d = d
        self.sync = sync
        self.sf = d.get("sf")            # field name, or None when computed
        self.expr = d.get("expr")        # computed left side
        self.hs = d["hs"]
        self.dir = d.get("dir", "<->")
        self.conflict = d.get("conflict") or sync.conflict
        self.blank = d.get("blank") or sync.blank or "ignore"
        self.table = d.get("table")
        self.with_ = d.get("with")

    def flows(self, to):
        return self.dir == "<->" or (self.dir == "->" and to == HS) or (self.dir == "<-" and to == SF)

    def side_field(self, side):
        return self.sf if side == SF else self.hs

    def value(self, side, rec):
        if side == SF and self.expr:
            return norm(computed(self.expr, rec))
        return norm(rec.get(self.side_field(side)))

    def map(self, v, to, tables):
        """The value pipeline toward `to` (language.md 5.10): blank -> blank policy and stop;
        with -> via. Returns ("write", value) | ("skip",) ; raises Reject."""
        if is_blank(v):
            b = self.blank
            if b == "ignore":
                return ("skip",)
            if b == "clear":
                return ("write", None)
            return ("write", norm(b[1]))  # ["default", literal]
        v = TRANSFORMS[self.with_](v)
        if self.table:
            t = tables[self.table]
            for sfv, arrow, hsv in t["pairs"]:
                if to == HS and arrow in ("<->", "->") and sfv == v:
                    return ("write", hsv)
                if to == SF and arrow in ("<->", "<-") and hsv == v:
                    return ("write", sfv)
            e = t.get("else_to_hs" if to == HS else "else_to_sf")
            if e is None or e == "reject":  # 4: reject, or no entry and no else
                raise Reject(f"{v!r} has no entry toward {to} in {self.table}")
            if e == "keep":
                return ("write", v)
            return ("write", e)
        return ("write", norm(v))

    def agree(self, sfv, hsv, tables):
        """'the values agree after mapping (or both are blank)'."""
        if is_blank(sfv) and is_blank(hsv):
            return True
        for to, v, other in ((HS, sfv, hsv), (SF, hsv, sfv)):
            try:
                r = self.map(v, to, tables) if not is_blank(v) else ("skip",)
            except Reject:
                continue
            if r[0] == "write" and r[1] == other:
                return True
        return False


class Sync:
    def __init__(self, d):
        self.d = d
        self.name = d["name"]
        self.sf_obj = d["sf"]
        self.hs_obj = d["hs"]
        self.match = d["match"]
        self.conflict = d.get("conflict")
        self.blank = d.get("blank")
        self.scope = d.get("scope", {})         # side -> {"field", "ne"}
        self.create = d.get("create", {})       # side -> {"when": None | {"field", "eq"}}
        self.delete = d.get("delete", {})       # side deleted -> keep|propagate|unlink
        self.converts_to = d.get("converts_to")
        self.on_create = d.get("on_create", {})  # side -> {Field: ["coalesce", other_field, literal]}
        self.rules = [Rule(r, self) for r in d["fields"]]

    def ext_rule(self):
        """`Id -> prop`: the Salesforce id written into HubSpot."""
        for r in self.rules:
            if r.sf == "Id" and r.flows(HS):
                return r
        return None

    def obj(self, side):
        return self.sf_obj if side == SF else self.hs_obj

    def in_scope(self, side, rec):
        s = self.scope.get(side)
        if not s:
            return True
        return norm(rec.get(s["field"])) != norm(s["ne"])

    def may_create(self, to, src):
        c = self.create.get(to)
        if c is None:
            return False
        w = c.get("when")
        return w is None or norm(src.get(w["field"])) == norm(w["eq"])


class Rules:
    def __init__(self, d):
        self.d = d
        self.syncs = [Sync(s) for s in d["syncs"]]  # already parents first (sync.md "A pass" 2)
        self.by_name = {s.name: s for s in self.syncs}
        self.tables = d.get("tables", {})
        self.lifecycle = d.get("lifecycle")


# ---------------------------------------------------------------------------
# the model's store


class State:
    def __init__(self):
        self.links = {}        # sync -> {sf_id: hs_id}
        self.shadows = {}      # (sync, sf_id, rule index) -> (base_sf, base_hs)
        self.tombstones = set()  # (side, id)
        self.dead_links = {}   # sync -> {sf_id: hs_id}: `delete keep` tombstoned pairs
        self.seen = {}         # (Object, id, Field) -> value (lifecycle "old")
        self.unsettled = {}    # (sync, sf_id, rule index) -> tag: a known defect's outcome was accepted
        self.merge_waits = {}  # sync -> {sf_id: hs_id}: merged into a linked record, waiting in the log
        # two_way's first-seen bound (sync.md): (sync, sf_id, rule index) -> (Salesforce value,
        # lo, hi): the Salesforce record time of the pass that first saw the value, for a pair
        # that could not settle. lo..hi brackets it where the harness cannot know the exact
        # pass (several passes, faults); hi None: the engine may also have kept no bound.
        self.first_seen = {}
        self.null_base = set()  # (sync, sf_id, rule index): a create's held field (the engine's shadow: null, null)

    def link_of(self, sync, side, rid):
        m = self.links.setdefault(sync, {})
        if side == SF:
            return m.get(rid)
        for s, h in m.items():
            if h == rid:
                return s
        return None

    def hs_taken(self, hs_obj, hid, rules, but):
        """the sync (other than `but`) over the same HubSpot object that links `hid`."""
        for s in rules.syncs:
            if s.name != but and s.hs_obj == hs_obj and hid in self.links.get(s.name, {}).values():
                return s.name
        return None

    def copy(self):
        return copy.deepcopy(self)


# ---------------------------------------------------------------------------
# expectations


class Create:
    def __init__(self, sync, to, obj, src_id, fields, key):
        self.sync, self.to, self.obj, self.src_id, self.fields, self.key = sync, to, obj, src_id, fields, key
        self.new_id = None
        self.back = []   # (rule, fn(new_record) -> Cands) written to the source in the same pass
        self.tag = None  # not None: the create is only expected under a known defect
        self.optional = False  # the docs allow it in this pass or a later one
        self.held = []  # rule indexes whose values were rejected: no shadows

    def __repr__(self):
        return f"create in {self.to}.{self.obj} from {OTHER[self.to]} {self.src_id} ({self.sync}) {dict(self.fields)}"


class Expectation:
    def __init__(self):
        self.fields = {}      # (side, obj, id, field) -> Cands
        self.creates = []
        self.deletes = set()  # (side, obj, id)
        self.errors = []      # (sync, category, side, id, message)
        self.conflicts = []
        self.links = []       # (sync, sf_id, hs_id) new links by match / ext id
        self.unlinks = []     # (sync, sf_id)
        self.dead = []        # (sync, sf_id, hs_id) delete keep
        self.moves = []       # (from_sync, to_sync, lead, contact, hs)
        self.hold = set()     # (sync, sf_id, rule index): shadows do not move
        self.unlinked_live = set()  # (sync, side, id): partner of a record deleted under `delete unlink`
        self.pair_ids = {}    # (sync, id named by an error) -> ids of its pair
        self.loose = set()    # (sync, sf_id, rule index): no agreed shadow after this pass
        self.notes = []
        self.checked = {}     # (side, obj) -> set of fields the rules touch
        self.lifecycle_new = {}  # create index -> Cands of the lifecycle property
        self.maybe_errors = set()  # (sync, category, id): an entry the pass may or may not log
        self.seen_now = []    # ((sync, sf_id, rule index), value, changed, hs_id): first-seen candidates
        self.times = {}       # the times the pass was planned with

    def expect(self, side, obj, rid, field, cands):
        self.fields[(side, obj, rid, field)] = cands


def _rec(snap, side, obj, rid):
    return snap["sf" if side == SF else "hs"].get(obj, {}).get(rid)


def _deleted(side, rec):
    if rec is None:
        return True
    return rec.get("IsDeleted") == "true" if side == SF else bool(rec.get("__archived"))


def _move_shadows(st, sync, from_sid, to_sid):
    """a Salesforce merge moves the pair's shadows with its link."""
    for key in [k for k in st.shadows if k[0] == sync and k[1] == from_sid]:
        st.shadows[(sync, to_sid, key[2])] = st.shadows.pop(key)


def _hs_survivor(hs_recs, hid):
    """the live HubSpot record that lists `hid` in hs_merged_object_ids (a merge), or None."""
    for rid, rec in hs_recs.items():
        if rec and not rec.get("__archived") and hid in (rec.get("hs_merged_object_ids") or "").split(";"):
            return rid
    return None


def _time_cmp(times, sf_obj, sid, srec, hs_obj, hid, hs_field, bound=None):
    """two_way: 'the side whose field changed more recently (Salesforce on a tie)'.
    Salesforce: the record's SystemModstamp (second precision) stands for the field's,
    bounded by the pass that first saw the change (`bound`: a State.first_seen entry);
    HubSpot: the property's own change time (ms). Returns SF, HS or None (a tie within
    the coarser precision: the docs do not decide it exactly, see model-findings)."""
    sf_t = times.get(("sf", sf_obj, sid)) if times else None
    hs_t = times.get(("hs", hs_obj, hid, hs_field)) if times else None
    if sf_t is None or hs_t is None:
        return None
    if bound is not None:
        _, lo, hi = bound
        w_lo = _time_cmp(times, sf_obj, sid, srec, hs_obj, hid, hs_field) if lo >= sf_t else \
            _time_cmp({("sf", sf_obj, sid): lo, ("hs", hs_obj, hid, hs_field): hs_t}, sf_obj, sid, srec, hs_obj, hid,
                      hs_field)
        hi_t = sf_t if hi is None else min(hi, sf_t)
        w_hi = _time_cmp({("sf", sf_obj, sid): hi_t, ("hs", hs_obj, hid, hs_field): hs_t}, sf_obj, sid, srec, hs_obj,
                         hid, hs_field)
        return w_lo if w_lo == w_hi else None
    sf_sec = int(sf_t // 1000)
    hs_sec = int(hs_t // 1000)
    if sf_sec > hs_sec:
        return SF
    if sf_sec < hs_sec:
        return HS
    return SF  # 'compared at the coarser precision ... a tie goes to Salesforce'


def plan_pass(rules, state, snap, times=None, semantics=None):
    """One pass of docs/sync.md over `snap`. `times`: ("sf", Object, id) -> epoch ms of the
    record's SystemModstamp, ("hs", type, id, prop) -> epoch ms of the property's last change,
    ("sf_field", Object, id, Field) -> the true edit time of a Salesforce field (used to tag
    record-time decisions as issue 12 defect 5)."""
    sem = dict(semantics or {})
    R = rules
    st = state.copy()  # working copy: links made during the pass matter to later syncs
    ex = Expectation()
    ex.times = dict(times or {})
    tables = R.tables
    for s in R.syncs:
        for side in (SF, HS):
            f = ex.checked.setdefault((side, s.obj(side)), set())
            for r in s.rules:
                if r.side_field(side):
                    f.add(r.side_field(side))

    # 1. Lead conversion: a linked Lead whose IsConverted is true and ConvertedContactId set
    #    moves its link - and its shadows, translated through the HubSpot property both
    #    syncs share - to the Contact.
    for s in R.syncs:
        if not s.converts_to:
            continue
        t = R.by_name[s.converts_to]
        for lead_id, hid in list(st.links.get(s.name, {}).items()):
            lead = _rec(snap, SF, s.sf_obj, lead_id)
            if not lead or lead.get("IsConverted") != "true" or not lead.get("ConvertedContactId"):
                continue
            cid = lead["ConvertedContactId"]
            del st.links[s.name][lead_id]
            st.links.setdefault(t.name, {})[cid] = hid
            for ti, tr in enumerate(t.rules):
                for si, sr in enumerate(s.rules):
                    if sr.hs == tr.hs and (s.name, lead_id, si) in st.shadows:
                        st.shadows[(t.name, cid, ti)] = st.shadows[(s.name, lead_id, si)]
            ex.moves.append((s.name, t.name, lead_id, cid, hid))

    final = {}  # (side, obj, id) -> {field: Cands}: what this pass leaves, for lifecycle/computed

    for s in R.syncs:
        links = st.links.setdefault(s.name, {})
        sf_recs = snap["sf"].get(s.sf_obj, {})
        hs_recs = snap["hs"].get(s.hs_obj, {})

        # a pair one of whose records was merged into a linked one waits in the log (Duplicates)
        # until neither of its records lives (sync.md "Deletes, merges, tombstones")
        waits = st.merge_waits.setdefault(s.name, {})

        def wait_logged(sid, hid):
            ex.errors.append((s.name, "Duplicates", SF, sid, "merged into a linked record"))
            ex.pair_ids[(s.name, sid)] = {sid, hid}

        def merged_into_linked(sid, hid):
            """the link ends like `delete keep`, nothing is deleted, the pair waits in the log."""
            del links[sid]
            st.dead_links.setdefault(s.name, {})[sid] = hid
            ex.dead.append((s.name, sid, hid))
            waits[sid] = hid
            wait_logged(sid, hid)

        for sid, hid in list(waits.items()):
            if _deleted(SF, sf_recs.get(sid)) and _deleted(HS, hs_recs.get(hid)):
                del waits[sid]
            else:
                wait_logged(sid, hid)

        # 3a. deletes of linked pairs
        for sid, hid in list(links.items()):
            srec, hrec = sf_recs.get(sid), hs_recs.get(hid)
            sdel, hdel = _deleted(SF, srec), _deleted(HS, hrec)
            if not (sdel or hdel):
                continue
            if srec is None and not sdel or hrec is None and not hdel:
                continue
            for side, dele, rid in ((SF, sdel, sid), (HS, hdel, hid)):
                if dele:
                    st.tombstones.add((side, rid))
            deleted_side = SF if sdel else HS
            # a merge is not a delete: the link moves to the survivor, or (the survivor linked
            # already) ends with a Duplicates entry; nothing is deleted
            if sdel and not hdel and norm(srec.get("MasterRecordId")):
                master = norm(srec.get("MasterRecordId"))
                taken_sf = {i for t in R.syncs if t.sf_obj == s.sf_obj
                            for i in list(st.links.get(t.name, {})) + list(st.dead_links.get(t.name, {}))}
                if master not in taken_sf:
                    del links[sid]
                    links[master] = hid
                    _move_shadows(st, s.name, sid, master)
                    ex.notes.append(f"{s.name} {sid}: Salesforce {sid} merged into {master}: the link moves")
                else:
                    merged_into_linked(sid, hid)
                continue
            surv = None if sdel else _hs_survivor(hs_recs, hid)
            if surv is not None:
                taken = {h for t in R.syncs if t.hs_obj == s.hs_obj
                         for h in list(st.links.get(t.name, {}).values()) + list(st.dead_links.get(t.name, {}).values())}
                if surv not in taken:
                    links[sid] = surv
                    ex.notes.append(f"{s.name} {sid}: HubSpot {hid} merged into {surv}: the link moves")
                else:
                    merged_into_linked(sid, hid)
                continue
            if sdel and hdel:
                del links[sid]
                ex.unlinks.append((s.name, sid))
                continue
            pol = s.delete.get(deleted_side, "keep")
            if pol == "propagate":
                other = OTHER[deleted_side]
                oid = hid if other == HS else sid
                ex.deletes.add((other, s.obj(other), oid))
                st.tombstones.add((other, oid))
                del links[sid]
                ex.unlinks.append((s.name, sid))
            elif pol == "unlink":
                del links[sid]
                ex.unlinks.append((s.name, sid))
                other = OTHER[deleted_side]
                ex.unlinked_live.add((s.name, other, hid if other == HS else sid))
            else:  # keep: the link remains as a tombstone
                del links[sid]
                st.dead_links.setdefault(s.name, {})[sid] = hid
                ex.dead.append((s.name, sid, hid))

        # 3b. linked pairs reconcile field rule by field rule
        for sid, hid in list(links.items()):
            srec, hrec = sf_recs.get(sid), hs_recs.get(hid)
            if srec is None or hrec is None:
                ex.errors.append((s.name, "Transport", SF if srec is None else HS, sid if srec is None else hid,
                                  "linked record missing"))
                continue
            if not (s.in_scope(SF, srec) and s.in_scope(HS, hrec)):
                ex.notes.append(f"{s.name} {sid}/{hid} out of scope")
                for i in range(len(s.rules)):
                    ex.hold.add((s.name, sid, i))
                continue
            reconcile_pair(R, s, st, ex, sid, hid, srec, hrec, times, sem, final, snap)

        # 4. unlinked records in scope: the external id, then the key; or created
        match_and_create(R, s, st, ex, snap, final, times, sem)

    # 5. lifecycle triggers
    lifecycle(R, st, ex, snap, final)
    ex.state_after = st
    return ex


def reconcile_pair(R, s, st, ex, sid, hid, srec, hrec, times, sem, final, snap):
    tables = R.tables
    base = {i: st.shadows.get((s.name, sid, i)) for i in range(len(s.rules))}
    out_sf, out_hs = {}, {}   # field -> Cands of the value after the pass
    errors_to = {SF: [], HS: []}
    optional = set()  # rule indexes decided by either side: their errors may or may not be logged
    decided = {}
    plain = [i for i, r in enumerate(s.rules) if not r.expr]
    comp = [i for i, r in enumerate(s.rules) if r.expr]

    def decide(i, sf_cur):
        r = s.rules[i]
        hs_cur = r.value(HS, hrec)
        b = base[i]
        if b is None:  # a new link: each side's non-blank value counts as changed
            sfc, hsc = not is_blank(sf_cur), not is_blank(hs_cur)
        else:
            sfc, hsc = sf_cur != b[0], hs_cur != b[1]
        if r.conflict == "dont_sync" and r.dir == "<->":
            # HubSpot's "Don't sync": once both records exist nothing is ever written for
            # the field; only a create carries the value (sync.md, issue 12 defect 6)
            sfc = hsc = False
        if r.dir == "->":
            hsc = False   # a one-way rule ignores edits on its target side
        if r.dir == "<-":
            sfc = False
        # two_way's first-seen bound: a Salesforce change the engine saw but could not settle
        # is dated no later than the record time of the pass that first saw it (sync.md). The
        # engine keeps it for a field with shadows (a create's held field has null ones).
        bound = None
        if r.conflict == "two_way" and r.dir == "<->" and r.sf and not r.expr and (
                b is not None or (s.name, sid, i) in st.null_base):
            bound = st.first_seen.get((s.name, sid, i))
            if bound is not None and bound[0] != sf_cur:
                bound = None
            ex.seen_now.append(((s.name, sid, i), sf_cur, sfc, hid))
        alts = []  # (winner side or None, tag)
        if not sfc and not hsc:
            alts = [(None, None)]

        elif sfc and not hsc:
            alts = [(SF, None)]
        elif hsc and not sfc:
            alts = [(HS, None)]
        elif r.agree(sf_cur, hs_cur, tables):
            alts = [(None, None)]
        else:
            pol = r.conflict
            ex.conflicts.append((s.name, sid, hid, r.hs, pol))
            if pol == "prefer salesforce":
                alts = [(SF, None)]
            elif pol == "prefer hubspot":
                alts = [(HS, None)]
            elif pol == "prefer salesforce unless blank":
                alts = [(HS if is_blank(sf_cur) else SF, None)]
            elif pol == "prefer hubspot unless blank":
                alts = [(SF if is_blank(hs_cur) else HS, None)]
            elif pol == "dont_sync":
                ex.hold.add((s.name, sid, i))
                alts = [(None, None)]
            else:  # two_way
                w = _time_cmp(times, s.sf_obj, sid, srec, s.hs_obj, hid, r.hs, bound)
                if w is None:  # a time the harness does not know: either side
                    ex.notes.append(f"{s.name} {sid}/{hid} {r.hs}: two_way without both times (or an uncertain "
                                    "first-seen bound): either side")
                    alts = [(SF, None), (HS, None)]
                else:
                    alts = [(w, None)]
                    # push mode (--cdc): the change events may give the engine the field's own
                    # commit time (sync.md "two_way"), which may decide the other way; whether it
                    # had them (an event lost or late, the pass started by the other side's
                    # event) is not known here: either side
                    tf = times.get(("sf_field", s.sf_obj, sid, r.sf)) if times and r.sf else None
                    ht = times.get(("hs", s.hs_obj, hid, r.hs)) if times else None
                    if sem.get("event_field_times") and tf is not None and ht is not None:
                        wf = SF if tf >= ht + 1100 else HS if ht >= tf + 1100 else None
                        if wf != w:
                            alts = [(SF, None), (HS, None)]
                    # issue 12 defect 5: Salesforce's record time stands in for the field's
                    # (documented); the true field time may disagree. Not a model outcome,
                    # recorded so a difference can be named.
                    tf = times.get(("sf_field", s.sf_obj, sid, r.sf)) if times and r.sf else None
                    ht = times.get(("hs", s.hs_obj, hid, r.hs)) if times else None
                    if tf is not None and ht is not None and w == SF and tf < ht:
                        ex.notes.append(f"{s.name} {sid} {r.sf}: record time decides for Salesforce although "
                                        f"the field changed before HubSpot's (issue12-5, documented)")
        unsettled = st.unsettled.get((s.name, sid, i))
        if unsettled:
            # a known defect left this field behind; it may stay behind (the same defect)
            alts.append((None, unsettled))
        res_sf, res_hs = Cands(), Cands()
        if sum(1 for _, tag in alts if tag is None) > 1:
            optional.add(i)  # either side may win: an error only one of them makes may be absent
        for w, tag in alts:
            if w is None:
                res_sf.add(sf_cur if not r.expr else None, tag)
                res_hs.add(hs_cur, tag)
                continue
            src = sf_cur if w == SF else hs_cur
            to = OTHER[w]
            try:
                m = r.map(src, to, tables)
            except Reject as e:
                errors_to[to].append((i, str(e)))
                res_sf.add(sf_cur if not r.expr else None, tag)
                res_hs.add(hs_cur, tag)
                continue
            if m[0] == "skip" and sfc and hsc:
                # 'when a conflict's winner is such a blank, the other side's value fills it
                # in the same pass'
                other = hs_cur if w == SF else sf_cur
                try:
                    m2 = r.map(other, w, tables)
                except Reject as e:
                    errors_to[w].append((i, str(e)))
                    m2 = ("skip",)
                if m2[0] == "write" and w == SF and not r.expr:
                    res_sf.add(m2[1], tag)
                    res_hs.add(hs_cur, tag)
                elif m2[0] == "write" and w == HS:
                    res_sf.add(sf_cur if not r.expr else None, tag)
                    res_hs.add(m2[1], tag)
                else:
                    res_sf.add(sf_cur if not r.expr else None, tag)
                    res_hs.add(hs_cur, tag)
            elif m[0] == "skip":
                res_sf.add(sf_cur if not r.expr else None, tag)
                res_hs.add(hs_cur, tag)
            elif to == HS:
                res_sf.add(sf_cur if not r.expr else None, tag)
                res_hs.add(m[1], tag)
            elif m[1] is None and (s.sf_obj, r.sf) in REQUIRED_SF:
                errors_to[SF].append((i, f"{r.sf} is required: REQUIRED_FIELD_MISSING"))
                res_sf.add(sf_cur, tag)
                res_hs.add(hs_cur, tag)
            else:
                res_sf.add(m[1], tag)
                res_hs.add(hs_cur, tag)
        return res_sf, res_hs

    for i in plain:
        r = s.rules[i]
        rs, rh = decide(i, r.value(SF, srec))
        if r.sf:
            out_sf[r.sf] = rs
        out_hs[r.hs] = rh
        decided[i] = (rs, rh)

    # A rejected value is a PropertyValues error for its field; the record's other fields
    # are written (issue 12 defect 8, replacing sync.md's "all or nothing per record").
    # The old outcome - nothing written to that record - is tagged issue12-8.
    for to in (SF, HS):
        if errors_to[to]:
            rid = sid if to == SF else hid
            ex.pair_ids[(s.name, rid)] = {sid, hid}
            for i, msg in errors_to[to]:
                if i in optional:
                    ex.maybe_errors.add((s.name, "PropertyValues", rid))
                    continue
                ex.errors.append((s.name, "PropertyValues", to, rid, msg))
                ex.hold.add((s.name, sid, i))
            outs = out_sf if to == SF else out_hs
            rec = srec if to == SF else hrec
            for f in list(outs):
                outs[f].add(norm(rec.get(f)), "issue12-8")

    # Computed rules see the values the pass decides (issue 22 defect 1; sync.md:
    # 'For a computed side the side's value is what the rule computes').
    for i in comp:
        r = s.rules[i]
        fields = sorted({"FirstName", "LastName"})
        opts = []
        for f in fields:
            opts.append(list(out_sf[f].keys()) if f in out_sf else [norm(srec.get(f))])
        res_hs = Cands()
        for combo in itertools.product(*opts):
            rec2 = dict(srec)
            rec2.update(dict(zip(fields, combo)))
            cur = norm(computed(r.expr, rec2))
            _, rh = decide(i, cur)
            res_hs.merge(rh)
        # the pre-pass values: what an engine computing before its own writes does
        cur0 = norm(computed(r.expr, srec))
        _, rh0 = decide(i, cur0)
        for v in rh0:
            if v not in res_hs:
                res_hs.add(v, "issue22-1")
        if errors_to[HS]:
            res_hs.add(norm(hrec.get(r.hs)), "issue12-8")
        if any("REQUIRED_FIELD_MISSING" in msg for _, msg in errors_to[SF]):
            # the pass decided a value Salesforce then refuses: what the computed rule saw is
            # not what the record keeps; sync.md's limits of one-pass convergence ("something
            # waits in the error log") allow the computed value to follow a pass later
            res_hs.add(norm(hrec.get(r.hs)))
            ex.loose.add((s.name, sid, i))
        out_hs[r.hs] = res_hs

    for f, c in out_sf.items():
        ex.expect(SF, s.sf_obj, sid, f, c)
        final.setdefault((SF, s.sf_obj, sid), {})[f] = c
    for f, c in out_hs.items():
        ex.expect(HS, s.hs_obj, hid, f, c)
        final.setdefault((HS, s.hs_obj, hid), {})[f] = c


def _create_values(R, s, to, src, src_id):
    """'every field rule flowing toward X, then on create X { F = EXPR } defaults for the
    fields the rules left blank'. A rejected value leaves its field out (issue 12 defect 8).
    Returns (values, [(rule index, message)])."""
    frm = OTHER[to]
    vals, errs = {}, []
    for i, r in enumerate(s.rules):
        if not r.flows(to) or not r.side_field(to):
            continue
        if frm == SF and r.sf == "Id":
            vals[r.hs] = src_id
            continue
        v = r.value(frm, src)
        try:
            m = r.map(v, to, R.tables)
        except Reject as e:
            errs.append((i, str(e)))
            continue
        if m[0] == "write" and m[1] is not None:
            vals[r.side_field(to)] = m[1]
    for f, spec in s.on_create.get(to, {}).items():
        if is_blank(vals.get(f)):
            if spec[0] == "coalesce":
                v = norm(src.get(spec[1]))
                vals[f] = v if v is not None else spec[2]
            else:
                vals[f] = spec[1]
    return vals, errs


def match_and_create(R, s, st, ex, snap, final, times, sem):
    links = st.links.setdefault(s.name, {})
    sf_recs = snap["sf"].get(s.sf_obj, {})
    hs_recs = snap["hs"].get(s.hs_obj, {})
    dead = st.dead_links.get(s.name, {})

    def live(side, rid, rec):
        return (not _deleted(side, rec) and (side, rid) not in st.tombstones and s.in_scope(side, rec))

    sf_live = {i: r for i, r in sf_recs.items() if live(SF, i, r)}
    hs_live = {i: r for i, r in hs_recs.items() if live(HS, i, r)}
    linked_sf = set(links) | set(dead)
    linked_hs = set(links.values()) | set(dead.values())
    # a HubSpot record another sync links, or creates a Salesforce twin of in this same pass
    # ('The Contact wins because `converts to` makes people run before leads', sync.md)
    created_from = {c.src_id: c.sync for c in ex.creates
                    if c.to == SF and c.sync != s.name and R.by_name[c.sync].hs_obj == s.hs_obj}
    taken = {h: st.hs_taken(s.hs_obj, h, R, s.name) or created_from.get(h) for h in hs_live}
    un_sf = {i: r for i, r in sf_live.items() if i not in linked_sf}
    un_hs = {i: r for i, r in hs_live.items() if i not in linked_hs and not taken[i]}

    # 'a record whose id a rule wrote into the other side is linked to that record'
    ext = s.ext_rule()
    if ext:
        # 'linked to that record - whatever the scope says of it'
        any_hs = {h: r for h, r in hs_recs.items() if not _deleted(HS, r) and (HS, h) not in st.tombstones
                  and h not in linked_hs and not st.hs_taken(s.hs_obj, h, R, s.name)}
        for sid in sorted(un_sf):
            c = [h for h, r in any_hs.items() if norm(r.get(ext.hs)) == sid]
            if len(c) == 1:
                links[sid] = c[0]
                ex.links.append((s.name, sid, c[0]))
                un_hs.pop(c[0], None)
                del any_hs[c[0]]
                del un_sf[sid]
                reconcile_pair(R, s, st, ex, sid, c[0], sf_recs[sid], hs_recs[c[0]], times, sem, final, snap)
            elif len(c) > 1:
                ex.errors.append((s.name, "Duplicates", SF, sid, "several records carry its id"))
                del un_sf[sid]

    def create(to, src_id, src, key):
        vals, errs = _create_values(R, s, to, src, src_id)
        if not s.in_scope(to, vals):
            # 'a record the target side's scope excludes is not created' (sync.md)
            ex.notes.append(f"{s.name} {src_id}: not created in {to}: outside its scope")
            return
        c = Create(s.name, to, s.obj(to), src_id, {f: Cands.of(v) for f, v in vals.items()}, key)
        for i, msg in errs:
            r = s.rules[i]
            if r.conflict == "dont_sync" and r.dir == "<->":
                # 'once both records exist nothing is ever written for the field': the next
                # pass has nothing waiting on the rejected value, so the entry leaves the log;
                # a round of several passes (faults) may end without it (soak seed 100261235)
                ex.maybe_errors.add((s.name, "PropertyValues", src_id))
            else:
                ex.errors.append((s.name, "PropertyValues", to, src_id, msg))
            c.tag = "issue12-8"  # the old outcome: no create at all
            c.held.append(i)
        # 'unlink ... it may later match or be created again': this pass or a later one
        c.optional = (s.name, OTHER[to], src_id) in ex.unlinked_live
        ex.creates.append(c)

    if s.match == "link":
        for sid in sorted(un_sf):
            if s.may_create(HS, un_sf[sid]):
                create(HS, sid, un_sf[sid], None)
        for hid in sorted(un_hs):
            if s.may_create(SF, un_hs[hid]):
                create(SF, hid, un_hs[hid], None)
        return

    by_key_sf, by_key_hs = {}, {}
    for i, r in sf_live.items():
        by_key_sf.setdefault(match_key(s.match, SF, r), []).append(i)
    for i, r in hs_live.items():
        by_key_hs.setdefault(match_key(s.match, HS, r), []).append(i)

    for sid in sorted(un_sf):
        r = un_sf[sid]
        k = match_key(s.match, SF, r)
        would_create = s.may_create(HS, r)
        if k is None:
            if would_create:  # 'A blank key is quarantined when the record would otherwise be created'
                ex.errors.append((s.name, "Duplicates", SF, sid, "blank key"))
            continue
        S, H = by_key_sf.get(k, []), by_key_hs.get(k, [])
        if len(S) == 1 and len(H) == 1 and H[0] in un_hs:
            hid = H[0]
            links[sid] = hid
            ex.links.append((s.name, sid, hid))
            del un_hs[hid]
            reconcile_pair(R, s, st, ex, sid, hid, r, hs_recs[hid], times, sem, final, snap)
        elif len(S) == 1 and not H:
            if would_create:
                create(HS, sid, r, k)
        elif [h for h in H if h in un_hs] or would_create:
            # sync.md: 'Two candidates, or two records on this side with the key and a create
            # that would follow' - a linked record on the other side is no candidate (soak
            # seed 80261250: a second Contact with a linked person's email under `create in
            # salesforce` is left alone: nothing would be linked or created)
            ex.errors.append((s.name, "Duplicates", SF, sid, f"key {k}: {len(S)} here, {len(H)} there"))

    for hid in sorted(un_hs):
        r = un_hs[hid]
        k = match_key(s.match, HS, r)
        would_create = s.may_create(SF, r)
        if k is None:
            if would_create:
                ex.errors.append((s.name, "Duplicates", HS, hid, "blank key"))
            continue
        S, H = by_key_sf.get(k, []), by_key_hs.get(k, [])
        if len(H) == 1 and not S:
            if would_create:
                create(SF, hid, r, k)
        elif S and len(S) == 1 and len(H) == 1:
            # linked above; or the Salesforce record has a link (live or ended) or another sync's:
            # 'not created a second time: a Duplicates error says which record has it'
            if would_create and S[0] not in un_sf:
                ex.errors.append((s.name, "Duplicates", HS, hid, f"key {k} belongs to a linked record"))
        elif [x for x in S if x in un_sf and x not in links] or would_create:
            ex.errors.append((s.name, "Duplicates", HS, hid, f"key {k}: {len(H)} here, {len(S)} there"))
    # HubSpot records another sync links whose key an unlinked record here has
    for hid, t in taken.items():
        if not t:
            continue
        k = match_key(s.match, HS, hs_live[hid])
        for sid in by_key_sf.get(k, []):
            if sid in un_sf and sid not in links:
                ex.errors.append((s.name, "Duplicates", SF, sid, f"key {k} linked by sync {t}"))


def lifecycle(R, st, ex, snap, final):
    lc = R.lifecycle
    if not lc:
        return
    order = lc["order"]
    prop = lc["property"]         # e.g. lifecyclestage on contacts
    hs_obj = lc["object"]
    fired = {}  # target id -> list of stages
    seen_now = {}
    for trig in lc["triggers"]:
        obj, field, value, stage = trig["object"], trig["field"], trig["value"], trig["stage"]
        for rid, rec in snap["sf"].get(obj, {}).items():
            new = norm(rec.get(field))
            old = st.seen.get((obj, rid, field))
            seen_now[(obj, rid, field)] = new  # 'old = the value the last pass saw'
            if new != norm(value) or old == new:
                continue
            targets = set()
            if trig.get("for_contacts_of"):
                acct = norm(rec.get(trig["for_contacts_of"]))
                if acct:
                    for s in R.syncs:
                        if s.sf_obj == "Contact" and s.hs_obj == hs_obj:
                            for cid, crec in snap["sf"].get("Contact", {}).items():
                                if norm(crec.get("AccountId")) != acct or crec.get("IsDeleted") == "true":
                                    continue
                                if cid in st.links.get(s.name, {}):
                                    targets.add(("id", st.links[s.name][cid]))
                                for n, c in enumerate(ex.creates):
                                    if c.sync == s.name and c.to == HS and c.src_id == cid:
                                        targets.add(("new", n))
            else:
                for s in R.syncs:
                    if s.sf_obj == obj and s.hs_obj == hs_obj:
                        if rid in st.links.get(s.name, {}):
                            targets.add(("id", st.links[s.name][rid]))
                        for n, c in enumerate(ex.creates):
                            if c.sync == s.name and c.to == HS and c.src_id == rid:
                                targets.add(("new", n))
                    # a converted Lead's targets include its Contact's
                    if s.converts_to and obj == s.sf_obj and rec.get("ConvertedContactId"):
                        t = R.by_name[s.converts_to]
                        h = st.links.get(t.name, {}).get(rec["ConvertedContactId"])
                        if h:
                            targets.add(("id", h))
            for t in targets:
                fired.setdefault(t, []).append(stage)
    st.seen.update(seen_now)
    for t, stages in fired.items():
        if t[0] == "id":
            hrec = snap["hs"].get(hs_obj, {}).get(t[1])
            if hrec is None or hrec.get("__archived"):
                continue
            c = final.get((HS, hs_obj, t[1]), {}).get(prop) or Cands.of(hrec.get(prop))
        else:
            c = ex.creates[t[1]].fields.get(prop) or Cands.of(None)
        out = Cands()
        for cur, tag in c.items():
            best = cur
            for stg in stages:
                if lc.get("forward_only", True) and best is not None and order.index(best) >= order.index(stg):
                    continue
                if not lc.get("forward_only", True) or best is None or order.index(stg) > order.index(best):
                    best = stg
            out.add(best, tag)
        if t[0] == "id":
            ex.expect(HS, hs_obj, t[1], prop, out)
            ex.checked.setdefault((HS, hs_obj), set()).add(prop)
        else:
            ex.creates[t[1]].fields[prop] = out


# ---------------------------------------------------------------------------
# checking an observed pass and moving the model's store


def _keyfields(rules, side, obj):
    out = set()
    for s in rules.syncs:
        if s.obj(side) != obj:
            continue
        if s.match == "email":
            out.add("Email" if side == SF else "email")
        if s.match == "domain":
            out.add("Website" if side == SF else "domain")
    return out


def check(rules, ex, before, after, known=()):
    """Compares an observed pass (snapshots before and after) with the expectation.
    Returns (violations, known_hits): lists of (tag, text)."""
    viol, known_hits = [], []
    UNSETTLED.clear()
    R = rules
    # creates: new records matched to the expected creates
    for side, key in ((SF, "sf"), (HS, "hs")):
        for obj, recs in after[key].items():
            new = [i for i in recs if i not in before[key].get(obj, {})]
            exp = [c for c in ex.creates if c.to == side and c.obj == obj and c.new_id is None]
            for nid in sorted(new):
                rec = recs[nid]
                best = _match_create(R, side, rec, [c for c in exp if c.new_id is None])
                if best is None:
                    viol.append(("duplicate", f"unexpected new {side} {obj} {nid}: {short(rec)}"))
                    continue
                best.new_id = nid
                for f, cands in best.fields.items():
                    _judge(viol, known_hits, f"created {side} {obj} {nid} ({best.sync} from {best.src_id}) {f}",
                           norm(rec.get(f)), cands, None, (side, obj, nid, f))
    for c in ex.creates:
        if c.new_id is None and c.tag:
            known_hits.append((c.tag, f"not created: {c!r}"))
        elif c.new_id is None and not c.optional:
            viol.append(("missing-create", repr(c)))
        if c.new_id is not None and c.to == SF:
            _back_writes(R, ex, c, before, after)
    # existing records: every field the rules touch
    for side, key in ((SF, "sf"), (HS, "hs")):
        for obj, recs in before[key].items():
            fields = ex.checked.get((side, obj), set()) | _keyfields(R, side, obj)
            for rid, brec in recs.items():
                arec = after[key].get(obj, {}).get(rid)
                if arec is None:
                    viol.append(("lost", f"{side} {obj} {rid} vanished"))
                    continue
                was_del, is_del = _deleted(side, brec), _deleted(side, arec)
                want_del = (side, obj, rid) in ex.deletes
                if is_del and not was_del and not want_del:
                    viol.append(("delete", f"{side} {obj} {rid} deleted, the model keeps it"))
                if want_del and not is_del:
                    viol.append(("delete", f"{side} {obj} {rid} not deleted, the model propagates a delete"))
                if is_del:
                    continue
                for f in sorted(fields):
                    cands = ex.fields.get((side, obj, rid, f))
                    if cands is None:
                        cands = Cands.of(brec.get(f))
                    _judge(viol, known_hits, f"{side} {obj} {rid} {f}", norm(arec.get(f)), cands,
                           norm(brec.get(f)), (side, obj, rid, f))
    return viol, known_hits


def _back_writes(R, ex, c, before, after):
    """'A created pair is reconciled once more in the same pass, so rules that read the new
    record's id are written at once': what the HubSpot source of a Salesforce create gets."""
    s = R.by_name[c.sync]
    new = after["sf"].get(c.obj, {}).get(c.new_id) or {}
    src = before["hs"].get(s.hs_obj, {}).get(c.src_id) or {}
    for r in s.rules:
        if not r.flows(HS):
            continue
        cur = norm(src.get(r.hs))
        v = c.new_id if r.sf == "Id" else r.value(SF, new)
        if is_blank(v):
            continue  # a new link never writes a blank
        try:
            m = r.map(v, HS, R.tables)
        except Reject:
            continue
        if m[0] == "skip" or m[1] == cur:
            continue
        cands = Cands.of(m[1])
        if r.expr:
            cands.add(cur, "issue22-1")  # computed from the values before the new link's reconcile
        if not r.expr and r.sf != "Id":
            # a field the HubSpot record left blank and an `on create` default filled: whether
            # the default flows back is not said by the docs
            cands.add(cur)
        ex.expect(HS, s.hs_obj, c.src_id, r.hs, cands)


def _match_create(R, side, rec, exp):
    """which expected create a new record is: by the external id, by the match key, else by
    its values."""
    for how in ("ext", "key", "values"):
        for c in exp:
            s = R.by_name[c.sync]
            extr = s.ext_rule()
            if how == "ext" and side == HS and extr and norm(rec.get(extr.hs)) == c.src_id:
                return c
            if how == "key" and c.key is not None and match_key(s.match, side, rec) == c.key:
                return c
            if how == "values" and all(norm(rec.get(f)) in v for f, v in c.fields.items()):
                return c
    return None


def _judge(viol, known_hits, what, v, cands, before, where=None):
    if v not in cands:
        viol.append(("value", f"{what} = {v!r}, model: {' | '.join(repr(x) for x in cands)} (before {before!r})"))
    elif cands[v]:
        known_hits.append((cands[v], f"{what} = {v!r}"))
        if where:
            UNSETTLED[where] = cands[v]


# (side, obj, id, field) -> tag where a known defect's outcome was accepted: the model does
# not take it as agreed (its shadows are dropped, so the next pass may finish the job)
UNSETTLED = {}


def short(rec):
    return {k: v for k, v in rec.items() if v is not None and not k.startswith("__") and k not in (
        "SystemModstamp", "LastModifiedDate", "CreatedDate", "createdate", "lastmodifieddate",
        "hs_lastmodifieddate", "hs_object_id", "OwnerId", "CreatedById", "LastModifiedById")}


def _unexpected(ex, side, obj, rid, field, rec):
    c = ex.fields.get((side, obj, rid, field)) if field else None
    return c is not None and norm(rec.get(field)) not in c


def commit(rules, state, ex, after, unverified=False, times_after=None):
    """Moves the model's store after an observed pass: links from the expectation (creates
    resolved to the ids the systems gave), shadows = what each side holds now ('the shadows
    hold exactly what each side has'), except fields held back (errors, dont_sync conflicts,
    out of scope). `unverified`: the pass ran under faults or beside edits and was not
    checked; a field whose value after it is not one the expectation allows (a write that did
    not land) keeps its shadow from before the pass, as the engine's store does (soak seed
    30261250: adopting the disagreeing pair as the shadow lost the HubSpot edit).
    `times_after`: the systems' times after the pass (bounds the first-seen stamps)."""
    st = ex.state_after
    seen = list(ex.seen_now)
    for c in ex.creates:
        if c.new_id is None:
            continue
        links = st.links.setdefault(c.sync, {})
        if c.to == HS:
            links[c.src_id] = c.new_id
        else:
            links[c.new_id] = c.src_id
        s = next(x for x in rules.syncs if x.name == c.sync)
        for i in c.held:
            sid = c.src_id if c.to == HS else c.new_id
            ex.hold.add((c.sync, sid, i))
            st.null_base.add((c.sync, sid, i))
            r = s.rules[i]
            srec = after["sf"].get(s.sf_obj, {}).get(sid)
            if c.to == HS and srec is not None and r.conflict == "two_way" and r.dir == "<->" and r.sf and not r.expr:
                # the create's pass reconciles the new pair again: the held Salesforce value
                # is a change (over the null shadow) that cannot settle
                seen.append(((c.sync, sid, i), r.value(SF, srec), not is_blank(r.value(SF, srec)), c.new_id))
    _first_seen(rules, st, ex, seen, unverified, times_after or {})
    for s in rules.syncs:
        for sid, hid in st.links.get(s.name, {}).items():
            srec = after["sf"].get(s.sf_obj, {}).get(sid)
            hrec = after["hs"].get(s.hs_obj, {}).get(hid)
            if srec is None or hrec is None:
                continue
            for i, r in enumerate(s.rules):
                if (s.name, sid, i) in ex.hold:
                    continue
                if (s.name, sid, i) in ex.loose:
                    st.shadows.pop((s.name, sid, i), None)
                    continue
                tag = UNSETTLED.get((HS, s.hs_obj, hid, r.hs)) or (r.sf and UNSETTLED.get((SF, s.sf_obj, sid, r.sf)))
                if tag:
                    st.shadows.pop((s.name, sid, i), None)
                    st.unsettled[(s.name, sid, i)] = tag
                    continue
                st.unsettled.pop((s.name, sid, i), None)
                if unverified and ((s.name, sid, i) in st.shadows or (s.name, sid, i) in st.null_base) and (
                        _unexpected(ex, SF, s.sf_obj, sid, r.sf, srec) or _unexpected(ex, HS, s.hs_obj, hid, r.hs, hrec)):
                    continue
                st.shadows[(s.name, sid, i)] = _one_way_shadow(rules, r, st.shadows.get((s.name, sid, i)),
                                                              r.value(SF, srec), r.value(HS, hrec))
                st.null_base.discard((s.name, sid, i))
    state.__dict__.update(st.__dict__)
    return state


def _one_way_shadow(rules, r, prev, sf_now, hs_now):
    """A shadow is the value last carried or agreed, not the last seen (sync.md, "A one-way
    rule ignores edits on its target side ... its shadow keeps the last value carried there"):
    a one-way rule's target side moves only when its source changed and the pass carried a
    value over (written, or already there); a blank `blank ignore` does not carry keeps it.
    It matters where the shadow is read under another rule: a converted Lead's shadows
    translated into `converts to`'s sync (soak seed 110261355)."""
    if r.dir == "<->" or prev is None:
        return (sf_now, hs_now)
    src, tgt = (0, 1) if r.dir == "->" else (1, 0)
    now = (sf_now, hs_now)
    if now[src] == prev[src]:
        moved = False  # the source did not change: nothing was carried
    else:
        try:
            moved = r.map(now[src], HS if tgt == 1 else SF, rules.tables)[0] == "write"
        except Reject:
            moved = False  # (an error: the field is held, see ex.hold)
    out = list(now)
    if not moved:
        out[tgt] = prev[tgt]
    return tuple(out)


def _first_seen(rules, st, ex, seen, unverified, times_after):
    """the engine keeps a first-seen stamp for a changed two_way value while its pair ends the
    pass with an error, and drops it otherwise (engine.cc SaveSeenAndNotes)."""
    objs = {s.name: s.sf_obj for s in rules.syncs}
    erred = {(e[0], e[3]) for e in ex.errors}
    for key, val, changed, hid in seen:
        sync, sid, _ = key
        t0 = ex.times.get(("sf", objs[sync], sid))
        t1 = times_after.get(("sf", objs[sync], sid), t0)
        if t0 is None:
            t0 = t1
        old = st.first_seen.get(key)
        same = old is not None and old[0] == val
        keep = changed and ((sync, sid) in erred or (sync, hid) in erred)
        if unverified:
            # which passes ran, and whether the pair settled, is not known. A stamp kept for
            # this value stays (had the pair settled, the value would not count as changed
            # again); a new one is any of the round's passes' times, or none yet (its passes
            # did not commit: a later pass dates it then).
            if same:
                continue
            if keep:
                st.first_seen[key] = (val, t0, None)
            else:
                st.first_seen.pop(key, None)
        elif not keep:
            st.first_seen.pop(key, None)
        elif not same and t0 is not None:
            st.first_seen[key] = (val, t0, t1)
