// Fault injection: every kind of fault, reproducible by seed, configurable per
// run and live through the admin endpoints; plus the other admin endpoints and
// their guard (the sandbox token, the sandbox's own origin only).
#include <chrono>

#include "sandbox/test_util.h"

namespace accord::sandbox::testing {
namespace {

const std::string kV = "/services/data/v59.0";
const std::string kC = "/crm/v3/objects/contacts";

class Faults : public SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    hs->Post("/__sandbox/config", Json{{"rate_limit_max", 1000000}});  // the test clock stands still
  }
  void SetFaults(Http& h, const Json& f) {
    Resp r = h.Post("/__sandbox/faults", f);
    ASSERT_EQ(r.status, 200) << r.raw;
  }
  size_t HubSpotContacts() {
    Json dump = hs->Get("/__sandbox/dump").body;
    size_t n = 0;
    for (const Json& r : dump["objects"]["contacts"]["records"]) n += r["archived"] == false;
    return n;
  }
  size_t SalesforceContacts() {
    Json dump = sf->Get("/__sandbox/dump").body;
    size_t n = 0;
    for (const Json& r : dump["objects"]["Contact"]["records"]) n += r.value("IsDeleted", false) == false;
    return n;
  }
  // The status of n identical requests under the current faults.
  std::vector<int> Statuses(Http& h, const std::string& path, int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(h.Get(path).status);
    return out;
  }
};

TEST_F(Faults, SameSeedSameFaultsDifferentSeedDifferentFaults) {
  Json f{{"seed", 7}, {"error_rate", 0.3}, {"storm_rate", 0.1}, {"storm_length", 2}};
  SetFaults(*hs, f);
  std::vector<int> a = Statuses(*hs, kC, 60);
  SetFaults(*hs, f);  // setting faults restarts the sequence
  std::vector<int> b = Statuses(*hs, kC, 60);
  EXPECT_EQ(a, b);
  f["seed"] = 8;
  SetFaults(*hs, f);
  std::vector<int> c = Statuses(*hs, kC, 60);
  EXPECT_NE(a, c);
  int errors = 0, storms = 0, ok = 0;
  for (int s : a) {
    errors += s >= 500;
    storms += s == 429;
    ok += s == 200;
  }
  EXPECT_GT(errors, 5);
  EXPECT_GT(storms, 0);
  EXPECT_GT(ok, 10);
  // A fresh sandbox started with the same faults per run sees the same sequence.
  FaultConfig fc;
  ASSERT_TRUE(
      FaultConfig::FromJson(Json{{"seed", 7}, {"error_rate", 0.3}, {"storm_rate", 0.1}, {"storm_length", 2}}, &fc));
  StartWith(ExampleSeed(), std::nullopt, fc);
  hs->Post("/__sandbox/config", Json{{"rate_limit_max", 1000000}});
  EXPECT_EQ(Statuses(*hs, kC, 60), a);
}

TEST_F(Faults, ServerErrorsAreNotProcessed) {
  SetFaults(*sf, {{"error_rate", 1.0}});
  size_t before = SalesforceContacts();
  Resp r = sf->Post(kV + "/sobjects/Contact", Json{{"LastName", "Lost"}});
  EXPECT_TRUE(r.status == 500 || r.status == 502 || r.status == 503) << r.status;
  ASSERT_TRUE(r.body.is_array());
  EXPECT_TRUE(r.body[0]["errorCode"] == "UNKNOWN_EXCEPTION" || r.body[0]["errorCode"] == "SERVER_UNAVAILABLE");
  EXPECT_EQ(SalesforceContacts(), before);
  size_t hs_before = HubSpotContacts();
  SetFaults(*hs, {{"error_rate", 1.0}});
  r = hs->Post(kC, Json{{"properties", {{"firstname", "Lost"}}}});
  EXPECT_GE(r.status, 500);
  EXPECT_EQ(r.body["category"], "INTERNAL_ERROR");
  EXPECT_EQ(HubSpotContacts(), hs_before);
}

