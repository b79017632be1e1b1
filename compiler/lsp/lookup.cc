#include "compiler/lsp/lookup.h"

#include "compiler/sema/stdlib_decls.h"

namespace accord::lsp {

namespace {

using ast::Side;

// A cursor right after a name still points at it.
bool Contains(Range r, uint32_t offset) { return r.begin <= offset && offset <= r.end && r.end > r.begin; }

// The objects of the declaration being walked, for `salesforce.X` / `hubspot.x`.
struct Env {
  ObjectName sf{Side::kSalesforce, ""}, hs{Side::kHubSpot, ""};
  const ObjectName& Of(Side s) const { return s == Side::kSalesforce ? sf : hs; }
};

class Finder {
 public:
  explicit Finder(uint32_t offset) : off_(offset) {}

  Symbol Run(const ast::File& file) {
    for (const ast::Decl& d : file.decls) {
      std::visit(
          [&](const auto& decl) {
            if (!found() && Contains(decl.range, off_)) Visit(decl);
          },
          d);
      if (found()) break;
    }
    return sym_;
  }

 private:
  bool found() const { return sym_.kind != Symbol::kNone; }

  void Set(Symbol::Kind kind, Range r, FieldName field, std::string name = "") {
    sym_.kind = kind;
    sym_.range = r;
    sym_.field = std::move(field);
    sym_.name = std::move(name);
  }

  void Object(Side side, const ast::Name& object) {
    if (Contains(object.range, off_)) Set(Symbol::kObject, object.range, FieldName{side, object.text, ""});
  }
  void Field(const ObjectName& object, const ast::Name& field) {
    if (!found() && Contains(field.range, off_))
      Set(Symbol::kField, field.range, FieldName{object.side, object.object, field.text});
  }
  void Path(const ast::FieldPath& p) {
    Object(p.side, p.object);
    Field(ObjectName{p.side, p.object.text}, p.field);
  }
  void Value(const FieldName& field, const ast::ValueLit& v) {
    if (!found() && Contains(v.range, off_)) Set(Symbol::kValue, v.range, field, v.value);
  }
  void Stage(const FieldName& property, const ast::Stage& s) {
    if (!found() && Contains(s.range, off_)) Set(Symbol::kStage, s.range, property, s.name);
  }
  void Named(Symbol::Kind kind, const ast::Name& n, bool declaration) {
    if (found() || !Contains(n.range, off_)) return;
    Set(kind, n.range, FieldName{}, n.text);
    sym_.declaration = declaration;
  }

  static FieldName PathName(const ast::FieldPath& p) { return FieldName{p.side, p.object.text, p.field.text}; }

  void Visit(const ast::SchemaDecl&) {}

  void Visit(const ast::ValuesDecl& d) {
    Named(Symbol::kValueTable, d.name, true);
    Path(d.left);
    Path(d.right);
    for (const ast::ValueEntry& entry : d.entries) {
      if (auto* p = std::get_if<ast::ValuePair>(&entry)) {
        Value(PathName(d.left), p->salesforce);
        Value(PathName(d.right), p->hubspot);
      } else if (auto* e = std::get_if<ast::ValueElse>(&entry); e && e->kind == ast::ElseKind::kValue) {
        // `else -> X`: X is a value of the receiving (right) field.
        Value(PathName(e->dir == ast::Direction::kToSalesforce ? d.left : d.right), e->value);
      }
    }
  }

  void Visit(const ast::SyncDecl& d) {
    Named(Symbol::kSync, d.name, true);
    Object(d.left.side, d.left.object);
    Object(d.right.side, d.right.object);
    Env env;
    for (const ast::ObjectRef* r : {&d.right, &d.left})  // the first one written wins a side
      (r->side == Side::kSalesforce ? env.sf : env.hs) = ObjectName{r->side, r->object.text};
    for (const ast::SyncItem& item : d.items) {
      if (found()) return;
      std::visit(
          [&](const auto& it) {
            if (Contains(it.range, off_)) Item(it, env);
          },
          item);
    }
  }

  void Item(const ast::MatchRule& m, const Env& env) {
    if (!m.explicit_fields) return;
    Field(env.sf, m.sf_field);
    Field(env.hs, m.hs_field);
  }
  void Item(const ast::ScopeRule& s, const Env& env) { Expr(s.condition.get(), env.Of(s.side), env); }
  void Item(const ast::CreateRule& c, const Env& env) { Expr(c.when.get(), env.Of(ast::Other(c.side)), env); }
  void Item(const ast::ConflictDefault&, const Env&) {}
  void Item(const ast::BlankDefault& b, const Env& env) { Expr(b.policy.default_value.get(), std::nullopt, env); }
  void Item(const ast::ConvertsTo& c, const Env&) { Named(Symbol::kSync, c.sync, false); }
  void Item(const ast::OnCreate& oc, const Env& env) {
    for (const ast::Assignment& a : oc.assignments) {
      Field(env.Of(oc.side), a.field);
      // A string assigned to a picklist field is one of its values.
      if (!found() && a.value && IsString(*a.value) && Contains(a.value->range, off_)) {
        Set(Symbol::kValue, a.value->range, FieldName{oc.side, env.Of(oc.side).object, a.field.text},
            a.value->string_value);
      }
      Expr(a.value.get(), env.Of(ast::Other(oc.side)), env);
    }
  }
  void Item(const ast::Associate& a, const Env& env) {
    Field(env.sf, a.sf_field);
    if (!found()) Object(Side::kHubSpot, a.hs_object);
  }
  void Item(const ast::DeleteRule&, const Env&) {}
  void Item(const ast::FieldRule& r, const Env& env) {
    Expr(r.salesforce.get(), env.sf, env);
    Expr(r.hubspot.get(), env.hs, env);
    // `with` reads the source value; a rule that only flows to Salesforce reads HubSpot's.
    Expr(r.with.get(), r.dir == ast::Direction::kToSalesforce ? env.hs : env.sf, env);
    if (r.via) Named(Symbol::kValueTable, *r.via, false);
    if (r.blank) Expr(r.blank->default_value.get(), std::nullopt, env);
    for (const ast::DirectedTransform& t : r.transforms) Expr(t.expr.get(), env.Of(ast::Other(t.to)), env);
  }

