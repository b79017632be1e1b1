// The sync engine over in-memory jsonl connectors and a real (in-memory)
// SQLite store: reliability properties (echo, ping-pong, every conflict
// policy x blank policy, bad data, deletes and tombstones, merges).
#include "runtime/sync/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "compiler/driver/driver.h"
#include "runtime/sync/jsonl_connector.h"
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

  explicit Harness(const std::string& rules_text) {
    char tmpl[] = "/tmp/accord-engine-test-XXXXXX";
    dir = mkdtemp(tmpl);
    std::ofstream(dir + "/rules.accord") << "schema salesforce \"" << kSchemas << "/salesforce\"\n"
                                         << "schema hubspot \"" << kSchemas << "/hubspot\"\n"
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
    static const int64_t start = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch()).count();
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
    h.PutContact("003E" + std::to_string(i),
                 {{"LastName", "L" + std::to_string(i)}, {"Email", "  Mixed.Case" + std::to_string(i) + "@Example.COM "}});
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
    h.PutContact("003I" + std::to_string(i), {{"LastName", "L" + std::to_string(i)}, {"Email", "i" + std::to_string(i) + "@example.com"}});
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

// A system whose first `failures` writes fail transiently (a lock, a 503, a lost
// response), as the HTTP connectors report them.
class FlakyConnector : public Connector {
 public:
  FlakyConnector(Connector& inner, int failures) : inner_(inner), failures_(failures) {}
  schema::System system() const override { return inner_.system(); }
  bool Load(const schema::Object& o, std::vector<Record>* out, std::vector<ReadProblem>* p, std::string* e) override {
    return inner_.Load(o, out, p, e);
  }
  std::vector<WriteResult> Write(const schema::Object& o, const std::vector<WriteOp>& ops) override {
    ++attempts;
    if (failures_ > 0) {
      --failures_;
      std::vector<WriteResult> out(ops.size());
      for (auto& r : out) r = WriteResult{false, "", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access", true, {}};
      return out;
    }
    return inner_.Write(o, ops);
  }
  CallCounts calls() const override { return inner_.calls(); }
  int attempts = 0;

 private:
  Connector& inner_;
  int failures_;
};

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

// A system that knows when each field changed (HubSpot's property history).
class FieldTimesConnector : public Connector {
 public:
  explicit FieldTimesConnector(Connector& inner) : inner_(inner) {}
  schema::System system() const override { return inner_.system(); }
  bool Load(const schema::Object& o, std::vector<Record>* out, std::vector<ReadProblem>* p, std::string* e) override {
    return inner_.Load(o, out, p, e);
  }
  std::vector<WriteResult> Write(const schema::Object& o, const std::vector<WriteOp>& ops) override {
    return inner_.Write(o, ops);
  }
  CallCounts calls() const override { return inner_.calls(); }
  std::string FieldChangedAt(const schema::Object& o, const Record& r, size_t slot) override {
    ++asked;
    auto it = times.find(r.id + "/" + o.fields[slot].name);
    return it == times.end() ? "" : it->second;
  }
  std::map<std::string, std::string> times;  // "id/field" -> ISO time
  int asked = 0;

