// libFuzzer target: the two engines must agree. Input byte 0 picks the mode:
//   even: the remaining bytes drive the random expression generator of
//         tests/differential/differential_gen.h (one byte per choice), then the variable values;
//   odd:  the remaining bytes are an expression text, checked against the
//         same variables (most inputs do not check and stop there).
// Every expression that checks is lowered, run under the interpreter and
// JIT-compiled and run natively, twice with different values; a disagreement
// (kind, value, or error code/message/location) aborts.
//
// Build (clang):  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DACCORD_FUZZ=ON -DACCORD_TESTS=OFF && ninja -C
// build-fuzz differential_fuzzer Run:            ./build-fuzz/fuzz/differential_fuzzer fuzz/corpus/differential
// -max_total_time=300 -rss_limit_mb=4096 Replay (any compiler): ./build/tests/differential_fuzz_replay
// fuzz/corpus/differential
//                        (CTest: differential_fuzz_replay)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tests/differential/differential_gen.h"

namespace {

using namespace accord;

// One engine for many inputs (an LLJIT instance is expensive to create);
// replaced, with the programs it ran, every kEngineLife inputs.
constexpr int kEngineLife = 200;
struct Shared {
  std::unique_ptr<jit::Runner> engine;
  std::vector<std::unique_ptr<differential::Compiled>> keep;
  int uses = 0;
};
Shared& State() {
  static Shared* s = new Shared();
  if (!s->engine || s->uses >= kEngineLife) {
    s->engine.reset();
    s->keep.clear();
    s->engine = std::make_unique<jit::Runner>(jit::EngineKind::kJit);
    s->uses = 0;
  }
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  bool text_mode = data[0] & 1;
  differential::ByteSource bytes(data + 1, size - 1);
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the input: the values in text mode
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  differential::SeedSource seeded(h);
  differential::Source& values = text_mode ? static_cast<differential::Source&>(seeded) : bytes;

  std::string text =
      text_mode ? std::string(reinterpret_cast<const char*>(data + 1), size - 1) : differential::GenerateExpr(bytes, 5);
  static const bool verbose = std::getenv("ACCORD_DIFFERENTIAL_VERBOSE") != nullptr;
  auto c = std::make_unique<differential::Compiled>();
  bool ok = differential::Compile(text, c.get());
  if (verbose) std::fprintf(stderr, "%s: %s\n", ok ? "checked" : c->why.c_str(), text.c_str());
  if (!ok) {
    if (c->why.rfind("VERIFY", 0) == 0) {
      std::fprintf(stderr, "differential_fuzzer: invalid IR for %s\n%s\n", text.c_str(), c->why.c_str());
      std::abort();
    }
    return 0;
  }
  Shared& st = State();
  ++st.uses;
  int handle = st.engine->Add(c->program.get());
  ir::Frame fi, fj;
  for (int k = 0; k < 2; ++k) {
    differential::Bindings b;
    differential::GenerateBindings(values, &b);
    std::string disagreement = differential::RunBoth(*c->program, fi, *st.engine, handle, fj, b);
    if (!disagreement.empty()) {
      std::fprintf(stderr, "differential_fuzzer: engines disagree\n  expr: %s\n%s  %s\n", text.c_str(),
                   b.Describe().c_str(), disagreement.c_str());
      std::abort();
    }
  }
  st.keep.push_back(std::move(c));
  return 0;
}
