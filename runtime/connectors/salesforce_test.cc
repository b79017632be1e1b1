// The Salesforce connector over real loopback HTTP against the in-process
// sandbox (sandbox/sandbox.h): loads, incremental loads, batched writes,
// per-record errors, faults, re-authentication and secret redaction.
#include "runtime/connectors/salesforce.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>

#include "sandbox/sandbox.h"

namespace accord::connectors {
namespace {

using nlohmann::json;
using sync::Record;
using sync::WriteOp;
using sync::WriteResult;

// 2026-11-30T08:00:00.000Z
constexpr int64_t kStartMs = 1796025600000;

class SalesforceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::SandboxOptions o;
    o.seed_dir = std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot";
    o.clock = [clock = clock_] { return clock->load(); };
    sandbox::Status s;
    sb_ = sandbox::Sandbox::Start(o, &s);
    ASSERT_TRUE(sb_) << s.message;
    std::vector<schema::SchemaError> errors;
    schema::LoadSchemaDir(schema::System::kSalesforce,
                          std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot/schemas/salesforce", schemas_,
                          errors);
    ASSERT_TRUE(errors.empty()) << errors[0].message;
    admin_ = std::make_unique<HttpClient>(Http());
  }
  void TearDown() override {
    if (sb_) sb_->Stop();
  }

  HttpOptions Http() {
    HttpOptions h;
    h.backoff_base_ms = 1;
    h.backoff_max_ms = 2;
    h.max_attempts = 6;
    h.timeout_ms = 20000;
    h.jitter_seed = 1;
    h.sleep = [](int64_t) {};  // no real waiting (Retry-After included)
    return h;
  }
  SalesforceOptions Options() {
    SalesforceOptions o;
    o.instance_url = sb_->salesforce_url();
    o.credentials.access_token = sb_->token();
    o.http = Http();
    return o;
  }
  std::unique_ptr<SalesforceConnector> Connect(SalesforceOptions o) {
    std::string error;
    auto c = SalesforceConnector::Open(std::move(o), &error);
    EXPECT_TRUE(c) << error;
    return c;
  }
  std::unique_ptr<SalesforceConnector> Connect() { return Connect(Options()); }

  const schema::Object& Obj(const std::string& name) {
    const schema::Object* o = schemas_.Find(schema::System::kSalesforce, name);
    EXPECT_TRUE(o) << name;
    return *o;
  }
  static size_t Slot(const schema::Object& o, const std::string& field) {
    const schema::Field* f = o.FindField(field);
    EXPECT_TRUE(f) << field;
    return static_cast<size_t>(f - o.fields.data());
  }

  json Admin(const std::string& method, const std::string& path, const json& body = nullptr) {
    HttpClient::Request r;
    r.method = method;
    r.url = sb_->salesforce_url() + path;
    if (!body.is_null()) {
      r.body = body.dump();
      r.headers = {"Content-Type: application/json"};
    }
    HttpResponse resp = admin_->Send(r);
    EXPECT_EQ(resp.status, 200) << path << ": " << resp.body;
    return json::parse(resp.body, nullptr, false);
  }
  void Faults(const json& f) { Admin("POST", "/__sandbox/faults", f); }
  // Live (not deleted) records of an object in the sandbox, by id.
  std::map<std::string, json> Live(const std::string& object) {
    std::map<std::string, json> out;
    json dump = Admin("GET", "/__sandbox/dump");
    for (const json& r : dump["objects"][object]["records"])
      if (!r.value("IsDeleted", false)) out[r["Id"].get<std::string>()] = r;
    return out;
  }
  void Advance(int64_t ms) { clock_->fetch_add(ms); }

  static WriteOp Create(std::vector<std::pair<size_t, sync::Text>> fields) {
    WriteOp op;
    op.kind = WriteOp::Kind::kCreate;
    op.fields = std::move(fields);
    return op;
  }
  static WriteOp Update(std::string id, std::vector<std::pair<size_t, sync::Text>> fields) {
    WriteOp op;
    op.kind = WriteOp::Kind::kUpdate;
    op.id = std::move(id);
    op.fields = std::move(fields);
    return op;
  }
  static WriteOp Delete(std::string id) {
    WriteOp op;
    op.kind = WriteOp::Kind::kDelete;
    op.id = std::move(id);
    return op;
  }

