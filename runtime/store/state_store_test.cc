#include "runtime/store/state_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

namespace accord::store {
namespace {

std::string TempPath(const char* name) {
  return (testing::TempDir() + "accord_store_" + std::to_string(getpid()) + "_" + name + ".db");
}

std::unique_ptr<StateStore> OpenOk(const std::string& path) {
  Status st;
  auto s = StateStore::Open(path, &st);
  EXPECT_TRUE(st.ok) << st.message;
  return s;
}

TEST(StateStore, LinksAreOneToOnePerSync) {
  auto s = OpenOk(":memory:");
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

TEST(StateStore, ShadowsMoveWithTheLinkOnLeadConversion) {
  auto s = OpenOk(":memory:");
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

TEST(StateStore, TransactionsRollBack) {
  auto s = OpenOk(":memory:");
  ASSERT_TRUE(s->Begin());
  ASSERT_TRUE(s->PutLink({"people", "003A", "501", LinkState::kActive}));
  ASSERT_TRUE(s->PutShadow("people", "003A", {"Email", std::string("a"), std::string("a")}));
  ASSERT_TRUE(s->Rollback());  // the target never acknowledged: nothing moved
  EXPECT_FALSE(s->FindBySalesforce("people", "003A"));
  EXPECT_TRUE(s->Shadows("people", "003A").empty());
}

TEST(StateStore, CursorsIntentsTombstonesErrorsRuns) {
  auto s = OpenOk(":memory:");
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
TEST(StateStore, TombstonedAnswersAsOneLookupPerId) {
  auto s = OpenOk(":memory:");
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

TEST(StateStore, NotesAreNotErrorsAndStayUntilCleared) {
  auto s = OpenOk(":memory:");
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

TEST(StateStore, ChangesSeenAreKeptPerFieldAndSideAndLeaveWithTheirLink) {
  auto s = OpenOk(":memory:");
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

TEST(StateStore, PersistsAndReopensAtTheSameVersion) {
  std::string path = TempPath("persist");
  std::remove(path.c_str());
  {
    auto s = OpenOk(path);
    ASSERT_TRUE(s->PutLink({"people", "003A", "501", LinkState::kActive}));
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
  }
  {
    auto s = OpenOk(path);
    EXPECT_TRUE(s->FindBySalesforce("people", "003A"));
  }
  std::remove(path.c_str());
}

// A file written by schema version 1 (a shadow row per field) is migrated:
// its shadows come back from the per-pair rows.
TEST(StateStore, AVersionOneFileIsMigrated) {
  std::string path = TempPath("v1");
  std::remove(path.c_str());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* v1 = R"sql(
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
)sql";
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  {
    auto s = OpenOk(path);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    auto sh = s->Shadows("people", "003A");
    ASSERT_EQ(sh.size(), 2u);
    EXPECT_EQ(sh[0].field, "Email|email");
    EXPECT_EQ(sh[0].base_sf, std::optional<std::string>("a@x.com"));
    EXPECT_EQ(sh[1].field, "Phone|phone");
    EXPECT_EQ(sh[1].base_sf, std::nullopt);                    // null stays null
    EXPECT_EQ(sh[1].base_hs, std::optional<std::string>(""));  // and "" stays ""
    EXPECT_TRUE(s->FindBySalesforce("people", "003A"));
    // and it has the newer tables, empty (version 5: the write history)
    EXPECT_EQ(s->HistoryRows(), 0);
    StateStore::HistoryEntry h;
    h.sync = "people", h.salesforce_id = "003A", h.hubspot_id = "501", h.field = "email";
    EXPECT_TRUE(s->AddHistory(h));
    EXPECT_EQ(s->HistoryRows(), 1);
  }
  std::remove(path.c_str());
}

// ---- operations (issue 19) ----

TEST(StateStore, TheWriteHistoryIsReadPerRecordOldestFirstAndPrunedByAgeAndCount) {
  auto s = OpenOk(":memory:");
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

TEST(StateStore, RunsLinksByIdAndOneEntryRequeued) {
  auto s = OpenOk(":memory:");
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

TEST(StateStore, ANewerFileIsAClearError) {
  std::string path = TempPath("newer");
  std::remove(path.c_str());
  { OpenOk(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "UPDATE accord_meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  Status st;
  auto s = StateStore::Open(path, &st);
  EXPECT_FALSE(s);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.message.find("newer Accord (schema version 99"), std::string::npos) << st.message;
  std::remove(path.c_str());
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

}  // namespace
}  // namespace accord::store
