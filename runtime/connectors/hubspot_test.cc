// The HubSpot connector against the in-process sandbox (real loopback HTTP):
// full and incremental loads, the search cap, batch splitting, per-input
// failures, associations, faults, secrets, properties.
#include "runtime/connectors/hubspot.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "sandbox/common.h"
#include "sandbox/test_util.h"

namespace accord::connectors {
namespace {

using sandbox::testing::Http;
using json = nlohmann::json;

class HubSpotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::SandboxOptions o;
    o.seed_dir = sandbox::DefaultSeedDir();
    sandbox::Status s;
    sb = sandbox::Sandbox::Start(o, &s);
    ASSERT_TRUE(sb) << s.message;
    admin = std::make_unique<Http>(sb->hubspot_url(), sb->token());
    // The connector's own pacing is what these tests exercise, not the portal's limits.
    Admin("/__sandbox/config", {{"rate_limit_max", 1000000}, {"search_per_second", 100000}});
    std::vector<schema::SchemaError> errors;
    schema::LoadSchemaDir(schema::System::kHubSpot, o.seed_dir + "/schemas/hubspot", schemas, errors);
    ASSERT_TRUE(errors.empty()) << errors[0].message;
    contacts = schemas.Find(schema::System::kHubSpot, "contacts");
    companies = schemas.Find(schema::System::kHubSpot, "companies");
    ASSERT_TRUE(contacts && companies);
  }
  void TearDown() override {
    if (sb) sb->Stop();
  }
  void Admin(const std::string& path, const json& body) {
    auto r = admin->Post(path, body);
    ASSERT_EQ(r.status, 200) << r.raw;
  }
  HubSpotOptions Options() {
    HubSpotOptions o;
    o.base_url = sb->hubspot_url();
    o.token = sb->token();
    o.rate_limit_max = 1000000;
    o.search_per_second = 100000;
    o.http.backoff_base_ms = 1;
    o.http.backoff_max_ms = 5;
    o.http.jitter_seed = 3;
    o.http.sleep = [this](int64_t ms) {
      waits.push_back(ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(ms, 2)));
    };
    return o;
  }
  std::unique_ptr<HubSpotConnector> Connect(HubSpotOptions o) {
    std::string error;
    auto c = base::TakeValue(HubSpotConnector::Open(std::move(o)), &error);
    EXPECT_TRUE(c) << error;
    return c;
  }
  std::unique_ptr<HubSpotConnector> Connect() { return Connect(Options()); }
  // Live (non-archived) records of a type in the sandbox: id -> properties.
  std::map<std::string, json> Dump(const std::string& type, bool archived = false) {
    auto r = admin->Get("/__sandbox/dump");
    EXPECT_EQ(r.status, 200);
    std::map<std::string, json> out;
    for (const json& rec : r.body["objects"][type]["records"])
      if (rec.value("archived", false) == archived) out[rec["id"].get<std::string>()] = rec["properties"];
    return out;
  }
  size_t Slot(const schema::Object& o, const std::string& name) {
    const schema::Field* f = o.FindField(name);
    EXPECT_TRUE(f) << name;
    return static_cast<size_t>(f - o.fields.data());
  }
  WriteOp Create(const schema::Object& o, std::vector<std::pair<std::string, std::string>> values) {
    WriteOp op;
    op.kind = WriteOp::Kind::kCreate;
    for (auto& [k, v] : values) op.fields.emplace_back(Slot(o, k), v);
    return op;
  }
  WriteOp Update(const schema::Object& o, const std::string& id,
                 std::vector<std::pair<std::string, std::string>> values) {
    WriteOp op = Create(o, std::move(values));
    op.kind = WriteOp::Kind::kUpdate;
    op.id = id;
    return op;
  }
  std::vector<Record> Load(HubSpotConnector& c, const schema::Object& o) {
    std::vector<Record> out;
    std::vector<ReadProblem> problems;
    std::string error;
    EXPECT_TRUE(base::Succeeded(c.Load(o, &out, &problems), &error)) << error;
    EXPECT_TRUE(problems.empty()) << problems[0].message;
    return out;
  }
  static std::map<std::string, Record> ById(const std::vector<Record>& v) {
    std::map<std::string, Record> m;
    for (const Record& r : v) m[r.id] = r;
    return m;
  }

  std::unique_ptr<sandbox::Sandbox> sb;
  std::unique_ptr<Http> admin;
  schema::SchemaSet schemas;
  const schema::Object* contacts = nullptr;
  const schema::Object* companies = nullptr;
  std::vector<int64_t> waits;
};

TEST(HubSpotDecode, ValuesByPropertyType) {
  schema::Field date, dt, num, boolean, text;
  date.native_type = "date";
  dt.native_type = "datetime";
  num.native_type = "number";
  boolean.native_type = "bool";
  text.native_type = "string";
  EXPECT_EQ(HubSpotConnector::DecodeValue(date, json("1572480000000")), "2019-10-31");
  EXPECT_EQ(HubSpotConnector::DecodeValue(date, json(1572480000000)), "2019-10-31");
  EXPECT_EQ(HubSpotConnector::DecodeValue(date, json("2019-10-31")), "2019-10-31");
  EXPECT_EQ(HubSpotConnector::DecodeValue(dt, json("1575737406678")), "2019-12-07T16:50:06.678Z");
  EXPECT_EQ(HubSpotConnector::DecodeValue(dt, json("2019-12-07T16:50:06Z")), "2019-12-07T16:50:06.000Z");
  EXPECT_EQ(HubSpotConnector::DecodeValue(dt, json("2019-12-07T18:50:06.5+02:00")), "2019-12-07T16:50:06.500Z");
  EXPECT_EQ(HubSpotConnector::DecodeValue(num, json(17)), "17");
  EXPECT_EQ(HubSpotConnector::DecodeValue(num, json("17.5")), "17.5");
  EXPECT_EQ(HubSpotConnector::DecodeValue(boolean, json(true)), "true");
  EXPECT_EQ(HubSpotConnector::DecodeValue(text, json("chocolate;strawberry")), "chocolate;strawberry");
  EXPECT_EQ(HubSpotConnector::DecodeValue(text, json("")), "");
  EXPECT_EQ(HubSpotConnector::DecodeValue(text, json()), std::nullopt);
  EXPECT_EQ(HubSpotConnector::ModstampProperty("contacts"), "lastmodifieddate");
  EXPECT_EQ(HubSpotConnector::ModstampProperty("companies"), "hs_lastmodifieddate");
}

