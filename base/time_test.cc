#include "base/time.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace accord::base {
namespace {

constexpr int64_t kNo = std::numeric_limits<int64_t>::min();  // rejected

int64_t Ms(std::string_view s, const TimeSyntax& syntax) {
  auto t = ParseTime(s, syntax);
  return t ? t->ms() : kNo;
}

// What every reader of times accepts, and what it reads, in milliseconds. Each
// column is a caller's syntax; the rows were checked against the five parsers
// these replaced (rt::ParseTimestamp, sync::StampMs, the Salesforce connector's
// ParseStampMs, the HubSpot connector's ParseMs, sandbox::ParseDateTime) and agree
// with them except where a comment says otherwise.
struct Row {
  const char* text;
  int64_t rfc3339, salesforce, hubspot, sandbox_zoned, sandbox, modstamp;
};
const Row kRows[] = {
    // clang-format off
    {"2024-03-01T12:34:56Z", 1709296496000, 1709296496000, 1709296496000, 1709296496000, 1709296496000, 1709296496000},
    {"2024-03-01T12:34:56.789+0000", 1709296496789, 1709296496789, 1709296496789, 1709296496789, 1709296496789, 1709296496789},
    {"2024-03-01T12:34:56-08:00", 1709325296000, 1709325296000, 1709325296000, 1709325296000, 1709325296000, 1709325296000},
    {"2024-03-01T12:34:56+05:30", 1709276696000, 1709276696000, 1709276696000, 1709276696000, 1709276696000, 1709276696000},
    // HubSpot's old ParseMs read "-0530" as -05:00 (sscanf "%2d:%2d" stops at the missing colon).
    {"2024-03-01T12:34:56.123-0530", 1709316296123, 1709316296123, 1709316296123, 1709316296123, 1709316296123, 1709316296123},
    {"1970-01-01T00:00:01.5Z", 1500, 1500, 1500, 1500, 1500, 1500},  // ".5" is half a second
    {"1970-01-01T00:00:01.1234567891Z", 1123, 1123, 1123, 1123, 1123, 1123},
    {"1969-12-31T23:59:59.5Z", -500, -500, -500, -500, -500, -500},
    // The modstamp reader reads the date and ignores a time it does not understand.
    {"2024-03-01 12:34:56Z", 1709296496000, 1709296496000, 1709296496000, kNo, kNo, 1709251200000},
    {"2024-03-01t12:34:56z", 1709296496000, kNo, kNo, 1709296496000, 1709296496000, 1709251200000},
    {"2024-03-01T12:34:56", kNo, 1709296496000, 1709296496000, kNo, 1709296496000, 1709296496000},
    {"2024-03-01T12:34", kNo, kNo, kNo, kNo, 1709296440000, 1709296440000},
    {"2024-03-01T12:34Z", kNo, kNo, kNo, 1709296440000, 1709296440000, 1709296440000},
    // StampMs used to stop after "12:34" (and so ignored a fraction or an offset there).
    {"2024-03-01T12:34.5Z", kNo, kNo, kNo, 1709296440500, 1709296440500, 1709296440500},
    {"2024-03-01", kNo, kNo, 1709251200000, kNo, kNo, 1709251200000},
    {"2024-03-01T12:34:56,25Z", kNo, kNo, kNo, kNo, kNo, 1709296496250},
    {"2024-03-01T12:34:56.Z", kNo, kNo, 1709296496000, kNo, kNo, 1709296496000},
    {"2024-03-01T12:34:56+01", kNo, kNo, 1709292896000, kNo, kNo, 1709292896000},
    {"2016-12-31T23:59:60Z", 1483228800000, 1483228800000, 1483228800000, 1483228800000, 1483228800000, 1483228800000},
    {"2024-02-29T00:00:00Z", 1709164800000, 1709164800000, 1709164800000, 1709164800000, 1709164800000, 1709164800000},
    // Out of range: the Salesforce and HubSpot connectors and StampMs used to roll these
    // over (Feb 29 2023 read as Mar 1); no system writes them.
    {"2023-02-29T00:00:00Z", kNo, kNo, kNo, kNo, kNo, kNo},
    {"2024-13-01T00:00:00Z", kNo, kNo, kNo, kNo, kNo, kNo},
    {"2024-03-01T24:00:00Z", kNo, kNo, kNo, kNo, kNo, kNo},
    {"2024-03-01T12:34:56+24:00", kNo, kNo, kNo, kNo, kNo, kNo},
    {"2024-03-01T12:34:56Z junk", kNo, kNo, kNo, kNo, kNo, 1709296496000},
    {"2024-03-01T12:34:56.Zjunk", kNo, kNo, kNo, kNo, kNo, 1709296496000},
    {"0000-12-31T23:59:59Z", -62135596801000, -62135596801000, -62135596801000, -62135596801000, -62135596801000, -62135596801000},
    {"1700000000000", kNo, kNo, kNo, kNo, kNo, kNo},  // HubSpot's epoch ms are read by its connector
    {"not a time", kNo, kNo, kNo, kNo, kNo, kNo},
    {"", kNo, kNo, kNo, kNo, kNo, kNo},
    // Fields have their fixed width (StampMs's sscanf used to read this one).
    {"2024-3-1T12:34:56Z", kNo, kNo, kNo, kNo, kNo, kNo},
    // clang-format on
};

TEST(Time, EachCallersSyntax) {
  for (const Row& r : kRows) {
    EXPECT_EQ(Ms(r.text, kRfc3339), r.rfc3339) << r.text;
    EXPECT_EQ(Ms(r.text, kSalesforceWire), r.salesforce) << r.text;
    EXPECT_EQ(Ms(r.text, kHubSpotWire), r.hubspot) << r.text;
    EXPECT_EQ(Ms(r.text, kSandboxZoned), r.sandbox_zoned) << r.text;
    EXPECT_EQ(Ms(r.text, kSandbox), r.sandbox) << r.text;
    EXPECT_EQ(Ms(r.text, kModstamp), r.modstamp) << r.text;
  }
}

TEST(Time, NanosecondsAndPrecision) {
  auto t = ParseTime("1970-01-01T00:00:01.123456789Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, 1);
  EXPECT_EQ(t->nanos, 123456789);
  EXPECT_EQ(t->fraction_digits, 9);
  t = ParseTime("1969-12-31T23:59:59.25Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, -1) << "seconds are floored, nanos count up from them";
  EXPECT_EQ(t->nanos, 250000000);
  EXPECT_EQ(t->fraction_digits, 2);
  t = ParseTime("2026-01-01T10:00:00+0000");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->fraction_digits, 0);
}

TEST(Time, CivilDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  EXPECT_EQ(DaysFromCivil(9999, 12, 31), 2932896);
  for (int64_t days : {-719162LL, -1LL, 0LL, 59LL, 19782LL, 2932896LL}) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), days);
  }
  EXPECT_EQ(DaysInMonth(2024, 2), 29u);
  EXPECT_EQ(DaysInMonth(1900, 2), 28u);
  EXPECT_EQ(DaysInMonth(2000, 2), 29u);
  EXPECT_EQ(ParseCivilDate("2024-02-29"), 19782);
  EXPECT_FALSE(ParseCivilDate("2023-02-29"));
  EXPECT_FALSE(ParseCivilDate("2024-02-29T00"));
  EXPECT_FALSE(ParseCivilDate("2024-2-29"));
}

}  // namespace
}  // namespace accord::base
