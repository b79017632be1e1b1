#include "compiler/syntax/lexer.h"

#include <string>
#include <unordered_map>

#include "AccordLexer.h"
#include "antlr4-runtime.h"

namespace accord::syntax {
namespace {

using L = AccordLexer;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsIdentStart(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentPart(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }
bool IsQuote(char c) { return c == '"' || c == '\''; }
bool IsQuotedIdentPart(char c) { return IsIdentPart(c) || c == '.' || c == '-' || c == '/' || c == ' '; }

// The keywords, read from the generated lexer's vocabulary ('schema' ->
// SCHEMA, ...), so the grammar stays the one place they are declared.
const std::unordered_map<std::string, uint32_t>& Keywords() {
  static const auto* table = [] {
    auto* t = new std::unordered_map<std::string, uint32_t>();
    antlr4::ANTLRInputStream none("");
    L lexer(&none);
    const antlr4::dfa::Vocabulary& vocab = lexer.getVocabulary();
    for (size_t type = 1; type <= vocab.getMaxTokenType(); ++type) {
      std::string lit = vocab.getLiteralName(type);  // quoted: 'schema', or empty
      if (lit.size() < 3 || !IsIdentStart(lit[1])) continue;
      t->emplace(lit.substr(1, lit.size() - 2), static_cast<uint32_t>(type));
    }
    return t;
  }();
  return *table;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text), n_(text.size()) {}

  std::vector<Lexeme> Run() {
    std::vector<Lexeme> out;
    out.reserve(n_ / 4 + 1);
    const auto& keywords = Keywords();
    std::string word;
    size_t i = 0;
    while (i < n_) {
      uint32_t type = 0;
      bool hidden = false;
      size_t end = Next(i, &type, &hidden);
      if (type == L::IDENT) {
        word.assign(s_.data() + i, end - i);
        if (auto it = keywords.find(word); it != keywords.end()) type = it->second;
      }
      out.push_back(Lexeme{type, static_cast<uint32_t>(i), static_cast<uint32_t>(end), line_, column_, hidden});
      Advance(i, end);
      i = end;
    }
    out.push_back(Lexeme{kEof, static_cast<uint32_t>(n_), static_cast<uint32_t>(n_), line_, column_, false});
    return out;
  }

 private:
  char At(size_t i) const { return i < n_ ? s_[i] : '\0'; }
  bool Has(size_t i) const { return i < n_; }

  // Moves line and column over [from, to).
  void Advance(size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      char c = s_[k];
      if (c == '\n') {
        ++line_;
        column_ = 0;
      } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++column_;
      }
    }
  }

