// Budget pacing: --budget parsing, the interval formula (figures worked by hand
// from docs/connectors.md "Budget"), and the limits both connectors read from
// the sandbox's headers when it is configured with small limits.
#include "runtime/connectors/budget.h"

#include <gtest/gtest.h>

#include "runtime/connectors/hubspot.h"
#include "runtime/connectors/salesforce.h"
#include "sandbox/sandbox.h"
#include "sandbox/test_util.h"

namespace accord::connectors {
namespace {

TEST(Budget, Parses) {
  Budget b = *ParseBudget("salesforce=20%,hubspot=30%");
  EXPECT_DOUBLE_EQ(b.salesforce, 0.2);
  EXPECT_DOUBLE_EQ(b.hubspot, 0.3);
  b = *ParseBudget("hubspot=0.5");
  EXPECT_DOUBLE_EQ(b.salesforce, 0.10);  // the default stays
  EXPECT_DOUBLE_EQ(b.hubspot, 0.5);
  EXPECT_TRUE(ParseBudget("off")->off);
  for (const char* bad : {"salesforce=0%", "salesforce=120%", "sf=20%", "salesforce", "salesforce=x%", "hubspot=-1"})
    EXPECT_FALSE(ParseBudget(bad)) << bad;
}

TEST(Budget, TheLongestIntervalWins) {
  Budget b{false, 0.2, 0.3};
  ApiLimits sf, hs;
  // nothing reported: the floor
  EXPECT_DOUBLE_EQ(PaceInterval(b, 1.0, 5, sf, 8, hs).interval_s, 1.0);
  sf.daily_max = 100000;  // 5 calls a pass within 20% of 100,000 a day: 5 * 86400 / 20000 = 21.6 s
  hs.daily_max = 500000;  // 8 within 30% of 500,000: 8 * 86400 / 150000 = 4.608 s
  hs.burst_max = 190;     // 8 within 30% of 190 per 10 s: 80 / 57 = 1.4035 s
  hs.burst_window_ms = 10000;
  Pace p = PaceInterval(b, 1.0, 5, sf, 8, hs);
  EXPECT_NEAR(p.interval_s, 21.6, 1e-9);
  EXPECT_EQ(p.reason, "salesforce daily");
  sf.daily_max = 1000000;  // 2.16 s: HubSpot's daily limit leads
  p = PaceInterval(b, 1.0, 5, sf, 8, hs);
  EXPECT_NEAR(p.interval_s, 4.608, 1e-9);
  EXPECT_EQ(p.reason, "hubspot daily");
  hs.burst_max = 10;  // 80 / 3 = 26.67 s
  p = PaceInterval(b, 1.0, 5, sf, 8, hs);
  EXPECT_NEAR(p.interval_s, 80.0 / 3, 1e-9);
  EXPECT_EQ(p.reason, "hubspot burst");
  EXPECT_DOUBLE_EQ(PaceInterval(b, 100.0, 5, sf, 8, hs).interval_s, 100.0);  // the floor
  EXPECT_DOUBLE_EQ(PaceInterval(Budget{true}, 1.0, 5, sf, 8, hs).interval_s, 1.0);
}

// After a burst of push passes the wait is capped at 4 times the reconciliation pass's own
// interval; the rest is carried into the next waits, none over the cap, until it is paid.
TEST(Budget, ABurstsWaitIsCappedAndCarried) {
  Budget b{false, 0.1, 1.0};
  ApiLimits sf, hs;
  sf.daily_max = 86400;  // 10% of it: 8,640 a day, one call = 10 s
  Pacer pacer;
  // quiet cycles: the pass's own 13 calls = 130 s
  Pace p = pacer.Next(b, 1.0, 13, 13, sf, 0, 0, hs);
  EXPECT_NEAR(p.interval_s, 130, 1e-9);
  EXPECT_EQ(p.reason, "salesforce daily");
  // a burst: 13 + 300 push calls = 3,130 s owed; the wait is 4 x 130 = 520 s, 2,610 s carried
  p = pacer.Next(b, 1.0, 313, 13, sf, 0, 0, hs);
  EXPECT_NEAR(p.interval_s, 520, 1e-9);
  EXPECT_NEAR(pacer.carried_s(), 2610, 1e-9);
  EXPECT_NE(p.reason.find("capped"), std::string::npos) << p.reason;
  // quiet again: each wait at the cap until what was carried is paid; the total is the budget's
  double waited = 520;
  int cycles = 0;
  while (pacer.carried_s() > 0 && cycles < 100) {
    p = pacer.Next(b, 1.0, 13, 13, sf, 0, 0, hs);
    EXPECT_LE(p.interval_s, 520 + 1e-9);
    waited += p.interval_s;
    ++cycles;
  }
  EXPECT_NEAR(waited, 3130 + 130.0 * cycles, 1e-6);  // every cycle's calls paid, none twice
  EXPECT_NEAR(pacer.Next(b, 1.0, 13, 13, sf, 0, 0, hs).interval_s, 130, 1e-9);
  // --budget off: the floor, nothing carried
  Pacer off;
  EXPECT_DOUBLE_EQ(off.Next(Budget{true}, 2.0, 1000, 13, sf, 0, 0, hs).interval_s, 2.0);
  EXPECT_DOUBLE_EQ(off.carried_s(), 0);
}

TEST(Budget, LimitsComeFromTheSandboxHeaders) {
  sandbox::SandboxOptions o;
  o.seed_dir = sandbox::DefaultSeedDir();
  sandbox::Status s;
  auto sb = sandbox::Sandbox::Start(o, &s);
  ASSERT_TRUE(sb) << s.message;
  sandbox::testing::Http sf_admin(sb->salesforce_url(), sb->token()), hs_admin(sb->hubspot_url(), sb->token());
  ASSERT_EQ(sf_admin.Post("/__sandbox/config", sandbox::Json{{"daily_api_limit", 1000}}).status, 200);
  ASSERT_EQ(hs_admin.Post("/__sandbox/config", sandbox::Json{{"daily_limit", 2000}, {"rate_limit_max", 50}}).status,
            200);
  schema::SchemaSet schemas;
  std::vector<schema::SchemaError> errors;
  schema::LoadSchemaDir(schema::System::kSalesforce, o.seed_dir + "/schemas/salesforce", schemas, errors);
  schema::LoadSchemaDir(schema::System::kHubSpot, o.seed_dir + "/schemas/hubspot", schemas, errors);
  ASSERT_TRUE(errors.empty());

  SalesforceOptions so;
  so.instance_url = sb->salesforce_url();
  so.credentials.access_token = sb->token();
  auto sf = SalesforceConnector::Open(so);
  ASSERT_TRUE(sf) << sf.status().message;
  HubSpotOptions ho;
  ho.base_url = sb->hubspot_url();
  ho.token = sb->token();
  auto hs = HubSpotConnector::Open(ho);
  ASSERT_TRUE(hs) << hs.status().message;
  std::vector<Record> records;
  std::vector<ReadProblem> problems;
  ASSERT_TRUE((*sf)->Load(*schemas.Find(schema::System::kSalesforce, "Contact"), &records, &problems).ok);
  ASSERT_TRUE((*hs)->Load(*schemas.Find(schema::System::kHubSpot, "contacts"), &records, &problems).ok);

  ApiLimits sl = (*sf)->limits(), hl = (*hs)->limits();
  EXPECT_EQ(sl.daily_max, 1000);
  EXPECT_GT(sl.daily_used, 0);
  EXPECT_EQ(hl.daily_max, 2000);
  EXPECT_GT(hl.daily_used, 0);
  EXPECT_EQ(hl.burst_max, 50);
  EXPECT_EQ(hl.burst_window_ms, 10000);
  // 5 Salesforce calls within 20% of 1,000 a day: 5 * 86400 / 200 = 2160 s
  Pace p = PaceInterval(Budget{false, 0.2, 0.3}, 1.0, 5, sl, 8, hl);
  EXPECT_NEAR(p.interval_s, 2160.0, 1e-9);
  EXPECT_NE(DescribeLimits(sl, hl).find("/1000 used today"), std::string::npos) << DescribeLimits(sl, hl);
  sf.value().reset();  // their keep-alive connections first: Stop waits for open connections
  hs.value().reset();
  sb->Stop();
}

}  // namespace
}  // namespace accord::connectors
