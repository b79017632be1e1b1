// Benchmarks of `accord check`'s front end (parse + schemas + check) on the
// example and on a generated large rule set (50 syncs x 200 field rules plus
// value tables). See docs/benchmarks.md for figures and commands.
//
//   ./build/check_bench                       run the benchmarks
//   ./build/check_bench --generate DIR        only write the large rule set to DIR
//                                             (then: time ./build/accord check DIR)
//   ./build/check_bench --generate DIR S F [V] the same with S syncs x F field rules and V
//                                             values per picklist table (default 20; 0: no
//                                             tables). Issue 13's big set: 200 200 (bench/check_big.sh)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "compiler/driver/driver.h"

namespace fs = std::filesystem;

namespace {

int kSyncs = 50;
int kFields = 200;
int kPicklistValues = 20;  // 0: no value tables (picklists mapped without one)

std::string SfField(const std::string& name, const std::string& type, bool picklist) {
  std::string f = "{\"name\":\"" + name + "\",\"label\":\"" + name + "\",\"type\":\"" + type +
                  "\",\"length\":255,\"nillable\":true,\"createable\":true,\"updateable\":true,"
                  "\"calculated\":false,\"autoNumber\":false,\"defaultedOnCreate\":false,\"restrictedPicklist\":false,"
                  "\"referenceTo\":[],\"picklistValues\":[";
  if (picklist)
    for (int v = 0; v < kPicklistValues; ++v)
      f += std::string(v ? "," : "") + "{\"active\":true,\"defaultValue\":false,\"label\":\"Value " +
           std::to_string(v) + "\",\"value\":\"Value " + std::to_string(v) + "\",\"validFor\":null}";
  return f + "]}";
}

std::string HsProp(const std::string& name, const std::string& type, bool enumeration) {
  std::string p = "{\"name\":\"" + name + "\",\"label\":\"" + name + "\",\"type\":\"" + type + "\",\"fieldType\":\"" +
                  (enumeration ? "select" : "text") +
                  "\",\"description\":\"\",\"groupName\":\"g\",\"calculated\":false,\"externalOptions\":false,"
                  "\"hasUniqueValue\":false,\"hidden\":false,\"hubspotDefined\":false,"
                  "\"modificationMetadata\":{\"archivable\":true,\"readOnlyDefinition\":false,\"readOnlyValue\":false},"
                  "\"options\":[";
  if (enumeration)
    for (int v = 0; v < kPicklistValues; ++v)
      p += std::string(v ? "," : "") + "{\"label\":\"V" + std::to_string(v) + "\",\"value\":\"V_" + std::to_string(v) +
           "\",\"displayOrder\":" + std::to_string(v) + ",\"hidden\":false}";
  return p + "]}";
}

// Writes rules.accord and schemas/{salesforce,hubspot} into dir.
void Generate(const fs::path& dir) {
  fs::create_directories(dir / "schemas" / "salesforce");
  fs::create_directories(dir / "schemas" / "hubspot");
  std::string rules;
  rules.reserve(2 << 20);
  for (int s = 0; s < kSyncs; ++s) {
    std::string obj = "Obj" + std::to_string(s) + "__c";
    std::string hs = "obj" + std::to_string(s);
    std::string sf_json = "{\"name\":\"" + obj + "\",\"label\":\"" + obj + "\",\"fields\":[";
    sf_json += SfField("Email", "email", false) + ",";
    std::string hs_json = "{\"results\":[" + HsProp("email", "string", false) + ",";
    for (int f = 0; f < kFields; ++f) {
      bool pick = f % 10 == 0;
      std::string type = pick ? "picklist" : (f % 3 == 0 ? "double" : "string");
      std::string htype = pick ? "enumeration" : (f % 3 == 0 ? "number" : "string");
      sf_json += SfField("Field" + std::to_string(f) + "__c", type, pick) + (f + 1 < kFields ? "," : "");
      hs_json += HsProp("field_" + std::to_string(f), htype, pick) + (f + 1 < kFields ? "," : "");
    }
    sf_json += "]}";
    hs_json += "]}";
    std::ofstream(dir / "schemas" / "salesforce" / (obj + ".json")) << sf_json;
    std::ofstream(dir / "schemas" / "hubspot" / (hs + ".json")) << hs_json;

    // One value table per picklist field.
    for (int f = 0; f < kFields && kPicklistValues > 0; f += 10) {
      rules += "values T" + std::to_string(s) + "_" + std::to_string(f) + ": salesforce." + obj + ".Field" +
               std::to_string(f) + "__c <-> hubspot." + hs + ".field_" + std::to_string(f) + " {\n";
      for (int v = 0; v < kPicklistValues; ++v)
        rules += "  \"Value " + std::to_string(v) + "\" <-> \"V_" + std::to_string(v) + "\"\n";
      rules += "}\n\n";
    }
    rules += "sync s" + std::to_string(s) + ": salesforce." + obj + " <-> hubspot." + hs + " {\n";
    rules += "  match email\n  create in hubspot\n  conflict two_way\n  scope salesforce: Email != null\n";
    for (int f = 0; f < kFields; ++f) {
      std::string a = "Field" + std::to_string(f) + "__c", b = "field_" + std::to_string(f);
      if (f % 10 == 0 && kPicklistValues > 0)
        rules += "  " + a + " <-> " + b + " via T" + std::to_string(s) + "_" + std::to_string(f) + "\n";
      else if (f % 7 == 0 && f % 3 != 0)
        rules += "  " + a + " <-> " + b + " with trim(_)\n";
      else
        rules += "  " + a + " <-> " + b + "\n";
    }
    rules += "}\n\n";
  }
  std::ofstream(dir / "rules.accord") << rules;
}

void RunCheck(benchmark::State& state, const std::string& path) {
  for (auto _ : state) {
    accord::driver::Options opt;
    accord::DiagSink sink(opt.max_errors);
    accord::driver::RuleSet set;
    std::string err;
    bool ok = accord::driver::LoadAndCheck({path}, opt, set, sink, &err);
    if (!ok || sink.error_count() > 0) {
      state.SkipWithError(("check failed: " + err + " errors=" + std::to_string(sink.error_count())).c_str());
      return;
    }
    benchmark::DoNotOptimize(set.model.types.size());
  }
}

void BM_CheckExample(benchmark::State& state) {
  RunCheck(state, std::string(ACCORD_SOURCE_DIR) + "/examples/salesforce-hubspot");
}
BENCHMARK(BM_CheckExample)->Unit(benchmark::kMillisecond);

void BM_CheckLarge(benchmark::State& state) {
  static const fs::path dir = fs::temp_directory_path() / "accord-bench-large";
  static bool generated = (Generate(dir), true);
  (void)generated;
  RunCheck(state, dir.string());
}
BENCHMARK(BM_CheckLarge)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if ((argc == 5 || argc == 6) && std::string(argv[1]) == "--generate") {
    kSyncs = std::atoi(argv[3]);
    kFields = std::atoi(argv[4]);
    if (argc == 6) kPicklistValues = std::atoi(argv[5]);
    if (kSyncs <= 0 || kFields <= 0 || kPicklistValues < 0) {
      std::fprintf(stderr, "check_bench --generate DIR SYNCS FIELDS [VALUES]: SYNCS, FIELDS > 0, VALUES >= 0\n");
      return 2;
    }
    argc = 3;
  }
  if (argc == 3 && std::string(argv[1]) == "--generate") {
    Generate(argv[2]);
    std::printf("wrote %d syncs x %d field rules to %s\n", kSyncs, kFields, argv[2]);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