  std::shared_ptr<std::atomic<int64_t>> clock_ = std::make_shared<std::atomic<int64_t>>(kStartMs);
  std::unique_ptr<sandbox::Sandbox> sb_;
  schema::SchemaSet schemas_;
  std::unique_ptr<HttpClient> admin_;
};

std::map<std::string, Record> ById(const std::vector<Record>& v) {
  std::map<std::string, Record> m;
  for (const Record& r : v) m[r.id] = r;
  return m;
}

// ---------------------------------------------------------------- reading

TEST_F(SalesforceTest, FullLoadEqualsTheSeed) {
  auto c = Connect();
  const schema::Object& contact = Obj("Contact");
  std::vector<Record> records;
  std::vector<sync::ReadProblem> problems;
  std::string error;
  ASSERT_TRUE(c->Load(contact, &records, &problems, &error)) << error;
  EXPECT_TRUE(problems.empty());
  // The seed's 5 contacts, the recycle-bin one flagged deleted.
  std::ifstream in(std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot/data/salesforce/Contact.jsonl");
  std::vector<json> seed;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) seed.push_back(json::parse(line));
  ASSERT_EQ(records.size(), seed.size());
  auto by_id = ById(records);
  int deleted = 0;
  for (const json& s : seed) {
    std::string id = s["Id"];
    ASSERT_TRUE(by_id.count(id)) << id;
    const Record& r = by_id[id];
    EXPECT_EQ(r.deleted, s.value("IsDeleted", false)) << id;
    deleted += r.deleted;
    // the sandbox stamps seed records without one with its start time
    EXPECT_EQ(r.modstamp, "2026-11-30T08:00:00.000Z") << id;
    for (const auto& [k, v] : s.items()) {
      if (k == "attributes" || k == "IsDeleted") continue;
      const schema::Field* f = contact.FindField(k);
      ASSERT_TRUE(f) << k;
      sync::Text want;
      if (v.is_string()) want = v.get<std::string>();
      else if (v.is_boolean()) want = v.get<bool>() ? "true" : "false";
      else if (v.is_number()) want = v.dump();
      // Salesforce stores blank strings as null
      if (want && want->empty()) want.reset();
      const sync::Text& got = r.values[Slot(contact, k)];
      if (v.is_number() && got && want) EXPECT_DOUBLE_EQ(std::stod(*got), std::stod(*want)) << id << " " << k;
      else EXPECT_EQ(got, want) << id << " " << k;
    }
  }
  EXPECT_EQ(deleted, 1);
  EXPECT_EQ(c->calls().reads, 1);
  EXPECT_EQ(c->calls().writes, 0);
  EXPECT_GT(c->api_used(), 0);
  EXPECT_EQ(c->api_max(), 100000);
}

TEST_F(SalesforceTest, NormalizesModstamps) {
  std::string out;
  ASSERT_TRUE(SalesforceConnector::NormalizeStamp("2026-11-30T08:00:00.000+0000", &out));
  EXPECT_EQ(out, "2026-11-30T08:00:00.000Z");
  ASSERT_TRUE(SalesforceConnector::NormalizeStamp("2026-11-30T08:00:00Z", &out));
  EXPECT_EQ(out, "2026-11-30T08:00:00.000Z");
  ASSERT_TRUE(SalesforceConnector::NormalizeStamp("2026-11-30T10:00:00.123+02:00", &out));
  EXPECT_EQ(out, "2026-11-30T08:00:00.123Z");
  ASSERT_TRUE(SalesforceConnector::NormalizeStamp("2026-12-01T00:30:00.000+0100", &out));
  EXPECT_EQ(out, "2026-11-30T23:30:00.000Z");
  EXPECT_FALSE(SalesforceConnector::NormalizeStamp("yesterday", &out));
  EXPECT_FALSE(SalesforceConnector::NormalizeStamp("2026-11-30", &out));
}

}  // namespace
}  // namespace accord::connectors
