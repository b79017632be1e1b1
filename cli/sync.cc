// The sync verbs: test, plan, run, errors, retry.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "base/timings.h"
#include "cli/commands.h"
#include "cli/connect.h"
#include "cli/load.h"
#include "cli/log.h"
#include "cli/pass.h"
#include "cli/push.h"
#include "compiler/driver/driver.h"
#include "compiler/ir/lower.h"
#include "runtime/connectors/budget.h"
#include "runtime/connectors/jsonl_connector.h"
#include "runtime/connectors/salesforce.h"
#include "runtime/connectors/salesforce_cdc.h"
#include "runtime/connectors/webhooks.h"
#include "runtime/store/state_store.h"
#include "runtime/sync/engine.h"
#include "runtime/sync/test_runner.h"

namespace accord::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Loaded {
  driver::RuleSet set;
  ir::CompiledRules rules;
};

// Loads, checks and compiles; prints diagnostics. nullptr = exit with *code.
std::unique_ptr<Loaded> LoadRules(const std::vector<std::string>& paths, const char* verb, int* code) {
  auto l = std::make_unique<Loaded>();
  *code = LoadCheckedRules(paths, verb, l->set);
  if (*code != kOk) return nullptr;
  l->rules = ir::LowerRules(l->set.model);
  return l;
}

bool ParseEngine(const std::string& text, jit::EngineKind* kind, const char* verb) {
  if (jit::ParseEngineKind(text, kind)) return true;
  std::cerr << "accord " << verb << ": --engine must be interp, jit or auto\n";
  return false;
}

std::string DefaultState(const std::string& data) { return (fs::path(data) / "accord-state.db").string(); }

std::string Q(const connectors::Text& t) { return t ? "\"" + *t + "\"" : "null"; }

// ---- accord test -------------------------------------------------------------

struct TestArgs {
  std::vector<std::string> paths;
  std::string engine = "interp";
  std::string filter;
  bool verbose = false;
};

