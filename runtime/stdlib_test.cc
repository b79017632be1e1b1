#include "runtime/stdlib.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/tz.h"

namespace accord::rt {
namespace {

// ---- compact constructors and a printable result ----

Value S(std::string_view s) { return Value::String(s); }
Value V(std::string_view s) { return Value::StringView(s); }  // borrowed, like a record field
Value B(std::string_view s) { return Value::Bytes(s); }
Value I(int64_t i) { return Value::Int(i); }
Value U(uint64_t u) { return Value::Uint(u); }
Value D(double d) { return Value::Double(d); }
Value N() { return Value::Null(); }
Value L(std::vector<Value> v) { return Value::List(std::move(v)); }
Value M(std::vector<std::pair<Value, Value>> e) { return Value::Map(std::move(e)); }
Value Ts(std::string_view text) {
  int64_t s = 0;
  int32_t n = 0;
  EXPECT_TRUE(ParseTimestamp(text, &s, &n)) << text;
  return Value::Timestamp(s, n);
}
Value Dur(std::string_view text) {
  int64_t s = 0;
  int32_t n = 0;
  EXPECT_TRUE(ParseDuration(text, &s, &n)) << text;
  return Value::Duration(s, n);
}
Value Dt(std::string_view text) {
  int64_t d = 0;
  EXPECT_TRUE(ParseDate(text, &d)) << text;
  return Value::Date(d);
}
Value Dec(std::string_view text) {
  int64_t c = 0;
  uint32_t s = 0;
  EXPECT_TRUE(ParseDecimal(text, &c, &s)) << text;
  return Value::Decimal(c, s);
}
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

Value Call(std::string_view id, std::vector<Value> args) {
  Fn fn = FnFromId(id);
  EXPECT_NE(fn, Fn::kCount) << "unknown overload id " << id;
  if (fn == Fn::kCount) return Value::Error(ErrorCode::kInternal, "bad id");
  return CallFn(fn, args.data(), args.size());
}

// The result as CEL-like text; errors as error(code).
std::string R(const Value& v) {
  if (v.is_error()) return "error(" + std::string(ErrorCodeName(v.error_code())) + ")";
  return v.DebugString();
}
std::string R(std::string_view id, std::vector<Value> args) { return R(Call(id, std::move(args))); }
std::string Msg(std::string_view id, std::vector<Value> args) {
  Value v = Call(id, std::move(args));
  return v.is_error() ? v.error_message() : "(not an error: " + v.DebugString() + ")";
}
bool Borrowed(const Value& v) { return (v.raw().flags & Value::kBorrowed) != 0; }

const std::string kNoOverload = "error(no_matching_overload)";
const std::string kIndex = "error(index_out_of_range)";
const std::string kInvalid = "error(invalid_argument)";
const std::string kRange = "error(range)";
const std::string kConversion = "error(conversion)";
const std::string kOverflow = "error(overflow)";

// ---- the table ----

TEST(StdlibTable, IdsRoundTrip) {
  for (size_t i = 0; i < static_cast<size_t>(Fn::kCount); ++i) {
    Fn fn = static_cast<Fn>(i);
    EXPECT_EQ(FnFromId(FnId(fn)), fn) << FnId(fn);
  }
  EXPECT_EQ(FnFromId("lower_ascii"), Fn::lower_ascii);
  EXPECT_EQ(FnFromId("no_such_overload"), Fn::kCount);
  EXPECT_EQ(FnFromId(""), Fn::kCount);
  EXPECT_EQ(FnId(Fn::kCount), "");
}

TEST(StdlibTable, EveryOverloadRejectsZeroArguments) {
  for (size_t i = 0; i < static_cast<size_t>(Fn::kCount); ++i) {
    Value v = CallFn(static_cast<Fn>(i), nullptr, 0);
    ASSERT_TRUE(v.is_error()) << FnId(static_cast<Fn>(i));
    EXPECT_EQ(v.error_code(), ErrorCode::kNoOverload) << FnId(static_cast<Fn>(i));
  }
  EXPECT_TRUE(CallFn(Fn::kCount, nullptr, 0).is_error());
  EXPECT_TRUE(CallFn(static_cast<Fn>(60000), nullptr, 0).is_error());
}

TEST(StdlibTable, WrongKindsAndArityNameTheFunction) {
  EXPECT_EQ(Msg("size_string", {N()}), "no matching overload for size(null_type)");
  EXPECT_EQ(Msg("lower_ascii", {I(1)}), "no matching overload for lowerAscii(int)");
  EXPECT_EQ(Msg("join_sep", {L({}), I(1)}), "no matching overload for join(list, int)");
  EXPECT_EQ(Msg("ts_year_tz", {Ts("2024-01-01T00:00:00Z")}),
            "no matching overload for getFullYear(google.protobuf.Timestamp)");
  EXPECT_EQ(R("contains", {S("a"), S("a"), S("a")}), kNoOverload);
  EXPECT_EQ(R("coalesce2", {S("a"), S("b"), S("c")}), kNoOverload);
}

// For every overload: arguments of the declared kinds are accepted, and each
// argument replaced by a value of another kind, or by null, is refused with
// no_matching_overload (CRM functions map a null value to null instead).
struct Sig {
  std::string id, sig;
};
const Sig kSigs[] = {
#define ACCORD_FN(id, sig, doc, example) {#id, sig},
#include "stdlib/functions.def"
#undef ACCORD_FN
};

std::vector<std::string> ParamTypes(const std::string& sig) {
  std::string head = sig.substr(0, sig.find(" -> "));
  size_t close = head.rfind(')'), open = close;
  for (int depth = 0;; --open) {
    if (head[open] == ')') ++depth;
    if (head[open] == '(' && --depth == 0) break;
  }
  size_t name = open;
  while (name > 0 && (std::isalnum(static_cast<unsigned char>(head[name - 1])) || head[name - 1] == '_')) --name;
  std::vector<std::string> out;
  std::string prefix = name > 0 ? head.substr(0, name - 1) : "";
  bool ns = prefix == "math" || prefix == "strings" || prefix == "base64";  // math.greatest: no receiver
  if (name > 0 && !ns) out.push_back(prefix);
  std::string list = head.substr(open + 1, close - open - 1);
  int depth = 0;
  std::string cur;
  for (char c : list + ",") {
    if (c == ',' && depth == 0) {
      while (!cur.empty() && cur.front() == ' ') cur.erase(0, 1);
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      continue;
    }
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    cur += c;
  }
  return out;
}

Value SampleOf(const std::string& type) {
  if (type == "bool") return Value::Bool(true);
  if (type == "int") return I(1);
  if (type == "uint") return U(1);
  if (type == "double") return D(1.5);
  if (type == "string") return S("UTC");
  if (type == "bytes") return B("b");
  if (type == "null") return N();
  if (type == "timestamp") return Ts("2024-01-02T03:04:05Z");
  if (type == "duration") return Dur("90s");
  if (type == "date") return Dt("2024-02-29");
  if (type == "decimal") return Dec("1.5");
  if (type == "type") return Value::Type("int");
  if (type.rfind("list(", 0) == 0) return L({S("a")});
  if (type.rfind("map(", 0) == 0) return M({{S("a"), I(1)}});
  return I(1);  // dyn and type parameters
}
bool IsConcrete(const std::string& type) { return type != "dyn" && !(type.size() == 1 && std::isupper(type[0])); }

TEST(StdlibTable, EveryOverloadChecksItsArgumentKinds) {
  const std::set<std::string> crm = {"normalize_email", "email_domain", "digits",    "e164",
                                     "domain_of",       "split_multi",  "join_multi"};
  ASSERT_EQ(std::size(kSigs), static_cast<size_t>(Fn::kCount));
  for (const Sig& sig : kSigs) {
    std::vector<std::string> types = ParamTypes(sig.sig);
    ASSERT_FALSE(types.empty()) << sig.id;
    std::vector<Value> good;
    for (const auto& t : types) good.push_back(SampleOf(t));
    if (sig.id == "math_greatest_list" || sig.id == "math_least_list") good[0] = L({I(1)});  // a list of numbers
    Value ok = Call(sig.id, good);
    EXPECT_FALSE(ok.is_error() && ok.error_code() == ErrorCode::kNoOverload) << sig.id << ": " << ok.DebugString();
    // One argument too many or too few.
    std::vector<Value> more = good;
    more.push_back(S("UTC"));
    EXPECT_EQ(R(sig.id, more), kNoOverload) << sig.id;
    std::vector<Value> fewer(good.begin(), good.end() - 1);
    EXPECT_EQ(R(sig.id, fewer), kNoOverload) << sig.id;
    for (size_t i = 0; i < types.size(); ++i) {
      if (!IsConcrete(types[i])) continue;
      std::vector<Value> bad = good;
      bad[i] = types[i] == "int" ? S("1") : I(1);
      EXPECT_EQ(R(sig.id, bad), kNoOverload) << sig.id << " argument " << i;
      bad[i] = types[i] == "null" ? I(0) : N();
      Value r = Call(sig.id, bad);
      if (crm.count(sig.id) && i == 0) {
        EXPECT_EQ(R(r), "null") << sig.id;
      } else if (sig.id == "e164" && i == 1) {
        EXPECT_NE(R(r), kNoOverload) << sig.id;  // a null region: no default region
      } else {
        EXPECT_EQ(R(r), kNoOverload) << sig.id << " argument " << i;
      }
    }
  }
}

TEST(StdlibTable, ErrorArgumentsPropagate) {
  Value err = Value::Error(ErrorCode::kDivideByZero, "boom");
  EXPECT_EQ(R("size_string", {err}), "error(divide_by_zero)");
  EXPECT_EQ(R("coalesce2", {S("a"), err}), "error(divide_by_zero)");
}

// Random arguments of every kind, including malformed values, for every
// overload: never a crash, always a value.
TEST(StdlibTable, RandomArgumentsNeverCrash) {
  // clang-format off
  std::vector<Value> pool = {
      N(), Value::Bool(true), Value::Bool(false), I(0), I(-1), I(3), I(INT64_MIN), I(INT64_MAX), U(0), U(UINT64_MAX),
      D(0.0), D(-0.0), D(2.5), D(1e300), D(-1e-300), D(kNaN), D(kInf), D(-kInf), S(""), S(" "), S("abc"), V("Ab C"),
      S("%"), S("%s %d %x %.2f %e %b %o %X"), S("%.999f"), S("\xff\xfe"), S("é©😀"), S("2024-01-02"), S("+05:30"),
      S("America/New_York"), S("Bad/Zone"), S("(["), S("a;b;;c"), S("+1 650 253 0000"), S("US"),
      S("https://www.example.com/x"), S("ann@Example.com"), S("1h30m"), S("19.99"), S("-0"), S("1e400"),
      S(std::string(300, 'x')), B(""), B("\xff"), B("hi"), L({}), L({S("a"), S("b")}), L({I(1), S("x"), N()}),
      M({}), M({{S("a"), I(1)}, {I(2), L({})}}), Ts("0001-01-01T00:00:00Z"), Ts("9999-12-31T23:59:59.999999999Z"),
      Value::Timestamp(INT64_MAX, 0), Value::Timestamp(INT64_MIN, 999999999), Dur("-1.5s"),
      Value::Duration(INT64_MAX, 0), Value::Duration(INT64_MIN, 0), Dt("2024-02-29"), Value::Date(int64_t{1} << 50),
      Value::Date(-(int64_t{1} << 50)), Dec("-1.5"), Value::Decimal(INT64_MIN, 18), Value::Decimal(INT64_MAX, 0),
      Value::Decimal(1, 19) /* malformed scale */, Value::Decimal(5, 200), Value::Type("int"),
  };
  // clang-format on
  std::mt19937 rng(12345);
  for (size_t i = 0; i < static_cast<size_t>(Fn::kCount); ++i) {
    Fn fn = static_cast<Fn>(i);
    for (int trial = 0; trial < 300; ++trial) {
      size_t nargs = rng() % 5;
      std::vector<Value> args;
      for (size_t k = 0; k < nargs; ++k) args.push_back(pool[rng() % pool.size()]);
      Value v = CallFn(fn, args.data(), args.size());
      if (!v.is_error() && v.is(Kind::kString)) { (void)v.str().size(); }
    }
  }
}

// ---- size, contains, matches ----

TEST(Stdlib, Size) {
  EXPECT_EQ(R("size_string", {S("héllo")}), "5");
  EXPECT_EQ(R("size_string_m", {S("abc")}), "3");
  EXPECT_EQ(R("size_string", {S("")}), "0");
  EXPECT_EQ(R("size_string", {S("  ")}), "2");
  EXPECT_EQ(R("size_string", {S("ééééé12345😀😀")}), "12");
  EXPECT_EQ(R("size_string", {V("©αT")}), "3");
  EXPECT_EQ(R("size_string", {N()}), kNoOverload);
  EXPECT_EQ(R("size_string", {B("abc")}), kNoOverload);
  EXPECT_EQ(R("size_bytes", {B("abc")}), "3");
  EXPECT_EQ(R("size_bytes_m", {B("é")}), "2");
  EXPECT_EQ(R("size_bytes", {S("abc")}), kNoOverload);
  EXPECT_EQ(R("size_list", {L({I(1), I(2)})}), "2");
  EXPECT_EQ(R("size_list_m", {L({})}), "0");
  EXPECT_EQ(R("size_map", {M({{S("a"), I(1)}})}), "1");
  EXPECT_EQ(R("size_map_m", {M({})}), "0");
  EXPECT_EQ(R("size_list", {M({})}), kNoOverload);
  EXPECT_EQ(R("size_map", {N()}), kNoOverload);
}

TEST(Stdlib, ContainsStartsEnds) {
  EXPECT_EQ(R("contains", {S("hubspot"), S("spot")}), "true");
  EXPECT_EQ(R("contains", {S("hubspot"), S("Spot")}), "false");
  EXPECT_EQ(R("contains", {S(""), S("")}), "true");
  EXPECT_EQ(R("contains", {N(), S("a")}), kNoOverload);
  EXPECT_EQ(R("starts_with", {S("0015"), S("001")}), "true");
  EXPECT_EQ(R("starts_with", {S("00"), S("001")}), "false");
  EXPECT_EQ(R("ends_with", {V("ann@example.com"), S("@example.com")}), "true");
  EXPECT_EQ(R("ends_with", {S("ann@example.co"), S("@example.com")}), "false");
  EXPECT_EQ(R("ends_with", {S("a"), I(1)}), kNoOverload);
}

TEST(Stdlib, Matches) {
  EXPECT_EQ(R("matches", {S("+1 555 0100"), S("^[0-9+ ]+$")}), "true");
  EXPECT_EQ(R("matches", {S("555-0100"), S("^[0-9+ ]+$")}), "false");
  EXPECT_EQ(R("matches_g", {S("12345"), S("^[0-9]{5}$")}), "true");
  EXPECT_EQ(R("matches_g", {S("1234"), S("^[0-9]{5}$")}), "false");
  EXPECT_EQ(R("matches", {S("abc123def"), S("[0-9]+")}), "true");  // anywhere in the string
  EXPECT_EQ(R("matches", {S("é"), S("^.$")}), "true");             // UTF-8 aware
  EXPECT_EQ(R("matches", {S(""), S("")}), "true");
  EXPECT_EQ(R("matches", {S("abc"), S("(")}), kInvalid);
  EXPECT_EQ(R("matches", {S("abc"), S("a\\")}), kInvalid);
  EXPECT_EQ(R("matches", {S("abc"), S("(a)\\1")}), kInvalid);  // no backreferences in RE2
  EXPECT_EQ(R("matches", {N(), S("a")}), kNoOverload);
  std::string big(5000, 'a');
  EXPECT_EQ(R("matches", {S(big), S(big)}), "true");  // compiled per call, not cached
  EXPECT_EQ(R("matches", {S(big), S("(" + big)}), kInvalid);
  // More distinct patterns than the per-thread cache holds.
  for (int i = 0; i < 300; ++i)
    EXPECT_EQ(R("matches", {S("x" + std::to_string(i)), S("^x" + std::to_string(i) + "$")}), "true");
}

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

// ---- strings extension ----

TEST(StringsExt, CharAt) {
  EXPECT_EQ(R("char_at", {S("abc"), I(1)}), "\"b\"");
  EXPECT_EQ(R("char_at", {S("tacocat"), I(3)}), "\"o\"");
  EXPECT_EQ(R("char_at", {S("tacocat"), I(7)}), "\"\"");
  EXPECT_EQ(R("char_at", {S("©αT"), I(1)}), "\"α\"");
  EXPECT_EQ(R("char_at", {S("©αT"), I(0)}), "\"©\"");
  EXPECT_EQ(R("char_at", {S("tacocat"), I(30)}), kIndex);
  EXPECT_EQ(R("char_at", {S("tacocat"), I(-1)}), kIndex);
  EXPECT_EQ(R("char_at", {S(""), I(0)}), "\"\"");
  EXPECT_EQ(Msg("char_at", {S("tacocat"), I(30)}), "index out of range: 30");
  EXPECT_EQ(R("char_at", {S("hello"), Value::Bool(true)}), kNoOverload);
  EXPECT_EQ(R("char_at", {I(42), I(2)}), kNoOverload);
  EXPECT_TRUE(Borrowed(Call("char_at", {V("abc"), I(1)})));
}

TEST(StringsExt, IndexOf) {
  EXPECT_EQ(R("index_of", {S("abcb"), S("b")}), "1");
  EXPECT_EQ(R("index_of", {S("tacocat"), S("")}), "0");
  EXPECT_EQ(R("index_of", {S("tacocat"), S("ac")}), "1");
  EXPECT_EQ(R("index_of", {S("tacocat"), S("none")}), "-1");
  EXPECT_EQ(R("index_of", {S(""), S("a")}), "-1");
  EXPECT_EQ(R("index_of", {S("ta©o©αT"), S("©")}), "2");
  EXPECT_EQ(R("index_of", {S("hello wello"), S("hello wello")}), "0");
  EXPECT_EQ(R("index_of_from", {S("abcb"), S("b"), I(2)}), "3");
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S(""), I(3)}), "3");
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S("a"), I(3)}), "5");
  EXPECT_EQ(R("index_of_from", {S("ta©o©αT"), S("©"), I(3)}), "4");
  EXPECT_EQ(R("index_of_from", {S("ta©o©αT"), S("©αT"), I(3)}), "4");
  EXPECT_EQ(R("index_of_from", {S("ta©o©αT"), S("©α"), I(5)}), "-1");
  EXPECT_EQ(R("index_of_from", {S("hello wello"), S("ello"), I(6)}), "7");
  EXPECT_EQ(R("index_of_from", {S("abc"), S("c"), I(3)}), "-1");  // at the end: no match, not an error
  EXPECT_EQ(R("index_of_from", {S("abc"), S(""), I(3)}), "3");
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S("a"), I(30)}), kIndex);
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S("a"), I(-1)}), kIndex);
  EXPECT_EQ(R("index_of_from", {S("tacocat"), S(""), I(-1)}), kIndex);
  EXPECT_EQ(R("index_of", {S("hello"), Value::Bool(true)}), kNoOverload);
  EXPECT_EQ(R("index_of_from", {S("42"), S("4"), S("0")}), kNoOverload);
}

