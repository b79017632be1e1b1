#include "compiler/syntax/parser.h"

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <functional>
#include <set>

#include "AccordParser.h"
#include "antlr4-runtime.h"
#include "compiler/syntax/lexer.h"

namespace accord::syntax {
namespace {

// CEL integer digits (decimal, or hex after 0x) -> value; false when they do not fit in 64 bits.
bool ParseCelDigits(const std::string& digits, unsigned long long* out) {
  bool hex = digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
  errno = 0;
  *out = std::strtoull(digits.c_str() + (hex ? 2 : 0), nullptr, hex ? 16 : 10);
  return errno != ERANGE;
}

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
    case antlr4::Token::EOF: return "end of file";
    case P::NEWLINE: return "a line break";
    case P::IDENT: return "a name";
    case P::QUOTED_IDENT: return "a `quoted` field name";
    case P::STRING: return "a string";
    case P::BYTES: return "a bytes literal";
    case P::NUM_INT:
    case P::NUM_UINT:
    case P::NUM_FLOAT: return "a number";
    default: break;
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
    case P::RuleSchemaDecl: return "a schema declaration";
    case P::RuleValuesDecl:
    case P::RuleValueEntry:
    case P::RuleElseTarget:
    case P::RuleValueLit: return "a values table";
    case P::RuleSyncDecl:
    case P::RuleSyncItem:
    case P::RuleMatchKey:
    case P::RuleCreateDefault:
    case P::RuleFieldOption:
    case P::RuleDirectedTransform: return "a sync block";
    case P::RuleConflictPolicy: return "a conflict policy";
    case P::RuleBlankPolicy: return "a blank policy";
    case P::RuleDeletePolicy: return "a delete policy";
    case P::RuleLifecycleDecl:
    case P::RuleLifecycleItem:
    case P::RuleStage: return "a lifecycle block";
    case P::RuleTestDecl:
    case P::RuleTestItem:
    case P::RuleRecordLit:
    case P::RuleRecordField: return "a test block";
    case P::RuleObjectRef:
    case P::RuleFieldPath:
    case P::RuleSide: return "an object reference";
    case P::RuleFile:
    case P::RuleDecl: return "";
    default: return "an expression";
  }
}

// Maps token positions to byte offsets in the source. Tokens carry byte
// offsets into the text the lexer saw; `base` is the number of bytes before it
// (a UTF-8 byte order mark). Tokens ANTLR conjures up in error recovery have
// no position: they sit at the end.
class OffsetMap {
 public:
  OffsetMap(std::string_view text, uint32_t base) : base_(base), size_(static_cast<uint32_t>(text.size())) {}
  uint32_t Begin(const antlr4::Token* t) const {
    if (!t) return 0;
    auto s = t->getStartIndex();
    if (s == INVALID_INDEX || s > size_) return base_ + size_;
    return base_ + static_cast<uint32_t>(s);
  }
  uint32_t End(const antlr4::Token* t) const {
    if (!t) return 0;
    auto s = t->getStopIndex();
    if (s == INVALID_INDEX || s + 1 > size_) return Begin(t);
    return base_ + static_cast<uint32_t>(s + 1);
  }
  uint32_t Begin(const Lexeme& l) const { return base_ + l.begin; }
  uint32_t End(const Lexeme& l) const { return base_ + l.end; }

 private:
  uint32_t base_;
  uint32_t size_;
};

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
    std::string msg = "this '" + std::string(o.Text(text)) + "' is never closed: " + want + " is missing before " +
                      (e.type == kEof ? std::string("the end of the file")
                                      : ShowToken(e.type, std::string(e.Text(text))) + " on line " +
                                            std::to_string(e.line));
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
      st_->ReportAfter(p->getTokenStream()->LT(-1),
                       "expected " + exp + Where(p) + " at the end of this line" +
                           (tok->getType() == P::NEWLINE ? std::string()
                                                         : ", found " + ShowToken(tok) + " on the next"));
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

// ---- AST builder -------------------------------------------------------------------

class Builder {
 public:
  Builder(const SourceFile& src, const OffsetMap& map, DiagSink& sink, const ParseOptions& opt, ast::File& file)
      : src_(src), map_(map), sink_(sink), opt_(opt), file_(file) {}

  bool too_deep() const { return too_deep_; }
  size_t errors() const { return errors_ + (too_deep_ ? 1 : 0); }
  ast::ExprPtr BuildExpr(P::ExprContext* c) { return Expr(c); }

  void BuildFile(P::FileContext* ctx) {
    for (auto* d : ctx->decl()) {
      if (auto* s = d->schemaDecl()) {
        if (auto v = Schema(s)) file_.decls.emplace_back(std::move(*v));
      } else if (auto* v = d->valuesDecl()) {
        if (auto r = Values(v)) file_.decls.emplace_back(std::move(*r));
      } else if (auto* y = d->syncDecl()) {
        if (auto r = Sync(y)) file_.decls.emplace_back(std::move(*r));
      } else if (auto* l = d->lifecycleDecl()) {
        if (auto r = Lifecycle(l)) file_.decls.emplace_back(std::move(*r));
      } else if (auto* t = d->testDecl()) {
        if (auto r = Test(t)) file_.decls.emplace_back(std::move(*r));
      }
    }
  }

