// The Salesforce emulator's settings (sandbox.json's "salesforce" object and POST
// /__sandbox/config): limits, sessions, faults, and the org's rules — validation rules,
// duplicate rules, field updates ("triggers") and field history — compiled and checked
// before any is installed.
#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

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
    if (!*out)
      return Status::Error("salesforce." + kind + ": no object " + r["object"].get<std::string>() + " in the seed");
    return Status::Ok();
  };
  auto rule_name = [](const Json& r) {
    return r.contains("name") && r["name"].is_string() ? r["name"].get<std::string>() : "";
  };
  auto condition = [&](const Json& r, Object* obj, const std::string& kind, std::string* text,
                       std::unique_ptr<soql::Cond>* out) -> Status {
    if (!r.contains("condition") || !r["condition"].is_string())
      return Status::Error("salesforce." + kind + " " + rule_name(r) +
                           ": needs a \"condition\" (a SOQL WHERE expression)");
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
    } else if (key == "cdc_retention_ms") {
      r = integer(key, 1, int64_t{1} << 40, &s.cdc_retention_ms);
    } else if (key == "cdc_hold") {
      if (!v.is_boolean()) return Status::Error("salesforce.cdc_hold must be true or false");
      s.cdc_hold = v.get<bool>();
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
      if (!v.is_string() || v.get<std::string>().empty())
        return Status::Error("salesforce.refresh_token must be a non-empty string");
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
          if (!f)
            return Status::Error("salesforce.validation_rules " + vr.name + ": no field " + DumpJson(rule["field"]));
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
        if (!names.is_array())
          return Status::Error("salesforce.field_history." + oname + " must be an array of field names");
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
                           "duplicate_rules, field_updates, field_history, cdc_retention_ms, cdc_hold, faults)");
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
  j["cdc_retention_ms"] = settings_.cdc_retention_ms;
  j["cdc_hold"] = settings_.cdc_hold;
  Json vr = Json::array(), dr = Json::array(), fu = Json::array();
  for (const auto& o : objects_) {
    for (const auto& r : o->validation_rules)
      vr.push_back({{"object", o->schema.name},
                    {"name", r.name},
                    {"condition", r.condition_text},
                    {"message", r.message},
                    {"field", r.field}});
    for (const auto& r : o->duplicate_rules)
      dr.push_back({{"object", o->schema.name}, {"name", r.name}, {"fields", r.fields}});
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

}  // namespace accord::sandbox
