// The sync engine over in-memory jsonl connectors and a real (in-memory)
// SQLite store: reliability properties (echo, ping-pong, every conflict
// policy x blank policy, bad data, deletes and tombstones, merges).
#include "runtime/sync/engine.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "compiler/driver/driver.h"
#include "runtime/connectors/jsonl_connector.h"
#include "runtime/sync/test_runner.h"

namespace accord::sync {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using schema::System;

const std::string kSchemas = std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot/schemas";

// One rule set, two in-memory systems and a store.
struct Harness {
  std::string dir;
  driver::RuleSet set;
  ir::CompiledRules rules;
  std::unique_ptr<store::StateStore> store;
  JsonlConnector sf{System::kSalesforce, ""}, hs{System::kHubSpot, ""};
  std::unique_ptr<Engine> engine;
  int64_t clock = 0;

  explicit Harness(const std::string& rules_text, const std::string& schemas = kSchemas) {
    char tmpl[] = "/tmp/accord-engine-test-XXXXXX";
    dir = mkdtemp(tmpl);
    std::ofstream(dir + "/rules.accord") << "schema salesforce \"" << schemas << "/salesforce\"\n"
                                         << "schema hubspot \"" << schemas << "/hubspot\"\n"
                                         << rules_text;
    DiagSink sink(100);
    std::string io;
    EXPECT_TRUE(driver::LoadAndCheck({dir}, driver::Options{}, set, sink, &io)) << io;
    for (const auto& d : sink.diagnostics())
      if (d.severity == Severity::kError) ADD_FAILURE() << d.message;
    rules = ir::LowerRules(set.model);
    store::Status st;
    store = store::StateStore::Open(":memory:", &st);
    EXPECT_TRUE(store) << st.message;
    engine = std::make_unique<Engine>(ViewOf(set, rules), jit::EngineKind::kInterp, *store, sf, hs);
  }
  ~Harness() { fs::remove_all(dir); }

  const schema::Object& Obj(System s, const char* name) { return *set.schemas.Find(s, name); }
  // the systems' clocks: now, one second more per edit
  std::string Stamp() {
    static const int64_t start =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return IsoMillis(start + 1000 * ++clock);
  }

  void PutContact(const std::string& id, json fields) {
    fields["Id"] = id;
    fields["SystemModstamp"] = Stamp();
    if (!fields.contains("IsDeleted")) fields["IsDeleted"] = false;
    sf.Put(Obj(System::kSalesforce, "Contact"), fields);
  }
  void EditContact(const std::string& id, const json& changes) {
    json j = *sf.Get("Contact", id);
    for (auto& [k, v] : changes.items()) j[k] = v;
    j["SystemModstamp"] = Stamp();
    sf.Put(Obj(System::kSalesforce, "Contact"), j);
  }
  void PutHs(const std::string& id, json props) {
    props["lastmodifieddate"] = Stamp();
    hs.Put(Obj(System::kHubSpot, "contacts"), json{{"id", id}, {"properties", props}, {"archived", false}});
  }
  void EditHs(const std::string& id, const json& changes) {
    json j = *hs.Get("contacts", id);
    for (auto& [k, v] : changes.items()) j["properties"][k] = v;
    j["properties"]["lastmodifieddate"] = Stamp();
    hs.Put(Obj(System::kHubSpot, "contacts"), j);
  }
  PassReport Pass() {
    PassReport r = engine->RunPass(PassOptions{});
    EXPECT_TRUE(r.ok) << r.failure;
    return r;
  }
  static int64_t Writes(const PassReport& r) {
    SyncStats t = r.Total();
    return t.created + t.updated + t.deleted;
  }
  json SfField(const std::string& id, const char* f) {
    auto j = sf.Get("Contact", id);
    return j && j->contains(f) ? (*j)[f] : json(nullptr);
  }
  json HsProp(const std::string& id, const char* p) {
    auto j = hs.Get("contacts", id);
    return j && (*j)["properties"].contains(p) ? (*j)["properties"][p] : json(nullptr);
  }
};

const char* kPeople = R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  FirstName <-> firstname
  LastName  <-> lastname
  Email     <-> email with lowerAscii(trim(_))
  Title     <-> jobtitle
  MailingCity <-> city
  Id         -> salesforce_contact_id
}
)";

TEST(SyncEngine, EchoAndPingPong) {
  Harness h(kPeople);
  for (int i = 0; i < 50; ++i)
    h.PutContact("003E" + std::to_string(i), {{"LastName", "L" + std::to_string(i)},
                                              {"Email", "  Mixed.Case" + std::to_string(i) + "@Example.COM "}});
  PassReport first = h.Pass();
  EXPECT_EQ(first.Total().created, 50);
  // no external change: ten more passes write nothing, although lowercasing is not invertible
  for (int pass = 0; pass < 10; ++pass) EXPECT_EQ(Harness::Writes(h.Pass()), 0) << "pass " << pass;
  // a case-only edit in Salesforce maps to the same HubSpot value: still nothing to write, ever
  h.EditContact("003E7", {{"Email", "MIXED.CASE7@example.com"}});
  for (int pass = 0; pass < 10; ++pass) EXPECT_EQ(Harness::Writes(h.Pass()), 0) << "pass " << pass;
  // HubSpot's lowercase email never flows back to overwrite Salesforce's spelling
  EXPECT_EQ(h.SfField("003E7", "Email"), "MIXED.CASE7@example.com");
}

TEST(SyncEngine, IncrementalPassesReconcileOnlyChangedPairs) {
  Harness h(kPeople);
  for (int i = 0; i < 20; ++i)
    h.PutContact("003I" + std::to_string(i),
                 {{"LastName", "L" + std::to_string(i)}, {"Email", "i" + std::to_string(i) + "@example.com"}});
  PassOptions o;
  o.cursor_overlap_ms = 0;
  EXPECT_EQ(h.engine->RunPass(o).Total().created, 20);
  // our own writes come back once as changes, and reconcile to nothing
  PassReport echo = h.engine->RunPass(o);
  EXPECT_EQ(Harness::Writes(echo), 0);
  // the cursor comparison is inclusive: the newest record read last time is reconciled again
  PassReport quiet = h.engine->RunPass(o);
  EXPECT_EQ(quiet.Total().unchanged, 19);
  EXPECT_EQ(Harness::Writes(quiet), 0);
  // an edit on each side after the cursor is seen; of the other 18 pairs only the newest is reconciled
  h.EditContact("003I3", {{"Title", "Countess"}});
  std::string hs5 = h.store->FindBySalesforce("people", "003I5")->hubspot_id;
  h.EditHs(hs5, {{"city", "Paris"}});
  PassReport r = h.engine->RunPass(o);
  EXPECT_EQ(r.Total().unchanged, 17);
  EXPECT_EQ(r.Total().updated, 2);
  EXPECT_EQ(h.HsProp(h.store->FindBySalesforce("people", "003I3")->hubspot_id, "jobtitle"), "Countess");
  EXPECT_EQ(h.SfField("003I5", "MailingCity"), "Paris");
  // --full reconciles every pair (and finds nothing to do)
  PassOptions full = o;
  full.full = true;
  PassReport f = h.engine->RunPass(full);
  EXPECT_EQ(f.Total().unchanged, 0);
  EXPECT_EQ(Harness::Writes(f), 0);
}

// Push: a targeted pass reconciles only the records named and moves no cursor, so the
// next usual pass still reconciles an edit that no event named (a lost webhook).
TEST(SyncEngine, ATargetedPassReconcilesOnlyTheNamedRecordsAndKeepsTheCursor) {
  Harness h(kPeople);
  for (int i = 0; i < 6; ++i)
    h.PutContact("003P" + std::to_string(i),
                 {{"LastName", "L" + std::to_string(i)}, {"Email", "p" + std::to_string(i) + "@example.com"}});
  PassOptions o;
  o.cursor_overlap_ms = 0;
  ASSERT_EQ(h.engine->RunPass(o).Total().created, 6);
  h.engine->RunPass(o);  // the echo
  std::string hs1 = h.store->FindBySalesforce("people", "003P1")->hubspot_id;
  std::string hs2 = h.store->FindBySalesforce("people", "003P2")->hubspot_id;
  h.EditHs(hs2, {{"city", "Lost Event"}});  // its webhook never arrives
  h.EditHs(hs1, {{"city", "Pushed"}});
  ChangedRecords changed;
  changed.hubspot["contacts"] = {hs1};
  changed.salesforce["Contact"] = {"003P1"};
  PassOptions push = o;
  push.only = &changed;
  PassReport r = h.engine->RunPass(push);
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.Total().updated, 1);
  EXPECT_EQ(h.SfField("003P1", "MailingCity"), "Pushed");
  EXPECT_EQ(h.SfField("003P2", "MailingCity"), nullptr);
  // the usual pass after it: the edit no event named is reconciled (the cursor did not pass it)
  PassReport next = h.engine->RunPass(o);
  EXPECT_EQ(h.SfField("003P2", "MailingCity"), "Lost Event");
  EXPECT_EQ(next.Total().updated, 1);
}

// Targeted passes (docs/sync.md): a pass reads what changed since the cursors and the
// records it needs by id, not every record; what it decides is a whole pass's.
TEST(SyncEngine, ATargetedPassReadsWhatChangedAndItsPartners) {
  Harness h(kPeople);
  for (int i = 0; i < 40; ++i)
    h.PutContact("003T" + std::to_string(i),
                 {{"LastName", "L" + std::to_string(i)}, {"Email", "t" + std::to_string(i) + "@example.com"}});
  PassOptions o;
  o.cursor_overlap_ms = 0;
  EXPECT_EQ(h.engine->RunPass(o).records_read, 40);  // the first pass reads every record
  h.engine->RunPass(o);                              // our own creates come back once
  PassReport quiet = h.engine->RunPass(o);
  // the newest record of each side (the cursor is inclusive), read as the change feed and
  // again with its pair's window
  EXPECT_LE(quiet.records_read, 4);
  EXPECT_EQ(quiet.Total().pairs, 40);
  EXPECT_EQ(Harness::Writes(quiet), 0);
  // an edit reads that record and its partner by id, and is carried
  h.EditContact("003T7", {{"Title", "Countess"}});
  PassReport r = h.engine->RunPass(o);
  EXPECT_LE(r.records_read, 8);
  EXPECT_EQ(r.Total().updated, 1);
  EXPECT_EQ(h.HsProp(h.store->FindBySalesforce("people", "003T7")->hubspot_id, "jobtitle"), "Countess");
  // the same pass read whole decides the same (nothing left to do)
  PassOptions whole = o;
  whole.targeted = false;
  PassReport w = h.engine->RunPass(whole);
  EXPECT_EQ(w.records_read, 80);
  EXPECT_EQ(Harness::Writes(w), 0);
}

TEST(SyncEngine, ATargetedPassMatchesAChangedRecordThroughTheKeyIndex) {
  // no create: unmatched records stay unlinked, and unchanged, across passes
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  conflict two_way
  FirstName <-> firstname
  Email     <-> email with lowerAscii(trim(_))
}
)");
  for (int i = 0; i < 30; ++i)
    h.PutContact("003K" + std::to_string(i), {{"LastName", "L"}, {"Email", "k" + std::to_string(i) + "@example.com"}});
  for (int i = 0; i < 30; ++i)
    h.PutHs(std::to_string(500 + i), {{"email", "other" + std::to_string(i) + "@example.com"}});
  h.PutHs("600", {{"email", "k3@example.com"}, {"firstname", "Ada"}});
  h.PutHs("601", {{"email", "k4@example.com"}});
  h.PutHs("602", {{"email", "K4@example.com "}});  // a second HubSpot contact with k4's key
  PassOptions o;
  o.cursor_overlap_ms = 0;
  PassReport first = h.engine->RunPass(o);
  EXPECT_EQ(first.Total().linked, 1);  // k3 (k4 is ambiguous)
  h.engine->RunPass(o);
  // an unchanged HubSpot contact's email now names an unchanged Salesforce contact: the changed
  // record finds it through the index, reading a handful of records, not 63
  h.EditHs("517", {{"email", "K20@Example.com"}});
  PassReport r = h.engine->RunPass(o);
  EXPECT_LE(r.records_read, 12);
  EXPECT_EQ(r.Total().linked, 1);
  EXPECT_EQ(h.store->FindBySalesforce("people", "003K20")->hubspot_id, "517");
  // a Salesforce contact changed to k4's key finds both HubSpot contacts: still ambiguous
  h.EditContact("003K9", {{"Email", "k4@example.com"}});
  PassReport amb = h.engine->RunPass(o);
  EXPECT_EQ(amb.Total().linked, 0);
  bool logged = false;
  for (const store::SyncError& e : h.store->Errors("people"))
    logged |= e.salesforce_id == "003K9" && e.message.find("ambiguous") != std::string::npos;
  EXPECT_TRUE(logged);
}

