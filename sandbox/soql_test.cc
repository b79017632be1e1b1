// The SOQL subset: parsing, binding against a real describe, evaluation, and
// Salesforce's error codes and message layout.
#include "sandbox/soql.h"

#include <gtest/gtest.h>

#include "sandbox/seed.h"

namespace accord::sandbox::soql {
namespace {

const schema::Object& Contact() {
  static const Seed* seed = [] {
    auto* s = new Seed();
    Status st = LoadSeed(std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot", s);
    EXPECT_TRUE(st) << st.message;
    return s;
  }();
  for (const SeedObject& o : seed->salesforce) {
    if (o.schema.name == "Contact") return o.schema;
  }
  ADD_FAILURE() << "no Contact in the example seed";
  static schema::Object empty;
  return empty;
}

constexpr int64_t kNow = 1714564800000;  // 2024-05-01T12:00:00Z

Query Bound(const std::string& text) {
  Query q;
  Error e;
  EXPECT_TRUE(ParseQuery(text, &q, &e)) << e.message;
  EXPECT_TRUE(BindQuery(Contact(), kNow, &q, &e)) << e.code << e.message;
  return q;
}

Error Fails(const std::string& text) {
  Query q;
  Error e;
  if (ParseQuery(text, &q, &e) && BindQuery(Contact(), kNow, &q, &e)) ADD_FAILURE() << "no error for: " << text;
  return e;
}

bool Where(const std::string& cond, const Json& record) {
  Query q = Bound("SELECT Id FROM Contact WHERE " + cond);
  return q.where && Matches(*q.where, record);
}

TEST(Soql, ParsesFieldsCaseInsensitivelyAndCanonicalizesNames) {
  Query q = Bound("select id, FIRSTNAME, lastName from contact where email != null order by LastName desc limit 5");
  ASSERT_EQ(q.select.size(), 3u);
  EXPECT_EQ(q.select[0].name, "Id");
  EXPECT_EQ(q.select[1].name, "FirstName");
  EXPECT_EQ(q.select[2].name, "LastName");
  EXPECT_EQ(q.object.name, "contact");  // the emulator resolves the object
  ASSERT_EQ(q.order_by.size(), 1u);
  EXPECT_TRUE(q.order_by[0].descending);
  EXPECT_TRUE(q.order_by[0].nulls_last);
  EXPECT_EQ(q.limit, 5);
  EXPECT_FALSE(q.count);
  EXPECT_TRUE(Bound("SELECT COUNT() FROM Contact").count);
}

TEST(Soql, DatetimeComparisonsOnSystemModstamp) {
  Json r{{"SystemModstamp", "2024-05-01T10:00:00.000+0000"}};
  EXPECT_TRUE(Where("SystemModstamp > 2024-05-01T09:59:59Z", r));
  EXPECT_FALSE(Where("SystemModstamp > 2024-05-01T10:00:00Z", r));
  EXPECT_TRUE(Where("SystemModstamp >= 2024-05-01T10:00:00.000Z", r));
  EXPECT_TRUE(Where("SystemModstamp = 2024-05-01T12:00:00+02:00", r));
  EXPECT_TRUE(Where("LastModifiedDate = null", r));
  EXPECT_TRUE(Where("SystemModstamp = TODAY", r));
  EXPECT_FALSE(Where("SystemModstamp = YESTERDAY", r));
  EXPECT_TRUE(Where("SystemModstamp = LAST_N_DAYS:3", r));
  EXPECT_FALSE(Where("SystemModstamp > TODAY", r));
}

TEST(Soql, BooleanLogicWithParentheses) {
  Json r{{"FirstName", "Ada"}, {"LastName", "Lovelace"}, {"Email", "ada@example.com"}};
  EXPECT_TRUE(Where("FirstName = 'ada' AND LastName = 'LOVELACE'", r));  // case-insensitive
  EXPECT_TRUE(Where("FirstName = 'x' OR LastName = 'Lovelace'", r));
  EXPECT_TRUE(Where("(FirstName = 'x' OR LastName = 'Lovelace') AND Email != null", r));
  EXPECT_FALSE(Where("NOT (FirstName = 'Ada')", r));
  EXPECT_TRUE(Where("Email LIKE '%@example.%'", r));
  EXPECT_FALSE(Where("Email LIKE 'ada@example'", r));
  EXPECT_TRUE(Where("FirstName IN ('Grace', 'Ada')", r));
  EXPECT_TRUE(Where("FirstName NOT IN ('Grace')", r));
  EXPECT_TRUE(Where("Title != 'CTO'", r));  // null != value holds, as in SOQL
  EXPECT_FALSE(Where("Title = 'CTO'", r));
}

TEST(Soql, MixingAndOrWithoutParenthesesIsMalformed) {
  Error e = Fails("SELECT Id FROM Contact WHERE FirstName = 'a' AND LastName = 'b' OR Email = null");
  EXPECT_EQ(e.code, "MALFORMED_QUERY");
  EXPECT_NE(e.message.find("unexpected token: OR"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("ERROR at Row:1:Column:"), std::string::npos) << e.message;
  EXPECT_EQ(e.message[0], '\n');
}

TEST(Soql, ErrorsUseSalesforceCodesAndLayout) {
  Error e = Fails("SELECT Id, Foo FROM Contact");
  EXPECT_EQ(e.code, "INVALID_FIELD");
  EXPECT_EQ(e.message,
            "\nSELECT Id, Foo FROM Contact\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo' on entity "
            "'Contact'. If you are attempting to use a custom field, be sure to append the '__c' after the custom "
            "field name. Please reference your WSDL or the describe call for the appropriate names.");
  e = Fails("SELECT Id FROM Contact WHERE SystemModstamp > '2024-01-01T00:00:00Z'");
  EXPECT_EQ(e.code, "INVALID_FIELD");
  EXPECT_NE(e.message.find("value of filter criterion for field 'SystemModstamp' must be of type dateTime and "
                           "should not be enclosed in quotes"),
            std::string::npos);
  e = Fails("SELECT Id FROM Contact WHERE Email = 5");
  EXPECT_NE(e.message.find("must be of type string and should be enclosed in quotes"), std::string::npos);
  e = Fails("SELECT Id FROM Contact WHERE Birthdate > 2024-01-01T00:00:00Z");
  EXPECT_NE(e.message.find("must be of type date"), std::string::npos);
  e = Fails("SELECT Id FROM Contact OFFSET 2001");
  EXPECT_EQ(e.code, "NUMBER_OUTSIDE_VALID_RANGE");
  e = Fails("SELECT Account.Name FROM Contact");
  EXPECT_EQ(e.code, "INVALID_FIELD");
  EXPECT_NE(e.message.find("Didn't understand relationship 'Account'"), std::string::npos);
  e = Fails("SELECT Id FRM Contact");
  EXPECT_EQ(e.code, "MALFORMED_QUERY");
  EXPECT_NE(e.message.find("unexpected token: FRM"), std::string::npos);
  e = Fails("SELECT Id FROM Contact WHERE Email = 'unterminated");
  EXPECT_EQ(e.code, "MALFORMED_QUERY");
}

TEST(Soql, OrderByPutsNullsFirstAscendingAndLastDescending) {
  Query asc = Bound("SELECT Id FROM Contact ORDER BY FirstName");
  Query desc = Bound("SELECT Id FROM Contact ORDER BY FirstName DESC");
  Query nl = Bound("SELECT Id FROM Contact ORDER BY FirstName ASC NULLS LAST");
  Json a{{"FirstName", "ada"}}, b{{"FirstName", "Bob"}}, n = Json::object();
  EXPECT_LT(CompareRecords(asc.order_by, a, b), 0);
  EXPECT_LT(CompareRecords(asc.order_by, n, a), 0);
  EXPECT_GT(CompareRecords(desc.order_by, a, b), 0);
  EXPECT_GT(CompareRecords(desc.order_by, n, a), 0);
  EXPECT_GT(CompareRecords(nl.order_by, n, a), 0);
}

TEST(Soql, NumbersBooleansAndMultiPicklists) {
  const schema::Object& c = Contact();
  ASSERT_TRUE(c.FindField("IsEmailBounced"));
  Json r{{"IsEmailBounced", true}, {"Title", "CTO"}};
  EXPECT_TRUE(Where("IsEmailBounced = true", r));
  EXPECT_FALSE(Where("IsEmailBounced = false", r));
  Error e = Fails("SELECT Id FROM Contact WHERE IsEmailBounced = 'true'");
  EXPECT_NE(e.message.find("must be of type boolean"), std::string::npos);
}

TEST(Soql, ConditionsForRules) {
  Error e;
  auto c = ParseCondition("LeadSource = 'Web' AND Email = null", &e);
  ASSERT_TRUE(c) << e.message;
  ASSERT_TRUE(BindCondition(Contact(), "LeadSource = 'Web' AND Email = null", kNow, c.get(), &e)) << e.message;
  EXPECT_TRUE(Matches(*c, Json{{"LeadSource", "Web"}}));
  EXPECT_FALSE(Matches(*c, Json{{"LeadSource", "Web"}, {"Email", "a@b.c"}}));
  EXPECT_FALSE(ParseCondition("LeadSource = 'Web' extra", &e));
}

TEST(Soql, GarbageNeverCrashes) {
  const char* inputs[] = {"",
                          "SELECT",
                          "SELECT FROM",
                          "SELECT Id FROM",
                          "SELECT Id FROM Contact WHERE",
                          "SELECT Id FROM Contact WHERE (",
                          "SELECT Id FROM Contact WHERE Email IN (",
                          "SELECT Id FROM Contact WHERE Email IN ('a',",
                          "SELECT Id FROM Contact LIMIT",
                          "SELECT Id FROM Contact LIMIT -1",
                          "SELECT Id FROM Contact ORDER",
                          "SELECT Id FROM Contact ORDER BY",
                          "SELECT COUNT( FROM Contact",
                          "SELECT Id,, FROM Contact",
                          "SELECT Id FROM Contact WHERE Email = '\\",
                          "SELECT Id FROM Contact WHERE NOT",
                          "SELECT Id FROM Contact WHERE Email = 2024-13-45",
                          "SELECT Id FROM Contact WHERE Id = 1e999",
                          "\xff\xfe",
                          "SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:",
                          "SELECT Id FROM Contact WHERE Email NOT Email"};
  for (const char* in : inputs) {
    Query q;
    Error e;
    bool ok = ParseQuery(in, &q, &e) && BindQuery(Contact(), kNow, &q, &e);
    EXPECT_FALSE(ok) << in;
    EXPECT_FALSE(e.code.empty()) << in;
  }
  // Nesting is bounded: deep is fine, too deep is an error, never a stack overflow.
  auto nested = [](int n) {
    return "SELECT Id FROM Contact WHERE " + std::string(n, '(') + "Email = null" + std::string(n, ')');
  };
  Query q;
  Error e;
  EXPECT_TRUE(ParseQuery(nested(500), &q, &e)) << e.message;
  Query q2;
  EXPECT_FALSE(ParseQuery(nested(100000), &q2, &e));
  EXPECT_EQ(e.code, "MALFORMED_QUERY");
}

}  // namespace
}  // namespace accord::sandbox::soql
