"""Random rule sets (reduced form, model.py) and their .accord text; random histories.

Everything is drawn from one random.Random(seed), so a seed names a case. A case is
plain JSON ({"rules", "history"}) so that a shrunk failing case can be kept under
tests/model/regressions/ and replayed as is.
"""
import random

STAGE_TABLE = [  # examples/salesforce-hubspot/values.accord, values Stage
    ["Prospecting", "->", "appointmentscheduled"], ["Qualification", "->", "qualifiedtobuy"],
    ["Needs Analysis", "->", "qualifiedtobuy"], ["Value Proposition", "->", "presentationscheduled"],
    ["Id. Decision Makers", "->", "decisionmakerboughtin"], ["Perception Analysis", "->", "decisionmakerboughtin"],
    ["Proposal/Price Quote", "->", "contractsent"], ["Negotiation/Review", "->", "contractsent"],
    ["Closed Won", "->", "closedwon"], ["Closed Lost", "->", "closedlost"],
]
STAGES = [p[0] for p in STAGE_TABLE]
LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
LIFECYCLE = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
             "evangelist", "other"]
INDUSTRY_PAIRS = [["Banking", "<->", "BANKING"], ["Technology", "<->", "COMPUTER_SOFTWARE"],
                  ["Retail", "<->", "RETAIL"], ["Technology", "<-", "INFORMATION_TECHNOLOGY_AND_SERVICES"]]
SF_INDUSTRIES = ["Banking", "Technology", "Retail", "Apparel", "Energy"]
HS_INDUSTRIES = ["BANKING", "COMPUTER_SOFTWARE", "RETAIL", "INFORMATION_TECHNOLOGY_AND_SERVICES", "MINING_METALS",
                 "OTHER"]
POLICIES = ["two_way", "prefer salesforce", "prefer hubspot", "prefer salesforce unless blank",
            "prefer hubspot unless blank", "dont_sync"]
WORDS = ["Ada", "Bo", "Cy", "Dee", "Eve", "Fox", "Gil", "Hal"]
CITIES = ["Paris", "Oslo", "Lima", "Rome", "Nowhere"]
TITLES = ["CTO", "CEO", "VP", "Dev", "Excluded"]

# field pools: (sf, hs, kind) ; kind: text values drawn from a vocabulary
PEOPLE = [("FirstName", "firstname", "name"), ("LastName", "lastname", "name"), ("Title", "jobtitle", "title"),
          ("MailingCity", "city", "city"), ("Phone", "phone", "phone"), ("MobilePhone", "mobilephone", "phone"),
          ("LeadSource", "lead_source", "leadsource")]
LEADS = [("FirstName", "firstname", "name"), ("LastName", "lastname", "name"), ("Company", "company", "name"),
         ("Title", "jobtitle", "title"), ("City", "city", "city")]
ACCOUNTS = [("Name", "name", "name"), ("Phone", "phone", "phone"), ("BillingCity", "city", "city"),
            ("Description", "description", "name"), ("Industry", "industry", "industry")]


def vocab(kind, rng, side):
    if kind == "name":
        return rng.choice(WORDS) + str(rng.randint(1, 9))
    if kind == "title":
        return rng.choice(TITLES)
    if kind == "city":
        return rng.choice(CITIES)
    if kind == "phone":
        return "+1 555 01" + str(rng.randint(10, 99))
    if kind == "leadsource":
        return rng.choice(LEAD_SOURCES)
    if kind == "industry":
        return rng.choice(SF_INDUSTRIES if side == "sf" else HS_INDUSTRIES)
    if kind == "stage":
        return rng.choice(STAGES)
    raise ValueError(kind)


def _field_rules(rng, pool, must=(), p=0.6):
    out = []
    for sf, hs, kind in pool:
        if sf not in must and rng.random() > p:
            continue
        r = {"sf": sf, "hs": hs, "dir": rng.choice(["<->", "<->", "<->", "->", "<-"]), "kind": kind}
        if rng.random() < 0.35:
            r["conflict"] = rng.choice(POLICIES)
        u = rng.random()
        if u < 0.15:
            r["blank"] = "clear"
        elif u < 0.25 and kind in ("name", "city", "title"):
            r["blank"] = ["default", {"name": "Unknown", "city": "Paris", "title": "VP"}[kind]]
        out.append(r)
    return out


