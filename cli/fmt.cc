// accord fmt [--check] [PATH...]
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "compiler/fmt/formatter.h"

namespace accord::cli {

namespace {
struct FmtArgs {
  std::vector<std::string> paths;
  bool check = false;
  bool to_stdout = false;
  bool legacy_lines = false;
};
}  // namespace

void RegisterFmt(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<FmtArgs>();
  auto* cmd = app.add_subcommand("fmt", "Format rule files in the one canonical layout (comments kept)");
  cmd->footer(
      "Formats in place. With --check nothing is written: the files that would change are listed and the exit\n"
      "status is 1 if there are any. Files with syntax errors are reported and left alone (exit 1).");
  cmd->add_option("PATH", args->paths, "rule files or folders (default .)");
  cmd->add_flag("--check", args->check, "list files that are not formatted; exit 1 if any");
  cmd->add_flag("--stdout", args->to_stdout, "print the formatted text instead of writing files");
  cmd->add_flag("--legacy-lines", args->legacy_lines,
                "read the files with the rules before line breaks ended statements (a line starting with "
                "'-', '(' or '[' continued the previous one) and write them with the same meaning");
  cmd->callback([args, &exit_code] {
    if (args->paths.empty()) args->paths.push_back(".");
    driver::Options opt;
    opt.parse.legacy_line_breaks = args->legacy_lines;
    DiagSink sink(opt.max_errors);
    driver::RuleSet set;
    std::string io_error;
    if (!driver::ParseFiles(args->paths, opt, set, sink, &io_error)) {
      std::cerr << "accord fmt: " << io_error << "\n";
      exit_code = kUsage;
      return;
    }
    int result = kOk;
    if (!sink.diagnostics().empty()) {
      sink.Sort();
      RenderOptions ro;
      ro.color = StdoutIsTty();
      std::cerr << RenderText(sink.diagnostics(), ro);
      result = kFindings;
    }
    for (size_t i = 0; i < set.sources.size(); ++i) {
      const SourceFile& src = *set.sources[i];
      // The formatter prints the AST: a file with any error of the parse layer
      // (a syntax error, an option given twice) is left alone.
      bool has_errors = set.parsed[i].syntax_errors > 0;
      for (const Diagnostic& d : sink.diagnostics()) has_errors |= d.file == &src && d.severity == Severity::kError;
      if (has_errors) continue;
      std::string formatted = fmt::Format(*set.parsed[i].file);
      if (args->to_stdout) {
        std::cout << formatted;
        continue;
      }
      if (formatted == src.text()) continue;
      if (args->check) {
        std::cout << src.path() << "\n";
        result = kFindings;
        continue;
      }
      std::ofstream out(src.path(), std::ios::binary | std::ios::trunc);
      out << formatted;
      if (!out) {
        std::cerr << "accord fmt: cannot write " << src.path() << "\n";
        exit_code = kUsage;
        return;
      }
      std::cerr << "formatted " << src.path() << "\n";
    }
    exit_code = result;
  });
}

}  // namespace accord::cli
