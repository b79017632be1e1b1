// The standard library's overload table and CallFn's contract for every overload
// (stdlib.h): argument kinds, arity, errors in, random arguments, concurrent calls.
// The families have their own tests: stdlib_strings_test.cc, stdlib_conversions_test.cc,
// stdlib_time_test.cc, stdlib_crm_test.cc, stdlib_math_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/stdlib_test_util.h"

namespace accord::rt {
namespace {

using namespace stdlib_testing;  // NOLINT(google-build-using-namespace): the tests' shorthand

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
      if (!v.is_error() && v.is(Kind::kString)) {
        (void)v.str().size();
      }
    }
  }
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