TEST_F(HubSpotTest, FullLoadEqualsSeededData) {
  auto c = Connect();
  ASSERT_TRUE(c);
  for (const schema::Object* o : {contacts, companies}) {
    std::vector<Record> recs = Load(*c, *o);
    auto want = Dump(o->name);
    ASSERT_EQ(recs.size(), want.size()) << o->name;
    std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
    for (const Record& r : recs) {
      ASSERT_TRUE(want.count(r.id)) << r.id;
      EXPECT_FALSE(r.deleted);
      EXPECT_TRUE(std::regex_match(r.modstamp, iso)) << r.modstamp;
      const json& p = want[r.id];
      for (size_t slot = 0; slot < o->fields.size(); ++slot) {
        const std::string& name = o->fields[slot].name;
        if (p.contains(name) && p[name].is_string() && !p[name].get<std::string>().empty())
          EXPECT_EQ(r.values[slot], p[name].get<std::string>()) << r.id << " " << name;
        else
          EXPECT_TRUE(IsBlank(r.values[slot])) << r.id << " " << name;
      }
    }
  }
  EXPECT_GT(c->calls().reads, 0);
  EXPECT_EQ(c->calls().writes, 0);
}

TEST_F(HubSpotTest, IncrementalLoadSeesWritesAndReturnsTheWholeSet) {
  auto c = Connect();
  ASSERT_TRUE(c);
  std::vector<Record> first = Load(*c, *contacts);
  ASSERT_GE(first.size(), 3u);
  std::string upd = first[0].id, del = first[1].id;
  auto res = c->Write(*contacts, {Create(*contacts, {{"email", "new.person@example.com"}, {"firstname", "New"}}),
                                  Update(*contacts, upd, {{"firstname", "Renamed"}, {"jobtitle", ""}}),
                                  WriteOp{WriteOp::Kind::kDelete, del, {}, {}}});
  ASSERT_EQ(res.size(), 3u);
  for (const auto& r : res) EXPECT_TRUE(r.ok) << r.status_code << " " << r.message;
  std::string created = res[0].id;
  EXPECT_FALSE(created.empty());
  EXPECT_EQ(res[1].id, upd);

  int64_t reads_before = c->calls().reads;
  std::vector<Record> second = Load(*c, *contacts);
  // search (1 page) + archived list (1 page)
  EXPECT_EQ(c->calls().reads - reads_before, 2);
  auto m = ById(second);
  EXPECT_EQ(second.size(), first.size() + 1);
  ASSERT_TRUE(m.count(created));
  EXPECT_EQ(m[created].values[Slot(*contacts, "email")], "new.person@example.com");
  EXPECT_EQ(m[upd].values[Slot(*contacts, "firstname")], "Renamed");
  EXPECT_TRUE(IsBlank(m[upd].values[Slot(*contacts, "jobtitle")]));
  EXPECT_TRUE(m[del].deleted);
  EXPECT_GT(m[upd].modstamp, ById(first)[upd].modstamp);
  for (const Record& r : first)
    if (r.id != upd && r.id != del) EXPECT_EQ(m[r.id].values.items(), r.values.items()) << r.id;
}

