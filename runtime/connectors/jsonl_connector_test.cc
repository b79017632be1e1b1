// The jsonl connector's reading of bad lines: nesting that would exhaust the
// stack, values of a JSON type the system never sends for the field. Each is
// a ReadProblem naming the record and file:line; the other records load.
#include "runtime/connectors/jsonl_connector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

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

// ---- the offset index (issue 15) ---------------------------------------------------------
// Property: what a pass reads through the index (a new connector: a new process, reading the
// index a previous one left, or the same connector again: --watch) equals what a simple
// reference reader of the whole file yields (the last whole line of an id is its record, in
// order of first appearance; a torn last line is no line), through random histories of
// appends, torn last lines, writes by the connector, and files rewritten, truncated or
// replaced by the user. And a pass over an unchanged file reads none of its lines.

// The reference reader (the oracle): the file whole, parsed with nlohmann::json.
std::vector<std::pair<std::string, std::string>> Reference(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  data.resize(data.rfind('\n') == std::string::npos ? 0 : data.rfind('\n') + 1);
  std::vector<std::string> order;
  std::map<std::string, std::string> last;
  std::stringstream ss(data);
  for (std::string line; std::getline(ss, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("Id") || !j["Id"].is_string() || j["Id"].get<std::string>().empty()) continue;
    std::string id = j["Id"].get<std::string>();
    if (!last.count(id)) order.push_back(id);
    last[id] = j.value("LastName", "");
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& id : order) out.emplace_back(id, last[id]);
  return out;
}

TEST_F(JsonlRead, TheOffsetIndexReadsWhatAWholeReadReads) {
  const schema::Object& contact = Obj(System::kSalesforce, "Contact");
  const size_t last_name = Slot(contact, "LastName");
  std::string folder = dir + "/salesforce", file = folder + "/Contact.jsonl";
  auto names = [&](const std::vector<Record>& recs) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Record& r : recs) out.emplace_back(r.id, r.values[last_name].value_or(""));
    return out;
  };
  for (unsigned seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    fs::remove_all(folder);
    fs::create_directories(folder);
    std::mt19937 rnd(seed);
    auto pick = [&](int n) { return static_cast<int>(rnd() % static_cast<unsigned>(n)); };
    int serial = 0;
    auto line = [&] {
      return R"({"Id":"003X)" + std::to_string(100 + pick(30)) + R"(","LastName":"N)" + std::to_string(++serial) +
             R"(","SystemModstamp":"2026-01-01T00:00:00.000Z"})";
    };
    auto append = [&](const std::string& text) {
      std::ofstream out(file, std::ios::app | std::ios::binary);
      out << text;
    };
    JsonlConnector watch(System::kSalesforce, folder);  // one process across the steps
    for (int step = 0; step < 14; ++step) {
      switch (pick(9)) {
        case 0:
        case 1:
        case 2:
          for (int k = pick(5); k >= 0; --k) append(line() + "\n");
          break;
        case 3:  // a torn last line (the next reader drops it)
          append(line().substr(0, 10 + pick(20)));
          break;
        case 4:  // lines that are no record
          append(pick(2) ? "{not json\n"
                         : R"({"LastName":"no id"})"
                           "\n");
          break;
        case 5: {  // the user rewrites the file in place: shuffled, some lines gone
          std::vector<std::string> lines;
          {
            std::ifstream in(file);
            for (std::string l; std::getline(in, l);) lines.push_back(l);
          }
          std::shuffle(lines.begin(), lines.end(), rnd);
          if (!lines.empty()) lines.resize(lines.size() - static_cast<size_t>(pick(static_cast<int>(lines.size()))));
          std::ofstream out(file, std::ios::trunc | std::ios::binary);
          for (const std::string& l : lines) out << l << "\n";
          break;
        }
        case 6: {  // truncated at any byte
          std::error_code ec;
          auto size = fs::file_size(file, ec);
          if (!ec && size > 0) fs::resize_file(file, static_cast<uintmax_t>(pick(static_cast<int>(size))), ec);
          break;
        }
        case 7: {  // replaced by a new file of the same size or larger (rename over it)
          std::ofstream out(file + ".new", std::ios::binary);
          for (int k = pick(8); k >= 0; --k) out << line() << "\n";
          out.close();
          fs::rename(file + ".new", file);
          break;
        }
        case 8: {  // a pass writes: an update appended by the connector
          JsonlConnector c(System::kSalesforce, folder);
          std::vector<Record> recs;
          ASSERT_TRUE(c.Load(contact, &recs, &problems));
          if (recs.empty()) break;
          WriteOp op;
          op.kind = WriteOp::Kind::kUpdate;
          op.id = recs[static_cast<size_t>(pick(static_cast<int>(recs.size())))].id;
          op.fields.push_back({last_name, "W" + std::to_string(++serial)});
          auto res = c.Write(contact, {op});
          ASSERT_EQ(res.size(), 1u);
          EXPECT_TRUE(res[0].ok) << res[0].message;
          break;
        }
      }
      // a new process: through the index the last one left (or a whole read when it is stale)
      JsonlConnector fresh(System::kSalesforce, folder);
      std::vector<Record> got;
      problems.clear();
      std::string error;
      ASSERT_TRUE(base::Succeeded(fresh.Load(contact, &got, &problems), &error)) << error;
      auto expected = Reference(file);  // after the torn tail is cut: the reader cut it
      EXPECT_EQ(names(got), expected) << "step " << step;
      // the same process again (--watch): the lines appended since its last read
      std::vector<Record> again;
      std::vector<ReadProblem> again_problems;
      ASSERT_TRUE(base::Succeeded(watch.Load(contact, &again, &again_problems), &error)) << error;
      EXPECT_EQ(names(again), expected) << "step " << step << " (watch)";
      // and the problems are those of a whole read, line for line
      std::vector<Record> whole;
      std::vector<ReadProblem> whole_problems;
      fs::remove(file + ".index");
      JsonlConnector reread(System::kSalesforce, folder);
      ASSERT_TRUE(base::Succeeded(reread.Load(contact, &whole, &whole_problems), &error)) << error;
      EXPECT_EQ(names(whole), expected);
      auto wheres = [](const std::vector<ReadProblem>& ps) {
        std::vector<std::string> w;
        for (const ReadProblem& p : ps) w.push_back(p.where);
        return w;
      };
      EXPECT_EQ(wheres(problems), wheres(whole_problems)) << "step " << step;
    }
  }
}