TEST(StringsExt, LastIndexOf) {
  EXPECT_EQ(R("last_index_of", {S("abcb"), S("b")}), "3");
  EXPECT_EQ(R("last_index_of", {S(""), S("@@")}), "-1");
  EXPECT_EQ(R("last_index_of", {S("tacocat"), S("")}), "7");
  EXPECT_EQ(R("last_index_of", {S("tacocat"), S("at")}), "5");
  EXPECT_EQ(R("last_index_of", {S("tacocat"), S("none")}), "-1");
  EXPECT_EQ(R("last_index_of", {S("ta©o©αT"), S("©")}), "4");
  EXPECT_EQ(R("last_index_of", {S("hello wello"), S("hello wello")}), "0");
  EXPECT_EQ(R("last_index_of_from", {S("abcb"), S("b"), I(2)}), "1");
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S(""), I(3)}), "3");
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S("a"), I(3)}), "1");
  EXPECT_EQ(R("last_index_of_from", {S("ta©o©αT"), S("©"), I(3)}), "2");
  EXPECT_EQ(R("last_index_of_from", {S("ta©o©αT"), S("©α"), I(4)}), "4");
  EXPECT_EQ(R("last_index_of_from", {S("hello wello"), S("ello"), I(6)}), "1");
  EXPECT_EQ(R("last_index_of_from", {S("bananananana"), S("nana"), I(7)}), "6");
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S("t"), I(7)}), "6");
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S("a"), I(-1)}), kIndex);
  EXPECT_EQ(R("last_index_of_from", {S("tacocat"), S("a"), I(30)}), kIndex);
}

