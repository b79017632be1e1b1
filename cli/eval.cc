// accord eval 'EXPR' [--record FILE.json] [--object salesforce.Contact] [--rules PATH] [--engine E]
// accord compile PATH [--sync NAME] --emit ast|ir|llvm|asm
#include <cctype>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/load.h"
#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "compiler/ir/lower.h"
#include "jit/runner.h"
#include "runtime/record.h"

namespace accord::cli {

namespace {

struct EvalArgs {
  std::string expr;
  std::string record_path;
  std::string object;
  std::string rules = ".";
  std::string engine = "interp";
};

struct CompileArgs {
  std::vector<std::string> paths;
  std::string sync;
  std::string emit = "ir";
  bool no_optimize = false;
};

int RunEval(const EvalArgs& a) {
  jit::EngineKind kind;
  if (!jit::ParseEngineKind(a.engine, &kind)) {
    std::cerr << "accord eval: --engine must be interp, jit or auto\n";
    return kUsage;
  }
  driver::RuleSet set;
  DiagSink sink(100);
  const schema::Object* object = nullptr;
  if (!a.object.empty()) {
    size_t dot = a.object.find('.');
    std::optional<schema::System> sys_opt;
    if (dot != std::string::npos) sys_opt = schema::SystemFromName(a.object.substr(0, dot));
    if (!sys_opt) {
      std::cerr << "accord eval: --object must be salesforce.<Object> or hubspot.<object>\n";
      return kUsage;
    }
    std::string io_error;
    if (!driver::LoadAndCheck({a.rules}, driver::Options{}, set, sink, &io_error)) {
      std::cerr << "accord eval: " << io_error << "\n";
      return kUsage;
    }
    object = set.schemas.Find(*sys_opt, a.object.substr(dot + 1));
    if (!object) {
      std::cerr << "accord eval: no schema for " << a.object << " under " << a.rules
                << " (the schemas of the rule files there, or its schemas/ folder)\n";
      return kUsage;
    }
  }
  SourceFile src("<expr>", a.expr);
  DiagSink esink(100);
  syntax::ParseResult parsed = syntax::ParseExpression(src, syntax::ParseOptions{}, esink);
  sema::Model model;
  if (parsed.expr) {
    sema::ExprEnv env;
    env.object = object;
    if (object) env.side = object->system == schema::System::kSalesforce ? ast::Side::kSalesforce : ast::Side::kHubSpot;
    sema::Type t = sema::CheckExpression(*parsed.expr, *parsed.file, env, model, esink);
    if (esink.error_count() == 0) {
      ir::ExprEnv lenv;
      lenv.object = object;
      ir::Program prog = ir::LowerExpression(*parsed.expr, *parsed.file, model, lenv);
      std::string verr = ir::Verify(prog);
      if (!verr.empty()) {
        std::cerr << "accord eval: internal error: " << verr << "\n";
        return kUsage;
      }
      // the record: JSON object of the --object's fields
      std::vector<rt::Value> slots;
      simdjson::ondemand::parser parser;
      simdjson::padded_string json;
      if (!a.record_path.empty()) {
        if (!object) {
          std::cerr << "accord eval: --record needs --object to know the record's fields\n";
          return kUsage;
        }
        if (simdjson::padded_string::load(a.record_path).get(json)) {
          std::cerr << "accord eval: cannot read " << a.record_path << "\n";
          return kUsage;
        }
        simdjson::ondemand::document doc;
        simdjson::ondemand::object obj;
        std::string id, err;
        rec::Decoder dec(*object);
        if (parser.iterate(json).get(doc) || doc.get_object().get(obj) ||
            !base::Succeeded(dec.Decode(obj, slots, &id), &err)) {
          std::cerr << "accord eval: " << a.record_path << ": not a JSON object" << (err.empty() ? "" : ": " + err)
                    << "\n";
          return kUsage;
        }
      } else if (object) {
        slots.assign(object->fields.size(), rt::Value());
      }
      const rt::Value* records[2] = {slots.data(), slots.data()};
      jit::Runner engine(kind);
      int h = engine.Add(&prog);
      ir::Frame frame;
      rt::Value v = engine.Run(h, frame, ir::Inputs{records, nullptr});
      for (const auto& w : engine.TakeWarnings()) std::cerr << "accord eval: warning: " << w << "\n";
      if (v.is_error()) {
        rt::Location loc = v.error_location();
        std::cout << "error";
        if (loc.file) std::cout << " at " << loc.file << ":" << loc.line << ":" << loc.col;
        std::cout << ": " << v.error_message() << " (" << rt::ErrorCodeName(v.error_code()) << ")\n";
        return kFindings;
      }
      std::cout << v.DebugString() << " : "
                << (t.Is(sema::TypeKind::kDyn) || t.Is(sema::TypeKind::kNull) ? std::string(rt::KindTypeName(v.kind()))
                                                                              : t.ToString())
                << "\n";
      return kOk;
    }
  }
  RenderOptions ro;
  ro.color = StdoutIsTty();
  std::cerr << RenderText(esink.diagnostics(), ro);
  return kFindings;
}

int RunCompile(const CompileArgs& a) {
  driver::RuleSet set;
  if (int code = LoadCheckedRules(a.paths, "compile", set, /*fix_first_hint=*/false); code != kOk) return code;
  if (a.emit == "ast") {
    for (const auto& p : set.parsed) std::cout << ast::Dump(*p.file);
    return kOk;
  }
  ir::LowerOptions lo;
  lo.optimize = !a.no_optimize;
  ir::CompiledRules rules = ir::LowerRules(set.model, lo);
  bool any = false;
  for (const auto& s : rules.syncs) {
    if (!a.sync.empty() && s.name != a.sync) continue;
    any = true;
    for (const ir::Mapping* m :
         {s.to_hubspot.get(), s.to_salesforce.get(), s.create_hubspot.get(), s.create_salesforce.get()}) {
      if (!m) continue;
      if (a.emit == "ir") {
        std::cout << ir::Print(m->program);
        for (size_t k = 0; k < m->outs.size(); ++k)
          std::cout << "  out[" << k << "] -> " << m->target->name << "." << m->outs[k].field->name << "  ("
                    << m->outs[k].rule << ")\n";
        std::cout << "\n";
      } else {
        std::string text, error;
        if (!jit::EmitLLVM(m->program, a.emit == "asm", &text, &error)) {
          std::cerr << "accord compile: " << m->program.name << ": " << error << "\n";
          return kFindings;
        }
        std::cout << "; " << m->program.name << "\n" << text << "\n";
      }
    }
  }
  if (!any) {
    std::cerr << "accord compile: no sync" << (a.sync.empty() ? "s" : " named '" + a.sync + "'") << " to compile\n";
    return kUsage;
  }
  return kOk;
}

}  // namespace

void SeparateEvalExpression(std::vector<std::string>& argv) {
  if (argv.size() < 3 || argv[1] != "eval") return;
  static const char* const kWithValue[] = {"--record", "--object", "--rules", "--engine"};
  for (size_t i = 2; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") return;  // already separated
    bool takes_value = false;
    for (const char* o : kWithValue) takes_value |= a == o;
    if (takes_value) {
      ++i;
      continue;
    }
    // An option: -h, or -- followed by a letter (an unknown one is CLI11's to report).
    bool option =
        a == "-h" || (a.size() > 2 && a[0] == '-' && a[1] == '-' && std::isalpha(static_cast<unsigned char>(a[2])));
    if (option || a.size() < 2 || a[0] != '-') continue;
    std::string expr = a;
    argv.erase(argv.begin() + static_cast<std::ptrdiff_t>(i));
    argv.push_back("--");
    argv.push_back(std::move(expr));
    return;
  }
}

void RegisterEval(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Evaluate one expression and print its value and type");
  cmd->footer(
      "Examples:\n"
      "  accord eval '1 + 2 * 3'\n"
      "  accord eval 'lowerAscii(trim(Email))' --object salesforce.Contact --rules examples/salesforce-hubspot "
      "--record contact.json\n"
      "An expression may start with '-' (accord eval '-(42)'); `accord eval -- EXPR` works too.\n"
      "Exit status: 0 a value, 1 an evaluation or compile error, 2 usage or I/O failure.");
  cmd->add_option("EXPR", args->expr, "a CEL expression")->required();
  cmd->add_option("--record", args->record_path, "a JSON record whose fields are in scope");
  cmd->add_option("--object", args->object, "the record's object, e.g. salesforce.Contact");
  cmd->add_option("--rules", args->rules, "where the schemas are (rule files or a folder with schemas/)");
  cmd->add_option("--engine", args->engine, "interp, jit or auto")->check(CLI::IsMember({"interp", "jit", "auto"}));
  cmd->callback([args, &exit_code] { exit_code = RunEval(*args); });

  auto cargs = std::make_shared<CompileArgs>();
  auto* comp = app.add_subcommand("compile", "Show what the rules compile to: AST, IR, LLVM IR or assembly");
  comp->add_option("PATH", cargs->paths, "rule files or folders");
  comp->add_option("--sync", cargs->sync, "only this sync");
  comp->add_option("--emit", cargs->emit, "ast, ir, llvm or asm")->check(CLI::IsMember({"ast", "ir", "llvm", "asm"}));
  comp->add_flag("--no-optimize", cargs->no_optimize, "skip the IR passes (folding, CSE, DCE)");
  comp->callback([cargs, &exit_code] { exit_code = RunCompile(*cargs); });
}

}  // namespace accord::cli
