// The operations verbs (issue 19): `accord drift` (linked pairs whose values
// disagree, and why) and `accord why` (a record's links, shadows, write history
// and waiting errors). `accord status` serves the same facts as web pages
// (cli/status.cc).
#include "cli/ops.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/pass.h"
#include "compiler/ir/lower.h"
#include "runtime/connectors/jsonl_connector.h"
#include "runtime/sync/test_runner.h"

namespace accord::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json TextJson(const connectors::Text& t) { return t ? json(*t) : json(nullptr); }
std::string Q(const connectors::Text& t) { return t ? "\"" + *t + "\"" : "null"; }

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

}  // namespace

base::Result<DriftResult> DriftOver(const driver::RuleSet& set, const DataArgs& data, jit::EngineKind engine) {
  PassSetup setup;
  if (base::Status s = OpenPass(data, /*dry_run=*/true, set.model, &setup); !s) return s;
  ir::CompiledRules rules = ir::LowerRules(set.model);
  sync::Engine eng(sync::ViewOf(set, rules), engine, *setup.store, *setup.salesforce, *setup.hubspot);
  sync::PassOptions po;
  po.dry_run = true;
  po.full = true;  // every linked pair, not only those changed since the last pass
  po.keep_events = false;
  DriftResult out;
  po.drift = &out.items;
  sync::PassReport report = eng.RunPass(po);
  if (!report.ok) return base::Status::Error(report.failure);
  // syncs in the engine's order (parents first), pairs by Salesforce id, fields in rule order
  std::map<std::string, size_t> sync_order;
  for (const auto& d : out.items) sync_order.emplace(d.sync, sync_order.size());
  std::stable_sort(out.items.begin(), out.items.end(), [&](const sync::DriftItem& a, const sync::DriftItem& b) {
    size_t x = sync_order[a.sync], y = sync_order[b.sync];
    return x != y ? x < y : a.salesforce_id < b.salesforce_id;
  });
  for (const auto& [name, s] : report.per_sync) out.pairs += s.pairs;
  return out;
}

std::string DriftSummary(const std::vector<sync::DriftItem>& items) {
  std::map<std::string, size_t> by_reason;
  std::map<std::pair<std::string, std::string>, bool> pairs;
  for (const auto& d : items) ++by_reason[d.reason], pairs[{d.sync, d.salesforce_id}] = true;
  std::string s = std::to_string(items.size()) + (items.size() == 1 ? " field" : " fields") + " of " +
                  std::to_string(pairs.size()) + (pairs.size() == 1 ? " linked pair" : " linked pairs") +
                  (items.size() == 1 ? " disagrees" : " disagree");
  bool first = true;
  for (const auto& [reason, n] : by_reason)
    s += (first ? ": " : ", ") + reason + " " + std::to_string(n), first = false;
  return s;
}

