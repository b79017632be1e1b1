#include "compiler/sema/checker.h"

#include <gtest/gtest.h>

#include "compiler/driver/driver.h"
#include "compiler/sema/rule_checks.h"
#include "compiler/sema/stdlib_decls.h"

namespace accord::sema {
namespace {

const char* kSchemas = "schema salesforce \"" ACCORD_SOURCE_DIR
                       "/examples/salesforce-hubspot/schemas/salesforce\"\n"
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

// ---- rule checks (rule_checks.cc) ----

TEST(RuleChecks, HubSpotIdsAreNeverSalesforceIds) {
  CheckRun r("");
  auto sf = [&](const char* o, const char* f) { return *r.schemas.Find(schema::System::kSalesforce, o)->FindField(f); };
  auto hs = [&](const char* o, const char* f) { return *r.schemas.Find(schema::System::kHubSpot, o)->FindField(f); };
  EXPECT_TRUE(HubSpotIdIntoSalesforceId(hs("contacts", "hubspot_owner_id"), sf("Contact", "OwnerId")));
  EXPECT_TRUE(HubSpotIdIntoSalesforceId(hs("contacts", "hs_object_id"), sf("Contact", "AccountId")));
  // a HubSpot property that stores a Salesforce id is fine, and so is a lookup's text
  EXPECT_FALSE(HubSpotIdIntoSalesforceId(hs("contacts", "salesforce_contact_id"), sf("Contact", "ReportsToId")));
  EXPECT_FALSE(HubSpotIdIntoSalesforceId(hs("contacts", "hubspot_owner_id"), sf("Contact", "Title")));
  EXPECT_EQ(HubSpotRequiredOnCreate("deals"), (std::vector<std::string>{"pipeline", "dealstage"}));
  EXPECT_TRUE(HubSpotRequiredOnCreate("contacts").empty());
}

// Each scope form excludes exactly the values it should (A0607).
TEST(RuleChecks, TriggerAgainstEachScopeForm) {
  auto codes = [](const std::string& scope, const std::string& trigger) {
    CheckRun r("sync leads: salesforce.Lead -> hubspot.contacts {\n  match email\n  scope salesforce: " + scope +
               "\n  Email -> email\n}\nlifecycle hubspot.contacts.lifecyclestage {\n  order subscriber < lead < "
               "marketingqualifiedlead < salesqualifiedlead < opportunity < customer < evangelist < other\n  " +
               trigger + "\n}\n");
    return r.Codes();
  };
  const std::vector<std::string> out = {"A0607"}, in;
  const std::string qualified = "when salesforce.Lead.Status becomes \"Qualified\" then salesqualifiedlead";
  EXPECT_EQ(codes("Status != \"Qualified\"", qualified), out);
  EXPECT_EQ(codes("Status == \"Working - Contacted\"", qualified), out);
  EXPECT_EQ(codes("Status in [\"Open - Not Contacted\", \"Working - Contacted\"]", qualified), out);
  EXPECT_EQ(codes("Email != null && Status != \"Qualified\"", qualified), out);
  EXPECT_EQ(codes("Status in [\"Working - Contacted\", \"Qualified\"]", qualified), in);
  EXPECT_EQ(codes("Status != \"Working - Contacted\"", qualified), in);
  EXPECT_EQ(codes("Status != \"Qualified\" || Email != null", qualified), in) << "a disjunction excludes nothing";
  EXPECT_EQ(codes("!IsConverted", "when salesforce.Lead.IsConverted becomes true then salesqualifiedlead"), out);
  EXPECT_EQ(codes("IsConverted", "when salesforce.Lead.IsConverted becomes false then lead"), out);
  EXPECT_EQ(codes("!IsConverted", "when salesforce.Lead.IsConverted becomes false then lead"), in);
}

// Many syncs writing one field: one finding per pair of syncs, not per field and pair.
TEST(RuleChecks, TwoSyncsWritingOneObjectAreOneFinding) {
  std::string text;
  for (int i = 0; i < 3; ++i)
    text += "sync s" + std::to_string(i) +
            ": salesforce.Contact -> hubspot.contacts {\n  match link\n  FirstName -> firstname\n  LastName -> "
            "lastname\n  Title -> jobtitle\n}\n";
  CheckRun r(text);
  EXPECT_EQ(r.Codes(), (std::vector<std::string>{"A0309", "A0309", "A0309"}));  // s0/s1, s0/s2, s1/s2
  EXPECT_NE(r.sink.diagnostics()[0].message.find("3 fields of hubspot.contacts (firstname, lastname, jobtitle)"),
            std::string::npos)
      << r.sink.diagnostics()[0].message;
}

}  // namespace
}  // namespace accord::sema
