#include "compiler/ir/lower.h"

#include <charconv>
#include <cstdint>
#include <map>

#include "compiler/sema/stdlib_decls.h"

namespace accord::ir {

const char* const kSkipMarker = "accord.skip";

namespace {

using ast::Expr;
using ast::ExprKind;
using ast::Side;
using rt::Value;

int SideIndex(Side s) { return s == Side::kSalesforce ? 0 : 1; }

// CEL type names usable as values (`type(x) == int`).
const char* TypeValueName(std::string_view name) {
  static const std::pair<const char*, rt::Kind> kNames[] = {
      {"int", rt::Kind::kInt},
      {"uint", rt::Kind::kUint},
      {"double", rt::Kind::kDouble},
      {"bool", rt::Kind::kBool},
      {"string", rt::Kind::kString},
      {"bytes", rt::Kind::kBytes},
      {"list", rt::Kind::kList},
      {"map", rt::Kind::kMap},
      {"null_type", rt::Kind::kNull},
      {"type", rt::Kind::kType},
      {"date", rt::Kind::kDate},
      {"decimal", rt::Kind::kDecimal},
      {"timestamp", rt::Kind::kTimestamp},
      {"duration", rt::Kind::kDuration},
  };
  for (const auto& [n, k] : kNames)
    if (name == n) return rt::KindTypeName(k).data();
  return nullptr;
}

Value LiteralValue(const Expr& e) {
  switch (e.lit) {
    case ast::LiteralKind::kInt:
      return Value::Int(e.int_value);
    case ast::LiteralKind::kUint:
      return Value::Uint(e.uint_value);
    case ast::LiteralKind::kDouble:
      return Value::Double(e.double_value);
    case ast::LiteralKind::kString:
      return Value::String(e.string_value);
    case ast::LiteralKind::kBytes:
      return Value::Bytes(e.string_value);
    case ast::LiteralKind::kBool:
      return Value::Bool(e.bool_value);
    case ast::LiteralKind::kNull:
      return Value::Null();
  }
  return Value::Null();
}

Value ValueLitValue(const ast::ValueLit& v) {
  switch (v.kind) {
    case ast::LiteralKind::kString:
      return Value::String(v.value);
    case ast::LiteralKind::kBool:
      return Value::Bool(v.value == "true");
    case ast::LiteralKind::kNull:
      return Value::Null();
    // numbers: the parser leaves only text that reads back exactly (decimal, in range) and
    // reports any other as A0006, so nothing here turns a bad number into a string
    case ast::LiteralKind::kInt: {
      int64_t n = 0;
      std::from_chars(v.value.data(), v.value.data() + v.value.size(), n);
      return Value::Int(n);
    }
    case ast::LiteralKind::kUint: {
      uint64_t n = 0;
      std::from_chars(v.value.data(), v.value.data() + v.value.size(), n);
      return Value::Uint(n);
    }
    case ast::LiteralKind::kDouble: {
      double n = 0;
      std::from_chars(v.value.data(), v.value.data() + v.value.size(), n);
      return Value::Double(n);
    }
    default:
      return Value::String(v.value);
  }
}

class Lowerer {
 public:
  Lowerer(Program& p, const sema::Model& m, const ast::File& f) : p_(p), m_(m), f_(f) {
    if (!p_.strings) p_.strings = std::make_shared<std::deque<std::string>>();
    p_.strings->push_back(f.source ? f.source->path() : "<expr>");
    file_name_ = p_.strings->back().c_str();
  }

  uint16_t NewReg(sema::TypeKind t = sema::TypeKind::kDyn) {
    p_.reg_types.push_back(t);
    return static_cast<uint16_t>(p_.reg_types.size() - 1);
  }
  uint16_t RegFor(const Expr& e) { return NewReg(TypeOf(e)); }
  sema::TypeKind TypeOf(const Expr& e) const {
    auto it = m_.types.find(&e);
    return it == m_.types.end() ? sema::TypeKind::kDyn : it->second.kind;
  }

  uint32_t Loc(Range r) {
    if (!f_.source) return 0;
    LineCol lc = f_.source->Locate(r.begin);
    p_.locs.push_back(rt::Location{file_name_, lc.line, lc.column});
    return static_cast<uint32_t>(p_.locs.size() - 1);
  }
  std::string LocText(Range r) const {
    if (!f_.source) return "<expr>";
    LineCol lc = f_.source->Locate(r.begin);
    return f_.source->path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
  }

  uint32_t Emit(Op op, uint16_t dst, uint16_t a = 0, uint16_t b = 0, uint32_t c = 0, uint32_t loc = 0,
                uint8_t aux = 0) {
    Instr i;
    i.op = op;
    i.dst = dst;
    i.a = a;
    i.b = b;
    i.c = c;
    i.loc = loc;
    i.aux = aux;
    p_.code.push_back(i);
    return static_cast<uint32_t>(p_.code.size() - 1);
  }
  uint32_t Here() const { return static_cast<uint32_t>(p_.code.size()); }
  void PatchC(uint32_t at, uint32_t target) { p_.code[at].c = target; }
  void PatchB(uint32_t at, uint32_t target) { p_.code[at].b = static_cast<uint16_t>(target); }

