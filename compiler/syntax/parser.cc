#include "compiler/syntax/parser.h"

#include <pthread.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <functional>
#include <set>

#include "AccordParser.h"
#include "antlr4-runtime.h"
#include "compiler/syntax/ast_builder.h"
#include "compiler/syntax/lexer.h"

namespace accord::syntax {
namespace {

using P = AccordParser;

// ---- UTF-8 --------------------------------------------------------------------

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ---- friendly token names ---------------------------------------------------------

std::string TokenDescription(size_t type, const antlr4::dfa::Vocabulary& vocab) {
  switch (type) {
    case antlr4::Token::EOF:
      return "end of file";
    case P::NEWLINE:
      return "a line break";
    case P::IDENT:
      return "a name";
    case P::QUOTED_IDENT:
      return "a `quoted` field name";
    case P::STRING:
      return "a string";
    case P::BYTES:
      return "a bytes literal";
    case P::NUM_INT:
    case P::NUM_UINT:
    case P::NUM_FLOAT:
      return "a number";
    default:
      break;
  }
  std::string lit = vocab.getLiteralName(type);
  if (!lit.empty()) return lit;  // already quoted: 'sync'
  return vocab.getSymbolicName(type);
}

std::string ShowToken(size_t type, std::string text) {
  if (type == antlr4::Token::EOF || type == kEof) return "end of file";
  if (type == P::NEWLINE) return "a line break";
  if (text.size() > 30) text = text.substr(0, 27) + "...";
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return "'" + text + "'";
}

std::string ShowToken(const antlr4::Token* t) {
  if (!t) return "end of file";
  return ShowToken(t->getType(), t->getType() == antlr4::Token::EOF ? std::string() : t->getText());
}

std::string RuleContextName(size_t rule) {
  switch (rule) {
    case P::RuleSchemaDecl:
      return "a schema declaration";
    case P::RuleValuesDecl:
    case P::RuleValueEntry:
    case P::RuleElseTarget:
    case P::RuleValueLit:
      return "a values table";
    case P::RuleSyncDecl:
    case P::RuleSyncItem:
    case P::RuleMatchKey:
    case P::RuleCreateDefault:
    case P::RuleFieldOption:
    case P::RuleDirectedTransform:
      return "a sync block";
    case P::RuleConflictPolicy:
      return "a conflict policy";
    case P::RuleBlankPolicy:
      return "a blank policy";
    case P::RuleDeletePolicy:
      return "a delete policy";
    case P::RuleLifecycleDecl:
    case P::RuleLifecycleItem:
    case P::RuleStage:
      return "a lifecycle block";
    case P::RuleTestDecl:
    case P::RuleTestItem:
    case P::RuleRecordLit:
    case P::RuleRecordField:
      return "a test block";
    case P::RuleObjectRef:
    case P::RuleFieldPath:
    case P::RuleSide:
      return "an object reference";
    case P::RuleFile:
    case P::RuleDecl:
      return "";
    default:
      return "an expression";
  }
}

struct ErrorState {
  const SourceFile* src;
  DiagSink* sink;
  const OffsetMap* map;
  size_t count = 0;
  size_t max = 20;
  // Errors at or after this offset are counted but not shown: they follow
  // from a bracket that is never closed, which is reported at the bracket.
  uint32_t mute_from = UINT32_MAX;
  void Report(const antlr4::Token* at, std::string msg) {
    uint32_t b = map->Begin(at), e = map->End(at);
    if (at && at->getType() == antlr4::Token::EOF) e = b;
    Emit(Range{b, e}, std::move(msg));
  }
  // At the end of `before` (zero width): for something missing at the end of a line.
  void ReportAfter(const antlr4::Token* before, std::string msg) {
    uint32_t e = map->End(before);
    Emit(Range{e, e}, std::move(msg));
  }
  size_t muted = 0;
  void Emit(Range r, std::string msg) {
    ++count;
    if (r.begin >= mute_from) {
      ++muted;
      return;
    }
    if (count - muted > max) return;
    sink->Report(DiagCode::kSyntax, src, r, std::move(msg));
  }
};

// Brackets that are never closed, found on the token list before the error
// parse: ANTLR notices a missing ')' only where the input ends (or at a '}'
// much later), so the error appeared at the end of the file. Each unclosed
// '(' '[' '{' is reported at itself, with the token that ended it. Returns,
// per unclosed bracket, its token index and the token index from which the
// parser's errors are follow-ons: for '(' and '[' the bracket itself (what
// comes after it in the expression was swallowed), for '{' the token that
// ended it (errors inside a block are genuine).
std::vector<std::pair<size_t, size_t>> ReportUnclosedBrackets(const std::vector<Lexeme>& toks, std::string_view text,
                                                              ErrorState& st) {
  auto closer = [](size_t open) -> size_t {
    return open == P::LPAREN ? P::RPAREN : open == P::LBRACKET ? P::RBRACKET : P::RBRACE;
  };
  std::vector<size_t> stack;
  std::vector<std::pair<size_t, size_t>> ended_by;  // unclosed index -> token index that ended it
  for (size_t i = 0; i < toks.size(); ++i) {
    size_t t = toks[i].type;
    if (t == P::LPAREN || t == P::LBRACKET || t == P::LBRACE) {
      stack.push_back(i);
    } else if (t == P::RPAREN || t == P::RBRACKET || t == P::RBRACE || t == kEof) {
      // A closer that matches an open bracket further down closes the ones above it.
      size_t k = stack.size();
      while (k > 0 && closer(toks[stack[k - 1]].type) != t) --k;
      if (k == 0 && t != kEof) continue;  // a stray closer: the parser reports it
      // Unclosed: everything above the matching bracket (all of it at the end).
      size_t first = t == kEof ? 0 : k;
      for (size_t j = first; j < stack.size(); ++j) ended_by.emplace_back(stack[j], i);
      stack.resize(t == kEof ? 0 : k - 1);
    }
  }
  std::sort(ended_by.begin(), ended_by.end());
  std::vector<std::pair<size_t, size_t>> mute;
  for (auto [open, end] : ended_by) {
    mute.emplace_back(open, toks[open].type == P::LBRACE ? end : open);
    const Lexeme& o = toks[open];
    const Lexeme& e = toks[end];
    std::string want = o.type == P::LPAREN ? "')'" : o.type == P::LBRACKET ? "']'" : "'}'";
    std::string msg =
        "this '" + std::string(o.Text(text)) + "' is never closed: " + want + " is missing before " +
        (e.type == kEof ? std::string("the end of the file")
                        : ShowToken(e.type, std::string(e.Text(text))) + " on line " + std::to_string(e.line));
    st.Emit(Range{st.map->Begin(o), st.map->End(o)}, msg);
  }
  return mute;
}

std::string ExpectedList(const antlr4::misc::IntervalSet& set, const antlr4::dfa::Vocabulary& vocab) {
  std::set<std::string> names;
  bool name_ok = false;
  for (size_t t : set.toList()) {
    // Soft keywords are names too: don't list 40 of them.
    if (t == P::IDENT) name_ok = true;
    if (t >= P::SCHEMA && t <= P::FROM && set.contains(static_cast<ssize_t>(P::IDENT))) continue;
    names.insert(TokenDescription(t, vocab));
  }
  (void)name_ok;
  if (names.empty() || names.size() > 8) return "";
  std::string out;
  size_t i = 0;
  for (const auto& n : names) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += n;
    ++i;
  }
  return out;
}

class FriendlyErrorStrategy : public antlr4::DefaultErrorStrategy {
 public:
  explicit FriendlyErrorStrategy(ErrorState* st) : st_(st) {}

