#include "runtime/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>

#include "base/strings.h"
#include "base/time.h"

namespace accord::rt {

struct ListObj : HeapObject {
  std::vector<Value> elems;
  explicit ListObj(std::vector<Value> e) : HeapObject(Kind::kList), elems(std::move(e)) {}
};
struct MapObj : HeapObject {
  std::vector<std::pair<Value, Value>> entries;
  explicit MapObj(std::vector<std::pair<Value, Value>> e) : HeapObject(Kind::kMap), entries(std::move(e)) {}
};
struct ErrorObj : HeapObject {
  ErrorCode code;
  std::string message;
  Location where;
  ErrorObj(ErrorCode c, std::string m, Location w)
      : HeapObject(Kind::kError), code(c), message(std::move(m)), where(w) {}
};

std::string_view KindTypeName(Kind k) {
  switch (k) {
#define X(name, text) \
  case Kind::k##name: \
    return text;
    ACCORD_VALUE_KINDS(X)
#undef X
  }
  return "?";
}

std::string_view ErrorCodeName(ErrorCode c) {
  switch (c) {
#define X(name, text)      \
  case ErrorCode::k##name: \
    return text;
    ACCORD_ERROR_CODES(X)
#undef X
  }
  return "?";
}

Value Value::String(std::string_view s) {
  Value v;
  v.raw_.kind = Kind::kString;
  v.raw_.flags = kHeap;
  v.raw_.u.obj = new StringObj(Kind::kString, s);
  return v;
}
Value Value::Bytes(std::string_view s) {
  Value v;
  v.raw_.kind = Kind::kBytes;
  v.raw_.flags = kHeap;
  v.raw_.u.obj = new StringObj(Kind::kBytes, s);
  return v;
}
Value Value::List(std::vector<Value> elems) {
  Value v;
  v.raw_.kind = Kind::kList;
  v.raw_.flags = kHeap;
  v.raw_.u.obj = new ListObj(std::move(elems));
  return v;
}
Value Value::Map(std::vector<std::pair<Value, Value>> entries) {
  Value v;
  v.raw_.kind = Kind::kMap;
  v.raw_.flags = kHeap;
  v.raw_.u.obj = new MapObj(std::move(entries));
  return v;
}
Value Value::Error(ErrorCode code, std::string message, Location where) {
  Value v;
  v.raw_.kind = Kind::kError;
  v.raw_.flags = kHeap;
  v.raw_.u.obj = new ErrorObj(code, std::move(message), where);
  return v;
}

void Value::Free(HeapObject* o) {
  switch (o->kind) {
    case Kind::kString:
    case Kind::kBytes:
      delete static_cast<StringObj*>(o);
      break;
    case Kind::kList:
      delete static_cast<ListObj*>(o);
      break;
    case Kind::kMap:
      delete static_cast<MapObj*>(o);
      break;
    case Kind::kError:
      delete static_cast<ErrorObj*>(o);
      break;
    default:
      break;
  }
}

const std::vector<Value>& Value::list() const { return static_cast<const ListObj*>(raw_.u.obj)->elems; }
const std::vector<std::pair<Value, Value>>& Value::map() const {
  return static_cast<const MapObj*>(raw_.u.obj)->entries;
}
void Value::Append(Value* list, Value elem) {
  if (!list->is(Kind::kList)) *list = List({});
  auto* obj = static_cast<ListObj*>(list->raw_.u.obj);
  if (obj->refs > 1) {
    *list = List(obj->elems);
    obj = static_cast<ListObj*>(list->raw_.u.obj);
  }
  obj->elems.push_back(std::move(elem));
}

ErrorCode Value::error_code() const { return static_cast<const ErrorObj*>(raw_.u.obj)->code; }
const std::string& Value::error_message() const { return static_cast<const ErrorObj*>(raw_.u.obj)->message; }
Location Value::error_location() const { return static_cast<const ErrorObj*>(raw_.u.obj)->where; }
Value Value::WithLocation(Location where) const {
  if (!is_error() || error_location().file != nullptr || where.file == nullptr) return *this;
  return Error(error_code(), error_message(), where);
}

// ---- printing ----

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

std::string Value::DebugString() const {
  std::string out;
  switch (kind()) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return bool_value() ? "true" : "false";
    case Kind::kInt:
      return std::to_string(int_value());
    case Kind::kUint:
      return std::to_string(uint_value()) + "u";
    case Kind::kDouble: {
      std::string s = FormatDouble(double_value());
      if (std::isfinite(double_value()) && s.find_first_of(".eE") == std::string::npos) s += ".0";
      if (!std::isfinite(double_value())) s = "double(\"" + s + "\")";
      return s;
    }
    case Kind::kString:
      base::QuoteTo(out, str());
      return out;
    case Kind::kBytes:
      out = "b";
      base::QuoteTo(out, str(), base::kCelBytes);
      return out;
    case Kind::kList: {
      out = "[";
      bool first = true;
      for (const Value& e : list()) {
        if (!first) out += ", ";
        first = false;
        out += e.DebugString();
      }
      return out + "]";
    }
    case Kind::kMap: {
      out = "{";
      bool first = true;
      for (const auto& [k, v] : map()) {
        if (!first) out += ", ";
        first = false;
        out += k.DebugString() + ": " + v.DebugString();
      }
      return out + "}";
    }
    case Kind::kTimestamp:
      return "timestamp(\"" + FormatTimestamp(seconds(), nanos()) + "\")";
    case Kind::kDuration:
      return "duration(\"" + FormatDuration(seconds(), nanos()) + "\")";
    case Kind::kDate:
      return "date(\"" + FormatDate(days()) + "\")";
    case Kind::kDecimal:
      return "decimal(\"" + FormatDecimal(coefficient(), scale()) + "\")";
    case Kind::kType:
      return type_name();
    case Kind::kError: {
      out = "error: " + error_message();
      Location w = error_location();
      if (w.file != nullptr)
        out += " (at " + std::string(w.file) + ":" + std::to_string(w.line) + ":" + std::to_string(w.col) + ")";
      return out;
    }
  }
  return "?";
}