def gen_rules(rng):
    syncs = []
    tables = {}
    want_accounts = rng.random() < 0.45
    want_leads = rng.random() < 0.45
    want_deals = rng.random() < 0.4
    want_tasks = rng.random() < 0.25
    if want_accounts:
        fields = [{"sf": "Website", "hs": "domain", "dir": "->", "with": "domainOf"}]
        fields += _field_rules(rng, ACCOUNTS, must=("Name",))
        for f in fields:
            if f.get("kind") == "industry":
                f["table"] = "Ind"
                f.pop("blank", None)
                tables["Ind"] = {"sf": "salesforce.Account.Industry", "hs": "hubspot.companies.industry",
                                 "pairs": [p for p in INDUSTRY_PAIRS if rng.random() < 0.8] or INDUSTRY_PAIRS[:1],
                                 "else_to_hs": rng.choice([None, "reject", "OTHER"]),
                                 "else_to_sf": rng.choice([None, "reject", "Other"])}
        fields.append({"sf": "Id", "hs": "salesforce_account_id", "dir": "->"})
        create = {"hubspot": {}} if rng.random() < 0.85 else {}
        oc = {}
        if rng.random() < 0.3:
            create["salesforce"] = {}
            oc["salesforce"] = {"Name": ["coalesce", "name", "[no name]"]}
        syncs.append({"name": "accounts", "sf": "Account", "hs": "companies", "match": "domain",
                      "conflict": rng.choice(POLICIES[:5]), "create": create, "on_create": oc,
                      "delete": _delete(rng, allow_propagate=False), "fields": fields})
    # people: always
    fields = [{"sf": "Email", "hs": "email", "dir": "<->", "with": "lower_trim"}]
    fields += _field_rules(rng, PEOPLE, must=("LastName",))
    for f in fields:
        if f.get("kind") == "leadsource" and rng.random() < 0.7:
            f["table"] = "LS"
            f.pop("blank", None)
            pairs = []
            for v in LEAD_SOURCES:
                u = rng.random()
                if u < 0.6:
                    pairs.append([v, "<->", v])
                elif u < 0.75:
                    pairs.append([v, "->", v])
                elif u < 0.85:
                    pairs.append([v, "<-", v])
            tables["LS"] = {"sf": "salesforce.Contact.LeadSource", "hs": "hubspot.contacts.lead_source",
                            "pairs": pairs, "else_to_hs": rng.choice([None, "reject", "Other", "keep"]),
                            "else_to_sf": rng.choice([None, "reject", "Other", "keep"])}
    names = {f["sf"] for f in fields}
    if "FirstName" in names and "LastName" in names and rng.random() < 0.6:
        fields.append({"expr": "fullname", "hs": "full_name", "dir": "->"})
    if rng.random() < 0.75:
        fields.append({"sf": "Id", "hs": "salesforce_contact_id", "dir": "->"})
    create = {}
    if rng.random() < 0.85:
        create["hubspot"] = {}
    oc = {}
    if rng.random() < 0.35 and not want_leads or rng.random() < 0.1:
        create["salesforce"] = {"when": {"field": "lifecyclestage", "eq": "salesqualifiedlead"}} \
            if rng.random() < 0.3 else {}
        oc["salesforce"] = {"LastName": ["coalesce", "lastname", "[not provided]"]}
    scope = {}
    if rng.random() < 0.25:
        scope["salesforce"] = {"field": "Title", "ne": "Excluded"}
    if rng.random() < 0.15:
        scope["hubspot"] = {"field": "city", "ne": "Nowhere"}
    syncs.append({"name": "people", "sf": "Contact", "hs": "contacts", "match": "email",
                  "conflict": rng.choice(POLICIES[:5]), "blank": rng.choice([None, None, "ignore", "clear"]),
                  "scope": scope, "create": create, "on_create": oc, "delete": _delete(rng), "fields": fields})
    if want_leads:
        fields = [{"sf": "Email", "hs": "email", "dir": "<->", "with": "lower_trim"}]
        fields += _field_rules(rng, LEADS, must=("LastName",))
        fields.append({"sf": "Id", "hs": "salesforce_lead_id", "dir": "->"})
        create = {}
        if rng.random() < 0.7:
            create["salesforce"] = {"when": {"field": "lifecyclestage", "eq": "marketingqualifiedlead"}}
        if rng.random() < 0.6:
            create["hubspot"] = {}
        syncs.append({"name": "leads", "sf": "Lead", "hs": "contacts", "match": "email",
                      "conflict": rng.choice(POLICIES[:5]),
                      "scope": {"salesforce": {"field": "IsConverted", "ne": "true"}},
                      "create": create, "converts_to": "people", "delete": _delete(rng),
                      "on_create": {"salesforce": {"Company": ["coalesce", "company", "[not provided]"],
                                                   "LastName": ["coalesce", "lastname", "[not provided]"]}},
                      "fields": fields})
    if want_deals:
        fields = [{"sf": "Name", "hs": "dealname", "dir": "->"},
                  {"sf": "StageName", "hs": "dealstage", "dir": "->", "table": "Stage"},
                  {"sf": "Id", "hs": "salesforce_opportunity_id", "dir": "->"}]
        if rng.random() < 0.5:
            fields.append({"sf": "Description", "hs": "description", "dir": "->"})
        tables["Stage"] = {"sf": "salesforce.Opportunity.StageName", "hs": "hubspot.deals.dealstage", "arrow": "->",
                           "pairs": STAGE_TABLE, "else_to_hs": None, "else_to_sf": None}
        # HubSpot refuses a deal without a pipeline (A0305; dealstage is mapped above)
        syncs.append({"name": "deals", "sf": "Opportunity", "hs": "deals", "match": "link", "dir": "->",
                      "create": {"hubspot": {}}, "create_only": True, "delete": _delete(rng, sides=("salesforce",)),
                      "on_create": {"hubspot": {"pipeline": ["value", "default"]}}, "fields": fields})
    if want_tasks:
        syncs.append({"name": "activities", "sf": "Task", "hs": "tasks", "match": "link", "dir": "->",
                      "create": {"hubspot": {}}, "delete": {},
                      "fields": [{"sf": "Subject", "hs": "hs_task_subject", "dir": "->"},
                                 {"sf": "Description", "hs": "hs_task_body", "dir": "->"},
                                 {"sf": "Id", "hs": "salesforce_task_id", "dir": "->"}]})
    rules = {"syncs": syncs, "tables": tables}
    trig = []
    if want_leads and rng.random() < 0.6:
        trig.append({"object": "Lead", "field": "Status", "value": "Working - Contacted", "stage": "salesqualifiedlead"})
        if rng.random() < 0.6:
            trig.append({"object": "Lead", "field": "Status", "value": "Qualified", "stage": "opportunity"})
        if rng.random() < 0.4:
            trig.append({"object": "Lead", "field": "IsConverted", "value": "true", "stage": "salesqualifiedlead"})
    if rng.random() < 0.5:
        if rng.random() < 0.6:
            trig.append({"object": "Opportunity", "field": "StageName", "value": "Proposal/Price Quote",
                         "stage": "opportunity", "for_contacts_of": "AccountId"})
        trig.append({"object": "Opportunity", "field": "StageName", "value": "Closed Won", "stage": "customer",
                     "for_contacts_of": "AccountId"})
    if trig:
        rng.shuffle(trig)
        rules["lifecycle"] = {"object": "contacts", "property": "lifecyclestage", "order": LIFECYCLE,
                              "forward_only": True, "triggers": trig}
    return rules


