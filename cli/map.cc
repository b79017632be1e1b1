// accord map PATH --sync NAME --to hubspot|salesforce [--engine interp|jit|auto] < in.jsonl > out.jsonl
//
// A one-way, stateless transform: each input line is a record of the sync's
// source side; each output line is the target side's values for it:
//   {"id":"<source id>","properties":{...}}   toward HubSpot (values as strings)
//   {"id":"<source id>","fields":{...}}       toward Salesforce (JSON scalars)
// Records a scope excludes are dropped. A record with a rule error is not
// written; its errors go to stderr as JSON lines. Malformed lines too.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "cli/load.h"
#include "compiler/driver/driver.h"
#include "compiler/ir/lower.h"
#include "jit/runner.h"
#include "runtime/record.h"
#include "runtime/sync/engine.h"

namespace accord::cli {

namespace {

// The error log's category names (runtime/sync/engine.h declares the set).
const std::string kRuleErrorsName(sync::CategoryName(sync::Category::kRuleErrors));
const std::string kPropertyValuesName(sync::CategoryName(sync::Category::kPropertyValues));
const char* const kRuleErrors = kRuleErrorsName.c_str();
const char* const kPropertyValues = kPropertyValuesName.c_str();

struct MapArgs {
  std::vector<std::string> paths;
  std::string sync;
  std::string to;
  std::string engine = "auto";
  std::string input = "-";
  bool stats = false;
  JitCacheArgs jit_cache;
};

void ErrorLine(std::string& err, std::string_view id, size_t line, const std::string& rule, const std::string& field,
               const std::string& message, const char* category) {
  err += "{\"line\":" + std::to_string(line) + ",\"id\":";
  rec::AppendJsonString(err, id);
  err += ",\"category\":\"";
  err += category;
  err += "\"";
  if (!rule.empty()) {
    err += ",\"rule\":";
    rec::AppendJsonString(err, rule);
  }
  if (!field.empty()) {
    err += ",\"field\":";
    rec::AppendJsonString(err, field);
  }
  err += ",\"error\":";
  rec::AppendJsonString(err, message);
  err += "}\n";
}

int RunMap(const MapArgs& a) {
  jit::EngineKind kind;
  if (!jit::ParseEngineKind(a.engine, &kind)) {
    std::cerr << "accord map: --engine must be interp, jit or auto\n";
    return kUsage;
  }
  ast::Side to = a.to == "salesforce" ? ast::Side::kSalesforce : ast::Side::kHubSpot;
  driver::RuleSet set;
  if (int code = LoadCheckedRules(a.paths, "map", set); code != kOk) return code;
  ir::CompiledRules rules = ir::LowerRules(set.model);
  const ir::CompiledSync* sync = rules.Find(a.sync);
  if (!sync) {
    std::cerr << "accord map: no sync named '" << a.sync << "'; syncs:";
    for (const auto& s : rules.syncs) std::cerr << " " << s.name;
    std::cerr << "\n";
    return kUsage;
  }
  const ir::Mapping* m = sync->Toward(to);
  if (!m) {
    std::cerr << "accord map: sync '" << a.sync << "' does not flow toward " << a.to << "\n";
    return kUsage;
  }
  ApplyJitCacheOptions(a.jit_cache);
  jit::Runner engine(kind);
  int handle = engine.Add(&m->program);
  for (const auto& w : engine.TakeWarnings()) std::cerr << "accord map: warning: " << w << "\n";

  FILE* in_file = a.input == "-" ? stdin : std::fopen(a.input.c_str(), "rb");
  if (!in_file) {
    std::cerr << "accord map: cannot read " << a.input << "\n";
    return kUsage;
  }
  // Streams the input through one reused buffer (touching fresh memory for a
  // whole large file costs more than parsing it).
  std::string input(size_t{8} << 20, '\0');
  size_t have = 0;
  bool eof = false;

  auto start = std::chrono::steady_clock::now();
  simdjson::ondemand::parser parser;
  rec::Decoder decoder(*m->source);
  {
    // decode only what the mapping program loads
    std::vector<bool> wanted(m->source->fields.size(), false);
    int side = m->from == ast::Side::kSalesforce ? 0 : 1;
    for (const ir::Instr& ins : m->program.code)
      if (ins.op == ir::Op::kLoadField && ins.b == side && ins.a < wanted.size()) wanted[ins.a] = true;
    decoder.Want(std::move(wanted));
  }
  std::vector<rt::Value> slots, empty_slots(m->target->fields.size());
  std::vector<rt::Value> out(m->outs.size());
  const rt::Value* records[2];
  int src_index = m->from == ast::Side::kSalesforce ? 0 : 1;
  ir::Frame frame;
  std::string buf, err, id, derr;
  buf.reserve(1 << 20);
  const bool to_hubspot = to == ast::Side::kHubSpot;
  const schema::System target_system = to_hubspot ? schema::System::kHubSpot : schema::System::kSalesforce;
  size_t line_no = 0, written = 0, dropped = 0, failed = 0;
  std::string value_error;
  // "name": of every output field, escaped once
  std::vector<std::string> keys;
  for (const auto& of : m->outs) {
    std::string k;
    rec::AppendJsonString(k, of.field->name);
    keys.push_back(k + ":");
  }
  size_t pos = 0;
  for (;;) {
    // refill: keep the unfinished line, read more behind it
    const char* nl = have > pos ? static_cast<const char*>(std::memchr(input.data() + pos, '\n', have - pos)) : nullptr;
    if (!nl && !eof) {
      std::memmove(input.data(), input.data() + pos, have - pos);
      have -= pos;
      pos = 0;
      if (input.size() - have < (size_t{1} << 20) + simdjson::SIMDJSON_PADDING) input.resize(input.size() * 2);
      size_t n = std::fread(input.data() + have, 1, input.size() - have - simdjson::SIMDJSON_PADDING, in_file);
      if (n == 0) eof = true;
      have += n;
      continue;
    }
    if (pos >= have) break;
    const char* line_end = nl ? nl : input.data() + have;
    ++line_no;
    std::string_view line(input.data() + pos, line_end - (input.data() + pos));
    pos = static_cast<size_t>(line_end - input.data()) + 1;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;  // blank line
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    size_t capacity = static_cast<size_t>(input.data() + input.size() - line.data());
    derr.clear();
    if (parser.iterate(line.data(), line.size(), capacity).get(doc) || doc.get_object().get(obj) ||
        !base::Succeeded(decoder.Decode(obj, slots, &id), &derr)) {
      ErrorLine(err, "", line_no, "", "", derr.empty() ? "malformed JSON record" : derr, "Malformed");
      ++failed;
      continue;
    }
    records[src_index] = slots.data();
    records[1 - src_index] = empty_slots.data();
    rt::Value in_scope = engine.Run(handle, frame, ir::Inputs{records, out.data()});
    if (in_scope.is_error()) {
      rt::Location l = in_scope.error_location();
      std::string rule = l.file ? std::string(l.file) + ":" + std::to_string(l.line) + ":" + std::to_string(l.col) : "";
      ErrorLine(err, id, line_no, rule, "", in_scope.error_message(), kRuleErrors);
      ++failed;
      continue;
    }
    if (!in_scope.is(rt::Kind::kBool) || !in_scope.bool_value()) {
      ++dropped;
      continue;
    }
    size_t mark = buf.size();
    buf += "{\"id\":";
    rec::AppendJsonString(buf, id);
    buf += to_hubspot ? ",\"properties\":{" : ",\"fields\":{";
    bool first_field = true, bad = false;
    for (size_t k = 0; k < out.size(); ++k) {
      const rt::Value& v = out[k];
      if (ir::IsSkip(v)) continue;
      const ir::OutField& of = m->outs[k];
      if (v.is_error()) {
        const char* cat = v.error_code() == rt::ErrorCode::kRejected ? kPropertyValues : kRuleErrors;
        ErrorLine(err, id, line_no, of.rule, of.field->name, v.error_message(), cat);
        bad = true;
        continue;
      }
      if (bad) continue;
      size_t before = buf.size();
      if (!first_field) buf += ',';
      buf += keys[k];
      if (v.is(rt::Kind::kString)) {
        rec::AppendJsonString(buf, v.str());
      } else if (!base::Succeeded(rec::AppendFieldValue(target_system, *of.field, v, buf), &value_error)) {
        buf.resize(before);
        ErrorLine(err, id, line_no, of.rule, of.field->name, value_error, "PropertyValues");
        bad = true;
        continue;
      }
      first_field = false;
    }
    // every out slot is written by every run that reaches the end: no reset
    if (bad) {
      buf.resize(mark);
      ++failed;
    } else {
      buf += "}}\n";
      ++written;
    }
    if (buf.size() > (1u << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), stdout);
      buf.clear();
    }
    if (err.size() > (1u << 16)) {
      std::fwrite(err.data(), 1, err.size(), stderr);
      err.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), stdout);
  std::fwrite(err.data(), 1, err.size(), stderr);
  std::fflush(stdout);
  if (in_file != stdin) std::fclose(in_file);
  for (const auto& w : engine.TakeWarnings()) std::cerr << "accord map: warning: " << w << "\n";
  if (a.stats) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr,
                 "accord map: %zu lines, %zu written, %zu out of scope, %zu with errors in %.3f s (%.0f records/s, "
                 "engine %s%s, JIT compile %.1f ms%s)\n",
                 line_no, written, dropped, failed, secs, secs > 0 ? line_no / secs : 0.0, a.engine.c_str(),
                 engine.is_native(handle) ? ", native" : ", interpreted", engine.compile_ms(),
                 engine.cache_stats().hits > 0 ? " from the JIT cache" : "");
  }
  return failed > 0 ? kFindings : kOk;
}

}  // namespace

