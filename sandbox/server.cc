#include "sandbox/server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <regex>

namespace accord::sandbox {

// ---------------------------------------------------------------- faults

Json FaultConfig::ToJson() const {
  Json j;
  j["seed"] = seed;
  j["latency_ms"] = latency_ms;
  j["latency_jitter_ms"] = latency_jitter_ms;
  j["error_rate"] = error_rate;
  j["drop_rate"] = drop_rate;
  j["drop_after_rate"] = drop_after_rate;
  j["storm_rate"] = storm_rate;
  j["storm_length"] = storm_length;
  j["partial_rate"] = partial_rate;
  j["malformed_rate"] = malformed_rate;
  j["path"] = path;
  j["webhook_drop_rate"] = webhook_drop_rate;
  j["webhook_duplicate_rate"] = webhook_duplicate_rate;
  j["webhook_reorder_rate"] = webhook_reorder_rate;
  j["webhook_delay_ms"] = webhook_delay_ms;
  j["cdc_drop_rate"] = cdc_drop_rate;
  j["cdc_duplicate_rate"] = cdc_duplicate_rate;
  j["cdc_reorder_rate"] = cdc_reorder_rate;
  j["cdc_delay_ms"] = cdc_delay_ms;
  return j;
}

Status FaultConfig::FromJson(const Json& j, FaultConfig* out) {
  if (!j.is_object()) return Status::Error("faults must be a JSON object");
  FaultConfig f = *out;
  for (const auto& [key, v] : j.items()) {
    auto rate = [&](double* field) -> Status {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1)
        return Status::Error("faults." + key + " must be a number from 0 to 1");
      *field = v.get<double>();
      return Status::Ok();
    };
    auto count = [&](int* field, int max) -> Status {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > max)
        return Status::Error("faults." + key + " must be an integer from 0 to " + std::to_string(max));
      *field = static_cast<int>(v.get<int64_t>());
      return Status::Ok();
    };
    Status s;
    if (key == "seed") {
      if (!v.is_number_integer()) return Status::Error("faults.seed must be an integer");
      f.seed = v.is_number_unsigned() ? v.get<uint64_t>() : static_cast<uint64_t>(v.get<int64_t>());
    } else if (key == "latency_ms") {
      s = count(&f.latency_ms, 60000);
    } else if (key == "latency_jitter_ms") {
      s = count(&f.latency_jitter_ms, 60000);
    } else if (key == "error_rate") {
      s = rate(&f.error_rate);
    } else if (key == "drop_rate") {
      s = rate(&f.drop_rate);
    } else if (key == "drop_after_rate") {
      s = rate(&f.drop_after_rate);
    } else if (key == "storm_rate") {
      s = rate(&f.storm_rate);
    } else if (key == "storm_length") {
      s = count(&f.storm_length, 100000);
    } else if (key == "partial_rate") {
      s = rate(&f.partial_rate);
    } else if (key == "malformed_rate") {
      s = rate(&f.malformed_rate);
    } else if (key == "webhook_drop_rate") {
      s = rate(&f.webhook_drop_rate);
    } else if (key == "webhook_duplicate_rate") {
      s = rate(&f.webhook_duplicate_rate);
    } else if (key == "webhook_reorder_rate") {
      s = rate(&f.webhook_reorder_rate);
    } else if (key == "webhook_delay_ms") {
      s = count(&f.webhook_delay_ms, 600000);
    } else if (key == "cdc_drop_rate") {
      s = rate(&f.cdc_drop_rate);
    } else if (key == "cdc_duplicate_rate") {
      s = rate(&f.cdc_duplicate_rate);
    } else if (key == "cdc_reorder_rate") {
      s = rate(&f.cdc_reorder_rate);
    } else if (key == "cdc_delay_ms") {
      s = count(&f.cdc_delay_ms, 600000);
    } else if (key == "path") {
      if (!v.is_string()) return Status::Error("faults.path must be a string (a regular expression)");
      try {
        std::regex re(v.get<std::string>());
      } catch (const std::regex_error& e) {
        return Status::Error("faults.path is not a valid regular expression: " + std::string(e.what()));
      }
      f.path = v.get<std::string>();
    } else {
      return Status::Error("unknown fault setting '" + key +
                           "' (known: seed, latency_ms, latency_jitter_ms, error_rate, drop_rate, drop_after_rate, "
                           "storm_rate, storm_length, partial_rate, malformed_rate, path, webhook_drop_rate, "
                           "webhook_duplicate_rate, webhook_reorder_rate, webhook_delay_ms, cdc_drop_rate, "
                           "cdc_duplicate_rate, cdc_reorder_rate, cdc_delay_ms)");
    }
    if (!s) return s;
  }
  *out = f;
  return Status::Ok();
}

