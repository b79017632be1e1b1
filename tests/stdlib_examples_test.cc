// Every example of stdlib/functions.def (the ones docs/stdlib.md shows) is
// parsed, type-checked, lowered and evaluated by the interpreter and by the
// JIT. An example must
//   - type-check, and call the overload it documents (not another one);
//   - evaluate without error under both engines, to the same value;
//   - be true when it is a boolean expression;
//   - give the same value again with every literal turned into a variable
//     (the lowering folds calls on constants at compile time, so only this
//     second run makes both engines execute the calls themselves).
// Free variables of an example (`t.getFullYear()`, `coalesce(a, b, c, d)`)
// take the type of the parameter they are passed as, with a fixed value of
// that type (see Sample below).
//
// One test per overload id: StdlibExamples/Example.Run/<id>.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ir/lower.h"
#include "compiler/sema/checker.h"
#include "compiler/sema/stdlib_decls.h"
#include "compiler/syntax/parser.h"
#include "jit/runner.h"

namespace accord {
namespace {

using rt::Kind;
using rt::Value;

// ---- known wrong examples ---------------------------------------------------
// Examples whose documented behaviour differs from the implementation, by
// overload id, with the proposed fix of stdlib/functions.def. The test expects
// them to fail, and fails when one of them passes (then remove it from here).
const std::map<std::string, std::string> kKnownWrongExamples = {};

// ---- values of free variables -----------------------------------------------

// A string for a variable, by its name: examples use CRM-ish names.
std::string SampleString(const std::string& var) {
  static const std::map<std::string, std::string> kByName = {
      {"email", "ann@example.com"},
      {"phone", "+1 650 253 0000"},
      {"mobilephone", ""},
      {"zip", "94105"},
      {"company", ""},
  };
  auto it = kByName.find(var);
  return it == kByName.end() ? var : it->second;
}

// A fixed value of a parameter type for the variable `var`, and the type to
// declare it with (a type parameter or dyn is declared as string).
bool Sample(const sema::Type& type, const std::string& var, sema::Type* declared, Value* value) {
  *declared = type;
  switch (type.kind) {
    case sema::TypeKind::kBool:
      *value = Value::Bool(true);
      return true;
    case sema::TypeKind::kInt:
      *value = Value::Int(42);
      return true;
    case sema::TypeKind::kUint:
      *value = Value::Uint(42);
      return true;
    case sema::TypeKind::kDouble:
      *value = Value::Double(1.5);
      return true;
    case sema::TypeKind::kBytes:
      *value = Value::Bytes("abc");
      return true;
    case sema::TypeKind::kTimestamp: {
      int64_t s;
      int32_t n;
      if (!rt::ParseTimestamp("2024-03-10T15:04:05.123Z", &s, &n)) return false;
      *value = Value::Timestamp(s, n);
      return true;
    }
    case sema::TypeKind::kDuration:
      *value = Value::Duration(5400, 0);
      return true;  // 90m
    case sema::TypeKind::kDate: {
      int64_t days;
      if (!rt::ParseDate("2024-02-29", &days)) return false;
      *value = Value::Date(days);
      return true;
    }
    case sema::TypeKind::kDecimal:
      *value = Value::Decimal(1999, 2);
      return true;  // 19.99
    case sema::TypeKind::kList:
      if (type.params.empty() || !type.params[0].Is(sema::TypeKind::kString)) return false;
      *value = Value::List({Value::String("a"), Value::String("b")});
      return true;
    case sema::TypeKind::kString:
    case sema::TypeKind::kParam:
    case sema::TypeKind::kDyn:
      *declared = sema::Type::Of(sema::TypeKind::kString);
      *value = Value::String(SampleString(var));
      return true;
    default:
      return false;
  }
}

// "a.b.c" for an identifier or a chain of selects, else "".
std::string QualifiedName(const ast::Expr& e) {
  if (e.kind == ast::ExprKind::kIdent) return e.name;
  if (e.kind != ast::ExprKind::kSelect || !e.operand) return "";
  std::string base = QualifiedName(*e.operand);
  return base.empty() ? "" : base + "." + e.name;
}

// Whether call `e` is written as a call of overload `o`'s name and arity:
// name(args), receiver.name(args) or namespace.name(args) (math.greatest).
bool CallsByName(const ast::Expr& e, const sema::Overload& o) {
  if (e.kind != ast::ExprKind::kCall || e.args.size() + (o.receiver ? 1 : 0) != o.args.size()) return false;
  if (o.receiver) return e.operand != nullptr && e.name == o.name;
  if (!e.operand) return e.name == o.name;
  std::string ns = QualifiedName(*e.operand);
  return !ns.empty() && ns + "." + e.name == o.name;
}

// Binds every identifier passed directly (as receiver or argument) to a call
// of overload `o` to the type of that parameter.
void BindFreeVariables(const ast::Expr& e, const sema::Overload& o, std::map<std::string, sema::Type>* vars) {
  if (CallsByName(e, o)) {
    size_t k = 0;
    if (o.receiver) {
      if (e.operand->kind == ast::ExprKind::kIdent) vars->emplace(e.operand->name, o.args[0]);
      k = 1;
    }
    for (size_t i = 0; i < e.args.size(); ++i)
      if (e.args[i]->kind == ast::ExprKind::kIdent) vars->emplace(e.args[i]->name, o.args[k + i]);
  }
  if (e.operand) BindFreeVariables(*e.operand, o, vars);
  for (const auto& a : e.args) BindFreeVariables(*a, o, vars);
}

// Exact equality of the two engines' results (kinds must match, NaN == NaN).
bool Same(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kDouble: {
      double x = a.double_value(), y = b.double_value();
      return (std::isnan(x) && std::isnan(y)) || (x == y && std::signbit(x) == std::signbit(y));
    }
    case Kind::kList: {
      if (a.list().size() != b.list().size()) return false;
      for (size_t i = 0; i < a.list().size(); ++i)
        if (!Same(a.list()[i], b.list()[i])) return false;
      return true;
    }
    case Kind::kError:
      return a.error_code() == b.error_code();
    case Kind::kType:
      return std::string_view(a.type_name()) == b.type_name();
    default:
      return rt::Equal(a, b);
  }
}

std::string Show(const Value& v) {
  if (!v.is_error()) return v.DebugString();
  return "error: " + v.error_message() + " (" + std::string(rt::ErrorCodeName(v.error_code())) + ")";
}

// A variable in place of every literal of `e`, named lit0, lit1, ... (with its
// type and value), so that nothing in the example is a compile-time constant.
void OpaqueLiterals(ast::Expr& e, std::vector<std::pair<std::string, sema::Type>>* vars, std::vector<Value>* values) {
  if (e.kind == ast::ExprKind::kLiteral) {
    sema::TypeKind k = sema::TypeKind::kNull;
    Value v;
    switch (e.lit) {
      case ast::LiteralKind::kInt:
        k = sema::TypeKind::kInt;
        v = Value::Int(e.int_value);
        break;
      case ast::LiteralKind::kUint:
        k = sema::TypeKind::kUint;
        v = Value::Uint(e.uint_value);
        break;
      case ast::LiteralKind::kDouble:
        k = sema::TypeKind::kDouble;
        v = Value::Double(e.double_value);
        break;
      case ast::LiteralKind::kString:
        k = sema::TypeKind::kString;
        v = Value::String(e.string_value);
        break;
      case ast::LiteralKind::kBytes:
        k = sema::TypeKind::kBytes;
        v = Value::Bytes(e.string_value);
        break;
      case ast::LiteralKind::kBool:
        k = sema::TypeKind::kBool;
        v = Value::Bool(e.bool_value);
        break;
      case ast::LiteralKind::kNull:
        v = Value::Null();
        break;
    }
    std::string name = "accordLit" + std::to_string(vars->size());
    vars->emplace_back(name, sema::Type::Of(k));
    values->push_back(v);
    e.kind = ast::ExprKind::kIdent;
    e.name = name;
    return;
  }
  if (e.operand) OpaqueLiterals(*e.operand, vars, values);
  for (auto& a : e.args) OpaqueLiterals(*a, vars, values);
}

// One evaluation of an example under both engines.
struct Run {
  std::string problem;  // "" when it compiled and both engines ran it natively
  sema::Type type;
  Value interp, jit;
};

Run Evaluate(const ast::Expr& expr, const ast::File& file, const std::vector<std::pair<std::string, sema::Type>>& vars,
             const std::vector<Value>& values, const sema::Overload& o, bool must_call_it) {
  Run run;
  sema::ExprEnv env;
  ir::ExprEnv lenv;
  env.vars = vars;
  for (const auto& [name, type] : vars) lenv.params.push_back(name);
  sema::Model model;
  DiagSink csink(10);
  run.type = sema::CheckExpression(expr, file, env, model, csink);
  if (csink.error_count() > 0) {
    run.problem = "does not type-check: " + csink.diagnostics()[0].message;
    return run;
  }
  if (must_call_it) {
    bool calls_it = false;
    std::string resolved;
    for (const auto& [e, ov] : model.overloads) {
      if (!ov) continue;
      calls_it |= ov->id == o.id;
      resolved += (resolved.empty() ? "" : ", ") + ov->id;
    }
    if (!calls_it) {
      run.problem = "does not call overload " + o.id + " (it calls: " + (resolved.empty() ? "none" : resolved) + ")";
      return run;
    }
  }
  ir::Program prog = ir::LowerExpression(expr, file, model, lenv);
  std::string verr = ir::Verify(prog);
  if (!verr.empty()) {
    run.problem = "lowers to invalid IR: " + verr;
    return run;
  }
  jit::Runner interp(jit::EngineKind::kInterp), native(jit::EngineKind::kJit);
  ir::Frame f1, f2;
  f1.Reset(prog);
  f2.Reset(prog);
  for (size_t i = 0; i < values.size(); ++i) f1.regs[i] = f2.regs[i] = values[i];
  int h1 = interp.Add(&prog), h2 = native.Add(&prog);
  if (!native.is_native(h2)) {
    run.problem = "the JIT did not compile it:";
    for (const auto& w : native.TakeWarnings()) run.problem += " " + w;
    return run;
  }
  run.interp = interp.Run(h1, f1, ir::Inputs{});
  run.jit = native.Run(h2, f2, ir::Inputs{});
  return run;
}

// Runs one example; returns "" when it behaves as documented, else why not.
// It runs twice: as written (the lowering folds constant calls at compile
// time, as users get it) and with every literal turned into a variable, so
// that both engines really execute each call; both runs must agree.
std::string RunExample(const sema::Overload& o) {
  SourceFile src("<example " + o.id + ">", o.example);
  DiagSink sink(10);
  syntax::ParseResult parsed = syntax::ParseExpression(src, syntax::ParseOptions{}, sink);
  syntax::ParseResult opaque = syntax::ParseExpression(src, syntax::ParseOptions{}, sink);
  if (!parsed.expr || !opaque.expr)
    return "does not parse: " + (sink.diagnostics().empty() ? std::string("?") : sink.diagnostics()[0].message);

  std::map<std::string, sema::Type> free;
  BindFreeVariables(*parsed.expr, o, &free);
  std::vector<std::pair<std::string, sema::Type>> vars;
  std::vector<Value> values;
  for (const auto& [name, type] : free) {
    sema::Type declared;
    Value v;
    if (!Sample(type, name, &declared, &v)) return "no sample value of type " + type.ToString() + " for " + name;
    vars.emplace_back(name, declared);
    values.push_back(v);
  }

  Run as_written = Evaluate(*parsed.expr, *parsed.file, vars, values, o, true);
  if (!as_written.problem.empty()) return as_written.problem;
  const Value& r = as_written.interp;
  std::string shown = "interp " + Show(r) + ", jit " + Show(as_written.jit);
  if (!Same(r, as_written.jit)) return "the engines disagree: " + shown;
  if (r.is_error()) return "evaluates to an error: " + shown;
  if ((as_written.type.Is(sema::TypeKind::kBool) || r.is(Kind::kBool)) && !(r.is(Kind::kBool) && r.bool_value()))
    return "is not true: " + shown;

  OpaqueLiterals(*opaque.expr, &vars, &values);
  Run unfolded = Evaluate(*opaque.expr, *opaque.file, vars, values, o, false);
  if (!unfolded.problem.empty()) return "with its literals as variables, " + unfolded.problem;
  std::string shown2 = "interp " + Show(unfolded.interp) + ", jit " + Show(unfolded.jit);
  if (!Same(unfolded.interp, unfolded.jit)) return "with its literals as variables, the engines disagree: " + shown2;
  if (!Same(unfolded.interp, r))
    return "gives " + Show(r) + " as written but " + Show(unfolded.interp) + " with its literals as variables";
  return "";
}

class Example : public testing::TestWithParam<const sema::Overload*> {};

TEST_P(Example, Run) {
  const sema::Overload& o = *GetParam();
  std::string why = RunExample(o);
  auto known = kKnownWrongExamples.find(o.id);
  if (known == kKnownWrongExamples.end()) {
    if (!why.empty()) ADD_FAILURE() << o.id << " (" << o.signature << "): example `" << o.example << "` " << why;
  } else if (why.empty()) {
    ADD_FAILURE() << o.id << ": example `" << o.example
                  << "` now behaves as documented; remove it from kKnownWrongExamples";
  } else {
    std::cout << "known wrong example " << o.id << ": `" << o.example << "` " << why
              << "\n  proposed fix: " << known->second << "\n";
  }
}

std::vector<const sema::Overload*> AllOverloads() {
  std::vector<const sema::Overload*> out;
  for (const auto& o : sema::StdlibOverloads()) out.push_back(&o);
  return out;
}

INSTANTIATE_TEST_SUITE_P(StdlibExamples, Example, testing::ValuesIn(AllOverloads()),
                         [](const testing::TestParamInfo<const sema::Overload*>& info) { return info.param->id; });

// Every overload has an example, and the list of known wrong ones names only real ids.
TEST(StdlibExamples, EveryOverloadHasAnExample) {
  for (const auto& o : sema::StdlibOverloads()) EXPECT_FALSE(o.example.empty()) << o.id;
  for (const auto& [id, fix] : kKnownWrongExamples) {
    bool found = false;
    for (const auto& o : sema::StdlibOverloads()) found |= o.id == id;
    EXPECT_TRUE(found) << "kKnownWrongExamples names " << id << ", which functions.def does not have";
  }
}

// The test itself notices a wrong example.
TEST(StdlibExamples, CatchesWrongExamples) {
  const sema::Overload* size_string = nullptr;
  const sema::Overload* to_ts_ts = nullptr;
  for (const auto& o : sema::StdlibOverloads()) {
    if (o.id == "size_string") size_string = &o;
    if (o.id == "to_ts_ts") to_ts_ts = &o;
  }
  ASSERT_TRUE(size_string && to_ts_ts);
  auto run = [](const sema::Overload& base, const char* example) {
    sema::Overload o = base;
    o.example = example;
    return RunExample(o);
  };
  EXPECT_EQ(run(*size_string, "size(\"héllo\") == 5"), "");
  EXPECT_THAT(run(*size_string, "size(\"abc\") == 4"), testing::StartsWith("is not true"));
  EXPECT_THAT(run(*size_string, "size(\"abc\") / 0"), testing::StartsWith("evaluates to an error"));
  EXPECT_THAT(run(*size_string, "size([1]) == 1"), testing::StartsWith("does not call overload size_string"));
  EXPECT_THAT(run(*size_string, "size(\"a\" +)"), testing::StartsWith("does not parse"));
  EXPECT_THAT(run(*size_string, "size(\"a\") == nope"), testing::StartsWith("does not type-check"));
  EXPECT_EQ(run(*to_ts_ts, "timestamp(t) == t"), "");  // t: a timestamp, from the signature
  EXPECT_THAT(run(*to_ts_ts, "timestamp(t) != t"), testing::StartsWith("is not true"));
}

}  // namespace

namespace sema {
// Test names and failure messages show the overload id, not a pointer.
void PrintTo(const Overload* o, std::ostream* os) { *os << o->id; }
}  // namespace sema
}  // namespace accord
