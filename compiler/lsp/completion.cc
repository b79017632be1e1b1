#include "compiler/lsp/completion.h"

#include <algorithm>
#include <initializer_list>

#include "compiler/sema/checker.h"

namespace accord::lsp {

namespace {

using ast::Side;

// ---- a lexer for half-typed code --------------------------------------------------

struct Token {
  enum Kind { kIdent, kString, kOpenString, kNumber, kPunct, kQuoted };
  Kind kind = kPunct;
  Range range;
  std::string_view text;
  bool line_start = false;                      // first token on its line
  uint32_t content_begin = 0, content_end = 0;  // strings: between the quotes
};

struct Lexed {
  std::vector<Token> tokens;
  std::vector<Range> comments;  // a line comment's range ends at its line break
};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

Lexed Lex(std::string_view s) {
  Lexed out;
  const uint32_t n = static_cast<uint32_t>(s.size());
  uint32_t i = 0;
  bool line_start = true;
  auto push = [&](Token::Kind kind, uint32_t b, uint32_t e) {
    Token t;
    t.kind = kind;
    t.range = Range{b, e};
    t.text = s.substr(b, e - b);
    t.line_start = line_start;
    line_start = false;
    out.tokens.push_back(t);
    return &out.tokens.back();
  };
  while (i < n) {
    char c = s[i];
    if (c == '\n' || c == '\r') {
      line_start = true;
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\f') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      uint32_t j = i;
      while (j < n && s[j] != '\n' && s[j] != '\r') ++j;
      out.comments.push_back(Range{i, j});
      i = j;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t close = s.find("*/", i + 2);
      uint32_t j = close == std::string_view::npos ? n : static_cast<uint32_t>(close + 2);
      if (s.substr(i, j - i).find('\n') != std::string_view::npos) line_start = true;
      out.comments.push_back(Range{i, j});
      i = j;
      continue;
    }
    // String literals, with CEL's r/b prefixes and triple quotes.
    uint32_t q = i;
    bool raw = false;
    while (q < n && q - i < 2 && (s[q] == 'r' || s[q] == 'R' || s[q] == 'b' || s[q] == 'B')) {
      raw = raw || s[q] == 'r' || s[q] == 'R';
      ++q;
    }
    if (q < n && (s[q] == '"' || s[q] == '\'')) {
      char quote = s[q];
      bool triple = q + 2 < n && s[q + 1] == quote && s[q + 2] == quote;
      uint32_t j = q + (triple ? 3 : 1), content = j;
      bool closed = false;
      while (j < n) {
        if (!raw && s[j] == '\\') {
          j += 2;
          continue;
        }
        if (!triple && (s[j] == '\n' || s[j] == '\r')) break;
        if (s[j] == quote && (!triple || (j + 2 < n && s[j + 1] == quote && s[j + 2] == quote))) {
          closed = true;
          break;
        }
        ++j;
      }
      j = std::min(j, n);
      uint32_t end = closed ? j + (triple ? 3 : 1) : j;
      Token* t = push(closed ? Token::kString : Token::kOpenString, i, end);
      t->content_begin = content;
      t->content_end = j;
      i = end;
      continue;
    }
    if (IsIdentStart(c)) {
      uint32_t j = i;
      while (j < n && IsIdentChar(s[j])) ++j;
      push(Token::kIdent, i, j);
      i = j;
      continue;
    }
    if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(s[i + 1]))) {
      uint32_t j = i;
      while (j < n && (IsIdentChar(s[j]) || s[j] == '.' ||
                       ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
        ++j;
      push(Token::kNumber, i, j);
      i = j;
      continue;
    }
    if (c == '`') {
      uint32_t j = i + 1;
      while (j < n && s[j] != '`' && s[j] != '\n') ++j;
      if (j < n && s[j] == '`') ++j;
      push(Token::kQuoted, i, j);
      i = j;
      continue;
    }
    static constexpr std::string_view kMulti[] = {"<->", "->", "<-", "==", "!=", "<=", ">=", "&&", "||"};
    uint32_t len = 1;
    for (std::string_view m : kMulti) {
      if (s.substr(i, m.size()) == m) {
        len = static_cast<uint32_t>(m.size());
        break;
      }
    }
    // A UTF-8 character outside a string is one (bad) token.
    if (static_cast<unsigned char>(c) >= 0x80)
      while (i + len < n && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) ++len;
    push(Token::kPunct, i, i + len);
    i += len;
  }
  return out;
}

// ---- token predicates ---------------------------------------------------------------

bool Is(const Token* t, std::string_view text) { return t && t->text == text; }
bool IsAny(const Token* t, std::initializer_list<std::string_view> texts) {
  return t && std::find(texts.begin(), texts.end(), t->text) != texts.end();
}
bool IsIdent(const Token* t) { return t && t->kind == Token::kIdent; }
bool IsSide(const Token* t) { return Is(t, "salesforce") || Is(t, "hubspot"); }
Side SideOf(const Token* t) { return Is(t, "hubspot") ? Side::kHubSpot : Side::kSalesforce; }
bool IsArrow(const Token* t) { return IsAny(t, {"<->", "->", "<-"}); }
// The last token of a complete operand: an operator or a name comes next.
bool EndsOperand(const Token* t) {
  return t && (t->kind == Token::kIdent || t->kind == Token::kString || t->kind == Token::kNumber ||
               t->kind == Token::kQuoted || IsAny(t, {")", "]", "}"}));
}

// A new line continues the current item after these...
bool ContinuesAfter(const Token* t) {
  if (!t) return false;
  if (t->kind == Token::kPunct) return !IsAny(t, {")", "]", "}", ";"});
  return IsAny(t, {"with", "via", "when", "in", "becomes", "then", "prefer", "unless", "default"});
}
// ...or when it starts with these.
bool ContinuesBefore(const Token* t) {
  return IsArrow(t) || IsAny(t, {".", "?", ":", "&&", "||", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
                                 "with", "via"});
}

const std::vector<std::string> kDeclKeywords = {"schema", "values", "sync", "lifecycle", "test"};
const std::vector<std::string> kSyncKeywords = {"match",    "scope", "create",    "conflict", "blank",
                                                "converts", "on",    "associate", "delete"};
const std::vector<std::string> kSides = {"salesforce", "hubspot"};
const std::vector<std::string> kFieldOptions = {"with", "via", "conflict", "blank"};

// ---- blocks -----------------------------------------------------------------------------

enum class Block {
  kTop,
  kValues,
  kSync,
  kLifecycle,
  kTest,
  kOnCreate,
  kTransforms,
  kRecord,
  kBraces,
  kParen,
  kBracket
};

bool IsItemBlock(Block b) { return b != Block::kBraces && b != Block::kParen && b != Block::kBracket; }

struct Frame {
  Block kind = Block::kTop;
  size_t open = 0;    // index of the opening token
  size_t item = 0;    // index of the current item's first token
  ObjectName object;  // kOnCreate: the receiving side (object filled later); kRecord: the record's object
};

// What the header of the declaration around the cursor says.
struct Decl {
  std::string keyword;  // "values", "sync", ... ("" before the first)
  size_t start = 0;
  std::vector<FieldName> paths;  // side.Object[.field] in header order (field empty for objects)
  ast::Direction dir = ast::Direction::kBoth;
};

// Reads `side . X [. Y]` at tokens[i]; returns the tokens used (0: none).
size_t ReadPath(const std::vector<const Token*>& t, size_t i, FieldName* out) {
  if (i + 2 >= t.size()) return 0;
  if (!IsSide(t[i]) || !Is(t[i + 1], ".") || !IsIdent(t[i + 2])) return 0;
  out->side = SideOf(t[i]);
  out->object = std::string(t[i + 2]->text);
  out->field.clear();
  if (i + 4 < t.size() && Is(t[i + 3], ".") && IsIdent(t[i + 4])) {
    out->field = std::string(t[i + 4]->text);
    return 5;
  }
  return 3;
}

class Analyzer {
 public:
  Analyzer(std::string_view text, uint32_t offset) : text_(text), offset_(std::min<size_t>(offset, text.size())) {}