bool FaultConfig::any() const {
  return latency_ms > 0 || latency_jitter_ms > 0 || error_rate > 0 || drop_rate > 0 || drop_after_rate > 0 ||
         storm_rate > 0 || partial_rate > 0 || malformed_rate > 0;
}

// The malformed-record fault: records of a read page (HubSpot `results`, Salesforce `records`)
// served with a value of the wrong shape, the page and the other records intact. Nothing
// stored changes: the next read of the record is whole again (unless it meets the fault).
namespace {
void MalformRecords(Call& c) {
  if (c.res.status != 200 && c.res.status != 207) return;
  Json j = Json::parse(c.res.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  const char* key = j.contains("results") ? "results" : j.contains("records") ? "records" : nullptr;
  if (!key || !j[key].is_array()) return;
  const std::string why = "malformed by the sandbox (fault malformed_rate)";
  bool changed = false;
  for (size_t i = 0; i < j[key].size(); ++i) {
    Json& rec = j[key][i];
    if (!rec.is_object() || UnitInterval(Hash3(c.faults.seed, c.seq, 3000 + i)) >= c.faults.malformed_rate) continue;
    if (rec.contains("properties")) {
      rec["properties"] = why;
      changed = true;
      continue;
    }
    for (auto& [field, value] : rec.items())
      if (field != "attributes" && field != "Id") {
        value = Json{{"malformed", why}};
        changed = true;
        break;
      }
  }
  if (changed) c.res.body = DumpJson(j);
}
}  // namespace

// ---------------------------------------------------------------- Call

bool Call::PartialFault(size_t index) const {
  return seq != 0 && index != SIZE_MAX && faults.partial_rate > 0 &&
         UnitInterval(Hash3(faults.seed, seq, 1000 + index)) < faults.partial_rate;
}

bool Call::HasParam(const std::string& key) const {
  for (const auto& [k, v] : params) {
    if (k == key) return true;
  }
  return false;
}

std::string Call::Param(const std::string& key) const {
  for (const auto& [k, v] : params) {
    if (k == key) return v;
  }
  return "";
}

std::vector<std::string> Call::Params(const std::string& key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : params) {
    if (k == key) out.push_back(v);
  }
  return out;
}
std::string Call::Header(const std::string& key) const { return req.get_header_value(key.c_str()); }
const std::string& Call::Body() const { return req.body; }

void Call::Send(int status, const Json& body) {
  res.status = status;
  res.set_content(DumpJson(body), emulator.ContentType());
}

void Call::SendEmpty(int status) {
  res.status = status;
  res.body.clear();
}

void Call::SetHeader(const std::string& key, const std::string& value) { res.set_header(key.c_str(), value); }

// ---------------------------------------------------------------- Emulator

namespace {

// a=1&b=x+y -> {a: 1, b: "x y"}
void ParseForm(std::string_view text, std::vector<std::pair<std::string, std::string>>* out) {
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('&', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view pair = text.substr(i, j - i);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto decode = [](std::string_view s) {
        std::string plus(s);
        for (char& c : plus) {
          if (c == '+') c = ' ';
        }
        return PercentDecode(plus);
      };
      out->emplace_back(decode(pair.substr(0, eq)), eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1)));
    }
    i = j + 1;
  }
}

