// `accord serve --config FILE` (docs/deployment.md): the projects one fleet of workers
// serves. JSON, read with nlohmann/json (the parser the CLI already uses for credentials
// files and reports; no new dependency, and every language writes it):
//
//   {
//     "state": "postgresql://accord@db.internal:5432/accord",  // no password: libpq's PGPASSFILE
//     "lease_seconds": 15,
//     "projects": [
//       {"name": "acme", "rules": "acme/", "revision": "v3",
//        "salesforce": "https://acme.my.salesforce.com", "hubspot": "https://api.hubapi.com",
//        "credentials": {"env": {"ACCORD_HUBSPOT_TOKEN": "ACME_HUBSPOT_TOKEN"}},
//        "interval": 60, "budget": "salesforce=10%,hubspot=10%", "webhooks": true}
//     ]
//   }
//
// Secrets are referenced, never written: credentials name a credentials file or the
// environment variables to read; a key that looks like a secret, or a password in the
// state URL, is an error. A problem of one project is a diagnostic that names the file,
// the project and the key, and leaves the other projects served; a problem of the file
// itself (syntax, `state`) stops the worker.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace accord::cli {

struct ServeProject {
  std::string name;      // [a-z0-9_]{1,40}: its state is the schema accord_p_<name>
  std::string rules;     // a rule file or folder (relative paths: to the config file's folder)
  std::string revision;  // "": the files as they are; else a git revision of the repository holding `rules`
  std::string data;      // a jsonl data folder, or:
  std::string salesforce, hubspot;
  std::string credentials_file;                  // a --credentials file
  std::map<std::string, std::string> env_names;  // ACCORD_* name -> the variable that holds it
  std::string cacert;
  double interval = 60;                               // seconds: the least time between reconciliation passes
  std::string budget = "salesforce=10%,hubspot=10%";  // as `accord run --budget`
  bool webhooks = false;                              // HubSpot webhooks at POST /hooks/<name>
  std::string engine = "auto";
};

struct ServeConfig {
  std::string state;  // postgresql://...
  int64_t lease_ms = 15000;
  std::vector<ServeProject> projects;  // the valid ones, in the file's order
  std::vector<std::string> problems;   // one line each: "FILE: project "x": ..." (those projects are left out)
};

// Parses the text of `path` (relative paths in it are resolved against its folder). false
// with *fatal set when the file cannot be served at all (unreadable, not JSON, no usable
// `state`); otherwise true, with each bad project's problem in config->problems.
bool ParseServeConfig(const std::string& path, const std::string& text, ServeConfig* config, std::string* fatal);

}  // namespace accord::cli