 private:
  Connector& inner_;
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
  std::string hubspot_title_time = *h.hs.Get("contacts", hs_id)->at("properties").at("lastmodifieddate").get_ptr<const std::string*>();
  h.EditContact("003F1", {{"Title", "Director"}});
  h.EditHs(hs_id, {{"city", "Stockholm"}});
  hs.times[hs_id + "/jobtitle"] = hubspot_title_time;
  PassReport r = engine.RunPass(PassOptions{});
  EXPECT_EQ(r.Total().conflicts, 1);
  EXPECT_GT(hs.asked, 0) << "the field time is asked on the conflict";
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
  g.Pass();
  EXPECT_EQ(g.SfField("003F1", "Title"), "Professor") << "record-level: the newer HubSpot record wins";
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
  EXPECT_EQ(r.errors_by_category["PropertyValues"], 1);
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
  if (p == "two_way") winner = c.hs_later ? 1 : 0;
  else if (p == "prefer salesforce") winner = 0;
  else if (p == "prefer hubspot") winner = 1;
  else if (p == "prefer salesforce unless blank") winner = sfv.empty() ? 1 : 0;
  else if (p == "prefer hubspot unless blank") winner = hsv.empty() ? 0 : 1;
  else winner = -1;  // dont_sync
  if (winner < 0) return {sfv, hsv};
  std::string win = winner == 0 ? sfv : hsv, lose = winner == 0 ? hsv : sfv;
  std::string b = c.blank;
  std::string loser_gets;
  if (!win.empty()) loser_gets = win;
  else if (b == "ignore") return {lose, lose};  // a blank never erases: the loser's value fills the blank
  else if (b == "clear") loser_gets = "";
  else loser_gets = "dflt";  // default "dflt"
  return winner == 0 ? std::make_pair(win, loser_gets) : std::make_pair(loser_gets, win);
}

TEST(SyncEngine, ConcurrentEditsFollowEveryPolicy) {
  const char* policies[] = {"two_way", "prefer salesforce", "prefer hubspot", "prefer salesforce unless blank",
                            "prefer hubspot unless blank", "dont_sync"};
  const char* blanks[] = {"ignore", "clear", "default \"dflt\""};
  int cases = 0;
  for (const char* policy : policies) {
    for (const char* blank : blanks) {
      std::string rules = std::string("sync people: salesforce.Contact <-> hubspot.contacts {\n  match email\n  conflict two_way\n") +
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
        for (int i = 0; i < 3; ++i) h.Pass();
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
    sf << R"({"Id":"003G","LastName":"Good","Email":"good@example.com","SystemModstamp":"2026-01-01T00:00:00.000Z"})" "\n";
    sf << R"({"Id":"003M","LastName": "Malformed",)" "\n";                             // malformed JSON
    sf << R"(["not", "an", "object"])" "\n";                                           // wrong shape
    sf << R"({"LastName":"No id","Email":"noid@example.com"})" "\n";                 // no Id
    sf << R"({"Id":"003T","LastName":"Typed","Email":"typed@example.com","Birthdate":"not a date"})" "\n";  // wrong type
    sf << R"({"Id":"003P","LastName":"Pick","Email":"pick@example.com","LeadSource":"Carrier Pigeon"})" "\n";
    sf << R"({"Id":"003L","LastName":"Long","Email":"long@example.com","Title":")" << std::string(200, 'z') << "\"}\n";
    sf << R"({"Id":"003G2","LastName":"Also good","Email":"good2@example.com"})" "\n";
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
  ASSERT_TRUE(hs.Load(h.Obj(System::kHubSpot, "contacts"), &created, &problems, &error));
  std::set<std::string> emails;
  for (const Record& rec : created)
    emails.insert(*rec.values[h.Obj(System::kHubSpot, "contacts").FindField("email") -
                              h.Obj(System::kHubSpot, "contacts").fields.data()]);
  EXPECT_TRUE(emails.count("good@example.com"));
  EXPECT_TRUE(emails.count("good2@example.com"));
  EXPECT_TRUE(emails.count("long@example.com"));
  EXPECT_FALSE(emails.count("typed@example.com"));
  EXPECT_FALSE(emails.count("pick@example.com"));
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

TEST(SyncEngine, DryRunWritesNothing) {
  Harness h(kPeople);
  char tmpl[] = "/tmp/accord-dry-run-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  fs::create_directories(dir + "/salesforce");
  const std::string line = R"({"Id":"003A","LastName":"Lovelace","Email":"ada@example.com"})" "\n";
  std::ofstream(dir + "/salesforce/Contact.jsonl") << line;
  JsonlConnector sf_dry(System::kSalesforce, dir + "/salesforce", true), hs_dry(System::kHubSpot, dir + "/hubspot", true);
  Engine engine(ViewOf(h.set, h.rules), jit::EngineKind::kInterp, *h.store, sf_dry, hs_dry);
  PassOptions o;
  o.dry_run = true;
  PassReport r = engine.RunPass(o);
  EXPECT_EQ(r.Total().created, 1);
  EXPECT_EQ(r.hubspot_calls.writes, 1);  // the projected call
  EXPECT_FALSE(fs::exists(dir + "/hubspot"));  // nothing stored
  std::ifstream in(dir + "/salesforce/Contact.jsonl");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), line);
  EXPECT_TRUE(h.store->AllLinks("people").empty());  // the store rolled back
  EXPECT_TRUE(h.store->Errors("").empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace accord::sync