  CompletionContext Run() {
    Lexed lx = Lex(text_);
    for (const Range& c : lx.comments) {
      // Inside a line comment up to its line break; inside a closed block comment up to its `*/`.
      bool closed_block =
          c.end - c.begin >= 4 && text_.substr(c.begin, 2) == "/*" && text_.substr(c.end - 2, 2) == "*/";
      if (c.begin < offset_ && (closed_block ? offset_ < c.end : offset_ <= c.end)) return Empty();
    }
    // The token the cursor is in, and the tokens before it.
    const Token* current = nullptr;
    for (const Token& t : lx.tokens) {
      // A token that ends at the cursor is before it, unless the cursor is
      // still typing it (a word, a number, an unclosed string or name).
      bool closed = t.kind == Token::kPunct || t.kind == Token::kString ||
                    (t.kind == Token::kQuoted && t.text.size() > 1 && t.text.back() == '`');
      if (t.range.end < offset_ || (t.range.end == offset_ && closed)) {
        prior_.push_back(&t);
        continue;
      }
      if (t.range.begin < offset_) current = &t;
      break;
    }
    ctx_.replace = Range{offset_, offset_};
    if (current) {
      switch (current->kind) {
        case Token::kIdent:
          ctx_.replace = current->range;
          break;
        case Token::kString:
        case Token::kOpenString:
          if (offset_ < current->content_begin) return Empty();  // in the prefix or the quotes
          ctx_.in_string = true;
          ctx_.close_quote = current->kind == Token::kOpenString;
          ctx_.replace = Range{current->content_begin, current->content_end};
          break;
        default:
          return Empty();  // numbers, quoted names, operators
      }
    }
    ctx_.prefix = std::string(text_.substr(ctx_.replace.begin, offset_ - ctx_.replace.begin));
    Scan(current ? current->line_start || NewLineBefore(current->range.begin) : NewLineBefore(offset_));
    Classify();
    if (ctx_.in_string) {
      // Only literal values make sense inside a string.
      CompletionContext only = ctx_;
      only.keywords.clear();
      only.objects.reset();
      only.fields.reset();
      only.functions = only.methods = only.underscore = only.value_tables = only.syncs = false;
      return only;
    }
    return ctx_;
  }

