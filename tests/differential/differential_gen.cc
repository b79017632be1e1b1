#include "tests/differential/differential_gen.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <memory>

#include "compiler/driver/driver.h"
#include "compiler/schema/schema.h"
#include "compiler/sema/checker.h"

namespace accord::differential {

using rt::Kind;
using rt::Value;

uint64_t SeedSource::Next() {
  uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

namespace {

// ---------------------------------------------------------------- types
enum class T { kInt, kUint, kDouble, kBool, kString, kListInt, kListString, kMap, kDecimal, kDyn, kCount };

struct Var {
  const char* name;
  T type;
  const char* decl;  // CEL type for the checker; nullptr = a record field
};

// Parameters first (in register order), then fields of salesforce.Opportunity.
const Var kVars[] = {
    {"i", T::kInt, "int"},
    {"j", T::kInt, "int"},
    {"u", T::kUint, "uint"},
    {"d", T::kDouble, "double"},
    {"e", T::kDouble, "double"},
    {"b", T::kBool, "bool"},
    {"s", T::kString, "string"},
    {"t", T::kString, "string"},
    {"li", T::kListInt, "list(int)"},
    {"ls", T::kListString, "list(string)"},
    {"m", T::kMap, "map(string, int)"},
    {"dy", T::kDyn, "dyn"},
    {"FiscalYear", T::kInt, nullptr},
    {"Probability", T::kDouble, nullptr},
    {"TotalOpportunityQuantity", T::kDouble, nullptr},
    {"Name", T::kString, nullptr},
    {"StageName", T::kString, nullptr},
    {"IsWon", T::kBool, nullptr},
    {"IsClosed", T::kBool, nullptr},
    {"Amount", T::kDecimal, nullptr},
};

// ---------------------------------------------------------------- literals
const char* const kIntLits[] = {"0",
                                "1",
                                "2",
                                "3",
                                "7",
                                "10",
                                "100",
                                "(-1)",
                                "(-7)",
                                "42",
                                "9223372036854775807",
                                "(-9223372036854775807)",
                                "4611686018427387904",
                                "3037000500",
                                "1000000"};
const char* const kUintLits[] = {
    "0u", "1u", "2u", "7u", "100u", "18446744073709551615u", "9223372036854775808u", "4294967296u"};
const char* const kDoubleLits[] = {"0.0",      "1.0",    "1.5", "(-2.25)", "100.0",  "0.1", "1e300",
                                   "(-1e300)", "1e-300", "3.0", "9.3e18",  "(-0.0)", "2.5", "0.5"};
const char* const kStringLits[] = {"\"\"",
                                   "\" \"",
                                   "\"a\"",
                                   "\"abc\"",
                                   "\"ABC\"",
                                   "\"Hello World\"",
                                   "\"  padded  \"",
                                   "\"h\\u00e9llo\"",
                                   "\"12\"",
                                   "\"-3\"",
                                   "\"3.5\"",
                                   "\"true\"",
                                   "\"a,b,c\"",
                                   "\",\"",
                                   "\"\\u65e5\\u672c\"",
                                   "\"x@Example.COM\"",
                                   "\"\\t\"",
                                   "\"Closed Won\"",
                                   "\"9223372036854775808\"",
                                   "\"NaN\"",
                                   "\"1e3\""};
const char* const kPatterns[] = {"\"^a\"", "\"b$\"", "\"[0-9]+\"",   "\"(?i)hello\"", "\"a|b\"",
                                 "\"\"",   "\"(\"",  "\"^\\\\s*$\"", "\".\""};
const char* const kDecimalLits[] = {"decimal(\"1.5\")",    "decimal(\"0\")",        "decimal(\"-12.345\")",
                                    "decimal(\"100000\")", "decimal(\"0.000001\")", "decimal(\"9223372036854775807\")",
                                    "decimal(\"0.1\")"};

template <size_t N>
const char* PickOf(Source& s, const char* const (&arr)[N]) {
  return arr[s.Pick(N)];
}

std::string P(const std::string& x) { return "(" + x + ")"; }

class Gen {
 public:
  explicit Gen(Source& s) : s_(s) {}

  std::string Expr(T t, int depth) {
    if (depth <= 0 || s_.OneIn(4)) return Leaf(t);
    switch (t) {
      case T::kInt:
        return Int(depth - 1);
      case T::kUint:
        return Uint(depth - 1);
      case T::kDouble:
        return Double(depth - 1);
      case T::kBool:
        return Bool(depth - 1);
      case T::kString:
        return String(depth - 1);
      case T::kListInt:
        return ListInt(depth - 1);
      case T::kListString:
        return ListString(depth - 1);
      case T::kMap:
        return Map(depth - 1);
      case T::kDecimal:
        return Decimal(depth - 1);
      default:
        return Dyn(depth - 1);
    }
  }

  T AnyType() { return static_cast<T>(s_.Pick(static_cast<uint32_t>(T::kCount))); }

 private:
  // A variable of type t (record fields, parameters, macro variables) or a literal.
  std::string Leaf(T t) {
    std::vector<std::string> names;
    for (const Var& v : kVars)
      if (v.type == t) names.push_back(v.name);
    for (const auto& [n, ty] : scope_)
      if (ty == t) names.push_back(n);
    // macro variables most often: they are what the macro is about
    if (!scope_.empty() && scope_.back().second == t && s_.OneIn(2)) return scope_.back().first;
    uint32_t k = s_.Pick(static_cast<uint32_t>(names.size()) + 1);
    if (k < names.size()) return names[k];
    switch (t) {
      case T::kInt:
        return PickOf(s_, kIntLits);
      case T::kUint:
        return PickOf(s_, kUintLits);
      case T::kDouble:
        return PickOf(s_, kDoubleLits);
      case T::kBool:
        return s_.OneIn(2) ? "true" : "false";
      case T::kString:
        return PickOf(s_, kStringLits);
      case T::kListInt:
        return s_.OneIn(2) ? "[]" : "[1, 2, 3]";
      case T::kListString:
        return s_.OneIn(2) ? "[\"a\", \"B \", \"\"]" : "[\"x\"]";
      case T::kMap:
        return s_.OneIn(2) ? "{\"a\": 1, \"b\": 2}" : "{\"\": 0}";
      case T::kDecimal:
        return PickOf(s_, kDecimalLits);
      default:
        return "dy";
    }
  }
  std::string SmallInt() { return std::to_string(static_cast<int>(s_.Pick(6)) - 1); }

  std::string Bin(T t, const char* op, int depth) { return P(Expr(t, depth) + " " + op + " " + Expr(t, depth)); }
  std::string Cond(T t, int depth) {
    return P(Expr(T::kBool, depth) + " ? " + Expr(t, depth) + " : " + Expr(t, depth));
  }
  std::string NewVar(T t) {
    std::string n = "v" + std::to_string(vars_++);
    scope_.emplace_back(n, t);
    return n;
  }
  // range.macro(v, body...) over a list of ints or strings.
  std::string Macro(const char* name, T elem, int depth, T body1, T body2 = T::kCount) {
    std::string range = Expr(elem == T::kInt ? T::kListInt : T::kListString, depth);
    std::string v = NewVar(elem);
    std::string out = P(range) + "." + name + "(" + v + ", " + Expr(body1, depth);
    if (body2 != T::kCount) out += ", " + Expr(body2, depth);
    scope_.pop_back();
    return out + ")";
  }
  T ElemType() { return s_.OneIn(2) ? T::kInt : T::kString; }

  std::string Int(int d) {
    switch (s_.Pick(22)) {
      case 0:
        return Bin(T::kInt, "+", d);
      case 1:
        return Bin(T::kInt, "-", d);
      case 2:
        return Bin(T::kInt, "*", d);
      case 3:
        return Bin(T::kInt, "/", d);
      case 4:
        return Bin(T::kInt, "%", d);
      case 5:
        return "-" + P(Expr(T::kInt, d));
      case 6:
        return "size(" + Expr(T::kString, d) + ")";
      case 7:
        return P(Expr(T::kListInt, d)) + ".size()";
      case 8:
        return "int(" + Expr(T::kDouble, d) + ")";
      case 9:
        return "int(" + Expr(T::kUint, d) + ")";
      case 10:
        return "int(" + Expr(T::kString, d) + ")";
      case 11:
        return "int(" + Expr(T::kDecimal, d) + ")";
      case 12:
        return P(Expr(T::kString, d)) + ".indexOf(" + Expr(T::kString, d) + ")";
      case 13:
        return "abs(" + Expr(T::kInt, d) + ")";
      case 14:
        return Cond(T::kInt, d);
      case 15:
        return P(Expr(T::kListInt, d)) + "[" + (s_.OneIn(2) ? SmallInt() : Expr(T::kInt, d)) + "]";
      case 16:
        return P(Expr(T::kMap, d)) + "[" + Expr(T::kString, d) + "]";
      case 17:
        return "size(" + Expr(T::kListString, d) + ")";
      case 18:
        return "int(" + Expr(T::kDyn, d) + ")";
      case 19:
        return P(Expr(T::kString, d)) + ".lastIndexOf(" + Expr(T::kString, d) + ")";
      case 20:
        return "size(" + Expr(T::kMap, d) + ")";
      default:
        return P(Expr(T::kMap, d)) + "." + (s_.OneIn(2) ? "a" : "b");
    }
  }
  std::string Uint(int d) {
    switch (s_.Pick(9)) {
      case 0:
        return Bin(T::kUint, "+", d);
      case 1:
        return Bin(T::kUint, "-", d);
      case 2:
        return Bin(T::kUint, "*", d);
      case 3:
        return Bin(T::kUint, "/", d);
      case 4:
        return Bin(T::kUint, "%", d);
      case 5:
        return "uint(" + Expr(T::kInt, d) + ")";
      case 6:
        return "uint(" + Expr(T::kDouble, d) + ")";
      case 7:
        return "uint(" + Expr(T::kString, d) + ")";
      default:
        return Cond(T::kUint, d);
    }
  }
  std::string Double(int d) {
    switch (s_.Pick(13)) {
      case 0:
        return Bin(T::kDouble, "+", d);
      case 1:
        return Bin(T::kDouble, "-", d);
      case 2:
        return Bin(T::kDouble, "*", d);
      case 3:
        return Bin(T::kDouble, "/", d);
      case 4:
        return "-" + P(Expr(T::kDouble, d));
      case 5:
        return "double(" + Expr(T::kInt, d) + ")";
      case 6:
        return "double(" + Expr(T::kUint, d) + ")";
      case 7:
        return "double(" + Expr(T::kString, d) + ")";
      case 8:
        return "double(" + Expr(T::kDecimal, d) + ")";
      case 9:
        return "round(" + Expr(T::kDouble, d) + ", " + SmallInt() + ")";
      case 10:
        return "abs(" + Expr(T::kDouble, d) + ")";
      case 11:
        return "double(" + Expr(T::kDyn, d) + ")";
      default:
        return Cond(T::kDouble, d);
    }
  }
  std::string Bool(int d) {
    static const char* const cmp[] = {"==", "!=", "<", "<=", ">", ">="};
    switch (s_.Pick(24)) {
      case 0:
        return "!" + P(Expr(T::kBool, d));
      case 1:
        return Bin(T::kBool, "&&", d);
      case 2:
        return Bin(T::kBool, "||", d);
      case 3:
      case 4:
      case 5: {
        static const T ordered[] = {T::kInt, T::kUint, T::kDouble, T::kString, T::kBool, T::kDecimal};
        return Bin(ordered[s_.Pick(6)], cmp[s_.Pick(6)], d);
      }
      case 6: {
        static const T any[] = {T::kListInt, T::kListString, T::kMap, T::kDyn};
        return Bin(any[s_.Pick(4)], s_.OneIn(2) ? "==" : "!=", d);
      }
      case 7:
        return P(Expr(T::kString, d)) + ".contains(" + Expr(T::kString, d) + ")";
      case 8:
        return P(Expr(T::kString, d)) + ".startsWith(" + Expr(T::kString, d) + ")";
      case 9:
        return P(Expr(T::kString, d)) + ".endsWith(" + Expr(T::kString, d) + ")";
      case 10:
        return P(Expr(T::kString, d)) + ".matches(" + PickOf(s_, kPatterns) + ")";
      case 11:
        return P(Expr(T::kInt, d) + " in " + Expr(T::kListInt, d));
      case 12:
        return P(Expr(T::kString, d) + " in " + Expr(T::kListString, d));
      case 13:
        return P(Expr(T::kString, d) + " in " + Expr(T::kMap, d));
      case 14:
        return Macro("all", ElemType(), d, T::kBool);
      case 15:
        return Macro("exists", ElemType(), d, T::kBool);
      case 16:
        return Macro("exists_one", ElemType(), d, T::kBool);
      case 17:
        return "isBlank(" + Expr(s_.OneIn(2) ? T::kString : T::kListString, d) + ")";
      case 18:
        return std::string("has(") + P(Expr(T::kMap, d)) + "." + (s_.OneIn(2) ? "a" : "z") + ")";
      case 19:
        return "bool(" + Expr(T::kString, d) + ")";
      case 20: {  // mixed numeric comparison (CEL allows it at run time; through dyn for the checker)
        static const T num[] = {T::kInt, T::kUint, T::kDouble};
        return P("dyn(" + Expr(num[s_.Pick(3)], d) + ") " + cmp[s_.Pick(6)] + " " + Expr(num[s_.Pick(3)], d));
      }
      case 21:
        return P(Expr(T::kDyn, d) + " " + (s_.OneIn(2) ? "==" : "!=") + " " + Expr(AnyType(), d));
      default:
        return Cond(T::kBool, d);
    }
  }
  std::string String(int d) {
    switch (s_.Pick(24)) {
      case 0:
      case 1:
        return Bin(T::kString, "+", d);
      case 2:
        return "lowerAscii(" + Expr(T::kString, d) + ")";
      case 3:
        return P(Expr(T::kString, d)) + ".upperAscii()";
      case 4:
        return "trim(" + Expr(T::kString, d) + ")";
      case 5:
        return P(Expr(T::kString, d)) + ".substring(" + (s_.OneIn(2) ? SmallInt() : Expr(T::kInt, d)) + ")";
      case 6:
        return P(Expr(T::kString, d)) + ".substring(" + SmallInt() + ", " +
               (s_.OneIn(2) ? SmallInt() : Expr(T::kInt, d)) + ")";
      case 7:
        return "string(" + Expr(T::kInt, d) + ")";
      case 8:
        return "string(" + Expr(T::kUint, d) + ")";
      case 9:
        return "string(" + Expr(T::kDouble, d) + ")";
      case 10:
        return "string(" + Expr(T::kBool, d) + ")";
      case 11:
        return "string(" + Expr(T::kDecimal, d) + ")";
      case 12:
        return P(Expr(T::kString, d)) + ".charAt(" + SmallInt() + ")";
      case 13:
        return P(Expr(T::kString, d)) + ".replace(" + Expr(T::kString, d) + ", " + Expr(T::kString, d) + ")";
      case 14:
        return P(Expr(T::kListString, d)) + ".join(" + Expr(T::kString, d) + ")";
      case 15:
        return P(Expr(T::kListString, d)) + ".join()";
      case 16:
        return P(Expr(T::kListString, d)) + "[" + SmallInt() + "]";
      case 17:
        return "coalesce(" + Expr(T::kString, d) + ", " + Expr(T::kString, d) + ")";
      case 18:
        return "digits(" + Expr(T::kString, d) + ")";
      case 19:
        return "string(" + Expr(T::kDyn, d) + ")";
      case 20:
        return P(Expr(T::kString, d)) + ".trim()";
      case 21:
        return "normalizeEmail(" + Expr(T::kString, d) + ")";
      case 22: {  // the fused shapes of mapping rules (issue 16): a string function of a string function
        static const char* const outer[] = {"lowerAscii", "upperAscii", "digits", "trim"};
        static const char* const inner[] = {"trim", "lowerAscii", "normalizeEmail"};
        return std::string(outer[s_.Pick(4)]) + "(" + inner[s_.Pick(3)] + "(" + Expr(T::kString, d) + "))";
      }
      default:
        return Cond(T::kString, d);
    }
  }
  std::string ListInt(int d) {
    switch (s_.Pick(7)) {
      case 0: {
        uint32_t n = s_.Pick(4);
        std::string out = "[";
        for (uint32_t k = 0; k < n; ++k) out += (k ? ", " : "") + Expr(T::kInt, d);
        return out + "]";
      }
      case 1:
        return Bin(T::kListInt, "+", d);
      case 2:
        return Macro("map", T::kInt, d, T::kInt);
      case 3:
        return Macro("filter", T::kInt, d, T::kBool);
      case 4:
        return Macro("map", T::kInt, d, T::kBool, T::kInt);
      case 5:
        return Macro("map", T::kString, d, T::kInt);
      default:
        return Cond(T::kListInt, d);
    }
  }
  std::string ListString(int d) {
    switch (s_.Pick(8)) {
      case 0: {
        uint32_t n = s_.Pick(4);
        std::string out = "[";
        for (uint32_t k = 0; k < n; ++k) out += (k ? ", " : "") + Expr(T::kString, d);
        return out + "]";
      }
      case 1:
        return Bin(T::kListString, "+", d);
      case 2:
        return P(Expr(T::kString, d)) + ".split(" + Expr(T::kString, d) + ")";
      case 3:
        return Macro("map", T::kString, d, T::kString);
      case 4:
        return Macro("filter", T::kString, d, T::kBool);
      case 5:
        return Macro("map", T::kInt, d, T::kString);
      case 6:
        return "picklistValues(" + Expr(T::kString, d) + ")";
      default:
        return Cond(T::kListString, d);
    }
  }
  std::string Map(int d) {
    if (s_.OneIn(3)) return Cond(T::kMap, d);
    uint32_t n = s_.Pick(3);
    std::string out = "{";
    for (uint32_t k = 0; k < n; ++k) out += (k ? ", " : "") + Expr(T::kString, d) + ": " + Expr(T::kInt, d);
    return out + "}";
  }
  std::string Decimal(int d) {
    switch (s_.Pick(11)) {
      case 0:
        return Bin(T::kDecimal, "+", d);
      case 1:
        return Bin(T::kDecimal, "-", d);
      case 2:
        return Bin(T::kDecimal, "*", d);
      case 3:
        return Bin(T::kDecimal, "/", d);
      case 4:
        return "-" + P(Expr(T::kDecimal, d));
      case 5:
        return "decimal(" + Expr(T::kInt, d) + ")";
      case 6:
        return "decimal(" + Expr(T::kDouble, d) + ")";
      case 7:
        return "decimal(" + Expr(T::kString, d) + ")";
      case 8:
        return "round(" + Expr(T::kDecimal, d) + ", " + SmallInt() + ")";
      case 9:
        return "abs(" + Expr(T::kDecimal, d) + ")";
      default:
        return Cond(T::kDecimal, d);
    }
  }
  std::string Dyn(int d) {
    switch (s_.Pick(5)) {
      case 0:
      case 1:
        return "dyn(" + Expr(AnyType(), d) + ")";
      case 2:
        return Bin(T::kDyn, "+", d);  // operator chosen at run time
      case 3:
        return "[" + Expr(T::kDyn, d) + "][0]";
      default:
        return Cond(T::kDyn, d);
    }
  }

  Source& s_;
  std::vector<std::pair<std::string, T>> scope_;
  int vars_ = 0;
};

// ---------------------------------------------------------------- values
const int64_t kInts[] = {0,
                         1,
                         -1,
                         2,
                         3,
                         5,
                         7,
                         10,
                         42,
                         100,
                         -100,
                         1000,
                         2024,
                         std::numeric_limits<int64_t>::max(),
                         std::numeric_limits<int64_t>::min(),
                         int64_t{1} << 32,
                         -(int64_t{1} << 31),
                         std::numeric_limits<int64_t>::max() / 2,
                         std::numeric_limits<int64_t>::min() + 1,
                         3037000500};
const uint64_t kUints[] = {
    0, 1, 2, 3, 7, 100, std::numeric_limits<uint64_t>::max(), uint64_t{1} << 63, uint64_t{1} << 32};
const double kDoubles[] = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           0.5,
                           2.5,
                           -2.5,
                           100.0,
                           1e308,
                           -1e308,
                           std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           3.14159,
                           1e-310,
                           9.3e18,
                           -9.3e18,
                           42.0,
                           0.1,
                           50.0};
const char* const kStrings[] = {"",
                                " ",
                                "a",
                                "abc",
                                "ABC",
                                "Hello World",
                                "  padded  ",
                                "h\xC3\xA9llo",
                                "12",
                                "-3",
                                "3.5",
                                "true",
                                "a,b,c",
                                "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
                                "x@Example.COM",
                                "\t",
                                "a;b",
                                "0",
                                "NaN",
                                "1e3",
                                "18446744073709551615",
                                "9223372036854775808",
                                "Closed Won",
                                "\xC2\xA0",
                                "b"};

int64_t RandInt(Source& s) { return s.OneIn(8) ? static_cast<int64_t>(s.Next()) : kInts[s.Pick(std::size(kInts))]; }
uint64_t RandUint(Source& s) { return s.OneIn(8) ? s.Next() : kUints[s.Pick(std::size(kUints))]; }
double RandDouble(Source& s) { return kDoubles[s.Pick(std::size(kDoubles))]; }

Value RandString(Source& s, Bindings* b) {
  const char* text = kStrings[s.Pick(std::size(kStrings))];
  if (s.OneIn(2)) return Value::String(text);
  b->text.emplace_back(text);
  return Value::StringView(b->text.back());  // borrowed, as a decoded record field
}

Value RandOf(Source& s, T t, Bindings* b) {
  switch (t) {
    case T::kInt:
      return Value::Int(RandInt(s));
    case T::kUint:
      return Value::Uint(RandUint(s));
    case T::kDouble:
      return Value::Double(RandDouble(s));
    case T::kBool:
      return Value::Bool(s.OneIn(2));
    case T::kString:
      return RandString(s, b);
    case T::kListInt: {
      std::vector<Value> v;
      for (uint32_t n = s.Pick(5); n > 0; --n) v.push_back(Value::Int(RandInt(s)));
      return Value::List(std::move(v));
    }
    case T::kListString: {
      std::vector<Value> v;
      for (uint32_t n = s.Pick(5); n > 0; --n) v.push_back(RandString(s, b));
      return Value::List(std::move(v));
    }
    case T::kMap: {
      std::vector<std::pair<Value, Value>> v;
      for (uint32_t n = s.Pick(4); n > 0; --n) {
        Value k = s.OneIn(2) ? Value::String(s.OneIn(2) ? "a" : "b") : RandString(s, b);
        bool dup = false;
        for (const auto& e : v) dup |= rt::Equal(e.first, k);
        if (!dup) v.emplace_back(std::move(k), Value::Int(RandInt(s)));
      }
      return Value::Map(std::move(v));
    }
    case T::kDecimal: {
      static const int64_t coefs[] = {0,
                                      1,
                                      -1,
                                      150,
                                      12345,
                                      999999999,
                                      std::numeric_limits<int64_t>::max(),
                                      std::numeric_limits<int64_t>::min(),
                                      100000000};
      return Value::Decimal(coefs[s.Pick(std::size(coefs))], s.Pick(5));
    }
    default: {  // dyn: any of the above, or null
      uint32_t k = s.Pick(static_cast<uint32_t>(T::kDyn) + 1);
      if (k == static_cast<uint32_t>(T::kDyn)) return Value::Null();
      return RandOf(s, static_cast<T>(k), b);
    }
  }
}

Value FieldError(const char* name) {
  return Value::Error(rt::ErrorCode::kConversion, std::string("field ") + name + ": malformed value");
}

struct Env {
  schema::SchemaSet schemas;
  const schema::Object* object = nullptr;
  sema::ExprEnv check;
  ir::ExprEnv lower;
  std::vector<std::string> params;
};

const Env& GetEnv() {
  static const Env* env = [] {
    auto* e = new Env();
    std::vector<schema::SchemaError> errs;
    schema::LoadSchemaDir(schema::System::kSalesforce,
                          ACCORD_SOURCE_DIR "/examples/salesforce-hubspot/schemas/salesforce", e->schemas, errs);
    e->object = e->schemas.Find(schema::System::kSalesforce, "Opportunity");
    if (!e->object) {
      std::fprintf(stderr, "differential: cannot load salesforce.Opportunity\n");
      std::abort();
    }
    for (const Var& v : kVars) {
      if (!v.decl) {
        if (!e->object->FindField(v.name)) {
          std::fprintf(stderr, "differential: Opportunity has no field %s\n", v.name);
          std::abort();
        }
        continue;
      }
      sema::Type ty;
      if (!sema::ParseType(v.decl, &ty)) {
        std::fprintf(stderr, "differential: bad type %s\n", v.decl);
        std::abort();
      }
      e->check.vars.emplace_back(v.name, ty);
      e->params.push_back(v.name);
    }
    e->check.object = e->object;
    e->check.side = ast::Side::kSalesforce;
    e->lower.params = e->params;
    e->lower.object = e->object;
    return e;
  }();
  return *env;
}

}  // namespace

std::string GenerateExpr(Source& src, int max_depth) {
  Gen g(src);
  return g.Expr(g.AnyType(), max_depth);
}

const std::vector<std::string>& ParamNames() { return GetEnv().params; }
const schema::Object& RecordObject() { return *GetEnv().object; }

void GenerateBindings(Source& src, Bindings* out) {
  const Env& env = GetEnv();
  out->params.clear();
  out->record.assign(env.object->fields.size(), Value());
  for (const Var& v : kVars) {
    Value val;
    if (v.decl) {
      // a parameter: null now and then (a nullable field of that type)
      if (!src.OneIn(12)) val = RandOf(src, v.type, out);
      out->params.push_back(std::move(val));
      continue;
    }
    uint32_t k = src.Pick(30);
    if (k < 6)
      val = Value();  // null field
    else if (k == 6)
      val = FieldError(v.name);  // a value the decoder could not convert
    else
      val = RandOf(src, v.type, out);
    out->record[env.object->FindField(v.name) - env.object->fields.data()] = std::move(val);
  }
}

std::string Bindings::Describe() const {
  std::string out;
  const Env& env = GetEnv();
  for (size_t k = 0; k < params.size() && k < env.params.size(); ++k)
    out += "  " + env.params[k] + " = " + Show(params[k]) + "\n";
  for (const Var& v : kVars) {
    if (v.decl) continue;
    const schema::Field* f = env.object->FindField(v.name);
    size_t slot = f - env.object->fields.data();
    if (slot < record.size()) out += "  " + std::string(v.name) + " = " + Show(record[slot]) + "\n";
  }
  return out;
}

bool Compile(const std::string& text, Compiled* out) {
  const Env& env = GetEnv();
  out->text = text;
  out->src = std::make_unique<SourceFile>("<differential>", text);
  DiagSink sink(10);
  out->parsed = syntax::ParseExpression(*out->src, syntax::ParseOptions{}, sink);
  if (!out->parsed.expr) {
    out->why = "parse: " + (sink.diagnostics().empty() ? std::string("?") : sink.diagnostics()[0].message);
    return false;
  }
  sema::CheckExpression(*out->parsed.expr, *out->parsed.file, env.check, out->model, sink);
  if (sink.error_count() > 0) {
    out->why = "check: " + sink.diagnostics()[0].message;
    return false;
  }
  out->program =
      std::make_unique<ir::Program>(ir::LowerExpression(*out->parsed.expr, *out->parsed.file, out->model, env.lower));
  std::string verr = ir::Verify(*out->program);
  if (!verr.empty()) {
    out->why = "VERIFY: " + verr;
    return false;
  }
  return true;
}

bool Same(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.bool_value() == b.bool_value();
    case Kind::kInt:
    case Kind::kDate:
      return a.int_value() == b.int_value();
    case Kind::kUint:
      return a.uint_value() == b.uint_value();
    case Kind::kDouble: {
      double x = a.double_value(), y = b.double_value();
      if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
      return x == y && std::signbit(x) == std::signbit(y);
    }
    case Kind::kString:
    case Kind::kBytes:
      return a.str() == b.str();
    case Kind::kList:
      if (a.list().size() != b.list().size()) return false;
      for (size_t k = 0; k < a.list().size(); ++k)
        if (!Same(a.list()[k], b.list()[k])) return false;
      return true;
    case Kind::kMap:
      if (a.map().size() != b.map().size()) return false;
      for (size_t k = 0; k < a.map().size(); ++k)
        if (!Same(a.map()[k].first, b.map()[k].first) || !Same(a.map()[k].second, b.map()[k].second)) return false;
      return true;
    case Kind::kTimestamp:
    case Kind::kDuration:
      return a.seconds() == b.seconds() && a.nanos() == b.nanos();
    case Kind::kDecimal:
      return a.coefficient() == b.coefficient() && a.scale() == b.scale();
    case Kind::kType:
      return std::strcmp(a.type_name(), b.type_name()) == 0;
    case Kind::kError: {
      rt::Location x = a.error_location(), y = b.error_location();
      bool same_file = (!x.file && !y.file) || (x.file && y.file && std::strcmp(x.file, y.file) == 0);
      return a.error_code() == b.error_code() && a.error_message() == b.error_message() && same_file &&
             x.line == y.line && x.col == y.col;
    }
  }
  return false;
}

