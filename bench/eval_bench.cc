// Expression evaluation: the reference interpreter vs the LLVM JIT, per
// record, over PRE-DECODED records (slot arrays of rt::Value built once from
// field text with rec::FromText, strings borrowed as the JSON decoder
// borrows them; no JSON in the timed loop). Plus the wall time to JIT-compile
// every mapping program of the example rule set. Figures and commands:
// docs/benchmarks.md, section "Expression evaluation: JIT vs interpreter".
//
//   ./build/bench/eval_bench                        all benchmarks
//   ./build/bench/eval_bench --benchmark_filter=Eval/
//   ./build/bench/eval_bench --cold-compile         time the first JIT compile of the
//                                                   example mappings in a fresh process, then exit
//   ./build/bench/eval_bench --cold-compile --jit-cache DIR
//                                                   the same with the JIT's object cache in DIR
//                                                   (run twice: cold = empty DIR, then warm)
//   ./build/bench/eval_bench --dump int_arith       print a case's IR and the JIT's assembly, then exit
//   ./build/bench/eval_bench --paired 30            the engines in alternating slices (robust on a busy
//                                                   machine): min and median ns/record, markdown table
//
// Every expression is evaluated by both engines over all records once before
// timing; the program aborts if they disagree on any record.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "compiler/driver/driver.h"
#include "compiler/ir/lower.h"
#include "compiler/syntax/parser.h"
#include "jit/runner.h"
#include "runtime/record.h"

using namespace accord;

namespace {

constexpr int kRecords = 1024;
const char* const kExampleDir = ACCORD_SOURCE_DIR "/examples/salesforce-hubspot";

// The example rule set, loaded and checked once.
struct Example {
  driver::RuleSet set;
  bool ok = false;
};
Example& Rules() {
  static Example* ex = [] {
    auto* e = new Example();
    DiagSink sink(100);
    std::string io;
    e->ok = driver::LoadAndCheck({kExampleDir}, driver::Options{}, e->set, sink, &io) && sink.error_count() == 0;
    if (!e->ok) std::fprintf(stderr, "eval_bench: cannot load %s: %s\n", kExampleDir, io.c_str());
    return e;
  }();
  return *ex;
}

const schema::Object& Object(schema::System sys, const char* name) {
  const schema::Object* o = Rules().set.schemas.Find(sys, name);
  if (!o) {
    std::fprintf(stderr, "eval_bench: no schema for %s\n", name);
    std::exit(2);
  }
  return *o;
}

// Deterministic xorshift so the records are the same on every run.
struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  int Int(int lo, int hi) { return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1)); }
};

// Pre-decoded records of one object: slot arrays; the field text they borrow
// from lives in `text`.
struct Records {
  const schema::Object* object = nullptr;
  std::deque<std::string> text;
  std::vector<std::vector<rt::Value>> rows;
};

// Field text by name (fields not named stay null, as absent JSON keys do).
using Filler = std::vector<std::pair<std::string, std::string>> (*)(Rng&, int);

std::vector<std::pair<std::string, std::string>> AccountRow(Rng& r, int i) {
  static const char* names[] = {
      "  Acme Corp ",      "Globex",   " INITECH",           "Umbrella Holdings  ", "Stark Industries",
      "Wayne Enterprises", "  hooli ", "Vandelay Industries"};
  static const char* industries[] = {"Technology", "Banking", "Retail", "Energy", "Other", "Media"};
  return {{"Id", "001" + std::to_string(100000 + i)},
          {"Name", names[r.Int(0, 7)]},
          {"NumberOfEmployees", std::to_string(r.Int(0, 100000))},
          {"AnnualRevenue", std::to_string(r.Int(0, 5000000)) + "." + std::to_string(r.Int(10, 99))},
          {"Industry", industries[r.Int(0, 5)]},
          {"BillingCity", "Springfield"}};
}

