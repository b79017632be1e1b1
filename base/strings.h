// Small string helpers every layer uses: trimming a set of characters,
// quoting a string as a CEL (or DOT) literal, and escaping a string as JSON.
// One implementation each; a caller that needs a different set or style says
// so with an argument instead of keeping its own loop.
#pragma once

#include <string>
#include <string_view>

namespace accord::base {

// ASCII white space as most text formats mean it: space, tab, CR, LF.
inline constexpr std::string_view kSpaceTabCrLf = " \t\r\n";

// `s` without the characters of `chars` at its start and end (TrimEnd: at its end only).
std::string_view Trim(std::string_view s, std::string_view chars = kSpaceTabCrLf);
std::string_view TrimEnd(std::string_view s, std::string_view chars = kSpaceTabCrLf);

// How Quote escapes. `"` and `\` always get a backslash.
struct QuoteStyle {
  std::string_view named = "\n\r\t";  // control bytes written as \n, \r, \t
  bool hex_controls = true;           // other bytes < 0x20 as \xHH (false: as they are)
  bool hex_del = true;                // 0x7f as \x7f
  bool hex_high = false;              // bytes >= 0x80 as \xHH (CEL bytes literals)
};
// The default style is a CEL string literal; bytes literals add hex_high (and a 'b'
// in front, which is the caller's); the DOT language wants {"\n", false, false}.
inline constexpr QuoteStyle kCelString{};
inline constexpr QuoteStyle kCelBytes{"\n\r\t", true, true, true};

// `s` escaped as `style` says, appended to `out` (EscapeTo) or in double quotes.
void EscapeTo(std::string& out, std::string_view s, const QuoteStyle& style = kCelString);
void QuoteTo(std::string& out, std::string_view s, const QuoteStyle& style = kCelString);
std::string Quote(std::string_view s, const QuoteStyle& style = kCelString);

// `s` as a JSON string, quotes included, appended to `out`: ", \ and control bytes
// escaped (\n \r \t \b \f by name, the rest as \u00XX); other bytes, UTF-8 included,
// as they are. Eight bytes at a time over the common case of nothing to escape.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace accord::base
