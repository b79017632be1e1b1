#include "compiler/diag/diagnostic.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "compiler/diag/render.h"

namespace accord {
namespace {

TEST(SourceFile, LocatesLinesAndColumns) {
  SourceFile f("a.accord", "ab\ncd\n\nxyz");
  EXPECT_EQ(f.Locate(0).line, 1u);
  EXPECT_EQ(f.Locate(1).column, 2u);
  EXPECT_EQ(f.Locate(3).line, 2u);
  EXPECT_EQ(f.Locate(3).column, 1u);
  EXPECT_EQ(f.Locate(7).line, 4u);
  EXPECT_EQ(f.LineText(2), "cd");
  EXPECT_EQ(f.LineText(3), "");
  EXPECT_EQ(f.LineText(4), "xyz");
  EXPECT_EQ(f.Locate(999).line, 4u);  // clamps
}

// A byte order mark takes no column; a lone CR ends a line (they shifted
// every column of line 1 by one and put everything on line 1).
TEST(SourceFile, ByteOrderMarkAndLoneCr) {
  SourceFile bom("a.accord",
                 "\xEF\xBB\xBF"
                 "ab\ncd");
  EXPECT_EQ(bom.Locate(3).line, 1u);
  EXPECT_EQ(bom.Locate(3).column, 1u);
  EXPECT_EQ(bom.Locate(4).column, 2u);
  EXPECT_EQ(bom.Locate(0).column, 1u);  // inside the mark: its end
  EXPECT_EQ(bom.LineText(1), "ab");
  EXPECT_EQ(bom.Locate(6).line, 2u);
  EXPECT_EQ(bom.Locate(6).column, 1u);
  SourceFile cr("b.accord", "ab\rcd\ref\r\ngh");
  EXPECT_EQ(cr.line_count(), 4u);
  EXPECT_EQ(cr.Locate(3).line, 2u);
  EXPECT_EQ(cr.Locate(4).column, 2u);
  EXPECT_EQ(cr.LineText(2), "cd");
  EXPECT_EQ(cr.LineText(3), "ef");
  EXPECT_EQ(cr.Locate(10).line, 4u);
  EXPECT_EQ(cr.Locate(10).column, 1u);
}

TEST(DiagCodes, AreUniqueAndWellFormed) {
  std::set<std::string_view> ids;
  for (const auto& i : AllDiagCodes()) {
    EXPECT_TRUE(ids.insert(i.id).second) << i.id;
    ASSERT_EQ(i.id.size(), 5u);
    EXPECT_EQ(i.id[0], 'A');
    EXPECT_EQ(DiagCodeFromId(i.id), i.code);
    EXPECT_EQ(&Info(i.code), &i);
  }
  EXPECT_FALSE(DiagCodeFromId("A9999").has_value());
}

TEST(DiagSink, StopsAtTheErrorLimitWithOneNote) {
  SourceFile f("a.accord", "x");
  DiagSink sink(3);
  for (int i = 0; i < 10; ++i) sink.Report(DiagCode::kSyntax, &f, Range{0, 1}, "bad");
  sink.Report(DiagCode::kStringTooLong, &f, Range{0, 1}, "a warning still counts");
  EXPECT_TRUE(sink.limit_reached());
  size_t too_many = 0;
  for (const auto& d : sink.diagnostics()) too_many += d.code == DiagCode::kTooManyErrors;
  EXPECT_EQ(too_many, 1u);
  EXPECT_EQ(sink.error_count(), 4u);  // 3 + the limit note
  EXPECT_EQ(sink.warning_count(), 1u);
}

TEST(Render, TextHasLocationCodeAndCaret) {
  SourceFile f("rules.accord", "sync a: salesforce.Contct <-> hubspot.contacts {}\n");
  DiagSink sink;
  auto& d = sink.Report(DiagCode::kUnknownObject, &f, Range{19, 25}, "unknown salesforce object \"Contct\"");
  d.fixit = "Contact";
  std::string text = RenderText(sink.diagnostics(), RenderOptions{});
  EXPECT_NE(text.find("rules.accord:1:20: error[A0101]: unknown salesforce object"), std::string::npos) << text;
  EXPECT_NE(text.find("^~~~~~"), std::string::npos) << text;
  EXPECT_NE(text.find("help: replace with `Contact`"), std::string::npos) << text;
  EXPECT_EQ(text.find("\x1b["), std::string::npos) << "no colour unless asked";
}

TEST(Render, JsonAndSarifAreValidJson) {
  SourceFile f("r.accord", "line one\nline \xc3\xa9 two\n");
  DiagSink sink;
  auto& d = sink.Report(DiagCode::kUnknownField, &f, Range{9, 13}, "has no field \"x\"");
  d.notes.push_back(Note{"a note", &f, Range{0, 4}});
  sink.Report(DiagCode::kStringTooLong, &f, Range{14, 16}, "warn \"quoted\" \\ text");
  auto j = nlohmann::json::parse(RenderJson(sink.diagnostics()));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["code"], "A0102");
  EXPECT_EQ(j[0]["line"], 2);
  EXPECT_EQ(j[0]["column"], 1);
  EXPECT_EQ(j[0]["severity"], "error");
  EXPECT_EQ(j[0]["notes"][0]["line"], 1);
  EXPECT_EQ(j[1]["severity"], "warning");
  auto s = nlohmann::json::parse(RenderSarif(sink.diagnostics(), RenderOptions{}));
  EXPECT_EQ(s["version"], "2.1.0");
  auto& run = s["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "accord");
  EXPECT_EQ(run["tool"]["driver"]["rules"].size(), AllDiagCodes().size());
  EXPECT_EQ(run["results"][0]["ruleId"], "A0102");
  EXPECT_EQ(run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
  EXPECT_EQ(run["results"][1]["level"], "warning");
}

}  // namespace
}  // namespace accord
