#include "sandbox/hubspot.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <httplib.h>

namespace accord::sandbox {

using Record = HubSpotEmulator::Record;
using Object = HubSpotEmulator::Object;
using PropError = HubSpotEmulator::PropError;

namespace {

struct TypeInfo {
  const char* name;
  const char* singular;
  const char* id;
};
const TypeInfo kTypes[] = {
    {"contacts", "contact", "0-1"},       {"companies", "company", "0-2"}, {"deals", "deal", "0-3"},
    {"tickets", "ticket", "0-5"},         {"products", "product", "0-7"},  {"line_items", "line_item", "0-8"},
    {"tasks", "task", "0-27"},            {"notes", "note", "0-46"},       {"meetings", "meeting", "0-47"},
    {"calls", "call", "0-48"},            {"emails", "email", "0-49"},
};

const TypeInfo* TypeOf(std::string_view s) {
  for (const TypeInfo& t : kTypes) {
    if (EqualsIgnoreCase(s, t.name) || EqualsIgnoreCase(s, t.singular) || s == t.id) return &t;
  }
  return nullptr;
}

// HUBSPOT_DEFINED association types between the standard objects.
struct AssocType {
  const char* from;
  const char* to;
  int id;
  const char* label;
  bool is_default;
  int inverse;
};
const AssocType kAssocTypes[] = {
    {"contacts", "companies", 279, nullptr, true, 280}, {"companies", "contacts", 280, nullptr, true, 279},
    {"contacts", "companies", 1, "Primary", false, 2},  {"companies", "contacts", 2, "Primary", false, 1},
    {"deals", "contacts", 3, nullptr, true, 4},         {"contacts", "deals", 4, nullptr, true, 3},
    {"deals", "companies", 341, nullptr, true, 342},    {"companies", "deals", 342, nullptr, true, 341},
    {"deals", "companies", 5, "Primary", false, 6},     {"companies", "deals", 6, "Primary", false, 5},
    {"tasks", "contacts", 204, nullptr, true, 203},     {"contacts", "tasks", 203, nullptr, true, 204},
    {"tasks", "companies", 192, nullptr, true, 191},    {"companies", "tasks", 191, nullptr, true, 192},
    {"tasks", "deals", 216, nullptr, true, 215},        {"deals", "tasks", 215, nullptr, true, 216},
};

const AssocType* FindAssocType(std::string_view from, std::string_view to, int id) {
  for (const AssocType& a : kAssocTypes) {
    if (a.from == from && a.to == to && a.id == id) return &a;
  }
  return nullptr;
}

const AssocType* DefaultAssocType(std::string_view from, std::string_view to) {
  for (const AssocType& a : kAssocTypes) {
    if (a.from == from && a.to == to && a.is_default) return &a;
  }
  return nullptr;
}

std::string ValueText(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return NumberText(v.get<double>());
  return "";
}

bool ValidEmail(const std::string& s) {
  size_t at = s.find('@');
  if (at == std::string::npos || at == 0 || s.find('@', at + 1) != std::string::npos) return false;
  size_t dot = s.rfind('.');
  if (dot == std::string::npos || dot < at + 2 || dot + 2 > s.size()) return false;
  return s.find(' ') == std::string::npos;
}

// A filter/property value as milliseconds: epoch ms digits, an ISO date-time or a date.
std::optional<int64_t> TimeValue(const std::string& s) {
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) && s.size() <= 15)
    return std::strtoll(s.c_str(), nullptr, 10);
  if (auto d = ParseDate(s)) return d;
  return ParseDateTime(s, false);
}

