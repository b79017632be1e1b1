#include "cli/push.h"

#include <algorithm>

namespace accord::cli {

namespace {

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

bool IsEcho(const connectors::WebhookEvent& e, const ir::CompiledRules& rules, store::StateStore& store) {
  if (e.kind != "creation" && !(e.kind == "propertyChange" && e.has_value)) return false;
  if (e.ids.size() != 1) return false;
  bool any = false;
  for (const ir::CompiledSync& cs : rules.syncs) {
    if (!cs.hubspot || !cs.salesforce || cs.hubspot->name != e.object) continue;
    std::optional<store::Link> link = store.FindByHubSpot(cs.name, e.ids[0]);
    if (!link) continue;  // another sync of the object (leads beside people): see the header
    if (link->state != store::LinkState::kActive) return false;
    any = true;
    if (e.kind == "creation") continue;
    // the shadows of the property (every rule that reads it as a plain field): all equal to the event's value
    const std::string suffix = "|" + e.property;
    bool shadowed = false;
    for (const store::Shadow& sh : store.Shadows(cs.name, link->salesforce_id)) {
      if (sh.field.size() < suffix.size() || sh.field.compare(sh.field.size() - suffix.size(), suffix.size(), suffix))
        continue;
      const std::string base = sh.base_hs.value_or("");  // HubSpot clears a property with ""
      if (base != e.value) return false;
      shadowed = true;
    }
    if (!shadowed) return false;  // a property no rule syncs as a field may still matter (scope, keys, rules)
  }
  return any;
}

PushPlan PlanPush(const std::vector<connectors::WebhookEvent>& events,
                  const std::vector<connectors::ChangeEvent>& changes, const ir::CompiledRules& rules,
                  store::StateStore& store) {
  PushPlan plan;
  // one HubSpot record that changed: read it (and its twin in every sync of its object)
  auto named = [&](const std::string& object, const std::string& id, bool whole) {
    if (object.empty() || id.empty()) return;
    if (plan.changed.hubspot[object].insert(id).second) ++plan.records;
    if (whole)
      AddUnique(plan.hubspot.whole, object);
    else
      AddUnique(plan.hubspot.ids[object], id);
    for (const ir::CompiledSync& cs : rules.syncs) {
      if (!cs.hubspot || !cs.salesforce || cs.hubspot->name != object) continue;
      const std::string& sf_object = cs.salesforce->name;
      if (std::optional<store::Link> link = store.FindByHubSpot(cs.name, id)) {
        plan.changed.salesforce[sf_object].insert(link->salesforce_id);
        AddUnique(plan.salesforce.ids[sf_object], link->salesforce_id);
      } else {
        AddUnique(plan.salesforce.whole, sf_object);  // not linked: match against fresh records
      }
    }
  };
  for (const connectors::WebhookEvent& e : events) {
    if (IsEcho(e, rules, store)) {
      ++plan.echoes;
      continue;
    }
    // a deletion or a merge is read from the archived listing as well: the usual read
    const bool whole = e.kind == "deletion" || e.kind == "merge" || e.kind == "restore" || e.kind == "privacyDeletion";
    for (const std::string& id : e.ids) named(e.object, id, whole);
    if (e.kind == "associationChange") named(e.to_object, e.to_id, false);
  }
  // one Salesforce record that changed: read it (and its twin in every sync of its object)
  auto named_sf = [&](const std::string& object, const std::string& id) {
    if (object.empty() || id.empty()) return;
    if (plan.changed.salesforce[object].insert(id).second) ++plan.records;
    AddUnique(plan.salesforce.ids[object], id);
    for (const ir::CompiledSync& cs : rules.syncs) {
      if (!cs.hubspot || !cs.salesforce || cs.salesforce->name != object) continue;
      const std::string& hs_object = cs.hubspot->name;
      if (std::optional<store::Link> link = store.FindBySalesforce(cs.name, id)) {
        plan.changed.hubspot[hs_object].insert(link->hubspot_id);
        AddUnique(plan.hubspot.ids[hs_object], link->hubspot_id);
      } else {
        AddUnique(plan.hubspot.whole, hs_object);
      }
    }
  };
  for (const connectors::ChangeEvent& e : changes) {
    if (e.change_type == "GAP_OVERFLOW") AddUnique(plan.salesforce.whole, e.object);
    for (const std::string& id : e.ids) named_sf(e.object, id);  // deletes too: queryAll reads them by id
  }
  // an object read whole needs no read by id
  for (auto* scope : {&plan.salesforce, &plan.hubspot})
    for (const std::string& object : scope->whole) scope->ids.erase(object);
  return plan;
}

}  // namespace accord::cli
