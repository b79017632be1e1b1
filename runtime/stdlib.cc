// The standard library at run time. See stdlib.h for the contract and
// stdlib/functions.def for the overloads. CEL semantics follow the cel-spec
// language definition and its conformance tests; where the spec is silent,
// cel-go (including its strings extension) is the reference.
#include "runtime/stdlib.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "runtime/tz.h"

namespace accord::rt {
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
  static constexpr std::string_view kTypes[] = {"bool",   "int",  "uint",      "double",   "string", "bytes",
                                                "null",   "dyn",  "timestamp", "duration", "date",   "decimal",
                                                "type"};
  if (prefix.empty()) return false;
  for (char c : prefix)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  for (std::string_view t : kTypes)
    if (prefix == t) return false;
  return true;
}

std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
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
    t = TrimAscii(t);
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

// A per-thread buffer for building results (one allocation per result: the
// copy into the new string value).
std::string& Scratch() {
  thread_local std::string s;
  if (s.capacity() > (size_t{1} << 20)) std::string().swap(s);  // do not keep a huge buffer
  s.clear();
  return s;
}

// A part of a string value as a value: the value itself when it is all of it,
// a view when the source is a view (both live as long as the record), a copy
// otherwise.
Value Sub(const Value& src, std::string_view part) {
  if (part.size() == src.str().size()) return src;
  if (src.raw().flags & Value::kBorrowed) return Value::StringView(part);
  return Value::String(part);
}

// A new string value with `init`'s bytes, which the caller may still change
// in place through *bytes: the value is not shared yet. One allocation, no
// intermediate buffer.
Value NewString(std::string_view init, char** bytes) {
  Value v = Value::String(init);
  *bytes = const_cast<char*>(v.str().data());
  return v;
}

// ---- UTF-8 ----

size_t CountCodePoints(std::string_view s) {
  // Code points = bytes that are not continuation bytes (10xxxxxx).
  size_t n = s.size(), cont = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    cont += std::popcount((w >> 7) & ~(w >> 6) & 0x0101010101010101ULL);
  }
  for (; i < n; ++i) cont += (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
  return n - cont;
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is not one.
size_t Utf8SeqLen(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else
    return 0;
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (cc & 0x3F);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return len;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = Utf8SeqLen(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Width of the code point at s[i] for stepping (an invalid byte counts as one).
size_t StepWidth(std::string_view s, size_t i) {
  size_t n = Utf8SeqLen(s, i);
  return n == 0 ? 1 : n;
}

// Byte offset of code point `cp` (0 <= cp <= number of code points).
size_t ByteOffset(std::string_view s, int64_t cp) {
  size_t i = 0;
  for (; cp > 0 && i < s.size(); --cp) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

int64_t CodePointIndex(std::string_view s, size_t byte) {
  return static_cast<int64_t>(CountCodePoints(s.substr(0, byte)));
}

// Unicode White_Space as Go's unicode.IsSpace (cel-go's trim): length of the
// space character at s[i], or 0.
size_t SpaceAt(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c < 0xC2) return 0;
  size_t n = s.size();
  if (c == 0xC2) {
    if (i + 1 < n) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      if (c1 == 0x85 || c1 == 0xA0) return 2;  // U+0085 NEL, U+00A0 NBSP
    }
    return 0;
  }
  if (i + 2 >= n) return 0;
  unsigned char c1 = static_cast<unsigned char>(s[i + 1]), c2 = static_cast<unsigned char>(s[i + 2]);
  if (c == 0xE1) return c1 == 0x9A && c2 == 0x80 ? 3 : 0;  // U+1680
  if (c == 0xE2) {
    if (c1 == 0x80 && ((c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF)) return 3;
    return c1 == 0x81 && c2 == 0x9F ? 3 : 0;  // U+2000..200A, 2028, 2029, 202F, 205F
  }
  if (c == 0xE3) return c1 == 0x80 && c2 == 0x80 ? 3 : 0;  // U+3000
  return 0;
}

std::string_view TrimSpace(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e) {
    size_t n = SpaceAt(s, b);
    if (n == 0) break;
    b += n;
  }
  while (e > b) {
    unsigned char c = static_cast<unsigned char>(s[e - 1]);
    if (c < 0x80) {
      if (c == ' ' || (c >= '\t' && c <= '\r')) {
        --e;
        continue;
      }
      break;
    }
    if (e - b >= 2 && SpaceAt(s, e - 2) == 2) {
      e -= 2;
      continue;
    }
    if (e - b >= 3 && SpaceAt(s, e - 3) == 3) {
      e -= 3;
      continue;
    }
    break;
  }
  return s.substr(b, e - b);
}

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

// ASCII case mapping of a part of `src` (the whole string by default).
Value MapAscii(const Value& src, std::string_view part, bool lower) {
  size_t i = 0;
  if (lower) {
    while (i < part.size() && !IsUpper(part[i])) ++i;
  } else {
    while (i < part.size() && !IsLower(part[i])) ++i;
  }
  if (i == part.size()) return Sub(src, part);
  char* out;
  Value v = NewString(part, &out);
  for (size_t n = part.size(); i < n; ++i) {
    if (lower && IsUpper(out[i])) out[i] = static_cast<char>(out[i] + 32);
    if (!lower && IsLower(out[i])) out[i] = static_cast<char>(out[i] - 32);
  }
  return v;
}

// ---- numbers ----

constexpr std::array<int64_t, 19> kPow10 = [] {
  std::array<int64_t, 19> p{};
  p[0] = 1;
  for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}();

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

enum class Parsed { kOk, kMalformed, kRange };

// Go strconv.ParseInt(s, 10, 64): optional sign, ASCII digits, nothing else.
Parsed ParseInt(std::string_view s, int64_t* out) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == s.size()) return Parsed::kMalformed;
  uint64_t v = 0;
  bool over = false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return Parsed::kMalformed;
    unsigned d = static_cast<unsigned>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      over = true;
    else
      v = v * 10 + d;
  }
  if (over || v > (neg ? uint64_t{1} << 63 : static_cast<uint64_t>(INT64_MAX))) return Parsed::kRange;
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return Parsed::kOk;
}

// Go strconv.ParseUint(s, 10, 64): ASCII digits only (no sign).
Parsed ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty()) return Parsed::kMalformed;
  uint64_t v = 0;
  bool over = false;
  for (char c : s) {
    if (c < '0' || c > '9') return Parsed::kMalformed;
    unsigned d = static_cast<unsigned>(c - '0');
    if (v > (UINT64_MAX - d) / 10)
      over = true;
    else
      v = v * 10 + d;
  }
  if (over) return Parsed::kRange;
  *out = v;
  return Parsed::kOk;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (IsUpper(x)) x = static_cast<char>(x + 32);
    if (IsUpper(y)) y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

// Decimal floating-point text: [+-](digits[.digits]|.digits)[(e|E)[+-]digits],
// or [+-]inf / [+-]infinity / nan in any case (as Go's ParseFloat). Overflow is
// a range error; underflow gives zero.
Parsed ParseDouble(std::string_view s, double* out) {
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return Parsed::kOk;
  }
  if (EqualsIgnoreCase(s, "nan")) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return Parsed::kOk;
  }
  size_t i = 0, int_digits = 0, frac_digits = 0;
  int64_t first_nonzero_mag = INT64_MIN;  // decimal magnitude of the first non-zero digit
  while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
  int_digits = i;
  for (size_t k = 0; k < int_digits; ++k)
    if (body[k] != '0') {
      first_nonzero_mag = static_cast<int64_t>(int_digits - k);
      break;
    }
  if (i < body.size() && body[i] == '.') {
    ++i;
    size_t st = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
    frac_digits = i - st;
    if (first_nonzero_mag == INT64_MIN)
      for (size_t k = st; k < i; ++k)
        if (body[k] != '0') {
          first_nonzero_mag = -static_cast<int64_t>(k - st);
          break;
        }
  }
  if (int_digits + frac_digits == 0) return Parsed::kMalformed;
  int64_t exp = 0;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) eneg = body[i++] == '-';
    size_t st = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') {
      if (exp < 1000000000) exp = exp * 10 + (body[i] - '0');
      ++i;
    }
    if (i == st) return Parsed::kMalformed;
    if (eneg) exp = -exp;
  }
  if (i != body.size()) return Parsed::kMalformed;
  double v = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    if (first_nonzero_mag != INT64_MIN && first_nonzero_mag + exp > 0) return Parsed::kRange;
    v = 0;  // underflow
  } else if (r.ec != std::errc() || r.ptr != body.data() + body.size()) {
    return Parsed::kMalformed;
  }
  *out = neg ? -v : v;
  return Parsed::kOk;
}

