#include "compiler/sema/checker.h"
#include "runtime/error_categories.def"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <tuple>

#include "compiler/sema/rule_checks.h"
#include "compiler/sema/stdlib_decls.h"

namespace accord::sema {

const std::vector<std::string>& ErrorCategories() {
  static const std::vector<std::string> k = {
#define X(name, doc) #name,
      ACCORD_ERROR_CATEGORY_LIST(X)
#undef X
  };
  return k;
}

namespace {

using ast::Side;
using schema::Field;
using schema::Object;

schema::System Sys(Side s) { return s == Side::kSalesforce ? schema::System::kSalesforce : schema::System::kHubSpot; }
std::string SideStr(Side s) { return std::string(ast::SideName(s)); }
std::string Q(const std::string& s) { return "\"" + s + "\""; }

std::string FieldName(const Object* o, const Field* f) {
  return std::string(schema::SystemName(o->system)) + "." + o->name + "." + f->name;
}

bool IsDealObject(const Object* o) {
  return o && ((o->system == schema::System::kSalesforce && o->name == "Opportunity") ||
               (o->system == schema::System::kHubSpot && o->name == "deals"));
}

// The scope an expression is checked in.
struct Scope {
  Side bare_side = Side::kSalesforce;
  const Object* bare = nullptr;  // object whose fields are in scope unqualified
  const Object* sf = nullptr;    // for salesforce.X
  const Object* hs = nullptr;    // for hubspot.x
  std::optional<Type> underscore;
  std::vector<std::pair<std::string, Type>> vars;  // macro variables, innermost last
};

class Checker {
 public:
  Checker(const CheckInput& in, DiagSink& sink, Model& model) : in_(in), sink_(sink), m_(model) {}

  Type Standalone(const ast::Expr& e, const ast::File& f, const ExprEnv& env) {
    Scope s;
    s.vars = env.vars;
    if (env.object) {
      s.bare = env.object;
      s.bare_side = env.side;
      (env.side == Side::kSalesforce ? s.sf : s.hs) = env.object;
    }
    return Expr(e, s, &f);
  }

  void Run() {
    Collect();
    for (auto& [decl, file] : values_) CheckValues(*decl, file);
    for (auto& si : m_.syncs) CheckSync(si);
    CheckAssociations();
    for (auto& [decl, file] : lifecycles_) CheckLifecycle(*decl, file);
    for (auto& [decl, file] : tests_) CheckTest(*decl, file);
  }

 private:
  // ---- reporting helpers ----
  // A two-way rule checks its `with` transform and `via` table once per
  // direction; the same finding is reported once.
  Diagnostic& Report(DiagCode c, const ast::File* f, Range r, std::string msg) {
    const SourceFile* src = f ? f->source : nullptr;
    if (!reported_.emplace(static_cast<int>(c), src, r.begin, r.end, msg).second) {
      duplicate_ = Diagnostic{};
      return duplicate_;
    }
    return sink_.Report(c, src, r, std::move(msg));
  }
  static void Suggest(Diagnostic& d, const std::string& wrong, const std::vector<std::string>& cands,
                      const std::string& what = "") {
    if (auto s = schema::Suggest(wrong, cands)) {
      d.message += "; did you mean " + Q(*s) + "?";
      d.fixit = *s;
    } else if (!what.empty() && !cands.empty() && cands.size() <= 12) {
      std::string list;
      for (size_t i = 0; i < cands.size(); ++i) list += (i ? ", " : "") + cands[i];
      d.notes.push_back(accord::Note{what + ": " + list, nullptr, {}});
    }
  }
  void AddNote(Diagnostic& d, const ast::File* f, Range r, std::string msg) {
    d.notes.push_back(accord::Note{std::move(msg), f ? f->source : nullptr, r});
  }

  // ---- collection ----
  void Collect() {
    std::map<std::string, std::pair<const ast::File*, Range>> sync_names, value_names;
    for (const ast::File* f : in_.files) {
      for (const auto& d : f->decls) {
        if (auto* v = std::get_if<ast::ValuesDecl>(&d)) {
          auto [it, fresh] = value_names.emplace(v->name.text, std::make_pair(f, v->name.range));
          if (!fresh) {
            auto& diag = Report(DiagCode::kDuplicateName, f, v->name.range,
                                "a values table named " + Q(v->name.text) + " is already declared");
            AddNote(diag, it->second.first, it->second.second, "first declared here");
            continue;
          }
          values_.push_back({v, f});
          m_.values[v->name.text] = v;
          value_file_[v] = f;
        } else if (auto* s = std::get_if<ast::SyncDecl>(&d)) {
          auto [it, fresh] = sync_names.emplace(s->name.text, std::make_pair(f, s->name.range));
          if (!fresh) {
            auto& diag = Report(DiagCode::kDuplicateName, f, s->name.range,
                                "a sync named " + Q(s->name.text) + " is already declared");
            AddNote(diag, it->second.first, it->second.second, "first declared here");
            continue;
          }
          SyncInfo si;
          si.decl = s;
          si.file = f;
          if (CheckSides(s->left.side, s->right.side, f, s->left.range, "sync")) {
            si.salesforce = ResolveObject(s->left, f);
            si.hubspot = ResolveObject(s->right, f);
          }
          m_.syncs.push_back(si);
        } else if (auto* l = std::get_if<ast::LifecycleDecl>(&d)) {
          lifecycles_.push_back({l, f});
        } else if (auto* t = std::get_if<ast::TestDecl>(&d)) {
          tests_.push_back({t, f});
        }
      }
    }
  }

  bool CheckSides(Side left, Side right, const ast::File* f, Range r, const char* what) {
    if (left == Side::kSalesforce && right == Side::kHubSpot) return true;
    Report(DiagCode::kSideOrder, f, r,
           std::string("a ") + what +
               " names the Salesforce side first and the HubSpot side second (arrows read left = Salesforce)");
    return false;
  }