 protected:
  // Arrows, sides and names appear in many constructs: name the construct
  // around them (a values table, a conflict policy), not "an expression".
  std::string Where(antlr4::Parser* p) {
    antlr4::ParserRuleContext* c = p->getContext();
    while (c && c->parent &&
           (c->getRuleIndex() == P::RuleArrow || c->getRuleIndex() == P::RuleSide || c->getRuleIndex() == P::RuleIdent))
      c = dynamic_cast<antlr4::ParserRuleContext*>(c->parent);
    std::string w = c ? RuleContextName(c->getRuleIndex()) : "";
    return w.empty() ? "" : " in " + w;
  }
  // The offending token starts a later line than the token before it.
  static bool AtEndOfLine(antlr4::Parser* p, const antlr4::Token* t) {
    if (!t || t->getType() == antlr4::Token::EOF) return false;
    const antlr4::Token* prev = p->getTokenStream()->LT(-1);
    return prev && prev->getLine() < t->getLine();
  }
  // After recovering from an error ANTLR often trips over the very next
  // token (e.g. a conjured-up missing token makes the bad one start a new
  // item). Such a follow-on error says nothing new: drop it.
  bool FollowOn(const antlr4::Token* t) {
    if (!t) return false;
    auto i = static_cast<ssize_t>(t->getTokenIndex());
    bool follow = last_error_index_ >= 0 && i <= last_error_index_ + 1;
    if (!follow || i > last_error_index_) last_error_index_ = i;
    return follow;
  }
  void reportNoViableAlternative(antlr4::Parser* p, const antlr4::NoViableAltException& e) override {
    auto* tok = e.getOffendingToken();
    if (FollowOn(tok)) return;
    std::string msg = "unexpected " + ShowToken(tok) + Where(p);
    std::string exp = ExpectedList(p->getExpectedTokens(), p->getVocabulary());
    if (!exp.empty()) msg += "; expected " + exp;
    st_->Report(tok, msg);
  }
  void reportInputMismatch(antlr4::Parser* p, const antlr4::InputMismatchException& e) override {
    auto* tok = e.getOffendingToken();
    if (FollowOn(tok)) return;
    std::string exp = ExpectedList(e.getExpectedTokens(), p->getVocabulary());
    if (!exp.empty() && AtEndOfLine(p, tok)) {
      st_->ReportAfter(
          p->getTokenStream()->LT(-1),
          "expected " + exp + Where(p) + " at the end of this line" +
              (tok->getType() == P::NEWLINE ? std::string() : ", found " + ShowToken(tok) + " on the next"));
      return;
    }
    std::string msg = exp.empty() ? "unexpected " + ShowToken(tok) + Where(p)
                                  : "expected " + exp + Where(p) + ", found " + ShowToken(tok);
    st_->Report(tok, msg);
  }
  void reportFailedPredicate(antlr4::Parser*, const antlr4::FailedPredicateException& e) override {
    if (FollowOn(e.getOffendingToken())) return;
    st_->Report(e.getOffendingToken(), "unexpected " + ShowToken(e.getOffendingToken()));
  }
  void reportUnwantedToken(antlr4::Parser* p) override {
    if (inErrorRecoveryMode(p)) return;
    beginErrorCondition(p);
    antlr4::Token* t = p->getCurrentToken();
    if (FollowOn(t)) return;
    std::string msg = "unexpected " + ShowToken(t) + Where(p);
    std::string exp = ExpectedList(getExpectedTokens(p), p->getVocabulary());
    if (!exp.empty()) msg += "; expected " + exp;
    st_->Report(t, msg);
  }
  void reportMissingToken(antlr4::Parser* p) override {
    if (inErrorRecoveryMode(p)) return;
    beginErrorCondition(p);
    antlr4::Token* t = p->getCurrentToken();
    if (FollowOn(t)) return;
    antlr4::misc::IntervalSet expected = getExpectedTokens(p);
    std::string exp = ExpectedList(expected, p->getVocabulary());
    if (!exp.empty() && AtEndOfLine(p, t)) {
      st_->ReportAfter(p->getTokenStream()->LT(-1), "missing " + exp + Where(p) + " at the end of this line");
      return;
    }
    // A word where another word belongs (`prefer marketing`) is wrong, not
    // something missing before it.
    bool words_only = !expected.isEmpty();
    for (size_t x : expected.toList()) words_only &= x == P::IDENT || (x >= P::SCHEMA && x <= P::FROM);
    if (words_only && t && (t->getType() == P::IDENT || (t->getType() >= P::SCHEMA && t->getType() <= P::FROM))) {
      st_->Report(t, "expected " + exp + Where(p) + ", found " + ShowToken(t));
      return;
    }
    st_->Report(t, "missing " + (exp.empty() ? std::string("a token") : exp) + " before " + ShowToken(t) + Where(p));
  }