// string(double) as cel-go: Go's %g (shortest digits; exponent form when the
// decimal exponent is < -4 or >= 6), +Inf, -Inf, NaN.
std::string FormatDoubleG(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  size_t e = sci.find('e');
  int exp = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+'), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= 6) return std::string(sci);
  r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

// Shortest fixed-point text (Go 'f', -1), with CEL's names for the specials.
void AppendDoubleFixed(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  out.append(buf, r.ptr);
}

// Shortest decimal digits of a finite double: value = 0.digits... no:
// value = digits * 10^(exp10 - ndigits + 1), digits without leading zeros.
struct DecimalDigits {
  bool neg = false;
  std::string digits;  // "0" for zero
  int exp10 = 0;       // exponent of the first digit
};
DecimalDigits ShortestDigits(double d) {
  DecimalDigits out;
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  if (s[0] == '-') {
    out.neg = true;
    s.remove_prefix(1);
  }
  size_t e = s.find('e');
  for (size_t i = 0; i < e; ++i)
    if (s[i] != '.') out.digits += s[i];
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+'), s.data() + s.size(), out.exp10);
  return out;
}

// Rounds decimal digits half away from zero so that the last kept digit has
// place value 10^-places. Returns false when nothing remains (the result is 0).
bool RoundDigits(DecimalDigits* dd, int64_t places) {
  int64_t keep = dd->exp10 + places + 1;  // digits to keep
  int64_t nd = static_cast<int64_t>(dd->digits.size());
  if (keep >= nd) return true;
  if (keep < 0) return false;
  bool up = dd->digits[static_cast<size_t>(keep)] >= '5';
  dd->digits.resize(static_cast<size_t>(keep));
  if (up) {
    int64_t i = keep - 1;
    for (; i >= 0; --i) {
      if (dd->digits[static_cast<size_t>(i)] == '9') {
        dd->digits[static_cast<size_t>(i)] = '0';
      } else {
        ++dd->digits[static_cast<size_t>(i)];
        break;
      }
    }
    if (i < 0) {
      dd->digits.insert(dd->digits.begin(), '1');
      dd->digits.pop_back();
      ++dd->exp10;
      if (dd->digits.empty()) dd->digits = "1";
    }
  }
  if (dd->digits.empty()) return false;
  return true;
}

// ---- decimals ----

size_t FormatDecimalTo(char* buf, int64_t coefficient, uint32_t scale) {  // buf >= 48 bytes
  char tmp[24];
  size_t n = 0;
  uint64_t mag = coefficient < 0 ? 0 - static_cast<uint64_t>(coefficient) : static_cast<uint64_t>(coefficient);
  do {
    tmp[n++] = static_cast<char>('0' + mag % 10);
    mag /= 10;
  } while (mag != 0);
  while (n <= scale) tmp[n++] = '0';
  size_t len = 0;
  if (coefficient < 0) buf[len++] = '-';
  for (size_t i = n; i-- > 0;) {
    buf[len++] = tmp[i];
    if (i == scale && scale > 0) buf[len++] = '.';
  }
  return len;
}

bool ValidDecimal(const Value& v) { return v.scale() <= 18; }

Value MalformedDecimal() { return Err(ErrorCode::kInvalidArgument, "malformed decimal value (scale above 18)"); }

// Decimal from digits: value = digits * 10^(exp10 - nd + 1), rounded half away
// from zero to at most 18 places; false when the coefficient overflows.
bool DecimalFromDigits(DecimalDigits dd, int64_t* coefficient, uint32_t* scale) {
  if (!RoundDigits(&dd, 18)) {
    *coefficient = 0;
    *scale = 0;
    return true;
  }
  int64_t nd = static_cast<int64_t>(dd.digits.size());
  int64_t sc = nd - 1 - dd.exp10;  // places after the point
  __int128 c = 0;
  for (char ch : dd.digits) {
    c = c * 10 + (ch - '0');
    if (c > INT64_MAX) return false;
  }
  for (; sc < 0; ++sc) {
    c *= 10;
    if (c > INT64_MAX) return false;
  }
  while (sc > 0 && c % 10 == 0) {  // normalise: "0.1" rather than "0.10"
    c /= 10;
    --sc;
  }
  *coefficient = static_cast<int64_t>(dd.neg ? -c : c);
  *scale = static_cast<uint32_t>(sc);
  return true;
}

double DecimalToDouble(int64_t c, uint32_t scale) {
  char buf[48];
  size_t n = FormatDecimalTo(buf, c, scale);
  double d = 0;
  std::from_chars(buf, buf + n, d);  // correctly rounded
  return d;
}

// Rounds c * 10^-scale half away from zero to `places` (places < scale).
bool RoundDecimal(int64_t c, uint32_t scale, int64_t places, int64_t* out_c, uint32_t* out_scale) {
  int64_t drop = static_cast<int64_t>(scale) - places;  // > 0
  if (drop > 37) {
    *out_c = 0;
    *out_scale = 0;
    return true;
  }
  __int128 div = 1;
  for (int64_t i = 0; i < drop; ++i) div *= 10;
  __int128 q = c / div, r = c % div;
  if (r < 0) r = -r;
  if (2 * r >= div) q += c < 0 ? -1 : 1;
  if (places >= 0) {
    *out_c = static_cast<int64_t>(q);
    *out_scale = static_cast<uint32_t>(places);
    return true;
  }
  for (int64_t i = 0; i < -places; ++i) {
    q *= 10;
    if (q > INT64_MAX || q < INT64_MIN) return false;
  }
  *out_c = static_cast<int64_t>(q);
  *out_scale = 0;
  return true;
}

// ---- time ----

bool TimestampInRange(int64_t s) { return s >= kMinTimestampSeconds && s <= kMaxTimestampSeconds; }
constexpr int64_t kMinDate = -719162, kMaxDate = 2932896;  // 0001-01-01, 9999-12-31 (checked by a test)
bool DateInRange(int64_t days) { return days >= kMinDate && days <= kMaxDate; }
// Dates that the civil-date arithmetic handles without overflow.
bool DateUsable(int64_t days) { return days > -(int64_t{1} << 40) && days < (int64_t{1} << 40); }

struct ZoneRef {
  const tz::Zone* zone = nullptr;
  int32_t fixed = 0;
  int32_t OffsetAt(int64_t utc) const { return zone != nullptr ? zone->OffsetAt(utc) : fixed; }
  int64_t LocalToUtc(int64_t local) const { return zone != nullptr ? zone->LocalToUtc(local) : local - fixed; }
};

// A time zone argument: an IANA name, or a fixed offset [+-]HH:MM as cel-go
// accepts it ("+05:30", "-08:00", "02:00").
bool ResolveZone(std::string_view name, ZoneRef* out) {
  if (size_t colon = name.find(':'); colon != std::string_view::npos) {
    std::string_view h = name.substr(0, colon), m = name.substr(colon + 1);
    int sign = 1;
    if (!h.empty() && (h[0] == '+' || h[0] == '-')) {
      sign = h[0] == '-' ? -1 : 1;
      h.remove_prefix(1);
    }
    auto two = [](std::string_view d, size_t min_len, int max, int* v) {
      if (d.size() < min_len || d.size() > 2) return false;
      int x = 0;
      for (char c : d) {
        if (c < '0' || c > '9') return false;
        x = x * 10 + (c - '0');
      }
      if (x > max) return false;
      *v = x;
      return true;
    };
    int hh, mm;
    if (!two(h, 1, 23, &hh) || !two(m, 2, 59, &mm)) return false;
    out->zone = nullptr;
    out->fixed = sign * (hh * 3600 + mm * 60);
    return true;
  }
  // A few recent zones per thread, so that a constant zone costs no lock.
  struct Entry {
    std::string name;
    const tz::Zone* zone = nullptr;
  };
  thread_local std::array<Entry, 8> recent;
  thread_local size_t next = 0;
  for (const Entry& e : recent)
    if (e.zone != nullptr && e.name == name) {
      out->zone = e.zone;
      return true;
    }
  const tz::Zone* z = tz::FindZone(name);
  if (z == nullptr) return false;
  recent[next] = Entry{std::string(name), z};
  next = (next + 1) % recent.size();
  out->zone = z;
  return true;
}

Value UnknownZone(std::string_view name) {
  return Err(ErrorCode::kInvalidArgument, "unknown time zone " + Quote(name));
}

struct Civil {
  int64_t year;
  unsigned month, day;  // 1-based
  int64_t days;         // since the epoch
  int64_t second_of_day;
};
Civil CivilOf(int64_t local_seconds) {
  Civil c;
  c.days = FloorDiv(local_seconds, 86400);
  c.second_of_day = local_seconds - c.days * 86400;
  CivilFromDays(c.days, &c.year, &c.month, &c.day);
  return c;
}

// RFC 3339 with the fraction trimmed of trailing zeros (Go's RFC3339Nano), as cel-go's format prints timestamps.
std::string FormatTimestampNano(int64_t seconds, int32_t nanos) {
  std::string s = FormatTimestamp(seconds, 0);
  if (nanos != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09d", nanos);
    std::string_view f = buf;
    while (f.back() == '0') f.remove_suffix(1);
    s.insert(s.size() - 1, f);
  }
  return s;
}

// ---- regular expressions ----

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// Compiled patterns per thread (RE2 objects are not shared across threads
// here, so no locking), bounded: the cache is emptied when full.
const RE2& Regex(std::string_view pattern) {
  thread_local std::unordered_map<std::string, std::unique_ptr<RE2>, StringHash, std::equal_to<>> cache;
  if (auto it = cache.find(pattern); it != cache.end()) return *it->second;
  if (cache.size() >= 128) cache.clear();
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
  const RE2& ref = *re;
  cache.emplace(std::string(pattern), std::move(re));
  return ref;
}

Value Matches(std::string_view text, std::string_view pattern) {
  std::unique_ptr<RE2> uncached;  // large patterns are compiled per call, not kept
  if (pattern.size() > 4096) {
    RE2::Options opts;
    opts.set_log_errors(false);
    uncached = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
  }
  const RE2& re = uncached != nullptr ? *uncached : Regex(pattern);
  if (!re.ok())
    return Err(ErrorCode::kInvalidArgument, "invalid regular expression " + Quote(pattern) + ": " + re.error());
  return Value::Bool(RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re));
}