namespace {

// ---- accord drift --------------------------------------------------------------

struct DriftArgs : DataArgs {
  std::vector<std::string> paths;
  std::string format = "text", engine = "auto";
};

int RunDrift(const DriftArgs& a) {
  if (a.format != "text" && a.format != "json" && a.format != "csv") {
    std::cerr << "accord drift: --format must be text, json or csv\n";
    return kUsage;
  }
  jit::EngineKind kind;
  if (!jit::ParseEngineKind(a.engine, &kind)) {
    std::cerr << "accord drift: --engine must be interp, jit or auto\n";
    return kUsage;
  }
  if (base::Status s = CheckDataArgs(a, "drift"); !s) {
    std::cerr << s.message << "\n";
    return kUsage;
  }
  // drift is about linked pairs: without a state file there are none
  std::string state = !a.state.empty()    ? a.state
                      : a.remote.remote() ? std::string("accord-state.db")
                                          : (fs::path(a.data) / "accord-state.db").string();
  base::Result<bool> exists = store::StateStore::Exists(state);  // a file or a postgresql:// URL
  if (!exists || !*exists) {
    std::cerr << "accord drift: "
              << (!exists ? exists.status().message
                          : std::string("no state ") + (store::IsPostgresLocation(state) ? "in " : "file ") +
                                store::RedactLocation(state) + " (has `accord run` run yet?)")
              << "\n";
    return kUsage;
  }
  driver::RuleSet set;
  if (int code = LoadCheckedRules(a.paths, "drift", set); code != kOk) return code;
  base::Result<DriftResult> r = DriftOver(set, a, kind);
  if (!r) {
    std::cerr << "accord drift: " << r.status().message << "\n";
    return kUsage;
  }
  const auto& items = r->items;
  if (a.format == "json") {
    json arr = json::array();
    for (const auto& d : items)
      arr.push_back({{"sync", d.sync},
                     {"salesforce_id", d.salesforce_id},
                     {"hubspot_id", d.hubspot_id},
                     {"salesforce_field", d.field[0]},
                     {"hubspot_field", d.field[1]},
                     {"salesforce_value", TextJson(d.value[0])},
                     {"hubspot_value", TextJson(d.value[1])},
                     {"reason", d.reason},
                     {"detail", d.detail},
                     {"rule", d.rule}});
    std::cout << arr.dump(2) << "\n";
  } else if (a.format == "csv") {
    std::cout << "sync,salesforce_id,hubspot_id,salesforce_field,hubspot_field,salesforce_value,hubspot_value,reason,"
                 "detail,rule\n";
    for (const auto& d : items)
      std::cout << Csv(d.sync) << "," << Csv(d.salesforce_id) << "," << Csv(d.hubspot_id) << "," << Csv(d.field[0])
                << "," << Csv(d.field[1]) << "," << (d.value[0] ? Csv(*d.value[0]) : "") << ","
                << (d.value[1] ? Csv(*d.value[1]) : "") << "," << d.reason << "," << Csv(d.detail) << "," << Csv(d.rule)
                << "\n";
  } else {
    std::string sync, pair;
    for (const auto& d : items) {
      if (d.sync != sync) std::cout << "sync " << d.sync << "\n", sync = d.sync, pair.clear();
      std::string p = "salesforce " + d.salesforce_id + " / hubspot " + d.hubspot_id;
      if (p != pair) std::cout << "  " << p << "\n", pair = p;
      std::cout << "    " << d.field[0] << " <-> " << d.field[1] << ": salesforce " << Q(d.value[0]) << ", hubspot "
                << Q(d.value[1]) << "  [" << d.rule << "]\n"
                << "      " << d.reason << ": " << d.detail << "\n";
    }
    if (items.empty())
      std::cout << "no drift: every linked pair agrees (" << r->pairs << (r->pairs == 1 ? " pair" : " pairs")
                << " compared)\n";
    else
      std::cout << DriftSummary(items) << "\n";
  }
  return items.empty() ? kOk : kFindings;
}

// ---- accord why ----------------------------------------------------------------

struct WhyArgs {
  std::string system, id, field, state, data, format = "text";
  size_t limit = 200;
};

// The shadow key "<sf field>|<hs field>" names FIELD on either side (case-insensitive).
bool KeyNames(const std::string& key, const std::string& field) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  size_t bar = key.find('|');
  if (bar == std::string::npos) return lower(key) == lower(field);
  return lower(key.substr(0, bar)) == lower(field) || lower(key.substr(bar + 1)) == lower(field);
}