TEST_F(HubSpotTest, FieldChangedAtIsThePropertysOwnLastChange) {
  auto c = Connect();
  ASSERT_TRUE(c);
  std::string id = Load(*c, *contacts)[0].id;
  ASSERT_TRUE(c->Write(*contacts, {Update(*contacts, id, {{"jobtitle", "First"}})})[0].ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(c->Write(*contacts, {Update(*contacts, id, {{"city", "Later"}})})[0].ok);
  Record r = ById(Load(*c, *contacts))[id];
  std::string job = c->FieldChangedAt(*contacts, r, Slot(*contacts, "jobtitle"));
  std::string city = c->FieldChangedAt(*contacts, r, Slot(*contacts, "city"));
  ASSERT_FALSE(job.empty());
  ASSERT_FALSE(city.empty());
  EXPECT_LT(job, city) << "the city edit came later";
  EXPECT_EQ(city, r.modstamp) << "the record's modstamp is its newest property change";
  Record missing = r;
  missing.id = "999999999";
  EXPECT_EQ(c->FieldChangedAt(*contacts, missing, Slot(*contacts, "city")), "") << "unknown: the record time decides";
}

TEST_F(HubSpotTest, FieldChangeTimesAreReadFiftyRecordsARequest) {
  auto c = Connect();
  ASSERT_TRUE(c);
  const size_t n = 120;
  std::vector<WriteOp> creates, titles, cities;
  for (size_t i = 0; i < n; ++i)
    creates.push_back(Create(*contacts, {{"email", "h" + std::to_string(i) + "@example.com"}, {"jobtitle", "T0"}}));
  std::vector<std::string> ids;
  for (const WriteResult& w : c->Write(*contacts, creates)) {
    ASSERT_TRUE(w.ok) << w.message;
    ids.push_back(w.id);
  }
  for (const std::string& id : ids) titles.push_back(Update(*contacts, id, {{"jobtitle", "T1"}}));
  std::vector<WriteResult> titled = c->Write(*contacts, titles);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (const std::string& id : ids) cities.push_back(Update(*contacts, id, {{"city", "Later"}}));
  for (const WriteResult& w : c->Write(*contacts, cities)) ASSERT_TRUE(w.ok) << w.message;
  std::map<std::string, Record> recs = ById(Load(*c, *contacts));
  auto used = [&] { return admin->Get("/__sandbox/dump").body["daily_used"].get<int64_t>(); };
  int64_t before = used();
  c->PrefetchFieldChanges(*contacts, ids, {Slot(*contacts, "jobtitle"), Slot(*contacts, "city")});
  EXPECT_EQ(used() - before, 3) << "120 records, 50 a request (HubSpot's limit with history)";
  for (size_t i = 0; i < n; ++i) {
    const Record& r = recs[ids[i]];
    ASSERT_TRUE(titled[i].ok && titled[i].stored) << titled[i].message;
    std::string job = c->FieldChangedAt(*contacts, r, Slot(*contacts, "jobtitle"));
    EXPECT_EQ(job, titled[i].stored->modstamp) << "the title's own change: the update that set T1";
    EXPECT_EQ(c->FieldChangedAt(*contacts, r, Slot(*contacts, "city")), r.modstamp) << "the city edit came last";
    EXPECT_LT(job, r.modstamp);
  }
  EXPECT_EQ(used() - before, 3) << "answered from what was read";
  EXPECT_EQ(c->TimePrecisionMs(), 1);
  // the next Load starts over: a pair is read alone when it was not prefetched
  Load(*c, *contacts);
  before = used();
  EXPECT_EQ(c->FieldChangedAt(*contacts, recs[ids[0]], Slot(*contacts, "jobtitle")), titled[0].stored->modstamp);
  EXPECT_EQ(used() - before, 1);
}

TEST_F(HubSpotTest, BatchesSplitAtOneHundred) {
  auto c = Connect();
  ASSERT_TRUE(c);
  std::vector<WriteOp> ops;
  for (int i = 0; i < 250; ++i) ops.push_back(Create(*companies, {{"name", "Co " + std::to_string(i)}}));
  auto res = c->Write(*companies, ops);
  EXPECT_EQ(c->calls().writes, 3);
  std::set<std::string> ids;
  for (size_t i = 0; i < res.size(); ++i) {
    ASSERT_TRUE(res[i].ok) << res[i].message;
    ids.insert(res[i].id);
  }
  EXPECT_EQ(ids.size(), 250u);
  auto dump = Dump("companies");
  for (size_t i = 0; i < res.size(); ++i)  // each result is its own op's record
    EXPECT_EQ(dump[res[i].id]["name"], "Co " + std::to_string(i));
  std::vector<WriteOp> upd;
  for (size_t i = 0; i < res.size(); ++i)
    upd.push_back(Update(*companies, res[i].id, {{"city", "Town " + std::to_string(i)}}));
  auto ures = c->Write(*companies, upd);
  EXPECT_EQ(c->calls().writes, 6);
  dump = Dump("companies");
  for (size_t i = 0; i < ures.size(); ++i) {
    ASSERT_TRUE(ures[i].ok) << ures[i].message;
    EXPECT_EQ(dump[res[i].id]["city"], "Town " + std::to_string(i));
  }
}

TEST_F(HubSpotTest, OneInvalidInputFailsAloneAndTheOthersLand) {
  auto c = Connect();
  ASSERT_TRUE(c);
  size_t before = Dump("contacts").size();
  std::vector<WriteOp> ops;
  for (int i = 0; i < 40; ++i) {
    std::string stage = i == 17 ? "not_a_stage" : "lead";
    ops.push_back(Create(*contacts, {{"email", "p" + std::to_string(i) + "@example.com"}, {"lifecyclestage", stage}}));
  }
  // and a contact that already exists
  ops.push_back(Create(*contacts, {{"email", "grace@navy.example.mil"}}));
  auto res = c->Write(*contacts, ops);
  ASSERT_EQ(res.size(), ops.size());
  for (size_t i = 0; i < res.size(); ++i) {
    if (i == 17) {
      EXPECT_FALSE(res[i].ok);
      EXPECT_EQ(res[i].status_code, "INVALID_OPTION") << res[i].message;
      EXPECT_FALSE(res[i].transient);
      EXPECT_NE(res[i].message.find("not_a_stage"), std::string::npos) << res[i].message;
    } else if (i == 40) {
      EXPECT_FALSE(res[i].ok);
      EXPECT_EQ(res[i].status_code, "CONTACT_EXISTS") << res[i].message;
    } else {
      EXPECT_TRUE(res[i].ok) << i << " " << res[i].status_code << " " << res[i].message;
    }
  }
  auto dump = Dump("contacts");
  EXPECT_EQ(dump.size(), before + 39);
  for (size_t i = 0; i < 40; ++i)
    if (i != 17) EXPECT_EQ(dump[res[i].id]["email"], "p" + std::to_string(i) + "@example.com");
  // bisecting costs calls, but far fewer than one per input
  EXPECT_LT(c->calls().writes, 20);

  // Updates: an unknown property fails only its op.
  std::vector<WriteOp> upd = {
      Update(*contacts, res[0].id, {{"firstname", "A"}}), Update(*contacts, res[1].id, {{"lifecyclestage", "bogus"}}),
      Update(*contacts, res[2].id, {{"firstname", "C"}}), Update(*contacts, "99999999", {{"firstname", "Nobody"}})};
  auto ures = c->Write(*contacts, upd);
  EXPECT_TRUE(ures[0].ok);
  EXPECT_EQ(ures[1].status_code, "INVALID_OPTION");
  EXPECT_TRUE(ures[2].ok);
  EXPECT_FALSE(ures[3].ok);
  EXPECT_EQ(ures[3].status_code, "OBJECT_NOT_FOUND");
  dump = Dump("contacts");
  EXPECT_EQ(dump[res[0].id]["firstname"], "A");
  EXPECT_EQ(dump[res[2].id]["firstname"], "C");
}

TEST_F(HubSpotTest, AnUnknownPropertyFailsItsInputsWithoutBisecting) {
  auto c = Connect();
  ASSERT_TRUE(c);
  // A schema with a property the portal does not have (deleted since the schema was pulled).
  schema::Object stale = *companies;
  schema::Field gone;
  gone.name = "x_deleted_property";
  gone.native_type = "string";
  stale.fields.push_back(gone);
  stale.Finalize();
  std::vector<WriteOp> ops;
  for (int i = 0; i < 100; ++i) {
    WriteOp op = Create(stale, {{"name", "S" + std::to_string(i)}});
    if (i % 2) op.fields.emplace_back(stale.fields.size() - 1, "v");
    ops.push_back(op);
  }
  auto res = c->Write(stale, ops);
  for (size_t i = 0; i < res.size(); ++i) {
    if (i % 2) {
      EXPECT_FALSE(res[i].ok);
      EXPECT_EQ(res[i].status_code, "PROPERTY_DOESNT_EXIST") << res[i].message;
    } else {
      EXPECT_TRUE(res[i].ok) << res[i].message;
    }
  }
  EXPECT_EQ(c->calls().writes, 2);
  EXPECT_EQ(Dump("companies").size(), 52u);
}

TEST_F(HubSpotTest, AssociationsWrittenAndReadBack) {
  HubSpotOptions o = Options();
  o.associations["contacts"] = {"companies"};
  auto c = Connect(o);
  ASSERT_TRUE(c);
  std::vector<Record> cos = Load(*c, *companies);
  ASSERT_FALSE(cos.empty());
  std::string company = cos[0].id;
  WriteOp op = Create(*contacts, {{"email", "assoc@example.com"}});
  op.add_associations["companies"] = {company};
  std::vector<Record> before = Load(*c, *contacts);
  auto res = c->Write(*contacts, {op});
  ASSERT_TRUE(res[0].ok) << res[0].message;
  EXPECT_TRUE(res[0].message.empty()) << res[0].message;
  // and on an update
  WriteOp up = Update(*contacts, before[0].id, {{"jobtitle", "Linked"}});
  up.add_associations["companies"] = {company};
  auto ures = c->Write(*contacts, {up});
  ASSERT_TRUE(ures[0].ok) << ures[0].message;
  auto m = ById(Load(*c, *contacts));
  EXPECT_EQ(m[res[0].id].associations["companies"], std::vector<std::string>{company});
  EXPECT_EQ(m[before[0].id].associations["companies"], std::vector<std::string>{company});
  // The sandbox keeps the association in both directions.
  auto d = admin->Get("/crm/v4/objects/companies/" + company + "/associations/contacts");
  EXPECT_NE(d.raw.find(res[0].id), std::string::npos) << d.raw;
  // A new connector's first read lists the records with their associations inline
  // (no v4 batch read): the same associations, one call per 100 records.
  auto fresh = Connect(o);
  ASSERT_TRUE(fresh);
  int64_t reads0 = fresh->calls().reads;
  auto m2 = ById(Load(*fresh, *contacts));
  EXPECT_EQ(m2[res[0].id].associations["companies"], std::vector<std::string>{company});
  EXPECT_EQ(m2[before[0].id].associations["companies"], std::vector<std::string>{company});
  EXPECT_EQ(m2.size(), m.size());
  EXPECT_EQ(fresh->calls().reads - reads0, 2) << "one list page and one archived page";
}

TEST_F(HubSpotTest, LoadsPastTheTenThousandSearchCap) {
  auto c = Connect();
  ASSERT_TRUE(c);
  const int n = 10150;
  std::vector<WriteOp> ops;
  for (int i = 0; i < n; ++i) ops.push_back(Create(*companies, {{"name", "Bulk " + std::to_string(i)}}));
  auto res = c->Write(*companies, ops);
  for (const auto& r : res) ASSERT_TRUE(r.ok) << r.message;
  auto fresh = Connect();
  std::vector<Record> recs = Load(*fresh, *companies);
  auto m = ById(recs);
  EXPECT_EQ(recs.size(), m.size());  // no duplicates
  EXPECT_EQ(m.size(), Dump("companies").size());
  EXPECT_EQ(m.size(), static_cast<size_t>(n) + 2);
  // 200 per page: 51 pages of the first query, then the rest from the last modstamp.
  EXPECT_LT(fresh->calls().reads, 70);
}

TEST_F(HubSpotTest, RateLimitStormIsRetried) {
  auto c = Connect();
  ASSERT_TRUE(c);
  Admin("/__sandbox/faults", {{"seed", 7}, {"storm_rate", 0.1}, {"storm_length", 2}});
  // Single-record writes and loads in between: enough requests to meet storms. (Each
  // 429 pauses the rate budget for Retry-After, 1 s of real time.)
  for (int i = 0; i < 12; ++i) {
    auto res = c->Write(*companies, {Create(*companies, {{"name", "Storm " + std::to_string(i)}})});
    EXPECT_TRUE(res[0].ok) << res[0].message;
    if (i % 4 == 0) Load(*c, *companies);
  }
  std::vector<Record> recs = Load(*c, *companies);
  Admin("/__sandbox/faults", json::object());
  EXPECT_EQ(recs.size(), Dump("companies").size());
  EXPECT_EQ(Dump("companies").size(), 14u);
  EXPECT_FALSE(waits.empty());
}

TEST_F(HubSpotTest, ServerErrorsAndDroppedConnectionsOnReadsAndUpdatesAreRetried) {
  auto c = Connect();
  ASSERT_TRUE(c);
  std::vector<Record> recs = Load(*c, *contacts);
  Admin("/__sandbox/faults", {{"seed", 11}, {"error_rate", 0.3}, {"drop_rate", 0.2}});
  std::vector<WriteOp> upd;
  for (const Record& r : recs) upd.push_back(Update(*contacts, r.id, {{"jobtitle", "Faulty " + r.id}}));
  for (int round = 0; round < 3; ++round) {
    auto res = c->Write(*contacts, upd);
    for (const auto& r : res) EXPECT_TRUE(r.ok) << r.status_code << " " << r.message;
    std::vector<Record> again = Load(*c, *contacts);
    EXPECT_EQ(again.size(), recs.size());
  }
  Admin("/__sandbox/faults", json::object());
  auto dump = Dump("contacts");
  for (const Record& r : recs) EXPECT_EQ(dump[r.id]["jobtitle"], "Faulty " + r.id);
}

TEST_F(HubSpotTest, CreatesWhoseResponseIsLostAreNotDuplicated) {
  auto c = Connect();
  ASSERT_TRUE(c);
  size_t before = Dump("contacts").size();
  Admin("/__sandbox/faults", {{"drop_after_rate", 1.0}, {"path", "/batch/create"}});
  std::vector<WriteOp> ops;
  for (int i = 0; i < 5; ++i)
    ops.push_back(Create(*contacts, {{"email", "lost" + std::to_string(i) + "@example.com"}}));
  auto res = c->Write(*contacts, ops);
  for (const auto& r : res) {
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.transient) << r.message;
  }
  EXPECT_EQ(c->calls().writes, 1);  // sent once, never again
  Admin("/__sandbox/faults", json::object());
  auto dump = Dump("contacts");
  EXPECT_EQ(dump.size(), before + 5);  // processed once each
  // The next pass sees them (the engine re-matches instead of re-creating).
  auto m = ById(Load(*c, *contacts));
  EXPECT_EQ(m.size(), before + 5);
}

