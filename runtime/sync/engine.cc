#include <algorithm>
#include <chrono>

#include "base/strings.h"
#include "runtime/record.h"
#include "runtime/sync/engine_impl.h"

namespace accord::sync {

std::string_view CategoryName(Category c) {
  switch (c) {
#define X(name, doc)      \
  case Category::k##name: \
    return #name;
    ACCORD_ERROR_CATEGORIES(X)
#undef X
  }
  return "Transport";
}

Category CategoryOfStatus(const std::string& code) {
  static const std::map<std::string, Category> k = {
      {"REQUIRED_FIELD_MISSING", Category::kPropertyValues},
      {"STRING_TOO_LONG", Category::kPropertyValues},
      {"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", Category::kPropertyValues},
      {"INVALID_FIELD_FOR_INSERT_UPDATE", Category::kPermissions},
      {"INVALID_FIELD", Category::kPropertyValues},
      {"INVALID_TYPE_ON_FIELD_IN_RECORD", Category::kPropertyValues},
      {"INVALID_EMAIL_ADDRESS", Category::kPropertyValues},
      {"INVALID_OPTION", Category::kPropertyValues},
      {"VALIDATION_ERROR", Category::kPropertyValues},
      {"PROPERTY_DOESNT_EXIST", Category::kPropertyValues},
      {"FIELD_CUSTOM_VALIDATION_EXCEPTION", Category::kCustomCode},
      {"CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", Category::kCustomCode},
      {"DUPLICATES_DETECTED", Category::kDuplicates},
      {"DUPLICATE_VALUE", Category::kDuplicates},
      {"CONTACT_EXISTS", Category::kDuplicates},
      {"CONFLICT", Category::kDuplicates},
      {"INSUFFICIENT_ACCESS_OR_READONLY", Category::kPermissions},
      {"INSUFFICIENT_ACCESS", Category::kPermissions},
      {"MISSING_SCOPES", Category::kPermissions},
      {"REQUEST_LIMIT_EXCEEDED", Category::kApiLimits},
      {"RATE_LIMITS", Category::kApiLimits},
      {"ENTITY_IS_DELETED", Category::kAssociations},
      {"INVALID_CROSS_REFERENCE_KEY", Category::kAssociations},
      {"OBJECT_NOT_FOUND", Category::kAssociations},
  };
  auto it = k.find(code);
  return it == k.end() ? Category::kTransport : it->second;
}

std::string_view EventKindName(Event::Kind k) {
  switch (k) {
    case Event::Kind::kCreate:
      return "create";
    case Event::Kind::kUpdate:
      return "update";
    case Event::Kind::kLink:
      return "link";
    case Event::Kind::kConflict:
      return "conflict";
    case Event::Kind::kSkip:
      return "skip";
    case Event::Kind::kError:
      return "error";
    case Event::Kind::kDelete:
      return "delete";
    case Event::Kind::kConvert:
      return "convert";
    case Event::Kind::kLifecycle:
      return "lifecycle";
    case Event::Kind::kUnlink:
      return "unlink";
  }
  return "update";
}

SyncStats PassReport::Total() const {
  SyncStats t;
  for (const auto& [name, s] : per_sync) {
    t.pairs += s.pairs;
    t.unchanged += s.unchanged;
    t.created += s.created;
    t.updated += s.updated;
    t.linked += s.linked;
    t.conflicts += s.conflicts;
    t.skipped += s.skipped;
    t.deleted += s.deleted;
    t.errors += s.errors;
  }
  t.errors += read_errors;
  return t;
}

namespace detail {

int SideIndex(Side s) { return s == Side::kSalesforce ? 0 : 1; }
System SystemOf(Side s) { return s; }
bool Same(const Text& a, const Text& b) {
  if (IsBlank(a) || IsBlank(b)) return IsBlank(a) && IsBlank(b);
  return *a == *b;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The text a value has once written to `f` of `system` (what the system
// would store and give back).
base::Result<Text> ValueText(System system, const schema::Field& f, const rt::Value& v) {
  if (v.is(rt::Kind::kNull)) return Text();
  if (v.is(rt::Kind::kString)) return Text(std::string(v.str()));
  std::string out;
  if (base::Status s = rec::AppendFieldValue(system, f, v, out); !s) return s;
  if (!out.empty() && out[0] == '"') {
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_string()) return Text(j.get<std::string>());
  }
  if (out == "null") return Text();
  return Text(std::move(out));
}

// A field's text in its canonical form (numbers and dates as the engine
// writes them), so that "5000000.0" and "5000000" compare equal.
Text Canon(System system, const schema::Field& f, const Text& t) {
  if (!t || t->empty() || f.type == schema::FieldType::kString) return t;
  rt::Value v = rec::FromText(f, *t);
  if (v.is_error()) return t;
  base::Result<Text> c = ValueText(system, f, v);
  return c ? *c : t;
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}
std::string NormalizeDomain(std::string s) {
  s = Lower(std::string(base::Trim(s)));
  size_t scheme = s.find("://");
  if (scheme != std::string::npos) s = s.substr(scheme + 3);
  size_t at = s.find('@');
  if (at != std::string::npos) s = s.substr(at + 1);
  size_t end = s.find_first_of("/?#:");
  if (end != std::string::npos) s = s.substr(0, end);
  if (s.rfind("www.", 0) == 0) s = s.substr(4);
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace detail

// Both records' stamps ("sf|hs"): an error waits until either record changes. (The
// newest of the two would hide a change of the record whose system's clock is behind.)
std::string Engine::Impl::PairStamp(const Record* sf, const Record* hs) {
  return (sf ? sf->modstamp : std::string()) + "|" + (hs ? hs->modstamp : std::string());
}

void Engine::Impl::Build() {
  for (const auto& cs : rs.rules->syncs) {
    SyncPlan p;
    p.cs = &cs;
    p.name = cs.name;
    for (Side s : {Side::kSalesforce, Side::kHubSpot}) {
      int i = SideIndex(s);
      p.mapping[i] = s == Side::kHubSpot ? cs.to_hubspot.get() : cs.to_salesforce.get();
      p.on_create[i] = s == Side::kHubSpot ? cs.create_hubspot.get() : cs.create_salesforce.get();
      const ir::Program* scope = s == Side::kHubSpot ? cs.scope_hubspot.get() : cs.scope_salesforce.get();
      const ir::Program* when = s == Side::kHubSpot ? cs.create_when_hubspot.get() : cs.create_when_salesforce.get();
      if (p.mapping[i]) p.handle_map[i] = jit.Add(&p.mapping[i]->program);
      if (p.on_create[i]) p.handle_create[i] = jit.Add(&p.on_create[i]->program);
      if (scope) p.handle_scope[i] = jit.Add(scope);
      if (when) p.handle_when[i] = jit.Add(when);
    }
    const ir::SyncRules& r = cs.rules;
    p.pairs = r.fields;
    p.assocs = r.associations;
    p.match = r.match;
    p.converts_to = r.converts_to;
    for (int i = 0; i < 2; ++i) {
      p.match_slot[i] = r.match_slot[i];
      p.extid_slot[i] = r.extid_slot[i];
      p.create[i] = r.create[i];
      p.del[i] = r.del[i];
    }
    plans.push_back(std::move(p));
  }
  // parents first: an associated object's sync and a `converts to` target run earlier
  std::vector<SyncPlan> ordered;
  std::vector<bool> done(plans.size(), false);
  std::function<void(size_t, int)> visit = [&](size_t i, int depth) {
    if (done[i] || depth > 32) return;
    for (size_t j = 0; j < plans.size(); ++j) {
      if (j == i) continue;
      bool parent = plans[i].converts_to == plans[j].name;
      for (const Assoc& a : plans[i].assocs) parent |= plans[j].cs->hubspot->name == a.hs_object;
      if (parent) visit(j, depth + 1);
    }
    if (!done[i]) ordered.push_back(std::move(plans[i])), done[i] = true;
  };
  for (size_t i = 0; i < plans.size(); ++i) visit(i, 0);
  plans = std::move(ordered);
  // the record key index's columns: a keyed sync's match key and the external id a rule
  // writes, per side (two syncs over one object with the same key share one)
  for (const SyncPlan& p : plans)
    for (int s = 0; s < 2; ++s) {
      const schema::Object* o = s == 0 ? p.cs->salesforce : p.cs->hubspot;
      auto& kinds = key_kinds[s][o->name];
      auto add = [&](KeyKind k) {
        for (const KeyKind& x : kinds)
          if (x.name == k.name) return;
        kinds.push_back(std::move(k));
      };
      if (std::string k = KindName(p, s, false); !k.empty()) add({k, &p, s, false});
      if (std::string k = KindName(p, s, true); !k.empty()) add({k, &p, s, true});
    }

  for (const ir::LifecyclePlan& d : rs.lifecycles) {
    Lifecycle l;
    l.plan = &d;
    l.object = d.object;
    l.slot = d.slot;
    l.order = d.order;
    l.forward_only = d.forward_only;
    lifecycles.push_back(std::move(l));
  }
}

Table* Engine::Impl::Load(Side side, const schema::Object* object) {
  auto& t = tables[SideIndex(side)][object->name];
  if (t.object) return &t;
  base::ScopedPhase phase(clock, "read");
  t.object = object;
  t.system = SystemOf(side);
  std::vector<ReadProblem> problems;
  std::vector<Record> records;
  if (base::Status st = conn[SideIndex(side)]->Load(*object, &records, &problems); !st) {
    Fail("reading " + std::string(schema::SystemName(side)) + "." + object->name + ": " + st.message);
    return &t;
  }
  t.feed = conn[SideIndex(side)]->FeedPosition(*object);
  unreadable[SideIndex(side)][object->name] += problems.size();
  // this read's problems replace the last read's: a record read whole again leaves the log
  // (a connector reports a record it could not read on every Load until it reads it whole)
  const std::string source = std::string(schema::SystemName(side)) + "." + object->name;
  if (!opts->dry_run) Check(store.ClearReadErrors(source));
  for (const ReadProblem& p : problems) {
    if (!p.record_id.empty()) unreadable_ids[SideIndex(side)].insert(p.record_id);
    std::string id = p.record_id.empty() ? p.where : p.record_id;
    Error("", Category::kTransport, source, side == Side::kSalesforce ? id : "", side == Side::kHubSpot ? id : "",
          p.message, true, t.system, object->name);
  }
  if (opts->only) {
    const auto& named = side == Side::kSalesforce ? opts->only->salesforce : opts->only->hubspot;
    auto it = named.find(object->name);
    t.targeted = true;
    t.only = it == named.end() ? nullptr : &it->second;
  } else if (!opts->full && !full_pass) {
    if (auto c = store.GetCursor(side == Side::kSalesforce ? "salesforce" : "hubspot", object->name))
      t.since_ms = StampMs(c->modstamp) - opts->cursor_overlap_ms;
  }
  // the key index: every record once (a kind not yet complete), then those changed since the cursor
  bool index_all = false;
  if (auto kinds = key_kinds[SideIndex(side)].find(object->name); kinds != key_kinds[SideIndex(side)].end())
    for (const KeyKind& k : kinds->second) {
      std::string flag = "record_keys:" + k.name;
      if (!conn[SideIndex(side)]->TargetedReads()) {
        // not kept up to date by a connector without targeted reads: no longer complete
        if (store.GetMeta(flag).value_or("") == "complete") Check(store.PutMeta(flag, ""));
      } else if (store.GetMeta(flag).value_or("") != "complete") {
        index_all = true;
        Check(store.PutMeta(flag, "complete"));  // (in the pass's transaction with the rows below)
      }
    }
  int64_t since = t.since_ms;
  if (index_all) t.since_ms = -1;  // (AddRecords indexes the records Fresh says changed)
  AddRecords(t, std::move(records), true);
  t.since_ms = since;
  return &t;
}

void Engine::Impl::AddRecords(Table& t, std::vector<Record> recs, bool feed) {
  std::vector<size_t> at;  // where each went
  for (Record& rec : recs) {
    if (feed && (rec.modstamp > t.newest.modstamp || (rec.modstamp == t.newest.modstamp && rec.id > t.newest.last_id)))
      t.newest = {rec.modstamp, rec.id};
    for (auto& [f, text] : rec.values.items()) text = Canon(t.system, t.object->fields[f], text);
    if (!rec.deleted)
      for (const std::string& gone : rec.merged_ids) t.merged_into[gone] = rec.id;
    auto [it, fresh] = t.by_id.try_emplace(rec.id, t.records.size());
    if (fresh)
      t.records.push_back(std::move(rec));
    else
      t.records[it->second] = std::move(rec);  // (a connector listing an id twice: its last state)
    at.push_back(it->second);
  }
  report->records_read += static_cast<int64_t>(recs.size());
  // the key index of the records changed since the cursor, a batch at a time: only what differs
  // is written (a pass reads back its own writes, whose keys it wrote already)
  std::vector<const Record*> fresh;
  for (size_t i : at)
    if (Fresh(t, t.records[i])) fresh.push_back(&t.records[i]);
  for (size_t start = 0; start < fresh.size(); start += store::StateStore::kKeyBatch)
    IndexRecords(t,
                 std::vector<const Record*>(
                     fresh.begin() + static_cast<long>(start),
                     fresh.begin() + static_cast<long>(std::min(fresh.size(), start + store::StateStore::kKeyBatch))));
}

void Engine::Impl::IndexRecords(const Table& t, const std::vector<const Record*>& recs) {
  int s = t.system == System::kSalesforce ? 0 : 1;
  if (recs.empty() || !conn[s]->TargetedReads()) return;
  auto kinds = key_kinds[s].find(t.object->name);
  if (kinds == key_kinds[s].end()) return;
  std::vector<std::string> ids;
  for (const Record* r : recs) ids.push_back(r->id);
  for (const KeyKind& k : kinds->second) {
    auto have = store.KeysOf(k.name, ids);
    if (!have) return Fail("state store: " + have.status().message);
    for (const Record* r : recs) {
      std::string v = KindValue(k, *r);
      auto it = have->find(r->id);
      if (it != have->end() ? it->second == v : v.empty()) continue;
      Check(v.empty() ? store.DropRecordKey(k.name, r->id) : store.PutRecordKey(k.name, r->id, v));
    }
  }
}

std::string Engine::Impl::KindName(const SyncPlan& p, int s, bool ext) {
  const schema::Object* o = s == 0 ? p.cs->salesforce : p.cs->hubspot;
  if (ext)
    return p.extid_slot[s] < 0 ? ""
                               : "ext|" + std::to_string(s) + "|" + o->name + "|" + std::to_string(p.extid_slot[s]);
  bool keyed = p.match == "email" || p.match == "domain" || p.match == "fields";
  if (!keyed || p.match_slot[s] < 0) return "";
  return "key|" + std::to_string(s) + "|" + o->name + "|" + p.match + "|" + std::to_string(p.match_slot[s]);
}

std::string Engine::Impl::KindValue(const KeyKind& k, const Record& r) {
  if (r.deleted) return "";
  if (!k.ext) return MatchKey(*k.plan, k.side, r);
  const Text& v = r.values[k.plan->extid_slot[k.side]];
  return IsBlank(v) ? "" : *v;
}

void Engine::Impl::IndexRecord(const Table& t, const Record& r) {
  int s = t.system == System::kSalesforce ? 0 : 1;
  if (!conn[s]->TargetedReads()) return;
  auto kinds = key_kinds[s].find(t.object->name);
  if (kinds == key_kinds[s].end()) return;
  for (const KeyKind& k : kinds->second) {
    std::string v = KindValue(k, r);
    Check(v.empty() ? store.DropRecordKey(k.name, r.id) : store.PutRecordKey(k.name, r.id, v));
  }
}

void Engine::Impl::Fail(const std::string& why) {
  if (report->ok) report->failure = why;
  report->ok = false;
}

void Engine::Impl::Emit(Event e) {
  if (opts->keep_events) report->events.push_back(std::move(e));
}

void Engine::Impl::Error(const std::string& sync, Category cat, const std::string& rule, const std::string& sf_id,
                         const std::string& hs_id, const std::string& message, bool permanent, System target,
                         const std::string& object) {
  ++report->errors_by_category[std::string(CategoryName(cat))];
  logged_now.insert({sync, sf_id + "|" + hs_id});
  if (!sync.empty())
    ++report->per_sync[sync].errors;
  else
    ++report->read_errors;
  Event e;
  e.kind = Event::Kind::kError;
  e.sync = sync;
  e.target = target;
  e.object = object;
  e.salesforce_id = sf_id;
  e.hubspot_id = hs_id;
  e.category = std::string(CategoryName(cat));
  e.message = message;
  e.rule = rule;
  Emit(e);
  store::SyncError se;
  se.sync = sync.empty() ? store::kReadErrorsSync : sync;
  se.category = e.category;
  se.rule = rule;
  se.salesforce_id = sf_id;
  se.hubspot_id = hs_id;
  se.message = message;
  se.permanent = permanent;
  se.record_stamp = cur_stamp;
  if (auto st = store.RecordError(se); !st) Fail("state store: " + st.message);
}

std::string Engine::Impl::ErrorRule(const rt::Value& v, const std::string& fallback) {
  rt::Location l = v.error_location();
  if (l.file) return std::string(l.file) + ":" + std::to_string(l.line) + ":" + std::to_string(l.col);
  return fallback;
}

Category Engine::Impl::CategoryOfValue(const rt::Value& v) {
  if (v.error_code() == rt::ErrorCode::kRejected || v.error_code() == rt::ErrorCode::kConversion)
    return Category::kPropertyValues;
  return Category::kRuleErrors;
}

void Engine::Impl::FillSlots(const schema::Object& o, const Record* r, std::vector<rt::Value>& s) {
  s.assign(o.fields.size(), rt::Value::Null());
  if (!r) return;
  for (const auto& [i, text] : r->values.items())
    if (i < s.size() && text) s[i] = rec::FromText(o.fields[i], *text);
}

// Runs a program over (sf, hs) records; returns its result.
rt::Value Engine::Impl::Run(int handle, const SyncPlan& p, const Record* sf, const Record* hs, size_t n_outs) {
  FillSlots(*p.cs->salesforce, sf, slots[0]);
  FillSlots(*p.cs->hubspot, hs, slots[1]);
  const rt::Value* recs[2] = {slots[0].data(), slots[1].data()};
  outs.assign(std::max<size_t>(n_outs, 1), rt::Value::Null());
  return jit.Run(handle, frame, ir::Inputs{recs, outs.data()});
}

// nullopt: in scope; otherwise the reason it is not (or an error).
bool Engine::Impl::InScope(const SyncPlan& p, Side side, const Record* sf, const Record* hs, rt::Value* error) {
  int h = p.handle_scope[SideIndex(side)];
  if (h < 0) return true;
  rt::Value v = Run(h, p, sf, hs, 0);
  if (v.is_error()) {
    *error = v;
    return false;
  }
  return v.is(rt::Kind::kBool) && v.bool_value();
}

// The intent an earlier pass left for creating `source_id` in side `target`, if any.
const nlohmann::json* Engine::Impl::IntentOf(const SyncPlan& p, int target, const std::string& source_id) {
  auto it = intents.find(p.name);
  if (it == intents.end()) return nullptr;
  auto jt = it->second.find({target, source_id});
  return jt == it->second.end() ? nullptr : &jt->second;
}

void Engine::Impl::DropIntent(const SyncPlan& p, int target, const std::string& source_id) {
  if (auto it = intents.find(p.name); it != intents.end()) it->second.erase({target, source_id});
  if (!opts->dry_run) Check(store.RemoveIntent(p.name, SystemName(target), source_id));
}

// The shadows an intent gave the pair it was creating.
ShadowMap Engine::Impl::IntentShadows(const nlohmann::json& in) {
  ShadowMap sm;
  if (!in.is_object() || !in.contains("shadows") || !in["shadows"].is_object()) return sm;
  for (auto& [key, pair] : in["shadows"].items()) {
    if (!pair.is_array() || pair.size() != 2) continue;
    sm[key] = ShadowEntry{pair[0].is_string() ? Text(pair[0].get<std::string>()) : std::nullopt,
                          pair[1].is_string() ? Text(pair[1].get<std::string>()) : std::nullopt};
  }
  return sm;
}

std::string Engine::Impl::IntentJson(const schema::Object& target, const PendingWrite& pw) {
  nlohmann::json j = {{"fields", nlohmann::json::object()}, {"shadows", nlohmann::json::object()}};
  for (const auto& [slot, text] : pw.op.fields)
    j["fields"][target.fields[slot].name] = text ? nlohmann::json(*text) : nlohmann::json(nullptr);
  for (const auto& [key, e] : pw.shadows_on_ack)
    j["shadows"][key] = {e.base_sf ? nlohmann::json(*e.base_sf) : nlohmann::json(nullptr),
                         e.base_hs ? nlohmann::json(*e.base_hs) : nlohmann::json(nullptr)};
  return j.dump();
}

PassReport Engine::Impl::RunPass(const PassOptions& o) {
  PassReport r;
  report = &r;
  opts = &o;
  clock = o.timings;
  store.SetPhaseClock(clock);
  base::ScopedPhase phase(clock, "other");  // what no phase below claims
  full_pass = false;
  pass_started_ms = NowMs();
  // the connectors count over their lifetime (a --watch process runs many passes): a pass reports its own
  const CallCounts before[2] = {conn[0]->calls(), conn[1]->calls()};
  for (auto& t : tables) t.clear();
  links.clear();
  for (auto& t : taken) t.clear();
  for (auto& c : claimed) c.clear();
  for (auto& m : made) m.clear();
  for (auto& u : unreadable) u.clear();
  for (auto& u : unreadable_ids) u.clear();
  logged_now.clear();
  for (int s = 0; s < 2; ++s)
    tomb_known[s].clear(), tomb_set[s].clear(), untaken[s].clear(), changed_ids[s].clear(), feeds[s].clear(),
        cursors_due[s].clear();
  targeted = false;
  intents.clear();
  errors_sf.clear();
  errors_hs.clear();
  if (auto st = store.Begin(); !st) {
    Fail("state store: " + st.message);
    return r;
  }
  {
    std::vector<store::StateStore::RunRecord> prev =
        o.dry_run ? std::vector<store::StateStore::RunRecord>{} : store.Runs(1);
    lag_since_ms = prev.empty() ? 0 : prev[0].started_at;
  }
  int64_t run = o.dry_run ? -1 : store.StartRun("pass");
  run_id = run;
  // new rules: every waiting error is due again
  if (!rs.rules_hash.empty() && store.GetMeta("rules_hash") != rs.rules_hash) {
    // Both or the pass fails: new rules recorded without the re-queue would leave the
    // errors waiting under the old ones in their backoff.
    base::Result<int> requeued = store.Requeue("");
    if (!requeued)
      Fail("state store: re-queueing the error log for the new rules failed: " + requeued.status().message);
    else if (base::Status st = store.PutMeta("rules_hash", rs.rules_hash); !st)
      Fail("state store: recording the new rules failed: " + st.message);
    full_pass = true;  // new rules: every pair is reconciled again
  }
  if (conn[0]->TargetedReads() || conn[1]->TargetedReads()) Check(store.PrepareRecordKeys());
  if (r.ok && Targetable()) {
    targeted = true;
    LoadTargeted();
    if (r.ok) LoadLinksTargeted();
  } else {
    for (auto& c : changed_ids) c.clear();
    LoadLinks();
  }
  if (r.ok) Conversions();
  for (SyncPlan& p : plans) {
    if (!r.ok) break;
    RunSync(p);
  }
  if (r.ok) Triggers();
  // the cursors, once every sync ran (a push pass moves none: the next usual pass reads what
  // no event named)
  for (int s = 0; s < 2 && r.ok && !o.dry_run && !o.only; ++s)
    for (const auto& [object, next] : cursors_due[s]) {
      if (!next.first.modstamp.empty()) Check(store.PutCursor(SystemName(s), object, next.first));
      // the connector's exact feed position as read, in the same transaction as the cursor: the
      // next targeted pass reads what came after it (nothing else changed since)
      Check(store.PutMeta(FeedKey(s, object), next.second));
    }
  if (r.ok && !o.dry_run) PruneHistory();
  if (r.ok) r.errors_waiting = static_cast<int64_t>(store.Errors("").size());
  r.salesforce_calls = {conn[0]->calls().reads - before[0].reads, conn[0]->calls().writes - before[0].writes};
  r.hubspot_calls = {conn[1]->calls().reads - before[1].reads, conn[1]->calls().writes - before[1].writes};
  if (o.dry_run) {
    (void)store.Rollback();  // a dry run's writes are discarded; nothing to report
  } else {
    if (run >= 0) {
      SyncStats t = r.Total();
      nlohmann::json stats = {{"created", t.created},     {"updated", t.updated}, {"linked", t.linked},
                              {"conflicts", t.conflicts}, {"errors", t.errors},   {"deleted", t.deleted}};
      // per sync and the API calls, for `accord status` and /metrics
      for (const auto& [name, s] : r.per_sync)
        stats["syncs"][name] = {{"created", s.created},     {"updated", s.updated}, {"linked", s.linked},
                                {"conflicts", s.conflicts}, {"errors", s.errors},   {"deleted", s.deleted}};
      stats["api_calls"] = {
          {"salesforce", {{"reads", r.salesforce_calls.reads}, {"writes", r.salesforce_calls.writes}}},
          {"hubspot", {{"reads", r.hubspot_calls.reads}, {"writes", r.hubspot_calls.writes}}}};
      stats["records_read"] = r.records_read;
      // the API limits as the systems last reported them, and the share --budget declared
      for (int i = 0; i < 2; ++i) {
        const connectors::ApiLimits l = conn[i]->limits();
        nlohmann::json lim = nlohmann::json::object();
        for (auto [key, v] : {std::pair<const char*, int64_t>{"daily_max", l.daily_max},
                              {"daily_used", l.daily_used},
                              {"burst_max", l.burst_max},
                              {"burst_remaining", l.burst_remaining},
                              {"burst_window_ms", l.burst_window_ms}})
          if (v >= 0) lim[key] = v;
        if (o.budget_share[i] > 0) lim["budget_share"] = o.budget_share[i];
        if (!lim.empty()) stats["api_limits"][i == 0 ? "salesforce" : "hubspot"] = lim;
      }
      for (auto& [name, lags] : r.lag_ms)  // (lifecycle triggers' writes are no sync's: not shown)
        if (r.per_sync.count(name)) stats["syncs"][name]["lag"] = LagStats(lags);
      stats["errors_by_category"] = r.errors_by_category;
      (void)store.FinishRun(run, r.ok ? "ok" : "failed", stats.dump());  // run history only; Commit below reports
    }
    if (auto st = store.Commit(); !st) Fail("state store: " + st.message);
  }
  report = nullptr;
  store.SetPhaseClock(nullptr);
  return r;
}

void Engine::Impl::LinkErrors(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id) {
  if (opts->dry_run) return;
  bool any = errors_sf.count({p.name, sf_id}) || errors_hs.count({p.name, hs_id}) ||
             logged_now.count({p.name, sf_id + "|"}) || logged_now.count({p.name, "|" + hs_id});
  if (any) Check(store.LinkErrors(p.name, sf_id, hs_id));
}

bool Engine::Impl::ClaimedByOther(const SyncPlan& p, int s, const std::string& object, const Record& r) const {
  if (auto it = claimed[s].find(Key(object, r.id)); it != claimed[s].end() && it->second != p.name) return true;
  auto m = made[s].find(object);
  if (m == made[s].end()) return false;
  for (const MadeClaim& c : m->second) {
    if (c.sync == p.name || c.slot < 0 || static_cast<size_t>(c.slot) >= r.values.size()) continue;
    const Text& v = r.values[c.slot];
    if (IsBlank(v)) continue;
    std::string k = !c.key ? *v : c.domain ? NormalizeDomain(*v) : Lower(std::string(base::Trim(*v)));
    if (k == c.value) return true;
  }
  return false;
}

void Engine::Impl::ClaimWhatItMade(const SyncPlan& p, int target, const nlohmann::json& intent) {
  if (!intent.is_object() || !intent.contains("fields")) return;
  const nlohmann::json& sent = intent["fields"];
  const schema::Object* to = target == 0 ? p.cs->salesforce : p.cs->hubspot;
  auto& list = made[target][to->name];
  if ((p.match == "email" || p.match == "domain") && IntentWrote(sent, to->fields, p.match_slot[target])) {
    std::string v = sent[to->fields[p.match_slot[target]].name].get<std::string>();
    list.push_back({p.match_slot[target], p.match == "domain" ? NormalizeDomain(v) : Lower(std::string(base::Trim(v))),
                    p.match == "domain", true, p.name});
  }
  if (IntentWrote(sent, to->fields, p.extid_slot[target]))
    list.push_back(
        {p.extid_slot[target], sent[to->fields[p.extid_slot[target]].name].get<std::string>(), false, false, p.name});
}

void Engine::Impl::LoadLinks() {
  for (const SyncPlan& p : plans) {
    auto& l = links[p.name];
    l = store.AllLinks(p.name);
    for (const store::Link& k : l) {
      Take(0, p.cs->salesforce->name, k.salesforce_id, p.name);
      Take(1, p.cs->hubspot->name, k.hubspot_id, p.name);
    }
    for (const store::Intent& in : store.AllIntents(p.name)) {
      int target = in.target_system == "salesforce" ? 0 : 1;
      intents[p.name][{target, in.source_id}] = nlohmann::json::parse(in.data.empty() ? "{}" : in.data, nullptr, false);
      Claim(p, target == 0 ? Side::kHubSpot : Side::kSalesforce, in.source_id);
      ClaimWhatItMade(p, target, intents[p.name][{target, in.source_id}]);
    }
  }
  for (const store::SyncError& e : store.Errors("")) {
    if (!e.salesforce_id.empty()) errors_sf[{e.sync, e.salesforce_id}] = e;
    if (!e.hubspot_id.empty()) errors_hs[{e.sync, e.hubspot_id}] = e;
  }
}

void Engine::Impl::SaveSeenAndNotes(const SyncPlan& p, bool done) {
  if (!opts->dry_run && report->ok) {
    for (const SeenNow& s : seen_now) {
      const store::SeenChange& c = s.change;
      auto it = seen.find(SeenKey(c.salesforce_id, c.field, c.side));
      // unsettled: the pair ends the pass with an error, so the change is seen again next pass
      bool keep = s.changed && logged_now.count({p.name, c.salesforce_id + "|" + s.hubspot_id});
      if (keep && (it == seen.end() || it->second.value != c.value || it->second.stamp != c.stamp))
        Check(store.PutSeen(c));
      else if (!keep && it != seen.end())
        Check(store.DropSeen(p.name, c.salesforce_id, c.field, c.side));
    }
    for (auto& [pair, note] : notes_now) Check(store.RecordError(note));
  }
  seen_now.clear();
  notes_now.clear();
  note_parts.clear();
  if (done) seen.clear();
}

void Engine::Impl::PrefetchTombstones(int side, std::vector<std::string> ids) {
  tomb_known[side].clear();
  tomb_set[side].clear();
  auto got = store.Tombstoned(SystemName(side), ids);
  if (!got) return Fail("state store: " + got.status().message);
  tomb_set[side] = std::move(*got);
  tomb_known[side].insert(std::make_move_iterator(ids.begin()), std::make_move_iterator(ids.end()));
}

void Engine::Impl::PrefetchShadows(const SyncPlan& p, const std::vector<std::string>& sf_ids) {
  shadow_batch.clear();
  shadow_known.clear();
  auto got = store.ShadowsOf(p.name, sf_ids);
  if (!got) return Fail("state store: " + got.status().message);
  shadow_batch = std::move(*got);
  shadow_known.insert(sf_ids.begin(), sf_ids.end());
}

std::vector<store::Shadow> Engine::Impl::TakeShadows(const SyncPlan& p, const std::string& sf_id) {
  // taken once: a pair's shadows move once it is reconciled (and a merge moves them to another id)
  if (!shadow_known.erase(sf_id)) return store.Shadows(p.name, sf_id);
  auto it = shadow_batch.find(sf_id);
  if (it == shadow_batch.end()) return {};
  std::vector<store::Shadow> out = std::move(it->second);
  shadow_batch.erase(it);
  return out;
}

bool Engine::Impl::Tombstoned(int side, const std::string& id) {
  if (tomb_set[side].count(id)) return true;
  if (tomb_known[side].count(id)) return false;
  return store.IsTombstoned(SystemName(side), id);
}

void Engine::Impl::AddTombstone(int side, const std::string& id) {
  Check(store.AddTombstone(SystemName(side), id));
  tomb_set[side].insert(id);
}

void Engine::Impl::Check(const store::Status& st) {
  if (!st) Fail("state store: " + st.message);
}

Text Engine::Impl::SideValue(const SyncPlan& p, const RulePair& rp, int side, const Record* r,
                             const rt::Value* mapped_out) {
  if (rp.slot[side] >= 0) return r ? r->values[rp.slot[side]] : std::nullopt;
  // a computed side: its value is what the rule computes toward the other side
  int other = 1 - side;
  if (rp.out[other] < 0 || !mapped_out) return std::nullopt;
  const rt::Value& v = mapped_out[rp.out[other]];
  if (v.is_error() || ir::IsSkip(v)) return std::nullopt;
  const ir::OutField& of = p.mapping[other]->outs[rp.out[other]];
  base::Result<Text> text = ValueText(SystemOf(other == 0 ? Side::kSalesforce : Side::kHubSpot), *of.field, v);
  return text ? *text : Text();
}

// The lifecycle of a HubSpot field, if it has one.
const Lifecycle* Engine::Impl::LifecycleOf(const schema::Object* o, int slot) {
  for (const Lifecycle& l : lifecycles)
    if (l.object == o && l.slot == slot) return &l;
  return nullptr;
}

Engine::Impl::Mapped Engine::Impl::Map(const SyncPlan& p, int toward, const Record* sf, const Record* hs) {
  Mapped m;
  if (p.handle_map[toward] < 0) return m;
  m.result = Run(p.handle_map[toward], p, sf, hs, p.mapping[toward]->outs.size());
  m.out = outs;
  m.ran = true;
  return m;
}

Engine::Engine(RuleSetView rules, jit::EngineKind kind, store::StateStore& store, Connector& salesforce,
               Connector& hubspot)
    : impl_(std::make_unique<Impl>(std::move(rules), kind, store, salesforce, hubspot)) {}
Engine::~Engine() = default;

PassReport Engine::RunPass(const PassOptions& options) { return impl_->RunPass(options); }

std::vector<std::string> Engine::TakeWarnings() { return impl_->jit.TakeWarnings(); }

// ---- Targeted passes ----

// A pass is targeted when both connectors read by change and by id, the rules are those of the
// last pass, every object has a cursor and a complete key index, and nothing needs a whole
// read: no create in flight (its record is found by what it sent, among every record), no
// record that could not be read (its entry is replaced by each whole read), no lifecycle
// trigger over a Salesforce object that has records (its targets are found by scanning).
bool Engine::Impl::Targetable() {
  // (a push pass, PassOptions::only, reads as a whole pass does and keeps to the records named)
  if (!opts->targeted || opts->only || !conn[0]->TargetedReads() || !conn[1]->TargetedReads() || opts->full ||
      full_pass)
    return false;
  for (const store::SyncError& e : store.Errors(""))
    if (e.sync == store::kReadErrorsSync) return false;
  for (const Lifecycle& lc : lifecycles)
    for (const ir::TriggerPlan& tr : lc.plan->triggers) {
      if (tr.side != Side::kSalesforce) continue;
      const schema::Object* src = rs.schemas->Find(System::kSalesforce, tr.object);
      if (!src) continue;
      std::vector<std::string> ids;
      std::vector<ReadProblem> problems;
      if (!conn[0]->ChangedIds(*src, INT64_MIN, "", &ids, &problems) || !ids.empty() || !problems.empty()) return false;
    }
  for (const SyncPlan& p : plans) {
    if (!store.AllIntents(p.name).empty()) return false;
    for (int s = 0; s < 2; ++s) {
      const schema::Object* o = s == 0 ? p.cs->salesforce : p.cs->hubspot;
      if (changed_ids[s].count(o->name)) continue;
      for (const KeyKind& k : key_kinds[s][o->name])
        if (store.GetMeta("record_keys:" + k.name).value_or("") != "complete") return false;
      // (no cursor: no pass has read a record of it yet; fine while it has none)
      std::optional<store::Cursor> c = store.GetCursor(SystemName(s), o->name);
      std::vector<std::string> ids;
      std::vector<ReadProblem> problems;
      base::ScopedPhase phase(clock, "read");
      std::string position = c ? store.GetMeta(FeedKey(s, o->name)).value_or("") : "";
      if (!conn[s]->ChangedIds(*o, c ? StampMs(c->modstamp) - opts->cursor_overlap_ms : INT64_MIN, position, &ids,
                               &problems) ||
          !problems.empty() || (!c && !ids.empty()))
        return false;
      changed_ids[s][o->name] = std::move(ids);
      feeds[s][o->name] = conn[s]->FeedPosition(*o);
    }
  }
  return true;
}

void Engine::Impl::Fetch(Table& t, const std::vector<std::string>& ids, bool feed) {
  base::ScopedPhase phase(clock, "read");
  int s = t.system == System::kSalesforce ? 0 : 1;
  const std::string source = std::string(SystemName(s)) + "." + t.object->name;
  for (size_t start = 0; start < ids.size() && report->ok; start += store::StateStore::kKeyBatch) {
    std::vector<std::string> batch(
        ids.begin() + static_cast<long>(start),
        ids.begin() + static_cast<long>(std::min(ids.size(), start + store::StateStore::kKeyBatch)));
    std::vector<Record> recs;
    std::vector<ReadProblem> problems;
    if (base::Status st = conn[s]->ReadByIds(*t.object, batch, &recs, &problems); !st)
      return Fail("reading " + source + ": " + st.message);
    std::unordered_set<std::string> got;
    for (const Record& r : recs) got.insert(r.id);
    for (const std::string& id : batch)
      if (!got.count(id)) t.absent.insert(id);
    // a record that could not be read: logged as a whole read logs it (the next pass reads whole)
    unreadable[s][t.object->name] += problems.size();
    for (const ReadProblem& rp : problems) {
      std::string id = rp.record_id.empty() ? rp.where : rp.record_id;
      Error("", Category::kTransport, source, s == 0 ? id : "", s == 1 ? id : "", rp.message, true, t.system,
            t.object->name);
    }
    AddRecords(t, std::move(recs), feed);
  }
}

void Engine::Impl::LoadTargeted() {
  for (int s = 0; s < 2; ++s)
    for (auto& [name, ids] : changed_ids[s]) {
      Table& t = tables[s][name];
      for (const SyncPlan& p : plans)
        if ((s == 0 ? p.cs->salesforce : p.cs->hubspot)->name == name)
          t.object = s == 0 ? p.cs->salesforce : p.cs->hubspot;
      t.system = s == 0 ? System::kSalesforce : System::kHubSpot;
      std::optional<store::Cursor> c = store.GetCursor(SystemName(s), name);
      t.since_ms = c ? StampMs(c->modstamp) - opts->cursor_overlap_ms : -1;
      t.fetch = [this](Table& table, const std::vector<std::string>& want) { Fetch(table, want, false); };
      t.feed = feeds[s][name];
      // the change feed read once, a batch at a time, for the next cursor, the merges and the key
      // index; the pairs' windows read their records again by id
      for (size_t start = 0; start < ids.size() && report->ok; start += store::StateStore::kKeyBatch) {
        Fetch(t,
              std::vector<std::string>(
                  ids.begin() + static_cast<long>(start),
                  ids.begin() + static_cast<long>(std::min(ids.size(), start + store::StateStore::kKeyBatch))),
              true);
        t.Clear();
      }
    }
}

void Engine::Impl::AddLinksOf(const SyncPlan& p, int s, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  std::vector<std::string> want(ids);
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  auto got = store.LinksOf(p.name, s, want);
  if (!got) return Fail("state store: " + got.status().message);
  auto& own = links[p.name];
  std::unordered_set<std::string> have;
  for (const store::Link& l : own) have.insert(l.salesforce_id);
  for (store::Link& l : *got) {
    if (!have.insert(l.salesforce_id).second) continue;
    Take(0, p.cs->salesforce->name, l.salesforce_id, p.name);
    Take(1, p.cs->hubspot->name, l.hubspot_id, p.name);
    own.push_back(std::move(l));
  }
}

void Engine::Impl::LoadLinksTargeted() {
  for (const store::SyncError& e : store.Errors("")) {
    if (!e.salesforce_id.empty()) errors_sf[{e.sync, e.salesforce_id}] = e;
    if (!e.hubspot_id.empty()) errors_hs[{e.sync, e.hubspot_id}] = e;
  }
  for (const SyncPlan& p : plans) {
    links[p.name];  // (a sync with nothing changed has no links this pass)
    // the links of the changed records, of the records with an entry in the error log and
    // of updates in flight; then their partners and the logged records, in batches
    std::vector<std::string> ids[2] = {changed_ids[0][p.cs->salesforce->name], changed_ids[1][p.cs->hubspot->name]};
    std::vector<std::string> logged[2];
    for (const auto& [key, e] : errors_sf)
      if (key.first == p.name) logged[0].push_back(key.second);
    for (const auto& [key, e] : errors_hs)
      if (key.first == p.name) logged[1].push_back(key.second);
    for (const store::PendingUpdate& pu : store.Pending(p.name)) logged[0].push_back(pu.salesforce_id);
    for (int s = 0; s < 2; ++s) {
      ids[s].insert(ids[s].end(), logged[s].begin(), logged[s].end());
      AddLinksOf(p, s, ids[s]);
    }
  }
}

const std::string* Engine::Impl::TakenBy(int s, const std::string& object, const std::string& id) {
  std::string k = Key(object, id);
  if (auto it = taken[s].find(k); it != taken[s].end()) return &it->second;
  if (!targeted || untaken[s].count(k)) return nullptr;
  PrefetchTaken(s, object, {id});
  auto it = taken[s].find(k);
  return it == taken[s].end() ? nullptr : &it->second;
}

void Engine::Impl::PrefetchTaken(int s, const std::string& object, const std::vector<std::string>& ids) {
  if (!targeted) return;
  std::vector<std::string> want;
  for (const std::string& id : ids)
    if (std::string k = Key(object, id); !taken[s].count(k) && !untaken[s].count(k)) want.push_back(id);
  if (want.empty()) return;
  for (const SyncPlan& q : plans) {
    if ((s == 0 ? q.cs->salesforce : q.cs->hubspot)->name != object) continue;
    auto got = store.LinksOf(q.name, s, want);
    if (!got) return Fail("state store: " + got.status().message);
    for (const store::Link& l : *got) taken[s][Key(object, s == 0 ? l.salesforce_id : l.hubspot_id)] = q.name;
  }
  for (const std::string& id : want)
    if (std::string k = Key(object, id); !taken[s].count(k)) untaken[s].insert(k);
}

void Engine::Impl::PrefetchMatches(const SyncPlan& p, Table* t[2], std::unordered_set<std::string> linked_ids[2]) {
  base::ScopedPhase phase(clock, "match");
  const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
  // the unlinked records this pass has work for (changed, or with an entry in the log)
  std::vector<std::string> keys, ids[2];
  for (int s = 0; s < 2; ++s) {
    std::vector<std::string> all;
    for (const Record& r : t[s]->records) all.push_back(r.id);
    PrefetchTaken(s, obj[s]->name, all);
    for (const Record& r : t[s]->records) {
      if (r.deleted || linked_ids[s].count(r.id) || TakenBy(s, obj[s]->name, r.id) ||
          ClaimedByOther(p, s, obj[s]->name, r) || Stale(p, s, r, *t[s]))
        continue;
      if (std::string k = MatchKey(p, s, r); !k.empty() && !KindName(p, s, false).empty()) keys.push_back(k);
      ids[s].push_back(r.id);
    }
  }
  if (ids[0].empty() && ids[1].empty()) return;
  // every record with one of their keys, or carrying one of their ids in the external id
  // field, on either side: what by_key, by_ext, sibling and ended keys are built from
  for (int x = 0; x < 2 && report->ok; ++x) {
    std::vector<std::string> found;
    auto lookup = [&](const std::string& kind, const std::vector<std::string>& values) {
      if (kind.empty() || values.empty()) return;
      auto got = store.RecordsByKey(kind, values);
      if (!got) return Fail("state store: " + got.status().message);
      for (auto& [key, id] : *got) found.push_back(std::move(id));
    };
    lookup(KindName(p, x, false), keys);
    lookup(KindName(p, x, true), ids[1 - x]);
    if (found.empty()) continue;
    t[x]->Prefetch(found);
    AddLinksOf(p, x, found);
    PrefetchTaken(x, obj[x]->name, found);
  }
}

}  // namespace accord::sync
