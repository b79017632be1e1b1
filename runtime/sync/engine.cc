#include "runtime/sync/engine.h"
#include "runtime/sync/reconcile.h"


#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "runtime/record.h"

namespace accord::sync {

using ast::Side;
using schema::System;

std::string_view CategoryName(Category c) {
  switch (c) {
#define X(name, doc) \
  case Category::k##name: return #name;
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
    case Event::Kind::kCreate: return "create";
    case Event::Kind::kUpdate: return "update";
    case Event::Kind::kLink: return "link";
    case Event::Kind::kConflict: return "conflict";
    case Event::Kind::kSkip: return "skip";
    case Event::Kind::kError: return "error";
    case Event::Kind::kDelete: return "delete";
    case Event::Kind::kConvert: return "convert";
    case Event::Kind::kLifecycle: return "lifecycle";
    case Event::Kind::kUnlink: return "unlink";
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

namespace {

int SideIndex(Side s) { return s == Side::kSalesforce ? 0 : 1; }
System SystemOf(Side s) { return s == Side::kSalesforce ? System::kSalesforce : System::kHubSpot; }
bool Same(const Text& a, const Text& b) {
  if (IsBlank(a) || IsBlank(b)) return IsBlank(a) && IsBlank(b);
  return *a == *b;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The text a value has once written to `f` of `system` (what the system
// would store and give back); an error value gives *error.
Text ValueText(System system, const schema::Field& f, const rt::Value& v, std::string* error) {
  if (v.is(rt::Kind::kNull)) return std::nullopt;
  if (v.is(rt::Kind::kString)) return std::string(v.str());
  std::string out;
  if (!rec::AppendFieldValue(system, f, v, out, error)) return std::nullopt;
  if (!out.empty() && out[0] == '"') {
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_string()) return j.get<std::string>();
  }
  if (out == "null") return std::nullopt;
  return out;
}

// A field's text in its canonical form (numbers and dates as the engine
// writes them), so that "5000000.0" and "5000000" compare equal.
Text Canon(System system, const schema::Field& f, const Text& t) {
  if (!t || t->empty() || f.type == schema::FieldType::kString) return t;
  rt::Value v = rec::FromText(f, *t);
  if (v.is_error()) return t;
  std::string err;
  Text c = ValueText(system, f, v, &err);
  return err.empty() ? c : t;
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}
std::string TrimText(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}
std::string NormalizeDomain(std::string s) {
  s = Lower(TrimText(s));
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

// The records of one object in this pass.
struct Table {
  const schema::Object* object = nullptr;
  System system = System::kSalesforce;
  int64_t since_ms = -1;   // the previous pass's cursor minus the overlap; -1: every record is new
  store::Cursor newest;    // the newest record as read (before this pass writes), the next cursor
  std::vector<Record> records;
  std::unordered_map<std::string, size_t> by_id;
  Record* Find(const std::string& id) {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &records[it->second];
  }
};

struct ShadowEntry {
  Text base_sf, base_hs;
};
using ShadowMap = std::map<std::string, ShadowEntry>;

// A field rule as the reconcile sees it.
struct RulePair {
  const ast::FieldRule* rule = nullptr;
  std::string key;  // shadow key
  int slot[2] = {-1, -1};  // plain field slot per side (-1: computed)
  int out[2] = {-1, -1};   // output index of the mapping toward side (0: to Salesforce, 1: to HubSpot)
  ast::ConflictPolicy policy;
  std::string loc;
};

struct Assoc {
  const ast::Associate* decl = nullptr;
  int sf_slot = -1;
  std::string parent_object;  // Salesforce object of the reference
};

struct SyncPlan {
  const ir::CompiledSync* cs = nullptr;
  std::string name;
  std::vector<RulePair> pairs;
  std::vector<Assoc> assocs;
  std::string match;  // email | domain | link | fields
  int match_slot[2] = {-1, -1};
  int extid_slot[2] = {-1, -1};  // target field holding the other side's record id, per side
  const ast::CreateRule* create[2] = {nullptr, nullptr};  // create in side
  ast::DeleteKind del = ast::DeleteKind::kKeep;
  std::optional<Side> del_from;
  std::string converts_to;
  int handle_map[2] = {-1, -1};    // mapping toward side
  int handle_create[2] = {-1, -1};  // on create defaults for side
  int handle_scope[2] = {-1, -1};
  int handle_when[2] = {-1, -1};
  const ir::Mapping* mapping[2] = {nullptr, nullptr};
  const ir::Mapping* on_create[2] = {nullptr, nullptr};
};

struct Lifecycle {
  const ast::LifecycleDecl* decl = nullptr;
  const schema::Object* object = nullptr;  // HubSpot object
  int slot = -1;
  std::vector<std::string> order;
  bool forward_only = false;
  int Rank(const Text& t) const {
    if (!t) return -1;
    for (size_t i = 0; i < order.size(); ++i)
      if (order[i] == *t) return static_cast<int>(i);
    return -1;
  }
};

// One write the pass will send, with what moves in the store once it is acknowledged.
struct PendingWrite {
  WriteOp op;
  std::string stamp;  // the pair's newest modstamp when the write was planned
  size_t plan_index = 0;
  std::string sf_id, hs_id;  // the pair (the new side is empty for a create)
  Side source = Side::kSalesforce;
  ShadowMap shadows_on_ack;   // for creates: the shadows of the new pair
  std::vector<std::pair<std::string, ShadowEntry>> shadow_updates;  // for updates
  std::vector<FieldChange> changes;
  std::string lifecycle_field;  // lifecycle trigger bookkeeping (shadow key)
  std::string lifecycle_record;
  Text lifecycle_value;
};

}  // namespace

struct Engine::Impl {
  RuleSetView rs;
  jit::Engine jit;
  store::StateStore& store;
  Connector* conn[2];
  std::vector<SyncPlan> plans;
  std::vector<Lifecycle> lifecycles;
  std::vector<std::string> warnings;

  // per pass
  PassReport* report = nullptr;
  const PassOptions* opts = nullptr;
  std::map<std::string, Table> tables[2];  // per side, by object name
  std::map<std::string, std::vector<store::Link>> links;  // per sync
  // ids linked in any sync, per object: "object\x1fid" -> sync
  std::unordered_map<std::string, std::string> taken[2];
  std::map<std::pair<std::string, std::string>, store::SyncError> errors_sf, errors_hs;  // (sync, id)
  std::set<std::pair<std::string, std::string>> clean;  // (sync, pair key) processed without error
  ir::Frame frame;
  std::vector<rt::Value> slots[2], outs;
  // The newest modstamp of the record(s) being processed: an error logged now
  // waits until it changes.
  std::string cur_stamp;
  std::unordered_set<std::string> recovered;  // pairs with an update in flight at the last crash
  // Records that could not be read this pass, per side and object: one of them may be
  // the record a create would duplicate.
  std::map<std::string, size_t> unreadable[2];
  // (sync, "sf|hs") of every error logged in this pass
  std::set<std::pair<std::string, std::string>> logged_now;
  // Create intents left by earlier passes (a lost response, a crash), per sync:
  // (target side, source id) -> what the create wrote and its pair's shadows.
  std::map<std::string, std::map<std::pair<int, std::string>, nlohmann::json>> intents;
  bool full_pass = false;
  // Both records' stamps ("sf|hs"): an error waits until either record changes. (The
  // newest of the two would hide a change of the record whose system's clock is behind.)
  static std::string PairStamp(const Record* sf, const Record* hs) {
    return (sf ? sf->modstamp : std::string()) + "|" + (hs ? hs->modstamp : std::string());
  }
  void SetStamp(const Record* a, const Record* b) { cur_stamp = PairStamp(a, b); }

  Impl(RuleSetView r, jit::EngineKind kind, store::StateStore& s, Connector& sf, Connector& hs)
      : rs(std::move(r)), jit(kind), store(s) {
    conn[0] = &sf;
    conn[1] = &hs;
    Build();
  }

  // ---- set-up ------------------------------------------------------------

  const sema::FieldRef* PlainField(const ast::Expr* e) const {
    if (!e || e->parens > 0) return nullptr;
    if (e->kind != ast::ExprKind::kIdent && e->kind != ast::ExprKind::kSelect) return nullptr;
    auto it = rs.model->fields.find(e);
    return it == rs.model->fields.end() || !it->second.field ? nullptr : &it->second;
  }

  void Build() {
    for (const auto& cs : rs.rules->syncs) {
      SyncPlan p;
      p.cs = &cs;
      p.name = cs.name;
      ast::ConflictPolicy conflict_default;
      for (const auto& item : cs.decl->items)
        if (auto* c = std::get_if<ast::ConflictDefault>(&item)) conflict_default = c->policy;
      for (Side s : {Side::kSalesforce, Side::kHubSpot}) {
        int i = SideIndex(s);
        p.mapping[i] = cs.Toward(s);
        p.on_create[i] = s == Side::kHubSpot ? cs.create_hubspot.get() : cs.create_salesforce.get();
        if (p.mapping[i]) p.handle_map[i] = jit.Add(&p.mapping[i]->program);
        if (p.on_create[i]) p.handle_create[i] = jit.Add(&p.on_create[i]->program);
        if (cs.Scope(s)) p.handle_scope[i] = jit.Add(cs.Scope(s));
        if (cs.CreateWhen(s)) p.handle_when[i] = jit.Add(cs.CreateWhen(s));
      }
      const schema::Object* obj[2] = {cs.salesforce, cs.hubspot};
      for (const auto& item : cs.decl->items) {
        if (auto* r = std::get_if<ast::FieldRule>(&item)) {
          RulePair rp;
          rp.rule = r;
          rp.policy = r->conflict ? *r->conflict : conflict_default;
          std::string names[2];
          const ast::Expr* side_expr[2] = {r->salesforce.get(), r->hubspot.get()};
          for (int i = 0; i < 2; ++i) {
            const sema::FieldRef* fr = PlainField(side_expr[i]);
            if (fr && fr->object == obj[i]) {
              rp.slot[i] = static_cast<int>(fr->field - obj[i]->fields.data());
              names[i] = fr->field->name;
            } else {
              names[i] = "=" + std::to_string(r->range.begin);
            }
          }
          rp.key = names[0] + "|" + names[1];
          for (int i = 0; i < 2; ++i) {
            if (!p.mapping[i]) continue;
            for (size_t k = 0; k < p.mapping[i]->outs.size(); ++k)
              if (p.mapping[i]->outs[k].decl == r) {
                rp.out[i] = static_cast<int>(k);
                rp.loc = p.mapping[i]->outs[k].rule;
              }
          }
          if (rp.out[0] < 0 && rp.out[1] < 0) continue;
          // the record id mapped into a field of the other side is an external id
          if (rp.slot[0] >= 0 && obj[0]->fields[rp.slot[0]].name == "Id" && rp.slot[1] >= 0 && rp.out[1] >= 0)
            p.extid_slot[1] = rp.slot[1];
          if (rp.slot[1] >= 0 && obj[1]->fields[rp.slot[1]].name == "hs_object_id" && rp.slot[0] >= 0 && rp.out[0] >= 0)
            p.extid_slot[0] = rp.slot[0];
          p.pairs.push_back(std::move(rp));
        } else if (auto* m = std::get_if<ast::MatchRule>(&item)) {
          if (m->explicit_fields) {
            p.match = "fields";
            if (auto* f = obj[0]->FindField(m->sf_field.text)) p.match_slot[0] = static_cast<int>(f - obj[0]->fields.data());
            if (auto* f = obj[1]->FindField(m->hs_field.text)) p.match_slot[1] = static_cast<int>(f - obj[1]->fields.data());
          } else {
            p.match = m->key.text;
            const char* names[2] = {"", ""};
            if (p.match == "email") names[0] = "Email", names[1] = "email";
            if (p.match == "domain") names[0] = "Website", names[1] = "domain";
            for (int i = 0; i < 2; ++i)
              if (auto* f = obj[i]->FindField(names[i])) p.match_slot[i] = static_cast<int>(f - obj[i]->fields.data());
          }
        } else if (auto* c = std::get_if<ast::CreateRule>(&item)) {
          p.create[SideIndex(c->side)] = c;
        } else if (auto* d = std::get_if<ast::DeleteRule>(&item)) {
          p.del = d->kind;
          p.del_from = d->from;
        } else if (auto* cv = std::get_if<ast::ConvertsTo>(&item)) {
          p.converts_to = cv->sync.text;
        } else if (auto* a = std::get_if<ast::Associate>(&item)) {
          Assoc as;
          as.decl = a;
          if (auto* f = obj[0]->FindField(a->sf_field.text)) {
            as.sf_slot = static_cast<int>(f - obj[0]->fields.data());
            if (!f->reference_to.empty()) as.parent_object = f->reference_to.front();
          }
          p.assocs.push_back(as);
        }
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
        for (const Assoc& a : plans[i].assocs) parent |= plans[j].cs->hubspot->name == a.decl->hs_object.text;
        if (parent) visit(j, depth + 1);
      }
      if (!done[i]) ordered.push_back(std::move(plans[i])), done[i] = true;
    };
    for (size_t i = 0; i < plans.size(); ++i) visit(i, 0);
    plans = std::move(ordered);

    for (const ast::LifecycleDecl* d : rs.lifecycles) {
      Lifecycle l;
      l.decl = d;
      if (d->property.side != Side::kHubSpot && d->property.side != Side::kSalesforce) continue;
      l.object = rs.schemas->Find(SystemOf(d->property.side), d->property.object.text);
      if (!l.object) continue;
      if (auto* f = l.object->FindField(d->property.field.text)) l.slot = static_cast<int>(f - l.object->fields.data());
      for (const auto& item : d->items) {
        if (auto* o = std::get_if<ast::StageOrder>(&item))
          for (const auto& st : o->stages) l.order.push_back(st.name);
        if (std::get_if<ast::ForwardOnly>(&item)) l.forward_only = true;
      }
      if (l.slot >= 0) lifecycles.push_back(std::move(l));
    }
  }

  // ---- helpers -------------------------------------------------------------

  Table* Load(Side side, const schema::Object* object) {
    auto& t = tables[SideIndex(side)][object->name];
    if (t.object) return &t;
    t.object = object;
    t.system = SystemOf(side);
    std::vector<ReadProblem> problems;
    std::string error;
    if (!conn[SideIndex(side)]->Load(*object, &t.records, &problems, &error)) {
      Fail("reading " + std::string(ast::SideName(side)) + "." + object->name + ": " + error);
      return &t;
    }
    unreadable[SideIndex(side)][object->name] += problems.size();
    for (const ReadProblem& p : problems) {
      std::string id = p.record_id.empty() ? p.where : p.record_id;
      Error("", Category::kTransport, "", side == Side::kSalesforce ? id : "", side == Side::kHubSpot ? id : "",
            p.message, true, t.system, object->name);
    }
    if (!opts->full && !full_pass) {
      if (auto c = store.GetCursor(side == Side::kSalesforce ? "salesforce" : "hubspot", object->name))
        t.since_ms = StampMs(c->modstamp) - opts->cursor_overlap_ms;
    }
    for (size_t i = 0; i < t.records.size(); ++i) {
      const Record& r = t.records[i];
      if (r.modstamp > t.newest.modstamp || (r.modstamp == t.newest.modstamp && r.id > t.newest.last_id))
        t.newest = {r.modstamp, r.id};
      for (auto& [f, text] : t.records[i].values.items()) text = Canon(t.system, object->fields[f], text);
      t.by_id[t.records[i].id] = i;
    }
    report->records_read += static_cast<int64_t>(t.records.size());
    return &t;
  }

  void Fail(const std::string& why) {
    if (report->ok) report->failure = why;
    report->ok = false;
  }

  void Emit(Event e) {
    if (opts->keep_events) report->events.push_back(std::move(e));
  }

  void Error(const std::string& sync, Category cat, const std::string& rule, const std::string& sf_id,
             const std::string& hs_id, const std::string& message, bool permanent, System target,
             const std::string& object) {
    ++report->errors_by_category[std::string(CategoryName(cat))];
    logged_now.insert({sync, sf_id + "|" + hs_id});
    if (!sync.empty()) ++report->per_sync[sync].errors;
    else ++report->read_errors;
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
    se.sync = sync.empty() ? "(read)" : sync;
    se.category = e.category;
    se.rule = rule;
    se.salesforce_id = sf_id;
    se.hubspot_id = hs_id;
    se.message = message;
    se.permanent = permanent;
    se.record_stamp = cur_stamp;
    if (auto st = store.RecordError(se); !st) Fail("state store: " + st.message);
  }

  std::string ErrorRule(const rt::Value& v, const std::string& fallback) {
    rt::Location l = v.error_location();
    if (l.file) return std::string(l.file) + ":" + std::to_string(l.line) + ":" + std::to_string(l.col);
    return fallback;
  }

  Category CategoryOfValue(const rt::Value& v) {
    if (v.error_code() == rt::ErrorCode::kRejected || v.error_code() == rt::ErrorCode::kConversion)
      return Category::kPropertyValues;
    return Category::kRuleErrors;
  }

  void FillSlots(const schema::Object& o, const Record* r, std::vector<rt::Value>& s) {
    s.assign(o.fields.size(), rt::Value::Null());
    if (!r) return;
    for (const auto& [i, text] : r->values.items())
      if (i < s.size() && text) s[i] = rec::FromText(o.fields[i], *text);
  }

  // Runs a program over (sf, hs) records; returns its result.
  rt::Value Run(int handle, const SyncPlan& p, const Record* sf, const Record* hs, size_t n_outs) {
    FillSlots(*p.cs->salesforce, sf, slots[0]);
    FillSlots(*p.cs->hubspot, hs, slots[1]);
    const rt::Value* recs[2] = {slots[0].data(), slots[1].data()};
    outs.assign(std::max<size_t>(n_outs, 1), rt::Value::Null());
    return jit.Run(handle, frame, ir::Inputs{recs, outs.data()});
  }

  // nullopt: in scope; otherwise the reason it is not (or an error).
  bool InScope(const SyncPlan& p, Side side, const Record* sf, const Record* hs, rt::Value* error) {
    int h = p.handle_scope[SideIndex(side)];
    if (h < 0) return true;
    rt::Value v = Run(h, p, sf, hs, 0);
    if (v.is_error()) {
      *error = v;
      return false;
    }
    return v.is(rt::Kind::kBool) && v.bool_value();
  }

  std::string Key(const std::string& object, const std::string& id) { return object + '\x1f' + id; }

  static const char* SystemName(int side) { return side == 0 ? "salesforce" : "hubspot"; }

  // The intent an earlier pass left for creating `source_id` in side `target`, if any.
  const nlohmann::json* IntentOf(const SyncPlan& p, int target, const std::string& source_id) {
    auto it = intents.find(p.name);
    if (it == intents.end()) return nullptr;
    auto jt = it->second.find({target, source_id});
    return jt == it->second.end() ? nullptr : &jt->second;
  }
  void DropIntent(const SyncPlan& p, int target, const std::string& source_id) {
    if (auto it = intents.find(p.name); it != intents.end()) it->second.erase({target, source_id});
    if (!opts->dry_run) Check(store.RemoveIntent(p.name, SystemName(target), source_id));
  }
  // The shadows an intent gave the pair it was creating.
  static ShadowMap IntentShadows(const nlohmann::json& in) {
    ShadowMap sm;
    if (!in.is_object() || !in.contains("shadows") || !in["shadows"].is_object()) return sm;
    for (auto& [key, pair] : in["shadows"].items()) {
      if (!pair.is_array() || pair.size() != 2) continue;
      sm[key] = ShadowEntry{pair[0].is_string() ? Text(pair[0].get<std::string>()) : std::nullopt,
                            pair[1].is_string() ? Text(pair[1].get<std::string>()) : std::nullopt};
    }
    return sm;
  }
  static std::string IntentJson(const schema::Object& target, const PendingWrite& pw) {
    nlohmann::json j = {{"fields", nlohmann::json::object()}, {"shadows", nlohmann::json::object()}};
    for (const auto& [slot, text] : pw.op.fields)
      j["fields"][target.fields[slot].name] = text ? nlohmann::json(*text) : nlohmann::json(nullptr);
    for (const auto& [key, e] : pw.shadows_on_ack)
      j["shadows"][key] = {e.base_sf ? nlohmann::json(*e.base_sf) : nlohmann::json(nullptr),
                           e.base_hs ? nlohmann::json(*e.base_hs) : nlohmann::json(nullptr)};
    return j.dump();
  }

  // ---- the pass ------------------------------------------------------------

  PassReport RunPass(const PassOptions& o) {
    PassReport r;
    report = &r;
    opts = &o;
    full_pass = false;
    // the connectors count over their lifetime (a --watch process runs many passes): a pass reports its own
    const CallCounts before[2] = {conn[0]->calls(), conn[1]->calls()};
    for (auto& t : tables) t.clear();
    links.clear();
    for (auto& t : taken) t.clear();
    for (auto& u : unreadable) u.clear();
    logged_now.clear();
    intents.clear();
    errors_sf.clear();
    errors_hs.clear();
    if (auto st = store.Begin(); !st) {
      Fail("state store: " + st.message);
      return r;
    }
    int64_t run = o.dry_run ? -1 : store.StartRun("pass");
    // new rules: every waiting error is due again
    if (!rs.rules_hash.empty() && store.GetMeta("rules_hash") != rs.rules_hash) {
      store.Requeue("");
      store.PutMeta("rules_hash", rs.rules_hash);
      full_pass = true;  // new rules: every pair is reconciled again
    }
    LoadLinks();
    if (r.ok) Conversions();
    for (SyncPlan& p : plans) {
      if (!r.ok) break;
      RunSync(p);
    }
    if (r.ok) Triggers();
    if (r.ok) r.errors_waiting = static_cast<int64_t>(store.Errors("").size());
    r.salesforce_calls = {conn[0]->calls().reads - before[0].reads, conn[0]->calls().writes - before[0].writes};
    r.hubspot_calls = {conn[1]->calls().reads - before[1].reads, conn[1]->calls().writes - before[1].writes};
    if (o.dry_run) {
      store.Rollback();
    } else {
      if (run >= 0) {
        SyncStats t = r.Total();
        nlohmann::json stats = {{"created", t.created}, {"updated", t.updated}, {"linked", t.linked},
                                {"conflicts", t.conflicts}, {"errors", t.errors}, {"deleted", t.deleted}};
        store.FinishRun(run, r.ok ? "ok" : "failed", stats.dump());
      }
      if (auto st = store.Commit(); !st) Fail("state store: " + st.message);
    }
    report = nullptr;
    return r;
  }

  void LoadLinks() {
    for (const SyncPlan& p : plans) {
      auto& l = links[p.name];
      l = store.AllLinks(p.name);
      for (const store::Link& k : l) {
        taken[0][Key(p.cs->salesforce->name, k.salesforce_id)] = p.name;
        taken[1][Key(p.cs->hubspot->name, k.hubspot_id)] = p.name;
      }
      for (const store::Intent& in : store.AllIntents(p.name))
        intents[p.name][{in.target_system == "salesforce" ? 0 : 1, in.source_id}] =
            nlohmann::json::parse(in.data.empty() ? "{}" : in.data, nullptr, false);
    }
    for (const store::SyncError& e : store.Errors("")) {
      if (!e.salesforce_id.empty()) errors_sf[{e.sync, e.salesforce_id}] = e;
      if (!e.hubspot_id.empty()) errors_hs[{e.sync, e.hubspot_id}] = e;
    }
  }

  // Lead conversion: a linked Lead now converted moves its link and shadows
  // to the Contact it became; the HubSpot record stays the same one.
  void Conversions() {
    for (SyncPlan& p : plans) {
      if (p.converts_to.empty()) continue;
      SyncPlan* target = nullptr;
      for (SyncPlan& q : plans)
        if (q.name == p.converts_to) target = &q;
      if (!target) continue;
      Table* leads = Load(Side::kSalesforce, p.cs->salesforce);
      const schema::Field* conv = p.cs->salesforce->FindField("IsConverted");
      const schema::Field* cid = p.cs->salesforce->FindField("ConvertedContactId");
      if (!conv || !cid) continue;
      size_t conv_slot = static_cast<size_t>(conv - p.cs->salesforce->fields.data());
      size_t cid_slot = static_cast<size_t>(cid - p.cs->salesforce->fields.data());
      auto& own = links[p.name];
      for (size_t li = 0; li < own.size(); ++li) {
        store::Link link = own[li];
        Record* lead = leads->Find(link.salesforce_id);
        if (!lead || lead->values[conv_slot] != std::optional<std::string>("true") || IsBlank(lead->values[cid_slot]))
          continue;
        std::string contact = *lead->values[cid_slot];
        if (taken[0].count(Key(target->cs->salesforce->name, contact))) {
          Error(p.name, Category::kDuplicates, "", link.salesforce_id, link.hubspot_id,
                "lead converted to Contact " + contact + ", which is already synced with another HubSpot record",
                true, System::kHubSpot, p.cs->hubspot->name);
          continue;
        }
        // shadows translate through the HubSpot field both syncs share
        auto old = store.Shadows(p.name, link.salesforce_id);
        std::map<std::string, store::Shadow> by_hs;
        for (const RulePair& rp : p.pairs) {
          if (rp.slot[1] < 0) continue;
          for (const auto& sh : old)
            if (sh.field == rp.key) by_hs[p.cs->hubspot->fields[rp.slot[1]].name] = sh;
        }
        std::vector<store::Shadow> moved;
        for (const RulePair& rp : target->pairs) {
          if (rp.slot[1] < 0) continue;
          auto it = by_hs.find(target->cs->hubspot->fields[rp.slot[1]].name);
          if (it == by_hs.end()) continue;
          moved.push_back(store::Shadow{rp.key, it->second.base_sf, it->second.base_hs});
        }
        Check(store.MoveLink(p.name, link.salesforce_id, target->name, contact));
        Check(store.PutShadows(target->name, contact, moved));
        taken[0].erase(Key(p.cs->salesforce->name, link.salesforce_id));
        taken[0][Key(target->cs->salesforce->name, contact)] = target->name;
        taken[1][Key(p.cs->hubspot->name, link.hubspot_id)] = target->name;
        links[target->name].push_back(store::Link{target->name, contact, link.hubspot_id, store::LinkState::kActive});
        own.erase(own.begin() + static_cast<long>(li));
        --li;
        Event e;
        e.kind = Event::Kind::kConvert;
        e.sync = p.name;
        e.target = System::kSalesforce;
        e.object = target->cs->salesforce->name;
        e.salesforce_id = contact;
        e.hubspot_id = link.hubspot_id;
        e.message = "lead " + link.salesforce_id + " converted: its link moves to Contact " + contact +
                    " (sync " + target->name + ")";
        Emit(e);
      }
    }
  }

  void Check(const store::Status& st) {
    if (!st) Fail("state store: " + st.message);
  }

  // ---- one sync ------------------------------------------------------------

  struct Work {
    std::vector<PendingWrite> writes[2];  // toward side
    // The shadows of every reconciled pair (by Salesforce id) as they are
    // once nothing is written; acknowledged writes add their field updates.
    std::unordered_map<std::string, ShadowMap> pair_shadows;
    // Pairs created by this flush: reconciled once more right away, so that
    // rules reading the new record's id (Id -> salesforce_lead_id) are
    // written in the same pass.
    std::vector<std::pair<std::string, std::string>> created_pairs;
    std::vector<ShadowMap> created_shadows;
  };

  Text SideValue(const SyncPlan& p, const RulePair& rp, int side, const Record* r, const rt::Value* mapped_out) {
    if (rp.slot[side] >= 0) return r ? r->values[rp.slot[side]] : std::nullopt;
    // a computed side: its value is what the rule computes toward the other side
    int other = 1 - side;
    if (rp.out[other] < 0 || !mapped_out) return std::nullopt;
    const rt::Value& v = mapped_out[rp.out[other]];
    if (v.is_error() || ir::IsSkip(v)) return std::nullopt;
    std::string err;
    const ir::OutField& of = p.mapping[other]->outs[rp.out[other]];
    return ValueText(SystemOf(other == 0 ? Side::kSalesforce : Side::kHubSpot), *of.field, v, &err);
  }

  // The lifecycle of a HubSpot field, if it has one.
  const Lifecycle* LifecycleOf(const schema::Object* o, int slot) {
    for (const Lifecycle& l : lifecycles)
      if (l.object == o && l.slot == slot) return &l;
    return nullptr;
  }

  struct Mapped {
    bool ran = false;
    std::vector<rt::Value> out;
    rt::Value result;
  };

  Mapped Map(const SyncPlan& p, int toward, const Record* sf, const Record* hs) {
    Mapped m;
    if (p.handle_map[toward] < 0) return m;
    m.result = Run(p.handle_map[toward], p, sf, hs, p.mapping[toward]->outs.size());
    m.out = outs;
    m.ran = true;
    return m;
  }

  void RunSync(SyncPlan& p) {
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
      if (opts->progress) opts->progress(p.name, done, total);
    };

    // linked pairs
    for (size_t li = 0; li < own.size() && report->ok; ++li) {
      store::Link& link = own[li];
      ++done;
      ++stats.pairs;
      Record* rec[2] = {t[0]->Find(link.salesforce_id), t[1]->Find(link.hubspot_id)};
      if (link.state == store::LinkState::kDeleted) continue;
      // unchanged on both sides since the last pass, nothing pending: in agreement already
      if (rec[0] && rec[1] && !Fresh(*t[0], *rec[0]) && !Fresh(*t[1], *rec[1]) && !HasError(p, link) &&
          !recovered.count(link.salesforce_id)) {
        ++stats.unchanged;
        continue;
      }
      // deletes
      if ((rec[0] && rec[0]->deleted) || (rec[1] && rec[1]->deleted) || store.IsTombstoned("salesforce", link.salesforce_id) ||
          store.IsTombstoned("hubspot", link.hubspot_id)) {
        HandleDelete(p, link, rec, w);
        continue;
      }
      if (!rec[0] || !rec[1]) {
        Error(p.name, Category::kTransport, "", link.salesforce_id, link.hubspot_id,
              std::string("the linked ") + (!rec[0] ? "Salesforce " + p.cs->salesforce->name : "HubSpot " + p.cs->hubspot->name) +
                  " record is missing from the data; nothing is written until it is back or reported deleted",
              false, rec[0] ? System::kHubSpot : System::kSalesforce, rec[0] ? p.cs->hubspot->name : p.cs->salesforce->name);
        continue;
      }
      SetStamp(rec[0], rec[1]);
      if (Waiting(p, link.salesforce_id, link.hubspot_id, rec)) continue;
      rt::Value serr;
      bool in[2] = {InScope(p, Side::kSalesforce, rec[0], rec[1], &serr), true};
      if (serr.is_error()) {
        Error(p.name, CategoryOfValue(serr), ErrorRule(serr, ""), link.salesforce_id, link.hubspot_id, serr.error_message(),
              true, System::kHubSpot, p.cs->hubspot->name);
        continue;
      }
      in[1] = InScope(p, Side::kHubSpot, rec[0], rec[1], &serr);
      if (serr.is_error()) {
        Error(p.name, CategoryOfValue(serr), ErrorRule(serr, ""), link.salesforce_id, link.hubspot_id, serr.error_message(),
              true, System::kSalesforce, p.cs->salesforce->name);
        continue;
      }
      if (!in[0] || !in[1]) {
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
      // shadows are read per reconciled pair: an incremental pass touches few
      ShadowMap sm;
      std::vector<store::Shadow> list = store.Shadows(p.name, link.salesforce_id);
      bool has_shadows = !list.empty();
      for (const auto& sh : list) sm[sh.field] = ShadowEntry{sh.base_sf, sh.base_hs};
      Reconcile(p, link.salesforce_id, link.hubspot_id, rec, sm, has_shadows, w);
      Associations(p, link.salesforce_id, link.hubspot_id, rec, w);
      if (w.writes[0].size() + w.writes[1].size() + w.pair_shadows.size() >= opts->chunk) flush();
    }
    if (!report->ok) return;
    flush();

    // unlinked records: match, then create
    Unlinked(p, t, linked_ids, w, done);
    if (report->ok) flush();
    // cursors: the newest change read (our own writes come back once as
    // changes and reconcile to nothing)
    for (int s = 0; s < 2 && !opts->dry_run && report->ok; ++s)
      if (!t[s]->newest.modstamp.empty())
        Check(store.PutCursor(s == 0 ? "salesforce" : "hubspot", t[s]->object->name, t[s]->newest));
  }

  // Updates in flight when a previous pass died: one that landed (the target
  // holds exactly what it wrote) was ours, so its shadows move now; one that
  // did not is forgotten and the fields reconcile as usual.
  void Recover(const SyncPlan& p, Table* t[2]) {
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

  // Changed since the previous pass (with an overlap, so that a record
  // stamped while that pass was reading is seen again).
  static bool Fresh(const Table& t, const Record& r) { return t.since_ms < 0 || StampMs(r.modstamp) >= t.since_ms; }
  bool HasError(const SyncPlan& p, const store::Link& l) {
    return errors_sf.count({p.name, l.salesforce_id}) || errors_hs.count({p.name, l.hubspot_id});
  }

  // A record with a permanent error waits for a change of its data; a
  // transient one for its backoff.
  bool Waiting(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id, Record* rec[2]) {
    const store::SyncError* e = nullptr;
    if (auto it = errors_sf.find({p.name, sf_id}); !sf_id.empty() && it != errors_sf.end()) e = &it->second;
    else if (auto it2 = errors_hs.find({p.name, hs_id}); !hs_id.empty() && it2 != errors_hs.end()) e = &it2->second;
    if (!e) return false;
    if (e->retry_at == 0) return false;  // requeued (accord retry, or the rules changed)
    std::string now = PairStamp(rec[0], rec[1]);
    // the data changed since the error (compared as the systems stamp it: no clock skew)
    if (now == "|" || e->record_stamp.empty() || now != e->record_stamp) return false;
    if (!e->permanent) return NowMs() < e->retry_at;
    ++report->per_sync[p.name].skipped;
    return true;
  }

  void Reconcile(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id, Record* rec[2], ShadowMap& sm,
                 bool has_shadows, Work& w) {
    Mapped m[2] = {Map(p, 0, rec[0], rec[1]), Map(p, 1, rec[0], rec[1])};
    // a mapping program's own error (its scope expression failed) stops the pair
    for (int i = 0; i < 2; ++i)
      if (m[i].ran && m[i].result.is_error()) {
        Error(p.name, CategoryOfValue(m[i].result), ErrorRule(m[i].result, ""), sf_id, hs_id,
              m[i].result.error_message(), true, i == 0 ? System::kSalesforce : System::kHubSpot,
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
        std::string verr;
        in.toward[i].text = ValueText(i == 0 ? System::kSalesforce : System::kHubSpot, obj[i]->fields[rp.slot[i]], v, &verr);
        if (!verr.empty()) {
          in.toward[i].error = true;
          err[i] = rt::Value::Error(rt::ErrorCode::kConversion, verr);
        }
      }
      if (const Lifecycle* lc = rp.slot[1] >= 0 ? LifecycleOf(obj[1], rp.slot[1]) : nullptr; lc && lc->forward_only)
        in.forward_only_rank = [lc](const Text& t) { return lc->Rank(t); };
      in.changed_at = [&](int s) {
        ChangeTime t;
        if (rp.slot[s] >= 0) t.at = conn[s]->FieldChangedAt(*obj[s], *rec[s], static_cast<size_t>(rp.slot[s]));
        t.field = !t.at.empty();
        if (t.at.empty()) t.at = rec[s]->modstamp;
        return t;
      };
      FieldDecision d = DecideField(in);
      if (d.error_to >= 0) {
        int to = d.error_to;
        // one bad value holds back only its own field: the record's other fields are written
        Error(p.name, CategoryOfValue(err[to]), ErrorRule(err[to], rp.loc), sf_id, hs_id,
              obj[to]->fields[rp.slot[to]].name + ": " + err[to].error_message() + " (only " +
                  obj[to]->fields[rp.slot[to]].name + " waits, until the value or the rules change; the record's "
                  "other fields are written)",
              true, to == 0 ? System::kSalesforce : System::kHubSpot, obj[to]->name);
        bad[to] = true;
      }
      if (d.conflict) {
        ++report->per_sync[p.name].conflicts;
        Event e;
        e.kind = Event::Kind::kConflict;
        e.sync = p.name;
        e.salesforce_id = sf_id;
        e.hubspot_id = hs_id;
        e.rule = rp.loc;
        e.changes.push_back({rp.slot[0] >= 0 ? obj[0]->fields[rp.slot[0]].name : "(computed)", in.base[0], in.cur[0], rp.loc});
        e.changes.push_back({rp.slot[1] >= 0 ? obj[1]->fields[rp.slot[1]].name : "(computed)", in.base[1], in.cur[1], rp.loc});
        e.message = d.why;
        Emit(e);
      }
      if (d.write_to >= 0) {
        int to = d.write_to;
        pw[to].op.fields.push_back({static_cast<size_t>(rp.slot[to]), d.value});
        pw[to].changes.push_back({obj[to]->fields[rp.slot[to]].name, in.cur[to], d.value, rp.loc});
        pw[to].shadow_updates.push_back({rp.key, ShadowEntry{d.base[0], d.base[1]}});  // moves once acknowledged
      } else if (d.base_moves) {
        immediate.push_back({rp.key, ShadowEntry{d.base[0], d.base[1]}});
      }
    };
    std::vector<const RulePair*> computed;
    for (const RulePair& rp : p.pairs) {
      if (rp.slot[0] < 0 || rp.slot[1] < 0) computed.push_back(&rp);
      else decide(rp);
    }
    if (!computed.empty() && (!pw[0].op.fields.empty() || !pw[1].op.fields.empty())) {
      Record after[2] = {*rec[0], *rec[1]};
      for (int to = 0; to < 2; ++to)
        for (const auto& [slot, text] : pw[to].op.fields) after[to].values.set(slot, text);
      for (int i = 0; i < 2; ++i) {
        m[i] = Map(p, i, &after[0], &after[1]);
        if (m[i].ran && m[i].result.is_error()) {
          Error(p.name, CategoryOfValue(m[i].result), ErrorRule(m[i].result, ""), sf_id, hs_id,
                m[i].result.error_message(), true, i == 0 ? System::kSalesforce : System::kHubSpot,
                i == 0 ? p.cs->salesforce->name : p.cs->hubspot->name);
          return;
        }
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
  }

  // Associations of a linked pair: the HubSpot record is associated with the
  // HubSpot twin of the Salesforce parent; a parent not synced yet waits.
  void Associations(const SyncPlan& p, const std::string& sf_id, const std::string& hs_id, Record* rec[2], Work& w) {
    for (const Assoc& a : p.assocs) {
      if (a.sf_slot < 0) continue;
      const Text& parent = rec[0]->values[a.sf_slot];
      const std::string& hs_type = a.decl->hs_object.text;
      if (IsBlank(parent)) {
        // HubSpot -> Salesforce: fill an empty reference from the HubSpot association
        if (a.decl->dir == ast::Direction::kToHubSpot) continue;
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
        pw.changes.push_back({a.decl->sf_field.text, parent, sf_parent, ""});
        pw.stamp = cur_stamp;
        Merge(w.writes[0], std::move(pw));
        continue;
      }
      if (a.decl->dir == ast::Direction::kToSalesforce) continue;
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
      pw.changes.push_back({"associations." + hs_type, std::nullopt, hs_parent, ""});
      pw.stamp = cur_stamp;
      Merge(w.writes[1], std::move(pw));
    }
  }

  // Two writes to the same record in one pass become one.
  void Merge(std::vector<PendingWrite>& list, PendingWrite pw) {
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

  const SyncPlan* ParentPlan(const Assoc& a) {
    for (const SyncPlan& q : plans)
      if (q.cs->hubspot->name == a.decl->hs_object.text &&
          (a.parent_object.empty() || q.cs->salesforce->name == a.parent_object))
        return &q;
    return nullptr;
  }
  std::string ParentHubSpot(const Assoc& a, const std::string& sf_parent) {
    const SyncPlan* q = ParentPlan(a);
    if (!q) return "";
    for (const store::Link& l : links[q->name])
      if (l.salesforce_id == sf_parent && l.state != store::LinkState::kDeleted) return l.hubspot_id;
    return "";
  }
  std::string ParentSalesforce(const Assoc& a, const std::string& hs_parent) {
    const SyncPlan* q = ParentPlan(a);
    if (!q) return "";
    for (const store::Link& l : links[q->name])
      if (l.hubspot_id == hs_parent && l.state != store::LinkState::kDeleted) return l.salesforce_id;
    return "";
  }

  void HandleDelete(const SyncPlan& p, store::Link& link, Record* rec[2], Work& w) {
    int gone = (rec[0] && rec[0]->deleted) || store.IsTombstoned("salesforce", link.salesforce_id) ? 0 : 1;
    std::string ids[2] = {link.salesforce_id, link.hubspot_id};
    // a Salesforce merge: the loser's link moves to the survivor
    if (gone == 0 && rec[0] && !rec[0]->master_id.empty() && !taken[0].count(Key(p.cs->salesforce->name, rec[0]->master_id))) {
      Check(store.MoveLink(p.name, link.salesforce_id, p.name, rec[0]->master_id));
      taken[0][Key(p.cs->salesforce->name, rec[0]->master_id)] = p.name;
      Event e;
      e.kind = Event::Kind::kLink;
      e.sync = p.name;
      e.salesforce_id = rec[0]->master_id;
      e.hubspot_id = link.hubspot_id;
      e.message = "merged: the link of " + link.salesforce_id + " moves to the surviving record";
      Emit(e);
      link.salesforce_id = rec[0]->master_id;
      return;
    }
    Check(store.AddTombstone(gone == 0 ? "salesforce" : "hubspot", ids[gone]));
    bool propagate = p.del == ast::DeleteKind::kPropagate && (!p.del_from || SideIndex(*p.del_from) == gone);
    Event e;
    e.sync = p.name;
    e.salesforce_id = link.salesforce_id;
    e.hubspot_id = link.hubspot_id;
    if (p.del == ast::DeleteKind::kUnlink) {
      Check(store.RemoveLink(p.name, link.salesforce_id));
      e.kind = Event::Kind::kUnlink;
      e.message = "deleted in " + std::string(gone == 0 ? "salesforce" : "hubspot") + ": unlinked (delete unlink)";
      Emit(e);
      return;
    }
    Check(store.SetLinkState(p.name, link.salesforce_id, store::LinkState::kDeleted));
    link.state = store::LinkState::kDeleted;
    int other = 1 - gone;
    if (propagate && rec[other] && !rec[other]->deleted) {
      PendingWrite pw;
      pw.op.kind = WriteOp::Kind::kDelete;
      pw.op.id = ids[other];
      pw.sf_id = link.salesforce_id;
      pw.hs_id = link.hubspot_id;
      pw.stamp = cur_stamp;
      w.writes[other].push_back(std::move(pw));
      return;
    }
    e.kind = Event::Kind::kSkip;
    e.message = "deleted in " + std::string(gone == 0 ? "salesforce" : "hubspot") +
                ": the other record is kept (delete keep); a tombstone stops it coming back";
    Emit(e);
  }

  // ---- unlinked records ----------------------------------------------------

  std::string MatchKey(const SyncPlan& p, int side, const Record& r) {
    int slot = p.match_slot[side];
    if (slot < 0) return "";
    const Text& v = r.values[slot];
    if (IsBlank(v)) return "";
    if (p.match == "domain") return NormalizeDomain(*v);
    return Lower(TrimText(*v));
  }

  void Unlinked(SyncPlan& p, Table* t[2], std::unordered_set<std::string> linked_ids[2], Work& w, size_t& done) {
    const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
    std::vector<std::pair<std::string, std::string>> requarantine;  // (sf id, hs id) decided again
    struct ClearResolved {  // on every way out: a quarantine nothing logged again is resolved
      Impl* self;
      const SyncPlan& p;
      std::vector<std::pair<std::string, std::string>>& ids;
      ~ClearResolved() {
        for (const auto& [sf, hs] : ids)
          if (!self->logged_now.count({p.name, sf + "|" + hs}) && !self->opts->dry_run) self->Check(self->store.ClearErrors(p.name, sf, hs));
      }
    } clear_resolved{this, p, requarantine};
    // candidates per side: not deleted, not tombstoned, not linked here or in a sibling sync, in scope
    std::vector<size_t> cand[2];
    for (int s = 0; s < 2; ++s) {
      for (size_t i = 0; i < t[s]->records.size(); ++i) {
        const Record& r = t[s]->records[i];
        if (linked_ids[s].count(r.id) || taken[s].count(Key(obj[s]->name, r.id))) continue;
        if (r.deleted || store.IsTombstoned(s == 0 ? "salesforce" : "hubspot", r.id)) {
          // a deleted record's quarantine (ambiguous key, ...) is over
          bool logged = s == 0 ? errors_sf.count({p.name, r.id}) > 0 : errors_hs.count({p.name, r.id}) > 0;
          if (logged && !opts->dry_run) Check(store.ClearErrors(p.name, s == 0 ? r.id : "", s == 1 ? r.id : ""));
          continue;
        }
        rt::Value err;
        const Record* sf = s == 0 ? &r : nullptr;
        const Record* hs = s == 1 ? &r : nullptr;
        if (!InScope(p, s == 0 ? Side::kSalesforce : Side::kHubSpot, sf, hs, &err)) {
          if (err.is_error())
            Error(p.name, CategoryOfValue(err), ErrorRule(err, ""), s == 0 ? r.id : "", s == 1 ? r.id : "",
                  err.error_message(), true, s == 0 ? System::kHubSpot : System::kSalesforce, obj[1 - s]->name);
          continue;
        }
        cand[s].push_back(i);
      }
    }
    bool keyed = p.match == "email" || p.match == "domain" || p.match == "fields";
    // indexes: match key over the candidates of each side; the external id and, for
    // a create whose response was lost, the match key over every unlinked record
    // (our own create is ours whatever the scope says of it)
    std::unordered_map<std::string, std::vector<size_t>> by_key[2], by_ext[2], by_key_all[2];
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
        if (r.deleted || linked_ids[s].count(r.id) || taken[s].count(Key(obj[s]->name, r.id))) continue;
        if (p.extid_slot[s] >= 0 && !IsBlank(r.values[p.extid_slot[s]])) by_ext[s][*r.values[p.extid_slot[s]]].push_back(i);
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
          auto it = taken[s].find(Key(obj[s]->name, r.id));
          if (it == taken[s].end() || r.deleted) continue;
          std::string k = MatchKey(p, s, r);
          if (!k.empty()) sibling_key[s].emplace(k, (it->second == p.name ? "this sync" : it->second) + " (" + r.id + ")");
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
      links[p.name].push_back(l);
      taken[0][Key(obj[0]->name, rec[0]->id)] = p.name;
      taken[1][Key(obj[1]->name, rec[1]->id)] = p.name;
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
      bool from_intent = false;
      for (int target : {1, 0}) {
        const std::string& source = rec[1 - target]->id;
        if (const nlohmann::json* in = IntentOf(p, target, source)) {
          sm = IntentShadows(*in);
          from_intent = !sm.empty();
          DropIntent(p, target, source);
          e.message += "; the record an earlier create made (its acknowledgement was lost)";
        }
      }
      Emit(e);
      Reconcile(p, rec[0]->id, rec[1]->id, rec, sm, from_intent, w);
      Associations(p, rec[0]->id, rec[1]->id, rec, w);
    };
    for (int s = 0; s < 2 && report->ok; ++s) {
      int o = 1 - s;
      for (size_t i : cand[s]) {
        ++done;
        if (used[s].count(i)) continue;
        Record& r = t[s]->records[i];
        // unchanged since the last pass, no error waiting and no create of it unaccounted for:
        // it was matched or created then, or could not be
        if (!Fresh(*t[s], r) && !errors_sf.count({p.name, s == 0 ? r.id : ""}) &&
            !errors_hs.count({p.name, s == 1 ? r.id : ""}) && !IntentOf(p, o, r.id))
          continue;
        std::string sf_id = s == 0 ? r.id : "", hs_id = s == 1 ? r.id : "";
        Record* recp[2] = {s == 0 ? &r : nullptr, s == 1 ? &r : nullptr};
        SetStamp(recp[0], recp[1]);
        // a quarantine's cause is often another record (deleted, merged, its key changed):
        // it is decided again every pass, and cleared below once nothing logs it again
        const store::SyncError* prior = nullptr;
        if (auto it = s == 0 ? errors_sf.find({p.name, r.id}) : errors_hs.find({p.name, r.id});
            it != (s == 0 ? errors_sf.end() : errors_hs.end()))
          prior = &it->second;
        if (prior && prior->category == CategoryName(Category::kDuplicates)) requarantine.push_back({sf_id, hs_id});
        else if (Waiting(p, sf_id, hs_id, recp)) continue;
        // 1. the external id a rule wrote on the other side (our own earlier create)
        if (p.extid_slot[o] >= 0) {
          auto it = by_ext[o].find(r.id);
          if (it != by_ext[o].end()) {
            std::vector<size_t> free;
            for (size_t j : it->second)
              if (!used[o].count(j)) free.push_back(j);
            if (free.size() == 1) {
              if (s == 0) link_pair(i, free[0], "linked by the external id a previous pass wrote");
              else link_pair(free[0], i, "linked by the external id a previous pass wrote");
              continue;
            }
            if (free.size() > 1) {
              // our create was applied more than once (a transport re-sent it): never a further copy
              std::string ids;
              for (size_t j : free) ids += (ids.empty() ? "" : ", ") + t[o]->records[j].id;
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
        bool may_create = p.create[o] != nullptr && !(p.create[s] && p.create[s]->only);
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
            if (s == 0) link_pair(i, theirs[0], ("matched by " + p.match).c_str());
            else link_pair(theirs[0], i, ("matched by " + p.match).c_str());
            continue;
          }
          if (theirs.size() > 1 || (mine.size() > 1 && (theirs.size() == 1 || may_create))) {
            std::string ids;
            for (size_t j : theirs.size() > 1 ? theirs : mine)
              ids += (ids.empty() ? "" : ", ") + t[theirs.size() > 1 ? o : s]->records[j].id;
            Error(p.name, Category::kDuplicates, "", sf_id, hs_id,
                  p.match + " " + k + " is ambiguous: " + std::to_string(theirs.size() > 1 ? theirs.size() : mine.size()) +
                      " " + std::string(theirs.size() > 1 ? (o == 0 ? "Salesforce" : "HubSpot") : (s == 0 ? "Salesforce" : "HubSpot")) +
                      " records have it (" + ids + "); quarantined, not linked or created",
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
                    obj[o]->name + " record(s) could not be read in this pass (see the Transport errors) and one of "
                    "them may be this record; retried when they read again",
                false, o == 0 ? System::kSalesforce : System::kHubSpot, obj[o]->name);
          continue;
        }
        // an earlier create of this record has no acknowledgement: find what it made first
        if (IntentOf(p, o, r.id)) {
          std::string k = keyed ? MatchKey(p, s, r) : "";
          std::vector<size_t> found;
          if (!k.empty())
            for (size_t j : by_key_all[o][k])
              if (!used[o].count(j)) found.push_back(j);
          if (found.size() == 1) {
            if (s == 0) link_pair(i, found[0], ("matched by " + p.match + " (outside the scope)").c_str());
            else link_pair(found[0], i, ("matched by " + p.match + " (outside the scope)").c_str());
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
        Create(p, s, r, w);
        if (w.writes[0].size() + w.writes[1].size() >= opts->chunk) {
          Flush(p, w);
          w = Work();
          if (opts->progress) opts->progress(p.name, done, 0);
        }
      }
    }
  }

  bool WouldCreate(const SyncPlan& p, int from, const Record& r) {
    int to = 1 - from;
    if (!p.create[to] || p.handle_map[to] < 0) return false;
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

  void Create(const SyncPlan& p, int from, const Record& r, Work& w) {
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
    const ir::Mapping* mp = p.mapping[to];
    for (size_t k = 0; k < mp->outs.size(); ++k) {
      const rt::Value& v = m.out[k];
      if (ir::IsSkip(v)) continue;
      const ir::OutField& of = mp->outs[k];
      std::string err;
      Text text;
      if (!v.is_error()) text = ValueText(to == 0 ? System::kSalesforce : System::kHubSpot, *of.field, v, &err);
      if (v.is_error() || !err.empty()) {
        rt::Value ev = v.is_error() ? v : rt::Value::Error(rt::ErrorCode::kConversion, err);
        Category cat = CategoryOfValue(ev);
        Error(p.name, cat, ErrorRule(ev, of.rule), sf_id, hs_id,
              of.field->name + ": " + ev.error_message() + " (the record is created without " + of.field->name +
                  ", which waits until the value or the rules change)",
              true, to == 0 ? System::kSalesforce : System::kHubSpot, obj[to]->name);
        bad.insert(of.target_slot);
        continue;
      }
      if (!IsBlank(text)) fields[of.target_slot] = text;
    }
    // `on create` defaults fill what the mapping left blank
    if (p.handle_create[to] >= 0) {
      const ir::Mapping* oc = p.on_create[to];
      rt::Value res = Run(p.handle_create[to], p, sf, hs, oc->outs.size());
      for (size_t k = 0; k < oc->outs.size() && !res.is_error(); ++k) {
        const rt::Value& v = outs[k];
        const ir::OutField& of = oc->outs[k];
        if (fields.count(of.target_slot)) continue;
        std::string err;
        Text text;
        if (!v.is_error()) text = ValueText(to == 0 ? System::kSalesforce : System::kHubSpot, *of.field, v, &err);
        if (v.is_error() || !err.empty()) {
          rt::Value ev = v.is_error() ? v : rt::Value::Error(rt::ErrorCode::kConversion, err);
          Error(p.name, CategoryOfValue(ev), ErrorRule(ev, of.rule), sf_id, hs_id,
                of.field->name + ": " + ev.error_message() + " (the record is created without " + of.field->name + ")",
                true, to == 0 ? System::kSalesforce : System::kHubSpot, obj[to]->name);
          bad.insert(of.target_slot);
          continue;
        }
        if (!IsBlank(text)) fields[of.target_slot] = text;
      }
    }
    for (auto& [slot, text] : fields) {
      pw.op.fields.push_back({slot, text});
      pw.changes.push_back({obj[to]->fields[slot].name, std::nullopt, text, ""});
    }
    // shadows of the new pair: this side as it is, the other as written
    Record created;
    created.values.assign(obj[to]->fields.size(), std::nullopt);
    for (auto& [slot, text] : fields) created.values.set(slot, text);
    const Record* pair[2] = {from == 0 ? &r : &created, from == 1 ? &r : &created};
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
        if (a.sf_slot < 0 || a.decl->dir == ast::Direction::kToSalesforce || IsBlank(r.values[a.sf_slot])) continue;
        std::string parent = ParentHubSpot(a, *r.values[a.sf_slot]);
        if (!parent.empty()) {
          pw.op.add_associations[a.decl->hs_object.text].push_back(parent);
        } else {
          // the record is created; its association waits for the parent (retried every pass)
          Error(p.name, Category::kAssociations, "", sf_id, hs_id,
                "waiting for " + (a.parent_object.empty() ? "the parent" : a.parent_object) + " " +
                    *r.values[a.sf_slot] + " to sync before associating " + a.decl->hs_object.text,
                false, System::kHubSpot, obj[1]->name);
        }
      }
    }
    pw.stamp = cur_stamp;
    w.writes[to].push_back(std::move(pw));
  }

  // ---- writes and the store ------------------------------------------------

  void Flush(const SyncPlan& p, Work& w) {
    if (!report->ok) return;
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
        WriteResult res = i < results.size() ? results[i] : WriteResult{false, pw.op.id, "UNKNOWN", "no result", true, std::nullopt};
        if (pw.op.kind == WriteOp::Kind::kUpdate && !pw.shadow_updates.empty() && !opts->dry_run)
          Check(store.ClearPending(p.name, pw.sf_id, to == 0 ? "salesforce" : "hubspot"));
        if (!res.ok) {
          cur_stamp = pw.stamp;
          // a create refused for sure is no longer in flight; one that may have landed keeps its intent
          if (pw.op.kind == WriteOp::Kind::kCreate && !res.maybe_applied)
            DropIntent(p, to, pw.source == Side::kSalesforce ? pw.sf_id : pw.hs_id);
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
  void WithoutRefusedFields(const SyncPlan& p, int to, std::vector<PendingWrite>& writes, std::vector<WriteResult>& results) {
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
      results[again[k]] = k < second.size() ? second[k]
                                            : WriteResult{false, ops[k].id, "UNKNOWN", "no result", true, std::nullopt};
  }

  void PutShadowMap(const std::string& sync, const std::string& sf_id, const ShadowMap& sm) {
    if (opts->dry_run) return;
    std::vector<store::Shadow> v;
    v.reserve(sm.size());
    for (const auto& [k, e] : sm) v.push_back(store::Shadow{k, e.base_sf, e.base_hs});
    Check(store.PutShadows(sync, sf_id, v));
  }

  void Acknowledged(const SyncPlan& p, int to, PendingWrite& pw, const WriteResult& res, Table* table, Work& w) {
    const schema::Object* obj[2] = {p.cs->salesforce, p.cs->hubspot};
    SyncStats& stats = report->per_sync[p.name];
    Event e;
    e.sync = p.name;
    e.target = to == 0 ? System::kSalesforce : System::kHubSpot;
    e.object = obj[to]->name;
    e.changes = pw.changes;
    if (pw.op.kind == WriteOp::Kind::kCreate) {
      std::string sf_id = to == 0 ? res.id : pw.sf_id, hs_id = to == 1 ? res.id : pw.hs_id;
      if (res.id.empty() || taken[to].count(Key(obj[to]->name, res.id))) {
        // a wrong answer: the new record's id is missing or already linked to another record
        cur_stamp = pw.stamp;
        Error(p.name, Category::kTransport, "", pw.sf_id, pw.hs_id,
              "the create was answered with " + (res.id.empty() ? std::string("no id") : "id " + res.id + ", which is already linked to another record") +
                  "; not linked (the create's intent is kept, so it is not created again blindly)",
              true, e.target, obj[to]->name);
        return;
      }
      store::Link l{p.name, sf_id, hs_id, store::LinkState::kActive};
      if (!opts->dry_run) {
        Check(store.PutLink(l));
        Check(store.RemoveIntent(p.name, to == 0 ? "salesforce" : "hubspot", pw.source == Side::kSalesforce ? pw.sf_id : pw.hs_id));
      }
      PutShadowMap(p.name, sf_id, pw.shadows_on_ack);
      w.created_pairs.push_back({sf_id, hs_id});
      w.created_shadows.push_back(pw.shadows_on_ack);
      links[p.name].push_back(l);
      taken[to][Key(obj[to]->name, res.id)] = p.name;
      taken[1 - to][Key(obj[1 - to]->name, to == 0 ? pw.hs_id : pw.sf_id)] = p.name;
      ++stats.created;
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
      table->by_id[nr.id] = table->records.size();
      table->records.push_back(std::move(nr));
    } else if (pw.op.kind == WriteOp::Kind::kDelete) {
      ++stats.deleted;
      Check(store.AddTombstone(to == 0 ? "salesforce" : "hubspot", pw.op.id));
      e.kind = Event::Kind::kDelete;
      e.salesforce_id = pw.sf_id;
      e.hubspot_id = pw.hs_id;
      e.message = "deleted to follow the other side (delete propagate)";
      if (Record* r = table->Find(pw.op.id)) r->deleted = true;
    } else {
      ++stats.updated;
      e.kind = Event::Kind::kUpdate;
      e.salesforce_id = pw.sf_id;
      e.hubspot_id = pw.hs_id;
      if (!pw.lifecycle_field.empty()) {
        e.kind = Event::Kind::kLifecycle;
        if (!opts->dry_run)
          Check(store.PutShadow("~lifecycle", pw.lifecycle_record, store::Shadow{pw.lifecycle_field, pw.lifecycle_value, std::nullopt}));
      }
      // the shadows of the fields this write carried move now that it is acknowledged
      if (auto it = w.pair_shadows.find(pw.sf_id); it != w.pair_shadows.end())
        for (auto& [k, v] : pw.shadow_updates) it->second[k] = v;
      if (Record* r = table->Find(pw.op.id)) {
        if (res.stored) r->modstamp = res.stored->modstamp;
        for (auto& [slot, text] : pw.op.fields) r->values.set(slot, text);
        for (auto& [k, ids] : pw.op.add_associations)
          for (auto& id : ids) r->associations[k].push_back(id);
      }
    }
    Emit(e);
  }

  // ---- lifecycle -----------------------------------------------------------

  void Triggers() {
    for (const Lifecycle& lc : lifecycles) {
      if (lc.object->system != System::kHubSpot) continue;
      // the triggers of each Salesforce field, in declaration order: a change of the field
      // is seen once and every trigger on it is asked (several may watch one field)
      std::vector<std::pair<std::string, std::vector<const ast::Trigger*>>> fields;
      for (const auto& item : lc.decl->items) {
        auto* tr = std::get_if<ast::Trigger>(&item);
        if (!tr || tr->field.side != Side::kSalesforce) continue;
        std::string key = tr->field.object.text + "." + tr->field.field.text;
        auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
        if (it == fields.end()) fields.push_back({key, {tr}});
        else it->second.push_back(tr);
      }
      for (const auto& [key, triggers] : fields) {
        const ast::Trigger& first = *triggers.front();
        const schema::Object* src = rs.schemas->Find(System::kSalesforce, first.field.object.text);
        if (!src) continue;
        const schema::Field* f = src->FindField(first.field.field.text);
        if (!f) continue;
        size_t slot = static_cast<size_t>(f - src->fields.data());
        Table* t = Load(Side::kSalesforce, src);
        if (!report->ok) return;
        std::vector<PendingWrite> writes;
        for (const Record& r : t->records) {
          if (r.deleted) continue;
          Text now = r.values[slot];
          auto old_sh = store.Shadows("~lifecycle", r.id);
          Text old;
          bool seen = false;
          for (const auto& sh : old_sh)
            if (sh.field == key) old = sh.base_sf, seen = true;
          if (Same(now, old) && seen) continue;
          // the stage each target moves to: the furthest of the triggers that fire on the new value
          std::map<std::string, PendingWrite> by_target;
          for (const ast::Trigger* tr : triggers) {
            if (IsBlank(now) || *now != tr->value.value) continue;
            Table* hs = Load(Side::kHubSpot, lc.object);
            for (const std::string& hid : TriggerTargets(lc, *tr, src, r)) {
              Record* h = hs->Find(hid);
              if (!h || h->deleted) continue;
              Text cur = h->values[lc.slot];
              if (Same(cur, tr->stage.name)) continue;
              if (lc.forward_only && lc.Rank(tr->stage.name) <= lc.Rank(cur)) continue;
              auto prev = by_target.find(hid);
              if (prev != by_target.end() && lc.Rank(tr->stage.name) <= lc.Rank(prev->second.op.fields[0].second)) continue;
              PendingWrite pw;
              pw.op.kind = WriteOp::Kind::kUpdate;
              pw.op.id = hid;
              pw.op.fields.push_back({static_cast<size_t>(lc.slot), tr->stage.name});
              pw.hs_id = hid;
              pw.sf_id = r.id;
              pw.changes.push_back({lc.object->fields[lc.slot].name, cur, tr->stage.name,
                                    "when " + key + " becomes " + tr->value.text});
              pw.lifecycle_field = key;
              pw.lifecycle_record = r.id;
              pw.lifecycle_value = now;
              by_target[hid] = std::move(pw);
            }
          }
          for (auto& [hid, pw] : by_target) writes.push_back(std::move(pw));
          if (by_target.empty() && !opts->dry_run)
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
          if (!opts->dry_run)
            Check(store.PutShadow("~lifecycle", pw.lifecycle_record, store::Shadow{pw.lifecycle_field, pw.lifecycle_value, std::nullopt}));
          if (Record* h = hs->Find(pw.op.id)) h->values.set(static_cast<size_t>(lc.slot), pw.op.fields[0].second);
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
  std::vector<std::string> TriggerTargets(const Lifecycle& lc, const ast::Trigger& tr, const schema::Object* src,
                                          const Record& r) {
    std::vector<std::string> out;
    auto add = [&](const std::string& id) {
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    };
    auto linked_hs = [&](const std::string& sf_object, const std::string& sf_id) {
      for (const SyncPlan& p : plans) {
        if (p.cs->salesforce->name != sf_object || p.cs->hubspot != lc.object) continue;
        for (const store::Link& l : links[p.name])
          if (l.salesforce_id == sf_id && l.state == store::LinkState::kActive) add(l.hubspot_id);
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
    const schema::Field* ref = tr.of_field ? src->FindField(tr.of_field->text) : nullptr;
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
          if (it != h.associations.end() && std::find(it->second.begin(), it->second.end(), l.hubspot_id) != it->second.end())
            add(h.id);
        }
      }
    }
    return out;
  }
};

Engine::Engine(RuleSetView rules, jit::EngineKind kind, store::StateStore& store, Connector& salesforce,
               Connector& hubspot)
    : impl_(std::make_unique<Impl>(std::move(rules), kind, store, salesforce, hubspot)) {}
Engine::~Engine() = default;

PassReport Engine::RunPass(const PassOptions& options) { return impl_->RunPass(options); }

std::vector<std::string> Engine::TakeWarnings() { return impl_->jit.TakeWarnings(); }

}  // namespace accord::sync
