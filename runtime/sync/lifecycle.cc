// Lifecycle triggers: `when salesforce.X.F becomes V then stage`.

#include <algorithm>

#include "runtime/sync/engine_impl.h"

namespace accord::sync {

void Engine::Impl::Triggers() {
  for (const Lifecycle& lc : lifecycles) {
    if (lc.object->system != System::kHubSpot) continue;
    // the triggers of each Salesforce field, in declaration order: a change of the field
    // is seen once and every trigger on it is asked (several may watch one field)
    std::vector<std::pair<std::string, std::vector<const ir::TriggerPlan*>>> fields;
    for (const ir::TriggerPlan& t : lc.plan->triggers) {
      const ir::TriggerPlan* tr = &t;
      if (tr->side != Side::kSalesforce) continue;
      std::string key = tr->object + "." + tr->field;
      auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
      if (it == fields.end())
        fields.push_back({key, {tr}});
      else
        it->second.push_back(tr);
    }
    for (const auto& [key, triggers] : fields) {
      const ir::TriggerPlan& first = *triggers.front();
      const schema::Object* src = rs.schemas->Find(System::kSalesforce, first.object);
      if (!src) continue;
      const schema::Field* f = src->FindField(first.field);
      if (!f) continue;
      size_t slot = static_cast<size_t>(f - src->fields.data());
      Table* t = Load(Side::kSalesforce, src);
      if (!report->ok) return;
      std::vector<PendingWrite> writes;
      for (const Record& r : t->records) {
        if (r.deleted) continue;
        Text now = r.values[slot];
        bool pending = false;  // a target is still to come: the change is not seen yet
        auto old_sh = store.Shadows("~lifecycle", r.id);
        Text old;
        bool seen = false;
        for (const auto& sh : old_sh)
          if (sh.field == key) old = sh.base_sf, seen = true;
        if (Same(now, old) && seen) continue;
        // the stage each target moves to: the furthest of the triggers that fire on the new value
        std::map<std::string, PendingWrite> by_target;
        for (const ir::TriggerPlan* tr : triggers) {
          if (IsBlank(now) || *now != tr->value) continue;
          Table* hs = Load(Side::kHubSpot, lc.object);
          for (const std::string& hid : TriggerTargets(lc, *tr, src, r, &pending)) {
            Record* h = hs->Find(hid);
            if (!h || h->deleted) continue;
            Text cur = h->values[lc.slot];
            if (Same(cur, tr->stage)) continue;
            if (lc.forward_only && lc.Rank(tr->stage) <= lc.Rank(cur)) continue;
            auto prev = by_target.find(hid);
            if (prev != by_target.end() && lc.Rank(tr->stage) <= lc.Rank(prev->second.op.fields[0].second)) continue;
            PendingWrite pw;
            pw.op.kind = WriteOp::Kind::kUpdate;
            pw.op.id = hid;
            pw.op.fields.push_back({static_cast<size_t>(lc.slot), tr->stage});
            pw.hs_id = hid;
            pw.sf_id = r.id;
            pw.changes.push_back(
                {lc.object->fields[lc.slot].name, cur, tr->stage, "when " + key + " becomes " + tr->value_text,
                 lc.forward_only ? "lifecycle trigger, forward only (never regresses)" : "lifecycle trigger"});
            pw.lifecycle_field = key;
            pw.lifecycle_record = r.id;
            pw.lifecycle_value = now;
            by_target[hid] = std::move(pw);
          }
        }
        for (auto& [hid, pw] : by_target) writes.push_back(std::move(pw));
        // A target still to come (its create failed this pass): under `forward only` the change
        // is not marked seen, so the trigger fires again once the target exists; firing again
        // never lowers a stage. Without it a second firing could undo a user's change of a
        // target already set, so the change is seen now, as before.
        if (!lc.forward_only) pending = false;
        if (pending)
          for (auto& [hid, pw] : by_target) pw.lifecycle_field.clear();
        if (by_target.empty() && !pending && !opts->dry_run)
          Check(store.PutShadow("~lifecycle", r.id, store::Shadow{key, now, std::nullopt}));
      }
      if (writes.empty()) continue;
      std::vector<WriteOp> ops;
      for (const auto& pw : writes) ops.push_back(pw.op);
      std::vector<WriteResult> results = conn[1]->Write(*lc.object, ops);
      Table* hs = Load(Side::kHubSpot, lc.object);
      for (size_t i = 0; i < writes.size(); ++i) {
        PendingWrite& pw = writes[i];
        if (i >= results.size() || !results[i].ok) {
          Error("lifecycle", CategoryOfStatus(i < results.size() ? results[i].status_code : ""), "", pw.sf_id, pw.hs_id,
                i < results.size() ? results[i].status_code + ": " + results[i].message : "no result", true,
                System::kHubSpot, lc.object->name);
          continue;
        }
        ++report->per_sync["lifecycle"].updated;
        if (!opts->dry_run && !pw.lifecycle_field.empty())
          Check(store.PutShadow("~lifecycle", pw.lifecycle_record,
                                store::Shadow{pw.lifecycle_field, pw.lifecycle_value, std::nullopt}));
        if (Record* h = hs->Find(pw.op.id)) h->values.set(static_cast<size_t>(lc.slot), pw.op.fields[0].second);
        RecordHistory("lifecycle", 1, lc.object->name, pw, "lifecycle", pw.sf_id, pw.hs_id);
        Event e;
        e.kind = Event::Kind::kLifecycle;
        e.sync = "lifecycle";
        e.target = System::kHubSpot;
        e.object = lc.object->name;
        e.salesforce_id = pw.sf_id;
        e.hubspot_id = pw.hs_id;
        e.changes = pw.changes;
        Emit(e);
      }
      if (!opts->dry_run) {
        Check(store.Commit());
        Check(store.Begin());
      }
    }
  }
}

// The HubSpot records a trigger on Salesforce record `r` sets.
std::vector<std::string> Engine::Impl::TriggerTargets(const Lifecycle& lc, const ir::TriggerPlan& tr,
                                                      const schema::Object* src, const Record& r, bool* pending) {
  std::vector<std::string> out;
  auto add = [&](const std::string& id) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  auto linked_hs = [&](const std::string& sf_object, const std::string& sf_id) {
    for (const SyncPlan& p : plans) {
      if (p.cs->salesforce->name != sf_object || p.cs->hubspot != lc.object) continue;
      bool linked = false;
      for (const store::Link& l : links[p.name])
        if (l.salesforce_id == sf_id && l.state == store::LinkState::kActive) add(l.hubspot_id), linked = true;
      if (!linked && (logged_now.count({p.name, sf_id + "|"}) || IntentOf(p, 1, sf_id))) *pending = true;
    }
  };
  if (!tr.for_object) {
    linked_hs(src->name, r.id);
    // a converted lead's trigger reaches the contact it became
    if (const schema::Field* c = src->FindField("ConvertedContactId")) {
      const Text& cid = r.values[static_cast<size_t>(c - src->fields.data())];
      if (!IsBlank(cid)) linked_hs("Contact", *cid);
    }
    return out;
  }
  // `for contacts of AccountId`: the HubSpot contacts of the referenced account
  const schema::Field* ref = tr.of_field ? src->FindField(*tr.of_field) : nullptr;
  if (!ref) return out;
  const Text& parent = r.values[static_cast<size_t>(ref - src->fields.data())];
  if (IsBlank(parent)) return out;
  for (const SyncPlan& p : plans) {
    if (p.cs->hubspot != lc.object) continue;
    Table* t = Load(Side::kSalesforce, p.cs->salesforce);
    const schema::Field* back = nullptr;
    for (const auto& f : p.cs->salesforce->fields)
      if (f.name == ref->name || (!f.reference_to.empty() && !ref->reference_to.empty() &&
                                  f.reference_to.front() == ref->reference_to.front() && f.name == "AccountId"))
        back = &f;
    if (!back) continue;
    size_t bslot = static_cast<size_t>(back - p.cs->salesforce->fields.data());
    for (const Record& c : t->records)
      if (!c.deleted && Same(c.values[bslot], parent)) linked_hs(p.cs->salesforce->name, c.id);
  }
  // and HubSpot records associated with the account's HubSpot twin
  for (const SyncPlan& q : plans) {
    if (ref->reference_to.empty() || q.cs->salesforce->name != ref->reference_to.front()) continue;
    for (const store::Link& l : links[q.name]) {
      if (l.salesforce_id != *parent) continue;
      Table* hs = Load(Side::kHubSpot, lc.object);
      for (const Record& h : hs->records) {
        auto it = h.associations.find(q.cs->hubspot->name);
        if (it != h.associations.end() &&
            std::find(it->second.begin(), it->second.end(), l.hubspot_id) != it->second.end())
          add(h.id);
      }
    }
  }
  return out;
}

}  // namespace accord::sync
