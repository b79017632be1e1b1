// accord check [PATH...] [--format text|json|sarif]
#include <iostream>

#include "base/timings.h"
#include "cli/commands.h"
#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"

namespace accord::cli {

namespace {
struct CheckArgs {
  std::vector<std::string> paths;
  std::string format = "text";
  bool warnings_as_errors = false;
  bool color_always = false, color_never = false;
  bool timings = false;
  size_t max_errors = 100;
  size_t max_source_bytes = 16u << 20;
  int max_nesting = 256;
};
}  // namespace

void RegisterCheck(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = app.add_subcommand("check", "Check rule files against the schemas of both CRMs");
  cmd->footer(
      "PATH is a .accord file or a folder (all *.accord below it, and its schemas/ folder). Default: .\n"
      "Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O failure.");
  cmd->add_option("PATH", args->paths, "rule files or folders");
  cmd->add_option("--format", args->format, "output format")->check(CLI::IsMember({"text", "json", "sarif"}));
  cmd->add_flag("--warnings-as-errors", args->warnings_as_errors, "exit 1 on warnings too");
  // Unsigned options would take "-5" as a huge number: refuse it instead.
  cmd->add_option("--max-errors", args->max_errors, "stop reporting after this many errors")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-source-bytes", args->max_source_bytes, "largest rule file accepted")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-nesting", args->max_nesting,
                  "deepest expression nesting accepted (1 to " + std::to_string(syntax::kMaxNestingLimit) + ")")
      ->check(CLI::Range(1, syntax::kMaxNestingLimit));
  cmd->add_flag("--color", args->color_always, "colour the text output even when not on a terminal");
  cmd->add_flag("--no-color", args->color_never, "never colour the text output");
  cmd->add_flag("--timings", args->timings, "print each phase's wall and CPU time and the peak memory to stderr");
  cmd->callback([args, &exit_code] {
    if (args->paths.empty()) args->paths.push_back(".");
    driver::Options opt;
    opt.max_errors = args->max_errors;
    opt.parse.max_source_bytes = args->max_source_bytes;
    opt.parse.max_nesting = args->max_nesting;
    DiagSink sink(opt.max_errors);
    driver::RuleSet set;
    std::string io_error;
    if (!driver::LoadAndCheck(args->paths, opt, set, sink, &io_error)) {
      std::cerr << "accord check: " << io_error << "\n";
      exit_code = kUsage;
      return;
    }
    if (args->timings) std::cerr << base::FormatTimings(set.timings);
    const auto& diags = sink.diagnostics();
    if (args->format == "json") {
      std::cout << RenderJson(diags);
    } else if (args->format == "sarif") {
      std::cout << RenderSarif(diags, RenderOptions{});
    } else {
      RenderOptions ro;
      ro.color = args->color_always || (!args->color_never && StdoutIsTty());
      std::cout << RenderText(diags, ro);
      size_t e = sink.error_count(), w = sink.warning_count();
      std::cout.flush();
      if (e || w) {
        std::cerr << e << " error" << (e == 1 ? "" : "s") << ", " << w << " warning" << (w == 1 ? "" : "s") << " in "
                  << set.sources.size() << " file" << (set.sources.size() == 1 ? "" : "s") << "\n";
      }
    }
    bool failed = sink.error_count() > 0 || (args->warnings_as_errors && sink.warning_count() > 0);
    exit_code = failed ? kFindings : kOk;
  });
}

}  // namespace accord::cli
