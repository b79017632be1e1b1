// The schema files in the repository against the recorded describes of a real org.
//
// The project writes its own Salesforce describes (examples/.../schemas/salesforce/describes.py)
// and never copies the recorded ones: those are read from ../shared/fixtures/ (beside the
// repository; $ACCORD_SHARED_FIXTURES overrides the path) at test time. Where that folder is
// absent, as in a user's fresh clone, the tests that need it skip with a message; the checks
// that need no recording always run.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/schema/schema.h"

#ifndef ACCORD_SOURCE_DIR
#error "ACCORD_SOURCE_DIR must be defined (the repository root)"
#endif

namespace accord::schema {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kSource = ACCORD_SOURCE_DIR;
const std::string kOwnDir = kSource + "/examples/salesforce-hubspot/schemas/salesforce";
// Salesforce's id of the Master record type, the same in every org.
constexpr const char* kMasterRecordType = "012000000000000AAA";
// The placeholder org of the project's own describes (describes.py, HOST).
constexpr const char* kOwnHost = "https://accord-example.my.salesforce.com/";

std::string FixturesDir() {
  if (const char* env = std::getenv("ACCORD_SHARED_FIXTURES"); env != nullptr && *env != '\0') {
    return std::string(env) + "/salesforce";
  }
  return kSource + "/../shared/fixtures/salesforce";
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A describe: a JSON object with a "name" string and a "fields" array; nullopt otherwise.
std::optional<Json> ReadDescribe(const fs::path& path) {
  Json j = Json::parse(ReadFile(path), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("fields") ||
      !j["fields"].is_array()) {
    return std::nullopt;
  }
  return j;
}

std::vector<fs::path> JsonFilesIn(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every file of the source tree, without .git, build folders and node_modules.
std::vector<fs::path> SourceTreeFiles() {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(kSource, fs::directory_options::skip_permission_denied, ec), end;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec)) {
      if (name.rfind('.', 0) == 0 || name.rfind("build", 0) == 0 || name == "node_modules")
        it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) out.push_back(it->path());
  }
  return out;
}

std::vector<Json> TreeDescribes(std::vector<fs::path>* paths) {
  std::vector<Json> out;
  for (const fs::path& p : SourceTreeFiles()) {
    if (p.extension() != ".json") continue;
    if (auto d = ReadDescribe(p)) {
      out.push_back(std::move(*d));
      paths->push_back(p);
    }
  }
  return out;
}

std::set<std::string> Keys(const Json& object) {
  std::set<std::string> out;
  for (const auto& [k, v] : object.items()) out.insert(k);
  return out;
}

std::string Joined(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

// Every string under a "urls" key, at any depth.
void CollectUrls(const Json& j, bool under_urls, std::vector<std::string>* out) {
  if (j.is_string()) {
    if (under_urls) out->push_back(j.get<std::string>());
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) CollectUrls(v, under_urls || k == "urls", out);
  } else if (j.is_array()) {
    for (const auto& v : j) CollectUrls(v, under_urls, out);
  }
}

// The recorded describes, by object name; skips the test without them.
class RecordedDescribes : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = FixturesDir();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      GTEST_SKIP() << "no recorded describes at " << dir
                   << ": they are read from ../shared/fixtures/ beside the repository at test time and never "
                      "copied into it (set ACCORD_SHARED_FIXTURES to their folder); this check runs where "
                      "../shared exists, as in .ci/run";
    }
    for (const fs::path& p : JsonFilesIn(dir)) {
      if (p.filename() == "sobjects-global.json") continue;
      auto d = ReadDescribe(p);
      ASSERT_TRUE(d.has_value()) << p << " is not a describe";
      paths_.push_back(p);
      const std::string name = (*d)["name"].get<std::string>();
      recorded_[name] = std::move(*d);
    }
    if (recorded_.empty()) GTEST_SKIP() << "no describe in " << dir;
  }

  std::map<std::string, Json> Own() const {
    std::map<std::string, Json> out;
    for (const fs::path& p : JsonFilesIn(kOwnDir)) {
      auto d = ReadDescribe(p);
      EXPECT_TRUE(d.has_value()) << p;
      if (!d) continue;
      const std::string name = (*d)["name"].get<std::string>();
      out[name] = std::move(*d);
    }
    return out;
  }

  std::vector<fs::path> paths_;
  std::map<std::string, Json> recorded_;
};

TEST_F(RecordedDescribes, EveryOneParses) {
  for (const fs::path& p : paths_) {
    std::vector<SchemaError> errors;
    auto obj = ParseSalesforceDescribe(ReadFile(p), p.string(), errors);
    ASSERT_TRUE(obj.has_value()) << p;
    EXPECT_TRUE(errors.empty()) << p << ": " << errors.front().message;
    EXPECT_EQ(obj->fields.size(), recorded_[obj->name]["fields"].size()) << p;
    for (const Field& f : obj->fields) EXPECT_FALSE(f.native_type.empty()) << p << " " << f.name;
  }
  SchemaSet set;
  std::vector<SchemaError> errors;
  LoadSchemaDir(System::kSalesforce, FixturesDir(), set, errors);  // skips sobjects-global.json
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(set.Objects(System::kSalesforce).size(), recorded_.size());
}

