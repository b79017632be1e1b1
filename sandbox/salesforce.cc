#include "sandbox/salesforce.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <httplib.h>

namespace accord::sandbox {

using Error = SalesforceEmulator::Error;
using Record = SalesforceEmulator::Record;
using Object = SalesforceEmulator::Object;

struct SalesforceEmulator::Tx {
  struct Undo {
    Object* obj;
    size_t index;
    std::optional<Record> before;  // nullopt: the record was created
  };
  std::vector<Undo> undo;
};

namespace {

constexpr int kMinVersion = 20, kMaxVersion = 62;

std::string TextOf(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return NumberText(v.get<double>());
  return DumpJson(v);
}

bool IsTextType(const std::string& t) {
  return t == "string" || t == "textarea" || t == "email" || t == "phone" || t == "url" || t == "picklist" ||
         t == "multipicklist" || t == "combobox" || t == "encryptedstring" || t == "time";
}

bool ValidEmail(const std::string& s) {
  size_t at = s.find('@');
  if (at == std::string::npos || at == 0 || s.find('@', at + 1) != std::string::npos) return false;
  std::string domain = s.substr(at + 1);
  size_t dot = domain.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= domain.size()) return false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == ',' || c == '<' || c == '>' || c == '(' || c == ')' || c == ';') return false;
  }
  return true;
}

std::string JoinComma(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

int64_t TruncateToSecond(int64_t ms) { return ms - ((ms % 1000) + 1000) % 1000; }
int64_t TruncateToMinute(int64_t ms) { return ms - ((ms % 60000) + 60000) % 60000; }

bool DecodeBase64Url(std::string_view in, std::string* out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
  };
  out->clear();
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = val(c);
    if (v < 0) return false;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return true;
}

// Lead fields copied by lead conversion (when both fields exist and the target is createable).
struct FieldCopy {
  const char* lead;
  const char* target;
};
const FieldCopy kLeadToAccount[] = {
    {"Company", "Name"},          {"Industry", "Industry"},       {"AnnualRevenue", "AnnualRevenue"},
    {"NumberOfEmployees", "NumberOfEmployees"}, {"Website", "Website"}, {"Phone", "Phone"},
    {"Street", "BillingStreet"},  {"City", "BillingCity"},        {"State", "BillingState"},
    {"PostalCode", "BillingPostalCode"}, {"Country", "BillingCountry"}, {"LeadSource", "AccountSource"},
    {"Rating", "Rating"},         {"Fax", "Fax"},                 {"OwnerId", "OwnerId"},
};
const FieldCopy kLeadToContact[] = {
    {"FirstName", "FirstName"},   {"LastName", "LastName"},       {"Salutation", "Salutation"},
    {"Email", "Email"},           {"Phone", "Phone"},             {"MobilePhone", "MobilePhone"},
    {"Fax", "Fax"},               {"Title", "Title"},             {"LeadSource", "LeadSource"},
    {"Description", "Description"}, {"Street", "MailingStreet"},  {"City", "MailingCity"},
    {"State", "MailingState"},    {"PostalCode", "MailingPostalCode"}, {"Country", "MailingCountry"},
    {"HasOptedOutOfEmail", "HasOptedOutOfEmail"}, {"DoNotCall", "DoNotCall"}, {"OwnerId", "OwnerId"},
};
const FieldCopy kLeadToOpportunity[] = {{"LeadSource", "LeadSource"}, {"OwnerId", "OwnerId"}};

// The partial_rate fault on a Salesforce record.
SalesforceEmulator::Error LockError() {
  return {"UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records", {}};
}

}  // namespace

// ---------------------------------------------------------------- setup

SalesforceEmulator::SalesforceEmulator(const Seed& seed, std::string token, Clock clock, Status* status)
    : Emulator("salesforce", token, std::move(clock)), seed_(seed), token_(std::move(token)) {
  org_id_ = MakeSalesforceId("00D", 1);
  user_id_ = MakeSalesforceId("005", 1);
  started_ms_ = Now();
  usage_day_ = StartOfDayMs(started_ms_);
  for (const SeedObject& so : seed.salesforce) {
    auto obj = std::make_unique<Object>();
    obj->schema = so.schema;
    obj->schema.Finalize();
    obj->describe = so.raw;
    if (auto it = so.raw.find("keyPrefix"); it != so.raw.end() && it->is_string()) obj->key_prefix = *it;
    if (obj->key_prefix.size() != 3) obj->key_prefix = "a0" + std::to_string(objects_.size() % 10);
    by_name_[AsciiLower(obj->schema.name)] = obj.get();
    by_prefix_[obj->key_prefix] = obj.get();
    objects_.push_back(std::move(obj));
  }
  AddHistoryObjects();
  settings_.refresh_token = token_;
  Status s = Status::Ok();
  seed_config_ = seed.config.contains("salesforce") ? seed.config["salesforce"] : Json::object();
  s = ApplySettings(seed_config_, &settings_);
  if (s) s = LoadRecords(seed);
  if (status) *status = s;
  RegisterRoutes();
}

SalesforceEmulator::~SalesforceEmulator() { Stop(); }

Status SalesforceEmulator::Configure(const Json& j) {
  std::lock_guard<std::mutex> g(mu_);
  return ConfigureLocked(j);
}

Status SalesforceEmulator::ApplySettings(const Json& j, SalesforceSettings* st) {
  if (!j.is_object()) return Status::Error("salesforce settings must be a JSON object");
  SalesforceSettings s = *st;
  auto integer = [&](const std::string& key, int64_t min, int64_t max, auto* field) -> Status {
    const Json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      return Status::Error("salesforce." + key + " must be an integer from " + std::to_string(min) + " to " +
                           std::to_string(max));
    *field = static_cast<std::remove_pointer_t<decltype(field)>>(v.get<int64_t>());
    return Status::Ok();
  };
  auto strings = [&](const std::string& key, std::vector<std::string>* field) -> Status {
    const Json& v = j[key];
    if (!v.is_array()) return Status::Error("salesforce." + key + " must be an array of strings");
    field->clear();
    for (const Json& e : v) {
      if (!e.is_string()) return Status::Error("salesforce." + key + " must be an array of strings");
      field->push_back(e.get<std::string>());
    }
    return Status::Ok();
  };
  // Rules are compiled into fresh lists, installed only when all of them are valid.
  std::map<Object*, std::vector<ValidationRule>> vrules;
  std::map<Object*, std::vector<DuplicateRule>> drules;
  std::map<Object*, std::vector<FieldUpdate>> fupdates;
  std::map<Object*, std::set<std::string>> tracked;
  bool has_vr = false, has_dr = false, has_fu = false, has_fh = false;
  auto rule_object = [&](const Json& r, const std::string& kind, Object** out) -> Status {
    if (!r.is_object() || !r.contains("object") || !r["object"].is_string())
      return Status::Error("salesforce." + kind + ": each rule needs an \"object\"");
    *out = FindObject(r["object"].get<std::string>());
    if (!*out) return Status::Error("salesforce." + kind + ": no object " + r["object"].get<std::string>() + " in the seed");
    return Status::Ok();
  };
  auto rule_name = [](const Json& r) { return r.contains("name") && r["name"].is_string() ? r["name"].get<std::string>() : ""; };
  auto condition = [&](const Json& r, Object* obj, const std::string& kind, std::string* text,
                       std::unique_ptr<soql::Cond>* out) -> Status {
    if (!r.contains("condition") || !r["condition"].is_string())
      return Status::Error("salesforce." + kind + " " + rule_name(r) + ": needs a \"condition\" (a SOQL WHERE expression)");
    *text = r["condition"].get<std::string>();
    soql::Error err;
    *out = soql::ParseCondition(*text, &err);
    if (!*out || !soql::BindCondition(obj->schema, *text, Now(), out->get(), &err))
      return Status::Error("salesforce." + kind + " " + rule_name(r) + ": " + err.code + ":" + err.message);
    return Status::Ok();
  };
  // Runs body(rule, object) for each rule of a rules array.
  auto each_rule = [&](const std::string& kind, const Json& list, auto&& body) -> Status {
    if (!list.is_array()) return Status::Error("salesforce." + kind + " must be an array");
    for (const Json& rule : list) {
      Object* obj;
      Status rs = rule_object(rule, kind, &obj);
      if (rs) rs = body(rule, obj);
      if (!rs) return rs;
    }
    return Status::Ok();
  };
  auto field_of = [](const Json& name, Object* obj) {
    return name.is_string() ? obj->schema.FindFieldIgnoreCase(name.get<std::string>()) : nullptr;
  };
  for (const auto& [key, v] : j.items()) {
    Status r = Status::Ok();
    if (key == "daily_api_limit") {
      r = integer(key, 1, int64_t{1} << 40, &s.daily_api_limit);
    } else if (key == "api_usage") {
      r = integer(key, 0, int64_t{1} << 40, &s.api_usage);
    } else if (key == "query_page_size") {
      r = integer(key, 1, 2000, &s.query_page_size);
    } else if (key == "max_collection_size") {
      r = integer(key, 1, 10000, &s.max_collection_size);
    } else if (key == "session_seconds") {
      r = integer(key, 1, int64_t{1} << 31, &s.session_seconds);
    } else if (key == "users") {
      r = strings(key, &s.users);
    } else if (key == "converted_statuses") {
      r = strings(key, &s.converted_statuses);
    } else if (key == "refresh_token") {
      if (!v.is_string() || v.get<std::string>().empty()) return Status::Error("salesforce.refresh_token must be a non-empty string");
      s.refresh_token = v.get<std::string>();
    } else if (key == "faults") {
      FaultConfig f;
      r = FaultConfig::FromJson(v, &f);
      if (r) SetFaults(f);
    } else if (key == "validation_rules") {
      has_vr = true;
      r = each_rule(key, v, [&](const Json& rule, Object* obj) -> Status {
        ValidationRule vr;
        vr.name = rule_name(rule);
        Status cs = condition(rule, obj, key, &vr.condition_text, &vr.condition);
        if (!cs) return cs;
        vr.message = rule.contains("message") && rule["message"].is_string() ? rule["message"].get<std::string>()
                                                                              : "Validation rule " + vr.name + " failed";
        if (rule.contains("field")) {
          const schema::Field* f = field_of(rule["field"], obj);
          if (!f) return Status::Error("salesforce.validation_rules " + vr.name + ": no field " + DumpJson(rule["field"]));
          vr.field = f->name;
        }
        vrules[obj].push_back(std::move(vr));
        return Status::Ok();
      });
    } else if (key == "duplicate_rules") {
      has_dr = true;
      r = each_rule(key, v, [&](const Json& rule, Object* obj) -> Status {
        DuplicateRule dr;
        dr.name = rule_name(rule);
        if (!rule.contains("fields") || !rule["fields"].is_array() || rule["fields"].empty())
          return Status::Error("salesforce.duplicate_rules " + dr.name + ": needs \"fields\", a non-empty array");
        for (const Json& fname : rule["fields"]) {
          const schema::Field* f = field_of(fname, obj);
          if (!f) return Status::Error("salesforce.duplicate_rules " + dr.name + ": no field " + DumpJson(fname));
          dr.fields.push_back(f->name);
        }
        drules[obj].push_back(std::move(dr));
        return Status::Ok();
      });
    } else if (key == "field_updates") {
      has_fu = true;
      r = each_rule(key, v, [&](const Json& rule, Object* obj) -> Status {
        FieldUpdate fu;
        fu.name = rule_name(rule);
        Status cs = condition(rule, obj, key, &fu.condition_text, &fu.condition);
        if (!cs) return cs;
        if (!rule.contains("set") || !rule["set"].is_object())
          return Status::Error("salesforce.field_updates " + fu.name + ": needs \"set\", an object of field values");
        fu.set = Json::object();
        for (const auto& [fname, fval] : rule["set"].items()) {
          const schema::Field* f = field_of(Json(fname), obj);
          if (!f) return Status::Error("salesforce.field_updates " + fu.name + ": no field " + fname);
          Json coerced;
          Error e;
          if (!Coerce(*obj, *f, fval, &coerced, &e))
            return Status::Error("salesforce.field_updates " + fu.name + ": " + e.message);
          fu.set[f->name] = coerced;
        }
        fupdates[obj].push_back(std::move(fu));
        return Status::Ok();
      });
    } else if (key == "field_history") {
      // {"Contact": ["Title", "Email"]}: the fields whose changes <Object>History records
      has_fh = true;
      if (!v.is_object()) return Status::Error("salesforce.field_history must be an object of field name arrays");
      for (const auto& [oname, names] : v.items()) {
        Object* obj = FindObject(oname);
        if (!obj || obj->key_prefix == "017")  // 017: a history object itself
          return Status::Error("salesforce.field_history: no object " + oname + " in the seed");
        if (!names.is_array()) return Status::Error("salesforce.field_history." + oname + " must be an array of field names");
        for (const Json& n : names) {
          const schema::Field* f = field_of(n, obj);
          if (!f) return Status::Error("salesforce.field_history." + oname + ": no field " + DumpJson(n));
          tracked[obj].insert(f->name);
        }
      }
    } else {
      return Status::Error("unknown salesforce setting '" + key +
                           "' (known: daily_api_limit, api_usage, query_page_size, max_collection_size, "
                           "session_seconds, users, refresh_token, converted_statuses, validation_rules, "
                           "duplicate_rules, field_updates, field_history, faults)");
    }
    if (!r) return r;
  }
  *st = s;
  for (auto& [obj, fields] : tracked)
    if (!obj->history && !fields.empty()) EnableHistory(*obj);  // before the loop: it adds objects
  for (auto& o : objects_) {
    if (has_vr) o->validation_rules = std::move(vrules[o.get()]);
    if (has_dr) o->duplicate_rules = std::move(drules[o.get()]);
    if (has_fu) o->field_updates = std::move(fupdates[o.get()]);
    if (has_fh) o->tracked = std::move(tracked[o.get()]);
    RebuildIndex(*o);  // duplicate-rule fields may have changed
  }
  return Status::Ok();
}