// A system seen through a test's wrapper: everything passes through to `inner`
// unless the wrapper overrides it.
class Wrapper : public Connector {
 public:
  explicit Wrapper(Connector& inner) : inner_(inner) {}
  schema::System system() const override { return inner_.system(); }
  base::Status Load(const schema::Object& o, std::vector<Record>* out, std::vector<ReadProblem>* p) override {
    return inner_.Load(o, out, p);
  }
  std::vector<WriteResult> Write(const schema::Object& o, const std::vector<WriteOp>& ops) override {
    return inner_.Write(o, ops);
  }
  CallCounts calls() const override { return inner_.calls(); }

 protected:
  Connector& inner_;
};

// A system whose first `failures` writes fail transiently (a lock, a 503, a lost
// response), as the HTTP connectors report them.
class FlakyConnector : public Wrapper {
 public:
  FlakyConnector(Connector& inner, int failures) : Wrapper(inner), failures_(failures) {}
  std::vector<WriteResult> Write(const schema::Object& o, const std::vector<WriteOp>& ops) override {
    ++attempts;
    if (failures_ > 0) {
      --failures_;
      std::vector<WriteResult> out(ops.size());
      for (auto& r : out)
        r = WriteResult{false, "", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access", true, {}};
      return out;
    }
    return inner_.Write(o, ops);
  }
  void FailNext(int writes) { failures_ = writes; }
  int attempts = 0;

 private:
  int failures_;
};

// Waits out the backoff of every transient error in the log.
void WaitBackoff(store::StateStore& s) {
  int64_t wait = 0;
  for (const auto& e : s.Errors("")) wait = std::max(wait, e.retry_at - e.last_seen);
  std::this_thread::sleep_for(std::chrono::milliseconds(wait + 50));
}

TEST(SyncEngine, TransientWriteFailuresBackOffThenSucceed) {
  Harness h(kPeople);
  FlakyConnector flaky(h.hs, 1);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, flaky);
  h.PutContact("003T1", {{"LastName", "Lamarr"}, {"Email", "hedy@example.com"}});
  PassReport first = engine.RunPass(PassOptions{});
  ASSERT_TRUE(first.ok) << first.failure;
  EXPECT_EQ(first.Total().created, 0);
  EXPECT_EQ(first.Total().errors, 1);
  std::vector<store::SyncError> log = h.store->Errors("");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_FALSE(log[0].permanent) << "a lock is transient";
  EXPECT_GT(log[0].retry_at, log[0].last_seen) << "and due again after a backoff";
  // during the backoff the record waits: no write is attempted
  int before = flaky.attempts;
  PassReport waiting = engine.RunPass(PassOptions{});
  EXPECT_EQ(flaky.attempts, before);
  EXPECT_EQ(waiting.Total().created, 0);
  // once due, the same pass logic retries and the create lands; the error clears
  std::this_thread::sleep_for(std::chrono::milliseconds(log[0].retry_at - log[0].last_seen + 100));
  PassReport retried = engine.RunPass(PassOptions{});
  EXPECT_EQ(retried.Total().created, 1);
  EXPECT_TRUE(h.store->Errors("").empty());
  EXPECT_EQ(h.hs.All("contacts").size(), 1u);
}

// A system whose reads of one record fail while `failing` (a 503 that outlasts the retries):
// a whole read of its object, or a read by id that names it. Targeted reads pass through.
class FailingReadConnector : public Wrapper {
 public:
  FailingReadConnector(Connector& inner, std::string object, std::string id)
      : Wrapper(inner), object_(std::move(object)), id_(std::move(id)) {}
  base::Status Load(const schema::Object& o, std::vector<Record>* out, std::vector<ReadProblem>* p) override {
    if (failing && o.name == object_) return base::Status::Error("503 Service Unavailable");
    return inner_.Load(o, out, p);
  }
  bool TargetedReads() const override { return inner_.TargetedReads(); }
  base::Status ChangedIds(const schema::Object& o, int64_t since_ms, const std::string& position,
                          std::vector<std::string>* ids, std::vector<ReadProblem>* p) override {
    return inner_.ChangedIds(o, since_ms, position, ids, p);
  }
  std::string FeedPosition(const schema::Object& o) override { return inner_.FeedPosition(o); }
  base::Status ReadByIds(const schema::Object& o, const std::vector<std::string>& ids, std::vector<Record>* out,
                         std::vector<ReadProblem>* p) override {
    if (failing && o.name == object_ && std::find(ids.begin(), ids.end(), id_) != ids.end())
      return base::Status::Error("503 Service Unavailable");
    return inner_.ReadByIds(o, ids, out, p);
  }
  bool failing = false;

 private:
  std::string object_, id_;
};

const char* kPeopleAndLeads = R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  LastName <-> lastname
  Email    <-> email with lowerAscii(trim(_))
  Title    <-> jobtitle
  MailingCity <-> city
}
sync leads: salesforce.Lead <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  LastName <-> lastname
  Email    <-> email with lowerAscii(trim(_))
  Title    <-> jobtitle
}
)";

// Two syncs share HubSpot's contacts. A pass in which `people` ran and `leads` then failed
// (its Salesforce read) moved the contacts cursor past an edit only `leads` had to carry: the
// next pass read contacts from the new cursor and the edit was lost. Cursors move once, at
// the end of a pass whose every sync ran; a failed pass leaves them all where they were.
TEST(SyncEngine, APassWithAFailedSyncMovesNoCursorItsOtherSyncsShare) {
  for (bool targeted : {true, false}) {
    SCOPED_TRACE(targeted ? "targeted passes" : "whole passes");
    Harness h(kPeopleAndLeads);
    h.PutContact("003C1", {{"LastName", "Curie"}, {"Email", "marie@example.com"}});
    for (const char* id : {"00QL1", "00QL2"})  // (00QL2 the newer: the Lead cursor is inclusive)
      h.sf.Put(h.Obj(System::kSalesforce, "Lead"), {{"Id", id},
                                                    {"LastName", "Hopper"},
                                                    {"Email", std::string(id) + "@example.com"},
                                                    {"Company", "Navy"},
                                                    {"IsDeleted", false},
                                                    {"SystemModstamp", h.Stamp()}});
    FailingReadConnector sf(h.sf, "Lead", "00QL1");
    Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, sf, h.hs);
    PassOptions o;
    o.cursor_overlap_ms = 0;
    o.targeted = targeted;
    ASSERT_EQ(engine.RunPass(o).Total().created, 3);
    ASSERT_TRUE(engine.RunPass(o).ok);  // our own creates come back once
    std::string hs_lead = h.store->FindBySalesforce("leads", "00QL1")->hubspot_id;
    std::string hs_contact = h.store->FindBySalesforce("people", "003C1")->hubspot_id;
    h.EditHs(hs_lead, {{"jobtitle", "Rear Admiral"}});
    h.EditHs(hs_contact, {{"city", "Paris"}});  // the newest change (the cursor is inclusive)
    sf.failing = true;                          // `people` runs, then `leads` cannot read 00QL1
    PassReport failed = engine.RunPass(o);
    EXPECT_FALSE(failed.ok);
    EXPECT_EQ(failed.per_sync["people"].updated, 1);
    sf.failing = false;
    PassReport next = engine.RunPass(o);
    ASSERT_TRUE(next.ok) << next.failure;
    EXPECT_EQ((*h.sf.Get("Lead", "00QL1"))["Title"], "Rear Admiral") << "the edit only `leads` carries";
    EXPECT_EQ(h.SfField("003C1", "MailingCity"), "Paris");
  }
}

// A system that knows when each field changed (HubSpot's property history).
class FieldTimesConnector : public Wrapper {
 public:
  explicit FieldTimesConnector(Connector& inner) : Wrapper(inner) {}
  std::string FieldChangedAt(const schema::Object& o, const Record& r, size_t slot) override {
    ++asked;
    auto it = times.find(r.id + "/" + o.fields[slot].name);
    return it == times.end() ? "" : it->second;
  }
  void PrefetchFieldChanges(const schema::Object&, const std::vector<std::string>& ids,
                            const std::vector<size_t>& slots) override {
    ++prefetches;
    prefetched_ids.insert(prefetched_ids.end(), ids.begin(), ids.end());
    prefetched_slots = slots.size();
  }
  std::map<std::string, std::string> times;  // "id/field" -> ISO time
  int asked = 0, prefetches = 0;
  std::vector<std::string> prefetched_ids;
  size_t prefetched_slots = 0;
};

TEST(SyncEngine, TwoWayUsesTheFieldsOwnChangeTimeWhenTheSystemKnowsIt) {
  Harness h(kPeople);
  FieldTimesConnector hs(h.hs);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, hs);
  h.PutContact("003F1", {{"LastName", "Meitner"}, {"Email", "lise@example.com"}, {"Title", "Physicist"}});
  ASSERT_EQ(engine.RunPass(PassOptions{}).Total().created, 1);
  engine.RunPass(PassOptions{});  // the echo of our own create
  std::string hs_id = h.store->FindBySalesforce("people", "003F1")->hubspot_id;
  // HubSpot edits the title first, Salesforce later, then HubSpot edits another field:
  // the HubSpot record is the newer one, but its title change is the older one
  h.EditHs(hs_id, {{"jobtitle", "Professor"}});
  std::string hubspot_title_time =
      *h.hs.Get("contacts", hs_id)->at("properties").at("lastmodifieddate").get_ptr<const std::string*>();
  h.EditContact("003F1", {{"Title", "Director"}});
  h.EditHs(hs_id, {{"city", "Stockholm"}});
  hs.times[hs_id + "/jobtitle"] = hubspot_title_time;
  hs.prefetches = 0;
  hs.prefetched_ids.clear();
  PassReport r = engine.RunPass(PassOptions{});
  EXPECT_EQ(r.Total().conflicts, 1);
  EXPECT_GT(hs.asked, 0) << "the field time is asked on the conflict";
  EXPECT_EQ(hs.prefetches, 1) << "read in one batch before the pairs are reconciled";
  EXPECT_NE(std::find(hs.prefetched_ids.begin(), hs.prefetched_ids.end(), hs_id), hs.prefetched_ids.end());
  EXPECT_EQ(hs.prefetched_slots, 5u) << "the two_way rules' fields (Email's with-transform included)";
  EXPECT_EQ(h.HsProp(hs_id, "jobtitle"), "Director") << "Salesforce's later title edit wins";
  EXPECT_EQ(h.SfField("003F1", "Title"), "Director");
  EXPECT_EQ(h.SfField("003F1", "MailingCity"), "Stockholm") << "the other field still flows";
  // the same edits without field times: the record times decide, and HubSpot's record is newer
  Harness g(kPeople);
  g.PutContact("003F1", {{"LastName", "Meitner"}, {"Email", "lise@example.com"}, {"Title", "Physicist"}});
  g.Pass();
  g.Pass();
  std::string g_hs = g.store->FindBySalesforce("people", "003F1")->hubspot_id;
  g.EditHs(g_hs, {{"jobtitle", "Professor"}});
  g.EditContact("003F1", {{"Title", "Director"}});
  g.EditHs(g_hs, {{"city", "Stockholm"}});
  PassReport by_record = g.Pass();
  EXPECT_EQ(g.SfField("003F1", "Title"), "Professor") << "record-level: the newer HubSpot record wins";
  // which the error log notes (a decision to review), without an error that waits or fails `accord run`
  std::vector<store::SyncError> notes = g.store->Notes("people");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].salesforce_id, "003F1");
  EXPECT_NE(notes[0].message.find("Title <-> jobtitle: two_way"), std::string::npos) << notes[0].message;
  EXPECT_NE(notes[0].message.find("its record's time"), std::string::npos) << notes[0].message;
  EXPECT_TRUE(g.store->Errors("people").empty());
  EXPECT_EQ(by_record.errors_waiting, 0);
  EXPECT_EQ(by_record.Total().errors, 0);
  // the note stays (one per pair) until the reviewer clears it
  EXPECT_EQ(Harness::Writes(g.Pass()), 0);
  g.EditContact("003F1", {{"MailingCity", "Uppsala"}});
  g.Pass();
  EXPECT_EQ(g.store->Notes("people").size(), 1u);
  EXPECT_EQ(g.store->ClearNotes(), 1);
  EXPECT_TRUE(g.store->Notes("people").empty());
}