 private:
  ErrorState* st_;
  ssize_t last_error_index_ = -1;  // token index of the last error reported in this chunk
};

// Silences ANTLR's default console listener; all reporting goes through the strategy.
class QuietListener : public antlr4::BaseErrorListener {
 public:
  explicit QuietListener(ErrorState* st) : st_(st) {}
  void syntaxError(antlr4::Recognizer*, antlr4::Token* tok, size_t, size_t, const std::string& msg,
                   std::exception_ptr) override {
    // Only reached for messages the strategy did not produce itself (should not happen).
    if (st_->count == 0) st_->Report(tok, msg);
  }

 private:
  ErrorState* st_;
};

// ---- driver -------------------------------------------------------------------------

// A line break ends a statement (issue 13): before a '-', '(' or '[' that
// starts a line - the tokens that could both continue an expression and start
// a rule - a NEWLINE token is inserted, unless the break is inside ( ), [ ] or
// an expression's { } (a map literal), or the previous line ends with
// something that needs more (an operator, an opening bracket, ',' ':' '?'
// '.', an arrow, '=', `with`, `when`, `default`). Every other line start was
// already unambiguous, so no other NEWLINE is needed.
bool NeedsMore(size_t type) {
  switch (type) {
    case P::OR:
    case P::AND:
    case P::NOT:
    case P::EQ:
    case P::NE:
    case P::LT:
    case P::LE:
    case P::GT:
    case P::GE:
    case P::PLUS:
    case P::MINUS:
    case P::STAR:
    case P::SLASH:
    case P::PERCENT:
    case P::QUESTION:
    case P::COLON:
    case P::DOT:
    case P::COMMA:
    case P::LPAREN:
    case P::LBRACKET:
    case P::LBRACE:
    case P::ASSIGN:
    case P::BOTH:
    case P::TO_HS:
    case P::TO_SF:
    case P::IN:
    case P::WITH:
    case P::WHEN:
    case P::DEFAULT:
    case P::SEMI:
      return true;
    default:
      return false;
  }
}

void InsertLineBreaks(std::vector<Lexeme>& toks) {
  std::vector<size_t> before;  // indexes of the lexemes a NEWLINE goes before (few, if any)
  std::vector<bool> in_expr;   // per open bracket: does it hold an expression (not a block)?
  const Lexeme* prev = nullptr;
  for (size_t i = 0; i < toks.size(); ++i) {
    const Lexeme& t = toks[i];
    size_t type = t.type;
    bool starts_line = prev && t.line > prev->line;
    if (starts_line && (type == P::MINUS || type == P::LPAREN || type == P::LBRACKET) &&
        (in_expr.empty() || !in_expr.back()) && !NeedsMore(prev->type))
      before.push_back(i);
    if (type == P::LPAREN || type == P::LBRACKET)
      in_expr.push_back(true);
    else if (type == P::LBRACE)
      in_expr.push_back(!prev || NeedsMore(prev->type));
    else if ((type == P::RPAREN || type == P::RBRACKET || type == P::RBRACE) && !in_expr.empty())
      in_expr.pop_back();
    prev = &t;
  }
  if (before.empty()) return;
  std::vector<Lexeme> out;
  out.reserve(toks.size() + before.size());
  size_t next = 0;
  for (size_t i = 0; i < toks.size(); ++i) {
    if (next < before.size() && before[next] == i) {
      const Lexeme& t = toks[i];
      out.push_back(Lexeme{P::NEWLINE, t.begin, t.begin, t.line, t.column, false});  // zero width, before t
      ++next;
    }
    out.push_back(toks[i]);
  }
  toks = std::move(out);
}

// The source ANTLR tokens name. ANTLR's error recovery reads a token's source
// (DefaultErrorStrategy::getMissingSymbol) but nothing is read from this one:
// the tokens carry their text, and the parser reads them from a ListTokenSource.
class LexemeSource : public antlr4::TokenSource {
 public:
  std::unique_ptr<antlr4::Token> nextToken() override { return nullptr; }
  size_t getLine() const override { return 0; }
  size_t getCharPositionInLine() override { return 0; }
  antlr4::CharStream* getInputStream() override { return nullptr; }
  std::string getSourceName() override { return ""; }
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override {
    return antlr4::CommonTokenFactory::DEFAULT.get();
  }
};

// The ANTLR token of a lexeme. Its start and stop are byte offsets into the
// lexed text (OffsetMap reads them); its text is its own copy.
std::unique_ptr<antlr4::Token> MakeToken(const Lexeme& l, std::string_view text) {
  static LexemeSource source;
  const bool eof = l.type == kEof;
  auto t =
      std::make_unique<antlr4::CommonToken>(std::make_pair(&source, nullptr), eof ? antlr4::Token::EOF : l.type,
                                            antlr4::Token::DEFAULT_CHANNEL, l.begin, static_cast<size_t>(l.end) - 1);
  t->setText(eof ? std::string("<EOF>") : l.type == P::NEWLINE ? std::string("\n") : std::string(l.Text(text)));
  t->setLine(l.line);
  t->setCharPositionInLine(l.column);
  return t;
}

// ANTLR tokens for lexemes [begin, end), followed by `eof`.
std::vector<std::unique_ptr<antlr4::Token>> MakeTokens(const std::vector<Lexeme>& toks, size_t begin, size_t end,
                                                       const Lexeme& eof, std::string_view text) {
  std::vector<std::unique_ptr<antlr4::Token>> out;
  out.reserve(end - begin + 1);
  for (size_t i = begin; i < end; ++i) out.push_back(MakeToken(toks[i], text));
  out.push_back(MakeToken(eof, text));
  return out;
}

// Tokens that open a nesting level the parser handles by recursion.
bool CheckNesting(const std::vector<Lexeme>& toks, const OffsetMap& map, const SourceFile& src, const ParseOptions& opt,
                  DiagSink& sink) {
  // Each bracket level carries its count of open '?' (ternaries nest to the right).
  std::vector<int> ternaries{0};
  int depth = 0;
  // Statements need no separator, so '-', '(' and '[' after an operand could
  // continue the expression or start the next rule; the parser looks ahead
  // to decide, which costs time quadratic in the run of such tokens. Runs end
  // at tokens no expression contains.
  int run = 0;
  const int max_run = 4 * opt.max_nesting;
  // Each '!' or '-' of a run like `!!!!x` is one level of the parser's recursion.
  int prefix_run = 0;
  for (const auto& t : toks) {
    prefix_run = t.type == P::NOT || t.type == P::MINUS ? prefix_run + 1 : 0;
    if (prefix_run > opt.max_nesting) {
      sink.Report(DiagCode::kNestingTooDeep, &src, Range{map.Begin(t), map.End(t)},
                  "more than " + std::to_string(opt.max_nesting) +
                      " '!' or '-' in a row; the file is not parsed further (the limit is --max-nesting)");
      return false;
    }
    switch (t.type) {
      case P::LBRACE:
      case P::RBRACE:
      case P::BOTH:
      case P::TO_HS:
      case P::TO_SF:
      case P::SEMI:
      case P::ASSIGN:
      case P::NEWLINE:
        run = 0;
        break;
      case P::MINUS:
      case P::LPAREN:
      case P::LBRACKET:
        if (++run > max_run) {
          sink.Report(DiagCode::kNestingTooDeep, &src, Range{map.Begin(t), map.End(t)},
                      "this expression is too long (more than " + std::to_string(max_run) +
                          " '-', '(' and '[' in one rule); split it up (the limit is 4 x --max-nesting)");
          return false;
        }
        break;
      default:
        break;
    }
    switch (t.type) {
      case P::LPAREN:
      case P::LBRACKET:
      case P::LBRACE:
        ++depth;
        ternaries.push_back(0);
        break;
      case P::RPAREN:
      case P::RBRACKET:
      case P::RBRACE:
        if (depth > 0) {
          depth -= 1;
          ternaries.pop_back();
        }
        break;
      case P::QUESTION:
        ++ternaries.back();
        break;
      default:
        break;
    }
    int total = depth + ternaries.back();
    if (total > opt.max_nesting) {
      sink.Report(DiagCode::kNestingTooDeep, &src, Range{map.Begin(t), map.End(t)},
                  "nesting is deeper than " + std::to_string(opt.max_nesting) +
                      " levels; the file is not parsed further (the limit is --max-nesting)");
      return false;
    }
  }
  return true;
}

struct Job {
  const SourceFile* src;
  const ParseOptions* opt;
  DiagSink* sink;
  ParseResult* result;
  bool expr_mode = false;
};

// The text the lexer sees: without a UTF-8 byte order mark (*base is its
// length), and with every lone CR (old Mac line ends) read as LF so that
// ANTLR's line numbers, which the grammar and error messages use, count them.
// Same length as the rest of the source, so offsets carry over.
std::string LexerText(const std::string& text, uint32_t* base) {
  *base = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  std::string out = text.substr(*base);
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i] == '\r' && (i + 1 == out.size() || out[i + 1] != '\n')) out[i] = '\n';
  return out;
}

