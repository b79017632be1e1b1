// Tests of the type conversions (stdlib_conversions.cc).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "runtime/stdlib_test_util.h"

namespace accord::rt {
namespace {

using namespace stdlib_testing;  // NOLINT(google-build-using-namespace): the tests' shorthand

// ---- conversions ----

TEST(Stdlib, ToInt) {
  EXPECT_EQ(R("to_int_int", {I(3)}), "3");
  EXPECT_EQ(R("to_int_uint", {U(3)}), "3");
  EXPECT_EQ(R("to_int_uint", {U(9223372036854775807ULL)}), "9223372036854775807");
  EXPECT_EQ(R("to_int_uint", {U(9223372036854775808ULL)}), kRange);
  EXPECT_EQ(R("to_int_double", {D(2.9)}), "2");
  EXPECT_EQ(R("to_int_double", {D(-2.9)}), "-2");
  EXPECT_EQ(R("to_int_double", {D(-0.5)}), "0");
  EXPECT_EQ(R("to_int_double", {D(1e99)}), kRange);
  EXPECT_EQ(R("to_int_double", {D(kNaN)}), kRange);
  EXPECT_EQ(R("to_int_double", {D(kInf)}), kRange);
  EXPECT_EQ(R("to_int_double", {D(-kInf)}), kRange);
  EXPECT_EQ(R("to_int_double", {D(9223372036854775807.0)}), kRange);
  EXPECT_EQ(R("to_int_double", {D(-9223372036854775808.0)}), kRange);  // as cel-go
  EXPECT_EQ(R("to_int_double", {D(-9223372036854774784.0)}), "-9223372036854774784");
  EXPECT_EQ(R("to_int_string", {S("42")}), "42");
  EXPECT_EQ(R("to_int_string", {S("-42")}), "-42");
  EXPECT_EQ(R("to_int_string", {S("+7")}), "7");
  EXPECT_EQ(R("to_int_string", {S("9223372036854775807")}), "9223372036854775807");
  EXPECT_EQ(R("to_int_string", {S("-9223372036854775808")}), "-9223372036854775808");
  EXPECT_EQ(R("to_int_string", {S("9223372036854775808")}), kRange);
  EXPECT_EQ(R("to_int_string", {S("-9223372036854775809")}), kRange);
  EXPECT_EQ(R("to_int_string", {S("123456789012345678901234567890")}), kRange);
  for (const char* bad : {"", " ", " 42", "42 ", "4.2", "0x10", "1_000", "+", "-", "--1", "1e3", "٣"})
    EXPECT_EQ(R("to_int_string", {S(bad)}), kConversion) << bad;
  EXPECT_EQ(R("to_int_string", {N()}), kNoOverload);
  EXPECT_EQ(R("to_int_ts", {Ts("1970-01-01T00:00:10Z")}), "10");
  EXPECT_EQ(R("to_int_ts", {Ts("2009-02-13T23:31:30Z")}), "1234567890");
  EXPECT_EQ(R("to_int_ts", {Ts("1969-12-31T23:59:59.5Z")}), "-1");
  EXPECT_EQ(R("to_int_decimal", {Dec("2.5")}), "2");
  EXPECT_EQ(R("to_int_decimal", {Dec("-2.5")}), "-2");
  EXPECT_EQ(R("to_int_decimal", {Dec("-0.001")}), "0");
  EXPECT_EQ(R("to_int_decimal", {Value::Decimal(INT64_MIN, 0)}), "-9223372036854775808");
  EXPECT_EQ(R("to_int_decimal", {Value::Decimal(1, 19)}), kInvalid);
}

TEST(Stdlib, ToUint) {
  EXPECT_EQ(R("to_uint_uint", {U(3)}), "3u");
  EXPECT_EQ(R("to_uint_int", {I(3)}), "3u");
  EXPECT_EQ(R("to_uint_int", {I(-1)}), kRange);
  EXPECT_EQ(R("to_uint_int", {I(INT64_MAX)}), "9223372036854775807u");
  EXPECT_EQ(R("to_uint_double", {D(2.9)}), "2u");
  EXPECT_EQ(R("to_uint_double", {D(25.5)}), "25u");
  EXPECT_EQ(R("to_uint_double", {D(-0.5)}), kRange);
  EXPECT_EQ(R("to_uint_double", {D(-0.0)}), "0u");
  EXPECT_EQ(R("to_uint_double", {D(18446744073709551616.0)}), kRange);
  EXPECT_EQ(R("to_uint_double", {D(6.022e23)}), kRange);
  EXPECT_EQ(R("to_uint_double", {D(kNaN)}), kRange);
  EXPECT_EQ(R("to_uint_string", {S("7")}), "7u");
  EXPECT_EQ(R("to_uint_string", {S("18446744073709551615")}), "18446744073709551615u");
  EXPECT_EQ(R("to_uint_string", {S("18446744073709551616")}), kRange);
  for (const char* bad : {"", "+1", "-1", "1u", " 1", "1.0"})
    EXPECT_EQ(R("to_uint_string", {S(bad)}), kConversion) << bad;
}

TEST(Stdlib, ToDouble) {
  EXPECT_EQ(R("to_double_double", {D(1.5)}), "1.5");
  EXPECT_EQ(R("to_double_int", {I(2)}), "2.0");
  EXPECT_EQ(Call("to_double_int", {I(INT64_MAX)}).double_value(), 9223372036854775808.0);
  EXPECT_EQ(R("to_double_uint", {U(2)}), "2.0");
  EXPECT_EQ(R("to_double_string", {S("1.25")}), "1.25");
  EXPECT_EQ(R("to_double_string", {S("-987.654")}), "-987.654");
  EXPECT_EQ(R("to_double_string", {S("6.02214e23")}), "6.02214e+23");
  EXPECT_EQ(R("to_double_string", {S("-5.43e-21")}), "-5.43e-21");
  EXPECT_EQ(R("to_double_string", {S("+1.5")}), "1.5");
  EXPECT_EQ(R("to_double_string", {S(".5")}), "0.5");
  EXPECT_EQ(R("to_double_string", {S("5.")}), "5.0");
  EXPECT_EQ(R("to_double_string", {S("1E3")}), "1000.0");
  EXPECT_TRUE(std::signbit(Call("to_double_string", {S("-0.0")}).double_value()));
  EXPECT_EQ(R("to_double_string", {S("1e-400")}), "0.0");  // underflow is zero, as Go
  EXPECT_EQ(R("to_double_string", {S("1e400")}), kRange);
  EXPECT_EQ(R("to_double_string", {S("-1e400")}), kRange);
  EXPECT_EQ(R("to_double_string", {S("0.000001e400")}), kRange);
  EXPECT_EQ(R("to_double_string", {S("Infinity")}), "double(\"Infinity\")");
  EXPECT_EQ(R("to_double_string", {S("-inf")}), "double(\"-Infinity\")");
  EXPECT_TRUE(std::isnan(Call("to_double_string", {S("NaN")}).double_value()));
  for (const char* bad : {"", " ", " 1", "1 ", "1.2.3", "abc", "1e", "e5", ".", "0x1p3", "1_0", "+nan", "infinit"})
    EXPECT_EQ(R("to_double_string", {S(bad)}), kConversion) << bad;
  EXPECT_EQ(R("to_double_decimal", {Dec("0.5")}), "0.5");
  EXPECT_EQ(Call("to_double_decimal", {Dec("12345678901234.5678")}).double_value(), 12345678901234.5678);
  EXPECT_EQ(Call("to_double_decimal", {Value::Decimal(INT64_MIN, 18)}).double_value(), -9.223372036854775808);
  EXPECT_EQ(R("to_double_string", {N()}), kNoOverload);
}

TEST(Stdlib, ToString) {
  EXPECT_EQ(R("to_string_string", {S("a")}), "\"a\"");
  EXPECT_EQ(R("to_string_int", {I(42)}), "\"42\"");
  EXPECT_EQ(R("to_string_int", {I(-456)}), "\"-456\"");
  EXPECT_EQ(R("to_string_int", {I(INT64_MIN)}), "\"-9223372036854775808\"");
  EXPECT_EQ(R("to_string_uint", {U(42)}), "\"42\"");
  EXPECT_EQ(R("to_string_uint", {U(UINT64_MAX)}), "\"18446744073709551615\"");
  // Go's %g, as cel-go.
  EXPECT_EQ(R("to_string_double", {D(1.5)}), "\"1.5\"");
  EXPECT_EQ(R("to_string_double", {D(123.456)}), "\"123.456\"");
  EXPECT_EQ(R("to_string_double", {D(-4.5e-3)}), "\"-0.0045\"");
  EXPECT_EQ(R("to_string_double", {D(2.0)}), "\"2\"");
  EXPECT_EQ(R("to_string_double", {D(123456.0)}), "\"123456\"");
  EXPECT_EQ(R("to_string_double", {D(1e6)}), "\"1e+06\"");
  EXPECT_EQ(R("to_string_double", {D(1234567.0)}), "\"1.234567e+06\"");
  EXPECT_EQ(R("to_string_double", {D(0.0001)}), "\"0.0001\"");
  EXPECT_EQ(R("to_string_double", {D(0.00001)}), "\"1e-05\"");
  EXPECT_EQ(R("to_string_double", {D(1e100)}), "\"1e+100\"");
  EXPECT_EQ(R("to_string_double", {D(0.1 + 0.2)}), "\"0.30000000000000004\"");
  EXPECT_EQ(R("to_string_double", {D(-0.0)}), "\"-0\"");
  EXPECT_EQ(R("to_string_double", {D(kInf)}), "\"+Inf\"");
  EXPECT_EQ(R("to_string_double", {D(-kInf)}), "\"-Inf\"");
  EXPECT_EQ(R("to_string_double", {D(kNaN)}), "\"NaN\"");
  EXPECT_EQ(R("to_string_bool", {Value::Bool(true)}), "\"true\"");
  EXPECT_EQ(R("to_string_bool", {Value::Bool(false)}), "\"false\"");
  EXPECT_EQ(R("to_string_bytes", {B("hi")}), "\"hi\"");
  EXPECT_EQ(R("to_string_bytes", {B("\xc3\xbf")}), "\"ÿ\"");
  EXPECT_EQ(R("to_string_bytes", {B("")}), "\"\"");
  for (std::string_view bad :
       {std::string_view("\x00\xff", 2), std::string_view("\xc0\xaf"), std::string_view("\xed\xa0\x80"),
        std::string_view("\xf4\x90\x80\x80"), std::string_view("\xe2\x82"), std::string_view("a\x80")})
    EXPECT_EQ(R("to_string_bytes", {B(bad)}), kConversion);
  Value view = Call("to_string_bytes", {Value::BytesView("abc")});
  EXPECT_TRUE(view.is(Kind::kString) && Borrowed(view));
  EXPECT_EQ(R("to_string_ts", {Ts("2024-01-02T03:04:05Z")}), "\"2024-01-02T03:04:05Z\"");
  EXPECT_EQ(R("to_string_ts", {Ts("2024-01-02T03:04:05.5Z")}), "\"2024-01-02T03:04:05.500Z\"");
  EXPECT_EQ(R("to_string_ts", {Ts("9999-12-31T23:59:59.999999999Z")}), "\"9999-12-31T23:59:59.999999999Z\"");
  EXPECT_EQ(R("to_string_ts", {Value::Timestamp(INT64_MAX, 0)}), kRange);
  EXPECT_EQ(R("to_string_dur", {Dur("90s")}), "\"90s\"");
  EXPECT_EQ(R("to_string_dur", {Dur("1000000s")}), "\"1000000s\"");
  EXPECT_EQ(R("to_string_dur", {Dur("1.5s")}), "\"1.5s\"");
  EXPECT_EQ(R("to_string_dur", {Dur("-2m")}), "\"-120s\"");
  EXPECT_EQ(R("to_string_dur", {Value::Duration(INT64_MIN, 0)}), kRange);
  EXPECT_EQ(R("to_string_date", {Dt("2024-02-29")}), "\"2024-02-29\"");
  EXPECT_EQ(R("to_string_decimal", {Dec("1.10")}), "\"1.10\"");
  EXPECT_EQ(R("to_string_decimal", {Dec("-0.05")}), "\"-0.05\"");
  EXPECT_EQ(R("to_string_decimal", {Dec("0")}), "\"0\"");
  EXPECT_EQ(R("to_string_decimal", {Value::Decimal(5, 3)}), "\"0.005\"");
  EXPECT_EQ(R("to_string_decimal", {Value::Decimal(-5, 3)}), "\"-0.005\"");
  EXPECT_EQ(R("to_string_decimal", {Value::Decimal(INT64_MIN, 18)}), "\"-9.223372036854775808\"");
  EXPECT_EQ(R("to_string_decimal", {Value::Decimal(INT64_MAX, 0)}), "\"9223372036854775807\"");
  EXPECT_EQ(R("to_string_decimal", {Value::Decimal(1, 19)}), kInvalid);
  // Agrees with value.cc's FormatDecimal.
  for (int64_t c : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{123456789}, INT64_MIN, INT64_MAX})
    for (uint32_t s : {0u, 1u, 5u, 18u})
      EXPECT_EQ(Call("to_string_decimal", {Value::Decimal(c, s)}).str(), FormatDecimal(c, s));
  EXPECT_EQ(R("to_string_int", {N()}), kNoOverload);
}

TEST(Stdlib, ToBytesAndBool) {
  EXPECT_EQ(R("to_bytes_string", {S("hi")}), "b\"hi\"");
  EXPECT_EQ(R("to_bytes_string", {S("ÿ")}), "b\"\\xc3\\xbf\"");
  EXPECT_TRUE(Borrowed(Call("to_bytes_string", {V("abc")})));
  EXPECT_EQ(R("to_bytes_bytes", {B("x")}), "b\"x\"");
  for (const char* t : {"1", "t", "true", "TRUE", "True"}) EXPECT_EQ(R("to_bool_string", {S(t)}), "true") << t;
  for (const char* f : {"0", "f", "false", "FALSE", "False"}) EXPECT_EQ(R("to_bool_string", {S(f)}), "false") << f;
  for (const char* bad : {"TrUe", "FaLsE", "", " ", "yes", "true "})
    EXPECT_EQ(R("to_bool_string", {S(bad)}), kConversion) << bad;
  EXPECT_EQ(R("to_bool_bool", {Value::Bool(true)}), "true");
  EXPECT_EQ(R("to_bool_string", {N()}), kNoOverload);
}

TEST(Stdlib, ToTimestampAndDuration) {
  EXPECT_EQ(R("to_ts_string", {S("2024-01-02T03:04:05.000+0000")}), "timestamp(\"2024-01-02T03:04:05Z\")");
  EXPECT_EQ(R("to_ts_string", {S("2023-02-03T23:31:20+01:00")}), "timestamp(\"2023-02-03T22:31:20Z\")");
  for (const char* bad :
       {"", "2024-01-02", "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "2024-02-30T00:00:00Z", "nope"})
    EXPECT_EQ(R("to_ts_string", {S(bad)}), kConversion) << bad;
  Value t = Ts("2024-01-02T03:04:05Z");
  EXPECT_EQ(R("to_ts_ts", {t}), R(t));
  EXPECT_EQ(R("to_ts_int", {I(0)}), "timestamp(\"1970-01-01T00:00:00Z\")");
  EXPECT_EQ(R("to_ts_int", {I(1000000000)}), "timestamp(\"2001-09-09T01:46:40Z\")");
  EXPECT_EQ(R("to_ts_int", {I(kMinTimestampSeconds)}), "timestamp(\"0001-01-01T00:00:00Z\")");
  EXPECT_EQ(R("to_ts_int", {I(kMaxTimestampSeconds + 1)}), kRange);
  EXPECT_EQ(R("to_ts_int", {I(kMinTimestampSeconds - 1)}), kRange);
  EXPECT_EQ(R("to_dur_string", {S("1h")}), R(Dur("60m")));
  EXPECT_EQ(R("to_dur_string", {S("1h30m")}), "duration(\"5400s\")");
  EXPECT_EQ(R("to_dur_string", {S("1.5h")}), "duration(\"5400s\")");
  EXPECT_EQ(R("to_dur_string", {S("-2m")}), "duration(\"-120s\")");
  for (const char* bad : {"", "1x", "h", "320000000000s", "-320000000000s", " 1s"})
    EXPECT_EQ(R("to_dur_string", {S(bad)}), kConversion) << bad;
  EXPECT_EQ(R("to_dur_dur", {Dur("90s")}), "duration(\"90s\")");
  EXPECT_EQ(R("to_dur_string", {N()}), kNoOverload);
}

TEST(Stdlib, DynAndType) {
  EXPECT_EQ(R("to_dyn", {I(1)}), "1");
  EXPECT_EQ(R("to_dyn", {N()}), "null");
  EXPECT_EQ(R("type_of", {I(1)}), "int");
  EXPECT_TRUE(Equal(Call("type_of", {I(1)}), Value::Type("int")));
  EXPECT_FALSE(Equal(Call("type_of", {I(1)}), Value::Type("uint")));
  EXPECT_EQ(R("type_of", {U(1)}), "uint");
  EXPECT_EQ(R("type_of", {N()}), "null_type");
  EXPECT_EQ(R("type_of", {V("x")}), "string");
  EXPECT_EQ(R("type_of", {L({})}), "list");
  EXPECT_EQ(R("type_of", {M({})}), "map");
  EXPECT_EQ(R("type_of", {Ts("2024-01-01T00:00:00Z")}), "google.protobuf.Timestamp");
  EXPECT_EQ(R("type_of", {Dur("1s")}), "google.protobuf.Duration");
  EXPECT_EQ(R("type_of", {Dt("2024-01-01")}), "date");
  EXPECT_EQ(R("type_of", {Dec("1")}), "decimal");
  EXPECT_EQ(R("type_of", {Value::Type("int")}), "type");
}

// ---- decimals ----

TEST(Decimals, Conversions) {
  EXPECT_EQ(R("to_decimal_string", {S("19.99")}), "decimal(\"19.99\")");
  EXPECT_EQ(R("to_decimal_string", {S("-0.50")}), "decimal(\"-0.50\")");
  EXPECT_EQ(R("to_decimal_string", {S("1e2")}), "decimal(\"100\")");
  EXPECT_EQ(R("to_decimal_string", {S("9223372036854775807")}), "decimal(\"9223372036854775807\")");
  for (const char* bad : {"abc", "", " ", " 1", "1.2.3", "0.0000000000000000001", "99999999999999999999", "1,5", "--1"})
    EXPECT_EQ(R("to_decimal_string", {S(bad)}), kConversion) << bad;
  // Extreme exponents end quickly (value.cc's ParseDecimal used to loop ~|exponent| times on zero).
  EXPECT_EQ(R("to_decimal_string", {S("0e-9223372036854775807")}), "decimal(\"0.000000000000000000\")");
  EXPECT_EQ(R("to_decimal_string", {S("0e999999999999999")}), "decimal(\"0\")");
  EXPECT_EQ(R("to_decimal_string", {S("-0.00")}), "decimal(\"0.00\")");
  EXPECT_EQ(R("to_decimal_string", {S("1.5e3")}), "decimal(\"1500\")");
  EXPECT_EQ(R("to_decimal_string", {S("1200e-20")}), "decimal(\"0.000000000000000012\")");
  for (const char* bad : {"1e-9223372036854775808", "1e9223372036854775807", "1e-19", "1e19", "12e-19"})
    EXPECT_EQ(R("to_decimal_string", {S(bad)}), kConversion) << bad;
  EXPECT_EQ(R("to_decimal_int", {I(5)}), "decimal(\"5\")");
  EXPECT_TRUE(Equal(Call("to_decimal_int", {I(5)}), Dec("5")));
  EXPECT_EQ(R("to_decimal_int", {I(INT64_MIN)}), "decimal(\"-9223372036854775808\")");
  EXPECT_EQ(R("to_decimal_double", {D(0.1)}), "decimal(\"0.1\")");
  EXPECT_EQ(R("to_decimal_double", {D(19.99)}), "decimal(\"19.99\")");
  EXPECT_EQ(R("to_decimal_double", {D(2.5e-7)}), "decimal(\"0.00000025\")");
  EXPECT_EQ(R("to_decimal_double", {D(0.1 + 0.2)}), "decimal(\"0.30000000000000004\")");
  EXPECT_EQ(R("to_decimal_double", {D(123456.789)}), "decimal(\"123456.789\")");
  EXPECT_EQ(R("to_decimal_double", {D(-0.0)}), "decimal(\"0\")");
  EXPECT_EQ(R("to_decimal_double", {D(1e18)}), "decimal(\"1000000000000000000\")");
  EXPECT_EQ(R("to_decimal_double", {D(1e-30)}), "decimal(\"0\")");                       // below 18 places
  EXPECT_EQ(R("to_decimal_double", {D(1.5e-18)}), "decimal(\"0.000000000000000002\")");  // rounded at 18 places
  EXPECT_EQ(R("to_decimal_double", {D(9.3e18)}), kOverflow);
  EXPECT_EQ(R("to_decimal_double", {D(1e300)}), kOverflow);
  EXPECT_EQ(R("to_decimal_double", {D(kNaN)}), kConversion);
  EXPECT_EQ(R("to_decimal_double", {D(kInf)}), kConversion);
  EXPECT_EQ(R("to_decimal_dec", {Dec("1.5")}), "decimal(\"1.5\")");
  EXPECT_EQ(R("to_decimal_string", {N()}), kNoOverload);
}

}  // namespace
}  // namespace accord::rt
