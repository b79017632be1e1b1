#include "compiler/syntax/parser.h"

#include <gtest/gtest.h>

#include <random>

namespace accord::syntax {
namespace {

struct Parsed {
  std::unique_ptr<SourceFile> src;
  ParseResult result;
  DiagSink sink;
};

std::unique_ptr<Parsed> P(std::string text, ParseOptions opt = {}) {
  auto p = std::make_unique<Parsed>();
  p->src = std::make_unique<SourceFile>("t.accord", std::move(text));
  p->result = Parse(*p->src, opt, p->sink);
  return p;
}

std::string Messages(const Parsed& p) {
  std::string out;
  for (const auto& d : p.sink.diagnostics()) out += "\n" + d.message;
  return out;
}

std::string FirstExpr(const std::string& expr) {
  auto p = P("sync s: salesforce.Contact <-> hubspot.contacts { scope salesforce: " + expr + " }");
  EXPECT_EQ(p->result.syntax_errors, 0u) << expr << ": "
                                         << (p->sink.diagnostics().empty() ? "" : p->sink.diagnostics()[0].message);
  if (p->result.file->decls.empty()) return "<none>";
  auto& sync = std::get<ast::SyncDecl>(p->result.file->decls[0]);
  if (sync.items.empty()) return "<none>";
  return ast::DumpExpr(*std::get<ast::ScopeRule>(sync.items[0]).condition);
}

TEST(Parser, EmptyAndCommentOnlyFiles) {
  auto p = P("");
  EXPECT_EQ(p->result.syntax_errors, 0u);
  EXPECT_TRUE(p->result.file->decls.empty());
  auto q = P("// just a comment\n/* and a block */\n");
  EXPECT_EQ(q->result.syntax_errors, 0u);
  EXPECT_EQ(q->result.file->comments.size(), 2u);
}

TEST(Parser, CelPrecedence) {
  EXPECT_EQ(FirstExpr("a || b && c"), "(|| a (&& b c))");
  EXPECT_EQ(FirstExpr("a + b * c - d"), "(- (+ a (* b c)) d)");
  EXPECT_EQ(FirstExpr("a < b == c"), "(== (< a b) c)");
  EXPECT_EQ(FirstExpr("x in [1, 2] ? y : z ? 1 : 2"), "(?: (in x (list 1 2)) y (?: z 1 2))");
  EXPECT_EQ(FirstExpr("!a.b"), "(! (select a b))");
  EXPECT_EQ(FirstExpr("-a[0].f(1)"), "(neg (call f :recv (index a 0) 1))");
  EXPECT_EQ(FirstExpr("{'k': [1, 2,]}.k"), "(select (map \"k\" (list 1 2)) k)");
  EXPECT_EQ(FirstExpr("l.all(x, x > 0) && has(m.f)"), "(&& (call all :recv l x (> x 0)) (call has (select m f)))");
}

TEST(Parser, Literals) {
  EXPECT_EQ(FirstExpr("0x1F"), "31");
  EXPECT_EQ(FirstExpr("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(FirstExpr("42u"), "42u");
  EXPECT_EQ(FirstExpr("0xFFu"), "255u");
  EXPECT_EQ(FirstExpr("1.5e3"), "(double 1500)");
  EXPECT_EQ(FirstExpr(".5"), "(double 0.5)");
  EXPECT_EQ(FirstExpr("r'\\d+'"), "\"\\\\d+\"");
  EXPECT_EQ(FirstExpr("'''a\nb'''"), "\"a\\x0ab\"");
  EXPECT_EQ(FirstExpr("\"\\u00e9\\x41\\101\\t\""),
            "\"\xc3\xa9"
            "AA\\x09\"");
  EXPECT_EQ(FirstExpr("b'\\xff'"), "b\"\xff\"");
  EXPECT_EQ(FirstExpr("true != null"), "(!= true null)");
}

TEST(Parser, BadLiteralsAreDiagnostics) {
  auto p = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: 99999999999999999999 }");
  ASSERT_FALSE(p->sink.diagnostics().empty());
  EXPECT_EQ(p->sink.diagnostics()[0].code, DiagCode::kBadLiteral);
  auto q = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: \"\\q\" }");
  ASSERT_FALSE(q->sink.diagnostics().empty());
  EXPECT_EQ(q->sink.diagnostics()[0].code, DiagCode::kBadLiteral);
  EXPECT_NE(q->sink.diagnostics()[0].message.find("\\q"), std::string::npos);
}

// Values-table numbers are read as expression literals are: a hex key is 16, not 0 (lowering
// reads the decimal text back), and one that does not fit is A0006, not a string.
TEST(Parser, ValuesTableNumbersReadLikeLiterals) {
  auto p = P("values v: salesforce.A.n -> hubspot.b.m {\n  0x10 -> 1\n  42u -> 0xFFu\n}");
  ASSERT_TRUE(p->sink.diagnostics().empty()) << p->sink.diagnostics()[0].message;
  auto& values = std::get<ast::ValuesDecl>(p->result.file->decls[0]);
  ASSERT_EQ(values.entries.size(), 2u);
  auto& first = std::get<ast::ValuePair>(values.entries[0]);
  EXPECT_EQ(first.salesforce.value, "16");
  auto& second = std::get<ast::ValuePair>(values.entries[1]);
  EXPECT_EQ(second.salesforce.value, "42");
  EXPECT_EQ(second.hubspot.value, "255");
  auto q = P("values v: salesforce.A.n -> hubspot.b.m {\n  99999999999999999999 -> 1\n}");
  ASSERT_FALSE(q->sink.diagnostics().empty());
  EXPECT_EQ(q->sink.diagnostics()[0].code, DiagCode::kBadLiteral);
}

TEST(Parser, AllDeclarationKinds) {
  auto p = P(R"(
schema salesforce "schemas/salesforce"
values Industry: salesforce.Account.Industry <-> hubspot.companies.industry {
  "Technology" <-> "COMPUTER_SOFTWARE"
  "Finance" -> "FINANCIAL_SERVICES"
  else -> "OTHER"
  else <- reject
}
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  scope salesforce: Email != null
  create in hubspot
  create in salesforce when hubspot.lifecyclestage == "lead"
  conflict two_way
  blank ignore
  converts to people
  on create salesforce { LastName = coalesce(lastname, "[unknown]") LeadSource = "Web" }
  associate AccountId <-> companies
  delete propagate from salesforce
  FirstName <-> firstname
  Email <-> email with lowerAscii(trim(_)) conflict prefer salesforce unless blank blank clear
  Industry <-> industry via Industry
  FirstName + " " + LastName -> full_name
  AnnualRevenue <-> annualrevenue { to hubspot: string(_) to salesforce: double(_) }
}
lifecycle hubspot.contacts.lifecyclestage {
  order subscriber < lead < "customer"
  forward only
  when salesforce.Opportunity.StageName becomes "Closed Won" then customer for contacts of AccountId
}
test "t" {
  given linked salesforce.Contact "003" { Email: "a@b.c", FirstName: "A" }
  expect hubspot.contacts { email: "a@b.c" }
  expect nothing
  expect error PropertyValues
}
)");
  ASSERT_EQ(p->result.syntax_errors, 0u) << p->sink.diagnostics()[0].message;
  ASSERT_EQ(p->result.file->decls.size(), 5u);
  auto& sync = std::get<ast::SyncDecl>(p->result.file->decls[2]);
  EXPECT_EQ(sync.items.size(), 15u);
  auto& email = std::get<ast::FieldRule>(sync.items[11]);
  EXPECT_TRUE(email.with);
  ASSERT_TRUE(email.conflict);
  EXPECT_EQ(email.conflict->kind, ast::ConflictKind::kPreferUnlessBlank);
  ASSERT_TRUE(email.blank);
  EXPECT_EQ(email.blank->kind, ast::BlankKind::kClear);
  auto& computed = std::get<ast::FieldRule>(sync.items[13]);
  EXPECT_EQ(computed.dir, ast::Direction::kToHubSpot);
  EXPECT_EQ(computed.salesforce->kind, ast::ExprKind::kBinary);
  auto& asym = std::get<ast::FieldRule>(sync.items[14]);
  EXPECT_EQ(asym.transforms.size(), 2u);
  auto& lc = std::get<ast::LifecycleDecl>(p->result.file->decls[3]);
  auto& trig = std::get<ast::Trigger>(lc.items[2]);
  ASSERT_TRUE(trig.for_object);
  EXPECT_EQ(trig.of_field->text, "AccountId");
  auto& t = std::get<ast::TestDecl>(p->result.file->decls[4]);
  EXPECT_EQ(t.items.size(), 4u);
  EXPECT_TRUE(std::get<ast::Given>(t.items[0]).linked);
}

TEST(Parser, SoftKeywordsAreNames) {
  // Property names that are also Accord keywords.
  auto p = P("sync s: salesforce.A <-> hubspot.b { match email  email <-> email  type <-> order  domain <-> link }");
  EXPECT_EQ(p->result.syntax_errors, 0u) << (p->sink.diagnostics().empty() ? "" : p->sink.diagnostics()[0].message);
  auto& sync = std::get<ast::SyncDecl>(p->result.file->decls[0]);
  EXPECT_EQ(sync.items.size(), 4u);
}

TEST(Parser, RangesAreByteOffsets) {
  std::string text = "// é\nsync s: salesforce.Contact <-> hubspot.contacts { Email <-> email }";
  auto p = P(text);
  ASSERT_EQ(p->result.syntax_errors, 0u);
  auto& sync = std::get<ast::SyncDecl>(p->result.file->decls[0]);
  auto& rule = std::get<ast::FieldRule>(sync.items[0]);
  EXPECT_EQ(text.substr(rule.salesforce->range.begin, rule.salesforce->range.end - rule.salesforce->range.begin),
            "Email");
  EXPECT_EQ(text.substr(sync.left.object.range.begin, 7), "Contact");
}

TEST(Parser, SeveralErrorsInWordsNotTokenDumps) {
  auto p = P(R"(
sync a: salesforce.Contact <-> hubspot.contacts {
  FirstName <-> 
}
sync b salesforce.Lead <-> hubspot.contacts { }
values v: salesforce.A.B <-> hubspot.c.d { "x" <-> }
)");
  EXPECT_GE(p->sink.error_count(), 3u);
  for (const auto& d : p->sink.diagnostics()) {
    EXPECT_EQ(d.code, DiagCode::kSyntax);
    EXPECT_EQ(d.message.find("mismatched input"), std::string::npos) << d.message;
    EXPECT_EQ(d.message.find("expecting {"), std::string::npos) << "raw token set: " << d.message;
    EXPECT_EQ(d.message.find("IDENT"), std::string::npos) << d.message;
  }
}

TEST(Parser, StrayCharactersAndUnterminatedThings) {
  auto p = P("sync s: salesforce.A <-> hubspot.b { x <-> y # }");
  ASSERT_FALSE(p->sink.diagnostics().empty());
  EXPECT_NE(p->sink.diagnostics()[0].message.find("unexpected character '#'"), std::string::npos);
  auto q = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: x == \"abc\n }");
  ASSERT_FALSE(q->sink.diagnostics().empty());
  EXPECT_NE(q->sink.diagnostics()[0].message.find("unterminated string"), std::string::npos);
  auto r = P("/* never closed\nsync");
  ASSERT_FALSE(r->sink.diagnostics().empty());
  EXPECT_NE(r->sink.diagnostics()[0].message.find("unterminated comment"), std::string::npos);
}

