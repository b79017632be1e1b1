// Tests of round, abs and the math extension (stdlib_math.cc).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "runtime/stdlib_test_util.h"

namespace accord::rt {
namespace {

using namespace stdlib_testing;  // NOLINT(google-build-using-namespace): the tests' shorthand

// ---- decimals: round, abs ----

TEST(Decimals, Round) {
  EXPECT_EQ(R("round_decimal", {Dec("2.345"), I(2)}), "decimal(\"2.35\")");
  EXPECT_EQ(R("round_decimal", {Dec("-2.345"), I(2)}), "decimal(\"-2.35\")");
  EXPECT_EQ(R("round_decimal", {Dec("2.344"), I(2)}), "decimal(\"2.34\")");
  EXPECT_EQ(R("round_decimal", {Dec("2.5"), I(0)}), "decimal(\"3\")");
  EXPECT_EQ(R("round_decimal", {Dec("-2.5"), I(0)}), "decimal(\"-3\")");
  EXPECT_EQ(R("round_decimal", {Dec("0.4"), I(0)}), "decimal(\"0\")");
  EXPECT_EQ(R("round_decimal", {Dec("2.3"), I(5)}), "decimal(\"2.3\")");  // never adds places
  EXPECT_EQ(R("round_decimal", {Dec("1234.5"), I(-2)}), "decimal(\"1200\")");
  EXPECT_EQ(R("round_decimal", {Dec("1250"), I(-2)}), "decimal(\"1300\")");
  EXPECT_EQ(R("round_decimal", {Dec("-1250"), I(-2)}), "decimal(\"-1300\")");
  EXPECT_EQ(R("round_decimal", {Dec("0.5"), I(-30)}), "decimal(\"0\")");
  EXPECT_EQ(R("round_decimal", {Dec("999.995"), I(2)}), "decimal(\"1000.00\")");
  EXPECT_EQ(R("round_decimal", {Value::Decimal(INT64_MAX, 0), I(-1)}), kOverflow);
  EXPECT_EQ(R("round_decimal", {Value::Decimal(INT64_MIN, 18), I(0)}), "decimal(\"-9\")");
  EXPECT_EQ(R("round_decimal", {Value::Decimal(INT64_MAX, 0), I(INT64_MIN)}), "decimal(\"0\")");
  EXPECT_EQ(R("round_decimal", {Dec("1.5"), D(1)}), kNoOverload);
  EXPECT_EQ(R("round_double", {D(2.345), I(1)}), "2.3");
  EXPECT_EQ(R("round_double", {D(2.345), I(2)}), "2.35");  // rounds the shortest decimal text
  EXPECT_EQ(R("round_double", {D(1.005), I(2)}), "1.01");
  EXPECT_EQ(R("round_double", {D(0.5), I(0)}), "1.0");
  EXPECT_EQ(R("round_double", {D(2.5), I(0)}), "3.0");
  EXPECT_EQ(R("round_double", {D(-2.5), I(0)}), "-3.0");
  EXPECT_EQ(R("round_double", {D(0.4), I(0)}), "0.0");
  EXPECT_EQ(R("round_double", {D(9.995), I(2)}), "10.0");
  EXPECT_EQ(R("round_double", {D(1234.5678), I(-2)}), "1200.0");
  EXPECT_EQ(R("round_double", {D(123.456), I(400)}), "123.456");
  EXPECT_EQ(R("round_double", {D(123.456), I(INT64_MIN)}), "0.0");
  EXPECT_EQ(R("round_double", {D(1e-10), I(2)}), "0.0");
  EXPECT_EQ(R("round_double", {D(0.0), I(2)}), "0.0");
  EXPECT_EQ(R("round_double", {D(kInf), I(2)}), "double(\"Infinity\")");
  EXPECT_TRUE(std::isnan(Call("round_double", {D(kNaN), I(2)}).double_value()));
  EXPECT_EQ(R("round_double", {D(1.7976931348623157e308), I(-308)}), kOverflow);
  EXPECT_EQ(R("round_double", {I(2), I(1)}), kNoOverload);
}

TEST(Decimals, Abs) {
  EXPECT_EQ(R("abs_int", {I(-3)}), "3");
  EXPECT_EQ(R("abs_int", {I(3)}), "3");
  EXPECT_EQ(R("abs_int", {I(INT64_MIN)}), kOverflow);
  EXPECT_EQ(R("abs_int", {I(INT64_MIN + 1)}), "9223372036854775807");
  EXPECT_EQ(R("abs_double", {D(-1.5)}), "1.5");
  EXPECT_EQ(R("abs_double", {D(-kInf)}), "double(\"Infinity\")");
  EXPECT_FALSE(std::signbit(Call("abs_double", {D(-0.0)}).double_value()));
  EXPECT_EQ(R("abs_decimal", {Dec("-1.5")}), "decimal(\"1.5\")");
  EXPECT_EQ(R("abs_decimal", {Dec("1.5")}), "decimal(\"1.5\")");
  EXPECT_EQ(R("abs_decimal", {Value::Decimal(INT64_MIN, 2)}), kOverflow);
  EXPECT_EQ(R("abs_decimal", {Value::Decimal(1, 19)}), kInvalid);
  EXPECT_EQ(R("abs_int", {U(1)}), kNoOverload);
}

// ---- math extension ----

TEST(MathExt, GreatestAndLeast) {
  // One number is itself; the checker sends a, b, ... to the list overload.
  EXPECT_EQ(R("math_greatest_int", {I(-5)}), "-5");
  EXPECT_EQ(R("math_greatest_uint", {U(5)}), "5u");
  EXPECT_EQ(R("math_greatest_double", {D(-5.0)}), "-5.0");
  EXPECT_EQ(R("math_least_int", {I(INT64_MIN)}), "-9223372036854775808");
  EXPECT_EQ(R("math_greatest_list", {L({I(1), D(1.5), U(2)})}), "2u");
  EXPECT_EQ(R("math_least_list", {L({I(1), D(1.5), U(2)})}), "1");
  EXPECT_EQ(R("math_greatest_list", {L({D(5.4), I(10), U(3), D(-5.0), D(3.5)})}), "10");
  EXPECT_EQ(R("math_least_list", {L({D(5.4), I(10), U(3), D(-5.0), D(3.5)})}), "-5.0");
  // Mixed kinds compare as numbers, also at the extremes of each kind.
  EXPECT_EQ(R("math_greatest_list", {L({I(INT64_MAX), U(UINT64_MAX)})}), "18446744073709551615u");
  EXPECT_EQ(R("math_least_list", {L({I(INT64_MIN), D(-1e300)})}), "-1e+300");
  EXPECT_EQ(R("math_greatest_list", {L({I(-3), U(3)})}), "3u");
  // Equal values: the first one, as it is.
  EXPECT_EQ(R("math_greatest_list", {L({I(1), D(1.0), U(1)})}), "1");
  EXPECT_EQ(R("math_least_list", {L({U(1), I(1)})}), "1u");
  // NaN is unordered: it never replaces the current value, but a first NaN stays.
  EXPECT_EQ(R("math_greatest_list", {L({I(1), D(kNaN), I(2)})}), "2");
  EXPECT_EQ(R(Call("math_greatest_list", {L({D(kNaN), I(2)})})), "double(\"NaN\")");
  // Empty lists, non-numbers, null, errors inside.
  EXPECT_EQ(R("math_greatest_list", {L({})}), kInvalid);
  EXPECT_EQ(R("math_least_list", {L({})}), kInvalid);
  EXPECT_EQ(R("math_greatest_list", {L({I(1), S("2")})}), kNoOverload);
  EXPECT_EQ(R("math_least_list", {L({N()})}), kNoOverload);
  EXPECT_EQ(R("math_greatest_list", {L({I(1), Value::Error(ErrorCode::kOverflow, "x")})}), "error(overflow)");
  EXPECT_EQ(R("math_greatest_int", {S("1")}), kNoOverload);
  EXPECT_EQ(R("math_greatest_list", {N()}), kNoOverload);
  EXPECT_EQ(Msg("math_greatest_list", {L({S("a")})}), "no matching overload for math.greatest(string)");
  EXPECT_EQ(Msg("math_least_double", {I(1)}), "no matching overload for math.least(int)");
}

TEST(MathExt, Rounding) {
  EXPECT_EQ(R("math_ceil", {D(-1.2)}), "-1.0");
  EXPECT_EQ(R("math_ceil", {D(1.2)}), "2.0");
  EXPECT_EQ(R("math_floor", {D(-1.2)}), "-2.0");
  EXPECT_EQ(R("math_floor", {D(1.2)}), "1.0");
  EXPECT_EQ(R("math_round", {D(-1.5)}), "-2.0");
  EXPECT_EQ(R("math_round", {D(1.5)}), "2.0");
  EXPECT_EQ(R("math_round", {D(-1.4)}), "-1.0");
  EXPECT_EQ(R("math_round", {D(0.49999999999999994)}), "0.0");
  EXPECT_EQ(R("math_trunc", {D(-1.7)}), "-1.0");
  EXPECT_EQ(R("math_trunc", {D(1e300)}), "1e+300");
  for (const char* id : {"math_ceil", "math_floor", "math_round", "math_trunc"}) {
    EXPECT_EQ(R(id, {D(kNaN)}), "double(\"NaN\")") << id;
    EXPECT_EQ(R(id, {D(-kInf)}), "double(\"-Infinity\")") << id;
    EXPECT_EQ(R(id, {I(1)}), kNoOverload) << id;
    EXPECT_EQ(R(id, {N()}), kNoOverload) << id;
  }
  EXPECT_TRUE(std::signbit(Call("math_ceil", {D(-0.5)}).double_value()));
}

TEST(MathExt, AbsAndSign) {
  EXPECT_EQ(R("math_abs_int", {I(-11)}), "11");
  EXPECT_EQ(R("math_abs_int", {I(INT64_MAX)}), "9223372036854775807");
  EXPECT_EQ(R("math_abs_int", {I(INT64_MIN)}), "error(overflow)");
  EXPECT_EQ(R("math_abs_uint", {U(UINT64_MAX)}), "18446744073709551615u");
  EXPECT_EQ(R("math_abs_double", {D(-11.5)}), "11.5");
  EXPECT_FALSE(std::signbit(Call("math_abs_double", {D(-0.0)}).double_value()));
  EXPECT_EQ(R("math_abs_double", {D(-kInf)}), "double(\"Infinity\")");
  EXPECT_EQ(R("math_sign_int", {I(-11)}), "-1");
  EXPECT_EQ(R("math_sign_int", {I(0)}), "0");
  EXPECT_EQ(R("math_sign_int", {I(INT64_MIN)}), "-1");
  EXPECT_EQ(R("math_sign_uint", {U(0)}), "0u");
  EXPECT_EQ(R("math_sign_uint", {U(100)}), "1u");
  EXPECT_EQ(R("math_sign_double", {D(100.5)}), "1.0");
  EXPECT_EQ(R("math_sign_double", {D(-kInf)}), "-1.0");
  EXPECT_EQ(R("math_sign_double", {D(0.0)}), "0.0");
  EXPECT_EQ(R("math_sign_double", {D(kNaN)}), "double(\"NaN\")");
  EXPECT_EQ(R("math_sign_double", {Value::Bool(true)}), kNoOverload);
  EXPECT_EQ(R("math_abs_int", {U(1)}), kNoOverload);
}

TEST(MathExt, FloatClassesAndSqrt) {
  EXPECT_EQ(R("math_is_nan", {D(kNaN)}), "true");
  EXPECT_EQ(R("math_is_nan", {D(kInf)}), "false");
  EXPECT_EQ(R("math_is_inf", {D(-kInf)}), "true");
  EXPECT_EQ(R("math_is_inf", {D(kNaN)}), "false");
  EXPECT_EQ(R("math_is_finite", {D(1e308)}), "true");
  EXPECT_EQ(R("math_is_finite", {D(kNaN)}), "false");
  EXPECT_EQ(R("math_is_finite", {D(-kInf)}), "false");
  EXPECT_EQ(R("math_is_nan", {Value::Bool(true)}), kNoOverload);
  EXPECT_EQ(R("math_is_inf", {I(1)}), kNoOverload);
  EXPECT_EQ(R("math_sqrt_double", {D(2.25)}), "1.5");
  EXPECT_EQ(R("math_sqrt_int", {I(16)}), "4.0");
  EXPECT_EQ(R("math_sqrt_uint", {U(UINT64_MAX)}), "4294967296.0");
  EXPECT_EQ(R("math_sqrt_int", {I(-4)}), "double(\"NaN\")");
  EXPECT_EQ(R("math_sqrt_double", {D(kInf)}), "double(\"Infinity\")");
  EXPECT_EQ(R("math_sqrt_double", {S("4")}), kNoOverload);
}

TEST(MathExt, Bits) {
  EXPECT_EQ(R("math_bit_and_int", {I(1), I(-1)}), "1");
  EXPECT_EQ(R("math_bit_and_uint", {U(1), U(3)}), "1u");
  EXPECT_EQ(R("math_bit_or_int", {I(4), I(-2)}), "-2");
  EXPECT_EQ(R("math_bit_or_uint", {U(1), U(4)}), "5u");
  EXPECT_EQ(R("math_bit_xor_int", {I(4), I(-2)}), "-6");
  EXPECT_EQ(R("math_bit_xor_uint", {U(1), U(3)}), "2u");
  EXPECT_EQ(R("math_bit_not_int", {I(0)}), "-1");
  EXPECT_EQ(R("math_bit_not_int", {I(INT64_MIN)}), "9223372036854775807");
  EXPECT_EQ(R("math_bit_not_uint", {U(1)}), "18446744073709551614u");
  // Mixed kinds are not accepted (no implicit conversion).
  EXPECT_EQ(R("math_bit_and_int", {I(1), U(1)}), kNoOverload);
  EXPECT_EQ(R("math_bit_or_uint", {U(1), I(1)}), kNoOverload);
  EXPECT_EQ(R("math_bit_xor_int", {L({}), L({I(1)})}), kNoOverload);
  EXPECT_EQ(R("math_bit_not_uint", {S("")}), kNoOverload);
  EXPECT_EQ(R("math_bit_and_int", {N(), I(1)}), kNoOverload);
}

TEST(MathExt, Shifts) {
  EXPECT_EQ(R("math_shl_int", {I(1), I(2)}), "4");
  EXPECT_EQ(R("math_shl_int", {I(1), I(63)}), "-9223372036854775808");
  EXPECT_EQ(R("math_shl_int", {I(1), I(64)}), "0");
  EXPECT_EQ(R("math_shl_int", {I(-1), I(200)}), "0");
  EXPECT_EQ(R("math_shl_int", {I(-1), I(INT64_MAX)}), "0");
  EXPECT_EQ(R("math_shl_uint", {U(1), I(2)}), "4u");
  EXPECT_EQ(R("math_shl_uint", {U(1), I(200)}), "0u");
  EXPECT_EQ(R("math_shr_int", {I(1024), I(2)}), "256");
  EXPECT_EQ(R("math_shr_int", {I(-1024), I(3)}), "2305843009213693824");  // zero-filled, as cel-go
  EXPECT_EQ(R("math_shr_int", {I(-1024), I(64)}), "0");
  EXPECT_EQ(R("math_shr_uint", {U(1024), I(200)}), "0u");
  EXPECT_EQ(R("math_shr_uint", {U(UINT64_MAX), I(63)}), "1u");
  EXPECT_EQ(R("math_shl_uint", {U(1), I(-1)}), kInvalid);
  EXPECT_EQ(R("math_shr_int", {I(1), I(INT64_MIN)}), kInvalid);
  EXPECT_EQ(Msg("math_shr_uint", {U(1), I(-1)}), "math.bitShiftRight(): negative offset -1");
  EXPECT_EQ(R("math_shl_int", {D(4.3), I(1)}), kNoOverload);
  EXPECT_EQ(R("math_shl_uint", {U(1), U(1)}), kNoOverload);  // the offset is an int
  EXPECT_EQ(R("math_shr_int", {B("123"), I(1)}), kNoOverload);
}

}  // namespace
}  // namespace accord::rt
