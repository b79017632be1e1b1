// Running IR programs: the reference interpreter or native code from LLVM
// ORC (jit::Runner; the sync engine is sync::Engine). A Runner owns one LLJIT instance (one ResourceTracker per
// compiled rule set); `auto` interprets a program first and compiles it once it is hot. A JIT failure falls back to the
// interpreter with a warning — never a crash.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "compiler/ir/interp.h"
#include "compiler/ir/ir.h"

namespace accord::jit {

enum class EngineKind { kInterp, kJit, kAuto };
bool ParseEngineKind(std::string_view text, EngineKind* out);

// Native code of one program: same contract as ir::Interpret. The program is
// an argument, not a constant in the code, so that the object code does not
// depend on where the program lives and can be cached across processes.
using NativeFn = void (*)(rt::Value* regs, const rt::Value* const* records, rt::Value* out, rt::Value* result,
                          const ir::Program* program);

// The on-disk cache of JIT object code: one file per compiled module, named
// by a SHA-256 of the module's unoptimized LLVM IR, the target (triple, CPU,
// features), the LLVM and Accord versions and the pipeline. A file carries
// its key, its length and a checksum; one that does not match is ignored
// (the module is compiled and the file rewritten). Writes go to a temporary
// file renamed into place, so concurrent processes never see half a file.
// Process-wide default for new Runners; "" (the library default) = no cache.
// The CLI sets it from --jit-cache / --no-jit-cache / ACCORD_JIT_CACHE.
void SetDefaultCacheDir(std::string dir);
std::string DefaultCacheDir();
// $ACCORD_JIT_CACHE ("off" disables), else $XDG_CACHE_HOME/accord/jit, else
// $HOME/.cache/accord/jit; "" when none is set.
std::string StandardCacheDir();

struct CacheStats {
  int hits = 0;      // modules loaded from the cache (not compiled)
  int misses = 0;    // modules compiled with the cache enabled
  int rejected = 0;  // cache files ignored: truncated, corrupt or another key
  int writes = 0;    // cache files written
};

class Runner {
 public:
  explicit Runner(EngineKind kind, uint32_t hot_after = 1000);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Registers a program (kept by pointer: it must outlive the engine's use).
  // With kJit the program is compiled now.
  int Add(const ir::Program* program);
  // Compiles every registered program not compiled yet, in one module. only_cached: only if
  // the object-code cache has that module (else nothing changes and false is returned).
  bool CompileAll(bool only_cached = false);
  rt::Value Run(int handle, ir::Frame& frame, const ir::Inputs& in);
  // Runs `handle`'s native code, or the interpreter when it has none, on `program`: a copy of
  // the registered program (same code) with constants of its own. Never compiles and changes
  // nothing in the Runner, so threads may call it at once, each with its own program copy and
  // frame (Values' reference counts are not atomic: threads must not share constants). Not
  // while a background compile runs (CompileAll first).
  rt::Value RunOn(int handle, const ir::Program& program, ir::Frame& frame, const ir::Inputs& in) const;
  bool is_native(int handle) const;
  // kAuto: a hot program is compiled on a background thread while Run goes on interpreting
  // it, and Run switches to the native code once it is ready (accord map). Off (the default):
  // Run compiles it before going on. Every other member waits for a running compile.
  void set_background_compile(bool on) { background_ = on; }
  // kAuto: the caller's estimate of how many times each program will run (accord map knows a
  // file's size). With it the first run decides, instead of the 1,000th: compile when the
  // runs repay a cold compile (kColdBreakEven), load the object code when they repay only a
  // cache hit and the cache has it (kWarmBreakEven), else interpret throughout. 0: unknown.
  void set_expected_runs(uint64_t runs) { expected_runs_ = runs; }
  // Measured on workload W (docs/benchmarks.md, issue 16): a cold compile costs ~0.5 ms and the
  // JIT saves ~1.6-3.5 ns per IR instruction and record, so a compile repays itself after
  // ~150,000-450,000 records whatever the program's size; a cache hit (~7 ms) after ~70,000.
  static constexpr uint64_t kColdBreakEven = 400'000;
  static constexpr uint64_t kWarmBreakEven = 60'000;

  // Makes the next compilation fail as a real LLVM failure would (tests of
  // the fallback path).
  void FailNextCompileForTesting() { fail_next_ = true; }

  // Warnings (JIT failures and fallbacks), for the CLI to print once.
  std::vector<std::string> TakeWarnings();
  double compile_ms() const {
    JoinBackground();
    return compile_ms_;
  }

  // The object-code cache folder ("" = none); set before the first compile.
  void set_cache_dir(std::string dir) { cache_dir_ = std::move(dir); }
  const CacheStats& cache_stats() const {
    JoinBackground();
    return cache_stats_;
  }

 private:
  struct Entry {
    const ir::Program* program;
    NativeFn native = nullptr;
    uint32_t runs = 0;
    bool failed = false;
    bool interpret_only = false;  // kAuto decided it will not pay for itself
  };
  // only_cached: load the object code if the cache has it; otherwise change nothing (false)
  bool CompileEntries(const std::vector<int>& which, bool only_cached = false);
  void JoinBackground() const;
  EngineKind kind_;
  uint32_t hot_after_;
  uint64_t expected_runs_ = 0;
  std::vector<Entry> entries_;
  std::vector<std::string> warnings_;
  double compile_ms_ = 0;
  bool fail_next_ = false;
  std::string cache_dir_;
  CacheStats cache_stats_;
  bool cache_warned_ = false;
  bool background_ = false;
  mutable std::thread bg_;      // the background compile, if one was started and not joined
  mutable int bg_handle_ = -1;  // the program it compiles
  std::atomic<bool> bg_done_{false};
  struct Jit;
  std::unique_ptr<Jit> jit_;
};

// Textual LLVM IR / assembly of a program (accord compile --emit llvm|asm).
bool EmitLLVM(const ir::Program& program, bool assembly, std::string* out, std::string* error);

}  // namespace accord::jit
