// The impact of a change of rules on data (`accord diff OLD NEW --data DIR`):
// both versions are planned over the same data and state (a dry run each,
// nothing written) and the two plans are compared record by record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/sync/engine.h"

namespace accord::cli {

// One target field of one sync: on how many records the new version writes it
// where the old one did not (added), writes another value (changed), or no
// longer writes it (removed). Creates count too: a field of a record created
// by one version only is added or removed.
struct FieldImpact {
  std::string sync;
  schema::System system = schema::System::kHubSpot;
  std::string object, field;
  int64_t added = 0, changed = 0, removed = 0;
  int64_t records() const { return added + changed + removed; }
  std::string Text() const;  // "rewrites industry on 3 HubSpot companies (3 with another value)"
};

// Records with an outcome in one plan and not the other: "create hubspot.contacts",
// "update salesforce.Contact", "lifecycle hubspot.contacts", "link", "conflict",
// "error Duplicates", "skip", "delete salesforce.Contact", ...
struct OutcomeImpact {
  std::string sync, outcome;
  int64_t added = 0, removed = 0;
  std::string Text() const;  // "create hubspot.contacts: 2 more, 1 fewer"
};

struct Impact {
  std::vector<FieldImpact> fields;      // sorted by sync, system, object, field
  std::vector<OutcomeImpact> outcomes;  // sorted by sync, outcome
  int64_t records = 0;                  // records (or pairs) treated differently in any way
};

Impact ComparePlans(const sync::PassReport& old_plan, const sync::PassReport& new_plan);

// "1,234"
std::string Count(int64_t n);
// "sync people"; "lifecycle" for the lifecycle pass's writes (the engine reports them as a sync of that name).
std::string SyncLabel(const std::string& sync);

}  // namespace accord::cli