 private:
  Range R(antlr4::ParserRuleContext* c) const {
    if (!c) return {};
    uint32_t b = map_.Begin(c->getStart());
    uint32_t e = c->getStop() ? map_.End(c->getStop()) : b;
    if (e < b) e = b;
    return Range{b, e};
  }
  Range R(antlr4::Token* t) const { return Range{map_.Begin(t), map_.End(t)}; }
  Range R(antlr4::tree::TerminalNode* n) const { return n ? R(n->getSymbol()) : Range{}; }

  // A rule's text. Names and literals are one token: their text is read from
  // it, not through RuleContext::getText, which builds a stringstream per
  // call (a tenth of the parse of a big rule set).
  static std::string Text(antlr4::ParserRuleContext* c) {
    if (c->children.size() == 1)
      if (auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(c->children[0])) return t->getText();
    return c->getText();
  }

  std::optional<ast::Name> N(P::IdentContext* c) {
    if (!c || c->getStart() == nullptr) return std::nullopt;
    std::string t = Text(c);
    if (t.empty() || t.find("<missing") != std::string::npos) return std::nullopt;
    return ast::Name{t, R(c)};
  }
  static ast::Side S(P::SideContext* c) {
    return c && c->HUBSPOT() ? ast::Side::kHubSpot : ast::Side::kSalesforce;
  }
  static ast::Direction D(P::ArrowContext* c) {
    if (!c) return ast::Direction::kBoth;
    if (c->TO_HS()) return ast::Direction::kToHubSpot;
    if (c->TO_SF()) return ast::Direction::kToSalesforce;
    return ast::Direction::kBoth;
  }
  std::optional<ast::ObjectRef> Obj(P::ObjectRefContext* c) {
    if (!c || !c->side()) return std::nullopt;
    auto n = N(c->ident());
    if (!n) return std::nullopt;
    return ast::ObjectRef{S(c->side()), *n, R(c)};
  }
  std::optional<ast::FieldPath> Path(P::FieldPathContext* c) {
    if (!c || !c->side() || c->ident().size() != 2) return std::nullopt;
    auto o = N(c->ident(0)), f = N(c->ident(1));
    if (!o || !f) return std::nullopt;
    return ast::FieldPath{S(c->side()), *o, *f, R(c)};
  }

  // Problems the builder finds make the AST incomplete: they count as
  // syntax errors so that later phases (and `accord fmt`) leave the file alone.
  void BadLiteral(Range r, const std::string& msg) {
    ++errors_;
    sink_.Report(DiagCode::kBadLiteral, &src_, r, msg);
  }
  // A field option given twice: reported, the first one kept. The AST is
  // complete, so this does not count as a syntax error: the checker still
  // checks the file (a second `with` hid every other error in it).
  void Duplicate(Range r, const std::string& what) {
    sink_.Report(DiagCode::kDuplicatePolicy, &src_, r, "this field rule already has " + what + "; the first one is used");
  }

  std::optional<ast::ValueLit> Value(P::ValueLitContext* c) {
    if (!c || !c->getStart()) return std::nullopt;
    ast::ValueLit v;
    v.text = Text(c);
    v.range = R(c);
    if (c->STRING()) {
      bool bytes = false;
      std::string err;
      if (!DecodeCelString(v.text, &bytes, &v.value, &err)) {
        BadLiteral(v.range, err);
        return std::nullopt;
      }
      v.kind = ast::LiteralKind::kString;
    } else if (c->NUM_INT()) {
      // the value as decimal text (a hex literal too): lowering reads it back exactly
      v.kind = ast::LiteralKind::kInt;
      unsigned long long n = 0;
      if (!ParseCelDigits(v.text, &n) || n > 9223372036854775807ULL) {
        BadLiteral(v.range, "integer literal " + v.text + " does not fit in a 64-bit int");
        return std::nullopt;
      }
      v.value = std::to_string(n);
    } else if (c->NUM_UINT()) {
      v.kind = ast::LiteralKind::kUint;
      unsigned long long n = 0;
      if (!ParseCelDigits(v.text.substr(0, v.text.size() - 1), &n)) {
        BadLiteral(v.range, "unsigned literal " + v.text + " does not fit in 64 bits");
        return std::nullopt;
      }
      v.value = std::to_string(n);
    } else if (c->NUM_FLOAT()) {
      v.kind = ast::LiteralKind::kDouble;
      v.value = v.text;
    } else if (c->TRUE() || c->FALSE()) {
      v.kind = ast::LiteralKind::kBool;
      v.value = v.text;
    } else if (c->NUL()) {
      v.kind = ast::LiteralKind::kNull;
      v.value = "null";
    } else {
      return std::nullopt;
    }
    return v;
  }

  std::optional<ast::SchemaDecl> Schema(P::SchemaDeclContext* c) {
    if (!c->side() || !c->STRING()) return std::nullopt;
    ast::SchemaDecl d;
    d.side = S(c->side());
    bool bytes;
    std::string err;
    if (!DecodeCelString(c->STRING()->getText(), &bytes, &d.path, &err)) {
      BadLiteral(R(c->STRING()), err);
      return std::nullopt;
    }
    d.path_range = R(c->STRING());
    d.range = R(c);
    return d;
  }