bool SameName(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

base::Result<WhyReport> Why(store::StateStore& s, const std::string& system, const std::string& id,
                            const std::string& field, size_t limit) {
  if (system != "salesforce" && system != "hubspot")
    return base::Status::Error("SYSTEM must be salesforce or hubspot, not '" + system + "'");
  WhyReport r;
  r.system = system;
  r.id = id;
  r.field = field;
  // the field's names on both sides, from the shadow keys of the record's links
  std::vector<std::string> names = {field};
  for (const store::Link& l : s.LinksOf(system, id)) {
    WhyReport::LinkView v{l, {}};
    for (store::Shadow& sh : s.Shadows(l.sync, l.salesforce_id)) {
      if (!field.empty() && !KeyNames(sh.field, field)) continue;
      if (size_t bar = sh.field.find('|'); bar != std::string::npos)
        names.push_back(sh.field.substr(0, bar)), names.push_back(sh.field.substr(bar + 1));
      v.shadows.push_back(std::move(sh));
    }
    r.links.push_back(std::move(v));
  }
  for (store::StateStore::HistoryEntry& h : s.History(system, id, field.empty() ? limit : 100000)) {
    if (!field.empty() &&
        std::none_of(names.begin(), names.end(), [&](const std::string& n) { return SameName(n, h.field); }))
      continue;
    r.history.push_back(std::move(h));
  }
  if (r.history.size() > limit) r.history.erase(r.history.begin(), r.history.end() - static_cast<long>(limit));
  for (store::SyncError& e : s.Errors(""))
    if ((system == "salesforce" ? e.salesforce_id : e.hubspot_id) == id) r.errors.push_back(std::move(e));
  return r;
}

namespace {

std::string When(int64_t ms) { return sync::IsoMillis(ms); }

std::string ShadowText(const store::Shadow& sh) {
  std::string key = sh.field;
  if (size_t bar = key.find('|'); bar != std::string::npos) key = key.substr(0, bar) + " <-> " + key.substr(bar + 1);
  if (sh.base_sf == sh.base_hs) return key + ": " + Q(sh.base_sf);
  return key + ": salesforce " + Q(sh.base_sf) + ", hubspot " + Q(sh.base_hs);
}

int RunWhy(const WhyArgs& a) {
  if (a.format != "text" && a.format != "json") {
    std::cerr << "accord why: --format must be text or json\n";
    return kUsage;
  }
  std::string state = !a.state.empty()  ? a.state
                      : !a.data.empty() ? (fs::path(a.data) / "accord-state.db").string()
                                        : "";
  auto s = OpenExistingState(state, "why");  // a file or a postgresql:// URL
  if (!s) return kUsage;
  base::Result<WhyReport> r = Why(*s, a.system, a.id, a.field, a.limit);
  if (!r) {
    std::cerr << "accord why: " << r.status().message << "\n";
    return kUsage;
  }
  if (a.format == "json") {
    json j = {{"system", r->system}, {"id", r->id}};
    if (!r->field.empty()) j["field"] = r->field;
    json links = json::array();
    for (const auto& v : r->links) {
      json sh = json::array();
      for (const auto& x : v.shadows)
        sh.push_back({{"field", x.field}, {"salesforce", TextJson(x.base_sf)}, {"hubspot", TextJson(x.base_hs)}});
      links.push_back({{"sync", v.link.sync},
                       {"salesforce_id", v.link.salesforce_id},
                       {"hubspot_id", v.link.hubspot_id},
                       {"state", store::LinkStateName(v.link.state)},
                       {"shadows", sh}});
    }
    j["links"] = links;
    json hist = json::array();
    for (const auto& h : r->history)
      hist.push_back({{"at", When(h.at)},
                      {"pass", h.run},
                      {"sync", h.sync},
                      {"salesforce_id", h.salesforce_id},
                      {"hubspot_id", h.hubspot_id},
                      {"target", h.target},
                      {"kind", h.kind},
                      {"field", h.field},
                      {"old", TextJson(h.old_value)},
                      {"new", TextJson(h.new_value)},
                      {"rule", h.rule},
                      {"policy", h.policy}});
    j["history"] = hist;
    json errs = json::array();
    for (const auto& e : r->errors)
      errs.push_back({{"sync", e.sync}, {"category", e.category}, {"rule", e.rule}, {"message", e.message}});
    j["errors"] = errs;
    std::cout << j.dump(2) << "\n";
    return kOk;
  }
  std::cout << a.system << " " << a.id << (a.field.empty() ? "" : "  field " + a.field) << "\n";
  if (r->links.empty()) std::cout << "  not linked in any sync\n";
  for (const auto& v : r->links) {
    const std::string& other = a.system == "salesforce" ? v.link.hubspot_id : v.link.salesforce_id;
    std::cout << "  sync " << v.link.sync << ": linked to " << (a.system == "salesforce" ? "hubspot " : "salesforce ")
              << other << " (" << store::LinkStateName(v.link.state) << ")\n";
    if (!v.shadows.empty())
      std::cout << "    agreed values (the shadows: what both sides held when last in agreement)\n";
    else if (!a.field.empty())
      std::cout << "    no agreed value of " << a.field << " yet (the pair has not settled it)\n";
    for (const auto& sh : v.shadows) std::cout << "      " << ShadowText(sh) << "\n";
  }
  if (!a.field.empty() && !r->history.empty()) {
    const auto& last = r->history.back();
    std::cout << "  decided by: " << (last.rule.empty() ? "(no rule)" : last.rule) << " — " << last.policy << " (pass "
              << last.run << ", " << When(last.at) << ")\n";
  }
  std::cout << "  history" << (r->history.empty() ? ": no write recorded" : " (oldest first)") << "\n";
  for (const auto& h : r->history) {
    std::cout << "    " << When(h.at) << "  pass " << h.run << "  " << h.kind << " " << h.target << "  "
              << (h.target.rfind("salesforce", 0) == 0 ? h.salesforce_id : h.hubspot_id) << "  " << h.field << ": "
              << Q(h.old_value) << " -> " << Q(h.new_value) << "\n"
              << "        " << (h.rule.empty() ? "" : "rule " + h.rule + "  ") << "policy " << h.policy << "\n";
  }
  for (const auto& e : r->errors)
    std::cout << "  waiting error " << e.category << " (" << e.sync << "): " << e.message
              << (e.rule.empty() ? "" : "  [" + e.rule + "]") << "\n";
  return kOk;
}

}  // namespace

int64_t ApiBudgetView::DailyLeft() const {
  return limits.daily_max >= 0 && limits.daily_used >= 0 ? std::max<int64_t>(0, limits.daily_max - limits.daily_used)
                                                         : -1;
}

int64_t ApiBudgetView::Allowance() const {
  return share > 0 && limits.daily_max > 0 ? std::llround(share * static_cast<double>(limits.daily_max)) : -1;
}

int64_t ApiBudgetView::AllowanceLeft() const {
  return Allowance() < 0 ? -1 : std::max<int64_t>(0, Allowance() - calls_24h);
}

namespace {

int64_t Int(const json& j, const char* key, int64_t otherwise) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<int64_t>() : otherwise;
}

json Stats(const store::StateStore::RunRecord& r) {
  json s = json::parse(r.stats.empty() ? "{}" : r.stats, nullptr, false);
  return s.is_object() ? s : json::object();
}

}  // namespace

