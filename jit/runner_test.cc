#include "jit/runner.h"

#include <gtest/gtest.h>

#include "compiler/ir/lower.h"
#include "compiler/syntax/parser.h"

namespace accord::jit {
namespace {

// Parses, checks and lowers `text` with int variables x and y.
struct Compiled {
  SourceFile src;
  syntax::ParseResult parsed;
  sema::Model model;
  ir::Program program;
  explicit Compiled(const std::string& text) : src("<test>", text) {
    DiagSink sink(10);
    parsed = syntax::ParseExpression(src, syntax::ParseOptions{}, sink);
    EXPECT_TRUE(parsed.expr) << text;
    sema::ExprEnv env;
    env.vars = {{"x", sema::Type::Of(sema::TypeKind::kInt)}, {"y", sema::Type::Of(sema::TypeKind::kInt)}};
    sema::CheckExpression(*parsed.expr, *parsed.file, env, model, sink);
    EXPECT_EQ(sink.error_count(), 0u) << text;
    ir::ExprEnv lenv;
    lenv.params = {"x", "y"};
    program = ir::LowerExpression(*parsed.expr, *parsed.file, model, lenv);
    EXPECT_EQ(ir::Verify(program), "");
  }
};

rt::Value RunProgram(Runner& e, int h, const ir::Program& p, int64_t x, int64_t y) {
  ir::Frame f;
  f.Reset(p);
  f.regs[0] = rt::Value::Int(x);
  f.regs[1] = rt::Value::Int(y);
  return e.Run(h, f, ir::Inputs{});
}

TEST(Runner, JitMatchesInterpreterIncludingErrors) {
  Compiled c("x * 3 + 7 > y && x % 2 == 0 ? x / y : -x");
  Runner interp(EngineKind::kInterp), jit(EngineKind::kJit);
  int hi = interp.Add(&c.program), hj = jit.Add(&c.program);
  ASSERT_TRUE(jit.is_native(hj));
  EXPECT_TRUE(jit.TakeWarnings().empty());
  for (int64_t x : std::initializer_list<int64_t>{-4, 0, 3, 10, INT64_MAX / 2, INT64_MAX})
    for (int64_t y : std::initializer_list<int64_t>{-1, 0, 1, 5}) {
      rt::Value a = RunProgram(interp, hi, c.program, x, y), b = RunProgram(jit, hj, c.program, x, y);
      ASSERT_EQ(a.is_error(), b.is_error()) << x << " " << y;
      if (a.is_error()) EXPECT_EQ(a.error_message(), b.error_message());
      else EXPECT_TRUE(rt::Equal(a, b)) << a.DebugString() << " vs " << b.DebugString();
    }
  // overflow and division by zero are errors with the rule's location, in both engines
  rt::Value ovf = RunProgram(jit, hj, c.program, INT64_MAX - 1, 0);  // even: error && true
  ASSERT_TRUE(ovf.is_error());
  EXPECT_EQ(ovf.error_code(), rt::ErrorCode::kOverflow);
  EXPECT_EQ(ovf.error_location().line, 1u);
}

TEST(Runner, FailedCompilationFallsBackToTheInterpreterWithAWarning) {
  Compiled c("x + y");
  Runner jit(EngineKind::kJit);
  jit.FailNextCompileForTesting();
  int h = jit.Add(&c.program);
  EXPECT_FALSE(jit.is_native(h));
  auto warnings = jit.TakeWarnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("using the interpreter"), std::string::npos);
  rt::Value v = RunProgram(jit, h, c.program, 2, 3);
  EXPECT_EQ(v.int_value(), 5);
}

TEST(Runner, AutoCompilesOnceHot) {
  Compiled c("x - y");
  Runner e(EngineKind::kAuto, /*hot_after=*/3);
  int h = e.Add(&c.program);
  EXPECT_FALSE(e.is_native(h));
  for (int i = 0; i < 2; ++i) EXPECT_EQ(RunProgram(e, h, c.program, 5, i).int_value(), 5 - i);
  EXPECT_FALSE(e.is_native(h));
  EXPECT_EQ(RunProgram(e, h, c.program, 9, 4).int_value(), 5);
  EXPECT_TRUE(e.is_native(h));
  EXPECT_EQ(RunProgram(e, h, c.program, 1, 4).int_value(), -3);
}

TEST(Runner, EmitsLlvmAndAssembly) {
  Compiled c("x < y");
  std::string llvm_ir, assembly, error;
  ASSERT_TRUE(EmitLLVM(c.program, false, &llvm_ir, &error)) << error;
  EXPECT_NE(llvm_ir.find("define void @accord_program"), std::string::npos);
  ASSERT_TRUE(EmitLLVM(c.program, true, &assembly, &error)) << error;
  EXPECT_NE(assembly.find("accord_program"), std::string::npos);
}

TEST(Runner, ParsesEngineKinds) {
  EngineKind k;
  EXPECT_TRUE(ParseEngineKind("auto", &k));
  EXPECT_EQ(k, EngineKind::kAuto);
  EXPECT_FALSE(ParseEngineKind("fast", &k));
}

}  // namespace
}  // namespace accord::jit