// The project's own describes have the keys a real describe has, at every level.
TEST_F(RecordedDescribes, OwnFilesHaveTheirShape) {
  std::set<std::string> top_any, field_keys, value_keys, child_keys, record_type_keys;
  std::optional<std::set<std::string>> top_all;
  for (const auto& [name, d] : recorded_) {
    std::set<std::string> top = Keys(d);
    top_any.insert(top.begin(), top.end());
    if (!top_all) top_all = top;
    std::set<std::string> common;
    for (const auto& k : top) {
      if (top_all->count(k)) common.insert(k);
    }
    top_all = common;
    for (const Json& f : d["fields"]) {
      for (const auto& k : Keys(f)) field_keys.insert(k);
      for (const Json& v : f["picklistValues"]) {
        for (const auto& k : Keys(v)) value_keys.insert(k);
      }
    }
    for (const Json& c : d["childRelationships"]) {
      for (const auto& k : Keys(c)) child_keys.insert(k);
    }
    for (const Json& r : d["recordTypeInfos"]) {
      for (const auto& k : Keys(r)) record_type_keys.insert(k);
    }
  }
  const auto own = Own();
  ASSERT_EQ(own.size(), 5u);
  for (const auto& [name, d] : own) {
    for (const auto& k : Keys(d)) EXPECT_TRUE(top_any.count(k)) << name << ": top-level key " << k;
    for (const auto& k : *top_all) EXPECT_TRUE(d.contains(k)) << name << ": no top-level key " << k;
    for (const Json& f : d["fields"]) {
      EXPECT_EQ(Keys(f), field_keys) << name << "." << f["name"] << ": keys " << Joined(Keys(f));
      for (const Json& v : f["picklistValues"]) EXPECT_EQ(Keys(v), value_keys) << name << "." << f["name"];
    }
    for (const Json& c : d["childRelationships"]) EXPECT_EQ(Keys(c), child_keys) << name;
    for (const Json& r : d["recordTypeInfos"]) EXPECT_EQ(Keys(r), record_type_keys) << name;
  }
}

// A standard field the project describes has the type, length and flags a real org gives it.
TEST_F(RecordedDescribes, OwnStandardFieldsAgreeWithARealOrg) {
  size_t compared = 0;
  for (const auto& [name, d] : Own()) {
    auto rec = recorded_.find(name);
    if (rec == recorded_.end()) continue;
    std::map<std::string, const Json*> real;
    for (const Json& f : rec->second["fields"]) real[f["name"].get<std::string>()] = &f;
    for (const Json& f : d["fields"]) {
      auto it = real.find(f["name"].get<std::string>());
      if (it == real.end()) continue;
      for (const char* k : {"type", "length", "nillable", "createable", "updateable", "calculated", "defaultedOnCreate",
                            "restrictedPicklist", "referenceTo", "relationshipName"}) {
        EXPECT_EQ(f[k], (*it->second)[k]) << name << "." << it->first << ": " << k;
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 150u);
}

// No describe in the tree carries the recorded org's URLs, hosts or record type ids, and no file
// is byte-identical to a recorded one.
TEST_F(RecordedDescribes, NoFileInTheTreeCarriesTheRecordedOrg) {
  std::set<std::string> urls, markers;
  std::set<std::string> contents;
  for (const auto& [name, d] : recorded_) {
    std::vector<std::string> u;
    CollectUrls(d, false, &u);
    for (const std::string& s : u) {
      urls.insert(s);
      // The org's own host (https://<org>.my.salesforce.com/...).
      if (s.rfind("https://", 0) == 0) markers.insert(s.substr(0, s.find('/', 8)));
    }
    for (const Json& r : d["recordTypeInfos"]) {
      std::string id = r.value("recordTypeId", "");
      if (!id.empty() && id != kMasterRecordType) markers.insert(id);
    }
  }
  for (const fs::path& p : paths_) contents.insert(ReadFile(p));
  for (const fs::path& p : JsonFilesIn(fs::path(FixturesDir()).string())) contents.insert(ReadFile(p));
  ASSERT_FALSE(markers.empty());

  size_t files = 0;
  for (const fs::path& p : SourceTreeFiles()) {
    std::error_code ec;
    if (fs::file_size(p, ec) > (8u << 20)) continue;
    const std::string text = ReadFile(p);
    ++files;
    EXPECT_EQ(contents.count(text), 0u) << p << " is a copy of a recorded describe";
    for (const std::string& m : markers) EXPECT_EQ(text.find(m), std::string::npos) << p << " has " << m;
  }
  EXPECT_GT(files, 100u);
  std::vector<fs::path> paths;
  const std::vector<Json> describes = TreeDescribes(&paths);
  ASSERT_GE(describes.size(), 7u);  // the example's five, bench/w's Contact, schemas-inactive's Account
  for (size_t i = 0; i < describes.size(); ++i) {
    std::vector<std::string> own_urls;
    CollectUrls(describes[i], false, &own_urls);
    for (const std::string& u : own_urls) EXPECT_EQ(urls.count(u), 0u) << paths[i] << " has the recorded URL " << u;
  }
}

// Without any recording: every describe in the tree names the project's placeholder org and only
// the Master record type, so none can carry a real org's.
TEST(OwnDescribes, NameNoRealOrg) {
  std::vector<fs::path> paths;
  const std::vector<Json> describes = TreeDescribes(&paths);
  ASSERT_GE(describes.size(), 7u);
  for (size_t i = 0; i < describes.size(); ++i) {
    std::vector<std::string> urls;
    CollectUrls(describes[i], false, &urls);
    for (const std::string& u : urls) {
      if (u.rfind("/services/data/", 0) == 0) continue;
      EXPECT_EQ(u.rfind(kOwnHost, 0), 0u) << paths[i] << ": " << u;
    }
    if (describes[i].contains("recordTypeInfos")) {
      for (const Json& r : describes[i]["recordTypeInfos"]) {
        EXPECT_EQ(r.value("recordTypeId", ""), kMasterRecordType) << paths[i];
      }
    }
  }
}

}  // namespace
}  // namespace accord::schema
