// The hand-written lexer against the oracle it replaces: ANTLR's lexer
// generated from grammar/Accord.g4. Both must give the same lexemes (kind,
// bytes, line, column, hidden or not) on every rule file in the repository,
// on the cases below and on random text built from the characters the
// lexer's rules turn on.
#include "compiler/syntax/lexer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "AccordLexer.h"
#include "compiler/syntax/lexer_oracle.h"

namespace accord::syntax {
namespace {

std::string Compare(const std::string& text) { return CompareWithAntlr(text); }

TEST(Lexer, AgreesWithAntlrOnEveryRuleFileInTheRepository) {
  namespace fs = std::filesystem;
  size_t files = 0;
  for (const char* dir : {"examples", "tests", "fuzz/corpus", "bench", "docs"}) {
    fs::path root = fs::path(ACCORD_SOURCE_DIR) / dir;
    if (!fs::exists(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file() || e.path().extension() != ".accord") continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      EXPECT_EQ(Compare(ss.str()), "") << e.path();
      ++files;
    }
  }
  EXPECT_GT(files, 100u);
}

TEST(Lexer, AgreesWithAntlrOnTheCornerCases) {
  const char* cases[] = {
      "",
      " ",
      "\n\n x",
      "a\r\nb",
      "sync syncs _sync sync_ Sync",
      "in inx else",
      "1 1. 1.5 1.5.x .5 .5e3 1e 1e+ 1e+5 1E-2 1e5u 1u 1U 1.5u 0x 0x1 0xfu 0XAbU 0x1g 00 09.e1",
      "\"a\" 'b' \"\" '' \"a\\\"b\" 'a\\'b' \"a\\\\\" \"unterminated",
      "\"\"\"a\n\"b\"\"\" '''x'''y",
      "\"\"\"\"\"\"",
      "\"\"\"a\"\"\"\"",
      "\"\"\"",
      "\"\"\"a\\\nb\"\"\"",
      "\"a\\\nb\"",
      "\"\\",
      "'''\\''''",
      "r\"a\\\" R'x' r\"\"\"a\\\"\"\"\" r'''\n''' r\"open",
      "b\"x\" B'y' br\"\\\" bR'' rb\"x\" RB'''z''' rb bar\"x\"",
      "r r1 rb1\"x\" b\"\"\"\\q\"\"\"",
      "`a-b c/d.e` `` `x `é`",
      "<-> <- <= < <-> -> - == = != ! >= > && & || |",
      "a // comment\nb /* block */ c /* open",
      "/*/ x */",
      "/**/",
      "//",
      "a/b*c%d",
      "x.y?z:w",
      "[1,2]{a:b};()",
      "é € 𝄞 \x01 \\ # @ $ ~ ^",
      "\t\f\r",
      "a\rb",
      "\"é\" 'ü' `x`",
      "x\"y\"",
      "0xu",
      "1e5e5",
      "..5",
      "5..",
  };
  for (const char* c : cases) EXPECT_EQ(Compare(c), "") << "input: " << c;
}

TEST(Lexer, AgreesWithAntlrOnRandomText) {
  // Pieces every lexer rule turns on; a text is 1..14 of them.
  const std::vector<std::string> pieces = {
      "\"", "'",  "\"\"\"", "'''", "\\", "\n", "\r", " ", "\t",   "r",  "b",    "R",   "B", "x", "X",
      "0",  "1",  "9",      ".",   "e",  "E",  "+",  "-", "u",    "U",  "0x",   "a",   "_", "/", "*",
      "//", "/*", "*/",     "`",   "<",  ">",  "=",  "!", "&",    "|",  "?",    ":",   "é", "𝄞", "{",
      "}",  "(",  ")",      "[",   "]",  ",",  ";",  "%", "sync", "in", "else", "\\n",
  };
  std::mt19937 rng(20261207);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1), len(1, 14);
  size_t disagreements = 0;
  for (int n = 0; n < 40000 && disagreements < 5; ++n) {
    std::string text;
    for (size_t k = len(rng); k > 0; --k) text += pieces[pick(rng)];
    std::string diff = Compare(text);
    if (!diff.empty()) {
      ++disagreements;
      ADD_FAILURE() << "input: '" << text << "': " << diff;
    }
  }
}

TEST(Lexer, KeywordsComeFromTheGrammar) {
  std::vector<Lexeme> l = Lex("schema from null true nothing");
  ASSERT_EQ(l.size(), 10u);  // five words, four spaces, EOF
  EXPECT_EQ(l[0].type, AccordLexer::SCHEMA);
  EXPECT_EQ(l[2].type, AccordLexer::FROM);
  EXPECT_EQ(l[4].type, AccordLexer::NUL);
  EXPECT_EQ(l[6].type, AccordLexer::TRUE);
  EXPECT_EQ(l[8].type, AccordLexer::NOTHING);
  EXPECT_EQ(l[9].type, kEof);
}

}  // namespace
}  // namespace accord::syntax