// ---- equality and ordering ----

namespace {
bool IsNumber(Kind k) { return k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble || k == Kind::kDecimal; }

// Compares two numbers of any numeric kind exactly: -1, 0, 1, or 2 (NaN).
int CompareNumbers(const Value& a, const Value& b) {
  Kind ka = a.kind(), kb = b.kind();
  if (ka == kb) {
    switch (ka) {
      case Kind::kInt:
        return a.int_value() < b.int_value() ? -1 : a.int_value() > b.int_value();
      case Kind::kUint:
        return a.uint_value() < b.uint_value() ? -1 : a.uint_value() > b.uint_value();
      case Kind::kDouble: {
        double x = a.double_value(), y = b.double_value();
        if (std::isnan(x) || std::isnan(y)) return 2;
        return x < y ? -1 : x > y;
      }
      default:
        break;
    }
  }
  if (ka == Kind::kInt && kb == Kind::kUint) {
    if (a.int_value() < 0) return -1;
    uint64_t x = static_cast<uint64_t>(a.int_value());
    return x < b.uint_value() ? -1 : x > b.uint_value();
  }
  if (ka == Kind::kUint && kb == Kind::kInt) return -CompareNumbers(b, a) == -2 ? 2 : -CompareNumbers(b, a);
  auto as_long_double = [](const Value& v) -> long double {
    switch (v.kind()) {
      case Kind::kInt:
        return static_cast<long double>(v.int_value());
      case Kind::kUint:
        return static_cast<long double>(v.uint_value());
      case Kind::kDouble:
        return v.double_value();
      case Kind::kDecimal: {
        long double c = static_cast<long double>(v.coefficient());
        for (uint32_t i = 0; i < v.scale(); ++i) c /= 10;
        return c;
      }
      default:
        return 0;
    }
  };
  if (ka == Kind::kDecimal && kb == Kind::kDecimal) {
    // exact: bring both to the larger scale with 128-bit arithmetic
    __int128 x = a.coefficient(), y = b.coefficient();
    for (uint32_t i = a.scale(); i < b.scale(); ++i) x *= 10;
    for (uint32_t i = b.scale(); i < a.scale(); ++i) y *= 10;
    return x < y ? -1 : x > y;
  }
  if ((ka == Kind::kDouble) != (kb == Kind::kDouble) && ka != Kind::kDecimal && kb != Kind::kDecimal) {
    // int/uint against double compare as doubles, as cel-go does
    double x = ka == Kind::kDouble ? a.double_value() : static_cast<double>(as_long_double(a));
    double y = kb == Kind::kDouble ? b.double_value() : static_cast<double>(as_long_double(b));
    if (std::isnan(x) || std::isnan(y)) return 2;
    return x < y ? -1 : x > y;
  }
  long double x = as_long_double(a), y = as_long_double(b);
  if (std::isnan(x) || std::isnan(y)) return 2;
  // int64 vs double: long double (x87, 64-bit mantissa) holds every int64 exactly.
  return x < y ? -1 : x > y;
}
}  // namespace