// Companies, deals and tasks have no unique property: nothing on HubSpot's side
// refuses a second copy. The creates go after reads, on a warm keep-alive
// connection, as in a pass; with every response lost each record lands once.
TEST_F(HubSpotTest, LostCreateResponsesOnAWarmConnectionCreateEachCompanyDealAndTaskOnce) {
  for (auto [type, name_property] : {std::pair<std::string, std::string>{"companies", "name"},
                                     {"deals", "dealname"},
                                     {"tasks", "hs_task_subject"}}) {
    SCOPED_TRACE(type);
    const schema::Object* object = schemas.Find(schema::System::kHubSpot, type);
    ASSERT_TRUE(object);
    auto c = Connect();  // Open checks the token with a GET: the connection is warm
    ASSERT_TRUE(c);
    Load(*c, *object);
    size_t before = Dump(type).size();
    Admin("/__sandbox/faults", {{"drop_after_rate", 1.0}, {"path", "/batch/create"}});
    std::vector<WriteOp> ops;
    for (int i = 0; i < 3; ++i) ops.push_back(Create(*object, {{name_property, "Lost answer " + std::to_string(i)}}));
    auto res = c->Write(*object, ops);
    Admin("/__sandbox/faults", json::object());
    for (const auto& r : res) {
      EXPECT_FALSE(r.ok);
      EXPECT_TRUE(r.transient) << r.message;
      EXPECT_NE(r.message.find("not re-sent"), std::string::npos) << r.message;
    }
    EXPECT_EQ(c->calls().writes, 1);
    EXPECT_EQ(Dump(type).size(), before + ops.size()) << "each create sent once is one record";
  }
}

