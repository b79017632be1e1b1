// accord sandbox: emulated Salesforce and HubSpot APIs on loopback, seeded from
// a folder of schemas and sample data (sandbox/seed.h, docs/sandbox.md).
//
//   sandbox::SandboxOptions o;
//   o.seed_dir = sandbox::DefaultSeedDir();          // the built-in example
//   sandbox::Status s;
//   auto sb = sandbox::Sandbox::Start(o, &s);        // ports 0 = free ports
//   ... sb->salesforce_url(), sb->hubspot_url(), sb->token() ...
//   sb->Stop();
//
// Tests and connectors use it in process; `accord sandbox` wraps it in a CLI.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "sandbox/common.h"
#include "sandbox/hubspot.h"
#include "sandbox/salesforce.h"
#include "sandbox/server.h"

namespace accord::sandbox {

struct SandboxOptions {
  std::string seed_dir;     // a seed folder; DefaultSeedDir() is the built-in example
  int salesforce_port = 0;  // 0 = a free port
  int hubspot_port = 0;
  std::string token = "accord-sandbox-token";  // accepted by both APIs (and as the Salesforce refresh token)
  std::string state_file;                      // SQLite file the state is kept in; empty = memory only
  // Override the seed's sandbox.json faults when set.
  std::optional<FaultConfig> salesforce_faults, hubspot_faults;
  Clock clock;  // default: the system clock
};

class Sandbox {
 public:
  // Loads the seed (and the state file, if it holds a state) and starts both
  // servers. nullptr with *status set on failure.
  static std::unique_ptr<Sandbox> Start(const SandboxOptions& options, Status* status);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Stops both servers (and writes the state file); idempotent.
  void Stop();

  std::string salesforce_url() const { return salesforce_->base_url(); }
  std::string hubspot_url() const { return hubspot_->base_url(); }
  const std::string& token() const { return token_; }
  SalesforceEmulator& salesforce() { return *salesforce_; }
  HubSpotEmulator& hubspot() { return *hubspot_; }

 private:
  Sandbox() = default;
  std::string token_;
  std::unique_ptr<StateFile> state_;  // outlives the emulators (declared first)
  std::unique_ptr<SalesforceEmulator> salesforce_;
  std::unique_ptr<HubSpotEmulator> hubspot_;
};

// The built-in example's folder: $ACCORD_SANDBOX_SEED if set, else the
// example of the source tree this binary was built from.
std::string DefaultSeedDir();

}  // namespace accord::sandbox