  std::optional<ast::ValuesDecl> Values(P::ValuesDeclContext* c) {
    auto name = N(c->ident());
    auto l = Path(c->fieldPath(0)), r = Path(c->fieldPath(1));
    if (!name || !l || !r) return std::nullopt;
    ast::ValuesDecl d;
    d.name = *name;
    d.left = *l;
    d.right = *r;
    d.dir = D(c->arrow());
    d.range = R(c);
    const std::vector<P::ValueEntryContext*> entries = c->valueEntry();
    d.entries.reserve(entries.size());  // exact: a big rule set holds thousands of tables
    for (auto* e : entries) {
      if (auto* p = dynamic_cast<P::ValuePairContext*>(e)) {
        auto a = Value(p->valueLit(0)), b = Value(p->valueLit(1));
        if (!a || !b) continue;
        d.entries.emplace_back(ast::ValuePair{*a, *b, D(p->arrow()), R(p)});
      } else if (auto* el = dynamic_cast<P::ValueElseContext*>(e)) {
        ast::ValueElse v;
        v.dir = D(el->arrow());
        v.range = R(el);
        auto* t = el->elseTarget();
        if (!t) continue;
        if (t->REJECT()) {
          v.kind = ast::ElseKind::kReject;
        } else if (t->KEEP()) {
          v.kind = ast::ElseKind::kKeep;
        } else {
          auto val = Value(t->valueLit());
          if (!val) continue;
          v.kind = ast::ElseKind::kValue;
          v.value = *val;
        }
        d.entries.emplace_back(std::move(v));
      }
    }
    return d;
  }

  std::optional<ast::ConflictPolicy> Conflict(P::ConflictPolicyContext* c) {
    if (!c) return std::nullopt;
    ast::ConflictPolicy p;
    p.range = R(c);
    if (dynamic_cast<P::ConflictTwoWayContext*>(c)) {
      p.kind = ast::ConflictKind::kTwoWay;
    } else if (auto* pr = dynamic_cast<P::ConflictPreferContext*>(c)) {
      if (!pr->side()) return std::nullopt;
      p.side = S(pr->side());
      p.kind = pr->UNLESS() ? ast::ConflictKind::kPreferUnlessBlank : ast::ConflictKind::kPrefer;
    } else if (dynamic_cast<P::ConflictDontSyncContext*>(c)) {
      p.kind = ast::ConflictKind::kDontSync;
    } else {
      return std::nullopt;
    }
    return p;
  }

  std::optional<ast::BlankPolicy> Blank(P::BlankPolicyContext* c) {
    if (!c) return std::nullopt;
    ast::BlankPolicy p;
    p.range = R(c);
    if (dynamic_cast<P::BlankIgnoreContext*>(c)) {
      p.kind = ast::BlankKind::kIgnore;
    } else if (dynamic_cast<P::BlankClearContext*>(c)) {
      p.kind = ast::BlankKind::kClear;
    } else if (auto* d = dynamic_cast<P::BlankDefaultContext*>(c)) {
      p.kind = ast::BlankKind::kDefault;
      p.default_value = Expr(d->expr());
      if (!p.default_value) return std::nullopt;
    } else {
      return std::nullopt;
    }
    return p;
  }

