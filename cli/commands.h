// One file per verb: each registers its subcommand on the CLI11 app and
// returns the exit code through the shared `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace accord::cli {

// Exit codes shared by every verb.
enum Exit { kOk = 0, kFindings = 1, kUsage = 2 };

void RegisterCheck(CLI::App& app, int& exit_code);
void RegisterFmt(CLI::App& app, int& exit_code);
void RegisterEval(CLI::App& app, int& exit_code);  // eval and compile
void RegisterMap(CLI::App& app, int& exit_code);
void RegisterGraph(CLI::App& app, int& exit_code);
void RegisterDiff(CLI::App& app, int& exit_code);
void RegisterFunctions(CLI::App& app, int& exit_code);
void RegisterSync(CLI::App& app, int& exit_code);  // test, plan, run, errors, retry
void RegisterLsp(CLI::App& app, int& exit_code);
void RegisterSandbox(CLI::App& app, int& exit_code);
void RegisterSchema(CLI::App& app, int& exit_code);  // schema pull
void RegisterOps(CLI::App& app, int& exit_code);     // drift, why (cli/ops.cc)
void RegisterStatus(CLI::App& app, int& exit_code);  // status (cli/status.cc)
void RegisterServe(CLI::App& app, int& exit_code);   // serve (cli/serve.cc)
// Hidden build steps: `__man DIR` and `__completions bash|zsh|fish` (cli/docgen.cc). Register last.
void RegisterDocGen(CLI::App& app, int& exit_code);

// The source tree's `git describe` at build time, or "unknown" (cmake/git_revision.cmake).
extern const char kGitRevision[];

bool StdoutIsTty();

// --jit-cache DIR and --no-jit-cache (map, plan, run): where the JIT keeps
// compiled object code (default: jit::StandardCacheDir()).
struct JitCacheArgs {
  std::string dir;
  bool off = false;
};
void AddJitCacheOptions(CLI::App* cmd, JitCacheArgs& a);
void ApplyJitCacheOptions(const JitCacheArgs& a);  // before the first jit::Runner

// `accord eval '-(42)'`: an expression may start with '-', which CLI11 would
// take for an option. Rewrites argv so that such an argument follows a `--`
// (options stay before it). Other verbs' arguments are left alone.
void SeparateEvalExpression(std::vector<std::string>& argv);

}  // namespace accord::cli