  void Visit(const ast::LifecycleDecl& d) {
    Path(d.property);
    FieldName property = PathName(d.property);
    for (const ast::LifecycleItem& item : d.items) {
      if (found()) return;
      if (auto* o = std::get_if<ast::StageOrder>(&item)) {
        for (const ast::Stage& s : o->stages) Stage(property, s);
      } else if (auto* t = std::get_if<ast::Trigger>(&item)) {
        Path(t->field);
        Value(PathName(t->field), t->value);
        Stage(property, t->stage);
        if (t->for_object && !found()) Object(Side::kHubSpot, *t->for_object);
        if (t->of_field) Field(ObjectName{t->field.side, t->field.object.text}, *t->of_field);
      }
    }
  }

  void Visit(const ast::TestDecl& d) {
    for (const ast::TestItem& item : d.items) {
      if (found()) return;
      if (auto* g = std::get_if<ast::Given>(&item))
        Record(g->object, g->record);
      else if (auto* e = std::get_if<ast::ExpectRecord>(&item))
        Record(e->object, e->record);
    }
  }

  void Record(const ast::ObjectRef& ref, const ast::RecordLit& rec) {
    Object(ref.side, ref.object);
    ObjectName object{ref.side, ref.object.text};
    for (const ast::RecordField& f : rec.fields) {
      Field(object, f.field);
      if (!found() && f.value && IsString(*f.value) && Contains(f.value->range, off_)) {
        Set(Symbol::kValue, f.value->range, FieldName{ref.side, ref.object.text, f.field.text}, f.value->string_value);
      }
      Expr(f.value.get(), std::nullopt, Env{});
    }
  }

  static bool IsString(const ast::Expr& e) {
    return e.kind == ast::ExprKind::kLiteral && e.lit == ast::LiteralKind::kString;
  }

  // The field an expression names, if it is `Name` (bare) or `side.name`.
  static std::optional<FieldName> FieldOf(const ast::Expr& e, const std::optional<ObjectName>& bare, const Env& env) {
    if (e.kind == ast::ExprKind::kIdent && bare && !e.leading_dot) return FieldName{bare->side, bare->object, e.name};
    if (e.kind == ast::ExprKind::kSelect && e.operand && e.operand->kind == ast::ExprKind::kIdent &&
        e.operand->parens == 0 && (e.operand->name == "salesforce" || e.operand->name == "hubspot")) {
      Side side = e.operand->name == "hubspot" ? Side::kHubSpot : Side::kSalesforce;
      return FieldName{side, env.Of(side).object, e.name};
    }
    return std::nullopt;
  }

  void Expr(const ast::Expr* e, const std::optional<ObjectName>& bare, const Env& env) {
    if (!e || found() || !Contains(e->range, off_)) return;
    // Picklist values compared with a field: `Status == "Open"`, `Status in ["A", "B"]`.
    if (e->kind == ast::ExprKind::kBinary && e->args.size() == 2 &&
        (e->binary_op == ast::BinaryOp::Eq || e->binary_op == ast::BinaryOp::Ne || e->binary_op == ast::BinaryOp::In)) {
      for (int side = 0; side < 2 && !found(); ++side) {
        const ast::Expr& f = *e->args[side];
        const ast::Expr& v = *e->args[1 - side];
        auto field = FieldOf(f, bare, env);
        if (!field) continue;
        std::vector<const ast::Expr*> lits;
        if (v.kind == ast::ExprKind::kList && e->binary_op == ast::BinaryOp::In)
          for (const auto& a : v.args) lits.push_back(a.get());
        else
          lits.push_back(&v);
        for (const ast::Expr* l : lits)
          if (!found() && IsString(*l) && Contains(l->range, off_))
            Set(Symbol::kValue, l->range, *field, l->string_value);
      }
    }
    if (e->operand) Expr(e->operand.get(), bare, env);
    for (const auto& a : e->args) Expr(a.get(), bare, env);
    if (found()) return;
    switch (e->kind) {
      case ast::ExprKind::kIdent:
      case ast::ExprKind::kSelect:
        if (Contains(e->name_range, off_)) {
          if (auto field = FieldOf(*e, bare, env)) {
            Set(Symbol::kField, e->name_range, *field);
            sym_.expr = e;
          }
        }
        break;
      case ast::ExprKind::kCall:
        if (Contains(e->name_range, off_)) {
          std::string ns = sema::NamespacedName(*e);
          Set(Symbol::kFunction, e->name_range, FieldName{}, ns.empty() ? e->name : ns);
          sym_.receiver = ns.empty() && e->operand != nullptr;
          sym_.expr = e;
        }
        break;
      default:
        break;
    }
  }

  uint32_t off_;
  Symbol sym_;
};

}  // namespace

Symbol FindSymbol(const ast::File& file, uint32_t offset) { return Finder(offset).Run(file); }

}  // namespace accord::lsp