  std::optional<ast::SyncDecl> Sync(P::SyncDeclContext* c) {
    auto name = N(c->ident());
    auto l = Obj(c->objectRef(0)), r = Obj(c->objectRef(1));
    if (!name || !l || !r) return std::nullopt;
    ast::SyncDecl d;
    d.name = *name;
    d.left = *l;
    d.right = *r;
    d.dir = D(c->arrow());
    d.range = R(c);
    const std::vector<P::SyncItemContext*> items = c->syncItem();
    d.items.reserve(items.size());  // exact: a big sync holds hundreds of rules
    for (auto* item : items) {
      Range ir = R(item);
      // Field rules first: they are most of a big rule set, and each failed
      // dynamic_cast costs (it was 13% of `accord check` on 40,000 rules).
      if (auto* fr = dynamic_cast<P::FieldRuleItemContext*>(item)) {
        if (fr->expr().size() != 2) continue;
        ast::FieldRule rule;
        rule.salesforce = Expr(fr->expr(0));
        rule.hubspot = Expr(fr->expr(1));
        if (!rule.salesforce || !rule.hubspot) continue;
        rule.dir = D(fr->arrow());
        rule.arrow_range = R(fr->arrow());
        rule.range = ir;
        bool ok = true;
        for (auto* o : fr->fieldOption()) {
          if (auto* w = dynamic_cast<P::WithOptionContext*>(o)) {
            auto e = Expr(w->expr());
            ok &= e != nullptr;
            if (rule.with) Duplicate(R(o), "a `with` transform");
            else rule.with = std::move(e);
          } else if (auto* v = dynamic_cast<P::ViaOptionContext*>(o)) {
            auto n = N(v->ident());
            ok &= n.has_value();
            if (rule.via) Duplicate(R(o), "a `via` table");
            else if (n) rule.via = *n;
          } else if (auto* fc = dynamic_cast<P::FieldConflictOptionContext*>(o)) {
            auto c = Conflict(fc->conflictPolicy());
            ok &= c.has_value();
            if (rule.conflict) Duplicate(R(o), "a conflict policy");
            else rule.conflict = c;
          } else if (auto* fb = dynamic_cast<P::FieldBlankOptionContext*>(o)) {
            auto b = Blank(fb->blankPolicy());
            ok &= b.has_value();
            if (rule.blank) Duplicate(R(o), "a blank policy");
            else if (b) rule.blank = std::move(*b);
          } else if (auto* t = dynamic_cast<P::TransformOptionContext*>(o)) {
            bool second_block = !rule.transforms.empty();
            if (second_block) Duplicate(R(o), "a `{ to ...: }` transform block");
            for (auto* dt : t->directedTransform()) {
              auto e = Expr(dt->expr());
              if (!e || !dt->side()) {
                ok = false;
                continue;
              }
              if (second_block) continue;
              bool twice = false;
              for (const auto& prev : rule.transforms) twice |= prev.to == S(dt->side());
              if (twice) Duplicate(R(dt), "a transform in this direction");
              else rule.transforms.push_back(ast::DirectedTransform{S(dt->side()), std::move(e), R(dt)});
            }
          }
        }
        if (!ok) continue;
        d.items.emplace_back(std::move(rule));
      } else if (auto* m = dynamic_cast<P::MatchItemContext*>(item)) {
        ast::MatchRule mr;
        mr.range = ir;
        if (auto* f = dynamic_cast<P::MatchFieldsContext*>(m->matchKey())) {
          auto a = N(f->ident(0)), b = N(f->ident(1));
          if (!a || !b) continue;
          mr.explicit_fields = true;
          mr.sf_field = *a;
          mr.hs_field = *b;
        } else if (auto* k = dynamic_cast<P::MatchNamedContext*>(m->matchKey())) {
          auto a = N(k->ident());
          if (!a) continue;
          mr.key = *a;
        } else {
          continue;
        }
        d.items.emplace_back(std::move(mr));
      } else if (auto* s = dynamic_cast<P::ScopeItemContext*>(item)) {
        auto e = Expr(s->expr());
        if (!e || !s->side()) continue;
        d.items.emplace_back(ast::ScopeRule{S(s->side()), std::move(e), ir});
      } else if (auto* cr = dynamic_cast<P::CreateItemContext*>(item)) {
        if (!cr->side()) continue;
        ast::CreateRule rule;
        rule.side = S(cr->side());
        rule.only = cr->ONLY() != nullptr;
        rule.range = ir;
        if (cr->WHEN()) {
          rule.when = Expr(cr->expr());
          if (!rule.when) continue;
        }
        d.items.emplace_back(std::move(rule));
      } else if (auto* cf = dynamic_cast<P::ConflictItemContext*>(item)) {
        auto p = Conflict(cf->conflictPolicy());
        if (!p) continue;
        d.items.emplace_back(ast::ConflictDefault{*p, ir});
      } else if (auto* bl = dynamic_cast<P::BlankItemContext*>(item)) {
        auto p = Blank(bl->blankPolicy());
        if (!p) continue;
        d.items.emplace_back(ast::BlankDefault{std::move(*p), ir});
      } else if (auto* cv = dynamic_cast<P::ConvertsItemContext*>(item)) {
        auto n = N(cv->ident());
        if (!n) continue;
        d.items.emplace_back(ast::ConvertsTo{*n, ir});
      } else if (auto* oc = dynamic_cast<P::OnCreateItemContext*>(item)) {
        if (!oc->side()) continue;
        ast::OnCreate on;
        on.side = S(oc->side());
        on.range = ir;
        for (auto* a : oc->createDefault()) {
          auto n = N(a->ident());
          auto e = Expr(a->expr());
          if (!n || !e) continue;
          on.assignments.push_back(ast::Assignment{*n, std::move(e), R(a)});
        }
        d.items.emplace_back(std::move(on));
      } else if (auto* as = dynamic_cast<P::AssociateItemContext*>(item)) {
        auto a = N(as->ident(0)), b = N(as->ident(1));
        if (!a || !b) continue;
        d.items.emplace_back(ast::Associate{*a, D(as->arrow()), *b, ir});
      } else if (auto* de = dynamic_cast<P::DeleteItemContext*>(item)) {
        auto* p = de->deletePolicy();
        if (!p) continue;
        ast::DeleteRule rule;
        rule.kind = p->PROPAGATE() ? ast::DeleteKind::kPropagate
                    : p->UNLINK()  ? ast::DeleteKind::kUnlink
                                   : ast::DeleteKind::kKeep;
        if (de->FROM() && de->side()) rule.from = S(de->side());
        rule.range = ir;
        d.items.emplace_back(std::move(rule));
      }
    }
    return d;
  }

  std::optional<ast::Stage> StageOf(P::StageContext* c) {
    if (!c) return std::nullopt;
    ast::Stage s;
    s.range = R(c);
    if (c->STRING()) {
      bool b;
      std::string err;
      if (!DecodeCelString(c->STRING()->getText(), &b, &s.name, &err)) {
        BadLiteral(s.range, err);
        return std::nullopt;
      }
      s.quoted = true;
    } else {
      auto n = N(c->ident());
      if (!n) return std::nullopt;
      s.name = n->text;
    }
    return s;
  }

