// `accord status --state FILE --listen ADDR:PORT [--prefix /PATH] [PATH --data DIR | --salesforce URL
// --hubspot URL]` (issue 19): the pages of cli/status_pages.h over cpp-httplib, mounted by
// MountStatusPages (cli/status.h, also `accord serve`'s), /metrics in the
// Prometheus text format (prometheus-cpp's registry and serializer), and a retry
// action (POST with a CSRF token). Loopback by default; any other address needs
// --token, which every request then carries (a cookie set by ?token=, or a bearer header).
#include "cli/status.h"

#include <fcntl.h>
#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/log.h"
#include "cli/ops.h"
#include "cli/pass.h"
#include "cli/status_pages.h"

namespace accord::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct StatusArgs : DataArgs {
  std::vector<std::string> paths;
  std::string listen = "127.0.0.1:8080", token, engine = "auto", prefix, log_format = "text";
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomHex(size_t bytes) {
  std::string out;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  unsigned char buf[64];
  if (fd >= 0 && bytes <= sizeof buf && read(fd, buf, bytes) == static_cast<ssize_t>(bytes)) {
    static const char* hex = "0123456789abcdef";
    for (size_t i = 0; i < bytes; ++i) out += hex[buf[i] >> 4], out += hex[buf[i] & 15];
  }
  if (fd >= 0) close(fd);
  return out;
}

bool SameSecret(const std::string& a, const std::string& b) {  // constant time for equal lengths
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

bool IsLoopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

std::atomic<bool> g_stop{false};
httplib::Server* g_server = nullptr;
void OnSignal(int) {
  g_stop = true;
  if (g_server) g_server->stop();
}

}  // namespace

// The Prometheus exposition of a state: counters summed over the run history (every pass
// recorded), gauges of what is in the state now. A registry per scrape: the state, not this
// process, holds the counts.
std::string MetricsText(store::StateStore& s, RunTotals& totals) {
  using namespace prometheus;
  auto registry = std::make_shared<Registry>();
  auto& passes = BuildCounter()
                     .Name("accord_passes_total")
                     .Help("Sync passes recorded in the state, by outcome")
                     .Register(*registry);
  auto& written = BuildCounter()
                      .Name("accord_records_written_total")
                      .Help("Records written by the passes, by sync and kind (created, updated, deleted)")
                      .Register(*registry);
  auto& conflicts =
      BuildCounter().Name("accord_conflicts_total").Help("Conflicts the passes decided, by sync").Register(*registry);
  auto& pass_errors = BuildCounter()
                          .Name("accord_pass_errors_total")
                          .Help("Errors the passes logged, by category (a record logged again counts again)")
                          .Register(*registry);
  auto& api = BuildCounter()
                  .Name("accord_api_calls_total")
                  .Help("API calls the passes made, by system and kind (read, write)")
                  .Register(*registry);
  auto& waiting =
      BuildGauge().Name("accord_errors_waiting").Help("Entries of the error log now, by category").Register(*registry);
  auto& links = BuildGauge().Name("accord_links").Help("Links now, by sync and state").Register(*registry);
  auto& last = BuildGauge()
                   .Name("accord_last_pass_timestamp_seconds")
                   .Help("When the last finished pass ended (Unix time)")
                   .Register(*registry);
  auto& last_duration = BuildGauge()
                            .Name("accord_last_pass_duration_seconds")
                            .Help("How long the last finished pass took")
                            .Register(*registry);
  auto& history = BuildGauge().Name("accord_write_history_rows").Help("Rows of the write history").Register(*registry);
  totals.Fold(s);
  for (const auto& [status, n] : totals.passes) passes.Add({{"status", status}}).Increment(static_cast<double>(n));
  if (totals.last_finished) {
    last.Add({}).Set(static_cast<double>(totals.last_finished) / 1000.0);
    last_duration.Add({}).Set(static_cast<double>(totals.last_finished - totals.last_started) / 1000.0);
  }
  for (const auto& [key, n] : totals.written)
    written.Add({{"sync", key.first}, {"kind", key.second}}).Increment(static_cast<double>(n));
  for (const auto& [sync, n] : totals.conflicts) conflicts.Add({{"sync", sync}}).Increment(static_cast<double>(n));
  for (const auto& [cat, n] : totals.errors) pass_errors.Add({{"category", cat}}).Increment(static_cast<double>(n));
  for (const auto& [key, n] : totals.calls)
    api.Add({{"system", key.first}, {"kind", key.second}}).Increment(static_cast<double>(n));
  std::map<std::string, double> cats;
  for (const auto& e : s.Errors("")) cats[e.category] += 1;
  for (const auto& [cat, n] : cats) waiting.Add({{"category", cat}}).Set(n);
  for (const auto& [sync, state, n] : s.LinkCounts())
    links.Add({{"sync", sync}, {"state", std::string(store::LinkStateName(state))}}).Set(static_cast<double>(n));
  history.Add({}).Set(static_cast<double>(s.HistoryRows()));

  // propagation lag: the passes' histograms summed (their buckets are sync::kLagBucketsMs)
  auto& lag = BuildHistogram()
                  .Name("accord_propagation_lag_seconds")
                  .Help("From a change's time in its source system to accord's acknowledged write of it, by sync")
                  .Register(*registry);
  Histogram::BucketBoundaries bounds;
  for (int64_t ms : sync::kLagBucketsMs) bounds.push_back(static_cast<double>(ms) / 1000.0);
  for (const auto& [sync, l] : totals.lags) {
    std::vector<double> counts(l.buckets.begin(), l.buckets.end());
    lag.Add({{"sync", sync}}, bounds).ObserveMultiple(counts, static_cast<double>(l.sum_ms) / 1000.0);
  }
  // the API budget per system: the limits the passes last recorded, accord's calls in the last 24 h
  auto gauge = [&](const char* name, const char* help) -> Family<Gauge>& {
    return BuildGauge().Name(name).Help(help).Register(*registry);
  };
  auto& calls_24h = gauge("accord_api_calls_24h", "API calls accord's passes made in the last 24 hours, by system");
  auto& daily_max = gauge("accord_api_daily_limit", "The system's daily API limit as last reported");
  auto& daily_left = gauge("accord_api_daily_remaining", "The system's daily API limit left as last reported");
  auto& burst_left = gauge("accord_api_burst_remaining", "HubSpot's burst window: calls left as last reported");
  auto& allowance = gauge("accord_api_budget_calls", "accord's daily allowance: the --budget share of the daily limit");
  auto& allowance_left =
      gauge("accord_api_budget_remaining", "accord's daily allowance left after its calls in the last 24 hours");
  const int64_t now = NowMs();
  for (const auto& [system, v] : totals.Budgets(now)) {
    const Labels at = {{"system", system}};
    calls_24h.Add(at).Set(static_cast<double>(v.calls_24h));
    if (v.limits.daily_max >= 0) daily_max.Add(at).Set(static_cast<double>(v.limits.daily_max));
    if (v.DailyLeft() >= 0) daily_left.Add(at).Set(static_cast<double>(v.DailyLeft()));
    if (v.limits.burst_remaining >= 0) burst_left.Add(at).Set(static_cast<double>(v.limits.burst_remaining));
    if (v.Allowance() >= 0) allowance.Add(at).Set(static_cast<double>(v.Allowance()));
    if (v.AllowanceLeft() >= 0) allowance_left.Add(at).Set(static_cast<double>(v.AllowanceLeft()));
  }
  return TextSerializer().Serialize(registry->Collect());
}

namespace {

// The headers of every page and action: no script or style but the site's own, no framing,
// no referrer (a record id in a URL stays here), nothing cached.
void SecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                 "frame-ancestors 'none'; base-uri 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
}

std::string RegexEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (std::strchr(".^$|()[]{}*+?\\", c)) o += '\\';
    o += c;
  }
  return o;
}

}  // namespace