std::vector<std::string> SplitPath(std::string_view path, bool decode) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(decode ? PercentDecode(path.substr(i, j - i)) : std::string(path.substr(i, j - i)));
    i = j + 1;
  }
  return out;
}

}  // namespace

Emulator::Emulator(std::string name, std::string admin_token, Clock clock)
    : name_(std::move(name)), admin_token_(std::move(admin_token)), clock_(std::move(clock)) {
  if (!clock_) clock_ = SystemClockMs;
  RegisterAdminRoutes();
}

Emulator::~Emulator() { Stop(); }

int64_t Emulator::Now() { return clock_() + clock_offset_.load(); }
void Emulator::AdvanceClock(int64_t ms) { clock_offset_ += ms; }

std::string Emulator::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void Emulator::SetFaults(const FaultConfig& f) {
  std::lock_guard<std::mutex> g(fault_mu_);
  faults_ = f;
  fault_seq_ = 0;
  storm_left_ = 0;
}

FaultConfig Emulator::Faults() {
  std::lock_guard<std::mutex> g(fault_mu_);
  return faults_;
}

Json Emulator::Dump() {
  std::lock_guard<std::mutex> g(mu_);
  return DumpLocked();
}

Status Emulator::AttachState(StateFile* file, bool load) {
  std::lock_guard<std::mutex> g(mu_);
  state_ = file;
  if (!load) return file->Save(name_, AllRowsLocked(), MetaLocked(), true);
  std::vector<StateFile::Row> rows;
  Json meta;
  Status s = file->Load(name_, &rows, &meta);
  if (s) s = LoadStateLocked(rows, meta);
  DirtyRowsLocked();  // what loading touched is already in the file
  return s;
}

void Emulator::Persist(bool all) {
  if (!state_) return;
  Status s = all ? state_->Save(name_, AllRowsLocked(), MetaLocked(), true)
                 : state_->Save(name_, DirtyRowsLocked(), MetaLocked(), false);
  if (!s) std::fprintf(stderr, "accord sandbox: %s: %s\n", name_.c_str(), s.message.c_str());
}

void Emulator::Route(const std::string& method, const std::string& pattern, Handler handler, RouteOptions options) {
  routes_.push_back(RouteEntry{method, SplitPath(pattern, false), std::move(handler), options});
}

Status Emulator::Listen(int port) {
  if (server_) return Status::Error(name_ + ": already listening");
  server_ = std::make_unique<httplib::Server>();
  // Enough workers that keep-alive connections of a client pool do not starve each other.
  server_->new_task_queue = [] { return new httplib::ThreadPool(16); };
  server_->set_keep_alive_max_count(1000);
  server_->set_keep_alive_timeout(5);
  server_->set_payload_max_length(size_t{64} << 20);
  // SO_REUSEADDR only: cpp-httplib's default also sets SO_REUSEPORT, which would let a
  // second sandbox share a port that is in use instead of failing.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  auto h = [this](const httplib::Request& q, httplib::Response& r) { Dispatch(q, r); };
  server_->Get(".*", h);
  server_->Post(".*", h);
  server_->Put(".*", h);
  server_->Patch(".*", h);
  server_->Delete(".*", h);
  server_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(R"([{"message":"An unexpected error occurred.","errorCode":"UNKNOWN_EXCEPTION"}])",
                    "application/json");
  });
  int bound =
      port == 0 ? server_->bind_to_any_port("127.0.0.1") : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    server_.reset();
    return Status::Error(name_ + ": cannot listen on 127.0.0.1:" + std::to_string(port) + " (is the port in use?)");
  }
  port_ = bound;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() only wakes a server that is already running: wait for it, so that a
  // Stop() right after Listen() cannot leave the thread blocked in accept().
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!server_->is_running()) {
    Stop();
    return Status::Error(name_ + ": the server on 127.0.0.1:" + std::to_string(port_) + " did not start");
  }
  return Status::Ok();
}

void Emulator::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

