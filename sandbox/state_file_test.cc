// accord sandbox --state FILE: the state survives a restart; the file is
// written as requests change state; foreign files are refused.
#include <sqlite3.h>

#include <filesystem>

#include "sandbox/test_util.h"

namespace accord::sandbox::testing {
namespace {

const std::string kV = "/services/data/v59.0";

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("accord-state-" + std::to_string(::getpid()) + ".db")).string();
    Remove();
  }
  void TearDown() override {
    sb_.reset();
    Remove();
  }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  void Start() {
    sb_.reset();
    SandboxOptions o;
    o.seed_dir = ExampleSeed();
    o.state_file = path_;
    Status s;
    sb_ = Sandbox::Start(o, &s);
    ASSERT_TRUE(sb_) << s.message;
    sf_ = std::make_unique<Http>(sb_->salesforce_url(), sb_->token());
    hs_ = std::make_unique<Http>(sb_->hubspot_url(), sb_->token());
  }
  std::string path_;
  std::unique_ptr<Sandbox> sb_;
  std::unique_ptr<Http> sf_, hs_;
};

TEST_F(StateFileTest, StateSurvivesARestart) {
  Start();
  Resp c = sf_->Post(kV + "/sobjects/Contact", Json{{"LastName", "Persisted"}, {"Email", "p@example.com"}});
  ASSERT_EQ(c.status, 201) << c.raw;
  std::string kept = c.body["id"];
  Resp d = sf_->Post(kV + "/sobjects/Contact", Json{{"LastName", "Deleted"}});
  std::string gone = d.body["id"];
  ASSERT_EQ(sf_->Delete(kV + "/sobjects/Contact/" + gone).status, 204);
  Resp h = hs_->Post("/crm/v3/objects/contacts", Json{{"properties", {{"email", "kept@example.com"}}}});
  Resp co = hs_->Post("/crm/v3/objects/companies", Json{{"properties", {{"name", "Kept Co"}}}});
  std::string hid = h.body["id"], cid = co.body["id"];
  ASSERT_EQ(
      hs_->Put("/crm/v4/objects/contacts/" + hid + "/associations/default/companies/" + cid, Json::object()).status,
      200);
  Resp u = sf_->Patch(kV + "/sobjects/Contact/" + kept, Json{{"Title", "Kept title"}});
  ASSERT_EQ(u.status, 204);
  int64_t remaining_before = sf_->Get(kV + "/limits").body["DailyApiRequests"]["Remaining"];

  Start();  // a new process would do the same: open the file, find a state, load it
  Resp g = sf_->Get(kV + "/sobjects/Contact/" + kept);
  ASSERT_EQ(g.status, 200) << g.raw;
  EXPECT_EQ(g.body["Title"], "Kept title");
  EXPECT_EQ(g.body["Email"], "p@example.com");
  EXPECT_EQ(sf_->Get(kV + "/sobjects/Contact/" + gone).body[0]["errorCode"], "ENTITY_IS_DELETED");
  Resp q = sf_->Get(kV + "/query?q=" + PercentEncode("SELECT Id FROM Contact"));
  EXPECT_EQ(q.body["totalSize"], 5);  // the seed's 4 live contacts and the new one
  Resp n = sf_->Post(kV + "/sobjects/Contact", Json{{"LastName", "After restart"}});
  EXPECT_NE(n.body["id"], kept);
  EXPECT_NE(n.body["id"], gone);
  int64_t remaining_after = sf_->Get(kV + "/limits").body["DailyApiRequests"]["Remaining"];
  EXPECT_LT(remaining_after, remaining_before);  // the day's API usage carried over
  EXPECT_EQ(hs_->Get("/crm/v3/objects/contacts/kept@example.com?idProperty=email").status, 200);
  Resp a = hs_->Get("/crm/v4/objects/contacts/" + hid + "/associations/companies");
  ASSERT_EQ(a.body["results"].size(), 1u) << a.raw;
  Resp hn = hs_->Post("/crm/v3/objects/contacts", Json{{"properties", {{"email", "new@example.com"}}}});
  EXPECT_GT(std::stoll(hn.body["id"].get<std::string>()), std::stoll(cid));

  // Reset writes the seed back into the file.
  ASSERT_EQ(sf_->Post("/__sandbox/reset", Json::object()).status, 200);
  Start();
  EXPECT_EQ(sf_->Get(kV + "/sobjects/Contact/" + kept).status, 404);
}

TEST_F(StateFileTest, ForeignOrUnwritableFilesAreErrors) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db,
                 "CREATE TABLE sandbox_meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO sandbox_meta "
                 "VALUES('format','other-9')",
                 nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  SandboxOptions o;
  o.seed_dir = ExampleSeed();
  o.state_file = path_;
  Status s;
  EXPECT_FALSE(Sandbox::Start(o, &s));
  EXPECT_NE(s.message.find("other-9"), std::string::npos) << s.message;
  o.state_file = "/nonexistent/dir/state.db";
  EXPECT_FALSE(Sandbox::Start(o, &s));
  EXPECT_NE(s.message.find("cannot open"), std::string::npos) << s.message;
}

}  // namespace
}  // namespace accord::sandbox::testing
