#include "runtime/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace accord::rt {
namespace {

TEST(Value, IsSixteenBytesAndCopiesShareStrings) {
  Value a = Value::String("hello");
  Value b = a;
  EXPECT_EQ(b.str(), "hello");
  EXPECT_EQ(a.str().data(), b.str().data());
  Value c = Value::StringView(a.str());
  EXPECT_EQ(c.str(), "hello");
  EXPECT_TRUE(c.raw().flags & Value::kBorrowed);
}

TEST(Value, SetStringViewIsWhatStringViewReturnsAndReleasesTheOldValue) {
  std::string bytes = "borrowed";
  Value owner = Value::String("owned");
  Value v = owner;  // two references to one heap string
  v.SetStringView(bytes);
  EXPECT_EQ(v.raw().flags, Value::StringView(bytes).raw().flags);
  EXPECT_TRUE(v.is(Kind::kString));
  EXPECT_EQ(v.str().data(), bytes.data());
  EXPECT_EQ(v.str(), "borrowed");
  EXPECT_EQ(owner.str(), "owned");  // its reference was given back, the other one is intact
  Value w = owner;
  w = Value();  // the last but one reference
  Value n;
  n.SetStringView("");
  EXPECT_TRUE(Equal(n, Value::StringView("")));
}

TEST(Value, HeterogeneousNumericEqualityAndOrdering) {
  EXPECT_TRUE(Equal(Value::Int(1), Value::Uint(1)));
  EXPECT_TRUE(Equal(Value::Int(1), Value::Double(1.0)));
  EXPECT_TRUE(Equal(Value::Decimal(150, 2), Value::Decimal(15, 1)));
  EXPECT_FALSE(Equal(Value::Int(1), Value::String("1")));
  EXPECT_EQ(Compare(Value::Int(-1), Value::Uint(0)), -1);
  EXPECT_EQ(Compare(Value::Double(NAN), Value::Int(0)), 2);
  EXPECT_EQ(Compare(Value::String("a"), Value::Int(0)), 2);
  EXPECT_TRUE(Equal(Value::List({Value::Int(1)}), Value::List({Value::Double(1)})));
}

TEST(Value, Blank) {
  EXPECT_TRUE(IsBlank(Value::Null()));
  EXPECT_TRUE(IsBlank(Value::String("")));
  EXPECT_TRUE(IsBlank(Value::String(" \t\n\xC2\xA0")));
  EXPECT_FALSE(IsBlank(Value::String(" x ")));
  EXPECT_TRUE(IsBlank(Value::List({})));
  EXPECT_FALSE(IsBlank(Value::Int(0)));
}

TEST(Time, TimestampsRoundTripAndRejectBadText) {
  int64_t s;
  int32_t n;
  ASSERT_TRUE(ParseTimestamp("2024-03-01T12:34:56.789+0000", &s, &n));
  EXPECT_EQ(FormatTimestamp(s, n), "2024-03-01T12:34:56.789Z");
  ASSERT_TRUE(ParseTimestamp("2024-03-01T12:34:56-08:00", &s, &n));
  EXPECT_EQ(FormatTimestamp(s, n), "2024-03-01T20:34:56Z");
  for (const char* bad :
       {"", "2024-02-30T00:00:00Z", "2024-03-01 12:34", "2024-03-01T25:00:00Z", "10000-01-01T00:00:00Z"})
    EXPECT_FALSE(ParseTimestamp(bad, &s, &n)) << bad;
}

TEST(Time, DurationsAndDates) {
  int64_t s;
  int32_t n;
  ASSERT_TRUE(ParseDuration("1h30m", &s, &n));
  EXPECT_EQ(s, 5400);
  ASSERT_TRUE(ParseDuration("-1.5s", &s, &n));
  EXPECT_EQ(FormatDuration(s, n), "-1.5s");
  EXPECT_FALSE(ParseDuration("1x", &s, &n));
  EXPECT_FALSE(ParseDuration("", &s, &n));
  int64_t d;
  ASSERT_TRUE(ParseDate("2024-02-29", &d));
  EXPECT_EQ(FormatDate(d), "2024-02-29");
  EXPECT_FALSE(ParseDate("2023-02-29", &d));
}

TEST(Decimal, ExactTextRoundTrip) {
  int64_t c;
  uint32_t sc;
  ASSERT_TRUE(ParseDecimal("1234.50", &c, &sc));
  EXPECT_EQ(FormatDecimal(c, sc), "1234.50");
  ASSERT_TRUE(ParseDecimal("-0.05", &c, &sc));
  EXPECT_EQ(FormatDecimal(c, sc), "-0.05");
  ASSERT_TRUE(ParseDecimal("1.5e3", &c, &sc));
  EXPECT_EQ(FormatDecimal(c, sc), "1500");
  EXPECT_FALSE(ParseDecimal("12a", &c, &sc));
  EXPECT_FALSE(ParseDecimal("99999999999999999999", &c, &sc));
}

TEST(Value, ErrorsCarryLocations) {
  static const char* file = "rules.accord";
  Value e = Value::Error(ErrorCode::kOverflow, "integer overflow").WithLocation(Location{file, 3, 7});
  EXPECT_EQ(e.error_location().line, 3u);
  EXPECT_NE(e.DebugString().find("rules.accord:3:7"), std::string::npos);
  // an error keeps its first location
  EXPECT_EQ(e.WithLocation(Location{file, 9, 9}).error_location().line, 3u);
}

}  // namespace
}  // namespace accord::rt
