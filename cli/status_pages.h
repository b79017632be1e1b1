// The pages of `accord status` (issue 19) as plain functions from facts to HTML:
// server-rendered, every text from data escaped by Html(), a little plain
// JavaScript (ops.js: local times, a filter box, a confirm before a retry).
// cli/status.cc serves them; status_pages_test.cc checks the escaping.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "cli/ops.h"
#include "runtime/store/state_store.h"

namespace accord::cli::web {

// Text for an HTML element or a quoted attribute: & < > " ' escaped.
std::string Html(std::string_view s);
// A query-string component (percent-encoded except unreserved characters).
std::string UrlComponent(std::string_view s);

// Every page takes `root`, the URL prefix its routes are mounted under ("" or "/a/b", see
// cli/status.h): its links, forms and static files are under it.

// What the overview shows: the state's run history, links and error log.
struct Overview {
  std::string root;   // the URL prefix
  std::string state;  // the state file as named
  int64_t now_ms = 0;
  std::vector<store::StateStore::RunRecord> runs;  // newest first
  std::vector<std::tuple<std::string, store::LinkState, int64_t>> links;
  std::vector<store::SyncError> errors, notes;
  int64_t history_rows = 0;
  std::map<std::string, ApiBudgetView> budgets;  // per system: ApiBudgets over the last 24 hours of runs
  std::map<std::string, LagView> lags;           // per sync: Lags over its newest passes (kLagPasses)
};
inline constexpr size_t kLagPasses = 20;  // the overview's lag summary: a sync's newest passes with a lag

std::string OverviewPage(const Overview& o);
std::string ErrorsPage(const std::string& root, const std::vector<store::SyncError>& errors,
                       const std::vector<store::SyncError>& notes, const std::string& csrf, const std::string& flash);
// `report` null: the lookup form only (or `problem`, e.g. a bad SYSTEM).
std::string RecordPage(const std::string& root, const WhyReport* report, const std::string& problem);
// `drift` null: not available (`why_not` says how to get it).
std::string DriftPage(const std::string& root, const DriftResult* drift, const std::string& why_not,
                      int64_t computed_ms, const std::string& csrf);
std::string NotFoundPage(const std::string& root, const std::string& path);

// The static files: ops.js and ops.css.
extern const char kOpsJs[];
extern const char kOpsCss[];

}  // namespace accord::cli::web
