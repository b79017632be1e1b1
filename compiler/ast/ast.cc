#include "compiler/ast/ast.h"

#include <algorithm>
#include <sstream>

#include "base/strings.h"

namespace accord::ast {

std::string_view SideName(Side s) { return s == Side::kSalesforce ? "salesforce" : "hubspot"; }

std::string_view DirectionToken(Direction d) {
  switch (d) {
    case Direction::kBoth:
      return "<->";
    case Direction::kToHubSpot:
      return "->";
    case Direction::kToSalesforce:
      return "<-";
  }
  return "<->";
}

std::string_view ExprKindName(ExprKind k) {
  switch (k) {
#define X(name)           \
  case ExprKind::k##name: \
    return #name;
    ACCORD_EXPR_KINDS(X)
#undef X
  }
  return "?";
}

std::string_view BinaryOpToken(BinaryOp op) {
  switch (op) {
#define X(name, tok, prec) \
  case BinaryOp::name:     \
    return tok;
    ACCORD_BINARY_OPS(X)
#undef X
  }
  return "?";
}

int BinaryOpPrecedence(BinaryOp op) {
  switch (op) {
#define X(name, tok, prec) \
  case BinaryOp::name:     \
    return prec;
    ACCORD_BINARY_OPS(X)
#undef X
  }
  return 0;
}

ExprPtr MakeExpr(ExprKind kind, Range range) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->range = range;
  return e;
}

Expr::~Expr() {
  if (!operand && args.empty()) return;
  std::vector<ExprPtr> doomed;
  auto take = [&doomed](Expr& e) {
    if (e.operand) doomed.push_back(std::move(e.operand));
    for (auto& a : e.args)
      if (a) doomed.push_back(std::move(a));
    e.args.clear();
  };
  take(*this);
  while (!doomed.empty()) {
    ExprPtr e = std::move(doomed.back());
    doomed.pop_back();
    take(*e);
  }  // e has no children left when it is destroyed here
}

int ExprDepth(const Expr& root) {
  int best = 0;
  std::vector<std::pair<const Expr*, int>> stack{{&root, 1}};
  while (!stack.empty()) {
    auto [e, d] = stack.back();
    stack.pop_back();
    best = std::max(best, d);
    if (e->operand) stack.emplace_back(e->operand.get(), d + 1);
    for (const auto& a : e->args)
      if (a) stack.emplace_back(a.get(), d + 1);
  }
  return best;
}

namespace {

// Calls fn on every top-level expression of a file.
template <typename Fn>
void ForEachExpr(const File& f, Fn fn) {
  auto e = [&fn](const ExprPtr& p) {
    if (p) fn(*p);
  };
  auto record = [&e](const RecordLit& r) {
    for (const auto& x : r.fields) e(x.value);
  };
  for (const auto& decl : f.decls) {
    if (const auto* s = std::get_if<SyncDecl>(&decl)) {
      for (const auto& item : s->items) {
        if (const auto* r = std::get_if<ScopeRule>(&item))
          e(r->condition);
        else if (const auto* c = std::get_if<CreateRule>(&item))
          e(c->when);
        else if (const auto* b = std::get_if<BlankDefault>(&item))
          e(b->policy.default_value);
        else if (const auto* o = std::get_if<OnCreate>(&item))
          for (const auto& a : o->assignments) e(a.value);
        else if (const auto* fr = std::get_if<FieldRule>(&item)) {
          e(fr->salesforce);
          e(fr->hubspot);
          e(fr->with);
          if (fr->blank) e(fr->blank->default_value);
          for (const auto& t : fr->transforms) e(t.expr);
        }
      }
    } else if (const auto* t = std::get_if<TestDecl>(&decl)) {
      for (const auto& item : t->items) {
        if (const auto* g = std::get_if<Given>(&item))
          record(g->record);
        else if (const auto* x = std::get_if<ExpectRecord>(&item))
          record(x->record);
      }
    }
  }
}

}  // namespace

int MaxExprDepth(const File& f) {
  int best = 0;
  ForEachExpr(f, [&best](const Expr& e) { best = std::max(best, ExprDepth(e)); });
  return best;
}

