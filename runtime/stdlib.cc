// The standard library at run time: the overload table parsed from
// stdlib/functions.def and CallFn, which checks the arguments against it and
// hands the call to the family that implements the overload (the files are
// listed in stdlib_internal.h). See stdlib.h for the contract. CEL semantics
// follow the cel-spec language definition and its conformance tests; where
// the spec is silent, cel-go (including its strings extension) is the reference.
#include "runtime/stdlib.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/strings.h"
#include "runtime/stdlib_internal.h"

namespace accord::rt {
namespace detail {
namespace {

constexpr size_t kFnCount = static_cast<size_t>(Fn::kCount);

// ---- the overload table, parsed from the signatures in functions.def ----

struct OverloadText {
  std::string_view id, sig;
};
constexpr OverloadText kOverloads[] = {
#define ACCORD_FN(id, sig, doc, example) {#id, sig},
#include "stdlib/functions.def"
#undef ACCORD_FN
};
static_assert(std::size(kOverloads) == kFnCount);

constexpr uint8_t kAnyKind = 0xFF;
constexpr size_t kMaxParams = 8;

struct Params {
  std::string_view name;  // "size", "getFullYear"
  uint8_t arity = 0;      // the receiver counts
  uint8_t kinds[kMaxParams] = {};
  uint8_t nullable = 0;  // bit i: a null argument i is accepted (CRM functions)
};

uint8_t KindOfTypeText(std::string_view t) {
  static constexpr std::pair<std::string_view, Kind> kNames[] = {
      {"bool", Kind::kBool},         {"int", Kind::kInt},
      {"uint", Kind::kUint},         {"double", Kind::kDouble},
      {"string", Kind::kString},     {"bytes", Kind::kBytes},
      {"null", Kind::kNull},         {"timestamp", Kind::kTimestamp},
      {"duration", Kind::kDuration}, {"date", Kind::kDate},
      {"decimal", Kind::kDecimal},   {"type", Kind::kType},
  };
  for (const auto& [name, kind] : kNames)
    if (t == name) return static_cast<uint8_t>(kind);
  if (t.starts_with("list(")) return static_cast<uint8_t>(Kind::kList);
  if (t.starts_with("map(")) return static_cast<uint8_t>(Kind::kMap);
  return kAnyKind;  // dyn and type parameters
}

// A namespace prefix ("math" in math.greatest) rather than a receiver type:
// a lower-case word that is not a type name.
bool IsNamespace(std::string_view prefix) {
  static constexpr std::string_view kTypes[] = {"bool", "int",       "uint",     "double", "string",  "bytes", "null",
                                                "dyn",  "timestamp", "duration", "date",   "decimal", "type"};
  if (prefix.empty()) return false;
  for (char c : prefix)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  for (std::string_view t : kTypes)
    if (prefix == t) return false;
  return true;
}

Params ParseSignature(std::string_view id, std::string_view sig) {
  Params p;
  std::string_view head = sig.substr(0, sig.find(" -> "));
  // The call's parentheses are the last balanced pair of the head.
  size_t close = head.rfind(')');
  size_t open = close;
  for (int depth = 0; open != std::string_view::npos; --open) {
    if (head[open] == ')') ++depth;
    if (head[open] == '(' && --depth == 0) break;
  }
  size_t name_start = open;
  while (name_start > 0 &&
         (std::isalnum(static_cast<unsigned char>(head[name_start - 1])) || head[name_start - 1] == '_'))
    --name_start;
  auto add = [&](std::string_view t) {
    t = base::Trim(t, " ");
    if (!t.empty() && p.arity < kMaxParams) p.kinds[p.arity++] = KindOfTypeText(t);
  };
  if (name_start > 0 && IsNamespace(head.substr(0, name_start - 1))) {
    name_start = 0;  // math.greatest: the namespace is part of the name
  } else if (name_start > 0) {
    add(head.substr(0, name_start - 1));  // the receiver, before the '.'
  }
  p.name = head.substr(name_start, open - name_start);
  std::string_view list = head.substr(open + 1, close - open - 1);
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= list.size(); ++i) {
    if (i == list.size() || (list[i] == ',' && depth == 0)) {
      add(list.substr(start, i - start));
      start = i + 1;
    } else if (list[i] == '(') {
      ++depth;
    } else if (list[i] == ')') {
      --depth;
    }
  }
  static constexpr std::string_view kCrm[] = {"normalize_email", "email_domain", "digits",    "e164",
                                              "domain_of",       "split_multi",  "join_multi"};
  for (std::string_view c : kCrm)
    if (id == c) p.nullable = 1;
  if (id == "e164") p.nullable = 3;  // a null region means "international format only"
  return p;
}

const std::array<Params, kFnCount>& Table() {
  static const std::array<Params, kFnCount> table = [] {
    std::array<Params, kFnCount> t;
    for (size_t i = 0; i < kFnCount; ++i) t[i] = ParseSignature(kOverloads[i].id, kOverloads[i].sig);
    return t;
  }();
  return table;
}

bool Accepts(const Params& p, const Value* args, size_t nargs) {
  if (nargs != p.arity) return false;
  for (size_t i = 0; i < nargs; ++i) {
    uint8_t k = p.kinds[i];
    if (k == kAnyKind || args[i].kind() == static_cast<Kind>(k)) continue;
    if (args[i].is(Kind::kNull) && i < 8 && (p.nullable >> i & 1)) continue;
    return false;
  }
  return true;
}

using Family = Value (*)(Fn fn, const Value* args, size_t nargs);
constexpr Family kFamilies[] = {CallStringFn, CallConversionFn, CallCrmFn, CallTimeFn, CallMathFn};
// Per overload: 0 until its first call, then 1 + its index in kFamilies. Every thread finds
// the same family, so a race only repeats the search.
std::atomic<uint8_t> family_of[kFnCount];

}  // namespace

// ---- used by the other families too (stdlib_internal.h) ----

Value NoOverload(std::string_view name, const Value* args, size_t nargs) {
  std::string m = "no matching overload for ";
  m += name;
  m += '(';
  for (size_t i = 0; i < nargs; ++i) {
    if (i > 0) m += ", ";
    m += KindTypeName(args[i].kind());
  }
  m += ')';
  return Value::Error(ErrorCode::kNoOverload, std::move(m));
}

Value Err(ErrorCode code, std::string message) { return Value::Error(code, std::move(message)); }

constexpr std::string_view kNotInFamily = "not an overload of this family";
Value NotInFamily() { return Err(ErrorCode::kInternal, std::string(kNotInFamily)); }
bool IsNotInFamily(const Value& v) {
  return v.is_error() && v.error_code() == ErrorCode::kInternal && v.error_message() == kNotInFamily;
}

// A string for an error message: quoted, at most 64 bytes of it.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') out += '\\';
    out += c < 0x20 ? '?' : static_cast<char>(c);
  }
  if (s.size() > 64) out += "...";
  return out + "\"";
}

}  // namespace detail

