#include "runtime/store/state_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

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
  ASSERT_TRUE(s->ClearErrors("accounts", "001A", ""));
  EXPECT_TRUE(s->Errors("accounts").empty());

  int64_t run = s->StartRun("run");
  ASSERT_GT(run, 0);
  ASSERT_TRUE(s->FinishRun(run, "ok", "{\"written\":3}"));
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

TEST(StateStore, ANewerFileIsAClearError) {
  std::string path = TempPath("newer");
  std::remove(path.c_str());
  { OpenOk(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE accord_meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr, nullptr),
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
