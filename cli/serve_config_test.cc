// `accord serve --config`: a bad project is a diagnostic that names it and leaves the others;
// a bad file stops with its position; secrets are referenced, never written.
#include "cli/serve_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace accord::cli {
namespace {

namespace fs = std::filesystem;

class ServeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("serve_config_" + std::to_string(getpid()));
    fs::create_directories(dir_ / "rules");
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "rules" / "a.accord") << "";
    path_ = (dir_ / "serve.json").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  bool Parse(const std::string& text) {
    config_ = ServeConfig();
    fatal_.clear();
    return ParseServeConfig(path_, text, &config_, &fatal_);
  }
  fs::path dir_;
  std::string path_, fatal_;
  ServeConfig config_;
};

TEST_F(ServeConfigTest, ProjectsResolveAgainstTheFileAndReferenceTheirCredentials) {
  ASSERT_TRUE(Parse(R"({"state": "postgresql://accord@127.0.0.1:5432/accord", "lease_seconds": 3,
    "projects": [
      {"name": "acme", "rules": "rules", "data": "data", "interval": 2},
      {"name": "globex", "rules": "rules/a.accord", "revision": "v3",
       "salesforce": "http://127.0.0.1:1", "hubspot": "http://127.0.0.1:2", "webhooks": true,
       "credentials": {"env": {"ACCORD_HUBSPOT_TOKEN": "GLOBEX_HS_TOKEN"}, "file": "globex.json"},
       "budget": "salesforce=20%", "engine": "interp"}
    ]})"))
      << fatal_;
  EXPECT_TRUE(config_.problems.empty()) << config_.problems[0];
  EXPECT_EQ(config_.lease_ms, 3000);
  ASSERT_EQ(config_.projects.size(), 2u);
  EXPECT_EQ(config_.projects[0].rules, (dir_ / "rules").string());
  EXPECT_EQ(config_.projects[0].data, (dir_ / "data").string());
  EXPECT_EQ(config_.projects[0].interval, 2);
  const ServeProject& g = config_.projects[1];
  EXPECT_EQ(g.revision, "v3");
  EXPECT_TRUE(g.webhooks);
  EXPECT_EQ(g.env_names.at("ACCORD_HUBSPOT_TOKEN"), "GLOBEX_HS_TOKEN");
  EXPECT_EQ(g.credentials_file, (dir_ / "globex.json").string());
  EXPECT_EQ(g.engine, "interp");
}

TEST_F(ServeConfigTest, OneBadProjectLeavesTheOthers) {
  ASSERT_TRUE(Parse(R"({"state": "postgresql://accord@127.0.0.1:5432/accord", "projects": [
      {"name": "good", "rules": "rules", "data": "data"},
      {"name": "Bad Name", "rules": "rules", "data": "data"},
      {"name": "typo", "rules": "rules", "data": "data", "intervall": 5},
      {"name": "inline", "rules": "rules", "salesforce": "http://a", "hubspot": "http://b", "hubspot_token": "pat-1"},
      {"name": "envsecret", "rules": "rules", "data": "data", "credentials": {"token": "pat-2"}},
      {"name": "norules", "rules": "missing", "data": "data"},
      {"name": "half", "rules": "rules", "salesforce": "http://a"},
      {"name": "both", "rules": "rules", "data": "data", "salesforce": "http://a", "hubspot": "http://b"},
      {"name": "budget", "rules": "rules", "data": "data", "budget": "salesforce=300%"},
      {"name": "good", "rules": "rules", "data": "data"},
      42
    ]})"))
      << fatal_;
  ASSERT_EQ(config_.projects.size(), 1u);
  EXPECT_EQ(config_.projects[0].name, "good");
  ASSERT_EQ(config_.problems.size(), 10u);
  auto has = [&](size_t i, const std::string& what) {
    EXPECT_NE(config_.problems[i].find(what), std::string::npos) << config_.problems[i];
    EXPECT_EQ(config_.problems[i].rfind(path_ + ": project", 0), 0u) << config_.problems[i];
    EXPECT_NE(config_.problems[i].find("this project is not served"), std::string::npos);
  };
  has(0, "\"name\" must be");
  has(1, "unknown key \"intervall\"");
  has(2, "secrets are never written");
  has(3, "unknown key \"token\"");
  has(4, "does not exist");
  has(5, "both systems");
  has(6, "not both");
  has(7, "\"budget\"");
  has(8, "a second project");
  has(9, "project 10: \"name\"");
  for (const std::string& p : config_.problems) {
    EXPECT_EQ(p.find("pat-1"), std::string::npos) << "a secret is never echoed: " << p;
    EXPECT_EQ(p.find("pat-2"), std::string::npos) << "a secret is never echoed: " << p;
  }
}

TEST_F(ServeConfigTest, AFileThatCannotBeServedStopsWithWhereAndWhy) {
  EXPECT_FALSE(Parse("{\"state\": \"postgresql://a@h/db\",\n  \"projects\": [,]}"));
  EXPECT_EQ(fatal_, path_ + ":2:16: not valid JSON");
  EXPECT_FALSE(Parse(R"({"state": "accord-state.db", "projects": []})"));
  EXPECT_NE(fatal_.find("must be the PostgreSQL database"), std::string::npos) << fatal_;
  EXPECT_FALSE(Parse(R"({"state": "postgresql://accord:hunter2@h/db", "projects": []})"));
  EXPECT_NE(fatal_.find("holds a password"), std::string::npos) << fatal_;
  EXPECT_EQ(fatal_.find("hunter2"), std::string::npos) << fatal_;
  EXPECT_FALSE(Parse(R"({"state": "postgresql://a@h/db", "project": []})"));
  EXPECT_NE(fatal_.find("unknown key \"project\""), std::string::npos) << fatal_;
  EXPECT_FALSE(Parse(R"({"state": "postgresql://a@h/db", "lease_seconds": 0, "projects": []})"));
  EXPECT_NE(fatal_.find("lease_seconds"), std::string::npos) << fatal_;
  EXPECT_FALSE(Parse("[1, 2]"));
  EXPECT_FALSE(Parse(""));
}

}  // namespace
}  // namespace accord::cli