def _delete(rng, allow_propagate=True, sides=("salesforce", "hubspot")):
    d = {}
    for side in sides:
        u = rng.random()
        if u < 0.2 and allow_propagate:
            d[side] = "propagate"
        elif u < 0.35:
            d[side] = "unlink"
    return d


# ---------------------------------------------------------------------------
# .accord text

def q(v):
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_rules(rules, schemas):
    out = [f"schema salesforce {q(schemas + '/salesforce')}", f"schema hubspot {q(schemas + '/hubspot')}", ""]
    for name, t in sorted(rules.get("tables", {}).items()):
        arrow = t.get("arrow", "<->")
        out.append(f"values {name}: {t['sf']} {arrow} {t['hs']} {{")
        for sfv, a, hsv in t["pairs"]:
            out.append(f"  {q(sfv)} {a} {q(hsv)}")
        for key, a in (("else_to_hs", "->"), ("else_to_sf", "<-")):
            e = t.get(key)
            if e is not None:
                out.append(f"  else {a} {e if e in ('reject', 'keep') else q(e)}")
        out.append("}")
        out.append("")
    for s in rules["syncs"]:
        arrow = s.get("dir", "<->")
        out.append(f"sync {s['name']}: salesforce.{s['sf']} {arrow} hubspot.{s['hs']} {{")
        out.append(f"  match {s['match']}")
        for side, sc in s.get("scope", {}).items():
            if sc["field"] == "IsConverted":
                out.append(f"  scope {side}: !IsConverted")
            else:
                out.append(f"  scope {side}: {sc['field']} != {q(sc['ne'])}")
        for side, c in s.get("create", {}).items():
            line = f"  create in {side}" + (" only" if s.get("create_only") else "")
            if c.get("when"):
                line += f" when {c['when']['field']} == {q(c['when']['eq'])}"
            out.append(line)
        if s.get("converts_to"):
            out.append(f"  converts to {s['converts_to']}")
        if s.get("conflict") and arrow == "<->":
            out.append(f"  conflict {s['conflict']}")
        if s.get("blank"):
            out.append(f"  blank {s['blank']}")
        for side, pol in s.get("delete", {}).items():
            out.append(f"  delete {pol} from {side}")
        for r in s["fields"]:
            left = 'coalesce(FirstName, "") + " " + LastName' if r.get("expr") else r["sf"]
            line = f"  {left} {r.get('dir', '<->')} {r['hs']}"
            if r.get("with") == "lower_trim":
                line += " with lowerAscii(trim(_))"
            elif r.get("with") == "domainOf":
                line += " with domainOf(_)"
            if r.get("table"):
                line += f" via {r['table']}"
            if r.get("conflict") and r.get("dir", "<->") == "<->":
                line += f" conflict {r['conflict']}"
            b = r.get("blank")
            if b:
                line += " blank " + (b if isinstance(b, str) else f"default {q(b[1])}")
            out.append(line + ";")
        for side, assigns in s.get("on_create", {}).items():
            if not assigns:
                continue
            parts = []
            for f, spec in assigns.items():
                parts.append(f"{f} = coalesce({spec[1]}, {q(spec[2])})" if spec[0] == "coalesce" else f"{f} = {q(spec[1])}")
            out.append(f"  on create {side} {{ " + "; ".join(parts) + " }")
        out.append("}")
        out.append("")
    lc = rules.get("lifecycle")
    if lc:
        out.append(f"lifecycle hubspot.{lc['object']}.{lc['property']} {{")
        out.append("  order " + " < ".join(lc["order"]))
        if lc.get("forward_only", True):
            out.append("  forward only")
        for t in lc["triggers"]:
            v = t["value"] if t["value"] in ("true", "false") else q(t["value"])
            line = f"  when salesforce.{t['object']}.{t['field']} becomes {v} then {t['stage']}"
            if t.get("for_contacts_of"):
                line += f" for contacts of {t['for_contacts_of']}"
            out.append(line)
        out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# histories
