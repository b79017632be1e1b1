// LoadCheckedRules (load.h): the load, check, print, stop sequence of the verbs.
#include "cli/load.h"

#include <iostream>

#include "cli/commands.h"
#include "compiler/diag/render.h"

namespace accord::cli {

int LoadCheckedRules(const std::vector<std::string>& paths, const char* verb, driver::RuleSet& set,
                     bool fix_first_hint) {
  DiagSink sink(100);
  std::string io_error;
  if (!driver::LoadAndCheck(paths.empty() ? std::vector<std::string>{"."} : paths, driver::Options{}, set, sink,
                            &io_error)) {
    std::cerr << "accord " << verb << ": " << io_error << "\n";
    return kUsage;
  }
  if (sink.error_count() > 0) {
    std::cerr << RenderText(sink.diagnostics(), RenderOptions{});
    if (fix_first_hint) std::cerr << "accord " << verb << ": the rules have errors; fix them first (accord check)\n";
    return kFindings;
  }
  return kOk;
}

}  // namespace accord::cli