// Salesforce keeps no history of the field: its record's time stands for the field's. But a
// change the engine saw in an earlier pass (and could not settle) happened before that pass
// read it: an edit of another field since then must not make it recent.
TEST(SyncEngine, TwoWayBoundsARecordTimeByThePassThatFirstSawTheChange) {
  Harness h(kPeople);
  FlakyConnector flaky(h.hs, 0);
  FieldTimesConnector hs(flaky);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, hs);
  h.PutContact("003B1", {{"LastName", "Curie"}, {"Email", "marie@example.com"}, {"Title", "Chemist"}});
  ASSERT_EQ(engine.RunPass(PassOptions{}).Total().created, 1);
  engine.RunPass(PassOptions{});  // the echo of our own create
  std::string hs_id = h.store->FindBySalesforce("people", "003B1")->hubspot_id;
  // Salesforce's title edit cannot reach HubSpot this pass (a lock): the change stays unsettled
  h.EditContact("003B1", {{"Title", "Professor"}});
  flaky.FailNext(1);
  PassReport failed = engine.RunPass(PassOptions{});
  ASSERT_EQ(failed.Total().errors, 1);
  // after that pass a HubSpot user edits the title (HubSpot knows when), then a Salesforce user
  // edits another field: Salesforce's record is the newest, its title change is the oldest
  h.EditHs(hs_id, {{"jobtitle", "Director"}});
  hs.times[hs_id + "/jobtitle"] =
      *h.hs.Get("contacts", hs_id)->at("properties").at("lastmodifieddate").get_ptr<const std::string*>();
  h.EditContact("003B1", {{"MailingCity", "Paris"}});
  WaitBackoff(*h.store);
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.Total().conflicts, 1);
  EXPECT_EQ(h.SfField("003B1", "Title"), "Director") << "HubSpot's edit came after the pass that saw Salesforce's";
  EXPECT_EQ(h.HsProp(hs_id, "jobtitle"), "Director");
  EXPECT_EQ(h.HsProp(hs_id, "city"), "Paris") << "the other field still flows";
  EXPECT_TRUE(h.store->Errors("people").empty());
  std::vector<store::SyncError> notes = h.store->Notes("people");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].message.find("when a pass first saw the change"), std::string::npos) << notes[0].message;
  EXPECT_NE(notes[0].message.find("field's change time"), std::string::npos) << "HubSpot's own: " << notes[0].message;
  EXPECT_TRUE(h.store->AllSeen("people").empty()) << "settled: nothing is kept";
  EXPECT_EQ(Harness::Writes(engine.RunPass(PassOptions{})), 0);
}

TEST(SyncEngine, ShadowsMoveOnlyWithAcknowledgedWrites) {
  Harness h(kPeople);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.PutHs("101", {{"email", "ada@example.com"}, {"lastname", "Lovelace"}});
  h.Pass();
  // both sides change different fields: both writes go out
  h.EditContact("003A", {{"Title", std::string(300, 'x')}});
  h.EditHs("101", {{"city", "Paris"}});
  PassReport r = h.Pass();
  EXPECT_EQ(h.SfField("003A", "MailingCity"), "Paris");
  EXPECT_EQ(h.HsProp("101", "jobtitle"), std::string(300, 'x'));  // HubSpot has no length limit
  // Salesforce's Title is 128 characters: a HubSpot edit that long is refused per record
  h.EditHs("101", {{"jobtitle", std::string(200, 'y')}});
  r = h.Pass();
  EXPECT_GE(r.errors_by_category["PropertyValues"], 1);
  auto errors = h.store->Errors("people");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("STRING_TOO_LONG"), std::string::npos) << errors[0].message;
  // fixed on the HubSpot side: the error clears and the value flows
  h.EditHs("101", {{"jobtitle", "Countess"}});
  r = h.Pass();
  EXPECT_EQ(h.SfField("003A", "Title"), "Countess");
  EXPECT_TRUE(h.store->Errors("people").empty());
}

// Every conflict policy x blank policy x which side is blank x which side changed last.
struct Case {
  const char* policy;
  const char* blank;
  bool sf_blank, hs_blank, hs_later;
};

// The stable outcome the DESIGN §5 rules define (Title <-> jobtitle, both sides changed from "base").
std::pair<std::string, std::string> Expected(const Case& c) {
  std::string sfv = c.sf_blank ? "" : "sf-new", hsv = c.hs_blank ? "" : "hs-new";
  if (sfv.empty() && hsv.empty()) return {"", ""};
  std::string p = c.policy;
  int winner;  // 0 Salesforce, 1 HubSpot, -1 none
  if (p == "two_way")
    winner = c.hs_later ? 1 : 0;
  else if (p == "prefer salesforce")
    winner = 0;
  else if (p == "prefer hubspot")
    winner = 1;
  else if (p == "prefer salesforce unless blank")
    winner = sfv.empty() ? 1 : 0;
  else if (p == "prefer hubspot unless blank")
    winner = hsv.empty() ? 0 : 1;
  else
    winner = -1;  // dont_sync
  if (winner < 0) return {sfv, hsv};
  std::string win = winner == 0 ? sfv : hsv, lose = winner == 0 ? hsv : sfv;
  std::string b = c.blank;
  std::string loser_gets;
  if (!win.empty())
    loser_gets = win;
  else if (b == "ignore")
    return {lose, lose};  // a blank never erases: the loser's value fills the blank
  else if (b == "clear")
    loser_gets = "";
  else
    loser_gets = "dflt";  // default "dflt"
  return winner == 0 ? std::make_pair(win, loser_gets) : std::make_pair(loser_gets, win);
}

TEST(SyncEngine, ConcurrentEditsFollowEveryPolicy) {
  const char* policies[] = {"two_way",
                            "prefer salesforce",
                            "prefer hubspot",
                            "prefer salesforce unless blank",
                            "prefer hubspot unless blank",
                            "dont_sync"};
  const char* blanks[] = {"ignore", "clear", "default \"dflt\""};
  int cases = 0;
  for (const char* policy : policies) {
    for (const char* blank : blanks) {
      std::string rules =
          std::string("sync people: salesforce.Contact <-> hubspot.contacts {\n  match email\n  conflict two_way\n") +
          "  Email <-> email\n  Title <-> jobtitle conflict " + policy + " blank " + blank + "\n}\n";
      for (int mask = 0; mask < 8; ++mask) {
        Case c{policy, blank[0] == 'd' ? "default" : blank, (mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
        Harness h(rules);
        h.PutContact("003A", {{"LastName", "L"}, {"Email", "a@example.com"}, {"Title", "base"}});
        h.PutHs("101", {{"email", "a@example.com"}, {"jobtitle", "base"}});
        h.Pass();
        ASSERT_EQ(h.HsProp("101", "jobtitle"), "base");
        json sfv = c.sf_blank ? json(nullptr) : json("sf-new");
        json hsv = c.hs_blank ? json("") : json("hs-new");
        if (c.hs_later) {
          h.EditContact("003A", {{"Title", sfv}});
          h.EditHs("101", {{"jobtitle", hsv}});
        } else {
          h.EditHs("101", {{"jobtitle", hsv}});
          h.EditContact("003A", {{"Title", sfv}});
        }
        h.Pass();  // one pass converges: the next writes nothing (checked below)
        auto [want_sf, want_hs] = Expected(c);
        json got_sf = h.SfField("003A", "Title"), got_hs = h.HsProp("101", "jobtitle");
        std::string gs = got_sf.is_string() ? got_sf.get<std::string>() : "";
        std::string gh = got_hs.is_string() ? got_hs.get<std::string>() : "";
        std::string what = std::string(policy) + " / blank " + blank + " / sf " + (c.sf_blank ? "blank" : "value") +
                           " / hs " + (c.hs_blank ? "blank" : "value") + " / " + (c.hs_later ? "hs later" : "sf later");
        EXPECT_EQ(gs, want_sf) << what;
        EXPECT_EQ(gh, want_hs) << what;
        // and it is stable
        EXPECT_EQ(Harness::Writes(h.Pass()), 0) << what;
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 6 * 3 * 8);
}

TEST(SyncEngine, BadDataIsLoggedAndTheRestProceeds) {
  char tmpl[] = "/tmp/accord-bad-data-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  fs::create_directories(dir + "/salesforce");
  fs::create_directories(dir + "/hubspot");
  {
    std::ofstream sf(dir + "/salesforce/Contact.jsonl");
    sf << R"({"Id":"003G","LastName":"Good","Email":"good@example.com","SystemModstamp":"2026-01-01T00:00:00.000Z"})"
          "\n";
    sf << R"({"Id":"003M","LastName": "Malformed",)"
          "\n";  // malformed JSON
    sf << R"(["not", "an", "object"])"
          "\n";  // wrong shape
    sf << R"({"LastName":"No id","Email":"noid@example.com"})"
          "\n";  // no Id
    sf << R"({"Id":"003T","LastName":"Typed","Email":"typed@example.com","Birthdate":"not a date"})"
          "\n";  // wrong type
    sf << R"({"Id":"003P","LastName":"Pick","Email":"pick@example.com","LeadSource":"Carrier Pigeon"})"
          "\n";
    sf << R"({"Id":"003L","LastName":"Long","Email":"long@example.com","Title":")" << std::string(200, 'z') << "\"}\n";
    sf << R"({"Id":"003G2","LastName":"Also good","Email":"good2@example.com"})"
          "\n";
  }
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  Email <-> email
  LastName <-> lastname
  Title <-> jobtitle
  Birthdate -> website with string(_)
  LeadSource <-> lead_source
}
)");
  JsonlConnector sf(System::kSalesforce, dir + "/salesforce"), hs(System::kHubSpot, dir + "/hubspot");
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, sf, hs);
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  // three unreadable lines; a date that is not one; a picklist value HubSpot does not have
  EXPECT_EQ(r.errors_by_category["Transport"], 3);
  EXPECT_GE(r.errors_by_category["PropertyValues"], 2);
  // the good records (and the long title: HubSpot has no limit) are created anyway
  std::vector<ReadProblem> problems;
  std::vector<Record> created;
  std::string error;
  ASSERT_TRUE(base::Succeeded(hs.Load(h.Obj(System::kHubSpot, "contacts"), &created, &problems), &error));
  std::set<std::string> emails;
  for (const Record& rec : created)
    emails.insert(*rec.values[h.Obj(System::kHubSpot, "contacts").FindField("email") -
                              h.Obj(System::kHubSpot, "contacts").fields.data()]);
  EXPECT_TRUE(emails.count("good@example.com"));
  EXPECT_TRUE(emails.count("good2@example.com"));
  EXPECT_TRUE(emails.count("long@example.com"));
  // one bad field holds back only itself: these are created without it
  EXPECT_TRUE(emails.count("typed@example.com"));
  EXPECT_TRUE(emails.count("pick@example.com"));
  // every problem is in the error log
  EXPECT_GE(h.store->Errors("").size(), 5u);
  fs::remove_all(dir);
}

TEST(SyncEngine, DeletesLeaveTombstonesThatStopResurrection) {
  Harness h(std::string(kPeople).replace(std::string(kPeople).find("  conflict"), 0, "  delete propagate\n"));
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.Pass();
  auto link = h.store->FindBySalesforce("people", "003A");
  ASSERT_TRUE(link);
  h.EditContact("003A", {{"IsDeleted", true}});
  PassReport r = h.Pass();
  EXPECT_EQ(r.Total().deleted, 1);
  EXPECT_EQ((*h.hs.Get("contacts", link->hubspot_id))["archived"], true);
  // a late update of the deleted record does not bring it back or create a new one
  h.EditContact("003A", {{"IsDeleted", false}, {"Title", "Back?"}});
  r = h.Pass();
  EXPECT_EQ(Harness::Writes(r), 0);
  EXPECT_EQ(h.hs.All("contacts").size(), 1u);
}

TEST(SyncEngine, MergedSalesforceRecordsRepointTheirLink) {
  Harness h(kPeople);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  // 003A merged into 003B: 003A is deleted with MasterRecordId
  h.PutContact("003B", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"Title", "Countess"}});
  h.EditContact("003A", {{"IsDeleted", true}, {"MasterRecordId", "003B"}});
  h.Pass();
  auto moved = h.store->FindBySalesforce("people", "003B");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->hubspot_id, hs_id);
  h.Pass();
  EXPECT_EQ(h.HsProp(hs_id, "jobtitle"), "Countess");
  EXPECT_EQ(h.hs.All("contacts").size(), 1u);  // no second HubSpot contact for the survivor
}

const char* kPeoplePropagate = R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  delete propagate
  LastName  <-> lastname
  Email     <-> email
  Title     <-> jobtitle
}
)";

// HubSpot merges a contact into another: the merged one is archived and the survivor lists
// it in hs_merged_object_ids. A merge is not a delete: the person still exists.
void MergeHs(Harness& h, const std::string& merged, const std::string& survivor) {
  json gone = *h.hs.Get("contacts", merged);
  gone["archived"] = true;
  gone["properties"]["lastmodifieddate"] = h.Stamp();
  h.hs.Put(h.Obj(System::kHubSpot, "contacts"), gone);
  h.EditHs(survivor, {{"hs_merged_object_ids", merged}});
}

