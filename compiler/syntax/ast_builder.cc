#include "compiler/syntax/ast_builder.h"

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace accord::syntax {
namespace {

using P = AccordParser;

// CEL integer digits (decimal, or hex after 0x) -> value; false when they do not fit in 64 bits.
bool ParseCelDigits(const std::string& digits, unsigned long long* out) {
  bool hex = digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
  errno = 0;
  *out = std::strtoull(digits.c_str() + (hex ? 2 : 0), nullptr, hex ? 16 : 10);
  return errno != ERANGE;
}

}  // namespace

class AstBuilder::Impl {
 public:
  Impl(const SourceFile& src, const OffsetMap& map, DiagSink& sink, const ParseOptions& opt, ast::File& file)
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
  static ast::Side S(P::SideContext* c) { return c && c->HUBSPOT() ? ast::Side::kHubSpot : ast::Side::kSalesforce; }
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
    sink_.Report(DiagCode::kDuplicatePolicy, &src_, r,
                 "this field rule already has " + what + "; the first one is used");
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
            if (rule.with)
              Duplicate(R(o), "a `with` transform");
            else
              rule.with = std::move(e);
          } else if (auto* v = dynamic_cast<P::ViaOptionContext*>(o)) {
            auto n = N(v->ident());
            ok &= n.has_value();
            if (rule.via)
              Duplicate(R(o), "a `via` table");
            else if (n)
              rule.via = *n;
          } else if (auto* fc = dynamic_cast<P::FieldConflictOptionContext*>(o)) {
            auto c = Conflict(fc->conflictPolicy());
            ok &= c.has_value();
            if (rule.conflict)
              Duplicate(R(o), "a conflict policy");
            else
              rule.conflict = c;
          } else if (auto* fb = dynamic_cast<P::FieldBlankOptionContext*>(o)) {
            auto b = Blank(fb->blankPolicy());
            ok &= b.has_value();
            if (rule.blank)
              Duplicate(R(o), "a blank policy");
            else if (b)
              rule.blank = std::move(*b);
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
              if (twice)
                Duplicate(R(dt), "a transform in this direction");
              else
                rule.transforms.push_back(ast::DirectedTransform{S(dt->side()), std::move(e), R(dt)});
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
    Impl* b;
    int n;
    DepthGuard(Impl* b, int n) : b(b), n(n) { b->depth_ += n; }
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
      case P::OR:
        return ast::BinaryOp::Or;
      case P::AND:
        return ast::BinaryOp::And;
      case P::LT:
        return ast::BinaryOp::Lt;
      case P::LE:
        return ast::BinaryOp::Le;
      case P::GT:
        return ast::BinaryOp::Gt;
      case P::GE:
        return ast::BinaryOp::Ge;
      case P::EQ:
        return ast::BinaryOp::Eq;
      case P::NE:
        return ast::BinaryOp::Ne;
      case P::IN:
        return ast::BinaryOp::In;
      case P::PLUS:
        return ast::BinaryOp::Add;
      case P::MINUS:
        return ast::BinaryOp::Sub;
      case P::STAR:
        return ast::BinaryOp::Mul;
      case P::SLASH:
        return ast::BinaryOp::Div;
      case P::PERCENT:
        return ast::BinaryOp::Mod;
      default:
        return std::nullopt;
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
      if (auto* bi = dynamic_cast<P::ExprBinaryContext*>(cur))
        next = bi->expr(0);
      else if (auto* s = dynamic_cast<P::ExprSelectContext*>(cur))
        next = s->expr();
      else if (auto* k = dynamic_cast<P::ExprCallContext*>(cur))
        next = k->expr();
      else if (auto* i = dynamic_cast<P::ExprIndexContext*>(cur))
        next = i->expr(0);
      else if (auto* co = dynamic_cast<P::ExprConditionalContext*>(cur))
        next = co->expr(0);
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
      NotCel(R(operand), std::string("'") + (is_not ? "!" : "-") + "' cannot be followed by '" + (is_not ? "-" : "!") +
                             "' here; write " + (is_not ? "!(-x)" : "-(!x)"));
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

AstBuilder::AstBuilder(const SourceFile& src, const OffsetMap& map, DiagSink& sink, const ParseOptions& opt,
                       ast::File& file)
    : impl_(std::make_unique<Impl>(src, map, sink, opt, file)) {}
AstBuilder::~AstBuilder() = default;
size_t AstBuilder::errors() const { return impl_->errors(); }
void AstBuilder::BuildFile(AccordParser::FileContext* ctx) { impl_->BuildFile(ctx); }
ast::ExprPtr AstBuilder::BuildExpr(AccordParser::ExprContext* ctx) { return impl_->BuildExpr(ctx); }

}  // namespace accord::syntax
