#include "compiler/syntax/lexer_oracle.h"

#include <memory>
#include <sstream>

#include "AccordLexer.h"
#include "antlr4-runtime.h"

namespace accord::syntax {
namespace {

std::string Show(const Lexeme& l, std::string_view text) {
  std::ostringstream out;
  out << l.type << " [" << l.begin << "," << l.end << ") " << l.line << ":" << l.column << (l.hidden ? " hidden" : "")
      << " '" << (l.type == kEof ? std::string_view("<EOF>") : l.Text(text)) << "'";
  return out.str();
}

}  // namespace

std::vector<Lexeme> AntlrLex(const std::string& text) {
  std::vector<uint32_t> byte_of;  // code point index -> byte offset
  for (uint32_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) byte_of.push_back(i);
  byte_of.push_back(static_cast<uint32_t>(text.size()));
  antlr4::ANTLRInputStream input(text);
  AccordLexer lexer(&input);
  lexer.removeErrorListeners();
  std::vector<Lexeme> out;
  for (;;) {
    std::unique_ptr<antlr4::Token> t = lexer.nextToken();
    bool eof = t->getType() == antlr4::Token::EOF;
    Lexeme l;
    l.type = eof ? kEof : static_cast<uint32_t>(t->getType());
    l.begin = byte_of[t->getStartIndex()];
    l.end = eof ? l.begin : byte_of[t->getStopIndex() + 1];
    l.line = static_cast<uint32_t>(t->getLine());
    l.column = static_cast<uint32_t>(t->getCharPositionInLine());
    l.hidden = t->getChannel() == antlr4::Token::HIDDEN_CHANNEL;
    out.push_back(l);
    if (eof) break;
  }
  return out;
}

std::string CompareWithAntlr(const std::string& input) {
  // ANTLR's input stream drops a leading UTF-8 byte order mark; the parse layer
  // drops it before lexing too, so both lexers are compared on the rest.
  const std::string text = input.compare(0, 3, "\xEF\xBB\xBF") == 0 ? input.substr(3) : input;
  // NUL bytes are valid UTF-8 (a lone expression may hold one in a string);
  // anything else that is not UTF-8 is never lexed.
  std::string checked = text;
  for (char& c : checked)
    if (c == '\0') c = ' ';
  bool nul = false;
  if (FindBadUtf8(checked, &nul) != std::string_view::npos) return "";
  std::vector<Lexeme> want = AntlrLex(text), got = Lex(text);
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    std::string w = i < want.size() ? Show(want[i], text) : "(none)";
    std::string g = i < got.size() ? Show(got[i], text) : "(none)";
    if (w != g) return "lexeme " + std::to_string(i) + ": ANTLR " + w + ", Lex " + g;
  }
  return "";
}

}  // namespace accord::syntax
