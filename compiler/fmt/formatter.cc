#include "compiler/fmt/formatter.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "base/strings.h"

namespace accord::fmt {
namespace {

using Lines = std::vector<std::string>;

// Display width in columns: one per code point. Text that spans lines (a
// multi-line string literal or block comment) never fits anywhere.
constexpr int kHuge = 1 << 20;
int Width(std::string_view s) {
  int w = 0;
  for (unsigned char c : s) {
    if (c == '\n' || c == '\r') return kHuge;
    if ((c & 0xC0) != 0x80) ++w;
  }
  return w;
}

std::string Spaces(int n) { return std::string(static_cast<size_t>(std::max(n, 0)), ' '); }

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// ---- expressions --------------------------------------------------------------
//
// Precedence levels, loosest first, as the grammar nests them:
//   0 ?:   1 ||   2 &&   3 relations and `in`   4 + -   5 * / %   6 unary
//   7 member (select, call, index)   8 primary.
// A binary operand on the left needs at least the operator's level, one on
// the right one more (all operators are left-associative).

constexpr int kUnaryLevel = 6;
constexpr int kMemberLevel = 7;
constexpr int kPrimaryLevel = 8;

bool IsNegativeLiteral(const ast::Expr& e) {
  return e.kind == ast::ExprKind::kLiteral && !e.text.empty() && e.text[0] == '-';
}

int Level(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::kConditional:
      return 0;
    case ast::ExprKind::kBinary:
      return ast::BinaryOpPrecedence(e.binary_op);
    case ast::ExprKind::kUnary:
      return kUnaryLevel;
    case ast::ExprKind::kSelect:
    case ast::ExprKind::kCall:
    case ast::ExprKind::kIndex:
      return kMemberLevel;
    case ast::ExprKind::kLiteral:
      return IsNegativeLiteral(e) ? kUnaryLevel : kPrimaryLevel;
    default:
      return kPrimaryLevel;
  }
}

void PrintExpr(const ast::Expr& e, std::string& out);

// Prints `e` where the grammar needs at least `min_level`; adds parentheses
// only if the author's are not there and the level is too loose.
void PrintOperand(const ast::Expr* e, int min_level, std::string& out) {
  if (!e) {
    out += "?";  // a partial AST; never produced for a clean parse
    return;
  }
  bool wrap = e->parens == 0 && Level(*e) < min_level;
  if (wrap) out += '(';
  PrintExpr(*e, out);
  if (wrap) out += ')';
}

void PrintList(const std::vector<ast::ExprPtr>& items, std::string& out) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    PrintOperand(items[i].get(), 0, out);
  }
}

void PrintBare(const ast::Expr& e, std::string& out) {
  switch (e.kind) {
    case ast::ExprKind::kLiteral:
      out += e.text;
      return;
    case ast::ExprKind::kIdent:
      if (e.leading_dot) out += '.';
      out += e.name;
      return;
    case ast::ExprKind::kSelect: {
      PrintOperand(e.operand.get(), kMemberLevel, out);
      out += '.';
      // a field name that is not an identifier was written quoted: m.`content-type`
      bool plain = !e.name.empty() && !(e.name[0] >= '0' && e.name[0] <= '9');
      for (char c : e.name)
        plain &= (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
      if (e.name == "in" || e.name == "true" || e.name == "false" || e.name == "null") plain = false;
      if (plain)
        out += e.name;
      else
        out += '`' + e.name + '`';
      return;
    }
    case ast::ExprKind::kCall:
      if (e.operand) {
        PrintOperand(e.operand.get(), kMemberLevel, out);
        out += '.';
      } else if (e.leading_dot) {
        out += '.';
      }
      out += e.name;
      out += '(';
      PrintList(e.args, out);
      out += ')';
      return;
    case ast::ExprKind::kIndex:
      PrintOperand(e.operand.get(), kMemberLevel, out);
      out += '[';
      PrintOperand(e.args.empty() ? nullptr : e.args[0].get(), 0, out);
      out += ']';
      return;
    case ast::ExprKind::kList:
      out += '[';
      PrintList(e.args, out);
      out += ']';
      return;
    case ast::ExprKind::kMap:
      out += '{';
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        if (i > 0) out += ", ";
        PrintOperand(e.args[i].get(), 0, out);
        out += ": ";
        PrintOperand(e.args[i + 1].get(), 0, out);
      }
      out += '}';
      return;
    case ast::ExprKind::kUnary: {
      bool is_not = e.unary_op == ast::UnaryOp::kNot;
      out += is_not ? '!' : '-';
      const ast::Expr* x = e.operand.get();
      // The grammar writes `!!x` and `--x` as one run of operators over a member;
      // a negative number literal already is `-` over a member.
      bool same_run =
          x && x->parens == 0 &&
          ((x->kind == ast::ExprKind::kUnary && x->unary_op == e.unary_op) || (!is_not && IsNegativeLiteral(*x)));
      // `-5` would re-parse as the literal -5, not as negation of 5.
      bool bare_number = x && !is_not && x->parens == 0 && x->kind == ast::ExprKind::kLiteral &&
                         (x->lit == ast::LiteralKind::kInt || x->lit == ast::LiteralKind::kDouble) &&
                         !IsNegativeLiteral(*x);
      if (same_run) {
        PrintExpr(*x, out);
      } else if (bare_number) {
        out += '(';
        PrintExpr(*x, out);
        out += ')';
      } else {
        PrintOperand(x, kMemberLevel, out);
      }
      return;
    }
    case ast::ExprKind::kBinary: {
      int level = ast::BinaryOpPrecedence(e.binary_op);
      PrintOperand(e.args.size() > 0 ? e.args[0].get() : nullptr, level, out);
      out += ' ';
      out += ast::BinaryOpToken(e.binary_op);
      out += ' ';
      PrintOperand(e.args.size() > 1 ? e.args[1].get() : nullptr, level + 1, out);
      return;
    }
    case ast::ExprKind::kConditional:
      PrintOperand(e.args.size() > 0 ? e.args[0].get() : nullptr, 1, out);
      out += " ? ";
      PrintOperand(e.args.size() > 1 ? e.args[1].get() : nullptr, 1, out);
      out += " : ";
      PrintOperand(e.args.size() > 2 ? e.args[2].get() : nullptr, 0, out);
      return;
  }
}

