#include "compiler/sema/checker.h"

#include <gtest/gtest.h>

#include "compiler/driver/driver.h"
#include "compiler/sema/stdlib_decls.h"

namespace accord::sema {
namespace {

const char* kSchemas =
    "schema salesforce \"" ACCORD_SOURCE_DIR "/examples/salesforce-hubspot/schemas/salesforce\"\n"
    "schema hubspot \"" ACCORD_SOURCE_DIR "/examples/salesforce-hubspot/schemas/hubspot\"\n";

struct CheckRun {
  SourceFile src;
  DiagSink sink;
  syntax::ParseResult parsed;
  schema::SchemaSet schemas;
  Model model;
  explicit CheckRun(std::string text) : src("t.accord", std::string(kSchemas) + text) {
    parsed = syntax::Parse(src, {}, sink);
    std::vector<schema::SchemaError> errs;
    schema::LoadSchemaDir(schema::System::kSalesforce,
                          ACCORD_SOURCE_DIR "/examples/salesforce-hubspot/schemas/salesforce", schemas, errs);
    schema::LoadSchemaDir(schema::System::kHubSpot, ACCORD_SOURCE_DIR "/examples/salesforce-hubspot/schemas/hubspot",
                          schemas, errs);
    CheckInput in;
    in.files = {parsed.file.get()};
    in.schemas = &schemas;
    in.have_salesforce_schema = in.have_hubspot_schema = true;
    model = Check(in, sink);
  }
  std::vector<std::string> Codes() const {
    std::vector<std::string> out;
    for (const auto& d : sink.diagnostics()) out.emplace_back(Info(d.code).id);
    return out;
  }
};

TEST(Stdlib, EverySignatureParses) {
  // Build() asserts in debug builds; here we check the count matches the spec.
  size_t lines = 0;
#define ACCORD_FN(id, sig, doc, ex) ++lines;
#include "stdlib/functions.def"
#undef ACCORD_FN
  EXPECT_EQ(StdlibOverloads().size(), lines);
  auto joins = FindOverloads("join", true);
  ASSERT_EQ(joins.size(), 2u);
  EXPECT_EQ(joins[0]->args[0].ToString(), "list(string)");
  EXPECT_EQ(FindOverloads("lowerAscii", false).size(), 1u);
}

TEST(Checker, CleanSyncHasNoDiagnostics) {
  CheckRun r(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  conflict two_way
  scope salesforce: Email != null && !IsDeleted
  FirstName <-> firstname
  Email <-> email with lowerAscii(trim(_))
  FirstName + " " + LastName -> full_name
}
)");
  EXPECT_TRUE(r.Codes().empty()) << r.Codes()[0] << ": " << r.sink.diagnostics()[0].message;
}

TEST(Checker, RecordsTypesAndFieldReferences) {
  CheckRun r(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  conflict two_way
  FirstName + " " + LastName -> full_name
}
)");
  ASSERT_TRUE(r.Codes().empty());
  size_t refs = 0;
  for (const auto& [e, ref] : r.model.fields) refs += ref.field != nullptr;
  EXPECT_EQ(refs, 3u);  // FirstName, LastName, full_name
  bool saw_string_concat = false;
  for (const auto& [e, t] : r.model.types)
    if (e->kind == ast::ExprKind::kBinary && t.Is(TypeKind::kString)) saw_string_concat = true;
  EXPECT_TRUE(saw_string_concat);
}

TEST(Checker, MisspeltFieldSuggests) {
  CheckRun r(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  conflict two_way
  FirstNme <-> firstname
}
)");
  ASSERT_EQ(r.Codes(), std::vector<std::string>{"A0102"});
  EXPECT_NE(r.sink.diagnostics()[0].message.find("did you mean \"FirstName\""), std::string::npos);
  EXPECT_EQ(r.sink.diagnostics()[0].fixit, "FirstName");
}

TEST(Checker, TypeErrorsInExpressions) {
  CheckRun r(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  conflict two_way
  scope salesforce: Email + 1
  scope hubspot: size(email) > 1.5 && nosuch(email)
}
)");
  auto codes = r.Codes();
  EXPECT_NE(std::find(codes.begin(), codes.end(), "A0203"), codes.end());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "A0108"), codes.end());
}

TEST(Checker, MacrosBindVariables) {
  CheckRun r(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  conflict two_way
  scope hubspot: [email, firstname].exists(x, x.startsWith("a")) && [1, 2].map(n, n * 2).all(m, m > 0)
}
)");
  EXPECT_TRUE(r.Codes().empty()) << r.sink.diagnostics()[0].message;
}

}  // namespace
}  // namespace accord::sema