  uint16_t Const(Value v, sema::TypeKind t = sema::TypeKind::kDyn) {
    uint32_t idx = ConstIndex(std::move(v));
    uint16_t r = NewReg(t);
    Emit(Op::kConst, r, static_cast<uint16_t>(idx));
    return r;
  }
  uint32_t ConstIndex(Value v) {
    for (size_t i = 0; i < p_.consts.size(); ++i)
      if (p_.consts[i].kind() == v.kind() && rt::Equal(p_.consts[i], v) &&
          (!v.is(rt::Kind::kType) || p_.consts[i].type_name() == v.type_name()))
        return static_cast<uint32_t>(i);
    p_.consts.push_back(std::move(v));
    return static_cast<uint32_t>(p_.consts.size() - 1);
  }
  uint32_t Name(const std::string& n) {
    for (size_t i = 0; i < p_.names.size(); ++i)
      if (p_.names[i] == n) return static_cast<uint32_t>(i);
    p_.names.push_back(n);
    return static_cast<uint32_t>(p_.names.size() - 1);
  }

  // ---- expressions ----
  std::vector<std::pair<std::string, uint16_t>> vars;  // params and macro variables, innermost last
  std::vector<uint16_t> underscore;                    // `_` in transforms

  uint16_t Field(const sema::FieldRef& ref, sema::TypeKind t) {
    uint16_t r = NewReg(t);
    auto slot = static_cast<uint16_t>(ref.field - ref.object->fields.data());
    Emit(Op::kLoadField, r, slot, static_cast<uint16_t>(SideIndex(ref.side)));
    return r;
  }

  uint16_t Lower(const Expr& e) {
    if (auto it = m_.fields.find(&e); it != m_.fields.end() && it->second.field && it->second.object)
      return Field(it->second, TypeOf(e));
    switch (e.kind) {
      case ExprKind::kLiteral:
        return Const(LiteralValue(e), TypeOf(e));
      case ExprKind::kIdent: {
        for (auto it = vars.rbegin(); it != vars.rend(); ++it)
          if (it->first == e.name) return it->second;
        if (e.name == "_" && !underscore.empty()) return underscore.back();
        if (const char* tn = TypeValueName(e.name)) return Const(Value::Type(tn), sema::TypeKind::kTypeType);
        uint16_t r = NewReg();
        Emit(Op::kConst, r,
             static_cast<uint16_t>(
                 ConstIndex(Value::Error(rt::ErrorCode::kNoSuchField, "undeclared reference to '" + e.name + "'"))));
        return r;
      }
      case ExprKind::kSelect: {
        // qualified type names: google.protobuf.Timestamp / Duration
        std::string dotted;
        if (DottedName(e, &dotted)) {
          for (auto it = vars.rbegin(); it != vars.rend(); ++it)
            if (it->first == dotted) return it->second;
          if (dotted == "google.protobuf.Timestamp")
            return Const(Value::Type(rt::KindTypeName(rt::Kind::kTimestamp).data()));
          if (dotted == "google.protobuf.Duration")
            return Const(Value::Type(rt::KindTypeName(rt::Kind::kDuration).data()));
        }
        uint16_t a = Lower(*e.operand);
        uint16_t r = RegFor(e);
        Emit(Op::kSelect, r, a, 0, Name(e.name), Loc(e.name_range));
        return r;
      }
      case ExprKind::kCall:
        return Call(e);
      case ExprKind::kIndex: {
        uint16_t a = Lower(*e.operand);
        uint16_t b = Lower(*e.args[0]);
        uint16_t r = RegFor(e);
        Emit(Op::kIndex, r, a, b, 0, Loc(e.range));
        return r;
      }
      case ExprKind::kList: {
        uint16_t first = Block(e.args);
        uint16_t r = RegFor(e);
        Emit(Op::kMakeList, r, first, static_cast<uint16_t>(e.args.size()), 0, Loc(e.range));
        return r;
      }
      case ExprKind::kMap: {
        uint16_t first = Block(e.args);
        uint16_t r = RegFor(e);
        Emit(Op::kMakeMap, r, first, static_cast<uint16_t>(e.args.size() / 2), 0, Loc(e.range));
        return r;
      }
      case ExprKind::kUnary: {
        uint16_t a = Lower(*e.operand);
        uint16_t r = RegFor(e);
        Emit(e.unary_op == ast::UnaryOp::kNot ? Op::kNot : Op::kNeg, r, a, 0, 0, Loc(e.range));
        return r;
      }
      case ExprKind::kBinary:
        return Binary(e);
      case ExprKind::kConditional: {
        uint16_t c = Lower(*e.args[0]);
        uint16_t r = RegFor(e);
        uint32_t br = Emit(Op::kCondBr, r, c, 0, 0, Loc(e.args[0]->range));
        uint16_t t = Lower(*e.args[1]);
        Emit(Op::kMove, r, t);
        uint32_t jmp = Emit(Op::kJump, 0);
        PatchC(br, Here());
        uint16_t f = Lower(*e.args[2]);
        Emit(Op::kMove, r, f);
        PatchC(jmp, Here());
        PatchB(br, Here());
        return r;
      }
    }
    return Const(Value::Error(rt::ErrorCode::kInternal, "internal: unknown expression"));
  }

  static bool DottedName(const Expr& e, std::string* out) {
    if (e.kind == ExprKind::kIdent) {
      *out = e.name;
      return true;
    }
    if (e.kind == ExprKind::kSelect && e.operand && DottedName(*e.operand, out)) {
      *out += "." + e.name;
      return true;
    }
    return false;
  }

  // Lowers expressions into consecutive registers.
  uint16_t Block(const std::vector<ast::ExprPtr>& items) {
    std::vector<uint16_t> regs;
    for (const auto& a : items) regs.push_back(Lower(*a));
    uint16_t first = static_cast<uint16_t>(p_.reg_types.size());
    for (size_t i = 0; i < regs.size(); ++i) NewReg(p_.reg_types[regs[i]]);
    for (size_t i = 0; i < regs.size(); ++i) Emit(Op::kMove, static_cast<uint16_t>(first + i), regs[i]);
    return first;
  }

