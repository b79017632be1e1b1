// accord schema pull --salesforce URL --hubspot URL --out DIR [--objects A,B] [--hubspot-objects a,b]
//
// Writes the schema files `accord check` reads — DIR/salesforce/<Object>.json
// (describe) and DIR/hubspot/<object>.json (properties) — from the live APIs
// (or `accord sandbox`), pretty-printed with sorted keys and fields sorted by
// name so that a re-pull's diff shows only what changed in the org.
#include "compiler/schema/schema.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.h"
#include "cli/connect.h"

namespace accord::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct PullArgs {
  RemoteArgs remote;
  std::string out;
  std::vector<std::string> sf_objects, hs_objects;
};

// The objects already in OUT/<system> (a re-pull refreshes them), else the defaults.
std::vector<std::string> Existing(const fs::path& dir, std::vector<std::string> defaults) {
  std::error_code ec;
  std::set<std::string> found;
  if (fs::is_directory(dir, ec))
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".json") found.insert(e.path().stem().string());
  return found.empty() ? defaults : std::vector<std::string>(found.begin(), found.end());
}

void SortByName(json& array) {
  if (!array.is_array()) return;
  std::stable_sort(array.begin(), array.end(), [](const json& a, const json& b) {
    std::string x = a.is_object() && a.contains("name") && a["name"].is_string() ? a["name"].get<std::string>() : "";
    std::string y = b.is_object() && b.contains("name") && b["name"].is_string() ? b["name"].get<std::string>() : "";
    return x < y;
  });
}

base::Status WriteAtomically(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return base::Status::Error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) return base::Status::Error("cannot write " + path.string() + ": " + ec.message());
  return base::Status::Ok();
}

// Parses, normalizes and checks that `accord check` will read it; the text to write.
base::Status Normalize(schema::System system, const std::string& object, const std::string& body, std::string* text,
                       size_t* fields) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return base::Status::Error("the API's answer for " + object + " is not a JSON object");
  if (system == schema::System::kSalesforce)
    SortByName(j["fields"]);
  else
    SortByName(j["results"]);
  *text = j.dump(2) + "\n";
  std::vector<schema::SchemaError> errors;
  std::optional<schema::Object> o = system == schema::System::kSalesforce
                                        ? schema::ParseSalesforceDescribe(*text, object + ".json", errors)
                                        : schema::ParseHubSpotProperties(*text, object, object + ".json", errors);
  if (!o)
    return base::Status::Error(object + ": the pulled schema does not read back" +
                               (errors.empty() ? "" : ": " + errors[0].message));
  *fields = o->fields.size();
  return base::Status::Ok();
}

int RunPull(const PullArgs& a) {
  if (!a.remote.remote()) {
    std::cerr << "accord schema pull: name at least one system: --salesforce URL and/or --hubspot URL\n";
    return kUsage;
  }
  if (a.out.empty()) {
    std::cerr << "accord schema pull: --out DIR is required (the rules' schemas/ folder)\n";
    return kUsage;
  }
  base::Result<Connectors> opened = OpenConnectors(a.remote, false, nullptr);
  if (!opened) {
    std::cerr << "accord schema pull: " << opened.status().message << "\n";
    return kUsage;
  }
  Connectors& c = *opened;
  int failures = 0, written = 0;
  auto pull = [&](schema::System system, const std::vector<std::string>& objects) {
    const char* sys = system == schema::System::kSalesforce ? "salesforce" : "hubspot";
    for (const std::string& object : objects) {
      base::Result<std::string> body =
          system == schema::System::kSalesforce ? c.salesforce->Describe(object) : c.hubspot->Properties(object);
      std::string text;
      size_t fields = 0;
      base::Status done = body.status();
      if (body) done = Normalize(system, object, *body, &text, &fields);
      fs::path path = fs::path(a.out) / sys / (object + ".json");
      if (done) done = WriteAtomically(path, text);
      if (!done) {
        std::cerr << "accord schema pull: " << sys << "." << object << ": " << done.message << "\n";
        ++failures;
        continue;
      }
      ++written;
      std::cout << "wrote " << path.string() << " (" << fields << " fields)\n";
    }
  };
  if (c.salesforce)
    pull(schema::System::kSalesforce,
         a.sf_objects.empty()
             ? Existing(fs::path(a.out) / "salesforce", {"Account", "Contact", "Lead", "Opportunity", "Task"})
             : a.sf_objects);
  if (c.hubspot)
    pull(schema::System::kHubSpot,
         a.hs_objects.empty() ? Existing(fs::path(a.out) / "hubspot", {"companies", "contacts", "deals", "tasks"})
                              : a.hs_objects);
  std::cout << written << " schema files written" << (failures ? ", " + std::to_string(failures) + " failed" : "")
            << "\n";
  return failures ? kFindings : kOk;
}

}  // namespace

void RegisterSchema(CLI::App& app, int& exit_code) {
  auto* schema_cmd = app.add_subcommand("schema", "Schema files: pull them from the APIs");
  schema_cmd->require_subcommand(1);
  auto args = std::make_shared<PullArgs>();
  auto* pull = schema_cmd->add_subcommand("pull", "Write the schema files `accord check` reads from the live APIs");
  AddRemoteOptions(pull, args->remote);
  pull->add_option("--out", args->out, "the schemas folder (writes OUT/salesforce/*.json and OUT/hubspot/*.json)");
  pull->add_option("--objects", args->sf_objects,
                   "Salesforce objects (default: those already in OUT, else the standard five)")
      ->delimiter(',');
  pull->add_option("--hubspot-objects", args->hs_objects, "HubSpot object types (default: those in OUT, else four)")
      ->delimiter(',');
  pull->footer("Files are pretty-printed with sorted keys and fields sorted by name, so a re-pull diffs cleanly.");
  pull->callback([args, &exit_code] { exit_code = RunPull(*args); });
}

}  // namespace accord::cli