  std::optional<ast::LifecycleDecl> Lifecycle(P::LifecycleDeclContext* c) {
    auto p = Path(c->fieldPath());
    if (!p) return std::nullopt;
    ast::LifecycleDecl d;
    d.property = *p;
    d.range = R(c);
    for (auto* item : c->lifecycleItem()) {
      Range ir = R(item);
      if (auto* o = dynamic_cast<P::OrderItemContext*>(item)) {
        ast::StageOrder so;
        so.range = ir;
        for (auto* s : o->stage())
          if (auto st = StageOf(s)) so.stages.push_back(*st);
        d.items.emplace_back(std::move(so));
      } else if (dynamic_cast<P::ForwardOnlyItemContext*>(item)) {
        d.items.emplace_back(ast::ForwardOnly{ir});
      } else if (auto* t = dynamic_cast<P::TriggerItemContext*>(item)) {
        auto f = Path(t->fieldPath());
        auto v = Value(t->valueLit());
        auto s = StageOf(t->stage());
        if (!f || !v || !s) continue;
        ast::Trigger tr;
        tr.field = *f;
        tr.value = *v;
        tr.stage = *s;
        tr.range = ir;
        if (t->FOR()) {
          auto a = N(t->ident(0)), b = N(t->ident(1));
          if (!a || !b) continue;
          tr.for_object = *a;
          tr.of_field = *b;
        }
        d.items.emplace_back(std::move(tr));
      }
    }
    return d;
  }

  std::optional<ast::RecordLit> Record(P::RecordLitContext* c) {
    if (!c) return std::nullopt;
    ast::RecordLit r;
    r.range = R(c);
    for (auto* f : c->recordField()) {
      auto n = N(f->ident());
      auto e = Expr(f->expr());
      if (!n || !e) return std::nullopt;
      r.fields.push_back(ast::RecordField{*n, std::move(e), R(f)});
    }
    return r;
  }

  std::optional<ast::TestDecl> Test(P::TestDeclContext* c) {
    if (!c->STRING()) return std::nullopt;
    ast::TestDecl d;
    bool b;
    std::string err;
    if (!DecodeCelString(c->STRING()->getText(), &b, &d.name, &err)) {
      BadLiteral(R(c->STRING()), err);
      return std::nullopt;
    }
    d.name_range = R(c->STRING());
    d.range = R(c);
    for (auto* item : c->testItem()) {
      Range ir = R(item);
      if (auto* g = dynamic_cast<P::GivenItemContext*>(item)) {
        auto o = Obj(g->objectRef());
        auto r = Record(g->recordLit());
        if (!o || !r) continue;
        ast::Given given;
        given.linked = g->LINKED() != nullptr;
        given.object = *o;
        given.record = std::move(*r);
        given.range = ir;
        if (g->STRING()) {
          std::string id;
          if (!DecodeCelString(g->STRING()->getText(), &b, &id, &err)) {
            BadLiteral(R(g->STRING()), err);
            continue;
          }
          given.id = id;
          given.id_range = R(g->STRING());
        }
        d.items.emplace_back(std::move(given));
      } else if (auto* e = dynamic_cast<P::ExpectRecordContext*>(item)) {
        auto o = Obj(e->objectRef());
        auto r = Record(e->recordLit());
        if (!o || !r) continue;
        d.items.emplace_back(ast::ExpectRecord{*o, std::move(*r), ir});
      } else if (dynamic_cast<P::ExpectNothingContext*>(item)) {
        d.items.emplace_back(ast::ExpectNothing{ir});
      } else if (auto* er = dynamic_cast<P::ExpectErrorContext*>(item)) {
        auto n = N(er->ident());
        if (!n) continue;
        d.items.emplace_back(ast::ExpectError{*n, ir});
      }
    }
    return d;
  }

  // ---- expressions ----

  ast::ExprPtr New(ast::ExprKind k, Range r) {
    auto e = ast::MakeExpr(k, r);
    e->id = ++file_.expr_count;
    return e;
  }

  // The AST levels a construct adds above the nodes built inside it, held
  // while those are built. Every AST node counts (a unary operator, a link of
  // an operator chain, a selection, a call, a list) so that no expression is
  // deeper than --max-nesting and every later recursive walk (checker,
  // lowering, formatter, diff, LSP) is bounded by it. Links of a chain are
  // counted for all operands, not only the deepest one: a safe overestimate.
  struct DepthGuard {
    Builder* b;
    int n;
    DepthGuard(Builder* b, int n) : b(b), n(n) { b->depth_ += n; }
    ~DepthGuard() { b->depth_ -= n; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
  };

  bool CheckDepth(Range r) {
    if (depth_ <= opt_.max_nesting) return true;
    if (!too_deep_) {
      too_deep_ = true;
      sink_.Report(DiagCode::kNestingTooDeep, &src_, r,
                   "expression is nested more than " + std::to_string(opt_.max_nesting) +
                       " levels deep; split it up (the limit is --max-nesting)");
    }
    return false;
  }

  static std::optional<ast::BinaryOp> OpOf(antlr4::Token* t) {
    if (!t) return std::nullopt;
    switch (t->getType()) {
      case P::OR: return ast::BinaryOp::Or;
      case P::AND: return ast::BinaryOp::And;
      case P::LT: return ast::BinaryOp::Lt;
      case P::LE: return ast::BinaryOp::Le;
      case P::GT: return ast::BinaryOp::Gt;
      case P::GE: return ast::BinaryOp::Ge;
      case P::EQ: return ast::BinaryOp::Eq;
      case P::NE: return ast::BinaryOp::Ne;
      case P::IN: return ast::BinaryOp::In;
      case P::PLUS: return ast::BinaryOp::Add;
      case P::MINUS: return ast::BinaryOp::Sub;
      case P::STAR: return ast::BinaryOp::Mul;
      case P::SLASH: return ast::BinaryOp::Div;
      case P::PERCENT: return ast::BinaryOp::Mod;
      default: return std::nullopt;
    }
  }