#
# A history is a list of rounds. A round: user actions (applied with faults off), then a
# sync point: one `accord run --once` when fault-free, else passes under faults (with
# SIGKILLs, a sandbox restart) until quiet, then fault-free passes until quiet.
# Actions name records by *refs*: "u3" is the third record the user created; "t:SYNC:u3"
# is the record Accord linked to u3 in SYNC (resolved from the model's links when run).

WRITE_PATHS = [
    "/crm/v3/objects/contacts/batch/", "/crm/v3/objects/companies/batch/", "/crm/v3/objects/deals/batch/",
    "/crm/v3/objects/tasks/batch/", "/crm/v4/associations/", "/composite/sobjects",
]


def gen_faults(rng, heavy):
    def one(system):
        f = {"seed": rng.randint(1, 10 ** 6)}
        kinds = ["drop_rate", "drop_after_rate", "error_rate", "storm_rate", "partial_rate", "malformed_rate"]
        for k in rng.sample(kinds, rng.randint(1, 3 if heavy else 2)):
            f[k] = round(rng.uniform(0.05, 0.45 if heavy else 0.2), 2)
        if "storm_rate" in f:
            f["storm_rate"] = min(f["storm_rate"], 0.1)
            f["storm_length"] = rng.randint(2, 5)
        if rng.random() < 0.6:
            f["path"] = rng.choice(["/composite/sobjects", "/composite/|/sobjects/|/apexrest/", "/query"]) \
                if system == "sf" else rng.choice(WRITE_PATHS[:5])
        if rng.random() < 0.3:
            f["latency_ms"] = rng.randint(5, 60)
        return f
    return {"sf": one("sf") if rng.random() < 0.8 else {}, "hs": one("hs") if rng.random() < 0.9 else {}}


