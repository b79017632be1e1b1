// Formatter tests: golden cases in tests/fmt/ (NAME.accord -> NAME.expected),
// the formatter's properties on every *.accord file in examples/ and tests/,
// and unit tests for the layout rules.
//
// To rewrite the goldens after an intended layout change:
//   ACCORD_UPDATE_GOLDENS=1 ./build/fmt_test     (or ./build/fmt_test --update)
#include "compiler/fmt/formatter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/syntax/parser.h"

namespace accord::fmt {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = ACCORD_SOURCE_DIR;

bool UpdateGoldens() {
  const char* env = std::getenv("ACCORD_UPDATE_GOLDENS");
  if (env && std::string(env) == "1") return true;
  for (const auto& arg : ::testing::internal::GetArgvs())
    if (arg == "--update") return true;
  return false;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

struct Parsed {
  std::unique_ptr<SourceFile> source;
  DiagSink sink;
  syntax::ParseResult result;
  // No syntax error and no other error (a bad literal drops its item).
  bool clean() const { return result.syntax_errors == 0 && sink.error_count() == 0; }
  const ast::File& file() const { return *result.file; }
  std::string Errors() const {
    std::string out;
    for (const auto& d : sink.diagnostics()) {
      LineCol lc = source->Locate(d.range.begin);
      out += source->path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column) + ": " + d.message + "\n";
    }
    return out;
  }
};

std::unique_ptr<Parsed> ParseText(const std::string& path, const std::string& text) {
  auto p = std::make_unique<Parsed>();
  p->source = std::make_unique<SourceFile>(path, text);
  p->result = syntax::Parse(*p->source, syntax::ParseOptions{}, p->sink);
  return p;
}

// Comment text compared modulo what the formatter may drop: '\r' and trailing blanks.
std::string NormalizeComment(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\r') continue;
    if (c == '\n')
      while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    out += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

std::vector<std::string> SortedComments(const ast::File& f) {
  std::vector<std::string> out;
  for (const auto& c : f.comments) out.push_back(NormalizeComment(c.text));
  std::sort(out.begin(), out.end());
  return out;
}

// Checks the formatter's properties on `text`. Returns false (checking
// nothing) if `text` does not parse cleanly.
bool CheckProperties(const std::string& name, const std::string& text, const FormatOptions& options = {}) {
  auto original = ParseText(name, text);
  if (!original->clean()) return false;
  std::string once = Format(original->file(), options);

  auto again = ParseText(name + " (formatted)", once);
  EXPECT_TRUE(again->clean()) << name << ": the output does not parse:\n" << again->Errors() << "---\n" << once;
  std::string why;
  EXPECT_TRUE(ast::SameAst(original->file(), again->file(), &why))
      << name << ": formatting changed the AST: " << why << "\n---\n"
      << once;
  EXPECT_EQ(SortedComments(original->file()), SortedComments(again->file())) << name << ": comments differ\n" << once;
  EXPECT_EQ(Format(again->file(), options), once) << name << ": not idempotent";

  // Layout invariants, on the output with LF line ends and no byte order mark
  // (the formatter keeps a source's CRLF or CR line ends and its mark).
  const bool had_cr = text.find('\r') != std::string::npos;
  std::string lf = once.compare(0, 3, "\xEF\xBB\xBF") == 0 ? once.substr(3) : once;
  if (had_cr) {
    std::string t;
    for (size_t i = 0; i < lf.size(); ++i) {
      if (lf[i] == '\r' && i + 1 < lf.size() && lf[i + 1] == '\n') continue;
      t += lf[i] == '\r' ? '\n' : lf[i];
    }
    lf = t;
  }
  if (!lf.empty()) {
    const std::string& once = lf;
    EXPECT_EQ(once.back(), '\n') << name;
    EXPECT_EQ(once.find("\n\n\n"), std::string::npos) << name << ": two blank lines\n" << once;
    EXPECT_NE(once.front(), '\n') << name << ": starts with a blank line";
    EXPECT_FALSE(once.size() >= 2 && once.substr(once.size() - 2) == "\n\n") << name << ": ends with a blank line";
  }
  bool multiline_strings = once.find("\"\"\"") != std::string::npos || once.find("'''") != std::string::npos;
  if (!multiline_strings) {
    if (!had_cr) EXPECT_EQ(once.find('\r'), std::string::npos) << name << ": CR in output";
    EXPECT_EQ(lf.find(" \n"), std::string::npos) << name << ": trailing space\n" << once;
    EXPECT_EQ(lf.find("\t\n"), std::string::npos) << name << ": trailing tab\n" << once;
  }
  return true;
}

// ---- goldens ---------------------------------------------------------------------

std::vector<std::string> GoldenNames() {
  std::vector<std::string> names;
  fs::path dir = kSourceDir / "tests" / "fmt";
  if (!fs::is_directory(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".accord") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string TestName(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpected) {
  fs::path dir = kSourceDir / "tests" / "fmt";
  fs::path input = dir / (GetParam() + ".accord");
  fs::path expected_path = dir / (GetParam() + ".expected");
  auto parsed = ParseText(input.string(), ReadFile(input));
  ASSERT_TRUE(parsed->clean()) << "golden inputs must parse:\n" << parsed->Errors();
  std::string actual = Format(parsed->file());
  if (UpdateGoldens()) {
    WriteFile(expected_path, actual);
    GTEST_SKIP() << "updated " << expected_path;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path << " is missing; run with ACCORD_UPDATE_GOLDENS=1";
  EXPECT_EQ(actual, ReadFile(expected_path)) << "run with ACCORD_UPDATE_GOLDENS=1 to accept the new output";
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);
INSTANTIATE_TEST_SUITE_P(Fmt, GoldenTest, ::testing::ValuesIn(GoldenNames()),
                         [](const auto& info) { return TestName(info.param); });

// ---- properties on every rules file in the repo -------------------------------------

std::vector<std::string> RepoAccordFiles() {
  std::vector<std::string> files;
  for (const char* top : {"examples", "tests"}) {
    fs::path dir = kSourceDir / top;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ".accord")
        files.push_back(fs::relative(e.path(), kSourceDir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class PropertyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PropertyTest, ReparsesIdempotentKeepsComments) {
  std::string text = ReadFile(kSourceDir / GetParam());
  if (!CheckProperties(GetParam(), text)) GTEST_SKIP() << GetParam() << " has errors: not formatted";
}

TEST_P(PropertyTest, HoldWithOtherOptions) {
  std::string text = ReadFile(kSourceDir / GetParam());
  for (FormatOptions o : {FormatOptions{4, 100}, FormatOptions{2, 30}, FormatOptions{0, 0}, FormatOptions{8, 1000}}) {
    if (!CheckProperties(GetParam() + " indent " + std::to_string(o.indent) + " width " + std::to_string(o.max_width),
                         text, o))
      GTEST_SKIP() << GetParam() << " has errors: not formatted";
  }
}

// Issue 13: a line break before '-', '(' or '[' now ends a statement. Every
// rules file in the repository means the same under the old rules, and
// `accord fmt --legacy-lines` (old rules in, formatted out) gives text that
// means under the new rules what the file meant under the old ones.
TEST_P(PropertyTest, LegacyLineRulesMeanTheSame) {
  std::string text = ReadFile(kSourceDir / GetParam());
  auto now = ParseText(GetParam(), text);
  auto legacy = std::make_unique<Parsed>();
  legacy->source = std::make_unique<SourceFile>(GetParam(), text);
  syntax::ParseOptions old_rules;
  old_rules.legacy_line_breaks = true;
  legacy->result = syntax::Parse(*legacy->source, old_rules, legacy->sink);
  EXPECT_EQ(now->clean(), legacy->clean()) << GetParam();
  if (!now->clean() || !legacy->clean()) return;
  std::string why;
  EXPECT_TRUE(ast::SameAst(now->file(), legacy->file(), &why)) << GetParam() << ": " << why;
}

TEST(Format, LegacyLinesMigration) {
  const std::string old_text =
      "sync accounts: salesforce.Account -> hubspot.companies {\n  match domain\n  Website -> website\n"
      "  [\"x\"][0] -> description\n}\n";
  // The new rules: two rules, as written.
  auto now = ParseText("a.accord", old_text);
  ASSERT_TRUE(now->clean()) << now->Errors();
  EXPECT_EQ(std::get<ast::SyncDecl>(now->file().decls[0]).items.size(), 3u);
  // The old rules continued `website` with `["x"]`; migrating keeps that meaning.
  auto legacy = std::make_unique<Parsed>();
  legacy->source = std::make_unique<SourceFile>("a.accord", old_text);
  syntax::ParseOptions old_rules;
  old_rules.legacy_line_breaks = true;
  legacy->result = syntax::Parse(*legacy->source, old_rules, legacy->sink);
  ASSERT_TRUE(legacy->clean()) << legacy->Errors();
  std::string migrated = Format(legacy->file());
  EXPECT_EQ(migrated,
            "sync accounts: salesforce.Account -> hubspot.companies {\n  match domain\n  Website -> website[\"x\"];\n"
            "  [0]     -> description\n}\n");
  auto reread = ParseText("b.accord", migrated);
  ASSERT_TRUE(reread->clean()) << reread->Errors();
  EXPECT_TRUE(ast::SameAst(legacy->file(), reread->file()));
}

// A comment may sit between any two tokens: put one after every token of the
// golden inputs in turn, and check the properties still hold.
TEST_P(GoldenTest, PropertiesWithACommentAfterEveryToken) {
  std::string text = ReadFile(kSourceDir / "tests" / "fmt" / (GetParam() + ".accord"));
  int checked = 0;
  for (size_t p = 0; p < text.size(); ++p) {
    bool blank = text[p] == ' ' || text[p] == '\n' || text[p] == '\r';
    bool after_token = p > 0 && !std::isspace(static_cast<unsigned char>(text[p - 1]));
    if (!blank || !after_token) continue;
    for (const char* comment : {" /* c */ ", " // c\n", "\n/* a\n b */"}) {
      std::string variant = text.substr(0, p) + comment + text.substr(p);
      if (CheckProperties(GetParam() + " +comment at " + std::to_string(p), variant)) ++checked;
      if (::testing::Test::HasFailure()) return;  // one failing variant is enough to read
    }
  }
  EXPECT_TRUE(text.empty() || checked > 0);
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PropertyTest);
INSTANTIATE_TEST_SUITE_P(Fmt, PropertyTest, ::testing::ValuesIn(RepoAccordFiles()),
                         [](const auto& info) { return TestName(info.param); });

// ---- unit tests ------------------------------------------------------------------------

std::string Fmt(const std::string& text, const FormatOptions& options = {}) {
  auto p = ParseText("test.accord", text);
  EXPECT_TRUE(p->clean()) << p->Errors();
  CheckProperties("test.accord", text, options);
  return Format(p->file(), options);
}

TEST(Format, EmptyAndCommentOnly) {
  EXPECT_EQ(Fmt(""), "");
  EXPECT_EQ(Fmt("  \n\n\t\n"), "");
  EXPECT_EQ(Fmt(";;"), "");
  EXPECT_EQ(Fmt("// a\n\n\n\n// b   \n/* c */"), "// a\n\n// b\n/* c */\n");
}

TEST(Format, SchemasGroupedAndAligned) {
  EXPECT_EQ(Fmt("schema salesforce \"a\"\n\n\nschema hubspot 'b'\nsync s: salesforce.A <-> hubspot.b {}"),
            "schema salesforce \"a\"\n"
            "schema hubspot    'b'\n"
            "\n"
            "sync s: salesforce.A <-> hubspot.b {}\n");
}

TEST(Format, KeepsParenthesesAndSpacing) {
  EXPECT_EQ(Fmt("sync s: salesforce.A <-> hubspot.b { ((a))+b*(c-d) -> x }"),
            "sync s: salesforce.A <-> hubspot.b {\n  ((a)) + b * (c - d) -> x\n}\n");
  EXPECT_EQ(Fmt("sync s: salesforce.A <-> hubspot.b {"
                " scope salesforce: !!a && -(-1) < - 2 ? {'k':[1,2,]}[ 'k' ] : f( x , y ) }"),
            "sync s: salesforce.A <-> hubspot.b {\n"
            "  scope salesforce: !!a && -(-1) < -2 ? {'k': [1, 2]}['k'] : f(x, y)\n"
            "}\n");
}

// A hand-built AST that no parse produces: parentheses must be added.
TEST(Format, AddsParenthesesWhenPrecedenceNeedsThem) {
  auto lit = [](const char* text, ast::LiteralKind k) {
    auto e = ast::MakeExpr(ast::ExprKind::kLiteral, {});
    e->lit = k;
    e->text = text;
    return e;
  };
  auto bin = [](ast::BinaryOp op, ast::ExprPtr l, ast::ExprPtr r) {
    auto e = ast::MakeExpr(ast::ExprKind::kBinary, {});
    e->binary_op = op;
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  };
  auto ident = [](const char* name) {
    auto e = ast::MakeExpr(ast::ExprKind::kIdent, {});
    e->name = name;
    return e;
  };
  // a * (b + c), a - (b - c)
  auto e1 = bin(ast::BinaryOp::Mul, ident("a"), bin(ast::BinaryOp::Add, ident("b"), ident("c")));
  EXPECT_EQ(FormatExpr(*e1), "a * (b + c)");
  auto e2 = bin(ast::BinaryOp::Sub, ident("a"), bin(ast::BinaryOp::Sub, ident("b"), ident("c")));
  EXPECT_EQ(FormatExpr(*e2), "a - (b - c)");
  // (a ? b : c) ? d : e
  auto cond = [](ast::ExprPtr a, ast::ExprPtr b, ast::ExprPtr c) {
    auto e = ast::MakeExpr(ast::ExprKind::kConditional, {});
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    e->args.push_back(std::move(c));
    return e;
  };
  auto e3 = cond(cond(ident("a"), ident("b"), ident("c")), ident("d"), ident("e"));
  EXPECT_EQ(FormatExpr(*e3), "(a ? b : c) ? d : e");
  // (a + b).size(), !(-x), -(5), (-5).f
  auto sel = ast::MakeExpr(ast::ExprKind::kCall, {});
  sel->name = "size";
  sel->operand = bin(ast::BinaryOp::Add, ident("a"), ident("b"));
  EXPECT_EQ(FormatExpr(*sel), "(a + b).size()");
  auto neg = ast::MakeExpr(ast::ExprKind::kUnary, {});
  neg->unary_op = ast::UnaryOp::kNeg;
  neg->operand = ident("x");
  auto notneg = ast::MakeExpr(ast::ExprKind::kUnary, {});
  notneg->unary_op = ast::UnaryOp::kNot;
  notneg->operand = std::move(neg);
  EXPECT_EQ(FormatExpr(*notneg), "!(-x)");
  auto neg5 = ast::MakeExpr(ast::ExprKind::kUnary, {});
  neg5->unary_op = ast::UnaryOp::kNeg;
  neg5->operand = lit("5", ast::LiteralKind::kInt);
  EXPECT_EQ(FormatExpr(*neg5), "-(5)");
  auto field = ast::MakeExpr(ast::ExprKind::kSelect, {});
  field->name = "f";
  field->operand = lit("-5", ast::LiteralKind::kInt);
  EXPECT_EQ(FormatExpr(*field), "(-5).f");
}

TEST(Format, SemicolonOnlyWhereItemsWouldMerge) {
  // `b - c` and `b(c)` would swallow the next item; `conflict` would become a field option.
  EXPECT_EQ(Fmt("sync s: salesforce.A <-> hubspot.b { a -> b; -c -> d; e -> f; (g) -> h; i -> j; conflict two_way;"
                " k -> l; m -> n; match email; }"),
            "sync s: salesforce.A <-> hubspot.b {\n"
            "  a   -> b;\n"
            "  -c  -> d\n"
            "  e   -> f;\n"
            "  (g) -> h\n"
            "  i   -> j;\n"
            "  conflict two_way\n"
            "  k -> l\n"
            "  m -> n\n"
            "  match email\n"
            "}\n");
  EXPECT_EQ(Fmt("sync s: salesforce.A <-> hubspot.b { create in hubspot; when -> x\n"
                "delete keep; from -> y\n scope hubspot: z; [1][0] -> w }"),
            "sync s: salesforce.A <-> hubspot.b {\n"
            "  create in hubspot;\n"
            "  when -> x\n"
            "  delete keep;\n"
            "  from -> y\n"
            "  scope hubspot: z;\n"
            "  [1][0] -> w\n"
            "}\n");
}

TEST(Format, OneLineOrBrokenBraces) {
  std::string src =
      "sync s: salesforce.A <-> hubspot.b {\n"
      "  AnnualRevenue <-> annualrevenue { to hubspot: string(_) to salesforce: double(_) }\n"
      "}\n";
  EXPECT_EQ(Fmt(src),
            "sync s: salesforce.A <-> hubspot.b {\n"
            "  AnnualRevenue <-> annualrevenue { to hubspot: string(_)  to salesforce: double(_) }\n"
            "}\n");
  EXPECT_EQ(Fmt(src, FormatOptions{2, 60}),
            "sync s: salesforce.A <-> hubspot.b {\n"
            "  AnnualRevenue <-> annualrevenue {\n"
            "    to hubspot: string(_)\n"
            "    to salesforce: double(_)\n"
            "  }\n"
            "}\n");
  EXPECT_EQ(Fmt("test \"t\" { given salesforce.A { X: 1, Y: \"two\", } expect nothing }", FormatOptions{4, 30}),
            "test \"t\" {\n"
            "    given salesforce.A {\n"
            "        X: 1,\n"
            "        Y: \"two\",\n"
            "    }\n"
            "    expect nothing\n"
            "}\n");
}

TEST(Format, CommentsInsideItemsMoveBeforeThem) {
  EXPECT_EQ(Fmt("sync s: /* why */ salesforce.A <-> hubspot.b {\n"
                "  scope salesforce: a && // first\n"
                "     b\n"
                "}"),
            "/* why */\n"
            "sync s: salesforce.A <-> hubspot.b {\n"
            "  // first\n"
            "  scope salesforce: a && b\n"
            "}\n");
}

TEST(Format, TrailingAndHeaderComments) {
  EXPECT_EQ(Fmt("sync s: salesforce.A <-> hubspot.b { // header\n"
                "  match email /* a */ // b\n"
                "  a -> b { // in transforms\n to hubspot: x }   // after\n"
                "  // dangling\n"
                "}  // end\n"
                "// eof"),
            "sync s: salesforce.A <-> hubspot.b {  // header\n"
            "  match email  /* a */ // b\n"
            "  a -> b {  // in transforms\n"
            "    to hubspot: x\n"
            "  }  // after\n"
            "  // dangling\n"
            "}  // end\n"
            "// eof\n");
}

// `accord fmt` changes layout, not encoding: CRLF and lone-CR line ends and a
// byte order mark are kept (they were turned into LF and dropped).
TEST(Format, CrlfInputKeepsCrlf) {
  EXPECT_EQ(Fmt("// a\r\n/* b\r\n c */\r\nschema salesforce \"x\"\r\n\r\n\r\nsync s: salesforce.A <-> hubspot.b {\r\n"
                "  match email\r\n\r\n  a -> b  // t\r\n  c -> d with \"\"\"x\r\ny\"\"\"\r\n}\r\n"),
            "// a\r\n/* b\r\n c */\r\nschema salesforce \"x\"\r\n\r\nsync s: salesforce.A <-> hubspot.b {\r\n"
            "  match email\r\n\r\n  a -> b  // t\r\n  c -> d with \"\"\"x\r\ny\"\"\"\r\n}\r\n");
}

TEST(Format, LoneCrInputKeepsCr) {
  EXPECT_EQ(Fmt("// a\rschema salesforce \"x\"\r\r\rsync s: salesforce.A <-> hubspot.b {\r  match email\r\r"
                "  a -> b  // t\r  conflict two_way\r}\r"),
            "// a\rschema salesforce \"x\"\r\rsync s: salesforce.A <-> hubspot.b {\r  match email\r\r"
            "  a -> b;  // t\r  conflict two_way\r}\r");
}

TEST(Format, ByteOrderMarkIsKept) {
  EXPECT_EQ(Fmt("\xEF\xBB\xBF// a\nschema  salesforce \"x\"\n"), "\xEF\xBB\xBF// a\nschema salesforce \"x\"\n");
  EXPECT_EQ(Fmt("\xEF\xBB\xBFschema salesforce \"x\"\r\n"), "\xEF\xBB\xBFschema salesforce \"x\"\r\n");
  // Mixed line ends become LF.
  EXPECT_EQ(Fmt("schema salesforce \"x\"\r\nschema hubspot \"y\"\n"),
            "schema salesforce \"x\"\nschema hubspot    \"y\"\n");
}

TEST(Format, WithoutSourceCommentsGoLast) {
  auto p = ParseText("x.accord", "// c\nschema salesforce \"x\"\n");
  ast::File& f = *p->result.file;
  f.source = nullptr;
  EXPECT_EQ(Format(f), "schema salesforce \"x\"\n// c\n");
}

}  // namespace
}  // namespace accord::fmt