// A system whose record `id` cannot be read (malformed on the wire): Load leaves it out and
// reports it, as the connectors do.
class UnreadableRecordConnector : public Wrapper {
 public:
  UnreadableRecordConnector(Connector& inner, std::string id) : Wrapper(inner), id_(std::move(id)) {}
  base::Status Load(const schema::Object& o, std::vector<Record>* out, std::vector<ReadProblem>* p) override {
    base::Status st = inner_.Load(o, out, p);
    auto it = std::find_if(out->begin(), out->end(), [&](const Record& r) { return r.id == id_; });
    if (it != out->end()) {
      out->erase(it);
      p->push_back({id_, "", "record " + id_ + ": IsDeleted is an object"});
    }
    return st;
  }

 private:
  std::string id_;
};

// Soak seed 80261274: HubSpot merged A's contact into B's (both linked) while Salesforce's 003A
// could not be read. The pass took the merge for a delete (the kept record unknown), ended the
// link with a tombstone and logged nothing: the merge's "merge it in Salesforce too" entry was
// lost. Unknown is not absent: the pair waits until 003A reads again.
TEST(SyncEngine, AMergeSeenWhileTheOtherRecordIsUnreadableWaitsForIt) {
  Harness h(kPeoplePropagate);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.PutContact("003B", {{"LastName", "Lovelace"}, {"Email", "ada.lovelace@example.com"}});
  h.Pass();
  std::string hs_a = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  std::string hs_b = h.store->FindBySalesforce("people", "003B")->hubspot_id;
  MergeHs(h, hs_a, hs_b);
  UnreadableRecordConnector sf(h.sf, "003A");
  Engine blind(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, sf, h.hs);
  ASSERT_TRUE(blind.RunPass(PassOptions{}).ok);
  auto link = h.store->FindBySalesforce("people", "003A");
  ASSERT_TRUE(link);
  EXPECT_EQ(link->state, store::LinkState::kActive) << "nothing is decided for a pair with an unreadable record";
  PassReport r = h.Pass();  // 003A reads again
  EXPECT_EQ(r.Total().deleted, 0);
  EXPECT_NE((*h.sf.Get("Contact", "003A"))["IsDeleted"], true);
  bool logged = false;
  for (const auto& e : h.store->Errors("people"))
    logged |= e.category == "Duplicates" && e.salesforce_id == "003A" && e.message.find("merged") != std::string::npos;
  EXPECT_TRUE(logged) << "the merge's entry: someone must merge them in Salesforce too";
}

TEST(SyncEngine, AHubSpotMergeMovesTheLinkToTheSurvivorAndDeletesNothing) {
  Harness h(kPeoplePropagate);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"Title", "Countess"}});
  h.Pass();
  std::string merged = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  // a HubSpot contact nobody synced (another address of the same person) survives the merge
  h.PutHs("9001", {{"email", "ada.lovelace@example.com"}, {"lastname", "Lovelace"}, {"jobtitle", "Analyst"}});
  MergeHs(h, merged, "9001");
  PassReport r = h.Pass();
  EXPECT_EQ(h.SfField("003A", "Title"), "Analyst") << "the survivor's values reconcile in the same pass";
  EXPECT_EQ(r.Total().deleted, 0) << "a merge is not a delete";
  ASSERT_TRUE(h.sf.Get("Contact", "003A"));
  EXPECT_NE((*h.sf.Get("Contact", "003A"))["IsDeleted"], true);
  auto link = h.store->FindBySalesforce("people", "003A");
  ASSERT_TRUE(link);
  EXPECT_EQ(link->hubspot_id, "9001") << "the link moves to the surviving record";
  EXPECT_EQ(link->state, store::LinkState::kActive);
  h.Pass();
  EXPECT_EQ(h.hs.All("contacts").size(), 2u) << "no new HubSpot contact";
  EXPECT_EQ(Harness::Writes(h.Pass()), 0);
}

TEST(SyncEngine, AMergeIntoAnAlreadyLinkedRecordDeletesNothingAndIsLogged) {
  Harness h(kPeoplePropagate);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.PutContact("003B", {{"LastName", "Lovelace"}, {"Email", "ada.lovelace@example.com"}});
  h.Pass();
  std::string hs_a = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  std::string hs_b = h.store->FindBySalesforce("people", "003B")->hubspot_id;
  // HubSpot merges A's contact into B's, which is linked already
  MergeHs(h, hs_a, hs_b);
  PassReport r = h.Pass();
  EXPECT_EQ(r.Total().deleted, 0) << "Salesforce's 003A is not deleted for a HubSpot merge";
  EXPECT_NE((*h.sf.Get("Contact", "003A"))["IsDeleted"], true);
  bool logged = false;
  for (const auto& e : h.store->Errors("people"))
    logged |= e.category == "Duplicates" && e.salesforce_id == "003A" && e.message.find("merged") != std::string::npos;
  EXPECT_TRUE(logged) << "someone must merge them in Salesforce too";
  // which someone does: the entry leaves the log, and still nothing is deleted
  h.EditContact("003A", {{"IsDeleted", true}, {"MasterRecordId", "003B"}});
  r = h.Pass();
  EXPECT_EQ(r.Total().deleted, 0);
  EXPECT_TRUE(h.store->Errors("people").empty());
  EXPECT_EQ(r.errors_waiting, 0);
  EXPECT_EQ(h.store->FindBySalesforce("people", "003B")->hubspot_id, hs_b);
  // the same in Salesforce: 003B merged into 003A, which is linked: HubSpot's record stays
  Harness g(kPeoplePropagate);
  g.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  g.PutContact("003B", {{"LastName", "Lovelace"}, {"Email", "ada.lovelace@example.com"}});
  g.Pass();
  std::string g_b = g.store->FindBySalesforce("people", "003B")->hubspot_id;
  g.EditContact("003B", {{"IsDeleted", true}, {"MasterRecordId", "003A"}});
  r = g.Pass();
  EXPECT_EQ(r.Total().deleted, 0) << "HubSpot's contact is not deleted for a Salesforce merge";
  EXPECT_EQ((*g.hs.Get("contacts", g_b))["archived"], false);
  logged = false;
  for (const auto& e : g.store->Errors("people"))
    logged |= e.category == "Duplicates" && e.hubspot_id == g_b && e.message.find("merged") != std::string::npos;
  EXPECT_TRUE(logged);
}

// A pair with an entry from an earlier pass and a new problem now: the entry whose problem is
// over leaves the log (found by the model harness, seed 16 with malformed records: a
// "missing from the data" entry stayed forever beside a PropertyValues one).
TEST(SyncEngine, AnEntryWhoseProblemIsOverLeavesTheLogBesideANewOne) {
  Harness h(R"(
values LS: salesforce.Contact.LeadSource <-> hubspot.contacts.lead_source {
  "Web" <-> "Web"
  else -> reject
}
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  LastName <-> lastname
  Email <-> email
  Title <-> jobtitle
  LeadSource <-> lead_source via LS
}
)");
  FlakyConnector hs(h.hs, 0);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, hs);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"LeadSource", "Web"}});
  ASSERT_EQ(engine.RunPass(PassOptions{}).Total().created, 1);
  h.EditContact("003A", {{"Title", "Countess"}});
  hs.FailNext(1);
  ASSERT_EQ(engine.RunPass(PassOptions{}).Total().errors, 1);  // a lock: Transport
  h.EditContact("003A", {{"LeadSource", "Phone Inquiry"}});
  WaitBackoff(*h.store);
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  EXPECT_EQ(h.HsProp(hs_id, "jobtitle"), "Countess") << "the title lands";
  std::vector<store::SyncError> log = h.store->Errors("people");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].category, "PropertyValues") << "the lock is over: " << log[0].message;
}

// A create whose new record the target side's scope excludes is not made: the sync would never
// sync it (the model harness's open case seed-9007).
TEST(SyncEngine, ARecordTheTargetsScopeExcludesIsNotCreated) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  scope salesforce: Title != "Excluded"
  create in salesforce
  conflict prefer salesforce
  LastName <-> lastname
  Email <-> email
  Title <-> jobtitle
  Id -> salesforce_contact_id
}
)");
  h.PutHs("101", {{"email", "ada@example.com"}, {"lastname", "Lovelace"}, {"jobtitle", "Excluded"}});
  h.PutHs("102", {{"email", "grace@example.com"}, {"lastname", "Hopper"}, {"jobtitle", "Captain"}});
  PassReport r = h.Pass();
  EXPECT_EQ(r.Total().created, 1);
  EXPECT_EQ(h.sf.All("Contact").size(), 1u) << "only the record the sync will sync";
  EXPECT_TRUE(h.store->Errors("").empty());
  EXPECT_EQ(Harness::Writes(h.Pass()), 0);
}

TEST(SyncEngine, DryRunWritesNothing) {
  Harness h(kPeople);
  char tmpl[] = "/tmp/accord-dry-run-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  fs::create_directories(dir + "/salesforce");
  const std::string line = R"({"Id":"003A","LastName":"Lovelace","Email":"ada@example.com"})"
                           "\n";
  std::ofstream(dir + "/salesforce/Contact.jsonl") << line;
  JsonlConnector sf_dry(System::kSalesforce, dir + "/salesforce", true),
      hs_dry(System::kHubSpot, dir + "/hubspot", true);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, sf_dry, hs_dry);
  PassOptions o;
  o.dry_run = true;
  PassReport r = engine.RunPass(o);
  EXPECT_EQ(r.Total().created, 1);
  EXPECT_EQ(r.hubspot_calls.writes, 1);        // the projected call
  EXPECT_FALSE(fs::exists(dir + "/hubspot"));  // nothing stored
  std::ifstream in(dir + "/salesforce/Contact.jsonl");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), line);
  EXPECT_TRUE(h.store->AllLinks("people").empty());  // the store rolled back
  EXPECT_TRUE(h.store->Errors("").empty());
  fs::remove_all(dir);
}

// ---- Defects of issues 12 and 22: each test below failed before its fix ----

// A system that applies the creates of its first `lost` create calls but loses
// their responses (the request was processed, the connection closed), as the
// HTTP connectors report it; `copies` > 1 applies them that many times (a
// transport that silently re-sent the request).
class LostAckConnector : public Wrapper {
 public:
  LostAckConnector(Connector& inner, int lost, int copies = 1) : Wrapper(inner), lost_(lost), copies_(copies) {}
  std::vector<WriteResult> Write(const schema::Object& o, const std::vector<WriteOp>& ops) override {
    bool creates =
        std::any_of(ops.begin(), ops.end(), [](const WriteOp& op) { return op.kind == WriteOp::Kind::kCreate; });
    if (!creates || lost_ <= 0) return inner_.Write(o, ops);
    --lost_;
    for (int i = 0; i < copies_; ++i) inner_.Write(o, ops);
    std::vector<WriteResult> out(ops.size());
    for (auto& r : out) {
      r = WriteResult{false, "", "NO_RESPONSE", "no response (connection closed)", true, {}};
      r.maybe_applied = true;
    }
    return out;
  }

 private:
  int lost_, copies_;
};

// The first logged error of a category (the log outlives the call: kept in a static).
const store::SyncError* FindError(store::StateStore& s, const std::string& category) {
  static std::vector<store::SyncError> log;
  log = s.Errors("");
  for (const auto& e : log)
    if (e.category == category) return &e;
  return nullptr;
}

// Waits out the backoff of every transient error in the log.
const char* kLinkOnly = R"(
sync people: salesforce.Contact -> hubspot.contacts {
  match link
  create in hubspot only
  LastName -> lastname
  Title -> jobtitle
  Id -> salesforce_contact_id
}
)";

// kLinkOnly without `Id -> salesforce_contact_id`: a create's result has no external id to be found by
std::string LinkOnlyWithoutExternalId() {
  std::string rules = kLinkOnly;
  const std::string extid = "  Id -> salesforce_contact_id\n";
  return rules.replace(rules.find(extid), extid.size(), "");
}

TEST(SyncEngine, LostCreateResponseSentTwiceIsQuarantinedNotCreatedAThirdTime) {
  Harness h(kLinkOnly);
  LostAckConnector lossy(h.hs, 1, 2);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, lossy);
  h.PutContact("003D", {{"LastName", "Curie"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  ASSERT_EQ(h.hs.All("contacts").size(), 2u) << "the transport landed the create twice";
  WaitBackoff(*h.store);
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.Total().created, 0);
  EXPECT_EQ(h.hs.All("contacts").size(), 2u) << "never a third copy";
  const store::SyncError* dup = FindError(*h.store, "Duplicates");
  ASSERT_TRUE(dup);
  EXPECT_NE(dup->message.find("salesforce_contact_id"), std::string::npos) << dup->message;
}

const char* kPeopleAndLeadsIntoSalesforce = R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in salesforce
  conflict two_way
  LastName <-> lastname
  Email    <-> email with lowerAscii(trim(_))
}
sync leads: salesforce.Lead <-> hubspot.contacts {
  match email
  create in salesforce
  conflict two_way
  LastName <-> lastname
  Email    <-> email with lowerAscii(trim(_))
  on create salesforce {
    Company = coalesce(company, "[not provided]")
  }
}
)";