Status SalesforceEmulator::LoadRecords(const Seed& seed) {
  int64_t now = TruncateToSecond(Now());
  std::string ts = FormatSalesforceDateTime(now);
  for (const SeedObject& so : seed.salesforce) {
    Object* obj = FindObject(so.schema.name);
    size_t line = 0;
    for (const Json& in : so.records) {
      ++line;
      std::string where = "data/salesforce/" + so.schema.name + ".jsonl:" + std::to_string(line) + ": ";
      Record r;
      bool deleted = false;
      for (const auto& [key, v] : in.items()) {
        if (key == "attributes") continue;
        const schema::Field* f = obj->schema.FindFieldIgnoreCase(key);
        if (!f) return Status::Error(where + "no field '" + key + "' on " + obj->schema.name);
        if (f->name == "Id") {
          if (!v.is_string() || !LooksLikeSalesforceId(v.get<std::string>()))
            return Status::Error(where + "Id must be a 15- or 18-character Salesforce id");
          std::string id = v.get<std::string>();
          r.id = id.size() == 15 ? id + SalesforceIdSuffix(id) : id;
          continue;
        }
        if (f->name == "IsDeleted") {
          deleted = v.is_boolean() && v.get<bool>();
          continue;
        }
        Json val;
        Error e;
        if (f->native_type == "email" || f->is_picklist || IsTextType(f->native_type)) {
          // Seed data is taken as the org holds it: types are checked, rules are not.
          if (!v.is_null() && !v.is_string() && !v.is_number() && !v.is_boolean())
            return Status::Error(where + f->name + ": not a scalar");
          if (!v.is_null() && !(v.is_string() && v.get<std::string>().empty())) val = v.is_string() ? v : Json(TextOf(v));
        } else if (!Coerce(*obj, *f, v, &val, &e)) {
          return Status::Error(where + e.message);
        }
        if (!val.is_null()) r.fields[f->name] = val;
      }
      if (r.id.empty()) r.id = NewId(*obj);
      if (obj->by_id15.count(r.id.substr(0, 15))) return Status::Error(where + "duplicate Id " + r.id);
      Json full = Json::object();
      full["Id"] = r.id;
      for (const schema::Field& f : obj->schema.fields) {
        if (f.native_type == "boolean" && !r.fields.contains(f.name) && f.name != "IsDeleted")
          r.fields[f.name] = f.default_value == "true";
      }
      for (const char* tf : {"CreatedDate", "LastModifiedDate", "SystemModstamp"}) {
        if (obj->schema.FindField(tf) && !r.fields.contains(tf)) r.fields[tf] = ts;
      }
      for (const char* uf : {"CreatedById", "LastModifiedById", "OwnerId"}) {
        if (obj->schema.FindField(uf) && !r.fields.contains(uf)) r.fields[uf] = user_id_;
      }
      if (obj->schema.FindField("IsDeleted")) r.fields["IsDeleted"] = deleted;
      for (const auto& [k, v] : r.fields.items()) full[k] = v;
      r.fields = std::move(full);
      r.modstamp_ms = now;
      if (auto it = r.fields.find("SystemModstamp"); it != r.fields.end() && it->is_string()) {
        if (auto ms = ParseDateTime(it->get<std::string>(), false)) r.modstamp_ms = *ms;
      }
      r.deleted = deleted;
      r.deleted_ms = deleted ? now : 0;
      obj->by_id15[r.id.substr(0, 15)] = obj->records.size();
      obj->records.push_back(std::move(r));
    }
  }
  for (auto& o : objects_) RebuildIndex(*o);
  return Status::Ok();
}

void SalesforceEmulator::ResetLocked() {
  for (auto& o : objects_) {
    o->records.clear();
    o->by_id15.clear();
    o->tracked.clear();
  }
  cursors_.clear();
  sessions_.clear();
  SalesforceSettings fresh;
  fresh.refresh_token = token_;
  settings_ = fresh;
  ApplySettings(seed_config_, &settings_);
  LoadRecords(seed_);
}

Json SalesforceEmulator::SettingsLocked() {
  Json j;
  j["daily_api_limit"] = settings_.daily_api_limit;
  j["api_usage"] = settings_.api_usage;
  j["query_page_size"] = settings_.query_page_size;
  j["max_collection_size"] = settings_.max_collection_size;
  j["session_seconds"] = settings_.session_seconds;
  j["users"] = settings_.users;
  j["refresh_token"] = settings_.refresh_token;
  j["converted_statuses"] = settings_.converted_statuses;
  Json vr = Json::array(), dr = Json::array(), fu = Json::array();
  for (const auto& o : objects_) {
    for (const auto& r : o->validation_rules)
      vr.push_back({{"object", o->schema.name}, {"name", r.name}, {"condition", r.condition_text},
                    {"message", r.message}, {"field", r.field}});
    for (const auto& r : o->duplicate_rules) dr.push_back({{"object", o->schema.name}, {"name", r.name}, {"fields", r.fields}});
    for (const auto& r : o->field_updates)
      fu.push_back({{"object", o->schema.name}, {"name", r.name}, {"condition", r.condition_text}, {"set", r.set}});
  }
  j["validation_rules"] = vr;
  j["duplicate_rules"] = dr;
  j["field_updates"] = fu;
  Json fh = Json::object();
  for (const auto& o : objects_)
    if (!o->tracked.empty()) fh[o->schema.name] = o->tracked;
  j["field_history"] = fh;
  return j;
}

Status SalesforceEmulator::ConfigureLocked(const Json& j) { return ApplySettings(j, &settings_); }

Json SalesforceEmulator::DumpLocked() {
  Json j;
  j["system"] = "salesforce";
  j["now"] = FormatSalesforceDateTime(Now());
  j["api_usage"] = settings_.api_usage;
  j["daily_api_limit"] = settings_.daily_api_limit;
  Json objects = Json::object();
  for (const auto& o : objects_) {
    Json records = Json::array();
    for (const Record& r : o->records) records.push_back(r.fields);
    Json deleted = Json::array();
    for (const Record& r : o->records) {
      if (r.deleted) deleted.push_back({{"id", r.id}, {"deletedDate", FormatSalesforceDateTime(r.deleted_ms)}});
    }
    objects[o->schema.name] = {{"records", records}, {"deleted", deleted}};
  }
  j["objects"] = objects;
  return j;
}

// ---------------------------------------------------------------- state file

namespace {

Json RecordState(const Record& r, size_t seq) {
  return Json{{"seq", seq}, {"fields", r.fields}, {"deleted", r.deleted}, {"deleted_ms", r.deleted_ms},
              {"modstamp_ms", r.modstamp_ms}};
}

}  // namespace

std::vector<StateFile::Row> SalesforceEmulator::AllRowsLocked() {
  std::vector<StateFile::Row> rows;
  for (const auto& o : objects_) {
    for (size_t i = 0; i < o->records.size(); ++i) rows.push_back({o->schema.name, o->records[i].id, RecordState(o->records[i], i)});
  }
  dirty_.clear();
  return rows;
}

std::vector<StateFile::Row> SalesforceEmulator::DirtyRowsLocked() {
  std::vector<StateFile::Row> rows;
  for (const auto& [name, id] : dirty_) {
    Object* o = FindObject(name);
    auto it = o ? o->by_id15.find(id.substr(0, 15)) : decltype(o->by_id15)::iterator{};
    if (o && it != o->by_id15.end()) {
      rows.push_back({name, id, RecordState(o->records[it->second], it->second)});
    } else {
      rows.push_back({name, id, std::nullopt});  // created, then rolled back
    }
  }
  dirty_.clear();
  return rows;
}

Json SalesforceEmulator::MetaLocked() {
  return Json{{"id_counter", id_counter_},         {"token_counter", token_counter_},
              {"cursor_counter", cursor_counter_}, {"api_usage", settings_.api_usage},
              {"usage_day", usage_day_},           {"sessions", sessions_}};
}

Status SalesforceEmulator::LoadStateLocked(const std::vector<StateFile::Row>& rows, const Json& meta) {
  for (auto& o : objects_) {
    o->records.clear();
    o->by_id15.clear();
  }
  std::map<Object*, std::vector<std::pair<size_t, Record>>> loaded;
  for (const StateFile::Row& row : rows) {
    Object* o = FindObject(row.object);
    if (!o) return Status::Error("state file: object " + row.object + " is not in the seed's schemas");
    const Json& b = *row.body;
    if (!b.is_object() || !b.contains("fields") || !b["fields"].is_object())
      return Status::Error("state file: record " + row.object + "/" + row.id + " has no fields");
    Record r;
    r.id = row.id;
    r.fields = b["fields"];
    r.deleted = b.value("deleted", false);
    r.deleted_ms = b.value("deleted_ms", int64_t{0});
    r.modstamp_ms = b.value("modstamp_ms", int64_t{0});
    loaded[o].emplace_back(b.value("seq", size_t{0}), std::move(r));
  }
  for (auto& [o, list] : loaded) {
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [seq, r] : list) {
      o->by_id15[r.id.substr(0, 15)] = o->records.size();
      o->records.push_back(std::move(r));
    }
  }
  if (meta.is_object()) {
    id_counter_ = meta.value("id_counter", id_counter_);
    token_counter_ = meta.value("token_counter", token_counter_);
    cursor_counter_ = meta.value("cursor_counter", cursor_counter_);
    settings_.api_usage = meta.value("api_usage", settings_.api_usage);
    usage_day_ = meta.value("usage_day", usage_day_);
    if (meta.contains("sessions") && meta["sessions"].is_object()) {
      for (const auto& [token, expiry] : meta["sessions"].items()) {
        if (expiry.is_number_integer()) sessions_[token] = expiry.get<int64_t>();
      }
    }
  }
  for (auto& o : objects_) RebuildIndex(*o);
  return Status::Ok();
}

// ---------------------------------------------------------------- pipeline hooks

bool SalesforceEmulator::Authorize(Call& c) {
  std::string auth = c.Header("Authorization");
  std::string token;
  for (const char* scheme : {"Bearer ", "OAuth "}) {
    if (auth.size() > std::string_view(scheme).size() &&
        EqualsIgnoreCase(auth.substr(0, std::string_view(scheme).size()), scheme))
      token = auth.substr(std::string_view(scheme).size());
  }
  if (!token.empty()) {
    if (token == token_) return true;
    auto it = sessions_.find(token);
    if (it != sessions_.end() && it->second > c.now_ms) return true;
  }
  c.Send(401, ErrorArray("INVALID_SESSION_ID", "Session expired or invalid"));
  c.SetHeader("WWW-Authenticate", "Token");
  return false;
}

bool SalesforceEmulator::Admit(Call& c) {
  int64_t day = StartOfDayMs(c.now_ms);
  if (day != usage_day_) {  // the 24-hour window, simplified to the UTC day
    usage_day_ = day;
    settings_.api_usage = 0;
  }
  if (settings_.api_usage >= settings_.daily_api_limit) {
    c.Send(403, ErrorArray("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."));
    return false;
  }
  ++settings_.api_usage;
  return true;
}

void SalesforceEmulator::Decorate(Call& c) {
  const std::string& p = c.req.path;
  if (p.rfind("/services/data/v", 0) == 0 || p.rfind("/services/apexrest/", 0) == 0) {
    c.SetHeader("Sforce-Limit-Info", "api-usage=" + std::to_string(settings_.api_usage) + "/" +
                                         std::to_string(settings_.daily_api_limit));
  }
}