bool Emulator::DropConnection(const httplib::Request& req) {
  // cpp-httplib does not expose a request's socket; find it by its two ports
  // and shut it down, so the client sees the connection close with no response.
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return false;
  bool done = false;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    auto port_of = [](const sockaddr_storage& a) -> int {
      if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
      if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
      return -1;
    };
    if (port_of(local) == req.local_port && port_of(peer) == req.remote_port) {
      shutdown(static_cast<int>(fd), SHUT_RDWR);
      done = true;
      break;
    }
  }
  closedir(dir);
  return done;
}

void Emulator::Dispatch(const httplib::Request& req, httplib::Response& res) {
  std::string_view target = req.target;
  std::string_view path = target.substr(0, target.find('?'));
  std::vector<std::string> segments = SplitPath(path, true);

  const RouteEntry* match = nullptr;
  std::vector<std::string> args;
  std::string allowed;
  for (const RouteEntry& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    std::vector<std::string> a;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      if (r.segments[i] == "{}") {
        a.push_back(segments[i]);
      } else {
        ok = r.segments[i] == segments[i];
      }
    }
    if (!ok) continue;
    if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) {
      match = &r;
      args = std::move(a);
      break;
    }
    if (allowed.find(r.method) == std::string::npos) allowed += (allowed.empty() ? "" : ",") + r.method;
  }

  Call c{req, res, *this, std::move(args), 0, FaultConfig{}, 0, {}};
  if (size_t q = target.find('?'); q != std::string_view::npos) ParseForm(target.substr(q + 1), &c.params);
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
    ParseForm(req.body, &c.params);
  if (match && match->options.admin) {
    if (!AdmitAdmin(c)) return;
    std::lock_guard<std::mutex> g(mu_);
    c.now_ms = Now();
    match->handler(c);
    return;
  }

  // Faults decided before anything is processed.
  bool drop = false, drop_after = false, storm = false;
  int error_status = 0, latency = 0;
  {
    std::lock_guard<std::mutex> g(fault_mu_);
    c.faults = faults_;
    bool eligible = faults_.any();
    if (eligible && !faults_.path.empty()) {
      try {
        eligible = std::regex_search(std::string(path), std::regex(faults_.path));
      } catch (const std::regex_error&) {
        eligible = false;
      }
    }
    if (eligible) {
      const FaultConfig& f = faults_;
      c.seq = ++fault_seq_;
      auto draw = [&](uint64_t salt) { return UnitInterval(Hash3(f.seed, c.seq, salt)); };
      drop = draw(1) < f.drop_rate;
      latency = f.latency_ms +
                (f.latency_jitter_ms > 0 ? static_cast<int>(Hash3(f.seed, c.seq, 2) % (f.latency_jitter_ms + 1)) : 0);
      if (!drop) {
        if (storm_left_ > 0) {
          --storm_left_;
          storm = true;
        } else if (f.storm_length > 0 && draw(3) < f.storm_rate) {
          storm_left_ = f.storm_length - 1;
          storm = true;
        }
        if (!storm && draw(4) < f.error_rate) {
          static const int kStatuses[] = {500, 502, 503};
          error_status = kStatuses[Hash3(f.seed, c.seq, 5) % 3];
        }
        drop_after = !storm && !error_status && draw(6) < f.drop_after_rate;
      }
    }
  }
  if (latency > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency));
  if (drop) {
    if (!DropConnection(req)) {
      // No socket found: send headers, then abort the body.
      res.set_content_provider(1024, "application/json", [](size_t, size_t, httplib::DataSink&) { return false; });
    }
    return;
  }

  {
    std::lock_guard<std::mutex> g(mu_);
    c.now_ms = Now();
    if (storm) {
      WriteStorm(c);
    } else if (error_status) {
      WriteServerError(c, error_status);
    } else if (!match) {
      if (!allowed.empty()) {
        WriteMethodNotAllowed(c, allowed);
      } else {
        WriteNotFound(c);
      }
    } else if (!match->options.authenticated || (Authorize(c) && Admit(c))) {
      try {
        match->handler(c);
      } catch (const std::exception&) {
        WriteServerError(c, 500);
      }
      if (match->options.mutates)
        Persist(false);
      else if (c.seq != 0 && c.faults.malformed_rate > 0)
        MalformRecords(c);
    }
    Decorate(c);
  }
  if (drop_after) DropConnection(req);
}