TEST(StringsExt, Case) {
  EXPECT_EQ(R("lower_ascii", {S("ABC")}), "\"abc\"");
  EXPECT_EQ(R("lower_ascii_g", {S("ABC")}), "\"abc\"");
  EXPECT_EQ(R("lower_ascii", {S("TacoCÆt Xii")}), "\"tacocÆt xii\"");
  EXPECT_EQ(R("lower_ascii", {S("")}), "\"\"");
  EXPECT_EQ(R("upper_ascii", {S("abc")}), "\"ABC\"");
  EXPECT_EQ(R("upper_ascii_g", {S("abc")}), "\"ABC\"");
  EXPECT_EQ(R("upper_ascii", {S("tacoCαt")}), "\"TACOCαT\"");
  EXPECT_EQ(R("lower_ascii", {N()}), kNoOverload);
  // Unchanged input is returned as is (a borrowed view stays one).
  Value v = V("already lower");
  Value r = Call("lower_ascii", {v});
  EXPECT_TRUE(Borrowed(r));
  EXPECT_EQ(r.str().data(), v.str().data());
  Value changed = Call("upper_ascii", {V("x")});
  EXPECT_FALSE(Borrowed(changed));
  EXPECT_EQ(changed.str(), "X");
}

TEST(StringsExt, Replace) {
  EXPECT_EQ(R("replace", {S("a-b-c"), S("-"), S("")}), "\"abc\"");
  EXPECT_EQ(R("replace_n", {S("a-b-c"), S("-"), S(""), I(1)}), "\"ab-c\"");
  EXPECT_EQ(R("replace_n", {S("a-b-c"), S("-"), S(""), I(0)}), "\"a-b-c\"");
  EXPECT_EQ(R("replace_n", {S("a-b-c"), S("-"), S(""), I(-1)}), "\"abc\"");
  EXPECT_EQ(R("replace_n", {S("a-b-c"), S("-"), S(""), I(99)}), "\"abc\"");
  EXPECT_EQ(R("replace", {S("{0} days {0} hours"), S("{0}"), S("2")}), "\"2 days 2 hours\"");
  EXPECT_EQ(R("replace", {S("12 days 12 hours"), S("{0}"), S("2")}), "\"12 days 12 hours\"");
  EXPECT_EQ(R("replace", {S("1 ©αT taco"), S("αT"), S("o©α")}), "\"1 ©o©α taco\"");
  EXPECT_EQ(R("replace", {S("aaa"), S("a"), S("aa")}), "\"aaaaaa\"");
  EXPECT_EQ(R("replace", {S("abc"), S(""), S("-")}), "\"-a-b-c-\"");
  EXPECT_EQ(R("replace", {S("é"), S(""), S("-")}), "\"-é-\"");
  EXPECT_EQ(R("replace_n", {S("abc"), S(""), S("-"), I(2)}), "\"-a-bc\"");
  EXPECT_EQ(R("replace", {S(""), S(""), S("x")}), "\"x\"");
  EXPECT_EQ(R("replace", {S(std::string(20000, 'a')), S("a"), S(std::string(20000, 'b'))}), kInvalid);  // 400 MB
  EXPECT_EQ(R("replace", {S("42"), I(2), I(1)}), kNoOverload);
  EXPECT_EQ(R("replace_n", {S("42"), S("2"), S("1"), S("1")}), kNoOverload);
}