 private:
  CompletionContext Empty() {
    CompletionContext c;
    c.replace = Range{offset_, offset_};
    return c;
  }

  bool NewLineBefore(uint32_t pos) const {
    uint32_t from = prior_.empty() ? 0 : prior_.back()->range.end;
    std::string_view gap = text_.substr(from, pos - from);
    return prior_.empty() || gap.find('\n') != std::string_view::npos || gap.find('\r') != std::string_view::npos;
  }

  // ---- the block structure of the tokens before the cursor ----

  void Scan(bool cursor_on_new_line) {
    stack_.push_back(Frame{Block::kTop, 0, 0, {}});
    for (size_t i = 0; i < prior_.size(); ++i) {
      const Token* t = prior_[i];
      depth_.push_back(stack_.size());
      StartItem(i, t->line_start, t);
      if (Is(t, "{")) {
        Open(i);
      } else if (Is(t, "(") || Is(t, "[")) {
        stack_.push_back(Frame{Is(t, "(") ? Block::kParen : Block::kBracket, i, i + 1, {}});
      } else if (IsAny(t, {"}", ")", "]"})) {
        Close(i, t->text == "}" ? "{" : t->text == ")" ? "(" : "[");
        depth_.back() = stack_.size();
      } else if (Is(t, ";") && IsItemBlock(stack_.back().kind)) {
        stack_.back().item = i + 1;
      } else if (Is(t, ",") && stack_.back().kind != Block::kTop) {
        stack_.back().item = i + 1;
      }
    }
    StartItem(prior_.size(), cursor_on_new_line, nullptr);
  }