// Soak seed 110261368: `people` sent a create of HubSpot contact 101 that Salesforce answered
// 502 (it may have been made); `leads`, next in the same pass, saw 101 linked nowhere and made
// a Lead of it. The Contact was never made, `people`'s entry for 101 stayed forever, and the
// person became a Lead where a fault-free pass makes a Contact. A record whose create is in
// flight belongs to the sync that sent it until that create is accounted for.
TEST(SyncEngine, ARecordWhoseCreateIsInFlightIsNotCreatedByAnotherSync) {
  Harness h(kPeopleAndLeadsIntoSalesforce);
  LostAckConnector lossy(h.sf, 1, /*copies=*/0);  // the first create is lost before it lands
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, lossy, h.hs);
  h.PutHs("101", {{"lastname", "Hal"}, {"email", "hal@example.com"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  EXPECT_TRUE(h.sf.All("Lead").empty()) << "not a Lead while the Contact's create is in flight";
  WaitBackoff(*h.store);
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  ASSERT_EQ(h.sf.All("Contact").size(), 1u) << "found by neither key nor id: the create is sent again";
  EXPECT_TRUE(h.sf.All("Lead").empty());
  auto link = h.store->FindBySalesforce("people", h.sf.All("Contact")[0]["Id"].get<std::string>());
  ASSERT_TRUE(link);
  EXPECT_EQ(link->hubspot_id, "101");
  EXPECT_TRUE(h.store->Errors("").empty()) << "the create's entry is resolved";
}

const char* kPeopleIntoSalesforceLeadsIntoHubSpot = R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in salesforce
  conflict two_way
  LastName <-> lastname
  Email    <-> email with lowerAscii(trim(_))
}
sync leads: salesforce.Lead <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  LastName <-> lastname
  Email    <-> email with lowerAscii(trim(_))
}
)";

// Soak seed 120261499, the other way round: `leads` made a HubSpot contact of a Lead and the
// response was lost (the contact exists). Next pass `people`, which runs first, saw that contact
// linked nowhere and made a Salesforce Contact of it; `leads` then quarantined its own Lead. What
// an open create may have made belongs to the sync that sent it, found by the key it wrote.
TEST(SyncEngine, WhatALostCreateMadeIsNotTakenByAnotherSync) {
  Harness h(kPeopleIntoSalesforceLeadsIntoHubSpot);
  LostAckConnector lossy(h.hs, 1);  // the create lands, its response is lost
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, lossy);
  h.sf.Put(h.Obj(System::kSalesforce, "Lead"), {{"Id", "00QL1"},
                                                {"LastName", "Hopper"},
                                                {"Email", "grace@example.com"},
                                                {"Company", "Navy"},
                                                {"IsDeleted", false},
                                                {"SystemModstamp", h.Stamp()}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  ASSERT_EQ(h.hs.All("contacts").size(), 1u);
  WaitBackoff(*h.store);
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_TRUE(h.sf.All("Contact").empty()) << "no Contact made of the Lead's own HubSpot contact";
  auto link = h.store->FindBySalesforce("leads", "00QL1");
  ASSERT_TRUE(link) << "the Lead is linked to the contact its create made";
  EXPECT_EQ(link->hubspot_id, h.hs.All("contacts")[0]["id"].get<std::string>());
  EXPECT_TRUE(h.store->Errors("").empty());
}

TEST(SyncEngine, LostCreateResponseWithNothingToFindItByWaitsVisibly) {
  const std::string rules = LinkOnlyWithoutExternalId();
  Harness h(rules);
  LostAckConnector lossy(h.hs, 1);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, lossy);
  h.PutContact("003E", {{"LastName", "Noether"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  ASSERT_EQ(h.hs.All("contacts").size(), 1u);
  // a user edits the record the create made: no record holds what the create sent
  h.EditHs((*h.hs.All("contacts").begin())["id"], {{"lastname", "Noether-Emmy"}});
  WaitBackoff(*h.store);
  h.EditContact("003E", {{"Title", "Professor"}});  // a later edit makes the record fresh again
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.Total().created, 0);
  EXPECT_EQ(h.hs.All("contacts").size(), 1u) << "a create whose outcome is unknown is not sent again";
  const store::SyncError* dup = FindError(*h.store, "Duplicates");
  ASSERT_TRUE(dup) << "the record waits with a visible error";
  EXPECT_NE(dup->message.find("no response"), std::string::npos) << dup->message;
  // a definite failure (the request was refused) does not block the next try
  Harness g(rules);
  FlakyConnector refused(g.hs, 1);
  Engine e2(ViewOf(g.set, g.rules), jit::EngineKind::kInterp, *g.store, g.sf, refused);
  g.PutContact("003F", {{"LastName", "Franklin"}});
  e2.RunPass(PassOptions{});
  WaitBackoff(*g.store);
  EXPECT_EQ(e2.RunPass(PassOptions{}).Total().created, 1);
}

// The soak's seed 20261217 (tests/model/regressions/seed-20261217-lost-create-without-key.json):
// the create writes no key field (here: no email), so only the values it sent find what it made.
TEST(SyncEngine, LostCreateResponseWithoutKeyIsFoundByTheValuesItSent) {
  const std::string rules = LinkOnlyWithoutExternalId();
  Harness h(rules);
  LostAckConnector lossy(h.hs, 1);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, lossy);
  h.PutContact("003E", {{"LastName", "Noether"}});
  h.PutContact("003H", {{"LastName", "Meitner"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  ASSERT_EQ(h.hs.All("contacts").size(), 2u);
  WaitBackoff(*h.store);
  h.EditContact("003E", {{"Title", "Professor"}});
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.Total().created, 0);
  EXPECT_EQ(h.hs.All("contacts").size(), 2u) << "the create whose response was lost is not sent again";
  EXPECT_FALSE(FindError(*h.store, "Duplicates"));
  EXPECT_EQ(h.store->AllLinks("people").size(), 2u) << "both are linked, each to the record its create made";
}

TEST(SyncEngine, RelinkAfterALostCreateResponseTakesItsShadowsFromTheIntent) {
  Harness h(kPeople);
  LostAckConnector lossy(h.hs, 1);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, lossy);
  h.PutContact("003G", {{"LastName", "Hopper"}, {"Email", "grace@example.com"}, {"Title", "Captain"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  ASSERT_EQ(h.hs.All("contacts").size(), 1u);
  std::string hs_id = (*h.hs.All("contacts").begin())["id"];
  // the user edits the title in Salesforce; HubSpot's record time ends later (its
  // millisecond clock against Salesforce's seconds), with no HubSpot edit
  h.EditContact("003G", {{"Title", "Rear Admiral"}});
  h.EditHs(hs_id, json::object());
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(h.SfField("003G", "Title"), "Rear Admiral") << "the user's edit is not overwritten by our own create";
  EXPECT_EQ(h.HsProp(hs_id, "jobtitle"), "Rear Admiral");
  EXPECT_EQ(r.Total().conflicts, 0) << "HubSpot did not change since the create";
  EXPECT_EQ(h.hs.All("contacts").size(), 1u);
}

TEST(SyncEngine, ARelinkThatWritesNothingKeepsTheIntentsShadows) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  Email <-> email
  LastName <-> lastname
  FirstName <-> firstname blank default "Unknown"
}
)");
  LostAckConnector lossy(h.hs, 1);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, lossy);
  h.PutContact("003H", {{"LastName", "Hamilton"}, {"Email", "margaret@example.com"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);  // HubSpot gets firstname "Unknown"; the answer is lost
  WaitBackoff(*h.store);
  PassReport relink = engine.RunPass(PassOptions{});
  EXPECT_EQ(relink.Total().linked, 1);
  EXPECT_EQ(Harness::Writes(relink), 0);
  EXPECT_EQ(Harness::Writes(engine.RunPass(PassOptions{})), 0) << "the pair keeps the intent's shadows";
  EXPECT_TRUE(h.SfField("003H", "FirstName").is_null()) << "no side changed the field: nothing is written";
}

TEST(SyncEngine, AnUnreadableRecordBlocksCreatesIntoItsObject) {
  char tmpl[] = "/tmp/accord-unreadable-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  fs::create_directories(dir + "/hubspot");
  std::string good =
      R"({"id":"201","properties":{"email":"ada@example.com","lastname":"Lovelace","lastmodifieddate":"2026-01-01T00:00:00.000Z"},"archived":false})";
  std::ofstream(dir + "/hubspot/contacts.jsonl") << R"({"id":"201","properties":{"email":"ada@example.com",)"
                                                 << "\n";
  Harness h(kPeople);
  JsonlConnector hs(System::kHubSpot, dir + "/hubspot");
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, hs);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.Total().created, 0) << "the unreadable HubSpot record may be this person";
  bool named = false;
  for (const auto& e : h.store->Errors("people")) named |= e.salesforce_id == "003A";
  EXPECT_TRUE(named) << "the held-back record is in the error log";
  // the record becomes readable: it is linked, not duplicated
  std::ofstream(dir + "/hubspot/contacts.jsonl") << good << "\n";
  JsonlConnector hs2(System::kHubSpot, dir + "/hubspot");
  Engine again(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, hs2);
  r = again.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.Total().created, 0);
  EXPECT_EQ(r.Total().linked, 1);
  for (const auto& e : h.store->Errors(""))
    EXPECT_NE(e.sync, "(read)") << "read whole again: its read error leaves the log: " << e.message;
  EXPECT_EQ(r.errors_waiting, 0);
  fs::remove_all(dir);
}

// A system whose creates answer with an id that is already linked (a wrong
// API response): the pass logs it and goes on.
class SameIdConnector : public Wrapper {
 public:
  SameIdConnector(Connector& inner, std::string id) : Wrapper(inner), id_(std::move(id)) {}
  std::vector<WriteResult> Write(const schema::Object& o, const std::vector<WriteOp>& ops) override {
    std::vector<WriteResult> out = inner_.Write(o, ops);
    for (size_t i = 0; i < ops.size(); ++i)
      if (ops[i].kind == WriteOp::Kind::kCreate) out[i].id = id_, out[i].stored.reset();
    return out;
  }

 private:
  std::string id_;
};

TEST(SyncEngine, ACreateAnsweredWithAnAlreadyLinkedIdDoesNotAbortThePass) {
  Harness h(kPeople);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.Pass();
  std::string taken = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  SameIdConnector wrong(h.hs, taken);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, wrong);
  h.PutContact("003B", {{"LastName", "Byron"}, {"Email", "byron@example.com"}});
  h.PutContact("003C", {{"LastName", "Babbage"}, {"Email", "charles@example.com"}});
  PassReport r = engine.RunPass(PassOptions{});
  EXPECT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(h.store->FindBySalesforce("people", "003A")->hubspot_id, taken) << "the existing link is kept";
  EXPECT_FALSE(h.store->FindBySalesforce("people", "003B"));
  EXPECT_GE(r.errors_by_category["Transport"], 1);
}

// A system seen through `accord plan`: writes are answered, never made.
class NoWrites : public Wrapper {
 public:
  explicit NoWrites(Connector& inner) : Wrapper(inner) {}
  std::vector<WriteResult> Write(const schema::Object&, const std::vector<WriteOp>& ops) override {
    std::vector<WriteResult> out;
    for (const WriteOp& op : ops)
      out.push_back(WriteResult{true, op.kind == WriteOp::Kind::kCreate ? "dry" : op.id, "", "", false, {}});
    return out;
  }
};