TEST(StringsExt, Split) {
  EXPECT_EQ(R("split", {S("a;b"), S(";")}), "[\"a\", \"b\"]");
  EXPECT_EQ(R("split", {S("hello world"), S(" ")}), "[\"hello\", \"world\"]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(2)}), "[\"a\", \"b;c\"]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(0)}), "[]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(1)}), "[\"a;b;c\"]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(-1)}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(R("split_n", {S("a;b;c"), S(";"), I(10)}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(R("split", {S(""), S(",")}), "[\"\"]");
  EXPECT_EQ(R("split", {S(",a,"), S(",")}), "[\"\", \"a\", \"\"]");
  EXPECT_EQ(R("split", {S("abc"), S("")}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(R("split", {S(""), S("")}), "[]");
  EXPECT_EQ(R("split_n", {S("a©b"), S(""), I(2)}), "[\"a\", \"©b\"]");
  EXPECT_EQ(R("split", {S("o©o©o©o"), S("©")}), "[\"o\", \"o\", \"o\", \"o\"]");
  EXPECT_EQ(R("split", {S("42"), I(2)}), kNoOverload);
  EXPECT_EQ(R("split_n", {S("42"), S("2"), S("1")}), kNoOverload);
  Value parts = Call("split", {V("x;y"), S(";")});
  ASSERT_TRUE(parts.is(Kind::kList));
  EXPECT_TRUE(Borrowed(parts.list()[0]));
}

TEST(StringsExt, Substring) {
  EXPECT_EQ(R("substring", {S("hello"), I(1)}), "\"ello\"");
  EXPECT_EQ(R("substring", {S("tacocat"), I(4)}), "\"cat\"");
  EXPECT_EQ(R("substring", {S("tacocat"), I(7)}), "\"\"");
  EXPECT_EQ(R("substring", {S("tacocat"), I(0)}), "\"tacocat\"");
  EXPECT_EQ(R("substring", {S("tacocat"), I(40)}), kIndex);
  EXPECT_EQ(R("substring", {S("tacocat"), I(-1)}), kIndex);
  EXPECT_EQ(R("substring_range", {S("hello"), I(1), I(3)}), "\"el\"");
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(0), I(4)}), "\"taco\"");
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(4), I(4)}), "\"\"");
  EXPECT_EQ(R("substring_range", {S("ta©o©αT"), I(2), I(6)}), "\"©o©α\"");
  EXPECT_EQ(R("substring_range", {S("ta©o©αT"), I(7), I(7)}), "\"\"");
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(4), I(3)}), kInvalid);
  EXPECT_EQ(Msg("substring_range", {S("tacocat"), I(4), I(3)}), "invalid substring range. start: 4, end: 3");
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(1), I(50)}), kIndex);
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(49), I(50)}), kIndex);
  EXPECT_EQ(R("substring_range", {S("tacocat"), I(-1), I(2)}), kIndex);
  EXPECT_EQ(R("substring_range", {S("tacocat"), Value::Bool(true), I(3)}), kNoOverload);
  EXPECT_TRUE(Borrowed(Call("substring", {V("hello"), I(1)})));
}