bool NormalizeStatusPrefix(std::string& prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.empty()) return true;
  if (prefix.front() != '/' || prefix.find("//") != std::string::npos) return false;
  for (char c : prefix)
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("._~/-", c)) return false;
  return true;
}

base::Status MountStatusPages(httplib::Server& server, const std::string& prefix, StatusSite& site) {
  std::string root = prefix;
  if (!NormalizeStatusPrefix(root) || root != prefix)
    return base::Status::Error("the prefix \"" + prefix +
                               "\" is not a path like /a/b (letters, digits, . _ ~ - and /; no slash at the end)");
  if (site.csrf.empty()) site.csrf = RandomHex(16);
  if (site.csrf.empty()) return base::Status::Error("cannot read /dev/urandom for the CSRF token");
  if (site.drift_off.empty())
    site.drift_off =
        "Drift needs the rules and the data: start accord status with PATH and --data DIR (or "
        "--salesforce URL --hubspot URL).";
  const std::string at = RegexEscape(root);
  StatusSite* st = &site;
  auto html = [](httplib::Response& res, const std::string& body, int status = 200) {
    SecurityHeaders(res);
    res.status = status;
    res.set_content(body, "text/html; charset=utf-8");
  };
  auto redirect = [](httplib::Response& res, const std::string& to) {
    SecurityHeaders(res);
    res.set_redirect(to, 303);
  };
  if (!root.empty())
    server.Get(at, [root, redirect](const httplib::Request&, httplib::Response& res) { redirect(res, root + "/"); });
  server.Get(at + "/", [st, root, html](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(st->mu);
    web::Overview o;
    o.root = root;
    o.state = st->state;
    o.now_ms = NowMs();
    o.runs = st->store->Runs(500);
    o.links = st->store->LinkCounts();
    o.errors = st->store->Errors("");
    o.notes = st->store->Notes("");
    o.history_rows = st->store->HistoryRows();
    st->totals.Fold(*st->store);
    o.budgets = st->totals.Budgets(o.now_ms);
    o.lags = Lags(o.runs, web::kLagPasses);
    html(res, web::OverviewPage(o));
  });
  server.Get(at + "/errors", [st, root, html](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(st->mu);
    std::string flash =
        req.has_param("failed")     ? "The state file is busy (a pass is running?): nothing was requeued; try again."
        : req.has_param("requeued") ? req.get_param_value("requeued") + " requeued: the next pass retries them"
                                    : "";
    html(res, web::ErrorsPage(root, st->store->Errors(""), st->store->Notes(""), st->csrf, flash));
  });
  server.Post(at + "/retry", [st, root, html, redirect](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("csrf") || !SameSecret(req.get_param_value("csrf"), st->csrf)) {
      html(res,
           "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Forbidden</title></head><body>"
           "<p>The form's CSRF token is missing or stale: reload the errors page.</p></body></html>",
           403);
      return;
    }
    std::lock_guard<std::mutex> lock(st->mu);
    int n = 0;
    base::Status done;
    if (req.has_param("id")) {
      done = st->store->RequeueEntry(std::atoll(req.get_param_value("id").c_str()));
      n = done ? 1 : 0;
    } else {
      base::Result<int> r = st->store->Requeue(req.has_param("category") ? req.get_param_value("category") : "");
      if (r)
        n = *r;
      else
        done = r.status();
    }
    // (a pass holds the state's write lock while it runs: a retry then may wait and fail; it says so)
    redirect(res, done ? root + "/errors?requeued=" + std::to_string(n) : root + "/errors?failed=1");
  });
  server.Get(at + "/record", [st, root, html](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("id") || req.get_param_value("id").empty()) return html(res, web::RecordPage(root, nullptr, ""));
    std::lock_guard<std::mutex> lock(st->mu);
    base::Result<WhyReport> r = Why(*st->store, req.get_param_value("system"), req.get_param_value("id"),
                                    req.has_param("field") ? req.get_param_value("field") : "", 500);
    if (!r) return html(res, web::RecordPage(root, nullptr, r.status().message), 400);
    html(res, web::RecordPage(root, &*r, ""));
  });
  auto compute_drift = [st] {  // (under st->mu)
    base::Result<DriftResult> d = DriftOver(*st->rules, st->data, st->engine);
    st->drift_at = NowMs();
    if (d)
      st->drift = std::move(*d), st->drift_error.clear();
    else
      st->drift.reset(), st->drift_error = "Drift could not be computed: " + d.status().message;
  };
  server.Get(at + "/drift", [st, root, html, compute_drift](const httplib::Request&, httplib::Response& res) {
    if (!st->rules) return html(res, web::DriftPage(root, nullptr, st->drift_off, 0, st->csrf));
    std::lock_guard<std::mutex> lock(st->mu);
    if (!st->drift && st->drift_error.empty()) compute_drift();
    html(res, web::DriftPage(root, st->drift ? &*st->drift : nullptr, st->drift_error, st->drift_at, st->csrf));
  });
  server.Post(at + "/drift", [st, root, redirect, compute_drift](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("csrf") || !SameSecret(req.get_param_value("csrf"), st->csrf)) {
      SecurityHeaders(res);
      res.status = 403;
      return;
    }
    if (st->rules) {
      std::lock_guard<std::mutex> lock(st->mu);
      compute_drift();
    }
    redirect(res, root + "/drift");
  });
  server.Get(at + "/metrics", [st](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(st->mu);
    SecurityHeaders(res);
    res.set_content(MetricsText(*st->store, st->totals), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get(at + "/static/ops.js", [](const httplib::Request&, httplib::Response& res) {
    SecurityHeaders(res);
    res.set_content(web::kOpsJs, "text/javascript; charset=utf-8");
  });
  server.Get(at + "/static/ops.css", [](const httplib::Request&, httplib::Response& res) {
    SecurityHeaders(res);
    res.set_content(web::kOpsCss, "text/css; charset=utf-8");
  });
  return base::Status::Ok();
}

namespace {

int RunStatus(const StatusArgs& a) {
  if (!log::Apply(a.log_format, "status")) return kUsage;
  size_t colon = a.listen.rfind(':');
  int port = colon == std::string::npos ? -1 : std::atoi(a.listen.c_str() + colon + 1);
  std::string host = colon == std::string::npos ? "" : a.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || port < 0 || port > 65535) {
    log::Error("status", "--listen must be ADDR:PORT (e.g. 127.0.0.1:8080; port 0 picks a free one)");
    return kUsage;
  }
  std::string root = a.prefix;
  if (!NormalizeStatusPrefix(root)) {
    log::Error("status", "--prefix must be a path like /accord (letters, digits, . _ ~ - and /)");
    return kUsage;
  }
  if (!IsLoopback(host) && a.token.empty()) {
    log::Error("status", "listening on " + host +
                             " (not loopback) needs --token TOKEN: the pages show record data and can requeue errors");
    return kUsage;
  }
  std::string state = !a.state.empty()  ? a.state
                      : !a.data.empty() ? (fs::path(a.data) / "accord-state.db").string()
                                        : "";
  std::unique_ptr<store::StateStore> s = OpenExistingState(state, "status");  // a file or a postgresql:// URL
  if (!s) return kUsage;
  // drift needs the rules and the data: optional
  std::unique_ptr<driver::RuleSet> rules;
  jit::EngineKind kind = jit::EngineKind::kAuto;
  DataArgs data = a;
  data.state = state;
  if (!a.paths.empty()) {
    if (!jit::ParseEngineKind(a.engine, &kind)) {
      log::Error("status", "--engine must be interp, jit or auto");
      return kUsage;
    }
    if (base::Status c = CheckDataArgs(data, "status"); !c) {
      log::Error("status", c.message.rfind("accord status: ", 0) == 0 ? c.message.substr(15) : c.message);
      return kUsage;
    }
    rules = std::make_unique<driver::RuleSet>();
    if (int code = LoadCheckedRules(a.paths, "status", *rules); code != kOk) return code;
  }

  StatusSite site;
  site.state = store::RedactLocation(state);  // (a postgresql:// URL's password never reaches a page or a log)
  site.store = s.get();
  site.rules = rules.get();
  site.data = data;
  site.engine = kind;
  httplib::Server server;
  if (base::Status m = MountStatusPages(server, root, site); !m) {
    log::Error("status", m.message);
    return kUsage;
  }
  server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (a.token.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (req.has_param("token") && SameSecret(req.get_param_value("token"), a.token)) {
      SecurityHeaders(res);
      res.set_header("Set-Cookie", "accord_status=" + a.token + "; HttpOnly; SameSite=Strict; Path=/");
      res.set_redirect(req.path.empty() ? root + "/" : req.path, 303);
      return httplib::Server::HandlerResponse::Handled;
    }
    std::string auth = req.get_header_value("Authorization");
    std::string cookie = req.get_header_value("Cookie");
    bool ok = auth.rfind("Bearer ", 0) == 0 && SameSecret(auth.substr(7), a.token);
    for (size_t at = cookie.find("accord_status="); !ok && at != std::string::npos;
         at = cookie.find("accord_status=", at + 1)) {
      size_t end = cookie.find(';', at);
      ok = SameSecret(cookie.substr(at + 14, end == std::string::npos ? std::string::npos : end - at - 14), a.token);
    }
    if (ok) return httplib::Server::HandlerResponse::Unhandled;
    SecurityHeaders(res);
    res.status = 401;
    res.set_content("accord status: a token is required (open /?token=TOKEN once, or send Authorization: Bearer)\n",
                    "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_error_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      SecurityHeaders(res);
      res.set_content(web::NotFoundPage(root, req.path), "text/html; charset=utf-8");
    }
  });

  int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    log::Error("status", "cannot listen on " + a.listen + " (is the port in use?)");
    return kUsage;
  }
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string url = "http://" + shown + ":" + std::to_string(bound) + root + "/";
  if (log::Json())
    log::Info("status", "serving " + url, {{"url", url}, {"state", site.state}});
  else
    std::cout << "accord status: " << url << "  (state " << site.state << ")" << std::endl;
  if (log::Json())  // an access log: method, path (never the query: ?token= is in it), status, time taken
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      log::Info("status", "request", {{"method", req.method}, {"path", req.path}, {"status", res.status}});
    });
  g_server = &server;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  server.listen_after_bind();
  g_server = nullptr;
  return kOk;
}

}  // namespace

void RegisterStatus(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StatusArgs>();
  auto* cmd = app.add_subcommand("status", "Serve a status page of a sync's state: passes, errors, records, drift");
  cmd->add_option("PATH", args->paths, "rule files or folders (for the drift page; optional)");
  AddDataOptions(cmd, *args);
  cmd->add_option("--listen", args->listen, "ADDR:PORT to serve on (default 127.0.0.1:8080; port 0: a free one)");
  cmd->add_option("--token", args->token, "required to listen on anything but loopback; every request carries it");
  cmd->add_option("--engine", args->engine, "interp, jit or auto (the drift page's pass)");
  log::AddOption(cmd, args->log_format);
  cmd->add_option("--prefix", args->prefix, "serve the pages under this path (e.g. /accord, behind a reverse proxy)");
  cmd->footer(
      "Pages: / (the last passes per sync, links, errors by category), /errors (with retry), /record?system=&id= "
      "(links, shadows, write history), /drift, /metrics (Prometheus text format). Stops on Ctrl-C.");
  cmd->callback([args, &exit_code] { exit_code = RunStatus(*args); });
}

}  // namespace accord::cli
