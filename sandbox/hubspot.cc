// The HubSpot CRM API emulator's core: set-up from the seed, settings, reset and dump, the
// state file, HubSpot's error shapes, the pipeline hooks (the private-app token, the rate and
// daily limits), lookups and the unique-value index, and the route table. The endpoint
// families live in the files hubspot_internal.h lists.
#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "sandbox/hubspot_internal.h"

namespace accord::sandbox {

namespace {

const TypeInfo kTypes[] = {
    {"contacts", "contact", "0-1"}, {"companies", "company", "0-2"}, {"deals", "deal", "0-3"},
    {"tickets", "ticket", "0-5"},   {"products", "product", "0-7"},  {"line_items", "line_item", "0-8"},
    {"tasks", "task", "0-27"},      {"notes", "note", "0-46"},       {"meetings", "meeting", "0-47"},
    {"calls", "call", "0-48"},      {"emails", "email", "0-49"},
};

}  // namespace

namespace hubspot_internal {

const TypeInfo* TypeOf(std::string_view s) {
  for (const TypeInfo& t : kTypes) {
    if (EqualsIgnoreCase(s, t.name) || EqualsIgnoreCase(s, t.singular) || s == t.id) return &t;
  }
  return nullptr;
}

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

Json BatchError(const std::string& category, const std::string& message, Json context) {
  return Json{{"status", "error"},       {"category", category},
              {"message", message},      {"context", std::move(context)},
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

}  // namespace hubspot_internal

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
    obj->created_prop =
        obj->schema.FindField("createdate") || !obj->schema.FindField("hs_createdate") ? "createdate" : "hs_createdate";
    obj->modified_prop = so.schema.name == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate";
    objects_.push_back(std::move(obj));
  }
  day_ = StartOfDayMs(Now());
  seed_config_ = seed.config.contains("hubspot") ? seed.config["hubspot"] : Json::object();
  Status s = ApplySettings(seed_config_, &settings_);
  if (s) s = LoadRecords(seed);
  if (status) *status = s;
  RegisterRoutes();
  webhooks_ = std::make_unique<WebhookSender>([this] { return Now(); }, [this] { return Faults(); });
}

HubSpotEmulator::~HubSpotEmulator() {
  Stop();
  webhooks_.reset();  // its thread reads the clock and the faults of this emulator
}

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
    if (key == "portal_id")
      r = integer(&s.portal_id, 1, int64_t{1} << 40);
    else if (key == "rate_limit_max")
      r = integer(&s.rate_limit_max, 1, 1000000);
    else if (key == "rate_limit_interval_ms")
      r = integer(&s.rate_limit_interval_ms, 1, 3600000);
    else if (key == "daily_limit")
      r = integer(&s.daily_limit, 1, int64_t{1} << 40);
    else if (key == "search_per_second")
      r = integer(&s.search_per_second, 1, 100000);
    else if (key == "batch_max")
      r = integer(&s.batch_max, 1, 10000);
    else if (key == "batch_history_max")
      r = integer(&s.batch_history_max, 1, 10000);
    else if (key == "list_page_max")
      r = integer(&s.list_page_max, 1, 10000);
    else if (key == "search_page_max")
      r = integer(&s.search_page_max, 1, 10000);
    else if (key == "search_result_cap")
      r = integer(&s.search_result_cap, 1, 100000000);
    else if (key == "max_filter_groups")
      r = integer(&s.max_filter_groups, 1, 1000);
    else if (key == "max_filters_per_group")
      r = integer(&s.max_filters_per_group, 1, 1000);
    else if (key == "max_filters")
      r = integer(&s.max_filters, 1, 10000);
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

Status HubSpotEmulator::ResetLocked() {
  for (auto& o : objects_) {
    o->records.clear();
    o->by_id.clear();
  }
  assoc_.clear();
  window_.clear();
  search_window_.clear();
  daily_used_ = 0;
  settings_ = HubSpotSettings{};
  // The seed loaded when the sandbox started (ids restart from the seed's largest, so it
  // loads again); a failure would be reported all the same.
  Status s = ApplySettings(seed_config_, &settings_);
  if (s) s = LoadRecords(seed_);
  return s;
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
  return Json{{"props", r.props},           {"history", history},     {"created_ms", r.created_ms},
              {"updated_ms", r.updated_ms}, {"archived", r.archived}, {"archived_ms", r.archived_ms}};
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
  return Json{{"id_counter", id_counter_},
              {"correlation_counter", correlation_counter_},
              {"daily_used", daily_used_},
              {"day", day_},
              {"associations", assoc}};
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
            assoc_[{a[0].get<std::string>(), a[1].get<std::string>()}]
                  [{a[2].get<std::string>(), a[3].get<std::string>()}]
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
  bool search =
      c.req.method == "POST" && c.req.path.size() > 7 && c.req.path.substr(c.req.path.size() - 7) == "/search";
  auto headers = [&] {
    c.SetHeader("X-HubSpot-RateLimit-Daily", std::to_string(settings_.daily_limit));
    c.SetHeader("X-HubSpot-RateLimit-Daily-Remaining",
                std::to_string(std::max<int64_t>(0, settings_.daily_limit - daily_used_)));
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
    j["groupName"] =
        "publicapi:private-app-api-calls-" + AsciiLower(policy) + ":" + std::to_string(settings_.portal_id);
    headers();
    c.SetHeader("Retry-After", std::to_string(std::max<int64_t>(1, (retry_ms + 999) / 1000)));
    c.Send(429, j);
    return false;
  };
  if (daily_used_ >= settings_.daily_limit)
    return limited("DAILY", "You have reached your daily limit.", day_ + 86400000 - now);
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
    if (EqualsIgnoreCase(o->schema.name, type) || (t && o->schema.name == t->name) || o->type_id == type)
      return o.get();
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

// ---------------------------------------------------------------- routes

void HubSpotEmulator::RegisterRoutes() {
  RouteOptions write;
  write.mutates = true;
  const std::string o = "/crm/v3/objects/{}";
  Route("GET", o, [this](Call& c) { List(c); });
  Route(
      "POST", o, [this](Call& c) { CreateOne(c); }, write);
  Route("POST", o + "/search", [this](Call& c) { Search(c); });
  Route("POST", o + "/batch/read", [this](Call& c) { BatchRead(c); });
  Route(
      "POST", o + "/batch/create", [this](Call& c) { BatchCreate(c); }, write);
  Route(
      "POST", o + "/batch/update", [this](Call& c) { BatchUpdate(c); }, write);
  Route(
      "POST", o + "/batch/upsert", [this](Call& c) { BatchUpsert(c); }, write);
  Route(
      "POST", o + "/batch/archive", [this](Call& c) { BatchArchive(c); }, write);
  Route("GET", o + "/{}", [this](Call& c) { GetOne(c); });
  Route(
      "PATCH", o + "/{}", [this](Call& c) { UpdateOne(c); }, write);
  Route(
      "DELETE", o + "/{}", [this](Call& c) { ArchiveOne(c); }, write);
  Route(
      "POST", o + "/merge", [this](Call& c) { MergeRecords(c); }, write);
  Route("GET", "/crm/v3/properties/{}", [this](Call& c) { Properties(c, false); });
  Route("GET", "/crm/v3/properties/{}/{}", [this](Call& c) { Properties(c, true); });
  Route("POST", "/crm/v3/properties/{}/batch/read", [this](Call& c) { PropertiesBatchRead(c); });
  const std::string a = "/crm/v4/objects/{}/{}/associations";
  Route(
      "PUT", a + "/default/{}/{}", [this](Call& c) { AssocPut(c, false); }, write);
  Route(
      "PUT", a + "/{}/{}", [this](Call& c) { AssocPut(c, true); }, write);
  Route(
      "DELETE", a + "/{}/{}", [this](Call& c) { AssocDelete(c); }, write);
  Route("GET", a + "/{}", [this](Call& c) { AssocGet(c); });
  const std::string b = "/crm/v4/associations/{}/{}/batch/";
  Route(
      "POST", b + "create", [this](Call& c) { AssocBatch(c, "create"); }, write);
  Route("POST", b + "read", [this](Call& c) { AssocBatch(c, "read"); });
  Route(
      "POST", b + "archive", [this](Call& c) { AssocBatch(c, "archive"); }, write);
  Route(
      "POST", b + "associate/default", [this](Call& c) { AssocBatch(c, "default"); }, write);
  Route(
      "POST", b + "labels/archive", [this](Call& c) { AssocBatch(c, "labels_archive"); }, write);
  Route("GET", "/crm/v4/associations/{}/{}/labels", [this](Call& c) { AssocLabels(c); });
  RouteOptions admin;
  admin.admin = true;
  auto webhooks = [this](Call& c) {
    c.Send(200, Json{{"settings", webhooks_->settings().ToJson()}, {"stats", WebhookStatsJson(webhooks_->stats())}});
  };
  Route("GET", "/__sandbox/webhooks", webhooks, admin);
  Route(
      "POST", "/__sandbox/webhooks",
      [this, webhooks](Call& c) {
        Json j;
        if (Status parsed = ParseJson(c.Body(), &j); !parsed || !j.is_object())
          return c.Send(400, Json{{"error", "the body must be a JSON object of webhook settings"}});
        WebhookSettings s = webhooks_->settings();
        if (Status st = WebhookSettings::FromJson(j, &s); !st) return c.Send(400, Json{{"error", st.message}});
        webhooks_->Configure(s);
        webhooks(c);
      },
      admin);
}

}  // namespace accord::sandbox
