// The semantic diff as a library: versions loaded from files, changes as values.
#include "compiler/diff/diff.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace accord::diff {
namespace {

namespace fs = std::filesystem;

const std::string kExample = std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot";

// A copy of the example with `from` replaced by `to` in one file.
std::string EditedExample(const std::string& name, const std::string& file, const std::string& from,
                          const std::string& to) {
  fs::path dir = fs::temp_directory_path() / ("accord-semantic-diff-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::copy(kExample, dir, fs::copy_options::recursive);
  std::ifstream in(dir / file);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  std::ofstream(dir / file) << s;
  return dir.string();
}

TEST(SemanticDiff, SameVersionHasNoChange) {
  Version a, b;
  std::string error;
  ASSERT_TRUE(Load(kExample, a, &error)) << error;
  ASSERT_TRUE(Load(kExample, b, &error)) << error;
  EXPECT_TRUE(a.errors.empty());
  EXPECT_TRUE(Compare(a, b).empty());
}

TEST(SemanticDiff, ChangesAreValuesWithRiskTouchesAndErrorCodes) {
  Version a, b;
  std::string error;
  ASSERT_TRUE(Load(kExample, a, &error)) << error;
  std::string dir = EditedExample("name", "syncs.accord", "  LeadSource     <-> lead_source\n",
                                  "  LeadSource     <-> lead_source\n  Name           <-  full_name\n");
  ASSERT_TRUE(Load(dir, b, &error)) << error;
  ASSERT_EQ(b.errors.size(), 1u);
  std::vector<Change> changes = Compare(a, b);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].risk, Risk::kHigh);
  EXPECT_EQ(changes[0].subject, "sync people");
  EXPECT_EQ(changes[0].message, "Name: new rule Name <- full_name: HubSpot can now write Salesforce Name");
  EXPECT_EQ(changes[0].does_not_check, std::vector<std::string>{"A0301"});
  ASSERT_EQ(changes[0].touches.size(), 1u);
  EXPECT_EQ(changes[0].touches[0].sync, "people");
  EXPECT_EQ(changes[0].touches[0].system, schema::System::kSalesforce);
  EXPECT_EQ(changes[0].touches[0].object, "Contact");
  EXPECT_EQ(changes[0].touches[0].field, "Name");
  fs::remove_all(dir);
}

TEST(SemanticDiff, HighestRiskFirst) {
  Version a, b;
  std::string error;
  ASSERT_TRUE(Load(kExample, a, &error)) << error;
  std::string dir = EditedExample(
      "order", "syncs.accord", "  match domain\n  create in hubspot\n",
      "  match domain\n  create in hubspot\n  delete propagate from hubspot\n  scope salesforce: Name != \"\"\n");
  ASSERT_TRUE(Load(dir, b, &error)) << error;
  std::vector<Change> changes = Compare(a, b);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].risk, Risk::kHigh);
  EXPECT_NE(changes[0].message.find("a HubSpot deletion now deletes the linked Salesforce Account"), std::string::npos);
  EXPECT_EQ(changes[1].risk, Risk::kMedium);
  EXPECT_NE(changes[1].message.find("scope salesforce changed"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace accord::diff