// A HubSpot property made unique (hasUniqueValue, as an admin makes it) holds the
// Salesforce id: creates upsert by it, so the transport may send them again. Every
// response is lost until the transport's first wait: each company lands once and
// the creates answer ok (a plain create is never re-sent: it failed here before).
TEST_F(HubSpotTest, CreatesWithAnUpsertKeyAreResentAndLandOnce) {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/accord-hs-upsert-XXXXXX";
  const std::string seed = mkdtemp(tmpl);
  fs::copy(sandbox::DefaultSeedDir(), seed, fs::copy_options::recursive);
  const std::string file = seed + "/schemas/hubspot/companies.json";
  json props = json::parse(std::ifstream(file));
  for (json& p : props["results"])
    if (p["name"] == "salesforce_account_id") p["hasUniqueValue"] = true;
  std::ofstream(file) << props.dump();
  admin.reset();
  sb->Stop();
  sandbox::SandboxOptions o;
  o.seed_dir = seed;
  sandbox::Status st;
  sb = sandbox::Sandbox::Start(o, &st);
  ASSERT_TRUE(sb) << st.message;
  admin = std::make_unique<Http>(sb->hubspot_url(), sb->token());
  Admin("/__sandbox/config", {{"rate_limit_max", 1000000}, {"search_per_second", 100000}});
  schema::SchemaSet unique_schemas;
  std::vector<schema::SchemaError> errors;
  schema::LoadSchemaDir(schema::System::kHubSpot, seed + "/schemas/hubspot", unique_schemas, errors);
  fs::remove_all(seed);
  ASSERT_TRUE(errors.empty()) << errors[0].message;
  const schema::Object* object = unique_schemas.Find(schema::System::kHubSpot, "companies");
  ASSERT_TRUE(object && object->FindField("salesforce_account_id")->unique);

  // every response is lost until the transport's first wait; then the faults are off
  HubSpotOptions opts = Options();
  int waited = 0;
  opts.http.sleep = [&](int64_t) {
    if (waited++ == 0) Admin("/__sandbox/faults", json::object());
  };
  auto c = Connect(opts);
  ASSERT_TRUE(c);
  Load(*c, *object);  // a warm connection, as in a pass
  size_t before = Dump("companies").size();
  std::vector<WriteOp> ops;
  for (int i = 0; i < 3; ++i) {
    ops.push_back(Create(*object, {{"name", "Upserted " + std::to_string(i)},
                                   {"salesforce_account_id", "001UPSERT0000" + std::to_string(i)}}));
    ops.back().upsert_field = "salesforce_account_id";
  }
  int64_t writes = c->calls().writes;
  Admin("/__sandbox/faults", {{"drop_after_rate", 1.0}, {"path", "/batch/"}});
  auto res = c->Write(*object, ops);
  EXPECT_EQ(c->calls().writes - writes, 2) << "processed, its response lost, then sent again";
  auto dump = Dump("companies");
  EXPECT_EQ(dump.size(), before + ops.size()) << "sent twice, each record once";
  for (size_t i = 0; i < res.size(); ++i) {
    ASSERT_TRUE(res[i].ok) << res[i].status_code << " " << res[i].message;
    EXPECT_EQ(dump[res[i].id]["name"], "Upserted " + std::to_string(i));
    EXPECT_EQ(dump[res[i].id]["salesforce_account_id"], "001UPSERT0000" + std::to_string(i));
    ASSERT_TRUE(res[i].stored);
    EXPECT_EQ(res[i].stored->values[Slot(*object, "name")], "Upserted " + std::to_string(i));
  }
  // sent once more (the engine's retry of a create whose outcome it never learnt): the same records
  ops[1].fields[0].second = "Upserted again";
  auto again = c->Write(*object, ops);
  dump = Dump("companies");
  EXPECT_EQ(dump.size(), before + ops.size());
  for (size_t i = 0; i < again.size(); ++i) {
    ASSERT_TRUE(again[i].ok) << again[i].message;
    EXPECT_EQ(again[i].id, res[i].id);
  }
  EXPECT_EQ(dump[res[1].id]["name"], "Upserted again");
}

// The example's salesforce_account_id is not unique: HubSpot refuses to upsert by it,
// so the engine never asks (SyncEngine.CreatesUpsertByAUniqueExternalIdProperty); a
// connector asked anyway fails the inputs in one call and creates nothing.
TEST_F(HubSpotTest, UpsertByAPropertyThatIsNotUniqueIsRefused) {
  ASSERT_FALSE(companies->FindField("salesforce_account_id")->unique);
  auto c = Connect();
  ASSERT_TRUE(c);
  size_t before = Dump("companies").size();
  std::vector<WriteOp> ops;
  for (int i = 0; i < 2; ++i) {
    ops.push_back(Create(*companies, {{"name", "Not unique " + std::to_string(i)},
                                      {"salesforce_account_id", "001NOTUNIQUE00" + std::to_string(i)}}));
    ops.back().upsert_field = "salesforce_account_id";
  }
  int64_t writes = c->calls().writes;
  auto res = c->Write(*companies, ops);
  EXPECT_EQ(c->calls().writes - writes, 1);
  for (const auto& r : res) {
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.transient);
    EXPECT_FALSE(r.maybe_applied);
    EXPECT_NE(r.message.find("non-unique"), std::string::npos) << r.message;
  }
  EXPECT_EQ(Dump("companies").size(), before);
}

