// Every test runs on both backends: SQLite (in memory or a temporary file) and
// PostgreSQL (a throwaway cluster started once for the binary by
// tests/postgres/cluster.h, a fresh schema per test). Where PostgreSQL is installed
// or in CI, a cluster that cannot start fails the PostgreSQL tests; elsewhere they are
// skipped with the reason.
#include "runtime/store/state_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "runtime/store/sql.h"
#include "tests/postgres/cluster.h"

namespace accord::store {
namespace {

using accord::testing::PostgresCluster;

enum class Backend { kSqlite, kPostgres };

std::string TempPath(const std::string& name) {
  return (::testing::TempDir() + "accord_store_" + std::to_string(getpid()) + "_" + name + ".db");
}

std::unique_ptr<StateStore> OpenOk(const std::string& path) {
  Status st;
  auto s = StateStore::Open(path, &st);
  EXPECT_TRUE(st.ok) << st.message;
  return s;
}

// The binary's one cluster: started by the first PostgreSQL test, stopped at exit.
class PostgresEnvironment : public ::testing::Environment {
 public:
  static PostgresCluster* Get(std::string* why) {
    if (!tried_) {
      tried_ = true;
      cluster_ = PostgresCluster::Start({}, &why_);
    }
    *why = why_;
    return cluster_.get();
  }
  void TearDown() override { cluster_.reset(); }

 private:
  static inline bool tried_ = false;
  static inline std::unique_ptr<PostgresCluster> cluster_;
  static inline std::string why_;
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

class StateStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    for (char c : std::string(info->name())) name_ += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (GetParam() == Backend::kSqlite) return;
    std::string why;
    cluster_ = PostgresEnvironment::Get(&why);
    if (!cluster_) {
      if (accord::testing::PostgresRequired())
        FAIL() << "PostgreSQL is installed (or CI is set) but its cluster did not start: " << why;
      GTEST_SKIP() << "no PostgreSQL cluster for these tests: " << why;
    }
    auto url = cluster_->FreshSchema("t_" + name_.substr(0, 50));
    ASSERT_TRUE(url) << url.status().message;
    url_ = *url;
  }
  void TearDown() override {
    if (GetParam() == Backend::kSqlite) std::remove(TempPath(name_).c_str());
  }
  bool pg() const { return GetParam() == Backend::kPostgres; }
  // A location that outlives a store: a file, or the test's schema.
  std::string Durable() const { return pg() ? url_ : TempPath(name_); }
  // A store of its own for the test: SQLite in memory, or the test's schema.
  std::unique_ptr<StateStore> Fresh() { return OpenOk(pg() ? url_ : ":memory:"); }
  // SQL outside the store, as another program (or an older Accord) would run it.
  void Raw(const std::string& sql) {
    if (pg()) {
      Status st = PostgresCluster::Exec(url_, sql::ToPostgres(sql, /*ddl=*/true));
      ASSERT_TRUE(st) << st.message;
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Durable().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  std::string name_, url_;
  PostgresCluster* cluster_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(Backends, StateStoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return info.param == Backend::kSqlite ? "SQLite" : "PostgreSQL"; });

TEST_P(StateStoreTest, LinksAreOneToOnePerSync) {
  auto s = Fresh();
  ASSERT_TRUE(s->PutLink({"people", "003A", "501", LinkState::kActive}));
  auto l = s->FindByHubSpot("people", "501");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->salesforce_id, "003A");
  EXPECT_FALSE(s->FindBySalesforce("leads", "003A"));  // per sync
  // a second Salesforce record cannot take the same HubSpot record
  EXPECT_FALSE(s->PutLink({"people", "003B", "501", LinkState::kActive}).ok);
  ASSERT_TRUE(s->SetLinkState("people", "003A", LinkState::kOutOfScope));
  EXPECT_EQ(s->FindBySalesforce("people", "003A")->state, LinkState::kOutOfScope);  // the link is kept
}

TEST_P(StateStoreTest, ShadowsMoveWithTheLinkOnLeadConversion) {
  auto s = Fresh();
  ASSERT_TRUE(s->PutLink({"leads", "00QA", "501", LinkState::kActive}));
  ASSERT_TRUE(s->PutShadow("leads", "00QA", {"Email", std::string("a@x.com"), std::string("a@x.com")}));
  ASSERT_TRUE(s->PutShadow("leads", "00QA", {"Phone", std::nullopt, std::string("")}));
  ASSERT_TRUE(s->MoveLink("leads", "00QA", "people", "003C"));
  EXPECT_FALSE(s->FindBySalesforce("leads", "00QA"));
  auto l = s->FindByHubSpot("people", "501");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->salesforce_id, "003C");
  auto sh = s->Shadows("people", "003C");
  ASSERT_EQ(sh.size(), 2u);
  EXPECT_EQ(sh[0].field, "Email");
  EXPECT_FALSE(sh[1].base_sf.has_value());  // null is kept distinct from ""
  EXPECT_EQ(*sh[1].base_hs, "");
  EXPECT_FALSE(s->MoveLink("leads", "00QA", "people", "003D").ok);  // nothing left to move
  ASSERT_TRUE(s->RemoveLink("people", "003C"));
  EXPECT_TRUE(s->Shadows("people", "003C").empty());
}

// A batch of pairs' shadows in one lookup answers as one Shadows call per pair would: the
// pairs with shadows (sorted by field), none for a pair without, of this sync only, across
// several statements' worth of ids (kInList) and with an id asked twice.
TEST_P(StateStoreTest, ShadowsOfABatchAreEachPairsShadows) {
  auto s = Fresh();
  std::vector<std::string> ids;
  for (size_t i = 0; i < StateStore::kInList + 30; ++i) {
    std::string id = "003" + std::to_string(1000 + i);
    ids.push_back(id);
    if (i % 3 == 0) continue;  // no shadows
    ASSERT_TRUE(s->PutShadow("people", id, {"Phone", std::to_string(i), std::nullopt}));
    ASSERT_TRUE(s->PutShadow("people", id, {"Email", std::string("a@x.com"), std::string("a@x.com")}));
  }
  ASSERT_TRUE(s->PutShadow("leads", ids[0], {"Email", std::string("other"), std::string("other")}));
  ids.push_back(ids[1]);
  auto got = s->ShadowsOf("people", ids);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size(), (StateStore::kInList + 30) - (StateStore::kInList + 30 + 2) / 3);
  for (const std::string& id : ids) {
    std::vector<Shadow> one = s->Shadows("people", id);
    auto it = got->find(id);
    ASSERT_EQ(it != got->end(), !one.empty()) << id;
    if (one.empty()) continue;
    ASSERT_EQ(it->second.size(), one.size());
    for (size_t k = 0; k < one.size(); ++k) {
      EXPECT_EQ(it->second[k].field, one[k].field);
      EXPECT_EQ(it->second[k].base_sf, one[k].base_sf);
      EXPECT_EQ(it->second[k].base_hs, one[k].base_hs);
    }
  }
  EXPECT_TRUE(s->ShadowsOf("people", {})->empty());
}

