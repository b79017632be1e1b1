// Differential test: random well-typed expressions (tests/differential/differential_gen.h)
// run under the interpreter and the JIT with random variable values; the
// results must be identical (same kind and value, or errors with the same
// code, message and location). Programs are compiled in batches, one LLVM
// module per batch (Engine kAuto + CompileAll), to keep the test fast.
//
//   ./build/tests/differential_test                                     3000 seeds (ACCORD_DIFFERENTIAL_SEEDS=N: more)
//   ACCORD_DIFFERENTIAL_FIRST=123456 ./build/tests/differential_test    start elsewhere
//   ACCORD_DIFFERENTIAL_DEPTH=6 ./build/tests/differential_test         deeper expressions (default: 1-3, some 4)
//   ACCORD_DIFFERENTIAL_SEED=42 ./build/tests/differential_test --gtest_filter=DifferentialTest.OneSeed
//                                                                       show one seed's expression, values and results
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "tests/differential/differential_gen.h"

namespace accord::differential {
namespace {

constexpr int kBindingsPerExpr = 6;
constexpr int kBatch = 150;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

struct Item {
  uint64_t seed;
  Compiled c;
  std::unique_ptr<SeedSource> src;  // continues after the expression: the values
  int handle = -1;
};

struct Stats {
  double compile_ms = 0, front_ms = 0;
  int generated = 0, checked = 0, parse_fail = 0, check_fail = 0, runs = 0, errors = 0, mismatches = 0;
  std::map<std::string, int> kinds;
  std::map<std::string, int> check_failures;  // by message
};

// Generates, compiles (one module) and runs seeds [first, first + n).
void RunSeeds(uint64_t first, uint64_t n, Stats& st, bool verbose) {
  for (uint64_t base = first; base < first + n; base += kBatch) {
    std::vector<std::unique_ptr<Item>> items;
    jit::Runner engine(jit::EngineKind::kAuto, UINT32_MAX);
    for (uint64_t seed = base; seed < std::min(first + n, base + kBatch); ++seed) {
      auto it = std::make_unique<Item>();
      it->seed = seed;
      it->src = std::make_unique<SeedSource>(seed);
      // depth 1-3, every eighth seed 4 (the JIT compile time of deep expressions dominates)
      int depth = seed % 8 == 7 ? 4 : 1 + static_cast<int>(seed % 3);
      if (uint64_t forced = EnvOr("ACCORD_DIFFERENTIAL_DEPTH", 0)) depth = static_cast<int>(forced);
      std::string text = GenerateExpr(*it->src, depth);
      ++st.generated;
      auto t0 = std::chrono::steady_clock::now();
      bool ok = Compile(text, &it->c);
      st.front_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!ok) {
        if (it->c.why.rfind("VERIFY", 0) == 0)
          ADD_FAILURE() << "seed " << seed << ": " << text << "\n" << it->c.why;
        else if (it->c.why.rfind("parse", 0) == 0) {
          ++st.parse_fail;
          if (verbose) std::printf("seed %llu: %s\n  %s\n", (unsigned long long)seed, text.c_str(), it->c.why.c_str());
        } else {
          ++st.check_fail;
          ++st.check_failures[it->c.why];
          if (verbose) std::printf("seed %llu: %s\n  %s\n", (unsigned long long)seed, text.c_str(), it->c.why.c_str());
        }
        continue;
      }
      ++st.checked;
      it->handle = engine.Add(it->c.program.get());
      items.push_back(std::move(it));
    }
    ASSERT_TRUE(engine.CompileAll()) << "JIT compilation failed";
    st.compile_ms += engine.compile_ms();
    for (const auto& w : engine.TakeWarnings()) ADD_FAILURE() << w;
    ir::Frame fi, fj;  // reused across programs and bindings, as across records
    for (auto& it : items) {
      for (int k = 0; k < kBindingsPerExpr; ++k) {
        Bindings b;
        GenerateBindings(*it->src, &b);
        rt::Value r;
        // the first run of a program starts from poisoned registers
        std::string disagreement = RunBoth(*it->c.program, fi, engine, it->handle, fj, b, &r, k == 0);
        ++st.runs;
        st.errors += r.is_error();
        ++st.kinds[std::string(rt::KindTypeName(r.kind()))];
        if (verbose)
          std::printf("seed %llu: %s\n%s  = %s\n", (unsigned long long)it->seed, it->c.text.c_str(),
                      b.Describe().c_str(), Show(r).c_str());
        if (!disagreement.empty()) {
          ++st.mismatches;
          if (st.mismatches <= 20)
            ADD_FAILURE() << "engines disagree, seed " << it->seed << " (bindings #" << k << ")\n  expr: " << it->c.text
                          << "\n"
                          << b.Describe() << "  " << disagreement
                          << "\n  reproduce: ACCORD_DIFFERENTIAL_SEED=" << it->seed
                          << " differential_test --gtest_filter=DifferentialTest.OneSeed";
        }
      }
    }
  }
}

TEST(DifferentialTest, RandomExpressions) {
  uint64_t first = EnvOr("ACCORD_DIFFERENTIAL_FIRST", 1);
  uint64_t n = EnvOr("ACCORD_DIFFERENTIAL_SEEDS", 3000);
  Stats st;
  RunSeeds(first, n, st, false);
  std::printf(
      "%d expressions generated, %d checked (%d parse failures, %d check failures), %d runs, "
      "%d error results, %d mismatches\nresult kinds:",
      st.generated, st.checked, st.parse_fail, st.check_fail, st.runs, st.errors, st.mismatches);
  for (const auto& [k, c] : st.kinds) std::printf(" %s %d", k.c_str(), c);
  std::printf("\nparse+check+lower %.0f ms, JIT compile %.0f ms\n", st.front_ms, st.compile_ms);
  for (const auto& [why, c] : st.check_failures) std::printf("  %d x %s\n", c, why.c_str());
  EXPECT_EQ(st.mismatches, 0);
  EXPECT_EQ(st.parse_fail, 0) << "the generator wrote text that does not parse";
  // the generator must stay useful: most of what it writes checks
  EXPECT_GE(st.checked * 10, st.generated * 8);
}

TEST(DifferentialTest, OneSeed) {
  uint64_t seed = EnvOr("ACCORD_DIFFERENTIAL_SEED", 0);
  if (seed == 0) GTEST_SKIP() << "set ACCORD_DIFFERENTIAL_SEED";
  Stats st;
  RunSeeds(seed, 1, st, true);
  EXPECT_EQ(st.mismatches, 0);
}

// The comparison is strict where CEL equality is not.
TEST(DifferentialTest, SameIsExact) {
  using rt::Value;
  EXPECT_TRUE(Same(Value::Int(1), Value::Int(1)));
  EXPECT_FALSE(Same(Value::Int(1), Value::Uint(1)));
  EXPECT_FALSE(Same(Value::Int(1), Value::Double(1.0)));
  EXPECT_FALSE(Same(Value::Double(0.0), Value::Double(-0.0)));
  EXPECT_TRUE(Same(Value::Double(std::nan("")), Value::Double(std::nan(""))));
  EXPECT_FALSE(Same(Value::Decimal(10, 1), Value::Decimal(1, 0)));
  EXPECT_TRUE(Same(Value::String("ab"), Value::StringView("ab")));
  EXPECT_FALSE(Same(Value::List({Value::Int(1)}), Value::List({Value::Uint(1)})));
  EXPECT_FALSE(Same(Value::Error(rt::ErrorCode::kOverflow, "a"), Value::Error(rt::ErrorCode::kOverflow, "b")));
  EXPECT_FALSE(Same(Value::Error(rt::ErrorCode::kOverflow, "a"), Value::Error(rt::ErrorCode::kRange, "a")));
  EXPECT_FALSE(Same(Value::Error(rt::ErrorCode::kOverflow, "a", rt::Location{"f", 1, 2}),
                    Value::Error(rt::ErrorCode::kOverflow, "a", rt::Location{"f", 1, 3})));
}

// The example rule set's mapping programs over random records (nulls, blanks,
// unconvertible values, picklist values and not).
TEST(DifferentialTest, ExampleMappings) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    std::string disagreement = CompareExampleMappings(seed, 150);
    EXPECT_EQ(disagreement, "") << "seed " << seed;
  }
}

// Workload W's mapping (bench/w): both values tables (`else` a value and `else reject`), the
// fused lowerAscii(trim(_)), digits and the table fast paths of the JIT (issue 16).
TEST(DifferentialTest, WorkloadWMapping) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    std::string disagreement = CompareMappings(ACCORD_SOURCE_DIR "/bench/w", seed, 300);
    EXPECT_EQ(disagreement, "") << "seed " << seed;
  }
}

}  // namespace
}  // namespace accord::differential