std::vector<std::pair<std::string, std::string>> OpportunityRow(Rng& r, int i) {
  static const char* stages[] = {
      "Prospecting",         "Qualification",        "Needs Analysis",     "Value Proposition", "Id. Decision Makers",
      "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won",        "Closed Lost"};
  bool closed = r.Int(0, 3) == 0;
  return {{"Id", "006" + std::to_string(100000 + i)},
          {"Name", "Deal " + std::to_string(i)},
          {"StageName", stages[r.Int(0, 9)]},
          {"Amount", std::to_string(r.Int(0, 900000)) + "." + std::to_string(r.Int(10, 99))},
          {"Probability", std::to_string(r.Int(0, 100))},
          {"TotalOpportunityQuantity", std::to_string(r.Int(1, 500)) + ".5"},
          {"FiscalYear", std::to_string(r.Int(2015, 2026))},
          {"IsClosed", closed ? "true" : "false"},
          {"IsWon", closed && r.Int(0, 1) ? "true" : "false"},
          {"CloseDate", "2025-0" + std::to_string(r.Int(1, 9)) + "-1" + std::to_string(r.Int(0, 9))},
          {"Description", "Renewal for " + std::to_string(i)}};
}

const Records& MakeRecords(const schema::Object& obj, Filler fill) {
  static std::deque<Records> all;
  for (const auto& r : all)
    if (r.object == &obj) return r;
  Records& recs = all.emplace_back();
  recs.object = &obj;
  Rng rng;
  for (int i = 0; i < kRecords; ++i) {
    std::vector<rt::Value> slots(obj.fields.size());
    for (const auto& [name, text] : fill(rng, i)) {
      const schema::Field* f = obj.FindField(name);
      if (!f) {
        std::fprintf(stderr, "eval_bench: %s has no field %s\n", obj.name.c_str(), name.c_str());
        std::exit(2);
      }
      recs.text.push_back(text);
      slots[f - obj.fields.data()] = rec::FromText(*f, recs.text.back());
      if (slots[f - obj.fields.data()].is_error()) {
        std::fprintf(stderr, "eval_bench: %s.%s: bad text %s\n", obj.name.c_str(), name.c_str(), text.c_str());
        std::exit(2);
      }
    }
    recs.rows.push_back(std::move(slots));
  }
  return recs;
}

// One benchmarked program with the records it runs over.
struct Case {
  std::string name;
  std::string source;  // expression text, or the mapping's name
  std::unique_ptr<SourceFile> src;
  syntax::ParseResult parsed;
  sema::Model model;
  ir::Program own;                       // expression cases
  const ir::Program* program = nullptr;  // own or a mapping's
  const Records* records = nullptr;
  int side = 0;  // records[side] = the record
  uint32_t out_slots = 0;
};

std::deque<Case>& Cases() {
  static std::deque<Case> c;
  return c;
}

void AddExpr(const char* name, const char* expr, const schema::Object& obj, Filler fill) {
  Case& c = Cases().emplace_back();
  c.name = name;
  c.source = expr;
  c.src = std::make_unique<SourceFile>("<bench>", expr);
  DiagSink sink(20);
  c.parsed = syntax::ParseExpression(*c.src, syntax::ParseOptions{}, sink);
  if (!c.parsed.expr) {
    std::fprintf(stderr, "eval_bench: %s does not parse\n", expr);
    std::exit(2);
  }
  sema::ExprEnv env;
  env.object = &obj;
  env.side = obj.system == schema::System::kSalesforce ? ast::Side::kSalesforce : ast::Side::kHubSpot;
  sema::CheckExpression(*c.parsed.expr, *c.parsed.file, env, c.model, sink);
  if (sink.error_count() > 0) {
    std::fprintf(stderr, "eval_bench: %s does not check: %s\n", expr, sink.diagnostics()[0].message.c_str());
    std::exit(2);
  }
  ir::ExprEnv lenv;
  lenv.object = &obj;
  c.own = ir::LowerExpression(*c.parsed.expr, *c.parsed.file, c.model, lenv);
  c.program = &c.own;
  c.records = &MakeRecords(obj, fill);
  c.side = env.side == ast::Side::kSalesforce ? 0 : 1;
}