// Shadows stored as [layout id, value, ...] (migration 7) read back exactly (null apart from
// "", one text for both sides apart from two), in a later process too (the layouts from the
// store, not this one's memory), and a layout recorded in a transaction that was rolled back
// is recorded again by the next write that needs it (a row never names a layout that is gone).
TEST_P(StateStoreTest, ShadowLayoutsRoundTripAndSurviveARollback) {
  std::vector<Shadow> a = {{"Phone|phone", std::nullopt, std::string("")},
                           {"Email|email", std::string("A@x.com"), std::string("a@x.com")},
                           {"Title|jobtitle", std::string("CTO"), std::string("CTO")}};
  std::vector<Shadow> b = {{"City|city", std::string("Paris"), std::nullopt}};
  auto same = [](std::vector<Shadow> want, const std::vector<Shadow>& got) {
    std::sort(want.begin(), want.end(), [](const Shadow& x, const Shadow& y) { return x.field < y.field; });
    if (want.size() != got.size()) return false;
    for (size_t i = 0; i < want.size(); ++i)
      if (want[i].field != got[i].field || want[i].base_sf != got[i].base_sf || want[i].base_hs != got[i].base_hs)
        return false;
    return true;
  };
  {
    auto s = OpenOk(Durable());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(s->PutShadows("people", "003" + std::to_string(i), a));
    ASSERT_TRUE(s->Begin());
    ASSERT_TRUE(s->PutShadows("people", "003X", b));  // a new layout, then rolled back
    ASSERT_TRUE(s->Rollback());
    EXPECT_TRUE(s->Shadows("people", "003X").empty());
    ASSERT_TRUE(s->PutShadows("people", "003Y", b));
    EXPECT_TRUE(same(b, s->Shadows("people", "003Y")));
    EXPECT_TRUE(same(a, s->Shadows("people", "0037")));
  }
  auto s = OpenOk(Durable());
  EXPECT_TRUE(same(b, s->Shadows("people", "003Y")));
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(same(a, s->Shadows("people", "003" + std::to_string(i)))) << i;
  auto batch = s->ShadowsOf("people", {"0031", "003Y"});
  ASSERT_TRUE(batch);
  EXPECT_TRUE(same(a, (*batch)["0031"]));
  EXPECT_TRUE(same(b, (*batch)["003Y"]));
}

TEST_P(StateStoreTest, TransactionsRollBack) {
  auto s = Fresh();
  ASSERT_TRUE(s->Begin());
  ASSERT_TRUE(s->PutLink({"people", "003A", "501", LinkState::kActive}));
  ASSERT_TRUE(s->PutShadow("people", "003A", {"Email", std::string("a"), std::string("a")}));
  ASSERT_TRUE(s->Rollback());  // the target never acknowledged: nothing moved
  EXPECT_FALSE(s->FindBySalesforce("people", "003A"));
  EXPECT_TRUE(s->Shadows("people", "003A").empty());
}

TEST_P(StateStoreTest, CursorsIntentsTombstonesErrorsRuns) {
  auto s = Fresh();
  ASSERT_TRUE(s->PutCursor("salesforce", "Contact", {"2024-03-01T12:00:00.000Z", "003A"}));
  ASSERT_TRUE(s->PutCursor("salesforce", "Contact", {"2024-03-01T12:00:05.000Z", "003B"}));
  EXPECT_EQ(s->GetCursor("salesforce", "Contact")->last_id, "003B");
  EXPECT_FALSE(s->GetCursor("hubspot", "contacts"));

  ASSERT_TRUE(s->AddIntent("people", "hubspot", "003A"));
  ASSERT_TRUE(s->AddIntent("people", "hubspot", "003A"));  // idempotent
  EXPECT_EQ(s->Intents("people", "hubspot"), std::vector<std::string>{"003A"});
  ASSERT_TRUE(s->AddIntent("people", "hubspot", "003A", R"({"fields":{"lastname":"L"}})"));  // data replaced
  ASSERT_EQ(s->AllIntents("people").size(), 1u);
  EXPECT_EQ(s->AllIntents("people")[0].data, R"({"fields":{"lastname":"L"}})");
  EXPECT_EQ(s->AllIntents("people")[0].target_system, "hubspot");
  ASSERT_TRUE(s->RemoveIntent("people", "hubspot", "003A"));
  EXPECT_TRUE(s->Intents("people", "hubspot").empty());

  ASSERT_TRUE(s->AddTombstone("hubspot", "501"));
  EXPECT_TRUE(s->IsTombstoned("hubspot", "501"));
  EXPECT_FALSE(s->IsTombstoned("salesforce", "501"));

  SyncError e{0, "accounts", "PropertyValues", "rules.accord:12:3", "001A", "", "\"Mining\" has no entry", 0, true};
  ASSERT_TRUE(s->RecordError(e));
  ASSERT_TRUE(s->RecordError(e));
  auto errs = s->Errors("accounts");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].attempts, 2);
  EXPECT_TRUE(errs[0].permanent);
  EXPECT_EQ(errs[0].rule, "rules.accord:12:3");
  // linked: the entry logged with one id becomes the pair's; a same-category entry of the pair merges
  SyncError pair = e;
  pair.hubspot_id = "601";
  ASSERT_TRUE(s->RecordError(pair));
  ASSERT_TRUE(s->LinkErrors("accounts", "001A", "601"));
  errs = s->Errors("accounts");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].hubspot_id, "601");
  ASSERT_TRUE(s->ClearErrors("accounts", "001A", "601"));
  EXPECT_TRUE(s->Errors("accounts").empty());

  int64_t run = s->StartRun("run");
  ASSERT_GT(run, 0);
  ASSERT_TRUE(s->FinishRun(run, "ok", "{\"written\":3}"));
}