bool Equal(const Value& a, const Value& b) {
  Kind ka = a.kind(), kb = b.kind();
  if (IsNumber(ka) && IsNumber(kb)) return CompareNumbers(a, b) == 0;
  if (ka != kb) return false;
  switch (ka) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.bool_value() == b.bool_value();
    case Kind::kString:
    case Kind::kBytes:
      return a.str() == b.str();
    case Kind::kList: {
      const auto& x = a.list();
      const auto& y = b.list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!Equal(x[i], y[i])) return false;
      return true;
    }
    case Kind::kMap: {
      if (a.map().size() != b.map().size()) return false;
      for (const auto& [k, v] : a.map()) {
        const Value* other = MapFind(b, k);
        if (other == nullptr || !Equal(v, *other)) return false;
      }
      return true;
    }
    case Kind::kTimestamp:
    case Kind::kDuration:
      return a.seconds() == b.seconds() && a.nanos() == b.nanos();
    case Kind::kDate:
      return a.days() == b.days();
    case Kind::kType:
      return std::string_view(a.type_name()) == b.type_name();
    default:
      return false;
  }
}

int Compare(const Value& a, const Value& b) {
  Kind ka = a.kind(), kb = b.kind();
  if (IsNumber(ka) && IsNumber(kb)) return CompareNumbers(a, b);
  if (ka != kb) return 2;
  switch (ka) {
    case Kind::kBool:
      return a.bool_value() < b.bool_value() ? -1 : a.bool_value() > b.bool_value();
    case Kind::kString:
    case Kind::kBytes: {
      int c = a.str().compare(b.str());
      return c < 0 ? -1 : c > 0;
    }
    case Kind::kTimestamp:
    case Kind::kDuration:
      if (a.seconds() != b.seconds()) return a.seconds() < b.seconds() ? -1 : 1;
      return a.nanos() < b.nanos() ? -1 : a.nanos() > b.nanos();
    case Kind::kDate:
      return a.days() < b.days() ? -1 : a.days() > b.days();
    default:
      return 2;
  }
}

size_t Hash(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull:
      return 0;
    case Kind::kBool:
      return v.bool_value() ? 1 : 2;
    case Kind::kInt:
      return std::hash<double>()(static_cast<double>(v.int_value()));
    case Kind::kUint:
      return std::hash<double>()(static_cast<double>(v.uint_value()));
    case Kind::kDouble:
      return std::hash<double>()(v.double_value());
    case Kind::kString:
    case Kind::kBytes:
      return std::hash<std::string_view>()(v.str());
    default:
      return static_cast<size_t>(v.kind()) * 31;
  }
}

const Value* MapFind(const Value& map, const Value& key) {
  for (const auto& [k, v] : map.map()) {
    Kind kk = k.kind(), qk = key.kind();
    bool comparable = kk == qk || (IsNumber(kk) && IsNumber(qk));
    if (comparable && Equal(k, key)) return &v;
  }
  return nullptr;
}

bool IsBlank(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull:
      return true;
    case Kind::kString: {
      std::string_view s = v.str();
      size_t i = 0;
      while (i < s.size()) {
        unsigned char c = s[i];
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
          ++i;
          continue;
        }
        // U+00A0 NBSP, U+2000..U+200A, U+2028/9, U+202F, U+205F, U+3000, U+FEFF
        if (c == 0xC2 && i + 1 < s.size() && (unsigned char)s[i + 1] == 0xA0) {
          i += 2;
          continue;
        }
        if (c == 0xE2 && i + 2 < s.size()) {
          unsigned char c1 = s[i + 1], c2 = s[i + 2];
          if ((c1 == 0x80 && (c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF)) || (c1 == 0x81 && c2 == 0x9F)) {
            i += 3;
            continue;
          }
        }
        if (c == 0xE3 && i + 2 < s.size() && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x80) {
          i += 3;
          continue;
        }
        if (c == 0xEF && i + 2 < s.size() && (unsigned char)s[i + 1] == 0xBB && (unsigned char)s[i + 2] == 0xBF) {
          i += 3;
          continue;
        }
        return false;
      }
      return true;
    }
    case Kind::kList:
      return v.list().empty();
    case Kind::kMap:
      return v.map().empty();
    default:
      return false;
  }
}

// ---- civil dates and times (base/time.h) ----

bool ParseDate(std::string_view s, int64_t* days) {
  std::optional<int64_t> d = base::ParseCivilDate(s);
  if (!d || *d < base::DaysFromCivil(1, 1, 1)) return false;  // CEL's years start at 1
  *days = *d;
  return true;
}

std::string FormatDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

bool ParseTimestamp(std::string_view s, int64_t* seconds, int32_t* nanos) {
  std::optional<base::Instant> t = base::ParseTime(s, base::kRfc3339);
  if (!t || t->seconds < kMinTimestampSeconds || t->seconds > kMaxTimestampSeconds) return false;
  *seconds = t->seconds;
  *nanos = t->nanos;
  return true;
}

