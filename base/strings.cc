#include "base/strings.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace accord::base {

std::string_view Trim(std::string_view s, std::string_view chars) {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return s.substr(s.size());
  return s.substr(b, s.find_last_not_of(chars) - b + 1);
}

std::string_view TrimEnd(std::string_view s, std::string_view chars) {
  size_t e = s.find_last_not_of(chars);
  return s.substr(0, e == std::string_view::npos ? 0 : e + 1);
}

void EscapeTo(std::string& out, std::string_view s, const QuoteStyle& style) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 && c != 0 && style.named.find(static_cast<char>(c)) != std::string_view::npos) {
      out += '\\';
      out += c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
    } else if ((c < 0x20 && style.hex_controls) || (c == 0x7f && style.hex_del) || (c >= 0x80 && style.hex_high)) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

void QuoteTo(std::string& out, std::string_view s, const QuoteStyle& style) {
  out += '"';
  EscapeTo(out, s, style);
  out += '"';
}

std::string Quote(std::string_view s, const QuoteStyle& style) {
  std::string out;
  QuoteTo(out, s, style);
  return out;
}

namespace {
// Eight bytes at a time: does any byte need escaping (", \\, or < 0x20)?
inline bool NeedsEscape8(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto has_zero = [&](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  uint64_t quote = has_zero(w ^ (kOnes * '"'));
  uint64_t slash = has_zero(w ^ (kOnes * '\\'));
  uint64_t ctrl = (w - kOnes * 0x20) & ~w & kHigh;  // a byte < 0x20
  return (quote | slash | ctrl) != 0;
}
}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  size_t n = s.size();
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (NeedsEscape8(w)) break;
    i += 8;
  }
  for (; i < n; ++i) {
    unsigned char c = s[i];
    if (c < 0x20 || c == '"' || c == '\\') break;
  }
  if (i == n) {  // the common case: nothing to escape
    out.push_back('"');
    out.append(s.data(), n);
    out.push_back('"');
    return;
  }
  out += '"';
  out.append(s.data(), i);
  size_t run = i;
  for (; i < n; ++i) {
    unsigned char c = s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
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
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  out.append(s.data() + run, n - run);
  out += '"';
}

}  // namespace accord::base