// The batched lookup answers what one IsTombstoned per id answers (the oracle), across
// batch boundaries, per system, with duplicates and ids that need JSON escaping.
TEST_P(StateStoreTest, TombstonedAnswersAsOneLookupPerId) {
  auto s = Fresh();
  std::vector<std::string> ids;
  for (int i = 0; i < 2 * static_cast<int>(StateStore::kKeyBatch) + 7; ++i) ids.push_back("id" + std::to_string(i));
  ids.push_back("quote\"back\\slash\x01");
  ids.push_back("id5");  // asked twice
  for (size_t i = 0; i < ids.size(); i += 333) ASSERT_TRUE(s->AddTombstone("hubspot", ids[i]));
  ASSERT_TRUE(s->AddTombstone("hubspot", ids[ids.size() - 2]));
  ASSERT_TRUE(s->AddTombstone("salesforce", "id1"));
  auto got = s->Tombstoned("hubspot", ids);
  ASSERT_TRUE(got) << got.status().message;
  size_t expected = 0;
  for (const std::string& id : std::set<std::string>(ids.begin(), ids.end())) {
    EXPECT_EQ(got->count(id) > 0, s->IsTombstoned("hubspot", id)) << id;
    expected += s->IsTombstoned("hubspot", id);
  }
  EXPECT_EQ(got->size(), expected);
  EXPECT_GE(expected, 3u);
  EXPECT_FALSE(got->count("id1"));  // another system's
  auto none = s->Tombstoned("hubspot", {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(StateStoreTest, NotesAreNotErrorsAndStayUntilCleared) {
  auto s = Fresh();
  SyncError e{0, "people", "PropertyValues", "", "003A", "501", "bad picklist value"};
  ASSERT_TRUE(s->RecordError(e));
  SyncError n{0, "people", "RecordTime", "", "003A", "501", "two_way decided by the record's time"};
  n.note = true;
  ASSERT_TRUE(s->RecordError(n));
  ASSERT_EQ(s->Errors("").size(), 1u) << "a note is not an error";
  ASSERT_EQ(s->Notes("people").size(), 1u);
  EXPECT_TRUE(s->Notes("people")[0].note);
  EXPECT_EQ(*s->Requeue(""), 1) << "nothing waits on a note";
  ASSERT_TRUE(s->ClearErrors("people", "003A", "501"));
  EXPECT_TRUE(s->Errors("").empty());
  EXPECT_EQ(s->Notes("").size(), 1u) << "the pair syncing cleanly does not clear a decision to review";
  EXPECT_EQ(s->ClearNotes(), 1);
  EXPECT_TRUE(s->Notes("").empty());
}

TEST_P(StateStoreTest, ChangesSeenAreKeptPerFieldAndSideAndLeaveWithTheirLink) {
  auto s = Fresh();
  ASSERT_TRUE(s->PutLink({"people", "003A", "501", LinkState::kActive}));
  ASSERT_TRUE(s->PutSeen({"people", "003A", "Title", 0, "Professor", "2026-01-01T10:00:00.000+0000"}));
  ASSERT_TRUE(s->PutSeen({"people", "003A", "Title", 1, std::nullopt, "2026-01-01T10:00:01.000Z"}));
  ASSERT_TRUE(s->PutSeen({"people", "003A", "Title", 0, "Dean", "2026-01-01T10:00:02.000+0000"}));  // replaces
  auto all = s->AllSeen("people");
  ASSERT_EQ(all.size(), 2u);
  for (const SeenChange& c : all) {
    if (c.side == 0)
      EXPECT_EQ(c.value, std::optional<std::string>("Dean"));
    else
      EXPECT_FALSE(c.value.has_value()) << "a blank is kept as null";
  }
  ASSERT_TRUE(s->DropSeen("people", "003A", "Title", 1));
  EXPECT_EQ(s->AllSeen("people").size(), 1u);
  ASSERT_TRUE(s->RemoveLink("people", "003A"));
  EXPECT_TRUE(s->AllSeen("people").empty());
}

TEST_P(StateStoreTest, PersistsAndReopensAtTheSameVersion) {
  auto missing = StateStore::Exists(Durable());
  ASSERT_TRUE(missing) << missing.status().message;
  EXPECT_FALSE(*missing);
  {
    auto s = OpenOk(Durable());
    ASSERT_TRUE(s->PutLink({"people", "003A", "501", LinkState::kActive}));
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    EXPECT_EQ(s->postgresql(), pg());
  }
  EXPECT_TRUE(*StateStore::Exists(Durable()));
  {
    auto s = OpenOk(Durable());
    EXPECT_TRUE(s->FindBySalesforce("people", "003A"));
  }
}

// A store written by schema version 1 (a shadow row per field) is migrated:
// its shadows come back from the per-pair rows (on PostgreSQL with its JSON functions).
TEST_P(StateStoreTest, AVersionOneFileIsMigrated) {
  Raw(R"sql(
CREATE TABLE accord_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO accord_meta VALUES ('schema_version', '1');
CREATE TABLE links (sync TEXT NOT NULL, salesforce_id TEXT NOT NULL, hubspot_id TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'active', updated_at INTEGER NOT NULL, PRIMARY KEY (sync, salesforce_id),
  UNIQUE (sync, hubspot_id));
CREATE TABLE shadows (sync TEXT NOT NULL, salesforce_id TEXT NOT NULL, field TEXT NOT NULL, base_sf TEXT,
  base_hs TEXT, PRIMARY KEY (sync, salesforce_id, field));
CREATE TABLE cursors (system TEXT NOT NULL, object TEXT NOT NULL, modstamp TEXT NOT NULL, last_id TEXT NOT NULL,
  PRIMARY KEY (system, object));
CREATE TABLE create_intents (sync TEXT NOT NULL, target_system TEXT NOT NULL, source_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, PRIMARY KEY (sync, target_system, source_id));
CREATE TABLE tombstones (system TEXT NOT NULL, record_id TEXT NOT NULL, deleted_at INTEGER NOT NULL,
  PRIMARY KEY (system, record_id));
CREATE TABLE sync_errors (id INTEGER PRIMARY KEY, sync TEXT NOT NULL, category TEXT NOT NULL, rule TEXT NOT NULL,
  salesforce_id TEXT NOT NULL, hubspot_id TEXT NOT NULL, message TEXT NOT NULL, attempts INTEGER NOT NULL,
  permanent INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  UNIQUE (sync, category, salesforce_id, hubspot_id));
CREATE TABLE runs (id INTEGER PRIMARY KEY, command TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER,
  status TEXT, stats TEXT);
INSERT INTO links VALUES ('people', '003A', '501', 'active', 0);
INSERT INTO shadows VALUES ('people', '003A', 'Email|email', 'a@x.com', 'a@x.com');
INSERT INTO shadows VALUES ('people', '003A', 'Phone|phone', NULL, '');
)sql");
  auto s = OpenOk(Durable());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), kSchemaVersion);
  auto sh = s->Shadows("people", "003A");
  ASSERT_EQ(sh.size(), 2u);
  EXPECT_EQ(sh[0].field, "Email|email");
  EXPECT_EQ(sh[0].base_sf, std::optional<std::string>("a@x.com"));
  EXPECT_EQ(sh[1].field, "Phone|phone");
  EXPECT_EQ(sh[1].base_sf, std::nullopt);                    // null stays null
  EXPECT_EQ(sh[1].base_hs, std::optional<std::string>(""));  // and "" stays ""
  EXPECT_TRUE(s->FindBySalesforce("people", "003A"));
  // and it has the newer tables, empty (version 6: the write history)
  EXPECT_EQ(s->HistoryRows(), 0);
  StateStore::HistoryEntry h;
  h.sync = "people", h.salesforce_id = "003A", h.hubspot_id = "501", h.field = "email";
  EXPECT_TRUE(s->AddHistory(h));
  EXPECT_EQ(s->HistoryRows(), 1);
}

// ---- operations (issue 19) ----

TEST_P(StateStoreTest, TheWriteHistoryIsReadPerRecordOldestFirstAndPrunedByAgeAndCount) {
  auto s = Fresh();
  auto add = [&](int64_t at, const std::string& sf, const std::string& hs, const std::string& field,
                 std::optional<std::string> old_value, std::optional<std::string> new_value) {
    StateStore::HistoryEntry h;
    h.run = at / 10;
    h.at = at;
    h.sync = "people";
    h.salesforce_id = sf;
    h.hubspot_id = hs;
    h.target = "hubspot.contacts";
    h.kind = "update";
    h.field = field;
    h.old_value = std::move(old_value);
    h.new_value = std::move(new_value);
    h.rule = "rules.accord:3:3";
    h.policy = "two_way: only salesforce changed";
    ASSERT_TRUE(s->AddHistory(h));
  };
  add(100, "003A", "501", "jobtitle", std::nullopt, "CTO");
  add(200, "003B", "502", "jobtitle", "x", "y");
  add(300, "003A", "501", "jobtitle", "CTO", "");  // null and "" stay apart
  add(400, "003A", "501", "city", "Rome", std::nullopt);
  auto rows = s->History("salesforce", "003A", 10);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].at, 100);
  EXPECT_EQ(rows[0].old_value, std::nullopt);
  EXPECT_EQ(rows[1].new_value, std::optional<std::string>(""));
  EXPECT_EQ(rows[2].field, "city");
  EXPECT_EQ(rows[2].new_value, std::nullopt);
  EXPECT_EQ(rows[2].rule, "rules.accord:3:3");
  EXPECT_EQ(s->History("hubspot", "501", 10).size(), 3u);
  ASSERT_EQ(s->History("salesforce", "003A", 2).size(), 2u);  // the newest two, oldest first
  EXPECT_EQ(s->History("salesforce", "003A", 2)[0].at, 300);
  // by age: rows before 150 go; by count: the newest two stay
  auto gone = s->PruneHistory(150, 1000);
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1);
  gone = s->PruneHistory(0, 2);
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1);
  EXPECT_EQ(s->HistoryRows(), 2);
  EXPECT_EQ(s->History("salesforce", "003A", 10).front().at, 300);
  EXPECT_TRUE(s->PruneHistory(0, 0));  // keep none
  EXPECT_EQ(s->HistoryRows(), 0);
}

