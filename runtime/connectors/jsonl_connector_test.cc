// The jsonl connector's reading of bad lines: nesting that would exhaust the
// stack, values of a JSON type the system never sends for the field. Each is
// a ReadProblem naming the record and file:line; the other records load.
#include "runtime/connectors/jsonl_connector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/connectors/wire_values.h"

namespace accord::sync {
namespace {

namespace fs = std::filesystem;
using schema::System;

const std::string kSchemas = std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot/schemas";

class JsonlRead : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/accord-jsonl-test-XXXXXX";
    dir = mkdtemp(tmpl);
    std::vector<schema::SchemaError> errors;
    schema::LoadSchemaDir(System::kSalesforce, kSchemas + "/salesforce", schemas, errors);
    schema::LoadSchemaDir(System::kHubSpot, kSchemas + "/hubspot", schemas, errors);
    ASSERT_TRUE(errors.empty()) << errors[0].message;
  }
  void TearDown() override { fs::remove_all(dir); }

  const schema::Object& Obj(System s, const char* name) { return *schemas.Find(s, name); }
  static size_t Slot(const schema::Object& o, const char* field) {
    return static_cast<size_t>(o.FindField(field) - o.fields.data());
  }
  // Writes `lines` as DIR/<system>/<object>.jsonl and loads it.
  std::vector<Record> Load(System s, const schema::Object& o, const std::vector<std::string>& lines) {
    std::string folder = dir + (s == System::kSalesforce ? "/salesforce" : "/hubspot");
    fs::create_directories(folder);
    std::ofstream out(folder + "/" + o.name + ".jsonl");
    for (const std::string& l : lines) out << l << "\n";
    out.close();
    JsonlConnector c(s, folder);
    std::vector<Record> records;
    std::string error;
    problems.clear();
    EXPECT_TRUE(base::Succeeded(c.Load(o, &records, &problems), &error)) << error;
    path = folder + "/" + o.name + ".jsonl";
    return records;
  }
  std::string Problems() const {
    std::string out;
    for (const ReadProblem& p : problems) out += p.message + "\n";
    return out;
  }
  const ReadProblem* ProblemOf(const std::string& id) {
    for (const ReadProblem& p : problems)
      if (p.record_id == id) return &p;
    return nullptr;
  }

  std::string dir, path;
  schema::SchemaSet schemas;
  std::vector<ReadProblem> problems;
};

std::string Nested(int n) { return std::string(n, '[') + std::string(n, ']'); }

TEST_F(JsonlRead, DeeplyNestedLinesAreProblemsAndTheRecordsAfterThemLoad) {
  const schema::Object& contact = Obj(System::kSalesforce, "Contact");
  std::vector<Record> recs = Load(System::kSalesforce, contact,
                                  {R"({"Id":"003A","LastName":"Before","Email":"a@example.com"})",
                                   R"({"Id":"003D","LastName":"Deep","Title":)" + Nested(100000) + "}", Nested(100000),
                                   R"({"Id":"003U","LastName":"Unknown key","Extra":)" + Nested(100000) + "}",
                                   R"({"Id":"003B","LastName":"After","Email":"b@example.com"})"});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].id, "003A");
  EXPECT_EQ(recs[1].id, "003B");
  ASSERT_EQ(problems.size(), 3u);
  ASSERT_TRUE(ProblemOf("003D"));
  EXPECT_EQ(ProblemOf("003D")->where, path + ":2");
  EXPECT_NE(ProblemOf("003D")->message.find("nested deeper than"), std::string::npos) << ProblemOf("003D")->message;
  ASSERT_TRUE(ProblemOf(""));
  EXPECT_EQ(ProblemOf("")->where, path + ":3");
  ASSERT_TRUE(ProblemOf("003U"));
  EXPECT_EQ(ProblemOf("003U")->where, path + ":4");
}

