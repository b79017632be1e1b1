// HubSpot's batch endpoints (/crm/v3/objects/{type}/batch/read, create, update, upsert,
// archive): up to batch_max inputs, per-input errors in a 207 multi-status envelope.
#include <algorithm>

#include "sandbox/hubspot_internal.h"

namespace accord::sandbox {

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
                     hist.empty()
                         ? "The maximum number of inputs supported in a batch request is " + std::to_string(max)
                         : "The maximum number of inputs supported in a batch request for property histories "
                           "is " +
                               std::to_string(max) + ". Please reduce the number of items and try again");
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
    errors.push_back(BatchError(
        "OBJECT_NOT_FOUND",
        "Could not get some " + upper + " objects, they may be deleted or not exist. Check that ids are valid.",
        {{"ids", missing}}));
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
    if (!ParseAssociationInputs(
            c, *obj, inputs[i].is_object() && inputs[i].contains("associations") ? inputs[i]["associations"] : Json(),
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
      failed.push_back(BatchError("INTERNAL_ERROR", "The input could not be processed; retry it",
                                  {{"inputIndex", {std::to_string(i)}}}));
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
    if (recs[i] && UniqueConflict(*obj, values[i], recs[i]->id, &message))
      return SendError(c, 409, "CONFLICT", message);
  }
  Json results = Json::array(), failed = Json::array();
  if (!missing.empty()) {
    failed.push_back(BatchError(
        "OBJECT_NOT_FOUND", "Could not find some objects, they may be deleted or not exist. Check that ids are valid.",
        {{"ids", missing}}));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!recs[i]) continue;
    if (c.PartialFault(i)) {
      failed.push_back(
          BatchError("INTERNAL_ERROR", "The input could not be processed; retry it", {{"ids", {recs[i]->id}}}));
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
      return SendError(c, 400, "VALIDATION_ERROR",
                       "Unable to perform update/upsert by non-unique " + obj->type_id + " property");
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

}  // namespace accord::sandbox