TEST(Parser, TenThousandNestedParenthesesGiveADiagnostic) {
  std::string e = std::string(10000, '(') + "1" + std::string(10000, ')');
  auto p = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: " + e + " }");
  ASSERT_FALSE(p->sink.diagnostics().empty());
  EXPECT_EQ(p->sink.diagnostics()[0].code, DiagCode::kNestingTooDeep);
}

TEST(Parser, LongOperatorChainsAndTernariesAreBounded) {
  std::string chain = "a";
  for (int i = 0; i < 100000; ++i) chain += " + a";
  auto p = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: " + chain + " }");
  EXPECT_EQ(p->sink.diagnostics().at(0).code, DiagCode::kNestingTooDeep);
  std::string tern;
  for (int i = 0; i < 20000; ++i) tern += "a ? b : ";
  tern += "c";
  auto q = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: " + tern + " }");
  EXPECT_EQ(q->sink.diagnostics().at(0).code, DiagCode::kNestingTooDeep);
  std::string sel = "a";
  for (int i = 0; i < 50000; ++i) sel += ".b";
  auto r = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: " + sel + " }");
  EXPECT_EQ(r->sink.diagnostics().at(0).code, DiagCode::kNestingTooDeep);
  // Within the limit is fine.
  ParseOptions opt;
  auto ok = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: " + std::string(100, '(') + "1" +
                  std::string(100, ')') + " }",
              opt);
  EXPECT_EQ(ok->result.syntax_errors, 0u);
}