TEST_F(Faults, DroppedConnectionsBeforeAndAfterProcessing) {
  size_t hs_before = HubSpotContacts();
  SetFaults(*hs, {{"drop_rate", 1.0}});
  Resp r = hs->Post(kC, Json{{"properties", {{"firstname", "Dropped"}}}});
  EXPECT_EQ(r.status, 0);  // no response at all
  EXPECT_NE(r.error, httplib::Error::Success);
  EXPECT_EQ(HubSpotContacts(), hs_before);  // not processed
  SetFaults(*hs, {{"drop_after_rate", 1.0}});
  r = hs->Post(kC, Json{{"properties", {{"firstname", "Committed"}}}});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(HubSpotContacts(), hs_before + 1);  // processed, the response was lost
  SetFaults(*sf, {{"drop_after_rate", 1.0}});
  size_t before = SalesforceContacts();
  r = sf->Post(kV + "/sobjects/Contact", Json{{"LastName", "Committed"}});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(SalesforceContacts(), before + 1);
}

TEST_F(Faults, MalformedRecordsInsideAPage) {
  SetFaults(*hs, {{"malformed_rate", 1.0}});
  Resp r = hs->Get(kC + "?limit=3");
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.body["results"].empty());
  for (const Json& rec : r.body["results"]) {
    EXPECT_TRUE(rec["properties"].is_string()) << rec.dump();
    EXPECT_TRUE(rec.contains("id")) << "the record keeps its id: the reader can name it";
  }
  SetFaults(*sf, {{"malformed_rate", 1.0}});
  r = sf->Get(kV + "/query?q=SELECT+Id,LastName+FROM+Contact");
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.body["records"].empty());
  for (const Json& rec : r.body["records"]) {
    EXPECT_TRUE(rec["LastName"].is_object()) << rec.dump();
    EXPECT_TRUE(rec["Id"].is_string());
  }
  // nothing stored changed, and writes are not touched
  SetFaults(*hs, Json::object());
  SetFaults(*sf, Json::object());
  r = hs->Get(kC + "?limit=3");
  for (const Json& rec : r.body["results"]) EXPECT_TRUE(rec["properties"].is_object());
  r = sf->Get(kV + "/query?q=SELECT+Id,LastName+FROM+Contact");
  for (const Json& rec : r.body["records"]) EXPECT_TRUE(rec["LastName"].is_string() || rec["LastName"].is_null());
  // some, not all, at a lower rate
  SetFaults(*hs, {{"malformed_rate", 0.5}, {"seed", 7}});
  r = hs->Get(kC + "?limit=20");
  int bad = 0;
  for (const Json& rec : r.body["results"]) bad += rec["properties"].is_string();
  EXPECT_GT(bad, 0);
  EXPECT_LT(bad, static_cast<int>(r.body["results"].size()));
}

TEST_F(Faults, RateLimitStorms) {
  SetFaults(*hs, {{"storm_rate", 1.0}, {"storm_length", 3}});
  Resp r = hs->Get(kC);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body["policyName"], "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(r.Header("Retry-After"), "1");
  SetFaults(*sf, {{"storm_rate", 1.0}});
  r = sf->Get(kV + "/sobjects");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body[0]["errorCode"], "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(r.body[0]["message"], "ConcurrentPerOrgLongTxn Limit exceeded.");
  // A storm has its length: with a small rate, storms come as runs of 429s.
  SetFaults(*hs, {{"seed", 3}, {"storm_rate", 0.05}, {"storm_length", 4}});
  std::vector<int> s = Statuses(*hs, kC, 200);
  size_t run = 0, max_run = 0;
  for (int st : s) {
    run = st == 429 ? run + 1 : 0;
    max_run = std::max(max_run, run);
  }
  EXPECT_GE(max_run, 4u);
}

TEST_F(Faults, PartialBatchFailures) {
  SetFaults(*sf, {{"seed", 11}, {"partial_rate", 0.3}});
  Json records = Json::array();
  for (int i = 0; i < 40; ++i)
    records.push_back({{"attributes", {{"type", "Contact"}}}, {"LastName", "P" + std::to_string(i)}});
  size_t before = SalesforceContacts();
  Resp r = sf->Post(kV + "/composite/sobjects", Json{{"records", records}});
  ASSERT_EQ(r.status, 200) << r.raw;
  std::vector<bool> failed;
  size_t n_failed = 0;
  for (const Json& res : r.body) {
    bool f = !res["success"].get<bool>();
    failed.push_back(f);
    if (f) {
      ++n_failed;
      EXPECT_EQ(res["errors"][0]["statusCode"], "UNABLE_TO_LOCK_ROW");
    }
  }
  EXPECT_GT(n_failed, 3u);
  EXPECT_LT(n_failed, 30u);
  EXPECT_EQ(SalesforceContacts(), before + 40 - n_failed);
  // the same seed fails the same records
  SetFaults(*sf, {{"seed", 11}, {"partial_rate", 0.3}});
  r = sf->Post(kV + "/composite/sobjects", Json{{"records", records}});
  for (size_t i = 0; i < failed.size(); ++i) EXPECT_EQ(!r.body[i]["success"].get<bool>(), failed[i]) << i;

  size_t hs_before = HubSpotContacts();
  SetFaults(*hs, {{"seed", 11}, {"partial_rate", 0.3}});
  Json inputs = Json::array();
  for (int i = 0; i < 40; ++i) inputs.push_back({{"properties", {{"firstname", "P" + std::to_string(i)}}}});
  r = hs->Post(kC + "/batch/create", Json{{"inputs", inputs}});
  EXPECT_EQ(r.status, 207) << r.raw;
  size_t errs = r.body["numErrors"];
  EXPECT_GT(errs, 3u);
  EXPECT_EQ(r.body["results"].size() + errs, 40u);
  EXPECT_EQ(HubSpotContacts(), hs_before + 40 - errs);
}

