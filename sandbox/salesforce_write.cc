// The Salesforce emulator's write path, shared by every endpoint that writes: coercion of
// input values to field types, writability, required fields, validation and duplicate rules,
// unique fields, the commit (stamps, field updates, field history), cascade deletes, and the
// transaction that allOrNone and failed requests roll back.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

namespace {

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

}  // namespace

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
    } else if (in.is_string() &&
               (EqualsIgnoreCase(in.get<std::string>(), "true") || EqualsIgnoreCase(in.get<std::string>(), "false"))) {
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
    *err = {"STRING_TOO_LONG",
            f.label + ": data value too large: " + s + " (max length=" + std::to_string(f.length) + ")",
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
        *err = {"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f.label + ": bad value for restricted picklist field: " + p,
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
        bool allowed =
            std::find(f->reference_to.begin(), f->reference_to.end(), target->schema.name) != f->reference_to.end();
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
  // the values before an update, for the field history and the change event
  Json before = !insert ? obj.records[index].fields : Json();
  if (!insert) {
    tx.undo.push_back({&obj, index, obj.records[index]});
    Unindex(obj, index);
    obj.records[index].fields = std::move(fields);
    obj.records[index].modstamp_ms = now_s;
  }
  RunFieldUpdates(obj, index, now_s);
  if (!insert && obj.history && !obj.tracked.empty()) WriteHistory(obj, index, before, tx, now_s);
  Index(obj, index);
  AddChangeEvent(obj, obj.records[index], before, insert ? "CREATE" : "UPDATE", tx, now);
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
  rels.push_back({{"cascadeDelete", true},
                  {"childSObject", name},
                  {"deprecatedAndHidden", false},
                  {"field", parent_field},
                  {"junctionIdListNames", Json::array()},
                  {"junctionReferenceTo", Json::array()},
                  {"relationshipName", "Histories"},
                  {"restrictedDelete", false}});
}

SalesforceEmulator::Object* SalesforceEmulator::AddHistory(Object& parent, const std::string& name,
                                                           const std::string& parent_field) {
  auto field = [](const std::string& n, const char* type, Json extra) {
    Json f{{"name", n},           {"label", n},          {"type", type},       {"nillable", true},
           {"createable", false}, {"updateable", false}, {"filterable", true}, {"length", 0}};
    for (const auto& [k, v] : extra.items()) f[k] = v;
    return f;
  };
  Json fields = Json::array(
      {field("Id", "id", {{"nillable", false}, {"length", 18}}),
       field(parent_field, "reference", {{"referenceTo", {parent.schema.name}}, {"length", 18}}),
       field("Field", "picklist", {{"length", 255}}), field("DataType", "picklist", {{"length", 40}}),
       field("OldValue", "anyType", Json::object()), field("NewValue", "anyType", Json::object()),
       field("CreatedById", "reference", {{"referenceTo", {"User"}}, {"length", 18}}),
       field("CreatedDate", "datetime", Json::object()), field("IsDeleted", "boolean", {{"nillable", false}})});
  Json describe{{"name", name},        {"label", parent.schema.label + " History"},
                {"keyPrefix", "017"},  {"createable", false},
                {"updateable", false}, {"deletable", false},
                {"queryable", true},   {"custom", false},
                {"fields", fields},    {"childRelationships", Json::array()}};
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
    row.fields = {{"Id", row.id},
                  {obj.history_parent, obj.records[index].id},
                  {"Field", name},
                  {"DataType", "Text"},
                  {"OldValue", old_value},
                  {"NewValue", new_value},
                  {"CreatedById", user_id_},
                  {"CreatedDate", FormatSalesforceDateTime(now)},
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

void SalesforceEmulator::AllOrNone(bool all_or_none, const std::vector<bool>& ok, Tx& tx, Json* results, bool keep_id) {
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
  // the request's change events go with its writes (requests run one at a time)
  if (tx.cdc_mark != SIZE_MAX) {
    while (cdc_log_.size() > tx.cdc_mark) cdc_log_.pop_back(), --cdc_next_replay_;
    tx.cdc_mark = SIZE_MAX;
  }
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
    AddChangeEvent(*o, r, Json(), "DELETE", tx, c.now_ms);
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

}  // namespace accord::sandbox
