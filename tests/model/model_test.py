#!/usr/bin/env python3
"""Unit tests of the reference model (model.py): small cases worked by hand from
docs/sync.md and docs/language.md. Run: python3 tests/model/model_test.py"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model  # noqa: E402
from model import SF, HS  # noqa: E402


def people(fields, **kw):
    s = {"name": "people", "sf": "Contact", "hs": "contacts", "match": "email", "conflict": "two_way",
         "create": {"hubspot": {}}, "fields": [{"sf": "Email", "hs": "email", "with": "lower_trim"}] + fields}
    s.update(kw)
    return s


def rules(*syncs, tables=None, lifecycle=None):
    d = {"syncs": list(syncs), "tables": tables or {}}
    if lifecycle:
        d["lifecycle"] = lifecycle
    return model.Rules(d)


def snap(sf=None, hs=None):
    s = {"sf": {}, "hs": {}}
    for obj, recs in (sf or {}).items():
        s["sf"][obj] = {i: dict({"IsDeleted": "false"}, **r) for i, r in recs.items()}
    for obj, recs in (hs or {}).items():
        s["hs"][obj] = {i: dict({"__archived": False}, **r) for i, r in recs.items()}
    return s


def linked(R, sf, hs, links):
    """a store in which the given pairs agree: one pass over the agreeing snapshot."""
    st = model.State()
    st.links["people"] = dict(links)
    s0 = snap(sf, hs)
    ex = model.plan_pass(R, st, s0)
    model.commit(R, st, ex, s0)
    return st


def value(ex, side, obj, rid, f):
    c = ex.fields.get((side, obj, rid, f))
    return None if c is None else sorted(c.main(), key=str)


class Reconcile(unittest.TestCase):
    def setUp(self):
        self.R = rules(people([{"sf": "FirstName", "hs": "firstname"},
                               {"sf": "Phone", "hs": "phone", "conflict": "prefer salesforce unless blank"},
                               {"sf": "Title", "hs": "jobtitle", "dir": "->"}]))
        self.sf = {"Contact": {"c": {"Email": "a@x.test", "FirstName": "Ada", "Phone": "1", "Title": "CTO"}}}
        self.hs = {"contacts": {"h": {"email": "a@x.test", "firstname": "Ada", "phone": "1", "jobtitle": "CTO"}}}
        self.st = linked(self.R, self.sf, self.hs, {"c": "h"})

    def edit(self, sf=None, hs=None, times=None):
        s = snap(self.sf, self.hs)
        for f, v in (sf or {}).items():
            s["sf"]["Contact"]["c"][f] = v
        for f, v in (hs or {}).items():
            s["hs"]["contacts"]["h"][f] = v
        return model.plan_pass(self.R, self.st, s, times or {})

    def test_agreeing_pair_writes_nothing(self):
        ex = self.edit()
        self.assertEqual(value(ex, HS, "contacts", "h", "firstname"), ["Ada"])
        self.assertEqual(value(ex, SF, "Contact", "c", "FirstName"), ["Ada"])
        self.assertEqual(ex.creates, [])

    def test_one_side_changed_is_copied(self):
        ex = self.edit(sf={"FirstName": "Ann"})
        self.assertEqual(value(ex, HS, "contacts", "h", "firstname"), ["Ann"])
        ex = self.edit(hs={"firstname": "Bea"})
        self.assertEqual(value(ex, SF, "Contact", "c", "FirstName"), ["Bea"])

    def test_both_changed_to_agreeing_values_writes_nothing(self):
        ex = self.edit(sf={"FirstName": "Ann"}, hs={"firstname": "Ann"})
        self.assertEqual(ex.conflicts, [])

    def test_two_way_most_recent_wins_and_a_tie_in_the_second_goes_to_salesforce(self):
        t = {("sf", "Contact", "c"): 10_000, ("hs", "contacts", "h", "firstname"): 12_500}
        ex = self.edit(sf={"FirstName": "Ann"}, hs={"firstname": "Bea"}, times=t)
        self.assertEqual(value(ex, SF, "Contact", "c", "FirstName"), ["Bea"])
        t = {("sf", "Contact", "c"): 13_000, ("hs", "contacts", "h", "firstname"): 12_500}
        ex = self.edit(sf={"FirstName": "Ann"}, hs={"firstname": "Bea"}, times=t)
        self.assertEqual(value(ex, HS, "contacts", "h", "firstname"), ["Ann"])
        # SystemModstamp has second precision: 12 s vs 12.5 s is a tie, and a tie goes to Salesforce
        t = {("sf", "Contact", "c"): 12_000, ("hs", "contacts", "h", "firstname"): 12_500}
        ex = self.edit(sf={"FirstName": "Ann"}, hs={"firstname": "Bea"}, times=t)
        self.assertEqual(value(ex, HS, "contacts", "h", "firstname"), ["Ann"])

    def test_prefer_salesforce_unless_blank(self):
        ex = self.edit(sf={"Phone": "2"}, hs={"phone": "3"})
        self.assertEqual(value(ex, HS, "contacts", "h", "phone"), ["2"])
        # the docs' own accord-test example: a blanked Salesforce phone loses
        ex = self.edit(sf={"Phone": None}, hs={"phone": "3"})
        self.assertEqual(value(ex, SF, "Contact", "c", "Phone"), ["3"])

    def test_blank_ignore_never_erases(self):
        ex = self.edit(sf={"FirstName": None})
        self.assertEqual(value(ex, HS, "contacts", "h", "firstname"), ["Ada"])

    def test_a_blank_conflict_winner_is_filled_in_the_same_pass(self):
        t = {("sf", "Contact", "c"): 20_000, ("hs", "contacts", "h", "firstname"): 12_500}
        ex = self.edit(sf={"FirstName": None}, hs={"firstname": "Bea"}, times=t)
        self.assertEqual(value(ex, SF, "Contact", "c", "FirstName"), ["Bea"])

    def test_dont_sync_passes_nothing_once_both_records_exist(self):
        R = rules(people([{"sf": "Title", "hs": "jobtitle", "conflict": "dont_sync"}]))
        sf = {"Contact": {"c": {"Email": "a@x.test", "Title": "CTO"}}}
        hs = {"contacts": {"h": {"email": "a@x.test", "jobtitle": "CTO"}}}
        st = linked(R, sf, hs, {"c": "h"})
        s = snap(sf, hs)
        s["sf"]["Contact"]["c"]["Title"] = "CEO"
        ex = model.plan_pass(R, st, s)
        self.assertEqual(value(ex, HS, "contacts", "h", "jobtitle"), ["CTO"])
        # a create still carries the value
        s = snap({"Contact": {"d": {"Email": "d@x.test", "Title": "VP"}}})
        ex = model.plan_pass(R, model.State(), s)
        self.assertEqual(ex.creates[0].fields["jobtitle"].main(), ["VP"])

    def test_one_way_rule_ignores_target_edits(self):
        ex = self.edit(hs={"jobtitle": "CEO"})
        self.assertEqual(value(ex, SF, "Contact", "c", "Title"), ["CTO"])
        self.assertEqual(value(ex, HS, "contacts", "h", "jobtitle"), ["CEO"])
        # and the source still wins when it changes
        ex = self.edit(sf={"Title": "VP"}, hs={"jobtitle": "CEO"})
        self.assertEqual(value(ex, HS, "contacts", "h", "jobtitle"), ["VP"])

    def test_echo_suppression_case_only_email_edit(self):
        ex = self.edit(sf={"Email": "A@X.test"})
        self.assertEqual(value(ex, HS, "contacts", "h", "email"), ["a@x.test"])


class Tables(unittest.TestCase):
    def test_else_reject_is_a_property_values_error_for_that_field_only(self):
        t = {"LS": {"pairs": [["Web", "<->", "Web"]], "else_to_hs": "reject", "else_to_sf": "keep"}}
        R = rules(people([{"sf": "LeadSource", "hs": "lead_source", "table": "LS"},
                          {"sf": "FirstName", "hs": "firstname"}]), tables=t)
        sf = {"Contact": {"c": {"Email": "a@x.test", "LeadSource": "Web", "FirstName": "Ada"}}}
        hs = {"contacts": {"h": {"email": "a@x.test", "lead_source": "Web", "firstname": "Ada"}}}
        st = linked(R, sf, hs, {"c": "h"})
        s = snap(sf, hs)
        s["sf"]["Contact"]["c"].update({"LeadSource": "Other", "FirstName": "Ann"})
        ex = model.plan_pass(R, st, s)
        self.assertIn("PropertyValues", [e[1] for e in ex.errors])
        # issue 12 defect 8: the other fields are written; holding them back is the known defect
        self.assertEqual(value(ex, HS, "contacts", "h", "firstname"), ["Ann"])
        self.assertEqual(ex.fields[(HS, "contacts", "h", "firstname")].get("Ada"), "issue12-8")
        # else <- keep: an unlisted HubSpot value is written unchanged
        s = snap(sf, hs)
        s["hs"]["contacts"]["h"]["lead_source"] = "Other"
        ex = model.plan_pass(R, st, s)
        self.assertEqual(value(ex, SF, "Contact", "c", "LeadSource"), ["Other"])


class FirstSeen(unittest.TestCase):
    # sync.md, two_way: where Salesforce keeps no field history its record time stands for the
    # field's, 'bounded by the pass that first saw the change' while the pair cannot settle
    def test_a_change_an_erring_pass_saw_keeps_that_pass_time(self):
        t = {"LS": {"pairs": [["Web", "<->", "Web"], ["Partner", "<->", "Partner"]], "else_to_hs": "reject",
                    "else_to_sf": "keep"}}
        R = rules(people([{"sf": "LeadSource", "hs": "lead_source", "table": "LS"},
                          {"sf": "FirstName", "hs": "firstname"}]), tables=t)
        sf = {"Contact": {"c": {"Email": "a@x.test", "LeadSource": "Web", "FirstName": "Ada"}}}
        hs = {"contacts": {"h": {"email": "a@x.test", "lead_source": "Web", "firstname": "Ada"}}}
        st = linked(R, sf, hs, {"c": "h"})
        # pass 1 at 10 s: Salesforce's 'Other' has no entry toward HubSpot; the pair errs
        s1 = snap(sf, hs)
        s1["sf"]["Contact"]["c"]["LeadSource"] = "Other"
        t1 = {("sf", "Contact", "c"): 10_000}
        ex = model.plan_pass(R, st, s1, t1)
        self.assertIn("PropertyValues", [e[1] for e in ex.errors])
        model.commit(R, st, ex, s1, times_after=t1)
        # pass 2: HubSpot changed it at 12.5 s; a FirstName edit at 20 s moved the Contact's time
        s2 = snap(sf, hs)
        s2["sf"]["Contact"]["c"].update({"LeadSource": "Other", "FirstName": "Ann"})
        s2["hs"]["contacts"]["h"]["lead_source"] = "Partner"
        t2 = {("sf", "Contact", "c"): 20_000, ("hs", "contacts", "h", "lead_source"): 12_500,
              ("hs", "contacts", "h", "firstname"): 0}
        ex = model.plan_pass(R, st, s2, t2)
        self.assertEqual(value(ex, SF, "Contact", "c", "LeadSource"), ["Partner"])
        self.assertNotIn("PropertyValues", [e[1] for e in ex.errors])
        # without the erring pass, the record's time decides: Salesforce's value, rejected
        st0 = linked(R, sf, hs, {"c": "h"})
        ex = model.plan_pass(R, st0, s2, t2)
        self.assertEqual(value(ex, SF, "Contact", "c", "LeadSource"), ["Other"])
        self.assertIn("PropertyValues", [e[1] for e in ex.errors])
        # a pass that settles the pair drops the bound
        ex = model.plan_pass(R, st, s2, t2)
        model.commit(R, st, ex, s2, times_after=t2)
        self.assertEqual(st.first_seen, {})


class Computed(unittest.TestCase):
    def test_computed_field_sees_the_values_the_pass_decides(self):
        R = rules(people([{"sf": "FirstName", "hs": "firstname"}, {"sf": "LastName", "hs": "lastname"},
                          {"expr": "fullname", "hs": "full_name", "dir": "->"}]))
        sf = {"Contact": {"c": {"Email": "a@x.test", "FirstName": "Ada", "LastName": "L"}}}
        hs = {"contacts": {"h": {"email": "a@x.test", "firstname": "Ada", "lastname": "L", "full_name": "Ada L"}}}
        st = linked(R, sf, hs, {"c": "h"})
        s = snap(sf, hs)
        s["hs"]["contacts"]["h"]["firstname"] = "Bea"
        ex = model.plan_pass(R, st, s)
        c = ex.fields[(HS, "contacts", "h", "full_name")]
        self.assertEqual(c.main(), ["Bea L"])
        self.assertEqual(c.get("Ada L"), "issue22-1")  # the stale value: a known defect, not the spec


class Matching(unittest.TestCase):
    def test_one_candidate_each_side_links_and_two_are_quarantined(self):
        R = rules(people([{"sf": "FirstName", "hs": "firstname"}]))
        s = snap({"Contact": {"c": {"Email": "A@x.test", "FirstName": "Ada"}}},
                 {"contacts": {"h": {"email": "a@x.test"}}})
        ex = model.plan_pass(R, model.State(), s)
        self.assertEqual(ex.links, [("people", "c", "h")])
        self.assertEqual(value(ex, HS, "contacts", "h", "firstname"), ["Ada"])
        s["hs"]["contacts"]["h2"] = {"email": "a@x.test", "__archived": False}
        ex = model.plan_pass(R, model.State(), s)
        self.assertEqual(ex.links, [])
        self.assertEqual(ex.creates, [])
        self.assertIn("Duplicates", [e[1] for e in ex.errors])

    def test_a_second_record_with_a_linked_persons_key_waits_only_if_it_would_be_created(self):
        # sync.md: 'two records on this side with the key and a create that would follow'
        sf = {"Contact": {"c": {"Email": "a@x.test"}}}
        hs = {"contacts": {"h": {"email": "a@x.test"}}}
        for create, quarantined in (({"salesforce": {}}, False), ({"hubspot": {}}, True)):
            R = rules(people([], create=create))
            st = linked(R, sf, hs, {"c": "h"})
            s = snap({"Contact": {"c": {"Email": "a@x.test"}, "d": {"Email": "A@X.TEST"}}}, hs)
            ex = model.plan_pass(R, st, s)
            self.assertEqual([e[3] for e in ex.errors if e[1] == "Duplicates"], ["d"] if quarantined else [])
            self.assertEqual(ex.creates, [])

    def test_no_match_creates_and_a_blank_key_is_quarantined(self):
        R = rules(people([{"sf": "FirstName", "hs": "firstname"}, {"sf": "Id", "hs": "salesforce_contact_id",
                                                                    "dir": "->"}]))
        s = snap({"Contact": {"c": {"Email": "a@x.test", "FirstName": "Ada"}, "d": {"FirstName": "NoMail"}}})
        ex = model.plan_pass(R, model.State(), s)
        self.assertEqual(len(ex.creates), 1)
        self.assertEqual(ex.creates[0].fields["salesforce_contact_id"].main(), ["c"])
        self.assertEqual([e[3] for e in ex.errors if e[1] == "Duplicates"], ["d"])

    def test_a_record_carrying_the_source_id_is_linked_not_duplicated(self):
        R = rules(people([{"sf": "Id", "hs": "salesforce_contact_id", "dir": "->"}]))
        s = snap({"Contact": {"c": {"Email": "a@x.test"}}},
                 {"contacts": {"h": {"email": "other@x.test", "salesforce_contact_id": "c"}}})
        ex = model.plan_pass(R, model.State(), s)
        self.assertEqual(ex.links, [("people", "c", "h")])
        self.assertEqual(ex.creates, [])

    def test_create_when_and_on_create_defaults(self):
        leads = {"name": "leads", "sf": "Lead", "hs": "contacts", "match": "email", "conflict": "two_way",
                 "create": {"salesforce": {"when": {"field": "lifecyclestage", "eq": "marketingqualifiedlead"}}},
                 "on_create": {"salesforce": {"Company": ["coalesce", "company", "[not provided]"]}},
                 "fields": [{"sf": "Email", "hs": "email", "with": "lower_trim"}, {"sf": "Company", "hs": "company"}]}
        R = rules(leads)
        s = snap({}, {"contacts": {"m": {"email": "m@x.test", "lifecyclestage": "marketingqualifiedlead"},
                                   "n": {"email": "n@x.test", "lifecyclestage": "lead"}}})
        ex = model.plan_pass(R, model.State(), s)
        self.assertEqual([c.src_id for c in ex.creates], ["m"])
        self.assertEqual(ex.creates[0].fields["Company"].main(), ["[not provided]"])


class Lifecycle(unittest.TestCase):
    def test_every_trigger_of_a_field_fires_and_never_backwards(self):
        lc = {"object": "contacts", "property": "lifecyclestage", "forward_only": True,
              "order": ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                        "customer"],
              "triggers": [{"object": "Opportunity", "field": "StageName", "value": "Prospecting",
                            "stage": "opportunity", "for_contacts_of": "AccountId"},
                           {"object": "Opportunity", "field": "StageName", "value": "Closed Won",
                            "stage": "customer", "for_contacts_of": "AccountId"}]}
        R = rules(people([]), lifecycle=lc)
        sf = {"Contact": {"c": {"Email": "a@x.test", "AccountId": "A"}},
              "Opportunity": {"o": {"StageName": "Qualification", "AccountId": "A"}}}
        hs = {"contacts": {"h": {"email": "a@x.test", "lifecyclestage": "lead"}}}
        st = linked(R, sf, hs, {"c": "h"})
        s = snap(sf, hs)
        s["sf"]["Opportunity"]["o"]["StageName"] = "Closed Won"  # the second trigger of the field
        ex = model.plan_pass(R, st, s)
        self.assertEqual(value(ex, HS, "contacts", "h", "lifecyclestage"), ["customer"])
        model.commit(R, st, ex, s)
        s2 = snap(sf, {"contacts": {"h": {"email": "a@x.test", "lifecyclestage": "customer"}}})
        s2["sf"]["Opportunity"]["o"]["StageName"] = "Prospecting"  # would lower: forward only
        ex = model.plan_pass(R, st, s2)
        self.assertEqual(value(ex, HS, "contacts", "h", "lifecyclestage"), ["customer"])


class Deletes(unittest.TestCase):
    def _pass(self, policy):
        R = rules(people([{"sf": "FirstName", "hs": "firstname"}], delete={"salesforce": policy}))
        sf = {"Contact": {"c": {"Email": "a@x.test", "FirstName": "Ada"}}}
        hs = {"contacts": {"h": {"email": "a@x.test", "firstname": "Ada"}}}
        st = linked(R, sf, hs, {"c": "h"})
        s = snap(sf, hs)
        s["sf"]["Contact"]["c"]["IsDeleted"] = "true"
        return model.plan_pass(R, st, s)

    def test_delete_policies(self):
        self.assertEqual(self._pass("keep").deletes, set())
        self.assertEqual(self._pass("propagate").deletes, {(HS, "contacts", "h")})
        ex = self._pass("unlink")
        self.assertEqual(ex.unlinks, [("people", "c")])
        self.assertEqual(ex.creates, [])  # the deleted record is tombstoned: never re-created


class Conversion(unittest.TestCase):
    def test_conversion_moves_the_link_and_makes_no_second_contact(self):
        p = people([{"sf": "FirstName", "hs": "firstname"}])
        leads = {"name": "leads", "sf": "Lead", "hs": "contacts", "match": "email", "conflict": "two_way",
                 "scope": {"salesforce": {"field": "IsConverted", "ne": "true"}}, "create": {"hubspot": {}},
                 "converts_to": "people",
                 "fields": [{"sf": "Email", "hs": "email", "with": "lower_trim"}, {"sf": "FirstName", "hs": "firstname"}]}
        R = rules(p, leads)
        st = model.State()
        st.links["leads"] = {"L": "h"}
        st.shadows[("leads", "L", 1)] = ("Ada", "Ada")
        s = snap({"Lead": {"L": {"Email": "a@x.test", "FirstName": "Ada", "IsConverted": "true",
                                 "ConvertedContactId": "C"}},
                  "Contact": {"C": {"Email": "a@x.test", "FirstName": "Ada"}}},
                 {"contacts": {"h": {"email": "a@x.test", "firstname": "Ada"}}})
        ex = model.plan_pass(R, st, s)
        self.assertEqual(ex.moves, [("leads", "people", "L", "C", "h")])
        self.assertEqual(ex.creates, [])
        self.assertEqual(ex.state_after.links["people"], {"C": "h"})

    def test_a_value_a_one_way_rule_never_carried_is_a_change_once_converted(self):
        # sync.md: a one-way rule's shadow keeps the last value carried to its target; the
        # Lead's own Title never went to HubSpot (`<-`), so under people's two-way rule after
        # the conversion it is a Salesforce change, carried to HubSpot (soak seed 110261355)
        p = people([{"sf": "Title", "hs": "jobtitle", "conflict": "prefer salesforce"}])
        leads = {"name": "leads", "sf": "Lead", "hs": "contacts", "match": "email", "conflict": "two_way",
                 "scope": {"salesforce": {"field": "IsConverted", "ne": "true"}}, "create": {"hubspot": {}},
                 "converts_to": "people",
                 "fields": [{"sf": "Email", "hs": "email", "with": "lower_trim"},
                            {"sf": "Title", "hs": "jobtitle", "dir": "<-"}]}
        R = rules(p, leads)
        st = model.State()
        st.links["leads"] = {"L": "h"}
        lead = {"Email": "a@x.test"}
        hs = {"contacts": {"h": {"email": "a@x.test"}}}
        s0 = snap({"Lead": {"L": lead}}, hs)
        model.commit(R, st, model.plan_pass(R, st, s0), s0)
        s1 = snap({"Lead": {"L": dict(lead, Title="CEO")}}, hs)  # a Salesforce edit `<-` ignores
        ex = model.plan_pass(R, st, s1)
        self.assertEqual(value(ex, HS, "contacts", "h", "jobtitle"), [None])
        model.commit(R, st, ex, s1)
        self.assertEqual(st.shadows[("leads", "L", 1)], (None, None))
        s2 = snap({"Lead": {"L": dict(lead, Title="CEO", IsConverted="true", ConvertedContactId="C")},
                   "Contact": {"C": {"Email": "a@x.test", "Title": "CEO"}}}, hs)
        ex = model.plan_pass(R, st, s2)
        self.assertEqual(value(ex, HS, "contacts", "h", "jobtitle"), ["CEO"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
