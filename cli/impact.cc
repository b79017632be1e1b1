#include "cli/impact.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace accord::cli {

namespace {

// A record as both plans name it: a linked or matched pair by its two ids; a
// record to create by its source record (the created record's id is invented
// by each plan).
std::string RecordKey(const sync::Event& e) {
  if (e.kind == sync::Event::Kind::kCreate)
    return "from " + (e.target == schema::System::kHubSpot ? e.salesforce_id : e.hubspot_id);
  return e.salesforce_id + "/" + e.hubspot_id;
}

bool IsWrite(sync::Event::Kind k) {
  return k == sync::Event::Kind::kCreate || k == sync::Event::Kind::kUpdate || k == sync::Event::Kind::kLifecycle;
}

std::string Target(const sync::Event& e) {
  return e.object.empty() ? "" : std::string(schema::SystemName(e.target)) + "." + e.object;
}

// What a record's outcome is called in an OutcomeImpact.
std::string Outcome(const sync::Event& e) {
  std::string kind(sync::EventKindName(e.kind));
  if (e.kind == sync::Event::Kind::kError) return kind + " " + e.category;
  if (IsWrite(e.kind) || e.kind == sync::Event::Kind::kDelete) return kind + " " + Target(e);
  return kind;
}

struct Written {
  std::map<std::string, connectors::Text> fields;  // field -> value written
};
using WriteKey = std::tuple<std::string, schema::System, std::string, std::string>;  // sync, system, object, record

struct PlanIndex {
  std::map<WriteKey, Written> writes;
  std::set<std::tuple<std::string, std::string, std::string>> outcomes;  // sync, outcome, record
};

PlanIndex Index(const sync::PassReport& r) {
  PlanIndex ix;
  for (const sync::Event& e : r.events) {
    ix.outcomes.emplace(e.sync, Outcome(e), RecordKey(e));
    if (!IsWrite(e.kind)) continue;
    Written& w = ix.writes[WriteKey{e.sync, e.target, e.object, RecordKey(e)}];
    for (const auto& c : e.changes) w.fields[c.field] = c.after;
  }
  return ix;
}

std::string Where(schema::System system, const std::string& object, int64_t n) {
  if (system == schema::System::kHubSpot) return "HubSpot " + object + (n == 1 ? " record" : "");
  return "Salesforce " + object + (n == 1 ? " record" : " records");
}

}  // namespace

std::string Count(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

std::string SyncLabel(const std::string& sync) { return sync == "lifecycle" ? sync : "sync " + sync; }

std::string FieldImpact::Text() const {
  int64_t n = records();
  std::vector<std::string> parts;
  if (changed) parts.push_back(Count(changed) + " with another value");
  if (added) parts.push_back(Count(added) + " newly written");
  if (removed) parts.push_back(Count(removed) + " no longer written");
  std::string verb = removed == n ? "stops writing " : "rewrites ";
  std::string t = verb + field + " on " + Count(n) + " " + Where(system, object, n);
  if (removed == n) return t;
  std::string joined;
  for (const auto& p : parts) joined += (joined.empty() ? "" : ", ") + p;
  return t + " (" + joined + ")";
}

std::string OutcomeImpact::Text() const {
  std::string t = outcome + ":";
  if (added) t += " " + Count(added) + (added == 1 ? " more record" : " more records");
  if (added && removed) t += ",";
  if (removed) t += " " + Count(removed) + (removed == 1 ? " fewer record" : " fewer records");
  return t;
}

Impact ComparePlans(const sync::PassReport& old_plan, const sync::PassReport& new_plan) {
  PlanIndex a = Index(old_plan), b = Index(new_plan);
  std::map<std::tuple<std::string, schema::System, std::string, std::string>, FieldImpact> fields;
  std::set<std::pair<std::string, std::string>> differing;  // sync, record
  auto tally = [&](const WriteKey& k, const std::string& field) -> FieldImpact& {
    const auto& [sync, system, object, record] = k;
    differing.emplace(sync, record);
    FieldImpact& f = fields[{sync, system, object, field}];
    f.sync = sync, f.system = system, f.object = object, f.field = field;
    return f;
  };
  for (const auto& [k, wb] : b.writes) {
    auto it = a.writes.find(k);
    for (const auto& [field, value] : wb.fields) {
      if (it == a.writes.end() || !it->second.fields.count(field))
        ++tally(k, field).added;
      else if (it->second.fields.at(field) != value)
        ++tally(k, field).changed;
    }
  }
  for (const auto& [k, wa] : a.writes) {
    auto it = b.writes.find(k);
    for (const auto& [field, value] : wa.fields)
      if (it == b.writes.end() || !it->second.fields.count(field)) ++tally(k, field).removed;
  }
  std::map<std::pair<std::string, std::string>, OutcomeImpact> outcomes;
  auto count = [&](const auto& o, bool added) {
    const auto& [sync, outcome, record] = o;
    differing.emplace(sync, record);
    OutcomeImpact& x = outcomes[{sync, outcome}];
    x.sync = sync, x.outcome = outcome;
    ++(added ? x.added : x.removed);
  };
  for (const auto& o : b.outcomes)
    if (!a.outcomes.count(o)) count(o, true);
  for (const auto& o : a.outcomes)
    if (!b.outcomes.count(o)) count(o, false);
  Impact out;
  for (auto& [k, f] : fields) out.fields.push_back(std::move(f));
  for (auto& [k, o] : outcomes) out.outcomes.push_back(std::move(o));
  out.records = static_cast<int64_t>(differing.size());
  return out;
}

}  // namespace accord::cli