  // The end of the lexeme at i; sets its type.
  size_t Next(size_t i, uint32_t* type, bool* hidden) {
    const char c = s_[i];
    if (IsSpace(c)) {
      size_t j = i + 1;
      while (Has(j) && IsSpace(s_[j])) ++j;
      *type = L::WS;
      *hidden = true;
      return j;
    }
    if (IsDigit(c)) return Number(i, type);
    if (c == '.' && IsDigit(At(i + 1))) {
      *type = L::NUM_FLOAT;
      return Exponent(Digits(i + 1));
    }
    if (IsIdentStart(c)) {
      if (size_t e = PrefixedString(i, type)) return e;
      size_t j = i + 1;
      while (Has(j) && IsIdentPart(s_[j])) ++j;
      *type = L::IDENT;
      return j;
    }
    if (IsQuote(c)) {
      if (size_t e = StrBody(i)) {
        *type = L::STRING;
        return e;
      }
      return Unknown(i, type);
    }
    switch (c) {
      case '/':
        if (At(i + 1) == '/') {
          size_t j = i + 2;
          while (Has(j) && s_[j] != '\n' && s_[j] != '\r') ++j;
          *type = L::LINE_COMMENT;
          *hidden = true;
          return j;
        }
        if (At(i + 1) == '*') {
          size_t close = s_.find("*/", i + 2);
          if (close != std::string_view::npos) {
            *type = L::BLOCK_COMMENT;
            *hidden = true;
            return close + 2;
          }
        }
        return Op(i, 1, L::SLASH, type);
      case '`': {
        size_t j = i + 1;
        while (Has(j) && IsQuotedIdentPart(s_[j])) ++j;
        if (j > i + 1 && At(j) == '`') {
          *type = L::QUOTED_IDENT;
          return j + 1;
        }
        return Unknown(i, type);
      }
      case '<':
        if (At(i + 1) == '-') return At(i + 2) == '>' ? Op(i, 3, L::BOTH, type) : Op(i, 2, L::TO_SF, type);
        return At(i + 1) == '=' ? Op(i, 2, L::LE, type) : Op(i, 1, L::LT, type);
      case '>':
        return At(i + 1) == '=' ? Op(i, 2, L::GE, type) : Op(i, 1, L::GT, type);
      case '-':
        return At(i + 1) == '>' ? Op(i, 2, L::TO_HS, type) : Op(i, 1, L::MINUS, type);
      case '=':
        return At(i + 1) == '=' ? Op(i, 2, L::EQ, type) : Op(i, 1, L::ASSIGN, type);
      case '!':
        return At(i + 1) == '=' ? Op(i, 2, L::NE, type) : Op(i, 1, L::NOT, type);
      case '&':
        return At(i + 1) == '&' ? Op(i, 2, L::AND, type) : Unknown(i, type);
      case '|':
        return At(i + 1) == '|' ? Op(i, 2, L::OR, type) : Unknown(i, type);
      case '?':
        return Op(i, 1, L::QUESTION, type);
      case ':':
        return Op(i, 1, L::COLON, type);
      case '+':
        return Op(i, 1, L::PLUS, type);
      case '*':
        return Op(i, 1, L::STAR, type);
      case '%':
        return Op(i, 1, L::PERCENT, type);
      case '.':
        return Op(i, 1, L::DOT, type);
      case ',':
        return Op(i, 1, L::COMMA, type);
      case ';':
        return Op(i, 1, L::SEMI, type);
      case '(':
        return Op(i, 1, L::LPAREN, type);
      case ')':
        return Op(i, 1, L::RPAREN, type);
      case '[':
        return Op(i, 1, L::LBRACKET, type);
      case ']':
        return Op(i, 1, L::RBRACKET, type);
      case '{':
        return Op(i, 1, L::LBRACE, type);
      case '}':
        return Op(i, 1, L::RBRACE, type);
      default:
        return Unknown(i, type);
    }
  }

  static size_t Op(size_t i, size_t len, uint32_t t, uint32_t* type) {
    *type = t;
    return i + len;
  }

  // UNKNOWN_CHAR: one code point.
  size_t Unknown(size_t i, uint32_t* type) const {
    *type = L::UNKNOWN_CHAR;
    size_t j = i + 1;
    while (Has(j) && (static_cast<unsigned char>(s_[j]) & 0xC0) == 0x80) ++j;
    return j;
  }

  size_t Digits(size_t j) const {
    while (Has(j) && IsDigit(s_[j])) ++j;
    return j;
  }

  // EXPONENT? at j: [eE] [+-]? DIGIT+, taken only when whole.
  size_t Exponent(size_t j) const {
    if (At(j) != 'e' && At(j) != 'E') return j;
    size_t k = j + 1;
    if (At(k) == '+' || At(k) == '-') ++k;
    return IsDigit(At(k)) ? Digits(k) : j;
  }