namespace {

// Dump()'s strings: every control byte and DEL in hex, so a dump stays on one line.
std::string Quote(std::string_view s) { return base::Quote(s, {"", true, true, false}); }

void DumpExprTo(const Expr& e, std::string& o) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      switch (e.lit) {
        case LiteralKind::kInt:
          o += std::to_string(e.int_value);
          break;
        case LiteralKind::kUint:
          o += std::to_string(e.uint_value) + "u";
          break;
        case LiteralKind::kDouble: {
          std::ostringstream s;
          s.precision(17);
          s << e.double_value;
          o += "(double " + s.str() + ")";
          break;
        }
        case LiteralKind::kString:
          o += Quote(e.string_value);
          break;
        case LiteralKind::kBytes:
          o += "b" + Quote(e.string_value);
          break;
        case LiteralKind::kBool:
          o += e.bool_value ? "true" : "false";
          break;
        case LiteralKind::kNull:
          o += "null";
          break;
      }
      return;
    case ExprKind::kIdent:
      o += e.leading_dot ? "." + e.name : e.name;
      return;
    case ExprKind::kSelect:
      o += "(select ";
      DumpExprTo(*e.operand, o);
      o += " " + e.name + ")";
      return;
    case ExprKind::kCall:
      o += "(call ";
      if (e.leading_dot) o += ".";
      o += e.name;
      if (e.operand) {
        o += " :recv ";
        DumpExprTo(*e.operand, o);
      }
      for (const auto& a : e.args) {
        o += " ";
        DumpExprTo(*a, o);
      }
      o += ")";
      return;
    case ExprKind::kIndex:
      o += "(index ";
      DumpExprTo(*e.operand, o);
      o += " ";
      DumpExprTo(*e.args[0], o);
      o += ")";
      return;
    case ExprKind::kList:
    case ExprKind::kMap:
      o += e.kind == ExprKind::kList ? "(list" : "(map";
      for (const auto& a : e.args) {
        o += " ";
        DumpExprTo(*a, o);
      }
      o += ")";
      return;
    case ExprKind::kUnary:
      o += e.unary_op == UnaryOp::kNot ? "(! " : "(neg ";
      DumpExprTo(*e.operand, o);
      o += ")";
      return;
    case ExprKind::kBinary:
      o += "(";
      o += BinaryOpToken(e.binary_op);
      o += " ";
      DumpExprTo(*e.args[0], o);
      o += " ";
      DumpExprTo(*e.args[1], o);
      o += ")";
      return;
    case ExprKind::kConditional:
      o += "(?: ";
      DumpExprTo(*e.args[0], o);
      o += " ";
      DumpExprTo(*e.args[1], o);
      o += " ";
      DumpExprTo(*e.args[2], o);
      o += ")";
      return;
  }
}

struct Dumper {
  std::string o;
  int indent = 0;

  void Line(const std::string& s) {
    o.append(static_cast<size_t>(indent) * 2, ' ');
    o += s;
    o += '\n';
  }
  static std::string E(const Expr* e) { return e ? DumpExpr(*e) : "-"; }
  static std::string Obj(const ObjectRef& r) { return std::string(SideName(r.side)) + "." + r.object.text; }
  static std::string Path(const FieldPath& p) { return FieldPathText(p); }
  static std::string V(const ValueLit& v) { return v.kind == LiteralKind::kString ? Quote(v.value) : v.value; }
  static std::string Conflict(const ConflictPolicy& c) { return ConflictPolicyText(c); }
  static std::string Blank(const BlankPolicy& b) {
    switch (b.kind) {
      case BlankKind::kIgnore:
        return "ignore";
      case BlankKind::kClear:
        return "clear";
      case BlankKind::kDefault:
        return "default " + E(b.default_value.get());
    }
    return "?";
  }
  std::string Record(const RecordLit& r) {
    std::string s = "{";
    for (const auto& f : r.fields) s += " " + f.field.text + ": " + E(f.value.get());
    return s + " }";
  }