  // Does the token at `i` (or the cursor, when t is null) begin a new item?
  void StartItem(size_t i, bool line_start, const Token* t) {
    Frame& f = stack_.back();
    const Token* before = i > 0 ? prior_[i - 1] : nullptr;
    if (f.kind == Block::kTop) {
      bool boundary = !before || line_start || Is(before, "}") || Is(before, ";");
      if (t && boundary && IsAny(t, {"schema", "values", "sync", "lifecycle", "test"})) {
        f.item = i;
        decl_ = Decl{std::string(t->text), i, {}, ast::Direction::kBoth};
      } else if (!t && boundary && (!before || Is(before, "}") || Is(before, ";") || DeclComplete(i))) {
        f.item = i;
        decl_ = Decl{};
      }
      return;
    }
    if (!IsItemBlock(f.kind) || i < f.item) return;
    if (f.kind == Block::kTransforms && Is(t, "to")) {
      f.item = i;
      return;
    }
    if (line_start && i > f.item && !ContinuesAfter(before) && !ContinuesBefore(t)) f.item = i;
  }

  // A top-level declaration without a block that is complete before token i:
  // `schema side "path"`.
  bool DeclComplete(size_t i) const {
    return decl_.keyword == "schema" && i > 0 && prior_[i - 1]->kind == Token::kString;
  }

  void Open(size_t i) {
    Frame& f = stack_.back();
    Frame nf{Block::kBraces, i, i + 1, {}};
    std::vector<const Token*> item = Level0(f, i);
    switch (f.kind) {
      case Block::kTop:
        ReadHeader(i);
        if (decl_.keyword == "values")
          nf.kind = Block::kValues;
        else if (decl_.keyword == "sync")
          nf.kind = Block::kSync;
        else if (decl_.keyword == "lifecycle")
          nf.kind = Block::kLifecycle;
        else if (decl_.keyword == "test")
          nf.kind = Block::kTest;
        break;
      case Block::kSync:
        if (item.size() == 3 && Is(item[0], "on") && Is(item[1], "create") && IsSide(item[2])) {
          nf.kind = Block::kOnCreate;
          nf.object = ObjectName{SideOf(item[2]), ""};
        } else if (i > 0 && EndsOperand(prior_[i - 1]) &&
                   std::any_of(item.begin(), item.end(), [](const Token* x) { return IsArrow(x); })) {
          nf.kind = Block::kTransforms;
        }
        break;
      case Block::kTest:
        if (!item.empty() && IsAny(item[0], {"given", "expect"})) {
          for (size_t k = 0; k < item.size(); ++k) {
            FieldName p;
            if (ReadPath(item, k, &p)) {
              nf.kind = Block::kRecord;
              nf.object = ObjectName{p.side, p.object};
              break;
            }
          }
        }
        break;
      default:
        break;
    }
    stack_.push_back(nf);
  }

  void Close(size_t i, std::string_view opener) {
    // Pop to the frame this closes; a stray closer closes nothing.
    for (size_t k = stack_.size(); k-- > 1;) {
      if (prior_[stack_[k].open]->text != opener) continue;
      stack_.resize(k);
      if (stack_.back().kind == Block::kTop) {
        stack_.back().item = i + 1;
        decl_ = Decl{};
      }
      return;
    }
  }

  void ReadHeader(size_t brace) {
    std::vector<const Token*> h(prior_.begin() + static_cast<std::ptrdiff_t>(decl_.start),
                                prior_.begin() + static_cast<std::ptrdiff_t>(brace));
    for (size_t k = 0; k < h.size(); ++k) {
      FieldName p;
      if (size_t used = ReadPath(h, k, &p)) {
        decl_.paths.push_back(p);
        k += used - 1;
      } else if (IsArrow(h[k])) {
        decl_.dir = Is(h[k], "<->")  ? ast::Direction::kBoth
                    : Is(h[k], "->") ? ast::Direction::kToHubSpot
                                     : ast::Direction::kToSalesforce;
      }
    }
  }