TEST(SyncEngine, EveryLifecycleTriggerOnOneFieldFires) {
  Harness h(std::string(kPeople) + R"(
lifecycle hubspot.contacts.lifecyclestage {
  order subscriber < lead < marketingqualifiedlead < salesqualifiedlead < opportunity < customer < evangelist < other
  forward only
  when salesforce.Opportunity.StageName becomes "Qualification" then opportunity for contacts of AccountId
  when salesforce.Opportunity.StageName becomes "Closed Won" then customer for contacts of AccountId
}
)");
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"AccountId", "001A"}});
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  const auto& opp = h.Obj(System::kSalesforce, "Opportunity");
  auto put_opp = [&](const char* stage) {
    h.sf.Put(opp, {{"Id", "006A"},
                   {"Name", "Engine"},
                   {"AccountId", "001A"},
                   {"StageName", stage},
                   {"CloseDate", "2026-12-31"},
                   {"IsDeleted", false},
                   {"SystemModstamp", h.Stamp()}});
  };
  put_opp("Prospecting");
  h.Pass();
  put_opp("Closed Won");
  // plan (a dry run over connectors that answer writes without making them), then run
  NoWrites dry_sf(h.sf), dry_hs(h.hs);
  Engine planner(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, dry_sf, dry_hs);
  PassOptions plan;
  plan.dry_run = true;
  PassReport planned = planner.RunPass(plan);
  PassReport ran = h.Pass();
  EXPECT_EQ(planned.per_sync["lifecycle"].updated, 1) << "plan shows the promotion";
  EXPECT_EQ(ran.per_sync["lifecycle"].updated, 1) << "and run does it";
  EXPECT_EQ(h.HsProp(hs_id, "lifecyclestage"), "customer");
}

TEST(SyncEngine, AComputedFieldSeesTheValuesThePassDecides) {
  Harness h(std::string(kPeople).replace(std::string(kPeople).find("  Id "), 0,
                                         "  coalesce(FirstName, \"\") + \" \" + LastName -> full_name\n"));
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.Pass();
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  EXPECT_EQ(h.HsProp(hs_id, "full_name"), " Lovelace");
  h.EditHs(hs_id, {{"firstname", "Ada"}});
  h.Pass();
  EXPECT_EQ(h.SfField("003A", "FirstName"), "Ada");
  EXPECT_EQ(h.HsProp(hs_id, "full_name"), "Ada Lovelace") << "computed from the reconciled record in the same pass";
  PassOptions full;
  full.full = true;
  EXPECT_EQ(Harness::Writes(h.engine->RunPass(full)), 0) << "one pass converges";
  // a new link fills both names at once
  h.PutContact("003B", {{"FirstName", "Charles"}, {"Email", "cb@example.com"}, {"LastName", "Babbage"}});
  h.PutHs("301", {{"email", "mary@example.com"}, {"firstname", "Mary"}, {"lastname", "Somerville"}});
  h.PutContact("003C", {{"LastName", "Somerville"}, {"Email", "mary@example.com"}});
  h.Pass();
  EXPECT_EQ(h.HsProp("301", "full_name"), "Mary Somerville");
  EXPECT_EQ(Harness::Writes(h.engine->RunPass(full)), 0) << "one pass converges";
}

// Soak seed 20261231: a pair whose own write takes it out of scope (HubSpot's job title
// reaches Salesforce, `Title != "Excluded"` then excludes it) keeps its computed field: it
// was in scope when the pass read it, and out of scope a pair gets no updates (docs/sync.md).
TEST(SyncEngine, APairThePassWritesOutOfScopeKeepsItsComputedField) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  scope salesforce: Title != "Excluded"
  LastName  <-> lastname
  Email     <-> email
  Title     <- jobtitle
  coalesce(FirstName, "") + " " + LastName -> full_name
}
)");
  h.PutContact("003A", {{"FirstName", "Ada"}, {"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  ASSERT_EQ(h.HsProp(hs_id, "full_name"), "Ada Lovelace");
  h.EditHs(hs_id, {{"jobtitle", "Excluded"}});
  h.Pass();
  EXPECT_EQ(h.SfField("003A", "Title"), "Excluded");
  EXPECT_EQ(h.HsProp(hs_id, "full_name"), "Ada Lovelace") << "not blanked by the pair leaving scope";
}

// Soak seed 30261224: a blank toward a Salesforce field an update may not clear (not nillable:
// REQUIRED_FIELD_MISSING) is refused by the engine from the schema, the same in plan and run,
// instead of plan announcing a write that run then has refused.
TEST(SyncEngine, ABlankTowardARequiredSalesforceFieldIsAnErrorInPlanAndRun) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict prefer salesforce
  blank clear
  Email     <-> email
  LastName  <-> lastname
  Title     <-> jobtitle
}
)");
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"Title", "Countess"}});
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  h.EditHs(hs_id, {{"lastname", nullptr}, {"jobtitle", "Analyst"}});
  NoWrites dry_sf(h.sf), dry_hs(h.hs);
  Engine planner(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, dry_sf, dry_hs);
  PassOptions plan;
  plan.dry_run = true;
  PassReport planned = planner.RunPass(plan);
  auto blanks_last_name = [](const PassReport& r) {
    for (const Event& e : r.events)
      for (const auto& c : e.changes)
        if (e.kind == Event::Kind::kUpdate && c.field == "LastName") return true;
    return false;
  };
  EXPECT_FALSE(blanks_last_name(planned)) << "plan does not announce a write Salesforce refuses";
  h.Pass();
  EXPECT_EQ(h.SfField("003A", "LastName"), "Lovelace");
  EXPECT_EQ(h.SfField("003A", "Title"), "Analyst") << "the record's other fields are written";
  const store::SyncError* e = FindError(*h.store, "PropertyValues");
  ASSERT_TRUE(e) << "the refused blank waits visibly";
  EXPECT_NE(e->message.find("LastName"), std::string::npos) << e->message;
}

// Soak seed 20261288: a Lead whose LastName waited (REQUIRED_FIELD_MISSING) is converted and so
// leaves the leads sync's scope; the pair gets no updates, so nothing waits on the entry any more
// and it leaves the log (docs/sync.md "The error log"), as the entry of a deleted record does.
TEST(SyncEngine, APairLeavingTheScopeTakesItsErrorsOutOfTheLog) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict prefer salesforce
  scope salesforce: Title != "Excluded"
  blank clear
  Email     <-> email
  LastName  <-> lastname
  Title     -> jobtitle
}
)");
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"Title", "Countess"}});
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  h.EditHs(hs_id, {{"lastname", nullptr}});
  h.Pass();
  ASSERT_TRUE(FindError(*h.store, "PropertyValues"));
  h.EditContact("003A", {{"Title", "Excluded"}});
  h.Pass();
  EXPECT_FALSE(FindError(*h.store, "PropertyValues")) << "out of scope, nothing waits on the entry";
}

// Soak seed 70261217: a create whose response was lost (it had not landed) leaves a transient
// Transport entry for its source; the source then leaves the sync's scope (a Lead converted)
// before a pass could send the create again. Nothing waits on the entry any more, so it
// leaves the log (docs/sync.md "The error log") - before, it stayed there forever, unresolved.
TEST(SyncEngine, AnUnlinkedRecordLeavingTheScopeTakesItsErrorsOutOfTheLog) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict prefer salesforce
  scope salesforce: Title != "Excluded"
  Email     <-> email
  LastName  <-> lastname
}
)");
  LostAckConnector dropped(h.hs, 1, /*copies=*/0);  // the request never reached HubSpot
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, dropped);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"Title", "Countess"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  ASSERT_TRUE(FindError(*h.store, "Transport")) << "the lost response waits visibly";
  h.EditContact("003A", {{"Title", "Excluded"}});
  WaitBackoff(*h.store);
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  EXPECT_FALSE(FindError(*h.store, "Transport")) << "out of scope, nothing waits on the entry";
  EXPECT_TRUE(h.hs.All("contacts").empty()) << "and nothing was created out of scope";
}

// Soak seed 80261246: a record created with a trigger's value whose create toward HubSpot failed
// (transiently) fired the trigger with no target yet and was marked seen, so the pass that then
// created its twin did not promote it: the promotion was lost to a transient fault (one pass
// without the fault creates and promotes). A trigger whose target is still to come waits.
TEST(SyncEngine, ATriggerWhoseTargetsCreateFailedFiresWhenTheTargetExists) {
  Harness h(R"(
lifecycle hubspot.contacts.lifecyclestage {
  order subscriber < lead < marketingqualifiedlead < salesqualifiedlead < customer
  forward only
  when salesforce.Contact.Title becomes "CTO" then salesqualifiedlead
}
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict prefer salesforce
  Email     <-> email
  LastName  <-> lastname
}
)");
  LostAckConnector dropped(h.hs, 1, /*copies=*/0);  // the first create never reaches HubSpot
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, dropped);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"Title", "CTO"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  ASSERT_TRUE(h.hs.All("contacts").empty());
  WaitBackoff(*h.store);
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  auto link = h.store->FindBySalesforce("people", "003A");
  ASSERT_TRUE(link) << "created on the second pass";
  EXPECT_EQ(h.HsProp(link->hubspot_id, "lifecyclestage"), "salesqualifiedlead");
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  h.EditHs(link->hubspot_id, {{"lifecyclestage", "customer"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  EXPECT_EQ(h.HsProp(link->hubspot_id, "lifecyclestage"), "customer") << "fired once: seen now";
}

// `else -> null` in a values table (docs/language.md §4): an unlisted value clears the
// target, on create and on update; a listed one is translated.
TEST(SyncEngine, AValuesTableElseNullClearsTheTarget) {
  Harness h(R"(
values Source: salesforce.Contact.LeadSource -> hubspot.contacts.lead_source {
  "Web" -> "Web"
  else -> null
}
sync people: salesforce.Contact -> hubspot.contacts {
  match email
  create in hubspot
  Email      -> email
  LeadSource -> lead_source via Source
}
)");
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"LeadSource", "Web"}});
  h.PutContact("003B", {{"LastName", "Babbage"}, {"Email", "cb@example.com"}, {"LeadSource", "Other"}});
  h.Pass();
  std::string ada = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  std::string cb = h.store->FindBySalesforce("people", "003B")->hubspot_id;
  EXPECT_EQ(h.HsProp(ada, "lead_source"), "Web");
  EXPECT_TRUE(h.HsProp(cb, "lead_source").is_null() || h.HsProp(cb, "lead_source") == "")
      << h.HsProp(cb, "lead_source");
  h.EditContact("003A", {{"LeadSource", "Phone Inquiry"}});
  h.Pass();
  EXPECT_EQ(h.HsProp(ada, "lead_source"), "") << "the unlisted value cleared the property";
}

TEST(SyncEngine, AQuarantineClearsOnceItsCauseIsGone) {
  Harness h(kPeople);
  PassOptions o;
  o.cursor_overlap_ms = 0;  // only what changed since the last pass is fresh
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.PutHs("201", {{"email", "ada@example.com"}, {"lastname", "Lovelace"}});
  h.PutHs("202", {{"email", "ada@example.com"}, {"lastname", "King"}});
  ASSERT_TRUE(h.engine->RunPass(o).ok);
  auto log = h.store->Errors("people");
  ASSERT_FALSE(log.empty());
  for (const auto& e : log) EXPECT_EQ(e.category, "Duplicates") << e.message;
  // the other record goes away (merged, deleted): nothing else about 003A or 201 changes
  json gone = *h.hs.Get("contacts", "202");
  gone["archived"] = true;
  gone["properties"]["lastmodifieddate"] = h.Stamp();
  h.hs.Put(h.Obj(System::kHubSpot, "contacts"), gone);
  PassReport r = h.engine->RunPass(o);
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.Total().linked, 1) << "the quarantined record is decided again";
  ASSERT_TRUE(h.store->FindBySalesforce("people", "003A"));
  EXPECT_EQ(h.store->FindBySalesforce("people", "003A")->hubspot_id, "201");
  EXPECT_TRUE(h.store->Errors("people").empty()) << "and the resolved entry leaves the log";
}

TEST(SyncEngine, OneBadFieldHoldsBackOnlyItself) {
  const char* rules = R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  Email <-> email
  LastName <-> lastname
  Title <-> jobtitle
  LeadSource <-> lead_source
}
)";
  Harness h(rules);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  // a picklist value HubSpot does not have, beside an ordinary edit
  h.EditContact("003A", {{"Title", "Countess"}, {"LeadSource", "Carrier Pigeon"}});
  PassReport r = h.Pass();
  EXPECT_EQ(h.HsProp(hs_id, "jobtitle"), "Countess") << "the other field is written";
  auto log = h.store->Errors("people");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].message.find("lead_source"), std::string::npos) << log[0].message;
  // a new record with the bad value is created without it
  h.PutContact("003B", {{"LastName", "Byron"}, {"Email", "byron@example.com"}, {"LeadSource", "Carrier Pigeon"}});
  r = h.Pass();
  ASSERT_TRUE(h.store->FindBySalesforce("people", "003B"));
  std::string hs_b = h.store->FindBySalesforce("people", "003B")->hubspot_id;
  EXPECT_EQ(h.HsProp(hs_b, "lastname"), "Byron");
  EXPECT_TRUE(h.HsProp(hs_b, "lead_source").is_null());
  int entries = 0;
  for (const auto& e : h.store->Errors("people")) entries += e.salesforce_id == "003B";
  EXPECT_EQ(entries, 1) << "one problem, one entry: the create's becomes the pair's";
  // the value is fixed in Salesforce: it flows then, and the errors clear
  h.EditContact("003A", {{"LeadSource", "Web"}});
  h.EditContact("003B", {{"LeadSource", "Web"}});
  h.Pass();
  EXPECT_EQ(h.HsProp(hs_id, "lead_source"), "Web");
  EXPECT_EQ(h.HsProp(hs_b, "lead_source"), "Web");
  EXPECT_TRUE(h.store->Errors("people").empty());
}