TEST_P(StateStoreTest, RunsLinksByIdAndOneEntryRequeued) {
  auto s = Fresh();
  int64_t a = s->StartRun("pass");
  ASSERT_TRUE(s->FinishRun(a, "ok", "{\"created\":1}"));
  int64_t b = s->StartRun("pass");
  auto runs = s->Runs(10);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, b);  // newest first
  EXPECT_EQ(runs[0].finished_at, 0);
  EXPECT_EQ(runs[1].stats, "{\"created\":1}");
  EXPECT_EQ(runs[1].status, "ok");
  ASSERT_TRUE(s->PutLink({"people", "003A", "501", LinkState::kActive}));
  ASSERT_TRUE(s->PutLink({"leads", "00QA", "501", LinkState::kOutOfScope}));
  auto links = s->LinksOf("hubspot", "501");
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].sync, "leads");
  EXPECT_EQ(links[0].state, LinkState::kOutOfScope);
  EXPECT_EQ(s->LinksOf("salesforce", "003A").size(), 1u);
  EXPECT_TRUE(s->LinksOf("salesforce", "nope").empty());
  SyncError e{0, "people", "PropertyValues", "", "003A", "501", "bad"};
  e.permanent = true;
  ASSERT_TRUE(s->RecordError(e));
  e.salesforce_id = "003B";
  ASSERT_TRUE(s->RecordError(e));
  auto errors = s->Errors("");
  ASSERT_EQ(errors.size(), 2u);
  ASSERT_TRUE(s->RequeueEntry(errors[0].id));
  errors = s->Errors("");
  EXPECT_FALSE(errors[0].permanent);
  EXPECT_EQ(errors[0].retry_at, 0);
  EXPECT_TRUE(errors[1].permanent);  // only that one
}

