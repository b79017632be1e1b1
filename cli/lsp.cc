// accord lsp: the language server for editors, on stdin/stdout
// (compiler/lsp/server.h; docs/lsp.md; editors/vscode/).
#include <iostream>

#include "cli/commands.h"
#include "compiler/lsp/server.h"

namespace accord::cli {

void RegisterLsp(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("lsp", "Run the language server (Language Server Protocol on stdin/stdout)");
  cmd->footer(
      "Editors start this; it speaks JSON-RPC with Content-Length framing on stdin/stdout and writes nothing else.\n"
      "Diagnostics are those of `accord check` on the folder of each open file. See docs/lsp.md.\n"
      "Exit status: 0 after shutdown + exit, 1 when the input ends or exit comes without shutdown.");
  auto stdio = std::make_shared<bool>(false);
  cmd->add_flag("--stdio", *stdio, "use stdin/stdout (the default and only transport; accepted for LSP clients)");
  cmd->callback([&exit_code] {
    std::ios_base::sync_with_stdio(false);
    exit_code = lsp::Serve(std::cin, std::cout);
  });
}

}  // namespace accord::cli