std::string Show(const Value& v) {
  if (!v.is_error()) return v.DebugString() + " (" + std::string(rt::KindTypeName(v.kind())) + ")";
  rt::Location l = v.error_location();
  std::string where = l.file ? std::string(l.file) + ":" + std::to_string(l.line) + ":" + std::to_string(l.col) : "-";
  return "error " + std::string(rt::ErrorCodeName(v.error_code())) + " \"" + v.error_message() + "\" at " + where;
}

std::string RunBoth(const ir::Program& p, ir::Frame& fi, jit::Runner& engine, int h, ir::Frame& fj, const Bindings& b,
                    Value* result, bool poison) {
  fi.Reset(p);
  fj.Reset(p);
  if (poison)
    for (size_t k = p.params; k < fi.regs.size() && k < fj.regs.size(); ++k) {
      fi.regs[k] = Value::Error(rt::ErrorCode::kInternal, "register read before written (interp frame)");
      fj.regs[k] = Value::Error(rt::ErrorCode::kInternal, "register read before written (jit frame)");
    }
  for (size_t k = 0; k < p.params && k < b.params.size(); ++k) {
    fi.regs[k] = b.params[k];
    fj.regs[k] = b.params[k];
  }
  const Value* records[2] = {b.record.data(), b.record.data()};
  Value x = ir::Interpret(p, fi, ir::Inputs{records, nullptr});
  Value y = engine.Run(h, fj, ir::Inputs{records, nullptr});
  if (result) *result = x;
  if (!engine.is_native(h)) return "the JIT did not compile the program";
  if (Same(x, y)) return "";
  return "interp: " + Show(x) + "\n  jit:    " + Show(y);
}