TEST_P(StateStoreTest, ANewerFileIsAClearError) {
  { OpenOk(Durable()); }
  Raw("UPDATE accord_meta SET value = '99' WHERE key = 'schema_version'");
  Status st;
  auto s = StateStore::Open(Durable(), &st);
  EXPECT_FALSE(s);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("newer Accord (schema version 99"), std::string::npos) << st.message;
}

// One writer at a time, and the lock goes with its store.
TEST_P(StateStoreTest, OneWriterAtATime) {
  auto a = OpenOk(Durable());
  auto b = OpenOk(Durable());
  ASSERT_TRUE(a->LockExclusive());
  Status st = b->LockExclusive();
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("another accord process"), std::string::npos) << st.message;
  a.reset();
  EXPECT_TRUE(b->LockExclusive());
}

// Workers that start together migrate the same empty store once between them.
TEST_P(StateStoreTest, ConcurrentOpensMigrateOnce) {
  std::vector<std::thread> threads;
  std::vector<Status> got(4);
  for (Status& st : got)
    threads.emplace_back([&st, location = Durable()] {
      auto s = StateStore::Open(location, &st);
      if (s && s->schema_version() != kSchemaVersion) st = Status::Error("wrong version");
    });
  for (auto& t : threads) t.join();
  for (const Status& st : got) EXPECT_TRUE(st.ok) << st.message;
}

// Bytes a backend cannot hold are an error from the store, never a crash or a silent change.
TEST_P(StateStoreTest, TextABackendCannotHoldIsAnError) {
  auto s = Fresh();
  for (std::string id : {std::string("nul\0byte", 8), std::string("\xff\xfe")}) {
    Status st = s->PutLink({"people", id, "501" + id, LinkState::kActive});
    if (!st.ok) continue;  // PostgreSQL refuses both; SQLite keeps them as given
    auto back = s->FindBySalesforce("people", id);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->hubspot_id, "501" + id);
  }
  EXPECT_TRUE(s->PutLink({"people", "003A", "501", LinkState::kActive})) << "the store still works";
}

