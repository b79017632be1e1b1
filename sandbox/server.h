// The HTTP plumbing both emulators share: one cpp-httplib server on 127.0.0.1,
// a small router over path segments, fault injection, the admin endpoints
// (/__sandbox/...: the sandbox token required, cross-origin requests refused, so
// that a web page open in the user's browser cannot reach them) and the request
// pipeline:
//
//   match route -> faults before (drop, latency, 429 storm, 5xx) -> lock state
//   -> authorize -> admit (API limits) -> handler -> decorate (limit headers)
//   -> unlock -> fault after (drop: processed, response lost)
//
// Handlers run under one mutex per emulator, so every request sees and leaves
// a consistent state. A handler never throws on bad input; the pipeline still
// catches anything that escapes and answers 500 in the API's error shape.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/common.h"
#include "sandbox/state_file.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace accord::sandbox {

// Fault injection, per emulator, settable per run (SandboxOptions) and live
// (POST /__sandbox/faults). Every decision is a hash of (seed, the request's
// sequence number, a salt): the same sequence of requests meets the same faults.
struct FaultConfig {
  uint64_t seed = 1;
  int latency_ms = 0;          // added to every request
  int latency_jitter_ms = 0;   // plus a deterministic 0..jitter
  double error_rate = 0;       // answered 500/502/503 without being processed
  double drop_rate = 0;        // connection closed without a response, not processed
  double drop_after_rate = 0;  // processed (and committed), then the connection is closed: the response is lost
  double storm_rate = 0;       // chance that a request starts a storm of storm_length rate-limit errors
  int storm_length = 5;
  double partial_rate = 0;    // per record of a batch write: fails transiently (Salesforce UNABLE_TO_LOCK_ROW,
                              // HubSpot an error entry in a 207), the others succeed
  double malformed_rate = 0;  // per record of a read page: served with a value of the wrong shape (HubSpot:
                              // `properties` not an object; Salesforce: a field holding an object), the rest intact
  std::string path;           // ECMAScript regex searched in the request path; empty = every API path
  // Push events (HubSpot webhooks): per event, never sent / sent twice; per batch, sent out
  // of order (after the next ones, reversed); every batch held back this long.
  double webhook_drop_rate = 0, webhook_duplicate_rate = 0, webhook_reorder_rate = 0;
  int webhook_delay_ms = 0;
  // Push events (Salesforce change events over CometD), per event by its replay id: never
  // delivered / delivered once more at the next /meta/connect / delivered after the events
  // committed after it (at the next /meta/connect); every event held back this long after its commit.
  double cdc_drop_rate = 0, cdc_duplicate_rate = 0, cdc_reorder_rate = 0;
  int cdc_delay_ms = 0;

  Json ToJson() const;
  // Replaces the fields present in j; unknown keys and out-of-range values are errors.
  static Status FromJson(const Json& j, FaultConfig* out);
  bool any() const;
};

class Emulator;

// One request on its way through the pipeline.
struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  Emulator& emulator;
  std::vector<std::string> args;  // the {} segments of the route, percent-decoded
  uint64_t seq = 0;               // sequence number among fault-eligible requests (0: not eligible)
  FaultConfig faults;             // the configuration when the request arrived
  int64_t now_ms = 0;             // the emulator's clock when the request was admitted
  std::vector<std::pair<std::string, std::string>> params;  // filled by the pipeline

  // The partial-failure fault for item `index` of a batch (SIZE_MAX: a write the
  // emulator makes itself, e.g. the records lead conversion creates, never fails).
  bool PartialFault(size_t index) const;
  // Query parameters (and the fields of an application/x-www-form-urlencoded
  // body), decoded with '+' as a space as form encoding has it.
  bool HasParam(const std::string& key) const;
  std::string Param(const std::string& key) const;                // the first value, or ""
  std::vector<std::string> Params(const std::string& key) const;  // every value
  std::string Header(const std::string& key) const;
  const std::string& Body() const;
  void Send(int status, const Json& body);
  void SendEmpty(int status);
  void SetHeader(const std::string& key, const std::string& value);
};