TEST(StringsExt, Trim) {
  EXPECT_EQ(R("trim", {S(" a ")}), "\"a\"");
  EXPECT_EQ(R("trim_g", {S(" a ")}), "\"a\"");
  EXPECT_EQ(R("trim", {S("")}), "\"\"");
  EXPECT_EQ(R("trim", {S("  ")}), "\"\"");
  EXPECT_EQ(R("trim", {S(" \f\n\r\t\vtext  ")}), "\"text\"");
  EXPECT_EQ(R("trim", {S("\u0085\u00a0\u1680text")}), "\"text\"");
  EXPECT_EQ(R("trim", {S("text\u2000\u2001\u2002\u2003\u2004\u2004\u2006\u2007\u2008\u2009")}), "\"text\"");
  EXPECT_EQ(R("trim", {S("\u200atext\u2028\u2029\u202F\u205F\u3000")}), "\"text\"");
  std::string no_trim = "\u180etext\u200b\u200c\u200d\u2060\ufeff";
  EXPECT_EQ(Call("trim", {S(no_trim)}).str(), no_trim);
  EXPECT_EQ(R("trim", {S("a b")}), "\"a b\"");
  EXPECT_EQ(Call("trim", {S("\xc2")}).str(), "\xc2");  // a truncated sequence is not white space
  EXPECT_EQ(R("trim", {N()}), kNoOverload);
  Value v = V("  x ");
  Value r = Call("trim", {v});
  EXPECT_TRUE(Borrowed(r));
  EXPECT_EQ(r.str(), "x");
}

TEST(StringsExt, Join) {
  EXPECT_EQ(R("join", {L({S("a"), S("b")})}), "\"ab\"");
  EXPECT_EQ(R("join", {L({})}), "\"\"");
  EXPECT_EQ(R("join", {L({S("x")})}), "\"x\"");
  EXPECT_EQ(R("join_sep", {L({S("a"), S("b")}), S(";")}), "\"a;b\"");
  EXPECT_EQ(R("join_sep", {L({S("x"), S("y")}), S("-")}), "\"x-y\"");
  EXPECT_EQ(R("join_sep", {L({}), S("-")}), "\"\"");
  EXPECT_EQ(R("join", {L({S("a"), I(1)})}), kNoOverload);
  EXPECT_EQ(R("join_sep", {L({N()}), S(",")}), kNoOverload);
  EXPECT_EQ(R("join", {S("ab")}), kNoOverload);
}

