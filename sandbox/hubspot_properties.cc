// HubSpot's properties API (/crm/v3/properties/{type}): every property definition of an
// object type as the seed gives it, one by name, and batch/read.
#include "sandbox/hubspot_internal.h"

namespace accord::sandbox {

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
  bool archived =
      body.is_object() && body.contains("archived") && body["archived"].is_boolean() && body["archived"].get<bool>();
  Json results = Json::array(), errors = Json::array(), missing = Json::array();
  for (const Json& in : inputs) {
    std::string name =
        in.is_object() && in.contains("name") && in["name"].is_string() ? in["name"].get<std::string>() : "";
    const Json* found = nullptr;
    if (!archived && obj->properties.contains("results") && obj->properties["results"].is_array()) {
      for (const Json& p : obj->properties["results"]) {
        if (p.is_object() && p.value("name", "") == name) found = &p;
      }
    }
    if (found)
      results.push_back(*found);
    else
      missing.push_back(name);
  }
  if (!missing.empty())
    errors.push_back(BatchError("OBJECT_NOT_FOUND", "Unable to find some properties on object type " + obj->type_id,
                                {{"properties", missing}}));
  c.Send(errors.empty() ? 200 : 207, BatchEnvelope(c.now_ms, c.now_ms, results, errors));
}

}  // namespace accord::sandbox
