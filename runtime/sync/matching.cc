// Unlinked records: the external id a rule wrote, match keys, quarantines,
// creates, and what a create whose outcome is unknown left behind.

#include <algorithm>

#include "base/strings.h"
#include "runtime/sync/engine_impl.h"

namespace accord::sync {

std::string Engine::Impl::MatchKey(const SyncPlan& p, int side, const Record& r) {
  int slot = p.match_slot[side];
  if (slot < 0) return "";
  const Text& v = r.values[slot];
  if (IsBlank(v)) return "";
  if (p.match == "domain") return NormalizeDomain(*v);
  return Lower(std::string(base::Trim(*v)));
}

// Whether a create's intent (its "fields": target field name -> text) wrote a
// non-blank value into `slot`.
bool Engine::Impl::IntentWrote(const nlohmann::json& sent, const std::vector<schema::Field>& fields, int slot) {
  if (slot < 0 || !sent.is_object()) return false;
  auto it = sent.find(fields[slot].name);
  return it != sent.end() && it->is_string() && !base::Trim(it->get_ref<const std::string&>()).empty();
}

// The unlinked, unused records of `t` that hold every non-blank value a create
// sent: the record a create whose response was lost made, when nothing else
// (an external id, a key the create wrote) finds it. A create that sent no
// value finds nothing.
std::vector<size_t> Engine::Impl::SentBy(const nlohmann::json& sent, const schema::Object& obj, const Table& t,
                                         const std::unordered_set<std::string>& linked_ids,
                                         const std::unordered_map<std::string, std::string>& taken,
                                         const std::unordered_set<size_t>& used) {
  std::vector<std::pair<int, std::string>> want;
  if (sent.is_object())
    for (int slot = 0; slot < static_cast<int>(obj.fields.size()); ++slot)
      if (IntentWrote(sent, obj.fields, slot)) want.emplace_back(slot, sent[obj.fields[slot].name]);
  std::vector<size_t> found;
  if (want.empty()) return found;
  for (size_t j = 0; j < t.records.size(); ++j) {
    const Record& c = t.records[j];
    if (c.deleted || used.count(j) || linked_ids.count(c.id) || taken.count(Key(obj.name, c.id))) continue;
    bool all = true;
    for (const auto& [slot, text] : want)
      if (IsBlank(c.values[slot]) || *c.values[slot] != text) {
        all = false;
        break;
      }
    if (all) found.push_back(j);
  }
  return found;
}

// The ids of records of `t`, sorted (the same text whatever order a pass read them in).
static std::string IdList(const Table& t, const std::vector<size_t>& which) {
  std::vector<std::string> ids;
  for (size_t j : which) ids.push_back(t.records[j].id);
  std::sort(ids.begin(), ids.end());
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

void Engine::Impl::Unlinked(SyncPlan& p, Table* t[2], std::unordered_set<std::string> linked_ids[2], Work& w,
                            size_t& done) {
  base::ScopedPhase phase(clock, "match");
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  std::vector<std::pair<std::string, std::string>> requarantine;  // (sf id, hs id) decided again
  struct ClearResolved {  // on every way out: a quarantine nothing logged again is resolved
    Impl* self;
    const SyncPlan& p;
    std::vector<std::pair<std::string, std::string>>& ids;
    ~ClearResolved() {
      for (const auto& [sf, hs] : ids)
        if (!self->logged_now.count({p.name, sf + "|" + hs}) && !self->opts->dry_run)
          self->Check(self->store.ClearErrors(p.name, sf, hs));
    }
  } clear_resolved{this, p, requarantine};
  // a targeted pass reads the records the changed ones may match first (nothing when none changed)
  if (targeted) PrefetchMatches(p, t, linked_ids);
  if (!report->ok) return;
  // candidates per side: not deleted, not tombstoned, not linked here or in a sibling sync, in scope
  std::vector<size_t> cand[2];
  for (int s = 0; s < 2; ++s) {
    auto unlinked = [&](const Record& r) {
      return !linked_ids[s].count(r.id) && !TakenBy(s, obj[s]->name, r.id) && !ClaimedByOther(p, s, obj[s]->name, r);
    };
    std::vector<char> open;  // of the current batch: not linked
    for (size_t i = 0; i < t[s]->records.size() && report->ok; ++i) {
      const size_t batch = store::StateStore::kKeyBatch;
      if (i % batch == 0) {
        // the next batch's tombstones in one query
        std::vector<std::string> ids;
        open.assign(std::min(batch, t[s]->records.size() - i), 0);
        for (size_t k = 0; k < open.size(); ++k) {
          const Record& r = t[s]->records[i + k];
          open[k] = unlinked(r);
          if (open[k] && !r.deleted) ids.push_back(r.id);
        }
        PrefetchTombstones(s, std::move(ids));
      }
      const Record& r = t[s]->records[i];
      if (!open[i % batch]) continue;
      if (r.deleted || Tombstoned(s, r.id)) {
        // a deleted record's quarantine (ambiguous key, ...) is over
        bool logged = s == 0 ? errors_sf.count({p.name, r.id}) > 0 : errors_hs.count({p.name, r.id}) > 0;
        if (logged && !opts->dry_run) Check(store.ClearErrors(p.name, s == 0 ? r.id : "", s == 1 ? r.id : ""));
        continue;
      }
      rt::Value err;
      const Record* sf = s == 0 ? &r : nullptr;
      const Record* hs = s == 1 ? &r : nullptr;
      if (!InScope(p, s == 0 ? Side::kSalesforce : Side::kHubSpot, sf, hs, &err)) {
        if (err.is_error()) {
          Error(p.name, CategoryOfValue(err), ErrorRule(err, ""), s == 0 ? r.id : "", s == 1 ? r.id : "",
                err.error_message(), true, s == 0 ? System::kHubSpot : System::kSalesforce, obj[1 - s]->name);
        } else if ((s == 0 ? errors_sf.count({p.name, r.id}) : errors_hs.count({p.name, r.id})) && !opts->dry_run) {
          // out of scope the record is neither matched nor created: nothing waits on its
          // entries any more (a lost create's Transport entry, a quarantine), as for a pair
          Check(store.ClearErrors(p.name, s == 0 ? r.id : "", s == 1 ? r.id : ""));
        }
        continue;
      }
      cand[s].push_back(i);
    }
  }
  // nothing below has work unless a candidate changed since the last pass, has an error waiting
  // or a create unaccounted for (the loop at the end skips every other one): then the indexes
  // over every record of both sides are not built (an incremental pass over linked records)
  bool any_work = false;
  for (int s = 0; s < 2 && !any_work; ++s)
    for (size_t i : cand[s])
      if (!Stale(p, s, t[s]->records[i], *t[s])) {
        any_work = true;
        break;
      }
  if (!any_work) {
    done += cand[0].size() + cand[1].size();
    return;
  }
  bool keyed = p.match == "email" || p.match == "domain" || p.match == "fields";
  // indexes: match key over the candidates of each side; the external id and, for
  // a create whose response was lost, the match key over every unlinked record
  // (our own create is ours whatever the scope says of it)
  std::unordered_map<std::string, std::vector<size_t>> by_key[2], by_ext[2], by_key_all[2];
  std::unordered_set<std::string> ext_linked[2];  // external ids on linked records: never upserted into
  for (int s = 0; s < 2; ++s) {
    for (size_t i : cand[s]) {
      const Record& r = t[s]->records[i];
      if (keyed) {
        std::string k = MatchKey(p, s, r);
        if (!k.empty()) by_key[s][k].push_back(i);
      }
    }
    for (size_t i = 0; i < t[s]->records.size(); ++i) {
      const Record& r = t[s]->records[i];
      if (r.deleted) continue;
      if (linked_ids[s].count(r.id) || TakenBy(s, obj[s]->name, r.id)) {
        if (p.extid_slot[s] >= 0 && !IsBlank(r.values[p.extid_slot[s]]))
          ext_linked[s].insert(*r.values[p.extid_slot[s]]);
        continue;
      }
      if (p.extid_slot[s] >= 0 && !IsBlank(r.values[p.extid_slot[s]]))
        by_ext[s][*r.values[p.extid_slot[s]]].push_back(i);
      if (keyed && !intents[p.name].empty()) {
        std::string k = MatchKey(p, s, r);
        if (!k.empty()) by_key_all[s][k].push_back(i);
      }
    }
  }
  // keys already used by a linked record: in a sibling sync (the Contact wins over the
  // Lead) or in this one (a second Salesforce record with a linked person's email)
  std::unordered_map<std::string, std::string> sibling_key[2];
  if (keyed) {
    for (int s = 0; s < 2; ++s)
      for (const Record& r : t[s]->records) {
        const std::string* by = TakenBy(s, obj[s]->name, r.id);
        if (!by || r.deleted) continue;
        std::string k = MatchKey(p, s, r);
        if (!k.empty()) sibling_key[s].emplace(k, (*by == p.name ? "this sync" : *by) + " (" + r.id + ")");
      }
  }
  // keys of live records whose link ended (merged into a linked record in the other system,
  // waiting for the same merge here): a new record with such a key on the same side is that
  // person again, and its twin was merged away on the other side
  std::unordered_map<std::string, std::string> ended_key[2];
  if (keyed)
    for (const store::Link& l : links[p.name]) {
      if (l.state != store::LinkState::kDeleted) continue;
      for (int s = 0; s < 2; ++s) {
        const Record* r = t[s]->Find(s == 0 ? l.salesforce_id : l.hubspot_id);
        if (!r || r->deleted) continue;
        std::string k = MatchKey(p, s, *r);
        if (!k.empty()) ended_key[s].emplace(k, r->id);
      }
    }
  std::unordered_set<size_t> used[2];
  auto link_pair = [&](size_t si, size_t hi, const char* how) {
    Record* rec[2] = {&t[0]->records[si], &t[1]->records[hi]};
    SetStamp(rec[0], rec[1]);
    used[0].insert(si);
    used[1].insert(hi);
    store::Link l{p.name, rec[0]->id, rec[1]->id, store::LinkState::kActive};
    if (!opts->dry_run) Check(store.PutLink(l));
    LinkErrors(p, l.salesforce_id, l.hubspot_id);
    links[p.name].push_back(l);
    Take(0, obj[0]->name, rec[0]->id, p.name);
    Take(1, obj[1]->name, rec[1]->id, p.name);
    ++report->per_sync[p.name].linked;
    Event e;
    e.kind = Event::Kind::kLink;
    e.sync = p.name;
    e.salesforce_id = rec[0]->id;
    e.hubspot_id = rec[1]->id;
    e.message = how;
    // a record an earlier create made (its response was lost, or the process died):
    // the pair starts from what that create wrote, so that our own create is not
    // taken for an edit in the other system
    ShadowMap sm;
    for (int target : {1, 0}) {
      const std::string& source = rec[1 - target]->id;
      if (const nlohmann::json* in = IntentOf(p, target, source)) {
        sm = IntentShadows(*in);
        DropIntent(p, target, source);
        e.message += "; the record an earlier create made (its acknowledgement was lost)";
      }
    }
    Emit(e);
    // the shadows are new to the store (even those an intent gave): stored whatever this reconcile writes
    Reconcile(p, rec[0]->id, rec[1]->id, rec, sm, false, w);
    Associations(p, rec[0]->id, rec[1]->id, rec, w);
  };
  for (int s = 0; s < 2 && report->ok; ++s) {
    int o = 1 - s;
    for (size_t i : cand[s]) {
      ++done;
      if (used[s].count(i)) continue;
      Record& r = t[s]->records[i];
      if (Stale(p, s, r, *t[s])) continue;
      std::string sf_id = s == 0 ? r.id : "", hs_id = s == 1 ? r.id : "";
      Record* recp[2] = {s == 0 ? &r : nullptr, s == 1 ? &r : nullptr};
      SetStamp(recp[0], recp[1]);
      // a quarantine's cause is often another record (deleted, merged, its key changed):
      // it is decided again every pass, and cleared below once nothing logs it again
      const store::SyncError* prior = nullptr;
      if (auto it = s == 0 ? errors_sf.find({p.name, r.id}) : errors_hs.find({p.name, r.id});
          it != (s == 0 ? errors_sf.end() : errors_hs.end()))
        prior = &it->second;
      if (prior && prior->category == CategoryName(Category::kDuplicates))
        requarantine.push_back({sf_id, hs_id});
      else if (Waiting(p, sf_id, hs_id, recp))
        continue;
      // 1. the external id a rule wrote on the other side (our own earlier create)
      if (p.extid_slot[o] >= 0) {
        auto it = by_ext[o].find(r.id);
        if (it != by_ext[o].end()) {
          std::vector<size_t> free;
          for (size_t j : it->second)
            if (!used[o].count(j)) free.push_back(j);
          if (free.size() == 1) {
            if (s == 0)
              link_pair(i, free[0], "linked by the external id a previous pass wrote");
            else
              link_pair(free[0], i, "linked by the external id a previous pass wrote");
            continue;
          }
          if (free.size() > 1) {
            // our create was applied more than once (a transport re-sent it): never a further copy
            std::string ids = IdList(*t[o], free);
            Error(p.name, Category::kDuplicates, "", sf_id, hs_id,
                  std::to_string(free.size()) + " " + std::string(o == 0 ? "Salesforce " : "HubSpot ") + obj[o]->name +
                      " records carry this record's id in " + obj[o]->fields[p.extid_slot[o]].name + " (" + ids +
                      "): an earlier create was applied more than once. Merge or delete the extra ones, then "
                      "`accord retry`; quarantined, nothing is linked or created",
                  true, o == 0 ? System::kSalesforce : System::kHubSpot, obj[o]->name);
            continue;
          }
        }
      }
      // `create in X only`: X receives new records and never sends any
      bool may_create = p.create[o].declared && !(p.create[s].declared && p.create[s].only);
      // 2. the match key
      if (keyed) {
        std::string k = MatchKey(p, s, r);
        if (k.empty()) {
          if (may_create && WouldCreate(p, s, r))
            Error(p.name, Category::kDuplicates, "", sf_id, hs_id,
                  "blank " + p.match + " match key: cannot tell whether this record already exists in " +
                      std::string(o == 0 ? "Salesforce" : "HubSpot") + "; quarantined, not created",
                  true, o == 0 ? System::kSalesforce : System::kHubSpot, obj[o]->name);
          continue;
        }
        std::vector<size_t> mine = by_key[s][k], theirs;
        for (size_t j : by_key[o][k])
          if (!used[o].count(j)) theirs.push_back(j);
        if (theirs.size() == 1 && mine.size() == 1) {
          if (s == 0)
            link_pair(i, theirs[0], ("matched by " + p.match).c_str());
          else
            link_pair(theirs[0], i, ("matched by " + p.match).c_str());
          continue;
        }
        if (theirs.size() > 1 || (mine.size() > 1 && (theirs.size() == 1 || may_create))) {
          std::string ids = IdList(*t[theirs.size() > 1 ? o : s], theirs.size() > 1 ? theirs : mine);
          Error(p.name, Category::kDuplicates, "", sf_id, hs_id,
                p.match + " " + k +
                    " is ambiguous: " + std::to_string(theirs.size() > 1 ? theirs.size() : mine.size()) + " " +
                    std::string(theirs.size() > 1 ? (o == 0 ? "Salesforce" : "HubSpot")
                                                  : (s == 0 ? "Salesforce" : "HubSpot")) +
                    " records have it (" + ids + "); quarantined, not linked or created",
                true, o == 0 ? System::kSalesforce : System::kHubSpot, obj[o]->name);
          continue;
        }
        if (auto end = ended_key[s].find(k); end != ended_key[s].end() && end->second != r.id) {
          if (may_create && WouldCreate(p, s, r))
            Error(p.name, Category::kDuplicates, "", sf_id, hs_id,
                  p.match + " " + k + " is also " + std::string(s == 0 ? "Salesforce " : "HubSpot ") + obj[s]->name +
                      " " + end->second + ", whose twin was merged into a record linked to another one (see its " +
                      "entry); not created, so that the merged-away record does not come back",
                  true, o == 0 ? System::kSalesforce : System::kHubSpot, obj[o]->name);
          continue;
        }
        if (auto sib = sibling_key[o].find(k); sib != sibling_key[o].end()) {
          if (may_create && WouldCreate(p, s, r))
            Error(p.name, Category::kDuplicates, "", sf_id, hs_id,
                  p.match + " " + k + " already belongs to a record synced by " + sib->second +
                      "; not created a second time",
                  true, o == 0 ? System::kSalesforce : System::kHubSpot, obj[o]->name);
          continue;
        }
      }
      if (!may_create || !WouldCreate(p, s, r)) continue;
      // unknown is not absent: a record of the target that could not be read may be this one
      if (auto u = unreadable[o].find(obj[o]->name); u != unreadable[o].end() && u->second > 0) {
        Error(p.name, Category::kDuplicates, "", sf_id, hs_id,
              "not created: " + std::to_string(u->second) + " " + std::string(o == 0 ? "Salesforce " : "HubSpot ") +
                  obj[o]->name +
                  " record(s) could not be read in this pass (see the Transport errors) and one of "
                  "them may be this record; retried when they read again",
              false, o == 0 ? System::kSalesforce : System::kHubSpot, obj[o]->name);
        continue;
      }
      // an earlier create of this record has no acknowledgement: find what it made first
      if (IntentOf(p, o, r.id)) {
        const nlohmann::json& sent = (*IntentOf(p, o, r.id))["fields"];
        // the key finds the record only if the create wrote the target's key field
        // (`Website -> domain` creates a Salesforce Account without one)
        std::string k = keyed ? MatchKey(p, s, r) : "";
        if (!k.empty() && !IntentWrote(sent, obj[o]->fields, p.match_slot[o])) k.clear();
        std::vector<size_t> found;
        const char* how = "";
        if (!k.empty()) {
          for (size_t j : by_key_all[o][k])
            if (!used[o].count(j)) found.push_back(j);
          how = " (outside the scope)";
        } else {
          // no key: an unlinked record that holds every value the create sent is what it made
          found = SentBy(sent, *obj[o], *t[o], linked_ids[o], taken[o], used[o]);
          how = " (the values an earlier create sent)";
        }
        if (found.size() == 1) {
          std::string by = (k.empty() ? std::string("found by") : "matched by " + p.match) + how;
          if (s == 0)
            link_pair(i, found[0], by.c_str());
          else
            link_pair(found[0], i, by.c_str());
          continue;
        }
        bool findable = p.extid_slot[o] >= 0 || !k.empty();
        auto err = s == 0 ? errors_sf.find({p.name, r.id}) : errors_hs.find({p.name, r.id});
        bool released = err != (s == 0 ? errors_sf.end() : errors_hs.end()) && err->second.retry_at == 0 && !full_pass;
        if (found.size() > 1 || (!findable && !released)) {
          Error(p.name, Category::kDuplicates, "", sf_id, hs_id,
                found.size() > 1
                    ? std::to_string(found.size()) + " records have " + p.match + " " + k +
                          " after a create of this record got no response; quarantined, not created again"
                    : "a create of this record was sent to " + std::string(o == 0 ? "Salesforce" : "HubSpot") +
                          " in an earlier pass and got no response (it may have been made); this sync has no "
                          "external id or match key to find it by, so it is not created again. Check " +
                          std::string(o == 0 ? "Salesforce" : "HubSpot") + ", then `accord retry` creates it",
                true, o == 0 ? System::kSalesforce : System::kHubSpot, obj[o]->name);
          continue;
        }
        // found by neither its external id nor its key: the create did not land; it is sent again
      }
      size_t queued = w.writes[o].size();
      Create(p, s, r, w);
      // a record linked to another one that carries this id (edited by hand) would be
      // overwritten by an upsert: a plain create, which the unique field refuses
      if (w.writes[o].size() > queued && (ext_linked[o].count(r.id) || by_ext[o].count(r.id)))
        w.writes[o].back().op.upsert_field.clear();
      if (w.writes[0].size() + w.writes[1].size() >= opts->chunk) {
        Flush(p, w);
        w = Work();
        if (opts->progress) opts->progress(p.name, done, 0);
      }
    }
  }
}

// Unchanged since the last pass, no error waiting and no create of it unaccounted for:
// it was matched or created then, or could not be.
bool Engine::Impl::Stale(const SyncPlan& p, int s, const Record& r, const Table& t) {
  if (t.targeted) return !t.Named(r.id);  // push: only the records named
  return !Fresh(t, r) && (errors_sf.empty() || !errors_sf.count({p.name, s == 0 ? r.id : ""})) &&
         (errors_hs.empty() || !errors_hs.count({p.name, s == 1 ? r.id : ""})) && !IntentOf(p, 1 - s, r.id);
}

bool Engine::Impl::WouldCreate(const SyncPlan& p, int from, const Record& r) {
  int to = 1 - from;
  if (!p.create[to].declared || p.handle_map[to] < 0) return false;
  if (p.handle_when[to] < 0) return true;
  const Record* sf = from == 0 ? &r : nullptr;
  const Record* hs = from == 1 ? &r : nullptr;
  rt::Value v = Run(p.handle_when[to], p, sf, hs, 0);
  if (v.is_error()) {
    Error(p.name, CategoryOfValue(v), ErrorRule(v, ""), from == 0 ? r.id : "", from == 1 ? r.id : "",
          "create condition: " + v.error_message(), true, to == 0 ? System::kSalesforce : System::kHubSpot,
          to == 0 ? p.cs->salesforce->name : p.cs->hubspot->name);
    return false;
  }
  return v.is(rt::Kind::kBool) && v.bool_value();
}

void Engine::Impl::Create(const SyncPlan& p, int from, const Record& r, Work& w) {
  int to = 1 - from;
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  const Record* sf = from == 0 ? &r : nullptr;
  const Record* hs = from == 1 ? &r : nullptr;
  std::string sf_id = from == 0 ? r.id : "", hs_id = from == 1 ? r.id : "";
  Mapped m = Map(p, to, sf, hs);
  if (m.result.is_error()) {
    Error(p.name, CategoryOfValue(m.result), ErrorRule(m.result, ""), sf_id, hs_id, m.result.error_message(), true,
          to == 0 ? System::kSalesforce : System::kHubSpot, obj[to]->name);
    return;
  }
  PendingWrite pw;
  pw.op.kind = WriteOp::Kind::kCreate;
  pw.source = from == 0 ? Side::kSalesforce : Side::kHubSpot;
  pw.sf_id = sf_id;
  pw.hs_id = hs_id;
  std::set<size_t> bad;  // target slots whose value could not be made: created without them
  std::map<size_t, Text> fields;
  std::map<size_t, std::pair<std::string, std::string>> decided_by;  // slot -> the rule and its policy
  // logged once the record is known to be created (its errors name the record it creates)
  struct FieldError {
    rt::Value error;
    std::string rule, message;
  };
  std::vector<FieldError> field_errors;
  const ir::Mapping* mp = p.mapping[to];
  for (size_t k = 0; k < mp->outs.size(); ++k) {
    const rt::Value& v = m.out[k];
    if (ir::IsSkip(v)) continue;
    const ir::OutField& of = mp->outs[k];
    base::Result<Text> text = v.is_error() ? base::Result<Text>(Text())
                                           : ValueText(to == 0 ? System::kSalesforce : System::kHubSpot, *of.field, v);
    if (v.is_error() || !text) {
      rt::Value ev = v.is_error() ? v : rt::Value::Error(rt::ErrorCode::kConversion, text.status().message);
      // a dont_sync field is never written once both records exist: nothing waits on it
      bool dont_sync = std::any_of(p.pairs.begin(), p.pairs.end(), [&](const RulePair& rp) {
        return rp.out[to] == static_cast<int>(k) && rp.out[from] >= 0 && rp.policy.kind == ir::ConflictKind::kDontSync;
      });
      field_errors.push_back(
          {ev, of.rule,
           of.field->name + ": " + ev.error_message() + " (the record is created without " + of.field->name +
               (dont_sync ? "; the rule is dont_sync, so no later pass writes it: set it by hand; this entry "
                            "leaves the log at the next pass)"
                          : ", which waits until the value or the rules change)")});
      bad.insert(of.target_slot);
      continue;
    }
    if (!IsBlank(*text)) fields[of.target_slot] = *text, decided_by[of.target_slot] = {of.rule, "create"};
  }
  // `on create` defaults fill what the mapping left blank
  if (p.handle_create[to] >= 0) {
    const ir::Mapping* oc = p.on_create[to];
    rt::Value res = Run(p.handle_create[to], p, sf, hs, oc->outs.size());
    for (size_t k = 0; k < oc->outs.size() && !res.is_error(); ++k) {
      const rt::Value& v = outs[k];
      const ir::OutField& of = oc->outs[k];
      if (fields.count(of.target_slot)) continue;
      base::Result<Text> text = v.is_error()
                                    ? base::Result<Text>(Text())
                                    : ValueText(to == 0 ? System::kSalesforce : System::kHubSpot, *of.field, v);
      if (v.is_error() || !text) {
        rt::Value ev = v.is_error() ? v : rt::Value::Error(rt::ErrorCode::kConversion, text.status().message);
        field_errors.push_back(
            {ev, of.rule,
             of.field->name + ": " + ev.error_message() + " (the record is created without " + of.field->name + ")"});
        bad.insert(of.target_slot);
        continue;
      }
      if (!IsBlank(*text)) fields[of.target_slot] = *text, decided_by[of.target_slot] = {of.rule, "on create default"};
    }
  }
  // a record the target side's scope excludes is not created: the sync would never sync it
  // (`scope salesforce: Title != "Excluded"` and a HubSpot contact titled Excluded)
  Record created;
  created.values.assign(obj[to]->fields.size(), std::nullopt);
  for (auto& [slot, text] : fields) created.values.set(slot, text);
  const Record* pair[2] = {from == 0 ? &r : &created, from == 1 ? &r : &created};
  rt::Value scope_error;
  if (!InScope(p, to == 0 ? Side::kSalesforce : Side::kHubSpot, pair[0], pair[1], &scope_error) &&
      !scope_error.is_error()) {
    ++report->per_sync[p.name].skipped;
    Event e;
    e.kind = Event::Kind::kSkip;
    e.sync = p.name;
    e.salesforce_id = sf_id;
    e.hubspot_id = hs_id;
    e.message = std::string("not created in ") + SystemName(to) + ": the new record would be outside the sync's " +
                SystemName(to) + " scope";
    Emit(e);
    return;
  }
  for (const FieldError& fe : field_errors)
    Error(p.name, CategoryOfValue(fe.error), ErrorRule(fe.error, fe.rule), sf_id, hs_id, fe.message, true,
          to == 0 ? System::kSalesforce : System::kHubSpot, obj[to]->name);
  for (auto& [slot, text] : fields) {
    pw.op.fields.push_back({slot, text});
    const auto& [rule, how] = decided_by[slot];
    pw.changes.push_back({obj[to]->fields[slot].name, std::nullopt, text, rule, how + " in " + SystemName(to)});
  }
  // the record's id written into a field the target can upsert by (HubSpot hasUniqueValue,
  // Salesforce External ID / idLookup): the create is an upsert, which a retry cannot duplicate
  if (int x = p.extid_slot[to]; x >= 0) {
    const schema::Field& f = obj[to]->fields[x];
    auto v = fields.find(static_cast<size_t>(x));
    if (v != fields.end() && *v->second == r.id && (to == 1 ? f.unique : f.external_id || f.id_lookup))
      pw.op.upsert_field = f.name;
  }
  // shadows of the new pair: this side as it is, the other as written
  Mapped back = Map(p, from, pair[0], pair[1]);
  Mapped fwd = Map(p, to, pair[0], pair[1]);
  for (const RulePair& rp : p.pairs) {
    const Mapped* toward_hs = from == 0 ? &fwd : &back;
    const Mapped* toward_sf = from == 0 ? &back : &fwd;
    Text a = SideValue(p, rp, 0, pair[0], toward_hs->ran ? toward_hs->out.data() : nullptr);
    Text b = SideValue(p, rp, 1, pair[1], toward_sf->ran ? toward_sf->out.data() : nullptr);
    // a rule computed from the new record toward the source (`coalesce(FirstName, "") + " " +
    // LastName -> full_name` when HubSpot creates the Contact) wrote nothing yet: no base, so the
    // reconcile that follows the create in this pass writes it
    if (rp.slot[to] < 0) continue;
    // a field created without its value has no agreed base: it is carried once it can be
    pw.shadows_on_ack[rp.key] = bad.count(static_cast<size_t>(rp.slot[to])) ? ShadowEntry{} : ShadowEntry{a, b};
  }
  // parents: associate the new HubSpot record when its parent is linked
  if (to == 1 && from == 0) {
    for (const Assoc& a : p.assocs) {
      if (a.sf_slot < 0 || a.dir == ir::Direction::kToSalesforce || IsBlank(r.values[a.sf_slot])) continue;
      std::string parent = ParentHubSpot(a, *r.values[a.sf_slot]);
      if (!parent.empty()) {
        pw.op.add_associations[a.hs_object].push_back(parent);
      } else {
        // the record is created; its association waits for the parent (retried every pass)
        Error(p.name, Category::kAssociations, "", sf_id, hs_id,
              "waiting for " + (a.parent_object.empty() ? "the parent" : a.parent_object) + " " + *r.values[a.sf_slot] +
                  " to sync before associating " + a.hs_object,
              false, System::kHubSpot, obj[1]->name);
      }
    }
  }
  pw.stamp = cur_stamp;
  w.writes[to].push_back(std::move(pw));
}

}  // namespace accord::sync