TEST_F(JsonlRead, APassOverAnUnchangedFileReadsNoLine) {
  const schema::Object& contact = Obj(System::kSalesforce, "Contact");
  std::string folder = dir + "/salesforce", file = folder + "/Contact.jsonl";
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i)
    lines.push_back(R"({"Id":"003Y)" + std::to_string(1000 + i) +
                    R"(","LastName":"L","SystemModstamp":"2026-01-01T00:00:00.000Z"})");
  Load(System::kSalesforce, contact, lines);  // the first read: every line, and the index
  ASSERT_TRUE(fs::exists(file + ".index"));
  JsonlConnector again(System::kSalesforce, folder);
  std::vector<Record> recs;
  ASSERT_TRUE(again.Load(contact, &recs, &problems));
  EXPECT_EQ(recs.size(), 1000u);
  EXPECT_EQ(again.lines_scanned(), 0u) << "nothing changed: no line is read again";
  {
    std::ofstream out(file, std::ios::app);
    out << R"({"Id":"003Y1000","LastName":"Changed","SystemModstamp":"2026-02-01T00:00:00.000Z"})"
        << "\n";
  }
  JsonlConnector third(System::kSalesforce, folder);
  ASSERT_TRUE(third.Load(contact, &recs, &problems));
  EXPECT_EQ(recs.size(), 1000u);
  EXPECT_EQ(third.lines_scanned(), 1u) << "only the appended line";
  EXPECT_EQ(recs[0].values[Slot(contact, "LastName")], Text("Changed"));
}

// An index larger than the chunk it is read in (1 MB) and ids filling several of the offset
// index's 1 MB id blocks: a new process still reads no line, finds every record by id and
// lists them in the file's order.
TEST_F(JsonlRead, AnIndexOfManyRecordsIsReadBackWhole) {
  const schema::Object& contact = Obj(System::kSalesforce, "Contact");
  std::string folder = dir + "/salesforce", file = folder + "/Contact.jsonl";
  const int n = 60000;
  auto id = [](int i) { return "003Y" + std::string(36, 'x') + std::to_string(100000 + i); };
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i)
    lines.push_back(R"({"Id":")" + id(i) + R"(","LastName":"L)" + std::to_string(i) +
                    R"(","SystemModstamp":"2026-01-01T00:00:00.000Z"})");
  Load(System::kSalesforce, contact, lines);
  ASSERT_GT(fs::file_size(file + ".index"), 2u << 20);
  JsonlConnector again(System::kSalesforce, folder);
  std::vector<Record> recs;
  ASSERT_TRUE(again.Load(contact, &recs, &problems));
  EXPECT_EQ(again.lines_scanned(), 0u);
  ASSERT_EQ(recs.size(), static_cast<size_t>(n));
  for (int i : {0, 1, n / 2, n - 1}) EXPECT_EQ(recs[static_cast<size_t>(i)].id, id(i));
  std::vector<Record> some;
  ASSERT_TRUE(again.ReadByIds(contact, {id(n - 1), id(7), "003Ynone"}, &some, &problems));
  ASSERT_EQ(some.size(), 2u);
  EXPECT_EQ(some[0].values[Slot(contact, "LastName")], Text("L" + std::to_string(n - 1)));
  EXPECT_EQ(some[1].values[Slot(contact, "LastName")], Text("L7"));
}

}  // namespace
}  // namespace accord::sync