int RunTestVerb(const TestArgs& a) {
  int code = kOk;
  jit::EngineKind kind;
  if (!ParseEngine(a.engine, &kind, "test")) return kUsage;
  auto l = LoadRules(a.paths, "test", &code);
  if (!l) return code;
  sync::TestOptions o;
  o.engine = kind;
  o.filter = a.filter;
  auto results = sync::RunTests(l->set, l->rules, o);
  size_t passed = 0, failed = 0;
  for (const auto& r : results) {
    if (r.passed) {
      ++passed;
      if (a.verbose) std::cout << "ok   " << r.location << ": " << r.name << "\n";
      continue;
    }
    ++failed;
    std::cout << "FAIL " << r.location << ": " << r.name << "\n";
    for (const auto& f : r.failures) std::cout << "     " << f << "\n";
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed > 0 ? kFindings : kOk;
}

// ---- plan / run --------------------------------------------------------------

struct PassArgs : DataArgs {
  std::vector<std::string> paths;
  std::string engine = "auto";
  std::string format = "text";
  bool once = false, watch = false, full = false, timings = false;
  bool whole = false;  // --whole: no targeted pass
  int64_t overlap_ms = 60000;
  double interval = 1.0;
  std::string listen;      // --listen ADDR:PORT: HubSpot webhooks (push)
  std::string public_url;  // --public-url: the URL HubSpot calls (signatures cover it)
  std::string budget;      // --budget salesforce=20%,hubspot=30% | off
  bool cdc = false;        // --cdc: Salesforce Change Data Capture (push)
  JitCacheArgs jit_cache;
  int64_t history_days = 90, history_rows = 1000000;  // the write history's retention (`accord why`)
  std::string log_format = "text";                    // --log-format text|json (cli/log.h)
};

// --listen ADDR:PORT (or PORT: 127.0.0.1).
bool ParseListen(const std::string& text, std::string* addr, int* port) {
  size_t colon = text.rfind(':');
  *addr = colon == std::string::npos ? "127.0.0.1" : text.substr(0, colon);
  std::string p = colon == std::string::npos ? text : text.substr(colon + 1);
  if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  *port = std::stoi(p);
  return *port <= 65535 && !addr->empty();
}

void PrintPushCounters(const connectors::WebhookCounters& c, int64_t echoes, std::ostream& out) {
  out << "push: " << c.events << " events in " << c.accepted << " requests (" << c.duplicates << " duplicates, "
      << echoes << " echoes of accord's own writes without a pass), " << c.refused() << " refused";
  if (c.refused() > 0)
    out << " (unsigned " << c.unsigned_ << ", bad signature " << c.bad_signature << ", stale " << c.stale
        << ", replayed " << c.replayed << ", malformed " << c.malformed << ")";
  out << "\n";
}

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

json EventJson(const sync::Event& e) {
  json j = {{"kind", sync::EventKindName(e.kind)}, {"sync", e.sync}};
  if (!e.object.empty()) j["object"] = std::string(schema::SystemName(e.target)) + "." + e.object;
  if (!e.salesforce_id.empty()) j["salesforce_id"] = e.salesforce_id;
  if (!e.hubspot_id.empty()) j["hubspot_id"] = e.hubspot_id;
  if (!e.changes.empty()) {
    json c = json::array();
    for (const auto& ch : e.changes) {
      json x = {{"field", ch.field}};
      x["old"] = ch.before ? json(*ch.before) : json(nullptr);
      x["new"] = ch.after ? json(*ch.after) : json(nullptr);
      if (!ch.rule.empty()) x["rule"] = ch.rule;
      c.push_back(x);
    }
    j["changes"] = c;
  }
  if (!e.category.empty()) j["category"] = e.category;
  if (!e.message.empty()) j["message"] = e.message;
  if (!e.rule.empty()) j["rule"] = e.rule;
  return j;
}

json ReportJson(const sync::PassReport& r, bool events) {
  json j;
  json syncs = json::object();
  for (const auto& [name, s] : r.per_sync)
    syncs[name] = {{"pairs", s.pairs},     {"unchanged", s.unchanged}, {"created", s.created},
                   {"updated", s.updated}, {"linked", s.linked},       {"conflicts", s.conflicts},
                   {"skipped", s.skipped}, {"deleted", s.deleted},     {"errors", s.errors}};
  j["syncs"] = syncs;
  j["errors_by_category"] = r.errors_by_category;
  j["api_calls"] = {{"salesforce", {{"reads", r.salesforce_calls.reads}, {"writes", r.salesforce_calls.writes}}},
                    {"hubspot", {{"reads", r.hubspot_calls.reads}, {"writes", r.hubspot_calls.writes}}}};
  j["records_read"] = r.records_read;
  j["ok"] = r.ok;
  if (!r.ok) j["failure"] = r.failure;
  if (events) {
    json ev = json::array();
    for (const auto& e : r.events) ev.push_back(EventJson(e));
    j["events"] = ev;
  }
  return j;
}

void PrintSummary(const sync::PassReport& r, double secs, std::ostream& out) {
  sync::SyncStats t = r.Total();
  for (const auto& [name, s] : r.per_sync)
    out << "  " << name << ": " << s.created << " created, " << s.updated << " updated, " << s.linked << " linked, "
        << s.conflicts << " conflicts, " << s.skipped << " skipped, " << s.deleted << " deleted, " << s.errors
        << " errors\n";
  out << "total: " << t.created << " created, " << t.updated << " updated, " << t.linked << " linked, " << t.conflicts
      << " conflicts, " << t.errors << " errors";
  if (!r.errors_by_category.empty()) {
    out << " (";
    bool first = true;
    for (const auto& [cat, n] : r.errors_by_category) out << (first ? "" : ", ") << cat << " " << n, first = false;
    out << ")";
  }
  out << "\napi calls: salesforce " << r.salesforce_calls.reads << " reads + " << r.salesforce_calls.writes
      << " writes, hubspot " << r.hubspot_calls.reads << " reads + " << r.hubspot_calls.writes << " writes\n";
  char buf[128];
  std::snprintf(buf, sizeof buf, "%lld records read in %.2f s\n", static_cast<long long>(r.records_read), secs);
  out << buf;
}

void PrintPlan(const sync::PassReport& r, std::ostream& out) {
  std::string current;
  for (const auto& e : r.events) {
    if (e.sync != current) {
      current = e.sync;
      out << "sync " << current << "\n";
    }
    std::string target = e.object.empty() ? "" : std::string(schema::SystemName(e.target)) + "." + e.object;
    std::string pair = (e.salesforce_id.empty() ? "" : "salesforce " + e.salesforce_id) +
                       (!e.salesforce_id.empty() && !e.hubspot_id.empty() ? " / " : "") +
                       (e.hubspot_id.empty() ? "" : "hubspot " + e.hubspot_id);
    switch (e.kind) {
      case sync::Event::Kind::kCreate:
        out << "  create " << target << " (from " << pair << ")\n";
        break;
      case sync::Event::Kind::kUpdate:
        out << "  update " << target << " (" << pair << ")\n";
        break;
      case sync::Event::Kind::kLifecycle:
        out << "  lifecycle " << target << " (" << pair << ")\n";
        break;
      case sync::Event::Kind::kConflict:
        out << "  conflict (" << pair << "): " << e.message << "\n";
        for (size_t i = 0; i < e.changes.size(); ++i)
          out << "      " << (i == 0 ? "salesforce " : "hubspot ") << e.changes[i].field << " = "
              << Q(e.changes[i].after) << " (was " << Q(e.changes[i].before) << ")\n";
        continue;
      case sync::Event::Kind::kError:
        out << "  error " << e.category << " (" << pair << "): " << e.message
            << (e.rule.empty() ? "" : "  [" + e.rule + "]") << "\n";
        continue;
      default:
        out << "  " << sync::EventKindName(e.kind) << " (" << pair << ")" << (e.message.empty() ? "" : ": " + e.message)
            << "\n";
        continue;
    }
    for (const auto& c : e.changes)
      out << "      " << c.field << ": " << Q(c.before) << " -> " << Q(c.after)
          << (c.rule.empty() ? "" : "  [" + c.rule + "]") << "\n";
  }
  // projected API calls (a pass's reads plus one write call per batch and kind)
  out << "projected API calls: salesforce " << r.salesforce_calls.reads + r.salesforce_calls.writes << " ("
      << r.salesforce_calls.writes << " writes), hubspot " << r.hubspot_calls.reads + r.hubspot_calls.writes << " ("
      << r.hubspot_calls.writes << " writes)\n";
}

// `--log-format json`: a pass as one log line's fields (the summary's figures, and the lag
// of the pass's writes per sync).
json PassLog(const sync::PassReport& r, double secs, const char* kind) {
  json f = ReportJson(r, false);
  f["kind"] = kind;
  f["duration_s"] = secs;
  f["errors_waiting"] = r.errors_waiting;
  for (const auto& [name, lags] : r.lag_ms) {
    if (lags.empty() || !r.per_sync.count(name)) continue;
    std::vector<int64_t> v = lags;
    std::sort(v.begin(), v.end());
    auto rank = [&](double q) { return v[std::max<size_t>(1, static_cast<size_t>(std::ceil(q * v.size()))) - 1]; };
    f["syncs"][name]["lag_ms"] = {{"n", v.size()}, {"p50", rank(0.5)}, {"p99", rank(0.99)}, {"max", v.back()}};
  }
  return f;
}

json LimitsJson(const connectors::ApiLimits& sf, const connectors::ApiLimits& hs) {
  auto lim = [](const connectors::ApiLimits& l) {
    return json{{"daily_max", l.daily_max},
                {"daily_used", l.daily_used},
                {"burst_max", l.burst_max},
                {"burst_remaining", l.burst_remaining},
                {"burst_window_ms", l.burst_window_ms}};
  };
  return {{"salesforce", lim(sf)}, {"hubspot", lim(hs)}};
}

// "accord run: x" -> "x" (messages made for the text log carry the prefix already)
std::string Unprefixed(const std::string& message, const char* verb) {
  std::string prefix = std::string("accord ") + verb + ": ";
  return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

int RunPassVerb(const PassArgs& a, bool dry_run) {
  const char* verb = dry_run ? "plan" : "run";
  int code = kOk;
  if (!log::Apply(a.log_format, verb)) return kUsage;
  if (a.format != "text" && a.format != "json") {
    log::Error(verb, "--format must be text or json");
    return kUsage;
  }
  jit::EngineKind kind;
  if (!ParseEngine(a.engine, &kind, verb)) return kUsage;
  ApplyJitCacheOptions(a.jit_cache);
  if (base::Status s = CheckDataArgs(a, verb); !s) {
    log::Error(verb, Unprefixed(s.message, verb));
    return kUsage;
  }
  base::PhaseClock clock;  // --timings: the first pass's report includes loading and compiling the rules
  std::optional<base::ScopedPhase> phase(std::in_place, a.timings ? &clock : nullptr, "load rules");
  auto l = LoadRules(a.paths, verb, &code);
  if (!l) return code;
  phase.emplace(a.timings ? &clock : nullptr, "open");
  PassSetup setup;
  if (base::Status s = OpenPass(a, dry_run, l->set.model, &setup); !s) {
    log::Error(verb, s.message);
    return kUsage;
  }
  const std::string& state = setup.state;
  auto& store = setup.store;
  auto& sf = setup.salesforce;
  auto& hs = setup.hubspot;
  phase.emplace(a.timings ? &clock : nullptr, "compile");
  sync::Engine engine(sync::ViewOf(l->set, l->rules), kind, *store, *sf, *hs);
  phase.reset();
  sync::PassOptions po;
  po.dry_run = dry_run;
  po.full = a.full;
  po.targeted = !a.whole;
  po.cursor_overlap_ms = a.overlap_ms;
  po.keep_events = dry_run || a.format == "json";
  po.history_days = a.history_days;
  po.history_rows = a.history_rows;
  bool tty = isatty(STDERR_FILENO) == 1;
  auto started = std::chrono::steady_clock::now();
  if (tty && !dry_run) {
    po.progress = [&](const std::string& sync, size_t done, size_t total) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      double rate = secs > 0 ? done / secs : 0;
      if (total > 0 && done <= total) {
        int width = 30, fill = static_cast<int>(width * done / std::max<size_t>(total, 1));
        double eta = rate > 0 ? (total - done) / rate : 0;
        std::fprintf(stderr, "\r%-10s [%.*s%*s] %zu/%zu  %.0f rec/s  ETA %.0fs ", sync.c_str(), fill,
                     "##############################", width - fill, "", done, total, rate, eta);
      } else {
        std::fprintf(stderr, "\r%-10s %zu records  %.0f rec/s          ", sync.c_str(), done, rate);
      }
    };
  }
  if (a.watch) {
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
  }
  // --listen: HubSpot webhooks start targeted passes between the reconciliation passes
  std::unique_ptr<connectors::WebhookReceiver> receiver;
  if (!a.listen.empty()) {
    std::string addr;
    int port = 0;
    if (!a.watch || dry_run || !a.remote.remote()) {
      log::Error(verb, "--listen needs --watch and the APIs (--salesforce URL --hubspot URL)");
      return kUsage;
    }
    if (!ParseListen(a.listen, &addr, &port)) {
      log::Error(verb, "--listen takes ADDR:PORT (e.g. 127.0.0.1:8787) or PORT");
      return kUsage;
    }
    base::Result<std::string> secret = HubSpotAppSecret(a.remote);
    if (!secret) {
      log::Error(verb, secret.status().message);
      return kUsage;
    }
    connectors::WebhookOptions wo;
    wo.secret = *secret;
    wo.public_url = a.public_url;
    receiver = std::make_unique<connectors::WebhookReceiver>(std::move(wo));
    if (base::Status ls = receiver->Listen(addr, port); !ls) {
      log::Error(verb, ls.message);
      return kUsage;
    }
    log::Info(verb, "listening for HubSpot webhooks on " + addr + ":" + std::to_string(receiver->port()),
              {{"listen", addr + ":" + std::to_string(receiver->port())}});
  }
  // --cdc: Salesforce change events start targeted passes too; the replay id of each channel is
  // kept in the state store once its records are synced, and resumed after a restart
  std::unique_ptr<connectors::ChangeEventStream> cdc;
  connectors::SalesforceConnector* salesforce = nullptr;  // --cdc: the change events' field times go to it
  if (a.cdc) {
    salesforce = dynamic_cast<connectors::SalesforceConnector*>(sf.get());
    if (!a.watch || dry_run || !salesforce) {
      log::Error(verb, "--cdc needs --watch and the APIs (--salesforce URL --hubspot URL)");
      return kUsage;
    }
    connectors::ChangeStreamOptions co;
    co.instance_url = salesforce->instance_url();
    co.token = [salesforce] { return salesforce->SessionToken(); };
    co.http.timeout_ms = 130000;  // past the server's 110 s long poll
    co.http.cacert = a.remote.cacert;
    for (const ir::CompiledSync& cs : l->rules.syncs) {
      if (!cs.salesforce || std::find(co.objects.begin(), co.objects.end(), cs.salesforce->name) != co.objects.end())
        continue;
      co.objects.push_back(cs.salesforce->name);
      std::string channel = connectors::ChangeEventChannel(cs.salesforce->name);
      if (std::optional<std::string> kept = store->GetMeta("cdc.replay." + channel)) {
        char* end = nullptr;
        long long id = std::strtoll(kept->c_str(), &end, 10);
        if (end && *end == '\0') co.replay[channel] = id;
      }
    }
    cdc = std::make_unique<connectors::ChangeEventStream>(std::move(co));
    cdc->Start();
  }
  connectors::Budget budget;
  if (!a.budget.empty()) {
    base::Result<connectors::Budget> b = connectors::ParseBudget(a.budget);
    if (!b) {
      log::Error(verb, b.status().message);
      return kUsage;
    }
    budget = *b;
  }
  if (a.watch && a.remote.remote() && !budget.off) {  // the pacing's shares, for accord status
    po.budget_share[0] = budget.salesforce;
    po.budget_share[1] = budget.hubspot;
  }
  auto total_calls = [](const connectors::Connector& c) { return c.calls().reads + c.calls().writes; };
  int64_t cycle_start[2] = {0, 0};  // the calls made when the last reconciliation pass ended
  int64_t echoes = 0;               // webhook events that needed no pass (cli/push.h IsEcho)
  int64_t pass_start[2] = {0, 0};   // the calls made when the current reconciliation pass began
  connectors::Pacer pacer;          // a burst's wait capped, the rest carried
  bool first_pass = true;
  int exit_code = kOk;
  do {
    auto t0 = std::chrono::steady_clock::now();
    po.timings = a.timings ? &clock : nullptr;
    pass_start[0] = total_calls(*sf);
    pass_start[1] = total_calls(*hs);
    sync::PassReport r = engine.RunPass(po);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (tty && po.progress) std::fprintf(stderr, "\r%70s\r", "");
    if (a.timings) {
      if (log::Json())
        log::Info(verb, "timings", {{"timings", base::FormatTimings(clock.timings())}});
      else
        std::cerr << base::FormatTimings(clock.timings());
      clock = base::PhaseClock();  // --watch: each pass its own
    }
    for (const auto& w : engine.TakeWarnings()) log::Warn(verb, w);
    if (a.format == "json") {
      json j = ReportJson(r, po.keep_events);
      if (a.remote.remote()) j["api_limits"] = LimitsJson(sf->limits(), hs->limits());
      if (a.watch) j["seconds"] = secs;
      std::cout << j.dump(dry_run ? 2 : -1) << "\n";
    } else if (dry_run) {
      PrintPlan(r, std::cout);
      PrintSummary(r, secs, std::cout);
    } else if (log::Json()) {
      json f = PassLog(r, secs, "reconciliation");
      if (a.remote.remote()) f["api_limits"] = LimitsJson(sf->limits(), hs->limits());
      log::Write(r.ok ? log::Level::kInfo : log::Level::kError, verb, "pass", f);
    } else {
      std::cout << (a.watch ? "pass:\n" : "");
      PrintSummary(r, secs, std::cout);
      if (a.remote.remote())
        std::cout << "api limits: " << connectors::DescribeLimits(sf->limits(), hs->limits()) << "\n";
    }
    // budget pacing: what this cycle cost (this pass, and the push passes of the wait before it),
    // within the declared share of each system's limits, sets the wait before the next one
    double interval = a.interval;
    if (a.watch && a.remote.remote() && !first_pass) {
      connectors::Pace pace =
          pacer.Next(budget, a.interval, total_calls(*sf) - cycle_start[0], total_calls(*sf) - pass_start[0],
                     sf->limits(), total_calls(*hs) - cycle_start[1], total_calls(*hs) - pass_start[1], hs->limits());
      interval = pace.interval_s;
      if (log::Json() && a.format == "text") {
        log::Info(verb, "next reconciliation pass", {{"interval_s", interval}, {"reason", pace.reason}});
      } else if (a.format == "text") {
        char buf[160];
        std::snprintf(buf, sizeof buf, "next reconciliation pass in %.1f s (%s)\n", interval,
                      pace.reason == "interval" ? "--interval" : ("budget: " + pace.reason).c_str());
        std::cout << buf;
      }
    }
    cycle_start[0] = total_calls(*sf);
    cycle_start[1] = total_calls(*hs);
    first_pass = false;
    std::cout.flush();
    if (!r.ok) {
      log::Error(verb, r.failure);
      // --watch outlives an unreachable API or a failed read: the next pass tries again
      if (!a.watch) return kUsage;
    }
    // exit 1 while anything waits in the error log, logged now or earlier: cron and CI alert on it
    if (r.Total().errors > 0 || r.errors_waiting > 0) exit_code = kFindings;
    if (!a.watch) break;
    if (!receiver && !cdc) {
      for (double slept = 0; slept < interval && !g_stop; slept += 0.1)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    // push: until the next reconciliation pass, every batch of events is a targeted pass
    auto next = std::chrono::steady_clock::now() + std::chrono::duration<double>(interval);
    while (!g_stop && std::chrono::steady_clock::now() < next) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
      int64_t wait = std::min<int64_t>(receiver && cdc ? 50 : 200, left.count());
      std::vector<connectors::WebhookEvent> events;
      std::vector<connectors::ChangeEvent> changes;
      if (receiver) events = receiver->Wait(wait);
      if (cdc) {
        changes = cdc->Wait(wait);
        if (std::string problem = cdc->TakeProblem(); !problem.empty()) log::Warn(verb, problem);
        std::vector<std::string> gaps = cdc->TakeGaps();
        if (!gaps.empty()) {
          // the kept replay id is past the retention window: read everything the usual way now
          for (const std::string& g : gaps)
            if (log::Json())
              log::Warn(verb,
                        "change events: the kept replay id is past the retention window; a reconciliation "
                        "pass reads the object instead",
                        {{"channel", g}});
            else
              std::cout << "change events: the kept replay id of " << g
                        << " is past the retention window; a reconciliation pass reads the object instead\n";
          std::cout.flush();
          break;
        }
      }
      if (events.empty() && changes.empty()) continue;
      if (salesforce) salesforce->NoteChangeEvents(changes);  // two_way: the fields' own change times
      PushPlan plan = PlanPush(events, changes, l->rules, *store);
      echoes += static_cast<int64_t>(plan.echoes);
      if (plan.records == 0 && plan.salesforce.whole.empty() && plan.hubspot.whole.empty()) continue;
      sf->SetReadScope(plan.salesforce);
      hs->SetReadScope(plan.hubspot);
      sync::PassOptions pp = po;
      pp.only = &plan.changed;
      pp.progress = nullptr;
      auto p0 = std::chrono::steady_clock::now();
      sync::PassReport pr = engine.RunPass(pp);
      sf->SetReadScope(std::nullopt);
      hs->SetReadScope(std::nullopt);
      double psecs = std::chrono::duration<double>(std::chrono::steady_clock::now() - p0).count();
      for (const auto& w : engine.TakeWarnings()) log::Warn(verb, w);
      // the change events are synced: their replay ids are where a restart resumes
      if (pr.ok && !changes.empty()) {
        std::map<std::string, int64_t> last;
        for (const connectors::ChangeEvent& e : changes) last[e.channel] = std::max(last[e.channel], e.replay_id);
        for (const auto& [channel, id] : last)
          if (base::Status ms = store->PutMeta("cdc.replay." + channel, std::to_string(id)); !ms)
            log::Error(verb, "keeping the replay id: " + ms.message);
      }
      size_t n = events.size() + changes.size();
      if (a.format == "json") {
        json j = ReportJson(pr, po.keep_events);
        j["push"] = {{"events", events.size()}, {"change_events", changes.size()}, {"records", plan.records}};
        j["seconds"] = psecs;
        std::cout << j.dump(-1) << "\n";
      } else if (log::Json()) {
        json f = PassLog(pr, psecs, "push");
        f["push"] = {{"events", events.size()}, {"change_events", changes.size()}, {"records", plan.records}};
        log::Write(pr.ok ? log::Level::kInfo : log::Level::kError, verb, "pass", f);
      } else {
        std::cout << "push pass: " << n << (n == 1 ? " event, " : " events, ") << plan.records
                  << (plan.records == 1 ? " record\n" : " records\n");
        PrintSummary(pr, psecs, std::cout);
      }
      std::cout.flush();
      if (!pr.ok) log::Error(verb, pr.failure);
    }
    if (a.format == "text" && receiver && log::Json()) {
      const connectors::WebhookCounters& c = receiver->counters();
      log::Info(verb, "push counters",
                {{"events", c.events},
                 {"requests", c.accepted},
                 {"duplicates", c.duplicates},
                 {"refused", c.refused()},
                 {"unsigned", c.unsigned_},
                 {"bad_signature", c.bad_signature},
                 {"stale", c.stale},
                 {"replayed", c.replayed},
                 {"malformed", c.malformed},
                 {"echoes", echoes}});
    } else if (a.format == "text" && receiver) {
      PrintPushCounters(receiver->counters(), echoes, std::cout);
      std::cout.flush();
    }
  } while (!g_stop);
  if (receiver) receiver->Stop();
  if (cdc) cdc->Stop();
  if (!dry_run && exit_code == kFindings && a.format == "text" && log::Json())
    log::Info(verb, "errors wait in the error log: accord errors --state " + store::RedactLocation(state));
  else if (!dry_run && exit_code == kFindings && a.format == "text")
    std::cout << "see the error log: accord errors --state " << store::RedactLocation(state) << "\n";
  return a.watch ? kOk : exit_code;
}

// ---- errors / retry ----------------------------------------------------------

struct LogArgs {
  std::string state, data, category, format = "text";
  bool notes = false, clear_notes = false;
};

std::unique_ptr<store::StateStore> OpenLog(const LogArgs& a, const char* verb) {
  return OpenExistingState(!a.state.empty() ? a.state : !a.data.empty() ? DefaultState(a.data) : "", verb);
}

}  // namespace

