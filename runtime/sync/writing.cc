// Writes: write-ahead intents and pending updates, batched writes, the
// refused-field retry, acknowledgements moving links and shadows.

#include <algorithm>

#include "runtime/sync/engine_impl.h"

namespace accord::sync {

void Engine::Impl::Flush(const SyncPlan& p, Work& w) {
  if (!report->ok) return;
  base::ScopedPhase phase(clock, "write");
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  // 1. write-ahead intents for creates (their own committed transaction)
  bool any_create = false;
  for (int to = 0; to < 2; ++to)
    for (const PendingWrite& pw : w.writes[to])
      if (pw.op.kind == WriteOp::Kind::kCreate) {
        any_create = true;
        if (!opts->dry_run)
          Check(store.AddIntent(p.name, SystemName(to), pw.source == Side::kSalesforce ? pw.sf_id : pw.hs_id,
                                IntentJson(*obj[to], pw)));
      }
  // ... and updates: what each writes and the shadows that move with it, so that a
  // write that landed just before a crash is recognized as ours afterwards
  bool any_update = false;
  for (int to = 0; to < 2 && !opts->dry_run; ++to)
    for (const PendingWrite& pw : w.writes[to]) {
      if (pw.op.kind != WriteOp::Kind::kUpdate || pw.shadow_updates.empty()) continue;
      any_update = true;
      nlohmann::json j = {{"fields", nlohmann::json::object()}, {"shadows", nlohmann::json::object()}};
      for (const auto& [slot, text] : pw.op.fields)
        j["fields"][obj[to]->fields[slot].name] = text ? nlohmann::json(*text) : nlohmann::json(nullptr);
      for (const auto& [key, e] : pw.shadow_updates)
        j["shadows"][key] = {e.base_sf ? nlohmann::json(*e.base_sf) : nlohmann::json(nullptr),
                             e.base_hs ? nlohmann::json(*e.base_hs) : nlohmann::json(nullptr)};
      Check(store.PutPending(p.name, pw.sf_id, to == 0 ? "salesforce" : "hubspot", j.dump()));
    }
  if ((any_create || any_update) && !opts->dry_run) {
    Check(store.Commit());
    Check(store.Begin());
  }
  // 2. the writes, one kind after the other so that batches are full
  for (int to = 0; to < 2 && report->ok; ++to) {
    if (w.writes[to].empty()) continue;
    std::stable_sort(w.writes[to].begin(), w.writes[to].end(), [](const PendingWrite& x, const PendingWrite& y) {
      return static_cast<int>(x.op.kind) < static_cast<int>(y.op.kind);
    });
    std::vector<WriteOp> ops;
    ops.reserve(w.writes[to].size());
    for (const PendingWrite& pw : w.writes[to]) ops.push_back(pw.op);
    std::vector<WriteResult> results = conn[to]->Write(*obj[to], ops);
    WithoutRefusedFields(p, to, w.writes[to], results);
    Table* table = &tables[to][obj[to]->name];
    for (size_t i = 0; i < w.writes[to].size(); ++i) {
      PendingWrite& pw = w.writes[to][i];
      WriteResult res =
          i < results.size() ? results[i] : WriteResult{false, pw.op.id, "UNKNOWN", "no result", true, std::nullopt};
      if (pw.op.kind == WriteOp::Kind::kUpdate && !pw.shadow_updates.empty() && !opts->dry_run)
        Check(store.ClearPending(p.name, pw.sf_id, to == 0 ? "salesforce" : "hubspot"));
      if (!res.ok) {
        cur_stamp = pw.stamp;
        // a create refused for sure is no longer in flight; one that may have landed keeps its intent
        if (pw.op.kind == WriteOp::Kind::kCreate) {
          const std::string& source_id = pw.source == Side::kSalesforce ? pw.sf_id : pw.hs_id;
          if (!res.maybe_applied)
            DropIntent(p, to, source_id);
          else
            Claim(p, pw.source, source_id);  // no other sync of this pass makes it
        }
        Category cat = CategoryOfStatus(res.status_code);
        Error(p.name, cat, "", pw.sf_id, pw.hs_id, res.status_code + ": " + res.message, !res.transient,
              to == 0 ? System::kSalesforce : System::kHubSpot, obj[to]->name);
        clean.erase({p.name, pw.sf_id + "|" + pw.hs_id});
        continue;
      }
      Acknowledged(p, to, pw, res, table, w);
    }
  }
  // 3. shadows that needed no write, and clean records' errors
  for (auto& [sf_id, sm] : w.pair_shadows) PutShadowMap(p.name, sf_id, sm);
  for (const auto& [sync, pair] : clean) {
    size_t bar = pair.find('|');
    std::string sf = pair.substr(0, bar), hs = pair.substr(bar + 1);
    bool had = errors_sf.count({sync, sf}) || errors_hs.count({sync, hs});
    if (had && !opts->dry_run) {
      Check(store.ClearErrors(sync, sf, hs));
      Check(store.ClearErrors(sync, sf, ""));
      Check(store.ClearErrors(sync, "", hs));
    }
  }
  for (const auto& [sync, pair] : reconciled) {
    if (clean.count({sync, pair})) continue;
    size_t bar = pair.find('|');
    std::string sf = pair.substr(0, bar), hs = pair.substr(bar + 1);
    if ((errors_sf.count({sync, sf}) || errors_hs.count({sync, hs})) && !opts->dry_run)
      Check(store.ClearErrorsBefore(sync, sf, hs, pass_started_ms));
  }
  reconciled.clear();
  clean.clear();
  if (!opts->dry_run) {
    Check(store.Commit());
    Check(store.Begin());
  }
  if (!w.created_pairs.empty() && report->ok) {
    Work follow;
    Table* t[2] = {&tables[0][obj[0]->name], &tables[1][obj[1]->name]};
    for (size_t i = 0; i < w.created_pairs.size(); ++i) {
      Record* rec[2] = {t[0]->Find(w.created_pairs[i].first), t[1]->Find(w.created_pairs[i].second)};
      if (!rec[0] || !rec[1]) continue;
      SetStamp(rec[0], rec[1]);
      Reconcile(p, rec[0]->id, rec[1]->id, rec, w.created_shadows[i], true, follow);
    }
    Flush(p, follow);
  }
}

// A record the system refused for one field it named is sent once more without
// that field: the other fields land, the refused one waits with its error (its
// shadow does not move, so it is carried once the value or the rules change).
void Engine::Impl::WithoutRefusedFields(const SyncPlan& p, int to, std::vector<PendingWrite>& writes,
                                        std::vector<WriteResult>& results) {
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  std::vector<size_t> again;
  std::vector<WriteOp> ops;
  bool creates = false;
  for (size_t i = 0; i < writes.size() && i < results.size(); ++i) {
    const WriteResult& res = results[i];
    PendingWrite& pw = writes[i];
    if (res.ok || res.transient || res.maybe_applied || res.field.empty() || pw.op.kind == WriteOp::Kind::kDelete)
      continue;
    const schema::Field* f = obj[to]->FindField(res.field);
    if (!f) continue;
    size_t slot = static_cast<size_t>(f - obj[to]->fields.data());
    auto& fl = pw.op.fields;
    auto it = std::find_if(fl.begin(), fl.end(), [&](const auto& x) { return x.first == slot; });
    if (it == fl.end() || (fl.size() == 1 && pw.op.add_associations.empty())) continue;
    fl.erase(it);
    pw.changes.erase(std::remove_if(pw.changes.begin(), pw.changes.end(),
                                    [&](const FieldChange& c) { return c.field == res.field; }),
                     pw.changes.end());
    for (const RulePair& rp : p.pairs) {
      if (rp.slot[to] != static_cast<int>(slot)) continue;
      pw.shadow_updates.erase(std::remove_if(pw.shadow_updates.begin(), pw.shadow_updates.end(),
                                             [&](const auto& u) { return u.first == rp.key; }),
                              pw.shadow_updates.end());
      if (pw.shadows_on_ack.count(rp.key)) pw.shadows_on_ack[rp.key] = ShadowEntry{};
    }
    cur_stamp = pw.stamp;
    Error(p.name, CategoryOfStatus(res.status_code), "", pw.sf_id, pw.hs_id,
          res.status_code + ": " + res.message + " (the record was sent again without " + res.field +
              ", which waits until the value or the rules change)",
          true, to == 0 ? System::kSalesforce : System::kHubSpot, obj[to]->name);
    clean.erase({p.name, pw.sf_id + "|" + pw.hs_id});
    if (pw.op.kind == WriteOp::Kind::kCreate) {
      creates = true;
      if (!opts->dry_run)
        Check(store.AddIntent(p.name, SystemName(to), pw.source == Side::kSalesforce ? pw.sf_id : pw.hs_id,
                              IntentJson(*obj[to], pw)));
    }
    again.push_back(i);
    ops.push_back(pw.op);
  }
  if (again.empty()) return;
  if (creates && !opts->dry_run) {
    Check(store.Commit());
    Check(store.Begin());
  }
  std::vector<WriteResult> second = conn[to]->Write(*obj[to], ops);
  for (size_t k = 0; k < again.size(); ++k)
    results[again[k]] =
        k < second.size() ? second[k] : WriteResult{false, ops[k].id, "UNKNOWN", "no result", true, std::nullopt};
}

void Engine::Impl::PutShadowMap(const std::string& sync, const std::string& sf_id, const ShadowMap& sm) {
  if (opts->dry_run) return;
  std::vector<store::Shadow> v;
  v.reserve(sm.size());
  for (const auto& [k, e] : sm) v.push_back(store::Shadow{k, e.base_sf, e.base_hs});
  Check(store.PutShadows(sync, sf_id, v));
}

void Engine::Impl::Acknowledged(const SyncPlan& p, int to, PendingWrite& pw, const WriteResult& res, Table* table,
                                Work& w) {
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  SyncStats& stats = report->per_sync[p.name];
  Event e;
  e.sync = p.name;
  e.target = to == 0 ? System::kSalesforce : System::kHubSpot;
  e.object = obj[to]->name;
  e.changes = pw.changes;
  if (pw.op.kind == WriteOp::Kind::kCreate) {
    std::string sf_id = to == 0 ? res.id : pw.sf_id, hs_id = to == 1 ? res.id : pw.hs_id;
    if (res.id.empty() || TakenBy(to, obj[to]->name, res.id)) {
      // a wrong answer: the new record's id is missing or already linked to another record
      cur_stamp = pw.stamp;
      Error(
          p.name, Category::kTransport, "", pw.sf_id, pw.hs_id,
          "the create was answered with " +
              (res.id.empty() ? std::string("no id") : "id " + res.id + ", which is already linked to another record") +
              "; not linked (the create's intent is kept, so it is not created again blindly)",
          true, e.target, obj[to]->name);
      return;
    }
    store::Link l{p.name, sf_id, hs_id, store::LinkState::kActive};
    if (!opts->dry_run) {
      Check(store.PutLink(l));
      Check(store.RemoveIntent(p.name, to == 0 ? "salesforce" : "hubspot",
                               pw.source == Side::kSalesforce ? pw.sf_id : pw.hs_id));
    }
    PutShadowMap(p.name, sf_id, pw.shadows_on_ack);
    LinkErrors(p, sf_id, hs_id);
    w.created_pairs.push_back({sf_id, hs_id});
    w.created_shadows.push_back(pw.shadows_on_ack);
    links[p.name].push_back(l);
    Take(to, obj[to]->name, res.id, p.name);
    Take(1 - to, obj[1 - to]->name, to == 0 ? pw.hs_id : pw.sf_id, p.name);
    ++stats.created;
    RecordHistory(p.name, to, obj[to]->name, pw, "create", sf_id, hs_id);
    e.kind = Event::Kind::kCreate;
    e.salesforce_id = sf_id;
    e.hubspot_id = hs_id;
    // the new record joins this pass's view
    Record nr;
    if (res.stored) {
      nr = *res.stored;
      for (auto& [f, text] : nr.values.items())
        if (f < obj[to]->fields.size()) text = Canon(table->system, obj[to]->fields[f], text);
    } else {
      nr.values.assign(obj[to]->fields.size(), std::nullopt);
      for (auto& [slot, text] : pw.op.fields) nr.values.set(slot, text);
      nr.associations = pw.op.add_associations;
      // the new id is a field too (Id, hs_object_id): rules that read it write it in this pass
      if (const schema::Field* f = obj[to]->FindField(to == 0 ? "Id" : "hs_object_id"))
        nr.values.set(static_cast<size_t>(f - obj[to]->fields.data()), res.id);
      // and the system filled its defaults (Lead.IsConverted = false, ...) where the create named no value
      for (size_t slot = 0; slot < obj[to]->fields.size(); ++slot)
        if (!obj[to]->fields[slot].default_value.empty() && !nr.values[slot])
          nr.values.set(slot, Canon(table->system, obj[to]->fields[slot], obj[to]->fields[slot].default_value));
    }
    nr.id = res.id;
    IndexRecord(*table, nr);  // (its key as written: the index knows it before the record comes back)
    table->absent.erase(nr.id);
    table->by_id[nr.id] = table->records.size();
    table->records.push_back(std::move(nr));
  } else if (pw.op.kind == WriteOp::Kind::kDelete) {
    ++stats.deleted;
    RecordHistory(p.name, to, obj[to]->name, pw, "delete", pw.sf_id, pw.hs_id);
    AddTombstone(to, pw.op.id);
    Check(store.SetLinkState(p.name, pw.sf_id, store::LinkState::kDeleted));
    e.kind = Event::Kind::kDelete;
    e.salesforce_id = pw.sf_id;
    e.hubspot_id = pw.hs_id;
    e.message = "deleted to follow the other side (delete propagate)";
    if (Record* r = table->Loaded(pw.op.id)) r->deleted = true;
  } else {
    ++stats.updated;
    RecordHistory(p.name, to, obj[to]->name, pw, pw.lifecycle_field.empty() ? "update" : "lifecycle", pw.sf_id,
                  pw.hs_id);
    e.kind = Event::Kind::kUpdate;
    e.salesforce_id = pw.sf_id;
    e.hubspot_id = pw.hs_id;
    if (!pw.lifecycle_field.empty()) {
      e.kind = Event::Kind::kLifecycle;
      if (!opts->dry_run)
        Check(store.PutShadow("~lifecycle", pw.lifecycle_record,
                              store::Shadow{pw.lifecycle_field, pw.lifecycle_value, std::nullopt}));
    }
    // the shadows of the fields this write carried move now that it is acknowledged
    if (auto it = w.pair_shadows.find(pw.sf_id); it != w.pair_shadows.end())
      for (auto& [k, v] : pw.shadow_updates) it->second[k] = v;
    if (Record* r = table->Loaded(pw.op.id)) {  // (a targeted pass may have forgotten it: it reads it anew)
      if (res.stored) r->modstamp = res.stored->modstamp;
      for (auto& [slot, text] : pw.op.fields) r->values.set(slot, text);
      for (auto& [k, ids] : pw.op.add_associations)
        for (auto& id : ids) r->associations[k].push_back(id);
      IndexRecord(*table, *r);
    }
  }
  Emit(e);
}

}  // namespace accord::sync
