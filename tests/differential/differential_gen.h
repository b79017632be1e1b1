// Differential testing of the two engines: a deterministic generator of
// random well-typed CEL expressions over a fixed set of typed variables and
// the fields of salesforce.Opportunity, random values for them (nulls where
// a field could be null), and a harness that runs a program under the
// interpreter and the JIT and compares the results exactly (same kind and
// value, or both errors with the same code, message and location).
//
// Used by tests/differential/differential_test.cc (seeded) and fuzz/differential_fuzzer.cc (bytes).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ir/interp.h"
#include "compiler/ir/lower.h"
#include "compiler/syntax/parser.h"
#include "jit/runner.h"

namespace accord::differential {

// Where the generator's choices come from.
class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t Next() = 0;
  // 0 <= result < n (n > 0).
  uint32_t Pick(uint32_t n) { return n <= 1 ? 0 : static_cast<uint32_t>(Next() % n); }
  bool OneIn(uint32_t n) { return Pick(n) == 0; }
};

// splitmix64: the seeded test.
class SeedSource : public Source {
 public:
  explicit SeedSource(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 0x1234567ull) {}
  uint64_t Next() override;

 private:
  uint64_t s_;
};

// Consumes fuzzer bytes, one per choice; 0 once they run out (0 is always
// the simplest choice, so generation terminates).
class ByteSource : public Source {
 public:
  ByteSource(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  uint64_t Next() override { return p_ < end_ ? *p_++ : 0; }
  bool exhausted() const { return p_ >= end_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// A random expression text (well-typed by construction, almost always).
std::string GenerateExpr(Source& src, int max_depth = 4);

// Values for the variables and the record.
struct Bindings {
  std::vector<rt::Value> params;  // in ParamNames() order
  std::vector<rt::Value> record;  // salesforce.Opportunity slots
  std::deque<std::string> text;   // bytes the borrowed strings point into
  std::string Describe() const;
};
void GenerateBindings(Source& src, Bindings* out);

// The variables an expression may name, in register order.
const std::vector<std::string>& ParamNames();
// The schema object whose fields are in scope (records[0]).
const schema::Object& RecordObject();

// A checked, lowered expression.
struct Compiled {
  std::string text;
  std::unique_ptr<SourceFile> src;
  syntax::ParseResult parsed;
  sema::Model model;
  std::unique_ptr<ir::Program> program;
  std::string why;  // why it was skipped (parse / check error)
};
// False when the expression does not parse or check (*why says why). An IR
// that fails ir::Verify is a bug: returns false with why = "VERIFY: ...".
bool Compile(const std::string& text, Compiled* out);

// Exact equality of results.
bool Same(const rt::Value& a, const rt::Value& b);
// DebugString plus, for errors, code, message and location.
std::string Show(const rt::Value& v);

// Runs `p` under the interpreter (frame fi) and natively (engine handle h,
// frame fj) with `b`; "" when they agree, else a description. With `poison`
// every non-parameter register first holds a different error value in each
// frame, so a program that reads a register before writing it disagrees.
std::string RunBoth(const ir::Program& p, ir::Frame& fi, jit::Runner& engine, int h, ir::Frame& fj, const Bindings& b,
                    rt::Value* result = nullptr, bool poison = false);

// The example rule set's mapping programs with random records: runs every
// mapping under both engines on `records` random source records; "" or the
// first disagreement.
std::string CompareExampleMappings(uint64_t seed, int records);
// The same for the rule set in folder `dir` (loaded once per process).
std::string CompareMappings(const std::string& dir, uint64_t seed, int records);

}  // namespace accord::differential