double LagView::Quantile(double q) const {
  if (n <= 0) return -1;
  const double rank = q * static_cast<double>(n);
  int64_t below = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (static_cast<double>(below + buckets[i]) < rank || buckets[i] == 0) {
      below += buckets[i];
      continue;
    }
    const size_t bounded = std::size(sync::kLagBucketsMs);
    double hi = std::min(i < bounded ? static_cast<double>(sync::kLagBucketsMs[i]) : static_cast<double>(max_ms),
                         static_cast<double>(max_ms));
    double lo = std::min(
        hi, std::max(i == 0 ? 0.0 : static_cast<double>(sync::kLagBucketsMs[i - 1]), static_cast<double>(min_ms)));
    return lo + (hi - lo) * std::max(0.0, rank - static_cast<double>(below)) / static_cast<double>(buckets[i]);
  }
  return static_cast<double>(max_ms);
}

namespace {

// A pass's lag of one sync (its run stats' "lag") added to `l`.
void AddLag(LagView& l, const json& lag) {
  if (!lag.is_object() || !lag.contains("buckets") || !lag["buckets"].is_array() ||
      lag["buckets"].size() != std::size(sync::kLagBucketsMs) + 1)
    return;
  l.buckets.resize(std::size(sync::kLagBucketsMs) + 1, 0);
  for (size_t i = 0; i < l.buckets.size(); ++i)
    l.buckets[i] += lag["buckets"][i].is_number() ? lag["buckets"][i].get<int64_t>() : 0;
  l.n += Int(lag, "n", 0);
  l.sum_ms += Int(lag, "sum_ms", 0);
  l.min_ms = l.passes ? std::min(l.min_ms, Int(lag, "min_ms", 0)) : Int(lag, "min_ms", 0);
  l.max_ms = std::max(l.max_ms, Int(lag, "max_ms", 0));
  ++l.passes;
}

}  // namespace

std::map<std::string, LagView> Lags(const std::vector<store::StateStore::RunRecord>& runs, size_t passes) {
  std::map<std::string, LagView> out;
  for (const auto& r : runs) {
    json s = Stats(r);
    if (!s.contains("syncs") || !s["syncs"].is_object()) continue;
    for (auto& [sync, v] : s["syncs"].items())
      if (v.is_object() && v.contains("lag") && (!passes || static_cast<size_t>(out[sync].passes) < passes))
        AddLag(out[sync], v["lag"]);
  }
  for (auto it = out.begin(); it != out.end();) it = it->second.passes ? std::next(it) : out.erase(it);
  return out;
}

void RunTotals::Fold(store::StateStore& s) {
  // the runs that were running at the last fold, one by one, then every run after the last one read
  for (auto it = running.begin(); it != running.end();) {
    bool finished = false;
    s.ForEachRun(*it - 1, [&](const store::StateStore::RunRecord& r) {
      if (r.id == *it && r.finished_at != 0) Add(r), finished = true;
      return false;
    });
    it = finished ? running.erase(it) : std::next(it);
  }
  s.ForEachRun(last_id, [&](const store::StateStore::RunRecord& r) {
    last_id = r.id;
    if (r.finished_at == 0)
      running.insert(r.id);
    else
      Add(r);
    return true;
  });
}

