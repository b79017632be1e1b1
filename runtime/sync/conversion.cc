// Lead conversion: a converted Lead's link and shadows move to its Contact.

#include <algorithm>

#include "runtime/sync/engine_impl.h"

namespace accord::sync {

// Lead conversion: a linked Lead now converted moves its link and shadows
// to the Contact it became; the HubSpot record stays the same one.
void Engine::Impl::Conversions() {
  for (SyncPlan& p : plans) {
    if (p.converts_to.empty()) continue;
    SyncPlan* target = nullptr;
    for (SyncPlan& q : plans)
      if (q.name == p.converts_to) target = &q;
    if (!target) continue;
    Table* leads = Load(Side::kSalesforce, p.cs->salesforce);
    const schema::Field* conv = p.cs->salesforce->FindField("IsConverted");
    const schema::Field* cid = p.cs->salesforce->FindField("ConvertedContactId");
    if (!conv || !cid) continue;
    size_t conv_slot = static_cast<size_t>(conv - p.cs->salesforce->fields.data());
    size_t cid_slot = static_cast<size_t>(cid - p.cs->salesforce->fields.data());
    auto& own = links[p.name];
    for (size_t li = 0; li < own.size(); ++li) {
      store::Link link = own[li];
      Record* lead = leads->Find(link.salesforce_id);
      if (!lead || lead->values[conv_slot] != std::optional<std::string>("true") || IsBlank(lead->values[cid_slot]))
        continue;
      std::string contact = *lead->values[cid_slot];
      if (TakenBy(0, target->cs->salesforce->name, contact)) {
        Error(p.name, Category::kDuplicates, "", link.salesforce_id, link.hubspot_id,
              "lead converted to Contact " + contact + ", which is already synced with another HubSpot record", true,
              System::kHubSpot, p.cs->hubspot->name);
        continue;
      }
      // shadows translate through the HubSpot field both syncs share
      auto old = store.Shadows(p.name, link.salesforce_id);
      std::map<std::string, store::Shadow> by_hs;
      for (const RulePair& rp : p.pairs) {
        if (rp.slot[1] < 0) continue;
        for (const auto& sh : old)
          if (sh.field == rp.key) by_hs[p.cs->hubspot->fields[rp.slot[1]].name] = sh;
      }
      std::vector<store::Shadow> moved;
      for (const RulePair& rp : target->pairs) {
        if (rp.slot[1] < 0) continue;
        auto it = by_hs.find(target->cs->hubspot->fields[rp.slot[1]].name);
        if (it == by_hs.end()) continue;
        moved.push_back(store::Shadow{rp.key, it->second.base_sf, it->second.base_hs});
      }
      Check(store.MoveLink(p.name, link.salesforce_id, target->name, contact));
      // the lead's pair is over in this sync: nothing waits on its entries any more
      if (HasError(p, link)) Check(store.ClearErrors(p.name, link.salesforce_id, link.hubspot_id));
      Check(store.PutShadows(target->name, contact, moved));
      taken[0].erase(Key(p.cs->salesforce->name, link.salesforce_id));
      Take(0, target->cs->salesforce->name, contact, target->name);
      Take(1, p.cs->hubspot->name, link.hubspot_id, target->name);
      links[target->name].push_back(store::Link{target->name, contact, link.hubspot_id, store::LinkState::kActive});
      own.erase(own.begin() + static_cast<long>(li));
      --li;
      Event e;
      e.kind = Event::Kind::kConvert;
      e.sync = p.name;
      e.target = System::kSalesforce;
      e.object = target->cs->salesforce->name;
      e.salesforce_id = contact;
      e.hubspot_id = link.hubspot_id;
      e.message = "lead " + link.salesforce_id + " converted: its link moves to Contact " + contact + " (sync " +
                  target->name + ")";
      Emit(e);
    }
  }
}

}  // namespace accord::sync