  // The tokens of frame f's current item at the item's own nesting level,
  // up to (not including) token `end`.
  std::vector<const Token*> Level0(const Frame& f, size_t end) const {
    std::vector<const Token*> out;
    size_t level = 0;
    for (size_t k = 0; k < stack_.size(); ++k)
      if (&stack_[k] == &f) level = k + 1;
    for (size_t k = f.item; k < end; ++k)
      if (depth_[k] == level) out.push_back(prior_[k]);
    return out;
  }

  // The k-th token before the cursor (1 = the last), within the innermost frame's item.
  const Token* Back(size_t k) const {
    if (k == 0 || k > prior_.size()) return nullptr;
    size_t idx = prior_.size() - k;
    return idx >= stack_.back().item ? prior_[idx] : nullptr;
  }

  // The sync's object on `side`, from its header.
  ObjectName SyncObject(Side side) const {
    for (const FieldName& p : decl_.paths)
      if (p.side == side) return ObjectName{side, p.object};
    return ObjectName{side, ""};
  }

  // ---- what fits ----

  void Classify() {
    size_t e = stack_.size();
    while (e > 1 && !IsItemBlock(stack_[e - 1].kind)) --e;
    const Frame& f = stack_[e - 1];
    nested_ = e != stack_.size();
    std::vector<const Token*> item = Level0(f, prior_.size());
    switch (f.kind) {
      case Block::kTop:
        return Header(item);
      case Block::kSync:
        return SyncItem(item);
      case Block::kValues:
        return ValuesItem(item);
      case Block::kLifecycle:
        return LifecycleItem(item);
      case Block::kTest:
        return TestItem(item);
      case Block::kOnCreate:
        return OnCreateItem(item, f.object.side);
      case Block::kTransforms:
        return TransformItem(item);
      case Block::kRecord:
        return RecordItem(item, f.object);
      default:
        return;
    }
  }

  // `side.` -> objects; `side.Object.` -> fields. True when it applied.
  bool PathCompletion(const std::vector<const Token*>& item) {
    size_t n = item.size();
    if (n >= 2 && Is(item[n - 1], ".") && IsSide(item[n - 2]) && !(n >= 3 && Is(item[n - 3], "."))) {
      ctx_.objects = SideOf(item[n - 2]);
      return true;
    }
    if (n >= 4 && Is(item[n - 1], ".") && IsIdent(item[n - 2]) && Is(item[n - 3], ".") && IsSide(item[n - 4]) &&
        !(n >= 5 && Is(item[n - 5], "."))) {
      ctx_.fields = ObjectName{SideOf(item[n - 4]), std::string(item[n - 2]->text)};
      return true;
    }
    return false;
  }

  void Header(const std::vector<const Token*>& item) {
    if (item.empty()) {
      ctx_.keywords = kDeclKeywords;
      return;
    }
    if (!IsAny(item[0], {"schema", "values", "sync", "lifecycle", "test"})) return;
    if (PathCompletion(item)) return;
    const Token* last = item.back();
    if ((item.size() == 1 && IsAny(item[0], {"schema", "lifecycle"})) ||
        (item[0]->text != "schema" && (Is(last, ":") || IsArrow(last))))
      ctx_.keywords = kSides;
  }

