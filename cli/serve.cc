// `accord serve --config FILE` (docs/deployment.md): one worker of a fleet that syncs many
// projects over one PostgreSQL. Each project is leased to one worker at a time (the
// store's leases with a fencing token checked by every commit); the leases of every
// project, the webhook queue and the shared API counters live in the schema
// accord_serve, each project's state in its own schema accord_p_<name>.
//
// The main thread keeps the coordination: it renews this worker's heartbeat and the leases
// it holds, takes free or expired projects up to its fair share (projects / live workers),
// gives one back when it holds more, and moves webhook events from its receivers into the
// queue. A thread per held project runs the passes: a reconciliation pass when the
// project's next pass is due (kept with its lease, so that a worker taking it over keeps
// the pace the budget set), and between them a targeted pass for each batch of queued
// events it claims (FOR UPDATE SKIP LOCKED, deleted in the transaction that follows the
// pass, given back when the pass fails).
#include <fcntl.h>
#include <httplib.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/connect.h"
#include "cli/load.h"
#include "cli/pass.h"
#include "cli/push.h"
#include "cli/serve_config.h"
#include "cli/status.h"
#include "compiler/ir/lower.h"
#include "runtime/connectors/budget.h"
#include "runtime/connectors/webhooks.h"
#include "runtime/store/state_store.h"
#include "runtime/sync/engine.h"
#include "runtime/sync/test_runner.h"

extern char** environ;

namespace accord::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kCoordination[] = "accord_serve";
constexpr char kLeases[] = "accord_serve.leases";  // the fence every project's commit checks
constexpr char kWorkerPrefix[] = "@worker/";       // a worker's heartbeat is a lease of its own

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::mutex g_out;
// One line of a project's (or the worker's) log on stdout.
void Say(const std::string& who, const std::string& line) {
  std::lock_guard<std::mutex> l(g_out);
  std::cout << "[" << who << "] " << line << "\n";
  std::cout.flush();
}

std::string SchemaOf(const std::string& project) { return "accord_p_" + project; }

// A statement outside a transaction would not reconnect after a server restart (Begin does).
template <typename F>
auto InTransaction(store::StateStore& s, F f) -> decltype(f()) {
  if (base::Status b = s.Begin(); !b) return b;
  auto r = f();
  if (!r) {
    (void)s.Rollback();  // f's failure is the one to report
    return r;
  }
  if (base::Status c = s.Commit(); !c) return c;
  return r;
}