using namespace detail;  // NOLINT(google-build-using-namespace): the implementation's own helpers

Fn FnFromId(std::string_view id) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, Fn>();
    for (size_t i = 0; i < kFnCount; ++i) m->emplace(kOverloads[i].id, static_cast<Fn>(i));
    return m;
  }();
  auto it = index->find(id);
  return it == index->end() ? Fn::kCount : it->second;
}

std::string_view FnId(Fn fn) {
  size_t i = static_cast<size_t>(fn);
  return i < kFnCount ? kOverloads[i].id : std::string_view();
}
Value CallFn(Fn fn, const Value* args, size_t nargs) {
  const size_t index = static_cast<size_t>(fn);
  if (index >= kFnCount) return Err(ErrorCode::kNoOverload, "no such function");
  if (args == nullptr) nargs = 0;
  for (size_t i = 0; i < nargs; ++i)
    if (args[i].is_error()) return args[i];  // callers propagate errors; be safe anyway
  const Params& p = Table()[index];
  if (!Accepts(p, args, nargs)) return NoOverload(p.name, args, nargs);
  // Every overload has at least one parameter, so args[0] exists from here.
  const Value& a = args[0];
  // CRM functions keep a missing value missing.
  if ((p.nullable & 1) && a.is(Kind::kNull)) return Value::Null();

  // The family that implements the overload: known after its first call, found then by
  // asking each family in turn (stdlib_internal.h).
  const uint8_t known = family_of[index].load(std::memory_order_relaxed);
  if (known != 0) return kFamilies[known - 1](fn, args, nargs);
  for (size_t i = 0; i < std::size(kFamilies); ++i) {
    Value v = kFamilies[i](fn, args, nargs);
    if (IsNotInFamily(v)) continue;
    family_of[index].store(static_cast<uint8_t>(i + 1), std::memory_order_relaxed);
    return v;
  }
  // Every overload is in one family (stdlib_examples_test calls each); only an out-of-range id gets here.
  return Err(ErrorCode::kInternal, "no such overload id " + std::to_string(static_cast<int>(fn)));
}

}  // namespace accord::rt