const ir::CompiledRules& ExampleMappings() {
  static ir::CompiledRules* rules = [] { return new ir::CompiledRules(ir::LowerRules(Rules().set.model)); }();
  return *rules;
}

// Workload W's rule set (bench/w), loaded, checked and lowered once.
struct WorkloadW {
  driver::RuleSet set;
  std::unique_ptr<ir::CompiledRules> rules;
};
WorkloadW& W() {
  static WorkloadW* w = [] {
    auto* x = new WorkloadW();
    DiagSink sink(100);
    std::string io;
    const char* dir = ACCORD_SOURCE_DIR "/bench/w";
    if (!driver::LoadAndCheck({dir}, driver::Options{}, x->set, sink, &io) || sink.error_count() > 0) {
      std::fprintf(stderr, "eval_bench: cannot load %s: %s\n", dir, io.c_str());
      std::exit(2);
    }
    x->rules = std::make_unique<ir::CompiledRules>(ir::LowerRules(x->set.model));
    return x;
  }();
  return *w;
}

// A Contact as w_gen writes them (bench/w/gen_contacts.cc), in a smaller variety.
std::vector<std::pair<std::string, std::string>> ContactRow(Rng& r, int i) {
  static const char* emails[] = {"ann.lee@example.com", "  Bob.Stone@Example.COM ", "carla@acme.io", "\tdan@x.org",
                                 "Eve.Moss@Globex.com"};
  static const char* phones[] = {"(415) 555-0134", "+1 415-555-0134", "4155550134", "+44 20 7946 0958", "n/a"};
  static const char* industries[] = {"Technology", "Banking", "Retail", "Space Mining", "Media", "Healthcare"};
  static const char* statuses[] = {"New", "Working", "Qualified", "Unqualified"};
  std::vector<std::pair<std::string, std::string>> row = {
      {"Id", "0035e" + std::to_string(1000000 + i)},
      {"FirstName", "Ann"},
      {"LastName", "Lee " + std::to_string(i)},
      {"Email", emails[r.Int(0, 4)]},
      {"Phone", phones[r.Int(0, 4)]},
      {"Title", r.Int(0, 9) ? "VP Sales" : " "},
      {"Industry", industries[r.Int(0, 5)]},
      {"AnnualRevenue", std::to_string(r.Int(0, 5000000)) + (r.Int(0, 1) ? ".5" : "")},
      {"IsCustomer", r.Int(0, 4) ? "false" : "true"}};
  if (r.Int(0, 6)) row.emplace_back("Status", statuses[r.Int(0, 3)]);
  return row;
}

void AddMapping(const char* name, const char* sync, const schema::Object& obj, Filler fill) {
  const ir::CompiledSync* s = ExampleMappings().Find(sync);
  if (!s || !s->to_hubspot) {
    std::fprintf(stderr, "eval_bench: no sync %s -> hubspot in the example\n", sync);
    std::exit(2);
  }
  Case& c = Cases().emplace_back();
  c.name = name;
  c.source = s->to_hubspot->program.name;
  c.program = &s->to_hubspot->program;
  c.records = &MakeRecords(obj, fill);
  c.side = 0;
  c.out_slots = s->to_hubspot->program.out_slots;
}

// Runs `c` over all records with `engine`; returns a digest of the results
// (DebugString of every result and out slot) when `digest` is set.
struct Runner {
  const Case& c;
  jit::Runner engine;
  int handle;
  ir::Frame frame;
  std::vector<rt::Value> out;
  Runner(const Case& cs, jit::EngineKind kind) : c(cs), engine(kind) {
    handle = engine.Add(c.program);
    out.resize(c.out_slots);
  }
  rt::Value RunOne(size_t i) {
    const rt::Value* records[2] = {c.records->rows[i].data(), c.records->rows[i].data()};
    return engine.Run(handle, frame, ir::Inputs{records, out.data()});
  }
  std::string Digest() {
    std::string d;
    for (size_t i = 0; i < c.records->rows.size(); ++i) {
      rt::Value v = RunOne(i);
      d += v.DebugString();
      if (v.is_error()) d += v.error_message();
      for (const auto& o : out) d += "|" + o.DebugString();
      d += "\n";
    }
    return d;
  }
};

