// The routes of the status pages (issue 19), mountable under a URL prefix: `accord status`
// mounts one state at the root (or at --prefix), `accord serve` one state per project
// (e.g. under /p/<project>). The pages are cli/status_pages.h; the routes, the retry
// action and /metrics are cli/status.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cli/ops.h"
#include "cli/pass.h"
#include "compiler/driver/driver.h"
#include "jit/runner.h"
#include "runtime/store/state_store.h"

namespace httplib {
class Server;
}

namespace accord::cli {

// One state's pages: what the routes read, and what they keep between requests. The caller
// fills the first block and keeps the site alive (and unmoved) as long as the server runs.
struct StatusSite {
  std::string state;                       // the state as named on the pages
  store::StateStore* store = nullptr;      // required
  const driver::RuleSet* rules = nullptr;  // for the drift page; null: the page says how to get it
  DataArgs data;                           // the data the drift pass reads (with `rules`)
  jit::EngineKind engine = jit::EngineKind::kAuto;
  std::string drift_off;  // what the drift page says without rules ("" = the default advice)

  // kept by the routes (`mu` guards the store and the drift cache: one request at a time touches them)
  std::mutex mu;
  std::string csrf;  // the forms' token: MountStatusPages draws one when empty
  std::optional<DriftResult> drift;
  int64_t drift_at = 0;
  std::string drift_error;
  RunTotals totals;  // the run history folded so far (/metrics, the overview's budget)
};

// A prefix as the routes take it: "" for the root, else "/a/b" (one leading slash, none at
// the end, only [A-Za-z0-9._~/-]). False for anything else.
bool NormalizeStatusPrefix(std::string& prefix);

// Registers GET PREFIX/ (overview), PREFIX/errors, POST PREFIX/retry, PREFIX/record,
// GET and POST PREFIX/drift, PREFIX/metrics and PREFIX/static/ops.{js,css} (and, for a
// non-empty prefix, GET PREFIX redirecting to PREFIX/) on `server`. Every link, form and
// redirect of the pages stays under the prefix. The routes set the pages' security headers
// (Content-Security-Policy, nosniff, no-referrer, no-store) themselves; authentication is the
// caller's (a pre-routing handler, as `accord status --token` has). Fails when `prefix` is not
// normalized or no CSRF token can be drawn.
base::Status MountStatusPages(httplib::Server& server, const std::string& prefix, StatusSite& site);

}  // namespace accord::cli