// accord serve: one holder per project; the token grows when the holder changes, never on a renewal.
TEST_P(StateStoreTest, LeasesGoToOneHolderAtATime) {
  auto s = Fresh();
  auto a = s->AcquireLease("acme", "host-a:1", 60000);
  ASSERT_TRUE(a) << a.status().message;
  EXPECT_EQ(*a, 1);
  auto b = s->AcquireLease("acme", "host-b:2", 60000);
  ASSERT_FALSE(b);
  EXPECT_NE(b.status().message.find("held by host-a:1"), std::string::npos) << b.status().message;
  EXPECT_EQ(*s->AcquireLease("acme", "host-a:1", 60000), 1) << "a renewal keeps the token";
  EXPECT_EQ(*s->AcquireLease("globex", "host-b:2", 60000), 1) << "leases are per project";
  ASSERT_TRUE(s->ReleaseLease("acme", "host-a:1"));
  EXPECT_EQ(*s->AcquireLease("acme", "host-b:2", 60000), 2);
  EXPECT_FALSE(s->AcquireLease("acme", "host-a:1", 60000));
  EXPECT_EQ(s->GetLease("acme")->holder, "host-b:2");
  // an expired lease is taken over without its holder's consent
  ASSERT_TRUE(s->AcquireLease("initech", "host-a:1", 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(*s->AcquireLease("initech", "host-b:2", 60000), 2);
}

// A worker whose lease was taken over never commits again, whatever it wrote since, and
// its write-ahead records say which token they were written under.
TEST_P(StateStoreTest, AFencedWorkerThatLostItsLeaseCommitsNothing) {
  auto a = OpenOk(Durable());
  auto b = OpenOk(Durable());
  auto token = a->AcquireLease("acme", "host-a:1", 1);
  ASSERT_TRUE(token);
  a->Fence("acme", *token);
  ASSERT_TRUE(a->Begin());
  ASSERT_TRUE(a->AddIntent("people", "hubspot", "003A", "{}"));
  ASSERT_TRUE(a->PutLink({"people", "003A", "501", LinkState::kActive}));
  ASSERT_TRUE(a->Commit()) << "still the holder";
  ASSERT_EQ(b->AllIntents("people").size(), 1u);
  EXPECT_EQ(b->AllIntents("people")[0].fence, *token);

  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a's lease expires; b takes over
  auto taken = b->AcquireLease("acme", "host-b:2", 60000);
  ASSERT_TRUE(taken) << taken.status().message;
  EXPECT_GT(*taken, *token);
  b->Fence("acme", *taken);

  ASSERT_TRUE(a->Begin());
  ASSERT_TRUE(a->PutLink({"people", "003B", "502", LinkState::kActive}));
  ASSERT_TRUE(a->PutPending("people", "003A", "hubspot", "{}"));
  Status st = a->Commit();
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("lost the lease of acme"), std::string::npos) << st.message;
  EXPECT_FALSE(b->FindBySalesforce("people", "003B")) << "nothing of the lost transaction is kept";
  EXPECT_TRUE(b->Pending("people").empty());

  ASSERT_TRUE(b->Begin());
  ASSERT_TRUE(b->PutPending("people", "003A", "hubspot", "{}"));
  ASSERT_TRUE(b->Commit()) << "the new holder commits";
  ASSERT_EQ(a->Pending("people").size(), 1u);
  EXPECT_EQ(a->Pending("people")[0].fence, *taken);
}

// Workers racing for one project with short leases: a commit under token t never lands after
// one under a larger token (each transaction reads the largest token committed so far; when
// it is larger than its own, the lease had moved on before it, and its commit must fail).
TEST_P(StateStoreTest, RacingWorkersNeverCommitUnderAnOldToken) {
  { OpenOk(Durable()); }  // migrated once, before the race
  std::atomic<int> commits{0}, refused{0}, stale_commits{0};
  std::vector<std::string> failures;
  std::mutex mu;
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w)
    workers.emplace_back([&, w, location = Durable()] {
      Status st;
      auto s = StateStore::Open(location, &st);
      if (!s) {
        std::lock_guard<std::mutex> l(mu);
        failures.push_back(st.message);
        return;
      }
      std::string me = "worker-" + std::to_string(w);
      auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
      while (std::chrono::steady_clock::now() < deadline) {
        auto token = s->AcquireLease("acme", me, 15);
        if (!token) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          continue;
        }
        s->Fence("acme", *token);
        for (int i = 0; i < 5; ++i) {
          if (!s->Begin()) break;
          int64_t seen = std::stoll(s->GetMeta("max_token").value_or("0"));
          (void)s->PutMeta("max_token", std::to_string(std::max(seen, *token)));  // checked by the commit
          (void)s->PutLink({"people", me + "-" + std::to_string(i), me + "-" + std::to_string(i), LinkState::kActive});
          std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a takeover may commit meanwhile
          if (s->Commit()) {
            ++commits;
            if (seen > *token) ++stale_commits;
          } else {
            ++refused;
            break;
          }
          // outside a transaction (SQLite lets no one else write during one): the lease may expire
          std::this_thread::sleep_for(std::chrono::milliseconds(3 * (w + 1)));
        }
      }
    });
  for (auto& t : workers) t.join();
  for (const std::string& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(stale_commits.load(), 0);
  EXPECT_GT(commits.load(), 10);
  EXPECT_GT(refused.load(), 0) << "the leases never changed hands during a transaction: the race did not happen";
}

// A server restart between transactions (PostgreSQL: every session cut) costs nothing: the
// next transaction reconnects, prepares its statements again and takes the writer's lock again.
TEST_P(StateStoreTest, AServerRestartBetweenTransactionsIsSurvived) {
  auto a = OpenOk(Durable());
  ASSERT_TRUE(a->LockExclusive());
  ASSERT_TRUE(a->PutLink({"people", "003A", "501", LinkState::kActive}));
  EXPECT_TRUE(a->FindBySalesforce("people", "003A"));  // its statements prepared
  if (pg()) ASSERT_TRUE(cluster_->Restart());
  ASSERT_TRUE(a->Begin());
  ASSERT_TRUE(a->PutLink({"people", "003B", "502", LinkState::kActive}));
  EXPECT_TRUE(a->FindBySalesforce("people", "003A"));
  ASSERT_TRUE(a->Commit());
  auto b = OpenOk(Durable());
  EXPECT_TRUE(b->FindBySalesforce("people", "003B"));
  EXPECT_FALSE(b->LockExclusive()) << "the writer's lock is held again";
  if (!pg()) return;
  // another process takes the lock while the session is gone: no transaction runs without it
  ASSERT_TRUE(cluster_->Restart());
  b.reset();
  auto c = OpenOk(Durable());
  ASSERT_TRUE(c->LockExclusive());
  Status st = a->Begin();
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("another accord process"), std::string::npos) << st.message;
  EXPECT_FALSE(a->Begin()) << "nor the one after";
  c.reset();
  EXPECT_TRUE(a->Begin()) << "free again";
  EXPECT_TRUE(a->Rollback());
}

