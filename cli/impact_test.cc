// ComparePlans: two plans' events compared record by record (cli/impact.h).
#include "cli/impact.h"

#include <gtest/gtest.h>

namespace accord::cli {
namespace {

using Kind = sync::Event::Kind;

sync::Event Write(Kind kind, std::string sf, std::string hs,
                  std::vector<std::pair<std::string, connectors::Text>> fields,
                  schema::System target = schema::System::kHubSpot, std::string object = "companies") {
  sync::Event e;
  e.kind = kind;
  e.sync = "accounts";
  e.target = target;
  e.object = std::move(object);
  e.salesforce_id = std::move(sf);
  e.hubspot_id = std::move(hs);
  for (auto& [f, v] : fields) e.changes.push_back(sync::FieldChange{f, std::nullopt, v, ""});
  return e;
}

sync::PassReport Plan(std::vector<sync::Event> events) {
  sync::PassReport r;
  r.events = std::move(events);
  return r;
}

const FieldImpact* Field(const Impact& im, const std::string& field) {
  for (const auto& f : im.fields)
    if (f.field == field) return &f;
  return nullptr;
}

TEST(Impact, SamePlansDifferInNothing) {
  auto p = Plan({Write(Kind::kUpdate, "001", "71", {{"industry", "BANKING"}}),
                 Write(Kind::kCreate, "002", "101", {{"name", "Acme"}})});
  Impact im = ComparePlans(p, p);
  EXPECT_TRUE(im.fields.empty());
  EXPECT_TRUE(im.outcomes.empty());
  EXPECT_EQ(im.records, 0);
}

TEST(Impact, AnotherValueNewlyWrittenNoLongerWritten) {
  auto a = Plan({Write(Kind::kUpdate, "001", "71", {{"industry", "BANKING"}, {"phone", "1"}}),
                 Write(Kind::kUpdate, "003", "73", {{"industry", "RETAIL"}})});
  auto b = Plan({Write(Kind::kUpdate, "001", "71", {{"industry", "FINANCE"}, {"city", "Oslo"}}),
                 Write(Kind::kUpdate, "003", "73", {{"industry", "RETAIL"}})});
  Impact im = ComparePlans(a, b);
  ASSERT_NE(Field(im, "industry"), nullptr);
  EXPECT_EQ(Field(im, "industry")->changed, 1);
  EXPECT_EQ(Field(im, "industry")->records(), 1) << "record 003 is written the same";
  ASSERT_NE(Field(im, "city"), nullptr);
  EXPECT_EQ(Field(im, "city")->added, 1);
  ASSERT_NE(Field(im, "phone"), nullptr);
  EXPECT_EQ(Field(im, "phone")->removed, 1);
  EXPECT_EQ(Field(im, "phone")->Text(), "stops writing phone on 1 HubSpot companies record");
  EXPECT_EQ(Field(im, "industry")->Text(), "rewrites industry on 1 HubSpot companies record (1 with another value)");
  EXPECT_EQ(im.records, 1);
  EXPECT_TRUE(im.outcomes.empty()) << "both plans update 001 and 003";
}

TEST(Impact, UpdatesAddedAndRemovedAreOutcomes) {
  auto a = Plan({Write(Kind::kUpdate, "001", "71", {{"industry", "BANKING"}})});
  auto b = Plan({Write(Kind::kUpdate, "002", "72", {{"industry", "BANKING"}})});
  Impact im = ComparePlans(a, b);
  ASSERT_EQ(im.outcomes.size(), 1u);
  EXPECT_EQ(im.outcomes[0].outcome, "update hubspot.companies");
  EXPECT_EQ(im.outcomes[0].added, 1);
  EXPECT_EQ(im.outcomes[0].removed, 1);
  EXPECT_EQ(im.outcomes[0].Text(), "update hubspot.companies: 1 more record, 1 fewer record");
  EXPECT_EQ(im.records, 2);
}

// Each plan invents the ids of the records it would create; a create is the
// record it is created from.
TEST(Impact, CreatesAreKeyedByTheirSource) {
  auto a = Plan({Write(Kind::kCreate, "001", "101", {{"industry", "BANKING"}}),
                 Write(Kind::kCreate, "002", "102", {{"industry", "RETAIL"}})});
  auto b = Plan({Write(Kind::kCreate, "002", "101", {{"industry", "RETAIL"}})});
  Impact im = ComparePlans(a, b);
  ASSERT_EQ(im.fields.size(), 1u);
  EXPECT_EQ(im.fields[0].removed, 1);
  EXPECT_EQ(im.fields[0].changed, 0) << "002 is created with the same value in both";
  ASSERT_EQ(im.outcomes.size(), 1u);
  EXPECT_EQ(im.outcomes[0].outcome, "create hubspot.companies");
  EXPECT_EQ(im.outcomes[0].removed, 1);
  EXPECT_EQ(im.outcomes[0].Text(), "create hubspot.companies: 1 fewer record");
  // a create toward Salesforce is keyed by its HubSpot source
  auto c = Plan({Write(Kind::kCreate, "00Q1", "51", {{"LastName", "X"}}, schema::System::kSalesforce, "Lead")});
  auto d = Plan({Write(Kind::kCreate, "00Q9", "51", {{"LastName", "X"}}, schema::System::kSalesforce, "Lead")});
  EXPECT_EQ(ComparePlans(c, d).records, 0);
}

TEST(Impact, OutcomesByKindAndCategory) {
  sync::Event err;
  err.kind = Kind::kError;
  err.sync = "accounts";
  err.category = "PropertyValues";
  err.salesforce_id = "001";
  sync::Event link = err;
  link.kind = Kind::kLink;
  link.category.clear();
  link.hubspot_id = "71";
  Impact im = ComparePlans(Plan({link}), Plan({link, err}));
  ASSERT_EQ(im.outcomes.size(), 1u);
  EXPECT_EQ(im.outcomes[0].outcome, "error PropertyValues");
  EXPECT_EQ(im.outcomes[0].added, 1);
  EXPECT_EQ(im.outcomes[0].Text(), "error PropertyValues: 1 more record");
}

TEST(Impact, UpdatesAndLifecycleOfOneRecordAreOneWrite) {
  auto lc =
      Write(Kind::kLifecycle, "003", "51", {{"lifecyclestage", "customer"}}, schema::System::kHubSpot, "contacts");
  auto up = Write(Kind::kUpdate, "003", "51", {{"email", "a@b.c"}}, schema::System::kHubSpot, "contacts");
  lc.sync = up.sync = "people";
  Impact im = ComparePlans(Plan({up}), Plan({up, lc}));
  ASSERT_EQ(im.fields.size(), 1u);
  EXPECT_EQ(im.fields[0].field, "lifecyclestage");
  EXPECT_EQ(im.fields[0].added, 1);
  ASSERT_EQ(im.outcomes.size(), 1u) << "the record was updated in both; the lifecycle write is new";
  EXPECT_EQ(im.outcomes[0].outcome, "lifecycle hubspot.contacts");
  EXPECT_EQ(im.outcomes[0].added, 1);
}

TEST(Impact, CountHasThousandsSeparators) {
  EXPECT_EQ(Count(0), "0");
  EXPECT_EQ(Count(999), "999");
  EXPECT_EQ(Count(1234), "1,234");
  EXPECT_EQ(Count(1234567), "1,234,567");
  EXPECT_EQ(Count(-1000), "-1,000");
  FieldImpact f;
  f.system = schema::System::kSalesforce, f.object = "Account", f.field = "Industry", f.added = 2, f.changed = 1000;
  EXPECT_EQ(f.Text(),
            "rewrites Industry on 1,002 Salesforce Account records (1,000 with another value, 2 newly written)");
}

}  // namespace
}  // namespace accord::cli