  bool HaveSchema(Side s, const ast::File* f, Range r) {
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
          if (!std::filesystem::is_directory(dir, ec)) missing = true;
          else if (declared.empty()) declared = dir.lexically_normal().string();
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

  const Object* ResolveObject(Side side, const ast::Name& name, const ast::File* f) {
    if (!HaveSchema(side, f, name.range)) return nullptr;
    if (auto* o = in_.schemas->Find(Sys(side), name.text)) return o;
    auto& d = Report(DiagCode::kUnknownObject, f, name.range,
                     "unknown " + SideStr(side) + " object " + Q(name.text));
    std::vector<std::string> names;
    for (auto* o : in_.schemas->Objects(Sys(side))) names.push_back(o->name);
    Suggest(d, name.text, names, "objects in the " + SideStr(side) + " schema");
    return nullptr;
  }
  const Object* ResolveObject(const ast::ObjectRef& r, const ast::File* f) { return ResolveObject(r.side, r.object, f); }

  static std::vector<std::string> FieldNames(const Object* o) {
    std::vector<std::string> v;
    for (const auto& fl : o->fields) v.push_back(fl.name);
    return v;
  }

  const Field* ResolveField(const Object* o, const ast::Name& name, const ast::File* f) {
    if (!o) return nullptr;
    if (auto* fl = o->FindField(name.text)) return fl;
    auto& d = Report(DiagCode::kUnknownField, f, name.range,
                     std::string(schema::SystemName(o->system)) + "." + o->name + " has no field " + Q(name.text));
    Suggest(d, name.text, FieldNames(o));
    return nullptr;
  }

  const Field* ResolvePath(const ast::FieldPath& p, const ast::File* f, const Object** obj) {
    const Object* o = ResolveObject(p.side, p.object, f);
    if (obj) *obj = o;
    return ResolveField(o, p.field, f);
  }

  // ---- picklist values ----
  // Checks a literal against a picklist field; returns false when it is not a value.
  // `written`: the value is written to the field (an inactive value then fails
  // on save, A0402); a value only read (compared, translated from, triggered on)
  // may be inactive: old records still carry it.
  bool CheckPicklistValue(const Object* o, const Field* fl, const std::string& value, Range r, const ast::File* f,
                          bool written = true) {
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

  // ---- expressions ----
  void SetType(const ast::Expr& e, const Type& t) { m_.types[&e] = t; }

  Type Err() { return Type::Of(TypeKind::kError); }

  const Object* SideObject(const Scope& s, Side side) { return side == Side::kSalesforce ? s.sf : s.hs; }

  Type FieldType(const ast::Expr& e, Side side, const Object* o, const Field* fl, const ast::File* f) {
    m_.fields[&e] = FieldRef{side, o, fl};
    if (fl->type == schema::FieldType::kUnsupported) {
      Report(DiagCode::kUnsupportedType, f, e.range,
             FieldName(o, fl) + " has type " + Q(fl->native_type) + ", which rules cannot read or write");
      return Err();
    }
    return FromField(fl->type);
  }

  Type Expr(const ast::Expr& e, Scope& s, const ast::File* f) {
    Type t = ExprImpl(e, s, f);
    SetType(e, t);
    return t;
  }

  Type ExprImpl(const ast::Expr& e, Scope& s, const ast::File* f) {
    switch (e.kind) {
      case ast::ExprKind::kLiteral:
        switch (e.lit) {
          case ast::LiteralKind::kInt: return Type::Of(TypeKind::kInt);
          case ast::LiteralKind::kUint: return Type::Of(TypeKind::kUint);
          case ast::LiteralKind::kDouble: return Type::Of(TypeKind::kDouble);
          case ast::LiteralKind::kString: return Type::Of(TypeKind::kString);
          case ast::LiteralKind::kBytes: return Type::Of(TypeKind::kBytes);
          case ast::LiteralKind::kBool: return Type::Of(TypeKind::kBool);
          case ast::LiteralKind::kNull: return Type::Of(TypeKind::kNull);
        }
        return Err();
      case ast::ExprKind::kIdent: return Ident(e, s, f);
      case ast::ExprKind::kSelect: return Select(e, s, f);
      case ast::ExprKind::kCall: return Call(e, s, f);
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
          if (!elem) elem = t;
          else if (*elem != t) mixed = true;
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
            if (!kt) kt = k;
            else if (*kt != k) mk = true;
          }
          if (!v.Is(TypeKind::kError) && !v.Is(TypeKind::kNull)) {
            if (!vt) vt = v;
            else if (*vt != v) mv = true;
          }
        }
        return Type::Map(mk || !kt ? Type::Of(TypeKind::kDyn) : *kt, mv || !vt ? Type::Of(TypeKind::kDyn) : *vt);
      }
      case ast::ExprKind::kUnary: {
        Type t = Expr(*e.operand, s, f);
        if (t.Is(TypeKind::kError) || t.Is(TypeKind::kDyn)) return t.Is(TypeKind::kDyn) && e.unary_op == ast::UnaryOp::kNot ? Type::Of(TypeKind::kBool) : t;
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
      case ast::ExprKind::kBinary: return Binary(e, s, f);
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

  Type Ident(const ast::Expr& e, Scope& s, const ast::File* f) {
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
    if (e.name != "dyn" && ((ParseType(e.name, &tt) && tt.kind != TypeKind::kParam && tt.kind != TypeKind::kError &&
                             e.name != "param") ||
                            e.name == "list" || e.name == "map" || e.name == "null_type" || e.name == "type")) {
      return Type::Of(TypeKind::kTypeType);
    }
    if (s.bare) {
      auto& d = Report(DiagCode::kUnknownField, f, e.range,
                       std::string(schema::SystemName(s.bare->system)) + "." + s.bare->name + " has no field " +
                           Q(e.name));
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

  static bool Dotted(const ast::Expr& e, std::string* out) {
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

  Type Select(const ast::Expr& e, Scope& s, const ast::File* f) {
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
  std::string Namespaced(const ast::Expr& e, const Scope& s) {
    std::string q = NamespacedName(e);
    if (q.empty()) return q;
    const std::string& ns = e.operand->name;
    for (const auto& v : s.vars)
      if (v.first == ns) return "";
    if (!e.operand->leading_dot && s.bare && s.bare->FindField(ns)) return "";
    return q;
  }

  static bool IsBoolish(const Type& t) {
    return t.Is(TypeKind::kBool) || t.Is(TypeKind::kDyn) || t.Is(TypeKind::kError);
  }

  Type Macro(const ast::Expr& e, const std::string& ns, Scope& s, const ast::File* f, bool* handled) {
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
  Type Comprehension(const ast::Expr& e, int nvars, bool has_filter, const std::string& v1, const std::string& v2,
                     Scope& s, const ast::File* f) {
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
  Type Bind(const ast::Expr& e, Scope& s, const ast::File* f) {
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
  Type Block(const ast::Expr& e, Scope& s, const ast::File* f) {
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
  Type BoundRef(const ast::Expr& e, const std::string& ns, Scope& s, const ast::File* f) {
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
           ns == "cel.index" ? "cel.index(" + std::to_string(e.args[0]->int_value) +
                                   ") names no binding of an enclosing cel.block()"
                             : "cel.iterVar() names no variable of an enclosing comprehension");
    return Err();
  }

  // math.greatest(a, b, ...) / math.least(a, b, ...) with two or more numbers
  // (one argument, a number or a list, is an ordinary overload).
  Type Extreme(const ast::Expr& e, const std::string& ns, Scope& s, const ast::File* f) {
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
      if (!common) common = t;
      else if (*common != t) mixed = true;
    }
    if (bad) return Err();
    // Evaluated as the list overload on [a, b, ...].
    for (const Overload* o : FindOverloads(ns, false))
      if (o->args.size() == 1 && o->args[0].Is(TypeKind::kList)) m_.overloads[&e] = o;
    return mixed ? Type::Of(TypeKind::kDyn) : *common;
  }

  // `math.foo(x)` where `math` is a stdlib namespace but math.foo is not a
  // function: one "unknown function" finding instead of "unknown name math".
  bool UnknownNamespaced(const ast::Expr& e, const Scope& s, const ast::File* f) {
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
    auto& d = Report(DiagCode::kUnknownFunction, f, Range::Join(e.operand->range, e.name_range),
                     "unknown function " + Q(q));
    Suggest(d, q, in_ns, "the " + ns + " functions");
    return true;
  }

  Type Call(const ast::Expr& e, Scope& s, const ast::File* f) {
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

  const FieldRef* RefOf(const ast::Expr& e) {
    auto it = m_.fields.find(&e);
    return it == m_.fields.end() ? nullptr : &it->second;
  }

  void PicklistCompare(const ast::Expr& field, const ast::Expr& lit, const ast::File* f) {
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

  Type Binary(const ast::Expr& e, Scope& s, const ast::File* f) {
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
             "no overload of '" + std::string(ast::BinaryOpToken(op)) + "' takes (" + a.ToString() + ", " +
                 b.ToString() + ")" + (why.empty() ? "" : "; " + why));
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
        if (a.Is(TypeKind::kString) || b.Is(TypeKind::kString))
          return fail("convert the other side with string(...)");
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

  void CheckBool(const ast::Expr& e, Scope& s, const ast::File* f, const char* what) {
    Type t = Expr(e, s, f);
    if (!t.Is(TypeKind::kBool) && !t.Is(TypeKind::kDyn) && !t.Is(TypeKind::kError)) {
      Report(DiagCode::kNotBool, f, e.range, std::string(what) + " must be a bool expression, not " + t.ToString());
    }
  }

  // ---- mapping compatibility ----
  // Can a value of `from` be written to a field of type `to` without an explicit conversion?
  enum class Fit { kOk, kDateTime, kMismatch };
  static Fit Fits(const Type& to, const Type& from) {
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

  static std::string ConversionHint(const Type& to, const Type& from) {
    if (to.Is(TypeKind::kString)) return "convert it with `with string(_)`";
    if (to.Is(TypeKind::kDate) && from.Is(TypeKind::kTimestamp)) return "convert it with `with date(_)` (UTC) or `with date(_, \"Europe/Berlin\")`";
    if (to.Is(TypeKind::kTimestamp) && from.Is(TypeKind::kDate)) return "convert it with `with timestamp(_)` (midnight UTC)";
    if (to.Is(TypeKind::kInt)) return "convert it with `with int(_)`";
    if (to.Is(TypeKind::kDouble)) return "convert it with `with double(_)`";
    if (to.Is(TypeKind::kDecimal)) return "convert it with `with decimal(_)`";
    if (to.Is(TypeKind::kBool) && from.Is(TypeKind::kString)) return "convert it with `with bool(_)`";
    return "add a `with` transform that produces " + to.ToString();
  }

  // `to_side` is set for a two-way field rule: the hint then converts in that direction only.
  void CheckFit(const Type& to, const Type& from, const Object* to_obj, const Field* to_field, Range r,
                const ast::File* f, const std::string& source_desc, std::optional<Side> to_side = std::nullopt,
                const ast::Expr* two_way_with = nullptr) {
    Fit fit = Fits(to, from);
    if (fit == Fit::kOk) return;
    DiagCode code = fit == Fit::kDateTime ? DiagCode::kDateTimeMismatch : DiagCode::kTypeMismatch;
    std::string native = to_field->native_type == to.ToString() ? "" : " (" + to_field->native_type + ")";
    auto& d = Report(code, f, r,
                     source_desc + " is " + from.ToString() + " but " + FieldName(to_obj, to_field) + " is " +
                         to.ToString() + native);
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
                                         SideStr(ast::Other(*to_side)) + ": ... }` so that each direction "
                                         "converts on its own",
                                     f ? f->source : nullptr, two_way_with->range});
    }
  }

  // ---- values tables ----
  struct ValuesInfo {
    const Object* sf_obj = nullptr;
    const Field* sf = nullptr;
    const Object* hs_obj = nullptr;
    const Field* hs = nullptr;
    bool ok = false;
  };
  std::map<const ast::ValuesDecl*, ValuesInfo> values_info_;
  std::map<const ast::ValuesDecl*, const ast::File*> value_file_;

  static std::string LitDesc(const ast::ValueLit& v) { return v.kind == ast::LiteralKind::kString ? Q(v.value) : v.value; }

  void CheckValues(const ast::ValuesDecl& d, const ast::File* f) {
    ValuesInfo info;
    if (!CheckSides(d.left.side, d.right.side, f, d.left.range, "values table")) {
      values_info_[&d] = info;
      return;
    }
    info.sf = ResolvePath(d.left, f, &info.sf_obj);
    info.hs = ResolvePath(d.right, f, &info.hs_obj);
    info.ok = info.sf && info.hs;
    values_info_[&d] = info;
    // Entries: valid values, directions within the table's, a function per direction.
    std::map<std::string, const ast::ValuePair*> to_hs, to_sf;
    std::map<std::string, bool> sf_listed, hs_listed;
    bool else_hs = false, else_sf = false;
    for (const auto& entry : d.entries) {
      if (auto* p = std::get_if<ast::ValuePair>(&entry)) {
        // A value is written only toward its own side: `"Retired" -> "NEW"` keeps translating
        // old Salesforce records without ever writing "Retired".
        if (info.sf && p->salesforce.kind != ast::LiteralKind::kNull)
          CheckPicklistValue(info.sf_obj, info.sf, p->salesforce.value, p->salesforce.range, f,
                             ast::Flows(p->dir, Side::kSalesforce));
        if (info.hs && p->hubspot.kind != ast::LiteralKind::kNull)
          CheckPicklistValue(info.hs_obj, info.hs, p->hubspot.value, p->hubspot.range, f,
                             ast::Flows(p->dir, Side::kHubSpot));
        if (d.dir != ast::Direction::kBoth && p->dir != d.dir) {
          Report(DiagCode::kValueTableDirection, f, p->range,
                 "this pair maps " + std::string(ast::DirectionToken(p->dir)) + " but the table " + d.name.text +
                     " is declared " + std::string(ast::DirectionToken(d.dir)));
        }
        if (ast::Flows(p->dir, Side::kHubSpot)) {
          auto [it, fresh] = to_hs.emplace(p->salesforce.value, p);
          if (!fresh && it->second->hubspot.value != p->hubspot.value) {
            auto& diag = Report(DiagCode::kNonInjective, f, p->range,
                                "Salesforce value " + LitDesc(p->salesforce) + " maps to both " +
                                    LitDesc(it->second->hubspot) + " and " + LitDesc(p->hubspot) +
                                    " toward HubSpot" +
                                    (p->dir == ast::Direction::kBoth && it->second->dir == ast::Direction::kBoth
                                         ? "; make one of the pairs one-way (<-)"
                                         : ""));
            AddNote(diag, f, it->second->range, "first mapping here");
          }
          sf_listed[p->salesforce.value] = true;
        }
        if (ast::Flows(p->dir, Side::kSalesforce)) {
          auto [it, fresh] = to_sf.emplace(p->hubspot.value, p);
          if (!fresh && it->second->salesforce.value != p->salesforce.value) {
            auto& diag = Report(DiagCode::kNonInjective, f, p->range,
                                "HubSpot value " + LitDesc(p->hubspot) + " maps to both " +
                                    LitDesc(it->second->salesforce) + " and " + LitDesc(p->salesforce) +
                                    " toward Salesforce" +
                                    (p->dir == ast::Direction::kBoth && it->second->dir == ast::Direction::kBoth
                                         ? "; make one of the pairs one-way (->)"
                                         : ""));
            AddNote(diag, f, it->second->range, "first mapping here");
          }
          hs_listed[p->hubspot.value] = true;
        }
      } else {
        const auto& el = std::get<ast::ValueElse>(entry);
        if (el.dir == ast::Direction::kBoth) {
          Report(DiagCode::kValueTableDirection, f, el.range,
                 "`else` needs one direction: `else -> ...` for unlisted Salesforce values, `else <- ...` for unlisted "
                 "HubSpot values");
          continue;
        }
        bool& seen = el.dir == ast::Direction::kToHubSpot ? else_hs : else_sf;
        if (seen) {
          Report(DiagCode::kDuplicatePolicy, f, el.range, "this direction already has an `else`");
        }
        seen = true;
        // `else -> null` clears the target (docs/language.md §4): null is no picklist value.
        if (el.kind == ast::ElseKind::kValue && el.value.kind != ast::LiteralKind::kNull) {
          if (el.dir == ast::Direction::kToHubSpot && info.hs)
            CheckPicklistValue(info.hs_obj, info.hs, el.value.value, el.value.range, f);
          if (el.dir == ast::Direction::kToSalesforce && info.sf)
            CheckPicklistValue(info.sf_obj, info.sf, el.value.value, el.value.range, f);
        }
      }
    }
    // Coverage: every active source value needs a pair or an else.
    auto coverage = [&](const Object* o, const Field* fl, const std::map<std::string, bool>& listed, bool has_else,
                        ast::Direction dir) {
      if (!fl || !fl->is_picklist || fl->values.empty() || has_else) return;
      if (d.dir != ast::Direction::kBoth && d.dir != dir) return;
      std::vector<std::string> missing;
      for (const auto& v : fl->values)
        if (v.active && !listed.count(v.value)) missing.push_back(v.value);
      if (missing.empty()) return;
      std::string list;
      for (size_t i = 0; i < missing.size() && i < 8; ++i) list += (i ? ", " : "") + Q(missing[i]);
      if (missing.size() > 8) list += ", ... (" + std::to_string(missing.size() - 8) + " more)";
      auto& diag = Report(DiagCode::kPicklistCoverage, f, d.name.range,
                          std::to_string(missing.size()) + " active value" + (missing.size() == 1 ? "" : "s") +
                              " of " + FieldName(o, fl) + " " + (missing.size() == 1 ? "has" : "have") +
                              " no mapping in " + d.name.text + ": " + list);
      diag.notes.push_back(accord::Note{std::string("add pairs or `else ") + std::string(ast::DirectionToken(dir)) +
                                            " reject` / a default value to decide what happens to them",
                                        nullptr, {}});
    };
    coverage(info.sf_obj, info.sf, sf_listed, else_hs, ast::Direction::kToHubSpot);
    coverage(info.hs_obj, info.hs, hs_listed, else_sf, ast::Direction::kToSalesforce);
  }

  // ---- syncs ----
  struct Target {
    const ast::File* file;
    Range range;
  };

  static const ast::Expr* AsField(const ast::Expr* e) {
    if (e && e->kind == ast::ExprKind::kIdent && !e->leading_dot && e->parens == 0) return e;
    return nullptr;
  }

  void CheckSync(const SyncInfo& si) {
    const ast::SyncDecl& d = *si.decl;
    const ast::File* f = si.file;
    const Object* sf = si.salesforce;
    const Object* hs = si.hubspot;
    if (d.dir != ast::Direction::kBoth) {
      // A one-way sync is fine; field rules must then agree with it.
    }
    const ast::ConflictPolicy* conflict_default = nullptr;
    const ast::BlankPolicy* blank_default = nullptr;
    const ast::MatchRule* match = nullptr;
    std::vector<const ast::CreateRule*> creates;
    std::vector<const ast::OnCreate*> on_creates;
    const ast::ScopeRule* scope_seen[2] = {nullptr, nullptr};
    std::vector<const ast::DeleteRule*> deletes;
    std::map<std::pair<Side, std::string>, Target> written;
    std::vector<const ast::FieldRule*> two_way_rules;

    for (const auto& item : d.items) {
      if (auto* m = std::get_if<ast::MatchRule>(&item)) {
        if (match) {
          auto& diag = Report(DiagCode::kDuplicatePolicy, f, m->range, "sync " + d.name.text + " has two match rules");
          AddNote(diag, f, match->range, "the first one is here");
          continue;
        }
        match = m;
        CheckMatch(*m, sf, hs, f);
      } else if (auto* s = std::get_if<ast::ScopeRule>(&item)) {
        const ast::ScopeRule*& prev = scope_seen[s->side == Side::kSalesforce ? 0 : 1];
        if (prev) {
          auto& diag = Report(DiagCode::kDuplicatePolicy, f, s->range,
                              "sync " + d.name.text + " already has a " + SideStr(s->side) +
                                  " scope; combine the conditions with &&");
          AddNote(diag, f, prev->range, "the first one is here");
        }
        prev = s;
        Scope sc = MakeScope(s->side, sf, hs);
        if (sc.bare) CheckBool(*s->condition, sc, f, "a scope");
      } else if (auto* c = std::get_if<ast::CreateRule>(&item)) {
        if (c->when) {
          Scope sc = MakeScope(ast::Other(c->side), sf, hs);
          if (sc.bare) CheckBool(*c->when, sc, f, "a create condition");
        }
        if (d.dir != ast::Direction::kBoth && !ast::Flows(d.dir, c->side)) {
          Report(DiagCode::kBadDirection, f, c->range,
                 "sync " + d.name.text + " only flows " + std::string(ast::DirectionToken(d.dir)) +
                     ", so it cannot create records in " + SideStr(c->side));
          continue;  // not a create: no required-field or phantom-pipeline follow-ons
        }
        // docs/language.md §5.3: at most one `create in` per side (two `when`s would be ORed
        // or ANDed by nobody's decision).
        auto same_side = std::find_if(creates.begin(), creates.end(),
                                      [&](const ast::CreateRule* prev) { return prev->side == c->side; });
        if (same_side != creates.end()) {
          auto& diag = Report(DiagCode::kDuplicatePolicy, f, c->range,
                              "sync " + d.name.text + " already has a `create in " + SideStr(c->side) +
                                  "`; combine the conditions into one `when` with || or &&");
          AddNote(diag, f, (*same_side)->range, "the first one is here");
          continue;
        }
        creates.push_back(c);
      } else if (auto* cd = std::get_if<ast::ConflictDefault>(&item)) {
        if (conflict_default) {
          Report(DiagCode::kDuplicatePolicy, f, cd->range, "sync " + d.name.text + " already has a conflict policy");
          continue;
        }
        conflict_default = &cd->policy;
      } else if (auto* bd = std::get_if<ast::BlankDefault>(&item)) {
        if (blank_default) {
          Report(DiagCode::kDuplicatePolicy, f, bd->range, "sync " + d.name.text + " already has a blank policy");
          continue;
        }
        blank_default = &bd->policy;
        if (bd->policy.kind == ast::BlankKind::kDefault) {
          Report(DiagCode::kBadDirection, f, bd->range,
                 "`blank default` needs a field: put it on a field rule (a sync-wide default value would be written "
                 "to fields of every type)");
        }
      } else if (auto* cv = std::get_if<ast::ConvertsTo>(&item)) {
        CheckConverts(*cv, si, f);
      } else if (auto* oc = std::get_if<ast::OnCreate>(&item)) {
        if (d.dir != ast::Direction::kBoth && !ast::Flows(d.dir, oc->side)) {
          Report(DiagCode::kBadDirection, f, oc->range,
                 "sync " + d.name.text + " only flows " + std::string(ast::DirectionToken(d.dir)) +
                     ", so it never creates records in " + SideStr(oc->side));
        }
        on_creates.push_back(oc);
        CheckOnCreate(*oc, sf, hs, f);
      } else if (auto* as = std::get_if<ast::Associate>(&item)) {
        if (d.dir != ast::Direction::kBoth && as->dir != d.dir) {
          Report(DiagCode::kBadDirection, f, as->range,
                 "sync " + d.name.text + " only flows " + std::string(ast::DirectionToken(d.dir)) +
                     "; this association flows " + std::string(ast::DirectionToken(as->dir)));
        }
        associations_.push_back({as, &si});
      } else if (auto* del = std::get_if<ast::DeleteRule>(&item)) {
        // One policy per deleting side (or one for both).
        for (const ast::DeleteRule* prev : deletes) {
          if (!prev->from || !del->from || *prev->from == *del->from) {
            auto& diag = Report(DiagCode::kDuplicatePolicy, f, del->range,
                                "sync " + d.name.text + " already has a delete policy for " +
                                    (del->from ? "deletions in " + SideStr(*del->from) : std::string("deletions")));
            AddNote(diag, f, prev->range, "the first one is here");
            break;
          }
        }
        deletes.push_back(del);
      } else if (auto* fr = std::get_if<ast::FieldRule>(&item)) {
        CheckFieldRule(*fr, d, sf, hs, f, written, conflict_default);
        // In a one-way sync a two-way rule is already an error (A0508).
        if (fr->dir == ast::Direction::kBoth && d.dir == ast::Direction::kBoth) two_way_rules.push_back(fr);
      }
    }

    if (!match) {
      auto& diag = Report(DiagCode::kNoMatchRule, f, d.name.range,
                          "sync " + d.name.text + " has no match rule: unlinked records would be duplicated");
      diag.notes.push_back(accord::Note{"add `match email` (people), `match domain` (companies), `match link` "
                                        "(records linked by id only) or `match Field <-> field`",
                                        nullptr, {}});
    }
    // Conflict policy for two-way fields, blank clear on them.
    for (const ast::FieldRule* fr : two_way_rules) {
      if (!fr->conflict && !conflict_default) {
        auto& diag = Report(DiagCode::kNoConflictPolicy, f, fr->arrow_range,
                            "this two-way field has no conflict policy and sync " + d.name.text + " has no default");
        diag.notes.push_back(accord::Note{"add `conflict two_way` to the sync or a per-field `conflict prefer "
                                          "salesforce` (or hubspot, `unless blank`, dont_sync)",
                                          nullptr, {}});
      }
      const ast::BlankPolicy* bp = fr->blank ? &*fr->blank : blank_default;
      if (bp && bp->kind == ast::BlankKind::kClear) {
        Report(DiagCode::kBlankClearTwoWay, f, fr->blank ? fr->blank->range : fr->arrow_range,
               "`blank clear` on a two-way field: a value blanked on either side erases it on the other");
      }
    }
    // Creates: both directions for deals, only-conflicts, required fields.
    bool create_sf = false, create_hs = false;
    const ast::CreateRule* only = nullptr;
    for (auto* c : creates) {
      (c->side == Side::kSalesforce ? create_sf : create_hs) = true;
      if (c->only) only = c;
    }
    if (only && create_sf && create_hs) {
      Report(DiagCode::kBadDirection, f, only->range,
             "`create in " + SideStr(only->side) + " only` contradicts the other `create in` rule of this sync");
    }
    if (create_sf && create_hs && (IsDealObject(sf) || IsDealObject(hs))) {
      auto& diag = Report(DiagCode::kPhantomPipeline, f, d.name.range,
                          "deals can be created from both sides: a deal made in HubSpot becomes a Salesforce "
                          "Opportunity nobody forecast (phantom pipeline)");
      diag.notes.push_back(accord::Note{"deals usually originate in Salesforce: keep only `create in hubspot`",
                                        nullptr, {}});
    }
    for (auto* c : creates) CheckRequired(*c, d, c->side == Side::kSalesforce ? sf : hs, on_creates, f);
  }

  Scope MakeScope(Side bare, const Object* sf, const Object* hs) {
    Scope s;
    s.bare_side = bare;
    s.bare = bare == Side::kSalesforce ? sf : hs;
    s.sf = sf;
    s.hs = hs;
    return s;
  }

  void CheckMatch(const ast::MatchRule& m, const Object* sf, const Object* hs, const ast::File* f) {
    if (m.explicit_fields) {
      // `match salesforce_contact_id <-> Id`: the sides swapped, not two unknown fields.
      if (sf && hs && !sf->FindField(m.sf_field.text) && !hs->FindField(m.hs_field.text) &&
          hs->FindField(m.sf_field.text) && sf->FindField(m.hs_field.text)) {
        auto& d = Report(DiagCode::kSideOrder, f, m.range,
                         "this match names the HubSpot property first; the Salesforce field goes on the left: "
                         "`match " + m.hs_field.text + " <-> " + m.sf_field.text + "`");
        d.fixit = "match " + m.hs_field.text + " <-> " + m.sf_field.text;
        return;
      }
      const Field* a = ResolveField(sf, m.sf_field, f);
      const Field* b = ResolveField(hs, m.hs_field, f);
      if (a && b && Fits(FromField(b->type), FromField(a->type)) != Fit::kOk) {
        Report(DiagCode::kBadMatchKey, f, m.range,
               "match keys have different types: " + FieldName(sf, a) + " is " + FromField(a->type).ToString() +
                   ", " + FieldName(hs, b) + " is " + FromField(b->type).ToString());
      }
      return;
    }
    const std::string& k = m.key.text;
    if (k == "link") return;
    if (k == "email") {
      if (sf && !sf->FindField("Email"))
        Report(DiagCode::kBadMatchKey, f, m.key.range, "`match email` needs an Email field, and salesforce." + sf->name + " has none");
      if (hs && !hs->FindField("email"))
        Report(DiagCode::kBadMatchKey, f, m.key.range, "`match email` needs an email property, and hubspot." + hs->name + " has none");
      return;
    }
    if (k == "domain") {
      if (sf && !sf->FindField("Website"))
        Report(DiagCode::kBadMatchKey, f, m.key.range, "`match domain` needs a Website field, and salesforce." + sf->name + " has none");
      if (hs && !hs->FindField("domain"))
        Report(DiagCode::kBadMatchKey, f, m.key.range, "`match domain` needs a domain property, and hubspot." + hs->name + " has none");
      return;
    }
    auto& diag = Report(DiagCode::kBadMatchKey, f, m.key.range, "unknown match key " + Q(k));
    Suggest(diag, k, {"email", "domain", "link"}, "match keys");
    diag.notes.push_back(accord::Note{"or name the fields: `match Email <-> email`", nullptr, {}});
  }

  void CheckConverts(const ast::ConvertsTo& cv, const SyncInfo& si, const ast::File* f) {
    const SyncInfo* target = nullptr;
    for (const auto& s : m_.syncs)
      if (s.decl->name.text == cv.sync.text) target = &s;
    if (!target) {
      auto& d = Report(DiagCode::kUnknownSync, f, cv.sync.range, "no sync named " + Q(cv.sync.text));
      std::vector<std::string> names;
      for (const auto& s : m_.syncs) names.push_back(s.decl->name.text);
      Suggest(d, cv.sync.text, names, "syncs in these rules");
      return;
    }
    if (si.salesforce && si.salesforce->name != "Lead") {
      Report(DiagCode::kBadConversion, f, cv.range,
             "`converts to` follows Lead conversion, but sync " + si.decl->name.text + " syncs salesforce." +
                 si.salesforce->name);
      return;
    }
    if (target->salesforce && target->salesforce->name != "Contact") {
      Report(DiagCode::kBadConversion, f, cv.sync.range,
             "a converted Lead becomes a Contact, but sync " + target->decl->name.text + " syncs salesforce." +
                 target->salesforce->name);
      return;
    }
    if (si.hubspot && target->hubspot && si.hubspot != target->hubspot) {
      Report(DiagCode::kBadConversion, f, cv.sync.range,
             "sync " + target->decl->name.text + " syncs hubspot." + target->hubspot->name + ", not hubspot." +
                 si.hubspot->name + ": the HubSpot record could not keep its link");
    }
  }

  void CheckWritable(const Object* o, const Field* fl, bool on_create_only, Range r, const ast::File* f) {
    if (fl->calculated || (!fl->createable && !fl->updateable)) {
      Report(DiagCode::kReadOnlyTarget, f, r,
             FieldName(o, fl) + " is " + (fl->calculated ? "calculated" : "read-only") + " and cannot be written");
      return;
    }
    if (on_create_only && !fl->createable) {
      Report(DiagCode::kNotCreateable, f, r, FieldName(o, fl) + " cannot be set when a record is created");
      return;
    }
    if (!on_create_only && !fl->updateable) {
      auto& d = Report(DiagCode::kNotUpdateable, f, r,
                       FieldName(o, fl) + " can be set on create but never updated, so this mapping would fail on "
                                          "every update");
      d.notes.push_back(accord::Note{"set it in an `on create " + SideStr(o->system == schema::System::kSalesforce
                                                                             ? Side::kSalesforce
                                                                             : Side::kHubSpot) +
                                         " { ... }` block instead",
                                     nullptr, {}});
    }
  }

  void CheckOnCreate(const ast::OnCreate& oc, const Object* sf, const Object* hs, const ast::File* f) {
    const Object* target = oc.side == Side::kSalesforce ? sf : hs;
    std::set<std::string> seen;
    for (const auto& a : oc.assignments) {
      Scope sc = MakeScope(ast::Other(oc.side), sf, hs);
      Type t = sc.bare ? Expr(*a.value, sc, f) : Type::Of(TypeKind::kError);
      if (!target) continue;
      const Field* fl = ResolveField(target, a.field, f);
      if (!fl) continue;
      if (!seen.insert(fl->name).second) {
        Report(DiagCode::kDoubleWrite, f, a.field.range, fl->name + " is assigned twice in this block");
        continue;
      }
      CheckWritable(target, fl, /*on_create_only=*/true, a.field.range, f);
      CheckFit(FromField(fl->type), t, target, fl, a.value->range, f, "this value");
      CheckLiteralForField(*a.value, target, fl, f);
    }
  }

  // A string literal written to a field: picklist value and length.
  void CheckLiteralForField(const ast::Expr& e, const Object* o, const Field* fl, const ast::File* f) {
    std::vector<const ast::Expr*> lits;
    if (e.kind == ast::ExprKind::kLiteral && e.lit == ast::LiteralKind::kString) lits.push_back(&e);
    if (e.kind == ast::ExprKind::kCall && e.name == "coalesce")
      for (const auto& a : e.args)
        if (a->kind == ast::ExprKind::kLiteral && a->lit == ast::LiteralKind::kString) lits.push_back(a.get());
    if (e.kind == ast::ExprKind::kConditional)
      for (size_t i = 1; i < 3; ++i)
        if (e.args[i]->kind == ast::ExprKind::kLiteral && e.args[i]->lit == ast::LiteralKind::kString)
          lits.push_back(e.args[i].get());
    for (const ast::Expr* l : lits) {
      CheckPicklistValue(o, fl, l->string_value, l->range, f);
      // Field lengths count characters, not UTF-8 bytes.
      size_t chars = 0;
      for (unsigned char c : l->string_value) chars += (c & 0xC0) != 0x80;
      if (fl->length > 0 && chars > static_cast<size_t>(fl->length)) {
        Report(DiagCode::kStringTooLong, f, l->range,
               "this text is " + std::to_string(chars) + " characters but " + FieldName(o, fl) +
                   " holds at most " + std::to_string(fl->length));
      }
    }
  }

  void CheckFieldRule(const ast::FieldRule& r, const ast::SyncDecl& d, const Object* sf, const Object* hs,
                      const ast::File* f, std::map<std::pair<Side, std::string>, Target>& written,
                      const ast::ConflictPolicy* conflict_default) {
    // Sides: a plain name is a field, anything else is computed.
    struct SideInfo {
      const ast::Expr* expr;
      const Object* obj;
      const Field* field = nullptr;
      bool computed = false;
      Type type = Type::Of(TypeKind::kError);
      bool ok = false;
    };
    SideInfo s{r.salesforce.get(), sf}, h{r.hubspot.get(), hs};
    for (SideInfo* si : {&s, &h}) {
      Side side = si == &s ? Side::kSalesforce : Side::kHubSpot;
      if (!si->obj) continue;
      Scope sc = MakeScope(side, sf, hs);
      if (const ast::Expr* id = AsField(si->expr)) {
        si->field = ResolveField(si->obj, ast::Name{id->name, id->range}, f);
        if (!si->field) continue;
        si->type = FieldType(*id, side, si->obj, si->field, f);
        SetType(*id, si->type);
        si->ok = !si->type.Is(TypeKind::kError);
      } else {
        si->computed = true;
        si->type = Expr(*si->expr, sc, f);
        si->ok = !si->type.Is(TypeKind::kError);
      }
    }
    if (d.dir != ast::Direction::kBoth && r.dir != d.dir) {
      if (r.dir == ast::Direction::kBoth || !ast::Flows(d.dir, r.dir == ast::Direction::kToHubSpot ? Side::kHubSpot : Side::kSalesforce)) {
        Report(DiagCode::kBadDirection, f, r.arrow_range,
               "sync " + d.name.text + " only flows " + std::string(ast::DirectionToken(d.dir)) +
                   "; this field rule flows " + std::string(ast::DirectionToken(r.dir)));
      }
    }
    if (s.computed && h.computed) {
      Report(DiagCode::kComputedTarget, f, r.range,
             "both sides of this rule are expressions; one side must be a field to write to");
      return;
    }
    for (Side to : {Side::kHubSpot, Side::kSalesforce}) {
      if (!ast::Flows(r.dir, to)) continue;
      SideInfo& src = to == Side::kHubSpot ? s : h;
      SideInfo& dst = to == Side::kHubSpot ? h : s;
      if (dst.computed) {
        Report(DiagCode::kComputedTarget, f, dst.expr->range,
               "this expression is on the receiving side of `" + std::string(ast::DirectionToken(r.dir)) +
                   "`: a computed value can only flow one way, away from the expression");
        continue;
      }
      if (!dst.field) continue;
      auto key = std::make_pair(to, dst.field->name);
      auto [it, fresh] = written.emplace(key, Target{f, dst.expr->range});
      if (!fresh) {
        auto& diag = Report(DiagCode::kDoubleWrite, f, dst.expr->range,
                            FieldName(dst.obj, dst.field) + " is already written by another rule of sync " +
                                d.name.text + "; the two would overwrite each other");
        AddNote(diag, it->second.file, it->second.range, "the other rule writes it here");
      }
      CheckWritable(dst.obj, dst.field, false, dst.expr->range, f);
      if (!src.ok || !dst.ok) continue;
      // A0308 (rule_checks.cc) instead of a type finding: no conversion makes a HubSpot id a
      // Salesforce one.
      bool hubspot_id = to == Side::kSalesforce && !r.via && src.field && HubSpotIdIntoSalesforceId(*src.field, *dst.field);
      // Value pipeline: source -> with -> directed transform -> via.
      Type t = src.type;
      bool transformed = false;
      std::string desc = src.field ? FieldName(src.obj, src.field) : "this expression";
      if (r.with) {
        Scope sc = MakeScope(ast::Other(to), sf, hs);
        sc.underscore = t;
        t = Expr(*r.with, sc, f);
        transformed = true;
        desc = "the `with` transform";
      }
      for (const auto& dt : r.transforms) {
        if (dt.to != to) continue;
        Scope sc = MakeScope(ast::Other(to), sf, hs);
        sc.underscore = t;
        t = Expr(*dt.expr, sc, f);
        transformed = true;
        desc = "the `to " + SideStr(to) + ":` transform";
      }
      if (r.via) {
        auto vit = m_.values.find(r.via->text);
        if (vit == m_.values.end()) {
          auto& diag = Report(DiagCode::kUnknownValueTable, f, r.via->range, "no values table named " + Q(r.via->text));
          std::vector<std::string> names;
          for (const auto& [n, _] : m_.values) names.push_back(n);
          Suggest(diag, r.via->text, names);
          continue;
        }
        const ast::ValuesDecl* vd = vit->second;
        const ValuesInfo& vi = values_info_[vd];
        if (vi.ok) {
          const Field* table_dst = to == Side::kHubSpot ? vi.hs : vi.sf;
          const Field* table_src = to == Side::kHubSpot ? vi.sf : vi.hs;
          bool fits = table_dst == dst.field && (!src.field || table_src == src.field);
          if (!fits) {
            auto& diag = Report(DiagCode::kValueTableMismatch, f, r.via->range,
                                "values table " + vd->name.text + " maps " + FieldName(vi.sf_obj, vi.sf) + " and " +
                                    FieldName(vi.hs_obj, vi.hs) + ", not the fields of this rule");
            AddNote(diag, value_file_[vd], vd->name.range, "declared here");
          }
        }
        Direction_ dir = to == Side::kHubSpot ? ast::Direction::kToHubSpot : ast::Direction::kToSalesforce;
        if (vd->dir != ast::Direction::kBoth && vd->dir != dir) {
          auto& diag = Report(DiagCode::kValueTableDirection, f, r.via->range,
                              "values table " + vd->name.text + " only maps " +
                                  std::string(ast::DirectionToken(vd->dir)) + ", but this rule also flows " +
                                  std::string(ast::DirectionToken(dir)));
          AddNote(diag, value_file_[vd], vd->name.range, "declared here");
        }
        t = dst.type;  // the table yields target values
        transformed = true;
      }
      // A two-way rule converts one direction with `{ to side: ... }`: `with` (or a hint to
      // write one) would apply both ways.
      if (!hubspot_id)
        CheckFit(dst.type, t, dst.obj, dst.field, src.expr->range, f, desc,
                 r.dir == ast::Direction::kBoth ? std::optional<Side>(to) : std::nullopt, r.with.get());
      if (!transformed && src.field) {
        if (dst.field->length > 0 && src.field->length > dst.field->length && dst.type.Is(TypeKind::kString) &&
            src.type.Is(TypeKind::kString)) {
          Report(DiagCode::kStringTooLong, f, src.expr->range,
                 FieldName(src.obj, src.field) + " holds up to " + std::to_string(src.field->length) +
                     " characters but " + FieldName(dst.obj, dst.field) + " only " +
                     std::to_string(dst.field->length) + "; longer values will be rejected");
        }
        if (src.field->is_picklist && dst.field->is_picklist && !dst.field->values.empty()) {
          std::vector<std::string> missing;
          for (const auto& v : src.field->values) {
            if (!v.active) continue;
            bool found = false;
            for (const auto& w : dst.field->values) found |= w.value == v.value;
            if (!found) missing.push_back(v.value);
          }
          if (!missing.empty()) {
            std::string list;
            for (size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + Q(missing[i]);
            if (missing.size() > 5) list += ", ...";
            auto& diag = Report(DiagCode::kPicklistNoTable, f, r.range,
                                std::to_string(missing.size()) + " value" + (missing.size() == 1 ? "" : "s") + " of " +
                                    FieldName(src.obj, src.field) + " do not exist in " +
                                    FieldName(dst.obj, dst.field) + " (" + list + ")");
            diag.notes.push_back(accord::Note{"declare a `values` table and map through it with `via`", nullptr, {}});
          }
        }
      }
      if (r.blank && r.blank->kind == ast::BlankKind::kDefault && r.blank->default_value) {
        Scope sc = MakeScope(ast::Other(to), sf, hs);
        Type bt = Expr(*r.blank->default_value, sc, f);
        CheckFit(dst.type, bt, dst.obj, dst.field, r.blank->default_value->range, f, "the blank default");
        CheckLiteralForField(*r.blank->default_value, dst.obj, dst.field, f);
      }
    }
    if (r.dir != ast::Direction::kBoth && r.conflict) {
      Report(DiagCode::kPolicyOnOneWay, f, r.conflict->range,
             "a conflict policy only matters when both sides can change a field; this rule flows one way");
    }
    (void)conflict_default;
  }
  using Direction_ = ast::Direction;

  void CheckRequired(const ast::CreateRule& c, const ast::SyncDecl& d, const Object* target,
                     const std::vector<const ast::OnCreate*>& on_creates, const ast::File* f) {
    if (!target) return;
    std::set<std::string> covered;
    std::map<std::string, const ast::FieldRule*> other_way;  // mapped, but only away from c.side
    for (const auto& item : d.items) {
      if (auto* fr = std::get_if<ast::FieldRule>(&item)) {
        const ast::Expr* e = AsField(c.side == Side::kSalesforce ? fr->salesforce.get() : fr->hubspot.get());
        if (!e) continue;
        if (ast::Flows(fr->dir, c.side)) covered.insert(e->name);
        else other_way.emplace(e->name, fr);
      }
    }
    for (auto* oc : on_creates)
      if (oc->side == c.side)
        for (const auto& a : oc->assignments) covered.insert(a.field.text);
    std::vector<const Field*> missing;
    for (const auto& fl : target->fields)
      if (fl.required_on_create() && !covered.count(fl.name)) missing.push_back(&fl);
    for (const Field* fl : missing) {
      auto ow = other_way.find(fl->name);
      if (ow != other_way.end()) {
        auto& diag = Report(DiagCode::kRequiredMissing, f, c.range,
                            FieldName(target, fl) + " is required when a record is created, but sync " +
                                d.name.text + " maps it only toward " + SideStr(ast::Other(c.side)) +
                                " and does not set it on create");
        AddNote(diag, f, ow->second->arrow_range, "this rule flows away from " + SideStr(c.side));
        diag.notes.push_back(accord::Note{"make the rule two-way (`<->`) or add `on create " + SideStr(c.side) +
                                              " { " + fl->name + " = ... }`",
                                          nullptr, {}});
        continue;
      }
      auto& diag = Report(DiagCode::kRequiredMissing, f, c.range,
                          FieldName(target, fl) + " is required when a record is created, but sync " + d.name.text +
                              " neither maps it nor sets it on create");
      diag.notes.push_back(accord::Note{"add `on create " + SideStr(c.side) + " { " + fl->name + " = ... }`",
                                        nullptr, {}});
    }
  }

  // ---- associations ----
  std::vector<std::pair<const ast::Associate*, const SyncInfo*>> associations_;

  void CheckAssociations() {
    for (auto [as, si] : associations_) {
      const ast::File* f = si->file;
      if (!si->salesforce) continue;
      const Field* fl = ResolveField(si->salesforce, as->sf_field, f);
      if (!fl) continue;
      if (fl->reference_to.empty()) {
        Report(DiagCode::kNotAReference, f, as->sf_field.range,
               FieldName(si->salesforce, fl) + " is not a reference (lookup) field, so there is nothing to associate");
        continue;
      }
      const SyncInfo* parent = nullptr;
      for (const auto& other : m_.syncs) {
        if (!other.hubspot || !other.salesforce) continue;
        if (other.hubspot->name != as->hs_object.text) continue;
        if (std::find(fl->reference_to.begin(), fl->reference_to.end(), other.salesforce->name) !=
            fl->reference_to.end())
          parent = &other;
      }
      if (!parent) {
        std::string targets;
        for (size_t i = 0; i < fl->reference_to.size() && i < 4; ++i)
          targets += (i ? " or " : "") + std::string("salesforce.") + fl->reference_to[i];
        auto& diag = Report(DiagCode::kAssociationNotSynced, f, as->hs_object.range,
                            "no sync links " + targets + " with hubspot." + as->hs_object.text +
                                ", so the association has no linked parent to point to");
        diag.notes.push_back(accord::Note{"add a sync such as `sync accounts: salesforce." + fl->reference_to[0] +
                                              " <-> hubspot." + as->hs_object.text + " { ... }`",
                                          nullptr, {}});
      }
    }
  }

  // ---- lifecycle ----
  // A stage name must be an option of the lifecycle property. Returns false
  // (after A0601) when it is not; a suggested correction goes into *suggested.
  bool CheckStage(const Object* o, const Field* prop, const ast::Stage& st, const ast::File* f,
                  std::set<std::string>* suggested) {
    if (prop->FindValue(st.name)) return CheckPicklistValue(o, prop, st.name, st.range, f);  // inactive: A0402
    auto& d = Report(DiagCode::kUnknownStage, f, st.range, Q(st.name) + " is not a stage of " + FieldName(o, prop));
    std::vector<std::string> cands;
    for (const auto& v : prop->values)
      if (v.active) cands.push_back(v.value);
    Suggest(d, st.name, cands, "stages of " + FieldName(o, prop));
    if (d.fixit) {
      suggested->insert(*d.fixit);
      if (st.quoted) d.fixit = Q(*d.fixit);
    }
    return false;
  }

  void CheckLifecycle(const ast::LifecycleDecl& d, const ast::File* f) {
    const Object* o = nullptr;
    const Field* prop = ResolvePath(d.property, f, &o);
    if (!prop) return;
    if (o->system != schema::System::kHubSpot) {
      Report(DiagCode::kBadLifecycle, f, d.property.range,
             "a lifecycle is a HubSpot property (such as hubspot.contacts.lifecyclestage) driven by Salesforce "
             "triggers; " + FieldName(o, prop) + " is a Salesforce field");
      return;
    }
    if (!prop->is_picklist || prop->type != schema::FieldType::kString) {
      Report(DiagCode::kBadLifecycle, f, d.property.range,
             FieldName(o, prop) + " is not a single-select picklist, so it cannot be a lifecycle");
      return;
    }
    auto option_index = [&](const std::string& v) -> int {
      for (size_t i = 0; i < prop->values.size(); ++i)
        if (prop->values[i].value == v) return static_cast<int>(i);
      return -1;
    };
    std::vector<std::string> order;
    std::map<std::string, int> rank;
    bool forward_only = false;
    const ast::StageOrder* order_decl = nullptr;
    std::set<std::string> suggested;  // corrections offered for misspelled stages
    for (const auto& item : d.items) {
      if (auto* so = std::get_if<ast::StageOrder>(&item)) {
        if (order_decl) {
          Report(DiagCode::kDuplicatePolicy, f, so->range, "this lifecycle already has an order");
          continue;
        }
        order_decl = so;
        int last = -1;
        const ast::Stage* last_stage = nullptr;
        for (const auto& st : so->stages) {
          if (!CheckStage(o, prop, st, f, &suggested)) continue;
          if (rank.count(st.name)) {
            Report(DiagCode::kBadLifecycle, f, st.range, "stage " + Q(st.name) + " appears twice in the order");
            continue;
          }
          rank[st.name] = static_cast<int>(order.size());
          order.push_back(st.name);
          int idx = option_index(st.name);
          if (idx < last && last_stage) {
            auto& diag = Report(DiagCode::kStageOrder, f, st.range,
                                Q(st.name) + " comes before " + Q(last_stage->name) + " in the options of " +
                                    FieldName(o, prop) + ", but after it here");
            diag.notes.push_back(accord::Note{"order the stages as the property does, or reorder the property's "
                                              "options first",
                                              nullptr, {}});
          }
          last = std::max(last, idx);
          last_stage = &st;
        }
      } else if (std::get_if<ast::ForwardOnly>(&item)) {
        forward_only = true;
      }
    }
    if (order_decl) {
      // A stage left out because it was misspelled already has its A0601.
      std::vector<std::string> missing;
      for (const auto& v : prop->values)
        if (v.active && !rank.count(v.value) && !suggested.count(v.value)) missing.push_back(v.value);
      if (!missing.empty()) {
        std::string list;
        for (size_t i = 0; i < missing.size(); ++i) list += (i ? ", " : "") + Q(missing[i]);
        Report(DiagCode::kUnreachableStage, f, order_decl->range,
               (missing.size() == 1 ? "stage " + list + " of " + FieldName(o, prop) + " is"
                                    : "stages " + list + " of " + FieldName(o, prop) + " are") +
                   " not in the order, so no trigger can move a record there");
      }
    } else {
      Report(DiagCode::kBadLifecycle, f, d.property.range,
             "a lifecycle needs an `order` of its stages, lowest first");
    }
    // Records created through a sync only when they have reached a stage are at
    // least at that stage: a trigger to a lower stage would move them back.
    std::map<std::tuple<std::string, std::string, int, std::string>, const ast::Trigger*> trigger_on;
    for (const auto& item : d.items) {
      auto* t = std::get_if<ast::Trigger>(&item);
      if (!t) continue;
      // One change, one stage: two triggers on the same value that name different stages
      // leave the outcome to an ordering rule, not to the author.
      auto key = std::make_tuple(t->field.object.text, t->field.field.text, static_cast<int>(t->value.kind),
                                 t->value.value);
      if (auto [prev, fresh] = trigger_on.emplace(key, t); !fresh) {
        auto targets = [](const ast::Trigger& tr) {
          return (tr.for_object ? tr.for_object->text : "") + "/" + (tr.of_field ? tr.of_field->text : "");
        };
        bool same_targets = targets(*t) == targets(*prev->second);
        if (same_targets) {
          auto& diag =
              prev->second->stage.name == t->stage.name
                  ? Report(DiagCode::kDuplicatePolicy, f, t->range, "this trigger is given twice")
                  : Report(DiagCode::kBadLifecycle, f, t->stage.range,
                           "salesforce." + t->field.object.text + "." + t->field.field.text + " becoming " +
                               t->value.text + " already moves records to " + Q(prev->second->stage.name) +
                               "; a second trigger on the same value contradicts it");
          AddNote(diag, f, prev->second->range, "the other trigger is here");
          continue;
        }
      }
      const Object* src_obj = nullptr;
      const Field* src = ResolvePath(t->field, f, &src_obj);
      if (src) {
        if (t->value.kind == ast::LiteralKind::kString) {
          if (src->is_picklist) CheckPicklistValue(src_obj, src, t->value.value, t->value.range, f, /*written=*/false);
          else if (!FromField(src->type).Is(TypeKind::kString))
            Report(DiagCode::kExprTypeMismatch, f, t->value.range,
                   FieldName(src_obj, src) + " is " + FromField(src->type).ToString() + ", not a string");
        } else if (t->value.kind == ast::LiteralKind::kBool && !FromField(src->type).Is(TypeKind::kBool)) {
          Report(DiagCode::kExprTypeMismatch, f, t->value.range,
                 FieldName(src_obj, src) + " is " + FromField(src->type).ToString() + ", not a bool");
        }
      }
      bool stage_ok = CheckStage(o, prop, t->stage, f, &suggested);
      if (stage_ok && order_decl && !rank.count(t->stage.name)) {
        Report(DiagCode::kUnknownStage, f, t->stage.range, "stage " + Q(t->stage.name) + " is not in the order");
        continue;
      }
      if (!stage_ok) continue;
      // Where the trigger lands: the linked record, or records of an association.
      if (src_obj) {
        if (t->for_object) {
          if (t->for_object->text != o->name) {
            Report(DiagCode::kBadLifecycle, f, t->for_object->range,
                   "this lifecycle is on hubspot." + o->name + ", so triggers can only target " + o->name);
          }
          const Field* ref = ResolveField(src_obj, *t->of_field, f);
          if (ref && ref->reference_to.empty())
            Report(DiagCode::kNotAReference, f, t->of_field->range,
                   FieldName(src_obj, ref) + " is not a reference field; `of` needs a lookup such as AccountId");
        } else {
          bool linked = false;
          for (const auto& s : m_.syncs) linked |= s.salesforce == src_obj && s.hubspot == o;
          if (!linked && src_obj->system == schema::System::kSalesforce) {
            Report(DiagCode::kBadLifecycle, f, t->field.range,
                   "no sync links salesforce." + src_obj->name + " with hubspot." + o->name +
                       ", so this trigger has no record to update; add `for " + o->name + " of <LookupField>`");
          }
        }
      }
      if (!forward_only || !rank.count(t->stage.name)) continue;
      int target_rank = rank[t->stage.name];
      if (target_rank == 0) {
        Report(DiagCode::kBackwardTrigger, f, t->stage.range,
               Q(t->stage.name) + " is the lowest stage: under `forward only` this trigger can only set records "
                                  "that have no stage yet");
        continue;
      }
      for (const auto& s : m_.syncs) {
        if (s.salesforce != src_obj || s.hubspot != o) continue;
        for (const auto& item2 : s.decl->items) {
          auto* c = std::get_if<ast::CreateRule>(&item2);
          if (!c || c->side != Side::kSalesforce || !c->when) continue;
          auto floor = StageFloor(*c->when, prop->name);
          if (!floor || !rank.count(*floor)) continue;
          if (rank[*floor] > target_rank) {
            auto& diag = Report(DiagCode::kBackwardTrigger, f, t->stage.range,
                                "records of sync " + s.decl->name.text + " are created only at " + Q(*floor) +
                                    " or later, so moving them to " + Q(t->stage.name) +
                                    " goes backwards and `forward only` will ignore it");
            AddNote(diag, s.file, c->range, "created here");
          }
        }
      }
    }
  }

  // From `hubspot.lifecyclestage == "x"` (possibly inside &&), the stage x.
  static std::optional<std::string> StageFloor(const ast::Expr& e, const std::string& prop) {
    if (e.kind == ast::ExprKind::kBinary && e.binary_op == ast::BinaryOp::And) {
      if (auto a = StageFloor(*e.args[0], prop)) return a;
      return StageFloor(*e.args[1], prop);
    }
    if (e.kind != ast::ExprKind::kBinary || e.binary_op != ast::BinaryOp::Eq) return std::nullopt;
    for (int i = 0; i < 2; ++i) {
      const ast::Expr& a = *e.args[i];
      const ast::Expr& b = *e.args[1 - i];
      bool is_prop = (a.kind == ast::ExprKind::kSelect && a.name == prop) ||
                     (a.kind == ast::ExprKind::kIdent && a.name == prop);
      if (is_prop && b.kind == ast::ExprKind::kLiteral && b.lit == ast::LiteralKind::kString) return b.string_value;
    }
    return std::nullopt;
  }

  // ---- tests ----
  void CheckTest(const ast::TestDecl& d, const ast::File* f) {
    bool has_given = false, has_expect = false;
    for (const auto& item : d.items) {
      if (auto* g = std::get_if<ast::Given>(&item)) {
        has_given = true;
        CheckRecord(g->object, g->record, f, /*written=*/false);
      } else if (auto* e = std::get_if<ast::ExpectRecord>(&item)) {
        has_expect = true;
        CheckRecord(e->object, e->record, f, /*written=*/true);
      } else if (auto* er = std::get_if<ast::ExpectError>(&item)) {
        has_expect = true;
        const auto& cats = ErrorCategories();
        if (std::find(cats.begin(), cats.end(), er->category.text) == cats.end()) {
          auto& diag = Report(DiagCode::kBadTest, f, er->category.range,
                              "unknown error category " + Q(er->category.text));
          Suggest(diag, er->category.text, cats, "categories");
        }
      } else if (std::get_if<ast::ExpectNothing>(&item)) {
        has_expect = true;
      }
    }
    if (!has_given || !has_expect)
      Report(DiagCode::kBadTest, f, d.name_range,
             "test " + Q(d.name) + " needs at least one `given` record and one `expect`");
  }

  // `written`: an expected record (what the sync writes) rather than a given one
  // (which may carry values the org has since retired).
  void CheckRecord(const ast::ObjectRef& ref, const ast::RecordLit& rec, const ast::File* f, bool written) {
    const Object* o = ResolveObject(ref, f);
    if (!o) return;
    bool synced = false;
    for (const auto& s : m_.syncs) synced |= s.salesforce == o || s.hubspot == o;
    if (!synced) {
      Report(DiagCode::kBadTest, f, ref.range,
             std::string(schema::SystemName(o->system)) + "." + o->name + " is not synced by any sync in these rules");
    }
    std::set<std::string> seen;
    for (const auto& fld : rec.fields) {
      const Field* fl = ResolveField(o, fld.field, f);
      // No names are in scope in a test record: a field name there is a value the author
      // meant to copy from another field, which a test cannot do.
      if (const ast::Expr* id = AsField(fld.value.get())) {
        // this record's object first, then the objects synced with it
        const Object* owner = o->FindField(id->name) ? o : nullptr;
        for (const auto& s : m_.syncs) {
          if (owner) break;
          const Object* other = s.salesforce == o ? s.hubspot : s.hubspot == o ? s.salesforce : nullptr;
          if (other && other->FindField(id->name)) owner = other;
        }
        if (owner) {
          Report(DiagCode::kBadTest, f, id->range,
                 "a test record holds values, not field references: " + Q(id->name) + " is a field of " +
                     std::string(schema::SystemName(owner->system)) + "." + owner->name + "; write the value itself");
          continue;
        }
      }
      Scope sc;
      Type t = Expr(*fld.value, sc, f);
      if (!fl) continue;
      if (!seen.insert(fl->name).second) {
        Report(DiagCode::kBadTest, f, fld.field.range, fl->name + " is given twice in this record");
      }
      CheckFit(FromField(fl->type), t, o, fl, fld.value->range, f, "this value");
      if (fld.value->kind == ast::ExprKind::kLiteral && fld.value->lit == ast::LiteralKind::kString)
        CheckPicklistValue(o, fl, fld.value->string_value, fld.value->range, f, written);
    }
  }

  const CheckInput& in_;
  DiagSink& sink_;
  Model& m_;
  std::vector<std::pair<const ast::ValuesDecl*, const ast::File*>> values_;
  std::vector<std::pair<const ast::LifecycleDecl*, const ast::File*>> lifecycles_;
  std::vector<std::pair<const ast::TestDecl*, const ast::File*>> tests_;
  bool no_sf_reported_ = false, no_hs_reported_ = false;
  std::set<std::tuple<int, const SourceFile*, uint32_t, uint32_t, std::string>> reported_;
  Diagnostic duplicate_;  // handed out for a repeated finding, never rendered
};

}  // namespace

Model Check(const CheckInput& input, DiagSink& sink) {
  Model m;
  Checker c(input, sink, m);
  c.Run();
  CheckRuleMistakes(input, m, sink);
  return m;
}

Type CheckExpression(const ast::Expr& expr, const ast::File& file, const ExprEnv& env, Model& model, DiagSink& sink) {
  CheckInput in;
  in.files.push_back(&file);
  Checker c(in, sink, model);
  return c.Standalone(expr, file, env);
}

}  // namespace accord::sema