void RunParse(const Job& job) {
  const SourceFile& src = *job.src;
  DiagSink& sink = *job.sink;
  ast::File& file = *job.result->file;
  uint32_t base = 0;
  const std::string text = LexerText(src.text(), &base);
  OffsetMap map(text, base);

  ErrorState st{&src, &sink, &map};
  st.max = job.opt->max_syntax_errors;

  // Lexes the whole file, reports stray characters, keeps comments, and drops
  // both from the token list the parser sees. Tokens are compact lexemes; each
  // parse below turns only its own part of them into ANTLR tokens.
  std::vector<Lexeme> kept = Lex(text);
  {
    size_t w = 0;  // filtered in place: a big file's lexemes are tens of megabytes
    for (size_t r = 0; r < kept.size(); ++r) {
      const Lexeme l = kept[r];
      if (l.type == P::UNKNOWN_CHAR) {
        std::string ch(l.Text(text));
        std::string msg;
        if (ch == "\"" || ch == "'")
          msg = "unterminated string: a string must end with " + ch +
                " on the same line (use \"\"\" for text over several lines)";
        else if (ch == "`")
          msg = "unexpected character '`'; strings use \" or '";
        else
          msg = "unexpected character '" + ch + "'";
        st.Emit(Range{map.Begin(l), map.End(l)}, msg);
        continue;
      }
      if (l.hidden) {
        if (l.type == P::LINE_COMMENT || l.type == P::BLOCK_COMMENT)
          file.comments.push_back(ast::Comment{Range{map.Begin(l), map.End(l)}, std::string(l.Text(text))});
        continue;
      }
      kept[w++] = l;
    }
    kept.resize(w);
  }
  if (!job.expr_mode && !job.opt->legacy_line_breaks) InsertLineBreaks(kept);
  // An unterminated block comment lexes as '/' '*' ...: say so plainly.
  for (size_t i = 0; i + 1 < kept.size(); ++i) {
    if (kept[i].type == P::SLASH && kept[i + 1].type == P::STAR && kept[i].end == kept[i + 1].begin) {
      st.Emit(Range{map.Begin(kept[i]), map.End(kept[i])}, "unterminated comment: '/*' has no matching '*/'");
      job.result->syntax_errors = st.count;
      return;
    }
  }
  if (!CheckNesting(kept, map, src, *job.opt, sink)) {
    job.result->syntax_errors = st.count + 1;
    return;
  }
  const Lexeme end_of_file = kept.back();

  // Stage 1: fast SLL prediction over the whole file, giving up at the first
  // error. SLL also keeps operator and selection chains linear.
  AstBuilder b(src, map, sink, *job.opt, file);
  if (job.expr_mode) {
    for (int stage = 1; stage <= 2; ++stage) {
      antlr4::ListTokenSource source(MakeTokens(kept, 0, kept.size() - 1, end_of_file, text));
      antlr4::CommonTokenStream tokens(&source);
      AccordParser parser(&tokens);
      parser.removeErrorListeners();
      QuietListener listener(&st);
      if (stage == 1) {
        parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
        parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
      } else {
        parser.addErrorListener(&listener);
        parser.setErrorHandler(std::make_shared<FriendlyErrorStrategy>(&st));
      }
      P::ExprInputContext* tree = nullptr;
      try {
        tree = parser.exprInput();
      } catch (const antlr4::ParseCancellationException&) {
        tree = nullptr;
      }
      if (tree == nullptr) continue;
      if (st.count == 0) {
        ast::ExprPtr e = b.BuildExpr(tree->expr());
        if (st.count + b.errors() == 0) job.result->expr = std::move(e);
      }
      break;
    }
    job.result->syntax_errors = st.count + b.errors() + (job.result->expr ? 0 : (st.count + b.errors() == 0));
    return;
  }
  {
    // Stage 1 for files: SLL over one top-level declaration at a time (split
    // where the brace depth is 0), building each into a staging file before
    // the next is parsed. A declaration's parse tree and tokens are freed as
    // soon as it is built, so the heap is reused instead of grown: a big rule
    // set never holds the whole file's parse tree. Committed only if every
    // declaration parses; otherwise stage 2 starts over with friendly errors.
    ast::File staged;
    DiagSink staged_sink(SIZE_MAX);
    AstBuilder sb(src, map, staged_sink, *job.opt, staged);
    bool ok = true;
    const size_t n = kept.size() - 1;  // the last token is EOF
    size_t begin = 0;
    int depth = 0;
    for (size_t i = 0; i <= n && ok; ++i) {
      size_t type = kept[i].type;
      bool decl_kw =
          type == P::SCHEMA || type == P::VALUES || type == P::SYNC || type == P::LIFECYCLE || type == P::TEST;
      if (i < n && !(decl_kw && depth == 0 && i > begin)) {
        if (type == P::LBRACE) ++depth;
        if (type == P::RBRACE) --depth;
        continue;
      }
      antlr4::ListTokenSource source(MakeTokens(kept, begin, i, end_of_file, text));
      antlr4::CommonTokenStream tokens(&source);
      AccordParser parser(&tokens);
      parser.removeErrorListeners();
      parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
      parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
      P::FileContext* tree = nullptr;
      try {
        tree = parser.file();
      } catch (const antlr4::ParseCancellationException&) {
        tree = nullptr;
      }
      if (tree)
        sb.BuildFile(tree);
      else
        ok = false;
      begin = i;
      if (type == P::LBRACE) ++depth;
      if (type == P::RBRACE) --depth;
    }
    if (ok) {
      file.decls = std::move(staged.decls);
      file.expr_count = staged.expr_count;
      for (const Diagnostic& d : staged_sink.diagnostics()) {
        Diagnostic& copy = sink.Report(d.code, d.file, d.range, d.message);
        copy.notes = d.notes;
        copy.fixit = d.fixit;
      }
      job.result->syntax_errors = st.count + sb.errors();
      return;
    }
  }
  const std::vector<std::pair<size_t, size_t>> unclosed = ReportUnclosedBrackets(kept, text, st);
  // Stage 2 (files with errors only): split at declaration keywords that
  // start a line or sit outside any braces, and parse each declaration alone
  // with full LL prediction, recovery and friendly messages. An error then
  // never swallows the declarations after it.
  std::vector<std::pair<size_t, size_t>> chunks;  // [begin, end) into kept, EOF excluded
  {
    size_t n = kept.size() - 1;  // last is EOF
    size_t begin = 0;
    int depth = 0;
    for (size_t i = 0; i < n; ++i) {
      size_t type = kept[i].type;
      bool decl_kw =
          type == P::SCHEMA || type == P::VALUES || type == P::SYNC || type == P::LIFECYCLE || type == P::TEST;
      bool at_line_start = kept[i].column == 0;
      if (decl_kw && i > begin && (depth <= 0 || at_line_start)) {
        chunks.emplace_back(begin, i);
        begin = i;
        depth = 0;
      }
      if (type == P::LBRACE) ++depth;
      if (type == P::RBRACE) --depth;
    }
    chunks.emplace_back(begin, n);
  }
  QuietListener listener(&st);
  for (auto [begin, end] : chunks) {
    // In a chunk with an unclosed bracket, the parser's errors from the
    // bracket on only say that something is missing at the end: drop them.
    st.mute_from = UINT32_MAX;
    for (auto [open, from] : unclosed)
      if (open >= begin && open < end) st.mute_from = std::min(st.mute_from, map.Begin(kept[std::min(from, end)]));
    // An end-of-input token placed right after the chunk, so "found end of
    // file" is reported where the declaration stops.
    Lexeme eof = end_of_file;
    if (end < kept.size() - 1) eof.begin = eof.end = kept[end].begin;
    antlr4::ListTokenSource source(MakeTokens(kept, begin, end, eof, text));
    antlr4::CommonTokenStream tokens(&source);
    AccordParser parser(&tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
    parser.setErrorHandler(std::make_shared<FriendlyErrorStrategy>(&st));
    P::FileContext* tree = parser.file();
    b.BuildFile(tree);
  }
  job.result->syntax_errors = st.count + b.errors();
  if (st.count - st.muted > st.max) {
    sink.Report(DiagCode::kTooManyErrors, &src, Range{},
                std::to_string(st.count - st.muted - st.max) + " more syntax errors in this file are not shown");
  }
}

void* ThreadMain(void* arg) {
  const Job& job = *static_cast<Job*>(arg);
  try {
    RunParse(job);
  } catch (const std::exception& e) {
    job.sink->Report(DiagCode::kSyntax, job.src, Range{},
                     std::string("internal parser failure (please report): ") + e.what());
    job.result->syntax_errors += 1;
  } catch (...) {
    job.sink->Report(DiagCode::kSyntax, job.src, Range{}, "internal parser failure (please report)");
    job.result->syntax_errors += 1;
  }
  return nullptr;
}

}  // namespace