std::unique_ptr<store::StateStore> OpenExistingState(const std::string& state, const char* verb) {
  if (state.empty()) {
    log::Error(verb, "name the state (--state FILE or --state postgresql://...) or the data folder (--data DIR)");
    return nullptr;
  }
  base::Result<bool> exists = store::StateStore::Exists(state);
  if (!exists) {
    log::Error(verb, exists.status().message);
    return nullptr;
  }
  if (!*exists) {
    log::Error(verb, std::string("no state ") + (store::IsPostgresLocation(state) ? "in " : "file ") +
                         store::RedactLocation(state) + " (has `accord run` run yet?)");
    return nullptr;
  }
  store::Status st;
  auto s = store::StateStore::Open(state, &st);
  if (!s) log::Error(verb, st.message);
  return s;
}

namespace {

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

int RunErrors(const LogArgs& a) {
  if (a.format != "text" && a.format != "json" && a.format != "csv") {
    std::cerr << "accord errors: --format must be text, json or csv\n";
    return kUsage;
  }
  auto s = OpenLog(a, "errors");
  if (!s) return kUsage;
  if (a.clear_notes) {
    int n = s->ClearNotes();
    if (n < 0) {
      std::cerr << "accord errors: cannot update the error log\n";
      return kUsage;
    }
    std::cout << n << (n == 1 ? " note" : " notes") << " cleared\n";
    return kOk;
  }
  // the errors, or with --notes the notes (decisions to review: nothing waits on them)
  auto errors = a.notes ? s->Notes("") : s->Errors("");
  if (a.format == "csv")
    std::cout << "id,sync,category,rule,salesforce_id,hubspot_id,attempts,permanent,message,note\n";
  json arr = json::array();
  size_t n = 0;
  for (const auto& e : errors) {
    if (!a.category.empty() && e.category != a.category) continue;
    ++n;
    if (a.format == "json") {
      arr.push_back({{"id", e.id},
                     {"sync", e.sync},
                     {"category", e.category},
                     {"rule", e.rule},
                     {"salesforce_id", e.salesforce_id},
                     {"hubspot_id", e.hubspot_id},
                     {"message", e.message},
                     {"attempts", e.attempts},
                     {"permanent", e.permanent},
                     {"note", e.note}});
    } else if (a.format == "csv") {
      std::cout << e.id << "," << Csv(e.sync) << "," << e.category << "," << Csv(e.rule) << "," << Csv(e.salesforce_id)
                << "," << Csv(e.hubspot_id) << "," << e.attempts << "," << (e.permanent ? "true" : "false") << ","
                << Csv(e.message) << "," << (e.note ? "true" : "false") << "\n";
    } else {
      std::cout << (e.note ? "note " : "") << e.category << "  " << e.sync << "  "
                << (e.salesforce_id.empty() ? "" : "salesforce " + e.salesforce_id + " ")
                << (e.hubspot_id.empty() ? "" : "hubspot " + e.hubspot_id + " ");
      if (e.note)
        std::cout << "(nothing waits)";
      else
        std::cout << "(" << e.attempts << (e.attempts == 1 ? " attempt" : " attempts")
                  << (e.permanent ? ", waits for a change" : ", retried") << ")";
      std::cout << "\n    " << e.message
                << (e.rule.empty() ? ""
                                   : (e.sync == store::kReadErrorsSync ? "\n    read from: " : "\n    rule: ") + e.rule)
                << "\n";
    }
  }
  if (a.format == "json") std::cout << arr.dump(2) << "\n";
  if (a.format == "text") {
    std::cout << n << (a.notes ? (n == 1 ? " note" : " notes") : (n == 1 ? " error" : " errors"));
    if (size_t notes = a.notes ? 0 : s->Notes("").size())
      std::cout << "; " << notes << (notes == 1 ? " note" : " notes")
                << " (decisions to review): accord errors --notes";
    std::cout << "\n";
  }
  return kOk;
}

int RunRetry(const LogArgs& a) {
  auto s = OpenLog(a, "retry");
  if (!s) return kUsage;
  base::Result<int> requeued = s->Requeue(a.category);
  if (!requeued) {
    std::cerr << "accord retry: cannot update the error log\n";
    return kUsage;
  }
  int n = *requeued;
  std::cout << n << (n == 1 ? " error" : " errors") << " requeued; the next `accord run` retries "
            << (n == 1 ? "it" : "them") << "\n";
  return kOk;
}

void AddPassOptions(CLI::App* cmd, PassArgs& a) {
  cmd->add_option("PATH", a.paths, "rule files or folders");
  AddDataOptions(cmd, a);
  cmd->add_option("--engine", a.engine, "interp, jit or auto (default: auto)");
  cmd->add_option("--format", a.format, "text or json");
  log::AddOption(cmd, a.log_format);
  cmd->add_flag("--timings", a.timings,
                "print where each pass's time went (read, match, reconcile, write, state), its wall and CPU time and "
                "the peak memory, to stderr");
  AddJitCacheOptions(cmd, a.jit_cache);
  cmd->add_flag("--whole", a.whole,
                "read every record in every pass, even where a pass could read only what changed since the last "
                "one (the reference a targeted pass is compared with)");
  cmd->add_option("--overlap-ms", a.overlap_ms,
                  "a record stamped up to this long before the last pass's newest one counts as changed again "
                  "(default 60000: clock granularity, writes landing while that pass read)");
}

}  // namespace