// ---- strings extension ----

constexpr size_t kMaxResultBytes = size_t{256} << 20;  // no function builds a larger string

Value IndexOutOfRange(int64_t i) {
  return Err(ErrorCode::kIndexOutOfRange, "index out of range: " + std::to_string(i));
}

Value IndexOf(std::string_view s, std::string_view sub, int64_t offset, bool check) {
  if (check) {
    if (offset < 0 || offset > static_cast<int64_t>(CountCodePoints(s))) return IndexOutOfRange(offset);
  }
  if (sub.empty()) return Value::Int(offset);
  size_t from = ByteOffset(s, offset);
  size_t at = s.find(sub, from);
  if (at == std::string_view::npos) return Value::Int(-1);
  return Value::Int(offset + CodePointIndex(s.substr(from), at - from));
}

Value LastIndexOf(std::string_view s, std::string_view sub, int64_t offset, bool check) {
  int64_t len = static_cast<int64_t>(CountCodePoints(s));
  if (!check)
    offset = len;
  else if (offset < 0 || offset > len)
    return IndexOutOfRange(offset);
  if (sub.empty()) return Value::Int(offset);
  // The last match that starts at or before code point `offset`.
  size_t limit = ByteOffset(s, offset);
  size_t at = s.rfind(sub, limit);
  if (at == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CodePointIndex(s, at));
}

// Go strings.Replace: n < 0 replaces all; an empty `old` matches at the start
// and after each code point.
Value Replace(const Value& src, std::string_view old, std::string_view neu, int64_t n) {
  std::string_view s = src.str();
  if (n == 0 || old == neu) return src;
  int64_t matches = 0;
  if (old.empty()) {
    matches = static_cast<int64_t>(CountCodePoints(s)) + 1;
  } else {
    for (size_t p = s.find(old); p != std::string_view::npos; p = s.find(old, p + old.size())) ++matches;
  }
  if (matches == 0) return src;
  if (n < 0 || n > matches) n = matches;
  unsigned __int128 size = s.size() + static_cast<unsigned __int128>(n) * neu.size();
  if (size > kMaxResultBytes) return Err(ErrorCode::kInvalidArgument, "replace: the result would exceed 256 MiB");
  std::string& out = Scratch();
  out.reserve(static_cast<size_t>(size));
  size_t start = 0;
  for (int64_t i = 0; i < n; ++i) {
    size_t j = start;
    if (old.empty()) {
      if (i > 0) j += StepWidth(s, start);
    } else {
      j = s.find(old, start);
    }
    out.append(s.substr(start, j - start));
    out.append(neu);
    start = j + old.size();
  }
  out.append(s.substr(std::min(start, s.size())));
  return Value::String(out);
}

// Go strings.SplitN: n == 0 gives no parts, n < 0 all; an empty separator
// splits into code points.
Value Split(const Value& src, std::string_view sep, int64_t n) {
  std::string_view s = src.str();
  std::vector<Value> parts;
  if (n == 0) return Value::List(std::move(parts));
  if (sep.empty()) {
    int64_t l = static_cast<int64_t>(CountCodePoints(s));
    if (n < 0 || n > l) n = l;
    parts.reserve(static_cast<size_t>(n));
    size_t pos = 0;
    for (int64_t i = 0; i + 1 < n; ++i) {
      size_t w = StepWidth(s, pos);
      parts.push_back(Sub(src, s.substr(pos, w)));
      pos += w;
    }
    if (n > 0) parts.push_back(Sub(src, s.substr(pos)));
    return Value::List(std::move(parts));
  }
  size_t pos = 0;
  while (n < 0 || static_cast<int64_t>(parts.size()) + 1 < n) {
    size_t at = s.find(sep, pos);
    if (at == std::string_view::npos) break;
    parts.push_back(Sub(src, s.substr(pos, at - pos)));
    pos = at + sep.size();
  }
  parts.push_back(Sub(src, s.substr(pos)));
  return Value::List(std::move(parts));
}

Value Join(std::string_view name, const Value& list, std::string_view sep) {
  const auto& elems = list.list();
  size_t total = 0;
  for (const Value& e : elems) {
    if (!e.is(Kind::kString))
      return Err(ErrorCode::kNoOverload, "no matching overload for " + std::string(name) + ": list element is " +
                                             std::string(KindTypeName(e.kind())) + ", not string");
    total += e.str().size() + sep.size();
  }
  if (elems.size() == 1) return elems[0];
  std::string& out = Scratch();
  out.reserve(total);
  for (size_t i = 0; i < elems.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(elems[i].str());
  }
  return Value::String(out);
}

