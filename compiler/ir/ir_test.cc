#include "compiler/ir/ir.h"

#include <gtest/gtest.h>

#include "compiler/ir/interp.h"
#include "compiler/ir/lower.h"
#include "compiler/syntax/parser.h"

namespace accord::ir {
namespace {

struct Lowered {
  SourceFile src;
  syntax::ParseResult parsed;
  sema::Model model;
  Program program;
  Lowered(const std::string& text, bool optimize_and_check = true) : src("<t>", text) {
    DiagSink sink(10);
    parsed = syntax::ParseExpression(src, syntax::ParseOptions{}, sink);
    EXPECT_TRUE(parsed.expr) << text;
    sema::ExprEnv env;
    env.vars = {{"x", sema::Type::Of(sema::TypeKind::kInt)}, {"s", sema::Type::Of(sema::TypeKind::kString)}};
    if (optimize_and_check) sema::CheckExpression(*parsed.expr, *parsed.file, env, model, sink);
    ExprEnv lenv;
    lenv.params = {"x", "s"};
    program = LowerExpression(*parsed.expr, *parsed.file, model, lenv);
    EXPECT_EQ(Verify(program), "") << Print(program);
  }
  rt::Value Eval(int64_t x = 0, std::string_view s = "") {
    Frame f;
    f.Reset(program);
    f.regs[0] = rt::Value::Int(x);
    f.regs[1] = rt::Value::String(s);
    return Interpret(program, f, Inputs{});
  }
  size_t Count(Op op) const {
    size_t n = 0;
    for (const Instr& i : program.code) n += i.op == op;
    return n;
  }
};

TEST(Passes, FoldsConstantsAndBranches) {
  Lowered l("1 + 2 * 3 == 7 ? 'yes' : 'no'");
  // everything folds to one constant and a return
  EXPECT_EQ(l.Count(Op::kAdd) + l.Count(Op::kMul) + l.Count(Op::kEq) + l.Count(Op::kCondBr), 0u) << Print(l.program);
  EXPECT_EQ(l.Eval().str(), "yes");
}

TEST(Passes, LeavesRuntimeErrorsToRunTimeWithTheirLocation) {
  Lowered l("x + (9223372036854775807 + 1)");
  rt::Value v = l.Eval(1);
  ASSERT_TRUE(v.is_error());
  EXPECT_EQ(v.error_code(), rt::ErrorCode::kOverflow);
  EXPECT_EQ(v.error_location().col, 5u);  // the parenthesized inner +
}

TEST(Passes, RemovesDeadCode) {
  Lowered l("[x, x + 1, x * 2][0]");
  EXPECT_EQ(l.Eval(5).int_value(), 5);
  Lowered unused("true || x / 0 == 1");  // the right side is never needed
  EXPECT_TRUE(unused.Eval(1).bool_value());
  EXPECT_EQ(unused.Count(Op::kDiv), 0u) << Print(unused.program);
}

TEST(Interp, LogicalOperatorsAbsorbErrorsAsCelDefines) {
  Lowered a("x / 0 == 1 && false");
  EXPECT_FALSE(a.Eval(1).bool_value());
  Lowered b("x / 0 == 1 || true");
  EXPECT_TRUE(b.Eval(1).bool_value());
  Lowered c("x / 0 == 1 && true");
  EXPECT_TRUE(c.Eval(1).is_error());
  Lowered d("[0, 1].all(i, 10 / i < 5)");  // error (i = 0) && false (i = 1) -> false
  rt::Value dv = d.Eval();
  ASSERT_TRUE(dv.is(rt::Kind::kBool)) << dv.DebugString();
  EXPECT_FALSE(dv.bool_value());
  Lowered d2("[1, 0].all(i, 10 / i > 1)");  // true && error -> error: nothing absorbs it
  EXPECT_TRUE(d2.Eval().is_error());
  Lowered e("[1, 2, 3].exists_one(i, i > 1)");
  EXPECT_FALSE(e.Eval().bool_value());
  Lowered f("[1, 2, 3].filter(i, i % 2 == 1).map(i, i * 10)");
  EXPECT_EQ(f.Eval().DebugString(), "[10, 30]");
}

TEST(Interp, UncheckedExpressionsDispatchAtRunTime) {
  Lowered l("dyn(s).size() + size([1, 2])", false);
  EXPECT_EQ(l.Eval(0, "abc").int_value(), 5);
}

TEST(ValueTable, PerfectHashFindsEveryKeyAndNothingElse) {
  ValueTable t;
  for (int i = 0; i < 200; ++i) {
    t.keys.push_back(rt::Value::String("key" + std::to_string(i)));
    t.values.push_back(rt::Value::Int(i));
  }
  t.keys.push_back(rt::Value::Int(7));
  t.values.push_back(rt::Value::Int(-7));
  t.Build();
  for (int i = 0; i < 200; ++i) EXPECT_EQ(t.Find(rt::Value::String("key" + std::to_string(i))), i);
  EXPECT_EQ(t.Find(rt::Value::String("key200")), -1);
  EXPECT_EQ(t.Find(rt::Value::String("")), -1);
  EXPECT_EQ(t.Find(rt::Value::Double(7.0)), 200);  // numeric keys compare by value
}

TEST(Verify, RejectsBrokenPrograms) {
  Program p;
  EXPECT_NE(Verify(p), "");
  p.reg_types.push_back(sema::TypeKind::kDyn);
  Instr ret;
  ret.op = Op::kReturn;
  ret.a = 3;  // no such register
  p.code.push_back(ret);
  EXPECT_NE(Verify(p).find("register out of range"), std::string::npos);
  p.code[0].a = 0;
  EXPECT_EQ(Verify(p), "");
  Instr jump;
  jump.op = Op::kJump;
  jump.c = 99;
  p.code.insert(p.code.begin(), jump);
  EXPECT_NE(Verify(p).find("jump target"), std::string::npos);
}

TEST(Print, IsReadable) {
  Lowered l("x + 1 > 2");
  std::string text = Print(l.program);
  EXPECT_NE(text.find("program expr"), std::string::npos);
  EXPECT_NE(text.find("Add"), std::string::npos);
  EXPECT_NE(text.find("return"), std::string::npos);
}

}  // namespace
}  // namespace accord::ir