TEST_F(Faults, LatencyIsAdded) {
  SetFaults(*hs, {{"latency_ms", 150}});
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(hs->Get(kC).status, 200);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(ms, 150);  // a lower bound only: never an upper bound on timing
}

TEST_F(Faults, PathFilterAndAdminEndpointsAreExempt) {
  SetFaults(*hs, {{"error_rate", 1.0}, {"path", "/batch/"}});
  EXPECT_EQ(hs->Get(kC).status, 200);
  EXPECT_GE(hs->Post(kC + "/batch/read", Json{{"inputs", Json::array()}}).status, 500);
  SetFaults(*hs, {{"error_rate", 1.0}, {"drop_rate", 1.0}});
  EXPECT_EQ(hs->Get("/__sandbox/dump").status, 200);
  Resp f = hs->Get("/__sandbox/faults");
  EXPECT_EQ(f.body["drop_rate"], 1.0);
  // invalid settings are refused and change nothing
  EXPECT_EQ(hs->Post("/__sandbox/faults", Json{{"error_rate", 2}}).status, 400);
  EXPECT_EQ(hs->Post("/__sandbox/faults", Json{{"nonsense", 1}}).status, 400);
  EXPECT_EQ(hs->Post("/__sandbox/faults", Json{{"path", "("}}).status, 400);
  EXPECT_EQ(hs->Do("POST", "/__sandbox/faults", "{bad").status, 400);
  EXPECT_EQ(hs->Get("/__sandbox/faults").body["drop_rate"], 1.0);
  SetFaults(*hs, Json::object());  // {} = no faults
  EXPECT_EQ(hs->Get(kC).status, 200);
}