std::optional<double> NumberValue(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::vector<std::string> SplitList(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  while (!s.empty() && i <= s.size()) {
    size_t j = s.find(sep, i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// The properties a read returns when the request names none (besides the
// created / modified dates and hs_object_id, which every object carries).
const std::vector<std::string>& DefaultProps(const std::string& type) {
  static const std::map<std::string, std::vector<std::string>> kDefaults = {
      {"contacts", {"email", "firstname", "lastname"}},
      {"companies", {"domain", "name"}},
      {"deals", {"amount", "closedate", "dealname", "dealstage", "pipeline"}},
  };
  static const std::vector<std::string> kNone;
  auto it = kDefaults.find(type);
  return it == kDefaults.end() ? kNone : it->second;
}

// A write's response: the default properties plus the ones written.
std::vector<std::string> WrittenProps(const std::string& type, const std::map<std::string, std::string>& values) {
  std::vector<std::string> out = DefaultProps(type);
  for (const auto& [k, v] : values) out.push_back(k);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- setup

HubSpotEmulator::HubSpotEmulator(const Seed& seed, std::string token, Clock clock, Status* status)
    : Emulator("hubspot", token, std::move(clock)), seed_(seed), token_(std::move(token)) {
  for (const SeedObject& so : seed.hubspot) {
    auto obj = std::make_unique<Object>();
    obj->schema = so.schema;
    obj->schema.Finalize();
    obj->properties = so.raw;
    const TypeInfo* t = TypeOf(so.schema.name);
    obj->type_id = t ? t->id : "2-" + std::to_string(objects_.size() + 1);
    obj->created_prop = obj->schema.FindField("createdate") || !obj->schema.FindField("hs_createdate") ? "createdate"
                                                                                                       : "hs_createdate";
    obj->modified_prop = so.schema.name == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate";
    objects_.push_back(std::move(obj));
  }
  day_ = StartOfDayMs(Now());
  seed_config_ = seed.config.contains("hubspot") ? seed.config["hubspot"] : Json::object();
  Status s = ApplySettings(seed_config_, &settings_);
  if (s) s = LoadRecords(seed);
  if (status) *status = s;
  RegisterRoutes();
}

HubSpotEmulator::~HubSpotEmulator() { Stop(); }

Status HubSpotEmulator::Configure(const Json& j) {
  std::lock_guard<std::mutex> g(mu_);
  return ConfigureLocked(j);
}

Status HubSpotEmulator::ApplySettings(const Json& j, HubSpotSettings* out) {
  if (!j.is_object()) return Status::Error("hubspot settings must be a JSON object");
  HubSpotSettings s = *out;
  for (const auto& [key, v] : j.items()) {
    auto integer = [&](auto* field, int64_t min, int64_t max) -> Status {
      if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
        return Status::Error("hubspot." + key + " must be an integer from " + std::to_string(min) + " to " +
                             std::to_string(max));
      *field = static_cast<std::remove_pointer_t<decltype(field)>>(v.get<int64_t>());
      return Status::Ok();
    };
    Status r = Status::Ok();
    if (key == "portal_id") r = integer(&s.portal_id, 1, int64_t{1} << 40);
    else if (key == "rate_limit_max") r = integer(&s.rate_limit_max, 1, 1000000);
    else if (key == "rate_limit_interval_ms") r = integer(&s.rate_limit_interval_ms, 1, 3600000);
    else if (key == "daily_limit") r = integer(&s.daily_limit, 1, int64_t{1} << 40);
    else if (key == "search_per_second") r = integer(&s.search_per_second, 1, 100000);
    else if (key == "batch_max") r = integer(&s.batch_max, 1, 10000);
    else if (key == "batch_history_max") r = integer(&s.batch_history_max, 1, 10000);
    else if (key == "list_page_max") r = integer(&s.list_page_max, 1, 10000);
    else if (key == "search_page_max") r = integer(&s.search_page_max, 1, 10000);
    else if (key == "search_result_cap") r = integer(&s.search_result_cap, 1, 100000000);
    else if (key == "max_filter_groups") r = integer(&s.max_filter_groups, 1, 1000);
    else if (key == "max_filters_per_group") r = integer(&s.max_filters_per_group, 1, 1000);
    else if (key == "max_filters") r = integer(&s.max_filters, 1, 10000);
    else if (key == "lifecycle_backward") {
      if (!v.is_string() || (v != "ignore" && v != "allow" && v != "reject"))
        return Status::Error("hubspot.lifecycle_backward must be \"ignore\", \"allow\" or \"reject\"");
      s.lifecycle_backward = v.get<std::string>();
    } else if (key == "faults") {
      FaultConfig f;
      r = FaultConfig::FromJson(v, &f);
      if (r) SetFaults(f);
    } else {
      return Status::Error("unknown hubspot setting '" + key +
                           "' (known: portal_id, rate_limit_max, rate_limit_interval_ms, daily_limit, "
                           "search_per_second, batch_max, batch_history_max, list_page_max, search_page_max, "
                           "search_result_cap, max_filter_groups, max_filters_per_group, max_filters, "
                           "lifecycle_backward, faults)");
    }
    if (!r) return r;
  }
  *out = s;
  return Status::Ok();
}

Status HubSpotEmulator::LoadRecords(const Seed& seed) {
  int64_t now = Now();
  uint64_t max_id = 100;
  for (const SeedObject& so : seed.hubspot) {
    for (const Json& in : so.records) {
      if (in.contains("id") && in["id"].is_string()) {
        const std::string& id = in["id"].get_ref<const std::string&>();
        if (!id.empty() && std::all_of(id.begin(), id.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
            id.size() < 18)
          max_id = std::max<uint64_t>(max_id, std::strtoull(id.c_str(), nullptr, 10));
      }
    }
  }
  id_counter_ = max_id;
  for (const SeedObject& so : seed.hubspot) {
    Object* obj = FindObject(so.schema.name);
    size_t line = 0;
    for (const Json& in : so.records) {
      ++line;
      std::string where = "data/hubspot/" + so.schema.name + ".jsonl:" + std::to_string(line) + ": ";
      Record r;
      if (in.contains("id")) {
        r.id = ValueText(in["id"]);
        if (r.id.empty() || !std::all_of(r.id.begin(), r.id.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
          return Status::Error(where + "id must be a string of digits");
      } else {
        r.id = NewId();
      }
      if (obj->by_id.count(r.id)) return Status::Error(where + "duplicate id " + r.id);
      auto time_of = [&](const char* key) -> int64_t {
        if (in.contains(key) && in[key].is_string()) {
          if (auto ms = ParseDateTime(in[key].get<std::string>(), false)) return *ms;
        }
        return now;
      };
      r.created_ms = time_of("createdAt");
      r.updated_ms = time_of("updatedAt");
      r.archived = in.value("archived", false) == true;
      r.archived_ms = r.archived ? time_of("archivedAt") : 0;
      if (in.contains("properties")) {
        if (!in["properties"].is_object()) return Status::Error(where + "properties must be an object");
        for (const auto& [k, v] : in["properties"].items()) {
          if (!obj->schema.FindField(k) && k != "hs_object_id")
            return Status::Error(where + "no property '" + k + "' on " + obj->schema.name);
          if (v.is_null()) continue;
          if (!v.is_string() && !v.is_number() && !v.is_boolean())
            return Status::Error(where + "property " + k + ": not a scalar");
          std::string text = ValueText(v);
          if (!text.empty()) r.props[k] = text;
        }
      }
      r.props["hs_object_id"] = r.id;
      if (!r.props.count(obj->created_prop)) r.props[obj->created_prop] = FormatIsoMs(r.created_ms);
      if (!r.props.count(obj->modified_prop)) r.props[obj->modified_prop] = FormatIsoMs(r.updated_ms);
      for (const auto& [k, v] : r.props) r.history[k].push_back({v, r.updated_ms});
      obj->by_id[r.id] = obj->records.size();
      obj->records.push_back(std::move(r));
    }
  }
  for (auto& o : objects_) RebuildUnique(*o);
  for (const Json& a : seed.hubspot_associations) {
    std::string from = a.value("from", ""), to = a.value("to", "");
    Object* fo = FindObject(from);
    Object* to_obj = FindObject(to);
    std::string from_id = a.contains("fromId") ? ValueText(a["fromId"]) : "";
    std::string to_id = a.contains("toId") ? ValueText(a["toId"]) : "";
    if (!fo || !to_obj || !FindRecord(*fo, from_id, true) || !FindRecord(*to_obj, to_id, true))
      return Status::Error("data/hubspot/associations.jsonl: " + DumpJson(a) + ": unknown object type or id");
    int type_id = a.contains("typeId") && a["typeId"].is_number_integer() ? a["typeId"].get<int>() : 0;
    if (type_id == 0) {
      const AssocType* t = DefaultAssocType(fo->schema.name, to_obj->schema.name);
      type_id = t ? t->id : 0;
    }
    if (type_id <= 0 || !Associate(fo->schema.name, from_id, to_obj->schema.name, to_id, type_id))
      return Status::Error("data/hubspot/associations.jsonl: " + DumpJson(a) + ": no such association type");
  }
  return Status::Ok();
}

void HubSpotEmulator::ResetLocked() {
  for (auto& o : objects_) {
    o->records.clear();
    o->by_id.clear();
  }
  assoc_.clear();
  window_.clear();
  search_window_.clear();
  daily_used_ = 0;
  settings_ = HubSpotSettings{};
  ApplySettings(seed_config_, &settings_);
  LoadRecords(seed_);
}

Json HubSpotEmulator::SettingsLocked() {
  const HubSpotSettings& s = settings_;
  return Json{{"portal_id", s.portal_id},
              {"rate_limit_max", s.rate_limit_max},
              {"rate_limit_interval_ms", s.rate_limit_interval_ms},
              {"daily_limit", s.daily_limit},
              {"search_per_second", s.search_per_second},
              {"batch_max", s.batch_max},
              {"batch_history_max", s.batch_history_max},
              {"list_page_max", s.list_page_max},
              {"search_page_max", s.search_page_max},
              {"search_result_cap", s.search_result_cap},
              {"max_filter_groups", s.max_filter_groups},
              {"max_filters_per_group", s.max_filters_per_group},
              {"max_filters", s.max_filters},
              {"lifecycle_backward", s.lifecycle_backward}};
}

Status HubSpotEmulator::ConfigureLocked(const Json& j) { return ApplySettings(j, &settings_); }

Json HubSpotEmulator::DumpLocked() {
  Json j;
  j["system"] = "hubspot";
  j["now"] = FormatIsoMs(Now());
  j["daily_used"] = daily_used_;
  Json objects = Json::object();
  for (const auto& o : objects_) {
    Json records = Json::array();
    for (const Record& r : o->records) {
      Json rj;
      rj["id"] = r.id;
      rj["properties"] = r.props;
      rj["createdAt"] = FormatIsoMs(r.created_ms);
      rj["updatedAt"] = FormatIsoMs(r.updated_ms);
      rj["archived"] = r.archived;
      records.push_back(rj);
    }
    objects[o->schema.name] = {{"records", records}};
  }
  j["objects"] = objects;
  Json assoc = Json::array();
  for (const auto& [from, tos] : assoc_) {
    for (const auto& [to, ids] : tos) {
      assoc.push_back({{"from", from.type}, {"fromId", from.id}, {"to", to.type}, {"toId", to.id}, {"typeIds", ids}});
    }
  }
  j["associations"] = assoc;
  return j;
}

// ---------------------------------------------------------------- state file

namespace {

Json RecordState(const Record& r) {
  Json history = Json::object();
  for (const auto& [k, entries] : r.history) {
    Json list = Json::array();
    for (const auto& e : entries) list.push_back(Json::array({e.value, e.ms}));
    history[k] = list;
  }
  return Json{{"props", r.props},           {"history", history},         {"created_ms", r.created_ms},
              {"updated_ms", r.updated_ms}, {"archived", r.archived},     {"archived_ms", r.archived_ms}};
}

}  // namespace

std::vector<StateFile::Row> HubSpotEmulator::AllRowsLocked() {
  std::vector<StateFile::Row> rows;
  for (const auto& o : objects_) {
    for (const Record& r : o->records) rows.push_back({o->schema.name, r.id, RecordState(r)});
  }
  dirty_.clear();
  return rows;
}

std::vector<StateFile::Row> HubSpotEmulator::DirtyRowsLocked() {
  std::vector<StateFile::Row> rows;
  for (const auto& [type, id] : dirty_) {
    Object* o = FindObject(type);
    Record* r = o ? FindRecord(*o, id, true) : nullptr;
    rows.push_back({type, id, r ? std::optional<Json>(RecordState(*r)) : std::nullopt});
  }
  dirty_.clear();
  return rows;
}

Json HubSpotEmulator::MetaLocked() {
  Json assoc = Json::array();
  for (const auto& [from, tos] : assoc_) {
    for (const auto& [to, ids] : tos) {
      if (!ids.empty()) assoc.push_back(Json::array({from.type, from.id, to.type, to.id, ids}));
    }
  }
  return Json{{"id_counter", id_counter_}, {"correlation_counter", correlation_counter_},
              {"daily_used", daily_used_}, {"day", day_}, {"associations", assoc}};
}

Status HubSpotEmulator::LoadStateLocked(const std::vector<StateFile::Row>& rows, const Json& meta) {
  for (auto& o : objects_) {
    o->records.clear();
    o->by_id.clear();
  }
  assoc_.clear();
  for (const StateFile::Row& row : rows) {
    Object* o = FindObject(row.object);
    const Json& b = *row.body;
    if (!o) return Status::Error("state file: object type " + row.object + " is not in the seed's schemas");
    if (!b.is_object() || !b.contains("props") || !b["props"].is_object())
      return Status::Error("state file: record " + row.object + "/" + row.id + " has no properties");
    Record r;
    r.id = row.id;
    for (const auto& [k, v] : b["props"].items()) {
      if (v.is_string()) r.props[k] = v.get<std::string>();
    }
    if (b.contains("history") && b["history"].is_object()) {
      for (const auto& [k, list] : b["history"].items()) {
        for (const Json& e : list) {
          if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_number_integer())
            r.history[k].push_back({e[0].get<std::string>(), e[1].get<int64_t>()});
        }
      }
    }
    r.created_ms = b.value("created_ms", int64_t{0});
    r.updated_ms = b.value("updated_ms", int64_t{0});
    r.archived = b.value("archived", false);
    r.archived_ms = b.value("archived_ms", int64_t{0});
    o->by_id[r.id] = o->records.size();
    o->records.push_back(std::move(r));
  }
  for (auto& o : objects_) RebuildUnique(*o);
  if (meta.is_object()) {
    id_counter_ = meta.value("id_counter", id_counter_);
    correlation_counter_ = meta.value("correlation_counter", correlation_counter_);
    daily_used_ = meta.value("daily_used", daily_used_);
    day_ = meta.value("day", day_);
    if (meta.contains("associations") && meta["associations"].is_array()) {
      for (const Json& a : meta["associations"]) {
        if (!a.is_array() || a.size() != 5 || !a[4].is_array()) continue;
        for (const Json& id : a[4]) {
          if (id.is_number_integer())
            assoc_[{a[0].get<std::string>(), a[1].get<std::string>()}][{a[2].get<std::string>(), a[3].get<std::string>()}]
                .insert(id.get<int>());
        }
      }
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- errors

std::string HubSpotEmulator::CorrelationId() { return UuidFromHash(Hash3(0xc0ffee, ++correlation_counter_, 17)); }

Json HubSpotEmulator::ErrorBody(const std::string& category, const std::string& message, Json errors, Json context) {
  Json j;
  j["status"] = "error";
  j["message"] = message;
  j["correlationId"] = CorrelationId();
  if (!context.is_null()) j["context"] = context;
  j["category"] = category;
  if (!errors.is_null()) j["errors"] = errors;
  return j;
}

void HubSpotEmulator::SendError(Call& c, int status, const std::string& category, const std::string& message,
                                Json errors, Json context) {
  c.Send(status, ErrorBody(category, message, std::move(errors), std::move(context)));
}

Json HubSpotEmulator::ValidationBody(const std::vector<PropError>& errors) {
  Json list = Json::array(), details = Json::array();
  for (const PropError& e : errors) {
    Json item;
    item["isValid"] = false;
    item["message"] = e.message;
    item["error"] = e.error;
    item["name"] = e.name;
    item["localizedErrorMessage"] = e.message;
    list.push_back(item);
    Json d;
    d["message"] = e.message;
    d["code"] = e.error;
    d["context"] = {{"propertyName", {e.name}}};
    details.push_back(d);
  }
  return ErrorBody("VALIDATION_ERROR", "Property values were not valid: " + DumpJson(list), details);
}

void HubSpotEmulator::SendValidation(Call& c, const std::vector<PropError>& errors) {
  c.Send(400, ValidationBody(errors));
}

// ---------------------------------------------------------------- pipeline hooks

bool HubSpotEmulator::Authorize(Call& c) {
  std::string auth = c.Header("Authorization");
  if (auth.size() > 7 && EqualsIgnoreCase(auth.substr(0, 7), "Bearer ") && auth.substr(7) == token_) return true;
  SendError(c, 401, "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
            "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview");
  return false;
}

bool HubSpotEmulator::Admit(Call& c) {
  int64_t now = c.now_ms;
  int64_t day = StartOfDayMs(now);
  if (day != day_) {
    day_ = day;
    daily_used_ = 0;
  }
  while (!window_.empty() && window_.front() <= now - settings_.rate_limit_interval_ms) window_.pop_front();
  while (!search_window_.empty() && search_window_.front() <= now - 1000) search_window_.pop_front();
  bool search = c.req.method == "POST" && c.req.path.size() > 7 && c.req.path.substr(c.req.path.size() - 7) == "/search";
  auto headers = [&] {
    c.SetHeader("X-HubSpot-RateLimit-Daily", std::to_string(settings_.daily_limit));
    c.SetHeader("X-HubSpot-RateLimit-Daily-Remaining", std::to_string(std::max<int64_t>(0, settings_.daily_limit - daily_used_)));
    c.SetHeader("X-HubSpot-RateLimit-Interval-Milliseconds", std::to_string(settings_.rate_limit_interval_ms));
    c.SetHeader("X-HubSpot-RateLimit-Max", std::to_string(settings_.rate_limit_max));
    c.SetHeader("X-HubSpot-RateLimit-Remaining",
                std::to_string(std::max<int64_t>(0, settings_.rate_limit_max - static_cast<int64_t>(window_.size()))));
  };
  auto limited = [&](const char* policy, const char* message, int64_t retry_ms) {
    Json j;
    j["status"] = "error";
    j["message"] = message;
    j["errorType"] = "RATE_LIMIT";
    j["correlationId"] = CorrelationId();
    j["policyName"] = policy;
    j["groupName"] = "publicapi:private-app-api-calls-" + AsciiLower(policy) + ":" + std::to_string(settings_.portal_id);
    headers();
    c.SetHeader("Retry-After", std::to_string(std::max<int64_t>(1, (retry_ms + 999) / 1000)));
    c.Send(429, j);
    return false;
  };
  if (daily_used_ >= settings_.daily_limit) return limited("DAILY", "You have reached your daily limit.", day_ + 86400000 - now);
  if (static_cast<int64_t>(window_.size()) >= settings_.rate_limit_max)
    return limited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.",
                   window_.front() + settings_.rate_limit_interval_ms - now);
  if (search && static_cast<int64_t>(search_window_.size()) >= settings_.search_per_second)
    return limited("SECONDLY", "You have reached your secondly limit.", search_window_.front() + 1000 - now);
  window_.push_back(now);
  if (search) search_window_.push_back(now);
  ++daily_used_;
  headers();
  return true;
}

void HubSpotEmulator::WriteNotFound(Call& c) { SendError(c, 404, "OBJECT_NOT_FOUND", "Resource not found"); }

void HubSpotEmulator::WriteMethodNotAllowed(Call& c, const std::string& allowed) {
  SendError(c, 405, "VALIDATION_ERROR", "HTTP method " + c.req.method + " is not supported; allowed: " + allowed);
}

void HubSpotEmulator::WriteStorm(Call& c) {
  Json j;
  j["status"] = "error";
  j["message"] = "You have reached your ten_secondly_rolling limit.";
  j["errorType"] = "RATE_LIMIT";
  j["correlationId"] = CorrelationId();
  j["policyName"] = "TEN_SECONDLY_ROLLING";
  j["groupName"] = "publicapi:private-app-api-calls-ten-secondly:" + std::to_string(settings_.portal_id);
  c.SetHeader("Retry-After", "1");
  c.SetHeader("X-HubSpot-RateLimit-Max", std::to_string(settings_.rate_limit_max));
  c.SetHeader("X-HubSpot-RateLimit-Remaining", "0");
  c.SetHeader("X-HubSpot-RateLimit-Interval-Milliseconds", std::to_string(settings_.rate_limit_interval_ms));
  c.Send(429, j);
}

void HubSpotEmulator::WriteServerError(Call& c, int status) {
  SendError(c, status, "INTERNAL_ERROR", status == 500 ? "internal error" : "Service Unavailable");
}

// ---------------------------------------------------------------- lookups

Object* HubSpotEmulator::FindObject(std::string_view type) {
  const TypeInfo* t = TypeOf(type);
  for (auto& o : objects_) {
    if (EqualsIgnoreCase(o->schema.name, type) || (t && o->schema.name == t->name) || o->type_id == type) return o.get();
  }
  return nullptr;
}

Object* HubSpotEmulator::TypeArg(Call& c, size_t index) {
  Object* o = FindObject(c.args[index]);
  if (!o) SendError(c, 400, "VALIDATION_ERROR", "Unable to infer object type from: " + c.args[index]);
  return o;
}

Record* HubSpotEmulator::FindRecord(Object& obj, const std::string& id, bool include_archived) {
  auto it = obj.by_id.find(id);
  if (it == obj.by_id.end()) return nullptr;
  Record& r = obj.records[it->second];
  return r.archived && !include_archived ? nullptr : &r;
}

Record* HubSpotEmulator::FindByProperty(Object& obj, const std::string& prop, const std::string& value) {
  if (prop == "hs_object_id") return FindRecord(obj, value);
  if (auto u = obj.unique.find(prop); u != obj.unique.end()) {
    auto it = u->second.find(UniqueKey(prop, value));
    return it == u->second.end() ? nullptr : FindRecord(obj, it->second);
  }
  for (Record& r : obj.records) {  // not a unique property: a scan
    if (r.archived) continue;
    auto it = r.props.find(prop);
    if (it != r.props.end() && it->second == value) return &r;
  }
  return nullptr;
}

std::string HubSpotEmulator::UniqueKey(const std::string& prop, const std::string& value) {
  return prop == "email" ? AsciiLower(value) : value;
}

void HubSpotEmulator::IndexUnique(Object& obj, const Record& r, bool add) {
  if (r.archived) return;
  for (auto& [prop, values] : obj.unique) {
    auto it = r.props.find(prop);
    if (it == r.props.end() || it->second.empty()) continue;
    std::string key = UniqueKey(prop, it->second);
    if (add) {
      values[key] = r.id;
    } else if (auto v = values.find(key); v != values.end() && v->second == r.id) {
      values.erase(v);
    }
  }
}

void HubSpotEmulator::RebuildUnique(Object& obj) {
  obj.unique.clear();
  if (obj.schema.name == "contacts") obj.unique["email"];
  for (const schema::Field& f : obj.schema.fields) {
    if (f.unique) obj.unique[f.name];
  }
  for (const Record& r : obj.records) IndexUnique(obj, r, true);
}

std::string HubSpotEmulator::NewId() { return std::to_string(++id_counter_); }

// ---------------------------------------------------------------- the write path

bool HubSpotEmulator::ValidateProperties(Object& obj, const Json& props, const Record* existing,
                                         std::map<std::string, std::string>* out, std::vector<PropError>* errors) {
  if (!props.is_object()) {
    errors->push_back({"properties", "INVALID_PROPERTIES", "properties must be an object of property values"});
    return false;
  }
  for (const auto& [name, v] : props.items()) {
    const schema::Field* f = obj.schema.FindField(name);
    if (!f) {
      errors->push_back({name, "PROPERTY_DOESNT_EXIST", "Property \"" + name + "\" does not exist"});
      continue;
    }
    if (v.is_object() || v.is_array()) {
      errors->push_back({name, "INVALID_PROPERTY_VALUE", "Property \"" + name + "\" takes a string value"});
      continue;
    }
    std::string s = ValueText(v);
    if (f->calculated) {
      errors->push_back({name, "READ_ONLY_VALUE", "Property \"" + name + "\" is a read-only property"});
      continue;
    }
    if (s.empty()) {  // "Properties values can be cleared by passing an empty string."
      (*out)[f->name] = "";
      continue;
    }
    const std::string& type = f->native_type;
    if (type == "enumeration") {
      bool open = f->values.empty() && (f->external_options || !f->reference_to.empty());
      std::vector<std::string> parts =
          f->field_type_hint == "checkbox" ? SplitList(s, ';') : std::vector<std::string>{s};
      bool ok = true;
      for (const std::string& p : parts) {
        if (!open && !f->FindValue(p)) ok = false;
      }
      if (!ok) {
        std::string allowed;
        for (const schema::PicklistValue& pv : f->values) allowed += (allowed.empty() ? "" : ", ") + pv.value;
        errors->push_back({name, "INVALID_OPTION", s + " was not one of the allowed options: [" + allowed + "]"});
        continue;
      }
    } else if (type == "bool") {
      if (s != "true" && s != "false") {
        errors->push_back({name, "INVALID_BOOLEAN", s + " is not a valid boolean value (true or false)"});
        continue;
      }
    } else if (type == "number") {
      if (!NumberValue(s)) {
        errors->push_back({name, "INVALID_DECIMAL", s + " is not a valid number"});
        continue;
      }
    } else if (type == "date") {
      auto ms = TimeValue(s);
      if (!ms) {
        errors->push_back({name, "INVALID_DATE", s + " is not a valid date"});
        continue;
      }
      if (*ms != StartOfDayMs(*ms)) {
        std::string t = FormatIsoMs(*ms).substr(11, 12);
        errors->push_back({name, "INVALID_DATE", s + " is at " + t + " UTC, not midnight!"});
        continue;
      }
      s = FormatDate(*ms);
    } else if (type == "datetime") {
      auto ms = TimeValue(s);
      if (!ms) {
        errors->push_back({name, "INVALID_DATETIME", s + " is not a valid date-time"});
        continue;
      }
      s = FormatIsoMs(*ms);
    } else if (name == "email" && obj.schema.name == "contacts") {
      if (!ValidEmail(s)) {
        errors->push_back({name, "INVALID_EMAIL", "Email address " + s + " is invalid"});
        continue;
      }
      s = AsciiLower(s);  // HubSpot stores contact emails in lower case
    }
    if (name == "lifecyclestage" && existing && settings_.lifecycle_backward != "allow") {
      auto cur = existing->props.find("lifecyclestage");
      if (cur != existing->props.end() && !cur->second.empty()) {
        auto index = [&](const std::string& v) {
          for (size_t i = 0; i < f->values.size(); ++i) {
            if (f->values[i].value == v) return static_cast<int>(i);
          }
          return -1;
        };
        if (index(s) < index(cur->second)) {
          if (settings_.lifecycle_backward == "reject") {
            errors->push_back({name, "INVALID_OPTION",
                               "lifecyclestage cannot move backwards from " + cur->second + " to " + s +
                                   "; clear it first (set \"\")"});
          }
          continue;  // "ignore": HubSpot keeps the later stage
        }
      }
    }
    (*out)[f->name] = s;
  }
  return errors->empty();
}

std::optional<std::string> HubSpotEmulator::UniqueConflict(Object& obj, const std::map<std::string, std::string>& values,
                                                           const std::string& self_id, std::string* message) {
  for (const auto& [k, v] : values) {
    if (v.empty()) continue;
    if (!obj.IsUnique(k)) continue;
    Record* other = FindByProperty(obj, k, v);
    if (other && other->id != self_id) {
      *message = obj.schema.name == "contacts" && k == "email"
                     ? "Contact already exists. Existing ID: " + other->id
                     : "A " + obj.schema.name + " object with the value " + k + "=" + v +
                           " already exists. Existing ID: " + other->id;
      return other->id;
    }
  }
  return std::nullopt;
}

Record& HubSpotEmulator::Create(Object& obj, const std::map<std::string, std::string>& values, int64_t now) {
  Record r;
  r.id = NewId();
  r.created_ms = now;
  obj.by_id[r.id] = obj.records.size();
  obj.records.push_back(std::move(r));
  Record& rec = obj.records.back();
  std::map<std::string, std::string> all = values;
  all["hs_object_id"] = rec.id;
  all[obj.created_prop] = FormatIsoMs(now);
  Apply(obj, rec, all, now);
  return rec;
}

void HubSpotEmulator::Apply(Object& obj, Record& r, const std::map<std::string, std::string>& values, int64_t now) {
  // updatedAt moves strictly forward, so two writes in one millisecond stay ordered.
  int64_t t = std::max(now, r.updated_ms + 1);
  IndexUnique(obj, r, false);
  for (const auto& [k, v] : values) {
    auto it = r.props.find(k);
    std::string old = it == r.props.end() ? "" : it->second;
    if (v.empty()) {
      r.props.erase(k);
    } else {
      r.props[k] = v;
    }
    if (old != v) r.history[k].push_back({v, t});
  }
  r.updated_ms = t;
  r.props[obj.modified_prop] = FormatIsoMs(t);
  r.history[obj.modified_prop].push_back({r.props[obj.modified_prop], t});
  IndexUnique(obj, r, true);
  Touch(obj, r);
}

bool HubSpotEmulator::ParseBody(Call& c, Json* out) {
  std::string err;
  if (ParseJson(c.Body(), out, &err) && out->is_object()) return true;
  SendError(c, 400, "VALIDATION_ERROR",
            "Invalid input JSON on line 1: " + (err.empty() ? std::string("the body must be a JSON object") : err));
  return false;
}

bool HubSpotEmulator::ParseAssociationInputs(Call& c, Object& obj, const Json& list,
                                             std::vector<std::tuple<std::string, std::string, int>>* out) {
  if (list.is_null()) return true;
  if (!list.is_array()) {
    SendError(c, 400, "VALIDATION_ERROR", "associations must be an array");
    return false;
  }
  for (const Json& a : list) {
    std::string to_id = a.is_object() && a.contains("to") && a["to"].is_object() && a["to"].contains("id")
                            ? ValueText(a["to"]["id"])
                            : "";
    if (to_id.empty() || !a.contains("types") || !a["types"].is_array() || a["types"].empty()) {
      SendError(c, 400, "VALIDATION_ERROR", "each association needs to.id and types");
      return false;
    }
    for (const Json& t : a["types"]) {
      int id = t.is_object() && t.contains("associationTypeId") && t["associationTypeId"].is_number_integer()
                   ? t["associationTypeId"].get<int>()
                   : 0;
      const AssocType* at = nullptr;
      for (const AssocType& k : kAssocTypes) {
        if (k.from == obj.schema.name && k.id == id) at = &k;
      }
      Object* to = at ? FindObject(at->to) : nullptr;
      if (!at || !to) {
        SendError(c, 400, "VALIDATION_ERROR",
                  "association type id " + std::to_string(id) + " is not valid from " + obj.schema.name);
        return false;
      }
      if (!FindRecord(*to, to_id)) {
        SendError(c, 400, "VALIDATION_ERROR", to->schema.name + " " + to_id + " does not exist");
        return false;
      }
      out->emplace_back(at->to, to_id, id);
    }
  }
  return true;
}

// ---------------------------------------------------------------- responses

std::vector<std::string> HubSpotEmulator::PropList(const Call& c, const std::string& key) {
  std::vector<std::string> out;
  for (const std::string& value : c.Params(key)) {
    for (const std::string& p : SplitList(value, ',')) out.push_back(p);
  }
  return out;
}

Json HubSpotEmulator::ObjectJson(const Object& obj, const Record& r, const std::vector<std::string>* props,
                                 const std::vector<std::string>* history,
                                 const std::vector<std::string>* associations) {
  std::map<std::string, Json> p;
  auto add = [&](const std::string& name) {
    auto it = r.props.find(name);
    p[name] = it == r.props.end() ? Json() : Json(it->second);
  };
  if (props && !props->empty()) {
    for (const std::string& name : *props) {
      if (obj.schema.FindField(name) || name == "hs_object_id" || name == "hs_merged_object_ids") add(name);
    }
  } else {
    for (const std::string& name : DefaultProps(obj.schema.name)) add(name);
  }
  add(obj.created_prop);
  add(obj.modified_prop);
  add("hs_object_id");
  Json j;
  j["id"] = r.id;
  Json pj = Json::object();
  for (auto& [k, v] : p) pj[k] = v;
  j["properties"] = pj;
  if (history && !history->empty()) {
    Json h = Json::object();
    for (const std::string& name : *history) {
      auto it = r.history.find(name);
      if (!obj.schema.FindField(name) && name != "hs_object_id") continue;
      Json list = Json::array();
      if (it != r.history.end()) {
        for (auto e = it->second.rbegin(); e != it->second.rend(); ++e) {
          list.push_back({{"value", e->value}, {"timestamp", FormatIsoMs(e->ms)}, {"sourceType", "INTEGRATION"},
                          {"sourceId", "accord-sandbox"}});
        }
      }
      h[name] = list;
    }
    j["propertiesWithHistory"] = h;
  }
  j["createdAt"] = FormatIsoMs(r.created_ms);
  j["updatedAt"] = FormatIsoMs(r.updated_ms);
  j["archived"] = r.archived;
  if (r.archived) j["archivedAt"] = FormatIsoMs(r.archived_ms);
  if (associations && !associations->empty()) {
    Json aj = Json::object();
    const TypeInfo* from_t = TypeOf(obj.schema.name);
    for (const std::string& to : *associations) {
      Object* to_obj = FindObject(to);
      if (!to_obj) continue;
      const TypeInfo* to_t = TypeOf(to_obj->schema.name);
      Json results = Json::array();
      for (const auto& [to_id, ids] : AssociationsOf(obj.schema.name, r.id, to_obj->schema.name)) {
        for (int id : ids) {
          std::string name = std::string(from_t ? from_t->singular : obj.schema.name.c_str()) + "_to_" +
                             (to_t ? to_t->singular : to_obj->schema.name.c_str());
          const AssocType* at = FindAssocType(obj.schema.name, to_obj->schema.name, id);
          if (at && at->is_default && !at->label) {
            bool has_primary = false;
            for (const AssocType& k : kAssocTypes) {
              has_primary = has_primary || (k.from == obj.schema.name && k.to == to_obj->schema.name && k.label);
            }
            if (has_primary) name += "_unlabeled";
          }
          results.push_back({{"id", to_id}, {"type", name}});
        }
      }
      if (!results.empty()) aj[to_obj->schema.name] = {{"results", results}};
    }
    j["associations"] = aj;
  }
  return j;
}

// ---------------------------------------------------------------- associations

bool HubSpotEmulator::Associate(const std::string& from_type, const std::string& from_id, const std::string& to_type,
                                const std::string& to_id, int type_id) {
  const AssocType* at = FindAssocType(from_type, to_type, type_id);
  int inverse = at ? at->inverse : type_id;  // user-defined labels: the same id both ways
  if (!at && type_id < 1000) return false;   // HUBSPOT_DEFINED ids must be known
  assoc_[{from_type, from_id}][{to_type, to_id}].insert(type_id);
  assoc_[{to_type, to_id}][{from_type, from_id}].insert(inverse);
  return true;
}

std::vector<std::pair<std::string, std::set<int>>> HubSpotEmulator::AssociationsOf(const std::string& from_type,
                                                                                   const std::string& from_id,
                                                                                   const std::string& to_type) {
  std::vector<std::pair<std::string, std::set<int>>> out;
  auto it = assoc_.find({from_type, from_id});
  if (it == assoc_.end()) return out;
  Object* to = FindObject(to_type);
  for (const auto& [key, ids] : it->second) {
    if (key.type != to_type || ids.empty()) continue;
    if (to && !FindRecord(*to, key.id)) continue;  // archived records' associations are hidden
    out.emplace_back(key.id, ids);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  return out;
}

Json HubSpotEmulator::AssociationTypes(const std::set<int>& ids, const std::string& from, const std::string& to) {
  Json list = Json::array();
  for (int id : ids) {
    const AssocType* at = FindAssocType(from, to, id);
    list.push_back({{"category", at ? "HUBSPOT_DEFINED" : "USER_DEFINED"},
                    {"typeId", id},
                    {"label", at && at->label ? Json(at->label) : Json()}});
  }
  return list;
}

// ---------------------------------------------------------------- routes

void HubSpotEmulator::RegisterRoutes() {
  RouteOptions write;
  write.mutates = true;
  const std::string o = "/crm/v3/objects/{}";
  Route("GET", o, [this](Call& c) { List(c); });
  Route("POST", o, [this](Call& c) { CreateOne(c); }, write);
  Route("POST", o + "/search", [this](Call& c) { Search(c); });
  Route("POST", o + "/batch/read", [this](Call& c) { BatchRead(c); });
  Route("POST", o + "/batch/create", [this](Call& c) { BatchCreate(c); }, write);
  Route("POST", o + "/batch/update", [this](Call& c) { BatchUpdate(c); }, write);
  Route("POST", o + "/batch/upsert", [this](Call& c) { BatchUpsert(c); }, write);
  Route("POST", o + "/batch/archive", [this](Call& c) { BatchArchive(c); }, write);
  Route("GET", o + "/{}", [this](Call& c) { GetOne(c); });
  Route("PATCH", o + "/{}", [this](Call& c) { UpdateOne(c); }, write);
  Route("DELETE", o + "/{}", [this](Call& c) { ArchiveOne(c); }, write);
  Route("POST", o + "/merge", [this](Call& c) { MergeRecords(c); }, write);
  Route("GET", "/crm/v3/properties/{}", [this](Call& c) { Properties(c, false); });
  Route("GET", "/crm/v3/properties/{}/{}", [this](Call& c) { Properties(c, true); });
  Route("POST", "/crm/v3/properties/{}/batch/read", [this](Call& c) { PropertiesBatchRead(c); });
  const std::string a = "/crm/v4/objects/{}/{}/associations";
  Route("PUT", a + "/default/{}/{}", [this](Call& c) { AssocPut(c, false); }, write);
  Route("PUT", a + "/{}/{}", [this](Call& c) { AssocPut(c, true); }, write);
  Route("DELETE", a + "/{}/{}", [this](Call& c) { AssocDelete(c); }, write);
  Route("GET", a + "/{}", [this](Call& c) { AssocGet(c); });
  const std::string b = "/crm/v4/associations/{}/{}/batch/";
  Route("POST", b + "create", [this](Call& c) { AssocBatch(c, "create"); }, write);
  Route("POST", b + "read", [this](Call& c) { AssocBatch(c, "read"); });
  Route("POST", b + "archive", [this](Call& c) { AssocBatch(c, "archive"); }, write);
  Route("POST", b + "associate/default", [this](Call& c) { AssocBatch(c, "default"); }, write);
  Route("POST", b + "labels/archive", [this](Call& c) { AssocBatch(c, "labels_archive"); }, write);
  Route("GET", "/crm/v4/associations/{}/{}/labels", [this](Call& c) { AssocLabels(c); });
}

// ---------------------------------------------------------------- objects

void HubSpotEmulator::List(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  int limit = 10;
  if (c.HasParam("limit")) {
    limit = std::atoi(c.Param("limit").c_str());
    if (limit < 1) return SendError(c, 400, "VALIDATION_ERROR", "limit must be a positive integer");
    limit = std::min(limit, settings_.list_page_max);
  }
  bool archived = c.Param("archived") == "true";
  std::string after = c.Param("after");
  std::vector<std::string> props = PropList(c, "properties"), hist = PropList(c, "propertiesWithHistory"),
                           assocs = PropList(c, "associations");
  // Ordered by id (numerically); `after` is the id to continue after.
  std::vector<const Record*> rows;
  for (const Record& r : obj->records) {
    if (r.archived == archived) rows.push_back(&r);
  }
  auto num_less = [](const std::string& x, const std::string& y) {
    return x.size() != y.size() ? x.size() < y.size() : x < y;
  };
  std::sort(rows.begin(), rows.end(), [&](const Record* x, const Record* y) { return num_less(x->id, y->id); });
  size_t start = 0;
  if (!after.empty()) {
    while (start < rows.size() && !num_less(after, rows[start]->id)) ++start;
  }
  Json results = Json::array();
  size_t end = std::min(rows.size(), start + static_cast<size_t>(limit));
  for (size_t i = start; i < end; ++i) results.push_back(ObjectJson(*obj, *rows[i], &props, &hist, &assocs));
  Json j;
  j["results"] = results;
  if (end < rows.size()) {
    std::string next = rows[end - 1]->id;
    j["paging"] = {{"next",
                    {{"after", next},
                     {"link", base_url() + "/crm/v3/objects/" + obj->schema.name + "?after=" + next}}}};
  }
  c.Send(200, j);
}

void HubSpotEmulator::GetOne(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  std::string id_prop = c.Param("idProperty");
  bool archived = c.Param("archived") == "true";
  Record* r = nullptr;
  if (!id_prop.empty()) {
    if (!obj->schema.FindField(id_prop) && id_prop != "hs_object_id")
      return SendError(c, 400, "VALIDATION_ERROR", "Property \"" + id_prop + "\" does not exist");
    r = FindByProperty(*obj, id_prop, c.args[1]);
  } else {
    r = FindRecord(*obj, c.args[1], archived);
    if (r && archived != r->archived) r = nullptr;
  }
  if (!r)
    return SendError(c, 404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", Json(),
                     Json{{"id", {c.args[1]}}});
  std::vector<std::string> props = PropList(c, "properties"), hist = PropList(c, "propertiesWithHistory"),
                           assocs = PropList(c, "associations");
  c.Send(200, ObjectJson(*obj, *r, &props, &hist, &assocs));
}

void HubSpotEmulator::CreateOne(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  Json body;
  if (!ParseBody(c, &body)) return;
  std::map<std::string, std::string> values;
  std::vector<PropError> errors;
  if (!ValidateProperties(*obj, body.contains("properties") ? body["properties"] : Json::object(), nullptr, &values,
                          &errors))
    return SendValidation(c, errors);
  std::vector<std::tuple<std::string, std::string, int>> assocs;
  if (!ParseAssociationInputs(c, *obj, body.contains("associations") ? body["associations"] : Json(), &assocs)) return;
  std::string message;
  if (UniqueConflict(*obj, values, "", &message)) return SendError(c, 409, "CONFLICT", message);
  Record& r = Create(*obj, values, c.now_ms);
  std::string id = r.id;
  for (const auto& [to, to_id, type_id] : assocs) Associate(obj->schema.name, id, to, to_id, type_id);
  std::vector<std::string> written = WrittenProps(obj->schema.name, values);
  c.Send(201, ObjectJson(*obj, *FindRecord(*obj, id), &written, nullptr, nullptr));
}

void HubSpotEmulator::UpdateOne(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  std::string id_prop = c.Param("idProperty");
  Record* r = id_prop.empty() ? FindRecord(*obj, c.args[1]) : FindByProperty(*obj, id_prop, c.args[1]);
  if (!r)
    return SendError(c, 404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", Json(),
                     Json{{"id", {c.args[1]}}});
  Json body;
  if (!ParseBody(c, &body)) return;
  std::map<std::string, std::string> values;
  std::vector<PropError> errors;
  if (!ValidateProperties(*obj, body.contains("properties") ? body["properties"] : Json::object(), r, &values, &errors))
    return SendValidation(c, errors);
  std::string message;
  if (UniqueConflict(*obj, values, r->id, &message)) return SendError(c, 409, "CONFLICT", message);
  Apply(*obj, *r, values, c.now_ms);
  std::vector<std::string> written = WrittenProps(obj->schema.name, values);
  c.Send(200, ObjectJson(*obj, *r, &written, nullptr, nullptr));
}

void HubSpotEmulator::ArchiveOne(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  if (Record* r = FindRecord(*obj, c.args[1])) Archive(*obj, *r, c.now_ms);
  c.SendEmpty(204);  // archiving a missing or archived object is not an error
}

// POST /crm/v3/objects/{type}/merge {"primaryObjectId", "objectIdToMerge"}: the merged record
// is archived; the primary keeps its id and its values, takes the merged one's where its own
// are empty, and lists the merged id in hs_merged_object_ids (";"-separated).
void HubSpotEmulator::MergeRecords(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  Json body;
  if (!ParseBody(c, &body)) return;
  auto id_of = [&](const char* key) {
    if (!body.contains(key)) return std::string();
    const Json& v = body[key];
    return v.is_string() ? v.get<std::string>() : v.is_number_integer() ? std::to_string(v.get<int64_t>()) : std::string();
  };
  std::string primary = id_of("primaryObjectId"), merged = id_of("objectIdToMerge");
  if (primary.empty() || merged.empty() || primary == merged)
    return SendError(c, 400, "VALIDATION_ERROR",
                     "primaryObjectId and objectIdToMerge must name two different records (strings or numbers)");
  Record* p = FindRecord(*obj, primary);
  Record* m = FindRecord(*obj, merged);
  if (!p || !m)
    return SendError(c, 404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", Json(),
                     Json{{"id", {p ? merged : primary}}});
  std::map<std::string, std::string> values;
  for (const auto& [k, v] : m->props) {
    if (v.empty() || k == obj->created_prop || k == obj->modified_prop || k == "hs_object_id" ||
        k == "hs_merged_object_ids" || !obj->schema.FindField(k))
      continue;
    if (auto own = p->props.find(k); own == p->props.end() || own->second.empty()) values[k] = v;
  }
  std::string ids = p->props.count("hs_merged_object_ids") ? p->props["hs_merged_object_ids"] : "";
  values["hs_merged_object_ids"] = ids + (ids.empty() ? "" : ";") + merged;
  Archive(*obj, *m, c.now_ms);  // first: the merged record's unique values are free for the primary
  Apply(*obj, *p, values, c.now_ms);
  c.Send(200, ObjectJson(*obj, *p, nullptr, nullptr, nullptr));
}

// ---------------------------------------------------------------- batches

bool HubSpotEmulator::BatchInputs(Call& c, Object** obj, Json* body, bool non_empty) {
  *obj = TypeArg(c, 0);
  if (!*obj || !ParseBody(c, body)) return false;
  auto it = body->find("inputs");
  if (it == body->end() || !it->is_array() || (non_empty && it->empty())) {
    SendError(c, 400, "VALIDATION_ERROR", non_empty ? "inputs must be a non-empty array" : "inputs must be an array");
    return false;
  }
  if (it->size() > static_cast<size_t>(settings_.batch_max)) {
    SendError(c, 400, "VALIDATION_ERROR",
              "The maximum number of inputs supported in a batch request is " + std::to_string(settings_.batch_max));
    return false;
  }
  return true;
}

namespace {

// One entry of a batch response's errors[] (StandardError).
Json BatchError(const std::string& category, const std::string& message, Json context) {
  return Json{{"status", "error"}, {"category", category}, {"message", message}, {"context", std::move(context)},
              {"errors", Json::array()}, {"links", Json::object()}};
}

Json BatchEnvelope(int64_t started, int64_t now, Json results, Json errors) {
  Json j;
  j["status"] = "COMPLETE";
  j["results"] = std::move(results);
  if (!errors.empty()) {
    j["numErrors"] = errors.size();
    j["errors"] = std::move(errors);
  }
  j["startedAt"] = FormatIsoMs(started);
  j["completedAt"] = FormatIsoMs(now);
  return j;
}

}  // namespace

void HubSpotEmulator::BatchRead(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  Json body;
  if (!ParseBody(c, &body)) return;
  const Json& inputs = body.contains("inputs") ? body["inputs"] : Json();
  if (!inputs.is_array()) return SendError(c, 400, "VALIDATION_ERROR", "inputs must be an array");
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    if (body.contains(key) && body[key].is_array()) {
      for (const Json& e : body[key]) {
        if (e.is_string()) out.push_back(e.get<std::string>());
      }
    }
    return out;
  };
  std::vector<std::string> props = strings("properties"), hist = strings("propertiesWithHistory");
  size_t max = static_cast<size_t>(hist.empty() ? settings_.batch_max : settings_.batch_history_max);
  if (inputs.size() > max) {
    return SendError(c, 400, "VALIDATION_ERROR",
                     hist.empty() ? "The maximum number of inputs supported in a batch request is " + std::to_string(max)
                                  : "The maximum number of inputs supported in a batch request for property histories "
                                    "is " + std::to_string(max) + ". Please reduce the number of items and try again");
  }
  std::string id_prop = body.value("idProperty", std::string());
  if (!id_prop.empty() && !obj->schema.FindField(id_prop) && id_prop != "hs_object_id")
    return SendError(c, 400, "VALIDATION_ERROR", "Property \"" + id_prop + "\" does not exist");
  bool archived = c.Param("archived") == "true";
  Json results = Json::array();
  Json missing = Json::array();
  for (const Json& in : inputs) {
    std::string id = in.is_object() && in.contains("id") ? ValueText(in["id"]) : "";
    Record* r = id_prop.empty() ? FindRecord(*obj, id, archived) : FindByProperty(*obj, id_prop, id);
    if (r && r->archived != archived) r = nullptr;
    if (!r) {
      missing.push_back(id);
      continue;
    }
    results.push_back(ObjectJson(*obj, *r, &props, &hist, nullptr));
  }
  Json errors = Json::array();
  if (!missing.empty()) {
    std::string upper = AsciiLower(obj->schema.name);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (!upper.empty() && upper.back() == 'S') upper.pop_back();
    errors.push_back(BatchError("OBJECT_NOT_FOUND", "Could not get some " + upper +
                                      " objects, they may be deleted or not exist. Check that ids are valid.", {{"ids", missing}}));
  }
  c.Send(errors.empty() ? 200 : 207, BatchEnvelope(c.now_ms, c.now_ms, results, errors));
}

void HubSpotEmulator::BatchCreate(Call& c) {
  Object* obj;
  Json body;
  if (!BatchInputs(c, &obj, &body, true)) return;
  const Json& inputs = body["inputs"];
  // All inputs are validated first: one invalid input fails the whole batch, nothing is created.
  std::vector<std::map<std::string, std::string>> values(inputs.size());
  std::vector<std::vector<std::tuple<std::string, std::string, int>>> assocs(inputs.size());
  std::vector<PropError> errors;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Json& in = inputs[i];
    Json props = in.is_object() && in.contains("properties") ? in["properties"] : Json::object();
    ValidateProperties(*obj, props, nullptr, &values[i], &errors);
  }
  if (!errors.empty()) return SendValidation(c, errors);
  std::map<std::string, size_t> emails;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!ParseAssociationInputs(c, *obj, inputs[i].is_object() && inputs[i].contains("associations") ? inputs[i]["associations"] : Json(),
                                &assocs[i]))
      return;
    std::string message;
    if (UniqueConflict(*obj, values[i], "", &message)) return SendError(c, 409, "CONFLICT", message);
    if (obj->schema.name == "contacts" && values[i].count("email") && !values[i]["email"].empty()) {
      if (!emails.emplace(values[i]["email"], i).second)
        return SendError(c, 400, "VALIDATION_ERROR", "Duplicate email in the batch: " + values[i]["email"]);
    }
  }
  Json results = Json::array(), failed = Json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (c.PartialFault(i)) {
      failed.push_back(BatchError("INTERNAL_ERROR", "The input could not be processed; retry it", {{"inputIndex", {std::to_string(i)}}}));
      continue;
    }
    Record& r = Create(*obj, values[i], c.now_ms);
    std::string id = r.id;
    for (const auto& [to, to_id, type_id] : assocs[i]) Associate(obj->schema.name, id, to, to_id, type_id);
    std::vector<std::string> written = WrittenProps(obj->schema.name, values[i]);
    results.push_back(ObjectJson(*obj, *FindRecord(*obj, id), &written, nullptr, nullptr));
  }
  c.Send(failed.empty() ? 201 : 207, BatchEnvelope(c.now_ms, c.now_ms, results, failed));
}

void HubSpotEmulator::BatchUpdate(Call& c) {
  Object* obj;
  Json body;
  if (!BatchInputs(c, &obj, &body, true)) return;
  const Json& inputs = body["inputs"];
  std::vector<Record*> recs(inputs.size());
  std::vector<std::map<std::string, std::string>> values(inputs.size());
  std::vector<PropError> errors;
  Json missing = Json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Json& in = inputs[i];
    std::string id = in.is_object() && in.contains("id") ? ValueText(in["id"]) : "";
    std::string id_prop = in.is_object() ? in.value("idProperty", std::string()) : "";
    if (!id_prop.empty() && id_prop != "hs_object_id") {
      if (!obj->IsUnique(id_prop))
        return SendError(c, 400, "VALIDATION_ERROR",
                         "Unable to perform update/upsert by non-unique " + obj->type_id + " property");
    }
    recs[i] = id_prop.empty() ? FindRecord(*obj, id) : FindByProperty(*obj, id_prop, id);
    if (!recs[i]) {
      missing.push_back(id);
      continue;
    }
    Json props = in.is_object() && in.contains("properties") ? in["properties"] : Json::object();
    ValidateProperties(*obj, props, recs[i], &values[i], &errors);
  }
  if (!errors.empty()) return SendValidation(c, errors);
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string message;
    if (recs[i] && UniqueConflict(*obj, values[i], recs[i]->id, &message)) return SendError(c, 409, "CONFLICT", message);
  }
  Json results = Json::array(), failed = Json::array();
  if (!missing.empty()) {
    failed.push_back(BatchError("OBJECT_NOT_FOUND", "Could not find some objects, they may be deleted or not exist. Check that ids are valid.", {{"ids", missing}}));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!recs[i]) continue;
    if (c.PartialFault(i)) {
      failed.push_back(BatchError("INTERNAL_ERROR", "The input could not be processed; retry it", {{"ids", {recs[i]->id}}}));
      continue;
    }
    Apply(*obj, *recs[i], values[i], c.now_ms);
    std::vector<std::string> written = WrittenProps(obj->schema.name, values[i]);
    results.push_back(ObjectJson(*obj, *recs[i], &written, nullptr, nullptr));
  }
  c.Send(failed.empty() ? 200 : 207, BatchEnvelope(c.now_ms, c.now_ms, results, failed));
}

void HubSpotEmulator::BatchUpsert(Call& c) {
  Object* obj;
  Json body;
  if (!BatchInputs(c, &obj, &body, true)) return;
  const Json& inputs = body["inputs"];
  // Each input is its own unit: a failing input shows in errors (207), the others are written.
  Json results = Json::array(), failed = Json::array();
  std::set<std::string> seen;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Json& in = inputs[i];
    std::string key = in.is_object() && in.contains("id") ? ValueText(in["id"]) : "";
    std::string id_prop = in.is_object() ? in.value("idProperty", std::string()) : "";
    if (id_prop.empty()) id_prop = "hs_object_id";
    bool unique = id_prop == "hs_object_id" || obj->IsUnique(id_prop);
    if (!unique)
      return SendError(c, 400, "VALIDATION_ERROR", "Unable to perform update/upsert by non-unique " + obj->type_id + " property");
    auto fail = [&](const std::string& category, const std::string& message) {
      failed.push_back(BatchError(category, message, {{"ids", {key}}}));
    };
    if (key.empty()) {
      fail("VALIDATION_ERROR", "Input " + std::to_string(i) + " has no id");
      continue;
    }
    std::string norm = id_prop == "email" ? AsciiLower(key) : key;
    if (!seen.insert(norm).second) {
      fail("VALIDATION_ERROR", "Duplicate id in the batch: " + key);
      continue;
    }
    Record* r = FindByProperty(*obj, id_prop, key);
    Json props = in.contains("properties") ? in["properties"] : Json::object();
    std::map<std::string, std::string> values;
    std::vector<PropError> errors;
    if (!ValidateProperties(*obj, props, r, &values, &errors)) {
      Json vb = ValidationBody(errors);
      Json entry = BatchError("VALIDATION_ERROR", vb["message"], {{"ids", {key}}});
      entry["errors"] = vb["errors"];
      failed.push_back(entry);
      continue;
    }
    if (c.PartialFault(i)) {
      fail("INTERNAL_ERROR", "The input could not be processed; retry it");
      continue;
    }
    if (!r && id_prop != "hs_object_id") values[id_prop] = norm;
    std::string message;
    if (UniqueConflict(*obj, values, r ? r->id : "", &message)) {
      fail("CONFLICT", message);
      continue;
    }
    bool created = !r;
    if (!r) {
      if (id_prop == "hs_object_id") {
        fail("OBJECT_NOT_FOUND", "Object " + key + " does not exist; upsert by hs_object_id only updates");
        continue;
      }
      r = &Create(*obj, values, c.now_ms);
    } else {
      Apply(*obj, *r, values, c.now_ms);
    }
    std::vector<std::string> written = WrittenProps(obj->schema.name, values);
    Json j = ObjectJson(*obj, *r, &written, nullptr, nullptr);
    j["new"] = created;
    results.push_back(j);
  }
  c.Send(failed.empty() ? 200 : 207, BatchEnvelope(c.now_ms, c.now_ms, results, failed));
}

void HubSpotEmulator::BatchArchive(Call& c) {
  Object* obj;
  Json body;
  if (!BatchInputs(c, &obj, &body, false)) return;
  const Json& inputs = body["inputs"];
  for (const Json& in : inputs) {
    std::string id = in.is_object() && in.contains("id") ? ValueText(in["id"]) : "";
    if (Record* r = FindRecord(*obj, id)) Archive(*obj, *r, c.now_ms);
  }
  c.SendEmpty(204);
}

// ---------------------------------------------------------------- search

void HubSpotEmulator::Search(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  Json body;
  if (!ParseBody(c, &body)) return;
  auto invalid = [&](const std::string& m) { SendError(c, 400, "VALIDATION_ERROR", m); };
  int limit = 10;
  if (body.contains("limit")) {
    if (!body["limit"].is_number_integer() || body["limit"].get<int64_t>() < 1)
      return invalid("limit must be a positive integer");
    if (body["limit"].get<int64_t>() > settings_.search_page_max)
      return invalid("limit must be less than or equal to " + std::to_string(settings_.search_page_max));
    limit = body["limit"].get<int>();
  }
  int64_t after = 0;
  if (body.contains("after") && !body["after"].is_null()) {
    std::string a = ValueText(body["after"]);
    char* end = nullptr;
    after = std::strtoll(a.c_str(), &end, 10);
    if (a.empty() || *end != '\0' || after < 0) return invalid("after must be a non-negative integer string");
  }
  if (after >= settings_.search_result_cap)
    return invalid("The search API returns at most " + std::to_string(settings_.search_result_cap) +
                   " results per query; refine the filters (for example on hs_object_id or the last-modified date) to "
                   "page past it");

  // filterGroups: OR of groups, AND within a group.
  struct Filter {
    const schema::Field* field;
    std::string name, op, value, high;
    std::vector<std::string> values;
  };
  std::vector<std::vector<Filter>> groups;
  if (body.contains("filterGroups")) {
    const Json& fg = body["filterGroups"];
    if (!fg.is_array()) return invalid("filterGroups must be an array");
    if (fg.size() > static_cast<size_t>(settings_.max_filter_groups))
      return invalid("Too many filter groups: " + std::to_string(fg.size()) + " (the maximum is " +
                     std::to_string(settings_.max_filter_groups) + ")");
    size_t total = 0;
    for (const Json& g : fg) {
      if (!g.is_object() || !g.contains("filters") || !g["filters"].is_array())
        return invalid("each filter group needs a filters array");
      if (g["filters"].size() > static_cast<size_t>(settings_.max_filters_per_group))
        return invalid("Too many filters in a group (the maximum is " + std::to_string(settings_.max_filters_per_group) + ")");
      total += g["filters"].size();
      std::vector<Filter> group;
      for (const Json& f : g["filters"]) {
        if (!f.is_object() || !f.contains("propertyName") || !f["propertyName"].is_string() || !f.contains("operator") ||
            !f["operator"].is_string())
          return invalid("each filter needs propertyName and operator");
        Filter flt;
        flt.name = f["propertyName"].get<std::string>();
        flt.field = obj->schema.FindField(flt.name);
        if (!flt.field && flt.name != "hs_object_id")
          return invalid("There was a problem with the request: property " + flt.name + " does not exist on " + obj->schema.name);
        flt.op = f["operator"].get<std::string>();
        static const char* kOps[] = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
                                     "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"};
        if (std::none_of(std::begin(kOps), std::end(kOps), [&](const char* op) { return flt.op == op; }))
          return invalid("Unknown operator " + flt.op);
        if (f.contains("value")) flt.value = ValueText(f["value"]);
        if (f.contains("highValue")) flt.high = ValueText(f["highValue"]);
        if (f.contains("values") && f["values"].is_array()) {
          for (const Json& v : f["values"]) flt.values.push_back(ValueText(v));
        }
        bool needs_value = flt.op != "HAS_PROPERTY" && flt.op != "NOT_HAS_PROPERTY" && flt.op != "IN" && flt.op != "NOT_IN";
        if (needs_value && !f.contains("value")) return invalid("filter on " + flt.name + " with " + flt.op + " needs a value");
        if ((flt.op == "IN" || flt.op == "NOT_IN") && flt.values.empty())
          return invalid("filter on " + flt.name + " with " + flt.op + " needs values");
        if (flt.op == "BETWEEN" && !f.contains("highValue")) return invalid("BETWEEN needs highValue");
        group.push_back(std::move(flt));
      }
      groups.push_back(std::move(group));
    }
    if (total > static_cast<size_t>(settings_.max_filters))
      return invalid("Too many filters: " + std::to_string(total) + " (the maximum is " + std::to_string(settings_.max_filters) + ")");
  }
  struct Sort {
    std::string name;
    bool desc;
  };
  std::vector<Sort> sorts;
  if (body.contains("sorts")) {
    if (!body["sorts"].is_array()) return invalid("sorts must be an array");
    for (const Json& s : body["sorts"]) {
      Sort so{"", false};
      if (s.is_string()) {
        so.name = s.get<std::string>();
        if (!so.name.empty() && so.name[0] == '-') {
          so.desc = true;
          so.name = so.name.substr(1);
        }
      } else if (s.is_object() && s.contains("propertyName") && s["propertyName"].is_string()) {
        so.name = s["propertyName"].get<std::string>();
        so.desc = s.value("direction", std::string("ASCENDING")) == "DESCENDING";
      } else {
        return invalid("each sort needs propertyName");
      }
      sorts.push_back(so);
    }
  }
  std::string query = body.contains("query") ? AsciiLower(ValueText(body["query"])) : "";
  std::vector<std::string> props;
  if (body.contains("properties") && body["properties"].is_array()) {
    for (const Json& p : body["properties"]) {
      if (p.is_string()) props.push_back(p.get<std::string>());
    }
  }

  auto type_of = [](const schema::Field* f) { return f ? f->native_type : std::string("number"); };
  // <0, 0, >0 between a stored value and a filter value, by the property's type.
  auto compare = [&](const schema::Field* f, const std::string& a, const std::string& b) -> std::optional<int> {
    std::string t = type_of(f);
    if (t == "number") {
      auto x = NumberValue(a), y = NumberValue(b);
      if (!x || !y) return std::nullopt;
      return *x < *y ? -1 : *x > *y ? 1 : 0;
    }
    if (t == "datetime" || t == "date") {
      auto x = TimeValue(a), y = TimeValue(b);
      if (!x || !y) return std::nullopt;
      return *x < *y ? -1 : *x > *y ? 1 : 0;
    }
    std::string x = AsciiLower(a), y = AsciiLower(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  auto matches = [&](const Record& r, const Filter& f) {
    auto it = r.props.find(f.name);
    bool has = it != r.props.end() && !it->second.empty();
    const std::string v = has ? it->second : "";
    auto cmp = [&](const std::string& w) { return has ? compare(f.field, v, w) : std::nullopt; };
    const std::string& op = f.op;
    if (op == "HAS_PROPERTY") return has;
    if (op == "NOT_HAS_PROPERTY") return !has;
    if (op == "EQ") {
      auto r2 = cmp(f.value);
      return r2 && *r2 == 0;
    }
    if (op == "NEQ") {
      auto r2 = cmp(f.value);
      return !r2 || *r2 != 0;
    }
    if (op == "LT" || op == "LTE" || op == "GT" || op == "GTE") {
      auto r2 = cmp(f.value);
      if (!r2) return false;
      return op == "LT" ? *r2 < 0 : op == "LTE" ? *r2 <= 0 : op == "GT" ? *r2 > 0 : *r2 >= 0;
    }
    if (op == "BETWEEN") {
      auto lo = cmp(f.value), hi = cmp(f.high);
      return lo && hi && *lo >= 0 && *hi <= 0;
    }
    if (op == "IN" || op == "NOT_IN") {
      bool in = false;
      for (const std::string& w : f.values) {
        auto r2 = cmp(w);
        in = in || (r2 && *r2 == 0);
      }
      return op == "IN" ? in : !in;
    }
    // CONTAINS_TOKEN: a whole word of the value, '*' as a wildcard.
    std::string needle = AsciiLower(f.value);
    bool found = false;
    if (has) {
      std::string hay = AsciiLower(v);
      if (needle.find('*') != std::string::npos) {
        std::string core;
        for (char ch : needle) {
          if (ch != '*') core += ch;
        }
        found = hay.find(core) != std::string::npos;
      } else {
        size_t i = 0;
        while (i < hay.size() && !found) {
          size_t j = i;
          while (j < hay.size() && std::isalnum(static_cast<unsigned char>(hay[j]))) ++j;
          found = hay.substr(i, j - i) == needle || hay == needle;
          i = j + 1;
        }
      }
    }
    return op == "CONTAINS_TOKEN" ? found : !found;
  };
  static const std::map<std::string, std::vector<std::string>> kSearchable = {
      {"contacts", {"firstname", "lastname", "email", "phone", "company"}},
      {"companies", {"name", "domain", "website", "phone"}},
      {"deals", {"dealname"}},
  };
  std::vector<const Record*> rows;
  for (const Record& r : obj->records) {
    if (r.archived) continue;
    bool ok = groups.empty();
    for (const auto& g : groups) {
      bool all = true;
      for (const Filter& f : g) all = all && matches(r, f);
      ok = ok || all;
    }
    if (ok && !query.empty()) {
      bool hit = false;
      auto it = kSearchable.find(obj->schema.name);
      for (const auto& [k, v] : r.props) {
        const schema::Field* f = obj->schema.FindField(k);
        bool searchable = it != kSearchable.end()
                              ? std::find(it->second.begin(), it->second.end(), k) != it->second.end()
                              : f && f->native_type == "string";
        hit = hit || (searchable && AsciiLower(v).find(query) != std::string::npos);
      }
      ok = hit;
    }
    if (ok) rows.push_back(&r);
  }
  auto by_id = [](const Record* x, const Record* y) {
    return x->id.size() != y->id.size() ? x->id.size() < y->id.size() : x->id < y->id;
  };
  std::sort(rows.begin(), rows.end(), by_id);
  if (sorts.size() == 1 && sorts[0].name == "hs_object_id") {  // the usual cursor sort: the id order itself
    if (sorts[0].desc) std::reverse(rows.begin(), rows.end());
  } else if (!sorts.empty()) {
    std::stable_sort(rows.begin(), rows.end(), [&](const Record* x, const Record* y) {
      for (const Sort& s : sorts) {
        const schema::Field* f = obj->schema.FindField(s.name);
        auto ix = x->props.find(s.name), iy = y->props.find(s.name);
        bool hx = ix != x->props.end(), hy = iy != y->props.end();
        if (!hx && !hy) continue;
        if (hx != hy) return s.desc ? hx : hy;  // missing values last ascending, first descending
        auto r2 = compare(f, ix->second, iy->second);
        if (!r2 || *r2 == 0) continue;
        return s.desc ? *r2 > 0 : *r2 < 0;
      }
      return false;
    });
  }
  size_t start = static_cast<size_t>(after);
  size_t end = std::min({rows.size(), start + static_cast<size_t>(limit), static_cast<size_t>(settings_.search_result_cap)});
  Json results = Json::array();
  for (size_t i = start; i < end; ++i) results.push_back(ObjectJson(*obj, *rows[i], &props, nullptr, nullptr));
  Json j;
  j["total"] = rows.size();
  j["results"] = results;
  if (end < rows.size() && start < rows.size()) j["paging"] = {{"next", {{"after", std::to_string(end)}}}};
  c.Send(200, j);
}

// ---------------------------------------------------------------- properties

void HubSpotEmulator::Properties(Call& c, bool one) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  if (!one) {
    Json j = obj->properties;
    if (c.Param("archived") == "true") j["results"] = Json::array();
    return c.Send(200, j);
  }
  if (obj->properties.contains("results") && obj->properties["results"].is_array()) {
    for (const Json& p : obj->properties["results"]) {
      if (p.is_object() && p.value("name", "") == c.args[1]) return c.Send(200, p);
    }
  }
  SendError(c, 404, "OBJECT_NOT_FOUND", "Unable to find property " + c.args[1] + " on object type " + obj->type_id);
}

// POST /crm/v3/properties/{type}/batch/read {inputs:[{name}], archived}: the
// named properties in input order; unknown names are a 207 OBJECT_NOT_FOUND
// entry (the official SDK's properties.batchApi.read).
void HubSpotEmulator::PropertiesBatchRead(Call& c) {
  Object* obj = TypeArg(c, 0);
  if (!obj) return;
  Json body;
  if (!ParseBody(c, &body)) return;
  const Json& inputs = body.is_object() && body.contains("inputs") ? body["inputs"] : Json();
  if (!inputs.is_array()) return SendError(c, 400, "VALIDATION_ERROR", "inputs must be an array");
  bool archived = body.is_object() && body.contains("archived") && body["archived"].is_boolean() && body["archived"].get<bool>();
  Json results = Json::array(), errors = Json::array(), missing = Json::array();
  for (const Json& in : inputs) {
    std::string name = in.is_object() && in.contains("name") && in["name"].is_string() ? in["name"].get<std::string>() : "";
    const Json* found = nullptr;
    if (!archived && obj->properties.contains("results") && obj->properties["results"].is_array()) {
      for (const Json& p : obj->properties["results"]) {
        if (p.is_object() && p.value("name", "") == name) found = &p;
      }
    }
    if (found) results.push_back(*found);
    else missing.push_back(name);
  }
  if (!missing.empty())
    errors.push_back(BatchError("OBJECT_NOT_FOUND", "Unable to find some properties on object type " + obj->type_id,
                                {{"properties", missing}}));
  c.Send(errors.empty() ? 200 : 207, BatchEnvelope(c.now_ms, c.now_ms, results, errors));
}

// ---------------------------------------------------------------- associations v4

void HubSpotEmulator::AssocPut(Call& c, bool labelled) {
  Object* from = TypeArg(c, 0);
  if (!from) return;
  Object* to = FindObject(c.args[2]);
  if (!to) return SendError(c, 400, "VALIDATION_ERROR", "Unable to infer object type from: " + c.args[2]);
  const std::string& from_id = c.args[1];
  const std::string& to_id = c.args[3];
  if (!FindRecord(*from, from_id) || !FindRecord(*to, to_id))
    return SendError(c, 404, "OBJECT_NOT_FOUND", "One or both objects do not exist: " + from->schema.name + " " +
                                                     from_id + ", " + to->schema.name + " " + to_id);
  if (!labelled) {
    const AssocType* at = DefaultAssocType(from->schema.name, to->schema.name);
    if (!at)
      return SendError(c, 400, "VALIDATION_ERROR",
                       "No default association type between " + from->schema.name + " and " + to->schema.name);
    Associate(from->schema.name, from_id, to->schema.name, to_id, at->id);
    Json results = Json::array();
    results.push_back({{"from", {{"id", from_id}}},
                       {"to", {{"id", to_id}}},
                       {"associationSpec", {{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", at->id}}}});
    results.push_back({{"from", {{"id", to_id}}},
                       {"to", {{"id", from_id}}},
                       {"associationSpec", {{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", at->inverse}}}});
    return c.Send(200, BatchEnvelope(c.now_ms, c.now_ms, results, Json::array()));
  }
  Json body;
  std::string err;
  if (!ParseJson(c.Body(), &body, &err) || !body.is_array() || body.empty())
    return SendError(c, 400, "VALIDATION_ERROR",
                     "The body must be a non-empty array of {associationCategory, associationTypeId}");
  std::vector<int> ids;
  for (const Json& spec : body) {
    int id = spec.is_object() && spec.contains("associationTypeId") && spec["associationTypeId"].is_number_integer()
                 ? spec["associationTypeId"].get<int>()
                 : 0;
    std::string category = spec.is_object() ? spec.value("associationCategory", std::string()) : "";
    bool known = FindAssocType(from->schema.name, to->schema.name, id) != nullptr;
    if (id <= 0 || (category == "HUBSPOT_DEFINED" && !known) ||
        (category != "HUBSPOT_DEFINED" && category != "USER_DEFINED" && category != "INTEGRATOR_DEFINED"))
      return SendError(c, 400, "VALIDATION_ERROR",
                       "invalid association type " + DumpJson(spec) + " from " + from->schema.name + " to " + to->schema.name);
    if (!known && id < 1000)
      return SendError(c, 400, "VALIDATION_ERROR", "association type id " + std::to_string(id) + " is not defined");
    ids.push_back(id);
  }
  Json labels = Json::array();
  for (int id : ids) {
    Associate(from->schema.name, from_id, to->schema.name, to_id, id);
    const AssocType* at = FindAssocType(from->schema.name, to->schema.name, id);
    if (at && at->label) labels.push_back(at->label);
  }
  Json j;
  j["fromObjectTypeId"] = from->type_id;
  j["fromObjectId"] = std::strtoll(from_id.c_str(), nullptr, 10);
  j["toObjectTypeId"] = to->type_id;
  j["toObjectId"] = std::strtoll(to_id.c_str(), nullptr, 10);
  j["labels"] = labels;
  c.Send(201, j);
}

// GET /crm/v4/associations/{from}/{to}/labels: the association types between
// two object types (the official SDK's associations.v4.schema.definitionsApi.getAll);
// unlabeled types have "label": null.
void HubSpotEmulator::AssocLabels(Call& c) {
  Object* from = TypeArg(c, 0);
  if (!from) return;
  Object* to = TypeArg(c, 1);
  if (!to) return;
  std::vector<const AssocType*> types;
  for (const AssocType& a : kAssocTypes) {
    if (a.from == from->schema.name && a.to == to->schema.name) types.push_back(&a);
  }
  std::sort(types.begin(), types.end(), [](const AssocType* x, const AssocType* y) { return x->id < y->id; });
  Json results = Json::array();
  for (const AssocType* a : types)
    results.push_back({{"category", "HUBSPOT_DEFINED"}, {"typeId", a->id}, {"label", a->label ? Json(a->label) : Json()}});
  c.Send(200, Json{{"results", results}});
}

void HubSpotEmulator::AssocDelete(Call& c) {
  Object* from = TypeArg(c, 0);
  if (!from) return;
  Object* to = FindObject(c.args[2]);
  if (!to) return SendError(c, 400, "VALIDATION_ERROR", "Unable to infer object type from: " + c.args[2]);
  assoc_[{from->schema.name, c.args[1]}].erase({to->schema.name, c.args[3]});
  assoc_[{to->schema.name, c.args[3]}].erase({from->schema.name, c.args[1]});
  c.SendEmpty(204);
}

void HubSpotEmulator::AssocGet(Call& c) {
  Object* from = TypeArg(c, 0);
  if (!from) return;
  Object* to = FindObject(c.args[2]);
  if (!to) return SendError(c, 400, "VALIDATION_ERROR", "Unable to infer object type from: " + c.args[2]);
  if (!FindRecord(*from, c.args[1]))
    return SendError(c, 404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", Json(),
                     Json{{"id", {c.args[1]}}});
  int limit = c.HasParam("limit") ? std::max(1, std::min(500, std::atoi(c.Param("limit").c_str()))) : 500;
  auto all = AssociationsOf(from->schema.name, c.args[1], to->schema.name);
  size_t start = 0;
  if (c.HasParam("after")) start = static_cast<size_t>(std::max(0LL, std::strtoll(c.Param("after").c_str(), nullptr, 10)));
  Json results = Json::array();
  size_t end = std::min(all.size(), start + static_cast<size_t>(limit));
  for (size_t i = start; i < end; ++i) {
    results.push_back({{"toObjectId", std::strtoll(all[i].first.c_str(), nullptr, 10)},
                       {"associationTypes", AssociationTypes(all[i].second, from->schema.name, to->schema.name)}});
  }
  Json j;
  j["results"] = results;
  if (end < all.size()) j["paging"] = {{"next", {{"after", std::to_string(end)}}}};
  c.Send(200, j);
}

void HubSpotEmulator::AssocBatch(Call& c, const std::string& op) {
  Object* from = TypeArg(c, 0);
  if (!from) return;
  Object* to = FindObject(c.args[1]);
  if (!to) return SendError(c, 400, "VALIDATION_ERROR", "Unable to infer object type from: " + c.args[1]);
  Json body;
  if (!ParseBody(c, &body)) return;
  const Json& inputs = body.contains("inputs") ? body["inputs"] : Json();
  if (!inputs.is_array()) return SendError(c, 400, "VALIDATION_ERROR", "inputs must be an array");
  size_t max = op == "read" ? 1000 : static_cast<size_t>(settings_.batch_max);
  if (inputs.size() > max)
    return SendError(c, 400, "VALIDATION_ERROR", "The maximum number of inputs supported in a batch request is " + std::to_string(max));
  auto id_of = [](const Json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_object() && j[key].contains("id") ? ValueText(j[key]["id"]) : "";
  };
  Json results = Json::array(), failed = Json::array();
  auto fail = [&](const std::string& category, const std::string& message, const std::string& id) {
    failed.push_back(BatchError(category, message, {{"fromObjectId", {id}}}));
  };
  const std::string& fs = from->schema.name;
  const std::string& ts = to->schema.name;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Json& in = inputs[i];
    if (op == "read") {
      std::string id = in.is_object() && in.contains("id") ? ValueText(in["id"]) : "";
      auto all = FindRecord(*from, id) ? AssociationsOf(fs, id, ts) : decltype(AssociationsOf(fs, id, ts)){};
      if (all.empty()) {
        fail("OBJECT_NOT_FOUND", "No " + ts + " is associated with " + fs + " " + id + ".", id);
        continue;
      }
      Json tos = Json::array();
      for (const auto& [to_id, ids] : all)
        tos.push_back({{"toObjectId", std::strtoll(to_id.c_str(), nullptr, 10)}, {"associationTypes", AssociationTypes(ids, fs, ts)}});
      results.push_back({{"from", {{"id", id}}}, {"to", tos}});
      continue;
    }
    if (op == "archive") {
      std::string id = in.is_object() && in.contains("from") && in["from"].is_object() && in["from"].contains("id")
                           ? ValueText(in["from"]["id"])
                           : "";
      if (in.is_object() && in.contains("to") && in["to"].is_array()) {
        for (const Json& t : in["to"]) {
          std::string to_id = t.is_object() && t.contains("id") ? ValueText(t["id"]) : "";
          assoc_[{fs, id}].erase({ts, to_id});
          assoc_[{ts, to_id}].erase({fs, id});
        }
      }
      continue;
    }
    if (op == "labels_archive") {  // drop the given types (and their inverses), keep the others
      std::string from_id = id_of(in, "from"), to_id = id_of(in, "to");
      auto drop = [&](const AssocKey& a, const AssocKey& b, int id) {
        auto f = assoc_.find(a);
        if (f == assoc_.end()) return;
        auto t = f->second.find(b);
        if (t != f->second.end()) t->second.erase(id);
      };
      if (in.is_object() && in.contains("types") && in["types"].is_array()) {
        for (const Json& spec : in["types"]) {
          int id = spec.is_object() && spec.contains("associationTypeId") && spec["associationTypeId"].is_number_integer()
                       ? spec["associationTypeId"].get<int>()
                       : 0;
          const AssocType* at = FindAssocType(fs, ts, id);
          drop({fs, from_id}, {ts, to_id}, id);
          drop({ts, to_id}, {fs, from_id}, at ? at->inverse : id);
        }
      }
      continue;
    }
    std::string from_id = id_of(in, "from"), to_id = id_of(in, "to");
    if (!FindRecord(*from, from_id) || !FindRecord(*to, to_id)) {
      fail("OBJECT_NOT_FOUND", "One or both objects do not exist: " + fs + " " + from_id + ", " + ts + " " + to_id, from_id);
      continue;
    }
    if (c.PartialFault(i)) {
      fail("INTERNAL_ERROR", "The input could not be processed; retry it", from_id);
      continue;
    }
    if (op == "default") {
      const AssocType* at = DefaultAssocType(fs, ts);
      if (!at) return SendError(c, 400, "VALIDATION_ERROR", "No default association type between " + fs + " and " + ts);
      Associate(fs, from_id, ts, to_id, at->id);
      results.push_back({{"from", {{"id", from_id}}},
                         {"to", {{"id", to_id}}},
                         {"associationSpec", {{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", at->id}}}});
      continue;
    }
    // create
    if (!in.contains("types") || !in["types"].is_array() || in["types"].empty()) {
      fail("VALIDATION_ERROR", "each input needs types", from_id);
      continue;
    }
    Json labels = Json::array();
    bool ok = true;
    for (const Json& spec : in["types"]) {
      int id = spec.is_object() && spec.contains("associationTypeId") && spec["associationTypeId"].is_number_integer()
                   ? spec["associationTypeId"].get<int>()
                   : 0;
      if (id <= 0 || !Associate(fs, from_id, ts, to_id, id)) {
        fail("VALIDATION_ERROR", "association type id " + std::to_string(id) + " is not valid from " + fs + " to " + ts, from_id);
        ok = false;
        break;
      }
      const AssocType* at = FindAssocType(fs, ts, id);
      if (at && at->label) labels.push_back(at->label);
    }
    if (!ok) continue;
    results.push_back({{"fromObjectTypeId", from->type_id},
                       {"fromObjectId", std::strtoll(from_id.c_str(), nullptr, 10)},
                       {"toObjectTypeId", to->type_id},
                       {"toObjectId", std::strtoll(to_id.c_str(), nullptr, 10)},
                       {"labels", labels}});
  }
  if (op == "archive" || op == "labels_archive") return c.SendEmpty(204);
  int ok_status = op == "create" ? 201 : 200;
  c.Send(failed.empty() ? ok_status : 207, BatchEnvelope(c.now_ms, c.now_ms, results, failed));
}

}  // namespace accord::sandbox
