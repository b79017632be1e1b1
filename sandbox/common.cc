#include "sandbox/common.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "base/time.h"

namespace accord::sandbox {

using base::CivilFromDays;

int64_t SystemClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

struct Parts {
  int64_t year;
  unsigned month, day, hour, minute, second, millis;
};

Parts Split(int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t rem = ms - days * 86400000;
  Parts p{};
  CivilFromDays(days, &p.year, &p.month, &p.day);
  p.hour = static_cast<unsigned>(rem / 3600000);
  p.minute = static_cast<unsigned>(rem / 60000 % 60);
  p.second = static_cast<unsigned>(rem / 1000 % 60);
  p.millis = static_cast<unsigned>(rem % 1000);
  return p;
}

}  // namespace

std::string FormatSalesforceDateTime(int64_t ms) {
  Parts p = Split(ms);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03u+0000", static_cast<long long>(p.year), p.month,
                p.day, p.hour, p.minute, p.second, p.millis);
  return buf;
}

std::string FormatIsoMs(int64_t ms) {
  Parts p = Split(ms);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", static_cast<long long>(p.year), p.month,
                p.day, p.hour, p.minute, p.second, p.millis);
  return buf;
}

std::string FormatDate(int64_t ms) {
  Parts p = Split(ms);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(p.year), p.month, p.day);
  return buf;
}

int64_t StartOfDayMs(int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  return days * 86400000;
}

std::optional<int64_t> ParseDate(std::string_view s) {
  std::optional<int64_t> days = base::ParseCivilDate(s);
  if (!days) return std::nullopt;
  return *days * 86400000;
}

std::optional<int64_t> ParseDateTime(std::string_view s, bool require_zone) {
  std::optional<base::Instant> t = base::ParseTime(s, require_zone ? base::kSandboxZoned : base::kSandbox);
  if (!t) return std::nullopt;
  return t->ms();
}

uint64_t Mix64(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Hash3(uint64_t a, uint64_t b, uint64_t c) { return Mix64(Mix64(Mix64(a) ^ b) ^ c); }

double UnitInterval(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

std::string UuidFromHash(uint64_t h) {
  uint64_t a = Mix64(h), b = Mix64(h ^ 0x5bd1e995ULL);
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(a >> 32),
                static_cast<unsigned long long>((a >> 16) & 0xffff), static_cast<unsigned long long>(a & 0xffff),
                static_cast<unsigned long long>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string SalesforceIdSuffix(std::string_view id15) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string suffix;
  for (size_t chunk = 0; chunk < 3; ++chunk) {
    unsigned bits = 0;
    for (size_t i = 0; i < 5; ++i) {
      size_t pos = chunk * 5 + i;
      char c = pos < id15.size() ? id15[pos] : '0';
      if (c >= 'A' && c <= 'Z') bits |= 1u << i;
    }
    suffix += kAlphabet[bits];
  }
  return suffix;
}

std::string MakeSalesforceId(std::string_view key_prefix, uint64_t counter) {
  static const char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string id(key_prefix.substr(0, 3));
  while (id.size() < 3) id += '0';
  id += "5e0";  // instance and reserved characters: constant in the sandbox
  char digits[9];
  for (int i = 8; i >= 0; --i) {
    digits[i] = kBase62[counter % 62];
    counter /= 62;
  }
  id.append(digits, 9);
  return id + SalesforceIdSuffix(id);
}

bool LooksLikeSalesforceId(std::string_view s) {
  if (s.size() != 15 && s.size() != 18) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

Status ParseJson(std::string_view text, Json* out, int* line, int* column) {
  try {
    *out = Json::parse(text.begin(), text.end());
    return Status::Ok();
  } catch (const Json::parse_error& e) {
    size_t byte = e.byte == 0 ? 0 : e.byte - 1;
    int l = 1, c = 1;
    for (size_t i = 0; i < byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++l;
        c = 1;
      } else {
        ++c;
      }
    }
    if (line) *line = l;
    if (column) *column = c;
    return Status::Error(e.what());
  } catch (const std::exception& e) {
    if (line) *line = 1;
    if (column) *column = 1;
    return Status::Error(e.what());
  }
}

std::string DumpJson(const Json& j, int indent) { return j.dump(indent, ' ', false, Json::error_handler_t::replace); }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int h = hex(s[i + 1]), l = hex(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string NumberText(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<long long>(d));
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

}  // namespace accord::sandbox
