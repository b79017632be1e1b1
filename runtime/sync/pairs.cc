// Linked pairs: recovery of updates in flight, waiting errors, the reconcile of
// every field rule (through DecideField), associations, deletes and merges.

#include <algorithm>

#include "runtime/sync/engine_impl.h"

namespace accord::sync {

void Engine::Impl::RunSync(SyncPlan& p) {
  base::ScopedPhase phase(clock, "reconcile");  // linked pairs; reads, matching and writes are their own phases
  SyncStats& stats = report->per_sync[p.name];
  Table* t[2] = {Load(Side::kSalesforce, p.cs->salesforce), Load(Side::kHubSpot, p.cs->hubspot)};
  if (!report->ok) return;
  auto& own = links[p.name];
  std::unordered_set<std::string> linked_ids[2];
  for (const auto& l : own) linked_ids[0].insert(l.salesforce_id), linked_ids[1].insert(l.hubspot_id);
  if (!opts->dry_run) Recover(p, t);
  size_t total = own.size() + t[0]->records.size() + t[1]->records.size();
  size_t done = 0;

  Work w;
  auto flush = [&] {
    Flush(p, w);
    w = Work();
    SaveSeenAndNotes(p, /*done=*/false);  // (the pairs reconciled so far: their writes went out)
    if (opts->progress) opts->progress(p.name, done, total);
  };

  if (!targeted) PrefetchFieldTimes(p, t, own);  // (a targeted pass: per window, below)
  seen.clear();
  for (store::SeenChange& c : store.AllSeen(p.name)) seen[SeenKey(c.salesforce_id, c.field, c.side)] = std::move(c);

  // linked pairs (a targeted pass holds those of the changed and logged records: the others
  // are unchanged, and counted so)
  if (targeted) {
    auto counts = store.LinkCounts(p.name);
    if (!counts) return Fail("state store: " + counts.status().message);
    int64_t live = 0;
    for (const store::Link& l : own) live += l.state != store::LinkState::kDeleted;
    stats.pairs += counts->first - static_cast<int64_t>(own.size());
    stats.unchanged += counts->first - counts->second - live;
  }
  for (size_t li = 0; li < own.size() && report->ok; ++li) {
    if (li % store::StateStore::kKeyBatch == 0 && targeted) {
      // a window of pairs at a time: the last window's writes go out, its records are
      // forgotten, this window's are read in two batched reads (memory follows the window)
      if (li > 0) {
        flush();
        if (!report->ok) return;
        for (Table* x : t) x->Clear();
      }
      std::vector<store::Link> window(
          own.begin() + static_cast<long>(li),
          own.begin() + static_cast<long>(std::min(own.size(), li + store::StateStore::kKeyBatch)));
      std::vector<std::string> want[2];
      for (const store::Link& l : window) want[0].push_back(l.salesforce_id), want[1].push_back(l.hubspot_id);
      for (int s = 0; s < 2; ++s) t[s]->Prefetch(want[s]);
      PrefetchFieldTimes(p, t, window);
      if (!report->ok) return;
    }
    if (li % store::StateStore::kKeyBatch == 0) {
      // the tombstones of the next batch's pairs that are looked at, in one query per side
      std::vector<std::string> ids[2];
      for (size_t k = li; k < std::min(own.size(), li + store::StateStore::kKeyBatch); ++k) {
        Record* r[2] = {t[0]->Find(own[k].salesforce_id), t[1]->Find(own[k].hubspot_id)};
        if (own[k].state == store::LinkState::kDeleted || Unchanged(p, own[k], r, t)) continue;
        ids[0].push_back(own[k].salesforce_id);
        ids[1].push_back(own[k].hubspot_id);
      }
      PrefetchShadows(p, ids[0]);
      for (int s = 0; s < 2; ++s) PrefetchTombstones(s, std::move(ids[s]));
      if (!report->ok) return;
    }
    store::Link& link = own[li];
    ++done;
    ++stats.pairs;
    Record* rec[2] = {t[0]->Find(link.salesforce_id), t[1]->Find(link.hubspot_id)};
    if (link.state == store::LinkState::kDeleted) {
      // an ended link's entry (a merge the other system has not followed) is over once neither record lives
      // (a record this pass did not read is not gone: an incremental read skips the unchanged;
      // a deleted one is read as deleted or has its tombstone)
      bool live = (rec[0] ? !rec[0]->deleted : !store.IsTombstoned("salesforce", link.salesforce_id)) ||
                  (rec[1] ? !rec[1]->deleted : !store.IsTombstoned("hubspot", link.hubspot_id));
      if (!live && HasError(p, link) && !opts->dry_run)
        Check(store.ClearErrors(p.name, link.salesforce_id, link.hubspot_id));
      continue;
    }
    if (Unchanged(p, link, rec, t)) {
      ++stats.unchanged;
      continue;
    }
    // unknown is not absent: a record of the pair this pass could not read (its read error is
    // in the log) may be alive, or the survivor of a merge; nothing is decided for the pair
    // (soak seed 80261274: a merge in HubSpot was taken for a delete while the Contact was
    // unreadable, and the link ended without the merge's entry)
    if ((!rec[0] && unreadable_ids[0].count(link.salesforce_id)) ||
        (!rec[1] && unreadable_ids[1].count(link.hubspot_id)))
      continue;
    // deletes
    if ((rec[0] && rec[0]->deleted) || (rec[1] && rec[1]->deleted) || Tombstoned(0, link.salesforce_id) ||
        Tombstoned(1, link.hubspot_id)) {
      // a merge moved the link: the pair, as it is now, reconciles in this same pass
      if (!HandleDelete(p, link, rec, w)) continue;
      rec[0] = t[0]->Find(link.salesforce_id);
      rec[1] = t[1]->Find(link.hubspot_id);
      if (!rec[0] || !rec[1] || rec[0]->deleted || rec[1]->deleted) continue;
    }
    if (!rec[0] || !rec[1]) {
      Error(p.name, Category::kTransport, "", link.salesforce_id, link.hubspot_id,
            std::string("the linked ") +
                (!rec[0] ? "Salesforce " + p.cs->salesforce->name : "HubSpot " + p.cs->hubspot->name) +
                " record is missing from the data; nothing is written until it is back or reported deleted",
            false, rec[0] ? System::kHubSpot : System::kSalesforce,
            rec[0] ? p.cs->hubspot->name : p.cs->salesforce->name);
      continue;
    }
    SetStamp(rec[0], rec[1]);
    if (Waiting(p, link.salesforce_id, link.hubspot_id, rec)) {
      if (opts->drift) DriftHeld(p, link, rec);
      continue;
    }
    rt::Value serr;
    bool in[2] = {InScope(p, Side::kSalesforce, rec[0], rec[1], &serr), true};
    if (serr.is_error()) {
      Error(p.name, CategoryOfValue(serr), ErrorRule(serr, ""), link.salesforce_id, link.hubspot_id,
            serr.error_message(), true, System::kHubSpot, p.cs->hubspot->name);
      continue;
    }
    in[1] = InScope(p, Side::kHubSpot, rec[0], rec[1], &serr);
    if (serr.is_error()) {
      Error(p.name, CategoryOfValue(serr), ErrorRule(serr, ""), link.salesforce_id, link.hubspot_id,
            serr.error_message(), true, System::kSalesforce, p.cs->salesforce->name);
      continue;
    }
    if (!in[0] || !in[1]) {
      if (opts->drift) DriftOutOfScope(p, link, rec, in);
      // out of scope the pair gets no updates: nothing waits on its entries any more
      if (HasError(p, link) && !opts->dry_run) Check(store.ClearErrors(p.name, link.salesforce_id, link.hubspot_id));
      if (link.state != store::LinkState::kOutOfScope) {
        Check(store.SetLinkState(p.name, link.salesforce_id, store::LinkState::kOutOfScope));
        link.state = store::LinkState::kOutOfScope;
        Event e;
        e.kind = Event::Kind::kSkip;
        e.sync = p.name;
        e.salesforce_id = link.salesforce_id;
        e.hubspot_id = link.hubspot_id;
        e.message = "left the scope: the link is kept, updates stop";
        Emit(e);
      }
      ++stats.skipped;
      continue;
    }
    if (link.state == store::LinkState::kOutOfScope) {
      Check(store.SetLinkState(p.name, link.salesforce_id, store::LinkState::kActive));
      link.state = store::LinkState::kActive;
    }
    // shadows: read with the batch's (PrefetchShadows above)
    ShadowMap sm;
    std::vector<store::Shadow> list = TakeShadows(p, link.salesforce_id);
    bool has_shadows = !list.empty();
    for (const auto& sh : list) sm[sh.field] = ShadowEntry{sh.base_sf, sh.base_hs};
    drift_pair = opts->drift != nullptr;
    Reconcile(p, link.salesforce_id, link.hubspot_id, rec, sm, has_shadows, w);
    drift_pair = false;
    Associations(p, link.salesforce_id, link.hubspot_id, rec, w);
    if (w.writes[0].size() + w.writes[1].size() + w.pair_shadows.size() >= opts->chunk) flush();
  }
  if (!report->ok) return;
  flush();

  // unlinked records: match, then create (a targeted pass reads the changed and logged ones
  // linked nowhere; Unlinked reads what they may match)
  if (targeted) {
    for (int s = 0; s < 2; ++s) {
      t[s]->Clear();
      const std::string& object = t[s]->object->name;
      std::vector<std::string> ids = changed_ids[s][object];
      for (const auto& [key, e] : s == 0 ? errors_sf : errors_hs)
        if (key.first == p.name) ids.push_back(key.second);
      PrefetchTaken(s, object, ids);
      std::vector<std::string> open;
      for (const std::string& id : ids)
        if (!linked_ids[s].count(id) && !TakenBy(s, object, id)) open.push_back(id);
      t[s]->Prefetch(open);
    }
    if (!report->ok) return;
  }
  Unlinked(p, t, linked_ids, w, done);
  if (report->ok) flush();
  SaveSeenAndNotes(p);
  // the next cursors: the newest change read (our own writes come back once as changes and
  // reconcile to nothing), written when the pass ends with every sync run
  if (report->ok)
    for (int s = 0; s < 2; ++s) cursors_due[s][t[s]->object->name] = {t[s]->newest, t[s]->feed};
}

// Updates in flight when a previous pass died: one that landed (the target
// holds exactly what it wrote) was ours, so its shadows move now; one that
// did not is forgotten and the fields reconcile as usual.
void Engine::Impl::Recover(const SyncPlan& p, Table* t[2]) {
  recovered.clear();
  for (const store::PendingUpdate& pu : store.Pending(p.name)) {
    recovered.insert(pu.salesforce_id);
    int to = pu.target_system == "salesforce" ? 0 : 1;
    nlohmann::json j = nlohmann::json::parse(pu.data, nullptr, false);
    Check(store.ClearPending(p.name, pu.salesforce_id, pu.target_system));
    if (!j.is_object() || !j["fields"].is_object() || !j["shadows"].is_object()) continue;
    std::string target_id = pu.salesforce_id;
    if (to == 1) {
      target_id.clear();
      for (const store::Link& l : links[p.name])
        if (l.salesforce_id == pu.salesforce_id) target_id = l.hubspot_id;
    }
    Record* r = t[to]->Find(target_id);
    if (!r) continue;
    bool landed = true;
    for (auto& [name, v] : j["fields"].items()) {
      const schema::Field* f = t[to]->object->FindField(name);
      if (!f) {
        landed = false;
        break;
      }
      Text want = v.is_string() ? Text(v.get<std::string>()) : std::nullopt;
      landed &= Same(r->values[static_cast<size_t>(f - t[to]->object->fields.data())], want);
    }
    if (!landed) continue;
    std::vector<store::Shadow> list = store.Shadows(p.name, pu.salesforce_id);
    for (auto& [key, pair] : j["shadows"].items()) {
      store::Shadow sh{key, pair[0].is_string() ? Text(pair[0].get<std::string>()) : std::nullopt,
                       pair[1].is_string() ? Text(pair[1].get<std::string>()) : std::nullopt};
      bool found = false;
      for (auto& x : list)
        if (x.field == key) x = sh, found = true;
      if (!found) list.push_back(sh);
    }
    Check(store.PutShadows(p.name, pu.salesforce_id, list));
  }
}

bool Engine::Impl::Unchanged(const SyncPlan& p, const store::Link& link, Record* rec[2], Table* t[2]) {
  if (t[0]->targeted)  // push: only the pairs named (waiting errors wait for the next full pass)
    return !t[0]->Named(link.salesforce_id) && !t[1]->Named(link.hubspot_id) && !recovered.count(link.salesforce_id);
  return rec[0] && rec[1] && !Fresh(*t[0], *rec[0]) && !Fresh(*t[1], *rec[1]) && !HasError(p, link) &&
         !recovered.count(link.salesforce_id);
}

bool Engine::Impl::HasError(const SyncPlan& p, const store::Link& l) {
  // (an empty log, the usual case, builds no (sync, id) key per pair)
  return (!errors_sf.empty() && errors_sf.count({p.name, l.salesforce_id})) ||
         (!errors_hs.empty() && errors_hs.count({p.name, l.hubspot_id}));
}

// A record with a permanent error waits for a change of its data; a
// transient one for its backoff.
bool Engine::Impl::Waiting(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id, Record* rec[2]) {
  const store::SyncError* e = nullptr;
  if (auto it = errors_sf.find({p.name, sf_id}); !sf_id.empty() && it != errors_sf.end())
    e = &it->second;
  else if (auto it2 = errors_hs.find({p.name, hs_id}); !hs_id.empty() && it2 != errors_hs.end())
    e = &it2->second;
  if (!e) return false;
  if (e->retry_at == 0) return false;  // requeued (accord retry, or the rules changed)
  std::string now = PairStamp(rec[0], rec[1]);
  // the data changed since the error (compared as the systems stamp it: no clock skew)
  if (now == "|" || e->record_stamp.empty() || now != e->record_stamp) return false;
  if (!e->permanent) return NowMs() < e->retry_at;
  ++report->per_sync[p.name].skipped;
  return true;
}

void Engine::Impl::Reconcile(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id, Record* rec[2],
                             ShadowMap& sm, bool has_shadows, Work& w) {
  base::ScopedPhase phase(clock, "reconcile");  // also a pair just matched, or just created
  Mapped m[2] = {Map(p, 0, rec[0], rec[1]), Map(p, 1, rec[0], rec[1])};
  // a mapping program's own error (its scope expression failed) stops the pair
  for (int i = 0; i < 2; ++i)
    if (m[i].ran && m[i].result.is_error()) {
      Error(p.name, CategoryOfValue(m[i].result), ErrorRule(m[i].result, ""), sf_id, hs_id, m[i].result.error_message(),
            true, i == 0 ? System::kSalesforce : System::kHubSpot,
            i == 0 ? p.cs->salesforce->name : p.cs->hubspot->name);
      return;
    }
  PendingWrite pw[2];
  bool bad[2] = {false, false};
  std::vector<std::pair<std::string, ShadowEntry>> immediate;
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  // plain rules first; then rules with a computed side, over the records as this
  // pass leaves them (a computed value reads the fields the plain rules decide)
  auto decide = [&](const RulePair& rp) {
    FieldInput in;
    if (auto sit = sm.find(rp.key); sit != sm.end()) {
      in.has_base = true;
      in.base[0] = sit->second.base_sf;
      in.base[1] = sit->second.base_hs;
    }
    in.cur[0] = SideValue(p, rp, 0, rec[0], m[1].ran ? m[1].out.data() : nullptr);
    in.cur[1] = SideValue(p, rp, 1, rec[1], m[0].ran ? m[0].out.data() : nullptr);
    in.flows[0] = rp.out[0] >= 0;
    in.flows[1] = rp.out[1] >= 0;
    in.policy = rp.policy;
    // what the rule writes toward each side
    rt::Value err[2];
    for (int i = 0; i < 2; ++i) {
      if (!in.flows[i] || rp.slot[i] < 0) continue;
      const rt::Value& v = m[i].out[rp.out[i]];
      if (ir::IsSkip(v)) continue;
      in.toward[i].skip = false;
      if (v.is_error()) {
        in.toward[i].error = true;
        err[i] = v;
        continue;
      }
      base::Result<Text> text =
          ValueText(i == 0 ? System::kSalesforce : System::kHubSpot, obj[i]->fields[rp.slot[i]], v);
      if (text) {
        in.toward[i].text = *text;
      } else {
        in.toward[i].error = true;
        err[i] = rt::Value::Error(rt::ErrorCode::kConversion, text.status().message);
      }
    }
    if (const Lifecycle* lc = rp.slot[1] >= 0 ? LifecycleOf(obj[1], rp.slot[1]) : nullptr; lc && lc->forward_only)
      in.forward_only_rank = [lc](const Text& t) { return lc->Rank(t); };
    // a two_way field's change on a side: the record's stamp in the pass that first saw
    // this value bounds when the field changed (kept only while its pair cannot settle)
    std::string first_seen[2];
    if (rp.policy.kind == ir::ConflictKind::kTwoWay && in.has_base && in.flows[0] && in.flows[1] && rp.slot[0] >= 0 &&
        rp.slot[1] >= 0)
      for (int s = 0; s < 2; ++s) {
        bool changed = !Same(in.cur[s], in.base[s]);
        auto it = seen.find(SeenKey(sf_id, rp.key, s));
        if (!changed && it == seen.end()) continue;
        first_seen[s] = it != seen.end() && it->second.value == in.cur[s] ? it->second.stamp : rec[s]->modstamp;
        seen_now.push_back({store::SeenChange{p.name, sf_id, rp.key, s, in.cur[s], first_seen[s]}, hs_id, changed});
      }
    in.changed_at = [&](int s) {
      ChangeTime t;
      t.precision_ms = static_cast<int>(conn[s]->TimePrecisionMs());
      if (rp.slot[s] >= 0) t.at = conn[s]->FieldChangedAt(*obj[s], *rec[s], static_cast<size_t>(rp.slot[s]));
      t.field = !t.at.empty();
      if (t.at.empty()) t.at = rec[s]->modstamp;
      if (!t.field && !first_seen[s].empty() && StampMs(first_seen[s]) < StampMs(t.at)) {
        t.at = first_seen[s];
        t.first_seen = true;
      }
      return t;
    };
    FieldDecision d = DecideField(in);
    bool refused[2] = {false, false};  // a write the decision makes that is held back below
    if (d.conflict && d.by_record_time) {
      // the record's time decided: a note in the error log says so, with what to turn on
      std::string field[2] = {rp.slot[0] >= 0 ? obj[0]->fields[rp.slot[0]].name : "(computed)",
                              rp.slot[1] >= 0 ? obj[1]->fields[rp.slot[1]].name : "(computed)"};
      store::SyncError& n = notes_now[sf_id + "|" + hs_id];
      n.sync = p.name;
      n.category = "RecordTime";
      n.rule = rp.loc;
      n.salesforce_id = sf_id;
      n.hubspot_id = hs_id;
      n.note = true;
      n.record_stamp = PairStamp(rec[0], rec[1]);
      // the fields decided for one reason named together, the advice once (a note per pair: at a
      // million pairs its text is most of the state file)
      auto& parts = note_parts[sf_id + "|" + hs_id];
      std::string fields = field[0] + " <-> " + field[1];
      auto same = std::find_if(parts.begin(), parts.end(), [&](const auto& x) { return x.first == d.why; });
      if (same != parts.end())
        same->second += ", " + fields;
      else
        parts.push_back({d.why, fields});
      n.message.clear();
      for (const auto& [why, names] : parts) n.message += (n.message.empty() ? "" : "; ") + names + ": " + why;
      n.message +=
          " — a record's time stood for the field's; review the value (field history tracking on the field "
          "makes this exact)";
    }
    // a blank toward a Salesforce field an update may not clear: Salesforce refuses it
    // (REQUIRED_FIELD_MISSING); decided from the schema so that plan and run agree and no
    // request is spent on it. Only this field waits; its shadow stays.
    if (d.write_to == 0 && rp.slot[0] >= 0 && IsBlank(d.value)) {
      const schema::Field& f = obj[0]->fields[rp.slot[0]];
      if (!f.nillable && f.updateable && f.native_type != "boolean") {
        Error(p.name, Category::kPropertyValues, rp.loc, sf_id, hs_id,
              "REQUIRED_FIELD_MISSING: " + f.name +
                  ": Salesforce requires a value and the rules would clear it (only " + f.name +
                  " waits, until the value or the rules change; the record's other fields are written)",
              true, System::kSalesforce, obj[0]->name);
        bad[0] = refused[0] = true;
        d.write_to = -1;
        d.base_moves = false;
      }
    }
    if (d.error_to >= 0) {
      int to = d.error_to;
      // one bad value holds back only its own field: the record's other fields are written
      Error(p.name, CategoryOfValue(err[to]), ErrorRule(err[to], rp.loc), sf_id, hs_id,
            obj[to]->fields[rp.slot[to]].name + ": " + err[to].error_message() + " (only " +
                obj[to]->fields[rp.slot[to]].name +
                " waits, until the value or the rules change; the record's "
                "other fields are written)",
            true, to == 0 ? System::kSalesforce : System::kHubSpot, obj[to]->name);
      bad[to] = refused[to] = true;
    }
    if (drift_pair) NoteDrift(p, rp, sf_id, hs_id, in, d, refused);
    if (d.conflict) {
      ++report->per_sync[p.name].conflicts;
      Event e;
      e.kind = Event::Kind::kConflict;
      e.sync = p.name;
      e.salesforce_id = sf_id;
      e.hubspot_id = hs_id;
      e.rule = rp.loc;
      e.changes.push_back(
          {rp.slot[0] >= 0 ? obj[0]->fields[rp.slot[0]].name : "(computed)", in.base[0], in.cur[0], rp.loc, d.why});
      e.changes.push_back(
          {rp.slot[1] >= 0 ? obj[1]->fields[rp.slot[1]].name : "(computed)", in.base[1], in.cur[1], rp.loc, d.why});
      e.message = d.why;
      Emit(e);
    }
    if (d.write_to >= 0) {
      int to = d.write_to;
      pw[to].op.fields.push_back({static_cast<size_t>(rp.slot[to]), d.value});
      pw[to].changes.push_back({obj[to]->fields[rp.slot[to]].name, in.cur[to], d.value, rp.loc, WritePolicy(in, d)});
      pw[to].shadow_updates.push_back({rp.key, ShadowEntry{d.base[0], d.base[1]}});  // moves once acknowledged
    } else if (d.base_moves) {
      immediate.push_back({rp.key, ShadowEntry{d.base[0], d.base[1]}});
    }
  };
  std::vector<const RulePair*> computed;
  for (const RulePair& rp : p.pairs) {
    if (rp.slot[0] < 0 || rp.slot[1] < 0)
      computed.push_back(&rp);
    else
      decide(rp);
  }
  if (!computed.empty() && (!pw[0].op.fields.empty() || !pw[1].op.fields.empty())) {
    Record after[2] = {*rec[0], *rec[1]};
    for (int to = 0; to < 2; ++to)
      for (const auto& [slot, text] : pw[to].op.fields) after[to].values.set(slot, text);
    for (int i = 0; i < 2; ++i) {
      Mapped again = Map(p, i, &after[0], &after[1]);
      if (again.ran && again.result.is_error()) {
        Error(p.name, CategoryOfValue(again.result), ErrorRule(again.result, ""), sf_id, hs_id,
              again.result.error_message(), true, i == 0 ? System::kSalesforce : System::kHubSpot,
              i == 0 ? p.cs->salesforce->name : p.cs->hubspot->name);
        return;
      }
      // this pass's own writes take the pair out of scope: the program stopped before its
      // outputs (which are not values to write). The pair was in scope when the pass read it;
      // its computed fields keep what the records as read give, and it gets no further update
      // while out of scope.
      if (again.ran && again.result.is(rt::Kind::kBool) && !again.result.bool_value()) continue;
      m[i] = std::move(again);
    }
  }
  for (const RulePair* rp : computed) decide(*rp);
  for (auto& [k, e] : immediate) sm[k] = e;
  if (!immediate.empty() || !has_shadows || !pw[0].op.fields.empty() || !pw[1].op.fields.empty())
    w.pair_shadows[sf_id] = sm;
  std::string ids[2] = {sf_id, hs_id};
  for (int to = 0; to < 2; ++to) {
    if (pw[to].op.fields.empty()) continue;
    pw[to].op.kind = WriteOp::Kind::kUpdate;
    pw[to].op.id = ids[to];
    pw[to].sf_id = sf_id;
    pw[to].hs_id = hs_id;
    pw[to].stamp = cur_stamp;
    w.writes[to].push_back(std::move(pw[to]));
  }
  if (!bad[0] && !bad[1]) clean.insert({p.name, sf_id + "|" + hs_id});
  reconciled.insert({p.name, sf_id + "|" + hs_id});
}

// Associations of a linked pair: the HubSpot record is associated with the
// HubSpot twin of the Salesforce parent; a parent not synced yet waits.
void Engine::Impl::Associations(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id, Record* rec[2],
                                Work& w) {
  for (const Assoc& a : p.assocs) {
    if (a.sf_slot < 0) continue;
    const Text& parent = rec[0]->values[a.sf_slot];
    const std::string& hs_type = a.hs_object;
    if (IsBlank(parent)) {
      // HubSpot -> Salesforce: fill an empty reference from the HubSpot association
      if (a.dir == ir::Direction::kToHubSpot) continue;
      auto it = rec[1]->associations.find(hs_type);
      if (it == rec[1]->associations.end() || it->second.empty()) continue;
      std::string sf_parent = ParentSalesforce(a, it->second.front());
      if (sf_parent.empty()) continue;
      PendingWrite pw;
      pw.op.kind = WriteOp::Kind::kUpdate;
      pw.op.id = sf_id;
      pw.op.fields.push_back({static_cast<size_t>(a.sf_slot), sf_parent});
      pw.sf_id = sf_id;
      pw.hs_id = hs_id;
      pw.changes.push_back({a.sf_field, parent, sf_parent, "", "associate: the HubSpot association"});
      pw.stamp = cur_stamp;
      Merge(w.writes[0], std::move(pw));
      continue;
    }
    if (a.dir == ir::Direction::kToSalesforce) continue;
    std::string hs_parent = ParentHubSpot(a, *parent);
    if (hs_parent.empty()) {
      Error(p.name, Category::kAssociations, "", sf_id, hs_id,
            "waiting for " + (a.parent_object.empty() ? "the parent" : a.parent_object) + " " + *parent +
                " to sync before associating " + hs_type,
            false, System::kHubSpot, p.cs->hubspot->name);
      continue;
    }
    auto it = rec[1]->associations.find(hs_type);
    if (it != rec[1]->associations.end() &&
        std::find(it->second.begin(), it->second.end(), hs_parent) != it->second.end())
      continue;
    PendingWrite pw;
    pw.op.kind = WriteOp::Kind::kUpdate;
    pw.op.id = hs_id;
    pw.op.add_associations[hs_type].push_back(hs_parent);
    pw.sf_id = sf_id;
    pw.hs_id = hs_id;
    pw.changes.push_back(
        {"associations." + hs_type, std::nullopt, hs_parent, "", "associate: the Salesforce parent's twin"});
    pw.stamp = cur_stamp;
    Merge(w.writes[1], std::move(pw));
  }
}

// Two writes to the same record in one pass become one.
void Engine::Impl::Merge(std::vector<PendingWrite>& list, PendingWrite pw) {
  for (PendingWrite& x : list) {
    if (x.op.kind != WriteOp::Kind::kUpdate || x.op.id != pw.op.id) continue;
    for (auto& f : pw.op.fields) x.op.fields.push_back(f);
    for (auto& [k, v] : pw.op.add_associations)
      for (auto& id : v) x.op.add_associations[k].push_back(id);
    for (auto& c : pw.changes) x.changes.push_back(c);
    return;
  }
  list.push_back(std::move(pw));
}

const SyncPlan* Engine::Impl::ParentPlan(const Assoc& a) {
  for (const SyncPlan& q : plans)
    if (q.cs->hubspot->name == a.hs_object && (a.parent_object.empty() || q.cs->salesforce->name == a.parent_object))
      return &q;
  return nullptr;
}

std::string Engine::Impl::ParentHubSpot(const Assoc& a, const std::string& sf_parent) {
  const SyncPlan* q = ParentPlan(a);
  if (!q) return "";
  for (const store::Link& l : links[q->name])
    if (l.salesforce_id == sf_parent && l.state != store::LinkState::kDeleted) return l.hubspot_id;
  // a targeted pass holds the links it read: the others are in the store
  if (auto l = targeted ? store.FindBySalesforce(q->name, sf_parent) : std::nullopt)
    if (l->state != store::LinkState::kDeleted) return l->hubspot_id;
  return "";
}

std::string Engine::Impl::ParentSalesforce(const Assoc& a, const std::string& hs_parent) {
  const SyncPlan* q = ParentPlan(a);
  if (!q) return "";
  for (const store::Link& l : links[q->name])
    if (l.hubspot_id == hs_parent && l.state != store::LinkState::kDeleted) return l.salesforce_id;
  if (auto l = targeted ? store.FindByHubSpot(q->name, hs_parent) : std::nullopt)
    if (l->state != store::LinkState::kDeleted) return l->salesforce_id;
  return "";
}

bool Engine::Impl::MergedAway(const SyncPlan& p, store::Link& link, int gone, const std::string& survivor) {
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  const char* system[2] = {"Salesforce", "HubSpot"};
  std::string merged = gone == 0 ? link.salesforce_id : link.hubspot_id;
  Event e;
  e.sync = p.name;
  if (!TakenBy(gone, obj[gone]->name, survivor)) {
    if (gone == 0) {
      Check(store.MoveLink(p.name, link.salesforce_id, p.name, survivor));
      link.salesforce_id = survivor;
    } else {
      Check(store.PutLink({p.name, link.salesforce_id, survivor, store::LinkState::kActive}));
      link.hubspot_id = survivor;
    }
    Take(gone, obj[gone]->name, survivor, p.name);
    e.kind = Event::Kind::kLink;
    e.salesforce_id = link.salesforce_id;
    e.hubspot_id = link.hubspot_id;
    e.message = "merged: the link of " + merged + " moves to the surviving record";
    Emit(e);
    return true;
  }
  // the survivor has a link of its own: the other system keeps both records (deleting one would
  // lose what only it holds); the link ends, and someone merges them there too
  AddTombstone(gone, merged);
  Check(store.SetLinkState(p.name, link.salesforce_id, store::LinkState::kDeleted));
  link.state = store::LinkState::kDeleted;
  int other = 1 - gone;
  std::string kept = other == 0 ? link.salesforce_id : link.hubspot_id;
  Error(p.name, Category::kDuplicates, "", link.salesforce_id, link.hubspot_id,
        std::string(system[gone]) + " " + obj[gone]->name + " " + merged + " was merged into " + survivor +
            ", which is linked to another record: " + system[other] + " " + obj[other]->name + " " + kept +
            " is kept (a merge is never propagated as a delete) and no longer synced; merge it in " + system[other] +
            " too (this entry leaves the log once it is gone)",
        true, other == 0 ? System::kSalesforce : System::kHubSpot, obj[other]->name);
  return false;
}

bool Engine::Impl::HandleDelete(const SyncPlan& p, store::Link& link, Record* rec[2], Work& w) {
  // a deleted record's entries in the error log are over (a delete that fails logs anew)
  if (!opts->dry_run)
    for (const auto& [sf, hs] : {std::pair<std::string, std::string>{link.salesforce_id, link.hubspot_id},
                                 {link.salesforce_id, ""},
                                 {"", link.hubspot_id}})
      Check(store.ClearErrors(p.name, sf, hs));
  int gone = (rec[0] && rec[0]->deleted) || Tombstoned(0, link.salesforce_id) ? 0 : 1;
  std::string ids[2] = {link.salesforce_id, link.hubspot_id};
  // a merge is not a delete: the record lives on in the survivor (Salesforce MasterRecordId,
  // HubSpot hs_merged_object_ids), whatever the delete rule says
  std::string survivor;
  if (gone == 0 && rec[0]) {
    survivor = rec[0]->master_id;
  } else if (gone == 1) {
    const Table& hs = tables[1][p.cs->hubspot->name];
    if (auto it = hs.merged_into.find(link.hubspot_id); it != hs.merged_into.end()) survivor = it->second;
  }
  // (both records gone: an ordinary delete of the pair)
  if (!survivor.empty() && rec[1 - gone] && !rec[1 - gone]->deleted) return MergedAway(p, link, gone, survivor);
  AddTombstone(gone, ids[gone]);
  bool propagate = p.del[gone] == ir::DeleteKind::kPropagate;
  Event e;
  e.sync = p.name;
  e.salesforce_id = link.salesforce_id;
  e.hubspot_id = link.hubspot_id;
  if (p.del[gone] == ir::DeleteKind::kUnlink) {
    Check(store.RemoveLink(p.name, link.salesforce_id));
    e.kind = Event::Kind::kUnlink;
    e.message = "deleted in " + std::string(gone == 0 ? "salesforce" : "hubspot") + ": unlinked (delete unlink)";
    Emit(e);
    return false;
  }
  int other = 1 - gone;
  if (propagate && rec[other] && !rec[other]->deleted) {
    // the link ends once the delete is acknowledged: a delete that fails is sent again next pass
    PendingWrite pw;
    pw.op.kind = WriteOp::Kind::kDelete;
    pw.op.id = ids[other];
    pw.sf_id = link.salesforce_id;
    pw.hs_id = link.hubspot_id;
    pw.stamp = cur_stamp;
    w.writes[other].push_back(std::move(pw));
    return false;
  }
  Check(store.SetLinkState(p.name, link.salesforce_id, store::LinkState::kDeleted));
  link.state = store::LinkState::kDeleted;
  e.kind = Event::Kind::kSkip;
  e.message = "deleted in " + std::string(gone == 0 ? "salesforce" : "hubspot") +
              ": the other record is kept (delete keep); a tombstone stops it coming back";
  Emit(e);
  return false;
}

}  // namespace accord::sync