  uint16_t Binary(const Expr& e) {
    using ast::BinaryOp;
    BinaryOp op = e.binary_op;
    if (op == BinaryOp::And || op == BinaryOp::Or) {
      bool is_and = op == BinaryOp::And;
      uint16_t a = Lower(*e.args[0]);
      uint16_t r = NewReg(sema::TypeKind::kBool);
      uint32_t sc = Emit(is_and ? Op::kAndShort : Op::kOrShort, r, a, 0, 0, 0);
      uint16_t b = Lower(*e.args[1]);
      Emit(is_and ? Op::kAndJoin : Op::kOrJoin, r, a, b, 0, Loc(e.range));
      PatchC(sc, Here());
      return r;
    }
    uint16_t a = Lower(*e.args[0]);
    uint16_t b = Lower(*e.args[1]);
    Op o = Op::kAdd;
    switch (op) {
      case BinaryOp::Add:
        o = Op::kAdd;
        break;
      case BinaryOp::Sub:
        o = Op::kSub;
        break;
      case BinaryOp::Mul:
        o = Op::kMul;
        break;
      case BinaryOp::Div:
        o = Op::kDiv;
        break;
      case BinaryOp::Mod:
        o = Op::kMod;
        break;
      case BinaryOp::Eq:
        o = Op::kEq;
        break;
      case BinaryOp::Ne:
        o = Op::kNe;
        break;
      case BinaryOp::Lt:
        o = Op::kLt;
        break;
      case BinaryOp::Le:
        o = Op::kLe;
        break;
      case BinaryOp::Gt:
        o = Op::kGt;
        break;
      case BinaryOp::Ge:
        o = Op::kGe;
        break;
      case BinaryOp::In:
        o = Op::kIn;
        break;
      default:
        break;
    }
    uint16_t r = RegFor(e);
    Emit(o, r, a, b, 0, Loc(e.range));
    return r;
  }

  uint16_t Call(const Expr& e) {
    // has(x.f)
    if (e.name == "has" && !e.operand && e.args.size() == 1 && e.args[0]->kind == ExprKind::kSelect) {
      const Expr& sel = *e.args[0];
      uint16_t r = NewReg(sema::TypeKind::kBool);
      if (auto it = m_.fields.find(&sel); it != m_.fields.end() && it->second.field) {
        uint16_t f = Field(it->second, TypeOf(sel));
        uint16_t n = Const(Value::Null());
        Emit(Op::kNe, r, f, n, 0, Loc(e.range));
        return r;
      }
      uint16_t a = Lower(*sel.operand);
      Emit(Op::kHas, r, a, 0, Name(sel.name), Loc(e.range));
      return r;
    }
    std::string ns = Namespaced(e);
    if (ns == "cel.bind" && e.args.size() == 3) {
      std::string name;
      if (sema::MacroVarName(*e.args[0], &name)) {
        uint16_t init = Lower(*e.args[1]);
        vars.emplace_back(name, init);
        uint16_t r = Lower(*e.args[2]);
        vars.pop_back();
        return r;
      }
    }
    if (ns == "cel.block" && e.args.size() == 2 && e.args[0]->kind == ExprKind::kList) {
      // Bindings are evaluated in order, each once; an unused one that fails
      // is an error value nobody reads.
      const auto& bindings = e.args[0]->args;
      for (size_t i = 0; i < bindings.size(); ++i) {
        uint16_t b = Lower(*bindings[i]);
        vars.emplace_back("@index:" + std::to_string(i), b);
      }
      uint16_t r = Lower(*e.args[1]);
      vars.resize(vars.size() - bindings.size());
      return r;
    }
    if (ns == "cel.index" || ns == "cel.iterVar") {
      std::string name;
      if (sema::MacroVarName(e, &name))
        for (auto it = vars.rbegin(); it != vars.rend(); ++it)
          if (it->first == name) return it->second;
      return Const(Value::Error(rt::ErrorCode::kNoSuchField, "unbound " + ns + "() reference"));
    }
    int nvars = 0;
    bool has_filter = false;
    std::string v1, v2;
    if (e.operand && ns.empty() && e.name != "has" && sema::IsMacroName(e.name) &&
        sema::ComprehensionShape(e.name, e.args.size(), &nvars, &has_filter) && sema::MacroVarName(*e.args[0], &v1) &&
        (nvars == 1 || sema::MacroVarName(*e.args[1], &v2)))
      return Comprehension(e, nvars, has_filter, v1, v2);
    const std::string& name = ns.empty() ? e.name : ns;
    const Expr* receiver = ns.empty() ? e.operand.get() : nullptr;
    std::vector<const Expr*> args;
    if (receiver) args.push_back(receiver);
    for (const auto& a : e.args) args.push_back(a.get());
    std::vector<uint16_t> regs;
    for (const Expr* a : args) regs.push_back(Lower(*a));
    // math.greatest(a, b, ...) / math.least(a, b, ...): the list overload on [a, b, ...].
    if ((ns == "math.greatest" || ns == "math.least") && regs.size() >= 2) {
      uint16_t first = static_cast<uint16_t>(p_.reg_types.size());
      for (size_t i = 0; i < regs.size(); ++i) NewReg(p_.reg_types[regs[i]]);
      for (size_t i = 0; i < regs.size(); ++i) Emit(Op::kMove, static_cast<uint16_t>(first + i), regs[i]);
      uint16_t list = NewReg(sema::TypeKind::kList);
      Emit(Op::kMakeList, list, first, static_cast<uint16_t>(regs.size()), 0, Loc(e.range));
      regs.assign(1, list);
    }
    uint16_t first = static_cast<uint16_t>(p_.reg_types.size());
    for (size_t i = 0; i < regs.size(); ++i) NewReg(p_.reg_types[regs[i]]);
    for (size_t i = 0; i < regs.size(); ++i) Emit(Op::kMove, static_cast<uint16_t>(first + i), regs[i]);
    uint16_t r = RegFor(e);
    auto it = m_.overloads.find(&e);
    rt::Fn fn = it != m_.overloads.end() ? rt::FnFromId(it->second->id) : rt::Fn::kCount;
    if (ns == "math.greatest" && e.args.size() >= 2) fn = rt::Fn::math_greatest_list;
    if (ns == "math.least" && e.args.size() >= 2) fn = rt::Fn::math_least_list;
    if (fn != rt::Fn::kCount)
      Emit(Op::kCall, r, first, static_cast<uint16_t>(regs.size()), static_cast<uint32_t>(fn), Loc(e.range));
    else
      Emit(Op::kCallDyn, r, first, static_cast<uint16_t>(regs.size()), Name(name), Loc(e.range), receiver ? 1 : 0);
    return r;
  }