bool DecodeCelString(std::string_view text, bool* is_bytes, std::string* out, std::string* error) {
  out->clear();
  bool raw = false, bytes = false;
  size_t i = 0;
  while (i < text.size() && (text[i] == 'r' || text[i] == 'R' || text[i] == 'b' || text[i] == 'B')) {
    if (text[i] == 'r' || text[i] == 'R')
      raw = true;
    else
      bytes = true;
    ++i;
  }
  *is_bytes = bytes;
  std::string_view body = text.substr(i);
  size_t q = (body.size() >= 6 && (body.substr(0, 3) == "\"\"\"" || body.substr(0, 3) == "'''")) ? 3 : 1;
  if (body.size() < 2 * q) {
    *error = "malformed string literal";
    return false;
  }
  body = body.substr(q, body.size() - 2 * q);
  if (raw) {
    out->assign(body);
    return true;
  }
  for (size_t k = 0; k < body.size(); ++k) {
    char c = body[k];
    if (c != '\\') {
      *out += c;
      continue;
    }
    if (k + 1 >= body.size()) {
      *error = "string ends with a lone backslash";
      return false;
    }
    char e = body[++k];
    switch (e) {
      case 'a':
        *out += '\a';
        break;
      case 'b':
        *out += '\b';
        break;
      case 'f':
        *out += '\f';
        break;
      case 'n':
        *out += '\n';
        break;
      case 'r':
        *out += '\r';
        break;
      case 't':
        *out += '\t';
        break;
      case 'v':
        *out += '\v';
        break;
      case '\\':
        *out += '\\';
        break;
      case '\'':
        *out += '\'';
        break;
      case '"':
        *out += '"';
        break;
      case '`':
        *out += '`';
        break;
      case '?':
        *out += '?';
        break;
      case 'x':
      case 'X': {
        int h1 = k + 1 < body.size() ? HexVal(body[k + 1]) : -1;
        int h2 = k + 2 < body.size() ? HexVal(body[k + 2]) : -1;
        if (h1 < 0 || h2 < 0) {
          *error = "\\x needs two hex digits";
          return false;
        }
        uint32_t v = static_cast<uint32_t>(h1 * 16 + h2);
        if (bytes)
          *out += static_cast<char>(v);
        else
          AppendUtf8(v, *out);
        k += 2;
        break;
      }
      case 'u':
      case 'U': {
        if (bytes) {
          *error = "\\" + std::string(1, e) + " escapes are not allowed in bytes literals";
          return false;
        }
        size_t n = e == 'u' ? 4 : 8;
        uint32_t v = 0;
        for (size_t j = 1; j <= n; ++j) {
          int h = k + j < body.size() ? HexVal(body[k + j]) : -1;
          if (h < 0) {
            *error = "\\" + std::string(1, e) + " needs " + std::to_string(n) + " hex digits";
            return false;
          }
          v = v * 16 + static_cast<uint32_t>(h);
        }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
          *error = "\\" + std::string(1, e) + " escape is not a valid Unicode code point";
          return false;
        }
        AppendUtf8(v, *out);
        k += n;
        break;
      }
      case '0':
      case '1':
      case '2':
      case '3': {
        if (k + 2 >= body.size()) {
          *error = "octal escape needs three digits";
          return false;
        }
        char o1 = body[k + 1], o2 = body[k + 2];
        if (o1 < '0' || o1 > '7' || o2 < '0' || o2 > '7') {
          *error = "octal escape needs three digits";
          return false;
        }
        uint32_t v = static_cast<uint32_t>((e - '0') * 64 + (o1 - '0') * 8 + (o2 - '0'));
        if (bytes)
          *out += static_cast<char>(v);
        else
          AppendUtf8(v, *out);
        k += 2;
        break;
      }
      default:
        *error = std::string("unknown escape \\") + e;
        return false;
    }
  }
  return true;
}