void PrintExpr(const ast::Expr& e, std::string& out) {
  for (int i = 0; i < e.parens; ++i) out += '(';
  PrintBare(e, out);
  for (int i = 0; i < e.parens; ++i) out += ')';
}

std::string ExprText(const ast::Expr* e) {
  std::string out;
  PrintOperand(e, 0, out);
  return out;
}

// ---- small pieces of declarations ----------------------------------------------

std::string Side(ast::Side s) { return std::string(ast::SideName(s)); }
std::string Arrow(ast::Direction d) { return std::string(ast::DirectionToken(d)); }
std::string Obj(const ast::ObjectRef& r) { return Side(r.side) + "." + r.object.text; }
std::string Path(const ast::FieldPath& p) { return ast::FieldPathText(p); }

std::string ConflictText(const ast::ConflictPolicy& c) { return ast::ConflictPolicyText(c); }

std::string BlankText(const ast::BlankPolicy& b) {
  switch (b.kind) {
    case ast::BlankKind::kIgnore:
      return "ignore";
    case ast::BlankKind::kClear:
      return "clear";
    case ast::BlankKind::kDefault:
      return "default " + ExprText(b.default_value.get());
  }
  return "ignore";
}

std::string DeleteText(ast::DeleteKind k) {
  switch (k) {
    case ast::DeleteKind::kKeep:
      return "keep";
    case ast::DeleteKind::kPropagate:
      return "propagate";
    case ast::DeleteKind::kUnlink:
      return "unlink";
  }
  return "keep";
}

// `left <-> right` with the arrow column aligned: the left part padded to
// `left_width`, the arrow right-aligned in `arrow_width` (0: no alignment).
std::string Aligned(const std::string& left, const std::string& arrow, int left_width, int arrow_width) {
  std::string s = left;
  if (left_width > 0) {
    s += Spaces(left_width - Width(left) + 1);
    s += Spaces(arrow_width - static_cast<int>(arrow.size()));
  } else {
    s += ' ';
  }
  return s + arrow + " ";
}

// The first token of a printed item: a word, or else its first character.
std::string_view FirstToken(std::string_view line) {
  if (line.empty()) return line;
  auto is_word = [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!is_word(line[0]) || (line[0] >= '0' && line[0] <= '9')) return line.substr(0, 1);
  size_t n = 1;
  while (n < line.size() && is_word(line[n])) ++n;
  return line.substr(0, n);
}

// Tokens that can continue an expression, so that the next item would be read
// as part of it: `x - y`, `x(y)`, `x[y]`, `x.y`.
constexpr std::string_view kExprContinuations[] = {"-", "(", "[", "."};

// Comment text as printed: CRLF becomes LF, trailing blanks go.
std::string CommentText(const ast::Comment& c) {
  std::string out;
  out.reserve(c.text.size());
  for (size_t i = 0; i < c.text.size(); ++i) {
    char ch = c.text[i];
    if (ch == '\r' && i + 1 < c.text.size() && c.text[i + 1] == '\n') continue;
    if (ch == '\n') {
      out.resize(base::TrimEnd(out, " \t").size());
    }
    out += ch;
  }
  out.resize(base::TrimEnd(out, " \t\r").size());
  return out;
}

// ---- the formatter ----------------------------------------------------------------

class Formatter {
 public:
  Formatter(const ast::File& file, const FormatOptions& options)
      : file_(file), opt_(options), text_(file.source ? std::string_view(file.source->text()) : std::string_view()) {
    if (opt_.indent < 0) opt_.indent = 0;
  }