// ---- format (cel-go strings extension, version 2 formatting) ----

constexpr int kMaxPrecision = 100;

bool FormatString(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::kNull: out += "null"; return true;
    case Kind::kBool: out += v.bool_value() ? "true" : "false"; return true;
    case Kind::kInt: out += std::to_string(v.int_value()); return true;
    case Kind::kUint: out += std::to_string(v.uint_value()); return true;
    case Kind::kDouble: AppendDoubleFixed(out, v.double_value()); return true;
    case Kind::kString:
    case Kind::kBytes: out += v.str(); return true;
    case Kind::kTimestamp: out += FormatTimestampNano(v.seconds(), v.nanos()); return true;
    case Kind::kDuration: out += FormatDuration(v.seconds(), v.nanos()); return true;
    case Kind::kDate: out += FormatDate(v.days()); return true;
    case Kind::kDecimal: {
      if (!ValidDecimal(v)) return false;
      char buf[48];
      out.append(buf, FormatDecimalTo(buf, v.coefficient(), v.scale()));
      return true;
    }
    case Kind::kType: out += v.type_name(); return true;
    case Kind::kList: {
      out += '[';
      bool first = true;
      for (const Value& e : v.list()) {
        if (!first) out += ", ";
        first = false;
        if (!FormatString(e, out)) return false;
      }
      out += ']';
      return true;
    }
    case Kind::kMap: {
      std::vector<std::pair<std::string, std::string>> entries;
      entries.reserve(v.map().size());
      for (const auto& [k, val] : v.map()) {
        std::string ks, vs;
        if (!FormatString(k, ks) || !FormatString(val, vs)) return false;
        entries.emplace_back(std::move(ks), std::move(vs));
      }
      std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += ", ";
        out += entries[i].first;
        out += ": ";
        out += entries[i].second;
      }
      out += '}';
      return true;
    }
    case Kind::kError: return false;
  }
  return false;
}

void AppendBase(std::string& out, uint64_t mag, bool neg, int base, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[72];
  size_t n = 0;
  do {
    buf[n++] = digits[mag % static_cast<uint64_t>(base)];
    mag /= static_cast<uint64_t>(base);
  } while (mag != 0);
  if (neg) out += '-';
  while (n > 0) out += buf[--n];
}

bool AppendIntBase(std::string& out, const Value& v, int base, bool upper) {
  if (v.is(Kind::kInt)) {
    int64_t i = v.int_value();
    AppendBase(out, i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i), i < 0, base, upper);
    return true;
  }
  if (v.is(Kind::kUint)) {
    AppendBase(out, v.uint_value(), false, base, upper);
    return true;
  }
  return false;
}

bool AppendFloatClause(std::string& out, double d, char verb, int precision) {
  if (std::isnan(d)) {
    out += "NaN";
    return true;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return true;
  }
  char buf[512];
  auto r = std::to_chars(buf, buf + sizeof buf, d,
                         verb == 'f' ? std::chars_format::fixed : std::chars_format::scientific, precision);
  if (r.ec != std::errc()) return false;
  out.append(buf, r.ptr);
  return true;
}

// One formatting clause; false with *error set when the argument does not fit it.
bool FormatClause(char verb, int precision, const Value& v, std::string& out, std::string* error) {
  auto fail = [&](const char* what) {
    *error = std::string(what) + ", was given " + std::string(KindTypeName(v.kind()));
    return false;
  };
  switch (verb) {
    case 's':
      if (!FormatString(v, out))
        return fail(
            "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, "
            "and timestamps");
      return true;
    case 'd':
      if (AppendIntBase(out, v, 10, false)) return true;
      if (v.is(Kind::kDouble)) {
        AppendDoubleFixed(out, v.double_value());
        return true;
      }
      if (v.is(Kind::kDecimal) && ValidDecimal(v)) return FormatString(v, out);
      return fail("decimal clause can only be used on ints, uints, and doubles");
    case 'f':
    case 'e': {
      const char* what = verb == 'f' ? "fixed-point clause can only be used on ints, uints, and doubles"
                                     : "scientific clause can only be used on ints, uints, and doubles";
      switch (v.kind()) {
        case Kind::kInt:
          return AppendFloatClause(out, static_cast<double>(v.int_value()), verb, precision) || fail(what);
        case Kind::kUint:
          return AppendFloatClause(out, static_cast<double>(v.uint_value()), verb, precision) || fail(what);
        case Kind::kDouble: return AppendFloatClause(out, v.double_value(), verb, precision) || fail(what);
        case Kind::kDecimal: {
          if (!ValidDecimal(v)) return fail(what);
          if (verb == 'e')
            return AppendFloatClause(out, DecimalToDouble(v.coefficient(), v.scale()), verb, precision) || fail(what);
          // Exact: round half away from zero, then pad with zeros.
          int64_t c = v.coefficient();
          uint32_t sc = v.scale();
          if (static_cast<int64_t>(sc) > precision) {
            int64_t rc;
            uint32_t rs;
            if (!RoundDecimal(c, sc, precision, &rc, &rs)) return fail(what);
            c = rc;
            sc = rs;
          }
          char buf[48];
          out.append(buf, FormatDecimalTo(buf, c, sc));
          if (precision > 0 && sc == 0) out += '.';
          out.append(static_cast<size_t>(precision) - sc, '0');
          return true;
        }
        default: return fail(what);
      }
    }
    case 'b':
      if (v.is(Kind::kBool)) {
        out += v.bool_value() ? '1' : '0';
        return true;
      }
      if (AppendIntBase(out, v, 2, false)) return true;
      return fail("only ints, uints, and bools can be formatted as binary");
    case 'o':
      if (AppendIntBase(out, v, 8, false)) return true;
      return fail("octal clause can only be used on ints and uints");
    case 'x':
    case 'X': {
      bool upper = verb == 'X';
      if (AppendIntBase(out, v, 16, upper)) return true;
      if (v.is(Kind::kString) || v.is(Kind::kBytes)) {
        const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        for (unsigned char c : v.str()) {
          out += digits[c >> 4];
          out += digits[c & 15];
        }
        return true;
      }
      return fail("only ints, uints, bytes, and strings can be formatted as hex");
    }
    default: break;
  }
  *error = "unrecognized formatting clause";
  return false;
}

Value Format(const Value& fmt, const Value& list) {
  std::string_view f = fmt.str();
  const auto& items = list.list();
  std::string out;
  out.reserve(f.size() + 16);
  size_t arg = 0;
  for (size_t i = 0; i < f.size();) {
    size_t pct = f.find('%', i);
    if (pct == std::string_view::npos) {
      out.append(f.substr(i));
      break;
    }
    out.append(f.substr(i, pct - i));
    i = pct;
    if (i + 1 < f.size() && f[i + 1] == '%') {
      out += '%';
      i += 2;
      continue;
    }
    if (arg >= items.size()) return Err(ErrorCode::kIndexOutOfRange, "index " + std::to_string(arg) + " out of range");
    if (i + 1 >= f.size()) return Err(ErrorCode::kInvalidArgument, "unexpected end of string");
    size_t j = i + 1;
    int precision = 6;
    if (f[j] == '.') {
      ++j;
      size_t st = j;
      int64_t p = 0;
      while (j < f.size() && f[j] >= '0' && f[j] <= '9') {
        if (p <= kMaxPrecision) p = p * 10 + (f[j] - '0');
        ++j;
      }
      if (j >= f.size())
        return Err(ErrorCode::kInvalidArgument,
                   "could not parse formatting clause: error while parsing precision: could not find end of precision "
                   "specifier");
      if (j == st)
        return Err(ErrorCode::kInvalidArgument,
                   "could not parse formatting clause: error while parsing precision: missing precision digits");
      if (p > kMaxPrecision)
        return Err(ErrorCode::kInvalidArgument,
                   "could not parse formatting clause: precision exceeds maximum allowed precision " +
                       std::to_string(kMaxPrecision));
      precision = static_cast<int>(p);
    }
    char verb = f[j++];
    std::string error;
    if (!FormatClause(verb, precision, items[arg], out, &error)) {
      if (error == "unrecognized formatting clause") {
        std::string shown(1, verb);
        if (static_cast<unsigned char>(verb) >= 0x80) shown = std::string(f.substr(j - 1, StepWidth(f, j - 1)));
        return Err(ErrorCode::kInvalidArgument,
                   "could not parse formatting clause: unrecognized formatting clause \"" + shown + "\"");
      }
      return Err(ErrorCode::kInvalidArgument, "error during formatting: " + error);
    }
    i = j;
    ++arg;
  }
  return Value::String(out);
}