TEST_F(HubSpotTest, PartialFailuresAreRetried) {
  HubSpotOptions o = Options();
  o.write_retries = 4;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  Admin("/__sandbox/faults", {{"seed", 5}, {"partial_rate", 0.2}, {"path", "/batch/"}});
  std::vector<WriteOp> ops;
  for (int i = 0; i < 60; ++i) {
    ops.push_back(Create(*companies, {{"name", "Partial " + std::to_string(i)}}));
    ops.back().add_associations["contacts"] = {"51"};  // association batches meet the faults too
  }
  auto res = c->Write(*companies, ops);
  for (const auto& r : res) EXPECT_TRUE(r.ok) << r.status_code << " " << r.message;
  EXPECT_GT(c->calls().writes, 1);  // some inputs went again
  std::vector<WriteOp> upd;
  for (size_t i = 0; i < res.size(); ++i)
    upd.push_back(Update(*companies, res[i].id, {{"city", "P" + std::to_string(i)}}));
  auto ures = c->Write(*companies, upd);
  for (const auto& r : ures) EXPECT_TRUE(r.ok) << r.status_code << " " << r.message;
  Admin("/__sandbox/faults", json::object());
  auto dump = Dump("companies");
  EXPECT_EQ(dump.size(), 62u);  // no duplicates
  for (size_t i = 0; i < res.size(); ++i) {
    EXPECT_EQ(dump[res[i].id]["name"], "Partial " + std::to_string(i));
    EXPECT_EQ(dump[res[i].id]["city"], "P" + std::to_string(i));
    EXPECT_TRUE(res[i].message.empty()) << res[i].message;
  }
  auto d = admin->Get("/crm/v4/objects/contacts/51/associations/companies");
  ASSERT_EQ(d.status, 200) << d.raw;
  std::set<std::string> linked;
  for (const json& r : d.body["results"]) linked.insert(std::to_string(r["toObjectId"].get<int64_t>()));
  for (const auto& r : res) EXPECT_TRUE(linked.count(r.id)) << r.id;
}

TEST_F(HubSpotTest, DailyLimitIsTransientWithoutWaiting) {
  auto c = Connect();
  ASSERT_TRUE(c);
  auto d = admin->Get("/__sandbox/dump");
  int64_t used = d.body.value("daily_used", int64_t{0});
  Admin("/__sandbox/config", {{"daily_limit", used + 1}});
  auto res = c->Write(*companies, {Create(*companies, {{"name", "One"}}), Create(*companies, {{"name", "Two"}})});
  EXPECT_TRUE(res[0].ok) << res[0].message;  // the last call of the day
  auto more = c->Write(*companies, {Create(*companies, {{"name", "Three"}})});
  ASSERT_FALSE(more[0].ok);
  EXPECT_TRUE(more[0].transient);
  EXPECT_EQ(more[0].status_code, "DAILY");
  EXPECT_NE(more[0].message.find("daily"), std::string::npos) << more[0].message;
  std::vector<Record> recs;
  std::vector<ReadProblem> problems;
  std::string error;
  EXPECT_FALSE(base::Succeeded(c->Load(*companies, &recs, &problems), &error));
  EXPECT_NE(error.find("daily"), std::string::npos) << error;
}

// Unknown is not absent: a record a page served malformed stays reported on every Load of
// the same connector (`accord run --watch` keeps it) until a read gets it whole, although an
// incremental read does not return an unchanged record again.
TEST_F(HubSpotTest, ARecordThatCouldNotBeReadIsReportedUntilReadWhole) {
  HubSpotOptions o = Options();
  o.overlap_ms = 0;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  std::vector<Record> first = Load(*c, *companies);
  ASSERT_GE(first.size(), 2u);
  std::string a = first[0].id, b = first[1].id;
  ASSERT_TRUE(c->Write(*companies, {Update(*companies, a, {{"name", "A edited"}})})[0].ok);
  Admin("/__sandbox/clock", {{"advance_ms", 1000}});
  ASSERT_TRUE(c->Write(*companies, {Update(*companies, b, {{"name", "B edited"}})})[0].ok);
  // a seed whose first search serves its first result (a, the older edit) malformed, not its second
  uint64_t seed = 1;
  while (!(sandbox::UnitInterval(sandbox::Hash3(seed, 1, 3000)) < 0.5 &&
           sandbox::UnitInterval(sandbox::Hash3(seed, 1, 3001)) >= 0.5))
    ++seed;
  Admin("/__sandbox/faults", {{"seed", seed}, {"malformed_rate", 0.5}, {"path", "/search"}});
  auto load = [&](std::vector<ReadProblem>* problems) {
    std::vector<Record> recs;
    std::string error;
    EXPECT_TRUE(base::Succeeded(c->Load(*companies, &recs, problems), &error)) << error;
    return recs;
  };
  std::vector<ReadProblem> problems;
  load(&problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].record_id, a);
  Admin("/__sandbox/faults", json::object());
  // nothing changed since: the incremental search returns b only, and a is still unknown
  problems.clear();
  load(&problems);
  ASSERT_EQ(problems.size(), 1u) << "a record not read whole is reported again";
  EXPECT_EQ(problems[0].record_id, a);
  // a changes: read whole, no longer reported
  Admin("/__sandbox/clock", {{"advance_ms", 1000}});
  ASSERT_TRUE(c->Write(*companies, {Update(*companies, a, {{"name", "A again"}})})[0].ok);
  problems.clear();
  std::vector<Record> recs = load(&problems);
  EXPECT_TRUE(problems.empty());
  bool found = false;
  for (const Record& r : recs) found |= r.id == a;
  EXPECT_TRUE(found);
}

TEST_F(HubSpotTest, DryRunSendsNothingButCountsCalls) {
  HubSpotOptions o = Options();
  o.dry_run = true;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  size_t before = Dump("companies").size();
  std::vector<WriteOp> ops;
  for (int i = 0; i < 150; ++i) ops.push_back(Create(*companies, {{"name", "Dry " + std::to_string(i)}}));
  auto res = c->Write(*companies, ops);
  for (const auto& r : res) {
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(r.id.empty());
  }
  EXPECT_EQ(c->calls().writes, 2);
  EXPECT_EQ(Dump("companies").size(), before);
}

