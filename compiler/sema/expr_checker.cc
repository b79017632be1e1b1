// The expression checker (expr_checker.h): names, picklist values, the CEL
// types of expressions with their macros and overloads, and type fit.
#include "compiler/sema/expr_checker.h"

#include <filesystem>

#include "compiler/sema/stdlib_decls.h"

namespace accord::sema {
namespace detail {

schema::System Sys(Side s) { return s == Side::kSalesforce ? schema::System::kSalesforce : schema::System::kHubSpot; }
std::string SideStr(Side s) { return std::string(ast::SideName(s)); }
std::string Q(const std::string& s) { return "\"" + s + "\""; }

std::string FieldName(const Object* o, const Field* f) {
  return std::string(schema::SystemName(o->system)) + "." + o->name + "." + f->name;
}

Type ExprChecker::Standalone(const ast::Expr& e, const ast::File& f, const ExprEnv& env) {
  Scope s;
  s.vars = env.vars;
  if (env.object) {
    s.bare = env.object;
    s.bare_side = env.side;
    (env.side == Side::kSalesforce ? s.sf : s.hs) = env.object;
  }
  return Expr(e, s, &f);
}

// A two-way rule checks its `with` transform and `via` table once per
// direction; the same finding is reported once.
Diagnostic& ExprChecker::Report(DiagCode c, const ast::File* f, Range r, std::string msg) {
  const SourceFile* src = f ? f->source : nullptr;
  if (!reported_.emplace(static_cast<int>(c), src, r.begin, r.end, msg).second) {
    duplicate_ = Diagnostic{};
    return duplicate_;
  }
  return sink_.Report(c, src, r, std::move(msg));
}

void ExprChecker::Suggest(Diagnostic& d, const std::string& wrong, const std::vector<std::string>& cands,
                          const std::string& what) {
  if (auto s = schema::Suggest(wrong, cands)) {
    d.message += "; did you mean " + Q(*s) + "?";
    d.fixit = *s;
  } else if (!what.empty() && !cands.empty() && cands.size() <= 12) {
    std::string list;
    for (size_t i = 0; i < cands.size(); ++i) list += (i ? ", " : "") + cands[i];
    d.notes.push_back(accord::Note{what + ": " + list, nullptr, {}});
  }
}

void ExprChecker::AddNote(Diagnostic& d, const ast::File* f, Range r, std::string msg) {
  d.notes.push_back(accord::Note{std::move(msg), f ? f->source : nullptr, r});
}

bool ExprChecker::HaveSchema(Side s, const ast::File* f, Range r) {
  bool have = s == Side::kSalesforce ? in_.have_salesforce_schema : in_.have_hubspot_schema;
  if (have) return true;
  bool& reported = s == Side::kSalesforce ? no_sf_reported_ : no_hs_reported_;
  if (!reported) {
    reported = true;
    // A declared folder: the driver already reported one that does not
    // exist; one that exists has no describe files for this system.
    std::string declared;
    bool missing = false;
    for (const ast::File* file : in_.files) {
      for (const auto& d : file->decls) {
        auto* sd = std::get_if<ast::SchemaDecl>(&d);
        if (!sd || sd->side != s || !file->source) continue;
        std::error_code ec;
        std::filesystem::path dir = std::filesystem::path(file->source->path()).parent_path() / sd->path;
        if (!std::filesystem::is_directory(dir, ec))
          missing = true;
        else if (declared.empty())
          declared = dir.lexically_normal().string();
      }
    }
    if (missing) return false;
    if (!declared.empty()) {
      Report(DiagCode::kNoSchema, f, r,
             "no " + SideStr(s) + " schema is loaded: the schema folder " + declared + " has no " + SideStr(s) +
                 " describe files");
    } else {
      Report(DiagCode::kNoSchema, f, r,
             "no " + SideStr(s) + " schema is loaded: declare one with `schema " + SideStr(s) + " \"schemas/" +
                 SideStr(s) + "\"` or put describe files in a schemas/" + SideStr(s) + " folder next to the rules");
    }
  }
  return false;
}

const Object* ExprChecker::ResolveObject(Side side, const ast::Name& name, const ast::File* f) {
  if (!HaveSchema(side, f, name.range)) return nullptr;
  if (auto* o = in_.schemas->Find(Sys(side), name.text)) return o;
  auto& d = Report(DiagCode::kUnknownObject, f, name.range, "unknown " + SideStr(side) + " object " + Q(name.text));
  std::vector<std::string> names;
  for (auto* o : in_.schemas->Objects(Sys(side))) names.push_back(o->name);
  Suggest(d, name.text, names, "objects in the " + SideStr(side) + " schema");
  return nullptr;
}

std::vector<std::string> ExprChecker::FieldNames(const Object* o) {
  std::vector<std::string> v;
  for (const auto& fl : o->fields) v.push_back(fl.name);
  return v;
}

const Field* ExprChecker::ResolveField(const Object* o, const ast::Name& name, const ast::File* f) {
  if (!o) return nullptr;
  if (auto* fl = o->FindField(name.text)) return fl;
  auto& d = Report(DiagCode::kUnknownField, f, name.range,
                   std::string(schema::SystemName(o->system)) + "." + o->name + " has no field " + Q(name.text));
  Suggest(d, name.text, FieldNames(o));
  return nullptr;
}

const Field* ExprChecker::ResolvePath(const ast::FieldPath& p, const ast::File* f, const Object** obj) {
  const Object* o = ResolveObject(p.side, p.object, f);
  if (obj) *obj = o;
  return ResolveField(o, p.field, f);
}

// Checks a literal against a picklist field; returns false when it is not a value.
// `written`: the value is written to the field (an inactive value then fails
// on save, A0402); a value only read (compared, translated from, triggered on)
// may be inactive: old records still carry it.
bool ExprChecker::CheckPicklistValue(const Object* o, const Field* fl, const std::string& value, Range r,
                                     const ast::File* f, bool written) {
  if (!fl || !fl->is_picklist || fl->values.empty()) return true;
  for (const auto& v : fl->values) {
    if (v.value == value) {
      if (!v.active && written) {
        Report(DiagCode::kInactivePicklistValue, f, r,
               Q(value) + " is an inactive value of " + FieldName(o, fl) + "; records cannot be saved with it");
      }
      return true;
    }
  }
  auto& d = Report(DiagCode::kUnknownPicklistValue, f, r, Q(value) + " is not a value of " + FieldName(o, fl));
  std::vector<std::string> cands;
  for (const auto& v : fl->values)
    if (v.active) cands.push_back(v.value);
  // A label used instead of the internal value is a common slip.
  for (const auto& v : fl->values) {
    if (v.label == value && v.value != value) {
      d.message += "; " + Q(value) + " is the label, the value is " + Q(v.value);
      d.fixit = "\"" + v.value + "\"";
      return false;
    }
  }
  Suggest(d, value, cands, "values of " + FieldName(o, fl));
  if (d.fixit) d.fixit = "\"" + *d.fixit + "\"";
  return false;
}

Type ExprChecker::FieldType(const ast::Expr& e, Side side, const Object* o, const Field* fl, const ast::File* f) {
  m_.fields[&e] = FieldRef{side, o, fl};
  if (fl->type == schema::FieldType::kUnsupported) {
    Report(DiagCode::kUnsupportedType, f, e.range,
           FieldName(o, fl) + " has type " + Q(fl->native_type) + ", which rules cannot read or write");
    return Err();
  }
  return FromField(fl->type);
}

Type ExprChecker::Expr(const ast::Expr& e, Scope& s, const ast::File* f) {
  Type t = ExprImpl(e, s, f);
  SetType(e, t);
  return t;
}

Type ExprChecker::ExprImpl(const ast::Expr& e, Scope& s, const ast::File* f) {
  switch (e.kind) {
    case ast::ExprKind::kLiteral:
      switch (e.lit) {
        case ast::LiteralKind::kInt:
          return Type::Of(TypeKind::kInt);
        case ast::LiteralKind::kUint:
          return Type::Of(TypeKind::kUint);
        case ast::LiteralKind::kDouble:
          return Type::Of(TypeKind::kDouble);
        case ast::LiteralKind::kString:
          return Type::Of(TypeKind::kString);
        case ast::LiteralKind::kBytes:
          return Type::Of(TypeKind::kBytes);
        case ast::LiteralKind::kBool:
          return Type::Of(TypeKind::kBool);
        case ast::LiteralKind::kNull:
          return Type::Of(TypeKind::kNull);
      }
      return Err();
    case ast::ExprKind::kIdent:
      return Ident(e, s, f);
    case ast::ExprKind::kSelect:
      return Select(e, s, f);
    case ast::ExprKind::kCall:
      return Call(e, s, f);
    case ast::ExprKind::kIndex: {
      Type c = Expr(*e.operand, s, f);
      Type i = Expr(*e.args[0], s, f);
      if (c.Is(TypeKind::kError) || i.Is(TypeKind::kError)) return Err();
      if (c.Is(TypeKind::kDyn)) return Type::Of(TypeKind::kDyn);
      if (c.Is(TypeKind::kList)) {
        if (!i.Is(TypeKind::kInt) && !i.Is(TypeKind::kDyn) && !i.Is(TypeKind::kUint)) {
          Report(DiagCode::kNoOverload, f, e.args[0]->range, "a list index must be an int, not " + i.ToString());
          return Err();
        }
        return c.params.empty() ? Type::Of(TypeKind::kDyn) : c.params[0];
      }
      if (c.Is(TypeKind::kMap)) {
        Substitution sub;
        if (c.params.size() == 2 && !Unify(c.params[0], i, sub)) {
          Report(DiagCode::kNoOverload, f, e.args[0]->range,
                 "this map has " + c.params[0].ToString() + " keys, not " + i.ToString());
          return Err();
        }
        return c.params.size() == 2 ? c.params[1] : Type::Of(TypeKind::kDyn);
      }
      Report(DiagCode::kNoOverload, f, e.range, "a value of type " + c.ToString() + " cannot be indexed");
      return Err();
    }
    case ast::ExprKind::kList: {
      std::optional<Type> elem;
      bool mixed = false;
      for (const auto& a : e.args) {
        Type t = Expr(*a, s, f);
        if (t.Is(TypeKind::kError) || t.Is(TypeKind::kNull)) continue;
        if (!elem)
          elem = t;
        else if (*elem != t)
          mixed = true;
      }
      return Type::List(mixed || !elem ? Type::Of(TypeKind::kDyn) : *elem);
    }
    case ast::ExprKind::kMap: {
      std::optional<Type> kt, vt;
      bool mk = false, mv = false;
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Type k = Expr(*e.args[i], s, f), v = Expr(*e.args[i + 1], s, f);
        if (!k.Is(TypeKind::kError)) {
          if (!(k.Is(TypeKind::kString) || k.Is(TypeKind::kInt) || k.Is(TypeKind::kUint) || k.Is(TypeKind::kBool) ||
                k.Is(TypeKind::kDyn))) {
            Report(DiagCode::kNoOverload, f, e.args[i]->range,
                   "map keys must be string, int, uint or bool, not " + k.ToString());
          }
          if (!kt)
            kt = k;
          else if (*kt != k)
            mk = true;
        }
        if (!v.Is(TypeKind::kError) && !v.Is(TypeKind::kNull)) {
          if (!vt)
            vt = v;
          else if (*vt != v)
            mv = true;
        }
      }
      return Type::Map(mk || !kt ? Type::Of(TypeKind::kDyn) : *kt, mv || !vt ? Type::Of(TypeKind::kDyn) : *vt);
    }
    case ast::ExprKind::kUnary: {
      Type t = Expr(*e.operand, s, f);
      if (t.Is(TypeKind::kError) || t.Is(TypeKind::kDyn))
        return t.Is(TypeKind::kDyn) && e.unary_op == ast::UnaryOp::kNot ? Type::Of(TypeKind::kBool) : t;
      if (e.unary_op == ast::UnaryOp::kNot) {
        if (!t.Is(TypeKind::kBool)) {
          Report(DiagCode::kNoOverload, f, e.range, "'!' needs a bool, not " + t.ToString());
          return Err();
        }
        return t;
      }
      if (!(t.Is(TypeKind::kInt) || t.Is(TypeKind::kDouble) || t.Is(TypeKind::kDecimal) || t.Is(TypeKind::kDuration))) {
        Report(DiagCode::kNoOverload, f, e.range, "'-' needs a number, not " + t.ToString());
        return Err();
      }
      return t;
    }
    case ast::ExprKind::kBinary:
      return Binary(e, s, f);
    case ast::ExprKind::kConditional: {
      Type c = Expr(*e.args[0], s, f);
      Type a = Expr(*e.args[1], s, f);
      Type b = Expr(*e.args[2], s, f);
      if (!c.Is(TypeKind::kBool) && !c.Is(TypeKind::kDyn) && !c.Is(TypeKind::kError)) {
        Report(DiagCode::kNotBool, f, e.args[0]->range, "the condition of ?: must be a bool, not " + c.ToString());
      }
      if (a.Is(TypeKind::kError) || b.Is(TypeKind::kError)) return Err();
      if (a.Is(TypeKind::kNull)) return b;
      if (b.Is(TypeKind::kNull) || a == b) return a;
      if (a.Is(TypeKind::kDyn) || b.Is(TypeKind::kDyn)) return Type::Of(TypeKind::kDyn);
      // list(dyn) from `[]` joins with list(int), map(dyn, dyn) from `{}` with any map
      if (Substitution sub; Unify(a, b, sub)) return b;
      if (Substitution sub; Unify(b, a, sub)) return a;
      Report(DiagCode::kNoOverload, f, e.range,
             "the branches of ?: have different types: " + a.ToString() + " and " + b.ToString());
      return Err();
    }
  }
  return Err();
}

Type ExprChecker::Ident(const ast::Expr& e, Scope& s, const ast::File* f) {
  for (auto it = s.vars.rbegin(); it != s.vars.rend(); ++it)
    if (it->first == e.name) return it->second;
  if (e.name == "_") {
    if (s.underscore) return *s.underscore;
    Report(DiagCode::kUnknownIdentifier, f, e.range,
           "`_` (the field value) is only available in `with`, `to hubspot:`/`to salesforce:` transforms");
    return Err();
  }
  if (!e.leading_dot && s.bare) {
    if (auto* fl = s.bare->FindField(e.name)) return FieldType(e, s.bare_side, s.bare, fl, f);
  }
  if (e.name == "salesforce" || e.name == "hubspot") {
    Report(DiagCode::kUnknownIdentifier, f, e.range,
           "`" + e.name + "` names a side; select a field of it, e.g. " + e.name + ".Email");
    return Err();
  }
  // Type names may be used as values (type(x) == string).
  Type tt;
  if (e.name != "dyn" &&
      ((ParseType(e.name, &tt) && tt.kind != TypeKind::kParam && tt.kind != TypeKind::kError && e.name != "param") ||
       e.name == "list" || e.name == "map" || e.name == "null_type" || e.name == "type")) {
    return Type::Of(TypeKind::kTypeType);
  }
  if (s.bare) {
    auto& d =
        Report(DiagCode::kUnknownField, f, e.range,
               std::string(schema::SystemName(s.bare->system)) + "." + s.bare->name + " has no field " + Q(e.name));
    std::vector<std::string> cands = FieldNames(s.bare);
    for (const auto& v : s.vars) cands.push_back(v.first);
    Suggest(d, e.name, cands);
    return Err();
  }
  auto& d = Report(DiagCode::kUnknownIdentifier, f, e.range, "unknown name " + Q(e.name));
  std::vector<std::string> cands;
  for (const auto& v : s.vars) cands.push_back(v.first);
  Suggest(d, e.name, cands);
  return Err();
}

bool ExprChecker::Dotted(const ast::Expr& e, std::string* out) {
  if (e.kind == ast::ExprKind::kIdent) {
    *out = e.name;
    return true;
  }
  if (e.kind == ast::ExprKind::kSelect && e.operand && Dotted(*e.operand, out)) {
    *out += "." + e.name;
    return true;
  }
  return false;
}

Type ExprChecker::Select(const ast::Expr& e, Scope& s, const ast::File* f) {
  const ast::Expr& op = *e.operand;
  // A declared variable with a qualified name (`a.b.c`), or a qualified type name.
  if (std::string dotted; Dotted(e, &dotted)) {
    for (auto it = s.vars.rbegin(); it != s.vars.rend(); ++it)
      if (it->first == dotted) return it->second;
    if (dotted == "google.protobuf.Timestamp" || dotted == "google.protobuf.Duration")
      return Type::Of(TypeKind::kTypeType);
  }
  if (op.kind == ast::ExprKind::kIdent && !op.leading_dot && (op.name == "salesforce" || op.name == "hubspot")) {
    bool shadowed = false;
    for (const auto& v : s.vars) shadowed |= v.first == op.name;
    if (!shadowed && !(s.bare && s.bare->FindField(op.name))) {
      Side side = op.name == "salesforce" ? Side::kSalesforce : Side::kHubSpot;
      const Object* o = SideObject(s, side);
      if (!o) {
        Report(DiagCode::kUnknownIdentifier, f, op.range,
               "there is no " + op.name + " record here; " + op.name + ".<field> is only available inside a sync");
        return Err();
      }
      auto* fl = ResolveField(o, ast::Name{e.name, e.name_range}, f);
      if (!fl) return Err();
      return FieldType(e, side, o, fl, f);
    }
  }
  Type t = Expr(op, s, f);
  if (t.Is(TypeKind::kError)) return t;
  if (t.Is(TypeKind::kDyn)) return t;
  if (t.Is(TypeKind::kMap)) {
    if (t.params.size() == 2 && !t.params[0].Is(TypeKind::kString) && !t.params[0].Is(TypeKind::kDyn)) {
      Report(DiagCode::kNoOverload, f, e.name_range, "field selection needs a map with string keys");
      return Err();
    }
    return t.params.size() == 2 ? t.params[1] : Type::Of(TypeKind::kDyn);
  }
  Report(DiagCode::kNoOverload, f, e.name_range,
         "cannot select field " + Q(e.name) + " from a value of type " + t.ToString());
  return Err();
}

// `ns.fn(args)` as the namespaced global function or macro "ns.fn", unless
// `ns` is a variable or field in scope; "" when it is not one.
std::string ExprChecker::Namespaced(const ast::Expr& e, const Scope& s) {
  std::string q = NamespacedName(e);
  if (q.empty()) return q;
  const std::string& ns = e.operand->name;
  for (const auto& v : s.vars)
    if (v.first == ns) return "";
  if (!e.operand->leading_dot && s.bare && s.bare->FindField(ns)) return "";
  return q;
}

bool ExprChecker::IsBoolish(const Type& t) {
  return t.Is(TypeKind::kBool) || t.Is(TypeKind::kDyn) || t.Is(TypeKind::kError);
}

Type ExprChecker::Macro(const ast::Expr& e, const std::string& ns, Scope& s, const ast::File* f, bool* handled) {
  *handled = true;
  if (e.name == "has" && !e.operand) {
    if (e.args.size() != 1 || e.args[0]->kind != ast::ExprKind::kSelect) {
      Report(DiagCode::kNoOverload, f, e.range, "has() takes one field selection, e.g. has(m.key)");
      return Err();
    }
    Expr(*e.args[0], s, f);
    return Type::Of(TypeKind::kBool);
  }
  if (ns == "cel.bind") return Bind(e, s, f);
  if (ns == "cel.block") return Block(e, s, f);
  if (ns == "cel.index" || ns == "cel.iterVar") return BoundRef(e, ns, s, f);
  if ((ns == "math.greatest" || ns == "math.least") && e.args.size() != 1) return Extreme(e, ns, s, f);
  int nvars = 0;
  bool has_filter = false;
  if (e.operand && ns.empty() && IsMacroName(e.name) && e.name != "has") {
    std::string v1, v2;
    bool shape = ComprehensionShape(e.name, e.args.size(), &nvars, &has_filter);
    if (!shape || !MacroVarName(*e.args[0], &v1) || (nvars == 2 && !MacroVarName(*e.args[1], &v2))) {
      bool two = e.name.starts_with("transform");
      Report(DiagCode::kNoOverload, f, e.range,
             two ? e.name + "() takes two variable names and an expression, e.g. m." + e.name + "(k, v, v + 1)"
                 : e.name + "() takes a variable name and an expression, e.g. list." + e.name + "(x, x > 0)");
      return Err();
    }
    return Comprehension(e, nvars, has_filter, v1, v2, s, f);
  }
  *handled = false;
  return Err();
}

// list.all(x, p), m.exists(k, v, p), l.transformList(i, v, f, t), ...
Type ExprChecker::Comprehension(const ast::Expr& e, int nvars, bool has_filter, const std::string& v1,
                                const std::string& v2, Scope& s, const ast::File* f) {
  Type range = Expr(*e.operand, s, f);
  Type t1 = Type::Of(TypeKind::kDyn), t2 = Type::Of(TypeKind::kDyn);
  if (range.Is(TypeKind::kList)) {
    Type elem = range.params.empty() ? t1 : range.params[0];
    if (nvars == 2) {
      t1 = Type::Of(TypeKind::kInt);
      t2 = elem;
    } else {
      t1 = elem;
    }
  } else if (range.Is(TypeKind::kMap)) {
    if (range.params.size() == 2) {
      t1 = range.params[0];
      t2 = range.params[1];
    }
  } else if (!range.Is(TypeKind::kDyn) && !range.Is(TypeKind::kError)) {
    Report(DiagCode::kNoOverload, f, e.operand->range,
           e.name + "() ranges over a list or map, not " + range.ToString());
    return Err();
  }
  if (nvars == 2 && v1 == v2) {
    Report(DiagCode::kNoOverload, f, e.args[1]->range,
           e.name + "() needs two different variable names, not " + Q(v1) + " twice");
    return Err();
  }
  SetType(*e.args[0], t1);
  s.vars.emplace_back(v1, t1);
  if (nvars == 2) {
    SetType(*e.args[1], t2);
    s.vars.emplace_back(v2, t2);
  }
  const std::string& kind = e.name;
  auto predicate = [&](const ast::Expr& p, const std::string& what) {
    Type t = Expr(p, s, f);
    if (!IsBoolish(t)) Report(DiagCode::kNotBool, f, p.range, what + " must be a bool, not " + t.ToString());
  };
  Type result;
  if (kind == "all" || kind == "exists" || kind == "exists_one" || kind == "existsOne") {
    predicate(*e.args[static_cast<size_t>(nvars)], kind + "() needs a bool predicate; this");
    result = Type::Of(TypeKind::kBool);
  } else if (kind == "filter") {
    predicate(*e.args[1], "the predicate of filter()");
    result = Type::List(t1);
  } else {
    if (has_filter) predicate(*e.args[e.args.size() - 2], "the filter of " + kind + "()");
    Type t = Expr(*e.args.back(), s, f);
    Type elem = t.Is(TypeKind::kError) ? Type::Of(TypeKind::kDyn) : t;
    if (kind == "map" || kind == "transformList") {
      result = Type::List(elem);
    } else if (kind == "transformMap") {
      result = Type::Map(t1, elem);
    } else {  // transformMapEntry: the expression gives a map of entries to add
      if (t.Is(TypeKind::kMap)) {
        result = t;
      } else if (t.Is(TypeKind::kDyn) || t.Is(TypeKind::kError)) {
        result = Type::Map(Type::Of(TypeKind::kDyn), Type::Of(TypeKind::kDyn));
      } else {
        Report(DiagCode::kNoOverload, f, e.args.back()->range,
               "transformMapEntry() needs a map of entries to add, e.g. {k: v}, not " + t.ToString());
        result = Err();
      }
    }
  }
  s.vars.resize(s.vars.size() - static_cast<size_t>(nvars));
  return result;
}

// cel.bind(name, init, body): `name` is `init` inside `body`.
Type ExprChecker::Bind(const ast::Expr& e, Scope& s, const ast::File* f) {
  std::string name;
  if (e.args.size() != 3 || !MacroVarName(*e.args[0], &name)) {
    Report(DiagCode::kNoOverload, f, e.range,
           "cel.bind() takes a variable name, its value and an expression, e.g. cel.bind(x, a + b, x * x)");
    return Err();
  }
  Type init = Expr(*e.args[1], s, f);
  SetType(*e.args[0], init);
  s.vars.emplace_back(name, init);
  Type body = Expr(*e.args[2], s, f);
  s.vars.pop_back();
  return body;
}

// cel.block([e0, e1, ...], body): cel.index(i) is ei, in the later
// bindings and in the body.
Type ExprChecker::Block(const ast::Expr& e, Scope& s, const ast::File* f) {
  if (e.args.size() != 2 || e.args[0]->kind != ast::ExprKind::kList) {
    Report(DiagCode::kNoOverload, f, e.range,
           "cel.block() takes a list of bindings and an expression, e.g. cel.block([a + b], cel.index(0) * 2)");
    return Err();
  }
  const auto& bindings = e.args[0]->args;
  for (size_t i = 0; i < bindings.size(); ++i)
    s.vars.emplace_back("@index:" + std::to_string(i), Expr(*bindings[i], s, f));
  Type body = Expr(*e.args[1], s, f);
  s.vars.resize(s.vars.size() - bindings.size());
  return body;
}

// cel.index(i) inside cel.block, cel.iterVar(i, j) as a comprehension variable.
Type ExprChecker::BoundRef(const ast::Expr& e, const std::string& ns, Scope& s, const ast::File* f) {
  std::string name;
  if (!MacroVarName(e, &name)) {
    Report(DiagCode::kNoOverload, f, e.range,
           ns == "cel.index" ? "cel.index() takes a non-negative int literal, e.g. cel.index(0)"
                             : "cel.iterVar() takes two non-negative int literals, e.g. cel.iterVar(0, 0)");
    return Err();
  }
  for (auto it = s.vars.rbegin(); it != s.vars.rend(); ++it)
    if (it->first == name) return it->second;
  Report(DiagCode::kUnknownIdentifier, f, e.range,
         ns == "cel.index"
             ? "cel.index(" + std::to_string(e.args[0]->int_value) + ") names no binding of an enclosing cel.block()"
             : "cel.iterVar() names no variable of an enclosing comprehension");
  return Err();
}

// math.greatest(a, b, ...) / math.least(a, b, ...) with two or more numbers
// (one argument, a number or a list, is an ordinary overload).
Type ExprChecker::Extreme(const ast::Expr& e, const std::string& ns, Scope& s, const ast::File* f) {
  if (e.args.empty()) {
    Report(DiagCode::kNoOverload, f, e.range, ns + "() needs at least one argument, e.g. " + ns + "(a, b)");
    return Err();
  }
  std::optional<Type> common;
  bool mixed = false, bad = false;
  for (const auto& a : e.args) {
    Type t = Expr(*a, s, f);
    if (t.Is(TypeKind::kError)) {
      bad = true;
      continue;
    }
    if (!(t.Is(TypeKind::kInt) || t.Is(TypeKind::kUint) || t.Is(TypeKind::kDouble) || t.Is(TypeKind::kDyn))) {
      Report(DiagCode::kNoOverload, f, a->range, ns + "() compares numbers (int, uint, double), not " + t.ToString());
      bad = true;
      continue;
    }
    if (!common)
      common = t;
    else if (*common != t)
      mixed = true;
  }
  if (bad) return Err();
  // Evaluated as the list overload on [a, b, ...].
  for (const Overload* o : FindOverloads(ns, false))
    if (o->args.size() == 1 && o->args[0].Is(TypeKind::kList)) m_.overloads[&e] = o;
  return mixed ? Type::Of(TypeKind::kDyn) : *common;
}

// `math.foo(x)` where `math` is a stdlib namespace but math.foo is not a
// function: one "unknown function" finding instead of "unknown name math".
bool ExprChecker::UnknownNamespaced(const ast::Expr& e, const Scope& s, const ast::File* f) {
  if (!e.operand || e.operand->kind != ast::ExprKind::kIdent || e.operand->parens > 0) return false;
  const std::string& ns = e.operand->name;
  for (const auto& v : s.vars)
    if (v.first == ns) return false;
  if (s.bare && s.bare->FindField(ns)) return false;
  std::vector<std::string> in_ns;
  for (const std::string& n : StdlibFunctionNames())
    if (n.size() > ns.size() && n.compare(0, ns.size() + 1, ns + ".") == 0) in_ns.push_back(n);
  if (in_ns.empty()) return false;
  std::string q = ns + "." + e.name;
  auto& d =
      Report(DiagCode::kUnknownFunction, f, Range::Join(e.operand->range, e.name_range), "unknown function " + Q(q));
  Suggest(d, q, in_ns, "the " + ns + " functions");
  return true;
}

Type ExprChecker::Call(const ast::Expr& e, Scope& s, const ast::File* f) {
  std::string ns = Namespaced(e, s);
  bool handled = false;
  Type mt = Macro(e, ns, s, f, &handled);
  if (handled) return mt;
  // A namespaced function is a global one: `math` is not an argument.
  const std::string& name = ns.empty() ? e.name : ns;
  const ast::Expr* receiver = ns.empty() ? e.operand.get() : nullptr;
  if (ns.empty() && UnknownNamespaced(e, s, f)) return Err();
  std::vector<Type> args;
  bool any_error = false;
  if (receiver) {
    args.push_back(Expr(*receiver, s, f));
    any_error |= args.back().Is(TypeKind::kError);
  }
  for (const auto& a : e.args) {
    args.push_back(Expr(*a, s, f));
    any_error |= args.back().Is(TypeKind::kError);
  }
  auto cands = FindOverloads(name, receiver != nullptr);
  if (cands.empty()) {
    auto other = FindOverloads(name, receiver == nullptr);
    if (!other.empty()) {
      auto& d = Report(DiagCode::kNoOverload, f, e.name_range,
                       receiver ? name + "() is a global function: write " + name + "(x), not x." + name + "()"
                                : name + "() is a method: write x." + name + "()");
      for (auto* o : other) AddNote(d, nullptr, {}, "declared as " + o->signature);
      return Err();
    }
    auto& d = Report(DiagCode::kUnknownFunction, f, e.name_range, "unknown function " + Q(name));
    Suggest(d, name, StdlibFunctionNames());
    return Err();
  }
  if (any_error) return Err();
  for (const Overload* o : cands) {
    if (o->args.size() != args.size()) continue;
    Substitution sub;
    bool ok = true;
    for (size_t i = 0; i < args.size() && ok; ++i) ok = Unify(o->args[i], args[i], sub);
    if (!ok) continue;
    // Record the overload only when no later candidate also fits (dyn or
    // null arguments can fit several; the evaluator then decides).
    bool unique = true;
    for (const Overload* o2 : cands) {
      if (o2 == o || o2->args.size() != args.size()) continue;
      Substitution sub2;
      bool ok2 = true;
      for (size_t i = 0; i < args.size() && ok2; ++i) ok2 = Unify(o2->args[i], args[i], sub2);
      if (ok2) unique = false;
    }
    if (unique) m_.overloads[&e] = o;
    return Apply(o->result, sub);
  }
  std::string got;
  for (size_t i = 0; i < args.size(); ++i) got += (i ? ", " : "") + args[i].ToString();
  auto& d = Report(DiagCode::kNoOverload, f, e.range, "no overload of " + name + "() takes (" + got + ")");
  for (auto* o : cands) AddNote(d, nullptr, {}, "candidate: " + o->signature);
  return Err();
}

const FieldRef* ExprChecker::RefOf(const ast::Expr& e) {
  auto it = m_.fields.find(&e);
  return it == m_.fields.end() ? nullptr : &it->second;
}

void ExprChecker::PicklistCompare(const ast::Expr& field, const ast::Expr& lit, const ast::File* f) {
  const FieldRef* r = RefOf(field);
  if (!r || !r->field->is_picklist) return;
  if (lit.kind == ast::ExprKind::kLiteral && lit.lit == ast::LiteralKind::kString) {
    CheckPicklistValue(r->object, r->field, lit.string_value, lit.range, f, /*written=*/false);
  } else if (lit.kind == ast::ExprKind::kList) {
    for (const auto& a : lit.args)
      if (a->kind == ast::ExprKind::kLiteral && a->lit == ast::LiteralKind::kString)
        CheckPicklistValue(r->object, r->field, a->string_value, a->range, f, /*written=*/false);
  }
}

Type ExprChecker::Binary(const ast::Expr& e, Scope& s, const ast::File* f) {
  Type a = Expr(*e.args[0], s, f);
  Type b = Expr(*e.args[1], s, f);
  using ast::BinaryOp;
  BinaryOp op = e.binary_op;
  if (op == BinaryOp::Eq || op == BinaryOp::Ne) {
    PicklistCompare(*e.args[0], *e.args[1], f);
    PicklistCompare(*e.args[1], *e.args[0], f);
  } else if (op == BinaryOp::In) {
    PicklistCompare(*e.args[0], *e.args[1], f);
  }
  if (a.Is(TypeKind::kError) || b.Is(TypeKind::kError)) {
    bool logical = op == BinaryOp::And || op == BinaryOp::Or || op == BinaryOp::Eq || op == BinaryOp::Ne ||
                   op == BinaryOp::Lt || op == BinaryOp::Le || op == BinaryOp::Gt || op == BinaryOp::Ge ||
                   op == BinaryOp::In;
    return logical ? Type::Of(TypeKind::kBool) : Err();
  }
  bool dyn = a.Is(TypeKind::kDyn) || b.Is(TypeKind::kDyn);
  auto fail = [&](const std::string& why) {
    Report(DiagCode::kNoOverload, f, e.range,
           "no overload of '" + std::string(ast::BinaryOpToken(op)) + "' takes (" + a.ToString() + ", " + b.ToString() +
               ")" + (why.empty() ? "" : "; " + why));
    return Err();
  };
  switch (op) {
    case BinaryOp::And:
    case BinaryOp::Or:
      if ((a.Is(TypeKind::kBool) || a.Is(TypeKind::kDyn)) && (b.Is(TypeKind::kBool) || b.Is(TypeKind::kDyn)))
        return Type::Of(TypeKind::kBool);
      return fail("both sides must be bool");
    case BinaryOp::Eq:
    case BinaryOp::Ne: {
      if (dyn || a.Is(TypeKind::kNull) || b.Is(TypeKind::kNull) || a == b || (a.IsNumeric() && b.IsNumeric()))
        return Type::Of(TypeKind::kBool);
      Substitution sub;
      if (Unify(a, b, sub)) return Type::Of(TypeKind::kBool);
      return fail("compare values of the same type (convert one side, e.g. string(x))");
    }
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge: {
      if (dyn) return Type::Of(TypeKind::kBool);
      if (a.IsNumeric() && b.IsNumeric()) return Type::Of(TypeKind::kBool);
      if (a == b && (a.Is(TypeKind::kString) || a.Is(TypeKind::kBytes) || a.Is(TypeKind::kBool) ||
                     a.Is(TypeKind::kTimestamp) || a.Is(TypeKind::kDuration) || a.Is(TypeKind::kDate)))
        return Type::Of(TypeKind::kBool);
      return fail("");
    }
    case BinaryOp::In: {
      if (b.Is(TypeKind::kDyn)) return Type::Of(TypeKind::kBool);
      if (b.Is(TypeKind::kList) || b.Is(TypeKind::kMap)) {
        Substitution sub;
        const Type& elem = b.params.empty() ? Type::Of(TypeKind::kDyn) : b.params[0];
        if (Unify(elem, a, sub) || (elem.IsNumeric() && a.IsNumeric())) return Type::Of(TypeKind::kBool);
        return fail("the element type is " + elem.ToString());
      }
      return fail("'in' needs a list or map on the right");
    }
    case BinaryOp::Add:
      if (dyn) return a.Is(TypeKind::kDyn) ? b : a;
      if (a == b && (a.IsNumeric() || a.Is(TypeKind::kString) || a.Is(TypeKind::kBytes) || a.Is(TypeKind::kList) ||
                     a.Is(TypeKind::kDuration)))
        return a;
      if ((a.Is(TypeKind::kTimestamp) && b.Is(TypeKind::kDuration)) ||
          (a.Is(TypeKind::kDuration) && b.Is(TypeKind::kTimestamp)))
        return Type::Of(TypeKind::kTimestamp);
      if (a.Is(TypeKind::kList) && b.Is(TypeKind::kList)) return Type::List(Type::Of(TypeKind::kDyn));
      if (a.IsNumeric() && b.IsNumeric())
        return fail("CEL does not mix number types; convert one side, e.g. double(x)");
      if (a.Is(TypeKind::kString) || b.Is(TypeKind::kString)) return fail("convert the other side with string(...)");
      return fail("");
    case BinaryOp::Sub:
      if (dyn) return a.Is(TypeKind::kDyn) ? b : a;
      if (a == b && (a.IsNumeric() || a.Is(TypeKind::kDuration))) return a;
      if (a.Is(TypeKind::kTimestamp) && b.Is(TypeKind::kTimestamp)) return Type::Of(TypeKind::kDuration);
      if (a.Is(TypeKind::kTimestamp) && b.Is(TypeKind::kDuration)) return a;
      if (a.IsNumeric() && b.IsNumeric())
        return fail("CEL does not mix number types; convert one side, e.g. double(x)");
      return fail("");
    case BinaryOp::Mul:
    case BinaryOp::Div:
      if (dyn) return a.Is(TypeKind::kDyn) ? b : a;
      if (a == b && a.IsNumeric()) return a;
      if (a.IsNumeric() && b.IsNumeric())
        return fail("CEL does not mix number types; convert one side, e.g. double(x)");
      return fail("");
    case BinaryOp::Mod:
      if (dyn) return a.Is(TypeKind::kDyn) ? b : a;
      if (a == b && (a.Is(TypeKind::kInt) || a.Is(TypeKind::kUint))) return a;
      return fail("% works on int and uint");
  }
  return Err();
}

void ExprChecker::CheckBool(const ast::Expr& e, Scope& s, const ast::File* f, const char* what) {
  Type t = Expr(e, s, f);
  if (!t.Is(TypeKind::kBool) && !t.Is(TypeKind::kDyn) && !t.Is(TypeKind::kError)) {
    Report(DiagCode::kNotBool, f, e.range, std::string(what) + " must be a bool expression, not " + t.ToString());
  }
}

ExprChecker::Fit ExprChecker::Fits(const Type& to, const Type& from) {
  if (from.Is(TypeKind::kError) || from.Is(TypeKind::kDyn) || from.Is(TypeKind::kNull) || to.Is(TypeKind::kDyn))
    return Fit::kOk;
  if (to == from) return Fit::kOk;
  if ((to.Is(TypeKind::kDate) && from.Is(TypeKind::kTimestamp)) ||
      (to.Is(TypeKind::kTimestamp) && from.Is(TypeKind::kDate)))
    return Fit::kDateTime;
  // Numbers widen where no value is lost; decimal <-> double is accepted
  // (HubSpot numbers are decimal text; the runtime converts exactly or errors).
  if (from.Is(TypeKind::kInt) && (to.Is(TypeKind::kDouble) || to.Is(TypeKind::kDecimal))) return Fit::kOk;
  if (from.Is(TypeKind::kUint) && (to.Is(TypeKind::kDouble) || to.Is(TypeKind::kDecimal))) return Fit::kOk;
  if ((from.Is(TypeKind::kDouble) && to.Is(TypeKind::kDecimal)) ||
      (from.Is(TypeKind::kDecimal) && to.Is(TypeKind::kDouble)))
    return Fit::kOk;
  if (to.Is(TypeKind::kList) && from.Is(TypeKind::kList)) {
    if (to.params.empty() || from.params.empty()) return Fit::kOk;
    return Fits(to.params[0], from.params[0]);
  }
  return Fit::kMismatch;
}

std::string ExprChecker::ConversionHint(const Type& to, const Type& from) {
  if (to.Is(TypeKind::kString)) return "convert it with `with string(_)`";
  if (to.Is(TypeKind::kDate) && from.Is(TypeKind::kTimestamp))
    return "convert it with `with date(_)` (UTC) or `with date(_, \"Europe/Berlin\")`";
  if (to.Is(TypeKind::kTimestamp) && from.Is(TypeKind::kDate))
    return "convert it with `with timestamp(_)` (midnight UTC)";
  if (to.Is(TypeKind::kInt)) return "convert it with `with int(_)`";
  if (to.Is(TypeKind::kDouble)) return "convert it with `with double(_)`";
  if (to.Is(TypeKind::kDecimal)) return "convert it with `with decimal(_)`";
  if (to.Is(TypeKind::kBool) && from.Is(TypeKind::kString)) return "convert it with `with bool(_)`";
  return "add a `with` transform that produces " + to.ToString();
}

// `to_side` is set for a two-way field rule: the hint then converts in that direction only.
void ExprChecker::CheckFit(const Type& to, const Type& from, const Object* to_obj, const Field* to_field, Range r,
                           const ast::File* f, const std::string& source_desc, std::optional<Side> to_side,
                           const ast::Expr* two_way_with) {
  Fit fit = Fits(to, from);
  if (fit == Fit::kOk) return;
  DiagCode code = fit == Fit::kDateTime ? DiagCode::kDateTimeMismatch : DiagCode::kTypeMismatch;
  std::string native = to_field->native_type == to.ToString() ? "" : " (" + to_field->native_type + ")";
  auto& d = Report(
      code, f, r,
      source_desc + " is " + from.ToString() + " but " + FieldName(to_obj, to_field) + " is " + to.ToString() + native);
  std::string hint = ConversionHint(to, from);
  if (to_side) {
    // `with` would convert both directions; a directed transform converts this one.
    const std::string with = "`with ";
    for (size_t at = hint.find(with); at != std::string::npos; at = hint.find(with, at + 1)) {
      size_t close = hint.find('`', at + with.size());
      if (close == std::string::npos) break;
      hint = hint.substr(0, at) + "`{ to " + SideStr(*to_side) + ": " +
             hint.substr(at + with.size(), close - at - with.size()) + " }`" + hint.substr(close + 1);
    }
  }
  d.notes.push_back(accord::Note{hint, nullptr, {}});
  if (two_way_with && to_side) {
    d.notes.push_back(accord::Note{"`with` applies in both directions; move it into `{ to " +
                                       SideStr(ast::Other(*to_side)) +
                                       ": ... }` so that each direction "
                                       "converts on its own",
                                   f ? f->source : nullptr, two_way_with->range});
  }
}

}  // namespace detail
}  // namespace accord::sema