struct RouteOptions {
  bool authenticated = true;  // run Authorize and Admit
  bool admin = false;         // /__sandbox/...: no faults, no limits; the sandbox token, same origin only
  bool mutates = false;       // may change state (the state file is written after it)
};

class Emulator {
 public:
  // `admin_token`: what the admin endpoints require as "Authorization: Bearer".
  Emulator(std::string name, std::string admin_token, Clock clock);
  virtual ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Binds 127.0.0.1:port (0 = a free port) and serves on a thread.
  Status Listen(int port);
  // Stops serving and joins the thread; idempotent.
  void Stop();
  int port() const { return port_; }
  std::string base_url() const;
  const std::string& name() const { return name_; }

  void SetFaults(const FaultConfig& f);
  FaultConfig Faults();
  // The whole state as JSON (GET /__sandbox/dump).
  Json Dump();
  // The emulator's clock: the injected clock plus the admin offset.
  int64_t Now();
  void AdvanceClock(int64_t ms);
  // Keeps the state in `file` from now on (before Listen): with load, the
  // records and counters come from the file; otherwise the current (seed)
  // state is written into it.
  Status AttachState(StateFile* file, bool load);

 protected:
  using Handler = std::function<void(Call&)>;
  void Route(const std::string& method, const std::string& pattern, Handler handler, RouteOptions options = {});

  // Hooks, called with mu_ held.
  virtual bool Authorize(Call& c) = 0;  // false: a 401 was written
  virtual bool Admit(Call& c) = 0;      // false: a limit error was written
  virtual void Decorate(Call& c) {}     // headers every API response carries
  virtual void WriteNotFound(Call& c) = 0;
  virtual void WriteMethodNotAllowed(Call& c, const std::string& allowed) = 0;
  virtual void WriteStorm(Call& c) = 0;
  virtual void WriteServerError(Call& c, int status) = 0;
  virtual Json DumpLocked() = 0;
  virtual Status ResetLocked() = 0;                   // back to the seed; an error when it does not load
  virtual Json SettingsLocked() = 0;                  // GET /__sandbox/config
  virtual Status ConfigureLocked(const Json& j) = 0;  // POST /__sandbox/config
  // The state file's view of the emulator: every record, the records changed
  // since the last call (a row without body: removed), the global state.
  virtual std::vector<StateFile::Row> AllRowsLocked() = 0;
  virtual std::vector<StateFile::Row> DirtyRowsLocked() = 0;
  virtual Json MetaLocked() = 0;
  virtual Status LoadStateLocked(const std::vector<StateFile::Row>& rows, const Json& meta) = 0;
  bool persistent() const { return state_ != nullptr; }  // emulators track changed records only then
  // The JSON content type of the API.
  virtual const char* ContentType() const = 0;

  std::mutex mu_;  // guards the emulator's state

 private:
  struct RouteEntry {
    std::string method;
    std::vector<std::string> segments;  // "{}" = any one segment
    Handler handler;
    RouteOptions options;
  };
  void Dispatch(const httplib::Request& req, httplib::Response& res);
  // The admin endpoints' guard: false when a 401 or 403 was written.
  bool AdmitAdmin(Call& c);
  void Persist(bool all);  // writes the state file, if any (mu_ held)
  void RegisterAdminRoutes();
  static bool DropConnection(const httplib::Request& req);

  std::string name_;
  std::string admin_token_;
  Clock clock_;
  std::atomic<int64_t> clock_offset_{0};
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::vector<RouteEntry> routes_;
  StateFile* state_ = nullptr;

  std::mutex fault_mu_;  // guards the three below
  FaultConfig faults_;
  uint64_t fault_seq_ = 0;
  int storm_left_ = 0;
  friend struct Call;
};

}  // namespace accord::sandbox
