#include "sandbox/seed.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace accord::sandbox {

namespace fs = std::filesystem;

namespace {

bool ReadFile(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::vector<fs::path> FilesWithExtension(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec) && e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status LoadSchemas(const fs::path& dir, schema::System system, std::vector<SeedObject>* out) {
  for (const fs::path& p : FilesWithExtension(dir, ".json")) {
    std::string text;
    if (!ReadFile(p, &text)) return Status::Error("cannot read " + p.string());
    Json raw;
    int line = 0, col = 0;
    if (Status parsed = ParseJson(text, &raw, &line, &col); !parsed)
      return Status::Error(p.string() + ":" + std::to_string(line) + ":" + std::to_string(col) +
                           ": malformed JSON: " + parsed.message);
    std::vector<schema::SchemaError> errors;
    std::optional<schema::Object> obj;
    if (system == schema::System::kSalesforce) {
      if (!raw.is_object() || !raw.contains("fields")) continue;  // e.g. a global describe
      obj = schema::ParseSalesforceDescribe(text, p.string(), errors);
    } else {
      obj = schema::ParseHubSpotProperties(text, p.stem().string(), p.string(), errors);
    }
    if (!obj) {
      return Status::Error(p.string() + ": " + (errors.empty() ? std::string("not a schema") : errors[0].message));
    }
    out->push_back(SeedObject{std::move(*obj), std::move(raw), {}});
  }
  return Status::Ok();
}

Status LoadJsonl(const fs::path& p, std::vector<Json>* out) {
  std::string text;
  if (!ReadFile(p, &text)) return Status::Error("cannot read " + p.string());
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json j;
    if (Status parsed = ParseJson(line, &j); !parsed || !j.is_object())
      return Status::Error(p.string() + ":" + std::to_string(n) + ": not a JSON object" +
                           (parsed.message.empty() ? "" : ": " + parsed.message));
    out->push_back(std::move(j));
  }
  return Status::Ok();
}

Status LoadData(const fs::path& dir, std::vector<SeedObject>* objects, std::vector<Json>* associations) {
  for (const fs::path& p : FilesWithExtension(dir, ".jsonl")) {
    std::string name = p.stem().string();
    if (associations && name == "associations") {
      Status s = LoadJsonl(p, associations);
      if (!s) return s;
      continue;
    }
    auto it = std::find_if(objects->begin(), objects->end(),
                           [&](const SeedObject& o) { return EqualsIgnoreCase(o.schema.name, name); });
    if (it == objects->end())
      return Status::Error(p.string() + ": no schema for object '" + name + "' in the seed's schemas folder");
    Status s = LoadJsonl(p, &it->records);
    if (!s) return s;
  }
  return Status::Ok();
}

}  // namespace

Status LoadSeed(const std::string& dir, Seed* out) {
  std::error_code ec;
  fs::path root(dir);
  if (!fs::is_directory(root, ec)) return Status::Error("seed folder " + dir + " does not exist");
  if (!fs::is_directory(root / "schemas", ec))
    return Status::Error("seed folder " + dir + " has no schemas/ folder (schemas/salesforce, schemas/hubspot)");
  out->dir = dir;
  Status s = LoadSchemas(root / "schemas" / "salesforce", schema::System::kSalesforce, &out->salesforce);
  if (s) s = LoadSchemas(root / "schemas" / "hubspot", schema::System::kHubSpot, &out->hubspot);
  if (s) s = LoadData(root / "data" / "salesforce", &out->salesforce, nullptr);
  if (s) s = LoadData(root / "data" / "hubspot", &out->hubspot, &out->hubspot_associations);
  if (!s) return s;
  fs::path config = root / "sandbox.json";
  if (fs::exists(config, ec)) {
    std::string text;
    if (!ReadFile(config, &text)) return Status::Error("cannot read " + config.string());
    int line = 0, col = 0;
    if (Status parsed = ParseJson(text, &out->config, &line, &col); !parsed || !out->config.is_object())
      return Status::Error(config.string() + ":" + std::to_string(line) + ":" + std::to_string(col) +
                           ": not a JSON object" + (parsed.message.empty() ? "" : ": " + parsed.message));
  }
  return Status::Ok();
}

}  // namespace accord::sandbox
