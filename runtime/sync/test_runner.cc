#include "runtime/sync/test_runner.h"

#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "compiler/ir/interp.h"
#include "runtime/connectors/jsonl_connector.h"
#include "runtime/record.h"
#include "runtime/store/state_store.h"

namespace accord::sync {

using nlohmann::json;
using schema::System;

RuleSetView ViewOf(const driver::RuleSet& set, const ir::CompiledRules& rules) {
  RuleSetView v;
  v.rules = &rules;
  v.schemas = &set.schemas;
  std::vector<const ast::LifecycleDecl*> lifecycles;
  uint64_t h = 1469598103934665603ull;  // FNV-1a over every rule file's path and text
  for (size_t i = 0; i < set.parsed.size(); ++i) {
    for (const auto& d : set.parsed[i].file->decls)
      if (auto* l = std::get_if<ast::LifecycleDecl>(&d)) lifecycles.push_back(l);
    for (const std::string* s : {&set.sources[i]->path(), &set.sources[i]->text()})
      for (unsigned char c : *s) h = (h ^ c) * 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  v.rules_hash = buf;
  v.lifecycles = ir::LowerLifecycles(lifecycles, set.schemas);
  return v;
}

namespace {

struct Runner {
  const driver::RuleSet& set;
  const ir::CompiledRules& rules;
  const TestOptions& options;
  const ast::File* file = nullptr;
  std::vector<std::string> failures;

  std::string Loc(Range r) const {
    LineCol lc = file->source->Locate(r.begin);
    return file->source->path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
  }

  const schema::Object* ObjectOf(const ast::ObjectRef& ref) const {
    return set.schemas.Find(ref.side == ast::Side::kSalesforce ? System::kSalesforce : System::kHubSpot,
                            ref.object.text);
  }

  // The text of a given/expected value as the system would store it.
  bool ValueOf(const schema::Object& o, const ast::RecordField& rf, Text* out) {
    const schema::Field* f = o.FindField(rf.field.text);
    if (!f) {
      failures.push_back(Loc(rf.range) + ": " + o.name + " has no field " + rf.field.text);
      return false;
    }
    ir::Program p = ir::LowerExpression(*rf.value, *file, set.model, ir::ExprEnv{});
    ir::Frame frame;
    frame.Reset(p);
    rt::Value v = ir::Interpret(p, frame, ir::Inputs{});
    if (v.is_error()) {
      failures.push_back(Loc(rf.range) + ": " + v.error_message());
      return false;
    }
    if (v.is(rt::Kind::kNull)) {
      *out = std::nullopt;
      return true;
    }
    if (v.is(rt::Kind::kString)) {
      *out = std::string(v.str());
      return true;
    }
    std::string text;
    if (base::Status s = rec::AppendFieldValue(o.system, *f, v, text); !s) {
      failures.push_back(Loc(rf.range) + ": " + s.message);
      return false;
    }
    json j = json::parse(text, nullptr, false);
    *out = JsonlConnector::TextOf(j);
    return true;
  }

  // The sync a linked record belongs to: the first whose object it is,
  // preferring one whose other object has a given record with the same key.
  const ir::CompiledSync* SyncFor(const schema::Object* o, const std::string& key,
                                  const std::map<std::pair<const schema::Object*, std::string>, size_t>& given) {
    const ir::CompiledSync* first = nullptr;
    for (const auto& cs : rules.syncs) {
      if (cs.salesforce != o && cs.hubspot != o) continue;
      const schema::Object* other = cs.salesforce == o ? cs.hubspot : cs.salesforce;
      if (given.count({other, key})) return &cs;
      if (!first) first = &cs;
    }
    return first;
  }

  TestResult Run(const ast::TestDecl& t) {
    TestResult result;
    result.name = t.name;
    result.location = Loc(t.range);
    store::Status st;
    auto store = store::StateStore::Open(":memory:", &st);
    if (!store) {
      result.failures.push_back("state store: " + st.message);
      return result;
    }
    JsonlConnector sf(System::kSalesforce, ""), hs(System::kHubSpot, "");
    JsonlConnector* conn[2] = {&sf, &hs};
    int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::string past = IsoMillis(now - 86400000);

    // keys: the given id, or one per given record
    struct G {
      const ast::Given* g;
      const schema::Object* o;
      std::string key;
    };
    std::vector<G> givens;
    std::map<std::pair<const schema::Object*, std::string>, size_t> first;
    int auto_key = 0;
    for (const auto& item : t.items) {
      auto* g = std::get_if<ast::Given>(&item);
      if (!g) continue;
      const schema::Object* o = ObjectOf(g->object);
      if (!o) {
        failures.push_back(Loc(g->range) + ": unknown object");
        continue;
      }
      std::string key = g->id ? *g->id : o->name + "-" + std::to_string(++auto_key);
      first.emplace(std::make_pair(o, key), givens.size());
      givens.push_back({g, o, key});
    }
    auto fields_of = [&](const G& g, json* rec) {
      bool hubspot = g.o->system == System::kHubSpot;
      for (const auto& rf : g.g->record.fields) {
        Text v;
        if (!ValueOf(*g.o, rf, &v)) continue;
        const schema::Field* f = g.o->FindField(rf.field.text);
        json jv = JsonlConnector::JsonValue(g.o->system, *f, v);
        if (hubspot)
          (*rec)["properties"][f->name] = jv;
        else
          (*rec)[f->name] = jv;
      }
    };
    auto shell = [&](const schema::Object* o, const std::string& key, const std::string& stamp) {
      json j = json::object();
      if (o->system == System::kSalesforce) {
        j["Id"] = key;
        j["SystemModstamp"] = stamp;
        j["IsDeleted"] = false;
      } else {
        j["id"] = key;
        j["properties"] = json::object();
        j["properties"][o->name == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate"] = stamp;
        j["properties"]["hs_object_id"] = key;
        j["archived"] = false;
      }
      return j;
    };
    auto side = [](const schema::Object* o) { return o->system == System::kSalesforce ? 0 : 1; };

    // 1. the past
    std::map<std::pair<const schema::Object*, std::string>, bool> placed;
    bool any_linked = false;
    for (const G& g : givens) {
      if (!g.g->linked || first[{g.o, g.key}] != static_cast<size_t>(&g - givens.data())) continue;
      any_linked = true;
      const ir::CompiledSync* cs = SyncFor(g.o, g.key, first);
      if (!cs) {
        failures.push_back(Loc(g.g->range) + ": no sync has " + g.o->name);
        continue;
      }
      json j = shell(g.o, g.key, past);
      fields_of(g, &j);
      conn[side(g.o)]->Put(*g.o, j);
      placed[{g.o, g.key}] = true;
      const schema::Object* other = cs->salesforce == g.o ? cs->hubspot : cs->salesforce;
      if (!placed.count({other, g.key})) {
        json c = shell(other, g.key, past);
        auto it = first.find({other, g.key});
        if (it != first.end() && givens[it->second].g->linked) fields_of(givens[it->second], &c);
        conn[side(other)]->Put(*other, c);
        placed[{other, g.key}] = true;
      }
      // the test's own in-memory store: a write fails only when memory runs out
      (void)store->PutLink(store::Link{cs->name, g.key, g.key, store::LinkState::kActive});
    }
    RuleSetView view = ViewOf(set, rules);
    view.rules_hash.clear();
    Engine engine(view, options.engine, *store, sf, hs);
    PassOptions po;
    if (any_linked && failures.empty()) {
      PassReport before = engine.RunPass(po);
      if (!before.ok) failures.push_back("setting up the linked records failed: " + before.failure);
      // the set-up pass's errors are not the test's; an in-memory store fails only when memory runs out
      for (const auto& e : store->Errors("")) (void)store->ClearError(e.id);
    }
    if (!failures.empty()) {
      result.failures = failures;
      return result;
    }

    // 2. the change
    int64_t stamp = now + 3600000;
    for (const G& g : givens) {
      if (g.g->linked && first[{g.o, g.key}] == static_cast<size_t>(&g - givens.data())) continue;
      JsonlConnector& c = *conn[side(g.o)];
      auto existing = c.Get(g.o->name, g.key);
      json j = existing ? *existing : shell(g.o, g.key, IsoMillis(stamp));
      fields_of(g, &j);
      std::string s = IsoMillis(stamp += 1000);
      if (g.o->system == System::kSalesforce)
        j["SystemModstamp"] = s;
      else
        j["properties"][g.o->name == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate"] = s;
      c.Put(*g.o, j);
    }
    if (!failures.empty()) {
      result.failures = failures;
      return result;
    }
    PassReport r = engine.RunPass(po);
    if (!r.ok) failures.push_back("the pass failed: " + r.failure);

    // 3. expectations
    bool expects_error = false;
    for (const auto& item : t.items)
      if (std::get_if<ast::ExpectError>(&item)) expects_error = true;
    auto writes = [&](const std::string& object, System system) {
      std::vector<std::string> ids;
      for (const Event& e : r.events) {
        if (e.kind != Event::Kind::kCreate && e.kind != Event::Kind::kUpdate && e.kind != Event::Kind::kLifecycle &&
            e.kind != Event::Kind::kDelete)
          continue;
        if (!object.empty() && (e.object != object || e.target != system)) continue;
        std::string id = e.target == System::kSalesforce ? e.salesforce_id : e.hubspot_id;
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
      }
      return ids;
    };
    auto describe = [&](const json& j) {
      std::string s = j.dump();
      return s.size() > 400 ? s.substr(0, 400) + "..." : s;
    };
    for (const auto& item : t.items) {
      if (auto* er = std::get_if<ast::ExpectRecord>(&item)) {
        const schema::Object* o = ObjectOf(er->object);
        if (!o) continue;
        std::vector<std::pair<const schema::Field*, Text>> want;
        for (const auto& rf : er->record.fields) {
          Text v;
          if (ValueOf(*o, rf, &v)) want.push_back({o->FindField(rf.field.text), v});
        }
        std::vector<std::string> ids = writes(o->name, o->system);
        bool found = !ids.empty();  // at least one write, and every write has the values
        std::string seen;
        for (const std::string& id : ids) {
          auto j = conn[side(o)]->Get(o->name, id);
          if (!j) continue;
          const json& fields = o->system == System::kSalesforce ? *j : j->value("properties", json::object());
          bool all = true;
          for (const auto& [f, v] : want) {
            Text have = fields.contains(f->name) ? JsonlConnector::TextOf(fields[f->name]) : std::nullopt;
            bool same = IsBlank(have) ? IsBlank(v) : (v && *have == *v);
            if (!same && have && v && f->type != schema::FieldType::kString) {
              // numbers and dates compare by value
              rt::Value a = rec::FromText(*f, *have), b = rec::FromText(*f, *v);
              same = !a.is_error() && !b.is_error() && a.DebugString() == b.DebugString();
            }
            all &= same;
          }
          if (!all) found = false;
          seen += "\n      " + id + ": " + describe(*j);
        }
        if (!found) {
          std::string exp;
          for (const auto& [f, v] : want)
            exp += (exp.empty() ? "" : ", ") + f->name + ": " + (v ? "\"" + *v + "\"" : "null");
          failures.push_back(Loc(er->range) + ": expected a write to " + std::string(ast::SideName(er->object.side)) +
                             "." + o->name + " with {" + exp + "}" +
                             (ids.empty() ? "; nothing of that object was written" : "; the records written:" + seen));
        }
      } else if (auto* en = std::get_if<ast::ExpectNothing>(&item)) {
        std::string seen;
        for (const Event& e : r.events)
          if (e.kind == Event::Kind::kCreate || e.kind == Event::Kind::kUpdate || e.kind == Event::Kind::kDelete ||
              e.kind == Event::Kind::kLifecycle) {
            seen += "\n      " + std::string(EventKindName(e.kind)) + " " + std::string(schema::SystemName(e.target)) +
                    "." + e.object;
            for (const auto& c : e.changes) seen += " " + c.field + "=" + (c.after ? "\"" + *c.after + "\"" : "null");
          }
        if (!seen.empty()) failures.push_back(Loc(en->range) + ": expected no writes; the pass wrote:" + seen);
      } else if (auto* ee = std::get_if<ast::ExpectError>(&item)) {
        bool found = false;
        std::string seen;
        for (const Event& e : r.events)
          if (e.kind == Event::Kind::kError) {
            found |= e.category == ee->category.text;
            seen += "\n      " + e.category + ": " + e.message;
          }
        if (!found)
          failures.push_back(Loc(ee->range) + ": expected an error of category " + ee->category.text +
                             (seen.empty() ? "; there was none" : "; the errors were:" + seen));
      }
    }
    if (!expects_error)
      for (const Event& e : r.events)
        if (e.kind == Event::Kind::kError)
          failures.push_back(result.location + ": unexpected " + e.category + " error: " + e.message +
                             (e.rule.empty() ? "" : " (" + e.rule + ")"));
    result.failures = failures;
    result.passed = failures.empty();
    return result;
  }
};

}  // namespace

std::vector<TestResult> RunTests(const driver::RuleSet& set, const ir::CompiledRules& rules,
                                 const TestOptions& options) {
  std::vector<TestResult> out;
  for (size_t i = 0; i < set.parsed.size(); ++i) {
    const ast::File* file = set.parsed[i].file.get();
    for (const auto& d : file->decls) {
      auto* t = std::get_if<ast::TestDecl>(&d);
      if (!t) continue;
      if (!options.filter.empty() && t->name.find(options.filter) == std::string::npos) continue;
      Runner r{set, rules, options, file, {}};
      out.push_back(r.Run(*t));
    }
  }
  return out;
}

}  // namespace accord::sync
