// HubSpot associations: the store both directions share (Associate, AssociationsOf, the
// type list of a pair), inline associations on create, and the v4 endpoints
// (/crm/v4/objects/.../associations, /crm/v4/associations/{from}/{to}/batch/..., labels).
#include <algorithm>

#include "sandbox/hubspot_internal.h"

namespace accord::sandbox {

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

// ---------------------------------------------------------------- associations

bool HubSpotEmulator::Associate(const std::string& from_type, const std::string& from_id, const std::string& to_type,
                                const std::string& to_id, int type_id) {
  const AssocType* at = FindAssocType(from_type, to_type, type_id);
  int inverse = at ? at->inverse : type_id;  // user-defined labels: the same id both ways
  if (!at && type_id < 1000) return false;   // HUBSPOT_DEFINED ids must be known
  bool added = assoc_[{from_type, from_id}][{to_type, to_id}].insert(type_id).second;
  assoc_[{to_type, to_id}][{from_type, from_id}].insert(inverse);
  if (added) EmitAssociation(from_type, from_id, to_type, to_id, false);
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

// ---------------------------------------------------------------- associations v4

void HubSpotEmulator::AssocPut(Call& c, bool labelled) {
  Object* from = TypeArg(c, 0);
  if (!from) return;
  Object* to = FindObject(c.args[2]);
  if (!to) return SendError(c, 400, "VALIDATION_ERROR", "Unable to infer object type from: " + c.args[2]);
  const std::string& from_id = c.args[1];
  const std::string& to_id = c.args[3];
  if (!FindRecord(*from, from_id) || !FindRecord(*to, to_id))
    return SendError(c, 404, "OBJECT_NOT_FOUND",
                     "One or both objects do not exist: " + from->schema.name + " " + from_id + ", " + to->schema.name +
                         " " + to_id);
  if (!labelled) {
    const AssocType* at = DefaultAssocType(from->schema.name, to->schema.name);
    if (!at)
      return SendError(c, 400, "VALIDATION_ERROR",
                       "No default association type between " + from->schema.name + " and " + to->schema.name);
    Associate(from->schema.name, from_id, to->schema.name, to_id, at->id);
    Json results = Json::array();
    results.push_back(
        {{"from", {{"id", from_id}}},
         {"to", {{"id", to_id}}},
         {"associationSpec", {{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", at->id}}}});
    results.push_back(
        {{"from", {{"id", to_id}}},
         {"to", {{"id", from_id}}},
         {"associationSpec", {{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", at->inverse}}}});
    return c.Send(200, BatchEnvelope(c.now_ms, c.now_ms, results, Json::array()));
  }
  Json body;
  if (!ParseJson(c.Body(), &body) || !body.is_array() || body.empty())
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
      return SendError(
          c, 400, "VALIDATION_ERROR",
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
    results.push_back(
        {{"category", "HUBSPOT_DEFINED"}, {"typeId", a->id}, {"label", a->label ? Json(a->label) : Json()}});
  c.Send(200, Json{{"results", results}});
}

void HubSpotEmulator::AssocDelete(Call& c) {
  Object* from = TypeArg(c, 0);
  if (!from) return;
  Object* to = FindObject(c.args[2]);
  if (!to) return SendError(c, 400, "VALIDATION_ERROR", "Unable to infer object type from: " + c.args[2]);
  if (assoc_[{from->schema.name, c.args[1]}].erase({to->schema.name, c.args[3]}))
    EmitAssociation(from->schema.name, c.args[1], to->schema.name, c.args[3], true);
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
  if (c.HasParam("after"))
    start = static_cast<size_t>(std::max(0LL, std::strtoll(c.Param("after").c_str(), nullptr, 10)));
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
    return SendError(c, 400, "VALIDATION_ERROR",
                     "The maximum number of inputs supported in a batch request is " + std::to_string(max));
  auto id_of = [](const Json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_object() && j[key].contains("id") ? ValueText(j[key]["id"])
                                                                                           : "";
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
        tos.push_back({{"toObjectId", std::strtoll(to_id.c_str(), nullptr, 10)},
                       {"associationTypes", AssociationTypes(ids, fs, ts)}});
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
          if (assoc_[{fs, id}].erase({ts, to_id})) EmitAssociation(fs, id, ts, to_id, true);
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
          int id =
              spec.is_object() && spec.contains("associationTypeId") && spec["associationTypeId"].is_number_integer()
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
      fail("OBJECT_NOT_FOUND", "One or both objects do not exist: " + fs + " " + from_id + ", " + ts + " " + to_id,
           from_id);
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
      results.push_back(
          {{"from", {{"id", from_id}}},
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
        fail("VALIDATION_ERROR", "association type id " + std::to_string(id) + " is not valid from " + fs + " to " + ts,
             from_id);
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
