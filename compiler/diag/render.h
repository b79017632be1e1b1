// Renders diagnostics for people (text with carets) and machines (JSON, SARIF 2.1.0).
#pragma once

#include <string>
#include <vector>

#include "compiler/diag/diagnostic.h"

namespace accord {

struct RenderOptions {
  bool color = false;
  std::string tool_version = ACCORD_VERSION;
};

// file:line:col: error[A0101]: message, the source line, a caret underline, notes.
std::string RenderText(const std::vector<Diagnostic>& diags, const RenderOptions& opt);
// A JSON array: one object per diagnostic (severity, code, message, file, line,
// column, end_line, end_column, notes[], fixit).
std::string RenderJson(const std::vector<Diagnostic>& diags);
// SARIF 2.1.0 log with one run; rules = every diagnostic code.
std::string RenderSarif(const std::vector<Diagnostic>& diags, const RenderOptions& opt);

}  // namespace accord