  void operator()(const SchemaDecl& d) { Line("schema " + std::string(SideName(d.side)) + " " + Quote(d.path)); }
  void operator()(const ValuesDecl& d) {
    Line("values " + d.name.text + " " + Path(d.left) + " " + std::string(DirectionToken(d.dir)) + " " + Path(d.right));
    ++indent;
    for (const auto& e : d.entries) {
      if (auto* p = std::get_if<ValuePair>(&e)) {
        Line(V(p->salesforce) + " " + std::string(DirectionToken(p->dir)) + " " + V(p->hubspot));
      } else {
        const auto& el = std::get<ValueElse>(e);
        std::string t = el.kind == ElseKind::kReject ? "reject" : el.kind == ElseKind::kKeep ? "keep" : V(el.value);
        Line("else " + std::string(DirectionToken(el.dir)) + " " + t);
      }
    }
    --indent;
  }
  void operator()(const SyncDecl& d) {
    Line("sync " + d.name.text + " " + Obj(d.left) + " " + std::string(DirectionToken(d.dir)) + " " + Obj(d.right));
    ++indent;
    for (const auto& item : d.items) std::visit(*this, item);
    --indent;
  }
  void operator()(const MatchRule& m) {
    Line(m.explicit_fields ? "match " + m.sf_field.text + " <-> " + m.hs_field.text : "match " + m.key.text);
  }
  void operator()(const ScopeRule& s) { Line("scope " + std::string(SideName(s.side)) + " " + E(s.condition.get())); }
  void operator()(const CreateRule& c) {
    Line("create in " + std::string(SideName(c.side)) + (c.only ? " only" : "") + " when " + E(c.when.get()));
  }
  void operator()(const ConflictDefault& c) { Line("conflict " + Conflict(c.policy)); }
  void operator()(const BlankDefault& b) { Line("blank " + Blank(b.policy)); }
  void operator()(const ConvertsTo& c) { Line("converts to " + c.sync.text); }
  void operator()(const OnCreate& c) {
    Line("on create " + std::string(SideName(c.side)));
    ++indent;
    for (const auto& a : c.assignments) Line(a.field.text + " = " + E(a.value.get()));
    --indent;
  }
  void operator()(const Associate& a) {
    Line("associate " + a.sf_field.text + " " + std::string(DirectionToken(a.dir)) + " " + a.hs_object.text);
  }
  void operator()(const DeleteRule& d) {
    std::string k = d.kind == DeleteKind::kKeep ? "keep" : d.kind == DeleteKind::kPropagate ? "propagate" : "unlink";
    Line("delete " + k + (d.from ? " from " + std::string(SideName(*d.from)) : ""));
  }
  void operator()(const FieldRule& f) {
    std::string s =
        "field " + E(f.salesforce.get()) + " " + std::string(DirectionToken(f.dir)) + " " + E(f.hubspot.get());
    if (f.with) s += " with " + E(f.with.get());
    if (f.via) s += " via " + f.via->text;
    if (f.conflict) s += " conflict " + Conflict(*f.conflict);
    if (f.blank) s += " blank " + Blank(*f.blank);
    for (const auto& t : f.transforms) s += " to " + std::string(SideName(t.to)) + ": " + E(t.expr.get());
    Line(s);
  }
  void operator()(const LifecycleDecl& d) {
    Line("lifecycle " + Path(d.property));
    ++indent;
    for (const auto& item : d.items) std::visit(*this, item);
    --indent;
  }
  void operator()(const StageOrder& s) {
    std::string l = "order";
    for (const auto& st : s.stages) l += " " + (st.quoted ? Quote(st.name) : st.name);
    Line(l);
  }
  void operator()(const ForwardOnly&) { Line("forward only"); }
  void operator()(const Trigger& t) {
    std::string l = "when " + Path(t.field) + " becomes " + V(t.value) + " then " + t.stage.name;
    if (t.for_object) l += " for " + t.for_object->text + " of " + t.of_field->text;
    Line(l);
  }
  void operator()(const TestDecl& d) {
    Line("test " + Quote(d.name));
    ++indent;
    for (const auto& item : d.items) std::visit(*this, item);
    --indent;
  }
  void operator()(const Given& g) {
    Line(std::string("given ") + (g.linked ? "linked " : "") + Obj(g.object) + (g.id ? " " + Quote(*g.id) : "") + " " +
         Record(g.record));
  }
  void operator()(const ExpectRecord& e) { Line("expect " + Obj(e.object) + " " + Record(e.record)); }
  void operator()(const ExpectNothing&) { Line("expect nothing"); }
  void operator()(const ExpectError& e) { Line("expect error " + e.category.text); }
};

}  // namespace

std::string DumpExpr(const Expr& e) {
  std::string o;
  DumpExprTo(e, o);
  return o;
}

std::string Dump(const File& f) {
  Dumper d;
  for (const auto& decl : f.decls) std::visit(d, decl);
  return d.o;
}

std::string ConflictPolicyText(const ConflictPolicy& c) {
  switch (c.kind) {
    case ConflictKind::kTwoWay:
      return "two_way";
    case ConflictKind::kPrefer:
      return "prefer " + std::string(SideName(c.side));
    case ConflictKind::kPreferUnlessBlank:
      return "prefer " + std::string(SideName(c.side)) + " unless blank";
    case ConflictKind::kDontSync:
      return "dont_sync";
  }
  return "two_way";
}

std::string FieldPathText(const FieldPath& p) {
  return std::string(SideName(p.side)) + "." + p.object.text + "." + p.field.text;
}

bool SameAst(const File& a, const File& b, std::string* why) {
  std::string da = Dump(a), db = Dump(b);
  if (da == db) return true;
  if (why) {
    size_t i = 0;
    while (i < da.size() && i < db.size() && da[i] == db[i]) ++i;
    size_t start = i > 40 ? i - 40 : 0;
    *why = "first difference near: <<" + da.substr(start, 80) + ">> vs <<" + db.substr(start, 80) + ">>";
  }
  return false;
}

}  // namespace accord::ast