  // An expression whose bare names are fields of `bare` (when set).
  void Expression(std::optional<ObjectName> bare, bool underscore) {
    const Token *p1 = Back(1), *p2 = Back(2), *p3 = Back(3), *p4 = Back(4), *p5 = Back(5);
    if (Is(p1, ".")) {
      if (IsSide(p2) && !Is(p3, "."))
        ctx_.fields = SyncObject(SideOf(p2));
      else
        ctx_.methods = true;
      return;
    }
    // A picklist field compared with a value: `Field == "..."`, `hubspot.field != "..."`.
    auto field_of = [&](const Token* name, const Token* dot, const Token* side, const Token* before) {
      std::optional<FieldName> out;
      if (!IsIdent(name)) return out;
      if (Is(dot, ".")) {
        if (IsSide(side) && !Is(before, ".")) {
          ObjectName o = SyncObject(SideOf(side));
          out = FieldName{o.side, o.object, std::string(name->text)};
        }
      } else if (bare) {
        out = FieldName{bare->side, bare->object, std::string(name->text)};
      }
      return out;
    };
    if (IsAny(p1, {"==", "!="})) {
      if (auto fn = field_of(p2, p3, p4, p5)) ctx_.values = *fn;
    }
    // `Field in ["...", "..."]`
    const Frame& top = stack_.back();
    const Token* last = prior_.empty() ? nullptr : prior_.back();  // `[` or `,` ends the list's previous item
    if (top.kind == Block::kBracket && (Is(last, "[") || Is(last, ",")) && top.open >= 2 &&
        Is(prior_[top.open - 1], "in")) {
      auto at = [&](size_t back) { return top.open >= back ? prior_[top.open - back] : nullptr; };
      if (auto fn = field_of(at(2), at(3), at(4), at(5))) ctx_.values = *fn;
    }
    // After an operand an operator comes next; these words lead into an expression.
    if (EndsOperand(p1) && !IsAny(p1, {"with", "when", "default", "in", "becomes"})) return;
    if (bare && !bare->object.empty()) ctx_.fields = *bare;
    ctx_.functions = true;
    ctx_.underscore = underscore;
  }

  void SyncItem(const std::vector<const Token*>& item) {
    ObjectName left =
        decl_.paths.size() > 0 ? ObjectName{decl_.paths[0].side, decl_.paths[0].object} : SyncObject(Side::kSalesforce);
    ObjectName right =
        decl_.paths.size() > 1 ? ObjectName{decl_.paths[1].side, decl_.paths[1].object} : SyncObject(Side::kHubSpot);
    size_t n = item.size();
    if (n == 0) {
      if (nested_) return Expression(left, false);
      ctx_.keywords = kSyncKeywords;
      if (!left.object.empty()) ctx_.fields = left;
      ctx_.functions = true;
      return;
    }
    auto at = [&](size_t k) { return k < n ? item[k] : nullptr; };
    std::string_view first = item[0]->text;
    bool has_arrow = std::any_of(item.begin(), item.end(), [](const Token* t) { return IsArrow(t); });
    if (first == "match" && (n == 1 || IsArrow(at(2)))) {
      if (n == 1) {
        ctx_.keywords = {"email", "domain", "link"};
        if (!left.object.empty()) ctx_.fields = left;
      } else if (n == 3) {
        if (!right.object.empty()) ctx_.fields = right;
      }
      return;
    }
    if (first == "scope" && !has_arrow) {
      if (n == 1)
        ctx_.keywords = kSides;
      else if (n >= 3 && IsSide(at(1)) && Is(at(2), ":"))
        Expression(SyncObject(SideOf(at(1))), false);
      return;
    }
    if (first == "create" && !has_arrow) {
      if (n == 1)
        ctx_.keywords = {"in"};
      else if (n == 2 && Is(at(1), "in"))
        ctx_.keywords = kSides;
      else if (n >= 3 && IsSide(at(2))) {
        auto when = std::find_if(item.begin(), item.end(), [](const Token* t) { return Is(t, "when"); });
        if (when != item.end())
          Expression(SyncObject(ast::Other(SideOf(at(2)))), false);
        else if (n == 3)
          ctx_.keywords = {"only", "when"};
        else if (n == 4 && Is(at(3), "only"))
          ctx_.keywords = {"when"};
      }
      return;
    }
    if (first == "conflict" && !has_arrow) return Policy(item, 1);
    if (first == "blank" && !has_arrow) return Blank(item, 1);
    if (first == "converts" && !has_arrow) {
      if (n == 1)
        ctx_.keywords = {"to"};
      else if (n == 2 && Is(at(1), "to"))
        ctx_.syncs = true;
      return;
    }
    if (first == "on" && !has_arrow) {
      if (n == 1)
        ctx_.keywords = {"create"};
      else if (n == 2 && Is(at(1), "create"))
        ctx_.keywords = kSides;
      return;
    }
    if (first == "associate" && (n == 1 || IsArrow(at(2)))) {
      if (n == 1 && !left.object.empty()) {
        ctx_.fields = left;
        ctx_.references_only = true;
      } else if (n == 3) {
        ctx_.objects = right.side;
      }
      return;
    }
    if (first == "delete" && !has_arrow) {
      if (n == 1)
        ctx_.keywords = {"keep", "propagate", "unlink"};
      else if (n == 2)
        ctx_.keywords = {"from"};
      else if (n == 3 && Is(at(2), "from"))
        ctx_.keywords = kSides;
      return;
    }
    FieldRule(item, left, right);
  }