TEST(StringsExt, Format) {
  auto F = [](std::string_view fmt, std::vector<Value> args) { return R("format", {S(fmt), L(std::move(args))}); };
  EXPECT_EQ(F("%s-%d", {S("a"), I(1)}), "\"a-1\"");
  EXPECT_EQ(F("no substitution", {}), "\"no substitution\"");
  EXPECT_EQ(F("str is %s and some more", {S("filler")}), "\"str is filler and some more\"");
  EXPECT_EQ(F("%% and also %%", {}), "\"% and also %\"");
  EXPECT_EQ(F("%%%s%%", {S("text")}), "\"%text%\"");
  EXPECT_EQ(F("%d %d %d, %s %s %s", {I(1), I(2), I(3), S("A"), S("B"), S("C")}), "\"1 2 3, A B C\"");
  EXPECT_EQ(F("%.3f", {D(1.2345)}), "\"1.234\"");
  EXPECT_EQ(F("this is 5 in binary: %b", {I(5)}), "\"this is 5 in binary: 101\"");
  EXPECT_EQ(F("%b", {U(64)}), "\"1000000\"");
  EXPECT_EQ(F("%b", {Value::Bool(true)}), "\"1\"");
  EXPECT_EQ(F("%b", {I(-5)}), "\"-101\"");
  EXPECT_EQ(F("%o", {I(11)}), "\"13\"");
  EXPECT_EQ(F("%o", {U(65535)}), "\"177777\"");
  EXPECT_EQ(F("%x is 20 in hexadecimal", {I(30)}), "\"1e is 20 in hexadecimal\"");
  EXPECT_EQ(F("%X", {I(30)}), "\"1E\"");
  EXPECT_EQ(F("%X", {U(6000)}), "\"1770\"");
  EXPECT_EQ(F("%x", {I(-26)}), "\"-1a\"");
  EXPECT_EQ(F("%x", {S("Hello world!")}), "\"48656c6c6f20776f726c6421\"");
  EXPECT_EQ(F("%X", {B("byte string")}), "\"6279746520737472696E67\"");
  EXPECT_EQ(F("%.6e", {D(1052.032911275)}), "\"1.052033e+03\"");
  EXPECT_EQ(F("%e", {D(2.71828)}), "\"2.718280e+00\"");
  EXPECT_EQ(F("%f", {D(2.71828)}), "\"2.718280\"");
  EXPECT_EQ(F("%e", {D(kNaN)}), "\"NaN\"");
  EXPECT_EQ(F("%e", {D(kInf)}), "\"Infinity\"");
  EXPECT_EQ(F("%f", {D(-kInf)}), "\"-Infinity\"");
  EXPECT_EQ(F("%d", {D(kNaN)}), "\"NaN\"");
  EXPECT_EQ(F("%d", {U(64)}), "\"64\"");
  EXPECT_EQ(F("%d", {D(1.5)}), "\"1.5\"");
  EXPECT_EQ(F("%f", {I(3)}), "\"3.000000\"");
  EXPECT_EQ(F("%e", {U(3)}), "\"3.000000e+00\"");
  EXPECT_EQ(F("%s", {N()}), "\"null\"");
  EXPECT_EQ(F("%s", {I(999999999999)}), "\"999999999999\"");
  EXPECT_EQ(F("%s", {B("xyz")}), "\"xyz\"");
  EXPECT_EQ(F("%s", {Value::Type("string")}), "\"string\"");
  EXPECT_EQ(F("%s", {Ts("2023-02-03T23:31:20Z")}), "\"2023-02-03T23:31:20Z\"");
  EXPECT_EQ(F("%s", {Ts("2023-02-03T23:31:20.1Z")}), "\"2023-02-03T23:31:20.1Z\"");
  EXPECT_EQ(F("%s", {Dur("1h45m47s")}), "\"6347s\"");
  EXPECT_EQ(F("%s", {L({S("abc"), D(3.14), N(), L({I(9), I(8), I(7), I(6)}), Ts("2023-02-03T23:31:20Z")})}),
            "\"[abc, 3.14, null, [9, 8, 7, 6], 2023-02-03T23:31:20Z]\"");
  EXPECT_EQ(F("%s", {M({{S("key1"), B("xyz")},
                        {S("key5"), N()},
                        {S("key2"), Dur("2h")},
                        {S("key4"), Value::Bool(true)},
                        {S("key3"), D(2.71828)}})}),
            "\"{key1: xyz, key2: 7200s, key3: 2.71828, key4: true, key5: null}\"");
  EXPECT_EQ(F("%s", {M({{I(1), S("value1")}, {U(2), S("value2")}, {Value::Bool(true), D(kNaN)}})}),
            "\"{1: value1, 2: value2, true: NaN}\"");
  EXPECT_EQ(F("%s", {L({D(kNaN), D(kInf), D(-kInf)})}), "\"[NaN, Infinity, -Infinity]\"");
  EXPECT_EQ(F("%s, %s", {Value::Bool(true), Value::Bool(false)}), "\"true, false\"");
  EXPECT_EQ(F("%s, %s", {I(32), D(56.8)}), "\"32, 56.8\"");
  EXPECT_EQ(F("%s", {D(1e21)}), "\"1000000000000000000000\"");
  EXPECT_EQ(F("%.3f", {D(4.5)}), "\"4.500\"");
  EXPECT_EQ(F("%.0f", {D(123.0)}), "\"123\"");
  EXPECT_EQ(F("%.0f", {D(3.5001)}), "\"4\"");
  EXPECT_EQ(F("%.0f", {D(3.4999)}), "\"3\"");
  EXPECT_EQ(F("%.0f", {D(1.5)}), "\"2\"");
  EXPECT_EQ(F("%.0f", {D(2.5)}), "\"2\"");  // binary doubles: ties to even, as Go
  EXPECT_EQ(F("%.3f", {D(123.4999)}), "\"123.500\"");
  EXPECT_EQ(F("%.3f", {D(-123.4994)}), "\"-123.499\"");
  EXPECT_EQ(F("%.5f", {D(-1.2)}), "\"-1.20000\"");
  // Accord's date and decimal.
  EXPECT_EQ(F("%s", {Dt("2024-02-29")}), "\"2024-02-29\"");
  EXPECT_EQ(F("%s", {Dec("1.10")}), "\"1.10\"");
  EXPECT_EQ(F("%d", {Dec("3")}), "\"3\"");
  EXPECT_EQ(F("%.2f", {Dec("2.345")}), "\"2.35\"");  // decimals: exact, half away from zero
  EXPECT_EQ(F("%.2f", {Dec("-2.345")}), "\"-2.35\"");
  EXPECT_EQ(F("%.2f", {Dec("2")}), "\"2.00\"");
  EXPECT_EQ(F("%.0f", {Dec("2.5")}), "\"3\"");
  EXPECT_EQ(F("%f", {Dec("0.1")}), "\"0.100000\"");
  EXPECT_EQ(F("%e", {Dec("1052.032911275")}), "\"1.052033e+03\"");
  // Errors.
  EXPECT_EQ(F("%a", {I(1)}), kInvalid);
  EXPECT_EQ(Msg("format", {S("%a"), L({I(1)})}),
            "could not parse formatting clause: unrecognized formatting clause \"a\"");
  EXPECT_EQ(F("%d %d %d", {I(0), I(1)}), kIndex);
  EXPECT_EQ(Msg("format", {S("%d %d %d"), L({I(0), I(1)})}), "index 2 out of range");
  EXPECT_EQ(F("%", {}), kIndex);
  EXPECT_EQ(F("%", {I(1)}), kInvalid);
  EXPECT_EQ(Msg("format", {S("%"), L({I(1)})}), "unexpected end of string");
  EXPECT_EQ(Msg("format", {S("string is %b"), L({S("abc")})}),
            "error during formatting: only ints, uints, and bools can be formatted as binary, was given string");
  EXPECT_EQ(F("%d", {Dur("30m2s")}), kInvalid);
  EXPECT_EQ(F("octal: %o", {S("a string")}), kInvalid);
  EXPECT_EQ(F("double is %x", {D(0.5)}), kInvalid);
  EXPECT_EQ(F("double is %E", {D(0.5)}), kInvalid);
  for (const char* clause : {"%d", "%e", "%f", "%x", "%X", "%b", "%o"}) EXPECT_EQ(F(clause, {N()}), kInvalid) << clause;
  EXPECT_EQ(F("%.f", {D(1)}), kInvalid);
  EXPECT_EQ(F("%.3", {D(1)}), kInvalid);
  EXPECT_EQ(F("%.1000f", {D(1)}), kInvalid);
  EXPECT_EQ(F("%5d", {I(1)}), kInvalid);
  EXPECT_EQ(Msg("format", {S("%é"), L({I(1)})}),
            "could not parse formatting clause: unrecognized formatting clause \"é\"");
  EXPECT_EQ(F("%s", {I(1), I(2)}), "\"1\"");  // unused arguments are the checker's business
  EXPECT_EQ(F("%.100f", {D(1e308)}).size(), 2u + 309 + 1 + 100);
  EXPECT_EQ(R("format", {S("%s"), S("x")}), kNoOverload);
  EXPECT_EQ(R("format", {N(), L({})}), kNoOverload);
}

// ---- CRM functions ----

TEST(Crm, IsBlank) {
  EXPECT_EQ(R("is_blank", {S("  ")}), "true");
  EXPECT_EQ(R("is_blank", {S("")}), "true");
  EXPECT_EQ(R("is_blank", {N()}), "true");
  EXPECT_EQ(R("is_blank", {S("\u00a0\t")}), "true");
  EXPECT_EQ(R("is_blank", {S("a")}), "false");
  EXPECT_EQ(R("is_blank", {L({})}), "true");
  EXPECT_EQ(R("is_blank", {L({N()})}), "false");
  EXPECT_EQ(R("is_blank", {M({})}), "true");
  EXPECT_EQ(R("is_blank", {I(0)}), "false");
  EXPECT_EQ(R("is_blank", {Value::Bool(false)}), "false");
  EXPECT_EQ(R("is_blank", {B("")}), "false");
}