void BM_Eval(benchmark::State& state, const Case* c, jit::EngineKind kind) {
  Runner r(*c, kind);
  if (kind == jit::EngineKind::kJit && !r.engine.is_native(r.handle)) {
    state.SkipWithError("the JIT did not compile the program");
    return;
  }
  size_t n = c->records->rows.size();
  int64_t trues = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < n; ++i) {
      rt::Value v = r.RunOne(i);
      trues += v.is(rt::Kind::kBool) && v.bool_value();
      benchmark::DoNotOptimize(v);
    }
  }
  benchmark::DoNotOptimize(trues);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
  state.SetLabel(std::to_string(c->program->code.size()) + " instrs");
}

// The JIT compile time of one benchmarked program (a fresh engine each time).
void BM_Compile(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    jit::Runner e(jit::EngineKind::kJit);
    int h = e.Add(c->program);
    if (!e.is_native(h)) state.SkipWithError("JIT compilation failed");
  }
  state.SetLabel(std::to_string(c->program->code.size()) + " instrs");
}

// The JIT compile time of every mapping program of the example rule set.
std::vector<const ir::Program*> MappingPrograms() {
  std::vector<const ir::Program*> progs;
  for (const auto& s : ExampleMappings().syncs)
    for (const ir::Mapping* m :
         {s.to_hubspot.get(), s.to_salesforce.get(), s.create_hubspot.get(), s.create_salesforce.get()})
      if (m) progs.push_back(&m->program);
  return progs;
}

// kJit: Add compiles each program at once, one LLVM module per program.
void BM_JitCompileExample_PerProgram(benchmark::State& state) {
  auto progs = MappingPrograms();
  double llvm_ms = 0;
  for (auto _ : state) {
    jit::Runner e(jit::EngineKind::kJit);
    for (const ir::Program* p : progs) e.Add(p);
    llvm_ms += e.compile_ms();
    if (!e.TakeWarnings().empty()) state.SkipWithError("JIT compilation failed");
  }
  state.counters["programs"] = static_cast<double>(progs.size());
  state.counters["engine_ms"] = llvm_ms / static_cast<double>(state.iterations());
}
BENCHMARK(BM_JitCompileExample_PerProgram)->Unit(benchmark::kMillisecond)->UseRealTime();

// kAuto + CompileAll: all programs in one LLVM module.
void BM_JitCompileExample_OneModule(benchmark::State& state) {
  auto progs = MappingPrograms();
  double llvm_ms = 0;
  for (auto _ : state) {
    jit::Runner e(jit::EngineKind::kAuto);
    for (const ir::Program* p : progs) e.Add(p);
    if (!e.CompileAll()) state.SkipWithError("JIT compilation failed");
    llvm_ms += e.compile_ms();
  }
  state.counters["programs"] = static_cast<double>(progs.size());
  state.counters["engine_ms"] = llvm_ms / static_cast<double>(state.iterations());
}
BENCHMARK(BM_JitCompileExample_OneModule)->Unit(benchmark::kMillisecond)->UseRealTime();

// The whole path a CLI run pays before the first record: load + check the
// example, lower, JIT-compile every mapping (first compile in the process
// only when run with --cold-compile).
// This thread's CPU time in ms: on a shared, loaded machine wall time varies
// with the load, the compiling thread's CPU time much less.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