TEST_F(JsonlRead, ADeeplyNestedLastLineMakesTheRecordUnknownNotItsOlderState) {
  const schema::Object& contact = Obj(System::kSalesforce, "Contact");
  std::vector<Record> recs = Load(System::kSalesforce, contact,
                                  {R"({"Id":"003A","LastName":"Old state"})",
                                   R"({"Id":"003A","LastName":"New state","Title":)" + Nested(5000) + "}"});
  EXPECT_TRUE(recs.empty()) << "the old line would be taken for the current state";
  ASSERT_TRUE(ProblemOf("003A"));
  EXPECT_EQ(ProblemOf("003A")->where, path + ":2");
}

TEST_F(JsonlRead, NestingUpToTheLimitIsRead) {
  const schema::Object& contact = Obj(System::kSalesforce, "Contact");
  // a compound field nested exactly to the limit (the record itself is level 1)
  std::string inner = "1";
  for (int i = 2; i < kMaxRecordDepth; ++i) inner = "{\"x\":" + inner + "}";
  std::vector<Record> recs =
      Load(System::kSalesforce, contact, {R"({"Id":"003A","LastName":"Ok","MailingAddress":)" + inner + "}"});
  ASSERT_EQ(recs.size(), 1u) << (problems.empty() ? "" : problems[0].message);
  EXPECT_FALSE(recs[0].values[Slot(contact, "MailingAddress")]);
  EXPECT_EQ(JsonDepth(R"({"a":"[[[[","b":[{}]})"), 3) << "brackets inside strings do not count";
  EXPECT_EQ(JsonDepth(R"({"a":"\"[[[","b":1})"), 1) << "nor after an escaped quote";
}

TEST_F(JsonlRead, SalesforceValuesOfTheWrongJsonTypeAreProblemsNotCoerced) {
  const schema::Object& contact = Obj(System::kSalesforce, "Contact");
  std::vector<Record> recs =
      Load(System::kSalesforce, contact,
           {R"({"Id":"003G","LastName":"Good","Email":"g@example.com","MailingLatitude":51.5,"IsEmailBounced":true,)"
            R"("MailingAddress":{"city":"London"},"attributes":{"type":"Contact"}})",
            R"({"Id":"003E","LastName":"Number email","Email":42})",
            R"({"Id":"003O","LastName":{"first":"Object","last":"Name"}})",
            R"({"Id":"003P","LastName":"Array picklist","LeadSource":["Web","Phone Inquiry"]})",
            R"({"Id":"003N","LastName":"Text number","MailingLatitude":"51.5"})",
            R"({"Id":"003C","LastName":"Text checkbox","IsEmailBounced":"yes"})",
            R"({"Id":"003T","LastName":"Number title","Title":1e3})",
            R"({"Id":"003S","LastName":"Object id"})"
            "\n"
            R"({"Id":{"x":1}})"});
  ASSERT_EQ(recs.size(), 2u) << Problems();
  EXPECT_EQ(recs[0].values[Slot(contact, "MailingLatitude")], Text("51.5"));
  EXPECT_EQ(recs[0].values[Slot(contact, "IsEmailBounced")], Text("true"));
  EXPECT_EQ(recs[1].id, "003S");
  for (const char* id : {"003E", "003O", "003P", "003N", "003C", "003T"}) {
    ASSERT_TRUE(ProblemOf(id)) << id;
    EXPECT_NE(ProblemOf(id)->where.find(path + ":"), std::string::npos) << ProblemOf(id)->where;
  }
  EXPECT_EQ(ProblemOf("003E")->where, path + ":2");
  EXPECT_NE(ProblemOf("003E")->message.find("Email is a number (42) where Salesforce sends a string"),
            std::string::npos)
      << ProblemOf("003E")->message;
  EXPECT_NE(ProblemOf("003O")->message.find("LastName is an object"), std::string::npos) << ProblemOf("003O")->message;
  EXPECT_NE(ProblemOf("003P")->message.find("LeadSource is an array"), std::string::npos) << ProblemOf("003P")->message;
  EXPECT_NE(ProblemOf("003N")->message.find("MailingLatitude is a string (\"51.5\") where Salesforce sends a number"),
            std::string::npos)
      << ProblemOf("003N")->message;
  // a line without a string Id is a problem of its line
  EXPECT_EQ(problems.size(), 7u);
}

TEST_F(JsonlRead, HubSpotValuesOfTheWrongJsonTypeAreProblemsNotCoerced) {
  const schema::Object& contacts = Obj(System::kHubSpot, "contacts");
  std::vector<Record> recs = Load(
      System::kHubSpot, contacts,
      {R"({"id":"101","properties":{"email":"g@example.com","hs_object_id":101,"lastmodifieddate":"2026-01-01T00:00:00.000Z"},)"
       R"("associations":{"companies":["201"]}})",
       R"({"id":"102","properties":{"email":42}})", R"({"id":"103","properties":{"firstname":{"text":"Ada"}}})",
       R"({"id":"104","properties":{"lifecyclestage":["lead","customer"]}})",
       R"({"id":"105","properties":"email=x@example.com"})",
       R"({"id":"106","properties":{"email":"a@example.com"},"associations":{"companies":[201]}})",
       R"({"id":"107","properties":{"email":true}})"});
  ASSERT_EQ(recs.size(), 1u) << Problems();
  EXPECT_EQ(recs[0].values[Slot(contacts, "hs_object_id")], Text("101")) << "a number property may be a number";
  EXPECT_EQ(recs[0].associations["companies"], std::vector<std::string>{"201"});
  for (const char* id : {"102", "103", "104", "105", "106", "107"}) ASSERT_TRUE(ProblemOf(id)) << id;
  EXPECT_EQ(ProblemOf("102")->where, path + ":2");
  EXPECT_NE(ProblemOf("102")->message.find("email is a number (42) where HubSpot sends a string"), std::string::npos)
      << ProblemOf("102")->message;
  EXPECT_NE(ProblemOf("105")->message.find("properties is not an object"), std::string::npos);
  EXPECT_NE(ProblemOf("106")->message.find("associations.companies is an array holding a number"), std::string::npos)
      << ProblemOf("106")->message;
}

TEST_F(JsonlRead, AMultiSelectMayBeAnArrayOfStrings) {
  schema::Object o;
  o.system = System::kSalesforce;
  o.name = "Survey__c";
  for (const char* n : {"Id", "Topics__c"}) {
    schema::Field f;
    f.name = n;
    f.type = std::string(n) == "Id" ? schema::FieldType::kString : schema::FieldType::kStringList;
    o.fields.push_back(f);
  }
  o.Finalize();
  std::vector<Record> recs =
      Load(System::kSalesforce, o,
           {R"({"Id":"a0X1","Topics__c":["Red","Blue"]})", R"({"Id":"a0X2","Topics__c":"Red;Blue"})",
            R"({"Id":"a0X3","Topics__c":["Red",7]})"});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].values[1], Text("Red;Blue"));
  EXPECT_EQ(recs[1].values[1], Text("Red;Blue"));
  ASSERT_TRUE(ProblemOf("a0X3"));
}

TEST_F(JsonlRead, ProblemsAreReportedByEveryLoad) {
  const schema::Object& contact = Obj(System::kSalesforce, "Contact");
  Load(System::kSalesforce, contact, {R"({"Id":"003A","LastName":"A"})", Nested(100), "{not json"});
  JsonlConnector c(System::kSalesforce, dir + "/salesforce");
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<Record> records;
    std::vector<ReadProblem> found;
    std::string error;
    ASSERT_TRUE(base::Succeeded(c.Load(contact, &records, &found), &error)) << error;
    EXPECT_EQ(records.size(), 1u);
    EXPECT_EQ(found.size(), 2u) << "pass " << pass;
  }
}

}  // namespace
}  // namespace accord::sync