// Every AST node counts toward --max-nesting, so that no later pass recurses
// deeper than the limit. Unary operators did not count: 20,000 '!' built an
// AST 20,000 deep and crashed check, fmt and eval.
TEST(Parser, NoExpressionIsDeeperThanTheNestingLimit) {
  auto scope = [](const std::string& e) {
    return "sync s: salesforce.A <-> hubspot.b {\n  scope salesforce: " + e + "\n  a <-> b\n}\n";
  };
  auto nest = [](int levels, const std::string& open, const std::string& leaf, const std::string& close) {
    std::string s;
    for (int i = 0; i < levels; ++i) s += open;
    s += leaf;
    for (int i = 0; i < levels; ++i) s += close;
    return s;
  };
  std::vector<std::string> inputs = {
      std::string(20000, '!') + "true",
      std::string(300, '!') + "true",
      std::string(300, '-') + "x",
      std::string(200, '-') + "1",
      nest(100, "!(a || a || a || a || ", "a", ")"),
      nest(100, "(a + a + a + a + ", "a", ")"),
      nest(100, "a.b.c.d(", "a", ")"),
      nest(100, "[[a, ", "a", "]]"),
      nest(100, "{1: ", "a", "}"),
      nest(100, "a ? b : !!", "a", ""),
      nest(100, "f(!-", "a", ")"),
  };
  for (int max : {8, 64, 256}) {
    for (const std::string& e : inputs) {
      ParseOptions opt;
      opt.max_nesting = max;
      auto p = P(scope(e), opt);
      EXPECT_LE(ast::MaxExprDepth(*p->result.file), max) << e.substr(0, 60);
      SourceFile src("e", e);
      DiagSink sink;
      ParseResult r = ParseExpression(src, opt, sink);
      if (r.expr) EXPECT_LE(ast::ExprDepth(*r.expr), max) << e.substr(0, 60);
      if (!r.expr) {
        ASSERT_FALSE(sink.diagnostics().empty()) << e.substr(0, 60);
      }
    }
  }
  // 20,000 '!' is reported as too deep, once.
  auto p = P(scope(std::string(20000, '!') + "true"));
  ASSERT_EQ(p->sink.diagnostics().size(), 1u);
  EXPECT_EQ(p->sink.diagnostics()[0].code, DiagCode::kNestingTooDeep);
  // Within the limit, unary runs still parse.
  auto q = P(scope(std::string(100, '!') + "true"));
  EXPECT_EQ(q->result.syntax_errors, 0u);
}

