// The webhook events the HubSpot emulator's writes make (sandbox/webhooks.h delivers them).
// Shapes: ../../shared/reference/crm-apis.md B.7 (a captured real payload: eventId,
// subscriptionId, portalId, appId, occurredAt, subscriptionType, attemptNumber, objectId,
// changeFlag, changeSource, sourceId; propertyName/propertyValue; merge and association fields).
#include "sandbox/hubspot_internal.h"

namespace accord::sandbox {

namespace {

// contact, company, deal, ...; custom objects use the generic "object" subscriptions.
std::string Singular(const std::string& type) {
  const TypeInfo* t = TypeOf(type);
  return t ? t->singular : "object";
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Json IdJson(const std::string& id) {
  char* end = nullptr;
  long long n = std::strtoll(id.c_str(), &end, 10);
  return !id.empty() && end && *end == '\0' ? Json(n) : Json(id);
}

}  // namespace

Status HubSpotEmulator::ConfigureWebhooks(const Json& j) {
  WebhookSettings s = webhooks_->settings();
  if (Status st = WebhookSettings::FromJson(j, &s); !st) return st;
  webhooks_->Configure(s);
  return Status::Ok();
}

void HubSpotEmulator::Emit(const Object& obj, const std::string& kind, const std::string& id, int64_t now, Json extra) {
  if (!webhooks_) return;
  Json e;
  e["portalId"] = settings_.portal_id;
  e["occurredAt"] = now;
  std::string singular = Singular(obj.schema.name);
  e["subscriptionType"] = singular + "." + kind;
  if (singular == "object") e["objectTypeId"] = obj.type_id;
  e["objectId"] = IdJson(id);
  if (kind == "creation") e["changeFlag"] = "CREATED";
  if (kind == "deletion") e["changeFlag"] = "DELETED";
  if (kind == "merge") e["changeFlag"] = "MERGED";
  e["changeSource"] = "API";
  e["sourceId"] = "sandbox";
  if (extra.is_object())
    for (const auto& [k, v] : extra.items()) e[k] = v;
  webhooks_->Add(std::move(e));
}

void HubSpotEmulator::EmitAssociation(const std::string& from_type, const std::string& from_id,
                                      const std::string& to_type, const std::string& to_id, bool removed) {
  Object* from = FindObject(from_type);
  if (!from || !webhooks_) return;
  Json extra;
  extra["associationType"] = Upper(Singular(from_type)) + "_TO_" + Upper(Singular(to_type));
  extra["fromObjectId"] = IdJson(from_id);
  extra["toObjectId"] = IdJson(to_id);
  extra["associationRemoved"] = removed;
  extra["isPrimaryAssociation"] = false;
  Emit(*from, "associationChange", from_id, Now(), std::move(extra));
}

}  // namespace accord::sandbox
