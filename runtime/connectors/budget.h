// Budget-paced polling (docs/connectors.md "Budget"): `accord run --watch`
// spends a declared share of each system's API limits on its reconciliation
// reads, and no more. The interval between reconciliation passes is the
// longest of
//
//   --interval (the floor)
//   calls * 86400 s / (share_salesforce * Salesforce's daily limit)
//   calls * 86400 s / (share_hubspot * HubSpot's daily limit)
//   calls * window / (share_hubspot * HubSpot's burst limit per window)
//
// where `calls` is what the system was sent since the previous reconciliation
// pass began (that pass, its writes and any push passes since). A limit the
// system has not reported yet does not pace.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "runtime/connectors/connector.h"

namespace accord::connectors {

struct Budget {
  bool off = false;          // --budget off: the interval alone
  double salesforce = 0.10;  // share of the org's daily API requests
  double hubspot = 0.10;     // share of the portal's daily and burst limits
};

// "salesforce=20%,hubspot=30%" (either may be left out: it keeps its default; 0.2 = 20%),
// or "off". An error names what is wrong.
base::Result<Budget> ParseBudget(const std::string& text);

struct Pace {
  double interval_s = 0;
  std::string reason;  // "interval", "salesforce daily", "hubspot daily" or "hubspot burst"
};

Pace PaceInterval(const Budget& budget, double floor_s, int64_t salesforce_calls, const ApiLimits& salesforce,
                  int64_t hubspot_calls, const ApiLimits& hubspot);

// The wait before the next reconciliation pass, cycle by cycle. PaceInterval of a cycle's calls
// keeps the budget, but after a burst of push passes it puts the next reconciliation read far out
// (18 minutes were measured), and that read is what catches an event lost on the way. So a wait
// is at most kBurstCap times the interval the reconciliation pass's own calls are paced to (and
// never below the floor); what the cap cuts is carried into the next waits, which pay the burst
// back within the same cap: the average stays within the budget, no single wait exceeds the cap.
class Pacer {
 public:
  static constexpr double kBurstCap = 4;
  // cycle: the calls of the reconciliation pass and of the push passes since the previous one;
  // pass: that reconciliation pass's own.
  Pace Next(const Budget& budget, double floor_s, int64_t salesforce_cycle, int64_t salesforce_pass,
            const ApiLimits& salesforce, int64_t hubspot_cycle, int64_t hubspot_pass, const ApiLimits& hubspot);
  double carried_s() const { return carried_s_; }  // the wait still owed to the budget

 private:
  double carried_s_ = 0;
};

// "salesforce 1,204 of 100,000 today (98,796 left)"-style text of both systems' limits.
std::string DescribeLimits(const ApiLimits& salesforce, const ApiLimits& hubspot);

}  // namespace accord::connectors