TEST(Parser, NestingLimitIsClampedToItsRange) {
  ParseOptions opt;
  opt.max_nesting = -5;  // the library clamps to 1; the CLI refuses such values
  auto p = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: a }", opt);
  EXPECT_EQ(p->result.syntax_errors, 0u);
  auto deeper = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: !a }", opt);
  EXPECT_EQ(deeper->sink.diagnostics().at(0).code, DiagCode::kNestingTooDeep);
  opt.max_nesting = 1 << 30;
  auto q = P("sync s: salesforce.A <-> hubspot.b { scope salesforce: " + std::string(5000, '!') + "a }", opt);
  EXPECT_LE(ast::MaxExprDepth(*q->result.file), kMaxNestingLimit);
}

// Diagnostics of a file with a byte order mark or lone-CR line ends point at
// the right line and column (the mark shifted columns by one, CR-only files
// put everything on line 1), and `conflict` at the start of a CR-ended line
// starts a new item as it does after LF.
TEST(Parser, ByteOrderMarkAndLoneCrPositions) {
  for (std::string end : {"\n", "\r\n", "\r"}) {
    for (std::string bom : {"", "\xEF\xBB\xBF"}) {
      auto p = P(bom + "sync s: salesforce.A <-> hubspot.b {" + end + "  a <-> b" + end + "  conflict two_way" + end +
                 "  c <-> d with 99999999999999999999" + end + "}" + end);
      ASSERT_EQ(p->sink.diagnostics().size(), 1u) << bom.size() << " " << end.size() << Messages(*p);
      LineCol lc = p->src->Locate(p->sink.diagnostics()[0].range.begin);
      EXPECT_EQ(lc.line, 4u);
      EXPECT_EQ(lc.column, 16u);
      const auto& sync = std::get<ast::SyncDecl>(p->result.file->decls.at(0));
      EXPECT_EQ(sync.items.size(), 2u);  // a <-> b, conflict two_way (the bad rule is dropped)
      EXPECT_TRUE(std::holds_alternative<ast::ConflictDefault>(sync.items.at(1)));
    }
  }
}