  void FieldRule(const std::vector<const Token*>& item, const ObjectName& left, const ObjectName& right) {
    size_t n = item.size(), arrow = n;
    for (size_t k = 0; k < n && arrow == n; ++k)
      if (IsArrow(item[k])) arrow = k;
    if (arrow == n) return Expression(left, false);
    // The last option keyword after the right-hand side.
    size_t opt = n;
    for (size_t k = arrow + 2; k < n; ++k)
      if (IsAny(item[k], {"with", "via", "conflict", "blank"})) opt = k;
    const Token* p1 = Back(1);
    bool after_operand = !nested_ && EndsOperand(p1) && n > arrow + 1;
    if (opt == n) {
      if (after_operand)
        ctx_.keywords = kFieldOptions;
      else
        Expression(right, false);
      return;
    }
    std::string_view o = item[opt]->text;
    if (o == "via") {
      if (opt == n - 1)
        ctx_.value_tables = true;
      else if (after_operand)
        ctx_.keywords = kFieldOptions;
    } else if (o == "conflict") {
      Policy(item, opt + 1);
    } else if (o == "blank") {
      Blank(item, opt + 1);
    } else if (o == "with") {
      if (after_operand && opt < n - 1) {
        ctx_.keywords = kFieldOptions;
        return;
      }
      // `_` is the source value: Salesforce's unless the rule only flows to Salesforce.
      Expression(Is(item[arrow], "<-") ? right : left, true);
    }
  }

  // `conflict` policies from item[k] on.
  void Policy(const std::vector<const Token*>& item, size_t k) {
    size_t n = item.size();
    if (n == k)
      ctx_.keywords = {"two_way", "prefer", "dont_sync"};
    else if (n == k + 1 && Is(item[k], "prefer"))
      ctx_.keywords = kSides;
    else if (n == k + 2 && Is(item[k], "prefer"))
      ctx_.keywords = {"unless"};
    else if (n == k + 3 && Is(item[k + 2], "unless"))
      ctx_.keywords = {"blank"};
  }

  void Blank(const std::vector<const Token*>& item, size_t k) {
    size_t n = item.size();
    if (n == k)
      ctx_.keywords = {"ignore", "clear", "default"};
    else if (Is(item[k], "default"))
      Expression(std::nullopt, false);
  }

  void ValuesItem(const std::vector<const Token*>& item) {
    if (decl_.paths.size() < 2) return;
    const FieldName &left = decl_.paths[0], &right = decl_.paths[1];
    size_t n = item.size();
    if (n == 0) {
      ctx_.values = left;
      ctx_.keywords = {"else"};
    } else if (n == 2 && IsArrow(item[1])) {
      if (Is(item[0], "else")) {
        ctx_.keywords = {"reject", "keep"};
        if (!Is(item[1], "<->")) ctx_.values = Is(item[1], "->") ? right : left;
      } else {
        ctx_.values = right;
      }
    }
  }