TEST(SyncEngine, APermanentErrorIsRetriedWhenEitherRecordChanges) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict prefer salesforce
  Email <-> email
  LastName <-> lastname
  LeadSource <-> lead_source
}
)");
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  // HubSpot's clock runs far ahead of Salesforce's: its record is always the newer one
  json ahead = *h.hs.Get("contacts", hs_id);
  ahead["properties"]["lastmodifieddate"] = "2099-01-01T00:00:00.000Z";
  h.hs.Put(h.Obj(System::kHubSpot, "contacts"), ahead);
  h.EditContact("003A", {{"LeadSource", "Carrier Pigeon"}});  // HubSpot has no such option
  h.Pass();
  ASSERT_EQ(h.store->Errors("people").size(), 1u);
  h.EditContact("003A", {{"LeadSource", "Web"}});  // fixed where it came from
  h.Pass();
  EXPECT_EQ(h.HsProp(hs_id, "lead_source"), "Web") << "the Salesforce record changed, so its error is due again";
  EXPECT_TRUE(h.store->Errors("people").empty());
}

TEST(SyncEngine, DontSyncMeansNoDataPassesOnceTheRecordExists) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  Email <-> email
  LastName <-> lastname
  Title <-> jobtitle conflict dont_sync
}
)");
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"Title", "Countess"}});
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  EXPECT_EQ(h.HsProp(hs_id, "jobtitle"), "Countess") << "a create carries the value";
  h.EditContact("003A", {{"Title", "Mathematician"}});
  h.Pass();
  EXPECT_EQ(h.HsProp(hs_id, "jobtitle"), "Countess") << "an edit on one side never passes";
  h.EditHs(hs_id, {{"jobtitle", ""}});
  h.Pass();
  EXPECT_EQ(h.SfField("003A", "Title"), "Mathematician") << "nor does a deleted value";
  // an existing pair linked by its key keeps both values
  h.PutContact("003B", {{"LastName", "Byron"}, {"Email", "byron@example.com"}, {"Title", "Poet"}});
  h.PutHs("301", {{"email", "byron@example.com"}, {"lastname", "Byron"}, {"jobtitle", "Lord"}});
  h.Pass();
  EXPECT_EQ(h.SfField("003B", "Title"), "Poet");
  EXPECT_EQ(h.HsProp("301", "jobtitle"), "Lord");
  EXPECT_EQ(Harness::Writes(h.Pass()), 0);
}

TEST(SyncEngine, ASecondRecordWithALinkedKeyIsQuarantinedInPlanAndRun) {
  Harness h(kPeople);
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.Pass();
  h.PutContact("003B", {{"LastName", "Lovelace"}, {"Email", "ADA@example.com"}});
  NoWrites dry_sf(h.sf), dry_hs(h.hs);
  Engine planner(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, dry_sf, dry_hs);
  PassOptions plan;
  plan.dry_run = true;
  PassReport planned = planner.RunPass(plan);
  EXPECT_EQ(planned.Total().created, 0) << "plan does not announce a create of a linked person";
  EXPECT_EQ(planned.errors_by_category["Duplicates"], 1);
  PassReport ran = h.Pass();
  EXPECT_EQ(ran.Total().created, 0);
  EXPECT_EQ(ran.errors_by_category["Duplicates"], 1);
  EXPECT_EQ(h.hs.All("contacts").size(), 1u);
}

TEST(SyncEngine, AComputedRuleTowardTheSourceIsWrittenInTheCreatingPass) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in salesforce
  conflict two_way
  FirstName <-> firstname
  LastName <-> lastname
  Email <-> email
  Id -> salesforce_contact_id
  coalesce(FirstName, "") + " " + LastName -> full_name
}
)");
  h.PutHs("301", {{"email", "dee@example.com"}, {"lastname", "Dee"}});
  PassReport r = h.Pass();
  ASSERT_EQ(r.Total().created, 1);
  EXPECT_EQ(h.HsProp("301", "full_name"), " Dee") << "written in the pass that created the Contact";
  EXPECT_FALSE(h.HsProp("301", "salesforce_contact_id").is_null());
  EXPECT_EQ(Harness::Writes(h.Pass()), 0);
}

TEST(SyncEngine, APropagatedDeleteThatFailsIsSentAgain) {
  Harness h(std::string(kPeople).replace(std::string(kPeople).find("  conflict"), 0, "  delete propagate\n"));
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.Pass();
  std::string hs_id = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  FlakyConnector flaky(h.hs, 1);  // the delete meets a lock / 5xx once
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, flaky);
  h.EditContact("003A", {{"IsDeleted", true}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  EXPECT_EQ((*h.hs.Get("contacts", hs_id))["archived"], false);
  WaitBackoff(*h.store);
  PassReport r = engine.RunPass(PassOptions{});
  EXPECT_EQ(r.Total().deleted, 1) << "the failed delete is sent again";
  EXPECT_EQ((*h.hs.Get("contacts", hs_id))["archived"], true);
  EXPECT_EQ(Harness::Writes(engine.RunPass(PassOptions{})), 0);
}

TEST(SyncEngine, EachSideKeepsItsOwnDeleteRule) {
  Harness h(std::string(kPeople).replace(std::string(kPeople).find("  conflict"), 0,
                                         "  delete propagate from salesforce\n  delete unlink from hubspot\n"));
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}});
  h.PutContact("003B", {{"LastName", "Byron"}, {"Email", "byron@example.com"}});
  h.Pass();
  std::string hs_a = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  std::string hs_b = h.store->FindBySalesforce("people", "003B")->hubspot_id;
  h.EditContact("003A", {{"IsDeleted", true}});  // deleted in Salesforce: propagate
  json gone = *h.hs.Get("contacts", hs_b);       // deleted in HubSpot: unlink
  gone["archived"] = true;
  gone["properties"]["lastmodifieddate"] = h.Stamp();
  h.hs.Put(h.Obj(System::kHubSpot, "contacts"), gone);
  h.Pass();
  EXPECT_EQ((*h.hs.Get("contacts", hs_a))["archived"], true) << "delete propagate from salesforce";
  EXPECT_EQ(h.SfField("003B", "IsDeleted"), false) << "delete unlink from hubspot keeps the Contact";
  EXPECT_FALSE(h.store->FindBySalesforce("people", "003B")) << "and forgets the link";
}

TEST(SyncEngine, ADeletedRecordsErrorsLeaveTheLog) {
  Harness h(R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  create in hubspot
  conflict two_way
  Email <-> email
  LastName <-> lastname
  LeadSource <-> lead_source
}
)");
  h.PutContact("003A", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"LeadSource", "Carrier Pigeon"}});
  h.Pass();
  ASSERT_FALSE(h.store->Errors("people").empty()) << "created without lead_source, which waits";
  h.EditContact("003A", {{"IsDeleted", true}});
  h.Pass();
  EXPECT_TRUE(h.store->Errors("people").empty()) << "the record is gone: so is what waited for it";
}

// The example's schemas with hubspot.contacts.salesforce_contact_id unique (hasUniqueValue,
// as an admin makes the property unique); removed with the object.
struct UniqueExternalIdSchemas {
  std::string dir;
  UniqueExternalIdSchemas() {
    char tmpl[] = "/tmp/accord-unique-schemas-XXXXXX";
    dir = mkdtemp(tmpl);
    fs::copy(kSchemas, dir, fs::copy_options::recursive);
    json props = json::parse(std::ifstream(dir + "/hubspot/contacts.json"));
    for (json& p : props["results"])
      if (p["name"] == "salesforce_contact_id") p["hasUniqueValue"] = true;
    std::ofstream(dir + "/hubspot/contacts.json") << props.dump();
  }
  ~UniqueExternalIdSchemas() { fs::remove_all(dir); }
};

// The operations a system was sent.
class RecordingConnector : public Wrapper {
 public:
  explicit RecordingConnector(Connector& inner) : Wrapper(inner) {}
  std::vector<WriteResult> Write(const schema::Object& o, const std::vector<WriteOp>& ops) override {
    sent.insert(sent.end(), ops.begin(), ops.end());
    return inner_.Write(o, ops);
  }
  std::vector<WriteOp> sent;
};

// Issue 12 defect 1: a create is an upsert where the rules write the source's id into a
// property the target can upsert by, so a create the transport landed twice is one
// record (two before: LostCreateResponseSentTwiceIsQuarantinedNotCreatedAThirdTime),
// linked in the next pass by the id it carries.
TEST(SyncEngine, ACreateSentTwiceUpsertsOneRecordByAUniqueExternalId) {
  UniqueExternalIdSchemas schemas;
  Harness h(kLinkOnly, schemas.dir);
  LostAckConnector lossy(h.hs, 1, 2);
  RecordingConnector hs(lossy);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, hs);
  h.PutContact("003D", {{"LastName", "Curie"}, {"Title", "Physicist"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  ASSERT_EQ(hs.sent.size(), 1u);
  EXPECT_EQ(hs.sent[0].upsert_field, "salesforce_contact_id");
  ASSERT_EQ(h.hs.All("contacts").size(), 1u) << "the create landed twice as one record";
  WaitBackoff(*h.store);
  PassReport r = engine.RunPass(PassOptions{});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.Total().created, 0);
  EXPECT_EQ(r.Total().linked, 1);
  EXPECT_EQ(h.hs.All("contacts").size(), 1u);
  EXPECT_FALSE(FindError(*h.store, "Duplicates"));
  std::string hs_id = h.store->FindBySalesforce("people", "003D")->hubspot_id;
  EXPECT_EQ((*h.hs.Get("contacts", hs_id))["properties"]["jobtitle"], "Physicist");
  EXPECT_EQ(Harness::Writes(engine.RunPass(PassOptions{})), 0);
}

// A property without hasUniqueValue (the example's) is never upserted by: HubSpot refuses
// that ("Unable to perform update/upsert by non-unique ... property"), so the create is a
// plain create; nor is a record linked to another one that carries the id (edited by hand)
// upserted into.
TEST(SyncEngine, CreatesUpsertOnlyByAUniqueExternalIdNobodyElseCarries) {
  {
    Harness h(kLinkOnly);
    RecordingConnector hs(h.hs);
    Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, hs);
    h.PutContact("003D", {{"LastName", "Curie"}});
    ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
    ASSERT_EQ(hs.sent.size(), 1u);
    EXPECT_EQ(hs.sent[0].kind, WriteOp::Kind::kCreate);
    EXPECT_EQ(hs.sent[0].upsert_field, "") << "salesforce_contact_id is not unique in the example";
  }
  UniqueExternalIdSchemas schemas;
  Harness h(kLinkOnly, schemas.dir);
  RecordingConnector hs(h.hs);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, h.sf, hs);
  h.PutContact("003A", {{"LastName", "Lovelace"}});
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  ASSERT_EQ(hs.sent.size(), 1u);
  EXPECT_EQ(hs.sent[0].upsert_field, "salesforce_contact_id");
  std::string ada = h.store->FindBySalesforce("people", "003A")->hubspot_id;
  // someone writes another Contact's id into Ada's HubSpot record, then that Contact appears
  json j = *h.hs.Get("contacts", ada);
  j["properties"]["salesforce_contact_id"] = "003B";
  j["properties"]["lastmodifieddate"] = h.Stamp();
  h.hs.Put(h.Obj(System::kHubSpot, "contacts"), j);
  h.PutContact("003B", {{"LastName", "Byron"}});
  hs.sent.clear();
  ASSERT_TRUE(engine.RunPass(PassOptions{}).ok);
  bool created = false;
  for (const WriteOp& op : hs.sent)
    if (op.kind == WriteOp::Kind::kCreate) {
      created = true;
      EXPECT_EQ(op.upsert_field, "") << "an upsert would overwrite Ada's record";
    }
  EXPECT_TRUE(created);
  EXPECT_EQ((*h.hs.Get("contacts", ada))["properties"]["lastname"], "Lovelace");
}