def gen_history(rng, rules, rounds=None, faults=True):
    syncs = {s["name"]: s for s in rules["syncs"]}
    objs = {s["sf"] for s in rules["syncs"]} | {"Contact"}
    hs_objs = {s["hs"] for s in rules["syncs"]}
    if "Opportunity" in objs or (rules.get("lifecycle") and any(
            t["object"] == "Opportunity" for t in rules["lifecycle"]["triggers"])):
        objs |= {"Opportunity", "Account"}
    made = []  # (ref, side, obj)
    n = [0]
    email_n = [0]
    hist = []

    def new_ref():
        n[0] += 1
        return f"u{n[0]}"

    def email():
        email_n[0] += 1
        return f"p{email_n[0]}@ex{email_n[0] % 3}.test"

    def pool_for(side, obj):
        for s in rules["syncs"]:
            if (s["sf"] if side == "sf" else s["hs"]) == obj:
                for r in s["fields"]:
                    if r.get("kind"):
                        yield (r["sf"] if side == "sf" else r["hs"]), r["kind"]

    trig_objs = {t["object"] for t in (rules.get("lifecycle") or {}).get("triggers", [])}

    def create_action(force=None):
        u = rng.random()
        if force == "Opportunity":
            u = 0.85
        ref = new_ref()
        if u < 0.3:
            f = {"LastName": vocab("name", rng, "sf"), "Email": email()}
            if rng.random() < 0.6:
                f["FirstName"] = vocab("name", rng, "sf")
            for fld, kind in pool_for("sf", "Contact"):
                if fld not in f and rng.random() < 0.5:
                    f[fld] = vocab(kind, rng, "sf")
            accts = [m for m in made if m[2] == "Account"]
            if accts and rng.random() < (0.8 if "Opportunity" in trig_objs else 0.5):
                f["AccountId"] = {"ref": rng.choice(accts)[0]}
            made.append((ref, "sf", "Contact"))
            return {"do": "create", "side": "sf", "obj": "Contact", "ref": ref, "fields": f}
        if u < 0.55:
            p = {"email": email()}
            for fld, kind in pool_for("hs", "contacts"):
                if rng.random() < 0.5:
                    p[fld] = vocab(kind, rng, "hs")
            if rng.random() < 0.4:
                p["lifecyclestage"] = rng.choice(["lead", "marketingqualifiedlead", "salesqualifiedlead"])
            made.append((ref, "hs", "contacts"))
            return {"do": "create", "side": "hs", "obj": "contacts", "ref": ref, "fields": p}
        if u < 0.67 and "Lead" in objs:
            f = {"LastName": vocab("name", rng, "sf"), "Company": vocab("name", rng, "sf"), "Email": email()}
            if rng.random() < 0.3:
                f["Status"] = rng.choice(["Working - Contacted", "Qualified"])
            made.append((ref, "sf", "Lead"))
            return {"do": "create", "side": "sf", "obj": "Lead", "ref": ref, "fields": f}
        if u < 0.77 and "Account" in objs:
            f = {"Name": vocab("name", rng, "sf")}
            if rng.random() < 0.9:
                f["Website"] = f"https://www.{ref}.example/x"
            if "companies" in hs_objs and rng.random() < 0.3:
                f["Industry"] = vocab("industry", rng, "sf")
            made.append((ref, "sf", "Account"))
            return {"do": "create", "side": "sf", "obj": "Account", "ref": ref, "fields": f}
        if u < 0.82 and "companies" in hs_objs:
            p = {"name": vocab("name", rng, "hs"), "domain": f"{ref}.example"}
            made.append((ref, "hs", "companies"))
            return {"do": "create", "side": "hs", "obj": "companies", "ref": ref, "fields": p}
        if u < 0.93 and "Opportunity" in objs:
            f = {"Name": "Deal " + ref, "StageName": rng.choice(STAGES), "CloseDate": "2027-01-15"}
            accts = [m for m in made if m[2] == "Account"]
            if accts:
                f["AccountId"] = {"ref": rng.choice(accts)[0]}
            made.append((ref, "sf", "Opportunity"))
            return {"do": "create", "side": "sf", "obj": "Opportunity", "ref": ref, "fields": f}
        if "Task" in objs or "activities" in syncs:
            made.append((ref, "sf", "Task"))
            return {"do": "create", "side": "sf", "obj": "Task", "ref": ref,
                    "fields": {"Subject": rng.choice(["Call", "Email", "Other"]), "Description": vocab("name", rng, "sf")}}
        made.append((ref, "sf", "Contact"))
        return {"do": "create", "side": "sf", "obj": "Contact", "ref": ref,
                "fields": {"LastName": vocab("name", rng, "sf"), "Email": email()}}

    def twin(ref, obj):
        for s in rules["syncs"]:
            if s["sf"] == obj:
                return f"t:{s['name']}:{ref}", "hs", s["hs"]
            if s["hs"] == obj:
                return f"t:{s['name']}:{ref}", "sf", s["sf"]
        return None

    def merge_action():
        """a merge of two records of one object (user-made, or Accord's twins): HubSpot contacts
        or companies, or Salesforce Contacts or Accounts."""
        side = rng.choice(["hs", "sf"])
        kinds = ("contacts", "companies") if side == "hs" else ("Contact", "Account")
        by_obj = {}
        for ref, s, obj in made:
            cand = (ref, obj) if s == side else None
            if s != side:
                t = twin(ref, obj)
                cand = (t[0], t[2]) if t and t[1] == side else None
            if cand and cand[1] in kinds and cand[0] not in by_obj.get(cand[1], []):
                by_obj.setdefault(cand[1], []).append(cand[0])
        groups = [(o, refs) for o, refs in sorted(by_obj.items()) if len(refs) >= 2]
        if not groups:
            return None
        obj, refs = rng.choice(groups)
        primary, merged = rng.sample(refs, 2)
        return {"do": "merge", "side": side, "obj": obj, "ref": primary, "merged": merged}

    def edit_action(same_second=False):
        if not made:
            return None
        ref, side, obj = rng.choice(made)
        target = (ref, side, obj)
        if rng.random() < 0.4:
            t = twin(ref, obj)
            if t:
                target = t
        tref, tside, tobj = target
        if tobj == "Lead" and rng.random() < 0.4:
            return {"do": "edit", "side": "sf", "obj": "Lead", "ref": tref,
                    "fields": {"Status": rng.choice(["Working - Contacted", "Qualified", "Open - Not Contacted"])}}
        if tobj == "Opportunity":
            return {"do": "edit", "side": "sf", "obj": "Opportunity", "ref": tref,
                    "fields": {rng.choice(["StageName", "StageName", "Name", "Description"]): None}, "fill": True,
                    "vals": {"StageName": rng.choice(STAGES), "Name": "Deal " + vocab("name", rng, "sf"),
                             "Description": vocab("name", rng, "sf")}}
        if tobj == "contacts" and rng.random() < 0.2:
            return {"do": "edit", "side": "hs", "obj": "contacts", "ref": tref,
                    "fields": {"lifecyclestage": rng.choice(LIFECYCLE[1:6])}}
        pool = list(pool_for(tside, tobj))
        if not pool:
            return None
        fld, kind = rng.choice(pool)
        val = None if rng.random() < 0.15 else vocab(kind, rng, tside)
        a = {"do": "edit", "side": tside, "obj": tobj, "ref": tref, "fields": {fld: val}}
        if same_second:
            # the same field on the other side of the pair: a conflict, in the same second or
            # with the clock moved between the two edits
            base, bside, bobj = (ref, side, obj)
            other = twin(base, bobj)
            if not other:
                return a
            pair = [(base, bside, bobj), other]
            if tref != base:
                pair.reverse()
            (r1, s1, o1), (r2, s2, o2) = pair
            for sy in rules["syncs"]:
                if (sy["sf"], sy["hs"]) not in ((o1, o2), (o2, o1)):
                    continue
                for r in sy["fields"]:
                    if r.get("kind") and fld in (r["sf"], r["hs"]):
                        ofld = r["hs"] if s1 == "sf" else r["sf"]
                        b = {"do": "edit", "side": s2, "obj": o2, "ref": r2,
                             "fields": {ofld: None if rng.random() < 0.15 else vocab(kind, rng, s2)}}
                        gap = rng.choice([0, 0, 1100, 2500])
                        return [a, {"do": "clock", "ms": gap}, b] if gap else [a, b]
        return a

    nrounds = rounds or rng.randint(3, 7)
    for i in range(nrounds):
        acts = []
        k = rng.randint(1, 5) if i == 0 else rng.randint(1, 5)
        for _ in range(k):
            u = rng.random()
            if i == 0 or u < 0.2:
                acts.append(create_action())
            elif u < 0.75:
                a = edit_action(same_second=rng.random() < 0.4)
                if isinstance(a, list):
                    acts.extend(a)
                elif a:
                    acts.append(a)
            elif u < 0.8 and made:
                merge = merge_action() if rng.random() < 0.35 else None
                ref, side, obj = rng.choice(made)
                if merge:
                    acts.append(merge)
                elif obj != "Account":
                    acts.append({"do": "delete", "side": side, "obj": obj, "ref": ref})
            elif u < 0.9:
                leads = [m for m in made if m[2] == "Lead"]
                if leads:
                    acts.append({"do": "convert", "ref": rng.choice(leads)[0], "opportunity": rng.random() < 0.3})
            elif u < 0.93 and trig_objs:
                # move a field a lifecycle trigger watches (several triggers may watch one field)
                cands = [m for m in made if m[2] in trig_objs]
                if cands:
                    ref, side, obj = rng.choice(cands)
                    t = rng.choice([t for t in rules["lifecycle"]["triggers"] if t["object"] == obj])
                    v = t["value"] if rng.random() < 0.7 else rng.choice(
                        STAGES if obj == "Opportunity" else ["Open - Not Contacted", "Working - Contacted"])
                    if t["field"] != "IsConverted":
                        acts.append({"do": "edit", "side": "sf", "obj": obj, "ref": ref, "fields": {t["field"]: v}})
                elif "Opportunity" in trig_objs and any(m[2] == "Account" for m in made):
                    acts.append(create_action("Opportunity"))
            elif u < 0.95 and made:
                # a record with the key of another one (a duplicate the engine must quarantine)
                ref, side, obj = rng.choice(made)
                if obj in ("Contact", "contacts"):
                    nref = new_ref()
                    made.append((nref, side, obj))
                    acts.append({"do": "create", "side": side, "obj": obj, "ref": nref, "dup_of": ref,
                                 "fields": {"LastName": "Dup"} if side == "sf" else {"lastname": "Dup"}})
            if rng.random() < 0.5:
                acts.append({"do": "clock", "ms": rng.choice([0, 400, 1100, 2500])})
        sp = {"faults": None, "kills": [], "restart": False, "plan": True, "during": []}
        if faults and rng.random() < 0.55:
            sp["faults"] = gen_faults(rng, heavy=rng.random() < 0.3)
            sp["plan"] = False
            if rng.random() < 0.35:
                sp["kills"] = [round(rng.uniform(0.05, 1.5), 2) for _ in range(rng.randint(1, 2))]
            if rng.random() < 0.15:
                sp["restart"] = True
            elif rng.random() < 0.15 and i < nrounds - 1:
                sp["partial"] = True  # one faulted pass, then the next round's edits
        if rng.random() < 0.12 and i > 0:
            a = edit_action()
            if a and not isinstance(a, list):
                sp["during"] = [a]
                sp["during_delay"] = round(rng.uniform(0.05, 0.8), 2)
        hist.append({"actions": [a for a in acts if a], "sync": sp})
    return hist


OTHER_SIDE = {"sf": "hs", "hs": "sf"}


def gen_push_faults(rng):
    """the push faults of one sync point (tests/model/push.py): the sandbox's webhook_* and
    cdc_* event faults, a SIGKILL of accord after the events are released, or a gap (accord
    down while the edits land, their change events past the retention window)."""
    def one(prefix):
        f = {"seed": rng.randint(1, 10 ** 6)}
        for k in rng.sample(["drop", "duplicate", "reorder", "delay"], rng.randint(1, 3)):
            if k == "delay":
                f[prefix + "_delay_ms"] = rng.choice([150, 600, 1500])
            else:
                f[f"{prefix}_{k}_rate"] = round(rng.uniform(0.1, 0.7), 2)
        return f
    out = {"hs": one("webhook") if rng.random() < 0.8 else {}, "sf": one("cdc") if rng.random() < 0.8 else {}}
    u = rng.random()
    if u < 0.15:
        out["kill"] = round(rng.uniform(0.05, 0.8), 2)
    elif u < 0.25:
        out["gap"] = True
    return out
