// The string functions of the standard library (stdlib_internal.h): size,
// contains/startsWith/endsWith and matches (RE2), the cel-go strings extension
// with its format(), strings.quote, and base64 (the encoders extension); also
// the UTF-8 helpers and string-building helpers the other families share.
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "runtime/stdlib_internal.h"

namespace accord::rt::detail {

namespace {

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
    case Kind::kNull:
      out += "null";
      return true;
    case Kind::kBool:
      out += v.bool_value() ? "true" : "false";
      return true;
    case Kind::kInt:
      out += std::to_string(v.int_value());
      return true;
    case Kind::kUint:
      out += std::to_string(v.uint_value());
      return true;
    case Kind::kDouble:
      AppendDoubleFixed(out, v.double_value());
      return true;
    case Kind::kString:
    case Kind::kBytes:
      out += v.str();
      return true;
    case Kind::kTimestamp:
      out += FormatTimestampNano(v.seconds(), v.nanos());
      return true;
    case Kind::kDuration:
      out += FormatDuration(v.seconds(), v.nanos());
      return true;
    case Kind::kDate:
      out += FormatDate(v.days());
      return true;
    case Kind::kDecimal: {
      if (!ValidDecimal(v)) return false;
      char buf[48];
      out.append(buf, FormatDecimalTo(buf, v.coefficient(), v.scale()));
      return true;
    }
    case Kind::kType:
      out += v.type_name();
      return true;
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
    case Kind::kError:
      return false;
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

// One formatting clause; an error status, which Format turns into an error
// value, when the argument does not fit it.
base::Status FormatClause(char verb, int precision, const Value& v, std::string& out) {
  auto fail = [&](const char* what) {
    return base::Status::Error(std::string(what) + ", was given " + std::string(KindTypeName(v.kind())));
  };
  auto done = [](bool ok) { return ok ? base::Status::Ok() : base::Status::Error(""); };
  switch (verb) {
    case 's':
      if (!FormatString(v, out))
        return fail(
            "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, "
            "and timestamps");
      return base::Status::Ok();
    case 'd':
      if (AppendIntBase(out, v, 10, false)) return base::Status::Ok();
      if (v.is(Kind::kDouble)) {
        AppendDoubleFixed(out, v.double_value());
        return base::Status::Ok();
      }
      if (v.is(Kind::kDecimal) && ValidDecimal(v)) return done(FormatString(v, out));
      return fail("decimal clause can only be used on ints, uints, and doubles");
    case 'f':
    case 'e': {
      const char* what = verb == 'f' ? "fixed-point clause can only be used on ints, uints, and doubles"
                                     : "scientific clause can only be used on ints, uints, and doubles";
      switch (v.kind()) {
        case Kind::kInt:
          return AppendFloatClause(out, static_cast<double>(v.int_value()), verb, precision) ? base::Status::Ok()
                                                                                             : fail(what);
        case Kind::kUint:
          return AppendFloatClause(out, static_cast<double>(v.uint_value()), verb, precision) ? base::Status::Ok()
                                                                                              : fail(what);
        case Kind::kDouble:
          return AppendFloatClause(out, v.double_value(), verb, precision) ? base::Status::Ok() : fail(what);
        case Kind::kDecimal: {
          if (!ValidDecimal(v)) return fail(what);
          if (verb == 'e')
            return AppendFloatClause(out, DecimalToDouble(v.coefficient(), v.scale()), verb, precision)
                       ? base::Status::Ok()
                       : fail(what);
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
          return base::Status::Ok();
        }
        default:
          return fail(what);
      }
    }
    case 'b':
      if (v.is(Kind::kBool)) {
        out += v.bool_value() ? '1' : '0';
        return base::Status::Ok();
      }
      if (AppendIntBase(out, v, 2, false)) return base::Status::Ok();
      return fail("only ints, uints, and bools can be formatted as binary");
    case 'o':
      if (AppendIntBase(out, v, 8, false)) return base::Status::Ok();
      return fail("octal clause can only be used on ints and uints");
    case 'x':
    case 'X': {
      bool upper = verb == 'X';
      if (AppendIntBase(out, v, 16, upper)) return base::Status::Ok();
      if (v.is(Kind::kString) || v.is(Kind::kBytes)) {
        const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        for (unsigned char c : v.str()) {
          out += digits[c >> 4];
          out += digits[c & 15];
        }
        return base::Status::Ok();
      }
      return fail("only ints, uints, bytes, and strings can be formatted as hex");
    }
    default:
      break;
  }
  return base::Status::Error("unrecognized formatting clause");
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
    if (base::Status clause = FormatClause(verb, precision, items[arg], out); !clause) {
      if (clause.message == "unrecognized formatting clause") {
        std::string shown(1, verb);
        if (static_cast<unsigned char>(verb) >= 0x80) shown = std::string(f.substr(j - 1, StepWidth(f, j - 1)));
        return Err(ErrorCode::kInvalidArgument,
                   "could not parse formatting clause: unrecognized formatting clause \"" + shown + "\"");
      }
      return Err(ErrorCode::kInvalidArgument, "error during formatting: " + clause.message);
    }
    i = j;
    ++arg;
  }
  return Value::String(out);
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
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        out += static_cast<char>(c);
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

}  // namespace

// ---- used by the other families too (stdlib_internal.h) ----

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

Value CallStringFn(Fn fn, const Value* args, size_t nargs) {
  const Value& a = args[0];
  switch (fn) {
    // ---- size ----
    case Fn::size_string:
    case Fn::size_string_m:
      return Value::Int(static_cast<int64_t>(CountCodePoints(a.str())));
    case Fn::size_bytes:
    case Fn::size_bytes_m:
      return Value::Int(static_cast<int64_t>(a.str().size()));
    case Fn::size_list:
    case Fn::size_list_m:
      return Value::Int(static_cast<int64_t>(a.list().size()));
    case Fn::size_map:
    case Fn::size_map_m:
      return Value::Int(static_cast<int64_t>(a.map().size()));

    // ---- string predicates ----
    case Fn::contains:
      return Value::Bool(a.str().find(args[1].str()) != std::string_view::npos);
    case Fn::starts_with:
      return Value::Bool(a.str().starts_with(args[1].str()));
    case Fn::ends_with:
      return Value::Bool(a.str().ends_with(args[1].str()));
    case Fn::matches:
    case Fn::matches_g:
      return Matches(a.str(), args[1].str());

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
    case Fn::index_of:
      return IndexOf(a.str(), args[1].str(), 0, false);
    case Fn::index_of_from:
      return IndexOf(a.str(), args[1].str(), args[2].int_value(), true);
    case Fn::last_index_of:
      return LastIndexOf(a.str(), args[1].str(), 0, false);
    case Fn::last_index_of_from:
      return LastIndexOf(a.str(), args[1].str(), args[2].int_value(), true);
    case Fn::lower_ascii:
    case Fn::lower_ascii_g:
      return MapAscii(a, a.str(), true);
    case Fn::upper_ascii:
    case Fn::upper_ascii_g:
      return MapAscii(a, a.str(), false);
    case Fn::replace:
      return Replace(a, args[1].str(), args[2].str(), -1);
    case Fn::replace_n:
      return Replace(a, args[1].str(), args[2].str(), args[3].int_value());
    case Fn::split:
      return Split(a, args[1].str(), -1);
    case Fn::split_n:
      return Split(a, args[1].str(), args[2].int_value());
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
    case Fn::trim_g:
      return Sub(a, TrimSpace(a.str()));
    case Fn::join:
      return Join("join", a, "");
    case Fn::join_sep:
      return Join("join", a, args[1].str());
    case Fn::format:
      return Format(a, args[1]);

    // ---- strings.quote, base64 ----
    case Fn::strings_quote:
      return QuoteString(a.str());
    case Fn::base64_encode:
      return Base64Encode(a.str());
    case Fn::base64_decode:
      return Base64Decode(a.str());

    default:
      return NotInFamily();  // not a string function
  }
}

}  // namespace accord::rt::detail