// ---- CRM functions ----

Value EmailDomain(const Value& v) {
  std::string_view s = TrimSpace(v.str());
  size_t at = s.rfind('@');
  if (at == std::string_view::npos) return Err(ErrorCode::kInvalidArgument, "emailDomain: no @ in " + Quote(v.str()));
  std::string_view domain = TrimSpace(s.substr(at + 1));
  if (domain.empty()) return Err(ErrorCode::kInvalidArgument, "emailDomain: no domain after @ in " + Quote(v.str()));
  return MapAscii(v, domain, true);
}

Value Digits(const Value& v) {
  std::string_view s = v.str();
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == s.size()) return v;
  size_t n = i;
  for (size_t k = i; k < s.size(); ++k) n += s[k] >= '0' && s[k] <= '9';
  char* out;
  Value result = NewString(s.substr(0, n), &out);  // the first n bytes, overwritten below
  for (size_t k = i, o = i; k < s.size(); ++k)
    if (s[k] >= '0' && s[k] <= '9') out[o++] = s[k];
  return result;
}

Value E164(const Value& number, const Value& region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  std::string reg = "ZZ";  // unknown region: only numbers in international (+) form parse
  if (region.is(Kind::kString)) {
    std::string_view r = TrimSpace(region.str());
    if (!r.empty()) {
      reg.assign(r);
      for (char& c : reg)
        if (IsLower(c)) c = static_cast<char>(c - 32);
    }
  }
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber pn;
  std::string_view s = number.str();
  if (util->Parse(std::string(s), reg, &pn) != PhoneNumberUtil::NO_PARSING_ERROR)
    return Err(ErrorCode::kInvalidArgument, "e164: " + Quote(s) + " is not a phone number (region " + Quote(reg) + ")");
  if (!util->IsValidNumber(pn))
    return Err(ErrorCode::kInvalidArgument,
               "e164: " + Quote(s) + " is not a valid phone number (region " + Quote(reg) + ")");
  std::string out;
  util->Format(pn, PhoneNumberUtil::E164, &out);
  return Value::String(out);
}

Value DomainOf(const Value& v) {
  std::string_view s = TrimSpace(v.str());
  size_t scheme = s.find("://");
  if (scheme != std::string_view::npos && scheme > 0 &&
      std::all_of(s.begin(), s.begin() + static_cast<ptrdiff_t>(scheme), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      })) {
    s.remove_prefix(scheme + 3);
  } else if (s.starts_with("//")) {
    s.remove_prefix(2);
  }
  s = s.substr(0, s.find_first_of("/?#\\"));
  if (size_t at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);  // user info
  if (!s.empty() && s[0] == '[') {
    s = s.substr(0, s.find(']') == std::string_view::npos ? s.size() : s.find(']') + 1);  // IPv6 literal
  } else {
    s = s.substr(0, s.find(':'));  // port
  }
  if (s.size() >= 4 && EqualsIgnoreCase(s.substr(0, 4), "www.")) s.remove_prefix(4);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  bool ok = !s.empty();
  for (char c : s)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) ok = false;
  if (!ok) return Err(ErrorCode::kInvalidArgument, "domainOf: no host in " + Quote(v.str()));
  return MapAscii(v, s, true);
}

Value PicklistValues(const Value& v) {
  std::string_view s = v.str();
  std::vector<Value> parts;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(';', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = TrimSpace(s.substr(pos, end - pos));
    if (!part.empty()) parts.push_back(Sub(v, part));
    pos = end + 1;
  }
  return Value::List(std::move(parts));
}

Value PicklistText(const Value& v) {
  std::string& out = Scratch();
  for (const Value& e : v.list()) {
    if (e.is(Kind::kNull)) continue;
    if (!e.is(Kind::kString))
      return Err(ErrorCode::kNoOverload, "no matching overload for picklistText: list element is " +
                                             std::string(KindTypeName(e.kind())) + ", not string");
    std::string_view part = TrimSpace(e.str());
    if (part.empty()) continue;
    if (!out.empty()) out += ';';
    out.append(part);
  }
  return Value::String(out);
}

// ---- math extension ----

bool IsNumberKind(Kind k) { return k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble; }

// math.greatest / math.least over a list: the element that compares greatest
// (least) as a number, returned as it is; the first of equal ones.
Value Extreme(std::string_view name, const Value& list, bool greatest) {
  const auto& items = list.list();
  if (items.empty()) return Err(ErrorCode::kInvalidArgument, std::string(name) + "(): the list must not be empty");
  const Value* best = nullptr;
  for (const Value& v : items) {
    if (v.is_error()) return v;
    if (!IsNumberKind(v.kind())) return NoOverload(name, &v, 1);
    if (best == nullptr) {
      best = &v;
      continue;
    }
    int c = Compare(v, *best);  // 2 when a NaN makes the pair unordered: keep the current one
    if ((greatest && c == 1) || (!greatest && c == -1)) best = &v;
  }
  return *best;
}

Value NegativeShift(std::string_view name, int64_t n) {
  return Err(ErrorCode::kInvalidArgument, std::string(name) + "(): negative offset " + std::to_string(n));
}

// ---- strings.quote ----

// As cel-go: the string in double quotes; \a \b \f \n \r \t \v \\ \" escaped,
// every other character as it is, malformed UTF-8 as U+FFFD.
Value QuoteString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SeqLen(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default: out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
  return Value::String(out);
}

// ---- base64 ----

constexpr char kBase64Chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Value Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t w = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                 static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                 static_cast<unsigned char>(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kBase64Chars[(w >> k) & 63];
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t w = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) w |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += kBase64Chars[(w >> 18) & 63];
    out += kBase64Chars[(w >> 12) & 63];
    out += rest == 2 ? kBase64Chars[(w >> 6) & 63] : '=';
    out += '=';
  }
  return Value::String(out);
}

// As cel-go (Go's StdEncoding, then RawStdEncoding): standard alphabet, the
// padding either complete or absent, line breaks ignored.
Value Base64Decode(std::string_view in) {
  std::string digits;
  digits.reserve(in.size());
  size_t pad = 0;
  for (char c : in) {
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0 || std::strchr(kBase64Chars, c) == nullptr || c == '\0')
      return Err(ErrorCode::kInvalidArgument, "base64.decode(): malformed base64 text");
    digits += c;
  }
  size_t tail = digits.size() % 4;
  bool ok = tail != 1 && (pad == 0 || (tail != 0 && tail + pad == 4));
  if (!ok) return Err(ErrorCode::kInvalidArgument, "base64.decode(): malformed base64 text");
  std::string out;
  out.reserve(digits.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : digits) {
    acc = acc << 6 | static_cast<uint32_t>(std::strchr(kBase64Chars, c) - kBase64Chars);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return Value::Bytes(out);
}

// ---- helpers for the dispatch ----