void SalesforceEmulator::WriteNotFound(Call& c) {
  c.Send(404, ErrorArray("NOT_FOUND", "The requested resource does not exist"));
}

void SalesforceEmulator::WriteMethodNotAllowed(Call& c, const std::string& allowed) {
  std::string list = allowed;
  if (list.find("GET") != std::string::npos) list += ",HEAD";
  c.Send(405, ErrorArray("METHOD_NOT_ALLOWED", "HTTP Method '" + c.req.method + "' not allowed. Allowed are " + list));
}

void SalesforceEmulator::WriteStorm(Call& c) {
  // Salesforce answers concurrency spikes with 403 REQUEST_LIMIT_EXCEEDED (not 429).
  c.Send(403, ErrorArray("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."));
}

void SalesforceEmulator::WriteServerError(Call& c, int status) {
  if (status == 500) {
    uint64_t h = Hash3(c.faults.seed, c.seq, 77);
    c.Send(500, ErrorArray("UNKNOWN_EXCEPTION",
                           "An unexpected error occurred. Please include this ErrorId if you contact support: " +
                               std::to_string(100000000 + h % 900000000) + "-" + std::to_string(10000 + (h >> 32) % 90000) +
                               " (" + std::to_string(-static_cast<int64_t>(h % 2000000000)) + ")"));
  } else {
    c.Send(status, ErrorArray("SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again"));
  }
}

// ---------------------------------------------------------------- lookups

Object* SalesforceEmulator::FindObject(std::string_view name) {
  auto it = by_name_.find(AsciiLower(name));
  return it == by_name_.end() ? nullptr : it->second;
}

Object* SalesforceEmulator::ObjectForId(std::string_view id) {
  if (id.size() < 3) return nullptr;
  auto it = by_prefix_.find(std::string(id.substr(0, 3)));
  return it == by_prefix_.end() ? nullptr : it->second;
}

Record* SalesforceEmulator::FindRecord(Object& obj, std::string_view id) {
  if (!LooksLikeSalesforceId(id)) return nullptr;
  auto it = obj.by_id15.find(std::string(id.substr(0, 15)));
  return it == obj.by_id15.end() ? nullptr : &obj.records[it->second];
}

bool SalesforceEmulator::CheckVersion(Call& c, std::string* version) {
  const std::string& v = c.args[0];
  bool ok = v.size() >= 4 && v[0] == 'v' && v.substr(v.size() - 2) == ".0";
  int major = ok ? std::atoi(v.c_str() + 1) : 0;
  ok = ok && major >= kMinVersion && major <= kMaxVersion && v == "v" + std::to_string(major) + ".0";
  if (!ok) {
    WriteNotFound(c);
    return false;
  }
  *version = v;
  return true;
}

Object* SalesforceEmulator::VersionedObject(Call& c, std::string* version) {
  if (!CheckVersion(c, version)) return nullptr;
  Object* obj = FindObject(c.args[1]);
  if (!obj) WriteNotFound(c);
  return obj;
}

bool SalesforceEmulator::ObjectBody(Call& c, Json* body) {
  if (!ParseBody(c, body, false)) return false;
  if (body->is_object()) return true;
  c.Send(400, ErrorArray("JSON_PARSER_ERROR", "Expected a JSON object"));
  return false;
}

void SalesforceEmulator::Index(Object& obj, size_t i) {
  const Record& r = obj.records[i];
  if (r.deleted) return;
  for (auto& [field, values] : obj.keys) {
    auto it = r.fields.find(field);
    if (it != r.fields.end() && !it->is_null()) values[AsciiLower(TextOf(*it))].push_back(i);
  }
}

void SalesforceEmulator::Unindex(Object& obj, size_t i) {
  const Record& r = obj.records[i];
  if (r.deleted) return;
  for (auto& [field, values] : obj.keys) {
    auto it = r.fields.find(field);
    if (it == r.fields.end() || it->is_null()) continue;
    auto bucket = values.find(AsciiLower(TextOf(*it)));
    if (bucket == values.end()) continue;
    auto& v = bucket->second;
    v.erase(std::remove(v.begin(), v.end(), i), v.end());
    if (v.empty()) values.erase(bucket);
  }
}

void SalesforceEmulator::RebuildIndex(Object& obj) {
  obj.keys.clear();
  for (const schema::Field& f : obj.schema.fields) {
    if (f.name != "Id" && (f.id_lookup || f.external_id || f.unique)) obj.keys[f.name];
  }
  for (const DuplicateRule& r : obj.duplicate_rules) {
    for (const std::string& f : r.fields) obj.keys[f];
  }
  for (size_t i = 0; i < obj.records.size(); ++i) Index(obj, i);
}

std::vector<const Record*> SalesforceEmulator::Lookup(const Object& obj, const std::string& field, const Json& value) {
  std::vector<const Record*> out;
  auto keys = obj.keys.find(field);
  if (keys != obj.keys.end()) {
    auto bucket = keys->second.find(AsciiLower(TextOf(value)));
    if (bucket != keys->second.end()) {
      for (size_t i : bucket->second) out.push_back(&obj.records[i]);
    }
    return out;
  }
  for (const Record& r : obj.records) {  // not a key field: a scan
    auto it = r.fields.find(field);
    if (!r.deleted && it != r.fields.end() && EqualsIgnoreCase(TextOf(*it), TextOf(value))) out.push_back(&r);
  }
  return out;
}

std::string SalesforceEmulator::NewId(const Object& obj) {
  for (;;) {
    std::string id = MakeSalesforceId(obj.key_prefix, ++id_counter_);
    if (!obj.by_id15.count(id.substr(0, 15))) return id;
  }
}

// ---------------------------------------------------------------- responses

Json SalesforceEmulator::ErrorArray(const std::string& code, const std::string& message,
                                    const std::vector<std::string>& fields, bool with_fields) {
  Json e;
  e["message"] = message;
  e["errorCode"] = code;
  if (with_fields) e["fields"] = fields;
  return Json::array({e});
}

Json SalesforceEmulator::SaveResult(const std::string* id, bool success, const std::vector<Error>& errors) {
  Json r;
  r["id"] = id && !id->empty() ? Json(*id) : Json();
  r["success"] = success;
  Json errs = Json::array();
  for (const Error& e : errors) {
    Json ej;
    ej["statusCode"] = e.status_code;
    ej["message"] = e.message;
    ej["fields"] = e.fields;
    errs.push_back(ej);
  }
  r["errors"] = errs;
  return r;
}

Json SalesforceEmulator::RecordJson(const Object& obj, const Record& r, const std::string& version,
                                    const std::vector<soql::FieldRef>* fields) {
  Json j;
  j["attributes"] = {{"type", obj.schema.name},
                     {"url", "/services/data/" + version + "/sobjects/" + obj.schema.name + "/" + r.id}};
  auto put = [&](const std::string& name) {
    auto it = r.fields.find(name);
    j[name] = it == r.fields.end() ? Json() : *it;
  };
  if (fields) {
    for (const soql::FieldRef& f : *fields) put(f.name);
  } else {
    for (const schema::Field& f : obj.schema.fields) put(f.name);
  }
  return j;
}

bool SalesforceEmulator::ParseBody(Call& c, Json* out, bool bare_object_error) {
  std::string err;
  int line = 1, col = 1;
  if (ParseJson(c.Body(), out, &err, &line, &col)) return true;
  // The offending character (or end of input), as Jackson names it in Salesforce's messages.
  std::string_view body = c.Body();
  size_t pos = 0;
  for (int l = 1; l < line && pos < body.size(); ++pos) {
    if (body[pos] == '\n') ++l;
  }
  pos += static_cast<size_t>(col - 1);
  std::string where = " at [line:" + std::to_string(line) + ", column:" + std::to_string(col) + "]";
  if (bare_object_error) {
    std::string tok = pos < body.size() ? std::string(1, body[pos]) : "null";
    Json e;
    e["message"] = "Json Deserialization failed on token '" + tok +
                   "' and has left off in the middle of parsing a row. Will go to end of row to begin parsing the "
                   "next row";
    e["errorCode"] = "INVALID_FIELD";
    c.Send(400, e);
  } else if (pos < body.size()) {
    unsigned char ch = static_cast<unsigned char>(body[pos]);
    c.Send(400, ErrorArray("JSON_PARSER_ERROR", "Unexpected character ('" + std::string(1, static_cast<char>(ch)) +
                                                    "' (code " + std::to_string(ch) + "))" + where));
  } else {
    c.Send(400, ErrorArray("JSON_PARSER_ERROR", "Unexpected end-of-input" + where));
  }
  return false;
}

// ---------------------------------------------------------------- the write path

bool SalesforceEmulator::Coerce(Object& obj, const schema::Field& f, const Json& in, Json* out, Error* err) {
  const std::string& t = f.native_type;
  auto bad_type = [&] {
    *err = {"INVALID_TYPE_ON_FIELD_IN_RECORD", f.label + ": value not of required type: " + TextOf(in), {f.name}};
    return false;
  };
  if (in.is_null()) {
    *out = t == "boolean" ? Json(false) : Json();
    return true;
  }
  if (in.is_object() || in.is_array()) return bad_type();
  if (t == "boolean") {
    if (in.is_boolean()) {
      *out = in;
    } else if (in.is_string() && (EqualsIgnoreCase(in.get<std::string>(), "true") || EqualsIgnoreCase(in.get<std::string>(), "false"))) {
      *out = EqualsIgnoreCase(in.get<std::string>(), "true");
    } else {
      return bad_type();
    }
    return true;
  }
  if (t == "int" || t == "double" || t == "currency" || t == "percent" || t == "long") {
    double d;
    if (in.is_number()) {
      d = in.get<double>();
    } else if (in.is_string()) {
      const std::string& s = in.get_ref<const std::string&>();
      if (s.empty()) {
        *out = Json();
        return true;
      }
      char* end = nullptr;
      d = std::strtod(s.c_str(), &end);
      if (end != s.c_str() + s.size()) return bad_type();
    } else {
      return bad_type();
    }
    if (!std::isfinite(d)) return bad_type();
    if (t == "int" || t == "long") {
      if (d != std::floor(d)) return bad_type();
      *out = static_cast<int64_t>(d);
    } else {
      *out = d;
    }
    return true;
  }
  if (t == "date") {
    if (!in.is_string()) return bad_type();
    if (in.get<std::string>().empty()) {
      *out = Json();
      return true;
    }
    if (!ParseDate(in.get<std::string>())) return bad_type();
    *out = in;
    return true;
  }
  if (t == "datetime") {
    if (!in.is_string()) return bad_type();
    if (in.get<std::string>().empty()) {
      *out = Json();
      return true;
    }
    auto ms = ParseDateTime(in.get<std::string>(), false);
    if (!ms) return bad_type();
    *out = FormatSalesforceDateTime(*ms);
    return true;
  }
  if (t == "reference" || t == "id") {
    std::string s = TextOf(in);
    if (s.empty()) {
      *out = Json();
      return true;
    }
    if (!LooksLikeSalesforceId(s)) {
      *err = {"MALFORMED_ID", f.label + ": id value of incorrect type: " + s, {f.name}};
      return false;
    }
    *out = s.size() == 15 ? s + SalesforceIdSuffix(s) : s;
    return true;
  }
  // text-like
  std::string s = TextOf(in);
  if (s.empty()) {
    *out = Json();
    return true;
  }
  if (f.length > 0 && Utf8Length(s) > static_cast<size_t>(f.length)) {
    *err = {"STRING_TOO_LONG", f.label + ": data value too large: " + s + " (max length=" + std::to_string(f.length) + ")",
            {f.name}};
    return false;
  }
  if (t == "email" && !ValidEmail(s)) {
    *err = {"INVALID_EMAIL_ADDRESS", f.label + ": invalid email address: " + s, {f.name}};
    return false;
  }
  if (f.is_picklist && f.restricted_picklist) {
    std::vector<std::string> parts;
    if (t == "multipicklist") {
      size_t i = 0;
      while (i <= s.size()) {
        size_t j = s.find(';', i);
        if (j == std::string::npos) j = s.size();
        parts.push_back(s.substr(i, j - i));
        i = j + 1;
      }
    } else {
      parts.push_back(s);
    }
    for (const std::string& p : parts) {
      const schema::PicklistValue* pv = f.FindValue(p);
      if (!pv || !pv->active) {
        *err = {"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f.label + ": bad value for restricted picklist field: " + p,
                {f.name}};
        return false;
      }
    }
  }
  *out = s;
  return true;
}