void AddDataOptions(CLI::App* cmd, DataArgs& a) {
  cmd->add_option("--data", a.data, "a jsonl data folder: DIR/salesforce/<Object>.jsonl, DIR/hubspot/<object>.jsonl");
  AddRemoteOptions(cmd, a.remote);
  cmd->add_option("--state", a.state,
                  "the state: a SQLite file (default: DIR/accord-state.db; with URLs ./accord-state.db) or "
                  "postgresql://USER@HOST:PORT/DB");
}

base::Status CheckDataArgs(const DataArgs& a, const char* verb) {
  std::error_code ec;
  std::string v = std::string("accord ") + verb + ": ";
  bool remote = a.remote.remote();
  if (remote && !a.data.empty())
    return base::Status::Error(v + "give either --data DIR or --salesforce URL --hubspot URL, not both");
  if (remote && (a.remote.salesforce_url.empty() || a.remote.hubspot_url.empty()))
    return base::Status::Error(v + "a sync needs both systems: --salesforce URL and --hubspot URL");
  if (!remote && a.data.empty())
    return base::Status::Error(v +
                               "where is the data? --data DIR (jsonl folders) or --salesforce URL --hubspot URL (the "
                               "APIs or `accord sandbox`)");
  if (!remote && !fs::is_directory(a.data, ec))
    return base::Status::Error(v + "--data " + a.data + " is not a folder (expected " + a.data +
                               "/salesforce/*.jsonl and " + a.data + "/hubspot/*.jsonl)");
  return base::Status::Ok();
}