TEST_F(HubSpotTest, PropertiesReturnsTheApiJson) {
  auto c = Connect();
  ASSERT_TRUE(c);
  std::string text, error;
  ASSERT_TRUE(base::Succeeded(c->Properties("contacts"), &text, &error)) << error;
  json j = json::parse(text);
  ASSERT_TRUE(j["results"].is_array());
  bool email = false;
  for (const json& p : j["results"]) email = email || p["name"] == "email";
  EXPECT_TRUE(email);
  EXPECT_FALSE(base::Succeeded(c->Properties("no_such_object"), &text, &error));
  EXPECT_NE(error.find("no_such_object"), std::string::npos);
}

TEST_F(HubSpotTest, BadTokenIsReportedWithoutTheToken) {
  HubSpotOptions o = Options();
  o.token = "pat-na1-SECRET-0123456789-abcdef";
  std::string error;
  auto c = base::TakeValue(HubSpotConnector::Open(o), &error);
  EXPECT_FALSE(c);
  EXPECT_NE(error.find("401"), std::string::npos) << error;
  EXPECT_EQ(error.find(o.token), std::string::npos) << error;
}

// A server that echoes the Authorization header into every error: whatever
// reaches a message must have been redacted.
TEST(HubSpotSecrets, TokenNeverAppearsInErrors) {
  const std::string token = "pat-na1-PLANTED-SECRET-7f3a9c2e";
  httplib::Server srv;
  auto echo = [](const httplib::Request& req, httplib::Response& res) {
    std::string auth = req.get_header_value("Authorization");
    json body{{"status", "error"}, {"category", "VALIDATION_ERROR"}, {"message", "bad request from " + auth}};
    res.status = 400;
    res.set_content(body.dump(), "application/json");
  };
  srv.Get("/crm/v3/objects/contacts", [](const httplib::Request& req, httplib::Response& res) {
    if (req.has_param("archived")) {
      res.status = 500;
      res.set_content(json{{"message", "boom " + req.get_header_value("Authorization")}}.dump(), "application/json");
      return;
    }
    res.set_content(R"({"results":[]})", "application/json");
  });
  srv.Post(R"(/crm/v3/objects/contacts/search)", [&](const httplib::Request& req, httplib::Response& res) {
    res.set_content(R"({"total":0,"results":[]})", "application/json");
    (void)req;
  });
  srv.Post(R"(/crm/v3/objects/contacts/batch/create)", echo);
  srv.Post(R"(/crm/v3/objects/contacts/batch/update)", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 503;
    res.set_content(json{{"message", "down " + req.get_header_value("Authorization")}}.dump(), "application/json");
  });
  srv.Get("/crm/v3/properties/contacts", echo);
  int port = srv.bind_to_any_port("127.0.0.1");
  std::thread t([&] { srv.listen_after_bind(); });
  while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  schema::Object contacts;
  contacts.system = schema::System::kHubSpot;
  contacts.name = "contacts";
  schema::Field email;
  email.name = "email";
  email.native_type = "string";
  contacts.fields.push_back(email);
  contacts.Finalize();

  HubSpotOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  o.token = token;
  o.http.backoff_base_ms = 1;
  o.http.backoff_max_ms = 2;
  o.http.max_attempts = 2;
  o.http.sleep = [](int64_t) {};
  std::string error;
  auto c = base::TakeValue(HubSpotConnector::Open(o), &error);
  ASSERT_TRUE(c) << error;
  std::vector<std::string> messages;
  std::vector<Record> recs;
  std::vector<ReadProblem> problems;
  EXPECT_FALSE(base::Succeeded(c->Load(contacts, &recs, &problems), &error));
  messages.push_back(error);
  WriteOp cr;
  cr.kind = WriteOp::Kind::kCreate;
  cr.fields.emplace_back(0, "a@example.com");
  WriteOp cr2 = cr;
  WriteOp up;
  up.kind = WriteOp::Kind::kUpdate;
  up.id = "1";
  up.fields.emplace_back(0, "b@example.com");
  for (const WriteResult& r : c->Write(contacts, {cr, cr2, up})) {
    EXPECT_FALSE(r.ok);
    messages.push_back(r.message);
  }
  std::string props;
  EXPECT_FALSE(base::Succeeded(c->Properties("contacts"), &props, &error));
  messages.push_back(error);
  c.reset();  // closes the keep-alive connection, so the server stops at once
  srv.stop();
  t.join();
  for (const std::string& m : messages) {
    EXPECT_FALSE(m.empty());
    EXPECT_EQ(m.find(token), std::string::npos) << m;
  }
  EXPECT_NE(messages[1].find("[redacted]"), std::string::npos) << messages[1];
}

}  // namespace
}  // namespace accord::connectors

namespace accord::connectors {
namespace {

// Shapes the sandbox does not produce: a malformed record among good ones, a
// response that is not a search result, batch/create results in another order
// than the inputs (with objectWriteTraceId, as HubSpot sends them).
class FakeHubSpot : public ::testing::Test {
 protected:
  void SetUp() override {
    srv.Get("/crm/v3/objects/contacts", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"results":[]})", "application/json");
    });
    srv.Post("/crm/v3/objects/contacts/search", [this](const httplib::Request&, httplib::Response& res) {
      for (const auto& [k, v] : search_headers) res.set_header(k, v);
      res.set_content(search_body, "application/json");
    });
    srv.Post("/crm/v3/objects/contacts/batch/create", [](const httplib::Request& req, httplib::Response& res) {
      nlohmann::json in = nlohmann::json::parse(req.body);
      nlohmann::json results = nlohmann::json::array();
      for (size_t i = in["inputs"].size(); i-- > 0;) {
        const auto& input = in["inputs"][i];
        results.push_back({{"id", std::to_string(1000 + i)},
                           {"objectWriteTraceId", input["objectWriteTraceId"]},
                           {"properties", input["properties"]},
                           {"archived", false}});
      }
      res.status = 201;
      res.set_content(nlohmann::json{{"status", "COMPLETE"}, {"results", results}}.dump(), "application/json");
    });
    port = srv.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { srv.listen_after_bind(); });
    while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    contacts.system = schema::System::kHubSpot;
    contacts.name = "contacts";
    for (const char* n : {"email", "lastmodifieddate", "birthday"}) {
      schema::Field f;
      f.name = n;
      f.native_type = std::string(n) == "email" ? "string" : std::string(n) == "birthday" ? "date" : "datetime";
      f.type = schema::HubSpotFieldType(f.native_type, "");
      contacts.fields.push_back(f);
    }
    contacts.Finalize();
    HubSpotOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port);
    o.token = "pat-na1-fake-token-000000";
    o.http.sleep = [](int64_t) {};
    o.http.max_attempts = 1;
    std::string error;
    c = base::TakeValue(HubSpotConnector::Open(o), &error);
    ASSERT_TRUE(c) << error;
  }
  void TearDown() override {
    c.reset();
    srv.stop();
    thread.join();
  }
  httplib::Server srv;
  std::thread thread;
  int port = 0;
  std::string search_body;
  std::map<std::string, std::string> search_headers;
  schema::Object contacts;
  std::unique_ptr<HubSpotConnector> c;
};