  std::string Run() {
    BuildTree();
    for (const auto& c : file_.comments) {
      if (file_.source)
        Attach(c, *root_);
      else
        block_comments_[root_].dangling.push_back(&c);
    }
    Lines lines = RenderFile();
    std::string out;
    for (const auto& l : lines) {
      out += l;
      out += '\n';
    }
    return KeepLineEnds(std::move(out));
  }

 private:
  // The output is built with LF line ends. A source that uses CRLF or a lone
  // CR throughout gets those back, and a leading byte order mark is kept:
  // `accord fmt` changes layout, not encoding. (Comment text lost its CRs in
  // CommentText; multi-line strings keep theirs, and a uniform source's
  // strings hold no other kind of line end, so only bare LFs are converted.)
  std::string KeepLineEnds(std::string out) const {
    bool bom = text_.substr(0, 3) == "\xEF\xBB\xBF";
    size_t lf = 0, crlf = 0, cr = 0;
    for (size_t i = 0; i < text_.size(); ++i) {
      if (text_[i] == '\n')
        ++lf;
      else if (text_[i] == '\r' && i + 1 < text_.size() && text_[i + 1] == '\n')
        ++crlf, ++i;
      else if (text_[i] == '\r')
        ++cr;
    }
    std::string_view end = crlf > 0 && lf == 0 && cr == 0 ? "\r\n" : cr > 0 && lf == 0 && crlf == 0 ? "\r" : "\n";
    if (end == "\n" && !bom) return out;
    std::string converted = bom && !out.empty() ? "\xEF\xBB\xBF" : "";
    converted.reserve(out.size() + out.size() / 16 + 3);
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
        converted += end;
      else
        converted += out[i];
    }
    return converted;
  }

  // ---- the block tree: where comments can go ----
  //
  // A block is a braced part of the file (the file itself is the outermost)
  // with its items ("kids"). Each kid may contain one block of its own: a
  // sync's body, a field rule's `{ to ...: ... }`, a test record.

  struct Block;
  struct Kid {
    const void* key;  // the AST node
    Range range;
    Block* block = nullptr;
  };
  struct Block {
    bool is_file = false;
    uint32_t open = 0;   // offset of '{'
    uint32_t close = 0;  // offset of '}'
    std::vector<Kid> kids;
  };
  struct KidComments {
    std::vector<const ast::Comment*> leading;   // own lines before the kid
    std::vector<const ast::Comment*> inner;     // inside the kid: moved before it
    std::vector<const ast::Comment*> trailing;  // at the end of the kid's last line
  };
  struct BlockComments {
    std::vector<const ast::Comment*> header;    // after the '{'
    std::vector<const ast::Comment*> dangling;  // after the last kid
  };

  template <typename V>
  static const void* KeyOf(const V& v) {
    return std::visit([](const auto& x) -> const void* { return &x; }, v);
  }
  template <typename V>
  static Range RangeOf(const V& v) {
    return std::visit([](const auto& x) { return x.range; }, v);
  }

  // The comment containing byte `pos`, if any.
  const ast::Comment* CommentAt(uint32_t pos) const {
    const auto& cs = file_.comments;
    auto it = std::upper_bound(cs.begin(), cs.end(), pos,
                               [](uint32_t p, const ast::Comment& c) { return p < c.range.begin; });
    if (it == cs.begin()) return nullptr;
    --it;
    return pos < it->range.end ? &*it : nullptr;
  }
  // The first `ch` at or after `pos` outside comments; `fallback` if none.
  uint32_t FindForward(uint32_t pos, char ch, uint32_t fallback) const {
    for (uint32_t p = pos; p < text_.size(); ++p) {
      if (const ast::Comment* c = CommentAt(p)) {
        p = c->range.end - 1;
        continue;
      }
      if (text_[p] == ch) return p;
    }
    return fallback;
  }
  // The last `ch` before `pos` outside comments; `fallback` if none.
  uint32_t FindBackward(uint32_t pos, char ch, uint32_t fallback) const {
    for (uint32_t p = std::min<uint32_t>(pos, static_cast<uint32_t>(text_.size())); p-- > 0;) {
      if (const ast::Comment* c = CommentAt(p)) {
        p = c->range.begin;
        continue;
      }
      if (text_[p] == ch) return p;
    }
    return fallback;
  }
  // True if a line ends between `a` and `b` (a lone CR ends a line comment too).
  bool HasNewline(uint32_t a, uint32_t b) const {
    b = std::min<uint32_t>(b, static_cast<uint32_t>(text_.size()));
    for (uint32_t p = a; p < b; ++p)
      if (text_[p] == '\n' || text_[p] == '\r') return true;
    return false;
  }
  static bool IsLineComment(const ast::Comment* c) { return c->text.size() >= 2 && c->text[1] == '/'; }
  // True if `c` can go at the end of the line after `before` (nothing follows a `//` comment).
  bool SameLine(uint32_t end, const std::vector<const ast::Comment*>& before, const ast::Comment& c) const {
    if (!before.empty() && IsLineComment(before.back())) return false;
    return !HasNewline(end, c.range.begin);
  }
  // True if the source between `a` and `b` has an empty line.
  bool HasBlankLine(uint32_t a, uint32_t b) const {
    b = std::min<uint32_t>(b, static_cast<uint32_t>(text_.size()));
    bool after_newline = false;
    for (uint32_t p = a; p < b; ++p) {
      char c = text_[p];
      if (c == '\n' || (c == '\r' && (p + 1 >= text_.size() || text_[p + 1] != '\n'))) {
        if (after_newline) return true;
        after_newline = true;
      } else if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') {
        after_newline = false;
      }
    }
    return false;
  }
  std::string SourceText(Range r, const std::string& fallback) const {
    if (!file_.source || r.end <= r.begin || r.end > text_.size()) return fallback;
    return std::string(text_.substr(r.begin, r.end - r.begin));
  }

  Block* NewBlock(const void* owner, uint32_t open, uint32_t close) {
    Block& b = blocks_.emplace_back();
    b.open = open;
    b.close = close;
    block_of_[owner] = &b;
    return &b;
  }
  // A block whose '{' follows `header_end` and whose '}' ends `range`.
  Block* BodyBlock(const void* owner, uint32_t header_end, Range range) {
    uint32_t close = range.end > range.begin ? range.end - 1 : range.begin;
    return NewBlock(owner, FindForward(header_end, '{', range.begin), close);
  }
  Block* RecordBlock(const ast::RecordLit& r) {
    Block* b = NewBlock(&r, r.range.begin, r.range.end > r.range.begin ? r.range.end - 1 : r.range.begin);
    for (const auto& f : r.fields) b->kids.push_back({&f, f.range});
    return b;
  }

  void BuildTree() {
    root_ = &blocks_.emplace_back();
    root_->is_file = true;
    root_->close = static_cast<uint32_t>(text_.size());
    for (const auto& decl : file_.decls) {
      Kid kid{KeyOf(decl), RangeOf(decl)};
      if (const auto* v = std::get_if<ast::ValuesDecl>(&decl)) {
        kid.block = BodyBlock(v, v->right.range.end, v->range);
        for (const auto& e : v->entries) kid.block->kids.push_back({KeyOf(e), RangeOf(e)});
      } else if (const auto* s = std::get_if<ast::SyncDecl>(&decl)) {
        kid.block = BodyBlock(s, s->right.range.end, s->range);
        for (const auto& item : s->items) kid.block->kids.push_back(SyncKid(item));
      } else if (const auto* l = std::get_if<ast::LifecycleDecl>(&decl)) {
        kid.block = BodyBlock(l, l->property.range.end, l->range);
        for (const auto& item : l->items) kid.block->kids.push_back({KeyOf(item), RangeOf(item)});
      } else if (const auto* t = std::get_if<ast::TestDecl>(&decl)) {
        kid.block = BodyBlock(t, t->name_range.end, t->range);
        for (const auto& item : t->items) {
          Kid k{KeyOf(item), RangeOf(item)};
          if (const auto* g = std::get_if<ast::Given>(&item)) k.block = RecordBlock(g->record);
          if (const auto* e = std::get_if<ast::ExpectRecord>(&item)) k.block = RecordBlock(e->record);
          kid.block->kids.push_back(k);
        }
      }
      root_->kids.push_back(kid);
    }
  }

  Kid SyncKid(const ast::SyncItem& item) {
    Kid k{KeyOf(item), RangeOf(item)};
    if (const auto* oc = std::get_if<ast::OnCreate>(&item)) {
      k.block = BodyBlock(oc, oc->range.begin, oc->range);
      for (const auto& a : oc->assignments) k.block->kids.push_back({&a, a.range});
    } else if (const auto* fr = std::get_if<ast::FieldRule>(&item); fr && !fr->transforms.empty()) {
      uint32_t open = FindBackward(fr->transforms.front().range.begin, '{', fr->transforms.front().range.begin);
      uint32_t close = FindForward(fr->transforms.back().range.end, '}', fr->transforms.back().range.end);
      k.block = NewBlock(&fr->transforms, open, close);
      for (const auto& t : fr->transforms) k.block->kids.push_back({&t, t.range});
    }
    return k;
  }

  // Gives comment `c` its place in block `b` (see the header for the rules).
  void Attach(const ast::Comment& c, Block& b) {
    uint32_t pos = c.range.begin;
    const Kid* prev = nullptr;
    const Kid* next = nullptr;
    for (const Kid& k : b.kids) {
      if (k.range.begin <= pos && pos < k.range.end) {
        if (k.block && k.block->open < pos && pos < k.block->close) return Attach(c, *k.block);
        kid_comments_[k.key].inner.push_back(&c);
        return;
      }
      if (k.range.end <= pos)
        prev = &k;
      else if (!next)
        next = &k;
    }
    if (prev && SameLine(prev->range.end, kid_comments_[prev->key].trailing, c)) {
      kid_comments_[prev->key].trailing.push_back(&c);
    } else if (!prev && !b.is_file && SameLine(b.open + 1, block_comments_[&b].header, c)) {
      block_comments_[&b].header.push_back(&c);
    } else if (next) {
      kid_comments_[next->key].leading.push_back(&c);
    } else {
      block_comments_[&b].dangling.push_back(&c);
    }
  }

  const KidComments& KidCommentsOf(const void* key) const {
    static const KidComments kNone;
    auto it = kid_comments_.find(key);
    return it == kid_comments_.end() ? kNone : it->second;
  }
  const BlockComments& BlockCommentsOf(const Block* b) const {
    static const BlockComments kNone;
    auto it = block_comments_.find(b);
    return it == block_comments_.end() ? kNone : it->second;
  }
  bool HasComments(const Block& b) const {
    const BlockComments& bc = BlockCommentsOf(&b);
    if (!bc.header.empty() || !bc.dangling.empty()) return true;
    for (const Kid& k : b.kids) {
      const KidComments& kc = KidCommentsOf(k.key);
      if (!kc.leading.empty() || !kc.inner.empty() || !kc.trailing.empty()) return true;
    }
    return false;
  }
  const Block& BlockOf(const void* owner) const {
    static const Block kEmpty;
    auto it = block_of_.find(owner);
    return it == block_of_.end() ? kEmpty : *it->second;
  }

  // Where the text before kid i ends: the '{', or the previous kid with its trailing comments.
  uint32_t EndBefore(const Block& b, size_t i) const {
    if (i == 0) {
      const auto& header = BlockCommentsOf(&b).header;
      if (!header.empty()) return header.back()->range.end;
      return b.is_file ? 0 : b.open + 1;
    }
    const Kid& prev = b.kids[i - 1];
    const auto& trailing = KidCommentsOf(prev.key).trailing;
    return trailing.empty() ? prev.range.end : std::max(prev.range.end, trailing.back()->range.end);
  }
  uint32_t GroupBegin(const Block& b, size_t i) const {
    const auto& leading = KidCommentsOf(b.kids[i].key).leading;
    return leading.empty() ? b.kids[i].range.begin : leading.front()->range.begin;
  }
  // True if kid i starts a new group: a blank line or a comment line comes first.
  bool StartsGroup(const Block& b, size_t i) const {
    if (i == 0) return true;
    const KidComments& kc = KidCommentsOf(b.kids[i].key);
    return !kc.leading.empty() || !kc.inner.empty() || HasBlankLine(EndBefore(b, i), GroupBegin(b, i));
  }

  // ---- weaving comments and blank lines into a block ----

  struct KidOut {
    Lines lines;         // the kid's text; lines after the first are already indented relative to it
    std::string suffix;  // `,` or `;` to end its last line
  };
  enum class Sep { kNone, kBlank, kAsWritten };

  Lines EmitKids(const Block& b, std::vector<KidOut>& outs, const std::function<Sep(size_t)>& sep_before) const {
    Lines out;
    auto comment_line = [&](const ast::Comment* c) { out.push_back(CommentText(*c)); };
    for (size_t i = 0; i < b.kids.size() && i < outs.size(); ++i) {
      const Kid& kid = b.kids[i];
      const KidComments& kc = KidCommentsOf(kid.key);
      Sep sep = i == 0 ? Sep::kNone : sep_before(i);
      if (sep == Sep::kBlank || (sep == Sep::kAsWritten && HasBlankLine(EndBefore(b, i), GroupBegin(b, i))))
        out.push_back("");
      for (size_t j = 0; j < kc.leading.size(); ++j) {
        if (j > 0 && HasBlankLine(kc.leading[j - 1]->range.end, kc.leading[j]->range.begin)) out.push_back("");
        comment_line(kc.leading[j]);
      }
      if (!kc.leading.empty() && kc.inner.empty() && HasBlankLine(kc.leading.back()->range.end, kid.range.begin))
        out.push_back("");
      for (const auto* c : kc.inner) comment_line(c);
      Lines& lines = outs[i].lines;
      if (lines.empty()) lines.push_back("");
      lines.back() += outs[i].suffix;
      if (!kc.trailing.empty()) {
        std::vector<std::string> texts;
        for (const auto* c : kc.trailing) texts.push_back(CommentText(*c));
        lines.back() += "  " + Join(texts, " ");
      }
      out.insert(out.end(), lines.begin(), lines.end());
    }
    const auto& dangling = BlockCommentsOf(&b).dangling;
    uint32_t prev_end = EndBefore(b, b.kids.size());
    for (size_t j = 0; j < dangling.size(); ++j) {
      if (!out.empty() && HasBlankLine(prev_end, dangling[j]->range.begin)) out.push_back("");
      comment_line(dangling[j]);
      prev_end = dangling[j]->range.end;
    }
    return out;
  }

  Lines Indented(const Lines& lines) const {
    Lines out;
    std::string pad = Spaces(opt_.indent);
    for (const auto& l : lines) out.push_back(l.empty() ? l : pad + l);
    return out;
  }

  // `head {`, the kids one per line, `}`; or `head {}` when there is nothing inside.
  Lines Braced(const std::string& head, const Block& b, std::vector<KidOut> outs) const {
    if (outs.empty() && !HasComments(b)) return {head + " {}"};
    std::string first = head + " {";
    const auto& header = BlockCommentsOf(&b).header;
    if (!header.empty()) {
      std::vector<std::string> texts;
      for (const auto* c : header) texts.push_back(CommentText(*c));
      first += "  " + Join(texts, " ");
    }
    Lines out{first};
    Lines body = Indented(EmitKids(b, outs, [](size_t) { return Sep::kAsWritten; }));
    out.insert(out.end(), body.begin(), body.end());
    out.push_back("}");
    return out;
  }

  // `head { a  b }` on one line if it fits at column `col` and holds no
  // comment, else Braced(). `sep` joins the parts on one line; `suffix` ends
  // each part on its own line.
  Lines Compact(const std::string& head, const Block& b, const std::vector<std::string>& parts, std::string_view sep,
                const std::string& suffix, int col) const {
    if (!HasComments(b)) {
      std::string one = parts.empty() ? head + " {}" : head + " { " + Join(parts, sep) + " }";
      if (col + Width(one) <= opt_.max_width) return {one};
    }
    std::vector<KidOut> outs;
    for (const auto& p : parts) outs.push_back({{p}, suffix});
    return Braced(head, b, std::move(outs));
  }

  // ---- declarations ----

  Lines RenderFile() {
    // Consecutive schema lines are one group with their paths aligned.
    const auto& decls = file_.decls;
    std::vector<size_t> side_width(decls.size(), 0);
    for (size_t i = 0; i < decls.size();) {
      size_t end = i, width = 0;
      for (; end < decls.size() && std::holds_alternative<ast::SchemaDecl>(decls[end]); ++end)
        width = std::max(width, ast::SideName(std::get<ast::SchemaDecl>(decls[end]).side).size());
      for (size_t k = i; k < end; ++k) side_width[k] = width;
      i = std::max(end, i + 1);
    }
    std::vector<KidOut> outs;
    for (size_t i = 0; i < file_.decls.size(); ++i) {
      const auto& decl = file_.decls[i];
      Lines lines;
      if (const auto* s = std::get_if<ast::SchemaDecl>(&decl)) {
        std::string side = Side(s->side);
        lines = {"schema " + side + Spaces(static_cast<int>(side_width[i] - side.size())) + " " +
                 SourceText(s->path_range, "\"" + s->path + "\"")};
      } else if (const auto* v = std::get_if<ast::ValuesDecl>(&decl)) {
        lines = RenderValues(*v);
      } else if (const auto* y = std::get_if<ast::SyncDecl>(&decl)) {
        lines = RenderSync(*y);
      } else if (const auto* l = std::get_if<ast::LifecycleDecl>(&decl)) {
        lines = RenderLifecycle(*l);
      } else if (const auto* t = std::get_if<ast::TestDecl>(&decl)) {
        lines = RenderTest(*t);
      }
      outs.push_back({std::move(lines), ""});
    }
    return EmitKids(*root_, outs, [this](size_t i) {
      bool schemas = std::holds_alternative<ast::SchemaDecl>(file_.decls[i - 1]) &&
                     std::holds_alternative<ast::SchemaDecl>(file_.decls[i]);
      return schemas ? Sep::kNone : Sep::kBlank;
    });
  }

  Lines RenderValues(const ast::ValuesDecl& d) {
    std::string head = "values " + d.name.text + ": " + Path(d.left) + " " + Arrow(d.dir) + " " + Path(d.right);
    int left_width = 0, arrow_width = 0;
    for (const auto& e : d.entries) {
      const auto* p = std::get_if<ast::ValuePair>(&e);
      if (!p || Width(p->salesforce.text) > kMaxAlignedWidth) continue;
      left_width = std::max(left_width, Width(p->salesforce.text));
      arrow_width = std::max(arrow_width, static_cast<int>(Arrow(p->dir).size()));
    }
    std::vector<KidOut> outs;
    for (const auto& e : d.entries) {
      std::string line;
      if (const auto* p = std::get_if<ast::ValuePair>(&e)) {
        bool aligned = Width(p->salesforce.text) <= kMaxAlignedWidth;
        line = Aligned(p->salesforce.text, Arrow(p->dir), aligned ? left_width : 0, arrow_width) + p->hubspot.text;
      } else {
        const auto& el = std::get<ast::ValueElse>(e);
        std::string target = el.kind == ast::ElseKind::kReject ? "reject"
                             : el.kind == ast::ElseKind::kKeep ? "keep"
                                                               : el.value.text;
        line = "else " + Arrow(el.dir) + " " + target;
      }
      outs.push_back({{line}, ""});
    }
    return Braced(head, BlockOf(&d), std::move(outs));
  }

  static constexpr int kMaxAlignedWidth = 40;

  Lines RenderSync(const ast::SyncDecl& d) {
    std::string head = "sync " + d.name.text + ": " + Obj(d.left) + " " + Arrow(d.dir) + " " + Obj(d.right);
    const Block& b = BlockOf(&d);
    const size_t n = d.items.size();
    const int col = opt_.indent;

    // Align the arrows of each run of field rules.
    std::vector<std::string> lefts(n);
    std::vector<int> left_width(n, 0), arrow_width(n, 0);
    auto rule = [&](size_t i) { return std::get_if<ast::FieldRule>(&d.items[i]); };
    for (size_t i = 0; i < n; ++i)
      if (rule(i)) lefts[i] = ExprText(rule(i)->salesforce.get());
    for (size_t i = 0; i < n;) {
      if (!rule(i)) {
        ++i;
        continue;
      }
      size_t end = i + 1;
      while (end < n && rule(end) && !(end < b.kids.size() && StartsGroup(b, end))) ++end;
      int lw = 0, aw = 0;
      for (size_t k = i; k < end; ++k) {
        if (Width(lefts[k]) > kMaxAlignedWidth) continue;
        lw = std::max(lw, Width(lefts[k]));
        aw = std::max(aw, static_cast<int>(Arrow(rule(k)->dir).size()));
      }
      for (size_t k = i; k < end; ++k) {
        if (Width(lefts[k]) > kMaxAlignedWidth) continue;
        left_width[k] = lw;
        arrow_width[k] = aw;
      }
      i = end;
    }

    std::vector<KidOut> outs;
    for (size_t i = 0; i < n; ++i) {
      const auto& item = d.items[i];
      Lines lines;
      if (const auto* m = std::get_if<ast::MatchRule>(&item)) {
        lines = {"match " + (m->explicit_fields ? m->sf_field.text + " <-> " + m->hs_field.text : m->key.text)};
      } else if (const auto* s = std::get_if<ast::ScopeRule>(&item)) {
        lines = {"scope " + Side(s->side) + ": " + ExprText(s->condition.get())};
      } else if (const auto* c = std::get_if<ast::CreateRule>(&item)) {
        std::string l = "create in " + Side(c->side);
        if (c->only) l += " only";
        if (c->when) l += " when " + ExprText(c->when.get());
        lines = {l};
      } else if (const auto* c = std::get_if<ast::ConflictDefault>(&item)) {
        lines = {"conflict " + ConflictText(c->policy)};
      } else if (const auto* bl = std::get_if<ast::BlankDefault>(&item)) {
        lines = {"blank " + BlankText(bl->policy)};
      } else if (const auto* cv = std::get_if<ast::ConvertsTo>(&item)) {
        lines = {"converts to " + cv->sync.text};
      } else if (const auto* oc = std::get_if<ast::OnCreate>(&item)) {
        std::vector<KidOut> assigns;
        for (const auto& a : oc->assignments) assigns.push_back({{a.field.text + " = " + ExprText(a.value.get())}, ""});
        lines = Braced("on create " + Side(oc->side), BlockOf(oc), std::move(assigns));
      } else if (const auto* as = std::get_if<ast::Associate>(&item)) {
        lines = {"associate " + as->sf_field.text + " " + Arrow(as->dir) + " " + as->hs_object.text};
      } else if (const auto* de = std::get_if<ast::DeleteRule>(&item)) {
        std::string l = "delete " + DeleteText(de->kind);
        if (de->from) l += " from " + Side(*de->from);
        lines = {l};
      } else if (const auto* fr = std::get_if<ast::FieldRule>(&item)) {
        lines = RenderFieldRule(*fr, lefts[i], left_width[i], arrow_width[i], col);
      }
      outs.push_back({std::move(lines), ""});
    }
    // Items need no separator, but an item must not run into the next one.
    for (size_t i = 0; i + 1 < n; ++i) {
      if (outs[i + 1].lines.empty()) continue;
      std::string_view next = FirstToken(outs[i + 1].lines[0]);
      const auto conts = Continuations(d.items[i]);
      if (std::find(conts.begin(), conts.end(), next) != conts.end()) outs[i].suffix = ";";
    }
    return Braced(head, b, std::move(outs));
  }

  // The tokens that, starting the next item, would be read as more of `item`.
  static std::vector<std::string_view> Continuations(const ast::SyncItem& item) {
    std::vector<std::string_view> out;
    auto expr_end = [&] { out.insert(out.end(), std::begin(kExprContinuations), std::end(kExprContinuations)); };
    if (std::holds_alternative<ast::ScopeRule>(item)) {
      expr_end();
    } else if (const auto* c = std::get_if<ast::CreateRule>(&item)) {
      if (c->when) {
        expr_end();
      } else {
        out.push_back("when");
        if (!c->only) out.push_back("only");
      }
    } else if (const auto* c = std::get_if<ast::ConflictDefault>(&item)) {
      if (c->policy.kind == ast::ConflictKind::kPrefer) out.push_back("unless");
    } else if (const auto* b = std::get_if<ast::BlankDefault>(&item)) {
      if (b->policy.kind == ast::BlankKind::kDefault) expr_end();
    } else if (const auto* d = std::get_if<ast::DeleteRule>(&item)) {
      if (!d->from) out.push_back("from");
    } else if (const auto* f = std::get_if<ast::FieldRule>(&item)) {
      out.insert(out.end(), {"with", "via", "conflict", "blank", "{"});
      // What the printed rule ends with (options print in a fixed order):
      // `}`, a blank policy, a conflict policy, a name, or an expression.
      bool ends_with_expr, ends_with_prefer = false;
      if (!f->transforms.empty()) {
        ends_with_expr = false;
      } else if (f->blank) {
        ends_with_expr = f->blank->kind == ast::BlankKind::kDefault;
      } else if (f->conflict) {
        ends_with_expr = false;
        ends_with_prefer = f->conflict->kind == ast::ConflictKind::kPrefer;
      } else {
        ends_with_expr = !f->via;  // the right side or the `with` expression
      }
      if (ends_with_expr) expr_end();
      if (ends_with_prefer) out.push_back("unless");
    }
    return out;
  }

  Lines RenderFieldRule(const ast::FieldRule& r, const std::string& left, int left_width, int arrow_width, int col) {
    std::string s = Aligned(left, Arrow(r.dir), left_width, arrow_width) + ExprText(r.hubspot.get());
    if (r.with) s += " with " + ExprText(r.with.get());
    if (r.via) s += " via " + r.via->text;
    if (r.conflict) s += " conflict " + ConflictText(*r.conflict);
    if (r.blank) s += " blank " + BlankText(*r.blank);
    if (r.transforms.empty()) return {s};
    std::vector<std::string> parts;
    for (const auto& t : r.transforms) parts.push_back("to " + Side(t.to) + ": " + ExprText(t.expr.get()));
    return Compact(s, BlockOf(&r.transforms), parts, "  ", "", col);
  }

  std::string StageText(const ast::Stage& s) const {
    return s.quoted ? SourceText(s.range, "\"" + s.name + "\"") : s.name;
  }

  Lines RenderLifecycle(const ast::LifecycleDecl& d) {
    std::vector<KidOut> outs;
    for (const auto& item : d.items) {
      std::string l;
      if (const auto* o = std::get_if<ast::StageOrder>(&item)) {
        std::vector<std::string> stages;
        for (const auto& s : o->stages) stages.push_back(StageText(s));
        l = "order " + Join(stages, " < ");
      } else if (std::holds_alternative<ast::ForwardOnly>(item)) {
        l = "forward only";
      } else if (const auto* t = std::get_if<ast::Trigger>(&item)) {
        l = "when " + Path(t->field) + " becomes " + t->value.text + " then " + StageText(t->stage);
        if (t->for_object && t->of_field) l += " for " + t->for_object->text + " of " + t->of_field->text;
      }
      outs.push_back({{l}, ""});
    }
    return Braced("lifecycle " + Path(d.property), BlockOf(&d), std::move(outs));
  }

  Lines RenderRecord(const std::string& head, const ast::RecordLit& r, int col) {
    std::vector<std::string> parts;
    for (const auto& f : r.fields) parts.push_back(f.field.text + ": " + ExprText(f.value.get()));
    return Compact(head, BlockOf(&r), parts, ", ", ",", col);
  }

  Lines RenderTest(const ast::TestDecl& d) {
    const int col = opt_.indent;
    std::vector<KidOut> outs;
    for (const auto& item : d.items) {
      Lines lines;
      if (const auto* g = std::get_if<ast::Given>(&item)) {
        std::string head = "given ";
        if (g->linked) head += "linked ";
        head += Obj(g->object);
        if (g->id) head += " " + SourceText(g->id_range, "\"" + *g->id + "\"");
        lines = RenderRecord(head, g->record, col);
      } else if (const auto* e = std::get_if<ast::ExpectRecord>(&item)) {
        lines = RenderRecord("expect " + Obj(e->object), e->record, col);
      } else if (std::holds_alternative<ast::ExpectNothing>(item)) {
        lines = {"expect nothing"};
      } else if (const auto* e = std::get_if<ast::ExpectError>(&item)) {
        lines = {"expect error " + e->category.text};
      }
      outs.push_back({std::move(lines), ""});
    }
    return Braced("test " + SourceText(d.name_range, "\"" + d.name + "\""), BlockOf(&d), std::move(outs));
  }

  const ast::File& file_;
  FormatOptions opt_;
  std::string_view text_;
  std::deque<Block> blocks_;
  Block* root_ = nullptr;
  std::unordered_map<const void*, Block*> block_of_;  // AST node owning the braces -> its block
  std::unordered_map<const void*, KidComments> kid_comments_;
  std::unordered_map<const Block*, BlockComments> block_comments_;
};

}  // namespace

std::string FormatExpr(const ast::Expr& expr) { return ExprText(&expr); }

std::string Format(const ast::File& file, const FormatOptions& options) { return Formatter(file, options).Run(); }

}  // namespace accord::fmt
