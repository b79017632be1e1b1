// accord sandbox [--seed DIR] [--port-salesforce N] [--port-hubspot N] [--token T] [--state FILE]
//
// Emulated Salesforce and HubSpot APIs on 127.0.0.1 (sandbox/, docs/sandbox.md),
// seeded from DIR (default: the built-in example). Prints both base URLs and
// the access token, then serves until SIGINT or SIGTERM and stops cleanly.
#include "sandbox/sandbox.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"

namespace accord::cli {

namespace {

struct SandboxArgs {
  std::string seed;
  int port_salesforce = 0, port_hubspot = 0;
  std::string token = "accord-sandbox-token";
  std::string state;
  std::string webhook_url, webhook_secret;
  int webhook_batch_ms = -1;
};

int RunSandbox(const SandboxArgs& a) {
  // Block the stop signals before any server thread exists, so every thread
  // inherits the mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  sandbox::SandboxOptions o;
  o.seed_dir = a.seed.empty() ? sandbox::DefaultSeedDir() : a.seed;
  o.salesforce_port = a.port_salesforce;
  o.hubspot_port = a.port_hubspot;
  o.token = a.token;
  o.state_file = a.state;
  sandbox::Status status;
  auto sb = sandbox::Sandbox::Start(o, &status);
  if (!sb) {
    std::cerr << "accord sandbox: " << status.message << "\n";
    return kUsage;
  }
  if (!a.webhook_url.empty()) {
    std::string secret = a.webhook_secret;
    if (secret.empty())
      if (const char* e = std::getenv("ACCORD_SANDBOX_WEBHOOK_SECRET")) secret = e;
    sandbox::Json w{{"url", a.webhook_url}, {"secret", secret}};
    if (a.webhook_batch_ms >= 0) w["batch_ms"] = a.webhook_batch_ms;
    if (sandbox::Status ws = sb->hubspot().ConfigureWebhooks(w); !ws) {
      std::cerr << "accord sandbox: " << ws.message << "\n";
      sb->Stop();
      return kUsage;
    }
  }
  std::cout << "salesforce: " << sb->salesforce_url() << "   (instance URL; REST at /services/data/v62.0)\n"
            << "hubspot:    " << sb->hubspot_url() << "   (CRM API at /crm/v3, /crm/v4)\n"
            << "token:      " << sb->token() << "\n"
            << "seed:       " << o.seed_dir << "\n"
            << (a.webhook_url.empty() ? "" : "webhooks:   HubSpot events to " + a.webhook_url + "\n")
            << "Ctrl-C stops. Admin (with the token): GET /__sandbox/dump, POST /__sandbox/faults (docs/sandbox.md)"
            << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  sb->Stop();
  std::cout << "accord sandbox: stopped (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
  return kOk;
}

}  // namespace

void RegisterSandbox(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SandboxArgs>();
  auto* cmd = app.add_subcommand("sandbox", "Run emulated Salesforce and HubSpot APIs on loopback with sample data");
  cmd->footer(
      "Seed folder: DIR/schemas/{salesforce,hubspot}/*.json, DIR/data/{salesforce,hubspot}/*.jsonl, optional\n"
      "DIR/sandbox.json (limits, validation/duplicate rules, faults). Port 0 = a free port. See docs/sandbox.md.");
  cmd->add_option("--seed", args->seed, "seed folder (default: the built-in example)");
  cmd->add_option("--port-salesforce", args->port_salesforce, "Salesforce port (default: a free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--port-hubspot", args->port_hubspot, "HubSpot port (default: a free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--token", args->token, "the access token both APIs accept");
  cmd->add_option("--state", args->state, "keep the state in this SQLite file (default: memory only)");
  cmd->add_option("--webhook-url", args->webhook_url,
                  "deliver HubSpot webhook events (signed, batched, retried) to this http:// URL");
  cmd->add_option("--webhook-secret", args->webhook_secret,
                  "the HubSpot app secret that signs them (default: $ACCORD_SANDBOX_WEBHOOK_SECRET)");
  cmd->add_option("--webhook-batch-ms", args->webhook_batch_ms, "events made within this long go out together (50)");
  cmd->callback([args, &exit_code] { exit_code = RunSandbox(*args); });
}

}  // namespace accord::cli