int ColdCompile(double load_ms) {
  auto t0 = std::chrono::steady_clock::now();
  auto progs = MappingPrograms();
  auto t1 = std::chrono::steady_clock::now();
  double cpu0 = ThreadCpuMs();
  jit::Runner e(jit::EngineKind::kJit);
  for (const ir::Program* p : progs) e.Add(p);
  double cpu_ms = ThreadCpuMs() - cpu0;
  auto t2 = std::chrono::steady_clock::now();
  jit::Runner e2(jit::EngineKind::kJit);
  for (const ir::Program* p : progs) e2.Add(p);
  auto t3 = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  size_t instrs = 0;
  for (const ir::Program* p : progs) instrs += p->code.size();
  std::printf(
      "%zu mapping programs (%zu IR instructions): load+check %.1f ms, lower %.1f ms, first JIT compile "
      "%.1f ms (engine %.1f ms, CPU %.1f ms), second engine %.1f ms\n",
      progs.size(), instrs, load_ms, ms(t0, t1), ms(t1, t2), e.compile_ms(), cpu_ms, ms(t2, t3));
  if (!jit::DefaultCacheDir().empty())
    std::printf("JIT cache %s: first engine %d modules loaded, %d compiled, %d files written\n",
                jit::DefaultCacheDir().c_str(), e.cache_stats().hits, e.cache_stats().misses, e.cache_stats().writes);
  for (const auto& w : e.TakeWarnings()) std::printf("warning: %s\n", w.c_str());
  // Where the time goes: IR building + the O2 pipeline (EmitLLVM to text), and
  // that plus instruction selection / register allocation (EmitLLVM to assembly).
  auto t4 = std::chrono::steady_clock::now();
  size_t llvm_lines = 0, asm_lines = 0;
  for (const ir::Program* p : progs) {
    std::string text, error;
    jit::EmitLLVM(*p, false, &text, &error);
    for (char ch : text) llvm_lines += ch == '\n';
  }
  auto t5 = std::chrono::steady_clock::now();
  for (const ir::Program* p : progs) {
    std::string text, error;
    jit::EmitLLVM(*p, true, &text, &error);
    for (char ch : text) asm_lines += ch == '\n';
  }
  auto t6 = std::chrono::steady_clock::now();
  std::printf(
      "breakdown: build + O2 passes %.1f ms (%zu lines of optimized LLVM IR); build + O2 + machine code "
      "%.1f ms (%zu lines of assembly)\n",
      ms(t4, t5), llvm_lines, ms(t5, t6), asm_lines);
  return 0;
}

