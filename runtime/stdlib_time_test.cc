// Tests of the time functions and time zones (stdlib_time.cc, tz.cc).
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/stdlib_test_util.h"
#include "runtime/tz.h"

namespace accord::rt {
namespace {

using namespace stdlib_testing;  // NOLINT(google-build-using-namespace): the tests' shorthand

// ---- timestamps, durations and time zones ----

TEST(Stdlib, TimestampAccessorsInUtc) {
  Value t = Ts("2009-02-13T23:31:30Z");
  EXPECT_EQ(R("ts_year", {t}), "2009");
  EXPECT_EQ(R("ts_month", {t}), "1");
  EXPECT_EQ(R("ts_dom", {t}), "12");
  EXPECT_EQ(R("ts_date", {t}), "13");
  EXPECT_EQ(R("ts_dow", {t}), "5");
  EXPECT_EQ(R("ts_doy", {t}), "43");
  EXPECT_EQ(R("ts_hours", {t}), "23");
  EXPECT_EQ(R("ts_minutes", {t}), "31");
  EXPECT_EQ(R("ts_seconds", {t}), "30");
  EXPECT_EQ(R("ts_millis", {t}), "0");
  EXPECT_EQ(R("ts_millis", {Ts("2009-02-13T23:31:20.123456789Z")}), "123");
  // Leap day and the last day of a leap year.
  Value leap = Ts("2024-02-29T12:00:00Z");
  EXPECT_EQ(R("ts_month", {leap}), "1");
  EXPECT_EQ(R("ts_date", {leap}), "29");
  EXPECT_EQ(R("ts_doy", {leap}), "59");
  EXPECT_EQ(R("ts_doy", {Ts("2024-12-31T00:00:00Z")}), "365");
  EXPECT_EQ(R("ts_doy", {Ts("2023-12-31T00:00:00Z")}), "364");
  // Before the epoch and at the ends of the range.
  Value before = Ts("1969-12-31T23:59:59Z");
  EXPECT_EQ(R("ts_year", {before}), "1969");
  EXPECT_EQ(R("ts_hours", {before}), "23");
  EXPECT_EQ(R("ts_dow", {before}), "3");
  Value first = Ts("0001-01-01T00:00:00Z");
  EXPECT_EQ(R("ts_year", {first}), "1");
  EXPECT_EQ(R("ts_dow", {first}), "1");  // a Monday (proleptic Gregorian)
  EXPECT_EQ(R("ts_year", {Ts("9999-12-31T23:59:59Z")}), "9999");
  EXPECT_EQ(R("ts_year", {Value::Timestamp(INT64_MAX, 0)}), kRange);
  EXPECT_EQ(R("ts_year", {N()}), kNoOverload);
  EXPECT_EQ(R("ts_year", {Dt("2024-01-01")}), kNoOverload);
}

TEST(Stdlib, TimestampAccessorsInTimeZones) {
  Value t = Ts("2009-02-13T23:31:30Z");
  Value early = Ts("2009-02-13T02:00:00Z");
  // The conformance suite's cases.
  EXPECT_EQ(R("ts_date_tz", {t, S("Australia/Sydney")}), "14");
  EXPECT_EQ(R("ts_dom_tz", {t, S("US/Central")}), "12");
  EXPECT_EQ(R("ts_dom_tz", {t, S("+11:00")}), "13");
  EXPECT_EQ(R("ts_dom_tz", {early, S("-02:30")}), "11");
  EXPECT_EQ(R("ts_dom_tz", {early, S("America/St_Johns")}), "11");
  EXPECT_EQ(R("ts_dow_tz", {t, S("UTC")}), "5");
  EXPECT_EQ(R("ts_doy_tz", {t, S("US/Central")}), "43");
  EXPECT_EQ(R("ts_year_tz", {t, S("-09:30")}), "2009");
  EXPECT_EQ(R("ts_hours_tz", {t, S("02:00")}), "1");
  EXPECT_EQ(R("ts_minutes_tz", {t, S("Asia/Kathmandu")}), "16");
  EXPECT_EQ(R("ts_seconds_tz", {t, S("-00:00")}), "30");
  EXPECT_EQ(R("ts_month_tz", {t, S("UTC")}), "1");
  EXPECT_EQ(R("ts_millis_tz", {Ts("2009-02-13T23:31:20.123Z"), S("Asia/Tokyo")}), "123");
  // Day of week and of year move with the local date.
  Value jan1 = Ts("2024-01-01T02:00:00Z");
  EXPECT_EQ(R("ts_dow_tz", {jan1, S("America/New_York")}), "0");
  EXPECT_EQ(R("ts_doy_tz", {jan1, S("America/New_York")}), "364");
  EXPECT_EQ(R("ts_doy_tz", {jan1, S("Europe/Berlin")}), "0");
  EXPECT_EQ(R("ts_minutes_tz", {jan1, S("+05:45")}), "45");
  // The plain accessors take no zone; the zoned ones need a string.
  EXPECT_EQ(R("ts_dow", {t, S("UTC")}), kNoOverload);
  EXPECT_EQ(R("ts_minutes_tz", {t, I(1)}), kNoOverload);
  EXPECT_EQ(R("ts_seconds_tz", {t, N()}), kNoOverload);
  EXPECT_EQ(R("ts_millis_tz", {t, S("Mars/Base")}), kInvalid);
  // New year in one zone, not in another.
  Value ny = Ts("2023-12-31T23:30:00Z");
  EXPECT_EQ(R("ts_year_tz", {ny, S("Europe/Berlin")}), "2024");
  EXPECT_EQ(R("ts_year_tz", {ny, S("America/New_York")}), "2023");
  EXPECT_EQ(R("ts_month_tz", {ny, S("Europe/Berlin")}), "0");
  // DST in New York: 2024-03-10 02:00 EST -> 03:00 EDT (07:00Z); 2024-11-03 02:00 EDT -> 01:00 EST (06:00Z).
  EXPECT_EQ(R("ts_hours_tz", {Ts("2024-03-10T06:59:59Z"), S("America/New_York")}), "1");
  EXPECT_EQ(R("ts_hours_tz", {Ts("2024-03-10T07:00:00Z"), S("America/New_York")}), "3");
  EXPECT_EQ(R("ts_hours_tz", {Ts("2024-11-03T05:59:59Z"), S("America/New_York")}), "1");
  EXPECT_EQ(R("ts_hours_tz", {Ts("2024-11-03T06:00:00Z"), S("America/New_York")}), "1");
  EXPECT_EQ(R("ts_hours_tz", {Ts("2024-11-03T07:00:00Z"), S("America/New_York")}), "2");
  EXPECT_EQ(R("ts_hours_tz", {Ts("2024-07-01T12:00:00Z"), S("Europe/London")}), "13");
  EXPECT_EQ(R("ts_hours_tz", {Ts("2024-01-01T12:00:00Z"), S("Europe/London")}), "12");
  // After the last transition listed in the file: the POSIX rule of its footer.
  EXPECT_EQ(R("ts_hours_tz", {Ts("2100-07-01T12:00:00Z"), S("America/New_York")}), "8");
  EXPECT_EQ(R("ts_hours_tz", {Ts("2100-01-01T12:00:00Z"), S("America/New_York")}), "7");
  EXPECT_EQ(R("ts_hours_tz", {Ts("2100-01-01T12:00:00Z"), S("Australia/Sydney")}), "23");
  EXPECT_EQ(R("ts_hours_tz", {Ts("2100-07-01T12:00:00Z"), S("Australia/Sydney")}), "22");
  EXPECT_EQ(R("ts_hours_tz", {Ts("9999-07-01T12:00:00Z"), S("Europe/Paris")}), "14");
  EXPECT_EQ(R("ts_hours_tz", {Ts("0001-01-01T00:00:00Z"), S("America/New_York")}), "19");  // LMT -4:56:02
  // Bad zones.
  for (const char* bad : {"Mars/Base", "", "Local", "../../etc/passwd", "/etc/localtime", "America//New_York", "+25:00",
                          "5:3", "+05:60", "1:2:3", "zone.tab", "right/UTC", "America/New_York ", "utc"})
    EXPECT_EQ(R("ts_hours_tz", {t, S(bad)}), kInvalid) << bad;
  EXPECT_EQ(R("ts_hours_tz", {t, N()}), kNoOverload);
  EXPECT_EQ(R("ts_hours", {t, I(1)}), kNoOverload);
  EXPECT_EQ(R("ts_hours", {t, S("UTC"), S("UTC")}), kNoOverload);
}

TEST(Stdlib, DurationAccessors) {
  EXPECT_EQ(R("dur_hours", {Dur("90m")}), "1");
  EXPECT_EQ(R("dur_hours", {Dur("10000s")}), "2");
  EXPECT_EQ(R("dur_minutes", {Dur("90s")}), "1");
  EXPECT_EQ(R("dur_minutes", {Dur("3730s")}), "62");
  EXPECT_EQ(R("dur_seconds", {Dur("1m")}), "60");
  EXPECT_EQ(R("dur_seconds", {Dur("3730s")}), "3730");
  // The milliseconds part, as the CEL conformance suite defines it.
  EXPECT_EQ(R("dur_millis", {Dur("123.321456789s")}), "321");
  EXPECT_EQ(R("dur_millis", {Dur("1s")}), "0");
  // Negative durations truncate toward zero.
  EXPECT_EQ(R("dur_hours", {Dur("-90m")}), "-1");
  EXPECT_EQ(R("dur_minutes", {Dur("-1.5s")}), "0");
  EXPECT_EQ(R("dur_seconds", {Dur("-1.5s")}), "-1");
  EXPECT_EQ(R("dur_millis", {Dur("-1.5s")}), "-500");
  EXPECT_EQ(R("dur_hours", {Ts("2024-01-01T00:00:00Z")}), kNoOverload);
}

TEST(TimeZones, Zones) {
  const tz::Zone* ny = tz::FindZone("America/New_York");
  ASSERT_NE(ny, nullptr);
  EXPECT_EQ(ny->name(), "America/New_York");
  EXPECT_EQ(tz::FindZone("America/New_York"), ny);  // cached
  EXPECT_EQ(ny->OffsetAt(Ts("2024-07-01T00:00:00Z").seconds()), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(Ts("2024-01-01T00:00:00Z").seconds()), -5 * 3600);
  EXPECT_EQ(tz::FindZone("Nope/Zone"), nullptr);
  EXPECT_EQ(tz::FindZone("Nope/Zone"), nullptr);
  EXPECT_EQ(tz::FindZone("../zoneinfo/UTC"), nullptr);
  ASSERT_NE(tz::FindZone("UTC"), nullptr);
  EXPECT_EQ(tz::FindZone("UTC")->OffsetAt(0), 0);
  // Local to UTC: a fold gives the earlier instant, a gap reads with the offset before it.
  auto local = [](std::string_view text) { return Ts(text).seconds(); };
  EXPECT_EQ(ny->LocalToUtc(local("2024-11-03T01:30:00Z")), local("2024-11-03T05:30:00Z"));  // EDT
  EXPECT_EQ(ny->LocalToUtc(local("2024-03-10T02:30:00Z")), local("2024-03-10T07:30:00Z"));  // = 03:30 EDT
  EXPECT_EQ(ny->LocalToUtc(local("2024-07-01T00:00:00Z")), local("2024-07-01T04:00:00Z"));
  EXPECT_EQ(ny->LocalToUtc(local("2100-07-01T00:00:00Z")), local("2100-07-01T04:00:00Z"));
  // Malformed data never crashes: every prefix of a real file, and garbage.
  std::ifstream in("/usr/share/zoneinfo/America/New_York", std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string data = buf.str();
  ASSERT_GT(data.size(), 100u);
  ASSERT_NE(tz::Zone::Parse("x", data), nullptr);
  for (size_t n = 0; n < data.size(); n += 7) {
    auto z = tz::Zone::Parse("x", std::string_view(data).substr(0, n));
    if (z != nullptr) (void)z->OffsetAt(0);
  }
  std::string flipped = data;
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    flipped[rng() % flipped.size()] ^= static_cast<char>(1 << (rng() % 8));
    auto z = tz::Zone::Parse("x", flipped);
    if (z != nullptr) (void)z->LocalToUtc(z->OffsetAt(1700000000));
  }
  EXPECT_EQ(tz::Zone::Parse("x", "TZif"), nullptr);
  EXPECT_EQ(tz::Zone::Parse("x", ""), nullptr);
}

// A version 2 TZif file with no transitions, one type (UTC) and a footer.
std::string Tzif(std::string_view footer) {
  auto be32 = [](std::string& s, uint32_t v) {
    for (int i = 3; i >= 0; --i) s += static_cast<char>(v >> (8 * i) & 0xFF);
  };
  std::string block;
  be32(block, 0);  // utoff
  block += '\0';   // isdst
  block += '\0';   // desigidx
  block += std::string("UTC\0", 4);
  auto header = [&](std::string& s) {
    s += "TZif2";
    s += std::string(15, '\0');
    for (uint32_t v : {0u, 0u, 0u, 0u, 1u, 4u}) be32(s, v);
  };
  std::string out;
  header(out);
  out += block;
  header(out);
  out += block;
  out += '\n';
  out += footer;
  out += '\n';
  return out;
}

TEST(TimeZones, PosixFooterRules) {
  auto offset = [](std::string_view footer, std::string_view when) {
    auto z = tz::Zone::Parse("x", Tzif(footer));
    EXPECT_NE(z, nullptr) << footer;
    return z == nullptr ? -1 : z->OffsetAt(Ts(when).seconds());
  };
  EXPECT_EQ(offset("EST5EDT,M3.2.0,M11.1.0", "2024-07-01T00:00:00Z"), -4 * 3600);
  EXPECT_EQ(offset("EST5EDT,M3.2.0,M11.1.0", "2024-01-01T00:00:00Z"), -5 * 3600);
  EXPECT_EQ(offset("EST5EDT,M3.2.0,M11.1.0", "2024-03-10T06:59:59Z"), -5 * 3600);
  EXPECT_EQ(offset("EST5EDT,M3.2.0,M11.1.0", "2024-03-10T07:00:00Z"), -4 * 3600);
  EXPECT_EQ(offset("EST5EDT,M3.2.0,M11.1.0", "2024-11-03T05:59:59Z"), -4 * 3600);
  EXPECT_EQ(offset("EST5EDT,M3.2.0,M11.1.0", "2024-11-03T06:00:00Z"), -5 * 3600);
  EXPECT_EQ(offset("EST5EDT", "2024-07-01T00:00:00Z"), -4 * 3600);  // POSIX default rule
  EXPECT_EQ(offset("<+0330>-3:30", "2024-07-01T00:00:00Z"), 3 * 3600 + 1800);
  EXPECT_EQ(offset("AEST-10AEDT,M10.1.0,M4.1.0/3", "2024-01-01T00:00:00Z"), 11 * 3600);
  EXPECT_EQ(offset("AEST-10AEDT,M10.1.0,M4.1.0/3", "2024-07-01T00:00:00Z"), 10 * 3600);
  EXPECT_EQ(offset("IST-1GMT0,M10.5.0,M3.5.0/1", "2024-07-01T00:00:00Z"), 3600);  // Europe/Dublin: negative DST
  EXPECT_EQ(offset("IST-1GMT0,M10.5.0,M3.5.0/1", "2024-01-01T00:00:00Z"), 0);
  EXPECT_EQ(offset("XXX3YYY,J60/2,J300/2", "2024-03-01T12:00:00Z"), -2 * 3600);  // J60 is Mar 1 even in leap years
  EXPECT_EQ(offset("XXX3YYY,J60/2,J300/2", "2024-02-29T12:00:00Z"), -3 * 3600);
  EXPECT_EQ(offset("XXX3YYY,59/2,300/2", "2024-02-29T12:00:00Z"), -2 * 3600);   // zero-based day 59 is Feb 29
  EXPECT_EQ(offset("EST5EDT,0/0,J365/25", "2024-07-01T00:00:00Z"), -4 * 3600);  // DST all year
  EXPECT_EQ(offset("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "2024-07-01T00:00:00Z"), -2 * 3600);  // America/Nuuk style
  EXPECT_EQ(offset("BAD", "2024-07-01T00:00:00Z"), 0);  // malformed footer: ignored
  EXPECT_EQ(offset("EST5EDT,M3.2.0", "2024-07-01T00:00:00Z"), 0);
}

// ---- dates ----

TEST(Dates, Conversions) {
  EXPECT_EQ(R("to_date_string", {S("2024-02-29")}), "date(\"2024-02-29\")");
  for (const char* bad : {"2023-02-29", "2024-2-29", "", " ", "2024-02-29T00:00:00Z", "0000-01-01", "2024-13-01"})
    EXPECT_EQ(R("to_date_string", {S(bad)}), kConversion) << bad;
  EXPECT_EQ(R("to_date_string", {N()}), kNoOverload);
  EXPECT_EQ(R("to_date_date", {Dt("2024-01-02")}), "date(\"2024-01-02\")");
  EXPECT_EQ(R("to_date_ts", {Ts("2024-01-02T23:00:00Z")}), "date(\"2024-01-02\")");
  EXPECT_EQ(R("to_date_ts", {Ts("1969-12-31T23:59:59Z")}), "date(\"1969-12-31\")");
  EXPECT_EQ(R("to_date_ts_tz", {Ts("2024-01-02T23:00:00Z"), S("America/Los_Angeles")}), "date(\"2024-01-02\")");
  EXPECT_EQ(R("to_date_ts_tz", {Ts("2024-01-03T05:00:00Z"), S("America/Los_Angeles")}), "date(\"2024-01-02\")");
  EXPECT_EQ(R("to_date_ts_tz", {Ts("2024-01-02T23:00:00Z"), S("Asia/Tokyo")}), "date(\"2024-01-03\")");
  EXPECT_EQ(R("to_date_ts_tz", {Ts("2024-01-02T23:00:00Z"), S("+01:00")}), "date(\"2024-01-03\")");
  EXPECT_EQ(R("to_date_ts_tz", {Ts("0001-01-01T00:00:00Z"), S("America/New_York")}), kRange);
  EXPECT_EQ(R("to_date_ts_tz", {Ts("2024-01-02T23:00:00Z"), S("Nowhere")}), kInvalid);
  EXPECT_EQ(R("date_to_ts", {Dt("2024-01-02")}), "timestamp(\"2024-01-02T00:00:00Z\")");
  EXPECT_EQ(R("date_to_ts", {Value::Date(kMinTimestampSeconds / 86400 - 1)}), kRange);
  EXPECT_EQ(R("date_to_ts_tz", {Dt("2024-01-02"), S("Europe/Paris")}), "timestamp(\"2024-01-01T23:00:00Z\")");
  EXPECT_EQ(R("date_to_ts_tz", {Dt("2024-07-01"), S("Europe/Paris")}), "timestamp(\"2024-06-30T22:00:00Z\")");
  EXPECT_EQ(R("date_to_ts_tz", {Dt("2024-01-02"), S("+05:30")}), "timestamp(\"2024-01-01T18:30:00Z\")");
  EXPECT_EQ(R("date_to_ts_tz", {Dt("2024-01-02"), S("-08:00")}), "timestamp(\"2024-01-02T08:00:00Z\")");
  // Midnight in a DST gap (Chile moves 00:00 -> 01:00): the first instant of the day.
  EXPECT_EQ(R("date_to_ts_tz", {Dt("2024-09-08"), S("America/Santiago")}), "timestamp(\"2024-09-08T04:00:00Z\")");
  EXPECT_EQ(R("date_to_ts_tz", {Dt("2024-04-07"), S("America/Santiago")}), "timestamp(\"2024-04-07T04:00:00Z\")");
  EXPECT_EQ(R("date_to_ts_tz", {Dt("2024-03-10"), S("America/New_York")}), "timestamp(\"2024-03-10T05:00:00Z\")");
  EXPECT_EQ(R("date_to_ts_tz", {Dt("0001-01-01"), S("Asia/Tokyo")}), kRange);
  EXPECT_EQ(R("date_to_ts_tz", {Dt("2024-01-02"), S("Bad/Zone")}), kInvalid);
  EXPECT_EQ(R("date_to_ts_tz", {Value::Date(int64_t{1} << 50), S("UTC")}), "error(range)");
  // Round trip through every zone-free day of a leap year.
  for (int64_t d = Dt("2024-01-01").days(); d <= Dt("2024-12-31").days(); ++d) {
    Value ts = Call("date_to_ts_tz", {Value::Date(d), S("America/New_York")});
    ASSERT_FALSE(ts.is_error());
    EXPECT_EQ(Call("to_date_ts_tz", {ts, S("America/New_York")}).days(), d);
  }
}

TEST(Dates, RangeConstantsMatchTheCalendar) {
  EXPECT_EQ(R("to_date_ts", {Ts("0001-01-01T00:00:00Z")}), "date(\"0001-01-01\")");
  EXPECT_EQ(R("to_date_ts", {Ts("9999-12-31T23:59:59Z")}), "date(\"9999-12-31\")");
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  EXPECT_EQ(DaysFromCivil(9999, 12, 31), 2932896);
  EXPECT_EQ(R("to_date_ts_tz", {Ts("9999-12-31T23:59:59Z"), S("Asia/Tokyo")}), kRange);
}

TEST(Dates, EpochMillisAndAccessors) {
  EXPECT_EQ(R("epoch_millis", {Ts("1970-01-01T00:00:01Z")}), "1000");
  EXPECT_EQ(R("epoch_millis", {Ts("1969-12-31T23:59:59.999Z")}), "-1");
  EXPECT_EQ(R("epoch_millis", {Ts("2024-05-31T12:00:00.123456Z")}), "1717156800123");
  EXPECT_EQ(R("epoch_millis", {Ts("9999-12-31T23:59:59.999999999Z")}), "253402300799999");
  EXPECT_EQ(R("epoch_millis", {Value::Timestamp(INT64_MAX, 0)}), kRange);
  EXPECT_EQ(R("from_epoch_millis", {I(1000)}), "timestamp(\"1970-01-01T00:00:01Z\")");
  EXPECT_EQ(R("from_epoch_millis", {I(-1)}), "timestamp(\"1969-12-31T23:59:59.999Z\")");
  EXPECT_EQ(R("from_epoch_millis", {I(1717156800123)}), "timestamp(\"2024-05-31T12:00:00.123Z\")");
  EXPECT_EQ(R("from_epoch_millis", {I(253402300799999)}), "timestamp(\"9999-12-31T23:59:59.999Z\")");
  EXPECT_EQ(R("from_epoch_millis", {I(253402300800000)}), kRange);
  EXPECT_EQ(R("from_epoch_millis", {I(INT64_MAX)}), kRange);
  EXPECT_EQ(R("from_epoch_millis", {I(INT64_MIN)}), kRange);
  EXPECT_EQ(R("from_epoch_millis", {S("1000")}), kNoOverload);
  EXPECT_EQ(R("date_year", {Dt("2024-02-29")}), "2024");
  EXPECT_EQ(R("date_month", {Dt("2024-02-29")}), "1");
  EXPECT_EQ(R("date_day", {Dt("2024-02-29")}), "29");
  EXPECT_EQ(R("date_month", {Dt("2024-12-31")}), "11");
  EXPECT_EQ(R("date_year", {Dt("0001-01-01")}), "1");
  EXPECT_EQ(R("date_day", {Dt("1969-12-31")}), "31");
  EXPECT_EQ(R("date_year", {Value::Date(INT64_MAX)}), kRange);
  EXPECT_EQ(R("date_year", {Ts("2024-01-01T00:00:00Z")}), kNoOverload);
}

}  // namespace
}  // namespace accord::rt
