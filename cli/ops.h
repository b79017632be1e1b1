// The facts behind `accord drift`, `accord why` and `accord status` (issue 19),
// shared by the verbs (cli/ops.cc) and the status pages (cli/status.cc).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "cli/pass.h"
#include "compiler/driver/driver.h"
#include "jit/runner.h"
#include "runtime/store/state_store.h"
#include "runtime/sync/engine.h"

namespace accord::cli {

struct DriftResult {
  std::vector<sync::DriftItem> items;  // syncs parents first, pairs by Salesforce id, fields in rule order
  int64_t pairs = 0;                   // linked pairs compared
};

// A dry, full pass of a checked rule set over the data with the state's links (writes
// nothing): every field of a linked pair whose values disagree, with the engine's reason.
base::Result<DriftResult> DriftOver(const driver::RuleSet& set, const DataArgs& data, jit::EngineKind engine);

// "3 fields of 2 linked pairs disagree: blank_ignore 1, one_way 2"
std::string DriftSummary(const std::vector<sync::DriftItem>& items);

struct WhyReport {
  std::string system, id, field;
  struct LinkView {
    store::Link link;
    std::vector<store::Shadow> shadows;  // (of FIELD only, when given)
  };
  std::vector<LinkView> links;
  std::vector<store::StateStore::HistoryEntry> history;  // oldest first
  std::vector<store::SyncError> errors;                  // the record's waiting entries
};

// A record's links with their shadows, its write history (FIELD on either side, when
// given; the newest `limit` rows) and its waiting errors, from the state alone.
base::Result<WhyReport> Why(store::StateStore& s, const std::string& system, const std::string& id,
                            const std::string& field, size_t limit);

// The state in the Prometheus text format (cli/status.cc, /metrics): counters summed over the
// run history, gauges of the error log, links and write history now.
std::string MetricsText(store::StateStore& s);

}  // namespace accord::cli
