// The facts behind `accord drift`, `accord why` and `accord status` (issue 19),
// shared by the verbs (cli/ops.cc) and the status pages (cli/status.cc).
#pragma once

#include <cstdint>
#include <map>
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

// One system's API budget as the run history tells it (the overview, /metrics). The passes
// record their own calls and, at their end, the limits the system last reported
// (runtime/sync/engine.cc, the run's stats).
struct ApiBudgetView {
  int64_t calls_24h = 0;         // accord's calls (reads + writes) in passes started in the last 24 hours
  connectors::ApiLimits limits;  // as last reported (-1: never; a jsonl folder reports none)
  int64_t reported_at = 0;       // the end of the pass that recorded them (0: never)
  double share = 0;              // the share of the daily limit `--watch --budget` paces to (0: none)
  // the daily limit left (org- or portal-wide: every client's calls count), -1: not reported
  int64_t DailyLeft() const;
  // accord's allowance: share * the daily limit, and what is left of it after calls_24h (-1: no share or limit)
  int64_t Allowance() const;
  int64_t AllowanceLeft() const;
};
// "salesforce" and "hubspot" from the runs (newest first).
std::map<std::string, ApiBudgetView> ApiBudgets(const std::vector<store::StateStore::RunRecord>& runs, int64_t now_ms);

// A sync's propagation lag (sync::PassReport::lag_ms) summed over passes from the run history.
struct LagView {
  int64_t n = 0, sum_ms = 0, min_ms = 0, max_ms = 0;
  std::vector<int64_t> buckets;  // per sync::kLagBucketsMs, then the unbounded bucket
  int passes = 0;                // the passes summed (those that recorded a lag for the sync)
  // The q-quantile in ms estimated from the buckets as Prometheus's histogram_quantile does
  // (linear within the bucket), the bucket narrowed to the smallest and largest lag seen;
  // -1 when n is 0.
  double Quantile(double q) const;
};
// Per sync: the lags of the newest `passes` passes that recorded one for it (0: every pass).
std::map<std::string, LagView> Lags(const std::vector<store::StateStore::RunRecord>& runs, size_t passes);

// The state in the Prometheus text format (cli/status.cc, /metrics): counters summed over the
// run history, gauges of the error log, links and write history now.
std::string MetricsText(store::StateStore& s);

}  // namespace accord::cli
