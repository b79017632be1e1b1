#include "jit/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

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

const char kMixed[] = "x * 3 + 7 > y && x % 2 == 0 ? x / y : -x";

// Runs the program `hj` of `jit` and the interpreter on the same inputs
// (errors included: those go through the executor with the program).
void ExpectSameAsInterpreter(Runner& jit, int hj, const ir::Program& p) {
  Runner interp(EngineKind::kInterp);
  int hi = interp.Add(&p);
  for (int64_t x : std::initializer_list<int64_t>{-4, 0, 3, 10, INT64_MAX / 2, INT64_MAX})
    for (int64_t y : std::initializer_list<int64_t>{-1, 0, 1, 5}) {
      rt::Value a = RunProgram(interp, hi, p, x, y), b = RunProgram(jit, hj, p, x, y);
      ASSERT_EQ(a.is_error(), b.is_error()) << x << " " << y;
      if (a.is_error())
        EXPECT_EQ(a.error_message(), b.error_message());
      else
        EXPECT_TRUE(rt::Equal(a, b)) << a.DebugString() << " vs " << b.DebugString();
    }
}

TEST(Runner, JitMatchesInterpreterIncludingErrors) {
  Compiled c(kMixed);
  Runner jit(EngineKind::kJit);
  int hj = jit.Add(&c.program);
  ASSERT_TRUE(jit.is_native(hj));
  EXPECT_TRUE(jit.TakeWarnings().empty());
  ExpectSameAsInterpreter(jit, hj, c.program);
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

// Background compile (issue 16): Run interprets while the program compiles on another thread,
// gives the same results throughout, and runs natively once the compile is done; a failed
// background compile falls back to the interpreter with a warning.
TEST(Runner, AutoCompilesInTheBackground) {
  Compiled c("x - y");
  Runner e(EngineKind::kAuto, /*hot_after=*/3);
  e.set_background_compile(true);
  int h = e.Add(&c.program);
  for (int i = 0; i < 3000; ++i) {  // ~30 ms of sleeps: the compile finishes during the loop or after
    ASSERT_EQ(RunProgram(e, h, c.program, i, 4).int_value(), i - 4);
    if (i % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  bool went_native = e.is_native(h);  // waits for the compile
  EXPECT_TRUE(went_native);
  EXPECT_EQ(RunProgram(e, h, c.program, 1, 4).int_value(), -3);
  EXPECT_TRUE(e.TakeWarnings().empty());
}

TEST(Runner, BackgroundCompileFailureFallsBack) {
  Compiled c("x - y");
  Runner e(EngineKind::kAuto, /*hot_after=*/2);
  e.set_background_compile(true);
  e.FailNextCompileForTesting();
  int h = e.Add(&c.program);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(RunProgram(e, h, c.program, 7, i).int_value(), 7 - i);
  EXPECT_FALSE(e.is_native(h));
  EXPECT_EQ(e.TakeWarnings().size(), 1u);
}

TEST(Runner, EmitsLlvmAndAssembly) {
  Compiled c("x < y");
  std::string llvm_ir, assembly, error;
  ASSERT_TRUE(EmitLLVM(c.program, false, &llvm_ir, &error)) << error;
  EXPECT_NE(llvm_ir.find("define void @accord_program"), std::string::npos);
  ASSERT_TRUE(EmitLLVM(c.program, true, &assembly, &error)) << error;
  EXPECT_NE(assembly.find("accord_program"), std::string::npos);
}

// ---- the object-code cache ----

// A fresh folder for one test's cache, removed afterwards.
struct CacheDir {
  std::filesystem::path path;
  explicit CacheDir(const std::string& name)
      : path(std::filesystem::path(testing::TempDir()) /
             ("accord_jit_cache_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove_all(path);
  }
  ~CacheDir() { std::filesystem::remove_all(path); }
  std::vector<std::filesystem::path> Files() const {
    std::vector<std::filesystem::path> out;
    if (std::filesystem::exists(path))
      for (const auto& e : std::filesystem::directory_iterator(path)) out.push_back(e.path());
    return out;
  }
};

// A kJit runner with the cache in `dir` that has compiled `p`.
struct Cached {
  Runner jit{EngineKind::kJit};
  int h;
  Cached(const std::string& dir, const ir::Program& p) {
    jit.set_cache_dir(dir);
    h = jit.Add(&p);
  }
};

TEST(JitCache, WarmRunLoadsTheObjectCodeAndAgreesWithTheInterpreter) {
  CacheDir dir("warm");
  double cold_ms;
  {
    Compiled c(kMixed);
    Cached cold(dir.path.string(), c.program);
    ASSERT_TRUE(cold.jit.is_native(cold.h));
    EXPECT_EQ(cold.jit.cache_stats().hits, 0);
    EXPECT_EQ(cold.jit.cache_stats().misses, 1);
    EXPECT_EQ(cold.jit.cache_stats().writes, 1);
    ASSERT_EQ(dir.Files().size(), 1u);
    ExpectSameAsInterpreter(cold.jit, cold.h, c.program);
    cold_ms = cold.jit.compile_ms();
  }  // the first Program is gone: the cached code must not refer to it (ASan would tell)
  Compiled again(kMixed);
  Cached warm(dir.path.string(), again.program);
  ASSERT_TRUE(warm.jit.is_native(warm.h));
  EXPECT_TRUE(warm.jit.TakeWarnings().empty());
  EXPECT_EQ(warm.jit.cache_stats().hits, 1);
  EXPECT_EQ(warm.jit.cache_stats().misses, 0);
  EXPECT_EQ(warm.jit.cache_stats().writes, 0);
  EXPECT_LT(warm.jit.compile_ms(), cold_ms);
  ExpectSameAsInterpreter(warm.jit, warm.h, again.program);
}

// `auto` told how many runs come (accord map on a regular file): it decides at the first run
// whether a compile pays for itself - never below the cache-hit break-even, only from the
// cache in between, at once above the cold break-even.
TEST(JitCache, AutoWithExpectedRunsCompilesOnlyWhenItPays) {
  CacheDir dir("expected");
  Compiled c(kMixed);
  auto runner = [&](uint64_t expected) {
    auto e = std::make_unique<Runner>(EngineKind::kAuto, /*hot_after=*/3);
    e->set_cache_dir(dir.path.string());
    e->set_expected_runs(expected);
    return e;
  };
  auto few = runner(Runner::kWarmBreakEven - 1);  // never compiles, however often it runs
  int h = few->Add(&c.program);
  ExpectSameAsInterpreter(*few, h, c.program);
  EXPECT_FALSE(few->is_native(h));
  EXPECT_EQ(few->cache_stats().misses + few->cache_stats().hits, 0);
  auto mid = runner(Runner::kWarmBreakEven);  // the cache is empty: interprets, writes nothing
  h = mid->Add(&c.program);
  ExpectSameAsInterpreter(*mid, h, c.program);
  EXPECT_FALSE(mid->is_native(h));
  EXPECT_TRUE(dir.Files().empty());
  auto many = runner(Runner::kColdBreakEven);  // compiles at the first run, and fills the cache
  h = many->Add(&c.program);
  RunProgram(*many, h, c.program, 1, 2);
  EXPECT_TRUE(many->is_native(h));
  ExpectSameAsInterpreter(*many, h, c.program);
  ASSERT_EQ(dir.Files().size(), 1u);
  auto mid2 = runner(Runner::kColdBreakEven - 1);  // now the cache has it: loaded at the first run
  h = mid2->Add(&c.program);
  RunProgram(*mid2, h, c.program, 1, 2);
  EXPECT_TRUE(mid2->is_native(h));
  EXPECT_EQ(mid2->cache_stats().hits, 1);
  ExpectSameAsInterpreter(*mid2, h, c.program);
}

TEST(JitCache, CorruptOrTruncatedFileIsIgnoredRecompiledAndRewritten) {
  CacheDir dir("corrupt");
  Compiled c(kMixed);
  { Cached first(dir.path.string(), c.program); }
  auto files = dir.Files();
  ASSERT_EQ(files.size(), 1u);
  auto size = std::filesystem::file_size(files[0]);
  for (int damage = 0; damage < 3; ++damage) {
    if (damage == 0) {  // a flipped byte in the object code
      std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(size - 40));
      f.put('\x5a');
    } else if (damage == 1) {  // truncated
      std::filesystem::resize_file(files[0], size / 2);
    } else {  // garbage
      std::ofstream(files[0], std::ios::binary | std::ios::trunc) << "not an object";
    }
    Cached next(dir.path.string(), c.program);
    ASSERT_TRUE(next.jit.is_native(next.h)) << damage;
    EXPECT_EQ(next.jit.cache_stats().rejected, 1) << damage;
    EXPECT_EQ(next.jit.cache_stats().hits, 0) << damage;
    EXPECT_EQ(next.jit.cache_stats().writes, 1) << damage;
    ExpectSameAsInterpreter(next.jit, next.h, c.program);
    EXPECT_EQ(std::filesystem::file_size(files[0]), size) << damage;
  }
  Cached warm(dir.path.string(), c.program);  // the rewritten file is good
  EXPECT_EQ(warm.jit.cache_stats().hits, 1);
}

TEST(JitCache, UnwritableFolderCompilesWithoutTheCacheAndWarnsOnce) {
  CacheDir dir("unwritable");
  std::filesystem::create_directories(dir.path);
  std::ofstream(dir.path / "file") << "x";  // a folder under a file cannot be created, even by root
  std::string bad = (dir.path / "file" / "jit").string();
  Compiled c(kMixed), d("x - y");
  Runner jit(EngineKind::kJit);
  jit.set_cache_dir(bad);
  int h = jit.Add(&c.program);
  jit.Add(&d.program);
  ASSERT_TRUE(jit.is_native(h));
  EXPECT_EQ(jit.cache_stats().writes, 0);
  auto warnings = jit.TakeWarnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("JIT cache not written"), std::string::npos) << warnings[0];
  ExpectSameAsInterpreter(jit, h, c.program);
}

TEST(JitCache, DifferentRulesHaveDifferentKeys) {
  CacheDir dir("keys");
  Compiled a("x + y"), b("x + y + 1"), a2("x + y");
  Cached ca(dir.path.string(), a.program);
  Cached cb(dir.path.string(), b.program);
  EXPECT_EQ(cb.jit.cache_stats().hits, 0);
  EXPECT_EQ(dir.Files().size(), 2u);
  EXPECT_EQ(RunProgram(cb.jit, cb.h, b.program, 2, 3).int_value(), 6);
  Cached ca2(dir.path.string(), a2.program);
  EXPECT_EQ(ca2.jit.cache_stats().hits, 1);
  EXPECT_EQ(RunProgram(ca2.jit, ca2.h, a2.program, 2, 3).int_value(), 5);
}

TEST(JitCache, ConcurrentCompilersOfTheSameRulesLeaveOneGoodFile) {
  CacheDir dir("concurrent");
  Compiled c(kMixed);
  std::vector<std::thread> threads;
  std::atomic<int> native{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      Cached r(dir.path.string(), c.program);
      if (r.jit.is_native(r.h) && RunProgram(r.jit, r.h, c.program, 3, 5).int_value() == -3) ++native;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(native.load(), 4);
  ASSERT_EQ(dir.Files().size(), 1u);  // no temporary file left behind
  Cached warm(dir.path.string(), c.program);
  EXPECT_EQ(warm.jit.cache_stats().hits, 1);
  ExpectSameAsInterpreter(warm.jit, warm.h, c.program);
}

// The object code holds no address of the process that compiled it (the
// program, a type constant's name): another process loads it. The child is
// this test binary again, run on this one test with the folder in ACCORD_TEST_JIT_CHILD.
TEST(JitCache, AnotherProcessLoadsTheObjectCode) {
  const char kRules[] = "type(x) == int && x > 0 ? x / y : -x";
  if (const char* child = std::getenv("ACCORD_TEST_JIT_CHILD")) {
    Compiled c(kRules);
    Cached r(child, c.program);
    ASSERT_TRUE(r.jit.is_native(r.h));
    return;
  }
  CacheDir dir("process");
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string cmd = "ACCORD_TEST_JIT_CHILD='" + dir.path.string() + "' '" + self +
                    "' --gtest_filter=JitCache.AnotherProcessLoadsTheObjectCode >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ASSERT_EQ(dir.Files().size(), 1u);
  Compiled c(kRules);
  Cached r(dir.path.string(), c.program);
  EXPECT_EQ(r.jit.cache_stats().hits, 1);
  EXPECT_EQ(r.jit.cache_stats().writes, 0);
  ExpectSameAsInterpreter(r.jit, r.h, c.program);
}

TEST(JitCache, StandardFolderFollowsTheEnvironment) {
  const char* home = std::getenv("HOME");
  std::string saved_home = home ? home : "";
  ::setenv("ACCORD_JIT_CACHE", "/tmp/x", 1);
  EXPECT_EQ(StandardCacheDir(), "/tmp/x");
  ::setenv("ACCORD_JIT_CACHE", "off", 1);
  EXPECT_EQ(StandardCacheDir(), "");
  ::unsetenv("ACCORD_JIT_CACHE");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(StandardCacheDir(), "/xdg/accord/jit");
  ::unsetenv("XDG_CACHE_HOME");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(StandardCacheDir(), "/home/u/.cache/accord/jit");
  ::setenv("HOME", saved_home.c_str(), 1);
}

TEST(Runner, ParsesEngineKinds) {
  EngineKind k;
  EXPECT_TRUE(ParseEngineKind("auto", &k));
  EXPECT_EQ(k, EngineKind::kAuto);
  EXPECT_FALSE(ParseEngineKind("fast", &k));
}

}  // namespace
}  // namespace accord::jit