void RunTotals::Add(const store::StateStore::RunRecord& r) {
  ++passes[r.status == "ok" ? "ok" : "failed"];
  if (r.finished_at > last_finished) last_started = r.started_at, last_finished = r.finished_at;
  json st = Stats(r);
  if (st.contains("syncs") && st["syncs"].is_object())
    for (auto& [sync, v] : st["syncs"].items()) {
      for (const char* kind : {"created", "updated", "deleted"}) written[{sync, kind}] += Int(v, kind, 0);
      conflicts[sync] += Int(v, "conflicts", 0);
      if (v.is_object() && v.contains("lag")) AddLag(lags[sync], v["lag"]);
    }
  if (st.contains("errors_by_category") && st["errors_by_category"].is_object())
    for (auto& [cat, n] : st["errors_by_category"].items())
      if (n.is_number()) errors[cat] += n.get<int64_t>();
  int64_t total[2] = {0, 0};
  int i = 0;
  for (const char* system : {"salesforce", "hubspot"}) {
    const json& c = st.contains("api_calls") && st["api_calls"].contains(system) ? st["api_calls"][system] : json();
    calls[{system, "read"}] += Int(c, "reads", 0);
    calls[{system, "write"}] += Int(c, "writes", 0);
    total[i++] = Int(c, "reads", 0) + Int(c, "writes", 0);
    if (!st.contains("api_limits") || !st["api_limits"].contains(system)) continue;
    ApiBudgetView& v = budgets[system];
    if (r.finished_at < v.reported_at) continue;  // (a run that finished late: an older report)
    const json& l = st["api_limits"][system];
    v.reported_at = r.finished_at;
    v.limits.daily_max = Int(l, "daily_max", -1);
    v.limits.daily_used = Int(l, "daily_used", -1);
    v.limits.burst_max = Int(l, "burst_max", -1);
    v.limits.burst_remaining = Int(l, "burst_remaining", -1);
    v.limits.burst_window_ms = Int(l, "burst_window_ms", -1);
    v.share = l.contains("budget_share") && l["budget_share"].is_number() ? l["budget_share"].get<double>() : 0;
  }
  recent.emplace_back(r.started_at, total[0], total[1]);
}

std::map<std::string, ApiBudgetView> RunTotals::Budgets(int64_t now_ms) {
  const int64_t since = now_ms - 86400000;
  while (!recent.empty() && std::get<0>(recent.front()) < since) recent.pop_front();
  std::map<std::string, ApiBudgetView> out = budgets;
  for (auto& [system, v] : out) v.calls_24h = 0;
  for (const auto& [started, sf, hs] : recent)
    if (started >= since) out["salesforce"].calls_24h += sf, out["hubspot"].calls_24h += hs;
  return out;
}

void RegisterOps(CLI::App& app, int& exit_code) {
  auto dargs = std::make_shared<DriftArgs>();
  auto* drift = app.add_subcommand("drift", "Linked pairs whose values disagree, field by field, and why");
  drift->add_option("PATH", dargs->paths, "rule files or folders");
  AddDataOptions(drift, *dargs);
  drift->add_option("--format", dargs->format, "text, json or csv");
  drift->add_option("--engine", dargs->engine, "interp, jit or auto (default: auto)");
  drift->footer(
      "Reads both systems like `accord plan` and writes nothing. Reasons: pending (the next pass writes it), "
      "one_way, dont_sync, blank_ignore, forward_only, error (waits in the error log), out_of_scope, unchanged. "
      "Exit status: 0 no drift, 1 some fields disagree, 2 usage or I/O failure.");
  drift->callback([dargs, &exit_code] { exit_code = RunDrift(*dargs); });

  auto wargs = std::make_shared<WhyArgs>();
  auto* why = app.add_subcommand("why", "A record's links, agreed values, write history and the rule that decided");
  why->add_option("SYSTEM", wargs->system, "salesforce or hubspot")->required();
  why->add_option("ID", wargs->id, "the record's id in that system")->required();
  why->add_option("FIELD", wargs->field, "only this field (either side's name)");
  why->add_option("--state", wargs->state, "the state file");
  why->add_option("--data", wargs->data, "the data folder (its accord-state.db)");
  why->add_option("--format", wargs->format, "text or json");
  why->add_option("--limit", wargs->limit, "at most this many history rows, the newest (default 200)");
  why->footer("Reads the state file only. The history keeps what `accord run --history-days/--history-rows` allow.");
  why->callback([wargs, &exit_code] { exit_code = RunWhy(*wargs); });
}

}  // namespace accord::cli
