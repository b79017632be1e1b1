// The type conversions of the standard library (stdlib_internal.h): int(),
// uint(), double(), string(), bytes(), bool(), timestamp(), duration(),
// decimal(), dyn() and type(); also the number and decimal text helpers
// (Go's strconv rules, shortest round-trip digits) the other families share.
#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "runtime/stdlib_internal.h"

namespace accord::rt::detail {

namespace {

// ---- numbers ----

constexpr std::array<int64_t, 19> kPow10 = [] {
  std::array<int64_t, 19> p{};
  p[0] = 1;
  for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}();

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

// ---- decimals ----

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

Value ConversionError(std::string_view type, std::string_view text) {
  return Err(ErrorCode::kConversion, std::string(type) + ": cannot convert " + Quote(text));
}

}  // namespace

// ---- used by the other families too (stdlib_internal.h) ----

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

Value CallConversionFn(Fn fn, const Value* args, size_t nargs) {
  const Value& a = args[0];
  switch (fn) {
    // ---- int() ----
    case Fn::to_int_int:
      return a;
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
        case Parsed::kOk:
          return Value::Int(v);
        case Parsed::kRange:
          return Err(ErrorCode::kRange, "int: " + Quote(a.str()) + " is out of range");
        case Parsed::kMalformed:
          break;
      }
      return ConversionError("int", a.str());
    }
    case Fn::to_int_ts:
      return Value::Int(a.seconds());
    case Fn::to_int_decimal:
      if (!ValidDecimal(a)) return MalformedDecimal();
      return Value::Int(a.coefficient() / kPow10[a.scale()]);

    // ---- uint() ----
    case Fn::to_uint_uint:
      return a;
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
        case Parsed::kOk:
          return Value::Uint(v);
        case Parsed::kRange:
          return Err(ErrorCode::kRange, "uint: " + Quote(a.str()) + " is out of range");
        case Parsed::kMalformed:
          break;
      }
      return ConversionError("uint", a.str());
    }

    // ---- double() ----
    case Fn::to_double_double:
      return a;
    case Fn::to_double_int:
      return Value::Double(static_cast<double>(a.int_value()));
    case Fn::to_double_uint:
      return Value::Double(static_cast<double>(a.uint_value()));
    case Fn::to_double_string: {
      double d;
      switch (ParseDouble(a.str(), &d)) {
        case Parsed::kOk:
          return Value::Double(d);
        case Parsed::kRange:
          return Err(ErrorCode::kRange, "double: " + Quote(a.str()) + " is out of range");
        case Parsed::kMalformed:
          break;
      }
      return ConversionError("double", a.str());
    }
    case Fn::to_double_decimal:
      if (!ValidDecimal(a)) return MalformedDecimal();
      return Value::Double(DecimalToDouble(a.coefficient(), a.scale()));

    // ---- string() ----
    case Fn::to_string_string:
      return a;
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
    case Fn::to_string_double:
      return Value::String(FormatDoubleG(a.double_value()));
    case Fn::to_string_bool:
      return Value::String(a.bool_value() ? "true" : "false");
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
    case Fn::to_bytes_bytes:
      return a;
    case Fn::to_bool_string: {
      std::string_view s = a.str();
      if (s == "1" || s == "t" || s == "true" || s == "TRUE" || s == "True") return Value::Bool(true);
      if (s == "0" || s == "f" || s == "false" || s == "FALSE" || s == "False") return Value::Bool(false);
      return ConversionError("bool", s);
    }
    case Fn::to_bool_bool:
      return a;

    // ---- timestamp(), duration() ----
    case Fn::to_ts_string: {
      int64_t s;
      int32_t n;
      if (!ParseTimestamp(a.str(), &s, &n))
        return Err(ErrorCode::kConversion,
                   "timestamp: " + Quote(a.str()) + " is not an RFC 3339 timestamp in years 0001-9999");
      return Value::Timestamp(s, n);
    }
    case Fn::to_ts_ts:
      return a;
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
    case Fn::to_dur_dur:
      return a;
    case Fn::to_dyn:
      return a;
    case Fn::type_of:
      return Value::Type(KindTypeName(a.kind()).data());

    // ---- decimal() ----
    case Fn::to_decimal_string: {
      int64_t c;
      uint32_t s;
      if (!ParseDecimal(a.str(), &c, &s))
        return Err(ErrorCode::kConversion,
                   "decimal: " + Quote(a.str()) + " is not a decimal number (at most 18 places, 64-bit coefficient)");
      return Value::Decimal(c, s);
    }
    case Fn::to_decimal_int:
      return Value::Decimal(a.int_value(), 0);
    case Fn::to_decimal_double: {
      double d = a.double_value();
      if (!std::isfinite(d)) return Err(ErrorCode::kConversion, "decimal: cannot convert " + FormatDoubleG(d));
      int64_t c;
      uint32_t s;
      if (!DecimalFromDigits(ShortestDigits(d), &c, &s))
        return Err(ErrorCode::kOverflow, "decimal: " + FormatDoubleG(d) + " overflows a decimal");
      return Value::Decimal(c, s);
    }
    case Fn::to_decimal_dec:
      return a;

    default:
      return NotInFamily();  // not a conversion
  }
}

}  // namespace accord::rt::detail