  // NUM_INT, NUM_UINT or NUM_FLOAT starting with a digit: the longest of them.
  size_t Number(size_t i, uint32_t* type) const {
    if (s_[i] == '0' && (At(i + 1) == 'x' || At(i + 1) == 'X') && IsHex(At(i + 2))) {
      size_t j = i + 2;
      while (Has(j) && IsHex(s_[j])) ++j;
      if (At(j) == 'u' || At(j) == 'U') {
        *type = L::NUM_UINT;
        return j + 1;
      }
      *type = L::NUM_INT;
      return j;
    }
    size_t j = Digits(i);
    if (At(j) == '.' && IsDigit(At(j + 1))) {
      *type = L::NUM_FLOAT;
      return Exponent(Digits(j + 1));
    }
    if (size_t e = Exponent(j); e != j) {
      *type = L::NUM_FLOAT;
      return e;
    }
    if (At(j) == 'u' || At(j) == 'U') {
      *type = L::NUM_UINT;
      return j + 1;
    }
    *type = L::NUM_INT;
    return j;
  }

  bool Triple(size_t i) const { return IsQuote(At(i)) && At(i + 1) == s_[i] && At(i + 2) == s_[i]; }

  // STR_BODY at the quote i: its end, or 0 when none matches.
  size_t StrBody(size_t i) const {
    const char q = s_[i];
    if (Triple(i)) {
      // '"""' (ESC | ~'\\')*? '"""': the first closing triple ends it; a
      // backslash before a line break matches neither, and the single-line
      // form below is tried instead.
      size_t j = i + 3;
      while (Has(j)) {
        if (s_[j] == '\\') {
          if (!Has(j + 1) || s_[j + 1] == '\n' || s_[j + 1] == '\r') break;
          j += 2;
        } else if (s_[j] == q && At(j + 1) == q && At(j + 2) == q) {
          return j + 3;
        } else {
          ++j;
        }
      }
    }
    // '"' (ESC | ~[\\"\n\r])* '"'
    size_t j = i + 1;
    while (Has(j)) {
      char c = s_[j];
      if (c == '\\') {
        if (!Has(j + 1) || s_[j + 1] == '\n' || s_[j + 1] == '\r') return 0;
        j += 2;
      } else if (c == q) {
        return j + 1;
      } else if (c == '\n' || c == '\r') {
        return 0;
      } else {
        ++j;
      }
    }
    return 0;
  }

  // RAW_BODY at the quote i: its end, or 0 when none matches.
  size_t RawBody(size_t i) const {
    const char q = s_[i];
    if (Triple(i)) {
      const char close[] = {q, q, q};
      size_t at = s_.find(std::string_view(close, 3), i + 3);
      if (at != std::string_view::npos) return at + 3;
    }
    size_t j = i + 1;
    while (Has(j) && s_[j] != q && s_[j] != '\n' && s_[j] != '\r') ++j;
    return At(j) == q ? j + 1 : 0;
  }

  // STRING or BYTES with a prefix at i: r"", b"", br"", rb"" (any case);
  // 0 when the letters at i do not start one (they are then a name).
  size_t PrefixedString(size_t i, uint32_t* type) const {
    auto is = [&](size_t k, char lower) { return At(k) == lower || At(k) == lower - 'a' + 'A'; };
    size_t e = 0;
    if (is(i, 'r')) {
      if (IsQuote(At(i + 1))) {
        e = RawBody(i + 1);
        *type = L::STRING;
      } else if (is(i + 1, 'b') && IsQuote(At(i + 2))) {
        e = RawBody(i + 2);
        *type = L::BYTES;
      }
    } else if (is(i, 'b')) {
      *type = L::BYTES;
      if (IsQuote(At(i + 1)))
        e = StrBody(i + 1);
      else if (is(i + 1, 'r') && IsQuote(At(i + 2)))
        e = RawBody(i + 2);
    }
    return e;
  }

  std::string_view s_;
  size_t n_;
  uint32_t line_ = 1;
  uint32_t column_ = 0;
};

}  // namespace

std::vector<Lexeme> Lex(std::string_view text) { return Lexer(text).Run(); }

size_t FindBadUtf8(std::string_view s, bool* is_nul) {
  *is_nul = false;
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) {
      *is_nul = true;
      return i;
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > n) return i;
    uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace accord::syntax
