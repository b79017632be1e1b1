// What a Salesforce org says about itself: the API versions, a version's resources, the
// limits (daily API requests, record counts), the sObject list and each object's basic
// information and describe (the seed's, with its URLs pointed at the sandbox).
#include <algorithm>

#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

void SalesforceEmulator::Versions(Call& c) {
  static const std::pair<const char*, const char*> kVersions[] = {
      {"Winter '24", "59.0"}, {"Spring '24", "60.0"}, {"Summer '24", "61.0"}, {"Winter '25", "62.0"}};
  Json a = Json::array();
  for (const auto& [label, v] : kVersions)
    a.push_back({{"label", label}, {"url", std::string("/services/data/v") + v}, {"version", v}});
  c.Send(200, a);
}

void SalesforceEmulator::Resources(Call& c) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  std::string base = "/services/data/" + v;
  Json j;
  for (const char* r : {"sobjects", "query", "queryAll", "limits", "composite"}) j[r] = base + "/" + r;
  j["identity"] = IdentityUrl();  // absolute, as Salesforce gives it (jsforce's identity() follows it)
  c.Send(200, j);
}

void SalesforceEmulator::Limits(Call& c) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  Json j;
  j["DailyApiRequests"] = {{"Max", settings_.daily_api_limit},
                           {"Remaining", std::max<int64_t>(0, settings_.daily_api_limit - settings_.api_usage)}};
  c.Send(200, j);
}

void SalesforceEmulator::RecordCount(Call& c) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  std::vector<Object*> which;
  std::string list = c.Param("sObjects");
  size_t i = 0;
  while (!list.empty() && i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    if (Object* o = FindObject(list.substr(i, j - i))) which.push_back(o);
    i = j + 1;
  }
  if (list.empty()) {
    for (auto& o : objects_) which.push_back(o.get());
  }
  Json a = Json::array();
  for (Object* o : which) {
    int64_t n = std::count_if(o->records.begin(), o->records.end(), [](const Record& r) { return !r.deleted; });
    a.push_back({{"count", n}, {"name", o->schema.name}});
  }
  c.Send(200, Json{{"sObjects", a}});
}

void SalesforceEmulator::SObjects(Call& c) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  Json list = Json::array();
  for (const auto& o : objects_) {
    Json e;
    for (const char* k : {"activateable", "createable", "custom", "customSetting", "deletable", "keyPrefix", "label",
                          "labelPlural", "layoutable", "mergeable", "name", "queryable", "replicateable",
                          "retrieveable", "searchable", "triggerable", "undeletable", "updateable"}) {
      if (o->describe.contains(k)) e[k] = o->describe[k];
    }
    std::string base = "/services/data/" + v + "/sobjects/" + o->schema.name;
    e["urls"] = {{"sobject", base}, {"describe", base + "/describe"}, {"rowTemplate", base + "/{ID}"}};
    list.push_back(e);
  }
  c.Send(200, Json{{"encoding", "UTF-8"}, {"maxBatchSize", 200}, {"sobjects", list}});
}

void SalesforceEmulator::SObjectBasics(Call& c) {
  std::string v;
  Object* o = VersionedObject(c, &v);
  if (!o) return;
  Json e;
  for (const char* k :
       {"name", "label", "labelPlural", "keyPrefix", "custom", "createable", "updateable", "deletable", "queryable"}) {
    if (o->describe.contains(k)) e[k] = o->describe[k];
  }
  c.Send(200, Json{{"objectDescribe", e}, {"recentItems", Json::array()}});
}

void SalesforceEmulator::Describe(Call& c) {
  std::string v;
  Object* o = VersionedObject(c, &v);
  if (!o) return;
  Json desc = o->describe;
  // The recorded describes carry the URLs of the org they came from; point them here.
  if (auto urls = desc.find("urls"); urls != desc.end() && urls->is_object()) {
    for (auto& [k, u] : urls->items()) {
      if (!u.is_string()) continue;
      std::string s = u.get<std::string>();
      size_t at = s.find("/services/data/v");
      if (at == std::string::npos) continue;
      size_t slash = s.find('/', at + 16);
      if (slash != std::string::npos) u = s.substr(0, at) + "/services/data/" + v + s.substr(slash);
    }
  }
  c.Send(200, desc);
}

}  // namespace accord::sandbox
