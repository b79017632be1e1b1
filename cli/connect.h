// Connecting the CLI to the real APIs (or `accord sandbox`): the options every
// remote verb shares, credentials from the environment or a credentials file
// (never from rule files), and the two HTTP connectors.
//
// Credentials (environment; a --credentials JSON file with the same names in
// lower case under "salesforce" / "hubspot" takes precedence):
//   ACCORD_SALESFORCE_ACCESS_TOKEN                       a session token, used as is
//   ACCORD_SALESFORCE_REFRESH_TOKEN + _CLIENT_ID [+ _CLIENT_SECRET]   refresh-token flow
//   ACCORD_SALESFORCE_USERNAME + _CLIENT_ID + _PRIVATE_KEY_FILE       JWT bearer flow
//   ACCORD_SALESFORCE_LOGIN_URL                           token endpoint host (default: the instance URL)
//   ACCORD_HUBSPOT_TOKEN or ACCORD_HUBSPOT_TOKEN_FILE     private-app token
//   ACCORD_HUBSPOT_APP_SECRET                             the app's client secret (webhook signatures, --listen)
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <string>

#include "compiler/sema/checker.h"
#include "runtime/connectors/hubspot.h"
#include "runtime/connectors/salesforce.h"

namespace accord::cli {

struct RemoteArgs {
  std::string salesforce_url, hubspot_url;
  std::string credentials;  // a JSON credentials file
  std::string cacert;       // a CA bundle for TLS verification
  bool verbose = false;     // one line per HTTP exchange on stderr (never headers, bodies or tokens)
  // `accord serve`: a project's own environment variables, by the name they stand for
  // (ACCORD_HUBSPOT_TOKEN -> ACME_HUBSPOT_TOKEN); a name not listed is read as is.
  std::map<std::string, std::string> env_names;
  bool remote() const { return !salesforce_url.empty() || !hubspot_url.empty(); }
};

void AddRemoteOptions(CLI::App* cmd, RemoteArgs& a);

struct Connectors {
  std::unique_ptr<connectors::SalesforceConnector> salesforce;
  std::unique_ptr<connectors::HubSpotConnector> hubspot;
};

// Opens the connectors the arguments name. `model` (may be null) tells which
// HubSpot associations the rules read. An error status (secrets redacted) when
// credentials are missing or a connector cannot open.
base::Result<Connectors> OpenConnectors(const RemoteArgs& a, bool dry_run, const sema::Model* model);

// The HubSpot app's client secret that signs its webhooks (`run --watch --listen`): an
// error when neither the credentials file nor the environment has one.
base::Result<std::string> HubSpotAppSecret(const RemoteArgs& a);

}  // namespace accord::cli