  // What CEL's grammar does not allow but the one `expr` rule parses.
  void NotCel(Range r, const std::string& msg) {
    ++errors_;
    sink_.Report(DiagCode::kSyntax, &src_, r, msg);
  }
  static bool IsPrefix(P::ExprContext* c) {
    return dynamic_cast<P::ExprNotContext*>(c) || dynamic_cast<P::ExprNegateContext*>(c);
  }

  // `expr` is left-recursive: a chain of operators, selections, calls and
  // indexes nests on the left. The left spine is walked with a loop and built
  // bottom-up; only right operands (and what is inside brackets) recurse, and
  // their depth is bounded by CheckNesting before the parse.
  ast::ExprPtr Expr(P::ExprContext* c) {
    if (!c) return nullptr;
    DepthGuard g(this, 1);
    if (!CheckDepth(R(c))) return nullptr;
    std::vector<P::ExprContext*> spine;
    P::ExprContext* cur = c;
    for (;;) {
      P::ExprContext* next = nullptr;
      if (dynamic_cast<P::ExprPrimaryContext*>(cur)) break;  // the usual case: a name or literal
      if (auto* bi = dynamic_cast<P::ExprBinaryContext*>(cur)) next = bi->expr(0);
      else if (auto* s = dynamic_cast<P::ExprSelectContext*>(cur)) next = s->expr();
      else if (auto* k = dynamic_cast<P::ExprCallContext*>(cur)) next = k->expr();
      else if (auto* i = dynamic_cast<P::ExprIndexContext*>(cur)) next = i->expr(0);
      else if (auto* co = dynamic_cast<P::ExprConditionalContext*>(cur)) next = co->expr(0);
      if (!next) break;
      spine.push_back(cur);
      cur = next;
      if (static_cast<int>(spine.size()) + depth_ > opt_.max_nesting) {
        DepthGuard over(this, static_cast<int>(spine.size()));
        CheckDepth(R(c));
        return nullptr;
      }
    }
    DepthGuard spine_guard(this, static_cast<int>(spine.size()));
    ast::ExprPtr acc = Leaf(cur);
    for (auto it = spine.rbegin(); it != spine.rend() && acc; ++it) {
      Range r = R(*it);
      if (auto* s = dynamic_cast<P::ExprSelectContext*>(*it)) {
        auto n = MemberName(s->selector());
        if (!n) return nullptr;
        auto e = New(ast::ExprKind::kSelect, r);
        e->name = n->text;
        e->name_range = n->range;
        e->operand = std::move(acc);
        acc = std::move(e);
      } else if (auto* k = dynamic_cast<P::ExprCallContext*>(*it)) {
        auto n = MemberName(k->methodName());
        if (!n) return nullptr;
        auto e = New(ast::ExprKind::kCall, r);
        e->name = n->text;
        e->name_range = n->range;
        e->call_has_parens = true;
        e->operand = std::move(acc);
        if (!Args(k->exprList(), e->args)) return nullptr;
        acc = std::move(e);
      } else if (auto* i = dynamic_cast<P::ExprIndexContext*>(*it)) {
        auto idx = Expr(i->expr(1));
        if (!idx) return nullptr;
        auto e = New(ast::ExprKind::kIndex, r);
        e->operand = std::move(acc);
        e->args.push_back(std::move(idx));
        acc = std::move(e);
      } else if (auto* bi = dynamic_cast<P::ExprBinaryContext*>(*it)) {
        auto op = OpOf(bi->op);
        if (!op) return nullptr;
        acc = Binary(*op, std::move(acc), Expr(bi->expr(1)));
      } else if (auto* co = dynamic_cast<P::ExprConditionalContext*>(*it)) {
        if (dynamic_cast<P::ExprConditionalContext*>(co->expr(1))) {
          NotCel(R(co->expr(1)), "a conditional in the middle of a conditional needs parentheses: a ? (b ? c : d) : e");
          return nullptr;
        }
        auto t = Expr(co->expr(1));
        auto f = Expr(co->expr(2));
        if (!t || !f) return nullptr;
        auto e = New(ast::ExprKind::kConditional, r);
        e->args.push_back(std::move(acc));
        e->args.push_back(std::move(t));
        e->args.push_back(std::move(f));
        acc = std::move(e);
      }
    }
    return acc;
  }

  ast::ExprPtr Binary(ast::BinaryOp op, ast::ExprPtr l, ast::ExprPtr r) {
    if (!l || !r) return nullptr;
    Range range = Range::Join(l->range, r->range);
    auto e = New(ast::ExprKind::kBinary, range);
    e->binary_op = op;
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }

  static P::ExprContext* PrefixOperand(P::ExprContext* c) {
    if (auto* n = dynamic_cast<P::ExprNotContext*>(c)) return n->expr();
    if (auto* m = dynamic_cast<P::ExprNegateContext*>(c)) return m->expr();
    return nullptr;
  }