  void LifecycleItem(const std::vector<const Token*>& item) {
    std::optional<FieldName> property;
    if (!decl_.paths.empty()) property = decl_.paths[0];
    size_t n = item.size();
    if (n == 0) {
      ctx_.keywords = {"order", "forward", "when"};
      return;
    }
    std::string_view first = item[0]->text;
    const Token* last = item.back();
    if (first == "order") {
      if (Is(last, "order") || Is(last, "<")) ctx_.stages = property;
    } else if (first == "forward") {
      if (n == 1) ctx_.keywords = {"only"};
    } else if (first == "when") {
      if (n == 1) {
        ctx_.keywords = kSides;
        return;
      }
      if (PathCompletion(item)) return;
      FieldName trigger;
      if (ReadPath(item, 1, &trigger) != 5) return;
      if (n == 6)
        ctx_.keywords = {"becomes"};
      else if (n == 7 && Is(item[6], "becomes"))
        ctx_.values = trigger;
      else if (n == 8)
        ctx_.keywords = {"then"};
      else if (n == 9 && Is(item[8], "then"))
        ctx_.stages = property;
      else if (n == 10)
        ctx_.keywords = {"for"};
      else if (n == 11 && Is(item[10], "for"))
        ctx_.objects = Side::kHubSpot;
      else if (n == 12)
        ctx_.keywords = {"of"};
      else if (n == 13 && Is(item[12], "of")) {
        ctx_.fields = ObjectName{trigger.side, trigger.object};
        ctx_.references_only = true;
      }
    }
  }

  void TestItem(const std::vector<const Token*>& item) {
    size_t n = item.size();
    if (n == 0) {
      ctx_.keywords = {"given", "expect"};
      return;
    }
    if (PathCompletion(item)) return;
    std::string_view first = item[0]->text;
    if (first == "given") {
      if (n == 1)
        ctx_.keywords = {"linked", "salesforce", "hubspot"};
      else if (n == 2 && Is(item[1], "linked"))
        ctx_.keywords = kSides;
    } else if (first == "expect") {
      if (n == 1)
        ctx_.keywords = {"salesforce", "hubspot", "nothing", "error"};
      else if (n == 2 && Is(item[1], "error"))
        ctx_.keywords = sema::ErrorCategories();
    }
  }

  void OnCreateItem(const std::vector<const Token*>& item, Side side) {
    ObjectName target = SyncObject(side);
    size_t n = item.size();
    if (n == 0) {
      if (nested_) return;
      if (!target.object.empty()) ctx_.fields = target;
      return;
    }
    if (n >= 2 && Is(item[1], "=")) {
      if (n == 2 && IsIdent(item[0]) && !nested_)
        ctx_.values = FieldName{target.side, target.object, std::string(item[0]->text)};
      std::optional<FieldName> values = ctx_.values;
      Expression(SyncObject(ast::Other(side)), false);
      if (!ctx_.values) ctx_.values = values;
    }
  }

  void TransformItem(const std::vector<const Token*>& item) {
    size_t n = item.size();
    if (n == 0)
      ctx_.keywords = {"to"};
    else if (n == 1 && Is(item[0], "to"))
      ctx_.keywords = kSides;
    else if (n > 3 && !nested_ && EndsOperand(Back(1)) && Is(item[0], "to"))
      ctx_.keywords = {"to"};
    else if (n >= 3 && Is(item[0], "to") && IsSide(item[1]) && Is(item[2], ":"))
      Expression(SyncObject(ast::Other(SideOf(item[1]))), true);
  }

  void RecordItem(const std::vector<const Token*>& item, const ObjectName& object) {
    size_t n = item.size();
    if (n == 0) {
      if (!nested_ && !object.object.empty()) ctx_.fields = object;
      return;
    }
    if (n >= 2 && Is(item[1], ":")) {
      if (n == 2 && IsIdent(item[0]) && !nested_)
        ctx_.values = FieldName{object.side, object.object, std::string(item[0]->text)};
      std::optional<FieldName> values = ctx_.values;
      Expression(std::nullopt, false);
      if (!ctx_.values) ctx_.values = values;
    }
  }

  std::string_view text_;
  uint32_t offset_;
  std::vector<const Token*> prior_;
  std::vector<size_t> depth_;  // parallel to prior_: frames open around each token
  std::vector<Frame> stack_;
  Decl decl_;
  bool nested_ = false;  // the cursor is inside brackets within the current item
  CompletionContext ctx_;
};

}  // namespace

CompletionContext FindCompletionContext(std::string_view text, uint32_t offset) { return Analyzer(text, offset).Run(); }

}  // namespace accord::lsp
