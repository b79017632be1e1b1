// Shared by the sandbox tests: a Sandbox on free loopback ports with a clock the
// test controls, and a small HTTP helper over httplib::Client (real requests).
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "sandbox/sandbox.h"

namespace accord::sandbox::testing {

// 2024-05-01T12:00:00.000Z
constexpr int64_t kStartMs = 1714564800000;

struct Resp {
  int status = 0;  // 0: no response (connection error)
  Json body;
  std::string raw;
  httplib::Headers headers;
  httplib::Error error = httplib::Error::Success;
  std::string Header(const std::string& k) const {
    auto it = headers.find(k);
    return it == headers.end() ? "" : it->second;
  }
};

inline Resp ToResp(const httplib::Result& r) {
  Resp out;
  out.error = r.error();
  if (!r) return out;
  out.status = r->status;
  out.raw = r->body;
  out.headers = r->headers;
  // a body that is not JSON stays null in out.body; tests read out.raw
  if (!out.raw.empty()) (void)ParseJson(out.raw, &out.body);
  return out;
}

class Http {
 public:
  Http(const std::string& base_url, std::string token) : token_(std::move(token)) {
    std::string hostport = base_url.substr(base_url.find("//") + 2);
    host_ = hostport.substr(0, hostport.find(':'));
    port_ = std::stoi(hostport.substr(hostport.find(':') + 1));
  }
  void set_token(std::string t) { token_ = std::move(t); }

  Resp Do(const std::string& method, const std::string& path, const std::string& body = "", httplib::Headers extra = {},
          const std::string& content_type = "application/json") {
    httplib::Client cli(host_, port_);
    cli.set_read_timeout(20, 0);
    cli.set_url_encode(false);  // paths go out exactly as written, like curl
    httplib::Headers h = extra;
    if (!token_.empty() && !h.count("Authorization")) h.emplace("Authorization", "Bearer " + token_);
    if (method == "GET") return ToResp(cli.Get(path, h));
    if (method == "POST") return ToResp(cli.Post(path, h, body, content_type));
    if (method == "PATCH") return ToResp(cli.Patch(path, h, body, content_type));
    if (method == "PUT") return ToResp(cli.Put(path, h, body, content_type));
    if (method == "DELETE") return ToResp(cli.Delete(path, h, body, content_type));
    ADD_FAILURE() << "unknown method " << method;
    return {};
  }
  Resp Get(const std::string& path, httplib::Headers h = {}) { return Do("GET", path, "", std::move(h)); }
  Resp Post(const std::string& path, const Json& body) { return Do("POST", path, DumpJson(body)); }
  Resp Patch(const std::string& path, const Json& body) { return Do("PATCH", path, DumpJson(body)); }
  Resp Put(const std::string& path, const Json& body) { return Do("PUT", path, DumpJson(body)); }
  Resp Delete(const std::string& path) { return Do("DELETE", path); }

 private:
  std::string host_;
  int port_ = 0;
  std::string token_;
};

inline std::string ExampleSeed() { return std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot"; }

// A running sandbox with a test-controlled clock.
class SandboxFixture : public ::testing::Test {
 protected:
  void SetUp() override { StartWith(ExampleSeed()); }
  void TearDown() override {
    if (sb) sb->Stop();
  }
  void StartWith(const std::string& seed_dir, std::optional<FaultConfig> sf_faults = std::nullopt,
                 std::optional<FaultConfig> hs_faults = std::nullopt) {
    if (sb) sb->Stop();
    SandboxOptions o;
    o.seed_dir = seed_dir;
    o.clock = [clock = clock_] { return clock->load(); };
    o.salesforce_faults = sf_faults;
    o.hubspot_faults = hs_faults;
    Status s;
    sb = Sandbox::Start(o, &s);
    ASSERT_TRUE(sb) << s.message;
    sf = std::make_unique<Http>(sb->salesforce_url(), sb->token());
    hs = std::make_unique<Http>(sb->hubspot_url(), sb->token());
  }
  void Advance(int64_t ms) { clock_->fetch_add(ms); }
  int64_t Now() const { return clock_->load(); }

  std::shared_ptr<std::atomic<int64_t>> clock_ = std::make_shared<std::atomic<int64_t>>(kStartMs);
  std::unique_ptr<Sandbox> sb;
  std::unique_ptr<Http> sf, hs;
};

// A temporary seed folder: the example's schemas plus the files a test writes.
class TempSeed {
 public:
  TempSeed() {
    namespace fs = std::filesystem;
    dir_ =
        fs::temp_directory_path() / ("accord-seed-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data" / "salesforce");
    fs::create_directories(dir_ / "data" / "hubspot");
    fs::copy(fs::path(ExampleSeed()) / "schemas", dir_ / "schemas", fs::copy_options::recursive);
  }
  ~TempSeed() { std::filesystem::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  std::string dir() const { return dir_.string(); }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::filesystem::path dir_;
};

}  // namespace accord::sandbox::testing