namespace {
ParseResult ParseImpl(const SourceFile& source, const ParseOptions& options, DiagSink& sink, bool expr_mode) noexcept {
  ParseResult result;
  result.file = std::make_unique<ast::File>();
  result.file->source = &source;
  const std::string& text = source.text();
  if (text.size() > options.max_source_bytes) {
    sink.Report(DiagCode::kSourceTooLarge, &source, Range{0, 0},
                "file is " + std::to_string(text.size()) + " bytes; the limit is " +
                    std::to_string(options.max_source_bytes) + " (raise it with --max-source-bytes)");
    result.syntax_errors = 1;
    return result;
  }
  bool nul = false;
  size_t bad = FindBadUtf8(text, &nul);
  if (bad != std::string_view::npos && nul && expr_mode) {
    // a lone expression may carry a NUL inside a string literal; only check UTF-8
    std::string without(text);
    for (char& c : without)
      if (c == '\0') c = ' ';
    bad = FindBadUtf8(without, &nul);
  }
  if (bad != std::string_view::npos) {
    uint32_t b = static_cast<uint32_t>(bad);
    sink.Report(DiagCode::kBadEncoding, &source, Range{b, b + 1},
                nul ? "file contains a NUL byte: it looks like a binary file, not Accord rules"
                    : "file is not valid UTF-8 (byte " + std::to_string(bad) + ")");
    result.syntax_errors = 1;
    return result;
  }
  ParseOptions clamped = options;
  clamped.max_nesting = std::clamp(options.max_nesting, 1, kMaxNestingLimit);
  // Parse on a thread with a large stack: ANTLR's recursive descent is bounded
  // by the nesting limit, but generously so.
  Job job{&source, &clamped, &sink, &result, expr_mode};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256u << 20);
  pthread_t th;
  if (pthread_create(&th, &attr, &ThreadMain, &job) == 0) {
    pthread_join(th, nullptr);
  } else {
    ThreadMain(&job);
  }
  pthread_attr_destroy(&attr);
  return result;
}

}  // namespace

ParseResult Parse(const SourceFile& source, const ParseOptions& options, DiagSink& sink) noexcept {
  return ParseImpl(source, options, sink, false);
}

ParseResult ParseExpression(const SourceFile& source, const ParseOptions& options, DiagSink& sink) noexcept {
  return ParseImpl(source, options, sink, true);
}

}  // namespace accord::syntax
