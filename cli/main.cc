// accord: the command-line entry point. Verbs live in cli/<verb>.cc.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace accord::cli {
bool StdoutIsTty() { return isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr; }
}  // namespace accord::cli

int main(int argc, char** argv) {
  using namespace accord::cli;
  CLI::App app{"accord: compiler and runtime for Salesforce <-> HubSpot sync rules", "accord"};
  app.set_version_flag("--version", std::string("accord ") + ACCORD_VERSION + " (git " + kGitRevision + ")");
  app.require_subcommand(0, 1);
  int exit_code = kOk;
  RegisterCheck(app, exit_code);
  RegisterFmt(app, exit_code);
  RegisterEval(app, exit_code);
  RegisterMap(app, exit_code);
  RegisterGraph(app, exit_code);
  RegisterDiff(app, exit_code);
  RegisterFunctions(app, exit_code);
  RegisterSync(app, exit_code);
  RegisterLsp(app, exit_code);
  RegisterSandbox(app, exit_code);
  RegisterSchema(app, exit_code);
  RegisterOps(app, exit_code);
  RegisterStatus(app, exit_code);
  RegisterServe(app, exit_code);

  std::string help_verb;
  auto* help = app.add_subcommand("help", "Show help for a verb: accord help check");
  help->add_option("verb", help_verb, "the verb to explain");
  help->callback([&] {
    if (help_verb.empty()) {
      std::cout << app.help();
      return;
    }
    try {
      std::cout << app.get_subcommand(help_verb)->help();
    } catch (const CLI::OptionNotFound&) {
      std::cerr << "accord: unknown verb '" << help_verb
                << "'; verbs: check, fmt, eval, compile, map, functions, graph, diff, lsp, sandbox, test, plan, run, "
                   "errors, retry, drift, why, status, help\n";
      exit_code = kUsage;
    }
  });

  RegisterDocGen(app, exit_code);

  std::vector<std::string> args(argv, argv + argc);
  SeparateEvalExpression(args);
  std::vector<const char*> arg_ptrs;
  for (const std::string& a : args) arg_ptrs.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return kUsage;
  }
  return exit_code;
}
