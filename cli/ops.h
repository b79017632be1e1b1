// The facts behind `accord drift`, `accord why` and `accord status` (issue 19),
// shared by the verbs (cli/ops.cc) and the status pages (cli/status.cc).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>
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

// The run history folded into the figures of /metrics and the overview's API budget. Fold reads
// only the runs added since the last call (a run still running is read again until it has
// finished), so a fold kept between requests costs what is new, not the whole history.
struct RunTotals {
  int64_t last_id = 0;                                             // the runs up to it are read
  std::set<int64_t> running;                                       // read again while unfinished
  std::map<std::string, int64_t> passes;                           // finished passes by status (ok, failed)
  std::map<std::pair<std::string, std::string>, int64_t> written;  // (sync, created|updated|deleted)
  std::map<std::string, int64_t> conflicts;                        // by sync
  std::map<std::string, int64_t> errors;                           // by category
  std::map<std::pair<std::string, std::string>, int64_t> calls;    // (system, read|write)
  std::map<std::string, LagView> lags;                             // by sync, every pass
  int64_t last_started = 0, last_finished = 0;                     // the newest finished pass
  std::deque<std::tuple<int64_t, int64_t, int64_t>> recent;        // (started, Salesforce calls, HubSpot calls)
  std::map<std::string, ApiBudgetView> budgets = {{"salesforce", {}}, {"hubspot", {}}};  // limits as last reported

  void Fold(store::StateStore& s);
  // Per system: the limits last reported and accord's calls in passes started since now - 24 h.
  std::map<std::string, ApiBudgetView> Budgets(int64_t now_ms);

 private:
  void Add(const store::StateStore::RunRecord& r);
};

// The state in the Prometheus text format (cli/status.cc, /metrics): counters summed over the
// run history (`totals`, which it folds first), gauges of the error log, links and write history now.
std::string MetricsText(store::StateStore& s, RunTotals& totals);

}  // namespace accord::cli
