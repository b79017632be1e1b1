#include "cli/connect.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/strings.h"
#include "cli/log.h"

namespace accord::cli {

namespace {

using nlohmann::json;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// The value of `key` under `section` of the credentials file, else the environment variable.
struct Source {
  json file = json::object();
  const std::map<std::string, std::string>* env_names = nullptr;  // RemoteArgs::env_names
  std::string Get(const char* section, const char* key, const char* env) const {
    if (file.contains(section) && file[section].is_object() && file[section].contains(key) &&
        file[section][key].is_string())
      return file[section][key].get<std::string>();
    if (env_names)
      if (auto it = env_names->find(env); it != env_names->end()) return Env(it->second.c_str());
    return Env(env);
  }
};

base::Status LoadCredentialsFile(const std::string& path, Source* src) {
  if (path.empty()) return base::Status::Ok();
  std::string text;
  if (!ReadFile(path, &text)) return base::Status::Error("cannot read the credentials file " + path);
  // never echo the file's contents: a parse error names the position only
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return base::Status::Error(
        "the credentials file " + path +
        " is not a JSON object like {\"salesforce\": {\"refresh_token\": ...}, \"hubspot\": {\"token\": ...}}");
  for (const char* section : {"salesforce", "hubspot"})
    if (j.contains(section) && !j[section].is_object())
      return base::Status::Error(std::string("the credentials file's \"") + section + "\" must be an object");
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
    std::string why = "the credentials file " + path + " is readable by other users; chmod 600 it";
    if (log::Json())
      log::Warn(log::Verb(), why, {{"credentials_file", path}});
    else
      std::cerr << "accord: warning: " << why << "\n";
  }
  src->file = std::move(j);
  return base::Status::Ok();
}

connectors::HttpOptions Http(const RemoteArgs& a) {
  connectors::HttpOptions h;
  h.cacert = a.cacert;
  if (a.verbose)
    h.verbose = [](const std::string& line) {
      if (log::Json())
        log::Write(log::Level::kDebug, log::Verb(), "http", {{"exchange", line}});
      else
        std::cerr << "http: " << line << "\n";
    };
  return h;
}

}  // namespace

void AddRemoteOptions(CLI::App* cmd, RemoteArgs& a) {
  cmd->add_option("--salesforce", a.salesforce_url,
                  "Salesforce instance URL (https://NAME.my.salesforce.com, or the URL `accord sandbox` prints)");
  cmd->add_option("--hubspot", a.hubspot_url, "HubSpot API base URL (https://api.hubapi.com, or the sandbox's)");
  cmd->add_option(
      "--credentials", a.credentials,
      "JSON credentials file {\"salesforce\": {...}, \"hubspot\": {\"token\": ...}} (default: environment)");
  cmd->add_option("--cacert", a.cacert, "CA bundle for TLS verification (verification is always on)");
  cmd->add_flag("--verbose", a.verbose,
                "one line per HTTP exchange on stderr (method, path, status, time; never secrets)");
}

base::Result<Connectors> OpenConnectors(const RemoteArgs& a, bool dry_run, const sema::Model* model) {
  Source src;
  src.env_names = &a.env_names;
  if (base::Status s = LoadCredentialsFile(a.credentials, &src); !s) return s;
  Connectors out;
  if (!a.salesforce_url.empty()) {
    connectors::SalesforceOptions o;
    o.instance_url = a.salesforce_url;
    o.http = Http(a);
    o.dry_run = dry_run;
    auto& c = o.credentials;
    c.access_token = src.Get("salesforce", "access_token", "ACCORD_SALESFORCE_ACCESS_TOKEN");
    c.refresh_token = src.Get("salesforce", "refresh_token", "ACCORD_SALESFORCE_REFRESH_TOKEN");
    c.client_id = src.Get("salesforce", "client_id", "ACCORD_SALESFORCE_CLIENT_ID");
    c.client_secret = src.Get("salesforce", "client_secret", "ACCORD_SALESFORCE_CLIENT_SECRET");
    c.username = src.Get("salesforce", "username", "ACCORD_SALESFORCE_USERNAME");
    c.private_key_file = src.Get("salesforce", "private_key_file", "ACCORD_SALESFORCE_PRIVATE_KEY_FILE");
    c.login_url = src.Get("salesforce", "login_url", "ACCORD_SALESFORCE_LOGIN_URL");
    if (c.access_token.empty() && c.refresh_token.empty() && c.private_key_file.empty())
      return base::Status::Error(
          "no Salesforce credentials: set ACCORD_SALESFORCE_ACCESS_TOKEN, or ACCORD_SALESFORCE_REFRESH_TOKEN + "
          "ACCORD_SALESFORCE_CLIENT_ID, or ACCORD_SALESFORCE_USERNAME + ACCORD_SALESFORCE_CLIENT_ID + "
          "ACCORD_SALESFORCE_PRIVATE_KEY_FILE (or name a --credentials file)");
    auto opened = connectors::SalesforceConnector::Open(std::move(o));
    if (!opened) {
      const std::string& err = opened.status().message;
      return base::Status::Error(err.rfind("Salesforce", 0) == 0 ? err : "salesforce: " + err);
    }
    out.salesforce = std::move(opened).value();
  }
  if (!a.hubspot_url.empty()) {
    connectors::HubSpotOptions o;
    o.base_url = a.hubspot_url;
    o.http = Http(a);
    o.dry_run = dry_run;
    o.token = src.Get("hubspot", "token", "ACCORD_HUBSPOT_TOKEN");
    if (o.token.empty()) {
      std::string file = src.Get("hubspot", "token_file", "ACCORD_HUBSPOT_TOKEN_FILE");
      if (!file.empty() && !ReadFile(file, &o.token))
        return base::Status::Error("cannot read the HubSpot token file " + file);
      o.token = std::string(base::Trim(o.token));
    }
    if (o.token.empty())
      return base::Status::Error(
          "no HubSpot token: set ACCORD_HUBSPOT_TOKEN or ACCORD_HUBSPOT_TOKEN_FILE (or name a --credentials file)");
    // the associations the rules read: `associate F <-> companies` in a sync of contacts
    if (model) {
      for (const sema::SyncInfo& s : model->syncs) {
        if (!s.decl || !s.hubspot) continue;
        for (const auto& item : s.decl->items)
          if (const auto* as = std::get_if<ast::Associate>(&item)) {
            auto& types = o.associations[s.hubspot->name];
            if (std::find(types.begin(), types.end(), as->hs_object.text) == types.end())
              types.push_back(as->hs_object.text);
          }
      }
    }
    auto opened = connectors::HubSpotConnector::Open(std::move(o));
    if (!opened) {
      const std::string& err = opened.status().message;
      return base::Status::Error(err.rfind("HubSpot", 0) == 0 ? err : "hubspot: " + err);
    }
    out.hubspot = std::move(opened).value();
  }
  return out;
}

base::Result<std::string> HubSpotAppSecret(const RemoteArgs& a) {
  Source src;
  src.env_names = &a.env_names;
  if (base::Status s = LoadCredentialsFile(a.credentials, &src); !s) return s;
  std::string secret = src.Get("hubspot", "app_secret", "ACCORD_HUBSPOT_APP_SECRET");
  if (secret.empty())
    return base::Status::Error(
        "--listen needs the HubSpot app's client secret, which signs its webhooks: set ACCORD_HUBSPOT_APP_SECRET (or "
        "\"app_secret\" under \"hubspot\" in the --credentials file)");
  return secret;
}

}  // namespace accord::cli