// The admin endpoints reveal and change everything: a web page open in the
// user's browser must not reach them. Without the sandbox token, with a wrong
// one, or from another origin they refuse and change nothing; the sandbox's own
// origin with the token is served, and no answer carries CORS headers.
TEST_F(Faults, AdminEndpointsNeedTheTokenAndRefuseOtherOrigins) {
  struct Case {
    Http* api;
    std::string base, method, path;
    Json body;
  };
  std::vector<Case> cases;
  for (auto [api, base] :
       {std::pair<Http*, std::string>{sf.get(), sb->salesforce_url()}, {hs.get(), sb->hubspot_url()}}) {
    cases.push_back({api, base, "GET", "/__sandbox/dump", nullptr});
    cases.push_back({api, base, "GET", "/__sandbox/faults", nullptr});
    cases.push_back({api, base, "POST", "/__sandbox/faults", Json{{"drop_rate", 1.0}}});
    cases.push_back({api, base, "GET", "/__sandbox/config", nullptr});
    cases.push_back({api, base, "POST", "/__sandbox/config", Json{{"daily_api_limit", 1}}});
    cases.push_back({api, base, "POST", "/__sandbox/reset", Json::object()});
    cases.push_back({api, base, "GET", "/__sandbox/clock", nullptr});
    cases.push_back({api, base, "POST", "/__sandbox/clock", Json{{"advance_ms", 3600000}}});
  }
  cases.push_back({sf.get(), sb->salesforce_url(), "POST", "/__sandbox/expire-sessions", Json::object()});
  Resp created = hs->Post(kC, Json{{"properties", {{"email", "kept@example.com"}}}});
  ASSERT_EQ(created.status, 201);
  const size_t contacts = HubSpotContacts();
  auto send = [](const Case& c, const std::string& token, httplib::Headers extra) {
    Http h(c.base, token);
    return h.Do(c.method, c.path, c.body.is_null() ? "" : DumpJson(c.body), std::move(extra));
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.base + " " + c.method + " " + c.path);
    Resp none = send(c, "", {});
    EXPECT_EQ(none.status, 401) << none.raw;
    EXPECT_NE(none.raw.find("Authorization: Bearer"), std::string::npos) << none.raw;
    EXPECT_EQ(send(c, "not-the-sandbox-token", {}).status, 401);
    for (const std::string& origin : std::vector<std::string>{
             "http://evil.example", "http://127.0.0.1.nip.io:" + c.base.substr(c.base.rfind(':') + 1), "null"}) {
      Resp cross = send(c, sb->token(), {{"Origin", origin}});
      EXPECT_EQ(cross.status, 403) << origin << ": " << cross.raw;
      EXPECT_NE(cross.raw.find("cross-origin request refused"), std::string::npos) << cross.raw;
      EXPECT_EQ(cross.Header("Access-Control-Allow-Origin"), "");
    }
  }
  // Nothing refused took effect.
  EXPECT_EQ(HubSpotContacts(), contacts) << "a refused reset reset the state";
  for (Http* api : {sf.get(), hs.get()}) {
    EXPECT_EQ(api->Get("/__sandbox/faults").body["drop_rate"], 0.0);
    EXPECT_EQ(api->Get("/__sandbox/clock").body["offset_ms"], 0);
  }
  EXPECT_NE(sf->Get("/__sandbox/config").body["daily_api_limit"], 1);
  // The sandbox's own origin, with the token: served, and still no CORS headers.
  for (const Case& c : cases) {
    if (c.method != "GET") continue;
    SCOPED_TRACE(c.base + " " + c.path);
    Resp own = send(c, sb->token(), {{"Origin", c.base}});
    EXPECT_EQ(own.status, 200) << own.raw;
    EXPECT_EQ(own.Header("Access-Control-Allow-Origin"), "");
  }
}

TEST_F(Faults, DumpResetClockAndConfig) {
  size_t before = HubSpotContacts();
  Resp c = hs->Post(kC, Json{{"properties", {{"firstname", "Temp"}}}});
  ASSERT_EQ(c.status, 201);
  EXPECT_EQ(HubSpotContacts(), before + 1);
  EXPECT_EQ(hs->Post("/__sandbox/reset", Json::object()).status, 200);
  EXPECT_EQ(HubSpotContacts(), before);
  Resp clock = sf->Post("/__sandbox/clock", Json{{"advance_ms", 60000}});
  ASSERT_EQ(clock.status, 200);
  EXPECT_EQ(clock.body["now_ms"], Now() + 60000);
  EXPECT_EQ(sf->Post("/__sandbox/clock", Json{{"advance_ms", -1}}).status, 400);
  Resp cfg = sf->Get("/__sandbox/config");
  EXPECT_EQ(cfg.body["query_page_size"], 2000);
  EXPECT_EQ(sf->Post("/__sandbox/config", Json{{"query_page_size", 0}}).status, 400);
  EXPECT_EQ(sf->Post("/__sandbox/config", Json{{"bogus", 0}}).status, 400);
  Json dump = sf->Get("/__sandbox/dump").body;
  EXPECT_EQ(dump["system"], "salesforce");
  EXPECT_EQ(dump["objects"]["Contact"]["records"].size(), 5u);
  EXPECT_EQ(dump["objects"]["Contact"]["deleted"].size(), 1u);
}