TEST(Crm, Coalesce) {
  EXPECT_EQ(R("coalesce2", {N(), S("[not provided]")}), "\"[not provided]\"");
  EXPECT_EQ(R("coalesce2", {S("Acme"), S("[not provided]")}), "\"Acme\"");
  EXPECT_EQ(R("coalesce2", {S("  "), S("x")}), "\"x\"");
  EXPECT_EQ(R("coalesce3", {N(), S("555"), S("")}), "\"555\"");
  EXPECT_EQ(R("coalesce3", {N(), S("  "), S("")}), "\"\"");  // all blank: the last
  EXPECT_EQ(R("coalesce3", {N(), N(), N()}), "null");
  EXPECT_EQ(R("coalesce4", {N(), N(), N(), S("d")}), "\"d\"");
  EXPECT_EQ(R("coalesce5", {N(), N(), N(), N(), S("e")}), "\"e\"");
  EXPECT_EQ(R("coalesce6", {N(), N(), N(), N(), N(), S("f")}), "\"f\"");
  EXPECT_EQ(R("coalesce7", {N(), N(), N(), N(), N(), N(), S("g")}), "\"g\"");
  EXPECT_EQ(R("coalesce8", {N(), S(""), N(), S(" "), N(), L({}), N(), S("h")}), "\"h\"");
  EXPECT_EQ(R("coalesce8", {S("a"), N(), N(), N(), N(), N(), N(), N()}), "\"a\"");
  EXPECT_EQ(R("coalesce2", {I(0), I(5)}), "0");
  EXPECT_EQ(R("coalesce2", {L({}), L({I(1)})}), "[1]");
  EXPECT_EQ(R("coalesce2", {S("a")}), kNoOverload);
  EXPECT_EQ(R("coalesce8", {N(), N()}), kNoOverload);
  Value v = V("borrowed");
  EXPECT_EQ(Call("coalesce2", {v, S("x")}).str().data(), v.str().data());
}

TEST(Crm, NormalizeEmail) {
  EXPECT_EQ(R("normalize_email", {S(" Ann@Example.COM ")}), "\"ann@example.com\"");
  EXPECT_EQ(R("normalize_email", {S("\u00a0ann@x.com\t")}), "\"ann@x.com\"");
  EXPECT_EQ(R("normalize_email", {N()}), "null");
  EXPECT_EQ(R("normalize_email", {S("")}), "\"\"");
  EXPECT_EQ(R("normalize_email", {S("  ")}), "\"\"");
  EXPECT_EQ(R("normalize_email", {S("not an email")}), "\"not an email\"");
  EXPECT_EQ(R("normalize_email", {S("Ünïcode@X.de")}), "\"Ünïcode@x.de\"");  // ASCII letters only
  EXPECT_EQ(R("normalize_email", {I(1)}), kNoOverload);
  Value v = V("ann@example.com");
  EXPECT_EQ(Call("normalize_email", {v}).str().data(), v.str().data());
}

TEST(Crm, EmailDomain) {
  EXPECT_EQ(R("email_domain", {S("ann@Example.com")}), "\"example.com\"");
  EXPECT_EQ(R("email_domain", {S("  ann@x.org  ")}), "\"x.org\"");
  EXPECT_EQ(R("email_domain", {S("\"a@b\"@Example.COM")}), "\"example.com\"");
  EXPECT_EQ(R("email_domain", {N()}), "null");
  EXPECT_EQ(R("email_domain", {S("no-at")}), kInvalid);
  EXPECT_EQ(R("email_domain", {S("ann@")}), kInvalid);
  EXPECT_EQ(R("email_domain", {S("ann@  ")}), kInvalid);
  EXPECT_EQ(R("email_domain", {S("")}), kInvalid);
  EXPECT_EQ(R("email_domain", {S("  ")}), kInvalid);
  EXPECT_EQ(R("email_domain", {L({})}), kNoOverload);
  EXPECT_TRUE(Borrowed(Call("email_domain", {V("ann@example.com")})));
}

TEST(Crm, Digits) {
  EXPECT_EQ(R("digits", {S("+1 (555) 010-9999")}), "\"15550109999\"");
  EXPECT_EQ(R("digits", {S("abc")}), "\"\"");
  EXPECT_EQ(R("digits", {S("")}), "\"\"");
  EXPECT_EQ(R("digits", {S("  ")}), "\"\"");
  EXPECT_EQ(R("digits", {S("١٢٣")}), "\"\"");  // ASCII digits only
  EXPECT_EQ(R("digits", {N()}), "null");
  EXPECT_EQ(R("digits", {I(123)}), kNoOverload);
  Value v = V("0123");
  EXPECT_EQ(Call("digits", {v}).str().data(), v.str().data());
}

