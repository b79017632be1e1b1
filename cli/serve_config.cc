#include "cli/serve_config.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "runtime/connectors/budget.h"
#include "runtime/store/state_store.h"

namespace accord::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// "line L, column C" of a byte offset (nlohmann's parse errors give the offset).
std::string Where(const std::string& text, size_t byte) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

// A key that holds a secret itself rather than naming where it is.
bool LooksSecret(const std::string& key) {
  for (const char* s : {"token", "password", "secret", "private_key", "api_key", "apikey"})
    if (key.find(s) != std::string::npos && key.find("_file") == std::string::npos) return true;
  return false;
}

std::string Known(const std::set<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

bool ValidName(const std::string& n) {
  return !n.empty() && n.size() <= 40 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// One project; "" when it is good, else what is wrong.
std::string ParseProject(const json& p, const fs::path& dir, ServeProject* out) {
  static const std::set<std::string> kKeys = {"name",        "rules",  "revision", "data",   "salesforce", "hubspot",
                                              "credentials", "cacert", "interval", "budget", "webhooks",   "engine"};
  if (!p.is_object()) return "is not an object";
  auto text = [&](const char* key, std::string* into) -> std::string {
    if (!p.contains(key)) return "";
    if (!p[key].is_string()) return std::string("\"") + key + "\" must be a string";
    *into = p[key].get<std::string>();
    return "";
  };
  for (const auto& [key, value] : p.items()) {
    if (LooksSecret(key))
      return "\"" + key +
             "\": secrets are never written in the config; name a credentials file or environment variables "
             "under \"credentials\"";
    if (!kKeys.count(key)) return "unknown key \"" + key + "\" (known: " + Known(kKeys) + ")";
  }
  for (auto [key, into] : std::initializer_list<std::pair<const char*, std::string*>>{{"rules", &out->rules},
                                                                                      {"revision", &out->revision},
                                                                                      {"data", &out->data},
                                                                                      {"salesforce", &out->salesforce},
                                                                                      {"hubspot", &out->hubspot},
                                                                                      {"cacert", &out->cacert},
                                                                                      {"budget", &out->budget},
                                                                                      {"engine", &out->engine}})
    if (std::string e = text(key, into); !e.empty()) return e;
  if (out->rules.empty()) return "\"rules\" is missing (a rule file or folder)";
  auto resolve = [&](std::string* path) {
    if (!path->empty() && fs::path(*path).is_relative()) *path = (dir / *path).lexically_normal().string();
  };
  resolve(&out->rules);
  resolve(&out->data);
  resolve(&out->cacert);
  std::error_code ec;
  if (!fs::exists(out->rules, ec)) return "\"rules\": " + out->rules + " does not exist";
  bool remote = !out->salesforce.empty() || !out->hubspot.empty();
  if (remote && !out->data.empty()) return "give either \"data\" or \"salesforce\" and \"hubspot\", not both";
  if (remote && (out->salesforce.empty() || out->hubspot.empty()))
    return "a sync needs both systems: \"salesforce\" and \"hubspot\"";
  if (!remote && out->data.empty())
    return "where is the data? \"data\" (a jsonl folder) or \"salesforce\" and \"hubspot\"";
  if (!remote && !fs::is_directory(out->data, ec)) return "\"data\": " + out->data + " is not a folder";
  if (p.contains("interval")) {
    if (!p["interval"].is_number() || p["interval"].get<double>() <= 0)
      return "\"interval\" must be a number of seconds above 0";
    out->interval = p["interval"].get<double>();
  }
  if (p.contains("webhooks")) {
    if (!p["webhooks"].is_boolean()) return "\"webhooks\" must be true or false";
    out->webhooks = p["webhooks"].get<bool>();
  }
  if (out->webhooks && !remote) return "\"webhooks\" needs the APIs (\"salesforce\" and \"hubspot\")";
  if (base::Result<connectors::Budget> b = connectors::ParseBudget(out->budget); !b)
    return "\"budget\": " + b.status().message;
  if (out->engine != "auto" && out->engine != "interp" && out->engine != "jit")
    return "\"engine\" must be interp, jit or auto";
  if (p.contains("credentials")) {
    const json& c = p["credentials"];
    if (!c.is_object()) return "\"credentials\" must be an object: {\"file\": PATH} or {\"env\": {...}}";
    for (const auto& [key, value] : c.items()) {
      if (key == "file") {
        if (!value.is_string()) return "\"credentials\".\"file\" must be a path";
        out->credentials_file = value.get<std::string>();
        resolve(&out->credentials_file);
      } else if (key == "env") {
        if (!value.is_object()) return "\"credentials\".\"env\" must map ACCORD_* names to variable names";
        for (const auto& [name, var] : value.items()) {
          if (name.rfind("ACCORD_", 0) != 0 || !var.is_string() || var.get<std::string>().empty())
            return "\"credentials\".\"env\": \"" + name +
                   "\" must be an ACCORD_* name (ACCORD_HUBSPOT_TOKEN, ...) mapped to the name of a variable";
          out->env_names[name] = var.get<std::string>();
        }
      } else {
        return "\"credentials\": unknown key \"" + key +
               "\" (known: file, env; secrets are never written in the config)";
      }
    }
  }
  return "";
}

}  // namespace

bool ParseServeConfig(const std::string& path, const std::string& text, ServeConfig* config, std::string* fatal) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann's message quotes the text near the error: the position only (a secret never echoes)
    *fatal = path + ":" + Where(text, e.byte == 0 ? 0 : e.byte - 1) + ": not valid JSON";
    return false;
  }
  if (!j.is_object()) {
    *fatal = path + ": expected a JSON object {\"state\": ..., \"projects\": [...]}";
    return false;
  }
  for (const auto& [key, value] : j.items())
    if (key != "state" && key != "lease_seconds" && key != "projects") {
      *fatal = path + ": unknown key \"" + key + "\" (known: state, lease_seconds, projects)";
      return false;
    }
  if (!j.contains("state") || !j["state"].is_string() || !store::IsPostgresLocation(j["state"].get<std::string>())) {
    *fatal = path + ": \"state\" must be the PostgreSQL database the workers share: postgresql://USER@HOST:PORT/DB";
    return false;
  }
  config->state = j["state"].get<std::string>();
  if (store::RedactLocation(config->state) != config->state) {
    *fatal = path +
             ": \"state\" holds a password; keep it out of the config (a ~/.pgpass or PGPASSFILE file, or "
             "PGPASSWORD in the worker's environment)";
    return false;
  }
  if (j.contains("lease_seconds")) {
    if (!j["lease_seconds"].is_number() || j["lease_seconds"].get<double>() < 1) {
      *fatal = path + ": \"lease_seconds\" must be a number of seconds, at least 1";
      return false;
    }
    config->lease_ms = static_cast<int64_t>(j["lease_seconds"].get<double>() * 1000);
  }
  if (!j.contains("projects") || !j["projects"].is_array()) {
    *fatal = path + ": \"projects\" must be a list of projects";
    return false;
  }
  fs::path dir = fs::absolute(fs::path(path)).parent_path();
  std::set<std::string> names;
  size_t index = 0;
  for (const json& p : j["projects"]) {
    ServeProject project;
    std::string label = "project " + std::to_string(index++);
    if (p.is_object() && p.contains("name") && p["name"].is_string()) {
      project.name = p["name"].get<std::string>();
      label = "project \"" + project.name + "\"";
    }
    std::string problem;
    if (!ValidName(project.name))
      problem = "\"name\" must be 1 to 40 of a-z, 0-9 and _ (it names the project's schema and webhook path)";
    else if (!names.insert(project.name).second)
      problem = "a second project with this name (names are unique)";
    else
      problem = ParseProject(p, dir, &project);
    if (!problem.empty()) {
      config->problems.push_back(path + ": " + label + ": " + problem + "; this project is not served");
      continue;
    }
    config->projects.push_back(std::move(project));
  }
  return true;
}

}  // namespace accord::cli