bool SalesforceEmulator::PrepareFields(Object& obj, const Json& input, bool insert, Json* changes,
                                       std::vector<Error>* errors, std::optional<RequestError>* request_error) {
  std::vector<std::string> not_writable;
  *changes = Json::object();
  for (const auto& [key, v] : input.items()) {
    if (key == "attributes") continue;
    const schema::Field* f = obj.schema.FindFieldIgnoreCase(key);
    if (!f) {
      *request_error = RequestError{
          400, ErrorArray("INVALID_FIELD", "No such column '" + key + "' on sobject of type " + obj.schema.name)};
      return false;
    }
    if (f->name == "Id") {
      if (insert) errors->push_back({"INVALID_FIELD", "cannot specify Id in an insert call", {"Id"}});
      continue;
    }
    if (insert ? !f->createable : !f->updateable) {
      not_writable.push_back(f->name);
      continue;
    }
    Json val;
    Error e;
    if (!Coerce(obj, *f, v, &val, &e)) {
      errors->push_back(e);
      continue;
    }
    if ((f->native_type == "reference") && val.is_string()) {
      const std::string id = val.get<std::string>();
      Object* target = ObjectForId(id);
      if (target) {
        bool allowed = std::find(f->reference_to.begin(), f->reference_to.end(), target->schema.name) != f->reference_to.end();
        Record* rec = allowed ? FindRecord(*target, id) : nullptr;
        if (!allowed) {
          errors->push_back({"FIELD_INTEGRITY_EXCEPTION", f->label + ": id value of incorrect type: " + id, {f->name}});
          continue;
        }
        if (!rec) {
          errors->push_back({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {f->name}});
          continue;
        }
        if (rec->deleted) {
          errors->push_back({"ENTITY_IS_DELETED", "entity is deleted", {f->name}});
          continue;
        }
        val = rec->id;
      }
    }
    (*changes)[f->name] = val;
  }
  if (!not_writable.empty()) {
    errors->insert(errors->begin(),
                   Error{"INVALID_FIELD_FOR_INSERT_UPDATE",
                         "Unable to create/update fields: " + JoinComma(not_writable) +
                             ". Please check the security settings of this field and verify that it is read/write for "
                             "your profile or permission set.",
                         not_writable});
  }
  return errors->empty();
}

bool SalesforceEmulator::CheckRecord(Object& obj, const Json& candidate, const Json& changes, bool insert,
                                     const std::string& self_id, std::vector<Error>* errors) {
  auto is_null = [&](const std::string& name) {
    auto it = candidate.find(name);
    return it == candidate.end() || it->is_null();
  };
  std::vector<std::string> missing;
  for (const schema::Field& f : obj.schema.fields) {
    bool required = insert ? f.required_on_create()
                           : (!f.nillable && f.updateable && f.native_type != "boolean" && changes.contains(f.name));
    if (required && is_null(f.name)) missing.push_back(f.name);
  }
  if (!missing.empty()) {
    errors->push_back({"REQUIRED_FIELD_MISSING", "Required fields are missing: [" + JoinComma(missing) + "]", missing});
    return false;
  }
  for (const ValidationRule& r : obj.validation_rules) {
    if (soql::Matches(*r.condition, candidate)) {
      errors->push_back({"FIELD_CUSTOM_VALIDATION_EXCEPTION", r.message,
                         r.field.empty() ? std::vector<std::string>{} : std::vector<std::string>{r.field}});
      return false;
    }
  }
  auto same = [](const Json& a, const Json& b) {
    return a.is_string() && b.is_string() ? EqualsIgnoreCase(a.get<std::string>(), b.get<std::string>()) : a == b;
  };
  for (const DuplicateRule& r : obj.duplicate_rules) {
    bool relevant = insert;
    bool complete = true;
    for (const std::string& f : r.fields) {
      relevant = relevant || changes.contains(f);
      complete = complete && !is_null(f);
    }
    if (!relevant || !complete) continue;
    for (const Record* other : Lookup(obj, r.fields[0], candidate[r.fields[0]])) {
      if (other->id == self_id) continue;
      bool all = true;
      for (const std::string& f : r.fields) {
        auto it = other->fields.find(f);
        all = all && it != other->fields.end() && same(*it, candidate[f]);
      }
      if (all) {
        errors->push_back({"DUPLICATES_DETECTED", "Use one of these records?", {}});
        return false;
      }
    }
  }
  for (const schema::Field& f : obj.schema.fields) {
    if (!f.unique || f.name == "Id" || is_null(f.name)) continue;
    if (!insert && !changes.contains(f.name)) continue;
    for (const Record* other : Lookup(obj, f.name, candidate[f.name])) {
      if (other->id == self_id) continue;
      errors->push_back({"DUPLICATE_VALUE",
                         "duplicate value found: " + f.name + " duplicates value on record with id: " + other->id,
                         {f.name}});
      return false;
    }
  }
  return true;
}

void SalesforceEmulator::Commit(Object& obj, size_t index, const Json& candidate, bool insert, Tx& tx, int64_t now) {
  int64_t now_s = TruncateToSecond(now);
  std::string ts = FormatSalesforceDateTime(now_s);
  Json fields = Json::object();
  for (const auto& [k, v] : candidate.items()) {
    if (!v.is_null()) fields[k] = v;
  }
  auto set_if = [&](const char* name, const Json& v) {
    if (obj.schema.FindField(name)) fields[name] = v;
  };
  if (insert) {
    set_if("CreatedDate", ts);
    set_if("CreatedById", user_id_);
  }
  set_if("LastModifiedDate", ts);
  set_if("LastModifiedById", user_id_);
  set_if("SystemModstamp", ts);
  if (insert) {
    index = obj.records.size();
    tx.undo.push_back({&obj, index, std::nullopt});
    Record r;
    r.id = fields["Id"].get<std::string>();
    r.fields = std::move(fields);
    r.modstamp_ms = now_s;
    obj.by_id15[r.id.substr(0, 15)] = index;
    obj.records.push_back(std::move(r));
  }
  // the values before an update, for the field history
  Json before = !insert && obj.history && !obj.tracked.empty() ? obj.records[index].fields : Json();
  if (!insert) {
    tx.undo.push_back({&obj, index, obj.records[index]});
    Unindex(obj, index);
    obj.records[index].fields = std::move(fields);
    obj.records[index].modstamp_ms = now_s;
  }
  RunFieldUpdates(obj, index, now_s);
  if (!insert) WriteHistory(obj, index, before, tx, now_s);
  Index(obj, index);
  if (persistent()) dirty_.emplace(obj.schema.name, obj.records[index].id);
}