Value TimestampOutOfRange() { return Err(ErrorCode::kRange, "timestamp out of range"); }
Value DateOutOfRange() { return Err(ErrorCode::kRange, "date out of range"); }

// The civil time of a timestamp in UTC, or in the zone named by args[1] when present.
bool LocalCivil(const Value* args, size_t nargs, Civil* out, Value* error) {
  const Value& t = args[0];
  if (!TimestampInRange(t.seconds())) {
    *error = TimestampOutOfRange();
    return false;
  }
  int64_t local = t.seconds();
  if (nargs > 1) {
    ZoneRef z;
    if (!ResolveZone(args[1].str(), &z)) {
      *error = UnknownZone(args[1].str());
      return false;
    }
    local += z.OffsetAt(t.seconds());
  }
  *out = CivilOf(local);
  return true;
}

Value DateToTimestamp(int64_t days, const ZoneRef* zone) {
  if (!DateInRange(days)) return DateOutOfRange();
  int64_t local = days * 86400;
  int64_t t = zone != nullptr ? zone->LocalToUtc(local) : local;
  if (!TimestampInRange(t)) return TimestampOutOfRange();
  return Value::Timestamp(t, 0);
}

Value ConversionError(std::string_view type, std::string_view text) {
  return Err(ErrorCode::kConversion, std::string(type) + ": cannot convert " + Quote(text));
}

}  // namespace

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

  switch (fn) {
    // ---- size ----
    case Fn::size_string:
    case Fn::size_string_m: return Value::Int(static_cast<int64_t>(CountCodePoints(a.str())));
    case Fn::size_bytes:
    case Fn::size_bytes_m: return Value::Int(static_cast<int64_t>(a.str().size()));
    case Fn::size_list:
    case Fn::size_list_m: return Value::Int(static_cast<int64_t>(a.list().size()));
    case Fn::size_map:
    case Fn::size_map_m: return Value::Int(static_cast<int64_t>(a.map().size()));

    // ---- string predicates ----
    case Fn::contains: return Value::Bool(a.str().find(args[1].str()) != std::string_view::npos);
    case Fn::starts_with: return Value::Bool(a.str().starts_with(args[1].str()));
    case Fn::ends_with: return Value::Bool(a.str().ends_with(args[1].str()));
    case Fn::matches:
    case Fn::matches_g: return Matches(a.str(), args[1].str());

    // ---- int() ----
    case Fn::to_int_int: return a;
    case Fn::to_int_uint:
      if (a.uint_value() > static_cast<uint64_t>(INT64_MAX))
        return Err(ErrorCode::kRange, "int: range error converting " + std::to_string(a.uint_value()));
      return Value::Int(static_cast<int64_t>(a.uint_value()));
    case Fn::to_int_double: {
      double d = a.double_value();
      // -2^63 itself is refused too, as in cel-go and the conformance tests.
      if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0))
        return Err(ErrorCode::kRange, "int: range error converting " + FormatDoubleG(d));
      return Value::Int(static_cast<int64_t>(d));
    }
    case Fn::to_int_string: {
      int64_t v;
      switch (ParseInt(a.str(), &v)) {
        case Parsed::kOk: return Value::Int(v);
        case Parsed::kRange: return Err(ErrorCode::kRange, "int: " + Quote(a.str()) + " is out of range");
        case Parsed::kMalformed: break;
      }
      return ConversionError("int", a.str());
    }
    case Fn::to_int_ts: return Value::Int(a.seconds());
    case Fn::to_int_decimal:
      if (!ValidDecimal(a)) return MalformedDecimal();
      return Value::Int(a.coefficient() / kPow10[a.scale()]);

    // ---- uint() ----
    case Fn::to_uint_uint: return a;
    case Fn::to_uint_int:
      if (a.int_value() < 0)
        return Err(ErrorCode::kRange, "uint: range error converting " + std::to_string(a.int_value()));
      return Value::Uint(static_cast<uint64_t>(a.int_value()));
    case Fn::to_uint_double: {
      double d = a.double_value();
      if (!(d >= 0 && d < 18446744073709551616.0))
        return Err(ErrorCode::kRange, "uint: range error converting " + FormatDoubleG(d));
      return Value::Uint(static_cast<uint64_t>(d));
    }
    case Fn::to_uint_string: {
      uint64_t v;
      switch (ParseUint(a.str(), &v)) {
        case Parsed::kOk: return Value::Uint(v);
        case Parsed::kRange: return Err(ErrorCode::kRange, "uint: " + Quote(a.str()) + " is out of range");
        case Parsed::kMalformed: break;
      }
      return ConversionError("uint", a.str());
    }

    // ---- double() ----
    case Fn::to_double_double: return a;
    case Fn::to_double_int: return Value::Double(static_cast<double>(a.int_value()));
    case Fn::to_double_uint: return Value::Double(static_cast<double>(a.uint_value()));
    case Fn::to_double_string: {
      double d;
      switch (ParseDouble(a.str(), &d)) {
        case Parsed::kOk: return Value::Double(d);
        case Parsed::kRange: return Err(ErrorCode::kRange, "double: " + Quote(a.str()) + " is out of range");
        case Parsed::kMalformed: break;
      }
      return ConversionError("double", a.str());
    }
    case Fn::to_double_decimal:
      if (!ValidDecimal(a)) return MalformedDecimal();
      return Value::Double(DecimalToDouble(a.coefficient(), a.scale()));

    // ---- string() ----
    case Fn::to_string_string: return a;
    case Fn::to_string_int: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, a.int_value());
      return Value::String(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
    }
    case Fn::to_string_uint: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, a.uint_value());
      return Value::String(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
    }
    case Fn::to_string_double: return Value::String(FormatDoubleG(a.double_value()));
    case Fn::to_string_bool: return Value::String(a.bool_value() ? "true" : "false");
    case Fn::to_string_bytes:
      if (!ValidUtf8(a.str())) return Err(ErrorCode::kConversion, "string: invalid UTF-8 in bytes");
      if (a.raw().flags & Value::kBorrowed) return Value::StringView(a.str());
      return Value::String(a.str());
    case Fn::to_string_ts:
      if (!TimestampInRange(a.seconds()) || a.nanos() < 0 || a.nanos() > 999999999) return TimestampOutOfRange();
      return Value::String(FormatTimestamp(a.seconds(), a.nanos()));
    case Fn::to_string_dur:
      if (a.seconds() < -kMaxDurationSeconds || a.seconds() > kMaxDurationSeconds)
        return Err(ErrorCode::kRange, "duration out of range");
      return Value::String(FormatDuration(a.seconds(), a.nanos()));
    case Fn::to_string_date:
      if (!DateUsable(a.days())) return DateOutOfRange();
      return Value::String(FormatDate(a.days()));
    case Fn::to_string_decimal: {
      if (!ValidDecimal(a)) return MalformedDecimal();
      char buf[48];
      return Value::String(std::string_view(buf, FormatDecimalTo(buf, a.coefficient(), a.scale())));
    }

    // ---- bytes(), bool() ----
    case Fn::to_bytes_string:
      if (a.raw().flags & Value::kBorrowed) return Value::BytesView(a.str());
      return Value::Bytes(a.str());
    case Fn::to_bytes_bytes: return a;
    case Fn::to_bool_string: {
      std::string_view s = a.str();
      if (s == "1" || s == "t" || s == "true" || s == "TRUE" || s == "True") return Value::Bool(true);
      if (s == "0" || s == "f" || s == "false" || s == "FALSE" || s == "False") return Value::Bool(false);
      return ConversionError("bool", s);
    }
    case Fn::to_bool_bool: return a;

    // ---- timestamp(), duration() ----
    case Fn::to_ts_string: {
      int64_t s;
      int32_t n;
      if (!ParseTimestamp(a.str(), &s, &n))
        return Err(ErrorCode::kConversion,
                   "timestamp: " + Quote(a.str()) + " is not an RFC 3339 timestamp in years 0001-9999");
      return Value::Timestamp(s, n);
    }
    case Fn::to_ts_ts: return a;
    case Fn::to_ts_int:
      if (!TimestampInRange(a.int_value())) return TimestampOutOfRange();
      return Value::Timestamp(a.int_value(), 0);
    case Fn::to_dur_string: {
      int64_t s;
      int32_t n;
      if (!ParseDuration(a.str(), &s, &n))
        return Err(ErrorCode::kConversion, "duration: " + Quote(a.str()) + " is not a duration within 10000 years");
      return Value::Duration(s, n);
    }
    case Fn::to_dur_dur: return a;
    case Fn::to_dyn: return a;
    case Fn::type_of: return Value::Type(KindTypeName(a.kind()).data());

    // ---- timestamp accessors ----
    case Fn::ts_year:
    case Fn::ts_year_tz:
    case Fn::ts_month:
    case Fn::ts_month_tz:
    case Fn::ts_dom:
    case Fn::ts_dom_tz:
    case Fn::ts_date:
    case Fn::ts_date_tz:
    case Fn::ts_dow:
    case Fn::ts_dow_tz:
    case Fn::ts_doy:
    case Fn::ts_doy_tz:
    case Fn::ts_hours:
    case Fn::ts_hours_tz:
    case Fn::ts_minutes:
    case Fn::ts_minutes_tz:
    case Fn::ts_seconds:
    case Fn::ts_seconds_tz:
    case Fn::ts_millis:
    case Fn::ts_millis_tz: {
      Civil c;
      Value error;
      if (!LocalCivil(args, nargs, &c, &error)) return error;
      switch (fn) {
        case Fn::ts_year:
        case Fn::ts_year_tz: return Value::Int(c.year);
        case Fn::ts_month:
        case Fn::ts_month_tz: return Value::Int(c.month - 1);
        case Fn::ts_dom:
        case Fn::ts_dom_tz: return Value::Int(c.day - 1);
        case Fn::ts_date:
        case Fn::ts_date_tz: return Value::Int(c.day);
        case Fn::ts_dow:
        case Fn::ts_dow_tz: return Value::Int(((c.days + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
        case Fn::ts_doy:
        case Fn::ts_doy_tz: return Value::Int(c.days - DaysFromCivil(c.year, 1, 1));
        case Fn::ts_hours:
        case Fn::ts_hours_tz: return Value::Int(c.second_of_day / 3600);
        case Fn::ts_minutes:
        case Fn::ts_minutes_tz: return Value::Int(c.second_of_day / 60 % 60);
        case Fn::ts_seconds:
        case Fn::ts_seconds_tz: return Value::Int(c.second_of_day % 60);
        default: return Value::Int(a.nanos() / 1000000);  // ts_millis, ts_millis_tz
      }
    }

    // ---- duration accessors: whole units, truncated toward zero ----
    case Fn::dur_hours: return Value::Int(a.seconds() / 3600);
    case Fn::dur_minutes: return Value::Int(a.seconds() / 60);
    case Fn::dur_seconds: return Value::Int(a.seconds());
    // The milliseconds part (0..999, negative for negative durations), as CEL's conformance tests define it.
    case Fn::dur_millis: return Value::Int(a.nanos() / 1000000);

    // ---- strings extension ----
    case Fn::char_at: {
      std::string_view s = a.str();
      int64_t i = args[1].int_value();
      int64_t len = static_cast<int64_t>(CountCodePoints(s));
      if (i < 0 || i > len) return IndexOutOfRange(i);
      size_t b = ByteOffset(s, i);
      if (i == len) return Value::String("");
      return Sub(a, s.substr(b, StepWidth(s, b)));
    }
    case Fn::index_of: return IndexOf(a.str(), args[1].str(), 0, false);
    case Fn::index_of_from: return IndexOf(a.str(), args[1].str(), args[2].int_value(), true);
    case Fn::last_index_of: return LastIndexOf(a.str(), args[1].str(), 0, false);
    case Fn::last_index_of_from: return LastIndexOf(a.str(), args[1].str(), args[2].int_value(), true);
    case Fn::lower_ascii:
    case Fn::lower_ascii_g: return MapAscii(a, a.str(), true);
    case Fn::upper_ascii:
    case Fn::upper_ascii_g: return MapAscii(a, a.str(), false);
    case Fn::replace: return Replace(a, args[1].str(), args[2].str(), -1);
    case Fn::replace_n: return Replace(a, args[1].str(), args[2].str(), args[3].int_value());
    case Fn::split: return Split(a, args[1].str(), -1);
    case Fn::split_n: return Split(a, args[1].str(), args[2].int_value());
    case Fn::substring: {
      std::string_view s = a.str();
      int64_t start = args[1].int_value();
      if (start < 0 || start > static_cast<int64_t>(CountCodePoints(s))) return IndexOutOfRange(start);
      return Sub(a, s.substr(ByteOffset(s, start)));
    }
    case Fn::substring_range: {
      std::string_view s = a.str();
      int64_t start = args[1].int_value(), end = args[2].int_value();
      if (start > end)
        return Err(ErrorCode::kInvalidArgument,
                   "invalid substring range. start: " + std::to_string(start) + ", end: " + std::to_string(end));
      int64_t len = static_cast<int64_t>(CountCodePoints(s));
      if (start < 0 || start > len) return IndexOutOfRange(start);
      if (end < 0 || end > len) return IndexOutOfRange(end);
      size_t b = ByteOffset(s, start);
      size_t e = b + ByteOffset(s.substr(b), end - start);
      return Sub(a, s.substr(b, e - b));
    }
    case Fn::trim:
    case Fn::trim_g: return Sub(a, TrimSpace(a.str()));
    case Fn::join: return Join("join", a, "");
    case Fn::join_sep: return Join("join", a, args[1].str());
    case Fn::format: return Format(a, args[1]);

    // ---- CRM functions ----
    case Fn::is_blank: return Value::Bool(IsBlank(a));
    case Fn::coalesce2:
    case Fn::coalesce3:
    case Fn::coalesce4:
    case Fn::coalesce5:
    case Fn::coalesce6:
    case Fn::coalesce7:
    case Fn::coalesce8:
      for (size_t i = 0; i + 1 < nargs; ++i)
        if (!IsBlank(args[i])) return args[i];
      return args[nargs - 1];  // all blank: the last (often a literal default such as "")
    case Fn::normalize_email: return MapAscii(a, TrimSpace(a.str()), true);
    case Fn::email_domain: return EmailDomain(a);
    case Fn::digits: return Digits(a);
    case Fn::e164: return E164(a, args[1]);
    case Fn::domain_of: return DomainOf(a);

    // ---- dates ----
    case Fn::to_date_string: {
      int64_t days;
      if (!ParseDate(a.str(), &days))
        return Err(ErrorCode::kConversion, "date: " + Quote(a.str()) + " is not a date YYYY-MM-DD");
      return Value::Date(days);
    }
    case Fn::to_date_date: return a;
    case Fn::to_date_ts:
    case Fn::to_date_ts_tz: {
      Civil c;
      Value error;
      if (!LocalCivil(args, nargs, &c, &error)) return error;
      if (!DateInRange(c.days)) return DateOutOfRange();
      return Value::Date(c.days);
    }
    case Fn::date_to_ts: return DateToTimestamp(a.days(), nullptr);
    case Fn::date_to_ts_tz: {
      ZoneRef z;
      if (!ResolveZone(args[1].str(), &z)) return UnknownZone(args[1].str());
      return DateToTimestamp(a.days(), &z);
    }
    case Fn::epoch_millis:
      if (!TimestampInRange(a.seconds())) return TimestampOutOfRange();
      return Value::Int(a.seconds() * 1000 + a.nanos() / 1000000);
    case Fn::from_epoch_millis: {
      int64_t ms = a.int_value();
      int64_t s = FloorDiv(ms, 1000);
      if (!TimestampInRange(s)) return TimestampOutOfRange();
      return Value::Timestamp(s, static_cast<int32_t>(ms - s * 1000) * 1000000);
    }
    case Fn::date_year:
    case Fn::date_month:
    case Fn::date_day: {
      if (!DateUsable(a.days())) return DateOutOfRange();
      int64_t y;
      unsigned m, d;
      CivilFromDays(a.days(), &y, &m, &d);
      if (fn == Fn::date_year) return Value::Int(y);
      return Value::Int(fn == Fn::date_month ? m - 1 : d);
    }

    // ---- decimals ----
    case Fn::to_decimal_string: {
      int64_t c;
      uint32_t s;
      if (!ParseDecimal(a.str(), &c, &s))
        return Err(ErrorCode::kConversion,
                   "decimal: " + Quote(a.str()) + " is not a decimal number (at most 18 places, 64-bit coefficient)");
      return Value::Decimal(c, s);
    }
    case Fn::to_decimal_int: return Value::Decimal(a.int_value(), 0);
    case Fn::to_decimal_double: {
      double d = a.double_value();
      if (!std::isfinite(d)) return Err(ErrorCode::kConversion, "decimal: cannot convert " + FormatDoubleG(d));
      int64_t c;
      uint32_t s;
      if (!DecimalFromDigits(ShortestDigits(d), &c, &s))
        return Err(ErrorCode::kOverflow, "decimal: " + FormatDoubleG(d) + " overflows a decimal");
      return Value::Decimal(c, s);
    }
    case Fn::to_decimal_dec: return a;
    case Fn::round_decimal: {
      if (!ValidDecimal(a)) return MalformedDecimal();
      int64_t places = std::max<int64_t>(args[1].int_value(), -40);  // beyond 10^19 every decimal rounds to 0
      if (places >= static_cast<int64_t>(a.scale())) return a;
      int64_t c;
      uint32_t s;
      if (!RoundDecimal(a.coefficient(), a.scale(), places, &c, &s))
        return Err(ErrorCode::kOverflow, "round: decimal overflow");
      return Value::Decimal(c, s);
    }
    case Fn::round_double: {
      double d = a.double_value();
      if (!std::isfinite(d) || d == 0) return a;
      DecimalDigits dd = ShortestDigits(d);
      if (!RoundDigits(&dd, std::clamp<int64_t>(args[1].int_value(), -400, 400))) return Value::Double(0.0);
      std::string text = dd.digits + "e" + std::to_string(dd.exp10 - static_cast<int>(dd.digits.size()) + 1);
      double r = 0;
      auto res = std::from_chars(text.data(), text.data() + text.size(), r);
      if (res.ec != std::errc()) return Err(ErrorCode::kOverflow, "round: double overflow");
      return Value::Double(dd.neg ? -r : r);
    }
    case Fn::abs_int:
      if (a.int_value() == INT64_MIN) return Err(ErrorCode::kOverflow, "abs: int overflow");
      return a.int_value() < 0 ? Value::Int(-a.int_value()) : a;
    case Fn::abs_double: return Value::Double(std::fabs(a.double_value()));
    case Fn::abs_decimal:
      if (!ValidDecimal(a)) return MalformedDecimal();
      if (a.coefficient() == INT64_MIN) return Err(ErrorCode::kOverflow, "abs: decimal overflow");
      return a.coefficient() < 0 ? Value::Decimal(-a.coefficient(), a.scale()) : a;

    // ---- multi-select values ----
    case Fn::split_multi: return PicklistValues(a);
    case Fn::join_multi: return PicklistText(a);

    // ---- math extension ----
    case Fn::math_greatest_int:
    case Fn::math_greatest_uint:
    case Fn::math_greatest_double:
    case Fn::math_least_int:
    case Fn::math_least_uint:
    case Fn::math_least_double: return a;
    case Fn::math_greatest_list: return Extreme("math.greatest", a, true);
    case Fn::math_least_list: return Extreme("math.least", a, false);
    case Fn::math_ceil: return Value::Double(std::ceil(a.double_value()));
    case Fn::math_floor: return Value::Double(std::floor(a.double_value()));
    case Fn::math_round: return Value::Double(std::round(a.double_value()));
    case Fn::math_trunc: return Value::Double(std::trunc(a.double_value()));
    case Fn::math_abs_int:
      if (a.int_value() == INT64_MIN) return Err(ErrorCode::kOverflow, "math.abs(): int overflow");
      return a.int_value() < 0 ? Value::Int(-a.int_value()) : a;
    case Fn::math_abs_uint: return a;
    case Fn::math_abs_double: return Value::Double(std::fabs(a.double_value()));
    case Fn::math_sign_int: return Value::Int((a.int_value() > 0) - (a.int_value() < 0));
    case Fn::math_sign_uint: return Value::Uint(a.uint_value() > 0 ? 1 : 0);
    case Fn::math_sign_double: {
      double d = a.double_value();
      return d > 0 ? Value::Double(1.0) : d < 0 ? Value::Double(-1.0) : a;  // 0.0, -0.0 and NaN as they are
    }
    case Fn::math_is_nan: return Value::Bool(std::isnan(a.double_value()));
    case Fn::math_is_inf: return Value::Bool(std::isinf(a.double_value()));
    case Fn::math_is_finite: return Value::Bool(std::isfinite(a.double_value()));
    case Fn::math_sqrt_double: return Value::Double(std::sqrt(a.double_value()));
    case Fn::math_sqrt_int: return Value::Double(std::sqrt(static_cast<double>(a.int_value())));
    case Fn::math_sqrt_uint: return Value::Double(std::sqrt(static_cast<double>(a.uint_value())));
    case Fn::math_bit_and_int: return Value::Int(a.int_value() & args[1].int_value());
    case Fn::math_bit_and_uint: return Value::Uint(a.uint_value() & args[1].uint_value());
    case Fn::math_bit_or_int: return Value::Int(a.int_value() | args[1].int_value());
    case Fn::math_bit_or_uint: return Value::Uint(a.uint_value() | args[1].uint_value());
    case Fn::math_bit_xor_int: return Value::Int(a.int_value() ^ args[1].int_value());
    case Fn::math_bit_xor_uint: return Value::Uint(a.uint_value() ^ args[1].uint_value());
    case Fn::math_bit_not_int: return Value::Int(~a.int_value());
    case Fn::math_bit_not_uint: return Value::Uint(~a.uint_value());
    case Fn::math_shl_int:
    case Fn::math_shl_uint:
    case Fn::math_shr_int:
    case Fn::math_shr_uint: {
      bool left = fn == Fn::math_shl_int || fn == Fn::math_shl_uint;
      int64_t n = args[1].int_value();
      if (n < 0) return NegativeShift(left ? "math.bitShiftLeft" : "math.bitShiftRight", n);
      // Bits as unsigned: a right shift fills with zeros, as cel-go's.
      uint64_t bits = a.is(Kind::kInt) ? static_cast<uint64_t>(a.int_value()) : a.uint_value();
      uint64_t r = n >= 64 ? 0 : left ? bits << n : bits >> n;
      return a.is(Kind::kInt) ? Value::Int(static_cast<int64_t>(r)) : Value::Uint(r);
    }

    // ---- strings.quote, base64 ----
    case Fn::strings_quote: return QuoteString(a.str());
    case Fn::base64_encode: return Base64Encode(a.str());
    case Fn::base64_decode: return Base64Decode(a.str());

    case Fn::kCount: break;
  }
  // Every overload has a case above (-Wswitch checks it); only an out-of-range id gets here.
  return Err(ErrorCode::kInternal, "no such overload id " + std::to_string(static_cast<int>(fn)));
}

}  // namespace accord::rt
