// The stdlib tests' shared vocabulary: compact value constructors, CallFn by
// overload id, and results as CEL-like text (private to runtime/stdlib*_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/stdlib.h"

namespace accord::rt::stdlib_testing {

// ---- compact constructors and a printable result ----

inline Value S(std::string_view s) { return Value::String(s); }
inline Value V(std::string_view s) { return Value::StringView(s); }  // borrowed, like a record field
inline Value B(std::string_view s) { return Value::Bytes(s); }
inline Value I(int64_t i) { return Value::Int(i); }
inline Value U(uint64_t u) { return Value::Uint(u); }
inline Value D(double d) { return Value::Double(d); }
inline Value N() { return Value::Null(); }
inline Value L(std::vector<Value> v) { return Value::List(std::move(v)); }
inline Value M(std::vector<std::pair<Value, Value>> e) { return Value::Map(std::move(e)); }
inline Value Ts(std::string_view text) {
  int64_t s = 0;
  int32_t n = 0;
  EXPECT_TRUE(ParseTimestamp(text, &s, &n)) << text;
  return Value::Timestamp(s, n);
}
inline Value Dur(std::string_view text) {
  int64_t s = 0;
  int32_t n = 0;
  EXPECT_TRUE(ParseDuration(text, &s, &n)) << text;
  return Value::Duration(s, n);
}
inline Value Dt(std::string_view text) {
  int64_t d = 0;
  EXPECT_TRUE(ParseDate(text, &d)) << text;
  return Value::Date(d);
}
inline Value Dec(std::string_view text) {
  int64_t c = 0;
  uint32_t s = 0;
  EXPECT_TRUE(ParseDecimal(text, &c, &s)) << text;
  return Value::Decimal(c, s);
}
inline const double kNaN = std::numeric_limits<double>::quiet_NaN();
inline const double kInf = std::numeric_limits<double>::infinity();

inline Value Call(std::string_view id, std::vector<Value> args) {
  Fn fn = FnFromId(id);
  EXPECT_NE(fn, Fn::kCount) << "unknown overload id " << id;
  if (fn == Fn::kCount) return Value::Error(ErrorCode::kInternal, "bad id");
  return CallFn(fn, args.data(), args.size());
}

// The result as CEL-like text; errors as error(code).
inline std::string R(const Value& v) {
  if (v.is_error()) return "error(" + std::string(ErrorCodeName(v.error_code())) + ")";
  return v.DebugString();
}
inline std::string R(std::string_view id, std::vector<Value> args) { return R(Call(id, std::move(args))); }
inline std::string Msg(std::string_view id, std::vector<Value> args) {
  Value v = Call(id, std::move(args));
  return v.is_error() ? v.error_message() : "(not an error: " + v.DebugString() + ")";
}
inline bool Borrowed(const Value& v) { return (v.raw().flags & Value::kBorrowed) != 0; }

inline const std::string kNoOverload = "error(no_matching_overload)";
inline const std::string kIndex = "error(index_out_of_range)";
inline const std::string kInvalid = "error(invalid_argument)";
inline const std::string kRange = "error(range)";
inline const std::string kConversion = "error(conversion)";
inline const std::string kOverflow = "error(overflow)";

}  // namespace accord::rt::stdlib_testing