// Runs argv (no shell), its stdout in *out; an error with its stderr's first line.
base::Status RunTool(const std::vector<std::string>& argv, std::string* out) {
  int pipes[2];
  if (pipe2(pipes, O_CLOEXEC) != 0) return base::Status::Error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipes[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipes[0]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipes[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(pipes[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  close(pipes[0]);
  if (rc != 0) return base::Status::Error("cannot run " + argv[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return base::Status::Error(argv[0] + " failed");
  if (out) *out = text;
  return base::Status::Ok();
}

// The project's rules: the files as they are, or (with a revision) exported from the git
// repository that holds them into a folder under `scratch`.
base::Result<std::string> RulesOf(const ServeProject& p, const std::string& scratch) {
  if (p.revision.empty()) return p.rules;
  std::error_code ec;
  fs::path rules = p.rules;
  fs::path dir = fs::is_directory(rules, ec) ? rules : rules.parent_path();
  std::string top;
  if (base::Status st = RunTool({"git", "-C", dir.string(), "rev-parse", "--show-toplevel"}, &top); !st)
    return base::Status::Error("\"revision\": " + p.rules + " is not in a git repository (" + st.message + ")");
  while (!top.empty() && (top.back() == '\n' || top.back() == '\r')) top.pop_back();
  std::string rel = fs::relative(rules, top, ec).string();
  std::string sha;
  if (base::Status st = RunTool({"git", "-C", top, "rev-parse", "--verify", p.revision + "^{commit}"}, &sha); !st)
    return base::Status::Error("\"revision\": " + p.revision + " is not a commit of " + top);
  while (!sha.empty() && (sha.back() == '\n' || sha.back() == '\r')) sha.pop_back();
  fs::path into = fs::path(scratch) / (p.name + "-" + sha);
  if (!fs::exists(into / rel, ec)) {
    fs::create_directories(into, ec);
    // $0..$3 are arguments, never text of the command
    base::Status st = RunTool({"sh", "-c", "git -C \"$0\" archive --format=tar \"$1\" -- \"$2\" | tar -x -C \"$3\"",
                               top, sha, rel, into.string()},
                              nullptr);
    if (!st) return base::Status::Error("exporting " + rel + " at " + p.revision + ": " + st.message);
  }
  return (into / rel).string();
}

RemoteArgs RemoteOf(const ServeProject& p) {
  RemoteArgs r;
  r.salesforce_url = p.salesforce;
  r.hubspot_url = p.hubspot;
  r.credentials = p.credentials_file;
  r.cacert = p.cacert;
  r.env_names = p.env_names;
  return r;
}

json EventJson(const connectors::WebhookEvent& e) {
  return json{{"event_id", e.event_id}, {"object", e.object},       {"kind", e.kind},   {"object_id", e.object_id},
              {"ids", e.ids},           {"to_object", e.to_object}, {"to_id", e.to_id}, {"occurred_at", e.occurred_at}};
}

std::optional<connectors::WebhookEvent> EventOf(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  connectors::WebhookEvent e;
  e.event_id = j.value("event_id", "");
  e.object = j.value("object", "");
  e.kind = j.value("kind", "");
  e.object_id = j.value("object_id", "");
  if (j.contains("ids") && j["ids"].is_array())
    for (const json& id : j["ids"])
      if (id.is_string()) e.ids.push_back(id.get<std::string>());
  e.to_object = j.value("to_object", "");
  e.to_id = j.value("to_id", "");
  e.occurred_at = j.value("occurred_at", int64_t{0});
  return e;
}

// One project this worker holds: the thread that runs its passes.
struct Held {
  const ServeProject* project = nullptr;
  int64_t token = 0;
  std::atomic<bool> stop{false}, done{false};
  bool failed = false;  // could not start (rules, credentials, state): written before done
  std::thread thread;
};

std::mutex g_compile;  // rules are loaded and compiled one project at a time

std::string Summary(const sync::PassReport& r) {
  sync::SyncStats t = r.Total();
  std::ostringstream o;
  o << t.created << " created, " << t.updated << " updated, " << t.linked << " linked, " << t.conflicts
    << " conflicts, " << t.errors << " errors; api calls salesforce " << r.salesforce_calls.reads << "+"
    << r.salesforce_calls.writes << ", hubspot " << r.hubspot_calls.reads << "+" << r.hubspot_calls.writes;
  return o.str();
}

// The passes of one held project until it is stopped or its lease is lost.
void RunProject(const ServeConfig& config, const std::string& scratch, Held& held) {
  const ServeProject& p = *held.project;
  auto fail = [&](const std::string& why) {
    Say(p.name, "cannot serve this project: " + why);
    held.failed = true;
  };
  std::unique_ptr<driver::RuleSet> set = std::make_unique<driver::RuleSet>();
  ir::CompiledRules rules;
  {
    std::lock_guard<std::mutex> l(g_compile);
    base::Result<std::string> path = RulesOf(p, scratch);
    if (!path) return fail(path.status().message);
    if (LoadCheckedRules({*path}, "serve", *set, /*fix_first_hint=*/false) != kOk)
      return fail("the rules at " + *path + " do not load or have errors (above)");
    rules = ir::LowerRules(set->model);
  }
  jit::EngineKind kind = jit::EngineKind::kAuto;
  jit::ParseEngineKind(p.engine, &kind);  // checked with the config
  DataArgs data;
  data.data = p.data;
  data.remote = RemoteOf(p);
  data.state = store::StateStore::InSchema(config.state, SchemaOf(p.name));
  data.fenced = true;  // a paused previous holder may still hold the advisory lock: the token orders us
  PassSetup setup;
  if (base::Status st = OpenPass(data, /*dry_run=*/false, set->model, &setup); !st) return fail(st.message);
  store::StateStore& state = *setup.store;
  state.Fence(p.name, held.token, kLeases);
  store::Status cst;
  auto coord = store::StateStore::Open(store::StateStore::InSchema(config.state, kCoordination), &cst);
  if (!coord) return fail(cst.message);
  sync::Engine engine(sync::ViewOf(*set, rules), kind, state, *setup.salesforce, *setup.hubspot);
  connectors::Budget budget = *connectors::ParseBudget(p.budget);  // checked with the config
  bool remote = !p.salesforce.empty();
  sync::PassOptions po;
  po.keep_events = false;
  int64_t counted[2] = {0, 0};  // the calls already added to the shared counters
  int64_t cycle_start[2] = {0, 0};
  bool first_pass = true;
  int64_t spent_until = 0;  // the day's share is spent: no push pass either before then
  auto total_calls = [](const connectors::Connector& c) { return c.calls().reads + c.calls().writes; };
  auto lost = [&](const sync::PassReport& r) { return r.failure.find("lost the lease") != std::string::npos; };
  Say(p.name, "serving under fencing token " + std::to_string(held.token));
  // when the next reconciliation pass is due: as the previous holder left it (the pace the budget
  // set), then kept here and written back after each pass
  std::optional<int64_t> due;
  while (!held.stop && !g_stop) {
    int64_t now = NowMs();
    if (!due) {
      base::Result<int64_t> kept =
          InTransaction(*coord, [&]() -> base::Result<int64_t> { return coord->NextPass(p.name); });
      if (!kept) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      due = *kept;
    }
    if (now >= *due) {
      sync::PassReport r = engine.RunPass(po);
      for (const auto& w : engine.TakeWarnings()) Say(p.name, "warning: " + w);
      if (!r.ok) {
        Say(p.name, "pass failed: " + r.failure);
        if (lost(r)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      // the shared counters: what this worker spent since it last counted (push passes too)
      int64_t calls[2] = {total_calls(*setup.salesforce), total_calls(*setup.hubspot)};
      int64_t day = now / 86400000;
      double interval = p.interval;
      std::string why = "interval";
      base::Status counted_ok = InTransaction(*coord, [&]() -> base::Status {
        for (int s = 0; s < 2; ++s)
          if (base::Status st = coord->AddCalls(p.name, s ? "hubspot" : "salesforce", day, calls[s] - counted[s]); !st)
            return st;
        return base::Status::Ok();
      });
      if (counted_ok) counted[0] = calls[0], counted[1] = calls[1];
      if (remote && !budget.off && !first_pass) {
        connectors::Pace pace =
            connectors::PaceInterval(budget, p.interval, calls[0] - cycle_start[0], setup.salesforce->limits(),
                                     calls[1] - cycle_start[1], setup.hubspot->limits());
        interval = pace.interval_s;
        why = pace.reason;
        // the day's share spent by every worker that held the project: nothing more today
        const connectors::ApiLimits lim[2] = {setup.salesforce->limits(), setup.hubspot->limits()};
        const double share[2] = {budget.salesforce, budget.hubspot};
        for (int s = 0; s < 2; ++s) {
          base::Result<int64_t> spent = InTransaction(*coord, [&]() -> base::Result<int64_t> {
            return coord->Calls(p.name, s ? "hubspot" : "salesforce", day);
          });
          if (spent && lim[s].daily_max > 0 && *spent >= share[s] * lim[s].daily_max) {
            interval = std::max(interval, ((day + 1) * 86400000 - now) / 1000.0);
            spent_until = (day + 1) * 86400000;
            why = std::string(s ? "hubspot" : "salesforce") + " daily share spent by the workers";
          }
        }
      }
      cycle_start[0] = calls[0], cycle_start[1] = calls[1];
      first_pass = false;
      int64_t next = NowMs() + static_cast<int64_t>(interval * 1000);
      due = next;
      (void)InTransaction(*coord, [&] { return coord->SetNextPass(p.name, next); });  // lost: a pass comes sooner
      char buf[96];
      std::snprintf(buf, sizeof buf, "; next in %.1f s (%s)", interval, why.c_str());
      Say(p.name, "pass: " + Summary(r) + buf);
      continue;
    }
    int64_t wait = std::clamp<int64_t>(*due - now, 0, 200);
    if (!p.webhooks || now < spent_until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(wait));
      continue;
    }
    // push: the events any worker queued for this project, claimed until the pass is done
    if (!coord->Begin()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    base::Result<std::vector<store::StateStore::QueuedEvent>> claimed = coord->ClaimEvents(p.name, 500);
    if (!claimed || claimed->empty()) {
      (void)coord->Rollback();  // nothing claimed
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(wait, 100)));
      continue;
    }
    std::vector<connectors::WebhookEvent> events;
    std::vector<int64_t> ids;
    for (const auto& q : *claimed) {
      ids.push_back(q.id);
      if (std::optional<connectors::WebhookEvent> e = EventOf(q.event)) events.push_back(std::move(*e));
    }
    PushPlan plan = PlanPush(events, {}, rules, state);
    setup.salesforce->SetReadScope(plan.salesforce);
    setup.hubspot->SetReadScope(plan.hubspot);
    sync::PassOptions pp = po;
    pp.only = &plan.changed;
    sync::PassReport r = engine.RunPass(pp);
    setup.salesforce->SetReadScope(std::nullopt);
    setup.hubspot->SetReadScope(std::nullopt);
    for (const auto& w : engine.TakeWarnings()) Say(p.name, "warning: " + w);
    if (r.ok && coord->DropEvents(ids) && coord->Commit()) {
      Say(p.name, "push pass: " + std::to_string(ids.size()) + " events, " + std::to_string(plan.records) +
                      " records: " + Summary(r));
    } else {
      (void)coord->Rollback();  // the events wait for the next pass (or the next holder)
      if (!r.ok) Say(p.name, "push pass failed: " + r.failure);
      if (lost(r)) break;
    }
  }
  Say(p.name, held.stop || g_stop ? "stopped" : "lost its lease: stopped");
}

// The webhooks of every project with "webhooks": POST /hooks/<name>, checked with that
// project's app secret, queued in PostgreSQL by the main loop.
struct Hooks {
  std::map<std::string, std::unique_ptr<connectors::WebhookReceiver>> receivers;
  // --status: each project's `accord status` pages under /p/<name>/ (a connection of their own)
  std::list<std::pair<std::unique_ptr<store::StateStore>, StatusSite>> sites;
  std::map<std::string, std::pair<store::StateStore*, StatusSite*>> site_of;  // by project
  std::string status_token;  // ACCORD_STATUS_TOKEN: every /p/ request carries it ("" on loopback: none)
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  std::string public_url;  // --public-url: the base URL HubSpot calls (+ /hooks/<name>)
};

// Equal without telling where they differ by the time it takes.
bool SameToken(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() != b.size();
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

base::Status ListenHooks(Hooks& h, const std::string& listen, const std::string& state,
                         const std::vector<const ServeProject*>& status_of) {
  size_t colon = listen.rfind(':');
  std::string addr = colon == std::string::npos ? "127.0.0.1" : listen.substr(0, colon);
  int port = std::atoi((colon == std::string::npos ? listen : listen.substr(colon + 1)).c_str());
  h.server = std::make_unique<httplib::Server>();
  for (const ServeProject* p : status_of) {
    if (h.status_token.empty() && addr != "127.0.0.1" && addr != "localhost" && addr != "::1")
      return base::Status::Error("--status on " + addr +
                                 " needs ACCORD_STATUS_TOKEN in the environment: the pages show records' values");
    store::Status st;
    std::string url = store::StateStore::InSchema(state, SchemaOf(p->name));
    auto s = store::StateStore::Open(url, &st);
    if (!s) return base::Status::Error("the status pages of " + p->name + ": " + st.message);
    auto& [owned, site] = h.sites.emplace_back();
    owned = std::move(s);
    site.state = store::RedactLocation(url);
    site.store = owned.get();
    site.drift_off = "accord serve shows no drift page: run `accord status` with the project's rules and APIs";
    h.site_of[p->name] = {owned.get(), &site};
    if (base::Status m = MountStatusPages(*h.server, "/p/" + p->name, site); !m) return m;
  }
  if (!h.sites.empty())
    h.server->set_pre_routing_handler([&h](const httplib::Request& req, httplib::Response& res) {
      if (req.path.rfind("/p/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
      std::string auth = req.get_header_value("Authorization");
      if (h.status_token.empty() || (auth.rfind("Bearer ", 0) == 0 && SameToken(auth.substr(7), h.status_token))) {
        // a connection cut since the last request (PostgreSQL restarted) is opened again by a Begin
        std::string name = req.path.substr(
            3, req.path.find('/', 3) == std::string::npos ? std::string::npos : req.path.find('/', 3) - 3);
        if (auto it = h.site_of.find(name); it != h.site_of.end()) {
          std::lock_guard<std::mutex> l(it->second.second->mu);
          if (it->second.first->Begin()) (void)it->second.first->Rollback();  // nothing was done in it
        }
        return httplib::Server::HandlerResponse::Unhandled;
      }
      res.status = 401;
      res.set_content("accord serve: the status pages need Authorization: Bearer ACCORD_STATUS_TOKEN\n",
                      "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    });
  h.server->Post(R"(/hooks/([a-z0-9_]+))", [&h](const httplib::Request& req, httplib::Response& res) {
    auto it = h.receivers.find(req.matches[1]);
    if (it == h.receivers.end()) {
      res.status = 404;
      return;
    }
    std::string uri = h.public_url.empty() ? "http://" + req.get_header_value("Host") + req.target
                                           : h.public_url + "/hooks/" + it->first;
    res.status = it->second->Handle(req.method, uri, req.body, req.get_header_value("X-HubSpot-Signature-v3"),
                                    req.get_header_value("X-HubSpot-Request-Timestamp"),
                                    req.get_header_value("X-HubSpot-Signature-Version"));
  });
  int bound = port == 0 ? h.server->bind_to_any_port(addr) : (h.server->bind_to_port(addr, port) ? port : -1);
  if (bound <= 0) return base::Status::Error("cannot listen on " + listen + " (is the port in use?)");
  h.thread = std::thread([&h] { h.server->listen_after_bind(); });
  Say("worker", "listening for webhooks on " + addr + ":" + std::to_string(bound) + " (POST /hooks/<project>)" +
                    (h.sites.empty() ? "" : "; status pages at /p/<project>/"));
  return base::Status::Ok();
}

struct ServeArgs {
  std::string config, listen, public_url, name;
  int max_projects = 0;
  bool status = false;  // --status: the projects' status pages on the --listen port
};

int RunServe(const ServeArgs& a) {
  std::ifstream in(a.config, std::ios::binary);
  if (!in) {
    std::cerr << "accord serve: cannot read the config " << a.config << "\n";
    return kUsage;
  }
  std::stringstream text;
  text << in.rdbuf();
  ServeConfig config;
  std::string fatal;
  if (!ParseServeConfig(a.config, text.str(), &config, &fatal)) {
    std::cerr << "accord serve: " << fatal << "\n";
    return kUsage;
  }
  for (const std::string& problem : config.problems) std::cerr << "accord serve: " << problem << "\n";
  if (config.projects.empty()) {
    std::cerr << "accord serve: no project to serve in " << a.config << "\n";
    return kUsage;
  }
  if (a.status && a.listen.empty()) {
    std::cerr << "accord serve: --status serves the pages on the --listen port: give --listen ADDR:PORT\n";
    return kUsage;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  char host[256] = "host";
  gethostname(host, sizeof host - 1);
  std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(getpid()));
  char tail[9];
  std::snprintf(tail, sizeof tail, "%08x", static_cast<unsigned>(rng()));
  // one process: a restarted worker never inherits its predecessor's leases or tokens
  std::string holder = (a.name.empty() ? std::string(host) : a.name) + ":" + std::to_string(getpid()) + ":" + tail;
  std::string scratch = (fs::temp_directory_path() / ("accord-serve-" + std::to_string(getpid()))).string();

  // the coordination schema (and the schema of each project): a worker that starts before
  // PostgreSQL waits for it
  std::unique_ptr<store::StateStore> coord;
  for (int attempt = 0; !coord && !g_stop; ++attempt) {
    base::Status st = store::StateStore::CreateSchema(config.state, kCoordination);
    store::Status ost = st;
    if (st) coord = store::StateStore::Open(store::StateStore::InSchema(config.state, kCoordination), &ost);
    if (!coord) {
      if (attempt % 10 == 0) std::cerr << "accord serve: " << ost.message << " (trying again)\n";
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  if (!coord) return kOk;
  std::vector<const ServeProject*> projects;
  for (const ServeProject& p : config.projects) {
    base::Status st = store::StateStore::CreateSchema(config.state, SchemaOf(p.name));
    if (!st) {
      std::cerr << "accord serve: project \"" << p.name << "\": " << st.message << "; this project is not served\n";
      continue;
    }
    projects.push_back(&p);
  }
  Hooks hooks;
  hooks.public_url = a.public_url;
  if (!a.listen.empty()) {
    for (const ServeProject* p : projects) {
      if (!p->webhooks) continue;
      base::Result<std::string> secret = HubSpotAppSecret(RemoteOf(*p));
      if (!secret) {
        std::cerr << "accord serve: project \"" << p->name << "\": " << secret.status().message
                  << "; its webhooks are refused (its reconciliation passes still run)\n";
        continue;
      }
      connectors::WebhookOptions wo;
      wo.secret = *secret;
      hooks.receivers[p->name] = std::make_unique<connectors::WebhookReceiver>(std::move(wo));
    }
    if (const char* t = std::getenv("ACCORD_STATUS_TOKEN")) hooks.status_token = t;
    if (base::Status st = ListenHooks(hooks, a.listen, config.state, a.status ? projects : decltype(projects){}); !st) {
      std::cerr << "accord serve: " << st.message << "\n";
      return kUsage;
    }
  }
  Say("worker", holder + ": " + std::to_string(projects.size()) + " projects, leases of " +
                    std::to_string(config.lease_ms) + " ms");

  std::list<Held> held;                         // stable addresses: each thread holds its own
  std::map<std::string, int64_t> broken_until;  // projects that could not start: not taken again before then
  std::vector<std::pair<std::string, std::string>> unqueued;  // webhook events PostgreSQL did not take yet
  size_t rotation = rng() % projects.size();
  const int64_t renew_every = std::max<int64_t>(config.lease_ms / 5, 100);
  // the first share is taken after a renewal period: the heartbeats of workers started together
  // are seen by then
  int64_t next_renewal = 0, next_balance = NowMs() + std::min<int64_t>(renew_every, 1000);
  while (!g_stop) {
    // webhook events -> the queue (kept in memory while PostgreSQL is away)
    for (auto& [name, receiver] : hooks.receivers)
      for (const connectors::WebhookEvent& e : receiver->Wait(0)) unqueued.emplace_back(name, EventJson(e).dump());
    if (!unqueued.empty()) {
      base::Status st = InTransaction(*coord, [&]() -> base::Status {
        for (const auto& [name, event] : unqueued)
          if (base::Status q = coord->Enqueue(name, event); !q) return q;
        return base::Status::Ok();
      });
      if (st) {
        unqueued.clear();
      } else if (unqueued.size() > 100000) {  // PostgreSQL away for long: the reconciliation passes catch up
        Say("worker", "dropped " + std::to_string(unqueued.size() - 50000) +
                          " webhook events PostgreSQL could not take: " + st.message);
        unqueued.erase(unqueued.begin(), unqueued.end() - 50000);
      }
    }
    int64_t now = NowMs();
    if (now < next_renewal && now < next_balance) {
      std::this_thread::sleep_for(std::chrono::milliseconds(hooks.receivers.empty() ? 50 : 20));
      continue;
    }
    if (now >= next_renewal) {
      next_renewal = now + renew_every;
      (void)InTransaction(*coord, [&] {  // the heartbeat: lost while PostgreSQL is away, taken again after
        return coord->AcquireLease(kWorkerPrefix + holder, holder, config.lease_ms);
      });
      // renew what this worker holds; a thread whose lease moved on stops (its commits fail anyway)
      for (Held& h : held) {
        if (h.stop || h.done) continue;
        base::Result<int64_t> renewed =
            InTransaction(*coord, [&] { return coord->AcquireLease(h.project->name, holder, config.lease_ms); });
        if (renewed && *renewed != h.token) {
          Say(h.project->name, "the lease moved on while PostgreSQL was away (token " + std::to_string(h.token) +
                                   " -> " + std::to_string(*renewed) + "): restarting the project");
          h.stop = true;
        } else if (!renewed && renewed.status().message.find("held by") != std::string::npos) {
          Say(h.project->name, "lost the lease: " + renewed.status().message);
          h.stop = true;
        }
      }
    }
    if (now < next_balance) continue;
    next_balance = now + 250;
    // threads that ended: their leases go back at once
    for (auto it = held.begin(); it != held.end();) {
      if (!it->done) {
        ++it;
        continue;
      }
      it->thread.join();
      if (it->failed) broken_until[it->project->name] = now + 30000;
      const std::string& name = it->project->name;
      (void)InTransaction(*coord, [&] { return coord->ReleaseLease(name, holder); });  // best effort: it expires
      it = held.erase(it);
    }
    // the fair share: the projects over the workers alive (their heartbeats)
    base::Result<std::vector<std::pair<std::string, store::Lease>>> leases = InTransaction(
        *coord, [&]() -> base::Result<std::vector<std::pair<std::string, store::Lease>>> { return coord->Leases(); });
    if (!leases) continue;
    size_t workers = 0;
    std::map<std::string, store::Lease> by_project;
    for (const auto& [project, lease] : *leases) {
      if (project.rfind(kWorkerPrefix, 0) == 0)
        workers += lease.expires_at > now || lease.holder == holder;
      else
        by_project[project] = lease;
    }
    workers = std::max<size_t>(workers, 1);
    size_t fair = (projects.size() + workers - 1) / workers;
    if (a.max_projects > 0) fair = std::min<size_t>(fair, a.max_projects);
    size_t running = std::count_if(held.begin(), held.end(), [](const Held& h) { return !h.stop; });
    if (running > fair) {  // a worker joined: give one back (it is released once its thread stops)
      for (Held& h : held)
        if (!h.stop) {
          Say(h.project->name,
              "handing over: " + std::to_string(running) + " held, a fair share is " + std::to_string(fair));
          h.stop = true;
          break;
        }
      continue;
    }
    if (running >= fair) continue;
    // free projects up to the fair share, from a rotating start (workers starting together
    // spread out; a dead worker's projects are taken together once their leases expire)
    size_t start = rotation;
    for (size_t k = 0; k < projects.size() && running < fair; ++k) {
      const ServeProject* p = projects[(start + k) % projects.size()];
      if (std::any_of(held.begin(), held.end(), [&](const Held& h) { return h.project == p; })) continue;
      if (auto b = broken_until.find(p->name); b != broken_until.end() && b->second > now) continue;
      if (auto l = by_project.find(p->name); l != by_project.end() && l->second.expires_at > now) continue;
      base::Result<int64_t> token =
          InTransaction(*coord, [&] { return coord->AcquireLease(p->name, holder, config.lease_ms); });
      if (!token) continue;
      Held& h = held.emplace_back();
      h.project = p;
      h.token = *token;
      h.thread = std::thread([&config, &scratch, &h] {
        RunProject(config, scratch, h);
        h.done = true;
      });
      rotation = (start + k + 1) % projects.size();
      ++running;
    }
  }
  Say("worker", "stopping");
  for (Held& h : held) h.stop = true;
  for (Held& h : held) {
    h.thread.join();
    (void)InTransaction(*coord, [&] { return coord->ReleaseLease(h.project->name, holder); });  // best effort
  }
  (void)InTransaction(*coord, [&] { return coord->ReleaseLease(kWorkerPrefix + holder, holder); });
  if (hooks.server) hooks.server->stop();
  if (hooks.thread.joinable()) hooks.thread.join();
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return kOk;
}

}  // namespace

void RegisterServe(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Serve many sync projects; several workers share one PostgreSQL");
  cmd->add_option("--config", args->config, "the projects: a JSON file (docs/deployment.md)")->required();
  cmd->add_option("--listen", args->listen,
                  "receive the HubSpot webhooks of every project with \"webhooks\" on ADDR:PORT, at POST "
                  "/hooks/<project> (any worker takes them; the lease holder syncs them)");
  cmd->add_option("--public-url", args->public_url,
                  "the base URL HubSpot calls, as registered in the apps (signatures cover it; default: http:// + "
                  "the Host header)");
  cmd->add_flag("--status", args->status,
                "with --listen: serve each project's `accord status` pages at /p/<project>/ (one more PostgreSQL "
                "connection per project; off loopback every request needs Authorization: Bearer "
                "$ACCORD_STATUS_TOKEN)");
  cmd->add_option("--max-projects", args->max_projects, "hold at most this many projects (default: a fair share)");
  cmd->add_option("--name", args->name, "this worker's name in leases (default: the host name; the pid is added)");
  cmd->footer(
      "Runs until SIGTERM or Ctrl-C, then hands its projects back. One line per pass on stdout, "
      "\"[project] ...\".");
  cmd->callback([args, &exit_code] { exit_code = RunServe(*args); });
}

}  // namespace accord::cli