// An unclosed '(' or '{' was reported at the end of the file; now at the
// bracket, without the parser's follow-on errors after it.
TEST(Parser, UnclosedBracketIsReportedAtTheBracket) {
  auto p =
      P("sync s: salesforce.A <-> hubspot.b {\n  a <-> f(b\n  c <-> d\n}\n\nsync t: salesforce.A <-> hubspot.b {\n  e "
        "<-> f\n}\n");
  ASSERT_EQ(p->sink.diagnostics().size(), 1u) << Messages(*p);
  const Diagnostic& d = p->sink.diagnostics()[0];
  EXPECT_EQ(d.code, DiagCode::kSyntax);
  EXPECT_EQ(p->src->Locate(d.range.begin).line, 2u);
  EXPECT_EQ(p->src->Locate(d.range.begin).column, 10u);
  EXPECT_EQ(d.message, "this '(' is never closed: ')' is missing before '}' on line 4");
  EXPECT_GT(p->result.syntax_errors, 0u);
  // The next declaration is still parsed.
  ASSERT_EQ(p->result.file->decls.size(), 2u);
  EXPECT_EQ(std::get<ast::SyncDecl>(p->result.file->decls[1]).name.text, "t");

  auto q = P("sync s: salesforce.A <-> hubspot.b {\n  match email\n  a <-> b\n");
  ASSERT_EQ(q->sink.diagnostics().size(), 1u);
  EXPECT_EQ(q->src->Locate(q->sink.diagnostics()[0].range.begin).line, 1u);
  EXPECT_EQ(q->src->Locate(q->sink.diagnostics()[0].range.begin).column, 36u);
  EXPECT_EQ(q->sink.diagnostics()[0].message, "this '{' is never closed: '}' is missing before the end of the file");
}

// A field option given twice is reported and the first kept, but the file is
// complete: it is not a syntax error, so the checker's errors still show.
TEST(Parser, DuplicateFieldOptionIsNotASyntaxError) {
  auto p = P("sync s: salesforce.A <-> hubspot.b {\n  a <-> b with x with y via T via U\n}\n");
  EXPECT_EQ(p->result.syntax_errors, 0u);
  ASSERT_EQ(p->sink.diagnostics().size(), 2u);
  EXPECT_EQ(p->sink.diagnostics()[0].code, DiagCode::kDuplicatePolicy);
  const auto& rule = std::get<ast::FieldRule>(std::get<ast::SyncDecl>(p->result.file->decls.at(0)).items.at(0));
  EXPECT_EQ(rule.with->name, "x");
  EXPECT_EQ(rule.via->text, "T");
}