base::Status OpenPass(const DataArgs& a, bool dry_run, const sema::Model& model, PassSetup* out) {
  bool remote = a.remote.remote();
  out->state = !a.state.empty() ? a.state : remote ? std::string("accord-state.db") : DefaultState(a.data);
  // a plan never creates a state file, nor the tables of a PostgreSQL state
  if (dry_run) {
    base::Result<bool> exists = store::StateStore::Exists(out->state);
    if (!exists) return exists.status();
    if (!*exists) out->state = ":memory:";
  }
  store::Status st;
  out->store = store::StateStore::Open(out->state, &st);
  if (!out->store) return st;
  if (!dry_run && !a.fenced) {
    if (store::Status lk = out->store->LockExclusive(); !lk) return lk;
  }
  if (remote) {
    base::Result<Connectors> c = OpenConnectors(a.remote, dry_run, &model);
    if (!c) return c.status();
    out->salesforce = std::move(c->salesforce);
    out->hubspot = std::move(c->hubspot);
  } else {
    out->salesforce = std::make_unique<sync::JsonlConnector>(schema::System::kSalesforce,
                                                             (fs::path(a.data) / "salesforce").string(), dry_run);
    out->hubspot = std::make_unique<sync::JsonlConnector>(schema::System::kHubSpot,
                                                          (fs::path(a.data) / "hubspot").string(), dry_run);
  }
  return base::Status::Ok();
}

