// HubSpot records one at a time (/crm/v3/objects/{type}[/{id}]: list, read, create, update,
// archive, merge) and the write path and response shape every object endpoint shares:
// property validation, unique values, create and apply (with history and the modified
// dates), and a record as JSON with its properties, history and associations.
#include <algorithm>
#include <cstdlib>

#include "sandbox/hubspot_internal.h"

namespace accord::sandbox {

namespace {

bool ValidEmail(const std::string& s) {
  size_t at = s.find('@');
  if (at == std::string::npos || at == 0 || s.find('@', at + 1) != std::string::npos) return false;
  size_t dot = s.rfind('.');
  if (dot == std::string::npos || dot < at + 2 || dot + 2 > s.size()) return false;
  return s.find(' ') == std::string::npos;
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

}  // namespace

namespace hubspot_internal {

std::vector<std::string> WrittenProps(const std::string& type, const std::map<std::string, std::string>& values) {
  std::vector<std::string> out = DefaultProps(type);
  for (const auto& [k, v] : values) out.push_back(k);
  return out;
}

}  // namespace hubspot_internal

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

std::optional<std::string> HubSpotEmulator::UniqueConflict(Object& obj,
                                                           const std::map<std::string, std::string>& values,
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
  Emit(obj, "creation", rec.id, now);
  return rec;
}

void HubSpotEmulator::Apply(Object& obj, Record& r, const std::map<std::string, std::string>& values, int64_t now) {
  // updatedAt moves strictly forward, so two writes in one millisecond stay ordered.
  int64_t t = std::max(now, r.updated_ms + 1);
  const bool creating = r.updated_ms == 0;  // Create's first Apply: its event is the creation
  IndexUnique(obj, r, false);
  for (const auto& [k, v] : values) {
    auto it = r.props.find(k);
    std::string old = it == r.props.end() ? "" : it->second;
    if (v.empty()) {
      r.props.erase(k);
    } else {
      r.props[k] = v;
    }
    if (old != v) {
      r.history[k].push_back({v, t});
      if (!creating) Emit(obj, "propertyChange", r.id, t, Json{{"propertyName", k}, {"propertyValue", v}});
    }
  }
  r.updated_ms = t;
  r.props[obj.modified_prop] = FormatIsoMs(t);
  r.history[obj.modified_prop].push_back({r.props[obj.modified_prop], t});
  IndexUnique(obj, r, true);
  Touch(obj, r);
}

bool HubSpotEmulator::ParseBody(Call& c, Json* out) {
  Status parsed = ParseJson(c.Body(), out);
  if (parsed && out->is_object()) return true;
  SendError(c, 400, "VALIDATION_ERROR",
            "Invalid input JSON on line 1: " +
                (parsed.message.empty() ? std::string("the body must be a JSON object") : parsed.message));
  return false;
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
          list.push_back({{"value", e->value},
                          {"timestamp", FormatIsoMs(e->ms)},
                          {"sourceType", "INTEGRATION"},
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
    j["paging"] = {
        {"next", {{"after", next}, {"link", base_url() + "/crm/v3/objects/" + obj->schema.name + "?after=" + next}}}};
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
    return v.is_string()           ? v.get<std::string>()
           : v.is_number_integer() ? std::to_string(v.get<int64_t>())
                                   : std::string();
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
  Archive(*obj, *m, c.now_ms, false);  // first: the merged record's unique values are free for the primary
  Apply(*obj, *p, values, c.now_ms);
  Emit(*obj, "merge", p->id, c.now_ms,
       Json{{"primaryObjectId", Json(std::strtoll(p->id.c_str(), nullptr, 10))},
            {"mergedObjectIds", Json::array({Json(std::strtoll(merged.c_str(), nullptr, 10))})},
            {"newObjectId", Json(std::strtoll(p->id.c_str(), nullptr, 10))},
            {"numberOfPropertiesMoved", static_cast<int64_t>(values.size()) - 1}});
  c.Send(200, ObjectJson(*obj, *p, nullptr, nullptr, nullptr));
}

}  // namespace accord::sandbox