TEST_F(Faults, SeedFolderSettingsAndErrors) {
  TempSeed seed;
  seed.Write("sandbox.json",
             R"({"salesforce": {"daily_api_limit": 2, "faults": {"error_rate": 1.0, "path": "^/nothing"}},
                                 "hubspot": {"lifecycle_backward": "reject"}})");
  seed.Write(
      "data/hubspot/contacts.jsonl",
      R"({"id":"501","properties":{"email":"seed@example.com","lifecyclestage":"customer"},"createdAt":"2024-01-02T03:04:05.000Z","updatedAt":"2024-01-02T03:04:05.000Z","archived":false})"
      "\n");
  seed.Write("data/hubspot/companies.jsonl", R"({"id":"601","properties":{"name":"Seed Co"}})"
                                             "\n");
  seed.Write("data/hubspot/associations.jsonl", R"({"from":"contacts","fromId":"501","to":"companies","toId":"601"})"
                                                "\n");
  StartWith(seed.dir());
  EXPECT_EQ(sf->Get("/__sandbox/config").body["daily_api_limit"], 2);
  EXPECT_EQ(sf->Get("/__sandbox/faults").body["path"], "^/nothing");
  Resp g = hs->Get(kC + "/501?properties=email");
  ASSERT_EQ(g.status, 200) << g.raw;
  EXPECT_EQ(g.body["createdAt"], "2024-01-02T03:04:05.000Z");
  EXPECT_EQ(hs->Patch(kC + "/501", Json{{"properties", {{"lifecyclestage", "lead"}}}}).status, 400);
  EXPECT_EQ(hs->Get("/crm/v4/objects/contacts/501/associations/companies").body["results"][0]["toObjectId"], 601);
  Resp n = hs->Post(kC, Json{{"properties", {{"email", "n@example.com"}}}});
  EXPECT_GT(std::stoll(n.body["id"].get<std::string>()), 601);  // new ids never collide with seeded ones

  // Broken seeds are errors with the file and line, never a crash.
  auto fails = [&](const std::string& rel, const std::string& text, const std::string& needle) {
    TempSeed bad;
    bad.Write(rel, text);
    SandboxOptions o;
    o.seed_dir = bad.dir();
    Status s;
    auto box = Sandbox::Start(o, &s);
    EXPECT_FALSE(box) << rel;
    EXPECT_NE(s.message.find(needle), std::string::npos) << s.message;
  };
  fails("data/salesforce/Contact.jsonl", "{\"LastName\":\"x\",\"Nope__c\":1}\n", "Contact.jsonl:1");
  fails("data/salesforce/Widget.jsonl", "{}\n", "no schema for object 'Widget'");
  fails("data/hubspot/contacts.jsonl", "{\"properties\":{\"email\":\"a@b.c\"}}\nnot json\n", "contacts.jsonl:2");
  fails("sandbox.json", "{\"salesforce\":{\"validation_rules\":[{\"object\":\"Contact\",\"condition\":\"Email = \"}]}}",
        "validation_rules");
  fails("sandbox.json", "{\"hubspot\":{\"rate_limit_max\":-1}}", "rate_limit_max");
  fails("schemas/salesforce/Broken.json", "{\"name\":\"Broken\",\"fields\":[", "Broken.json");
  SandboxOptions o;
  o.seed_dir = "/nonexistent/seed";
  Status s;
  EXPECT_FALSE(Sandbox::Start(o, &s));
  EXPECT_NE(s.message.find("does not exist"), std::string::npos);
}

// Reset loads the seed again. When that fails — a record the seed leaves without an Id gets the
// next generated id, which the seed gives another record — the reset answers 500 with the
// seed's error instead of 200 over a half-loaded org.
TEST_F(Faults, AResetWhoseSeedNoLongerLoadsIsAnError) {
  const std::string generated = "{\"LastName\":\"Generated\"}\n";
  std::string first;
  {
    TempSeed probe;
    probe.Write("data/salesforce/Contact.jsonl", generated);
    StartWith(probe.dir());
    first = sf->Get("/__sandbox/dump").body["objects"]["Contact"]["records"][0]["Id"];
  }
  const std::string prefix = first.substr(0, 3);
  uint64_t n = 1;
  while (n < 100000 && MakeSalesforceId(prefix, n) != first) ++n;
  ASSERT_LT(n, 100000u) << first;
  TempSeed seed;
  seed.Write("data/salesforce/Contact.jsonl",
             generated + "{\"Id\":\"" + MakeSalesforceId(prefix, n + 1) + "\",\"LastName\":\"Seeded\"}\n");
  StartWith(seed.dir());  // loads: the generated record comes first and gets id n
  Resp r = sf->Post("/__sandbox/reset", Json::object());
  EXPECT_EQ(r.status, 500) << r.raw;
  EXPECT_NE(r.body.value("error", std::string()).find("Contact.jsonl:2: duplicate Id"), std::string::npos) << r.raw;
}

TEST_F(Faults, PortInUseIsAnError) {
  SandboxOptions o;
  o.seed_dir = ExampleSeed();
  o.salesforce_port = sb->salesforce().port();
  Status s;
  EXPECT_FALSE(Sandbox::Start(o, &s));
  EXPECT_NE(s.message.find("cannot listen"), std::string::npos) << s.message;
}

}  // namespace
}  // namespace accord::sandbox::testing