TEST(Crm, E164) {
  EXPECT_EQ(R("e164", {S("(650) 253-0000"), S("US")}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("(650) 253-0000"), S(" us ")}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("650.253.0000 ext. 123"), S("US")}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("+44 20 7946 0958"), S("US")}), "\"+442079460958\"");
  EXPECT_EQ(R("e164", {S("020 7946 0958"), S("GB")}), "\"+442079460958\"");
  EXPECT_EQ(R("e164", {S("+16502530000"), N()}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("+16502530000"), S("")}), "\"+16502530000\"");
  EXPECT_EQ(R("e164", {S("6502530000"), N()}), kInvalid);  // no region: international form needed
  EXPECT_EQ(R("e164", {S("6502530000"), S("XX")}), kInvalid);
  EXPECT_EQ(R("e164", {S("555-0100"), S("US")}), kInvalid);  // possible but not valid
  EXPECT_EQ(R("e164", {S("+1 (555) 010-9999"), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {S("abc"), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {S(""), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {S("  "), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {S(std::string(1000, '5')), S("US")}), kInvalid);
  EXPECT_EQ(R("e164", {N(), S("US")}), "null");
  EXPECT_EQ(R("e164", {I(6502530000), S("US")}), kNoOverload);
  EXPECT_EQ(R("e164", {S("6502530000")}), kNoOverload);
}

TEST(Crm, DomainOf) {
  EXPECT_EQ(R("domain_of", {S("https://www.Example.com/about")}), "\"example.com\"");
  EXPECT_EQ(R("domain_of", {S("Example.com")}), "\"example.com\"");
  EXPECT_EQ(R("domain_of", {S("www.acme.io")}), "\"acme.io\"");
  EXPECT_EQ(R("domain_of", {S("HTTPS://WWW.ACME.COM?x=1")}), "\"acme.com\"");
  EXPECT_EQ(R("domain_of", {S("http://user:pw@Sub.Example.co.uk:8080/x?y#z")}), "\"sub.example.co.uk\"");
  EXPECT_EQ(R("domain_of", {S("//cdn.acme.io/x")}), "\"cdn.acme.io\"");
  EXPECT_EQ(R("domain_of", {S("ftp://files.acme.com")}), "\"files.acme.com\"");
  EXPECT_EQ(R("domain_of", {S("https://[::1]:443/")}), "\"[::1]\"");
  EXPECT_EQ(R("domain_of", {S("example.com.")}), "\"example.com\"");
  EXPECT_EQ(R("domain_of", {S(" acme.com/path ")}), "\"acme.com\"");
  EXPECT_EQ(R("domain_of", {S("ann@acme.com")}), "\"acme.com\"");
  EXPECT_EQ(R("domain_of", {S("acme.com:8080")}), "\"acme.com\"");
  EXPECT_EQ(R("domain_of", {S("wwwacme.com")}), "\"wwwacme.com\"");
  EXPECT_EQ(R("domain_of", {N()}), "null");
  for (const char* bad : {"", "  ", "https://", "http:///path", "not a url", "https://www./"})
    EXPECT_EQ(R("domain_of", {S(bad)}), kInvalid) << bad;
  EXPECT_EQ(R("domain_of", {I(1)}), kNoOverload);
  Value v = V("acme.com");
  EXPECT_EQ(Call("domain_of", {v}).str().data(), v.str().data());
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

// ---- multi-select values ----

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

// ---- strings.quote, base64 ----

TEST(StringsExt, Quote) {
  EXPECT_EQ(R("strings_quote", {S("")}), "\"\\\"\\\"\"");
  auto q = [](std::string_view in) {
    Value v = Call("strings_quote", {S(in)});
    return v.is_error() ? std::string("error") : std::string(v.str());
  };
  EXPECT_EQ(q("verbatim"), "\"verbatim\"");
  EXPECT_EQ(q("first\nsecond"), "\"first\\nsecond\"");
  EXPECT_EQ(q("\a\b\f\r\t\v"), "\"\\a\\b\\f\\r\\t\\v\"");
  EXPECT_EQ(q("ends with \\"), "\"ends with \\\\\"");
  EXPECT_EQ(q("mid \" quote"), "\"mid \\\" quote\"");
  EXPECT_EQ(q("single ' quote"), "\"single ' quote\"");
  EXPECT_EQ(q("ta©o©αT 😀"), "\"ta©o©αT 😀\"");
  // Other control characters are kept as they are (cel-go); malformed UTF-8 becomes U+FFFD.
  EXPECT_EQ(q(std::string_view("a\0b\x1f", 4)), std::string("\"a\0b\x1f\"", 6));
  EXPECT_EQ(q("bad \xff\xfe end"), "\"bad \xEF\xBF\xBD\xEF\xBF\xBD end\"");
  EXPECT_EQ(q("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(q(std::string(V("borrowed\n").str())), "\"borrowed\\n\"");
  EXPECT_EQ(R("strings_quote", {V("x")}), "\"\\\"x\\\"\"");
  EXPECT_EQ(R("strings_quote", {B("x")}), kNoOverload);
  EXPECT_EQ(R("strings_quote", {N()}), kNoOverload);
}

TEST(Encoders, Base64) {
  auto enc = [](std::string_view in) {
    Value v = Call("base64_encode", {B(in)});
    return v.is_error() ? std::string("error") : std::string(v.str());
  };
  auto dec = [](std::string_view in) {
    Value v = Call("base64_decode", {S(in)});
    return v.is_error() ? "error(" + std::string(ErrorCodeName(v.error_code())) + ")" : std::string(v.str());
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("h"), "aA==");
  EXPECT_EQ(enc("he"), "aGU=");
  EXPECT_EQ(enc("hel"), "aGVs");
  EXPECT_EQ(enc("hello"), "aGVsbG8=");
  EXPECT_EQ(enc(std::string_view("\0\xff\xfe", 3)), "AP/+");
  EXPECT_EQ(dec("aGVsbG8="), "hello");
  EXPECT_EQ(dec("aGVsbG8"), "hello");  // padding may be left out
  EXPECT_EQ(dec("aA=="), "h");
  EXPECT_EQ(dec("aA"), "h");
  EXPECT_EQ(dec(""), "");
  EXPECT_EQ(dec("AP/+"), std::string("\0\xff\xfe", 3));
  EXPECT_EQ(dec("aGVs\r\nbG8="), "hello");  // line breaks are skipped, as Go's decoder does
  for (const char* bad : {"a", "aA=", "aA===", "aGVsbG8==", "a=A=", "aGVs bG8=", "aGVs-bG8", "aGVs_bG8", "=", "====",
                          "aGVsbG8=x", "\xff\xfe"})
    EXPECT_EQ(dec(bad), "error(invalid_argument)") << bad;
  EXPECT_EQ(dec(std::string_view("aA\0=", 4)), "error(invalid_argument)");
  // Round trips of every byte value and length.
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) EXPECT_EQ(dec(enc(all.substr(0, n))), all.substr(0, n)) << n;
  EXPECT_EQ(R("base64_encode", {S("hello")}), kNoOverload);
  EXPECT_EQ(R("base64_decode", {B("aGVsbG8=")}), kNoOverload);
  EXPECT_EQ(R("base64_decode", {N()}), kNoOverload);
}

TEST(Crm, Picklists) {
  EXPECT_EQ(R("split_multi", {S("a;b")}), "[\"a\", \"b\"]");
  EXPECT_EQ(R("split_multi", {S(";a;;b;")}), "[\"a\", \"b\"]");
  EXPECT_EQ(R("split_multi", {S(" a ; b ")}), "[\"a\", \"b\"]");
  EXPECT_EQ(R("split_multi", {S("")}), "[]");
  EXPECT_EQ(R("split_multi", {S("  ")}), "[]");
  EXPECT_EQ(R("split_multi", {S("Single")}), "[\"Single\"]");
  EXPECT_EQ(R("split_multi", {N()}), "null");
  EXPECT_EQ(R("split_multi", {L({})}), kNoOverload);
  Value parts = Call("split_multi", {V("x;y")});
  EXPECT_TRUE(Borrowed(parts.list()[1]));
  EXPECT_EQ(R("join_multi", {L({S("a"), S("b")})}), "\"a;b\"");
  EXPECT_EQ(R("join_multi", {L({})}), "\"\"");
  EXPECT_EQ(R("join_multi", {L({S("a"), S(""), S("  "), N(), S(" b ")})}), "\"a;b\"");
  EXPECT_EQ(R("join_multi", {N()}), "null");
  EXPECT_EQ(R("join_multi", {L({I(1)})}), kNoOverload);
  EXPECT_EQ(R("join_multi", {S("a;b")}), kNoOverload);
}

// The per-thread caches and the shared zone table under concurrent use.
TEST(Stdlib, ConcurrentCalls) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      const char* zones[] = {"America/New_York", "Europe/Paris", "Asia/Tokyo", "Australia/Sydney", "+05:30"};
      for (int i = 0; i < 500; ++i) {
        Value ts = Value::Timestamp(1700000000 + i * 3601, 0);
        Value r = Call("ts_hours_tz", {ts, S(zones[(i + t) % 5])});
        Value m = Call("matches", {S("abc" + std::to_string(i % 7)), S("^abc[0-9]$")});
        if (r.is_error() || !m.bool_value()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace accord::rt
