#include "compiler/lsp/completion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace accord::lsp {
namespace {

using ast::Side;
using testing::ElementsAre;
using testing::IsEmpty;

// `^` marks the cursor.
CompletionContext At(std::string text) {
  size_t caret = text.find('^');
  EXPECT_NE(caret, std::string::npos) << "no ^ in the test text";
  text.erase(caret, 1);
  return FindCompletionContext(text, static_cast<uint32_t>(caret));
}

const std::string kPeople = "sync people: salesforce.Contact <-> hubspot.contacts {\n  match email\n";
const std::string kLeads = "sync leads: salesforce.Lead <-> hubspot.contacts {\n";
const std::string kSources = "values LeadSource: salesforce.Lead.LeadSource <-> hubspot.contacts.lead_source {\n";
const std::string kLifecycle = "lifecycle hubspot.contacts.lifecyclestage {\n";
const std::string kTest = "test \"t\" {\n";

const ObjectName kContact{Side::kSalesforce, "Contact"};
const ObjectName kContacts{Side::kHubSpot, "contacts"};

TEST(Completion, TopLevelKeywords) {
  CompletionContext c = At("^");
  EXPECT_THAT(c.keywords, ElementsAre("schema", "values", "sync", "lifecycle", "test"));
  EXPECT_FALSE(c.functions);
  c = At("schema salesforce \"s\"\nsy^");
  EXPECT_THAT(c.keywords, ElementsAre("schema", "values", "sync", "lifecycle", "test"));
  EXPECT_EQ(c.prefix, "sy");
  EXPECT_EQ(c.replace.begin, 22u);
  EXPECT_EQ(c.replace.end, 24u);
  c = At("sync a: salesforce.Contact <-> hubspot.contacts {\n  match email\n}\n^");
  EXPECT_THAT(c.keywords, ElementsAre("schema", "values", "sync", "lifecycle", "test"));
}

TEST(Completion, HeaderObjectsFieldsAndSides) {
  EXPECT_EQ(At("sync a: salesforce.^").objects, Side::kSalesforce);
  CompletionContext c = At("sync a: salesforce.Contact <-> hubspot.co^");
  EXPECT_EQ(c.objects, Side::kHubSpot);
  EXPECT_EQ(c.prefix, "co");
  EXPECT_EQ(At("values V: salesforce.Account.^").fields, (ObjectName{Side::kSalesforce, "Account"}));
  EXPECT_EQ(At("values V: salesforce.Account.Industry <-> hubspot.companies.^").fields,
            (ObjectName{Side::kHubSpot, "companies"}));
  EXPECT_THAT(At("sync a: salesforce.Contact <-> ^").keywords, ElementsAre("salesforce", "hubspot"));
  EXPECT_THAT(At("sync a: ^").keywords, ElementsAre("salesforce", "hubspot"));
  EXPECT_THAT(At("schema ^").keywords, ElementsAre("salesforce", "hubspot"));
  EXPECT_THAT(At("lifecycle ^").keywords, ElementsAre("salesforce", "hubspot"));
  EXPECT_TRUE(At("sync a^").empty());  // a name is being typed
}

TEST(Completion, SyncItemStart) {
  CompletionContext c = At(kPeople + "  ^\n}\n");
  EXPECT_THAT(c.keywords,
              ElementsAre("match", "scope", "create", "conflict", "blank", "converts", "on", "associate", "delete"));
  EXPECT_EQ(c.fields, kContact);
  EXPECT_TRUE(c.functions);
  EXPECT_FALSE(c.underscore);
  // A new line after a complete field rule starts a new item.
  c = At(kPeople + "  FirstName <-> firstname\n  La^\n}\n");
  EXPECT_EQ(c.fields, kContact);
  EXPECT_EQ(c.prefix, "La");
  EXPECT_FALSE(c.keywords.empty());
}

TEST(Completion, FieldRuleSides) {
  CompletionContext c = At(kPeople + "  FirstName <-> ^");
  EXPECT_EQ(c.fields, kContacts);
  EXPECT_TRUE(c.keywords.empty());
  c = At(kPeople + "  FirstName <-> first^name\n}");
  EXPECT_EQ(c.fields, kContacts);
  EXPECT_EQ(c.prefix, "first");
  EXPECT_EQ(c.replace.end - c.replace.begin, 9u);  // the whole word is replaced
  // Computed left side: an expression over Salesforce fields.
  EXPECT_EQ(At(kPeople + "  coalesce(FirstName, \"\") + ^").fields, kContact);
  // A one-way sync written right to left still knows which object is which.
  EXPECT_EQ(At("sync d: salesforce.Opportunity -> hubspot.deals {\n  Name -> ^").fields,
            (ObjectName{Side::kHubSpot, "deals"}));
}

TEST(Completion, FieldOptions) {
  EXPECT_THAT(At(kPeople + "  FirstName <-> firstname ^").keywords, ElementsAre("with", "via", "conflict", "blank"));
  EXPECT_THAT(At(kPeople + "  FirstName <-> firstname w^").keywords, ElementsAre("with", "via", "conflict", "blank"));
  EXPECT_TRUE(At(kLeads + "  LeadSource <-> lead_source via ^").value_tables);
  EXPECT_THAT(At(kLeads + "  LeadSource <-> lead_source via LeadSource ^").keywords,
              ElementsAre("with", "via", "conflict", "blank"));
  EXPECT_THAT(At(kPeople + "  Phone <-> phone conflict ^").keywords, ElementsAre("two_way", "prefer", "dont_sync"));
  EXPECT_THAT(At(kPeople + "  Phone <-> phone conflict prefer ^").keywords, ElementsAre("salesforce", "hubspot"));
  EXPECT_THAT(At(kPeople + "  Phone <-> phone conflict prefer salesforce ^").keywords, ElementsAre("unless"));
  EXPECT_THAT(At(kPeople + "  Phone <-> phone conflict prefer salesforce unless ^").keywords, ElementsAre("blank"));
  EXPECT_THAT(At(kPeople + "  Phone <-> phone blank ^").keywords, ElementsAre("ignore", "clear", "default"));
}

TEST(Completion, WithTransform) {
  CompletionContext c = At(kPeople + "  Email <-> email with lowerAscii(^");
  EXPECT_TRUE(c.functions);
  EXPECT_TRUE(c.underscore);
  EXPECT_EQ(c.fields, kContact);  // `with` reads the source side
  EXPECT_TRUE(At(kPeople + "  Email <-> email with ^").underscore);
  EXPECT_EQ(At(kPeople + "  Email <- email with ^").fields, kContacts);
  // After the transform: more options.
  EXPECT_THAT(At(kPeople + "  Email <-> email with trim(_) ^").keywords,
              ElementsAre("with", "via", "conflict", "blank"));
  // After an operand inside the transform: an operator comes next, nothing to offer.
  EXPECT_TRUE(At(kPeople + "  Email <-> email with trim(_ ^").empty());
  // Methods after a dot.
  c = At(kPeople + "  Email <-> email with _.^");
  EXPECT_TRUE(c.methods);
  EXPECT_FALSE(c.functions);
}

TEST(Completion, DirectedTransforms) {
  const std::string rule =
      "sync a: salesforce.Account <-> hubspot.companies {\n  NumberOfEmployees <-> numberofemployees ";
  EXPECT_THAT(At(rule + "{ ^").keywords, ElementsAre("to"));
  EXPECT_THAT(At(rule + "{ to ^").keywords, ElementsAre("salesforce", "hubspot"));
  CompletionContext c = At(rule + "{ to salesforce: int(^");
  EXPECT_TRUE(c.underscore);
  EXPECT_EQ(c.fields, (ObjectName{Side::kHubSpot, "companies"}));
  EXPECT_THAT(At(rule + "{ to salesforce: int(_)  ^").keywords, ElementsAre("to"));
}

TEST(Completion, SyncKeywordItems) {
  EXPECT_THAT(At(kPeople + "  create ^").keywords, ElementsAre("in"));
  EXPECT_THAT(At(kPeople + "  create in ^").keywords, ElementsAre("salesforce", "hubspot"));
  EXPECT_THAT(At(kPeople + "  create in hubspot ^").keywords, ElementsAre("only", "when"));
  EXPECT_TRUE(At(kPeople + "  converts to ^").syncs);
  EXPECT_THAT(At(kPeople + "  on create ^").keywords, ElementsAre("salesforce", "hubspot"));
  EXPECT_THAT(At(kPeople + "  delete ^").keywords, ElementsAre("keep", "propagate", "unlink"));
  EXPECT_THAT(At(kPeople + "  scope ^").keywords, ElementsAre("salesforce", "hubspot"));
  CompletionContext c = At("sync a: salesforce.Contact <-> hubspot.contacts {\n  match ^");
  EXPECT_THAT(c.keywords, ElementsAre("email", "domain", "link"));
  EXPECT_EQ(c.fields, kContact);
  EXPECT_EQ(At("sync a: salesforce.Contact <-> hubspot.contacts {\n  match Email <-> ^").fields, kContacts);
  c = At(kPeople + "  associate ^");
  EXPECT_EQ(c.fields, kContact);
  EXPECT_TRUE(c.references_only);
  EXPECT_EQ(At(kPeople + "  associate AccountId <-> ^").objects, Side::kHubSpot);
}

TEST(Completion, Expressions) {
  CompletionContext c = At(kPeople + "  scope salesforce: ^");
  EXPECT_EQ(c.fields, kContact);
  EXPECT_TRUE(c.functions);
  EXPECT_EQ(At(kPeople + "  scope hubspot: ^").fields, kContacts);
  // `create in salesforce when ...` reads the HubSpot record.
  EXPECT_EQ(At(kLeads + "  create in salesforce when ^").fields, kContacts);
  EXPECT_EQ(At(kPeople + "  scope salesforce: hubspot.^").fields, kContacts);
  EXPECT_TRUE(At(kPeople + "  scope salesforce: Email.^").methods);
  // A continued line stays in the expression.
  c = At(kPeople + "  scope salesforce: Email != null &&\n      ^");
  EXPECT_EQ(c.fields, kContact);
  EXPECT_TRUE(c.keywords.empty());
}

TEST(Completion, PicklistValuesInComparisons) {
  CompletionContext c = At(kLeads + "  scope salesforce: LeadSource == \"W^\"");
  EXPECT_TRUE(c.in_string);
  EXPECT_FALSE(c.close_quote);
  EXPECT_EQ(c.values, (FieldName{Side::kSalesforce, "Lead", "LeadSource"}));
  EXPECT_FALSE(c.fields);  // only values inside a string
  EXPECT_FALSE(c.functions);
  EXPECT_EQ(c.prefix, "W");
  c = At(kLeads + "  create in salesforce when hubspot.lifecyclestage == ^");
  EXPECT_EQ(c.values, (FieldName{Side::kHubSpot, "contacts", "lifecyclestage"}));
  EXPECT_FALSE(c.in_string);
  c = At(kLeads + "  scope salesforce: LeadSource in [\"Web\", ^");
  EXPECT_EQ(c.values, (FieldName{Side::kSalesforce, "Lead", "LeadSource"}));
  c = At(kLeads + "  scope salesforce: LeadSource != \"Web^");
  EXPECT_TRUE(c.close_quote);
  EXPECT_EQ(c.prefix, "Web");
}

TEST(Completion, ValuesTables) {
  FieldName sf{Side::kSalesforce, "Lead", "LeadSource"}, hs{Side::kHubSpot, "contacts", "lead_source"};
  CompletionContext c = At(kSources + "  ^\n}");
  EXPECT_EQ(c.values, sf);
  EXPECT_THAT(c.keywords, ElementsAre("else"));
  c = At(kSources + "  \"Web\" <-> \"^\"\n}");
  EXPECT_EQ(c.values, hs);
  EXPECT_TRUE(c.in_string);
  EXPECT_FALSE(c.close_quote);
  c = At(kSources + "  \"Web\" <-> \"Ph^\n}");
  EXPECT_EQ(c.values, hs);
  EXPECT_TRUE(c.close_quote);
  EXPECT_EQ(c.prefix, "Ph");
  EXPECT_EQ(At(kSources + "  \"Web\" <-> \"Web\"\n  \"^\"").values, sf);
  EXPECT_EQ(At(kSources + "  \"Web\" <-> \"Web\"\n  \"Other\" -> ^").values, hs);
  c = At(kSources + "  else -> ^");
  EXPECT_THAT(c.keywords, ElementsAre("reject", "keep"));
  EXPECT_EQ(c.values, hs);
  EXPECT_EQ(At(kSources + "  else <- ^").values, sf);
  EXPECT_EQ(At(kSources + "  \"Caf\xC3\xA9\" <-> \"^\"").values, hs);
}

TEST(Completion, OnCreateBlocks) {
  const std::string block = kLeads + "  on create salesforce {\n    ";
  EXPECT_EQ(At(block + "^").fields, (ObjectName{Side::kSalesforce, "Lead"}));
  CompletionContext c = At(block + "LeadSource = \"^\"");
  EXPECT_EQ(c.values, (FieldName{Side::kSalesforce, "Lead", "LeadSource"}));
  c = At(block + "Company = coalesce(^");
  EXPECT_EQ(c.fields, kContacts);  // values come from the other side
  EXPECT_TRUE(c.functions);
  // After the block, sync items again.
  c = At(block + "Company = company\n  }\n  ^");
  EXPECT_FALSE(c.keywords.empty());
  EXPECT_EQ(c.fields, (ObjectName{Side::kSalesforce, "Lead"}));
}

TEST(Completion, Lifecycle) {
  FieldName stage{Side::kHubSpot, "contacts", "lifecyclestage"};
  EXPECT_THAT(At(kLifecycle + "  ^").keywords, ElementsAre("order", "forward", "when"));
  EXPECT_EQ(At(kLifecycle + "  order ^").stages, stage);
  EXPECT_EQ(At(kLifecycle + "  order subscriber < lead < ^").stages, stage);
  EXPECT_THAT(At(kLifecycle + "  forward ^").keywords, ElementsAre("only"));
  EXPECT_EQ(At(kLifecycle + "  when salesforce.^").objects, Side::kSalesforce);
  EXPECT_EQ(At(kLifecycle + "  when salesforce.Lead.^").fields, (ObjectName{Side::kSalesforce, "Lead"}));
  EXPECT_THAT(At(kLifecycle + "  when salesforce.Lead.Status ^").keywords, ElementsAre("becomes"));
  EXPECT_EQ(At(kLifecycle + "  when salesforce.Lead.Status becomes \"^\"").values,
            (FieldName{Side::kSalesforce, "Lead", "Status"}));
  EXPECT_THAT(At(kLifecycle + "  when salesforce.Lead.Status becomes \"Qualified\" ^").keywords, ElementsAre("then"));
  EXPECT_EQ(At(kLifecycle + "  when salesforce.Lead.Status becomes \"Qualified\" then ^").stages, stage);
  CompletionContext c =
      At(kLifecycle + "  when salesforce.Opportunity.StageName becomes \"Closed Won\" then customer for contacts of ^");
  EXPECT_EQ(c.fields, (ObjectName{Side::kSalesforce, "Opportunity"}));
  EXPECT_TRUE(c.references_only);
}

TEST(Completion, Tests) {
  EXPECT_THAT(At(kTest + "  ^").keywords, ElementsAre("given", "expect"));
  EXPECT_THAT(At(kTest + "  given ^").keywords, ElementsAre("linked", "salesforce", "hubspot"));
  EXPECT_EQ(At(kTest + "  given linked salesforce.^").objects, Side::kSalesforce);
  CompletionContext c = At(kTest + "  expect error ^");
  EXPECT_FALSE(c.keywords.empty());
  EXPECT_NE(std::find(c.keywords.begin(), c.keywords.end(), "PropertyValues"), c.keywords.end());
  EXPECT_EQ(At(kTest + "  given salesforce.Contact { FirstName: \"Ada\", ^").fields, kContact);
  EXPECT_EQ(At(kTest + "  given salesforce.Contact {\n    ^").fields, kContact);
  EXPECT_EQ(At(kTest + "  expect hubspot.contacts { lifecyclestage: \"^\" }").values,
            (FieldName{Side::kHubSpot, "contacts", "lifecyclestage"}));
}

TEST(Completion, NothingInCommentsAndNumbers) {
  EXPECT_TRUE(At("// sync ^").empty());
  EXPECT_TRUE(At("/* sync ^ */").empty());
  EXPECT_TRUE(At(kPeople + "  scope salesforce: NumberOfEmployees > 12^").empty());
  EXPECT_TRUE(At(kPeople + "  FirstName <-> firstname  // a comment^").empty());
  EXPECT_TRUE(At("/* unclosed ^").empty());
  EXPECT_THAT(At("/* a */^").keywords, ElementsAre("schema", "values", "sync", "lifecycle", "test"));
  // Right after a comment's line break, completion is back.
  EXPECT_FALSE(At(kPeople + "  // a comment\n  ^").empty());
  // Inside the quotes of a string prefix: nothing yet.
  EXPECT_TRUE(At(kPeople + "  scope salesforce: Email == r^\"x\"").empty());
}

TEST(Completion, EscapedQuotesAndTripleQuotes) {
  CompletionContext c = At(kSources + "  \"a\\\"b\" <-> \"^\"");
  EXPECT_EQ(c.values, (FieldName{Side::kHubSpot, "contacts", "lead_source"}));
  c = At(kLeads + "  scope salesforce: LeadSource == \"\"\"W^\"\"\"");
  EXPECT_TRUE(c.in_string);
  EXPECT_EQ(c.prefix, "W");
}

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The example's files: contexts at real positions.
TEST(Completion, ExampleFiles) {
  std::filesystem::path dir = std::filesystem::path(ACCORD_SOURCE_DIR) / "examples" / "salesforce-hubspot";
  std::string syncs = Slurp(dir / "syncs.accord");
  size_t at = syncs.find("LastName       <-> lastname");
  ASSERT_NE(at, std::string::npos);
  CompletionContext c = FindCompletionContext(syncs, static_cast<uint32_t>(at + 2));
  EXPECT_EQ(c.fields, kContact);
  EXPECT_EQ(c.prefix, "La");
  at = syncs.find("lastname", at);
  c = FindCompletionContext(syncs, static_cast<uint32_t>(at + 4));
  EXPECT_EQ(c.fields, kContacts);
  std::string values = Slurp(dir / "values.accord");
  at = values.find("\"FOOD_BEVERAGES\"");
  c = FindCompletionContext(values, static_cast<uint32_t>(at + 1));
  EXPECT_TRUE(c.in_string);
  EXPECT_EQ(c.values, (FieldName{Side::kHubSpot, "companies", "industry"}));
}

// Every offset of every rule file in the repository: never a crash, and the
// replaced range always contains the cursor and stays inside the text.
TEST(Completion, EveryOffsetOfEveryRuleFile) {
  size_t files = 0;
  for (const char* sub : {"examples", "tests/diagnostics", "tests/fmt"}) {
    for (const auto& e :
         std::filesystem::recursive_directory_iterator(std::filesystem::path(ACCORD_SOURCE_DIR) / sub)) {
      if (e.path().extension() != ".accord") continue;
      ++files;
      std::string text = Slurp(e.path());
      for (uint32_t off = 0; off <= text.size(); ++off) {
        CompletionContext c = FindCompletionContext(text, off);
        ASSERT_LE(c.replace.begin, off) << e.path() << " at " << off;
        ASSERT_LE(c.replace.end, text.size()) << e.path() << " at " << off;
        ASSERT_EQ(c.prefix.size(), off - c.replace.begin) << e.path() << " at " << off;
      }
    }
  }
  EXPECT_GT(files, 20u);
  // Offsets past the end are clamped.
  EXPECT_THAT(FindCompletionContext("sy", 99).keywords, ElementsAre("schema", "values", "sync", "lifecycle", "test"));
}

}  // namespace
}  // namespace accord::lsp