void AddJitCacheOptions(CLI::App* cmd, JitCacheArgs& a) {
  cmd->add_option("--jit-cache", a.dir,
                  "folder of the JIT's object-code cache (default: $ACCORD_JIT_CACHE, else "
                  "$XDG_CACHE_HOME/accord/jit or ~/.cache/accord/jit)");
  cmd->add_flag("--no-jit-cache", a.off, "compile without reading or writing the JIT cache");
}

void ApplyJitCacheOptions(const JitCacheArgs& a) {
  jit::SetDefaultCacheDir(a.off ? "" : !a.dir.empty() ? a.dir : jit::StandardCacheDir());
}

void RegisterMap(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MapArgs>();
  auto* cmd = app.add_subcommand("map", "Transform records of one side into the other side's values (stateless)");
  cmd->footer(
      "Reads JSON Lines records of the sync's source side from stdin (or --input) and writes one line per\n"
      "record in scope: {\"id\":...,\"properties\":{...}} toward HubSpot, {\"id\":...,\"fields\":{...}} toward\n"
      "Salesforce. Errors go to stderr as JSON lines. Exit status: 0 all records mapped, 1 some records had\n"
      "errors (the others are written), 2 usage or I/O failure.");
  cmd->add_option("PATH", args->paths, "rule files or folders");
  cmd->add_option("--sync", args->sync, "the sync whose rules to apply")->required();
  cmd->add_option("--to", args->to, "the target side")->required()->check(CLI::IsMember({"hubspot", "salesforce"}));
  cmd->add_option("--engine", args->engine, "interp, jit or auto (default: auto)")
      ->check(CLI::IsMember({"interp", "jit", "auto"}));
  cmd->add_option("--input", args->input, "read records from this file instead of stdin");
  cmd->add_flag("--stats", args->stats, "print counts and throughput to stderr");
  AddJitCacheOptions(cmd, args->jit_cache);
  cmd->callback([args, &exit_code] { exit_code = RunMap(*args); });
}

}  // namespace accord::cli