// Issue 13: a rule that starts with '-', '(' or '[' on its own line is a new
// rule, not more of the previous line's expression; inside brackets, after an
// operator and in a map literal the line break changes nothing.
TEST(Parser, LineBreakEndsAStatementBeforeMinusParenBracket) {
  auto items = [](const std::string& body) {
    auto p = P("sync s: salesforce.A <-> hubspot.b {\n" + body + "}\n");
    EXPECT_EQ(p->result.syntax_errors, 0u) << body << Messages(*p);
    std::vector<std::string> out;
    if (p->result.file->decls.empty()) return out;
    for (const auto& item : std::get<ast::SyncDecl>(p->result.file->decls[0]).items) {
      if (const auto* f = std::get_if<ast::FieldRule>(&item))
        out.push_back(ast::DumpExpr(*f->salesforce) + " " + std::string(ast::DirectionToken(f->dir)) + " " +
                      ast::DumpExpr(*f->hubspot));
      else if (const auto* sc = std::get_if<ast::ScopeRule>(&item))
        out.push_back("scope " + ast::DumpExpr(*sc->condition));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(items("  a -> b\n  -c -> d\n"), (V{"a -> b", "(neg c) -> d"}));
  EXPECT_EQ(items("  a -> b\n  (c) -> d\n"), (V{"a -> b", "c -> d"}));
  EXPECT_EQ(items("  a -> b\n  [c][0] -> d\n"), (V{"a -> b", "(index (list c) 0) -> d"}));
  EXPECT_EQ(items("  scope salesforce: x\n  (y) -> z\n"), (V{"scope x", "y -> z"}));
  // Continuations: after an operator, inside brackets, inside a map literal, a leading '.', '&&'.
  EXPECT_EQ(items("  scope salesforce: x -\n  1 > 0\n"), (V{"scope (> (- x 1) 0)"}));
  EXPECT_EQ(items("  scope salesforce: f(x,\n  -1)\n"), (V{"scope (call f x -1)"}));
  EXPECT_EQ(items("  scope salesforce: (x\n  - 1) > 0\n"), (V{"scope (> (- x 1) 0)"}));
  EXPECT_EQ(items("  scope salesforce: {1: x\n  - 1}.size() > 0\n"),
            (V{"scope (> (call size :recv (map 1 (- x 1))) 0)"}));
  EXPECT_EQ(items("  scope salesforce: x\n    && y\n"), (V{"scope (&& x y)"}));
  EXPECT_EQ(items("  a -> b\n    .lowerAscii()\n"), (V{"a -> (call lowerAscii :recv b)"}));
  // On one line nothing changed: `b (c)` is still a call.
  EXPECT_EQ(items("  a -> b (c)\n"), (V{"a -> (call b c)"}));
}

TEST(Parser, SourceSizeLimit) {
  ParseOptions opt;
  opt.max_source_bytes = 1000;
  auto p = P(std::string(2000, ' '), opt);
  ASSERT_EQ(p->sink.diagnostics().size(), 1u);
  EXPECT_EQ(p->sink.diagnostics()[0].code, DiagCode::kSourceTooLarge);
}

TEST(Parser, BinaryAndInvalidUtf8) {
  auto p = P(std::string("sync\0\x01\x02", 7));
  ASSERT_EQ(p->sink.diagnostics().size(), 1u);
  EXPECT_EQ(p->sink.diagnostics()[0].code, DiagCode::kBadEncoding);
  auto q = P("// caf\xe9\n");
  ASSERT_EQ(q->sink.diagnostics().size(), 1u);
  EXPECT_EQ(q->sink.diagnostics()[0].code, DiagCode::kBadEncoding);
}

TEST(Parser, ErrorLimitPerFile) {
  ParseOptions opt;
  opt.max_syntax_errors = 5;
  std::string bad;
  for (int i = 0; i < 50; ++i) bad += "sync # ;\n";
  auto p = P(bad, opt);
  EXPECT_LE(p->sink.diagnostics().size(), 6u);
}

TEST(Parser, RandomBytesNeverCrash) {
  std::mt19937 rng(1234);
  const std::string alphabet =
      "sync values { } ( ) [ ] < - > <-> -> <- \" ' . : , ; a b 1 0x 2u ? ! && || == \n /* */ //";
  for (int iter = 0; iter < 300; ++iter) {
    std::string s;
    int n = rng() % 200;
    for (int i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    auto p = P(s);
    EXPECT_NE(p->result.file, nullptr);
  }
}

}  // namespace
}  // namespace accord::syntax
