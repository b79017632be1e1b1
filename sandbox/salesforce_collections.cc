// sObject Collections (/services/data/vNN.N/composite/sobjects): create, update, upsert by
// external id, delete and retrieve up to max_collection_size records per request, with
// allOrNone.
#include <httplib.h>

#include "sandbox/salesforce_internal.h"

namespace accord::sandbox {

// ---------------------------------------------------------------- sObject Collections

void SalesforceEmulator::SendTooMany(Call& c) {
  c.Send(400, ErrorArray("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than " +
                                                  std::to_string(settings_.max_collection_size) +
                                                  " records into this call"));
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
  for (const Record* r : matches)
    urls.push_back("/services/data/" + version + "/sobjects/" + obj.schema.name + "/" + r->id);
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
    if (!o)
      return c.Send(400,
                    ErrorArray("INVALID_TYPE", "sObject type '" + type->get<std::string>() + "' is not supported."));
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
        !(rec["attributes"]["type"].is_string() &&
          EqualsIgnoreCase(rec["attributes"]["type"].get<std::string>(), obj->schema.name)))
      return c.Send(400,
                    ErrorArray("INVALID_TYPE", "Upsert requires records of one sObject type: " + obj->schema.name));
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
  if (ids.size() > static_cast<size_t>(settings_.max_collection_size)) return SendTooMany(c);
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
      return c.Send(400,
                    ErrorArray("INVALID_FIELD", "No such column '" + f + "' on sobject of type " + obj->schema.name));
    refs.push_back({field->name, field, 1, 1});
  }
  Json out = Json::array();
  for (const std::string& id : ids) {
    Record* r = FindRecord(*obj, id);
    out.push_back(r && !r->deleted ? RecordJson(*obj, *r, v, fields.empty() ? nullptr : &refs) : Json());
  }
  c.Send(200, out);
}

}  // namespace accord::sandbox