namespace accord::sync {

// The field change times a two_way conflict may ask for, read in batches before the
// pairs are reconciled: the pairs changed on both sides since the last pass are the only
// ones that can conflict (HubSpot: 50 records a request; Salesforce: its field history,
// 200 records a query), instead of one request per conflicting record.
void Engine::Impl::PrefetchFieldTimes(const SyncPlan& p, Table* t[2], const std::vector<store::Link>& own) {
  base::ScopedPhase phase(clock, "read");
  std::vector<size_t> slots[2];
  for (const RulePair& rp : p.pairs)
    if (rp.policy.kind == ir::ConflictKind::kTwoWay && rp.slot[0] >= 0 && rp.slot[1] >= 0 && rp.out[0] >= 0 &&
        rp.out[1] >= 0)
      for (int s = 0; s < 2; ++s) slots[s].push_back(static_cast<size_t>(rp.slot[s]));
  if (slots[0].empty()) return;
  std::vector<std::string> ids[2];
  for (const store::Link& link : own) {
    if (link.state != store::LinkState::kActive) continue;
    Record* rec[2] = {t[0]->Find(link.salesforce_id), t[1]->Find(link.hubspot_id)};
    if (!rec[0] || !rec[1] || rec[0]->deleted || rec[1]->deleted || !Fresh(*t[0], *rec[0]) || !Fresh(*t[1], *rec[1]))
      continue;
    ids[0].push_back(link.salesforce_id);
    ids[1].push_back(link.hubspot_id);
  }
  for (int s = 0; s < 2; ++s)
    if (!ids[s].empty()) conn[s]->PrefetchFieldChanges(*t[s]->object, ids[s], slots[s]);
}

}  // namespace accord::sync