  // The bottom of a left spine: a primary, or a run of '!' or '-' (walked
  // with a loop: each operator of the run is its own parse-tree node).
  ast::ExprPtr Leaf(P::ExprContext* c) {
    if (auto* p = dynamic_cast<P::ExprPrimaryContext*>(c)) return Primary(p->primary());
    const bool is_not = dynamic_cast<P::ExprNotContext*>(c) != nullptr;
    const bool mc = !is_not;
    size_t count = 0;
    P::ExprContext* operand = c;
    while (operand && (is_not ? dynamic_cast<P::ExprNotContext*>(operand) != nullptr
                              : dynamic_cast<P::ExprNegateContext*>(operand) != nullptr)) {
      ++count;
      operand = PrefixOperand(operand);
    }
    if (count == 0 || !operand) return nullptr;
    if (IsPrefix(operand)) {  // CEL: unary = '!'+ member | '-'+ member
      NotCel(R(operand), std::string("'") + (is_not ? "!" : "-") + "' cannot be followed by '" +
                             (is_not ? "-" : "!") + "' here; write " + (is_not ? "!(-x)" : "-(!x)"));
      return nullptr;
    }
    DepthGuard g(this, static_cast<int>(std::min<size_t>(count, kMaxDepth)));
    if (!CheckDepth(R(c))) return nullptr;
    // -<int literal> is a literal itself so that the minimum int64 can be written.
    if (mc) {
      if (auto* pp = dynamic_cast<P::ExprPrimaryContext*>(operand)) {
        if (auto* pl = dynamic_cast<P::PrimaryLiteralContext*>(pp->primary())) {
          auto* lit = pl->literal();
          if (lit && (lit->NUM_INT() || lit->NUM_FLOAT())) {
            auto e = Literal(lit, /*negate=*/true);
            if (!e) return nullptr;
            e->range = R(c);
            for (size_t i = 1; i < count && e; ++i) {
              auto u = New(ast::ExprKind::kUnary, R(c));
              u->unary_op = ast::UnaryOp::kNeg;
              u->operand = std::move(e);
              e = std::move(u);
            }
            return e;
          }
        }
      }
    }
    auto inner = Expr(operand);
    // The operand context counted one level for itself; unary nodes sit on top.
    for (size_t i = 0; i < count && inner; ++i) {
      auto e = New(ast::ExprKind::kUnary, R(c));
      e->unary_op = is_not ? ast::UnaryOp::kNot : ast::UnaryOp::kNeg;
      e->operand = std::move(inner);
      inner = std::move(e);
    }
    return inner;
  }

  bool Args(P::ExprListContext* l, std::vector<ast::ExprPtr>& out) {
    if (!l) return true;
    for (auto* e : l->expr()) {
      auto x = Expr(e);
      if (!x) return false;
      out.push_back(std::move(x));
    }
    return true;
  }

  // The name after a '.' (a selector or method name): an identifier, `else`,
  // or a backtick-quoted field name, which is unquoted here.
  std::optional<ast::Name> MemberName(antlr4::ParserRuleContext* c) {
    if (!c || c->getStart() == nullptr) return std::nullopt;
    std::string t = Text(c);
    if (t.empty() || t.find("<missing") != std::string::npos) return std::nullopt;
    if (t.size() >= 2 && t.front() == '`' && t.back() == '`') t = t.substr(1, t.size() - 2);
    return ast::Name{t, R(c)};
  }

  ast::ExprPtr Primary(P::PrimaryContext* c) {
    if (!c) return nullptr;
    Range r = R(c);
    if (auto* id = dynamic_cast<P::PrimaryIdentContext*>(c)) {
      auto n = N(id->ident());
      if (!n) return nullptr;
      bool call = id->LPAREN() != nullptr;
      auto e = New(call ? ast::ExprKind::kCall : ast::ExprKind::kIdent, r);
      e->name = n->text;
      e->name_range = n->range;
      if (call) {
        e->call_has_parens = true;
        DepthGuard g(this, 1);
        if (!Args(id->exprList(), e->args)) return nullptr;
      }
      return e;
    }
    if (auto* p = dynamic_cast<P::PrimaryParenContext*>(c)) {
      auto e = Expr(p->expr());
      if (!e) return nullptr;
      e->parens += 1;
      e->range = r;
      return e;
    }
    if (auto* l = dynamic_cast<P::PrimaryListContext*>(c)) {
      DepthGuard g(this, 1);
      auto e = New(ast::ExprKind::kList, r);
      if (!Args(l->exprList(), e->args)) return nullptr;
      return e;
    }
    if (auto* m = dynamic_cast<P::PrimaryMapContext*>(c)) {
      DepthGuard g(this, 1);
      auto e = New(ast::ExprKind::kMap, r);
      if (auto* inits = m->mapInits()) {
        for (auto* x : inits->expr()) {
          auto v = Expr(x);
          if (!v) return nullptr;
          e->args.push_back(std::move(v));
        }
      }
      return e;
    }
    if (auto* l = dynamic_cast<P::PrimaryLiteralContext*>(c)) return Literal(l->literal(), false);
    return nullptr;
  }

