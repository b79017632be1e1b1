#include "sandbox/sandbox.h"

#include <csignal>
#include <cstdlib>

namespace accord::sandbox {

std::unique_ptr<Sandbox> Sandbox::Start(const SandboxOptions& options, Status* status) {
  auto fail = [&](Status s) {
    if (status) *status = std::move(s);
    return nullptr;
  };
  if (options.token.empty()) return fail(Status::Error("the sandbox token must not be empty"));
  Seed seed;
  Status s = LoadSeed(options.seed_dir, &seed);
  if (!s) return fail(s);
  // A peer that closes its connection must not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<Sandbox> sb(new Sandbox());
  sb->token_ = options.token;
  sb->salesforce_ = std::make_unique<SalesforceEmulator>(seed, options.token, options.clock, &s);
  if (!s) return fail(Status::Error("salesforce seed: " + s.message));
  sb->hubspot_ = std::make_unique<HubSpotEmulator>(seed, options.token, options.clock, &s);
  if (!s) return fail(Status::Error("hubspot seed: " + s.message));
  if (!options.state_file.empty()) {
    sb->state_ = StateFile::Open(options.state_file, &s);
    if (!s) return fail(s);
    bool load = sb->state_->HasState();
    if (!(s = sb->salesforce_->AttachState(sb->state_.get(), load)) ||
        !(s = sb->hubspot_->AttachState(sb->state_.get(), load)))
      return fail(Status::Error(options.state_file + ": " + s.message));
  }
  if (options.salesforce_faults) sb->salesforce_->SetFaults(*options.salesforce_faults);
  if (options.hubspot_faults) sb->hubspot_->SetFaults(*options.hubspot_faults);
  if (!(s = sb->salesforce_->Listen(options.salesforce_port))) return fail(s);
  if (!(s = sb->hubspot_->Listen(options.hubspot_port))) {
    sb->salesforce_->Stop();
    return fail(s);
  }
  if (status) *status = Status::Ok();
  return sb;
}

Sandbox::~Sandbox() { Stop(); }

void Sandbox::Stop() {
  if (salesforce_) salesforce_->Stop();
  if (hubspot_) hubspot_->Stop();
}

std::string DefaultSeedDir() {
  if (const char* env = std::getenv("ACCORD_SANDBOX_SEED"); env && *env) return env;
#ifdef ACCORD_EXAMPLE_SEED
  return ACCORD_EXAMPLE_SEED;
#else
  return "examples/salesforce-hubspot";
#endif
}

}  // namespace accord::sandbox