std::string FormatTimestamp(int64_t seconds, int32_t nanos) {
  int64_t days = seconds / 86400, rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::string out = FormatDate(days);
  char buf[48];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d", static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  out += buf;
  if (nanos != 0) {
    // 3, 6 or 9 digits, as protobuf's JSON mapping prints them
    if (nanos % 1000000 == 0)
      std::snprintf(buf, sizeof buf, ".%03d", nanos / 1000000);
    else if (nanos % 1000 == 0)
      std::snprintf(buf, sizeof buf, ".%06d", nanos / 1000);
    else
      std::snprintf(buf, sizeof buf, ".%09d", nanos);
    out += buf;
  }
  return out + "Z";
}

bool ParseDuration(std::string_view s, int64_t* seconds, int32_t* nanos) {
  // Go time.ParseDuration units: ns us µs ms s m h. Accumulate in nanoseconds as __int128.
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  if (i == s.size()) return false;
  if (s.substr(i) == "0") {
    *seconds = 0;
    *nanos = 0;
    return true;
  }
  __int128 total = 0;
  while (i < s.size()) {
    __int128 whole = 0;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      if (whole > (__int128)1 << 80) return false;
      ++i;
    }
    __int128 frac = 0, scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (scale < (__int128)1000000000000000000LL) {
          frac = frac * 10 + (s[i] - '0');
          scale *= 10;
        }
        had_frac = true;
        ++i;
      }
    }
    if (i == start || (i == start + 1 && s[start] == '.' && !had_frac)) return false;
    size_t us = i;
    while (i < s.size() && !(s[i] >= '0' && s[i] <= '9') && s[i] != '.') ++i;
    std::string_view unit = s.substr(us, i - us);
    __int128 mult;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1000;
    else if (unit == "ms")
      mult = 1000000;
    else if (unit == "s")
      mult = 1000000000;
    else if (unit == "m")
      mult = 60LL * 1000000000;
    else if (unit == "h")
      mult = 3600LL * 1000000000;
    else
      return false;
    total += whole * mult + frac * mult / scale;
    if (total > (__int128)kMaxDurationSeconds * 1000000000 + 999999999) return false;
  }
  if (neg) total = -total;
  *seconds = static_cast<int64_t>(total / 1000000000);
  *nanos = static_cast<int32_t>(total % 1000000000);
  return true;
}

std::string FormatDuration(int64_t seconds, int32_t nanos) {
  std::string out;
  if (seconds < 0 || nanos < 0) {
    out = "-";
    seconds = -seconds;
    nanos = -nanos;
  }
  out += std::to_string(seconds);
  if (nanos != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09d", nanos);
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "s";
}

bool ParseDecimal(std::string_view s, int64_t* coefficient, uint32_t* scale) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  __int128 c = 0;
  uint32_t sc = 0;
  bool any = false, dot = false;
  int64_t exp = 0;
  for (; i < s.size(); ++i) {
    char ch = s[i];
    if (ch >= '0' && ch <= '9') {
      c = c * 10 + (ch - '0');
      if (c > INT64_MAX) return false;
      if (dot) ++sc;
      any = true;
    } else if (ch == '.' && !dot) {
      dot = true;
    } else if ((ch == 'e' || ch == 'E') && any) {
      int64_t e = 0;
      auto r = std::from_chars(s.data() + i + 1 + (i + 1 < s.size() && s[i + 1] == '+'), s.data() + s.size(), e);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
      exp = e;
      i = s.size();
      break;
    } else {
      return false;
    }
  }
  if (!any) return false;
  // 128 bits: no overflow for any exponent. Zero takes any exponent (at most 18
  // places are kept); a non-zero coefficient fits only within these bounds, so
  // the loops below run at most 37 times (they used to run ~|exponent| times
  // for "0e-999999999999", and sc - exp overflowed for an exponent of INT64_MIN).
  __int128 wide_net = static_cast<__int128>(sc) - exp;
  if (c == 0) wide_net = wide_net < 0 ? 0 : wide_net > 18 ? 18 : wide_net;
  if (wide_net < -19 || wide_net > 37) return false;
  int64_t net = static_cast<int64_t>(wide_net);
  while (net < 0) {
    c *= 10;
    if (c > INT64_MAX) return false;
    ++net;
  }
  while (net > 18) {
    if (c % 10 != 0) return false;  // more than 18 decimal places of precision
    c /= 10;
    --net;
  }
  *coefficient = static_cast<int64_t>(neg ? -c : c);
  *scale = static_cast<uint32_t>(net);
  return true;
}

std::string FormatDecimal(int64_t coefficient, uint32_t scale) {
  bool neg = coefficient < 0;
  unsigned __int128 mag = neg ? -(__int128)coefficient : coefficient;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  while (digits.size() <= scale) digits.insert(digits.begin(), '0');
  if (scale > 0) digits.insert(digits.end() - scale, '.');
  return neg ? "-" + digits : digits;
}

}  // namespace accord::rt