  // `ns.fn(args)` as the namespaced function or macro "ns.fn", unless `ns` is
  // a variable or a field in scope (as the checker decides).
  std::string Namespaced(const Expr& e) {
    std::string q = sema::NamespacedName(e);
    if (q.empty()) return q;
    for (const auto& v : vars)
      if (v.first == e.operand->name) return "";
    if (m_.fields.count(e.operand.get())) return "";
    return q;
  }

  // One- and two-variable comprehensions: all, exists, exists_one/existsOne,
  // map, filter, transformList, transformMap, transformMapEntry. One loop over
  // the range; with two variables the first is the index (list) or key (map)
  // and the second the element or value.
  uint16_t Comprehension(const Expr& e, int nvars, bool has_filter, const std::string& v1, const std::string& v2) {
    std::string kind = e.name == "existsOne" ? "exists_one" : e.name;
    uint16_t range = Lower(*e.operand);
    uint16_t idx = NewReg(sema::TypeKind::kInt);
    uint16_t var1 = NewReg(TypeOf(*e.args[0]));
    uint16_t var2 = nvars == 2 ? NewReg(TypeOf(*e.args[1])) : 0;
    uint16_t acc = RegFor(e);
    uint32_t loc = Loc(e.range);
    bool to_map = kind == "transformMap" || kind == "transformMapEntry";
    if (kind == "all")
      Emit(Op::kConst, acc, static_cast<uint16_t>(ConstIndex(Value::Bool(true))));
    else if (kind == "exists")
      Emit(Op::kConst, acc, static_cast<uint16_t>(ConstIndex(Value::Bool(false))));
    else if (kind == "exists_one")
      Emit(Op::kConst, acc, static_cast<uint16_t>(ConstIndex(Value::Int(0))));
    else if (to_map)
      Emit(Op::kConst, acc, static_cast<uint16_t>(ConstIndex(Value::Map({}))));
    else
      Emit(Op::kConst, acc, static_cast<uint16_t>(ConstIndex(Value::List({}))));
    uint32_t init = Emit(Op::kIterInit, acc, range, idx, 0, loc);
    uint32_t loop = Here();
    uint32_t next;
    if (nvars == 1) {
      next = Emit(Op::kIterNext, var1, range, idx, 0);
    } else {
      uint16_t scratch = NewReg();
      next = Emit(Op::kIterNext, scratch, range, idx, 0);
      Emit(Op::kIterVar, var1, range, idx, 0, 0, 0);
      Emit(Op::kIterVar, var2, range, idx, 0, 0, 1);
    }
    vars.emplace_back(v1, var1);
    if (nvars == 2) vars.emplace_back(v2, var2);
    const Expr& body = *e.args[static_cast<size_t>(nvars)];  // the predicate, filter or transform
    std::vector<uint32_t> to_end;                            // jumps that leave with acc holding the result
    if (kind == "all" || kind == "exists") {
      uint16_t pr = Lower(body);
      Emit(kind == "all" ? Op::kAndJoin : Op::kOrJoin, acc, acc, pr, 0, loc);
      uint32_t stop = Emit(kind == "all" ? Op::kJumpIfFalse : Op::kJumpIfTrue, 0, acc);
      Emit(Op::kJump, 0, 0, 0, loop);
      PatchC(next, Here());
      PatchC(stop, Here());
    } else if (kind == "exists_one") {
      uint16_t pr = Lower(body);
      Emit(Op::kCheckBool, 0, pr, 0, 0, Loc(body.range));
      to_end.push_back(Emit(Op::kIsError, acc, pr));
      Emit(Op::kJumpIfFalse, 0, pr, 0, loop);
      uint16_t one = Const(Value::Int(1), sema::TypeKind::kInt);
      Emit(Op::kAdd, acc, acc, one, 0, loc);
      Emit(Op::kJump, 0, 0, 0, loop);
      PatchC(next, Here());
      uint16_t one2 = Const(Value::Int(1), sema::TypeKind::kInt);
      Emit(Op::kEq, acc, acc, one2, 0, loc);
    } else {
      const Expr* filter = nullptr;
      const Expr* transform = nullptr;
      if (kind == "filter") {
        filter = &body;
      } else {
        if (has_filter) filter = &body;
        transform = e.args.back().get();
      }
      if (filter) {
        uint16_t pr = Lower(*filter);
        Emit(Op::kCheckBool, 0, pr, 0, 0, Loc(filter->range));
        to_end.push_back(Emit(Op::kIsError, acc, pr));
        Emit(Op::kJumpIfFalse, 0, pr, 0, loop);
      }
      uint16_t v = var1;
      if (transform) {
        v = Lower(*transform);
        to_end.push_back(Emit(Op::kIsError, acc, v));
      }
      if (kind == "transformMap") {
        Emit(Op::kMapInsert, acc, var1, v, 0, loc);
        to_end.push_back(Emit(Op::kIsError, acc, acc));
      } else if (kind == "transformMapEntry") {
        Emit(Op::kMapMerge, acc, v, 0, 0, Loc(transform->range));
        to_end.push_back(Emit(Op::kIsError, acc, acc));
      } else {
        Emit(Op::kListAppend, acc, v);
      }
      Emit(Op::kJump, 0, 0, 0, loop);
      PatchC(next, Here());
    }
    vars.resize(vars.size() - static_cast<size_t>(nvars));
    PatchC(init, Here());
    for (uint32_t j : to_end) PatchC(j, Here());
    return acc;
  }