  ast::ExprPtr Literal(P::LiteralContext* c, bool negate) {
    if (!c || !c->getStart()) return nullptr;
    Range r = R(c);
    auto e = New(ast::ExprKind::kLiteral, r);
    std::string text = Text(c);
    e->text = negate ? "-" + text : text;
    if (c->NUM_INT()) {
      e->lit = ast::LiteralKind::kInt;
      unsigned long long v = 0;
      bool overflow = !ParseCelDigits(text, &v) || v > (negate ? 9223372036854775808ULL : 9223372036854775807ULL);
      if (overflow) {
        BadLiteral(r, "integer literal " + e->text + " does not fit in a 64-bit int");
        return nullptr;
      }
      e->int_value = negate ? static_cast<int64_t>(0ULL - v) : static_cast<int64_t>(v);
    } else if (c->NUM_UINT()) {
      e->lit = ast::LiteralKind::kUint;
      unsigned long long v = 0;
      if (!ParseCelDigits(text.substr(0, text.size() - 1), &v)) {
        BadLiteral(r, "unsigned literal " + text + " does not fit in 64 bits");
        return nullptr;
      }
      e->uint_value = v;
    } else if (c->NUM_FLOAT()) {
      e->lit = ast::LiteralKind::kDouble;
      e->double_value = std::strtod(text.c_str(), nullptr);
      if (negate) e->double_value = -e->double_value;
    } else if (c->STRING() || c->BYTES()) {
      bool bytes = false;
      std::string err;
      if (!DecodeCelString(text, &bytes, &e->string_value, &err)) {
        BadLiteral(r, err);
        return nullptr;
      }
      e->lit = bytes ? ast::LiteralKind::kBytes : ast::LiteralKind::kString;
    } else if (c->TRUE() || c->FALSE()) {
      e->lit = ast::LiteralKind::kBool;
      e->bool_value = c->TRUE() != nullptr;
    } else if (c->NUL()) {
      e->lit = ast::LiteralKind::kNull;
    } else {
      return nullptr;
    }
    return e;
  }

  const SourceFile& src_;
  const OffsetMap& map_;
  DiagSink& sink_;
  const ParseOptions& opt_;
  ast::File& file_;
  static constexpr size_t kMaxDepth = size_t{1} << 24;  // clamp for counts of repeated tokens
  int depth_ = 0;
  bool too_deep_ = false;
  size_t errors_ = 0;
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
    case P::OR: case P::AND: case P::NOT: case P::EQ: case P::NE: case P::LT: case P::LE: case P::GT:
    case P::GE: case P::PLUS: case P::MINUS: case P::STAR: case P::SLASH: case P::PERCENT: case P::QUESTION:
    case P::COLON: case P::DOT: case P::COMMA: case P::LPAREN: case P::LBRACKET: case P::LBRACE: case P::ASSIGN:
    case P::BOTH: case P::TO_HS: case P::TO_SF: case P::IN: case P::WITH: case P::WHEN: case P::DEFAULT:
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
    if (type == P::LPAREN || type == P::LBRACKET) in_expr.push_back(true);
    else if (type == P::LBRACE) in_expr.push_back(!prev || NeedsMore(prev->type));
    else if ((type == P::RPAREN || type == P::RBRACKET || type == P::RBRACE) && !in_expr.empty()) in_expr.pop_back();
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
  auto t = std::make_unique<antlr4::CommonToken>(std::make_pair(&source, nullptr), eof ? antlr4::Token::EOF : l.type,
                                                 antlr4::Token::DEFAULT_CHANNEL, l.begin,
                                                 static_cast<size_t>(l.end) - 1);
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
bool CheckNesting(const std::vector<Lexeme>& toks, const OffsetMap& map,
                  const SourceFile& src, const ParseOptions& opt, DiagSink& sink) {
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
  Builder b(src, map, sink, *job.opt, file);
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
    Builder sb(src, map, staged_sink, *job.opt, staged);
    bool ok = true;
    const size_t n = kept.size() - 1;  // the last token is EOF
    size_t begin = 0;
    int depth = 0;
    for (size_t i = 0; i <= n && ok; ++i) {
      size_t type = kept[i].type;
      bool decl_kw = type == P::SCHEMA || type == P::VALUES || type == P::SYNC || type == P::LIFECYCLE || type == P::TEST;
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
      if (tree) sb.BuildFile(tree);
      else ok = false;
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
      bool decl_kw = type == P::SCHEMA || type == P::VALUES || type == P::SYNC || type == P::LIFECYCLE || type == P::TEST;
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
    if (text[i] == 'r' || text[i] == 'R') raw = true;
    else bytes = true;
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
      case 'a': *out += '\a'; break;
      case 'b': *out += '\b'; break;
      case 'f': *out += '\f'; break;
      case 'n': *out += '\n'; break;
      case 'r': *out += '\r'; break;
      case 't': *out += '\t'; break;
      case 'v': *out += '\v'; break;
      case '\\': *out += '\\'; break;
      case '\'': *out += '\''; break;
      case '"': *out += '"'; break;
      case '`': *out += '`'; break;
      case '?': *out += '?'; break;
      case 'x':
      case 'X': {
        int h1 = k + 1 < body.size() ? HexVal(body[k + 1]) : -1;
        int h2 = k + 2 < body.size() ? HexVal(body[k + 2]) : -1;
        if (h1 < 0 || h2 < 0) {
          *error = "\\x needs two hex digits";
          return false;
        }
        uint32_t v = static_cast<uint32_t>(h1 * 16 + h2);
        if (bytes) *out += static_cast<char>(v);
        else AppendUtf8(v, *out);
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
        if (bytes) *out += static_cast<char>(v);
        else AppendUtf8(v, *out);
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