bool Emulator::AdmitAdmin(Call& c) {
  // A browser names the page's origin on every cross-origin request (and on
  // same-origin POSTs): only the sandbox's own page may call; no CORS headers
  // are ever sent, so no other origin can read an answer either.
  std::string origin = c.Header("Origin");
  if (!origin.empty() && origin != base_url() && origin != "http://localhost:" + std::to_string(port_)) {
    c.Send(403,
           Json{{"error", "cross-origin request refused: the admin endpoints answer only the sandbox's own origin (" +
                              base_url() + "), not " + origin}});
    return false;
  }
  std::string auth = c.Header("Authorization");
  if (auth.size() <= 7 || !EqualsIgnoreCase(auth.substr(0, 7), "Bearer ") || auth.substr(7) != admin_token_) {
    c.SetHeader("WWW-Authenticate", "Bearer realm=\"accord sandbox admin\"");
    c.Send(401, Json{{"error", std::string(auth.empty() ? "no" : "a wrong") +
                                   " token: the admin endpoints need \"Authorization: Bearer TOKEN\" with the sandbox "
                                   "token (accord sandbox --token, or the token it prints)"}});
    return false;
  }
  return true;
}

void Emulator::RegisterAdminRoutes() {
  RouteOptions admin;
  admin.admin = true;
  auto bad = [](Call& c, const std::string& message) { c.Send(400, Json{{"error", message}}); };
  auto body_object = [bad](Call& c, Json* out) {
    if (c.Body().empty()) {
      *out = Json::object();
      return true;
    }
    if (Status parsed = ParseJson(c.Body(), out); !parsed || !out->is_object()) {
      bad(c, "the body must be a JSON object" + (parsed.message.empty() ? "" : ": " + parsed.message));
      return false;
    }
    return true;
  };
  Route(
      "GET", "/__sandbox/dump", [this](Call& c) { c.Send(200, DumpLocked()); }, admin);
  Route(
      "GET", "/__sandbox/faults", [this](Call& c) { c.Send(200, Faults().ToJson()); }, admin);
  Route(
      "POST", "/__sandbox/faults",
      [this, bad, body_object](Call& c) {
        Json j;
        if (!body_object(c, &j)) return;
        FaultConfig f;  // replaces: keys not given take their defaults
        Status s = FaultConfig::FromJson(j, &f);
        if (!s) return bad(c, s.message);
        SetFaults(f);
        c.Send(200, f.ToJson());
      },
      admin);
  Route(
      "POST", "/__sandbox/reset",
      [this](Call& c) {
        Status s = ResetLocked();
        Persist(true);  // what is in memory now, loaded or not
        if (!s) return c.Send(500, Json{{"error", "the seed does not load again: " + s.message}});
        c.Send(200, Json{{"reset", true}});
      },
      admin);
  Route(
      "GET", "/__sandbox/config", [this](Call& c) { c.Send(200, SettingsLocked()); }, admin);
  Route(
      "POST", "/__sandbox/config",
      [this, bad, body_object](Call& c) {
        Json j;
        if (!body_object(c, &j)) return;
        Status s = ConfigureLocked(j);
        if (!s) return bad(c, s.message);
        c.Send(200, SettingsLocked());
      },
      admin);
  auto clock = [this](Call& c) {
    int64_t now = Now();
    c.Send(200, Json{{"now_ms", now}, {"now", FormatIsoMs(now)}, {"offset_ms", clock_offset_.load()}});
  };
  Route("GET", "/__sandbox/clock", clock, admin);
  Route(
      "POST", "/__sandbox/clock",
      [this, bad, body_object, clock](Call& c) {
        Json j;
        if (!body_object(c, &j)) return;
        auto it = j.find("advance_ms");
        if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0)
          return bad(c, "POST /__sandbox/clock takes {\"advance_ms\": N} with N >= 0");
        AdvanceClock(it->get<int64_t>());
        clock(c);
      },
      admin);
}

}  // namespace accord::sandbox