TEST_F(FakeHubSpot, AMalformedRecordIsAProblemAndTheRestLoads) {
  search_body = R"({"total":3,"results":[
    {"id":"1","properties":{"email":"a@example.com","lastmodifieddate":"1764489600000","birthday":"946684800000"},"archived":false},
    {"properties":{"email":"no-id@example.com"}},
    {"id":"3","properties":{"email":{"nested":true}}},
    {"id":"4","properties":{"email":"d@example.com","lastmodifieddate":"2026-11-30T08:00:00Z"}}]})";
  std::vector<Record> recs;
  std::vector<ReadProblem> problems;
  std::string error;
  ASSERT_TRUE(base::Succeeded(c->Load(contacts, &recs, &problems), &error)) << error;
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].id, "1");
  EXPECT_EQ(recs[0].modstamp, "2025-11-30T08:00:00.000Z");
  EXPECT_EQ(recs[0].values[1], "2025-11-30T08:00:00.000Z");
  EXPECT_EQ(recs[0].values[2], "2000-01-01");
  EXPECT_EQ(recs[1].modstamp, "2026-11-30T08:00:00.000Z");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[1].record_id, "3");
}

// Numbers a server sends as digits but past int64 (a paging cursor, the rate-limit headers)
// are bad input: a read error or an ignored header, never an exception out of the connector.
TEST_F(FakeHubSpot, DigitsPastInt64AreNotAThrow) {
  const std::string huge = "123456789012345678901234567890";
  search_headers = {{"X-HubSpot-RateLimit-Remaining", huge},
                    {"X-HubSpot-RateLimit-Interval-Milliseconds", huge},
                    {"X-HubSpot-RateLimit-Daily-Remaining", huge}};
  search_body = R"({"results":[{"id":"1","properties":{"email":"a@example.com"}}]})";
  std::vector<Record> recs;
  std::vector<ReadProblem> problems;
  base::Status loaded = base::Status::Ok();
  EXPECT_NO_THROW(loaded = c->Load(contacts, &recs, &problems));
  EXPECT_TRUE(loaded) << loaded.message;
  EXPECT_EQ(recs.size(), 1u);
  search_headers.clear();
  search_body = R"({"results":[{"id":"1","properties":{"email":"a@example.com"}}],"paging":{"next":{"after":")" + huge +
                R"("}}})";
  EXPECT_NO_THROW(loaded = c->Load(contacts, &recs, &problems));
  EXPECT_FALSE(loaded);
  EXPECT_NE(loaded.message.find("unexpected paging cursor " + huge), std::string::npos) << loaded.message;
}

TEST_F(FakeHubSpot, WrongTypedAndDeeplyNestedPropertiesAreProblemsWithTheirIds) {
  search_body = R"({"total":5,"results":[
    {"id":"1","properties":{"email":42}},
    {"id":"2","properties":{"email":true}},
    {"id":"3","properties":{"email":)" +
                std::string(100000, '[') + std::string(100000, ']') + R"(}},
    {"id":"4","properties":{"email":"d@example.com","birthday":946684800000}},
    {"id":"5","properties":{"email":"e@example.com"},"extra":)" +
                std::string(100000, '[') + std::string(100000, ']') + R"(}]})";
  std::vector<Record> recs;
  std::vector<ReadProblem> problems;
  std::string error;
  ASSERT_TRUE(base::Succeeded(c->Load(contacts, &recs, &problems), &error)) << error;
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].id, "4");
  EXPECT_EQ(recs[0].values[2], "2000-01-01") << "a date property may be epoch ms";
  EXPECT_EQ(recs[1].id, "5");
  ASSERT_EQ(problems.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(problems[i].record_id, std::to_string(i + 1));
  EXPECT_NE(problems[0].message.find("email is a number (42) where HubSpot sends a string"), std::string::npos)
      << problems[0].message;
  EXPECT_NE(problems[1].message.find("email is true or false (true)"), std::string::npos) << problems[1].message;
  EXPECT_NE(problems[2].message.find("email is an array"), std::string::npos) << problems[2].message;
}

TEST_F(FakeHubSpot, AMalformedResponseFailsTheLoad) {
  search_body = R"({"total":3,"results":{}})";
  std::vector<Record> recs;
  std::vector<ReadProblem> problems;
  std::string error;
  EXPECT_FALSE(base::Succeeded(c->Load(contacts, &recs, &problems), &error));
  EXPECT_NE(error.find("results"), std::string::npos) << error;
  search_body = "<html>gateway</html>";
  EXPECT_FALSE(base::Succeeded(c->Load(contacts, &recs, &problems), &error));
}

TEST_F(FakeHubSpot, CreateResultsMapBackByTraceId) {
  std::vector<WriteOp> ops(3);
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i].kind = WriteOp::Kind::kCreate;
    ops[i].fields.emplace_back(0, "p" + std::to_string(i) + "@example.com");
  }
  auto res = c->Write(contacts, ops);
  for (size_t i = 0; i < res.size(); ++i) {
    ASSERT_TRUE(res[i].ok) << res[i].message;
    EXPECT_EQ(res[i].id, std::to_string(1000 + i));
    ASSERT_TRUE(res[i].stored);
    EXPECT_EQ(res[i].stored->values[0], "p" + std::to_string(i) + "@example.com");
  }
}

}  // namespace
}  // namespace accord::connectors
