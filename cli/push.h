// Push for `accord run --watch --listen/--cdc`: HubSpot webhook events and Salesforce
// change events -> one targeted pass (docs/sync.md "Push"). The events name records; the pass reads just those
// (by id, in batches) and their linked twins on the other side, and the engine
// reconciles only them (sync::PassOptions::only). Deletions and merges read the
// object the usual way (the archived listing says which record went where);
// a record with no link yet reads the other side's object the usual way, so that
// matching sees the records that could be its twin.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/rules.h"
#include "runtime/connectors/connector.h"
#include "runtime/connectors/salesforce_cdc.h"
#include "runtime/connectors/webhooks.h"
#include "runtime/store/state_store.h"
#include "runtime/sync/engine.h"

namespace accord::cli {

struct PushPlan {
  connectors::ReadScope salesforce, hubspot;
  sync::ChangedRecords changed;
  size_t records = 0;  // records the events named
  size_t echoes = 0;   // HubSpot events that need no pass (echoes of accord's own writes)
};

// A HubSpot webhook event that needs no pass: the record is linked (and in scope) in a sync
// of its object, in none out of scope, and the event is its creation (the pass that linked it
// read it since), or a propertyChange to the value the shadows of that property already hold
// in every sync where it is linked — by docs/sync.md no change of that field, most often the
// echo of accord's own write. A sync of the object where the record is not linked (leads
// beside people) does not keep the event: the pass that set the shadow ran every sync over
// the record and converged ("One pass converges"), a record of the other side that appears
// later has its own event, and the next reconciliation read reads everything. A later change
// of the record has its own event, or that read sees it.
bool IsEcho(const connectors::WebhookEvent& e, const ir::CompiledRules& rules, store::StateStore& store);

// HubSpot webhook events and Salesforce change events -> one targeted pass's scope. A
// Salesforce GAP_OVERFLOW reads the object the usual way.
PushPlan PlanPush(const std::vector<connectors::WebhookEvent>& events,
                  const std::vector<connectors::ChangeEvent>& changes, const ir::CompiledRules& rules,
                  store::StateStore& store);

}  // namespace accord::cli