// ---------------------------------------------------------------- example mappings

namespace {

Value RandField(Source& s, const schema::Field& f, Bindings* b) {
  uint32_t k = s.Pick(20);
  if (k < 3) return Value();
  if (k == 3) return FieldError(f.name.c_str());
  if (k == 4 && (f.type == schema::FieldType::kString || f.type == schema::FieldType::kUnsupported)) {
    b->text.emplace_back(s.OneIn(2) ? "   " : "");
    return Value::StringView(b->text.back());
  }
  switch (f.type) {
    case schema::FieldType::kString:
    case schema::FieldType::kUnsupported:
      if (!f.values.empty() && !s.OneIn(4)) {
        b->text.push_back(f.values[s.Pick(static_cast<uint32_t>(f.values.size()))].value);
        return Value::StringView(b->text.back());
      }
      if (s.OneIn(3)) {
        static const char* const realistic[] = {"https://www.Example.com/path",
                                                "  Jane.Doe@Example.COM ",
                                                "+1 (555) 010-9999",
                                                "Acme",
                                                "not a url",
                                                "@",
                                                "a@b"};
        b->text.emplace_back(realistic[s.Pick(std::size(realistic))]);
        return Value::StringView(b->text.back());
      }
      return RandString(s, b);
    case schema::FieldType::kInt:
      return Value::Int(RandInt(s));
    case schema::FieldType::kDouble:
      return Value::Double(RandDouble(s));
    case schema::FieldType::kDecimal:
      return RandOf(s, T::kDecimal, b);
    case schema::FieldType::kBool:
      return Value::Bool(s.OneIn(2));
    case schema::FieldType::kDate: {
      static const int64_t days[] = {0, 19000, -1, 2932896, -719162, 20000};
      return Value::Date(days[s.Pick(std::size(days))]);
    }
    case schema::FieldType::kTimestamp: {
      static const int64_t secs[] = {0, 1700000000, rt::kMaxTimestampSeconds, rt::kMinTimestampSeconds, -1};
      return Value::Timestamp(secs[s.Pick(std::size(secs))], static_cast<int32_t>(s.Pick(3)) * 500000000);
    }
    case schema::FieldType::kStringList:
      return RandOf(s, T::kListString, b);
    case schema::FieldType::kBytes: {
      b->text.emplace_back("\x01\xff");
      return Value::BytesView(b->text.back());
    }
  }
  return Value();
}

}  // namespace

