// ANTLR's lexer generated from grammar/Accord.g4, as the oracle the
// hand-written lexer (lexer.h) is tested and fuzzed against. Test code only:
// the product never runs it.
#pragma once

#include <string>
#include <vector>

#include "compiler/syntax/lexer.h"

namespace accord::syntax {

// ANTLR's lexemes of `text` (valid UTF-8), with its code-point indexes turned
// into byte offsets.
std::vector<Lexeme> AntlrLex(const std::string& text);

// Empty when Lex() and AntlrLex() give the same lexemes for `input` (after a
// leading byte order mark, which the parse layer drops before lexing), else
// where they part. Text that is not valid UTF-8 is never lexed and compares equal.
std::string CompareWithAntlr(const std::string& input);

}  // namespace accord::syntax