  Program& p_;
  const sema::Model& m_;
  const ast::File& f_;
  const char* file_name_ = nullptr;
};

void Finish(Program& p, uint16_t result, const LowerOptions& opt) {
  Instr ret;
  ret.op = Op::kReturn;
  ret.a = result;
  p.code.push_back(ret);
  if (opt.optimize) Optimize(p);
}

}  // namespace

Program LowerExpression(const ast::Expr& expr, const ast::File& file, const sema::Model& model, const ExprEnv& env) {
  Program p;
  p.name = "expr";
  Lowerer l(p, model, file);
  for (const auto& name : env.params) {
    uint16_t r = l.NewReg();
    l.vars.emplace_back(name, r);
    p.param_names.push_back(name);
  }
  p.params = static_cast<uint16_t>(env.params.size());
  uint16_t r = l.Lower(expr);
  Finish(p, r, LowerOptions{});
  return p;
}

const Program* CompiledSync::Scope(Side s) const {
  return s == Side::kHubSpot ? scope_hubspot.get() : scope_salesforce.get();
}
const Program* CompiledSync::CreateWhen(Side in) const {
  return in == Side::kHubSpot ? create_when_hubspot.get() : create_when_salesforce.get();
}
const Mapping* CompiledSync::Toward(Side to) const {
  return to == Side::kHubSpot ? to_hubspot.get() : to_salesforce.get();
}

const CompiledSync* CompiledRules::Find(std::string_view name) const {
  for (const auto& s : syncs)
    if (s.name == name) return &s;
  return nullptr;
}

namespace {

std::shared_ptr<ValueTable> BuildTable(const ast::ValuesDecl& decl, Side to) {
  auto t = std::make_shared<ValueTable>();
  t->name = decl.name.text;
  ast::Direction want = to == Side::kHubSpot ? ast::Direction::kToHubSpot : ast::Direction::kToSalesforce;
  for (const auto& entry : decl.entries) {
    if (auto* pair = std::get_if<ast::ValuePair>(&entry)) {
      if (pair->dir != ast::Direction::kBoth && pair->dir != want) continue;
      const ast::ValueLit& from = to == Side::kHubSpot ? pair->salesforce : pair->hubspot;
      const ast::ValueLit& into = to == Side::kHubSpot ? pair->hubspot : pair->salesforce;
      Value k = ValueLitValue(from);
      bool dup = false;
      for (const auto& existing : t->keys) dup |= existing.kind() == k.kind() && rt::Equal(existing, k);
      if (dup) continue;  // the checker reports it; the first pair wins
      t->keys.push_back(std::move(k));
      t->values.push_back(ValueLitValue(into));
    } else if (auto* e = std::get_if<ast::ValueElse>(&entry)) {
      if (e->dir != want) continue;
      switch (e->kind) {
        case ast::ElseKind::kReject:
          t->otherwise = ValueTable::Else::kReject;
          break;
        case ast::ElseKind::kKeep:
          t->otherwise = ValueTable::Else::kKeep;
          break;
        case ast::ElseKind::kValue:
          t->otherwise = ValueTable::Else::kValue;
          t->else_value = ValueLitValue(e->value);
          break;
      }
    }
  }
  t->Build();
  return t;
}

// Is this side of a field rule a plain field reference?
const sema::FieldRef* PlainField(const ast::Expr* e, const sema::Model& m) {
  if (!e || e->parens > 0) return nullptr;
  if (e->kind != ExprKind::kIdent && e->kind != ExprKind::kSelect) return nullptr;
  auto it = m.fields.find(e);
  return it == m.fields.end() || !it->second.field ? nullptr : &it->second;
}

std::unique_ptr<Mapping> LowerDirection(const sema::SyncInfo& si, Side to, const sema::Model& m,
                                        const LowerOptions& opt) {
  const ast::SyncDecl& sync = *si.decl;
  Side from = ast::Other(to);
  auto map = std::make_unique<Mapping>();
  map->from = from;
  map->to = to;
  map->source = from == Side::kSalesforce ? si.salesforce : si.hubspot;
  map->target = to == Side::kSalesforce ? si.salesforce : si.hubspot;
  Program& p = map->program;
  p.name = sync.name.text + (to == Side::kHubSpot ? " -> hubspot" : " -> salesforce");
  Lowerer l(p, m, *si.file);

  // sync defaults
  ast::BlankKind blank_default = ast::BlankKind::kIgnore;
  for (const auto& item : sync.items)
    if (auto* b = std::get_if<ast::BlankDefault>(&item)) blank_default = b->policy.kind;

  // scope of the source side: out of scope -> return false
  uint16_t false_reg = 0, true_reg = 0;
  std::vector<uint32_t> scope_exits;
  std::vector<uint32_t> scope_errors;
  std::vector<uint16_t> scope_regs;
  for (const auto& item : sync.items) {
    auto* sc = std::get_if<ast::ScopeRule>(&item);
    if (!sc || sc->side != from || !sc->condition) continue;
    uint16_t c = l.Lower(*sc->condition);
    uint16_t err = l.NewReg();
    uint32_t br = l.Emit(Op::kCondBr, err, c, 0, 0, l.Loc(sc->condition->range));
    scope_exits.push_back(br);
    scope_errors.push_back(br);
    scope_regs.push_back(err);
  }

  for (const auto& item : sync.items) {
    auto* rule = std::get_if<ast::FieldRule>(&item);
    if (!rule || !ast::Flows(rule->dir, to)) continue;
    const ast::Expr* src = from == Side::kSalesforce ? rule->salesforce.get() : rule->hubspot.get();
    const ast::Expr* dst = to == Side::kSalesforce ? rule->salesforce.get() : rule->hubspot.get();
    const sema::FieldRef* target = PlainField(dst, m);
    if (!src || !target || !target->object) continue;  // the checker reported it
    OutField out;
    out.field = target->field;
    out.target_slot = static_cast<uint32_t>(target->field - target->object->fields.data());
    out.rule = l.LocText(rule->range);
    out.rule_begin = rule->range.begin;
    uint32_t k = static_cast<uint32_t>(map->outs.size());
    map->outs.push_back(out);
    uint32_t loc = l.Loc(rule->range);

    uint16_t v = l.Lower(*src);
    uint32_t blank_jump = l.Emit(Op::kJumpIfBlank, 0, v);
    if (rule->with) {
      l.underscore.push_back(v);
      v = l.Lower(*rule->with);
      l.underscore.pop_back();
    }
    for (const auto& t : rule->transforms) {
      if (t.to != to || !t.expr) continue;
      l.underscore.push_back(v);
      v = l.Lower(*t.expr);
      l.underscore.pop_back();
    }
    if (rule->via) {
      auto it = m.values.find(rule->via->text);
      if (it != m.values.end()) {
        p.tables.push_back(BuildTable(*it->second, to));
        uint16_t tv = l.NewReg(l.p_.reg_types[v]);
        l.Emit(Op::kTable, tv, v, 0, static_cast<uint32_t>(p.tables.size() - 1), loc);
        v = tv;
      }
    }
    l.Emit(Op::kStoreOut, 0, v, 0, k);
    uint32_t done = l.Emit(Op::kJump, 0);
    l.PatchC(blank_jump, l.Here());
    ast::BlankKind bk = rule->blank ? rule->blank->kind : blank_default;
    if (bk == ast::BlankKind::kDefault && rule->blank && rule->blank->default_value) {
      uint16_t d = l.Lower(*rule->blank->default_value);
      l.Emit(Op::kStoreOut, 0, d, 0, k);
    } else if (bk == ast::BlankKind::kClear) {
      uint16_t n = l.Const(Value::Null());
      l.Emit(Op::kStoreOut, 0, n, 0, k);
    } else {
      uint16_t s = l.Const(Value::Type(kSkipMarker));
      l.Emit(Op::kStoreOut, 0, s, 0, k);
    }
    l.PatchC(done, l.Here());
  }
  true_reg = l.Const(Value::Bool(true), sema::TypeKind::kBool);
  l.Emit(Op::kReturn, 0, true_reg);
  // out of scope
  uint32_t out_of_scope = l.Here();
  false_reg = l.Const(Value::Bool(false), sema::TypeKind::kBool);
  l.Emit(Op::kReturn, 0, false_reg);
  for (uint32_t br : scope_exits) l.PatchC(br, out_of_scope);
  for (size_t i = 0; i < scope_errors.size(); ++i) {
    l.PatchB(scope_errors[i], l.Here());
    l.Emit(Op::kReturn, 0, scope_regs[i]);
  }
  p.out_slots = static_cast<uint32_t>(map->outs.size());
  if (opt.optimize) Optimize(p);
  return map;
}

std::unique_ptr<Mapping> LowerOnCreate(const sema::SyncInfo& si, Side created, const sema::Model& m,
                                       const LowerOptions& opt) {
  const ast::SyncDecl& sync = *si.decl;
  const ast::OnCreate* oc = nullptr;
  for (const auto& item : sync.items)
    if (auto* o = std::get_if<ast::OnCreate>(&item); o && o->side == created) oc = o;
  if (!oc) return nullptr;
  auto map = std::make_unique<Mapping>();
  map->to = created;
  map->from = ast::Other(created);
  map->source = map->from == Side::kSalesforce ? si.salesforce : si.hubspot;
  map->target = created == Side::kSalesforce ? si.salesforce : si.hubspot;
  if (!map->target) return nullptr;
  Program& p = map->program;
  p.name = sync.name.text + " on create " + std::string(ast::SideName(created));
  Lowerer l(p, m, *si.file);
  for (const auto& a : oc->assignments) {
    const schema::Field* f = map->target->FindField(a.field.text);
    if (!f || !a.value) continue;
    OutField out;
    out.field = f;
    out.target_slot = static_cast<uint32_t>(f - map->target->fields.data());
    out.rule = l.LocText(a.range);
    uint32_t k = static_cast<uint32_t>(map->outs.size());
    map->outs.push_back(out);
    uint16_t v = l.Lower(*a.value);
    l.Emit(Op::kStoreOut, 0, v, 0, k);
  }
  uint16_t t = l.Const(Value::Bool(true), sema::TypeKind::kBool);
  l.Emit(Op::kReturn, 0, t);
  p.out_slots = static_cast<uint32_t>(map->outs.size());
  if (opt.optimize) Optimize(p);
  return map;
}

// A condition program: the conjunction of `conds` (true when there is none).
std::unique_ptr<Program> LowerCondition(const sema::SyncInfo& si, const std::vector<const ast::Expr*>& conds,
                                        std::string name, const sema::Model& m, const LowerOptions& opt) {
  if (conds.empty()) return nullptr;
  auto p = std::make_unique<Program>();
  p->name = std::move(name);
  Lowerer l(*p, m, *si.file);
  uint16_t acc = 0;
  for (size_t i = 0; i < conds.size(); ++i) {
    uint16_t c = l.Lower(*conds[i]);
    if (i == 0) {
      acc = c;
      continue;
    }
    uint16_t both = l.NewReg(sema::TypeKind::kBool);
    l.Emit(Op::kAndJoin, both, acc, c, 0, l.Loc(conds[i]->range));
    acc = both;
  }
  l.Emit(Op::kReturn, 0, acc);
  p->out_slots = 0;
  if (opt.optimize) Optimize(*p);
  return p;
}

schema::System SystemOf(Side s) {
  return s == Side::kSalesforce ? schema::System::kSalesforce : schema::System::kHubSpot;
}

ConflictPolicy PolicyOf(const ast::ConflictPolicy& c) {
  ConflictPolicy p;
  p.side = SystemOf(c.side);
  switch (c.kind) {
    case ast::ConflictKind::kTwoWay:
      p.kind = ConflictKind::kTwoWay;
      break;
    case ast::ConflictKind::kPrefer:
      p.kind = ConflictKind::kPrefer;
      break;
    case ast::ConflictKind::kPreferUnlessBlank:
      p.kind = ConflictKind::kPreferUnlessBlank;
      break;
    case ast::ConflictKind::kDontSync:
      p.kind = ConflictKind::kDontSync;
      break;
  }
  return p;
}

DeleteKind DeleteKindOf(ast::DeleteKind k) {
  switch (k) {
    case ast::DeleteKind::kKeep:
      return DeleteKind::kKeep;
    case ast::DeleteKind::kPropagate:
      return DeleteKind::kPropagate;
    case ast::DeleteKind::kUnlink:
      return DeleteKind::kUnlink;
  }
  return DeleteKind::kKeep;
}

Direction DirectionOf(ast::Direction d) {
  switch (d) {
    case ast::Direction::kBoth:
      return Direction::kBoth;
    case ast::Direction::kToHubSpot:
      return Direction::kToHubSpot;
    case ast::Direction::kToSalesforce:
      return Direction::kToSalesforce;
  }
  return Direction::kBoth;
}

int SlotOf(const schema::Object& o, std::string_view field) {
  const schema::Field* f = o.FindField(field);
  return f ? static_cast<int>(f - o.fields.data()) : -1;
}

// The sync-level rules of `cs` (its mappings already lowered), for the engine.
SyncRules LowerSyncRules(const ast::SyncDecl& sync, const CompiledSync& cs, const sema::Model& model) {
  SyncRules out;
  ast::ConflictPolicy conflict_default;
  for (const auto& item : sync.items)
    if (auto* c = std::get_if<ast::ConflictDefault>(&item)) conflict_default = c->policy;
  const schema::Object* obj[2] = {cs.salesforce, cs.hubspot};
  const Mapping* mapping[2] = {cs.to_salesforce.get(), cs.to_hubspot.get()};
  for (const auto& item : sync.items) {
    if (auto* r = std::get_if<ast::FieldRule>(&item)) {
      FieldRulePlan rp;
      rp.policy = PolicyOf(r->conflict ? *r->conflict : conflict_default);
      std::string names[2];
      const ast::Expr* side_expr[2] = {r->salesforce.get(), r->hubspot.get()};
      for (int i = 0; i < 2; ++i) {
        const sema::FieldRef* fr = PlainField(side_expr[i], model);
        if (fr && fr->object == obj[i]) {
          rp.slot[i] = static_cast<int>(fr->field - obj[i]->fields.data());
          names[i] = fr->field->name;
        } else {
          names[i] = "=" + std::to_string(r->range.begin);
        }
      }
      rp.key = names[0] + "|" + names[1];
      for (int i = 0; i < 2; ++i) {
        if (!mapping[i]) continue;
        for (size_t k = 0; k < mapping[i]->outs.size(); ++k)
          if (mapping[i]->outs[k].rule_begin == static_cast<int64_t>(r->range.begin)) {  // one file: unique
            rp.out[i] = static_cast<int>(k);
            rp.loc = mapping[i]->outs[k].rule;
          }
      }
      if (rp.out[0] < 0 && rp.out[1] < 0) continue;
      // the record id mapped into a field of the other side is an external id
      if (rp.slot[0] >= 0 && obj[0]->fields[rp.slot[0]].name == "Id" && rp.slot[1] >= 0 && rp.out[1] >= 0)
        out.extid_slot[1] = rp.slot[1];
      if (rp.slot[1] >= 0 && obj[1]->fields[rp.slot[1]].name == "hs_object_id" && rp.slot[0] >= 0 && rp.out[0] >= 0)
        out.extid_slot[0] = rp.slot[0];
      out.fields.push_back(std::move(rp));
    } else if (auto* m = std::get_if<ast::MatchRule>(&item)) {
      if (m->explicit_fields) {
        out.match = "fields";
        out.match_slot[0] = SlotOf(*obj[0], m->sf_field.text);
        out.match_slot[1] = SlotOf(*obj[1], m->hs_field.text);
      } else {
        out.match = m->key.text;
        const char* names[2] = {"", ""};
        if (out.match == "email") names[0] = "Email", names[1] = "email";
        if (out.match == "domain") names[0] = "Website", names[1] = "domain";
        for (int i = 0; i < 2; ++i) out.match_slot[i] = SlotOf(*obj[i], names[i]);
      }
    } else if (auto* c = std::get_if<ast::CreateRule>(&item)) {
      out.create[SideIndex(c->side)] = CreatePlan{true, c->only};
    } else if (auto* d = std::get_if<ast::DeleteRule>(&item)) {
      // several delete rules may name different sides: each side keeps its own
      for (int i = 0; i < 2; ++i)
        if (!d->from || SideIndex(*d->from) == i) out.del[i] = DeleteKindOf(d->kind);
    } else if (auto* cv = std::get_if<ast::ConvertsTo>(&item)) {
      out.converts_to = cv->sync.text;
    } else if (auto* a = std::get_if<ast::Associate>(&item)) {
      AssociationPlan as;
      as.sf_field = a->sf_field.text;
      as.hs_object = a->hs_object.text;
      as.dir = DirectionOf(a->dir);
      if (auto* f = obj[0]->FindField(a->sf_field.text)) {
        as.sf_slot = static_cast<int>(f - obj[0]->fields.data());
        if (!f->reference_to.empty()) as.parent_object = f->reference_to.front();
      }
      out.associations.push_back(std::move(as));
    }
  }
  return out;
}

}  // namespace

std::vector<LifecyclePlan> LowerLifecycles(const std::vector<const ast::LifecycleDecl*>& lifecycles,
                                           const schema::SchemaSet& schemas) {
  std::vector<LifecyclePlan> out;
  for (const ast::LifecycleDecl* d : lifecycles) {
    LifecyclePlan l;
    if (d->property.side != Side::kHubSpot && d->property.side != Side::kSalesforce) continue;
    l.object = schemas.Find(SystemOf(d->property.side), d->property.object.text);
    if (!l.object) continue;
    l.slot = SlotOf(*l.object, d->property.field.text);
    for (const auto& item : d->items) {
      if (auto* o = std::get_if<ast::StageOrder>(&item))
        for (const auto& st : o->stages) l.order.push_back(st.name);
      if (std::get_if<ast::ForwardOnly>(&item)) l.forward_only = true;
      if (auto* tr = std::get_if<ast::Trigger>(&item)) {
        TriggerPlan t;
        t.side = SystemOf(tr->field.side);
        t.object = tr->field.object.text;
        t.field = tr->field.field.text;
        t.value = tr->value.value;
        t.value_text = tr->value.text;
        t.stage = tr->stage.name;
        t.for_object = tr->for_object.has_value();
        if (tr->of_field) t.of_field = tr->of_field->text;
        l.triggers.push_back(std::move(t));
      }
    }
    if (l.slot >= 0) out.push_back(std::move(l));
  }
  return out;
}

CompiledRules LowerRules(const sema::Model& model, const LowerOptions& options) {
  CompiledRules out;
  for (const sema::SyncInfo& si : model.syncs) {
    if (!si.decl || !si.file || !si.salesforce || !si.hubspot) continue;
    CompiledSync cs;
    cs.name = si.decl->name.text;
    cs.salesforce = si.salesforce;
    cs.hubspot = si.hubspot;
    if (ast::Flows(si.decl->dir, Side::kHubSpot)) cs.to_hubspot = LowerDirection(si, Side::kHubSpot, model, options);
    if (ast::Flows(si.decl->dir, Side::kSalesforce))
      cs.to_salesforce = LowerDirection(si, Side::kSalesforce, model, options);
    cs.create_hubspot = LowerOnCreate(si, Side::kHubSpot, model, options);
    cs.create_salesforce = LowerOnCreate(si, Side::kSalesforce, model, options);
    for (Side side : {Side::kSalesforce, Side::kHubSpot}) {
      std::vector<const ast::Expr*> scope, when;
      for (const auto& item : si.decl->items) {
        if (auto* sc = std::get_if<ast::ScopeRule>(&item); sc && sc->side == side && sc->condition)
          scope.push_back(sc->condition.get());
        if (auto* cr = std::get_if<ast::CreateRule>(&item); cr && cr->side == side && cr->when)
          when.push_back(cr->when.get());
      }
      std::string sn(ast::SideName(side));
      auto sp = LowerCondition(si, scope, cs.name + " scope " + sn, model, options);
      auto wp = LowerCondition(si, when, cs.name + " create in " + sn + " when", model, options);
      (side == Side::kHubSpot ? cs.scope_hubspot : cs.scope_salesforce) = std::move(sp);
      (side == Side::kHubSpot ? cs.create_when_hubspot : cs.create_when_salesforce) = std::move(wp);
    }
    cs.rules = LowerSyncRules(*si.decl, cs, model);
    out.syncs.push_back(std::move(cs));
  }
  return out;
}

}  // namespace accord::ir