// Paired measurement for a shared, noisy machine: the two engines take turns
// in short slices (each slice: every record `reps` times), so both see the
// same interference; reports the minimum and the median ns per record over
// `rounds` slices and the ratio of the minima. Prints a markdown table.
int Paired(int rounds) {
  std::printf(
      "| case | IR instrs | interp ns/record (min / median) | jit ns/record (min / median) | "
      "jit speed-up (min / median) |\n|---|--:|--:|--:|--:|\n");
  for (const Case& c : Cases()) {
    Runner r[2] = {Runner(c, jit::EngineKind::kInterp), Runner(c, jit::EngineKind::kJit)};
    size_t n = c.records->rows.size();
    int reps = 20;
    std::vector<double> ns[2];
    int64_t sink = 0;
    for (int round = 0; round < rounds; ++round)
      for (int e = 0; e < 2; ++e) {
        auto t0 = std::chrono::steady_clock::now();
        for (int k = 0; k < reps; ++k)
          for (size_t i = 0; i < n; ++i) {
            rt::Value v = r[e].RunOne(i);
            sink += static_cast<int64_t>(v.kind());
          }
        double t = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        ns[e].push_back(t / static_cast<double>(reps * n));
      }
    benchmark::DoNotOptimize(sink);
    double mn[2], med[2];
    for (int e = 0; e < 2; ++e) {
      std::sort(ns[e].begin(), ns[e].end());
      mn[e] = ns[e].front();
      med[e] = ns[e][ns[e].size() / 2];
    }
    std::printf("| %s | %zu | %.1f / %.1f | %.1f / %.1f | %.2fx / %.2fx |\n", c.name.c_str(), c.program->code.size(),
                mn[0], med[0], mn[1], med[1], mn[0] / mn[1], med[0] / med[1]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto t0 = std::chrono::steady_clock::now();
  if (!Rules().ok) return 2;
  double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--jit-cache") == 0) jit::SetDefaultCacheDir(argv[i + 1]);
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--cold-compile") == 0) return ColdCompile(load_ms);

  using schema::System;
  const schema::Object& account = Object(System::kSalesforce, "Account");
  const schema::Object& opp = Object(System::kSalesforce, "Opportunity");
  // the per-record floor: one field load and the return
  AddExpr("floor_load", "IsWon", opp, OpportunityRow);
  AddExpr("int_arith", "NumberOfEmployees * 3 + 7 > 100 && NumberOfEmployees % 2 == 0", account, AccountRow);
  AddExpr("int_add_cmp", "NumberOfEmployees + NumberOfEmployees * 2 - 5 >= 1000", account, AccountRow);
  AddExpr("double_formula", "Probability / 100.0 * TotalOpportunityQuantity * 1.5 - 0.25 * Probability", opp,
          OpportunityRow);
  AddExpr("double_cmp", "Probability * TotalOpportunityQuantity > 2500.0 || Probability < 10.0", opp, OpportunityRow);
  AddExpr("bool_ternary",
          "IsClosed ? (IsWon ? 1 : 2) : (Probability > 50.0 ? 3 : (FiscalYear >= 2024 && !IsWon ? 4 : 5))", opp,
          OpportunityRow);
  AddExpr("decimal_cmp", "Amount * decimal(\"2\") > decimal(\"100000\")", opp, OpportunityRow);
  AddExpr("string_lower_trim", "lowerAscii(trim(Name)) + \"x\"", account, AccountRow);
  AddExpr("string_eq", "StageName == \"Closed Won\" || StageName.startsWith(\"Neg\")", opp, OpportunityRow);
  AddMapping("mapping_deals", "deals", opp, OpportunityRow);
  AddMapping("mapping_accounts", "accounts", account, AccountRow);
  {  // workload W's mapping (issue 16): the evaluation alone, without JSON
    const ir::CompiledSync* w = W().rules->Find("w");
    Case& c = Cases().emplace_back();
    c.name = "mapping_w";
    c.source = w->to_hubspot->program.name;
    c.program = &w->to_hubspot->program;
    c.records = &MakeRecords(*w->to_hubspot->source, ContactRow);
    c.side = 0;
    c.out_slots = w->to_hubspot->program.out_slots;
  }

  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--paired") == 0) return Paired(i + 1 < argc ? std::atoi(argv[i + 1]) : 30);
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--dump") == 0) {
      for (const Case& c : Cases())
        if (c.name == argv[i + 1]) {
          std::string text, error;
          std::printf("%s\n%s\n", c.source.c_str(), ir::Print(*c.program).c_str());
          if (!jit::EmitLLVM(*c.program, false, &text, &error)) return 1;
          std::printf("%s\n", text.c_str());
          text.clear();
          if (!jit::EmitLLVM(*c.program, true, &text, &error)) return 1;
          std::printf("%s\n", text.c_str());
          return 0;
        }
      std::fprintf(stderr, "eval_bench: no case %s\n", argv[i + 1]);
      return 2;
    }
  for (const Case& c : Cases()) {
    Runner a(c, jit::EngineKind::kInterp), b(c, jit::EngineKind::kJit);
    if (a.Digest() != b.Digest()) {
      std::fprintf(stderr, "eval_bench: the engines disagree on %s (%s)\n", c.name.c_str(), c.source.c_str());
      return 1;
    }
    benchmark::RegisterBenchmark(("Eval/" + c.name + "/interp").c_str(), BM_Eval, &c, jit::EngineKind::kInterp);
    benchmark::RegisterBenchmark(("Eval/" + c.name + "/jit").c_str(), BM_Eval, &c, jit::EngineKind::kJit);
  }
  for (const Case& c : Cases())
    benchmark::RegisterBenchmark(("Compile/" + c.name).c_str(), BM_Compile, &c)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