std::string CompareExampleMappings(uint64_t seed, int records) {
  return CompareMappings(ACCORD_SOURCE_DIR "/examples/salesforce-hubspot", seed, records);
}

std::string CompareMappings(const std::string& dir, uint64_t seed, int records) {
  struct Loaded {
    driver::RuleSet set;
    std::unique_ptr<ir::CompiledRules> rules;
  };
  static auto* loaded = new std::map<std::string, std::unique_ptr<Loaded>>();  // kept for the process
  std::unique_ptr<Loaded>& slot = (*loaded)[dir];
  if (!slot) {
    auto l = std::make_unique<Loaded>();
    DiagSink sink(100);
    std::string io;
    if (!driver::LoadAndCheck({dir}, driver::Options{}, l->set, sink, &io)) return "cannot load " + dir + ": " + io;
    l->rules = std::make_unique<ir::CompiledRules>(ir::LowerRules(l->set.model));
    slot = std::move(l);
  }
  const ir::CompiledRules* rules = slot->rules.get();
  std::vector<const ir::Mapping*> maps;
  for (const auto& s : rules->syncs)
    for (const ir::Mapping* m :
         {s.to_hubspot.get(), s.to_salesforce.get(), s.create_hubspot.get(), s.create_salesforce.get()})
      if (m) maps.push_back(m);
  jit::Runner engine(jit::EngineKind::kAuto, UINT32_MAX);
  std::vector<int> handles;
  for (const ir::Mapping* m : maps) handles.push_back(engine.Add(&m->program));
  if (!engine.CompileAll()) return "CompileAll failed";
  SeedSource src(seed);
  for (size_t k = 0; k < maps.size(); ++k) {
    const ir::Mapping& m = *maps[k];
    ir::Frame fi, fj;
    for (int r = 0; r < records; ++r) {
      Bindings b;
      std::vector<Value> sides[2];
      for (int side = 0; side < 2; ++side) {
        const schema::Object* obj = (side == 0) == (m.from == ast::Side::kSalesforce) ? m.source : m.target;
        if (!obj) continue;
        for (const auto& f : obj->fields) sides[side].push_back(RandField(src, f, &b));
      }
      const Value* recs[2] = {sides[0].data(), sides[1].data()};
      std::vector<Value> oi(m.outs.size()), oj(m.outs.size());
      if (r == 0) {  // registers read before written would disagree
        fi.Reset(m.program);
        fj.Reset(m.program);
        for (size_t k = 0; k < fi.regs.size(); ++k) {
          fi.regs[k] = Value::Error(rt::ErrorCode::kInternal, "register read before written (interp frame)");
          fj.regs[k] = Value::Error(rt::ErrorCode::kInternal, "register read before written (jit frame)");
        }
      }
      Value x = ir::Interpret(m.program, fi, ir::Inputs{recs, oi.data()});
      Value y = engine.Run(handles[k], fj, ir::Inputs{recs, oj.data()});
      std::string disagreement;
      if (!engine.is_native(handles[k]))
        disagreement = "not compiled natively";
      else if (!Same(x, y))
        disagreement = "result: interp " + Show(x) + ", jit " + Show(y);
      for (size_t o = 0; disagreement.empty() && o < oi.size(); ++o)
        if (!Same(oi[o], oj[o]))
          disagreement = "out " + m.target->name + "." + m.outs[o].field->name + ": interp " + Show(oi[o]) + ", jit " +
                         Show(oj[o]);
      if (!disagreement.empty()) {
        std::string rec;
        for (int side = 0; side < 2; ++side) {
          const schema::Object* obj = (side == 0) == (m.from == ast::Side::kSalesforce) ? m.source : m.target;
          if (!obj) continue;
          for (size_t f = 0; f < obj->fields.size(); ++f)
            if (!sides[side][f].is(Kind::kNull))
              rec += "  " + obj->name + "." + obj->fields[f].name + " = " + Show(sides[side][f]) + "\n";
        }
        return "mapping " + m.program.name + ", seed " + std::to_string(seed) + ", record " + std::to_string(r) + ": " +
               disagreement + "\nrecord:\n" + rec;
      }
    }
  }
  return "";
}

}  // namespace accord::differential