// accord serve: workers starting together each create the schemas they use (the
// coordination's, each project's) and migrate them: every one succeeds, once.
TEST_P(StateStoreTest, WorkersStartingTogetherCreateAndMigrateTheSchemasOnce) {
  if (!pg()) GTEST_SKIP() << "schemas are PostgreSQL's";
  const std::string schema = "t_race_" + std::to_string(getpid());
  std::vector<std::thread> threads;
  std::vector<Status> got(6);
  for (Status& st : got)
    threads.emplace_back([&st, &schema, base = cluster_->url()] {
      st = StateStore::CreateSchema(base, schema);
      if (!st) return;
      auto s = StateStore::Open(StateStore::InSchema(base, schema), &st);
      if (s && s->schema_version() != kSchemaVersion) st = Status::Error("wrong version");
    });
  for (auto& t : threads) t.join();
  for (const Status& st : got) EXPECT_TRUE(st.ok) << st.message;
  EXPECT_TRUE(PostgresCluster::Exec(cluster_->url(), "DROP SCHEMA " + schema + " CASCADE"));
}

// The record key index (issue 15's match index) on both backends: keys by id, ids by key
// (several records may share a key), an update moves a record to its new key, a drop
// removes it, and lists longer than one statement's kInList are answered in full.
TEST_P(StateStoreTest, RecordKeysAreFoundByIdAndByKey) {
  auto s = Fresh();
  ASSERT_TRUE(s->PrepareRecordKeys());
  ASSERT_TRUE(s->PrepareRecordKeys()) << "every pass prepares it again";
  ASSERT_TRUE(s->PutRecordKey("hs.email", "501", "ada@example.com"));
  ASSERT_TRUE(s->PutRecordKey("hs.email", "502", "ada@example.com"));
  ASSERT_TRUE(s->PutRecordKey("hs.email", "503", "bob@example.com"));
  ASSERT_TRUE(s->PutRecordKey("sf.email", "501", "other-kind@example.com"));
  auto keys = s->KeysOf("hs.email", {"501", "503", "999"});
  ASSERT_TRUE(keys) << keys.status().message;
  EXPECT_EQ(*keys,
            (std::unordered_map<std::string, std::string>{{"501", "ada@example.com"}, {"503", "bob@example.com"}}));
  auto by_key = s->RecordsByKey("hs.email", {"ada@example.com", "nobody@example.com"});
  ASSERT_TRUE(by_key) << by_key.status().message;
  std::set<std::pair<std::string, std::string>> got(by_key->begin(), by_key->end());
  EXPECT_EQ(got,
            (std::set<std::pair<std::string, std::string>>{{"ada@example.com", "501"}, {"ada@example.com", "502"}}));
  ASSERT_TRUE(s->PutRecordKey("hs.email", "502", "ada.l@example.com"));  // the record's key changed
  ASSERT_TRUE(s->DropRecordKey("hs.email", "501"));
  by_key = s->RecordsByKey("hs.email", {"ada@example.com", "ada.l@example.com"});
  ASSERT_TRUE(by_key);
  got = {by_key->begin(), by_key->end()};
  EXPECT_EQ(got, (std::set<std::pair<std::string, std::string>>{{"ada.l@example.com", "502"}}));
  // more ids than one statement binds; bytewise keys (case and accents kept apart)
  std::vector<std::string> ids;
  ASSERT_TRUE(s->Begin());
  for (int i = 0; i < 250; ++i) {
    ids.push_back("r" + std::to_string(i));
    ASSERT_TRUE(s->PutRecordKey("many", ids.back(), i % 2 ? "K\xc3\xa9y" : "key"));
  }
  ASSERT_TRUE(s->Commit());
  keys = s->KeysOf("many", ids);
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 250u);
  by_key = s->RecordsByKey("many", {"K\xc3\xa9y"});
  ASSERT_TRUE(by_key);
  EXPECT_EQ(by_key->size(), 125u);
  by_key = s->RecordsByKey("many", {"k\xc3\xa9y"});
  ASSERT_TRUE(by_key);
  EXPECT_TRUE(by_key->empty()) << "keys compare bytewise";
}

// accord serve's queue: events wait per project in order; a claim locks them until its
// transaction ends, a rollback gives them back, DropEvents removes them. On PostgreSQL a
// second worker's claim skips the rows another's transaction holds instead of waiting.
TEST_P(StateStoreTest, QueuedEventsAreClaimedOnceAndGivenBackOnRollback) {
  auto a = OpenOk(Durable());
  ASSERT_TRUE(a->Enqueue("acme", R"({"n":1})"));
  ASSERT_TRUE(a->Enqueue("globex", R"({"n":2})"));
  ASSERT_TRUE(a->Enqueue("acme", R"({"n":3})"));
  EXPECT_EQ(a->QueuedEvents("acme"), 2);
  ASSERT_TRUE(a->Begin());
  auto claimed = a->ClaimEvents("acme", 10);
  ASSERT_TRUE(claimed) << claimed.status().message;
  ASSERT_EQ(claimed->size(), 2u);
  EXPECT_EQ((*claimed)[0].event, R"({"n":1})");
  EXPECT_EQ((*claimed)[1].event, R"({"n":3})");
  if (pg()) {
    auto b = OpenOk(Durable());
    ASSERT_TRUE(b->Begin());
    auto other = b->ClaimEvents("acme", 10);
    ASSERT_TRUE(other) << other.status().message;
    EXPECT_TRUE(other->empty()) << "locked rows are skipped, not waited for";
    ASSERT_TRUE(b->Enqueue("acme", R"({"n":4})")) << "a worker queues while another claims";
    ASSERT_TRUE(b->Commit());
  }
  ASSERT_TRUE(a->Rollback());  // the pass failed: the events wait for the next one
  ASSERT_TRUE(a->Begin());
  claimed = a->ClaimEvents("acme", 2);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 2u);
  ASSERT_TRUE(a->DropEvents({(*claimed)[0].id, (*claimed)[1].id}));
  ASSERT_TRUE(a->Commit());
  EXPECT_EQ(a->QueuedEvents("acme"), pg() ? 1 : 0);
  EXPECT_EQ(a->QueuedEvents("globex"), 1);
}

