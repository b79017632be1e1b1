#include "runtime/connectors/budget.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "base/strings.h"

namespace accord::connectors {

base::Result<Budget> ParseBudget(const std::string& text) {
  Budget b;
  std::string t(base::Trim(text));
  if (t == "off" || t == "none") {
    b.off = true;
    return b;
  }
  size_t start = 0;
  while (start <= t.size()) {
    size_t comma = t.find(',', start);
    std::string item(base::Trim(t.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    start = comma == std::string::npos ? t.size() + 1 : comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name = eq == std::string::npos ? "" : std::string(base::Trim(item.substr(0, eq)));
    std::string value = eq == std::string::npos ? "" : std::string(base::Trim(item.substr(eq + 1)));
    bool percent = !value.empty() && value.back() == '%';
    if (percent) value.pop_back();
    char* end = nullptr;
    double share = value.empty() ? -1 : std::strtod(value.c_str(), &end);
    if (value.empty() || !end || *end != '\0') share = -1;
    if (percent) share /= 100;
    if ((name != "salesforce" && name != "hubspot") || !(share > 0 && share <= 1))
      return base::Status::Error(
          "--budget takes SYSTEM=SHARE items, e.g. salesforce=20%,hubspot=30% (a share above "
          "0 and at most 100%), or off; got '" +
          item + "'");
    (name == "salesforce" ? b.salesforce : b.hubspot) = share;
  }
  return b;
}

Pace PaceInterval(const Budget& budget, double floor_s, int64_t salesforce_calls, const ApiLimits& salesforce,
                  int64_t hubspot_calls, const ApiLimits& hubspot) {
  Pace p{floor_s, "interval"};
  if (budget.off) return p;
  auto consider = [&](double s, const char* why) {
    if (s > p.interval_s) p = {s, why};
  };
  if (salesforce.daily_max > 0)
    consider(static_cast<double>(salesforce_calls) * 86400.0 /
                 (budget.salesforce * static_cast<double>(salesforce.daily_max)),
             "salesforce daily");
  if (hubspot.daily_max > 0)
    consider(static_cast<double>(hubspot_calls) * 86400.0 / (budget.hubspot * static_cast<double>(hubspot.daily_max)),
             "hubspot daily");
  if (hubspot.burst_max > 0 && hubspot.burst_window_ms > 0)
    consider(static_cast<double>(hubspot_calls) * static_cast<double>(hubspot.burst_window_ms) / 1000.0 /
                 (budget.hubspot * static_cast<double>(hubspot.burst_max)),
             "hubspot burst");
  return p;
}

Pace Pacer::Next(const Budget& budget, double floor_s, int64_t salesforce_cycle, int64_t salesforce_pass,
                 const ApiLimits& salesforce, int64_t hubspot_cycle, int64_t hubspot_pass, const ApiLimits& hubspot) {
  Pace full = PaceInterval(budget, floor_s, salesforce_cycle, salesforce, hubspot_cycle, hubspot);
  Pace own = PaceInterval(budget, floor_s, salesforce_pass, salesforce, hubspot_pass, hubspot);
  const double cap = std::max(floor_s, kBurstCap * own.interval_s);
  const double owed = carried_s_ + full.interval_s;
  if (owed <= cap) {
    carried_s_ = 0;
    full.interval_s = owed;
    return full;
  }
  carried_s_ = owed - cap;
  full.interval_s = cap;
  char buf[96];
  std::snprintf(buf, sizeof buf, ", capped at %g x the pass's own (%.0f s carried)", kBurstCap, carried_s_);
  full.reason += buf;
  return full;
}

std::string DescribeLimits(const ApiLimits& sf, const ApiLimits& hs) {
  std::string out;
  auto used = [](const ApiLimits& l) {
    if (l.daily_max < 0 || l.daily_used < 0) return std::string("not reported");
    return std::to_string(l.daily_used) + "/" + std::to_string(l.daily_max) + " used today, " +
           std::to_string(std::max<int64_t>(0, l.daily_max - l.daily_used)) + " left";
  };
  out = "salesforce " + used(sf) + "; hubspot " + used(hs);
  if (hs.burst_max > 0 && hs.burst_remaining >= 0 && hs.burst_window_ms > 0)
    out += ", " + std::to_string(hs.burst_remaining) + "/" + std::to_string(hs.burst_max) + " left of its " +
           std::to_string(hs.burst_window_ms / 1000) + "-second window";
  return out;
}

}  // namespace accord::connectors