// Makes every write to `table` of a state file fail, as a full disk or an I/O error
// would: a trigger that aborts the statement (raw SQL beside the store, which cannot tell).
void FailWritesTo(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string sql;
  for (const char* op : {"INSERT", "UPDATE"})
    sql += std::string("CREATE TRIGGER fail_") + op + " BEFORE " + op + " ON " + table +
           " BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END;";
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// New rules make every waiting error due again and are recorded (RuleSetView::rules_hash).
// A state file that takes neither write fails the pass: ignored, a failed re-queue still
// recorded the new rules, and the errors waiting under the old ones kept their backoff.
TEST(SyncEngine, AStateStoreThatCannotTakeTheNewRulesFailsThePass) {
  for (const std::string table : {"sync_errors", "meta"}) {
    SCOPED_TRACE(table);
    Harness h(kPeople);
    const std::string path = h.dir + "/state.db";
    {
      store::Status st;
      auto s = store::StateStore::Open(path, &st);
      ASSERT_TRUE(s) << st.message;
      ASSERT_TRUE(s->RecordError(store::SyncError{0, "people", "PropertyValues", "", "003A", "501", "bad value"}));
    }
    FailWritesTo(path, table);
    store::Status st;
    auto file = store::StateStore::Open(path, &st);
    ASSERT_TRUE(file) << st.message;
    Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *file, h.sf, h.hs);
    PassReport r = engine.RunPass(PassOptions{});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.failure.rfind("state store: ", 0), 0u) << r.failure;
    EXPECT_NE(r.failure.find("disk I/O error (test)"), std::string::npos) << r.failure;
    EXPECT_EQ(file->GetMeta("rules_hash"), std::nullopt) << "not recorded: the next pass re-queues the errors";
  }
}

// ---- operations (issue 19): the write history and drift (ops.cc) ----

// The line of `text` in the harness's rules file (its schema lines come first): the rule's
// file:line as a person reads it off the file, for the history's `rule`.
int RuleLine(const std::string& rules_text, const std::string& text) {
  size_t at = rules_text.find(text);
  EXPECT_NE(at, std::string::npos) << text;
  return 3 + static_cast<int>(std::count(rules_text.begin(), rules_text.begin() + static_cast<long>(at), '\n'));
}

bool RuleAtLine(const std::string& rule, int line) {
  return rule.find("rules.accord:" + std::to_string(line) + ":") != std::string::npos;
}

TEST(SyncEngine, TheWriteHistoryHasARowPerAcknowledgedWrite) {
  Harness h(kPeople);
  h.PutContact("003H1", {{"LastName", "Lovelace"}, {"Email", "ada@example.com"}, {"Title", "CTO"}});
  h.Pass();
  // the create: the record, then each field it carried, with its rule
  auto created = h.store->History("salesforce", "003H1", 100);
  ASSERT_GE(created.size(), 4u);
  EXPECT_EQ(created[0].kind, "create");
  EXPECT_EQ(created[0].field, "(record)");
  const std::string hs_id = *created[0].new_value;
  EXPECT_EQ(created[0].hubspot_id, hs_id);
  EXPECT_EQ(created[0].target, "hubspot.contacts");
  bool title = false;
  for (const auto& row : created)
    if (row.field == "jobtitle") {
      title = true;
      EXPECT_EQ(row.new_value, Text("CTO"));
      EXPECT_EQ(row.old_value, std::nullopt);
      EXPECT_TRUE(RuleAtLine(row.rule, RuleLine(kPeople, "Title     <-> jobtitle"))) << row.rule;
      EXPECT_EQ(row.policy, "create in hubspot");
    }
  EXPECT_TRUE(title);
  // an edit: one row, old and new value, the rule's line and the policy that decided
  h.EditContact("003H1", {{"Title", "CEO"}});
  PassReport r = h.Pass();
  auto rows = h.store->History("hubspot", hs_id, 100);
  ASSERT_EQ(rows.size(), created.size() + 1);
  const auto& last = rows.back();
  EXPECT_EQ(last.kind, "update");
  EXPECT_EQ(last.field, "jobtitle");
  EXPECT_EQ(last.old_value, Text("CTO"));
  EXPECT_EQ(last.new_value, Text("CEO"));
  EXPECT_EQ(last.policy, "two_way: only salesforce changed");
  EXPECT_TRUE(RuleAtLine(last.rule, RuleLine(kPeople, "Title     <-> jobtitle"))) << last.rule;
  EXPECT_GT(last.run, created[0].run) << "each pass is its own run";
  // both sides edit: the conflict's policy is the reason it gives
  h.EditContact("003H1", {{"MailingCity", "Paris"}});
  h.EditHs(hs_id, {{"city", "Rome"}});
  h.Pass();
  const auto conflict = h.store->History("salesforce", "003H1", 1).back();
  EXPECT_EQ(conflict.field, "MailingCity");
  EXPECT_EQ(conflict.new_value, Text("Rome"));
  EXPECT_EQ(conflict.policy.rfind("two_way: the more recent change (hubspot", 0), 0u) << conflict.policy;
}

TEST(SyncEngine, APlanAndARefusedWriteLeaveNoHistory) {
  Harness h(kPeople);
  h.PutContact("003H2", {{"LastName", "Hopper"}, {"Email", "grace@example.com"}});
  NoWrites dry_sf(h.sf), dry_hs(h.hs);
  Engine planner(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, dry_sf, dry_hs);
  PassOptions dry;
  dry.dry_run = true;
  EXPECT_TRUE(planner.RunPass(dry).ok);
  EXPECT_EQ(h.store->HistoryRows(), 0);
  h.Pass();
  int64_t after_create = h.store->HistoryRows();
  EXPECT_GT(after_create, 0);
  // a value HubSpot refuses (not one of lead_source's options) is logged, not written, not in the history
  Harness k(std::string(kPeople).replace(std::string(kPeople).find("  Id "), 0, "  LeadSource <-> lead_source\n"));
  k.PutContact("003H3", {{"LastName", "Vaughan"}, {"Email", "dorothy@example.com"}, {"LeadSource", "Trade Show"}});
  PassReport r = k.Pass();
  EXPECT_GE(r.errors_by_category["PropertyValues"], 1);
  for (const auto& row : k.store->History("salesforce", "003H3", 100)) EXPECT_NE(row.field, "lead_source");
}

TEST(SyncEngine, TheWriteHistoryKeepsItsRetention) {
  Harness h(kPeople);
  h.PutContact("003H4", {{"LastName", "Johnson"}, {"Email", "katherine@example.com"}});
  h.Pass();
  PassOptions o;
  o.history_rows = 3;
  for (int i = 0; i < 6; ++i) {
    h.EditContact("003H4", {{"Title", "T" + std::to_string(i)}});
    ASSERT_TRUE(h.engine->RunPass(o).ok);
  }
  auto rows = h.store->History("salesforce", "003H4", 100);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.back().new_value, Text("T5"));  // the newest stay
  EXPECT_EQ(rows.front().new_value, Text("T3"));
  // 0 days: nothing is kept, and nothing written
  o.history_days = 0;
  h.EditContact("003H4", {{"Title", "T6"}});
  ASSERT_TRUE(h.engine->RunPass(o).ok);
  EXPECT_EQ(h.store->HistoryRows(), 0);
}

// Propagation lag (issue 19): a write's lag runs from its source record's stamp to the
// acknowledgement, for changes stamped since the previous pass began; Salesforce stamps whole
// seconds, so a change stamped in the second that pass began counts too.
TEST(SyncEngine, APassRecordsThePropagationLagOfChangesSinceThePreviousPass) {
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  Harness h(kPeople);
  h.PutContact("003L1", {{"LastName", "Lag"}, {"Email", "lag@example.com"}});
  h.PutContact("003L2", {{"LastName", "Old"}, {"Email", "old@example.com"}});
  PassReport first = h.Pass();
  EXPECT_TRUE(first.lag_ms.empty()) << "a first pass is a backfill";
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t since = h.store->Runs(1).at(0).started_at;  // the previous pass's start
  auto stamped = [&](const std::string& id, const char* title, int64_t at) {
    h.EditContact(id, {{"Title", title}});
    json j = *h.sf.Get("Contact", id);
    j["SystemModstamp"] = IsoMillis(at);
    h.sf.Put(h.Obj(System::kSalesforce, "Contact"), j);
  };
  const int64_t whole = since / 1000 * 1000;  // the second the previous pass began, as Salesforce stamps it
  stamped("003L1", "Counted", whole);
  stamped("003L2", "Backfill", whole - 5000);  // before the previous pass: not a lag
  const int64_t before = now();
  PassReport r = h.Pass();
  const int64_t after = now();
  ASSERT_EQ(r.lag_ms.count("people"), 1u);
  ASSERT_EQ(r.lag_ms["people"].size(), 1u) << "one write counted, the backfill not";
  EXPECT_GE(r.lag_ms["people"][0], before - whole);
  EXPECT_LE(r.lag_ms["people"][0], after - whole);
  json stats = json::parse(h.store->Runs(1).at(0).stats);
  EXPECT_EQ(stats["syncs"]["people"]["lag"]["n"], 1);
  EXPECT_EQ(stats["syncs"]["people"]["lag"]["p50_ms"], r.lag_ms["people"][0]);
}

TEST(SyncEngine, AStateStoreThatCannotTakeTheHistoryFailsThePass) {
  Harness h(kPeople);
  const std::string path = h.dir + "/state.db";
  {
    store::Status st;
    ASSERT_TRUE(store::StateStore::Open(path, &st)) << st.message;
  }
  FailWritesTo(path, "write_history");
  store::Status st;
  auto file = store::StateStore::Open(path, &st);
  ASSERT_TRUE(file) << st.message;
  h.PutContact("003H5", {{"LastName", "Jackson"}, {"Email", "mary@example.com"}});
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *file, h.sf, h.hs);
  PassReport r = engine.RunPass(PassOptions{});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.failure.find("disk I/O error (test)"), std::string::npos) << r.failure;
}

const char* kDrift = R"(
sync people: salesforce.Contact <-> hubspot.contacts {
  match email
  scope salesforce: Title != "Excluded"
  create in hubspot
  conflict two_way
  blank ignore
  LastName  <-> lastname
  Email     <-> email with lowerAscii(trim(_))
  Title      -> jobtitle
  MailingCity <-> city
  Phone     <-> phone conflict dont_sync
}
)";

std::map<std::string, std::string> DriftOf(Harness& h) {
  std::vector<DriftItem> items;
  NoWrites dry_sf(h.sf), dry_hs(h.hs);
  Engine planner(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, dry_sf, dry_hs);
  PassOptions o;
  o.dry_run = o.full = true;
  o.drift = &items;
  EXPECT_TRUE(planner.RunPass(o).ok);
  std::map<std::string, std::string> out;  // "sf id field" -> reason
  for (const auto& d : items) out[d.salesforce_id + " " + d.field[0]] = d.reason;
  return out;
}

TEST(SyncEngine, DriftNamesEachFieldThatDisagreesAndWhy) {
  Harness h(kDrift);
  h.PutContact("003D1", {{"LastName", "A"}, {"Email", "a@x.com"}, {"Title", "CTO"}, {"Phone", "1"}});
  h.PutHs("501", {{"email", "a@x.com"}, {"lastname", "A"}, {"jobtitle", "CTO"}, {"phone", "2"}});
  h.PutContact("003D2", {{"LastName", "B"}, {"Email", " B@X.com"}, {"MailingCity", "Oslo"}});
  h.PutContact("003D3", {{"LastName", "C"}, {"Email", "c@x.com"}, {"MailingCity", "Rome"}});
  h.Pass();
  // right after a pass only the dont_sync phone differs (the email's case is the rule's own transform)
  EXPECT_EQ(DriftOf(h), (std::map<std::string, std::string>{{"003D1 Phone", "dont_sync"}}));
  h.EditHs("501", {{"jobtitle", "Countess"}});                                // one way: not carried back
  h.EditContact("003D2", {{"MailingCity", nullptr}});                         // a blank is never written
  h.EditContact("003D3", {{"Title", "Excluded"}, {"MailingCity", "Milan"}});  // out of scope
  h.Pass();
  h.EditContact("003D1", {{"LastName", "AA"}});  // not carried yet
  auto drift = DriftOf(h);
  EXPECT_EQ(drift, (std::map<std::string, std::string>{{"003D1 Phone", "dont_sync"},
                                                       {"003D1 Title", "one_way"},
                                                       {"003D1 LastName", "pending"},
                                                       {"003D2 MailingCity", "blank_ignore"},
                                                       {"003D3 MailingCity", "out_of_scope"},
                                                       {"003D3 Title", "out_of_scope"}}));
  // drift writes nothing: the next pass still carries the last name
  EXPECT_EQ(h.HsProp("501", "lastname"), "A");
  h.Pass();
  EXPECT_EQ(h.HsProp("501", "lastname"), "AA");
  EXPECT_FALSE(DriftOf(h).count("003D1 LastName"));
}

}  // namespace
}  // namespace accord::sync