// The API calls of a project add up across workers (one counter per project, system and
// day), and the next pass's time stays with the lease when another worker takes it over.
TEST_P(StateStoreTest, ApiCallsAndThePaceAreSharedByTheWorkers) {
  auto a = OpenOk(Durable());
  auto b = OpenOk(Durable());
  ASSERT_TRUE(a->AddCalls("acme", "hubspot", 20000, 30));
  ASSERT_TRUE(b->AddCalls("acme", "hubspot", 20000, 12));
  ASSERT_TRUE(b->AddCalls("acme", "hubspot", 20001, 5));
  ASSERT_TRUE(b->AddCalls("acme", "salesforce", 20000, 7));
  EXPECT_EQ(a->Calls("acme", "hubspot", 20000), 42);
  EXPECT_EQ(a->Calls("acme", "hubspot", 20001), 5);
  EXPECT_EQ(a->Calls("acme", "salesforce", 20000), 7);
  EXPECT_EQ(a->Calls("globex", "hubspot", 20000), 0);
  ASSERT_TRUE(a->AcquireLease("acme", "host-a:1", 1));
  ASSERT_TRUE(a->SetNextPass("acme", 123456789));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(b->AcquireLease("acme", "host-b:2", 60000));
  EXPECT_EQ(b->NextPass("acme"), 123456789);
  EXPECT_EQ(b->NextPass("globex"), 0);
  auto leases = b->Leases();
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].first, "acme");
  EXPECT_EQ(leases[0].second.holder, "host-b:2");
}

// The write history says which lease wrote each row (its fencing token).
TEST_P(StateStoreTest, TheWriteHistoryKeepsTheFencingToken) {
  auto s = OpenOk(Durable());
  auto token = s->AcquireLease("acme", "host-a:1", 60000);
  ASSERT_TRUE(token);
  StateStore::HistoryEntry h;
  h.salesforce_id = "003A";
  h.hubspot_id = "501";
  h.field = "email";
  ASSERT_TRUE(s->AddHistory(h));
  s->Fence("acme", *token);
  ASSERT_TRUE(s->Begin());
  ASSERT_TRUE(s->AddHistory(h));
  ASSERT_TRUE(s->Commit());
  auto rows = s->History("salesforce", "003A", 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fence, 0);
  EXPECT_EQ(rows[1].fence, *token);
}

TEST(StateStore, GarbageFileIsAClearErrorNotACrash) {
  std::string path = TempPath("garbage");
  {
    std::ofstream f(path, std::ios::binary);
    f << std::string(8192, 'x');
  }
  Status st;
  auto s = StateStore::Open(path, &st);
  EXPECT_FALSE(s);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find(path), std::string::npos) << st.message;
  std::remove(path.c_str());
}

// A server that does not answer is one line that names it, without the password.
TEST(StateStore, AnUnreachableServerIsOneLineWithoutThePassword) {
  for (std::string url :
       {"postgresql://accord:s3cr%21t@127.0.0.1:1/state", "postgres://accord@127.0.0.1:1/state?password=s3cr%21t"}) {
    Status st;
    auto s = StateStore::Open(url, &st);
    EXPECT_FALSE(s);
    EXPECT_FALSE(st.ok);
    EXPECT_EQ(st.message.find("s3cr"), std::string::npos) << st.message;
    EXPECT_EQ(st.message.find('\n'), std::string::npos) << st.message;
    EXPECT_NE(st.message.find("127.0.0.1:1"), std::string::npos) << st.message;
    auto exists = StateStore::Exists(url);
    EXPECT_FALSE(exists);
    EXPECT_EQ(exists.status().message.find("s3cr"), std::string::npos);
  }
}

TEST(StateStore, LocationsArePrintedWithoutTheirPassword) {
  EXPECT_EQ(RedactLocation("state.db"), "state.db");
  EXPECT_EQ(RedactLocation("postgresql://u@h:5432/db"), "postgresql://u@h:5432/db");
  EXPECT_EQ(RedactLocation("postgresql://u:pw@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(RedactLocation("postgres://u:p@w@h/db"), "postgres://u:***@h/db");
  EXPECT_EQ(RedactLocation("postgresql://h/db?sslmode=require&password=pw&x=1"),
            "postgresql://h/db?sslmode=require&password=***&x=1");
  EXPECT_EQ(RedactLocation("postgresql://h/db?password=pw"), "postgresql://h/db?password=***");
  EXPECT_TRUE(IsPostgresLocation("postgres://h/db"));
  EXPECT_FALSE(IsPostgresLocation("./postgresql.db"));
}

// The few spellings sql.h lists, and nothing else.
TEST(StateStore, PostgresSpellings) {
  EXPECT_EQ(sql::ToPostgres("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d = ?12", false),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d = $12");
  EXPECT_EQ(sql::ToPostgres("SELECT t.x FROM json_each(?2) AS k JOIN t ON t.x = k.value", false),
            "SELECT t.x FROM json_array_elements_text($2::json) AS k(value) JOIN t ON t.x = k.value");
  EXPECT_EQ(sql::ToPostgres("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, s TEXT) WITHOUT ROWID;", true),
            "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL, s TEXT COLLATE "
            "\"C\");");
  EXPECT_EQ(sql::ToPostgres("SELECT CAST(a AS INTEGER), 'TEXT' FROM texts", false),
            "SELECT CAST(a AS INTEGER), 'TEXT' FROM texts");
}

}  // namespace
}  // namespace accord::store