base::Result<sync::PassReport> PlanOver(const driver::RuleSet& set, const DataArgs& data) {
  PassSetup setup;
  if (base::Status s = OpenPass(data, /*dry_run=*/true, set.model, &setup); !s) return s;
  ir::CompiledRules rules = ir::LowerRules(set.model);
  sync::Engine engine(sync::ViewOf(set, rules), jit::EngineKind::kAuto, *setup.store, *setup.salesforce,
                      *setup.hubspot);
  sync::PassOptions po;
  po.dry_run = true;
  po.keep_events = true;
  sync::PassReport report = engine.RunPass(po);
  if (!report.ok) return base::Status::Error(report.failure);
  return report;
}

void RegisterSync(CLI::App& app, int& exit_code) {
  auto targs = std::make_shared<TestArgs>();
  auto* test = app.add_subcommand("test", "Run the `test` blocks of rule files through the sync engine");
  test->add_option("PATH", targs->paths, "rule files or folders");
  test->add_option("--engine", targs->engine, "interp, jit or auto (default: interp)");
  test->add_option("--filter", targs->filter, "only tests whose name contains this");
  test->add_flag("-v,--verbose", targs->verbose, "list passing tests too");
  test->footer(
      "Prints one line per failing test with its location and a final `N passed, N failed`; exit 1 on any "
      "failure.");
  test->callback([targs, &exit_code] { exit_code = RunTestVerb(*targs); });

  auto plan_args = std::make_shared<PassArgs>();
  auto* plan = app.add_subcommand("plan", "Dry run: what a sync pass would create, update, conflict on and reject");
  AddPassOptions(plan, *plan_args);
  plan->footer("Writes nothing: neither the data nor the state file (a missing state file is not created).");
  plan->callback([plan_args, &exit_code] { exit_code = RunPassVerb(*plan_args, true); });

  auto run_args = std::make_shared<PassArgs>();
  auto* run =
      app.add_subcommand("run", "Run sync passes against the APIs (or the sandbox) or over a jsonl data folder");
  AddPassOptions(run, *run_args);
  run->add_flag("--once", run_args->once, "one pass and exit (the default)");
  run->add_flag("--full", run_args->full, "reconcile every linked pair, not only those changed since the last pass");
  run->add_flag("--watch", run_args->watch, "a pass every --interval seconds until Ctrl-C");
  run->add_option("--interval", run_args->interval, "seconds between passes with --watch (default 1)");
  run->add_option("--history-days", run_args->history_days,
                  "keep the write history (accord why) this many days (default 90; 0: keep none)");
  run->add_option("--history-rows", run_args->history_rows,
                  "keep at most this many write history rows, the newest (default 1000000; 0: keep none)");
  run->add_option("--budget", run_args->budget,
                  "with --watch against the APIs: the share of each system's API limits the reconciliation passes "
                  "may use, e.g. salesforce=20%,hubspot=30% (default salesforce=10%,hubspot=10%; off: --interval "
                  "alone); it sets the time between passes, --interval is the least");
  run->add_option("--listen", run_args->listen,
                  "with --watch: receive HubSpot webhooks on ADDR:PORT; each batch of events starts a pass over "
                  "just those records (the app secret: ACCORD_HUBSPOT_APP_SECRET)");
  run->add_flag("--cdc", run_args->cdc,
                "with --watch: subscribe to Salesforce Change Data Capture (CometD) for the synced objects; each "
                "batch of change events starts a pass over just those records (the replay id is kept in the state)");
  run->add_option("--public-url", run_args->public_url,
                  "the webhook URL as registered in the HubSpot app (its signatures cover it; default: http:// + "
                  "the Host header + the path)");
  run->footer("Exit status: 0 no errors, 1 some records logged errors (see `accord errors`), 2 usage or I/O failure.");
  run->callback([run_args, &exit_code] { exit_code = RunPassVerb(*run_args, false); });

  auto eargs = std::make_shared<LogArgs>();
  auto* errors = app.add_subcommand("errors", "List the sync error log");
  errors->add_option("--state", eargs->state, "the state: a SQLite file or postgresql://USER@HOST:PORT/DB");
  errors->add_option("--data", eargs->data, "the data folder (its accord-state.db)");
  errors->add_option("--category", eargs->category, "only this category (e.g. PropertyValues, RecordTime)");
  errors->add_flag("--notes", eargs->notes, "list the notes (decisions to review) instead of the errors");
  errors->add_flag("--clear-notes", eargs->clear_notes, "clear the notes (decisions reviewed); errors stay");
  errors->add_option("--format", eargs->format, "text, json or csv");
  errors->callback([eargs, &exit_code] { exit_code = RunErrors(*eargs); });

  auto rargs = std::make_shared<LogArgs>();
  auto* retry = app.add_subcommand("retry", "Requeue logged errors for the next pass");
  retry->add_option("--state", rargs->state, "the state: a SQLite file or postgresql://USER@HOST:PORT/DB");
  retry->add_option("--data", rargs->data, "the data folder (its accord-state.db)");
  retry->add_option("--category", rargs->category, "only this category");
  retry->callback([rargs, &exit_code] { exit_code = RunRetry(*rargs); });
}

}  // namespace accord::cli
