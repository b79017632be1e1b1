// Golden diagnostics: each tests/diagnostics/NAME.accord is checked alone and
// its text output compared with NAME.expected. Regenerate after a deliberate
// change with:  ACCORD_UPDATE_GOLDENS=1 ./build/tests/golden_test   (or --update)
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"

namespace fs = std::filesystem;
namespace {

bool g_update = false;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(ACCORD_SOURCE_DIR) / "tests" / "diagnostics"))
    if (e.path().extension() == ".accord") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string RunCheck(const std::string& name) {
  fs::current_path(ACCORD_SOURCE_DIR);
  accord::driver::Options opt;
  accord::DiagSink sink(opt.max_errors);
  accord::driver::RuleSet set;
  std::string err;
  std::string path = "tests/diagnostics/" + name + ".accord";
  if (!accord::driver::LoadAndCheck({path}, opt, set, sink, &err)) return "I/O error: " + err + "\n";
  return accord::RenderText(sink.diagnostics(), accord::RenderOptions{});
}

class Golden : public testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesExpected) {
  const std::string name = GetParam();
  fs::path expected = fs::path(ACCORD_SOURCE_DIR) / "tests" / "diagnostics" / (name + ".expected");
  std::string got = RunCheck(name);
  if (g_update) {
    std::ofstream(expected, std::ios::binary) << got;
    GTEST_SKIP() << "updated " << expected;
  }
  ASSERT_TRUE(fs::exists(expected)) << "missing " << expected << " (run with ACCORD_UPDATE_GOLDENS=1)";
  EXPECT_EQ(Slurp(expected), got) << "golden mismatch for " << name
                                  << "; if the change is intended, rerun with ACCORD_UPDATE_GOLDENS=1";
}

INSTANTIATE_TEST_SUITE_P(Diagnostics, Golden, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// Every diagnostic code is exercised by at least one golden case, except the
// few that need inputs a golden file cannot hold; those are unit-tested.
TEST(GoldenCoverage, EveryCodeHasACase) {
  const std::set<std::string> unit_tested = {
      "A0002",  // a file over the size limit: compiler/syntax/parser_test.cc
      "A0004",  // the error-count limit: compiler/diag/diagnostic_test.cc
      "A0005",  // NUL bytes / invalid UTF-8: parser_test.cc (a golden file must be text)
      "A0007",  // an unreadable file: tests/cli/cli_test.sh
      "A0901",  // a malformed schema file: tests/cli/cli_test.sh
  };
  std::string all;
  for (const auto& e : fs::directory_iterator(fs::path(ACCORD_SOURCE_DIR) / "tests" / "diagnostics"))
    if (e.path().extension() == ".expected") all += Slurp(e.path());
  for (const auto& info : accord::AllDiagCodes()) {
    std::string id(info.id);
    if (unit_tested.count(id)) continue;
    EXPECT_NE(all.find("[" + id + "]"), std::string::npos)
        << "no golden case produces " << id << " (" << info.title << ")";
  }
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--update") g_update = true;
  if (const char* e = std::getenv("ACCORD_UPDATE_GOLDENS")) g_update = std::string(e) == "1";
  return RUN_ALL_TESTS();
}
