// The lexer of the parse layer: source text -> a compact token list, by hand.
//
// The grammar's lexer rules (grammar/Accord.g4) stay the definition; this is a
// direct implementation of them with ANTLR's semantics (longest match, the
// earlier rule on a tie, non-greedy string and comment bodies, one code point
// per unknown character), because ANTLR's generated lexer simulates an automaton
// per character and allocates one heap token per lexeme: on a 3 MB rule set
// that was a third of the parse time and most of its memory. lexer_test
// compares the two on every rule file in the repository and on random text.
//
// Token kinds are the generated parser's (AccordParser::IDENT, ...); positions
// are byte offsets into the lexed text, and line/column follow ANTLR (a line
// ends at '\n'; a column counts code points).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace accord::syntax {

struct Lexeme {
  uint32_t type = 0;    // AccordParser token type; kEof at the end
  uint32_t begin = 0;   // byte offset of the first byte
  uint32_t end = 0;     // byte offset after the last byte
  uint32_t line = 1;    // 1-based
  uint32_t column = 0;  // code points since the line began
  bool hidden = false;  // white space and comments (ANTLR's hidden channel)

  std::string_view Text(std::string_view source) const { return source.substr(begin, end - begin); }
};

// ANTLR's end-of-input token type (antlr4::Token::EOF), without its headers.
inline constexpr uint32_t kEof = static_cast<uint32_t>(-1);

// Every lexeme of `text`, hidden ones included, ending with one kEof lexeme.
// Never fails: a character no rule takes is an UNKNOWN_CHAR lexeme.
std::vector<Lexeme> Lex(std::string_view text);

// The offset of the first byte of `s` that is not valid UTF-8 (or is a NUL,
// then *is_nul is set), or npos. The parse layer lexes only valid text.
size_t FindBadUtf8(std::string_view s, bool* is_nul);

}  // namespace accord::syntax