// Every seed object whose describe names a field history (the child
// relationship "Histories": ContactHistory by ContactId, OpportunityFieldHistory
// by OpportunityId, Foo__History by ParentId) gets that object: queryable, never
// written through the API, holding a row per change of a tracked field.
void SalesforceEmulator::AddHistoryObjects() {
  const size_t seeded = objects_.size();
  for (size_t i = 0; i < seeded; ++i) {
    Object& parent = *objects_[i];
    auto rels = parent.describe.find("childRelationships");
    if (rels == parent.describe.end() || !rels->is_array()) continue;
    for (const Json& c : *rels) {
      auto text = [&](const char* key) {
        auto it = c.find(key);
        return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      if (!c.is_object() || text("relationshipName") != "Histories") continue;
      std::string name = text("childSObject"), parent_field = text("field");
      if (!name.empty() && !parent_field.empty() && !FindObject(name)) AddHistory(parent, name, parent_field);
    }
  }
}

// Tracking a field of an object whose describe names no history turns it on, as
// an admin does: the object gets its history by Salesforce's naming, and its
// describe names it from then on.
void SalesforceEmulator::EnableHistory(Object& parent) {
  const std::string& o = parent.schema.name;
  std::string name = o + "History", parent_field = o + "Id";
  if (o.size() > 3 && o.compare(o.size() - 3, 3, "__c") == 0) {
    name = o.substr(0, o.size() - 3) + "__History";
    parent_field = "ParentId";
  } else if (o == "Opportunity") {
    name = "OpportunityFieldHistory";  // OpportunityHistory is the stage history
  }
  if (!AddHistory(parent, name, parent_field)) return;
  Json& rels = parent.describe["childRelationships"];
  if (!rels.is_array()) rels = Json::array();
  rels.push_back({{"cascadeDelete", true},         {"childSObject", name},          {"deprecatedAndHidden", false},
                  {"field", parent_field},         {"junctionIdListNames", Json::array()},
                  {"junctionReferenceTo", Json::array()}, {"relationshipName", "Histories"},
                  {"restrictedDelete", false}});
}

SalesforceEmulator::Object* SalesforceEmulator::AddHistory(Object& parent, const std::string& name,
                                                           const std::string& parent_field) {
  auto field = [](const std::string& n, const char* type, Json extra) {
    Json f{{"name", n}, {"label", n}, {"type", type}, {"nillable", true}, {"createable", false},
           {"updateable", false}, {"filterable", true}, {"length", 0}};
    for (const auto& [k, v] : extra.items()) f[k] = v;
    return f;
  };
  Json fields = Json::array({field("Id", "id", {{"nillable", false}, {"length", 18}}),
                             field(parent_field, "reference", {{"referenceTo", {parent.schema.name}}, {"length", 18}}),
                             field("Field", "picklist", {{"length", 255}}),
                             field("DataType", "picklist", {{"length", 40}}),
                             field("OldValue", "anyType", Json::object()),
                             field("NewValue", "anyType", Json::object()),
                             field("CreatedById", "reference", {{"referenceTo", {"User"}}, {"length", 18}}),
                             field("CreatedDate", "datetime", Json::object()),
                             field("IsDeleted", "boolean", {{"nillable", false}})});
  Json describe{{"name", name},          {"label", parent.schema.label + " History"},
                {"keyPrefix", "017"},    {"createable", false},
                {"updateable", false},   {"deletable", false},
                {"queryable", true},     {"custom", false},
                {"fields", fields},      {"childRelationships", Json::array()}};
  std::vector<schema::SchemaError> errors;
  std::optional<schema::Object> sch = schema::ParseSalesforceDescribe(DumpJson(describe), name, errors);
  if (!sch) return nullptr;
  auto obj = std::make_unique<Object>();
  obj->schema = std::move(*sch);
  obj->schema.Finalize();
  obj->describe = std::move(describe);
  obj->key_prefix = "017";  // every history object's, as in an org: never looked up by id
  by_name_[AsciiLower(name)] = obj.get();
  parent.history = obj.get();
  parent.history_parent = parent_field;
  objects_.push_back(std::move(obj));
  return parent.history;
}

// As Salesforce records it: the field's API name, its old and new value, and
// CreatedDate at second precision (the write's own time).
void SalesforceEmulator::WriteHistory(Object& obj, size_t index, const Json& before, Tx& tx, int64_t now) {
  if (!obj.history || obj.tracked.empty()) return;
  const Json& after = obj.records[index].fields;
  Object& h = *obj.history;
  for (const std::string& name : obj.tracked) {
    Json old_value = before.contains(name) ? before[name] : Json();
    Json new_value = after.contains(name) ? after[name] : Json();
    if (old_value == new_value) continue;
    Record row;
    row.id = NewId(h);
    row.fields = {{"Id", row.id},         {obj.history_parent, obj.records[index].id},
                  {"Field", name},        {"DataType", "Text"},
                  {"OldValue", old_value}, {"NewValue", new_value},
                  {"CreatedById", user_id_}, {"CreatedDate", FormatSalesforceDateTime(now)},
                  {"IsDeleted", false}};
    row.modstamp_ms = now;
    tx.undo.push_back({&h, h.records.size(), std::nullopt});
    h.by_id15[row.id.substr(0, 15)] = h.records.size();
    h.records.push_back(std::move(row));
    if (persistent()) dirty_.emplace(h.schema.name, h.records.back().id);
  }
}

void SalesforceEmulator::RunFieldUpdates(Object& obj, size_t index, int64_t now) {
  Record& r = obj.records[index];
  for (const FieldUpdate& fu : obj.field_updates) {
    if (!soql::Matches(*fu.condition, r.fields)) continue;
    for (const auto& [k, v] : fu.set.items()) {
      if (v.is_null()) {
        r.fields.erase(k);
      } else {
        r.fields[k] = v;
      }
    }
  }
  (void)now;
}

void SalesforceEmulator::AllOrNone(bool all_or_none, const std::vector<bool>& ok, Tx& tx, Json* results,
                                   bool keep_id) {
  if (!all_or_none || std::find(ok.begin(), ok.end(), false) == ok.end()) return;
  Rollback(tx);
  for (size_t i = 0; i < ok.size(); ++i) {
    if (!ok[i]) continue;
    Json& r = (*results)[i];
    for (const char* k : {"id", "accountId", "contactId", "opportunityId"}) {
      if (r.contains(k) && (std::string_view(k) != "id" || !keep_id)) r[k] = Json();
    }
    r["success"] = false;
    if (r.contains("created")) r["created"] = false;
    r["errors"] = SaveResult(nullptr, false,
                             {{"ALL_OR_NONE_OPERATION_ROLLED_BACK",
                               "Record rolled back because not all records were valid and the request was using "
                               "AllOrNone header",
                               {}}})["errors"];
  }
}

void SalesforceEmulator::Rollback(Tx& tx) {
  for (auto it = tx.undo.rbegin(); it != tx.undo.rend(); ++it) {
    Object& obj = *it->obj;
    Unindex(obj, it->index);
    if (!it->before) {
      obj.by_id15.erase(obj.records[it->index].id.substr(0, 15));
      obj.records.pop_back();
    } else {
      obj.records[it->index] = *it->before;
      Index(obj, it->index);
    }
  }
  tx.undo.clear();
}

bool SalesforceEmulator::Insert(Object& obj, const Json& input, Tx& tx, Call& c, size_t index, std::string* id,
                                std::vector<Error>* errors, std::optional<RequestError>* request_error) {
  if (c.PartialFault(index)) {
    errors->push_back(LockError());
    return false;
  }
  Json changes;
  if (!PrepareFields(obj, input, true, &changes, errors, request_error)) return false;
  Json candidate = Json::object();
  for (const schema::Field& f : obj.schema.fields) {
    if (f.native_type == "boolean") {
      candidate[f.name] = f.default_value == "true";
    } else if (f.defaulted_on_create && f.createable) {
      std::string def;
      for (const schema::PicklistValue& pv : f.values) {
        if (pv.is_default && pv.active) def = pv.value;
      }
      if (def.empty()) def = f.default_value;
      Json coerced;
      Error e;
      if (!def.empty() && Coerce(obj, f, def, &coerced, &e)) candidate[f.name] = coerced;
    }
  }
  if (obj.schema.FindField("OwnerId")) candidate["OwnerId"] = user_id_;
  for (const auto& [k, v] : changes.items()) candidate[k] = v;
  if (!CheckRecord(obj, candidate, changes, true, "", errors)) return false;
  *id = NewId(obj);
  candidate["Id"] = *id;
  Commit(obj, 0, candidate, true, tx, c.now_ms);
  return true;
}

Record* SalesforceEmulator::WriteTarget(Object** obj, const std::string& id, Call& c, size_t index,
                                       std::vector<Error>* errors) {
  if (!LooksLikeSalesforceId(id)) {
    errors->push_back({"MALFORMED_ID", "malformed id " + id, {}});
    return nullptr;
  }
  if (!*obj) *obj = ObjectForId(id);
  Record* rec = *obj ? FindRecord(**obj, id) : nullptr;
  if (!rec) {
    errors->push_back({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {}});
  } else if (rec->deleted) {
    errors->push_back({"ENTITY_IS_DELETED", "entity is deleted", {}});
  } else if (c.PartialFault(index)) {
    errors->push_back(LockError());
  } else {
    return rec;
  }
  return nullptr;
}

bool SalesforceEmulator::Update(Object& obj, const std::string& id, const Json& input, Tx& tx, Call& c, size_t index,
                                std::vector<Error>* errors, std::optional<RequestError>* request_error) {
  Object* target = &obj;
  Record* rec = WriteTarget(&target, id, c, index, errors);
  if (!rec) return false;
  if (obj.schema.name == "Lead" && rec->fields.value("IsConverted", false) == true) {
    errors->push_back({"CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", {}});
    return false;
  }
  Json changes;
  if (!PrepareFields(obj, input, false, &changes, errors, request_error)) return false;
  Json candidate = rec->fields;
  for (const auto& [k, v] : changes.items()) candidate[k] = v;
  if (!CheckRecord(obj, candidate, changes, false, rec->id, errors)) return false;
  size_t at = static_cast<size_t>(rec - obj.records.data());
  Commit(obj, at, candidate, false, tx, c.now_ms);
  return true;
}

bool SalesforceEmulator::Delete(const std::string& id, Tx& tx, Call& c, size_t index, std::vector<Error>* errors) {
  Object* obj = nullptr;
  Record* rec = WriteTarget(&obj, id, c, index, errors);
  if (!rec) return false;
  int64_t now_s = TruncateToSecond(c.now_ms);
  // The record and, through cascade-delete relationships, its emulated children.
  std::vector<std::pair<Object*, size_t>> todo{{obj, static_cast<size_t>(rec - obj->records.data())}};
  while (!todo.empty()) {
    auto [o, i] = todo.back();
    todo.pop_back();
    Record& r = o->records[i];
    if (r.deleted) continue;
    tx.undo.push_back({o, i, r});
    if (persistent()) dirty_.emplace(o->schema.name, r.id);
    Unindex(*o, i);
    r.deleted = true;
    r.deleted_ms = now_s;
    if (o->schema.FindField("IsDeleted")) r.fields["IsDeleted"] = true;
    if (o->schema.FindField("SystemModstamp")) r.fields["SystemModstamp"] = FormatSalesforceDateTime(now_s);
    r.modstamp_ms = now_s;
    auto rels = o->describe.find("childRelationships");
    if (rels == o->describe.end() || !rels->is_array()) continue;
    for (const Json& rel : *rels) {
      if (!rel.is_object() || !rel.value("cascadeDelete", false)) continue;
      Object* child = FindObject(rel.value("childSObject", ""));
      std::string field = rel.value("field", "");
      if (!child || field.empty()) continue;
      for (size_t k = 0; k < child->records.size(); ++k) {
        const Record& cr = child->records[k];
        auto it = cr.fields.find(field);
        if (!cr.deleted && it != cr.fields.end() && it->is_string() && it->get<std::string>() == r.id)
          todo.push_back({child, k});
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------- routes

void SalesforceEmulator::RegisterRoutes() {
  RouteOptions open;
  open.authenticated = false;
  RouteOptions write;
  write.mutates = true;
  const std::string d = "/services/data/{}";

  RouteOptions token_route = open;
  token_route.mutates = true;  // issued sessions go into the state file
  Route("POST", "/services/oauth2/token", [this](Call& c) { Token(c); }, token_route);
  // Token revocation (jsforce's logout() with an OAuth2 session calls it).
  Route("POST", "/services/oauth2/revoke", [this](Call& c) { Revoke(c); }, token_route);
  Route("GET", "/services/oauth2/revoke", [this](Call& c) { Revoke(c); }, token_route);
  // The identity URL the token response's "id" points to; not counted against
  // the API limit, so it authenticates in the handler.
  Route("GET", "/id/{}/{}", [this](Call& c) { Identity(c); }, open);
  Route(
      "GET", "/services/data",
      [](Call& c) {
        static const std::pair<const char*, const char*> kVersions[] = {
            {"Winter '24", "59.0"}, {"Spring '24", "60.0"}, {"Summer '24", "61.0"}, {"Winter '25", "62.0"}};
        Json a = Json::array();
        for (const auto& [label, v] : kVersions)
          a.push_back({{"label", label}, {"url", std::string("/services/data/v") + v}, {"version", v}});
        c.Send(200, a);
      },
      open);
  Route("GET", d, [this](Call& c) {
    std::string v;
    if (!CheckVersion(c, &v)) return;
    std::string base = "/services/data/" + v;
    Json j;
    for (const char* r : {"sobjects", "query", "queryAll", "limits", "composite"}) j[r] = base + "/" + r;
    j["identity"] = IdentityUrl();  // absolute, as Salesforce gives it (jsforce's identity() follows it)
    c.Send(200, j);
  });
  Route("GET", d + "/limits", [this](Call& c) {
    std::string v;
    if (!CheckVersion(c, &v)) return;
    Json j;
    j["DailyApiRequests"] = {{"Max", settings_.daily_api_limit},
                             {"Remaining", std::max<int64_t>(0, settings_.daily_api_limit - settings_.api_usage)}};
    c.Send(200, j);
  });
  Route("GET", d + "/limits/recordCount", [this](Call& c) {
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
  });
  Route("GET", d + "/sobjects", [this](Call& c) {
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
  });
  Route("GET", d + "/sobjects/{}", [this](Call& c) {
    std::string v;
    Object* o = VersionedObject(c, &v);
    if (!o) return;
    Json e;
    for (const char* k : {"name", "label", "labelPlural", "keyPrefix", "custom", "createable", "updateable",
                          "deletable", "queryable"}) {
      if (o->describe.contains(k)) e[k] = o->describe[k];
    }
    c.Send(200, Json{{"objectDescribe", e}, {"recentItems", Json::array()}});
  });
  Route("GET", d + "/sobjects/{}/describe", [this](Call& c) {
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
  });
  Route("POST", d + "/sobjects/{}", [this](Call& c) { CreateOne(c); }, write);
  Route("GET", d + "/sobjects/{}/updated", [this](Call& c) { Updated(c, false); });
  Route("GET", d + "/sobjects/{}/deleted", [this](Call& c) { Updated(c, true); });
  Route("GET", d + "/sobjects/{}/{}", [this](Call& c) { GetOne(c); });
  Route("PATCH", d + "/sobjects/{}/{}", [this](Call& c) { UpdateOne(c); }, write);
  Route("DELETE", d + "/sobjects/{}/{}", [this](Call& c) { DeleteOne(c); }, write);
  Route("GET", d + "/sobjects/{}/{}/{}", [this](Call& c) { GetByExternalId(c); });
  Route("PATCH", d + "/sobjects/{}/{}/{}", [this](Call& c) { UpsertOne(c); }, write);
  Route("GET", d + "/query", [this](Call& c) { Query(c, false); });
  Route("GET", d + "/queryAll", [this](Call& c) { Query(c, true); });
  Route("GET", d + "/query/{}", [this](Call& c) { QueryMore(c); });
  Route("GET", d + "/queryAll/{}", [this](Call& c) { QueryMore(c); });
  Route("POST", d + "/composite/sobjects", [this](Call& c) { CollectionsWrite(c, true); }, write);
  Route("PATCH", d + "/composite/sobjects", [this](Call& c) { CollectionsWrite(c, false); }, write);
  Route("DELETE", d + "/composite/sobjects", [this](Call& c) { CollectionsDelete(c); }, write);
  Route("GET", d + "/composite/sobjects/{}", [this](Call& c) { CollectionsRetrieve(c); });
  Route("POST", d + "/composite/sobjects/{}", [this](Call& c) { CollectionsRetrieve(c); });
  Route("PATCH", d + "/composite/sobjects/{}/{}", [this](Call& c) { CollectionsUpsert(c); }, write);
  Route("POST", "/services/apexrest/accord/convertLead", [this](Call& c) { ConvertLead(c); }, write);
  Route("POST", "/services/apexrest/accord/merge", [this](Call& c) { MergeRecords(c); }, write);
  Route(
      "POST", "/__sandbox/expire-sessions",
      [this](Call& c) {
        size_t n = sessions_.size();
        sessions_.clear();
        c.Send(200, Json{{"expired", n}});
      },
      RouteOptions{false, true, false});
}

// ---------------------------------------------------------------- OAuth

void SalesforceEmulator::Token(Call& c) {
  auto oauth_error = [&](const char* error, const std::string& description) {
    c.Send(400, Json{{"error", error}, {"error_description", description}});
  };
  std::string grant = c.Param("grant_type");
  std::string subject;
  if (grant == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    std::string assertion = c.Param("assertion");
    if (assertion.empty()) return oauth_error("invalid_request", "assertion is required");
    // A well-formed JWT: header.payload.signature, base64url JSON with iss, sub, aud and exp.
    // The signature is not verified (the sandbox has no connected app certificate).
    size_t a = assertion.find('.'), b = a == std::string::npos ? a : assertion.find('.', a + 1);
    std::string header_text, payload_text;
    Json header, payload;
    std::string err;
    if (b == std::string::npos || assertion.find('.', b + 1) != std::string::npos ||
        !DecodeBase64Url(assertion.substr(0, a), &header_text) ||
        !DecodeBase64Url(assertion.substr(a + 1, b - a - 1), &payload_text) || !ParseJson(header_text, &header, &err) ||
        !ParseJson(payload_text, &payload, &err) || !header.is_object() || !payload.is_object() ||
        !header.contains("alg"))
      return oauth_error("invalid_grant", "invalid assertion");
    for (const char* claim : {"iss", "sub", "aud", "exp"}) {
      if (!payload.contains(claim)) return oauth_error("invalid_grant", std::string("invalid assertion: no ") + claim);
    }
    if (!payload["exp"].is_number() || payload["exp"].get<double>() * 1000 < static_cast<double>(c.now_ms))
      return oauth_error("invalid_grant", "expired assertion");
    subject = payload["sub"].is_string() ? payload["sub"].get<std::string>() : "";
    if (!settings_.users.empty() &&
        std::find(settings_.users.begin(), settings_.users.end(), subject) == settings_.users.end())
      return oauth_error("invalid_grant", "user hasn't approved this consumer");
  } else if (grant == "refresh_token") {
    if (c.Param("refresh_token") != settings_.refresh_token)
      return oauth_error("invalid_grant", "expired access/refresh token");
  } else if (grant == "client_credentials") {
    if (c.Param("client_id").empty() || c.Param("client_secret").empty())
      return oauth_error("invalid_client", "invalid client credentials");
  } else {
    return oauth_error("unsupported_grant_type", "grant type not supported");
  }
  std::string token = org_id_.substr(0, 15) + "!AQ4AQ";
  uint64_t h = Hash3(++token_counter_, static_cast<uint64_t>(c.now_ms), 0x5f);
  static const char kChars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._";
  for (int i = 0; i < 96; ++i) {
    h = Mix64(h + static_cast<uint64_t>(i));
    token += kChars[h % 64];
  }
  sessions_[token] = c.now_ms + settings_.session_seconds * 1000;
  Json j;
  j["access_token"] = token;
  j["signature"] = UuidFromHash(h);
  j["scope"] = "api";
  j["instance_url"] = base_url();
  j["id"] = IdentityUrl();
  j["token_type"] = "Bearer";
  j["issued_at"] = std::to_string(c.now_ms);
  c.Send(200, j);
}

// ---------------------------------------------------------------- SOQL

void SalesforceEmulator::Query(Call& c, bool all) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  std::string q = c.Param("q");
  if (q.empty()) return c.Send(400, ErrorArray("MALFORMED_QUERY", "A query string has to be specified"));
  soql::Query query;
  soql::Error err;
  if (!soql::ParseQuery(q, &query, &err)) return c.Send(400, ErrorArray(err.code, err.message));
  Object* obj = FindObject(query.object.name);
  if (!obj) {
    std::string msg = "\n" + q.substr(0, q.find('\n')) + "\n" + std::string(query.object.column - 1, ' ') +
                      "^\nERROR at Row:" + std::to_string(query.object.line) +
                      ":Column:" + std::to_string(query.object.column) + "\nsObject type '" + query.object.name +
                      "' is not supported. If you are attempting to use a custom object, be sure to append the '__c' "
                      "after the entity name. Please reference your WSDL or the describe call for the appropriate names.";
    return c.Send(400, ErrorArray("INVALID_TYPE", msg));
  }
  if (!soql::BindQuery(obj->schema, c.now_ms, &query, &err)) return c.Send(400, ErrorArray(err.code, err.message));

  std::vector<const Record*> rows;
  for (const Record& r : obj->records) {
    if (r.deleted && !all) continue;
    if (query.where && !soql::Matches(*query.where, r.fields)) continue;
    rows.push_back(&r);
  }
  if (!query.order_by.empty()) {
    std::stable_sort(rows.begin(), rows.end(), [&](const Record* a, const Record* b) {
      return soql::CompareRecords(query.order_by, a->fields, b->fields) < 0;
    });
  }
  size_t offset = query.offset ? static_cast<size_t>(*query.offset) : 0;
  if (offset >= rows.size()) {
    rows.clear();
  } else if (offset > 0) {
    rows.erase(rows.begin(), rows.begin() + static_cast<long>(offset));
  }
  if (query.limit && rows.size() > static_cast<size_t>(*query.limit)) rows.resize(static_cast<size_t>(*query.limit));
  if (query.count) {
    c.Send(200, Json{{"totalSize", rows.size()}, {"done", true}, {"records", Json::array()}});
    return;
  }
  size_t page = static_cast<size_t>(settings_.query_page_size);
  std::string options = c.Header("Sforce-Query-Options");
  if (size_t at = options.find("batchSize="); at != std::string::npos) {
    long n = std::strtol(options.c_str() + at + 10, nullptr, 10);
    if (n >= 200 && n <= 2000) page = std::min(page, static_cast<size_t>(n));
  }
  Cursor cursor;
  cursor.created_ms = c.now_ms;
  cursor.page_size = page;
  cursor.version = v;
  cursor.rows.reserve(rows.size());
  for (const Record* r : rows) cursor.rows.push_back(RecordJson(*obj, *r, v, &query.select));
  std::string locator;
  if (cursor.rows.size() > page) {
    // Cursors live 15 minutes; as in Salesforce, a user has at most 10 open: a new one closes the oldest.
    for (auto it = cursors_.begin(); it != cursors_.end();) {
      it = c.now_ms - it->second.created_ms > 15 * 60 * 1000 ? cursors_.erase(it) : std::next(it);
    }
    while (cursors_.size() >= 10) {
      auto oldest = std::min_element(cursors_.begin(), cursors_.end(), [](const auto& a, const auto& b) {
        return a.second.created_ms < b.second.created_ms;
      });
      cursors_.erase(oldest);
    }
    locator = MakeSalesforceId("01g", ++cursor_counter_);
    auto [it, _] = cursors_.emplace(locator, std::move(cursor));
    SendQueryPage(c, locator, it->second, 0);
    return;
  }
  SendQueryPage(c, "", cursor, 0);
}

void SalesforceEmulator::SendQueryPage(Call& c, const std::string& locator, Cursor& cursor, size_t offset) {
  size_t end = std::min(cursor.rows.size(), offset + cursor.page_size);
  Json j;
  j["totalSize"] = cursor.rows.size();
  j["done"] = end >= cursor.rows.size();
  if (end < cursor.rows.size())
    j["nextRecordsUrl"] = "/services/data/" + cursor.version + "/query/" + locator + "-" + std::to_string(end);
  Json records = Json::array();
  for (size_t i = offset; i < end; ++i) records.push_back(cursor.rows[i]);
  j["records"] = std::move(records);
  c.Send(200, j);
}

void SalesforceEmulator::QueryMore(Call& c) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  const std::string& arg = c.args[1];
  size_t dash = arg.rfind('-');
  auto it = dash == std::string::npos ? cursors_.end() : cursors_.find(arg.substr(0, dash));
  char* end = nullptr;
  long offset = dash == std::string::npos ? -1 : std::strtol(arg.c_str() + dash + 1, &end, 10);
  if (it == cursors_.end() || offset < 0 || *end != '\0' || static_cast<size_t>(offset) >= it->second.rows.size() ||
      c.now_ms - it->second.created_ms > 15 * 60 * 1000)
    return c.Send(400, ErrorArray("INVALID_QUERY_LOCATOR", "invalid query locator"));
  it->second.created_ms = c.now_ms;
  SendQueryPage(c, it->first, it->second, static_cast<size_t>(offset));
}

// ---------------------------------------------------------------- sObject Collections

void SalesforceEmulator::SendTooMany(Call& c) {
  c.Send(400, ErrorArray("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than " +
                                                  std::to_string(settings_.max_collection_size) + " records into this call"));
}

bool SalesforceEmulator::CollectionBody(Call& c, Json* body) {
  if (!ParseBody(c, body, true)) return false;
  auto it = body->is_object() ? body->find("records") : body->end();
  if (it == body->end() || !it->is_array() || it->empty()) {
    c.Send(400, ErrorArray("REQUIRED_FIELD_MISSING", "At least 1 record is required."));
    return false;
  }
  if (it->size() > static_cast<size_t>(settings_.max_collection_size)) {
    SendTooMany(c);
    return false;
  }
  return true;
}

const schema::Field* SalesforceEmulator::ExternalKey(Call& c, Object& obj, const std::string& name) {
  const schema::Field* key = obj.schema.FindFieldIgnoreCase(name);
  if (key && (key->external_id || key->id_lookup)) return key;
  c.Send(404, ErrorArray("NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + name));
  return nullptr;
}

std::vector<const Record*> SalesforceEmulator::MatchKey(const Object& obj, const schema::Field& key,
                                                        const std::string& value) {
  if (key.name == "Id") {
    auto it = LooksLikeSalesforceId(value) ? obj.by_id15.find(value.substr(0, 15)) : obj.by_id15.end();
    if (it == obj.by_id15.end() || obj.records[it->second].deleted) return {};
    return {&obj.records[it->second]};
  }
  return Lookup(obj, key.name, Json(value));
}

void SalesforceEmulator::SendMultipleChoices(Call& c, const Object& obj, const std::string& version,
                                             const std::vector<const Record*>& matches) {
  Json urls = Json::array();
  for (const Record* r : matches) urls.push_back("/services/data/" + version + "/sobjects/" + obj.schema.name + "/" + r->id);
  c.Send(300, urls);
}

void SalesforceEmulator::CollectionsWrite(Call& c, bool insert) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  Json body;
  if (!CollectionBody(c, &body)) return;
  const Json& records = body["records"];
  bool all_or_none = body.contains("allOrNone") && body["allOrNone"].is_boolean() && body["allOrNone"].get<bool>();
  std::vector<Object*> objs;
  for (const Json& rec : records) {
    if (!rec.is_object()) {  // e.g. [null]: Salesforce's bare-object deserialization error
      Json e;
      e["message"] = "Json Deserialization failed on token '" + DumpJson(rec) +
                     "' and has left off in the middle of parsing a row. Will go to end of row to begin parsing the "
                     "next row";
      e["errorCode"] = "INVALID_FIELD";
      return c.Send(400, e);
    }
    const Json* type = rec.is_object() && rec.contains("attributes") && rec["attributes"].is_object() &&
                               rec["attributes"].contains("type")
                           ? &rec["attributes"]["type"]
                           : nullptr;
    if (!type || !type->is_string())
      return c.Send(400, ErrorArray("INVALID_TYPE", "No SObject Type defined in attributes"));
    Object* o = FindObject(type->get<std::string>());
    if (!o) return c.Send(400, ErrorArray("INVALID_TYPE", "sObject type '" + type->get<std::string>() + "' is not supported."));
    objs.push_back(o);
  }
  Tx tx;
  Json results = Json::array();
  std::vector<bool> ok;
  for (size_t i = 0; i < records.size(); ++i) {
    const Json& rec = records[i];
    std::vector<Error> errors;
    std::optional<RequestError> request_error;
    std::string id;
    bool success;
    if (insert) {
      success = Insert(*objs[i], rec, tx, c, i, &id, &errors, &request_error);
    } else {
      for (const auto& [k, val] : rec.items()) {
        if (EqualsIgnoreCase(k, "id") && val.is_string()) id = val.get<std::string>();
      }
      if (id.empty()) {
        errors.push_back({"MISSING_ARGUMENT", "Id not specified in an update call", {}});
        success = false;
      } else {
        success = Update(*objs[i], id, rec, tx, c, i, &errors, &request_error);
      }
      if (!success && !LooksLikeSalesforceId(id)) id.clear();
    }
    if (request_error) {
      Rollback(tx);
      return c.Send(request_error->status, request_error->body);
    }
    ok.push_back(success);
    results.push_back(SaveResult(success || !insert ? &id : nullptr, success, errors));
  }
  AllOrNone(all_or_none, ok, tx, &results, !insert);
  c.Send(200, results);
}

void SalesforceEmulator::CollectionsUpsert(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  const schema::Field* key = ExternalKey(c, *obj, c.args[2]);
  if (!key) return;
  Json body;
  if (!CollectionBody(c, &body)) return;
  const Json& records = body["records"];
  for (const Json& rec : records) {
    if (!rec.is_object()) return c.Send(400, ErrorArray("INVALID_TYPE", "No SObject Type defined in attributes"));
    if (rec.contains("attributes") && rec["attributes"].is_object() && rec["attributes"].contains("type") &&
        !(rec["attributes"]["type"].is_string() && EqualsIgnoreCase(rec["attributes"]["type"].get<std::string>(), obj->schema.name)))
      return c.Send(400, ErrorArray("INVALID_TYPE", "Upsert requires records of one sObject type: " + obj->schema.name));
  }
  bool all_or_none = body.contains("allOrNone") && body["allOrNone"].is_boolean() && body["allOrNone"].get<bool>();
  // The key value of each record, and keys given twice in the request.
  std::vector<std::string> keys;
  std::map<std::string, int> seen;
  for (const Json& rec : records) {
    std::string k;
    for (const auto& [name, val] : rec.items()) {
      if (EqualsIgnoreCase(name, key->name) && !val.is_null()) k = TextOf(val);
    }
    keys.push_back(k);
    if (!k.empty()) ++seen[AsciiLower(k)];
  }
  Tx tx;
  Json results = Json::array();
  std::vector<bool> ok;
  for (size_t i = 0; i < records.size(); ++i) {
    std::vector<Error> errors;
    std::optional<RequestError> request_error;
    std::string id;
    bool created = false, success = false;
    if (keys[i].empty()) {
      errors.push_back({"MISSING_ARGUMENT", key->name + " not specified", {}});
    } else if (seen[AsciiLower(keys[i])] > 1) {
      errors.push_back({"DUPLICATE_EXTERNAL_ID", "Duplicate external id specified: " + keys[i], {key->name}});
    } else {
      std::vector<const Record*> matches = MatchKey(*obj, *key, keys[i]);
      if (matches.size() > 1) {
        std::vector<std::string> ids;
        for (const Record* r : matches) ids.push_back(r->id);
        errors.push_back({"DUPLICATE_EXTERNAL_ID",
                          key->label + ": more than one record found for external id field: [" + JoinComma(ids) + "]",
                          {key->name}});
      } else if (matches.size() == 1) {
        id = matches[0]->id;
        Json input = records[i];
        // The key field is the match, not a change (it may not even be updateable).
        for (auto it = input.begin(); it != input.end();) {
          it = EqualsIgnoreCase(it.key(), key->name) ? input.erase(it) : std::next(it);
        }
        success = Update(*obj, id, input, tx, c, i, &errors, &request_error);
      } else {
        created = true;
        success = Insert(*obj, records[i], tx, c, i, &id, &errors, &request_error);
      }
    }
    if (request_error) {
      Rollback(tx);
      return c.Send(request_error->status, request_error->body);
    }
    ok.push_back(success);
    Json r = SaveResult(success || !created ? &id : nullptr, success, errors);
    r["created"] = success && created;
    results.push_back(r);
  }
  AllOrNone(all_or_none, ok, tx, &results, false);
  c.Send(200, results);
}

void SalesforceEmulator::CollectionsDelete(Call& c) {
  std::string v;
  if (!CheckVersion(c, &v)) return;
  std::vector<std::string> ids;
  std::string list = c.Param("ids");
  size_t i = 0;
  while (!list.empty() && i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    if (j > i) ids.push_back(list.substr(i, j - i));
    i = j + 1;
  }
  if (ids.empty()) return c.Send(400, ErrorArray("REQUIRED_FIELD_MISSING", "At least 1 Id is required."));
  if (ids.size() > static_cast<size_t>(settings_.max_collection_size))
    return SendTooMany(c);
  bool all_or_none = c.Param("allOrNone") == "true";
  Tx tx;
  Json results = Json::array();
  std::vector<bool> ok;
  for (size_t k = 0; k < ids.size(); ++k) {
    std::vector<Error> errors;
    bool success = Delete(ids[k], tx, c, k, &errors);
    ok.push_back(success);
    results.push_back(SaveResult(&ids[k], success, errors));
  }
  AllOrNone(all_or_none, ok, tx, &results, true);
  c.Send(200, results);
}

void SalesforceEmulator::CollectionsRetrieve(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  std::vector<std::string> ids, fields;
  auto split = [](const std::string& s, std::vector<std::string>* out) {
    size_t i = 0;
    while (!s.empty() && i <= s.size()) {
      size_t j = s.find(',', i);
      if (j == std::string::npos) j = s.size();
      if (j > i) out->push_back(s.substr(i, j - i));
      i = j + 1;
    }
  };
  if (c.req.method == "POST") {
    Json body;
    if (!ParseBody(c, &body, false)) return;
    for (const char* k : {"ids", "fields"}) {
      if (body.is_object() && body.contains(k) && body[k].is_array()) {
        for (const Json& e : body[k]) {
          if (e.is_string()) (std::string(k) == "ids" ? ids : fields).push_back(e.get<std::string>());
        }
      }
    }
  } else {
    split(c.Param("ids"), &ids);
    split(c.Param("fields"), &fields);
  }
  if (ids.empty()) return c.Send(400, ErrorArray("REQUIRED_FIELD_MISSING", "At least 1 Id is required."));
  std::vector<soql::FieldRef> refs;
  for (const std::string& f : fields) {
    const schema::Field* field = obj->schema.FindFieldIgnoreCase(f);
    if (!field)
      return c.Send(400, ErrorArray("INVALID_FIELD", "No such column '" + f + "' on sobject of type " + obj->schema.name));
    refs.push_back({field->name, field, 1, 1});
  }
  Json out = Json::array();
  for (const std::string& id : ids) {
    Record* r = FindRecord(*obj, id);
    out.push_back(r && !r->deleted ? RecordJson(*obj, *r, v, fields.empty() ? nullptr : &refs) : Json());
  }
  c.Send(200, out);
}

// ---------------------------------------------------------------- single records

namespace {

Json ErrorsToArray(const std::vector<Error>& errors) {
  Json a = Json::array();
  for (const Error& e : errors) {
    Json j;
    j["message"] = e.message;
    j["errorCode"] = e.status_code;
    j["fields"] = e.fields;
    a.push_back(j);
  }
  return a;
}

}  // namespace

void SalesforceEmulator::CreateOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  Json body;
  if (!ObjectBody(c, &body)) return;
  Tx tx;
  std::vector<Error> errors;
  std::optional<RequestError> request_error;
  std::string id;
  if (!Insert(*obj, body, tx, c, 0, &id, &errors, &request_error)) {
    Rollback(tx);
    if (request_error) return c.Send(request_error->status, request_error->body);
    return c.Send(400, ErrorsToArray(errors));
  }
  c.Send(201, SaveResult(&id, true, {}));
}

void SalesforceEmulator::GetOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  const std::string& id = c.args[2];
  if (!LooksLikeSalesforceId(id))
    return c.Send(404, ErrorArray("NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + id));
  Record* r = FindRecord(*obj, id);
  if (!r) return WriteNotFound(c);
  if (r->deleted) return c.Send(404, ErrorArray("ENTITY_IS_DELETED", "entity is deleted"));
  std::vector<soql::FieldRef> refs;
  if (c.HasParam("fields")) {
    std::string list = c.Param("fields");
    size_t i = 0;
    while (i <= list.size()) {
      size_t j = list.find(',', i);
      if (j == std::string::npos) j = list.size();
      std::string name = list.substr(i, j - i);
      const schema::Field* f = obj->schema.FindFieldIgnoreCase(name);
      if (!f)
        return c.Send(400, ErrorArray("INVALID_FIELD", "No such column '" + name + "' on sobject of type " + obj->schema.name));
      refs.push_back({f->name, f, 1, 1});
      i = j + 1;
    }
  }
  c.Send(200, RecordJson(*obj, *r, v, refs.empty() ? nullptr : &refs));
}

void SalesforceEmulator::UpdateOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  const std::string& id = c.args[2];
  Record* r = FindRecord(*obj, id);
  if (!r) {
    if (!LooksLikeSalesforceId(id))
      return c.Send(404, ErrorArray("NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + id));
    return WriteNotFound(c);
  }
  if (r->deleted) return c.Send(404, ErrorArray("ENTITY_IS_DELETED", "entity is deleted"));
  Json body;
  if (!ObjectBody(c, &body)) return;
  Tx tx;
  std::vector<Error> errors;
  std::optional<RequestError> request_error;
  if (!Update(*obj, id, body, tx, c, 0, &errors, &request_error)) {
    Rollback(tx);
    if (request_error) return c.Send(request_error->status, request_error->body);
    return c.Send(400, ErrorsToArray(errors));
  }
  c.SendEmpty(204);
}

void SalesforceEmulator::DeleteOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  Record* r = FindRecord(*obj, c.args[2]);
  if (!r) return WriteNotFound(c);
  if (r->deleted) return c.Send(404, ErrorArray("ENTITY_IS_DELETED", "entity is deleted"));
  Tx tx;
  std::vector<Error> errors;
  if (!Delete(r->id, tx, c, 0, &errors)) {
    Rollback(tx);
    return c.Send(400, ErrorsToArray(errors));
  }
  c.SendEmpty(204);
}

void SalesforceEmulator::GetByExternalId(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  const schema::Field* key = ExternalKey(c, *obj, c.args[2]);
  if (!key) return;
  std::vector<const Record*> matches = MatchKey(*obj, *key, c.args[3]);
  if (matches.empty()) return WriteNotFound(c);
  if (matches.size() > 1) return SendMultipleChoices(c, *obj, v, matches);
  c.Send(200, RecordJson(*obj, *matches[0], v, nullptr));
}

void SalesforceEmulator::UpsertOne(Call& c) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  const schema::Field* key = ExternalKey(c, *obj, c.args[2]);
  if (!key) return;
  Json body;
  if (!ObjectBody(c, &body)) return;
  std::vector<const Record*> matches = MatchKey(*obj, *key, c.args[3]);
  if (matches.size() > 1) return SendMultipleChoices(c, *obj, v, matches);
  Tx tx;
  std::vector<Error> errors;
  std::optional<RequestError> request_error;
  std::string id;
  bool created = matches.empty();
  bool ok;
  if (created) {
    Json input = body;
    input[key->name] = c.args[3];
    ok = Insert(*obj, input, tx, c, 0, &id, &errors, &request_error);
  } else {
    id = matches[0]->id;
    ok = Update(*obj, id, body, tx, c, 0, &errors, &request_error);
  }
  if (!ok) {
    Rollback(tx);
    if (request_error) return c.Send(request_error->status, request_error->body);
    return c.Send(400, ErrorsToArray(errors));
  }
  Json r = SaveResult(&id, true, {});
  r["created"] = created;
  c.Send(created ? 201 : 200, r);
}

// ---------------------------------------------------------------- getUpdated / getDeleted

void SalesforceEmulator::Updated(Call& c, bool deleted) {
  std::string v;
  Object* obj = VersionedObject(c, &v);
  if (!obj) return;
  for (const char* p : {"start", "end"}) {
    if (!c.HasParam(p) || c.Param(p).empty())
      return c.Send(400, ErrorArray("MISSING_ARGUMENT", std::string("Missing required parameter: ") + p));
  }
  auto start = ParseDateTime(c.Param("start"), false), end = ParseDateTime(c.Param("end"), false);
  if (!start || !end)
    return c.Send(400, ErrorArray("INVALID_REPLICATION_DATE", "start and end must be ISO 8601 date-times"));
  // Seconds are ignored; the window ends no later than now.
  int64_t s = TruncateToMinute(*start), e = TruncateToMinute(std::min(*end, c.now_ms));
  int64_t window_days = deleted ? 15 : 30;
  if (s < c.now_ms - window_days * 86400000)
    return c.Send(400, ErrorArray("INVALID_REPLICATION_DATE",
                                  "start date cannot be more than " + std::to_string(window_days) + " days ago"));
  if (e < s) return c.Send(400, ErrorArray("INVALID_REPLICATION_DATE", "start date must chronologically precede end date"));
  Json j;
  if (!deleted) {
    Json ids = Json::array();
    for (const Record& r : obj->records) {
      if (!r.deleted && r.modstamp_ms >= s && r.modstamp_ms <= e) ids.push_back(r.id);
    }
    j["ids"] = ids;
    j["latestDateCovered"] = FormatSalesforceDateTime(e);
  } else {
    std::vector<const Record*> rows;
    for (const Record& r : obj->records) {
      if (r.deleted && r.deleted_ms >= s && r.deleted_ms <= e) rows.push_back(&r);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Record* a, const Record* b) { return a->deleted_ms < b->deleted_ms; });
    Json list = Json::array();
    for (const Record* r : rows) list.push_back({{"id", r->id}, {"deletedDate", FormatSalesforceDateTime(r->deleted_ms)}});
    j["deletedRecords"] = list;
    j["earliestDateAvailable"] = FormatSalesforceDateTime(TruncateToMinute(std::max<int64_t>(started_ms_, c.now_ms - int64_t{15} * 86400000)));
    j["latestDateCovered"] = FormatSalesforceDateTime(e);
  }
  c.Send(200, j);
}

// POST (or GET) /services/oauth2/revoke, token=<access or refresh token>: an
// issued access token stops working at once; the sandbox token and the
// configured refresh token are accepted but stay valid (every test and connector
// shares them); anything else is 400 unsupported_token_type.
void SalesforceEmulator::Revoke(Call& c) {
  std::string t = c.Param("token");
  if (t.empty())
    return c.Send(400, Json{{"error", "invalid_request"}, {"error_description", "token is required"}});
  if (sessions_.erase(t) > 0 || t == token_ || t == settings_.refresh_token) return c.SendEmpty(200);
  c.Send(400, Json{{"error", "unsupported_token_type"}, {"error_description", "this token type is not supported"}});
}

// ---------------------------------------------------------------- identity

// GET /id/{orgId}/{userId}: the identity service's user record (the token
// response's "id" URL). Bearer header or ?oauth_token=; only the sandbox's own
// org and user exist.
void SalesforceEmulator::Identity(Call& c) {
  std::string t = c.Param("oauth_token");
  bool ok = !t.empty() && (t == token_ || (sessions_.contains(t) && sessions_[t] > c.now_ms));
  if (!ok && !Authorize(c)) return;
  auto same = [](const std::string& a, const std::string& b) { return a.substr(0, 15) == b.substr(0, 15); };
  if (!same(c.args[0], org_id_) || !same(c.args[1], user_id_)) return WriteNotFound(c);
  const std::string b = base_url();
  Json urls;
  urls["enterprise"] = b + "/services/Soap/c/{version}/" + org_id_.substr(0, 15);
  urls["partner"] = b + "/services/Soap/u/{version}/" + org_id_.substr(0, 15);
  urls["rest"] = b + "/services/data/v{version}/";
  urls["sobjects"] = b + "/services/data/v{version}/sobjects/";
  urls["search"] = b + "/services/data/v{version}/search/";
  urls["query"] = b + "/services/data/v{version}/query/";
  urls["recent"] = b + "/services/data/v{version}/recent/";
  urls["profile"] = b + "/" + user_id_;
  urls["custom_domain"] = b;
  Json j;
  j["id"] = IdentityUrl();
  j["asserted_user"] = true;
  j["user_id"] = user_id_;
  j["organization_id"] = org_id_;
  j["username"] = "sandbox@accord.invalid";
  j["nick_name"] = "sandbox";
  j["display_name"] = "Accord Sandbox";
  j["email"] = "sandbox@accord.invalid";
  j["email_verified"] = true;
  j["first_name"] = "Accord";
  j["last_name"] = "Sandbox";
  j["timezone"] = "GMT";
  j["active"] = true;
  j["user_type"] = "STANDARD";
  j["language"] = "en_US";
  j["locale"] = "en_US";
  j["utcOffset"] = 0;
  j["last_modified_date"] = FormatSalesforceDateTime(started_ms_);
  j["is_app_installed"] = true;
  j["urls"] = urls;
  c.Send(200, j);
}

// ---------------------------------------------------------------- lead conversion

// POST /services/apexrest/accord/merge {"masterRecordId", "recordToMergeIds": [1 or 2 ids]}: a
// stand-in for the SOAP API's merge() (REST has none), as convertLead is for convertLead(). The
// master keeps its values and its stamps move; each merged record is deleted with MasterRecordId
// set to the master (what queryAll then shows).
void SalesforceEmulator::MergeRecords(Call& c) {
  Json body;
  if (!ParseBody(c, &body, false)) return;
  if (!body.is_object() || !body.contains("masterRecordId") || !body["masterRecordId"].is_string() ||
      !body.contains("recordToMergeIds") || !body["recordToMergeIds"].is_array() || body["recordToMergeIds"].empty() ||
      body["recordToMergeIds"].size() > 2)
    return c.Send(400, ErrorArray("INVALID_FIELD", "merge takes masterRecordId and 1 or 2 recordToMergeIds"));
  Tx tx;
  std::vector<Error> errors;
  Object* obj = nullptr;
  Record* master = WriteTarget(&obj, body["masterRecordId"].get<std::string>(), c, 0, &errors);
  if (!master) return c.Send(400, ErrorsToArray(errors));
  const size_t master_index = static_cast<size_t>(master - obj->records.data());
  const std::string master_id = master->id;
  Json merged = Json::array();
  for (const Json& j : body["recordToMergeIds"]) {
    Object* other = nullptr;
    Record* r = j.is_string() ? WriteTarget(&other, j.get<std::string>(), c, 0, &errors) : nullptr;
    if (r && (other != obj || r->id == master_id))
      errors.push_back({"INVALID_FIELD", "a merged record must be another record of the master's object", {}});
    if (!r || !errors.empty()) {
      Rollback(tx);
      if (errors.empty()) errors.push_back({"INVALID_ID_FIELD", "invalid id in recordToMergeIds", {}});
      return c.Send(400, ErrorsToArray(errors));
    }
    if (obj->schema.FindField("MasterRecordId")) r->fields["MasterRecordId"] = master_id;
    std::string id = r->id;
    if (!Delete(id, tx, c, 0, &errors)) {
      Rollback(tx);
      return c.Send(400, ErrorsToArray(errors));
    }
    merged.push_back(id);
  }
  Json fields = obj->records[master_index].fields;
  Commit(*obj, master_index, fields, false, tx, c.now_ms);
  c.Send(200, Json{{"id", master_id}, {"success", true}, {"mergedRecordIds", merged}, {"errors", Json::array()}});
}

void SalesforceEmulator::ConvertLead(Call& c) {
  Json body;
  if (!ParseBody(c, &body, false)) return;
  if (!body.is_object() || !body.contains("leadConverts") || !body["leadConverts"].is_array() ||
      body["leadConverts"].empty())
    return c.Send(400, ErrorArray("REQUIRED_FIELD_MISSING", "leadConverts: at least 1 LeadConvert is required."));
  const Json& converts = body["leadConverts"];
  if (converts.size() > 100)
    return c.Send(400, ErrorArray("EXCEEDED_ID_LIMIT", "cannot convert more than 100 leads in one call"));
  Object* lead_obj = FindObject("Lead");
  Object* account_obj = FindObject("Account");
  Object* contact_obj = FindObject("Contact");
  Object* opp_obj = FindObject("Opportunity");
  if (!lead_obj || !account_obj || !contact_obj)
    return c.Send(400, ErrorArray("INVALID_TYPE", "lead conversion needs the Lead, Account and Contact objects in the seed"));
  bool all_or_none = body.contains("allOrNone") && body["allOrNone"].is_boolean() && body["allOrNone"].get<bool>();
  Tx all;
  Json results = Json::array();
  std::vector<bool> ok;
  std::string today = FormatDate(c.now_ms);
  for (size_t i = 0; i < converts.size(); ++i) {
    const Json& lc = converts[i];
    Tx tx;
    std::vector<Error> errors;
    std::string account_id, contact_id, opp_id, lead_id;
    auto str = [&](const char* k) {
      return lc.is_object() && lc.contains(k) && lc[k].is_string() ? lc[k].get<std::string>() : std::string();
    };
    auto flag = [&](const char* k) { return lc.is_object() && lc.contains(k) && lc[k].is_boolean() && lc[k].get<bool>(); };
    lead_id = str("leadId");
    Record* lead = FindRecord(*lead_obj, lead_id);
    std::string status = str("convertedStatus");
    auto fail = [&](Error e) { errors.push_back(std::move(e)); };
    if (lead_id.empty()) {
      fail({"REQUIRED_FIELD_MISSING", "Required fields are missing: [leadId]", {"leadId"}});
    } else if (!lead) {
      fail({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"leadId"}});
    } else if (lead->deleted) {
      fail({"ENTITY_IS_DELETED", "entity is deleted", {}});
    } else if (lead->fields.value("IsConverted", false) == true) {
      fail({"CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", {}});
    } else if (std::find(settings_.converted_statuses.begin(), settings_.converted_statuses.end(), status) ==
               settings_.converted_statuses.end()) {
      fail({"INVALID_STATUS", "invalid convertedStatus: " + status, {"convertedStatus"}});
    } else if (c.PartialFault(i)) {
      fail(LockError());
    }
    std::optional<RequestError> request_error;
    auto copy = [&](Object& target, const auto& table, Json* out, const Record* existing, bool fill_only) {
      for (const FieldCopy& fc : table) {
        const schema::Field* tf = target.schema.FindField(fc.target);
        if (!tf || !lead_obj->schema.FindField(fc.lead)) continue;
        if (existing ? !tf->updateable : !tf->createable) continue;
        auto lv = lead->fields.find(fc.lead);
        if (lv == lead->fields.end() || lv->is_null()) continue;
        if (fill_only && existing) {
          auto cur = existing->fields.find(fc.target);
          bool overwrite = std::string(fc.lead) == "LeadSource" && flag("overwriteLeadSource");
          if (cur != existing->fields.end() && !cur->is_null() && !overwrite) continue;
        }
        (*out)[fc.target] = *lv;
      }
    };
    if (errors.empty()) {
      // 1. the account: existing (fill empty fields) or new
      account_id = str("accountId");
      if (!account_id.empty()) {
        Record* acc = FindRecord(*account_obj, account_id);
        if (!acc || acc->deleted) {
          fail({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"accountId"}});
        } else {
          Json changes = Json::object();
          copy(*account_obj, kLeadToAccount, &changes, acc, true);
          changes.erase("Name");
          account_id = acc->id;
          Update(*account_obj, account_id, changes, tx, c, SIZE_MAX, &errors, &request_error);
        }
      } else {
        Json input = Json::object();
        copy(*account_obj, kLeadToAccount, &input, nullptr, false);
        Insert(*account_obj, input, tx, c, SIZE_MAX, &account_id, &errors, &request_error);
      }
    }
    if (errors.empty() && !request_error) {
      // 2. the contact
      contact_id = str("contactId");
      if (!contact_id.empty()) {
        Record* con = FindRecord(*contact_obj, contact_id);
        if (!con || con->deleted) {
          fail({"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"contactId"}});
        } else {
          Json changes = Json::object();
          copy(*contact_obj, kLeadToContact, &changes, con, true);
          contact_id = con->id;
          Update(*contact_obj, contact_id, changes, tx, c, SIZE_MAX, &errors, &request_error);
        }
      } else {
        Json input = Json::object();
        copy(*contact_obj, kLeadToContact, &input, nullptr, false);
        if (contact_obj->schema.FindField("AccountId")) input["AccountId"] = account_id;
        Insert(*contact_obj, input, tx, c, SIZE_MAX, &contact_id, &errors, &request_error);
      }
    }
    if (errors.empty() && !request_error && !flag("doNotCreateOpportunity") && opp_obj) {
      // 3. the opportunity
      Json input = Json::object();
      copy(*opp_obj, kLeadToOpportunity, &input, nullptr, false);
      std::string name = str("opportunityName");
      if (name.empty()) name = lead->fields.value("Company", std::string("")) + "-";
      input["Name"] = name;
      if (const schema::Field* stage = opp_obj->schema.FindField("StageName")) {
        std::string first;
        for (const schema::PicklistValue& pv : stage->values) {
          if (pv.active && first.empty()) first = pv.value;
          if (pv.active && pv.is_default) first = pv.value;
        }
        input["StageName"] = first;
      }
      if (opp_obj->schema.FindField("CloseDate")) input["CloseDate"] = FormatDate(c.now_ms + 30 * 86400000LL);
      if (opp_obj->schema.FindField("AccountId")) input["AccountId"] = account_id;
      Insert(*opp_obj, input, tx, c, SIZE_MAX, &opp_id, &errors, &request_error);
    }
    if (errors.empty() && !request_error) {
      // 4. the lead: converted (system fields, written past writability checks)
      size_t at = static_cast<size_t>(lead - lead_obj->records.data());
      Json candidate = lead->fields;
      candidate["IsConverted"] = true;
      candidate["Status"] = status;
      if (lead_obj->schema.FindField("ConvertedDate")) candidate["ConvertedDate"] = today;
      if (lead_obj->schema.FindField("ConvertedAccountId")) candidate["ConvertedAccountId"] = account_id;
      if (lead_obj->schema.FindField("ConvertedContactId")) candidate["ConvertedContactId"] = contact_id;
      if (lead_obj->schema.FindField("ConvertedOpportunityId"))
        candidate["ConvertedOpportunityId"] = opp_id.empty() ? Json() : Json(opp_id);
      Commit(*lead_obj, at, candidate, false, tx, c.now_ms);
    }
    if (request_error) {
      errors.push_back({request_error->body[0].value("errorCode", "INVALID_FIELD"),
                        request_error->body[0].value("message", ""), {}});
    }
    bool success = errors.empty();
    if (!success) Rollback(tx);
    for (auto& u : tx.undo) all.undo.push_back(std::move(u));
    ok.push_back(success);
    Json r;
    r["leadId"] = lead_id.empty() ? Json() : Json(lead ? lead->id : lead_id);
    r["accountId"] = success ? Json(account_id) : Json();
    r["contactId"] = success ? Json(contact_id) : Json();
    r["opportunityId"] = success && !opp_id.empty() ? Json(opp_id) : Json();
    r["success"] = success;
    r["errors"] = SaveResult(nullptr, false, errors)["errors"];
    results.push_back(r);
  }
  AllOrNone(all_or_none, ok, all, &results, true);
  c.Send(200, results);
}

}  // namespace accord::sandbox
