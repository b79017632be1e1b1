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
};

// HubSpot webhook events and Salesforce change events -> one targeted pass's scope. A
// Salesforce GAP_OVERFLOW reads the object the usual way.
PushPlan PlanPush(const std::vector<connectors::WebhookEvent>& events,
                  const std::vector<connectors::ChangeEvent>& changes, const ir::CompiledRules& rules,
                  store::StateStore& store);

}  // namespace accord::cli
